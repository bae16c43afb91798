/*
 * client.c - connect a command to spoold.
 *
 * The configuration is read only for what a command needs, as CUPS's
 * commands never read cupsd.conf: the socket's path, the default
 * destination and the names of the printers and classes
 * (conf_load_client()).  A mistake elsewhere in the file is spoold's to
 * report, and does not lock users out while spoold runs; one in what is
 * read is printed with its line, so a user sees why a command cannot
 * work.
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
#include "log.h"
#include "msg.h"
#include "util.h"

void
client_report(const char *msg, void *arg)
{
	(void)arg;
	log_warnx("%s", msg);
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
	if (strcmp(msg_field(&m, 0), "error") == 0) {
		log_warnx("%s", msg_field(&m, 1));
		return -1;
	}
	snprintf(state, statesz, "%s", msg_field(&m, 2));
	snprintf(reason, reasonsz, "%s", msg_field(&m, 3));
	return strcmp(state, "completed") == 0;
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

json_t *
client_printer_json(const struct msg *m)
{
	json_t *o = json_object();
	long long done = atoll(msg_field(m, 9)), size = atoll(msg_field(m, 10));

	json_object_set_new(o, "name", json_string(msg_field(m, 1)));
	json_object_set_new(o, "state", json_string(msg_field(m, 2)));
	json_object_set_new(o, "message", json_string(msg_field(m, 3)));
	json_object_set_new(o, "job", num(msg_field(m, 4)));
	json_object_set_new(o, "activity", json_string(msg_field(m, 6)));
	json_object_set_new(o, "lines_done", num(msg_field(m, 5)));
	json_object_set_new(o, "layer", num(msg_field(m, 7)));
	json_object_set_new(o, "temperatures", json_string(msg_field(m, 8)));
	json_object_set_new(o, "bytes_done", json_integer(done));
	json_object_set_new(o, "job_size", json_integer(size));
	json_object_set_new(o, "progress", json_real(size > 0 ?
	    (double)done / (double)size : 0));
	json_object_set_new(o, "enabled", json_boolean(strcmp(msg_field(m,
	    11), "0") != 0));
	json_object_set_new(o, "accepting", json_boolean(strcmp(msg_field(m,
	    12), "0") != 0));
	json_object_set_new(o, "disabled_reason", json_string(msg_field(m,
	    13)));
	json_object_set_new(o, "rejecting_reason", json_string(msg_field(m,
	    14)));
	json_object_set_new(o, "description", json_string(msg_field(m, 15)));
	json_object_set_new(o, "job_started", num(msg_field(m, 16)));
	json_object_set_new(o, "job_estimated_seconds", num(msg_field(m, 17)));
	return o;
}

json_t *
client_class_json(const struct msg *m)
{
	json_t *o = json_object(), *a = json_array();
	char *list = xstrdup(msg_field(m, 2)), *w, *save = NULL;

	for (w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
		json_array_append_new(a, json_string(w));
	free(list);
	json_object_set_new(o, "name", json_string(msg_field(m, 1)));
	json_object_set_new(o, "printers", a);
	json_object_set_new(o, "enabled", json_boolean(strcmp(msg_field(m,
	    3), "0") != 0));
	json_object_set_new(o, "accepting", json_boolean(strcmp(msg_field(m,
	    4), "0") != 0));
	json_object_set_new(o, "disabled_reason", json_string(msg_field(m, 5)));
	json_object_set_new(o, "rejecting_reason", json_string(msg_field(m,
	    6)));
	json_object_set_new(o, "description", json_string(msg_field(m, 7)));
	return o;
}

json_t *
client_job_json(const struct msg *m)
{
	json_t *o = json_object(), *meta;
	char name[96];
	long done = 0, total = 0;

	snprintf(name, sizeof(name), "%s-%s", msg_field(m, 4), msg_field(m,
	    3));
	sscanf(msg_field(m, 8), "%ld/%ld", &done, &total);
	json_object_set_new(o, "id", num(msg_field(m, 3)));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "rank", json_string(msg_field(m, 1)));
	json_object_set_new(o, "owner", json_string(msg_field(m, 2)));
	json_object_set_new(o, "destination", json_string(msg_field(m, 4)));
	json_object_set_new(o, "printer", json_string(msg_field(m, 15)));
	json_object_set_new(o, "title", json_string(msg_field(m, 5)));
	json_object_set_new(o, "size", num(msg_field(m, 6)));
	json_object_set_new(o, "state", json_string(msg_field(m, 7)));
	json_object_set_new(o, "reason", json_string(msg_field(m, 9)));
	json_object_set_new(o, "lines_done", json_integer(done));
	json_object_set_new(o, "commands", json_integer(total));
	json_object_set_new(o, "priority", num(msg_field(m, 11)));
	json_object_set_new(o, "copies", num(msg_field(m, 12)));
	json_object_set_new(o, "copies_done", num(msg_field(m, 13)));
	json_object_set_new(o, "hold_until", num(msg_field(m, 14)));
	json_object_set_new(o, "created", num(msg_field(m, 16)));
	json_object_set_new(o, "started", num(msg_field(m, 17)));
	json_object_set_new(o, "finished", num(msg_field(m, 18)));
	json_object_set_new(o, "layer", num(msg_field(m, 19)));
	json_object_set_new(o, "own", json_boolean(strcmp(msg_field(m, 21),
	    "1") == 0));
	meta = json_loads(msg_field(m, 20), 0, NULL);
	json_object_set_new(o, "attributes", meta ? meta : json_object());
	meta = json_loads(msg_field(m, 10), 0, NULL);
	json_object_set_new(o, "meta", meta ? meta : json_object());
	return o;
}
