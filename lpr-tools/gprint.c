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
	fprintf(stderr, "usage: gprint [-hw] [-c config] [-P printer]"
	    " [-T title] file ...\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	struct msg m;
	const char *printer = NULL, *title = NULL, *cfile = NULL, *dest;
	char state[32], reason[512];
	int ch, sock, fd, i, wait = 0, failed = 0, r;
	long id;

	log_init("gprint", LOG_TO_STDERR, 0);
	while ((ch = getopt(argc, argv, "c:hP:T:w")) != -1) {
		switch (ch) {
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
