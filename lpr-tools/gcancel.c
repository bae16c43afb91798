/*
 * gcancel - cancel jobs, like lprm(1) and cancel(1).
 *
 * A job named "mk3-7" or "7".  Only the job's owner, root and spoold's
 * user may cancel it; spoold decides, by the caller's credentials.
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

static void
usage(void)
{
	fprintf(stderr, "usage: gcancel [-h] [-c config] job ...\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	struct msg m;
	const char *cfile = NULL;
	char ids[32];
	int ch, sock, i, failed = 0;
	long id;

	log_init("gcancel", LOG_TO_STDERR, 0);
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
	client_check_jobs(argc, argv);
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	for (i = 0; i < argc; i++) {
		id = client_job_id(argv[i]);
		snprintf(ids, sizeof(ids), "%ld", id);
		if (msg_send(sock, -1, "cancel", ids, (char *)NULL) < 0 ||
		    msg_recv(sock, &m) <= 0) {
			log_warn("lost the connection to spoold");
			failed = EXIT_CONNECT;
			break;
		}
		if (m.fd >= 0)
			close(m.fd);
		if (strcmp(msg_field(&m, 0), "ok") != 0) {
			log_warnx("%s: %s", argv[i], msg_field(&m, 1));
			failed = 1;
		}
	}
	close(sock);
	conf_free(&conf);
	return failed;
}
