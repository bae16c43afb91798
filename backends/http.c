/*
 * http.c - a network backend's HTTP side: requests to the host through
 * libcurl, their answers (JSON where the host speaks it), the job's
 * file streamed up as a multipart form or as a raw body, and the
 * credential file.
 *
 * A request has a whole-time limit (an upload instead a low-speed
 * limit, as a large file takes long on a slow host), a connect limit,
 * and certificate checks on https.  The credential file's first line is
 * a key, sent in the driver's header (X-Api-Key for Moonraker and
 * OctoPrint), or USER:PASSWORD, sent with HTTP digest or basic auth as
 * the driver allows; a driver's session (a header it got from the host)
 * goes with every request.  The job's file is streamed as curl sends
 * it, never read whole (netfile.c hashed it and counted its commands
 * before).
 *
 * Security and Diagnostics: the host's answers are outside input.  A
 * body is kept to NET_BODY_MAX at most and parsed by jansson; drivers
 * use only fields looked up by name and type, and text from it reaches
 * spoold only through clean_text().  The credential file must be a
 * regular file owned by this user and readable by no other (refused
 * otherwise, saying which); its secrets are never logged.  Every
 * failure says what was asked and why: curl's error, the HTTP code and
 * the host's own message ("GET /api/job: HTTP 409: Printer is not
 * operational").
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
#include "net.h"

struct body {
	char	*p;
	size_t	 len;
	int	 over;
};

void
net_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "cannot start libcurl\n");
		exit(1);
	}
}

/* A secret is printable ASCII, at most NET_SECRET_MAX - 1 bytes. */
static int
secret_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= NET_SECRET_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int
net_cred_read(const char *path, struct net_host *h, char *why,
    size_t whysz)
{
	const char *opt = h->cred_option != NULL ? h->cred_option :
	    "api_key_file";
	char buf[2 * NET_SECRET_MAX + 2], *colon;
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(why, whysz, "%s %s: %s", opt, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		snprintf(why, whysz, "%s %s: must be a file of uid %ld"
		    " that no one else can read (mode 0600)", opt, path,
		    (long)getuid());
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, whysz, "%s %s: %s", opt, path,
		    strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	if (strcspn(buf, "\r\n") == (size_t)n && (size_t)n == sizeof(buf) - 1) {
		snprintf(why, whysz, "%s %s: the first line is"
		    " longer than %d bytes", opt, path, NET_SECRET_MAX - 1);
		return -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	h->key[0] = h->user[0] = h->password[0] = '\0';
	/* A password is the whole line, whatever printable it holds. */
	if (h->auth & NET_AUTH_PASSWORD) {
		if (!secret_ok(buf, strlen(buf))) {
			snprintf(why, whysz, "%s %s: the first line is not"
			    " a password (printable, at most %d bytes)", opt,
			    path, NET_SECRET_MAX - 1);
			explicit_bzero(buf, sizeof(buf));
			return -1;
		}
		snprintf(h->password, sizeof(h->password), "%s", buf);
		explicit_bzero(buf, sizeof(buf));
		return 0;
	}
	if (h->auth != 0 && (colon = strchr(buf, ':')) != NULL) {
		*colon = '\0';
		if (!secret_ok(buf, strlen(buf)) ||
		    !secret_ok(colon + 1, strlen(colon + 1))) {
			snprintf(why, whysz, "%s %s: the first line"
			    " is not USER:PASSWORD (printable, each at most"
			    " %d bytes)", opt, path, NET_SECRET_MAX - 1);
			return -1;
		}
		snprintf(h->user, sizeof(h->user), "%s", buf);
		snprintf(h->password, sizeof(h->password), "%s", colon + 1);
		explicit_bzero(buf, sizeof(buf));
		return 0;
	}
	/* A key goes into a header: no separators, no spaces. */
	if (buf[0] == '\0' || strlen(buf) >= NET_SECRET_MAX ||
	    strspn(buf, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(buf)) {
		snprintf(why, whysz, "%s %s: the first line is not"
		    " a key (letters, digits, '-', '_', '.', at most %d)%s",
		    opt, path, NET_SECRET_MAX - 1, h->auth ?
		    " nor USER:PASSWORD" : "");
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	snprintf(h->key, sizeof(h->key), "%s", buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

void
net_session_set(struct net_host *h, const char *header, const char *value)
{
	char v[NET_SECRET_MAX];

	if (header == NULL || value == NULL || value[0] == '\0') {
		h->session[0] = '\0';
		return;
	}
	clean_text(v, sizeof(v), value);
	snprintf(h->session, sizeof(h->session), "%s: %s", header, v);
}

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;

	if (b->len + size * n > NET_BODY_MAX) {
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
net_escape(const char *s)
{
	char *e, *r;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		return xstrdup("");
	r = xstrdup(e);
	curl_free(e);
	return r;
}

const char *
net_jstr(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : "";
}

double
net_jnum(json_t *o, const char *a, const char *b, double dflt)
{
	json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* The host's words in an error answer: {"error": {"message": ...}}
 * (Moonraker), {"error": "..."} (OctoPrint), {"message": ...}, {"title":
 * ...}, or a short text body. */
static void
error_text(const struct net_reply *r, char *out, size_t outsz)
{
	const char *msg = "";
	json_t *e;

	if (r->json != NULL) {
		e = json_object_get(r->json, "error");
		if (json_is_string(e))
			msg = json_string_value(e);
		else if (json_is_string(json_object_get(e, "message")))
			msg = json_string_value(json_object_get(e, "message"));
		else if (json_is_string(json_object_get(r->json, "message")))
			msg = net_jstr(r->json, "message", NULL);
		else
			msg = net_jstr(r->json, "title", NULL);
	} else if (r->body != NULL && r->len < 400 &&
	    memchr(r->body, '<', r->len) == NULL) {
		char line[400];

		/* A short text: its first line. */
		snprintf(line, sizeof(line), "%.*s",
		    (int)strcspn(r->body, "\r\n"), r->body);
		clean_text(out, outsz, line);
		return;
	}
	clean_text(out, outsz, msg);
}

static CURL *
easy(const struct net_host *h, const char *url, struct body *b,
    struct curl_slist **hdr, const char *const *headers)
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
	if (h->key[0] != '\0' && h->key_header != NULL) {
		k = xasprintf("%s: %s", h->key_header, h->key);
		*hdr = curl_slist_append(*hdr, k);
		explicit_bzero(k, strlen(k));
		free(k);
	}
	if (h->user[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, h->password);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH,
		    (h->auth & NET_AUTH_BASIC ? CURLAUTH_BASIC : 0) |
		    (h->auth & NET_AUTH_DIGEST ? CURLAUTH_DIGEST : 0));
	}
	if (h->session[0] != '\0')
		*hdr = curl_slist_append(*hdr, h->session);
	for (; headers != NULL && *headers != NULL; headers++)
		*hdr = curl_slist_append(*hdr, *headers);
	*hdr = curl_slist_append(*hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdr);
	return c;
}

/* Performs the request: 0 for a 2xx answer (r->json set if the body is
 * JSON), or -1 with r->why "WHAT: reason". */
static int
perform(CURL *c, struct net_reply *r, struct body *b, const char *what)
{
	char err[CURL_ERROR_SIZE], text[400];
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
		    " bytes", what, NET_BODY_MAX);
		return -1;
	}
	r->body = b->p;
	r->len = b->len;
	b->p = NULL;
	if (r->body != NULL)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	if (r->code >= 200 && r->code < 300)
		return 0;
	error_text(r, text, sizeof(text));
	if (text[0] != '\0')
		snprintf(r->why, sizeof(r->why), "%.100s: HTTP %ld: %s", what,
		    r->code, text);
	else
		snprintf(r->why, sizeof(r->why), "%.100s: HTTP %ld", what,
		    r->code);
	return -1;
}

static int
request(const struct net_host *h, const char *method, const char *path,
    const char *query, const char *ctype, const char *data,
    struct net_reply *r)
{
	struct body b = { NULL, 0, 0 };
	const char *hdrs[2] = { NULL, NULL };
	struct curl_slist *hdr;
	char *url, *what, *ct = NULL;
	CURL *c;
	int rv;

	memset(r, 0, sizeof(*r));
	url = xasprintf("%s%s%s%s", h->base, path, query ? "?" : "",
	    query ? query : "");
	what = xasprintf("%s %s", method, path);
	if (ctype != NULL)
		hdrs[0] = ct = xasprintf("Content-Type: %s", ctype);
	if ((c = easy(h, url, &b, &hdr, hdrs)) == NULL) {
		snprintf(r->why, sizeof(r->why), "%s: cannot start curl",
		    what);
		free(url);
		free(what);
		free(ct);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (data != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : "");
	rv = perform(c, r, &b, what);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.p);
	free(url);
	free(what);
	free(ct);
	return rv;
}

int
net_request(const struct net_host *h, const char *method, const char *path,
    const char *query, struct net_reply *r)
{
	return request(h, method, path, query, NULL, NULL, r);
}

/* METHOD path?query with data as its body, of content type ctype (a
 * host that takes G-code as text, DSF's /machine/code). */
int
net_request_body(const struct net_host *h, const char *method,
    const char *path, const char *query, const char *ctype, const char *data,
    struct net_reply *r)
{
	return request(h, method, path, query, ctype, data, r);
}

int
net_request_json(const struct net_host *h, const char *method,
    const char *path, const char *query, json_t *body, struct net_reply *r)
{
	char *data;
	int rv;

	if ((data = json_dumps(body, JSON_COMPACT)) == NULL) {
		memset(r, 0, sizeof(*r));
		snprintf(r->why, sizeof(r->why), "%s %s: cannot write the"
		    " request's JSON", method, path);
		return -1;
	}
	rv = request(h, method, path, query, "application/json", data, r);
	free(data);
	return rv;
}

void
net_reply_free(struct net_reply *r)
{
	json_decref(r->json);
	r->json = NULL;
	free(r->body);
	r->body = NULL;
	r->len = 0;
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

/* A slow host is not a dead one: fail below 1 KiB/s for 30 s. */
static void
upload_limits(CURL *c)
{
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
}

/* POST path: a multipart form of fields, then the file streamed as
 * file_field under name. */
int
net_upload_form(const struct net_host *h, const char *path,
    const struct net_field *fields, size_t nfields, const char *file_field,
    const char *name, struct net_file *f, struct net_reply *r)
{
	struct body b = { NULL, 0, 0 };
	struct upload u = { f->fd, 0 };
	struct curl_slist *hdr;
	curl_mimepart *part;
	curl_mime *mime;
	char *url, *what;
	size_t i;
	CURL *c;
	int rv;

	memset(r, 0, sizeof(*r));
	url = xasprintf("%s%s", h->base, path);
	what = xasprintf("POST %s", path);
	if ((c = easy(h, url, &b, &hdr, NULL)) == NULL) {
		snprintf(r->why, sizeof(r->why), "%s: cannot start curl",
		    what);
		free(url);
		free(what);
		return -1;
	}
	mime = curl_mime_init(c);
	for (i = 0; i < nfields; i++) {
		part = curl_mime_addpart(mime);
		curl_mime_name(part, fields[i].name);
		curl_mime_data(part, fields[i].value, CURL_ZERO_TERMINATED);
	}
	part = curl_mime_addpart(mime);
	curl_mime_name(part, file_field);
	curl_mime_filename(part, name);
	curl_mime_type(part, "application/octet-stream");
	curl_mime_data_cb(part, (curl_off_t)f->size, upload_read, upload_seek,
	    NULL, &u);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	upload_limits(c);
	rv = perform(c, r, &b, what);
	curl_mime_free(mime);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.p);
	free(url);
	free(what);
	return rv;
}

/* METHOD path?query with the file as the raw body (its length given),
 * and the extra headers ("Name: value", NULL-terminated). */
int
net_upload_raw(const struct net_host *h, const char *method,
    const char *path, const char *query, const char *const *headers,
    struct net_file *f, struct net_reply *r)
{
	struct body b = { NULL, 0, 0 };
	struct upload u = { f->fd, 0 };
	struct curl_slist *hdr;
	char *url, *what;
	CURL *c;
	int rv;

	memset(r, 0, sizeof(*r));
	url = xasprintf("%s%s%s%s", h->base, path, query ? "?" : "",
	    query ? query : "");
	what = xasprintf("%s %s", method, path);
	if ((c = easy(h, url, &b, &hdr, headers)) == NULL) {
		snprintf(r->why, sizeof(r->why), "%s: cannot start curl",
		    what);
		free(url);
		free(what);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)f->size);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, upload_seek);
	curl_easy_setopt(c, CURLOPT_SEEKDATA, &u);
	upload_limits(c);
	rv = perform(c, r, &b, what);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.p);
	free(url);
	free(what);
	return rv;
}
