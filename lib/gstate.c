/*
 * gstate.c - follow the modal state of a G-code stream (see gstate.h).
 *
 * Marlin's rules: G90/G91 make every axis absolute or relative, E too;
 * M82/M83 set E alone, and E is relative if either says so.  G92 sets
 * the logical position of the axes it names (all of them to 0 when it
 * names none).  G28 homes the axes it names (all when none) to 0.  G20
 * and G21 switch inches and millimetres for the words that follow.
 *
 * Security: the words come from a hostile file, but their numbers are
 * finite by the G-code grammar (gcode_number(): no exponent, no inf or
 * nan); the state is a fixed set of doubles and flags, whatever the
 * file says.
 *
 * Diagnostics: none; what the state means is the analyser's to report.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcode.h"
#include "gstate.h"

#define XY_FEED	6000		/* mm/min back to where the head was */
#define Z_FEED	600

static const char axis_letter[GS_AXES] = { 'X', 'Y', 'Z', 'E' };

void
gstate_init(struct gstate *s)
{
	memset(s, 0, sizeof(*s));
}

static int
axis_of(char letter)
{
	switch (letter) {
	case 'X': return GS_X;
	case 'Y': return GS_Y;
	case 'Z': return GS_Z;
	case 'E': return GS_E;
	}
	return -1;
}

/* The words of a move, in one pass: X, Y, Z, E and F. */
void
gstate_move_word(struct gstate *s, char letter, double v)
{
	int a, rel;

	if (letter == 'F') {
		if (v > 0) {
			s->feed = v;
			s->feed_known = 1;
		}
		return;
	}
	if ((a = axis_of(letter)) < 0)
		return;
	if (s->inches)
		v *= 25.4;
	rel = s->relative || (a == GS_E && s->e_relative);
	if (rel) {
		s->pos[a] += v;		/* unknown stays unknown */
	} else {
		s->pos[a] = v;
		s->known |= 1u << a;
	}
}

static void
apply_move(struct gstate *s, const char *cmd)
{
	const char *p = gcode_args(cmd);
	double v;
	char letter;
	int has;

	while (gcode_next_word(&p, &letter, &v, &has))
		if (has)
			gstate_move_word(s, letter, v);
}

/* Homing: the axis is at machine 0, and G92's offset is gone.  G92:
 * the current machine position is now called v. */
static void
set_axis(struct gstate *s, int a, int homing, double v)
{
	if (homing) {
		s->origin[a] = 0;
		s->origin_unknown &= ~(1u << a);
	} else if ((s->known >> a) & 1u)
		s->origin[a] = s->pos[a] + s->origin[a] - v;
	else
		s->origin_unknown |= 1u << a;
	s->pos[a] = v;
	s->known |= 1u << a;
}

static void
apply_set(struct gstate *s, const char *cmd, int homing)
{
	double v, scale = s->inches ? 25.4 : 1.0;
	const char *p = gcode_args(cmd);
	char letter;
	int a, any = 0, has;

	/* G28 takes bare letters ("G28 X Y") or values it ignores, G92
	 * values. */
	while (gcode_next_word(&p, &letter, &v, &has)) {
		if ((a = axis_of(letter)) < 0 || (homing && a == GS_E) ||
		    (!homing && !has))
			continue;
		set_axis(s, a, homing, homing ? 0 : v * scale);
		any = 1;
	}
	if (!any) {
		for (a = 0; a < (homing ? GS_E : GS_AXES); a++)
			set_axis(s, a, homing, 0);
	}
}


void
gstate_apply(struct gstate *s, const char *cmd)
{
	char letter;
	char *end;
	long code;

	if (!isalpha((unsigned char)cmd[0]))
		return;
	letter = (char)toupper((unsigned char)cmd[0]);
	code = gcode_int(cmd + 1, &end);
	if (end == cmd + 1 || *end == '.')
		return;
	if (letter == 'G') {
		switch (code) {
		case 0: case 1: case 2: case 3:
			apply_move(s, cmd);
			break;
		case 20:
			s->inches = 1;
			break;
		case 21:
			s->inches = 0;
			break;
		case 28:
			apply_set(s, cmd, 1);
			break;
		case 90:
			s->relative = 0;
			break;
		case 91:
			s->relative = 1;
			break;
		case 92:
			apply_set(s, cmd, 0);
			break;
		}
	} else if (letter == 'M') {
		if (code == 82)
			s->e_relative = 0;
		else if (code == 83)
			s->e_relative = 1;
	}
}

static int
known(const struct gstate *s, int a)
{
	return (s->known >> a) & 1u;
}

int
gstate_restore(const struct gstate *s, enum gstate_phase phase, int idx,
    char *out, size_t outsz)
{
	char cmds[8][64];
	int n = 0;

	if (phase == GSTATE_MOVE) {
		snprintf(cmds[n++], sizeof(cmds[0]), "G21");
		snprintf(cmds[n++], sizeof(cmds[0]), "G90");
		if (known(s, GS_X) && known(s, GS_Y))
			snprintf(cmds[n++], sizeof(cmds[0]),
			    "G1 X%.3f Y%.3f F%d", s->pos[GS_X], s->pos[GS_Y],
			    XY_FEED);
		else if (known(s, GS_X) || known(s, GS_Y)) {
			int a = known(s, GS_X) ? GS_X : GS_Y;

			snprintf(cmds[n++], sizeof(cmds[0]), "G1 %c%.3f F%d",
			    axis_letter[a], s->pos[a], XY_FEED);
		}
		if (known(s, GS_Z))
			snprintf(cmds[n++], sizeof(cmds[0]), "G1 Z%.3f F%d",
			    s->pos[GS_Z], Z_FEED);
	} else {
		snprintf(cmds[n++], sizeof(cmds[0]), "G21");
		if (known(s, GS_E) && !s->relative && !s->e_relative)
			snprintf(cmds[n++], sizeof(cmds[0]), "G92 E%.5f",
			    s->pos[GS_E]);
		snprintf(cmds[n++], sizeof(cmds[0]), "%s",
		    s->relative ? "G91" : "G90");
		snprintf(cmds[n++], sizeof(cmds[0]), "%s",
		    s->e_relative ? "M83" : "M82");
		if (s->inches)
			snprintf(cmds[n++], sizeof(cmds[0]), "G20");
		if (s->feed_known)
			snprintf(cmds[n++], sizeof(cmds[0]), "G1 F%.3f",
			    s->feed);
	}
	if (idx < 0 || idx >= n)
		return 0;
	snprintf(out, outsz, "%s", cmds[idx]);
	return 1;
}
