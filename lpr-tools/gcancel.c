/*
 * gcancel - cancel jobs, like lprm(1) and cancel(1).
 *
 *   gcancel [-P dest] job ...     the jobs named "mk3-7" or "7"
 *   gcancel [-P dest] -           all your jobs (lprm -)
 *   gcancel [-P dest] -a          all jobs you may cancel (cancel -a)
 *   gcancel [-P dest] -u user     all of a user's jobs (cancel -u)
 *
 * Only a job's owner and the administrators may cancel it; spoold
 * decides, by the caller's credentials.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "remote.h"
#include "util.h"

/* A JSON string of s, as jansson writes it. */
static const char *
quoted(const char *s, char *out, size_t outsz)
{
	json_t *v = json_string(s);
	char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	snprintf(out, outsz, "%s", t ? t : "\"\"");
	free(t);
	json_decref(v);
	return out;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gcancel [-h] [--json] [-c config] [-P dest] job"
	    " ... | -\n"
	    "       gcancel [--json] [-c config] [-P dest] -a | -u user\n"
	    "       gcancel -H host[:port] [--json] job ... | -\n");
	exit(EXIT_USAGE);
}

/* gcancel -H: remove jobs/ID in the remote gsftpd's tree; "-": each of
 * the account's jobs not yet ended. */
static int
remote_cancel(const char *spec, int argc, char *argv[], int json)
{
	struct remote *r;
	json_t *q = NULL, *j, *ids = json_array();
	char path[64], why[512], qb[1200];
	size_t i;
	int failed = 0, k, n = 0;

	if ((r = remote_open(spec)) == NULL) {
		json_decref(ids);
		return EXIT_CONNECT;
	}
	if (argc == 1 && strcmp(argv[0], "-") == 0) {
		if ((q = remote_json(r, "queue.json")) == NULL) {
			remote_close(r);
			json_decref(ids);
			return EXIT_CONNECT;
		}
		json_array_foreach(json_object_get(q, "jobs"), i, j)
			if (json_is_true(json_object_get(j, "own")))
				json_array_append(ids, json_object_get(j, "id"));
	} else
		for (k = 0; k < argc; k++)
			json_array_append_new(ids, json_integer(
			    client_job_id(argv[k])));
	json_array_foreach(ids, i, j) {
		long id = (long)json_integer_value(j);

		snprintf(path, sizeof(path), "jobs/%ld", id);
		if (remote_rmdir(r, path, why, sizeof(why)) < 0) {
			if (json)
				printf("{\"job\":%ld,\"canceled\":false,"
				    "\"error\":%s}\n", id, quoted(why, qb,
				    sizeof(qb)));
			else
				log_warnx("%ld: %s", id, why);
			failed = 1;
			continue;
		}
		if (json)
			printf("{\"job\":%ld,\"canceled\":true}\n", id);
		n++;
	}
	if (q != NULL && !json)
		printf("%d job(s) canceled\n", n);
	json_decref(q);
	json_decref(ids);
	remote_close(r);
	return failed;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	struct msg m;
	const char *cfile = NULL, *dest = "", *user = NULL, *remote = NULL;
	char ids[32], me[64], q[1200];
	int ch, sock, i, failed = 0, all = 0, json = 0;
	long id;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gcancel", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "ac:H:hP:u:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'J':
			json = 1;
			break;
		case 'H':
			remote = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'P':
			dest = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (remote != NULL) {
		if (all || user != NULL || dest[0] != '\0' || argc == 0)
			usage();
		if (!(argc == 1 && strcmp(argv[0], "-") == 0))
			client_check_jobs(argc, argv);
		return remote_cancel(remote, argc, argv, json);
	}
	if (argc == 1 && strcmp(argv[0], "-") == 0 && !all && user == NULL) {
		/* lprm -: all of one's own jobs. */
		struct passwd *pw = getpwuid(getuid());

		if (pw == NULL) {
			log_warnx("who are you? (uid %ld has no name)",
			    (long)getuid());
			return EXIT_USAGE;
		}
		snprintf(me, sizeof(me), "%s", pw->pw_name);
		user = me;
		argc = 0;
	}
	if ((all || user != NULL) == (argc != 0))
		usage();
	if (user != NULL && (user[0] == '\0' || strlen(user) >= 64)) {
		log_warnx("-u: '%s' is not a user name", user);
		return EXIT_USAGE;
	}
	if (dest[0] != '\0' && !name_is_safe(dest, CONF_NAME_MAX)) {
		log_warnx("-P: '%s' is not a printer or class name", dest);
		return EXIT_USAGE;
	}
	client_check_jobs(argc, argv);
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	m.fd = -1;
	if (argc == 0) {
		if (msg_send(sock, -1, proto_name(PROTO_REQUEST,
		    REQ_CANCEL_JOBS), dest, user ? user : "",
		    (char *)NULL) < 0 || msg_recv(sock, &m) <= 0) {
			log_warn("lost the connection to spoold");
			failed = EXIT_CONNECT;
		} else if (proto_lookup(PROTO_REPLY, msg_field(&m, 0)) !=
		    REPLY_OK) {
			if (json)
				printf("{\"canceled\":0,\"error\":%s}\n",
				    quoted(msg_field(&m, 1), q, sizeof(q)));
			else
				log_warnx("%s", msg_field(&m, 1));
			failed = 1;
		} else if (json)
			printf("{\"canceled\":%ld}\n", atol(msg_field(&m, 1)));
		else
			printf("%s job(s) canceled\n", msg_field(&m, 1));
		if (m.fd >= 0)
			close(m.fd);
	}
	for (i = 0; i < argc; i++) {
		id = client_job_id(argv[i]);
		snprintf(ids, sizeof(ids), "%ld", id);
		if (msg_send(sock, -1, proto_name(PROTO_REQUEST,
		    REQ_CANCEL), ids, (char *)NULL) < 0 ||
		    msg_recv(sock, &m) <= 0) {
			log_warn("lost the connection to spoold");
			failed = EXIT_CONNECT;
			break;
		}
		if (m.fd >= 0)
			close(m.fd);
		if (proto_lookup(PROTO_REPLY, msg_field(&m, 0)) != REPLY_OK) {
			if (json)
				printf("{\"job\":%ld,\"canceled\":false,"
				    "\"error\":%s}\n", id, quoted(msg_field(&m,
				    1), q, sizeof(q)));
			else
				log_warnx("%s: %s", argv[i], msg_field(&m, 1));
			failed = 1;
		} else if (json)
			printf("{\"job\":%ld,\"canceled\":true}\n", id);
	}
	close(sock);
	conf_free(&conf);
	return failed;
}
