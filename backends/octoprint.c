/*
 * octoprint.c - the driver of a printer run by an OctoPrint server
 * (device = octoprint://HOST[:PORT], or octoprints:// for https with
 * the certificate checked) on the network backends' core (net.h,
 * gspool-octoprint(8)).
 *
 * OctoPrint streams the lines to the printer itself; gspool puts its
 * queue, checks and accounting in front.  The file is uploaded with
 * POST /api/files/local (multipart: file, print=true), which starts it;
 * /api/job says where it stands (state, file, progress.filepos) and
 * takes pause, resume and cancel; /api/printer gives the temperatures
 * while the printer is operational; /api/printer/command takes G-code
 * lines (gpc send, between_jobs, the heaters off, M112 for the
 * emergency stop).  The upload is deleted once the job is over.
 * OctoPrint reports no layer: the job's layer stays 0.
 *
 * The firmware's host prompts (//action:prompt_begin, prompt_choice or
 * prompt_button, prompt_show, prompt_end) are OctoPrint's bundled Action
 * Command Prompt plugin's: GET /api/plugin/action_command_prompt, each
 * poll while the printer is connected, answers the prompt it holds
 * ({"text", "choices"}) or {} when there is none, and a choice goes back
 * as {"command": "select", "choice": N}, which the plugin sends to the
 * firmware as its command (M876 SN unless configured otherwise) and
 * closes the prompt.  Without the plugin (404) or without the key's
 * right to it (403) the host's prompts are not carried, and the log says
 * so once; any other failure to ask is no news of the prompt.
 *
 * OctoPrint's states: Printing and Paused are the print's; Pausing
 * and Cancelling are no news until they are over; Operational
 * with our file at 100 % is the job completed, below that (once it was
 * seen printing) canceled; Offline and Error are the printer at fault,
 * which ends a job of ours aborted with OctoPrint's words (its printer
 * is gone or failed: OctoPrint cannot go on with the print).
 *
 * Security and Diagnostics: as net.c's.  The API key is sent as
 * X-Api-Key; OctoPrint's answers are read by name and type only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prompt.h"
#include "util.h"
#include "net.h"

#define OP_PROMPT_API	"/api/plugin/action_command_prompt"

struct op {
	long	 job;		/* the job the flags below are about */
	int	 seen;		/* it was seen printing */
	int	 version_told;
	long	 prompt_refused;	/* the plugin's 404 or 403, told once */
	int	 nchoices;	/* of the prompt last reported, or 0 */
	char	 cut[PROMPT_TEXT];	/* the prompt whose choices were cut */
};

static struct op op;

/* GET /api/version, once the server answers: the log says whose. */
static void
op_version(void)
{
	struct net_reply r;

	if (op.version_told)
		return;
	if (net_request(net_host(), "GET", "/api/version", NULL, &r) == 0) {
		char text[128];

		clean_text(text, sizeof(text), net_jstr(r.json, "text",
		    NULL));
		log_info("%s: %s (API %.16s) at %s", net_printer(), text[0] ?
		    text : "OctoPrint", net_jstr(r.json, "api", NULL),
		    net_hostname());
		op.version_told = 1;
	}
	net_reply_free(&r);
}

static void
op_temps(void)
{
	struct net_reply r;
	json_t *t;

	/* 409 when the printer is not operational: no temperatures. */
	if (net_request(net_host(), "GET", "/api/printer", "exclude=sd,state",
	    &r) == 0 && (t = json_object_get(r.json, "temperature")) != NULL)
		net_report_temps(net_jnum(t, "tool0", "actual", 0),
		    net_jnum(t, "tool0", "target", 0),
		    net_jnum(t, "bed", "actual", 0),
		    net_jnum(t, "bed", "target", 0));
	net_reply_free(&r);
}

/* The plugin's prompt into text and buttons (one a line, each cut to
 * what spoold keeps, a blank one named by its number so that the
 * numbers stay the plugin's); the count of choices.  An answer without
 * a text is no prompt; a prompt_begin with no words is still one. */
static int
op_prompt_read(json_t *o, char *text, size_t textsz, char *buttons,
    size_t bsz)
{
	char b[PROMPT_BUTTON];
	json_t *choices, *c;
	size_t i, n = 0;
	int k = 0;

	text[0] = buttons[0] = '\0';
	if (!json_is_string(json_object_get(o, "text")))
		return 0;
	clean_text(text, textsz, net_jstr(o, "text", NULL));
	if (text[0] == '\0')
		snprintf(text, textsz, "the printer asks");
	choices = json_object_get(o, "choices");
	json_array_foreach(choices, i, c) {
		if (k == PROMPT_BUTTONS || n >= bsz) {
			/* Once a prompt, not at every poll. */
			if (strcmp(op.cut, text) != 0)
				log_warnx("%s: OctoPrint's prompt '%s' has %zu"
				    " choices: those past %d are not carried",
				    net_printer(), text, json_array_size(choices),
				    k);
			snprintf(op.cut, sizeof(op.cut), "%s", text);
			break;
		}
		clean_text(b, sizeof(b), json_is_string(c) ?
		    json_string_value(c) : "");
		if (b[0] == '\0')
			snprintf(b, sizeof(b), "%d", k);
		n += (size_t)snprintf(buttons + n, n < bsz ? bsz - n : 0, "%s%s",
		    k ? "\n" : "", b);
		k++;
	}
	return k;
}

/* GET the plugin's prompt and report it.  Its 404 (the plugin disabled)
 * or 403 (the key's user may not interact with prompts) is said once
 * for as long as it lasts; another failure leaves the prompt as it was
 * told. */
static void
op_prompt(void)
{
	struct net_reply r;
	char text[PROMPT_TEXT], buttons[PROMPT_BUTTONS * PROMPT_BUTTON];

	memset(&r, 0, sizeof(r));
	if (net_request(net_host(), "GET", OP_PROMPT_API, NULL, &r) < 0) {
		if ((r.code == 404 || r.code == 403) &&
		    r.code != op.prompt_refused) {
			log_warnx("%s: %s: OctoPrint's prompts are not carried"
			    " (%s)", net_printer(), r.why, r.code == 404 ?
			    "its Action Command Prompt plugin is disabled" :
			    "the key's user may not interact with prompts");
			op.prompt_refused = r.code;
		}
		if (r.code == 404 || r.code == 403) {
			op.nchoices = 0;
			net_report_prompt("", "");
		}
		net_reply_free(&r);
		return;
	}
	if (op.prompt_refused != 0)
		log_info("%s: OctoPrint's prompts are carried again",
		    net_printer());
	op.prompt_refused = 0;
	op.nchoices = op_prompt_read(r.json, text, sizeof(text), buttons,
	    sizeof(buttons));
	net_report_prompt(text, buttons);
	net_reply_free(&r);
}

static int
op_poll(struct net_reply *r)
{
	const char *state, *file, *err;
	char why[480];
	json_t *prog, *jf;
	double pos, done;

	if (net_request(net_host(), "GET", "/api/job", NULL, r) < 0)
		return -1;
	if (!json_is_object(r->json) ||
	    !json_is_string(json_object_get(r->json, "state"))) {
		snprintf(r->why, sizeof(r->why), "GET /api/job: HTTP %ld"
		    " without the job's state", r->code);
		r->code = 502;
		return -1;
	}
	op_version();
	if (op.job != net_job_id()) {
		op.job = net_job_id();
		op.seen = 0;
	}
	state = net_jstr(r->json, "state", NULL);
	jf = json_object_get(json_object_get(r->json, "job"), "file");
	file = json_is_string(json_object_get(jf, "name")) ?
	    net_jstr(jf, "name", NULL) : NULL;
	if (strcmp(state, "Offline") == 0 || strncmp(state, "Error", 5) == 0 ||
	    strncmp(state, "Offline after error", 19) == 0) {
		err = net_jstr(r->json, "error", NULL);
		snprintf(why, sizeof(why), "OctoPrint: %s%s%.400s", state,
		    err[0] ? ": " : " (the printer is not connected)", err);
		net_report_printer(NET_PRINTER_FAULT, why);
		/* A printer gone takes its prompt with it (the plugin
		 * closes it on the disconnect). */
		op.nchoices = 0;
		net_report_prompt("", "");
		return 0;
	}
	op_temps();
	op_prompt();
	net_report_printer(NET_PRINTER_READY, "Marlin");
	prog = json_object_get(r->json, "progress");
	pos = net_jnum(prog, "filepos", NULL, -1);
	done = net_jnum(prog, "completion", NULL, -1);
	if (pos >= 0)
		net_report_pos((long long)pos);
	else if (done >= 0)
		net_report_fraction(done / 100);
	if (strncmp(state, "Printing", 8) == 0 ||
	    strcmp(state, "Starting") == 0 || strcmp(state, "Resuming") == 0 ||
	    strcmp(state, "Finishing") == 0) {
		if (net_job_id() != 0)
			op.seen = 1;
		net_report_run(NET_RUN_PRINTING, file, NULL);
	} else if (strcmp(state, "Paused") == 0) {
		if (net_job_id() != 0)
			op.seen = 1;
		net_report_run(NET_RUN_PAUSED, file, NULL);
	} else if (strcmp(state, "Pausing") == 0 ||
	    strcmp(state, "Cancelling") == 0) {
		/* No news until it is paused, or over. */
	} else if (net_job_id() != 0 && file != NULL &&
	    strcmp(file, net_job_name()) == 0 && (done >= 100 ||
	    (pos >= 0 && net_job_file() != NULL &&
	    pos >= (double)net_job_file()->size)))
		net_report_run(NET_RUN_COMPLETE, file, NULL);
	else if (op.seen && file != NULL && strcmp(file, net_job_name()) == 0)
		net_report_run(NET_RUN_CANCELLED, file, NULL);
	else
		net_report_run(NET_RUN_IDLE, file, NULL);
	return 0;
}

/* POST /api/files/local, the file and print=true: 201 with done. */
static int
op_upload(struct net_file *f, const char *name, struct net_reply *r)
{
	static const struct net_field fields[] = {
		{ "select", "true" },
		{ "print", "true" },
	};

	if (net_upload_form(net_host(), "/api/files/local", fields, 2, "file",
	    name, f, r) < 0)
		return -1;
	if (!json_is_true(json_object_get(r->json, "done")) ||
	    json_object_get(json_object_get(r->json, "files"), "local") ==
	    NULL) {
		snprintf(r->why, sizeof(r->why), "POST /api/files/local: HTTP"
		    " %ld without the file being done", r->code);
		r->code = 502;
		return -1;
	}
	op.job = net_job_id();
	op.seen = 0;
	return 0;
}

static int
op_job(const char *command, const char *action, struct net_reply *r)
{
	json_t *b;
	int rv;

	b = json_pack("{ss}", "command", command);
	if (action != NULL)
		json_object_set_new(b, "action", json_string(action));
	rv = net_request_json(net_host(), "POST", "/api/job", NULL, b, r);
	json_decref(b);
	return rv;
}

static int
op_pause(struct net_reply *r)
{
	return op_job("pause", "pause", r);
}

static int
op_resume(struct net_reply *r)
{
	return op_job("pause", "resume", r);
}

static int
op_cancel(struct net_reply *r)
{
	return op_job("cancel", NULL, r);
}

/* POST /api/printer/command, one line each. */
static int
op_gcode(const char *lines, struct net_reply *r)
{
	json_t *b, *a;
	const char *p, *e;
	int rv;

	a = json_array();
	for (p = lines; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (e > p)
			json_array_append_new(a, json_stringn(p,
			    (size_t)(e - p)));
	}
	if (json_array_size(a) == 0) {
		json_decref(a);
		memset(r, 0, sizeof(*r));
		return 0;
	}
	b = json_pack("{so}", "commands", a);
	rv = net_request_json(net_host(), "POST", "/api/printer/command", NULL,
	    b, r);
	json_decref(b);
	return rv;
}

static int
op_estop(struct net_reply *r)
{
	return op_gcode("M112", r);
}

static int
op_remove(const char *name, struct net_reply *r)
{
	char *e, *path;
	int rv;

	e = net_escape(name);
	path = xasprintf("/api/files/local/%s", e);
	rv = net_request(net_host(), "DELETE", path, NULL, r);
	free(path);
	free(e);
	return rv;
}

/* Choice k of the prompt the last poll saw, to the plugin: 204.  It
 * answers 409 when it holds no prompt any more, 400 for a choice it
 * does not have. */
static int
op_answer(int k, struct net_reply *r)
{
	json_t *b;
	int rv;

	if (k < 0 || k >= op.nchoices) {
		memset(r, 0, sizeof(*r));
		snprintf(r->why, sizeof(r->why), "OctoPrint's prompt has no"
		    " choice %d", k);
		return -1;
	}
	b = json_pack("{sssi}", "command", "select", "choice", k);
	rv = net_request_json(net_host(), "POST", OP_PROMPT_API, NULL, b, r);
	json_decref(b);
	if (rv == 0)
		op.nchoices = 0;
	return rv;
}

static const struct net_driver octoprint = {
	.name = "octoprint",
	.scheme = "octoprint",
	.tls_scheme = "octoprints",
	.port = 80,
	.tls_port = 443,
	.key_header = "X-Api-Key",
	.poll = op_poll,
	.upload = op_upload,
	.start = NULL,		/* print=true */
	.pause = op_pause,
	.resume = op_resume,
	.cancel = op_cancel,
	.estop = op_estop,
	.gcode = op_gcode,
	.remove = op_remove,
	.answer = op_answer,
};

int
main(int argc, char *argv[])
{
	return net_main(argc, argv, &octoprint);
}
