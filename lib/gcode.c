/*
 * gcode.c - stream a G-code file into commands, checking every byte.
 *
 * Rules (gspool.conf(5) and gspool(7) give the user's view):
 *  - line ends are LF, CRLF or CR; ';' starts a comment to the end of
 *    line, '(' one to the next ')' or the end of the line;
 *  - no NUL byte anywhere; no control byte other than TAB anywhere;
 *    commands are printable ASCII (comments may hold UTF-8) and start
 *    with a letter;
 *  - a command must fit the firmware's 95-byte line once framed as
 *    "N<n> <cmd>*<cs>", where n is its position in the job;
 *  - a command may not carry its own line number or checksum, nor set
 *    the line number (M110): the sender owns the numbering;
 *  - heater targets are checked against the printer's policy, in every
 *    dialect: Marlin's M104/M109/M140/M190/M141/M191 (S, R and the
 *    autotemp B), M303 and M145, RepRapFirmware's G10 P/S/R and M568
 *    (with their "S200:210" lists), Klipper's SET_HEATER_TEMPERATURE and
 *    TEMPERATURE_WAIT, and macro calls whose parameters the policy names
 *    (PRINT_START EXTRUDER=215 BED=60).
 *  - a UTF-8 byte-order mark before the first line is skipped.
 *
 * Security: the input is hostile.  Nothing is stored beyond one command
 * of at most 95 bytes; comment bytes are counted and dropped.
 *
 * Diagnostics: an error is "line N: what is wrong", N counted from 1,
 * left in the lexer for the caller (the analyser) to report.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gcode.h"

static unsigned char cmd_stop[256], comment_stop[256];
static int stops_ready;

void
gcode_lexer_init(struct gcode_lexer *lx, const struct gcode_policy *pol)
{
	int c;

	/* The bytes that end a run in the fast paths of gcode_lex(). */
	if (!stops_ready) {
		for (c = 0; c < 256; c++) {
			cmd_stop[c] = c < 0x20 || c >= 0x7f || c == ';' ||
			    c == '(' || c == '*';
			comment_stop[c] = (c < 0x20 && c != '\t') || c == 0x7f;
		}
		stops_ready = 1;
	}
	memset(lx, 0, sizeof(*lx));
	if (pol)
		lx->policy = *pol;
	lx->line = 1;
}

static const char *const params_default[GCODE_HEATERS] = {
	" EXTRUDER EXTRUDER_TEMP EXTRUDER_TEMPERATURE HOTEND HOTEND_TEMP"
	    " HOTEND_TEMPERATURE NOZZLE NOZZLE_TEMP NOZZLE_TEMPERATURE"
	    " TOOL_TEMP PRINT_TEMP FIRST_LAYER_TEMP ",
	" BED BED_TEMP BED_TEMPERATURE HEATER_BED PLATE_TEMP"
	    " FIRST_LAYER_BED_TEMP ",
	" CHAMBER CHAMBER_TEMP CHAMBER_TEMPERATURE ",
};

const char *
gcode_params_default(enum gcode_heater h)
{
	return params_default[h];
}

const char *
gcode_heater_name(enum gcode_heater h)
{
	static const char *const names[GCODE_HEATERS] = { "hotend", "bed",
	    "chamber" };

	return names[h];
}

void
gcode_policy_default(struct gcode_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->max_hotend = 285;
	p->max_bed = 120;
	p->max_chamber = 80;
}

int
gcode_params_parse(const char *list, char *out, size_t outsz, char *bad,
    size_t badsz)
{
	const char *p = list;
	size_t len, o = 0, i;

	if (outsz < 2)
		return -1;
	out[o++] = ' ';
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t,");
		for (i = 0; i < len; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '_')
				break;
		if (i < len || o + len + 2 > outsz) {
			snprintf(bad, badsz, "%.*s", (int)(len < 64 ? len : 64),
			    p);
			out[0] = '\0';
			return -1;
		}
		for (i = 0; i < len; i++)
			out[o++] = (char)toupper((unsigned char)p[i]);
		out[o++] = ' ';
		p += len;
	}
	out[o] = '\0';
	if (o == 1)
		out[0] = '\0';		/* none given: the defaults */
	return 0;
}

static const struct {
	const char *name, *title;
} firmwares[GCODE_FW_COUNT] = {
	{ "", "an unknown firmware" },
	{ "marlin", "Marlin" },
	{ "prusa", "Prusa-Firmware" },
	{ "klipper", "Klipper" },
	{ "reprapfirmware", "RepRapFirmware" },
	{ "repetier", "Repetier-Firmware" },
	{ "smoothieware", "Smoothieware" },
};

const char *
gcode_firmware_name(enum gcode_firmware fw)
{
	return fw < GCODE_FW_COUNT ? firmwares[fw].name : "";
}

const char *
gcode_firmware_title(enum gcode_firmware fw)
{
	return fw < GCODE_FW_COUNT ? firmwares[fw].title : firmwares[0].title;
}

int
gcode_firmware_parse(const char *word, enum gcode_firmware *fw)
{
	int i;

	if (strcasecmp(word, "rrf") == 0) {
		*fw = GCODE_FW_RRF;
		return 0;
	}
	if (strcasecmp(word, "smoothie") == 0) {
		*fw = GCODE_FW_SMOOTHIE;
		return 0;
	}
	for (i = 0; i < GCODE_FW_COUNT; i++)
		if (strcasecmp(word, firmwares[i].name) == 0) {
			*fw = (enum gcode_firmware)i;
			return 0;
		}
	return -1;
}

/* Case-insensitive strstr, for a short text. */
static const char *
find_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (; *text; text++)
		if (strncasecmp(text, word, n) == 0)
			return text;
	return NULL;
}

enum gcode_firmware
gcode_firmware_guess(const char *text)
{
	const char *p = find_word(text, "FIRMWARE_NAME:");

	if (p != NULL)
		text = p + 14;
	while (*text == ' ')
		text++;
	/* The forks first: "Prusa-Firmware" holds no "Marlin", but
	 * "Marlin" may follow "Prusa" elsewhere in M115's line. */
	if (strncasecmp(text, "Prusa", 5) == 0)
		return GCODE_FW_PRUSA;
	if (find_word(text, "Klipper") != NULL)
		return GCODE_FW_KLIPPER;
	if (find_word(text, "RepRapFirmware") != NULL)
		return GCODE_FW_RRF;
	if (find_word(text, "Repetier") != NULL)
		return GCODE_FW_REPETIER;
	if (find_word(text, "Smoothie") != NULL)
		return GCODE_FW_SMOOTHIE;
	if (find_word(text, "Marlin") != NULL)
		return GCODE_FW_MARLIN;
	return GCODE_FW_UNKNOWN;
}

unsigned
gcode_checksum(const char *s, size_t n)
{
	unsigned cs = 0;

	while (n-- > 0)
		cs ^= (unsigned char)*s++;
	return cs & 0xff;
}

/* Decimal digits of n >= 0 into buf (no NUL); returns their count. */
static size_t
put_digits(char *buf, unsigned long n)
{
	char tmp[24];
	size_t k = 0, i;

	do
		tmp[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	for (i = 0; i < k; i++)
		buf[i] = tmp[k - 1 - i];
	return k;
}

/* Every line sent goes through here: no stdio, one pass. */
int
gcode_frame(char *out, size_t outsz, long n, const char *cmd)
{
	char buf[GCODE_MAX_FRAMED + 32];
	size_t len = 0, cmdlen = strlen(cmd);
	unsigned cs;

	if (n < 0 || cmdlen > GCODE_MAX_FRAMED)
		return -1;
	buf[len++] = 'N';
	len += put_digits(buf + len, (unsigned long)n);
	buf[len++] = ' ';
	memcpy(buf + len, cmd, cmdlen);
	len += cmdlen;
	cs = gcode_checksum(buf, len);
	buf[len++] = '*';
	len += put_digits(buf + len, cs);
	if (len > GCODE_MAX_FRAMED || len >= outsz)
		return -1;
	memcpy(out, buf, len);
	out[len] = '\0';
	return (int)len;
}

/* G-code numbers have no exponent and no hex: "1E5" is 1 then the word
 * E5, as a G-code parser reads it. */
double
gcode_number(const char *s, char **endp)
{
	static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	    1e18 };
	const char *p = s;
	unsigned long long n = 0;
	double m = 0, scale = 1;
	int neg = 0, digits = 0, frac = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	/* Up to 18 digits in an integer, exactly; more the slow way. */
	for (; *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
		n = n * 10 + (unsigned)(*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && digits < 18; p++,
		    digits++, frac++)
			n = n * 10 + (unsigned)(*p - '0');
	}
	if (*p < '0' || *p > '9') {
		if (digits == 0) {
			*endp = (char *)s;	/* "nan", "inf", "-" */
			return 0;
		}
		*endp = (char *)p;
		m = (double)n / pow10[frac];
		return neg ? -m : m;
	}
	/* A number of more than 18 digits. */
	p = s + (*s == '-' || *s == '+');
	digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		m = m * 10 + (*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			m = m * 10 + (*p - '0');
			scale *= 10;
		}
	}
	*endp = (char *)p;
	return (neg ? -m : m) / scale;
}

/* ASCII letters, without the locale's tables (the hot path). */
static inline int
is_letter(unsigned char c)
{
	return (unsigned char)((c | 0x20) - 'a') < 26;
}

const char *
gcode_args(const char *cmd)
{
	const char *p = cmd;

	if (is_letter((unsigned char)*p)) {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.' && p[1] >= '0' && p[1] <= '9')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	return p;
}

int
gcode_next_word(const char **pp, char *letter, double *val, int *has_num)
{
	const char *p = *pp;
	char *end;

	while (*p && !is_letter((unsigned char)*p))
		p++;		/* spaces, and anything that is no word */
	if (*p == '\0') {
		*pp = p;
		return 0;
	}
	*letter = (char)(*p++ & ~0x20);
	while (*p == ' ' || *p == '\t')
		p++;
	*val = gcode_number(p, &end);
	*has_num = end != p;
	*pp = end;
	return 1;
}

int
gcode_word(const char *cmd, char letter, double *val)
{
	const char *p = gcode_args(cmd);
	char l;
	double v;
	int has;

	while (gcode_next_word(&p, &l, &v, &has))
		if (l == letter && has) {
			*val = v;
			return 1;
		}
	return 0;
}

/* The letter starts a word, and no number follows it ("Snan", "S"). */
int
word_without_number(const char *cmd, char letter)
{
	const char *p = gcode_args(cmd);
	char l;
	double v;
	int has;

	while (gcode_next_word(&p, &l, &v, &has))
		if (l == letter && !has)
			return 1;
	return 0;
}

static int
lx_fail(struct gcode_lexer *lx, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
lx_fail(struct gcode_lexer *lx, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(lx->error, sizeof(lx->error), "line %lu: ", line);
	va_start(ap, fmt);
	vsnprintf(lx->error + n, sizeof(lx->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

long
gcode_int(const char *s, char **endp)
{
	const char *p = s;
	long v = 0;
	int neg = 0;

	/* As strtol(s, endp, 10) reads it, which is how the firmware reads
	 * a command's number ("M 500" is M500), without its cost. */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9') {
		*endp = (char *)s;
		return 0;
	}
	for (; *p >= '0' && *p <= '9'; p++)
		if (v < 100000000L)
			v = v * 10 + (*p - '0');
	*endp = (char *)p;
	return neg ? -v : v;
}

/* Parse the command code: letter and integer (e.g. M104 -> 'M', 104). */
static int
cmd_code(const char *cmd, char *letter, long *num)
{
	char *end;

	if (!isalpha((unsigned char)cmd[0]))
		return 0;
	*letter = (char)toupper((unsigned char)cmd[0]);
	*num = gcode_int(cmd + 1, &end);
	return end != cmd + 1;
}


static int
check_temp(struct gcode_lexer *lx, enum gcode_heater h, double v,
    const char *verb)
{
	int max = h == GCODE_HOTEND ? lx->policy.max_hotend :
	    h == GCODE_BED ? lx->policy.max_bed : lx->policy.max_chamber;

	if (max > 0 && !(v <= max))
		return lx_fail(lx, lx->cmd_line,
		    "%s %s %.0f C, above the printer's max_%s %d", lx->cmd,
		    verb, v, gcode_heater_name(h), max);
	return 0;
}

static int
not_a_number(struct gcode_lexer *lx, const char *what)
{
	return lx_fail(lx, lx->cmd_line, "%s: a %s that is not a number",
	    lx->cmd, what);
}

/* The temperatures in the words of a letter, with RepRapFirmware's lists
 * ("S200:210"), against heater h's limit.  0, or -1 (lx->error) when one
 * is no number or above the limit.  The first is recorded as what the
 * command sets when record is given. */
static int
check_words(struct gcode_lexer *lx, char letter, enum gcode_heater h,
    const char *verb, int record)
{
	const char *p = gcode_args(lx->cmd);
	char l, *end;
	double x;
	int has;

	while (gcode_next_word(&p, &l, &x, &has)) {
		if (l != letter)
			continue;
		for (;;) {
			if (!has)
				return not_a_number(lx, "temperature");
			if (check_temp(lx, h, x, verb) < 0)
				return -1;
			if (record && !(lx->temp_set & (1u << h))) {
				lx->temp_set |= 1u << h;
				lx->temp[h] = x;
			}
			if (*p != ':')
				break;
			x = gcode_number(p + 1, &end);
			has = end != p + 1;
			p = has ? end : p + 1;
		}
	}
	return 0;
}

/* The letter is a word of the command, with or without a number. */
static int
has_word(const char *cmd, char letter)
{
	const char *p = gcode_args(cmd);
	char l;
	double v;
	int has;

	while (gcode_next_word(&p, &l, &v, &has))
		if (l == letter)
			return 1;
	return 0;
}

/* Marlin's, RepRapFirmware's and Klipper's numbered heater commands. */
static int
lx_heat(struct gcode_lexer *lx, char letter, long num)
{
	enum gcode_heater h;
	double e = 0;

	if (letter == 'G') {
		/* RepRapFirmware's tool temperatures, G10 P<tool> S<active>
		 * R<standby>; with L it sets offsets, and Marlin's G10 is a
		 * retraction (S1: a swap retraction, under any limit). */
		if (num != 10 || has_word(lx->cmd, 'L'))
			return 0;
		return check_words(lx, 'S', GCODE_HOTEND, "sets",
		    gcode_word(lx->cmd, 'P', &e)) < 0 ||
		    check_words(lx, 'R', GCODE_HOTEND, "sets", 0) < 0 ? -1 : 0;
	}
	switch (num) {
	case 104: case 109:
		h = GCODE_HOTEND;
		break;
	case 140: case 190:
		h = GCODE_BED;
		break;
	case 141: case 191:
		h = GCODE_CHAMBER;
		break;
	case 303:
		/* Autotune: E-1 the bed, E-2 the chamber; S is 150 unless
		 * given. */
		if (word_without_number(lx->cmd, 'E'))
			return not_a_number(lx, "heater");
		gcode_word(lx->cmd, 'E', &e);
		h = e == -1 ? GCODE_BED : e == -2 ? GCODE_CHAMBER :
		    GCODE_HOTEND;
		return check_words(lx, 'S', h, "autotunes at", 0);
	case 145:
		/* A material preset: H the hotend, B the bed. */
		return check_words(lx, 'H', GCODE_HOTEND, "presets", 0) < 0 ||
		    check_words(lx, 'B', GCODE_BED, "presets", 0) < 0 ? -1 : 0;
	case 568:
		/* RepRapFirmware's tool temperatures. */
		return check_words(lx, 'S', GCODE_HOTEND, "sets", 1) < 0 ||
		    check_words(lx, 'R', GCODE_HOTEND, "sets", 0) < 0 ? -1 : 0;
	default:
		return 0;
	}
	/* T (the tool) and I (a material preset, whose temperatures M145
	 * set) are numbers; S and R the target; B autotemp's highest. */
	if (word_without_number(lx->cmd, 'T') ||
	    word_without_number(lx->cmd, 'I'))
		return not_a_number(lx, "tool or preset");
	if (check_words(lx, 'S', h, "sets", 1) < 0 ||
	    check_words(lx, 'R', h, "sets", 1) < 0)
		return -1;
	if (h == GCODE_HOTEND && check_words(lx, 'B', h, "sets", 0) < 0)
		return -1;
	return 0;
}

/* A heater or sensor of Klipper's named ("extruder1", "heater_bed",
 * "heater_generic chamber"): any other is held to the hotend's limit. */
static enum gcode_heater
heater_of(const char *name)
{
	if (strncasecmp(name, "extruder", 8) == 0)
		return GCODE_HOTEND;
	if (find_word(name, "bed") != NULL)
		return GCODE_BED;
	if (find_word(name, "chamber") != NULL)
		return GCODE_CHAMBER;
	return GCODE_HOTEND;
}

/* A parameter's value as a number: 1, or 0 if it is none. */
static int
param_number(const char *val, size_t len, double *v)
{
	char buf[GCODE_MAX_CMD + 1], *end;

	if (len == 0 || len > GCODE_MAX_CMD)
		return 0;
	memcpy(buf, val, len);
	buf[len] = '\0';
	*v = gcode_number(buf, &end);
	return end == buf + len;
}

/*
 * An extended command (Klipper's NAME KEY=VALUE ...): the heaters it
 * sets.  SET_HEATER_TEMPERATURE HEATER= TARGET=, TEMPERATURE_WAIT
 * SENSOR= MINIMUM= MAXIMUM=, and any other command's parameters that the
 * policy names for a heater, when their value is a number (EXTRUDER= of
 * SET_PRESSURE_ADVANCE names an extruder: no temperature).
 */
static int
lx_extended(struct gcode_lexer *lx)
{
	enum { MACRO, SET_HEATER, WAIT } kind = MACRO;
	enum gcode_heater h = GCODE_HOTEND;
	const char *p = lx->cmd, *key, *val, *list;
	char name[GCODE_MAX_CMD + 3];
	size_t klen, vlen, n = strcspn(p, " \t");
	double v, target = 0, lim[2];
	int i, bad_target = 0, nlim = 0, bad_lim = 0;

	if (n == 22 && strncasecmp(p, "SET_HEATER_TEMPERATURE", 22) == 0)
		kind = SET_HEATER;
	else if (n == 16 && strncasecmp(p, "TEMPERATURE_WAIT", 16) == 0)
		kind = WAIT;
	for (p += n; *p; ) {
		while (*p == ' ' || *p == '\t')
			p++;
		key = p;
		klen = strcspn(p, "= \t");
		p += klen;
		if (*p != '=')
			continue;	/* a word of no parameter */
		p++;
		if (*p == '"' || *p == '\'') {
			char q[2] = { *p, '\0' };

			val = ++p;
			vlen = strcspn(p, q);
			p += vlen + (p[vlen] == q[0]);
		} else {
			val = p;
			vlen = strcspn(p, " \t");
			p += vlen;
		}
		if (kind != MACRO) {
			if ((klen == 6 && strncasecmp(key, "HEATER", 6) == 0) ||
			    (klen == 6 && strncasecmp(key, "SENSOR", 6) == 0)) {
				snprintf(name, sizeof(name), "%.*s", (int)vlen,
				    val);
				h = heater_of(name);
			} else if (kind == SET_HEATER && klen == 6 &&
			    strncasecmp(key, "TARGET", 6) == 0) {
				if (!param_number(val, vlen, &target))
					bad_target = 1;
			} else if (kind == WAIT && klen == 7 &&
			    (strncasecmp(key, "MINIMUM", 7) == 0 ||
			    strncasecmp(key, "MAXIMUM", 7) == 0)) {
				if (!param_number(val, vlen, &v))
					bad_lim = 1;
				else if (nlim < 2)
					lim[nlim++] = v;
			}
			continue;
		}
		/* " KEY " in a heater's list of names. */
		name[0] = ' ';
		for (n = 0; n < klen && n < GCODE_MAX_CMD; n++)
			name[n + 1] = (char)toupper((unsigned char)key[n]);
		name[n + 1] = ' ';
		name[n + 2] = '\0';
		for (i = 0; i < GCODE_HEATERS; i++) {
			list = lx->policy.macro_params[i][0] ?
			    lx->policy.macro_params[i] : params_default[i];
			if (strstr(list, name) == NULL ||
			    !param_number(val, vlen, &v))
				continue;
			if (check_temp(lx, (enum gcode_heater)i, v, "sets") < 0)
				return -1;
			if (!(lx->temp_set & (1u << i))) {
				lx->temp_set |= 1u << i;
				lx->temp[i] = v;
			}
		}
	}
	if (kind == SET_HEATER) {
		if (bad_target)
			return not_a_number(lx, "temperature");
		if (check_temp(lx, h, target, "sets") < 0)
			return -1;
		lx->temp_set |= 1u << h;
		lx->temp[h] = target;	/* no TARGET: off */
	} else if (kind == WAIT) {
		if (bad_lim)
			return not_a_number(lx, "temperature");
		for (i = 0; i < nlim; i++)
			if (check_temp(lx, h, lim[i], "waits for") < 0)
				return -1;
	}
	return 0;
}

enum {
	LAYER_NONE,
	LAYER_NUMBERED,		/* ;LAYER:N (Cura, ideaMaker) */
	LAYER_CHANGE,		/* ;LAYER_CHANGE (PrusaSlicer and kin) */
	LAYER_S3D,		/* ; layer N, Z = ... (Simplify3D) */
	LAYER_KISS,		/* ; BEGIN_LAYER_OBJECT z=... (KISSlicer) */
};

/* A comment at the start of a line ended: is it a layer marker? */
static void
lx_layer_marker(struct gcode_lexer *lx)
{
	const char *c = lx->comment, *p;
	char *end;
	int style = LAYER_NONE;
	long key = 0;
	double z;

	lx->comment[lx->commentlen] = '\0';
	lx->commentlen = 0;
	if (c[0] == ' ' && strncmp(c + 1, "LAYER:", 6) == 0)
		c++;		/* "; LAYER:3" (MatterSlice) */
	if (strncmp(c, "LAYER:", 6) == 0) {
		key = strtol(c + 6, &end, 10);
		if (end != c + 6)
			style = LAYER_NUMBERED;
	} else if (strcmp(c, "LAYER_CHANGE") == 0 ||
	    strcmp(c, " CHANGE_LAYER") == 0)	/* BambuStudio's */
		style = LAYER_CHANGE;
	else if (strncmp(c, " layer ", 7) == 0 &&
	    isdigit((unsigned char)c[7])) {
		key = gcode_int(c + 7, &end);
		style = LAYER_S3D;
	} else if (strncmp(c, " BEGIN_LAYER_OBJECT z=", 22) == 0) {
		p = c + 22;
		/* Comments are anybody's: "z=inf" or "z=1e300" must not
		 * overflow the key. */
		z = gcode_number(p, &end);
		if (end != p && z > -1e6 && z < 1e6) {
			key = (long)(z * 1000.0 + 0.5);
			style = LAYER_KISS;
		}
	}
	if (style == LAYER_NONE || (lx->layer_style != LAYER_NONE &&
	    style != lx->layer_style))
		return;
	if (lx->layer > 0 && style != LAYER_CHANGE && key == lx->layer_key)
		return;		/* the same layer named again */
	lx->layer_style = style;
	lx->layer_key = key;
	lx->layer++;
}

/* The length of "N<n> <cmd>*<cs>" without writing it. */
static size_t
framed_length(unsigned long n, const char *cmd, size_t cmdlen)
{
	char num[24];
	size_t k = put_digits(num, n);
	unsigned cs = gcode_checksum(cmd, cmdlen) ^ 'N' ^ ' ' ^
	    gcode_checksum(num, k);

	return 1 + k + 1 + cmdlen + 1 + (cs >= 100 ? 3 : cs >= 10 ? 2 : 1);
}

/* A command is complete: trim it, check it, count it.  Returns 1 if a
 * command is ready, 0 if the line held none, -1 on error. */
static int
lx_finish_line(struct gcode_lexer *lx)
{
	char letter;
	long num;
	size_t n = lx->cmdlen;

	if (lx->overlong)
		return lx_fail(lx, lx->cmd_line,
		    "command is longer than the firmware's %d bytes",
		    GCODE_MAX_CMD);
	while (n > 0 && (lx->cmd[n - 1] == ' ' || lx->cmd[n - 1] == '\t'))
		n--;
	lx->cmd[n] = '\0';
	lx->cmdlen = 0;
	lx->temp_set = 0;
	if (n == 0)
		return 0;
	if (!isalpha((unsigned char)lx->cmd[0]))
		return lx_fail(lx, lx->cmd_line,
		    "'%s' is not a G-code command (a command starts with a"
		    " letter)", lx->cmd);
	if (lx->star) {
		lx->star = 0;
		return lx_fail(lx, lx->cmd_line,
		    "'%s' carries its own checksum; submit plain G-code",
		    lx->cmd);
	}
	if (cmd_code(lx->cmd, &letter, &num)) {
		if (letter == 'N')
			return lx_fail(lx, lx->cmd_line,
			    "'%s' carries its own line number; submit plain"
			    " G-code", lx->cmd);
		if (letter == 'M' && num == 110)
			return lx_fail(lx, lx->cmd_line,
			    "M110 would reset the line numbering the spooler"
			    " owns");
		if (((letter == 'M' && num >= 104) ||
		    (letter == 'G' && num == 10)) && lx_heat(lx, letter, num) < 0)
			return -1;
	} else if (lx_extended(lx) < 0)
		return -1;
	/* "N<n> " and "*<cs>" add at most digits + 6 bytes: the exact
	 * length (and its checksum) only near the limit. */
	if (n + 26 > GCODE_MAX_FRAMED &&
	    framed_length((unsigned long)lx->ncmds + 1, lx->cmd, n) >
	    GCODE_MAX_FRAMED)
		return lx_fail(lx, lx->cmd_line,
		    "'%s' is longer than the firmware's %d bytes once numbered"
		    " as line %lu", lx->cmd, GCODE_MAX_FRAMED, lx->ncmds + 1);
	lx->ncmds++;
	return 1;
}

size_t
gcode_lex(struct gcode_lexer *lx, const char *buf, size_t len,
    enum gcode_status *st)
{
	size_t i;
	int r;

	if (lx->error[0]) {
		*st = GCODE_ERROR;
		return 0;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		size_t j, room;

		/* Fast paths: the middle of a command, and of a comment, in
		 * runs (the checks below, over many bytes at a time). */
		if (lx->cmdlen > 0 && !lx->in_comment && !lx->in_paren &&
		    !lx->overlong) {
			room = GCODE_MAX_CMD - lx->cmdlen;
			if (room > len - i)
				room = len - i;
			for (j = i; j < i + room; j++)
				if (cmd_stop[(unsigned char)buf[j]])
					break;
			if (j > i) {
				memcpy(lx->cmd + lx->cmdlen, buf + i, j - i);
				lx->cmdlen += j - i;
				lx->bytes += j - i;
				i = j - 1;
				continue;
			}
			c = (unsigned char)buf[i];
		} else if (lx->in_comment) {
			for (j = i; j < len; j++)
				if (comment_stop[(unsigned char)buf[j]])
					break;
			if (j > i) {
				if (lx->comment_at_start) {
					room = sizeof(lx->comment) - 1 -
					    lx->commentlen;
					if (room > j - i)
						room = j - i;
					memcpy(lx->comment + lx->commentlen,
					    buf + i, room);
					lx->commentlen += room;
				}
				lx->bytes += j - i;
				lx->prev_cr = 0;
				i = j - 1;
				continue;
			}
			c = (unsigned char)buf[i];
		}

		lx->bytes++;
		if (c == '\n' && lx->prev_cr) {
			/* The LF of a CRLF: the line already ended. */
			lx->prev_cr = 0;
			continue;
		}
		lx->prev_cr = 0;
		if (c == '\n' || c == '\r') {
			int had_comment = lx->in_comment &&
			    lx->comment_at_start;

			lx->prev_cr = (c == '\r');
			if (had_comment)
				lx_layer_marker(lx);
			else if (lx->paren_at_start && lx->cmdlen == 0) {
				lx->comment[lx->commentlen] = '\0';
				lx->commentlen = 0;
				had_comment = 1;
			}
			lx->in_comment = lx->in_paren = 0;
			lx->paren_depth = lx->paren_at_start = 0;
			lx->cmd_line = lx->line++;
			r = lx_finish_line(lx);
			if (r < 0) {
				*st = GCODE_ERROR;
				return i + 1;
			}
			if (r > 0) {
				*st = GCODE_CMD;
				return i + 1;
			}
			if (had_comment && lx->want_comments) {
				*st = GCODE_COMMENT;
				return i + 1;
			}
			continue;
		}
		if (c == '\0') {
			lx_fail(lx, lx->line, "NUL byte");
			lx->err_midline = 1;
			*st = GCODE_ERROR;
			return i + 1;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			lx_fail(lx, lx->line, "control byte 0x%02x", c);
			lx->err_midline = 1;
			*st = GCODE_ERROR;
			return i + 1;
		}
		if (lx->bom > 0 && lx->bom < 3 && lx->bytes == (unsigned)lx->bom +
		    1u && c < 0x80) {
			lx_fail(lx, lx->line, "byte 0x%02x: an incomplete UTF-8"
			    " byte-order mark", c);
			lx->err_midline = 1;
			*st = GCODE_ERROR;
			return i + 1;
		}
		if (lx->in_comment) {
			if (lx->comment_at_start &&
			    lx->commentlen < sizeof(lx->comment) - 1)
				lx->comment[lx->commentlen++] = (char)c;
			continue;
		}
		if (lx->in_paren) {
			/* Nested, as Skeinforge writes them: "(<setting> Layer
			 * Height (mm): 0.4 </setting>)". */
			if (c == '(')
				lx->paren_depth++;
			else if (c == ')' && --lx->paren_depth == 0) {
				lx->in_paren = 0;
				continue;
			}
			if (lx->paren_at_start &&
			    lx->commentlen < sizeof(lx->comment) - 1)
				lx->comment[lx->commentlen++] = (char)c;
			continue;
		}
		if (c == ';') {
			lx->in_comment = 1;
			lx->comment_at_start = lx->cmdlen == 0;
			lx->commentlen = 0;
			continue;
		}
		if (c == '(') {
			lx->in_paren = 1;
			lx->paren_depth = 1;
			/* Some write their header so (Miracle-Grue): kept as
			 * a ';' comment is. */
			if (lx->cmdlen == 0 && lx->want_comments &&
			    !lx->paren_at_start) {
				lx->paren_at_start = 1;
				lx->commentlen = 0;
			}
			continue;
		}
		if (c >= 0x80) {
			/* A UTF-8 byte-order mark before anything else. */
			if (lx->bytes == (unsigned)lx->bom + 1u && lx->bom < 3 &&
			    c == (unsigned char)"\xef\xbb\xbf"[lx->bom]) {
				lx->bom++;
				continue;
			}
			lx_fail(lx, lx->line, "byte 0x%02x outside a comment:"
			    " commands must be ASCII", c);
			lx->err_midline = 1;
			*st = GCODE_ERROR;
			return i + 1;
		}
		if (lx->cmdlen == 0 && (c == ' ' || c == '\t'))
			continue;
		if (lx->cmdlen >= GCODE_MAX_CMD) {
			lx->overlong = 1;
			continue;
		}
		if (c == '*')
			lx->star = 1;
		lx->cmd[lx->cmdlen++] = (char)c;
	}
	*st = GCODE_MORE;
	return len;
}

void
gcode_lex_resume(struct gcode_lexer *lx)
{
	lx->error[0] = '\0';
	lx->overlong = lx->star = 0;
	lx->cmdlen = 0;
	if (lx->err_midline) {
		/* The rest of the bad line is dropped. */
		lx->in_comment = 1;
		lx->comment_at_start = 0;
		lx->in_paren = lx->paren_depth = lx->paren_at_start = 0;
		lx->err_midline = 0;
	}
}

enum gcode_status
gcode_lex_end(struct gcode_lexer *lx)
{
	int r;

	if (lx->error[0])
		return GCODE_ERROR;
	if (lx->in_comment && lx->comment_at_start)
		lx_layer_marker(lx);
	lx->in_comment = 0;
	if (lx->cmdlen == 0 && !lx->overlong)
		return GCODE_MORE;
	lx->in_comment = lx->in_paren = 0;
	lx->cmd_line = lx->line;
	r = lx_finish_line(lx);
	if (r < 0)
		return GCODE_ERROR;
	return r > 0 ? GCODE_CMD : GCODE_MORE;
}
