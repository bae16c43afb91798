/*
 * api.c - gwebd's own API under /api/gspool/ (gwebd/API.md): the
 * queue and history as gqueue --json prints them, one job, the login
 * that gives a session cookie, and the writes (those of gpc(8): cancel,
 * hold, release, top, priority, move, resume-from, approve, deny on a
 * job; pause, resume, ready, abort, answer, send, enable, disable,
 * accept, reject on a printer), each passed to spoold as the account,
 * whose rights spoold alone decides: a write an account may not make
 * is refused by spoold, whatever the page showed.
 *
 * Security: route parts are compared as strings; a job is a number in
 * range, a printer a name of 1 to CONF_NAME_MAX safe characters, both
 * then looked up by spoold as the account; nothing is a path.
 * spoold's refusals are passed on in its words, as 403 for a right the
 * account lacks and 409 for a state that forbids it.
 *
 * Diagnostics: every refusal is {"error": WHAT} with the route, the
 * job or the printer; each write is logged with the account, the
 * address and what was done.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "gwebd.h"
#include "log.h"
#include "util.h"

#define P	"/api/gspool/"

static enum MHD_Result
reply_queue(struct req *r, int how)
{
	char why[512] = "";
	json_t *q;

	if ((q = ctl_queue(r->w, r->acct, how, why, sizeof(why))) == NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", why);
	return http_json(r, MHD_HTTP_OK, q);
}

static enum MHD_Result
login(struct req *r)
{
	const struct conf_account *a = NULL;
	char account[CONF_NAME_MAX + 1], secret[512], token[TOKEN_HEX + 1];
	char cookie[512];
	struct MHD_Response *resp;

	if (strcmp(r->method, "POST") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: POST"
		    " the form", r->url);
	if (http_form(r, "account", account, sizeof(account)) == NULL)
		account[0] = '\0';
	if (http_form(r, "key", secret, sizeof(secret)) != NULL) {
		if ((a = auth_key(r->w, secret)) != NULL &&
		    strcmp(a->name, account) != 0 && account[0] != '\0')
			a = NULL;
	} else if (http_form(r, "password", secret, sizeof(secret)) != NULL)
		a = auth_password(r->w, account, secret);
	explicit_bzero(secret, sizeof(secret));
	if (a == NULL) {
		auth_failed(r->w, r->addr, "a login with a wrong account, key"
		    " or password");
		return http_error(r, MHD_HTTP_UNAUTHORIZED, "login: wrong"
		    " account, key or password");
	}
	if (auth_session_new(r->w, a->name, token) < 0)
		return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "login:"
		    " no random numbers for a session");
	/* Browsers drop a Secure cookie on http, but for localhost: a
	 * loopback listener without TLS sends it without Secure. */
	snprintf(cookie, sizeof(cookie), "gspool_session=%s; HttpOnly;%s"
	    " SameSite=Strict; Path=/; Max-Age=%ld", token,
	    r->w->tls || !r->l->loopback ? " Secure;" : "",
	    r->w->conf.web.session_time);
	log_info("%s: %s logged in", r->addr, a->name);
	resp = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Set-Cookie", cookie);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_NO_CONTENT,
	    resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
logout(struct req *r)
{
	const char *tok;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if ((tok = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
	    "gspool_session")) != NULL)
		auth_session_end(r->w, tok);
	resp = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);
	/* With the attributes the login gave it, so that the browser
	 * replaces that cookie and drops it. */
	MHD_add_response_header(resp, "Set-Cookie", r->w->tls ||
	    !r->l->loopback ? "gspool_session=; HttpOnly; Secure;"
	    " SameSite=Strict; Path=/; Max-Age=0" : "gspool_session=;"
	    " HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(r->conn, MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A refusal of spoold's: 403 for a right the account lacks (spoold's
 * words for them: "only your own jobs", "only the owner ... or an
 * administrator", "only an administrator"), 404 for what does not
 * exist, 409 for a state that forbids it. */
static unsigned
refusal_status(const char *why)
{
	if (strstr(why, "only your own") != NULL ||
	    strstr(why, "or an administrator") != NULL ||
	    strstr(why, "only an administrator") != NULL)
		return MHD_HTTP_FORBIDDEN;
	if (strstr(why, "no job") != NULL || strstr(why, "unknown") != NULL ||
	    strstr(why, "no such") != NULL)
		return MHD_HTTP_NOT_FOUND;
	if (strstr(why, "cannot be reached") != NULL ||
	    strstr(why, "went away") != NULL)
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	return MHD_HTTP_CONFLICT;
}

static enum MHD_Result
write_done(struct req *r, int rc, const char *why, const char *what,
    const char *whom)
{
	if (rc < 0)
		return http_error(r, refusal_status(why), "%s: %s", whom, why);
	log_info("%s: %s: %s %s", r->addr, r->acct->name, what, whom);
	/* send's answer is what the printer said to each line. */
	return http_json(r, MHD_HTTP_OK, why[0] != '\0' ? json_pack(
	    "{s:b,s:s}", "ok", 1, "answer", why) : json_pack("{s:b}", "ok",
	    1));
}

/* A job's object as the page shows it alone: the row, with the
 * analyser's findings as "analysis" (what spoold keeps as the job's
 * meta: layers, modelled time, filament, bounding box, slicer) and
 * "reasons", the words gqueue -l shows beside its state (why it is
 * held, was refused or aborted) and when a hold ends. */
static json_t *
job_detail(json_t *j)
{
	json_t *meta = json_object_get(j, "meta"), *reasons = json_array();
	const char *why = json_string_value(json_object_get(j, "reason"));
	const char *state = json_string_value(json_object_get(j, "state"));
	json_int_t until = json_integer_value(json_object_get(j,
	    "hold_until"));
	char buf[64];

	json_object_set_new(j, "analysis", json_is_object(meta) ?
	    json_deep_copy(meta) : json_object());
	if (why != NULL && why[0] != '\0')
		json_array_append_new(reasons, json_string(why));
	else if (state != NULL && strcmp(state, "held") == 0 && until <= 0)
		json_array_append_new(reasons, json_string("held until"
		    " released"));
	if (until > 0) {
		snprintf(buf, sizeof(buf), "held until %lld",
		    (long long)until);
		json_array_append_new(reasons, json_string(buf));
	}
	json_object_set_new(j, "reasons", reasons);
	return j;
}

/* One of OctoPrint's commands on a file, POSTed as JSON to the job's
 * URL (the Location of its upload): {"command": "select"} is the job
 * held as it was queued, which is gspool's selected file: 204 and
 * nothing to do; {"command": "select", "print": true} releases it,
 * which starts it as OctoPrint's "print" does.  Anything else is 400
 * with what is known. */
static enum MHD_Result
job_command(struct req *r, const char *ids, long id)
{
	json_t *o, *cmd, *print;
	char why[512] = "", whom[32];
	json_error_t e;
	int rc;

	snprintf(whom, sizeof(whom), "job %ld", id);
	if ((o = json_loadb(r->body ? r->body : "", r->blen, 0, &e)) == NULL)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "%s: POST"
		    " {\"command\": \"select\"} as JSON (column %d: %s)",
		    r->url, e.column, e.text);
	cmd = json_object_get(o, "command");
	print = json_object_get(o, "print");
	if (!json_is_string(cmd) || strcmp(json_string_value(cmd),
	    "select") != 0 || (print != NULL && !json_is_boolean(print))) {
		json_decref(o);
		return http_error(r, MHD_HTTP_BAD_REQUEST, "%s: the one"
		    " command on a job is {\"command\": \"select\"} with"
		    " \"print\" true or false", r->url);
	}
	rc = 0;
	if (json_is_true(print) && (rc = ctl_request(r->w, r->acct, why,
	    sizeof(why), "release", ids, (char *)NULL)) < 0 &&
	    strstr(why, "not held") != NULL)
		rc = 0;		/* printing already, as asked */
	json_decref(o);
	if (rc < 0)
		return http_error(r, refusal_status(why), "%s: %s", whom, why);
	log_info("%s: %s: select%s %s", r->addr, r->acct->name,
	    json_is_true(print) ? " and print" : "", whom);
	return http_text(r, MHD_HTTP_NO_CONTENT, "text/plain", "");
}

/* A form field's value, or "" if it is not there. */
static const char *
field(const struct req *r, const char *name, char *out, size_t outsz)
{
	if (http_form(r, name, out, outsz) == NULL)
		out[0] = '\0';
	return out;
}

/* The actions on a job: the route's verb, spoold's, and the form field
 * that gives its second argument (NULL: none; "!" after it: required). */
static const struct job_verb {
	const char	*verb;
	const char	*request;
	const char	*arg;
} job_verbs[] = {
	{ "cancel",	"cancel",	NULL },
	{ "hold",	"hold",		NULL },
	{ "release",	"release",	NULL },
	{ "top",	"top",		NULL },
	{ "priority",	"priority",	"priority!" },
	{ "move",	"move",		"dest!" },
	{ "resume-from", "resume-from",	"layer!" },
	{ "approve",	"approve",	"note" },
	{ "deny",	"deny",		"reason!" },
};

/* A form field named by a verb's arg into out: 0, or -1 if a
 * required one is missing or empty. */
static int
verb_arg(const struct req *r, const char *arg, char *out, size_t outsz)
{
	char name[32];
	size_t n = strcspn(arg, "!");

	snprintf(name, sizeof(name), "%.*s", (int)n, arg);
	field(r, name, out, outsz);
	return arg[n] == '!' && out[0] == '\0' ? -1 : 0;
}

/* "ID/VERB" or "ID" of /api/gspool/jobs/. */
static enum MHD_Result
jobs(struct req *r, const char *rest)
{
	char ids[24], why[512] = "", arg[256];
	const char *slash = strchr(rest, '/');
	const struct job_verb *v = NULL;
	long id;
	json_t *q, *j;
	size_t k;
	int i, rc;

	if ((size_t)(slash ? slash - rest : (long)strlen(rest)) >= sizeof(ids))
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such job",
		    r->url);
	snprintf(ids, sizeof(ids), "%.*s", (int)(slash ? slash - rest :
	    (long)strlen(rest)), rest);
	if (parse_long(ids, 1, 2000000000L, &id) < 0)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: '%s' is not a"
		    " job number", r->url, ids);
	if (slash == NULL && strcmp(r->method, "POST") == 0)
		return job_command(r, ids, id);
	if (slash == NULL) {
		if (strcmp(r->method, "GET") != 0)
			return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "%s: GET a job", r->url);
		for (i = 0; i < 2; i++) {
			if ((q = ctl_queue(r->w, r->acct, i ?
			    CLIENT_QUEUE_HISTORY : 0, why, sizeof(why))) ==
			    NULL)
				return http_error(r,
				    MHD_HTTP_SERVICE_UNAVAILABLE, "%s", why);
			if ((j = client_queue_find(q, id)) != NULL) {
				j = json_deep_copy(j);
				json_decref(q);
				return http_json(r, MHD_HTTP_OK, job_detail(j));
			}
			json_decref(q);
		}
		return http_error(r, MHD_HTTP_NOT_FOUND, "job %ld: no such"
		    " job", id);
	}
	if (strcmp(slash + 1, "thumbnail") == 0 ||
	    strcmp(slash + 1, "timelapse") == 0)
		return media_job(r, id, slash + 1);
	for (k = 0; k < nitems(job_verbs); k++)
		if (strcmp(slash + 1, job_verbs[k].verb) == 0)
			v = &job_verbs[k];
	if (v == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such action"
		    " on a job", r->url);
	if (strcmp(r->method, "POST") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: POST"
		    " it", r->url);
	if (v->arg != NULL && verb_arg(r, v->arg, arg, sizeof(arg)) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "%s: give the"
		    " field '%.*s'", r->url, (int)strcspn(v->arg, "!"),
		    v->arg);
	rc = ctl_request(r->w, r->acct, why, sizeof(why), v->request, ids,
	    v->arg != NULL ? arg : (char *)NULL, (char *)NULL);
	snprintf(ids, sizeof(ids), "job %ld", id);
	return write_done(r, rc, why, v->verb, ids);
}

/* The actions on a printer (enable to reject: on a class too), as for
 * a job. */
static const struct job_verb printer_verbs[] = {
	{ "pause",	"pause",	NULL },
	{ "resume",	"resume",	NULL },
	{ "ready",	"ready",	NULL },
	{ "abort",	"estop",	NULL },
	{ "answer",	"answer",	"choice!" },
	{ "send",	"send",		"gcode!" },
	{ "enable",	"enable",	"reason" },
	{ "disable",	"disable",	"reason" },
	{ "accept",	"accept",	"reason" },
	{ "reject",	"reject",	"reason" },
};

/* NAME/load, gpc load: the fields tool (T0, T1, ...) and material (a
 * filament type, or none); the reply's "loaded" is what spoold says
 * the printer's tools now hold.  An administrator's (spoold's rights). */
static enum MHD_Result
printer_load(struct req *r, const char *name)
{
	char tool[16], mat[64], why[512] = "";
	int rc;

	if (strcmp(r->method, "POST") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: POST"
		    " it", r->url);
	if (verb_arg(r, "tool!", tool, sizeof(tool)) < 0 ||
	    verb_arg(r, "material!", mat, sizeof(mat)) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "%s: give the"
		    " fields 'tool' (T0, T1, ...) and 'material' (such as"
		    " PLA, or none)", r->url);
	rc = ctl_request(r->w, r->acct, why, sizeof(why), "load", name, tool,
	    mat, (char *)NULL);
	if (rc < 0)
		return http_error(r, strncmp(why, "load: ", 6) == 0 ?
		    MHD_HTTP_BAD_REQUEST : refusal_status(why), "%s: %s", name,
		    why);
	log_info("%s: %s: load %s %s on %s", r->addr, r->acct->name, mat,
	    tool, name);
	return http_json(r, MHD_HTTP_OK, json_pack("{s:b,s:s}", "ok", 1,
	    "loaded", why));
}

/* "NAME/VERB" of /api/gspool/printers/. */
static enum MHD_Result
printers(struct req *r, const char *rest)
{
	char name[CONF_NAME_MAX + 1], why[512] = "", arg[1024];
	const char *slash = strchr(rest, '/');
	const struct job_verb *v = NULL;
	size_t k;
	int rc;

	if (slash == NULL || (size_t)(slash - rest) >= sizeof(name))
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such printer"
		    " action", r->url);
	snprintf(name, sizeof(name), "%.*s", (int)(slash - rest), rest);
	if (!name_is_safe(name, CONF_NAME_MAX))
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such"
		    " printer", r->url);
	if (strcmp(slash + 1, "snapshot") == 0)
		return media_snapshot(r, name);
	if (strcmp(slash + 1, "stream") == 0)
		return relay_stream(r, name);
	if (strcmp(slash + 1, "load") == 0)
		return printer_load(r, name);
	for (k = 0; k < nitems(printer_verbs); k++)
		if (strcmp(slash + 1, printer_verbs[k].verb) == 0)
			v = &printer_verbs[k];
	if (v == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such action"
		    " on a printer", r->url);
	if (strcmp(r->method, "POST") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: POST"
		    " it", r->url);
	if (v->arg != NULL && verb_arg(r, v->arg, arg, sizeof(arg)) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "%s: give the"
		    " field '%.*s'%s", r->url, (int)strcspn(v->arg, "!"),
		    v->arg, strcmp(v->verb, "answer") == 0 ? " (a number)" :
		    "");
	rc = ctl_request(r->w, r->acct, why, sizeof(why), v->request, name,
	    v->arg != NULL ? arg : (char *)NULL, (char *)NULL);
	return write_done(r, rc, why, v->verb, name);
}

enum MHD_Result
api_gspool(struct req *r)
{
	const char *u = r->url + strlen(P);
	int get = strcmp(r->method, "GET") == 0;

	if (strcmp(u, "login") == 0)
		return login(r);
	if (strcmp(u, "logout") == 0)
		return logout(r);
	if (strcmp(u, "whoami") == 0 && get)
		return http_json(r, MHD_HTTP_OK, json_pack("{s:s,s:b,s:b}",
		    "account", r->acct->name, "admin", r->acct->admin,
		    "anonymous", r->by == AUTH_ANONYMOUS));
	if (strcmp(u, "queue") == 0 && get)
		return reply_queue(r, 0);
	if (strcmp(u, "history") == 0 && get)
		return reply_queue(r, CLIENT_QUEUE_HISTORY);
	if (strcmp(u, "events") == 0 && get)
		return events_start(r);
	if (strncmp(u, "jobs/", 5) == 0)
		return jobs(r, u + 5);
	if (strncmp(u, "printers/", 9) == 0)
		return printers(r, u + 9);
	return http_error(r, MHD_HTTP_NOT_FOUND, "%s %s: no such request",
	    r->method, r->url);
}
