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
 * This file starts the backend, reads its options and runs its loop,
 * lib/event.c's: the port is opened (and opened again when lost), the
 * protocol engine gets the printer's bytes and gives back the next ones,
 * and spoold's messages, the re-attach socket, the filters' pidfds, the
 * signals and the timers (the link's, progress, parking, heaters off,
 * opening the port again) are its descriptors and timers.  Before each
 * turn the loop is told what to watch, from the backend's state; after
 * it, what the link has to say goes out.  Most turns of a print have
 * nothing to wait for but the printer's next reply: they read the
 * port's blocking descriptor instead, with no poll (read_turn).  The
 * other files of the backend are mapped in backend.h.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "link.h"
#include "log.h"
#include "port.h"
#include "usage.h"
#include "util.h"
#include "backend.h"

#define HOLD_MIN_MS	4	/* the shortest hold of the replies */
#define HOLD_LINES	8	/* lines in flight that make one worth it */
#define POLL_EVERY_MS	50	/* the longest run of reads with no poll */
#define READ_LATE_MS	10	/* how late such a read may make a timer */

static int quit;

/* What the loop watches, each set again before every turn from the
 * backend's state: a descriptor the backend closed is forgotten. */
struct watch {
	struct ev_io	*io;
	int		 fd;
};

static struct watch port_w, ctl_w, lis_w;
static struct ev_timer *link_timer, *retry_timer, *progress_timer,
    *heaters_timer, *park_timer, *hold_timer;
static int holding;		/* the port's replies left to gather */
static long last_hold;		/* ms, the latest hold */
static long held_job;		/* the job whose first hold was logged */
static long long last_poll;	/* ms, the latest poll's turn */

static void
on_signal(int sig, void *arg)
{
	(void)arg;
	quit = sig;
}

static void
watch(struct backend *b, struct watch *w, int fd, int events, ev_io_fn *fn)
{
	if (w->io != NULL && w->fd != fd) {
		ev_io_del(w->io);
		w->io = NULL;
	}
	if (fd < 0)
		return;
	if (w->io == NULL) {
		w->io = ev_io_add(b->ev, fd, events, fn, b);
		w->fd = fd;
	} else
		ev_io_set(w->io, events);
}

static void
timer_until(struct ev_timer *t, int on, long long when)
{
	if (on)
		ev_timer_at(t, when);
	else
		ev_timer_stop(t);
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

/* The link's turn: what the printer said, then the lines it wants. */
static void
link_turn(struct backend *b, long long now)
{
	handle_events(b, now);
	job_feed(b, now);
	handle_events(b, now);
	job_check_scripts(b);
}

/* The printer's bytes, read: the link takes them and answers at once,
 * its next lines going out in this turn, not after another wait. */
static void
port_bytes(struct backend *b, const char *buf, size_t n, long long now)
{
	link_on_bytes(&b->link, buf, n, now);
	link_turn(b, now);
}

static void
port_readable(int fd, int revents, void *arg)
{
	struct backend *b = arg;
	char buf[4096];
	long long now = ev_now(b->ev);
	ssize_t n;

	if (fd != b->port.fd)
		return;		/* lost earlier in this turn */
	if (!(revents & (EV_READ | EV_HUP)))
		return;
	/* What the printer said before a hang-up is read first: the
	 * hang-up is the port's end only once nothing is left. */
	n = read(fd, buf, sizeof(buf));
	b->syscalls++;
	if (n > 0)
		port_bytes(b, buf, (size_t)n, now);
	else if (n < 0 && errno == EAGAIN && !(revents & EV_HUP))
		return;		/* a hold's end with nothing come yet */
	else if (revents & EV_HUP)
		port_lost(b, "hang-up");
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		port_lost(b, n == 0 ? "end of file" : strerror(errno));
}

static void
ctl_readable(int fd, int revents, void *arg)
{
	struct backend *b = arg;

	(void)revents;
	if (fd == b->ctl)
		handle_ctl(b);
}

static void
lis_readable(int fd, int revents, void *arg)
{
	struct backend *b = arg;

	(void)revents;
	if (fd == b->listen_fd && b->ctl < 0)
		attach_accept(b);
}

/* The link's own deadline (the greeting, an ok's timeout, the probes
 * of a silent printer): loop_prepare ticks the link after every turn. */
static void
link_due(void *arg)
{
	(void)arg;
}

static void
retry_due(void *arg)
{
	struct backend *b = arg;
	long long now = ev_now(b->ev);
	char err[512];

	if (b->port.fd >= 0)
		return;
	if (port_open(&b->port, b->device, b->baud, err, sizeof(err)) < 0) {
		status(b, "error", err);
		b->retry_at = now + b->reconnect_ms;
		return;
	}
	log_info("%s: opened %s", b->printer, b->port.path);
	status(b, "connecting", b->device);
	link_open(&b->link, now);
}

/* Woken to tell the last lines acknowledged (loop_after tells them). */
static void
progress_due(void *arg)
{
	(void)arg;
}

static void
heaters_due(void *arg)
{
	struct backend *b = arg;

	heaters_off(b, ev_now(b->ev));
}

static void
park_due(void *arg)
{
	struct backend *b = arg;

	if (b->job.id == 0 || b->job.ctl != JC_PARKED)
		return;
	log_warnx("%s-%ld: no frame taken in %ld s; unparking", b->printer,
	    b->job.id, b->park_ms / 1000);
	job_unpark(b, "timeout");
}

/* The hold is over: the replies gathered are read at once, not after
 * another poll that would only say they are there.  Nothing came yet:
 * the next poll waits for them. */
static void
hold_due(void *arg)
{
	struct backend *b = arg;

	holding = 0;
	if (b->port.fd >= 0)
		port_readable(b->port.fd, EV_READ, b);
}

/*
 * After a write, how long the printer's replies may be left unread, to
 * be read together and answered in one write: half of the time the
 * bytes in flight keep the printer busy, less a millisecond.  That time
 * is the shorter of their time on the wire at the port's baud rate and
 * the round trip (a line written to its ok), less the latest hold, which
 * made the round trips measured during it look longer than they were: a
 * USB port faster than its baud rate, a printer that takes its lines
 * faster than the wire brings them, make it short.  A hold gathers
 * about half of the lines in flight: with fewer than HOLD_LINES, or for
 * less than HOLD_MIN_MS, it saves fewer wake-ups than its timer's costs
 * and leaves the wire idle sooner (gspool-backend(8)).
 */
static long
hold_ms(const struct backend *b)
{
	long long wire, busy;

	if (b->link.state != LINK_PRINTING || b->link.rtt_ms <= 0 ||
	    b->link.sent_n - b->link.acked_n < HOLD_LINES)
		return 0;
	wire = (long long)b->link.inflight_bytes * 10000 / b->baud;
	busy = b->link.rtt_ms - last_hold;
	if (wire < busy)
		busy = wire;
	busy = busy / 2 - 1;
	return busy >= HOLD_MIN_MS ? (long)busy : 0;
}

static void
hold(struct backend *b, long long now)
{
	long h;

	if (holding)
		return;		/* a hold is not made longer */
	if ((h = hold_ms(b)) == 0) {
		last_hold /= 2;	/* the round trips it stretched are past */
		return;
	}
	last_hold = h;
	holding = 1;
	ev_timer_at(hold_timer, now + last_hold);
	if (b->job.id != 0 && held_job != b->job.id) {
		held_job = b->job.id;
		log_info("%s-%ld: replies gathered for %ld ms (%zu bytes in"
		    " flight, round trip %ld ms)", b->printer, b->job.id,
		    last_hold, b->link.inflight_bytes, b->link.rtt_ms);
	}
}

/*
 * A turn with no poll.  While a job's lines are in flight and there is
 * nothing to do but wait for their replies, the port's blocking
 * descriptor is read at once (port.h): one system call where a poll and
 * a read are two, and most turns of a print are such.  Not while a hold
 * leaves the replies unread, bytes wait for room to be written, or a
 * timer falls due more than READ_LATE_MS before the read's longest wait
 * is over (the link's probe of a stalled printer is due that wait after
 * its last reply, and is no later for it); and a poll's turn comes at
 * least every POLL_EVERY_MS, so that spoold's messages, the signals and
 * the filters are heard at most that late while the printer talks, and
 * PORT_READ_WAIT_MS later while it is silent.
 * 1 if it read the printer's bytes (and took the link's turn), 0 if the
 * poll's turn is to come: now is no time for a read, or it found
 * nothing in its time (or the end of the line, which the poll tells).
 */
static int
read_turn(struct backend *b)
{
	const char *out;
	char buf[4096];
	long long now = ev_now(b->ev), due;	/* loop_prepare's */
	ssize_t n;

	if (b->port.rfd < 0 || holding || b->link.state != LINK_PRINTING ||
	    b->link.sent_n == b->link.acked_n ||
	    now - last_poll >= POLL_EVERY_MS ||
	    link_output(&b->link, &out) > 0)
		return 0;
	if ((due = ev_deadline(b->ev)) >= 0 &&
	    due - now < PORT_READ_WAIT_MS - READ_LATE_MS)
		return 0;
	n = read(b->port.rfd, buf, sizeof(buf));
	b->syscalls++;
	if (n <= 0)
		return 0;
	port_bytes(b, buf, (size_t)n, ev_now_update(b->ev));
	return 1;
}

static void
loop_init(struct backend *b)
{
	link_timer = ev_timer_new(b->ev, link_due, b);
	retry_timer = ev_timer_new(b->ev, retry_due, b);
	progress_timer = ev_timer_new(b->ev, progress_due, b);
	heaters_timer = ev_timer_new(b->ev, heaters_due, b);
	park_timer = ev_timer_new(b->ev, park_due, b);
	hold_timer = ev_timer_new(b->ev, hold_due, b);
	port_w.fd = ctl_w.fd = lis_w.fd = -1;
}

/*
 * Before a turn: the loop watches what the backend's state asks for.
 * 0 once spoold is gone and nothing runs (no job, no heaters to turn
 * off, no gpc send, no filter whose last words wait for a spoold).
 */
static int
loop_prepare(struct backend *b)
{
	const char *out;
	long long now = ev_now_update(b->ev);
	long t;
	int nf = 0, ev;

	if (b->ctl < 0 && b->job.id == 0)
		nf = filters_waiting(&b->filters);
	else
		filters_unwatch(&b->filters);
	if (b->ctl < 0 && b->job.id == 0 && b->heaters_at == 0 &&
	    !b->manual && nf == 0)
		return 0;
	if (b->port.fd >= 0) {
		/* Whatever woke the loop (spoold's word, a timer, the
		 * printer) may have given the link work. */
		link_tick(&b->link, now);
		link_turn(b, now);
	}
	if (b->port.fd >= 0 && b->reset_pending &&
	    link_output(&b->link, &out) == 0) {
		/* The printer halted: open the port again later. */
		b->reset_pending = 0;
		port_close(&b->port);
		link_close(&b->link);
		b->retry_at = now + b->reconnect_ms;
	}
	watch(b, &ctl_w, b->ctl, EV_READ, ctl_readable);
	watch(b, &lis_w, b->ctl < 0 ? b->listen_fd : -1, EV_READ,
	    lis_readable);
	if (b->port.fd < 0 || b->link.state != LINK_PRINTING) {
		holding = 0;
		last_hold = 0;
		ev_timer_stop(hold_timer);
	}
	ev = holding ? 0 : EV_READ;
	if (b->port.fd >= 0 && link_output(&b->link, &out) > 0)
		ev |= EV_WRITE;
	watch(b, &port_w, b->port.fd, ev | EV_HUP, port_readable);
	t = b->port.fd >= 0 ? link_timeout(&b->link, now) : -1;
	timer_until(link_timer, t >= 0, now + t);
	timer_until(retry_timer, b->port.fd < 0, b->retry_at);
	timer_until(progress_timer, b->job.id != 0 &&
	    b->job.last_progress != 0, now + PROGRESS_MS);
	timer_until(heaters_timer, b->heaters_at != 0, b->heaters_at);
	timer_until(park_timer, b->job.id != 0 && b->job.ctl == JC_PARKED,
	    b->job.park_deadline);
	return 1;
}

/* After a turn: progress not told yet, and the link's bytes out. */
static void
loop_after(struct backend *b)
{
	const char *out;
	long long now = ev_now(b->ev);
	size_t outlen;
	ssize_t n;

	/* The last lines acknowledged before a long wait (M109, a pause)
	 * are told too, not only with the next ack. */
	if (b->job.id != 0 && b->job.last_progress != 0 &&
	    b->job.acked + b->job.base_lines != b->job.progress_lines)
		job_progress(b, now, 0);
	if (b->port.fd < 0 || (outlen = link_output(&b->link, &out)) == 0)
		return;
	n = write(b->port.fd, out, outlen);
	b->syscalls++;
	if (n > 0) {
		link_output_done(&b->link, (size_t)n);
		hold(b, now);
	} else if (n < 0 && errno != EAGAIN && errno != EINTR)
		port_lost(b, strerror(errno));
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
	struct link_opts lo;
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
	b.port.fd = b.port.rfd = -1;
	b.job.fd = -1;
	filters_init(&b.filters, "");
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

	b.ev = ev_loop_new();
	b.filters.ev = b.ev;
	b.filters.printer = b.printer;
	if (ev_signal(b.ev, SIGTERM, on_signal, NULL) < 0 ||
	    ev_signal(b.ev, SIGINT, on_signal, NULL) < 0)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);
	loop_init(&b);

	while (!quit && loop_prepare(&b)) {
		if (!read_turn(&b)) {
			if (ev_turn(b.ev, -1) < 0)
				fatal("poll");
			b.syscalls++;
			last_poll = ev_now(b.ev);
		}
		loop_after(&b);
	}
	if (b.job.id != 0) {
		link_job_abort(&b.link);
		job_end(&b, "stopped", "the backend was stopped");
	}
	attach_close(&b);
	port_close(&b.port);
	filters_drop(&b.filters);
	ev_loop_free(b.ev);
	for (i = 0; i < SC_N; i++)
		free(b.script[i]);
	return 0;
}

