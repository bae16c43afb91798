/*
 * port.c - the two transports to a printer's serial line.
 *
 * Real serial ports go through libserialport.  Its traps, as Debian 12
 * ships it (0.1.1): it looks names up under /sys/class/tty, so links
 * such as /dev/serial/by-id/... must be resolved first; after sp_open
 * XON/XOFF is still on; the descriptor is not close-on-exec and nothing
 * stops a second process from opening the port.  Each is handled here.
 * Pseudo-terminals (the virtual printer, socat) have no /sys entry and
 * no modem lines, so libserialport cannot open them: they get termios.
 *
 * Diagnostics: every failure names the device and the reason.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

#include "port.h"
#include "util.h"

/* Unix98 pty slaves: majors 136-143. */
static int
is_pty(const char *path, const struct stat *st)
{
	return strncmp(path, "/dev/pts/", 9) == 0 ||
	    (major(st->st_rdev) >= 136 && major(st->st_rdev) <= 143);
}

static int
port_lock(struct port *p, const char *device, char *err, size_t errsz)
{
	if (flock(p->fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errsz, "%s is in use by another program",
		    device);
		return -1;
	}
	/* Refuse other openers too, where the kernel allows it. */
	(void)ioctl(p->fd, TIOCEXCL);
	return 0;
}

static int
open_pty(struct port *p, const char *device, char *err, size_t errsz)
{
	struct termios tio;

	p->fd = open(p->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->fd < 0) {
		snprintf(err, errsz, "cannot open %s: %s", device,
		    strerror(errno));
		return -1;
	}
	if (tcgetattr(p->fd, &tio) < 0) {
		snprintf(err, errsz, "%s is not a terminal: %s", device,
		    strerror(errno));
		goto fail;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_iflag &= ~(unsigned)(IXON | IXOFF | IXANY);
	if (tcsetattr(p->fd, TCSANOW, &tio) < 0) {
		snprintf(err, errsz, "cannot set up %s: %s", device,
		    strerror(errno));
		goto fail;
	}
	if (port_lock(p, device, err, errsz) < 0)
		goto fail;
	return 0;
fail:
	close(p->fd);
	p->fd = -1;
	return -1;
}

static int
open_serial(struct port *p, const char *device, long baud, char *err,
    size_t errsz)
{
	struct sp_port *sp = NULL;
	enum sp_return r;
	int fd;

	if ((r = sp_get_port_by_name(p->path, &sp)) != SP_OK) {
		snprintf(err, errsz, "%s is not a serial port libserialport"
		    " knows (%s)", device, p->path);
		return -1;
	}
	if ((r = sp_open(sp, SP_MODE_READ_WRITE)) != SP_OK) {
		char *m = sp_last_error_message();

		snprintf(err, errsz, "cannot open %s: %s", device,
		    m ? m : "error");
		sp_free_error_message(m);
		sp_free_port(sp);
		return -1;
	}
	if (sp_set_baudrate(sp, (int)baud) != SP_OK ||
	    sp_set_bits(sp, 8) != SP_OK ||
	    sp_set_parity(sp, SP_PARITY_NONE) != SP_OK ||
	    sp_set_stopbits(sp, 1) != SP_OK ||
	    sp_set_flowcontrol(sp, SP_FLOWCONTROL_NONE) != SP_OK) {
		snprintf(err, errsz, "cannot set %s to %ld baud 8N1: %s",
		    device, baud, strerror(errno));
		goto fail;
	}
	if (sp_get_port_handle(sp, &fd) != SP_OK) {
		snprintf(err, errsz, "%s: no handle", device);
		goto fail;
	}
	p->fd = fd;
	p->sp = sp;
	if (fd_set_cloexec(fd) < 0 || fd_set_nonblock(fd, 1) < 0 ||
	    port_lock(p, device, err, errsz) < 0)
		goto fail;
	return 0;
fail:
	sp_close(sp);
	sp_free_port(sp);
	p->fd = -1;
	p->sp = NULL;
	return -1;
}

int
port_open(struct port *p, const char *device, long baud, char *err,
    size_t errsz)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (realpath(device, p->path) == NULL) {
		snprintf(err, errsz, "cannot open %s: %s", device,
		    strerror(errno));
		return -1;
	}
	if (stat(p->path, &st) < 0) {
		snprintf(err, errsz, "cannot open %s: %s", device,
		    strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		snprintf(err, errsz, "%s is not a character device", device);
		return -1;
	}
	if (is_pty(p->path, &st))
		return open_pty(p, device, err, errsz);
	return open_serial(p, device, baud, err, errsz);
}

void
port_close(struct port *p)
{
	if (p->sp != NULL) {
		sp_close(p->sp);
		sp_free_port(p->sp);
	} else if (p->fd >= 0)
		close(p->fd);
	p->sp = NULL;
	p->fd = -1;
}
