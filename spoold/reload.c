/*
 * reload.c - SIGHUP: gspool.conf read anew, checked whole, and applied
 * without stopping any print, as cupsd applies cupsd.conf.
 *
 * The file is read and checked as `spoold -n' checks it (conf_load(),
 * conf_check_host()); one with any error is refused whole, each error
 * logged with its line, and the running configuration stays.  A sound
 * one is applied, each change logged on a line of its own:
 *
 *   - [spool] directory, socket, user and magic are what spoold was
 *     started on (the spool it holds locked, the socket it listens on,
 *     the user it became, the rules libmagic loaded): a change is logged
 *     as needing a restart and the old value kept.  Every other key of
 *     [spool], [sftp], [user] and [account] applies at once: each is read
 *     where it is used.
 *   - A printer added appears, accepting and enabled as a new printer
 *     is (the bed's state the queue kept for its name stays), and its
 *     backend is started.
 *   - A printer removed stops accepting at once: its name is no longer
 *     a destination.  Its pending jobs are held with the reason (a job
 *     sent to a class stays the class's, for its other members); nothing
 *     accepted is dropped, and `gpc move' or a printer of that name
 *     brought back and `gpc release' prints them.  An idle printer goes
 *     now; one printing keeps its backend and its settings until the job
 *     ends, then goes.
 *   - A printer changed takes its new settings now if nothing prints on
 *     it, else once its job ends (p->pending), taking no job meanwhile.
 *     Its backend is restarted where the device or a setting passed to
 *     the backend changed; otherwise it is given the new scripts.  The
 *     checks of the next job see the new settings: a verdict is kept for
 *     the fingerprint of the checks (check.c), so a changed policy means
 *     the job is checked again at handover (invariant 7).
 *   - Classes are rebuilt: operator state kept by name, a new class
 *     accepting and enabled, the pending jobs of a removed class held
 *     with the reason.
 *
 * A printer's settings point into the configuration it was given, and a
 * printer that prints across a reload keeps running on the old one; so
 * each configuration replaced is kept (struct conf_gen) until no
 * printer's settings point into it, and freed then.  A printer is its
 * own allocation (dest.c): adding or removing one moves none of the
 * others, and whoever holds one across the loop is told before it is
 * freed (its backend's descriptor and timer, the checks, the clients
 * waiting for its gpc send; filters keep its name).  What waits for a
 * job's end is applied by reload_settle(), a deferred call posted by
 * reload_kick() when a job ends: never from inside the backend's
 * message that ends it.
 *
 * Diagnostics: every line begins "reload: ".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobstate.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

/* A configuration a reload replaced, kept while a printer runs on it. */
struct conf_gen {
	struct conf	 conf;
	struct conf_gen	*next;
};

static void
reload_error(const char *msg, void *arg)
{
	(void)arg;
	log_warnx("reload: %s", msg);
}

static int
differs(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

/* Does a printer's settings point into conf c? */
static int
points_into(const struct conf_printer *cp, const struct conf *c)
{
	return cp != NULL && c->nprinters > 0 && cp >= c->printers &&
	    cp < c->printers + c->nprinters;
}

/* The configurations no printer runs on, or waits for, freed. */
static void
reload_sweep(struct spoold *sd)
{
	struct conf_gen **gp, *g;
	size_t i;
	int used;

	for (gp = &sd->old_confs; (g = *gp) != NULL;) {
		used = 0;
		for (i = 0; i < sd->nprinters && !used; i++)
			used = points_into(sd->printers[i]->conf, &g->conf) ||
			    points_into(sd->printers[i]->pending, &g->conf);
		if (used) {
			gp = &g->next;
			continue;
		}
		*gp = g->next;
		conf_free(&g->conf);
		free(g);
	}
}

/* The pending jobs sent to dest (a printer or class a reload removed)
 * held with the reason, which says what to do: nothing accepted is
 * dropped.  gpc release refuses them; gpc move sends them on. */
static void
hold_jobs_of(struct spoold *sd, const char *kind, const char *dest)
{
	struct job_row j;
	char reason[256];
	long ids[64], after = 0;
	int n, i, held = 0;

	snprintf(reason, sizeof(reason), "%s %s " HOLD_DEST_REMOVED "; gpc"
	    " move the job to another printer or class", kind, dest);
	while ((n = queue_ids(sd, job_state_name(JOB_PENDING), after, ids,
	    64)) > 0) {
		for (i = 0; i < n; i++) {
			after = ids[i];
			if (queue_get(sd, ids[i], &j) <= 0 ||
			    strcmp(j.printer, dest) != 0)
				continue;
			if (queue_set_state(sd, ids[i], "held", reason,
			    "spoold") == 0)
				held++;
		}
	}
	if (held > 0)
		log_info("reload: %s %s: %d pending job%s held: %s", kind, dest,
		    held, held == 1 ? "" : "s", reason);
}

/* A printer that a reload adds (or brings back) is as a new one is:
 * accepting and enabled; what the queue kept of its bed stays. */
static void
dest_as_new(struct spoold *sd, const char *name, struct dest *d)
{
	queue_dest_load(sd, name, d);
	d->accepting = d->enabled = 1;
	d->accept_reason[0] = d->enable_reason[0] = '\0';
	queue_dest_save(sd, name, d);
}

/* A removed printer with nothing printing goes: everything that holds
 * it lets it go first.  Its backend is stopped at once if a printer of
 * the configuration has its device (a printer renamed), else left to
 * turn the heaters off in its own time. */
static void
printer_retire(struct spoold *sd, struct printer *p)
{
	size_t i;
	int wanted = 0;

	for (i = 0; i < sd->conf.nprinters; i++)
		if (strcmp(sd->conf.printers[i].scheme, p->conf->scheme) == 0 &&
		    strcmp(sd->conf.printers[i].device_path,
		    p->conf->device_path) == 0)
			wanted = 1;
	backend_stop(sd, p, wanted);
	check_forget(sd, p);
	printer_free(sd, p);
}

/* Printer p takes settings cp now (nothing prints on it). */
static void
printer_apply(struct spoold *sd, struct printer *p, struct conf_printer *cp)
{
	const struct conf_printer *old = p->conf;

	p->conf = cp;
	p->pending = NULL;
	p->changes[0] = '\0';
	if (backend_reconfigure(sd, p, old))
		log_info("reload: printer %s: its backend restarts on the new"
		    " settings", cp->name);
	/* Its model, nozzle or materials may suit the jobs held for not
	 * suiting it now. */
	suits_loaded(sd, p);
}

/* A printer of the running set, against the new configuration. */
static int
reload_printer(struct spoold *sd, struct printer *p)
{
	struct conf_printer *cp = conf_printer(&sd->conf, p->conf->name);
	char what[256];
	int n;

	if (cp == NULL) {
		if (p->retiring)
			return 0;	/* said so at an earlier reload */
		p->retiring = 1;
		p->pending = NULL;
		p->after_job = p->job;
		p->d.accepting = 0;
		snprintf(p->d.accept_reason, sizeof(p->d.accept_reason),
		    "removed from the configuration");
		if (p->job != 0)
			log_info("reload: printer %s removed; it goes after job"
			    " %s", p->conf->name, queue_job_name(sd, p->job,
			    p->conf->name));
		else
			log_info("reload: printer %s removed", p->conf->name);
		hold_jobs_of(sd, "printer", p->conf->name);
		if (p->job == 0)
			printer_retire(sd, p);
		return 1;
	}
	n = conf_changes("printer", p->conf, cp, what, sizeof(what));
	if (p->retiring) {
		/* Removed while it printed, and back before it went. */
		p->retiring = 0;
		dest_as_new(sd, cp->name, &p->d);
		log_info("reload: printer %s added back before its job ended",
		    cp->name);
	}
	if (n == 0) {
		int undone = p->pending != NULL;

		if (undone)
			log_info("reload: printer %s: its settings are as they"
			    " were; nothing changes after its job", cp->name);
		p->conf = cp;		/* the same, in the new file */
		p->pending = NULL;
		p->changes[0] = '\0';
		return undone;
	}
	if (p->job != 0) {
		p->pending = cp;
		p->after_job = p->job;
		snprintf(p->changes, sizeof(p->changes), "%s", what);
		log_info("reload: printer %s changed (%s), applies after job %s",
		    cp->name, what, queue_job_name(sd, p->job, p->conf->name));
		return 1;
	}
	log_info("reload: printer %s changed (%s)", cp->name, what);
	printer_apply(sd, p, cp);
	return 1;
}

/* [spool] keys that only a restart changes: logged, and the running
 * value put back into the new configuration. */
static int
reload_fixed(struct spoold *sd, struct conf *nc)
{
	struct {
		const char *key;
		char	**now, **then;
	} fixed[] = {
		{ "directory", &sd->conf.spool_dir, &nc->spool_dir },
		{ "socket", &sd->conf.socket_path, &nc->socket_path },
		{ "user", &sd->conf.user, &nc->user },
		{ "magic", &sd->conf.magic, &nc->magic },
	};
	size_t i;
	int n = 0;

	for (i = 0; i < nitems(fixed); i++) {
		if (!differs(*fixed[i].now, *fixed[i].then))
			continue;
		log_warnx("reload: [spool] %s changed: needs a restart; %s"
		    " stays until then", fixed[i].key, *fixed[i].now != NULL ?
		    *fixed[i].now : "(none)");
		free(*fixed[i].then);
		*fixed[i].then = *fixed[i].now != NULL ?
		    xstrdup(*fixed[i].now) : NULL;
		n++;
	}
	return n;
}

/* Sections that are read where they are used: each change logged. */
static int
reload_sections(struct spoold *sd, const struct conf *old)
{
	char what[256];
	size_t i;
	int n = 0;

	if (conf_changes("spool", old, &sd->conf, what, sizeof(what)) > 0) {
		log_info("reload: [spool] changed (%s)", what);
		n++;
	}
	if (conf_changes("sftp", old, &sd->conf, what, sizeof(what)) > 0) {
		log_info("reload: [sftp] changed (%s)", what);
		n++;
	}
	for (i = 0; i < sd->conf.nusers; i++) {
		const struct conf_user *u = &sd->conf.users[i], *o = NULL;
		size_t k;

		for (k = 0; k < old->nusers && o == NULL; k++)
			if (strcmp(old->users[k].name, u->name) == 0)
				o = &old->users[k];
		if (o == NULL)
			log_info("reload: user %s added", u->name);
		else if (conf_changes("user", o, u, what, sizeof(what)) > 0)
			log_info("reload: user %s changed (%s)", u->name, what);
		else
			continue;
		n++;
	}
	for (i = 0; i < old->nusers; i++) {
		size_t k;
		int found = 0;

		for (k = 0; k < sd->conf.nusers && !found; k++)
			found = strcmp(sd->conf.users[k].name,
			    old->users[i].name) == 0;
		if (!found) {
			log_info("reload: user %s removed", old->users[i].name);
			n++;
		}
	}
	for (i = 0; i < sd->conf.naccounts; i++) {
		const struct conf_account *a = &sd->conf.accounts[i], *o;

		o = conf_account(old, a->name);
		if (o == NULL)
			log_info("reload: account %s added", a->name);
		else if (conf_changes("account", o, a, what, sizeof(what)) > 0)
			log_info("reload: account %s changed (%s)", a->name,
			    what);
		else
			continue;
		n++;
	}
	for (i = 0; i < old->naccounts; i++)
		if (conf_account(&sd->conf, old->accounts[i].name) == NULL) {
			log_info("reload: account %s removed",
			    old->accounts[i].name);
			n++;
		}
	return n;
}

/* The classes rebuilt on the new configuration, operator state kept by
 * name. */
static int
reload_classes(struct spoold *sd, const struct conf *old)
{
	struct dest *nd;
	char what[256];
	size_t i, k;
	int n = 0;

	nd = xcalloc(sd->conf.nclasses + 1, sizeof(*nd));
	for (i = 0; i < sd->conf.nclasses; i++) {
		const struct conf_class *c = &sd->conf.classes[i];

		for (k = 0; k < old->nclasses; k++)
			if (strcmp(old->classes[k].name, c->name) == 0)
				break;
		if (k == old->nclasses) {
			dest_as_new(sd, c->name, &nd[i]);
			log_info("reload: class %s added", c->name);
			n++;
			continue;
		}
		nd[i] = sd->classes[k];
		if (conf_changes("class", &old->classes[k], c, what,
		    sizeof(what)) > 0) {
			log_info("reload: class %s changed (%s)", c->name,
			    what);
			n++;
		}
	}
	for (k = 0; k < old->nclasses; k++)
		if (conf_class(&sd->conf, old->classes[k].name) == NULL) {
			log_info("reload: class %s removed",
			    old->classes[k].name);
			hold_jobs_of(sd, "class", old->classes[k].name);
			n++;
		}
	free(sd->classes);
	sd->classes = nd;
	return n;
}

void
reload(struct spoold *sd)
{
	struct conf nc;
	struct conf_gen *g;
	struct printer **run;
	size_t i, nrun;
	int nerr, changes = 0;

	nerr = conf_load(&nc, sd->conf.file, reload_error, NULL);
	if (nerr >= 0)
		nerr += conf_check_host(&nc, reload_error, NULL);
	if (nerr != 0) {
		if (nerr > 0)
			log_warnx("reload: %s: %d error%s; the running"
			    " configuration is kept", sd->conf.file, nerr,
			    nerr == 1 ? "" : "s");
		else
			log_warnx("reload: the running configuration is"
			    " kept");
		conf_free(&nc);
		return;
	}
	changes += reload_fixed(sd, &nc);
	/* The new file is the configuration from now; the old one is kept
	 * while a printer still runs on it. */
	g = xcalloc(1, sizeof(*g));
	g->conf = sd->conf;
	sd->conf = nc;
	g->next = sd->old_confs;
	sd->old_confs = g;
	changes += reload_sections(sd, &g->conf);
	/* The running printers, from a copy of the list: a removed one
	 * leaves sd->printers as it goes. */
	nrun = sd->nprinters;
	run = xcalloc(nrun + 1, sizeof(*run));
	memcpy(run, sd->printers, nrun * sizeof(*run));
	for (i = 0; i < nrun; i++)
		changes += reload_printer(sd, run[i]);
	free(run);
	for (i = 0; i < sd->conf.nprinters; i++) {
		struct conf_printer *cp = &sd->conf.printers[i];
		struct printer *p;

		if (printer_find(sd, cp->name) != NULL)
			continue;
		p = printer_new(sd, cp);
		dest_as_new(sd, cp->name, &p->d);
		log_info("reload: printer %s added", cp->name);
		backend_add(sd, p);
		changes++;
	}
	changes += reload_classes(sd, &g->conf);
	reload_sweep(sd);
	log_info("reload: %s applied: %zu printer%s, %zu class%s; %d"
	    " change%s", sd->conf.file, sd->conf.nprinters,
	    sd->conf.nprinters == 1 ? "" : "s", sd->conf.nclasses,
	    sd->conf.nclasses == 1 ? "" : "es", changes, changes == 1 ? "" :
	    "s");
	sched_kick(sd);
}

/* After a job's end: a printer removed goes, a printer changed takes
 * its new settings, before the dispatcher gives it another job. */
void
reload_settle(struct spoold *sd)
{
	size_t i;
	int any = 0;

	for (i = 0; i < sd->nprinters;) {
		struct printer *p = sd->printers[i];

		if (p->job != 0 || (!p->retiring && p->pending == NULL)) {
			i++;
			continue;
		}
		any = 1;
		if (p->retiring) {
			log_info("reload: printer %s removed: job %s has"
			    " ended", p->conf->name, queue_job_name(sd,
			    p->after_job, p->conf->name));
			printer_retire(sd, p);
			continue;	/* the next one is at i now */
		}
		log_info("reload: printer %s takes its new settings (%s) after"
		    " job %s", p->conf->name, p->changes, queue_job_name(sd,
		    p->after_job, p->conf->name));
		printer_apply(sd, p, p->pending);
		i++;
	}
	if (any) {
		reload_sweep(sd);
		sched_kick(sd);
	}
}

static void
settle_due(void *arg)
{
	reload_settle(arg);
}

void
reload_init(struct spoold *sd)
{
	sd->settle = ev_defer_new(sd->ev, settle_due, sd);
}

/* At exit: the configurations kept for printers. */
void
reload_free(struct spoold *sd)
{
	struct conf_gen *g;

	while ((g = sd->old_confs) != NULL) {
		sd->old_confs = g->next;
		conf_free(&g->conf);
		free(g);
	}
}
