/*
 * sp_shim - stands in for libserialport (LD_PRELOAD) in the tests, so
 * that the backend's real-serial-port path runs without a serial port.
 *
 * sp_get_port_by_name() knows one port: the name in $SP_SHIM_NAME, which
 * it opens as the pseudo-terminal $SP_SHIM_TARGET (the virtual printer),
 * the way libserialport opens a port: no close-on-exec, flow control as
 * the port had it.  Every setting the backend makes is written to
 * $SP_SHIM_LOG, and at sp_close() what the backend made of the
 * descriptor: close-on-exec, non-blocking, locked against a second
 * opener.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

struct sp_port {
	int	 fd;
	char	 name[4096];
};

static void
shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
shim_log(const char *fmt, ...)
{
	const char *path = getenv("SP_SHIM_LOG");
	va_list ap;
	FILE *fp;

	if (path == NULL || (fp = fopen(path, "a")) == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputc('\n', fp);
	fclose(fp);
}

enum sp_return
sp_get_port_by_name(const char *name, struct sp_port **out)
{
	const char *known = getenv("SP_SHIM_NAME");
	struct sp_port *p;

	shim_log("lookup %s", name);
	if (known == NULL || strcmp(name, known) != 0)
		return SP_ERR_ARG;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SP_ERR_MEM;
	p->fd = -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	*out = p;
	return SP_OK;
}

void
sp_free_port(struct sp_port *p)
{
	free(p);
}

enum sp_return
sp_open(struct sp_port *p, enum sp_mode mode)
{
	const char *target = getenv("SP_SHIM_TARGET");
	struct termios tio;

	if (mode != SP_MODE_READ_WRITE || target == NULL)
		return SP_ERR_ARG;
	/* As libserialport does it: O_NONBLOCK only to open, then cleared;
	 * no O_CLOEXEC. */
	if ((p->fd = open(target, O_RDWR | O_NOCTTY | O_NONBLOCK)) < 0)
		return SP_ERR_FAIL;
	fcntl(p->fd, F_SETFL, 0);
	if (tcgetattr(p->fd, &tio) == 0) {
		/* Leave XON/XOFF on, as libserialport 0.1.1 does. */
		cfmakeraw(&tio);
		tio.c_iflag |= IXON | IXOFF;
		tcsetattr(p->fd, TCSANOW, &tio);
	}
	shim_log("open %s", p->name);
	return SP_OK;
}

enum sp_return
sp_close(struct sp_port *p)
{
	int flags = fcntl(p->fd, F_GETFD), fl = fcntl(p->fd, F_GETFL), fd2;

	shim_log("cloexec %s", flags >= 0 && (flags & FD_CLOEXEC) ? "yes" : "no");
	shim_log("nonblock %s", fl >= 0 && (fl & O_NONBLOCK) ? "yes" : "no");
	/* A second opener: refused by TIOCEXCL, or by the lock. */
	fd2 = open(getenv("SP_SHIM_TARGET"), O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd2 < 0)
		shim_log("exclusive yes");
	else {
		shim_log("exclusive %s", flock(fd2, LOCK_EX | LOCK_NB) < 0 &&
		    errno == EWOULDBLOCK ? "yes" : "no");
		close(fd2);
	}
	close(p->fd);
	p->fd = -1;
	shim_log("close");
	return SP_OK;
}

enum sp_return
sp_set_baudrate(struct sp_port *p, int baud)
{
	(void)p;
	shim_log("baud %d", baud);
	return SP_OK;
}

enum sp_return
sp_set_bits(struct sp_port *p, int bits)
{
	(void)p;
	shim_log("bits %d", bits);
	return SP_OK;
}

enum sp_return
sp_set_parity(struct sp_port *p, enum sp_parity parity)
{
	(void)p;
	shim_log("parity %s", parity == SP_PARITY_NONE ? "none" : "other");
	return SP_OK;
}

enum sp_return
sp_set_stopbits(struct sp_port *p, int stopbits)
{
	(void)p;
	shim_log("stopbits %d", stopbits);
	return SP_OK;
}

enum sp_return
sp_set_flowcontrol(struct sp_port *p, enum sp_flowcontrol fc)
{
	struct termios tio;

	shim_log("flowcontrol %s", fc == SP_FLOWCONTROL_NONE ? "none" :
	    "other");
	if (fc == SP_FLOWCONTROL_NONE && tcgetattr(p->fd, &tio) == 0) {
		tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
		tcsetattr(p->fd, TCSANOW, &tio);
	}
	if (tcgetattr(p->fd, &tio) == 0)
		shim_log("xonxoff %s", tio.c_iflag & (IXON | IXOFF) ?
		    "on" : "off");
	return SP_OK;
}

enum sp_return
sp_get_port_handle(const struct sp_port *p, void *out)
{
	*(int *)out = p->fd;
	return SP_OK;
}

char *
sp_last_error_message(void)
{
	return strdup("no such port (shim)");
}

void
sp_free_error_message(char *m)
{
	free(m);
}
