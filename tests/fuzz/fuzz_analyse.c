/*
 * fuzz_analyse - libFuzzer target: arbitrary bytes, in arbitrary pieces,
 * through the G-code analyser (lib/analyse.c, over the lexer and the
 * modal state), then its JSON.  The first byte picks the piece size and
 * the policy (a build volume, an allow-list), the last the firmware,
 * dialect warnings and keep_going.
 * `make fuzz' builds and runs it with the protocol engine's target.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct analysis a;
	struct analyse_policy pol;
	size_t off = 1, step, n;
	char bad[32], *js;
	int r = 0, i;

	if (size == 0)
		return 0;
	analyse_policy_default(&pol);
	if (data[0] & 0x80) {
		for (i = 0; i < 3; i++) {
			pol.vol_min[i] = 0;
			pol.vol_max[i] = 200;
		}
	}
	if (data[0] & 0x40)
		CHECK(analyse_parse_codes("G0 G1 G2 G3 G28 G90 G91 G92 M82 M83"
		    " M104 M109 M140 M190 M106 M107 T0", pol.allowed,
		    ANALYSE_CODES, &pol.nallowed, bad, sizeof(bad)) == 0);
	step = 1 + (data[0] & 0x3f) * 37;
	/* The last byte: the printer's firmware, warnings for a dialect,
	 * and whether every reason is collected. */
	pol.firmware = (enum gcode_firmware)(data[size - 1] % GCODE_FW_COUNT);
	pol.dialect_warn = (data[size - 1] >> 4) & 1;
	analyse_init(&a, &pol);
	a.keep_going = (data[size - 1] >> 5) & 1;
	while (off < size && r == 0) {
		n = size - off < step ? size - off : step;
		r = analyse_bytes(&a, (const char *)data + off, n);
		off += n;
	}
	if (r == 0)
		r = analyse_end(&a);
	CHECK(r == 0 || a.error[0] != '\0');
	CHECK(r != 0 || a.error[0] == '\0');
	CHECK(a.error[0] == '\0' || a.nreasons > 0 || a.lx.line <= 1 ||
	    a.error_line == 1);
	CHECK(!a.keep_going || a.nreasons == 0 || strcmp(a.error,
	    a.reasons[0]) == 0);
	for (i = 0; i < GCODE_HEATERS; i++)
		CHECK(strlen(a.lx.policy.macro_params[i]) < GCODE_PARAMS_MAX);
	CHECK(a.nthumbs >= 0 && a.nthumbs <= ANALYSE_THUMBS);
	CHECK(a.nobjects >= 0 && a.nobjects <= ANALYSE_OBJECTS);
	CHECK(strlen(a.slicer) < sizeof(a.slicer));
	CHECK(a.lx.cmdlen <= GCODE_MAX_CMD);
	js = analyse_json(&a, "fuzz", r == 0, a.error, ANALYSE_JSON_COMPACT);
	CHECK(js != NULL && js[0] == '{');
	free(js);
	return 0;
}
