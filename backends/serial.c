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
 * If spoold goes away mid-print the backend goes on printing: a restart
 * of the spooler never stops a print.  With -d RUNDIR it listens on
 * RUNDIR/PRINTER.sock meanwhile, and the next spoold re-attaches there:
 * the backend greets it with the job it is printing and where it stands
 * ("hello"), and goes on as before.  How each job ended is written to
 * RUNDIR/PRINTER.end (its id, end state, lines and layer) before spoold
 * is told, so that an end that no spoold heard is found by the next one.
 * A backend left without spoold exits once nothing prints.
 *
 * Diagnostics on stderr, with the printer's name.
 *
 * This file starts the backend, reads its options and runs its loop:
 * the port is opened (and opened again when lost), the protocol engine
 * gets the printer's bytes and gives back the next ones, and spoold's
 * messages, the re-attach socket and the timers (progress, parking,
 * heaters off) are served in the same wait.  The other files of the
 * backend are mapped in backend.h.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "port.h"
#include "usage.h"
#include "util.h"
#include "backend.h"

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	quit = sig;
}

/*
 * The descriptors the loop waits on are kept in one epoll set, changed
 * only when a descriptor or what is awaited on it changes: a wait costs
 * the kernel nothing per descriptor, where poll(2) would register and
 * ask each of them again at every reply.  A slot is known by the
 * descriptor.  A closed descriptor leaves the set by itself, and its
 * number may come back for another file: the port, which may be closed
 * and opened again within one turn, leaves the set before it is closed
 * (close_port); spoold's socket is closed only after a wait, and its
 * slot is brought up to date before the next one.
 */
enum { W_CTL, W_LISTEN, W_PORT, W_N };

struct watch {
	int		fd;
	uint32_t	events;
};

static int ep = -1;
static struct watch w[W_N];

static void
watch(int slot, int fd, uint32_t events)
{
	struct watch *wt = &w[slot];
	struct epoll_event ev;

	if (wt->fd == fd && wt->events == events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u32 = (uint32_t)slot;
	if (wt->fd >= 0 && wt->fd != fd) {
		/* Gone already if it was closed: that is no error. */
		(void)epoll_ctl(ep, EPOLL_CTL_DEL, wt->fd, NULL);
		wt->fd = -1;
	}
	if (fd >= 0 && wt->fd == fd) {
		if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0)
			fatal("epoll_ctl: descriptor %d", fd);
	} else if (fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("epoll_ctl: descriptor %d", fd);
	wt->fd = fd;
	wt->events = events;
}

/* The port out of the set, then closed. */
static void
close_port(struct backend *b)
{
	watch(W_PORT, -1, 0);
	port_close(&b->port);
}

void
port_lost(struct backend *b, const char *why)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "lost the printer on %s: %s", b->device,
	    why);
	/* The job's figures first: closing the link resets its counters. */
	if (b->job.id != 0)
		job_end(b, "stopped", msg);
	manual_end(b, "failed", msg);
	close_port(b);
	link_close(&b->link);
	status(b, "error", msg);
	b->retry_at = monotonic_ms() + b->reconnect_ms;
}

static const char help[] =
"usage: serial [-hv] [-b baud] [-d rundir] [-H seconds] [-k auto|yes|no]\n"
"              [-m count] [-o seconds] [-p seconds] [-r seconds]\n"
"              [-s seconds] [-t seconds] [-u continue|pause|abort]\n"
"              [-w lines] [-x bytes] printer device\n"
"       serial --version\n"
"  -b baud              a real serial port's baud rate (115200)\n"
"  -d rundir            where a re-attaching spoold finds it\n"
"  -H seconds           heaters off this long after a job; 0 never (600)\n"
"  -h, --help           print this help and exit\n"
"  -k auto|yes|no       whether an ok follows Resend: (auto)\n"
"  -m count             silent periods before the job ends (5)\n"
"  -o seconds           silence before an M105 probe (30)\n"
"  -p seconds           how long the printer stays parked for a frame (5)\n"
"  -r seconds           pause between attempts to open the port (2)\n"
"  -s seconds           an M105 at least this often in a job; 0 none (2)\n"
"  -t seconds           wait for start and each answer to the greeting"
" (10)\n"
"  -u continue|pause|abort  a job's unknown command (pause)\n"
"  -v                   log more detail\n"
"  -w lines             lines in flight at most (4)\n"
"  -x bytes             the firmware's receive buffer (128)\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(2, NULL);
}


int
main(int argc, char *argv[])
{
	struct backend b;
	struct sigaction sa;
	struct link_opts lo;
	char buf[4096], err[512];
	long long woke = -1;
	long v;
	int ch, i, verbose = 0;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&b, 0, sizeof(b));
	b.baud = 115200;
	b.reconnect_ms = 2000;
	b.park_ms = 5000;
	b.heaters_ms = 600 * 1000;
	b.on_unknown = UNK_PAUSE;
	b.ctl = 0;
	b.port.fd = -1;
	b.job.fd = -1;
	log_init("serial", LOG_TO_STDERR, 0);
	link_opts_default(&lo);
	while ((ch = getopt_long(argc, argv, "b:d:H:hk:m:o:p:r:s:t:u:vw:x:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (parse_long(optarg, 0, 604800, &v) < 0)
				fatalx("-H: bad time '%s'", optarg);
			b.heaters_ms = v * 1000;
			break;
		case 'u':
			if (strcmp(optarg, "continue") == 0)
				b.on_unknown = UNK_CONTINUE;
			else if (strcmp(optarg, "pause") == 0)
				b.on_unknown = UNK_PAUSE;
			else if (strcmp(optarg, "abort") == 0)
				b.on_unknown = UNK_ABORT;
			else
				fatalx("-u: '%s' is not continue, pause or"
				    " abort", optarg);
			break;
		case 'p':
			if (parse_long(optarg, 1, 60, &v) < 0)
				fatalx("-p: bad time '%s'", optarg);
			b.park_ms = v * 1000;
			break;
		case 'd':
			if (optarg[0] != '/')
				fatalx("-d: '%s' is not an absolute path",
				    optarg);
			b.rundir = optarg;
			break;
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
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage_error(2, "give a printer and a device");
	b.printer = argv[optind];
	b.device = argv[optind + 1];
	log_set_verbose(verbose);
	link_init(&b.link, &lo);
	attach_listen(&b);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1");
	for (i = 0; i < W_N; i++) {
		w[i].fd = -1;
		w[i].events = 0;
	}

	while (!quit) {
		struct epoll_event evs[W_N];
		uint32_t rev[W_N];
		const char *out;
		size_t outlen;
		/* A turn that answered the printer goes straight on to the
		 * next wait with the clock read when it woke: its work took
		 * microseconds, and the clock is read once a reply. */
		long long now = woke >= 0 ? woke : monotonic_ms();
		long timeout = -1, t;
		ssize_t n;
		int ne;

		woke = -1;
		if (b.ctl < 0 && b.job.id == 0 && b.heaters_at == 0 &&
		    !b.manual)
			break;		/* spoold is gone and nothing runs */
		if (b.heaters_at != 0 && now >= b.heaters_at)
			heaters_off(&b, now);
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
			job_check_scripts(&b);
		}
		if (b.port.fd >= 0 && b.reset_pending &&
		    link_output(&b.link, &out) == 0) {
			/* The printer halted: open the port again later. */
			b.reset_pending = 0;
			close_port(&b);
			link_close(&b.link);
			b.retry_at = now + b.reconnect_ms;
			continue;
		}
		/* spoold's socket, or while there is none the socket a
		 * new spoold re-attaches on. */
		watch(W_CTL, b.ctl, EPOLLIN);
		watch(W_LISTEN, b.ctl < 0 ? b.listen_fd : -1, EPOLLIN);
		if (b.port.fd >= 0) {
			watch(W_PORT, b.port.fd, EPOLLIN |
			    (link_output(&b.link, &out) > 0 ? EPOLLOUT : 0));
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
		if (b.heaters_at != 0) {
			t = (long)(b.heaters_at - now);
			if (t < 0)
				t = 0;
			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		if (b.job.id != 0 && b.job.ctl == JC_PARKED) {
			t = (long)(b.job.park_deadline - now);
			if (t < 0)
				t = 0;
			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		if ((ne = epoll_wait(ep, evs, W_N, (int)timeout)) < 0) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		memset(rev, 0, sizeof(rev));
		for (i = 0; i < ne; i++)
			if (evs[i].data.u32 < W_N)
				rev[evs[i].data.u32] = evs[i].events;
		now = monotonic_ms();
		if (b.job.id != 0 && b.job.ctl == JC_PARKED &&
		    now >= b.job.park_deadline) {
			log_warnx("%s-%ld: no frame taken in %ld s; unparking",
			    b.printer, b.job.id, b.park_ms / 1000);
			job_unpark(&b, "timeout");
		}
		if (rev[W_CTL] != 0 && b.ctl >= 0)
			handle_ctl(&b);
		if (rev[W_LISTEN] != 0 && b.ctl < 0 && b.listen_fd >= 0)
			attach_accept(&b);
		if (b.port.fd < 0 || w[W_PORT].fd != b.port.fd)
			continue;
		if (rev[W_PORT] & EPOLLIN) {
			n = read(b.port.fd, buf, sizeof(buf));
			if (n > 0) {
				link_on_bytes(&b.link, buf, (size_t)n, now);
				handle_events(&b, now);
				/* Answer at once: the next lines go out in
				 * this turn, not after another wait. */
				job_feed(&b, now);
				handle_events(&b, now);
				job_check_scripts(&b);
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				port_lost(&b, n == 0 ? "end of file" :
				    strerror(errno));
				continue;
			}
		} else if (rev[W_PORT] & (EPOLLHUP | EPOLLERR)) {
			port_lost(&b, "hang-up");
			continue;
		}
		if (b.port.fd >= 0 && (outlen = link_output(&b.link, &out)) > 0) {
			n = write(b.port.fd, out, outlen);
			if (n > 0)
				link_output_done(&b.link, (size_t)n);
			else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				port_lost(&b, strerror(errno));
				continue;
			}
		}
		woke = now;
	}
	if (b.job.id != 0) {
		link_job_abort(&b.link);
		job_end(&b, "stopped", "the backend was stopped");
	}
	attach_close(&b);
	close_port(&b);
	close(ep);
	for (i = 0; i < SC_N; i++)
		free(b.script[i]);
	return 0;
}

