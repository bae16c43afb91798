/*
 * readonly.c - what an account may read in gsftpd's tree: the files
 * made for it from spoold's answers (queue.txt and queue.json, a
 * printer's status.json, a job's job.json), and the real files it is
 * shown (a printer's latest webcam.jpg, its own jobs' files: the
 * timelapse videos).
 *
 * A generated file is written whole into an anonymous file (memfd),
 * then served as a real one.  A client asks a file's size, then reads
 * that many bytes: the content last made is served again for the same
 * file within GEN_REUSE_MS, and made anew after any request that may
 * change the queue (readonly_forget()).
 *
 * Security: the account sees what spoold shows it as the account
 * (ctl.c: other users' jobs without their titles), and only its own
 * jobs' folders; real files are opened from their folder's descriptor,
 * without following links, non-blocking (a FIFO put in a job's folder
 * hangs nothing), and only regular files are shown.  A file still
 * being written (.tmp, a video being rendered) or hidden is not shown.
 *
 * Diagnostics: a file that cannot be made because spoold cannot be
 * reached is an SFTP failure that says so; one that shows nothing
 * there is (a printer, a job) is "no such file".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "gsftpd.h"
#include "log.h"
#include "sftppath.h"
#include "util.h"

int
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
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(6));
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

static json_t *
codes_json(const struct gcode_code *codes, int n)
{
	json_t *a = json_array();
	char w[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "%c%ld", codes[i].letter,
		    codes[i].number);
		json_array_append_new(a, json_string(w));
	}
	return a;
}

/*
 * What printer p allows, as its configuration here says, for a host
 * that forwards jobs to it to check them first (gspool-sftp(8)): its
 * heaters' limits, its build volume, the commands it refuses or the
 * only ones it takes, its model names and nozzles, and what a job that
 * does not suit them gets.  What it has loaded is the status's
 * materials.
 */
static json_t *
allows_json(const struct conf_printer *p)
{
	const struct analyse_policy *a = &p->check;
	json_t *o = json_object(), *lo = json_array(), *hi = json_array();
	json_t *models = json_array(), *nozzles = json_array();
	json_t *fit = json_object();
	int i;

	json_object_set_new(o, "max_hotend", json_integer(p->policy.max_hotend));
	json_object_set_new(o, "max_bed", json_integer(p->policy.max_bed));
	json_object_set_new(o, "max_chamber",
	    json_integer(p->policy.max_chamber));
	for (i = 0; i < 3; i++) {
		json_array_append_new(lo, json_real(a->vol_min[i]));
		json_array_append_new(hi, json_real(a->vol_max[i]));
	}
	json_object_set_new(o, "volume_min", lo);
	json_object_set_new(o, "volume_max", hi);
	json_object_set_new(o, "forbidden", codes_json(a->forbidden,
	    a->nforbidden));
	json_object_set_new(o, "allowed", codes_json(a->allowed, a->nallowed));
	for (i = 0; i < p->fit.nmodels; i++)
		json_array_append_new(models, json_string(p->fit.models[i]));
	for (i = 0; i < p->fit.nnozzles; i++)
		json_array_append_new(nozzles, p->fit.nozzle[i] > 0 ?
		    json_real(p->fit.nozzle[i]) : json_null());
	json_object_set_new(o, "models", models);
	json_object_set_new(o, "nozzles", nozzles);
	for (i = 0; i < FIT_KEYS; i++)
		json_object_set_new(fit, fit_key_names[i],
		    json_string(fit_policy_names[p->fit.policy[i]]));
	json_object_set_new(o, "fit", fit);
	return o;
}

/* The classes of this host's configuration that printer name is a
 * member of: a host that forwards jobs to a class here judges them by
 * its members' allows (gspool-sftp(8)), and a class has no status of
 * its own. */
static json_t *
classes_json(const struct conf *conf, const char *name)
{
	json_t *a = json_array();
	size_t i, m;

	for (i = 0; i < conf->nclasses; i++)
		for (m = 0; m < conf->classes[i].nmembers; m++)
			if (strcmp(conf->classes[i].members[m], name) == 0) {
				json_array_append_new(a,
				    json_string(conf->classes[i].name));
				break;
			}
	return a;
}

/* The content of a generated file, or -1 (errno: ENOENT when what it
 * shows does not exist, EIO when spoold cannot say). */
static int
generate_now(struct sftp_conn *c, const struct sftp_node *n)
{
	const struct conf_printer *p;
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
		if ((p = conf_printer(c->conf, n->dest)) != NULL) {
			json_object_set_new(j, "allows", allows_json(p));
			json_object_set_new(j, "classes",
			    classes_json(c->conf, n->dest));
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
		panic("generate_now: node kind %d is no generated file",
		    (int)n->k);
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

/* The next request may see another queue: made anew. */
void
readonly_forget(void)
{
	if (last_made.fd >= 0) {
		close(last_made.fd);
		last_made.fd = -1;
	}
}

/* The attributes of a file that may be read (a node neither a folder
 * nor in drop/): 0 or an SFTP status, with why. */
uint32_t
readonly_stat(struct sftp_conn *c, const struct sftp_node *n,
    struct entry *e, const char **why)
{
	struct stat st;
	json_t *j;
	int fd, r;

	switch (n->k) {
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
	e->mode = S_IFREG | 0444;
	e->size = (uint64_t)st.st_size;
	e->mtime = (uint32_t)st.st_mtime;
	return 0;
}

/* A file that may be read, opened: a descriptor, or -1. */
int
readonly_open(struct sftp_conn *c, const struct sftp_node *n)
{
	int dfd, fd;

	switch (n->k) {
	case N_WEBCAM:
		if ((dfd = spool_subdir(c, "printers/%s", n->dest)) < 0)
			return -1;
		fd = openat(dfd, "webcam.jpg", O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		close(dfd);
		return fd;
	case N_JOBFILE:
		if ((dfd = spool_subdir(c, "jobs/%ld.d", n->id)) < 0)
			return -1;
		fd = openat(dfd, n->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
		close(dfd);
		return fd;
	default:
		return generate(c, n);
	}
}
