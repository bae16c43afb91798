/*
 * drop.c - the drop folders: SPOOL/drop/<user>/.
 *
 * A file copied or renamed into a user's drop folder becomes that user's
 * job on the default printer.  Events from libinotifytools are hints: a
 * file is taken when it was closed after writing or renamed into the
 * folder; the start-up scan and a scan after every queue overflow are
 * the truth, so nothing dropped while spoold was down or busy is lost.
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
 * NAME.reason file beside it that says what and where.
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
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "log.h"
#include "spoold.h"
#include "util.h"

#define DROP_MAXUSERS	1024
#define USER_EVENTS	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
#define ROOT_EVENTS	(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

struct drop_watch {
	int	 wd;
	char	*user;
};

static struct drop_watch watches[DROP_MAXUSERS];
static size_t nwatches;
static int root_wd = -1;

/* Temporary names of uploaders and editors: wait for the rename. */
static int
drop_ignored(const char *name)
{
	static const char *const suffixes[] = {
		".filepart", ".part", ".tmp", "~", ".reason",
	};
	size_t i, n = strlen(name), k;

	if (name[0] == '.' || n == 0)
		return 1;
	for (i = 0; i < nitems(suffixes); i++) {
		k = strlen(suffixes[i]);
		if (n >= k && strcmp(name + n - k, suffixes[i]) == 0)
			return 1;
	}
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

static void
drop_watch_user(struct spoold *sd, const char *user)
{
	char *path;
	size_t i;
	int wd;

	for (i = 0; i < nwatches; i++)
		if (strcmp(watches[i].user, user) == 0)
			return;
	if (nwatches == DROP_MAXUSERS) {
		log_warnx("drop: more than %d user folders; %s is scanned"
		    " at start-up only", DROP_MAXUSERS, user);
		return;
	}
	path = xasprintf("%s/%s", sd->dir_drop, user);
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
	nwatches++;
}

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
	return 0;
}

static void
drop_reject(struct spoold *sd, const char *user, int dfd, const char *name,
    const char *reason)
{
	char *rdir, *rname = NULL, *rpath;
	int rfd, i, fd;
	FILE *fp;

	log_warnx("drop: %s/%s/%s rejected: %s", sd->dir_drop, user, name,
	    reason);
	rdir = xasprintf("%s/%s", sd->dir_rejected, user);
	if (mkdir_exist_ok(rdir, 0755) < 0 ||
	    (rfd = open(rdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_warn("drop: cannot use %s; removing %s", rdir, name);
		unlinkat(dfd, name, 0);
		free(rdir);
		return;
	}
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
	} else {
		rpath = xasprintf("%s.reason", rname);
		fd = openat(rfd, rpath, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 && (fp = fdopen(fd, "w")) != NULL) {
			fprintf(fp, "%s: %s\n", name, reason);
			fclose(fp);
		} else if (fd >= 0)
			close(fd);
		free(rpath);
		fsync(rfd);
	}
	close(rfd);
	free(rname);
	free(rdir);
}

static void
drop_take(struct spoold *sd, const char *user, const char *name)
{
	struct drop_id di;
	struct passwd *pw;
	struct stat dst, st;
	char reason[512];
	char *dir, *path;
	long id;
	int dfd, fd;

	if (drop_ignored(name))
		return;
	dir = xasprintf("%s/%s", sd->dir_drop, user);
	path = xasprintf("%s/%s", dir, name);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &dst) < 0) {
		log_warn("drop: %s", dir);
		goto out;
	}
	if ((pw = getpwnam(user)) == NULL || pw->pw_uid != dst.st_uid) {
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
			drop_reject(sd, user, dfd, name, "a symbolic link;"
			    " drop the file itself");
		else {
			snprintf(reason, sizeof(reason), "cannot open: %s",
			    strerror(errno));
			drop_reject(sd, user, dfd, name, reason);
		}
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		drop_reject(sd, user, dfd, name, "not a regular file");
		goto out;
	}
	if (st.st_nlink != 1) {
		close(fd);
		drop_reject(sd, user, dfd, name, "the file has other hard"
		    " links; drop a copy");
		goto out;
	}
	if (st.st_uid != dst.st_uid) {
		close(fd);
		drop_reject(sd, user, dfd, name, "the file belongs to"
		    " another user");
		goto out;
	}
	di.path = path;
	di.dev = (long long)st.st_dev;
	di.ino = (long long)st.st_ino;
	di.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL +
	    st.st_mtim.tv_nsec;
	if ((id = queue_drop_seen(sd, &di)) > 0) {
		close(fd);
		log_info("drop: %s is already job %ld; removing it", path, id);
		unlinkat(dfd, name, 0);
		fsync(dfd);
		goto out;
	}
	id = ingest_fd(sd, fd, sd->conf.default_printer, user, pw->pw_uid,
	    name, &di, reason, sizeof(reason));
	close(fd);
	if (id > 0) {
		log_info("%s-%ld: queued from %s for %s",
		    sd->conf.default_printer, id, path, user);
		if (unlinkat(dfd, name, 0) < 0)
			log_warn("drop: cannot remove %s", path);
		fsync(dfd);
		printer_dispatch(sd);
	} else if (id == 0)
		drop_reject(sd, user, dfd, name, reason);
	else
		log_warnx("drop: %s left for the next scan: %s", path, reason);
out:
	if (dfd >= 0)
		close(dfd);
	free(path);
	free(dir);
}

static int
drop_is_regular(struct spoold *sd, const char *user, const char *name)
{
	struct stat st;
	char *path = xasprintf("%s/%s/%s", sd->dir_drop, user, name);
	int r;

	r = lstat(path, &st) < 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
	free(path);
	return r;
}

static void
drop_scan_user(struct spoold *sd, const char *user)
{
	struct dirent *de;
	char *dir;
	DIR *d;

	dir = xasprintf("%s/%s", sd->dir_drop, user);
	if ((d = opendir(dir)) == NULL) {
		log_warn("drop: %s", dir);
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type == DT_DIR)
			continue;
		drop_take(sd, user, de->d_name);
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
		drop_watch_user(sd, de->d_name);
		drop_scan_user(sd, de->d_name);
	}
	closedir(d);
}

void
drop_events(struct spoold *sd)
{
	struct inotify_event *ev;
	size_t i;

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
				drop_watch_user(sd, name);
				drop_scan_user(sd, name);
			}
			continue;
		}
		for (i = 0; i < nwatches; i++) {
			if (watches[i].wd == ev->wd) {
				char name[NAME_MAX + 1];

				/* The library reuses ev: copy the name. */
				snprintf(name, sizeof(name), "%s", ev->name);
				/* A regular file is taken once written; a
				 * link, FIFO or device never will be. */
				if ((ev->mask & IN_CREATE) &&
				    drop_is_regular(sd, watches[i].user, name))
					break;
				drop_take(sd, watches[i].user, name);
				break;
			}
		}
	}
}
