/*
 * dropbench - the drop-folder benchmark's clock: renames N files from a
 * staging folder into a drop folder at once, and times each from its
 * rename to its removal by spoold (which removes a drop file only after
 * its job is committed).  Prints "files=N seconds=S lost=L p99_ms=P".
 *
 *   dropbench [-s] STAGING DROP N
 *
 * With -s, one at a time: each file is renamed in only once the one
 * before it is queued (the latency of a lone file, not of a burst).
 *
 * STAGING holds f0.gcode .. f(N-1).gcode; both folders on one file
 * system.  A file still there after 60 s is counted lost.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

/* Rename file i from staging into the drop folder, noting when. */
static void
drop_one(char *const argv[], long i, double *sent)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/f%ld.gcode", argv[1], i);
	snprintf(to, sizeof(to), "%s/f%ld.gcode", argv[2], i);
	sent[i] = now_ms();
	if (rename(from, to) < 0) {
		perror(from);
		exit(1);
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	char buf[65536];
	double *sent, *lat, start, end;
	long n, i, done = 0, k, lost;
	int fd, one = 0;

	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		one = 1;
		argc--;
		argv++;
	}
	if (argc != 4 || (n = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: dropbench [-s] staging drop n\n");
		return 2;
	}
	sent = calloc((size_t)n, sizeof(*sent));
	lat = calloc((size_t)n, sizeof(*lat));
	if (sent == NULL || lat == NULL ||
	    (fd = inotify_init1(IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(fd, argv[2], IN_DELETE) < 0) {
		perror("dropbench");
		return 1;
	}
	start = now_ms();
	for (i = 0; i < n; i++) {
		if (one && i > done)
			break;		/* the next goes when this one is in */
		drop_one(argv, i, sent);
	}
	while (done < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;
		char *p;

		if (poll(&pfd, 1, 60000) <= 0)
			break;
		if ((r = read(fd, buf, sizeof(buf))) <= 0)
			break;
		for (p = buf; p < buf + r; ) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len > 0 && sscanf(ev->name, "f%ld.gcode", &k) == 1 &&
			    k >= 0 && k < n && lat[k] == 0) {
				lat[k] = now_ms() - sent[k];
				done++;
			}
			p += sizeof(*ev) + ev->len;
		}
		if (one && done == i && i < n)
			drop_one(argv, i++, sent);
	}
	end = now_ms();
	lost = n - done;
	for (i = 0, k = 0; i < n; i++)
		if (lat[i] > 0)
			lat[k++] = lat[i];
	qsort(lat, (size_t)k, sizeof(*lat), cmp);
	printf("files=%ld seconds=%.2f lost=%ld p99_ms=%.1f\n", n,
	    (end - start) / 1000, lost, k ? lat[(size_t)((double)k * 0.99)
	    < (size_t)k ? (size_t)((double)k * 0.99) : (size_t)k - 1] : 0);
	return lost > 0;
}
