/*
 * log.h - the one logging interface of every gspool program.
 *
 * Messages go to stderr (a foreground daemon, a command, or a service
 * under systemd, whose journal reads stderr) or to syslog.  Every line
 * carries the program name; lines about one printer or job say so in
 * their text ("mk3-7: ...").  log_warn() appends strerror(errno),
 * log_warnx() does not.  fatal()/fatalx() log and exit(1).
 *
 * panic() is the "cannot happen" class: an invariant of the program's
 * own code broke, which is a bug, never bad input.  It logs "cannot
 * happen", the file and line, and what broke, then abort()s, so that a
 * core or a sanitizer's report shows how it came there.  Anything from
 * outside (a file, a client, a printer, the system) gets a clear error
 * instead and harms nothing else; only what the code itself guarantees
 * may panic.
 */
#ifndef GSPOOL_LOG_H
#define GSPOOL_LOG_H

#include <stdarg.h>

enum log_dest {
	LOG_TO_STDERR,
	LOG_TO_SYSLOG,
};

void	log_init(const char *progname, enum log_dest dest, int verbose);
void	log_set_verbose(int verbose);
const char *log_progname(void);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	panic_at(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4), noreturn));
#define panic(...)	panic_at(__FILE__, __LINE__, __VA_ARGS__)

#endif
