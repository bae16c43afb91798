/*
 * camserver - a webcam for the tests of the timelapse filter.
 *
 *   camserver -p PORTFILE [-m MODE] [-r FPS] [-l LOG] [-e FILE] JPEG...
 *   camserver -F             print a free loopback port and exit
 *
 * Listens on 127.0.0.1 (a port of the system's choosing, written to
 * PORTFILE once listening) and answers every request, each connection
 * in a child of its own, as MODE says:
 *   snapshot  one JPEG, the next of the files each time (the default)
 *   stream    an MJPEG stream (multipart/x-mixed-replace), FPS a second
 *   half      the headers of a JPEG, half its bytes, then the end
 *   hang      nothing at all, ever
 *   error     500 Internal Server Error
 * With -e FILE, a connection accepted while FILE exists is answered as
 * in error mode: a camera that is down until a test removes FILE.
 * With -l, each connection appends "open" to LOG when it is accepted
 * and "closed" when it ends (its client gone, or its answer done), so
 * a test counts the connections a client made and sees them end.
 * Runs until killed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct jpeg {
	char	*data;
	size_t	 len;
};

static int
load(const char *path, struct jpeg *j)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;

	if (fp == NULL || fstat(fileno(fp), &st) < 0 ||
	    (j->data = malloc((size_t)st.st_size)) == NULL ||
	    fread(j->data, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
		perror(path);
		return -1;
	}
	j->len = (size_t)st.st_size;
	fclose(fp);
	return 0;
}

static int
put(int fd, const void *b, size_t n)
{
	const char *p = b;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A line appended to the log, if there is one. */
static void
note(const char *log, const char *line)
{
	int fd;

	if (log == NULL || (fd = open(log, O_WRONLY | O_APPEND | O_CREAT,
	    0644)) < 0)
		return;
	put(fd, line, strlen(line));
	close(fd);
}

static void
serve(int fd, const char *mode, long fps, struct jpeg *jp, int njp, long nth)
{
	char req[4096], hdr[256];
	size_t got = 0;
	ssize_t n;
	struct jpeg *j = &jp[nth % njp];
	long k;

	/* The request, up to its blank line. */
	while (got < sizeof(req) - 1 && (n = read(fd, req + got,
	    sizeof(req) - 1 - got)) > 0) {
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (strcmp(mode, "hang") == 0)
		for (;;)
			pause();
	if (strcmp(mode, "error") == 0) {
		snprintf(hdr, sizeof(hdr), "HTTP/1.0 500 Internal Server Error"
		    "\r\nContent-Type: text/plain\r\n\r\nno camera\r\n");
		put(fd, hdr, strlen(hdr));
		return;
	}
	if (strcmp(mode, "stream") == 0) {
		struct timespec ts = { 0, 1000000000L / fps };

		snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\nContent-Type:"
		    " multipart/x-mixed-replace;boundary=frame\r\n\r\n");
		if (put(fd, hdr, strlen(hdr)) < 0)
			return;
		for (k = 0;; k++) {
			j = &jp[k % njp];
			snprintf(hdr, sizeof(hdr), "--frame\r\nContent-Type:"
			    " image/jpeg\r\nContent-Length: %zu\r\n\r\n",
			    j->len);
			if (put(fd, hdr, strlen(hdr)) < 0 ||
			    put(fd, j->data, j->len) < 0 ||
			    put(fd, "\r\n", 2) < 0)
				return;
			nanosleep(&ts, NULL);
		}
	}
	snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\nContent-Type:"
	    " image/jpeg\r\nContent-Length: %zu\r\n\r\n", j->len);
	put(fd, hdr, strlen(hdr));
	put(fd, j->data, strcmp(mode, "half") == 0 ? j->len / 2 : j->len);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	const char *portfile = NULL, *mode = "snapshot", *log = NULL;
	const char *down = NULL;
	struct jpeg *jp;
	long fps = 10, nth = 0;
	int ch, fd, c, i, free_port = 0;
	FILE *fp;

	while ((ch = getopt(argc, argv, "e:Fl:m:p:r:")) != -1) {
		switch (ch) {
		case 'e':
			down = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'F':
			free_port = 1;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'r':
			fps = atol(optarg) > 0 ? atol(optarg) : 10;
			break;
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	signal(SIGCHLD, SIG_IGN);	/* children reaped by the system */
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		perror("camserver");
		return 1;
	}
	if (free_port) {
		printf("%d\n", ntohs(sin.sin_port));
		return 0;
	}
	if (portfile == NULL || argc == 0) {
		fprintf(stderr, "usage: camserver -p portfile [-m mode]"
		    " [-r fps] [-l log] [-e file] jpeg ...\n       camserver -F\n");
		return 2;
	}
	if ((jp = calloc((size_t)argc, sizeof(*jp))) == NULL)
		return 1;
	for (i = 0; i < argc; i++)
		if (load(argv[i], &jp[i]) < 0)
			return 1;
	if (listen(fd, 16) < 0) {
		perror("listen");
		return 1;
	}
	/* The port file appears whole, once the socket listens. */
	{
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		if ((fp = fopen(tmp, "w")) == NULL ||
		    fprintf(fp, "%d\n", ntohs(sin.sin_port)) < 0 ||
		    fclose(fp) != 0 || rename(tmp, portfile) < 0) {
			perror(portfile);
			return 1;
		}
	}
	for (;;) {
		if ((c = accept(fd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
		}
		switch (fork()) {
		case 0:
			close(fd);
			note(log, "open\n");
			serve(c, down != NULL && access(down, F_OK) == 0 ?
			    "error" : mode, fps, jp, argc, nth);
			close(c);
			note(log, "closed\n");
			_exit(0);
		case -1:
			perror("fork");
			break;
		}
		close(c);
		nth++;
	}
}
