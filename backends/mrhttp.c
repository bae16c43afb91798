/*
 * mrhttp.c - the Moonraker backend's HTTP side: requests to the host's
 * API through libcurl, their JSON answers, the job's file streamed up
 * with its SHA-256, and the API key's file.
 *
 * A request has a whole-time limit (the upload instead a low-speed
 * limit, as a large file takes long on a slow host), a connect limit,
 * and certificate checks on https.  Every answer is JSON, {"result":
 * ...} or {"error": {"code", "message"}}; the host's message is what an
 * error says.  The job's file is streamed as curl sends it, never read
 * whole (mrfile.c hashed it and counted its commands before).
 *
 * Security and Diagnostics: the host's answers are outside input.  A
 * body is kept to 1 MiB at most and parsed by jansson; nothing of it
 * is used but the fields looked up by name and type, and text from it
 * reaches spoold only through clean_text().  The API key is read from
 * a file that must be a regular file owned by this user and readable
 * by no other (refused otherwise, saying which), and is sent only as
 * X-Api-Key, never logged.  Every failure says what was asked of whom
 * and why: curl's error, the HTTP code and the host's own message.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "util.h"
#include "moonraker.h"

#define BODY_MAX	(1 << 20)

struct body {
	char	*p;
	size_t	 len;
	int	 over;
};

void
mr_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "moonraker: cannot start libcurl\n");
		exit(1);
	}
}

int
mr_key_read(const char *path, char *key, size_t keysz, char *why,
    size_t whysz)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(why, whysz, "api_key_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		snprintf(why, whysz, "api_key_file %s: must be a file of"
		    " uid %ld that no one else can read (mode 0600)", path,
		    (long)getuid());
		close(fd);
		return -1;
	}
	n = read(fd, key, keysz - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, whysz, "api_key_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	key[n] = '\0';
	key[strcspn(key, "\r\n")] = '\0';
	if (key[0] == '\0' || (size_t)n == keysz - 1 ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(key)) {
		snprintf(why, whysz, "api_key_file %s: the first line is not"
		    " a key (letters, digits, '-', '_', '.', at most %zu)",
		    path, keysz - 2);
		return -1;
	}
	return 0;
}

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;

	if (b->len + size * n > BODY_MAX) {
		b->over = 1;
		return 0;
	}
	b->p = xrealloc(b->p, b->len + size * n + 1);
	memcpy(b->p + b->len, data, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

char *
mr_escape(const char *s)
{
	char *e, *r;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		return xstrdup("");
	r = xstrdup(e);
	curl_free(e);
	return r;
}

/* The answer's JSON: result, or the host's error message. */
static void
reply_parse(struct mr_reply *r, const struct body *b)
{
	json_t *j, *e;
	const char *msg;

	j = b->p != NULL ? json_loadb(b->p, b->len, 0, NULL) : NULL;
	if (r->code >= 200 && r->code < 300) {
		if (j != NULL && (e = json_object_get(j, "result")) != NULL)
			r->result = json_incref(e);
		else
			snprintf(r->why, sizeof(r->why), "HTTP %ld without"
			    " a JSON result", r->code);
	} else {
		e = json_object_get(json_object_get(j, "error"), "message");
		msg = json_is_string(e) ? json_string_value(e) : "";
		clean_text(r->why, sizeof(r->why), msg);
		if (r->why[0] == '\0')
			snprintf(r->why, sizeof(r->why), "HTTP %ld", r->code);
		else {
			char tmp[sizeof(r->why)];

			snprintf(tmp, sizeof(tmp), "HTTP %ld: %.400s",
			    r->code, r->why);
			snprintf(r->why, sizeof(r->why), "%s", tmp);
		}
	}
	json_decref(j);
}

static CURL *
easy(const struct mr_host *h, const char *url, struct body *b,
    struct curl_slist **hdr)
{
	CURL *c;
	char *k;

	if ((c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gspool/" PACKAGE_VERSION);
	*hdr = NULL;
	if (h->key[0] != '\0') {
		k = xasprintf("X-Api-Key: %s", h->key);
		*hdr = curl_slist_append(*hdr, k);
		free(k);
	}
	*hdr = curl_slist_append(*hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdr);
	return c;
}

static int
perform(CURL *c, struct mr_reply *r, struct body *b, const char *what)
{
	char err[CURL_ERROR_SIZE];
	CURLcode rc;

	err[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && b->over)) {
		r->code = 0;
		snprintf(r->why, sizeof(r->why), "%s: %s", what,
		    err[0] ? err : curl_easy_strerror(rc));
		return -1;
	}
	if (b->over) {
		snprintf(r->why, sizeof(r->why), "%s: an answer over %d"
		    " bytes", what, BODY_MAX);
		return -1;
	}
	reply_parse(r, b);
	if (r->result == NULL) {
		char tmp[sizeof(r->why)];

		snprintf(tmp, sizeof(tmp), "%.100s: %.400s", what, r->why);
		snprintf(r->why, sizeof(r->why), "%s", tmp);
		return -1;
	}
	return 0;
}

/* method path?query: 0 with r->result, or -1 with r->code (0: the host
 * was not reached) and r->why. */
int
mr_request(const struct mr_host *h, const char *method, const char *path,
    const char *query, struct mr_reply *r)
{
	struct body b = { NULL, 0, 0 };
	struct curl_slist *hdr;
	char *url, *what;
	CURL *c;
	int rv;

	memset(r, 0, sizeof(*r));
	url = xasprintf("%s%s%s%s", h->base, path, query ? "?" : "",
	    query ? query : "");
	what = xasprintf("%s %s", method, path);
	if ((c = easy(h, url, &b, &hdr)) == NULL) {
		snprintf(r->why, sizeof(r->why), "%s: cannot start curl",
		    what);
		free(url);
		free(what);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	rv = perform(c, r, &b, what);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.p);
	free(url);
	free(what);
	return rv;
}

void
mr_reply_free(struct mr_reply *r)
{
	json_decref(r->result);
	r->result = NULL;
}

struct upload {
	int		 fd;
	long long	 off;
};

static size_t
upload_read(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	ssize_t r;

	r = pread(u->fd, buf, size * n, (off_t)u->off);
	if (r < 0)
		return CURL_READFUNC_ABORT;
	u->off += r;
	return (size_t)r;
}

static int
upload_seek(void *arg, curl_off_t off, int origin)
{
	struct upload *u = arg;

	if (origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	u->off = (long long)off;
	return CURL_SEEKFUNC_OK;
}

/* POST /server/files/upload: the file streamed as the form's "file",
 * under name in the gcodes root, with its SHA-256 as "checksum" for
 * the host to verify. */
int
mr_upload(const struct mr_host *h, struct mr_file *f, const char *name,
    struct mr_reply *r)
{
	struct body b = { NULL, 0, 0 };
	struct upload u = { f->fd, 0 };
	struct curl_slist *hdr;
	curl_mimepart *part;
	curl_mime *mime;
	char *url;
	CURL *c;
	int rv;

	memset(r, 0, sizeof(*r));
	url = xasprintf("%s/server/files/upload", h->base);
	if ((c = easy(h, url, &b, &hdr)) == NULL) {
		snprintf(r->why, sizeof(r->why), "upload: cannot start curl");
		free(url);
		return -1;
	}
	mime = curl_mime_init(c);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "root");
	curl_mime_data(part, "gcodes", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "checksum");
	curl_mime_data(part, f->sha256, CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "file");
	curl_mime_filename(part, name);
	curl_mime_type(part, "application/octet-stream");
	curl_mime_data_cb(part, (curl_off_t)f->size, upload_read, upload_seek,
	    NULL, &u);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	/* A slow host is not a dead one: fail below 1 KiB/s for 30 s. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	rv = perform(c, r, &b, "POST /server/files/upload");
	curl_mime_free(mime);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.p);
	free(url);
	return rv;
}
