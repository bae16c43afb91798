/*
 * heaters.c - a firmware's temperature report read as numbers.
 *
 * The report is a list of words "NAME:VALUE", a target following as
 * "/TARGET" (in the same word or the next), each read on its own: a
 * word of another shape is skipped, so that one odd word (a raw reading
 * "(3011)", a firmware's own addition) costs that word only.  Numbers
 * go through strtod and are kept only when finite and within
 * HEATER_MIN_C..HEATER_MAX_C (power within 0..255): "nan", "1e999" and
 * "-" are no numbers.
 *
 * Security: s is the printer's text (any bytes up to its NUL); only
 * its copy into at most HEATER_NAME bytes of name is written, checked.
 * Diagnostics: none; what is not understood is not a heater.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaters.h"

/* A number from s, whole up to its end or a '/': 0, or -1. */
static int
number(const char *s, const char *end, double lo, double hi, double *v,
    const char **rest)
{
	char buf[32], *e;
	size_t len = (size_t)(end - s);
	double d;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* strtod takes hex, infinities and NaNs: a firmware sends none. */
	if (!isdigit((unsigned char)buf[0]) && !(buf[0] == '-' &&
	    isdigit((unsigned char)buf[1])))
		return -1;
	if (strpbrk(buf, "xXnN") != NULL)
		return -1;
	d = strtod(buf, &e);
	if (e == buf || !isfinite(d) || d < lo || d > hi)
		return -1;
	if (*e != '\0' && *e != '/')
		return -1;
	*v = d;
	*rest = s + (e - buf);
	return 0;
}

static struct heater *
find(struct heater *h, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return &h[i];
	return NULL;
}

/* What a word's name is: a heater's (T, Tn, B, C) into name, a power
 * ("@", "@n", "B@", "C@") into name with *power set, or neither (-1). */
static int
word_name(const char *w, size_t len, char *name, int *power)
{
	size_t i, start = 0;

	*power = 0;
	if (len == 0 || len >= HEATER_NAME)
		return -1;
	if (w[0] == '@') {
		*power = 1;
		if (len == 1) {
			strcpy(name, "T");
			return 0;
		}
		name[0] = 'T';
		for (i = 1; i < len; i++)
			if (!isdigit((unsigned char)w[i]))
				return -1;
		if (len > 2)
			return -1;	/* @0 .. @7 */
		memcpy(name + 1, w + 1, len - 1);
		name[len] = '\0';
		return w[1] <= '7' ? 0 : -1;
	}
	if (len == 2 && w[1] == '@' && (w[0] == 'B' || w[0] == 'C')) {
		*power = 1;
		name[0] = w[0];
		name[1] = '\0';
		return 0;
	}
	if ((w[0] == 'B' || w[0] == 'C') && len == 1) {
		name[0] = w[0];
		name[1] = '\0';
		return 0;
	}
	if (w[0] != 'T')
		return -1;
	for (i = 1, start = 1; i < len; i++)
		if (!isdigit((unsigned char)w[i]))
			return -1;
	if (len - start > 1 || (len == 2 && w[1] > '7'))
		return -1;	/* T0 .. T7 */
	memcpy(name, w, len);
	name[len] = '\0';
	return 0;
}

int
heaters_parse(const char *s, struct heater *h, int max)
{
	struct heater all[HEATERS_MAX * 2];
	struct { char name[HEATER_NAME]; int power; } pw[HEATERS_MAX * 2];
	int n = 0, np = 0, i, out = 0, have_t0 = 0, nhot = 0;
	const char *p = s;

	if (s == NULL || h == NULL || max <= 0)
		return 0;
	memset(all, 0, sizeof(all));
	while (*p != '\0') {
		const char *w, *colon, *end, *rest;
		char name[HEATER_NAME];
		double v, t = 0;
		int power;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		end = p;
		if ((colon = memchr(w, ':', (size_t)(end - w))) == NULL ||
		    word_name(w, (size_t)(colon - w), name, &power) < 0)
			continue;
		if (power) {
			if (np < (int)(sizeof(pw) / sizeof(pw[0])) &&
			    number(colon + 1, end, 0, 255, &v, &rest) == 0 &&
			    rest == end) {
				snprintf(pw[np].name, sizeof(pw[np].name), "%s",
				    name);
				pw[np++].power = (int)v;
			}
			continue;
		}
		if (number(colon + 1, end, HEATER_MIN_C, HEATER_MAX_C, &v,
		    &rest) < 0)
			continue;
		if (*rest == '/') {
			/* "T:210.0/210.0" */
			if (number(rest + 1, end, HEATER_MIN_C, HEATER_MAX_C,
			    &t, &rest) < 0 || rest != end)
				continue;
		} else {
			/* "T:210.0 /210.0": the target is the next word. */
			const char *q = p, *qe;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '/') {
				qe = q;
				while (*qe != '\0' && *qe != ' ' && *qe != '\t')
					qe++;
				if (number(q + 1, qe, HEATER_MIN_C,
				    HEATER_MAX_C, &t, &rest) < 0 || rest != qe)
					continue;
				p = qe;
			}
		}
		if (find(all, n, name) != NULL || n >= (int)(sizeof(all) /
		    sizeof(all[0])))
			continue;	/* a heater said twice: the first */
		snprintf(all[n].name, sizeof(all[n].name), "%s", name);
		all[n].actual = v;
		all[n].target = t;
		all[n].power = -1;
		if (strcmp(name, "T0") == 0)
			have_t0 = 1;
		if (name[0] == 'T')
			nhot++;
		n++;
	}
	/* A lone T is the only hotend, T0; beside T0..Tn it repeats the
	 * active one, and its power is that one's. */
	for (i = 0; i < np; i++) {
		int lone = strcmp(pw[i].name, "T") == 0;
		struct heater *x = lone && have_t0 ? NULL :
		    find(all, n, pw[i].name);

		if (x == NULL && lone && nhot == 2 &&
		    find(all, n, "T") != NULL && find(all, n, "T1") == NULL)
			x = find(all, n, "T0");
		if (x != NULL && x->power < 0)
			x->power = pw[i].power;
	}
	for (i = 0; i < n && out < max; i++) {
		if (strcmp(all[i].name, "T") == 0) {
			if (have_t0)
				continue;
			strcpy(all[i].name, "T0");
		}
		h[out++] = all[i];
	}
	return out;
}
