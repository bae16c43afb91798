/*
 * control.c - the control socket that gprint, gqueue, gcancel and gpc
 * use.
 *
 * An AF_UNIX SOCK_SEQPACKET socket (msg.h).  The caller is identified by
 * SO_PEERCRED, never by anything it says.  Requests and replies are
 * listed in gspool(7):
 *
 *   hello VERSION          -> ok VERSION (spoold's; proto.h)
 *   submit DEST TITLE [PRIORITY COPIES HOLD UNTIL] (+ the file)
 *                          -> ok ID DEST
 *   queue [DEST [history [everyone [SUMMARY USER SINCE]]]]
 *                          -> printer / class / job rows, the caller's
 *                             rejected rows (everyone's for an
 *                             administrator who asks), refusing, end
 *   usage                  -> ok JOBS BYTES REJECTED BYTES UNTIL REASON
 *                             CHECKED CHECKING
 *   cancel ID              -> ok | error MESSAGE
 *   cancel-jobs DEST USER  -> ok COUNT (DEST "" for all, USER "" for
 *                             anyone's that the caller may cancel)
 *   wait ID                -> done ID STATE REASON, when the job ends
 *   hold ID [UNTIL], release ID, priority ID N, top ID, move ID DEST,
 *   reprint ID
 *   pause, resume, estop, ready PRINTER
 *   resume-from ID LAYER
 *   send PRINTER GCODE      -> ok REPLIES, once acknowledged
 *   accept, reject, enable, disable DEST [REASON]
 *   approve ID [NOTE], deny ID REASON
 *   load PRINTER TOOL MATERIAL -> ok MATERIALS RELEASED
 *   remove-rejected FILE [OWNER]
 *                          -> ok FILE NAME, the refused file removed
 *
 * Who may do what: anyone may submit and list (others' titles are
 * hidden unless show_titles is set); a job's owner may cancel, hold,
 * release, reprioritise, move and reprint it, and pause or resume it
 * while it prints; the owner of the job a printer last printed may say
 * its bed is clear; a job awaiting approval is approved or denied by
 * a member of its approve_group (approve.c); the administrators (root,
 * spoold's own user and the members of admin_group) may do everything.  Replies are sent with a
 * send timeout, so a client that stops reading cannot hold the daemon.
 *
 * Security: a request comes from any local user.  Its name and the
 * number of its arguments are checked against proto.h before anything
 * else, and one table (request_types, at the end) says for each what
 * its first argument names and who may send it: the dispatcher finds
 * the target and checks the caller's right before the handler runs, so
 * no handler checks rights of its own but those that depend on its
 * arguments (cancel-jobs of another user's jobs, remove-rejected of
 * another user's refused file, queue's everyone).  Diagnostics: every
 * refusal is answered with its reason; unknown and short requests,
 * and 'as' from anyone but gsftpd's or gwebd's user, are logged too.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>
#include <limits.h>

#include <jansson.h>

#include "analyse.h"
#include "gcode.h"
#include "jobstate.h"
#include "log.h"
#include "msg.h"
#include "priv.h"
#include "proto.h"
#include "spoold.h"
#include "util.h"

static struct spoold *control_sd;	/* for the loop's callbacks */
static void	control_accept(int, int, void *);
static void	control_hear(struct spoold *, const struct job_event *, void *);

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
	control_sd = sd;
	sd->listen_io = ev_io_add(sd->ev, fd, EV_READ, control_accept, sd);
	jobev_listen(control_hear, NULL);
	return 0;
}

void
control_close(struct spoold *sd)
{
	int i;

	ev_io_del(sd->listen_io);
	sd->listen_io = NULL;
	if (sd->listen_fd >= 0) {
		close(sd->listen_fd);
		unlink(sd->conf.socket_path);
		sd->listen_fd = -1;
	}
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (sd->clients[i] == NULL)
			continue;
		ev_io_del(sd->clients[i]->io);
		close(sd->clients[i]->fd);
		free(sd->clients[i]);
		sd->clients[i] = NULL;
	}
}

static int	is_admin(struct spoold *, struct client *);
static const char *approvers_text(const struct job_row *);
static int	is_gsftpd(struct spoold *, const struct client *);

static void control_client(struct spoold *, struct client *);

static void
control_readable(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	control_client(control_sd, arg);
}

static void
control_accept(int lfd, int revents, void *arg)
{
	struct spoold *sd = arg;
	struct timeval tv = { .tv_sec = 5 };
	struct client *c;
	struct passwd *pw;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i, slot = -1, used, mine, privileged;

	(void)revents;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
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
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->admin = -1;
	for (i = 0, used = 0, mine = 0; i < MAX_CLIENTS; i++) {
		if (sd->clients[i] == NULL) {
			if (slot < 0)
				slot = i;
			continue;
		}
		used++;
		if (sd->clients[i]->uid == cred.uid)
			mine++;
	}
	privileged = is_admin(sd, c) || is_gsftpd(sd, c);
	if (slot < 0 || (!privileged && (mine >= CLIENTS_PER_USER ||
	    used >= MAX_CLIENTS - CLIENTS_RESERVED))) {
		log_warnx("control: refusing uid %ld: %s", (long)cred.uid,
		    slot < 0 ? "every connection is in use" : mine >=
		    CLIENTS_PER_USER ? "it has too many connections open" :
		    "the connections left are kept for administrators");
		msg_send(fd, -1, "error", slot >= 0 && mine >= CLIENTS_PER_USER ?
		    "spoold is busy: you have too many connections open" :
		    "spoold is busy: too many clients", (char *)NULL);
		close(fd);
		free(c);
		return;
	}
	i = slot;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);
	else
		snprintf(c->user, sizeof(c->user), "%ld", (long)cred.uid);
	sd->clients[i] = c;
	c->io = ev_io_add(sd->ev, fd, EV_READ, control_readable, c);
}

/* A file from a client (submit, reprint) is being taken in: the answer
 * goes to the client once it is queued or refused, if the client is
 * still there. */
struct submit {
	struct client	*c;		/* NULL once it has gone */
	char		 printer[CONF_NAME_MAX + 1];
	char		 title[256];
	char		 user[USER_MAX];
	char		 owner[USER_MAX];	/* whose job it will be */
	uid_t		 uid;
	long		 reprint_of;
};

static void
client_drop(struct spoold *sd, struct client *c)
{
	int i;

	if (c->submitting != NULL)
		c->submitting->c = NULL;	/* its file is still taken */
	for (i = 0; i < MAX_CLIENTS; i++)
		if (sd->clients[i] == c)
			sd->clients[i] = NULL;
	ev_io_del(c->io);
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

/* Root, spoold's own user, or a member of admin_group (like CUPS's
 * SystemGroup). */
static int
is_admin(struct spoold *sd, struct client *c)
{
	struct group *gr;
	struct passwd *pw;
	gid_t groups[256];
	int n = 256, i;

	if (c->admin >= 0)
		return c->admin;
	c->admin = 0;
	if (c->uid == 0 || c->uid == getuid())
		return c->admin = 1;
	if ((gr = getgrnam(sd->conf.admin_group)) == NULL)
		return 0;
	if (c->gid == gr->gr_gid)
		return c->admin = 1;
	if ((pw = getpwuid(c->uid)) != NULL &&
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) >= 0)
		for (i = 0; i < n; i++)
			if (groups[i] == gr->gr_gid)
				return c->admin = 1;
	return 0;
}

/* The caller's own job.  An SFTP account's jobs carry VIRTUAL_UID and
 * are told apart by the account's name. */
static int
own_job(const struct client *c, const struct job_row *j)
{
	if ((long)c->uid != j->uid)
		return 0;
	return c->uid != VIRTUAL_UID || strcmp(c->user, j->owner) == 0;
}

static int
may_change(struct spoold *sd, struct client *c, const struct job_row *j)
{
	return own_job(c, j) || is_admin(sd, c);
}

/* Is the caller a front end's user: gsftpd's ([sftp] user) or gwebd's
 * ([web] user)?  FRONT_SFTP or FRONT_WEB, else 0.  Never root, nor one
 * already speaking for an account. */
enum { FRONT_SFTP = 1, FRONT_WEB };

static int
front_end(struct spoold *sd, const struct client *c)
{
	char err[128];
	uid_t uid;
	gid_t gid;

	if (c->uid == VIRTUAL_UID || c->uid == 0)
		return 0;
	if (priv_lookup(sd->conf.sftp.user, &uid, &gid, err, sizeof(err)) ==
	    0 && c->uid == uid)
		return FRONT_SFTP;
	if (priv_lookup(sd->conf.web.user, &uid, &gid, err, sizeof(err)) ==
	    0 && c->uid == uid)
		return FRONT_WEB;
	return 0;
}

static int
is_gsftpd(struct spoold *sd, const struct client *c)
{
	return front_end(sd, c) != 0;
}

/* A request as the dispatcher hands it on: its fields, and what its
 * first argument names, found before the caller's rights are checked
 * (control_client()). */
struct request {
	const struct msg	*m;
	enum req		 req;
	const char		*verb;
	struct job_row		 j;	/* T_JOB */
	struct printer		*p;	/* T_PRINTER */
	struct dest		*d;	/* T_DEST */
};

/* "hello VERSION": the client's protocol, answered with spoold's. */
static void
do_hello(struct spoold *sd, struct client *c, struct request *rq)
{
	char why[256], v[16];

	(void)sd;
	if (proto_client_hello(rq->m, why, sizeof(why)) < 0) {
		log_warnx("control: uid %ld: %s", (long)c->uid, why);
		reply_error(c, "%s", why);
		return;
	}
	snprintf(v, sizeof(v), "%d", PROTO_VERSION);
	msg_send(c->fd, -1, "ok", v, (char *)NULL);
}

/* "as ACCOUNT": a front end (gsftpd, gwebd) speaks for one of its
 * accounts from here on: that account's jobs, no administrator's
 * rights, but for an account with admin = yes spoken for by gwebd,
 * which this configuration, not gwebd, decides.  Only the front ends'
 * users may, known by SO_PEERCRED: not root, not spoold's own user
 * (unless both run unprivileged as one user), not any other. */
static void
do_as(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *name = msg_field(rq->m, REQ_ARG1);
	const struct conf_account *a;
	int web = front_end(sd, c) == FRONT_WEB;

	if ((a = conf_account(&sd->conf, name)) == NULL) {
		reply_error(c, "as: %s is not an account", name);
		return;
	}
	snprintf(c->user, sizeof(c->user), "%s", name);
	c->uid = VIRTUAL_UID;
	c->gid = (gid_t)-1;
	c->admin = web && a->admin;
	msg_send(c->fd, -1, "ok", (char *)NULL);
}

/* An optional number, dflt if empty; 64 bits on every machine, for the
 * hold-until times (seconds since the epoch up to HOLD_UNTIL_MAX). */
static int
opt_llong(const char *s, long long min, long long max, long long dflt,
    long long *out)
{
	if (s[0] == '\0') {
		*out = dflt;
		return 0;
	}
	return parse_llong(s, min, max, out);
}

static void	submit_start(struct spoold *, struct client *, int,
		    const char *, const char *, uid_t, const char *,
		    const struct job_opts *, long);

static void
do_submit(struct spoold *sd, struct client *c, struct request *rq)
{
	const struct msg *m = rq->m;
	const char *printer = msg_field(m, REQ_SUBMIT_DEST);
	const char *title = msg_field(m, REQ_SUBMIT_TITLE);
	struct job_opts o;
	long long v;

	if (m->fd < 0) {
		reply_error(c, "submit: no file was passed");
		return;
	}
	if (printer[0] == '\0')
		printer = sd->conf.default_printer;
	if (!dest_known(sd, printer)) {
		reply_error(c, "%s: unknown printer or class", printer);
		return;
	}
	memset(&o, 0, sizeof(o));
	if (opt_llong(msg_field(m, REQ_SUBMIT_PRIORITY), 1, 100, 50, &v) < 0) {
		reply_error(c, "priority '%s': give 1 to 100", msg_field(m,
		    REQ_SUBMIT_PRIORITY));
		return;
	}
	o.priority = (int)v;
	if (opt_llong(msg_field(m, REQ_SUBMIT_COPIES), 1, 100, 1, &v) < 0) {
		reply_error(c, "copies '%s': give 1 to 100", msg_field(m,
		    REQ_SUBMIT_COPIES));
		return;
	}
	o.copies = (int)v;
	o.hold = strcmp(msg_field(m, REQ_SUBMIT_HOLD), "1") == 0;
	if (opt_llong(msg_field(m, REQ_SUBMIT_UNTIL), 0, HOLD_UNTIL_MAX, 0,
	    &v) < 0) {
		reply_error(c, "hold-until '%s' is not a time (seconds since"
		    " the epoch, up to %lld)", msg_field(m, REQ_SUBMIT_UNTIL),
		    HOLD_UNTIL_MAX);
		return;
	}
	o.hold_until = v;
	if (title[0] == '\0')
		title = "(stdin)";
	submit_start(sd, c, m->fd, printer, c->user, c->uid, title, &o, 0);
}

static void
submit_done(struct spoold *sd, void *arg, long id, const char *reason,
    const struct job_opts *o)
{
	struct submit *s = arg;
	char ids[32], why[700];
	struct job_row j;

	if (s->c != NULL)
		s->c->submitting = NULL;
	if (id <= 0) {
		log_warnx("control: %s from %s rejected: %s", s->title,
		    s->user, reason);
		/* A refusal of the file counts against its owner (reject.c);
		 * a failure of spoold's does not. */
		if (id == 0)
			reject_note(sd, s->owner, s->uid, s->title, NULL, 0,
			    reason);
		if (s->c != NULL)
			reply_error(s->c, "%s", reason);
		free(s);
		return;
	}
	if (s->reprint_of > 0)
		log_info("%s: a reprint of %s, by %s",
		    queue_job_name(sd, id, s->printer),
		    queue_job_name(sd, s->reprint_of, NULL), s->user);
	else
		log_info("%s: queued %s for %s", queue_job_name(sd, id,
		    s->printer), s->title,
		    s->user);
	sched_hold_until(sd, o->hold_until);
	snprintf(ids, sizeof(ids), "%ld", id);
	/* Version 5: a job held for approval says so, and who gives it. */
	why[0] = '\0';
	if (o->approval && queue_get(sd, id, &j) > 0) {
		snprintf(why, sizeof(why), HOLD_APPROVAL " by %s",
		    approvers_text(&j));
		log_info("%s: held: %s", j.name, why);
	} else if (o->fit_hold[0] != '\0') {
		/* Held for not suiting its printer (suits.c). */
		snprintf(why, sizeof(why), "held: %s", o->fit_hold);
		log_info("%s: %s", queue_job_name(sd, id, s->printer), why);
	}
	if (s->c != NULL)
		msg_send(s->c->fd, -1, "ok", ids, s->printer, why, (char *)NULL);
	free(s);
	sched_kick(sd);
}

static void
submit_start(struct spoold *sd, struct client *c, int fd,
    const char *printer, const char *owner, uid_t uid, const char *title,
    const struct job_opts *o, long reprint_of)
{
	struct submit *s;
	char why[512];

	if (c->submitting != NULL) {
		reply_error(c, "one file at a time: the last one is still"
		    " being checked");
		return;
	}
	/* The owner refused for a while, or at its job limit (refused
	 * files counted): nothing is read. */
	if (reject_limits(sd, owner, why, sizeof(why)) < 0) {
		log_warnx("control: %s from %s refused: %s", title, c->user,
		    why);
		reply_error(c, "%s", why);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	snprintf(s->printer, sizeof(s->printer), "%s", printer);
	snprintf(s->title, sizeof(s->title), "%s", title);
	snprintf(s->user, sizeof(s->user), "%s", c->user);
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	s->uid = uid;
	s->reprint_of = reprint_of;
	c->submitting = s;
	ingest_submit(sd, fd, printer, owner, uid, title, o, NULL,
	    submit_done, s);
}

struct list_ctx {
	struct spoold	*sd;
	struct client	*c;
	int		 rank;
	int		 failed;
	int		 everyone;	/* every sender's refusals */
};

/* Each string of the array KEY of o as "(hidden)". */
static void
hide_each(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key), *h;
	size_t i;

	if (!json_is_array(a))
		return;
	h = json_array();
	for (i = 0; i < json_array_size(a); i++)
		json_array_append_new(h, json_string("(hidden)"));
	json_object_set_new(o, key, h);
}

/* Another user's job, unless show_titles: its title and file name are
 * theirs; the rest (size, time, filament) tells when a printer is free. */
static void
hide_title(char *meta, size_t metasz)
{
	json_t *o = json_loads(meta, 0, NULL);
	char *s;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		snprintf(meta, metasz, "{}");
		return;
	}
	/* Every field that carries a name the owner gave: the title, the
	 * file's name, the model names of the slicer's objects, and the
	 * dialect warnings, which quote lines of the file (a macro's
	 * NAME=...); their counts stay, as the thumbnails' sizes do. */
	json_object_del(o, "file");
	json_object_del(o, "title");
	hide_each(o, "objects");
	hide_each(o, "warnings");
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL &&
	    strlen(s) < metasz)
		snprintf(meta, metasz, "%s", s);
	else
		snprintf(meta, metasz, "{}");
	free(s);
	json_decref(o);
}

/* A reason of another's job may quote a line of its file (a check at
 * handover: "line 3: 'EXCLUDE_OBJECT_DEFINE NAME=...' is a Klipper
 * command"): what is quoted is theirs, the rest says why it waits. */
static void
hide_quoted(char *reason, size_t sz)
{
	char out[sizeof(((struct job_row *)0)->reason)], *p, *q;
	size_t o = 0;

	for (p = reason; *p != '\0' && o + 1 < sizeof(out); p++) {
		if (*p == '\'' && (q = strchr(p + 1, '\'')) != NULL) {
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "'(hidden)'");
			if (o >= sizeof(out))
				o = sizeof(out) - 1;
			p = q;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	snprintf(reason, sz, "%s", out);
}

/* The job's attributes as shown to the caller: the filters' reports,
 * and its forward id, which only its owner and the administrators see
 * (the sender finds its job by it; to anyone else it would tell which
 * host sent what).  A new string. */
static char *
shown_attrs(struct spoold *sd, const struct job_row *j, int may_see)
{
	json_t *o = queue_attrs(sd, j->id);
	char *s;

	json_object_del(o, "forward");
	if (may_see && j->forward[0] != '\0')
		json_object_set_new(o, "forward", json_string(j->forward));
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("out of memory");
	json_decref(o);
	return s;
}

static int
list_row(const struct job_row *jr, void *arg)
{
	struct list_ctx *lc = arg;
	char id[32], size[32], lines[64], rank[32], prio[16], copies[16];
	char done[16], hold[32], created[32], started[32], finished[32];
	char layer[32], *attrs, *approval;
	struct job_row j = *jr;
	int r;

	attrs = shown_attrs(lc->sd, &j, may_change(lc->sd, lc->c, &j));
	if (!lc->sd->conf.show_titles && !may_change(lc->sd, lc->c, &j)) {
		snprintf(j.title, sizeof(j.title), "(hidden)");
		hide_title(j.meta, sizeof(j.meta));
		hide_quoted(j.reason, sizeof(j.reason));
		/* The approver's note was for the owner. */
		if (j.approval_note[0] != '\0' && !is_admin(lc->sd, lc->c))
			snprintf(j.approval_note, sizeof(j.approval_note),
			    "(hidden)");
	}
	approval = approve_json(&j);
	snprintf(id, sizeof(id), "%ld", j.id);
	snprintf(size, sizeof(size), "%lld", j.size);
	snprintf(lines, sizeof(lines), "%ld/%ld", j.lines_done, j.commands);
	if (strcmp(j.state, job_state_name(JOB_PENDING)) == 0)
		snprintf(rank, sizeof(rank), "%d", ++lc->rank);
	else
		snprintf(rank, sizeof(rank), "%s", strcmp(j.state,
		    job_state_name(JOB_PROCESSING)) == 0 ? "active" : j.state);
	snprintf(prio, sizeof(prio), "%d", j.priority);
	snprintf(copies, sizeof(copies), "%d", j.copies);
	snprintf(done, sizeof(done), "%d", j.copies_done);
	snprintf(hold, sizeof(hold), "%lld", j.hold_until);
	snprintf(created, sizeof(created), "%lld", j.created);
	snprintf(started, sizeof(started), "%lld", j.started);
	snprintf(finished, sizeof(finished), "%lld", j.finished);
	snprintf(layer, sizeof(layer), "%ld", j.layer);
	r = msg_send(lc->c->fd, -1, "job", rank, j.owner, id, j.printer,
	    j.title, size, j.state, lines, j.reason, j.meta, prio, copies,
	    done, hold, j.ran_on, created, started, finished, layer, attrs,
	    own_job(lc->c, jr) ? "1" : "0", j.name, approval, (char *)NULL);
	free(attrs);
	free(approval);
	if (r < 0) {
		lc->failed = 1;
		return -1;
	}
	return 0;
}

/* The slicer's time for a job, else gspool's estimate; 0 if none. */
static long
job_estimate(const char *meta)
{
	json_t *o = json_loads(meta, 0, NULL), *v;
	long secs = 0;

	/* From the queue: a row of an older spoold may hold anything. */
	if (o != NULL && (v = json_object_get(o, "estimated_seconds")) !=
	    NULL && json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= 10LL * 366 * 86400)
		secs = (long)json_integer_value(v);
	json_decref(o);
	return secs;
}

static int
send_printer_row(struct spoold *sd, struct client *c, struct printer *p)
{
	struct job_row jr;
	char job[32], lines[32], layer[32], bytes[32], size[32];
	char started[32], est[32], *status;
	const char *state = printer_state_name(p->state);
	int have = p->job && queue_get(sd, p->job, &jr) > 0, r;
	json_t *st;

	if (p->state == PRINTER_READY && p->job == 0 && p->d.awaiting_clear &&
	    !p->conf->clears_bed)
		state = "awaiting-clear";
	snprintf(job, sizeof(job), "%ld", p->job);
	snprintf(lines, sizeof(lines), "%ld", p->lines_done);
	snprintf(layer, sizeof(layer), "%ld", p->layer);
	snprintf(bytes, sizeof(bytes), "%lld", p->bytes_done);
	snprintf(size, sizeof(size), "%lld", have ? jr.size : 0);
	snprintf(started, sizeof(started), "%lld", have ? jr.started : 0);
	snprintf(est, sizeof(est), "%ld", have ? job_estimate(jr.meta) : 0);
	st = status_json(sd, p);
	status = json_dumps(st, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(st);
	if (status == NULL)
		fatalx("out of memory");
	r = msg_send(c->fd, -1, "printer", p->conf->name, state,
	    p->message, job, lines, p->job ? (p->activity[0] ? p->activity :
	    "printing") : "", layer, p->temps, bytes, size,
	    p->d.enabled ? "1" : "0", p->d.accepting ? "1" : "0",
	    p->d.enable_reason, p->d.accept_reason,
	    p->conf->description ? p->conf->description : "", started, est,
	    status, have ? jr.name : "", p->prompt ? p->prompt : "",
	    p->prompt_buttons ? p->prompt_buttons : "", (char *)NULL);
	free(status);
	return r;
}

static void send_refusals(struct spoold *, struct client *,
    struct list_ctx *);

static int
total_row(const struct acct_total *t, void *arg)
{
	struct client *c = arg;
	char jobs[32], done[32], secs[32], mm[48], g[48], cost[48];

	snprintf(jobs, sizeof(jobs), "%lld", t->jobs);
	snprintf(done, sizeof(done), "%lld", t->completed);
	snprintf(secs, sizeof(secs), "%lld", t->seconds);
	snprintf(mm, sizeof(mm), "%.2f", t->mm);
	snprintf(g, sizeof(g), "%.2f", t->g);
	snprintf(cost, sizeof(cost), "%.2f", t->cost);
	return msg_send(c->fd, -1, "total", t->key, jobs, done, secs, mm, g,
	    cost, (char *)NULL) < 0 ? -1 : 0;
}

/* queue DEST history everyone SUMMARY USER SINCE: the accounting's
 * totals.  One's own; an administrator's, anyone's (USER) or
 * everyone's (everyone). */
static void
do_summary(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *by = msg_field(rq->m, REQ_QUEUE_SUMMARY);
	const char *user = msg_field(rq->m, REQ_QUEUE_USER);
	const char *since = msg_field(rq->m, REQ_QUEUE_SINCE);
	const char *owner;
	long long t = 0;

	if (strcmp(by, "total") == 0)
		by = "";
	else if (strcmp(by, "user") != 0 && strcmp(by, "printer") != 0 &&
	    strcmp(by, "month") != 0) {
		reply_error(c, "queue: summary '%s' is not total, user, printer"
		    " or month", by);
		return;
	}
	if (since[0] != '\0' && parse_llong(since, 0, LLONG_MAX, &t) < 0) {
		reply_error(c, "queue: since '%s' is not a time (seconds since"
		    " the epoch)", since);
		return;
	}
	if (user[0] != '\0' && strcmp(user, c->user) != 0 &&
	    !is_admin(sd, c)) {
		reply_error(c, "%s: only an administrator sees the totals of"
		    " another", user);
		return;
	}
	if (user[0] != '\0')
		owner = user;
	else if (strcmp(msg_field(rq->m, REQ_QUEUE_EVERYONE), "everyone") ==
	    0 && is_admin(sd, c))
		owner = "";
	else
		owner = c->user;
	if (acct_summary(sd, by, owner, msg_field(rq->m, REQ_QUEUE_DEST), t,
	    total_row, c) < 0) {
		reply_error(c, "cannot read the accounting");
		return;
	}
	msg_send(c->fd, -1, "end", (char *)NULL);
}

static void
do_queue(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *only = msg_field(rq->m, REQ_QUEUE_DEST);
	struct conf_class *k = NULL;
	struct list_ctx lc;
	size_t i, j;

	if (msg_field(rq->m, REQ_QUEUE_SUMMARY)[0] != '\0') {
		do_summary(sd, c, rq);
		return;
	}

	/* A printer a reload removed is shown while its job ends. */
	if (only[0] != '\0' && !dest_known(sd, only) &&
	    printer_find(sd, only) == NULL) {
		reply_error(c, "%s: unknown printer or class", only);
		return;
	}
	if (only[0] != '\0')
		k = conf_class(&sd->conf, only);
	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = sd->printers[i];

		if (only[0] != '\0' && strcmp(only, p->conf->name) != 0 &&
		    (k == NULL || !conf_class_has(k, p->conf->name)))
			continue;
		if (send_printer_row(sd, c, p) < 0)
			return;
	}
	for (i = 0; i < sd->conf.nclasses; i++) {
		struct conf_class *cl = &sd->conf.classes[i];
		struct dest *d = &sd->classes[i];
		char members[CONF_NAME_MAX * 8 + 64];
		size_t o = 0;

		if (only[0] != '\0' && strcmp(only, cl->name) != 0)
			continue;
		members[0] = '\0';
		for (j = 0; j < cl->nmembers && o < sizeof(members); j++)
			o += (size_t)snprintf(members + o, sizeof(members) - o,
			    "%s%s", j ? " " : "", cl->members[j]);
		if (msg_send(c->fd, -1, "class", cl->name, members,
		    d->enabled ? "1" : "0", d->accepting ? "1" : "0",
		    d->enable_reason, d->accept_reason, cl->description ?
		    cl->description : "", (char *)NULL) < 0)
			return;
	}
	memset(&lc, 0, sizeof(lc));
	lc.sd = sd;
	lc.c = c;
	/* Everyone's refusals to an administrator who asks; one's own to
	 * anyone else, who asked for what is not theirs to see. */
	lc.everyone = strcmp(msg_field(rq->m, REQ_QUEUE_EVERYONE),
	    "everyone") == 0 && is_admin(sd, c);
	queue_list(sd, only, strcmp(msg_field(rq->m, REQ_QUEUE_HISTORY),
	    "history") == 0,
	    list_row, &lc);
	if (!lc.failed)
		send_refusals(sd, c, &lc);
	if (!lc.failed)
		msg_send(c->fd, -1, "end", (char *)NULL);
}

/* A refused file's row is the caller's: its name and, for a local
 * user, its uid (an SFTP account's rows carry VIRTUAL_UID). */
static int
own_rejection(const struct client *c, const struct rejection_row *r)
{
	return strcmp(r->owner, c->user) == 0 &&
	    r->uid == (c->uid == VIRTUAL_UID ? -1 : (long)c->uid);
}

/* The caller's own refused files, the latest first, and whether its
 * files are refused for now; nobody else's (their names are theirs)
 * unless an administrator asked for everyone's. */
static int
rejection_row(const struct rejection_row *r, void *arg)
{
	struct list_ctx *lc = arg;
	char size[32], at[32];

	if (!lc->everyone && !own_rejection(lc->c, r))
		return 0;
	if (++lc->rank > 100)
		return -1;	/* the latest are enough */
	snprintf(size, sizeof(size), "%lld", r->size);
	snprintf(at, sizeof(at), "%lld", r->at);
	if (msg_send(lc->c->fd, -1, "rejected", r->name, size, at, r->reason,
	    r->file[0] ? "1" : "0", r->owner, r->file, (char *)NULL) < 0) {
		lc->failed = 1;
		return -1;
	}
	return 0;
}

static void
send_refusals(struct spoold *sd, struct client *c, struct list_ctx *lc)
{
	char why[512], until[32];
	struct reject_usage u;

	lc->rank = 0;
	queue_rejection_list(sd, lc->everyone ? NULL : c->user, rejection_row,
	    lc);
	if (lc->failed || reject_limits(sd, c->user, why, sizeof(why)) == 0)
		return;
	reject_usage(sd, c->user, &u);
	snprintf(until, sizeof(until), "%lld", u.refused_until);
	if (msg_send(c->fd, -1, "refusing", why, until, (char *)NULL) < 0)
		lc->failed = 1;
}

struct find_rejection {
	const char		*file;
	struct rejection_row	 r;
	int			 found;
};

static int
find_rejection(const struct rejection_row *r, void *arg)
{
	struct find_rejection *f = arg;

	if (r->file[0] == '\0' || strcmp(r->file, f->file) != 0)
		return 0;
	f->r = *r;
	f->found = 1;
	return -1;
}

/* remove-rejected FILE [OWNER]: the refused file rejected/OWNER/FILE
 * (OWNER the caller unless an administrator names another) goes now,
 * row, file and reason: "ok FILE NAME", NAME as it was sent. */
static void
do_remove_rejected(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *file = msg_field(rq->m, REQ_REMOVE_REJECTED_FILE);
	const char *owner = msg_field(rq->m, REQ_REMOVE_REJECTED_OWNER);
	struct find_rejection f;
	char why[512];

	if (owner[0] == '\0')
		owner = c->user;
	if (strcmp(owner, c->user) != 0 && !is_admin(sd, c)) {
		reply_error(c, "only an administrator may remove another"
		    " user's refused files");
		return;
	}
	if (!reject_file_ok(file)) {
		reply_error(c, "'%s' is not a refused file's name (no '/',"
		    " not starting with '.')", file);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.file = file;
	queue_rejection_list(sd, owner, find_rejection, &f);
	/* Another's row of the same name (an account and a local user of
	 * one name) is not the caller's. */
	if (!f.found || (!own_rejection(c, &f.r) && !is_admin(sd, c))) {
		reply_error(c, "%s: no refused file of %s's by that name",
		    file, owner);
		return;
	}
	if (reject_remove(sd, &f.r, c->user, why, sizeof(why)) < 0) {
		reply_error(c, "%s: %s", file, why);
		return;
	}
	msg_send(c->fd, -1, "ok", f.r.file, f.r.name, (char *)NULL);
}

/* usage: what the caller keeps in the spool, for gsftpd's quota:
 * "ok JOBS JOB-BYTES REJECTED REJECTED-BYTES REFUSED-UNTIL REASON"
 * (REASON empty unless its files are refused for now). */
static void
do_usage(struct spoold *sd, struct client *c, struct request *rq)
{
	char f[7][32], why[512];
	struct reject_usage u;
	long long checked;
	int checking;

	(void)rq;
	if (reject_limits(sd, c->user, why, sizeof(why)) == 0)
		why[0] = '\0';
	reject_usage(sd, c->user, &u);
	snprintf(f[0], sizeof(f[0]), "%ld", u.jobs);
	snprintf(f[1], sizeof(f[1]), "%lld", u.job_bytes);
	snprintf(f[2], sizeof(f[2]), "%ld", u.rejected);
	snprintf(f[3], sizeof(f[3]), "%lld", u.rejected_bytes);
	snprintf(f[4], sizeof(f[4]), "%lld", u.refused_until);
	/* Version 4: the caller's files the workers check now, and how
	 * much of them they have read (gprint's waiting line). */
	ingest_progress(sd, c->user, c->uid, &checked, &checking);
	snprintf(f[5], sizeof(f[5]), "%lld", checked);
	snprintf(f[6], sizeof(f[6]), "%d", checking);
	msg_send(c->fd, -1, "ok", f[0], f[1], f[2], f[3], f[4], why, f[5],
	    f[6], (char *)NULL);
}

/* The job a request names in its first argument; replies the error and
 * returns -1 when there is none. */
static int
request_job(struct spoold *sd, struct client *c, const struct msg *m,
    struct job_row *j)
{
	long id;

	if (parse_long(msg_field(m, REQ_ARG1), 1, 2000000000L, &id) < 0) {
		reply_error(c, "%s: '%s' is not a job number", msg_field(m, 0),
		    msg_field(m, REQ_ARG1));
		return -1;
	}
	if (queue_get(sd, id, j) <= 0) {
		reply_error(c, "job %ld does not exist", id);
		return -1;
	}
	return 0;
}

/* Cancel one job the caller may cancel: 0, or -1 with the reason. */
static int
cancel_job(struct spoold *sd, struct client *c, const struct job_row *j,
    char *why, size_t whysz)
{
	if (!may_change(sd, c, j)) {
		snprintf(why, whysz, "%s belongs to %s; you may cancel"
		    " only your own jobs", j->name, j->owner);
		return -1;
	}
	if (job_state_word_final(j->state)) {
		snprintf(why, whysz, "%s is already %s", j->name, j->state);
		return -1;
	}
	log_info("%s: cancel requested by %s", j->name, c->user);
	if (!printer_cancel(sd, j->id, c->user)) {
		if (queue_set_state(sd, j->id, job_state_name(JOB_CANCELED),
		    "canceled by"
		    " request", c->user) < 0) {
			snprintf(why, whysz, "%s: cannot record the"
			    " cancel", j->name);
			return -1;
		}
	}
	return 0;
}

static void
do_cancel(struct spoold *sd, struct client *c, struct request *rq)
{
	char why[512];

	if (cancel_job(sd, c, &rq->j, why, sizeof(why)) < 0) {
		reply_error(c, "%s", why);
		return;
	}
	msg_send(c->fd, -1, "ok", (char *)NULL);
}

struct cancel_ctx {
	const char	*user;
	long		 ids[4096];
	int		 n;
};

static int
cancel_pick(const struct job_row *j, void *arg)
{
	struct cancel_ctx *cc = arg;

	if (cc->n == (int)nitems(cc->ids))
		return -1;
	if (cc->user[0] == '\0' || strcmp(cc->user, j->owner) == 0)
		cc->ids[cc->n++] = j->id;
	return 0;
}

/* cancel-jobs DEST USER: the jobs not ended on DEST ("" all) of USER
 * ("" anyone's for an administrator, the caller's for anyone else). */
static void
do_cancel_jobs(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *dest = msg_field(rq->m, REQ_CANCEL_JOBS_DEST);
	const char *user = msg_field(rq->m, REQ_CANCEL_JOBS_USER);
	struct cancel_ctx *cc;
	struct job_row j;
	char why[512], n[32];
	int i, done = 0;

	if (dest[0] != '\0' && !dest_known(sd, dest)) {
		reply_error(c, "%s: unknown printer or class", dest);
		return;
	}
	/* Everyone's jobs for an administrator; a user's own otherwise,
	 * as lprm - and cancel -a do. */
	if (user[0] == '\0' && !is_admin(sd, c))
		user = c->user;
	if (strcmp(user, c->user) != 0 && !is_admin(sd, c)) {
		reply_error(c, "only an administrator may cancel another"
		    " user's jobs");
		return;
	}
	cc = xcalloc(1, sizeof(*cc));
	cc->user = user;
	/* In batches: what is canceled leaves the list. */
	do {
		int before = done;

		cc->n = 0;
		queue_list(sd, dest, 0, cancel_pick, cc);
		for (i = 0; i < cc->n; i++)
			if (queue_get(sd, cc->ids[i], &j) > 0 &&
			    !job_state_word_final(j.state) &&
			    cancel_job(sd, c, &j, why, sizeof(why)) == 0)
				done++;
		if (done == before)
			break;
	} while (cc->n == (int)nitems(cc->ids));
	free(cc);
	snprintf(n, sizeof(n), "%d", done);
	msg_send(c->fd, -1, "ok", n, (char *)NULL);
}

/* reprint ID: the job's file, kept (keep_files), checked and queued
 * again as its owner's. */
static void
do_reprint(struct spoold *sd, struct client *c, struct request *rq)
{
	const struct job_row *j = &rq->j;
	char *path = queue_job_path(sd, j->id);
	struct job_opts o = { .priority = j->priority, .copies = 1 };
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		reply_error(c, "%s: its file is no longer kept"
		    " (keep_files)", j->name);
		free(path);
		return;
	}
	free(path);
	submit_start(sd, c, fd, j->printer, j->owner, (uid_t)j->uid, j->title,
	    &o, j->id);
	close(fd);
}

/* hold, release, priority, top, move change a job waiting to print:
 * -1 with the client told if it is not. */
static int
job_waiting(struct client *c, const struct job_row *j)
{
	enum job_state st;

	if (job_state_parse(j->state, &st) == 0 && job_state_is_waiting(st))
		return 0;
	reply_error(c, "%s is %s; only a job waiting to print can be"
	    " changed", j->name, j->state);
	return -1;
}

/* What a change of a job did, for the log: "moved to" of "move". */
static const char *
job_change_done(const char *verb)
{
	static const char *const done[][2] = {
		{ "hold", "held until" }, { "release", "released" },
		{ "priority", "priority set to" }, { "top", "moved to the top" },
		{ "move", "moved to" },
	};
	size_t i;

	for (i = 0; i < nitems(done); i++)
		if (strcmp(verb, done[i][0]) == 0)
			return done[i][1];
	return verb;
}

/* The answer to a change of a job: r is the queue's. */
static void
job_changed(struct spoold *sd, struct client *c, struct request *rq, int r)
{
	const char *arg = msg_field(rq->m, REQ_ARG2);
	const char *done = job_change_done(rq->verb);

	if (r < 0) {
		reply_error(c, "%s: cannot %s it", rq->j.name, rq->verb);
		return;
	}
	if (strcmp(rq->verb, "hold") == 0 && (arg[0] == '\0' ||
	    strcmp(arg, "0") == 0)) {
		done = "held";
		arg = "";
	}
	log_info("%s: %s%s%s by %s", rq->j.name, done, arg[0] ? " " : "",
	    arg, c->user);
	msg_send(c->fd, -1, "ok", (char *)NULL);
	sched_kick(sd);
}

static int
awaiting_approval(const struct job_row *j)
{
	return strcmp(j->approval, "awaiting") == 0;
}

/* Who may approve the job, in words: "a member of group staff or an
 * administrator". */
static const char *
approvers_text(const struct job_row *j)
{
	static char buf[CONF_NAME_MAX * 2 + 64];

	if (j->approvers[0] == '\0')
		return "an administrator";
	snprintf(buf, sizeof(buf), "a member of group %s or an administrator",
	    j->approvers);
	return buf;
}

static int
may_approve(struct spoold *sd, struct client *c, const struct job_row *j)
{
	return is_admin(sd, c) || (c->uid != VIRTUAL_UID &&
	    approve_in_group(c->uid, c->gid, j->approvers));
}

/* approve ID [NOTE]: the job awaiting approval released, the note kept
 * in its history. */
static void
do_approve(struct spoold *sd, struct client *c, struct request *rq)
{
	char note[256];

	if (!awaiting_approval(&rq->j)) {
		reply_error(c, "%s does not await approval (it is %s%s%s)",
		    rq->j.name, rq->j.state, rq->j.approval[0] ? ", " : "",
		    rq->j.approval);
		return;
	}
	/* Approved there it would wait for good. */
	if (!dest_known(sd, rq->j.printer)) {
		reply_error(c, "%s: its destination %s no longer exists (it was"
		    " removed from the configuration); gpc move %s DEST first",
		    rq->j.name, rq->j.printer, rq->j.name);
		return;
	}
	clean_text(note, sizeof(note), msg_field(rq->m, REQ_ARG2));
	if (queue_approve(sd, rq->j.id, c->user, note) < 0) {
		reply_error(c, "%s: cannot approve it", rq->j.name);
		return;
	}
	log_info("%s: approved by %s%s%s", rq->j.name, c->user, note[0] ?
	    ": " : "", note);
	/* Made for a filament not loaded: held (or waiting) with the
	 * reason now, not pending as if it would print. */
	sched_judge(sd, rq->j.id);
	sched_hold_until(sd, rq->j.hold_until);
	msg_send(c->fd, -1, "ok", (char *)NULL);
	sched_kick(sd);
}

/* deny ID REASON: the job awaiting approval canceled, with the reason
 * its owner sees. */
static void
do_deny(struct spoold *sd, struct client *c, struct request *rq)
{
	char reason[256];

	if (!awaiting_approval(&rq->j)) {
		reply_error(c, "%s does not await approval (it is %s%s%s)",
		    rq->j.name, rq->j.state, rq->j.approval[0] ? ", " : "",
		    rq->j.approval);
		return;
	}
	clean_text(reason, sizeof(reason), msg_field(rq->m, REQ_ARG2));
	if (reason[0] == '\0') {
		reply_error(c, "deny: give the reason, which %s sees (gpc deny"
		    " %s -r REASON)", rq->j.owner, rq->j.name);
		return;
	}
	if (queue_deny(sd, rq->j.id, c->user, reason) < 0) {
		reply_error(c, "%s: cannot deny it", rq->j.name);
		return;
	}
	log_info("%s: denied by %s: %s", rq->j.name, c->user, reason);
	msg_send(c->fd, -1, "ok", (char *)NULL);
}

/* hold ID [UNTIL] */
static void
do_hold(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *arg = msg_field(rq->m, REQ_ARG2);
	long long v;
	int r;

	if (job_waiting(c, &rq->j) < 0)
		return;
	if (awaiting_approval(&rq->j)) {
		reply_error(c, "%s is held already: it awaits approval",
		    rq->j.name);
		return;
	}
	if (opt_llong(arg, 0, HOLD_UNTIL_MAX, 0, &v) < 0) {
		reply_error(c, "hold: '%s' is not a time (seconds since the"
		    " epoch, up to %lld)", arg, HOLD_UNTIL_MAX);
		return;
	}
	r = queue_hold(sd, rq->j.id, v, c->user);
	if (r == 0)
		sched_hold_until(sd, v);
	job_changed(sd, c, rq, r);
}

static void
do_release(struct spoold *sd, struct client *c, struct request *rq)
{
	if (job_waiting(c, &rq->j) < 0)
		return;
	if (strcmp(rq->j.state, job_state_name(JOB_HELD)) != 0) {
		reply_error(c, "%s is not held", rq->j.name);
		return;
	}
	/* Not a hold its owner made: the approvers' to lift. */
	if (awaiting_approval(&rq->j)) {
		reply_error(c, "%s awaits approval: only %s may release it,"
		    " with gpc approve %s", rq->j.name, approvers_text(
		    &rq->j), rq->j.name);
		return;
	}
	/* Released there it would wait for good. */
	if (!dest_known(sd, rq->j.printer)) {
		reply_error(c, "%s: its destination %s no longer exists (it was"
		    " removed from the configuration); gpc move %s DEST sends"
		    " it to another printer or class", rq->j.name,
		    rq->j.printer, rq->j.name);
		return;
	}
	job_changed(sd, c, rq, queue_release(sd, rq->j.id, c->user,
	    "released by request"));
}

/* priority ID N */
static void
do_priority(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *arg = msg_field(rq->m, REQ_ARG2);
	long v;

	if (job_waiting(c, &rq->j) < 0)
		return;
	if (parse_long(arg, 1, 100, &v) < 0) {
		reply_error(c, "priority '%s': give 1 to 100", arg);
		return;
	}
	job_changed(sd, c, rq, queue_set_priority(sd, rq->j.id, (int)v,
	    c->user));
}

static void
do_top(struct spoold *sd, struct client *c, struct request *rq)
{
	if (job_waiting(c, &rq->j) < 0)
		return;
	job_changed(sd, c, rq, queue_top(sd, rq->j.id, c->user));
}

/* Held by spoold because its destination went (hold_jobs_of() in
 * reload.c), not by anyone: a move to a destination that exists ends
 * that hold, and its reason. */
static int
job_held_for_dest(struct spoold *sd, const struct job_row *j)
{
	return strcmp(j->state, job_state_name(JOB_HELD)) == 0 &&
	    j->hold_until == 0 && !dest_known(sd, j->printer) &&
	    strstr(j->reason, HOLD_DEST_REMOVED) != NULL;
}

/* Held for not suiting its printer (suits.c): a move releases it, and
 * the new destination judges it before it prints. */
static int
job_held_for_fit(const struct job_row *j)
{
	return strcmp(j->state, job_state_name(JOB_HELD)) == 0 &&
	    j->hold_until == 0 && strcmp(j->approval, "awaiting") != 0 &&
	    fit_is_reason(j->reason);
}

/* move ID DEST */
static void
do_move(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *arg = msg_field(rq->m, REQ_ARG2);
	char approvers[CONF_NAME_MAX * 2];
	struct dest *d;
	int release, r;

	if (job_waiting(c, &rq->j) < 0)
		return;
	release = job_held_for_dest(sd, &rq->j) || job_held_for_fit(&rq->j);
	if ((d = dest_find(sd, arg)) == NULL) {
		reply_error(c, "%s: unknown printer or class", arg);
		return;
	}
	if (!d->accepting) {
		reply_error(c, "%s is not accepting jobs%s%s", arg,
		    d->accept_reason[0] ? ": " : "", d->accept_reason);
		return;
	}
	/* Where its owner's jobs need approval, a job not yet approved
	 * waits for it there: held first, so that no crash leaves it
	 * moved and free to print. */
	if (rq->j.approval[0] == '\0' && approve_needed(sd, arg, rq->j.owner,
	    (uid_t)rq->j.uid, approvers, sizeof(approvers))) {
		if (queue_await_approval(sd, rq->j.id, approvers, c->user) < 0) {
			reply_error(c, "%s: cannot move it", rq->j.name);
			return;
		}
		log_info("%s: held: " HOLD_APPROVAL " on %s", rq->j.name, arg);
		/* It waits for approval there, then for what suits. */
		if (!job_held_for_dest(sd, &rq->j))
			release = 0;
	}
	r = queue_move(sd, rq->j.id, arg, c->user, release);
	/* Released there, one it does not suit says so now. */
	if (r == 0)
		sched_judge(sd, rq->j.id);
	job_changed(sd, c, rq, r);
}

/* What gpc send refuses beyond a file's checks: M0 and M1, which wait
 * for someone at the printer (alone, the analyser takes one for a
 * file's last line), and a line that is no command but a word of one
 * ("gpc send mk3 G1 X10": quote a command's words together).  -1 with
 * the client told. */
static int
send_refused(struct client *c, const struct gcode_lexer *lx)
{
	const char *cmd = lx->cmd;
	char letter = (char)toupper((unsigned char)cmd[0]), *end;
	long code = gcode_int(cmd + 1, &end);
	int numbered = end != cmd + 1;

	if (letter == 'M' && numbered && (code == 0 || code == 1) &&
	    *end != '.') {
		reply_error(c, "line %lu: '%s' waits for someone to press the"
		    " printer's button: M0 and M1 are not sent by hand",
		    lx->cmd_line, cmd);
		return -1;
	}
	if (numbered && letter != 'G' && letter != 'M' && letter != 'T') {
		reply_error(c, "line %lu: '%s' is a word, not a command:"
		    " give each command's words as one argument (gpc send"
		    " PRINTER 'G1 X10 Y10')", lx->cmd_line, cmd);
		return -1;
	}
	return 0;
}

/* send PRINTER GCODE: administrators; commands by hand, a line each,
 * through the checks a job's file passes against that printer, while no
 * job prints.  The answer waits until the printer has run them, one at
 * a time, and carries what it said to each. */
static void
do_send(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *name = msg_field(rq->m, REQ_ARG1);
	const char *text = msg_field(rq->m, REQ_ARG2);
	struct analyse_policy pol;
	struct gcode_lexer lx;
	struct analysis *an;
	enum gcode_status st;
	struct printer *p = rq->p;
	char *cmds, *src;
	size_t len, off = 0, o = 0;
	int lines = 0;

	if (p->job != 0 || p->state != PRINTER_READY || p->sock < 0) {
		reply_error(c, "%s is not ready for it (%s)", name, p->job ?
		    "printing" : printer_state_name(p->state));
		return;
	}
	/* The lines as one file, so that a mode one sets (G91) holds for
	 * the next, checked against the printer as a job would be. */
	src = xasprintf("%s\n", text);
	len = strlen(src);
	an = xmalloc(sizeof(*an));
	memset(&pol, 0, sizeof(pol));
	check_policy(p, &pol);
	analyse_init(an, &pol);
	cmds = xmalloc(len + 1);
	if (analyse_bytes(an, src, len) < 0 || analyse_end(an) < 0) {
		reply_error(c, "%s", an->error);
		goto done;
	}
	gcode_lexer_init(&lx, &p->conf->policy);
	while (off <= len) {
		if (off < len)
			off += gcode_lex(&lx, src + off, len - off, &st);
		else {
			st = gcode_lex_end(&lx);
			off++;
		}
		if (st != GCODE_CMD)
			continue;
		if (send_refused(c, &lx) < 0)
			goto done;
		lines++;
		o += (size_t)snprintf(cmds + o, len + 1 - o, "%s%s", o ? "\n" :
		    "", lx.cmd);
	}
	if (lines == 0 || lines > CONF_SCRIPT_LINES) {
		reply_error(c, lines ? "more than %d lines" : "no G-code"
		    " command to send", CONF_SCRIPT_LINES);
		goto done;
	}
	if (msg_send(p->sock, -1, "send", cmds, (char *)NULL) < 0) {
		reply_error(c, "%s: cannot reach its backend", name);
		goto done;
	}
	log_info("%s: G-code sent by %s: %s", name, c->user, cmds);
	p->state = PRINTER_BUSY;
	c->wait_manual = p;
done:
	free(cmds);
	free(an);
	free(src);
}

static void
control_manual_done(struct spoold *sd, struct printer *p, int ok,
    const char *text)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = sd->clients[i];

		if (c == NULL || c->wait_manual != p)
			continue;
		c->wait_manual = NULL;
		if (ok)
			msg_send(c->fd, -1, "ok", text, (char *)NULL);
		else
			reply_error(c, "%s: %s", p->conf->name, text);
	}
}

/* resume-from ID LAYER: administrators. */
static void
do_resume_from(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *arg = msg_field(rq->m, REQ_ARG2);
	char why[512];
	long layer;

	if (parse_long(arg, 1, 2000000000L, &layer) < 0) {
		reply_error(c, "resume-from: '%s' is not a layer number", arg);
		return;
	}
	if (printer_resume_from(sd, &rq->j, layer, c->user, why,
	    sizeof(why)) < 0) {
		reply_error(c, "%s", why);
		return;
	}
	msg_send(c->fd, -1, "ok", (char *)NULL);
}

/* accept, reject, enable, disable DEST [REASON]: administrators. */
static void
do_dest_request(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *verb = rq->verb, *name = msg_field(rq->m, REQ_ARG1);
	char reason[256];
	struct dest *d = rq->d;

	clean_text(reason, sizeof(reason), msg_field(rq->m, REQ_ARG2));
	dest_set(d, verb, reason);
	dest_save(sd, name);
	log_info("%s: %s by %s%s%s", name, verb, c->user, reason[0] ? ": " :
	    "", reason);
	msg_send(c->fd, -1, "ok", (char *)NULL);
	sched_kick(sd);
}

/* load PRINTER TOOL MATERIAL: what is loaded on one of the printer's
 * tools now ("none": nothing), kept across restarts; the jobs held for
 * not suiting it are judged again (suits.c).  Answers ok with the
 * printer's materials and how many jobs were released. */
static void
do_load(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *tool = msg_field(rq->m, REQ_LOAD_TOOL);
	const char *mat = msg_field(rq->m, REQ_LOAD_MATERIAL);
	struct printer *p = rq->p;
	struct fit_printer fp;
	char text[sizeof(p->d.materials)], n[16];
	long t;
	int i;

	if ((tool[0] != 'T' && tool[0] != 't') || parse_long(tool + 1, 0,
	    ANALYSE_TOOLS - 1, &t) < 0) {
		reply_error(c, "load: '%s' is not a tool (T0 to T%d)", tool,
		    ANALYSE_TOOLS - 1);
		return;
	}
	if (!fit_material_ok(mat) || mat[0] == '\0') {
		reply_error(c, "load: '%s' is not a filament type (such as PLA"
		    " or PETG: letters, digits and -+_./, at most %d; none"
		    " for nothing)", mat, ANALYSE_MATERIAL - 1);
		return;
	}
	suits_printer(p, &fp);
	if (fp.nnozzles > 0 && t >= fp.nnozzles) {
		reply_error(c, "load: %s has %d tool%s (nozzle = ...), no T%ld",
		    p->conf->name, fp.nnozzles, fp.nnozzles > 1 ? "s" : "", t);
		return;
	}
	for (i = fp.nmaterials; i <= t; i++)
		fp.material[i][0] = '\0';
	if (fp.nmaterials <= t)
		fp.nmaterials = (int)t + 1;
	snprintf(fp.material[t], sizeof(fp.material[t]), "%s",
	    strcasecmp(mat, "none") == 0 ? "" : mat);
	fit_materials_text(&fp, text, sizeof(text));
	p->d.materials_set = 1;
	snprintf(p->d.materials, sizeof(p->d.materials), "%s", text);
	if (queue_dest_save(sd, p->conf->name, &p->d) < 0) {
		reply_error(c, "%s: cannot keep what is loaded", p->conf->name);
		return;
	}
	log_info("%s: T%ld has %s loaded, said %s (%s)", p->conf->name, t,
	    fp.material[t][0] ? fp.material[t] : "nothing", c->user, text);
	snprintf(n, sizeof(n), "%d", suits_loaded(sd, p));
	msg_send(c->fd, -1, "ok", text, n, (char *)NULL);
	/* A class's jobs that waited for it may suit it now. */
	sched_kick(sd);
}

/* answer PRINTER CHOICE: the printer's prompt answered (M876, or the
 * host's own way); "ok INDEX HOW", HOW what was done with it. */
static void
do_answer(struct spoold *sd, struct client *c, struct request *rq)
{
	char why[512], idx[16], how[128];
	int k;

	if ((k = printer_answer(sd, rq->p, msg_field(rq->m, REQ_ARG2),
	    c->user, how, sizeof(how), why, sizeof(why))) < 0) {
		reply_error(c, "%s", why);
		return;
	}
	snprintf(idx, sizeof(idx), "%d", k);
	msg_send(c->fd, -1, "ok", idx, how, (char *)NULL);
}

/* A regular file in the folder open on dfd, opened without following
 * a link and without blocking (a FIFO put there hangs nothing): a
 * descriptor with its attributes, or -1. */
static int
open_regular(int dfd, const char *name, struct stat *st)
{
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The largest PNG thumbnail ingest kept in the job's folder open on
 * dfd (thumb-WxH.png): its name in name, or -1. */
static int
largest_png(int dfd, char *name, size_t namesz)
{
	struct dirent *de;
	long best = -1;
	int w, h, n, fd;
	DIR *d;

	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		n = 0;
		if (sscanf(de->d_name, "thumb-%dx%d.png%n", &w, &h, &n) != 2 ||
		    n == 0 || de->d_name[n] != '\0' || w <= 0 || h <= 0 ||
		    (long)w * h <= best)
			continue;
		best = (long)w * h;
		snprintf(name, namesz, "%s", de->d_name);
	}
	closedir(d);
	return best < 0 ? -1 : 0;
}

/* The name of the job's timelapse video, from its filters' reports
 * (timelapse.video), else the timelapse filter's timelapse.mp4: 0, or
 * -1 if not a plain name of its folder. */
static int
timelapse_name(struct spoold *sd, const struct job_row *j, char *name,
    size_t namesz)
{
	json_t *o = queue_attrs(sd, j->id);
	const char *v = json_string_value(json_object_get(o,
	    "timelapse.video"));
	int r = -1;

	if (v == NULL)
		v = "timelapse.mp4";
	if (name_is_safe(v, 200) && strstr(v, ".tmp") == NULL) {
		snprintf(name, namesz, "%s", v);
		r = 0;
	}
	json_decref(o);
	return r;
}

static void
send_file(struct client *c, int fd, const struct stat *st, const char *name)
{
	char size[32];

	snprintf(size, sizeof(size), "%lld", (long long)st->st_size);
	msg_send(c->fd, fd, "ok", size, name, (char *)NULL);
	close(fd);
}

/* job-file ID thumbnail|timelapse: the job's largest PNG thumbnail or
 * its timelapse video, opened here under its folder and passed as a
 * descriptor with its size and name, to the job's owner or an
 * administrator, and the thumbnail to anyone who sees the job's title
 * (show_titles), as gqueue shows it: the front ends do not read the
 * spool. */
static void
do_job_file(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *kind = msg_field(rq->m, REQ_ARG2);
	char *dir, name[256];
	struct stat st;
	int dfd, fd = -1, r = -1;

	if (!may_change(sd, c, &rq->j) && (strcmp(kind, "thumbnail") != 0 ||
	    !sd->conf.show_titles)) {
		reply_error(c, "%s belongs to %s; you may %s only your own"
		    " jobs", rq->j.name, rq->j.owner, rq->verb);
		return;
	}
	dir = xasprintf("%s/%ld.d", sd->dir_jobs, rq->j.id);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(dir);
	if (strcmp(kind, "thumbnail") == 0)
		r = dfd < 0 ? -1 : largest_png(dfd, name, sizeof(name));
	else if (strcmp(kind, "timelapse") == 0)
		r = timelapse_name(sd, &rq->j, name, sizeof(name));
	else {
		if (dfd >= 0)
			close(dfd);
		reply_error(c, "job-file: '%s' is neither thumbnail nor"
		    " timelapse", kind);
		return;
	}
	if (r == 0 && dfd >= 0)
		fd = open_regular(dfd, name, &st);
	if (dfd >= 0)
		close(dfd);
	if (fd < 0) {
		reply_error(c, "%s: no such %s", rq->j.name, kind);
		return;
	}
	send_file(c, fd, &st, name);
}

/* webcam PRINTER: the printer's latest frame (SPOOL/printers/NAME/
 * webcam.jpg, which its timelapse filter writes), as job-file passes a
 * file; anyone may see it, as in gsftpd. */
static void
do_webcam(struct spoold *sd, struct client *c, struct request *rq)
{
	char *dir;
	struct stat st;
	int dfd, fd = -1;

	dir = xasprintf("%s/printers/%s", sd->conf.spool_dir,
	    rq->p->conf->name);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) >= 0) {
		fd = open_regular(dfd, "webcam.jpg", &st);
		close(dfd);
	}
	free(dir);
	if (fd < 0) {
		reply_error(c, "%s: no such webcam frame", rq->p->conf->name);
		return;
	}
	send_file(c, fd, &st, "webcam.jpg");
}

/* pause, resume, estop, ready PRINTER. */
static void
do_printer_request(struct spoold *sd, struct client *c, struct request *rq)
{
	const char *name = msg_field(rq->m, REQ_ARG1);
	struct printer *p = rq->p;
	char why[256];

	if (rq->req == REQ_READY) {
		if (p->job != 0) {
			reply_error(c, "%s is printing %s", name,
			    queue_job_name(sd, p->job, name));
			return;
		}
		printer_ready(sd, p, c->user);
		msg_send(c->fd, -1, "ok", (char *)NULL);
		return;
	}
	if (printer_request(sd, p, rq->verb, c->user, why,
	    sizeof(why)) < 0) {
		reply_error(c, "%s", why);
		return;
	}
	log_info("%s: %s requested by %s", name, rq->verb, c->user);
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
do_wait(struct spoold *sd, struct client *c, struct request *rq)
{
	(void)sd;
	if (job_state_word_at_rest(rq->j.state)) {
		reply_done(c, &rq->j);
		return;
	}
	c->wait_job = rq->j.id;	/* answered by control_job_ended() */
}

static void control_job_ended(struct spoold *, long);
static void control_manual_done(struct spoold *, struct printer *, int,
    const char *);

/* Job events (jobev.c): a job at rest answers the clients waiting for
 * it (ended, stopped, or held by spoold itself because it fits no
 * printer: nothing prints it until someone acts); a printer's answer
 * to gpc send, the client that sent it. */
static void
control_hear(struct spoold *sd, const struct job_event *ev, void *arg)
{
	(void)arg;
	if (ev->job == 0 && strcmp(ev->name, "manual") == 0)
		control_manual_done(sd, ev->printer, ev->ok, ev->reason);
	else if (ev->row && (job_state_word_at_rest(ev->name) ||
	    (strcmp(ev->name, "held") == 0 &&
	    ev->who != NULL && strcmp(ev->who, "spoold") == 0)))
		control_job_ended(sd, ev->job);
}

static void
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

/*
 * Every request: what its first argument names (found, or the client
 * told there is none, before its rights are looked at), who may send
 * it, and its handler.
 *
 *   WHO_CONNECTION  any connection, a front end's user's before it
 *                   speaks for an account;
 *   WHO_GSFTPD      the front ends' users alone ([sftp] user, [web]
 *                   user);
 *   WHO_ANYONE      any local user, or an account a front end speaks
 *                   for;
 *   WHO_OWNER       the job's owner, or an administrator;
 *   WHO_PRINTING    the owner of the job the printer prints (for ready,
 *                   of the job it last printed), or an administrator;
 *   WHO_APPROVER    a member of the group that may approve the job
 *                   (approve.c), or an administrator;
 *   WHO_ADMIN       root, spoold's own user, the members of admin_group.
 *
 * A front end's user has one role, its accounts': it may send only
 * the first two (unless it is spoold's own user too).  An account
 * gwebd speaks for is an administrator if its [account] says admin =
 * yes (do_as()); one gsftpd speaks for never is.
 */
enum target { T_NONE, T_JOB, T_PRINTER, T_DEST };
enum who {
	WHO_CONNECTION, WHO_GSFTPD, WHO_ANYONE, WHO_OWNER, WHO_PRINTING,
	WHO_APPROVER, WHO_ADMIN
};

static const struct request_type {
	enum target	 target;
	enum who	 who;
	void		(*fn)(struct spoold *, struct client *,
			    struct request *);
	const char	*admin_only;	/* WHO_ADMIN: "only an administrator
					   may ...", NULL: the verb and
					   its destination */
} request_types[REQ_N] = {
	[REQ_HELLO] =	    { T_NONE, WHO_CONNECTION, do_hello, NULL },
	[REQ_AS] =	    { T_NONE, WHO_GSFTPD, do_as, NULL },
	[REQ_SUBMIT] =	    { T_NONE, WHO_ANYONE, do_submit, NULL },
	[REQ_QUEUE] =	    { T_NONE, WHO_ANYONE, do_queue, NULL },
	[REQ_USAGE] =	    { T_NONE, WHO_ANYONE, do_usage, NULL },
	[REQ_CANCEL_JOBS] = { T_NONE, WHO_ANYONE, do_cancel_jobs, NULL },
	[REQ_WAIT] =	    { T_JOB, WHO_ANYONE, do_wait, NULL },
	[REQ_CANCEL] =	    { T_JOB, WHO_OWNER, do_cancel, NULL },
	[REQ_HOLD] =	    { T_JOB, WHO_OWNER, do_hold, NULL },
	[REQ_RELEASE] =	    { T_JOB, WHO_OWNER, do_release, NULL },
	[REQ_PRIORITY] =    { T_JOB, WHO_OWNER, do_priority, NULL },
	[REQ_MOVE] =	    { T_JOB, WHO_OWNER, do_move, NULL },
	[REQ_REPRINT] =	    { T_JOB, WHO_OWNER, do_reprint, NULL },
	[REQ_TOP] =	    { T_JOB, WHO_ADMIN, do_top,
			      "move a job to the top of the queue" },
	[REQ_RESUME_FROM] = { T_JOB, WHO_ADMIN, do_resume_from,
			      "resume a job from a layer" },
	[REQ_PAUSE] =	    { T_PRINTER, WHO_PRINTING, do_printer_request,
			      NULL },
	[REQ_RESUME] =	    { T_PRINTER, WHO_PRINTING, do_printer_request,
			      NULL },
	[REQ_ESTOP] =	    { T_PRINTER, WHO_PRINTING, do_printer_request,
			      NULL },
	[REQ_READY] =	    { T_PRINTER, WHO_PRINTING, do_printer_request,
			      NULL },
	[REQ_SEND] =	    { T_PRINTER, WHO_ADMIN, do_send,
			      "send G-code by hand" },
	[REQ_ANSWER] =	    { T_PRINTER, WHO_PRINTING, do_answer, NULL },
	/* The thumbnail follows show_titles (the handler). */
	[REQ_JOB_FILE] =    { T_JOB, WHO_ANYONE, do_job_file, NULL },
	[REQ_WEBCAM] =	    { T_PRINTER, WHO_ANYONE, do_webcam, NULL },
	[REQ_APPROVE] =	    { T_JOB, WHO_APPROVER, do_approve, NULL },
	[REQ_DENY] =	    { T_JOB, WHO_APPROVER, do_deny, NULL },
	[REQ_LOAD] =	    { T_PRINTER, WHO_ADMIN, do_load,
			      "say what is loaded on a printer" },
	[REQ_ACCEPT] =	    { T_DEST, WHO_ADMIN, do_dest_request, NULL },
	[REQ_REJECT] =	    { T_DEST, WHO_ADMIN, do_dest_request, NULL },
	[REQ_ENABLE] =	    { T_DEST, WHO_ADMIN, do_dest_request, NULL },
	[REQ_DISABLE] =	    { T_DEST, WHO_ADMIN, do_dest_request, NULL },
	/* Another's refused file: an administrator's (the handler). */
	[REQ_REMOVE_REJECTED] = { T_NONE, WHO_ANYONE, do_remove_rejected,
			      NULL },
};

/* What the request's first argument names: 0, or -1 with the client
 * told there is no such thing. */
static int
request_target(struct spoold *sd, struct client *c,
    const struct request_type *rt, struct request *rq)
{
	const char *name = msg_field(rq->m, REQ_ARG1);

	switch (rt->target) {
	case T_JOB:
		return request_job(sd, c, rq->m, &rq->j);
	case T_PRINTER:
		if ((rq->p = printer_find(sd, name)) != NULL)
			return 0;
		reply_error(c, "%s: unknown printer", name);
		return -1;
	case T_DEST:
		if ((rq->d = dest_find(sd, name)) != NULL)
			return 0;
		reply_error(c, "%s: unknown printer or class", name);
		return -1;
	default:
		return 0;
	}
}

/* May the caller send it about its target?  1, or 0 with the client
 * told why not. */
static int
request_allowed(struct spoold *sd, struct client *c,
    const struct request_type *rt, struct request *rq)
{
	const char *name = msg_field(rq->m, REQ_ARG1);
	struct job_row j;
	long job;

	switch (rt->who) {
	case WHO_CONNECTION:
	case WHO_ANYONE:
		return 1;
	case WHO_GSFTPD:
		if (is_gsftpd(sd, c))
			return 1;
		log_warnx("control: '%s' refused to uid %ld: only gsftpd's"
		    " user %s or gwebd's user %s may speak for an account",
		    rq->verb, (long)c->uid, sd->conf.sftp.user,
		    sd->conf.web.user);
		reply_error(c, "%s: only gsftpd (user %s) or gwebd (user %s)"
		    " may speak for an account", rq->verb, sd->conf.sftp.user,
		    sd->conf.web.user);
		return 0;
	case WHO_OWNER:
		if (may_change(sd, c, &rq->j))
			return 1;
		reply_error(c, "%s belongs to %s; you may %s only your own"
		    " jobs", rq->j.name, rq->j.owner, rq->verb);
		return 0;
	case WHO_PRINTING:
		job = rq->req == REQ_READY ? rq->p->d.last_job : rq->p->job;
		if (is_admin(sd, c) || (job != 0 && queue_get(sd, job, &j) >
		    0 && own_job(c, &j)))
			return 1;
		reply_error(c, "%s: only the owner of the job %s, or an"
		    " administrator, may %s it", name, rq->req == REQ_READY ?
		    "last printed" : "printing", rq->verb);
		return 0;
	case WHO_APPROVER:
		if (may_approve(sd, c, &rq->j))
			return 1;
		reply_error(c, "%s: only %s may %s it", rq->j.name,
		    approvers_text(&rq->j), rq->verb);
		return 0;
	case WHO_ADMIN:
		if (is_admin(sd, c))
			return 1;
		if (rt->admin_only != NULL)
			reply_error(c, "only an administrator may %s",
			    rt->admin_only);
		else
			reply_error(c, "only an administrator may %s %s",
			    rq->verb, name);
		return 0;
	}
	return 0;
}

static void
control_client(struct spoold *sd, struct client *c)
{
	const struct request_type *rt;
	struct request *rq;
	struct msg m;
	char why[512];
	int r, k;

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
	if ((k = proto_parse(PROTO_REQUEST, &m, why, sizeof(why))) < 0) {
		log_warnx("control: uid %ld: %s", (long)c->uid, why);
		reply_error(c, "%s", why);
		goto done;
	}
	rt = &request_types[k];
	if (rt->who != WHO_CONNECTION && rt->who != WHO_GSFTPD &&
	    c->uid != getuid() && is_gsftpd(sd, c)) {
		/* A front end's user has one role: its accounts'. */
		reply_error(c, "a front end's user may only speak for an account"
		    " ('as ACCOUNT' first)");
		goto done;
	}
	rq = xcalloc(1, sizeof(*rq));
	rq->m = &m;
	rq->req = (enum req)k;
	rq->verb = proto_name(PROTO_REQUEST, k);
	if (request_target(sd, c, rt, rq) == 0 &&
	    request_allowed(sd, c, rt, rq))
		rt->fn(sd, c, rq);
	free(rq);
done:
	if (m.fd >= 0)
		close(m.fd);
}
