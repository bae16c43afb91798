/*
 * resume.c - gpc resume-from for the serial backend: a job started again
 * at the first command of a layer, after a power cut or a backend that
 * died.
 *
 * The spool file is read from its start to learn the state at the
 * layer's start (position, modes, heaters and fan as the file had set
 * them) and the height the head stopped at; the lines that bring the
 * printer there go into the job's queue (job.c), and the file is read on
 * from the layer's start.
 *
 * Security: the file is the job's own spool file, checked at ingest and
 * lexed again here with the same lexer; the layer and the line count
 * come from spoold, parsed with bounds (ctl.c).
 *
 * Diagnostics: a resume that cannot be done says why (no such layer, a
 * height or position not known, a file that cannot be read) and the job
 * ends "stopped" with that reason.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "backend.h"

/* Is cmd the command letter+number (M104, not M1040)? */
static int
is_cmd(const char *cmd, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(cmd, name, n) == 0 &&
	    !isdigit((unsigned char)cmd[n]) && cmd[n] != '.';
}

/* What a resumed job must set again before its layer: heaters and fan,
 * as the file had set them by then. */
struct resume_state {
	struct gstate	 gs;
	double		 hotend, bed, fan;	/* -1: never set */
};

static void
resume_follow(struct resume_state *r, const char *cmd)
{
	double v;

	if (is_cmd(cmd, "M104") || is_cmd(cmd, "M109")) {
		if (gcode_word(cmd, 'S', &v) || gcode_word(cmd, 'R', &v))
			r->hotend = v;
	} else if (is_cmd(cmd, "M140") || is_cmd(cmd, "M190")) {
		if (gcode_word(cmd, 'S', &v) || gcode_word(cmd, 'R', &v))
			r->bed = v;
	} else if (is_cmd(cmd, "M106"))
		r->fan = gcode_word(cmd, 'S', &v) ? v : 255;
	else if (is_cmd(cmd, "M107"))
		r->fan = 0;
	gstate_apply(&r->gs, cmd);
}

/*
 * gpc resume-from: start job j again at the first command of a layer,
 * after a power cut or a backend that died.  The file is read from the
 * start to learn the state there and the height the head stopped at
 * (after `stopline' commands); then the printer heats up, takes that
 * height as its Z, lifts, homes X and Y only, goes back over the layer's
 * start, sets E and the modes, and the job goes on from there.
 * 0, or -1 with why.
 */
int
job_seek_layer(struct backend *b, unsigned long layer, long stopline,
    char *why, size_t whysz)
{
	struct job *j = &b->job;
	struct gcode_lexer lx;
	struct resume_state cur, at;
	enum gcode_status st = GCODE_MORE;
	unsigned long long start = 0, prev = 0;
	double zstop = 0, x, y, z;
	long base_lines = 0;
	char cmd[96];
	int found = 0, zfound = 0, i;
	size_t off = 0, len = 0, used;
	ssize_t n;

	gcode_lexer_init(&lx, NULL);
	memset(&cur, 0, sizeof(cur));
	gstate_init(&cur.gs);
	cur.hotend = cur.bed = cur.fan = -1;
	at = cur;
	while (!(found && zfound)) {
		if (off == len) {
			if ((n = read(j->fd, j->buf, JOB_BUFSZ)) < 0) {
				snprintf(why, whysz, "cannot read the job's"
				    " file: %s", strerror(errno));
				return -1;
			}
			off = 0;
			len = (size_t)n;
			if (n == 0) {
				if ((st = gcode_lex_end(&lx)) != GCODE_CMD)
					break;
				used = 0;
				goto command;
			}
		}
		used = gcode_lex(&lx, j->buf + off, len - off, &st);
		off += used;
		if (st == GCODE_ERROR) {
			snprintf(why, whysz, "%s", lx.error);
			return -1;
		}
		if (st != GCODE_CMD)
			continue;
command:
		if (!found && lx.layer == layer) {
			found = 1;
			at = cur;
			start = prev;
			base_lines = (long)lx.ncmds - 1;
		}
		resume_follow(&cur, lx.cmd);
		prev = lx.bytes;
		if (!zfound && (long)lx.ncmds >= stopline) {
			zfound = gstate_machine(&cur.gs, GS_Z, &zstop);
			if (!zfound) {
				snprintf(why, whysz, "the height the print"
				    " stopped at is not known");
				return -1;
			}
		}
		if (len == 0)
			break;
	}
	if (!found) {
		snprintf(why, whysz, "the file has no layer %lu", layer);
		return -1;
	}
	if (!zfound) {
		snprintf(why, whysz, "the print stopped after line %ld, beyond"
		    " the file's end", stopline);
		return -1;
	}
	if (!gstate_machine(&at.gs, GS_X, &x) ||
	    !gstate_machine(&at.gs, GS_Y, &y) ||
	    !gstate_machine(&at.gs, GS_Z, &z)) {
		snprintf(why, whysz, "where layer %lu starts is not known",
		    layer);
		return -1;
	}
	if (lseek(j->fd, (off_t)start, SEEK_SET) < 0) {
		snprintf(why, whysz, "cannot seek in the job's file: %s",
		    strerror(errno));
		return -1;
	}
	/* The layer's marker comes again: counted from the layer before. */
	gcode_lexer_init(&j->lx, NULL);
	j->lx.layer = layer - 1;
	j->layer_fed = j->layer = layer - 1;
	j->base_bytes = start;
	j->base_lines = base_lines;
	j->gs = at.gs;
	if (at.bed > 0) {
		snprintf(cmd, sizeof(cmd), "M140 S%.0f", at.bed);
		pend_add(b, cmd);
	}
	if (at.hotend > 0) {
		snprintf(cmd, sizeof(cmd), "M104 S%.0f", at.hotend);
		pend_add(b, cmd);
	}
	if (at.bed > 0) {
		snprintf(cmd, sizeof(cmd), "M190 S%.0f", at.bed);
		pend_add(b, cmd);
	}
	if (at.hotend > 0) {
		snprintf(cmd, sizeof(cmd), "M109 S%.0f", at.hotend);
		pend_add(b, cmd);
	}
	pend_add(b, "G21");
	pend_add(b, "G90");
	snprintf(cmd, sizeof(cmd), "G92 Z%.3f", zstop);
	pend_add(b, cmd);
	pend_add(b, "G91");
	pend_add(b, "G1 Z5 F600");
	pend_add(b, "G90");
	pend_add(b, "G28 X Y");
	snprintf(cmd, sizeof(cmd), "G1 X%.3f Y%.3f F3000", x, y);
	pend_add(b, cmd);
	snprintf(cmd, sizeof(cmd), "G1 Z%.3f F600", z);
	pend_add(b, cmd);
	/* Back in the file's own coordinates. */
	for (i = 0; i < 3; i++)
		if (at.gs.origin[i] != 0) {
			snprintf(cmd, sizeof(cmd), "G92 %c%.3f", "XYZ"[i],
			    at.gs.pos[i]);
			pend_add(b, cmd);
		}
	if (at.fan >= 0) {
		snprintf(cmd, sizeof(cmd), at.fan > 0 ? "M106 S%.0f" : "M107",
		    at.fan);
		pend_add(b, cmd);
	}
	j->at_pause = at.gs;
	pend_restore(b, GSTATE_MODES);
	log_info("%s-%ld: resuming from layer %lu (byte %llu), the head"
	    " taken to be at Z%.3f", b->printer, j->id, layer, start, zstop);
	return 0;
}
