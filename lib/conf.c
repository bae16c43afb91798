/*
 * conf.c - read and check gspool.conf.
 *
 * The syntax is INI, parsed by libinih; this file knows the keys.  Every
 * error is reported with its line number and parsing goes on, so one run
 * of "spoold -n" shows them all.  libinih does not give line numbers to
 * its handler, so the reader function that feeds it counts lines, and
 * also catches lines libinih would reject without telling which.
 *
 * Security: the file is trusted as far as the administrator is, but a
 * mistake in it must never crash a daemon: every value is checked.
 *
 * Diagnostics: each error is "FILE:LINE: what", through the caller's
 * report function; the count of errors is returned.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

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
	unsigned	 default_line;	/* where default_printer was set */
	unsigned	 keep_line;	/* where keep_jobs or keep_files was */
	unsigned	 user_line;	/* where [spool] or [sftp] user was */
	int		 in_script;	/* the last key was a G-code key */
	int		 have_key;	/* a key since the last header */
	int		 nerrors;
	void		(*report)(const char *, void *);
	void		*arg;
};

#define CONF_VOLUME_MAX	100000	/* mm: a build volume, 100 m */

static void conf_class_policy(struct conf_parse *, struct conf_class *);
static void conf_error(struct conf_parse *, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_error(struct conf_parse *cp, unsigned line, const char *fmt, ...)
{
	char msg[512], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(full, sizeof(full), "%s:%u: %s", cp->conf->file, line,
		    msg);
	else
		snprintf(full, sizeof(full), "%s: %s", cp->conf->file, msg);
	cp->nerrors++;
	cp->report(full, cp->arg);
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
		if (strchr(s, '=') != NULL) {
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
			conf_error(cp, cp->line, "section header without ']'");
			cp->reported_line = cp->line;
			str[0] = '\0';
		} else {
			cp->section_line = cp->line;
			cp->have_key = 0;
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
	cp->in_script = (p - s > 6 && strncmp(p - 6, "_gcode", 6) == 0) ||
	    (p - s == 12 && strncmp(s, "between_jobs", 12) == 0);
	return str;
}

const char *const conf_script_names[CONF_SCRIPTS] = {
	"pause", "resume", "cancel", "between", "park", "unpark",
};

/* Park: finish the moves, retract, lift.  Resume: the backend moves the
 * head back over the print, then this, then restores E and the modes.
 * Cancel: heaters, fan and motors off, the head lifted clear. */
static const char *const script_defaults[CONF_SCRIPTS] = {
	"M400\nM83\nG1 E-2 F2700\nG91\nG1 Z10 F600\nG90",
	"M83\nG1 E2 F2700",
	"M104 S0\nM140 S0\nM107\nG91\nG1 Z10 F600\nG90\nM84",
	"",
	"",
	"",
};

static struct conf_printer *
conf_add_printer(struct conf_parse *cp, const char *name)
{
	struct conf *c = cp->conf;
	struct conf_printer *p;
	int i;

	if ((p = conf_printer(c, name)) != NULL) {
		/* libinih calls once per key: report a second section of
		 * the same name once, at its header. */
		if (p->line != cp->section_line &&
		    cp->dup_line != cp->section_line) {
			cp->dup_line = cp->section_line;
			conf_error(cp, cp->section_line, "[printer %s] is"
			    " already defined at line %u", name, p->line);
		}
		return p;
	}
	c->printers = xrealloc(c->printers,
	    (c->nprinters + 1) * sizeof(*c->printers));
	p = &c->printers[c->nprinters++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->baud = 115200;
	p->handshake_timeout = 10;
	p->reconnect_interval = 2;
	p->window = 4;
	p->rx_buffer = 128;
	p->ok_timeout = 30;
	p->max_timeouts = 5;
	p->resend_ok = xstrdup("auto");
	p->park_timeout = 5;
	p->heaters_off_after = 600;
	snprintf(p->on_unknown_command, sizeof(p->on_unknown_command), "pause");
	gcode_policy_default(&p->policy);
	analyse_policy_default(&p->check);
	for (i = 0; i < CONF_SCRIPTS; i++)
		p->script[i] = xstrdup(script_defaults[i]);
	p->line = cp->section_line;
	return p;
}

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

static void
conf_set_str(char **dst, const char *value)
{
	free(*dst);
	*dst = xstrdup(value);
}

/* Split "serial:PATH?baud=N" or "PATH" into path and baud. */
static void
conf_device(struct conf_parse *cp, struct conf_printer *p, const char *value)
{
	const char *path = value, *q;
	long baud;

	conf_set_str(&p->device, value);
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
	else if (strchr(path, ':') != NULL && path[0] != '/') {
		conf_error(cp, cp->line, "device: '%s': unknown kind of device"
		    " (expected serial:PATH[?baud=N], tcp://HOST:PORT or an"
		    " absolute path)",
		    value);
		return;
	}
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

/* build_volume = X Y Z (the far corner, mm); build_min = X Y Z (the
 * near corner, 0 0 0 unless given). */
#define CONF_VOLUME_MAX	100000
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
 * continuation lines, or the key repeated) add to it. */
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

/* filters = NAME ...: programs in filter_dir, run beside each job. */
static void
conf_filters(struct conf_parse *cp, struct conf_printer *p, const char *value)
{
	char *list = xstrdup(value), *w, *save;

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
conf_class_section(struct conf_parse *cp, const char *name, const char *key,
    const char *value)
{
	struct conf *c = cp->conf;
	struct conf_class *k;
	char *list, *w, *save;

	if ((k = conf_class(c, name)) == NULL) {
		c->classes = xrealloc(c->classes,
		    (c->nclasses + 1) * sizeof(*c->classes));
		k = &c->classes[c->nclasses++];
		memset(k, 0, sizeof(*k));
		k->name = xstrdup(name);
		k->line = cp->section_line;
	}
	if (strcmp(key, "description") == 0) {
		conf_set_str(&k->description, value);
		return;
	}
	if (strcmp(key, "printers") != 0) {
		conf_error(cp, cp->line, "unknown key '%s' in [class %s]", key,
		    name);
		return;
	}
	list = xstrdup(value);
	for (w = strtok_r(list, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		if (!name_is_safe(w, CONF_NAME_MAX)) {
			conf_error(cp, cp->line, "printers: '%s' is not a"
			    " printer name", w);
			continue;
		}
		if (conf_class_has(k, w)) {
			conf_error(cp, cp->line, "printers: %s is named twice",
			    w);
			continue;
		}
		k->members = xrealloc(k->members,
		    (k->nmembers + 1) * sizeof(*k->members));
		k->members[k->nmembers++] = xstrdup(w);
	}
	free(list);
}

/* Keys shared by [sftp] (defaults) and [account NAME]. */
static int
conf_account_limit(struct conf_parse *cp, const char *key, const char *value,
    long long *quota, long long *max_file, long *max_sessions)
{
	long v;

	if (strcmp(key, "quota") == 0 || strcmp(key, "max_file") == 0) {
		if (parse_size(value, key[0] == 'q' ? quota : max_file) < 0)
			conf_error(cp, cp->line, "%s: '%s' is not a size such"
			    " as 500M or 2G", key, value);
		return 1;
	}
	if (strcmp(key, "max_sessions") == 0) {
		if (conf_number(cp, key, value, 1, 1000, &v) == 0)
			*max_sessions = v;
		return 1;
	}
	return 0;
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

static void
conf_sftp_key(struct conf_parse *cp, const char *key, const char *value)
{
	static const struct {
		const char *key;
		size_t off;
		long min, max;
	} times[] = {
		{ "login_grace", offsetof(struct conf_sftp, login_grace), 1,
		    3600 },
		{ "idle_timeout", offsetof(struct conf_sftp, idle_timeout), 1,
		    86400 },
		{ "stall_timeout", offsetof(struct conf_sftp, stall_timeout),
		    1, 3600 },
		{ "ban_time", offsetof(struct conf_sftp, ban_time), 0,
		    86400 * 30 },
	}, counts[] = {
		{ "max_connections", offsetof(struct conf_sftp,
		    max_connections), 1, 10000 },
		{ "max_per_address", offsetof(struct conf_sftp,
		    max_per_address), 1, 10000 },
		{ "max_auth_failures", offsetof(struct conf_sftp,
		    max_auth_failures), 1, 10000 },
	};
	struct conf_sftp *s = &cp->conf->sftp;
	size_t i;
	long v;

	if (value[0] == '\0') {
		conf_error(cp, cp->line, "%s: empty value", key);
		return;
	}
	if (strcmp(key, "listen") == 0) {
		conf_set_str(&s->listen, value);
		return;
	}
	if (strcmp(key, "host_key") == 0) {
		conf_set_str(&s->host_key, value);
		return;
	}
	if (strcmp(key, "user") == 0) {
		if (strcmp(value, "root") == 0)
			conf_error(cp, cp->line, "user: gsftpd may not run as"
			    " root");
		else {
			conf_set_str(&s->user, value);
			cp->user_line = cp->line;
		}
		return;
	}
	if (strcmp(key, "max_startups") == 0) {
		if (conf_startups(value, &s->startups_begin,
		    &s->startups_rate, &s->startups_full) < 0)
			conf_error(cp, cp->line, "max_startups: '%s' is not"
			    " BEGIN:RATE:FULL (logins in progress from which"
			    " RATE percent are dropped, 1 <= BEGIN <= FULL <="
			    " 10000, RATE up to 100) or a count", value);
		return;
	}
	if (strcmp(key, "max_startups_per_address") == 0) {
		if (conf_number(cp, key, value, 1, 10000, &v) == 0)
			s->startups_per_address = v;
		return;
	}
	if (strcmp(key, "max_memory") == 0) {
		if (parse_size(value, &s->max_memory) < 0 ||
		    s->max_memory < (16LL << 20))
			conf_error(cp, cp->line, "max_memory: '%s' is not a"
			    " size of 16M or more", value);
		return;
	}
	if (conf_account_limit(cp, key, value, &s->quota, &s->max_file,
	    &s->max_sessions))
		return;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (strcmp(key, times[i].key) == 0) {
			if (parse_duration(value, &v) < 0 || v < times[i].min ||
			    v > times[i].max)
				conf_error(cp, cp->line, "%s: '%s' is not a time"
				    " from %lds to %lds", key, value,
				    times[i].min, times[i].max);
			else
				*(long *)(void *)((char *)s + times[i].off) = v;
			return;
		}
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (strcmp(key, counts[i].key) == 0) {
			if (conf_number(cp, key, value, counts[i].min,
			    counts[i].max, &v) == 0)
				*(long *)(void *)((char *)s + counts[i].off) = v;
			return;
		}
	conf_error(cp, cp->line, "unknown key '%s' in [sftp]", key);
}

static void
conf_account_key(struct conf_parse *cp, const char *name, const char *key,
    const char *value)
{
	struct conf *c = cp->conf;
	struct conf_account *a;

	if ((a = conf_account(c, name)) == NULL) {
		c->accounts = xrealloc(c->accounts,
		    (c->naccounts + 1) * sizeof(*c->accounts));
		a = &c->accounts[c->naccounts++];
		memset(a, 0, sizeof(*a));
		a->name = xstrdup(name);
		a->quota = a->max_file = -1;
		a->max_sessions = -1;
		a->line = cp->section_line;
	}
	if (value[0] == '\0') {
		conf_error(cp, cp->line, "%s: empty value", key);
		return;
	}
	if (strcmp(key, "keys") == 0)
		conf_set_str(&a->keys, value);
	else if (!conf_account_limit(cp, key, value, &a->quota, &a->max_file,
	    &a->max_sessions))
		conf_error(cp, cp->line, "unknown key '%s' in [account %s]",
		    key, name);
}

static int
conf_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct conf_parse *cp = user;
	struct conf *c = cp->conf;
	struct conf_printer *p;
	long v;

	if (cp->reported_line == cp->line)
		return 1;
	if (strcmp(section, "spool") == 0) {
		if (value[0] == '\0') {
			conf_error(cp, cp->line, "%s: empty value", key);
			return 1;
		}
		if (strcmp(key, "directory") == 0)
			conf_set_str(&c->spool_dir, value);
		else if (strcmp(key, "socket") == 0)
			conf_set_str(&c->socket_path, value);
		else if (strcmp(key, "backend_dir") == 0)
			conf_set_str(&c->backend_dir, value);
		else if (strcmp(key, "filter_dir") == 0)
			conf_set_str(&c->filter_dir, value);
		else if (strcmp(key, "filter_timeout") == 0) {
			if (parse_duration(value, &v) < 0 || v < 1)
				conf_error(cp, cp->line, "filter_timeout: '%s' is"
				    " not a time such as 10m or 600", value);
			else
				c->filter_timeout = v;
		} else if (strcmp(key, "filter_max_output") == 0) {
			if (parse_size(value, &c->filter_max_output) < 0)
				conf_error(cp, cp->line, "filter_max_output: '%s'"
				    " is not a size such as 500M or 2G", value);
		}
		else if (strcmp(key, "default_printer") == 0) {
			conf_set_str(&c->default_printer, value);
			cp->default_line = cp->line;
		}
		else if (strcmp(key, "magic") == 0)
			conf_set_str(&c->magic, value);
		else if (strcmp(key, "admin_group") == 0)
			conf_set_str(&c->admin_group, value);
		else if (strcmp(key, "user") == 0) {
			conf_set_str(&c->user, value);
			cp->user_line = cp->line;
		}
		else if (strcmp(key, "notify") == 0)
			conf_set_str(&c->notify, value);
		else if (strcmp(key, "show_titles") == 0) {
			if ((c->show_titles = parse_yesno(value)) < 0) {
				conf_error(cp, cp->line, "show_titles: '%s' is"
				    " not yes or no", value);
				c->show_titles = 0;
			}
		} else if (strcmp(key, "keep_jobs") == 0 ||
		    strcmp(key, "keep_files") == 0 ||
		    strcmp(key, "keep_rejected") == 0) {
			long d;

			if (parse_duration(value, &d) < 0)
				conf_error(cp, cp->line, "%s: '%s' is not a"
				    " time such as 30d, 12h, 15m or 90s (up to"
				    " ten years)", key, value);
			else {
				if (key[5] == 'j')
					c->keep_jobs = d;
				else if (key[5] == 'f')
					c->keep_files = d;
				else
					c->keep_rejected = d;
				if (key[5] != 'r')
					cp->keep_line = cp->line;
			}
		} else if (strcmp(key, "rejection_window") == 0) {
			long d;

			if (parse_duration(value, &d) < 0 || d < 1 ||
			    d > 7 * 86400)
				conf_error(cp, cp->line, "rejection_window: '%s'"
				    " is not a time from 1s to 7d", value);
			else
				c->rejection_window = d;
		} else if (strcmp(key, "max_rejections") == 0) {
			if (conf_number(cp, key, value, 0, 1000000, &v) == 0)
				c->max_rejections = v;
		}
		else if (strcmp(key, "max_user_jobs") == 0) {
			if (conf_number(cp, key, value, 0, 1000000, &v) == 0)
				c->max_user_jobs = v;
		} else if (strcmp(key, "drop_quiet") == 0) {
			if (conf_number(cp, key, value, 0, 600, &v) == 0)
				c->drop_quiet_ms = v * 1000;
		} else if (strcmp(key, "max_job_size") == 0) {
			if (parse_size(value, &c->max_job_size) < 0)
				conf_error(cp, cp->line, "max_job_size: '%s' is"
				    " not a size such as 500M or 2G", value);
		}
		else
			conf_error(cp, cp->line, "unknown key '%s' in [spool]",
			    key);
		if ((strcmp(key, "directory") == 0 ||
		    strcmp(key, "magic") == 0 ||
		    strcmp(key, "notify") == 0 ||
		    strcmp(key, "socket") == 0 ||
		    strcmp(key, "backend_dir") == 0 ||
		    strcmp(key, "filter_dir") == 0) && value[0] != '/')
			conf_error(cp, cp->line, "%s: '%s' must be an absolute"
			    " path", key, value);
		return 1;
	}
	if (strncmp(section, "printer ", 8) == 0) {
		const char *name = section + 8;

		while (*name == ' ')
			name++;
		if (!name_is_safe(name, CONF_NAME_MAX)) {
			conf_error(cp, cp->section_line, "printer name '%s':"
			    " use 1 to %d letters, digits, '.', '_' or '-'",
			    name, CONF_NAME_MAX);
			/* One report per section is enough. */
			cp->reported_line = cp->line;
			return 1;
		}
		p = conf_add_printer(cp, name);
		if (strcmp(key, "device") == 0)
			conf_device(cp, p, value);
		else if (strcmp(key, "description") == 0)
			conf_set_str(&p->description, value);
		else if (strcmp(key, "max_hotend") == 0) {
			if (conf_number(cp, key, value, 0, 500, &v) == 0)
				p->policy.max_hotend = (int)v;
		} else if (strcmp(key, "max_bed") == 0) {
			if (conf_number(cp, key, value, 0, 200, &v) == 0)
				p->policy.max_bed = (int)v;
		} else if (strcmp(key, "max_chamber") == 0) {
			if (conf_number(cp, key, value, 0, 200, &v) == 0)
				p->policy.max_chamber = (int)v;
		} else if (strcmp(key, "firmware") == 0) {
			if (gcode_firmware_parse(value, &p->check.firmware) < 0)
				conf_error(cp, cp->line, "firmware: '%s' is not"
				    " marlin, prusa, klipper, reprapfirmware,"
				    " repetier, smoothieware or empty", value);
		} else if (strcmp(key, "dialect_mismatch") == 0) {
			if (strcmp(value, "refuse") == 0)
				p->check.dialect_warn = 0;
			else if (strcmp(value, "warn") == 0)
				p->check.dialect_warn = 1;
			else
				conf_error(cp, cp->line, "dialect_mismatch: '%s'"
				    " is not refuse or warn", value);
		} else if (strcmp(key, "hotend_macro_params") == 0 ||
		    strcmp(key, "bed_macro_params") == 0 ||
		    strcmp(key, "chamber_macro_params") == 0) {
			int h = key[0] == 'h' ? GCODE_HOTEND : key[0] == 'b' ?
			    GCODE_BED : GCODE_CHAMBER;
			char bad[72];

			if (gcode_params_parse(value, p->policy.macro_params[h],
			    sizeof(p->policy.macro_params[h]), bad,
			    sizeof(bad)) < 0)
				conf_error(cp, cp->line, "%s: '%s' is not a"
				    " parameter name (letters, digits and '_'),"
				    " or the list is longer than %d bytes", key,
				    bad, GCODE_PARAMS_MAX - 2);
		} else if (strcmp(key, "handshake_timeout") == 0) {
			if (conf_number(cp, key, value, 0, 600, &v) == 0)
				p->handshake_timeout = v;
		} else if (strcmp(key, "reconnect_interval") == 0) {
			if (conf_number(cp, key, value, 1, 3600, &v) == 0)
				p->reconnect_interval = v;
		} else if (strcmp(key, "window") == 0) {
			if (conf_number(cp, key, value, 1, 64, &v) == 0)
				p->window = v;
		} else if (strcmp(key, "rx_buffer") == 0) {
			if (conf_number(cp, key, value, 16, 65536, &v) == 0)
				p->rx_buffer = v;
		} else if (strcmp(key, "ok_timeout") == 0) {
			if (conf_number(cp, key, value, 1, 3600, &v) == 0)
				p->ok_timeout = v;
		} else if (strcmp(key, "max_timeouts") == 0) {
			if (conf_number(cp, key, value, 1, 100, &v) == 0)
				p->max_timeouts = v;
		} else if (strcmp(key, "build_volume") == 0 ||
		    strcmp(key, "build_min") == 0)
			conf_volume(cp, p, key, value);
		else if (strcmp(key, "forbidden_gcode") == 0 ||
		    strcmp(key, "allowed_gcode") == 0) {
			int forbid = key[0] == 'f', n;
			char bad[32];

			if (analyse_parse_codes(value, forbid ?
			    p->check.forbidden : p->check.allowed,
			    ANALYSE_CODES, &n, bad, sizeof(bad)) < 0)
				conf_error(cp, cp->line, "%s: '%s' is not a"
				    " command such as M500 (at most %d)", key,
				    bad, ANALYSE_CODES);
			else if (forbid)
				p->check.nforbidden = n;
			else
				p->check.nallowed = n;
		} else if (strcmp(key, "pause_gcode") == 0)
			conf_script(cp, p, CONF_PAUSE, key, value);
		else if (strcmp(key, "resume_gcode") == 0)
			conf_script(cp, p, CONF_RESUME, key, value);
		else if (strcmp(key, "cancel_gcode") == 0)
			conf_script(cp, p, CONF_CANCEL, key, value);
		else if (strcmp(key, "between_jobs") == 0)
			conf_script(cp, p, CONF_BETWEEN, key, value);
		else if (strcmp(key, "park_gcode") == 0)
			conf_script(cp, p, CONF_PARK, key, value);
		else if (strcmp(key, "unpark_gcode") == 0)
			conf_script(cp, p, CONF_UNPARK, key, value);
		else if (strcmp(key, "park_timeout") == 0) {
			if (conf_number(cp, key, value, 1, 60, &v) == 0)
				p->park_timeout = v;
		}
		else if (strcmp(key, "filters") == 0)
			conf_filters(cp, p, value);
		else if (strcmp(key, "filter_options") == 0)
			conf_set_str(&p->filter_options, value);
		else if (strcmp(key, "camera") == 0) {
			if (strncmp(value, "http://", 7) != 0 &&
			    strncmp(value, "https://", 8) != 0 &&
			    strncmp(value, "/dev/", 5) != 0)
				conf_error(cp, cp->line, "camera: '%s' is not an"
				    " http:// or https:// URL or a /dev/ device",
				    value);
			else
				conf_set_str(&p->camera, value);
		}
		else if (strcmp(key, "clears_bed") == 0) {
			if ((p->clears_bed = parse_yesno(value)) < 0) {
				conf_error(cp, cp->line, "clears_bed: '%s' is"
				    " not yes or no", value);
				p->clears_bed = 0;
			}
		}
		else if (strcmp(key, "heaters_off_after") == 0) {
			if (parse_duration(value, &v) < 0 || v > 7 * 86400)
				conf_error(cp, cp->line, "heaters_off_after: '%s'"
				    " is not a time up to 7d (\"10m\"; 0 never)",
				    value);
			else
				p->heaters_off_after = v;
		}
		else if (strcmp(key, "on_unknown_command") == 0) {
			if (strcmp(value, "continue") != 0 &&
			    strcmp(value, "pause") != 0 &&
			    strcmp(value, "abort") != 0)
				conf_error(cp, cp->line, "on_unknown_command: '%s'"
				    " is not continue, pause or abort", value);
			else
				snprintf(p->on_unknown_command,
				    sizeof(p->on_unknown_command), "%s", value);
		}
		else if (strcmp(key, "resend_ok") == 0) {
			if (strcmp(value, "auto") != 0 &&
			    strcmp(value, "yes") != 0 &&
			    strcmp(value, "no") != 0)
				conf_error(cp, cp->line, "resend_ok: '%s' is"
				    " not auto, yes or no", value);
			else
				conf_set_str(&p->resend_ok, value);
		} else
			conf_error(cp, cp->line, "unknown key '%s' in [printer"
			    " %s]", key, name);
		return 1;
	}
	if (strncmp(section, "class ", 6) == 0) {
		const char *name = section + 6;

		while (*name == ' ')
			name++;
		if (!name_is_safe(name, CONF_NAME_MAX)) {
			conf_error(cp, cp->section_line, "class name '%s':"
			    " use 1 to %d letters, digits, '.', '_' or '-'",
			    name, CONF_NAME_MAX);
			cp->reported_line = cp->line;
			return 1;
		}
		conf_class_section(cp, name, key, value);
		return 1;
	}
	if (strcmp(section, "sftp") == 0) {
		conf_sftp_key(cp, key, value);
		return 1;
	}
	if (strncmp(section, "account ", 8) == 0) {
		const char *name = section + 8;

		while (*name == ' ')
			name++;
		if (!name_is_safe(name, CONF_NAME_MAX) || name[0] == '.') {
			conf_error(cp, cp->section_line, "account name '%s':"
			    " use 1 to %d letters, digits, '.', '_' or '-'",
			    name, CONF_NAME_MAX);
			cp->reported_line = cp->line;
			return 1;
		}
		conf_account_key(cp, name, key, value);
		return 1;
	}
	if (strncmp(section, "user ", 5) == 0) {
		const char *name = section + 5;
		struct conf_user *u = NULL;
		size_t i;

		while (*name == ' ')
			name++;
		if (!name_is_safe(name, 63)) {
			conf_error(cp, cp->section_line, "user name '%s': use"
			    " 1 to 63 letters, digits, '.', '_' or '-'", name);
			cp->reported_line = cp->line;
			return 1;
		}
		for (i = 0; i < c->nusers; i++)
			if (strcmp(c->users[i].name, name) == 0)
				u = &c->users[i];
		if (u == NULL) {
			c->users = xrealloc(c->users,
			    (c->nusers + 1) * sizeof(*c->users));
			u = &c->users[c->nusers++];
			u->name = xstrdup(name);
			u->max_job_size = 0;
			u->max_jobs = -1;
		}
		if (strcmp(key, "max_job_size") == 0) {
			if (parse_size(value, &u->max_job_size) < 0)
				conf_error(cp, cp->line, "max_job_size: '%s' is"
				    " not a size such as 500M or 2G", value);
		} else if (strcmp(key, "max_jobs") == 0) {
			if (conf_number(cp, key, value, 0, 1000000, &v) == 0)
				u->max_jobs = v;
		} else
			conf_error(cp, cp->line, "unknown key '%s' in [user"
			    " %s]", key, name);
		return 1;
	}
	if (section[0] == '\0')
		conf_error(cp, cp->line, "'%s' is outside any section", key);
	else
		conf_error(cp, cp->section_line, "unknown section [%s]",
		    section);
	cp->reported_line = cp->line;
	return 1;
}

int
conf_load(struct conf *c, const char *file,
    void (*report)(const char *msg, void *arg), void *arg)
{
	struct conf_parse cp;
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
	memset(&cp, 0, sizeof(cp));
	c->file = xstrdup(file);
	c->max_job_size = 2LL << 30;
	c->drop_quiet_ms = 1000;
	c->max_user_jobs = 100;
	c->keep_jobs = 30L * 86400;
	c->keep_files = 86400;
	c->keep_rejected = 7L * 86400;
	c->max_rejections = 50;
	c->rejection_window = 600;
	c->filter_timeout = 600;
	c->filter_max_output = 2LL << 30;
	c->sftp.login_grace = 30;
	c->sftp.idle_timeout = 900;
	c->sftp.stall_timeout = 60;
	c->sftp.max_memory = 64LL << 20;
	c->sftp.max_connections = 32;
	c->sftp.max_per_address = 8;
	c->sftp.max_auth_failures = 10;
	c->sftp.ban_time = 600;
	c->sftp.quota = 4LL << 30;
	c->sftp.max_file = -1;
	c->sftp.max_sessions = 4;
	c->sftp.startups_begin = 10;
	c->sftp.startups_rate = 30;
	c->sftp.startups_full = 100;
	c->sftp.startups_per_address = 4;
	cp.conf = c;
	cp.report = report;
	cp.arg = arg;
	if ((cp.fp = fopen(file, "re")) == NULL) {
		conf_error(&cp, 0, "cannot read: %s", strerror(errno));
		return -1;
	}
	/* Indented lines go on with a G-code key (conf_reader() refuses them
	 * elsewhere). */
	ini_allow_multiline = true;
	r = ini_parse_stream(conf_reader, &cp, conf_handler, &cp);
	fclose(cp.fp);
	if (r > 0 && (unsigned)r != cp.reported_line && cp.nerrors == 0)
		conf_error(&cp, (unsigned)r, "syntax error");
	else if (r < 0)
		conf_error(&cp, 0, "cannot parse (out of memory)");

	if (c->spool_dir == NULL)
		c->spool_dir = xstrdup(LOCALSTATEDIR "/spool/gspool");
	if (c->magic == NULL)
		c->magic = xstrdup(PKGDATADIR "/gcode.mgc");
	if (c->socket_path == NULL)
		c->socket_path = xasprintf("%s/control", c->spool_dir);
	if (c->backend_dir == NULL)
		c->backend_dir = xstrdup(BACKEND_DIR);
	if (c->admin_group == NULL)
		c->admin_group = xstrdup("lpadmin");
	if (c->user == NULL)
		c->user = xstrdup("_gspool");
	if (c->sftp.user == NULL)
		c->sftp.user = xstrdup("_gspool-sftp");
	if (strcmp(c->sftp.user, c->user) == 0)
		conf_error(&cp, cp.user_line, "[sftp] user is spoold's own"
		    " user %s: gsftpd must have a user of its own", c->user);
	if (c->filter_dir == NULL)
		c->filter_dir = xstrdup(FILTER_DIR);
	if (c->keep_files > c->keep_jobs)
		conf_error(&cp, cp.keep_line, "keep_files is longer than"
		    " keep_jobs: a job's file is removed with its record");
	for (i = 0; i < c->nclasses; i++) {
		struct conf_class *k = &c->classes[i];
		size_t m;

		if (conf_printer(c, k->name) != NULL)
			conf_error(&cp, k->line, "[class %s]: a printer has"
			    " that name", k->name);
		if (k->nmembers == 0)
			conf_error(&cp, k->line, "[class %s] has no printers",
			    k->name);
		for (m = 0; m < k->nmembers; m++)
			if (conf_printer(c, k->members[m]) == NULL)
				conf_error(&cp, k->line, "[class %s]: %s is not"
				    " a configured printer", k->name,
				    k->members[m]);
	}
	if (c->nprinters == 0)
		conf_error(&cp, 0, "no printer is configured (add a"
		    " [printer NAME] section)");
	for (i = 0; i < c->nprinters; i++) {
		if (c->printers[i].device == NULL)
			conf_error(&cp, c->printers[i].line, "[printer %s] has"
			    " no device", c->printers[i].name);
	}
	if (c->default_printer != NULL &&
	    conf_printer(c, c->default_printer) == NULL &&
	    conf_class(c, c->default_printer) == NULL)
		conf_error(&cp, cp.default_line, "default_printer '%s' is not"
		    " a configured printer or class", c->default_printer);
	for (i = 0; i < c->nprinters; i++) {
		struct conf_printer *p = &c->printers[i];
		int k;

		p->check.heat = p->policy;
		for (k = 0; k < 3; k++)
			if (p->check.vol_min[k] >= p->check.vol_max[k])
				conf_error(&cp, p->line, "[printer %s]: build_min"
				    " is not below build_volume", p->name);
	}
	for (i = 0; i < c->nclasses; i++)
		conf_class_policy(&cp, &c->classes[i]);
	if (c->sftp.listen == NULL)
		c->sftp.listen = xstrdup("2222");
	if (c->sftp.host_key == NULL)
		c->sftp.host_key = xasprintf("%s/sftp/ssh_host_ed25519_key",
		    c->spool_dir);
	if (c->sftp.max_file < 0)
		c->sftp.max_file = c->max_job_size;
	for (i = 0; i < c->naccounts; i++) {
		struct conf_account *a = &c->accounts[i];

		/* Accounts and local users share drop/NAME, rejected/NAME
		 * and the jobs' owner names: a clash would give the account
		 * the user's folder and jobs, or the user the account's. */
		if (getpwnam(a->name) != NULL)
			conf_error(&cp, a->line, "[account %s]: a local user has"
			    " that name; an SFTP account needs a name of its own"
			    " (it would share that user's drop folder and"
			    " jobs)", a->name);
		if (a->keys == NULL)
			conf_error(&cp, a->line, "[account %s] has no keys"
			    " (an authorized_keys file)", a->name);
		if (a->quota < 0)
			a->quota = c->sftp.quota;
		if (a->max_file < 0)
			a->max_file = c->sftp.max_file;
		if (a->max_sessions < 0)
			a->max_sessions = c->sftp.max_sessions;
	}
	if (c->default_printer == NULL && c->nprinters > 0)
		c->default_printer = xstrdup(c->printers[0].name);
	return cp.nerrors;
}

void
conf_free(struct conf *c)
{
	size_t i;
	int j;

	for (i = 0; i < c->nprinters; i++) {
		free(c->printers[i].name);
		free(c->printers[i].description);
		free(c->printers[i].device);
		free(c->printers[i].device_path);
		free(c->printers[i].resend_ok);
		free(c->printers[i].filter_options);
		free(c->printers[i].camera);
		for (j = 0; j < c->printers[i].nfilters; j++)
			free(c->printers[i].filters[j]);
		for (j = 0; j < CONF_SCRIPTS; j++)
			free(c->printers[i].script[j]);
	}
	free(c->printers);
	for (i = 0; i < c->nclasses; i++) {
		size_t m;

		for (m = 0; m < c->classes[i].nmembers; m++)
			free(c->classes[i].members[m]);
		free(c->classes[i].members);
		free(c->classes[i].name);
		free(c->classes[i].description);
	}
	free(c->classes);
	free(c->admin_group);
	free(c->notify);
	free(c->filter_dir);
	free(c->file);
	free(c->spool_dir);
	free(c->magic);
	for (i = 0; i < c->nusers; i++)
		free(c->users[i].name);
	free(c->users);
	for (i = 0; i < c->naccounts; i++) {
		free(c->accounts[i].name);
		free(c->accounts[i].keys);
	}
	free(c->accounts);
	free(c->sftp.listen);
	free(c->sftp.host_key);
	free(c->sftp.user);
	free(c->user);
	free(c->socket_path);
	free(c->backend_dir);
	free(c->default_printer);
	memset(c, 0, sizeof(*c));
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
	size_t m;
	int i, j, first_allow = 1;

	for (m = 0; m < k->nmembers; m++) {
		const struct conf_printer *p = conf_printer(cp->conf,
		    k->members[m]);

		if (p == NULL)
			continue;
		if (m == 0) {
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
		if (k->nmembers > 0 && a->vol_min[i] >= a->vol_max[i])
			conf_error(cp, k->line, "[class %s]: its printers' build"
			    " volumes do not overlap", k->name);
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
