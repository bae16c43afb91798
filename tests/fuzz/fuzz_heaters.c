/*
 * fuzz_heaters - libFuzzer target: arbitrary bytes as a firmware's
 * temperature report, read by heaters_parse() (lib/heaters.c).
 *
 * Invariants, besides no crash, leak or undefined behaviour:
 * - at most max heaters, each named T0 .. T7, B or C, no name twice;
 * - each actual and target a finite number within HEATER_MIN_C ..
 *   HEATER_MAX_C, each power -1 (not said) or 0 .. 255;
 * - the same text read again gives the same heaters, and a smaller max
 *   gives the first of them.
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaters.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

static int
same(const struct heater *a, const struct heater *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(a[i].name, b[i].name) != 0 || a[i].actual !=
		    b[i].actual || a[i].target != b[i].target ||
		    a[i].power != b[i].power)
			return 0;
	return 1;
}

static int
good_name(const char *s)
{
	if (strcmp(s, "B") == 0 || strcmp(s, "C") == 0)
		return 1;
	return s[0] == 'T' && s[1] >= '0' && s[1] <= '7' && s[2] == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct heater h[HEATERS_MAX], again[HEATERS_MAX];
	char *s;
	int n, m, i, j;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = heaters_parse(s, h, HEATERS_MAX);
	CHECK(n >= 0 && n <= HEATERS_MAX);
	for (i = 0; i < n; i++) {
		CHECK(good_name(h[i].name));
		for (j = 0; j < i; j++)
			CHECK(strcmp(h[i].name, h[j].name) != 0);
		CHECK(isfinite(h[i].actual) && h[i].actual >= HEATER_MIN_C &&
		    h[i].actual <= HEATER_MAX_C);
		CHECK(isfinite(h[i].target) && h[i].target >= HEATER_MIN_C &&
		    h[i].target <= HEATER_MAX_C);
		CHECK(h[i].power >= -1 && h[i].power <= 255);
	}
	m = heaters_parse(s, again, HEATERS_MAX);
	CHECK(m == n && same(h, again, n));
	if (n > 1) {
		m = heaters_parse(s, again, n - 1);
		CHECK(m == n - 1 && same(h, again, m));
	}
	free(s);
	return 0;
}
