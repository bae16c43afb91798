/*
 * analyse.h - the G-code analyser: one streaming pass over a job that
 * checks it against a printer's policy and gathers what people look for
 * in a job (slicer, layers, time, filament, size, temperatures,
 * thumbnails, objects).
 *
 * Pure logic, no I/O, constant memory: it sits on the lexer (gcode.h),
 * follows the modal state (gstate.h), and is fed bytes in any pieces.
 */
#ifndef GSPOOL_ANALYSE_H
#define GSPOOL_ANALYSE_H

#include <stddef.h>

#include "gcode.h"
#include "gstate.h"

#define ANALYSE_CODES		32	/* commands in a forbidden/allowed list */
#define ANALYSE_TOOLS		8
#define ANALYSE_OBJECTS		32
#define ANALYSE_THUMBS		8
#define ANALYSE_NAME		64
#define ANALYSE_HEIGHTS		16	/* distinct layer heights counted */
#define ANALYSE_REASONS		16	/* reasons kept, with keep_going */
#define ANALYSE_REASON_LEN	320
#define ANALYSE_MATERIAL	16	/* a filament type: PLA, PETG, ... */
#define ANALYSE_NOZZLE_MIN	0.05	/* mm: a nozzle said outside these */
#define ANALYSE_NOZZLE_MAX	5.0	/* is not believed */
/* Kinds of dialect mismatch, each warned about once (with a count). */
enum { ANALYSE_DIALECT_FLAVOR, ANALYSE_DIALECT_KLIPPER,
	ANALYSE_DIALECT_RRF_META, ANALYSE_DIALECT_RRF, ANALYSE_DIALECTS };
/* Filament weight when the slicer does not say: 1.75 mm PLA. */
#define ANALYSE_FILAMENT_DIAMETER	1.75	/* mm */
#define ANALYSE_FILAMENT_DENSITY	1.24	/* g/cm^3 */
/* What a volumetric flavour's E (mm^3) is a length of: UltiGCode's. */
#define ANALYSE_VOLUMETRIC_DIAMETER	2.85	/* mm */

/* A command code such as M500: letter and number. */
struct gcode_code {
	char	letter;
	long	number;
};

struct analyse_policy {
	struct gcode_policy heat;	/* heater limits, macro parameters */
	enum gcode_firmware firmware;	/* GCODE_FW_UNKNOWN: not yet known */
	int	dialect_warn;		/* a file for another firmware is
					   warned about, not refused */
	double	vol_min[3], vol_max[3];	/* build volume, mm (X Y Z) */
	struct gcode_code forbidden[ANALYSE_CODES];
	int	nforbidden;
	struct gcode_code allowed[ANALYSE_CODES];
	int	nallowed;		/* 0: no allow-list */
	int	takes_bgcode;		/* the printer prints Prusa binary
					   G-code itself (PrusaLink): such a
					   file is refused as one gspool
					   cannot check yet */
};

struct analyse_thumb {
	int	width, height;
	long	bytes;			/* base64 length announced */
	char	format[8];		/* PNG, JPG, QOI */
	long	decoded;		/* bytes of image decoded */
	int	bad;			/* a line too long, or bad base64 */
};

/* Where the thumbnails' image bytes go as they are decoded: data for
 * thumbnail idx, then len 0 at its end. */
typedef void analyse_thumb_fn(void *arg, int idx, const unsigned char *data,
    size_t len);

/*
 * The motion model's marks (set mark_cb after analyse_init()): at the
 * start of command number command (the lexer's count, as the backend
 * counts the lines it has had acknowledged), the model has spent
 * seconds, in layer layer, and the file's bytes through that command
 * are bytes.  kinds says why the mark is there, one letter each: 'f'
 * the first command, 'l' a new layer, 'h' a wait for a heater (M109, M190,
 * M191, M116, TEMPERATURE_WAIT), 'm' the first move, 's' a step of
 * ANALYSE_MARK_STEP modelled seconds since the last mark, 'e' the end
 * (command is then one past the last, bytes those through the last
 * command: what follows it, such as a slicer's settings, is no part of
 * the print).  Marks come in the order of
 * command, one per command at most.
 */
#define ANALYSE_MARK_STEP	5.0	/* modelled seconds */
typedef void analyse_mark_fn(void *arg, unsigned long command,
    double seconds, unsigned long layer, const char *kinds,
    unsigned long long bytes);

struct analysis {
	struct analyse_policy pol;
	unsigned char	move_ok[4];	/* G0-G3 pass the policy's lists */
	struct gcode_lexer lx;
	struct gstate	gs;
	char		error[ANALYSE_REASON_LEN];	/* why the file is
							   refused (the first) */
	unsigned long	error_line;

	/* Set after analyse_init() to read the whole of a refused file and
	 * collect every reason (gprint --check --all): analyse_bytes() and
	 * analyse_end() go on after a refusal, and return -1 at the end. */
	int		keep_going;
	unsigned long	stopped_line;	/* the refusal stopped it there; 0:
					   the file was read to its end */
	int		at_end;		/* analyse_end() judges the whole */
	char		reasons[ANALYSE_REASONS][ANALYSE_REASON_LEN];
	unsigned long	nreasons;	/* found; the first ANALYSE_REASONS
					   kept */
	/* A file for another firmware, with dialect_warn: the first line
	 * of each kind, and how many lines of it. */
	char		warnings[ANALYSE_DIALECTS][ANALYSE_REASON_LEN];
	unsigned long	nwarnings[ANALYSE_DIALECTS];
	enum gcode_firmware file_firmware;	/* the file's flavour names
						   it, or GCODE_FW_UNKNOWN */
	char		flavor[ANALYSE_NAME];	/* as the file says it */

	/* Metadata. */
	char		slicer[ANALYSE_NAME];
	char		slicer_version[ANALYSE_NAME];
	long		slicer_seconds;	/* the slicer's estimate, -1 none */
	double		seconds;	/* gspool's own estimate */
	double		filament_mm[ANALYSE_TOOLS];
	double		slicer_filament_g[ANALYSE_TOOLS];	/* -1: none */
	int		tool;
	double		bbox_min[3], bbox_max[3];
	int		extruded;	/* any extruding move seen */
	double		first_layer_z;
	unsigned long	layers;		/* from markers, else Z changes */
	unsigned long	z_layers;
	long		heights_um[ANALYSE_HEIGHTS];
	unsigned long	height_count[ANALYSE_HEIGHTS];
	int		nheights;
	double		last_extrude_z;
	double		max_hotend, max_bed, max_chamber;
	double		first_hotend, first_bed;
	struct analyse_thumb thumbs[ANALYSE_THUMBS];
	int		nthumbs;
	int		in_thumb;
	int		thumb_idx;	/* being decoded, -1 none */
	unsigned char	b64[4];
	int		b64n;
	analyse_thumb_fn *thumb_cb;	/* set after analyse_init() */
	void		*thumb_arg;
	char		objects[ANALYSE_OBJECTS][ANALYSE_NAME];
	int		nobjects;
	unsigned long	pauses;		/* M0/M1: the job waits there */
	unsigned long	waits;		/* every M0/M1, the last one too
					   (gpc send refuses them) */
	int		wait_pending;	/* an M0/M1, not yet followed */
	unsigned long	spindle;	/* M3/M4: laser or spindle on */
	unsigned long	spindle_line;
	char		spindle_cmd[GCODE_MAX_CMD + 1];
	unsigned long	xy_moves, xy_line;
	/* Below the bed, and XY moves with Z lowered (a pen, a tool):
	 * jobs for other machines. */
	unsigned long	plunge_line;
	char		plunge_cmd[GCODE_MAX_CMD + 1];
	double		z_high;		/* the highest machine Z so far */
	int		z_seen;
	unsigned long	draws, draw_line;
	/* Extrusion on another axis (MakerBot's A and B). */
	double		ab_pos[2];
	unsigned	ab_known;
	int		volumetric;	/* E is in mm^3 (UltiGCode) */
	double		slicer_volume[ANALYSE_TOOLS];	/* mm^3, -1 none */
	double		marked_first_z;	/* first extrusion after the first
					   layer marker */
	int		marked_first;
	int		bbox_z_known;
	unsigned long	commands;

	/* What the file was made for, as its slicer says: the printer
	 * model, each tool's nozzle (mm) and filament type, the bed's
	 * surface.  "" and 0: not said. */
	char		for_model[ANALYSE_NAME];
	double		for_nozzle[ANALYSE_TOOLS];
	char		for_material[ANALYSE_TOOLS][ANALYSE_MATERIAL];
	char		for_bed[ANALYSE_NAME];
	/* Cura's ";SETTING_3" profile, its lines cut anywhere: the tail
	 * not yet read, where "definition = NAME" may straddle two. */
	char		cura_profile[2 * ANALYSE_NAME + 16];

	analyse_mark_fn	*mark_cb;
	void		*mark_arg;
	unsigned long	mark_layer;	/* at the last mark */
	double		mark_seconds;
	int		mark_moved;	/* the first move was marked */
	unsigned long long mark_bytes;	/* through the last command */

	/* The motion model. */
	double		v_prev;		/* mm/s at the end of the last move */
	double		dir_prev[3];
	double		accel;		/* mm/s^2 */
	int		cura_legacy;	/* ";Layer count:" seen */
};

void	analyse_policy_default(struct analyse_policy *);
void	analyse_init(struct analysis *, const struct analyse_policy *);

/*
 * Feed bytes.  Returns 0, or -1 when the file is refused: a->error says
 * why ("line N: ...").  Nothing more is accepted after an error.
 */
int	analyse_bytes(struct analysis *, const char *buf, size_t len);
/* At the end of the file: 0 if accepted, -1 with a->error. */
int	analyse_end(struct analysis *);

/*
 * The verdict and the metadata as one JSON object (jansson), a string
 * to free(): file, accepted, reason, line, slicer, slicer_version,
 * layers, estimated_seconds (the slicer's, else gspool's),
 * gspool_estimated_seconds, filament_mm (per tool), bbox, first-layer
 * and max temperatures, thumbnails, objects, made_for (model, nozzle
 * and materials per tool, bed, tools), pauses, commands.
 */
char	*analyse_json(const struct analysis *, const char *file,
	    int accepted, const char *reason, int flags);
#define ANALYSE_JSON_COMPACT	1

/*
 * The whole file from fd (plain or gzip-compressed; not closed), after
 * analyse_init() and any keep_going: 0 if it is accepted; -1 if it is
 * refused, a->error saying why (an empty file, or one without commands,
 * is refused too); -2 if it could not be read (a->error: why).
 */
int	analyse_fd(struct analysis *, int fd);

/* 1 if the slicer said anything of what the file was made for (a
 * model, a nozzle, a filament type or a bed). */
int	analyse_made_for(const struct analysis *);
/* 1 if the file extrudes with tool t (or, extruding nothing said per
 * tool, t is 0). */
int	analyse_uses_tool(const struct analysis *, int t);

/* The line the analysis stopped at: that of the refusal, or the last
 * line read. */
unsigned long analyse_stopped_line(const struct analysis *);

/* The commonest step between the heights extruded at (0: none). */
double	analyse_layer_height(const struct analysis *);

/* Parse "M500 M501 ..." into codes; -1 with the bad word in bad. */
int	analyse_parse_codes(const char *list, struct gcode_code *codes,
	    int max, int *n, char *bad, size_t badsz);

#endif
