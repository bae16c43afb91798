/* Unit tests for lib/link.c's Klipper rules, driven with the lines
 * Klipper's pseudo-terminal sends. */
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

/* The first event of a type, or 0 when none is waiting. */
static int
find_event(struct link *lk, enum link_event_type t, struct link_event *ev)
{
	while (link_next_event(lk, ev))
		if (ev->type == t)
			return 1;
	return 0;
}

static void
kl_opts(struct link_opts *o, enum link_flavour f)
{
	link_opts_default(o);
	o->handshake_timeout_ms = 5000;
	o->ok_timeout_ms = 2000;
	o->sync_ms = 0;
	o->stall_ms = 0;
	o->silence_ms = 0;
	o->flavour = f;
}

/* M110, M115 (its name in the "ok"), STATUS answered Ready. */
static void
ready_klipper(struct link *lk)
{
	struct link_opts o;
	struct link_event ev;

	kl_opts(&o, LINK_FLAVOUR_KLIPPER);
	now = 1000;
	link_init(lk, &o);
	link_open(lk, now);
	/* No "start" to wait for. */
	assert_string_equal(written(lk), "N0 M110 N0*125\n");
	say(lk, "ok\n");
	/* No damaged line: Klipper would run it. */
	assert_string_equal(written(lk), "N1 M115*39\n");
	say(lk, "ok FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v0.12.0\n");
	assert_int_equal(lk->state, LINK_HANDSHAKE);
	assert_string_equal(written(lk), "N2 STATUS*72\n");
	say(lk, "// Klipper state: Ready\nok\n");
	assert_int_equal(find_event(lk, LINK_EV_READY, &ev), 1);
	assert_string_equal(ev.text, "Klipper FIRMWARE_VERSION:v0.12.0");
	assert_int_equal(lk->state, LINK_IDLE);
	while (link_next_event(lk, &ev))
		;
}

static void
send_lines(struct link *lk, int n)
{
	char cmd[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd), "G1 X%d", i + 1);
		assert_int_equal(link_send_line(lk, cmd, now), 0);
	}
}

/* M110 and M115 answer while Klipper is shut down: not ready until it
 * says so. */
static void
test_not_ready_until_ready(void **state)
{
	struct link lk;
	struct link_opts o;
	struct link_event ev;

	(void)state;
	kl_opts(&o, LINK_FLAVOUR_KLIPPER);
	now = 0;
	link_init(&lk, &o);
	link_open(&lk, now);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	say(&lk, "ok\n");
	assert_string_equal(written(&lk), "N1 M115*39\n");
	say(&lk, "ok FIRMWARE_NAME:Klipper FIRMWARE_VERSION:?\n");
	assert_string_equal(written(&lk), "N2 STATUS*72\n");
	say(&lk, "// Lost communication with MCU 'mcu'\n"
	    "// Klipper state: Not ready\n"
	    "!! Lost communication with MCU 'mcu'\nok\n");
	assert_int_equal(find_event(&lk, LINK_EV_READY, &ev), 0);
	assert_int_equal(lk.state, LINK_HANDSHAKE);
	assert_int_equal(link_job_begin(&lk, now), -1);
	/* Asked again a handshake timeout later, still not ready. */
	now += 5000;
	link_tick(&lk, now);
	assert_string_equal(written(&lk), "N2 STATUS*72\n");
	say(&lk, "// Klipper state: Not ready\n!! Printer is not ready\nok\n");
	assert_int_equal(find_event(&lk, LINK_EV_READY, &ev), 0);
	/* A FIRMWARE_RESTART done: Ready, unasked. */
	say(&lk, "// Klipper state: Ready\n");
	assert_int_equal(find_event(&lk, LINK_EV_READY, &ev), 1);
	assert_int_equal(lk.state, LINK_IDLE);
}

/* A Klipper on a plain serial: path is found by its M115 answer to the
 * damaged probe, which it ran as it was. */
static void
test_detected_by_name(void **state)
{
	struct link lk;
	struct link_opts o;
	struct link_event ev;

	(void)state;
	kl_opts(&o, LINK_FLAVOUR_AUTO);
	o.handshake_timeout_ms = 0;
	now = 0;
	link_init(&lk, &o);
	link_open(&lk, now);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	say(&lk, "ok\n");
	assert_string_equal(written(&lk), "N1 M115*30\n");
	say(&lk, "ok FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v0.12.0-1\n");
	assert_int_equal(lk.klipper, 1);
	assert_string_equal(written(&lk), "N2 STATUS*72\n");
	say(&lk, "// Klipper state: Ready\nok\n");
	assert_int_equal(find_event(&lk, LINK_EV_READY, &ev), 1);
	assert_string_equal(ev.text, "Klipper FIRMWARE_VERSION:v0.12.0-1");
}

/* A shutdown mid-job: nothing more is sent, and the job ends with the
 * reason the lines in flight were answered with. */
static void
test_shutdown_mid_job(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	say(&lk, "ok\n");
	send_lines(&lk, 3);
	assert_true(strlen(written(&lk)) > 0);
	say(&lk, "ok\n");
	say(&lk, "// Klipper state: Shutdown\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 0);
	/* More lines given: none goes. */
	send_lines(&lk, 1);
	say(&lk, "// MCU 'mcu' shutdown: Stepper too far in past\n"
	    "// Once the underlying issue is corrected, use the\n"
	    "// Printer is shutdown\n"
	    "!! MCU 'mcu' shutdown: Stepper too far in past\nok\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 1);
	assert_string_equal(ev.text, "Klipper shut down: MCU 'mcu' shutdown:"
	    " Stepper too far in past");
	assert_int_equal(lk.state, LINK_HALTED);
	say(&lk, "// Printer is shutdown\n!! MCU 'mcu' shutdown: x\nok\n");
	link_job_input_done(&lk);
	assert_int_equal(find_event(&lk, LINK_EV_JOB_DONE, &ev), 0);
	assert_string_equal(written(&lk), "");
}

/* The shutdown's words without the state line (it was lost in a
 * reconnect): the same end. */
static void
test_shutdown_answers(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	send_lines(&lk, 2);
	written(&lk);
	say(&lk, "// Lost communication with MCU 'mcu'\n"
	    "// Printer is shutdown\n!! Lost communication with MCU 'mcu'\n"
	    "ok\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 1);
	assert_string_equal(ev.text, "Klipper shut down: Lost communication"
	    " with MCU 'mcu'");
	assert_int_equal(link_send_line(&lk, "G1 X9", now), -1);
	assert_string_equal(written(&lk), "");
}

/* Shut down with nothing in flight: no reason will come. */
static void
test_shutdown_nothing_in_flight(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	say(&lk, "// Klipper state: Shutdown\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 1);
	assert_string_equal(ev.text, "Klipper shut down: Klipper state:"
	    " Shutdown");
	/* Mid-job, lines in flight whose answers never come. */
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	send_lines(&lk, 1);
	written(&lk);
	say(&lk, "// Klipper state: Shutdown\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 0);
	assert_true(link_timeout(&lk, now) <= 1000);
	now += 1000;
	link_tick(&lk, now);
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 1);
	/* Mid-job, every line answered: STATUS asks for the reason. */
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	send_lines(&lk, 1);
	written(&lk);
	say(&lk, "ok\n// Klipper state: Shutdown\n");
	assert_string_equal(written(&lk), "STATUS\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 0);
	say(&lk, "// Heater extruder not heating at expected rate\n"
	    "// Klipper state: Not ready\n"
	    "!! Heater extruder not heating at expected rate\nok\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 1);
	assert_string_equal(ev.text, "Klipper shut down: Heater extruder not"
	    " heating at expected rate");
	assert_string_equal(written(&lk), "");
}

/* "ok B:x /y T0:x /y", and the bare lines of M109's wait. */
static void
test_temps(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	say(&lk, "ok B:60.1 /60.0 T0:150.3 /205.0\n");
	assert_int_equal(find_event(&lk, LINK_EV_TEMPS, &ev), 1);
	assert_int_equal(lk.ntemps, 2);
	assert_string_equal(lk.temps[0].name, "B");
	assert_string_equal(lk.temps[1].name, "T0");
	assert_true(lk.temps[1].actual > 150.2 && lk.temps[1].actual < 150.4);
	assert_true(lk.temps[1].target > 204.9);
	say(&lk, "B:61.0 /60.0 T0:190.0 /205.0\n");
	assert_int_equal(find_event(&lk, LINK_EV_TEMPS, &ev), 1);
	assert_true(lk.temps[1].actual > 189.9 && lk.temps[1].actual < 190.1);
}

/* A long wait (TEMPERATURE_WAIT, a macro) with a line now and then is
 * alive, however long; silence still ends it. */
static void
test_wait_alive(void **state)
{
	struct link lk;
	struct link_event ev;
	int i;

	(void)state;
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	assert_int_equal(link_send_line(&lk,
	    "TEMPERATURE_WAIT SENSOR=extruder MINIMUM=200", now), 0);
	written(&lk);
	for (i = 0; i < 600; i++) {
		now += 1000;
		say(&lk, i % 2 ? "B:60.0 /60.0 T0:120.0 /205.0\n" :
		    "// heating\n");
		link_tick(&lk, now);
		assert_int_equal(find_event(&lk, LINK_EV_TIMEOUT, &ev), 0);
	}
	assert_int_equal(lk.state, LINK_PRINTING);
	/* Klipper lost no "ok": no M105 probe goes behind the wait. */
	assert_string_equal(written(&lk), "");
	say(&lk, "ok\n");
	assert_int_equal(link_lines_acked(&lk), 1);
	/* Silent for good: it ends after max_timeouts periods. */
	assert_int_equal(link_send_line(&lk, "G28", now), 0);
	written(&lk);
	for (i = 0; i < 10 && lk.state == LINK_PRINTING; i++) {
		now += 2000;
		link_tick(&lk, now);
	}
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 1);
	assert_string_equal(written(&lk), "");
}

/* "!! ..." a command dropped: news for the backend, the job goes on
 * (the "ok" follows). */
static void
test_error_goes_on(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	send_lines(&lk, 2);
	written(&lk);
	say(&lk, "!! Must home axis first: 1.000 0.000 0.000 [0.000]\nok\n");
	assert_int_equal(find_event(&lk, LINK_EV_INFO, &ev), 1);
	assert_string_equal(ev.text, "!! Must home axis first: 1.000 0.000"
	    " 0.000 [0.000]");
	assert_int_equal(lk.state, LINK_PRINTING);
	assert_int_equal(link_lines_acked(&lk), 1);
	say(&lk, "ok\n");
	link_job_input_done(&lk);
	assert_int_equal(find_event(&lk, LINK_EV_JOB_DONE, &ev), 1);
}

/* "// action:paused", with its space, as "//action:paused". */
static void
test_action_space(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	say(&lk, "// action:paused\n");
	assert_int_equal(find_event(&lk, LINK_EV_ACTION, &ev), 1);
	assert_string_equal(ev.text, "paused");
	say(&lk, "//action:resumed\n");
	assert_int_equal(find_event(&lk, LINK_EV_ACTION, &ev), 1);
	assert_string_equal(ev.text, "resumed");
}

/* "ok T:0" (Klipper's M105 before its heaters are set up) answers its
 * line in order, as any "ok". */
static void
test_ok_in_order(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	assert_int_equal(link_send_line(&lk, "G1 X1", now), 0);
	assert_int_equal(link_send_line(&lk, "M105", now), 0);
	written(&lk);
	say(&lk, "ok T:0\n");
	assert_int_equal(link_lines_acked(&lk), 1);
	say(&lk, "ok B:0.0 /0.0 T0:0.0 /0.0\n");
	assert_int_equal(link_lines_acked(&lk), 2);
	link_job_input_done(&lk);
	assert_int_equal(find_event(&lk, LINK_EV_JOB_DONE, &ev), 1);
}

/* Only UTF-8 goes to Klipper. */
static void
test_utf8_only(void **state)
{
	struct link lk;
	struct link_event ev;
	const char *w;

	(void)state;
	assert_int_equal(link_utf8_valid("M117 caf\xc3\xa9", 10), 1);
	assert_int_equal(link_utf8_valid("M117 caf\xe9", 9), 0);
	assert_int_equal(link_utf8_valid("\xc3", 1), 0);
	assert_int_equal(link_utf8_valid("\xed\xa0\x80", 3), 0);
	assert_int_equal(link_utf8_valid("\xc0\xaf", 2), 0);
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	assert_int_equal(link_send_line(&lk, "M117 caf\xe9 \xc3\xa9t\xc3", now),
	    0);
	w = written(&lk);
	assert_non_null(strstr(w, "M117 caf? \xc3\xa9t?*"));
	assert_int_equal(link_utf8_valid(w, strlen(w)), 1);
	assert_int_equal(find_event(&lk, LINK_EV_INFO, &ev), 1);
	assert_non_null(strstr(ev.text, "not UTF-8"));
}

/* M112 goes out of band, ahead of what waits, and the link halts. */
static void
test_emergency(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_klipper(&lk);
	assert_int_equal(link_job_begin(&lk, now), 0);
	written(&lk);
	say(&lk, "ok\n");
	send_lines(&lk, 3);
	link_emergency_stop(&lk);
	assert_string_equal(written(&lk), "M112\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 1);
	/* Klipper's own words after it are news, not a second end. */
	say(&lk, "// Klipper state: Shutdown\n");
	assert_int_equal(find_event(&lk, LINK_EV_FATAL, &ev), 0);
	assert_string_equal(written(&lk), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_ready_until_ready),
		cmocka_unit_test(test_detected_by_name),
		cmocka_unit_test(test_shutdown_mid_job),
		cmocka_unit_test(test_shutdown_answers),
		cmocka_unit_test(test_shutdown_nothing_in_flight),
		cmocka_unit_test(test_temps),
		cmocka_unit_test(test_wait_alive),
		cmocka_unit_test(test_error_goes_on),
		cmocka_unit_test(test_action_space),
		cmocka_unit_test(test_ok_in_order),
		cmocka_unit_test(test_utf8_only),
		cmocka_unit_test(test_emergency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
