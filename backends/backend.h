/*
 * backend.h - the serial backend's map: what each of its files does, the
 * state they share, and the calls between them.
 *
 *   serial.c	start-up, options, the loop (lib/event.c: the port's
 *		descriptor, the link's timers, the control socket), a port
 *		that is lost
 *   ctl.c	the spoold side: the control socket and its messages, what
 *		spoold is told (status, progress, job events, an end), the
 *		end file, the re-attach socket and its greeting
 *   job.c	the job state machine: feeding a spool file to the link,
 *		script lines before the job's, pause, resume, park for a
 *		frame, cancel, M0/M1, gpc send's lines, heaters off after
 *   resume.c	gpc resume-from: a job started again at a layer
 *   filters.c	the job's filters' pipes, kept so that they outlive
 *		spoold; the events that begin here, written to them
 *		(filters.h: the network backends' core keeps them too)
 *   firmware.c	what the printer says, from the protocol engine's events:
 *		acknowledgements, host actions, host prompts and their
 *		answers (M876), complaints
 *   port.c	the transports to the serial line (port.h)
 *
 * serial.c's loop calls into the others; ctl.c and firmware.c turn
 * spoold's messages and the link's events into calls of job.c (and of
 * resume.c, for a print that resumes), and firmware.c calls port_lost
 * for a printer that froze.  job.c tells spoold through ctl.c (tell,
 * status, job_report, job_progress, job_activity): that pair still
 * calls both ways.
 *
 * The job state machine (enum jctl, struct job, the pending lines) knows
 * the printer through few things: the link's line calls (link.h: send,
 * wants a line, lines acknowledged, input done, abort) and the scripts
 * spoold sends (SC_*).  What would still have to move for another kind
 * of printer to reuse it: the link figures it keeps (struct job's *0
 * fields and job_stats read Marlin's link counters), the manual and
 * heaters-off lines (Marlin's M104/M140/M141 in heaters_off, the link's
 * temperature names), the restore of a pause (gstate's G-code) and
 * resume.c's preamble (G92, G28), all of which are G-code; and struct
 * backend, which holds the port and the link beside the job.  A
 * printer that is not driven line by line would call job.c's state
 * changes (job_pause, job_resume, job_cancel, job_end) and leave
 * job_feed out.
 */
#ifndef GSPOOL_BACKEND_H
#define GSPOOL_BACKEND_H

#include <stddef.h>

#include "filters.h"
#include "gcode.h"
#include "proto.h"
#include "gstate.h"
#include "link.h"
#include "port.h"
#include "prompt.h"

struct ev_loop;
struct ev_io;

#define JOB_BUFSZ	65536
#define PROGRESS_MS	500
#define TEMPS_REPEAT_MS	5000	/* a report told again, unchanged: spoold
				   tells a silent printer's heaters stale */
#define PEND_MAX	96		/* script lines waiting to be sent */
#define LAYER_MARKS	128		/* layer starts sent, not yet acked */
#define OFFSETS		256		/* file offsets of lines in flight */
#define RECENT		32		/* job commands a complaint may name */

/* The printer's own G-code, from its configuration (spoold sends it). */
enum { SC_PAUSE, SC_RESUME, SC_CANCEL, SC_BETWEEN, SC_PARK, SC_UNPARK,
	SC_N };

/* Where the job stands, as the host steers it. */
enum jctl {
	JC_RUN,			/* feeding the job */
	JC_PAUSING,		/* the pause G-code is on its way */
	JC_PAUSED,		/* paused by the host: resume restores */
	JC_HELD,		/* the printer paused itself (//action:paused) */
	JC_CANCELING,		/* the cancel G-code is on its way */
	JC_PARKING,		/* the park G-code, at a layer change */
	JC_PARKED,		/* parked for a frame: unpark restores */
};

struct layer_mark {
	long		 line;		/* job line that starts the layer */
	unsigned long	 layer;
	double		 z;		/* the height after that line */
};

struct job {
	long		 id;		/* 0: none */
	long long	 started;	/* monotonic ms */
	unsigned long long bytes0;	/* link bytes sent at the start */
	unsigned long	 resends0, timeouts0, faults0, lost_oks0;
	unsigned long	 told[3];	/* link figures spoold has */
	double		 user0, sys0;	/* CPU seconds at the start */
	long		 waits0, preempted0;
	unsigned long	 syscalls0;	/* the port's, at the start */
	int		 fd;
	struct gcode_lexer lx;
	char		*buf;
	size_t		 off, len;
	int		 eof;
	long		 acked;
	long		 fed;		/* job lines given to the link */
	unsigned long long offset[OFFSETS];	/* file bytes through line k */
	unsigned long long bytes_acked;
	unsigned long long base_bytes;	/* resumed from this file offset */
	long		 base_lines;	/* and after this many commands */
	long long	 last_progress;
	long		 progress_lines;	/* as last told */
	enum jctl	 ctl;
	int		 resume_asked;	/* while pausing: once paused */
	int		 reported;	/* spoold was told how it ended */
	char		 wait_why[GCODE_MAX_CMD + 64];	/* an M0 seen */
	char		 held[GCODE_MAX_CMD + 1];	/* sent on resume */
	unsigned long	 complaints;	/* the firmware's, during the job */
	char		 recent[RECENT][GCODE_MAX_CMD + 1];	/* sent last */
	unsigned	 nrecent;
	long long	 park_deadline;	/* unparked then, if no word */
	struct gstate	 gs;		/* after the last line fed */
	struct gstate	 at_pause;
	unsigned long	 layer;		/* reached (acknowledged) */
	double		 layer_z;	/* its height, 0 if not known */
	unsigned long	 layer_fed;
	unsigned long	 layer_told;	/* to the filters we keep */
	struct layer_mark marks[LAYER_MARKS];
	int		 mhead, mcount;
};

struct backend {
	const char	*printer;
	const char	*device;
	long		 baud;
	long		 reconnect_ms;
	long		 park_ms;	/* -p: parked for a frame at most */
	int		 ctl;		/* to spoold, -1 once it is gone */
	const char	*rundir;	/* -d: where spoold re-attaches */
	char		*sock_path, *end_path;
	int		 listen_fd;	/* RUNDIR/PRINTER.sock, or -1 */
	struct port	 port;
	struct link	 link;
	struct job	 job;
	long long	 retry_at;
	char		*script[SC_N];	/* lines joined by newlines */
	char		 pend[PEND_MAX][GCODE_MAX_CMD + 1];
	int		 npend, pend_i;
	long		 script_end;	/* link line of the last one sent */
	int		 reset_pending;	/* close the port once M112 is out */
	char		 last_status[512];
	char		 last_state[32], last_text[480];
	char		 alive_state[32], alive_text[480];	/* before
					   the printer fell silent */
	int		 manual;	/* running gpc send's lines */
	int		 manual_input_done;
	char		 manual_out[2048];	/* what the printer said */
	int		 manual_said;	/* lines said to the latest command */
	char		 last_temps[256];
	long long	 temps_at;
	int		 manual_internal;	/* our own lines, not gpc send's */
	long		 heaters_ms;	/* -H: heaters off after a job, or 0 */
	unsigned long	 syscalls;	/* the loop's polls, the port's reads
					   and writes, for the stats */
	long long	 heaters_at;	/* when, or 0 */
	int		 on_unknown;	/* -u: UNK_CONTINUE, _PAUSE, _ABORT */
	int		 on_fwerror;	/* -e: the same, for a "!!" error */
	struct prompt	 prompt;	/* the firmware's, for the user */
	struct filters	 filters;	/* the job's filters' pipes */
	struct ev_loop	*ev;		/* serial.c's loop (event.h) */
};

/* What a job does when the firmware does not know one of its commands
 * (on_unknown_command in gspool.conf(5)). */
enum { UNK_CONTINUE, UNK_PAUSE, UNK_ABORT };

/* ctl.c: spoold, the end file, re-attaching. */
void	tell(struct backend *b, const char *a, const char *c, const char *d,
	    const char *e);
void	status(struct backend *b, const char *state, const char *text);
void	job_report(struct backend *b, const char *state, const char *reason);
void	job_progress(struct backend *b, long long now, int force);
void	job_activity(struct backend *b, const char *what, const char *why);
void	handle_ctl(struct backend *b);
void	attach_listen(struct backend *b);
void	attach_close(struct backend *b);
void	attach_accept(struct backend *b);

/* job.c: the job state machine. */
void	own_usage(double *user, double *sys, long *waits, long *preempted,
	    long *maxrss);
void	job_stats(struct backend *b);
void	job_end(struct backend *b, const char *state, const char *reason);
void	job_acked(struct backend *b, long acked);
void	pend_add(struct backend *b, const char *cmd);
void	pend_lines(struct backend *b, const char *p);
void	pend_script(struct backend *b, int which);
void	pend_restore(struct backend *b, enum gstate_phase phase);
int	job_pause(struct backend *b, const char *why);
int	job_resume(struct backend *b, const char *why);
void	job_cancel_as(struct backend *b, const char *state, const char *why);
void	job_cancel(struct backend *b, const char *why);
void	job_check_scripts(struct backend *b);
void	job_unpark(struct backend *b, const char *why);
void	job_feed(struct backend *b, long long now);
void	manual_answer(struct backend *b, const char *text, int start);
void	manual_end(struct backend *b, const char *how, const char *text);
void	heaters_off(struct backend *b, long long now);

/* resume.c: gpc resume-from. */
int	job_seek_layer(struct backend *b, unsigned long layer, long stopline,
	    char *why, size_t whysz);

/* firmware.c: what the printer says, and a prompt's answer. */
void	handle_events(struct backend *b, long long now);
void	prompt_tell(struct backend *b);
void	prompt_drop(struct backend *b);
void	prompt_answer(struct backend *b, const char *index);

/* serial.c */
void	port_lost(struct backend *b, const char *why);

#endif
