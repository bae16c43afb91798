/*
 * proto.h - the words of gspool's protocols, named once.
 *
 * spoold speaks three protocols.  Its clients (gprint, gqueue, gcancel,
 * gpc, gsftpd) send requests over the control socket and read replies;
 * each printer's backend and spoold send each other messages over the
 * backend's socket; spoold writes a job's events to each of its filters'
 * standard input, one a line.  The first two are lists of fields
 * (msg.h): the first field names the message, the rest are its
 * arguments.  Here each message is an enum with its name, the names of
 * its arguments and how many it takes (min and max), and the position
 * of each argument is a constant: code says MSG_PROGRESS_BYTES, not 4.
 *
 * proto_parse() is the one place a message's name and arity are
 * checked: an unknown message, or one with an argument missing or too
 * many, is refused with a reason that names the message and what is
 * wrong ("cancel: ID is missing (cancel ID)"), which the caller logs or
 * answers.
 *
 * Versions.  PROTO_VERSION is the protocol this build speaks; it goes
 * up when a message is added or changes.  The backend's hello carries
 * it last (a hello without one is version 1, what backends sent before
 * versions were counted), and a client says "hello VERSION" first.  A
 * peer speaking any version from PROTO_VERSION_MIN to PROTO_VERSION is
 * understood: an argument is only ever added at the end of a message,
 * so an older peer's shorter message still reads, and a newer spoold
 * re-attaches to a backend an older one started, which is printing.  A
 * peer newer than this build is refused with the two versions named,
 * as is one older than PROTO_VERSION_MIN.  Version 4 added filter (to
 * and from a backend) and kept: spoold gives a backend of version 4 or
 * later copies of a job's filters' pipes, and none to an older one,
 * whose filters it writes every event as before.  Version 5 added
 * approve and deny, and a job row's APPROVAL.  Version 6 added load.
 * Version 7 added the accounting's totals: queue's SUMMARY USER SINCE,
 * answered by total rows.  Version 8 added print's TITLE PRIORITY
 * COPIES HOLD_UNTIL, the job's own options, which spoold gives only a
 * backend of version 8 or later (a remote queue's carries them on).
 *
 * Security: the fields come from other processes (a client is any
 * local user).  Nothing here trusts them beyond counting them and
 * comparing them with the names below; numbers are parsed by the
 * caller with parse_long(), and by proto_hello_check() for the hello.
 * Diagnostics: every refusal fills why with what was wrong, where.
 */
#ifndef GSPOOL_PROTO_H
#define GSPOOL_PROTO_H

#include <stddef.h>

#define PROTO_VERSION		8	/* what this build speaks */
#define PROTO_VERSION_MIN	1	/* the oldest it understands */

struct msg;

/* The protocols, each a set of messages. */
enum proto_set {
	PROTO_REQUEST,		/* client -> spoold */
	PROTO_REPLY,		/* spoold -> client */
	PROTO_TO_BACKEND,	/* spoold -> backend */
	PROTO_FROM_BACKEND,	/* backend -> spoold */
	PROTO_NSETS
};

/* Control requests (gspool(7)). */
enum req {
	REQ_HELLO,		/* VERSION */
	REQ_AS,			/* ACCOUNT */
	REQ_SUBMIT,		/* DEST TITLE [PRIORITY COPIES HOLD UNTIL] */
	REQ_QUEUE,		/* [DEST [history [everyone [SUMMARY USER
				 * SINCE]]]] (SUMMARY: version 7) */
	REQ_USAGE,
	REQ_CANCEL,		/* ID */
	REQ_CANCEL_JOBS,	/* DEST USER */
	REQ_WAIT,		/* ID */
	REQ_HOLD,		/* ID [UNTIL] */
	REQ_RELEASE,		/* ID */
	REQ_PRIORITY,		/* ID N */
	REQ_TOP,		/* ID */
	REQ_MOVE,		/* ID DEST */
	REQ_REPRINT,		/* ID */
	REQ_PAUSE,		/* PRINTER */
	REQ_RESUME,		/* PRINTER */
	REQ_ESTOP,		/* PRINTER */
	REQ_READY,		/* PRINTER */
	REQ_RESUME_FROM,	/* ID LAYER */
	REQ_SEND,		/* PRINTER GCODE */
	REQ_ACCEPT,		/* DEST [REASON] */
	REQ_REJECT,		/* DEST [REASON] */
	REQ_ENABLE,		/* DEST [REASON] */
	REQ_DISABLE,		/* DEST [REASON] */
	REQ_REMOVE_REJECTED,	/* FILE [OWNER] */
	REQ_ANSWER,		/* PRINTER CHOICE (version 4) */
	REQ_JOB_FILE,		/* ID thumbnail|timelapse */
	REQ_WEBCAM,		/* PRINTER */
	REQ_APPROVE,		/* ID [NOTE] (version 5) */
	REQ_DENY,		/* ID REASON (version 5) */
	REQ_LOAD,		/* PRINTER TOOL MATERIAL (version 6) */
	REQ_N
};

/* The arguments' places: field 0 is the name. */
#define REQ_ARG1		1	/* ID DEST PRINTER ACCOUNT VERSION */
#define REQ_ARG2		2	/* UNTIL N DEST LAYER GCODE REASON */
#define REQ_SUBMIT_DEST		1
#define REQ_SUBMIT_TITLE	2
#define REQ_SUBMIT_PRIORITY	3
#define REQ_SUBMIT_COPIES	4
#define REQ_SUBMIT_HOLD		5
#define REQ_SUBMIT_UNTIL	6
#define REQ_QUEUE_DEST		1
#define REQ_QUEUE_HISTORY	2
#define REQ_QUEUE_EVERYONE	3	/* "everyone": all refusals */
#define REQ_QUEUE_SUMMARY	4	/* version 7: "" the jobs, else the
					   totals by total, user, printer
					   or month */
#define REQ_QUEUE_USER		5	/* of this owner only, or "" */
#define REQ_QUEUE_SINCE		6	/* ended since (epoch), or "" */
#define REQ_REMOVE_REJECTED_FILE 1
#define REQ_REMOVE_REJECTED_OWNER 2
#define REQ_CANCEL_JOBS_DEST	1
#define REQ_CANCEL_JOBS_USER	2
#define REQ_LOAD_TOOL		2	/* T0 ... */
#define REQ_LOAD_MATERIAL	3	/* PLA, or none */

/* Replies to clients. */
enum reply {
	REPLY_OK,		/* [...] */
	REPLY_ERROR,		/* MESSAGE */
	REPLY_DONE,		/* ID STATE REASON */
	REPLY_PRINTER,		/* a printer row of queue */
	REPLY_CLASS,		/* a class row */
	REPLY_JOB,		/* a job row */
	REPLY_REJECTED,		/* a refused file: NAME SIZE AT REASON KEPT
				 * [OWNER FILE] */
	REPLY_REFUSING,		/* WHY UNTIL */
	REPLY_END,		/* the end of queue's rows */
	REPLY_TOTAL,		/* KEY JOBS COMPLETED SECONDS MM G COST
				 * (version 7) */
	REPLY_N
};

/* A printer row: printer NAME STATE MESSAGE JOB LINES ACTIVITY LAYER
 * TEMPS BYTES SIZE ENABLED ACCEPTING DISABLED-WHY REJECTING-WHY
 * DESCRIPTION STARTED ESTIMATE STATUS JOB-NAME.  STATUS (version 4) is
 * the status model as one JSON object (spoold/status.c, gqueue(1)); the
 * positional fields before it stay for older clients.  JOB-NAME (version
 * 4) is the name the job was submitted under, "" for none; PROMPT
 * (version 4) the firmware's prompt waiting for the user, "" for none,
 * and BUTTONS its choices, one a line. */
#define ROW_PRINTER_NAME	1
#define ROW_PRINTER_STATE	2
#define ROW_PRINTER_MESSAGE	3
#define ROW_PRINTER_JOB		4
#define ROW_PRINTER_LINES	5
#define ROW_PRINTER_ACTIVITY	6
#define ROW_PRINTER_LAYER	7
#define ROW_PRINTER_TEMPS	8
#define ROW_PRINTER_BYTES	9
#define ROW_PRINTER_SIZE	10
#define ROW_PRINTER_ENABLED	11
#define ROW_PRINTER_ACCEPTING	12
#define ROW_PRINTER_DISABLED_WHY 13
#define ROW_PRINTER_REJECTING_WHY 14
#define ROW_PRINTER_DESCRIPTION	15
#define ROW_PRINTER_STARTED	16
#define ROW_PRINTER_ESTIMATE	17
#define ROW_PRINTER_STATUS	18	/* version 4 */
#define ROW_PRINTER_JOB_NAME	19	/* version 4: DEST-ID, "" for none */
#define ROW_PRINTER_PROMPT	20	/* version 4: "" none */
#define ROW_PRINTER_BUTTONS	21	/* its buttons, one a line */
/* A class row: class NAME MEMBERS ENABLED ACCEPTING DISABLED-WHY
 * REJECTING-WHY DESCRIPTION */
#define ROW_CLASS_NAME		1
#define ROW_CLASS_MEMBERS	2
#define ROW_CLASS_ENABLED	3
#define ROW_CLASS_ACCEPTING	4
#define ROW_CLASS_DISABLED_WHY	5
#define ROW_CLASS_REJECTING_WHY	6
#define ROW_CLASS_DESCRIPTION	7
/* A job row: job RANK OWNER ID DEST TITLE SIZE STATE LINES REASON META
 * PRIORITY COPIES COPIES-DONE HOLD-UNTIL RAN-ON CREATED STARTED
 * FINISHED LAYER ATTRS OWN NAME APPROVAL */
#define ROW_JOB_RANK		1
#define ROW_JOB_OWNER		2
#define ROW_JOB_ID		3
#define ROW_JOB_DEST		4
#define ROW_JOB_TITLE		5
#define ROW_JOB_SIZE		6
#define ROW_JOB_STATE		7
#define ROW_JOB_LINES		8
#define ROW_JOB_REASON		9
#define ROW_JOB_META		10
#define ROW_JOB_PRIORITY	11
#define ROW_JOB_COPIES		12
#define ROW_JOB_COPIES_DONE	13
#define ROW_JOB_HOLD_UNTIL	14
#define ROW_JOB_RAN_ON		15
#define ROW_JOB_CREATED		16
#define ROW_JOB_STARTED		17
#define ROW_JOB_FINISHED	18
#define ROW_JOB_LAYER		19
#define ROW_JOB_ATTRS		20
#define ROW_JOB_OWN		21
#define ROW_JOB_NAME		22	/* version 4: DEST-ID, DEST the
					   destination it was submitted to */
#define ROW_JOB_APPROVAL	23	/* version 5: "" if it needs none,
					   else a JSON object: state
					   (awaiting, approved, denied),
					   approvers, by, at, note */
/* done ID STATE REASON; error MESSAGE */
#define REPLY_DONE_ID		1
#define REPLY_DONE_STATE	2
#define REPLY_DONE_REASON	3
#define REPLY_ERROR_MESSAGE	1
/* usage's ok: JOBS BYTES REJECTED BYTES UNTIL REASON CHECKED CHECKING */
#define REPLY_USAGE_CHECKED	7	/* version 4 */
#define REPLY_USAGE_CHECKING	8
/* A total row of queue's SUMMARY: KEY (the user, printer or month
 * YYYY-MM, "" for all) and the sums of its accounting rows. */
#define ROW_TOTAL_KEY		1
#define ROW_TOTAL_JOBS		2
#define ROW_TOTAL_COMPLETED	3
#define ROW_TOTAL_SECONDS	4
#define ROW_TOTAL_MM		5
#define ROW_TOTAL_G		6
#define ROW_TOTAL_COST		7
/* A refused file's row of queue. */
#define ROW_REJECTED_NAME	1
#define ROW_REJECTED_SIZE	2
#define ROW_REJECTED_AT		3
#define ROW_REJECTED_REASON	4
#define ROW_REJECTED_KEPT	5
#define ROW_REJECTED_OWNER	6	/* version 3 */
#define ROW_REJECTED_FILE	7	/* under rejected/OWNER/ */

/* spoold to a backend (gspool-backend(7)). */
enum to_backend {
	TB_PRINT,		/* ID [between | resume LAYER LINES]
				 * [TITLE PRIORITY COPIES HOLD_UNTIL] + file */
	TB_CANCEL,		/* ID */
	TB_PAUSE,		/* ID */
	TB_RESUME,		/* ID */
	TB_ESTOP,
	TB_UNPARK,		/* ID */
	TB_SEND,		/* LINES */
	TB_SCRIPT,		/* NAME TEXT */
	TB_ANSWER,		/* INDEX: M876 S<INDEX> (version 4) */
	TB_FILTER,		/* ID NAME PID in|err + a filter's pipe (4) */
	TB_N
};
#define TB_ID			1
#define TB_PRINT_HOW		2	/* "", between or resume */
#define TB_PRINT_LAYER		3
#define TB_PRINT_LINES		4
#define TB_PRINT_TITLE		5	/* version 8: the job's options */
#define TB_PRINT_PRIORITY	6
#define TB_PRINT_COPIES		7	/* still to print, this one too */
#define TB_PRINT_HOLD_UNTIL	8	/* seconds since the epoch, 0 none */
#define TB_SEND_LINES		1
#define TB_SCRIPT_NAME		1
#define TB_SCRIPT_TEXT		2
#define TB_ANSWER_INDEX		1
#define TB_FILTER_NAME		2
#define TB_FILTER_PID		3
#define TB_FILTER_WHICH		4	/* in: events; err: its words */

/* A backend to spoold. */
enum from_backend {
	FB_HELLO,		/* PID JOB LINES LAYER BYTES ACTIVITY [V] */
	FB_STATUS,		/* STATE TEXT */
	FB_TEMPS,		/* REPORT */
	FB_PARK,		/* ID LAYER */
	FB_HEATERS,		/* off WHY */
	FB_MANUAL,		/* done|failed TEXT */
	FB_PROGRESS,		/* ID LINES LAYER BYTES [Z] */
	FB_COMPLAINT,		/* ID COUNT TEXT */
	FB_ATTR,		/* ID NAME VALUE */
	FB_JOB,			/* ID ACTIVITY REASON */
	FB_END,			/* ID STATE REASON */
	FB_PROMPT,		/* JOB TEXT BUTTONS (version 4) */
	FB_KEPT,		/* ID NAME PID: its events are ours now (4) */
	FB_FILTER,		/* ID NAME PID in|err + the pipe kept (4) */
	FB_N
};
#define FB_HELLO_PID		1
#define FB_HELLO_JOB		2
#define FB_HELLO_LINES		3
#define FB_HELLO_LAYER		4
#define FB_HELLO_BYTES		5
#define FB_HELLO_ACTIVITY	6
#define FB_HELLO_VERSION	7
#define FB_STATUS_STATE		1
#define FB_STATUS_TEXT		2
#define FB_TEMPS_REPORT		1
#define FB_HEATERS_HOW		1
#define FB_HEATERS_WHY		2
#define FB_MANUAL_HOW		1
#define FB_MANUAL_TEXT		2
#define FB_ID			1	/* park .. end: the job's id */
#define FB_PARK_LAYER		2
#define FB_PROGRESS_LINES	2
#define FB_PROGRESS_LAYER	3
#define FB_PROGRESS_BYTES	4
#define FB_PROGRESS_Z		5
#define FB_COMPLAINT_COUNT	2
#define FB_COMPLAINT_TEXT	3
#define FB_ATTR_NAME		2
#define FB_ATTR_VALUE		3
#define FB_JOB_ACTIVITY		2
#define FB_JOB_REASON		3
#define FB_END_STATE		2
#define FB_END_REASON		3
#define FB_PROMPT_JOB		1	/* 0: none printing */
#define FB_PROMPT_TEXT		2	/* "": the prompt is gone */
#define FB_PROMPT_BUTTONS	3	/* one a line */
#define FB_FILTER_NAME		2	/* kept and filter */
#define FB_FILTER_PID		3
#define FB_FILTER_WHICH		4

/* The events a filter reads, one a line (gspool-filter(7)). */
enum filter_ev {
	FEV_START,		/* start */
	FEV_LAYER,		/* layer N z=Z */
	FEV_PARKED,		/* parked N */
	FEV_PROGRESS,		/* progress PERCENT */
	FEV_PAUSED,		/* paused */
	FEV_RESUMED,		/* resumed */
	FEV_COMPLAINT,		/* complaint TEXT */
	FEV_END,		/* end STATE */
	FEV_WAITING,		/* waiting TEXT: a prompt for the user */
	FEV_N
};

/* A message's name, or NULL if m is out of the set's range. */
const char *proto_name(enum proto_set, int m);
/* Its arguments as gspool(7) writes them ("ID [UNTIL]"). */
const char *proto_usage(enum proto_set, int m);
/* The message named name in the set, or -1. */
int	proto_lookup(enum proto_set, const char *name);
/* How many arguments it takes. */
int	proto_min(enum proto_set, int m);
int	proto_max(enum proto_set, int m);

/*
 * The message m in the set, its name and arity checked: its enum, or -1
 * with why saying what is wrong ("cancel: ID is missing (cancel ID)",
 * "unknown request 'frobnicate'", "hold: 3 arguments, at most 2 (hold
 * ID [UNTIL])").
 */
int	proto_parse(enum proto_set, const struct msg *m, char *why,
	    size_t whysz);

/* Is version v understood here?  0, or -1 with why naming both. */
int	proto_version_check(const char *who, long v, char *why,
	    size_t whysz);

/* A client's "hello VERSION": its version, or -1 with why. */
long	proto_client_hello(const struct msg *m, char *why, size_t whysz);

/* What a backend says in its hello. */
struct proto_hello {
	long		 pid;
	long		 job;		/* 0: none to follow */
	long		 lines;
	long		 layer;
	long		 bytes;
	const char	*activity;	/* in m */
	long		 version;	/* 1 if it did not say */
};

/*
 * A backend's first message to a spoold that re-attaches, checked: its
 * name, its arity, its numbers and its version.  0 with h filled if
 * spoold can follow it, or -1 with why saying exactly why not.
 */
int	proto_hello_check(const struct msg *m, struct proto_hello *h,
	    char *why, size_t whysz);

/* A filter event's name, or NULL. */
const char *proto_filter_name(enum filter_ev);
/* An event's line (without its newline): the name, and arg if not NULL
 * or empty after a space.  The length, or -1 if it does not fit. */
int	proto_filter_line(char *buf, size_t bufsz, enum filter_ev,
	    const char *arg);

#endif
