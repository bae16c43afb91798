/*
 * reject.c - files refused at ingest: kept for a while, counted against
 * their sender, swept, and a sender whose files keep being refused
 * refused for a while.
 *
 * A refused drop file moves to SPOOL/rejected/OWNER/ (drop.c) with a
 * .reason beside it; a file refused on the control socket is not kept.
 * Either way a row of the queue's rejection table records it, and:
 *
 *   - until keep_rejected has passed, a kept file counts against its
 *     sender's job limit (max_user_jobs, [user] max_jobs) and, for an
 *     SFTP account, its quota (the "usage" request gsftpd asks);
 *   - a sender with max_rejections refusals within rejection_window is
 *     refused before anything is read, until the oldest of them leaves
 *     the window: a drop file then waits in its folder, a submission is
 *     answered with the reason;
 *   - the sweep (sched.c, with the history's) removes the rows
 *     and files past keep_rejected;
 *   - its sender may remove a kept file sooner (gcancel --rejected, the
 *     control socket's remove-rejected): reject_remove() takes its row
 *     out and unlinks the file and its .reason, and it counts no more.
 *
 * At start-up, files a crash (or an older spoold) left in rejected/
 * without a row are given one, dated by their inode's change time (the
 * move into rejected/).
 *
 * Security: rejected/ is spoold's alone (mode 0700); users read their
 * refusals through gqueue and remove them through gcancel, never the
 * folder.  Names read back from the table, and a name a client asks to
 * remove, are checked (reject_file_ok(): no '/', no leading '.', so no
 * '..') before they are joined into a path, and a client's name is
 * looked up among its own rows first: only a file the table says is
 * the caller's is ever unlinked.  Diagnostics: each removal is logged
 * with who asked.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "spoold.h"
#include "util.h"

static void
span(char *buf, size_t sz, long long s)
{
	if (s >= 3600)
		snprintf(buf, sz, "%lldh %02lldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, sz, "%lldm %02llds", s / 60, s % 60);
	else
		snprintf(buf, sz, "%llds", s);
}

void
reject_usage(struct spoold *sd, const char *owner, struct reject_usage *u)
{
	long long now = (long long)time(NULL), nth = 0;

	memset(u, 0, sizeof(*u));
	u->jobs = queue_count_user(sd, owner);
	if (u->jobs < 0)
		u->jobs = 0;
	u->job_bytes = queue_user_bytes(sd, owner);
	if (queue_rejection_usage(sd, owner, now - sd->conf.rejection_window,
	    sd->conf.max_rejections, &u->rejected, &u->rejected_bytes,
	    &nth) < 0)
		return;
	if (nth > 0 && nth + sd->conf.rejection_window > now)
		u->refused_until = nth + sd->conf.rejection_window;
}

/* May OWNER send a file now?  0, or -1 with why: too many refusals of
 * late, or the job limit reached by its jobs and its refused files. */
int
reject_limits(struct spoold *sd, const char *owner, char *why, size_t whysz)
{
	struct reject_usage u;
	long long max_size, now = (long long)time(NULL);
	long max_jobs;
	char w[32], left[32];

	reject_usage(sd, owner, &u);
	if (u.refused_until > now) {
		span(w, sizeof(w), sd->conf.rejection_window);
		span(left, sizeof(left), u.refused_until - now);
		snprintf(why, whysz, "%s: %ld files refused within %s"
		    " (max_rejections): new files are refused for %s more",
		    owner, sd->conf.max_rejections, w, left);
		return -1;
	}
	conf_user_limits(&sd->conf, owner, &max_size, &max_jobs);
	if (max_jobs > 0 && u.jobs + u.rejected >= max_jobs) {
		if (u.rejected == 0)
			snprintf(why, whysz, "%s has %ld jobs waiting or"
			    " printing, the most allowed", owner, u.jobs);
		else
			snprintf(why, whysz, "%s has %ld jobs waiting or"
			    " printing and %ld refused files kept"
			    " (keep_rejected), %ld in all, the most allowed",
			    owner, u.jobs, u.rejected, max_jobs);
		return -1;
	}
	return 0;
}

void
reject_note(struct spoold *sd, const char *owner, uid_t uid,
    const char *name, const char *file, long long size, const char *reason)
{
	struct reject_usage u;
	char clean[256], w[32];

	clean_text(clean, sizeof(clean), name);
	if (queue_rejection_add(sd, owner, uid, clean, file, size, reason,
	    (long long)time(NULL)) < 0)
		return;
	if (sd->conf.max_rejections <= 0)
		return;
	reject_usage(sd, owner, &u);
	if (u.refused_until > 0) {
		span(w, sizeof(w), sd->conf.rejection_window);
		log_warnx("%s: %ld files refused within %s: new files refused"
		    " until %lld", owner, sd->conf.max_rejections, w,
		    u.refused_until);
	}
}

/* A name read back from the table, safe to join into a path. */
static int
component_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL &&
	    strlen(s) < 256;
}

int
reject_file_ok(const char *s)
{
	return component_ok(s);
}

/* Unlink rejected/OWNER/FILE and its .reason. */
static void
unlink_kept(struct spoold *sd, const char *owner, const char *file)
{
	char *path;

	path = xasprintf("%s/%s/%s", sd->dir_rejected, owner, file);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("rejected: %s", path);
	free(path);
	path = xasprintf("%s/%s/%s.reason", sd->dir_rejected, owner, file);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("rejected: %s", path);
	free(path);
}

/* Remove the refused file of row R now, at BY's request: its row leaves
 * the table (it counts no more), then the file and its reason go.  0,
 * or -1 with why. */
int
reject_remove(struct spoold *sd, const struct rejection_row *r,
    const char *by, char *why, size_t whysz)
{
	sqlite3_stmt *st;
	int rc;

	if (!name_is_safe(r->owner, USER_MAX - 1) ||
	    !component_ok(r->file)) {
		snprintf(why, whysz, "%s: not a refused file's name",
		    r->file);
		return -1;
	}
	if (sqlite3_prepare_v2(sd->db, "DELETE FROM rejection WHERE id = ?",
	    -1, &st, NULL) != SQLITE_OK) {
		snprintf(why, whysz, "the queue: %s", sqlite3_errmsg(sd->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(why, whysz, "the queue: %s", sqlite3_errmsg(sd->db));
		return -1;
	}
	unlink_kept(sd, r->owner, r->file);
	log_info("rejected/%s/%s removed at %s's request", r->owner, r->file,
	    by);
	return 0;
}

int
reject_expire(struct spoold *sd, long long now, int max)
{
	struct rejection_row *rows;
	int n, i;

	if (max > 64)
		max = 64;
	rows = xcalloc((size_t)max, sizeof(*rows));
	n = queue_rejection_expire(sd, now - sd->conf.keep_rejected, rows,
	    max);
	for (i = 0; i < n; i++) {
		if (rows[i].file[0] == '\0')
			continue;
		if (!name_is_safe(rows[i].owner, USER_MAX - 1) ||
		    !component_ok(rows[i].file)) {
			log_warnx("rejected: a row names '%s/%s'; left alone",
			    rows[i].owner, rows[i].file);
			continue;
		}
		unlink_kept(sd, rows[i].owner, rows[i].file);
		log_info("rejected/%s/%s removed: kept for keep_rejected",
		    rows[i].owner, rows[i].file);
	}
	free(rows);
	return n;
}

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* The reason kept beside rejected/OWNER/FILE, as drop.c wrote it. */
static void
read_reason(int dfd, const char *file, char *out, size_t outsz)
{
	char *name = xasprintf("%s.reason", file), buf[512];
	ssize_t n = -1;
	int fd;

	snprintf(out, outsz, "refused (its reason is lost)");
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(name);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		clean_text(out, outsz, buf);
	}
}

static void
adopt_folder(struct spoold *sd, const char *owner)
{
	struct passwd *pw;
	struct dirent *de;
	struct stat st;
	char reason[512];
	uid_t uid = VIRTUAL_UID;
	char *dir;
	DIR *d;

	if (conf_account(&sd->conf, owner) == NULL &&
	    (pw = getpwnam(owner)) != NULL)
		uid = pw->pw_uid;
	dir = xasprintf("%s/%s", sd->dir_rejected, owner);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!component_ok(de->d_name) || has_suffix(de->d_name,
		    ".reason") || fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    queue_rejection_known(sd, owner, de->d_name) != 0)
			continue;
		read_reason(dirfd(d), de->d_name, reason, sizeof(reason));
		if (queue_rejection_add(sd, owner, uid, de->d_name, de->d_name,
		    (long long)st.st_size, reason, (long long)st.st_ctim.tv_sec)
		    == 0)
			log_info("rejected/%s/%s: counted (found without its"
			    " record)", owner, de->d_name);
	}
	closedir(d);
	free(dir);
}

void
reject_adopt(struct spoold *sd)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(sd->dir_rejected)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (name_is_safe(de->d_name, USER_MAX - 1) &&
		    de->d_type == DT_DIR) {
			char *owner = xstrdup(de->d_name);

			adopt_folder(sd, owner);
			free(owner);
		}
	closedir(d);
}
