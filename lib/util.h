/*
 * util.h - small helpers every gspool program shares.
 *
 * Allocation never fails visibly: xmalloc() and friends abort the
 * program on exhaustion (as Postfix's mymalloc does), since no caller
 * could do better.  Everything else returns 0 / -1 with errno set.
 */
#ifndef GSPOOL_UTIL_H
#define GSPOOL_UTIL_H

#include <stddef.h>
#include <time.h>
#include <sys/types.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a whole decimal number in [min, max]; -1 with errno EINVAL or ERANGE. */
int	 parse_long(const char *s, long min, long max, long *out);
/* The same in 64 bits whatever the size of long. */
int	 parse_llong(const char *s, long long min, long long max,
	    long long *out);
/* A time to hold a job until: "indefinite" (0), "HH:MM" (its next
 * coming), "YYYY-MM-DD HH:MM" (or with a T), "+N" with s, m, h or d.
 * Seconds since the epoch, 0 for indefinite, -1 if not a time. */
long long parse_hold(const char *s, time_t now);
/* The latest time a job may be held until (9999-12-31 23:59:59 UTC):
 * any later is refused, so that no sum made of it can overflow. */
#define HOLD_UNTIL_MAX	253402300799LL

/* Write all of buf, retrying on EINTR and short writes; -1 with errno. */
int	 write_all(int fd, const void *buf, size_t len);

/* fsync the directory holding a name, so a rename or unlink is durable. */
int	 fsync_dir(const char *dir);

/* mkdir that accepts an existing directory; -1 with errno otherwise. */
int	 mkdir_exist_ok(const char *path, mode_t mode);

/* Set or clear O_NONBLOCK / FD_CLOEXEC on fd. */
int	 fd_set_nonblock(int fd, int on);
int	 fd_set_cloexec(int fd);
/* A SOCK_SEQPACKET listener at path, mode 0600, put in place by rename
 * so that no one finds it half made: the descriptor, or -1 with errno
 * (ENAMETOOLONG for a path that does not fit). */
int	 seqpacket_listen(const char *path);

/* A name safe as a printer, user or file component: [A-Za-z0-9._-], no
 * leading dot, 1..maxlen bytes. */
int	 name_is_safe(const char *s, size_t maxlen);

/* Monotonic clock in milliseconds. */
long long monotonic_ms(void);

/* Control bytes and invalid UTF-8 as '?', cut to fit outsz. */
void	clean_text(char *out, size_t outsz, const char *in);

/* "tcp://HOST:PORT" (HOST may be "[v6 address]") into its parts; -1 if
 * it is not one. */
int	tcp_split(const char *device, char *host, size_t hostsz, char *port,
	    size_t portsz);

#endif
