/*
 * gspool-vprinter - a virtual Marlin printer on a pseudo-terminal.
 *
 * It creates a pty, links its slave side at the path given, and answers
 * like Marlin, with what makes real links hard (gspool-vprinter(1) lists
 * all of it):
 *
 *  - the wire: bytes travel at a baud rate with a latency each way;
 *  - the receive buffer: RX_BUFFER_SIZE bytes, and a byte that arrives
 *    when it is full is lost, as Marlin loses it, and only then, however
 *    late this process runs (vp_receive());
 *  - the command queue: BUFSIZE lines; serial input is read only while
 *    a slot is free; line numbers and checksums are checked as Marlin
 *    does, with its exact errors, "Resend:", and the drain of the
 *    receive buffer after an error;
 *  - the planner: 16 moves, each taking its time from its distance and
 *    feedrate (scaled), so the "ok" of a move waits while it is full;
 *    a planner that runs dry while the host has not sent the next
 *    command is a stutter, and is counted;
 *  - heaters with a first-order model, M104/M109/M140/M190 with the
 *    1 Hz "W:" lines, busy keepalives, M155 auto-reports, ADVANCED_OK;
 *  - host prompts (--host-prompts): M600 parks and asks the host
 *    ("//action:prompt_begin Nozzle Parked"), and waits for M876 from
 *    the emergency parser; a filament runout on demand;
 *  - faults on demand: damaged bytes either way, lost or damaged "ok"s,
 *    spurious "Resend:", no "ok" after "Resend:", the silent drop of a
 *    duplicate line, a reset mid-job, kill(), thermal runaway, silence,
 *    a hang-up; and, not a fault of the line, a process that stops
 *    running now and then (--freeze-every).
 *
 * With --flavour klipper it answers as Klipper's pseudo-terminal does
 * instead (klipper-wire facts, gspool-vprinter(1)): no "start", no
 * checksums or line numbers checked, the name inside M115's "ok",
 * "ok B:x /y T0:x /y", bare temperature lines in M109, M190 and
 * TEMPERATURE_WAIT, a silent G28, "!! Must home axis first" and "ok"
 * for a command it drops, M112 acted on as it is read, PAUSE's
 * "// action:paused", RESPOND's messages (a macro's prompt), and a
 * shutdown (--shutdown-at, M112) after which
 * every line is answered with its message, "!!" and "ok", until a
 * FIRMWARE_RESTART (the command, or SIGUSR1) makes it Ready again.
 *
 * Every command it executes is appended, in order, to the log file
 * (protocol commands M105, M110, M115 and M155 excepted); on exit a one-line
 * JSON summary goes beside it.
 *
 * It runs on lib/event.c's loop, but a turn's wait is its own: the
 * model's next event (a byte's arrival, a line's, a move's end), to the
 * microsecond (ev_turn_us()), for the loop's timers count milliseconds
 * and a wait rounded up to one is 25 bytes' time at 250000 baud.
 *
 * Diagnostics on stderr; exit 0 on SIGTERM/SIGINT, 1 on setup errors,
 * 2 on bad usage.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "gcode.h"
#include "log.h"
#include "usage.h"
#include "util.h"

#define MAX_CMD_SIZE	96	/* Marlin: bytes of a line with the NUL */
#define MAX_BUFSIZE	64
#define MAX_PLANNER	128
#define WIRE_SIZE	(1 << 20)
#define MAX_FAULTS	64
#define KL_POS_MIN	-20.0	/* Klipper's position_min, mm */
#define KL_POS_MAX	600.0	/* and position_max */

typedef long long usec;

struct byteq {			/* bytes with the time each is due */
	unsigned char	*b;
	usec		*t;
	size_t		 head, len, cap;
};

struct cmd {
	long	n;		/* line number, or -1 if unnumbered */
	int	tail;		/* the rest of a line cut by a drain */
	char	text[MAX_CMD_SIZE];
};

struct opts {
	const char *unknown;	/* commands not built in: "M900,M73" */
	int	extended;	/* Klipper's NAME KEY=VALUE commands run */
	long	baud;		/* 0: no wire delay */
	long	latency_us;
	int	rx_size;
	int	bufsize;
	int	planner;
	double	time_scale;	/* 0: moves take no time */
	double	heat_tau;	/* seconds; 0: heaters jump */
	long	command_us;	/* extra time every command takes */
	int	busy_interval;	/* seconds; 0: no keepalives */
	int	ok_after_resend;
	int	silent_dups;
	int	advanced_ok;
	int	emergency;
	int	host_prompts;	/* M600 asks the host, M876 answers */
	long	runout_at;	/* the filament runs out after n commands */
	long	corrupt_in, corrupt_out, drop_ok, corrupt_ok;	/* 1 in N */
	int	corrupt_kind;	/* CK_* */
	int	burst;		/* bytes a fault damages, in a row */
	long	spurious_resend;				/* every N */
	long	reset_at, kill_at, runaway_at, silent_after, hangup_after;
	long	freeze_every;	/* commands between freezes */
	long	corrupt_line[MAX_FAULTS];
	int	ncorrupt_line;
	const char *firmware;
	int	klipper;	/* --flavour klipper */
	long	shutdown_at;	/* Klipper shuts down after n commands */
};

struct vp {
	struct opts	 o;
	int		 master;
	int		 connected;
	FILE		*log;

	struct byteq	 in;		/* host -> printer, on the wire */
	size_t		 in_line_start;	/* for damaging a whole line */
	usec		 in_last;
	unsigned char	 rx[65536];	/* the receive buffer */
	int		 rx_head, rx_len;
	struct byteq	 out;		/* printer -> host */
	usec		 out_last;

	/* Line assembler. */
	char		 line[MAX_CMD_SIZE];
	size_t		 len;
	int		 in_comment, overflow;

	long		 last_n;
	struct cmd	 q[MAX_BUFSIZE];
	int		 q_head, q_len;

	/* The command running, if it blocks. */
	int		 busy;		/* 0: none */
	struct cmd	 cur;
	usec		 busy_until;	/* G4/G28 time, or 0 */
	usec		 busy_since, next_keepalive, next_wait_line;

	/* Planner: end times of the moves queued. */
	usec		 plan_end[MAX_PLANNER];
	int		 plan_head, plan_len;
	int		 starved;	/* ran dry with nothing waiting */
	usec		 starved_at;	/* since then */
	int		 moved;		/* a move since the last M110 */
	double		 pos[4], feed;	/* X Y Z E, mm/min */
	int		 relative;

	double		 hotend, hotend_target, bed, bed_target;
	usec		 heat_at;
	int		 autoreport;	/* seconds */
	usec		 next_autoreport;

	/* A filament change waiting for the user (--host-prompts). */
	int		 change;	/* CH_* */
	int		 answer;	/* M876 S<n> heard, -1 none */
	int		 runout;	/* the filament ran out: a change next */

	int		 halted;	/* kill(): silent until reset */
	int		 hung;		/* --silent-after reached */
	long		 executed;	/* logged commands */
	long		 accepted;	/* numbered lines taken */
	long		 next_freeze;	/* --freeze-every: at this count */

	/* Counters for the summary. */
	unsigned long long bytes_in, bytes_out, rx_dropped;
	unsigned long	 errors, resends, underruns, oks_dropped;
	usec		 starved_us;	/* the planner dry, in all */
	unsigned long	 probe_errors;	/* the host's deliberate bad sum */
	unsigned long	 rx_overflows;	/* times bytes began to be lost */
	unsigned long	 rx_late;	/* times a late loop made room */
	int		 rx_full;	/* losing bytes now */
	unsigned long	 damaged_in, damaged_out;
	int		 stats_dirty;	/* a fault counter or a target changed */
	int		 cut;		/* the next line is a cut line's rest */
	unsigned long	 tails_run;	/* such rests run as commands */
	unsigned int	 seed;

	/* Klipper (--flavour klipper). */
	int		 kl_state;	/* KL_* */
	char		 kl_why[128];	/* the shutdown's reason */
	int		 kl_homed;	/* axes homed: 1 X, 2 Y, 4 Z */
	int		 kl_restart;	/* FIRMWARE_RESTART asked */
	usec		 kl_ready_at;	/* Ready again then */
	double		 kl_wait_min, kl_wait_max;	/* TEMPERATURE_WAIT */
	int		 kl_wait_bed;
	unsigned long	 kl_after_shutdown;	/* lines it refused since */
	unsigned long	 kl_dropped;	/* commands refused with "!!" */
};

enum { KL_READY, KL_SHUTDOWN, KL_RESTARTING };

static volatile sig_atomic_t quit;
static volatile sig_atomic_t restart_asked;	/* SIGUSR1 */
static const char *link_path;
static int listen_fd = -1;		/* tcp://: the bridge's socket */
static const char *port_file;		/* where the port chosen goes */

static void
on_signal(int sig)
{
	quit = sig;
}

static void
on_usr1(int sig)
{
	(void)sig;
	restart_asked = 1;
}

/* Do nothing for ms milliseconds (--freeze-every), unless told to quit. */
static void
freeze(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (!quit && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static usec
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (usec)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static unsigned
rnd(struct vp *vp)
{
	vp->seed = vp->seed * 1103515245u + 12345u;
	return (vp->seed >> 8) & 0xffffff;
}

/* One chance in n (n <= 0: never). */
static int
chance(struct vp *vp, long n)
{
	return n > 0 && rnd(vp) % (unsigned long)n == 0;
}

static void
q_init(struct byteq *q, size_t cap)
{
	q->b = xmalloc(cap);
	q->t = xmalloc(cap * sizeof(usec));
	q->head = q->len = 0;
	q->cap = cap;
}

static int
q_push(struct byteq *q, unsigned char c, usec t)
{
	size_t i;

	if (q->len == q->cap)
		return -1;
	i = (q->head + q->len) % q->cap;
	q->b[i] = c;
	q->t[i] = t;
	q->len++;
	return 0;
}

static void
q_pop(struct byteq *q)
{
	q->head = (q->head + 1) % q->cap;
	q->len--;
}

/* When the next byte may leave, at the baud rate (10 bits a byte). */
static usec
wire_time(const struct vp *vp, usec now, usec last)
{
	usec t = now + vp->o.latency_us;
	usec per = vp->o.baud > 0 ? 10000000LL / vp->o.baud : 0;

	return t > last + per ? t : last + per;
}

/* How a fault damages the bytes of a line. */
enum { CK_FLIP, CK_LOSE, CK_EXTRA, CK_HIGH, CK_MIXED };
static const char *const corrupt_kinds[] = { "flip", "lose", "extra",
    "high", "mixed" };

/* Damage line buf[0 .. *len - 1] (its newline included) in place, as
 * the fault kind says: a burst of vp->o.burst bytes from a random
 * place.  buf has room for vp->o.burst more bytes. */
static void
damage(struct vp *vp, unsigned char *buf, size_t *len)
{
	size_t at, k;
	int kind = vp->o.corrupt_kind, i;

	if (*len == 0)
		return;
	if (kind == CK_MIXED)
		kind = (int)(rnd(vp) % 4);
	at = rnd(vp) % *len;
	for (i = 0; i < vp->o.burst && *len > 0; i++) {
		if (at >= *len)
			at = *len - 1;
		switch (kind) {
		case CK_FLIP:
			buf[at] ^= (unsigned char)(1 << (rnd(vp) % 7));
			at++;
			break;
		case CK_HIGH:
			buf[at] |= 0x80;
			at++;
			break;
		case CK_LOSE:
			for (k = at; k + 1 < *len; k++)
				buf[k] = buf[k + 1];
			(*len)--;
			break;
		case CK_EXTRA:
			for (k = *len; k > at; k--)
				buf[k] = buf[k - 1];
			buf[at] = (unsigned char)(' ' + rnd(vp) % 95);
			(*len)++;
			at++;
			break;
		}
	}
}

/* Queue a reply line, damaged or dropped as the faults say. */
static void
vp_say(struct vp *vp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
vp_say(struct vp *vp, const char *fmt, ...)
{
	char buf[512 + 64];
	va_list ap;
	usec now = now_us();
	size_t len;
	int n, i;

	if (vp->hung || !vp->connected)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, 512 - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > 512 - 2)
		n = 512 - 2;
	if (strncmp(buf, "ok", 2) == 0) {
		if (chance(vp, vp->o.drop_ok)) {
			vp->oks_dropped++;
			return;
		}
		if (chance(vp, vp->o.corrupt_ok)) {
			buf[1] ^= (char)(1 << (rnd(vp) % 7));
			vp->damaged_out++;
		}
	}
	buf[n++] = '\n';
	if (n > 0 && chance(vp, vp->o.corrupt_out)) {
		len = (size_t)n;
		damage(vp, (unsigned char *)buf, &len);
		n = (int)len;
		vp->damaged_out++;
	}
	for (i = 0; i < n; i++) {
		vp->out_last = wire_time(vp, now, vp->out_last);
		if (q_push(&vp->out, (unsigned char)buf[i], vp->out_last) < 0)
			break;
	}
}

static void
vp_log(struct vp *vp, const char *cmd)
{
	fprintf(vp->log, "%s\n", cmd);
	fflush(vp->log);
}

static void
vp_temps(struct vp *vp, const char *prefix, const char *suffix)
{
	if (vp->o.klipper) {
		/* Sorted by gcode id: B, then T0; 0.0 once shut down. */
		int down = vp->kl_state == KL_SHUTDOWN;

		vp_say(vp, "%sB:%.1f /%.1f T0:%.1f /%.1f",
		    strncmp(prefix, "ok", 2) == 0 ? "ok " : "",
		    down ? 0.0 : vp->bed, vp->bed_target,
		    down ? 0.0 : vp->hotend, vp->hotend_target);
		return;
	}
	vp_say(vp, "%sT:%.2f /%.2f B:%.2f /%.2f @:0 B@:0%s", prefix, vp->hotend,
	    vp->hotend_target, vp->bed, vp->bed_target, suffix);
}

static void
vp_ok(struct vp *vp, long n)
{
	if (vp->o.advanced_ok && n >= 0)
		vp_say(vp, "ok N%ld P%d B%d", n, vp->o.planner - vp->plan_len,
		    vp->o.bufsize - vp->q_len);
	else if (vp->o.advanced_ok)
		vp_say(vp, "ok P%d B%d", vp->o.planner - vp->plan_len,
		    vp->o.bufsize - vp->q_len);
	else
		vp_say(vp, "ok");
}

/* The summary shows a heater's target from the moment it changes. */
static void
vp_set_target(struct vp *vp, double *target, double v)
{
	if (*target != v)
		vp->stats_dirty = 1;
	*target = v;
}

static void
vp_reset_state(struct vp *vp)
{
	vp->last_n = 0;
	vp->len = 0;
	vp->in_comment = vp->overflow = 0;
	vp->q_len = 0;
	vp->busy = 0;
	vp->plan_len = 0;
	vp->rx_len = 0;
	vp->halted = 0;
	vp->starved = 0;
	vp->moved = 0;
	vp->autoreport = 0;
	vp->change = 0;
	vp->runout = 0;
}

/* A reset, as a board boots: Marlin starts with every heater's target
 * at 0, whatever it was heating to before. */
static void
vp_boot(struct vp *vp)
{
	if (vp->o.klipper)
		return;		/* its host runs on: opening says nothing */
	vp_reset_state(vp);
	vp_set_target(vp, &vp->hotend_target, 0);
	vp_set_target(vp, &vp->bed_target, 0);
	vp_say(vp, "start");
	vp_say(vp, "echo:%s", vp->o.firmware);
	vp_say(vp, "echo: Last Updated: 2024-01-01 | Author: (gspool virtual printer)");
	vp_say(vp, "echo:SD card ok");
}

static void
vp_halt(struct vp *vp, const char *why)
{
	log_warnx("halted%s%s", why ? ": " : "", why ? why : "");
	if (why)
		vp_say(vp, "Error:%s", why);
	vp_say(vp, "Error:Printer halted. kill() called!");
	vp->halted = 1;
	vp->q_len = 0;
	vp->busy = 0;
	vp->plan_len = 0;
	vp->change = 0;
	vp->runout = 0;
}

/* ---- The planner ---- */

static void
plan_retire(struct vp *vp, usec now)
{
	while (vp->plan_len > 0 && vp->plan_end[vp->plan_head] <= now) {
		vp->plan_head = (vp->plan_head + 1) % MAX_PLANNER;
		vp->plan_len--;
		/* Dry, and the host has sent nothing that could run. */
		if (vp->plan_len == 0 && vp->q_len == 0 && !vp->busy &&
		    vp->rx_len == 0) {
			vp->starved = 1;
			vp->starved_at = vp->plan_end[(vp->plan_head +
			    MAX_PLANNER - 1) % MAX_PLANNER];
		}
	}
}

static double
word(const char *cmd, char letter, double dflt, int *found)
{
	double v;

	if (gcode_word(cmd, letter, &v)) {
		if (found)
			*found = 1;
		return v;
	}
	return dflt;
}

/* Add a move; its duration follows distance and feedrate. */
static void
plan_move(struct vp *vp, const char *cmd, usec now)
{
	static const char axes[] = "XYZE";
	double target[4], d = 0, dt;
	usec start, dur;
	int i, f = 0;

	vp->feed = word(cmd, 'F', vp->feed, NULL);
	for (i = 0; i < 4; i++) {
		int found = 0;
		double v = word(cmd, axes[i], 0, &found);

		target[i] = found ? (vp->relative ? vp->pos[i] + v : v) :
		    vp->pos[i];
		if (i < 3)
			d += (target[i] - vp->pos[i]) * (target[i] - vp->pos[i]);
		f |= found;
	}
	d = sqrt(d);
	if (d == 0)
		d = fabs(target[3] - vp->pos[3]);
	memcpy(vp->pos, target, sizeof(target));
	if (!f)
		return;
	dt = vp->feed > 0 ? d / (vp->feed / 60.0) : 0;
	dur = (usec)(dt * 1e6 * vp->o.time_scale);
	/* Moves that take no time cannot stutter. */
	if (vp->starved && vp->moved && vp->o.time_scale > 0) {
		vp->underruns++;
		vp->starved_us += now - vp->starved_at;
	}
	vp->starved = 0;
	vp->moved = 1;
	start = vp->plan_len > 0 ?
	    vp->plan_end[(vp->plan_head + vp->plan_len - 1) % MAX_PLANNER] :
	    now;
	vp->plan_end[(vp->plan_head + vp->plan_len) % MAX_PLANNER] =
	    start + dur;
	vp->plan_len++;
}

/* ---- Heaters ---- */

static void
heat(struct vp *vp, usec now)
{
	double dt = (double)(now - vp->heat_at) / 1e6, k;

	vp->heat_at = now;
	if (vp->o.heat_tau <= 0) {
		vp->hotend = vp->hotend_target > 25 ? vp->hotend_target : 25;
		vp->bed = vp->bed_target > 25 ? vp->bed_target : 25;
		return;
	}
	k = 1 - exp(-dt / vp->o.heat_tau);
	vp->hotend += ((vp->hotend_target > 25 ? vp->hotend_target : 25) -
	    vp->hotend) * k;
	vp->bed += ((vp->bed_target > 25 ? vp->bed_target : 25) - vp->bed) * k;
}

/* ---- Executing commands ---- */

enum {
	BUSY_NONE,
	BUSY_PLANNER_FULL,	/* a move waits for a free block */
	BUSY_SYNC,		/* M400/G28/G4: wait for the planner */
	BUSY_TIMER,		/* G28/G4: then wait this long */
	BUSY_HEAT,		/* M109/M190 */
	BUSY_USER,		/* M600: the host's answer to a prompt */
	BUSY_KL_WAIT,		/* Klipper's TEMPERATURE_WAIT */
};

static int	kl_start(struct vp *, struct cmd *, usec, int *);
static void	kl_finish(struct vp *, struct cmd *);
static int	kl_line(struct vp *, char *);
static int	kl_wait_done(struct vp *, usec);
static void	kl_timers(struct vp *, usec);

/* Where a filament change stands: Marlin's ADVANCED_PAUSE_FEATURE with
 * HOST_PROMPT_SUPPORT asks the host twice. */
enum { CH_NONE, CH_PARKED, CH_PURGE };

/* A host prompt, as Marlin's host_actions.cpp sends one: it ends the one
 * before, begins with the message, a line per button, and shows it. */
static void
vp_prompt(struct vp *vp, const char *msg, const char *b1, const char *b2)
{
	vp_say(vp, "//action:prompt_end");
	vp_say(vp, "//action:prompt_begin %s", msg);
	if (b1 != NULL)
		vp_say(vp, "//action:prompt_button %s", b1);
	if (b2 != NULL)
		vp_say(vp, "//action:prompt_button %s", b2);
	vp_say(vp, "//action:prompt_show");
}

/* M600 (or a runout's change): the printer pauses itself, parks, and
 * waits for the user, who answers the host's prompt. */
static int
vp_change_begin(struct vp *vp)
{
	log_info("filament change: waiting for the user");
	vp_say(vp, "//action:paused");
	vp_prompt(vp, "Nozzle Parked", "Continue", NULL);
	vp->change = CH_PARKED;
	vp->answer = -1;
	return BUSY_USER;
}

/* An answer to the change's prompt: 1 once the change is over. */
static int
vp_change_answer(struct vp *vp)
{
	int a = vp->answer;

	if (a < 0)
		return 0;
	vp->answer = -1;
	if (vp->change == CH_PARKED && a == 0) {
		/* Filament loaded and purged: more, or print on? */
		vp->change = CH_PURGE;
		vp_prompt(vp, "Paused", "PurgeMore", "Continue");
		return 0;
	}
	if (vp->change == CH_PURGE && a == 0) {
		log_info("filament change: purging more");
		vp_prompt(vp, "Paused", "PurgeMore", "Continue");
		return 0;
	}
	if (vp->change == CH_PURGE && a == 1) {
		vp->change = CH_NONE;
		vp_say(vp, "//action:prompt_end");
		vp_say(vp, "//action:resumed");
		log_info("filament change: resumed");
		return 1;
	}
	log_info("filament change: answer %d ignored", a);
	return 0;
}

/* M876 S<n>, the host's answer. */
static void
vp_m876(struct vp *vp, const char *text)
{
	const char *s = strchr(text, 'S');
	char *end;
	long v;

	if (s == NULL)
		return;
	v = strtol(s + 1, &end, 10);
	if (end == s + 1 || v < 0 || v > 9)
		return;
	fprintf(vp->log, "M876 S%ld\n", v);
	fflush(vp->log);
	log_info("M876 S%ld: the host answers the prompt", v);
	if (vp->change != CH_NONE)
		vp->answer = (int)v;
}

static int
is_protocol(char letter, long code)
{
	return letter == 'M' && (code == 105 || code == 110 || code == 115 ||
	    code == 155);
}

static void
fault_check(struct vp *vp)
{
	if (vp->o.reset_at > 0 && vp->executed == vp->o.reset_at) {
		vp->o.reset_at = 0;
		vp_boot(vp);
	} else if (vp->o.kill_at > 0 && vp->executed == vp->o.kill_at) {
		vp->o.kill_at = 0;
		vp_say(vp, "echo:M112 Shutdown");
		vp_halt(vp, NULL);
	} else if (vp->o.runaway_at > 0 &&
	    vp->executed == vp->o.runaway_at) {
		vp->o.runaway_at = 0;
		vp_halt(vp, "Thermal Runaway, system stopped! Heater_ID: bed");
	} else if (vp->o.runout_at > 0 && vp->executed == vp->o.runout_at) {
		/* The sensor trips: the prompt says so, and the change its
		 * runout script (M600) runs comes before the next command. */
		vp->o.runout_at = 0;
		log_info("filament runout");
		vp_say(vp, "//action:prompt_end");
		vp_say(vp, "//action:prompt_begin FilamentRunout T0");
		vp_say(vp, "//action:prompt_show");
		vp->runout = 1;
	} else if (vp->o.silent_after >= 0 &&
	    vp->executed >= vp->o.silent_after) {
		/* Until a reset: the host opening the port again. */
		vp->o.silent_after = -1;
		vp->hung = 1;
	}
}

/* A command this firmware was built without (--unknown M900,M73):
 * Marlin answers it as it answers a word it does not know. */
static int
is_unknown(const struct vp *vp, char letter, long code)
{
	const char *p = vp->o.unknown;
	char *end;

	while (p != NULL && *p != '\0') {
		if (toupper((unsigned char)p[0]) == letter &&
		    strtol(p + 1, &end, 10) == code && end != p + 1 &&
		    (*end == ',' || *end == '\0'))
			return 1;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

/* Start a command; returns 1 if it blocks (its ok comes later). */
static int
vp_start(struct vp *vp, struct cmd *c, usec now)
{
	char letter = c->text[0];
	long code = strtol(c->text + 1, NULL, 10);
	double v;
	int kb;

	if (vp->o.klipper && kl_start(vp, c, now, &kb))
		return kb;
	/* Marlin runs G, M and T commands; anything else (a line whose N
	 * word was damaged on the wire, say) is unknown: it does nothing,
	 * and still earns an "ok". */
	/* Klipper runs its extended commands and macros on the host: as
	 * far as the wire goes they earn an "ok" (and are not logged: what
	 * a macro does is the printer's configuration, not the job). */
	if (vp->o.extended && isalpha((unsigned char)c->text[0]) &&
	    (isalpha((unsigned char)c->text[1]) || c->text[1] == '_'))
		return BUSY_NONE;
	if ((letter != 'G' && letter != 'M' && letter != 'T') ||
	    is_unknown(vp, letter, code)) {
		vp_say(vp, "echo:Unknown command: \"%s\"", c->text);
		return BUSY_NONE;
	}
	/* M876 with an emergency parser: the parser acted on it as it
	 * arrived; from the queue it does nothing. */
	if (letter == 'M' && code == 876 && vp->o.emergency)
		return BUSY_NONE;
	if (letter == 'M' && code == 876) {
		vp_m876(vp, c->text);
		return BUSY_NONE;
	}
	if (!is_protocol(letter, code)) {
		vp_log(vp, c->text);
		vp->executed++;
		if (c->tail) {
			vp->tails_run++;
			vp->stats_dirty = 1;
			log_info("ran the rest of a line cut by a drain: %s",
			    c->text);
		}
	}
	if (vp->o.command_us > 0)
		usleep((useconds_t)vp->o.command_us);
	if (letter == 'G' && code >= 0 && code <= 3) {
		if (vp->plan_len >= vp->o.planner)
			return BUSY_PLANNER_FULL;
		plan_move(vp, c->text, now);
		return BUSY_NONE;
	}
	if (letter == 'G') {
		switch (code) {
		case 4:
			vp->busy_until = (usec)(word(c->text, 'P', 0, NULL) * 1000 +
			    word(c->text, 'S', 0, NULL) * 1e6) *
			    (vp->o.time_scale > 0 ? 1 : 0);
			return BUSY_SYNC;
		case 28:
			vp->busy_until = (usec)(2e6 * vp->o.time_scale);
			memset(vp->pos, 0, sizeof(double) * 3);
			return BUSY_SYNC;
		case 90:
			vp->relative = 0;
			break;
		case 91:
			vp->relative = 1;
			break;
		case 92: {
			static const char axes[] = "XYZE";
			int i, found;

			for (i = 0; i < 4; i++) {
				found = 0;
				v = word(c->text, axes[i], 0, &found);
				if (found)
					vp->pos[i] = v;
			}
			break;
		}
		default:
			break;
		}
		return BUSY_NONE;
	}
	if (letter == 'M') {
		switch (code) {
		case 104: case 109:
			if (gcode_word(c->text, 'S', &v) ||
			    gcode_word(c->text, 'R', &v))
				vp_set_target(vp, &vp->hotend_target, v);
			return code == 109 ? BUSY_HEAT : BUSY_NONE;
		case 140: case 190:
			if (gcode_word(c->text, 'S', &v) ||
			    gcode_word(c->text, 'R', &v))
				vp_set_target(vp, &vp->bed_target, v);
			return code == 190 ? BUSY_HEAT : BUSY_NONE;
		case 400:
			vp->busy_until = 0;
			return BUSY_SYNC;
		case 600:
			if (vp->o.host_prompts)
				return vp_change_begin(vp);
			break;
		case 114:
			/* Where the planned moves take the head, as Marlin's
			 * current_position. */
			vp_say(vp, "X:%.2f Y:%.2f Z:%.2f E:%.2f Count X:%ld Y:%ld"
			    " Z:%ld", vp->pos[0], vp->pos[1], vp->pos[2],
			    vp->pos[3], (long)(vp->pos[0] * 80),
			    (long)(vp->pos[1] * 80), (long)(vp->pos[2] * 400));
			break;
		case 110:
			if (gcode_word(c->text, 'N', &v))
				vp->last_n = (long)v;
			vp->starved = 0;
			vp->moved = 0;
			break;
		case 112:
			vp_say(vp, "echo:M112 Shutdown");
			vp_halt(vp, NULL);
			return -1;
		case 155:
			vp->autoreport = (int)word(c->text, 'S', 0, NULL);
			vp->next_autoreport = now + (usec)vp->autoreport * 1000000;
			break;
		case 115:
			vp_say(vp, "FIRMWARE_NAME:%s SOURCE_CODE_URL:"
			    "github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0"
			    " MACHINE_TYPE:gspool-vprinter EXTRUDER_COUNT:1"
			    " UUID:cede2a2f-41a2-4748-9b12-c55c62f367ff",
			    vp->o.firmware);
			vp_say(vp, "Cap:SERIAL_XON_XOFF:0");
			vp_say(vp, "Cap:EEPROM:0");
			vp_say(vp, "Cap:AUTOREPORT_TEMP:1");
			vp_say(vp, "Cap:PROGRESS:0");
			vp_say(vp, "Cap:PRINT_JOB:1");
			vp_say(vp, "Cap:EMERGENCY_PARSER:%d", vp->o.emergency);
			vp_say(vp, "Cap:PROMPT_SUPPORT:%d", vp->o.host_prompts);
			break;
		default:
			break;
		}
		return BUSY_NONE;
	}
	return BUSY_NONE;
}

static void
vp_finish(struct vp *vp, struct cmd *c)
{
	char letter = c->text[0];
	long code = strtol(c->text + 1, NULL, 10);

	if (vp->o.klipper) {
		kl_finish(vp, c);
		return;
	}
	if (letter == 'M' && code == 105)
		vp_temps(vp, "ok ", "");
	else
		vp_ok(vp, c->n);
	if (vp->o.spurious_resend > 0 && c->n > 0 &&
	    c->n % vp->o.spurious_resend == 0) {
		/* Ask again for a line already taken. */
		vp->errors++;
		vp->resends++;
		vp->stats_dirty = 1;
		vp_say(vp, "Resend: %ld", vp->last_n);
		if (vp->o.ok_after_resend)
			vp_say(vp, "ok");
	}
	fault_check(vp);
}

/* Try to finish the blocking command. */
static void
vp_unblock(struct vp *vp, usec now)
{
	switch (vp->busy) {
	case BUSY_PLANNER_FULL:
		if (vp->plan_len >= vp->o.planner)
			return;
		plan_move(vp, vp->cur.text, now);
		break;
	case BUSY_SYNC:
		if (vp->plan_len > 0)
			return;
		if (vp->busy_until > 0) {
			vp->busy_until += now;
			vp->busy = BUSY_TIMER;
			return;
		}
		break;
	case BUSY_TIMER:
		if (now < vp->busy_until)
			return;
		break;
	case BUSY_USER:
		if (!vp_change_answer(vp))
			return;
		if (vp->cur.n == -2) {
			/* A runout's change: no command of the host's. */
			vp->busy = BUSY_NONE;
			return;
		}
		break;
	case BUSY_KL_WAIT:
		if (!kl_wait_done(vp, now))
			return;
		break;
	case BUSY_HEAT:
		heat(vp, now);
		if (fabs(vp->hotend - vp->hotend_target) > 1 &&
		    vp->hotend < vp->hotend_target)
			return;
		if (fabs(vp->bed - vp->bed_target) > 1 &&
		    vp->bed < vp->bed_target)
			return;
		break;
	default:
		return;
	}
	vp->busy = BUSY_NONE;
	vp_finish(vp, &vp->cur);
}

static void
vp_execute(struct vp *vp, usec now)
{
	while (!vp->halted && !vp->hung) {
		if (vp->busy) {
			vp_unblock(vp, now);
			if (vp->busy)
				return;
			continue;
		}
		if (vp->runout) {
			vp->runout = 0;
			memset(&vp->cur, 0, sizeof(vp->cur));
			vp->cur.n = -2;
			snprintf(vp->cur.text, sizeof(vp->cur.text), "M600");
			vp->busy = vp_change_begin(vp);
			vp->busy_since = now;
			vp->next_keepalive = now +
			    (usec)vp->o.busy_interval * 1000000;
			continue;
		}
		if (vp->q_len == 0)
			return;
		vp->cur = vp->q[vp->q_head];
		vp->q_head = (vp->q_head + 1) % MAX_BUFSIZE;
		vp->q_len--;
		vp->busy = vp_start(vp, &vp->cur, now);
		if (vp->busy < 0) {
			vp->busy = 0;
			return;
		}
		vp->busy_since = now;
		vp->next_keepalive = now + (usec)vp->o.busy_interval * 1000000;
		vp->next_wait_line = now + 1000000;
		if (!vp->busy)
			vp_finish(vp, &vp->cur);
	}
}

/* ---- Klipper's pseudo-terminal (--flavour klipper) ---- */

/* Klipper's defaults where Marlin's were left: its host queues 20 lines
 * and the pty's buffer holds the rest (nothing is lost), no busy
 * keepalives, no emergency parser of bytes (M112 is acted on as a line
 * is read), and its extended commands run. */
static void
kl_flavour(struct opts *o)
{
	o->extended = 1;
	o->busy_interval = 0;
	o->emergency = 0;
	o->advanced_ok = 0;
	o->host_prompts = 0;
	if (o->bufsize == 4)
		o->bufsize = 20;
	if (o->rx_size == 128)
		o->rx_size = 65536;
	if (strncmp(o->firmware, "Marlin", 6) == 0)
		o->firmware = "v0.12.0-gspool-vprinter";
}

/* What every line but a few is answered with once shut down
 * (error_mcu.py's hint, then the state, then the error). */
static void
kl_shutdown_message(struct vp *vp)
{
	vp_say(vp, "// %s", vp->kl_why);
	vp_say(vp, "// Once the underlying issue is corrected, use the");
	vp_say(vp, "// \"FIRMWARE_RESTART\" command to reset the firmware,"
	    " reload the");
	vp_say(vp, "// config, and restart the host software.");
	vp_say(vp, "// Printer is shutdown");
	vp_say(vp, "!! %s", vp->kl_why);
}

static void
kl_not_ready_message(struct vp *vp)
{
	vp_say(vp, "// Printer is not ready");
	vp_say(vp, "// The klippy host software is attempting to connect."
	    "  Please");
	vp_say(vp, "// retry in a few moments.");
	vp_say(vp, "!! Printer is not ready");
}

static void
kl_shutdown(struct vp *vp, const char *why)
{
	if (vp->kl_state == KL_SHUTDOWN)
		return;
	log_warnx("Klipper shut down: %s", why);
	snprintf(vp->kl_why, sizeof(vp->kl_why), "%s", why);
	vp->kl_state = KL_SHUTDOWN;
	vp->plan_len = 0;
	vp->stats_dirty = 1;
	vp_say(vp, "// Klipper state: Shutdown");
	if (vp->busy) {
		/* The command that was running ends with the error. */
		vp->busy = BUSY_NONE;
		kl_shutdown_message(vp);
		vp_say(vp, "ok");
	}
}

/* FIRMWARE_RESTART: Disconnect, then Ready a moment later, with nothing
 * homed and every heater off. */
static void
kl_timers(struct vp *vp, usec now)
{
	if (restart_asked || vp->kl_restart) {
		restart_asked = 0;
		vp->kl_restart = 0;
		log_info("FIRMWARE_RESTART");
		vp_say(vp, "// Klipper state: Disconnect");
		vp->kl_state = KL_RESTARTING;
		vp->kl_ready_at = now + (usec)(1600000 * vp->o.time_scale);
		vp->busy = BUSY_NONE;
		vp->plan_len = 0;
		vp->stats_dirty = 1;
	}
	if (vp->kl_state == KL_RESTARTING && now >= vp->kl_ready_at) {
		vp->kl_state = KL_READY;
		vp->kl_homed = 0;
		vp_set_target(vp, &vp->hotend_target, 0);
		vp_set_target(vp, &vp->bed_target, 0);
		vp->stats_dirty = 1;
		vp_say(vp, "// Klipper state: Ready");
	}
}

/* A line as gcode.py takes it: a leading N<n> skipped, a checksum
 * never checked (the '*' and what follows are a parameter Klipper
 * ignores), M112 acted on as it is read. */
static int
kl_line(struct vp *vp, char *s)
{
	struct cmd *c;
	char *p, *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if ((*s == 'N' || *s == 'n') && isdigit((unsigned char)s[1])) {
		for (s++; isdigit((unsigned char)*s); s++)
			;
		while (*s == ' ')
			s++;
	}
	if ((p = strrchr(s, '*')) != NULL) {
		strtol(p + 1, &end, 10);
		if (end != p + 1 && *end == '\0')
			*p = '\0';
	}
	for (end = s + strlen(s); end > s && (end[-1] == ' ' ||
	    end[-1] == '\t'); end--)
		end[-1] = '\0';
	if (*s == '\0')
		return 0;
	if ((s[0] == 'M' || s[0] == 'm') && strncmp(s + 1, "112", 3) == 0 &&
	    (s[4] == '\0' || s[4] == ' '))
		kl_shutdown(vp, "Shutdown due to M112 command");
	vp->accepted++;
	c = &vp->q[(vp->q_head + vp->q_len) % MAX_BUFSIZE];
	c->n = -1;
	c->tail = 0;
	snprintf(c->text, sizeof(c->text), "%s", s);
	vp->q_len++;
	return 0;
}

/* The command's name, upper case: "G1", "STATUS". */
static void
kl_name(const char *text, char *name, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && text[i] != '\0' && text[i] != ' ' &&
	    text[i] != '\t'; i++)
		name[i] = (char)toupper((unsigned char)text[i]);
	name[i] = '\0';
	if (name[0] != '\0' && isdigit((unsigned char)name[1])) {
		/* "G1X10" is G1's. */
		for (i = 1; isdigit((unsigned char)name[i]) || name[i] == '.';
		    i++)
			;
		name[i] = '\0';
	}
}

/* Lines answered even while shut down or connecting (gcode.py). */
static int
kl_always(const char *name)
{
	static const char *const always[] = { "M110", "M112", "M115",
	    "M105", "RESTART", "FIRMWARE_RESTART", "ECHO", "STATUS", "HELP" };
	size_t i;

	for (i = 0; i < nitems(always); i++)
		if (strcmp(name, always[i]) == 0)
			return 1;
	return 0;
}

/* KEY=value of an extended command, as a number. */
static int
kl_param(const char *text, const char *key, double *v)
{
	size_t n = strlen(key);
	const char *p = text;
	char *end;

	while ((p = strchr(p, ' ')) != NULL) {
		p++;
		if (strncasecmp(p, key, n) == 0 && p[n] == '=') {
			*v = strtod(p + n + 1, &end);
			return end != p + n + 1;
		}
	}
	return 0;
}

static int
kl_wait_done(struct vp *vp, usec now)
{
	double t;

	heat(vp, now);
	t = vp->kl_wait_bed ? vp->bed : vp->hotend;
	return t >= vp->kl_wait_min && t <= vp->kl_wait_max;
}

/* RESPOND [TYPE=echo|command|error] MSG="...": the message after
 * "echo:", "//" or "!!", as Klipper's respond module says it (a macro's
 * prompt is "// action:prompt_begin ..."). */
static void
kl_respond(struct vp *vp, const char *text)
{
	const char *t = strcasestr(text, " TYPE="), *m = strcasestr(text,
	    " MSG="), *prefix = "echo:";
	size_t n;

	if (t != NULL && strncasecmp(t + 6, "command", 7) == 0)
		prefix = "//";
	else if (t != NULL && strncasecmp(t + 6, "error", 5) == 0)
		prefix = "!!";
	if (m == NULL) {
		vp_say(vp, "%s", prefix);
		return;
	}
	m += 5;
	if (*m == '"') {
		m++;
		n = strcspn(m, "\"");
	} else
		n = strcspn(m, " ");
	vp_say(vp, "%s %.*s", prefix, (int)n, m);
}

/* STATUS, restarts, PAUSE/RESUME/CANCEL_PRINT, TEMPERATURE_WAIT,
 * RESPOND; any other name is a macro of the printer's configuration,
 * which (as a PRINT_START does) homes the axes. */
static int
kl_extended(struct vp *vp, struct cmd *c, const char *name)
{
	double v;

	if (strcmp(name, "RESPOND") == 0) {
		kl_respond(vp, c->text);
		return BUSY_NONE;
	}

	if (strcmp(name, "STATUS") == 0) {
		if (vp->kl_state == KL_READY) {
			vp_say(vp, "// Klipper state: Ready");
			return BUSY_NONE;
		}
		if (vp->kl_state == KL_SHUTDOWN) {
			vp_say(vp, "// %s", vp->kl_why);
			vp_say(vp, "// Klipper state: Not ready");
			vp_say(vp, "!! %s", vp->kl_why);
		} else {
			vp_say(vp, "// The klippy host software is attempting"
			    " to connect.  Please");
			vp_say(vp, "// Klipper state: Not ready");
			vp_say(vp, "!! The klippy host software is attempting"
			    " to connect.  Please");
		}
		return BUSY_NONE;
	}
	if (strcmp(name, "FIRMWARE_RESTART") == 0 ||
	    strcmp(name, "RESTART") == 0) {
		vp->kl_restart = 1;	/* after its "ok" */
		return BUSY_NONE;
	}
	if (strcmp(name, "PAUSE") == 0)
		vp_say(vp, "// action:paused");
	else if (strcmp(name, "RESUME") == 0)
		vp_say(vp, "// action:resumed");
	else if (strcmp(name, "CANCEL_PRINT") == 0)
		vp_say(vp, "// action:cancel");
	else if (strcmp(name, "TEMPERATURE_WAIT") == 0) {
		vp->kl_wait_bed = strstr(c->text, "heater_bed") != NULL ||
		    strstr(c->text, "HEATER_BED") != NULL;
		vp->kl_wait_min = kl_param(c->text, "MINIMUM", &v) ? v : -1e9;
		vp->kl_wait_max = kl_param(c->text, "MAXIMUM", &v) ? v : 1e9;
		if (vp->kl_wait_min < -1e8 && vp->kl_wait_max > 1e8) {
			vp_say(vp, "!! Error on 'TEMPERATURE_WAIT': missing"
			    " MINIMUM or MAXIMUM.");
			return BUSY_NONE;
		}
		return BUSY_KL_WAIT;
	} else if (strcmp(name, "SET_HEATER_TEMPERATURE") == 0 &&
	    kl_param(c->text, "TARGET", &v)) {
		if (strstr(c->text, "heater_bed") != NULL)
			vp_set_target(vp, &vp->bed_target, v);
		else
			vp_set_target(vp, &vp->hotend_target, v);
	} else if (strcmp(name, "ECHO") != 0 && strcmp(name, "HELP") != 0)
		vp->kl_homed = 7;
	return BUSY_NONE;
}

/* A command Klipper refuses: it is dropped, and the "ok" follows. */
static void
kl_refuse(struct vp *vp, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
kl_refuse(struct vp *vp, const char *hint, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info("refused: %s", buf);
	vp->kl_dropped++;
	vp->stats_dirty = 1;
	if (hint != NULL)
		vp_say(vp, "// %s", hint);
	vp_say(vp, "!! %s", buf);
}

/* A move's checks (kinematics/cartesian.py, extruder.py): the axes it
 * moves must be homed, and the hotend hot enough to extrude (checked
 * when the heaters take time, --heat-time).  1 if refused. */
static int
kl_check_move(struct vp *vp, const char *text)
{
	static const char axes[] = "XYZE";
	double to[4], v;
	int i, found, moves = 0;

	for (i = 0; i < 4; i++) {
		found = 0;
		v = word(text, axes[i], 0, &found);
		to[i] = !found ? vp->pos[i] : vp->relative ? vp->pos[i] + v : v;
		if (i < 3 && to[i] != vp->pos[i] && !(vp->kl_homed & (1 << i)))
			moves = 1;
	}
	if (moves) {
		kl_refuse(vp, NULL, "Must home axis first: %.3f %.3f %.3f"
		    " [%.3f]", to[0], to[1], to[2], to[3]);
		return 1;
	}
	/* A printer's limits, taken wide: no slicer's output is refused. */
	for (i = 0; i < 3; i++)
		if (to[i] != vp->pos[i] && (to[i] < KL_POS_MIN ||
		    to[i] > KL_POS_MAX)) {
			kl_refuse(vp, NULL, "Move out of range: %.3f %.3f %.3f"
			    " [%.3f]", to[0], to[1], to[2], to[3]);
			return 1;
		}
	if (vp->o.heat_tau > 0 && to[3] != vp->pos[3] && vp->hotend < 170) {
		kl_refuse(vp, "See the 'min_extrude_temp' config option for"
		    " details", "Extrude below minimum temp");
		return 1;
	}
	return 0;
}

/* Klipper's side of starting a command: 1 if it took it (its busy kind
 * in *busy), 0 to run it as any printer runs G-code. */
static int
kl_start(struct vp *vp, struct cmd *c, usec now, int *busy)
{
	char name[48];
	long code;

	(void)now;
	*busy = BUSY_NONE;
	kl_name(c->text, name, sizeof(name));
	if (vp->kl_state != KL_READY && !kl_always(name)) {
		if (vp->kl_state == KL_SHUTDOWN) {
			vp->kl_after_shutdown++;
			vp->stats_dirty = 1;
			kl_shutdown_message(vp);
		} else
			kl_not_ready_message(vp);
		return 1;
	}
	if (strcmp(name, "M110") == 0 || strcmp(name, "M112") == 0 ||
	    strcmp(name, "M115") == 0 || strcmp(name, "M105") == 0)
		return 1;		/* answered in kl_finish() */
	if (isalpha((unsigned char)name[0]) && !isdigit((unsigned char)name[1])) {
		*busy = kl_extended(vp, c, name);
		return 1;
	}
	code = strtol(name + 1, NULL, 10);
	if ((name[0] != 'G' && name[0] != 'M' && name[0] != 'T') ||
	    is_unknown(vp, name[0], code) || (name[0] == 'M' && code == 155)) {
		vp_say(vp, "// Unknown command:\"%s\"", name);
		return 1;
	}
	if (name[0] == 'G' && code == 28) {
		int mask = (strchr(c->text, 'X') ? 1 : 0) |
		    (strchr(c->text, 'Y') ? 2 : 0) | (strchr(c->text, 'Z') ? 4 : 0);

		vp->kl_homed |= mask ? mask : 7;
	}
	if (name[0] == 'G' && (code == 0 || code == 1) &&
	    kl_check_move(vp, c->text))
		return 1;
	if (name[0] == 'M' && (code == 18 || code == 84))
		vp->kl_homed = 0;	/* motors off: homed no more */
	return 0;
}

/* Its "ok": with the name for M115, the temperatures for M105. */
static void
kl_finish(struct vp *vp, struct cmd *c)
{
	char name[48];

	kl_name(c->text, name, sizeof(name));
	if (strcmp(name, "M115") == 0)
		vp_say(vp, "ok FIRMWARE_NAME:Klipper FIRMWARE_VERSION:%s",
		    vp->o.firmware);
	else if (strcmp(name, "M105") == 0)
		vp_temps(vp, "ok ", "");
	else
		vp_say(vp, "ok");
	if (vp->kl_state == KL_READY && vp->o.shutdown_at > 0 &&
	    vp->executed >= vp->o.shutdown_at) {
		vp->o.shutdown_at = 0;
		kl_shutdown(vp, "MCU 'mcu' shutdown: Stepper too far in past");
	}
}

/* ---- Receiving ---- */

static void
vp_error(struct vp *vp, const char *what, int probe)
{
	vp->errors++;
	vp->resends++;
	vp->probe_errors += probe;
	vp->stats_dirty = 1;
	if (!probe)
		log_info("error: %s, Last Line: %ld", what, vp->last_n);
	vp_say(vp, "Error:%s, Last Line: %ld", what, vp->last_n);
	/* Marlin drains what is pending, then asks.  A line half
	 * arrived is cut: its rest comes as a line of its own, without
	 * its N word, and runs unchecked if it begins with a command. */
	if (vp->rx_len > 0) {
		char last = (char)vp->rx[(vp->rx_head + vp->rx_len - 1) %
		    (int)sizeof(vp->rx)];

		if (last != '\n' && last != '\r')
			vp->cut = 1;
	}
	vp->rx_len = 0;
	vp_say(vp, "Resend: %ld", vp->last_n + 1);
	if (vp->o.ok_after_resend)
		vp_say(vp, "ok");
}

static int
fault_corrupt_line(struct vp *vp, long n)
{
	int i;

	for (i = 0; i < vp->o.ncorrupt_line; i++) {
		if (vp->o.corrupt_line[i] == n) {
			vp->o.corrupt_line[i] = -1;	/* once */
			return 1;
		}
	}
	return 0;
}

/* A whole line arrived, comment gone.  Returns 1 if it ended in an
 * error (the receive buffer was drained). */
static int
vp_line(struct vp *vp, char *s)
{
	struct cmd *c;
	char *star, *p, *end;
	long n = -1;
	unsigned cs;
	int tail = vp->cut;

	if (vp->o.klipper)
		return kl_line(vp, s);
	vp->cut = 0;
	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;		/* blank: no ok, no error */
	if (*s == 'N') {
		n = strtol(s + 1, &end, 10);
		if (strstr(s, "M110") != NULL) {
			/* The new number is a second N past the first four
			 * bytes; no continuity check for such a line. */
			p = strlen(s) > 4 ? strchr(s + 4, 'N') : NULL;
			if (p != NULL)
				n = strtol(p + 1, NULL, 10);
		} else if (vp->o.silent_dups &&
		    (n == vp->last_n || n == vp->last_n - 1)) {
			return 0;	/* already in transit: dropped */
		} else if (n != vp->last_n + 1) {
			vp_error(vp, "Line Number is not Last Line Number+1", 0);
			return 1;
		}
		if ((star = strrchr(s, '*')) == NULL) {
			vp_error(vp, "No Checksum with line number", 0);
			return 1;
		}
		cs = (unsigned)strtoul(star + 1, NULL, 10);
		if (fault_corrupt_line(vp, n)) {
			vp_error(vp, "checksum mismatch", 0);
			return 1;
		}
		if (cs != gcode_checksum(s, (size_t)(star - s))) {
			/* gspool's handshake sends "N1 M115" with a wrong
			 * sum on purpose, to see what follows "Resend:";
			 * that one is counted apart. */
			vp_error(vp, "checksum mismatch", n == 1 &&
			    strncmp(end, " M115*", 6) == 0);
			return 1;
		}
		vp->last_n = n;
		vp->accepted++;
		/* As Marlin: the sum covers what comes before the last '*',
		 * the command ends at the first.  A line whose newline was
		 * damaged into the next and whose sum still matches (1 in
		 * 256) runs as itself; the next line is asked for again. */
		*strchr(s, '*') = '\0';
		s = end;	/* the parser drops the N word */
		while (*s == ' ')
			s++;
	}
	for (end = s + strlen(s); end > s && end[-1] == ' '; end--)
		end[-1] = '\0';
	if (*s == '\0')
		return 0;
	c = &vp->q[(vp->q_head + vp->q_len) % MAX_BUFSIZE];
	c->n = n;
	c->tail = tail;
	snprintf(c->text, sizeof(c->text), "%s", s);
	vp->q_len++;
	return 0;
}

/* The emergency parser sees every byte as it arrives. */
static void
vp_emergency(struct vp *vp, unsigned char c)
{
	static char buf[16];
	static size_t n;

	if (c == '\n' || c == '\r') {
		buf[n] = '\0';
		if (strstr(buf, "M112") != NULL) {
			log_warnx("M112 from the emergency parser");
			vp_say(vp, "echo:M112 Shutdown");
			vp_halt(vp, NULL);
		} else if (strstr(buf, "M876") != NULL) {
			vp_m876(vp, strstr(buf, "M876"));
		} else if (strstr(buf, "M108") != NULL &&
		    vp->busy == BUSY_HEAT) {
			vp->busy = BUSY_NONE;
			vp_finish(vp, &vp->cur);
		}
		n = 0;
	} else if (n < sizeof(buf) - 1)
		buf[n++] = (char)c;
}

/* Read the receive buffer into commands while the command queue has
 * room, as Marlin's main loop (and idle()) does.  The command running
 * keeps its slot until it is done. */
static void
vp_take(struct vp *vp)
{
	while (!vp->halted && vp->rx_len > 0 &&
	    vp->q_len + (vp->busy ? 1 : 0) < vp->o.bufsize) {
		char c = (char)vp->rx[vp->rx_head];

		vp->rx_head = (vp->rx_head + 1) % (int)sizeof(vp->rx);
		vp->rx_len--;
		if (c == '\n' || c == '\r') {
			vp->line[vp->len] = '\0';
			vp->len = 0;
			vp->in_comment = vp->overflow = 0;
			vp_line(vp, vp->line);
			continue;
		}
		if (c == ';')
			vp->in_comment = 1;
		if (vp->in_comment || vp->overflow)
			continue;
		if (vp->len >= MAX_CMD_SIZE - 1) {
			vp->overflow = 1;	/* the rest is lost */
			continue;
		}
		vp->line[vp->len++] = c;
	}
}

/* Move the bytes that have arrived by now into the receive buffer, each
 * at its time on the wire, and read them into commands.
 *
 * A board's UART takes every byte when it arrives, and its main loop
 * reads the buffer into free command slots all the while; this process
 * may run late (a loaded host, or a ready queue of other programs), and
 * then finds many bytes due at once.  Before a byte is taken for lost,
 * the loop runs as it would have run by the time the byte arrived:
 * moves that had ended retire, commands that could finish do, and lines
 * go into the slots that frees.  So a byte is lost exactly when a board
 * would have lost it, however late this process ran: never for a host
 * that keeps within the buffer, always for one that does not. */
static void
vp_catch_up(struct vp *vp, usec t)
{
	int before;

	do {
		before = vp->rx_len;
		vp_take(vp);
		vp_execute(vp, t);
		plan_retire(vp, t);
		vp_execute(vp, t);
	} while (vp->rx_len >= vp->o.rx_size && vp->rx_len < before);
}

static void
vp_receive(struct vp *vp, usec now)
{
	while (vp->in.len > 0 && vp->in.t[vp->in.head] <= now) {
		unsigned char c = vp->in.b[vp->in.head];
		usec t = vp->in.t[vp->in.head];

		q_pop(&vp->in);
		if (vp->in_line_start > 0)
			vp->in_line_start--;
		if (vp->o.emergency)
			vp_emergency(vp, c);
		if (vp->rx_len >= vp->o.rx_size) {
			vp_catch_up(vp, t);
			if (vp->rx_len < vp->o.rx_size) {
				vp->rx_late++;
				vp->stats_dirty = 1;
			}
		}
		if (vp->rx_len >= vp->o.rx_size) {
			vp->rx_dropped++;	/* lost, silently */
			if (!vp->rx_full) {
				vp->rx_full = 1;
				vp->rx_overflows++;
				vp->stats_dirty = 1;
				log_info("receive buffer full: bytes lost");
			}
			continue;
		}
		vp->rx_full = 0;
		vp->rx[(vp->rx_head + vp->rx_len) % sizeof(vp->rx)] = c;
		vp->rx_len++;
	}
	vp_take(vp);
}

/* Bytes the host wrote: onto the wire, maybe damaged. */
static void
vp_wire_in(struct vp *vp, const char *buf, size_t n, usec now)
{
	unsigned char line[MAX_CMD_SIZE * 4 + 256];
	size_t i, k, len;
	usec t0;

	for (i = 0; i < n; i++) {
		vp->in_last = wire_time(vp, now, vp->in_last);
		if (q_push(&vp->in, (unsigned char)buf[i], vp->in_last) < 0)
			continue;
		vp->bytes_in++;
		if (buf[i] != '\n')
			continue;
		len = vp->in.len - vp->in_line_start;
		if (chance(vp, vp->o.corrupt_in) && len > 0 &&
		    len + (size_t)vp->o.burst <= sizeof(line)) {
			/* Take the line just queued back off the wire,
			 * damage it, and put it on again in its place. */
			t0 = vp->in.t[(vp->in.head + vp->in_line_start) %
			    vp->in.cap];
			for (k = 0; k < len; k++)
				line[k] = vp->in.b[(vp->in.head +
				    vp->in_line_start + k) % vp->in.cap];
			vp->in.len = vp->in_line_start;
			damage(vp, line, &len);
			vp->in_last = t0;
			for (k = 0; k < len; k++) {
				if (q_push(&vp->in, line[k], vp->in_last) < 0)
					break;
				vp->in_last = wire_time(vp, vp->in_last,
				    vp->in_last);
			}
			vp->damaged_in++;
		}
		vp->in_line_start = vp->in.len;
	}
}

/* Write the reply bytes that are due, a line at a time: a line leaves
 * when its last byte has crossed the wire, as a UART's receive FIFO or a
 * USB packet hands bytes over in groups, not one by one. */
static void
vp_wire_out(struct vp *vp, usec now)
{
	unsigned char buf[4096];
	size_t n = 0, whole = 0;
	ssize_t w;

	while (n < sizeof(buf) && n < vp->out.len &&
	    vp->out.t[(vp->out.head + n) % vp->out.cap] <= now) {
		buf[n] = vp->out.b[(vp->out.head + n) % vp->out.cap];
		if (buf[n++] == '\n')
			whole = n;
	}
	if (whole == 0 || vp->master < 0)
		return;
	w = write(vp->master, buf, whole);
	if (w <= 0)
		return;
	vp->bytes_out += (unsigned long long)w;
	while (w-- > 0)
		q_pop(&vp->out);
}

/* Keepalives, wait lines and auto-reports while time passes. */
static void
vp_timers(struct vp *vp, usec now)
{
	if (vp->o.klipper)
		kl_timers(vp, now);
	if (vp->halted || vp->hung)
		return;
	heat(vp, now);
	if ((vp->busy == BUSY_HEAT || vp->busy == BUSY_KL_WAIT) &&
	    now >= vp->next_wait_line) {
		vp->next_wait_line = now + 1000000;
		vp_temps(vp, " ", " W:?");
	}
	if (vp->busy && vp->o.busy_interval > 0 &&
	    now >= vp->next_keepalive) {
		vp->next_keepalive = now + (usec)vp->o.busy_interval * 1000000;
		vp_say(vp, "echo:busy: %s", vp->busy == BUSY_USER ?
		    "paused for user" : "processing");
	}
	if (vp->autoreport > 0 && now >= vp->next_autoreport) {
		vp->next_autoreport = now + (usec)vp->autoreport * 1000000;
		vp_temps(vp, " ", "");
	}
}

/* When the first whole reply line will have crossed the wire. */
static usec
next_line_due(const struct vp *vp)
{
	size_t i;

	for (i = 0; i < vp->out.len; i++)
		if (vp->out.b[(vp->out.head + i) % vp->out.cap] == '\n')
			return vp->out.t[(vp->out.head + i) % vp->out.cap];
	return vp->out.t[(vp->out.head + vp->out.len - 1) % vp->out.cap];
}

static usec
vp_next_wake(const struct vp *vp, usec now)
{
	usec t = now + 1000000;

#define SOONER(x)	do { if ((x) < t) t = (x); } while (0)
	if (vp->in.len > 0)
		SOONER(vp->in.t[vp->in.head]);
	if (vp->out.len > 0)
		SOONER(next_line_due(vp));
	if (vp->plan_len > 0)
		SOONER(vp->plan_end[vp->plan_head]);
	if (vp->busy == BUSY_TIMER)
		SOONER(vp->busy_until);
	if (vp->busy && vp->o.busy_interval > 0)
		SOONER(vp->next_keepalive);
	if (vp->o.klipper && vp->kl_state == KL_RESTARTING)
		SOONER(vp->kl_ready_at);
	if (vp->busy == BUSY_HEAT || vp->busy == BUSY_KL_WAIT) {
		SOONER(vp->next_wait_line);
		if (vp->o.heat_tau > 0)
			SOONER(now + 100000);
	}
	if (vp->autoreport > 0)
		SOONER(vp->next_autoreport);
#undef SOONER
	return t;
}

/* The summary is written whole (a reader never sees half of it): at
 * the start, whenever a fault counter changes, and at exit. */
static void
write_summary(struct vp *vp, const char *path)
{
	FILE *fp;
	char *tmp;

	vp->stats_dirty = 0;
	if (path == NULL)
		return;
	tmp = xasprintf("%s.tmp", path);
	if ((fp = fopen(tmp, "we")) == NULL) {
		free(tmp);
		return;
	}
	fprintf(fp, "{\"lines_executed\":%ld,\"lines_accepted\":%ld,"
	    "\"errors\":%lu,\"probe_errors\":%lu,\"resends\":%lu,"
	    "\"planner_underruns\":%lu,\"starved_s\":%.3f,"
	    "\"bytes_in\":%llu,\"bytes_out\":%llu,\"rx_dropped\":%llu,"
	    "\"rx_overflows\":%lu,\"rx_late\":%lu,\"tails_run\":%lu,"
	    "\"oks_dropped\":%lu,\"damaged_in\":%lu,\"damaged_out\":%lu,"
	    "\"hotend_target\":%.1f,\"bed_target\":%.1f,"
	    "\"klipper_state\":%d,\"after_shutdown\":%lu,"
	    "\"klipper_dropped\":%lu}\n",
	    vp->executed, vp->accepted, vp->errors, vp->probe_errors,
	    vp->resends, vp->underruns, (double)vp->starved_us / 1e6,
	    vp->bytes_in, vp->bytes_out,
	    vp->rx_dropped, vp->rx_overflows, vp->rx_late, vp->tails_run,
	    vp->oks_dropped,
	    vp->damaged_in, vp->damaged_out, vp->hotend_target,
	    vp->bed_target, vp->kl_state, vp->kl_after_shutdown,
	    vp->kl_dropped);
	if (fclose(fp) == 0)
		rename(tmp, path);
	free(tmp);
}

static int
make_pty(struct vp *vp)
{
	struct termios tio;
	char *tmp;
	int sfd;

	if ((vp->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    grantpt(vp->master) < 0 || unlockpt(vp->master) < 0)
		return -1;
	/* Put the line discipline in raw mode once, through the slave. */
	if ((sfd = open(ptsname(vp->master), O_RDWR | O_NOCTTY)) < 0)
		return -1;
	if (tcgetattr(sfd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(sfd, TCSANOW, &tio);
	}
	close(sfd);
	fd_set_nonblock(vp->master, 1);
	/* Publish the port atomically: a host never sees a half-made link. */
	tmp = xasprintf("%s.tmp%ld", link_path, (long)getpid());
	unlink(tmp);
	if (symlink(ptsname(vp->master), tmp) < 0 ||
	    rename(tmp, link_path) < 0) {
		free(tmp);
		return -1;
	}
	free(tmp);
	log_debug("%s -> %s", link_path, ptsname(vp->master));
	return 0;
}

/* tcp://HOST:PORT: a serial-to-network bridge (ser2net, a Wi-Fi serial
 * module) in front of the board.  One connection at a time; connecting
 * does not reset the board, so no banner greets a connection. */
static int
make_listener(struct vp *vp, const char *spec)
{
	struct addrinfo hints, *ai, *a;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[16], *colon, *tmp;
	FILE *fp;
	int one = 1, r;

	snprintf(host, sizeof(host), "%s", spec + 6);
	if ((colon = strrchr(host, ':')) == NULL)
		return -1;
	*colon = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		log_warnx("%s: %s", spec, gai_strerror(r));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		listen_fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, a->ai_protocol);
		if (listen_fd < 0)
			continue;
		setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(listen_fd, a->ai_addr, a->ai_addrlen) == 0 &&
		    listen(listen_fd, 1) == 0)
			break;
		close(listen_fd);
		listen_fd = -1;
	}
	freeaddrinfo(ai);
	if (listen_fd < 0)
		return -1;
	if (getsockname(listen_fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (port_file != NULL) {
		/* Published whole: a reader never sees half a number. */
		tmp = xasprintf("%s.tmp", port_file);
		if ((fp = fopen(tmp, "we")) == NULL)
			return -1;
		fprintf(fp, "%u\n", ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port));
		if (fclose(fp) != 0 || rename(tmp, port_file) < 0) {
			free(tmp);
			return -1;
		}
		free(tmp);
	}
	vp->master = -1;
	return 0;
}

/* The host's connection ends (or the bridge drops it). */
static void
tcp_drop(struct vp *vp)
{
	if (vp->master >= 0)
		close(vp->master);
	vp->master = -1;
	vp->connected = 0;
	vp->in.len = vp->out.len = 0;
}

static const char help[] =
"usage: gspool-vprinter [-hvX] [-f firmware] [-o log] [-s summary]\n"
"                       [-U codes] [--option ...] PATH | tcp://HOST:PORT\n"
"       gspool-vprinter --version\n"
"  -f firmware          the firmware name M115 reports\n"
"  -h, --help           print this help and exit\n"
"  -o log               append the commands executed to log\n"
"  -v                   log connections on standard error\n"
"  -s summary           keep a one-line JSON summary in this file\n"
"  --baud n             bytes cross the wire at n baud\n"
"  --latency-ms n       and take n ms each way\n"
"  --rx-buffer n        the receive buffer, bytes\n"
"  --bufsize n          command queue slots\n"
"  --planner n          planner moves\n"
"  --time-scale x       moves take their time times x\n"
"  --heat-time s        heaters reach their target in about s seconds\n"
"  --command-ms n       every command takes at least n ms\n"
"  --busy-interval s    echo:busy: processing every s seconds\n"
"  --advanced-ok        answer ok with the line number and free slots\n"
"  --emergency-parser   act on M112, M108 and M876 as the bytes arrive\n"
"  --host-prompts       M600 asks the host (//action:prompt_*), M876 answers\n"
"  --runout-at n        the filament runs out after n commands\n"
"  --no-ok-after-resend send no ok after a resend request\n"
"  --silent-duplicates  drop a repeated line without a word\n"
"  -U, --unknown codes  commands built without (M900,M73)\n"
"  -X, --extended       run Klipper's extended commands and macros\n"
"  --flavour f          marlin, or klipper: answer as Klipper's pty\n"
"  --shutdown-at n      Klipper: shut down after executing n commands\n"
"  --corrupt-in n       damage one line in n received\n"
"  --corrupt-out n      damage one line in n sent\n"
"  --corrupt-kind kind  flip, lose, extra, high or mixed\n"
"  --burst n            each fault damages n bytes\n"
"  --drop-ok n          lose one ok in n\n"
"  --corrupt-ok n       damage one ok in n\n"
"  --spurious-resend n  ask for a resend after every n lines\n"
"  --corrupt-line n     answer line n damaged\n"
"  --reset-at n         reset after executing n commands\n"
"  --kill-at n          halt (kill) after executing n commands\n"
"  --runaway-at n       report thermal runaway after n commands\n"
"  --silent-after n     stop answering after executing n commands\n"
"  --hangup-after n     hang up after n commands\n"
"  --freeze-every n     stop running for 500 ms after every n commands\n"
"  --port-file file     as a bridge, write the port listened on to file\n"
"  --seed n             seed the faults' random numbers\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(2, NULL);
}

static void
cleanup(void)
{
	if (link_path)
		unlink(link_path);
}

static long
num(const char *opt, const char *arg, long min, long max)
{
	long v;

	if (parse_long(arg, min, max, &v) < 0)
		fatalx("--%s: '%s' is not a number from %ld to %ld", opt, arg,
		    min, max);
	return v;
}

static double
dnum(const char *opt, const char *arg, double min, double max)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end != '\0' || v < min || v > max)
		fatalx("--%s: '%s' is not a number from %g to %g", opt, arg,
		    min, max);
	return v;
}

/*
 * The loop's watch on one descriptor (the port, or the bridge's listener),
 * moved when the descriptor changes: a new pty, a host accepted or
 * dropped.  What poll saw is kept for the model's turn to read.
 */
struct watch {
	struct ev_io	*io;
	int		 fd;
	int		 revents;
};

static struct ev_loop *loop;
static struct watch master_w, listen_w;

static void
watch_seen(int fd, int revents, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	w->revents |= revents;
}

static void
watch_set(struct watch *w, int fd, int events)
{
	if (w->io != NULL && w->fd != fd) {
		ev_io_del(w->io);
		w->io = NULL;
	}
	if (w->io == NULL && fd >= 0)
		w->io = ev_io_add(loop, fd, events, watch_seen, w);
	else if (w->io != NULL)
		ev_io_set(w->io, events);
	w->fd = fd;
	w->revents = 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "baud", required_argument, NULL, 1 },
		{ "latency-ms", required_argument, NULL, 2 },
		{ "rx-buffer", required_argument, NULL, 3 },
		{ "bufsize", required_argument, NULL, 4 },
		{ "planner", required_argument, NULL, 5 },
		{ "time-scale", required_argument, NULL, 6 },
		{ "heat-time", required_argument, NULL, 7 },
		{ "command-ms", required_argument, NULL, 8 },
		{ "busy-interval", required_argument, NULL, 9 },
		{ "advanced-ok", no_argument, NULL, 10 },
		{ "emergency-parser", no_argument, NULL, 11 },
		{ "no-ok-after-resend", no_argument, NULL, 12 },
		{ "silent-duplicates", no_argument, NULL, 13 },
		{ "corrupt-in", required_argument, NULL, 14 },
		{ "corrupt-out", required_argument, NULL, 15 },
		{ "drop-ok", required_argument, NULL, 16 },
		{ "corrupt-ok", required_argument, NULL, 17 },
		{ "spurious-resend", required_argument, NULL, 18 },
		{ "corrupt-line", required_argument, NULL, 19 },
		{ "reset-at", required_argument, NULL, 20 },
		{ "kill-at", required_argument, NULL, 21 },
		{ "runaway-at", required_argument, NULL, 22 },
		{ "silent-after", required_argument, NULL, 23 },
		{ "hangup-after", required_argument, NULL, 24 },
		{ "seed", required_argument, NULL, 25 },
		{ "port-file", required_argument, NULL, 26 },
		{ "corrupt-kind", required_argument, NULL, 27 },
		{ "burst", required_argument, NULL, 28 },
		{ "host-prompts", no_argument, NULL, 29 },
		{ "runout-at", required_argument, NULL, 30 },
		{ "freeze-every", required_argument, NULL, 31 },
		{ "flavour", required_argument, NULL, 32 },
		{ "shutdown-at", required_argument, NULL, 33 },
		{ "unknown", required_argument, NULL, 'U' },
		{ "extended", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *names[] = { "", "baud", "latency-ms", "rx-buffer",
	    "bufsize", "planner", "time-scale", "heat-time", "command-ms",
	    "busy-interval", "", "", "", "", "corrupt-in", "corrupt-out",
	    "drop-ok", "corrupt-ok", "spurious-resend", "corrupt-line",
	    "reset-at", "kill-at", "runaway-at", "silent-after",
	    "hangup-after", "seed", "port-file", "corrupt-kind", "burst", "",
	    "runout-at", "freeze-every", "flavour", "shutdown-at" };
	struct vp *vp;
	struct sigaction sa;
	const char *logpath = "/dev/null";
	char *summary = NULL, buf[4096];
	int ch, i, verbose = 0;
	const long BIG = 2000000000L;

	vp = xcalloc(1, sizeof(*vp));
	vp->o.firmware = "Marlin 2.1.2.1 (gspool-vprinter)";
	vp->o.ok_after_resend = 1;
	vp->o.silent_after = -1;
	vp->o.rx_size = 128;
	vp->o.bufsize = 4;
	vp->o.planner = 16;
	vp->o.busy_interval = 2;
	vp->o.burst = 1;
	vp->seed = 1;
	log_init("gspool-vprinter", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "f:ho:s:U:vX", longopts, NULL)) !=
	    -1) {
		const char *nm = ch > 0 && ch < (int)nitems(names) ?
		    names[ch] : "";

		switch (ch) {
		case 'f': vp->o.firmware = optarg; break;
		case 'U': vp->o.unknown = optarg; break;
		case 'X': vp->o.extended = 1; break;
		case 'o': logpath = optarg; break;
		case 's': summary = xstrdup(optarg); break;
		case 'v': verbose = 1; break;
		case 1: vp->o.baud = num(nm, optarg, 0, 10000000); break;
		case 2: vp->o.latency_us = num(nm, optarg, 0, 10000) * 1000;
			break;
		case 3: vp->o.rx_size = (int)num(nm, optarg, 16, 65536); break;
		case 4: vp->o.bufsize = (int)num(nm, optarg, 1, MAX_BUFSIZE);
			break;
		case 5: vp->o.planner = (int)num(nm, optarg, 1, MAX_PLANNER);
			break;
		case 6: vp->o.time_scale = dnum(nm, optarg, 0, 1000); break;
		case 7: vp->o.heat_tau = dnum(nm, optarg, 0, 3600) / 3; break;
		case 8: vp->o.command_us = num(nm, optarg, 0, 60000) * 1000;
			break;
		case 9: vp->o.busy_interval = (int)num(nm, optarg, 0, 60);
			break;
		case 10: vp->o.advanced_ok = 1; break;
		case 11: vp->o.emergency = 1; break;
		case 12: vp->o.ok_after_resend = 0; break;
		case 13: vp->o.silent_dups = 1; break;
		case 14: vp->o.corrupt_in = num(nm, optarg, 1, BIG); break;
		case 15: vp->o.corrupt_out = num(nm, optarg, 1, BIG); break;
		case 16: vp->o.drop_ok = num(nm, optarg, 1, BIG); break;
		case 17: vp->o.corrupt_ok = num(nm, optarg, 1, BIG); break;
		case 18: vp->o.spurious_resend = num(nm, optarg, 1, BIG); break;
		case 19:
			if (vp->o.ncorrupt_line == MAX_FAULTS)
				fatalx("--corrupt-line: at most %d", MAX_FAULTS);
			vp->o.corrupt_line[vp->o.ncorrupt_line++] =
			    num(nm, optarg, 0, BIG);
			break;
		case 20: vp->o.reset_at = num(nm, optarg, 1, BIG); break;
		case 21: vp->o.kill_at = num(nm, optarg, 1, BIG); break;
		case 22: vp->o.runaway_at = num(nm, optarg, 1, BIG); break;
		case 23: vp->o.silent_after = num(nm, optarg, 0, BIG); break;
		case 24: vp->o.hangup_after = num(nm, optarg, 1, BIG); break;
		case 29: vp->o.host_prompts = 1; break;
		case 30: vp->o.runout_at = num(nm, optarg, 1, BIG); break;
		case 31: vp->o.freeze_every = num(nm, optarg, 1, BIG);
			vp->next_freeze = vp->o.freeze_every;
			break;
		case 25: vp->seed = (unsigned)num(nm, optarg, 0, BIG); break;
		case 32:
			if (strcmp(optarg, "klipper") == 0)
				vp->o.klipper = 1;
			else if (strcmp(optarg, "marlin") != 0)
				fatalx("--flavour: '%s' is not marlin or"
				    " klipper", optarg);
			break;
		case 33: vp->o.shutdown_at = num(nm, optarg, 1, BIG); break;
		case 26: port_file = optarg; break;
		case 27:
			for (i = 0; i < (int)nitems(corrupt_kinds); i++)
				if (strcmp(optarg, corrupt_kinds[i]) == 0)
					break;
			if (i == (int)nitems(corrupt_kinds))
				fatalx("--corrupt-kind: '%s' is not flip, lose,"
				    " extra, high or mixed", optarg);
			vp->o.corrupt_kind = i;
			break;
		case 28: vp->o.burst = (int)num(nm, optarg, 1, 64); break;
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage_error(2, "give one PATH or tcp://HOST:PORT");
	log_set_verbose(verbose);
	if (vp->o.klipper)
		kl_flavour(&vp->o);
	link_path = argv[optind];
	if (summary == NULL && strcmp(logpath, "/dev/null") != 0)
		summary = xasprintf("%s.json", logpath);

	q_init(&vp->in, WIRE_SIZE);
	q_init(&vp->out, WIRE_SIZE);
	if ((vp->log = fopen(logpath, "ae")) == NULL)
		fatal("%s", logpath);
	if (strncmp(link_path, "tcp://", 6) == 0) {
		if (make_listener(vp, link_path) < 0)
			fatal("cannot listen on %s", link_path);
		link_path = NULL;	/* nothing to remove at exit */
	} else if (make_pty(vp) < 0)
		fatal("cannot make a pseudo-terminal linked at %s", link_path);
	atexit(cleanup);
	write_summary(vp, summary);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	loop = ev_loop_new();
	while (!quit) {
		usec now = now_us(), wake;
		int events = EV_READ | EV_HUP, rev;
		ssize_t n;

		if (listen_fd >= 0 && vp->master < 0) {
			/* The bridge waits for a host. */
			watch_set(&master_w, -1, 0);
			watch_set(&listen_w, listen_fd, EV_READ);
			if (ev_turn_us(loop, 200000) < 0)
				fatal("poll");
			if (listen_w.revents && (vp->master = accept4(listen_fd,
			    NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
				int one = 1;

				setsockopt(vp->master, IPPROTO_TCP,
				    TCP_NODELAY, &one, sizeof(one));
				log_debug("a host connected");
				vp->connected = 1;
				vp->hung = 0;
				vp->in_line_start = 0;
			}
			continue;
		}

		vp_receive(vp, now);
		vp_execute(vp, now);
		plan_retire(vp, now);
		vp_execute(vp, now);
		vp_timers(vp, now);
		/* What a reply shows is in the summary before the reply
		 * leaves: a test that has it may read the summary. */
		if (vp->stats_dirty)
			write_summary(vp, summary);
		vp_wire_out(vp, now);
		if (vp->o.hangup_after > 0 &&
		    vp->executed >= vp->o.hangup_after) {
			/* The cable is pulled: the port goes away, and
			 * comes back a moment later as a new one. */
			vp->o.hangup_after = 0;
			log_debug("hanging up");
			if (listen_fd >= 0) {
				tcp_drop(vp);
				continue;
			}
			close(vp->master);
			unlink(link_path);
			usleep(200000);
			if (make_pty(vp) < 0)
				fatal("cannot make a new pseudo-terminal");
			vp->connected = 0;
			vp->in.len = vp->out.len = 0;
			continue;
		}
		if (vp->out.len > 0 && next_line_due(vp) <= now)
			events |= EV_WRITE;
		/* Wake to the microsecond: the wire's timing is the point. */
		wake = vp->connected ? vp_next_wake(vp, now) : now + 20000;
		if (wake < now)
			wake = now;
		watch_set(&listen_w, -1, 0);
		watch_set(&master_w, vp->master, events);
		if (ev_turn_us(loop, wake - now) < 0)
			fatal("poll");
		if (quit)
			continue;	/* a signal ended the wait */
		rev = master_w.revents;
		if (listen_fd >= 0 && (rev & EV_HUP)) {
			log_debug("the host closed the connection");
			tcp_drop(vp);
			continue;
		}
		if (rev & EV_HUP) {
			/* No host on the slave side: poll says so at once,
			 * so look again a little later.  What the host wrote
			 * before it closed reaches the board first (an M112
			 * just before a close, say). */
			if (vp->connected && (rev & EV_READ) &&
			    (n = read(vp->master, buf, sizeof(buf))) > 0) {
				if (!vp->hung)
					vp_wire_in(vp, buf, (size_t)n, now_us());
				vp_receive(vp, now_us() + 10000000);
				continue;
			}
			if (vp->connected)
				log_debug("host closed the port");
			vp->connected = 0;
			usleep(20000);
			continue;
		}
		if (!vp->connected) {
			vp->connected = 1;
			vp->hung = 0;
			log_debug("host opened the port: booting");
			vp->in.len = vp->out.len = 0;
			vp->in_line_start = 0;
			vp_boot(vp);
		}
		if (!(rev & EV_READ))
			continue;
		if (vp->o.freeze_every > 0 &&
		    vp->executed >= vp->next_freeze) {
			/* Not a fault of the line: the process is left
			 * without a CPU, as on a loaded machine, with bytes
			 * waiting to be read, while the host goes on
			 * writing. */
			vp->next_freeze = vp->executed + vp->o.freeze_every;
			freeze(500);
		}
		n = read(vp->master, buf, sizeof(buf));
		if (listen_fd >= 0 && (n == 0 || (n < 0 && errno != EAGAIN &&
		    errno != EINTR))) {
			log_debug("the host closed the connection");
			tcp_drop(vp);
			continue;
		}
		if (n < 0) {
			if (errno == EIO)
				vp->connected = 0;
			continue;
		}
		if (!vp->hung)
			vp_wire_in(vp, buf, (size_t)n, now_us());
	}
	ev_loop_free(loop);
	write_summary(vp, summary);
	fclose(vp->log);
	free(summary);
	free(vp->in.b);
	free(vp->in.t);
	free(vp->out.b);
	free(vp->out.t);
	free(vp);
	return 0;
}
