/*
 * proto.c - the tables of gspool's messages (proto.h).
 *
 * One table a protocol: each message's name, the arguments it takes as
 * gspool(7) and gspool-backend(7) write them, and how many.  The tables
 * are what proto_parse() checks a message against; the enums in
 * proto.h index them, and a test checks that every name round-trips.
 *
 * Security: a message comes from another process, a client's from any
 * local user.  It is only counted and compared here; why is written
 * with the message's name cut short and its control bytes already
 * refused by msg_decode(), so a reason quotes nothing longer than a
 * name.  Diagnostics: each refusal says which message, and which
 * argument is missing or how many there were.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "proto.h"
#include "util.h"

struct spec {
	const char	*name;
	int		 min, max;	/* arguments after the name */
	const char	*usage;		/* their names, optional ones in [] */
};

static const struct spec requests[REQ_N] = {
	[REQ_HELLO] =		{ "hello", 1, 1, "VERSION" },
	[REQ_AS] =		{ "as", 1, 1, "ACCOUNT" },
	[REQ_SUBMIT] =		{ "submit", 2, 6,
				  "DEST TITLE [PRIORITY COPIES HOLD UNTIL]" },
	[REQ_QUEUE] =		{ "queue", 0, 6,
				  "[DEST [history [everyone [SUMMARY USER"
				  " SINCE]]]]" },
	[REQ_USAGE] =		{ "usage", 0, 0, "" },
	[REQ_CANCEL] =		{ "cancel", 1, 1, "ID" },
	[REQ_CANCEL_JOBS] =	{ "cancel-jobs", 2, 2, "DEST USER" },
	[REQ_WAIT] =		{ "wait", 1, 1, "ID" },
	[REQ_HOLD] =		{ "hold", 1, 2, "ID [UNTIL]" },
	[REQ_RELEASE] =		{ "release", 1, 1, "ID" },
	[REQ_PRIORITY] =	{ "priority", 2, 2, "ID N" },
	[REQ_TOP] =		{ "top", 1, 1, "ID" },
	[REQ_MOVE] =		{ "move", 2, 2, "ID DEST" },
	[REQ_REPRINT] =		{ "reprint", 1, 1, "ID" },
	[REQ_PAUSE] =		{ "pause", 1, 1, "PRINTER" },
	[REQ_RESUME] =		{ "resume", 1, 1, "PRINTER" },
	[REQ_ESTOP] =		{ "estop", 1, 1, "PRINTER" },
	[REQ_READY] =		{ "ready", 1, 1, "PRINTER" },
	[REQ_RESUME_FROM] =	{ "resume-from", 2, 2, "ID LAYER" },
	[REQ_SEND] =		{ "send", 2, 2, "PRINTER GCODE" },
	[REQ_ACCEPT] =		{ "accept", 1, 2, "DEST [REASON]" },
	[REQ_REJECT] =		{ "reject", 1, 2, "DEST [REASON]" },
	[REQ_ENABLE] =		{ "enable", 1, 2, "DEST [REASON]" },
	[REQ_DISABLE] =		{ "disable", 1, 2, "DEST [REASON]" },
	[REQ_REMOVE_REJECTED] =	{ "remove-rejected", 1, 2, "FILE [OWNER]" },
	[REQ_ANSWER] =		{ "answer", 2, 2, "PRINTER CHOICE" },
	[REQ_JOB_FILE] =	{ "job-file", 2, 2, "ID KIND" },
	[REQ_WEBCAM] =		{ "webcam", 1, 1, "PRINTER" },
	[REQ_APPROVE] =		{ "approve", 1, 2, "ID [NOTE]" },
	[REQ_DENY] =		{ "deny", 2, 2, "ID REASON" },
	[REQ_LOAD] =		{ "load", 3, 3, "PRINTER TOOL MATERIAL" },
};

static const struct spec replies[REPLY_N] = {
	[REPLY_OK] =		{ "ok", 0, MSG_MAXFIELDS - 1, "[...]" },
	[REPLY_ERROR] =		{ "error", 1, 1, "MESSAGE" },
	[REPLY_DONE] =		{ "done", 3, 3, "ID STATE REASON" },
	[REPLY_PRINTER] =	{ "printer", 17, MSG_MAXFIELDS - 1,
				  "NAME STATE MESSAGE JOB LINES ACTIVITY"
				  " LAYER TEMPS BYTES SIZE ENABLED ACCEPTING"
				  " DISABLED-WHY REJECTING-WHY DESCRIPTION"
				  " STARTED ESTIMATE [STATUS JOB-NAME PROMPT BUTTONS]" },
	[REPLY_CLASS] =		{ "class", 7, MSG_MAXFIELDS - 1,
				  "NAME MEMBERS ENABLED ACCEPTING"
				  " DISABLED-WHY REJECTING-WHY DESCRIPTION" },
	[REPLY_JOB] =		{ "job", 21, MSG_MAXFIELDS - 1,
				  "RANK OWNER ID DEST TITLE SIZE STATE LINES"
				  " REASON META PRIORITY COPIES COPIES-DONE"
				  " HOLD-UNTIL RAN-ON CREATED STARTED FINISHED"
				  " LAYER ATTRS OWN [NAME APPROVAL]" },
	[REPLY_REJECTED] =	{ "rejected", 5, MSG_MAXFIELDS - 1,
				  "NAME SIZE AT REASON KEPT [OWNER FILE]" },
	[REPLY_REFUSING] =	{ "refusing", 2, MSG_MAXFIELDS - 1,
				  "WHY UNTIL" },
	[REPLY_END] =		{ "end", 0, 0, "" },
	[REPLY_TOTAL] =		{ "total", 7, MSG_MAXFIELDS - 1,
				  "KEY JOBS COMPLETED SECONDS MM G COST" },
};

static const struct spec to_backend[TB_N] = {
	[TB_PRINT] =		{ "print", 1, 8,
	    "ID [HOW [LAYER LINES [TITLE PRIORITY COPIES HOLD_UNTIL]]]" },
	[TB_CANCEL] =		{ "cancel", 1, 1, "ID" },
	[TB_PAUSE] =		{ "pause", 1, 1, "ID" },
	[TB_RESUME] =		{ "resume", 1, 1, "ID" },
	[TB_ESTOP] =		{ "estop", 0, 1, "[ID]" },
	[TB_UNPARK] =		{ "unpark", 1, 1, "ID" },
	[TB_SEND] =		{ "send", 1, 1, "LINES" },
	[TB_SCRIPT] =		{ "script", 2, 2, "NAME TEXT" },
	[TB_ANSWER] =		{ "answer", 1, 1, "INDEX" },
	[TB_FILTER] =		{ "filter", 4, 4, "ID NAME PID WHICH" },
};

/* A newer peer may add arguments at the end of a message: spoold reads
 * those it knows, so the backend's messages have no maximum beyond
 * the frame's. */
static const struct spec from_backend[FB_N] = {
	[FB_HELLO] =		{ "hello", 6, MSG_MAXFIELDS - 1,
				  "PID JOB LINES LAYER BYTES ACTIVITY"
				  " [VERSION]" },
	[FB_STATUS] =		{ "status", 2, MSG_MAXFIELDS - 1,
				  "STATE TEXT" },
	[FB_TEMPS] =		{ "temps", 1, MSG_MAXFIELDS - 1, "REPORT" },
	[FB_PARK] =		{ "park", 2, MSG_MAXFIELDS - 1, "ID LAYER" },
	[FB_HEATERS] =		{ "heaters", 2, MSG_MAXFIELDS - 1, "HOW WHY" },
	[FB_MANUAL] =		{ "manual", 2, MSG_MAXFIELDS - 1, "HOW TEXT" },
	[FB_PROGRESS] =		{ "progress", 4, MSG_MAXFIELDS - 1,
				  "ID LINES LAYER BYTES [Z]" },
	[FB_COMPLAINT] =	{ "complaint", 3, MSG_MAXFIELDS - 1,
				  "ID COUNT TEXT" },
	[FB_ATTR] =		{ "attr", 3, MSG_MAXFIELDS - 1,
				  "ID NAME VALUE" },
	[FB_JOB] =		{ "job", 3, MSG_MAXFIELDS - 1,
				  "ID ACTIVITY REASON" },
	[FB_END] =		{ "end", 3, MSG_MAXFIELDS - 1,
				  "ID STATE REASON" },
	[FB_PROMPT] =		{ "prompt", 2, MSG_MAXFIELDS - 1,
				  "JOB TEXT [BUTTONS]" },
	[FB_KEPT] =		{ "kept", 3, MSG_MAXFIELDS - 1,
				  "ID NAME PID" },
	[FB_FILTER] =		{ "filter", 4, MSG_MAXFIELDS - 1,
				  "ID NAME PID WHICH" },
};

static const struct {
	const struct spec	*t;
	int			 n;
	const char		*what;	/* "unknown %s 'x'" */
} sets[PROTO_NSETS] = {
	[PROTO_REQUEST] =	{ requests, REQ_N, "request" },
	[PROTO_REPLY] =		{ replies, REPLY_N, "reply" },
	[PROTO_TO_BACKEND] =	{ to_backend, TB_N, "message to a backend" },
	[PROTO_FROM_BACKEND] =	{ from_backend, FB_N,
				  "message from a backend" },
};

static const char *const filter_events[FEV_N] = {
	[FEV_START] =		"start",
	[FEV_LAYER] =		"layer",
	[FEV_PARKED] =		"parked",
	[FEV_PROGRESS] =	"progress",
	[FEV_PAUSED] =		"paused",
	[FEV_RESUMED] =		"resumed",
	[FEV_COMPLAINT] =	"complaint",
	[FEV_END] =		"end",
	[FEV_WAITING] =		"waiting",
};

static const struct spec *
spec(enum proto_set s, int m)
{
	if ((int)s < 0 || s >= PROTO_NSETS || m < 0 || m >= sets[s].n)
		return NULL;
	return &sets[s].t[m];
}

const char *
proto_name(enum proto_set s, int m)
{
	const struct spec *sp = spec(s, m);

	return sp ? sp->name : NULL;
}

const char *
proto_usage(enum proto_set s, int m)
{
	const struct spec *sp = spec(s, m);

	return sp ? sp->usage : NULL;
}

int
proto_min(enum proto_set s, int m)
{
	const struct spec *sp = spec(s, m);

	return sp ? sp->min : -1;
}

int
proto_max(enum proto_set s, int m)
{
	const struct spec *sp = spec(s, m);

	return sp ? sp->max : -1;
}

int
proto_lookup(enum proto_set s, const char *name)
{
	int i;

	if ((int)s < 0 || s >= PROTO_NSETS)
		return -1;
	for (i = 0; i < sets[s].n; i++)
		if (strcmp(name, sets[s].t[i].name) == 0)
			return i;
	return -1;
}

/* The name of argument i (1-based) in a usage, its brackets dropped. */
static void
arg_name(const char *usage, int i, char *out, size_t outsz)
{
	const char *p = usage;
	size_t o = 0;
	int k = 0;

	out[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ' || *p == '[' || *p == ']')
			p++;
		if (*p == '\0')
			break;
		if (++k == i) {
			while (*p != '\0' && *p != ' ' && *p != '[' &&
			    *p != ']' && o + 1 < outsz)
				out[o++] = *p++;
			out[o] = '\0';
			return;
		}
		while (*p != '\0' && *p != ' ' && *p != '[' && *p != ']')
			p++;
	}
	snprintf(out, outsz, "argument %d", i);
}

int
proto_parse(enum proto_set s, const struct msg *m, char *why, size_t whysz)
{
	const struct spec *sp;
	const char *name;
	char arg[64];
	int k, nargs;

	if ((int)s < 0 || s >= PROTO_NSETS) {
		snprintf(why, whysz, "no such protocol");
		return -1;
	}
	if (m->nfields < 1) {
		snprintf(why, whysz, "an empty %s", sets[s].what);
		return -1;
	}
	name = m->field[0];
	if ((k = proto_lookup(s, name)) < 0) {
		snprintf(why, whysz, "unknown %s '%.64s'", sets[s].what, name);
		return -1;
	}
	sp = &sets[s].t[k];
	nargs = m->nfields - 1;
	if (nargs < sp->min) {
		arg_name(sp->usage, nargs + 1, arg, sizeof(arg));
		snprintf(why, whysz, "%s: %s is missing (%s %s)", sp->name,
		    arg, sp->name, sp->usage);
		return -1;
	}
	if (nargs > sp->max) {
		if (sp->max == 0)
			snprintf(why, whysz, "%s: %d argument%s, it takes none",
			    sp->name, nargs, nargs == 1 ? "" : "s");
		else
			snprintf(why, whysz, "%s: %d arguments, at most %d"
			    " (%s %s)", sp->name, nargs, sp->max, sp->name,
			    sp->usage);
		return -1;
	}
	return k;
}

int
proto_version_check(const char *who, long v, char *why, size_t whysz)
{
	if (v > PROTO_VERSION) {
		snprintf(why, whysz, "%s speaks protocol version %ld, newer"
		    " than this one's (%d to %d)", who, v, PROTO_VERSION_MIN,
		    PROTO_VERSION);
		return -1;
	}
	if (v < PROTO_VERSION_MIN) {
		snprintf(why, whysz, "%s speaks protocol version %ld, older"
		    " than this one understands (%d to %d)", who, v,
		    PROTO_VERSION_MIN, PROTO_VERSION);
		return -1;
	}
	return 0;
}

long
proto_client_hello(const struct msg *m, char *why, size_t whysz)
{
	long v;

	if (proto_parse(PROTO_REQUEST, m, why, whysz) != REQ_HELLO) {
		if (m->nfields >= 1 && strcmp(m->field[0], "hello") != 0)
			snprintf(why, whysz, "hello: not a hello");
		return -1;
	}
	if (parse_long(m->field[REQ_ARG1], 0, INT_MAX, &v) < 0) {
		snprintf(why, whysz, "hello: '%.32s' is not a protocol version",
		    m->field[REQ_ARG1]);
		return -1;
	}
	if (proto_version_check("the client", v, why, whysz) < 0)
		return -1;
	return v;
}

/* A number of the hello at field i; -1 with why if it is none. */
static int
hello_num(const struct msg *m, int i, long min, long max, long *v,
    char *why, size_t whysz)
{
	char arg[64];

	if (parse_long(m->field[i], min, max, v) == 0)
		return 0;
	arg_name(from_backend[FB_HELLO].usage, i, arg, sizeof(arg));
	snprintf(why, whysz, "hello: %s '%.32s' is not a number from %ld to"
	    " %ld", arg, m->field[i], min, max);
	return -1;
}

int
proto_hello_check(const struct msg *m, struct proto_hello *h, char *why,
    size_t whysz)
{
	int k;

	memset(h, 0, sizeof(*h));
	if ((k = proto_parse(PROTO_FROM_BACKEND, m, why, whysz)) < 0)
		return -1;
	if (k != FB_HELLO) {
		snprintf(why, whysz, "its first message was '%s', not hello",
		    m->field[0]);
		return -1;
	}
	if (hello_num(m, FB_HELLO_PID, 1, LONG_MAX, &h->pid, why, whysz) < 0 ||
	    hello_num(m, FB_HELLO_JOB, 0, 2000000000L, &h->job, why,
	    whysz) < 0 ||
	    hello_num(m, FB_HELLO_LINES, 0, 2000000000L, &h->lines, why,
	    whysz) < 0 ||
	    hello_num(m, FB_HELLO_LAYER, 0, 2000000000L, &h->layer, why,
	    whysz) < 0 ||
	    hello_num(m, FB_HELLO_BYTES, 0, LONG_MAX, &h->bytes, why,
	    whysz) < 0)
		return -1;
	h->activity = m->field[FB_HELLO_ACTIVITY];
	/* Version 1 said none: what backends sent before versions. */
	h->version = 1;
	if (m->nfields > FB_HELLO_VERSION && hello_num(m, FB_HELLO_VERSION, 0,
	    INT_MAX, &h->version, why, whysz) < 0)
		return -1;
	return proto_version_check("the backend", h->version, why, whysz);
}

const char *
proto_filter_name(enum filter_ev e)
{
	if ((int)e < 0 || e >= FEV_N)
		return NULL;
	return filter_events[e];
}

int
proto_filter_line(char *buf, size_t bufsz, enum filter_ev e, const char *arg)
{
	const char *name = proto_filter_name(e);
	int n;

	if (name == NULL)
		return -1;
	n = snprintf(buf, bufsz, "%s%s%s", name, arg && arg[0] ? " " : "",
	    arg ? arg : "");
	if (n < 0 || (size_t)n >= bufsz)
		return -1;
	return n;
}
