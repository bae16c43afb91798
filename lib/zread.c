/*
 * zread.c - plain or gzip-compressed input, read the same way (zlib).
 *
 * A gzip stream (several members, as gzip(1) allows) is inflated as it
 * is read, with a fixed buffer: memory stays flat whatever the size.  A
 * damaged or truncated stream is an error that says so, never a short
 * file taken for whole.
 *
 * Security: the stream is a user's file.  Its inflated size is not
 * bounded here (a small file may inflate to a large one): the caller
 * counts the bytes it is given and holds them to the job's limit.
 *
 * Diagnostics: a damaged or truncated stream is EIO, with zread_error()
 * saying which; a buffer smaller than ZREAD_BUFSZ is a bug (panic).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "log.h"
#include "util.h"
#include "zread.h"

#define ZREAD_BUFSZ	65536

struct zread {
	int		 fd;
	int		 started, gzip, eof, inflating;
	z_stream	 z;
	unsigned char	*in;
	unsigned long long raw;
	char		 error[128];
};

struct zread *
zread_new(int fd)
{
	struct zread *zr = xcalloc(1, sizeof(*zr));

	zr->fd = fd;
	zr->in = xmalloc(ZREAD_BUFSZ);
	return zr;
}

void
zread_free(struct zread *zr)
{
	if (zr == NULL)
		return;
	if (zr->inflating)
		inflateEnd(&zr->z);
	free(zr->in);
	free(zr);
}

const char *
zread_error(const struct zread *zr)
{
	return zr->error;
}

int
zread_is_gzip(const struct zread *zr)
{
	return zr->gzip;
}

unsigned long long
zread_raw_bytes(const struct zread *zr)
{
	return zr->raw;
}

static ssize_t
fill(struct zread *zr)
{
	ssize_t n;

	do
		n = read(zr->fd, zr->in, ZREAD_BUFSZ);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		zr->raw += (unsigned long long)n;
	return n;
}

ssize_t
zread_read(struct zread *zr, void *buf, size_t len)
{
	ssize_t n;
	int r;

	if (!zr->started) {
		zr->started = 1;
		if ((n = fill(zr)) <= 0)
			return n;
		zr->gzip = n >= 2 && zr->in[0] == 0x1f && zr->in[1] == 0x8b;
		if (!zr->gzip) {
			/* Plain: hand over what was read, then read on. */
			if ((size_t)n > len)
				panic("zread_read: a buffer of %zu bytes, less"
				    " than ZREAD_BUFSZ", len);
			memcpy(buf, zr->in, (size_t)n);
			return n;
		}
		memset(&zr->z, 0, sizeof(zr->z));
		if (inflateInit2(&zr->z, 15 + 16) != Z_OK)
			fatalx("zlib: cannot start inflating");
		zr->inflating = 1;
		zr->z.next_in = zr->in;
		zr->z.avail_in = (uInt)n;
	}
	if (!zr->gzip) {
		do
			n = read(zr->fd, buf, len);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			zr->raw += (unsigned long long)n;
		return n;
	}
	if (zr->eof)
		return 0;
	zr->z.next_out = buf;
	zr->z.avail_out = (uInt)(len > 1u << 30 ? 1u << 30 : len);
	for (;;) {
		if (zr->z.avail_in == 0) {
			if ((n = fill(zr)) < 0)
				return -1;
			if (n == 0) {
				snprintf(zr->error, sizeof(zr->error), "the"
				    " gzip data ends too soon");
				errno = EIO;
				return -1;
			}
			zr->z.next_in = zr->in;
			zr->z.avail_in = (uInt)n;
		}
		r = inflate(&zr->z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			/* The end of a member; another may follow. */
			if (zr->z.avail_in == 0) {
				if ((n = fill(zr)) < 0)
					return -1;
				if (n == 0) {
					zr->eof = 1;
					break;
				}
				zr->z.next_in = zr->in;
				zr->z.avail_in = (uInt)n;
			}
			inflateReset(&zr->z);
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			snprintf(zr->error, sizeof(zr->error), "damaged gzip"
			    " data: %s", zr->z.msg ? zr->z.msg : "error");
			errno = EIO;
			return -1;
		}
		if ((unsigned char *)zr->z.next_out != (unsigned char *)buf)
			break;
	}
	return (ssize_t)((unsigned char *)zr->z.next_out - (unsigned char *)buf);
}
