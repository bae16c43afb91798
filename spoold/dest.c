/*
 * dest.c - the printers and classes, and what an operator set on them.
 *
 * A destination is a printer or a class of gspool.conf.  Each has the
 * state gpc sets, kept in the queue's dest table so that it outlives
 * spoold: accepting or rejecting new jobs (gpc accept, reject), enabled
 * or disabled (gpc enable, disable: a disabled printer finishes its job
 * and takes no other; a disabled class gives its members none of its
 * jobs), each with the operator's reason.  A printer also has its bed:
 * once a job is handed to it the bed holds that job's part, and the
 * printer is awaiting-clear until gpc ready (printer_ready), unless it
 * clears its own bed (clears_bed), when between_jobs runs before the
 * next job instead.
 *
 * The rules of who takes what are here, apart from the backends that
 * print and the scheduler that asks: a printer takes a job when its
 * backend is ready, nothing prints, it is enabled and its bed is clear
 * or clears itself (dest_takes_jobs); it takes from itself and from its
 * enabled classes (dest_sources).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "spoold.h"
#include "util.h"

const char *
printer_state_name(enum printer_state s)
{
	switch (s) {
	case PRINTER_STARTING:		return "starting";
	case PRINTER_CONNECTING:	return "connecting";
	case PRINTER_READY:		return "ready";
	case PRINTER_BUSY:		return "busy";
	case PRINTER_ERROR:		return "error";
	}
	return "?";
}

struct printer *
printer_find(struct spoold *sd, const char *name)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		if (strcmp(sd->printers[i]->conf->name, name) == 0)
			return sd->printers[i];
	return NULL;
}

/* The printer printing a job, or NULL. */
struct printer *
printer_of_job(struct spoold *sd, long id)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		if (id != 0 && sd->printers[i]->job == id)
			return sd->printers[i];
	return NULL;
}

/* A printer of the configuration, with the state the queue kept for
 * it, appended to sd->printers. */
struct printer *
printer_new(struct spoold *sd, struct conf_printer *cp)
{
	struct printer *p = xcalloc(1, sizeof(*p));

	p->conf = cp;
	p->sock = -1;
	queue_dest_load(sd, cp->name, &p->d);
	sd->printers = xrealloc(sd->printers, (sd->nprinters + 1) *
	    sizeof(*sd->printers));
	sd->printers[sd->nprinters++] = p;
	return p;
}

/* What a printer holds of its own: its prompt, its job's timemap. */
static void
printer_release(struct printer *p)
{
	free(p->prompt);
	free(p->prompt_buttons);
	ev_timer_free(p->clear_timer);
	if (p->st.tm != NULL)
		fclose(p->st.tm);
	free(p);
}

/* The printer taken out of sd->printers and freed: whoever else kept
 * it (its backend, checks, clients) has let it go (reload.c). */
void
printer_free(struct spoold *sd, struct printer *p)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		if (sd->printers[i] == p) {
			memmove(&sd->printers[i], &sd->printers[i + 1],
			    (sd->nprinters - i - 1) * sizeof(*sd->printers));
			sd->nprinters--;
			break;
		}
	printer_release(p);
}

/* One struct printer per printer of the configuration, and the state
 * the queue kept for each destination. */
void
dest_init(struct spoold *sd)
{
	size_t i;

	sd->printers = NULL;
	sd->nprinters = 0;
	for (i = 0; i < sd->conf.nprinters; i++)
		printer_new(sd, &sd->conf.printers[i]);
	sd->classes = xcalloc(sd->conf.nclasses + 1, sizeof(*sd->classes));
	for (i = 0; i < sd->conf.nclasses; i++)
		queue_dest_load(sd, sd->conf.classes[i].name, &sd->classes[i]);
}

void
dest_free(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		printer_release(sd->printers[i]);
	free(sd->printers);
	free(sd->classes);
	sd->printers = NULL;
	sd->classes = NULL;
	sd->nprinters = 0;
}

/* What an operator set on a printer or a class. */
struct dest *
dest_find(struct spoold *sd, const char *name)
{
	struct printer *p;
	size_t i;

	if ((p = printer_find(sd, name)) != NULL)
		return &p->d;
	for (i = 0; i < sd->conf.nclasses; i++)
		if (strcmp(sd->conf.classes[i].name, name) == 0)
			return &sd->classes[i];
	return NULL;
}

int
dest_known(struct spoold *sd, const char *name)
{
	return conf_printer(&sd->conf, name) != NULL ||
	    conf_class(&sd->conf, name) != NULL;
}

void
dest_save(struct spoold *sd, const char *name)
{
	struct dest *d = dest_find(sd, name);

	if (d != NULL)
		queue_dest_save(sd, name, d);
}

/* gpc accept, reject, enable or disable: 0, or -1 for another verb.
 * Accepting or enabling forgets the reason given for the opposite. */
int
dest_set(struct dest *d, const char *verb, const char *reason)
{
	if (strcmp(verb, "accept") == 0) {
		d->accepting = 1;
		d->accept_reason[0] = '\0';
	} else if (strcmp(verb, "reject") == 0) {
		d->accepting = 0;
		snprintf(d->accept_reason, sizeof(d->accept_reason), "%s",
		    reason);
	} else if (strcmp(verb, "enable") == 0) {
		d->enabled = 1;
		d->enable_reason[0] = '\0';
	} else if (strcmp(verb, "disable") == 0) {
		d->enabled = 0;
		snprintf(d->enable_reason, sizeof(d->enable_reason), "%s",
		    reason);
	} else
		return -1;
	return 0;
}

/* Ready for a job: its backend ready, nothing printing, enabled, and
 * its bed clear (or clearing itself); not removed by a reload, nor
 * waiting for a reload's settings to apply (reload.c does that as soon
 * as its job has ended: the next job is checked against them). */
int
dest_takes_jobs(const struct printer *p)
{
	return p->state == PRINTER_READY && p->job == 0 && p->sock >= 0 &&
	    !p->retiring && p->pending == NULL && !p->restarting &&
	    p->d.enabled && (!p->d.awaiting_clear || p->conf->clears_bed);
}

/* Where a printer takes jobs from: itself and its enabled classes, as
 * the JSON array queue_pending() reads (names are plain). */
void
dest_sources(struct spoold *sd, const struct printer *p, char *buf,
    size_t bufsz)
{
	size_t i, o;

	o = (size_t)snprintf(buf, bufsz, "[\"%s\"", p->conf->name);
	for (i = 0; i < sd->conf.nclasses && o < bufsz; i++)
		if (sd->classes[i].enabled &&
		    conf_class_has(&sd->conf.classes[i], p->conf->name))
			o += (size_t)snprintf(buf + o, bufsz - o, ",\"%s\"",
			    sd->conf.classes[i].name);
	if (o < bufsz)
		snprintf(buf + o, bufsz - o, "]");
}

/* Job id is on its way to the bed: from now the bed holds its part.
 * Kept before the job can print, so that no crash at its end lets the
 * next job start on it. */
void
dest_job_placed(struct spoold *sd, struct printer *p, long id)
{
	p->d.awaiting_clear = 1;
	p->d.last_job = id;
	dest_save(sd, p->conf->name);
}

/* gpc ready: the bed is clear; the next job may start. */
void
printer_ready(struct spoold *sd, struct printer *p, const char *who)
{
	if (p->d.awaiting_clear) {
		p->d.awaiting_clear = 0;
		dest_save(sd, p->conf->name);
		log_info("%s: bed cleared (%s)", p->conf->name, who);
	}
	sched_kick(sd);
}
