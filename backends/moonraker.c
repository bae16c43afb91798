/*
 * moonraker.c - the backend of a Klipper printer behind Moonraker
 * (device = moonraker://HOST[:PORT], or moonrakers:// for https):
 * gspool-backend(7) on one side, Moonraker's HTTP API on the other.
 *
 * spoold has checked the job for Klipper before it comes here.  The
 * file is uploaded under gspool-PRINTER-ID.gcode with its SHA-256
 * (which the host verifies), started with /printer/print/start, and
 * followed by asking /printer/objects/query every MR_POLL_MS for
 * print_stats (state, file, layer), virtual_sdcard (the file position),
 * display_status, the heaters and webhooks (Klipper's own state).  The
 * job's progress is the host's file position, in lines of the file and
 * bytes; its end is the host's outcome, or Klipper's shutdown with
 * Klipper's message.  Pause, resume, cancel and the emergency stop are
 * the host's /printer/ requests (its PAUSE, RESUME and CANCEL_PRINT
 * macros, not the configuration's G-code); gpc send goes through
 * /printer/gcode/script.
 *
 * An unreachable host is the printer offline (status error), never the
 * job failing: a job being followed is followed again once the host
 * answers, a job handed while it is away goes back pending.  It is
 * tried again after -r seconds, doubling to MR_BACKOFF_MAX.  A print
 * the host runs that is not ours shows the printer busy.  When spoold
 * goes, the print goes on and this backend listens on RUNDIR/PRINTER.sock
 * for the next one (the same socket, hello and end file as the serial
 * backend's, ctl.c).
 *
 * Security: the host's answers are parsed in mrhttp.c, and only fields
 * looked up by name and type are used; the text sent to spoold from
 * them is cleaned of control characters and bounded.  spoold's
 * messages are checked by proto_parse(); the job comes as a descriptor.
 * The device may not carry credentials (user@host is refused): the key
 * comes from -a, a file only this user can read.  The re-attach socket
 * is mode 0600 and accepts only this uid (SO_PEERCRED).
 *
 * Diagnostics: each line names the printer (and the job), the request
 * and the host's or curl's reason; a change of state is logged once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "util.h"
#include "moonraker.h"

enum act { ACT_PRINTING, ACT_PAUSING, ACT_PAUSED, ACT_CANCELING };
static const char *const act_names[] = { "printing", "pausing", "paused",
	"canceling" };

struct mjob {
	long		 id;		/* 0: none */
	char		 name[160];	/* its name on the host */
	struct mr_file	 f;
	enum act	 act;
	int		 seen;		/* the host was seen printing it */
	int		 waits;		/* polls before it was */
	long		 lines;
	unsigned long	 layer;
	long long	 bytes;
	long long	 told_at;
	long		 told_lines;
	unsigned long	 told_layer;
	unsigned long	 logged_layer;
};

struct mr {
	const char	*printer;
	const char	*keyfile;
	const char	*rundir;
	struct mr_host	 host;
	char		 hostname[300];
	int		 ctl;
	int		 listen_fd;
	char		*sock_path, *end_path;
	long		 retry_ms, backoff_ms;
	long long	 poll_at;
	long		 heaters_ms;
	long long	 heaters_at;
	char		*between;
	char		 state[32], text[480];
	char		 temps[256];
	long long	 temps_at;
	struct mjob	 job;
};

static volatile sig_atomic_t term;

static void
tell(struct mr *m, const char *a, const char *b, const char *c,
    const char *d)
{
	if (m->ctl < 0)
		return;
	if (msg_send(m->ctl, -1, a, b, c, d, (char *)NULL) < 0 &&
	    errno != EAGAIN) {
		log_warn("%s: spoold went away", m->printer);
		close(m->ctl);
		m->ctl = -1;
	}
}

static void
status(struct mr *m, const char *state, const char *text)
{
	if (strcmp(m->state, state) == 0 && strcmp(m->text, text) == 0)
		return;
	snprintf(m->state, sizeof(m->state), "%s", state);
	snprintf(m->text, sizeof(m->text), "%s", text);
	if (strcmp(state, "error") == 0)
		log_warnx("%s: %s", m->printer, text);
	else
		log_info("%s: %s %s", m->printer, state, text);
	tell(m, "status", state, text, NULL);
}

static void
activity(struct mr *m, enum act a, const char *why)
{
	char id[32];

	if (m->job.act == a)
		return;
	m->job.act = a;
	snprintf(id, sizeof(id), "%ld", m->job.id);
	log_info("%s-%ld: %s%s%s", m->printer, m->job.id, act_names[a],
	    why[0] ? ": " : "", why);
	tell(m, "job", id, act_names[a], why);
}

static void
progress(struct mr *m, int force)
{
	char id[32], lines[32], layer[32], bytes[32];
	long long now = monotonic_ms();

	if (!force && m->job.lines == m->job.told_lines &&
	    m->job.layer == m->job.told_layer)
		return;
	if (!force && m->job.layer == m->job.told_layer &&
	    now - m->job.told_at < 500)
		return;
	m->job.told_at = now;
	m->job.told_lines = m->job.lines;
	m->job.told_layer = m->job.layer;
	snprintf(id, sizeof(id), "%ld", m->job.id);
	snprintf(lines, sizeof(lines), "%ld", m->job.lines);
	snprintf(layer, sizeof(layer), "%lu", m->job.layer);
	snprintf(bytes, sizeof(bytes), "%lld", m->job.bytes);
	if (m->ctl >= 0 && msg_send(m->ctl, -1, "progress", id, lines, layer,
	    bytes, "0", (char *)NULL) < 0 && errno != EAGAIN) {
		log_warn("%s: spoold went away", m->printer);
		close(m->ctl);
		m->ctl = -1;
	}
	/* Once spoold has it: a layer is an event worth a line. */
	if (m->job.layer != m->job.logged_layer) {
		m->job.logged_layer = m->job.layer;
		log_info("%s-%ld: layer %lu, line %ld, byte %lld", m->printer,
		    m->job.id, m->job.layer, m->job.lines, m->job.bytes);
	}
}

/* The end where a spoold that was away finds it (gspool-backend(7)):
 * whole or not at all. */
static void
end_file_write(struct mr *m, const char *state, const char *why)
{
	char *tmp;
	int fd, ok;

	if (m->end_path == NULL)
		return;
	tmp = xasprintf("%s.tmp", m->end_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	ok = fd >= 0 && dprintf(fd, "%ld\t%s\t%ld\t%lu\t%s\n", m->job.id,
	    state, m->job.lines, m->job.layer, why) > 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, m->end_path) < 0 || fsync_dir(m->rundir) < 0)
		log_warn("%s-%ld: cannot record its end in %s", m->printer,
		    m->job.id, m->end_path);
	free(tmp);
}

/* The upload is the host's to forget once the job is over. */
static void
upload_remove(struct mr *m)
{
	struct mr_reply r;
	char *path, *e;

	e = mr_escape(m->job.name);
	path = xasprintf("/server/files/gcodes/%s", e);
	if (mr_request(&m->host, "DELETE", path, NULL, &r) < 0)
		log_warnx("%s-%ld: cannot remove %s from the host: %s",
		    m->printer, m->job.id, m->job.name, r.why);
	mr_reply_free(&r);
	free(path);
	free(e);
}

static void
job_end(struct mr *m, const char *state, const char *reason, int remove)
{
	char id[32], why[480];
	int begun;

	if (m->job.id == 0)
		return;
	clean_text(why, sizeof(why), reason);
	/* A job handed back (pending) never began: no progress, and no
	 * end for a later spoold to record, as with the serial backend. */
	begun = strcmp(state, "pending") != 0;
	if (begun)
		progress(m, 1);
	log_info("%s-%ld: %s%s%s", m->printer, m->job.id, state,
	    why[0] ? ": " : "", why);
	if (begun)
		end_file_write(m, state, why);
	snprintf(id, sizeof(id), "%ld", m->job.id);
	tell(m, "end", id, state, why);
	if (remove)
		upload_remove(m);
	mr_file_free(&m->job.f);
	if (m->job.f.fd >= 0)
		close(m->job.f.fd);
	memset(&m->job, 0, sizeof(m->job));
	m->job.f.fd = -1;
	if (m->heaters_ms > 0)
		m->heaters_at = monotonic_ms() + m->heaters_ms;
}

/* The host could not be asked: the printer is offline, the job (if
 * any) waits for it, and the next try is later each time. */
static void
host_lost(struct mr *m, const struct mr_reply *r)
{
	char text[480];

	if (r->code == 401 || r->code == 403)
		snprintf(text, sizeof(text), "%.150s refused the request"
		    " (%.280s): check api_key_file", m->hostname, r->why);
	else if (r->code == 0)
		snprintf(text, sizeof(text), "cannot reach %.150s: %.300s",
		    m->hostname, r->why);
	else
		snprintf(text, sizeof(text), "%.150s: %.300s", m->hostname,
		    r->why);
	status(m, "error", text);
	m->backoff_ms = m->backoff_ms == 0 ? m->retry_ms :
	    m->backoff_ms * 2 > MR_BACKOFF_MAX ? MR_BACKOFF_MAX :
	    m->backoff_ms * 2;
	if (m->backoff_ms < m->retry_ms)
		m->backoff_ms = m->retry_ms;
	m->poll_at = monotonic_ms() + m->backoff_ms;
}

static const char *
jstr(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(o, a), b);

	return json_is_string(v) ? json_string_value(v) : "";
}

static double
jnum(json_t *o, const char *a, const char *b, double dflt)
{
	json_t *v = json_object_get(json_object_get(o, a), b);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static void
temps_tell(struct mr *m, json_t *st)
{
	char t[256];
	long long now = monotonic_ms();

	if (json_object_get(st, "extruder") == NULL)
		return;
	snprintf(t, sizeof(t), "T:%.1f /%.1f B:%.1f /%.1f",
	    jnum(st, "extruder", "temperature", 0),
	    jnum(st, "extruder", "target", 0),
	    jnum(st, "heater_bed", "temperature", 0),
	    jnum(st, "heater_bed", "target", 0));
	if (strcmp(t, m->temps) == 0 && now - m->temps_at < 5000)
		return;
	snprintf(m->temps, sizeof(m->temps), "%s", t);
	m->temps_at = now;
	tell(m, "temps", t, NULL, NULL);
}

/* Our job, as print_stats and virtual_sdcard say it stands. */
static void
job_follow(struct mr *m, json_t *st, const char *pstate, const char *file)
{
	json_t *cl;
	double pos;

	if (strcmp(file, m->job.name) != 0) {
		if (strcmp(pstate, "printing") == 0 ||
		    strcmp(pstate, "paused") == 0)
			job_end(m, "aborted", "the host prints another file"
			    " instead", 1);
		else if (++m->job.waits > 10)
			job_end(m, "aborted", "the host did not start the"
			    " file", 1);
		return;
	}
	if (strcmp(pstate, "printing") == 0 || strcmp(pstate, "paused") == 0)
		m->job.seen = 1;
	pos = jnum(st, "virtual_sdcard", "file_position", -1);
	if (pos >= 0 && pos <= (double)m->job.f.size) {
		m->job.bytes = (long long)pos;
		m->job.lines = mr_file_lines_at(&m->job.f, m->job.bytes);
	}
	cl = json_object_get(json_object_get(json_object_get(st,
	    "print_stats"), "info"), "current_layer");
	if (json_is_integer(cl) && json_integer_value(cl) > 0)
		m->job.layer = (unsigned long)json_integer_value(cl);
	if (strcmp(pstate, "printing") == 0) {
		if (m->job.act == ACT_PAUSED || m->job.act == ACT_PAUSING)
			activity(m, ACT_PRINTING, "resumed on the host");
		progress(m, 0);
	} else if (strcmp(pstate, "paused") == 0) {
		progress(m, 0);
		activity(m, ACT_PAUSED, m->job.act == ACT_PAUSING ?
		    "paused by request" : "paused on the host");
	} else if (strcmp(pstate, "complete") == 0) {
		m->job.bytes = m->job.f.size;
		m->job.lines = mr_file_lines_at(&m->job.f, m->job.f.size);
		job_end(m, "completed", "", 1);
	} else if (strcmp(pstate, "cancelled") == 0)
		job_end(m, "canceled", m->job.act == ACT_CANCELING ?
		    "canceled by request" : "canceled on the host", 1);
	else if (strcmp(pstate, "error") == 0) {
		char why[480];

		snprintf(why, sizeof(why), "Klipper: %.400s",
		    jstr(st, "print_stats", "message"));
		job_end(m, "aborted", why, 1);
	} else if (m->job.seen)
		job_end(m, "canceled", "the host's print was reset", 1);
	else if (++m->job.waits > 10)
		job_end(m, "aborted", "the host did not start the file", 1);
}

static void
poll_host(struct mr *m)
{
	struct mr_reply r;
	json_t *st;
	const char *ws, *pstate, *file;
	char text[480];

	m->poll_at = monotonic_ms() + MR_POLL_MS;
	if (mr_request(&m->host, "GET", "/printer/objects/query",
	    "print_stats&virtual_sdcard&display_status&heater_bed&extruder"
	    "&webhooks", &r) < 0) {
		host_lost(m, &r);
		return;
	}
	m->backoff_ms = 0;
	st = json_object_get(r.result, "status");
	ws = jstr(st, "webhooks", "state");
	pstate = jstr(st, "print_stats", "state");
	file = jstr(st, "print_stats", "filename");
	temps_tell(m, st);
	if (strcmp(ws, "ready") != 0) {
		clean_text(text, sizeof(text), jstr(st, "webhooks",
		    "state_message"));
		if (strcmp(ws, "startup") == 0) {
			status(m, "connecting", "Klipper is starting");
		} else {
			char why[480];

			snprintf(why, sizeof(why), "Klipper %s: %.400s",
			    ws[0] ? ws : "not ready", text);
			status(m, "error", why);
			job_end(m, "aborted", why, 0);
		}
	} else if (m->job.id != 0) {
		/* Ready, as the serial backend is while it prints: spoold
		 * hands out one job at a time, and busy is for what gspool
		 * did not start. */
		job_follow(m, st, pstate, file);
		status(m, "ready", "Klipper");
	} else if (strcmp(pstate, "printing") == 0 ||
	    strcmp(pstate, "paused") == 0) {
		clean_text(text, sizeof(text), file);
		{
			char why[480];

			snprintf(why, sizeof(why), "%s %.400s, not a gspool"
			    " job", pstate, text);
			status(m, "busy", why);
		}
	} else
		status(m, "ready", "Klipper");
	mr_reply_free(&r);
}

/* A gcode/script request: 0, or -1 with why. */
static int
gcode_run(struct mr *m, const char *script, char *why, size_t whysz)
{
	struct mr_reply r;
	char *q, *e;
	int rv;

	e = mr_escape(script);
	q = xasprintf("script=%s", e);
	rv = mr_request(&m->host, "POST", "/printer/gcode/script", q, &r);
	if (rv < 0)
		snprintf(why, whysz, "%s", r.why);
	mr_reply_free(&r);
	free(q);
	free(e);
	return rv;
}

static void
print_fail(struct mr *m, long id, int fd, const char *state,
    const char *why)
{
	char ids[32];

	log_warnx("%s-%ld: %s: %s", m->printer, id, state, why);
	snprintf(ids, sizeof(ids), "%ld", id);
	tell(m, "end", ids, state, why);
	if (fd >= 0)
		close(fd);
}

/* print ID [between]: check, upload, start. */
static void
print_start(struct mr *m, long id, int fd, const char *how)
{
	struct mr_reply r;
	char why[600], *q, *e;
	struct mr_file f;

	if (m->job.id != 0 || strcmp(m->state, "ready") != 0) {
		print_fail(m, id, fd, "pending", "the printer is not ready");
		return;
	}
	if (strcmp(how, "resume") == 0) {
		print_fail(m, id, fd, "stopped", "a Moonraker printer cannot"
		    " start a job part way (gpc resume-from)");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.fd = fd;
	if (mr_file_scan(&f, why, sizeof(why)) < 0) {
		print_fail(m, id, fd, "aborted", why);
		return;
	}
	if (strcmp(how, "between") == 0 && m->between != NULL &&
	    m->between[0] != '\0' && gcode_run(m, m->between, why,
	    sizeof(why)) < 0) {
		mr_file_free(&f);
		print_fail(m, id, fd, "pending", why);
		return;
	}
	memset(&m->job, 0, sizeof(m->job));
	m->job.id = id;
	m->job.f = f;
	snprintf(m->job.name, sizeof(m->job.name), "gspool-%s-%ld.gcode",
	    m->printer, id);
	log_info("%s-%ld: uploading %lld bytes as %s", m->printer, id,
	    f.size, m->job.name);
	if (mr_upload(&m->host, &m->job.f, m->job.name, &r) < 0) {
		/* Away or refusing now: later, not never. */
		int later = r.code == 0 || r.code >= 500 || r.code == 401 ||
		    r.code == 403;

		if (later)
			host_lost(m, &r);
		job_end(m, later ? "pending" : "aborted", r.why, 0);
		mr_reply_free(&r);
		return;
	}
	mr_reply_free(&r);
	e = mr_escape(m->job.name);
	q = xasprintf("filename=%s", e);
	free(e);
	if (mr_request(&m->host, "POST", "/printer/print/start", q, &r) < 0) {
		if (r.code == 0)
			host_lost(m, &r);
		job_end(m, "pending", r.why, r.code != 0);
		mr_reply_free(&r);
		free(q);
		return;
	}
	mr_reply_free(&r);
	free(q);
	m->heaters_at = 0;
	m->job.act = ACT_CANCELING;	/* so that printing is told */
	activity(m, ACT_PRINTING, "");
	m->poll_at = monotonic_ms();
}

static void
job_request(struct mr *m, const char *what, enum act a, const char *why)
{
	struct mr_reply r;
	char *path;

	path = xasprintf("/printer/print/%s", what);
	if (mr_request(&m->host, "POST", path, NULL, &r) < 0)
		log_warnx("%s-%ld: %s: %s", m->printer, m->job.id, what,
		    r.why);
	else
		activity(m, a, why);
	mr_reply_free(&r);
	free(path);
	m->poll_at = monotonic_ms();
}

static void
send_lines(struct mr *m, const char *lines)
{
	char why[600];

	if (m->job.id != 0 || strcmp(m->state, "ready") != 0) {
		tell(m, "manual", "failed", m->job.id ? "the printer is busy" :
		    "the printer is not ready", NULL);
		return;
	}
	if (gcode_run(m, lines, why, sizeof(why)) < 0)
		tell(m, "manual", "failed", why, NULL);
	else
		tell(m, "manual", "done", "ok", NULL);
}

static void
estop(struct mr *m)
{
	struct mr_reply r;

	log_warnx("%s: emergency stop requested", m->printer);
	if (mr_request(&m->host, "POST", "/printer/emergency_stop", NULL,
	    &r) < 0)
		log_warnx("%s: emergency stop: %s", m->printer, r.why);
	mr_reply_free(&r);
	m->poll_at = monotonic_ms();
}

static void
handle_ctl(struct mr *m)
{
	struct msg g;
	char bad[256];
	long id;
	int r, k;

	r = msg_recv(m->ctl, &g);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EBADMSG)) {
		log_info("%s: spoold closed the connection%s", m->printer,
		    m->job.id ? "; following the job in progress" : "");
		close(m->ctl);
		m->ctl = -1;
		if (g.fd >= 0)
			close(g.fd);
		return;
	}
	if (r < 0) {
		if (errno == EBADMSG)
			log_warnx("%s: malformed message from spoold",
			    m->printer);
		return;
	}
	if ((k = proto_parse(PROTO_TO_BACKEND, &g, bad, sizeof(bad))) < 0) {
		log_warnx("%s: %s from spoold", m->printer, bad);
		if (g.fd >= 0)
			close(g.fd);
		return;
	}
	if (parse_long(msg_field(&g, TB_ID), 1, 2000000000L, &id) < 0)
		id = 0;
	if (k == TB_PRINT && id != 0 && g.fd >= 0) {
		print_start(m, id, g.fd, msg_field(&g, TB_PRINT_HOW));
		return;
	}
	if (g.fd >= 0)
		close(g.fd);
	switch (k) {
	case TB_SCRIPT:
		/* The host's own macros pause, resume and cancel; only
		 * between_jobs is run, through gcode/script. */
		if (strcmp(msg_field(&g, TB_SCRIPT_NAME), "between") == 0) {
			free(m->between);
			m->between = xstrdup(msg_field(&g, TB_SCRIPT_TEXT));
		}
		return;
	case TB_SEND:
		send_lines(m, msg_field(&g, TB_SEND_LINES));
		return;
	case TB_ESTOP:
		estop(m);
		return;
	case TB_ANSWER:
	case TB_FILTER:
		log_info("%s: '%s' from spoold: not a Moonraker printer's;"
		    " left", m->printer, msg_field(&g, 0));
		return;
	default:
		break;
	}
	if (id == 0 || id != m->job.id)
		return;
	if (k == TB_CANCEL)
		job_request(m, "cancel", ACT_CANCELING, "canceled by request");
	else if (k == TB_PAUSE)
		job_request(m, "pause", ACT_PAUSING, "paused by request");
	else if (k == TB_RESUME)
		job_request(m, "resume", ACT_PRINTING, "resumed by request");
}

static void
attach_listen(struct mr *m)
{
	m->listen_fd = -1;
	if (m->rundir == NULL)
		return;
	m->sock_path = xasprintf("%s/%s.sock", m->rundir, m->printer);
	m->end_path = xasprintf("%s/%s.end", m->rundir, m->printer);
	if ((m->listen_fd = seqpacket_listen(m->sock_path)) < 0)
		log_warn("%s: %s; spoold cannot re-attach to this backend",
		    m->printer, m->sock_path);
}

/* A new spoold: the hello with the job followed, then the state. */
static void
attach_accept(struct mr *m)
{
	char pid[32], id[32], lines[32], layer[32], bytes[32], v[16];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if ((fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.uid != getuid() || m->ctl >= 0) {
		log_warnx("%s: refused a connection from uid %ld%s",
		    m->printer, (long)cred.uid, m->ctl >= 0 ?
		    " (spoold is connected)" : "");
		close(fd);
		return;
	}
	m->ctl = fd;
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	snprintf(id, sizeof(id), "%ld", m->job.id);
	snprintf(lines, sizeof(lines), "%ld", m->job.lines);
	snprintf(layer, sizeof(layer), "%lu", m->job.layer);
	snprintf(bytes, sizeof(bytes), "%lld", m->job.bytes);
	snprintf(v, sizeof(v), "%d", PROTO_VERSION);
	log_info("%s: spoold re-attached%s%s", m->printer,
	    m->job.id ? "; following job " : "", m->job.id ? id : "");
	if (msg_send(m->ctl, -1, proto_name(PROTO_FROM_BACKEND, FB_HELLO),
	    pid, id, lines, layer, bytes, act_names[m->job.id ? m->job.act :
	    ACT_PRINTING], v, (char *)NULL) < 0) {
		close(m->ctl);
		m->ctl = -1;
		return;
	}
	if (m->state[0] != '\0')
		tell(m, "status", m->state, m->text, NULL);
	if (m->temps[0] != '\0')
		tell(m, "temps", m->temps, NULL, NULL);
}

static void
heaters_check(struct mr *m)
{
	char why[600];

	if (m->heaters_at == 0 || monotonic_ms() < m->heaters_at ||
	    m->job.id != 0)
		return;
	m->heaters_at = 0;
	if (gcode_run(m, "TURN_OFF_HEATERS", why, sizeof(why)) < 0)
		log_warnx("%s: cannot turn the heaters off: %s", m->printer,
		    why);
	else
		tell(m, "heaters", "off", "no job came after the last one",
		    NULL);
}

/* A device this backend cannot take is bad usage (exit 2). */
static void __attribute__((noreturn, format(printf, 1, 2)))
device_bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", log_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* moonraker://HOST[:PORT][/]: host and port only. */
static void
device_parse(struct mr *m, const char *scheme, const char *dev)
{
	const char *p, *end, *port;
	int tls = strcmp(scheme, "moonrakers") == 0;
	size_t n;

	n = strlen(scheme);
	if (strncmp(dev, scheme, n) != 0 || strncmp(dev + n, "://", 3) != 0)
		device_bad("%s: device '%s': expected %s://HOST[:PORT]", m->printer,
		    dev, scheme);
	p = dev + n + 3;
	end = p + strcspn(p, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0)
		device_bad("%s: device '%s': only HOST[:PORT], no path or query",
		    m->printer, dev);
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		device_bad("%s: device '%s': no credentials in the device (every"
		    " process listing shows it): use api_key_file", m->printer,
		    dev);
	if (end == p || (size_t)(end - p) >= sizeof(m->hostname) - 8)
		device_bad("%s: device '%s': no host", m->printer, dev);
	snprintf(m->hostname, sizeof(m->hostname), "%.*s", (int)(end - p), p);
	/* The port after the host, or after an IPv6 address's ']'. */
	port = m->hostname;
	if (m->hostname[0] == '[' && (port = strchr(m->hostname, ']')) == NULL)
		device_bad("%s: device '%s': an IPv6 address without its ']'",
		    m->printer, dev);
	if (strchr(port, ':') == NULL)
		snprintf(m->hostname + strlen(m->hostname), 8, ":%s",
		    tls ? "443" : "7125");
	snprintf(m->host.base, sizeof(m->host.base), "%s://%s",
	    tls ? "https" : "http", m->hostname);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: moonraker [-d rundir] [-r seconds] [-t"
	    " seconds] [-H seconds] [-a keyfile] [-b -w -x -o -m -p -u -k"
	    " ARG] printer moonraker://host[:port]\n");
	exit(2);
}

static void
options(struct mr *m, int argc, char *argv[])
{
	long v;
	int ch;

	while ((ch = getopt(argc, argv, "a:b:d:e:H:k:m:o:p:r:t:u:w:x:")) != -1) {
		switch (ch) {
		case 'a':
			m->keyfile = optarg;
			break;
		case 'd':
			if (optarg[0] != '/')
				fatalx("-d: '%s' is not an absolute path",
				    optarg);
			m->rundir = optarg;
			break;
		case 'r':
			if (parse_long(optarg, 1, 3600, &v) < 0)
				fatalx("-r: bad interval '%s'", optarg);
			m->retry_ms = v * 1000;
			break;
		case 't':
			if (parse_long(optarg, 0, 600, &v) < 0)
				fatalx("-t: bad timeout '%s'", optarg);
			if (v > 0)
				m->host.timeout_ms = v * 1000;
			break;
		case 'H':
			if (parse_long(optarg, 0, 604800, &v) < 0)
				fatalx("-H: bad time '%s'", optarg);
			m->heaters_ms = v * 1000;
			break;
		case 'b': case 'e': case 'k': case 'm': case 'o': case 'p':
		case 'u': case 'w': case 'x':
			break;	/* Marlin's: no use here */
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
}

/* The loop is lib/event.c's: the spoold socket and the re-attach
 * listener as they come and go, the host's poll as a timer, and
 * SIGTERM/SIGINT from its signalfd.  A request to the host is made
 * from the timer and waits for the host (at most its timeout): one
 * printer's backend has nothing else to do meanwhile. */
struct mr_loop {
	struct mr	*m;
	struct ev_loop	*ev;
	struct ev_timer	*poll;
	struct ev_io	*ctl_io, *listen_io;
	int		 ctl_fd, listen_fd;
};

static void
on_term(int signo, void *arg)
{
	struct mr_loop *l = arg;

	(void)signo;
	term = 1;
	ev_break(l->ev);
}

static void
on_ctl(int fd, int revents, void *arg)
{
	struct mr_loop *l = arg;

	(void)fd;
	(void)revents;
	if (l->m->ctl >= 0)
		handle_ctl(l->m);
}

static void
on_listen(int fd, int revents, void *arg)
{
	struct mr_loop *l = arg;

	(void)fd;
	(void)revents;
	if (l->m->listen_fd >= 0)
		attach_accept(l->m);
}

static void
on_poll(void *arg)
{
	struct mr_loop *l = arg;
	struct mr *m = l->m;
	char why[600];

	if (m->keyfile != NULL && mr_key_read(m->keyfile, m->host.key,
	    sizeof(m->host.key), why, sizeof(why)) < 0) {
		status(m, "error", why);
		m->poll_at = monotonic_ms() + m->retry_ms;
	} else
		poll_host(m);
	heaters_check(m);
}

/* Watch a descriptor the backend replaced or closed since the last
 * turn: the socket to spoold comes with each re-attach and goes when
 * spoold does. */
static void
watch(struct mr_loop *l, struct ev_io **io, int *watched, int fd,
    ev_io_fn *fn)
{
	if (*watched == fd)
		return;
	if (*io != NULL)
		ev_io_del(*io);
	*io = NULL;
	*watched = fd;
	if (fd >= 0 && (*io = ev_io_add(l->ev, fd, EV_READ, fn, l)) == NULL)
		fatal("ev_io_add");
}

static void
loop(struct mr *m)
{
	struct mr_loop l;

	memset(&l, 0, sizeof(l));
	l.m = m;
	l.ctl_fd = l.listen_fd = -1;
	if ((l.ev = ev_loop_new()) == NULL ||
	    (l.poll = ev_timer_new(l.ev, on_poll, &l)) == NULL ||
	    ev_signal(l.ev, SIGTERM, on_term, &l) < 0 ||
	    ev_signal(l.ev, SIGINT, on_term, &l) < 0)
		fatal("event loop");
	while (!term) {
		if (m->ctl < 0 && m->job.id == 0)
			break;
		watch(&l, &l.ctl_io, &l.ctl_fd, m->ctl, on_ctl);
		watch(&l, &l.listen_io, &l.listen_fd, m->listen_fd,
		    on_listen);
		ev_timer_at(l.poll, m->poll_at);
		if (ev_turn(l.ev, -1) < 0)
			fatal("poll");
	}
	if (l.ctl_io != NULL)
		ev_io_del(l.ctl_io);
	if (l.listen_io != NULL)
		ev_io_del(l.listen_io);
	ev_timer_free(l.poll);
	ev_loop_free(l.ev);
}

int
main(int argc, char *argv[])
{
	struct mr m;
	const char *scheme;

	memset(&m, 0, sizeof(m));
	m.ctl = 0;
	m.job.f.fd = -1;
	m.retry_ms = 2000;
	m.heaters_ms = 600 * 1000;
	m.host.timeout_ms = 10000;
	scheme = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(scheme, "moonrakers") != 0)
		scheme = "moonraker";
	log_init(scheme, LOG_TO_STDERR, 0);
	options(&m, argc, argv);
	m.printer = argv[optind];
	if (!name_is_safe(m.printer, 64))
		fatalx("'%s' is not a printer's name", m.printer);
	device_parse(&m, scheme, argv[optind + 1]);
	signal(SIGPIPE, SIG_IGN);
	fd_set_nonblock(m.ctl, 1);
	mr_http_init();
	attach_listen(&m);
	status(&m, "connecting", m.hostname);
	loop(&m);
	if (m.job.id != 0)
		job_end(&m, "stopped", "the backend was stopped; the host"
		    " prints on", 0);
	if (m.listen_fd >= 0) {
		close(m.listen_fd);
		unlink(m.sock_path);
	}
	free(m.sock_path);
	free(m.end_path);
	free(m.between);
	return 0;
}
