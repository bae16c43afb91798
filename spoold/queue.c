/*
 * queue.c - the queue in SQLite.
 *
 * One database, SPOOL/queue.db, in WAL mode with synchronous=FULL: a
 * committed job survives a crash or a power cut.  The schema lives in
 * db/ as numbered migrations, applied in order, each in its own
 * transaction that also sets PRAGMA user_version.  Every change of a
 * job's state is one transaction that also writes a job_event row.
 *
 * It is SQLite only: after each commit the job's new rows are posted as
 * job events (jobev.c), which the filters, the notify command and the
 * clients waiting for the job hear; this file calls none of them.
 *
 * Diagnostics: SQLite errors are logged with the statement's purpose and
 * the job id; callers get -1.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "crash.h"
#include "jobstate.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

extern const char *const gspool_migrations[];

static void	approval_why(char *, size_t, const char *);

/* The rows of job events written in the transaction under way, posted
 * to the listeners (jobev.c) once it commits, forgotten if it rolls
 * back.  A transaction writes one row; NOTES_MAX is room to spare. */
#define NOTES_MAX	16
static struct note {
	long	 job;
	char	 event[32];
	char	 who[64];
	char	 reason[256];
} notes[NOTES_MAX];
static int nnotes;

static void
notes_flush(struct spoold *sd, int post)
{
	struct note done[NOTES_MAX];
	int i, n = nnotes;

	/* A listener may change the queue, and so note again. */
	memcpy(done, notes, sizeof(notes[0]) * (size_t)n);
	nnotes = 0;
	for (i = 0; post && i < n; i++) {
		struct job_event ev = {
			.job = done[i].job, .name = done[i].event,
			.who = done[i].who, .reason = done[i].reason, .row = 1,
		};

		jobev_post(sd, &ev);
	}
}

static int
db_exec(struct spoold *sd, const char *sql, const char *what)
{
	char *err = NULL;

	if (sqlite3_exec(sd->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("queue: %s: %s", what, err ? err : "error");
		sqlite3_free(err);
		if (strcmp(sql, "COMMIT") == 0)
			notes_flush(sd, 0);
		return -1;
	}
	if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
		notes_flush(sd, sql[0] == 'C');
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

/* The spool's identity, which migration 0013 drew: the sftp://
 * backend puts it in each forward id (gspool-sftp(8)). */
static int
spool_identity(struct spoold *sd)
{
	sqlite3_stmt *st;
	const char *id;
	int ok;

	sd->spool_id[0] = '\0';
	if ((st = db_prepare(sd, "SELECT id FROM spool_identity")) == NULL)
		return -1;
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    (id = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    strlen(id) == sizeof(sd->spool_id) - 1 &&
	    strspn(id, "0123456789abcdef") == strlen(id);
	if (ok)
		snprintf(sd->spool_id, sizeof(sd->spool_id), "%s", id);
	sqlite3_finalize(st);
	if (ok)
		log_info("queue: this spool's identity is %s (its forward ids"
		    " carry it)", sd->spool_id);
	if (!ok)
		log_warnx("queue: the table spool_identity holds no identity"
		    " of 16 hex digits (migration 0013 draws it); restore the"
		    " queue from a backup");
	return ok ? 0 : -1;
}

int
queue_open(struct spoold *sd)
{
	char *path = xasprintf("%s/queue.db", sd->conf.spool_dir), *side;
	struct stat st;
	int r, fd;
	size_t i;

	/* The queue is spoold's alone: titles, owners and reasons of every
	 * user's jobs.  SQLite gives its -wal and -shm files the mode of
	 * the database; one an older spoold made readable is closed. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0) {
		log_warn("queue: %s", path);
		free(path);
		return -1;
	}
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 077) != 0 && fchmod(fd, 0600) < 0)
		log_warn("queue: %s", path);
	close(fd);
	for (i = 0; i < 2; i++) {
		side = xasprintf("%s%s", path, i ? "-shm" : "-wal");
		if (lstat(side, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && (st.st_mode & 077) != 0)
			chmod(side, 0600);
		free(side);
	}

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
	if (db_migrate(sd) < 0)
		return -1;
	return spool_identity(sd);
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
	/* A job that ends is accounted for in the same transaction. */
	if (!sqlite3_get_autocommit(sd->db) && (strcmp(state, "completed") ==
	    0 || strcmp(state, "canceled") == 0 || strcmp(state, "aborted") ==
	    0) && acct_record(sd, id) < 0)
		return -1;
	if (nnotes < NOTES_MAX) {
		struct note *n = &notes[nnotes++];

		n->job = id;
		snprintf(n->event, sizeof(n->event), "%s", state);
		snprintf(n->who, sizeof(n->who), "%s", who);
		snprintf(n->reason, sizeof(n->reason), "%s", reason ? reason :
		    "");
		/* Outside a transaction it is committed already. */
		if (sqlite3_get_autocommit(sd->db))
			notes_flush(sd, 1);
	}
	return 0;
}

long
queue_add(struct spoold *sd, const char *printer, const char *owner,
    uid_t uid, const char *title, long long size, long commands,
    const char *sha256, const char *meta, const struct job_opts *o,
    const struct drop_id *drop, const char *tmp_path, int *known)
{
	const char *state = o->hold || o->hold_until || o->approval ||
	    o->fit_hold[0] ? "held" : "pending";
	sqlite3_stmt *st;
	char *path, why[256];
	long id;
	int r;

	*known = 0;
	if (db_exec(sd, "BEGIN IMMEDIATE", "add job") < 0)
		return -1;
	/* A forward id already queued for its sender is that job: looked
	 * up in the transaction that would add it, so that two copies
	 * taken in side by side still make one job. */
	if (o->forward[0] != '\0') {
		if ((id = queue_forward_find(sd, owner, o->forward)) < 0)
			goto fail;
		if (id > 0) {
			db_exec(sd, "ROLLBACK", "add job");
			*known = 1;
			return id;
		}
	}
	st = db_prepare(sd, "INSERT INTO job (printer, owner, uid, title,"
	    " source, size, commands, sha256, state, created, drop_path,"
	    " drop_dev, drop_ino, drop_mtime_ns, meta, priority, copies,"
	    " hold_until, named, reason, approval, approvers, made_for)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?15, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?16, ?17, ?18, ?1, ?19, ?20, ?21, ?22)");
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
	sqlite3_bind_text(st, 15, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 16, o->priority);
	sqlite3_bind_int(st, 17, o->copies);
	if (o->hold_until)
		sqlite3_bind_int64(st, 18, o->hold_until);
	/* Approval first: what suits the printer is judged again when the
	 * job is approved and pending. */
	sqlite3_bind_text(st, 19, o->approval ? HOLD_APPROVAL : o->fit_hold,
	    -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 22, o->made_for ? o->made_for : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 20, o->approval ? "awaiting" : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 21, o->approval ? o->approvers : "", -1,
	    SQLITE_STATIC);
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
	/* Its place in the queue: after every job before it (gpc top puts
	 * a job below them all). */
	if ((st = db_prepare(sd, "UPDATE job SET seq = id WHERE id = ?")) ==
	    NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		goto fail;
	if (db_event(sd, id, state, owner, "queued") < 0)
		goto fail;
	if (o->forward[0] != '\0') {
		if ((st = db_prepare(sd, "INSERT INTO job_forward (owner,"
		    " forward, job) VALUES (?, ?, ?)")) == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, o->forward, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, id);
		r = sqlite3_step(st);
		sqlite3_finalize(st);
		if (r != SQLITE_DONE) {
			log_warnx("queue: job %ld: forward id %s: %s", id,
			    o->forward, sqlite3_errmsg(sd->db));
			goto fail;
		}
	}
	/* The approvers hear of it (notify.c) once it is committed. */
	if (o->approval) {
		approval_why(why, sizeof(why), o->approvers);
		if (db_event(sd, id, "approval", "spoold", why) < 0)
			goto fail;
	}
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

long
queue_forward_find(struct spoold *sd, const char *owner, const char *fwd)
{
	sqlite3_stmt *st;
	long id = 0;
	int r;

	if ((st = db_prepare(sd, "SELECT job FROM job_forward WHERE owner = ?"
	    " AND forward = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fwd, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW)
		id = (long)sqlite3_column_int64(st, 0);
	else if (r != SQLITE_DONE) {
		log_warnx("queue: forward id %s of %s: %s", fwd, owner,
		    sqlite3_errmsg(sd->db));
		id = -1;
	}
	sqlite3_finalize(st);
	return id;
}

static int job_update(struct spoold *, long, const char *, const char *,
    const char *, const char *, const char *, long long);

/* The reason of a job's approval row: who may approve it. */
static void
approval_why(char *buf, size_t sz, const char *approvers)
{
	if (approvers[0] != '\0')
		snprintf(buf, sz, HOLD_APPROVAL " by a member of group %s or an"
		    " administrator", approvers);
	else
		snprintf(buf, sz, HOLD_APPROVAL " by an administrator");
}

int
queue_set_state(struct spoold *sd, long id, const char *state,
    const char *reason, const char *who)
{
	if (job_update(sd, id, "UPDATE job SET state = ?4, reason = ?2,"
	    " started = CASE WHEN ?4 = 'processing' THEN ?3 ELSE started END,"
	    " finished = CASE WHEN ?4 IN " JOB_STATES_FINAL_SQL
	    " THEN ?3 ELSE finished END WHERE id = ?1", state, reason, who,
	    reason, (long long)time(NULL)) < 0) {
		log_warnx("queue: job %ld: cannot set state %s", id, state);
		return -1;
	}
	return 0;
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
	    " state IN " JOB_STATES_OPEN_SQL);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The next job for a printer: pending for it or for one of the names
 * in dests (its classes that take jobs; a JSON array), by priority,
 * then queue order. */
/* The pending jobs for a printer, in the order they are to print: for
 * it or for one of the names in dests (its classes that take jobs; a
 * JSON array), by priority, then as queued.  Up to max ids; -1 on
 * error. */
int
queue_pending(struct spoold *sd, const char *dests, long *ids, int max)
{
	sqlite3_stmt *st;
	int n = 0;

	st = db_prepare(sd, "SELECT id FROM job WHERE state = 'pending' AND"
	    " printer IN (SELECT value FROM json_each(?1)) ORDER BY priority"
	    " DESC, seq, id LIMIT ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, dests, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* What checking job id against printer, as policy fingerprints its
 * checks, found: 1 passed, 0 failed (why in reason), -1 not checked. */
int
queue_check_get(struct spoold *sd, long id, const char *printer,
    const char *policy, char *reason, size_t reasonsz)
{
	sqlite3_stmt *st;
	int r = -1;

	if (reason != NULL && reasonsz > 0)
		reason[0] = '\0';
	st = db_prepare(sd, "SELECT ok, reason FROM job_check WHERE job = ?"
	    " AND printer = ? AND policy = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, printer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, policy, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r = sqlite3_column_int(st, 0) ? 1 : 0;
		if (reason != NULL && reasonsz > 0)
			snprintf(reason, reasonsz, "%s",
			    (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return r;
}

/* Record a check's verdict (the newest for that printer wins). */
int
queue_check_put(struct spoold *sd, long id, const char *printer,
    const char *policy, int ok, const char *reason)
{
	sqlite3_stmt *st;
	int r;

	st = db_prepare(sd, "INSERT OR REPLACE INTO job_check (job, printer,"
	    " policy, ok, reason, checked) SELECT id, ?2, ?3, ?4, ?5, ?6 FROM"
	    " job WHERE id = ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, printer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, policy, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, ok != 0);
	sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (long long)time(NULL));
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		log_warnx("queue: job %ld: cannot record its check for %s: %s",
		    id, printer, sqlite3_errmsg(sd->db));
		return -1;
	}
	return 0;
}

/* Up to max ids of jobs in a state, oldest first, after id `after'. */
int
queue_ids(struct spoold *sd, const char *state, long after, long *ids,
    int max)
{
	sqlite3_stmt *st;
	int n = 0;

	st = db_prepare(sd, "SELECT id FROM job WHERE state = ? AND id > ?"
	    " ORDER BY id LIMIT ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* One UPDATE of a job and its event row, in one transaction: ?1 the
 * job, ?2 a text, ?3 a number, ?4 the event (its new state), where the
 * statement has them.  -1 if it fails or changes no job. */
static int
job_update(struct spoold *sd, long id, const char *sql, const char *event,
    const char *reason, const char *who, const char *text, long long v)
{
	sqlite3_stmt *st;
	int r;

	if (db_exec(sd, "BEGIN IMMEDIATE", event) < 0)
		return -1;
	if ((st = db_prepare(sd, sql)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, text ? text : "", -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, v);
	if (sqlite3_bind_parameter_count(st) >= 4)
		sqlite3_bind_text(st, 4, event, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE || sqlite3_changes(sd->db) != 1) {
		if (r != SQLITE_DONE)
			log_warnx("queue: job %ld: %s: %s", id, event,
			    sqlite3_errmsg(sd->db));
		goto fail;
	}
	if (db_event(sd, id, event, who, reason) < 0)
		goto fail;
	if (db_exec(sd, "COMMIT", event) < 0)
		goto fail;
	return 0;
fail:
	db_exec(sd, "ROLLBACK", "rollback");
	return -1;
}

/* The job goes to a printer: processing there. */
int
queue_start(struct spoold *sd, long id, const char *printer)
{
	return job_update(sd, id, "UPDATE job SET state = 'processing',"
	    " reason = '', ran_on = ?2, started = ?3, lines_done = 0,"
	    " layer = 0 WHERE id = ?1 AND state = 'pending'", "processing",
	    "", printer, printer, (long long)time(NULL));
}

/* A copy of the job printed: pending again for the next copy, or
 * completed after the last.  1 if more copies are to come. */
int
queue_copy_done(struct spoold *sd, long id, const char *who)
{
	struct job_row j;
	char why[64];

	if (queue_get(sd, id, &j) <= 0)
		return -1;
	if (j.copies_done + 1 >= j.copies)
		return job_update(sd, id, "UPDATE job SET copies_done ="
		    " copies_done + 1, state = 'completed', reason = '',"
		    " finished = ?3 WHERE id = ?1", "completed", "", who, NULL,
		    (long long)time(NULL)) < 0 ? -1 : 0;
	snprintf(why, sizeof(why), "copy %d of %d completed",
	    j.copies_done + 1, j.copies);
	return job_update(sd, id, "UPDATE job SET copies_done = copies_done"
	    " + 1, state = 'pending', reason = ?2 WHERE id = ?1", "pending",
	    why, who, why, 0) < 0 ? -1 : 1;
}

int
queue_set_priority(struct spoold *sd, long id, int priority, const char *who)
{
	char why[32];

	snprintf(why, sizeof(why), "priority %d", priority);
	return job_update(sd, id, "UPDATE job SET priority = ?3 WHERE id = ?1",
	    "priority", why, who, NULL, priority);
}

/* gpc top: first among the waiting jobs of the highest priority. */
int
queue_top(struct spoold *sd, long id, const char *who)
{
	return job_update(sd, id, "UPDATE job SET priority = 100, seq ="
	    " (SELECT min(seq) - 1 FROM job) WHERE id = ?1", "top",
	    "moved to the top of the queue", who, NULL, 0);
}

int
queue_move(struct spoold *sd, long id, const char *dest, const char *who,
    int release)
{
	char why[64];

	snprintf(why, sizeof(why), "moved to %s", dest);
	if (!release)
		return job_update(sd, id, "UPDATE job SET printer = ?2 WHERE"
		    " id = ?1", "moved", why, who, dest, 0);
	/* Held for want of its destination: pending on the new one, in
	 * the same transaction, so that no crash leaves it waiting for a
	 * destination that is gone. */
	return job_update(sd, id, "UPDATE job SET printer = ?2, state ="
	    " 'pending', hold_until = NULL, reason = '' WHERE id = ?1 AND"
	    " state = 'held' AND approval <> 'awaiting'", "moved", why, who,
	    dest, 0);
}

/* Hold a job (until a time, or 0 for until released). */
int
queue_hold(struct spoold *sd, long id, long long until, const char *who)
{
	return job_update(sd, id, "UPDATE job SET state = 'held', hold_until"
	    " = nullif(?3, 0), reason = ?2 WHERE id = ?1 AND approval <>"
	    " 'awaiting'", "held",
	    until ? "held until a time" : "held", who, until ?
	    "held until a time" : "held by request", until);
}

int
queue_release(struct spoold *sd, long id, const char *who, const char *why)
{
	sqlite3_stmt *st;

	/* Released, it is checked again wherever it was refused. */
	if ((st = db_prepare(sd, "DELETE FROM job_check WHERE job = ? AND"
	    " ok = 0")) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	/* Awaiting approval, only gpc approve releases it. */
	return job_update(sd, id, "UPDATE job SET state = 'pending',"
	    " hold_until = NULL, reason = '' WHERE id = ?1 AND state ="
	    " 'held' AND approval <> 'awaiting'", "pending", why, who, NULL,
	    0);
}

/* One change of a job awaiting approval, in one transaction with its
 * two rows of history: the approval's event (approved, denied, or
 * approval) and the state it leaves the job in.  ?1 the job, ?2 who,
 * ?3 now, ?4 the note or reason, ?5 one more text (the approvers, the
 * job's new reason). */
static int
approval_update(struct spoold *sd, long id, const char *sql,
    const char *who, const char *note, const char *extra,
    const char *event, const char *event_why)
{
	sqlite3_stmt *st;
	struct job_row j;
	int r, before;

	if (db_exec(sd, "BEGIN IMMEDIATE", event) < 0)
		return -1;
	if ((st = db_prepare(sd, sql)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, extra, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE || sqlite3_changes(sd->db) != 1) {
		if (r != SQLITE_DONE)
			log_warnx("queue: job %ld: %s: %s", id, event,
			    sqlite3_errmsg(sd->db));
		goto fail;
	}
	/* Held for approval: held, then who may approve it, as a job
	 * queued so; approved or denied: that, then the state it leaves. */
	before = strcmp(event, "approval") == 0;
	if (queue_get(sd, id, &j) <= 0 ||
	    (before && db_event(sd, id, j.state, who, j.reason) < 0) ||
	    db_event(sd, id, event, who, event_why) < 0 ||
	    (!before && db_event(sd, id, j.state, who, j.reason) < 0))
		goto fail;
	if (db_exec(sd, "COMMIT", event) < 0)
		goto fail;
	return 0;
fail:
	db_exec(sd, "ROLLBACK", "rollback");
	return -1;
}

int
queue_approve(struct spoold *sd, long id, const char *who, const char *note)
{
	/* A hold until a time the submitter asked for still holds. */
	return approval_update(sd, id, "UPDATE job SET approval = 'approved',"
	    " approval_by = ?2, approval_at = ?3, approval_note = ?4, state ="
	    " CASE WHEN ifnull(hold_until, 0) > ?3 THEN 'held' ELSE 'pending'"
	    " END, reason = CASE WHEN ifnull(hold_until, 0) > ?3 THEN 'held"
	    " until a time' ELSE '' END WHERE id = ?1 AND state = 'held' AND"
	    " approval = 'awaiting' ", who, note, "", "approved",
	    note);
}

int
queue_deny(struct spoold *sd, long id, const char *who, const char *reason)
{
	char why[512];

	snprintf(why, sizeof(why), "denied by %s: %s", who, reason);
	return approval_update(sd, id, "UPDATE job SET approval = 'denied',"
	    " approval_by = ?2, approval_at = ?3, approval_note = ?4, state ="
	    " 'canceled', finished = ?3, reason = ?5 WHERE id = ?1 AND state ="
	    " 'held' AND approval = 'awaiting'", who, reason, why, "denied",
	    reason);
}

int
queue_await_approval(struct spoold *sd, long id, const char *approvers,
    const char *who)
{
	char why[256];

	approval_why(why, sizeof(why), approvers);
	return approval_update(sd, id, "UPDATE job SET approval = 'awaiting',"
	    " approvers = ?5, state = 'held', reason = ?4, hold_until = NULL"
	    " WHERE id = ?1 AND state IN ('pending', 'held')", who, HOLD_APPROVAL, approvers, "approval", why);
}

/* Release the held jobs whose time has come; returns the time of the
 * next one (epoch seconds), or 0. */
long long
queue_release_due(struct spoold *sd, long long now)
{
	sqlite3_stmt *st;
	long ids[64];
	long long next = 0;
	int n = 0, i;

	st = db_prepare(sd, "SELECT id FROM job WHERE state = 'held' AND"
	    " hold_until IS NOT NULL AND hold_until <= ? AND approval <>"
	    " 'awaiting' LIMIT 64");
	if (st == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, now);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		if (queue_release(sd, ids[i], "spoold", "its hold-until time"
		    " came") == 0)
			log_info("%s: released: its time came",
			    queue_job_name(sd, ids[i], NULL));
	st = db_prepare(sd, "SELECT min(hold_until) FROM job WHERE state ="
	    " 'held' AND hold_until IS NOT NULL AND approval <> 'awaiting'");
	if (st == NULL)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return next;
}

/* A job's folder (thumbnails, a filter's output): its files, the files
 * of its folders (a timelapse's frames), then itself. */
static void
remove_job_dir(const char *path)
{
	struct dirent *de;
	struct stat st;
	char *sub;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			DIR *s2;
			struct dirent *e2;

			sub = xasprintf("%s/%s", path, de->d_name);
			if ((s2 = opendir(sub)) != NULL) {
				while ((e2 = readdir(s2)) != NULL)
					unlinkat(dirfd(s2), e2->d_name, 0);
				closedir(s2);
			}
			if (rmdir(sub) < 0)
				log_warn("%s", sub);
			free(sub);
		} else
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	if (rmdir(path) < 0)
		log_warn("%s", path);
}

/* History: a finished job's file goes after keep_files, its record
 * (and events) after keep_jobs.  At most `max' of each per call, so a
 * long-stopped spoold catches up without stalling. */
int
queue_expire(struct spoold *sd, long long now, int max)
{
	sqlite3_stmt *st;
	long ids[256];
	int n = 0, i;
	char *path;

	if (max > 256)
		max = 256;
	st = db_prepare(sd, "SELECT id FROM job WHERE finished IS NOT NULL"
	    " AND finished <= ? AND files_removed = 0 AND state IN "
	    JOB_STATES_FINAL_SQL " LIMIT ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now - sd->conf.keep_files);
	sqlite3_bind_int(st, 2, max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (i = 0; i < n; i++) {
		path = queue_job_path(sd, ids[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("job %ld: %s", ids[i], path);
		free(path);
		path = xasprintf("%s/%ld.d", sd->dir_jobs, ids[i]);
		remove_job_dir(path);
		free(path);
		st = db_prepare(sd, "UPDATE job SET files_removed = 1 WHERE"
		    " id = ?");
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (db_exec(sd, "BEGIN IMMEDIATE", "expire") < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		static const char *const tables[] = { "job_event", "job_attr",
		    "job_check", "job_forward" };
		char sql[256];

		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE job IN"
		    " (SELECT id FROM job WHERE finished <= ?1 AND"
		    " files_removed = 1 AND state IN " JOB_STATES_FINAL_SQL
		    " LIMIT ?2)", tables[i]);
		st = db_prepare(sd, sql);
		if (st == NULL)
			continue;
		sqlite3_bind_int64(st, 1, now - sd->conf.keep_jobs);
		sqlite3_bind_int(st, 2, max);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	st = db_prepare(sd, "DELETE FROM job WHERE id IN (SELECT id FROM job"
	    " WHERE finished <= ?1 AND files_removed = 1 AND state IN "
	    JOB_STATES_FINAL_SQL " LIMIT ?2)");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, now - sd->conf.keep_jobs);
		sqlite3_bind_int(st, 2, max);
		sqlite3_step(st);
		n += sqlite3_changes(sd->db);
		sqlite3_finalize(st);
	}
	if (db_exec(sd, "COMMIT", "expire") < 0) {
		db_exec(sd, "ROLLBACK", "rollback");
		return -1;
	}
	return n;
}

/* A filter's report about a job: one value a name. */
int
queue_set_attr(struct spoold *sd, long id, const char *name,
    const char *value)
{
	sqlite3_stmt *st;
	int r;

	st = db_prepare(sd, "INSERT OR REPLACE INTO job_attr (job, name,"
	    " value) VALUES (?, ?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -1;
}

int
queue_made_for(struct spoold *sd, long id, char *out, size_t outsz)
{
	sqlite3_stmt *st;
	int r;

	out[0] = '\0';
	if ((st = db_prepare(sd, "SELECT made_for FROM job WHERE id = ?")) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((r = sqlite3_step(st)) == SQLITE_ROW &&
	    (size_t)sqlite3_column_bytes(st, 0) < outsz)
		snprintf(out, outsz, "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : -1;
}

int
queue_set_waiting(struct spoold *sd, long id, const char *reason)
{
	sqlite3_stmt *st;
	int r;

	if ((st = db_prepare(sd, "UPDATE job SET reason = ?2 WHERE id = ?1"
	    " AND state = 'pending' AND reason != ?2")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -1;
}

int
queue_waiting_unsuited(struct spoold *sd, long *ids, int max)
{
	sqlite3_stmt *st;
	int n = 0;

	if ((st = db_prepare(sd, "SELECT id FROM job WHERE state = 'pending'"
	    " AND reason LIKE 'no member of %' ORDER BY priority DESC, seq"))
	    == NULL)
		return -1;
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
queue_held_unfit(struct spoold *sd, const char *printer, long *ids, int max)
{
	sqlite3_stmt *st;
	int n = 0;

	if ((st = db_prepare(sd, "SELECT id, reason FROM job WHERE state ="
	    " 'held' AND printer = ? AND hold_until IS NULL AND approval !="
	    " 'awaiting' ORDER BY priority DESC, seq")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, printer, -1, SQLITE_STATIC);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		if (fit_is_reason((const char *)sqlite3_column_text(st, 1)))
			ids[n++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The dest row of a printer or class; defaults when it has none. */
int
queue_dest_load(struct spoold *sd, const char *name, struct dest *d)
{
	sqlite3_stmt *st;

	memset(d, 0, sizeof(*d));
	d->accepting = d->enabled = 1;
	st = db_prepare(sd, "SELECT accepting, accept_reason, enabled,"
	    " enable_reason, awaiting_clear, last_job, materials FROM dest"
	    " WHERE name = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		d->accepting = sqlite3_column_int(st, 0);
		snprintf(d->accept_reason, sizeof(d->accept_reason), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		d->enabled = sqlite3_column_int(st, 2);
		snprintf(d->enable_reason, sizeof(d->enable_reason), "%s",
		    (const char *)sqlite3_column_text(st, 3));
		d->awaiting_clear = sqlite3_column_int(st, 4);
		d->last_job = (long)sqlite3_column_int64(st, 5);
		if ((d->materials_set = sqlite3_column_type(st, 6) !=
		    SQLITE_NULL))
			snprintf(d->materials, sizeof(d->materials), "%s",
			    (const char *)sqlite3_column_text(st, 6));
	}
	sqlite3_finalize(st);
	return 0;
}

int
queue_dest_save(struct spoold *sd, const char *name, const struct dest *d)
{
	sqlite3_stmt *st;
	int r;

	st = db_prepare(sd, "INSERT OR REPLACE INTO dest (name, accepting,"
	    " accept_reason, enabled, enable_reason, awaiting_clear,"
	    " last_job, materials) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, d->accepting);
	sqlite3_bind_text(st, 3, d->accept_reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, d->enabled);
	sqlite3_bind_text(st, 5, d->enable_reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, d->awaiting_clear);
	sqlite3_bind_int64(st, 7, d->last_job);
	if (d->materials_set)
		sqlite3_bind_text(st, 8, d->materials, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		log_warnx("queue: %s: cannot save its state: %s", name,
		    sqlite3_errmsg(sd->db));
		return -1;
	}
	return 0;
}

#define JOB_COLUMNS "id, printer, owner, uid, title, size, commands, state," \
	" reason, lines_done, layer, meta, priority, copies, copies_done," \
	" ifnull(hold_until, 0), ifnull(ran_on, ''), created," \
	" ifnull(started, 0), ifnull(finished, 0), ifnull(named, printer), ifnull((SELECT forward FROM" \
	" job_forward WHERE job = job.id), ''), approval, approvers," \
	" approval_by, approval_at, approval_note"

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
	j->priority = sqlite3_column_int(st, 12);
	j->copies = sqlite3_column_int(st, 13);
	j->copies_done = sqlite3_column_int(st, 14);
	j->hold_until = sqlite3_column_int64(st, 15);
	snprintf(j->ran_on, sizeof(j->ran_on), "%s",
	    (const char *)sqlite3_column_text(st, 16));
	j->created = sqlite3_column_int64(st, 17);
	j->started = sqlite3_column_int64(st, 18);
	j->finished = sqlite3_column_int64(st, 19);
	snprintf(j->name, sizeof(j->name), "%s-%ld",
	    (const char *)sqlite3_column_text(st, 20), j->id);
	snprintf(j->forward, sizeof(j->forward), "%s",
	    (const char *)sqlite3_column_text(st, 21));
	snprintf(j->approval, sizeof(j->approval), "%s",
	    (const char *)sqlite3_column_text(st, 22));
	snprintf(j->approvers, sizeof(j->approvers), "%s",
	    (const char *)sqlite3_column_text(st, 23));
	snprintf(j->approval_by, sizeof(j->approval_by), "%s",
	    (const char *)sqlite3_column_text(st, 24));
	j->approval_at = sqlite3_column_int64(st, 25);
	snprintf(j->approval_note, sizeof(j->approval_note), "%s",
	    (const char *)sqlite3_column_text(st, 26));
}

/* The job's attributes (the filters' reports, link.*, forward.*) as one
 * JSON object, however many and long they are: a new reference, an
 * empty object if none or on an error. */
json_t *
queue_attrs(struct spoold *sd, long id)
{
	sqlite3_stmt *st;
	json_t *o = NULL;

	st = db_prepare(sd, "SELECT json_group_object(name, value) FROM"
	    " job_attr WHERE job = ?");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL)
			o = json_loads((const char *)sqlite3_column_text(st,
			    0), 0, NULL);
		sqlite3_finalize(st);
	}
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
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

/*
 * The name users know job id by, DEST-ID with DEST the destination it
 * was submitted to (job.named), whether it prints on a class's member
 * or was moved; dest-ID if the queue no longer holds it ("job ID" if
 * dest is NULL).  In one of
 * four buffers used in turn, so that a line can name a job or two; not
 * to be kept.  errno is kept, for a log_warn() that names the job.
 */
const char *
queue_job_name(struct spoold *sd, long id, const char *dest)
{
	static char bufs[4][CONF_NAME_MAX + 24];
	static int next;
	char *buf = bufs[next++ % 4];
	sqlite3_stmt *st;
	int saved_errno = errno;

	if (dest != NULL)
		snprintf(buf, sizeof(bufs[0]), "%s-%ld", dest, id);
	else
		snprintf(buf, sizeof(bufs[0]), "job %ld", id);
	if (sd->db != NULL && (st = db_prepare(sd, "SELECT ifnull(named,"
	    " printer) FROM job WHERE id = ?")) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(buf, sizeof(bufs[0]), "%s-%ld",
			    (const char *)sqlite3_column_text(st, 0), id);
		sqlite3_finalize(st);
	}
	errno = saved_errno;
	return buf;
}

/* The active queue, as lpq shows it: printing first, then the jobs
 * waiting in the order they will print (held ones among them); with
 * `history', the finished jobs instead, the latest first. */
int
queue_list(struct spoold *sd, const char *printer, int history,
    int (*cb)(const struct job_row *, void *), void *arg)
{
	struct job_row j;
	sqlite3_stmt *st;

	st = db_prepare(sd, history ? "SELECT " JOB_COLUMNS " FROM job"
	    " WHERE state IN " JOB_STATES_FINAL_SQL " AND (?1 ="
	    " '' OR printer = ?1 OR ran_on = ?1) ORDER BY finished DESC, id"
	    " DESC" : "SELECT " JOB_COLUMNS " FROM job WHERE state IN "
	    JOB_STATES_OPEN_SQL " AND (?1 = '' OR"
	    " printer = ?1 OR ran_on = ?1) ORDER BY CASE state WHEN"
	    " 'processing' THEN 0 WHEN 'stopped' THEN 1 ELSE 2 END, priority"
	    " DESC, seq, id");
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

/* ---- rejections (reject.c decides; here are their rows) ---- */

/* A refusal: FILE is its name under rejected/OWNER/, or NULL when the
 * file was not kept.  0 or -1. */
int
queue_rejection_add(struct spoold *sd, const char *owner, uid_t uid,
    const char *name, const char *file, long long size, const char *reason,
    long long at)
{
	sqlite3_stmt *st;
	int r;

	st = db_prepare(sd, "INSERT INTO rejection (owner, uid, name, file,"
	    " size, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uid == VIRTUAL_UID ? -1 : (long long)uid);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (file != NULL)
		sqlite3_bind_text(st, 4, file, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, size);
	sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, at);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	if (r < 0)
		log_warnx("queue: a rejection of %s: %s", owner,
		    sqlite3_errmsg(sd->db));
	sqlite3_finalize(st);
	return r;
}

/* Is rejected/OWNER/FILE known? 1, 0, or -1. */
int
queue_rejection_known(struct spoold *sd, const char *owner, const char *file)
{
	sqlite3_stmt *st;
	int r;

	st = db_prepare(sd, "SELECT 1 FROM rejection WHERE owner = ? AND"
	    " file = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

/* What OWNER's refused files weigh: those kept (their count and bytes),
 * and *nth_at the time of the n-th latest refusal since `since' (0 if
 * fewer).  0 or -1. */
int
queue_rejection_usage(struct spoold *sd, const char *owner, long long since,
    long n, long *kept, long long *bytes, long long *nth_at)
{
	sqlite3_stmt *st;

	*kept = 0;
	*bytes = 0;
	*nth_at = 0;
	st = db_prepare(sd, "SELECT count(*), ifnull(sum(size), 0) FROM"
	    " rejection WHERE owner = ? AND file IS NOT NULL");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*kept = (long)sqlite3_column_int64(st, 0);
		*bytes = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (n <= 0)
		return 0;
	st = db_prepare(sd, "SELECT at FROM rejection WHERE owner = ? AND"
	    " at > ? ORDER BY at DESC LIMIT 1 OFFSET ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, n - 1);
	if (sqlite3_step(st) == SQLITE_ROW)
		*nth_at = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Bytes of OWNER's job files still in the spool: the jobs not ended
 * and the ended ones whose file keep_files still keeps. */
long long
queue_user_bytes(struct spoold *sd, const char *owner)
{
	sqlite3_stmt *st;
	long long n = 0;

	st = db_prepare(sd, "SELECT ifnull(sum(size), 0) FROM job WHERE"
	    " owner = ? AND files_removed = 0");
	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The refusals of OWNER (every one's if OWNER is NULL), latest first. */
int
queue_rejection_list(struct spoold *sd, const char *owner,
    int (*cb)(const struct rejection_row *, void *), void *arg)
{
	struct rejection_row r;
	sqlite3_stmt *st;

	st = db_prepare(sd, owner ? "SELECT id, owner, uid, name,"
	    " ifnull(file, ''), size, reason, at FROM rejection WHERE owner ="
	    " ?1 ORDER BY at DESC, id DESC" : "SELECT id, owner, uid, name,"
	    " ifnull(file, ''), size, reason, at FROM rejection ORDER BY at"
	    " DESC, id DESC");
	if (st == NULL)
		return -1;
	if (owner)
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = (long)sqlite3_column_int64(st, 0);
		snprintf(r.owner, sizeof(r.owner), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		r.uid = (long)sqlite3_column_int64(st, 2);
		snprintf(r.name, sizeof(r.name), "%s",
		    (const char *)sqlite3_column_text(st, 3));
		snprintf(r.file, sizeof(r.file), "%s",
		    (const char *)sqlite3_column_text(st, 4));
		r.size = sqlite3_column_int64(st, 5);
		snprintf(r.reason, sizeof(r.reason), "%s",
		    (const char *)sqlite3_column_text(st, 6));
		r.at = sqlite3_column_int64(st, 7);
		if (cb(&r, arg) < 0)
			break;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Up to max refusals older than `before', taken out of the table and
 * given to the caller to remove their files.  The count, or -1. */
int
queue_rejection_expire(struct spoold *sd, long long before,
    struct rejection_row *rows, int max)
{
	sqlite3_stmt *st;
	int n = 0, i;

	st = db_prepare(sd, "SELECT id, owner, ifnull(file, '') FROM"
	    " rejection WHERE at <= ? ORDER BY at LIMIT ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int(st, 2, max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].id = (long)sqlite3_column_int64(st, 0);
		snprintf(rows[n].owner, sizeof(rows[n].owner), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		snprintf(rows[n].file, sizeof(rows[n].file), "%s",
		    (const char *)sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_finalize(st);
	if (n == 0 || db_exec(sd, "BEGIN IMMEDIATE", "expire") < 0)
		return n == 0 ? 0 : -1;
	for (i = 0; i < n; i++) {
		if ((st = db_prepare(sd, "DELETE FROM rejection WHERE id = ?")) ==
		    NULL)
			break;
		sqlite3_bind_int64(st, 1, rows[i].id);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (i < n || db_exec(sd, "COMMIT", "expire") < 0) {
		db_exec(sd, "ROLLBACK", "rollback");
		return -1;
	}
	return n;
}
