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
#include "util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: gqueue [-ahl] [--history] [--json] [-c config]"
	    " [-P dest] [job ...]\n"
	    "       gqueue [-c config] -w job ...\n");
	exit(EXIT_USAGE);
}

static const char *
ordinal(const char *rank, char *buf, size_t bufsz)
{
	static const char *const sfx[] = { "th", "st", "nd", "rd" };
	long n;

	if (parse_long(rank, 1, 2000000000L, &n) < 0)
		return rank;		/* "active", "stopped", "held" */
	snprintf(buf, bufsz, "%ld%s", n, (n % 100 >= 11 && n % 100 <= 13) ||
	    n % 10 > 3 ? "th" : sfx[n % 10]);
	return buf;
}

static void duration(char *, size_t, long);

/* Fraction of the job's file acknowledged, and the time left: the
 * estimate's remainder, else what the time so far foretells. */
static void
progress_line(const struct msg *m)
{
	const char *name = msg_field(m, 1), *job = msg_field(m, 4);
	long long done = atoll(msg_field(m, 9)), size = atoll(msg_field(m, 10));
	long long started = atoll(msg_field(m, 16));
	long est = atol(msg_field(m, 17)), left = -1;
	char bar[21], buf[32];
	double frac = size > 0 ? (double)done / (double)size : 0;
	int i;

	if (frac > 1)
		frac = 1;
	for (i = 0; i < 20; i++)
		bar[i] = i < (int)(frac * 20 + 0.5) ? '#' : '.';
	bar[20] = '\0';
	if (est > 0)
		left = (long)(est * (1 - frac));
	else if (started > 0 && frac > 0.01)
		left = (long)((double)(time(NULL) - started) * (1 - frac) /
		    frac);
	printf("\t%s-%s [%s] %3.0f%%", name, job, bar, frac * 100);
	if (strcmp(msg_field(m, 7), "0") != 0 && msg_field(m, 7)[0])
		printf(", layer %s", msg_field(m, 7));
	if (left >= 0) {
		duration(buf, sizeof(buf), left);
		printf(", about %s left", buf);
	}
	printf("\n");
}

static void
status_line(const struct msg *m)
{
	const char *name = msg_field(m, 1), *state = msg_field(m, 2);
	const char *text = msg_field(m, 3);
	const char *activity = msg_field(m, 6);
	int printing = strcmp(msg_field(m, 4), "0") != 0;

	if (strcmp(state, "ready") == 0 && printing && activity[0] &&
	    strcmp(activity, "printing") != 0)
		printf("%s is ready; %s-%s is %s\n", name, name,
		    msg_field(m, 4), activity);
	else if (strcmp(state, "ready") == 0)
		printf("%s is ready%s\n", name, printing ? " and printing" : "");
	else if (strcmp(state, "awaiting-clear") == 0)
		printf("%s is awaiting-clear: clear its bed, then gpc ready"
		    " %s\n", name, name);
	else if (printing)
		printf("%s is printing; %s: %s\n", name, state, text);
	else if (strcmp(state, "error") == 0)
		printf("%s is not ready: %s\n", name, text);
	else
		printf("%s is %s%s%s\n", name, state, text[0] ? ": " : "", text);
	if (strcmp(msg_field(m, 11), "0") == 0)
		printf("\t%s is disabled%s%s\n", name, msg_field(m, 13)[0] ?
		    ": " : "", msg_field(m, 13));
	if (strcmp(msg_field(m, 12), "0") == 0)
		printf("\t%s is not accepting jobs%s%s\n", name,
		    msg_field(m, 14)[0] ? ": " : "", msg_field(m, 14));
	if (printing)
		progress_line(m);
	if (msg_field(m, 8)[0])
		printf("\ttemperatures: %s\n", msg_field(m, 8));
}

static void
class_line(const struct msg *m)
{
	const char *name = msg_field(m, 1);

	printf("%s is a class of %s\n", name, msg_field(m, 2));
	if (strcmp(msg_field(m, 3), "0") == 0)
		printf("\t%s is disabled%s%s\n", name, msg_field(m, 5)[0] ?
		    ": " : "", msg_field(m, 5));
	if (strcmp(msg_field(m, 4), "0") == 0)
		printf("\t%s is not accepting jobs%s%s\n", name,
		    msg_field(m, 6)[0] ? ": " : "", msg_field(m, 6));
}

static void
duration(char *buf, size_t sz, long s)
{
	if (s >= 3600)
		snprintf(buf, sz, "%ldh %02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, sz, "%ldm %02lds", s / 60, s % 60);
}

static const char *spool_dir;

/* gqueue -l: what the job's filters reported, and where a timelapse
 * video is. */
static void
show_attrs(const char *text, const char *id)
{
	json_t *o = json_loads(text, 0, NULL), *v;
	const char *k;
	int n = 0;

	if (o == NULL || !json_is_object(o) || json_object_size(o) == 0) {
		json_decref(o);
		return;
	}
	json_object_foreach(o, k, v)
		printf("%s%s=%s", n++ ? ", " : "\t", k, json_string_value(v) ?
		    json_string_value(v) : "");
	printf("\n");
	if ((v = json_object_get(o, "timelapse.video")) != NULL &&
	    json_is_string(v) && spool_dir != NULL)
		printf("\ttimelapse: %s/jobs/%s.d/%s\n", spool_dir, id,
		    json_string_value(v));
	json_decref(o);
}

/* gqueue -l: what the analyser found in the job's file. */
static void
show_meta(const char *text)
{
	json_error_t err;
	json_t *o = json_loads(text, 0, &err), *v, *t;
	char buf[64];
	size_t i;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return;
	}
	if ((v = json_object_get(o, "slicer")) && json_string_length(v) > 0)
		printf("\tsliced by %s %s\n", json_string_value(v),
		    json_string_value(json_object_get(o, "slicer_version")) ?
		    json_string_value(json_object_get(o, "slicer_version")) :
		    "");
	printf("\t%lld layers", (long long)json_integer_value(
	    json_object_get(o, "layers")));
	duration(buf, sizeof(buf), (long)json_integer_value(
	    json_object_get(o, "estimated_seconds")));
	printf(", about %s", buf);
	json_array_foreach(json_object_get(o, "filament_mm"), i, t)
		if (json_number_value(t) > 0)
			printf(", T%zu %.2f m of filament (%.0f g)", i,
			    json_number_value(t) / 1000, json_number_value(
			    json_array_get(json_object_get(o, "filament_g"),
			    i)));
	printf("\n\thotend %.0f C, bed %.0f C",
	    json_number_value(json_object_get(o, "max_hotend")),
	    json_number_value(json_object_get(o, "max_bed")));
	if (json_array_size(json_object_get(o, "thumbnails")) > 0)
		printf(", %zu thumbnail(s)",
		    json_array_size(json_object_get(o, "thumbnails")));
	if (json_array_size(json_object_get(o, "objects")) > 0)
		printf(", %zu object(s)",
		    json_array_size(json_object_get(o, "objects")));
	printf("\n");
	json_decref(o);
}

static int
wanted(int njobs, char *jobs[], const char *id)
{
	int i;

	if (njobs == 0)
		return 1;
	for (i = 0; i < njobs; i++)
		if (client_job_id(jobs[i]) == atol(id))
			return 1;
	return 0;
}

/* The status of a destination ("" for all) and its jobs.  0, 1 if
 * spoold refused, -1 if spoold went away.  With out, the rows go into
 * a JSON object instead. */
static int
show(int sock, const char *dest, int longform, int history, int njobs,
    char *jobs[], json_t *out)
{
	struct msg m;
	char ord[32];
	int rows = 0;

	if (msg_send(sock, -1, "queue", dest, history ? "history" : "",
	    (char *)NULL) < 0)
		return -1;
	for (;;) {
		const char *verb;

		if (msg_recv(sock, &m) <= 0)
			return -1;
		if (m.fd >= 0)
			close(m.fd);
		verb = msg_field(&m, 0);
		if (strcmp(verb, "end") == 0)
			break;
		if (strcmp(verb, "error") == 0) {
			log_warnx("%s", msg_field(&m, 1));
			return 1;
		}
		if (strcmp(verb, "printer") == 0) {
			if (out)
				json_array_append_new(json_object_get(out,
				    "printers"), client_printer_json(&m));
			else if (!history)
				status_line(&m);
			continue;
		}
		if (strcmp(verb, "class") == 0) {
			if (out)
				json_array_append_new(json_object_get(out,
				    "classes"), client_class_json(&m));
			else if (!history)
				class_line(&m);
			continue;
		}
		if (strcmp(verb, "job") != 0 ||
		    !wanted(njobs, jobs, msg_field(&m, 3)))
			continue;
		if (out) {
			json_array_append_new(json_object_get(out, "jobs"),
			    client_job_json(&m));
			continue;
		}
		if (rows++ == 0)
			printf("Rank    Owner   Job     File(s)"
			    "                         Total Size\n");
		printf("%-7s %-7.7s %-7s %-31.31s %s bytes\n", history ?
		    msg_field(&m, 7) : ordinal(msg_field(&m, 1), ord,
		    sizeof(ord)), msg_field(&m, 2), msg_field(&m, 3),
		    msg_field(&m, 5), msg_field(&m, 6));
		if (longform) {
			printf("\t%s-%s: %s%s%s%s, priority %s",
			    msg_field(&m, 4), msg_field(&m, 3), msg_field(&m, 7),
			    msg_field(&m, 9)[0] ? " (" : "", msg_field(&m, 9),
			    msg_field(&m, 9)[0] ? ")" : "", msg_field(&m, 11));
			if (strcmp(msg_field(&m, 12), "1") != 0)
				printf(", copy %ld of %s", atol(msg_field(&m,
				    13)) + 1, msg_field(&m, 12));
			if (strcmp(msg_field(&m, 14), "0") != 0) {
				time_t t = (time_t)atoll(msg_field(&m, 14));
				char when[64];

				strftime(when, sizeof(when), "%Y-%m-%d %H:%M",
				    localtime(&t));
				printf(", held until %s", when);
			}
			if (msg_field(&m, 15)[0])
				printf(", on %s", msg_field(&m, 15));
			printf("\n");
			show_meta(msg_field(&m, 10));
			show_attrs(msg_field(&m, 20), msg_field(&m, 3));
		}
	}
	if (rows == 0 && !out)
		printf("no entries\n");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	const char *printer = NULL, *cfile = NULL;
	char state[32], reason[512];
	int ch, sock, all = 0, wait = 0, failed = 0, r, i, longform = 0;
	int history = 0, json = 0;
	json_t *out = NULL;
	static const struct option longopts[] = {
		{ "history", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gqueue", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "ac:hlP:w", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'H':
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
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (wait && (argc == 0 || json || history || longform || all))
		usage();
	client_check_jobs(argc, argv);
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	spool_dir = conf.spool_dir;
	if (wait) {
		for (i = 0; i < argc; i++) {
			r = client_wait_job(sock, client_job_id(argv[i]),
			    state, sizeof(state), reason, sizeof(reason));
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
	if (json) {
		out = json_object();
		json_object_set_new(out, "printers", json_array());
		json_object_set_new(out, "classes", json_array());
		json_object_set_new(out, "jobs", json_array());
	}
	/* -a, or job numbers: every destination, as lpq -a. */
	r = show(sock, all || argc > 0 ? "" : client_dest(printer, &conf),
	    longform, history, argc, argv, out);
	if (r < 0)
		goto lost;
	if (r)
		failed = 1;
	if (out != NULL && r == 0) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", text);
		free(text);
	}
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
