/*
 * jobev.c - job events, fanned out to whoever listens.
 *
 * A module that must hear of a job (its filters, the notify command,
 * the control clients waiting for it) listens here; a module that
 * changes a job posts here, after its change is committed, and never
 * calls its listeners by name.  So the calls point one way: queue.c and
 * backend.c, low in spoold, post; filter.c, notify.c and control.c,
 * above them, listen.
 *
 * Listeners are called at once, in the order they listened.  One may
 * post in turn (a filter's attribute is a row too): the inner event is
 * heard by every listener before the outer one goes on, as a call
 * would be.
 */
#include "config.h"

#include <stdlib.h>

#include "spoold.h"
#include "util.h"

static struct listener {
	jobev_fn	*fn;
	void		*arg;
} *listeners;
static size_t nlisteners, cap;

void
jobev_listen(jobev_fn *fn, void *arg)
{
	if (nlisteners == cap) {
		cap = cap ? cap * 2 : 8;
		listeners = xrealloc(listeners, cap * sizeof(*listeners));
	}
	listeners[nlisteners].fn = fn;
	listeners[nlisteners].arg = arg;
	nlisteners++;
}

void
jobev_post(struct spoold *sd, const struct job_event *ev)
{
	size_t i;

	for (i = 0; i < nlisteners; i++)
		listeners[i].fn(sd, ev, listeners[i].arg);
}

void
jobev_free(void)
{
	free(listeners);
	listeners = NULL;
	nlisteners = cap = 0;
}
