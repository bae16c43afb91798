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
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>

#include "gcode.h"
#include "gstate.h"
#include "link.h"
#include "log.h"
#include "msg.h"
#include "port.h"
#include "proto.h"
#include "usage.h"
#include "util.h"

#define JOB_BUFSZ	65536
#define PROGRESS_MS	500
#define PEND_MAX	96		/* script lines waiting to be sent */
#define LAYER_MARKS	128		/* layer starts sent, not yet acked */
#define OFFSETS		256		/* file offsets of lines in flight */
#define RECENT		32		/* job commands a complaint may name */

/* The printer's own G-code, from its configuration (spoold sends it). */
enum { SC_PAUSE, SC_RESUME, SC_CANCEL, SC_BETWEEN, SC_PARK, SC_UNPARK,
	SC_N };
static const char *const script_names[SC_N] = { "pause", "resume",
	"cancel", "between", "park", "unpark" };

/* Where the job stands, as the host steers it. */
enum jctl {
	JC_RUN,			/* feeding the job */
	JC_PAUSING,		/* the pause G-code is on its way */
	JC_PAUSED,		/* paused by the host: resume restores */
	JC_HELD,		/* the printer paused itself (//action:paused) */
	JC_CANCELING,		/* the cancel G-code is on its way */
	JC_PARKING,		/* the park G-code, at a layer change */
	JC_PARKED,		/* parked for a frame: unpark restores */
};

struct layer_mark {
	long		 line;		/* job line that starts the layer */
	unsigned long	 layer;
	double		 z;		/* the height after that line */
};

struct job {
	long		 id;		/* 0: none */
	long long	 started;	/* monotonic ms */
	unsigned long long bytes0;	/* link bytes sent at the start */
	unsigned long	 resends0, timeouts0, faults0, lost_oks0;
	unsigned long	 told[3];	/* link figures spoold has */
	double		 user0, sys0;	/* CPU seconds at the start */
	long		 waits0, preempted0;
	int		 fd;
	struct gcode_lexer lx;
	char		*buf;
	size_t		 off, len;
	int		 eof;
	long		 acked;
	long		 fed;		/* job lines given to the link */
	unsigned long long offset[OFFSETS];	/* file bytes through line k */
	unsigned long long bytes_acked;
	unsigned long long base_bytes;	/* resumed from this file offset */
	long		 base_lines;	/* and after this many commands */
	long long	 last_progress;
	enum jctl	 ctl;
	int		 reported;	/* spoold was told how it ended */
	char		 wait_why[GCODE_MAX_CMD + 64];	/* an M0 seen */
	char		 held[GCODE_MAX_CMD + 1];	/* sent on resume */
	unsigned long	 complaints;	/* the firmware's, during the job */
	char		 recent[RECENT][GCODE_MAX_CMD + 1];	/* sent last */
	unsigned	 nrecent;
	long long	 park_deadline;	/* unparked then, if no word */
	struct gstate	 gs;		/* after the last line fed */
	struct gstate	 at_pause;
	unsigned long	 layer;		/* reached (acknowledged) */
	double		 layer_z;	/* its height, 0 if not known */
	unsigned long	 layer_fed;
	struct layer_mark marks[LAYER_MARKS];
	int		 mhead, mcount;
};

struct backend {
	const char	*printer;
	const char	*device;
	long		 baud;
	long		 reconnect_ms;
	long		 park_ms;	/* -p: parked for a frame at most */
	int		 ctl;		/* to spoold, -1 once it is gone */
	const char	*rundir;	/* -d: where spoold re-attaches */
	char		*sock_path, *end_path;
	int		 listen_fd;	/* RUNDIR/PRINTER.sock, or -1 */
	struct port	 port;
	struct link	 link;
	struct job	 job;
	long long	 retry_at;
	char		*script[SC_N];	/* lines joined by newlines */
	char		 pend[PEND_MAX][GCODE_MAX_CMD + 1];
	int		 npend, pend_i;
	long		 script_end;	/* link line of the last one sent */
	int		 reset_pending;	/* close the port once M112 is out */
	char		 last_status[512];
	char		 last_state[32], last_text[480];
	char		 alive_state[32], alive_text[480];	/* before
					   the printer fell silent */
	int		 manual;	/* running gpc send's lines */
	int		 manual_input_done;
	char		 manual_out[2048];	/* what the printer said */
	int		 manual_said;	/* lines said to the latest command */
	char		 last_temps[256];
	long long	 temps_at;
	int		 manual_internal;	/* our own lines, not gpc send's */
	long		 heaters_ms;	/* -H: heaters off after a job, or 0 */
	long long	 heaters_at;	/* when, or 0 */
	int		 on_unknown;	/* -u: UNK_CONTINUE, _PAUSE, _ABORT */
};

/* What a job does when the firmware does not know one of its commands
 * (on_unknown_command in gspool.conf(5)). */
enum { UNK_CONTINUE, UNK_PAUSE, UNK_ABORT };

static volatile sig_atomic_t quit;

static int	job_seek_layer(struct backend *, unsigned long, long, char *,
		    size_t);
static void	manual_end(struct backend *, const char *, const char *);
static void	manual_answer(struct backend *, const char *, int);

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
	snprintf(b->last_state, sizeof(b->last_state), "%s", state);
	snprintf(b->last_text, sizeof(b->last_text), "%s", text);
	if (strcmp(state, "error") == 0)
		log_warnx("%s: %s", b->printer, text);
	else
		log_info("%s: %s %s", b->printer, state, text);
	tell(b, "status", state, text, NULL);
}

/* The backend's own CPU time so far, user and system, and its context
 * switches: waits (for the printer, for spoold) and preemptions. */
static void
own_usage(double *user, double *sys, long *waits, long *preempted)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	*waits = ru.ru_nvcsw;
	*preempted = ru.ru_nivcsw;
}

/* One line of figures per job, the job's alone: what the benchmarks
 * read. */
static void
job_stats(struct backend *b)
{
	struct rusage ru;
	double secs = (double)(monotonic_ms() - b->job.started) / 1000.0;
	double user, sys;
	long waits, preempted;

	own_usage(&user, &sys, &waits, &preempted);
	user -= b->job.user0;
	sys -= b->job.sys0;
	waits -= b->job.waits0;
	preempted -= b->job.preempted0;
	getrusage(RUSAGE_SELF, &ru);
	log_info("%s-%ld: stats lines=%ld bytes=%llu seconds=%.3f resends=%lu"
	    " faults=%lu lost_oks=%lu timeouts=%lu rtt_ms=%ld cpu_s=%.3f"
	    " user_s=%.3f switches=%ld preempted=%ld max_rss_kib=%ld",
	    b->printer, b->job.id, b->job.acked,
	    b->link.bytes_sent - b->job.bytes0, secs,
	    b->link.resends - b->job.resends0,
	    b->link.faults - b->job.faults0,
	    b->link.lost_oks - b->job.lost_oks0,
	    b->link.timeout_count - b->job.timeouts0, b->link.rtt_ms,
	    user + sys, user, waits + preempted, preempted, ru.ru_maxrss);
}

/* Keep how the job ended where spoold looks after a restart, written
 * whole or not at all; spoold removes it once it has recorded it. */
static void
end_file_write(struct backend *b, const char *state, const char *reason)
{
	char *tmp, why[512];
	int fd, ok;

	if (b->end_path == NULL)
		return;
	clean_text(why, sizeof(why), reason);
	tmp = xasprintf("%s.tmp", b->end_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	ok = fd >= 0 && dprintf(fd, "%ld\t%s\t%ld\t%lu\t%s\n", b->job.id,
	    state, b->job.acked + b->job.base_lines, b->job.layer, why) > 0 &&
	    fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, b->end_path) < 0 || fsync_dir(b->rundir) < 0)
		log_warn("%s-%ld: cannot record its end in %s", b->printer,
		    b->job.id, b->end_path);
	free(tmp);
}

/* The link's figures for the job, as its attributes: when they change
 * (with the progress), and all of them at the end. */
static void
job_link_attrs(struct backend *b, int all)
{
	unsigned long v[3];
	static const char *const names[3] = { "link.resends",
	    "link.faults", "link.lost_oks" };
	char id[32], val[32];
	int i;

	v[0] = b->link.resends - b->job.resends0;
	v[1] = b->link.faults - b->job.faults0;
	v[2] = b->link.lost_oks - b->job.lost_oks0;
	snprintf(id, sizeof(id), "%ld", b->job.id);
	for (i = 0; i < 3; i++) {
		if (!all && v[i] == b->job.told[i])
			continue;
		b->job.told[i] = v[i];
		snprintf(val, sizeof(val), "%lu", v[i]);
		tell(b, "attr", id, names[i], val);
	}
}

/* Tell spoold how the job ended (once). */
static void
job_report(struct backend *b, const char *state, const char *reason)
{
	char id[32];

	if (b->job.id == 0 || b->job.reported)
		return;
	b->job.reported = 1;
	snprintf(id, sizeof(id), "%ld", b->job.id);
	log_info("%s-%ld: %s%s%s", b->printer, b->job.id, state,
	    reason[0] ? ": " : "", reason);
	job_stats(b);
	job_link_attrs(b, 1);
	/* Kept first, told second: a spoold that dies before it records
	 * what it was told finds it there after its restart. */
	end_file_write(b, state, reason);
	tell(b, "end", id, state, reason);
}

static void
job_end(struct backend *b, const char *state, const char *reason)
{
	if (b->job.id == 0)
		return;
	job_report(b, state, reason);
	close(b->job.fd);
	free(b->job.buf);
	memset(&b->job, 0, sizeof(b->job));
	b->job.fd = -1;
	b->npend = b->pend_i = 0;
	/* However it ended, no job leaves the heaters on for long. */
	b->heaters_at = b->heaters_ms > 0 ? monotonic_ms() + b->heaters_ms :
	    0;
}

static void
job_progress(struct backend *b, long long now, int force)
{
	char id[32], lines[32], layer[32], bytes[32], z[32];

	if (b->job.id == 0 || (!force &&
	    now - b->job.last_progress < PROGRESS_MS))
		return;
	b->job.last_progress = now;
	snprintf(id, sizeof(id), "%ld", b->job.id);
	snprintf(lines, sizeof(lines), "%ld", b->job.acked + b->job.base_lines);
	snprintf(layer, sizeof(layer), "%lu", b->job.layer);
	snprintf(bytes, sizeof(bytes), "%llu", b->job.bytes_acked);
	snprintf(z, sizeof(z), "%.3f", b->job.layer_z);
	if (b->ctl >= 0 && msg_send(b->ctl, -1, "progress", id, lines, layer,
	    bytes, z, (char *)NULL) < 0 && errno != EAGAIN) {
		log_warn("%s: spoold went away", b->printer);
		close(b->ctl);
		b->ctl = -1;
	}
	job_link_attrs(b, 0);
}

/* The job's lines up to `acked' are acknowledged: the layer reached is
 * that of the last layer start among them. */
static void
job_acked(struct backend *b, long acked)
{
	struct job *j = &b->job;

	j->acked = acked;
	if (acked > 0 && acked <= j->fed && j->fed - acked < OFFSETS)
		j->bytes_acked = j->offset[acked % OFFSETS];
	while (j->mcount > 0 && j->marks[j->mhead].line <= acked) {
		j->layer = j->marks[j->mhead].layer;
		j->layer_z = j->marks[j->mhead].z;
		j->mhead = (j->mhead + 1) % LAYER_MARKS;
		j->mcount--;
	}
}

static void
job_activity(struct backend *b, const char *what, const char *why)
{
	char id[32];

	snprintf(id, sizeof(id), "%ld", b->job.id);
	log_info("%s-%ld: %s%s%s", b->printer, b->job.id, what,
	    why[0] ? ": " : "", why);
	tell(b, "job", id, what, why);
}

/* Queue the lines of a script (or of a restore) to go before any more
 * of the job. */
static void
pend_add(struct backend *b, const char *cmd)
{
	if (b->npend >= PEND_MAX) {
		log_warnx("%s: more than %d lines of pause, resume and cancel"
		    " G-code at once; '%s' left out", b->printer, PEND_MAX,
		    cmd);
		return;
	}
	snprintf(b->pend[b->npend++], sizeof(b->pend[0]), "%s", cmd);
}

/* Queue each line of text (lines joined by newlines). */
static void
pend_lines(struct backend *b, const char *p)
{
	const char *nl;
	char line[GCODE_MAX_CMD + 1];
	size_t n;

	for (; p != NULL && *p != '\0'; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n == 0 || n >= sizeof(line))
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		pend_add(b, line);
	}
}

static void
pend_script(struct backend *b, int which)
{
	pend_lines(b, b->script[which]);
}

static void
pend_restore(struct backend *b, enum gstate_phase phase)
{
	char cmd[64];
	int i;

	for (i = 0; gstate_restore(&b->job.at_pause, phase, i, cmd,
	    sizeof(cmd)); i++)
		pend_add(b, cmd);
}

/* Pause: stop feeding, run the pause G-code after the lines already
 * sent; the job is paused when the printer has acknowledged it. */
static int
job_pause(struct backend *b, const char *why)
{
	struct job *j = &b->job;

	if (j->id != 0 && (j->ctl == JC_PARKING || j->ctl == JC_PARKED)) {
		/* Parked for a frame: paused where it is parked (its
		 * position before parking is kept); the pause G-code runs
		 * after the park G-code. */
		j->ctl = JC_PAUSING;
		j->park_deadline = 0;
		pend_script(b, SC_PAUSE);
		job_activity(b, "pausing", why);
		return 0;
	}
	if (j->id == 0 || j->ctl != JC_RUN)
		return -1;
	j->at_pause = j->gs;
	j->ctl = JC_PAUSING;
	pend_script(b, SC_PAUSE);
	job_activity(b, "pausing", why);
	return 0;
}

/* Resume: back to where the head was (X and Y, then Z), the resume
 * G-code, then E, the modes and the feed rate as they were. */
static int
job_resume(struct backend *b, const char *why)
{
	struct job *j = &b->job;

	if (j->id == 0)
		return -1;
	if (j->ctl == JC_HELD) {
		/* The printer paused itself; it has put things back. */
		j->ctl = JC_RUN;
		job_activity(b, "printing", why);
		return 0;
	}
	if (j->ctl != JC_PAUSED)
		return -1;
	pend_restore(b, GSTATE_MOVE);
	pend_script(b, SC_RESUME);
	pend_restore(b, GSTATE_MODES);
	j->ctl = JC_RUN;
	job_activity(b, "printing", why);
	return 0;
}

/* Cancel: stop feeding at once; the job has ended.  The cancel G-code
 * then runs while the printer reports itself busy, so that no job starts
 * before it is done, and a printer that no longer answers it harms no
 * job. */
static void
job_cancel_as(struct backend *b, const char *state, const char *why)
{
	struct job *j = &b->job;

	if (j->id == 0 || j->ctl == JC_CANCELING)
		return;
	b->npend = b->pend_i = 0;	/* a pause or resume not sent yet */
	j->ctl = JC_CANCELING;
	pend_script(b, SC_CANCEL);
	status(b, "busy", "running the cancel G-code");
	job_report(b, state, why);
}

static void
job_cancel(struct backend *b, const char *why)
{
	job_cancel_as(b, "canceled", why);
}

/* Called after every turn: has a script the printer acknowledged
 * changed where the job stands? */
static void
job_check_scripts(struct backend *b)
{
	struct job *j = &b->job;

	if (j->id == 0 || b->pend_i < b->npend ||
	    link_lines_acked(&b->link) < b->script_end)
		return;
	if (j->ctl == JC_PAUSING) {
		j->ctl = JC_PAUSED;
		job_activity(b, "paused", "");
	} else if (j->ctl == JC_PARKING) {
		char id[32], layer[32];

		/* Parked: the filters take their frame, then unpark. */
		j->ctl = JC_PARKED;
		j->park_deadline = monotonic_ms() + b->park_ms;
		snprintf(id, sizeof(id), "%ld", j->id);
		snprintf(layer, sizeof(layer), "%lu", j->lx.layer);
		log_info("%s-%ld: parked for a frame before layer %lu",
		    b->printer, j->id, j->lx.layer);
		tell(b, "park", id, layer, NULL);
	}
}

/* The frame is taken (or the wait is over): back over the print, the
 * unpark G-code, E and the modes, then the layer's first command. */
static void
job_unpark(struct backend *b, const char *why)
{
	struct job *j = &b->job;

	if (j->id == 0 || j->ctl != JC_PARKED)
		return;
	pend_restore(b, GSTATE_MOVE);
	pend_script(b, SC_UNPARK);
	pend_restore(b, GSTATE_MODES);
	j->ctl = JC_RUN;
	j->park_deadline = 0;
	log_debug("%s-%ld: unparked: %s", b->printer, j->id, why);
}

/* One command of the job goes to the link: follow its modes and
 * position, and note where a layer starts. */
/* M0 and M1 (wait for the user): not sent; the job pauses there, with
 * the pause G-code, until gpc resume, as OctoPrint does. */
static int
is_user_wait(const char *cmd)
{
	return (cmd[0] == 'M' || cmd[0] == 'm') && (cmd[1] == '0' ||
	    cmd[1] == '1') && !isdigit((unsigned char)cmd[2]) &&
	    cmd[2] != '.';
}

static int
job_send(struct backend *b, const char *cmd, long long now)
{
	struct job *j = &b->job;
	size_t len;

	if (link_send_line(&b->link, cmd, now) < 0)
		return -1;
	j->fed++;
	len = strnlen(cmd, sizeof(j->recent[0]) - 1);
	memcpy(j->recent[j->nrecent % RECENT], cmd, len);
	j->recent[j->nrecent++ % RECENT][len] = '\0';
	/* Through the end of the command's line: what a file position
	 * means to a user. */
	j->offset[j->fed % OFFSETS] = j->base_bytes + j->lx.bytes;
	gstate_apply(&j->gs, cmd);
	if (j->lx.layer != j->layer_fed) {
		j->layer_fed = j->lx.layer;
		if (j->mcount == LAYER_MARKS) {
			/* Not possible with the window's bounds; stay right
			 * about the order if it happens. */
			j->mhead = (j->mhead + 1) % LAYER_MARKS;
			j->mcount--;
		}
		{
			double z = 0;

			gstate_machine(&j->gs, GS_Z, &z);
			j->marks[(j->mhead + j->mcount) % LAYER_MARKS] =
			    (struct layer_mark){ j->fed, j->layer_fed, z };
		}
		j->mcount++;
	}
	return 0;
}

/* One command of the job.  An M0/M1 is held back: if another command
 * follows, the job pauses before it; as the file's last command (the
 * end of a print, for RepRapFirmware) it is dropped. */
static int
job_line(struct backend *b, long long now)
{
	struct job *j = &b->job;

	/* A new layer on a printer that parks for its frames: the head
	 * goes aside first, and this command waits for the unparking. */
	if (b->script[SC_PARK] != NULL && b->script[SC_PARK][0] != '\0' &&
	    j->ctl == JC_RUN && j->lx.layer != j->layer_fed &&
	    j->lx.layer >= 2 && j->wait_why[0] == '\0' &&
	    !is_user_wait(j->lx.cmd)) {
		snprintf(j->held, sizeof(j->held), "%s", j->lx.cmd);
		j->at_pause = j->gs;
		j->ctl = JC_PARKING;
		pend_script(b, SC_PARK);
		return 0;
	}
	if (is_user_wait(j->lx.cmd)) {
		snprintf(j->wait_why, sizeof(j->wait_why), "the job waits for"
		    " the user (line %lu: %s)", j->lx.cmd_line, j->lx.cmd);
		return 0;
	}
	if (j->wait_why[0] != '\0') {
		snprintf(j->held, sizeof(j->held), "%s", j->lx.cmd);
		job_pause(b, j->wait_why);
		j->wait_why[0] = '\0';
		return 0;
	}
	return job_send(b, j->lx.cmd, now);
}

/* Give the engine script lines, then job lines, while it wants them. */
static void
job_feed(struct backend *b, long long now)
{
	struct job *j = &b->job;
	enum gcode_status st;
	size_t used;
	ssize_t n;

	/* gpc send's lines go one at a time, each once the one before
	 * is acknowledged, so that what the printer says is the answer to
	 * that line. */
	while ((j->id != 0 || b->manual) && b->pend_i < b->npend &&
	    link_wants_line(&b->link) && (!b->manual ||
	    link_lines_acked(&b->link) >= b->script_end)) {
		if (b->manual)
			manual_answer(b, b->pend[b->pend_i], 1);
		if (link_send_script(&b->link, b->pend[b->pend_i++], now) < 0)
			log_warnx("%s: '%s' does not fit a line; left out",
			    b->printer, b->pend[b->pend_i - 1]);
		b->script_end = link_lines_given(&b->link);
	}
	if (b->pend_i == b->npend)
		b->npend = b->pend_i = 0;
	if (b->manual && b->npend == 0 && !b->manual_input_done) {
		b->manual_input_done = 1;
		link_job_input_done(&b->link);
		return;
	}
	if (j->id != 0 && j->ctl == JC_CANCELING && b->npend == 0 &&
	    !j->eof) {
		j->eof = 1;
		link_job_input_done(&b->link);
		return;
	}
	while (j->id != 0 && (!j->eof || j->held[0] != '\0') &&
	    j->ctl == JC_RUN && b->npend == 0 && link_wants_line(&b->link)) {
		if (j->held[0] != '\0') {
			/* The command after an M0, once resumed. */
			if (job_send(b, j->held, now) < 0)
				goto lexerr;
			j->held[0] = '\0';
			if (j->eof)
				link_job_input_done(&b->link);
			continue;
		}
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
					job_line(b, now);
				else if (st == GCODE_ERROR)
					goto lexerr;
				/* A last command held by an M0 goes after the
				 * pause; the input ends then. */
				if (j->held[0] == '\0')
					link_job_input_done(&b->link);
				return;
			}
		}
		used = gcode_lex(&j->lx, j->buf + j->off, j->len - j->off, &st);
		j->off += used;
		if (st == GCODE_ERROR)
			goto lexerr;
		if (st == GCODE_CMD && job_line(b, now) < 0)
			goto lexerr;
	}
	return;
lexerr:
	link_job_abort(&b->link);
	job_end(b, "aborted", j->lx.error[0] ? j->lx.error :
	    "the spool file changed after it was checked");
}

/* The answer to gpc send, a line a command: "G28: ok", or what the
 * printer said to it ("M114: X:0.00 Y:0.00 ..."; more lines indented).
 * start: a command goes out; else text is what the printer said. */
static void
manual_answer(struct backend *b, const char *text, int start)
{
	size_t o = strlen(b->manual_out), room = sizeof(b->manual_out) - o;
	int n;

	if (start || text == NULL) {
		if (o > 0 && b->manual_said == 0)
			n = snprintf(b->manual_out + o, room, " ok");
		else
			n = 0;
		if (n >= 0 && (size_t)n < room && text != NULL) {
			o += (size_t)n;
			room -= (size_t)n;
			n = snprintf(b->manual_out + o, room, "%s%s:", o ?
			    "\n" : "", text);
		}
		b->manual_said = 0;
	} else
		n = snprintf(b->manual_out + o, room, "%s%s",
		    b->manual_said++ ? "\n  " : " ", text);
	if (n < 0 || (size_t)n >= room)
		b->manual_out[o] = '\0';	/* whole lines, or none */
}

/* gpc send's lines have run (or could not): tell spoold, with what the
 * printer said to each. */
static void
manual_end(struct backend *b, const char *how, const char *text)
{
	if (!b->manual)
		return;
	b->manual = 0;
	b->manual_input_done = 0;
	b->npend = b->pend_i = 0;
	if (b->manual_internal) {
		b->manual_internal = 0;
		log_info("%s: the heaters are off%s%s", b->printer,
		    strcmp(how, "done") ? "? " : "", strcmp(how, "done") ?
		    text : "");
		if (strcmp(how, "done") == 0)
			tell(b, "heaters", "off", "no job came within"
			    " heaters_off_after", NULL);
	} else {
		log_info("%s: manual G-code %s%s%s", b->printer, how,
		    strcmp(how, "done") ? ": " : "", strcmp(how, "done") ?
		    text : "");
		tell(b, "manual", how, text, NULL);
	}
	if (strcmp(how, "done") == 0)
		status(b, "ready", b->link.firmware[0] ? b->link.firmware :
		    "unknown firmware");
}

static void
port_lost(struct backend *b, const char *why)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "lost the printer on %s: %s", b->device,
	    why);
	/* The job's figures first: closing the link resets its counters. */
	if (b->job.id != 0)
		job_end(b, "stopped", msg);
	manual_end(b, "failed", msg);
	port_close(&b->port);
	link_close(&b->link);
	status(b, "error", msg);
	b->retry_at = monotonic_ms() + b->reconnect_ms;
}

/* Host action commands the firmware sends ("//action:pause"): "pause",
 * "resume" and "cancel" ask the host to do it; "paused" and "resumed"
 * say the printer did it itself (M600, a runout sensor). */
static void
on_action(struct backend *b, const char *action)
{
	log_info("%s: the printer asks: %s", b->printer, action);
	if (b->job.id == 0)
		return;
	if (strcmp(action, "pause") == 0)
		job_pause(b, "the printer asked to pause");
	else if (strcmp(action, "paused") == 0 && b->job.ctl == JC_RUN) {
		b->job.ctl = JC_HELD;
		job_activity(b, "paused", "the printer paused the job");
	} else if (strcmp(action, "resume") == 0 ||
	    strcmp(action, "resumed") == 0)
		job_resume(b, "the printer resumed the job");
	else if (strcmp(action, "cancel") == 0)
		job_cancel(b, "canceled at the printer");
}

/* A firmware's complaint about a command it was sent, as opposed to
 * news: Marlin's and RepRapFirmware's "Unknown command", Klipper's
 * "// Unknown command:" and "!! ..." errors, and "Error:" lines other
 * than those of the link itself (checksums and line numbers, which the
 * link answers with a resend).  1 unknown command, 2 another
 * complaint, 0 none. */
static int
complaint_kind(const char *s)
{
	static const char *const link_errors[] = { "checksum", "Checksum",
	    "Line Number", "line number", "Last Line", "No Line",
	    "Linenumber", "linenumber", "Format error" };
	size_t i;

	if (strcasestr(s, "unknown command") != NULL ||
	    strcasestr(s, "unknown g-code") != NULL ||
	    (strstr(s, "G-code '") != NULL && strstr(s, "unknown") != NULL))
		return 1;
	if (strncmp(s, "Error:", 6) != 0 && strncmp(s, "!!", 2) != 0 &&
	    strncasecmp(s, "echo:invalid", 12) != 0)
		return 0;
	for (i = 0; i < nitems(link_errors); i++)
		if (strstr(s, link_errors[i]) != NULL)
			return 0;
	return 2;
}

/* Commands a firmware may well be built without, and whose absence
 * changes nothing the next lines rely on: progress and messages (M73,
 * M117, M118), object labels (M486), Prusa's checks and bounding box
 * (M862, M555), pressure or linear advance (M572, M900) and input
 * shaping (M593).  Unknown, they are recorded, never a reason to stop. */
static int
unknown_is_harmless(const char *text)
{
	static const long codes[] = { 73, 117, 118, 486, 555, 572, 593, 862,
	    900 };
	const char *q = strchr(text, '"');
	char *end;
	long code;
	size_t i;

	if (q == NULL || (q[1] != 'M' && q[1] != 'm'))
		return 0;
	code = strtol(q + 2, &end, 10);
	if (end == q + 2)
		return 0;
	for (i = 0; i < nitems(codes); i++)
		if (codes[i] == code)
			return 1;
	return 0;
}

/* The command an "Unknown command" answer names (between its quotes,
 * as Marlin and Klipper quote it) is one of the job's latest lines. */
static int
job_sent_recently(const struct backend *b, const char *text)
{
	const char *q = strchr(text, '"'), *e;
	size_t n;
	unsigned i;

	if (q == NULL || (e = strchr(q + 1, '"')) == NULL)
		return 1;	/* it names none: take it at its word */
	n = (size_t)(e - q - 1);
	for (i = 0; i < RECENT && i < b->job.nrecent; i++)
		if (strlen(b->job.recent[i]) == n &&
		    strncasecmp(b->job.recent[i], q + 1, n) == 0)
			return 1;
	return 0;
}

/* The firmware complained during a job: spoold keeps it as a job event
 * (and tells the filters and notify), and an unknown command pauses or
 * aborts the job as on_unknown_command says, for the lines after it may
 * rely on what it did not do. */
static void
job_complaint(struct backend *b, const char *text)
{
	char id[32], n[32], why[LINK_RXLINE + 64];
	int kind = complaint_kind(text);
	const char *act = "continue";

	if (kind == 0)
		return;
	if (kind == 1 && !job_sent_recently(b, text)) {
		/* Not a command of the job: a line damaged on the wire (its
		 * N word lost), which the link resends. */
		log_info("%s-%ld: the printer did not know a damaged line: %s",
		    b->printer, b->job.id, text);
		return;
	}
	b->job.complaints++;
	if (kind == 1 && unknown_is_harmless(text))
		;
	else if (kind == 1 && b->on_unknown == UNK_PAUSE &&
	    b->job.ctl == JC_RUN)
		act = "pause";
	else if (kind == 1 && b->on_unknown == UNK_ABORT)
		act = "abort";
	snprintf(id, sizeof(id), "%ld", b->job.id);
	snprintf(n, sizeof(n), "%lu", b->job.complaints);
	log_warnx("%s-%ld: the printer complained: %s%s%s", b->printer,
	    b->job.id, text, strcmp(act, "continue") ? "; on_unknown_command"
	    " says " : "", strcmp(act, "continue") ? act : "");
	tell(b, "complaint", id, n, text);
	snprintf(why, sizeof(why), "the printer said: %s", text);
	if (strcmp(act, "pause") == 0)
		job_pause(b, why);
	else if (strcmp(act, "abort") == 0)
		job_cancel_as(b, "aborted", why);
}

/* No job came within heaters_off_after of the last one's end: every
 * heater the printer reports goes off, as our own lines (not a job's,
 * not gpc send's), and spoold is told. */
static void
heaters_off(struct backend *b, long long now)
{
	char cmd[32];
	int i;

	if (b->manual) {
		b->heaters_at = now + 1000;	/* after gpc send's lines */
		return;
	}
	b->heaters_at = 0;
	/* A job took the printer, or it is not connected (a board that
	 * connects again has been reset, its heaters off). */
	if (b->job.id != 0 || b->port.fd < 0 ||
	    b->link.state != LINK_IDLE || link_job_begin(&b->link, now) < 0)
		return;
	b->manual = 1;
	b->manual_internal = 1;
	b->manual_input_done = 0;
	b->manual_out[0] = '\0';
	b->manual_said = 0;
	b->npend = b->pend_i = 0;
	b->script_end = link_lines_given(&b->link);
	pend_add(b, "M104 S0");
	for (i = 0; i < b->link.ntemps; i++) {
		const char *t = b->link.temps[i].name;

		if (t[0] == 'T' && t[1] >= '1' && t[1] <= '9') {
			snprintf(cmd, sizeof(cmd), "M104 T%s S0", t + 1);
			pend_add(b, cmd);
		}
	}
	pend_add(b, "M140 S0");
	for (i = 0; i < b->link.ntemps; i++)
		if (strcmp(b->link.temps[i].name, "C") == 0) {
			pend_add(b, "M141 S0");
			break;
		}
	log_info("%s: no job for %ld s since the last one ended: turning"
	    " the heaters off", b->printer, b->heaters_ms / 1000);
	status(b, "busy", "turning the heaters off");
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
		case LINK_EV_ACK: {
			unsigned long layer = b->job.layer;

			/* A new layer is told at once: filters take a frame
			 * at each. */
			job_acked(b, ev.line);
			job_progress(b, now, b->job.layer != layer);
			break;
		}
		case LINK_EV_JOB_DONE:
			if (b->manual) {
				manual_answer(b, NULL, 0);
				manual_end(b, "done", b->manual_out);
				break;
			}
			job_acked(b, ev.line);
			if (b->job.ctl != JC_CANCELING)
				b->job.bytes_acked = b->job.base_bytes +
				    b->job.lx.bytes;
			job_progress(b, now, 1);
			if (b->job.ctl == JC_CANCELING) {
				job_end(b, "canceled", "");
				status(b, "ready", b->link.firmware[0] ?
				    b->link.firmware : "unknown firmware");
			} else
				job_end(b, "completed", "");
			break;
		case LINK_EV_RESEND:
			log_info("%s: the printer asked for line %ld again",
			    b->printer, ev.line);
			break;
		case LINK_EV_FATAL:
			manual_end(b, "failed", ev.text);
			job_end(b, "aborted", ev.text);
			status(b, "error", ev.text);
			/* A halted board needs a reset: opening its port
			 * again gives one to boards that reset on DTR. */
			b->reset_pending = 1;
			break;
		case LINK_EV_RESET:
			manual_end(b, "failed", ev.text);
			job_end(b, "aborted", ev.text);
			break;
		case LINK_EV_TIMEOUT:
			log_warnx("%s: no answer from the printer (%ld in a"
			    " row); asking with M105", b->printer, ev.line);
			break;
		case LINK_EV_SILENT:
			/* Said at once; what it was comes back with it. */
			snprintf(b->alive_state, sizeof(b->alive_state), "%s",
			    b->last_state);
			snprintf(b->alive_text, sizeof(b->alive_text), "%s",
			    b->last_text);
			status(b, "error", ev.text);
			break;
		case LINK_EV_ALIVE:
			if (b->alive_state[0] != '\0')
				status(b, b->alive_state, b->alive_text);
			b->alive_state[0] = '\0';
			break;
		case LINK_EV_LOST:
			/* A frozen board: the job stops, and the port is
			 * opened again later (which resets most boards). */
			port_lost(b, ev.text);
			return;
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
			if (b->job.id != 0 && !b->manual)
				job_complaint(b, ev.text);
			if (b->manual)
				manual_answer(b, ev.text, 0);
			break;
		}
	}
}

static void
handle_ctl(struct backend *b)
{
	struct msg m;
	char bad[256];
	long id;
	int r, i, k;

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
	/* Its name and arguments checked by proto.h: a message this
	 * backend does not know, or one short of an argument, is logged
	 * and left. */
	if ((k = proto_parse(PROTO_TO_BACKEND, &m, bad, sizeof(bad))) < 0) {
		log_warnx("%s: %s from spoold", b->printer, bad);
		if (m.fd >= 0)
			close(m.fd);
		return;
	}
	if (parse_long(msg_field(&m, TB_ID), 1, 2000000000L, &id) < 0)
		id = 0;
	if (k == TB_PRINT && id != 0 && m.fd >= 0) {
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
		b->heaters_at = 0;
		b->job.id = id;
		b->job.fd = m.fd;
		b->job.started = monotonic_ms();
		b->job.bytes0 = b->link.bytes_sent;
		b->job.resends0 = b->link.resends;
		b->job.timeouts0 = b->link.timeout_count;
		b->job.faults0 = b->link.faults;
		b->job.lost_oks0 = b->link.lost_oks;
		own_usage(&b->job.user0, &b->job.sys0, &b->job.waits0,
		    &b->job.preempted0);
		b->job.buf = xmalloc(JOB_BUFSZ);
		gcode_lexer_init(&b->job.lx, NULL);
		gstate_init(&b->job.gs);
		b->npend = b->pend_i = 0;
		/* A printer that clears its own bed: its between_jobs
		 * G-code goes before the job. */
		if (strcmp(msg_field(&m, TB_PRINT_HOW), "between") == 0)
			pend_script(b, SC_BETWEEN);
		if (strcmp(msg_field(&m, TB_PRINT_HOW), "resume") == 0) {
			char why[300], ids[32];
			long layer, stop;

			if (parse_long(msg_field(&m, TB_PRINT_LAYER), 1,
			    2000000000L, &layer) < 0 ||
			    parse_long(msg_field(&m, TB_PRINT_LINES), 0,
			    2000000000L, &stop) < 0)
				snprintf(why, sizeof(why), "bad resume request");
			else if (job_seek_layer(b, (unsigned long)layer, stop,
			    why, sizeof(why)) == 0)
				why[0] = '\0';
			if (why[0] != '\0') {
				log_warnx("%s-%ld: cannot resume: %s",
				    b->printer, id, why);
				snprintf(ids, sizeof(ids), "%ld", id);
				link_job_abort(&b->link);
				close(b->job.fd);
				free(b->job.buf);
				memset(&b->job, 0, sizeof(b->job));
				b->job.fd = -1;
				b->npend = b->pend_i = 0;
				tell(b, "end", ids, "stopped", why);
				return;
			}
		}
		log_info("%s-%ld: printing%s", b->printer, id, b->npend ?
		    " after the between_jobs G-code" : "");
		return;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (k == TB_SCRIPT) {
		for (i = 0; i < SC_N; i++)
			if (strcmp(msg_field(&m, TB_SCRIPT_NAME),
			    script_names[i]) == 0) {
				free(b->script[i]);
				b->script[i] = xstrdup(msg_field(&m,
				    TB_SCRIPT_TEXT));
				return;
			}
		log_warnx("%s: unknown script '%s' from spoold", b->printer,
		    msg_field(&m, TB_SCRIPT_NAME));
		return;
	}
	if (k == TB_SEND) {
		/* gpc send: lines checked by spoold, run while no job
		 * prints; the printer is busy meanwhile. */
		if (b->job.id != 0 || b->manual ||
		    link_job_begin(&b->link, monotonic_ms()) < 0) {
			tell(b, "manual", "failed", b->job.id || b->manual ?
			    "the printer is busy" : "the printer is not ready",
			    NULL);
			if (b->last_state[0] != '\0')
				tell(b, "status", b->last_state, b->last_text,
				    NULL);
			return;
		}
		b->manual = 1;
		b->manual_input_done = 0;
		b->manual_out[0] = '\0';
		b->manual_said = 0;
		b->npend = b->pend_i = 0;
		/* The link numbers from M110 again. */
		b->script_end = link_lines_given(&b->link);
		pend_lines(b, msg_field(&m, TB_SEND_LINES));
		status(b, "busy", "running G-code sent by hand");
		return;
	}
	if (k == TB_ESTOP) {
		log_warnx("%s: emergency stop requested%s", b->printer,
		    b->link.cap_emergency ? "" : " (the firmware has no"
		    " emergency parser: M112 waits for a free buffer slot)");
		link_emergency_stop(&b->link);
		return;
	}
	/* The rest name the job they mean: a request about a job that has
	 * ended meanwhile is already answered. */
	if (id == 0 || id != b->job.id)
		return;
	if (k == TB_CANCEL)
		job_cancel(b, "canceled by request");
	else if (k == TB_PAUSE)
		job_pause(b, "paused by request");
	else if (k == TB_RESUME)
		job_resume(b, "resumed by request");
	else if (k == TB_UNPARK)
		job_unpark(b, "the frame is taken");
	else
		log_warnx("%s: '%s' from spoold is not about a job",
		    b->printer, msg_field(&m, 0));
}

/* RUNDIR/PRINTER.sock: where a new spoold finds this backend.  Only
 * our own user (spoold's) may connect: the directory is spoold's, and
 * each caller's credentials are checked on accept. */
static void
attach_listen(struct backend *b)
{
	struct sockaddr_un sun;
	char *tmp;
	int fd;

	b->listen_fd = -1;
	if (b->rundir == NULL)
		return;
	b->sock_path = xasprintf("%s/%s.sock", b->rundir, b->printer);
	b->end_path = xasprintf("%s/%s.end", b->rundir, b->printer);
	tmp = xasprintf("%s/%s.sock.%ld", b->rundir, b->printer,
	    (long)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(tmp) >= sizeof(sun.sun_path)) {
		log_warnx("%s: %s: path too long; spoold cannot re-attach to"
		    " this backend", b->printer, b->sock_path);
		free(tmp);
		return;
	}
	strcpy(sun.sun_path, tmp);
	unlink(tmp);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(tmp, 0600) < 0 || listen(fd, 4) < 0 ||
	    rename(tmp, b->sock_path) < 0) {
		log_warn("%s: %s; spoold cannot re-attach to this backend",
		    b->printer, b->sock_path);
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		return;
	}
	free(tmp);
	b->listen_fd = fd;
}

static void
attach_close(struct backend *b)
{
	if (b->listen_fd >= 0) {
		close(b->listen_fd);
		/* Ours still, unless a newer backend took the name. */
		unlink(b->sock_path);
	}
	b->listen_fd = -1;
	free(b->sock_path);
	free(b->end_path);
}

/* A new spoold: greet it with the job and where it stands and the
 * protocol we speak (proto.h: last, so that a spoold from before
 * versions reads the rest), then the printer's state, and go on as
 * before. */
static void
attach_accept(struct backend *b)
{
	char pid[32], id[32], lines[32], layer[32], bytes[32], version[16];
	const char *activity;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* spoold's user alone (the backend's own): not root, not gsftpd's
	 * or any other user. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.uid != getuid()) {
		log_warnx("%s: refused a connection from uid %ld", b->printer,
		    (long)cred.uid);
		close(fd);
		return;
	}
	b->ctl = fd;
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	/* A job whose end was already told (or kept in the end file) is
	 * no longer spoold's to follow. */
	snprintf(id, sizeof(id), "%ld", b->job.reported ? 0 : b->job.id);
	snprintf(lines, sizeof(lines), "%ld", b->job.acked + b->job.base_lines);
	snprintf(layer, sizeof(layer), "%lu", b->job.layer);
	snprintf(bytes, sizeof(bytes), "%llu", b->job.bytes_acked);
	switch (b->job.ctl) {
	case JC_PAUSING:	activity = "pausing"; break;
	case JC_PAUSED:
	case JC_HELD:		activity = "paused"; break;
	case JC_CANCELING:	activity = "canceling"; break;
	default:		activity = "printing"; break;
	}
	log_info("%s: spoold re-attached%s%s", b->printer,
	    b->job.id && !b->job.reported ? "; printing job " : "",
	    b->job.id && !b->job.reported ? id : "");
	snprintf(version, sizeof(version), "%d", PROTO_VERSION);
	if (msg_send(b->ctl, -1, proto_name(PROTO_FROM_BACKEND, FB_HELLO), pid,
	    id, lines, layer, bytes, activity, version, (char *)NULL) < 0) {
		close(b->ctl);
		b->ctl = -1;
		return;
	}
	if (b->last_state[0] != '\0')
		tell(b, "status", b->last_state, b->last_text, NULL);
	if (b->last_temps[0] != '\0')
		tell(b, "temps", b->last_temps, NULL, NULL);
}

/* Is cmd the command letter+number (M104, not M1040)? */
static int
is_cmd(const char *cmd, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(cmd, name, n) == 0 &&
	    !isdigit((unsigned char)cmd[n]) && cmd[n] != '.';
}

/* What a resumed job must set again before its layer: heaters and fan,
 * as the file had set them by then. */
struct resume_state {
	struct gstate	 gs;
	double		 hotend, bed, fan;	/* -1: never set */
};

static void
resume_follow(struct resume_state *r, const char *cmd)
{
	double v;

	if (is_cmd(cmd, "M104") || is_cmd(cmd, "M109")) {
		if (gcode_word(cmd, 'S', &v) || gcode_word(cmd, 'R', &v))
			r->hotend = v;
	} else if (is_cmd(cmd, "M140") || is_cmd(cmd, "M190")) {
		if (gcode_word(cmd, 'S', &v) || gcode_word(cmd, 'R', &v))
			r->bed = v;
	} else if (is_cmd(cmd, "M106"))
		r->fan = gcode_word(cmd, 'S', &v) ? v : 255;
	else if (is_cmd(cmd, "M107"))
		r->fan = 0;
	gstate_apply(&r->gs, cmd);
}

/*
 * gpc resume-from: start job j again at the first command of a layer,
 * after a power cut or a backend that died.  The file is read from the
 * start to learn the state there and the height the head stopped at
 * (after `stopline' commands); then the printer heats up, takes that
 * height as its Z, lifts, homes X and Y only, goes back over the layer's
 * start, sets E and the modes, and the job goes on from there.
 * 0, or -1 with why.
 */
static int
job_seek_layer(struct backend *b, unsigned long layer, long stopline,
    char *why, size_t whysz)
{
	struct job *j = &b->job;
	struct gcode_lexer lx;
	struct resume_state cur, at;
	enum gcode_status st = GCODE_MORE;
	unsigned long long start = 0, prev = 0;
	double zstop = 0, x, y, z;
	long base_lines = 0;
	char cmd[96];
	int found = 0, zfound = 0, i;
	size_t off = 0, len = 0, used;
	ssize_t n;

	gcode_lexer_init(&lx, NULL);
	memset(&cur, 0, sizeof(cur));
	gstate_init(&cur.gs);
	cur.hotend = cur.bed = cur.fan = -1;
	at = cur;
	while (!(found && zfound)) {
		if (off == len) {
			if ((n = read(j->fd, j->buf, JOB_BUFSZ)) < 0) {
				snprintf(why, whysz, "cannot read the job's"
				    " file: %s", strerror(errno));
				return -1;
			}
			off = 0;
			len = (size_t)n;
			if (n == 0) {
				if ((st = gcode_lex_end(&lx)) != GCODE_CMD)
					break;
				used = 0;
				goto command;
			}
		}
		used = gcode_lex(&lx, j->buf + off, len - off, &st);
		off += used;
		if (st == GCODE_ERROR) {
			snprintf(why, whysz, "%s", lx.error);
			return -1;
		}
		if (st != GCODE_CMD)
			continue;
command:
		if (!found && lx.layer == layer) {
			found = 1;
			at = cur;
			start = prev;
			base_lines = (long)lx.ncmds - 1;
		}
		resume_follow(&cur, lx.cmd);
		prev = lx.bytes;
		if (!zfound && (long)lx.ncmds >= stopline) {
			zfound = gstate_machine(&cur.gs, GS_Z, &zstop);
			if (!zfound) {
				snprintf(why, whysz, "the height the print"
				    " stopped at is not known");
				return -1;
			}
		}
		if (len == 0)
			break;
	}
	if (!found) {
		snprintf(why, whysz, "the file has no layer %lu", layer);
		return -1;
	}
	if (!zfound) {
		snprintf(why, whysz, "the print stopped after line %ld, beyond"
		    " the file's end", stopline);
		return -1;
	}
	if (!gstate_machine(&at.gs, GS_X, &x) ||
	    !gstate_machine(&at.gs, GS_Y, &y) ||
	    !gstate_machine(&at.gs, GS_Z, &z)) {
		snprintf(why, whysz, "where layer %lu starts is not known",
		    layer);
		return -1;
	}
	if (lseek(j->fd, (off_t)start, SEEK_SET) < 0) {
		snprintf(why, whysz, "cannot seek in the job's file: %s",
		    strerror(errno));
		return -1;
	}
	/* The layer's marker comes again: counted from the layer before. */
	gcode_lexer_init(&j->lx, NULL);
	j->lx.layer = layer - 1;
	j->layer_fed = j->layer = layer - 1;
	j->base_bytes = start;
	j->base_lines = base_lines;
	j->gs = at.gs;
	if (at.bed > 0) {
		snprintf(cmd, sizeof(cmd), "M140 S%.0f", at.bed);
		pend_add(b, cmd);
	}
	if (at.hotend > 0) {
		snprintf(cmd, sizeof(cmd), "M104 S%.0f", at.hotend);
		pend_add(b, cmd);
	}
	if (at.bed > 0) {
		snprintf(cmd, sizeof(cmd), "M190 S%.0f", at.bed);
		pend_add(b, cmd);
	}
	if (at.hotend > 0) {
		snprintf(cmd, sizeof(cmd), "M109 S%.0f", at.hotend);
		pend_add(b, cmd);
	}
	pend_add(b, "G21");
	pend_add(b, "G90");
	snprintf(cmd, sizeof(cmd), "G92 Z%.3f", zstop);
	pend_add(b, cmd);
	pend_add(b, "G91");
	pend_add(b, "G1 Z5 F600");
	pend_add(b, "G90");
	pend_add(b, "G28 X Y");
	snprintf(cmd, sizeof(cmd), "G1 X%.3f Y%.3f F3000", x, y);
	pend_add(b, cmd);
	snprintf(cmd, sizeof(cmd), "G1 Z%.3f F600", z);
	pend_add(b, cmd);
	/* Back in the file's own coordinates. */
	for (i = 0; i < 3; i++)
		if (at.gs.origin[i] != 0) {
			snprintf(cmd, sizeof(cmd), "G92 %c%.3f", "XYZ"[i],
			    at.gs.pos[i]);
			pend_add(b, cmd);
		}
	if (at.fan >= 0) {
		snprintf(cmd, sizeof(cmd), at.fan > 0 ? "M106 S%.0f" : "M107",
		    at.fan);
		pend_add(b, cmd);
	}
	j->at_pause = at.gs;
	pend_restore(b, GSTATE_MODES);
	log_info("%s-%ld: resuming from layer %lu (byte %llu), the head"
	    " taken to be at Z%.3f", b->printer, j->id, layer, start, zstop);
	return 0;
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

	while (!quit) {
		struct pollfd pfd[3];
		const char *out;
		size_t outlen;
		long long now = monotonic_ms();
		long timeout = -1, t;
		ssize_t n;
		int np = 0, ctl_i = -1, port_i = -1, lis_i = -1;

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
		if (poll(pfd, (nfds_t)np, (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		now = monotonic_ms();
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
