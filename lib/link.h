/*
 * link.h - the printer protocol engine (Marlin/RepRap serial protocol).
 *
 * Pure logic, no I/O: the backend hands it the bytes the printer sent
 * and the time, and takes from it the bytes to write and the events.
 * That is what lets the tests drive every protocol case without a port.
 *
 * It numbers and checksums every line, keeps the lines sent for
 * go-back-N resends, and keeps the firmware's buffers full: lines in
 * flight are bounded by the firmware's receive buffer (bytes) and its
 * command queue (lines).  After a fault it resends with the whole
 * window once the fault's burst of errors has passed, and narrows the
 * window only when faults recur with it full.  Lost "ok"s are found by
 * an M105 in the stream, whose reply ("ok T:...") acknowledges every
 * line before it; a reply is taken only for a line it cannot belong
 * to another of.
 *
 * Klipper's pseudo-terminal (LINK_FLAVOUR_KLIPPER, or an M115 answer
 * naming Klipper) checks no checksum and asks for no resend, answers
 * every line with "ok" even when shut down, and says its state in
 * "// Klipper state: ..." lines: the link is ready only on "Ready", and
 * a shutdown ends the job with Klipper's own words.
 */
#ifndef GSPOOL_LINK_H
#define GSPOOL_LINK_H

#include <stddef.h>

#include "gcode.h"

#define LINK_HISTORY	512		/* framed lines kept for resends */
#define LINK_RXLINE	256		/* longest reply line kept */
#define LINK_OUTBUF	8192
#define LINK_MAXEVENTS	32
#define LINK_MAXPROBES	80		/* M105 lines in flight tracked */
#define LINK_RESEND_OK_WAIT_MS	500	/* wait for an "ok" after "Resend:" */
#define LINK_FAULT_MEMORY	4	/* recent faults weighed for the window */

enum link_state {
	LINK_CLOSED,		/* no port */
	LINK_WAIT_START,	/* port open, waiting for the boot banner */
	LINK_HANDSHAKE,		/* greeting the firmware */
	LINK_IDLE,		/* ready for a job */
	LINK_PRINTING,
	LINK_HALTED,		/* the firmware reported a fatal error */
};

enum link_event_type {
	LINK_EV_READY,		/* handshake done: firmware in text */
	LINK_EV_ACK,		/* job lines up to `line' acknowledged */
	LINK_EV_JOB_DONE,	/* every job line acknowledged */
	LINK_EV_RESEND,		/* the firmware asked for `line' again */
	LINK_EV_TIMEOUT,	/* no answer in time; `line' = count */
	LINK_EV_FATAL,		/* the job cannot go on; text says why */
	LINK_EV_RESET,		/* unexpected "start": the board reset */
	LINK_EV_TEMPS,		/* temperatures in link.temps */
	LINK_EV_ACTION,		/* "//action:" text, e.g. "pause" */
	LINK_EV_INFO,		/* a line worth logging */
	LINK_EV_SILENT,		/* a printer that reports fell silent */
	LINK_EV_ALIVE,		/* and talks again */
	LINK_EV_LOST,		/* silent too long: the job cannot go on */
};

/* What "ok" after "Resend:" the firmware sends: Marlin 2.0.9 sends
 * none, 1.1.x and 2.1.x send one. */
enum link_resend_ok {
	LINK_RESEND_OK_AUTO,	/* find out during the handshake */
	LINK_RESEND_OK_YES,
	LINK_RESEND_OK_NO,
};

/* Which firmware's rules the link follows.  AUTO is Marlin's (and
 * RepRapFirmware's) until an M115 answer names Klipper. */
enum link_flavour {
	LINK_FLAVOUR_AUTO,
	LINK_FLAVOUR_KLIPPER,	/* Klipper's pseudo-terminal */
};

struct link_opts {
	long	handshake_timeout_ms;	/* wait for "start" / each answer */
	long	ok_timeout_ms;		/* silence before an M105 probe */
	int	max_timeouts;		/* probes in a row before giving up */
	int	window;			/* lines in flight; 1 = ping-pong */
	int	rx_buffer;		/* firmware's receive buffer, bytes */
	int	sync_ms;		/* M105 during jobs at least this
					   often (0: only on timeouts) */
	int	stall_ms;		/* quiet with lines in flight: M105 */
	long	silence_ms;		/* a printer that auto-reports and
					   says nothing this long is gone
					   (0: only ok_timeout counts) */
	enum link_resend_ok resend_ok;
	enum link_flavour flavour;
};

struct link_temp {
	char	name[8];		/* T, T0, B, C ... */
	double	actual, target;
};

struct link_event {
	enum link_event_type type;
	long	line;
	char	text[LINK_RXLINE];
};

struct link {
	struct link_opts opts;
	enum link_state	state;
	long long	deadline;	/* handshake / timeout timer, -1 none */
	int		hs_step;
	int		resend_ok;	/* 1: an ok follows Resend: */

	/* Sending: lines acked_n < n <= sent_n are in flight, lines
	 * sent_n < n < next_n wait to be (re)sent. */
	long		next_n;
	long		sent_n;
	long		acked_n;
	size_t		inflight_bytes;
	int		extra_oks;	/* the next "ok" is Resend:'s own */
	int		recovering;	/* a fault's burst of errors */
	long long	quiet_at;	/* when its burst has passed */
	long		fault_n;	/* the line of the last fault */
	long		pingpong_until;	/* one line at a time until acked */
	long		probes[LINK_MAXPROBES];	/* M105 lines in flight */
	int		nprobes;
	int		timeouts;	/* in a row */
	int		ignored_resends; /* in a row */
	size_t		budget;		/* bytes in flight at most, now */
	long		budget_at;	/* line of its last change */
	long		fault_line[LINK_FAULT_MEMORY];	/* recent faults */
	int		fault_full[LINK_FAULT_MEMORY];	/* at a full window */
	int		nfaults_kept;
	long		probe_every;	/* lines between stream probes */
	long		probe_due;	/* line after which one goes */
	int		silent;		/* LINK_EV_SILENT told */
	long		report_ms;	/* the printer reports this often
					   unasked (M155), 0: it does not */
	long		job_acked;	/* job lines acknowledged */
	int		hs_probed;	/* resend_ok measured */
	int		out_partial;	/* out begins inside a line */
	int		oob_oks;	/* "ok"s owed to lines sent out of
					   band, not to the job's */
	size_t		oob_bytes;	/* their bytes, in the firmware's
					   receive buffer until then */
	long long	last_sync;
	long long	last_rx;	/* when the printer last said a line */
	int		input_done;
	int		idle_poll;	/* an M105 sent while idle is owed
					   its "ok" */
	long long	idle_poll_at;
	char		history[LINK_HISTORY][GCODE_MAX_FRAMED + 2];
	long		history_n[LINK_HISTORY];
	unsigned char	history_len[LINK_HISTORY];
	unsigned char	history_long[LINK_HISTORY];
	unsigned short	history_fill[LINK_HISTORY];	/* bytes in flight
							   with it */
	long long	history_at[LINK_HISTORY];	/* when written */
	long		rtt_ms;		/* line written to its ok, smoothed */
	long long	clock;		/* the latest time given */

	char		out[LINK_OUTBUF];
	size_t		outlen;

	/* Receiving. */
	char		rx[LINK_RXLINE];
	size_t		rxlen;
	int		rx_overlong;

	char		firmware[128];
	/* Klipper (link.c): ready is only what "// Klipper state:"
	 * says; a shutdown stops the link, and its words end the job. */
	int		klipper;	/* its rules apply */
	int		kl_ready;	/* "// Klipper state: Ready" seen */
	int		kl_shutdown;	/* shut down: waiting for its words */
	int		kl_shut_text;	/* "// Printer is shutdown" came */
	long long	kl_shut_at;	/* give up waiting for them then */
	int		cap_autoreport;
	int		cap_emergency;
	int		cmd_slots;	/* learnt from ADVANCED_OK B */
	struct link_temp temps[8];
	int		ntemps;

	/* Counters: resend requests, faults (a fault's burst of
	 * requests counts once), "ok"s found lost by a probe. */
	unsigned long	resends, faults, lost_oks, timeout_count, lines_sent;
	unsigned long long bytes_sent, bytes_received;

	struct link_event ev[LINK_MAXEVENTS];
	int		ev_head, ev_count;
};

void	link_opts_default(struct link_opts *);
void	link_init(struct link *, const struct link_opts *);
const char *link_state_name(enum link_state);
const char *link_event_name(enum link_event_type);

/* The port was opened (or closed). */
void	link_open(struct link *, long long now);
void	link_close(struct link *);

void	link_on_bytes(struct link *, const char *buf, size_t len,
	    long long now);
void	link_tick(struct link *, long long now);
/* Milliseconds until link_tick() has something to do, or -1. */
long	link_timeout(const struct link *, long long now);

/* Bytes to write to the port; tell how many were written. */
size_t	link_output(const struct link *, const char **buf);
void	link_output_done(struct link *, size_t n);

/* Jobs: begin (sends M110 N0), feed lines while link_wants_line(),
 * then link_job_input_done(); LINK_EV_JOB_DONE follows the last ok. */
int	link_job_begin(struct link *, long long now);
int	link_wants_line(const struct link *);
int	link_send_line(struct link *, const char *cmd, long long now);
/* A line of the printer's own G-code (pause, resume, cancel scripts):
 * sent like a job line, not counted as one. */
int	link_send_script(struct link *, const char *cmd, long long now);
/* Lines given so far, and acknowledged so far, in the link's own
 * numbering: a script is done when acked reaches what was given. */
long	link_lines_given(const struct link *);
long	link_lines_acked(const struct link *);
void	link_job_input_done(struct link *);
void	link_job_abort(struct link *);

/* Emergency stop: "M112" goes out at once, ahead of everything (the
 * firmware's emergency parser, Cap:EMERGENCY_PARSER, acts on it as it
 * arrives); nothing more is sent and the link is halted. */
void	link_emergency_stop(struct link *);

/* A line out of band, as a prompt's answer goes ("M876 S0"): at once,
 * unnumbered, ahead of the lines waiting (after a line half on the
 * wire), where a firmware's emergency parser acts on it as it arrives.
 * The "ok" it earns later is not taken for a job line's.  0, or -1 if
 * the link is closed or halted, or the line does not fit. */
int	link_send_oob(struct link *, const char *cmd);

/* Events, oldest first; 0 when none. */
int	link_next_event(struct link *, struct link_event *);

/* Is this valid UTF-8 (Klipper drops a whole read that is not)? */
int	link_utf8_valid(const char *, size_t);

/* Parse a temperature report ("T:210.00 /210.00 B:60.00 /60.00 ...").
 * Returns the number of sensors found (0: not a report). */
int	link_parse_temps(const char *s, struct link_temp *t, int max);

#endif
