/*
 * status.c - the one status model of a printer: what it is doing, its
 * heaters as numbers, and how far its job is, by layer and by time.
 * gqueue, gpc status, their --json and gsftpd's status.json all show
 * this object, sent as the last field of the printer row; none of them
 * computes anything of its own.
 *
 * Activity (one word, gqueue(1)): connecting, idle, heating, printing,
 * paused, waiting (the firmware waits for the user: p->prompt),
 * not-responding (since when), offline (with the reason).  A job is
 * heating while the next command the printer is to finish is a wait
 * for a heater (M109, M190, M191, M116), or while a heater is short of
 * its target before the job's first move.
 *
 * Progress by time: the ingest worker writes the analyser's motion
 * model as marks (command number -> modelled seconds, a mark a layer
 * and every few modelled seconds) to SPOOL/jobs/ID.d/timemap.  Here a
 * reader walks it forward as the backend's acknowledged line count
 * grows, holding two marks, so memory stays flat whatever the file.
 * The share done is the modelled time at the acknowledged line over the
 * model's whole.  The pace learns how fast this print really goes: the
 * real time so far, less the time spent heating, paused, waiting or
 * silent (which the model does not hold), over the modelled time so
 * far, both from where this spoold first followed the job (its start,
 * a resume from a layer, or a restart of spoold mid-print); the time
 * left is the model's remainder times the pace.
 *
 * Heaters: each report (FB_TEMPS) is read by heaters_parse(); they are
 * stale when no report came for STATUS_STALE_MS or the printer is not
 * answering.
 *
 * Security: the timemap is spoold's own file, in its 0700 spool, but it
 * is read as if it were not: a line that does not parse or goes
 * backwards ends its use (the job then has no progress by time), never
 * spoold.  Diagnostics: a change of activity is logged ("mk3-7: status
 * heating: waiting for a heater"), and so is a change of the heaters'
 * targets ("mk3: heaters' targets: T0 200, B 60"), at info; a bad
 * timemap is logged once at warning.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "heaters.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

#define HEAT_MARGIN	3.0	/* degrees C short of a target: heating */

/* ---- The timemap reader ---- */

static void
tm_close(struct printer_status *st)
{
	if (st->tm != NULL)
		fclose(st->tm);
	st->tm = NULL;
}

/* The next mark after prev (NULL: the first): 0, or -1 at the end or
 * at a line that is not one. */
static int
tm_read(FILE *fp, const struct status_mark *prev, struct status_mark *m)
{
	char line[160], kinds[8];
	unsigned long cmd, layer;
	unsigned long long bytes;
	double s;
	int n = 0;

	if (fgets(line, sizeof(line), fp) == NULL)
		return -1;
	if (sscanf(line, "%lu %lf %lu %7s %llu%n", &cmd, &s, &layer, kinds,
	    &bytes, &n) != 5 || (line[n] != '\n' && line[n] != '\0'))
		return -1;
	if (!isfinite(s) || s < 0 || s > 1e9 || cmd == 0 || layer > 10000000 ||
	    (prev != NULL && (cmd <= prev->cmd || s < prev->s - 1e-6)))
		return -1;
	m->cmd = cmd;
	m->s = s;
	m->layer = layer;
	m->bytes = bytes;
	snprintf(m->kinds, sizeof(m->kinds), "%s", kinds);
	return 0;
}

static void
tm_bad(struct spoold *sd, struct printer *p, const char *why)
{
	log_warnx("%s: the job's timemap %s; no progress by time",
	    queue_job_name(sd, p->st.job, p->conf->name), why);
	tm_close(&p->st);
}

/* From the first mark again. */
static int
tm_rewind(struct spoold *sd, struct printer *p)
{
	struct printer_status *st = &p->st;

	if (fseek(st->tm, st->tm_start, SEEK_SET) < 0 ||
	    tm_read(st->tm, NULL, &st->a) < 0) {
		tm_bad(sd, p, "has no marks");
		return -1;
	}
	st->first_bytes = strchr(st->a.kinds, 'f') ? st->a.bytes : 0;
	st->first_move = strchr(st->a.kinds, 'm') ? st->a.cmd : 0;
	st->have_b = tm_read(st->tm, &st->a, &st->b) == 0;
	return 0;
}

/* Open the job's timemap and read its end (the model's whole). */
static void
tm_open(struct spoold *sd, struct printer *p)
{
	struct printer_status *st = &p->st;
	struct status_mark m, last;
	char *path, line[64];
	long size, at;
	int have = 0;

	st->tm_tried = 1;
	path = xasprintf("%s/%ld.d/timemap", sd->dir_jobs, st->job);
	st->tm = fopen(path, "re");
	free(path);
	if (st->tm == NULL) {
		if (errno != ENOENT)
			log_warn("%s: the job's timemap", queue_job_name(sd,
			    st->job, p->conf->name));
		return;		/* a job queued before timemaps */
	}
	if (fgets(line, sizeof(line), st->tm) == NULL ||
	    strcmp(line, "gspool-timemap 1\n") != 0) {
		tm_bad(sd, p, "is not one this spoold reads");
		return;
	}
	st->tm_start = ftell(st->tm);
	/* The end mark is the last line: read from a little before it. */
	if (fseek(st->tm, 0, SEEK_END) < 0 || (size = ftell(st->tm)) < 0) {
		tm_bad(sd, p, "cannot be read");
		return;
	}
	at = size - 320 > st->tm_start ? size - 320 : st->tm_start;
	if (fseek(st->tm, at, SEEK_SET) < 0) {
		tm_bad(sd, p, "cannot be read");
		return;
	}
	if (at > st->tm_start) {
		int ch;

		/* The part of a line before the last few. */
		while ((ch = getc(st->tm)) != EOF && ch != '\n')
			;
	}
	while (tm_read(st->tm, have ? &last : NULL, &m) == 0) {
		last = m;
		have = 1;
	}
	if (!have || strchr(last.kinds, 'e') == NULL) {
		tm_bad(sd, p, "has no end");
		return;
	}
	st->end = last;
	tm_rewind(sd, p);
}

/* The reader at pos, the next command to finish: a <= pos < b. */
static int
tm_seek(struct spoold *sd, struct printer *p, unsigned long pos)
{
	struct printer_status *st = &p->st;

	if (!st->tm_tried)
		tm_open(sd, p);
	if (st->tm == NULL)
		return -1;
	if (pos < st->a.cmd && tm_rewind(sd, p) < 0)
		return -1;
	while (st->have_b && st->b.cmd <= pos) {
		st->a = st->b;
		if (st->first_move == 0 && strchr(st->a.kinds, 'm'))
			st->first_move = st->a.cmd;
		if (tm_read(st->tm, &st->a, &st->b) < 0) {
			st->have_b = 0;
			if (strchr(st->a.kinds, 'e') == NULL) {
				tm_bad(sd, p, "stops short of its end");
				return -1;
			}
		}
	}
	return 0;
}

/* Modelled seconds spent when pos is the next command to finish. */
static double
tm_elapsed(const struct printer_status *st, unsigned long pos)
{
	if (!st->have_b || pos <= st->a.cmd)
		return st->a.s;
	return st->a.s + (st->b.s - st->a.s) * (double)(pos - st->a.cmd) /
	    (double)(st->b.cmd - st->a.cmd);
}

/* ---- Activity ---- */

/* Time in these is no part of the model: the pace leaves it out. */
static int
waiting_kind(const char *a)
{
	return strcmp(a, "heating") == 0 || strcmp(a, "paused") == 0 ||
	    strcmp(a, "waiting") == 0 || strcmp(a, "not-responding") == 0 ||
	    strcmp(a, "offline") == 0 || strcmp(a, "connecting") == 0;
}

static int
heaters_fresh(const struct printer_status *st, long long now_ms)
{
	return st->heard_ms != 0 && now_ms - st->heard_ms <= STATUS_STALE_MS;
}

/* A heater set and still short of its target. */
static int
heating_up(const struct printer_status *st, long long now_ms)
{
	int i;

	if (!heaters_fresh(st, now_ms))
		return 0;
	for (i = 0; i < st->nheaters; i++)
		if (st->heaters[i].target > 0 && st->heaters[i].actual <
		    st->heaters[i].target - HEAT_MARGIN)
			return 1;
	return 0;
}

/* The job's figures follow p->job: a new one starts afresh. */
static void
follow_job(struct printer *p)
{
	struct printer_status *st = &p->st;

	if (st->job == p->job)
		return;
	tm_close(st);
	st->job = p->job;
	st->tm_tried = 0;
	st->waited_ms = 0;
	st->job_ms = monotonic_ms();
	st->base_model = -1;
	st->first_move = 0;
	st->have_b = 0;
	memset(&st->a, 0, sizeof(st->a));
	/* Time already in a waiting activity counts from now. */
	st->since_ms = monotonic_ms();
}

/* The time the job has been followed here, less its waits. */
static long long
active_ms(const struct printer_status *st, long long now_ms)
{
	long long a = now_ms - st->job_ms - st->waited_ms;

	if (waiting_kind(st->activity))
		a -= now_ms - st->since_ms;
	return a > 0 ? a : 0;
}

static const char *
activity(struct spoold *sd, struct printer *p, char *reason, size_t rsz)
{
	long long now_ms = monotonic_ms();

	reason[0] = '\0';
	switch (p->state) {
	case PRINTER_STARTING:
	case PRINTER_CONNECTING:
		snprintf(reason, rsz, "%.255s", p->message);
		return "connecting";
	case PRINTER_ERROR:
		snprintf(reason, rsz, "%.255s", p->message);
		return strncmp(p->message, "not responding", 14) == 0 ?
		    "not-responding" : "offline";
	default:
		break;
	}
	if (p->prompt != NULL) {
		snprintf(reason, rsz, "%.255s", p->prompt);
		return "waiting";
	}
	if (p->job == 0)
		return "idle";
	if (strcmp(p->activity, "paused") == 0 ||
	    strcmp(p->activity, "pausing") == 0) {
		snprintf(reason, rsz, "%.255s", p->pause_why);
		return "paused";
	}
	if (tm_seek(sd, p, (unsigned long)p->lines_done + 1) == 0) {
		const struct printer_status *st = &p->st;
		unsigned long pos = (unsigned long)p->lines_done + 1;

		if (st->a.cmd == pos && strchr(st->a.kinds, 'h') != NULL) {
			snprintf(reason, rsz, "waiting for a heater");
			return "heating";
		}
		if ((st->first_move == 0 || pos <= st->first_move) &&
		    heating_up(st, now_ms)) {
			snprintf(reason, rsz, "before the first move");
			return "heating";
		}
	} else if (p->lines_done == 0 && heating_up(&p->st, now_ms))
		return "heating";
	return "printing";
}

void
status_update(struct spoold *sd, struct printer *p)
{
	struct printer_status *st = &p->st;
	char reason[sizeof(st->reason)];
	const char *a;
	long long now_ms;

	follow_job(p);
	a = activity(sd, p, reason, sizeof(reason));
	/* The pace is measured from where this spoold first saw the job:
	 * its start, or where it was resumed or re-attached to. */
	if (p->job != 0 && st->base_model < 0 &&
	    tm_seek(sd, p, (unsigned long)p->lines_done + 1) == 0) {
		st->base_model = tm_elapsed(st, (unsigned long)p->lines_done +
		    1);
		st->base_active_ms = active_ms(st, monotonic_ms());
	}
	if (strcmp(a, st->activity) == 0 && strcmp(reason, st->reason) == 0)
		return;
	now_ms = monotonic_ms();
	if (strcmp(a, st->activity) != 0) {
		if (p->job != 0 && waiting_kind(st->activity))
			st->waited_ms += now_ms - st->since_ms;
		st->since_ms = now_ms;
		st->since = (long long)time(NULL);
		if (p->job != 0)
			log_info("%s: status %s%s%s", queue_job_name(sd, p->job,
			    p->conf->name), a,
			    reason[0] ? ": " : "", reason);
		else
			log_info("%s: status %s%s%s", p->conf->name, a,
			    reason[0] ? ": " : "", reason);
	}
	snprintf(st->activity, sizeof(st->activity), "%s", a);
	snprintf(st->reason, sizeof(st->reason), "%s", reason);
}

void
status_temps(struct spoold *sd, struct printer *p, const char *report)
{
	struct heater h[HEATERS_MAX];
	int n = heaters_parse(report, h, HEATERS_MAX);

	if (n > 0) {
		char text[HEATERS_MAX * 24];
		size_t o = 0;
		int i, changed = n != p->st.nheaters;

		for (i = 0; i < n; i++) {
			changed |= i < p->st.nheaters && (strcmp(h[i].name,
			    p->st.heaters[i].name) != 0 || h[i].target !=
			    p->st.heaters[i].target);
			o += (size_t)snprintf(text + o, sizeof(text) - o,
			    "%s%s %.0f", i ? ", " : "", h[i].name, h[i].target);
			if (o >= sizeof(text))
				o = sizeof(text) - 1;
		}
		/* A target set is a step of the print worth a line. */
		if (changed)
			log_info("%s: heaters' targets: %s", p->conf->name,
			    text);
		memcpy(p->st.heaters, h, sizeof(h[0]) * (size_t)n);
		p->st.nheaters = n;
		p->st.heard_ms = monotonic_ms();
		p->st.heard_at = (long long)time(NULL);
	}
	status_update(sd, p);
}

double
status_fraction(struct spoold *sd, struct printer *p)
{
	unsigned long pos = (unsigned long)p->lines_done + 1;

	follow_job(p);
	if (p->job == 0 || tm_seek(sd, p, pos) < 0 || p->st.end.s <= 0)
		return -1;
	if (pos >= p->st.end.cmd)
		return 1;
	return fmin(1, fmax(0, tm_elapsed(&p->st, pos) / p->st.end.s));
}

void
status_job_end(struct printer *p)
{
	tm_close(&p->st);
	p->st.tm_tried = 0;
}

/* ---- The object ---- */

/* A string from the printer or its firmware, valid UTF-8 (what jansson
 * takes) and at most 255 bytes: the row must fit in a message. */
static json_t *
text(const char *s)
{
	char buf[256];

	clean_text(buf, sizeof(buf), s);
	return json_string(buf);
}

static json_t *
heaters_json(const struct printer *p, long long now_ms)
{
	const struct printer_status *st = &p->st;
	json_t *a = json_array();
	int stale, i;

	stale = !heaters_fresh(st, now_ms) || p->state == PRINTER_ERROR ||
	    p->state == PRINTER_STARTING || p->state == PRINTER_CONNECTING;
	for (i = 0; i < st->nheaters; i++) {
		const struct heater *h = &st->heaters[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", text(h->name));
		json_object_set_new(o, "actual", json_real(h->actual));
		json_object_set_new(o, "target", json_real(h->target));
		json_object_set_new(o, "power", h->power >= 0 ?
		    json_integer(h->power) : json_null());
		json_object_set_new(o, "heard", json_integer(st->heard_at));
		json_object_set_new(o, "stale", json_boolean(stale));
		json_array_append_new(a, o);
	}
	return a;
}

/* A whole number of seconds, or null. */
static json_t *
secs(double s)
{
	return s >= 0 && s < 1e10 ? json_integer((json_int_t)llround(s)) :
	    json_null();
}

static json_t *
progress_json(struct spoold *sd, struct printer *p, long long now_ms)
{
	struct printer_status *st = &p->st;
	struct job_row jr;
	json_t *o, *meta, *v;
	unsigned long pos = (unsigned long)p->lines_done + 1;
	long long now = (long long)time(NULL), layers = 0, first = 0, last;
	double model = -1, total = -1, frac = -1, elapsed = -1, waited;
	double pace = -1, left = -1;
	int have = queue_get(sd, p->job, &jr) > 0;

	o = json_object();
	json_object_set_new(o, "job", json_integer(p->job));
	if (have && (meta = json_loads(jr.meta, 0, NULL)) != NULL) {
		if (json_is_integer(v = json_object_get(meta, "layers")) &&
		    json_integer_value(v) > 0 && json_integer_value(v) < 10000000)
			layers = json_integer_value(v);
		json_decref(meta);
	}
	if (tm_seek(sd, p, pos) == 0) {
		model = tm_elapsed(st, pos);
		total = st->end.s;
		if (pos >= st->end.cmd)
			model = total;
		frac = total > 0 ? model / total : 1;
		layers = (long long)st->end.layer;
		first = (long long)st->first_bytes;
	}
	last = st->tm != NULL ? (long long)st->end.bytes : have ? jr.size : 0;
	json_object_set_new(o, "layer", json_integer(st->tm != NULL ?
	    (json_int_t)(pos >= st->end.cmd ? st->end.layer : st->a.layer) :
	    p->layer));
	json_object_set_new(o, "layers", json_integer(layers));
	json_object_set_new(o, "lines_done", json_integer(p->lines_done));
	json_object_set_new(o, "commands", json_integer(have ? jr.commands :
	    0));
	json_object_set_new(o, "bytes_done", json_integer(p->bytes_done));
	json_object_set_new(o, "bytes_total", json_integer(have ? jr.size :
	    0));
	/* The share of the print's own bytes: not the thumbnails and
	 * settings a slicer writes before the first command and after the
	 * last. */
	json_object_set_new(o, "bytes_fraction", last > first ? json_real(
	    fmin(1, fmax(0, (double)(p->bytes_done - first) /
	    (double)(last - first)))) : json_null());
	json_object_set_new(o, "time_fraction", frac >= 0 ?
	    json_real(fmin(1, fmax(0, frac))) : json_null());
	json_object_set_new(o, "model_seconds", secs(total));
	json_object_set_new(o, "model_elapsed", secs(model));
	waited = (double)st->waited_ms / 1000;
	if (waiting_kind(st->activity))
		waited += (double)(now_ms - st->since_ms) / 1000;
	if (have && jr.started > 0 && jr.started <= now)
		elapsed = (double)(now - jr.started);
	if (st->base_model >= 0 && model - st->base_model >=
	    STATUS_PACE_MIN_S)
		pace = (double)(active_ms(st, now_ms) - st->base_active_ms) /
		    1000 / (model - st->base_model);
	if (total >= 0)
		left = (total - model) * (pace > 0 ? pace : 1);
	json_object_set_new(o, "started", json_integer(have ? jr.started : 0));
	json_object_set_new(o, "elapsed", secs(elapsed));
	json_object_set_new(o, "waited", secs(elapsed >= 0 ? waited : -1));
	json_object_set_new(o, "pace", pace > 0 ? json_real(round(pace *
	    1000) / 1000) : json_null());
	json_object_set_new(o, "remaining", secs(left));
	json_object_set_new(o, "finish", left >= 0 ?
	    json_integer(now + (json_int_t)llround(left)) : json_null());
	return o;
}

/* What the printer has loaded, a tool each ("PLA", null for nothing
 * known), by gpc load or the configuration; [] if neither says. */
static json_t *
materials_json(const struct printer *p)
{
	struct fit_printer fp;
	json_t *a = json_array();
	int t;

	suits_printer(p, &fp);
	for (t = 0; t < fp.nmaterials; t++)
		json_array_append_new(a, fp.material[t][0] ?
		    json_string(fp.material[t]) : json_null());
	return a;
}

json_t *
status_json(struct spoold *sd, struct printer *p)
{
	struct printer_status *st = &p->st;
	long long now_ms = monotonic_ms();
	json_t *o = json_object();

	status_update(sd, p);
	json_object_set_new(o, "activity", json_string(st->activity));
	json_object_set_new(o, "since", json_integer(st->since));
	json_object_set_new(o, "reason", text(st->reason));
	json_object_set_new(o, "prompt", p->prompt != NULL ?
	    text(p->prompt) : json_null());
	json_object_set_new(o, "job_activity", p->job && p->activity[0] ?
	    text(p->activity) : json_null());
	json_object_set_new(o, "heaters", heaters_json(p, now_ms));
	json_object_set_new(o, "progress", p->job ? progress_json(sd, p,
	    now_ms) : json_null());
	json_object_set_new(o, "materials", materials_json(p));
	return o;
}
