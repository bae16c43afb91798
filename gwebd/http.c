/*
 * http.c - one HTTP request, from libmicrohttpd's first call of the
 * access handler to its end: who it is (auth.c), its body within its
 * limits, and the part of gwebd that answers it (api.c, octo.c, the
 * compiled-in page).
 *
 * libmicrohttpd calls the handler once when the headers are in, once
 * per piece of body, and once more at the end.  A request is answered
 * on the last call, never the first (queued on the first, every answer
 * would close the connection).  A refusal (a missing or wrong key, a
 * write from another origin, an upload that is not multipart) is
 * answered on the last call too, after a body of at most max_body has
 * been read and dropped, so that the client reads the status instead of
 * a connection reset under what it was still sending; only a banned
 * address and a body declared over its limit are refused at once, their
 * connection closed.
 *
 * Security: every path under /api/ needs an account (a key, a session
 * cookie, or [web] anonymous for reading); the page's own files are
 * compiled in and served to anyone, as they hold no data.  No path of
 * a URL reaches the filesystem: routes are compared as strings, job
 * numbers parsed within range, printer names checked by spoold.  A
 * write carried by a cookie needs an Origin equal to the page's own
 * (the scheme and the Host it was asked under), or it is refused 403,
 * so another site cannot make a logged-in browser act.  A body that is
 * not an upload is held in memory up to [web] max_body; an upload is
 * written to an unlinked file as it comes (upload.c).
 *
 * Diagnostics: every refusal is answered with a JSON {"error": WHAT}
 * that says what was wrong and where, and a refusal of a key logged
 * with the address (auth.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assets.h"
#include "gwebd.h"
#include "log.h"
#include "util.h"
#include "webparse.h"

/* A client's address as text, "?" when the library has none. */
void
web_addr_text(struct MHD_Connection *conn, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, outsz, "?");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)outsz);
}

static enum MHD_Result
queue(struct req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A response made elsewhere (media.c), with the same headers. */
enum MHD_Result
http_reply(struct req *r, unsigned status, struct MHD_Response *resp)
{
	return queue(r, status, resp);
}

enum MHD_Result
http_text(struct req *r, unsigned status, const char *type, const char *text)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	return queue(r, status, resp);
}

/* The JSON object j (its reference taken) as the answer. */
enum MHD_Result
http_json(struct req *r, unsigned status, json_t *j)
{
	struct MHD_Response *resp;
	char *s;

	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(s), s,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	return queue(r, status, resp);
}

enum MHD_Result
http_error(struct req *r, unsigned status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return http_json(r, status, json_pack("{s:s}", "error", buf));
}

/* ---- small forms ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode [s, e) of a urlencoded form into out; NULL if it does not fit
 * or holds a NUL. */
static const char *
form_decode(const char *s, const char *e, char *out, size_t outsz)
{
	size_t o = 0;
	int hi, lo, c;

	for (; s < e; s++) {
		c = (unsigned char)*s;
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (e - s < 3 || (hi = hexval(s[1])) < 0 ||
			    (lo = hexval(s[2])) < 0)
				return NULL;
			c = hi * 16 + lo;
			s += 2;
		}
		if (c == '\0' || o + 1 >= outsz)
			return NULL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* A field of the request's urlencoded body, else of its query; NULL if
 * it has none (or one too long for out). */
const char *
http_form(const struct req *r, const char *field, char *out, size_t outsz)
{
	const char *p, *amp, *eq, *v;
	size_t flen = strlen(field);

	for (p = r->body; p != NULL && *p != '\0'; p = *amp ? amp + 1 : amp) {
		amp = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && (size_t)(eq - p) == flen &&
		    memcmp(p, field, flen) == 0)
			return form_decode(eq + 1, amp, out, outsz);
	}
	v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, field);
	if (v == NULL || strlen(v) >= outsz)
		return NULL;
	snprintf(out, outsz, "%s", v);
	return out;
}

/* ---- the request ---- */

static int
is_write(const struct req *r)
{
	return strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
}

/* A cookie's write from the page's own origin? */
static int
same_origin(const struct req *r)
{
	return web_same_origin(MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, "Origin"), MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, "Host"), r->w->tls);
}

static int
is_login(const struct req *r)
{
	return strcmp(r->url, "/api/gspool/login") == 0;
}

static int
is_upload(const struct req *r)
{
	return strcmp(r->method, "POST") == 0 &&
	    (strcmp(r->url, "/api/gspool/upload") == 0 ||
	    strcmp(r->url, "/api/files/local") == 0);
}

/* A body declared longer than its limit is refused before a byte of
 * it is read; one that is not declared is counted as it comes (the
 * rest read and dropped, answered at its end). */
static int
too_long(struct req *r, enum MHD_Result *ret)
{
	const struct conf_web *c = &r->w->conf.web;
	const char *cl;
	long long n, max;

	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Content-Length");
	if (cl == NULL || parse_llong(cl, 0, LLONG_MAX, &n) < 0)
		return 0;
	/* An upload's form around its file: a few KiB of parts. */
	max = is_upload(r) ? c->max_file + 65536 : c->max_body;
	if (n <= max)
		return 0;
	*ret = http_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "%s: a body of %lld"
	    " bytes is over %s (%lld bytes)", r->url, n, is_upload(r) ?
	    "max_file" : "max_body", is_upload(r) ? c->max_file :
	    c->max_body);
	return 1;
}

/* A refusal decided on the first call is answered on the last, once
 * the little body a refused request may carry (at most max_body) has
 * been read and dropped: answered before it, the connection would be
 * closed under a client still sending, which then sees a reset, not the
 * status.  A body declared longer than that is refused at once. */
static int
refuse(struct req *r, enum MHD_Result *ret, unsigned status,
    const char *what)
{
	const char *cl;
	long long n = 0;

	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Content-Length");
	if (cl != NULL && (parse_llong(cl, 0, LLONG_MAX, &n) < 0 ||
	    n > r->w->conf.web.max_body)) {
		*ret = http_error(r, status, "%s", what);
		return 0;
	}
	r->refused = status;
	snprintf(r->refusal, sizeof(r->refusal), "%s", what);
	return 1;
}

/* What the first call decides: 1 to go on (or to answer a refusal on
 * the last call), 0 refused and answered. */
static int
first_call(struct req *r, enum MHD_Result *ret)
{
	char what[512];

	if (auth_banned(r->w, r->addr)) {
		*ret = http_error(r, MHD_HTTP_FORBIDDEN, "%s is banned for a"
		    " while after too many wrong keys or passwords", r->addr);
		return 0;
	}
	if (strncmp(r->url, "/api/", 5) != 0 || is_login(r))
		return 1;
	if (!auth_request(r)) {
		snprintf(what, sizeof(what), "%s: give an account's key in"
		    " X-Api-Key, or log in", r->url);
		return refuse(r, ret, MHD_HTTP_UNAUTHORIZED, what);
	}
	if (is_write(r) && r->by == AUTH_ANONYMOUS) {
		snprintf(what, sizeof(what), "%s: anonymous access is read"
		    " only: give an account's key", r->url);
		return refuse(r, ret, MHD_HTTP_UNAUTHORIZED, what);
	}
	if (is_write(r) && r->by == AUTH_COOKIE && !same_origin(r)) {
		log_warnx("%s: %s %s refused: a write from another origin",
		    r->addr, r->method, r->url);
		snprintf(what, sizeof(what), "%s: a write from another origin"
		    " than the page's", r->url);
		return refuse(r, ret, MHD_HTTP_FORBIDDEN, what);
	}
	if (too_long(r, ret))
		return 0;
	if (is_upload(r) && upload_begin(r) < 0) {
		snprintf(what, sizeof(what), "%s: send the file as"
		    " multipart/form-data", r->url);
		return refuse(r, ret, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, what);
	}
	return 1;
}

/* A piece of a body that is not an upload. */
static void
body_add(struct req *r, const char *data, size_t size)
{
	if (r->too_big || r->blen + size > (size_t)r->w->conf.web.max_body) {
		r->too_big = 1;
		return;
	}
	r->body = xrealloc(r->body, r->blen + size + 1);
	memcpy(r->body + r->blen, data, size);
	r->blen += size;
	r->body[r->blen] = '\0';
}

static enum MHD_Result
serve_asset(struct req *r)
{
	const struct asset *a;
	struct MHD_Response *resp;
	const char *inm;

	if (is_write(r))
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: not a"
		    " place to write to", r->url);
	if ((a = asset_find(r->url)) == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such page",
		    r->url);
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "If-None-Match");
	if (inm != NULL && a->etag != NULL && strcmp(inm, a->etag) == 0)
		resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	else
		resp = MHD_create_response_from_buffer(a->len,
		    (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", a->type);
	if (a->etag != NULL)
		MHD_add_response_header(resp, "ETag", a->etag);
	MHD_add_response_header(resp, "Content-Security-Policy", ASSET_CSP);
	return queue(r, inm != NULL && a->etag != NULL && strcmp(inm,
	    a->etag) == 0 ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
}

static enum MHD_Result
last_call(struct req *r)
{
	if (r->refused)
		return http_error(r, (unsigned)r->refused, "%s", r->refusal);
	if (r->too_big)
		return http_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "%s: the body"
		    " is over max_body (%lld bytes)", r->url,
		    r->w->conf.web.max_body);
	if (r->up != NULL)
		return upload_end(r, strncmp(r->url, "/api/gspool/", 12) != 0);
	if (strncmp(r->url, "/api/gspool/", 12) == 0)
		return api_gspool(r);
	if (strncmp(r->url, "/api/", 5) == 0)
		return octo_api(r);
	/* OctoPrint's Application Keys: a slicer asks for a key here and
	 * falls back to one typed in when told there is none. */
	if (strncmp(r->url, "/plugin/appkeys/", 16) == 0)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: gspool hands out"
		    " no API keys over HTTP: give the key of an account's"
		    " api_keys file (gwebd(8))", r->url);
	return serve_asset(r);
}

enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **ctx)
{
	struct req *r = *ctx;
	enum MHD_Result ret = MHD_NO;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->l = cls;
		r->w = r->l->w;
		r->conn = conn;
		r->method = method;
		r->url = url;
		web_addr_text(conn, r->addr, sizeof(r->addr));
		r->started = time(NULL);
		*ctx = r;
		sweep_headers_in(conn);
		if (!first_call(r, &ret))
			return ret;
		return MHD_YES;
	}
	if (*size > 0) {
		/* A body that comes too slowly is cut off: the connection
		 * closed, since no answer can go out in the middle of it. */
		if (time(NULL) - r->started > r->w->conf.web.request_time) {
			log_warnx("%s: %s %s cut off: the body took over"
			    " request_time (%ld s)", r->addr, r->method,
			    r->url, r->w->conf.web.request_time);
			return MHD_NO;
		}
		if (r->refused) {
			/* Read and dropped, up to max_body. */
			if (r->blen + *size > (size_t)r->w->conf.web.max_body)
				return MHD_NO;
			r->blen += *size;
			*size = 0;
			return MHD_YES;
		}
		if (r->up != NULL)
			return upload_feed(r, data, size);
		body_add(r, data, *size);
		*size = 0;
		return MHD_YES;
	}
	return last_call(r);
}

void
http_done(void *cls, struct MHD_Connection *conn, void **ctx,
    enum MHD_RequestTerminationCode why)
{
	struct req *r = *ctx;

	(void)cls;
	(void)why;
	sweep_request_done(conn);
	if (r == NULL)
		return;
	if (r->up != NULL)
		upload_free(r->up);
	free(r->body);
	free(r);
	*ctx = NULL;
}
