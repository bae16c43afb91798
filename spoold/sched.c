/*
 * sched.c - what runs where: dispatching jobs to printers, releasing
 * held jobs when their time comes, and sweeping the history.
 *
 * Nobody calls the dispatcher: a file that changes what may run (a job
 * queued or released, a printer ready, a bed cleared, a check's
 * verdict) calls sched_kick(), which only records that a dispatch pass
 * is wanted; the loop runs one pass after the current event, however
 * many were asked for, as Postfix's qmgr folds its scan requests.
 *
 * The pass: each printer that takes jobs (dest.c), round robin from the
 * one after the last served, so that a class's jobs spread over its
 * ready members, looks through the pending jobs of itself and of its
 * enabled classes in the queue's order (priority, then age) for the
 * first checked against it as it is now (check.c).  A job not yet
 * checked is checked, in a worker, and the printer waits for the
 * verdict, which kicks again.  Before that, a job whose file was made
 * for another printer, nozzle or filament (suits.c) is held if it was
 * sent to this printer, and passed over if to a class.  A job sent to
 * the printer that does not fit it is held with the reason; one sent
 * to a class waits for another member, and is held once it fits none
 * of those it suits.  A job held is never
 * dispatched; the bed of a printer awaiting-clear blocks it.
 *
 * Held jobs with a time are released by a timer at the earliest such
 * time; the history (keep_history) and the refused files (keep_rejected)
 * are swept every ten minutes, soon after a job ends, and a second
 * apart while there is more to sweep.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spoold.h"
#include "util.h"

/* Job id does not fit printer p (why says how).  A job sent to p is
 * held with the reason; one sent to a class waits for another member,
 * and is held once it fits none. */
static void
sched_unfit(struct spoold *sd, struct printer *p, long id,
    const char *why)
{
	struct conf_class *k;
	struct job_row j;
	char reason[1200], fp[20], mwhy[512];
	size_t m;
	int r;

	if (queue_get(sd, id, &j) <= 0 || strcmp(j.state, "pending") != 0)
		return;
	if ((k = conf_class(&sd->conf, j.printer)) == NULL) {
		snprintf(reason, sizeof(reason), "does not fit %s: %s",
		    p->conf->name, why);
		goto hold;
	}
	for (m = 0; m < k->nmembers; m++) {
		struct printer *q = printer_find(sd, k->members[m]);
		char sw[FIT_REASON], sn[FIT_REASON];

		/* A member it does not suit never takes it. */
		if (q == NULL || (q != p && suits_job(sd, q, id, sw,
		    sizeof(sw), sn, sizeof(sn)) != FIT_OK))
			continue;
		check_fingerprint(q, fp, sizeof(fp));
		r = queue_check_get(sd, id, q->conf->name, fp, mwhy,
		    sizeof(mwhy));
		if (r != 0)
			return;		/* it may fit that one */
	}
	snprintf(reason, sizeof(reason), "fits no printer of %s; %s: %s",
	    k->name, p->conf->name, why);
hold:
	log_warnx("%s: held: %s", queue_job_name(sd, id, j.printer), reason);
	queue_set_state(sd, id, "held", reason, "spoold");
}

/* Job id does not suit printer p by what its file was made for
 * (suits.c; why says how, want what a member would need).  A job sent
 * to p is held with the reason; one sent to a class is passed over,
 * and when no member suits it waits with the reason, pending: gpc load
 * or a reload may change that. */
static void
sched_unsuited(struct spoold *sd, struct printer *p, long id,
    const char *why, const char *want)
{
	struct conf_class *k;
	struct job_row j;
	char w[FIT_REASON], n[FIT_REASON], reason[600];
	size_t m;

	if (queue_get(sd, id, &j) <= 0 || strcmp(j.state, "pending") != 0)
		return;
	if ((k = conf_class(&sd->conf, j.printer)) == NULL) {
		log_warnx("%s: held: %s", queue_job_name(sd, id, j.printer),
		    why);
		queue_set_state(sd, id, "held", why, "spoold");
		return;
	}
	for (m = 0; m < k->nmembers; m++) {
		struct printer *q = printer_find(sd, k->members[m]);

		if (q != NULL && q != p && suits_job(sd, q, id, w, sizeof(w),
		    n, sizeof(n)) == FIT_OK)
			return;		/* it waits for that one */
	}
	snprintf(reason, sizeof(reason), "no member of %s %s", k->name, want);
	if (strcmp(j.reason, reason) != 0)
		log_info("%s: waits: %s (%s: %s)", queue_job_name(sd, id,
		    j.printer), reason, p->conf->name, why);
	queue_set_waiting(sd, id, reason);
}

void
sched_judge(struct spoold *sd, long id)
{
	struct conf_class *k;
	struct printer *p = NULL;
	struct job_row j;
	char why[FIT_REASON], want[FIT_REASON];
	size_t m;

	if (queue_get(sd, id, &j) <= 0 || strcmp(j.state, "pending") != 0)
		return;
	if ((k = conf_class(&sd->conf, j.printer)) == NULL)
		p = printer_find(sd, j.printer);
	else
		for (m = 0; m < k->nmembers && p == NULL; m++)
			p = printer_find(sd, k->members[m]);
	/* A class's first member that does not suit it: sched_unsuited
	 * judges the others. */
	if (p != NULL && suits_job(sd, p, id, why, sizeof(why), want,
	    sizeof(want)) != FIT_OK)
		sched_unsuited(sd, p, id, why, want);
}

/* Pending jobs a printer looks through for one that fits it: the class
 * jobs that fit none of their members are held as they are met, so only
 * those waiting for another member are passed over. */
#define PENDING_LOOK	64

void
sched_dispatch(struct spoold *sd)
{
	size_t n, i, start = sd->rr;

	if (sd->quitting || sd->nprinters == 0)
		return;
	/* Round robin: a class's jobs spread over its ready members. */
	for (n = 0; n < sd->nprinters; n++) {
		struct printer *p;
		char *path, src[1024], fp[20], why[512], want[FIT_REASON];
		const char *between;
		long id, pend[PENDING_LOOK];
		int fd, was_clear, r, k, npend;

		/* From where the last pass left off: a printer served in
		 * this pass moves the next pass's start, not this one's. */
		i = (start + n) % sd->nprinters;
		p = sd->printers[i];
		if (!dest_takes_jobs(p) || check_busy(sd, p))
			continue;
		dest_sources(sd, p, src, sizeof(src));
		check_fingerprint(p, fp, sizeof(fp));
		/* The first job checked against this printer as it is now,
		 * past the class jobs that do not fit it (check.c); a job
		 * not yet checked is checked, and the printer waits for the
		 * verdict, which runs this again. */
		npend = queue_pending(sd, src, pend, PENDING_LOOK);
		for (id = 0, k = 0; k < npend; k++) {
			/* What the file was made for first: no file is read
			 * for a printer it does not suit. */
			if (suits_job(sd, p, pend[k], why, sizeof(why), want,
			    sizeof(want)) != FIT_OK) {
				sched_unsuited(sd, p, pend[k], why, want);
				continue;
			}
			r = queue_check_get(sd, pend[k], p->conf->name, fp,
			    why, sizeof(why));
			if (r > 0) {
				id = pend[k];
				break;
			}
			if (r < 0) {
				check_start(sd, pend[k], p);
				break;
			}
			sched_unfit(sd, p, pend[k], why);
		}
		if (id == 0)
			continue;
		path = queue_job_path(sd, id);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			log_warn("%s: %s", queue_job_name(sd, id,
			    p->conf->name), path);
			queue_set_state(sd, id, "aborted", "the spool file is"
			    " missing", "spoold");
			free(path);
			n--;		/* look at this printer again */
			continue;
		}
		free(path);
		if (queue_start(sd, id, p->conf->name) < 0) {
			close(fd);
			continue;
		}
		/* A printer that clears its own bed runs between_jobs
		 * first, once a job has left a part on it. */
		between = p->d.awaiting_clear && p->conf->clears_bed &&
		    p->conf->script[CONF_BETWEEN][0] ? "between" : "";
		was_clear = !p->d.awaiting_clear;
		dest_job_placed(sd, p, id);
		if (backend_print(sd, p, id, fd, between) < 0) {
			queue_set_state(sd, id, "pending", "", "spoold");
			p->d.awaiting_clear = !was_clear;
			dest_save(sd, p->conf->name);
			close(fd);
			continue;
		}
		close(fd);
		sd->rr = i + 1;
	}
}

/* Held jobs whose time has come, and the retention of the history and
 * of refused files. */
static void	release_arm(struct spoold *);

static void
release_due(void *arg)
{
	struct spoold *sd = arg;
	long long t = (long long)time(NULL);

	if (sd->next_release != 0 && t >= sd->next_release) {
		sd->next_release = queue_release_due(sd, t);
		sched_kick(sd);
	}
	release_arm(sd);
}

static void
expire_due(void *arg)
{
	struct spoold *sd = arg;
	long long t = (long long)time(NULL), now = monotonic_ms();
	int n;

	n = queue_expire(sd, t, 256);
	/* Refused files past keep_rejected go with the history. */
	if (reject_expire(sd, t, 64) >= 64)
		n = 256;
	/* And accounting past keep_accounting. */
	if (acct_expire(sd, t, 256) >= 256)
		n = 256;
	/* More to do: again soon, not all at once. */
	sd->next_expire = now + (n >= 256 ? 1000 : 600000);
	ev_timer_at(sd->expire_timer, sd->next_expire);
}

/* The next held job's time, from the wall clock to the loop's: it comes
 * from the queue, where an older spoold may have left any number, so a
 * day at most, then look again. */
static void
release_arm(struct spoold *sd)
{
	long long left = 86400;

	if (sd->next_release == 0) {
		ev_timer_stop(sd->release_timer);
		return;
	}
	if (sd->next_release >= 0 && sd->next_release <= HOLD_UNTIL_MAX)
		left = sd->next_release - (long long)time(NULL);
	if (left > 86400)
		left = 86400;
	ev_timer_in(sd->release_timer, (left > 0 ? left : 0) * 1000);
}

/* A job is held until a time (epoch s): released then. */
void
sched_hold_until(struct spoold *sd, long long until)
{
	if (until == 0 || (sd->next_release != 0 && sd->next_release <= until))
		return;
	sd->next_release = until;
	release_arm(sd);
}

/* A job has ended: a sweep of the history soon. */
void
sched_expire_soon(struct spoold *sd)
{
	sd->next_expire = 0;
	ev_timer_at(sd->expire_timer, 0);
}

static void
sched_pass(void *arg)
{
	sched_dispatch(arg);
}

/* Rows of the history that end a job start the history's sweep. */
static void
sched_hear(struct spoold *sd, const struct job_event *ev, void *arg)
{
	(void)arg;
	if (ev->job != 0 && !ev->row && strcmp(ev->name, "end") == 0)
		sched_expire_soon(sd);
}

void
sched_init(struct spoold *sd)
{
	sd->kick = ev_defer_new(sd->ev, sched_pass, sd);
	sd->release_timer = ev_timer_new(sd->ev, release_due, sd);
	sd->expire_timer = ev_timer_new(sd->ev, expire_due, sd);
	sd->next_release = queue_release_due(sd, (long long)time(NULL));
	release_arm(sd);
	ev_timer_at(sd->expire_timer, 0);
	jobev_listen(sched_hear, NULL);
}

