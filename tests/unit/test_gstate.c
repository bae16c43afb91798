/* Unit tests for lib/gstate.c: following modes and positions, and the
 * commands that restore them after a pause. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gstate.h"

static void
feed(struct gstate *s, const char *const *cmds)
{
	for (; *cmds; cmds++)
		gstate_apply(s, *cmds);
}

/* All commands of a phase joined by '|'. */
static void
restore(const struct gstate *s, enum gstate_phase ph, char *out, size_t sz)
{
	char cmd[64];
	int i;

	out[0] = '\0';
	for (i = 0; gstate_restore(s, ph, i, cmd, sizeof(cmd)); i++) {
		if (i > 0)
			strncat(out, "|", sz - strlen(out) - 1);
		strncat(out, cmd, sz - strlen(out) - 1);
	}
}

static void
test_absolute_job(void **state)
{
	static const char *const job[] = {
		"G28", "G90", "M82", "G92 E0", "G1 Z0.2 F600",
		"G1 X10 Y20 E1.5 F1800", "G2 X12 Y22 I1 J1 E1.75",
		"M104 S200", "G1 E0.75", NULL,
	};
	struct gstate s;
	char out[512];

	(void)state;
	gstate_init(&s);
	feed(&s, job);
	assert_true(s.pos[GS_X] == 12 && s.pos[GS_Y] == 22);
	assert_true(s.pos[GS_Z] > 0.199 && s.pos[GS_Z] < 0.201);
	restore(&s, GSTATE_MOVE, out, sizeof(out));
	assert_string_equal(out, "G21|G90|G1 X12.000 Y22.000 F6000|"
	    "G1 Z0.200 F600");
	restore(&s, GSTATE_MODES, out, sizeof(out));
	assert_string_equal(out, "G21|G92 E0.75000|G90|M82|G1 F1800.000");
}

static void
test_relative_and_inches(void **state)
{
	static const char *const job[] = {
		"G21", "G90", "G1 X1 Y1 Z1", "G91", "G1 X2 Y-1 Z0.5",
		"M83", "G1 E3", "G20", "G90", "G1 X1 F10", NULL,
	};
	struct gstate s;
	char out[512];

	(void)state;
	gstate_init(&s);
	feed(&s, job);
	assert_true(s.pos[GS_X] == 25.4 && s.pos[GS_Y] == 0);
	restore(&s, GSTATE_MOVE, out, sizeof(out));
	assert_string_equal(out, "G21|G90|G1 X25.400 Y0.000 F6000|"
	    "G1 Z1.500 F600");
	/* E relative by M83: no G92; units back to inches; F as given. */
	restore(&s, GSTATE_MODES, out, sizeof(out));
	assert_string_equal(out, "G21|G90|M83|G20|G1 F10.000");
}

static void
test_unknown_axes(void **state)
{
	struct gstate s;
	char out[512];

	(void)state;
	gstate_init(&s);
	/* Relative moves from an unknown place stay unknown. */
	gstate_apply(&s, "G91");
	gstate_apply(&s, "G1 X5 Z1");
	restore(&s, GSTATE_MOVE, out, sizeof(out));
	assert_string_equal(out, "G21|G90");
	gstate_apply(&s, "G28 X");
	gstate_apply(&s, "G1 X5");
	restore(&s, GSTATE_MOVE, out, sizeof(out));
	assert_string_equal(out, "G21|G90|G1 X5.000 F6000");
	/* G92 with no axes sets all to zero; G28 names no E. */
	gstate_apply(&s, "G92");
	assert_true(s.known == 0xf && s.pos[GS_X] == 0);
	/* Not commands of ours: ignored. */
	gstate_apply(&s, "T0");
	gstate_apply(&s, "G1.5 X3");
	gstate_apply(&s, "M117 G1 X9");
	assert_true(s.pos[GS_X] == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_job),
		cmocka_unit_test(test_relative_and_inches),
		cmocka_unit_test(test_unknown_axes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
