/*
 * port.h - open a printer's serial line: libserialport for real serial
 * devices, plain termios for pseudo-terminals (which libserialport
 * cannot open).  Both give a non-blocking, close-on-exec, exclusively
 * locked descriptor in raw 8N1 mode with no flow control.  tcp://HOST:PORT
 * reaches a printer behind a serial-to-network bridge.
 *
 * A serial line or a pseudo-terminal also gets a second descriptor of
 * its own, rfd, which blocks: a read of it waits for the printer's next
 * bytes, at most PORT_READ_WAIT_MS, without a poll before it.
 */
#ifndef GSPOOL_PORT_H
#define GSPOOL_PORT_H

#include <stddef.h>

#define PORT_READ_WAIT_MS	100	/* VTIME: the longest wait of rfd */

struct port {
	int	 fd;
	int	 rfd;		/* blocking, for reads alone; -1: none */
	void	*sp;		/* struct sp_port *, or NULL for a pty */
	char	 path[4096];	/* the resolved device */
};

/* 0, or -1 with a reason in err ("cannot open /dev/ttyACM0: ..."). */
int	port_open(struct port *, const char *device, long baud,
	    char *err, size_t errsz);
void	port_close(struct port *);

#endif
