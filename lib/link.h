/*
 * link.h - the printer protocol engine (Marlin/RepRap serial protocol).
 *
 * Pure logic, no I/O: the backend hands it the bytes the printer sent
 * and the time, and takes from it the bytes to write and the events.
 * That is what lets the tests drive every protocol case without a port.
 *
 * This version sends one line at a time (each waits for its "ok"),
 * numbers and checksums every line, keeps the lines sent for go-back-N
 * resends, and copes with firmware that does or does not follow a
 * "Resend:" with an "ok".
 */
#ifndef GSPOOL_LINK_H
#define GSPOOL_LINK_H

#include <stddef.h>

#include "gcode.h"

#define LINK_HISTORY	64		/* framed lines kept for resends */
#define LINK_RXLINE	256		/* longest reply line kept */
#define LINK_OUTBUF	(LINK_HISTORY * (GCODE_MAX_FRAMED + 2))
#define LINK_MAXEVENTS	16
#define LINK_RESEND_OK_WAIT_MS	500	/* wait for an "ok" after "Resend:" */

enum link_state {
	LINK_CLOSED,		/* no port */
	LINK_WAIT_START,	/* port open, waiting for the boot banner */
	LINK_HANDSHAKE,		/* M110 N0 / M115 sent, waiting for "ok" */
	LINK_IDLE,		/* ready for a job */
	LINK_PRINTING,
	LINK_HALTED,		/* the firmware reported a fatal error */
};

enum link_event_type {
	LINK_EV_READY,		/* handshake done: firmware in text */
	LINK_EV_ACK,		/* job line `line' acknowledged */
	LINK_EV_JOB_DONE,	/* every job line acknowledged */
	LINK_EV_RESEND,		/* the firmware asked for `line' again */
	LINK_EV_FATAL,		/* firmware error; text has its words */
	LINK_EV_RESET,		/* unexpected "start": the board reset */
	LINK_EV_INFO,		/* a line worth logging */
};

struct link_event {
	enum link_event_type type;
	long	line;
	char	text[LINK_RXLINE];
};

struct link {
	enum link_state	state;
	long		handshake_timeout_ms;
	long long	deadline;	/* handshake timer, -1 when none */
	int		handshake_step;	/* 0: M110 sent, 1: M115 sent */

	/* Sending. */
	long		next_n;		/* number of the next new line */
	long		acked_n;	/* highest acknowledged line */
	long		resend_from;	/* next line to resend, -1 if none */
	int		resend_wait_ok;	/* swallow one "ok" after Resend: */
	long long	resend_deadline;
	int		input_done;	/* the job has no more lines */
	char		history[LINK_HISTORY][GCODE_MAX_FRAMED + 2];
	long		history_n[LINK_HISTORY];

	char		out[LINK_OUTBUF];
	size_t		outlen;

	/* Receiving. */
	char		rx[LINK_RXLINE];
	size_t		rxlen;
	int		rx_overlong;

	char		firmware[128];
	unsigned long	resends;
	unsigned long	lines_sent;

	struct link_event ev[LINK_MAXEVENTS];
	int		ev_head, ev_count;
};

void	link_init(struct link *, long handshake_timeout_ms);
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
int	link_job_begin(struct link *);
int	link_wants_line(const struct link *);
int	link_send_line(struct link *, const char *cmd);
void	link_job_input_done(struct link *);
void	link_job_abort(struct link *);

/* Events, oldest first; 0 when none. */
int	link_next_event(struct link *, struct link_event *);

#endif
