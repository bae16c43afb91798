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

static void
drain(struct link *lk)
{
	struct link_event ev;

	while (link_next_event(lk, &ev))
		;
}

/* The next event of a type, skipping INFO and TEMPS. */
static enum link_event_type
next_event(struct link *lk, struct link_event *ev)
{
	do
		assert_int_equal(link_next_event(lk, ev), 1);
	while (ev->type == LINK_EV_INFO || ev->type == LINK_EV_TEMPS);
	return ev->type;
}

static void
opts(struct link_opts *o, int window, enum link_resend_ok rok)
{
	link_opts_default(o);
	o->handshake_timeout_ms = 5000;
	o->ok_timeout_ms = 2000;
	o->sync_ms = 0;
	o->stall_ms = 0;
	o->silence_ms = 0;
	o->window = window;
	o->resend_ok = rok;
}

/* Open and greet: banner, M110, (probe), M115. */
static void
ready_link(struct link *lk, int window, enum link_resend_ok rok)
{
	struct link_opts o;
	struct link_event ev;

	opts(&o, window, rok);
	now = 1000;
	link_init(lk, &o);
	link_open(lk, now);
	assert_int_equal(lk->state, LINK_WAIT_START);
	assert_string_equal(written(lk), "");
	say(lk, "start\necho:Marlin\n");
	assert_string_equal(written(lk), "N0 M110 N0*125\n");
	say(lk, "ok\n");
	assert_string_equal(written(lk), "N1 M115*39\n");
	say(lk, "FIRMWARE_NAME:Marlin 2.1.2 (Jan 1) SOURCE_CODE_URL:x\n"
	    "Cap:AUTOREPORT_TEMP:1\nCap:EMERGENCY_PARSER:1\nok\n");
	/* Auto-reports: the link asks for them every 2 s. */
	assert_string_equal(written(lk), "N2 M155 S2*97\n");
	assert_int_equal(lk->state, LINK_HANDSHAKE);
	say(lk, "ok\n");
	assert_int_equal(next_event(lk, &ev), LINK_EV_READY);
	assert_string_equal(ev.text, "Marlin 2.1.2 (Jan 1)");
	assert_int_equal(lk->state, LINK_IDLE);
	assert_int_equal(lk->cap_autoreport, 1);
	assert_int_equal(lk->cap_emergency, 1);
	drain(lk);
}

static void
test_handshake_probe(void **state)
{
	struct link lk;
	struct link_opts o;
	struct link_event ev;
	int with_ok;

	(void)state;
	for (with_ok = 0; with_ok <= 1; with_ok++) {
		opts(&o, 4, LINK_RESEND_OK_AUTO);
		now = 0;
		link_init(&lk, &o);
		link_open(&lk, now);
		say(&lk, "start\n");
		assert_string_equal(written(&lk), "N0 M110 N0*125\n");
		say(&lk, "ok\n");
		/* A deliberately damaged M115: checksum 39 written 30. */
		assert_string_equal(written(&lk), "N1 M115*30\n");
		say(&lk, "Error:checksum mismatch, Last Line: 0\nResend: 1\n");
		assert_string_equal(written(&lk), "");
		if (with_ok)
			say(&lk, "ok\n");
		else {
			now += LINK_RESEND_OK_WAIT_MS;
			link_tick(&lk, now);
		}
		assert_int_equal(lk.resend_ok, with_ok);
		assert_string_equal(written(&lk), "N1 M115*39\n");
		say(&lk, "ok\n");
		assert_int_equal(next_event(&lk, &ev), LINK_EV_READY);
		assert_int_equal(lk.resends, 0);
	}
}

static void
test_handshake_timeout(void **state)
{
	struct link lk;
	struct link_opts o;

	(void)state;
	opts(&o, 4, LINK_RESEND_OK_YES);
	o.handshake_timeout_ms = 3000;
	now = 0;
	link_init(&lk, &o);
	link_open(&lk, now);
	assert_int_equal(link_timeout(&lk, now), 3000);
	now = 3000;
	link_tick(&lk, now);	/* no banner: greet anyway */
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	assert_int_equal(lk.state, LINK_HANDSHAKE);
	now = 6000;
	link_tick(&lk, now);	/* no answer: greet again */
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
}

static void
test_job_pingpong(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk, 1, LINK_RESEND_OK_YES);
	assert_int_equal(link_job_begin(&lk, now), 0);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	assert_false(link_wants_line(&lk));
	say(&lk, "ok\n");
	assert_true(link_wants_line(&lk));
	assert_int_equal(link_send_line(&lk, "G90", now), 0);
	assert_string_equal(written(&lk), "N1 G90*17\n");
	assert_false(link_wants_line(&lk));	/* one line in flight */
	say(&lk, " T:20.00 /0.00 B:20.00 /0.00 @:0 B@:0\n");	/* no ack */
	assert_false(link_wants_line(&lk));
	say(&lk, "ok\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
	assert_int_equal(ev.line, 1);
	link_send_line(&lk, "M82", now);
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

/* Is line n of the history an M105? */
static int
line_is_m105(const struct link *lk, long n)
{
	return strstr(lk->history[n % LINK_HISTORY], " M105*") != NULL;
}

/* Feed n numbered moves while the engine takes them. */
static int
feed(struct link *lk, int *next, int last)
{
	char cmd[64];
	int fed = 0;

	while (*next <= last && link_wants_line(lk)) {
		snprintf(cmd, sizeof(cmd), "G1 X%d.123 Y%d.456 E0.0123", *next,
		    *next);
		assert_int_equal(link_send_line(lk, cmd, now), 0);
		(*next)++;
		fed++;
	}
	return fed;
}

static void
test_window_bounds(void **state)
{
	struct link lk;
	int next = 1, i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	written(&lk);
	/* Each framed move is 31 bytes: four fit 127 bytes. */
	feed(&lk, &next, 100);
	assert_string_equal(written(&lk),
	    "N1 G1 X1.123 Y1.456 E0.0123*84\n"
	    "N2 G1 X2.123 Y2.456 E0.0123*87\n"
	    "N3 G1 X3.123 Y3.456 E0.0123*86\n"
	    "N4 G1 X4.123 Y4.456 E0.0123*81\n");
	assert_true(lk.inflight_bytes <= 127);
	for (i = 0; i < 50; i++) {
		say(&lk, "ok\n");
		feed(&lk, &next, 100);
		/* Four lines of 31 bytes, three once they grow to 33. */
		assert_int_equal(lk.sent_n - lk.acked_n, next <= 10 ? 4 : 3);
		assert_true(lk.inflight_bytes <= 127);
	}
	/* A small receive buffer bounds the bytes: two lines of 31. */
	lk.opts.rx_buffer = 64;
	lk.budget = 63;
	for (i = 0; i < 10; i++) {
		say(&lk, "ok\n");
		feed(&lk, &next, 100);
	}
	assert_true(lk.inflight_bytes <= 63);
	assert_int_equal(lk.sent_n - lk.acked_n, 1);	/* 33-byte lines */
}

/* Marlin: lines 1..3 in flight, 2 damaged: Error, Resend: 2, (ok),
 * then the ok line 1 still owes; line 3 was drained. */
static void
resend_case(int ok_after)
{
	struct link lk;
	struct link_event ev;
	int next = 1;

	ready_link(&lk, 4, ok_after ? LINK_RESEND_OK_YES : LINK_RESEND_OK_NO);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	written(&lk);
	feed(&lk, &next, 3);
	written(&lk);
	say(&lk, "Error:checksum mismatch, Last Line: 1\nResend: 2\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_RESEND);
	assert_int_equal(ev.line, 2);
	if (ok_after)
		say(&lk, "ok\n");	/* Resend:'s own: acks nothing */
	assert_int_equal(lk.acked_n, 0);
	/* The burst from line 3 arriving after the drain collapses. */
	say(&lk, "Error:Line Number is not Last Line Number+1, Last Line: 1\n"
	    "Resend: 2\n");
	if (ok_after)
		say(&lk, "ok\n");
	assert_int_equal(lk.acked_n, 0);
	assert_string_equal(written(&lk), "");	/* the burst goes on */
	assert_false(link_wants_line(&lk));
	now += 10;
	link_tick(&lk, now);
	/* Passed: from line 2, with the whole window, while line 1 still
	 * owes its ok. */
	assert_string_equal(written(&lk), "N2 G1 X2.123 Y2.456 E0.0123*87\n"
	    "N3 G1 X3.123 Y3.456 E0.0123*86\n");
	assert_true(link_wants_line(&lk));
	feed(&lk, &next, 10);
	assert_string_equal(written(&lk), "N4 G1 X4.123 Y4.456 E0.0123*81\n");
	say(&lk, "ok\n");		/* line 1 */
	assert_int_equal(lk.acked_n, 1);
	say(&lk, "ok\nok\n");
	assert_int_equal(lk.acked_n, 3);
	feed(&lk, &next, 10);
	assert_int_equal(lk.sent_n - lk.acked_n, 4);
	assert_int_equal(lk.resends, 2);
	assert_int_equal(lk.faults, 1);	/* one fault, counted once */
	assert_int_equal(lk.budget, 127);	/* noise: the window stays */
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
test_lost_ok_recovered_by_m105(void **state)
{
	struct link lk;
	struct link_event ev;
	int next = 1;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	feed(&lk, &next, 2);
	link_job_input_done(&lk);
	written(&lk);
	say(&lk, "ok\no{\n");	/* the second ok arrives damaged */
	assert_int_equal(lk.acked_n, 1);
	drain(&lk);
	assert_int_equal(link_timeout(&lk, now), 2000);
	now += 2000;
	link_tick(&lk, now);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_TIMEOUT);
	assert_string_equal(written(&lk), "N3 M105*36\n");
	say(&lk, "ok T:20.00 /0.00 B:20.00 /0.00 @:0 B@:0\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
	assert_int_equal(ev.line, 2);	/* job lines, not the probe */
	assert_int_equal(next_event(&lk, &ev), LINK_EV_JOB_DONE);
	assert_int_equal(lk.ntemps, 2);
}

/* The reply of an M105 in flight is lost too: the timeout's M105 goes
 * anyway, and its reply answers the oldest M105, never more. */
static void
test_lost_probe_reply(void **state)
{
	struct link lk;
	struct link_event ev;
	int next = 1;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	feed(&lk, &next, 1);
	assert_int_equal(link_send_line(&lk, "M105", now), 0);
	link_job_input_done(&lk);
	written(&lk);
	say(&lk, "ok\n");		/* line 1; the M105's reply is lost */
	assert_int_equal(lk.acked_n, 1);
	assert_int_equal(lk.nprobes, 1);
	drain(&lk);
	now += 2000;
	link_tick(&lk, now);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_TIMEOUT);
	assert_string_equal(written(&lk), "");	/* it may be late */
	now += 2000;
	link_tick(&lk, now);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_TIMEOUT);
	assert_string_equal(written(&lk), "N3 M105*36\n");
	say(&lk, "ok T:20.00 /0.00\n");	/* taken for line 2's */
	assert_int_equal(lk.acked_n, 2);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
	assert_int_equal(ev.line, 2);
	now += 4000;
	link_tick(&lk, now);
	link_tick(&lk, now + 2000);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_TIMEOUT);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_TIMEOUT);
	assert_string_equal(written(&lk), "N4 M105*35\n");
	say(&lk, "ok T:20.00 /0.00\n");
	assert_int_equal(lk.acked_n, 3);
	say(&lk, "ok T:20.00 /0.00\n");
	while (next_event(&lk, &ev) == LINK_EV_ACK)
		assert_int_equal(ev.line, 2);
	assert_int_equal(ev.type, LINK_EV_JOB_DONE);
}

static void
test_silence_is_fatal(void **state)
{
	struct link lk;
	struct link_event ev;
	int next = 1, i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	feed(&lk, &next, 2);
	for (i = 0; i <= lk.opts.max_timeouts; i++) {
		now += lk.opts.ok_timeout_ms;
		link_tick(&lk, now);
	}
	while (next_event(&lk, &ev) == LINK_EV_TIMEOUT)
		;
	assert_int_equal(ev.type, LINK_EV_FATAL);
	assert_non_null(strstr(ev.text, "stopped answering"));
	assert_int_equal(lk.state, LINK_HALTED);
}

static void
test_long_command_kept_alive(void **state)
{
	struct link lk;
	struct link_event ev;
	int i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	link_send_line(&lk, "M109 S210", now);
	written(&lk);
	/* Ten timeouts' worth of heating, reported every second. */
	for (i = 0; i < 10 * 2; i++) {
		now += 1000;
		say(&lk, " T:150.00 /210.00 B:60.00 /60.00 @:127 B@:0 W:?\n");
		link_tick(&lk, now);
	}
	while (link_next_event(&lk, &ev))
		assert_int_not_equal(ev.type, LINK_EV_TIMEOUT);
	assert_string_equal(written(&lk), "");
	/* Busy keepalives do the same for any command. */
	say(&lk, "ok\n");
	link_send_line(&lk, "G28", now);
	for (i = 0; i < 20; i++) {
		now += 1000;
		say(&lk, "echo:busy: processing\n");
		link_tick(&lk, now);
	}
	while (link_next_event(&lk, &ev))
		assert_int_not_equal(ev.type, LINK_EV_TIMEOUT);
}

static void
test_advanced_ok(void **state)
{
	struct link lk;
	int next = 1;

	(void)state;
	ready_link(&lk, 8, LINK_RESEND_OK_YES);
	lk.opts.rx_buffer = 4096;
	link_job_begin(&lk, now);
	say(&lk, "ok N0 P15 B3\n");
	assert_int_equal(lk.cmd_slots, 3);	/* learnt: 3 slots */
	feed(&lk, &next, 20);
	assert_int_equal(lk.sent_n - lk.acked_n, 3);
	say(&lk, "ok N2 P15 B1\n");	/* names its line: acks 1 and 2 */
	assert_int_equal(lk.acked_n, 2);
}

static void
test_damaged_resend_ignored(void **state)
{
	struct link lk;
	struct link_event ev;
	int next = 1;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	feed(&lk, &next, 3);
	written(&lk);
	drain(&lk);
	say(&lk, "Resend: 2399\n");	/* never sent */
	assert_int_equal(link_next_event(&lk, &ev), 1);
	assert_int_equal(ev.type, LINK_EV_INFO);
	assert_non_null(strstr(ev.text, "ignored a request for line 2399"));
	assert_int_equal(lk.state, LINK_PRINTING);
	assert_int_equal(lk.recovering, 0);
	assert_string_equal(written(&lk), "");
}

static void
test_merged_oks(void **state)
{
	struct link lk;
	int next = 1;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	lk.opts.rx_buffer = 4096;
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	feed(&lk, &next, 4);
	say(&lk, "okok\n");
	assert_int_equal(lk.acked_n, 2);
}

static void
test_fatal_and_reset(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	written(&lk);
	say(&lk, "ok\nError:Thermal Runaway, system stopped! Heater_ID: bed\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_FATAL);
	assert_string_equal(ev.text,
	    "Error:Thermal Runaway, system stopped! Heater_ID: bed");
	assert_false(link_wants_line(&lk));

	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	written(&lk);
	say(&lk, "ok\nstart\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_RESET);
	assert_int_equal(lk.state, LINK_HANDSHAKE);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
}

static void
test_actions(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	say(&lk, "//action:pause\n//action:notification Filament runout\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACTION);
	assert_string_equal(ev.text, "pause");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACTION);
	assert_string_equal(ev.text, "notification Filament runout");
}

/* Without AUTOREPORT_TEMP the idle link polls M105; a job that begins
 * while its "ok" is owed waits for it, so the answer is not taken for
 * the job's first acknowledgement. */
static void
test_idle_poll(void **state)
{
	struct link lk;
	struct link_opts o;
	struct link_event ev;

	(void)state;
	opts(&o, 4, LINK_RESEND_OK_YES);
	o.sync_ms = 2000;
	now = 0;
	link_init(&lk, &o);
	link_open(&lk, now);
	say(&lk, "start\n");
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	say(&lk, "ok\n");
	assert_string_equal(written(&lk), "N1 M115*39\n");
	say(&lk, "FIRMWARE_NAME:Marlin 1.1.9\nCap:AUTOREPORT_TEMP:0\nok\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_READY);
	assert_int_equal(link_timeout(&lk, now), 2000);
	now += 2000;
	link_tick(&lk, now);
	assert_string_equal(written(&lk), "M105\n");
	link_tick(&lk, now + 10);
	assert_string_equal(written(&lk), "");	/* one at a time */
	assert_int_equal(link_job_begin(&lk, now), 0);
	assert_string_equal(written(&lk), "");	/* M110 waits */
	say(&lk, "ok T:20.0 /0.0 B:20.0 /0.0\n");
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	assert_int_equal(lk.acked_n, -1);
	say(&lk, "ok\n");
	assert_int_equal(lk.acked_n, 0);
	/* An idle answer that never comes holds a job back 2 s at most. */
	link_send_line(&lk, "G28", now);
	link_job_input_done(&lk);
	assert_string_equal(written(&lk), "N1 G28*18\n");
	say(&lk, "ok\n");
	drain(&lk);
	assert_int_equal(lk.state, LINK_IDLE);
	now += 2000;
	link_tick(&lk, now);
	assert_string_equal(written(&lk), "M105\n");
	assert_int_equal(link_job_begin(&lk, now), 0);
	assert_string_equal(written(&lk), "");
	assert_int_equal(link_timeout(&lk, now), 2000);
	now += 2000;
	link_tick(&lk, now);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
}

/* The job's M110 damaged on the way: the firmware still counts from its
 * last line and asks for the one after it.  No job line went behind the
 * M110, and the M110 goes again. */
static void
test_damaged_job_m110(void **state)
{
	struct link lk;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	assert_int_equal(link_job_begin(&lk, now), 0);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	assert_false(link_wants_line(&lk));
	say(&lk, "Error:checksum mismatch, Last Line: 2\nResend: 3\nok\n");
	now += 1000;
	link_tick(&lk, now);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	say(&lk, "ok\n");
	link_send_line(&lk, "M140 S60", now);
	link_send_line(&lk, "M104 S205", now);
	/* Then the whole window. */
	assert_string_equal(written(&lk), "N1 M140 S60*82\nN2 M104 S205*96\n");
}

/* Script lines (pause, cancel) are numbered and acknowledged like any
 * line, but are not the job's. */
static void
test_script_lines(void **state)
{
	struct link lk;
	struct link_event ev;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	assert_string_equal(written(&lk), "N0 M110 N0*125\n");
	say(&lk, "ok\n");
	link_send_line(&lk, "G1 X1", now);
	link_send_script(&lk, "M400", now);
	link_send_script(&lk, "G91", now);
	assert_int_equal(link_lines_given(&lk), 3);
	assert_string_equal(written(&lk), "N1 G1 X1*96\n"
	    "N2 M400*37\nN3 G91*18\n");
	say(&lk, "ok\nok\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ACK);
	assert_int_equal(ev.line, 1);
	assert_int_equal(link_lines_acked(&lk), 2);
	link_job_input_done(&lk);
	say(&lk, "ok\n");
	do
		assert_int_equal(link_next_event(&lk, &ev), 1);
	while (ev.type != LINK_EV_JOB_DONE);
	assert_int_equal(ev.line, 1);
}

/* Emergency stop: M112 at once on a line of its own, then nothing. */
static void
test_emergency_stop(void **state)
{
	struct link lk;
	struct link_event ev;
	const char *out;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	written(&lk);
	say(&lk, "ok\n");
	link_send_line(&lk, "G1 X10 Y10", now);
	link_send_line(&lk, "G1 X20 Y20", now);
	/* Half of the output went out: the line must be ended first. */
	assert_true(link_output(&lk, &out) > 20);
	link_output_done(&lk, 20);
	link_emergency_stop(&lk);
	assert_string_equal(written(&lk), "\nM112\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_FATAL);
	assert_non_null(strstr(ev.text, "emergency stop"));
	assert_int_equal(lk.state, LINK_HALTED);
	say(&lk, "ok\nResend: 2\nError:Printer halted. kill() called!\n");
	assert_string_equal(written(&lk), "");
	while (link_next_event(&lk, &ev))
		assert_int_not_equal(ev.type, LINK_EV_FATAL);
	assert_int_equal(link_send_line(&lk, "G1 X1", now), -1);
	/* At a line boundary no empty line goes first. */
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_emergency_stop(&lk);
	assert_string_equal(written(&lk), "M112\n");
}

static void
test_parse_temps(void **state)
{
	struct link_temp t[8];

	(void)state;
	assert_int_equal(link_parse_temps(
	    "T:210.00 /210.00 B:60.00 /60.00 @:127 B@:0", t, 8), 2);
	assert_string_equal(t[0].name, "T");
	assert_true(t[0].actual == 210.0 && t[0].target == 210.0);
	assert_string_equal(t[1].name, "B");
	assert_true(t[1].actual == 60.0 && t[1].target == 60.0);
	/* Older and Prusa-style forms, and the M109 wait line. */
	assert_int_equal(link_parse_temps("T:23.98 /0 B:22.1 /0", t, 8), 2);
	assert_true(t[0].actual > 23.9 && t[0].target == 0);
	assert_int_equal(link_parse_temps(
	    " T:229.69 /230.00 B:60.06 /60.00 @:67 B@:16 W:19", t, 8), 2);
	assert_int_equal(link_parse_temps(
	    "T0:200.0 /200.0 T1:25.0 /0.0 B:60.0 /60.0 C:30.0 /0.0", t, 8), 4);
	assert_string_equal(t[3].name, "C");
	assert_int_equal(link_parse_temps("T:200.1 E:0 W:8", t, 8), 2);
	assert_int_equal(link_parse_temps("echo:busy: processing", t, 8), 0);
	assert_int_equal(link_parse_temps("", t, 8), 0);
}

static void
test_garbage_replies(void **state)
{
	struct link lk;
	struct link_event ev;
	char junk[1000];
	size_t i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	link_on_bytes(&lk, junk, sizeof(junk), now);
	while (link_next_event(&lk, &ev))
		assert_int_not_equal(ev.type, LINK_EV_ACK);
	say(&lk, "Resend:\nrs x\n\n\n");
	assert_int_equal(lk.state, LINK_IDLE);
}

/* Cura's start: M140, M105, M190, M104, M105, M109.  The reply to the
 * job's own M105 acknowledges that line and those before it, nothing
 * after; no probe of the link's goes while it is on its way. */
static void
test_job_m105_not_probe(void **state)
{
	struct link lk;
	struct link_event ev;
	int i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	lk.opts.stall_ms = 1000;
	lk.opts.sync_ms = 2000;
	link_job_begin(&lk, now);
	written(&lk);
	say(&lk, "ok\n");
	assert_int_equal(link_send_line(&lk, "M140 S60", now), 0);
	assert_int_equal(link_send_line(&lk, "M105", now), 0);
	assert_int_equal(link_send_line(&lk, "M190 S60", now), 0);
	assert_int_equal(link_send_line(&lk, "M104 S200", now), 0);
	assert_false(link_wants_line(&lk));	/* four in flight */
	assert_string_equal(written(&lk), "N1 M140 S60*82\nN2 M105*37\n"
	    "N3 M190 S60*93\nN4 M104 S200*99\n");
	assert_int_equal(lk.nprobes, 1);	/* the job's M105 */
	/* Heating: quiet but for the reports; no probe goes. */
	now += 5000;
	link_tick(&lk, now);
	assert_string_equal(written(&lk), "");
	say(&lk, "ok\n");				/* M140 */
	say(&lk, "ok T:20.00 /200.00 B:20.00 /60.00 @:0 B@:0\n");
	assert_int_equal(lk.acked_n, 2);	/* through the M105 only */
	assert_int_equal(lk.lost_oks, 0);
	assert_true(link_wants_line(&lk));
	link_send_line(&lk, "M105", now);
	assert_string_equal(written(&lk), "N5 M105*34\n");
	/* The M190 is long: the link waits without a probe. */
	drain(&lk);
	for (i = 0; i < 10; i++) {
		now += 1000;
		say(&lk, " T:20.00 /200.00 B:50.00 /60.00 @:0 B@:0 W:?\n");
		link_tick(&lk, now);
	}
	assert_string_equal(written(&lk), "");
	while (link_next_event(&lk, &ev))
		assert_int_not_equal(ev.type, LINK_EV_TIMEOUT);
	say(&lk, "ok\nok\nok T:200.00 /200.00 B:60.00 /60.00 @:0 B@:0\n");
	assert_int_equal(lk.acked_n, 5);
	/* An "ok T:" with no M105 in flight acknowledges nothing. */
	link_send_line(&lk, "G1 X1", now);
	say(&lk, "ok T:200.00 /200.00 B:60.00 /60.00 @:0 B@:0\n");
	assert_int_equal(lk.acked_n, 5);
	say(&lk, "ok\n");
	assert_int_equal(lk.acked_n, 6);
}

/* An "ok" lost is found by the next M105 in the stream, which goes
 * every probe_every lines without stopping the flow, and comes more
 * often while it finds lost "ok"s. */
static void
test_stream_probe(void **state)
{
	struct link lk;
	char reply[64];
	int next = 1, i, lost = 0;
	long every, fw;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	lk.opts.rx_buffer = 4096;
	lk.budget = 4095;
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	written(&lk);
	every = lk.probe_every;
	/* The printer runs line fw, and answers it. */
	for (i = 0, fw = 0; i < 3000; i++) {
		feed(&lk, &next, 100000);
		written(&lk);
		if (fw >= lk.sent_n)
			break;
		fw++;
		if (line_is_m105(&lk, fw))
			snprintf(reply, sizeof(reply), "ok T:20.0 /0.0\n");
		else if (fw % 97 == 50) {
			lost++;
			continue;	/* this "ok" is lost */
		} else
			snprintf(reply, sizeof(reply), "ok\n");
		say(&lk, reply);
	}
	assert_int_equal(i, 3000);
	/* Every lost "ok" found, the flow never stopped (no timeout). */
	assert_true(lk.lost_oks >= (unsigned long)lost - 1);
	assert_int_equal(lk.timeout_count, 0);
	assert_true(lk.probe_every < every);
	assert_true(lk.sent_n - lk.acked_n >= 3);
}

/* A printer with a smaller buffer than said: faults close together,
 * each on a line sent with the window full.  The window shrinks; after
 * lines without a fault it grows back. */
static void
test_window_shrinks_on_evidence(void **state)
{
	struct link lk;
	char buf[160];
	int next = 1, k, i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_NO);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	written(&lk);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 6; i++) {
			feed(&lk, &next, 100000);
			written(&lk);
			say(&lk, "ok\n");
		}
		feed(&lk, &next, 100000);
		written(&lk);
		snprintf(buf, sizeof(buf), "Resend: %ld\n", lk.sent_n);
		say(&lk, buf);
		now += 250;
		link_tick(&lk, now);
		assert_int_equal(lk.recovering, 0);
	}
	assert_int_equal(lk.faults, 4);
	assert_true(lk.budget < 127);
	assert_true(lk.budget >= 32);
	for (i = 0; i < 2000; i++) {
		feed(&lk, &next, 100000);
		written(&lk);
		say(&lk, "ok\n");
	}
	assert_int_equal(lk.budget, 127);
}

/* Only noise: faults far apart leave the window as it is, whatever the
 * fill, and the recovery sends at once the whole window. */
static void
test_noise_keeps_window(void **state)
{
	struct link lk;
	char buf[160];
	int next = 1, k, i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	written(&lk);
	for (k = 0; k < 10; k++) {
		for (i = 0; i < 100; i++) {
			feed(&lk, &next, 100000);
			written(&lk);
			say(&lk, "ok\n");
		}
		snprintf(buf, sizeof(buf), "Error:checksum mismatch, Last"
		    " Line: %ld\nResend: %ld\nok\n", lk.acked_n + 1,
		    lk.acked_n + 2);
		say(&lk, buf);
		now += 20;
		link_tick(&lk, now);
		assert_int_equal(lk.recovering, 0);
		assert_true(strlen(written(&lk)) > 0);
		feed(&lk, &next, 100000);
		written(&lk);
		/* Lines of 37 bytes: three fill the 127 bytes (four with
		 * a probe). */
		assert_true(lk.sent_n - lk.acked_n >= 3);
		assert_true(lk.inflight_bytes > 100);
	}
	assert_int_equal(lk.faults, 10);
	assert_int_equal(lk.budget, 127);
}

/* ADVANCED_OK naming a line already acknowledged acknowledges nothing
 * more. */
static void
test_advanced_ok_old_line(void **state)
{
	struct link lk;
	int next = 1;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	say(&lk, "ok N0 P15 B3\n");
	feed(&lk, &next, 20);
	say(&lk, "ok N2 P15 B1\n");
	assert_int_equal(lk.acked_n, 2);
	say(&lk, "ok N2 P15 B1\n");	/* a duplicate */
	assert_int_equal(lk.acked_n, 2);
}

/* A prompt's answer out of band: after the line half written, ahead of
 * those waiting, unnumbered; the plain "ok" it earns acknowledges no
 * job line (the first plain one after it is taken for it: acks come
 * late, never early), and with ADVANCED_OK the numbered ones still
 * count as they name. */
static void
test_send_oob(void **state)
{
	struct link lk;
	const char *out;
	size_t n;
	long acked;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	assert_int_equal(link_send_oob(&lk, "M876 S0"), 0);	/* idle */
	assert_string_equal(written(&lk), "M876 S0\n");
	assert_int_equal(lk.oob_oks, 0);
	link_job_begin(&lk, now);
	written(&lk);
	say(&lk, "ok\n");
	assert_int_equal(link_send_line(&lk, "M600", now), 0);
	assert_int_equal(link_send_line(&lk, "G1 X1", now), 0);
	n = link_output(&lk, &out);
	assert_true(n > 3);
	link_output_done(&lk, 3);	/* "N1 " is on the wire */
	assert_int_equal(link_send_oob(&lk, "M876 S1"), 0);
	assert_string_equal(written(&lk), "M600*36\nM876 S1\nN2 G1 X1*99\n");
	assert_int_equal(lk.oob_oks, 1);
	/* Its bytes count in the receive buffer's budget meanwhile. */
	assert_int_equal(lk.oob_bytes, strlen("M876 S1\n"));
	acked = lk.acked_n;
	say(&lk, "ok\n");		/* taken for the M876's */
	assert_int_equal(lk.acked_n, acked);
	assert_int_equal(lk.oob_bytes, 0);
	say(&lk, "ok\n");
	assert_int_equal(lk.acked_n, acked + 1);
	/* ADVANCED_OK: the line's own ok counts, the bare one is ours. */
	assert_int_equal(link_send_oob(&lk, "M876 S0"), 0);
	written(&lk);
	say(&lk, "ok N2 P15 B3\n");
	assert_int_equal(lk.acked_n, acked + 2);
	say(&lk, "ok P15 B3\n");
	assert_int_equal(lk.oob_oks, 0);
	/* Nothing goes with a newline in it, nor to a halted printer. */
	assert_int_equal(link_send_oob(&lk, "M876 S0\nM112"), -1);
	link_emergency_stop(&lk);
	written(&lk);
	assert_int_equal(link_send_oob(&lk, "M876 S0"), -1);
}

/* The receive buffer holds a line sent out of band until its ok: the
 * job's lines that fit are fewer by its bytes meanwhile. */
static long
lines_written(int oob)
{
	struct link lk;
	int i;

	ready_link(&lk, 8, LINK_RESEND_OK_YES);
	link_job_begin(&lk, now);
	written(&lk);
	say(&lk, "ok\n");
	lk.budget = 40;		/* three of "N<n> G1 X1*<sum>" */
	if (oob)
		assert_int_equal(link_send_oob(&lk, "M876 S0"), 0);
	for (i = 0; i < 6; i++)
		link_send_line(&lk, "G1 X1", now);
	written(&lk);
	return lk.sent_n - lk.acked_n;
}

static void
test_oob_budget(void **state)
{
	(void)state;
	assert_int_equal(lines_written(0), 3);
	assert_int_equal(lines_written(1), 2);
}

/* M155 auto-reports: a printer silent for three report periods is not
 * responding, said at once; a word brings it back; silent for
 * silence_ms with a job, it is gone.  Busy keepalives are life. */
static void
test_silence_autoreport(void **state)
{
	struct link lk;
	struct link_event ev;
	int i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	lk.opts.silence_ms = 15000;
	lk.opts.ok_timeout_ms = 30000;
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	link_send_line(&lk, "G28", now);
	drain(&lk);
	for (i = 0; i < 30; i++) {
		now += 2000;
		say(&lk, "echo:busy: processing\n");
		link_tick(&lk, now);
	}
	while (link_next_event(&lk, &ev))
		assert_int_not_equal(ev.type, LINK_EV_SILENT);
	now += 5999;
	link_tick(&lk, now);
	assert_int_equal(link_next_event(&lk, &ev), 0);
	assert_int_equal(link_timeout(&lk, now), 1);
	now += 1;
	link_tick(&lk, now);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_SILENT);
	assert_non_null(strstr(ev.text, "not responding"));
	say(&lk, " T:20.00 /0.00 B:20.00 /0.00 @:0 B@:0\n");
	assert_int_equal(next_event(&lk, &ev), LINK_EV_ALIVE);
	now += 6000;
	link_tick(&lk, now);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_SILENT);
	assert_int_equal(link_timeout(&lk, now), 9000);
	now += 9000;
	link_tick(&lk, now);
	assert_int_equal(next_event(&lk, &ev), LINK_EV_LOST);
	assert_non_null(strstr(ev.text, "said nothing for 15 s"));
	assert_int_equal(lk.state, LINK_HALTED);

	/* A job that stops the reports (M155 S0): silence says nothing. */
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	lk.opts.silence_ms = 15000;
	lk.opts.ok_timeout_ms = 60000;
	link_job_begin(&lk, now);
	say(&lk, "ok\n");
	link_send_line(&lk, "M155 S0", now);
	link_send_line(&lk, "G29", now);
	say(&lk, "ok\n");
	drain(&lk);
	now += 40000;
	link_tick(&lk, now);
	while (link_next_event(&lk, &ev))
		assert_true(ev.type != LINK_EV_SILENT &&
		    ev.type != LINK_EV_LOST);
	assert_int_equal(lk.state, LINK_PRINTING);
}

/* Quiet with lines in flight: the stall probe sends the line held back
 * by the byte budget and an M105, and these alone fit the receive
 * buffer (the lines in flight, never more than the command slots, have
 * left it for the slots).  The late "ok"s that follow acknowledge one
 * line each, never the probe; the probe's "ok T:" acknowledges it, and
 * nothing more goes until the bytes in flight fit the buffer again. */
static void
test_stall_probe_late_oks(void **state)
{
	struct link lk;
	const char *cmd = "G1 X100.000 Y100.000 E1.00000 F1200";
	const char *w;
	size_t line, extra;
	int i;

	(void)state;
	ready_link(&lk, 4, LINK_RESEND_OK_YES);
	lk.opts.stall_ms = 1000;
	link_job_begin(&lk, now);
	written(&lk);
	say(&lk, "ok\n");
	for (i = 0; i < 4; i++)
		assert_int_equal(link_send_line(&lk, cmd, now), 0);
	w = written(&lk);
	line = strlen(w) / 3;
	assert_int_equal(lk.sent_n, 3);		/* the fourth waits */
	assert_true(3 * line <= 127 && 4 * line > 127);
	assert_false(link_wants_line(&lk));

	now += 1000;
	link_tick(&lk, now);
	w = written(&lk);
	extra = strlen(w);
	assert_int_equal(lk.sent_n, 5);
	assert_non_null(strstr(w, "N5 M105*"));
	assert_true(extra <= 127);		/* alone, it fits */
	assert_int_equal(lk.nprobes, 1);

	/* The firmware was only slow: its oks come late, one a line. */
	say(&lk, "ok\n");
	assert_int_equal(lk.acked_n, 1);
	assert_int_equal(link_send_line(&lk, cmd, now), 0);
	assert_string_equal(written(&lk), "");	/* 134 bytes in flight */
	say(&lk, "ok\nok\n");
	assert_int_equal(lk.acked_n, 3);
	assert_true(lk.inflight_bytes <= 127);
	say(&lk, "ok\n");
	assert_int_equal(lk.acked_n, 4);
	assert_int_equal(lk.nprobes, 1);	/* the probe still owes */
	say(&lk, "ok T:200.00 /200.00 B:60.00 /60.00 @:0 B@:0\n");
	assert_int_equal(lk.acked_n, 5);
	assert_int_equal(lk.lost_oks, 0);
	written(&lk);
	assert_true(lk.inflight_bytes <= 127);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_probe),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_lost_probe_reply),
		cmocka_unit_test(test_job_pingpong),
		cmocka_unit_test(test_window_bounds),
		cmocka_unit_test(test_resend_with_ok),
		cmocka_unit_test(test_resend_without_ok),
		cmocka_unit_test(test_lost_ok_recovered_by_m105),
		cmocka_unit_test(test_silence_is_fatal),
		cmocka_unit_test(test_long_command_kept_alive),
		cmocka_unit_test(test_advanced_ok),
		cmocka_unit_test(test_damaged_resend_ignored),
		cmocka_unit_test(test_merged_oks),
		cmocka_unit_test(test_fatal_and_reset),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_parse_temps),
		cmocka_unit_test(test_idle_poll),
		cmocka_unit_test(test_script_lines),
		cmocka_unit_test(test_damaged_job_m110),
		cmocka_unit_test(test_emergency_stop),
		cmocka_unit_test(test_garbage_replies),
		cmocka_unit_test(test_job_m105_not_probe),
		cmocka_unit_test(test_stream_probe),
		cmocka_unit_test(test_window_shrinks_on_evidence),
		cmocka_unit_test(test_noise_keeps_window),
		cmocka_unit_test(test_advanced_ok_old_line),
		cmocka_unit_test(test_silence_autoreport),
		cmocka_unit_test(test_send_oob),
		cmocka_unit_test(test_oob_budget),
		cmocka_unit_test(test_stall_probe_late_oks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
