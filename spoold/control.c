/*
 * control.c - the control socket that gprint, gqueue and gcancel use.
 *
 * An AF_UNIX SOCK_SEQPACKET socket (msg.h).  The caller is identified by
 * SO_PEERCRED, never by anything it says.  Requests and replies are
 * listed in gspool(7):
 *
 *   submit PRINTER TITLE  (+ the file's descriptor)  -> ok ID PRINTER
 *   queue [PRINTER]     -> printer ... / job ... rows, then end
 *   cancel ID           -> ok | error MESSAGE
 *   wait ID             -> done ID STATE REASON, when the job has ended
 *   pause PRINTER, resume PRINTER, estop PRINTER -> ok | error MESSAGE
 *
 * Security: any local user may connect.  A submitted file is read
 * through the descriptor the caller passed, so spoold reads only what
 * the caller could read.  Only a job's owner, root, or spoold's own user
 * may cancel it, or pause, resume or stop the printer printing it.  Replies are sent with a send timeout, so a client that
 * stops reading cannot hold the daemon.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "spoold.h"
#include "util.h"

int
control_listen(struct spoold *sd)
{
	struct sockaddr_un sun;
	char *tmp;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	tmp = xasprintf("%s.%ld", sd->conf.socket_path, (long)getpid());
	if (strlen(tmp) >= sizeof(sun.sun_path)) {
		log_warnx("socket path too long: %s", sd->conf.socket_path);
		free(tmp);
		return -1;
	}
	strcpy(sun.sun_path, tmp);
	unlink(tmp);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(tmp, 0666) < 0 || listen(fd, 16) < 0 ||
	    /* Publish it ready: a client never finds a socket that is not
	     * listening yet. */
	    rename(tmp, sd->conf.socket_path) < 0) {
		log_warn("control socket %s", sd->conf.socket_path);
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	sd->listen_fd = fd;
	return 0;
}

void
control_close(struct spoold *sd)
{
	int i;

	if (sd->listen_fd >= 0) {
		close(sd->listen_fd);
		unlink(sd->conf.socket_path);
		sd->listen_fd = -1;
	}
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (sd->clients[i] == NULL)
			continue;
		close(sd->clients[i]->fd);
		free(sd->clients[i]);
		sd->clients[i] = NULL;
	}
}

void
control_accept(struct spoold *sd)
{
	struct timeval tv = { .tv_sec = 5 };
	struct client *c;
	struct passwd *pw;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i;

	fd = accept4(sd->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		if (sd->clients[i] == NULL)
			break;
	if (i == MAX_CLIENTS) {
		log_warnx("control: too many clients; refusing uid %ld",
		    (long)cred.uid);
		msg_send(fd, -1, "error", "spoold is busy: too many clients",
		    (char *)NULL);
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->uid = cred.uid;
	if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);
	else
		snprintf(c->user, sizeof(c->user), "%ld", (long)cred.uid);
	sd->clients[i] = c;
}

static void
client_drop(struct spoold *sd, struct client *c)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (sd->clients[i] == c)
			sd->clients[i] = NULL;
	close(c->fd);
	free(c);
}

static void
reply_error(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply_error(struct client *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	msg_send(c->fd, -1, "error", buf, (char *)NULL);
}

static void
do_submit(struct spoold *sd, struct client *c, struct msg *m)
{
	const char *printer = msg_field(m, 1), *title = msg_field(m, 2);
	char reason[512], ids[32];
	long id;

	if (m->fd < 0) {
		reply_error(c, "submit: no file was passed");
		return;
	}
	if (printer[0] == '\0')
		printer = sd->conf.default_printer;
	if (conf_printer(&sd->conf, printer) == NULL) {
		reply_error(c, "%s: unknown printer", printer);
		return;
	}
	if (title[0] == '\0')
		title = "(stdin)";
	id = ingest_fd(sd, m->fd, printer, c->user, c->uid, title, NULL,
	    reason, sizeof(reason));
	if (id <= 0) {
		log_warnx("control: %s from %s rejected: %s", title, c->user,
		    reason);
		reply_error(c, "%s", reason);
		return;
	}
	log_info("%s-%ld: queued %s for %s", printer, id, title, c->user);
	snprintf(ids, sizeof(ids), "%ld", id);
	msg_send(c->fd, -1, "ok", ids, printer, (char *)NULL);
	printer_dispatch(sd);
}

struct list_ctx {
	struct client	*c;
	int		 rank;
	int		 failed;
};

static int
list_row(const struct job_row *j, void *arg)
{
	struct list_ctx *lc = arg;
	char id[32], size[32], lines[64], rank[32];

	snprintf(id, sizeof(id), "%ld", j->id);
	snprintf(size, sizeof(size), "%lld", j->size);
	snprintf(lines, sizeof(lines), "%ld/%ld", j->lines_done, j->commands);
	if (strcmp(j->state, "pending") == 0)
		snprintf(rank, sizeof(rank), "%d", ++lc->rank);
	else
		snprintf(rank, sizeof(rank), "%s", strcmp(j->state,
		    "processing") == 0 ? "active" : j->state);
	if (msg_send(lc->c->fd, -1, "job", rank, j->owner, id, j->printer,
	    j->title, size, j->state, lines, j->reason, j->meta,
	    (char *)NULL) < 0) {
		lc->failed = 1;
		return -1;
	}
	return 0;
}

static void
do_queue(struct spoold *sd, struct client *c, struct msg *m)
{
	const char *only = msg_field(m, 1);
	struct list_ctx lc;
	struct job_row jr;
	char job[32], lines[32], layer[32], bytes[32], size[32];
	size_t i;

	if (only[0] != '\0' && printer_find(sd, only) == NULL) {
		reply_error(c, "%s: unknown printer", only);
		return;
	}
	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = &sd->printers[i];

		if (only[0] != '\0' && strcmp(only, p->conf->name) != 0)
			continue;
		snprintf(job, sizeof(job), "%ld", p->job);
		snprintf(lines, sizeof(lines), "%ld", p->lines_done);
		snprintf(layer, sizeof(layer), "%ld", p->layer);
		snprintf(bytes, sizeof(bytes), "%lld", p->bytes_done);
		snprintf(size, sizeof(size), "%lld", p->job &&
		    queue_get(sd, p->job, &jr) > 0 ? jr.size : 0);
		if (msg_send(c->fd, -1, "printer", p->conf->name,
		    printer_state_name(p->state), p->message, job, lines,
		    p->job ? (p->activity[0] ? p->activity : "printing") : "",
		    layer, p->temps, bytes, size, (char *)NULL) < 0)
			return;
	}
	memset(&lc, 0, sizeof(lc));
	lc.c = c;
	queue_list(sd, only, list_row, &lc);
	if (!lc.failed)
		msg_send(c->fd, -1, "end", (char *)NULL);
}

static int
may_change(struct spoold *sd, struct client *c, const struct job_row *j)
{
	return c->uid == 0 || c->uid == getuid() || (long)c->uid == j->uid;
}

/* The job a request names in its first argument; replies the error and
 * returns -1 when there is none. */
static int
request_job(struct spoold *sd, struct client *c, struct msg *m,
    struct job_row *j)
{
	long id;

	if (parse_long(msg_field(m, 1), 1, 2000000000L, &id) < 0) {
		reply_error(c, "%s: '%s' is not a job number", msg_field(m, 0),
		    msg_field(m, 1));
		return -1;
	}
	if (queue_get(sd, id, j) <= 0) {
		reply_error(c, "job %ld does not exist", id);
		return -1;
	}
	return 0;
}

static void
do_cancel(struct spoold *sd, struct client *c, struct msg *m)
{
	struct job_row j;
	long id;

	if (request_job(sd, c, m, &j) < 0)
		return;
	id = j.id;
	if (!may_change(sd, c, &j)) {
		reply_error(c, "%s-%ld belongs to %s; you may cancel only your"
		    " own jobs", j.printer, id, j.owner);
		return;
	}
	if (job_state_final(j.state)) {
		reply_error(c, "%s-%ld is already %s", j.printer, id, j.state);
		return;
	}
	log_info("%s-%ld: cancel requested by %s", j.printer, id, c->user);
	if (!printer_cancel(sd, id)) {
		if (queue_set_state(sd, id, "canceled", "canceled by request",
		    c->user) < 0) {
			reply_error(c, "%s-%ld: cannot record the cancel",
			    j.printer, id);
			return;
		}
		control_job_ended(sd, id);
	}
	msg_send(c->fd, -1, "ok", (char *)NULL);
}

/* pause, resume, estop PRINTER: steer the job a printer is printing.
 * Allowed to root, spoold's own user and the owner of that job. */
static void
do_printer_request(struct spoold *sd, struct client *c, struct msg *m)
{
	const char *verb = msg_field(m, 0), *name = msg_field(m, 1);
	struct printer *p;
	struct job_row j;
	char why[256];

	if ((p = printer_find(sd, name)) == NULL) {
		reply_error(c, "%s: unknown printer", name);
		return;
	}
	if (c->uid != 0 && c->uid != getuid() && (p->job == 0 ||
	    queue_get(sd, p->job, &j) <= 0 || (long)c->uid != j.uid)) {
		reply_error(c, "%s: only the owner of the job printing, or an"
		    " administrator, may %s it", name, verb);
		return;
	}
	if (printer_request(sd, p, verb, why, sizeof(why)) < 0) {
		reply_error(c, "%s", why);
		return;
	}
	log_info("%s: %s requested by %s", name, verb, c->user);
	msg_send(c->fd, -1, "ok", (char *)NULL);
}

static void
reply_done(struct client *c, const struct job_row *j)
{
	char id[32];

	snprintf(id, sizeof(id), "%ld", j->id);
	msg_send(c->fd, -1, "done", id, j->state, j->reason, (char *)NULL);
}

static void
do_wait(struct spoold *sd, struct client *c, struct msg *m)
{
	struct job_row j;

	if (request_job(sd, c, m, &j) < 0)
		return;
	if (job_state_final(j.state) || strcmp(j.state, "stopped") == 0) {
		reply_done(c, &j);
		return;
	}
	c->wait_job = j.id;	/* answered by control_job_ended() */
}

void
control_job_ended(struct spoold *sd, long id)
{
	struct job_row j;
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = sd->clients[i];

		if (c == NULL || c->wait_job != id)
			continue;
		if (queue_get(sd, id, &j) > 0)
			reply_done(c, &j);
		c->wait_job = 0;
	}
}

void
control_client(struct spoold *sd, struct client *c)
{
	struct msg m;
	const char *verb;
	int r;

	r = msg_recv(c->fd, &m);
	if (r == 0 || (r < 0 && errno != EBADMSG && errno != EAGAIN)) {
		client_drop(sd, c);
		return;
	}
	if (r < 0) {
		if (errno == EBADMSG)
			reply_error(c, "malformed request");
		return;
	}
	verb = msg_field(&m, 0);
	if (strcmp(verb, "submit") == 0)
		do_submit(sd, c, &m);
	else if (strcmp(verb, "queue") == 0)
		do_queue(sd, c, &m);
	else if (strcmp(verb, "cancel") == 0)
		do_cancel(sd, c, &m);
	else if (strcmp(verb, "wait") == 0)
		do_wait(sd, c, &m);
	else if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0 ||
	    strcmp(verb, "estop") == 0)
		do_printer_request(sd, c, &m);
	else
		reply_error(c, "unknown request '%s'", verb);
	if (m.fd >= 0)
		close(m.fd);
}
