/*
 * fit.c - does a job suit a printer (see fit.h).
 *
 * Each key is judged only where both sides say something: a file whose
 * slicer names no model suits any model, a printer that declares no
 * nozzle is not asked about one, a tool with nothing known loaded is
 * not judged by material.  Only the tools the file extrudes with count:
 * a slicer that lists eight nozzles for a file that prints with T0
 * asks for one.  Names (models, materials) match without regard to
 * case; nozzles within a micrometre.
 *
 * Security: the file's side comes from anybody's G-code, through the
 * analyser, which bounds and cleans every name; the JSON read back from
 * the queue is spoold's own, and still read only into fixed fields.
 *
 * Diagnostics: the reason names the printer, what the file wants and
 * what the printer has, in the words gqueue -l shows.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "fit.h"

const char *const fit_policy_names[] = { "refuse", "hold", "ignore", NULL };
const char *const fit_key_names[FIT_KEYS] = { "model", "nozzle",
	"material" };

#define NOZZLE_SLACK	0.0005	/* mm */

void
fit_file_from_analysis(struct fit_file *f, const struct analysis *a)
{
	int t;

	memset(f, 0, sizeof(*f));
	f->said = analyse_made_for(a);
	snprintf(f->model, sizeof(f->model), "%s", a->for_model);
	for (t = 0; t < ANALYSE_TOOLS; t++) {
		f->nozzle[t] = a->for_nozzle[t];
		snprintf(f->material[t], sizeof(f->material[t]), "%s",
		    a->for_material[t]);
		if (analyse_uses_tool(a, t))
			f->tools |= 1u << t;
	}
}

int
fit_file_from_json(struct fit_file *f, const char *text)
{
	json_t *o, *v, *e;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->tools = 1;
	if (text == NULL || text[0] == '\0' || strcmp(text, "null") == 0)
		return 0;
	if ((o = json_loads(text, 0, NULL)) == NULL)
		return -1;
	if (!json_is_object(o)) {
		json_decref(o);
		return json_is_null(o) ? 0 : -1;
	}
	f->said = 1;
	if (json_is_string(v = json_object_get(o, "model")))
		snprintf(f->model, sizeof(f->model), "%s",
		    json_string_value(v));
	json_array_foreach(json_object_get(o, "nozzle"), i, e)
		if (i < ANALYSE_TOOLS && json_is_number(e))
			f->nozzle[i] = json_number_value(e);
	json_array_foreach(json_object_get(o, "materials"), i, e)
		if (i < ANALYSE_TOOLS && json_is_string(e))
			snprintf(f->material[i], sizeof(f->material[i]), "%s",
			    json_string_value(e));
	if (json_array_size(json_object_get(o, "tools")) > 0)
		f->tools = 0;
	json_array_foreach(json_object_get(o, "tools"), i, e)
		if (json_is_integer(e) && json_integer_value(e) >= 0 &&
		    json_integer_value(e) < ANALYSE_TOOLS)
			f->tools |= 1u << json_integer_value(e);
	json_decref(o);
	return 0;
}

/* " on T1" for any tool but the first. */
static const char *
on_tool(int t, char *buf, size_t bufsz)
{
	if (t == 0)
		return "";
	snprintf(buf, bufsz, " on T%d", t);
	return buf;
}

/* One key: 1 if it does not match, with why and want. */
static int
judge_model(const struct fit_file *f, const struct fit_printer *p,
    char *why, size_t whysz, char *want, size_t wantsz)
{
	int i;

	if (f->model[0] == '\0' || p->nmodels == 0)
		return 0;
	for (i = 0; i < p->nmodels; i++)
		if (strcasecmp(f->model, p->models[i]) == 0)
			return 0;
	snprintf(why, whysz, "sliced for %s; %s is %s", f->model, p->name,
	    p->models[0]);
	snprintf(want, wantsz, "is model %s", f->model);
	return 1;
}

static int
judge_nozzle(const struct fit_file *f, const struct fit_printer *p,
    char *why, size_t whysz, char *want, size_t wantsz)
{
	char tb[16];
	int t;

	if (p->nnozzles == 0)
		return 0;
	for (t = 0; t < ANALYSE_TOOLS; t++) {
		if (!(f->tools & (1u << t)) || f->nozzle[t] <= 0)
			continue;
		if (t >= p->nnozzles)
			snprintf(why, whysz, "sliced for nozzle %g mm%s; %s"
			    " has no T%d", f->nozzle[t], on_tool(t, tb,
			    sizeof(tb)), p->name, t);
		else if (fabs(f->nozzle[t] - p->nozzle[t]) > NOZZLE_SLACK)
			snprintf(why, whysz, "sliced for nozzle %g mm%s; %s"
			    " has %g", f->nozzle[t], on_tool(t, tb,
			    sizeof(tb)), p->name, p->nozzle[t]);
		else
			continue;
		snprintf(want, wantsz, "has a %g mm nozzle%s", f->nozzle[t],
		    on_tool(t, tb, sizeof(tb)));
		return 1;
	}
	return 0;
}

static int
judge_material(const struct fit_file *f, const struct fit_printer *p,
    char *why, size_t whysz, char *want, size_t wantsz)
{
	char tb[16];
	int t;

	if (p->nmaterials == 0)
		return 0;
	for (t = 0; t < ANALYSE_TOOLS; t++) {
		if (!(f->tools & (1u << t)) || f->material[t][0] == '\0')
			continue;
		if (t >= p->nmaterials)
			snprintf(why, whysz, "needs %s%s; %s has no T%d",
			    f->material[t], on_tool(t, tb, sizeof(tb)),
			    p->name, t);
		else if (p->material[t][0] == '\0' ||
		    strcasecmp(f->material[t], p->material[t]) == 0)
			continue;	/* nothing known loaded, or it */
		else
			snprintf(why, whysz, "needs %s%s; %s has %s loaded%s"
			    " (gpc load to change)", f->material[t],
			    on_tool(t, tb, sizeof(tb)), p->name,
			    p->material[t], on_tool(t, tb, sizeof(tb)));
		snprintf(want, wantsz, "has %s loaded%s", f->material[t],
		    on_tool(t, tb, sizeof(tb)));
		return 1;
	}
	return 0;
}

int
fit_judge(const struct fit_file *f, const struct fit_printer *p, char *why,
    size_t whysz, char *want, size_t wantsz)
{
	int (*const judge[FIT_KEYS])(const struct fit_file *,
	    const struct fit_printer *, char *, size_t, char *, size_t) = {
		[FIT_MODEL] = judge_model,
		[FIT_NOZZLE] = judge_nozzle,
		[FIT_MATERIAL] = judge_material,
	};
	char w[FIT_REASON], n[FIT_REASON];
	int k, verdict = FIT_OK;

	if (whysz > 0)
		why[0] = '\0';
	if (wantsz > 0)
		want[0] = '\0';
	if (!f->said)
		return FIT_OK;
	/* The worst key's reason: a refusal's before a hold's. */
	for (k = 0; k < FIT_KEYS; k++) {
		if (p->policy[k] == FIT_IGNORE ||
		    !judge[k](f, p, w, sizeof(w), n, sizeof(n)))
			continue;
		if (verdict != FIT_OK && (int)p->policy[k] >= verdict)
			continue;
		verdict = (int)p->policy[k];
		snprintf(why, whysz, "%s", w);
		snprintf(want, wantsz, "%s", n);
	}
	return verdict;
}

/* The next item of a list split at sep, its blanks trimmed: its start
 * and length, and where the list goes on (NULL at the end). */
static const char *
next_item(const char *s, int sep, const char **item, size_t *len)
{
	const char *e = strchr(s, sep);
	size_t n = e != NULL ? (size_t)(e - s) : strlen(s);

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	*item = s;
	*len = n;
	return e != NULL ? e + 1 : NULL;
}

int
fit_parse_models(struct fit_printer *p, const char *s, char *why,
    size_t whysz)
{
	const char *item;
	size_t n;

	p->nmodels = 0;
	while (s != NULL) {
		s = next_item(s, ',', &item, &n);
		if (n == 0) {
			snprintf(why, whysz, "model %d is empty (model = NAME"
			    "[, NAME ...])", p->nmodels + 1);
			return -1;
		}
		if (n >= ANALYSE_NAME || p->nmodels == FIT_MODELS) {
			snprintf(why, whysz, n >= ANALYSE_NAME ? "model %d is"
			    " longer than %d characters" : "more than %d"
			    " models", n >= ANALYSE_NAME ? p->nmodels + 1 :
			    FIT_MODELS, ANALYSE_NAME - 1);
			return -1;
		}
		memcpy(p->models[p->nmodels], item, n);
		p->models[p->nmodels++][n] = '\0';
	}
	return 0;
}

int
fit_parse_nozzles(struct fit_printer *p, const char *s, char *why,
    size_t whysz)
{
	const char *item;
	char *end, num[32];
	size_t n;
	double d;

	p->nnozzles = 0;
	while (s != NULL) {
		s = next_item(s, ',', &item, &n);
		if (p->nnozzles == ANALYSE_TOOLS) {
			snprintf(why, whysz, "more than %d tools",
			    ANALYSE_TOOLS);
			return -1;
		}
		snprintf(num, sizeof(num), "%.*s", (int)(n < sizeof(num) ? n :
		    sizeof(num) - 1), item);
		d = strtod(num, &end);
		if (n == 0 || n >= sizeof(num) || *end != '\0' ||
		    !(d >= ANALYSE_NOZZLE_MIN && d <= ANALYSE_NOZZLE_MAX)) {
			snprintf(why, whysz, "T%d: '%.*s' is not a nozzle"
			    " diameter in mm (%g to %g)", p->nnozzles,
			    (int)n, item, ANALYSE_NOZZLE_MIN,
			    ANALYSE_NOZZLE_MAX);
			return -1;
		}
		p->nozzle[p->nnozzles++] = d;
	}
	return 0;
}

int
fit_material_ok(const char *m)
{
	const unsigned char *c;

	if (strlen(m) >= ANALYSE_MATERIAL)
		return 0;
	for (c = (const unsigned char *)m; *c; c++)
		if (!isalnum(*c) && *c != '-' && *c != '+' && *c != '_' &&
		    *c != '.' && *c != '/')
			return 0;
	return 1;
}

int
fit_parse_materials(struct fit_printer *p, const char *s, char *why,
    size_t whysz)
{
	const char *item;
	char m[ANALYSE_MATERIAL];
	size_t n;

	p->nmaterials = 0;
	while (s != NULL) {
		s = next_item(s, ',', &item, &n);
		if (p->nmaterials == ANALYSE_TOOLS) {
			snprintf(why, whysz, "more than %d tools",
			    ANALYSE_TOOLS);
			return -1;
		}
		snprintf(m, sizeof(m), "%.*s", (int)(n < sizeof(m) ? n :
		    sizeof(m) - 1), item);
		if (n >= sizeof(m) || !fit_material_ok(m)) {
			snprintf(why, whysz, "T%d: '%.*s' is not a filament"
			    " type (letters, digits and -+_./, at most %d;"
			    " none for nothing loaded)", p->nmaterials,
			    (int)n, item, ANALYSE_MATERIAL - 1);
			return -1;
		}
		if (strcasecmp(m, "none") == 0)
			m[0] = '\0';
		snprintf(p->material[p->nmaterials++], ANALYSE_MATERIAL, "%s",
		    m);
	}
	return 0;
}

void
fit_materials_text(const struct fit_printer *p, char *out, size_t outsz)
{
	size_t len = 0;
	int t;

	if (outsz == 0)
		return;
	out[0] = '\0';
	for (t = 0; t < p->nmaterials && len < outsz; t++) {
		int n = snprintf(out + len, outsz - len, "%s%s", t ? "," : "",
		    p->material[t][0] ? p->material[t] : "none");

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

int
fit_is_reason(const char *r)
{
	return strncmp(r, "sliced for ", 11) == 0 ||
	    strncmp(r, "needs ", 6) == 0;
}
