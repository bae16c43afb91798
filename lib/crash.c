/*
 * crash.c - crash points (crash.h).
 *
 * The environment is read at each point, not once, so a test may set
 * it for a worker alone.  An unknown name in $GSPOOL_TEST_CRASH_AT is
 * no point and stops nothing: the test then fails, as its process was
 * not killed.
 *
 * A hold waits by looking for its file every HOLD_POLL_MS: it is for
 * the tests alone, and a process held there has nothing else to do (a
 * held spoold's loop waits too, as it would in a slow step).
 *
 * Diagnostics: a point reached says so on the log before the process
 * kills itself, so a test's log shows where it died; a hold says where
 * it waits, and when it goes on.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"

const char *const crash_points[] = {
	"copied", "synced", "inserted", "renamed", "committed",
	"known", "options-removed", "removed", "accounted", "ended",
	"forward-options", "forward-sent", "forward-committed", NULL
};

#define HOLD_POLL_MS	20

int crash_kills_parent;

/* With $GSPOOL_TEST_CRASH_ONCE, only the first process to make that
 * file dies there: a backend spoold starts again with the same
 * environment then goes past the point. */
static int
once(void)
{
	const char *path = getenv("GSPOOL_TEST_CRASH_ONCE");
	int fd;

	if (path == NULL || path[0] == '\0')
		return 1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return 0;
	close(fd);
	return 1;
}

int
crash_point_known(const char *name)
{
	size_t i;

	for (i = 0; crash_points[i] != NULL; i++)
		if (strcmp(crash_points[i], name) == 0)
			return 1;
	return 0;
}

/* $GSPOOL_TEST_HOLD_AT: wait at the point until the test's file is
 * there.  A hold without its file is the test's mistake: it would wait
 * forever, so it is said and not held. */
static void
hold(const char *name)
{
	const char *at = getenv("GSPOOL_TEST_HOLD_AT");
	const char *path = getenv("GSPOOL_TEST_HOLD_FILE");
	struct timespec ts = { 0, HOLD_POLL_MS * 1000000L };

	if (at == NULL || strcmp(at, name) != 0)
		return;
	if (path == NULL || path[0] == '\0') {
		log_warnx("hold point '%s': no GSPOOL_TEST_HOLD_FILE; not"
		    " held", name);
		return;
	}
	log_warnx("hold point '%s': waiting for %s", name, path);
	while (access(path, F_OK) < 0)
		nanosleep(&ts, NULL);
	log_warnx("hold point '%s': going on", name);
}

void
crash_point(const char *name)
{
	const char *at = getenv("GSPOOL_TEST_CRASH_AT");

	if (!crash_point_known(name))
		fatalx("crash point '%s' is not in crash.h's list", name);
	hold(name);
	if (at != NULL && strcmp(at, name) == 0 && once()) {
		log_warnx("crash point '%s': killing myself", name);
		if (crash_kills_parent)
			kill(getppid(), SIGKILL);
		raise(SIGKILL);
	}
}
