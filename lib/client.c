/*
 * client.c - connect a command to spoold.
 *
 * The configuration is read only for what a command needs, as CUPS's
 * commands never read cupsd.conf: the socket's path, the default
 * destination and the names of the printers and classes
 * (conf_load_client()).  A mistake elsewhere in the file is spoold's to
 * report, and does not lock users out while spoold runs; one in what is
 * read is printed with its line, so a user sees why a command cannot
 * work.  A command says first which protocol it speaks ("hello
 * VERSION", proto.h): a spoold that cannot understand it says why, and
 * one older than versions (which knows no hello) is spoken to as
 * version 1.
 *
 * Security: spoold is trusted, but its replies are read as bounded
 * messages (msg.c), and a field that is missing reads as empty.
 *
 * Diagnostics: a spoold that cannot be reached is reported with the
 * socket's path and the reason; a refusal with spoold's own words.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "jobname.h"
#include "jobstate.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "util.h"

void
client_report(const char *msg, void *arg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* Say which protocol we speak: 0, or -1 with why printed. */
static int
client_hello(int fd)
{
	struct msg m;
	char v[16];
	int k;

	snprintf(v, sizeof(v), "%d", PROTO_VERSION);
	if (msg_send(fd, -1, proto_name(PROTO_REQUEST, REQ_HELLO), v,
	    (char *)NULL) < 0 && errno != EPIPE) {
		log_warn("cannot send to spoold");
		return -1;
	}
	if (msg_recv(fd, &m) <= 0) {
		log_warnx("spoold closed the connection");
		return -1;
	}
	if (m.fd >= 0)
		close(m.fd);
	k = proto_lookup(PROTO_REPLY, msg_field(&m, 0));
	if (k == REPLY_OK)
		return 0;
	/* A spoold from before versions: it speaks version 1. */
	if (k == REPLY_ERROR && strcmp(msg_field(&m, REPLY_ERROR_MESSAGE),
	    "unknown request 'hello'") == 0)
		return 0;
	log_warnx("%s", k == REPLY_ERROR ? msg_field(&m, REPLY_ERROR_MESSAGE) :
	    "spoold did not answer hello");
	return -1;
}

int
client_connect(const char *opt, struct conf *c)
{
	struct sockaddr_un sun;
	int fd;

	if (conf_load_client(c, conf_path(opt), client_report, NULL) != 0)
		goto fail;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->socket_path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: socket path too long: %s", c->file,
		    c->socket_path);
		goto fail;
	}
	strcpy(sun.sun_path, c->socket_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("socket");
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("cannot reach spoold at %s (is it running?)",
		    c->socket_path);
		close(fd);
		goto fail;
	}
	if (client_hello(fd) < 0) {
		close(fd);
		goto fail;
	}
	return fd;
fail:
	conf_free(c);
	return -1;
}

long
client_job_id(const char *arg)
{
	long id;

	return job_name_parse(arg, &id, NULL, 0) < 0 ? -1 : id;
}

int
client_job_match(const char *arg, const json_t *j)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *on = json_string_value(json_object_get(j, "printer"));
	char why[512], cname[128], con[128];

	/* A remote host's queue.json says what it likes: what is quoted
	 * of it is made printable first. */
	clean_text(cname, sizeof(cname), name ? name : "");
	clean_text(con, sizeof(con), on ? on : "");
	if (job_name_check(arg, (long)json_integer_value(json_object_get(j,
	    "id")), cname, con, why, sizeof(why)) == 0)
		return 0;
	log_warnx("%s", why);
	return -1;
}

json_t *
client_queue_find(json_t *q, long id)
{
	json_t *j;
	size_t i;

	json_array_foreach(json_object_get(q, "jobs"), i, j)
		if (json_integer_value(json_object_get(j, "id")) == id)
			return j;
	return NULL;
}

/* client_job_resolve(), and with name non-NULL, the job's name in it
 * (arg itself for a job in neither list). */
static int
job_resolve(int sock, const char *arg, long *id, char *name, size_t namesz)
{
	static const int how[] = { 0, CLIENT_QUEUE_HISTORY };
	char err[512];
	json_t *q, *j;
	size_t k;
	int r = 0;

	if ((*id = client_job_id(arg)) < 0) {
		log_warnx("%s: not a job (expected NUMBER or DEST-NUMBER)",
		    arg);
		return 1;
	}
	if (name != NULL)
		snprintf(name, namesz, "%s", arg);
	if (strchr(arg, '-') == NULL && name == NULL)
		return 0;
	/* The open queue, then the history: where the job is, its name.
	 * A job in neither is spoold's to refuse. */
	for (k = 0; k < nitems(how); k++) {
		if ((q = client_queue(sock, "", how[k], err, sizeof(err))) ==
		    NULL) {
			if (err[0] == '\0') {
				log_warnx("lost the connection to spoold");
				return EXIT_CONNECT;
			}
			log_warnx("%s", err);
			return 1;
		}
		j = client_queue_find(q, *id);
		if (j != NULL && client_job_match(arg, j) < 0)
			r = 1;
		if (j != NULL && name != NULL &&
		    json_is_string(json_object_get(j, "name")))
			snprintf(name, namesz, "%s", json_string_value(
			    json_object_get(j, "name")));
		json_decref(q);
		if (j != NULL)
			break;
	}
	return r;
}

int
client_job_resolve(int sock, const char *arg, long *id)
{
	return job_resolve(sock, arg, id, NULL, 0);
}

int
client_job_name(int sock, const char *arg, long *id, char *name,
    size_t namesz)
{
	return job_resolve(sock, arg, id, name, namesz);
}

const char *
client_dest(const char *opt, const struct conf *c)
{
	static const char *const vars[] = { "GSPOOL_PRINTER", "PRINTER" };
	const char *env;
	size_t i;

	if (opt != NULL && *opt != '\0')
		return opt;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if ((env = getenv(vars[i])) == NULL || *env == '\0')
			continue;
		/* PRINTER may be set for CUPS on the same machine: say
		 * where the name came from. */
		if (c->nprinters + c->nclasses > 0 &&
		    conf_printer(c, env) == NULL && conf_class(c, env) == NULL) {
			log_warnx("%s=%s (from the environment) is not a printer"
			    " or class of %s", vars[i], env, c->file);
			exit(EXIT_USAGE);
		}
		return env;
	}
	return c->default_printer;
}

/* The answer to "wait ID": as client_wait_job(). */
static int
wait_reply(int fd, long id, char *state, size_t statesz, char *reason,
    size_t reasonsz)
{
	struct msg m;

	if (msg_recv(fd, &m) <= 0) {
		log_warnx("spoold closed the connection while waiting for"
		    " job %ld", id);
		return -1;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (proto_lookup(PROTO_REPLY, msg_field(&m, 0)) == REPLY_ERROR) {
		log_warnx("%s", msg_field(&m, REPLY_ERROR_MESSAGE));
		return -2;
	}
	snprintf(state, statesz, "%s", msg_field(&m, REPLY_DONE_STATE));
	snprintf(reason, reasonsz, "%s", msg_field(&m, REPLY_DONE_REASON));
	return strcmp(state, job_state_name(JOB_COMPLETED)) == 0;
}

static int
wait_send(int fd, long id)
{
	char ids[32];

	snprintf(ids, sizeof(ids), "%ld", id);
	if (msg_send(fd, -1, proto_name(PROTO_REQUEST, REQ_WAIT), ids,
	    (char *)NULL) < 0) {
		log_warn("cannot send to spoold");
		return -1;
	}
	return 0;
}

int
client_wait_job(int fd, long id, char *state, size_t statesz, char *reason,
    size_t reasonsz)
{
	if (wait_send(fd, id) < 0)
		return -1;
	return wait_reply(fd, id, state, statesz, reason, reasonsz);
}

/* The share done and the layer of printer row pr's job, as the status
 * model says them (status.c): "45% (by time), layer 12 of 120"; from an
 * older spoold, the share of its file and the layer alone. */
static void
live_progress(char *buf, size_t sz, json_t *pr)
{
	json_t *g = json_object_get(json_object_get(pr, "status"),
	    "progress");
	json_t *tf = json_object_get(g, "time_fraction");
	long long layer = json_integer_value(json_object_get(pr, "layer"));
	long long layers = json_integer_value(json_object_get(g, "layers"));
	int o = 0;

	if (json_is_number(tf) && isfinite(json_number_value(tf)))
		o = snprintf(buf, sz, ", %.0f%% (by time)",
		    floor(fmin(1, fmax(0, json_number_value(tf))) * 100));
	else if (json_integer_value(json_object_get(pr, "job_size")) > 0)
		o = snprintf(buf, sz, ", %lld%%", (long long)(json_integer_value(
		    json_object_get(pr, "bytes_done")) * 100 /
		    json_integer_value(json_object_get(pr, "job_size"))));
	if (o < 0 || (size_t)o >= sz || layer <= 0)
		return;
	if (layers > 0)
		snprintf(buf + o, sz - (size_t)o, ", layer %lld of %lld", layer,
		    layers);
	else
		snprintf(buf + o, sz - (size_t)o, ", layer %lld", layer);
}

/* The live line of job id from the queue q: its name, its state, and
 * while a printer prints it, the share done and the layer, as the
 * status lines say them: "farm-7: processing on mk3, 45% (by time),
 * layer 12 of 120".  Cleaned: a title or
 * reason is not shown, and every name is printable. */
static void
live_line(char *buf, size_t sz, json_t *q, long id)
{
	json_t *j, *p, *pr = NULL;
	char name[96], on[96];
	size_t i;
	int o;

	buf[0] = '\0';
	if ((j = client_queue_find(q, id)) == NULL)
		return;
	json_array_foreach(json_object_get(q, "printers"), i, p)
		if (json_integer_value(json_object_get(p, "job")) == id)
			pr = p;
	clean_text(name, sizeof(name), json_string_value(json_object_get(j,
	    "name")) ? json_string_value(json_object_get(j, "name")) : "");
	clean_text(on, sizeof(on), json_string_value(json_object_get(j,
	    "printer")) ? json_string_value(json_object_get(j, "printer")) :
	    "");
	o = snprintf(buf, sz, "%s: %s", name, json_string_value(
	    json_object_get(j, "state")) ? json_string_value(json_object_get(j,
	    "state")) : "");
	if (o < 0 || (size_t)o >= sz)
		return;
	if (pr != NULL && on[0] != '\0')
		o += snprintf(buf + o, sz - (size_t)o, " on %s", on);
	if (pr != NULL && (size_t)o < sz)
		live_progress(buf + o, sz - (size_t)o, pr);
}

int
client_wait_job_live(int fd, long id, const char *cfile, char *state,
    size_t statesz, char *reason, size_t reasonsz)
{
	struct conf c;
	struct pollfd pfd;
	char line[256], err[512];
	json_t *q;
	int qs = -1, shown = 0, tried = 0, r;

	if (!isatty(STDOUT_FILENO))
		return client_wait_job(fd, id, state, statesz, reason,
		    reasonsz);
	if (wait_send(fd, id) < 0)
		return -1;
	/* The queue is asked on a connection of its own, while this one
	 * waits for the answer: the line follows the job until it ends,
	 * and its end is the answer awaited, not a state polled. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, tried ? 1000 : 0) != 0)
			break;
		tried = 1;
		/* Tried once: without it, no line, but the wait goes on. */
		if (qs == -1 && (qs = client_connect(cfile, &c)) >= 0)
			conf_free(&c);
		else if (qs == -1)
			qs = -2;
		if (qs < 0)
			continue;
		if ((q = client_queue(qs, "", 0, err, sizeof(err))) == NULL) {
			close(qs);
			qs = -2;
			continue;
		}
		live_line(line, sizeof(line), q, id);
		json_decref(q);
		if (line[0] != '\0') {
			printf("\r\033[K%s", line);
			fflush(stdout);
			shown = 1;
		}
	}
	if (qs >= 0)
		close(qs);
	if (shown) {
		printf("\r\033[K");
		fflush(stdout);
	}
	r = wait_reply(fd, id, state, statesz, reason, reasonsz);
	return r;
}

void
client_check_jobs(int argc, char *argv[])
{
	int i;

	for (i = 0; i < argc; i++) {
		if (client_job_id(argv[i]) < 0) {
			log_warnx("%s: not a job (expected NUMBER or"
			    " DEST-NUMBER)", argv[i]);
			exit(EXIT_USAGE);
		}
	}
}

/* The rows of spoold's "queue" answer as JSON objects (the fields are
 * listed in gspool(7)): what --json prints. */
static json_t *
num(const char *s)
{
	return json_integer(atoll(s));
}

/* Field i of a row as a string, a number, a flag ("0" is false). */
static json_t *
str(const struct msg *m, int i)
{
	return json_string(msg_field(m, i));
}

static json_t *
numf(const struct msg *m, int i)
{
	return num(msg_field(m, i));
}

static json_t *
on(const struct msg *m, int i)
{
	return json_boolean(strcmp(msg_field(m, i), "0") != 0);
}

/* The name of the job a printer row's printer prints: spoold's, or,
 * from a spoold of version 3 or older, PRINTER-JOB; "" for none. */
static json_t *
client_printer_job_name(const struct msg *m)
{
	char name[96] = "";

	if (m->nfields > ROW_PRINTER_JOB_NAME)
		snprintf(name, sizeof(name), "%s", msg_field(m,
		    ROW_PRINTER_JOB_NAME));
	else if (atol(msg_field(m, ROW_PRINTER_JOB)) > 0)
		snprintf(name, sizeof(name), "%s-%s", msg_field(m,
		    ROW_PRINTER_NAME), msg_field(m, ROW_PRINTER_JOB));
	return json_string(name);
}

json_t *
client_printer_json(const struct msg *m)
{
	json_t *o = json_object();
	long long done = atoll(msg_field(m, ROW_PRINTER_BYTES));
	long long size = atoll(msg_field(m, ROW_PRINTER_SIZE));
	json_t *st, *pr;

	json_object_set_new(o, "name", str(m, ROW_PRINTER_NAME));
	json_object_set_new(o, "state", str(m, ROW_PRINTER_STATE));
	json_object_set_new(o, "message", str(m, ROW_PRINTER_MESSAGE));
	json_object_set_new(o, "job", numf(m, ROW_PRINTER_JOB));
	json_object_set_new(o, "activity", str(m, ROW_PRINTER_ACTIVITY));
	json_object_set_new(o, "lines_done", numf(m, ROW_PRINTER_LINES));
	json_object_set_new(o, "layer", numf(m, ROW_PRINTER_LAYER));
	json_object_set_new(o, "temperatures", str(m, ROW_PRINTER_TEMPS));
	json_object_set_new(o, "bytes_done", json_integer(done));
	json_object_set_new(o, "job_size", json_integer(size));
	st = json_loads(msg_field(m, ROW_PRINTER_STATUS), 0, NULL);
	if (!json_is_object(st)) {
		json_decref(st);
		st = NULL;	/* an older spoold's row */
	}
	pr = json_object_get(st, "progress");
	/* The share of the print's own bytes where spoold says it. */
	if (json_is_number(json_object_get(pr, "bytes_fraction")))
		json_object_set_new(o, "progress", json_real(json_number_value(
		    json_object_get(pr, "bytes_fraction"))));
	else
		json_object_set_new(o, "progress", json_real(size > 0 ?
		    (double)done / (double)size : 0));
	if (st != NULL)
		json_object_set_new(o, "status", st);
	json_object_set_new(o, "enabled", on(m, ROW_PRINTER_ENABLED));
	json_object_set_new(o, "accepting", on(m, ROW_PRINTER_ACCEPTING));
	json_object_set_new(o, "disabled_reason",
	    str(m, ROW_PRINTER_DISABLED_WHY));
	json_object_set_new(o, "rejecting_reason",
	    str(m, ROW_PRINTER_REJECTING_WHY));
	json_object_set_new(o, "description", str(m, ROW_PRINTER_DESCRIPTION));
	json_object_set_new(o, "job_started", numf(m, ROW_PRINTER_STARTED));
	json_object_set_new(o, "job_estimated_seconds",
	    numf(m, ROW_PRINTER_ESTIMATE));
	json_object_set_new(o, "job_name", client_printer_job_name(m));
	/* The firmware's prompt waiting for the user, and its choices
	 * (gpc answer); null with none, and from an older spoold. */
	if (msg_field(m, ROW_PRINTER_PROMPT)[0] != '\0') {
		json_t *a = json_array();
		char *list = xstrdup(msg_field(m, ROW_PRINTER_BUTTONS));
		char *w, *save = NULL;

		for (w = strtok_r(list, "\n", &save); w != NULL;
		    w = strtok_r(NULL, "\n", &save))
			json_array_append_new(a, json_string(w));
		free(list);
		json_object_set_new(o, "prompt", str(m, ROW_PRINTER_PROMPT));
		json_object_set_new(o, "prompt_buttons", a);
	} else {
		json_object_set_new(o, "prompt", json_null());
		json_object_set_new(o, "prompt_buttons", json_array());
	}
	return o;
}

json_t *
client_class_json(const struct msg *m)
{
	json_t *o = json_object(), *a = json_array();
	char *list = xstrdup(msg_field(m, ROW_CLASS_MEMBERS)), *w, *save = NULL;

	for (w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
		json_array_append_new(a, json_string(w));
	free(list);
	json_object_set_new(o, "name", str(m, ROW_CLASS_NAME));
	json_object_set_new(o, "printers", a);
	json_object_set_new(o, "enabled", on(m, ROW_CLASS_ENABLED));
	json_object_set_new(o, "accepting", on(m, ROW_CLASS_ACCEPTING));
	json_object_set_new(o, "disabled_reason",
	    str(m, ROW_CLASS_DISABLED_WHY));
	json_object_set_new(o, "rejecting_reason",
	    str(m, ROW_CLASS_REJECTING_WHY));
	json_object_set_new(o, "description", str(m, ROW_CLASS_DESCRIPTION));
	return o;
}

json_t *
client_job_json(const struct msg *m)
{
	json_t *o = json_object(), *meta;
	char name[96];
	long done = 0, total = 0;

	/* A spoold of version 3 or older names a job for where it is. */
	if (m->nfields > ROW_JOB_NAME)
		snprintf(name, sizeof(name), "%s", msg_field(m, ROW_JOB_NAME));
	else
		snprintf(name, sizeof(name), "%s-%s", msg_field(m,
		    ROW_JOB_DEST), msg_field(m, ROW_JOB_ID));
	sscanf(msg_field(m, ROW_JOB_LINES), "%ld/%ld", &done, &total);
	json_object_set_new(o, "id", numf(m, ROW_JOB_ID));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "rank", str(m, ROW_JOB_RANK));
	json_object_set_new(o, "owner", str(m, ROW_JOB_OWNER));
	json_object_set_new(o, "destination", str(m, ROW_JOB_DEST));
	json_object_set_new(o, "printer", str(m, ROW_JOB_RAN_ON));
	json_object_set_new(o, "title", str(m, ROW_JOB_TITLE));
	json_object_set_new(o, "size", numf(m, ROW_JOB_SIZE));
	json_object_set_new(o, "state", str(m, ROW_JOB_STATE));
	json_object_set_new(o, "reason", str(m, ROW_JOB_REASON));
	json_object_set_new(o, "lines_done", json_integer(done));
	json_object_set_new(o, "commands", json_integer(total));
	json_object_set_new(o, "priority", numf(m, ROW_JOB_PRIORITY));
	json_object_set_new(o, "copies", numf(m, ROW_JOB_COPIES));
	json_object_set_new(o, "copies_done", numf(m, ROW_JOB_COPIES_DONE));
	json_object_set_new(o, "hold_until", numf(m, ROW_JOB_HOLD_UNTIL));
	json_object_set_new(o, "created", numf(m, ROW_JOB_CREATED));
	json_object_set_new(o, "started", numf(m, ROW_JOB_STARTED));
	json_object_set_new(o, "finished", numf(m, ROW_JOB_FINISHED));
	json_object_set_new(o, "duration", json_integer(atoll(msg_field(m,
	    ROW_JOB_STARTED)) > 0 && atoll(msg_field(m, ROW_JOB_FINISHED)) >=
	    atoll(msg_field(m, ROW_JOB_STARTED)) ? atoll(msg_field(m,
	    ROW_JOB_FINISHED)) - atoll(msg_field(m, ROW_JOB_STARTED)) : 0));
	json_object_set_new(o, "layer", numf(m, ROW_JOB_LAYER));
	json_object_set_new(o, "own", json_boolean(strcmp(msg_field(m,
	    ROW_JOB_OWN), "1") == 0));
	meta = json_loads(msg_field(m, ROW_JOB_ATTRS), 0, NULL);
	json_object_set_new(o, "attributes", meta ? meta : json_object());
	meta = json_loads(msg_field(m, ROW_JOB_META), 0, NULL);
	json_object_set_new(o, "meta", meta ? meta : json_object());
	/* Version 5: its approval, if it needs one (an object, or none). */
	meta = json_loads(msg_field(m, ROW_JOB_APPROVAL), 0, NULL);
	if (json_is_object(meta))
		json_object_set_new(o, "approval", meta);
	else
		json_decref(meta);
	return o;
}
