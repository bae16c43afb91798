/* Unit tests for lib/fit.c: does a job suit a printer, each key and
 * each policy, from small generated headers through the analyser. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyse.h"
#include "fit.h"

/* What a file with these header lines was made for. */
static void
file_of(struct fit_file *f, const char *header)
{
	struct analysis *a = malloc(sizeof(*a));
	char buf[2048];

	assert_non_null(a);
	snprintf(buf, sizeof(buf), "%sG28\nT0\nG1 X10 Y10 E1\n", header);
	analyse_init(a, NULL);
	assert_int_equal(analyse_bytes(a, buf, strlen(buf)), 0);
	assert_int_equal(analyse_end(a), 0);
	fit_file_from_analysis(f, a);
	free(a);
}

/* mk3: MK3S (or MK3S+), one 0.4 mm nozzle, PLA; the policies' defaults
 * as gspool.conf(5) gives them. */
static void
mk3(struct fit_printer *p)
{
	char why[FIT_REASON];

	memset(p, 0, sizeof(*p));
	p->name = "mk3";
	assert_int_equal(fit_parse_models(p, "MK3S, MK3S+", why,
	    sizeof(why)), 0);
	assert_int_equal(fit_parse_nozzles(p, "0.4", why, sizeof(why)), 0);
	assert_int_equal(fit_parse_materials(p, "PLA", why, sizeof(why)), 0);
	p->policy[FIT_MODEL] = FIT_REFUSE;
	p->policy[FIT_NOZZLE] = FIT_REFUSE;
	p->policy[FIT_MATERIAL] = FIT_HOLD;
}

static void
expect(const struct fit_printer *p, const char *header, int verdict,
    const char *why, const char *want)
{
	struct fit_file f;
	char w[FIT_REASON], n[FIT_REASON];

	file_of(&f, header);
	assert_int_equal(fit_judge(&f, p, w, sizeof(w), n, sizeof(n)),
	    verdict);
	assert_string_equal(w, why);
	assert_string_equal(n, want);
}

static void
test_keys(void **state)
{
	struct fit_printer p;

	(void)state;
	mk3(&p);
	expect(&p, "; printer_model = MK3S+\n; nozzle_diameter = 0.4\n"
	    "; filament_type = pla\n", FIT_OK, "", "");
	expect(&p, "; nozzle_diameter = 0.6\n", FIT_REFUSE,
	    "sliced for nozzle 0.6 mm; mk3 has 0.4", "has a 0.6 mm nozzle");
	expect(&p, "; filament_type = PETG\n", FIT_HOLD,
	    "needs PETG; mk3 has PLA loaded (gpc load to change)",
	    "has PETG loaded");
	expect(&p, ";TARGET_MACHINE.NAME:Ultimaker S5\n", FIT_REFUSE,
	    "sliced for Ultimaker S5; mk3 is MK3S", "is model Ultimaker S5");
	/* A refusal's reason before a hold's, whatever the order. */
	expect(&p, "; filament_type = PETG\n; nozzle_diameter = 0.6\n",
	    FIT_REFUSE, "sliced for nozzle 0.6 mm; mk3 has 0.4",
	    "has a 0.6 mm nozzle");
	/* Nothing said: it suits. */
	expect(&p, "", FIT_OK, "", "");
	/* Eight nozzles listed, one tool used: only T0 counts. */
	expect(&p, "; nozzle_diameter = 0.4,0.6,0.6,0.6\n", FIT_OK, "", "");
}

static void
test_policies(void **state)
{
	struct fit_printer p;

	(void)state;
	mk3(&p);
	p.policy[FIT_NOZZLE] = FIT_HOLD;
	p.policy[FIT_MATERIAL] = FIT_REFUSE;
	p.policy[FIT_MODEL] = FIT_IGNORE;
	expect(&p, "; nozzle_diameter = 0.6\n", FIT_HOLD,
	    "sliced for nozzle 0.6 mm; mk3 has 0.4", "has a 0.6 mm nozzle");
	expect(&p, "; filament_type = PETG\n", FIT_REFUSE,
	    "needs PETG; mk3 has PLA loaded (gpc load to change)",
	    "has PETG loaded");
	expect(&p, "; printer_model = MINI\n", FIT_OK, "", "");
	p.policy[FIT_MATERIAL] = FIT_IGNORE;
	expect(&p, "; filament_type = PETG\n", FIT_OK, "", "");
}

static void
test_tools(void **state)
{
	struct fit_printer p;
	struct fit_file f;
	char why[FIT_REASON], want[FIT_REASON], text[64];

	(void)state;
	mk3(&p);
	/* A second tool the printer lacks. */
	memset(&f, 0, sizeof(f));
	f.said = 1;
	f.tools = 3;
	f.nozzle[1] = 0.4;
	assert_int_equal(fit_judge(&f, &p, why, sizeof(why), want,
	    sizeof(want)), FIT_REFUSE);
	assert_string_equal(why, "sliced for nozzle 0.4 mm on T1; mk3 has no"
	    " T1");
	/* Nothing known on T1: not judged; PETG on T1 is. */
	assert_int_equal(fit_parse_nozzles(&p, "0.4, 0.4", why, sizeof(why)),
	    0);
	assert_int_equal(fit_parse_materials(&p, "PLA,none", why,
	    sizeof(why)), 0);
	fit_materials_text(&p, text, sizeof(text));
	assert_string_equal(text, "PLA,none");
	snprintf(f.material[1], sizeof(f.material[1]), "PETG");
	assert_int_equal(fit_judge(&f, &p, why, sizeof(why), want,
	    sizeof(want)), FIT_OK);
	assert_int_equal(fit_parse_materials(&p, "PLA,PLA", why,
	    sizeof(why)), 0);
	assert_int_equal(fit_judge(&f, &p, why, sizeof(why), want,
	    sizeof(want)), FIT_HOLD);
	assert_string_equal(why, "needs PETG on T1; mk3 has PLA loaded on T1"
	    " (gpc load to change)");
	assert_string_equal(want, "has PETG loaded on T1");
}

static void
test_parse(void **state)
{
	struct fit_printer p;
	char why[FIT_REASON];

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(fit_parse_nozzles(&p, "0.4,x", why, sizeof(why)),
	    -1);
	assert_string_equal(why, "T1: 'x' is not a nozzle diameter in mm"
	    " (0.05 to 5)");
	assert_int_equal(fit_parse_nozzles(&p, "9", why, sizeof(why)), -1);
	assert_int_equal(fit_parse_nozzles(&p, "0.4,,0.6", why, sizeof(why)),
	    -1);
	assert_int_equal(fit_parse_materials(&p, "PLA, PET G", why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "T1: 'PET G' is not a filament type"));
	assert_int_equal(fit_parse_materials(&p, "a,b,c,d,e,f,g,h,i", why,
	    sizeof(why)), -1);
	assert_string_equal(why, "more than 8 tools");
	assert_int_equal(fit_parse_models(&p, "MK3S,", why, sizeof(why)), -1);
	assert_string_equal(why, "model 2 is empty (model = NAME[, NAME ...])");
	assert_true(fit_material_ok("PETG-CF"));
	assert_false(fit_material_ok("PLA;rm"));
	assert_true(fit_is_reason("needs PETG; mk3 has PLA loaded"));
	assert_false(fit_is_reason("awaiting approval"));
}

static void
test_json(void **state)
{
	struct fit_file f;

	(void)state;
	assert_int_equal(fit_file_from_json(&f, "{\"model\":\"MK4S\","
	    "\"nozzle\":[0.4,null],\"materials\":[\"PLA\",\"PETG\"],"
	    "\"bed\":null,\"tools\":[0,1]}"), 0);
	assert_true(f.said);
	assert_string_equal(f.model, "MK4S");
	assert_true(f.nozzle[0] > 0.39 && f.nozzle[0] < 0.41);
	assert_true(f.nozzle[1] == 0);
	assert_string_equal(f.material[1], "PETG");
	assert_int_equal(f.tools, 3);
	assert_int_equal(fit_file_from_json(&f, ""), 0);
	assert_false(f.said);
	assert_int_equal(fit_file_from_json(&f, "null"), 0);
	assert_false(f.said);
	assert_int_equal(fit_file_from_json(&f, "{\"tools\":[99]"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_tools),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
