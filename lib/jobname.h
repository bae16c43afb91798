/*
 * jobname.h - what names a job, read the one way every command reads
 * it.
 *
 * A job is named DEST-ID for good, DEST the printer or class it was
 * submitted to (gspool(7), JOB NAMES): a move to another destination,
 * or a print on a class's member, does not rename it.  A user names it
 * by its number alone, or by that full name; a name with any other
 * prefix is refused, so that "mk4-7" never acts on a job that is not
 * mk4's.
 */
#ifndef GSPOOL_JOBNAME_H
#define GSPOOL_JOBNAME_H

#include <stddef.h>

/*
 * Split arg, "7" or "mk3-7" (the number after the last '-'), into its
 * number and its prefix ("" for none).  0, or -1 if arg is no job's
 * name: no number from 1, a prefix that is not a printer's or class's
 * name (one path component of letters, digits, '.', '_' and '-'), or a
 * prefix longer than prefixsz holds.  prefix may be NULL.
 */
int	job_name_parse(const char *arg, long *id, char *prefix,
	    size_t prefixsz);

/*
 * Does arg name the job id called name (DEST-ID), which is on printer
 * ("" if none)?  0 if arg is its number or its name; -1 if arg is
 * malformed, another job's number, or the number with another prefix,
 * with why saying so ("mk4-7: job 7 is mk3-7 (on mk4), not mk4-7").
 */
int	job_name_check(const char *arg, long id, const char *name,
	    const char *printer, char *why, size_t whysz);

#endif
