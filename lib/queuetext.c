/*
 * queuetext.c - the queue as gqueue shows it, from spoold's answer or
 * from a remote gsftpd's queue.json: one JSON object {printers,
 * classes, jobs} (the fields are in gspool(7)), and lpq's layout made
 * from it, or the history's columns, as wide as their widest cell.  gqueue, gqueue -H and gsftpd's queue.txt print the same.
 *
 * Security: queue.json may come from another host.  A field of another
 * type than expected reads as empty or 0, and a number that does not
 * fit is 0, so no document makes it fail.  The text is made from a
 * copy in which every string and every key has been through
 * clean_text(): a hostile host's title or reason cannot send a
 * terminal escape, whatever the remote spoold did or did not clean.
 *
 * Diagnostics: none of its own; what the document lacks is not shown.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "util.h"

json_t *
client_queue(int sock, const char *dest, int how, char *err,
    size_t errsz)
{
	const char *history = how & CLIENT_QUEUE_HISTORY ? "history" : "";
	json_t *out;
	struct msg m;
	int sent;

	err[0] = '\0';
	if (how & CLIENT_QUEUE_EVERYONE)
		sent = msg_send(sock, -1, "queue", dest, history, "everyone",
		    (char *)NULL);
	else
		sent = msg_send(sock, -1, "queue", dest, history, (char *)NULL);
	if (sent < 0)
		return NULL;
	out = json_object();
	json_object_set_new(out, "printers", json_array());
	json_object_set_new(out, "classes", json_array());
	json_object_set_new(out, "jobs", json_array());
	for (;;) {
		const char *verb;

		if (msg_recv(sock, &m) <= 0) {
			json_decref(out);
			return NULL;
		}
		if (m.fd >= 0)
			close(m.fd);
		verb = msg_field(&m, 0);
		if (strcmp(verb, "end") == 0)
			return out;
		if (strcmp(verb, "error") == 0) {
			snprintf(err, errsz, "%s", msg_field(&m, 1));
			json_decref(out);
			return NULL;
		}
		if (strcmp(verb, "printer") == 0)
			json_array_append_new(json_object_get(out, "printers"),
			    client_printer_json(&m));
		else if (strcmp(verb, "class") == 0)
			json_array_append_new(json_object_get(out, "classes"),
			    client_class_json(&m));
		else if (strcmp(verb, "job") == 0)
			json_array_append_new(json_object_get(out, "jobs"),
			    client_job_json(&m));
		else if (strcmp(verb, "rejected") == 0) {
			json_t *r = json_object();

			json_object_set_new(r, "name",
			    json_string(msg_field(&m, 1)));
			json_object_set_new(r, "size",
			    json_integer(atoll(msg_field(&m, 2))));
			json_object_set_new(r, "refused",
			    json_integer(atoll(msg_field(&m, 3))));
			json_object_set_new(r, "reason",
			    json_string(msg_field(&m, 4)));
			json_object_set_new(r, "kept", json_boolean(
			    strcmp(msg_field(&m, 5), "1") == 0));
			/* An older spoold's rows have neither: its own,
			 * kept as sent. */
			if (m.nfields > ROW_REJECTED_FILE) {
				json_object_set_new(r, "owner", json_string(
				    msg_field(&m, ROW_REJECTED_OWNER)));
				json_object_set_new(r, "file", json_string(
				    msg_field(&m, ROW_REJECTED_FILE)));
			}
			if (json_object_get(out, "rejected") == NULL)
				json_object_set_new(out, "rejected",
				    json_array());
			json_array_append_new(json_object_get(out, "rejected"),
			    r);
		} else if (strcmp(verb, "refusing") == 0) {
			json_object_set_new(out, "refusing",
			    json_string(msg_field(&m, 1)));
			json_object_set_new(out, "refusing_until",
			    json_integer(atoll(msg_field(&m, 2))));
		}
	}
}

int
client_queue_only(json_t *q, int njobs, char *jobs[])
{
	json_t *a = json_object_get(q, "jobs"), *j;
	size_t i = 0;
	int k, r = 0;

	if (njobs == 0 || !json_is_array(a))
		return 0;
	json_object_del(q, "rejected");
	while (i < json_array_size(a)) {
		j = json_array_get(a, i);
		for (k = 0; k < njobs; k++)
			if (client_job_id(jobs[k]) == json_integer_value(
			    json_object_get(j, "id")))
				break;
		if (k < njobs && client_job_match(jobs[k], j) < 0)
			r = -1;
		else if (k < njobs) {
			i++;
			continue;
		}
		json_array_remove(a, i);
	}
	return r;
}

void
client_queue_own(json_t *q)
{
	json_t *a = json_object_get(q, "jobs");
	size_t i = 0;

	while (i < json_array_size(a))
		if (json_is_true(json_object_get(json_array_get(a, i), "own")))
			i++;
		else
			json_array_remove(a, i);
}

/* Whether the array of strings A holds S. */
static int
has_name(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* Remove from the array KEY of Q the objects KEEP refuses. */
static void
filter(json_t *q, const char *key, int (*keep)(json_t *, const char *,
    json_t *), const char *dest, json_t *cl)
{
	json_t *a = json_object_get(q, key);
	size_t i = 0;

	while (i < json_array_size(a))
		if (keep(json_array_get(a, i), dest, cl))
			i++;
		else
			json_array_remove(a, i);
}

static int
keep_printer(json_t *p, const char *dest, json_t *cl)
{
	const char *name = json_string_value(json_object_get(p, "name"));

	return name != NULL && (strcmp(name, dest) == 0 || (cl != NULL &&
	    has_name(json_object_get(cl, "printers"), name)));
}

static int
keep_class(json_t *k, const char *dest, json_t *cl)
{
	(void)cl;
	return json_is_string(json_object_get(k, "name")) &&
	    strcmp(json_string_value(json_object_get(k, "name")), dest) == 0;
}

static int
keep_job(json_t *j, const char *dest, json_t *cl)
{
	const char *d = json_string_value(json_object_get(j, "destination"));
	const char *p = json_string_value(json_object_get(j, "printer"));

	(void)cl;
	return (d != NULL && strcmp(d, dest) == 0) ||
	    (p != NULL && strcmp(p, dest) == 0);
}

int
client_queue_dest(json_t *q, const char *dest)
{
	json_t *cl = NULL, *k, *p;
	size_t i;
	int known = 0;

	json_array_foreach(json_object_get(q, "classes"), i, k)
		if (keep_class(k, dest, NULL))
			cl = k;
	json_array_foreach(json_object_get(q, "printers"), i, p)
		if (keep_printer(p, dest, NULL))
			known = 1;
	if (cl == NULL && !known)
		return -1;
	/* The class's members are read before the class array is cut. */
	json_incref(cl);
	filter(q, "printers", keep_printer, dest, cl);
	filter(q, "classes", keep_class, dest, cl);
	filter(q, "jobs", keep_job, dest, cl);
	json_decref(cl);
	return 0;
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static long long
integer(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	/* A remote host's queue.json may hold any number: one that fits,
	 * or 0. */
	d = json_number_value(v);
	return d > -9e15 && d < 9e15 ? (long long)d : 0;
}

static int
yes(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static const char *
ordinal(const char *rank, char *buf, size_t bufsz)
{
	static const char *const sfx[] = { "th", "st", "nd", "rd" };
	long n;

	if (parse_long(rank, 1, 2000000000L, &n) < 0)
		return rank;		/* "active", "stopped", "held" */
	snprintf(buf, bufsz, "%ld%s", n, (n % 100 >= 11 && n % 100 <= 13) ||
	    n % 10 > 3 ? "th" : sfx[n % 10]);
	return buf;
}

static void
duration(char *buf, size_t sz, long s)
{
	if (s >= 3600)
		snprintf(buf, sz, "%ldh %02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, sz, "%ldm %02lds", s / 60, s % 60);
}

static json_t	*cleaned(json_t *);

/* The name of the job printer row p prints (the name it was submitted
 * under, which a class's member or a move does not change); from an
 * older document without one, PRINTER-JOB. */
static const char *
job_name(json_t *p, char *buf, size_t sz)
{
	if (*str(p, "job_name"))
		return str(p, "job_name");
	snprintf(buf, sz, "%s-%lld", str(p, "name"), integer(p, "job"));
	return buf;
}

static double
real(json_t *o, const char *key)
{
	double d = json_number_value(json_object_get(o, key));

	return isfinite(d) ? d : 0;
}

/* "45s", "38m", "1h02m". */
static void
span(char *buf, size_t sz, long long s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, sz, "%llds", s);
	else if (s < 3600)
		snprintf(buf, sz, "%lldm", s / 60);
	else
		snprintf(buf, sz, "%lldh%02lldm", s / 3600, s / 60 % 60);
}

/* A time of day, "14:32", with the day's name when not today. */
static void
clock_time(char *buf, size_t sz, long long t)
{
	time_t when = (time_t)t, now = time(NULL);
	struct tm tw, tn;

	if (localtime_r(&when, &tw) == NULL || localtime_r(&now, &tn) == NULL ||
	    strftime(buf, sz, tw.tm_yday == tn.tm_yday && tw.tm_year ==
	    tn.tm_year ? "%H:%M" : "%a %H:%M", &tw) == 0)
		snprintf(buf, sz, "?");
}

/* The job's progress: "layer 8 of 120, 62% (by time), 1h02m elapsed,
 * about 38m left, done at 14:32". */
static void
progress_text(FILE *fp, json_t *g)
{
	json_t *tf = json_object_get(g, "time_fraction");
	json_t *bf = json_object_get(g, "bytes_fraction");
	char buf[32];

	if (integer(g, "layers") > 0)
		fprintf(fp, "layer %lld of %lld", integer(g, "layer"),
		    integer(g, "layers"));
	else
		fprintf(fp, "layer %lld", integer(g, "layer"));
	if (json_is_number(tf))
		fprintf(fp, ", %.0f%% (by time)", floor(real(g,
		    "time_fraction") * 100));
	else if (json_is_number(bf))
		fprintf(fp, ", %.0f%% (by bytes)", floor(real(g,
		    "bytes_fraction") * 100));
	if (json_is_integer(json_object_get(g, "elapsed"))) {
		span(buf, sizeof(buf), integer(g, "elapsed"));
		fprintf(fp, ", %s elapsed", buf);
	}
	if (json_is_integer(json_object_get(g, "remaining"))) {
		span(buf, sizeof(buf), integer(g, "remaining"));
		fprintf(fp, ", about %s left", buf);
	}
	if (json_is_integer(json_object_get(g, "finish"))) {
		clock_time(buf, sizeof(buf), integer(g, "finish"));
		fprintf(fp, ", done at %s", buf);
	}
}

/* "LEAD (stale: last heard at 14:02): T0 210.0/210.0 C (power 127), B
 * 60.0/60.0 C", nothing if there are none. */
static void
heaters_text(FILE *fp, json_t *a, const char *lead)
{
	json_t *h;
	size_t i;
	int stale = 0;
	long long heard = 0;
	char buf[32];

	json_array_foreach(a, i, h) {
		stale |= yes(h, "stale");
		heard = integer(h, "heard");
	}
	if (json_array_size(a) == 0)
		return;
	fprintf(fp, "%s", lead);
	if (stale) {
		clock_time(buf, sizeof(buf), heard);
		fprintf(fp, " (stale: last heard at %s)", buf);
	}
	fprintf(fp, ":");
	json_array_foreach(a, i, h) {
		fprintf(fp, "%s %s %.1f/%.1f C", i ? "," : "", str(h, "name"),
		    real(h, "actual"), real(h, "target"));
		if (json_is_integer(json_object_get(h, "power")))
			fprintf(fp, " (power %lld)", integer(h, "power"));
	}
	fprintf(fp, "\n");
}

static void	materials_text(FILE *, json_t *);

/* The status model's lines (spoold/status.c), as gqueue and gpc status
 * both show them: what the printer does, its job's progress, its
 * heaters, what it has loaded.  An older spoold's row, without the model, shows its job's
 * share of bytes. */
static void
status_text(FILE *fp, json_t *p)
{
	json_t *s = json_object_get(p, "status"), *g;
	const char *act = str(s, "activity"), *why = str(s, "reason");
	char buf[32], jn[96];

	if (!json_is_object(s)) {
		if (integer(p, "job") != 0)
			fprintf(fp, "\t%s %s, %.0f%% (by bytes)\n",
			    job_name(p, jn, sizeof(jn)),
			    *str(p, "activity") ? str(p, "activity") :
			    "printing", floor(real(p, "progress") * 100));
		return;
	}
	g = json_object_get(s, "progress");
	if (strcmp(act, "not-responding") == 0) {
		/* The backend's words begin with what the line says. */
		if (strncmp(why, "not responding: ", 16) == 0)
			why += 16;
		clock_time(buf, sizeof(buf), integer(s, "since"));
		fprintf(fp, "\tnot responding since %s%s%s\n", buf,
		    why[0] ? ": " : "", why);
	} else if (strcmp(act, "offline") == 0 || strcmp(act,
	    "connecting") == 0)
		fprintf(fp, "\t%s%s%s\n", act, why[0] ? ": " : "", why);
	else if (strcmp(act, "waiting") == 0 && *str(p, "prompt"))
		client_prompt_text(fp, p);	/* with its choices */
	else if (strcmp(act, "waiting") == 0)
		fprintf(fp, "\twaiting for the user: %s\n", str(s, "prompt"));
	else if (strcmp(act, "paused") == 0 && why[0])
		/* Why: "paused by request", or the printer's own words. */
		fprintf(fp, "\t%s%s\n", strncmp(why, "paused ", 7) == 0 ?
		    "" : "paused: ", why);
	if (json_is_object(g)) {
		fprintf(fp, "\t%s %s%s%s%s: ", strcmp(act, "heating") == 0 ||
		    strcmp(act, "paused") == 0 ? act : json_is_string(
		    json_object_get(s, "job_activity")) ? str(s,
		    "job_activity") : "printing", job_name(p, jn, sizeof(jn)),
		    strcmp(act, "heating") == 0 && why[0] ? " (" : "",
		    strcmp(act, "heating") == 0 ? why : "",
		    strcmp(act, "heating") == 0 && why[0] ? ")" : "");
		progress_text(fp, g);
		fprintf(fp, "\n");
	}
	heaters_text(fp, json_object_get(s, "heaters"), "\theaters");
	materials_text(fp, json_object_get(s, "materials"));
}

int
client_heaters_text(FILE *fp, json_t *p)
{
	json_t *c = cleaned(p);
	json_t *a = json_object_get(json_object_get(c, "status"), "heaters");
	int n = (int)json_array_size(a);

	heaters_text(fp, a, str(c, "name"));
	json_decref(c);
	return n;
}

void
client_printer_text(FILE *fp, json_t *p)
{
	json_t *c = cleaned(p);

	status_text(fp, c);
	json_decref(c);
}

static void
dest_flags(FILE *fp, json_t *d)
{
	const char *name = str(d, "name");

	if (!yes(d, "enabled"))
		fprintf(fp, "\t%s is disabled%s%s\n", name,
		    *str(d, "disabled_reason") ? ": " : "",
		    str(d, "disabled_reason"));
	if (!yes(d, "accepting"))
		fprintf(fp, "\t%s is not accepting jobs%s%s\n", name,
		    *str(d, "rejecting_reason") ? ": " : "",
		    str(d, "rejecting_reason"));
}

static void
status_line(FILE *fp, json_t *p)
{
	const char *name = str(p, "name"), *state = str(p, "state");
	const char *text = str(p, "message"), *activity = str(p, "activity");
	long long job = integer(p, "job");
	char jn[96];

	if (strcmp(state, "ready") == 0 && job && activity[0] &&
	    strcmp(activity, "printing") != 0)
		fprintf(fp, "%s is ready; %s is %s\n", name, job_name(p, jn,
		    sizeof(jn)), activity);
	else if (strcmp(state, "ready") == 0)
		fprintf(fp, "%s is ready%s\n", name, job ? " and printing" :
		    "");
	else if (strcmp(state, "awaiting-clear") == 0)
		fprintf(fp, "%s is awaiting-clear: clear its bed, then gpc"
		    " ready %s\n", name, name);
	else if (job)
		fprintf(fp, "%s is printing; %s: %s\n", name, state, text);
	else if (strcmp(state, "error") == 0)
		fprintf(fp, "%s is not ready: %s\n", name, text);
	else
		fprintf(fp, "%s is %s%s%s\n", name, state, text[0] ? ": " : "",
		    text);
	dest_flags(fp, p);
	status_text(fp, p);
}

void
client_prompt_text(FILE *fp, json_t *p)
{
	json_t *v;
	size_t i;

	if (!*str(p, "prompt"))
		return;
	fprintf(fp, "\twaiting for the user: %s [", str(p, "prompt"));
	json_array_foreach(json_object_get(p, "prompt_buttons"), i, v)
		fprintf(fp, "%s%zu %s", i ? ", " : "", i,
		    json_string_value(v) ? json_string_value(v) : "");
	fprintf(fp, "]; gpc answer %s CHOICE\n", str(p, "name"));
}

static void
class_line(FILE *fp, json_t *k)
{
	json_t *m;
	size_t i;

	fprintf(fp, "%s is a class of", str(k, "name"));
	json_array_foreach(json_object_get(k, "printers"), i, m)
		fprintf(fp, " %s", json_string_value(m) ? json_string_value(m) :
		    "");
	fprintf(fp, "\n");
	dest_flags(fp, k);
}

/* -l: what the job's filters reported, and where a timelapse is. */
static void
show_attrs(FILE *fp, json_t *o, long long id, const char *spool_dir)
{
	json_t *v;
	const char *k;
	int n = 0;

	if (!json_is_object(o) || json_object_size(o) == 0)
		return;
	json_object_foreach(o, k, v)
		fprintf(fp, "%s%s=%s", n++ ? ", " : "\t", k,
		    json_string_value(v) ? json_string_value(v) : "");
	fprintf(fp, "\n");
	if ((v = json_object_get(o, "timelapse.video")) != NULL &&
	    json_is_string(v)) {
		char *path = NULL;

		/* SPOOL/jobs/ is spoold's (0700): its path only to a caller
		 * who may read it, else where it can be had. */
		if (spool_dir != NULL)
			path = xasprintf("%s/jobs/%lld.d/%s", spool_dir, id,
			    json_string_value(v));
		if (path != NULL && access(path, R_OK) == 0)
			fprintf(fp, "\ttimelapse: %s\n", path);
		else if (path != NULL)
			fprintf(fp, "\ttimelapse: %s, kept in the spool (an"
			    " SFTP account reads it through gsftpd as"
			    " jobs/%lld/%s)\n", json_string_value(v), id,
			    json_string_value(v));
		else
			fprintf(fp, "\ttimelapse: jobs/%lld/%s\n", id,
			    json_string_value(v));
		free(path);
	}
}

/* What a printer has loaded: "\tloaded: T0 PLA, T1 none" (nothing
 * when neither gpc load nor the configuration says). */
static void
materials_text(FILE *fp, json_t *m)
{
	char clean[64];
	json_t *v;
	size_t i;

	if (json_array_size(m) == 0)
		return;
	json_array_foreach(m, i, v) {
		clean_text(clean, sizeof(clean), json_is_string(v) ?
		    json_string_value(v) : "none");
		fprintf(fp, "%sT%zu %s", i ? ", " : "\tloaded: ", i, clean);
	}
	fprintf(fp, "\n");
}

/* -l: what the job's file was made for, or that its slicer does not
 * say (a job queued before gspool looked says nothing here). */
static void
show_made_for(FILE *fp, json_t *o)
{
	json_t *m = json_object_get(o, "made_for"), *t;
	char clean[128];
	size_t i;

	if (m == NULL)
		return;
	if (!json_is_object(m)) {
		fprintf(fp, "	made for: not said (judged by the build volume"
		    " and temperatures alone)\n");
		return;
	}
	clean_text(clean, sizeof(clean), str(m, "model"));
	fprintf(fp, "	made for: %s", clean[0] ? clean : "(no model said)");
	json_array_foreach(json_object_get(m, "tools"), i, t) {
		json_int_t k = json_integer_value(t);
		json_t *n = json_array_get(json_object_get(m, "nozzle"),
		    (size_t)k);
		json_t *f = json_array_get(json_object_get(m, "materials"),
		    (size_t)k);

		fprintf(fp, ", T%lld", (long long)k);
		if (json_is_number(n))
			fprintf(fp, " nozzle %g mm", json_number_value(n));
		if (json_is_string(f)) {
			clean_text(clean, sizeof(clean), json_string_value(f));
			fprintf(fp, " %s", clean);
		}
	}
	if (json_is_string(json_object_get(m, "bed"))) {
		clean_text(clean, sizeof(clean), str(m, "bed"));
		fprintf(fp, ", bed %s", clean);
	}
	fprintf(fp, "\n");
}

/* -l: what the analyser found in the job's file. */
static void
show_meta(FILE *fp, json_t *o)
{
	json_t *v, *t;
	char buf[64];
	size_t i;

	if (!json_is_object(o))
		return;
	if ((v = json_object_get(o, "slicer")) && json_string_length(v) > 0)
		fprintf(fp, "\tsliced by %s %s\n", json_string_value(v),
		    str(o, "slicer_version"));
	fprintf(fp, "\t%lld layers", integer(o, "layers"));
	duration(buf, sizeof(buf), (long)integer(o, "estimated_seconds"));
	fprintf(fp, ", about %s", buf);
	json_array_foreach(json_object_get(o, "filament_mm"), i, t)
		if (json_number_value(t) > 0)
			fprintf(fp, ", T%zu %.2f m of filament (%.0f g)", i,
			    json_number_value(t) / 1000, json_number_value(
			    json_array_get(json_object_get(o, "filament_g"),
			    i)));
	fprintf(fp, "\n\thotend %.0f C, bed %.0f C",
	    json_number_value(json_object_get(o, "max_hotend")),
	    json_number_value(json_object_get(o, "max_bed")));
	if (json_array_size(json_object_get(o, "thumbnails")) > 0)
		fprintf(fp, ", %zu thumbnail(s)",
		    json_array_size(json_object_get(o, "thumbnails")));
	if (json_array_size(json_object_get(o, "objects")) > 0)
		fprintf(fp, ", %zu object(s)",
		    json_array_size(json_object_get(o, "objects")));
	fprintf(fp, "\n");
	show_made_for(fp, o);
}

/* A date and time, "2026-12-03 14:32", or the number if it has none. */
static void
stamp(char *buf, size_t sz, long long at)
{
	time_t t = (time_t)at;
	struct tm *tm = (long long)t == at ? localtime(&t) : NULL;

	if (tm == NULL || strftime(buf, sz, "%Y-%m-%d %H:%M", tm) == 0)
		snprintf(buf, sz, "%lld", at);
}

/* "awaiting approval by a member of group staff or an administrator",
 * "approved by ann, Thu 14:32: looks fine", "denied by ann, ...". */
static void
show_approval(FILE *fp, json_t *a)
{
	const char *state = str(a, "state"), *note = str(a, "note");
	char when[64];

	if (!json_is_object(a) || state[0] == '\0')
		return;
	if (strcmp(state, "awaiting") == 0) {
		if (*str(a, "approvers"))
			fprintf(fp, "\tawaiting approval by a member of group %s"
			    " or an administrator\n", str(a, "approvers"));
		else
			fprintf(fp, "\tawaiting approval by an"
			    " administrator\n");
		return;
	}
	stamp(when, sizeof(when), integer(a, "at"));
	fprintf(fp, "\t%s by %s, %s%s%s\n", state, str(a, "by"), when,
	    note[0] ? ": " : "", note);
}

static void
job_long(FILE *fp, json_t *j, const char *spool_dir)
{
	const char *reason = str(j, "reason");

	fprintf(fp, "\t%s: %s%s%s%s, priority %lld", str(j, "name"),
	    str(j, "state"), reason[0] ? " (" : "", reason, reason[0] ? ")" :
	    "", integer(j, "priority"));
	if (integer(j, "copies") != 1)
		fprintf(fp, ", copy %lld of %lld", integer(j, "copies_done") + 1,
		    integer(j, "copies"));
	if (integer(j, "hold_until") != 0) {
		long long until = integer(j, "hold_until");
		time_t t = (time_t)until;
		/* A time a 32-bit time_t cannot hold (past 2038 on
		 * armhf), or a year past what struct tm holds, has no
		 * date: the number, not a wrapped-around date. */
		struct tm *tm = (long long)t == until ? localtime(&t) : NULL;
		char when[64];

		if (tm == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M",
		    tm) == 0)
			snprintf(when, sizeof(when), "%lld",
			    integer(j, "hold_until"));
		fprintf(fp, ", held until %s", when);
	}
	if (*str(j, "printer"))
		fprintf(fp, ", on %s", str(j, "printer"));
	fprintf(fp, "\n");
	show_approval(fp, json_object_get(j, "approval"));
	show_meta(fp, json_object_get(j, "meta"));
	show_attrs(fp, json_object_get(j, "attributes"), integer(j, "id"),
	    spool_dir);
}

/* The jobs that wait for staff to approve them, by name, under the
 * table: "Awaiting approval: mk3-12, mk3-14 (gpc approve JOB)". */
static void
awaiting_line(FILE *fp, json_t *q)
{
	json_t *v;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(q, "jobs"), i, v) {
		if (strcmp(str(json_object_get(v, "approval"), "state"),
		    "awaiting") != 0)
			continue;
		fprintf(fp, "%s%s", n++ ? ", " : "Awaiting approval: ",
		    str(v, "name"));
	}
	if (n > 0)
		fprintf(fp, " (gpc approve JOB, gpc deny JOB -r REASON)\n");
}

/* The refused files spoold sent (the caller's own, or everyone's to an
 * administrator with -a, each led by its owner), the latest first, and
 * whether new ones are refused for now: the latest few, or all with -l.
 * A file is named as gcancel --rejected takes it, with the name it was
 * sent as when that differs. */
#define REFUSALS_SHORT	5

static void
refusals(FILE *fp, json_t *q, int longform, int everyone)
{
	json_t *a = json_object_get(q, "rejected"), *v;
	size_t i, n = json_array_size(a);
	int kept = 0, several = everyone;

	json_array_foreach(a, i, v)
		if (json_is_true(json_object_get(v, "kept")))
			kept = 1;
	if (n > 0)
		fprintf(fp, "Refused files%s (the latest first%s):\n",
		    everyone ? "" : " of yours", kept ? "; gcancel --rejected"
		    " removes those kept" : "");
	json_array_foreach(a, i, v) {
		time_t t = (time_t)integer(v, "refused");
		struct tm *tm = localtime(&t);
		const char *file = str(v, "file");
		char when[64];

		if (!longform && i == REFUSALS_SHORT) {
			fprintf(fp, "\t... and %zu more (gqueue -l lists"
			    " them all)\n", n - i);
			break;
		}
		if (tm == NULL || strftime(when, sizeof(when),
		    "%Y-%m-%d %H:%M", tm) == 0)
			snprintf(when, sizeof(when), "?");
		fprintf(fp, "\t%s%s%s", several ? str(v, "owner") : "",
		    several ? ": " : "", file[0] ? file : str(v, "name"));
		if (file[0] != '\0' && strcmp(file, str(v, "name")) != 0)
			fprintf(fp, " (sent as %s)", str(v, "name"));
		fprintf(fp, ", %s%s: %s\n", when, json_is_true(
		    json_object_get(v, "kept")) ? "" : ", not kept",
		    str(v, "reason"));
	}
	if (*str(q, "refusing"))
		fprintf(fp, "Your files are refused for now: %s\n",
		    str(q, "refusing"));
}

/* A deep copy of v in which every string and key is printable. */
static json_t *
cleaned(json_t *v)
{
	json_t *out, *e;
	const char *k;
	char buf[1024];
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach(v, k, e) {
			clean_text(buf, sizeof(buf), k);
			json_object_set_new(out, buf, cleaned(e));
		}
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, e)
			json_array_append_new(out, cleaned(e));
		return out;
	case JSON_STRING:
		clean_text(buf, sizeof(buf), json_string_value(v));
		return json_string(buf);
	default:
		return json_deep_copy(v);
	}
}

/*
 * The history: one row a job that ended, the latest first, in columns
 * as wide as their widest cell (as ls(1) makes them), two spaces
 * apart: when it ended, how long it printed, its name, the printer it
 * ran on, its owner, how it ended, the layers it reached of its
 * layers, its filament, its title and the reason.  A title that would
 * take the line past the width (the terminal's, else $COLUMNS, else
 * 80) is cut at a word's end, with "..." after it; the reason, last,
 * is shown whole.  An empty cell is "-".
 */
enum { H_DATE, H_TOOK, H_JOB, H_PRINTER, H_OWNER, H_RESULT, H_LAYERS,
	H_FILAMENT, H_TITLE, H_REASON, H_N };
static const char *const h_head[H_N] = { "Date", "Duration", "Job",
	"Printer", "Owner", "Result", "Layers", "Filament", "Title",
	"Reason" };
#define H_TITLE_MIN	16	/* a title is never cut shorter */
#define H_CELL		256

/* Characters (UTF-8 code points) in s: the columns it takes, as every
 * string here has been through clean_text(). */
static size_t
cols(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Cut s to at most max columns at the end of a word (before a space,
 * '_', '-' or '.'; mid-word only if no word ends in its second half),
 * with "..." after it. */
static void
cut_title(char *s, size_t max)
{
	size_t n = 0, keep = 0, cut = 0, i;

	if (cols(s) <= max || max < 4)
		return;
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (n == max - 3)
			break;
		if (i > 0 && strchr(" _-.", s[i]) != NULL &&
		    strchr(" _-.", s[i - 1]) == NULL)
			keep = i;
		n++;
		cut = i + 1;
	}
	/* cut: the byte after the last whole character that fits. */
	while (s[cut] != '\0' && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut++;
	if (keep > 0 && keep * 2 >= cut)
		cut = keep;
	while (cut > 0 && s[cut - 1] == ' ')
		cut--;
	snprintf(s + cut, H_CELL - cut, "...");
}

static void
fill_cell(char *cell, json_t *j, int c)
{
	time_t t;
	struct tm *tm;
	json_t *meta = json_object_get(j, "meta"), *v;
	double mm = 0, g = 0;
	long long d;
	size_t i;

	cell[0] = '\0';
	switch (c) {
	case H_DATE:
		t = (time_t)integer(j, "finished");
		if (t > 0 && (tm = localtime(&t)) != NULL)
			strftime(cell, H_CELL, "%Y-%m-%d %H:%M", tm);
		break;
	case H_TOOK:
		if ((d = integer(j, "duration")) <= 0 && integer(j, "started") >
		    0 && integer(j, "finished") >= integer(j, "started"))
			d = integer(j, "finished") - integer(j, "started");
		if (integer(j, "started") <= 0)
			break;
		if (d >= 3600)
			snprintf(cell, H_CELL, "%lldh%02lldm", d / 3600,
			    d / 60 % 60);
		else if (d >= 60)
			snprintf(cell, H_CELL, "%lldm%02llds", d / 60, d % 60);
		else
			snprintf(cell, H_CELL, "%llds", d);
		break;
	case H_JOB:
		snprintf(cell, H_CELL, "%s", str(j, "name"));
		break;
	case H_PRINTER:
		snprintf(cell, H_CELL, "%s", str(j, "printer"));
		break;
	case H_OWNER:
		snprintf(cell, H_CELL, "%s", str(j, "owner"));
		break;
	case H_RESULT:
		snprintf(cell, H_CELL, "%s", str(j, "state"));
		break;
	case H_LAYERS:
		if (integer(meta, "layers") > 0)
			snprintf(cell, H_CELL, "%lld/%lld", strcmp(str(j,
			    "state"), "completed") == 0 ? integer(meta,
			    "layers") : integer(j, "layer"), integer(meta,
			    "layers"));
		else if (integer(j, "layer") > 0)
			snprintf(cell, H_CELL, "%lld", integer(j, "layer"));
		break;
	case H_FILAMENT:
		json_array_foreach(json_object_get(meta, "filament_mm"), i, v)
			if (json_number_value(v) > 0)
				mm += json_number_value(v);
		json_array_foreach(json_object_get(meta, "filament_g"), i, v)
			if (json_number_value(v) > 0)
				g += json_number_value(v);
		if (mm > 0 && mm < 1e9 && g > 0 && g < 1e9)
			snprintf(cell, H_CELL, "%.2fm/%.0fg", mm / 1000, g);
		else if (mm > 0 && mm < 1e9)
			snprintf(cell, H_CELL, "%.2fm", mm / 1000);
		break;
	case H_TITLE:
		snprintf(cell, H_CELL, "%s", str(j, "title"));
		break;
	case H_REASON:
		snprintf(cell, H_CELL, "%s", str(j, "reason"));
		break;
	}
	if (cell[0] == '\0' && c != H_REASON)
		snprintf(cell, H_CELL, "-");
}

static size_t
line_width(FILE *fp)
{
	struct winsize ws;
	const char *e = getenv("COLUMNS");
	long n;

	if (isatty(fileno(fp)) && ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	if (e != NULL && parse_long(e, 20, 10000, &n) == 0)
		return (size_t)n;
	return 80;
}

static void
history_text(FILE *fp, json_t *q, int longform, const char *spool_dir)
{
	json_t *a = json_object_get(q, "jobs"), *j;
	size_t n = json_array_size(a), w[H_N], i, left = 0, width;
	char (*cell)[H_N][H_CELL], line[H_N * (2 * H_CELL + 4)];
	int c;

	if (n == 0) {
		fprintf(fp, "no entries\n");
		return;
	}
	cell = xcalloc(n, sizeof(*cell));
	for (c = 0; c < H_N; c++)
		w[c] = cols(h_head[c]);
	json_array_foreach(a, i, j)
		for (c = 0; c < H_N; c++) {
			fill_cell(cell[i][c], j, c);
			if (c != H_TITLE && cols(cell[i][c]) > w[c])
				w[c] = cols(cell[i][c]);
		}
	for (c = 0; c < H_TITLE; c++)
		left += w[c] + 2;
	width = line_width(fp);
	w[H_TITLE] = width > left + H_TITLE_MIN + 2 ? width - left - 2 :
	    H_TITLE_MIN;
	for (i = 0; i < n; i++)
		cut_title(cell[i][H_TITLE], w[H_TITLE]);
	w[H_TITLE] = cols(h_head[H_TITLE]);
	for (i = 0; i < n; i++)
		if (cols(cell[i][H_TITLE]) > w[H_TITLE])
			w[H_TITLE] = cols(cell[i][H_TITLE]);
	for (i = 0; i <= n; i++) {
		size_t o = 0;

		for (c = 0; c < H_N; c++) {
			const char *v = i == 0 ? h_head[c] : cell[i - 1][c];

			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    "%s%*s", v, c == H_N - 1 ? 0 : (int)(w[c] -
			    cols(v) + 2), "");
			if (o >= sizeof(line))
				o = sizeof(line) - 1;
		}
		/* No spaces at the end of a row without a reason. */
		while (o > 0 && line[o - 1] == ' ')
			line[--o] = '\0';
		fprintf(fp, "%s\n", line);
		if (i > 0 && longform)
			job_long(fp, json_array_get(a, i - 1), spool_dir);
	}
	free(cell);
}

static void	queue_text(FILE *, json_t *, int, int, const char *);

void
client_queue_text(FILE *fp, json_t *q, int how, int history,
    const char *spool_dir)
{
	json_t *c = cleaned(q);

	queue_text(fp, c, how, history, spool_dir);
	json_decref(c);
}

static void
queue_text(FILE *fp, json_t *q, int how, int history,
    const char *spool_dir)
{
	int longform = how & CLIENT_TEXT_LONG;
	json_t *v;
	char ord[32];
	size_t i;
	int rows = 0;

	if (history) {
		history_text(fp, q, longform, spool_dir);
		return;
	}
	json_array_foreach(json_object_get(q, "printers"), i, v)
		status_line(fp, v);
	json_array_foreach(json_object_get(q, "classes"), i, v)
		class_line(fp, v);
	json_array_foreach(json_object_get(q, "jobs"), i, v) {
		if (rows++ == 0)
			fprintf(fp, "Rank    Owner   Job     File(s)"
			    "                         Total Size\n");
		fprintf(fp, "%-7s %-7.7s %-7lld %-31.31s %lld bytes\n",
		    ordinal(str(v, "rank"), ord, sizeof(ord)), str(v, "owner"),
		    integer(v, "id"), str(v, "title"), integer(v, "size"));
		if (longform)
			job_long(fp, v, spool_dir);
	}
	if (rows == 0)
		fprintf(fp, "no entries\n");
	awaiting_line(fp, q);
	refusals(fp, q, longform, how & CLIENT_TEXT_EVERYONE);
}

/*
 * Several hosts' queues in one showing (gqueue -H a -H b): each host's
 * printer and class lines, led by its name, then one table of every
 * host's jobs with the host beside each; a host without jobs has a "no
 * entries" row, and one that did not answer a row that says why.
 */
void
client_hosts_text(FILE *fp, json_t *hosts, int how)
{
	json_t *c = cleaned(hosts), *h, *q, *v;
	const char *host;
	char ord[32], *buf, *line, *nl;
	size_t i, k, len;
	int w = 4, rows;
	FILE *m;

	json_array_foreach(c, i, h)
		if ((int)cols(str(h, "host")) > w)
			w = (int)cols(str(h, "host"));
	json_array_foreach(c, i, h) {
		if ((q = json_object_get(h, "queue")) == NULL)
			continue;
		buf = NULL;
		len = 0;
		if ((m = open_memstream(&buf, &len)) == NULL)
			fatalx("out of memory");
		json_array_foreach(json_object_get(q, "printers"), k, v)
			status_line(m, v);
		json_array_foreach(json_object_get(q, "classes"), k, v)
			class_line(m, v);
		fclose(m);
		for (line = buf; line != NULL && *line != '\0'; line = nl) {
			if ((nl = strchr(line, '\n')) != NULL)
				*nl++ = '\0';
			/* Its status lines under it, indented as here. */
			if (line[0] == '\t')
				fprintf(fp, "%s\n", line);
			else
				fprintf(fp, "%s: %s\n", str(h, "host"), line);
		}
		free(buf);
	}
	fprintf(fp, "%-*s  Rank    Owner   Job     File(s)"
	    "                         Total Size\n", w, "Host");
	json_array_foreach(c, i, h) {
		host = str(h, "host");
		if ((q = json_object_get(h, "queue")) == NULL) {
			fprintf(fp, "%-*s  %s\n", w, host, str(h, "error"));
			continue;
		}
		rows = 0;
		json_array_foreach(json_object_get(q, "jobs"), k, v) {
			fprintf(fp, "%-*s  %-7s %-7.7s %-7lld %-31.31s %lld"
			    " bytes\n", w, host, ordinal(str(v, "rank"), ord,
			    sizeof(ord)), str(v, "owner"), integer(v, "id"),
			    str(v, "title"), integer(v, "size"));
			if (how & CLIENT_TEXT_LONG)
				job_long(fp, v, NULL);
			rows++;
		}
		if (rows == 0)
			fprintf(fp, "%-*s  no entries\n", w, host);
	}
	json_decref(c);
}
