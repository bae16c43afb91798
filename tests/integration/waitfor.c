/*
 * waitfor - wait for a file-system event, for the integration tests.
 *
 *   waitfor [-t seconds] exists PATH     PATH exists
 *   waitfor [-t seconds] gone PATH       PATH does not exist
 *   waitfor [-t seconds] lines PATH N    PATH has at least N lines
 *   waitfor [-t seconds] contains PATH S PATH has a line holding S
 *   waitfor [-t seconds] count PATH S N  PATH has N lines holding S
 *
 * It waits on inotify events, never by sleeping: the watch is set before
 * the condition is first checked, so no event can slip between.  The
 * timeout (default 60 s) only bounds a test that would otherwise hang;
 * it asserts nothing about speed.  Exit 0 when the condition holds, 1 on
 * timeout, 2 on bad usage.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long
count_lines(const char *path)
{
	char buf[65536];
	FILE *fp;
	size_t n, i;
	long lines = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	fclose(fp);
	return lines;
}

/* Lines holding s, counting up to n. */
static long
contains(const char *path, const char *s, long n)
{
	char line[8192];
	FILE *fp;
	long found = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (found < n && fgets(line, sizeof(line), fp) != NULL)
		found += strstr(line, s) != NULL;
	fclose(fp);
	return found;
}

static int
holds(const char *what, const char *path, long n, const char *s)
{
	struct stat st;

	if (strcmp(what, "contains") == 0)
		return contains(path, s, 1) >= 1;
	if (strcmp(what, "count") == 0)
		return contains(path, s, n) >= n;
	if (strcmp(what, "exists") == 0)
		return lstat(path, &st) == 0;
	if (strcmp(what, "gone") == 0)
		return lstat(path, &st) < 0 && errno == ENOENT;
	return count_lines(path) >= n;
}

static int
watch_nearest(int fd, const char *dir)
{
	char *d = strdup(dir), *p;
	const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_MODIFY | IN_CLOSE_WRITE;

	for (;;) {
		if (inotify_add_watch(fd, d, mask) >= 0)
			break;
		if (errno != ENOENT || strcmp(d, "/") == 0 ||
		    strcmp(d, ".") == 0) {
			fprintf(stderr, "waitfor: cannot watch %s: %s\n", d,
			    strerror(errno));
			free(d);
			return -1;
		}
		p = strdup(dirname(d));
		free(d);
		d = p;
	}
	free(d);
	return 0;
}

int
main(int argc, char *argv[])
{
	char copy[4096], *dir;
	const char *what, *path, *s = NULL;
	long n = 0, timeout = 60;
	time_t end;
	int fd, ch;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		if (ch != 't')
			return 2;
		timeout = atol(optarg);
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		goto usage;
	what = argv[0];
	path = argv[1];
	if (strcmp(what, "lines") == 0) {
		if (argc != 3)
			goto usage;
		n = atol(argv[2]);
	} else if (strcmp(what, "contains") == 0) {
		if (argc != 3)
			goto usage;
		s = argv[2];
	} else if (strcmp(what, "count") == 0) {
		if (argc != 4)
			goto usage;
		s = argv[2];
		n = atol(argv[3]);
	} else if ((strcmp(what, "exists") != 0 && strcmp(what, "gone") != 0)
	    || argc != 2)
		goto usage;

	if ((fd = inotify_init1(IN_CLOEXEC)) < 0) {
		perror("waitfor: inotify_init1");
		return 2;
	}
	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	end = time(NULL) + timeout;
	for (;;) {
		/* Watch the folder, or while it does not exist yet, the
		 * nearest folder above it that does; then look. */
		if (watch_nearest(fd, dir) < 0)
			return 2;
		if (holds(what, path, n, s))
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char buf[4096];
		long left = (long)(end - time(NULL));

		if (left <= 0) {
			fprintf(stderr, "waitfor: %s %s%s: still not so after"
			    " %ld s\n", what, path, n ? " (lines)" : "",
			    timeout);
			return 1;
		}
		if (poll(&pfd, 1, (int)(left * 1000)) > 0 &&
		    read(fd, buf, sizeof(buf)) < 0 && errno != EINTR)
			return 2;
	}
	return 0;
usage:
	fprintf(stderr, "usage: waitfor [-t seconds] exists|gone PATH\n"
	    "       waitfor [-t seconds] lines PATH N\n"
	    "       waitfor [-t seconds] contains PATH STRING\n"
	    "       waitfor [-t seconds] count PATH STRING N\n");
	return 2;
}
