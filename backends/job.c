/*
 * job.c - the job state machine of the serial backend: a job fed to the
 * protocol engine, and steered.
 *
 * A job is an open spool file, read a buffer at a time and lexed with
 * the lexer that checked it at ingest; each command goes to the link
 * (link.h), which numbers, checksums and acknowledges it.  Lines of the
 * printer's own scripts (pause, resume, cancel, between jobs, park,
 * unpark), of a restore and of gpc send wait in a short queue and go
 * before any more of the job.  The job stands in one of the states of
 * enum jctl: running, pausing and paused (resume takes the head back
 * where it was, then the modes), held (the printer paused itself),
 * parking and parked for a camera's frame at a layer change (unparked
 * when the frame is taken or after -p seconds), and canceling (the job
 * has ended; the cancel G-code runs while the printer is busy).  An M0
 * or M1 pauses the job before the next command.  Which lines are
 * acknowledged gives the layer reached and the file offset, for
 * progress.  However a job ends, the heaters go off -H seconds later if
 * no job came.
 *
 * Security: the spool file was checked at ingest; should it change
 * since, a line the lexer refuses aborts the job with the lexer's
 * reason.  Every queue here is bounded: a script line past PEND_MAX is
 * left out, with a warning.
 *
 * Diagnostics: each change of the job's state is logged and told to
 * spoold (job_activity), with its reason; a spool file that cannot be
 * read aborts the job and says so.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "backend.h"

/* The backend's own CPU time so far, user and system, and its context
 * switches: waits (for the printer, for spoold) and preemptions; its
 * peak memory too where maxrss is not NULL. */
void
own_usage(double *user, double *sys, long *waits, long *preempted,
    long *maxrss)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	*waits = ru.ru_nvcsw;
	*preempted = ru.ru_nivcsw;
	if (maxrss != NULL)
		*maxrss = ru.ru_maxrss;
}

/* One line of figures per job, the job's alone: what the benchmarks
 * read.  Its system calls are the link's: the loop's polls and the
 * port's reads and writes (a few messages to spoold aside). */
void
job_stats(struct backend *b)
{
	double secs = (double)(monotonic_ms() - b->job.started) / 1000.0;
	double user, sys;
	long waits, preempted, maxrss;

	own_usage(&user, &sys, &waits, &preempted, &maxrss);
	user -= b->job.user0;
	sys -= b->job.sys0;
	waits -= b->job.waits0;
	preempted -= b->job.preempted0;
	log_info("%s-%ld: stats lines=%ld bytes=%llu seconds=%.3f resends=%lu"
	    " faults=%lu lost_oks=%lu timeouts=%lu rtt_ms=%ld cpu_s=%.3f"
	    " user_s=%.3f switches=%ld preempted=%ld max_rss_kib=%ld"
	    " syscalls=%lu",
	    b->printer, b->job.id, b->job.acked,
	    b->link.bytes_sent - b->job.bytes0, secs,
	    b->link.resends - b->job.resends0,
	    b->link.faults - b->job.faults0,
	    b->link.lost_oks - b->job.lost_oks0,
	    b->link.timeout_count - b->job.timeouts0, b->link.rtt_ms,
	    user + sys, user, waits + preempted, preempted, maxrss,
	    b->syscalls - b->job.syscalls0);
}

void
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

/* The job's lines up to `acked' are acknowledged: the layer reached is
 * that of the last layer start among them. */
void
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

/* Queue the lines of a script (or of a restore) to go before any more
 * of the job. */
void
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
void
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

void
pend_script(struct backend *b, int which)
{
	pend_lines(b, b->script[which]);
}

void
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
int
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
int
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
	if (j->ctl == JC_PAUSING) {
		/* Asked before the pause G-code is done: the job is shown
		 * paused already, so it resumes as soon as it is. */
		j->resume_asked = 1;
		log_info("%s-%ld: %s: once the pause is done", b->printer,
		    j->id, why);
		return 0;
	}
	if (j->ctl != JC_PAUSED)
		return -1;
	j->resume_asked = 0;
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
void
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

void
job_cancel(struct backend *b, const char *why)
{
	job_cancel_as(b, "canceled", why);
}

/* Called after every turn: has a script the printer acknowledged
 * changed where the job stands? */
void
job_check_scripts(struct backend *b)
{
	struct job *j = &b->job;

	if (j->id == 0 || b->pend_i < b->npend ||
	    link_lines_acked(&b->link) < b->script_end)
		return;
	if (j->ctl == JC_PAUSING) {
		j->ctl = JC_PAUSED;
		job_activity(b, "paused", "");
		if (j->resume_asked)
			job_resume(b, "resumed by request");
	} else if (j->ctl == JC_PARKING) {
		char id[32], layer[32];

		/* Parked: the filters take their frame, then unpark. */
		j->ctl = JC_PARKED;
		j->park_deadline = monotonic_ms() + b->park_ms;
		snprintf(id, sizeof(id), "%ld", j->id);
		snprintf(layer, sizeof(layer), "%lu", j->lx.layer);
		log_info("%s-%ld: parked for a frame before layer %lu",
		    b->printer, j->id, j->lx.layer);
		filters_tell(&b->filters, b->job.id, FEV_PARKED, layer);
		tell(b, "park", id, layer, NULL);
	}
}

/* The frame is taken (or the wait is over): back over the print, the
 * unpark G-code, E and the modes, then the layer's first command. */
void
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
void
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
void
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
void
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

/* No job came within heaters_off_after of the last one's end: every
 * heater the printer reports goes off, as our own lines (not a job's,
 * not gpc send's), and spoold is told. */
void
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
