/*
 * spoold - the gspool scheduler daemon.
 *
 * It reads gspool.conf, opens the queue, starts one backend per printer,
 * listens on the control socket, watches the drop folders, and runs one
 * event loop (lib/event.c) in which each of those modules registers its
 * own descriptors and timers; signals arrive on the loop's signalfd.
 * SIGHUP reads gspool.conf anew and applies it (reload.c), and
 * rescans the drop folders.
 * spoold(8) documents the options; gspool(7) the architecture.
 *
 * Security: spoold runs as its own unprivileged user.  Everything it
 * reads from users (files, requests) is checked before use; see the
 * notes at the top of control.c, drop.c and ingest.c.
 *
 * Diagnostics: to syslog, or standard error with -d; a configuration's
 * errors each with its file and line, a reload's changes a line each;
 * the modules log their own with the printer or job they are about.
 *
 * Exit status: 0 after SIGTERM/SIGINT or a good -n check, 1 on a bad
 * configuration or a failure to start, 2 on bad flags.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "priv.h"
#include "spoold.h"
#include "usage.h"
#include "util.h"

static const char help[] =
"usage: spoold [-dhnv] [-c config]\n"
"       spoold --version\n"
"  -c config            read this configuration file\n"
"  -d                   stay in the foreground, log to standard error\n"
"  -h, --help           print this help and exit\n"
"  -n                   check the configuration and exit\n"
"  -v                   log more detail\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(2, NULL);
}

static void
report(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "spoold: %s\n", msg);
}

/* A folder made by an older spoold, or by hand, is made as private as
 * a new one: no more than mode for others.  Another owner's is left to
 * its owner (the spool of a package, made by tmpfiles, is spoold's),
 * and so is one with an ACL, whose group bits are its mask (gsftpd -P
 * lets its user pass through jobs/ so). */
static int
make_private(const char *path, mode_t mode)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077 & ~mode) == 0 ||
	    getxattr(path, "system.posix_acl_access", NULL, 0) >= 0)
		return 0;
	if (chmod(path, (st.st_mode & 07777 & ~077) | (mode & 077)) < 0)
		return -1;
	log_info("%s: mode %04o, as the spool's folders are", path,
	    (unsigned)((st.st_mode & 07777 & ~077) | (mode & 077)));
	return 0;
}

static int
make_dirs(struct spoold *sd)
{
	const struct {
		char	**dir;
		const char *name;
		mode_t	 mode;
	} dirs[] = {
		{ &sd->dir_jobs, "jobs", 0700 },
		{ &sd->dir_tmp, "tmp", 0700 },
		{ &sd->dir_drop, "drop", 0755 },
		{ &sd->dir_rejected, "rejected", 0700 },
		{ &sd->dir_run, "run", 0700 },
	};
	size_t i;

	/* Private (gspool(7), SECURITY CONSIDERATIONS): the spool may be
	 * passed through, to the control socket and the drop folders, but
	 * not listed; the queue and rejected/ are spoold's alone. */
	if (mkdir_exist_ok(sd->conf.spool_dir, 0711) < 0 ||
	    make_private(sd->conf.spool_dir, 0711) < 0) {
		log_warn("spool directory %s", sd->conf.spool_dir);
		return -1;
	}
	for (i = 0; i < nitems(dirs); i++) {
		*dirs[i].dir = xasprintf("%s/%s", sd->conf.spool_dir,
		    dirs[i].name);
		if (mkdir_exist_ok(*dirs[i].dir, dirs[i].mode) < 0 ||
		    (dirs[i].dir == &sd->dir_rejected &&
		    make_private(*dirs[i].dir, 0700) < 0)) {
			log_warn("%s", *dirs[i].dir);
			return -1;
		}
	}
	return 0;
}

static int
lock_spool(struct spoold *sd)
{
	char *path = xasprintf("%s/spoold.lock", sd->conf.spool_dir);
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_warn("%s", path);
		free(path);
		return -1;
	}
	/* A record lock, not flock(): it belongs to this process alone,
	 * so a child forked before its exec (a backend, a filter, the
	 * ingest worker) never holds it after spoold has gone. */
	if (fcntl(fd, F_SETLK, &lk) < 0) {
		log_warnx("another spoold is running on %s",
		    sd->conf.spool_dir);
		free(path);
		close(fd);
		return -1;
	}
	free(path);
	return 0;		/* held until exit */
}

/* Signals come through the loop (a signalfd); children are reaped
 * here, each by the file that started it (notify commands by nobody:
 * their status is not kept; gspool-notify by notify.c, which counts
 * them). */
static void
on_signal(int signo, void *arg)
{
	struct spoold *sd = arg;
	pid_t pid;
	int status;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: shutting down", signo);
		sd->quitting = 1;
		ev_break(sd->ev);
		break;
	case SIGHUP:
		log_info("SIGHUP: rescanning the drop folders, reloading the"
		    " configuration");
		reload(sd);
		drop_scan(sd);
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (!filter_reaped(sd, pid, status) &&
			    !notify_reaped(sd, pid, status) &&
			    !check_reaped(sd, pid, status) &&
			    !ingest_reaped(sd, pid, status))
				backend_reaped(sd, pid, status);
		break;
	}
}

static int
signals_init(struct spoold *sd)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nitems(sigs); i++)
		if (ev_signal(sd->ev, sigs[i], on_signal, sd) < 0)
			return -1;
	return 0;
}

/* What is not an error but does not do what was meant: a timelapse
 * filter on a printer without a camera takes no frame.  Said by -n on
 * standard error, and logged at start. */
static void
camera_warnings(const struct conf *c, const char *file, int check)
{
	size_t i;
	int k;

	for (i = 0; i < c->nprinters; i++) {
		const struct conf_printer *p = &c->printers[i];

		if (p->camera != NULL)
			continue;
		for (k = 0; k < p->nfilters; k++) {
			if (strcmp(p->filters[k], "timelapse") != 0)
				continue;
			if (check)
				fprintf(stderr, "spoold: %s: warning: printer"
				    " %s: filters = timelapse, but no camera ="
				    " is set: its jobs get no timelapse\n",
				    file, p->name);
			else
				log_warnx("%s: filters = timelapse, but no"
				    " camera = is set: its jobs get no"
				    " timelapse", p->name);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct spoold sd;
	const char *file = NULL;
	int ch, check = 0, debug = 0, verbose = 0, nerr;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&sd, 0, sizeof(sd));
	sd.listen_fd = sd.ino_fd = -1;
	log_init("spoold", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "c:dhnv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'd':
			debug = sd.foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage();
		}
	}
	if (argc != optind)
		usage_error(2, "'%s': spoold takes no arguments",
		    argv[optind]);
	file = conf_path(file);
	nerr = conf_load(&sd.conf, file, report, NULL);
	if (check && nerr >= 0)
		nerr += conf_check_host(&sd.conf, report, NULL);
	if (nerr != 0) {
		if (nerr > 0)
			fprintf(stderr, "spoold: %s: %d error%s\n", file, nerr,
			    nerr == 1 ? "" : "s");
		conf_free(&sd.conf);
		return 1;
	}
	if (check) {
		camera_warnings(&sd.conf, file, 1);
		printf("%s: configuration OK (%zu printer%s)\n", file,
		    sd.conf.nprinters, sd.conf.nprinters == 1 ? "" : "s");
		conf_free(&sd.conf);
		return 0;
	}
	/* Under systemd, stderr is the journal; elsewhere a daemon that
	 * is not in the foreground logs to syslog. */
	log_init("spoold", debug || getenv("NOTIFY_SOCKET") != NULL ||
	    getenv("JOURNAL_STREAM") != NULL ? LOG_TO_STDERR : LOG_TO_SYSLOG,
	    verbose);
	umask(022);
	/* Started as root: [spool] user for good, before anything else
	 * is opened (the spool is that user's: gspool.tmpfiles). */
	if (geteuid() == 0 && strcmp(sd.conf.user, "root") != 0) {
		char err[256];

		if (priv_drop(sd.conf.user, err, sizeof(err)) < 0)
			fatalx("cannot become [spool] user %s: %s",
			    sd.conf.user, err);
		log_info("running as %s", sd.conf.user);
	} else if (geteuid() == 0)
		log_warnx("running as root ([spool] user = root): a flaw in"
		    " spoold or a backend is root's");

	if (make_dirs(&sd) < 0 || lock_spool(&sd) < 0)
		return 1;
	if ((sd.magic = magic_open(MAGIC_MIME | MAGIC_ERROR)) == NULL ||
	    magic_load(sd.magic, NULL) != 0) {
		log_warnx("libmagic: cannot load its database: %s",
		    sd.magic ? magic_error(sd.magic) : "out of memory");
		return 1;
	}
	/* Ours is asked first, alone: in one list with the stock database
	 * its guesses about text win over ours. */
	if ((sd.magic_gcode = magic_open(MAGIC_MIME | MAGIC_ERROR)) == NULL ||
	    magic_load(sd.magic_gcode, sd.conf.magic) != 0) {
		log_warnx("libmagic: cannot load %s: %s; going on without"
		    " it", sd.conf.magic, sd.magic_gcode ?
		    magic_error(sd.magic_gcode) : "out of memory");
		if (sd.magic_gcode != NULL)
			magic_close(sd.magic_gcode);
		sd.magic_gcode = NULL;
	}
	if (queue_open(&sd) < 0)
		return 1;
	/* Signals are blocked from the start: a child started now is
	 * reaped by the loop. */
	sd.ev = ev_loop_new();
	if (signals_init(&sd) < 0)
		fatal("signals");
	/* The listeners of job events first, so that they hear all; then
	 * the backends an earlier spoold left printing: their jobs go on,
	 * and the jobs no backend prints are recovered. */
	notify_init(&sd);
	filter_init(&sd);
	dest_init(&sd);
	backend_init(&sd);
	check_init(&sd);
	backend_attach_all(&sd);
	backend_recover(&sd);
	sched_init(&sd);
	reload_init(&sd);
	ingest_sweep(&sd);
	/* Refused files: every one counted, those past keep_rejected gone
	 * before the first scan, so that a sender they held back is
	 * taken at once. */
	reject_adopt(&sd);
	while (reject_expire(&sd, (long long)time(NULL), 64) == 64)
		;
	if (control_listen(&sd) < 0)
		return 1;
	if (drop_init(&sd) < 0)
		return 1;
	if (!debug && getenv("NOTIFY_SOCKET") == NULL && daemon(0, 0) < 0)
		fatal("daemon");
	backend_start_all(&sd);
	drop_scan(&sd);
	camera_warnings(&sd.conf, file, 0);
	log_info("ready: %zu printer%s, spool %s", sd.nprinters,
	    sd.nprinters == 1 ? "" : "s", sd.conf.spool_dir);
	sd_notify(0, "READY=1");

	while (!sd.quitting)
		if (ev_turn(sd.ev, -1) < 0)
			fatal("poll");

	sd_notify(0, "STOPPING=1");
	control_close(&sd);
	backend_close_all(&sd);
	queue_close(&sd);
	notify_free(&sd);
	magic_close(sd.magic);
	if (sd.magic_gcode != NULL)
		magic_close(sd.magic_gcode);
	log_info("stopped");
	dest_free(&sd);
	reload_free(&sd);
	free(sd.dir_run);
	free(sd.dir_jobs);
	free(sd.dir_tmp);
	free(sd.dir_drop);
	free(sd.dir_rejected);
	ev_loop_free(sd.ev);
	jobev_free();
	conf_free(&sd.conf);
	return 0;
}
