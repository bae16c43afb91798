/*
 * octo.c - the part of OctoPrint's REST API that slicers and status
 * apps use, answering what their clients check (gwebd(8), OCTOPRINT
 * COMPATIBILITY): GET /api/version ({"api", "server", "text"}, the text
 * starting "OctoPrint", as PrusaSlicer and Cura test it), GET /api/job
 * and GET /api/printer (the state, progress and temperatures of the
 * account's printer, from spoold's status model), and POST
 * /api/files/local (upload.c).
 *
 * Security: as the rest of /api/ (http.c): an account's key.  What is
 * shown is the account's queue as spoold gives it.
 *
 * Diagnostics: an unknown route is 404 {"error"} naming it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gwebd.h"
#include "util.h"

#define OCTO_API	"0.1"

/* The printer the account's requests mean: the default printer (or
 * the first of the queue). */
static json_t *
the_printer(json_t *q, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(q, "printers"), i, p)
		if (name == NULL || strcmp(json_string_value(json_object_get(p,
		    "name")) ? json_string_value(json_object_get(p, "name")) :
		    "", name) == 0)
			return p;
	return json_array_get(json_object_get(q, "printers"), 0);
}

static json_t *
get_path(json_t *o, const char *a, const char *b)
{
	o = json_object_get(o, a);
	return b != NULL ? json_object_get(o, b) : o;
}

static double
num(json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* OctoPrint's state text of spoold's printer state. */
static const char *
state_text(json_t *p)
{
	const char *s = json_string_value(json_object_get(p, "state"));

	if (s == NULL)
		return "Offline";
	if (strcmp(s, "printing") == 0 || strcmp(s, "processing") == 0)
		return "Printing";
	if (strcmp(s, "paused") == 0 || strcmp(s, "stopped") == 0)
		return "Paused";
	if (strcmp(s, "idle") == 0)
		return "Operational";
	return s;
}

/* The title of the job numbered id in q, else its name. */
static const char *
job_title(json_t *q, json_t *p)
{
	json_t *j;
	size_t i;

	json_array_foreach(json_object_get(q, "jobs"), i, j)
		if (json_integer_value(json_object_get(j, "id")) ==
		    json_integer_value(json_object_get(p, "job")) &&
		    json_is_string(json_object_get(j, "title")))
			return json_string_value(json_object_get(j, "title"));
	return json_string_value(json_object_get(p, "job_name"));
}

/* A figure of the status model's progress, or JSON null. */
static json_t *
figure(json_t *p, const char *key)
{
	json_t *v = get_path(get_path(p, "status", "progress"), key, NULL);

	return json_is_number(v) && json_number_value(v) >= 0 ?
	    json_incref(v) : json_null();
}

static enum MHD_Result
job(struct req *r, json_t *q)
{
	json_t *p = the_printer(q, r->w->conf.default_printer), *o;
	int busy = json_integer_value(json_object_get(p, "job")) > 0;
	const char *title = busy ? job_title(q, p) : NULL;

	o = json_pack("{s:{s:{s:s?},s:o},s:{s:o,s:o,s:o},s:s}",
	    "job", "file", "name", title,
	    "estimatedPrintTime", busy ? figure(p, "model_seconds") :
	    json_null(),
	    "progress", "completion", busy ? json_real(100 * num(
	    json_object_get(p, "progress"))) : json_null(),
	    "printTime", busy ? figure(p, "elapsed") : json_null(),
	    "printTimeLeft", busy ? figure(p, "remaining") : json_null(),
	    "state", state_text(p));
	json_decref(q);
	return http_json(r, MHD_HTTP_OK, o);
}

/* OctoPrint's name of a heater: tool0 for T0 (and T), bed, chamber. */
static void
heater_key(const char *n, char *key, size_t keysz)
{
	if (strcmp(n, "B") == 0)
		snprintf(key, keysz, "bed");
	else if (strcmp(n, "C") == 0)
		snprintf(key, keysz, "chamber");
	else if (n[0] == 'T')
		snprintf(key, keysz, "tool%s", n[1] ? n + 1 : "0");
	else
		snprintf(key, keysz, "%s", n);
}

static enum MHD_Result
printer(struct req *r, json_t *q)
{
	json_t *p = the_printer(q, r->w->conf.default_printer), *o, *t, *h;
	const char *st = state_text(p), *n;
	char key[64];
	size_t i;

	t = json_object();
	json_array_foreach(get_path(p, "status", "heaters"), i, h) {
		if ((n = json_string_value(json_object_get(h, "name"))) ==
		    NULL)
			continue;
		heater_key(n, key, sizeof(key));
		json_object_set_new(t, key, json_pack("{s:f,s:f}", "actual",
		    num(json_object_get(h, "actual")), "target",
		    num(json_object_get(h, "target"))));
	}
	o = json_pack("{s:o,s:{s:s,s:{s:b,s:b,s:b,s:b,s:b}}}",
	    "temperature", t, "state", "text", st, "flags",
	    "operational", strcmp(st, "Offline") != 0,
	    "printing", strcmp(st, "Printing") == 0,
	    "paused", strcmp(st, "Paused") == 0,
	    "ready", strcmp(st, "Operational") == 0,
	    "error", 0);
	json_decref(q);
	return http_json(r, MHD_HTTP_OK, o);
}

enum MHD_Result
octo_api(struct req *r)
{
	char why[512] = "";
	json_t *q;
	int get = strcmp(r->method, "GET") == 0;

	if (strcmp(r->url, "/api/version") == 0 && get)
		return http_json(r, MHD_HTTP_OK, json_pack("{s:s,s:s,s:s}",
		    "api", OCTO_API, "server", PACKAGE_VERSION, "text",
		    "OctoPrint (gspool " PACKAGE_VERSION ")"));
	if (strcmp(r->url, "/api/files/local") == 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: POST a"
		    " file as multipart/form-data", r->url);
	if (!get || (strcmp(r->url, "/api/job") != 0 &&
	    strcmp(r->url, "/api/printer") != 0))
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s %s: no such"
		    " request", r->method, r->url);
	if ((q = ctl_queue(r->w, r->acct, 0, why, sizeof(why))) == NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", why);
	return strcmp(r->url, "/api/job") == 0 ? job(r, q) : printer(r, q);
}
