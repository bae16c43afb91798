/*
 * gprint - submit G-code files to spoold, like lpr(1).
 *
 * Each file becomes one job.  gprint opens the file itself and passes
 * the open descriptor to spoold, so spoold reads exactly what the user
 * may read, nothing else.  gprint(1) documents the options and exit
 * codes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse.h"
#include "client.h"
#include "log.h"
#include "msg.h"
#include "util.h"
#include "zread.h"

static void
usage(void)
{
	fprintf(stderr, "usage: gprint [-hw] [-c config] [-P printer]"
	    " [-T title] file ...\n"
	    "       gprint --check [--json] [-c config] [-P printer]"
	    " file ...\n");
	exit(EXIT_USAGE);
}

static void
print_duration(long s)
{
	if (s >= 3600)
		printf("%ldh %02ldm %02lds", s / 3600, s / 60 % 60, s % 60);
	else
		printf("%ldm %02lds", s / 60, s % 60);
}

/* The readable report of gprint --check. */
static void
report(const char *file, const struct analysis *a, int ok)
{
	int i, any = 0;

	if (!ok) {
		printf("%s: refused: %s\n", file, a->error);
		return;
	}
	printf("%s: accepted, %lu commands\n", file, a->lx.ncmds);
	if (a->slicer[0])
		printf("  slicer: %s%s%s\n", a->slicer,
		    a->slicer_version[0] ? " " : "", a->slicer_version);
	printf("  layers: %lu", a->layers);
	if (a->extruded)
		printf(", the first at %.2f mm", a->first_layer_z);
	if (a->nheights > 0)
		printf(", %.2f mm high", analyse_layer_height(a));
	printf("\n  estimated time: ");
	if (a->slicer_seconds >= 0) {
		print_duration(a->slicer_seconds);
		printf(" (the slicer's); ");
	}
	print_duration(lround(a->seconds));
	printf(" (gspool's)\n  filament:");
	for (i = 0; i < ANALYSE_TOOLS; i++)
		if (a->filament_mm[i] > 0) {
			printf("%s T%d %.1f mm", any++ ? "," : "", i,
			    a->filament_mm[i]);
			if (a->slicer_filament_g[i] >= 0)
				printf(" (%.2f g, the slicer's)",
				    a->slicer_filament_g[i]);
		}
	printf("%s\n", any ? "" : " none");
	if (a->extruded)
		printf("  extrusion within: X %.1f..%.1f, Y %.1f..%.1f,"
		    " Z %.2f..%.2f mm\n", a->bbox_min[0], a->bbox_max[0],
		    a->bbox_min[1], a->bbox_max[1], a->bbox_min[2],
		    a->bbox_max[2]);
	printf("  temperatures: hotend %.0f C (first layer %.0f), bed %.0f C"
	    " (first layer %.0f)\n", a->max_hotend, a->first_hotend,
	    a->max_bed, a->first_bed);
	for (i = 0; i < a->nthumbs; i++)
		printf("%s%dx%d %s", i ? ", " : "  thumbnails: ",
		    a->thumbs[i].width, a->thumbs[i].height,
		    a->thumbs[i].format);
	if (a->nthumbs)
		printf("\n");
	for (i = 0; i < a->nobjects; i++)
		printf("%s%s", i ? ", " : "  objects: ", a->objects[i]);
	if (a->nobjects)
		printf("\n");
	if (a->pauses)
		printf("  pauses for the user (M0/M1): %lu\n", a->pauses);
}

/* gprint --check: the checks and the analysis spoold would make, here,
 * without queuing.  0 when every file would be accepted. */
static int
check_files(int argc, char *argv[], const char *cfile, const char *printer,
    int json)
{
	struct conf conf;
	struct analyse_policy pol;
	struct conf_printer *cp = NULL;
	struct analysis *a = xmalloc(sizeof(*a));
	char *buf = xmalloc(65536), *js;
	ssize_t n;
	int i, fd, ok, failed = 0;

	analyse_policy_default(&pol);
	memset(&conf, 0, sizeof(conf));
	if (cfile != NULL || printer != NULL || access(conf_path(NULL),
	    R_OK) == 0) {
		if (conf_load(&conf, conf_path(cfile), client_report, NULL)
		    != 0) {
			conf_free(&conf);
			free(a);
			free(buf);
			return EXIT_CONNECT;
		}
		if ((cp = conf_printer(&conf, client_dest(printer, &conf)))
		    == NULL) {
			log_warnx("%s: unknown printer (see %s)",
			    client_dest(printer, &conf), conf.file);
			conf_free(&conf);
			free(a);
			free(buf);
			return EXIT_USAGE;
		}
		pol = cp->check;
	}
	for (i = 0; i < argc; i++) {
		analyse_init(a, &pol);
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK)) < 0) {
			snprintf(a->error, sizeof(a->error), "cannot open: %s",
			    strerror(errno));
			ok = 0;
		} else {
			struct zread *zr = zread_new(fd);

			while ((n = zread_read(zr, buf, 65536)) > 0)
				if (analyse_bytes(a, buf, (size_t)n) < 0)
					break;
			if (n < 0)
				snprintf(a->error, sizeof(a->error), "%s",
				    errno == EIO && zread_error(zr)[0] ?
				    zread_error(zr) : strerror(errno));
			zread_free(zr);
			close(fd);
			ok = a->error[0] == '\0' && analyse_end(a) == 0;
			if (ok && a->lx.ncmds == 0) {
				snprintf(a->error, sizeof(a->error),
				    a->lx.bytes == 0 ? "empty file" :
				    "no G-code commands in the file");
				ok = 0;
			}
		}
		if (json) {
			js = analyse_json(a, argv[i], ok, ok ? "" : a->error,
			    ANALYSE_JSON_COMPACT);
			printf("%s\n", js);
			free(js);
		} else
			report(argv[i], a, ok);
		if (!ok)
			failed = 1;
	}
	fflush(stdout);
	conf_free(&conf);
	free(a);
	free(buf);
	return failed;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	struct msg m;
	const char *printer = NULL, *title = NULL, *cfile = NULL, *dest;
	char state[32], reason[512];
	int ch, sock, fd, i, wait = 0, failed = 0, r, check = 0, json = 0;
	long id;
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gprint", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "c:hP:T:w", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'C':
			check = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'P':
			printer = optarg;
			break;
		case 'T':
			title = optarg;
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
	if (argc == 0) {
		log_warnx("no file given (standard input is not supported"
		    " yet)");
		usage();
	}
	if (json && !check) {
		log_warnx("--json goes with --check");
		usage();
	}
	if (check)
		return check_files(argc, argv, cfile, printer, json);
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	dest = client_dest(printer, &conf);
	if (conf_printer(&conf, dest) == NULL) {
		log_warnx("%s: unknown printer (see %s)", dest, conf.file);
		failed = EXIT_USAGE;
		goto done;
	}
	for (i = 0; i < argc; i++) {
		char *copy = xstrdup(argv[i]);
		const char *t = title ? title : basename(copy);

		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK)) < 0) {
			log_warn("%s", argv[i]);
			failed = 1;
			free(copy);
			continue;
		}
		r = msg_send(sock, fd, "submit", dest, t, (char *)NULL);
		close(fd);
		free(copy);
		if (r < 0 || msg_recv(sock, &m) <= 0) {
			log_warn("%s: lost the connection to spoold", argv[i]);
			failed = EXIT_CONNECT;
			goto done;
		}
		if (m.fd >= 0)
			close(m.fd);
		if (strcmp(msg_field(&m, 0), "ok") != 0) {
			log_warnx("%s: rejected: %s", argv[i],
			    msg_field(&m, 1));
			failed = 1;
			continue;
		}
		if (parse_long(msg_field(&m, 1), 1, 2000000000L, &id) < 0) {
			log_warnx("%s: odd reply from spoold", argv[i]);
			failed = 1;
			continue;
		}
		printf("request id is %s-%ld (1 file(s))\n", msg_field(&m, 2),
		    id);
		fflush(stdout);
		if (!wait)
			continue;
		r = client_wait_job(sock, id, state, sizeof(state), reason,
		    sizeof(reason));
		if (r < 0) {
			failed = EXIT_CONNECT;
			goto done;
		}
		printf("%s-%ld: %s%s%s\n", dest, id, state,
		    reason[0] ? ": " : "", reason);
		if (r == 0)
			failed = 1;
	}
done:
	close(sock);
	conf_free(&conf);
	return failed;
}
