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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
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
	const char *p = strrchr(arg, '-');
	long id;

	if (p == NULL)
		p = arg;
	else
		p++;
	if (parse_long(p, 1, 2000000000L, &id) < 0)
		return -1;
	return id;
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

int
client_wait_job(int fd, long id, char *state, size_t statesz, char *reason,
    size_t reasonsz)
{
	struct msg m;
	char ids[32];
	int r;

	snprintf(ids, sizeof(ids), "%ld", id);
	if (msg_send(fd, -1, "wait", ids, (char *)NULL) < 0) {
		log_warn("cannot send to spoold");
		return -1;
	}
	if ((r = msg_recv(fd, &m)) <= 0) {
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

void
client_check_jobs(int argc, char *argv[])
{
	int i;

	for (i = 0; i < argc; i++) {
		if (client_job_id(argv[i]) < 0) {
			log_warnx("%s: not a job (expected PRINTER-NUMBER or"
			    " NUMBER)", argv[i]);
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

json_t *
client_printer_json(const struct msg *m)
{
	json_t *o = json_object();
	long long done = atoll(msg_field(m, ROW_PRINTER_BYTES));
	long long size = atoll(msg_field(m, ROW_PRINTER_SIZE));

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
	json_object_set_new(o, "progress", json_real(size > 0 ?
	    (double)done / (double)size : 0));
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

	snprintf(name, sizeof(name), "%s-%s", msg_field(m, ROW_JOB_DEST),
	    msg_field(m, ROW_JOB_ID));
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
	json_object_set_new(o, "layer", numf(m, ROW_JOB_LAYER));
	json_object_set_new(o, "own", json_boolean(strcmp(msg_field(m,
	    ROW_JOB_OWN), "1") == 0));
	meta = json_loads(msg_field(m, ROW_JOB_ATTRS), 0, NULL);
	json_object_set_new(o, "attributes", meta ? meta : json_object());
	meta = json_loads(msg_field(m, ROW_JOB_META), 0, NULL);
	json_object_set_new(o, "meta", meta ? meta : json_object());
	return o;
}
