/*
 * upload.c - a file sent to gwebd: POST /api/gspool/upload (the page's:
 * file, dest, title, hold) and POST /api/files/local (OctoPrint's:
 * file, path, select, print), multipart/form-data.
 *
 * The file is written as it comes to an unlinked file (O_TMPFILE) in
 * gwebd's private temporary folder, never held in memory, then passed
 * to spoold on the account's connection as gprint passes a file
 * ("submit"): spoold reads, checks and copies it as it does every
 * submission, and its answer (the job, or the check's reason, as
 * gprint shows it) is the reply.  OctoPrint's print=false is a held
 * job (released from the page or with gprint's tools), print=true a
 * job queued to print.
 *
 * Security: the client chooses the bytes and the file's name.  The
 * name is only a title, cut to its last component and cleaned of
 * control characters (clean_text()); it never names a file.  The size
 * is bounded by [web] max_file as it comes; a field other than the
 * file is bounded by FIELD_MAX.  A broken multipart body is refused.
 *
 * Diagnostics: a refusal says why: no file part, a file over max_file
 * (its limit), a write error (errno), or spoold's reason; each queued
 * upload is logged with the account, address, job and size.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwebd.h"
#include "log.h"
#include "util.h"
#include "webparse.h"

#define FIELD_MAX	256
#define PP_BUFFER	(64 * 1024)

struct upload {
	struct req	*r;
	struct MHD_PostProcessor *pp;
	int		 fd;
	int		 got_file;
	long long	 bytes;
	char		 title[FIELD_MAX];
	char		 dest[FIELD_MAX];
	char		 hold[FIELD_MAX];
	char		 print[FIELD_MAX];
	char		 select[FIELD_MAX];
	char		 path[FIELD_MAX];
	char		 error[512];
};

static void
field_add(char *f, const char *data, size_t size, struct upload *u,
    const char *key)
{
	size_t have = strlen(f);

	if (have + size >= FIELD_MAX || memchr(data, '\0', size) != NULL) {
		if (u->error[0] == '\0')
			snprintf(u->error, sizeof(u->error), "field '%s' is"
			    " over %d bytes or holds a NUL", key,
			    FIELD_MAX - 1);
		return;
	}
	memcpy(f + have, data, size);
	f[have + size] = '\0';
}

static void
file_add(struct upload *u, const char *filename, const char *data,
    size_t size)
{
	const char *base;
	ssize_t n;

	if (!u->got_file) {
		u->got_file = 1;
		if (filename != NULL && u->title[0] == '\0') {
			base = strrchr(filename, '/');
			base = base ? base + 1 : filename;
			if (strrchr(base, '\\') != NULL)
				base = strrchr(base, '\\') + 1;
			clean_text(u->title, sizeof(u->title), base);
		}
	}
	if (u->error[0] != '\0')
		return;
	if (u->bytes + (long long)size > u->r->w->conf.web.max_file) {
		snprintf(u->error, sizeof(u->error), "the file is over"
		    " max_file (%lld bytes)", u->r->w->conf.web.max_file);
		return;
	}
	while (size > 0) {
		if ((n = write(u->fd, data, size)) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(u->error, sizeof(u->error), "cannot write the"
			    " file at byte %lld: %s", u->bytes,
			    strerror(errno));
			return;
		}
		data += n;
		size -= (size_t)n;
		u->bytes += n;
	}
}

static enum MHD_Result
iterate(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *type, const char *enc,
    const char *data, uint64_t off, size_t size)
{
	struct upload *u = cls;

	(void)kind;
	(void)type;
	(void)enc;
	(void)off;
	if (strcmp(key, "file") == 0)
		file_add(u, filename, data, size);
	else if (strcmp(key, "title") == 0)
		field_add(u->title, data, size, u, key);
	else if (strcmp(key, "dest") == 0)
		field_add(u->dest, data, size, u, key);
	else if (strcmp(key, "hold") == 0)
		field_add(u->hold, data, size, u, key);
	else if (strcmp(key, "print") == 0)
		field_add(u->print, data, size, u, key);
	else if (strcmp(key, "select") == 0)
		field_add(u->select, data, size, u, key);
	else if (strcmp(key, "path") == 0)
		field_add(u->path, data, size, u, key);
	return MHD_YES;		/* the rest is read and dropped */
}

/* -1 if the body is not multipart/form-data. */
int
upload_begin(struct req *r)
{
	const char *ct;
	struct upload *u;

	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Content-Type");
	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return -1;
	u = xcalloc(1, sizeof(*u));
	u->r = r;
	u->fd = -1;
	if ((u->pp = MHD_create_post_processor(r->conn, PP_BUFFER, iterate,
	    u)) == NULL) {
		free(u);
		return -1;
	}
	u->fd = open(r->w->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (u->fd < 0)
		snprintf(u->error, sizeof(u->error), "cannot make a file in"
		    " %s: %s", r->w->tmpdir, strerror(errno));
	r->up = u;
	return 0;
}

enum MHD_Result
upload_feed(struct req *r, const char *data, size_t *size)
{
	struct upload *u = r->up;

	if (MHD_post_process(u->pp, data, *size) != MHD_YES &&
	    u->error[0] == '\0')
		snprintf(u->error, sizeof(u->error), "a broken"
		    " multipart/form-data body");
	*size = 0;
	return MHD_YES;
}

static int
yes(const char *s)
{
	return strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0 ||
	    strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0;
}

/* 201 with the JSON o and a Location: the job's URL, absolute under
 * the Host asked for when that is a plain host name or address (Cura
 * takes what follows "api/" in it), else as a path. */
static enum MHD_Result
located(struct req *r, json_t *o, const char *path)
{
	struct MHD_Response *resp;
	char url[512], *s;

	web_location(url, sizeof(url), MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, "Host"), r->w->tls, path);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL || (resp = MHD_create_response_from_buffer(strlen(s), s,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Location", url);
	return http_reply(r, MHD_HTTP_CREATED, resp);
}

static enum MHD_Result
octo_reply(struct req *r, struct upload *u, long id)
{
	char loc[128];
	json_t *o;

	snprintf(loc, sizeof(loc), "/api/gspool/jobs/%ld", id);
	o = json_pack("{s:b,s:{s:{s:s,s:s,s:s,s:{s:s,s:s}}},s:b,s:b,s:I}",
	    "done", 1, "files", "local", "name", u->title, "origin", "local",
	    "path", u->title, "refs", "resource", loc, "download", loc,
	    "effectiveSelect", yes(u->select) || yes(u->print),
	    "effectivePrint", yes(u->print), "job", (json_int_t)id);
	return located(r, o, loc);
}

enum MHD_Result
upload_end(struct req *r, int octoprint)
{
	struct upload *u = r->up;
	char name[CONF_NAME_MAX + 1], why[1024], job[CONF_NAME_MAX + 24];
	int hold;
	long id;

	if (u->error[0] == '\0' && MHD_destroy_post_processor(u->pp) !=
	    MHD_YES)
		snprintf(u->error, sizeof(u->error), "a broken"
		    " multipart/form-data body (it ends early)");
	u->pp = NULL;
	if (u->error[0] != '\0')
		return http_error(r, strstr(u->error, "max_file") != NULL ?
		    MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_BAD_REQUEST,
		    "upload: %s", u->error);
	if (!u->got_file)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "upload: no 'file'"
		    " part in the form");
	if (lseek(u->fd, 0, SEEK_SET) < 0)
		return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "upload:"
		    " %s", strerror(errno));
	hold = octoprint ? !yes(u->print) : yes(u->hold);
	if (ctl_submit(r->w, r->acct, u->fd, octoprint ? "" : u->dest,
	    u->title, hold, &id, name, sizeof(name), why, sizeof(why)) < 0) {
		log_info("%s: %s: upload '%s' (%lld bytes) refused: %s",
		    r->addr, r->acct->name, u->title, u->bytes, why);
		return http_error(r, octoprint ? MHD_HTTP_UNSUPPORTED_MEDIA_TYPE
		    : MHD_HTTP_UNPROCESSABLE_CONTENT, "%s", why);
	}
	log_info("%s: %s: upload '%s' (%lld bytes) is job %s-%ld%s", r->addr,
	    r->acct->name, u->title, u->bytes, name, id, hold ? ", held" : "");
	if (octoprint)
		return octo_reply(r, u, id);
	snprintf(job, sizeof(job), "%s-%ld", name, id);
	return http_json(r, MHD_HTTP_CREATED, json_pack("{s:b,s:I,s:s}",
	    "ok", 1, "job", (json_int_t)id, "name", job));
}

void
upload_free(struct upload *u)
{
	if (u->pp != NULL)
		MHD_destroy_post_processor(u->pp);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}
