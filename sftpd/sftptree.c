/*
 * sftptree.c - the tree an SFTP account sees, and every request on it.
 *
 *   /drop/[DEST/]NAME          uploads (to a temporary name, committed
 *                              into SPOOL/drop/ACCOUNT on a clean CLOSE)
 *   /queue.txt, /queue.json    the queue as the account sees it
 *   /printers/NAME/status.json the printer's state
 *   /printers/NAME/webcam.jpg  its latest webcam frame, if any
 *   /jobs/ID/job.json, FILES   the account's own jobs; removing one
 *                              cancels it
 *
 * The tree is virtual: a path is parsed into what it names
 * (sftppath.c) and never handed to the file system; the real files are
 * reached by name from directory descriptors, without following links.  Everything else is
 * refused with the SFTP status that says why.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <jansson.h>

#include "client.h"
#include "gsftpd.h"
#include "log.h"
#include "msg.h"
#include "sftppath.h"
#include "util.h"

struct entry {
	char		 name[256];
	uint32_t	 mode;
	uint64_t	 size;
	uint32_t	 mtime;
};

enum { H_READ = 1, H_UPLOAD, H_DIR };

struct handle {
	int		 type;
	int		 fd;		/* file, or the upload's folder */
	int		 tmpfd;		/* the upload being written */
	char		 tmp[64];
	char		 name[256];
	int		 failed;
	int		 excl;
	long long	 room;		/* bytes the upload may reach */
	long long	 size;		/* its end so far */
	struct entry	*ents;		/* a folder's listing */
	size_t		 nents, pos;
};

static struct handle *handles[SFTP_MAX_HANDLES];

static int
reply(sftp_client_message msg, uint32_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
reply(sftp_client_message msg, uint32_t status, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sftp_reply_status(msg, status, buf);
}

/* ---- spoold, as the account ---- */

static int
ctl_open(struct sftp_conn *c)
{
	struct sockaddr_un sun;
	struct msg m;
	int fd;

	if (c->ctl >= 0)
		return c->ctl;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->conf->socket_path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, c->conf->socket_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    msg_send(fd, -1, "as", c->acct->name, (char *)NULL) < 0 ||
	    msg_recv(fd, &m) <= 0 || strcmp(msg_field(&m, 0), "ok") != 0) {
		log_warnx("%s: spoold cannot be reached at %s", c->acct->name,
		    c->conf->socket_path);
		close(fd);
		return -1;
	}
	return c->ctl = fd;
}

/* The queue as the account sees it (history: the ended jobs). */
static json_t *
ctl_queue(struct sftp_conn *c, int history)
{
	char err[512];
	json_t *q;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (ctl_open(c) < 0)
			return NULL;
		if ((q = client_queue(c->ctl, "", history, err, sizeof(err))) !=
		    NULL)
			return q;
		if (err[0] != '\0') {
			log_warnx("%s: spoold: %s", c->acct->name, err);
			return NULL;
		}
		close(c->ctl);		/* spoold restarted: once more */
		c->ctl = -1;
	}
	return NULL;
}

/* The account's own job, as in queue.json; NULL if it has none such. */
static json_t *
own_job(struct sftp_conn *c, long id)
{
	json_t *q, *j, *found = NULL;
	size_t i;
	int h;

	for (h = 0; h < 2 && found == NULL; h++) {
		if ((q = ctl_queue(c, h)) == NULL)
			return NULL;
		json_array_foreach(json_object_get(q, "jobs"), i, j)
			if (json_integer_value(json_object_get(j, "id")) == id &&
			    json_is_true(json_object_get(j, "own"))) {
				found = json_incref(j);
				break;
			}
		json_decref(q);
	}
	return found;
}

/* The account's jobs not ended, and with ENDED those ended too. */
static json_t *
own_jobs(struct sftp_conn *c, int ended)
{
	json_t *all = json_array(), *q, *j;
	size_t i;
	int h;

	for (h = 0; h <= ended; h++) {
		if ((q = ctl_queue(c, h)) == NULL) {
			json_decref(all);
			return NULL;
		}
		json_array_foreach(json_object_get(q, "jobs"), i, j)
			if (json_is_true(json_object_get(j, "own")))
				json_array_append(all, j);
		json_decref(q);
	}
	return all;
}

/* ---- the real folders ---- */

/* The account's drop folder, or its DEST subfolder (made if create). */
static int
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

static int
spool_subdir(struct sftp_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
spool_subdir(struct sftp_conn *c, const char *fmt, ...)
{
	char rel[512], *path;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	path = xasprintf("%s/%s", c->conf->spool_dir, rel);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	return fd;
}

/* ---- generated files: written whole into an anonymous file ---- */

static int
gen_json(json_t *o)
{
	char *text;
	int fd;

	if (o == NULL)
		return -1;
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		return -1;
	if ((fd = memfd_create("gsftpd", MFD_CLOEXEC)) >= 0 &&
	    (write_all(fd, text, strlen(text)) < 0 ||
	    write_all(fd, "\n", 1) < 0)) {
		close(fd);
		fd = -1;
	}
	free(text);
	return fd;
}

static json_t *
printer_status(json_t *q, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(q, "printers"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")) ?
		    json_string_value(json_object_get(p, "name")) : "",
		    name) == 0)
			return p;
	return NULL;
}

/* The content of a generated file, or -1 (errno: ENOENT when what it
 * shows does not exist, EIO when spoold cannot say). */
static int
generate_now(struct sftp_conn *c, const struct sftp_node *n)
{
	json_t *q = NULL, *j;
	FILE *fp;
	int fd = -1;

	errno = EIO;
	switch (n->k) {
	case N_QTXT:
		if ((q = ctl_queue(c, 0)) == NULL)
			return -1;
		if ((fd = memfd_create("gsftpd", MFD_CLOEXEC)) < 0)
			break;
		if ((fp = fdopen(dup(fd), "w")) == NULL) {
			close(fd);
			fd = -1;
			break;
		}
		client_queue_text(fp, q, 1, 0, NULL);
		if (fclose(fp) != 0) {
			close(fd);
			fd = -1;
		}
		break;
	case N_QJSON:
		if ((q = ctl_queue(c, 0)) == NULL)
			return -1;
		fd = gen_json(q);
		break;
	case N_STATUS:
		if ((q = ctl_queue(c, 0)) == NULL)
			return -1;
		if ((j = printer_status(q, n->dest)) == NULL) {
			errno = ENOENT;
			break;
		}
		fd = gen_json(j);
		break;
	case N_JOBJSON:
		if ((j = own_job(c, n->id)) == NULL) {
			errno = ENOENT;
			return -1;
		}
		fd = gen_json(j);
		json_decref(j);
		break;
	default:
		errno = EINVAL;
		break;
	}
	json_decref(q);
	return fd;
}

/*
 * A client asks a file's size (STAT, or a listing), then opens it and
 * reads that many bytes (curl does).  A file made again in between may
 * have another size: the content last made is served again to requests
 * for the same file within GEN_REUSE_MS.
 */
#define GEN_REUSE_MS	1000

static struct {
	enum sftp_kind	 k;
	char		 dest[CONF_NAME_MAX + 1];
	long		 id;
	long long	 at;		/* monotonic ms */
	int		 fd;		/* -1: none */
} last_made = { .fd = -1 };

static int
generate(struct sftp_conn *c, const struct sftp_node *n)
{
	long long now = monotonic_ms();
	int fd;

	if (last_made.fd >= 0 && last_made.k == n->k &&
	    last_made.id == n->id && strcmp(last_made.dest, n->dest) == 0 &&
	    now - last_made.at < GEN_REUSE_MS)
		return dup(last_made.fd);
	if ((fd = generate_now(c, n)) < 0)
		return -1;
	if (last_made.fd >= 0)
		close(last_made.fd);
	last_made.k = n->k;
	last_made.id = n->id;
	snprintf(last_made.dest, sizeof(last_made.dest), "%s", n->dest);
	last_made.at = now;
	last_made.fd = dup(fd);
	return fd;
}

/* ---- attributes ---- */

static void
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
static uint32_t
node_stat(struct sftp_conn *c, const struct sftp_node *n, struct entry *e,
    const char **why)
{
	struct stat st;
	json_t *j;
	int fd, r;

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
	switch (n->k) {
	case N_DROPFILE:
		if ((fd = drop_dir(c, n->dest, 0)) < 0)
			return SSH_FX_NO_SUCH_FILE;
		r = n->name[0] != '.' ? fstatat(fd, n->name, &st,
		    AT_SYMLINK_NOFOLLOW) : -1;
		close(fd);
		if (r < 0 || !S_ISREG(st.st_mode))
			return SSH_FX_NO_SUCH_FILE;
		break;
	case N_WEBCAM:
		if ((fd = spool_subdir(c, "printers/%s", n->dest)) < 0)
			return SSH_FX_NO_SUCH_FILE;
		r = fstatat(fd, "webcam.jpg", &st, AT_SYMLINK_NOFOLLOW);
		close(fd);
		if (r < 0 || !S_ISREG(st.st_mode))
			return SSH_FX_NO_SUCH_FILE;
		break;
	case N_JOBFILE:
		if ((j = own_job(c, n->id)) == NULL)
			return SSH_FX_NO_SUCH_FILE;
		json_decref(j);
		if (n->name[0] == '.' ||
		    (fd = spool_subdir(c, "jobs/%ld.d", n->id)) < 0)
			return SSH_FX_NO_SUCH_FILE;
		r = fstatat(fd, n->name, &st, AT_SYMLINK_NOFOLLOW);
		close(fd);
		if (r < 0 || !S_ISREG(st.st_mode))
			return SSH_FX_NO_SUCH_FILE;
		break;
	default:
		if ((fd = generate(c, n)) < 0) {
			if (errno == ENOENT)
				return SSH_FX_NO_SUCH_FILE;
			*why = "spoold cannot be reached";
			return SSH_FX_FAILURE;
		}
		r = fstat(fd, &st);
		close(fd);
		if (r < 0)
			return SSH_FX_FAILURE;
		e->mode = S_IFREG | 0444;
		e->size = (uint64_t)st.st_size;
		return 0;
	}
	e->mode = S_IFREG | (n->k == N_DROPFILE ? 0644 : 0444);
	e->size = (uint64_t)st.st_size;
	e->mtime = (uint32_t)st.st_mtime;
	return 0;
}

/* ---- handles ---- */

static ssh_string
handle_new(struct handle *h)
{
	ssh_string s;
	uint32_t i;

	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		if (handles[i] == NULL)
			break;
	if (i == SFTP_MAX_HANDLES || (s = ssh_string_new(sizeof(i))) == NULL)
		return NULL;
	ssh_string_fill(s, &i, sizeof(i));
	handles[i] = h;
	return s;
}

/* The handle a request names, checked: a client's bytes are an index
 * only once they are known to be one. */
static struct handle *
handle_get(sftp_client_message msg, uint32_t *slot)
{
	uint32_t i;

	if (msg->handle == NULL || ssh_string_len(msg->handle) != sizeof(i))
		return NULL;
	memcpy(&i, ssh_string_data(msg->handle), sizeof(i));
	if (i >= SFTP_MAX_HANDLES)
		return NULL;
	if (slot)
		*slot = i;
	return handles[i];
}

static void handle_free(struct handle *);

/* Answer an OPEN or OPENDIR with a new handle for h (freed if none is
 * left). */
static void
reply_handle(sftp_client_message msg, struct handle *h)
{
	ssh_string hs;

	if ((hs = handle_new(h)) == NULL) {
		handle_free(h);
		reply(msg, SSH_FX_FAILURE, "too many open handles (at most"
		    " %d)", SFTP_MAX_HANDLES);
		return;
	}
	sftp_reply_handle(msg, hs);
	ssh_string_free(hs);
}

/* Close a handle; an upload not committed is discarded. */
static void
handle_free(struct handle *h)
{
	if (h->type == H_UPLOAD) {
		if (h->tmpfd >= 0)
			close(h->tmpfd);
		if (h->tmp[0])
			unlinkat(h->fd, h->tmp, 0);
	}
	if (h->fd >= 0)
		close(h->fd);
	free(h->ents);
	free(h);
}

/* ---- requests ---- */

static void
do_realpath(struct sftp_conn *c, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	const char *why;
	struct sftp_node n;
	uint32_t st;

	if ((st = sftp_path_parse(c->conf, msg->filename, 1, &n, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	fill_attrs(&a, S_IFDIR | 0755, 0, (uint32_t)time(NULL));
	a.flags = 0;
	sftp_reply_name(msg, n.path, &a);
}

static void
do_stat(struct sftp_conn *c, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	const char *why;
	struct entry e;
	struct sftp_node n;
	uint32_t st;

	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0 ||
	    (st = node_stat(c, &n, &e, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	fill_attrs(&a, e.mode, e.size, e.mtime);
	sftp_reply_attr(msg, &a);
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
static DIR *
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

static void
do_opendir(struct sftp_conn *c, sftp_client_message msg)
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
		break;
	}
	reply_handle(msg, h);
}

static void
do_readdir(struct sftp_conn *c, sftp_client_message msg)
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

/* Why spoold refuses the account's files for now (too many refused of
 * late, or its job limit), from the last usage asked; "" if it does
 * not. */
static char refused_why[512];

/* What spoold keeps for the account ("usage", gspool(7)): the files of
 * its jobs, ended ones too until keep_files, and its refused files
 * until keep_rejected.  0 if spoold cannot be reached. */
static long long
ctl_usage(struct sftp_conn *c)
{
	long long n = 0, v;
	struct msg m;
	int attempt;

	refused_why[0] = '\0';
	for (attempt = 0; attempt < 2; attempt++) {
		if (ctl_open(c) < 0)
			return 0;
		if (msg_send(c->ctl, -1, "usage", (char *)NULL) == 0 &&
		    msg_recv(c->ctl, &m) > 0) {
			if (m.fd >= 0)
				close(m.fd);
			if (strcmp(msg_field(&m, 0), "ok") != 0)
				return 0;
			/* Numbers from another process: in range, or none. */
			v = atoll(msg_field(&m, 2));
			if (v > 0 && v < (1LL << 50))
				n += v;
			v = atoll(msg_field(&m, 4));
			if (v > 0 && v < (1LL << 50))
				n += v;
			snprintf(refused_why, sizeof(refused_why), "%s",
			    msg_field(&m, 6));
			return n;
		}
		close(c->ctl);		/* spoold restarted: once more */
		c->ctl = -1;
	}
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

static void
open_upload(struct sftp_conn *c, sftp_client_message msg,
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
	if ((h->room = allowance(c, h, 0)) <= 0 || refused_why[0] != '\0') {
		if (refused_why[0] != '\0')
			reply(msg, SSH_FX_FAILURE, "%s", refused_why);
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

static void
do_open(struct sftp_conn *c, sftp_client_message msg)
{
	struct handle *h;
	const char *why;
	struct entry e;
	struct sftp_node n;
	uint32_t st;
	int dfd;

	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (n.k == N_DROPFILE && (msg->flags & (SSH_FXF_WRITE |
	    SSH_FXF_CREAT | SSH_FXF_TRUNC))) {
		open_upload(c, msg, &n);
		return;
	}
	if (msg->flags & (SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC |
	    SSH_FXF_APPEND)) {
		reply(msg, SSH_FX_PERMISSION_DENIED, "%s is read-only; upload"
		    " into drop/", n.path);
		return;
	}
	if (sftp_kind_is_dir(n.k)) {
		reply(msg, SSH_FX_FAILURE, "%s is a folder", n.path);
		return;
	}
	if ((st = node_stat(c, &n, &e, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->type = H_READ;
	h->tmpfd = -1;
	switch (n.k) {
	case N_DROPFILE:
		handle_free(h);
		reply(msg, SSH_FX_PERMISSION_DENIED, "files in drop/ are"
		    " uploads: they are not read back");
		return;
	case N_WEBCAM:
		dfd = spool_subdir(c, "printers/%s", n.dest);
		h->fd = dfd < 0 ? -1 : openat(dfd, "webcam.jpg", O_RDONLY |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (dfd >= 0)
			close(dfd);
		break;
	case N_JOBFILE:
		dfd = spool_subdir(c, "jobs/%ld.d", n.id);
		h->fd = dfd < 0 ? -1 : openat(dfd, n.name, O_RDONLY |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (dfd >= 0)
			close(dfd);
		break;
	default:
		h->fd = generate(c, &n);
		break;
	}
	if (h->fd < 0) {
		handle_free(h);
		reply(msg, SSH_FX_NO_SUCH_FILE, "%s cannot be read", n.path);
		return;
	}
	reply_handle(msg, h);
}

static void
do_read(struct sftp_conn *c, sftp_client_message msg)
{
	static char buf[SFTP_MAX_READ];
	struct handle *h = handle_get(msg, NULL);
	uint32_t len = msg->len;
	ssize_t n;

	(void)c;
	if (h == NULL || h->type != H_READ) {
		reply(msg, SSH_FX_FAILURE, "not a file open for reading");
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (msg->offset > (uint64_t)LLONG_MAX)
		n = 0;
	else
		n = pread(h->fd, buf, len, (off_t)msg->offset);
	if (n < 0)
		reply(msg, SSH_FX_FAILURE, "%s", strerror(errno));
	else if (n == 0)
		reply(msg, SSH_FX_EOF, "end of file");
	else
		sftp_reply_data(msg, buf, (int)n);
}

static void
do_write(struct sftp_conn *c, sftp_client_message msg)
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

static void
do_close(struct sftp_conn *c, sftp_client_message msg)
{
	uint32_t slot;
	struct handle *h = handle_get(msg, &slot);
	char final[300];

	if (h == NULL) {
		reply(msg, SSH_FX_FAILURE, "not an open handle");
		return;
	}
	handles[slot] = NULL;
	if (h->type != H_UPLOAD) {
		handle_free(h);
		sftp_reply_status(msg, SSH_FX_OK, "");
		return;
	}
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

static void
do_fstat(struct sftp_conn *c, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	struct handle *h = handle_get(msg, NULL);
	struct stat st;

	(void)c;
	if (h == NULL) {
		reply(msg, SSH_FX_FAILURE, "not an open handle");
		return;
	}
	if (h->type == H_DIR)
		fill_attrs(&a, S_IFDIR | 0555, 0, (uint32_t)time(NULL));
	else if (h->type == H_UPLOAD)
		fill_attrs(&a, S_IFREG | 0644, (uint64_t)h->size,
		    (uint32_t)time(NULL));
	else if (fstat(h->fd, &st) == 0)
		fill_attrs(&a, S_IFREG | 0444, (uint64_t)st.st_size,
		    (uint32_t)st.st_mtime);
	else {
		reply(msg, SSH_FX_FAILURE, "%s", strerror(errno));
		return;
	}
	sftp_reply_attr(msg, &a);
}

/* Times and modes of an upload mean nothing to the spooler: accepted
 * and ignored; anything else is read-only. */
static void
do_setstat(struct sftp_conn *c, sftp_client_message msg)
{
	struct handle *h;
	const char *why;
	struct sftp_node n;
	struct entry e;
	uint32_t st;

	if (msg->type == SSH_FXP_FSETSTAT) {
		h = handle_get(msg, NULL);
		if (h == NULL)
			reply(msg, SSH_FX_FAILURE, "not an open handle");
		else if (h->type == H_UPLOAD)
			sftp_reply_status(msg, SSH_FX_OK, "");
		else
			reply(msg, SSH_FX_PERMISSION_DENIED, "read-only");
		return;
	}
	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0 ||
	    (st = node_stat(c, &n, &e, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (n.k == N_DROPFILE)
		sftp_reply_status(msg, SSH_FX_OK, "");
	else
		reply(msg, SSH_FX_PERMISSION_DENIED, "%s is read-only", n.path);
}

static void
cancel(struct sftp_conn *c, sftp_client_message msg, long id)
{
	char ids[32];
	struct msg m;
	json_t *j;

	if ((j = own_job(c, id)) == NULL) {
		reply(msg, SSH_FX_NO_SUCH_FILE, "you have no job %ld", id);
		return;
	}
	json_decref(j);
	snprintf(ids, sizeof(ids), "%ld", id);
	if (ctl_open(c) < 0 || msg_send(c->ctl, -1, "cancel", ids,
	    (char *)NULL) < 0 || msg_recv(c->ctl, &m) <= 0) {
		reply(msg, SSH_FX_FAILURE, "the spooler cannot be reached");
		return;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (strcmp(msg_field(&m, 0), "ok") != 0) {
		reply(msg, SSH_FX_FAILURE, "%s", msg_field(&m, 1));
		return;
	}
	log_info("%s: canceled job %ld from %s", c->acct->name, id, c->addr);
	sftp_reply_status(msg, SSH_FX_OK, "");
}

static void
do_remove(struct sftp_conn *c, sftp_client_message msg)
{
	const char *why;
	struct sftp_node n;
	uint32_t st;
	int fd, r;

	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (n.k == N_JOB) {
		cancel(c, msg, n.id);
		return;
	}
	if (msg->type == SSH_FXP_REMOVE && n.k == N_DROPFILE &&
	    sftp_upload_name_ok(n.name)) {
		struct stat sb;

		if ((fd = drop_dir(c, n.dest, 0)) < 0) {
			reply(msg, SSH_FX_NO_SUCH_FILE, "no such file");
			return;
		}
		r = fstatat(fd, n.name, &sb, AT_SYMLINK_NOFOLLOW);
		if (r == 0 && S_ISREG(sb.st_mode))
			r = unlinkat(fd, n.name, 0);
		else if (r == 0)
			errno = EPERM, r = -1;
		close(fd);
		if (r < 0)
			reply(msg, errno == ENOENT ? SSH_FX_NO_SUCH_FILE :
			    SSH_FX_FAILURE, "%s: %s", n.path, errno == ENOENT ?
			    "gone (taken by the spooler?)" : strerror(errno));
		else
			sftp_reply_status(msg, SSH_FX_OK, "");
		return;
	}
	reply(msg, SSH_FX_PERMISSION_DENIED, "%s cannot be removed (remove"
	    " jobs/ID to cancel a job)", n.path);
}

static void
do_rename(struct sftp_conn *c, sftp_client_message msg, int posix)
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

static void
do_extended(struct sftp_conn *c, sftp_client_message msg)
{
	const char *sub = msg->submessage ? msg->submessage : "";

	if (strcmp(sub, "posix-rename@openssh.com") == 0)
		do_rename(c, msg, 1);
	else if (strcmp(sub, "hardlink@openssh.com") == 0)
		reply(msg, SSH_FX_PERMISSION_DENIED, "links are not allowed");
	else
		reply(msg, SSH_FX_OP_UNSUPPORTED, "%.64s is not supported",
		    sub);
}

/* One request. */
static void
request(struct sftp_conn *c, sftp_client_message msg)
{
	/* What may change the queue (an upload closed, a job canceled,
	 * a file renamed) makes the generated files anew. */
	if ((msg->type == SSH_FXP_CLOSE || msg->type == SSH_FXP_REMOVE ||
	    msg->type == SSH_FXP_RMDIR || msg->type == SSH_FXP_RENAME ||
	    msg->type == SSH_FXP_EXTENDED) && last_made.fd >= 0) {
		close(last_made.fd);
		last_made.fd = -1;
	}
	switch (msg->type) {
	case SSH_FXP_REALPATH:
		do_realpath(c, msg);
		break;
	case SSH_FXP_STAT:
	case SSH_FXP_LSTAT:
		do_stat(c, msg);
		break;
	case SSH_FXP_FSTAT:
		do_fstat(c, msg);
		break;
	case SSH_FXP_OPENDIR:
		do_opendir(c, msg);
		break;
	case SSH_FXP_READDIR:
		do_readdir(c, msg);
		break;
	case SSH_FXP_OPEN:
		do_open(c, msg);
		break;
	case SSH_FXP_READ:
		do_read(c, msg);
		break;
	case SSH_FXP_WRITE:
		do_write(c, msg);
		break;
	case SSH_FXP_CLOSE:
		do_close(c, msg);
		break;
	case SSH_FXP_SETSTAT:
	case SSH_FXP_FSETSTAT:
		do_setstat(c, msg);
		break;
	case SSH_FXP_REMOVE:
	case SSH_FXP_RMDIR:
		do_remove(c, msg);
		break;
	case SSH_FXP_RENAME:
		do_rename(c, msg, 0);
		break;
	case SSH_FXP_MKDIR:
		reply(msg, SSH_FX_PERMISSION_DENIED, "folders cannot be made:"
		    " drop/ has one for each printer and class");
		break;
	case SSH_FXP_SYMLINK:
	case SSH_FXP_READLINK:
		reply(msg, SSH_FX_PERMISSION_DENIED, "links are not allowed");
		break;
	case SSH_FXP_EXTENDED:
		do_extended(c, msg);
		break;
	default:
		reply(msg, SSH_FX_OP_UNSUPPORTED, "request %d is not supported",
		    msg->type);
		break;
	}
}

void
sftp_serve(struct sftp_conn *c, ssh_session session, ssh_channel chan)
{
	sftp_client_message msg;
	sftp_session sftp;
	int i, r;

	if ((sftp = sftp_server_new(session, chan)) == NULL ||
	    sftp_server_init(sftp) < 0) {
		log_warnx("%s: SFTP could not start: %s", c->acct->name,
		    ssh_get_error(session));
		if (sftp)
			sftp_server_free(sftp);
		return;
	}
	for (;;) {
		/* Idle: nothing asked for idle_timeout.  Once a request has
		 * begun, it must arrive whole within stall_timeout (the
		 * watchdog: SIGALRM ends the process, whatever libssh is
		 * blocked in). */
		alarm(0);
		r = ssh_channel_poll_timeout(chan, (int)(c->conf->sftp.idle_timeout
		    * 1000), 0);
		if (r == 0) {
			log_info("%s: idle for %lds; disconnecting",
			    c->acct->name, c->conf->sftp.idle_timeout);
			break;
		}
		if (r < 0)
			break;
		alarm((unsigned)c->conf->sftp.stall_timeout);
		if ((msg = sftp_get_client_message(sftp)) == NULL)
			break;
		request(c, msg);
		sftp_client_message_free(msg);
	}
	alarm((unsigned)c->conf->sftp.stall_timeout);
	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		if (handles[i] != NULL) {
			if (handles[i]->type == H_UPLOAD)
				log_info("%s: upload of %s not closed;"
				    " discarded", c->acct->name,
				    handles[i]->name);
			handle_free(handles[i]);
			handles[i] = NULL;
		}
	sftp_server_free(sftp);
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
