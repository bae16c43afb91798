/*
 * crash.h - crash points, for the tests that prove nothing is lost or
 * queued twice across a power cut.
 *
 * When $GSPOOL_TEST_CRASH_AT names a point, the program kills itself
 * there with SIGKILL, as a power cut would stop it.  The points, in the
 * order a dropped file meets them (spoold(8), ENVIRONMENT):
 *
 *   copied           the worker has copied the file into SPOOL/tmp
 *   synced           the copy is on disk
 *   inserted         the job's row is written, not yet committed
 *   renamed          the spool file has its final name
 *   committed        the job is committed
 *   known            a re-sent file's forward id is found queued, before
 *                    the file goes (then options-removed and removed)
 *   options-removed  the drop file's NAME.options is removed
 *   removed          the drop file is removed
 *   accounted        a job's accounting row is written, in the
 *                    transaction that ends it, not yet committed
 *   ended            a job's end is recorded
 *
 * and in the sftp:// backend, as it forwards a job (gspool-sftp(8)):
 *
 *   forward-options  NAME.options is uploaded to the other host
 *   forward-sent     the file is uploaded too
 *   forward-committed  the other host shows the job queued, before it
 *                    is recorded here
 *
 * With $GSPOOL_TEST_CRASH_ONCE set to a path, a point kills only the
 * process that first creates that file.
 *
 * When $GSPOOL_TEST_HOLD_AT names a point, the program stops there
 * instead, until the file $GSPOOL_TEST_HOLD_FILE exists, so that a
 * test can kill another process (spoold, while its backend is held at
 * a step of a forward) at that step and then let this one go on.
 *
 * A point not in that list is a mistake of the program: crash_point()
 * stops it (fatalx), so the list cannot fall behind the code.
 */
#ifndef GSPOOL_CRASH_H
#define GSPOOL_CRASH_H

extern const char *const crash_points[];

/* In a worker process: a crash point kills its parent too, as a power
 * cut would. */
extern int crash_kills_parent;

void	crash_point(const char *name);
/* 1 if name is one of crash_points. */
int	crash_point_known(const char *name);

#endif
