/*
 * gpc - printer control, like lpc(8) and cupsdisable(8): show the
 * printers, and pause, resume or stop the job a printer is printing.
 *
 *   gpc status [printer ...]
 *   gpc temps printer
 *   gpc pause printer | gpc resume printer
 *   gpc abort printer          (emergency stop: M112)
 *
 * spoold decides who may do what, by the caller's credentials.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "msg.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: gpc [-h] [-c config] status [printer ...]\n"
	    "       gpc [-c config] temps printer\n"
	    "       gpc [-c config] pause | resume | abort printer\n");
	exit(EXIT_USAGE);
}

/* Print one printer row of spoold's "queue" answer. */
static void
show_printer(const struct msg *m, int temps_only)
{
	const char *name = msg_field(m, 1), *state = msg_field(m, 2);
	const char *text = msg_field(m, 3), *job = msg_field(m, 4);
	const char *lines = msg_field(m, 5), *activity = msg_field(m, 6);
	const char *layer = msg_field(m, 7), *temps = msg_field(m, 8);

	if (temps_only) {
		printf("%s: %s\n", name, temps[0] ? temps :
		    "no temperatures reported yet");
		return;
	}
	printf("%s: %s%s%s%s\n", name, state, text[0] ? " (" : "", text,
	    text[0] ? ")" : "");
	if (strcmp(job, "0") != 0) {
		long long done = atoll(msg_field(m, 9));
		long long size = atoll(msg_field(m, 10));

		printf("\tjob %s-%s %s, %s lines done", name, job,
		    activity[0] ? activity : "printing", lines);
		if (size > 0)
			printf(" (%lld%%)", done * 100 / size);
		if (strcmp(layer, "0") != 0 && layer[0] != '\0')
			printf(", layer %s", layer);
		printf("\n");
	}
	if (temps[0])
		printf("\ttemperatures: %s\n", temps);
}

/* status and temps: 0, 1 if a printer is unknown, EXIT_CONNECT. */
static int
show(int sock, const char *printer, int temps_only)
{
	struct msg m;

	if (msg_send(sock, -1, "queue", printer, (char *)NULL) < 0)
		return EXIT_CONNECT;
	for (;;) {
		if (msg_recv(sock, &m) <= 0) {
			log_warnx("lost the connection to spoold");
			return EXIT_CONNECT;
		}
		if (m.fd >= 0)
			close(m.fd);
		if (strcmp(msg_field(&m, 0), "end") == 0)
			return 0;
		if (strcmp(msg_field(&m, 0), "error") == 0) {
			log_warnx("%s", msg_field(&m, 1));
			return 1;
		}
		if (strcmp(msg_field(&m, 0), "printer") == 0)
			show_printer(&m, temps_only);
	}
}

static int
request(int sock, const char *verb, const char *printer)
{
	struct msg m;

	if (msg_send(sock, -1, verb, printer, (char *)NULL) < 0 ||
	    msg_recv(sock, &m) <= 0) {
		log_warnx("lost the connection to spoold");
		return EXIT_CONNECT;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (strcmp(msg_field(&m, 0), "ok") != 0) {
		log_warnx("%s", msg_field(&m, 1));
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	const char *cfile = NULL, *cmd;
	int ch, sock, i, r = 0;

	log_init("gpc", LOG_TO_STDERR, 0);
	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	cmd = argv[0];
	if (strcmp(cmd, "status") == 0) {
		/* any number of printers */
	} else if (strcmp(cmd, "temps") == 0 || strcmp(cmd, "pause") == 0 ||
	    strcmp(cmd, "resume") == 0 || strcmp(cmd, "abort") == 0) {
		if (argc != 2) {
			log_warnx("%s: name one printer", cmd);
			usage();
		}
	} else {
		log_warnx("unknown command '%s'", cmd);
		usage();
	}
	for (i = 1; i < argc; i++)
		if (!name_is_safe(argv[i], CONF_NAME_MAX)) {
			log_warnx("'%s' is not a printer name", argv[i]);
			exit(EXIT_USAGE);
		}
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	if (strcmp(cmd, "status") == 0 && argc == 1)
		r = show(sock, "", 0);
	else if (strcmp(cmd, "status") == 0 || strcmp(cmd, "temps") == 0) {
		for (i = 1; i < argc && r != EXIT_CONNECT; i++) {
			int ri = show(sock, argv[i], strcmp(cmd, "temps") == 0);

			if (ri > r)
				r = ri;
		}
	} else
		r = request(sock, strcmp(cmd, "abort") == 0 ? "estop" : cmd,
		    argv[1]);
	close(sock);
	conf_free(&conf);
	return r;
}
