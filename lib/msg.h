/*
 * msg.h - the messages spoold exchanges with its clients and backends.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, so each message arrives whole or
 * not at all, and may carry one open file descriptor (SCM_RIGHTS).
 * A message is a list of text fields; on the wire the fields are joined
 * by TAB, and TAB, LF, '%' and other control bytes inside a field are
 * written %XX.  gspool(7) lists the messages.
 */
#ifndef GSPOOL_MSG_H
#define GSPOOL_MSG_H

#include <stddef.h>

#define MSG_MAX		8192	/* bytes of one message on the wire */
#define MSG_MAXFIELDS	32

struct msg {
	int	 nfields;
	char	*field[MSG_MAXFIELDS];
	int	 fd;			/* received descriptor or -1 */
	char	 buf[MSG_MAX + 1];	/* decoded fields live here */
};

/* Send the NULL-terminated list of fields, with fd if fd >= 0.
 * 0, or -1 with errno (EMSGSIZE if it does not fit). */
int	msg_send(int sock, int fd, const char *field, ...)
	    __attribute__((sentinel));
int	msg_sendv(int sock, int fd, int nfields, const char *const *fields);

/*
 * Receive one message.  Returns 1 with m filled, 0 at end of stream,
 * -1 with errno (EAGAIN on a non-blocking socket with nothing to read,
 * EBADMSG for a malformed message).  A received descriptor is
 * close-on-exec; the caller owns it (m->fd).
 */
int	msg_recv(int sock, struct msg *m);

/*
 * Decode the n bytes of one message as it came off the wire into m's
 * fields (m->fd is left alone): what msg_recv() does with each.  0, or
 * -1 with errno EBADMSG (no fields) for a bad escape, a control byte,
 * too many fields or more than MSG_MAX bytes.
 */
int	msg_decode(struct msg *m, const char *raw, size_t n);

/* Field i, or "" if absent. */
const char *msg_field(const struct msg *, int i);

/* Encode one field into out; returns length or -1 if it does not fit. */
int	msg_encode_field(char *out, size_t outsz, const char *field);

#endif
