/*
 * folders.c - the spool folders gsftpd needs, made and given their
 * owners as root (gsftpd -P, or a start as root) before it becomes its
 * own user: the layout gsftpd(8) describes.
 *
 * Security: these are folders other users can write to (spoold's, and
 * an account's drop folder).  Each is opened without following a link
 * and changed through its descriptor, a new drop folder is made under
 * a hidden name and named only once it has its owner and mode, and a
 * folder that belongs to anybody but gsftpd's or spoold's user (a
 * local user's of the same name) is never taken over.  Only one level
 * below a drop folder is given to gsftpd's user, files and folders,
 * never a link.
 *
 * Diagnostics: each failure names the folder and the reason; a
 * folder not taken over names its owner and what to do.  sftp_prepare()
 * goes on after a failure, so that one run reports them all, and
 * returns -1 if there was any.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "util.h"


/* Give fd (a folder or file in gsftpd's care) to uid:gid, mode. */
static int
give(int fd, const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
		log_warn("%s", path);
		return -1;
	}
	return 0;
}

/* Open DIR (made with mode if missing), a folder and no link. */
static int
open_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		log_warn("%s", path);
		return -1;
	}
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Everything in folder dfd (and its folders, one level) to uid:gid. */
static void
give_contents(int dfd, uid_t uid, gid_t gid, mode_t dirmode, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, sub;

	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && fchownat(dfd, de->d_name, uid,
		    gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_warn("cannot give %s to uid %ld", de->d_name,
			    (long)uid);
		else if (S_ISDIR(st.st_mode) && depth > 0 &&
		    (sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			if (fchown(sub, uid, gid) == 0)
				fchmod(sub, dirmode);
			give_contents(sub, uid, gid, dirmode, depth - 1);
			close(sub);
		}
	}
	closedir(d);
}

/*
 * SPOOL/jobs is spoold's, 0700: gsftpd's user may pass through it (to
 * an account's own job's folder, whose name it knows from spoold) and
 * do nothing else: one POSIX ACL entry, u:USER:--x, written as the
 * kernel's system.posix_acl_access attribute (version 2, entries
 * sorted by tag: user_obj, user, group_obj, mask, other).
 */
static int
allow_search(const char *path, uid_t uid, uid_t owner, gid_t group)
{
	struct acl_entry {
		uint16_t tag, perm;
		uint32_t id;
	} __attribute__((packed));
	struct {
		uint32_t version;
		struct acl_entry e[5];
	} __attribute__((packed)) acl;
	struct stat st;
	int fd;

	if ((fd = open_dir(path, 0700)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (st.st_uid == 0 && owner != 0 &&
	    fchown(fd, owner, group) < 0)) {
		log_warn("%s", path);
		close(fd);
		return -1;
	}
	acl.version = 2;
	acl.e[0] = (struct acl_entry){ 0x01, (st.st_mode >> 6) & 7,
	    (uint32_t)-1 };
	acl.e[1] = (struct acl_entry){ 0x02, 1, (uint32_t)uid };
	acl.e[2] = (struct acl_entry){ 0x04, (st.st_mode >> 3) & 7,
	    (uint32_t)-1 };
	acl.e[3] = (struct acl_entry){ 0x10, ((st.st_mode >> 3) & 7) | 1,
	    (uint32_t)-1 };
	acl.e[4] = (struct acl_entry){ 0x20, st.st_mode & 7, (uint32_t)-1 };
	if (fsetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl), 0) <
	    0) {
		log_warn("%s: cannot let %ld pass through (an ACL)", path,
		    (long)uid);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A missing drop folder is made under a hidden name, given its owner
 * and mode, and only then named: spoold, which watches drop/, never
 * sees it root's. */
static int
new_folder(const char *path, uid_t uid, gid_t gid)
{
	char *tmp, *slash;
	int fd, r = -1;

	if (access(path, F_OK) == 0 || errno != ENOENT)
		return 0;
	slash = strrchr(path, '/');
	tmp = xasprintf("%.*s/.gsftpd-new-%s", (int)(slash - path), path,
	    slash + 1);
	rmdir(tmp);
	if (mkdir(tmp, 0700) < 0 || (fd = open(tmp, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		log_warn("%s", tmp);
	else {
		if (give(fd, tmp, uid, gid, 02770) == 0 && rename(tmp, path) == 0)
			r = 0;
		else
			log_warn("%s", path);
		close(fd);
	}
	if (r < 0)
		rmdir(tmp);
	free(tmp);
	return r;
}

/* SPOOL/NAME, made if missing (0755) and spoold's if root made it:
 * 0, or -1. */
static int
spools_folder(const struct conf *conf, const char *name, uid_t spool_uid,
    gid_t spool_gid)
{
	struct stat st;
	char *p = xasprintf("%s/%s", conf->spool_dir, name);
	int fd, r = 0;

	if ((fd = open_dir(p, 0755)) < 0 || fstat(fd, &st) < 0)
		r = -1;
	else if (st.st_uid == 0 && spool_uid != 0)
		give(fd, p, spool_uid, spool_gid, 0755);
	if (fd >= 0)
		close(fd);
	free(p);
	return r;
}

/*
 * The layout gsftpd(8) describes: SPOOL/sftp (host key, session locks)
 * gsftpd's alone, 0700; each account's drop folder gsftpd's user's and
 * spoold's group's, 2770, so that gsftpd writes it and spoold takes
 * its files.  A drop folder that belongs to anybody else (a local
 * user's of the same name) is not taken over.
 */
int
sftp_prepare(const struct conf *conf, uid_t uid, gid_t gid, uid_t spool_uid,
    gid_t spool_gid)
{
	struct stat st;
	char *p;
	size_t i;
	int fd, bad = 0;

	if ((fd = open_dir(conf->spool_dir, 0755)) < 0)
		return -1;
	close(fd);
	p = xasprintf("%s/sftp", conf->spool_dir);
	if ((fd = open_dir(p, 0700)) < 0 || give(fd, p, uid, gid, 0700) < 0)
		bad = 1;
	else
		give_contents(fd, uid, gid, 0700, 0);
	if (fd >= 0)
		close(fd);
	free(p);
	if (spools_folder(conf, "drop", spool_uid, spool_gid) < 0)
		bad = 1;
	p = xasprintf("%s/jobs", conf->spool_dir);
	if (allow_search(p, uid, spool_uid, spool_gid) < 0)
		bad = 1;
	free(p);
	/* The printers' folder (spoold's filters write there) is made now,
	 * so that a connection's confinement can name it. */
	if (spools_folder(conf, "printers", spool_uid, spool_gid) < 0)
		bad = 1;
	for (i = 0; i < conf->naccounts; i++) {
		p = xasprintf("%s/drop/%s", conf->spool_dir,
		    conf->accounts[i].name);
		if (new_folder(p, uid, spool_gid) < 0)
			bad = 1;
		if ((fd = open_dir(p, 02770)) < 0 || fstat(fd, &st) < 0)
			bad = 1;
		else if (st.st_uid != 0 && st.st_uid != uid &&
		    st.st_uid != spool_uid) {
			log_warnx("[account %s]: %s belongs to uid %ld, neither"
			    " gsftpd's user nor spoold's (a local user's"
			    " folder?): not taken; rename the account",
			    conf->accounts[i].name, p, (long)st.st_uid);
			bad = 1;
		} else if (give(fd, p, uid, spool_gid, 02770) == 0)
			give_contents(fd, uid, spool_gid, 02770, 1);
		else
			bad = 1;
		if (fd >= 0)
			close(fd);
		free(p);
	}
	return bad ? -1 : 0;
}
