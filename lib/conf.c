/*
 * conf.c - read and check gspool.conf.
 *
 * The syntax is INI, parsed by libinih; this file knows the keys.  Each
 * section has a table (spool_keys[] and the others below): a key's name,
 * its type, where its value is kept, its bounds and its default, in one
 * row, so a key is added, bounded or documented in one place.  Reading a
 * value, setting the defaults of a new section and freeing are each one
 * switch over the types; only keys with a structure of their own (a
 * device, a build volume, lists of commands or of printers) have
 * helpers.  gspool.conf(5) lists exactly the tables' keys: conf-keys.sh
 * holds the page against conf_keys().
 *
 * libinih does not give line numbers to its handler, so the reader
 * function that feeds it counts lines, and also catches lines libinih
 * would reject without telling which.  Where each key was set is kept
 * (conf_line()): a key set twice is an error naming both lines rather
 * than the last value silently winning, and the checks across sections
 * (keep_files against keep_jobs, one device for two printers) name the
 * line at fault.
 *
 * The commands read the file through conf_load_client(): [spool]'s
 * socket, directory and default_printer, the names of printers and
 * classes, and the other hosts ([remote NAME]'s host, for gqueue
 * --all); every other key and section is skipped unchecked, so a
 * mistake there (spoold's to report, and spoold may well be running on
 * the previous file) does not lock users out.  CUPS's commands never read
 * cupsd.conf at all.
 *
 * Security: the file is trusted as far as the administrator is, but a
 * mistake in it must never crash a daemon: every value is checked, and
 * tests/fuzz/fuzz_conf.c feeds it arbitrary bytes.  The commands read it
 * as any user, but take nothing from it beyond a socket to connect to.
 *
 * Diagnostics: every error is reported as "FILE:LINE: what" and parsing
 * goes on, so one run of "spoold -n" shows them all; an unknown key or
 * section says which one was probably meant (the nearest by edit
 * distance), or in which section a key belongs.  conf_check_host()
 * looks beyond the file for spoold -n: the programs it names, the
 * backend of each device's scheme (backend_dir/SCHEME; a scheme none
 * serves is an error at the device's line), and the devices (a missing
 * one is only a warning).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "util.h"

struct conf_parse {
	struct conf	*conf;
	FILE		*fp;
	unsigned	 line;		/* line last handed to libinih */
	unsigned	 section_line;
	unsigned	 reported_line;	/* a syntax error we reported */
	unsigned	 dup_line;	/* a duplicate section reported */
	unsigned	 key_line;	/* the last line that began a key */
	int		 client;	/* conf_load_client() */
	int		 quiet;		/* a section the commands skip */
	int		 in_script;	/* the last key was a G-code key */
	int		 in_listen;	/* or listen (its lines hold '=') */
	int		 have_key;	/* a key since the last header */
	int		 nerrors;
	void		(*report)(const char *, void *);
	void		*arg;
};

#define CONF_VOLUME_MAX	100000	/* mm: a build volume, 100 m */

static void conf_class_policy(struct conf_parse *, struct conf_class *);
static void conf_error(struct conf_parse *, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void conf_warn(struct conf_parse *, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_vreport(struct conf_parse *cp, unsigned line, const char *what,
    const char *fmt, va_list ap)
{
	char msg[512], full[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line)
		snprintf(full, sizeof(full), "%s:%u: %s%s", cp->conf->file,
		    line, what, msg);
	else
		snprintf(full, sizeof(full), "%s: %s%s", cp->conf->file, what,
		    msg);
	cp->report(full, cp->arg);
}

static void
conf_error(struct conf_parse *cp, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (cp->quiet)
		return;
	va_start(ap, fmt);
	conf_vreport(cp, line, "", fmt, ap);
	va_end(ap);
	cp->nerrors++;
}

/* Not counted: spoold -n's warnings. */
static void
conf_warn(struct conf_parse *cp, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vreport(cp, line, "warning: ", fmt, ap);
	va_end(ap);
}

/* libinih's reader: a line at a time, counting lines and catching bad
 * lines.  It reads as fgets() does, but a byte at a time, so that a NUL
 * byte is seen: the line would end there for strlen(), which took it
 * for a line too long and skipped the next line as its rest. */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *cp = stream;
	char *s, *p;
	size_t n = 0;
	int c, nul = 0;

	while (n + 1 < (size_t)num && (c = getc(cp->fp)) != EOF) {
		nul |= c == '\0';
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	cp->line++;
	if (nul || (str[n - 1] != '\n' && !feof(cp->fp))) {
		if (nul)
			conf_error(cp, cp->line, "a NUL byte in the line (is"
			    " this a text file?)");
		else
			conf_error(cp, cp->line, "line longer than %d bytes",
			    num - 3);
		cp->reported_line = cp->line;
		if (str[n - 1] != '\n')
			while ((c = fgetc(cp->fp)) != EOF && c != '\n')
				;
		str[0] = '\0';
		return str;
	}
	/* Leading white space as libinih skips it (isspace(): a CR or a
	 * form feed too, else "\r[printer a]" was a header without its
	 * line). */
	for (s = str; isspace((unsigned char)*s); s++)
		;
	if (*s == '\0' || *s == ';' || *s == '#')
		return str;
	if (s != str && cp->in_script) {
		/* An indented line goes on with a G-code key's value
		 * (libinih's continuation lines). */
		if (strchr(s, '=') != NULL && !cp->in_listen) {
			conf_error(cp, cp->line, "an indented line goes on"
			    " with the G-code above; start a key at the"
			    " beginning of its line");
			cp->reported_line = cp->line;
			str[0] = '\0';
		}
		return str;
	}
	if (s != str && cp->have_key) {
		/* libinih would take it for more of the key above. */
		conf_error(cp, cp->line, "an indented line goes on with the key"
		    " above, and only G-code keys take more lines; start it at"
		    " the beginning of its line");
		cp->reported_line = cp->line;
		str[0] = '\0';
		return str;
	}
	cp->in_script = 0;
	if (*s == '[') {
		if ((p = strchr(s, ']')) == NULL) {
			/* libinih stays in the section before. */
			conf_error(cp, cp->line, "section header without ']'");
			cp->reported_line = cp->line;
			str[0] = '\0';
		} else {
			cp->section_line = cp->line;
			cp->have_key = 0;
			/* The commands read [spool] only: another
			 * section's mistakes are not theirs to report. */
			cp->quiet = cp->client && strncmp(s, "[spool]", 7) != 0;
		}
		return str;
	}
	if ((p = strchr(s, '=')) == NULL) {
		conf_error(cp, cp->line, "expected 'key = value'");
		cp->reported_line = cp->line;
		str[0] = '\0';
		return str;
	}
	while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	cp->have_key = p > s;
	cp->key_line = cp->line;
	/* G-code keys, and [web] listen's addresses (sixteen of them do
	 * not fit in one line of libinih's), go on on indented lines. */
	cp->in_script = (p - s > 6 && strncmp(p - 6, "_gcode", 6) == 0) ||
	    (p - s == 12 && strncmp(s, "between_jobs", 12) == 0) ||
	    (p - s == 6 && strncmp(s, "listen", 6) == 0);
	cp->in_listen = p - s == 6 && strncmp(s, "listen", 6) == 0;
	return str;
}

const char *const conf_script_names[CONF_SCRIPTS] = {
	"pause", "resume", "cancel", "between", "park", "unpark",
};

/*
 * The keys.  Each section has a table: a key's name, its type, where it
 * is kept in the section's object, its bounds and its default, side by
 * side; what a type means is in conf_set() (reading), conf_defaults()
 * (the defaults) and conf_free_keys() (freeing).  Keys with a structure
 * of their own (a device, a build volume, a list of commands) have a
 * helper, set, and free when what they keep is theirs to free.
 */
enum conf_type {
	CT_STR,		/* char *: any text */
	CT_PATH,	/* char *: an absolute path */
	CT_INT,		/* int: a whole number from min to max */
	CT_LONG,	/* long: the same */
	CT_MSEC,	/* long: whole seconds from min to max, kept in ms */
	CT_SIZE,	/* long long: bytes ("500M"), min or more */
	CT_TIME,	/* long: seconds ("30d"), from min to max */
	CT_BOOL,	/* int: yes or no */
	CT_WORD,	/* char * (or char[max]): one of words */
	CT_CHOICE,	/* int: which of words */
	CT_SCRIPT,	/* char *: G-code lines, script number min */
	CT_CENTS,	/* long: a decimal ("2.50"), kept in hundredths */
	CT_FUNC,	/* set() reads it; defs is given to set() */
};

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* in the section's object */
	long long	 min, max;
	long long	 def;		/* a number's default, if hasdef */
	int		 hasdef;
	const char	*defs;		/* a text's default, or NULL */
	const char *const *words;	/* CT_WORD, CT_CHOICE */
	void		(*set)(struct conf_parse *, void *,
			    const struct conf_key *, const char *);
	void		(*free)(void *, const struct conf_key *);
	int		 client;	/* read by the commands too */
};

struct conf_section {
	const char	*name;		/* "spool", or "printer" of [printer NAME] */
	int		 named;
	int		 no_empty;	/* an empty value is an error */
	const struct conf_key *keys;
	size_t		 nkeys;
	/* The object a key of [NAME] or [name NAME] goes to, made by its
	 * first key; NULL if the name is wrong (reported). */
	void		*(*object)(struct conf_parse *, const char *name);
};

/* Where a key was set: for one run's duplicates, and conf_line(). */
struct conf_seen {
	const struct conf_section *sec;
	char		*name;		/* of [printer NAME], or NULL */
	const struct conf_key *key;
	unsigned	 line;
};

#define TEN_YEARS	(10LL * 366 * 86400)	/* parse_duration()'s most */
#define DAYS(n)		((n) * 86400LL)

static void	*conf_at(void *obj, const struct conf_key *k);
static void	 conf_free_ptr(void *, const struct conf_key *);

static int
conf_number(struct conf_parse *cp, const char *key, const char *value,
    long min, long max, long *out)
{
	if (parse_long(value, min, max, out) < 0) {
		conf_error(cp, cp->line, "%s: '%s' is not a whole number from"
		    " %ld to %ld", key, value, min, max);
		return -1;
	}
	return 0;
}


/* build_volume = X Y Z (the far corner, mm); build_min = X Y Z (the
 * near corner, 0 0 0 unless given). */
static void
conf_volume(struct conf_parse *cp, struct conf_printer *p, const char *key,
    const char *value)
{
	double v[3];
	char extra;
	int i, max = strcmp(key, "build_volume") == 0;

	if (sscanf(value, "%lf %lf %lf %c", &v[0], &v[1], &v[2], &extra) != 3 ||
	    (max && (v[0] <= 0 || v[1] <= 0 || v[2] <= 0))) {
		conf_error(cp, cp->line, "%s: '%s' is not three %snumbers of"
		    " millimetres (X Y Z)", key, value, max ? "positive " : "");
		return;
	}
	/* nan would turn the volume's checks off (every comparison with
	 * it is false), inf and 1e300 make them meaningless. */
	for (i = 0; i < 3; i++)
		if (!isfinite(v[i]) || v[i] > CONF_VOLUME_MAX ||
		    v[i] < -CONF_VOLUME_MAX) {
			conf_error(cp, cp->line, "%s: '%s': each number must"
			    " be finite, at most %d mm from 0", key, value,
			    CONF_VOLUME_MAX);
			return;
		}
	for (i = 0; i < 3; i++) {
		if (max) {
			p->check.vol_max[i] = v[i];
			if (!p->volume_min_set)
				p->check.vol_min[i] = 0;
		} else
			p->check.vol_min[i] = v[i];
	}
	if (!max)
		p->volume_min_set = 1;
}

/* One line of a script key: checked as a job line would be (the same
 * lexer and the printer's heater limits), comments dropped, appended.
 * The first line given replaces the default; later lines (libinih's
 * continuation lines: the key itself is given once) add to it. */
static void
conf_script(struct conf_parse *cp, struct conf_printer *p, int which,
    const char *key, const char *value)
{
	struct gcode_lexer lx;
	enum gcode_status st;
	size_t len = strlen(value), off = 0, n, lines = 0;
	char *cur, *s;
	const char *q;

	if (!p->script_set[which]) {
		p->script_set[which] = 1;
		free(p->script[which]);
		p->script[which] = xstrdup("");
	}
	cur = p->script[which];
	for (q = cur; *q; q++)
		lines += *q == '\n';
	lines += cur[0] != '\0';
	gcode_lexer_init(&lx, &p->policy);
	while (off <= len) {
		if (off < len) {
			off += gcode_lex(&lx, value + off, len - off, &st);
		} else {
			st = gcode_lex_end(&lx);
			off++;
		}
		if (st == GCODE_ERROR) {
			/* "line 1: why": the line is the file's. */
			const char *why = strchr(lx.error, ':');

			conf_error(cp, cp->line, "%s: %s", key,
			    why ? why + 2 : lx.error);
			return;
		}
		if (st != GCODE_CMD)
			continue;
		if (++lines > CONF_SCRIPT_LINES) {
			conf_error(cp, cp->line, "%s: more than %d lines", key,
			    CONF_SCRIPT_LINES);
			return;
		}
		n = strlen(cur);
		s = xmalloc(n + strlen(lx.cmd) + 2);
		snprintf(s, n + strlen(lx.cmd) + 2, "%s%s%s", cur,
		    n ? "\n" : "", lx.cmd);
		free(cur);
		cur = p->script[which] = s;
	}
}

/* "500M", "2G", "123456": bytes, from 1 KiB to 1 TiB. */
static int
parse_size(const char *s, long long *out)
{
	char *end;
	long long v, mul = 1;

	v = strtoll(s, &end, 10);
	if (end == s || v <= 0)
		return -1;
	switch (*end) {
	case 'K': case 'k': mul = 1LL << 10; end++; break;
	case 'M': case 'm': mul = 1LL << 20; end++; break;
	case 'G': case 'g': mul = 1LL << 30; end++; break;
	case 'T': case 't': mul = 1LL << 40; end++; break;
	}
	if (*end != '\0' || v > (1LL << 40) / mul || v * mul < 1024)
		return -1;
	*out = v * mul;
	return 0;
}

/* "30d", "12h", "15m", "90s" or "90": seconds, up to ten years. */
static int
parse_duration(const char *s, long *out)
{
	char *end;
	long long v, unit = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v > 10LL * 366 * 86400 / unit)
		return -1;
	*out = (long)(v * unit);
	return 0;
}

static int
parse_yesno(const char *s)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
	    strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

/* "BEGIN:RATE:FULL", OpenSSH's MaxStartups, or "FULL" alone. */
static int
conf_startups(const char *value, long *begin, long *rate, long *full)
{
	char *end;
	long b, r = 100, f;

	errno = 0;
	b = strtol(value, &end, 10);
	f = b;
	if (*end == ':') {
		r = strtol(end + 1, &end, 10);
		if (*end != ':')
			return -1;
		f = strtol(end + 1, &end, 10);
	}
	if (errno != 0 || *end != '\0' || !isdigit((unsigned char)value[0]) ||
	    b < 1 || f < b || f > 10000 || r < 0 || r > 100)
		return -1;
	*begin = b;
	*rate = r;
	*full = f;
	return 0;
}

/* "25", "2.5" or "0.75": an amount of money in hundredths; 0 or -1. */
static int
parse_cents(const char *value, long *out)
{
	const char *p = value;
	long whole = 0, frac = 0;
	int digits = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > 100000000)
			return -1;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++digits > 2)
				return -1;
			frac = frac * 10 + (*p - '0');
		}
		if (digits == 0)
			return -1;
		if (digits == 1)
			frac *= 10;
	}
	if (*p != '\0')
		return -1;
	*out = whole * 100 + frac;
	return 0;
}

static void *
conf_at(void *obj, const struct conf_key *k)
{
	return (char *)obj + k->off;
}

static void
conf_free_ptr(void *obj, const struct conf_key *k)
{
	char **s = conf_at(obj, k);

	free(*s);
	*s = NULL;
}

static void
conf_set_str(char **dst, const char *value)
{
	free(*dst);
	*dst = xstrdup(value);
}

/* "30d": a duration as a person writes it, for the errors. */
static void
fmt_duration(char *buf, size_t size, long long s)
{
	if (s == TEN_YEARS)
		snprintf(buf, size, "ten years");
	else if (s != 0 && s % 86400 == 0)
		snprintf(buf, size, "%lldd", s / 86400);
	else if (s != 0 && s % 3600 == 0)
		snprintf(buf, size, "%lldh", s / 3600);
	else if (s != 0 && s % 60 == 0)
		snprintf(buf, size, "%lldm", s / 60);
	else
		snprintf(buf, size, "%llds", s);
}

/* "continue, pause or abort". */
static void
fmt_words(char *buf, size_t size, const char *const *w)
{
	size_t i, n;

	buf[0] = '\0';
	for (n = 0; w[n] != NULL; n++)
		;
	for (i = 0; i < n; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", w[i]);
}

static int
conf_word(const char *const *w, const char *value)
{
	int i;

	for (i = 0; w[i] != NULL; i++)
		if (strcmp(w[i], value) == 0)
			return i;
	return -1;
}

/* One key's value, read as its type says. */
static void
conf_set(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	void *at = conf_at(obj, k);
	char a[32], b[32], words[128];
	long long ll;
	long v;
	int i;

	switch (k->type) {
	case CT_PATH:
		if (value[0] != '/')
			conf_error(cp, cp->line, "%s: '%s' must be an absolute"
			    " path", k->name, value);
		/* FALLTHROUGH */
	case CT_STR:
		conf_set_str(at, value);
		break;
	case CT_INT:
	case CT_LONG:
	case CT_MSEC:
		if (conf_number(cp, k->name, value, (long)k->min, (long)k->max,
		    &v) < 0)
			break;
		if (k->type == CT_INT)
			*(int *)at = (int)v;
		else
			*(long *)at = k->type == CT_MSEC ? v * 1000 : v;
		break;
	case CT_SIZE:
		if (parse_size(value, &ll) < 0 || ll < k->min) {
			if (k->min > 0)
				conf_error(cp, cp->line, "%s: '%s' is not a size"
				    " of %lldM or more", k->name, value,
				    k->min >> 20);
			else
				conf_error(cp, cp->line, "%s: '%s' is not a size"
				    " such as 500M or 2G", k->name, value);
		} else
			*(long long *)at = ll;
		break;
	case CT_TIME:
		if (parse_duration(value, &v) < 0 || v < k->min || v > k->max) {
			fmt_duration(a, sizeof(a), k->min);
			fmt_duration(b, sizeof(b), k->max);
			conf_error(cp, cp->line, "%s: '%s' is not a time from %s"
			    " to %s (such as 90s, 15m, 12h or 30d)", k->name,
			    value, a, b);
		} else
			*(long *)at = v;
		break;
	case CT_BOOL:
		if ((i = parse_yesno(value)) < 0)
			conf_error(cp, cp->line, "%s: '%s' is not yes or no",
			    k->name, value);
		else
			*(int *)at = i;
		break;
	case CT_WORD:
	case CT_CHOICE:
		if ((i = conf_word(k->words, value)) < 0) {
			fmt_words(words, sizeof(words), k->words);
			conf_error(cp, cp->line, "%s: '%s' is not %s", k->name,
			    value, words);
		} else if (k->type == CT_CHOICE)
			*(int *)at = i;
		else if (k->max > 0)
			snprintf(at, (size_t)k->max, "%s", value);
		else
			conf_set_str(at, value);
		break;
	case CT_SCRIPT:
		conf_script(cp, obj, (int)k->min, k->name, value);
		break;
	case CT_CENTS:
		if (parse_cents(value, &v) < 0 || v < k->min || v > k->max)
			conf_error(cp, cp->line, "%s: '%s' is not an amount from"
			    " %ld.%02ld to %ld.%02ld (such as 25 or 0.50)",
			    k->name, value, (long)k->min / 100,
			    (long)k->min % 100, (long)k->max / 100,
			    (long)k->max % 100);
		else
			*(long *)at = v;
		break;
	case CT_FUNC:
		k->set(cp, obj, k, value);
		break;
	}
}

/* A new object's defaults: its table's. */
static void
conf_defaults(struct conf_parse *cp, const struct conf_section *sec,
    void *obj)
{
	const struct conf_key *k;
	void *at;

	for (k = sec->keys; k < sec->keys + sec->nkeys; k++) {
		at = conf_at(obj, k);
		switch (k->type) {
		case CT_INT:
		case CT_BOOL:
		case CT_CHOICE:
			if (k->hasdef)
				*(int *)at = (int)k->def;
			break;
		case CT_LONG:
		case CT_MSEC:
		case CT_TIME:
		case CT_CENTS:
			if (k->hasdef)
				*(long *)at = (long)k->def;
			break;
		case CT_SIZE:
			if (k->hasdef)
				*(long long *)at = k->def;
			break;
		case CT_WORD:
			if (k->defs != NULL && k->max > 0)
				snprintf(at, (size_t)k->max, "%s", k->defs);
			else if (k->defs != NULL)
				conf_set_str(at, k->defs);
			break;
		case CT_STR:
		case CT_PATH:
		case CT_SCRIPT:
			if (k->defs != NULL)
				conf_set_str(at, k->defs);
			break;
		case CT_FUNC:
			if (k->defs != NULL)
				k->set(cp, obj, k, k->defs);
			break;
		}
	}
}

static void
conf_free_keys(const struct conf_section *sec, void *obj)
{
	const struct conf_key *k;

	for (k = sec->keys; k < sec->keys + sec->nkeys; k++) {
		if (k->free != NULL)
			k->free(obj, k);
		else if (k->type == CT_STR || k->type == CT_PATH ||
		    k->type == CT_SCRIPT || (k->type == CT_WORD && k->max == 0))
			conf_free_ptr(obj, k);
	}
}

/*
 * The scheme of a device: the letters before its first ':', which name
 * the backend that serves it (BACKEND_DIR/SCHEME); "serial" for an
 * absolute path.  A scheme is a lower-case letter, then lower-case
 * letters, digits, '+' and '-', at most 31: one path component, never
 * "." or "..".  The length, 0 for a path, or -1 for neither.
 */
static int
device_scheme(const char *value)
{
	size_t n;

	if (value[0] == '/' || strchr(value, ':') == NULL)
		return 0;		/* a path: absolute, or an error */
	if (!islower((unsigned char)value[0]))
		return -1;
	n = strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789+-");
	if (value[n] != ':' || n > 31)
		return -1;
	return (int)n;
}

/* Is a device of this scheme a file of this host: serial:PATH, a bare
 * path, or klipper:PATH (Klipper's pseudo-terminal, served by the serial
 * backend under the scheme's name)? */
int
conf_scheme_local(const char *scheme)
{
	return strcmp(scheme, "serial") == 0 || strcmp(scheme, "klipper") == 0;
}

/* Split "serial:PATH?baud=N", "klipper:PATH" or "PATH" into path and
 * baud; a tcp://
 * device is checked as HOST:PORT, and another scheme's device is its
 * backend's to read, passed to it whole. */
static void
set_device(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_printer *p = obj;
	const char *path = value, *q;
	long baud;
	int n;

	(void)k;
	conf_set_str(&p->device, value);
	p->baud = 115200;
	free(p->scheme);
	p->scheme = NULL;
	if ((n = device_scheme(value)) < 0 || (strncmp(value, "tcp:", 4) == 0 &&
	    strncmp(value, "tcp://", 6) != 0)) {
		conf_error(cp, cp->line, "device: '%s': unknown kind of device"
		    " (expected serial:PATH[?baud=N], klipper:PATH,"
		    " tcp://HOST:PORT, SCHEME:... for another backend, or an"
		    " absolute path)",
		    value);
		return;
	}
	p->scheme = n == 0 ? xstrdup("serial") : strndup(value, (size_t)n);
	if (p->scheme == NULL)
		abort();
	if (n > 0 && !conf_scheme_local(p->scheme) &&
	    strcmp(p->scheme, "tcp") != 0) {
		free(p->device_path);
		p->device_path = xstrdup(value);
		return;
	}
	if (strncmp(path, "tcp://", 6) == 0) {
		char host[256], port[8];
		long pn;

		free(p->device_path);
		p->device_path = xstrdup(path);
		if (tcp_split(path, host, sizeof(host), port,
		    sizeof(port)) < 0 || parse_long(port, 1, 65535, &pn) < 0)
			conf_error(cp, cp->line, "device: '%s': expected"
			    " tcp://HOST:PORT with a port from 1 to 65535",
			    value);
		return;
	}
	if (strncmp(path, "serial:", 7) == 0)
		path += 7;
	else if (strncmp(path, "klipper:", 8) == 0)
		path += 8;
	free(p->device_path);
	p->device_path = NULL;
	if ((q = strchr(path, '?')) != NULL) {
		if (strncmp(q + 1, "baud=", 5) != 0) {
			conf_error(cp, cp->line, "device: '%s': the only option"
			    " is ?baud=N", value);
			return;
		}
		if (conf_number(cp, "device: baud", q + 6, 50, 4000000,
		    &baud) < 0)
			return;
		p->baud = baud;
		p->device_path = strndup(path, (size_t)(q - path));
		if (p->device_path == NULL)
			abort();
	} else
		p->device_path = xstrdup(path);
	if (p->device_path[0] != '/')
		conf_error(cp, cp->line, "device: '%s': the path must be"
		    " absolute", value);
}

static void
free_device(void *obj, const struct conf_key *k)
{
	struct conf_printer *p = obj;

	(void)k;
	free(p->device);
	free(p->device_path);
	free(p->scheme);
	p->device = p->device_path = p->scheme = NULL;
}

static void
set_firmware(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_printer *p = obj;

	(void)k;
	if (gcode_firmware_parse(value, &p->check.firmware) < 0)
		conf_error(cp, cp->line, "firmware: '%s' is not marlin, prusa,"
		    " klipper, reprapfirmware, repetier, smoothieware or empty",
		    value);
}

/* hotend_macro_params and the others: min is the heater. */
static void
set_macro_params(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_printer *p = obj;
	int h = (int)k->min;
	char bad[72];

	if (gcode_params_parse(value, p->policy.macro_params[h],
	    sizeof(p->policy.macro_params[h]), bad, sizeof(bad)) < 0)
		conf_error(cp, cp->line, "%s: '%s' is not a parameter name"
		    " (letters, digits and '_'), or the list is longer than %d"
		    " bytes", k->name, bad, GCODE_PARAMS_MAX - 2);
}

static void
set_volume(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	conf_volume(cp, obj, k->name, value);
}

/* forbidden_gcode (min 1) and allowed_gcode (min 0). */
static void
set_codes(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_printer *p = obj;
	int forbid = k->min != 0, n;
	char bad[32];

	if (analyse_parse_codes(value, forbid ? p->check.forbidden :
	    p->check.allowed, ANALYSE_CODES, &n, bad, sizeof(bad)) < 0)
		conf_error(cp, cp->line, "%s: '%s' is not a command such as"
		    " M500 (at most %d)", k->name, bad, ANALYSE_CODES);
	else if (forbid)
		p->check.nforbidden = n;
	else
		p->check.nallowed = n;
}

/* filters = NAME ...: programs in filter_dir, run beside each job. */
static void
set_filters(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_printer *p = obj;
	char *list = xstrdup(value), *w, *save;

	(void)k;
	for (w = strtok_r(list, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		if (!name_is_safe(w, CONF_NAME_MAX))
			conf_error(cp, cp->line, "filters: '%s' is not a filter"
			    " name", w);
		else if (p->nfilters == CONF_FILTERS)
			conf_error(cp, cp->line, "filters: more than %d",
			    CONF_FILTERS);
		else
			p->filters[p->nfilters++] = xstrdup(w);
	}
	free(list);
}

static void
free_filters(void *obj, const struct conf_key *k)
{
	struct conf_printer *p = obj;
	int i;

	(void)k;
	for (i = 0; i < p->nfilters; i++)
		free(p->filters[i]);
	p->nfilters = 0;
}

static void
set_camera(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	if (strncmp(value, "http://", 7) != 0 &&
	    strncmp(value, "https://", 8) != 0 &&
	    strncmp(value, "/dev/", 5) != 0)
		conf_error(cp, cp->line, "camera: '%s' is not an http:// or"
		    " https:// URL or a /dev/ device", value);
	else
		conf_set_str(conf_at(obj, k), value);
}

/* model, nozzle and materials (k->min: which): what the printer is
 * and has loaded, for fit.c. */
static void
set_fit(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_printer *p = obj;
	char why[FIT_REASON];
	int r;

	if (k->min == FIT_MODEL)
		r = fit_parse_models(&p->fit, value, why, sizeof(why));
	else if (k->min == FIT_NOZZLE)
		r = fit_parse_nozzles(&p->fit, value, why, sizeof(why));
	else
		r = fit_parse_materials(&p->fit, value, why, sizeof(why));
	if (r < 0)
		conf_error(cp, cp->line, "%s: %s", k->name, why);
}

/* A class's printers = NAME ... */
static void
set_members(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_class *c = obj;
	char *list = xstrdup(value), *w, *save;

	(void)k;
	for (w = strtok_r(list, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		if (!name_is_safe(w, CONF_NAME_MAX)) {
			conf_error(cp, cp->line, "printers: '%s' is not a"
			    " printer name", w);
			continue;
		}
		if (conf_class_has(c, w)) {
			conf_error(cp, cp->line, "printers: %s is named twice",
			    w);
			continue;
		}
		c->members = xrealloc(c->members,
		    (c->nmembers + 1) * sizeof(*c->members));
		c->members[c->nmembers++] = xstrdup(w);
	}
	free(list);
}

static void
free_members(void *obj, const struct conf_key *k)
{
	struct conf_class *c = obj;
	size_t i;

	(void)k;
	for (i = 0; i < c->nmembers; i++)
		free(c->members[i]);
	free(c->members);
	c->members = NULL;
	c->nmembers = 0;
}

static void
set_sftp_user(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	if (strcmp(value, "root") == 0)
		conf_error(cp, cp->line, "user: gsftpd may not run as root");
	else
		conf_set_str(conf_at(obj, k), value);
}

static void
set_web_user(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	if (strcmp(value, "root") == 0)
		conf_error(cp, cp->line, "user: gwebd may not run as root");
	else
		conf_set_str(conf_at(obj, k), value);
}

static void
set_startups(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_sftp *s = obj;

	(void)k;
	if (conf_startups(value, &s->startups_begin, &s->startups_rate,
	    &s->startups_full) < 0)
		conf_error(cp, cp->line, "max_startups: '%s' is not"
		    " BEGIN:RATE:FULL (logins in progress from which RATE"
		    " percent are dropped, 1 <= BEGIN <= FULL <= 10000, RATE up"
		    " to 100) or a count", value);
}

const char *const conf_notify_event_names[NOTIFY_NEVENTS] = {
	[NOTIFY_STARTED] = "started",
	[NOTIFY_FIRST_LAYER] = "first-layer",
	[NOTIFY_WAITING] = "waiting",
	[NOTIFY_PAUSED] = "paused",
	[NOTIFY_RESUMED] = "resumed",
	[NOTIFY_STOPPED] = "stopped",
	[NOTIFY_ABORTED] = "aborted",
	[NOTIFY_CANCELED] = "canceled",
	[NOTIFY_COMPLETED] = "completed",
	[NOTIFY_NOT_RESPONDING] = "not-responding",
	[NOTIFY_HEATERS_LEFT_ON] = "heaters-left-on",
	[NOTIFY_AWAITING_CLEAR] = "awaiting-clear",
	[NOTIFY_APPROVAL] = "approval",
};

const char *
conf_notify_event_name(int ev)
{
	return ev >= 0 && ev < NOTIFY_NEVENTS ? conf_notify_event_names[ev] :
	    NULL;
}

int
conf_notify_event_parse(const char *word)
{
	int i;

	for (i = 0; i < NOTIFY_NEVENTS; i++)
		if (strcmp(word, conf_notify_event_names[i]) == 0)
			return i;
	return -1;
}

/* The events notify_urls hear unless notify_events says otherwise: all
 * but resumed and canceled, which the person who did it knows of. */
#define NOTIFY_EVENTS_DEFAULT	"started first-layer waiting paused" \
	" stopped aborted completed not-responding heaters-left-on" \
	" awaiting-clear approval"

/* An Apprise URL: SCHEME://..., the scheme a lower-case letter, then
 * letters, digits, '+', '-' and '.'; no byte below 0x21 or 0x7f. */
static int
notify_url_ok(const char *u, size_t *scheme_len)
{
	size_t n = strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789+-.");
	const unsigned char *c;

	*scheme_len = n;
	if (n == 0 || n > 31 || !islower((unsigned char)u[0]) ||
	    strncmp(u + n, "://", 3) != 0)
		return 0;
	for (c = (const unsigned char *)u; *c != '\0'; c++)
		if (*c < 0x21 || *c == 0x7f)
			return 0;
	return strlen(u) <= CONF_NOTIFY_URL_MAX;
}

static void
free_notify_urls(void *obj, const struct conf_key *k)
{
	struct conf_notify *n = conf_at(obj, k);
	int i;

	for (i = 0; i < n->nurls; i++) {
		explicit_bzero(n->urls[i], strlen(n->urls[i]));
		free(n->urls[i]);
		n->urls[i] = NULL;
	}
	n->nurls = 0;
}

/* notify_urls = URL ...: the errors name a URL by its place and its
 * scheme alone, never whole (it holds the service's secret). */
static void
set_notify_urls(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_notify *n = conf_at(obj, k);
	char *list = xstrdup(value), *w, *save;
	size_t slen;
	int i = 0;

	free_notify_urls(obj, k);
	for (w = strtok_r(list, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		i++;
		if (!notify_url_ok(w, &slen)) {
			if (strlen(w) > CONF_NOTIFY_URL_MAX)
				conf_error(cp, cp->line, "notify_urls: URL %d"
				    " is longer than %d bytes", i,
				    CONF_NOTIFY_URL_MAX);
			else if (slen > 0 && slen <= 31 &&
			    strncmp(w + slen, "://", 3) == 0)
				conf_error(cp, cp->line, "notify_urls: URL %d"
				    " (%.*s://...) holds a control byte", i,
				    (int)slen, w);
			else
				conf_error(cp, cp->line, "notify_urls: URL %d"
				    " is not an Apprise URL (SCHEME://...)", i);
		} else if (n->nurls == CONF_NOTIFY_URLS)
			conf_error(cp, cp->line, "notify_urls: more than %d"
			    " URLs", CONF_NOTIFY_URLS);
		else
			n->urls[n->nurls++] = xstrdup(w);
	}
	explicit_bzero(list, strlen(list));
	free(list);
}

/* notify_events = EVENT ... (or all, or none). */
static void
set_notify_events(struct conf_parse *cp, void *obj, const struct conf_key *k,
    const char *value)
{
	struct conf_notify *n = conf_at(obj, k);
	char *list = xstrdup(value), *w, *save;
	int e;

	n->events = 0;
	for (w = strtok_r(list, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(w, "all") == 0)
			n->events = (1u << NOTIFY_NEVENTS) - 1;
		else if (strcmp(w, "none") == 0)
			n->events = 0;
		else if ((e = conf_notify_event_parse(w)) < 0)
			conf_error(cp, cp->line, "notify_events: '%s' is not an"
			    " event (started, first-layer, waiting, paused,"
			    " resumed, stopped, aborted, canceled, completed,"
			    " not-responding, heaters-left-on, awaiting-clear,"
			    " approval, all, none)", w);
		else
			n->events |= 1u << e;
	}
	free(list);
}

#define NOTIFY_KEYS(off) \
	FUNC("notify_urls", off, 0, NULL, set_notify_urls, free_notify_urls), \
	FUNC("notify_events", off, 0, NOTIFY_EVENTS_DEFAULT, \
	    set_notify_events, NULL)

static void	*obj_spool(struct conf_parse *, const char *);
static void	*obj_printer(struct conf_parse *, const char *);
static void	*obj_class(struct conf_parse *, const char *);
static void	*obj_user(struct conf_parse *, const char *);
static void	*obj_sftp(struct conf_parse *, const char *);
static void	*obj_account(struct conf_parse *, const char *);
static void	*obj_remote(struct conf_parse *, const char *);
static void	*obj_web(struct conf_parse *, const char *);
static void	*obj_group(struct conf_parse *, const char *);
static void	*obj_material(struct conf_parse *, const char *);

/* name, type, offset, min, max, default (number, or text), words, helper,
 * its free; and whether the commands read it. */
#define KEY(n, t, o, lo, hi, d, hd, ds, w, s, f, cl) \
	{ n, t, o, lo, hi, d, hd, ds, w, s, f, cl }
/* A number with its default. */
#define NUM(n, t, o, lo, hi, d) \
	KEY(n, t, o, lo, hi, d, 1, NULL, NULL, NULL, NULL, 0)
/* A number whose default is the G-code policy's (gcode_policy_default(),
 * analyse_policy_default()). */
#define POL(n, t, o, lo, hi) \
	KEY(n, t, o, lo, hi, 0, 0, NULL, NULL, NULL, NULL, 0)
#define TXT(n, t, o, ds) \
	KEY(n, t, o, 0, 0, 0, 0, ds, NULL, NULL, NULL, 0)
#define WORDS(n, t, o, size, ds, w) \
	KEY(n, t, o, 0, size, 0, 0, ds, w, NULL, NULL, 0)
#define SCRIPT(n, which, ds) \
	KEY(n, CT_SCRIPT, offsetof(struct conf_printer, script[which]), \
	    which, 0, 0, 0, ds, NULL, NULL, NULL, 0)
#define FUNC(n, o, lo, ds, s, f) \
	KEY(n, CT_FUNC, o, lo, 0, 0, 0, ds, NULL, s, f, 0)

#define SP(m)	offsetof(struct conf, m)
#define PR(m)	offsetof(struct conf_printer, m)
#define CL(m)	offsetof(struct conf_class, m)
#define US(m)	offsetof(struct conf_user, m)
#define SF(m)	offsetof(struct conf_sftp, m)
#define AC(m)	offsetof(struct conf_account, m)
#define WB(m)	offsetof(struct conf_web, m)
#define RM(m)	offsetof(struct conf_remote, m)
#define GR(m)	offsetof(struct conf_group, m)
#define MT(m)	offsetof(struct conf_material, m)

/* The monthly limits of a [user], a [group] or an [account]: -1 where
 * the section does not set them (acct.c). */
#define LIMIT_KEYS(off) \
	NUM("max_grams_month", CT_LONG, (off) + offsetof(struct conf_limits, \
	    grams), 0, 100000000, -1), \
	NUM("max_hours_month", CT_LONG, (off) + offsetof(struct conf_limits, \
	    hours), 0, 744 * 1000, -1), \
	NUM("max_cost_month", CT_CENTS, (off) + offsetof(struct conf_limits, \
	    cost), 0, MONEY_MAX, -1)
#define MONEY_MAX	100000000L	/* a million, in hundredths */

/* approval and approve_group: need's default is def (-1: not said). */
#define APPROVAL_KEYS(off, def) \
	NUM("approval", CT_BOOL, (off) + offsetof(struct conf_approval, \
	    need), 0, 1, def), \
	TXT("approve_group", CT_STR, (off) + offsetof(struct conf_approval, \
	    group), NULL)

static const char *const words_dialect[] = { "refuse", "warn", NULL };
static const char *const words_unknown[] = { "continue", "pause", "abort",
	NULL };
static const char *const words_resend[] = { "auto", "yes", "no", NULL };
/* A Duet's HTTP interface: found, its own, or its computer's (DSF). */
static const char *const words_duet_mode[] = { "auto", "standalone", "sbc",
	NULL };

/* [spool].  socket defaults to DIRECTORY/control, default_printer to
 * the first printer (conf_read()). */
static const struct conf_key spool_keys[] = {
	KEY("directory", CT_PATH, SP(spool_dir), 0, 0, 0, 0,
	    LOCALSTATEDIR "/spool/gspool", NULL, NULL, NULL, 1),
	KEY("socket", CT_PATH, SP(socket_path), 0, 0, 0, 0, NULL, NULL,
	    NULL, NULL, 1),
	KEY("default_printer", CT_STR, SP(default_printer), 0, 0, 0, 0, NULL,
	    NULL, NULL, NULL, 1),
	TXT("user", CT_STR, SP(user), "_gspool"),
	TXT("admin_group", CT_STR, SP(admin_group), "lpadmin"),
	TXT("approve_group", CT_STR, SP(approve_group), NULL),
	NUM("show_titles", CT_BOOL, SP(show_titles), 0, 1, 0),
	NUM("keep_jobs", CT_TIME, SP(keep_jobs), 0, TEN_YEARS, DAYS(30)),
	NUM("keep_files", CT_TIME, SP(keep_files), 0, TEN_YEARS, DAYS(1)),
	NUM("keep_accounting", CT_TIME, SP(keep_accounting), 0, TEN_YEARS, 0),
	NUM("keep_rejected", CT_TIME, SP(keep_rejected), 0, TEN_YEARS,
	    DAYS(7)),
	NUM("max_rejections", CT_LONG, SP(max_rejections), 0, 1000000, 50),
	NUM("rejection_window", CT_TIME, SP(rejection_window), 1, DAYS(7),
	    600),
	TXT("filter_dir", CT_PATH, SP(filter_dir), FILTER_DIR),
	NUM("filter_timeout", CT_TIME, SP(filter_timeout), 1, TEN_YEARS, 600),
	NUM("filter_max_output", CT_SIZE, SP(filter_max_output), 0, 0,
	    2LL << 30),
	TXT("notify", CT_PATH, SP(notify), NULL),
	NOTIFY_KEYS(SP(notify_all)),
	TXT("notifier", CT_PATH, SP(notifier), NOTIFIER),
	TXT("apprise", CT_PATH, SP(apprise), "/usr/bin/apprise"),
	NUM("notify_timeout", CT_TIME, SP(notify_timeout), 1, 3600, 30),
	NUM("notify_retries", CT_LONG, SP(notify_retries), 1, 10, 3),
	NUM("notify_max", CT_LONG, SP(notify_max), 1, 64, 4),
	NUM("awaiting_clear_notify", CT_TIME, SP(awaiting_clear_notify), 0,
	    DAYS(7), 1800),
	TXT("backend_dir", CT_PATH, SP(backend_dir), BACKEND_DIR),
	TXT("magic", CT_PATH, SP(magic), PKGDATADIR "/gcode.mgc"),
	NUM("max_user_jobs", CT_LONG, SP(max_user_jobs), 0, 1000000, 100),
	/* seconds in the file, milliseconds kept: the default is 1 s */
	NUM("drop_quiet", CT_MSEC, SP(drop_quiet_ms), 0, 600, 1000),
	NUM("max_job_size", CT_SIZE, SP(max_job_size), 0, 0, 2LL << 30),
};

/* [printer NAME].  The park, resume and cancel defaults: see
 * gspool.conf(5) (park: finish the moves, retract, lift; resume: the
 * backend moves the head back, then this, then restores E and the
 * modes; cancel: heaters, fan and motors off, the head lifted clear). */
static const struct conf_key printer_keys[] = {
	FUNC("device", 0, 0, NULL, set_device, free_device),
	TXT("description", CT_STR, PR(description), NULL),
	POL("max_hotend", CT_INT, PR(policy.max_hotend), 0, 500),
	POL("max_bed", CT_INT, PR(policy.max_bed), 0, 200),
	POL("max_chamber", CT_INT, PR(policy.max_chamber), 0, 200),
	FUNC("hotend_macro_params", 0, GCODE_HOTEND, NULL, set_macro_params,
	    NULL),
	FUNC("bed_macro_params", 0, GCODE_BED, NULL, set_macro_params, NULL),
	FUNC("chamber_macro_params", 0, GCODE_CHAMBER, NULL, set_macro_params,
	    NULL),
	FUNC("firmware", 0, 0, NULL, set_firmware, NULL),
	KEY("dialect_mismatch", CT_CHOICE, PR(check.dialect_warn), 0, 0, 0, 0,
	    NULL, words_dialect, NULL, NULL, 0),
	FUNC("build_volume", 0, 1, NULL, set_volume, NULL),
	FUNC("build_min", 0, 0, NULL, set_volume, NULL),
	FUNC("forbidden_gcode", 0, 1, NULL, set_codes, NULL),
	FUNC("allowed_gcode", 0, 0, NULL, set_codes, NULL),
	NUM("handshake_timeout", CT_LONG, PR(handshake_timeout), 0, 600, 10),
	NUM("window", CT_LONG, PR(window), 1, 64, 4),
	NUM("rx_buffer", CT_LONG, PR(rx_buffer), 16, 65536, 128),
	NUM("ok_timeout", CT_LONG, PR(ok_timeout), 1, 3600, 30),
	NUM("max_timeouts", CT_LONG, PR(max_timeouts), 1, 100, 5),
	WORDS("resend_ok", CT_WORD, PR(resend_ok), 0, "auto", words_resend),
	NUM("reconnect_interval", CT_LONG, PR(reconnect_interval), 1, 3600,
	    2),
	SCRIPT("pause_gcode", CONF_PAUSE,
	    "M400\nM83\nG1 E-2 F2700\nG91\nG1 Z10 F600\nG90"),
	SCRIPT("resume_gcode", CONF_RESUME, "M83\nG1 E2 F2700"),
	SCRIPT("cancel_gcode", CONF_CANCEL,
	    "M104 S0\nM140 S0\nM107\nG91\nG1 Z10 F600\nG90\nM84"),
	FUNC("filters", 0, 0, NULL, set_filters, free_filters),
	TXT("filter_options", CT_STR, PR(filter_options), NULL),
	FUNC("camera", PR(camera), 0, NULL, set_camera, conf_free_ptr),
	TXT("api_key_file", CT_PATH, PR(api_key_file), NULL),
	TXT("password_file", CT_PATH, PR(password_file), NULL),
	WORDS("duet_mode", CT_WORD, PR(duet_mode), 0, "auto", words_duet_mode),
	TXT("ssh_key_file", CT_PATH, PR(ssh_key_file), NULL),
	TXT("known_hosts_file", CT_PATH, PR(known_hosts_file), NULL),
	SCRIPT("park_gcode", CONF_PARK, ""),
	SCRIPT("unpark_gcode", CONF_UNPARK, ""),
	NUM("park_timeout", CT_LONG, PR(park_timeout), 1, 60, 5),
	WORDS("on_unknown_command", CT_WORD, PR(on_unknown_command),
	    sizeof(((struct conf_printer *)0)->on_unknown_command), "pause",
	    words_unknown),
	WORDS("on_firmware_error", CT_WORD, PR(on_firmware_error),
	    sizeof(((struct conf_printer *)0)->on_firmware_error), "pause",
	    words_unknown),
	NUM("heaters_off_after", CT_TIME, PR(heaters_off_after), 0, DAYS(7),
	    600),
	NUM("clears_bed", CT_BOOL, PR(clears_bed), 0, 1, 0),
	SCRIPT("between_jobs", CONF_BETWEEN, ""),
	NOTIFY_KEYS(PR(notify)),
	APPROVAL_KEYS(PR(approval), 0),
	NUM("cost_per_kg", CT_CENTS, PR(cost_per_kg), 0, MONEY_MAX, 0),
	NUM("cost_per_hour", CT_CENTS, PR(cost_per_hour), 0, MONEY_MAX, 0),
	FUNC("model", 0, FIT_MODEL, NULL, set_fit, NULL),
	FUNC("nozzle", 0, FIT_NOZZLE, NULL, set_fit, NULL),
	FUNC("materials", 0, FIT_MATERIAL, NULL, set_fit, NULL),
	KEY("fit_model", CT_CHOICE, PR(fit.policy[FIT_MODEL]), 0, 0,
	    FIT_REFUSE, 1, NULL, fit_policy_names, NULL, NULL, 0),
	KEY("fit_nozzle", CT_CHOICE, PR(fit.policy[FIT_NOZZLE]), 0, 0,
	    FIT_REFUSE, 1, NULL, fit_policy_names, NULL, NULL, 0),
	KEY("fit_material", CT_CHOICE, PR(fit.policy[FIT_MATERIAL]), 0, 0,
	    FIT_HOLD, 1, NULL, fit_policy_names, NULL, NULL, 0),
};

static const struct conf_key class_keys[] = {
	FUNC("printers", 0, 0, NULL, set_members, free_members),
	TXT("description", CT_STR, CL(description), NULL),
	APPROVAL_KEYS(CL(approval), 0),
};

/* [user NAME]: 0 and -1 are the spool's (conf_user_limits()). */
static const struct conf_key user_keys[] = {
	NUM("max_job_size", CT_SIZE, US(max_job_size), 0, 0, 0),
	NUM("max_jobs", CT_LONG, US(max_jobs), 0, 1000000, -1),
	NOTIFY_KEYS(US(notify)),
	APPROVAL_KEYS(US(approval), -1),
	LIMIT_KEYS(US(limits)),
};

/* [group NAME]: its members' approval, under their [user NAME]'s, and
 * the URLs its members hear as approvers. */
static const struct conf_key group_keys[] = {
	APPROVAL_KEYS(GR(approval), -1),
	NOTIFY_KEYS(GR(notify)),
	LIMIT_KEYS(GR(limits)),
};

/* [material NAME]: a filament's cost, over the printer's (acct.c). */
static const struct conf_key material_keys[] = {
	NUM("cost_per_kg", CT_CENTS, MT(cost_per_kg), 0, MONEY_MAX, -1),
};

/* [sftp].  host_key defaults to SPOOL/sftp/ssh_host_ed25519_key and
 * max_file (-1) to max_job_size (conf_read()). */
static const struct conf_key sftp_keys[] = {
	TXT("listen", CT_STR, SF(listen), "2222"),
	TXT("host_key", CT_STR, SF(host_key), NULL),
	NUM("login_grace", CT_TIME, SF(login_grace), 1, 3600, 30),
	NUM("idle_timeout", CT_TIME, SF(idle_timeout), 1, 86400, 900),
	NUM("stall_timeout", CT_TIME, SF(stall_timeout), 1, 3600, 60),
	NUM("max_memory", CT_SIZE, SF(max_memory), 16LL << 20, 0, 64LL << 20),
	NUM("max_connections", CT_LONG, SF(max_connections), 1, 10000, 32),
	NUM("max_per_address", CT_LONG, SF(max_per_address), 1, 10000, 8),
	NUM("max_auth_failures", CT_LONG, SF(max_auth_failures), 1, 10000,
	    10),
	NUM("ban_time", CT_TIME, SF(ban_time), 0, DAYS(30), 600),
	FUNC("user", SF(user), 0, "_gspool-sftp", set_sftp_user,
	    conf_free_ptr),
	FUNC("max_startups", 0, 0, "10:30:100", set_startups, NULL),
	NUM("max_startups_per_address", CT_LONG, SF(startups_per_address), 1,
	    10000, 4),
	NUM("quota", CT_SIZE, SF(quota), 0, 0, 4LL << 30),
	NUM("max_file", CT_SIZE, SF(max_file), 0, 0, -1),
	NUM("max_sessions", CT_LONG, SF(max_sessions), 1, 1000, 4),
};

/* [account NAME]: -1 is [sftp]'s (conf_read()). */
static const struct conf_key account_keys[] = {
	TXT("keys", CT_STR, AC(keys), NULL),
	NUM("quota", CT_SIZE, AC(quota), 0, 0, -1),
	NUM("max_file", CT_SIZE, AC(max_file), 0, 0, -1),
	NUM("max_sessions", CT_LONG, AC(max_sessions), 1, 1000, -1),
	NOTIFY_KEYS(AC(notify)),
	APPROVAL_KEYS(AC(approval), -1),
	LIMIT_KEYS(AC(limits)),
	TXT("api_keys", CT_PATH, AC(api_keys), NULL),
	TXT("password", CT_STR, AC(password), NULL),
	NUM("admin", CT_BOOL, AC(admin), 0, 1, 0),
};

/* [remote NAME]: read by the commands. */
static const struct conf_key remote_keys[] = {
	KEY("host", CT_STR, RM(host), 0, 0, 0, 0, NULL, NULL, NULL, NULL, 1),
};

/* [web].  max_file (-1) defaults to max_job_size (conf_read()). */
static const struct conf_key web_keys[] = {
	TXT("listen", CT_STR, WB(listen), "127.0.0.1:8631"),
	FUNC("user", WB(user), 0, "_gspool-web", set_web_user,
	    conf_free_ptr),
	TXT("tls_cert", CT_PATH, WB(tls_cert), NULL),
	TXT("tls_key", CT_PATH, WB(tls_key), NULL),
	NUM("insecure", CT_BOOL, WB(insecure), 0, 1, 0),
	TXT("anonymous", CT_STR, WB(anonymous), NULL),
	NUM("max_connections", CT_LONG, WB(max_connections), 1, 10000, 64),
	NUM("max_per_address", CT_LONG, WB(max_per_address), 1, 10000, 16),
	NUM("timeout", CT_TIME, WB(timeout), 1, 3600, 30),
	NUM("request_time", CT_TIME, WB(request_time), 1, 86400, 3600),
	NUM("max_header", CT_SIZE, WB(max_header), 4096, 1LL << 20, 16384),
	NUM("max_body", CT_SIZE, WB(max_body), 1024, 1LL << 24, 65536),
	NUM("max_file", CT_SIZE, WB(max_file), 0, 0, -1),
	NUM("max_auth_failures", CT_LONG, WB(max_auth_failures), 1, 10000,
	    10),
	NUM("ban_time", CT_TIME, WB(ban_time), 0, DAYS(30), 600),
	NUM("session_time", CT_TIME, WB(session_time), 60, DAYS(365),
	    DAYS(7)),
	NUM("stream_fps", CT_LONG, WB(stream_fps), 1, 30, 5),
};

#define NKEYS(t)	(sizeof(t) / sizeof((t)[0]))
enum { S_SPOOL, S_PRINTER, S_CLASS, S_USER, S_SFTP, S_ACCOUNT, S_WEB,
	S_REMOTE, S_GROUP, S_MATERIAL, S_COUNT };
static const struct conf_section sections[S_COUNT] = {
	{ "spool", 0, 1, spool_keys, NKEYS(spool_keys), obj_spool },
	{ "printer", 1, 0, printer_keys, NKEYS(printer_keys), obj_printer },
	{ "class", 1, 0, class_keys, NKEYS(class_keys), obj_class },
	{ "user", 1, 0, user_keys, NKEYS(user_keys), obj_user },
	{ "sftp", 0, 1, sftp_keys, NKEYS(sftp_keys), obj_sftp },
	{ "account", 1, 1, account_keys, NKEYS(account_keys), obj_account },
	{ "web", 0, 1, web_keys, NKEYS(web_keys), obj_web },
	{ "remote", 1, 1, remote_keys, NKEYS(remote_keys), obj_remote },
	{ "group", 1, 0, group_keys, NKEYS(group_keys), obj_group },
	{ "material", 1, 1, material_keys, NKEYS(material_keys),
	    obj_material },
};

static void *
obj_spool(struct conf_parse *cp, const char *name)
{
	(void)name;
	return cp->conf;
}

static void *
obj_sftp(struct conf_parse *cp, const char *name)
{
	(void)name;
	return &cp->conf->sftp;
}

static void *
obj_web(struct conf_parse *cp, const char *name)
{
	(void)name;
	return &cp->conf->web;
}

static void *
obj_printer(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_printer *p;

	if (!name_is_safe(name, CONF_NAME_MAX)) {
		if (!cp->client)
			conf_error(cp, cp->section_line, "printer name '%s':"
			    " use 1 to %d letters, digits, '.', '_' or '-'",
			    name, CONF_NAME_MAX);
		return NULL;
	}
	if ((p = conf_printer(c, name)) != NULL) {
		/* libinih calls once per key: report a second section of
		 * the same name once, at its header. */
		if (p->line != cp->section_line &&
		    cp->dup_line != cp->section_line) {
			cp->dup_line = cp->section_line;
			if (!cp->client)
				conf_error(cp, cp->section_line, "[printer %s]"
				    " is already defined at line %u", name,
				    p->line);
		}
		return p;
	}
	c->printers = xrealloc(c->printers,
	    (c->nprinters + 1) * sizeof(*c->printers));
	p = &c->printers[c->nprinters++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	gcode_policy_default(&p->policy);
	analyse_policy_default(&p->check);
	conf_defaults(cp, &sections[S_PRINTER], p);
	p->line = cp->section_line;
	return p;
}

static void *
obj_class(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_class *k;

	if (!name_is_safe(name, CONF_NAME_MAX)) {
		if (!cp->client)
			conf_error(cp, cp->section_line, "class name '%s':"
			    " use 1 to %d letters, digits, '.', '_' or '-'",
			    name, CONF_NAME_MAX);
		return NULL;
	}
	if ((k = conf_class(c, name)) != NULL)
		return k;
	c->classes = xrealloc(c->classes,
	    (c->nclasses + 1) * sizeof(*c->classes));
	k = &c->classes[c->nclasses++];
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(name);
	conf_defaults(cp, &sections[S_CLASS], k);
	k->line = cp->section_line;
	return k;
}

static void *
obj_user(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_user *u;
	size_t i;

	if (!name_is_safe(name, 63)) {
		conf_error(cp, cp->section_line, "user name '%s': use 1 to 63"
		    " letters, digits, '.', '_' or '-'", name);
		return NULL;
	}
	for (i = 0; i < c->nusers; i++)
		if (strcmp(c->users[i].name, name) == 0)
			return &c->users[i];
	c->users = xrealloc(c->users, (c->nusers + 1) * sizeof(*c->users));
	u = &c->users[c->nusers++];
	memset(u, 0, sizeof(*u));
	u->name = xstrdup(name);
	conf_defaults(cp, &sections[S_USER], u);
	return u;
}

static void *
obj_group(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_group *g;

	if (!name_is_safe(name, 63)) {
		conf_error(cp, cp->section_line, "group name '%s': use 1 to 63"
		    " letters, digits, '.', '_' or '-'", name);
		return NULL;
	}
	if ((g = conf_group(c, name)) != NULL)
		return g;
	c->groups = xrealloc(c->groups, (c->ngroups + 1) * sizeof(*c->groups));
	g = &c->groups[c->ngroups++];
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	conf_defaults(cp, &sections[S_GROUP], g);
	g->line = cp->section_line;
	return g;
}

static void *
obj_material(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_material *m;

	if (!name_is_safe(name, 31)) {
		conf_error(cp, cp->section_line, "material name '%s': use 1 to"
		    " 31 letters, digits, '.', '_' or '-'", name);
		return NULL;
	}
	if ((m = conf_material(c, name)) != NULL)
		return m;
	c->materials = xrealloc(c->materials,
	    (c->nmaterials + 1) * sizeof(*c->materials));
	m = &c->materials[c->nmaterials++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	conf_defaults(cp, &sections[S_MATERIAL], m);
	m->line = cp->section_line;
	return m;
}

static void *
obj_account(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_account *a;

	if (!name_is_safe(name, CONF_NAME_MAX) || name[0] == '.') {
		conf_error(cp, cp->section_line, "account name '%s': use 1 to"
		    " %d letters, digits, '.', '_' or '-'", name,
		    CONF_NAME_MAX);
		return NULL;
	}
	if ((a = conf_account(c, name)) != NULL)
		return a;
	c->accounts = xrealloc(c->accounts,
	    (c->naccounts + 1) * sizeof(*c->accounts));
	a = &c->accounts[c->naccounts++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	conf_defaults(cp, &sections[S_ACCOUNT], a);
	a->line = cp->section_line;
	return a;
}

static void *
obj_remote(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_remote *r;
	size_t i;

	if (!name_is_safe(name, CONF_NAME_MAX)) {
		conf_error(cp, cp->section_line, "remote name '%s': use 1 to"
		    " %d letters, digits, '.', '_' or '-'", name,
		    CONF_NAME_MAX);
		return NULL;
	}
	for (i = 0; i < c->nremotes; i++)
		if (strcmp(c->remotes[i].name, name) == 0)
			return &c->remotes[i];
	c->remotes = xrealloc(c->remotes,
	    (c->nremotes + 1) * sizeof(*c->remotes));
	r = &c->remotes[c->nremotes++];
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	conf_defaults(cp, &sections[S_REMOTE], r);
	r->line = cp->section_line;
	return r;
}

/* The section of a header, and the NAME of [printer NAME]. */
static const struct conf_section *
conf_find_section(const char *section, const char **name)
{
	const struct conf_section *sec;
	size_t n;

	for (sec = sections; sec < sections + S_COUNT; sec++) {
		n = strlen(sec->name);
		if (strncmp(section, sec->name, n) != 0)
			continue;
		if (!sec->named && section[n] == '\0') {
			*name = NULL;
			return sec;
		}
		if (sec->named && section[n] == ' ') {
			for (*name = section + n; **name == ' '; (*name)++)
				;
			return sec;
		}
	}
	return NULL;
}

static const struct conf_key *
conf_find_key(const struct conf_section *sec, const char *key)
{
	size_t i;

	for (i = 0; i < sec->nkeys; i++)
		if (strcmp(sec->keys[i].name, key) == 0)
			return &sec->keys[i];
	return NULL;
}

/* Levenshtein's distance, for "did you mean"; past max, max + 1. */
static size_t
distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[64], prev, t;

	if (la >= sizeof(d) / sizeof(d[0]) || lb >= sizeof(d) / sizeof(d[0]))
		return max + 1;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			t = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (t + 1 < d[j])
				d[j] = t + 1;
			prev = t;
		}
	}
	return d[lb] > max ? max + 1 : d[lb];
}

/* How far a misspelt word may be from the word meant: two letters, but
 * less than half of a short word. */
static size_t
near_enough(const char *word)
{
	size_t n = strlen(word);

	return n >= 6 ? 2 : n >= 3 ? 1 : 0;
}

static void
conf_unknown_key(struct conf_parse *cp, const struct conf_section *sec,
    const char *name, const char *key)
{
	const struct conf_section *o;
	const struct conf_key *k, *best = NULL;
	size_t d, bestd = near_enough(key) + 1;
	char hint[128] = "";

	for (k = sec->keys; k < sec->keys + sec->nkeys; k++)
		if ((d = distance(key, k->name, bestd - 1)) < bestd) {
			best = k;
			bestd = d;
		}
	if (best != NULL)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?",
		    best->name);
	else
		for (o = sections; o < sections + S_COUNT; o++)
			if (o != sec && conf_find_key(o, key) != NULL) {
				snprintf(hint, sizeof(hint), "; it is a key of"
				    " [%s%s]", o->name, o->named ? " NAME" : "");
				break;
			}
	conf_error(cp, cp->line, "unknown key '%s' in [%s%s%s]%s", key,
	    sec->name, name ? " " : "", name ? name : "", hint);
}

static void
conf_unknown_section(struct conf_parse *cp, const char *section,
    const char *key)
{
	const struct conf_section *sec;
	char word[64], hint[128] = "";
	size_t n = strcspn(section, " ");

	if (section[0] == '\0') {
		conf_error(cp, cp->line, "'%s' is outside any section", key);
		return;
	}
	snprintf(word, sizeof(word), "%.*s", (int)(n < 63 ? n : 63), section);
	for (sec = sections; sec < sections + S_COUNT; sec++) {
		if (strcmp(word, sec->name) == 0)
			snprintf(hint, sizeof(hint), sec->named ? "; it needs a"
			    " name: [%s NAME]" : "; it takes no name: [%s]",
			    sec->name);
		else if (distance(word, sec->name, near_enough(word)) <=
		    near_enough(word))
			snprintf(hint, sizeof(hint), "; did you mean [%s%s]?",
			    sec->name, sec->named ? " NAME" : "");
		else
			continue;
		break;
	}
	conf_error(cp, cp->section_line, "unknown section [%s]%s", section,
	    hint);
}

static unsigned
conf_seen_line(const struct conf *c, const struct conf_section *sec,
    const char *name, const struct conf_key *k)
{
	size_t i;

	for (i = 0; i < c->nseen; i++) {
		const struct conf_seen *s = &c->seen[i];

		if (s->key == k && s->sec == sec && (name == NULL ||
		    strcmp(s->name, name) == 0))
			return s->line;
	}
	return 0;
}

static int
conf_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct conf_parse *cp = user;
	struct conf *c = cp->conf;
	const struct conf_section *sec;
	const struct conf_key *k;
	const char *name;
	unsigned first;
	void *obj;

	if (cp->reported_line == cp->line)
		return 1;
	if ((sec = conf_find_section(section, &name)) == NULL) {
		if (!cp->client)
			conf_unknown_section(cp, section, key);
		cp->reported_line = cp->line;
		return 1;
	}
	/* The commands read [spool], the names of printers and
	 * classes, and the other hosts, and nothing else. */
	if (cp->client && sec != &sections[S_SPOOL] &&
	    sec != &sections[S_PRINTER] && sec != &sections[S_CLASS] &&
	    sec != &sections[S_REMOTE])
		return 1;
	if ((obj = sec->object(cp, name)) == NULL) {
		/* One report per section is enough. */
		cp->reported_line = cp->line;
		return 1;
	}
	k = conf_find_key(sec, key);
	if (cp->client && (k == NULL || !k->client))
		return 1;
	if (k == NULL) {
		conf_unknown_key(cp, sec, name, key);
		return 1;
	}
	/* A line of its own, not the indented lines of a G-code key
	 * (libinih gives each to the handler under the key's name). */
	if (cp->line == cp->key_line) {
		if ((first = conf_seen_line(c, sec, name, k)) != 0) {
			/* A second [printer NAME] is one error. */
			if (cp->dup_line != cp->section_line)
				conf_error(cp, cp->line, "%s is already set at"
				    " line %u", key, first);
			return 1;
		}
		c->seen = xrealloc(c->seen, (c->nseen + 1) * sizeof(*c->seen));
		c->seen[c->nseen].sec = sec;
		c->seen[c->nseen].name = name ? xstrdup(name) : NULL;
		c->seen[c->nseen].key = k;
		c->seen[c->nseen++].line = cp->line;
	}
	if (cp->line != cp->key_line && strcmp(key, "listen") == 0) {
		char *all;

		if (sec != &sections[S_WEB]) {
			conf_error(cp, cp->line, "an indented line goes on with"
			    " the key above, and only [web] listen and G-code"
			    " keys take more lines");
			return 1;
		}
		all = xasprintf("%s %s", cp->conf->web.listen, value);
		free(cp->conf->web.listen);
		cp->conf->web.listen = all;
		return 1;
	}
	if (sec->no_empty && value[0] == '\0') {
		conf_error(cp, cp->line, "%s: empty value", key);
		return 1;
	}
	conf_set(cp, obj, k, value);
	return 1;
}

static unsigned
line_of(const struct conf *c, int s, const char *name, const char *key)
{
	return conf_seen_line(c, &sections[s], name,
	    conf_find_key(&sections[s], key));
}

/* An sftp:// printer (a queue on another gspool host) is reached with
 * its own key and its host's known key, both named; no other printer
 * takes either. */
static void
conf_check_ssh(struct conf_parse *cp, const struct conf *c,
    const struct conf_printer *p)
{
	int sftp = p->scheme != NULL && strcmp(p->scheme, "sftp") == 0;
	const char *d = p->device, *at, *slash;

	if (sftp) {
		d += strncmp(d, "sftp://", 7) == 0 ? 7 : strlen(d);
		slash = strchr(d, '/');
		at = strchr(d, '@');
		if (*d == '\0' || slash == NULL || at == NULL || at > slash ||
		    at == d || at + 1 == slash || slash[1] == '\0' ||
		    strchr(slash + 1, '/') != NULL)
			conf_error(cp, line_of(c, S_PRINTER, p->name, "device"),
			    "device: '%s': expected sftp://ACCOUNT@HOST[:PORT]"
			    "/DEST, DEST a printer or class of that host",
			    p->device);
	}

	if (sftp && p->ssh_key_file == NULL)
		conf_error(cp, line_of(c, S_PRINTER, p->name, "device"),
		    "[printer %s]: device %s needs ssh_key_file (the private"
		    " key of its account on that host)", p->name, p->device);
	if (sftp && p->known_hosts_file == NULL)
		conf_error(cp, line_of(c, S_PRINTER, p->name, "device"),
		    "[printer %s]: device %s needs known_hosts_file (the"
		    " host's key, checked at every connection)", p->name,
		    p->device);
	if (sftp && (p->api_key_file != NULL || p->password_file != NULL))
		conf_error(cp, line_of(c, S_PRINTER, p->name, p->api_key_file ?
		    "api_key_file" : "password_file"), "[printer %s]: device"
		    " %s takes ssh_key_file, not %s", p->name, p->device,
		    p->api_key_file ? "api_key_file" : "password_file");
	if (!sftp && p->ssh_key_file != NULL)
		conf_error(cp, line_of(c, S_PRINTER, p->name, "ssh_key_file"),
		    "ssh_key_file: [printer %s]'s device %s is not sftp://",
		    p->name, p->device);
	if (!sftp && p->known_hosts_file != NULL)
		conf_error(cp, line_of(c, S_PRINTER, p->name,
		    "known_hosts_file"), "known_hosts_file: [printer %s]'s"
		    " device %s is not sftp://", p->name, p->device);
}

static unsigned
later(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

static void
conf_check_default(struct conf_parse *cp)
{
	struct conf *c = cp->conf;

	if (c->default_printer != NULL &&
	    conf_printer(c, c->default_printer) == NULL &&
	    conf_class(c, c->default_printer) == NULL)
		conf_error(cp, line_of(c, S_SPOOL, NULL, "default_printer"),
		    "default_printer '%s' is not a configured printer or"
		    " class", c->default_printer);
}

/* A port: digits, 0 to 65535 (0: the kernel picks one). */
static int
web_port_ok(const char *s)
{
	long long n;

	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s) &&
	    strlen(s) <= 5 && parse_llong(s, 0, 65535, &n) == 0;
}

/* One address of [web] listen, [s, e) with its blanks trimmed, into l;
 * the reason it is wrong in why, else "". */
static void
web_listen_one(const char *s, const char *e, struct conf_listen *l,
    char *why, size_t whysz)
{
	char buf[512], *tok, *save, *v, *colon;
	size_t len = (size_t)(e - s);

	why[0] = '\0';
	memset(l, 0, sizeof(*l));
	if (len >= sizeof(buf)) {
		snprintf(why, whysz, "an address over %zu bytes",
		    sizeof(buf) - 1);
		return;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((tok = strtok_r(buf, " \t", &save)) == NULL) {
		snprintf(why, whysz, "an empty address (two commas, or one at"
		    " an end)");
		return;
	}
	if (strlen(tok) >= sizeof(l->addr)) {
		snprintf(why, whysz, "'%.40s...': an address over %d bytes",
		    tok, CONF_ADDR_MAX - 1);
		return;
	}
	snprintf(l->addr, sizeof(l->addr), "%s", tok);
	if (tok[0] == '[') {
		if ((colon = strstr(tok, "]:")) == NULL || colon == tok + 1 ||
		    !web_port_ok(colon + 2)) {
			snprintf(why, whysz, "'%s': expected [ADDRESS]:PORT",
			    tok);
			return;
		}
	} else if ((colon = strrchr(tok, ':')) != NULL) {
		if (colon == tok || memchr(tok, ':', (size_t)(colon - tok)) !=
		    NULL || !web_port_ok(colon + 1)) {
			snprintf(why, whysz, "'%s': expected PORT, ADDRESS:PORT"
			    " or [ADDRESS]:PORT", tok);
			return;
		}
	} else if (!web_port_ok(tok)) {
		snprintf(why, whysz, "'%s': expected PORT, ADDRESS:PORT or"
		    " [ADDRESS]:PORT (a port is 0 to 65535)", tok);
		return;
	}
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if ((v = strchr(tok, '=')) == NULL ||
		    (size_t)(v - tok) != strlen("anonymous") ||
		    strncmp(tok, "anonymous", 9) != 0) {
			snprintf(why, whysz, "%s: '%s': the only option of an"
			    " address is anonymous=ACCOUNT or anonymous=none",
			    l->addr, tok);
			return;
		}
		if (l->anon != ANON_WEB) {
			snprintf(why, whysz, "%s: anonymous is given twice",
			    l->addr);
			return;
		}
		v++;
		if (strcmp(v, "none") == 0)
			l->anon = ANON_NONE;
		else if (v[0] == '\0' || strlen(v) > CONF_NAME_MAX) {
			snprintf(why, whysz, "%s: anonymous='%s': give an"
			    " account's name or none", l->addr, v);
			return;
		} else {
			l->anon = ANON_ACCOUNT;
			snprintf(l->account, sizeof(l->account), "%s", v);
		}
	}
}

/* [web] listen: the addresses, comma-separated, each checked. */
static void
conf_check_listen(struct conf_parse *cp)
{
	struct conf_web *w = &cp->conf->web;
	unsigned line = line_of(cp->conf, S_WEB, NULL, "listen");
	const char *s = w->listen, *comma;
	struct conf_listen *l;
	char why[256];

	w->nlistens = 0;
	for (;;) {
		comma = s + strcspn(s, ",");
		if (w->nlistens == CONF_LISTEN_MAX) {
			conf_error(cp, line, "[web] listen: more than %d"
			    " addresses", CONF_LISTEN_MAX);
			return;
		}
		l = &w->listens[w->nlistens];
		web_listen_one(s, comma, l, why, sizeof(why));
		if (why[0] != '\0') {
			conf_error(cp, line, "[web] listen: %s", why);
			return;
		}
		if (l->anon == ANON_ACCOUNT && conf_account(cp->conf,
		    l->account) == NULL) {
			conf_error(cp, line, "[web] listen: %s:"
			    " anonymous=%s: no [account %s]", l->addr,
			    l->account, l->account);
			return;
		}
		w->nlistens++;
		if (*comma == '\0')
			return;
		s = comma + 1;
	}
}

/* What the whole file says, each section's checks. */
static void
conf_check(struct conf_parse *cp)
{
	struct conf *c = cp->conf;
	size_t i, j;
	int k;

	if (strcmp(c->web.user, c->user) == 0)
		conf_error(cp, later(line_of(c, S_SPOOL, NULL, "user"),
		    line_of(c, S_WEB, NULL, "user")), "[web] user is"
		    " spoold's own user %s: gwebd must have a user of its own",
		    c->user);
	if (strcmp(c->web.user, c->sftp.user) == 0)
		conf_error(cp, later(line_of(c, S_SFTP, NULL, "user"),
		    line_of(c, S_WEB, NULL, "user")), "[web] user is"
		    " gsftpd's user %s: gwebd must have a user of its own",
		    c->web.user);
	if (c->web.anonymous != NULL && conf_account(c, c->web.anonymous) ==
	    NULL)
		conf_error(cp, line_of(c, S_WEB, NULL, "anonymous"), "[web]"
		    " anonymous = %s: no [account %s]", c->web.anonymous,
		    c->web.anonymous);
	conf_check_listen(cp);
	if ((c->web.tls_cert == NULL) != (c->web.tls_key == NULL))
		conf_error(cp, later(line_of(c, S_WEB, NULL, "tls_cert"),
		    line_of(c, S_WEB, NULL, "tls_key")), "[web]: tls_cert"
		    " and tls_key go together (a certificate and its key)");
	if (strcmp(c->sftp.user, c->user) == 0)
		conf_error(cp, later(line_of(c, S_SPOOL, NULL, "user"),
		    line_of(c, S_SFTP, NULL, "user")), "[sftp] user is"
		    " spoold's own user %s: gsftpd must have a user of its own",
		    c->user);
	if (c->keep_files > c->keep_jobs)
		conf_error(cp, later(line_of(c, S_SPOOL, NULL, "keep_jobs"),
		    line_of(c, S_SPOOL, NULL, "keep_files")), "keep_files is"
		    " longer than keep_jobs: a job's file is removed with its"
		    " record");
	for (i = 0; i < c->nclasses; i++) {
		struct conf_class *cl = &c->classes[i];
		size_t m;

		if (conf_printer(c, cl->name) != NULL)
			conf_error(cp, cl->line, "[class %s]: a printer has"
			    " that name", cl->name);
		if (cl->nmembers == 0)
			conf_error(cp, cl->line, "[class %s] has no printers",
			    cl->name);
		for (m = 0; m < cl->nmembers; m++)
			if (conf_printer(c, cl->members[m]) == NULL)
				conf_error(cp, cl->line, "[class %s]: %s is not"
				    " a configured printer", cl->name,
				    cl->members[m]);
	}
	if (c->nprinters == 0)
		conf_error(cp, 0, "no printer is configured (add a"
		    " [printer NAME] section)");
	for (i = 0; i < c->nprinters; i++) {
		struct conf_printer *p = &c->printers[i];

		if (p->device == NULL) {
			conf_error(cp, p->line, "[printer %s] has no device",
			    p->name);
			continue;
		}
		/* A tool's filament without its nozzle is a typing
		 * mistake: gpc load would refuse that tool. */
		if (p->fit.nnozzles > 0 &&
		    p->fit.nmaterials > p->fit.nnozzles)
			conf_error(cp, line_of(c, S_PRINTER, p->name,
			    "materials"), "materials: %d tools, but nozzle"
			    " names %d", p->fit.nmaterials, p->fit.nnozzles);
		/* A key is a network printer's: Marlin's backend has no
		 * use for one, and is not given it. */
		if (p->api_key_file != NULL && p->scheme != NULL &&
		    (strcmp(p->scheme, "serial") == 0 ||
		    strcmp(p->scheme, "tcp") == 0))
			conf_error(cp, line_of(c, S_PRINTER, p->name,
			    "api_key_file"), "api_key_file: [printer %s]'s device %s is"
			    " Marlin's, which takes no key", p->name,
			    p->device);
		if (p->password_file != NULL && p->scheme != NULL &&
		    (strcmp(p->scheme, "serial") == 0 ||
		    strcmp(p->scheme, "tcp") == 0))
			conf_error(cp, line_of(c, S_PRINTER, p->name,
			    "password_file"), "password_file: [printer %s]'s"
			    " device %s is Marlin's, which takes no password",
			    p->name, p->device);
		/* How a Duet is reached means nothing to another printer,
		 * whose backend would not be given it. */
		if (line_of(c, S_PRINTER, p->name, "duet_mode") != 0 &&
		    p->scheme != NULL && strcmp(p->scheme, "duet") != 0)
			conf_error(cp, line_of(c, S_PRINTER, p->name,
			    "duet_mode"), "duet_mode: [printer %s]'s device %s"
			    " is not a Duet's (duet://HOST)", p->name,
			    p->device);
		/* One credential a printer: its backend is given one file. */
		if (p->password_file != NULL && p->api_key_file != NULL)
			conf_error(cp, line_of(c, S_PRINTER, p->name,
			    "password_file"), "password_file: [printer %s] has"
			    " an api_key_file too; a printer's host takes one"
			    " or the other", p->name);
		conf_check_ssh(cp, c, p);
		/* Two backends cannot share a port. */
		for (j = 0; j < i; j++)
			if (p->device_path != NULL &&
			    c->printers[j].device_path != NULL &&
			    strcmp(p->device_path,
			    c->printers[j].device_path) == 0) {
				conf_error(cp, line_of(c, S_PRINTER, p->name,
				    "device"), "device: %s is [printer %s]'s"
				    " device too (line %u)", p->device_path,
				    c->printers[j].name, line_of(c, S_PRINTER,
				    c->printers[j].name, "device"));
				break;
			}
	}
	conf_check_default(cp);
	for (i = 0; i < c->nprinters; i++) {
		struct conf_printer *p = &c->printers[i];

		p->check.heat = p->policy;
		/* PrusaLink's printers take binary G-code, which the
		 * analyser cannot check yet; the serial line never does. */
		p->check.takes_bgcode = p->scheme != NULL &&
		    (strcmp(p->scheme, "prusalink") == 0 ||
		    strcmp(p->scheme, "prusalinks") == 0);
		for (k = 0; k < 3; k++)
			if (p->check.vol_min[k] >= p->check.vol_max[k])
				conf_error(cp, p->line, "[printer %s]: build_min"
				    " is not below build_volume", p->name);
	}
	for (i = 0; i < c->nclasses; i++)
		conf_class_policy(cp, &c->classes[i]);
	for (i = 0; i < c->naccounts; i++) {
		struct conf_account *a = &c->accounts[i];

		/* Accounts and local users share drop/NAME, rejected/NAME
		 * and the jobs' owner names: a clash would give the account
		 * the user's folder and jobs, or the user the account's. */
		if (getpwnam(a->name) != NULL)
			conf_error(cp, a->line, "[account %s]: a local user has"
			    " that name; an SFTP account needs a name of its own"
			    " (it would share that user's drop folder and"
			    " jobs)", a->name);
		if (a->keys == NULL && a->api_keys == NULL &&
		    a->password == NULL)
			conf_error(cp, a->line, "[account %s] has no keys"
			    " (an authorized_keys file), api_keys or password",
			    a->name);
		if (a->quota < 0)
			a->quota = c->sftp.quota;
		if (a->max_file < 0)
			a->max_file = c->sftp.max_file;
		if (a->max_sessions < 0)
			a->max_sessions = c->sftp.max_sessions;
	}
	for (i = 0; i < c->nremotes; i++)
		if (c->remotes[i].host == NULL)
			conf_error(cp, c->remotes[i].line, "[remote %s] has no"
			    " host ([user@]host[:port] of its gsftpd)",
			    c->remotes[i].name);
}

static int
conf_read(struct conf *c, const char *file,
    void (*report)(const char *msg, void *arg), void *arg, int client)
{
	struct conf_parse cp;
	int r;

	memset(c, 0, sizeof(*c));
	memset(&cp, 0, sizeof(cp));
	c->file = xstrdup(file);
	cp.conf = c;
	cp.report = report;
	cp.arg = arg;
	cp.client = client;
	conf_defaults(&cp, &sections[S_SPOOL], c);
	conf_defaults(&cp, &sections[S_SFTP], &c->sftp);
	conf_defaults(&cp, &sections[S_WEB], &c->web);
	if ((cp.fp = fopen(file, "re")) == NULL) {
		conf_error(&cp, 0, "cannot read: %s", strerror(errno));
		return -1;
	}
	/* Indented lines go on with a G-code key (conf_reader() refuses them
	 * elsewhere). */
	ini_allow_multiline = true;
	r = ini_parse_stream(conf_reader, &cp, conf_handler, &cp);
	fclose(cp.fp);
	cp.quiet = 0;
	if (r > 0 && (unsigned)r != cp.reported_line && cp.nerrors == 0 &&
	    !client)
		conf_error(&cp, (unsigned)r, "syntax error");
	else if (r < 0)
		conf_error(&cp, 0, "cannot parse (out of memory)");

	if (c->socket_path == NULL)
		c->socket_path = xasprintf("%s/control", c->spool_dir);
	if (c->sftp.host_key == NULL)
		c->sftp.host_key = xasprintf("%s/sftp/ssh_host_ed25519_key",
		    c->spool_dir);
	if (c->sftp.max_file < 0)
		c->sftp.max_file = c->max_job_size;
	if (c->web.max_file < 0)
		c->web.max_file = c->max_job_size;
	if (client)
		conf_check_default(&cp);
	else
		conf_check(&cp);
	if (c->default_printer == NULL && c->nprinters > 0)
		c->default_printer = xstrdup(c->printers[0].name);
	return cp.nerrors;
}

int
conf_load(struct conf *c, const char *file,
    void (*report)(const char *msg, void *arg), void *arg)
{
	return conf_read(c, file, report, arg, 0);
}

int
conf_load_client(struct conf *c, const char *file,
    void (*report)(const char *msg, void *arg), void *arg)
{
	return conf_read(c, file, report, arg, 1);
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nprinters; i++) {
		conf_free_keys(&sections[S_PRINTER], &c->printers[i]);
		free(c->printers[i].name);
	}
	free(c->printers);
	for (i = 0; i < c->nclasses; i++) {
		conf_free_keys(&sections[S_CLASS], &c->classes[i]);
		free(c->classes[i].name);
	}
	free(c->classes);
	for (i = 0; i < c->nusers; i++) {
		conf_free_keys(&sections[S_USER], &c->users[i]);
		free(c->users[i].name);
	}
	free(c->users);
	for (i = 0; i < c->ngroups; i++) {
		conf_free_keys(&sections[S_GROUP], &c->groups[i]);
		free(c->groups[i].name);
	}
	free(c->groups);
	for (i = 0; i < c->nmaterials; i++) {
		conf_free_keys(&sections[S_MATERIAL], &c->materials[i]);
		free(c->materials[i].name);
	}
	free(c->materials);
	for (i = 0; i < c->naccounts; i++) {
		conf_free_keys(&sections[S_ACCOUNT], &c->accounts[i]);
		free(c->accounts[i].name);
	}
	free(c->accounts);
	for (i = 0; i < c->nremotes; i++) {
		conf_free_keys(&sections[S_REMOTE], &c->remotes[i]);
		free(c->remotes[i].name);
	}
	free(c->remotes);
	conf_free_keys(&sections[S_SFTP], &c->sftp);
	conf_free_keys(&sections[S_WEB], &c->web);
	conf_free_keys(&sections[S_SPOOL], c);
	for (i = 0; i < c->nseen; i++)
		free(c->seen[i].name);
	free(c->seen);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

unsigned
conf_line(const struct conf *c, const char *section, const char *name,
    const char *key)
{
	const struct conf_section *sec;
	const struct conf_key *k;

	for (sec = sections; sec < sections + S_COUNT; sec++)
		if (strcmp(sec->name, section) == 0 &&
		    (k = conf_find_key(sec, key)) != NULL)
			return conf_seen_line(c, sec, name, k);
	return 0;
}

void
conf_keys(void (*fn)(const char *section, const char *key, void *arg),
    void *arg)
{
	const struct conf_section *sec;
	size_t i;

	for (sec = sections; sec < sections + S_COUNT; sec++)
		for (i = 0; i < sec->nkeys; i++)
			fn(sec->name, sec->keys[i].name, arg);
}

/*
 * What spoold -n checks beyond the file: the programs it names are
 * there to run, and the devices.  A device that is missing is a warning
 * (a USB printer may be unplugged); two names of one device are an
 * error, as the same name twice is.
 */
static void
check_program(struct conf_parse *cp, unsigned line, const char *what,
    const char *path)
{
	if (access(path, X_OK) < 0)
		conf_error(cp, line, "%s %s: %s", what, path, strerror(errno));
}

/* The backend of a printer's scheme can be run.  serial and tcp are
 * gspool's own (the Marlin backend); a scheme no backend in backend_dir
 * serves is unknown. */
static void
check_backend(struct conf_parse *cp, unsigned line, const struct conf *c,
    const struct conf_printer *p)
{
	char *path = xasprintf("%s/%s", c->backend_dir, p->scheme);

	if (access(path, X_OK) < 0) {
		if (conf_scheme_local(p->scheme) ||
		    strcmp(p->scheme, "tcp") == 0)
			conf_error(cp, line, "device: its backend %s: %s", path,
			    strerror(errno));
		else
			conf_error(cp, line, "device: '%s': unknown scheme"
			    " '%s': no backend %s: %s", p->device, p->scheme,
			    path, strerror(errno));
	}
	free(path);
}

/* A group that approve_group or [group NAME] names and this host does
 * not know: a warning (its database may be a directory that is down),
 * since then only the administrators approve. */
static void
check_group(struct conf_parse *cp, unsigned line, const char *what,
    const char *group)
{
	if (group != NULL && group[0] != '\0' && getgrnam(group) == NULL)
		conf_warn(cp, line, "%s: %s is not a group of this host", what,
		    group);
}

static void
check_groups(struct conf_parse *cp, const struct conf *c)
{
	size_t i;

	check_group(cp, line_of(c, S_SPOOL, NULL, "approve_group"),
	    "approve_group", c->approve_group);
	for (i = 0; i < c->nprinters; i++)
		check_group(cp, line_of(c, S_PRINTER, c->printers[i].name,
		    "approve_group"), "approve_group",
		    c->printers[i].approval.group);
	for (i = 0; i < c->nclasses; i++)
		check_group(cp, line_of(c, S_CLASS, c->classes[i].name,
		    "approve_group"), "approve_group",
		    c->classes[i].approval.group);
	for (i = 0; i < c->nusers; i++)
		check_group(cp, line_of(c, S_USER, c->users[i].name,
		    "approve_group"), "approve_group",
		    c->users[i].approval.group);
	for (i = 0; i < c->naccounts; i++)
		check_group(cp, line_of(c, S_ACCOUNT, c->accounts[i].name,
		    "approve_group"), "approve_group",
		    c->accounts[i].approval.group);
	for (i = 0; i < c->ngroups; i++) {
		check_group(cp, c->groups[i].line, "[group]",
		    c->groups[i].name);
		check_group(cp, line_of(c, S_GROUP, c->groups[i].name,
		    "approve_group"), "approve_group",
		    c->groups[i].approval.group);
	}
}

int
conf_check_host(const struct conf *c,
    void (*report)(const char *msg, void *arg), void *arg)
{
	struct conf_parse cp;
	struct stat *st;
	char *path;
	size_t i, j;
	int f, *ok;

	memset(&cp, 0, sizeof(cp));
	cp.conf = (struct conf *)c;
	cp.report = report;
	cp.arg = arg;
	if (c->notify != NULL)
		check_program(&cp, line_of(c, S_SPOOL, NULL, "notify"),
		    "notify:", c->notify);
	if (conf_notify_any(c)) {
		check_program(&cp, line_of(c, S_SPOOL, NULL, "notifier"),
		    "notifier:", c->notifier);
		check_program(&cp, line_of(c, S_SPOOL, NULL, "apprise"),
		    "apprise:", c->apprise);
	}
	check_groups(&cp, c);
	st = xmalloc((c->nprinters + 1) * sizeof(*st));
	ok = xmalloc((c->nprinters + 1) * sizeof(*ok));
	for (i = 0; i < c->nprinters; i++) {
		const struct conf_printer *p = &c->printers[i];
		unsigned dline = line_of(c, S_PRINTER, p->name, "device");

		ok[i] = 0;
		if (p->device_path == NULL || p->scheme == NULL)
			continue;
		/* spoold runs BACKEND_DIR/SCHEME for a device: each
		 * scheme is checked once, at the first device of it. */
		for (j = 0; j < i; j++)
			if (c->printers[j].scheme != NULL &&
			    strcmp(c->printers[j].scheme, p->scheme) == 0)
				break;
		if (j == i)
			check_backend(&cp, dline ? dline : p->line, c, p);
		for (f = 0; f < p->nfilters; f++) {
			path = xasprintf("%s/%s", c->filter_dir, p->filters[f]);
			check_program(&cp, line_of(c, S_PRINTER, p->name,
			    "filters"), "filters:", path);
			free(path);
		}
		if (!conf_scheme_local(p->scheme))
			continue;	/* not a file of this host */
		if (stat(p->device_path, &st[i]) < 0) {
			conf_warn(&cp, dline, "device: %s: %s (is the printer"
			    " plugged in?)", p->device_path, strerror(errno));
			continue;
		}
		ok[i] = 1;
		for (j = 0; j < i; j++)
			if (ok[j] && st[j].st_dev == st[i].st_dev &&
			    st[j].st_ino == st[i].st_ino &&
			    strcmp(p->device_path,
			    c->printers[j].device_path) != 0) {
				conf_error(&cp, dline, "device: %s is %s, [printer"
				    " %s]'s device (line %u)", p->device_path,
				    c->printers[j].device_path,
				    c->printers[j].name, line_of(c, S_PRINTER,
				    c->printers[j].name, "device"));
				break;
			}
	}
	free(st);
	free(ok);
	return cp.nerrors;
}

/* Are notify_urls set anywhere? */
int
conf_notify_any(const struct conf *c)
{
	size_t i;

	if (c->notify_all.nurls > 0)
		return 1;
	for (i = 0; i < c->nprinters; i++)
		if (c->printers[i].notify.nurls > 0)
			return 1;
	for (i = 0; i < c->nusers; i++)
		if (c->users[i].notify.nurls > 0)
			return 1;
	for (i = 0; i < c->naccounts; i++)
		if (c->accounts[i].notify.nurls > 0)
			return 1;
	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i].notify.nurls > 0)
			return 1;
	return 0;
}

struct conf_group *
conf_group(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i].name, name) == 0)
			return &c->groups[i];
	return NULL;
}

/* A material by its name, as slicers write it in any case ("PETG",
 * "petg"). */
struct conf_material *
conf_material(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nmaterials; i++)
		if (strcasecmp(c->materials[i].name, name) == 0)
			return &c->materials[i];
	return NULL;
}

struct conf_user *
conf_user(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nusers; i++)
		if (strcmp(c->users[i].name, name) == 0)
			return &c->users[i];
	return NULL;
}

struct conf_account *
conf_account(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->naccounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

struct conf_printer *
conf_printer(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nprinters; i++)
		if (strcmp(c->printers[i].name, name) == 0)
			return &c->printers[i];
	return NULL;
}

static int
code_in(const struct gcode_code *list, int n, const struct gcode_code *c)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i].letter == c->letter && list[i].number == c->number)
			return 1;
	return 0;
}

/* The policy of a class: the lowest heater limits, the build volume all
 * members share, every command one of them forbids, and only commands
 * every allow-list among them allows. */
static void
conf_class_policy(struct conf_parse *cp, struct conf_class *k)
{
	struct analyse_policy *a = &k->check;
	size_t m, known = 0;
	int i, j, first_allow = 1;

	/* A member that is no printer is an error of its own, already
	 * said: the policy is the known members', and with none there is
	 * none to check. */
	for (m = 0; m < k->nmembers; m++) {
		const struct conf_printer *p = conf_printer(cp->conf,
		    k->members[m]);

		if (p == NULL)
			continue;
		if (known++ == 0) {
			*a = p->check;
			k->policy = p->policy;
			first_allow = p->check.nallowed == 0;
			continue;
		}
		if (p->policy.max_hotend < k->policy.max_hotend)
			k->policy.max_hotend = p->policy.max_hotend;
		if (p->policy.max_bed < k->policy.max_bed)
			k->policy.max_bed = p->policy.max_bed;
		if (p->policy.max_chamber < k->policy.max_chamber)
			k->policy.max_chamber = p->policy.max_chamber;
		/* A dialect all members speak, else none is known (each
		 * member checks the job again when it is handed over); a
		 * mismatch is only a warning if it is for every member. */
		if (p->check.firmware != a->firmware)
			a->firmware = GCODE_FW_UNKNOWN;
		if (!p->check.dialect_warn)
			a->dialect_warn = 0;
		if (!p->check.takes_bgcode)
			a->takes_bgcode = 0;
		for (i = 0; i < 3; i++) {
			if (p->check.vol_min[i] > a->vol_min[i])
				a->vol_min[i] = p->check.vol_min[i];
			if (p->check.vol_max[i] < a->vol_max[i])
				a->vol_max[i] = p->check.vol_max[i];
		}
		for (i = 0; i < p->check.nforbidden; i++) {
			if (code_in(a->forbidden, a->nforbidden,
			    &p->check.forbidden[i]))
				continue;
			if (a->nforbidden == ANALYSE_CODES) {
				conf_error(cp, k->line, "[class %s]: its members"
				    " forbid more than %d commands in all",
				    k->name, ANALYSE_CODES);
				break;
			}
			a->forbidden[a->nforbidden++] = p->check.forbidden[i];
		}
		if (p->check.nallowed == 0)
			continue;
		if (first_allow) {
			memcpy(a->allowed, p->check.allowed,
			    sizeof(a->allowed));
			a->nallowed = p->check.nallowed;
			first_allow = 0;
			continue;
		}
		for (i = j = 0; i < a->nallowed; i++)
			if (code_in(p->check.allowed, p->check.nallowed,
			    &a->allowed[i]))
				a->allowed[j++] = a->allowed[i];
		a->nallowed = j;
		if (j == 0)
			conf_error(cp, k->line, "[class %s]: the allow-lists of"
			    " its members have no command in common", k->name);
	}
	a->heat = k->policy;
	for (i = 0; i < 3; i++)
		if (known > 0 && a->vol_min[i] >= a->vol_max[i]) {
			conf_error(cp, k->line, "[class %s]: its printers' build"
			    " volumes do not overlap", k->name);
			break;
		}
}

struct conf_class *
conf_class(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nclasses; i++)
		if (strcmp(c->classes[i].name, name) == 0)
			return &c->classes[i];
	return NULL;
}

int
conf_class_has(const struct conf_class *k, const char *printer)
{
	size_t i;

	for (i = 0; i < k->nmembers; i++)
		if (strcmp(k->members[i], printer) == 0)
			return 1;
	return 0;
}

const char *
conf_path(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("GSPOOL_CONF")) != NULL && *env != '\0')
		return env;
	return conf_default_path();
}

const char *
conf_default_path(void)
{
	return SYSCONFDIR "/gspool/gspool.conf";
}

void
conf_user_limits(const struct conf *c, const char *user,
    long long *max_job_size, long *max_jobs)
{
	size_t i;

	*max_job_size = c->max_job_size;
	*max_jobs = c->max_user_jobs;
	for (i = 0; i < c->nusers; i++) {
		if (strcmp(c->users[i].name, user) != 0)
			continue;
		if (c->users[i].max_job_size > 0)
			*max_job_size = c->users[i].max_job_size;
		if (c->users[i].max_jobs >= 0)
			*max_jobs = c->users[i].max_jobs;
	}
}

/*
 * Does key k hold the same in objects a and b of its section?  Keys
 * kept at an offset are compared as their type is kept; the keys with a
 * structure of their own by what their helper sets.
 */
static int
conf_key_differs(const struct conf_key *k, const void *a, const void *b)
{
	const void *x = (const char *)a + k->off, *y = (const char *)b + k->off;
	const struct conf_printer *pa = a, *pb = b;
	const struct conf_class *ca = a, *cb = b;
	const struct conf_sftp *sa = a, *sb = b;
	size_t i;

	switch (k->type) {
	case CT_STR:
	case CT_PATH:
	case CT_SCRIPT:
		break;
	case CT_WORD:
		if (k->max > 0)
			return strcmp(x, y) != 0;
		break;
	case CT_INT:
	case CT_BOOL:
	case CT_CHOICE:
		return *(const int *)x != *(const int *)y;
	case CT_LONG:
	case CT_MSEC:
	case CT_TIME:
	case CT_CENTS:
		return *(const long *)x != *(const long *)y;
	case CT_SIZE:
		return *(const long long *)x != *(const long long *)y;
	case CT_FUNC:
		if (k->set == set_device)
			return strcmp(pa->device, pb->device) != 0;
		if (k->set == set_macro_params)
			return strcmp(pa->policy.macro_params[(int)k->min],
			    pb->policy.macro_params[(int)k->min]) != 0;
		if (k->set == set_firmware)
			return pa->check.firmware != pb->check.firmware;
		if (k->set == set_volume && k->min)
			return memcmp(pa->check.vol_max, pb->check.vol_max,
			    sizeof(pa->check.vol_max)) != 0;
		if (k->set == set_volume)
			return pa->volume_min_set != pb->volume_min_set ||
			    memcmp(pa->check.vol_min, pb->check.vol_min,
			    sizeof(pa->check.vol_min)) != 0;
		if (k->set == set_codes && k->min)
			return pa->check.nforbidden != pb->check.nforbidden ||
			    memcmp(pa->check.forbidden, pb->check.forbidden,
			    sizeof(pa->check.forbidden)) != 0;
		if (k->set == set_codes)
			return pa->check.nallowed != pb->check.nallowed ||
			    memcmp(pa->check.allowed, pb->check.allowed,
			    sizeof(pa->check.allowed)) != 0;
		if (k->set == set_filters) {
			if (pa->nfilters != pb->nfilters)
				return 1;
			for (i = 0; i < (size_t)pa->nfilters; i++)
				if (strcmp(pa->filters[i], pb->filters[i]) != 0)
					return 1;
			return 0;
		}
		if (k->set == set_members) {
			if (ca->nmembers != cb->nmembers)
				return 1;
			for (i = 0; i < ca->nmembers; i++)
				if (strcmp(ca->members[i], cb->members[i]) != 0)
					return 1;
			return 0;
		}
		if (k->set == set_fit && k->min == FIT_MODEL)
			return pa->fit.nmodels != pb->fit.nmodels ||
			    memcmp(pa->fit.models, pb->fit.models,
			    sizeof(pa->fit.models)) != 0;
		if (k->set == set_fit && k->min == FIT_NOZZLE)
			return pa->fit.nnozzles != pb->fit.nnozzles ||
			    memcmp(pa->fit.nozzle, pb->fit.nozzle,
			    sizeof(pa->fit.nozzle)) != 0;
		if (k->set == set_fit)
			return pa->fit.nmaterials != pb->fit.nmaterials ||
			    memcmp(pa->fit.material, pb->fit.material,
			    sizeof(pa->fit.material)) != 0;
		if (k->set == set_startups)
			return sa->startups_begin != sb->startups_begin ||
			    sa->startups_rate != sb->startups_rate ||
			    sa->startups_full != sb->startups_full;
		break;		/* a text at its offset: camera, user */
	}
	x = *(char *const *)x;
	y = *(char *const *)y;
	return strcmp(x != NULL ? x : "", y != NULL ? y : "") != 0;
}

int
conf_changes(const char *section, const void *a, const void *b, char *out,
    size_t outsz)
{
	const struct conf_section *sec;
	const struct conf_key *k;
	size_t o = 0;
	int n = 0;

	if (outsz > 0)
		out[0] = '\0';
	for (sec = sections; sec < sections + S_COUNT; sec++)
		if (strcmp(sec->name, section) == 0)
			break;
	if (sec == sections + S_COUNT)
		return -1;
	if (sec == &sections[S_SFTP]) {
		a = &((const struct conf *)a)->sftp;
		b = &((const struct conf *)b)->sftp;
	}
	if (sec == &sections[S_WEB]) {
		a = &((const struct conf *)a)->web;
		b = &((const struct conf *)b)->web;
	}
	for (k = sec->keys; k < sec->keys + sec->nkeys; k++) {
		if (!conf_key_differs(k, a, b))
			continue;
		/* The list is cut at outsz, the count never. */
		if (o < outsz)
			o += (size_t)snprintf(out + o, outsz - o, "%s%s",
			    n > 0 ? ", " : "", k->name);
		n++;
	}
	if (o >= outsz && outsz > 3)
		strcpy(out + outsz - 4, "...");
	return n;
}
