/*
 * log.c - logging to stderr or syslog, with the program name on each line.
 *
 * Diagnostics: none of its own; a failing write to stderr is ignored, as
 * there is nowhere else to report it.  panic() is the one message that
 * names the source (file and line): it reports a bug, for whoever
 * fixes it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "util.h"

static const char *log_name = "gspool";
static enum log_dest log_to = LOG_TO_STDERR;
static int log_verbose;

void
log_init(const char *progname, enum log_dest dest, int verbose)
{
	log_name = progname;
	log_to = dest;
	log_verbose = verbose;
	if (dest == LOG_TO_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

const char *
log_progname(void)
{
	return log_name;
}

static void
log_vwrite(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char raw[2048], buf[2048];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* Messages carry names from outside (files, printers' replies):
	 * one line each, no terminal escapes. */
	clean_text(buf, sizeof(buf), raw);
	if (log_to == LOG_TO_SYSLOG) {
		if (suffix)
			syslog(pri, "%s: %s", buf, suffix);
		else
			syslog(pri, "%s", buf);
		return;
	}
	if (suffix)
		fprintf(stderr, "%s: %s: %s\n", log_name, buf, suffix);
	else
		fprintf(stderr, "%s: %s\n", log_name, buf);
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, strerror(saved_errno));
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, strerror(saved_errno));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

static void
log_write(int pri, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
log_write(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(pri, fmt, ap, NULL);
	va_end(ap);
}

void
panic_at(const char *file, int line, const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_write(LOG_CRIT, "cannot happen at %s:%d: %s",
	    base != NULL ? base + 1 : file, line, what);
	abort();
}
