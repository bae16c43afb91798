/*
 * prusalink.c - the backend of a Prusa printer with PrusaLink (device =
 * prusalink://HOST[:PORT], or prusalinks:// for https): a driver of the
 * network backends' core (net.h), speaking PrusaLink's HTTP API v1.
 *
 * spoold has checked the job for this printer before it comes here.  The
 * file is uploaded to the printer's USB storage as gspool-PRINTER-ID.gcode
 * by PUT /api/v1/files/usb/NAME, the file the raw body, with
 * Print-After-Upload: ?1 (the printer starts it once it has it all) and
 * Overwrite: ?1.  It is followed by asking GET /api/v1/status every poll:
 * printer.state, its temperatures, and job.id and job.progress (a whole
 * percentage: the job's share of its bytes).  The host's job id is
 * learnt from GET /api/v1/job, whose file is the job's name; it is the
 * driver's job reference, which pause, resume and stop name (PUT
 * /api/v1/job/ID/pause, /resume, DELETE /api/v1/job/ID).
 *
 * The printer's states: PRINTING, PAUSED, ATTENTION (paused: a runout,
 * say, waits for someone at the printer), FINISHED
 * (completed), STOPPED (canceled), ERROR (the job aborted with the
 * printer's message, the printer at fault until it is reset), BUSY (the
 * printer busy with something of its own: not ready), IDLE and READY.
 * PrusaLink has no G-code endpoint, no emergency stop and no layer: gpc
 * abort stops the job through the host and ends it aborted.  Nor does
 * it show the dialog of an ATTENTION (its text, its buttons) or take an
 * answer to one (API v1, in PrusaLink's OpenAPI description and in the
 * printers' firmware): the printer's prompts are not carried, and the
 * job is paused until someone answers at the printer.  status_printer
 * is the printer's conditions, "OK" unless one is broken: only then are
 * its words a reason.
 *
 * Security: the host's answers are parsed by the core's http.c, and only
 * fields looked up by name and type are used here; the text passed on
 * is cleaned by the core.  The credentials are the core's: a key (sent
 * as X-Api-Key) or USER:PASSWORD for HTTP digest, from a file only this
 * user can read.
 *
 * Diagnostics: a refused pause, resume or stop is logged by the core
 * with the printer's words; each change of the host's percentage is a
 * line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "net.h"

struct pl {
	char	 storage[16];		/* usb */
	long	 foreign_id;		/* a job not ours, and its file */
	char	 foreign_file[256];
	long	 last_id;		/* the host's job when ours was sent */
	int	 estop;			/* our job is being stopped by gpc abort */
	long	 told_pct;		/* the percentage last logged, or -1 */
};

static struct pl pl = { "usb", 0, "", 0, 0, -1 };

/* The path of a file of ours on the printer's storage. */
static char *
file_path(const char *name)
{
	char *e = net_escape(name), *p;

	p = xasprintf("/api/v1/files/%s/%s", pl.storage, e);
	free(e);
	return p;
}

/* The file the host's current job prints (GET /api/v1/job), into
 * out; 0, or -1 (with r) when it cannot be asked. */
static int
job_file(long *id, char *out, size_t outsz, struct net_reply *r)
{
	json_t *f, *v;
	const char *name;

	out[0] = '\0';
	*id = 0;
	if (net_request(net_host(), "GET", "/api/v1/job", NULL, r) < 0)
		return -1;
	if (r->code == 204 || r->json == NULL)
		return 0;
	v = json_object_get(r->json, "id");
	if (json_is_integer(v))
		*id = (long)json_integer_value(v);
	f = json_object_get(r->json, "file");
	name = net_jstr(f, "display_name", NULL);
	if (name[0] == '\0')
		name = net_jstr(f, "name", NULL);
	snprintf(out, outsz, "%s", name);
	return 0;
}

/* The printer's words when its conditions are not fine: status_printer
 * says "OK" (ok true) otherwise, which is no reason. */
static const char *
status_message(json_t *printer)
{
	json_t *sp = json_object_get(printer, "status_printer");

	if (!json_is_false(json_object_get(sp, "ok")))
		return "";
	return net_jstr(sp, "message", NULL);
}

/* Where our job stands, from the printer's state. */
static void
follow(const char *state, const char *msg, double pct)
{
	char why[480];
	long p = (long)pct;

	if (p != pl.told_pct) {
		pl.told_pct = p;
		log_info("%s-%ld: %ld %% on the host", net_printer(),
		    net_job_id(), p);
	}
	net_report_fraction(pct / 100.0);
	if (strcmp(state, "PRINTING") == 0)
		net_report_run(NET_RUN_PRINTING, net_job_name(), "");
	else if (strcmp(state, "PAUSED") == 0)
		net_report_run(NET_RUN_PAUSED, net_job_name(), "");
	else if (strcmp(state, "ATTENTION") == 0) {
		/* PrusaLink tells neither the dialog the printer shows nor
		 * a way to answer it: the reason is the printer's screen. */
		snprintf(why, sizeof(why), "the printer needs attention: %.400s",
		    msg[0] ? msg : "see to it at the printer");
		net_report_run(NET_RUN_PAUSED, net_job_name(), why);
	} else if (strcmp(state, "FINISHED") == 0) {
		net_report_fraction(1.0);
		net_report_run(NET_RUN_COMPLETE, net_job_name(), "");
	} else if (strcmp(state, "STOPPED") == 0) {
		if (pl.estop)
			net_report_run(NET_RUN_FAILED, net_job_name(),
			    "emergency stop (gpc abort): stopped through"
			    " PrusaLink, which has no M112");
		else
			net_report_run(NET_RUN_CANCELLED, net_job_name(), "");
	} else if (strcmp(state, "ERROR") == 0) {
		snprintf(why, sizeof(why), "the printer reports an error%s%.400s",
		    msg[0] ? ": " : "", msg);
		net_report_run(NET_RUN_FAILED, net_job_name(), why);
	} else
		net_report_run(NET_RUN_IDLE, "", "");
}

static int
running(const char *state)
{
	return strcmp(state, "PRINTING") == 0 ||
	    strcmp(state, "PAUSED") == 0 || strcmp(state, "ATTENTION") == 0;
}

static int
pl_poll(struct net_reply *r)
{
	struct net_reply jr;
	json_t *printer, *job, *v;
	const char *state, *msg;
	char ref[32], file[256], why[480];
	long id = 0, jid;
	double pct = 0;

	if (net_request(net_host(), "GET", "/api/v1/status", NULL, r) < 0)
		return -1;
	printer = json_object_get(r->json, "printer");
	state = net_jstr(printer, "state", NULL);
	msg = status_message(printer);
	if (state[0] == '\0') {
		snprintf(r->why, sizeof(r->why), "GET /api/v1/status: an"
		    " answer without printer.state");
		r->code = 0;
		return -1;
	}
	net_report_temps(net_jnum(printer, "temp_nozzle", NULL, 0),
	    net_jnum(printer, "target_nozzle", NULL, 0),
	    net_jnum(printer, "temp_bed", NULL, 0),
	    net_jnum(printer, "target_bed", NULL, 0));
	job = json_object_get(r->json, "job");
	v = json_object_get(job, "id");
	if (json_is_integer(v))
		id = (long)json_integer_value(v);
	v = json_object_get(job, "progress");
	if (json_is_number(v))
		pct = json_number_value(v);
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;

	if (strcmp(state, "ERROR") == 0) {
		snprintf(why, sizeof(why), "the printer reports an error%s%.400s",
		    msg[0] ? ": " : "", msg);
		net_report_printer(NET_PRINTER_FAULT, why);
	} else if (strcmp(state, "BUSY") == 0)
		net_report_printer(NET_PRINTER_CONNECTING, "the printer is busy"
		    " with something of its own");
	else
		net_report_printer(NET_PRINTER_READY, "PrusaLink");

	if (net_job_id() != 0) {
		/* Ours: known by the host's job id, learnt the first time
		 * the host prints a job whose file is ours, or (a print
		 * that ended between two polls) a job that came after the
		 * upload. */
		if (net_job_ref()[0] == '\0' && id != 0 && running(state)) {
			if (job_file(&jid, file, sizeof(file), &jr) == 0 &&
			    jid == id) {
				if (strcmp(file, net_job_name()) == 0) {
					snprintf(ref, sizeof(ref), "%ld", id);
					net_job_ref_set(ref);
				} else {
					net_reply_free(&jr);
					net_report_run(NET_RUN_PRINTING, file,
					    "");
					return 0;
				}
			}
			net_reply_free(&jr);
		} else if (net_job_ref()[0] == '\0' && id != 0 &&
		    id != pl.last_id) {
			snprintf(ref, sizeof(ref), "%ld", id);
			net_job_ref_set(ref);
		}
		snprintf(ref, sizeof(ref), "%ld", id);
		if (net_job_ref()[0] != '\0' && strcmp(ref, net_job_ref()) == 0)
			follow(state, msg, pct);
		else
			net_report_run(NET_RUN_IDLE, "", "");
		return 0;
	}
	pl.estop = 0;
	pl.told_pct = -1;
	pl.last_id = id;
	if (!running(state)) {
		net_report_run(NET_RUN_IDLE, "", "");
		return 0;
	}
	/* A print gspool did not start: its file, asked once a job. */
	if (id != pl.foreign_id || pl.foreign_file[0] == '\0') {
		if (job_file(&jid, file, sizeof(file), &jr) == 0) {
			pl.foreign_id = id;
			snprintf(pl.foreign_file, sizeof(pl.foreign_file),
			    "%s", file[0] ? file : "a file");
		}
		net_reply_free(&jr);
	}
	net_report_run(strcmp(state, "PRINTING") == 0 ? NET_RUN_PRINTING :
	    NET_RUN_PAUSED, pl.foreign_file[0] ? pl.foreign_file : "a file",
	    "");
	return 0;
}

static int
pl_upload(struct net_file *f, const char *name, struct net_reply *r)
{
	static const char *const headers[] = {
		"Content-Type: application/octet-stream",
		"Print-After-Upload: ?1",
		"Overwrite: ?1",
		NULL
	};
	char *path = file_path(name);
	int rv;

	pl.estop = 0;
	pl.told_pct = -1;
	rv = net_upload_raw(net_host(), "PUT", path, NULL, headers, f, r);
	free(path);
	return rv;
}

/* PUT or DELETE /api/v1/job/ID[/what]; the core logs a refusal. */
static int
job_request(const char *method, const char *what, struct net_reply *r)
{
	char *path;
	int rv;

	if (net_job_ref()[0] == '\0') {
		memset(r, 0, sizeof(*r));
		r->code = 409;
		snprintf(r->why, sizeof(r->why), "the printer has not started"
		    " the job yet");
		return -1;
	}
	path = xasprintf("/api/v1/job/%s%s", net_job_ref(), what);
	rv = net_request(net_host(), method, path, NULL, r);
	free(path);
	return rv;
}

static int
pl_pause(struct net_reply *r)
{
	return job_request("PUT", "/pause", r);
}

static int
pl_resume(struct net_reply *r)
{
	return job_request("PUT", "/resume", r);
}

static int
pl_cancel(struct net_reply *r)
{
	return job_request("DELETE", "", r);
}

/* No M112 in PrusaLink: the closest is the host's stop, which ends the
 * job aborted. */
static int
pl_estop(struct net_reply *r)
{
	log_warnx("%s: PrusaLink has no M112: the job is stopped through"
	    " the host", net_printer());
	pl.estop = 1;
	return job_request("DELETE", "", r);
}

static int
pl_remove(const char *name, struct net_reply *r)
{
	char *path = file_path(name);
	int rv;

	rv = net_request(net_host(), "DELETE", path, NULL, r);
	free(path);
	return rv;
}

static const struct net_driver driver = {
	.name = "prusalink",
	.scheme = "prusalink",
	.tls_scheme = "prusalinks",
	.port = 80,
	.tls_port = 443,
	.key_header = "X-Api-Key",
	.auth = NET_AUTH_DIGEST,
	.device = NULL,		/* HOST[:PORT] alone */
	.poll = pl_poll,
	.upload = pl_upload,
	.start = NULL,		/* Print-After-Upload started it */
	.pause = pl_pause,
	.resume = pl_resume,
	.cancel = pl_cancel,
	.estop = pl_estop,
	.gcode = NULL,		/* PrusaLink has no G-code endpoint */
	.heaters_off = NULL,
	.remove = pl_remove,
};

int
main(int argc, char *argv[])
{
	return net_main(argc, argv, &driver);
}
