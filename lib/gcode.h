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

/* What a printer allows; 0 means "not checked". */
struct gcode_policy {
	int	max_hotend;	/* degrees C, M104/M109 S or R */
	int	max_bed;	/* degrees C, M140/M190 S or R */
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
};

void	gcode_lexer_init(struct gcode_lexer *, const struct gcode_policy *);

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
