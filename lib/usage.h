/*
 * usage.h - what every gspool program says about its own options:
 * -h and --help print the synopsis and one line per option to standard
 * output and exit 0, --version prints "NAME (gspool) VERSION" and exits
 * 0, and a usage error is its one message and a pointer to -h on
 * standard error.
 */
#ifndef GSPOOL_USAGE_H
#define GSPOOL_USAGE_H

/* NAME is the program's, as log_init() was given it. */

/* The program's help: its synopsis, then a line per option. */
void	usage_help(const char *text)
	    __attribute__((noreturn));
/* NAME (gspool) VERSION, from configure. */
void	usage_version(void) __attribute__((noreturn));
/* "NAME: message" (none if fmt is NULL: getopt has said it), then
 * "see 'NAME -h'", on stderr; exit(code). */
void	usage_error(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
