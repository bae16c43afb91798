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
 * Security: what the printer says is anybody's who holds the other end
 * of the line (a tcp:// bridge, a board with odd firmware): the engine
 * reads it a bounded line at a time (link.c), and firmware.c takes from
 * it only what its checks let through.  spoold's messages are checked
 * against proto.h before they are acted on (ctl.c).  The port is taken
 * with an exclusive lock so that no second program talks to it at once.
 *
 * Diagnostics: on standard error (spoold's log), each with the
 * printer's name or the job's ("mk3-12: ..."): the port opened or lost
 * and why, the firmware's greeting and its complaints, each job's end
 * and its link figures.
 *
 * Run as klipper (BACKEND_DIR/klipper, a link to this program, for
 * klipper:PATH devices) it follows Klipper's rules from the start
 * (link.h): no damaged-line probe, ready only when Klipper says so.
 *
 * This file starts the backend, reads its options and runs its loop:
 * the port is opened (and opened again when lost), the protocol engine
 * gets the printer's bytes and gives back the next ones, and spoold's
 * messages, the re-attach socket and the timers (progress, parking,
 * heaters off) are served in the same poll.  The other files of the
 * backend are mapped in backend.h.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	prompt_drop(b);
	port_close(&b->port);
	link_close(&b->link);
	status(b, "error", msg);
	b->retry_at = monotonic_ms() + b->reconnect_ms;
}

static const char help[] =
"usage: serial [-hv] [-b baud] [-d rundir] [-e continue|pause|abort]\n"
"              [-H seconds] [-k auto|yes|no] [-m count] [-o seconds]\n"
"              [-p seconds] [-r seconds] [-s seconds] [-t seconds]\n"
"              [-u continue|pause|abort] [-w lines] [-x bytes]\n"
"              printer device\n"
"       serial --version\n"
"  -b baud              a real serial port's baud rate (115200)\n"
"  -d rundir            where a re-attaching spoold finds it\n"
"  -e continue|pause|abort  a job's command Klipper refused (\"!!\")"
" (pause)\n"
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

/* A choice of continue, pause or abort (-u, -e). */
static int
parse_reaction(int opt, const char *arg)
{
	if (strcmp(arg, "continue") == 0)
		return UNK_CONTINUE;
	if (strcmp(arg, "pause") == 0)
		return UNK_PAUSE;
	if (strcmp(arg, "abort") == 0)
		return UNK_ABORT;
	fatalx("-%c: '%s' is not continue, pause or abort", opt, arg);
}

/* Klipper's flavour, by the name the program was run under. */
static int
run_as_klipper(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strcmp(base ? base + 1 : argv0, "klipper") == 0;
}


int
main(int argc, char *argv[])
{
	struct backend b;
	struct sigaction sa;
	struct link_opts lo;
	char buf[4096], err[512];
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
	b.on_fwerror = UNK_PAUSE;
	b.ctl = 0;
	b.port.fd = -1;
	b.job.fd = -1;
	filters_init(&b);
	log_init("serial", LOG_TO_STDERR, 0);
	link_opts_default(&lo);
	if (run_as_klipper(argv[0]))
		lo.flavour = LINK_FLAVOUR_KLIPPER;
	while ((ch = getopt_long(argc, argv, "b:d:e:H:hk:m:o:p:r:s:t:u:vw:x:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (parse_long(optarg, 0, 604800, &v) < 0)
				fatalx("-H: bad time '%s'", optarg);
			b.heaters_ms = v * 1000;
			break;
		case 'u':
			b.on_unknown = parse_reaction(ch, optarg);
			break;
		case 'e':
			b.on_fwerror = parse_reaction(ch, optarg);
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
	if (strncmp(b.device, "klipper:", 8) == 0) {
		b.device += 8;
		lo.flavour = LINK_FLAVOUR_KLIPPER;
	}
	log_set_verbose(verbose);
	link_init(&b.link, &lo);
	attach_listen(&b);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!quit) {
		struct pollfd pfd[3 + FILTERS_MAX];
		const char *out;
		size_t outlen;
		long long now = monotonic_ms();
		long timeout = -1, t;
		ssize_t n;
		int np = 0, ctl_i = -1, port_i = -1, lis_i = -1, nf;

		/* A filter of the ended job, still running, waits for a
		 * spoold to read its last words (filters.c). */
		nf = b.ctl < 0 && b.job.id == 0 ? filters_waiting(&b, NULL,
		    0) : 0;
		if (b.ctl < 0 && b.job.id == 0 && b.heaters_at == 0 &&
		    !b.manual && nf == 0)
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
			port_close(&b.port);
			link_close(&b.link);
			b.retry_at = now + b.reconnect_ms;
			continue;
		}
		if (b.ctl >= 0) {
			pfd[np].fd = b.ctl;
			pfd[np].events = POLLIN;
			ctl_i = np++;
		} else if (b.listen_fd >= 0) {
			pfd[np].fd = b.listen_fd;
			pfd[np].events = POLLIN;
			lis_i = np++;
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
		if (nf > 0)	/* woken when one exits */
			np += filters_waiting(&b, pfd + np, FILTERS_MAX);
		if (poll(pfd, (nfds_t)np, (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		now = monotonic_ms();
		/* The last lines acknowledged before a long wait (M109, a
		 * pause) are told too, not only with the next ack. */
		if (b.job.id != 0 && b.job.last_progress != 0 &&
		    b.job.acked + b.job.base_lines != b.job.progress_lines)
			job_progress(&b, now, 0);
		if (b.job.id != 0 && b.job.ctl == JC_PARKED &&
		    now >= b.job.park_deadline) {
			log_warnx("%s-%ld: no frame taken in %ld s; unparking",
			    b.printer, b.job.id, b.park_ms / 1000);
			job_unpark(&b, "timeout");
		}
		if (ctl_i >= 0 && pfd[ctl_i].revents)
			handle_ctl(&b);
		if (lis_i >= 0 && pfd[lis_i].revents)
			attach_accept(&b);
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
				job_check_scripts(&b);
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
	attach_close(&b);
	port_close(&b.port);
	for (i = 0; i < SC_N; i++)
		free(b.script[i]);
	return 0;
}

