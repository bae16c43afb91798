/*
 * gcode.h - the G-code lexer and line checker, and the wire framing of
 * a command (N<n> <cmd>*<cs>).
 *
 * Pure logic, no I/O: the caller feeds bytes and takes out commands one
 * at a time, so memory stays flat whatever the file size.  The same
 * lexer checks a file at ingest and feeds the backend when it prints,
 * so what reaches the printer is exactly what was checked.
 */
#ifndef GSPOOL_GCODE_H
#define GSPOOL_GCODE_H

#include <stddef.h>

/* Marlin's MAX_CMD_SIZE is 96 bytes with the NUL: 95 usable. */
#define GCODE_MAX_FRAMED	95
#define GCODE_MAX_CMD		GCODE_MAX_FRAMED

/* The heaters a temperature may be set for. */
enum gcode_heater { GCODE_HOTEND, GCODE_BED, GCODE_CHAMBER, GCODE_HEATERS };

/* Parameter names of a macro call that set a heater, upper case, each
 * between spaces (" EXTRUDER BED_TEMP "); "" means the defaults. */
#define GCODE_PARAMS_MAX	256

/* What a printer allows; 0 means "not checked". */
struct gcode_policy {
	int	max_hotend;	/* degrees C: M104/M109, M303, G10, M568, ... */
	int	max_bed;	/* degrees C: M140/M190, M303 E-1, ... */
	int	max_chamber;	/* degrees C: M141/M191, M303 E-2, ... */
	char	macro_params[GCODE_HEATERS][GCODE_PARAMS_MAX];
};

/*
 * The firmware a printer runs, as far as the G-code it takes goes: the
 * dialect a file must be written in.  GCODE_FW_UNKNOWN: not yet known
 * (nothing is refused for its dialect).
 */
enum gcode_firmware {
	GCODE_FW_UNKNOWN,
	GCODE_FW_MARLIN,
	GCODE_FW_PRUSA,		/* Prusa-Firmware: Marlin's dialect */
	GCODE_FW_KLIPPER,
	GCODE_FW_RRF,		/* RepRapFirmware */
	GCODE_FW_REPETIER,
	GCODE_FW_SMOOTHIE,
	GCODE_FW_COUNT
};

enum gcode_status {
	GCODE_MORE,		/* all input consumed, no command complete */
	GCODE_CMD,		/* a command is ready in lx->cmd */
	GCODE_ERROR,		/* lx->error says what and where */
	GCODE_COMMENT,		/* with want_comments: a line that is a
				   ';' comment is in lx->comment */
};

#define GCODE_COMMENT_MAX	200	/* bytes of a comment kept */

struct gcode_lexer {
	struct gcode_policy policy;
	unsigned long	line;		/* 1-based line being read */
	unsigned long	cmd_line;	/* line of the command in cmd */
	unsigned long	ncmds;		/* commands produced so far */
	unsigned long long bytes;	/* bytes consumed so far */
	char		cmd[GCODE_MAX_CMD + 1];
	size_t		cmdlen;
	int		in_comment;
	int		in_paren;	/* inside ( ... ) */
	int		prev_cr;
	int		overlong;	/* command text went past cmd[] */
	int		star;		/* a '*' in the command: a checksum */
	char		error[256];

	/* Layer markers the slicers write (";LAYER:3", ";LAYER_CHANGE",
	 * "; layer 3, Z = ...", "; BEGIN_LAYER_OBJECT z=..."): layer is
	 * the count of layer starts seen so far, so the command returned
	 * after it went up is the first of a new layer. */
	unsigned long	layer;
	int		layer_style;	/* the first kind of marker seen */
	long		layer_key;	/* its number, to skip repeats */
	char		comment[GCODE_COMMENT_MAX + 1];	/* a line's ';' comment */
	size_t		commentlen;
	int		comment_at_start;
	int		want_comments;	/* return GCODE_COMMENT for them */
	int		paren_depth;	/* of nested ( ... ) */
	int		paren_at_start;	/* a line's ( ... ) comment, kept */
	int		bom;		/* bytes of a byte-order mark seen */
	int		err_midline;	/* the error stopped inside a line */

	/* The heaters the command in cmd sets (bits 1 << GCODE_HOTEND...)
	 * and to what, whatever its dialect: M104 S215, G10 P0 S215,
	 * SET_HEATER_TEMPERATURE, PRINT_START EXTRUDER=215 ... */
	unsigned	temp_set;
	double		temp[GCODE_HEATERS];
};

void	gcode_lexer_init(struct gcode_lexer *, const struct gcode_policy *);
/* The limits of a printer nobody configured: 285, 120 and 80 C, the
 * default macro parameter names. */
void	gcode_policy_default(struct gcode_policy *);
/* The default parameter names of a heater, " NAME NAME ". */
const char *gcode_params_default(enum gcode_heater);
/* Parse "EXTRUDER, EXTRUDER_TEMP ..." into out (" EXTRUDER EXTRUDER_TEMP ").
 * -1 with the bad word in bad (not a name, or too many). */
int	gcode_params_parse(const char *list, char *out, size_t outsz,
	    char *bad, size_t badsz);
const char *gcode_heater_name(enum gcode_heater);	/* "hotend" ... */

/* "marlin", "klipper", ...; "" for GCODE_FW_UNKNOWN. */
const char *gcode_firmware_name(enum gcode_firmware);
/* Its name as people write it: "Marlin", "RepRapFirmware", ... */
const char *gcode_firmware_title(enum gcode_firmware);
/* A configuration word ("marlin", "rrf", "" for unknown): 0, or -1. */
int	gcode_firmware_parse(const char *word, enum gcode_firmware *);
/* The firmware a text names: M115's "FIRMWARE_NAME:Marlin 2.1.2 ...",
 * "Klipper", "RepRapFirmware for Duet 3"; GCODE_FW_UNKNOWN if none. */
enum gcode_firmware gcode_firmware_guess(const char *text);

/*
 * After GCODE_ERROR: go on with the next line, as if the bad one were a
 * comment (an analysis that collects every reason).  The error is
 * cleared.
 */
void	gcode_lex_resume(struct gcode_lexer *);

/*
 * Consume bytes from buf up to the end of the next command.  Returns the
 * number of bytes consumed and sets *st: GCODE_CMD (lx->cmd holds the
 * trimmed, comment-free command, lx->cmd_line its line), GCODE_MORE (feed
 * more), or GCODE_ERROR (lx->error holds "line N: why"; the lexer stays
 * in error).
 */
size_t	gcode_lex(struct gcode_lexer *, const char *buf, size_t len,
	    enum gcode_status *st);

/* At end of input: flush an unterminated last line.  GCODE_MORE means
 * the input is finished and nothing was pending. */
enum gcode_status gcode_lex_end(struct gcode_lexer *);

/* XOR of the bytes, as Marlin computes it. */
unsigned gcode_checksum(const char *s, size_t n);

/* Write "N<n> <cmd>*<cs>" into out (no newline).  Returns its length, or
 * -1 if it would exceed GCODE_MAX_FRAMED or outsz. */
int	gcode_frame(char *out, size_t outsz, long n, const char *cmd);

/* A command's number, as strtol(s, endp, 10) reads it, faster. */
long	gcode_int(const char *s, char **endp);

/* A G-code number ("-12.345"), as strtod() would read it, faster. */
double	gcode_number(const char *s, char **endp);

/* The words after the command word ("G1" of "G1X10 Y 5"). */
const char *gcode_args(const char *cmd);
/* The next word from *pp: a letter, optional spaces, a number (words may
 * touch: "X10Y5").  1 with *letter, *val and *has_num; 0 at the end. */
int	gcode_next_word(const char **pp, char *letter, double *val,
	    int *has_num);

/* 1 if a word of the letter has no number ("Snan", "X", "Sabc"). */
int	word_without_number(const char *cmd, char letter);

/* Find word letter (e.g. 'S') in a command and parse its number.
 * Returns 1 if found with a number, 0 if absent. */
int	gcode_word(const char *cmd, char letter, double *val);

#endif
