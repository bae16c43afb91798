/*
 * zread.h - read a file that may be gzip-compressed (a .gcode.gz), as
 * plain bytes, in pieces: the caller's loop does not change.
 */
#ifndef GSPOOL_ZREAD_H
#define GSPOOL_ZREAD_H

#include <stddef.h>
#include <sys/types.h>

struct zread;

/* Wrap fd (not closed by zread_free).  Whether it is gzip is seen on
 * the first read. */
struct zread *zread_new(int fd);
void	zread_free(struct zread *);

/* Like read(2): bytes, 0 at the end, -1 with errno (EIO: damaged
 * compressed data, with zread_error() saying how). */
ssize_t	zread_read(struct zread *, void *buf, size_t len);
const char *zread_error(const struct zread *);
int	zread_is_gzip(const struct zread *);
/* Bytes read from the file itself so far. */
unsigned long long zread_raw_bytes(const struct zread *);

#endif
