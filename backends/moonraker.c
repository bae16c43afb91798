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
 * Security and Diagnostics: as net.c's.  Every answer of Moonraker's is
 * {"result": ...}; a 2xx answer without one is refused as the host's
 * error, with the request it answered.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "net.h"

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
};

int
main(int argc, char *argv[])
{
	return net_main(argc, argv, &moonraker);
}
