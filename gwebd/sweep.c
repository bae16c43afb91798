/*
 * sweep.c - requests whose headers come too slowly.  libmicrohttpd's
 * idle timeout starts again with every byte, and max_header bounds
 * only their size: a client that sends a header a byte a second would
 * hold its connection (and its thread) for hours.  So each connection
 * is recorded when it opens, with the time its next request began (its
 * opening, or the end of the request before); the handler marks when
 * a request's headers are in (its first call), and a thread looks once
 * a second for those still without their headers after [web]
 * request_time, and shuts their socket down: libmicrohttpd sees the
 * connection end and closes it.
 *
 * Security: the table holds no more than the connections
 * libmicrohttpd lets in (max_connections per listener); a record lives
 * from the library's "started" to its "closed", and the socket is shut
 * down under the table's lock, so never after the library has let it
 * go.
 *
 * Diagnostics: each connection cut is logged with its address and how
 * long its headers took.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "gwebd.h"
#include "log.h"
#include "util.h"

struct watched {
	struct watched	*next, **prevp;
	struct MHD_Connection *conn;
	int		 fd;
	int		 headers_in;	/* the request's headers are complete */
	int		 cut;
	time_t		 began;		/* the request's, or the connection's */
	char		 addr[ADDR_MAX];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct watched *head;
static pthread_t thread;
static int running, stop;

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION: a connection opens or
 * closes. */
void
sweep_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct watched *wt;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		wt = xcalloc(1, sizeof(*wt));
		wt->conn = conn;
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		wt->fd = ci != NULL ? ci->connect_fd : -1;
		wt->began = time(NULL);
		web_addr_text(conn, wt->addr, sizeof(wt->addr));
		pthread_mutex_lock(&lock);
		if ((wt->next = head) != NULL)
			head->prevp = &wt->next;
		wt->prevp = &head;
		head = wt;
		pthread_mutex_unlock(&lock);
		*socket_ctx = wt;
		return;
	}
	if ((wt = *socket_ctx) == NULL)
		return;
	pthread_mutex_lock(&lock);
	if (wt->next != NULL)
		wt->next->prevp = wt->prevp;
	*wt->prevp = wt->next;
	pthread_mutex_unlock(&lock);
	free(wt);
	*socket_ctx = NULL;
}

static struct watched *
watched_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* The headers of conn's request are in (the handler's first call). */
void
sweep_headers_in(struct MHD_Connection *conn)
{
	struct watched *wt = watched_of(conn);

	if (wt == NULL)
		return;
	pthread_mutex_lock(&lock);
	wt->headers_in = 1;
	pthread_mutex_unlock(&lock);
}

/* conn's request has ended: the next one's headers are timed from
 * now. */
void
sweep_request_done(struct MHD_Connection *conn)
{
	struct watched *wt = watched_of(conn);

	if (wt == NULL)
		return;
	pthread_mutex_lock(&lock);
	wt->headers_in = 0;
	wt->began = time(NULL);
	pthread_mutex_unlock(&lock);
}

static void *
sweeper(void *arg)
{
	struct web *w = arg;
	struct watched *wt;
	struct timespec ts;
	time_t now;

	pthread_mutex_lock(&lock);
	while (!stop) {
		now = time(NULL);
		for (wt = head; wt != NULL; wt = wt->next) {
			if (wt->headers_in || wt->cut || wt->fd < 0 ||
			    now - wt->began <= w->conf.web.request_time)
				continue;
			log_warnx("%s: connection cut: its request's headers"
			    " were not complete after %lld s (request_time"
			    " %ld s)", wt->addr, (long long)(now - wt->began),
			    w->conf.web.request_time);
			shutdown(wt->fd, SHUT_RDWR);
			wt->cut = 1;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&wake, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* The sweep, once a second; 0, or -1 with errno. */
int
sweep_start(struct web *w)
{
	int e;

	if ((e = pthread_create(&thread, NULL, sweeper, w)) != 0) {
		errno = e;
		return -1;
	}
	running = 1;
	return 0;
}

void
sweep_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stop = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	running = 0;
}
