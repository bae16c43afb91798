/*
 * fuzz_webrange - libFuzzer target: arbitrary Range headers of a media
 * request against files of arbitrary sizes, read by gwebd's own parser
 * (gwebd/webparse.c, web_range).
 *
 * The input's first 8 bytes are the file's size (little-endian, 0 to
 * 2^62); the rest, to a NUL, is the header.  Invariants, besides no
 * crash:
 * - a range accepted lies within the file: 0 <= from, 1 <= len,
 *   from + len <= size, and the header is "bytes=" with no list;
 * - written back as bytes=FROM-LAST it is accepted again as the same
 *   range;
 * - an empty file has no range.
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char h[8192];
	char again[64];
	unsigned long long u = 0;
	long long fsize, from = -7, len = -7, from2, len2;
	size_t i, n;

	if (size < 8)
		return 0;
	for (i = 0; i < 8; i++)
		u |= (unsigned long long)data[i] << (8 * i);
	fsize = (long long)(u & ((1ULL << 62) - 1));
	n = size - 8 < sizeof(h) - 1 ? size - 8 : sizeof(h) - 1;
	memcpy(h, data + 8, n);
	h[n] = '\0';

	if (web_range(h, fsize, &from, &len) != 0) {
		CHECK(from == -7 && len == -7);
		return 0;
	}
	CHECK(fsize > 0);
	CHECK(strncmp(h, "bytes=", 6) == 0 && strchr(h, ',') == NULL);
	CHECK(from >= 0 && len >= 1 && from < fsize && len <= fsize - from);

	snprintf(again, sizeof(again), "bytes=%lld-%lld", from,
	    from + len - 1);
	CHECK(web_range(again, fsize, &from2, &len2) == 0);
	CHECK(from2 == from && len2 == len);
	CHECK(web_range(h, 0, &from2, &len2) != 0);
	return 0;
}
