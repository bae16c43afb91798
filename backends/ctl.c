/*
 * ctl.c - the serial backend's spoold side: the control socket (standard
 * input) and its messages, what spoold is told, the end file and the
 * re-attach socket.
 *
 * spoold's messages (print, script, send, estop, answer, cancel, pause,
 * resume, unpark, filter) are read here and turned into the job state
 * machine's calls (job.c), or filters.c's.  What the backend tells
 * spoold goes out here too: its status (each change once), a job's
 * progress at most every PROGRESS_MS and at each new layer, its events,
 * its link figures and its end.  A job's end is written to
 * RUNDIR/PRINTER.end before spoold is told, so that an end no spoold
 * heard is found by the next one.  With -d the backend
 * listens on RUNDIR/PRINTER.sock, and a new spoold re-attaches there and
 * is greeted with the job in progress ("hello", with PROTO_VERSION),
 * then given back the job's filters' pipes (filters.c).
 *
 * Security: spoold's messages are checked against proto.h (names and
 * arguments) before they are acted on, numbers are parsed with bounds,
 * and a script's name must be one of the six; the job arrives as an open
 * descriptor, never a path.  The re-attach socket is made mode 0600 in
 * spoold's directory under a temporary name and renamed into place, and
 * only a peer of the backend's own uid (SO_PEERCRED) is accepted.  The
 * end file is written with O_NOFOLLOW, whole or not at all (a rename),
 * and its reason is cleaned of control characters.
 *
 * Diagnostics: an unknown, short or malformed message from spoold is
 * logged with the printer's name and left; so is a refused connection
 * (with its uid), a socket or end file that cannot be made, and spoold
 * going away (the job in progress goes on).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "proto.h"
#include "util.h"
#include "backend.h"

static const char *const script_names[SC_N] = { "pause", "resume",
	"cancel", "between", "park", "unpark" };

void
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

void
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
void
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
	filters_job_end(&b->filters, b->job.id, b->ctl >= 0, state);
}

void
job_progress(struct backend *b, long long now, int force)
{
	char id[32], lines[32], layer[64], bytes[32], z[32];

	if (b->job.id != 0 && b->job.layer != 0 &&
	    b->job.layer != b->job.layer_told) {
		/* Each new layer to the filters whose events we keep, at
		 * once, spoold or not (filters.c). */
		b->job.layer_told = b->job.layer;
		snprintf(layer, sizeof(layer), "%lu z=%.3f", b->job.layer,
		    b->job.layer_z);
		filters_tell(&b->filters, b->job.id, FEV_LAYER, layer);
	}
	if (b->job.id == 0 || (!force &&
	    now - b->job.last_progress < PROGRESS_MS))
		return;
	b->job.last_progress = now;
	b->job.progress_lines = b->job.acked + b->job.base_lines;
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

void
job_activity(struct backend *b, const char *what, const char *why)
{
	char id[32];

	snprintf(id, sizeof(id), "%ld", b->job.id);
	log_info("%s-%ld: %s%s%s", b->printer, b->job.id, what,
	    why[0] ? ": " : "", why);
	tell(b, "job", id, what, why);
}

/* "kept ID NAME PID": we hold that filter's events now (filters.c). */
static void
kept_tell(struct backend *b, long id, const struct msg *m)
{
	char ids[32], pids[32];
	long pid;

	if (parse_long(msg_field(m, TB_FILTER_PID), 2, 2000000000L, &pid) < 0)
		return;
	snprintf(ids, sizeof(ids), "%ld", id);
	snprintf(pids, sizeof(pids), "%ld", pid);
	tell(b, proto_name(PROTO_FROM_BACKEND, FB_KEPT), ids,
	    msg_field(m, TB_FILTER_NAME), pids);
}

void
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
	if (k == TB_FILTER) {
		if (filters_keep(&b->filters, b->job.reported ? 0 : b->job.id,
		    id, &m) == 1)
			kept_tell(b, id, &m);
		return;
	}
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
		filters_drop(&b->filters);
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
		    &b->job.preempted0, NULL);
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
	if (k == TB_ANSWER) {
		prompt_answer(b, msg_field(&m, TB_ANSWER_INDEX));
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
void
attach_listen(struct backend *b)
{
	b->listen_fd = -1;
	if (b->rundir == NULL)
		return;
	b->sock_path = xasprintf("%s/%s.sock", b->rundir, b->printer);
	b->end_path = xasprintf("%s/%s.end", b->rundir, b->printer);
	if ((b->listen_fd = seqpacket_listen(b->sock_path)) < 0)
		log_warn("%s: %s; spoold cannot re-attach to this backend",
		    b->printer, b->sock_path);
}

void
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
void
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
	/* The filters' pipes back: they outlived the spoold before. */
	filters_hand_over(&b->filters, b->ctl);
	if (b->last_state[0] != '\0')
		tell(b, "status", b->last_state, b->last_text, NULL);
	if (b->last_temps[0] != '\0')
		tell(b, "temps", b->last_temps, NULL, NULL);
	if (b->prompt.shown)
		prompt_tell(b);
}
