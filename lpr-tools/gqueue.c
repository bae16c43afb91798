/*
 * gqueue - show the queue, like lpq(1); or wait for jobs to end.
 *
 * The layout is lpq's (CUPS flavour): a status line per printer, then
 * "Rank Owner Job File(s) Total Size" rows, or "no entries".  gqueue(1)
 * documents it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "log.h"
#include "msg.h"
#include "remote.h"
#include "usage.h"
#include "util.h"

static const char help[] =
"usage: gqueue [-ahl] [--history] [--json] [-c config] [-P dest] [job ...]\n"
"       gqueue -H host[:port] [-al] [--json] [-P dest] [job ...]\n"
"       gqueue [-c config] -w job ...\n"
"       gqueue --version\n"
"  -a                   every printer and class (and, for an administrator,\n"
"                       everyone's refused files)\n"
"  --history            the ended jobs too\n"
"  -H [user@]host[:port]  the queue of a remote gsftpd\n"
"  --json               the queue as one JSON object\n"
"  -c config            read this configuration file\n"
"  -h, --help           print this help and exit\n"
"  -l                   the long form: a job's every detail\n"
"  -P dest              this printer or class only\n"
"  -w job ...           wait until each job has ended\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(EXIT_USAGE, NULL);
}

/* gqueue -H: the remote gsftpd's queue.json, shown as here: every
 * destination, or DEST's only. */
static int
remote_queue(const char *spec, const char *dest, int longform, int json,
    int local_only, int njobs, char *jobs[])
{
	struct remote *r;
	json_t *q;
	char *text;
	int rc = 0;

	if (local_only)
		usage_error(EXIT_USAGE, "-H: --history and -w work on the"
		    " spooler's own host only");
	if ((r = remote_open(spec)) == NULL)
		return EXIT_CONNECT;
	q = remote_json(r, "queue.json");
	remote_close(r);
	if (q == NULL)
		return EXIT_CONNECT;
	if (dest != NULL && njobs == 0 && client_queue_dest(q, dest) < 0) {
		log_warnx("%s: unknown printer or class on %s", dest, spec);
		rc = 1;
		goto out;
	}
	client_queue_only(q, njobs, jobs);
	if (json) {
		text = json_dumps(q, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
	} else
		client_queue_text(stdout, q, longform ? CLIENT_TEXT_LONG : 0, 0,
		    NULL);
out:
	json_decref(q);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	const char *printer = NULL, *cfile = NULL, *remote = NULL;
	char state[32], reason[512];
	int ch, sock, all = 0, wait = 0, failed = 0, r, i, longform = 0;
	int history = 0, json = 0;
	json_t *out = NULL;
	static const struct option longopts[] = {
		{ "history", no_argument, NULL, 'Y' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gqueue", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "ac:H:hlP:w", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'H':
			remote = optarg;
			break;
		case 'Y':
			history = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'l':
			longform = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'P':
			printer = optarg;
			break;
		case 'w':
			wait = 1;
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
	if (wait && argc == 0)
		usage_error(EXIT_USAGE, "-w needs jobs");
	if (wait && (json || history || longform || all))
		usage_error(EXIT_USAGE, "-w goes with jobs only (no -a, -l,"
		    " --history or --json)");
	client_check_jobs(argc, argv);
	if (remote != NULL)
		return remote_queue(remote, all ? NULL : printer, longform,
		    json, history || wait, argc, argv);
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	if (wait) {
		for (i = 0; i < argc; i++) {
			r = client_wait_job(sock, client_job_id(argv[i]),
			    state, sizeof(state), reason, sizeof(reason));
			if (r == -2) {	/* no such job */
				failed = 1;
				continue;
			}
			if (r < 0) {
				failed = EXIT_CONNECT;
				break;
			}
			printf("%s: %s%s%s\n", argv[i], state,
			    reason[0] ? ": " : "", reason);
			if (r == 0)
				failed = 1;
		}
		goto done;
	}
	/* -a, or job numbers: every destination, as lpq -a. */
	out = client_queue(sock, all || argc > 0 ? "" : client_dest(printer,
	    &conf), (history ? CLIENT_QUEUE_HISTORY : 0) |
	    (all ? CLIENT_QUEUE_EVERYONE : 0), reason, sizeof(reason));
	if (out == NULL && reason[0] == '\0')
		goto lost;
	if (out == NULL) {
		log_warnx("%s", reason);
		failed = 1;
		goto done;
	}
	client_queue_only(out, argc, argv);
	if (json) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", text);
		free(text);
	} else
		client_queue_text(stdout, out, (longform ? CLIENT_TEXT_LONG :
		    0) | (all ? CLIENT_TEXT_EVERYONE : 0), history,
		    conf.spool_dir);
	goto done;
lost:
	log_warnx("lost the connection to spoold");
	failed = EXIT_CONNECT;
done:
	json_decref(out);
	close(sock);
	conf_free(&conf);
	return failed;
}
