/*
 * fuzz_mjpeg - libFuzzer target: arbitrary bytes from a camera, through
 * the timelapse filter's JPEG walker and MJPEG stream scanner
 * (lib/mjpeg.c).
 *
 * The input's first byte picks a Content-Type and the sizes of the
 * pieces the bytes arrive in, as curl would hand them over; the rest is
 * what the camera sends.  Invariants, besides no crash:
 * - a frame's length is -1 (no JPEG), 0 (more bytes needed) or the
 *   length of a frame from FF D8 to FF D9 within the bytes; a prefix
 *   of a whole frame needs more bytes, and the bytes after it change
 *   nothing;
 * - each frame a stream gives is whole when walked again, the frames
 *   come in order without overlapping, and the same frames come out
 *   whatever the pieces the stream arrives in;
 * - a Content-Type multipart/... or a first "--" is a stream.
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mjpeg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

#define MAXFRAMES	4096

struct found {
	size_t	 at[MAXFRAMES], len[MAXFRAMES];
	int	 n;
	size_t	 base;		/* bytes dropped before buf[0] */
};

static void
on_frame(const unsigned char *b, size_t n, size_t at, void *arg)
{
	struct found *f = arg;

	CHECK(n >= 4 && b[0] == 0xff && b[1] == 0xd8 && b[n - 2] == 0xff &&
	    b[n - 1] == 0xd9);
	CHECK(mjpeg_frame_length(b, n) == (long)n);
	if (f->n > 0)
		CHECK(f->base + at >= f->at[f->n - 1] + f->len[f->n - 1]);
	if (f->n < MAXFRAMES) {
		f->at[f->n] = f->base + at;
		f->len[f->n] = n;
		f->n++;
	}
}

static void
check_length(const unsigned char *b, size_t n)
{
	long len = mjpeg_frame_length(b, n), part;
	unsigned char *copy;

	CHECK(len >= -1 && len <= (long)n);
	CHECK(len == -1 || len == 0 || len >= 4);
	if (len > 0) {
		CHECK(b[0] == 0xff && b[1] == 0xd8);
		CHECK(b[len - 2] == 0xff && b[len - 1] == 0xd9);
		CHECK(mjpeg_frame_length(b, (size_t)len - 1) == 0);
		CHECK(mjpeg_frame_length(b, (size_t)len / 2) == 0);
		/* Alone in a buffer of its own size: read no further. */
		copy = malloc((size_t)len);
		CHECK(copy != NULL);
		memcpy(copy, b, (size_t)len);
		CHECK(mjpeg_frame_length(copy, (size_t)len) == len);
		free(copy);
	} else if (n > 0) {
		/* Fewer bytes never make a JPEG of what is none. */
		part = mjpeg_frame_length(b, n - 1);
		CHECK(part == 0 || part == len);
		part = mjpeg_frame_length(b, n / 2);
		CHECK(part == 0 || part == -1);
		if (len == 0)
			CHECK(part == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { NULL, "image/jpeg",
		"multipart/x-mixed-replace; boundary=frame",
		"MULTIPART/X-MIXED-REPLACE", "application/octet-stream",
		"text/html", "multipart", "" };
	static struct found whole, pieces;
	const unsigned char *b = data + 1;
	unsigned char *buf;
	const char *ct;
	size_t n, len, off, step, kept_whole;
	int i, begun;

	if (size == 0)
		return 0;
	n = size - 1;
	ct = types[data[0] & 7];
	i = mjpeg_is_stream(ct, (const char *)b, n);
	if (ct != NULL && strncmp(ct, "multipart/", 10) == 0)
		CHECK(i);
	if (n >= 2 && b[0] == '-' && b[1] == '-')
		CHECK(i);
	if (i && (n < 2 || b[0] != '-' || b[1] != '-'))
		CHECK(ct != NULL && strncasecmp(ct, "multipart/", 10) == 0);

	/* A snapshot: the bytes are one JPEG or not. */
	check_length(b, n);
	for (off = 0; off + 1 < n; off++)
		if (b[off] == 0xff && b[off + 1] == 0xd8) {
			check_length(b + off, n - off);
			break;
		}

	/* A stream, all at once. */
	buf = malloc(n ? n : 1);
	CHECK(buf != NULL);
	memcpy(buf, b, n);
	memset(&whole, 0, sizeof(whole));
	len = n;
	begun = mjpeg_scan(buf, &len, on_frame, &whole);
	CHECK(len <= n);
	CHECK(memcmp(buf, b + n - len, len) == 0);
	if (begun)
		CHECK(len >= 2 && buf[0] == 0xff && buf[1] == 0xd8 &&
		    mjpeg_frame_length(buf, len) == 0);
	else
		CHECK(len <= 1);
	kept_whole = len;
	free(buf);

	/* In pieces, the buffer kept between them as on_data() keeps it. */
	buf = malloc(n ? n : 1);
	CHECK(buf != NULL);
	memset(&pieces, 0, sizeof(pieces));
	len = 0;
	step = 1 + (size_t)(data[0] >> 3) * 7;
	for (off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step, before;

		memcpy(buf + len, b + off, k);
		len += k;
		before = len;
		mjpeg_scan(buf, &len, on_frame, &pieces);
		pieces.base += before - len;
	}
	CHECK(pieces.n == whole.n);
	for (i = 0; i < whole.n && i < MAXFRAMES; i++)
		CHECK(pieces.at[i] == whole.at[i] &&
		    pieces.len[i] == whole.len[i]);
	CHECK(len == kept_whole);
	free(buf);
	return 0;
}
