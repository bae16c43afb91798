/* Unit tests for lib/prompt.c: a firmware's host prompt, followed line
 * by line as Marlin sends it, bounded, and its choices named. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "prompt.h"

/* M600 with HOST_PROMPT_SUPPORT: end, begin, a button, show. */
static void
test_filament_change(void **state)
{
	struct prompt pr;
	char b[256], why[256];

	(void)state;
	prompt_init(&pr);
	assert_int_equal(prompt_action(&pr, "prompt_end"), PROMPT_NONE);
	assert_int_equal(prompt_action(&pr, "prompt_begin Nozzle Parked"),
	    PROMPT_BEGUN);
	assert_int_equal(prompt_action(&pr, "prompt_button Continue"),
	    PROMPT_NONE);
	assert_int_equal(prompt_action(&pr, "prompt_show"), PROMPT_SHOWN);
	assert_string_equal(pr.text, "Nozzle Parked");
	assert_int_equal(pr.nbuttons, 1);
	prompt_buttons(&pr, b, sizeof(b));
	assert_string_equal(b, "Continue");
	assert_int_equal(prompt_choice(&pr, "0", why, sizeof(why)), 0);
	assert_int_equal(prompt_choice(&pr, "CONTINUE", why, sizeof(why)), 0);
	assert_int_equal(prompt_choice(&pr, "1", why, sizeof(why)), -1);
	assert_string_equal(why, "no button 1: the choices are 0 Continue");
	assert_int_equal(prompt_choice(&pr, "Abort", why, sizeof(why)), -1);
	assert_string_equal(why,
	    "no button 'Abort': the choices are 0 Continue");
	assert_int_equal(prompt_choice(&pr, "", why, sizeof(why)), -1);
	assert_int_equal(prompt_choice(&pr, "0x", why, sizeof(why)), -1);
	assert_int_equal(prompt_choice(&pr, "-0", why, sizeof(why)), -1);
	assert_int_equal(prompt_action(&pr, "prompt_end"), PROMPT_ENDED);
	assert_int_equal(pr.open, 0);
	assert_int_equal(prompt_choice(&pr, "0", why, sizeof(why)), -1);
	assert_string_equal(why, "no prompt is open");
}

/* The purge question, two buttons; a button after show shows again;
 * older firmware's prompt_choice is a button too. */
static void
test_buttons(void **state)
{
	struct prompt pr;
	char b[256], why[256];

	(void)state;
	prompt_init(&pr);
	prompt_action(&pr, "prompt_begin Paused");
	prompt_action(&pr, "prompt_button PurgeMore");
	assert_int_equal(prompt_action(&pr, "prompt_show"), PROMPT_SHOWN);
	assert_int_equal(prompt_action(&pr, "prompt_choice Continue"),
	    PROMPT_SHOWN);
	prompt_buttons(&pr, b, sizeof(b));
	assert_string_equal(b, "PurgeMore\nContinue");
	assert_int_equal(prompt_choice_of(b, "1", why, sizeof(why)), 1);
	assert_int_equal(prompt_choice_of(b, "purgemore", why, sizeof(why)),
	    0);
	assert_int_equal(prompt_choice_of(b, "Purge", why, sizeof(why)), -1);
	assert_string_equal(why, "no button 'Purge': the choices are"
	    " 0 PurgeMore, 1 Continue");
	assert_int_equal(prompt_choice_of("", "0", why, sizeof(why)), -1);
	assert_string_equal(why, "the prompt has no buttons to choose");
	/* A new begin replaces it, not shown until its show. */
	assert_int_equal(prompt_action(&pr, "prompt_begin FilamentRunout T0"),
	    PROMPT_BEGUN);
	assert_int_equal(pr.nbuttons, 0);
	assert_int_equal(pr.shown, 0);
}

/* Outside a prompt, buttons and shows are nothing; other actions and
 * look-alike words are not a prompt's. */
/* Klipper's macro buttons, LABEL|GCODE|STYLE and the footer's: the
 * label is the button, the G-code its answer (the label where none is
 * named); Marlin's buttons run none. */
static void
test_klipper_buttons(void **state)
{
	struct prompt pr;
	char b[256];

	(void)state;
	prompt_init(&pr);
	prompt_action(&pr, "prompt_begin Filament change");
	prompt_action(&pr, "prompt_text Load the new spool");
	prompt_action(&pr, "prompt_button Load|LOAD_FILAMENT T=0|primary");
	prompt_action(&pr, "prompt_footer_button Skip||secondary");
	prompt_action(&pr, "prompt_button Resume|RESUME");
	prompt_action(&pr, "prompt_button Continue");
	assert_int_equal(prompt_action(&pr, "prompt_show"), PROMPT_SHOWN);
	assert_string_equal(pr.text, "Filament change");
	prompt_buttons(&pr, b, sizeof(b));
	assert_string_equal(b, "Load\nSkip\nResume\nContinue");
	assert_string_equal(pr.gcode[0], "LOAD_FILAMENT T=0");
	assert_string_equal(pr.gcode[1], "Skip");
	assert_string_equal(pr.gcode[2], "RESUME");
	assert_string_equal(pr.gcode[3], "");
}

static void
test_not_prompts(void **state)
{
	struct prompt pr;

	(void)state;
	prompt_init(&pr);
	assert_int_equal(prompt_action(&pr, "prompt_button Continue"),
	    PROMPT_NONE);
	assert_int_equal(prompt_action(&pr, "prompt_show"), PROMPT_NONE);
	assert_int_equal(pr.nbuttons, 0);
	assert_int_equal(prompt_is_action("paused"), 0);
	assert_int_equal(prompt_is_action("prompt_begin x"), 1);
	assert_int_equal(prompt_action(&pr, "prompt_beginning x"),
	    PROMPT_NONE);
	assert_int_equal(pr.open, 0);
	assert_int_equal(prompt_action(&pr, "pause"), PROMPT_NONE);
}

/* Hostile words: control bytes and bad UTF-8 cleaned, the message and
 * each button bounded, buttons past the bound dropped and counted. */
static void
test_hostile(void **state)
{
	struct prompt pr;
	char long_text[600], act[700];
	int i;

	(void)state;
	prompt_init(&pr);
	prompt_action(&pr, "prompt_begin Bad\x1b[2Jwords \xff\r");
	assert_string_equal(pr.text, "Bad?[2Jwords ?");
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	snprintf(act, sizeof(act), "prompt_begin %s", long_text);
	prompt_action(&pr, act);
	assert_int_equal(strlen(pr.text), PROMPT_TEXT - 1);
	snprintf(act, sizeof(act), "prompt_button %s", long_text);
	for (i = 0; i < PROMPT_BUTTONS + 3; i++)
		prompt_action(&pr, act);
	assert_int_equal(pr.nbuttons, PROMPT_BUTTONS);
	assert_int_equal(pr.dropped, 3);
	assert_int_equal(strlen(pr.button[0]), PROMPT_BUTTON - 1);
	prompt_action(&pr, "prompt_button \t");
	assert_int_equal(pr.nbuttons, PROMPT_BUTTONS);
	prompt_action(&pr, "prompt_end");
	prompt_action(&pr, "prompt_begin x");
	prompt_action(&pr, "prompt_button");	/* no text: no button */
	assert_int_equal(pr.nbuttons, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filament_change),
		cmocka_unit_test(test_buttons),
		cmocka_unit_test(test_klipper_buttons),
		cmocka_unit_test(test_not_prompts),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
