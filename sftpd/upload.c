/*
 * upload.c - the drop side of gsftpd's tree: drop/[DEST/]NAME.
 *
 * An upload is written to a temporary name (SFTP_TMP_PREFIX, hidden,
 * which spoold ignores) in the account's drop folder or its DEST
 * subfolder, and committed under its name on a clean CLOSE: fsync, a
 * rename that never replaces a file spoold may be taking in (the new
 * one is NAME-2, NAME-3, ...; sidecars and WinSCP's NAME.filepart
 * replace theirs), fsync of the folder.  An upload that fails, or a
 * session that ends with it open, leaves nothing; what a crash leaves
 * is swept when gsftpd starts.  Uploads waiting in drop/ may be
 * renamed and removed; nothing there is read back.
 *
 * Security: the account chooses the names and the bytes.  A name is
 * one level (sftppath.c) and may not begin with '.'; every file is
 * reached from the drop folder's descriptor, without following links,
 * and only regular files are renamed or removed.  An upload may not
 * exceed max_file (also the process's RLIMIT_FSIZE) nor the account's
 * quota, which counts what waits in its drop folder and what spoold
 * keeps for it; the quota is looked at again every QUOTA_STEP bytes,
 * and what the session's other uploads may still write is set aside.
 * spoold's refusal of the account's files (too many refused of late,
 * or its job limit) is told before a byte is sent.
 *
 * Diagnostics: a refused or failed upload is answered with why (the
 * limit and its size, or the error) and logged with the account and
 * the offset; each commit is logged with its final name and size.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "sftppath.h"
#include "util.h"

/* The account's drop folder, or its DEST subfolder (made if create). */
int
drop_dir(struct sftp_conn *c, const char *dest, int create)
{
	struct stat st;
	int fd;

	if (dest[0] == '\0')
		return dup(c->dropfd);
	fd = openat(c->dropfd, dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(c->dropfd, dest, 0770) < 0 && errno != EEXIST)
			return -1;
		fd = openat(c->dropfd, dest, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		/* As the account's folder, 2770: spoold's group takes the
		 * files (gsftpd(8), SECURITY CONSIDERATIONS).  The setgid
		 * bit comes from the parent; the unit's UMask=0007 leaves
		 * the rest, where a system-call filter may refuse to set
		 * it by hand. */
		if (fd >= 0 && fstat(fd, &st) == 0 &&
		    (st.st_mode & 07777) != 02770)
			(void)fchmod(fd, (st.st_mode & 02000) | 0770);
	}
	return fd;
}

/* The attributes of an upload waiting in drop/: 0 or an SFTP status. */
uint32_t
upload_stat(struct sftp_conn *c, const struct sftp_node *n, struct entry *e)
{
	struct stat st;
	int fd, r;

	if ((fd = drop_dir(c, n->dest, 0)) < 0)
		return SSH_FX_NO_SUCH_FILE;
	r = n->name[0] != '.' ? fstatat(fd, n->name, &st,
	    AT_SYMLINK_NOFOLLOW) : -1;
	close(fd);
	if (r < 0 || !S_ISREG(st.st_mode))
		return SSH_FX_NO_SUCH_FILE;
	e->mode = S_IFREG | 0644;
	e->size = (uint64_t)st.st_size;
	e->mtime = (uint32_t)st.st_mtime;
	return 0;
}

/* How much more the account may upload: its quota less what waits in
 * its drop folder and what spoold keeps for it. */
static long long
quota_room(struct sftp_conn *c)
{
	long long used = 0;
	struct dirent *de, *se;
	struct stat st;
	DIR *d, *s;
	int fd;

	/* Without spoold, what waits in the drop folder still counts: an
	 * upload is kept for it to take when it is back. */
	used = ctl_usage(c);
	if ((d = dir_read(c->dropfd)) == NULL)
		return c->acct->quota - used;
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			used += st.st_size;
		else if (S_ISDIR(st.st_mode) && de->d_name[0] != '.' &&
		    (fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			if ((s = fdopendir(fd)) == NULL) {
				close(fd);
				continue;
			}
			while ((se = readdir(s)) != NULL)
				if (fstatat(dirfd(s), se->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISREG(st.st_mode))
					used += st.st_size;
			closedir(s);
		}
	}
	closedir(d);
	return c->acct->quota - used;
}

/*
 * An upload may reach h->room bytes before its quota is looked at
 * again, at most QUOTA_STEP past where it was then.  Within a session,
 * what its other uploads may still write is set aside; sessions of one
 * account uploading at once may pass the quota by QUOTA_STEP each.
 */
#define QUOTA_STEP	(1LL << 20)

static long long
allowance(struct sftp_conn *c, const struct handle *h, long long end)
{
	long long room, lim = end + QUOTA_STEP;
	size_t i;

	/* quota_room() counts this upload's file at its size so far. */
	room = quota_room(c) + h->size;
	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		if (handles[i] != NULL && handles[i] != h &&
		    handles[i]->type == H_UPLOAD && !handles[i]->failed)
			room -= handles[i]->room - handles[i]->size;
	if (lim > room)
		lim = room;
	return lim < c->acct->max_file ? lim : c->acct->max_file;
}

void
upload_open(struct sftp_conn *c, sftp_client_message msg,
    const struct sftp_node *n)
{
	uint32_t fl = msg->flags;
	struct handle *h;
	struct stat st;

	if (fl & SSH_FXF_READ) {
		reply(msg, SSH_FX_PERMISSION_DENIED, "drop/ is for uploads:"
		    " open for writing only");
		return;
	}
	if (fl & SSH_FXF_APPEND) {
		reply(msg, SSH_FX_OP_UNSUPPORTED, "appending is not supported;"
		    " upload the whole file");
		return;
	}
	if (!sftp_upload_name_ok(n->name)) {
		reply(msg, SSH_FX_PERMISSION_DENIED, "%s: names beginning with"
		    " '.' are not accepted", n->name);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->type = H_UPLOAD;
	h->tmpfd = -1;
	h->fd = -1;
	if ((h->room = allowance(c, h, 0)) <= 0 || c->refused[0] != '\0') {
		if (c->refused[0] != '\0')
			reply(msg, SSH_FX_FAILURE, "%s", c->refused);
		else
			reply(msg, SSH_FX_FAILURE, "quota of %lld bytes reached"
			    " (your jobs' files, ended ones until keep_files,"
			    " and refused files until keep_rejected): wait for"
			    " them to go", c->acct->quota);
		handle_free(h);
		return;
	}
	h->excl = (fl & SSH_FXF_EXCL) != 0;
	snprintf(h->name, sizeof(h->name), "%s", n->name);
	if ((h->fd = drop_dir(c, n->dest, 1)) < 0) {
		reply(msg, SSH_FX_FAILURE, "drop/%s: %s", n->dest,
		    strerror(errno));
		handle_free(h);
		return;
	}
	if (h->excl && fstatat(h->fd, n->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		reply(msg, SSH_FX_FAILURE, "%s exists", n->path);
		handle_free(h);
		return;
	}
	snprintf(h->tmp, sizeof(h->tmp), SFTP_TMP_PREFIX "%ld-%u.part",
	    (long)getpid(), c->seq++);
	h->tmpfd = openat(h->fd, h->tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0640);
	if (h->tmpfd < 0) {
		reply(msg, SSH_FX_FAILURE, "cannot create: %s", strerror(errno));
		h->tmp[0] = '\0';
		handle_free(h);
		return;
	}
	reply_handle(msg, h);
}

void
upload_write(struct sftp_conn *c, sftp_client_message msg)
{
	struct handle *h = handle_get(msg, NULL);
	size_t len;
	long long end = 0;

	if (h == NULL || h->type != H_UPLOAD) {
		reply(msg, SSH_FX_FAILURE, "not a file open for writing");
		return;
	}
	if (h->failed) {
		reply(msg, SSH_FX_FAILURE, "%s: an earlier write failed; the"
		    " upload is discarded", h->name);
		return;
	}
	/* msg->data holds the bytes (sftp_client_message_get_data() would
	 * stop at the first NUL). */
	len = msg->data ? ssh_string_len(msg->data) : 0;
	if (msg->offset <= (uint64_t)LLONG_MAX - len &&
	    (end = (long long)(msg->offset + len)) > h->room &&
	    end <= c->acct->max_file)
		h->room = allowance(c, h, end);
	if (msg->offset > (uint64_t)LLONG_MAX - len || end > h->room) {
		h->failed = 1;
		if (msg->offset > (uint64_t)LLONG_MAX - len ||
		    end > c->acct->max_file)
			reply(msg, SSH_FX_FAILURE, "%s: larger than %lld bytes,"
			    " the most one upload may have", h->name,
			    c->acct->max_file);
		else
			reply(msg, SSH_FX_FAILURE, "%s: quota of %lld bytes"
			    " reached; the upload is discarded", h->name,
			    c->acct->quota);
		log_warnx("%s: upload of %s refused at %llu bytes: over the"
		    " account's limit", c->acct->name, h->name,
		    (unsigned long long)msg->offset);
		return;
	}
	while (len > 0) {
		ssize_t w = pwrite(h->tmpfd, ssh_string_data(msg->data),
		    len, (off_t)msg->offset);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			h->failed = 1;
			reply(msg, SSH_FX_FAILURE, "%s: %s; the upload is"
			    " discarded", h->name, w < 0 ? strerror(errno) :
			    "short write");
			log_warnx("%s: upload of %s failed: %s", c->acct->name,
			    h->name, w < 0 ? strerror(errno) : "short write");
			return;
		}
		if ((size_t)w < len) {	/* not expected of a file: finish */
			msg->offset += (uint64_t)w;
			memmove(ssh_string_data(msg->data), (char *)
			    ssh_string_data(msg->data) + w, len - (size_t)w);
		}
		len -= (size_t)w;
	}
	if (end > h->size)
		h->size = end;
	sftp_reply_status(msg, SSH_FX_OK, "");
}

/* Upload committed under its name; a name still waiting is kept and
 * the new file gets NAME-2 (before the extension), NAME-3, ... so a
 * file spoold is taking in is never replaced.  Sidecars and WinSCP's
 * NAME.filepart replace theirs. */
static int
commit_name(struct handle *h, char *final, size_t finalsz)
{
	const char *dot = strrchr(h->name, '.');
	size_t n = strlen(h->name);
	int i, replace;

	replace = (n > 8 && strcmp(h->name + n - 8, ".options") == 0) ||
	    (n > 9 && strcmp(h->name + n - 9, ".filepart") == 0);
	snprintf(final, finalsz, "%s", h->name);
	if (replace && !h->excl)
		return renameat(h->fd, h->tmp, h->fd, final);
	for (i = 2; i < 100; i++) {
		if (renameat2(h->fd, h->tmp, h->fd, final, RENAME_NOREPLACE) ==
		    0)
			return 0;
		if (errno != EEXIST || h->excl)
			return -1;
		if (dot && dot != h->name)
			snprintf(final, finalsz, "%.*s-%d%s", (int)(dot -
			    h->name), h->name, i, dot);
		else
			snprintf(final, finalsz, "%s-%d", h->name, i);
	}
	errno = EEXIST;
	return -1;
}

/* CLOSE of an upload (the handle already out of the table): committed
 * under its name, or discarded after an error. */
void
upload_close(struct sftp_conn *c, sftp_client_message msg, struct handle *h)
{
	char final[300];

	if (h->failed) {
		log_info("%s: upload of %s discarded", c->acct->name, h->name);
		reply(msg, SSH_FX_FAILURE, "%s: discarded after an error",
		    h->name);
		handle_free(h);
		return;
	}
	if (fsync(h->tmpfd) < 0 || close(h->tmpfd) < 0) {
		h->tmpfd = -1;
		reply(msg, SSH_FX_FAILURE, "%s: %s; the upload is discarded",
		    h->name, strerror(errno));
		handle_free(h);
		return;
	}
	h->tmpfd = -1;
	if (commit_name(h, final, sizeof(final)) < 0) {
		reply(msg, SSH_FX_FAILURE, "%s: %s", h->name, errno == EEXIST ?
		    "exists" : strerror(errno));
		handle_free(h);
		return;
	}
	h->tmp[0] = '\0';
	fsync(h->fd);
	c->uploaded += h->size;
	c->files++;
	log_info("%s: uploaded %s (%lld bytes) from %s", c->acct->name, final,
	    h->size, c->addr);
	handle_free(h);
	sftp_reply_status(msg, SSH_FX_OK, "");
}

/* REMOVE of an upload waiting in drop/ (a name sftp_upload_name_ok()
 * takes): a regular file only, never a folder or a link. */
void
upload_remove(struct sftp_conn *c, sftp_client_message msg,
    const struct sftp_node *n)
{
	struct stat sb;
	int fd, r;

	if ((fd = drop_dir(c, n->dest, 0)) < 0) {
		reply(msg, SSH_FX_NO_SUCH_FILE, "no such file");
		return;
	}
	r = fstatat(fd, n->name, &sb, AT_SYMLINK_NOFOLLOW);
	if (r == 0 && S_ISREG(sb.st_mode))
		r = unlinkat(fd, n->name, 0);
	else if (r == 0)
		errno = EPERM, r = -1;
	close(fd);
	if (r < 0)
		reply(msg, errno == ENOENT ? SSH_FX_NO_SUCH_FILE :
		    SSH_FX_FAILURE, "%s: %s", n->path, errno == ENOENT ?
		    "gone (taken by the spooler?)" : strerror(errno));
	else
		sftp_reply_status(msg, SSH_FX_OK, "");
}

/* RENAME (posix: posix-rename@openssh.com, which may replace), within
 * drop/ only. */
void
upload_rename(struct sftp_conn *c, sftp_client_message msg, int posix)
{
	const char *why, *to = sftp_client_message_get_data(msg);
	struct sftp_node a, b;
	struct stat sb;
	uint32_t st;
	int fa = -1, fb = -1, r;

	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &a, &why)) != 0 ||
	    (st = sftp_path_parse(c->conf, to, 0, &b, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (a.k != N_DROPFILE || b.k != N_DROPFILE ||
	    !sftp_upload_name_ok(a.name) || !sftp_upload_name_ok(b.name)) {
		reply(msg, SSH_FX_PERMISSION_DENIED, "only uploads in drop/ may"
		    " be renamed, within drop/");
		return;
	}
	if ((fa = drop_dir(c, a.dest, 0)) < 0 ||
	    fstatat(fa, a.name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(sb.st_mode)) {
		reply(msg, SSH_FX_NO_SUCH_FILE, "%s: no such upload", a.path);
		goto out;
	}
	if ((fb = drop_dir(c, b.dest, 1)) < 0) {
		reply(msg, SSH_FX_FAILURE, "drop/%s: %s", b.dest,
		    strerror(errno));
		goto out;
	}
	r = posix ? renameat(fa, a.name, fb, b.name) :
	    renameat2(fa, a.name, fb, b.name, RENAME_NOREPLACE);
	if (r < 0) {
		reply(msg, SSH_FX_FAILURE, "%s: %s", b.path, errno == EEXIST ?
		    "exists" : strerror(errno));
		goto out;
	}
	fsync(fb);
	if (fa != fb)
		fsync(fa);
	log_info("%s: renamed %s to %s", c->acct->name, a.path, b.path);
	sftp_reply_status(msg, SSH_FX_OK, "");
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
}

/* ---- at start ---- */

static void
sweep_dir(int dfd)
{
	struct dirent *de;
	DIR *d;

	if ((d = dir_read(dfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, SFTP_TMP_PREFIX,
		    strlen(SFTP_TMP_PREFIX)) == 0) {
			log_info("removing an unfinished upload: %s",
			    de->d_name);
			unlinkat(dirfd(d), de->d_name, 0);
		}
	closedir(d);
}

void
sftp_sweep(const struct conf *conf, const struct conf_account *a)
{
	char *path = xasprintf("%s/drop/%s", conf->spool_dir, a->name);
	size_t i;
	int dfd, sfd;

	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (dfd < 0)
		return;
	sweep_dir(dfd);
	for (i = 0; i < conf->nprinters + conf->nclasses; i++) {
		const char *d = i < conf->nprinters ? conf->printers[i].name :
		    conf->classes[i - conf->nprinters].name;

		if ((sfd = openat(dfd, d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) >= 0) {
			sweep_dir(sfd);
			close(sfd);
		}
	}
	close(dfd);
}
