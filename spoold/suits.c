/*
 * suits.c - the right printer for each file: does a job suit a printer,
 * by what its file was made for (the slicer's model, nozzle and
 * filament type per tool, as the analyser found them at submission and
 * the queue keeps in made_for) and what the printer is (gspool.conf's
 * model and nozzle) and has loaded now (gpc load, else materials).
 *
 * At submission a job sent to a printer that it does not suit is
 * refused or held, as that key's policy says (fit_model, fit_nozzle,
 * fit_material); one sent to a class is refused only when every member
 * would refuse it, and otherwise waits for a member it suits.  At
 * handover (sched.c) it is judged again against the printer that would
 * take it, since gpc load, gpc move and reloads change the answer: a
 * printer's own job that does not suit it is held with the reason, a
 * class's job is passed over and, when no member suits it, waits with
 * the reason ("no member of farm has PETG loaded").  gpc load judges
 * the printer's held jobs again and releases those that suit it now,
 * and takes that reason back from the class jobs a member suits now.
 *
 * The judgment itself is lib/fit.c's, pure; this file only gathers
 * the two sides.  It reads no file: the analyser read it once, at
 * submission.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fit.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

#define MADE_FOR_MAX	2048	/* bytes of a job's made_for */
#define UNFIT_LOOK	256	/* held jobs judged again at a gpc load */

void
suits_printer(const struct printer *p, struct fit_printer *fp)
{
	char why[FIT_REASON];

	*fp = p->conf->fit;
	fp->name = p->conf->name;
	if (p->d.materials_set &&
	    fit_parse_materials(fp, p->d.materials, why, sizeof(why)) < 0) {
		/* Only gpc load writes it, checked: the configuration's. */
		log_warnx("%s: the loaded materials '%s' kept in the queue"
		    " are not valid (%s); the configuration's hold",
		    p->conf->name, p->d.materials, why);
		*fp = p->conf->fit;
		fp->name = p->conf->name;
	}
}

char *
suits_made_for(const char *meta)
{
	json_t *o, *m;
	char *s, *r;

	if ((o = json_loads(meta, 0, NULL)) == NULL)
		return xstrdup("");
	m = json_object_get(o, "made_for");
	if (!json_is_object(m)) {
		json_decref(o);
		return xstrdup("");
	}
	s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	json_decref(o);
	if (s == NULL || strlen(s) >= MADE_FOR_MAX) {
		free(s);
		return xstrdup("");
	}
	r = xstrdup(s);
	free(s);
	return r;
}

static int
judge(const struct printer *p, const struct fit_file *f, char *why,
    size_t whysz, char *want, size_t wantsz)
{
	struct fit_printer fp;

	suits_printer(p, &fp);
	return fit_judge(f, &fp, why, whysz, want, wantsz);
}

int
suits_submit(struct spoold *sd, const char *dest, const char *made_for,
    char *why, size_t whysz)
{
	struct conf_class *k;
	struct printer *p;
	struct fit_file f;
	char w[FIT_REASON], want[FIT_REASON], first[FIT_REASON] = "";
	size_t m;
	int v;

	why[0] = '\0';
	if (fit_file_from_json(&f, made_for) < 0 || !f.said)
		return FIT_OK;
	if ((p = printer_find(sd, dest)) != NULL) {
		v = judge(p, &f, why, whysz, want, sizeof(want));
		return v;
	}
	if ((k = conf_class(&sd->conf, dest)) == NULL)
		return FIT_OK;
	for (m = 0; m < k->nmembers; m++) {
		if ((p = printer_find(sd, k->members[m])) == NULL)
			continue;
		v = judge(p, &f, w, sizeof(w), want, sizeof(want));
		if (v != FIT_REFUSE)
			return FIT_OK;	/* it suits it, or may */
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", w);
	}
	if (first[0] == '\0')
		return FIT_OK;		/* no member to judge by */
	snprintf(why, whysz, "suits no printer of %s; %s", k->name, first);
	return FIT_REFUSE;
}

int
suits_job(struct spoold *sd, const struct printer *p, long id, char *why,
    size_t whysz, char *want, size_t wantsz)
{
	char made[MADE_FOR_MAX];
	struct fit_file f;

	why[0] = want[0] = '\0';
	if (queue_made_for(sd, id, made, sizeof(made)) < 0 ||
	    fit_file_from_json(&f, made) < 0)
		return FIT_OK;
	return judge(p, &f, why, whysz, want, wantsz);
}

/* The class jobs that wait for a member they suit: the reason goes
 * from those some member suits now, so that gqueue -l says no more
 * than is true while no member takes jobs.  How many. */
static int
suits_waiting(struct spoold *sd)
{
	char why[FIT_REASON], want[FIT_REASON];
	long ids[UNFIT_LOOK];
	struct conf_class *k;
	struct printer *q;
	struct job_row j;
	int i, n, cleared = 0;
	size_t m;

	if ((n = queue_waiting_unsuited(sd, ids, UNFIT_LOOK)) <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (queue_get(sd, ids[i], &j) <= 0 ||
		    (k = conf_class(&sd->conf, j.printer)) == NULL)
			continue;
		for (m = 0; m < k->nmembers; m++)
			if ((q = printer_find(sd, k->members[m])) != NULL &&
			    suits_job(sd, q, ids[i], why, sizeof(why), want,
			    sizeof(want)) == FIT_OK)
				break;
		if (m < k->nmembers &&
		    queue_set_waiting(sd, ids[i], "") == 0)
			cleared++;
	}
	return cleared;
}

int
suits_loaded(struct spoold *sd, struct printer *p)
{
	char why[FIT_REASON], want[FIT_REASON];
	long ids[UNFIT_LOOK];
	int i, n, released = 0;

	if (suits_waiting(sd) > 0)
		sched_kick(sd);
	if ((n = queue_held_unfit(sd, p->conf->name, ids, UNFIT_LOOK)) <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (suits_job(sd, p, ids[i], why, sizeof(why), want,
		    sizeof(want)) != FIT_OK)
			continue;
		log_info("%s: suits %s now; released",
		    queue_job_name(sd, ids[i], p->conf->name), p->conf->name);
		if (queue_set_state(sd, ids[i], "pending", "", "spoold") == 0)
			released++;
	}
	if (released > 0)
		sched_kick(sd);
	return released;
}
