/*
 * gspool-notify - deliver one notification of spoold's through
 * Apprise, apart from spoold (gspool-notify(8)).
 *
 *   gspool-notify [-dv] [-a apprise] [-r attempts] [-t timeout] -T dir
 *
 * spoold starts one for each notification, writes it on its standard
 * input and forgets it: nothing spoold does waits for a delivery.  The
 * notification is lines of "WORD TEXT" (title, body, type, attach, url,
 * the body and the URLs repeated), at most NOTE_MAX bytes, ended by
 * "end".  Each URL is delivered on its own, by an apprise process of
 * its own, all at once: a service that hangs holds back no other, and
 * an attempt that fails is repeated for its URL alone, so a service
 * that took the message never gets it twice.  An attempt has timeout
 * seconds (then apprise and what it started are killed); a failed one
 * is tried again after 1, 2, 4 ... seconds (60 at most), attempts times
 * in all.  An attempt with the frame that apprise refuses is followed
 * by one without it: a service, or a version of apprise, that cannot
 * take the picture still hears the words.
 *
 * Security: a URL holds the service's secret.  It never reaches a
 * command line, a disk or a log: each is held in a file in memory
 * (memfd_create(2)), which apprise reads as /dev/fd/3 with -c, and
 * logs name it by its scheme and its place alone ("json://...#2").
 * The body reaches apprise the same way, on its standard input.  What
 * apprise prints is logged only on failure, its last line, with every
 * URL in it cut to its scheme.  The frame is copied (a regular file,
 * not followed through a link, FRAME_MAX bytes at most) before the
 * first attempt, into a folder of this process's (0700, under -T), so
 * the attempts send one picture whatever the camera writes meanwhile.
 * The title reaches apprise's command line, so spoold puts no job's
 * title in it.
 *
 * Diagnostics: one line per attempt and per result, through log.h
 * (stderr with -d or under systemd, else syslog), each naming the
 * notification (its title) and the URL's scheme.  Exit 0 when every
 * URL took it, 1 when one did not, 2 on bad usage or input.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "event.h"
#include "log.h"
#include "usage.h"
#include "util.h"

#define NOTE_MAX	65536		/* bytes of the notification */
#define FRAME_MAX	(16L << 20)	/* bytes of the picture */
#define BACKOFF_MAX	60		/* seconds between two attempts */
#define OUT_MAX		512		/* apprise's last line, kept */

struct note {
	char	 title[256];
	char	 type[16];
	char	*body;			/* lines, '\n' between */
	size_t	 bodylen;
	char	 attach[PATH_MAX];
	char	*urls[CONF_NOTIFY_URLS * 4];
	int	 nurls;
};

/* One URL's delivery. */
struct delivery {
	char		 label[40];	/* "json://...#N" */
	int		 conf;		/* its URL, a memfd: apprise -c */
	int		 attempt;	/* attempts made */
	int		 frame;		/* the next attempt sends it */
	pid_t		 pid;		/* apprise, 0 if none */
	int		 out;		/* its output, -1 if closed */
	struct ev_io	*io;		/* the loop's watch of it */
	int		 io_fd;		/* the descriptor watched */
	long long	 deadline;	/* killed then (ms) */
	long long	 next_at;	/* next attempt (ms), 0: none */
	int		 timed_out;
	int		 done;		/* 1 delivered, -1 given up */
	char		 last[OUT_MAX];	/* its last line */
	char		 line[OUT_MAX];	/* the line being read */
	size_t		 linelen;
};

static const char help[] =
"usage: gspool-notify [-dv] [-a apprise] [-r attempts] [-t timeout] -T dir\n"
"       gspool-notify -h | --help | --version\n"
"  -a apprise   the apprise program (/usr/bin/apprise)\n"
"  -d           log to standard error\n"
"  -h, --help   print this help and exit\n"
"  -r attempts  attempts of each URL (3)\n"
"  -t timeout   seconds one attempt may take (30)\n"
"  -T dir       where its private folder is made\n"
"  -v           log apprise's every line, URLs cut to their scheme\n"
"  --version    print the version and exit\n"
"The notification comes on standard input (gspool-notify(8)).\n";

static int verbose;

/* Every "scheme://rest" of s cut to "scheme://...", in place. */
static void
redact(char *s)
{
	char *p = s, *q, *end;

	while ((q = strstr(p, "://")) != NULL) {
		end = q + 3;
		while (*end != '\0' && !isspace((unsigned char)*end) &&
		    *end != '"' && *end != '\'')
			end++;
		if (end > q + 3) {
			memmove(q + 6, end, strlen(end) + 1);
			memcpy(q + 3, "...", 3);
		}
		p = q + 3;
	}
}

/* A line of apprise's without its "2026-12-02 05:47:48,755 - "
 * time stamp. */
static const char *
strip_stamp(const char *s)
{
	const char *p = s;

	if (strlen(s) > 26 && isdigit((unsigned char)s[0]) && s[4] == '-' &&
	    s[10] == ' ' && strncmp(s + 23, " - ", 3) == 0)
		p = s + 26;
	return p;
}

/* The label of the i-th URL: its scheme, "://..." and its place. */
static void
url_label(char *out, size_t outsz, const char *url, int i)
{
	size_t n = strcspn(url, ":");

	snprintf(out, outsz, "%.*s://...#%d", (int)(n > 16 ? 16 : n), url,
	    i + 1);
}

/* Read the notification: 0, or -1 said why. */
static int
note_read(struct note *n)
{
	char *buf = xmalloc(NOTE_MAX + 1), *line, *next;
	size_t len = 0;
	ssize_t r;
	int ended = 0, lineno = 0;

	while (len < NOTE_MAX &&
	    (r = read(STDIN_FILENO, buf + len, NOTE_MAX - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_warn("reading the notification");
			goto fail;
		}
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		log_warnx("the notification holds a NUL byte");
		goto fail;
	}
	for (line = buf; *line != '\0' && !ended; line = next) {
		char *sp;

		lineno++;
		if ((next = strchr(line, '\n')) == NULL) {
			log_warnx("notification line %d: no end of line"
			    " (longer than %d bytes?)", lineno, NOTE_MAX);
			goto fail;
		}
		*next++ = '\0';
		sp = strchr(line, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		else
			sp = line + strlen(line);
		if (strcmp(line, "end") == 0)
			ended = 1;
		else if (strcmp(line, "title") == 0)
			snprintf(n->title, sizeof(n->title), "%s", sp);
		else if (strcmp(line, "type") == 0 && (strcmp(sp, "info") == 0 ||
		    strcmp(sp, "success") == 0 || strcmp(sp, "warning") == 0 ||
		    strcmp(sp, "failure") == 0))
			snprintf(n->type, sizeof(n->type), "%s", sp);
		else if (strcmp(line, "body") == 0) {
			size_t l = strlen(sp);

			n->body = xrealloc(n->body, n->bodylen + l + 2);
			if (n->bodylen > 0)
				n->body[n->bodylen++] = '\n';
			memcpy(n->body + n->bodylen, sp, l + 1);
			n->bodylen += l;
		} else if (strcmp(line, "attach") == 0 && sp[0] == '/' &&
		    strlen(sp) < sizeof(n->attach))
			snprintf(n->attach, sizeof(n->attach), "%s", sp);
		else if (strcmp(line, "url") == 0 &&
		    n->nurls < (int)nitems(n->urls) &&
		    strstr(sp, "://") != NULL &&
		    strlen(sp) <= CONF_NOTIFY_URL_MAX)
			n->urls[n->nurls++] = xstrdup(sp);
		else {
			log_warnx("notification line %d: '%.20s' is not a"
			    " title, body, type, attach, url or end line (or"
			    " its value is not valid)", lineno, line);
			goto fail;
		}
	}
	if (!ended) {
		log_warnx("the notification has no end line (cut short?)");
		goto fail;
	}
	if (n->nurls == 0) {
		log_warnx("%s: no URL to deliver to", n->title);
		goto fail;
	}
	explicit_bzero(buf, len);
	free(buf);
	return 0;
fail:
	explicit_bzero(buf, len);
	free(buf);
	return -1;
}

/* A file in memory alone holding len bytes (its secrets never on a
 * disk, gone with the last process that has it): its descriptor, or -1
 * with errno. */
static int
mem_put(const char *name, const void *data, size_t len)
{
	int fd, saved;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) < 0)
		return -1;
	if (write_all(fd, data, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The frame copied to dst: 0, or -1 said why. */
static int
frame_copy(const char *src, const char *dst)
{
	char buf[65536];
	struct stat st;
	long total = 0;
	ssize_t r;
	int in, out = -1;

	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		log_warn("the frame %s", src);
		return -1;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    st.st_size > FRAME_MAX) {
		log_warnx("the frame %s is not a regular file of 1 to %ld"
		    " bytes", src, FRAME_MAX);
		goto fail;
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		log_warn("%s", dst);
		goto fail;
	}
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (total += r) > FRAME_MAX ||
		    write_all(out, buf, (size_t)r) < 0) {
			log_warnx("copying the frame %s failed", src);
			goto fail;
		}
	}
	close(in);
	return close(out);
fail:
	close(in);
	if (out >= 0) {
		close(out);
		unlink(dst);
	}
	return -1;
}

/* Start an attempt of d: apprise in a process group of its own, so
 * that a timeout kills whatever it started too. */
static void
attempt_start(struct delivery *d, const char *apprise, const char *title,
    const char *type, int body, const char *frame, long timeout,
    int attempts)
{
	int pfd[2];
	pid_t pid;

	d->attempt++;
	d->next_at = 0;
	d->timed_out = 0;
	d->linelen = 0;
	d->last[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		log_warn("%s: %s: attempt %d/%d: cannot start apprise", title,
		    d->label, d->attempt, attempts);
		return;
	}
	if (pid == 0) {
		const char *argv[16];
		char path[64];
		sigset_t none;
		int i = 0, in;

		setpgid(0, 0);
		/* apprise gets the signals the loop keeps for itself. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* The body opened anew, at its start whatever the other
		 * attempts read; the URL as descriptor 3, which apprise
		 * opens by its name. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", body);
		if ((in = open(path, O_RDONLY)) < 0)
			_exit(126);
		dup2(in, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		if (dup2(d->conf, 3) < 0)
			_exit(126);
		argv[i++] = apprise;
		argv[i++] = "-vv";
		argv[i++] = "-c";
		argv[i++] = "/dev/fd/3";
		argv[i++] = "-t";
		argv[i++] = title;
		argv[i++] = "-n";
		argv[i++] = type;
		if (frame != NULL && d->frame) {
			argv[i++] = "--attach";
			argv[i++] = frame;
		}
		argv[i] = NULL;
		execv(apprise, (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", apprise,
		    strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	fd_set_nonblock(pfd[0], 1);
	d->pid = pid;
	d->out = pfd[0];
	d->deadline = monotonic_ms() + timeout * 1000;
	log_info("%s: %s: attempt %d/%d%s", title, d->label, d->attempt,
	    attempts, frame != NULL && d->frame ? ", with the frame" : "");
}

/* What apprise printed: its lines, the last kept. */
static void
output_read(struct delivery *d, const char *title)
{
	char buf[4096];
	ssize_t r, i;

	while ((r = read(d->out, buf, sizeof(buf))) > 0)
		for (i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (d->linelen < sizeof(d->line) - 1)
					d->line[d->linelen++] = buf[i];
				continue;
			}
			d->line[d->linelen] = '\0';
			d->linelen = 0;
			if (d->line[0] == '\0')
				continue;
			redact(d->line);
			clean_text(d->last, sizeof(d->last), strip_stamp(d->line));
			if (verbose)
				log_info("%s: %s: apprise: %s", title,
				    d->label, d->last);
		}
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		close(d->out);
		d->out = -1;
	}
}

/* An attempt ended: delivered, to be tried again, or given up. */
static void
attempt_end(struct delivery *d, int status, const char *title, int attempts,
    int have_frame, long timeout)
{
	char why[64];
	long backoff;

	d->pid = 0;
	if (d->out >= 0) {
		close(d->out);
		d->out = -1;
	}
	if (!d->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("%s: %s: delivered (attempt %d/%d)", title, d->label,
		    d->attempt, attempts);
		d->done = 1;
		return;
	}
	if (d->timed_out) {
		/* What it said last is on the way, not why. */
		snprintf(why, sizeof(why), "no answer in %lds", timeout);
		d->last[0] = '\0';
	}
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "apprise exited %d",
		    WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "apprise killed by signal %d",
		    WTERMSIG(status));
	if (d->attempt >= attempts) {
		log_warnx("%s: %s: attempt %d/%d failed (%s%s%s); given up",
		    title, d->label, d->attempt, attempts, why,
		    d->last[0] ? ": " : "", d->last);
		d->done = -1;
		return;
	}
	backoff = 1L << (d->attempt - 1 < 6 ? d->attempt - 1 : 6);
	if (backoff > BACKOFF_MAX)
		backoff = BACKOFF_MAX;
	/* Refused with the frame, not timed out: the service may not take
	 * pictures (Debian 12's apprise 1.2.0 cannot attach to form://). */
	if (have_frame && d->frame && !d->timed_out) {
		d->frame = 0;
		log_warnx("%s: %s: attempt %d/%d failed (%s%s%s); again in"
		    " %lds, without the frame", title, d->label, d->attempt,
		    attempts, why, d->last[0] ? ": " : "", d->last, backoff);
	} else
		log_warnx("%s: %s: attempt %d/%d failed (%s%s%s); again in"
		    " %lds", title, d->label, d->attempt, attempts, why,
		    d->last[0] ? ": " : "", d->last, backoff);
	d->next_at = monotonic_ms() + backoff * 1000;
}

/* The loop's callbacks: a signal is noted (SIGCHLD only wakes it: the
 * children are reaped after the turn); output and the timer only wake
 * it, since the turn's work follows the turn. */
static void
on_signal(int signo, void *arg)
{
	if (signo != SIGCHLD)
		*(int *)arg = signo;
}

static void
on_wake(void *arg)
{
	(void)arg;
}

static void
on_output(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	(void)arg;
}

/* Watch fd (-1: nothing) for the delivery's output. */
static void
watch_output(struct ev_loop *ev, struct delivery *x, int fd)
{
	if (x->io != NULL && x->io_fd == fd)
		return;
	if (x->io != NULL)
		ev_io_del(x->io);
	x->io = NULL;
	x->io_fd = -1;
	if (fd >= 0) {
		if ((x->io = ev_io_add(ev, fd, EV_READ, on_output, x)) == NULL)
			fatal("ev_io_add");
		x->io_fd = fd;
	}
}

int
main(int argc, char *argv[])
{
	struct note n;
	struct delivery *d;
	const char *apprise = "/usr/bin/apprise", *tmpdir = NULL;
	char *dir = NULL, *frame = NULL;
	long timeout = 30, attempts = 3;
	struct ev_loop *ev;
	struct ev_timer *wake_t;
	int ch, debug = 0, i, left, failed = 0, body, quit = 0;

	log_init("gspool-notify", LOG_TO_STDERR, 0);
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage_help(help);
	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		usage_version();
	while ((ch = getopt(argc, argv, "a:dhr:t:T:v")) != -1) {
		switch (ch) {
		case 'a':
			apprise = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			usage_help(help);
			break;
		case 'r':
			if (parse_long(optarg, 1, 10, &attempts) < 0)
				usage_error(2, "-r: '%s' is not 1 to 10",
				    optarg);
			break;
		case 't':
			if (parse_long(optarg, 1, 3600, &timeout) < 0)
				usage_error(2, "-t: '%s' is not 1 to 3600"
				    " seconds", optarg);
			break;
		case 'T':
			tmpdir = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage_error(2, NULL);
		}
	}
	if (optind != argc || tmpdir == NULL)
		usage_error(2, tmpdir == NULL ? "-T dir is needed" :
		    "no arguments are taken");
	log_init("gspool-notify", debug || getenv("NOTIFY_SOCKET") != NULL ||
	    getenv("JOURNAL_STREAM") != NULL ? LOG_TO_STDERR : LOG_TO_SYSLOG,
	    verbose);
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	memset(&n, 0, sizeof(n));
	snprintf(n.type, sizeof(n.type), "info");
	if (note_read(&n) < 0)
		return 2;
	if (n.title[0] == '\0')
		snprintf(n.title, sizeof(n.title), "gspool");

	if ((body = mem_put("gspool-notify-body", n.body ? n.body : "",
	    n.bodylen)) < 0) {
		log_warn("%s: the body", n.title);
		return 1;
	}
	/* The frame is copied into a folder of ours; it is no secret. */
	if (n.attach[0] != '\0') {
		dir = xasprintf("%s/notify.XXXXXX", tmpdir);
		if (mkdtemp(dir) == NULL) {
			log_warn("%s: cannot make %s", n.title, dir);
			free(dir);
			dir = NULL;
		} else {
			frame = xasprintf("%s/frame.jpg", dir);
			if (frame_copy(n.attach, frame) < 0) {
				free(frame);
				frame = NULL;
			}
		}
		if (frame == NULL)
			log_warnx("%s: sent without the frame", n.title);
	}
	d = xcalloc((size_t)n.nurls, sizeof(*d));
	for (i = 0; i < n.nurls; i++) {
		char *line = xasprintf("%s\n", n.urls[i]);

		url_label(d[i].label, sizeof(d[i].label), n.urls[i], i);
		d[i].out = -1;
		d[i].frame = 1;
		if ((d[i].conf = mem_put("gspool-notify-url", line,
		    strlen(line))) < 0) {
			log_warn("%s: %s: cannot hold its URL", n.title,
			    d[i].label);
			d[i].done = -1;
		}
		explicit_bzero(line, strlen(line));
		free(line);
		explicit_bzero(n.urls[i], strlen(n.urls[i]));
		free(n.urls[i]);
	}

	/* Children end, and a request to stop comes, through the loop's
	 * signalfd (lib/event.c), heard in the same turn as their output;
	 * the next deadline or attempt is its one timer. */
	if ((ev = ev_loop_new()) == NULL ||
	    (wake_t = ev_timer_new(ev, on_wake, NULL)) == NULL ||
	    ev_signal(ev, SIGCHLD, on_signal, &quit) < 0 ||
	    ev_signal(ev, SIGTERM, on_signal, &quit) < 0 ||
	    ev_signal(ev, SIGINT, on_signal, &quit) < 0 ||
	    ev_signal(ev, SIGHUP, on_signal, &quit) < 0)
		fatal("event loop");
	for (i = 0; i < n.nurls; i++)
		if (d[i].done == 0)
			attempt_start(&d[i], apprise, n.title, n.type, body,
			    frame, timeout, (int)attempts);
	for (;;) {
		long long now = monotonic_ms(), wake = -1;
		int status;
		pid_t pid;

		left = 0;
		for (i = 0; i < n.nurls; i++) {
			struct delivery *x = &d[i];

			if (x->done != 0) {
				watch_output(ev, x, -1);
				continue;
			}
			left++;
			if (x->pid == 0 && x->next_at == 0) {
				/* could not start: counts as an attempt */
				if (x->attempt >= attempts) {
					x->done = -1;
					left--;
					watch_output(ev, x, -1);
					continue;
				}
				x->next_at = now + 1000;
			}
			if (x->pid == 0 && x->next_at <= now)
				attempt_start(x, apprise, n.title, n.type, body,
				    frame, timeout, (int)attempts);
			if (x->pid != 0 && !x->timed_out && now >= x->deadline) {
				x->timed_out = 1;
				kill(-x->pid, SIGKILL);
				kill(x->pid, SIGKILL);
			}
			watch_output(ev, x, x->pid != 0 ? x->out : -1);
			if (x->pid != 0 && !x->timed_out)
				wake = wake < 0 || x->deadline < wake ?
				    x->deadline : wake;
			if (x->pid == 0)
				wake = wake < 0 || x->next_at < wake ?
				    x->next_at : wake;
		}
		if (left == 0)
			break;
		if (wake >= 0)
			ev_timer_at(wake_t, wake);
		else
			ev_timer_stop(wake_t);
		if (ev_turn(ev, -1) < 0)
			fatal("poll");
		for (i = 0; i < n.nurls; i++)
			if (d[i].pid != 0 && d[i].out >= 0)
				output_read(&d[i], n.title);
		if (quit) {
			/* Stopped: what it started goes with it. */
			for (i = 0; i < n.nurls; i++)
				if (d[i].pid != 0) {
					kill(-d[i].pid, SIGKILL);
					kill(d[i].pid, SIGKILL);
				}
			log_warnx("%s: signal %d: undelivered", n.title, quit);
			failed = 1;
			break;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (i = 0; i < n.nurls; i++)
				if (d[i].pid == pid) {
					if (d[i].out >= 0)
						output_read(&d[i], n.title);
					attempt_end(&d[i], status, n.title,
					    (int)attempts, frame != NULL,
					    timeout);
				}
	}
	for (i = 0; i < n.nurls; i++)
		watch_output(ev, &d[i], -1);
	ev_timer_free(wake_t);
	ev_loop_free(ev);
	for (i = 0; i < n.nurls; i++) {
		failed |= d[i].done != 1;
		if (d[i].conf >= 0)
			close(d[i].conf);
	}
	free(d);
	close(body);
	if (frame != NULL)
		unlink(frame);
	if (dir != NULL && rmdir(dir) < 0)
		log_warn("%s: %s", n.title, dir);
	free(frame);
	free(dir);
	free(n.body);
	return failed ? 1 : 0;
}
