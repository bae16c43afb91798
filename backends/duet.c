/*
 * duet.c - the driver of a Duet board running RepRapFirmware (device =
 * duet://HOST[:PORT]) on the network backends' core (net.h,
 * gspool-duet(8)), in standalone mode (the board's own HTTP server) or
 * in SBC mode (a single-board computer's DuetSoftwareFramework, DSF,
 * serves the network): one driver, two transports (struct duet_api).
 *
 * The mode is duet_mode's (-M); auto finds it when the first session
 * is opened.  rr_connect answered by the board is standalone mode; one
 * answered 404 (or with a page that is not JSON), or with isEmulated
 * (a DSF answering older clients), is DSF, and its own API is used
 * from then on.  A mode found so that answers 404 later is found again.
 * What the board's state means (rrf.c), the G-code sent and the job
 * followed are the same in both modes.
 *
 * Standalone: a session is opened with rr_connect (the password from
 * the printer's password_file, sessionKey=yes) and its key sent as
 * X-Session-Key; a 401 means the session lapsed or the board
 * restarted, and is answered by opening another and asking again, once.
 * The board is asked where it is with rr_model for the keys state, job
 * and heat.  The file is uploaded to 0:/gcodes/NAME with POST rr_upload
 * and its CRC32 (which the board checks); the firmware's replies to a
 * code come from rr_reply, its last "Error:" being the code's failure.
 *
 * SBC: the session is /machine/connect's sessionKey, sent as
 * X-Session-Key (a DSF older than 3.4 has no /machine/connect, 404, and
 * needs no session); 403 to /machine/connect is a wrong password, and
 * 401 or 403 to any other request the session lapsed (DSF documents
 * 403; ASP.NET's own challenge is 401).  The whole object model comes
 * from /machine/model (/machine/status where that is 404); a code is
 * the body of POST /machine/code, whose answer is the code's reply; the
 * file is PUT to /machine/file/0:/gcodes/NAME, encoded (DSF takes no
 * checksum), and deleted there.
 *
 * In both, the job is started with M32, paused with M25, resumed with
 * M24, canceled with M25 and then M0 once the board is paused (it
 * cancels only a paused print), and the emergency stop is M112.  The
 * message box an M291 shows (state.messageBox) is the printer's prompt,
 * its buttons those of its mode, and a button chosen is answered with
 * M292 (P0 OK or Close, P1 Cancel, R the choice) and the box's seq.
 *
 * Security: the password is read by the core from a file only this
 * user can read, sent only in the query of rr_connect or
 * /machine/connect, and never logged; the session key likewise.  The
 * answers are parsed by rrf.c, which uses only fields looked up by name
 * and type.  The only files written and deleted on the card are the
 * jobs' own uploads.
 *
 * Diagnostics: as net.c's; a refused session says which err or code, a
 * lapsed one is logged once each time, and the mode once it is found.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"
#include "net.h"
#include "rrf.h"

#define DUET_DIR	"0:/gcodes/"
#define SBC_FILE	"/machine/file/"	/* DSF's files, by card path */

enum duet_mode { DUET_AUTO, DUET_STANDALONE, DUET_SBC };
static const char *const duet_modes[] = { "auto", "standalone", "sbc",
	NULL };

/*
 * A transport: how a session is opened and when it has lapsed, where
 * the board says where it is, how a code is run (its last "Error:"
 * reply in err, when err is given), and how a file is kept and
 * forgotten.  Each returns 0, or -1 with r's reason.
 */
struct duet_api {
	const char	*name;		/* "standalone", "SBC" */
	int		 lapsed_403;	/* a lapsed session may be 403 too */
	int	(*connect)(struct net_reply *r);
	int	(*view)(struct rrf_view *v, struct net_reply *r);
	int	(*code)(const char *lines, char *err, size_t errsz,
		    struct net_reply *r);
	int	(*upload)(struct net_file *f, const char *path,
		    struct net_reply *r);
	int	(*remove)(const char *path, struct net_reply *r);
	/* The firmware's reason for a halt, 1 with why, or 0. */
	int	(*halt_why)(char *why, size_t whysz);
};

struct duet {
	enum duet_mode		 mode;		/* duet_mode */
	const struct duet_api	*api;		/* NULL: not yet found */
	const char		*sbc_model;	/* the model's path */
	struct rrf_session	 s;
	struct rrf_view		 v;		/* the last poll's */
	struct rrf_track	 t;
	long			 job;		/* the job t follows, 0 none */
	int			 cancel;	/* asked: M0 once paused */
	int			 m0_sent;
	int			 box_cancel;	/* a box's Cancel answered */
	int			 halted;	/* the halt's reason asked */
	char			 halt_why[300];
};

static struct duet D;
static const struct duet_api standalone_api, sbc_api;

static int	duet_get(const char *path, const char *query, int json,
		    struct net_reply *r);

/* The job's path on the card. */
static void
card_path(const char *name, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s", DUET_DIR, name);
}

static void
session_reset(void)
{
	net_session_set(net_host(), NULL, NULL);
	explicit_bzero(&D.s, sizeof(D.s));
}

/* rr_connect: 0 with the session, or -1 with r's reason (a wrong
 * password as 401, no session left as 503). */
static int
rr_connect(struct net_reply *r)
{
	struct net_host *h = net_host();
	char t[32], why[256], key[32], *q, *pw, *te;
	enum rrf_connect c;

	session_reset();
	rrf_time(time(NULL), t, sizeof(t));
	te = net_escape(t);
	if (h->password[0] != '\0') {
		pw = net_escape(h->password);
		q = xasprintf("password=%s&time=%s&sessionKey=yes", pw, te);
		explicit_bzero(pw, strlen(pw));
		free(pw);
	} else
		q = xasprintf("time=%s&sessionKey=yes", te);
	free(te);
	if (net_request(h, "GET", "/rr_connect", q, r) < 0) {
		explicit_bzero(q, strlen(q));
		free(q);
		return -1;
	}
	explicit_bzero(q, strlen(q));
	free(q);
	c = rrf_connect_parse(r->json, &D.s, why, sizeof(why));
	if (c != RRF_CONNECTED) {
		net_reply_free(r);
		r->code = c == RRF_WRONG_PASSWORD ? 401 :
		    c == RRF_NO_SESSION ? 503 : r->code;
		snprintf(r->why, sizeof(r->why), "%s", why);
		return -1;
	}
	if (D.s.emulated && D.api == NULL) {
		/* Not the board: a DSF's answer for older clients, and
		 * its own API is used instead.  The session is the
		 * address's, and lapses on its own. */
		net_reply_free(r);
		return 0;
	}
	if (D.s.has_key) {
		snprintf(key, sizeof(key), "%lld", D.s.key);
		net_session_set(h, "X-Session-Key", key);
		explicit_bzero(key, sizeof(key));
	}
	log_info("%s: a session with %s (%s, API level %ld)%s", net_printer(),
	    net_hostname(), D.s.board[0] ? D.s.board : "a Duet",
	    D.s.api_level, D.s.has_key ? "" : ", by this host's address");
	net_reply_free(r);
	return 0;
}

/* /machine/connect: 0 with the session (none from a DSF older than
 * 3.4, which answers 404 and needs none), or -1 with r's reason (a
 * wrong password as 403). */
static int
sbc_connect(struct net_reply *r)
{
	struct net_host *h = net_host();
	char why[256], *q = NULL, *pw;
	enum rrf_connect c;
	int rv;

	session_reset();
	if (h->password[0] != '\0') {
		pw = net_escape(h->password);
		q = xasprintf("password=%s", pw);
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	rv = net_request(h, "GET", "/machine/connect", q, r);
	if (q != NULL) {
		explicit_bzero(q, strlen(q));
		free(q);
	}
	if (rv < 0 && r->code == 404) {
		D.s.open = D.s.sbc = 1;
		log_info("%s: %s has no /machine/connect (DSF older than"
		    " 3.4): no session, no password", net_printer(),
		    net_hostname());
		net_reply_free(r);
		return 0;
	}
	if (rv < 0) {
		if (r->code == 403)
			snprintf(r->why, sizeof(r->why), "GET /machine/connect:"
			    " HTTP 403, a wrong password");
		return -1;
	}
	c = rrf_sbc_connect_parse(r->json, &D.s, why, sizeof(why));
	net_reply_free(r);
	if (c != RRF_CONNECTED) {
		snprintf(r->why, sizeof(r->why), "%s", why);
		return -1;
	}
	net_session_set(h, "X-Session-Key", D.s.sbc_key);
	log_info("%s: a session with %s (DuetSoftwareFramework, SBC mode)",
	    net_printer(), net_hostname());
	return 0;
}

/* duet_mode auto: rr_connect first, as most boards are standalone;
 * DSF where it is not the board that answers. */
static int
detect(struct net_reply *r)
{
	if (rr_connect(r) == 0 && !D.s.emulated) {
		D.api = &standalone_api;
	} else {
		if (!D.s.emulated && r->code != 404 &&
		    !(r->code >= 200 && r->code < 300))
			return -1;	/* away, or refused: asked again */
		net_reply_free(r);
		if (sbc_connect(r) < 0)
			return -1;
		D.api = &sbc_api;
		D.sbc_model = "/machine/model";
	}
	log_info("%s: %s is a Duet in %s mode", net_printer(), net_hostname(),
	    D.api->name);
	return 0;
}

/* A request in the session, which is opened first if there is none,
 * and again once if the host says it lapsed: 0, or -1 with r's reason.
 * The body is the file f, or the text body, or none.  With json, a 2xx
 * answer that is not JSON fails too. */
static int
duet_call(const char *method, const char *path, const char *query,
    struct net_file *f, const char *body, int json, struct net_reply *r)
{
	static const char *const octet[] = {
		"Content-Type: application/octet-stream", NULL
	};
	int tries, rv;

	for (tries = 0; tries < 2; tries++) {
		if (!D.s.open && (D.api == NULL ? detect(r) :
		    D.api->connect(r)) < 0)
			return -1;
		if (f != NULL)
			rv = net_upload_raw(net_host(), method, path, query,
			    D.s.sbc ? octet : NULL, f, r);
		else if (body != NULL)
			rv = net_request_body(net_host(), method, path, query,
			    "text/plain", body, r);
		else
			rv = net_request(net_host(), method, path, query, r);
		if (rv == 0) {
			if (json && r->json == NULL) {
				snprintf(r->why, sizeof(r->why), "%s %s: HTTP"
				    " %ld without JSON", method, path, r->code);
				return -1;
			}
			return 0;
		}
		if (tries > 0 || !(r->code == 401 ||
		    (r->code == 403 && D.api->lapsed_403)))
			return -1;
		log_info("%s: the session expired; opening another",
		    net_printer());
		D.s.open = 0;
		net_reply_free(r);
	}
	return -1;
}

static int
duet_get(const char *path, const char *query, int json,
    struct net_reply *r)
{
	return duet_call("GET", path, query, NULL, NULL, json, r);
}

/* The firmware's replies since the last asking; its last error in why
 * (1), or 0 if none. */
static int
reply_error(char *why, size_t whysz)
{
	struct net_reply r;
	int rv = 0;

	memset(&r, 0, sizeof(r));
	if (duet_get("/rr_reply", NULL, 0, &r) == 0 && r.body != NULL)
		rv = rrf_reply_error(r.body, why, whysz);
	net_reply_free(&r);
	return rv;
}

/* Lines through rr_gcode, then the firmware's error about them from
 * rr_reply, if err is given. */
static int
rr_code(const char *lines, char *err, size_t errsz, struct net_reply *r)
{
	char *e, *q;
	int rv;

	e = net_escape(lines);
	q = xasprintf("gcode=%s", e);
	free(e);
	rv = duet_get("/rr_gcode", q, 1, r);
	free(q);
	if (rv == 0 && err != NULL && !reply_error(err, errsz))
		err[0] = '\0';
	return rv;
}

/* Lines as POST /machine/code's body; the answer is their reply. */
static int
sbc_code(const char *lines, char *err, size_t errsz, struct net_reply *r)
{
	if (duet_call("POST", "/machine/code", NULL, NULL, lines, 0, r) < 0)
		return -1;
	if (err != NULL && (r->body == NULL ||
	    !rrf_reply_error(r->body, err, errsz)))
		err[0] = '\0';
	return 0;
}

/* Lines to the board, the firmware's error about them, if any, as the
 * failure. */
static int
duet_gcode(const char *lines, struct net_reply *r)
{
	char err[300];

	if (D.api == NULL) {
		/* Not yet found: a session finds it. */
		memset(r, 0, sizeof(*r));
		if (detect(r) < 0)
			return -1;
	}
	if (D.api->code(lines, err, sizeof(err), r) < 0)
		return -1;
	if (err[0] != '\0') {
		snprintf(r->why, sizeof(r->why), "the firmware: %s", err);
		/* One print at a time: the board is busy, not the job bad. */
		if (strstr(err, "already being printed") != NULL)
			r->code = 409;
		return -1;
	}
	return 0;
}

/* rr_model?key=KEY into D's view by fn: 0, or -1 with why. */
static int
model(const char *key, int (*fn)(json_t *, struct rrf_view *, char *,
    size_t), struct rrf_view *v, struct net_reply *r)
{
	char *q, why[256];
	int rv;

	q = xasprintf("key=%s&flags=d99fn", key);
	rv = duet_get("/rr_model", q, 1, r);
	free(q);
	if (rv < 0)
		return -1;
	if (fn(r->json, v, why, sizeof(why)) < 0) {
		snprintf(r->why, sizeof(r->why), "%s", why);
		return -1;
	}
	net_reply_free(r);
	return 0;
}

/* Three small answers rather than the whole model, which a board short
 * of memory answers with 503. */
static int
rr_view(struct rrf_view *v, struct net_reply *r)
{
	return model("state", rrf_view_state, v, r) < 0 ||
	    model("job", rrf_view_job, v, r) < 0 ||
	    model("heat", rrf_view_heat, v, r) < 0 ? -1 : 0;
}

/* The whole model from /machine/model, or /machine/status where that
 * is 404 (DSF has had both names). */
static int
sbc_view(struct rrf_view *v, struct net_reply *r)
{
	char why[256];
	int rv;

	rv = duet_get(D.sbc_model, NULL, 1, r);
	if (rv < 0 && r->code == 404 &&
	    strcmp(D.sbc_model, "/machine/model") == 0) {
		net_reply_free(r);
		D.sbc_model = "/machine/status";
		rv = duet_get(D.sbc_model, NULL, 1, r);
		if (rv < 0 && r->code == 404)
			D.sbc_model = "/machine/model";
	}
	if (rv < 0)
		return -1;
	if (rrf_view_model(r->json, v, why, sizeof(why)) < 0) {
		snprintf(r->why, sizeof(r->why), "GET %s: %s", D.sbc_model,
		    why);
		return -1;
	}
	net_reply_free(r);
	return 0;
}

static int
rr_upload(struct net_file *f, const char *path, struct net_reply *r)
{
	char t[32], *pe, *te, *q;
	int rv, err;

	rrf_time(time(NULL), t, sizeof(t));
	pe = net_escape(path);
	te = net_escape(t);
	q = xasprintf("name=%s&time=%s&crc32=%08lx", pe, te, f->crc32);
	free(pe);
	free(te);
	rv = duet_call("POST", "/rr_upload", q, f, NULL, 1, r);
	free(q);
	if (rv < 0)
		return -1;
	if ((err = rrf_err(r->json)) != 0) {
		snprintf(r->why, sizeof(r->why), "POST /rr_upload: err %d: the"
		    " board did not keep the file (its CRC32 did not match, or"
		    " the card is missing or full)", err);
		return -1;
	}
	return 0;
}

/* The card's path 0:/gcodes/NAME as DSF's /machine/file/PATH, the path
 * encoded whole as DSF's web interface sends it: a drive's "0:/" is
 * the card however DSF resolves a path without one. */
static char *
sbc_file(const char *path)
{
	char *e, *u;

	e = net_escape(path);
	u = xasprintf("%s%s", SBC_FILE, e);
	free(e);
	return u;
}

static int
sbc_upload(struct net_file *f, const char *path, struct net_reply *r)
{
	char *u = sbc_file(path);
	int rv;

	rv = duet_call("PUT", u, NULL, f, NULL, 0, r);
	free(u);
	return rv;
}

static int
rr_remove(const char *path, struct net_reply *r)
{
	char *e, *q;
	int rv;

	e = net_escape(path);
	q = xasprintf("name=%s", e);
	free(e);
	rv = duet_get("/rr_delete", q, 1, r);
	free(q);
	if (rv == 0 && rrf_err(r->json) != 0) {
		snprintf(r->why, sizeof(r->why), "GET /rr_delete: err %d",
		    rrf_err(r->json));
		return -1;
	}
	return rv;
}

static int
sbc_remove(const char *path, struct net_reply *r)
{
	char *u = sbc_file(path);
	int rv;

	rv = duet_call("DELETE", u, NULL, NULL, NULL, 0, r);
	free(u);
	return rv;
}

static const struct duet_api standalone_api = {
	.name = "standalone",
	.lapsed_403 = 0,
	.connect = rr_connect,
	.view = rr_view,
	.code = rr_code,
	.upload = rr_upload,
	.remove = rr_remove,
	.halt_why = reply_error,
};

/* DSF keeps no reply for a client that did not send the code: a halt
 * has no reason to give here. */
static const struct duet_api sbc_api = {
	.name = "SBC",
	.lapsed_403 = 1,
	.connect = sbc_connect,
	.view = sbc_view,
	.code = sbc_code,
	.upload = sbc_upload,
	.remove = sbc_remove,
	.halt_why = NULL,
};

/* The board, as the printer: ready, starting, or at fault. */
static void
printer_report(const struct rrf_view *v)
{
	char text[480];

	if (v->status != RRF_HALTED)
		D.halted = 0;
	switch (v->status) {
	case RRF_HALTED:
		/* The firmware's reason, asked once a halt. */
		if (!D.halted) {
			D.halted = 1;
			if (D.api->halt_why == NULL ||
			    !D.api->halt_why(D.halt_why, sizeof(D.halt_why)))
				snprintf(D.halt_why, sizeof(D.halt_why),
				    "an emergency stop or a fault");
		}
		snprintf(text, sizeof(text), "the board halted: %.300s (reset"
		    " it with M999)", D.halt_why);
		net_report_printer(NET_PRINTER_FAULT, text);
		break;
	case RRF_OFF:
		net_report_printer(NET_PRINTER_FAULT, "the board's power is"
		    " off");
		break;
	case RRF_DISCONNECTED:
		/* The computer answers, the board behind it does not: the
		 * print is the board's, and waits to be heard of again. */
		net_report_printer(NET_PRINTER_CONNECTING, "DuetSoftwareFramework"
		    " has lost its Duet board");
		break;
	case RRF_STARTING:
	case RRF_CONFIGURING:
	case RRF_UPDATING:
		snprintf(text, sizeof(text), "the board is %s",
		    rrf_status_name(v->status));
		net_report_printer(NET_PRINTER_CONNECTING, text);
		break;
	default:
		if (D.s.sbc)
			snprintf(text, sizeof(text), "RepRapFirmware"
			    " (DuetSoftwareFramework, SBC mode)");
		else
			snprintf(text, sizeof(text), "RepRapFirmware (%s)",
			    D.s.board[0] ? D.s.board : "a Duet");
		net_report_printer(NET_PRINTER_READY, text);
		break;
	}
}

/* Our job, as rrf.c judges the board's views in turn. */
static void
job_report(const struct rrf_view *v)
{
	char path[300];
	struct net_reply r;
	enum rrf_fate f;

	card_path(net_job_name(), path, sizeof(path));
	if (D.job != net_job_id()) {
		/* A job this backend did not start here: followed from now. */
		rrf_track_start(&D.t, path, NULL);
		D.job = net_job_id();
		D.cancel = D.m0_sent = D.box_cancel = 0;
	}
	if (v->pos >= 0)
		net_report_pos(v->pos);
	if (v->layer > 0)
		net_report_layer((unsigned long)v->layer);
	f = rrf_track(&D.t, v);
	switch (f) {
	case RRF_F_WAITING:
		net_report_run(NET_RUN_IDLE, NULL, NULL);
		break;
	case RRF_F_PRINTING:
		net_report_run(NET_RUN_PRINTING, net_job_name(), NULL);
		break;
	case RRF_F_PAUSING:
	case RRF_F_PAUSED:
	case RRF_F_CANCELING:
		if (D.cancel) {
			/* On its way to a cancel: the pause is a step. */
			net_report_run(NET_RUN_PRINTING, net_job_name(), NULL);
			if (f == RRF_F_PAUSED && !D.m0_sent) {
				memset(&r, 0, sizeof(r));
				if (duet_gcode("M0", &r) == 0)
					D.m0_sent = 1;
				else
					log_warnx("%s-%ld: cancel: M0: %s",
					    net_printer(), net_job_id(), r.why);
				net_reply_free(&r);
			}
		} else
			net_report_run(f == RRF_F_PAUSING ? NET_RUN_PAUSING :
			    f == RRF_F_PAUSED ? NET_RUN_PAUSED :
			    NET_RUN_PRINTING, net_job_name(), NULL);
		break;
	case RRF_F_COMPLETED:
		/* A box's Cancel abandons the file where it waited: short of
		 * its end, that is no completion. */
		if (D.box_cancel && D.v.size > 0 && D.v.pos >= 0 &&
		    D.v.pos < D.v.size) {
			net_report_run(NET_RUN_CANCELLED, net_job_name(), NULL);
			break;
		}
		/* Printed whole: its last layer too, which the board forgets
		 * with the file. */
		if (D.t.layers > 0)
			net_report_layer((unsigned long)D.t.layers);
		net_report_run(NET_RUN_COMPLETE, net_job_name(), NULL);
		break;
	case RRF_F_CANCELED:
		net_report_run(NET_RUN_CANCELLED, net_job_name(), NULL);
		break;
	case RRF_F_RESTARTED:
		net_report_run(NET_RUN_FAILED, net_job_name(), "the board"
		    " restarted during the print");
		break;
	case RRF_F_OTHER_FILE:
		net_report_run(NET_RUN_PRINTING, v->file, NULL);
		break;
	case RRF_F_NOT_STARTED:
		net_report_run(NET_RUN_FAILED, net_job_name(), "the board did"
		    " not start the file");
		break;
	case RRF_F_HALTED:
	case RRF_F_POWER_OFF:
		break;	/* the printer at fault ends it */
	}
}

/* The board's message box (M291) as the printer's prompt, or none. */
static void
box_report(const struct rrf_box *b)
{
	char buttons[RRF_BOX_CHOICES * 48];

	if (b->mode < 0) {
		net_report_prompt("", "");
		return;
	}
	rrf_box_buttons(b, buttons, sizeof(buttons));
	net_report_prompt(b->text, buttons);
}

static int
duet_poll(struct net_reply *r)
{
	struct rrf_view v;

	rrf_view_init(&v);
	if ((D.api == NULL && detect(r) < 0) || D.api->view(&v, r) < 0) {
		/* A mode found that answers 404 now: the host has changed
		 * (a board moved to or from its computer). */
		if (D.mode == DUET_AUTO && D.api != NULL && r->code == 404) {
			log_info("%s: %s answers 404 in %s mode; its mode is"
			    " found again", net_printer(), net_hostname(),
			    D.api->name);
			D.api = NULL;
			session_reset();
		}
		return -1;
	}
	if (v.has_tool || v.has_bed)
		net_report_temps(v.tool[0], v.tool[1], v.bed[0], v.bed[1]);
	printer_report(&v);
	box_report(&v.box);
	if (net_job_id() != 0)
		job_report(&v);
	else if (rrf_printing(v.status))
		net_report_run(v.status == RRF_PAUSED ? NET_RUN_PAUSED :
		    NET_RUN_PRINTING, v.file, NULL);
	else
		net_report_run(NET_RUN_IDLE, NULL, NULL);
	D.v = v;
	return 0;
}

static int
duet_upload(struct net_file *f, const char *name, struct net_reply *r)
{
	char path[300];

	card_path(name, path, sizeof(path));
	if (D.api == NULL) {
		memset(r, 0, sizeof(*r));
		if (detect(r) < 0)
			return -1;
	}
	return D.api->upload(f, path, r);
}

static int
duet_start(const char *name, struct net_reply *r)
{
	char path[300], line[400];

	card_path(name, path, sizeof(path));
	if (rrf_m32(path, line, sizeof(line)) < 0) {
		memset(r, 0, sizeof(*r));
		r->code = 400;
		snprintf(r->why, sizeof(r->why), "M32: the file's name does"
		    " not fit a line");
		return -1;
	}
	/* The board's last file before this start tells a print too short
	 * to be seen from one that never began. */
	rrf_track_start(&D.t, path, &D.v);
	D.job = net_job_id();
	D.cancel = D.m0_sent = D.box_cancel = 0;
	return duet_gcode(line, r);
}

static int
duet_pause(struct net_reply *r)
{
	return duet_gcode("M25", r);
}

static int
duet_resume(struct net_reply *r)
{
	return duet_gcode("M24", r);
}

/* The firmware cancels only a paused print: M25 now, M0 once the board
 * is seen paused (job_report). */
static int
duet_cancel(struct net_reply *r)
{
	D.cancel = 1;
	if (D.v.status == RRF_PAUSED) {
		D.m0_sent = 1;
		return duet_gcode("M0", r);
	}
	D.m0_sent = 0;
	return duet_gcode("M25", r);
}

/* M112 alone: the halt's reply is left for the poll to take as the
 * reason. */
static int
duet_estop(struct net_reply *r)
{
	if (D.api == NULL) {
		memset(r, 0, sizeof(*r));
		if (detect(r) < 0)
			return -1;
	}
	return D.api->code("M112", NULL, 0, r);
}

/* Button k of the box the last poll saw: its M292, with the box's seq
 * so that the board takes it for that box only. */
static int
duet_answer(int k, struct net_reply *r)
{
	const struct rrf_box *b = &D.v.box;

	if (b->mode < 0 || k < 0 || k >= b->nbuttons) {
		memset(r, 0, sizeof(*r));
		snprintf(r->why, sizeof(r->why), "the message box is closed");
		return -1;
	}
	if (duet_gcode(b->code[k], r) < 0)
		return -1;
	if (strncmp(b->code[k], "M292 P1", 7) == 0 && net_job_id() != 0)
		D.box_cancel = 1;
	return 0;
}

static int
duet_heaters_off(struct net_reply *r)
{
	return duet_gcode("M104 S0\nM140 S0", r);
}

static int
duet_remove(const char *name, struct net_reply *r)
{
	char path[300];

	card_path(name, path, sizeof(path));
	if (D.api == NULL) {
		memset(r, 0, sizeof(*r));
		snprintf(r->why, sizeof(r->why), "the host's mode is not yet"
		    " known");
		return -1;
	}
	return D.api->remove(path, r);
}

/* Nothing after HOST[:PORT] but a "/"; -M, duet_mode, is read here as
 * the core has it by now. */
static int
duet_device(const char *rest, char *why, size_t whysz)
{
	if (rest[0] != '\0' && strcmp(rest, "/") != 0) {
		snprintf(why, whysz, "only HOST[:PORT], no path or query");
		return -1;
	}
	D.mode = (enum duet_mode)net_mode();
	D.api = D.mode == DUET_STANDALONE ? &standalone_api :
	    D.mode == DUET_SBC ? &sbc_api : NULL;
	D.sbc_model = "/machine/model";
	return 0;
}

static const struct net_driver duet = {
	.name = "duet",
	.scheme = "duet",
	.tls_scheme = NULL,		/* RepRapFirmware has no TLS */
	.port = 80,
	.key_header = NULL,		/* the password opens a session */
	.auth = NET_AUTH_PASSWORD,
	.cred_option = "password_file",
	.modes = duet_modes,
	.device = duet_device,
	.poll = duet_poll,
	.upload = duet_upload,
	.start = duet_start,
	.pause = duet_pause,
	.resume = duet_resume,
	.cancel = duet_cancel,
	.estop = duet_estop,
	.gcode = duet_gcode,
	.heaters_off = duet_heaters_off,
	.answer = duet_answer,
	.remove = duet_remove,
};

int
main(int argc, char *argv[])
{
	return net_main(argc, argv, &duet);
}
