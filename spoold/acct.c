/*
 * acct.c - accounting and monthly limits: what each ended job used,
 * and whether a new one may use more.
 *
 * A makerspace charges its members, or at least wants to know, for the
 * filament and the printer time each one uses, as CUPS's page_log and
 * quotas do for paper.  Every job that ends (completed, canceled,
 * aborted) gets one row of the accounting table (db/0012), written by
 * acct_record() inside the transaction that ends it (queue.c), so that
 * a crash leaves the job ended with its row or neither.  The row is
 * not the job's: it stays after keep_jobs and goes after
 * keep_accounting (acct_expire(), with the history's sweep).
 *
 * What a job used: the analyser's filament per tool (the job's meta),
 * times the copies printed, a copy that stopped counted by the share of
 * its commands that were sent; the time from its first start to its
 * end; the cost from the printer's cost_per_kg and cost_per_hour.
 *
 * Limits (max_grams_month, max_hours_month, max_cost_month): the
 * owner's [user NAME] (an SFTP account's [account NAME]), each key
 * unset there taken from the first [group NAME] of the owner that sets
 * it; the administrators only by their own [user NAME].  A submission
 * is refused when what the owner used this calendar month (local
 * time), plus the jobs still queued, plus it would pass a limit.  A
 * queued job counts by its analysis, its copies still to print whole.
 *
 * "Now" is the clock, or $GSPOOL_TEST_NOW (seconds since the epoch,
 * spoold(8) ENVIRONMENT), so a test can stand at a month's edge.
 *
 * Diagnostics: SQLite errors are logged with the job id; callers get -1.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "crash.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

long long
acct_now(void)
{
	const char *s = getenv("GSPOOL_TEST_NOW");
	long long v;
	char *end;

	if (s != NULL && *s != '\0') {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0)
			return v;
	}
	return (long long)time(NULL);
}

long long
acct_month_start(long long now)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

/* A job's filament from its meta: every tool's mm and g in arrays (new
 * references), their sums, its estimated seconds, and in *mat (a new
 * reference, if mat is not NULL) the material of each tool its file
 * was made for, where the analyser says (made_for.materials). */
static void
meta_filament(const char *meta, json_t **mm, json_t **g, double *summm,
    double *sumg, long *secs, json_t **mat)
{
	json_t *o = json_loads(meta, 0, NULL), *a, *v;
	size_t i;

	*mm = json_array();
	*g = json_array();
	*summm = *sumg = 0;
	if (secs != NULL)
		*secs = 0;
	if (mat != NULL)
		*mat = json_array();
	/* From the queue: a row of an older spoold may hold anything. */
	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	a = json_object_get(json_object_get(o, "made_for"), "materials");
	json_array_foreach(a, i, v)
		if (mat != NULL)
			json_array_append_new(*mat, json_is_string(v) ?
			    json_string(json_string_value(v)) : json_null());
	a = json_object_get(o, "filament_mm");
	json_array_foreach(a, i, v)
		if (json_is_number(v) && json_number_value(v) >= 0) {
			json_array_append_new(*mm, json_real(json_number_value(v)));
			*summm += json_number_value(v);
		}
	a = json_object_get(o, "filament_g");
	json_array_foreach(a, i, v)
		if (json_is_number(v) && json_number_value(v) >= 0) {
			json_array_append_new(*g, json_real(json_number_value(v)));
			*sumg += json_number_value(v);
		}
	v = json_object_get(o, "estimated_seconds");
	if (secs != NULL && json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= 10LL * 366 * 86400)
		*secs = (long)json_integer_value(v);
	json_decref(o);
}

static void
scale(json_t *a, double by)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		json_real_set(v, round(json_real_value(v) * by * 100) / 100);
}

/* The cost, in currency units, of each tool's grams (times by) and of
 * seconds on a destination: a printer's rates, a class's dearest
 * member's; a tool's material's cost_per_kg, where [material] sets
 * it, over the printer's. */
static double
dest_cost(struct spoold *sd, const char *dest, json_t *g, json_t *mat,
    double by, double secs)
{
	struct conf_printer *p;
	struct conf_material *m;
	struct conf_class *k;
	long kg = 0, hour = 0;
	double c = 0;
	size_t i;
	json_t *v;

	if ((p = conf_printer(&sd->conf, dest)) != NULL) {
		kg = p->cost_per_kg;
		hour = p->cost_per_hour;
	} else if ((k = conf_class(&sd->conf, dest)) != NULL)
		for (i = 0; i < k->nmembers; i++) {
			if ((p = conf_printer(&sd->conf, k->members[i])) ==
			    NULL)
				continue;
			if (p->cost_per_kg > kg)
				kg = p->cost_per_kg;
			if (p->cost_per_hour > hour)
				hour = p->cost_per_hour;
		}
	json_array_foreach(g, i, v) {
		const char *name = json_string_value(json_array_get(mat, i));
		long rate = kg;

		if (name != NULL && (m = conf_material(&sd->conf, name)) !=
		    NULL && m->cost_per_kg >= 0)
			rate = m->cost_per_kg;
		c += json_number_value(v) * by / 1000 * (double)rate;
	}
	return round(c + secs / 3600 * (double)hour) / 100;
}

int
acct_record(struct spoold *sd, long id)
{
	sqlite3_stmt *st;
	struct job_row j;
	json_t *mm, *g, *mat, *tools;
	double summm, sumg, share, cost;
	long long started = 0, finished;
	const char *printer;
	char name[CONF_NAME_MAX + 32], *tj;
	int r;

	if (queue_get(sd, id, &j) <= 0)
		return -1;
	/* The meta whole, from the row: a job_row's is left out when it
	 * is too long to keep there. */
	if (sqlite3_prepare_v2(sd->db, "SELECT (SELECT min(at) FROM job_event"
	    " WHERE job = ?1 AND state = 'processing'), meta FROM job WHERE"
	    " id = ?1", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		goto sqlfail;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		started = sqlite3_column_int64(st, 0);
	meta_filament(sqlite3_column_text(st, 1) ? (const char *)
	    sqlite3_column_text(st, 1) : "{}", &mm, &g, &summm, &sumg, NULL,
	    &mat);
	sqlite3_finalize(st);
	finished = j.finished > 0 ? j.finished : (long long)time(NULL);
	if (started > finished)
		started = finished;
	/* The copies printed; of one that stopped, the share sent. */
	share = j.copies_done;
	if (strcmp(j.state, "completed") == 0) {
		if (share < 1)
			share = 1;
	} else if (started > 0 && j.commands > 0 && j.lines_done > 0 &&
	    j.lines_done < j.commands)
		share += (double)j.lines_done / (double)j.commands;
	scale(mm, share);
	scale(g, share);
	summm = round(summm * share * 100) / 100;
	sumg = round(sumg * share * 100) / 100;
	printer = j.ran_on[0] != '\0' ? j.ran_on : j.printer;
	cost = dest_cost(sd, printer, g, mat, 1, started > 0 ?
	    (double)(finished - started) : 0);
	/* The materials go with the row where the file named them. */
	if (json_array_size(mat) > 0)
		tools = json_pack("{sososo}", "mm", mm, "g", g, "materials",
		    mat);
	else {
		tools = json_pack("{soso}", "mm", mm, "g", g);
		json_decref(mat);
	}
	if ((tj = json_dumps(tools, JSON_COMPACT | JSON_REAL_PRECISION(10))) ==
	    NULL)
		fatalx("out of memory");
	json_decref(tools);
	snprintf(name, sizeof(name), "%s", j.name[0] ? j.name : printer);
	if (sqlite3_prepare_v2(sd->db, "INSERT OR IGNORE INTO accounting"
	    " (job, owner, uid, printer, name, result, created, started,"
	    " finished, seconds, share, mm, g, tools, cost) VALUES (?, ?, ?,"
	    " ?, ?, ?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?)", -1, &st,
	    NULL) != SQLITE_OK) {
		free(tj);
		goto sqlfail;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, j.owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, j.uid);
	sqlite3_bind_text(st, 4, printer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, j.state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, j.created);
	sqlite3_bind_int64(st, 8, started);
	sqlite3_bind_int64(st, 9, finished);
	sqlite3_bind_int64(st, 10, started > 0 ? finished - started : 0);
	sqlite3_bind_double(st, 11, round(share * 10000) / 10000);
	sqlite3_bind_double(st, 12, summm);
	sqlite3_bind_double(st, 13, sumg);
	sqlite3_bind_text(st, 14, tj, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 15, cost);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	free(tj);
	if (r != SQLITE_DONE)
		goto sqlfail;
	crash_point("accounted");
	return 0;
sqlfail:
	log_warnx("queue: job %ld: accounting: %s", id, sqlite3_errmsg(sd->db));
	return -1;
}

int
acct_expire(struct spoold *sd, long long now, int max)
{
	sqlite3_stmt *st;
	int n;

	if (sd->conf.keep_accounting <= 0)
		return 0;
	if (sqlite3_prepare_v2(sd->db, "DELETE FROM accounting WHERE job IN"
	    " (SELECT job FROM accounting WHERE finished <= ? LIMIT ?)", -1,
	    &st, NULL) != SQLITE_OK) {
		log_warnx("queue: accounting: %s", sqlite3_errmsg(sd->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, now - sd->conf.keep_accounting);
	sqlite3_bind_int(st, 2, max);
	n = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(sd->db) : -1;
	sqlite3_finalize(st);
	if (n > 0)
		log_info("accounting: %d row%s past keep_accounting removed", n,
		    n == 1 ? "" : "s");
	return n;
}

void
acct_limits(struct spoold *sd, const char *owner, uid_t uid,
    struct conf_limits *l)
{
	const struct conf_limits *own = NULL;
	struct conf_account *a;
	struct conf_user *u;
	size_t i;

	l->grams = l->hours = l->cost = -1;
	if (uid == VIRTUAL_UID) {
		if ((a = conf_account(&sd->conf, owner)) != NULL)
			*l = a->limits;
		return;
	}
	if ((u = conf_user(&sd->conf, owner)) != NULL)
		own = &u->limits;
	if (own != NULL)
		*l = *own;
	if (approve_is_admin(sd, uid))
		return;
	for (i = 0; i < sd->conf.ngroups; i++) {
		struct conf_group *gr = &sd->conf.groups[i];

		if ((l->grams >= 0 || gr->limits.grams < 0) &&
		    (l->hours >= 0 || gr->limits.hours < 0) &&
		    (l->cost >= 0 || gr->limits.cost < 0))
			continue;
		if (!approve_in_group(uid, (gid_t)-1, gr->name))
			continue;
		if (l->grams < 0)
			l->grams = gr->limits.grams;
		if (l->hours < 0)
			l->hours = gr->limits.hours;
		if (l->cost < 0)
			l->cost = gr->limits.cost;
	}
}

int
acct_usage(struct spoold *sd, const char *owner, uid_t uid, long long since,
    struct acct_use *u)
{
	sqlite3_stmt *st;
	json_t *mm, *g, *mat;
	double summm, sumg;
	long secs;
	int left;

	memset(u, 0, sizeof(*u));
	if (sqlite3_prepare_v2(sd->db, "SELECT total(g), total(seconds),"
	    " total(cost) FROM accounting WHERE owner = ? AND uid = ? AND"
	    " finished >= ?", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, since);
	if (sqlite3_step(st) == SQLITE_ROW) {
		u->g = sqlite3_column_double(st, 0);
		u->seconds = sqlite3_column_double(st, 1);
		u->cost = sqlite3_column_double(st, 2);
	}
	sqlite3_finalize(st);
	/* The jobs still queued: what they will use. */
	if (sqlite3_prepare_v2(sd->db, "SELECT meta, copies - copies_done,"
	    " printer FROM job WHERE owner = ? AND uid = ? AND state IN"
	    " ('pending', 'held', 'processing', 'stopped')", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *meta = (const char *)sqlite3_column_text(st, 0);
		const char *dest = (const char *)sqlite3_column_text(st, 2);

		left = sqlite3_column_int(st, 1);
		if (left < 1)
			left = 1;
		meta_filament(meta ? meta : "{}", &mm, &g, &summm, &sumg,
		    &secs, &mat);
		u->g += sumg * left;
		u->seconds += (double)secs * left;
		u->cost += dest_cost(sd, dest ? dest : "", g, mat, left,
		    (double)secs * left);
		json_decref(mm);
		json_decref(g);
		json_decref(mat);
		u->queued++;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	log_warnx("queue: accounting of %s: %s", owner, sqlite3_errmsg(sd->db));
	return -1;
}

/* One limit: 1 and the refusal in why if used + more passes it. */
static int
over(char *why, size_t sz, double used, double more, double limit,
    const char *unit, int decimals, const char *verb)
{
	double left = limit - used;

	if (used + more <= limit + 1e-9)
		return 0;
	if (left < 0)
		left = 0;
	snprintf(why, sz, "would %s %.*f%s; %.*f%s of your %.*f%s left this"
	    " month", verb, decimals, more, unit, decimals, left, unit,
	    decimals, limit, unit);
	return 1;
}

int
acct_check(struct spoold *sd, const char *owner, uid_t uid, const char *dest,
    const char *meta, int copies, char *why, size_t whysz)
{
	struct conf_limits l;
	struct acct_use u;
	json_t *mm, *g, *mat;
	double summm, sumg, secs, cost;
	long s;

	why[0] = '\0';
	acct_limits(sd, owner, uid, &l);
	if (l.grams < 0 && l.hours < 0 && l.cost < 0)
		return 0;
	if (acct_usage(sd, owner, uid, acct_month_start(acct_now()), &u) < 0) {
		snprintf(why, whysz, "cannot read this month's use of %s",
		    owner);
		return -1;
	}
	if (copies < 1)
		copies = 1;
	meta_filament(meta, &mm, &g, &summm, &sumg, &s, &mat);
	sumg *= copies;
	secs = (double)s * copies;
	cost = dest_cost(sd, dest, g, mat, copies, secs);
	json_decref(mm);
	json_decref(g);
	json_decref(mat);
	if (l.grams >= 0 && over(why, whysz, u.g, sumg, (double)l.grams,
	    " g", 0, "use"))
		return 1;
	if (l.hours >= 0 && over(why, whysz, u.seconds / 3600, secs / 3600,
	    (double)l.hours, " h", 1, "use"))
		return 1;
	if (l.cost >= 0 && over(why, whysz, u.cost, cost, (double)l.cost / 100,
	    "", 2, "cost"))
		return 1;
	return 0;
}

int
acct_summary(struct spoold *sd, const char *by, const char *owner,
    const char *dest, long long since,
    int (*row)(const struct acct_total *, void *), void *arg)
{
	sqlite3_stmt *st;
	struct acct_total t;
	const char *key;
	char sql[512];
	int r = 0;

	if (strcmp(by, "user") == 0)
		key = "owner";
	else if (strcmp(by, "printer") == 0)
		key = "printer";
	else if (strcmp(by, "month") == 0)
		key = "strftime('%Y-%m', finished, 'unixepoch', 'localtime')";
	else
		key = "''";
	snprintf(sql, sizeof(sql), "SELECT %s AS k, count(*), total(result ="
	    " 'completed'), total(seconds), total(mm), total(g), total(cost)"
	    " FROM accounting WHERE (?1 = '' OR owner = ?1) AND finished >= ?2"
	    " AND (?3 = '' OR printer = ?3 OR substr(name, 1, length(?3) + 1)"
	    " = ?3 || '-') GROUP BY k ORDER BY k", key);
	if (sqlite3_prepare_v2(sd->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("queue: summary: %s", sqlite3_errmsg(sd->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_text(st, 3, dest, -1, SQLITE_STATIC);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		snprintf(t.key, sizeof(t.key), "%s",
		    sqlite3_column_text(st, 0) ?
		    (const char *)sqlite3_column_text(st, 0) : "");
		t.jobs = sqlite3_column_int64(st, 1);
		t.completed = (long long)sqlite3_column_double(st, 2);
		t.seconds = (long long)sqlite3_column_double(st, 3);
		t.mm = sqlite3_column_double(st, 4);
		t.g = sqlite3_column_double(st, 5);
		t.cost = sqlite3_column_double(st, 6);
		r = row(&t, arg);
	}
	sqlite3_finalize(st);
	return r < 0 ? -1 : 0;
}
