/*
 * api.c - gwebd's own API under /api/gspool/ (gwebd/API.md): the
 * queue and history as gqueue --json prints them, one job, the login
 * that gives a session cookie, and the writes (cancel, hold, release,
 * pause, resume, ready, answer), each passed to spoold as the account,
 * whose rights spoold alone decides.
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
	MHD_add_response_header(resp, "Set-Cookie", "gspool_session=;"
	    " HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
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
	return http_json(r, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1));
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

/* "ID/VERB" or "ID" of /api/gspool/jobs/. */
static enum MHD_Result
jobs(struct req *r, const char *rest)
{
	static const char *const verbs[] = { "cancel", "hold", "release",
	    NULL };
	char ids[24], why[512] = "";
	const char *slash = strchr(rest, '/');
	long id;
	json_t *q, *j;
	int i, rc;

	if ((size_t)(slash ? slash - rest : (long)strlen(rest)) >= sizeof(ids))
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such job",
		    r->url);
	snprintf(ids, sizeof(ids), "%.*s", (int)(slash ? slash - rest :
	    (long)strlen(rest)), rest);
	if (parse_long(ids, 1, 2000000000L, &id) < 0)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: '%s' is not a"
		    " job number", r->url, ids);
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
	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(slash + 1, verbs[i]) == 0)
			break;
	if (verbs[i] == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such action"
		    " on a job", r->url);
	if (strcmp(r->method, "POST") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: POST"
		    " it", r->url);
	rc = ctl_request(r->w, r->acct, why, sizeof(why), verbs[i], ids,
	    (char *)NULL);
	snprintf(ids, sizeof(ids), "job %ld", id);
	return write_done(r, rc, why, verbs[i], ids);
}

/* "NAME/VERB" of /api/gspool/printers/. */
static enum MHD_Result
printers(struct req *r, const char *rest)
{
	static const char *const verbs[] = { "pause", "resume", "ready",
	    "answer", NULL };
	char name[CONF_NAME_MAX + 1], why[512] = "", choice[16];
	const char *slash = strchr(rest, '/');
	int i, rc;

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
	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(slash + 1, verbs[i]) == 0)
			break;
	if (verbs[i] == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such action"
		    " on a printer", r->url);
	if (strcmp(r->method, "POST") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: POST"
		    " it", r->url);
	if (strcmp(verbs[i], "answer") == 0) {
		if (http_form(r, "choice", choice, sizeof(choice)) == NULL)
			return http_error(r, MHD_HTTP_BAD_REQUEST, "%s: give"
			    " the choice (a number) in the field 'choice'",
			    r->url);
		rc = ctl_request(r->w, r->acct, why, sizeof(why), "answer",
		    name, choice, (char *)NULL);
	} else
		rc = ctl_request(r->w, r->acct, why, sizeof(why), verbs[i],
		    name, (char *)NULL);
	return write_done(r, rc, why, verbs[i], name);
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
