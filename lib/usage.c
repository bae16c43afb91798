/*
 * usage.c - -h, --help, --version and the usage errors of every gspool
 * program, alike in each.
 *
 * The help goes to standard output, so that "gprint -h | less" shows
 * it, and a request for it is no error; a usage error is one line that
 * says what was wrong, and where the help is, on standard error, so
 * that the message is not buried under the synopsis.  Diagnostics: a
 * failing write to standard output makes --help and --version exit 1,
 * as a command whose output was lost should.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "usage.h"

static void __attribute__((noreturn))
flush_exit(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("stdout");
		exit(1);
	}
	exit(0);
}

void
usage_help(const char *text)
{
	fputs(text, stdout);
	flush_exit();
}

void
usage_version(void)
{
	printf("%s (%s) %s\n", log_progname(), PACKAGE_NAME, PACKAGE_VERSION);
	flush_exit();
}

void
usage_error(int code, const char *fmt, ...)
{
	const char *name = log_progname();
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "%s: ", name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "see '%s -h'\n", name);
	exit(code);
}
