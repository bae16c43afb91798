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
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "log.h"
#include "msg.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: gqueue [-ahl] [-c config] [-P printer]\n"
	    "       gqueue [-c config] -w job ...\n");
	exit(EXIT_USAGE);
}

static const char *
ordinal(const char *rank, char *buf, size_t bufsz)
{
	static const char *const sfx[] = { "th", "st", "nd", "rd" };
	long n;

	if (parse_long(rank, 1, 2000000000L, &n) < 0)
		return rank;		/* "active", "stopped" */
	snprintf(buf, bufsz, "%ld%s", n, (n % 100 >= 11 && n % 100 <= 13) ||
	    n % 10 > 3 ? "th" : sfx[n % 10]);
	return buf;
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
	else if (printing)
		printf("%s is printing; %s: %s\n", name, state, text);
	else if (strcmp(state, "error") == 0)
		printf("%s is not ready: %s\n", name, text);
	else
		printf("%s is %s%s%s\n", name, state, text[0] ? ": " : "", text);
}

static void
duration(char *buf, size_t sz, long s)
{
	if (s >= 3600)
		snprintf(buf, sz, "%ldh %02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, sz, "%ldm %02lds", s / 60, s % 60);
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

/* One printer's block.  0, or -1 if spoold went away. */
static int
show(int sock, const char *printer, int longform)
{
	struct msg m;
	char ord[32];
	int rows = 0;

	if (msg_send(sock, -1, "queue", printer, (char *)NULL) < 0)
		return -1;
	for (;;) {
		if (msg_recv(sock, &m) <= 0)
			return -1;
		if (m.fd >= 0)
			close(m.fd);
		if (strcmp(msg_field(&m, 0), "end") == 0)
			break;
		if (strcmp(msg_field(&m, 0), "error") == 0) {
			log_warnx("%s", msg_field(&m, 1));
			return 1;
		}
		if (strcmp(msg_field(&m, 0), "printer") == 0) {
			status_line(&m);
			continue;
		}
		if (strcmp(msg_field(&m, 0), "job") != 0)
			continue;
		if (rows++ == 0)
			printf("Rank    Owner   Job     File(s)"
			    "                         Total Size\n");
		printf("%-7s %-7.7s %-7s %-31.31s %s bytes\n",
		    ordinal(msg_field(&m, 1), ord, sizeof(ord)),
		    msg_field(&m, 2), msg_field(&m, 3), msg_field(&m, 5),
		    msg_field(&m, 6));
		if (longform)
			show_meta(msg_field(&m, 10));
	}
	if (rows == 0)
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
	size_t k;

	log_init("gqueue", LOG_TO_STDERR, 0);
	while ((ch = getopt(argc, argv, "ac:hlP:w")) != -1) {
		switch (ch) {
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
	if ((wait && argc == 0) || (!wait && argc != 0))
		usage();
	client_check_jobs(argc, argv);
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
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
	if (all) {
		for (k = 0; k < conf.nprinters; k++) {
			if (k > 0)
				printf("\n");
			if ((r = show(sock, conf.printers[k].name, longform)) < 0)
				goto lost;
			if (r)
				failed = 1;
		}
	} else {
		const char *dest = client_dest(printer, &conf);

		if ((r = show(sock, dest, longform)) < 0)
			goto lost;
		if (r)
			failed = 1;
	}
	goto done;
lost:
	log_warnx("lost the connection to spoold");
	failed = EXIT_CONNECT;
done:
	close(sock);
	conf_free(&conf);
	return failed;
}
