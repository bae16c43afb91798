/* Unit tests for lib/heaters.c: firmware reports, exactly as sent. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heaters.h"

static void
expect(const struct heater *h, const char *name, double actual,
    double target, int power)
{
	assert_string_equal(h->name, name);
	assert_true(h->actual > actual - 1e-9 && h->actual < actual + 1e-9);
	assert_true(h->target > target - 1e-9 && h->target < target + 1e-9);
	assert_int_equal(h->power, power);
}

static void
test_marlin(void **state)
{
	struct heater h[HEATERS_MAX];

	(void)state;
	assert_int_equal(heaters_parse("ok T:210.0 /210.0 B:60.0 /60.0 @:127"
	    " B@:0", h, HEATERS_MAX), 2);
	expect(&h[0], "T0", 210, 210, 127);
	expect(&h[1], "B", 60, 60, 0);
	/* An auto-report, with the raw readings of a debug build. */
	assert_int_equal(heaters_parse(" T:24.93 /0.00 (4065.2500) B:25.10"
	    " /0.00 (4059.0000) @:0 B@:0", h, HEATERS_MAX), 2);
	expect(&h[0], "T0", 24.93, 0, 0);
	expect(&h[1], "B", 25.1, 0, 0);
	/* M109's wait line: its countdown is no heater. */
	assert_int_equal(heaters_parse("T:180.4 /200.0 B:59.9 /60.0 W:?", h,
	    HEATERS_MAX), 2);
	expect(&h[0], "T0", 180.4, 200, -1);
	assert_int_equal(heaters_parse("T:199.8 /200.0 B:60.0 /60.0 W:2", h,
	    HEATERS_MAX), 2);
	/* A chamber, and no target said. */
	assert_int_equal(heaters_parse("T:200.0 /200.0 B:60.0 /60.0 C:35.5"
	    " /40.0 @:64 B@:12 C@:127", h, HEATERS_MAX), 3);
	expect(&h[2], "C", 35.5, 40, 127);
	assert_int_equal(heaters_parse("T:22.5 B:21.0", h, HEATERS_MAX), 2);
	expect(&h[0], "T0", 22.5, 0, -1);
	/* The target in the same word. */
	assert_int_equal(heaters_parse("T:210.0/215.0 B:60/60", h,
	    HEATERS_MAX), 2);
	expect(&h[0], "T0", 210, 215, -1);
	expect(&h[1], "B", 60, 60, -1);
}

static void
test_marlin_extruders(void **state)
{
	struct heater h[HEATERS_MAX];

	(void)state;
	/* T: repeats the active extruder; @0: and @1: are each one's. */
	assert_int_equal(heaters_parse("ok T:210.0 /210.0 B:60.0 /60.0"
	    " T0:210.0 /210.0 T1:150.2 /0.0 @:127 B@:30 @0:127 @1:0", h,
	    HEATERS_MAX), 3);
	expect(&h[0], "B", 60, 60, 30);
	expect(&h[1], "T0", 210, 210, 127);
	expect(&h[2], "T1", 150.2, 0, 0);
	/* One extruder named T0 besides T: its power is @'s. */
	assert_int_equal(heaters_parse("T:200.0 /200.0 T0:200.0 /200.0"
	    " B:60.0 /60.0 @:90 B@:0", h, HEATERS_MAX), 2);
	expect(&h[0], "T0", 200, 200, 90);
	/* At most max. */
	assert_int_equal(heaters_parse("T0:1 /2 T1:3 /4 T2:5 /6", h, 2), 2);
	expect(&h[1], "T1", 3, 4, -1);
}

static void
test_klipper(void **state)
{
	struct heater h[HEATERS_MAX];

	(void)state;
	assert_int_equal(heaters_parse("ok B:60.0 /60.0 T0:210.0 /210.0", h,
	    HEATERS_MAX), 2);
	expect(&h[0], "B", 60, 60, -1);
	expect(&h[1], "T0", 210, 210, -1);
	assert_int_equal(heaters_parse("B:24.8 /0.0 T0:25.1 /0.0 T1:24.9"
	    " /0.0", h, HEATERS_MAX), 3);
	expect(&h[2], "T1", 24.9, 0, -1);
}

static void
test_hostile(void **state)
{
	struct heater h[HEATERS_MAX];
	char big[4096];

	(void)state;
	assert_int_equal(heaters_parse("", h, HEATERS_MAX), 0);
	assert_int_equal(heaters_parse("ok", h, HEATERS_MAX), 0);
	assert_int_equal(heaters_parse("T:nan /nan B:inf /inf", h,
	    HEATERS_MAX), 0);
	assert_int_equal(heaters_parse("T:1e999 /0 B:0x10 /0", h,
	    HEATERS_MAX), 0);
	assert_int_equal(heaters_parse("T:9999 /0 B:-500 /0", h,
	    HEATERS_MAX), 0);
	assert_int_equal(heaters_parse("T: /200 B:: @:x", h, HEATERS_MAX), 0);
	assert_int_equal(heaters_parse("X:200 /200 TT:1 T99:5 /5 Q@:1", h,
	    HEATERS_MAX), 0);
	/* A bad target spoils its heater only. */
	assert_int_equal(heaters_parse("T:200 /abc B:60 /60", h,
	    HEATERS_MAX), 1);
	expect(&h[0], "B", 60, 60, -1);
	/* A power out of range is none. */
	assert_int_equal(heaters_parse("T:200 /200 @:999", h, HEATERS_MAX), 1);
	expect(&h[0], "T0", 200, 200, -1);
	/* A heater said twice: the first. */
	assert_int_equal(heaters_parse("B:60 /60 B:70 /70", h, HEATERS_MAX), 1);
	expect(&h[0], "B", 60, 60, -1);
	memset(big, 'T', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[100] = ':';
	assert_int_equal(heaters_parse(big, h, HEATERS_MAX), 0);
	assert_int_equal(heaters_parse(NULL, h, HEATERS_MAX), 0);
	assert_int_equal(heaters_parse("T:1 /1", h, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marlin),
		cmocka_unit_test(test_marlin_extruders),
		cmocka_unit_test(test_klipper),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
