/*
 * gpc - printer control, like lpc(8), cupsenable(8) and cupsaccept(8):
 * show the printers, steer the job a printer is printing, and change
 * the queue.  gpc(8) lists the commands:
 *
 *   status [dest ...], temps printer
 *   pause | resume | abort | ready printer
 *   enable | disable | accept | reject dest ... [-r reason]
 *   hold | release | top job, priority job n, move job dest
 *   resume-from job layer, send printer command ...
 *   answer printer choice
 *   approve job [-r note], deny job -r reason
 *   load printer tool material
 *
 * spoold decides who may do what, by the caller's credentials.
 *
 * Security: gpc sends requests and shows answers; it decides nothing.
 * A printer's words in an answer (its firmware's messages, a prompt's
 * text) are cleaned of control bytes before they are shown, and
 * numbers read from an answer are parsed with bounds.  The lines of
 * gpc send are checked by spoold, as a file is, before any reaches a
 * printer.
 *
 * Diagnostics: spoold's refusal is printed as it says it (log.c cleans
 * it), one line, and the exit status is as gpc(8) says: 0, 1 refused or
 * impossible, 2 bad usage, 3 spoold not reached.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "usage.h"
#include "util.h"

static const char help[] =
"usage: gpc [-h] [--json] [-c config] status [dest ...]\n"
"       gpc [-c config] temps printer\n"
"       gpc [-c config] pause | resume | abort | ready printer\n"
"       gpc [-c config] [-r reason] enable | disable | accept | reject"
" dest ...\n"
"       gpc [-c config] hold | release | top job\n"
"       gpc [-c config] priority job n\n"
"       gpc [-c config] move job dest\n"
"       gpc [-c config] resume-from job layer\n"
"       gpc [-c config] send printer command ...\n"
"       gpc [-c config] answer printer choice\n"
"       gpc [-c config] [-r note] approve job\n"
"       gpc [-c config] -r reason deny job\n"
"       gpc [-c config] load printer tool material\n"
"       gpc --version\n"
"  -c config            read this configuration file\n"
"  -h, --help           print this help and exit\n"
"  --json               with status: the printers and classes as JSON\n"
"  -r reason            the reason enable, disable, accept or reject"
" shows;\n"
"                       approve's note, deny's reason (which the owner"
" sees)\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(EXIT_USAGE, NULL);
}

/* Print one printer row of spoold's "queue" answer: its state, then
 * the status model's lines as gqueue shows them. */
static void
show_printer(const struct msg *m, int temps_only)
{
	const char *name = msg_field(m, ROW_PRINTER_NAME);
	const char *state = msg_field(m, ROW_PRINTER_STATE);
	const char *text = msg_field(m, ROW_PRINTER_MESSAGE);
	const char *temps = msg_field(m, ROW_PRINTER_TEMPS);
	const char *disabled = msg_field(m, ROW_PRINTER_DISABLED_WHY);
	const char *rejecting = msg_field(m, ROW_PRINTER_REJECTING_WHY);
	json_t *o;

	if (temps_only) {
		/* The heaters as numbers, marked stale when they are not
		 * the printer's now; an older spoold's report as sent. */
		o = client_printer_json(m);
		if (client_heaters_text(stdout, o) == 0)
			printf("%s: %s\n", name, temps[0] && !json_is_object(
			    json_object_get(o, "status")) ? temps :
			    "no temperatures reported yet");
		json_decref(o);
		return;
	}
	printf("%s: %s%s%s%s\n", name, state, text[0] ? " (" : "", text,
	    text[0] ? ")" : "");
	if (strcmp(msg_field(m, ROW_PRINTER_ENABLED), "0") == 0)
		printf("\tdisabled%s%s\n", disabled[0] ? ": " : "", disabled);
	if (strcmp(msg_field(m, ROW_PRINTER_ACCEPTING), "0") == 0)
		printf("\tnot accepting jobs%s%s\n", rejecting[0] ? ": " :
		    "", rejecting);
	o = client_printer_json(m);
	client_printer_text(stdout, o);
	json_decref(o);
}

/* status and temps: 0, 1 if a printer is unknown, EXIT_CONNECT.  With
 * out, the rows go there as JSON. */
static int
show(int sock, const char *printer, int temps_only, json_t *out)
{
	struct msg m;

	if (msg_send(sock, -1, proto_name(PROTO_REQUEST, REQ_QUEUE), printer,
	    (char *)NULL) < 0)
		return EXIT_CONNECT;
	for (;;) {
		int k;

		if (msg_recv(sock, &m) <= 0) {
			log_warnx("lost the connection to spoold");
			return EXIT_CONNECT;
		}
		if (m.fd >= 0)
			close(m.fd);
		k = proto_lookup(PROTO_REPLY, msg_field(&m, 0));
		if (k == REPLY_END)
			return 0;
		if (k == REPLY_ERROR) {
			log_warnx("%s", msg_field(&m, REPLY_ERROR_MESSAGE));
			return 1;
		}
		if (k == REPLY_PRINTER && out != NULL)
			json_array_append_new(json_object_get(out, "printers"),
			    client_printer_json(&m));
		else if (k == REPLY_PRINTER)
			show_printer(&m, temps_only);
		else if (k == REPLY_CLASS && out != NULL)
			json_array_append_new(json_object_get(out, "classes"),
			    client_class_json(&m));
		else if (k == REPLY_CLASS && !temps_only)
			printf("%s: class of %s%s%s\n", msg_field(&m,
			    ROW_CLASS_NAME), msg_field(&m, ROW_CLASS_MEMBERS),
			    strcmp(msg_field(&m, ROW_CLASS_ENABLED), "0") ? "" :
			    ", disabled", strcmp(msg_field(&m,
			    ROW_CLASS_ACCEPTING), "0") ?
			    "" : ", not accepting jobs");
	}
}

/* spoold's answer to a request just sent (sent: what msg_send
 * returned): 0 with it in m if it is ok, 1 if it was refused (said on
 * stderr), EXIT_CONNECT. */
static int
answer(int sock, int sent, struct msg *m)
{
	if (sent < 0 || msg_recv(sock, m) <= 0) {
		log_warnx("lost the connection to spoold");
		return EXIT_CONNECT;
	}
	if (m->fd >= 0)
		close(m->fd);
	if (proto_lookup(PROTO_REPLY, msg_field(m, 0)) != REPLY_OK) {
		log_warnx("%s", msg_field(m, REPLY_ERROR_MESSAGE));
		return 1;
	}
	return 0;
}

static int
request(int sock, const char *verb, const char *a, const char *b)
{
	struct msg m;
	int rc;

	if ((rc = answer(sock, msg_send(sock, -1, verb, a, b, (char *)NULL),
	    &m)) != 0)
		return rc;
	/* gpc answer: the button chosen, and what was done with it (a
	 * spoold older than this one does not say: it sent M876). */
	if (proto_lookup(PROTO_REQUEST, verb) == REQ_ANSWER &&
	    msg_field(&m, 2)[0] != '\0')
		printf("%s: answered %s (%s)\n", a, b, msg_field(&m, 2));
	else if (proto_lookup(PROTO_REQUEST, verb) == REQ_ANSWER)
		printf("%s: answered %s (M876 S%s)\n", a, b,
		    msg_field(&m, 1));
	/* gpc send: what the printer said. */
	if (proto_lookup(PROTO_REQUEST, verb) == REQ_SEND &&
	    msg_field(&m, 1)[0] != '\0')
		printf("%s\n", msg_field(&m, 1));
	return 0;
}

/* What each command takes: printers or destinations, or a job and
 * perhaps one more word. */
enum args { A_DESTS, A_PRINTER, A_DESTS1, A_JOB, A_JOB_N, A_JOB_DEST,
	A_JOB_LAYER, A_SEND, A_ANSWER, A_JOB_REASON, A_LOAD };

static const struct command {
	const char	*name;
	const char	*request;
	enum args	 args;
} commands[] = {
	{ "status",	"queue",	A_DESTS },
	{ "temps",	"queue",	A_PRINTER },
	{ "pause",	"pause",	A_PRINTER },
	{ "resume",	"resume",	A_PRINTER },
	{ "abort",	"estop",	A_PRINTER },
	{ "ready",	"ready",	A_PRINTER },
	{ "enable",	"enable",	A_DESTS1 },
	{ "disable",	"disable",	A_DESTS1 },
	{ "accept",	"accept",	A_DESTS1 },
	{ "reject",	"reject",	A_DESTS1 },
	{ "hold",	"hold",		A_JOB },
	{ "release",	"release",	A_JOB },
	{ "top",	"top",		A_JOB },
	{ "priority",	"priority",	A_JOB_N },
	{ "move",	"move",		A_JOB_DEST },
	{ "resume-from", "resume-from",	A_JOB_LAYER },
	{ "send",	"send",		A_SEND },
	{ "answer",	"answer",	A_ANSWER },
	{ "approve",	"approve",	A_JOB_REASON },
	{ "deny",	"deny",		A_JOB_REASON },
	{ "load",	"load",		A_LOAD },
};

/* gpc load: what is loaded on a printer's tool now; spoold answers with
 * all its tools' and how many held jobs that suits. */
static int
load(int sock, const char *printer, const char *tool, const char *material)
{
	struct msg m;
	char text[256];
	long n = 0;
	int rc;

	if ((rc = answer(sock, msg_send(sock, -1, "load", printer, tool,
	    material, (char *)NULL), &m)) != 0)
		return rc;
	(void)parse_long(msg_field(&m, 2), 0, 1000000000L, &n);
	clean_text(text, sizeof(text), msg_field(&m, 1));
	printf("%s: %s loaded", printer, text);
	if (n > 0)
		printf("; %ld held job%s suit%s it now and %s released", n,
		    n > 1 ? "s" : "", n > 1 ? "" : "s", n > 1 ? "are" : "is");
	printf("\n");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	const struct command *c = NULL;
	const char *cfile = NULL, *reason = "";
	char ids[32];
	json_t *out = NULL;
	size_t k;
	long v;
	int ch, sock, i, r = 0, json = 0;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gpc", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "c:hr:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage_error(EXIT_USAGE, "which command? (status, pause, ready,"
		    " ...)");
	for (k = 0; k < nitems(commands); k++)
		if (strcmp(argv[0], commands[k].name) == 0)
			c = &commands[k];
	if (c == NULL)
		usage_error(EXIT_USAGE, "unknown command '%s'", argv[0]);
	if (json && strcmp(c->name, "status") != 0)
		usage_error(EXIT_USAGE, "--json goes with status");
	switch (c->args) {
	case A_DESTS:
		break;
	case A_SEND:
		if (argc < 3)
			usage_error(EXIT_USAGE, "send: name a printer and give"
			    " the G-code");
		break;
	case A_ANSWER:
		if (argc != 3)
			usage_error(EXIT_USAGE, "answer: name a printer and the"
			    " choice (a button's number or its text)");
		break;
	case A_PRINTER:
		if (argc != 2)
			usage_error(EXIT_USAGE, "%s: name one printer",
			    c->name);
		break;
	case A_DESTS1:
		if (argc < 2)
			usage_error(EXIT_USAGE, "%s: name a printer or class",
			    c->name);
		break;
	case A_JOB_REASON:
		if (argc != 2)
			usage_error(EXIT_USAGE, "%s: give a job (and -r %s)",
			    c->name, strcmp(c->name, "deny") == 0 ? "reason" :
			    "note");
		if (strcmp(c->name, "deny") == 0 && reason[0] == '\0')
			usage_error(EXIT_USAGE, "deny: give the reason with -r,"
			    " which the job's owner sees");
		client_check_jobs(1, argv + 1);
		break;
	case A_LOAD:
		if (argc != 4)
			usage_error(EXIT_USAGE, "load: name a printer, a tool"
			    " (T0, T1, ...) and the filament type (or none)");
		break;
	case A_JOB:
	case A_JOB_N:
	case A_JOB_DEST:
	case A_JOB_LAYER:
		if (argc != (c->args == A_JOB ? 2 : 3))
			usage_error(EXIT_USAGE, "%s: give a job%s", c->name,
			    c->args == A_JOB ? "" : c->args == A_JOB_N ?
			    " and a number" : c->args == A_JOB_LAYER ?
			    " and a layer" : " and a printer or class");
		if (c->args == A_JOB_LAYER && parse_long(argv[2], 1,
		    2000000000L, &v) < 0) {
			log_warnx("%s: '%s' is not a layer number", c->name,
			    argv[2]);
			exit(EXIT_USAGE);
		}
		client_check_jobs(1, argv + 1);
		if (c->args == A_JOB_N && parse_long(argv[2], 1, 100, &v) < 0) {
			log_warnx("%s: '%s' is not 1 to 100", c->name,
			    argv[2]);
			exit(EXIT_USAGE);
		}
		if (c->args == A_JOB_DEST &&
		    !name_is_safe(argv[2], CONF_NAME_MAX)) {
			log_warnx("'%s' is not a printer or class name",
			    argv[2]);
			exit(EXIT_USAGE);
		}
		break;
	}
	if (c->args == A_DESTS || c->args == A_PRINTER || c->args == A_DESTS1 ||
	    c->args == A_SEND || c->args == A_ANSWER || c->args == A_LOAD)
		for (i = 1; i < (c->args == A_SEND || c->args == A_ANSWER ||
		    c->args == A_LOAD ?
		    2 : argc); i++)
			if (!name_is_safe(argv[i], CONF_NAME_MAX)) {
				log_warnx("'%s' is not a printer or class name",
				    argv[i]);
				exit(EXIT_USAGE);
			}
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	if (json) {
		out = json_object();
		json_object_set_new(out, "printers", json_array());
		json_object_set_new(out, "classes", json_array());
	}
	if (c->args == A_DESTS && argc == 1)
		r = show(sock, "", 0, out);
	else if (strcmp(c->request, "queue") == 0) {
		for (i = 1; i < argc && r != EXIT_CONNECT; i++) {
			int ri = show(sock, argv[i], strcmp(c->name, "temps") ==
			    0, out);

			if (ri > r)
				r = ri;
		}
	} else if (c->args == A_DESTS1) {
		for (i = 1; i < argc && r != EXIT_CONNECT; i++) {
			int ri = request(sock, c->request, argv[i], reason);

			if (ri > r)
				r = ri;
		}
	} else if (c->args == A_PRINTER)
		r = request(sock, c->request, argv[1], NULL);
	else if (c->args == A_ANSWER)
		r = request(sock, c->request, argv[1], argv[2]);
	else if (c->args == A_LOAD)
		r = load(sock, argv[1], argv[2], argv[3]);
	else if (c->args == A_SEND) {
		/* Each argument is a line (a newline in one starts
		 * another), checked and answered in turn. */
		size_t len = 0;
		char *text;

		for (i = 2; i < argc; i++)
			len += strlen(argv[i]) + 1;
		text = xmalloc(len + 1);
		text[0] = '\0';
		for (i = 2; i < argc; i++) {
			if (i > 2)
				strcat(text, "\n");
			strcat(text, argv[i]);
		}
		r = request(sock, c->request, argv[1], text);
		free(text);
	}
	else if ((r = client_job_resolve(sock, argv[1], &v)) == 0) {
		/* The job by its number, its name's prefix checked. */
		snprintf(ids, sizeof(ids), "%ld", v);
		r = request(sock, c->request, ids, c->args == A_JOB_REASON ?
		    reason : argc > 2 ? argv[2] : NULL);
	}
	if (out != NULL && r == 0) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS |
		    JSON_REAL_PRECISION(6));

		printf("%s\n", text);
		free(text);
	}
	json_decref(out);
	close(sock);
	conf_free(&conf);
	return r;
}
