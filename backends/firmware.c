/*
 * firmware.c - what the printer says, as the serial backend hears it:
 * the protocol engine's events (link.h) turned into the job's progress,
 * spoold's status and temperatures, the host actions a firmware sends
 * ("//action:pause"), its host prompts ("//action:prompt_begin Nozzle
 * Parked", prompt.h) and their answers, and its complaints about a
 * job's commands.
 *
 * A prompt, once shown, goes to spoold (prompt JOB TEXT BUTTONS), and
 * its end too (TEXT empty); gpc answer comes back as answer INDEX, and
 * "M876 S<INDEX>" goes out of band (link_send_oob), ahead of the job's
 * lines, for the firmware waits in M600 and its emergency parser takes
 * the answer as it arrives, as OctoPrint sends it.  Klipper takes no
 * M876: its button's own G-code goes instead (prompt.h), as Mainsail
 * runs it.
 *
 * A complaint is told apart from news and from the link's own errors
 * (checksums, line numbers: the engine resends): an unknown command the
 * job sent pauses or aborts the job as on_unknown_command (-u) says,
 * unless it is one a firmware may well lack harmlessly (M73, M117, ...);
 * Klipper's "!! ..." errors (Must home axis first, Move out of range,
 * Extrude below minimum temp) mean it dropped the command and went on:
 * the job pauses or aborts as on_firmware_error (-e) says; any other
 * complaint is recorded as a job event.
 *
 * Security: every line here comes from the printer, bounded by the
 * engine (LINK_RXLINE) and never used as a format; an "Unknown command"
 * must name one of the job's RECENT lines to count, so that a line
 * damaged on the wire cannot stop a print.  Temperatures go to spoold at
 * most once a second.
 *
 * Diagnostics: the printer's words are logged with the printer's name
 * (and the job's id for a complaint), and so is a resend, a silence and
 * what the backend does about it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"
#include "backend.h"

/* The prompt shown, or that none is, to spoold. */
void
prompt_tell(struct backend *b)
{
	char id[32], buttons[PROMPT_BUTTONS * PROMPT_BUTTON];

	snprintf(id, sizeof(id), "%ld", b->job.id);
	if (!b->prompt.shown) {
		tell(b, "prompt", id, "", "");
		return;
	}
	prompt_buttons(&b->prompt, buttons, sizeof(buttons));
	tell(b, "prompt", id, b->prompt.text, buttons);
}

/* A halted, reset or lost printer asks nothing any more. */
void
prompt_drop(struct backend *b)
{
	if (!b->prompt.open)
		return;
	prompt_init(&b->prompt);
	prompt_tell(b);
}

/* A prompt's answer from spoold: the button's index, checked against
 * the prompt shown (spoold checked it against what it was told; a
 * prompt that ended meanwhile takes none). */
void
prompt_answer(struct backend *b, const char *index)
{
	char cmd[PROMPT_GCODE];
	long k;

	if (parse_long(index, 0, PROMPT_BUTTONS - 1, &k) < 0 ||
	    !b->prompt.shown || k >= b->prompt.nbuttons) {
		log_warnx("%s: the answer %s is for no button of the prompt"
		    " shown%s%s; not sent", b->printer, index,
		    b->prompt.shown ? ": " : " (none is)", b->prompt.shown ?
		    b->prompt.text : "");
		prompt_tell(b);
		return;
	}
	if (b->link.klipper)
		snprintf(cmd, sizeof(cmd), "%s", b->prompt.gcode[k][0] ?
		    b->prompt.gcode[k] : b->prompt.button[k]);
	else
		snprintf(cmd, sizeof(cmd), "M876 S%ld", k);
	if (link_send_oob(&b->link, cmd) < 0) {
		log_warnx("%s: cannot send %s: the link is down", b->printer,
		    cmd);
		prompt_tell(b);		/* it still waits */
		return;
	}
	log_info("%s: %s: %s (%s)", b->printer, b->prompt.text,
	    b->prompt.button[k], cmd);
	prompt_init(&b->prompt);
	prompt_tell(b);
}

/* Host action commands the firmware sends ("//action:pause"): "pause",
 * "resume" and "cancel" ask the host to do it; "paused" and "resumed"
 * say the printer did it itself (M600, a runout sensor); "prompt_..."
 * make a prompt for the user (prompt.h). */
static void
on_action(struct backend *b, const char *action)
{
	if (prompt_is_action(action)) {
		/* Told when shown and when ended: begin and buttons are its
		 * making. */
		switch (prompt_action(&b->prompt, action)) {
		case PROMPT_SHOWN:
			log_info("%s: the printer asks the user: %s",
			    b->printer, b->prompt.text);
			prompt_tell(b);
			break;
		case PROMPT_ENDED:
			prompt_tell(b);
			break;
		default:
			break;
		}
		return;
	}
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
 * as Marlin and Klipper quote it) is one of the job's latest lines:
 * Marlin quotes the whole line, Klipper its first word ("M9001"). */
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
		if (strlen(b->job.recent[i]) >= n &&
		    strncasecmp(b->job.recent[i], q + 1, n) == 0 &&
		    (b->job.recent[i][n] == '\0' ||
		    b->job.recent[i][n] == ' '))
			return 1;
	return 0;
}

/* What on_firmware_error says for a command Klipper refused ("!!"):
 * pause (while running), abort or continue. */
static const char *
fwerror_act(const struct backend *b)
{
	if (b->on_fwerror == UNK_PAUSE && b->job.ctl == JC_RUN)
		return "pause";
	if (b->on_fwerror == UNK_ABORT)
		return "abort";
	return "continue";
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
	if (kind == 2 && strncmp(text, "!!", 2) == 0)
		act = fwerror_act(b);
	else if (kind == 1 && unknown_is_harmless(text))
		;
	else if (kind == 1 && b->on_unknown == UNK_PAUSE &&
	    b->job.ctl == JC_RUN)
		act = "pause";
	else if (kind == 1 && b->on_unknown == UNK_ABORT)
		act = "abort";
	snprintf(id, sizeof(id), "%ld", b->job.id);
	snprintf(n, sizeof(n), "%lu", b->job.complaints);
	log_warnx("%s-%ld: the printer complained: %s%s%s%s", b->printer,
	    b->job.id, text, strcmp(act, "continue") == 0 ? "" : kind == 2 ?
	    "; on_firmware_error" : "; on_unknown_command",
	    strcmp(act, "continue") ? " says " : "",
	    strcmp(act, "continue") ? act : "");
	tell(b, "complaint", id, n, text);
	snprintf(why, sizeof(why), "the printer said: %s", text);
	if (strcmp(act, "pause") == 0)
		job_pause(b, why);
	else if (strcmp(act, "abort") == 0)
		job_cancel_as(b, "aborted", why);
}

void
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
			prompt_drop(b);
			manual_end(b, "failed", ev.text);
			job_end(b, "aborted", ev.text);
			status(b, "error", ev.text);
			/* A halted board needs a reset: opening its port
			 * again gives one to boards that reset on DTR. */
			b->reset_pending = 1;
			break;
		case LINK_EV_RESET:
			prompt_drop(b);
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
			/* At most one report a second goes to spoold, and
			 * an unchanged one every TEMPS_REPEAT_MS: heard
			 * again, the heaters are not stale. */
			if (now - b->temps_at >= 1000 &&
			    (strcmp(ev.text, b->last_temps) != 0 ||
			    now - b->temps_at >= TEMPS_REPEAT_MS)) {
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
