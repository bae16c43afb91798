/*
 * prompt.c - a firmware's host prompt (prompt.h).
 *
 * Marlin sends prompt_end before each new prompt, then prompt_begin
 * with its message, a prompt_button for each choice and prompt_show.
 * Klipper's macros send the same (by RESPOND), a button as
 * "prompt_button LABEL|GCODE|STYLE" or "prompt_footer_button ...": its
 * label is the button, its G-code (the label where it names none, as
 * Mainsail does) the answer, since Klipper takes no M876.
 * A prompt is kept from its begin to its end (or the host's answer,
 * which the caller acts on with prompt_init); buttons and a show
 * outside a begun prompt are ignored, as a host that joined late sees
 * them.  A second prompt_begin replaces the first.
 *
 * Security: the firmware's words are bounded and cleaned here (control
 * bytes and bytes that are not UTF-8 become '?'), before anyone shows
 * them; a choice from a client is compared, never used as a format.
 * Diagnostics: a choice that names no button is answered with the
 * choices there are.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prompt.h"
#include "util.h"

void
prompt_init(struct prompt *pr)
{
	memset(pr, 0, sizeof(*pr));
}

/* The action's argument after its name and spaces, or NULL if the
 * action is not name (a word of its own). */
static const char *
arg_of(const char *action, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(action, name, n) != 0 ||
	    (action[n] != '\0' && action[n] != ' '))
		return NULL;
	action += n;
	while (*action == ' ')
		action++;
	return action;
}

/* Cleaned and cut, without its trailing spaces and line end. */
static void
take(char *out, size_t outsz, const char *in)
{
	char tmp[512];
	size_t n = strlen(in);

	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\r' ||
	    in[n - 1] == '\n'))
		n--;
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, in, n);
	tmp[n] = '\0';
	clean_text(out, outsz, tmp);
}

int
prompt_is_action(const char *action)
{
	while (*action == ' ')
		action++;
	return strncmp(action, "prompt_", 7) == 0;
}

enum prompt_change
prompt_action(struct prompt *pr, const char *action)
{
	const char *a;

	while (*action == ' ')
		action++;
	if ((a = arg_of(action, "prompt_end")) != NULL) {
		int was = pr->open;

		prompt_init(pr);
		return was ? PROMPT_ENDED : PROMPT_NONE;
	}
	if ((a = arg_of(action, "prompt_begin")) != NULL) {
		prompt_init(pr);
		pr->open = 1;
		take(pr->text, sizeof(pr->text), a);
		return PROMPT_BEGUN;
	}
	if ((a = arg_of(action, "prompt_button")) != NULL ||
	    (a = arg_of(action, "prompt_footer_button")) != NULL ||
	    (a = arg_of(action, "prompt_choice")) != NULL) {
		char part[512];
		const char *bar;
		int k = pr->nbuttons;

		if (!pr->open || *a == '\0')
			return PROMPT_NONE;
		if (pr->nbuttons >= PROMPT_BUTTONS) {
			pr->dropped++;
			return PROMPT_NONE;
		}
		bar = strchr(a, '|');
		snprintf(part, sizeof(part), "%.*s", (int)(bar != NULL ?
		    (size_t)(bar - a) : strlen(a)), a);
		take(pr->button[k], PROMPT_BUTTON, part);
		if (pr->button[k][0] == '\0')
			return PROMPT_NONE;	/* only spaces */
		pr->gcode[k][0] = '\0';
		if (bar != NULL) {
			snprintf(part, sizeof(part), "%.*s",
			    (int)strcspn(bar + 1, "|"), bar + 1);
			take(pr->gcode[k], PROMPT_GCODE, part);
		}
		_Static_assert(PROMPT_GCODE >= PROMPT_BUTTON,
		    "a label fits where the G-code goes");
		if (bar != NULL && pr->gcode[k][0] == '\0')
			memcpy(pr->gcode[k], pr->button[k], PROMPT_BUTTON);
		pr->nbuttons++;
		return pr->shown ? PROMPT_SHOWN : PROMPT_NONE;
	}
	if ((a = arg_of(action, "prompt_show")) != NULL) {
		if (!pr->open)
			return PROMPT_NONE;
		pr->shown = 1;
		return PROMPT_SHOWN;
	}
	return PROMPT_NONE;
}

void
prompt_buttons(const struct prompt *pr, char *out, size_t outsz)
{
	size_t o = 0;
	int i, n;

	if (outsz == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < pr->nbuttons; i++) {
		n = snprintf(out + o, outsz - o, "%s%s", i ? "\n" : "",
		    pr->button[i]);
		if (n < 0 || (size_t)n >= outsz - o) {
			out[o] = '\0';
			return;
		}
		o += (size_t)n;
	}
}

int
prompt_choice_of(const char *buttons, const char *choice, char *why,
    size_t whysz)
{
	char list[PROMPT_BUTTONS * (PROMPT_BUTTON + 8)];
	const char *p = buttons, *e;
	size_t lo = 0, len;
	long idx = -1;
	int i, n, found = -1;
	char *end;

	if (isdigit((unsigned char)choice[0])) {
		errno = 0;
		idx = strtol(choice, &end, 10);
		if (*end != '\0' || errno != 0)
			idx = -1;
	}
	list[0] = '\0';
	for (i = 0; *buttons != '\0'; i++) {
		e = strchr(p, '\n');
		len = e ? (size_t)(e - p) : strlen(p);
		if (found < 0 && (i == idx || (idx < 0 &&
		    strlen(choice) == len && strncasecmp(p, choice, len) == 0)))
			found = i;
		n = snprintf(list + lo, sizeof(list) - lo, "%s%d %.*s",
		    i ? ", " : "", i, (int)len, p);
		if (n > 0 && (size_t)n < sizeof(list) - lo)
			lo += (size_t)n;
		if (e == NULL) {
			i++;
			break;
		}
		p = e + 1;
	}
	if (found >= 0)
		return found;
	if (i == 0)
		snprintf(why, whysz, "the prompt has no buttons to choose");
	else if (idx >= 0)
		snprintf(why, whysz, "no button %ld: the choices are %s", idx,
		    list);
	else
		snprintf(why, whysz, "no button '%s': the choices are %s",
		    choice, list);
	return -1;
}

int
prompt_choice(const struct prompt *pr, const char *choice, char *why,
    size_t whysz)
{
	char buttons[PROMPT_BUTTONS * PROMPT_BUTTON];

	if (!pr->open) {
		snprintf(why, whysz, "no prompt is open");
		return -1;
	}
	prompt_buttons(pr, buttons, sizeof(buttons));
	return prompt_choice_of(buttons, choice, why, whysz);
}
