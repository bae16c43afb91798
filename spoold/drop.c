/*
 * drop.c - the drop folders: SPOOL/drop/<user>/.
 *
 * A file copied or renamed into a user's drop folder becomes that user's
 * job on the default printer; in a subfolder named after a printer or a
 * class (drop/<user>/<dest>/), a job for it.  Events from
 * libinotifytools are hints: a file renamed into a folder is taken at
 * once; one closed after writing is taken when it has stayed the same
 * (size and mtime) for the quiet period, so a client that writes in
 * several goes is not cut short.  Scans are the truth: at start-up,
 * after an inotify queue overflow and every minute, so nothing dropped
 * while spoold was down or busy is lost.
 *
 * libinotifytools keeps one instance per process in static state and
 * does not give its descriptor away: drop_init() finds it under
 * /proc/self/fd so the event loop can poll it, and events are drained
 * with a zero timeout, which does not block.
 *
 * Security: the folder belongs to its user, who may put anything there.
 * The folder must be owned by the user it is named for; a file is opened
 * without following links, must be a regular file with one link, owned
 * by that user.  Anything else is rejected, never followed.
 *
 * Crash safety: the job is committed before the dropped file is removed;
 * a crash in between leaves a file whose identity (path, device, inode,
 * mtime) the queue remembers, and the next scan removes it instead of
 * queueing it twice.
 *
 * Diagnostics: a rejected file moves to SPOOL/rejected/<user>/ with a
 * NAME.reason file beside it that says what and where; reject.c counts
 * it against its sender until keep_rejected has passed, and holds a
 * sender's files in the folder while it is refused for a while.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "crash.h"
#include "log.h"
#include "priv.h"
#include "spoold.h"
#include "util.h"

#define DROP_MAXWATCHES	4096
#define DROP_MAXPENDING	4096
#define DROP_RESCAN_MS	60000
#define USER_EVENTS	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
#define ROOT_EVENTS	(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

/* A watched folder: drop/<user> (sub NULL) or drop/<user>/<dest>. */
struct drop_watch {
	int	 wd;
	char	*user;
	char	*sub;
};

/* A file closed after writing, waiting out its quiet period. */
struct drop_pending {
	char		*user, *sub, *name;
	long long	 size, mtime_ns;
	long long	 due;		/* monotonic ms */
};

static struct drop_watch watches[DROP_MAXWATCHES];
static size_t nwatches;
static struct drop_pending pending[DROP_MAXPENDING];
static size_t npending;
static long long next_rescan;
static struct ev_timer *drop_timer;	/* the first of those times */
static void	drop_arm(void);
static int root_wd = -1;

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* Temporary names of uploaders and editors: wait for the rename. */
static int
drop_ignored(const char *name)
{
	static const char *const suffixes[] = {
		".filepart", ".part", ".tmp", "~", ".reason", ".options",
	};
	size_t i;

	if (name[0] == '.' || name[0] == '\0')
		return 1;
	for (i = 0; i < nitems(suffixes); i++)
		if (has_suffix(name, suffixes[i]))
			return 1;
	return 0;
}

static int
find_inotify_fd(void)
{
	char link[300], target[64];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int fd = -1;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:inotify") == 0) {
			fd = atoi(de->d_name);
			break;
		}
	}
	closedir(d);
	return fd;
}

/* The library keeps a directory's name with a '/' appended. */
static int
watch_wd(const char *path)
{
	char *slash;
	int wd;

	if ((wd = inotifytools_wd_from_filename(path)) >= 0)
		return wd;
	slash = xasprintf("%s/", path);
	wd = inotifytools_wd_from_filename(slash);
	free(slash);
	return wd;
}

static char *
folder_path(struct spoold *sd, const char *user, const char *sub)
{
	return sub ? xasprintf("%s/%s/%s", sd->dir_drop, user, sub) :
	    xasprintf("%s/%s", sd->dir_drop, user);
}

static void
drop_watch_folder(struct spoold *sd, const char *user, const char *sub)
{
	char *path;
	size_t i;
	int wd;

	for (i = 0; i < nwatches; i++)
		if (strcmp(watches[i].user, user) == 0 &&
		    (sub == NULL ? watches[i].sub == NULL :
		    watches[i].sub != NULL && strcmp(watches[i].sub, sub) == 0))
			return;
	path = folder_path(sd, user, sub);
	if (nwatches == DROP_MAXWATCHES) {
		log_warnx("drop: more than %d folders; %s is scanned, not"
		    " watched", DROP_MAXWATCHES, path);
		free(path);
		return;
	}
	if (!inotifytools_watch_file(path, USER_EVENTS)) {
		errno = inotifytools_error();
		log_warn("drop: cannot watch %s", path);
		free(path);
		return;
	}
	wd = watch_wd(path);
	free(path);
	watches[nwatches].wd = wd;
	watches[nwatches].user = xstrdup(user);
	watches[nwatches].sub = sub ? xstrdup(sub) : NULL;
	nwatches++;
}

static struct ev_io *ino_io;
static void	drop_events(int, int, void *);
static void	drop_tick(void *);

int
drop_init(struct spoold *sd)
{
	if (!inotifytools_initialize()) {
		errno = inotifytools_error();
		log_warn("drop: cannot start inotify");
		return -1;
	}
	if ((sd->ino_fd = find_inotify_fd()) < 0) {
		log_warnx("drop: cannot find the inotify descriptor");
		return -1;
	}
	fd_set_cloexec(sd->ino_fd);
	if (!inotifytools_watch_file(sd->dir_drop, ROOT_EVENTS)) {
		errno = inotifytools_error();
		log_warn("drop: cannot watch %s", sd->dir_drop);
		return -1;
	}
	if ((root_wd = watch_wd(sd->dir_drop)) < 0) {
		log_warnx("drop: no watch descriptor for %s", sd->dir_drop);
		return -1;
	}
	ino_io = ev_io_add(sd->ev, sd->ino_fd, EV_READ, drop_events, sd);
	drop_timer = ev_timer_new(sd->ev, drop_tick, sd);
	drop_arm();
	return 0;
}

/* Move a refused file to rejected/USER/ with its reason, and record it
 * (reject.c): it counts against USER until keep_rejected has passed. */
static void
drop_reject(struct spoold *sd, const char *user, uid_t uid, int dfd,
    const char *name, const char *reason)
{
	char *rdir, *rname = NULL, *rpath;
	struct stat st;
	long long size = 0;
	int rfd, i, fd;
	FILE *fp;

	log_warnx("drop: %s/%s/%s rejected: %s", sd->dir_drop, user, name,
	    reason);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		size = (long long)st.st_size;
	rdir = xasprintf("%s/%s", sd->dir_rejected, user);
	if (mkdir_exist_ok(rdir, 0700) < 0 ||
	    (rfd = open(rdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_warn("drop: cannot use %s; removing %s", rdir, name);
		unlinkat(dfd, name, 0);
		reject_note(sd, user, uid, name, NULL, 0, reason);
		free(rdir);
		return;
	}
	/* One an older spoold made open to all is closed (gspool(7)). */
	if (fstat(rfd, &st) == 0 && (st.st_mode & 077) != 0 &&
	    st.st_uid == geteuid())
		fchmod(rfd, 0700);
	for (i = 0; i < 1000; i++) {
		free(rname);
		rname = i == 0 ? xstrdup(name) : xasprintf("%s.%d", name, i);
		if (faccessat(rfd, rname, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			break;
	}
	if (renameat(dfd, name, rfd, rname) < 0) {
		log_warn("drop: cannot move %s to %s; removing it", name, rdir);
		unlinkat(dfd, name, 0);
		reject_note(sd, user, uid, name, NULL, 0, reason);
	} else {
		rpath = xasprintf("%s.reason", rname);
		fd = openat(rfd, rpath, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && (fp = fdopen(fd, "w")) != NULL) {
			fprintf(fp, "%s: %s\n", name, reason);
			fclose(fp);
		} else if (fd >= 0)
			close(fd);
		free(rpath);
		fsync(rfd);
		/* A crash before this row: the next start counts the file
		 * (reject_adopt()). */
		reject_note(sd, user, uid, name, rname, size, reason);
	}
	close(rfd);
	free(rname);
	free(rdir);
}

/*
 * NAME.options, written before NAME: the job's options, one "key =
 * value" a line (gspool(7), "Options beside a dropped file"): title,
 * copies, priority, hold, hold-until.  0 (none is 0 too), or -1 with
 * the reason.  *title is the given title or NULL (free it).
 */
#define OPTIONS_MAX	4096

/* A forward id: 1 to FORWARD_ID_MAX of [A-Za-z0-9._-], which a sender
 * may make of a host's name and a job's number. */
static int
forward_id_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-");

	return n > 0 && n <= FORWARD_ID_MAX && s[n] == '\0';
}

static int
drop_options(int dfd, const char *name, uid_t owner, struct job_opts *o,
    char **title, char *reason, size_t reasonsz)
{
	char buf[OPTIONS_MAX + 1], *line, *next, *key, *val, *e;
	struct stat st;
	ssize_t n;
	long v;
	int fd, lineno = 0;
	char *oname = xasprintf("%s.options", name);

	*title = NULL;
	memset(o, 0, sizeof(*o));
	o->priority = 50;
	o->copies = 1;
	fd = openat(dfd, oname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(oname);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(reason, reasonsz, "%s.options: %s", name,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != owner ||
	    st.st_size > OPTIONS_MAX) {
		close(fd);
		snprintf(reason, reasonsz, "%s.options: not a regular file of"
		    " the folder's owner of at most %d bytes", name,
		    OPTIONS_MAX);
		return -1;
	}
	n = read(fd, buf, OPTIONS_MAX);
	close(fd);
	if (n < 0) {
		snprintf(reason, reasonsz, "%s.options: %s", name,
		    strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((e = strchr(line, '\r')) != NULL && e[1] == '\0')
			*e = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		if ((val = strchr(line, '=')) == NULL)
			goto bad;
		for (e = val; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		key = line;
		for (val++; *val == ' ' || *val == '\t'; val++)
			;
		for (e = val + strlen(val); e > val && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (strcmp(key, "title") == 0 && *val != '\0' &&
		    strlen(val) < 256) {
			char clean[256];

			clean_text(clean, sizeof(clean), val);
			free(*title);
			*title = xstrdup(clean);
		} else if (strcmp(key, "copies") == 0 &&
		    parse_long(val, 1, 100, &v) == 0)
			o->copies = (int)v;
		else if (strcmp(key, "priority") == 0 &&
		    parse_long(val, 1, 100, &v) == 0)
			o->priority = (int)v;
		else if (strcmp(key, "hold") == 0 && (strcmp(val, "yes") == 0 ||
		    strcmp(val, "no") == 0))
			o->hold = val[0] == 'y';
		else if (strcmp(key, "hold-until") == 0 &&
		    (o->hold_until = parse_hold(val, time(NULL))) >= 0)
			o->hold = 1;
		else if (strcmp(key, "forward-id") == 0) {
			if (!forward_id_ok(val)) {
				char clean[FORWARD_ID_MAX + 8];

				clean_text(clean, sizeof(clean), val);
				snprintf(reason, reasonsz, "%s.options line %d:"
				    " forward-id '%s%s': 1 to %d letters,"
				    " digits, '.', '_' or '-'", name, lineno,
				    clean, strlen(val) >= sizeof(clean) - 1 ?
				    "..." : "", FORWARD_ID_MAX);
				goto refused;
			}
			snprintf(o->forward, sizeof(o->forward), "%s", val);
		} else
			goto bad;
	}
	return 0;
bad:
	snprintf(reason, reasonsz, "%s.options line %d: expected title,"
	    " copies (1-100), priority (1-100), hold (yes/no), hold-until"
	    " (as gprint --hold-until) or forward-id = value", name, lineno);
refused:
	free(*title);
	*title = NULL;
	return -1;
}

/* The options sidecar is removed once its file is queued (first: the
 * job holds the options, and a file taken again after a crash is known
 * by its identity) or rejected (after: taken again without its options,
 * a file refused for them could be queued). */
static void
drop_options_done(int dfd, const char *name)
{
	char *oname = xasprintf("%s.options", name);

	unlinkat(dfd, oname, 0);
	free(oname);
}

/* An options file whose G-code has not come for a day is removed at a
 * rescan, so that it does not apply to a later upload of that name. */
#define OPTIONS_ORPHAN_S	(24 * 3600)

static void
drop_options_orphan(int dfd, const char *dir, const char *oname,
    const struct stat *st, time_t now)
{
	size_t n = strlen(oname) - strlen(".options");
	char *name;
	struct stat gst;

	if (!S_ISREG(st->st_mode) || n == 0 ||
	    now - st->st_mtim.tv_sec < OPTIONS_ORPHAN_S)
		return;
	name = xasprintf("%.*s", (int)n, oname);
	if (fstatat(dfd, name, &gst, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT && unlinkat(dfd, oname, 0) == 0)
		log_info("drop: %s/%s removed: no %s came within a day", dir,
		    oname, name);
	free(name);
}

/* A re-sent file whose forward id is job id already: it is answered as
 * that job (the sender finds it by its forward id, as it would a new
 * one) and goes, with its options, as a queued file's do. */
static void
drop_known(struct spoold *sd, int dfd, const char *name, const char *path,
    const char *user, const char *fwd, long id)
{
	log_info("%s: %s from %s has its forward id %s: no second job; the"
	    " copy is removed", queue_job_name(sd, id, NULL), path, user, fwd);
	crash_point("known");
	drop_options_done(dfd, name);
	crash_point("options-removed");
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		log_warn("drop: cannot remove %s", path);
	fsync(dfd);
	crash_point("removed");
}

/* A drop file being taken in: what its end needs. */
struct taking {
	int	 dfd;			/* its folder */
	uid_t	 uid;			/* its sender's, VIRTUAL_UID an account's */
	char	*user, *name, *path, *printer;
};

/* The worker is done with a drop file: once its job is committed, its
 * options and then the file go (a crash in between takes it again,
 * known by its identity, never twice); a refused file goes to
 * rejected/ with its reason; one not taken now waits for a scan. */
static void
drop_done(struct spoold *sd, void *arg, long id, const char *reason,
    const struct job_opts *o)
{
	struct taking *t = arg;

	if (id > 0 && strncmp(reason, INGEST_KNOWN, strlen(INGEST_KNOWN)) ==
	    0)
		drop_known(sd, t->dfd, t->name, t->path, t->user, o->forward,
		    id);
	else if (id > 0) {
		log_info("%s: queued from %s for %s", queue_job_name(sd, id,
		    t->printer),
		    t->path, t->user);
		drop_options_done(t->dfd, t->name);
		crash_point("options-removed");
		if (unlinkat(t->dfd, t->name, 0) < 0)
			log_warn("drop: cannot remove %s", t->path);
		fsync(t->dfd);
		crash_point("removed");
		if (o->hold_until && (sd->next_release == 0 ||
		    o->hold_until < sd->next_release))
			sd->next_release = o->hold_until;
		sched_kick(sd);
	} else if (id == 0) {
		drop_reject(sd, t->user, t->uid, t->dfd, t->name, reason);
		drop_options_done(t->dfd, t->name);
	} else
		log_warnx("drop: %s left for the next scan: %s", t->path,
		    reason);
	close(t->dfd);
	free(t->user);
	free(t->name);
	free(t->path);
	free(t->printer);
	free(t);
}

static void
drop_take(struct spoold *sd, const char *user, const char *sub,
    const char *name)
{
	const char *printer = sub ? sub : sd->conf.default_printer;
	struct drop_id di;
	struct job_opts o;
	struct passwd *pw;
	struct stat dst, st;
	char reason[512];
	char *dir, *path, *title = NULL;
	struct taking *t;
	uid_t uid;
	gid_t gid;
	long id;
	int dfd, fd;

	if (drop_ignored(name))
		return;
	dir = folder_path(sd, user, sub);
	path = xasprintf("%s/%s", dir, name);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &dst) < 0) {
		log_warn("drop: %s", dir);
		goto out;
	}
	/* An SFTP account's folder belongs to gsftpd's user (gsftpd(8):
	 * it writes there, spoold's group takes), or to spoold's own user
	 * if gsftpd runs as it; its jobs are the account's. */
	if (conf_account(&sd->conf, user) != NULL && (dst.st_uid == getuid() ||
	    (priv_lookup(sd->conf.sftp.user, &uid, &gid, reason,
	    sizeof(reason)) == 0 && uid != 0 && dst.st_uid == uid)))
		uid = VIRTUAL_UID;
	else if ((pw = getpwnam(user)) != NULL && pw->pw_uid == dst.st_uid)
		uid = pw->pw_uid;
	else {
		log_warnx("drop: %s is not owned by a user named %s; its"
		    " files are left alone", dir, user);
		goto out;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			goto out;	/* gone already */
		if (errno == ELOOP)
			drop_reject(sd, user, uid, dfd, name, "a symbolic link;"
			    " drop the file itself");
		else {
			snprintf(reason, sizeof(reason), "cannot open: %s",
			    strerror(errno));
			drop_reject(sd, user, uid, dfd, name, reason);
		}
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		drop_reject(sd, user, uid, dfd, name, "not a regular file");
		goto out;
	}
	if (st.st_nlink != 1) {
		close(fd);
		drop_reject(sd, user, uid, dfd, name, "the file has other hard"
		    " links; drop a copy");
		goto out;
	}
	if (st.st_uid != dst.st_uid) {
		close(fd);
		drop_reject(sd, user, uid, dfd, name, "the file belongs to"
		    " another user");
		goto out;
	}
	di.path = path;
	di.dev = (long long)st.st_dev;
	di.ino = (long long)st.st_ino;
	di.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL +
	    st.st_mtim.tv_nsec;
	if (ingest_busy(&di)) {
		close(fd);
		goto out;	/* being taken in already */
	}
	if ((id = queue_drop_seen(sd, &di)) > 0) {
		close(fd);
		log_info("drop: %s is already %s; removing it", path,
		    queue_job_name(sd, id, NULL));
		drop_options_done(dfd, name);
		unlinkat(dfd, name, 0);
		fsync(dfd);
		goto out;
	}
	/* A sender refused for a while (too many refusals, or its job
	 * limit reached): the file waits in its folder for a later scan. */
	if (reject_limits(sd, user, reason, sizeof(reason)) < 0) {
		close(fd);
		log_debug("drop: %s waits: %s", path, reason);
		goto out;
	}
	if (drop_options(dfd, name, dst.st_uid, &o, &title, reason,
	    sizeof(reason)) < 0) {
		close(fd);
		drop_reject(sd, user, uid, dfd, name, reason);
		drop_options_done(dfd, name);
		goto out;
	}
	/* Its forward id known: no worker needed (queue_add() looks again,
	 * for copies taken in side by side). */
	if (o.forward[0] != '\0' && (id = queue_forward_find(sd, user,
	    o.forward)) > 0) {
		close(fd);
		drop_known(sd, dfd, name, path, user, o.forward, id);
		goto out;
	}
	/* Taken in by a worker: the file goes once its job is committed
	 * (drop_done). */
	t = xcalloc(1, sizeof(*t));
	t->dfd = dfd;
	dfd = -1;
	t->uid = uid;
	t->user = xstrdup(user);
	t->name = xstrdup(name);
	t->path = xstrdup(path);
	t->printer = xstrdup(printer);
	ingest_submit(sd, fd, printer, user, uid, title ? title : name, &o,
	    &di, drop_done, t);
	close(fd);
out:
	if (dfd >= 0)
		close(dfd);
	free(title);
	free(path);
	free(dir);
}

/* A file written and closed: taken once it has been quiet.  Returns 1
 * if it was put to wait. */
static int
drop_wait(struct spoold *sd, const char *user, const char *sub,
    const char *name, const struct stat *st, long long now)
{
	long long mtime = (long long)st->st_mtim.tv_sec * 1000000000LL +
	    st->st_mtim.tv_nsec;
	size_t i;

	for (i = 0; i < npending; i++)
		if (strcmp(pending[i].name, name) == 0 &&
		    strcmp(pending[i].user, user) == 0 &&
		    (sub == NULL ? pending[i].sub == NULL :
		    pending[i].sub && strcmp(pending[i].sub, sub) == 0))
			break;
	if (i == npending) {
		if (npending == DROP_MAXPENDING)
			return 0;	/* the next scan takes it */
		pending[i].user = xstrdup(user);
		pending[i].sub = sub ? xstrdup(sub) : NULL;
		pending[i].name = xstrdup(name);
		npending++;
	}
	pending[i].size = (long long)st->st_size;
	pending[i].mtime_ns = mtime;
	pending[i].due = now + sd->conf.drop_quiet_ms;
	drop_arm();
	return 1;
}

/* What is in a folder: regular files are taken (or wait out their quiet
 * period if they changed lately), a user's printer subfolders are
 * watched and scanned, anything else is taken to be refused. */
static void
drop_scan_folder(struct spoold *sd, const char *user, const char *sub)
{
	struct dirent *de;
	struct stat st;
	struct timespec ts;
	long long now = monotonic_ms(), age_ms;
	char *dir;
	DIR *d;

	dir = folder_path(sd, user, sub);
	if ((d = opendir(dir)) == NULL) {
		log_warn("drop: %s", dir);
		free(dir);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (drop_ignored(de->d_name)) {
			if (has_suffix(de->d_name, ".options") &&
			    fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
				drop_options_orphan(dirfd(d), dir, de->d_name,
				    &st, ts.tv_sec);
			continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (sub == NULL && dest_known(sd, de->d_name)) {
				/* readdir's entry is reused by the scan
				 * below: keep the name. */
				char *name = xstrdup(de->d_name);

				drop_watch_folder(sd, user, name);
				drop_scan_folder(sd, user, name);
				free(name);
			}
			continue;
		}
		age_ms = ((long long)ts.tv_sec - st.st_mtim.tv_sec) * 1000 +
		    (ts.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
		if (S_ISREG(st.st_mode) && age_ms < sd->conf.drop_quiet_ms &&
		    drop_wait(sd, user, sub, de->d_name, &st, now))
			continue;
		drop_take(sd, user, sub, de->d_name);
	}
	closedir(d);
	free(dir);
}

void
drop_scan(struct spoold *sd)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(sd->dir_drop)) == NULL) {
		log_warn("drop: %s", sd->dir_drop);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		if (!name_is_safe(de->d_name, USER_MAX - 1))
			continue;
		drop_watch_folder(sd, de->d_name, NULL);
		drop_scan_folder(sd, de->d_name, NULL);
	}
	closedir(d);
	next_rescan = monotonic_ms() + DROP_RESCAN_MS;
	drop_arm();
}

/* Files whose quiet period is over; the minute's rescan. */
static void
drop_tick(void *arg)
{
	struct spoold *sd = arg;
	long long now = monotonic_ms();
	struct stat st;
	char *path;
	size_t i = 0;

	while (i < npending) {
		struct drop_pending *p = &pending[i];

		if (now < p->due) {
			i++;
			continue;
		}
		path = xasprintf("%s/%s%s%s/%s", sd->dir_drop, p->user,
		    p->sub ? "/" : "", p->sub ? p->sub : "", p->name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    ((long long)st.st_size != p->size ||
		    (long long)st.st_mtim.tv_sec * 1000000000LL +
		    st.st_mtim.tv_nsec != p->mtime_ns)) {
			/* Still being written: wait again. */
			drop_wait(sd, p->user, p->sub, p->name, &st, now);
			free(path);
			i++;
			continue;
		}
		free(path);
		{
			char *user = p->user, *sub = p->sub, *name = p->name;

			pending[i] = pending[--npending];
			drop_take(sd, user, sub, name);
			free(user);
			free(sub);
			free(name);
		}
	}
	if (now >= next_rescan)
		drop_scan(sd);
	drop_arm();
}

static void
drop_arm(void)
{
	long long t = next_rescan;
	size_t i;

	for (i = 0; i < npending; i++)
		if (pending[i].due < t)
			t = pending[i].due;
	if (drop_timer != NULL)
		ev_timer_at(drop_timer, t);
}

static void
drop_events(int fd, int revents, void *arg)
{
	struct spoold *sd = arg;
	struct inotify_event *ev;
	size_t i;

	(void)fd;
	(void)revents;
	while ((ev = inotifytools_next_events(0, 1)) != NULL) {
		if (ev->mask & IN_Q_OVERFLOW) {
			log_warnx("drop: inotify queue overflow; rescanning");
			drop_scan(sd);
			continue;
		}
		if (ev->len == 0)
			continue;
		if (ev->wd == root_wd) {
			if ((ev->mask & IN_ISDIR) &&
			    name_is_safe(ev->name, USER_MAX - 1)) {
				char name[USER_MAX];

				snprintf(name, sizeof(name), "%s", ev->name);
				drop_watch_folder(sd, name, NULL);
				drop_scan_folder(sd, name, NULL);
			}
			continue;
		}
		for (i = 0; i < nwatches; i++) {
			struct drop_watch *w = &watches[i];
			char name[NAME_MAX + 1];
			struct stat st;
			char *path;

			if (w->wd != ev->wd)
				continue;
			/* The library reuses ev: copy the name. */
			snprintf(name, sizeof(name), "%s", ev->name);
			if (ev->mask & IN_ISDIR) {
				/* A printer's subfolder appears. */
				if (w->sub == NULL && (ev->mask & (IN_CREATE |
				    IN_MOVED_TO)) && dest_known(sd, name)) {
					drop_watch_folder(sd, w->user, name);
					drop_scan_folder(sd, w->user, name);
				}
				break;
			}
			if (drop_ignored(name))
				break;
			path = xasprintf("%s/%s%s%s/%s", sd->dir_drop,
			    w->user, w->sub ? "/" : "", w->sub ? w->sub : "",
			    name);
			if (lstat(path, &st) < 0) {
				free(path);
				break;
			}
			free(path);
			/* A regular file is taken once written (and quiet);
			 * a link, FIFO or device never will be: refuse it
			 * now.  Renamed in: whole, take it. */
			if ((ev->mask & IN_CREATE) && S_ISREG(st.st_mode))
				break;
			if ((ev->mask & IN_CLOSE_WRITE) &&
			    drop_wait(sd, w->user, w->sub, name, &st,
			    monotonic_ms()))
				break;
			drop_take(sd, w->user, w->sub, name);
			break;
		}
	}
}
