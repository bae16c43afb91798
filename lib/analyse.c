/*
 * analyse.c - check a G-code job against a printer's policy and gather
 * its metadata, in one streaming pass (see analyse.h).
 *
 * The checks beyond the lexer's:
 *  - every move stays inside the build volume, with the modal state
 *    followed (G90/G91, M82/M83, G92, G28, G20/G21) and arcs (G2/G3)
 *    checked over their whole sweep, not only their end;
 *  - no forbidden command (by default the EEPROM writes M500-M502, the
 *    firmware update M997, and M112), and with an allow-list nothing
 *    outside it;
 *  - G-code for a laser or a spindle (M3/M4 with no extrusion at all) is
 *    not for a 3D printer.
 * M0 and M1 are counted: the backend pauses the job there instead of
 * sending them.
 *
 * Metadata comes from the slicer's comments where it writes them and
 * from the moves otherwise: a time estimate from a motion model with
 * acceleration, filament per tool, the box the extrusion fills, layers
 * (the slicer's markers, else the heights where extrusion happens).
 *
 * Security: the file is anybody's, and hostile.  It is read once, in
 * pieces, and memory stays flat: nothing is kept of it but one command
 * at a time (gcode.c), the modal state, fixed counters and bounded
 * lists (at most ANALYSE_REASONS reasons).  A G-code number is finite
 * by its grammar (no exponent, no inf or nan); a number in a slicer's
 * comment is taken only within its bounds, and an estimate past
 * SLICER_SECONDS_MAX is not believed.  fuzz_analyse feeds it any bytes
 * in any pieces.
 *
 * Diagnostics: a refusal says why, with the line and the command
 * ("line 1207: M104 S305 above max_hotend 285"); with keep_going the
 * first ANALYSE_REASONS are kept and the rest counted.  Doubts that
 * refuse nothing (a dialect guessed, a heater left on) are warnings.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyse.h"

#define DEFAULT_ACCEL	1000.0		/* mm/s^2, Marlin's usual default */
#define DEFAULT_FEED	1500.0		/* mm/min before any F */
#define VOLUME_SLACK	0.001		/* rounding in the file's numbers */
#define NONPRINT_MOVES	200		/* XY moves without extrusion: not a
					   maintenance script, a plot */

void
analyse_policy_default(struct analyse_policy *p)
{
	static const struct gcode_code forbidden[] = {
		{ 'M', 500 }, { 'M', 501 }, { 'M', 502 }, { 'M', 997 },
		{ 'M', 112 },
	};
	int i;

	memset(p, 0, sizeof(*p));
	gcode_policy_default(&p->heat);
	/* Without a configured volume, only moves no printer can make. */
	for (i = 0; i < 3; i++) {
		p->vol_min[i] = -1000;
		p->vol_max[i] = 2000;
	}
	memcpy(p->forbidden, forbidden, sizeof(forbidden));
	p->nforbidden = (int)(sizeof(forbidden) / sizeof(forbidden[0]));
}

int
analyse_parse_codes(const char *list, struct gcode_code *codes, int max,
    int *n, char *bad, size_t badsz)
{
	const char *p = list;
	char word[32], *end;
	size_t len;

	*n = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t,");
		snprintf(word, sizeof(word), "%.*s", (int)(len < 31 ? len : 31),
		    p);
		p += len;
		if (!isalpha((unsigned char)word[0]) ||
		    !isdigit((unsigned char)word[1]) || *n >= max) {
			snprintf(bad, badsz, "%s", word);
			return -1;
		}
		codes[*n].letter = (char)toupper((unsigned char)word[0]);
		codes[*n].number = strtol(word + 1, &end, 10);
		if (*end != '\0') {
			snprintf(bad, badsz, "%s", word);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

static int	code_in(const struct gcode_code *, int, char, long);

void
analyse_init(struct analysis *a, const struct analyse_policy *pol)
{
	struct analyse_policy def;
	int i;

	memset(a, 0, sizeof(*a));
	if (pol == NULL) {
		analyse_policy_default(&def);
		pol = &def;
	}
	a->pol = *pol;
	gcode_lexer_init(&a->lx, &a->pol.heat);
	a->lx.want_comments = 1;
	gstate_init(&a->gs);
	a->slicer_seconds = -1;
	a->thumb_idx = -1;
	for (i = 0; i < ANALYSE_TOOLS; i++)
		a->slicer_filament_g[i] = a->slicer_volume[i] = -1;
	a->accel = DEFAULT_ACCEL;
	a->gs.feed = DEFAULT_FEED;
	for (i = 0; i < 3; i++) {
		a->bbox_min[i] = 1e30;
		a->bbox_max[i] = -1e30;
	}
	/* Moves are nearly every command: their verdict once. */
	for (i = 0; i < 4; i++)
		a->move_ok[i] = !code_in(a->pol.forbidden, a->pol.nforbidden,
		    'G', i) && (a->pol.nallowed == 0 ||
		    code_in(a->pol.allowed, a->pol.nallowed, 'G', i));
}

static int
refuse(struct analysis *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A reason the file is refused: the first is a->error; with keep_going
 * every one is collected (the first ANALYSE_REASONS) and the analysis
 * goes on. */
static int
add_reason(struct analysis *a, unsigned long line, const char *text)
{
	if (a->error[0] == '\0') {
		snprintf(a->error, sizeof(a->error), "%s", text);
		a->error_line = line;
		if (!a->keep_going && !a->at_end)
			a->stopped_line = line;
	}
	if (a->nreasons < ANALYSE_REASONS)
		snprintf(a->reasons[a->nreasons], sizeof(a->reasons[0]), "%s",
		    text);
	a->nreasons++;
	return a->keep_going ? 0 : -1;
}

/* "line N: " and the rest, of the command being looked at. */
static void	at_line(const struct analysis *, char *, size_t, const char *,
		    va_list) __attribute__((format(printf, 4, 0)));

static void
at_line(const struct analysis *a, char *text, size_t textsz,
    const char *fmt, va_list ap)
{
	int n;

	n = snprintf(text, textsz, "line %lu: ", a->lx.cmd_line);
	vsnprintf(text + n, textsz - (size_t)n, fmt, ap);
}

static int
refuse(struct analysis *a, const char *fmt, ...)
{
	char text[ANALYSE_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	at_line(a, text, sizeof(text), fmt, ap);
	va_end(ap);
	return add_reason(a, a->lx.cmd_line, text);
}

/* The lexer refused a line: its reason, and with keep_going on with
 * the next line. */
static int
lexer_refused(struct analysis *a)
{
	unsigned long line = a->lx.cmd_line ? a->lx.cmd_line : a->lx.line;

	if (a->lx.err_midline)
		line = a->lx.line;
	if (add_reason(a, line, a->lx.error) < 0)
		return -1;
	gcode_lex_resume(&a->lx);
	return 0;
}

/* A line in the dialect of another firmware than the printer's: refused,
 * or with dialect_warn the first of its kind kept as a warning and the
 * others counted. */
static int
dialect(struct analysis *a, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
dialect(struct analysis *a, int kind, const char *fmt, ...)
{
	char text[ANALYSE_REASON_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	at_line(a, text, sizeof(text), fmt, ap);
	va_end(ap);
	n = (int)strlen(text);
	snprintf(text + n, sizeof(text) - (size_t)n, ", and this printer runs"
	    " %s", gcode_firmware_title(a->pol.firmware));
	if (!a->pol.dialect_warn)
		return add_reason(a, a->lx.cmd_line, text);
	if (a->nwarnings[kind]++ == 0)
		snprintf(a->warnings[kind], sizeof(a->warnings[0]), "%s", text);
	return 0;
}

unsigned long
analyse_stopped_line(const struct analysis *a)
{
	if (a->stopped_line > 0)
		return a->stopped_line;
	return a->lx.line > 1 && a->lx.cmdlen == 0 && !a->lx.in_comment ?
	    a->lx.line - 1 : a->lx.line;
}

/* ---- Comments: what the slicers say about their files ---- */

static void
copy_word(char *dst, size_t dsz, const char *src, const char *stops)
{
	size_t n = strcspn(src, stops);

	if (n >= dsz)
		n = dsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *
skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A slicer's time is believed up to ten years: a bigger one is no
 * estimate, and would overflow the sums made of it. */
#define SLICER_SECONDS_MAX	(10L * 366 * 86400)

/* Whole seconds at s, or -1 past SLICER_SECONDS_MAX. */
static long
parse_seconds(const char *s, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	return errno != 0 || v < 0 || v > SLICER_SECONDS_MAX ? -1 : v;
}

/* "1d 2h 3m 4s", "3m 40s", "47m 6s" */
static long
parse_dhms(const char *s)
{
	long total = 0, v;
	char *end;

	for (;;) {
		s = skip_spaces(s);
		if (!isdigit((unsigned char)*s))
			break;
		if ((v = parse_seconds(s, &end)) < 0)
			return -1;
		switch (*end) {
		case 'd': total += v * 86400; break;
		case 'h': total += v * 3600; break;
		case 'm': total += v * 60; break;
		case 's': total += v; break;
		default: return total > 0 ? total : -1;
		}
		if (total > SLICER_SECONDS_MAX)
			return -1;
		s = end + 1;
	}
	return total > 0 ? total : -1;
}

static void
set_slicer(struct analysis *a, const char *name, const char *version)
{
	if (a->slicer[0] != '\0')
		return;		/* the first one named wins */
	snprintf(a->slicer, sizeof(a->slicer), "%s", name);
	copy_word(a->slicer_version, sizeof(a->slicer_version), version,
	    " ,+\t");
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One line of a thumbnail's base64, decoded on the way through. */
static void
thumb_line(struct analysis *a, const char *s, int cut)
{
	struct analyse_thumb *t = &a->thumbs[a->thumb_idx];
	unsigned char out[GCODE_COMMENT_MAX];
	size_t n = 0;
	int v, k;

	if (cut)
		t->bad = 1;	/* part of the line was lost */
	for (; *s && !t->bad; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (*s == '=') {
			/* Padding: what is left of the quad is the end. */
			if (a->b64n >= 2)
				out[n++] = (unsigned char)(a->b64[0] << 2 |
				    a->b64[1] >> 4);
			if (a->b64n == 3)
				out[n++] = (unsigned char)(a->b64[1] << 4 |
				    a->b64[2] >> 2);
			a->b64n = 0;
			break;
		}
		if ((v = b64_value(*s)) < 0) {
			t->bad = 1;
			break;
		}
		a->b64[a->b64n++] = (unsigned char)v;
		if (a->b64n == 4) {
			out[n++] = (unsigned char)(a->b64[0] << 2 |
			    a->b64[1] >> 4);
			out[n++] = (unsigned char)(a->b64[1] << 4 |
			    a->b64[2] >> 2);
			out[n++] = (unsigned char)(a->b64[2] << 6 | a->b64[3]);
			a->b64n = 0;
		}
	}
	k = a->thumb_idx;
	t->decoded += (long)n;
	if (n > 0 && !t->bad && a->thumb_cb != NULL)
		a->thumb_cb(a->thumb_arg, k, out, n);
}

/* ---- What the file was made for ---- */

/*
 * A value of the slicer's settings, as one name: the quotes PrusaSlicer
 * puts around some values and trailing blanks dropped, a byte outside
 * printable ASCII made '?'.  The file is anybody's: the name is bounded
 * and never holds a control character.
 */
static void
made_word(char *dst, size_t dsz, const char *src, size_t n)
{
	size_t i, k = 0;

	while (n > 0 && (*src == ' ' || *src == '"')) {
		src++;
		n--;
	}
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '"' ||
	    src[n - 1] == '\t' || src[n - 1] == '\r'))
		n--;
	for (i = 0; i < n && k + 1 < dsz; i++)
		dst[k++] = (unsigned char)src[i] >= 0x20 &&
		    (unsigned char)src[i] < 0x7f ? src[i] : '?';
	dst[k] = '\0';
}

/* Tool first on, one nozzle diameter a tool: "0.4,0.6". */
static void
made_nozzles(struct analysis *a, int first, const char *p, const char *seps)
{
	char *end;
	double d;
	int t;

	for (t = first; t < ANALYSE_TOOLS; t++) {
		p = skip_spaces(p);
		if (*p == '\0')
			break;
		d = strtod(p, &end);
		if (end == p)
			break;
		if (d >= ANALYSE_NOZZLE_MIN && d <= ANALYSE_NOZZLE_MAX)
			a->for_nozzle[t] = d;
		p = skip_spaces(end);
		if (*p == '\0' || strchr(seps, *p) == NULL)
			break;
		p++;
	}
}

/* Tool first on, one filament type a tool: "PLA;PETG". */
static void
made_materials(struct analysis *a, int first, const char *p,
    const char *seps)
{
	size_t n;
	int t;

	for (t = first; t < ANALYSE_TOOLS; t++) {
		n = strcspn(p, seps);
		made_word(a->for_material[t], sizeof(a->for_material[t]), p,
		    n);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
}

/*
 * Cura's profile, ";SETTING_3 " and a piece of its settings serialised,
 * the lines cut at a fixed width whatever they hold: its machine is the
 * "definition = voron2_300" of the global stack, the first one, ended
 * by an escaped newline.  Only the tail of what came is kept, enough
 * for the key and a name, so the memory stays bounded.
 */
static void
made_cura_profile(struct analysis *a, const char *piece)
{
	static const char key[] = "\\ndefinition = ";
	char *buf = a->cura_profile, *k, *e;
	size_t have = strlen(buf), n = strlen(piece), room;

	if (a->for_model[0] != '\0')
		return;
	room = sizeof(a->cura_profile) - 1;
	if (n > room)
		piece += n - room, n = room;
	if (have + n > room) {
		memmove(buf, buf + (have + n - room), room - n);
		have = room - n;
	}
	memcpy(buf + have, piece, n);
	buf[have + n] = '\0';
	buf[have + strcspn(buf + have, "\r")] = '\0';
	if ((k = strstr(buf, key)) == NULL)
		return;
	k += sizeof(key) - 1;
	if ((e = strchr(k, '\\')) == NULL) {
		/* Its end comes with the next piece: keep from the key. */
		if (k - buf > (ptrdiff_t)(sizeof(key) - 1))
			memmove(buf, k - (sizeof(key) - 1),
			    strlen(k - (sizeof(key) - 1)) + 1);
		return;
	}
	made_word(a->for_model, sizeof(a->for_model), k, (size_t)(e - k));
	buf[0] = '\0';
}

/*
 * The slicers' words for it, where the corpus and the slicers' sources
 * show them: PrusaSlicer, SuperSlicer, OrcaSlicer and BambuStudio write
 * their settings as "; key = value" (printer_model, nozzle_diameter with
 * a comma between tools, filament_type with a semicolon, curr_bed_type);
 * Cura names the machine (";TARGET_MACHINE.NAME:" in its Griffin
 * header, ";MACHINE_TYPE:" in others, as FlashForge's printers do) and
 * each extruder's nozzle (";EXTRUDER_TRAIN.N.NOZZLE.DIAMETER:"), and
 * where it names no machine, its profile's definition (";SETTING_3");
 * Simplify3D lists "printMaterial,ABS" and "extruderDiameter,0.5,0.5";
 * KISSlicer "nozzle_dia_N = 0.4" from tool 1.  1 if s was one of them.
 */
static int
made_for(struct analysis *a, const char *s)
{
	const char *p;

	switch (s[0]) {
	case 'p':
		if (strncmp(s, "printer_model = ", 16) == 0)
			made_word(a->for_model, sizeof(a->for_model), s + 16,
			    strlen(s + 16));
		else if (strncmp(s, "printMaterial,", 14) == 0)
			made_word(a->for_material[0],
			    sizeof(a->for_material[0]), s + 14,
			    strcspn(s + 14, ","));
		else
			return 0;
		return 1;
	case 'n':
		if (strncmp(s, "nozzle_diameter = ", 18) == 0)
			made_nozzles(a, 0, s + 18, ",");
		else if (strncmp(s, "nozzle_dia_", 11) == 0 &&
		    s[11] >= '1' && s[11] <= '0' + ANALYSE_TOOLS &&
		    strncmp(s + 12, " = ", 3) == 0)
			made_nozzles(a, s[11] - '1', s + 15, "");
		else
			return 0;
		return 1;
	case 'f':
		if (strncmp(s, "filament_type = ", 16) != 0)
			return 0;
		made_materials(a, 0, s + 16, ";,");
		return 1;
	case 'c':
		if (strncmp(s, "curr_bed_type = ", 16) != 0)
			return 0;
		made_word(a->for_bed, sizeof(a->for_bed), s + 16,
		    strlen(s + 16));
		return 1;
	case 'e':
		if (strncmp(s, "extruderDiameter,", 17) != 0)
			return 0;
		made_nozzles(a, 0, s + 17, ",");
		return 1;
	case 'T':
		if (strncmp(s, "TARGET_MACHINE.NAME:", 20) != 0)
			return 0;
		p = skip_spaces(s + 20);
		made_word(a->for_model, sizeof(a->for_model), p, strlen(p));
		return 1;
	case 'M':
	case 'm':
		if (strncasecmp(s, "MACHINE_TYPE:", 13) == 0) {
			p = skip_spaces(s + 13);
			made_word(a->for_model, sizeof(a->for_model), p,
			    strlen(p));
			return 1;
		}
		/* ";MATERIAL:PLA"; UltiGCode's ";MATERIAL:1234" is a
		 * volume (on_metadata). */
		if (strncmp(s, "MATERIAL:", 9) == 0 &&
		    isalpha((unsigned char)*skip_spaces(s + 9))) {
			p = skip_spaces(s + 9);
			made_word(a->for_material[0],
			    sizeof(a->for_material[0]), p, strlen(p));
			return 1;
		}
		return 0;
	case 'S':
		if (strncmp(s, "SETTING_3 ", 10) != 0)
			return 0;
		made_cura_profile(a, s + 10);
		return 1;
	case 'E':
		if (strncmp(s, "EXTRUDER_TRAIN.", 15) != 0 ||
		    !isdigit((unsigned char)s[15]) || s[16] != '.' ||
		    strncmp(s + 17, "NOZZLE.DIAMETER:", 16) != 0 ||
		    s[15] - '0' >= ANALYSE_TOOLS)
			return 0;
		made_nozzles(a, s[15] - '0', s + 33, "");
		return 1;
	}
	return 0;
}

int
analyse_made_for(const struct analysis *a)
{
	int t;

	if (a->for_model[0] || a->for_bed[0])
		return 1;
	for (t = 0; t < ANALYSE_TOOLS; t++)
		if (a->for_nozzle[t] > 0 || a->for_material[t][0])
			return 1;
	return 0;
}

int
analyse_uses_tool(const struct analysis *a, int t)
{
	int i;

	if (t < 0 || t >= ANALYSE_TOOLS)
		return 0;
	for (i = 0; i < ANALYSE_TOOLS; i++)
		if (a->filament_mm[i] > 0)
			return a->filament_mm[t] > 0;
	return t == 0;
}

static void	on_metadata(struct analysis *, const char *, const char *);
static int	on_flavor(struct analysis *, const char *, const char *);

static int
on_comment(struct analysis *a, const char *c)
{
	static unsigned char first[256];
	const char *p, *s = skip_spaces(c);

	/* Most comments say nothing looked for here (";TYPE:", ";WIDTH:"):
	 * only the first letters of what is looked for go further. */
	if (!first['g'])
		for (p = "gGSKvLeTPfBtMF*<-;EemCpnc"; *p; p++)
			first[(unsigned char)*p] = 1;
	if (!a->in_thumb && !first[(unsigned char)s[0]])
		return 0;
	/* ";TYPE:", at every change of feature: of the T's, only TIME:. */
	if (!a->in_thumb && s[0] == 'T' && strncmp(s, "TIME:", 5) != 0 &&
	    strncmp(s, "Total estimated", 15) != 0 &&
	    strncmp(s, "TARGET_MACHINE.", 15) != 0)
		return 0;
	if (!a->in_thumb && s[0] == 'F' && strncmp(s, "FLAVOR:", 7) == 0)
		return on_flavor(a, s + 7, ";FLAVOR:");
	if (!a->in_thumb && s[0] == 'g' &&
	    strncmp(s, "gcode_flavor = ", 15) == 0)
		return on_flavor(a, s + 15, "gcode_flavor = ");
	on_metadata(a, c, s);
	return 0;
}

static void
on_metadata(struct analysis *a, const char *c, const char *s)
{
	const char *p;
	char name[ANALYSE_NAME], *end;
	double h, m;
	long v;

	if (a->in_thumb) {
		if (strncmp(s, "thumbnail", 9) == 0 && strstr(s, " end") != NULL) {
			a->in_thumb = 0;
			if (a->thumb_idx >= 0 && a->thumb_cb != NULL)
				a->thumb_cb(a->thumb_arg, a->thumb_idx, NULL, 0);
			a->thumb_idx = -1;
		} else if (a->thumb_idx >= 0)
			thumb_line(a, s, strlen(c) >= GCODE_COMMENT_MAX);
		return;		/* base64 lines */
	}
	if (s[0] == '*')	/* Miracle-Grue's "(* Generated by ...)" */
		s = skip_spaces(s + 1);
	if (made_for(a, s))
		return;
	if (strncasecmp(s, "generated by ", 13) == 0 ||
	    strncasecmp(s, "G-Code generated by ", 20) == 0) {
		p = s + (s[0] == 'G' && s[1] == '-' ? 20 : 13);
		copy_word(name, sizeof(name), p, " (\t");
		p += strlen(name);
		if (strncmp(p, "(R)", 3) == 0)
			p += 3;
		p = skip_spaces(p);
		if (strncasecmp(p, "Version ", 8) == 0)
			p += 8;
		if (p[0] == 'v' && isdigit((unsigned char)p[1]))
			p++;		/* "Miracle-Grue v0.0.4.0" */
		set_slicer(a, name, p);
	} else if (strncmp(s, "Generated with Cura_SteamEngine ", 32) == 0)
		set_slicer(a, "Cura", s + 32);
	else if (strncmp(s, "Generated with MatterSlice ", 27) == 0)
		set_slicer(a, "MatterSlice", s + 27);
	else if (strncmp(s, "BambuStudio ", 12) == 0)
		set_slicer(a, "BambuStudio", s + 12);
	else if (strncmp(s, "GCode created with FullControl", 30) == 0)
		set_slicer(a, "FullControl", "");
	else if (strncmp(s, "<version> ", 10) == 0 && a->lx.line <= 3) {
		/* Skeinforge's first line: "(<version> 12.01.13 </version>)" */
		copy_word(name, sizeof(name), skip_spaces(s + 10), " <");
		set_slicer(a, "Skeinforge", name);
	} else if (s[0] == '<' && (p = strstr(s, "IceSL")) != NULL &&
	    p - s < 8) {
		/* "<IceSL 2.4.1>" */
		copy_word(name, sizeof(name), skip_spaces(p + 5), " >");
		set_slicer(a, "IceSL", name);
	} else if (strncmp(s, "GENERATOR.NAME:Cura_SteamEngine", 31) == 0)
		set_slicer(a, "Cura", "");
	else if (strncmp(s, "GENERATOR.VERSION:", 18) == 0 &&
	    strcmp(a->slicer, "Cura") == 0 && !a->slicer_version[0])
		copy_word(a->slicer_version, sizeof(a->slicer_version), s + 18,
		    " ");
	else if (strncmp(s, "PRINT.TIME:", 11) == 0 ||
	    strncmp(s, "total print time (s) = ", 23) == 0 ||
	    strncmp(s, "--- print time: ", 16) == 0 ||
	    strncmp(s, "estimated_print_time_s :", 24) == 0) {
		/* Griffin, MatterSlice, Kiri:Moto, IceSL: seconds. */
		p = skip_spaces(s + strcspn(s, ":=") + 1);
		if (isdigit((unsigned char)*p))
			a->slicer_seconds = parse_seconds(p, &end);
	} else if (strncmp(s, "model printing time: ", 21) == 0 &&
	    (p = strstr(s, "total estimated time: ")) != NULL) {
		/* BambuStudio: "7m 34s; total estimated time: 15m 1s" */
		if ((v = parse_dhms(p + 22)) > 0)
			a->slicer_seconds = v;
	} else if (strncmp(s, "total filament weight [g] : ", 28) == 0) {
		if (sscanf(s + 28, "%lf", &h) == 1)
			a->slicer_filament_g[0] = h;	/* BambuStudio */
	} else if (strncmp(s, "filament_used_g :", 17) == 0) {
		if (sscanf(s + 17, " %lf", &h) == 1)
			a->slicer_filament_g[0] = h;	/* IceSL */
	} else if (strncmp(s, "MATERIAL:", 9) == 0 ||
	    strncmp(s, "MATERIAL2:", 10) == 0) {
		/* UltiGCode: the volume of each extruder's, in mm^3. */
		if (sscanf(s + (s[8] == ':' ? 9 : 10), "%lf", &h) == 1 &&
		    h >= 0)
			a->slicer_volume[s[8] == ':' ? 0 : 1] = h;
	} else if (strncmp(s, "EXTRUDER_TRAIN.", 15) == 0 &&
	    isdigit((unsigned char)s[15]) && s[16] == '.' &&
	    strncmp(s + 17, "MATERIAL.VOLUME_USED:", 21) == 0) {
		/* Griffin: ";EXTRUDER_TRAIN.0.MATERIAL.VOLUME_USED:1234" */
		if (s[15] - '0' < ANALYSE_TOOLS &&
		    sscanf(s + 38, "%lf", &h) == 1 && h >= 0)
			a->slicer_volume[s[15] - '0'] = h;
	} else if ((strncmp(s, "Total estimated (pre-cool) minutes:", 35) ==
	    0 || strncmp(s, "Calculated-during-export Build Time:", 36) ==
	    0) && strcmp(a->slicer, "KISSlicer") == 0) {
		if (sscanf(s + strcspn(s, ":") + 1, "%lf", &h) == 1 && h > 0 &&
		    h < 1e7)
			a->slicer_seconds = lround(h * 60);
	} else if (strncmp(s, "Sliced by ", 10) == 0) {
		copy_word(name, sizeof(name), s + 10, " ,");
		set_slicer(a, name, skip_spaces(s + 10 + strlen(name)));
	} else if (strncmp(s, "KISSlicer", 9) == 0)
		set_slicer(a, "KISSlicer", "");
	else if (strncmp(s, "version ", 8) == 0 &&
	    strcmp(a->slicer, "KISSlicer") == 0 && !a->slicer_version[0]) {
		/* "version 2 a 2.0.6 Win64": the dotted word */
		for (p = s + 8; *p; p += strcspn(p, " ")) {
			p = skip_spaces(p);
			if (strchr(p, '.') != NULL &&
			    strcspn(p, ".") < strcspn(p, " ")) {
				copy_word(a->slicer_version,
				    sizeof(a->slicer_version), p, " ");
				break;
			}
		}
	} else if (strncmp(s, "Sliced at:", 10) == 0 ||
	    strncmp(s, "Layer count:", 12) == 0) {
		a->cura_legacy = 1;
	} else if (strncmp(s, "estimated printing time (normal mode) =",
	    39) == 0) {
		if ((v = parse_dhms(s + 39)) > 0)
			a->slicer_seconds = v;
	} else if (strncmp(s, "TIME:", 5) == 0 ||
	    strncmp(s, "Print Time:", 11) == 0) {
		p = skip_spaces(s + (s[0] == 'T' ? 5 : 11));
		if (isdigit((unsigned char)*p) && a->slicer_seconds < 0)
			a->slicer_seconds = parse_seconds(p, &end);
	} else if (strncmp(s, "filament used [g] =", 19) == 0) {
		/* PrusaSlicer and kin: "12.14" or "5.1, 3.2" per tool. */
		int t;

		p = s + 19;
		for (t = 0; t < ANALYSE_TOOLS; t++) {
			double g = strtod(p, &end);

			if (end == p)
				break;
			a->slicer_filament_g[t] = g;
			p = end;
			while (*p == ',' || *p == ' ')
				p++;
		}
	} else if (strncmp(s, "Plastic weight:", 15) == 0) {
		/* Simplify3D: "Plastic weight: 13.16 g (0.03 lb)" */
		double g;

		if (sscanf(s + 15, " %lf g", &g) == 1)
			a->slicer_filament_g[0] = g;
	} else if (strncmp(s, "Build time:", 11) == 0) {
		/* Simplify3D: "Build time: 0 hours 31 minutes" */
		if (sscanf(s + 11, " %lf hours %lf minutes", &h, &m) == 2 &&
		    h >= 0 && m >= 0 && h * 3600 + m * 60 <= SLICER_SECONDS_MAX)
			a->slicer_seconds = (long)(h * 3600 + m * 60);
	} else if (strncmp(s, "thumbnail", 9) == 0 &&
	    (p = strstr(s, " begin ")) != NULL) {
		struct analyse_thumb *t;

		a->in_thumb = 1;
		a->thumb_idx = -1;
		a->b64n = 0;
		if (a->nthumbs >= ANALYSE_THUMBS)
			return;
		t = &a->thumbs[a->nthumbs];
		memset(t, 0, sizeof(*t));
		if (sscanf(p + 7, "%dx%d %ld", &t->width, &t->height,
		    &t->bytes) != 3 || t->width <= 0 || t->height <= 0 ||
		    t->width > 10000 || t->height > 10000)
			return;
		snprintf(t->format, sizeof(t->format), "%s",
		    s[9] == '_' ? s + 10 : "PNG");
		t->format[strcspn(t->format, " ")] = '\0';
		a->thumb_idx = a->nthumbs++;
	} else if (strncmp(s, "MESH:", 5) == 0 &&
	    strcmp(s + 5, "NONMESH") != 0) {
		int i;

		for (i = 0; i < a->nobjects; i++)
			if (strcmp(a->objects[i], s + 5) == 0)
				return;
		if (a->nobjects < ANALYSE_OBJECTS)
			snprintf(a->objects[a->nobjects++], ANALYSE_NAME,
			    "%s", s + 5);
	}
}

/* ---- The dialect of a file ---- */

/*
 * The firmware a slicer's flavour names.  0: none in particular (every
 * firmware here runs Marlin's G-code, and Cura's and Slic3r's "RepRap"
 * is the generic one); 1 with *fw, GCODE_FW_UNKNOWN for a firmware gspool
 * does not drive (MakerBot's, Mach3's).
 */
static int
flavor_firmware(const char *f, enum gcode_firmware *fw)
{
	static const struct {
		const char *name;
		int claim;
		enum gcode_firmware fw;
	} flavors[] = {
		{ "marlin", 0, GCODE_FW_UNKNOWN },
		{ "marlin2", 0, GCODE_FW_UNKNOWN },
		{ "Marlin(Volumetric)", 0, GCODE_FW_UNKNOWN },
		{ "UltiGCode", 0, GCODE_FW_UNKNOWN },
		{ "Griffin", 0, GCODE_FW_UNKNOWN },
		{ "reprap", 0, GCODE_FW_UNKNOWN },
		{ "klipper", 1, GCODE_FW_KLIPPER },
		{ "reprapfirmware", 1, GCODE_FW_RRF },
		{ "repetier", 1, GCODE_FW_REPETIER },
		{ "smoothie", 1, GCODE_FW_SMOOTHIE },
		{ "teacup", 1, GCODE_FW_UNKNOWN },
		{ "makerware", 1, GCODE_FW_UNKNOWN },
		{ "makerbot", 1, GCODE_FW_UNKNOWN },
		{ "sailfish", 1, GCODE_FW_UNKNOWN },
		{ "BFB", 1, GCODE_FW_UNKNOWN },
		{ "mach3", 1, GCODE_FW_UNKNOWN },
		{ "machinekit", 1, GCODE_FW_UNKNOWN },
		{ "no-extrusion", 1, GCODE_FW_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(flavors) / sizeof(flavors[0]); i++)
		if (strcasecmp(f, flavors[i].name) == 0) {
			*fw = flavors[i].fw;
			return flavors[i].claim;
		}
	return 0;
}

/* ";FLAVOR:Klipper" (Cura), "; gcode_flavor = klipper" (PrusaSlicer and
 * its kin): refused when it names another firmware than the printer's. */
static int
on_flavor(struct analysis *a, const char *f, const char *said)
{
	enum gcode_firmware fw = GCODE_FW_UNKNOWN;

	if (a->flavor[0])
		return 0;
	copy_word(a->flavor, sizeof(a->flavor), skip_spaces(f), " \t");
	if (strcmp(a->flavor, "UltiGCode") == 0 ||
	    strcmp(a->flavor, "Marlin(Volumetric)") == 0)
		a->volumetric = 1;
	if (!flavor_firmware(a->flavor, &fw))
		return 0;
	a->file_firmware = fw;
	if (a->pol.firmware == GCODE_FW_UNKNOWN || fw == a->pol.firmware)
		return 0;
	return dialect(a, ANALYSE_DIALECT_FLAVOR, "the file is written for %s"
	    " (%s%s)", fw != GCODE_FW_UNKNOWN ? gcode_firmware_title(fw) :
	    "another firmware", said, a->flavor);
}

/* RepRapFirmware's meta commands (RRF 3): lower case words. */
static int
rrf_meta(const char *cmd)
{
	static const char *const words[] = { "if", "elif", "else", "while",
	    "break", "continue", "abort", "var", "global", "set", "echo",
	    "return" };
	size_t i, n = strcspn(cmd, " \t");

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && strncmp(cmd, words[i], n) == 0)
			return 1;
	return 0;
}

/*
 * Klipper's extended command: a NAME of letters, digits and '_', then
 * KEY=VALUE parameters (VALUE quoted when it holds spaces), as Klipper
 * reads them.  Returns 1 if cmd has that form.
 */
static int
extended_form(const char *cmd)
{
	const char *p = cmd;
	char q;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (*p != '\0' && *p != ' ' && *p != '\t')
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 1;
		if (*p == '=')
			return 0;	/* no key */
		while (*p && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '=')
			return 0;	/* a word that is no parameter */
		p++;
		if (*p == '"' || *p == '\'') {
			q = *p++;
			while (*p && *p != q)
				p++;
			if (*p++ != q)
				return 0;
		} else
			while (*p && *p != ' ' && *p != '\t')
				p++;
	}
}

/* A command that is not a letter and a number: Klipper's extended
 * commands and RepRapFirmware's meta commands where the printer's dialect
 * has them (or it is not known yet); plain words never. */
static int
check_form(struct analysis *a, const char *cmd)
{
	enum gcode_firmware fw = a->pol.firmware;
	const char *p;
	char *end;

	if (isalpha((unsigned char)cmd[0])) {
		gcode_int(cmd + 1, &end);
		if (end != cmd + 1)
			return 0;	/* G29.1, G38.2 */
	}
	if (rrf_meta(cmd)) {
		if (fw == GCODE_FW_UNKNOWN || fw == GCODE_FW_RRF)
			return 0;
		return dialect(a, ANALYSE_DIALECT_RRF_META, "'%s' is a"
		    " RepRapFirmware meta command", cmd);
	}
	if (!extended_form(cmd))
		return refuse(a, "'%s' is not G-code: a command is a letter and"
		    " a number (G1, M104), or for Klipper a NAME with KEY=VALUE"
		    " parameters", cmd);
	/* A lone word in lower case is a word, not a macro (Klipper's own
	 * commands and macros are written in capitals). */
	for (p = cmd; islower((unsigned char)*p); p++)
		;
	if (*p == '\0' && fw != GCODE_FW_KLIPPER)
		return refuse(a, "'%s' is a word, not G-code: a command is a"
		    " letter and a number (G1, M104), or for Klipper a NAME with"
		    " KEY=VALUE parameters", cmd);
	if (fw == GCODE_FW_UNKNOWN || fw == GCODE_FW_KLIPPER)
		return 0;
	return dialect(a, ANALYSE_DIALECT_KLIPPER, "'%s' is a Klipper command"
	    " (a macro or an extended command)", cmd);
}

/* RepRapFirmware's own commands, which other firmwares ignore or read
 * otherwise: tool temperatures (G10 P S/R, M568), tools, heaters and
 * sensors, drives, kinematics, macros (M98), waits for temperatures
 * (M116). */
static int
rrf_only(const struct analysis *a, char letter, long code)
{
	double v;

	if (letter == 'G')
		return code == 10 && gcode_word(a->lx.cmd, 'P', &v) &&
		    (gcode_word(a->lx.cmd, 'S', &v) ||
		    gcode_word(a->lx.cmd, 'R', &v)) &&
		    !gcode_word(a->lx.cmd, 'L', &v);
	if (letter != 'M')
		return 0;
	switch (code) {
	case 98: case 116: case 308: case 563: case 568: case 584: case 669:
	case 950:
		return 1;
	}
	return 0;
}

/* ---- Commands ---- */

static int
code_in(const struct gcode_code *codes, int n, char letter, long number)
{
	int i;

	for (i = 0; i < n; i++)
		if (codes[i].letter == letter && codes[i].number == number)
			return 1;
	return 0;
}

static void
add_object(struct analysis *a, const char *name)
{
	int i;

	for (i = 0; i < a->nobjects; i++)
		if (strcmp(a->objects[i], name) == 0)
			return;
	if (a->nobjects < ANALYSE_OBJECTS)
		snprintf(a->objects[a->nobjects++], ANALYSE_NAME, "%s", name);
}

/* Object names: "M486 A<name>", "EXCLUDE_OBJECT_DEFINE NAME=<name>". */
static void
objects_of(struct analysis *a, const char *cmd)
{
	char name[ANALYSE_NAME];
	const char *p;

	if (strncasecmp(cmd, "EXCLUDE_OBJECT_DEFINE", 21) == 0 &&
	    (p = strstr(cmd, "NAME=")) != NULL) {
		copy_word(name, sizeof(name), p + 5, " ");
		add_object(a, name);
	} else if (strncasecmp(cmd, "M486", 4) == 0 &&
	    (p = strstr(cmd, " A")) != NULL) {
		copy_word(name, sizeof(name), p + 2, "");
		if (name[0] == '"') {
			memmove(name, name + 1, strlen(name));
			name[strcspn(name, "\"")] = '\0';
		}
		if (name[0])
			add_object(a, name);
	}
}

static int
check_point(struct analysis *a, const double *p, unsigned known,
    const char *cmd)
{
	static const char axis[] = "XYZ";
	int i;

	for (i = 0; i < 3; i++) {
		if (!((known >> i) & 1u))
			continue;
		if (!(p[i] >= a->pol.vol_min[i] - VOLUME_SLACK &&
		    p[i] <= a->pol.vol_max[i] + VOLUME_SLACK))
			return refuse(a, "'%s' goes to %c%.3f, outside the build"
			    " volume (%c from %g to %g mm)", cmd, axis[i], p[i],
			    axis[i], a->pol.vol_min[i], a->pol.vol_max[i]);
	}
	return 0;
}

/* An arc's sweep: the axis-aligned extremes it passes through. */
static int
check_arc(struct analysis *a, const double *from, const double *to,
    double ci, double cj, int clockwise, const char *cmd)
{
	double cx = from[0] + ci, cy = from[1] + cj, r, a0, a1, t, q[3];
	int k;

	r = hypot(from[0] - cx, from[1] - cy);
	a0 = atan2(from[1] - cy, from[0] - cx);
	a1 = atan2(to[1] - cy, to[0] - cx);
	if (clockwise) {
		t = a0;
		a0 = a1;
		a1 = t;
	}
	while (a1 <= a0)
		a1 += 2 * M_PI;		/* counter-clockwise from a0 to a1 */
	for (k = -4; k <= 8; k++) {
		t = k * M_PI / 2;
		if (t <= a0 || t >= a1)
			continue;
		q[0] = cx + r * cos(t);
		q[1] = cy + r * sin(t);
		q[2] = to[2];
		if (check_point(a, q, 3u, cmd) < 0)
			return -1;
	}
	return 0;
}

/* Trapezoid time of a move of length d at speed v (mm/s), entering at
 * v0 and leaving at v1, with acceleration acc. */
static double
move_time(double d, double v, double v0, double v1, double acc)
{
	double da, dd, vp, inv = 1 / acc;

	if (d <= 0 || v <= 0)
		return 0;
	if (v0 > v)
		v0 = v;
	if (v1 > v)
		v1 = v;
	/* An estimate: multiplications where divisions would do the same
	 * within a rounding. */
	da = (v * v - v0 * v0) * 0.5 * inv;
	dd = (v * v - v1 * v1) * 0.5 * inv;
	if (da + dd <= d)
		return (2 * v - v0 - v1) * inv + (d - da - dd) / v;
	/* No cruise: the peak speed where the ramps meet. */
	vp = sqrt((2 * acc * d + v0 * v0 + v1 * v1) / 2);
	if (vp < v0)
		vp = v0;
	if (vp < v1)
		vp = v1;
	return (2 * vp - v0 - v1) * inv;
}

static void
motion(struct analysis *a, const struct gstate *before, const char *cmd,
    long code)
{
	double d[3], dist = 0, v, cosang = 0, vj;
	int i;

	for (i = 0; i < 3; i++) {
		d[i] = a->gs.pos[i] - before->pos[i];
		if (!((a->gs.known >> i) & 1u) || !((before->known >> i) & 1u))
			d[i] = 0;
		dist += d[i] * d[i];
	}
	dist = sqrt(dist);
	if (code == 2 || code == 3) {
		double ci = 0, cj = 0;

		gcode_word(cmd, 'I', &ci);
		gcode_word(cmd, 'J', &cj);
		/* Close enough: the chord stretched to half a circle at
		 * most. */
		dist = dist > 0 ? dist * 1.2 : 2 * M_PI * hypot(ci, cj);
	}
	if (dist <= 0) {
		/* An extrusion alone (retract, prime). */
		double de = fabs(a->gs.pos[GS_E] - before->pos[GS_E]);

		v = (a->gs.inches ? 25.4 : 1.0) * a->gs.feed / 60.0;
		if (de > 0 && v > 0)
			a->seconds += de / v;
		return;
	}
	v = (a->gs.inches ? 25.4 : 1.0) * a->gs.feed / 60.0;
	if (v <= 0)
		return;
	{
		double inv = 1 / dist;

		for (i = 0; i < 3; i++) {
			d[i] *= inv;
			cosang += d[i] * a->dir_prev[i];
		}
	}
	/* Junction speed: full through a straight line, none at a reversal
	 * (a simple stand-in for the firmware's junction deviation).  With
	 * no look-ahead, a move is taken to leave as fast as it entered. */
	vj = a->v_prev < v ? a->v_prev : v;
	vj *= cosang > 0 ? cosang : 0;
	a->seconds += move_time(dist, v, vj, vj, a->accel);
	memcpy(a->dir_prev, d, sizeof(d));
	a->v_prev = v;
}

/* The step between two heights extruded at: the layer height is the
 * commonest (a few distinct values: first layer, variable heights). */
static void
count_height(struct analysis *a, double dz)
{
	long um = lround(dz * 1000);
	int i;

	if (um <= 0 || um > 5000)
		return;		/* a hop, not a layer */
	for (i = 0; i < a->nheights; i++)
		if (a->heights_um[i] == um) {
			a->height_count[i]++;
			return;
		}
	if (a->nheights < ANALYSE_HEIGHTS) {
		a->heights_um[a->nheights] = um;
		a->height_count[a->nheights++] = 1;
	}
}

double
analyse_layer_height(const struct analysis *a)
{
	int i, best = -1;

	for (i = 0; i < a->nheights; i++)
		if (best < 0 || a->height_count[i] > a->height_count[best])
			best = i;
	return best < 0 ? 0 : (double)a->heights_um[best] / 1000;
}

/* G92 A0: MakerBot's extruders start again from a known length. */
static void
set_ab(struct analysis *a, const char *cmd)
{
	const char *p = gcode_args(cmd);
	char l;
	double v;
	int has;

	while (gcode_next_word(&p, &l, &v, &has))
		if ((l == 'A' || l == 'B') && has) {
			a->ab_pos[l - 'A'] = v;
			a->ab_known |= 1u << (l - 'A');
		}
}

/* Extrusion on MakerBot's A and B axes (its dialect has no E), once a
 * hotend is heated: a rotary axis of a machine without heaters is no
 * extruder.  Returns the length extruded by the move. */
static double
ab_extrusion(struct analysis *a, const double *ab, unsigned seen)
{
	double d = 0, step;
	int i;

	for (i = 0; i < 2; i++) {
		if (!((seen >> i) & 1u))
			continue;
		if (a->gs.relative)
			step = ab[i];
		else
			step = (a->ab_known >> i) & 1u ? ab[i] - a->ab_pos[i] :
			    0;
		a->ab_pos[i] = a->gs.relative ? a->ab_pos[i] + ab[i] : ab[i];
		a->ab_known |= a->gs.relative ? 0u : 1u << i;
		if (d == 0)
			d = step;
	}
	return a->max_hotend > 0 ? d : 0;
}

/* Where Z goes: below the bed (a plunge), and XY moves made lower than
 * Z has been (a pen or a tool down).  Only a job that extrudes nothing
 * is judged by them, at its end. */
static void
on_z(struct analysis *a, double z, const char *cmd, int xy)
{
	if (z < -VOLUME_SLACK && a->plunge_line == 0) {
		a->plunge_line = a->lx.cmd_line;
		snprintf(a->plunge_cmd, sizeof(a->plunge_cmd), "%s", cmd);
	}
	if (!a->z_seen || z > a->z_high) {
		a->z_high = z;
		a->z_seen = 1;
	} else if (xy && z < a->z_high - 0.05 && a->draws++ == 0)
		a->draw_line = a->lx.cmd_line;
}

static int
on_move(struct analysis *a, const char *cmd, long code)
{
	static const char words[] = "XYZEFIJR";
	struct gstate before = a->gs;
	const char *w = gcode_args(cmd);
	double de, to[3], v, ab[2] = { 0, 0 };
	unsigned seen = 0, bit, abseen = 0;
	char letter;
	int i, has;

	/* Every word a number, none twice ("X0x10" is X0, then X10: a
	 * firmware may read it otherwise); the state follows each, in one
	 * reading of the words. */
	while (gcode_next_word(&w, &letter, &v, &has)) {
		const char *k = NULL;

		switch (letter) {
		case 'X': case 'Y': case 'Z': case 'E': case 'F': case 'I':
		case 'J': case 'R':
			k = strchr(words, letter);
			break;
		case 'A': case 'B':
			if (has && v > -1e9 && v < 1e9) {
				ab[letter - 'A'] = v;
				abseen |= 1u << (letter - 'A');
			}
			continue;
		}
		if (k == NULL) {
			if (has)
				gstate_move_word(&a->gs, letter, v);
			continue;
		}
		if (!has)
			return refuse(a, "'%s': %c without a number", cmd,
			    letter);
		if (!(v > -1e9 && v < 1e9))
			return refuse(a, "'%s': %c is out of any range", cmd,
			    letter);
		bit = 1u << (k - words);
		if (seen & bit)
			return refuse(a, "'%s': %c given twice", cmd, letter);
		seen |= bit;
		gstate_move_word(&a->gs, letter, v);
	}

	double mfrom[3], mto[3];
	unsigned mknown = 0, mknown0 = 0;

	for (i = 0; i < 3; i++) {
		to[i] = a->gs.pos[i];
		/* The volume is the machine's: G92 offsets undone. */
		if (gstate_machine(&a->gs, i, &mto[i]))
			mknown |= 1u << i;
		if (gstate_machine(&before, i, &mfrom[i]))
			mknown0 |= 1u << i;
	}
	if (check_point(a, mto, mknown, cmd) < 0)
		return -1;
	if ((code == 2 || code == 3) && (mknown0 & 3u) == 3u &&
	    (mknown & 3u) == 3u) {
		double ci = 0, cj = 0;

		gcode_word(cmd, 'I', &ci);
		gcode_word(cmd, 'J', &cj);
		if (a->gs.inches) {
			ci *= 25.4;
			cj *= 25.4;
		}
		if ((ci != 0 || cj != 0) && check_arc(a, mfrom, mto, ci, cj,
		    code == 2, cmd) < 0)
			return -1;
	}
	motion(a, &before, cmd, code);
	if ((mknown & 3u) == 3u && (to[0] != before.pos[0] ||
	    to[1] != before.pos[1]) && a->xy_moves++ == 0)
		a->xy_line = a->lx.cmd_line;
	if ((mknown & 4u) != 0u)
		on_z(a, mto[2], cmd, (mknown & 3u) == 3u &&
		    (to[0] != before.pos[0] || to[1] != before.pos[1]));
	de = a->gs.pos[GS_E] - before.pos[GS_E];
	if (abseen != 0 && de == 0)
		de = ab_extrusion(a, ab, abseen);
	if (de != 0 && a->tool >= 0 && a->tool < ANALYSE_TOOLS)
		a->filament_mm[a->tool] += de;
	if (de > 0 && (a->gs.known & 3u) == 3u &&
	    (to[0] != before.pos[0] || to[1] != before.pos[1])) {
		for (i = 0; i < 3; i++) {
			if (!((a->gs.known >> i) & 1u))
				continue;
			if (to[i] < a->bbox_min[i])
				a->bbox_min[i] = to[i];
			if (to[i] > a->bbox_max[i])
				a->bbox_max[i] = to[i];
			if (!((before.known >> i) & 1u))
				continue;	/* from nowhere known */
			if (before.pos[i] < a->bbox_min[i])
				a->bbox_min[i] = before.pos[i];
			if (before.pos[i] > a->bbox_max[i])
				a->bbox_max[i] = before.pos[i];
		}
		if (!a->extruded)
			a->first_layer_z = to[2];
		/* After the slicer's first layer marker: not a purge line
		 * drawn at a height before it (ideaMaker's at Z15). */
		if (!a->marked_first && a->lx.layer > 0) {
			a->marked_first = 1;
			a->marked_first_z = to[2];
		}
		if ((a->gs.known & 4u) != 0u)
			a->bbox_z_known = 1;
		if (!a->extruded || fabs(to[2] - a->last_extrude_z) > 1e-4) {
			if (!a->extruded || to[2] > a->last_extrude_z)
				a->z_layers++;
			if (a->extruded && to[2] > a->last_extrude_z)
				count_height(a, to[2] - a->last_extrude_z);
			a->last_extrude_z = to[2];
		}
		a->extruded = 1;
	}
	return 0;
}

/* What the command set the heaters to, in whatever dialect the lexer
 * read it. */
static void
on_heat(struct analysis *a)
{
	const double *t = a->lx.temp;
	unsigned set = a->lx.temp_set;

	if ((set & (1u << GCODE_HOTEND)) != 0) {
		if (t[GCODE_HOTEND] > a->max_hotend)
			a->max_hotend = t[GCODE_HOTEND];
		if (a->first_hotend == 0 && t[GCODE_HOTEND] > 0)
			a->first_hotend = t[GCODE_HOTEND];
	}
	if ((set & (1u << GCODE_BED)) != 0) {
		if (t[GCODE_BED] > a->max_bed)
			a->max_bed = t[GCODE_BED];
		if (a->first_bed == 0 && t[GCODE_BED] > 0)
			a->first_bed = t[GCODE_BED];
	}
	if ((set & (1u << GCODE_CHAMBER)) != 0 &&
	    t[GCODE_CHAMBER] > a->max_chamber)
		a->max_chamber = t[GCODE_CHAMBER];
}

/* A mark of the motion model at the start of this command, if there
 * is cause (analyse.h). */
static void
mark(struct analysis *a, char letter, long code, int numbered)
{
	unsigned long layer = a->lx.layer > 0 ? a->lx.layer : a->z_layers;
	char kinds[6];
	int k = 0;

	a->mark_bytes = a->lx.bytes;
	if (a->lx.ncmds == 1)
		kinds[k++] = 'f';
	if (layer != a->mark_layer)
		kinds[k++] = 'l';
	if ((numbered && letter == 'M' && (code == 109 || code == 190 ||
	    code == 191 || code == 116)) || (!numbered &&
	    strncasecmp(a->lx.cmd, "TEMPERATURE_WAIT", 16) == 0))
		kinds[k++] = 'h';
	if (!a->mark_moved && numbered && letter == 'G' && code >= 0 &&
	    code <= 3) {
		a->mark_moved = 1;
		kinds[k++] = 'm';
	}
	if (k == 0 && a->seconds - a->mark_seconds >= ANALYSE_MARK_STEP)
		kinds[k++] = 's';
	if (k == 0)
		return;
	kinds[k] = '\0';
	a->mark_layer = layer;
	a->mark_seconds = a->seconds;
	a->mark_cb(a->mark_arg, a->lx.ncmds, a->seconds, layer, kinds,
	    a->lx.bytes);
}

static int
on_command(struct analysis *a)
{
	const char *cmd = a->lx.cmd;
	char letter = (char)toupper((unsigned char)cmd[0]);
	char *end;
	long code = gcode_int(cmd + 1, &end);
	int numbered = end != cmd + 1 && *end != '.';
	double v;

	a->commands++;
	if (a->mark_cb != NULL)
		mark(a, letter, code, numbered);
	if (a->lx.temp_set)
		on_heat(a);
	if (a->wait_pending) {
		a->wait_pending = 0;
		a->pauses++;
	}
	if (numbered && letter == 'G' && code >= 0 && code <= 3 &&
	    a->move_ok[code])
		return on_move(a, cmd, code);
	if (numbered && code_in(a->pol.forbidden, a->pol.nforbidden, letter,
	    code))
		return refuse(a, "%c%ld is forbidden on this printer (%s)",
		    letter, code, cmd);
	if (a->pol.nallowed > 0 && (!numbered || !code_in(a->pol.allowed,
	    a->pol.nallowed, letter, code)))
		return refuse(a, "'%s' is not in the printer's allowed_gcode",
		    cmd);
	if (!numbered) {
		if (check_form(a, cmd) < 0)
			return -1;
		objects_of(a, cmd);
		return 0;
	}
	if (a->pol.firmware != GCODE_FW_UNKNOWN &&
	    a->pol.firmware != GCODE_FW_RRF && rrf_only(a, letter, code) &&
	    dialect(a, ANALYSE_DIALECT_RRF, "'%s' is a RepRapFirmware command",
	    cmd) < 0)
		return -1;
	if (letter == 'G') {
		if (code >= 0 && code <= 3)
			return on_move(a, cmd, code);
		if (code == 92)
			set_ab(a, cmd);
		if (code == 4) {
			if (gcode_word(cmd, 'P', &v))
				a->seconds += v / 1000.0;
			else if (gcode_word(cmd, 'S', &v))
				a->seconds += v;
		}
		gstate_apply(&a->gs, cmd);
		a->v_prev = 0;
		return 0;
	}
	if (letter == 'T') {
		a->tool = (int)code;
		return 0;
	}
	if (letter != 'M')
		return 0;
	switch (code) {
	case 0: case 1:
		/* A pause only if something follows (RepRapFirmware ends a
		 * print with M0). */
		a->wait_pending = 1;
		a->waits++;
		return 0;
	case 3: case 4:
		if (a->spindle++ == 0) {
			a->spindle_line = a->lx.cmd_line;
			snprintf(a->spindle_cmd, sizeof(a->spindle_cmd), "%s",
			    cmd);
		}
		break;
	case 204:
		/* Print acceleration: "M204 S" or "M204 P". */
		if ((gcode_word(cmd, 'P', &v) || gcode_word(cmd, 'S', &v)) &&
		    v > 0)
			a->accel = v;
		break;
	case 486:
		objects_of(a, cmd);
		break;
	default:
		gstate_apply(&a->gs, cmd);
	}
	return 0;
}

int
analyse_bytes(struct analysis *a, const char *buf, size_t len)
{
	enum gcode_status st;
	size_t off = 0;

	if (a->error[0] && !a->keep_going)
		return -1;
	if (a->lx.bytes == 0 && len >= 4) {
		/* Say what it is rather than which byte is wrong. */
		if (memcmp(buf, "GCDE", 4) == 0) {
			a->error_line = a->stopped_line = 1;
			snprintf(a->error, sizeof(a->error), "this is Prusa"
			    " binary G-code (bgcode), which %s: export plain"
			    " G-code instead", a->pol.takes_bgcode ?
			    "gspool cannot check yet" :
			    "is not sent over a serial line");
			return -1;
		}
		if ((unsigned char)buf[0] == 0x1f &&
		    (unsigned char)buf[1] == 0x8b) {
			a->error_line = a->stopped_line = 1;
			snprintf(a->error, sizeof(a->error), "this is a"
			    " gzip-compressed file: gunzip it first");
			return -1;
		}
	}
	while (off < len) {
		off += gcode_lex(&a->lx, buf + off, len - off, &st);
		if (st == GCODE_ERROR) {
			if (lexer_refused(a) < 0)
				return -1;
		} else if (st == GCODE_COMMENT) {
			if (on_comment(a, a->lx.comment) < 0)
				return -1;
		} else if (st == GCODE_CMD && on_command(a) < 0)
			return -1;
	}
	return 0;
}

/* Jobs for other machines, told apart by what they do once nothing at
 * all was extruded: a laser or a spindle turned on, Z below the bed, a
 * pen or a tool moved down with no heater on, or a head that only
 * travels. */
static void
other_machine(struct analysis *a)
{
	if (a->extruded)
		return;
	if (a->spindle > 0) {
		a->lx.cmd_line = a->spindle_line;
		refuse(a, "turns a laser or a spindle on (M3/M4) with '%s', and"
		    " nothing is extruded: this G-code is not for a 3D printer",
		    a->spindle_cmd);
	} else if (a->plunge_line > 0) {
		a->lx.cmd_line = a->plunge_line;
		refuse(a, "'%s' plunges below the bed (Z under 0), and nothing"
		    " is extruded: a CNC job, not for a 3D printer",
		    a->plunge_cmd);
	} else if (a->xy_moves > NONPRINT_MOVES) {
		a->lx.cmd_line = a->xy_line;
		refuse(a, "the head moves %lu times and nothing is extruded:"
		    " this G-code is not for a 3D printer (a plotter or a CNC"
		    " job?)", a->xy_moves);
	} else if (a->draws >= 2 && a->max_hotend <= 0 && a->max_bed <= 0) {
		a->lx.cmd_line = a->draw_line;
		refuse(a, "the head moves %lu times in XY with Z lowered (a pen"
		    " or a tool down), no heater is set and nothing is extruded:"
		    " a plotter's or a CNC job, not for a 3D printer", a->draws);
	}
}

int
analyse_end(struct analysis *a)
{
	enum gcode_status st;
	int i;

	if (a->error[0] && !a->keep_going)
		return -1;
	st = gcode_lex_end(&a->lx);
	if (st == GCODE_ERROR && lexer_refused(a) < 0)
		return -1;
	if (st == GCODE_CMD && on_command(a) < 0)
		return -1;
	a->at_end = 1;
	other_machine(a);
	a->layers = a->lx.layer > 0 ? a->lx.layer : a->z_layers;
	if (a->mark_cb != NULL)
		a->mark_cb(a->mark_arg, a->lx.ncmds + 1, a->seconds, a->layers,
		    "e", a->mark_bytes);
	if (a->slicer[0] == '\0' && a->cura_legacy)
		set_slicer(a, "Cura", "");
	if (a->marked_first)
		a->first_layer_z = a->marked_first_z;
	for (i = 0; i < ANALYSE_TOOLS; i++) {
		if (a->filament_mm[i] < 0)
			a->filament_mm[i] = 0;
		/* UltiGCode's E is a volume (mm^3) of 2.85 mm filament. */
		if (a->volumetric)
			a->filament_mm[i] /= M_PI * ANALYSE_VOLUMETRIC_DIAMETER *
			    ANALYSE_VOLUMETRIC_DIAMETER / 4;
		if (a->slicer_volume[i] >= 0 && a->slicer_filament_g[i] < 0)
			a->slicer_filament_g[i] = a->slicer_volume[i] *
			    ANALYSE_FILAMENT_DENSITY / 1000;
	}
	return a->error[0] ? -1 : 0;
}
