/*
 * mjpeg.h - what timelapse reads from a camera, on its own: a JPEG's
 * segments walked to its end, a stream (multipart/x-mixed-replace,
 * MJPEG) told from a snapshot, and the whole JPEGs taken out of a
 * stream's bytes as they come.  No I/O, no clock.
 */
#ifndef GSPOOL_MJPEG_H
#define GSPOOL_MJPEG_H

#include <stddef.h>

#define MJPEG_FRAME_MAX	(16 << 20)	/* the largest JPEG taken */

/*
 * The length of the whole JPEG at b (SOI first): its segments walked by
 * their lengths, the entropy-coded data after SOS up to the next marker,
 * until EOI.  0 if more bytes are needed, -1 if it is no JPEG.
 */
long	mjpeg_frame_length(const unsigned char *b, size_t n);

/* Is the answer a stream?  Its Content-Type says multipart/ (ct may be
 * NULL), or its first bytes are a part's boundary. */
int	mjpeg_is_stream(const char *ct, const char *data, size_t n);

/*
 * The whole JPEGs among a stream's bytes buf[0 .. *len), in order: each
 * is handed to frame() with its offset in buf, then the bytes from the
 * first JPEG not yet complete (or a last byte that may begin one) are
 * moved to the front and *len is their count.  Whatever is between the
 * frames (the parts' boundaries and headers, bytes that are no JPEG) is
 * dropped.  1 if what is kept begins a frame, else 0.
 */
int	mjpeg_scan(unsigned char *buf, size_t *len,
	    void (*frame)(const unsigned char *b, size_t n, size_t at,
	    void *arg), void *arg);

#endif
