/*
 * gqueue - show the queue, like lpq(1); or wait for jobs to end.
 *
 * The layout is lpq's (CUPS flavour): a status line per printer, then
 * "Rank Owner Job File(s) Total Size" rows, or "no entries"; -r shows
 * it again every N seconds until no job is left, as lpq +N does.  The
 * history (--history) is the caller's own unless -a, in columns made
 * from its data (queuetext.c).  -w waits for each job's end, with a
 * live line on a terminal (client.c).  With several -H hosts, every
 * host's queue in one table with a Host column, each host asked at
 * once and given up after --timeout (remote.c).  gqueue(1) documents
 * it all.
 *
 * Security: what is shown comes from spoold's socket or, with -H, from
 * another host's queue.json, which may be anyone's: the document is
 * parsed by jansson with its size bounded, every string is cleaned of
 * control bytes and terminal escapes before it is printed (queuetext.c),
 * and a field of the wrong type reads as absent, never as a crash.
 *
 * Diagnostics: each error once on standard error, with the host or the
 * job it is about (log.c cleans it too); exit status as gqueue(1) says:
 * 0, 1 for an unknown job or destination (or with -w a job that did not
 * complete), 2 for bad usage, 3 when spoold or a host cannot be
 * reached (the other hosts are shown all the same).
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
#include "proto.h"
#include "remote.h"
#include "usage.h"
#include "util.h"

static const char help[] =
"usage: gqueue [-ahl] [--history] [--json] [-c config] [-P dest] [-r seconds]\n"
"              [job ...]\n"
"       gqueue -H host[:port] [-al] [--json] [-P dest] [-r seconds] [job ...]\n"
"       gqueue -H host[,host...] [-H host ...] [-al] [--json] [-P dest]\n"
"              [-r seconds] [--timeout seconds]\n"
"       gqueue --all [-al] [--json] [-c config] [-H host ...] [-P dest]\n"
"              [-r seconds] [--timeout seconds]\n"
"       gqueue --history --summary [-a] [--by user|printer|month] [--csv]\n"
"              [--json] [-c config] [-P dest] [--since date] [-u user]\n"
"       gqueue [-c config] -w job ...\n"
"       gqueue --version\n"
"  --all                every [remote NAME] host of the configuration\n"
"                       (and the -H hosts), in one table\n"
"  -a                   every printer and class (and, for an administrator,\n"
"                       everyone's refused files); with --history,\n"
"                       everyone's jobs\n"
"  --by user|printer|month  with --summary, a row for each\n"
"  --csv                with --summary, the totals as CSV\n"
"  --history            the ended jobs: your own, the latest first\n"
"  -H [user@]host[:port]  the queue of a remote gsftpd; several (-H again,\n"
"                       or a comma list): every host's in one table\n"
"  --json               the queue as one JSON object\n"
"  -c config            read this configuration file\n"
"  -h, --help           print this help and exit\n"
"  -l                   the long form: a job's every detail\n"
"  -P dest              this printer or class only\n"
"  -r seconds           show it again every seconds until no job is left\n"
"  --since date         with --summary, the jobs ended since then\n"
"                       (YYYY-MM-DD or YYYY-MM, local time)\n"
"  --summary            with --history, the totals of the accounting\n"
"  -u user              with --summary, that user's (or account's)\n"
"  --timeout seconds    with several hosts, wait this long for each (5)\n"
"  -w job ...           wait until each job has ended\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(EXIT_USAGE, NULL);
}

/* What one showing of the queue is asked. */
#define HOSTS_MAX	64
struct show {
	const char	*remote;	/* -H, or NULL */
	char		*hosts[HOSTS_MAX];	/* several -H */
	char		*names[HOSTS_MAX];	/* as shown: no user@ */
	size_t		 nhosts;
	long		 timeout;	/* seconds, for several */
	int		 all_hosts;	/* --all: one table, even of one */
	const char	*dest;		/* "" for every destination */
	int		 how;		/* CLIENT_QUEUE_* */
	int		 text;		/* CLIENT_TEXT_* */
	int		 history, json, own;
	int		 njobs;
	char		**jobs;
	const char	*spool_dir;
};

/* gqueue -H: the remote gsftpd's queue.json, as here: every
 * destination, or DEST's only.  NULL if it cannot be had (printed);
 * *rc 1 if DEST is unknown there. */
static json_t *
remote_queue(const struct show *sh, int *rc)
{
	struct remote *r;
	json_t *q;

	if ((r = remote_open(sh->remote)) == NULL)
		return NULL;
	q = remote_json(r, "queue.json");
	remote_close(r);
	if (q == NULL)
		return NULL;
	if (sh->dest[0] != '\0' && sh->njobs == 0 &&
	    client_queue_dest(q, sh->dest) < 0) {
		log_warnx("%s: unknown printer or class on %s", sh->dest,
		    sh->remote);
		*rc = 1;
	}
	return q;
}

/* gqueue -H a -H b: every host's queue in one table, each host asked
 * within sh->timeout.  0, 1 if DEST is known on none of the hosts that
 * answered, EXIT_CONNECT if a host did not answer (the others are
 * shown); *jobs counts the jobs shown. */
static int
show_hosts(const struct show *sh, size_t *jobs)
{
	json_t *hs, *h, *q, *out;
	int failed, known = 0, answered = 0, rc = 0;
	size_t i;

	hs = remote_queues(sh->hosts, sh->names, sh->nhosts, sh->timeout,
	    &failed);
	json_array_foreach(hs, i, h) {
		if ((q = json_object_get(h, "queue")) == NULL)
			continue;
		answered++;
		if (sh->dest[0] == '\0' || client_queue_dest(q, sh->dest) == 0)
			known++;
		else
			json_object_set_new(q, "jobs", json_array());
		*jobs += json_array_size(json_object_get(q, "jobs"));
	}
	if (sh->dest[0] != '\0' && answered > 0 && known == 0) {
		log_warnx("%s: unknown printer or class on every host",
		    sh->dest);
		rc = 1;
	}
	if (sh->json) {
		char *text;

		out = json_pack("{sO}", "hosts", hs);
		text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS |
		    JSON_REAL_PRECISION(6));
		printf("%s\n", text);
		free(text);
		json_decref(out);
	} else
		client_hosts_text(stdout, hs, sh->text);
	fflush(stdout);
	json_decref(hs);
	return failed ? EXIT_CONNECT : rc;
}

static void
add_host(struct show *sh, const char *spec, const char *name)
{
	if (sh->nhosts == HOSTS_MAX)
		usage_error(EXIT_USAGE, "-H: at most %d hosts", HOSTS_MAX);
	sh->hosts[sh->nhosts] = xstrdup(spec);
	sh->names[sh->nhosts++] = xstrdup(name);
}

/* A -H argument: one host, or a comma list of them. */
static void
add_hosts(struct show *sh, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL, *tok, *at;
	size_t before = sh->nhosts;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*tok == '\0')
			continue;
		at = strrchr(tok, '@');
		add_host(sh, tok, at ? at + 1 : tok);
	}
	free(copy);
	if (sh->nhosts == before)
		usage_error(EXIT_USAGE, "-H '%s': no host", arg);
}

/* --all: every [remote NAME] of the configuration, shown as NAME.
 * 0, or EXIT_CONNECT if the configuration cannot be read (printed). */
static int
add_remotes(struct show *sh, const char *cfile)
{
	struct conf conf;
	size_t i;
	int rc = 0;

	memset(&conf, 0, sizeof(conf));
	if (conf_load_client(&conf, conf_path(cfile), client_report, NULL) !=
	    0) {
		conf_free(&conf);
		return EXIT_CONNECT;
	}
	for (i = 0; i < conf.nremotes; i++) {
		if (conf.remotes[i].host == NULL) {
			log_warnx("%s:%u: [remote %s] has no host", conf.file,
			    conf.remotes[i].line, conf.remotes[i].name);
			rc = EXIT_CONNECT;
			continue;
		}
		add_host(sh, conf.remotes[i].host, conf.remotes[i].name);
	}
	if (rc == 0 && conf.nremotes == 0) {
		log_warnx("--all: %s has no [remote NAME] section", conf.file);
		rc = EXIT_CONNECT;
	}
	conf_free(&conf);
	return rc;
}

/* --since: YYYY-MM-DD or YYYY-MM, local midnight; -1 if neither. */
static long long
parse_since(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		tm.tm_mday = 1;
		if ((end = strptime(s, "%Y-%m", &tm)) == NULL || *end != '\0')
			return -1;
	}
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

/* A text cell of CSV: quoted where it must be. */
static void
csv_cell(const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* --summary: the totals of the accounting, as text, CSV or JSON.  0,
 * 1 (spoold refused) or EXIT_CONNECT. */
static int
show_summary(int sock, const char *dest, const char *by, const char *user,
    const char *since, int everyone, int format)
{
	const char *name = by[0] ? by : "total";
	char hdr[16];
	json_t *rows = json_array(), *r, *out;
	struct msg m;
	size_t i, w = strlen(name);

	if (msg_send(sock, -1, "queue", dest, "history", everyone ? "everyone" :
	    "", by[0] ? by : "total", user, since, (char *)NULL) < 0) {
		log_warnx("lost the connection to spoold");
		json_decref(rows);
		return EXIT_CONNECT;
	}
	for (;;) {
		if (msg_recv(sock, &m) <= 0) {
			log_warnx("lost the connection to spoold");
			json_decref(rows);
			return EXIT_CONNECT;
		}
		if (m.fd >= 0)
			close(m.fd);
		if (strcmp(msg_field(&m, 0), "end") == 0)
			break;
		if (strcmp(msg_field(&m, 0), "error") == 0) {
			log_warnx("%s", msg_field(&m, REPLY_ERROR_MESSAGE));
			json_decref(rows);
			return 1;
		}
		if (strcmp(msg_field(&m, 0), "total") != 0)
			continue;
		r = json_pack("{sssIsIsIsfsfsf}", name, by[0] ?
		    msg_field(&m, ROW_TOTAL_KEY) : "all", "jobs",
		    (json_int_t)atoll(msg_field(&m, ROW_TOTAL_JOBS)),
		    "completed",
		    (json_int_t)atoll(msg_field(&m, ROW_TOTAL_COMPLETED)),
		    "seconds",
		    (json_int_t)atoll(msg_field(&m, ROW_TOTAL_SECONDS)),
		    "mm", atof(msg_field(&m, ROW_TOTAL_MM)),
		    "g", atof(msg_field(&m, ROW_TOTAL_G)),
		    "cost", atof(msg_field(&m, ROW_TOTAL_COST)));
		if (r != NULL)
			json_array_append_new(rows, r);
	}
	if (format == 'J') {
		char *text;

		out = json_pack("{sssoso}", "by", name, "since", since[0] ?
		    json_integer(atoll(since)) : json_null(), "totals", rows);
		text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    JSON_REAL_PRECISION(12));
		printf("%s\n", text);
		free(text);
		json_decref(out);
		return 0;
	}
	if (format == 'C') {
		printf("%s,jobs,completed,seconds,mm,g,cost\n", name);
		json_array_foreach(rows, i, r) {
			csv_cell(json_string_value(json_object_get(r, name)));
			printf(",%lld,%lld,%lld,%.2f,%.2f,%.2f\n",
			    (long long)json_integer_value(json_object_get(r,
			    "jobs")), (long long)json_integer_value(
			    json_object_get(r, "completed")),
			    (long long)json_integer_value(json_object_get(r,
			    "seconds")), json_real_value(json_object_get(r,
			    "mm")), json_real_value(json_object_get(r, "g")),
			    json_real_value(json_object_get(r, "cost")));
		}
		json_decref(rows);
		return 0;
	}
	json_array_foreach(rows, i, r) {
		size_t n = strlen(json_string_value(json_object_get(r, name)));

		if (n > w)
			w = n;
	}
	snprintf(hdr, sizeof(hdr), "%s", name);
	hdr[0] = (char)(hdr[0] - 'a' + 'A');
	printf("%-*s %6s %9s %8s %10s %10s %10s\n", (int)w, hdr, "Jobs",
	    "Completed", "Hours", "Metres", "Grams", "Cost");
	json_array_foreach(rows, i, r) {
		char cell[256];

		/* From spoold, which cleaned nothing of a name's: shown
		 * as text only. */
		clean_text(cell, sizeof(cell),
		    json_string_value(json_object_get(r, name)));
		printf("%-*s %6lld %9lld %8.2f %10.2f %10.2f %10.2f\n",
		    (int)w, cell, (long long)json_integer_value(
		    json_object_get(r, "jobs")), (long long)json_integer_value(
		    json_object_get(r, "completed")), (double)
		    json_integer_value(json_object_get(r, "seconds")) / 3600,
		    json_real_value(json_object_get(r, "mm")) / 1000,
		    json_real_value(json_object_get(r, "g")),
		    json_real_value(json_object_get(r, "cost")));
	}
	json_decref(rows);
	return 0;
}

/* Show the queue once: 0, 1 (spoold refused, or a job was named by a
 * wrong prefix) or EXIT_CONNECT; *jobs says how many jobs were shown. */
static int
show_queue(int sock, const struct show *sh, size_t *jobs)
{
	char reason[512];
	json_t *out;
	int rc = 0;

	*jobs = 0;
	if (sh->nhosts > 1 || sh->all_hosts)
		return show_hosts(sh, jobs);
	if (sh->remote != NULL) {
		if ((out = remote_queue(sh, &rc)) == NULL)
			return EXIT_CONNECT;
		if (rc != 0) {
			json_decref(out);
			return rc;
		}
	} else if ((out = client_queue(sock, sh->dest, sh->how, reason,
	    sizeof(reason))) == NULL) {
		if (reason[0] == '\0') {
			log_warnx("lost the connection to spoold");
			return EXIT_CONNECT;
		}
		log_warnx("%s", reason);
		return 1;
	}
	if (client_queue_only(out, sh->njobs, sh->jobs) < 0)
		rc = 1;
	if (sh->own)
		client_queue_own(out);
	*jobs = json_array_size(json_object_get(out, "jobs"));
	if (sh->json) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS |
		    JSON_REAL_PRECISION(6));

		printf("%s\n", text);
		free(text);
	} else
		client_queue_text(stdout, out, sh->text, sh->history,
		    sh->spool_dir);
	fflush(stdout);
	json_decref(out);
	return rc;
}

/* -r: show the queue every interval seconds, as lpq +interval does,
 * until no job is left (or it cannot be had).  On a terminal each
 * showing takes the screen's place; piped, they follow one another, a
 * blank line apart. */
static int
repeat_queue(int sock, const struct show *sh, long interval)
{
	int tty = isatty(STDOUT_FILENO), rc, n = 0;
	struct timespec ts;
	size_t jobs;

	for (;;) {
		if (tty)
			printf("\033[H\033[2J");
		else if (n++ > 0)
			printf("\n");
		/* Of several hosts, one that did not answer is shown as
		 * such while the others' jobs go on. */
		if (((rc = show_queue(sock, sh, &jobs)) == EXIT_CONNECT &&
		    sh->nhosts < 2 && !sh->all_hosts) || jobs == 0)
			return rc;
		ts.tv_sec = interval;
		ts.tv_nsec = 0;
		while (nanosleep(&ts, &ts) < 0)
			;
	}
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	struct show sh;
	const char *printer = NULL, *cfile = NULL;
	char state[32], reason[512], name[128];
	int ch, sock = -1, all = 0, wait = 0, failed = 0, r, i, longform = 0;
	int timeout_set = 0, summary = 0, csv = 0;
	const char *by = NULL, *user = NULL, *since = NULL;
	char sincebuf[32] = "";
	long interval = 0, id;
	size_t jobs, k;
	static const struct option longopts[] = {
		{ "history", no_argument, NULL, 'Y' },
		{ "summary", no_argument, NULL, 'S' },
		{ "since", required_argument, NULL, 's' },
		{ "by", required_argument, NULL, 'b' },
		{ "csv", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "all", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&sh, 0, sizeof(sh));
	memset(&conf, 0, sizeof(conf));
	sh.timeout = 5;
	log_init("gqueue", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "ac:H:hlP:r:u:w", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'H':
			add_hosts(&sh, optarg);
			sh.remote = sh.hosts[0];
			break;
		case 'A':
			sh.all_hosts = 1;
			break;
		case 'T':
			if (parse_long(optarg, 1, 3600, &sh.timeout) < 0)
				usage_error(EXIT_USAGE, "--timeout: '%s' is not"
				    " a number of seconds (1 to 3600)", optarg);
			timeout_set = 1;
			break;
		case 'Y':
			sh.history = 1;
			break;
		case 'S':
			summary = 1;
			break;
		case 's':
			since = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "user") != 0 &&
			    strcmp(optarg, "printer") != 0 &&
			    strcmp(optarg, "month") != 0)
				usage_error(EXIT_USAGE, "--by: '%s' is not user,"
				    " printer or month", optarg);
			by = optarg;
			break;
		case 'C':
			csv = 1;
			break;
		case 'u':
			user = optarg;
			break;
		case 'J':
			sh.json = 1;
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
		case 'r':
			if (parse_long(optarg, 1, 86400, &interval) < 0)
				usage_error(EXIT_USAGE, "-r: '%s' is not a"
				    " number of seconds (1 to 86400)", optarg);
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
	if (wait && (sh.json || sh.history || longform || all || interval))
		usage_error(EXIT_USAGE, "-w goes with jobs only (no -a, -l, -r,"
		    " --history or --json)");
	if (summary && !sh.history)
		usage_error(EXIT_USAGE, "--summary goes with --history");
	if (!summary && (by || since || user || csv))
		usage_error(EXIT_USAGE, "--by, --csv, --since and -u go with"
		    " --summary");
	if (summary && (argc > 0 || longform || interval || sh.remote ||
	    sh.all_hosts || (csv && sh.json)))
		usage_error(EXIT_USAGE, "--summary goes with -a, -c, --by,"
		    " --since, -u and one of --csv or --json");
	if (since != NULL) {
		long long t = parse_since(since);

		if (t < 0)
			usage_error(EXIT_USAGE, "--since: '%s' is not a date"
			    " (YYYY-MM-DD or YYYY-MM)", since);
		snprintf(sincebuf, sizeof(sincebuf), "%lld", t);
	}
	client_check_jobs(argc, argv);
	if (sh.remote != NULL && (sh.history || wait))
		usage_error(EXIT_USAGE, "-H: --history and -w work on the"
		    " spooler's own host only");
	if (sh.all_hosts && (sh.history || wait))
		usage_error(EXIT_USAGE, "--all: --history and -w work on the"
		    " spooler's own host only");
	if ((sh.nhosts > 1 || sh.all_hosts) && argc > 0)
		usage_error(EXIT_USAGE, "-H: jobs are named on one host only");
	if (timeout_set && sh.nhosts < 2 && !sh.all_hosts)
		usage_error(EXIT_USAGE, "--timeout goes with several hosts");
	if (sh.all_hosts && (failed = add_remotes(&sh, cfile)) != 0)
		goto done;
	sh.njobs = argc;
	sh.jobs = argv;
	sh.text = (longform ? CLIENT_TEXT_LONG : 0) | (all ?
	    CLIENT_TEXT_EVERYONE : 0);
	if (sh.remote != NULL || sh.all_hosts) {
		sh.dest = all || printer == NULL ? "" : printer;
		failed = interval ? repeat_queue(-1, &sh, interval) :
		    show_queue(-1, &sh, &jobs);
		for (k = 0; k < sh.nhosts; k++) {
			free(sh.hosts[k]);
			free(sh.names[k]);
		}
		return failed;
	}
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	if (summary) {
		failed = show_summary(sock, printer ? printer : "", by ? by :
		    "", user ? user : "",
		    sincebuf, all, csv ? 'C' : sh.json ? 'J' : 'T');
		goto done;
	}
	if (wait) {
		for (i = 0; i < argc; i++) {
			/* The name's prefix first: a wrong one waits for
			 * nothing. */
			if ((r = client_job_name(sock, argv[i], &id, name,
			    sizeof(name))) != 0) {
				failed = r;
				if (r == EXIT_CONNECT)
					break;
				continue;
			}
			r = client_wait_job_live(sock, id, cfile, state,
			    sizeof(state), reason, sizeof(reason));
			if (r == -2) {	/* no such job */
				failed = 1;
				continue;
			}
			if (r < 0) {
				failed = EXIT_CONNECT;
				break;
			}
			printf("%s: %s%s%s\n", name, state,
			    reason[0] ? ": " : "", reason);
			fflush(stdout);
			if (r == 0)
				failed = 1;
		}
		goto done;
	}
	/* The history: one's own jobs wherever they went (-P: on that
	 * destination), everyone's with -a or the jobs named.  The queue:
	 * -a, or job numbers, every destination, as lpq -a. */
	if (sh.history)
		sh.dest = printer != NULL && !all ? printer : "";
	else
		sh.dest = all || argc > 0 ? "" : client_dest(printer, &conf);
	sh.own = sh.history && !all && argc == 0;
	sh.how = (sh.history ? CLIENT_QUEUE_HISTORY : 0) |
	    (all ? CLIENT_QUEUE_EVERYONE : 0);
	sh.spool_dir = conf.spool_dir;
	failed = interval ? repeat_queue(sock, &sh, interval) :
	    show_queue(sock, &sh, &jobs);
done:
	close(sock);
	conf_free(&conf);
	return failed;
}
