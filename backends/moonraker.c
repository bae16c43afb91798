/*
 * moonraker.c - the driver of a Klipper printer behind Moonraker
 * (device = moonraker://HOST[:PORT], or moonrakers:// for https) on the
 * network backends' core (net.h, gspool-backend(7)).
 *
 * The file is uploaded with POST /server/files/upload into the gcodes
 * root with its SHA-256 (which the host verifies), started with
 * /printer/print/start, and followed by asking /printer/objects/query
 * for print_stats (state, file, layer), virtual_sdcard (the file
 * position), the heaters and webhooks (Klipper's own state: anything
 * but ready is the printer at fault, with Klipper's message, and ends
 * the job).  Pause, resume, cancel and the emergency stop are the
 * host's /printer/ requests (its PAUSE, RESUME and CANCEL_PRINT macros,
 * not the configuration's G-code); gpc send and between_jobs go through
 * /printer/gcode/script, and heaters_off_after sends TURN_OFF_HEATERS.
 * The upload is deleted once the job is over.
 *
 * Klipper's prompts ("// action:prompt_begin TITLE", "prompt_button
 * LABEL|GCODE|STYLE", "prompt_footer_button ...", "prompt_show",
 * "prompt_end", sent by a macro's RESPOND) are pushed to Moonraker's
 * websocket clients; over HTTP they are read from the host's G-code
 * store (/server/gcode_store, the responses it keeps), each poll, past
 * the newest entry read before.  A button's answer runs its G-code
 * through /printer/gcode/script (its label, where it names none, as
 * Mainsail does).
 *
 * Security and Diagnostics: as net.c's.  Every answer of Moonraker's is
 * {"result": ...}; a 2xx answer without one is refused as the host's
 * error, with the request it answered.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prompt.h"
#include "util.h"
#include "net.h"

#define MR_STORE	50	/* G-code store entries asked for a poll */
#define MR_GCODE	256	/* bytes of a button's G-code, with its NUL */

/* Klipper's prompt as the G-code store has shown it, and each button's
 * G-code beside it. */
static struct prompt mr_prompt;
static char mr_bgcode[PROMPT_BUTTONS][MR_GCODE];
static double mr_store_at = -1;	/* the newest entry read; -1 none yet */

/* A request whose answer must carry Moonraker's "result". */
static int
mr_call(const char *method, const char *path, const char *query,
    struct net_reply *r)
{
	if (net_request(net_host(), method, path, query, r) < 0)
		return -1;
	if (json_object_get(r->json, "result") == NULL) {
		snprintf(r->why, sizeof(r->why), "%s %.200s: HTTP %ld without"
		    " a JSON result", method, path, r->code);
		return -1;
	}
	return 0;
}

/* One request with NAME=VALUE as its query, VALUE escaped. */
static int
mr_call_with(const char *method, const char *path, const char *name,
    const char *value, struct net_reply *r)
{
	char *e, *q;
	int rv;

	e = net_escape(value);
	q = xasprintf("%s=%s", name, e);
	rv = mr_call(method, path, q, r);
	free(q);
	free(e);
	return rv;
}

/* One host action of Klipper's (after "action:"): a prompt's part. */
static void
mr_action(const char *a)
{
	char label[PROMPT_BUTTON + 16];
	const char *arg, *bar, *g;
	size_t n;
	int k = mr_prompt.nbuttons;

	while (*a == ' ')
		a++;
	if (!prompt_is_action(a))
		return;
	if (strncmp(a, "prompt_footer_button ", 21) == 0)
		arg = a + 21;
	else if (strncmp(a, "prompt_button ", 14) == 0)
		arg = a + 14;
	else {
		prompt_action(&mr_prompt, a);
		return;
	}
	/* LABEL|GCODE|STYLE: the label is the button, the G-code its
	 * answer. */
	bar = strchr(arg, '|');
	n = bar != NULL ? (size_t)(bar - arg) : strlen(arg);
	snprintf(label, sizeof(label), "prompt_button %.*s",
	    (int)(n < PROMPT_BUTTON ? n : PROMPT_BUTTON - 1), arg);
	prompt_action(&mr_prompt, label);
	if (mr_prompt.nbuttons == k)
		return;
	g = bar != NULL ? bar + 1 : "";
	n = strcspn(g, "|");
	if (n == 0) {
		g = mr_prompt.button[k];
		n = strlen(g);
	}
	snprintf(mr_bgcode[k], sizeof(mr_bgcode[k]), "%.*s", (int)n, g);
}

/* The responses the host kept since the last poll, for Klipper's
 * prompts; the prompt then shown reported.  No store (an older host,
 * an error) is no prompt, and no failure of the poll. */
static void
mr_store(void)
{
	struct net_reply r;
	char q[32], buttons[PROMPT_BUTTONS * PROMPT_BUTTON];
	json_t *st, *e;
	size_t i;
	double newest = mr_store_at;

	memset(&r, 0, sizeof(r));
	snprintf(q, sizeof(q), "count=%d", MR_STORE);
	if (net_request(net_host(), "GET", "/server/gcode_store", q, &r) < 0) {
		net_reply_free(&r);
		return;
	}
	st = json_object_get(json_object_get(r.json, "result"),
	    "gcode_store");
	json_array_foreach(st, i, e) {
		const char *m = net_jstr(e, "message", NULL);
		double t = net_jnum(e, "time", NULL, -1);

		if (t <= mr_store_at || strcmp(net_jstr(e, "type", NULL),
		    "response") != 0)
			continue;
		if (t > newest)
			newest = t;
		/* "// action:X" as RESPOND TYPE=command writes it. */
		if (strncmp(m, "//", 2) == 0) {
			m += 2;
			while (*m == ' ')
				m++;
			if (strncmp(m, "action:", 7) == 0)
				mr_action(m + 7);
		}
	}
	mr_store_at = newest;
	net_reply_free(&r);
	if (!mr_prompt.shown) {
		net_report_prompt("", "");
		return;
	}
	prompt_buttons(&mr_prompt, buttons, sizeof(buttons));
	net_report_prompt(mr_prompt.text, buttons);
}

static int
mr_poll(struct net_reply *r)
{
	json_t *st;
	const char *ws, *ps;
	char why[480];
	json_t *cl;

	if (mr_call("GET", "/printer/objects/query", "print_stats"
	    "&virtual_sdcard&display_status&heater_bed&extruder&webhooks",
	    r) < 0)
		return -1;
	st = json_object_get(json_object_get(r->json, "result"), "status");
	if (json_object_get(st, "extruder") != NULL)
		net_report_temps(net_jnum(st, "extruder", "temperature", 0),
		    net_jnum(st, "extruder", "target", 0),
		    net_jnum(st, "heater_bed", "temperature", 0),
		    net_jnum(st, "heater_bed", "target", 0));
	ws = net_jstr(st, "webhooks", "state");
	if (strcmp(ws, "ready") != 0) {
		if (strcmp(ws, "startup") == 0)
			net_report_printer(NET_PRINTER_CONNECTING,
			    "Klipper is starting");
		else {
			snprintf(why, sizeof(why), "Klipper %s: %.400s",
			    ws[0] ? ws : "not ready", net_jstr(st, "webhooks",
			    "state_message"));
			net_report_printer(NET_PRINTER_FAULT, why);
		}
		return 0;
	}
	net_report_printer(NET_PRINTER_READY, "Klipper");
	mr_store();
	net_report_pos((long long)net_jnum(st, "virtual_sdcard",
	    "file_position", -1));
	cl = json_object_get(json_object_get(json_object_get(st,
	    "print_stats"), "info"), "current_layer");
	if (json_is_integer(cl) && json_integer_value(cl) > 0)
		net_report_layer((unsigned long)json_integer_value(cl));
	ps = net_jstr(st, "print_stats", "state");
	if (strcmp(ps, "printing") == 0)
		net_report_run(NET_RUN_PRINTING, net_jstr(st, "print_stats",
		    "filename"), NULL);
	else if (strcmp(ps, "paused") == 0)
		net_report_run(NET_RUN_PAUSED, net_jstr(st, "print_stats",
		    "filename"), NULL);
	else if (strcmp(ps, "complete") == 0)
		net_report_run(NET_RUN_COMPLETE, net_jstr(st, "print_stats",
		    "filename"), NULL);
	else if (strcmp(ps, "cancelled") == 0)
		net_report_run(NET_RUN_CANCELLED, net_jstr(st, "print_stats",
		    "filename"), NULL);
	else if (strcmp(ps, "error") == 0) {
		snprintf(why, sizeof(why), "Klipper: %.400s", net_jstr(st,
		    "print_stats", "message"));
		net_report_run(NET_RUN_FAILED, net_jstr(st, "print_stats",
		    "filename"), why);
	} else
		net_report_run(NET_RUN_IDLE, net_jstr(st, "print_stats",
		    "filename"), NULL);
	return 0;
}

static int
mr_upload(struct net_file *f, const char *name, struct net_reply *r)
{
	struct net_field fields[] = {
		{ "root", "gcodes" },
		{ "checksum", f->sha256 },
	};

	return net_upload_form(net_host(), "/server/files/upload", fields, 2,
	    "file", name, f, r);
}

static int
mr_start(const char *name, struct net_reply *r)
{
	return mr_call_with("POST", "/printer/print/start", "filename", name,
	    r);
}

static int
mr_pause(struct net_reply *r)
{
	return mr_call("POST", "/printer/print/pause", NULL, r);
}

static int
mr_resume(struct net_reply *r)
{
	return mr_call("POST", "/printer/print/resume", NULL, r);
}

static int
mr_cancel(struct net_reply *r)
{
	return mr_call("POST", "/printer/print/cancel", NULL, r);
}

static int
mr_estop(struct net_reply *r)
{
	return mr_call("POST", "/printer/emergency_stop", NULL, r);
}

static int
mr_gcode(const char *lines, struct net_reply *r)
{
	return mr_call_with("POST", "/printer/gcode/script", "script", lines,
	    r);
}

static int
mr_heaters_off(struct net_reply *r)
{
	return mr_gcode("TURN_OFF_HEATERS", r);
}

static int
mr_remove(const char *name, struct net_reply *r)
{
	char *e, *path;
	int rv;

	e = net_escape(name);
	path = xasprintf("/server/files/gcodes/%s", e);
	rv = mr_call("DELETE", path, NULL, r);
	free(path);
	free(e);
	return rv;
}

/* Button k of the prompt shown: its G-code, run as the user's answer. */
static int
mr_answer(int k, struct net_reply *r)
{
	if (!mr_prompt.shown || k < 0 || k >= mr_prompt.nbuttons) {
		memset(r, 0, sizeof(*r));
		snprintf(r->why, sizeof(r->why), "the prompt is over");
		return -1;
	}
	if (mr_gcode(mr_bgcode[k], r) < 0)
		return -1;
	prompt_init(&mr_prompt);
	return 0;
}

static const struct net_driver moonraker = {
	.name = "moonraker",
	.scheme = "moonraker",
	.tls_scheme = "moonrakers",
	.port = 7125,
	.tls_port = 443,
	.key_header = "X-Api-Key",
	.poll = mr_poll,
	.upload = mr_upload,
	.start = mr_start,
	.pause = mr_pause,
	.resume = mr_resume,
	.cancel = mr_cancel,
	.estop = mr_estop,
	.gcode = mr_gcode,
	.heaters_off = mr_heaters_off,
	.remove = mr_remove,
	.answer = mr_answer,
};

int
main(int argc, char *argv[])
{
	return net_main(argc, argv, &moonraker);
}
