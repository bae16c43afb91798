/*
 * events.c - /api/gspool/events, a text/event-stream: "event: queue"
 * with the queue as the account sees it (one line of JSON) at once and
 * at each change, at most every EVENT_STEP_MS, and ": ping" after
 * PING_SECONDS of quiet, so that a client gone is noticed by the
 * failed write.
 *
 * Each stream runs in its connection's own thread (gwebd runs
 * libmicrohttpd with a thread per connection), so its reader may wait:
 * each step it takes the account's queue and sends it when it is not
 * the one last sent.  The streams of one account share one request to
 * spoold per step (a small table, CACHE_MAX accounts, the oldest given
 * up), so fifty viewers cost spoold what one does; the history, when
 * it is watched (below), is shared through the same table.  A stopping gwebd
 * ends every stream at the next step.
 *
 * A job that leaves the queue is in the history, but its filters may
 * still be at work (the timelapse renders its video after the print),
 * and what they report comes later.  So for the spool's filter_timeout
 * after a job has left the account's queue, the stream takes the
 * account's history at each step too, and sends "event: history" when
 * it is not the one it took as the job left: the page reloads its
 * history then, and never polls.  Only those windows cost a history.
 *
 * Security: the stream is the account's queue, as /api/gspool/queue;
 * what a client sends is never read.  Its memory is one queue's text.
 *
 * Diagnostics: a spoold that cannot be reached ends the stream with an
 * "event: error" whose data says so; the page reconnects.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "gwebd.h"
#include "log.h"
#include "util.h"

#define CACHE_MAX	32

/* The queue (or, with CLIENT_QUEUE_HISTORY in flags, the history) as
 * each account last had it, and when (CLOCK_MONOTONIC). */
static struct cached {
	char		 account[CONF_NAME_MAX + 1];
	int		 flags;
	char		*text;
	struct timespec	 at;
} cache[CACHE_MAX];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) /
	    1000000;
}

/* The account's queue (or history, as flags say) as text, at most a
 * step old (a copy to free), or NULL with why. */
static char *
queue_text(struct web *w, const struct conf_account *a, int flags,
    char *why, size_t whysz)
{
	struct cached *c = NULL, *oldest = &cache[0];
	char *text = NULL;
	json_t *q;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CACHE_MAX && c == NULL; i++) {
		if (strcmp(cache[i].account, a->name) == 0 &&
		    cache[i].flags == flags)
			c = &cache[i];
		else if (cache[i].at.tv_sec < oldest->at.tv_sec)
			oldest = &cache[i];
	}
	if (c != NULL && c->text != NULL && ms_since(&c->at) <
	    EVENT_STEP_MS) {
		text = xstrdup(c->text);
		goto done;
	}
	if ((q = ctl_queue(w, a, flags, why, whysz)) == NULL)
		goto done;
	text = json_dumps(q, JSON_COMPACT);
	json_decref(q);
	if (text == NULL)
		goto done;
	if (c == NULL) {
		c = oldest;
		snprintf(c->account, sizeof(c->account), "%s", a->name);
		c->flags = flags;
	}
	free(c->text);
	c->text = xstrdup(text);
	clock_gettime(CLOCK_MONOTONIC, &c->at);
done:
	pthread_mutex_unlock(&cache_lock);
	return text;
}

struct stream {
	struct web	*w;
	const struct conf_account *acct;
	char		*last;		/* the queue last sent */
	json_int_t	*ids;		/* its jobs */
	size_t		 nids;
	char		*hist;		/* the history as a job left */
	time_t		 watch_until;	/* looking at the history till then */
	char		*out;		/* what is left to send */
	size_t		 outlen, outoff;
	time_t		 sent;		/* when anything was last sent */
	int		 ended;
};

static void
stream_set(struct stream *s, char *text)
{
	free(s->out);
	s->out = text;
	s->outlen = strlen(text);
	s->outoff = 0;
	s->sent = time(NULL);
}

/* The account's history as text (to free), or NULL. */
static char *
history_text(struct stream *s)
{
	char why[512];

	why[0] = '\0';
	return queue_text(s->w, s->acct, CLIENT_QUEUE_HISTORY, why,
	    sizeof(why));
}

/* The queue to be sent is text: if a job of the last one sent is not
 * in it, the history is taken and looked at for filter_timeout. */
static void
jobs_seen(struct stream *s, const char *text)
{
	json_t *q = json_loads(text, 0, NULL);
	json_t *jobs = json_object_get(q, "jobs");
	json_int_t *ids;
	size_t i, j, n = json_array_size(jobs);
	int left = 0;

	ids = xcalloc(n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = json_integer_value(json_object_get(json_array_get(
		    jobs, i), "id"));
	json_decref(q);
	for (i = 0; i < s->nids && !left; i++) {
		for (j = 0; j < n && ids[j] != s->ids[i]; j++)
			continue;
		left = j == n;
	}
	free(s->ids);
	s->ids = ids;
	s->nids = n;
	if (!left)
		return;
	free(s->hist);
	if ((s->hist = history_text(s)) != NULL)
		s->watch_until = time(NULL) + s->w->conf.filter_timeout + 1;
}

/* While a window is open: 1 if the history changed (then "event:
 * history" is to be sent), else 0. */
static int
history_changed(struct stream *s)
{
	char *text;

	if (s->hist == NULL)
		return 0;
	if (time(NULL) > s->watch_until) {
		free(s->hist);
		s->hist = NULL;
		return 0;
	}
	if ((text = history_text(s)) == NULL)
		return 0;
	if (strcmp(text, s->hist) == 0) {
		free(text);
		return 0;
	}
	free(s->hist);
	s->hist = text;
	return 1;
}

/* The next thing to send: the queue if it changed, the history's
 * change, a ping, the end. */
static void
stream_next(struct stream *s)
{
	struct timespec step = { 0, EVENT_STEP_MS * 1000000L };
	char why[512];
	char *text;

	for (;;) {
		if (s->w->stopping) {
			s->ended = 1;
			return;
		}
		if (history_changed(s)) {
			stream_set(s, xstrdup("event: history\ndata: {}\n\n"));
			return;
		}
		why[0] = '\0';
		if ((text = queue_text(s->w, s->acct, 0, why,
		    sizeof(why))) == NULL) {
			stream_set(s, xasprintf("event: error\ndata: %s\n\n",
			    why[0] ? why : "the spooler cannot be reached"));
			s->ended = 1;
			return;
		}
		if (s->last == NULL || strcmp(text, s->last) != 0) {
			jobs_seen(s, text);
			free(s->last);
			s->last = text;
			stream_set(s, xasprintf("event: queue\ndata: %s\n\n",
			    text));
			return;
		}
		free(text);
		if (time(NULL) - s->sent >= PING_SECONDS) {
			stream_set(s, xstrdup(": ping\n\n"));
			return;
		}
		nanosleep(&step, NULL);
	}
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	(void)pos;
	if (s->out == NULL || s->outoff == s->outlen) {
		if (s->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		stream_next(s);
		if (s->out == NULL || s->outoff == s->outlen)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = s->outlen - s->outoff;
	if (n > max)
		n = max;
	memcpy(buf, s->out + s->outoff, n);
	s->outoff += n;
	return (ssize_t)n;
}

static void
stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->last);
	free(s->ids);
	free(s->hist);
	free(s->out);
	free(s);
}

enum MHD_Result
events_start(struct req *r)
{
	struct MHD_Response *resp;
	struct stream *s;
	enum MHD_Result ret;

	s = xcalloc(1, sizeof(*s));
	s->w = r->w;
	s->acct = r->acct;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
	    stream_read, s, stream_free);
	if (resp == NULL) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
