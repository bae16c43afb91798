/*
 * client.c - connect a command to spoold.
 *
 * The configuration is read only for the socket's path; its errors are
 * printed so a user sees why a command cannot work.
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

	if (conf_load(c, conf_path(opt), client_report, NULL) != 0)
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
	const char *env;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((env = getenv("GSPOOL_PRINTER")) != NULL && *env != '\0')
		return env;
	if ((env = getenv("PRINTER")) != NULL && *env != '\0')
		return env;
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
