/*
 * octo.c - the part of OctoPrint's REST API that slicers and status
 * apps use, answering what their clients check (gwebd(8), OCTOPRINT
 * COMPATIBILITY): GET /api/version ({"api", "server", "text"}, the text
 * starting "OctoPrint", as PrusaSlicer and Cura test it), GET /api/job
 * and GET /api/printer (the state, progress and temperatures of the
 * account's printer, from spoold's status model), POST
 * /api/files/local (upload.c), and what Cura's OctoPrint Connection
 * asks besides: GET /api/settings (the webcam, no SD card), GET
 * /api/printerprofiles (each printer the account sees, from its
 * [printer] section: build volume, heated bed and chamber, tools), GET
 * and POST /api/connection (spoold keeps each printer connected) and
 * POST /api/login (the account the key is).  /plugin/appkeys/ is
 * answered 404 by http.c: gspool hands out no key over HTTP.
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

/* OctoPrint's state of a printer of spoold's queue: its text and the
 * flags beside it.  spoold's state says whether the printer is there
 * (starting and connecting, ready, busy with G-code of its own, error);
 * a job on it is printing unless its activity is paused; a ready
 * printer with no job is "Operational", and ready for one unless its
 * bed awaits clearing. */
struct octo_state {
	char	 text[288];
	int	 operational, printing, paused, ready, error, closed;
};

static void
state_of(json_t *p, struct octo_state *o)
{
	const char *s = json_string_value(json_object_get(p, "state"));
	const char *a = json_string_value(json_object_get(p, "activity"));
	const char *m = json_string_value(json_object_get(p, "message"));
	int busy = json_integer_value(json_object_get(p, "job")) > 0;

	memset(o, 0, sizeof(*o));
	if (s == NULL || strcmp(s, "starting") == 0 ||
	    strcmp(s, "connecting") == 0) {
		snprintf(o->text, sizeof(o->text), "%s", s == NULL ?
		    "Offline" : "Connecting");
		o->closed = s == NULL;
	} else if (strcmp(s, "error") == 0) {
		o->closed = 1;
		if (a != NULL && strcmp(a, "offline") == 0)
			snprintf(o->text, sizeof(o->text), "Offline");
		else {
			snprintf(o->text, sizeof(o->text), "Error: %.255s",
			    m != NULL && m[0] ? m : "the printer halted");
			o->error = 1;
		}
	} else if (busy) {
		o->operational = 1;
		o->paused = a != NULL && strcmp(a, "paused") == 0;
		o->printing = !o->paused;
		snprintf(o->text, sizeof(o->text), "%s", o->paused ?
		    "Paused" : "Printing");
	} else {
		o->operational = 1;
		o->ready = strcmp(s, "ready") == 0;
		snprintf(o->text, sizeof(o->text), "Operational");
	}
}

static const char *
state_text(json_t *p, struct octo_state *o)
{
	state_of(p, o);
	return o->text;
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
	struct octo_state os;
	const char *title = busy ? job_title(q, p) : NULL;

	o = json_pack("{s:{s:{s:s?},s:o},s:{s:o,s:o,s:o},s:s}",
	    "job", "file", "name", title,
	    "estimatedPrintTime", busy ? figure(p, "model_seconds") :
	    json_null(),
	    "progress", "completion", busy ? json_real(100 * num(
	    json_object_get(p, "progress"))) : json_null(),
	    "printTime", busy ? figure(p, "elapsed") : json_null(),
	    "printTimeLeft", busy ? figure(p, "remaining") : json_null(),
	    "state", state_text(p, &os));
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
	struct octo_state os;
	const char *n;
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
	/* Cura reads every one of these flags. */
	state_of(p, &os);
	o = json_pack("{s:o,s:{s:s,s:{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,"
	    "s:b,s:b}}}", "temperature", t, "state", "text", os.text,
	    "flags", "operational", os.operational,
	    "printing", os.printing,
	    "paused", os.paused,
	    "pausing", 0,
	    "cancelling", 0,
	    "ready", os.ready,
	    "error", os.error,
	    "closedOrError", os.closed,
	    "sdReady", 0,
	    "finishing", 0);
	json_decref(q);
	return http_json(r, MHD_HTTP_OK, o);
}

/* The number of tools: the hotends the status model reports (T0, T1,
 * ... or T alone), one when it reports none yet. */
static int
tools(json_t *p)
{
	json_t *h;
	size_t i;
	const char *n;
	int count = 0;

	json_array_foreach(get_path(p, "status", "heaters"), i, h)
		if ((n = json_string_value(json_object_get(h, "name"))) !=
		    NULL && n[0] == 'T')
			count++;
	return count > 0 ? count : 1;
}

static const char *
name_of(json_t *p)
{
	const char *n = json_string_value(json_object_get(p, "name"));

	return n != NULL ? n : "";
}

/* The build volume of printer cp: its build_volume less build_min,
 * or the analyser's bounds when none is given. */
static json_t *
volume(const struct conf_printer *cp)
{
	double v[3];
	int i;

	for (i = 0; i < 3; i++)
		v[i] = cp != NULL ? cp->check.vol_max[i] - cp->check.vol_min[i]
		    : 0;
	return json_pack("{s:f,s:f,s:f,s:s,s:s}", "width", v[0], "depth",
	    v[1], "height", v[2], "formFactor", "rectangular", "origin",
	    "lowerleft");
}

/* One profile per printer the account sees; "current" the one its
 * requests mean. */
static enum MHD_Result
profiles(struct req *r, json_t *q)
{
	json_t *cur = the_printer(q, r->w->conf.default_printer), *p, *o;
	const struct conf_printer *cp;
	const char *n;
	size_t i;

	o = json_object();
	json_array_foreach(json_object_get(q, "printers"), i, p) {
		n = name_of(p);
		cp = conf_printer(&r->w->conf, n);
		json_object_set_new(o, n, json_pack("{s:s,s:s,s:s,s:b,s:b,"
		    "s:b,s:b,s:o,s:{s:i}}", "id", n, "name", n, "model",
		    cp != NULL && cp->description != NULL ? cp->description :
		    n, "current", p == cur, "default", p == cur, "heatedBed",
		    cp != NULL && cp->policy.max_bed > 0, "heatedChamber",
		    cp != NULL && cp->policy.max_chamber > 0, "volume",
		    volume(cp), "extruder", "count", tools(p)));
	}
	json_decref(q);
	return http_json(r, MHD_HTTP_OK, json_pack("{s:o}", "profiles", o));
}

/* The webcam of the current printer, by media_camera()'s rule, which
 * the snapshot keeps too: the relay's stream and the snapshot for an
 * http:// or https:// camera; the snapshot alone (an empty streamUrl,
 * which Cura skips) for a /dev/ camera or a remote sftp:// queue. */
static enum MHD_Result
settings(struct req *r, json_t *q)
{
	json_t *p = the_printer(q, r->w->conf.default_printer);
	const struct conf_printer *cp = conf_printer(&r->w->conf,
	    name_of(p));
	char stream[CONF_NAME_MAX + 64] = "", snap[CONF_NAME_MAX + 64] = "";
	enum media_cam m = media_camera(cp);
	int cam = m != MEDIA_CAM_NONE;
	json_t *o;

	if (m == MEDIA_CAM_STREAM)
		snprintf(stream, sizeof(stream),
		    "/api/gspool/printers/%s/stream", cp->name);
	if (cam)
		snprintf(snap, sizeof(snap),
		    "/api/gspool/printers/%s/snapshot", cp->name);
	o = json_pack("{s:{s:b},s:{s:b,s:b},s:{s:b,s:s,s:s,s:b,s:b,s:b},"
	    "s:{}}", "api", "enabled", 1, "feature", "sdSupport", 0,
	    "temperatureGraph", 0, "webcam", "webcamEnabled", cam,
	    "streamUrl", stream, "snapshotUrl", snap, "flipH", 0, "flipV", 0,
	    "rotate90", 0, "plugins");
	json_decref(q);
	return http_json(r, MHD_HTTP_OK, o);
}

/* The connection of the current printer: spoold's, never changed from
 * here. */
static enum MHD_Result
connection(struct req *r, json_t *q)
{
	json_t *p = the_printer(q, r->w->conf.default_printer), *names, *o;
	struct octo_state os;
	const struct conf_printer *cp = conf_printer(&r->w->conf,
	    name_of(p));
	size_t i;
	json_t *e;

	names = json_array();
	json_array_foreach(json_object_get(q, "printers"), i, e)
		json_array_append_new(names, json_pack("{s:s,s:s}", "id",
		    name_of(e), "name", name_of(e)));
	o = json_pack("{s:{s:s,s:s,s:I,s:s},s:{s:[s],s:[I],s:o,s:s,"
	    "s:I,s:s,s:b}}", "current", "state", state_text(p, &os), "port",
	    name_of(p), "baudrate", (json_int_t)(cp != NULL ? cp->baud : 0),
	    "printerProfile", name_of(p), "options", "ports", name_of(p),
	    "baudrates", (json_int_t)(cp != NULL ? cp->baud : 0),
	    "printerProfiles", names, "portPreference", name_of(p),
	    "baudratePreference", (json_int_t)(cp != NULL ? cp->baud : 0),
	    "printerProfilePreference", name_of(p), "autoconnect", 1);
	json_decref(q);
	return http_json(r, MHD_HTTP_OK, o);
}

/* A command to /api/connection: "connect" is what spoold does on its
 * own (204); anything else is refused, as the connection is spoold's. */
static enum MHD_Result
connect_command(struct req *r)
{
	json_t *j, *c;
	json_error_t e;
	enum MHD_Result ret;

	if (r->body == NULL || (j = json_loads(r->body, 0, &e)) == NULL)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "%s: the body is"
		    " not JSON%s%s", r->url, r->body != NULL ? ": " : "",
		    r->body != NULL ? e.text : "");
	c = json_object_get(j, "command");
	if (json_is_string(c) && strcmp(json_string_value(c), "connect") ==
	    0)
		ret = http_text(r, MHD_HTTP_NO_CONTENT, "text/plain", "");
	else if (json_is_string(c))
		ret = http_error(r, MHD_HTTP_CONFLICT, "%s: '%s': gspool keeps"
		    " each printer connected; gpc(8) disables one", r->url,
		    json_string_value(c));
	else
		ret = http_error(r, MHD_HTTP_BAD_REQUEST, "%s: no \"command\""
		    " string", r->url);
	json_decref(j);
	return ret;
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
	if (strcmp(r->url, "/api/login") == 0 && strcmp(r->method, "POST") ==
	    0)
		return http_json(r, MHD_HTTP_OK, json_pack("{s:s,s:b,s:b}",
		    "name", r->acct->name, "active", 1, "admin",
		    r->acct->admin));
	if (strcmp(r->url, "/api/connection") == 0 &&
	    strcmp(r->method, "POST") == 0)
		return connect_command(r);
	if (!get || (strcmp(r->url, "/api/job") != 0 &&
	    strcmp(r->url, "/api/printer") != 0 &&
	    strcmp(r->url, "/api/settings") != 0 &&
	    strcmp(r->url, "/api/printerprofiles") != 0 &&
	    strcmp(r->url, "/api/connection") != 0))
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s %s: no such"
		    " request", r->method, r->url);
	if ((q = ctl_queue(r->w, r->acct, 0, why, sizeof(why))) == NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", why);
	if (strcmp(r->url, "/api/settings") == 0)
		return settings(r, q);
	if (strcmp(r->url, "/api/printerprofiles") == 0)
		return profiles(r, q);
	if (strcmp(r->url, "/api/connection") == 0)
		return connection(r, q);
	return strcmp(r->url, "/api/job") == 0 ? job(r, q) : printer(r, q);
}
