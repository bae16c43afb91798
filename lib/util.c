/*
 * util.c - allocation that aborts on exhaustion, number parsing, durable
 * file-system steps.
 *
 * Diagnostics: allocation failure is fatal (logged, exit 1); the rest
 * return -1 with errno and leave the report to the caller, who knows
 * what the number or the file was.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("malloc %zu bytes", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatal("calloc %zu x %zu bytes", n, size);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		fatal("realloc %zu bytes", n);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vasprintf");
	return p;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	long long v;

	if (parse_llong(s, min, max, &v) < 0)
		return -1;
	*out = (long)v;
	return 0;
}

/* As parse_long, for numbers that need 64 bits where long has 32
 * (armhf): seconds since the epoch past 2038. */
int
parse_llong(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && *s != '+' &&
	    (*s < '0' || *s > '9'))) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsync_dir(const char *dir)
{
	int fd, r, saved_errno;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return r;
}

int
mkdir_exist_ok(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
fd_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

int
fd_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int
name_is_safe(const char *s, size_t maxlen)
{
	size_t n = 0;

	if (s == NULL || *s == '\0' || *s == '.' || *s == '-')
		return 0;
	for (; *s; s++, n++) {
		if (n >= maxlen)
			return 0;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return 0;
	}
	return 1;
}

long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Split "tcp://HOST:PORT" (HOST may be "[v6 address]"). */
int
tcp_split(const char *device, char *host, size_t hostsz, char *port,
    size_t portsz)
{
	const char *h = device + 6, *colon;
	size_t n;

	if (strncmp(device, "tcp://", 6) != 0 ||
	    (colon = strrchr(h, ':')) == NULL || colon == h ||
	    colon[1] == '\0' || strlen(colon + 1) >= portsz ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	n = (size_t)(colon - h);
	if (h[0] == '[' && colon[-1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= hostsz)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, portsz, "%s", colon + 1);
	return 0;
}

/* A name from outside (a file name, a title) made safe to print and
 * store: control bytes and bytes that are not UTF-8 become '?', and it
 * is cut to outsz - 1 bytes on a character boundary. */
void
clean_text(char *out, size_t outsz, const char *in)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, n, k;

	while (*p && o + 1 < outsz) {
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = '?';
			p++;
			continue;
		}
		if (*p < 0x80) {
			out[o++] = (char)*p++;
			continue;
		}
		/* The length a lead byte announces; continuation bytes must
		 * follow, and no overlong or surrogate forms. */
		n = (*p >= 0xc2 && *p <= 0xdf) ? 2 : (*p >= 0xe0 && *p <= 0xef) ?
		    3 : (*p >= 0xf0 && *p <= 0xf4) ? 4 : 0;
		for (k = 1; k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				n = 0;
		if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0)))
			n = 0;
		if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90)))
			n = 0;
		if (n == 0) {
			out[o++] = '?';
			p++;
			continue;
		}
		if (o + n >= outsz)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

/* --hold-until: "indefinite", "HH:MM" (its next coming), "YYYY-MM-DD
 * HH:MM" (or with a T), or "+N" with s, m, h or d.  Seconds since the
 * epoch, 0 for indefinite, -1 if not a time. */
long long
parse_hold(const char *s, time_t now)
{
	struct tm tm, lt;
	const char *end;
	long v;
	char unit;
	int n = 0;

	if (strcmp(s, "indefinite") == 0)
		return 0;
	if (s[0] == '+') {
		char num[32];
		size_t len = strlen(s + 1);

		if (len == 0 || len >= sizeof(num))
			return -1;
		unit = s[len];
		memcpy(num, s + 1, len);
		num[len] = '\0';
		if (unit >= '0' && unit <= '9')
			unit = 's';
		else
			num[len - 1] = '\0';
		if (parse_long(num, 0, 3660L * 86400, &v) < 0)
			return -1;
		switch (unit) {
		case 's': return (long long)now + v;
		case 'm': return (long long)now + v * 60LL;
		case 'h': return (long long)now + v * 3600LL;
		case 'd': return (long long)now + v * 86400LL;
		}
		return -1;
	}
	localtime_r(&now, &lt);
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d %H:%M", &tm)) == NULL &&
	    (end = strptime(s, "%Y-%m-%dT%H:%M", &tm)) == NULL) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(s, "%H:%M", &tm)) == NULL)
			return -1;
		tm.tm_year = lt.tm_year;
		tm.tm_mon = lt.tm_mon;
		tm.tm_mday = lt.tm_mday;
		n = 1;
	}
	if (*end != '\0')
		return -1;
	tm.tm_isdst = -1;
	{
		time_t t = mktime(&tm);
		/* Compared as a long long: where time_t has 32 bits
		 * (Debian's armhf) mktime has already failed past 2038,
		 * and a direct comparison of t is always false there. */
		long long when = t;

		if (t == (time_t)-1 || when < 0 || when > HOLD_UNTIL_MAX -
		    86400)
			return -1;
		if (n && when <= now)
			when += 86400;	/* tomorrow at that time */
		return when;
	}
}

int
seqpacket_listen(const char *path)
{
	struct sockaddr_un sun;
	char *tmp;
	int fd = -1, e;

	tmp = xasprintf("%s.%ld", path, (long)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(tmp) >= sizeof(sun.sun_path)) {
		free(tmp);
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, tmp);
	unlink(tmp);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(tmp, 0600) < 0 || listen(fd, 4) < 0 ||
	    rename(tmp, path) < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		errno = e;
		return -1;
	}
	free(tmp);
	return fd;
}
