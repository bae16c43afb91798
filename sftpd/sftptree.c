/*
 * sftptree.c - the folders of the tree an SFTP account sees, and the
 * attributes of what it names:
 *
 *   /drop/[DEST/]NAME          uploads (upload.c)
 *   /queue.txt, /queue.json    the queue as the account sees it
 *   /printers/NAME/status.json the printer's state
 *   /printers/NAME/webcam.jpg  its latest webcam frame, if any
 *   /jobs/ID/job.json, FILES   the account's own jobs (readonly.c);
 *                              removing one cancels it
 *   /jobs/ID/paused            made, it pauses the job; removed, it
 *                              resumes it (ctl.c)
 *
 * The tree is virtual: a path is parsed into what it names
 * (sftppath.c) and never handed to the file system.  Its folders are
 * listed from the configuration (printers, classes), from spoold (the
 * account's jobs) and from real folders read by descriptor.
 *
 * Security: a listing shows only regular files, never a link or a
 * hidden name, and at most 10000 entries a folder; a job's folder is
 * listed only if the job is the account's own.  Attributes say what
 * may be done (drop/ writable, the rest read-only), not who owns what:
 * every file shows as gspool's.
 *
 * Diagnostics: what does not exist, or is not the account's, is
 * SSH_FX_NO_SUCH_FILE alike, so that another account's jobs cannot be
 * told from missing ones; a folder that cannot be read lists empty.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gsftpd.h"
#include "log.h"
#include "sftppath.h"
#include "util.h"

/* ---- attributes ---- */

void
fill_attrs(struct sftp_attributes_struct *a, uint32_t mode, uint64_t size,
    uint32_t mtime)
{
	memset(a, 0, sizeof(*a));
	a->flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS |
	    SSH_FILEXFER_ATTR_ACMODTIME | SSH_FILEXFER_ATTR_UIDGID;
	a->permissions = mode;
	a->size = size;
	a->atime = a->mtime = mtime;
	a->atime64 = a->mtime64 = mtime;
}

static void
longname(char *buf, size_t sz, const struct entry *e)
{
	char perm[11], when[32];
	time_t t = e->mtime;
	struct tm tm;
	int i;

	perm[0] = S_ISDIR(e->mode) ? 'd' : '-';
	for (i = 0; i < 9; i++)
		perm[1 + i] = (e->mode & (0400 >> i)) ? "rwxrwxrwx"[i] : '-';
	perm[10] = '\0';
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%b %d %H:%M", &tm);
	snprintf(buf, sz, "%s    1 gspool   gspool   %12llu %s %s", perm,
	    (unsigned long long)e->size, when, e->name);
}

/* The attributes of what a node names; 0 or an SFTP status. */
uint32_t
node_stat(struct sftp_conn *c, const struct sftp_node *n, struct entry *e,
    const char **why)
{
	json_t *j;

	*why = "no such file";
	memset(e, 0, sizeof(*e));
	e->mtime = (uint32_t)time(NULL);
	if (sftp_kind_is_dir(n->k)) {
		if (n->k == N_JOB) {
			if ((j = own_job(c, n->id)) == NULL)
				return SSH_FX_NO_SUCH_FILE;
			json_decref(j);
		}
		e->mode = S_IFDIR | (n->k == N_DROP ? 0755 : 0555);
		return 0;
	}
	if (n->k == N_DROPFILE)
		return upload_stat(c, n, e);
	if (n->k == N_JOBPAUSED)
		return SSH_FX_NO_SUCH_FILE;	/* a request, not a file */
	return readonly_stat(c, n, e, why);
}

static void
add_entry(struct handle *h, size_t *cap, const char *name, uint32_t mode,
    uint64_t size, uint32_t mtime)
{
	struct entry *e;

	if (h->nents == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		h->ents = xrealloc(h->ents, *cap * sizeof(*h->ents));
	}
	e = &h->ents[h->nents++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->mode = mode;
	e->size = size;
	e->mtime = mtime;
}

/* A folder's entries from its descriptor, read from the start: a new
 * open of it, not a dup(), whose read position would be shared and
 * left at the end by the last reading. */
DIR *
dir_read(int dfd)
{
	DIR *d;
	int fd;

	if (dfd < 0 || (fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

/* The regular files of a real folder (not hidden, not followed). */
static void
list_files(struct handle *h, size_t *cap, int dfd, uint32_t mode,
    const char *skip_suffix)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = dir_read(dfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && h->nents < 10000) {
		size_t n = strlen(de->d_name), k = skip_suffix ?
		    strlen(skip_suffix) : 0;

		if (de->d_name[0] == '.' || (k && n > k &&
		    strcmp(de->d_name + n - k, skip_suffix) == 0))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		add_entry(h, cap, de->d_name, S_IFREG | mode,
		    (uint64_t)st.st_size, (uint32_t)st.st_mtime);
	}
	closedir(d);
}

void
tree_opendir(struct sftp_conn *c, sftp_client_message msg)
{
	uint32_t now = (uint32_t)time(NULL), st;
	struct handle *h;
	struct entry e;
	const char *why;
	struct sftp_node n;
	json_t *jobs, *j;
	size_t cap = 0, i;
	char idbuf[32];
	int fd;

	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0 ||
	    (st = node_stat(c, &n, &e, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (!sftp_kind_is_dir(n.k)) {
		reply(msg, SSH_FX_FAILURE, "%s is not a folder", n.path);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->type = H_DIR;
	h->fd = h->tmpfd = -1;
	add_entry(h, &cap, ".", S_IFDIR | 0555, 0, now);
	add_entry(h, &cap, "..", S_IFDIR | 0555, 0, now);
	switch (n.k) {
	case N_ROOT:
		add_entry(h, &cap, "drop", S_IFDIR | 0755, 0, now);
		add_entry(h, &cap, "jobs", S_IFDIR | 0555, 0, now);
		add_entry(h, &cap, "printers", S_IFDIR | 0555, 0, now);
		add_entry(h, &cap, "queue.json", S_IFREG | 0444, 0, now);
		add_entry(h, &cap, "queue.txt", S_IFREG | 0444, 0, now);
		break;
	case N_DROP:
		if (n.dest[0] == '\0') {
			for (i = 0; i < c->conf->nprinters; i++)
				add_entry(h, &cap, c->conf->printers[i].name,
				    S_IFDIR | 0755, 0, now);
			for (i = 0; i < c->conf->nclasses; i++)
				add_entry(h, &cap, c->conf->classes[i].name,
				    S_IFDIR | 0755, 0, now);
		}
		fd = drop_dir(c, n.dest, 0);
		list_files(h, &cap, fd, 0644, NULL);
		if (fd >= 0)
			close(fd);
		break;
	case N_PRINTERS:
		for (i = 0; i < c->conf->nprinters; i++)
			add_entry(h, &cap, c->conf->printers[i].name,
			    S_IFDIR | 0555, 0, now);
		break;
	case N_PRINTER:
		add_entry(h, &cap, "status.json", S_IFREG | 0444, 0, now);
		n.k = N_WEBCAM;
		if (node_stat(c, &n, &e, &why) == 0)
			add_entry(h, &cap, "webcam.jpg", e.mode, e.size,
			    e.mtime);
		break;
	case N_JOBS:
		if ((jobs = own_jobs(c, 1)) == NULL)
			break;
		json_array_foreach(jobs, i, j) {
			snprintf(idbuf, sizeof(idbuf), "%lld", (long long)
			    json_integer_value(json_object_get(j, "id")));
			add_entry(h, &cap, idbuf, S_IFDIR | 0555, 0, now);
		}
		json_decref(jobs);
		break;
	case N_JOB:
		add_entry(h, &cap, "job.json", S_IFREG | 0444, 0, now);
		fd = spool_subdir(c, "jobs/%ld.d", n.id);
		/* A video still being rendered is not shown. */
		list_files(h, &cap, fd, 0444, ".tmp");
		if (fd >= 0)
			close(fd);
		break;
	default:
		panic("tree_opendir: node kind %d is no folder", (int)n.k);
	}
	reply_handle(msg, h);
}

void
tree_readdir(struct sftp_conn *c, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	struct handle *h = handle_get(msg, NULL);
	char ln[512];
	int n = 0;

	(void)c;
	if (h == NULL || h->type != H_DIR) {
		reply(msg, SSH_FX_FAILURE, "not an open folder");
		return;
	}
	if (h->pos == h->nents) {
		reply(msg, SSH_FX_EOF, "end of folder");
		return;
	}
	while (h->pos < h->nents && n < 100) {
		struct entry *e = &h->ents[h->pos++];

		fill_attrs(&a, e->mode, e->size, e->mtime);
		longname(ln, sizeof(ln), e);
		sftp_reply_names_add(msg, e->name, ln, &a);
		n++;
	}
	sftp_reply_names(msg);
}
