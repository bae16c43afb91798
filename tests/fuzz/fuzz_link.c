/*
 * fuzz_link - libFuzzer target: arbitrary printer replies, clock steps
 * and partial writes against the protocol engine (lib/link.c), with the
 * engine's invariants checked after every step.
 *
 * The input is a script.  Its first byte picks the options (window,
 * resend behaviour, the receive buffer, auto-reports); then each step is
 * an opcode byte and its operands:
 *   0x00-0x9f  the next 1 + (op & 0x3f) bytes arrive from the printer
 *   0xa0-0xbf  the clock moves on by (op & 0x1f) * 37 ms, link_tick()
 *   0xc0-0xcf  job lines are given while the link wants them
 *   0xd0-0xdf  the port takes (op & 0x0f) * 7 bytes of the output
 *   0xe0-0xef  begin a job, or end its input, or abort it
 *   0xf0-0xff  a script line, an emergency stop, close and open again
 * `make fuzz' builds and runs it (clang, -fsanitize=fuzzer,address).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcode.h"
#include "link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

static struct link lk;
static long long now;
static long job_lines;		/* given to the current job */
static int job_open;

/* Every whole line the engine writes is a framed line with a right
 * checksum, or one of the bare lines it sends ("M105", "M112", ""). */
static void
check_output_lines(const char *out, size_t n)
{
	const char *p = out, *nl, *star;
	char line[LINK_OUTBUF];
	size_t len;

	/* The output may begin with the rest of a line half written. */
	if (lk.out_partial) {
		if ((nl = memchr(p, '\n', n)) == NULL)
			return;
		p = nl + 1;
	}
	while ((nl = memchr(p, '\n', n - (size_t)(p - out))) != NULL) {
		len = (size_t)(nl - p);
		CHECK(len <= GCODE_MAX_FRAMED);
		memcpy(line, p, len);
		line[len] = '\0';
		if (line[0] == 'N') {
			star = strrchr(line, '*');
			CHECK(star != NULL);
			/* The handshake's deliberately damaged M115 is the
			 * one line with a wrong checksum. */
			if (strcmp(line, "N1 M115*30") != 0)
				CHECK((unsigned)atoi(star + 1) ==
				    gcode_checksum(line, (size_t)(star - line)));
		} else
			CHECK(strcmp(line, "M105") == 0 ||
			    strcmp(line, "M112") == 0 || line[0] == '\0');
		p = nl + 1;
	}
}

static void
check_invariants(void)
{
	struct link_event ev;
	const char *out;
	size_t n, inflight = 0;
	long i;

	n = link_output(&lk, &out);
	CHECK(n <= LINK_OUTBUF);
	if (lk.state == LINK_PRINTING) {
		CHECK(lk.acked_n <= lk.sent_n);
		CHECK(lk.sent_n < lk.next_n);
		/* Every line not yet acknowledged is still kept, under its
		 * own number: a resend never sends another line. */
		CHECK(lk.next_n - lk.acked_n - 1 <= LINK_HISTORY);
		for (i = lk.acked_n + 1; i < lk.next_n; i++)
			CHECK(lk.history_n[i % LINK_HISTORY] == i);
		CHECK(lk.job_acked >= 0 && lk.job_acked <= job_lines);
		for (i = lk.acked_n + 1; i <= lk.sent_n; i++)
			inflight += (size_t)lk.history_len[i % LINK_HISTORY] + 1;
		CHECK(inflight == lk.inflight_bytes);
		CHECK(lk.nprobes >= 0 && lk.nprobes <= LINK_MAXPROBES);
	}
	CHECK(lk.ntemps >= 0 && lk.ntemps <= 8);
	CHECK(lk.rxlen < sizeof(lk.rx));
	while (link_next_event(&lk, &ev)) {
		CHECK(strlen(ev.text) < sizeof(ev.text));
		if (ev.type == LINK_EV_JOB_DONE) {
			CHECK(job_open);
			CHECK(ev.line == job_lines);
			job_open = 0;
		}
		if (ev.type == LINK_EV_ACK)
			CHECK(ev.line <= job_lines);
	}
	CHECK(link_timeout(&lk, now) >= -1);
}

static void
take_output(size_t max)
{
	const char *out;
	size_t n = link_output(&lk, &out);

	if (n > max)
		n = max;
	link_output_done(&lk, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const lines[] = {
		"G1 X10 Y10 E0.5 F1800", "G28", "M109 S200", "M400", "G4 P100",
		"M104 S210", "G1 X1.234 Y5.678 Z0.2 E1.23456", "T0", "M106 S255",
		"M105", "M114",
	};
	struct link_opts o;
	const char *out;
	size_t i = 1, k, n;
	int which = 0;

	if (size == 0)
		return 0;
	link_opts_default(&o);
	o.window = 1 + (data[0] & 0x0f);
	o.resend_ok = (enum link_resend_ok)((data[0] >> 4) % 3);
	o.rx_buffer = (data[0] & 0x40) ? 64 : 128;
	o.handshake_timeout_ms = (data[0] & 0x80) ? 0 : 2000;
	now = 1000;
	job_lines = 0;
	job_open = 0;
	link_init(&lk, &o);
	link_open(&lk, now);
	while (i < size) {
		uint8_t op = data[i++];

		if (op < 0xa0) {
			n = 1 + (op & 0x3f);
			if (n > size - i)
				n = size - i;
			link_on_bytes(&lk, (const char *)data + i, n, now);
			i += n;
		} else if (op < 0xc0) {
			now += (op & 0x1f) * 37;
			link_tick(&lk, now);
		} else if (op < 0xd0) {
			for (k = 0; k < (size_t)(op & 0x0f) + 1 &&
			    link_wants_line(&lk); k++) {
				if (link_send_line(&lk, lines[which++ %
				    (sizeof(lines) / sizeof(lines[0]))],
				    now) == 0)
					job_lines++;
			}
		} else if (op < 0xe0) {
			take_output((size_t)(op & 0x0f) * 7);
		} else if (op < 0xf0) {
			switch (op & 3) {
			case 0:
				if (link_job_begin(&lk, now) == 0) {
					job_lines = 0;
					job_open = 1;
				}
				break;
			case 1:
				if (lk.state == LINK_PRINTING)
					link_job_input_done(&lk);
				break;
			case 2:
				link_job_abort(&lk);
				job_open = 0;
				break;
			default:
				take_output(LINK_OUTBUF);
			}
		} else {
			switch (op & 3) {
			case 0:
				link_send_script(&lk, "G91", now);
				break;
			case 1:
				link_emergency_stop(&lk);
				job_open = 0;
				break;
			case 2:
				link_close(&lk);
				link_open(&lk, now);
				job_open = 0;
				break;
			default:
				n = link_output(&lk, &out);
				check_output_lines(out, n);
			}
		}
		check_invariants();
		if (lk.state != LINK_PRINTING)
			job_open = 0;
	}
	n = link_output(&lk, &out);
	(void)n;
	return 0;
}
