/*
 * serial - the backend for printers on a serial line (USB or UART).
 *
 * spoold starts one per printer and talks to it over a SOCK_SEQPACKET
 * socket on standard input (messages of msg.h; gspool-backend(8) lists
 * them).  The backend owns the port for its whole life, because opening
 * an Arduino-style board's port resets it.  It opens the port (again and
 * again until it can), waits for the firmware, and prints the jobs spoold
 * hands it, one at a time, as open descriptors of spool files: each line
 * lexed with the same lexer that checked it at ingest, then numbered,
 * checksummed and acknowledged by the protocol engine (link.c).
 *
 * If spoold goes away mid-print the backend finishes the job and then
 * exits: a restart of the spooler never stops a print.
 *
 * Diagnostics on stderr, with the printer's name.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gcode.h"
#include "link.h"
#include "log.h"
#include "msg.h"
#include "port.h"
#include "util.h"

#define JOB_BUFSZ	65536
#define PROGRESS_MS	500

struct job {
	long		 id;		/* 0: none */
	long long	 started;	/* monotonic ms */
	unsigned long long bytes0;	/* link bytes sent at the start */
	unsigned long	 resends0, timeouts0;
	int		 fd;
	struct gcode_lexer lx;
	char		*buf;
	size_t		 off, len;
	int		 eof;
	long		 acked;
	long long	 last_progress;
};

struct backend {
	const char	*printer;
	const char	*device;
	long		 baud;
	long		 reconnect_ms;
	int		 ctl;		/* to spoold, -1 once it is gone */
	struct port	 port;
	struct link	 link;
	struct job	 job;
	long long	 retry_at;
	int		 paused;	/* the printer asked the host to pause */
	char		 last_status[512];
	char		 last_temps[256];
	long long	 temps_at;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	quit = sig;
}

static void
tell(struct backend *b, const char *a, const char *c, const char *d,
    const char *e)
{
	if (b->ctl < 0)
		return;
	if (msg_send(b->ctl, -1, a, c, d, e, (char *)NULL) < 0 &&
	    errno != EAGAIN) {
		log_warn("%s: spoold went away", b->printer);
		close(b->ctl);
		b->ctl = -1;
	}
}

static void
status(struct backend *b, const char *state, const char *text)
{
	char key[sizeof(b->last_status)];

	snprintf(key, sizeof(key), "%s %s", state, text);
	if (strcmp(key, b->last_status) == 0)
		return;
	snprintf(b->last_status, sizeof(b->last_status), "%s", key);
	if (strcmp(state, "error") == 0)
		log_warnx("%s: %s", b->printer, text);
	else
		log_info("%s: %s %s", b->printer, state, text);
	tell(b, "status", state, text, NULL);
}

/* One line of figures per job: what the benchmarks read. */
static void
job_stats(struct backend *b)
{
	struct rusage ru;
	double secs = (double)(monotonic_ms() - b->job.started) / 1000.0;

	getrusage(RUSAGE_SELF, &ru);
	log_info("%s-%ld: stats lines=%ld bytes=%llu seconds=%.3f resends=%lu"
	    " timeouts=%lu cpu_s=%.3f user_s=%.3f max_rss_kib=%ld", b->printer,
	    b->job.id, b->job.acked, b->link.bytes_sent - b->job.bytes0, secs,
	    b->link.resends - b->job.resends0,
	    b->link.timeout_count - b->job.timeouts0,
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_maxrss);
}

static void
job_end(struct backend *b, const char *state, const char *reason)
{
	char id[32];

	if (b->job.id == 0)
		return;
	snprintf(id, sizeof(id), "%ld", b->job.id);
	log_info("%s-%ld: %s%s%s", b->printer, b->job.id, state,
	    reason[0] ? ": " : "", reason);
	job_stats(b);
	tell(b, "end", id, state, reason);
	close(b->job.fd);
	free(b->job.buf);
	memset(&b->job, 0, sizeof(b->job));
	b->job.fd = -1;
}

static void
job_progress(struct backend *b, long long now, int force)
{
	char id[32], lines[32];

	if (b->job.id == 0 || (!force &&
	    now - b->job.last_progress < PROGRESS_MS))
		return;
	b->job.last_progress = now;
	snprintf(id, sizeof(id), "%ld", b->job.id);
	snprintf(lines, sizeof(lines), "%ld", b->job.acked);
	tell(b, "progress", id, lines, NULL);
}

/* Give the engine job lines while it wants them. */
static void
job_feed(struct backend *b, long long now)
{
	struct job *j = &b->job;
	enum gcode_status st;
	size_t used;
	ssize_t n;

	while (j->id != 0 && !j->eof && !b->paused &&
	    link_wants_line(&b->link)) {
		if (j->off == j->len) {
			n = read(j->fd, j->buf, JOB_BUFSZ);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				link_job_abort(&b->link);
				job_end(b, "aborted", "cannot read the job's"
				    " spool file");
				return;
			}
			j->off = 0;
			j->len = (size_t)n;
			if (n == 0) {
				st = gcode_lex_end(&j->lx);
				j->eof = 1;
				if (st == GCODE_CMD)
					link_send_line(&b->link, j->lx.cmd, now);
				else if (st == GCODE_ERROR)
					goto lexerr;
				link_job_input_done(&b->link);
				return;
			}
		}
		used = gcode_lex(&j->lx, j->buf + j->off, j->len - j->off, &st);
		j->off += used;
		if (st == GCODE_ERROR)
			goto lexerr;
		if (st == GCODE_CMD &&
		    link_send_line(&b->link, j->lx.cmd, now) < 0)
			goto lexerr;
	}
	return;
lexerr:
	link_job_abort(&b->link);
	job_end(b, "aborted", j->lx.error[0] ? j->lx.error :
	    "the spool file changed after it was checked");
}

static void
port_lost(struct backend *b, const char *why)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "lost the printer on %s: %s", b->device,
	    why);
	port_close(&b->port);
	link_close(&b->link);
	if (b->job.id != 0)
		job_end(b, "stopped", msg);
	status(b, "error", msg);
	b->retry_at = monotonic_ms() + b->reconnect_ms;
}

/* Host action commands the firmware sends ("//action:pause"). */
static void
on_action(struct backend *b, const char *action)
{
	log_info("%s: the printer asks: %s", b->printer, action);
	if (strcmp(action, "pause") == 0 || strcmp(action, "paused") == 0) {
		b->paused = 1;
		tell(b, "status", "paused", "the printer paused the job",
		    NULL);
	} else if (strcmp(action, "resume") == 0 ||
	    strcmp(action, "resumed") == 0) {
		b->paused = 0;
		tell(b, "status", "ready", b->link.firmware, NULL);
	} else if (strcmp(action, "cancel") == 0 && b->job.id != 0) {
		link_job_abort(&b->link);
		b->paused = 0;
		job_end(b, "canceled", "canceled at the printer");
	}
}

static void
handle_events(struct backend *b, long long now)
{
	struct link_event ev;

	while (link_next_event(&b->link, &ev)) {
		switch (ev.type) {
		case LINK_EV_READY:
			status(b, "ready", ev.text);
			break;
		case LINK_EV_ACK:
			b->job.acked = ev.line;
			job_progress(b, now, 0);
			break;
		case LINK_EV_JOB_DONE:
			b->job.acked = ev.line;
			job_progress(b, now, 1);
			job_end(b, "completed", "");
			break;
		case LINK_EV_RESEND:
			log_info("%s: the printer asked for line %ld again",
			    b->printer, ev.line);
			break;
		case LINK_EV_FATAL:
			job_end(b, "aborted", ev.text);
			status(b, "error", ev.text);
			break;
		case LINK_EV_RESET:
			job_end(b, "aborted", ev.text);
			break;
		case LINK_EV_TIMEOUT:
			log_warnx("%s: no answer from the printer (%ld in a"
			    " row); asking with M105", b->printer, ev.line);
			break;
		case LINK_EV_TEMPS:
			/* At most one report a second goes to spoold. */
			if (now - b->temps_at >= 1000 &&
			    strcmp(ev.text, b->last_temps) != 0) {
				b->temps_at = now;
				snprintf(b->last_temps, sizeof(b->last_temps),
				    "%s", ev.text);
				tell(b, "temps", ev.text, NULL, NULL);
			}
			break;
		case LINK_EV_ACTION:
			on_action(b, ev.text);
			break;
		case LINK_EV_INFO:
			log_info("%s: printer says: %s", b->printer, ev.text);
			break;
		}
	}
}

static void
handle_ctl(struct backend *b)
{
	struct msg m;
	const char *verb;
	long id;
	int r;

	r = msg_recv(b->ctl, &m);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EBADMSG)) {
		log_info("%s: spoold closed the connection%s", b->printer,
		    b->job.id ? "; finishing the job in progress" : "");
		close(b->ctl);
		b->ctl = -1;
		if (m.fd >= 0)
			close(m.fd);
		return;
	}
	if (r < 0) {
		if (errno == EBADMSG)
			log_warnx("%s: malformed message from spoold",
			    b->printer);
		return;
	}
	verb = msg_field(&m, 0);
	if (parse_long(msg_field(&m, 1), 1, 2000000000L, &id) < 0)
		id = 0;
	if (strcmp(verb, "print") == 0 && id != 0 && m.fd >= 0) {
		if (b->job.id != 0 ||
		    link_job_begin(&b->link, monotonic_ms()) < 0) {
			char ids[32];

			snprintf(ids, sizeof(ids), "%ld", id);
			tell(b, "end", ids, "pending",
			    "the printer is not ready");
			close(m.fd);
			return;
		}
		memset(&b->job, 0, sizeof(b->job));
		b->job.id = id;
		b->job.fd = m.fd;
		b->job.started = monotonic_ms();
		b->job.bytes0 = b->link.bytes_sent;
		b->job.resends0 = b->link.resends;
		b->job.timeouts0 = b->link.timeout_count;
		b->job.buf = xmalloc(JOB_BUFSZ);
		gcode_lexer_init(&b->job.lx, NULL);
		log_info("%s-%ld: printing", b->printer, id);
		return;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (strcmp(verb, "cancel") == 0 && id != 0 && id == b->job.id) {
		link_job_abort(&b->link);
		job_end(b, "canceled", "canceled by request");
		return;
	}
	if (strcmp(verb, "cancel") == 0)
		return;		/* already over */
	log_warnx("%s: unknown message '%s' from spoold", b->printer, verb);
}

static void
usage(void)
{
	fprintf(stderr, "usage: serial [-v] [-b baud] [-k auto|yes|no]"
	    " [-m count] [-o seconds]\n"
	    "              [-r seconds] [-s seconds] [-t seconds] [-w lines]"
	    " [-x bytes]\n"
	    "              printer device\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct backend b;
	struct sigaction sa;
	struct link_opts lo;
	char buf[4096], err[512];
	long v;
	int ch, verbose = 0;

	memset(&b, 0, sizeof(b));
	b.baud = 115200;
	b.reconnect_ms = 2000;
	b.ctl = 0;
	b.port.fd = -1;
	b.job.fd = -1;
	log_init("serial", LOG_TO_STDERR, 0);
	link_opts_default(&lo);
	while ((ch = getopt(argc, argv, "b:hk:m:o:r:s:t:vw:x:")) != -1) {
		switch (ch) {
		case 'b':
			if (parse_long(optarg, 50, 4000000, &v) < 0)
				fatalx("-b: bad baud rate '%s'", optarg);
			b.baud = v;
			break;
		case 'r':
			if (parse_long(optarg, 1, 3600, &v) < 0)
				fatalx("-r: bad interval '%s'", optarg);
			b.reconnect_ms = v * 1000;
			break;
		case 't':
			if (parse_long(optarg, 0, 600, &v) < 0)
				fatalx("-t: bad timeout '%s'", optarg);
			lo.handshake_timeout_ms = v * 1000;
			break;
		case 'k':
			if (strcmp(optarg, "auto") == 0)
				lo.resend_ok = LINK_RESEND_OK_AUTO;
			else if (strcmp(optarg, "yes") == 0)
				lo.resend_ok = LINK_RESEND_OK_YES;
			else if (strcmp(optarg, "no") == 0)
				lo.resend_ok = LINK_RESEND_OK_NO;
			else
				fatalx("-k: '%s' is not auto, yes or no",
				    optarg);
			break;
		case 'm':
			if (parse_long(optarg, 1, 100, &v) < 0)
				fatalx("-m: bad count '%s'", optarg);
			lo.max_timeouts = (int)v;
			break;
		case 'o':
			if (parse_long(optarg, 1, 3600, &v) < 0)
				fatalx("-o: bad timeout '%s'", optarg);
			lo.ok_timeout_ms = v * 1000;
			break;
		case 's':
			if (parse_long(optarg, 0, 3600, &v) < 0)
				fatalx("-s: bad interval '%s'", optarg);
			lo.sync_ms = (int)v * 1000;
			break;
		case 'w':
			if (parse_long(optarg, 1, 64, &v) < 0)
				fatalx("-w: bad window '%s' (1 to 64 lines)",
				    optarg);
			lo.window = (int)v;
			break;
		case 'x':
			if (parse_long(optarg, 16, 65536, &v) < 0)
				fatalx("-x: bad buffer size '%s' (16 to 65536"
				    " bytes)", optarg);
			lo.rx_buffer = (int)v;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	b.printer = argv[optind];
	b.device = argv[optind + 1];
	log_set_verbose(verbose);
	link_init(&b.link, &lo);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!quit) {
		struct pollfd pfd[2];
		const char *out;
		size_t outlen;
		long long now = monotonic_ms();
		long timeout = -1, t;
		ssize_t n;
		int np = 0, ctl_i = -1, port_i = -1;

		if (b.ctl < 0 && b.job.id == 0)
			break;		/* spoold is gone and nothing runs */
		if (b.port.fd < 0 && now >= b.retry_at) {
			if (port_open(&b.port, b.device, b.baud, err,
			    sizeof(err)) < 0) {
				status(&b, "error", err);
				b.retry_at = now + b.reconnect_ms;
			} else {
				log_info("%s: opened %s", b.printer,
				    b.port.path);
				status(&b, "connecting", b.device);
				link_open(&b.link, now);
			}
		}
		if (b.port.fd >= 0) {
			link_tick(&b.link, now);
			handle_events(&b, now);
			job_feed(&b, now);
			handle_events(&b, now);
		}
		if (b.ctl >= 0) {
			pfd[np].fd = b.ctl;
			pfd[np].events = POLLIN;
			ctl_i = np++;
		}
		if (b.port.fd >= 0) {
			pfd[np].fd = b.port.fd;
			pfd[np].events = POLLIN;
			if (link_output(&b.link, &out) > 0)
				pfd[np].events |= POLLOUT;
			port_i = np++;
			timeout = link_timeout(&b.link, now);
		} else {
			timeout = (long)(b.retry_at - now);
			if (timeout < 0)
				timeout = 0;
		}
		if (b.job.id != 0 && b.job.last_progress != 0) {
			t = PROGRESS_MS;
			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		if (poll(pfd, (nfds_t)np, (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		now = monotonic_ms();
		if (ctl_i >= 0 && pfd[ctl_i].revents)
			handle_ctl(&b);
		if (port_i < 0 || b.port.fd < 0)
			continue;
		if (pfd[port_i].revents & POLLIN) {
			n = read(b.port.fd, buf, sizeof(buf));
			if (n > 0) {
				link_on_bytes(&b.link, buf, (size_t)n, now);
				handle_events(&b, now);
				/* Answer at once: the next lines go out in
				 * this turn, not after another poll. */
				job_feed(&b, now);
				handle_events(&b, now);
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				port_lost(&b, n == 0 ? "end of file" :
				    strerror(errno));
				continue;
			}
		} else if (pfd[port_i].revents & (POLLHUP | POLLERR)) {
			port_lost(&b, "hang-up");
			continue;
		}
		if (b.port.fd >= 0 && (outlen = link_output(&b.link, &out)) > 0) {
			n = write(b.port.fd, out, outlen);
			if (n > 0)
				link_output_done(&b.link, (size_t)n);
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				port_lost(&b, strerror(errno));
		}
	}
	if (b.job.id != 0) {
		link_job_abort(&b.link);
		job_end(&b, "stopped", "the backend was stopped");
	}
	port_close(&b.port);
	return 0;
}
