/*
 * queue.c - the queue in SQLite.
 *
 * One database, SPOOL/queue.db, in WAL mode with synchronous=FULL: a
 * committed job survives a crash or a power cut.  The schema lives in
 * db/ as numbered migrations, applied in order, each in its own
 * transaction that also sets PRAGMA user_version.  Every change of a
 * job's state is one transaction that also writes a job_event row.
 *
 * Diagnostics: SQLite errors are logged with the statement's purpose and
 * the job id; callers get -1.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spoold.h"
#include "util.h"

extern const char *const gspool_migrations[];

int
job_state_final(const char *state)
{
	return strcmp(state, "completed") == 0 ||
	    strcmp(state, "canceled") == 0 || strcmp(state, "aborted") == 0;
}

static int
db_exec(struct spoold *sd, const char *sql, const char *what)
{
	char *err = NULL;

	if (sqlite3_exec(sd->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("queue: %s: %s", what, err ? err : "error");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
db_prepare(struct spoold *sd, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(sd->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("queue: prepare: %s", sqlite3_errmsg(sd->db));
		return NULL;
	}
	return st;
}

static int
db_migrate(struct spoold *sd)
{
	sqlite3_stmt *st;
	char sql[64];
	int version, n;

	if ((st = db_prepare(sd, "PRAGMA user_version")) == NULL)
		return -1;
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	for (n = 0; gspool_migrations[n] != NULL; n++)
		;
	if (version > n) {
		log_warnx("queue: the database is at version %d, newer than"
		    " this spoold knows (%d)", version, n);
		return -1;
	}
	for (; version < n; version++) {
		if (db_exec(sd, "BEGIN IMMEDIATE", "migration") < 0)
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    version + 1);
		if (db_exec(sd, gspool_migrations[version], "migration") < 0 ||
		    db_exec(sd, sql, "migration") < 0) {
			db_exec(sd, "ROLLBACK", "rollback");
			log_warnx("queue: migration %d failed; the database is"
			    " unchanged", version + 1);
			return -1;
		}
		if (db_exec(sd, "COMMIT", "migration") < 0)
			return -1;
		log_info("queue: database migrated to version %d", version + 1);
	}
	return 0;
}

int
queue_open(struct spoold *sd)
{
	char *path = xasprintf("%s/queue.db", sd->conf.spool_dir);
	int r;

	r = sqlite3_open_v2(path, &sd->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		log_warnx("queue: cannot open %s: %s", path,
		    sd->db ? sqlite3_errmsg(sd->db) : "out of memory");
		free(path);
		return -1;
	}
	free(path);
	sqlite3_busy_timeout(sd->db, 5000);
	if (db_exec(sd, "PRAGMA journal_mode = WAL", "WAL") < 0 ||
	    db_exec(sd, "PRAGMA synchronous = FULL", "synchronous") < 0 ||
	    db_exec(sd, "PRAGMA foreign_keys = ON", "foreign keys") < 0)
		return -1;
	return db_migrate(sd);
}

void
queue_close(struct spoold *sd)
{
	if (sd->db)
		sqlite3_close(sd->db);
	sd->db = NULL;
}

char *
queue_job_path(struct spoold *sd, long id)
{
	return xasprintf("%s/%ld.gcode", sd->dir_jobs, id);
}

static int
db_event(struct spoold *sd, long id, const char *state, const char *who,
    const char *reason)
{
	sqlite3_stmt *st;
	int r;

	st = db_prepare(sd, "INSERT INTO job_event (job, at, state, who,"
	    " reason) VALUES (?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		log_warnx("queue: job %ld: event: %s", id,
		    sqlite3_errmsg(sd->db));
		return -1;
	}
	return 0;
}

long
queue_add(struct spoold *sd, const char *printer, const char *owner,
    uid_t uid, const char *title, long long size, long commands,
    const char *sha256, const char *meta, const struct drop_id *drop,
    const char *tmp_path)
{
	sqlite3_stmt *st;
	char *path;
	long id;
	int r;

	if (db_exec(sd, "BEGIN IMMEDIATE", "add job") < 0)
		return -1;
	st = db_prepare(sd, "INSERT INTO job (printer, owner, uid, title,"
	    " source, size, commands, sha256, state, created, drop_path,"
	    " drop_dev, drop_ino, drop_mtime_ns, meta) VALUES (?, ?, ?, ?,"
	    " ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, printer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_text(st, 4, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, drop ? "drop" : "gprint", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, size);
	sqlite3_bind_int64(st, 7, commands);
	sqlite3_bind_text(st, 8, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, meta ? meta : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)time(NULL));
	if (drop) {
		sqlite3_bind_text(st, 10, drop->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, drop->dev);
		sqlite3_bind_int64(st, 12, drop->ino);
		sqlite3_bind_int64(st, 13, drop->mtime_ns);
	}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		log_warnx("queue: add job: %s", sqlite3_errmsg(sd->db));
		goto fail;
	}
	id = (long)sqlite3_last_insert_rowid(sd->db);
	if (db_event(sd, id, "pending", owner, "queued") < 0)
		goto fail;
	crash_point("inserted");
	/* The file takes its final name before the commit: a crash before
	 * the commit leaves a file under an id that the next job reuses
	 * (the row was never committed), never a row without its file. */
	path = queue_job_path(sd, id);
	if (rename(tmp_path, path) < 0 || fsync_dir(sd->dir_jobs) < 0) {
		log_warn("queue: job %ld: cannot move %s to %s", id, tmp_path,
		    path);
		free(path);
		goto fail;
	}
	free(path);
	crash_point("renamed");
	if (db_exec(sd, "COMMIT", "add job") < 0)
		goto fail;
	crash_point("committed");
	return id;
fail:
	db_exec(sd, "ROLLBACK", "rollback");
	return -1;
}

int
queue_set_state(struct spoold *sd, long id, const char *state,
    const char *reason, const char *who)
{
	sqlite3_stmt *st;
	int r;

	if (db_exec(sd, "BEGIN IMMEDIATE", "set state") < 0)
		return -1;
	st = db_prepare(sd, "UPDATE job SET state = ?, reason = ?,"
	    " started = CASE WHEN ? = 'processing' THEN ? ELSE started END,"
	    " finished = CASE WHEN ? IN ('completed', 'canceled', 'aborted')"
	    " THEN ? ELSE finished END WHERE id = ?");
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 5, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 7, id);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE || sqlite3_changes(sd->db) != 1) {
		log_warnx("queue: job %ld: cannot set state %s: %s", id, state,
		    r != SQLITE_DONE ? sqlite3_errmsg(sd->db) : "no such job");
		goto fail;
	}
	if (db_event(sd, id, state, who, reason) < 0)
		goto fail;
	if (db_exec(sd, "COMMIT", "set state") < 0)
		goto fail;
	return 0;
fail:
	db_exec(sd, "ROLLBACK", "rollback");
	return -1;
}

int
queue_set_progress(struct spoold *sd, long id, long lines, long layer)
{
	sqlite3_stmt *st;
	int r;

	st = db_prepare(sd, "UPDATE job SET lines_done = ?, layer = ? WHERE"
	    " id = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, lines);
	sqlite3_bind_int64(st, 2, layer);
	sqlite3_bind_int64(st, 3, id);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -1;
}

/* An event in a job's life that is not a change of its state (paused,
 * resumed): one row of its history. */
int
queue_add_event(struct spoold *sd, long id, const char *what,
    const char *reason, const char *who)
{
	return db_event(sd, id, what, who, reason);
}

/* Jobs of a user not yet ended: what max_user_jobs counts. */
long
queue_count_user(struct spoold *sd, const char *owner)
{
	sqlite3_stmt *st;
	long n = -1;

	st = db_prepare(sd, "SELECT count(*) FROM job WHERE owner = ? AND"
	    " state IN ('pending', 'held', 'processing', 'stopped')");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

long
queue_next_pending(struct spoold *sd, const char *printer)
{
	sqlite3_stmt *st;
	long id = 0;

	st = db_prepare(sd, "SELECT id FROM job WHERE state = 'pending' AND"
	    " printer = ? ORDER BY id LIMIT 1");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, printer, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

#define JOB_COLUMNS "id, printer, owner, uid, title, size, commands, state," \
	" reason, lines_done, layer, meta"

static void
row_fill(sqlite3_stmt *st, struct job_row *j)
{
	memset(j, 0, sizeof(*j));
	j->id = (long)sqlite3_column_int64(st, 0);
	snprintf(j->printer, sizeof(j->printer), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	snprintf(j->owner, sizeof(j->owner), "%s",
	    (const char *)sqlite3_column_text(st, 2));
	j->uid = (long)sqlite3_column_int64(st, 3);
	snprintf(j->title, sizeof(j->title), "%s",
	    (const char *)sqlite3_column_text(st, 4));
	j->size = (long long)sqlite3_column_int64(st, 5);
	j->commands = (long)sqlite3_column_int64(st, 6);
	snprintf(j->state, sizeof(j->state), "%s",
	    (const char *)sqlite3_column_text(st, 7));
	snprintf(j->reason, sizeof(j->reason), "%s",
	    (const char *)sqlite3_column_text(st, 8));
	j->lines_done = (long)sqlite3_column_int64(st, 9);
	j->layer = (long)sqlite3_column_int64(st, 10);
	/* Cut JSON is no JSON: a meta too long to keep here is left out. */
	if (sqlite3_column_bytes(st, 11) < (int)sizeof(j->meta))
		snprintf(j->meta, sizeof(j->meta), "%s",
		    (const char *)sqlite3_column_text(st, 11));
	else
		snprintf(j->meta, sizeof(j->meta), "{}");
}

int
queue_get(struct spoold *sd, long id, struct job_row *j)
{
	sqlite3_stmt *st;
	int found = 0;

	st = db_prepare(sd, "SELECT " JOB_COLUMNS " FROM job WHERE id = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		row_fill(st, j);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int
queue_list(struct spoold *sd, const char *printer,
    int (*cb)(const struct job_row *, void *), void *arg)
{
	struct job_row j;
	sqlite3_stmt *st;

	/* The active queue, as lpq shows it: printing first, then the
	 * jobs waiting in the order they will print. */
	st = db_prepare(sd, "SELECT " JOB_COLUMNS " FROM job WHERE state IN"
	    " ('processing', 'stopped', 'pending', 'held') AND (?1 = '' OR"
	    " printer = ?1) ORDER BY CASE state WHEN 'processing' THEN 0"
	    " WHEN 'stopped' THEN 1 ELSE 2 END, id");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, printer ? printer : "", -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		row_fill(st, &j);
		if (cb(&j, arg) < 0)
			break;
	}
	sqlite3_finalize(st);
	return 0;
}

long
queue_drop_seen(struct spoold *sd, const struct drop_id *d)
{
	sqlite3_stmt *st;
	long id = 0;

	st = db_prepare(sd, "SELECT id FROM job WHERE drop_path = ? AND"
	    " drop_dev = ? AND drop_ino = ? AND drop_mtime_ns = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, d->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, d->dev);
	sqlite3_bind_int64(st, 3, d->ino);
	sqlite3_bind_int64(st, 4, d->mtime_ns);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

int
queue_recover(struct spoold *sd)
{
	sqlite3_stmt *st;
	long ids[256];
	int n = 0, i;

	/* A job left "processing" by a previous spoold: its backend may
	 * still be printing it, but this spoold cannot follow it. */
	for (;;) {
		st = db_prepare(sd, "SELECT id FROM job WHERE state ="
		    " 'processing' LIMIT 256");
		if (st == NULL)
			return -1;
		n = 0;
		while (n < 256 && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = (long)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (n == 0)
			return 0;
		for (i = 0; i < n; i++) {
			log_warnx("job %ld was printing when spoold stopped;"
			    " recorded as stopped", ids[i]);
			if (queue_set_state(sd, ids[i], "stopped",
			    "interrupted: spoold restarted during the print",
			    "spoold") < 0)
				return -1;
		}
	}
}
