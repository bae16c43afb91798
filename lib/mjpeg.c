/*
 * mjpeg.c - JPEG frames as a camera sends them (mjpeg.h).
 *
 * Security: the bytes are anything a camera, or whatever answers at its
 * address, sends.  The walk reads no byte past n, a segment's length
 * only ever moves it on, and no frame is longer than MJPEG_FRAME_MAX;
 * a frame is kept only when it is whole, from SOI to EOI.
 *
 * Diagnostics: none here; a frame that is not whole is a verdict
 * (more bytes needed, or none), which timelapse.c reports.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "mjpeg.h"

long
mjpeg_frame_length(const unsigned char *b, size_t n)
{
	size_t i = 2, seglen;
	int scan = 0;

	if (n < 2)
		return 0;
	if (b[0] != 0xff || b[1] != 0xd8)
		return -1;
	for (;;) {
		if (scan) {
			/* Entropy-coded data: FF 00 is data, FF D0-D7 a
			 * restart; any other marker ends it. */
			while (i + 1 < n && !(b[i] == 0xff && b[i + 1] != 0 &&
			    (b[i + 1] < 0xd0 || b[i + 1] > 0xd7)))
				i++;
			if (i + 1 >= n)
				return 0;
			scan = 0;
		}
		if (i + 1 >= n)
			return 0;
		if (b[i] != 0xff)
			return -1;
		while (i + 1 < n && b[i + 1] == 0xff)
			i++;		/* fill bytes */
		if (i + 1 >= n)
			return 0;
		switch (b[i + 1]) {
		case 0xd9:
			return (long)(i + 2);	/* EOI */
		case 0xd8:
			return -1;		/* a second SOI */
		case 0x01:
		case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		case 0xd4: case 0xd5: case 0xd6: case 0xd7:
			i += 2;			/* markers without length */
			continue;
		}
		if (i + 3 >= n)
			return 0;
		seglen = (size_t)b[i + 2] << 8 | b[i + 3];
		if (seglen < 2)
			return -1;
		if (b[i + 1] == 0xda)
			scan = 1;		/* SOS: data follows its header */
		i += 2 + seglen;
		if (i > MJPEG_FRAME_MAX)
			return -1;
	}
}

int
mjpeg_is_stream(const char *ct, const char *data, size_t n)
{
	return (ct != NULL && strncasecmp(ct, "multipart/", 10) == 0) ||
	    (n >= 2 && data[0] == '-' && data[1] == '-');
}

int
mjpeg_scan(unsigned char *buf, size_t *len,
    void (*frame)(const unsigned char *, size_t, size_t, void *), void *arg)
{
	size_t i = 0, have = *len;
	long n;
	int begun;

	for (;;) {
		/* The next SOI. */
		while (i + 1 < have && !(buf[i] == 0xff && buf[i + 1] == 0xd8))
			i++;
		if (i + 1 >= have)
			break;
		n = mjpeg_frame_length(buf + i, have - i);
		if (n == 0)
			break;
		if (n < 0) {
			i += 2;		/* not a JPEG after all */
			continue;
		}
		frame(buf + i, (size_t)n, i, arg);
		i += (size_t)n;
	}
	begun = i + 1 < have;
	/* Keep from the SOI not yet complete. */
	if (i > 0) {
		memmove(buf, buf + i, have - i);
		*len = have - i;
	}
	return begun;
}
