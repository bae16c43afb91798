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
 * Printers behind a serial-to-network bridge (ser2net, a Wi-Fi serial
 * module) are reached as tcp://HOST:PORT: a TCP connection with Nagle's
 * delay off (every line is small and the round trip is what counts) and
 * keepalives on, so that a bridge that vanishes is noticed.
 *
 * Security: the device is the administrator's (gspool.conf); what
 * comes back from the printer is read by the caller into the protocol
 * engine, which bounds it.  A port is locked (flock) so that a second
 * process cannot write to a printer that is printing.
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
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

#include "port.h"
#include "util.h"

static int open_tcp(struct port *, const char *, char *, size_t);
static int port_reader(struct port *, const char *, char *, size_t);

/* Unix98 pty slaves: majors 136-143. */
static int
is_pty(const char *path, const struct stat *st)
{
	return strncmp(path, "/dev/pts/", 9) == 0 ||
	    (major(st->st_rdev) >= 136 && major(st->st_rdev) <= 143);
}

/*
 * The port is ours alone: a lock every backend takes, and for a real
 * serial port the kernel's exclusive open, which refuses other programs
 * (a modem manager probing new ports) too.  Not for a pseudo-terminal:
 * its exclusive flag lives as long as its other side (the virtual
 * printer, Klipper's host, a bridge), so a backend killed before it
 * could give it back would leave the port closed to every later open
 * but root's.  The lock goes with its process, however it ends.
 */
static int
port_lock(struct port *p, const char *device, int pty, char *err,
    size_t errsz)
{
	if (flock(p->fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errsz, "%s is in use by another program",
		    device);
		return -1;
	}
	if (!pty)
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
	if (port_lock(p, device, 1, err, errsz) < 0 ||
	    port_reader(p, device, err, errsz) < 0)
		goto fail;
	/* Replies meant for whoever had the port before (a backend that
	 * died mid-print) are not ours. */
	tcflush(p->fd, TCIFLUSH);
	return 0;
fail:
	if (p->rfd >= 0)
		close(p->rfd);
	close(p->fd);
	p->fd = p->rfd = -1;
	return -1;
}

/*
 * The line's second descriptor, rfd: its own open of the device the
 * port's descriptor is (by /proc, whatever name it was opened by), so
 * that it has an O_NONBLOCK flag of its own, and blocks.  A turn that
 * waits for nothing but the printer's next reply reads it and needs
 * no poll first (gspool-backend(8)).  VMIN 0 and VTIME make that read
 * come back as soon as bytes are there, or empty after
 * PORT_READ_WAIT_MS, so that a silent printer keeps no one waiting
 * longer; the termios are the line's, but the non-blocking descriptor
 * still says EAGAIN when nothing is there (with both 0, Linux says 0,
 * which reads as an end of file).  Opened non-blocking, so that a port
 * without CLOCAL cannot hold the open, and before the kernel's
 * exclusive flag, which would refuse it.  A line that cannot be opened
 * twice goes without (rfd -1): every wait is then poll's.  0, or -1
 * with a reason if the termios cannot be set.
 */
static int
port_reader(struct port *p, const char *device, char *err, size_t errsz)
{
	struct termios tio;
	char self[64];

	if (tcgetattr(p->fd, &tio) < 0) {
		snprintf(err, errsz, "%s is not a terminal: %s", device,
		    strerror(errno));
		return -1;
	}
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = PORT_READ_WAIT_MS / 100;
	if (tcsetattr(p->fd, TCSANOW, &tio) < 0) {
		snprintf(err, errsz, "cannot set up %s: %s", device,
		    strerror(errno));
		return -1;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", p->fd);
	p->rfd = open(self, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->rfd >= 0 && fd_set_nonblock(p->rfd, 0) < 0) {
		close(p->rfd);
		p->rfd = -1;
	}
	return 0;
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
	    port_reader(p, device, err, errsz) < 0 ||
	    port_lock(p, device, 0, err, errsz) < 0)
		goto fail;
	tcflush(fd, TCIFLUSH);
	return 0;
fail:
	if (p->rfd >= 0)
		close(p->rfd);
	p->rfd = -1;
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
	p->fd = p->rfd = -1;
	if (strncmp(device, "tcp://", 6) == 0)
		return open_tcp(p, device, err, errsz);
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

#define TCP_CONNECT_MS	5000

static int
open_tcp(struct port *p, const char *device, char *err, size_t errsz)
{
	struct addrinfo hints, *ai, *a;
	char host[256], port[8];
	int r, one = 1, idle = 10, intvl = 5, cnt = 3, soerr = 0;
	socklen_t sl = sizeof(soerr);

	snprintf(p->path, sizeof(p->path), "%s", device);
	if (tcp_split(device, host, sizeof(host), port,
	    sizeof(port)) < 0) {
		snprintf(err, errsz, "%s: expected tcp://HOST:PORT", device);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errsz, "cannot open %s: %s", device,
		    gai_strerror(r));
		return -1;
	}
	errno = ECONNREFUSED;
	for (a = ai; a != NULL; a = a->ai_next) {
		struct pollfd pfd;

		p->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, a->ai_protocol);
		if (p->fd < 0)
			continue;
		if (connect(p->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = p->fd;
			pfd.events = POLLOUT;
			r = poll(&pfd, 1, TCP_CONNECT_MS);
			if (r == 0)
				errno = ETIMEDOUT;
			else if (r > 0 && getsockopt(p->fd, SOL_SOCKET,
			    SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				break;
			else if (r > 0)
				errno = soerr;
		}
		r = errno;
		close(p->fd);
		p->fd = -1;
		errno = r;
	}
	freeaddrinfo(ai);
	if (p->fd < 0) {
		snprintf(err, errsz, "cannot connect to %s: %s", device,
		    strerror(errno));
		return -1;
	}
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(p->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(p->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(p->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(p->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	return 0;
}

void
port_close(struct port *p)
{
	/* The exclusive open is given back before the close, as it was
	 * taken (a pseudo-terminal, which never has it, and a socket say
	 * ENOTTY or nothing). */
	if (p->fd >= 0)
		(void)ioctl(p->fd, TIOCNXCL);
	if (p->rfd >= 0)
		close(p->rfd);
	if (p->sp != NULL) {
		sp_close(p->sp);
		sp_free_port(p->sp);
	} else if (p->fd >= 0)
		close(p->fd);
	p->sp = NULL;
	p->fd = p->rfd = -1;
}
