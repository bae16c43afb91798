/*
 * link.c - the printer protocol engine: frames lines, matches "ok"s,
 * serves "Resend:" requests, and recognises the firmware's fatal errors.
 *
 * The reply classifier follows Marlin's wire behaviour as documented in
 * gspool(7): "start" is a (re)boot, "ok" acknowledges the oldest line in
 * flight, "Resend: N" / "rs N" rewinds to line N (go-back-N), errors
 * that stop the firmware end the job, everything else is information.
 *
 * Security: printer replies are untrusted input.  A reply line is kept
 * to LINK_RXLINE bytes, a resend outside the kept history ends the job
 * rather than sending anything that was not asked for.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

const char *
link_state_name(enum link_state s)
{
	switch (s) {
	case LINK_CLOSED:	return "closed";
	case LINK_WAIT_START:	return "waiting for the firmware";
	case LINK_HANDSHAKE:	return "handshake";
	case LINK_IDLE:		return "idle";
	case LINK_PRINTING:	return "printing";
	case LINK_HALTED:	return "halted";
	}
	return "?";
}

const char *
link_event_name(enum link_event_type t)
{
	switch (t) {
	case LINK_EV_READY:	return "ready";
	case LINK_EV_ACK:	return "ack";
	case LINK_EV_JOB_DONE:	return "job-done";
	case LINK_EV_RESEND:	return "resend";
	case LINK_EV_FATAL:	return "fatal";
	case LINK_EV_RESET:	return "reset";
	case LINK_EV_INFO:	return "info";
	}
	return "?";
}

void
link_init(struct link *lk, long handshake_timeout_ms)
{
	memset(lk, 0, sizeof(*lk));
	lk->state = LINK_CLOSED;
	lk->handshake_timeout_ms = handshake_timeout_ms;
	lk->deadline = -1;
	lk->resend_from = -1;
	lk->resend_deadline = -1;
}

static void
link_event(struct link *lk, enum link_event_type t, long line,
    const char *text)
{
	struct link_event *e;

	if (lk->ev_count == LINK_MAXEVENTS) {
		/* Keep the newest; a reader that lags loses old ACKs only. */
		lk->ev_head = (lk->ev_head + 1) % LINK_MAXEVENTS;
		lk->ev_count--;
	}
	e = &lk->ev[(lk->ev_head + lk->ev_count) % LINK_MAXEVENTS];
	lk->ev_count++;
	e->type = t;
	e->line = line;
	snprintf(e->text, sizeof(e->text), "%.*s", (int)sizeof(e->text) - 1,
	    text ? text : "");
}

int
link_next_event(struct link *lk, struct link_event *out)
{
	if (lk->ev_count == 0)
		return 0;
	*out = lk->ev[lk->ev_head];
	lk->ev_head = (lk->ev_head + 1) % LINK_MAXEVENTS;
	lk->ev_count--;
	return 1;
}

static int
link_put(struct link *lk, const char *s, size_t n)
{
	if (lk->outlen + n + 1 > sizeof(lk->out))
		return -1;
	memcpy(lk->out + lk->outlen, s, n);
	lk->out[lk->outlen + n] = '\n';
	lk->outlen += n + 1;
	return 0;
}

/* Frame line n, remember it for resends, and queue it for writing. */
static int
link_put_line(struct link *lk, long n, const char *cmd)
{
	char *h = lk->history[n % LINK_HISTORY];
	int len;

	len = gcode_frame(h, GCODE_MAX_FRAMED + 2, n, cmd);
	if (len < 0)
		return -1;
	lk->history_n[n % LINK_HISTORY] = n;
	lk->lines_sent++;
	return link_put(lk, h, (size_t)len);
}

/* Send the handshake's current line: M110 N0, then M115. */
static void
link_handshake_line(struct link *lk, long long now)
{
	if (lk->handshake_step == 0)
		link_put_line(lk, 0, "M110 N0");
	else
		link_put_line(lk, 1, "M115");
	lk->deadline = now + (lk->handshake_timeout_ms > 0 ?
	    lk->handshake_timeout_ms : 2000);
}

static void
link_handshake(struct link *lk, long long now)
{
	lk->state = LINK_HANDSHAKE;
	lk->handshake_step = 0;
	lk->outlen = 0;
	lk->resend_wait_ok = 0;
	lk->resend_deadline = -1;
	link_handshake_line(lk, now);
}

void
link_open(struct link *lk, long long now)
{
	long t = lk->handshake_timeout_ms;

	link_init(lk, t);
	lk->state = LINK_WAIT_START;
	lk->deadline = now + t;
	if (t == 0)
		link_handshake(lk, now);
}

void
link_close(struct link *lk)
{
	link_init(lk, lk->handshake_timeout_ms);
}

size_t
link_output(const struct link *lk, const char **buf)
{
	*buf = lk->out;
	return lk->outlen;
}

void
link_output_done(struct link *lk, size_t n)
{
	if (n >= lk->outlen) {
		lk->outlen = 0;
		return;
	}
	memmove(lk->out, lk->out + n, lk->outlen - n);
	lk->outlen -= n;
}

/* Lines written in this pass: acked_n < n <= sent_n are in flight. */
#define SENT(lk)	((lk)->resend_from >= 0 ? (lk)->resend_from - 1 : \
			    (lk)->next_n - 1)

/* Write the next line of a resend pass when nothing is in flight. */
static void
link_pump(struct link *lk)
{
	long n;

	if (lk->state != LINK_PRINTING || lk->resend_wait_ok ||
	    lk->resend_from < 0)
		return;
	if (lk->acked_n < lk->resend_from - 1)
		return;
	n = lk->resend_from;
	if (n >= lk->next_n) {
		lk->resend_from = -1;
		return;
	}
	link_put(lk, lk->history[n % LINK_HISTORY],
	    strlen(lk->history[n % LINK_HISTORY]));
	lk->lines_sent++;
	lk->resend_from = n + 1;
	if (lk->resend_from >= lk->next_n)
		lk->resend_from = -1;
}

int
link_job_begin(struct link *lk)
{
	if (lk->state != LINK_IDLE)
		return -1;
	lk->state = LINK_PRINTING;
	lk->next_n = 1;
	lk->acked_n = -1;
	lk->resend_from = -1;
	lk->resend_wait_ok = 0;
	lk->input_done = 0;
	return link_put_line(lk, 0, "M110 N0");
}

int
link_wants_line(const struct link *lk)
{
	return lk->state == LINK_PRINTING && !lk->input_done &&
	    lk->resend_from < 0 && !lk->resend_wait_ok &&
	    lk->acked_n == lk->next_n - 1;
}

int
link_send_line(struct link *lk, const char *cmd)
{
	if (lk->state != LINK_PRINTING)
		return -1;
	if (link_put_line(lk, lk->next_n, cmd) < 0)
		return -1;
	lk->next_n++;
	return 0;
}

static void
link_check_done(struct link *lk)
{
	if (lk->state == LINK_PRINTING && lk->input_done &&
	    lk->resend_from < 0 && lk->acked_n == lk->next_n - 1) {
		lk->state = LINK_IDLE;
		link_event(lk, LINK_EV_JOB_DONE, lk->acked_n, NULL);
	}
}

void
link_job_input_done(struct link *lk)
{
	lk->input_done = 1;
	link_check_done(lk);
}

void
link_job_abort(struct link *lk)
{
	if (lk->state != LINK_PRINTING)
		return;
	/* Lines already written will still run; nothing more is sent. */
	lk->state = LINK_IDLE;
	lk->outlen = 0;
	lk->resend_from = -1;
	lk->resend_wait_ok = 0;
	lk->resend_deadline = -1;
}

static void
link_fatal(struct link *lk, const char *why)
{
	lk->state = LINK_HALTED;
	lk->outlen = 0;
	lk->deadline = -1;
	link_event(lk, LINK_EV_FATAL, lk->acked_n, why);
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void
link_on_ok(struct link *lk, long long now)
{
	switch (lk->state) {
	case LINK_HANDSHAKE:
		if (lk->resend_wait_ok) {
			lk->resend_wait_ok = 0;
			lk->resend_deadline = -1;
			link_handshake_line(lk, now);
		} else if (lk->handshake_step == 0) {
			lk->handshake_step = 1;
			link_handshake_line(lk, now);
		} else {
			lk->state = LINK_IDLE;
			lk->deadline = -1;
			link_event(lk, LINK_EV_READY, 0,
			    lk->firmware[0] ? lk->firmware : "unknown firmware");
		}
		return;
	case LINK_PRINTING:
		if (lk->resend_wait_ok) {
			/* The "ok" that some firmware sends after Resend:. */
			lk->resend_wait_ok = 0;
			lk->resend_deadline = -1;
			link_pump(lk);
			return;
		}
		if (lk->acked_n >= SENT(lk))
			return;		/* acknowledges nothing we sent */
		lk->acked_n++;
		if (lk->acked_n > 0)
			link_event(lk, LINK_EV_ACK, lk->acked_n, NULL);
		link_pump(lk);
		link_check_done(lk);
		return;
	default:
		return;
	}
}

static void
link_on_resend(struct link *lk, const char *arg, long long now)
{
	char why[200];
	const char *p = arg;
	char *end;
	long n;

	while (*p && !isdigit((unsigned char)*p) && *p != '-')
		p++;
	n = strtol(p, &end, 10);
	if (end == p) {
		link_event(lk, LINK_EV_INFO, 0, "resend request without a"
		    " line number ignored");
		return;
	}
	if (lk->state == LINK_HANDSHAKE) {
		/* Send the handshake line again, after the "ok" some
		 * firmware sends after Resend:. */
		lk->resends++;
		link_event(lk, LINK_EV_RESEND, n, NULL);
		lk->outlen = 0;
		lk->resend_wait_ok = 1;
		lk->resend_deadline = now + LINK_RESEND_OK_WAIT_MS;
		return;
	}
	if (lk->state != LINK_PRINTING)
		return;
	if (n > lk->next_n || n < 0 || n <= lk->next_n - LINK_HISTORY ||
	    (n < lk->next_n && lk->history_n[n % LINK_HISTORY] != n)) {
		snprintf(why, sizeof(why), "the printer asked for line %ld,"
		    " which was not sent or is no longer kept (next %ld)",
		    n, lk->next_n);
		link_fatal(lk, why);
		return;
	}
	lk->resends++;
	link_event(lk, LINK_EV_RESEND, n, NULL);
	/* Go back to n: everything from n on is sent again.  Repeated
	 * requests for the same line (an error burst) collapse here. */
	lk->acked_n = n - 1;
	lk->resend_from = n < lk->next_n ? n : -1;
	lk->resend_wait_ok = 1;
	lk->resend_deadline = now + LINK_RESEND_OK_WAIT_MS;
	lk->outlen = 0;
}

static const char *const fatal_words[] = {
	"kill() called", "Thermal Runaway", "Heating failed", "MAXTEMP",
	"MINTEMP", "Printer stopped due to errors", "Thermal Malfunction",
};

static void
link_on_line(struct link *lk, char *s, long long now)
{
	size_t i;

	if (strcmp(s, "start") == 0) {
		if (lk->state == LINK_PRINTING) {
			lk->state = LINK_IDLE;
			link_event(lk, LINK_EV_RESET, lk->acked_n,
			    "the printer restarted (its firmware said"
			    " \"start\")");
		}
		link_handshake(lk, now);
		return;
	}
	if (lk->state == LINK_WAIT_START) {
		/* Anything but the banner: the board did not reset, or
		 * the banner is past.  Handshake now. */
		link_handshake(lk, now);
	}
	if (starts_with(s, "ok")) {
		link_on_ok(lk, now);
		return;
	}
	if (starts_with(s, "Resend:")) {
		link_on_resend(lk, s + 7, now);
		return;
	}
	if (starts_with(s, "rs ")) {
		link_on_resend(lk, s + 3, now);
		return;
	}
	if (starts_with(s, "Error:") || starts_with(s, "!!") ||
	    starts_with(s, "fatal:")) {
		for (i = 0; i < sizeof(fatal_words) / sizeof(fatal_words[0]);
		    i++) {
			if (strstr(s, fatal_words[i]) != NULL) {
				link_fatal(lk, s);
				return;
			}
		}
		link_event(lk, LINK_EV_INFO, 0, s);
		return;
	}
	if (starts_with(s, "FIRMWARE_NAME:")) {
		char *e;

		snprintf(lk->firmware, sizeof(lk->firmware), "%s", s + 14);
		/* Keep the name and version, not the URL and the rest. */
		if ((e = strstr(lk->firmware, " SOURCE_CODE_URL")) != NULL ||
		    (e = strstr(lk->firmware, " PROTOCOL_VERSION")) != NULL)
			*e = '\0';
		return;
	}
	/* Keepalives, capabilities and temperature reports: nothing to
	 * do for the stream. */
	if (starts_with(s, "echo:busy") || starts_with(s, "busy:") ||
	    starts_with(s, "Cap:") || starts_with(s, "T:") ||
	    starts_with(s, " T:") || starts_with(s, "B:") ||
	    strcmp(s, "wait") == 0 || s[0] == '\0')
		return;
	link_event(lk, LINK_EV_INFO, 0, s);
}

void
link_on_bytes(struct link *lk, const char *buf, size_t len, long long now)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\n' || c == '\r') {
			if (lk->rxlen == 0 && !lk->rx_overlong)
				continue;
			lk->rx[lk->rxlen] = '\0';
			lk->rxlen = 0;
			lk->rx_overlong = 0;
			link_on_line(lk, lk->rx, now);
			continue;
		}
		if (lk->rxlen + 1 >= sizeof(lk->rx)) {
			lk->rx_overlong = 1;
			continue;
		}
		lk->rx[lk->rxlen++] = c;
	}
}

void
link_tick(struct link *lk, long long now)
{
	if (lk->deadline >= 0 && now >= lk->deadline) {
		if (lk->state == LINK_WAIT_START)
			link_handshake(lk, now);
		else if (lk->state == LINK_HANDSHAKE) {
			link_event(lk, LINK_EV_INFO, 0, "the printer does not"
			    " answer; trying again");
			link_handshake(lk, now);
		} else
			lk->deadline = -1;
	}
	if (lk->resend_deadline >= 0 && now >= lk->resend_deadline) {
		/* No "ok" after Resend: this firmware does not send one. */
		lk->resend_deadline = -1;
		lk->resend_wait_ok = 0;
		if (lk->state == LINK_HANDSHAKE)
			link_handshake_line(lk, now);
		link_pump(lk);
		link_check_done(lk);
	}
}

long
link_timeout(const struct link *lk, long long now)
{
	long long t = -1;

	if (lk->deadline >= 0)
		t = lk->deadline;
	if (lk->resend_deadline >= 0 && (t < 0 || lk->resend_deadline < t))
		t = lk->resend_deadline;
	if (t < 0)
		return -1;
	return t <= now ? 0 : (long)(t - now);
}
