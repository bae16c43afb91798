/*
 * gstate.h - the modal state of a G-code stream: where the head is,
 * the feed rate, absolute or relative moves and extrusion, units.
 *
 * Pure logic.  The backend follows the lines it sends so that a paused
 * job resumes where it stopped, in the modes it was in; gstate_restore()
 * writes the commands that put a printer back into that state.
 */
#ifndef GSPOOL_GSTATE_H
#define GSPOOL_GSTATE_H

#include <stddef.h>

enum { GS_X, GS_Y, GS_Z, GS_E, GS_AXES };

struct gstate {
	double	 pos[GS_AXES];	/* logical position, millimetres */
	unsigned known;		/* bit per axis: pos[] is known */
	double	 origin[GS_AXES];	/* machine position of logical 0 */
	unsigned origin_unknown;	/* bit per axis: G92 from nowhere */
	double	 feed;		/* last F, in the stream's units */
	int	 feed_known;
	int	 relative;	/* G91 */
	int	 e_relative;	/* M83 (E is relative if this or G91) */
	int	 inches;	/* G20 */
};

void	gstate_init(struct gstate *);
/* Follow one command (comment-free, as the lexer gives it). */
void	gstate_apply(struct gstate *, const char *cmd);
/* Follow one word (with its number) of a G0-G3 move: what gstate_apply
 * does for each, for a caller that reads the words itself. */
void	gstate_move_word(struct gstate *, char letter, double v);
/* The machine position of axis a (G92 offsets undone); 0 if unknown. */
static inline int
gstate_machine(const struct gstate *s, int a, double *out)
{
	if (!((s->known >> a) & 1u) || ((s->origin_unknown >> a) & 1u))
		return 0;
	*out = s->pos[a] + s->origin[a];
	return 1;
}

/*
 * The commands that return the head and the modes to s, one per call:
 * idx from 0 until it returns 0.  Phase GSTATE_MOVE moves back (X and Y
 * first, then Z, in absolute millimetres); phase GSTATE_MODES sets E, the
 * modes and the feed rate back.  Returns 1 with the command in out.
 */
enum gstate_phase { GSTATE_MOVE, GSTATE_MODES };
int	gstate_restore(const struct gstate *s, enum gstate_phase, int idx,
	    char *out, size_t outsz);

#endif
