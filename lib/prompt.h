/*
 * prompt.h - a firmware's host prompt, as Marlin sends it with
 * HOST_PROMPT_SUPPORT: "//action:prompt_end", "//action:prompt_begin
 * MESSAGE", "//action:prompt_button TEXT" (or, in older versions,
 * "//action:prompt_choice TEXT") for each choice, "//action:prompt_show";
 * the host answers with "M876 S<index>", the index of the button chosen,
 * from 0.
 *
 * Pure logic: the backend gives it the text of each host action (what
 * follows "//action:") and is told what changed; spoold shows the
 * prompt, and gpc answer names a choice by its index or its text.
 *
 * Security: every byte comes from the printer.  The message and each
 * button are cut to a bound (on a character boundary) and cleaned of
 * control bytes and bytes that are not UTF-8; buttons beyond
 * PROMPT_BUTTONS are dropped, and counted.
 */
#ifndef GSPOOL_PROMPT_H
#define GSPOOL_PROMPT_H

#include <stddef.h>

#define PROMPT_TEXT	128	/* bytes of a message, with its NUL */
#define PROMPT_BUTTON	48	/* bytes of a button's text, with its NUL */
#define PROMPT_BUTTONS	8	/* Marlin shows two at most */
#define PROMPT_GCODE	128	/* bytes of a Klipper button's G-code */

struct prompt {
	int		 open;		/* begun, not ended */
	int		 shown;		/* prompt_show came */
	char		 text[PROMPT_TEXT];
	char		 button[PROMPT_BUTTONS][PROMPT_BUTTON];
	/* What a Klipper button runs ("prompt_button LABEL|GCODE|STYLE"):
	 * its answer, as Klipper takes no M876; "" for Marlin's. */
	char		 gcode[PROMPT_BUTTONS][PROMPT_GCODE];
	int		 nbuttons;
	unsigned long	 dropped;	/* buttons past PROMPT_BUTTONS */
};

enum prompt_change {
	PROMPT_NONE,		/* not a prompt's action, or nothing changed */
	PROMPT_BEGUN,		/* a new message, not shown yet */
	PROMPT_SHOWN,		/* to be shown (again, if a button came) */
	PROMPT_ENDED,		/* one that was open is gone */
};

void	prompt_init(struct prompt *);
/* Is this host action one of a prompt's ("prompt_...")? */
int	prompt_is_action(const char *action);
/* Follow one host action, the text after "//action:". */
enum prompt_change prompt_action(struct prompt *, const char *action);
/* The buttons joined by newlines into out (cut to fit). */
void	prompt_buttons(const struct prompt *, char *out, size_t outsz);

/*
 * The button a choice names: its index ("0", "1", ...) or its text,
 * case-insensitively.  The index, or -1 with why saying what is wrong
 * ("no button 'Abort': the choices are 0 Continue, 1 PurgeMore").
 */
int	prompt_choice(const struct prompt *, const char *choice, char *why,
	    size_t whysz);
/* The same, from a prompt's buttons joined by newlines (as spoold keeps
 * them). */
int	prompt_choice_of(const char *buttons, const char *choice, char *why,
	    size_t whysz);

#endif
