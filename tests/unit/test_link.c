/* Unit tests for lib/link.c: the protocol engine, driven with bytes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "link.h"

static long long now;

/* Take what the engine wants written, as one string. */
static const char *
written(struct link *lk)
{
	static char buf[LINK_OUTBUF + 1];
	const char *out;
	size_t n = link_output(lk, &out);

	memcpy(buf, out, n);
	buf[n] = '\0';
	link_output_done(lk, n);
	return buf;
}

static void
say(struct link *lk, const char *s)
{
	link_on_bytes(lk, s, strlen(s), now);
}

static enum link_event_type
next_event(struct link *lk, struct link_event *ev)
{
	assert_int_equal(link_next_event(lk, ev), 1);
	return ev->type;
}

static void
ready_link(struct link *lk)
{
	struct link_event ev;

	now = 1000;
	link_init(lk, 5000);
	link_open(lk, now);
	assert_int_equal(lk->state, LINK_WAIT_START);
	assert_string_equal(written(lk), "");
	say(lk, "start\necho:Marlin\n");
	assert_string_equal(written(lk), "N0 M110 N0*125\n");
	say(lk, "ok\n");
	assert_string_equal(written(lk), "N1 M115*39\n");
	say(lk, "FIRMWARE_NAME:Marlin 2.1.2 (Jan 1) SOURCE_CODE_URL:x\n"
	    "Cap:EEPROM:0\nok\n");
	assert_int_equal(next_event(lk, &ev), LINK_EV_INFO); /* echo:Marlin */
	assert_int_equal(next_event(lk, &ev), LINK_EV_READY);
	assert_string_equal(ev.text, "Marlin 2.1.2 (Jan 1)");
	assert_int_equal(lk->state, LINK_IDLE);
}

static void
test_handshake_timeout(void **state)
{
	struct link lk;

	(void)state;
	now = 0;
	link_init(&lk, 3000);
	link_open(&lk, now);
	assert_int_equal(link_timeout(&lk, now), 3000);
	now = 3000;
	link_tick(&lk, now);	/* no banner: handshake anyway */
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	assert_int_equal(lk.state, LINK_HANDSHAKE);
}

static void
test_job_pingpong(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk);
	assert_int_equal(link_job_begin(&lk), 0);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	assert_false(link_wants_line(&lk));
	say(&lk, "ok\n");
	assert_true(link_wants_line(&lk));
	assert_int_equal(link_send_line(&lk, "G90"), 0);
	assert_string_equal(written(&lk), "N1 G90*17\n");
	assert_false(link_wants_line(&lk));	/* one line in flight */
	say(&lk, " T:20.00 /0.00 B:20.00 /0.00 @:0 B@:0\n");	/* no ack */
	assert_false(link_wants_line(&lk));
	say(&lk, "ok\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
	assert_int_equal(ev.line, 1);
	link_send_line(&lk, "M82");
	assert_string_equal(written(&lk), "N2 M82*27\n");
	link_job_input_done(&lk);
	say(&lk, "ok\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_JOB_DONE);
	assert_int_equal(ev.line, 2);
	assert_int_equal(lk.state, LINK_IDLE);
	say(&lk, "ok\n");	/* a stray ok acknowledges nothing */
	assert_int_equal(link_next_event(&lk, &ev), 0);
}

/* Marlin: Error + Resend: n (+ ok in current versions). */
static void
resend_case(int ok_after)
{
	struct link lk;
	struct link_event ev;

	ready_link(&lk);
	link_job_begin(&lk);
	written(&lk);
	say(&lk, "ok\n");
	link_send_line(&lk, "G90");
	written(&lk);
	say(&lk, "Error:checksum mismatch, Last Line: 0\nResend: 1\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_INFO);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_RESEND);
	assert_int_equal(ev.line, 1);
	if (ok_after) {
		say(&lk, "ok\n");	/* the ok that follows Resend: */
	} else {
		assert_string_equal(written(&lk), "");
		assert_true(link_timeout(&lk, now) > 0);
		now += LINK_RESEND_OK_WAIT_MS;
		link_tick(&lk, now);
	}
	assert_string_equal(written(&lk), "N1 G90*17\n");
	assert_false(link_wants_line(&lk));
	say(&lk, "ok\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
	assert_int_equal(ev.line, 1);
	assert_true(link_wants_line(&lk));
	assert_int_equal(lk.resends, 1);
}

static void
test_resend_with_ok(void **state)
{
	(void)state;
	resend_case(1);
}

static void
test_resend_without_ok(void **state)
{
	(void)state;
	resend_case(0);
}

static void
test_resend_burst_collapses(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk);
	link_job_begin(&lk);
	written(&lk);
	say(&lk, "ok\n");
	link_send_line(&lk, "G90");
	written(&lk);
	say(&lk, "Error:checksum mismatch, Last Line: 0\nResend: 1\nok\n"
	    "Error:Line Number is not Last Line Number+1, Last Line: 0\n"
	    "Resend: 1\nok\n");
	/* Line 1 goes out twice at most, never a line that was not asked. */
	assert_string_equal(written(&lk), "N1 G90*17\n");
	while (link_next_event(&lk, &ev))
		;
	say(&lk, "ok\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
}

static void
test_resend_out_of_history_is_fatal(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk);
	link_job_begin(&lk);
	written(&lk);
	say(&lk, "ok\n");
	link_send_line(&lk, "G90");
	written(&lk);
	say(&lk, "Resend: 2399\n");	/* damaged on the wire: never sent */
	assert_int_equal(next_event(&lk, &ev), LINK_EV_FATAL);
	assert_non_null(strstr(ev.text, "line 2399"));
	assert_int_equal(lk.state, LINK_HALTED);
	assert_string_equal(written(&lk), "");
}

static void
test_fatal_and_reset(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk);
	link_job_begin(&lk);
	written(&lk);
	say(&lk, "ok\nError:Thermal Runaway, system stopped! Heater_ID: bed\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_FATAL);
	assert_string_equal(ev.text,
	    "Error:Thermal Runaway, system stopped! Heater_ID: bed");
	assert_false(link_wants_line(&lk));

	ready_link(&lk);
	link_job_begin(&lk);
	written(&lk);
	say(&lk, "ok\nstart\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_RESET);
	assert_int_equal(lk.state, LINK_HANDSHAKE);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
}

static void
test_garbage_replies(void **state)
{
	struct link lk;
	struct link_event ev;
	char junk[1000];
	size_t i;

	(void)state;
	ready_link(&lk);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	link_on_bytes(&lk, junk, sizeof(junk), now);
	while (link_next_event(&lk, &ev))
		assert_int_not_equal(ev.type, LINK_EV_ACK);
	say(&lk, "Resend:\nrs x\n\n\n");
	assert_int_equal(lk.state, LINK_IDLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_job_pingpong),
		cmocka_unit_test(test_resend_with_ok),
		cmocka_unit_test(test_resend_without_ok),
		cmocka_unit_test(test_resend_burst_collapses),
		cmocka_unit_test(test_resend_out_of_history_is_fatal),
		cmocka_unit_test(test_fatal_and_reset),
		cmocka_unit_test(test_garbage_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
