/*
 * msg.c - encode, send and receive spoold's messages (msg.h).
 *
 * Security: the peer may be any local user.  A message is bounded by
 * MSG_MAX, decoding rejects malformed escapes, and any descriptor that
 * arrives with a message is always taken (and closed by the caller), so
 * none can leak.  More than one descriptor is refused and all are closed.
 *
 * Diagnostics: none logged here; a malformed message is -1 with errno
 * (EBADMSG, EMSGSIZE), for the caller to report with its peer.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "msg.h"

static const char hexdig[] = "0123456789ABCDEF";

int
msg_encode_field(char *out, size_t outsz, const char *field)
{
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)field; *p; p++) {
		if (*p < 0x20 || *p == '%' || *p == 0x7f) {
			if (n + 3 > outsz)
				return -1;
			out[n++] = '%';
			out[n++] = hexdig[*p >> 4];
			out[n++] = hexdig[*p & 15];
		} else {
			if (n + 1 > outsz)
				return -1;
			out[n++] = (char)*p;
		}
	}
	return (int)n;
}

int
msg_sendv(int sock, int fd, int nfields, const char *const *fields)
{
	char buf[MSG_MAX];
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	size_t len = 0;
	int i, n;

	for (i = 0; i < nfields; i++) {
		if (i > 0) {
			if (len + 1 > sizeof(buf))
				goto toobig;
			buf[len++] = '\t';
		}
		n = msg_encode_field(buf + len, sizeof(buf) - len, fields[i]);
		if (n < 0)
			goto toobig;
		len += (size_t)n;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.space;
		mh.msg_controllen = sizeof(cm.space);
		cm.hdr.cmsg_level = SOL_SOCKET;
		cm.hdr.cmsg_type = SCM_RIGHTS;
		cm.hdr.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.hdr), &fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
toobig:
	errno = EMSGSIZE;
	return -1;
}

int
msg_send(int sock, int fd, const char *field, ...)
{
	const char *fields[MSG_MAXFIELDS];
	va_list ap;
	int n = 0;

	va_start(ap, field);
	for (; field != NULL; field = va_arg(ap, const char *)) {
		if (n == MSG_MAXFIELDS) {
			va_end(ap);
			errno = EMSGSIZE;
			return -1;
		}
		fields[n++] = field;
	}
	va_end(ap);
	return msg_sendv(sock, fd, n, fields);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
msg_decode(struct msg *m, const char *raw, size_t n)
{
	size_t i, o;

	m->nfields = 0;
	if (n > MSG_MAX)
		goto badmsg;
	m->field[m->nfields++] = m->buf;
	for (i = 0, o = 0; i < n; i++) {
		char ch = raw[i];

		if (ch == '\t') {
			if (m->nfields == MSG_MAXFIELDS)
				goto badmsg;
			m->buf[o++] = '\0';
			m->field[m->nfields++] = m->buf + o;
		} else if (ch == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto badmsg;
			hi = hexval(raw[i + 1]);
			lo = hexval(raw[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto badmsg;
			m->buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if ((unsigned char)ch < 0x20 || ch == 0x7f)
			goto badmsg;
		else
			m->buf[o++] = ch;
	}
	m->buf[o] = '\0';
	return 0;
badmsg:
	m->nfields = 0;
	errno = EBADMSG;
	return -1;
}

int
msg_recv(int sock, struct msg *m)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	char raw[MSG_MAX + 1];
	ssize_t n;
	int nfds = 0, bad = 0;

	m->fd = -1;
	m->nfields = 0;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = raw;
	iov.iov_len = sizeof(raw);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.space;
	mh.msg_controllen = sizeof(cm.space);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;

	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		int fds[4];
		size_t k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (cnt > 4)
			cnt = 4;
		memcpy(fds, CMSG_DATA(c), cnt * sizeof(int));
		for (k = 0; k < cnt; k++) {
			if (nfds++ == 0)
				m->fd = fds[k];
			else {
				close(fds[k]);
				bad = 1;
			}
		}
	}
	if (n == 0 && nfds == 0)
		return 0;
	if (bad || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n > MSG_MAX)
		goto badmsg;

	if (msg_decode(m, raw, (size_t)n) == 0)
		return 1;
badmsg:
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->nfields = 0;
	errno = EBADMSG;
	return -1;
}

const char *
msg_field(const struct msg *m, int i)
{
	if (i < 0 || i >= m->nfields)
		return "";
	return m->field[i];
}
