/*
 * gcancel - cancel jobs, like lprm(1) and cancel(1).
 *
 *   gcancel [-P dest] job ...     the jobs named "mk3-7" or "7"
 *   gcancel [-P dest] -           all your jobs (lprm -)
 *   gcancel [-P dest] -a          all jobs you may cancel (cancel -a)
 *   gcancel [-P dest] -u user     all of a user's jobs (cancel -u)
 *   gcancel --rejected [-u user] [file ...]
 *                                 one's refused files (all, or those
 *                                 named), or a user's (an administrator)
 *
 * Only a job's owner and the administrators may cancel it; spoold
 * decides, by the caller's credentials.  gcancel reads the queue first,
 * so that it can name each job it cancels as lprm does, refuse a
 * "PRINTER-N" whose job is on another printer, and ask before it
 * cancels a print in progress when its standard input is a terminal
 * (-f does not ask; without a terminal there is no one to ask, and it
 * cancels as told).  Each job is then canceled by its number, one
 * request a job: with -a, a job that is not one's own and that spoold
 * will not let the caller cancel is passed over in silence, as cancel
 * -a passes over other users' jobs.  --rejected removes refused files
 * the same way: the queue names them (spoold sends the caller's own, or
 * an administrator the user's), and each goes by its name, one
 * remove-rejected request a file; spoold checks the name and whose it
 * is.
 *
 * Security: the queue gcancel reads to name the jobs is spoold's, or
 * with -H another host's, which may be anyone's: the names and titles
 * it prints are cleaned of control bytes, and a job is canceled by the
 * number spoold gave, never by a name the queue sent.
 *
 * Diagnostics: each job canceled is named on standard output; each
 * refusal on standard error with the job it is about; exit status as
 * gcancel(1) says.
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
#include "jobstate.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "remote.h"
#include "usage.h"
#include "util.h"

static const char help[] =
"usage: gcancel [-fh] [--json] [-c config] [-P dest] job ... | -\n"
"       gcancel [-f] [--json] [-c config] [-P dest] -a | -u user\n"
"       gcancel -H host[:port] [--json] job ... | -\n"
"       gcancel [--json] [-c config] --rejected [-u user] [file ...]\n"
"       gcancel --version\n"
"  -                    all your own jobs that have not ended\n"
"  -a                   every job you may cancel\n"
"  -f                   do not ask before cancelling a print in progress\n"
"  -H [user@]host[:port]  cancel jobs on a remote gsftpd\n"
"  --json               one JSON object a job\n"
"  --rejected           remove your refused files: all, or those named\n"
"  -P dest              with -a, -u or -: this printer or class only\n"
"  -u user              every job of this user that has not ended; with\n"
"                       --rejected, this user's refused files\n"
"  -c config            read this configuration file\n"
"  -h, --help           print this help and exit\n"
"  --version            print the version and exit\n";

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
	usage_error(EXIT_USAGE, NULL);
}

static const char *
jstr(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

/* What names a canceled job: "mk3-12 (cube.gcode)", as far as its
 * title may be shown, and the printer it was on if its name does not
 * say it ("farm-12 on mk4 (cube.gcode)"). */
static void
say_canceled(const json_t *j, const char *name)
{
	const char *t = j ? jstr(j, "title") : "";
	const char *on = j ? jstr(j, "printer") : "";
	size_t n = strlen(on);

	printf("canceled %s", name);
	if (on[0] != '\0' && !(strncmp(name, on, n) == 0 && name[n] == '-'))
		printf(" on %s", on);
	if (t[0] != '\0' && strcmp(t, "(hidden)") != 0)
		printf(" (%s)", t);
	printf("\n");
}

/* A print in progress, on a terminal and without -f: ask.  1 to go on. */
static int
confirm(const json_t *j, int force)
{
	char line[64];

	if (force || strcmp(jstr(j, "state"),
	    job_state_name(JOB_PROCESSING)) != 0 || !isatty(STDIN_FILENO))
		return 1;
	fprintf(stderr, "gcancel: %s (%s) is printing on %s; cancel it?"
	    " [y/N] ", jstr(j, "name"), jstr(j, "title"), jstr(j, "printer"));
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
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
	/* The queue for "-", and to check the prefix of a job's name. */
	for (k = 0; k < argc; k++)
		if (strchr(argv[k], '-') != NULL)
			break;
	if (k < argc && (q = remote_json(r, "queue.json")) == NULL) {
		remote_close(r);
		json_decref(ids);
		return EXIT_CONNECT;
	}
	if (argc == 1 && strcmp(argv[0], "-") == 0) {
		json_array_foreach(json_object_get(q, "jobs"), i, j)
			if (json_is_true(json_object_get(j, "own")))
				json_array_append(ids, json_object_get(j, "id"));
	} else
		for (k = 0; k < argc; k++) {
			j = client_queue_find(q, client_job_id(argv[k]));
			if (j != NULL && client_job_match(argv[k], j) < 0) {
				failed = 1;
				continue;
			}
			json_array_append_new(ids, json_integer(
			    client_job_id(argv[k])));
		}
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
		else if (q != NULL && (j = client_queue_find(q, id)) != NULL)
			say_canceled(j, jstr(j, "name"));
		else
			printf("canceled %ld\n", id);
		n++;
	}
	if (q != NULL && !json && n == 0)
		printf("no jobs to cancel\n");
	json_decref(q);
	json_decref(ids);
	remote_close(r);
	return failed;
}

/* Cancel job id (named arg); 0, 1 if spoold refused, EXIT_CONNECT.
 * json: 1 a JSON object a job, 0 a line, -1 nothing but a refusal on
 * stderr.  quiet: a refusal is not reported. */
static int
cancel_one(int sock, long id, const char *arg, const json_t *j, int json,
    int quiet)
{
	struct msg m;
	char ids[32], q[1200];

	snprintf(ids, sizeof(ids), "%ld", id);
	m.fd = -1;
	if (msg_send(sock, -1, proto_name(PROTO_REQUEST, REQ_CANCEL), ids,
	    (char *)NULL) < 0 || msg_recv(sock, &m) <= 0) {
		log_warn("lost the connection to spoold");
		return EXIT_CONNECT;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (proto_lookup(PROTO_REPLY, msg_field(&m, 0)) != REPLY_OK) {
		if (quiet)
			return 1;
		if (json > 0)
			printf("{\"job\":%ld,\"canceled\":false,"
			    "\"error\":%s}\n", id, quoted(msg_field(&m,
			    REPLY_ERROR_MESSAGE), q, sizeof(q)));
		else
			log_warnx("%s: %s", arg, msg_field(&m,
			    REPLY_ERROR_MESSAGE));
		return 1;
	}
	if (json > 0)
		printf("{\"job\":%ld,\"canceled\":true}\n", id);
	else if (json == 0)
		say_canceled(j, j ? jstr(j, "name") : arg);
	return 0;
}

/* Remove the refused file FILE of OWNER ("" the caller's): 0, 1 if
 * spoold refused, EXIT_CONNECT. */
static int
remove_one(int sock, const char *file, const char *owner, json_t *done)
{
	struct msg m;
	const char *name;

	m.fd = -1;
	if (msg_send(sock, -1, proto_name(PROTO_REQUEST, REQ_REMOVE_REJECTED),
	    file, owner, (char *)NULL) < 0 || msg_recv(sock, &m) <= 0) {
		log_warn("lost the connection to spoold");
		return EXIT_CONNECT;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (proto_lookup(PROTO_REPLY, msg_field(&m, 0)) != REPLY_OK) {
		log_warnx("%s", msg_field(&m, REPLY_ERROR_MESSAGE));
		return 1;
	}
	name = msg_field(&m, 2);
	if (done != NULL)
		json_array_append_new(done, json_string(msg_field(&m, 1)));
	else if (name[0] != '\0' && strcmp(name, msg_field(&m, 1)) != 0)
		printf("removed refused file %s (sent as %s)\n",
		    msg_field(&m, 1), name);
	else
		printf("removed refused file %s\n", msg_field(&m, 1));
	return 0;
}

/* gcancel --rejected: the files named, or every one kept of the
 * caller's (or of user's). */
static int
remove_rejected(const char *cfile, const char *user, int argc,
    char *argv[], int json)
{
	struct conf conf;
	json_t *q = NULL, *v, *done = json ? json_array() : NULL;
	char why[512];
	size_t k;
	int sock, i, r, failed = 0, n = 0;

	if ((sock = client_connect(cfile, &conf)) < 0) {
		json_decref(done);
		return EXIT_CONNECT;
	}
	if (argc == 0) {
		q = client_queue(sock, "", user ? CLIENT_QUEUE_EVERYONE : 0,
		    why, sizeof(why));
		if (q == NULL) {
			if (why[0] == '\0') {
				log_warnx("lost the connection to spoold");
				failed = EXIT_CONNECT;
			} else {
				log_warnx("%s", why);
				failed = 1;
			}
			goto done;
		}
		json_array_foreach(json_object_get(q, "rejected"), k, v) {
			if (!json_is_true(json_object_get(v, "kept")) ||
			    (user != NULL && strcmp(jstr(v, "owner"),
			    user) != 0))
				continue;
			r = remove_one(sock, jstr(v, "file")[0] ? jstr(v,
			    "file") : jstr(v, "name"), user ? user : "", done);
			if (r == EXIT_CONNECT) {
				failed = r;
				goto done;
			}
			if (r == 0)
				n++;
			else
				failed = 1;
		}
	}
	for (i = 0; i < argc; i++) {
		r = remove_one(sock, argv[i], user ? user : "", done);
		if (r == EXIT_CONNECT) {
			failed = r;
			goto done;
		}
		if (r == 0)
			n++;
		else
			failed = 1;
	}
	if (json) {
		char *t = json_dumps(done, 0);

		printf("{\"removed\":%d,\"files\":%s}\n", n, t ? t : "[]");
		free(t);
	} else if (argc == 0 && n == 0 && failed == 0)
		printf("no refused files to remove\n");
done:
	json_decref(done);
	json_decref(q);
	close(sock);
	conf_free(&conf);
	return failed;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	const char *cfile = NULL, *dest = "", *user = NULL, *remote = NULL;
	char me[64], why[512], qb[1200];
	int ch, sock, i, failed = 0, all = 0, json = 0, force = 0, r, n = 0;
	int batch, rejected = 0;
	long id;
	size_t k;
	json_t *q, *j, *names;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "rejected", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gcancel", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "ac:fH:hP:u:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'J':
			json = 1;
			break;
		case 'R':
			rejected = 1;
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
		case 'f':
			force = 1;
			break;
		case 'P':
			dest = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (rejected) {
		if (remote != NULL || all || force || dest[0] != '\0')
			usage_error(EXIT_USAGE, "--rejected takes refused"
			    " files' names and -u, no -a, -f, -H or -P");
		if (user != NULL && !name_is_safe(user, 63))
			usage_error(EXIT_USAGE, "-u: '%s' is not a user name",
			    user);
		return remove_rejected(cfile, user, argc, argv, json);
	}
	if (remote != NULL) {
		if (all || user != NULL || dest[0] != '\0')
			usage_error(EXIT_USAGE, "-H takes jobs or -, no -a, -u"
			    " or -P");
		if (argc == 0)
			usage_error(EXIT_USAGE, "-H: which jobs?");
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
	batch = all || user != NULL;
	if (batch && argc != 0)
		usage_error(EXIT_USAGE, "jobs, or one of -a, -u and -, not"
		    " both");
	if (!batch && argc == 0)
		usage_error(EXIT_USAGE, "which jobs? (a job, -, -a or -u"
		    " user)");
	if (user != NULL && (user[0] == '\0' || strlen(user) >= 64))
		usage_error(EXIT_USAGE, "-u: '%s' is not a user name", user);
	if (dest[0] != '\0' && !name_is_safe(dest, CONF_NAME_MAX))
		usage_error(EXIT_USAGE, "-P: '%s' is not a printer or class"
		    " name", dest);
	client_check_jobs(argc, argv);
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	/* The queue: every job's name, title, state and printer. */
	if ((q = client_queue(sock, batch ? dest : "", 0, why,
	    sizeof(why))) == NULL) {
		if (why[0] == '\0') {
			log_warnx("lost the connection to spoold");
			failed = EXIT_CONNECT;
		} else {
			if (json)
				printf("{\"canceled\":0,\"error\":%s}\n",
				    quoted(why, qb, sizeof(qb)));
			else
				log_warnx("%s", why);
			failed = 1;
		}
		goto done;
	}
	names = json_array();
	if (batch) {
		json_array_foreach(json_object_get(q, "jobs"), k, j) {
			int own = json_is_true(json_object_get(j, "own"));

			if (job_state_word_final(jstr(j, "state")) ||
			    (!all && strcmp(jstr(j, "owner"), user) != 0))
				continue;
			if (!confirm(j, force)) {
				if (!json)
					printf("%s not canceled\n",
					    jstr(j, "name"));
				failed = 1;
				continue;
			}
			/* -a: what spoold does not let us cancel is
			 * another's, and not asked for. */
			r = cancel_one(sock, json_integer_value(
			    json_object_get(j, "id")), jstr(j, "name"), j, -json,
			    all && !own);
			if (r == EXIT_CONNECT) {
				failed = r;
				break;
			}
			if (r == 0) {
				json_array_append_new(names,
				    json_string(jstr(j, "name")));
				n++;
			} else if (!(all && !own))
				failed = 1;
		}
		if (json) {
			char *t = json_dumps(names, 0);

			printf("{\"canceled\":%d,\"jobs\":%s}\n", n,
			    t ? t : "[]");
			free(t);
		} else if (failed != EXIT_CONNECT && n == 0)
			printf("no jobs to cancel\n");
	}
	for (i = 0; i < argc; i++) {
		id = client_job_id(argv[i]);
		j = client_queue_find(q, id);
		if (j != NULL && client_job_match(argv[i], j) < 0) {
			failed = 1;
			continue;
		}
		if (j != NULL && !confirm(j, force)) {
			printf("%s not canceled\n", jstr(j, "name"));
			failed = 1;
			continue;
		}
		if ((r = cancel_one(sock, id, argv[i], j, json, 0)) ==
		    EXIT_CONNECT) {
			failed = r;
			break;
		}
		if (r != 0)
			failed = 1;
	}
	json_decref(names);
	json_decref(q);
done:
	close(sock);
	conf_free(&conf);
	return failed;
}
