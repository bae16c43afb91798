/*
 * relay.c - /api/gspool/printers/NAME/stream, the printer's camera
 * relayed as multipart/x-mixed-replace (MJPEG): one connection to the
 * camera (the printer's camera URL, http:// or https://) for all its
 * viewers, opened by the first and closed when the last leaves.
 *
 * A camera's thread reads its stream (or its snapshots, one after the
 * other) with libcurl and takes whole JPEGs out of it (lib/mjpeg.c);
 * the latest is the camera's one frame, shared and counted: a viewer
 * holds a reference while it sends it and frees it if it was the last.
 * Each viewer runs in its connection's thread (gwebd runs
 * libmicrohttpd with a thread per connection), so its reader waits on
 * the camera's condition for a frame newer than the one it sent, no
 * sooner than 1/[web] stream_fps after it.  With no new frame for
 * RELAY_REPEAT_S the last is sent again, so a viewer gone is noticed
 * by the failed write; a camera that has sent no frame at all by then
 * ends its viewers' streams.  The snapshot endpoint serves the relay's frame
 * where spoold keeps none.
 *
 * Security: what the camera sends is anyone's who answers at its
 * address: only whole JPEGs (SOI to EOI, mjpeg.c) of at most
 * RELAY_FRAME_MAX bytes are passed on, and the bytes kept while one
 * comes are bounded by RELAY_BUF; the viewers' requests name only
 * a printer of the configuration, whose URL no viewer sees.  Memory is
 * one frame per camera (and the one a slow viewer still sends).
 *
 * Diagnostics: the camera's failures (no connection, an HTTP status,
 * no frame) are logged with the printer and the URL, once until it
 * sends again; a printer without a camera is a 404 that says so.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "gwebd.h"
#include "log.h"
#include "mjpeg.h"
#include "util.h"

#define RELAY_CAMERAS	32		/* cameras relayed at once */
#define RELAY_FRAME_MAX	(4 << 20)	/* the largest frame passed on */
#define RELAY_REPEAT_S	5		/* the last frame again after */
#define RELAY_RETRY_S	2		/* a lost camera tried again after */
#define RELAY_BUF	(RELAY_FRAME_MAX + 65536)	/* bytes kept */
#define BOUNDARY	"gspoolframe"

/* One frame, shared by the camera and the viewers sending it. */
struct frame {
	int		 refs;		/* under the camera's lock */
	unsigned long	 seq;
	size_t		 len;
	unsigned char	 data[];
};

static struct camera {
	pthread_mutex_t	 lock;
	pthread_cond_t	 changed;
	char		 printer[CONF_NAME_MAX + 1];
	char		*url;
	int		 viewers;
	int		 running;	/* its thread, till it has ended */
	int		 failing;	/* its failure is logged */
	struct frame	*latest;
	unsigned long	 seq;
	unsigned long	 connections;	/* made to the camera */
	unsigned char	*buf;		/* the stream's bytes kept */
	size_t		 blen;
} cameras[RELAY_CAMERAS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* One viewer: its camera, the frame it sends and how far. */
struct viewer {
	struct camera	*cam;
	struct frame	*f;
	char		 head[160];
	size_t		 hlen, off;	/* of head, then of the frame */
	unsigned long	 sent;		/* the last frame's seq */
	struct timespec	 at;		/* when it was begun */
};

static void
frame_drop(struct camera *c, struct frame *f)
{
	(void)c;
	if (f != NULL && --f->refs == 0)
		free(f);
}

/* mjpeg_scan()'s: a whole JPEG, the camera's latest. */
static void
on_frame(const unsigned char *b, size_t n, size_t at, void *arg)
{
	struct camera *c = arg;
	struct frame *f;

	(void)at;
	if (n > RELAY_FRAME_MAX || (f = malloc(sizeof(*f) + n)) == NULL)
		return;
	memcpy(f->data, b, n);
	f->len = n;
	f->refs = 1;
	pthread_mutex_lock(&c->lock);
	f->seq = ++c->seq;
	frame_drop(c, c->latest);
	c->latest = f;
	if (c->failing)
		log_info("%s: the camera sends again", c->printer);
	c->failing = 0;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
}

static int
no_viewers(struct camera *c)
{
	int none;

	pthread_mutex_lock(&c->lock);
	none = c->viewers == 0 || web_global->stopping;
	pthread_mutex_unlock(&c->lock);
	return none;
}

/* curl's: the camera's bytes, kept up to a frame and a little more. */
static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct camera *c = arg;
	size_t n = size * nmemb, room;

	if (no_viewers(c))
		return 0;	/* the last viewer left: hang up */
	while (n > 0) {
		room = RELAY_BUF - c->blen;
		if (room == 0) {
			c->blen = 0;	/* no whole frame in so much */
			continue;
		}
		if (room > n)
			room = n;
		memcpy(c->buf + c->blen, data, room);
		c->blen += room;
		data += room;
		n -= room;
		mjpeg_scan(c->buf, &c->blen, on_frame, c);
	}
	return size * nmemb;
}

static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t d,
    curl_off_t e)
{
	(void)a, (void)b, (void)d, (void)e;
	return no_viewers(arg);
}

/* One connection to the camera, till it ends or nobody watches. */
static void
camera_once(struct camera *c)
{
	char err[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode rc;

	if ((h = curl_easy_init()) == NULL)
		return;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
	pthread_mutex_lock(&c->lock);
	c->connections++;
	pthread_mutex_unlock(&c->lock);
	c->blen = 0;
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR &&
	    rc != CURLE_ABORTED_BY_CALLBACK && !c->failing) {
		log_warnx("%s: the camera at %s: %s", c->printer, c->url,
		    err[0] ? err : curl_easy_strerror(rc));
		c->failing = 1;
	}
	curl_easy_cleanup(h);
}

/* The camera's thread: connections while anyone watches. */
static void *
camera_thread(void *arg)
{
	struct camera *c = arg;
	struct timespec until;

	for (;;) {
		/* Looked at, and given up, under the lock a joining viewer
		 * takes: none is left without a thread. */
		pthread_mutex_lock(&c->lock);
		if (c->viewers == 0 || web_global->stopping) {
			c->running = 0;
			pthread_cond_broadcast(&c->changed);
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
		camera_once(c);
		pthread_mutex_lock(&c->lock);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += RELAY_RETRY_S;
		while (c->viewers > 0 && !web_global->stopping &&
		    pthread_cond_timedwait(&c->changed, &c->lock, &until) !=
		    ETIMEDOUT)
			;
		pthread_mutex_unlock(&c->lock);
	}
}

static void
camera_init(struct camera *c)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->changed, &ca);
	pthread_condattr_destroy(&ca);
}

/* The printer's camera, its entry found or made: NULL if none free. */
static struct camera *
camera_of(const char *printer, const char *url)
{
	static int ready;
	struct camera *c = NULL;
	int i;

	pthread_mutex_lock(&table_lock);
	if (!ready) {
		for (i = 0; i < RELAY_CAMERAS; i++)
			camera_init(&cameras[i]);
		ready = 1;
	}
	for (i = 0; i < RELAY_CAMERAS && c == NULL; i++)
		if (strcmp(cameras[i].printer, printer) == 0)
			c = &cameras[i];
	for (i = 0; i < RELAY_CAMERAS && c == NULL; i++)
		if (cameras[i].printer[0] == '\0') {
			c = &cameras[i];
			snprintf(c->printer, sizeof(c->printer), "%s", printer);
			c->url = xstrdup(url);
		}
	pthread_mutex_unlock(&table_lock);
	return c;
}

/* A viewer joins: the camera's thread started if it is not running. */
static int
camera_join(struct camera *c)
{
	pthread_t t;
	int r = 0;

	pthread_mutex_lock(&c->lock);
	c->viewers++;
	if (!c->running) {
		if (c->buf == NULL)
			c->buf = malloc(RELAY_BUF);
		if (c->buf == NULL || pthread_create(&t, NULL, camera_thread,
		    c) != 0) {
			c->viewers--;
			r = -1;
		} else {
			pthread_detach(t);
			c->running = 1;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

static void
viewer_free(void *arg)
{
	struct viewer *v = arg;
	struct camera *c = v->cam;

	pthread_mutex_lock(&c->lock);
	frame_drop(c, v->f);
	c->viewers--;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	free(v);
}

static long long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000LL + (now.tv_nsec -
	    t->tv_nsec) / 1000000;
}

/* The next frame for v: one newer than it sent, not before its gap,
 * or the same again after RELAY_REPEAT_S.  0, or -1 to end. */
static int
next_frame(struct viewer *v)
{
	struct camera *c = v->cam;
	long gap = 1000 / web_global->conf.web.stream_fps;
	struct timespec until;
	long long wait;

	if (v->sent != 0 && (wait = gap - ms_since(&v->at)) > 0) {
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };

		nanosleep(&ts, NULL);	/* the viewer's rate, no sooner */
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += RELAY_REPEAT_S;
	pthread_mutex_lock(&c->lock);
	while (!web_global->stopping && (c->latest == NULL ||
	    c->latest->seq == v->sent))
		if (pthread_cond_timedwait(&c->changed, &c->lock, &until) ==
		    ETIMEDOUT)
			break;
	if (web_global->stopping || c->latest == NULL) {
		/* No frame at all in so long: the viewer is let go. */
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	frame_drop(c, v->f);
	v->f = c->latest;
	v->f->refs++;
	pthread_mutex_unlock(&c->lock);
	v->sent = v->f->seq;
	clock_gettime(CLOCK_MONOTONIC, &v->at);
	v->hlen = (size_t)snprintf(v->head, sizeof(v->head), "--" BOUNDARY
	    "\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n",
	    v->f->len);
	v->off = 0;
	return 0;
}

/* libmicrohttpd's reader: the part's head, the JPEG, its CRLF. */
static ssize_t
reader(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct viewer *v = arg;
	size_t total, n, done = 0;

	(void)pos;
	for (;;) {
		if (v->f == NULL) {
			if (next_frame(v) < 0)
				return MHD_CONTENT_READER_END_OF_STREAM;
			if (v->f == NULL)
				continue;
		}
		total = v->hlen + v->f->len + 2;
		while (done < max && v->off < total) {
			if (v->off < v->hlen) {
				n = v->hlen - v->off;
				if (n > max - done)
					n = max - done;
				memcpy(buf + done, v->head + v->off, n);
			} else if (v->off < v->hlen + v->f->len) {
				n = v->hlen + v->f->len - v->off;
				if (n > max - done)
					n = max - done;
				memcpy(buf + done, v->f->data + (v->off -
				    v->hlen), n);
			} else {
				n = total - v->off;
				if (n > max - done)
					n = max - done;
				memcpy(buf + done, "\r\n" + (v->off - v->hlen -
				    v->f->len), n);
			}
			done += n;
			v->off += n;
		}
		if (v->off == total) {
			pthread_mutex_lock(&v->cam->lock);
			frame_drop(v->cam, v->f);
			pthread_mutex_unlock(&v->cam->lock);
			v->f = NULL;
		}
		if (done > 0)
			return (ssize_t)done;
	}
}

/* GET /api/gspool/printers/NAME/stream. */
enum MHD_Result
relay_stream(struct req *r, const char *printer)
{
	const struct conf_printer *p = conf_printer(&r->w->conf, printer);
	struct MHD_Response *resp;
	struct camera *c;
	struct viewer *v;

	if (strcmp(r->method, "GET") != 0)
		return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: GET"
		    " it", r->url);
	if (p == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no such"
		    " printer", printer);
	if (p->camera == NULL || (strncmp(p->camera, "http://", 7) != 0 &&
	    strncmp(p->camera, "https://", 8) != 0))
		return http_error(r, MHD_HTTP_NOT_FOUND, "%s: no camera to"
		    " relay (its camera is not an http:// or https:// URL)",
		    printer);
	if ((c = camera_of(printer, p->camera)) == NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s: %d"
		    " cameras are relayed already", printer, RELAY_CAMERAS);
	if (camera_join(c) < 0)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s: the"
		    " camera's relay cannot start: out of memory or threads",
		    printer);
	v = xcalloc(1, sizeof(*v));
	v->cam = c;
	if ((resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
	    65536, reader, v, viewer_free)) == NULL) {
		viewer_free(v);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	    "multipart/x-mixed-replace;boundary=" BOUNDARY);
	return http_reply(r, MHD_HTTP_OK, resp);
}

/* The relay's latest frame of the printer, copied: its length, or 0. */
size_t
relay_latest(const char *printer, unsigned char **out)
{
	size_t n = 0;
	int i;

	*out = NULL;
	pthread_mutex_lock(&table_lock);
	for (i = 0; i < RELAY_CAMERAS; i++) {
		struct camera *c = &cameras[i];

		if (strcmp(c->printer, printer) != 0)
			continue;
		pthread_mutex_lock(&c->lock);
		if (c->latest != NULL && (*out = malloc(c->latest->len)) !=
		    NULL) {
			memcpy(*out, c->latest->data, c->latest->len);
			n = c->latest->len;
		}
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&table_lock);
	return n;
}

/* gwebd stops: every viewer waiting for a frame is woken to end. */
void
relay_stop(void)
{
	int i;

	pthread_mutex_lock(&table_lock);
	for (i = 0; i < RELAY_CAMERAS; i++) {
		if (cameras[i].printer[0] == '\0')
			continue;
		pthread_mutex_lock(&cameras[i].lock);
		pthread_cond_broadcast(&cameras[i].changed);
		pthread_mutex_unlock(&cameras[i].lock);
	}
	pthread_mutex_unlock(&table_lock);
}
