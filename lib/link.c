/*
 * link.c - the printer protocol engine: frames lines, keeps the
 * firmware's buffers full, matches "ok"s, serves "Resend:" requests,
 * recovers lost "ok"s, and recognises the firmware's fatal errors.
 *
 * Sending.  Every line is framed "N<n> <cmd>*<cs>" and kept in a ring
 * for resends.  Lines go out while the lines in flight (sent, not yet
 * acknowledged) fit both the firmware's receive buffer in bytes (Marlin
 * drops bytes that overflow it) and the window in lines (its command
 * queue).  A "Resend: n" is go-back-N: lines from n on are lost (Marlin
 * drains its receive buffer on an error), lines before n still owe
 * their "ok".  The engine then stops only while the burst of errors
 * that lines in transit cause lasts (about a round trip, timed afresh
 * by each error), counts the burst as one fault, takes the "ok" some
 * firmware sends right after Resend: (the handshake measures whether
 * it does) for nothing, and resends from n with the whole window.  The
 * window in bytes shrinks only when faults recur close together, each
 * on a line sent with it nearly full, and grows back after lines
 * without a fault.
 *
 * Attributing replies.  A plain "ok" answers the oldest line in
 * flight; "ok T:..." the oldest M105 in flight (the job's own or the
 * engine's), never a line after it; "ok N<n>" (ADVANCED_OK) line n.
 * So no reply of a job's line is ever taken for a line not yet run,
 * which would let bytes go past the firmware's receive buffer.
 *
 * Recovering "ok"s.  A damaged "ok" is lost for good, and a damaged N
 * word earns an "ok" for nothing.  So the count of lines in flight can
 * drift; an M105 puts it right: its reply, "ok T:...", acknowledges the
 * M105 and, since the firmware runs lines in order, every line before
 * it; those still unanswered had lost their "ok".  An M105 goes in the
 * stream every probe_every lines (fewer while it finds lost "ok"s),
 * after a quiet spell with lines in flight (not behind a long command
 * such as G28 or M109), on "wait", after a period of silence
 * (ok_timeout; from the second period on even with an M105 in flight,
 * whose reply was lost too), and every sync_ms during a job.  Too many silent
 * periods in a row end the job; a printer that auto-reports and says
 * nothing for silence_ms is gone sooner.
 *
 * Security: printer replies are untrusted.  A reply line is kept to
 * LINK_RXLINE bytes; a resend request far from the lines in flight is
 * ignored (a damaged number), and one outside the kept history ends the
 * job rather than sending anything that was not asked for.
 *
 * Klipper.  Its pseudo-terminal checks no checksum, asks for no resend
 * and answers every line with one "ok", in order, once it has run it,
 * even while shut down or not ready (then after "!! <why>").  So the
 * handshake sends no damaged line, and the link is ready only when
 * Klipper says "// Klipper state: Ready" (unasked, or to STATUS), never
 * on M110's or M115's "ok".  "// Klipper state: Shutdown" stops the
 * sending at once; the job ends with the words of the "!!" line that
 * answers the lines still in flight, or a STATUS when none is (its
 * reason), or after KL_WHY_WAIT_MS without them.  Any other "!!" line
 * is a command Klipper dropped and went on without: news for the
 * backend.  Its waits
 * (M109, TEMPERATURE_WAIT, a macro that heats) say no "busy:", only
 * temperatures or "// " lines: any line it says shows it alive.  Only
 * UTF-8 goes to it, for it drops a whole read that does not decode.
 *
 * Diagnostics: the engine does no I/O and logs nothing: each fault is
 * an event (LINK_EV_*) with a message that says what happened, on
 * which line, for the backend to report.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

#define QUIET_MIN_MS		10	/* a fault's burst: at least, */
#define QUIET_MAX_MS		200	/* at most */
#define IDLE_POLL_WAIT_MS	2000	/* for the "ok" of an idle M105 */
#define MAX_IGNORED_RESENDS	16
#define FAULT_SPAN		64	/* LINK_FAULT_MEMORY faults within
					   this many lines, each at a full
					   window: the window shrinks */
#define GROW_AFTER		256	/* lines without a fault: it grows */
#define BUDGET_MIN		32	/* bytes */
#define PROBE_EVERY_MIN		16	/* lines between stream probes */
#define PROBE_EVERY_MAX		512
#define PROBE_BYTES		20	/* "N<n> M105*<cs>\n" at most */
#define REPORT_PERIOD_MS	2000	/* M155 S2 */
#define SILENT_PERIODS		3	/* reports missed: not responding */
#define KL_WHY_WAIT_MS		1000	/* for a shutdown's reason */

static void	link_probe_stalled(struct link *, long long, int);
static int	kl_on_line(struct link *, const char *, long long);
static void	kl_tick(struct link *, long long);
static void	kl_stopped(struct link *, const char *);

void
link_opts_default(struct link_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->handshake_timeout_ms = 10000;
	o->ok_timeout_ms = 30000;
	o->max_timeouts = 5;
	o->window = 4;
	o->rx_buffer = 128;
	o->sync_ms = 2000;
	o->stall_ms = 1000;
	o->silence_ms = 15000;
	o->resend_ok = LINK_RESEND_OK_AUTO;
}

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
	case LINK_EV_TIMEOUT:	return "timeout";
	case LINK_EV_FATAL:	return "fatal";
	case LINK_EV_RESET:	return "reset";
	case LINK_EV_TEMPS:	return "temps";
	case LINK_EV_ACTION:	return "action";
	case LINK_EV_INFO:	return "info";
	case LINK_EV_SILENT:	return "silent";
	case LINK_EV_ALIVE:	return "alive";
	case LINK_EV_LOST:	return "lost";
	}
	return "?";
}

void
link_init(struct link *lk, const struct link_opts *o)
{
	memset(lk, 0, sizeof(*lk));
	if (o)
		lk->opts = *o;
	else
		link_opts_default(&lk->opts);
	if (lk->opts.window < 1)
		lk->opts.window = 1;
	if (lk->opts.rx_buffer < 2)
		lk->opts.rx_buffer = 2;
	lk->state = LINK_CLOSED;
	lk->deadline = -1;
	lk->acked_n = lk->sent_n = -1;
	lk->fault_n = -1;
	lk->resend_ok = lk->opts.resend_ok != LINK_RESEND_OK_NO;
	lk->budget = (size_t)lk->opts.rx_buffer - 1;
	lk->probe_every = PROBE_EVERY_MAX / 4;
	lk->klipper = lk->opts.flavour == LINK_FLAVOUR_KLIPPER;
}

static void
link_event(struct link *lk, enum link_event_type t, long line,
    const char *text)
{
	struct link_event *e;
	size_t n;

	/* Progress coalesces: the newest ACK is all that matters. */
	if (t == LINK_EV_ACK && lk->ev_count > 0) {
		e = &lk->ev[(lk->ev_head + lk->ev_count - 1) % LINK_MAXEVENTS];
		if (e->type == LINK_EV_ACK) {
			e->line = line;
			return;
		}
	}
	if (lk->ev_count == LINK_MAXEVENTS) {
		lk->ev_head = (lk->ev_head + 1) % LINK_MAXEVENTS;
		lk->ev_count--;
	}
	e = &lk->ev[(lk->ev_head + lk->ev_count) % LINK_MAXEVENTS];
	lk->ev_count++;
	e->type = t;
	e->line = line;
	/* No formatting: an event comes with every "ok". */
	n = text ? strnlen(text, sizeof(e->text) - 1) : 0;
	memcpy(e->text, text ? text : "", n);
	e->text[n] = '\0';
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
starts_with(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Commands that may run for a long time before their "ok": G4 G28 G29
 * G30 G32 G33 G34, M0 M1 M48 M109 M116 M190 M191 M226 M303 M400 M600. */
static int
is_long_command(const char *cmd)
{
	char letter = (char)toupper((unsigned char)cmd[0]);
	const char *p = cmd + 1;
	long code = 0;

	if ((letter != 'G' && letter != 'M') || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p) && code < 10000)
		code = code * 10 + (*p++ - '0');
	if (*p == '.' || isdigit((unsigned char)*p))
		return 0;
	if (letter == 'G')
		return code == 4 || code == 28 || code == 29 || code == 30 ||
		    code == 32 || code == 33 || code == 34;
	switch (code) {
	case 0: case 1: case 48: case 109: case 116: case 190: case 191:
	case 226: case 303: case 400: case 600:
		return 1;
	}
	return 0;
}

/* M105, whatever its words: its reply is "ok T:...", not "ok". */
static int
is_m105(const char *cmd)
{
	return (cmd[0] == 'M' || cmd[0] == 'm') && strncmp(cmd + 1, "105", 3)
	    == 0 && !isdigit((unsigned char)cmd[4]) && cmd[4] != '.';
}

/* Flags kept beside each line of the history. */
#define LINE_LONG	1
#define LINE_PROBE	2	/* an M105 we added */
#define LINE_JOB	4	/* a line of the job itself */
#define LINE_TEMP	8	/* an M105 (ours or the job's): "ok T:" */

static int
link_put(struct link *lk, const char *s, size_t n)
{
	if (lk->outlen + n + 1 > sizeof(lk->out))
		return -1;
	memcpy(lk->out + lk->outlen, s, n);
	lk->out[lk->outlen + n] = '\n';
	lk->outlen += n + 1;
	lk->bytes_sent += n + 1;
	lk->lines_sent++;
	return 0;
}

/* Frame line n into the history.  0, or -1 if it does not fit. */
static int
link_frame(struct link *lk, long n, const char *cmd, int flags)
{
	int i = (int)(n % LINK_HISTORY), len;

	len = gcode_frame(lk->history[i], GCODE_MAX_FRAMED + 2, n, cmd);
	if (len < 0)
		return -1;
	lk->history_n[i] = n;
	lk->history_len[i] = (unsigned char)len;
	if (is_long_command(cmd))
		flags |= LINE_LONG;
	if (is_m105(cmd))
		flags |= LINE_TEMP;
	lk->history_long[i] = (unsigned char)flags;
	return 0;
}

static size_t
line_bytes(const struct link *lk, long n)
{
	return (size_t)lk->history_len[n % LINK_HISTORY] + 1;
}

static int
line_flags(const struct link *lk, long n)
{
	return lk->history_long[n % LINK_HISTORY];
}

static void
write_line(struct link *lk, long n)
{
	int i = (int)(n % LINK_HISTORY);

	if (link_put(lk, lk->history[i], lk->history_len[i]) < 0)
		return;
	lk->sent_n = n;
	lk->history_at[i] = lk->clock;
	lk->inflight_bytes += line_bytes(lk, n);
	lk->history_fill[i] = (unsigned short)(lk->inflight_bytes < 65535 ?
	    lk->inflight_bytes : 65535);
	if ((line_flags(lk, n) & LINE_TEMP) && lk->nprobes < LINK_MAXPROBES)
		lk->probes[lk->nprobes++] = n;
}

static int
link_window(const struct link *lk)
{
	int w = lk->opts.window;

	if (lk->pingpong_until > lk->acked_n)
		return 1;
	if (lk->cmd_slots > 0 && lk->cmd_slots < w)
		w = lk->cmd_slots;
	return w;
}

/* May line sent_n + 1 go out now? */
static int
can_write(const struct link *lk)
{
	long inflight = lk->sent_n - lk->acked_n;
	size_t budget = lk->budget;

	if (lk->state != LINK_PRINTING || lk->recovering || lk->idle_poll ||
	    lk->kl_shutdown || lk->sent_n + 1 >= lk->next_n)
		return 0;
	/* A line sent out of band takes its place too, until its ok. */
	if (inflight + lk->oob_oks >= link_window(lk))
		return 0;
	/* An empty pipe takes any line; otherwise the bytes must fit. */
	return inflight == 0 || lk->inflight_bytes + lk->oob_bytes +
	    line_bytes(lk, lk->sent_n + 1) <= budget;
}

static void
arm_timeout(struct link *lk, long long now)
{
	if (lk->state == LINK_PRINTING && lk->sent_n > lk->acked_n)
		lk->deadline = now + lk->opts.ok_timeout_ms;
	else if (lk->state == LINK_PRINTING)
		lk->deadline = -1;
}

static void
link_pump(struct link *lk, long long now)
{
	int was_empty = lk->sent_n == lk->acked_n;

	while (can_write(lk))
		write_line(lk, lk->sent_n + 1);
	if (was_empty && lk->sent_n > lk->acked_n)
		arm_timeout(lk, now);
}

static void
link_check_done(struct link *lk)
{
	if (lk->state == LINK_PRINTING && lk->input_done &&
	    !lk->recovering && !lk->kl_shutdown &&
	    lk->acked_n == lk->next_n - 1) {
		lk->state = LINK_IDLE;
		lk->deadline = -1;
		link_event(lk, LINK_EV_JOB_DONE, lk->job_acked, NULL);
	}
}

/* The window in bytes grows back by an eighth after GROW_AFTER lines
 * without a fault. */
static void
link_budget_grow(struct link *lk)
{
	size_t max = (size_t)lk->opts.rx_buffer - 1;
	long since = lk->budget_at > lk->fault_n ? lk->budget_at : lk->fault_n;

	if (lk->budget >= max || lk->acked_n - since < GROW_AFTER)
		return;
	lk->budget += max / 8 > 0 ? max / 8 : 1;
	if (lk->budget > max)
		lk->budget = max;
	lk->budget_at = lk->acked_n;
}

/* A new fault on line n: if the last faults came close together, each
 * on a line sent with the window nearly full, the printer loses lines
 * when its buffer is full (its receive buffer is smaller than said, or
 * it reads slowly): the window shrinks by a quarter.  Noise strikes at
 * any fill and far apart, and leaves the window as it is. */
static void
link_weigh_fault(struct link *lk, long n)
{
	int i = (int)(n % LINK_HISTORY), k, full;
	char why[160];

	full = lk->history_n[i] == n &&
	    (size_t)lk->history_fill[i] * 4 >= lk->budget * 3;
	memmove(lk->fault_line, lk->fault_line + 1,
	    sizeof(lk->fault_line[0]) * (LINK_FAULT_MEMORY - 1));
	memmove(lk->fault_full, lk->fault_full + 1,
	    sizeof(lk->fault_full[0]) * (LINK_FAULT_MEMORY - 1));
	lk->fault_line[LINK_FAULT_MEMORY - 1] = n;
	lk->fault_full[LINK_FAULT_MEMORY - 1] = full;
	if (lk->nfaults_kept < LINK_FAULT_MEMORY)
		lk->nfaults_kept++;
	if (lk->nfaults_kept < LINK_FAULT_MEMORY ||
	    n - lk->fault_line[0] > FAULT_SPAN || lk->budget <= BUDGET_MIN)
		return;
	for (k = 0; k < LINK_FAULT_MEMORY; k++)
		if (!lk->fault_full[k])
			return;
	lk->budget = lk->budget * 3 / 4;
	if (lk->budget < BUDGET_MIN)
		lk->budget = BUDGET_MIN;
	lk->budget_at = n;
	lk->nfaults_kept = 0;
	snprintf(why, sizeof(why), "faults recur with the window full: at"
	    " most %zu bytes in flight for a while", lk->budget);
	link_event(lk, LINK_EV_INFO, n, why);
}

/* Every line up to n is acknowledged. */
static void
ack_through(struct link *lk, long n, long long now)
{
	long i;
	int k, j;

	if (n <= lk->acked_n)
		return;
	if (n > lk->sent_n)
		n = lk->sent_n;
	{
		long sample = (long)(now - lk->history_at[n % LINK_HISTORY]);

		if (sample >= 0)
			lk->rtt_ms = lk->rtt_ms == 0 ? sample + 1 :
			    (7 * lk->rtt_ms + sample) / 8;
	}
	for (i = lk->acked_n + 1; i <= n; i++) {
		lk->inflight_bytes -= line_bytes(lk, i);
		if (line_flags(lk, i) & LINE_JOB)
			lk->job_acked++;
	}
	lk->acked_n = n;
	for (k = 0, j = 0; k < lk->nprobes; k++)
		if (lk->probes[k] > n)
			lk->probes[j++] = lk->probes[k];
	lk->nprobes = j;
	lk->timeouts = 0;
	link_budget_grow(lk);
	arm_timeout(lk, now);
	if (lk->job_acked > 0)
		link_event(lk, LINK_EV_ACK, lk->job_acked, NULL);
	link_pump(lk, now);
	link_check_done(lk);
}

/* Lines before n are no longer acknowledged (the firmware says so). */
static void
unack_from(struct link *lk, long n)
{
	long i;

	for (i = n; i <= lk->acked_n; i++)
		if (line_flags(lk, i) & LINE_JOB)
			lk->job_acked--;
	lk->acked_n = n - 1;
}

static void
recount_inflight(struct link *lk)
{
	long i;
	int k, j;

	lk->inflight_bytes = 0;
	for (i = lk->acked_n + 1; i <= lk->sent_n; i++)
		lk->inflight_bytes += line_bytes(lk, i);
	for (k = 0, j = 0; k < lk->nprobes; k++)
		if (lk->probes[k] > lk->acked_n && lk->probes[k] <= lk->sent_n)
			lk->probes[j++] = lk->probes[k];
	lk->nprobes = j;
}

static void
link_fatal(struct link *lk, const char *why)
{
	if (lk->state == LINK_HALTED) {
		/* Already stopped (an emergency stop, say): the firmware's
		 * words are news, not a second end. */
		link_event(lk, LINK_EV_INFO, 0, why);
		return;
	}
	lk->state = LINK_HALTED;
	lk->outlen = 0;
	lk->deadline = -1;
	link_event(lk, LINK_EV_FATAL, lk->job_acked, why);
}

/* Handshake: M110 N0, a deliberately damaged M115 to learn whether an
 * "ok" follows Resend:, then M115. */
enum {
	HS_M110,
	HS_PROBE,		/* damaged line sent, waiting for Resend: */
	HS_PROBE_OK,		/* Resend: seen, waiting for an "ok" */
	HS_M115,
	HS_M155,		/* auto-reports on: "M155 S2" sent */
	HS_RESEND_WAIT,		/* line noise: wait for an "ok", then again */
	HS_KL_STATUS,		/* Klipper: STATUS sent */
	HS_KL_WAIT,		/* Klipper not ready: wait for "Ready" */
};

static void
hs_send(struct link *lk, long long now)
{
	char buf[GCODE_MAX_FRAMED + 2];
	int len;

	lk->outlen = 0;
	switch (lk->hs_step) {
	case HS_M110:
		link_frame(lk, 0, "M110 N0", 0);
		write_line(lk, 0);
		break;
	case HS_PROBE:
		len = gcode_frame(buf, sizeof(buf), 1, "M115");
		/* Change the checksum: the firmware must ask again. */
		buf[len - 1] = buf[len - 1] == '0' ? '1' : '0';
		link_put(lk, buf, (size_t)len);
		break;
	case HS_M155:
		link_frame(lk, 2, "M155 S2", 0);
		write_line(lk, 2);
		break;
	case HS_KL_STATUS:
		/* Answered with "// Klipper state: Ready" when it is. */
		lk->kl_ready = 0;
		link_frame(lk, 2, "STATUS", 0);
		write_line(lk, 2);
		break;
	default:
		link_frame(lk, 1, "M115", 0);
		write_line(lk, 1);
		break;
	}
	lk->deadline = now + (lk->opts.handshake_timeout_ms > 0 ?
	    lk->opts.handshake_timeout_ms : 2000);
}

static void
link_handshake(struct link *lk, long long now)
{
	lk->state = LINK_HANDSHAKE;
	lk->hs_step = HS_M110;
	lk->firmware[0] = '\0';
	hs_send(lk, now);
}

void
link_open(struct link *lk, long long now)
{
	struct link_opts o = lk->opts;

	link_init(lk, &o);
	lk->state = LINK_WAIT_START;
	lk->deadline = now + o.handshake_timeout_ms;
	/* Klipper says nothing when its port is opened: no "start". */
	if (o.handshake_timeout_ms == 0 || lk->klipper)
		link_handshake(lk, now);
}

void
link_close(struct link *lk)
{
	struct link_opts o = lk->opts;

	link_init(lk, &o);
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
		lk->out_partial = 0;
		return;
	}
	if (n > 0)
		lk->out_partial = lk->out[n - 1] != '\n';
	memmove(lk->out, lk->out + n, lk->outlen - n);
	lk->outlen -= n;
}

int
link_job_begin(struct link *lk, long long now)
{
	if (lk->state != LINK_IDLE)
		return -1;
	lk->clock = now;
	lk->state = LINK_PRINTING;
	lk->next_n = 0;
	lk->acked_n = lk->sent_n = -1;
	lk->inflight_bytes = 0;
	lk->job_acked = 0;
	lk->extra_oks = 0;
	lk->oob_oks = 0;
	lk->oob_bytes = 0;
	lk->recovering = 0;
	lk->fault_n = -1;
	lk->nfaults_kept = 0;
	lk->budget_at = 0;
	lk->probe_due = lk->probe_every;
	/* Nothing goes behind the M110 until it is acknowledged (one line
	 * at a time while acked_n < pingpong_until): until then the
	 * firmware numbers from the last line it took, and a job line
	 * might match that number by chance. */
	lk->pingpong_until = 0;
	lk->nprobes = 0;
	lk->timeouts = 0;
	lk->input_done = 0;
	lk->last_sync = now;
	lk->last_rx = now;
	link_frame(lk, 0, "M110 N0", 0);
	lk->next_n = 1;
	link_pump(lk, now);
	return 0;
}

int
link_wants_line(const struct link *lk)
{
	return lk->state == LINK_PRINTING && !lk->input_done &&
	    !lk->recovering && lk->sent_n + 1 >= lk->next_n &&
	    lk->next_n - lk->acked_n < LINK_HISTORY - 8 &&
	    lk->sent_n - lk->acked_n < link_window(lk);
}

/* Lines not yet acknowledged must stay in the history: room for n
 * more? */
static int
history_room(const struct link *lk, long n)
{
	return lk->next_n + n - (lk->acked_n + 1) <= LINK_HISTORY;
}

int
link_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		size_t k, len;
		unsigned c = *p;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return 0;
		if ((size_t)(e - p) < len)
			return 0;
		for (k = 1; k < len; k++)
			if ((p[k] & 0xc0) != 0x80)
				return 0;
		/* No overlong forms, surrogates or code points past
		 * U+10FFFF: Python's decoder refuses them. */
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
		    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0;
		p += len;
	}
	return 1;
}

/* Klipper drops a whole read that is not UTF-8, with every line in it:
 * a line that is not (Latin-1 in an M117, say) goes with each byte of
 * what does not decode as '?', and the backend is told. */
static const char *
kl_utf8_line(struct link *lk, const char *cmd, char *buf, size_t size)
{
	size_t n = strlen(cmd), i, len;
	char why[160];

	if (link_utf8_valid(cmd, n) || n >= size)
		return cmd;
	for (i = 0; i < n; i += len) {
		unsigned char c = (unsigned char)cmd[i];

		len = 1;
		if (c < 0x80) {
			buf[i] = cmd[i];
			continue;
		}
		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (i + len <= n && link_utf8_valid(cmd + i, len))
			memcpy(buf + i, cmd + i, len);
		else {
			len = 1;
			buf[i] = '?';
		}
	}
	buf[n] = '\0';
	snprintf(why, sizeof(why), "line %ld is not UTF-8, which Klipper"
	    " refuses: sent with '?' for the bytes that do not decode",
	    lk->next_n);
	link_event(lk, LINK_EV_INFO, lk->next_n, why);
	return buf;
}

static int
link_add_line(struct link *lk, const char *cmd, int flags, long long now)
{
	char utf8[GCODE_MAX_FRAMED + 2];

	if (lk->state != LINK_PRINTING)
		return -1;
	if (lk->klipper)
		cmd = kl_utf8_line(lk, cmd, utf8, sizeof(utf8));
	/* One place is kept for an M105 probe. */
	if (!history_room(lk, 2))
		return -1;
	lk->clock = now;
	if (link_frame(lk, lk->next_n, cmd, flags) < 0)
		return -1;
	lk->next_n++;
	/* A job may change how often the printer reports (M155 S0 stops
	 * it): silence means what the reports say. */
	if ((cmd[0] == 'M' || cmd[0] == 'm') &&
	    strncmp(cmd + 1, "155", 3) == 0 &&
	    !isdigit((unsigned char)cmd[4])) {
		double v;

		if (gcode_word(cmd, 'S', &v) && v >= 0 && v <= 255)
			lk->report_ms = (long)v * 1000;
	}
	link_pump(lk, now);
	return 0;
}

/* The result of an M105 (ours or the job's) on line m: `lost' lines
 * before it had lost their "ok".  Probes in the stream come more often
 * while they find lost "ok"s, and less often while they find none. */
static void
link_probe_result(struct link *lk, long m, long lost)
{
	if (lost > 0) {
		lk->lost_oks += (unsigned long)lost;
		lk->probe_every /= 4;
		if (lk->probe_every < PROBE_EVERY_MIN)
			lk->probe_every = PROBE_EVERY_MIN;
	} else {
		lk->probe_every += lk->probe_every / 4;
		if (lk->probe_every > PROBE_EVERY_MAX)
			lk->probe_every = PROBE_EVERY_MAX;
	}
	lk->probe_due = m + lk->probe_every;
}

int
link_send_line(struct link *lk, const char *cmd, long long now)
{
	if (link_add_line(lk, cmd, LINE_JOB, now) < 0)
		return -1;
	/* Every probe_every lines an M105 goes in the stream, taking its
	 * turn like any line: its reply settles any "ok" lost since the
	 * last, without stopping the flow.  None while an M105 is on its
	 * way (the job's own serves as well). */
	if (lk->next_n - 1 >= lk->probe_due && lk->nprobes == 0 &&
	    !(line_flags(lk, lk->next_n - 1) & LINE_TEMP) &&
	    link_add_line(lk, "M105", LINE_PROBE, now) == 0)
		lk->probe_due = lk->next_n - 1 + lk->probe_every;
	return 0;
}

int
link_send_script(struct link *lk, const char *cmd, long long now)
{
	return link_add_line(lk, cmd, 0, now);
}

long
link_lines_given(const struct link *lk)
{
	return lk->next_n - 1;
}

long
link_lines_acked(const struct link *lk)
{
	return lk->acked_n;
}

/* An M105 whose "ok T:" acknowledges everything before it, written at
 * once after every other line. */
static void
link_probe(struct link *lk, long long now)
{
	if (lk->state != LINK_PRINTING || lk->sent_n + 1 < lk->next_n ||
	    !history_room(lk, 1))
		return;
	if (link_frame(lk, lk->next_n, "M105", LINE_PROBE) < 0)
		return;
	lk->next_n++;
	write_line(lk, lk->next_n - 1);
	lk->last_sync = now;
	arm_timeout(lk, now);
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
	lk->recovering = 0;
	lk->deadline = -1;
}

void
link_emergency_stop(struct link *lk)
{
	int partial = lk->outlen > 0 && lk->out_partial;

	if (lk->state == LINK_CLOSED)
		return;
	/* A line half on the wire is ended first, so that M112 starts a
	 * line of its own; whatever else waited is dropped. */
	lk->outlen = 0;
	lk->out_partial = 0;
	if (partial)
		link_put(lk, "", 0);
	link_put(lk, "M112", 4);
	lk->state = LINK_HALTED;
	lk->deadline = -1;
	lk->recovering = 0;
	link_event(lk, LINK_EV_FATAL, lk->job_acked,
	    "emergency stop (M112) by request");
}

int
link_send_oob(struct link *lk, const char *cmd)
{
	size_t n = strlen(cmd), at = 0;
	char *nl;

	if (lk->state == LINK_CLOSED || lk->state == LINK_HALTED ||
	    n == 0 || memchr(cmd, '\n', n) != NULL ||
	    lk->outlen + n + 1 > sizeof(lk->out))
		return -1;
	/* After the line half on the wire, before the rest. */
	if (lk->outlen > 0 && lk->out_partial) {
		if ((nl = memchr(lk->out, '\n', lk->outlen)) == NULL)
			return -1;
		at = (size_t)(nl - lk->out) + 1;
	}
	memmove(lk->out + at + n + 1, lk->out + at, lk->outlen - at);
	memcpy(lk->out + at, cmd, n);
	lk->out[at + n] = '\n';
	lk->outlen += n + 1;
	lk->bytes_sent += n + 1;
	lk->lines_sent++;
	/* Marlin answers it as any unnumbered line, with a plain "ok"
	 * (without N, with ADVANCED_OK) when its queue reaches it. */
	if (lk->state == LINK_PRINTING) {
		lk->oob_oks++;
		lk->oob_bytes += n + 1;
	}
	return 0;
}

int
link_parse_temps(const char *s, struct link_temp *t, int max)
{
	const char *p = s;
	int n = 0;

	while (*p && n < max) {
		const char *name = p;
		char *end;
		size_t len;
		double a;

		/* A sensor: letters and digits, then ':' and a number. */
		while (isalnum((unsigned char)*p))
			p++;
		len = (size_t)(p - name);
		if (*p != ':' || len == 0 || len >= sizeof(t->name) ||
		    !(name == s || name[-1] == ' ') || name[0] == '@' ||
		    (len >= 1 && name[len - 1] == '@')) {
			while (*p && *p != ' ')
				p++;
			while (*p == ' ')
				p++;
			continue;
		}
		a = strtod(p + 1, &end);
		if (end == p + 1 || strncmp(name, "W", len) == 0) {
			p = end;
			continue;
		}
		memcpy(t[n].name, name, len);
		t[n].name[len] = '\0';
		t[n].actual = a;
		t[n].target = 0;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == '/') {
			t[n].target = strtod(p + 1, &end);
			p = end;
		}
		n++;
		while (*p == ' ')
			p++;
	}
	return n;
}

static void
link_on_temps(struct link *lk, const char *s)
{
	struct link_temp t[8];
	int n;

	if ((n = link_parse_temps(s, t, 8)) == 0)
		return;
	if (t[0].name[0] != 'T' && t[0].name[0] != 'B')
		return;
	memcpy(lk->temps, t, sizeof(t[0]) * (size_t)n);
	lk->ntemps = n;
	link_event(lk, LINK_EV_TEMPS, n, s);
}

static void
link_ready(struct link *lk, long long now)
{
	lk->state = LINK_IDLE;
	lk->report_ms = lk->cap_autoreport ? REPORT_PERIOD_MS : 0;
	lk->last_sync = now;
	lk->deadline = -1;
	link_event(lk, LINK_EV_READY, 0,
	    lk->firmware[0] ? lk->firmware : "unknown firmware");
}

/* The "ok" of STATUS: ready if "// Klipper state: Ready" came before
 * it; else Klipper is shut down or connecting, and STATUS goes again
 * every handshake timeout until it says Ready (unasked, at the end of
 * a FIRMWARE_RESTART, or to STATUS). */
static void
kl_hs_on_ok(struct link *lk, long long now)
{
	if (lk->kl_ready) {
		link_ready(lk, now);
		return;
	}
	if (lk->hs_step == HS_KL_STATUS)
		link_event(lk, LINK_EV_INFO, 0, "Klipper is not ready;"
		    " waiting for \"Klipper state: Ready\"");
	lk->hs_step = HS_KL_WAIT;
	lk->deadline = now + (lk->opts.handshake_timeout_ms > 0 ?
	    lk->opts.handshake_timeout_ms : 2000);
}

static void
hs_on_ok(struct link *lk, const char *s, long long now)
{
	switch (lk->hs_step) {
	case HS_M110:
		lk->hs_step = lk->opts.resend_ok == LINK_RESEND_OK_AUTO &&
		    !lk->hs_probed && !lk->klipper ? HS_PROBE : HS_M115;
		hs_send(lk, now);
		return;
	case HS_KL_STATUS:
	case HS_KL_WAIT:
		kl_hs_on_ok(lk, now);
		return;
	case HS_PROBE:
		/* The firmware took the damaged line: it checks nothing.
		 * Go on; the M115 output, if any, was recorded. */
		/* FALLTHROUGH */
	case HS_M115:
		if (lk->klipper) {
			/* Its M115 answers even while it is shut down. */
			lk->hs_step = HS_KL_STATUS;
			hs_send(lk, now);
			return;
		}
		if (lk->cap_autoreport && lk->hs_step == HS_M115) {
			/* Temperatures every 2 s without asking. */
			lk->hs_step = HS_M155;
			hs_send(lk, now);
			return;
		}
		/* FALLTHROUGH */
	case HS_M155:
		link_ready(lk, now);
		return;
	case HS_PROBE_OK:
		lk->resend_ok = 1;
		lk->hs_probed = 1;
		lk->hs_step = HS_M115;
		hs_send(lk, now);
		return;
	case HS_RESEND_WAIT:
		link_handshake(lk, now);	/* from M110 again */
		return;
	}
	(void)s;
}

static void
hs_on_resend(struct link *lk, long long now)
{
	switch (lk->hs_step) {
	case HS_PROBE:
		lk->hs_step = HS_PROBE_OK;
		lk->deadline = now + LINK_RESEND_OK_WAIT_MS;
		return;
	case HS_PROBE_OK:
		return;		/* a burst */
	default:
		/* Line noise: after the burst, greet again from M110,
		 * which sets the line number whatever the firmware had. */
		lk->resends++;
		lk->hs_step = HS_RESEND_WAIT;
		lk->outlen = 0;
		lk->deadline = now + LINK_RESEND_OK_WAIT_MS;
		return;
	}
}

/* Klipper answers each line with one "ok", in order, whatever its
 * text ("ok B:... T0:..." for M105, "ok FIRMWARE_NAME:..." for M115),
 * and loses none on its pseudo-terminal. */
static void
kl_on_ok(struct link *lk, long long now)
{
	if (lk->oob_oks > 0) {
		lk->oob_bytes -= lk->oob_bytes / (size_t)lk->oob_oks;
		if (--lk->oob_oks == 0)
			lk->oob_bytes = 0;
		return;
	}
	if (lk->acked_n < lk->sent_n)
		ack_through(lk, lk->acked_n + 1, now);
}

static void
link_on_ok(struct link *lk, const char *s, long long now)
{
	const char *p;
	long n;

	if (lk->state == LINK_HANDSHAKE) {
		hs_on_ok(lk, s, now);
		return;
	}
	if (lk->idle_poll) {
		/* The answer to an M105 sent while idle; a job that began
		 * since waited for it. */
		lk->idle_poll = 0;
		link_pump(lk, now);
		return;
	}
	if (lk->state != LINK_PRINTING)
		return;
	if (lk->klipper) {
		kl_on_ok(lk, now);
		return;
	}

	/* "ok T:..." answers the oldest M105 in flight, the job's or ours,
	 * and so every line before it; lines before it still unanswered
	 * lost their "ok".  With no M105 in flight it answers nothing
	 * counted (a line already taken for answered). */
	if (s[2] != '\0' && strstr(s, "T:") != NULL) {
		long m, lost;

		if (lk->nprobes == 0)
			return;
		m = lk->probes[0];
		lost = m - 1 - lk->acked_n;
		ack_through(lk, m, now);
		link_probe_result(lk, m, lost);
		return;
	}
	/* ADVANCED_OK: "ok N<n> P<planner> B<buffer>" names its line. */
	if (s[2] != '\0' && (p = strstr(s, " N")) != NULL &&
	    isdigit((unsigned char)p[2])) {
		const char *b;

		n = strtol(p + 2, NULL, 10);
		if ((b = strstr(s, " B")) != NULL &&
		    isdigit((unsigned char)b[2])) {
			long free_slots = strtol(b + 2, NULL, 10);

			/* With everything acknowledged, the free slots are
			 * the whole command queue. */
			if (n >= lk->sent_n && free_slots > lk->cmd_slots &&
			    free_slots < 1000)
				lk->cmd_slots = (int)free_slots;
		}
		if (n > lk->acked_n && n <= lk->sent_n) {
			ack_through(lk, n, now);
			return;
		}
		/* A line already answered, or a damaged number. */
		if (n <= lk->acked_n && n > lk->acked_n - LINK_HISTORY)
			return;
	}
	/* The "ok" of a line sent out of band: its own, plain, or the
	 * first plain one after it (an ack of the job's counted late,
	 * never early).  Its bytes are released with it: the line it
	 * may really acknowledge, a job's, is framed, never shorter. */
	if (lk->oob_oks > 0) {
		lk->oob_bytes -= lk->oob_bytes / (size_t)lk->oob_oks;
		if (--lk->oob_oks == 0)
			lk->oob_bytes = 0;
		return;
	}
	/* The "ok" some firmware sends right after "Resend:". */
	if (lk->extra_oks > 0) {
		lk->extra_oks--;
		return;
	}
	if (lk->acked_n < lk->sent_n)
		ack_through(lk, lk->acked_n + 1, now);
}

/* How long a fault's burst of errors lasts: the lines in transit when
 * the firmware met the fault reach it and are answered within about a
 * round trip. */
static long
quiet_ms(const struct link *lk)
{
	long q = lk->rtt_ms + lk->rtt_ms / 2;

	if (q < QUIET_MIN_MS)
		q = QUIET_MIN_MS;
	if (q > QUIET_MAX_MS)
		q = QUIET_MAX_MS;
	return q;
}

static void
link_end_recovery(struct link *lk, long long now)
{
	/* From the line asked for, with the whole window. */
	lk->recovering = 0;
	lk->extra_oks = 0;
	link_pump(lk, now);
	link_check_done(lk);
}

static void
link_on_resend(struct link *lk, const char *arg, long long now)
{
	char why[200];
	const char *p = arg;
	char *end;
	long n, lo;

	while (*p && !isdigit((unsigned char)*p))
		p++;
	n = strtol(p, &end, 10);
	if (end == p) {
		link_event(lk, LINK_EV_INFO, 0, "resend request without a"
		    " line number ignored");
		return;
	}
	if (lk->state == LINK_HANDSHAKE) {
		hs_on_resend(lk, now);
		return;
	}
	if (lk->state != LINK_PRINTING)
		return;
	/* Before the job's M110 is acknowledged, the firmware counts from
	 * whatever line it took last: whatever it asks for, the M110 did
	 * not arrive. */
	if (lk->acked_n < 0)
		n = 0;
	/* The firmware asks for the line after the last it took.  That is
	 * among the lines in flight, or a few before when a damaged N
	 * word earned an "ok" for nothing; anything else is a damaged
	 * number, and the firmware will ask again. */
	lo = lk->acked_n + 1 - link_window(lk) - 2;
	if (n < lo || n > lk->sent_n + 1) {
		snprintf(why, sizeof(why), "ignored a request for line %ld,"
		    " far from the lines in flight (%ld to %ld)", n,
		    lk->acked_n + 1, lk->sent_n);
		link_event(lk, LINK_EV_INFO, n, why);
		if (++lk->ignored_resends > MAX_IGNORED_RESENDS)
			link_fatal(lk, "the printer keeps asking for lines"
			    " that were never sent");
		return;
	}
	if (n <= lk->next_n - LINK_HISTORY || n < 0 ||
	    (n < lk->next_n && lk->history_n[n % LINK_HISTORY] != n)) {
		snprintf(why, sizeof(why), "the printer asked for line %ld,"
		    " which is no longer kept", n);
		link_fatal(lk, why);
		return;
	}
	lk->ignored_resends = 0;
	lk->resends++;
	/* Marlin 2.1 follows every "Resend:" with an "ok" of its own;
	 * one lost is forgotten when the burst has passed. */
	if (lk->resend_ok)
		lk->extra_oks++;
	/* While recovering, this is the burst of one fault: each line in
	 * transit when the firmware drained its buffer is refused in turn,
	 * and the link goes back to the line each asks for. */
	if (!lk->recovering && n == lk->fault_n && lk->acked_n < n) {
		/* The burst's tail, after the resend began: what was resent
		 * went with it.  The same fault. */
		lk->recovering = 1;
	} else if (!lk->recovering) {
		lk->faults++;
		lk->fault_n = n;
		lk->recovering = 1;
		link_event(lk, LINK_EV_RESEND, n, NULL);
		link_weigh_fault(lk, n);
	}
	lk->quiet_at = now + quiet_ms(lk);
	/* Lines from n on are lost; lines before n still owe an ok. */
	if (n - 1 < lk->acked_n)
		unack_from(lk, n);
	if (n - 1 < lk->sent_n)
		lk->sent_n = n - 1;
	recount_inflight(lk);
	/* Drop whole lines not yet written; keep a line half-written. */
	if (lk->outlen > 0) {
		char *nl = lk->out_partial ?
		    memchr(lk->out, '\n', lk->outlen) : NULL;

		lk->outlen = nl ? (size_t)(nl - lk->out) + 1 : 0;
	}
	arm_timeout(lk, now);
}

static void
link_on_action(struct link *lk, const char *s)
{
	while (*s == ' ')
		s++;
	link_event(lk, LINK_EV_ACTION, 0, s);
}

static const char *const fatal_words[] = {
	"kill() called", "Thermal Runaway", "Heating failed", "MAXTEMP",
	"MINTEMP", "Printer stopped due to errors", "Thermal Malfunction",
	"KILL caused", "Watchdog barked",
};

/* Count the "ok"s in a reply line: damaged line ends merge replies
 * ("okok", "ok T:...ok"). */
static int
count_oks(const char *s)
{
	const char *p = s;
	int n = 0;

	while ((p = strstr(p, "ok")) != NULL) {
		if (p == s || !isalpha((unsigned char)p[-1]) || p[-1] == 'k')
			n++;
		p += 2;
	}
	return n;
}

/* "FIRMWARE_NAME:" said (Marlin: a line of its own; Klipper: inside
 * the "ok"): the name and version are kept, not the URL and the rest.
 * A name of Klipper's puts its rules in force. */
static void
link_on_firmware(struct link *lk, const char *name)
{
	char *e;

	snprintf(lk->firmware, sizeof(lk->firmware), "%s", name);
	if ((e = strstr(lk->firmware, " SOURCE_CODE_URL")) != NULL ||
	    (e = strstr(lk->firmware, " PROTOCOL_VERSION")) != NULL)
		*e = '\0';
	if (strncmp(lk->firmware, "Klipper", 7) == 0 &&
	    (lk->firmware[7] == ' ' || lk->firmware[7] == '\0'))
		lk->klipper = 1;
}

/* Does an "ok" line carry temperatures: Marlin's "ok T:...", Klipper's
 * "ok B:25.0 /0.0 T0:25.0 /0.0" (the hotend T0, never T)? */
static int
ok_has_temps(const char *s)
{
	return strstr(s, "T:") != NULL || strstr(s, " T0:") != NULL ||
	    strstr(s, " B:") != NULL;
}

static void
link_on_line(struct link *lk, char *s, long long now)
{
	size_t i;
	int k, oks;

	lk->last_rx = now;
	if (lk->silent) {
		lk->silent = 0;
		link_event(lk, LINK_EV_ALIVE, 0, "the printer answers again");
	}
	if (strcmp(s, "start") == 0) {
		if (lk->state == LINK_PRINTING) {
			lk->state = LINK_IDLE;
			link_event(lk, LINK_EV_RESET, lk->job_acked,
			    "the printer restarted (its firmware said"
			    " \"start\")");
		}
		link_handshake(lk, now);
		return;
	}
	if (lk->state == LINK_WAIT_START) {
		/* An "ok" answers a line of whoever had the port before
		 * (a backend that died mid-print): the board may still be
		 * about to reset.  Anything else means it did not reset, or
		 * the banner is past: greet it now. */
		if (starts_with(s, "ok"))
			return;
		link_handshake(lk, now);
	}
	if (lk->klipper && kl_on_line(lk, s, now))
		return;
	/* The answer to nearly every line, alone: what the branch below
	 * makes of it, without its searches for what it does not hold. */
	if (strcmp(s, "ok") == 0) {
		link_on_ok(lk, s, now);
		return;
	}
	if (starts_with(s, "ok")) {
		const char *fw = strstr(s, " FIRMWARE_NAME:");

		/* Klipper's M115 answer is its "ok": named before the
		 * handshake takes it. */
		if (fw != NULL)
			link_on_firmware(lk, fw + 15);
		oks = fw != NULL ? 1 : count_oks(s);
		for (k = 0; k < oks; k++)
			link_on_ok(lk, k == 0 ? s : "ok", now);
		if (ok_has_temps(s))
			link_on_temps(lk, s + 2);
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
		/* Each error of a fault's burst: it goes on. */
		if (lk->recovering && strstr(s, "Last Line") != NULL)
			lk->quiet_at = now + quiet_ms(lk);
		link_event(lk, LINK_EV_INFO, 0, s);
		return;
	}
	if (starts_with(s, "FIRMWARE_NAME:")) {
		link_on_firmware(lk, s + 14);
		return;
	}
	if (starts_with(s, "Cap:")) {
		if (starts_with(s, "Cap:AUTOREPORT_TEMP:1"))
			lk->cap_autoreport = 1;
		if (starts_with(s, "Cap:EMERGENCY_PARSER:1"))
			lk->cap_emergency = 1;
		return;
	}
	if (starts_with(s, "//action:")) {
		link_on_action(lk, s + 9);
		return;
	}
	if (starts_with(s, "// action:")) {	/* Klipper's */
		link_on_action(lk, s + 10);
		return;
	}
	if (starts_with(s, "echo:busy") || starts_with(s, "busy:")) {
		/* Keepalive: the command runs; wait on. */
		if (lk->state == LINK_PRINTING && lk->sent_n > lk->acked_n)
			arm_timeout(lk, now);
		return;
	}
	if (strcmp(s, "wait") == 0) {
		/* The firmware's queue is empty: any "ok" owed was lost. */
		if (lk->state == LINK_PRINTING && lk->sent_n > lk->acked_n &&
		    !lk->recovering)
			link_probe(lk, now);
		return;
	}
	if (starts_with(s, "T:") || starts_with(s, " T:") ||
	    starts_with(s, "B:") || starts_with(s, " B:")) {
		link_on_temps(lk, s);
		/* A long command that reports is alive. */
		if (lk->state == LINK_PRINTING && lk->sent_n > lk->acked_n &&
		    (line_flags(lk, lk->acked_n + 1) & LINE_LONG))
			arm_timeout(lk, now);
		return;
	}
	if (s[0] == '\0')
		return;
	link_event(lk, LINK_EV_INFO, 0, s);
}

/* Klipper stopped: the job ends with its words, and nothing more is
 * sent (link_fatal). */
static void
kl_stopped(struct link *lk, const char *why)
{
	char msg[LINK_RXLINE + 32];

	lk->kl_shutdown = 0;
	lk->kl_shut_text = 0;
	lk->kl_ready = 0;
	snprintf(msg, sizeof(msg), "Klipper shut down: %s", why);
	link_fatal(lk, msg);
}

/* The first line of a shutdown's message, as every line is answered
 * once Klipper is shut down (klippy.py invoke_shutdown): an emergency
 * stop, a lost or faulty MCU, a heater that does not heat. */
static int
kl_is_shutdown(const char *why)
{
	return strncmp(why, "Shutdown due to", 15) == 0 ||
	    strncmp(why, "Lost communication with MCU", 27) == 0 ||
	    strncmp(why, "MCU '", 5) == 0 ||
	    (strncmp(why, "Heater ", 7) == 0 &&
	    strstr(why, "not heating") != NULL) ||
	    strcmp(why, "Printer is shutdown") == 0 ||
	    strcmp(why, "Printer is not ready") == 0;
}

/* Lines framed but not yet written are not sent after all (a line half
 * on the wire is ended): only the lines Klipper has will be answered. */
static void
kl_unsend(struct link *lk)
{
	size_t i, keep = 0;
	char *nl;

	if (lk->outlen > 0 && lk->out_partial &&
	    (nl = memchr(lk->out, '\n', lk->outlen)) != NULL)
		keep = (size_t)(nl - lk->out) + 1;
	for (i = keep; i < lk->outlen; i++)
		if (lk->out[i] == '\n' && lk->sent_n > lk->acked_n)
			lk->sent_n--;
	lk->outlen = keep;
	recount_inflight(lk);
}

/* "// Klipper state: Ready", "Shutdown" or "Disconnect" (a
 * FIRMWARE_RESTART), or STATUS's "Not ready".  Mid-job, anything but
 * Ready stops the sending at once; the reason comes with the answers
 * of the lines in flight, if there are any.  Idle, the link ends too:
 * the backend opens it again and waits for Ready. */
static void
kl_on_state(struct link *lk, const char *state, long long now)
{
	char why[LINK_RXLINE];

	if (strcmp(state, "Ready") == 0) {
		lk->kl_ready = 1;
		if (lk->state == LINK_HANDSHAKE && lk->hs_step == HS_KL_WAIT)
			link_ready(lk, now);
		return;
	}
	lk->kl_ready = 0;
	snprintf(why, sizeof(why), "Klipper state: %s", state);
	if (lk->kl_shutdown)
		return;		/* STATUS's "Not ready", say */
	if (lk->state == LINK_PRINTING) {
		lk->kl_shutdown = 1;
		lk->kl_shut_at = now + KL_WHY_WAIT_MS;
		lk->deadline = -1;
		kl_unsend(lk);
		link_event(lk, LINK_EV_INFO, 0, why);
		/* No line in flight to be answered with the reason: STATUS
		 * asks for it (a question, not a command). */
		if (lk->sent_n == lk->acked_n)
			link_put(lk, "STATUS", 6);
	} else if (lk->state == LINK_PRINTING || lk->state == LINK_IDLE ||
	    lk->state == LINK_HALTED)
		kl_stopped(lk, why);
}

static void
kl_on_error(struct link *lk, const char *s)
{
	const char *why = s + 2;

	while (*why == ' ')
		why++;
	if (lk->kl_shutdown || (lk->state == LINK_PRINTING &&
	    (lk->kl_shut_text || kl_is_shutdown(why)))) {
		kl_stopped(lk, why);
		return;
	}
	lk->kl_shut_text = 0;
	/* A command dropped, Klipper goes on: the backend decides. */
	link_event(lk, LINK_EV_INFO, 0, s);
}

/* Klipper's lines that Marlin's rules would take amiss.  1 if taken. */
static int
kl_on_line(struct link *lk, const char *s, long long now)
{
	/* Any line shows it alive: its waits say nothing else. */
	if (lk->state == LINK_PRINTING && lk->sent_n > lk->acked_n &&
	    !lk->kl_shutdown)
		arm_timeout(lk, now);
	if (starts_with(s, "// Klipper state: ")) {
		kl_on_state(lk, s + 18, now);
		return 1;
	}
	if (starts_with(s, "// action:"))
		return 0;
	if (starts_with(s, "// ") || strcmp(s, "//") == 0) {
		if (strcmp(s, "// Printer is shutdown") == 0 ||
		    strcmp(s, "// Printer is not ready") == 0)
			lk->kl_shut_text = 1;
		link_event(lk, LINK_EV_INFO, 0, s);
		return 1;
	}
	if (starts_with(s, "!!")) {
		kl_on_error(lk, s);
		return 1;
	}
	if (starts_with(s, "ok"))
		lk->kl_shut_text = 0;
	return 0;
}

/* No reason came for a shutdown in time. */
static void
kl_tick(struct link *lk, long long now)
{
	if (lk->kl_shutdown && now >= lk->kl_shut_at)
		kl_stopped(lk, "Klipper state: Shutdown");
}

void
link_on_bytes(struct link *lk, const char *buf, size_t len, long long now)
{
	size_t i;

	lk->clock = now;
	lk->bytes_received += len;
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

/* Might a quiet link mean lost "ok"s?  Not while an M105 is on its way
 * (its reply will tell), nor while a long command runs (it may take
 * minutes, and its "ok" comes when it is done). */
static int
stall_probe_due(const struct link *lk)
{
	return lk->state == LINK_PRINTING && lk->opts.stall_ms > 0 &&
	    !lk->klipper &&
	    lk->sent_n > lk->acked_n && lk->nprobes == 0 && !lk->recovering &&
	    !(line_flags(lk, lk->acked_n + 1) & LINE_LONG);
}

/* A printer that auto-reports its temperatures (M155 S2) and says
 * nothing for SILENT_PERIODS reports is not responding (told at once);
 * after silence_ms, with a job, it is gone.  Any line counts as life:
 * busy keepalives, wait lines, reports. */
static long
silence_limit(const struct link *lk)
{
	long min = (SILENT_PERIODS + 2) * lk->report_ms;

	return lk->opts.silence_ms > min ? lk->opts.silence_ms : min;
}

static void
link_check_silence(struct link *lk, long long now)
{
	char why[160];
	long quiet = (long)(now - lk->last_rx);

	if (lk->report_ms <= 0 || lk->opts.silence_ms <= 0 ||
	    (lk->state != LINK_IDLE && lk->state != LINK_PRINTING))
		return;
	if (!lk->silent && quiet >= SILENT_PERIODS * lk->report_ms) {
		lk->silent = 1;
		snprintf(why, sizeof(why), "not responding: no word from the"
		    " printer for %ld s (it reports every %ld s)", quiet / 1000,
		    lk->report_ms / 1000);
		link_event(lk, LINK_EV_SILENT, quiet, why);
	}
	if (lk->state == LINK_PRINTING && quiet >= silence_limit(lk)) {
		snprintf(why, sizeof(why), "the printer said nothing for %ld s"
		    " (it reports its temperatures every %ld s)", quiet / 1000,
		    lk->report_ms / 1000);
		lk->state = LINK_HALTED;
		lk->outlen = 0;
		lk->deadline = -1;
		lk->recovering = 0;
		link_event(lk, LINK_EV_LOST, lk->job_acked, why);
	}
}

/* How long a quiet link with lines in flight is normal: a few round
 * trips, within [100 ms, stall_ms]. */
static long
stall_after(const struct link *lk)
{
	long t = 8 * lk->rtt_ms;

	if (t < 100)
		t = 100;
	if (t > lk->opts.stall_ms)
		t = lk->opts.stall_ms;
	return t;
}

static void
link_on_timeout(struct link *lk, long long now)
{
	char why[160];

	lk->timeouts++;
	lk->timeout_count++;
	link_event(lk, LINK_EV_TIMEOUT, lk->timeouts, NULL);
	if (lk->timeouts > lk->opts.max_timeouts) {
		snprintf(why, sizeof(why), "the printer stopped answering"
		    " (%d periods of %ld s without a reply)",
		    lk->timeouts - 1, lk->opts.ok_timeout_ms / 1000);
		link_fatal(lk, why);
		return;
	}
	if (lk->recovering) {
		lk->recovering = 0;
		lk->extra_oks = 0;
	}
	/* An M105 unanswered for two periods lost its reply too: another
	 * goes (a reply answers the oldest M105 in flight, so nothing is
	 * taken for more than it answers). */
	/* Klipper loses no "ok": a silence is a long command's
	 * (G28 says nothing until it is done). */
	if (!lk->klipper)
		link_probe_stalled(lk, now, lk->timeouts >= 2);
	lk->deadline = now + lk->opts.ok_timeout_ms;
}

/* The printer is quiet with lines in flight.  The lines it has (at
 * most a window, its command queue) have left its receive buffer, or
 * their "ok"s were lost: either way that buffer is empty.  So lines
 * held back go past the window, then an M105 whose reply acknowledges
 * them all, or makes the firmware ask for what it lacks, as long as
 * these alone fit the buffer. */
static void
link_probe_stalled(struct link *lk, long long now, int timed_out)
{
	size_t extra = 0;

	while (lk->sent_n + 1 < lk->next_n &&
	    extra + line_bytes(lk, lk->sent_n + 1) <= lk->budget) {
		extra += line_bytes(lk, lk->sent_n + 1);
		write_line(lk, lk->sent_n + 1);
	}
	if ((lk->nprobes == 0 || timed_out) &&
	    extra + PROBE_BYTES <= lk->budget)
		link_probe(lk, now);
}

void
link_tick(struct link *lk, long long now)
{
	lk->clock = now;
	if (lk->state == LINK_WAIT_START && lk->deadline >= 0 &&
	    now >= lk->deadline) {
		link_handshake(lk, now);
		return;
	}
	if (lk->state == LINK_HANDSHAKE && lk->deadline >= 0 &&
	    now >= lk->deadline) {
		switch (lk->hs_step) {
		case HS_PROBE_OK:
			/* No "ok" after Resend: this firmware sends none. */
			lk->resend_ok = 0;
			lk->hs_probed = 1;
			lk->hs_step = HS_M115;
			hs_send(lk, now);
			return;
		case HS_RESEND_WAIT:
			link_handshake(lk, now);
			return;
		case HS_KL_WAIT:
			lk->hs_step = HS_KL_STATUS;	/* ask again */
			hs_send(lk, now);
			return;
		default:
			link_event(lk, LINK_EV_INFO, 0, "the printer does not"
			    " answer; greeting it again");
			link_handshake(lk, now);
			return;
		}
	}
	if (lk->idle_poll && now - lk->idle_poll_at >= IDLE_POLL_WAIT_MS) {
		lk->idle_poll = 0;	/* its "ok" was lost */
		link_pump(lk, now);
	}
	if (lk->state == LINK_IDLE && !lk->cap_autoreport &&
	    lk->opts.sync_ms > 0 && !lk->idle_poll &&
	    now - lk->last_sync >= lk->opts.sync_ms) {
		/* No auto-reports: ask for the temperatures. */
		if (link_put(lk, "M105", 4) == 0) {
			lk->idle_poll = 1;
			lk->idle_poll_at = now;
		}
		lk->last_sync = now;
	}
	link_check_silence(lk, now);
	kl_tick(lk, now);
	if (lk->state != LINK_PRINTING)
		return;
	if (lk->recovering && now >= lk->quiet_at)
		link_end_recovery(lk, now);
	if (lk->deadline >= 0 && now >= lk->deadline)
		link_on_timeout(lk, now);
	/* A periodic M105 takes its turn in the stream like any line, and
	 * its reply settles any "ok" lost since the last one. */
	if (lk->state == LINK_PRINTING && lk->opts.sync_ms > 0 &&
	    now - lk->last_sync >= lk->opts.sync_ms) {
		/* Due: one goes unless one is already on its way; either
		 * way the next is a period away (no spinning on it). */
		if (!lk->recovering && !lk->input_done && lk->nprobes == 0 &&
		    !(line_flags(lk, lk->next_n - 1) & LINE_PROBE))
			link_add_line(lk, "M105", LINE_PROBE, now);
		lk->last_sync = now;
	}
	/* Quiet with lines in flight: maybe a long move, maybe lost "ok"s.
	 * One M105 behind them settles it at the cost of a line. */
	if (stall_probe_due(lk) && now - lk->last_rx >= stall_after(lk) &&
	    now - lk->last_sync >= stall_after(lk))
		link_probe_stalled(lk, now, 0);
	link_pump(lk, now);
}

long
link_timeout(const struct link *lk, long long now)
{
	long long t = -1;

	if (lk->deadline >= 0)
		t = lk->deadline;
	if (lk->idle_poll && (t < 0 || lk->idle_poll_at + IDLE_POLL_WAIT_MS < t))
		t = lk->idle_poll_at + IDLE_POLL_WAIT_MS;
	if (lk->state == LINK_IDLE && !lk->cap_autoreport &&
	    lk->opts.sync_ms > 0 && !lk->idle_poll &&
	    (t < 0 || lk->last_sync + lk->opts.sync_ms < t))
		t = lk->last_sync + lk->opts.sync_ms;
	if (lk->state == LINK_PRINTING) {
		long long q = -1;

		/* Recovery wakes when its burst has passed. */
		if (lk->kl_shutdown)
			q = lk->kl_shut_at;
		else if (lk->recovering)
			q = lk->quiet_at;
		else if (lk->opts.sync_ms > 0 && !lk->input_done)
			q = lk->last_sync + lk->opts.sync_ms;
		if (q >= 0 && (t < 0 || q < t))
			t = q;
		if (stall_probe_due(lk)) {
			q = (lk->last_rx > lk->last_sync ? lk->last_rx :
			    lk->last_sync) + stall_after(lk);
			if (t < 0 || q < t)
				t = q;
		}
	}
	if (lk->report_ms > 0 && lk->opts.silence_ms > 0 &&
	    (lk->state == LINK_IDLE || lk->state == LINK_PRINTING)) {
		long long q = -1;

		if (!lk->silent)
			q = lk->last_rx + SILENT_PERIODS * lk->report_ms;
		else if (lk->state == LINK_PRINTING)
			q = lk->last_rx + silence_limit(lk);
		if (q >= 0 && (t < 0 || q < t))
			t = q;
	}
	if (t < 0)
		return -1;
	return t <= now ? 0 : (long)(t - now);
}
