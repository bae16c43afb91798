/*
 * client.h - what gprint, gqueue and gcancel share: finding spoold's
 * control socket, connecting, and the job names they print.
 */
#ifndef GSPOOL_CLIENT_H
#define GSPOOL_CLIENT_H

#include <stdio.h>

#include <jansson.h>

#include "conf.h"

/* Exit codes of the commands (documented in each page). */
#define EXIT_USAGE	2	/* bad flags */
#define EXIT_CONNECT	3	/* spoold cannot be reached or the
				   configuration cannot be read */

/*
 * Load what the commands read of the configuration (conf_path(opt),
 * conf_load_client()) and connect to spoold's control socket.  Errors are printed; returns the socket or -1.
 * On success *c holds the configuration (conf_free() it).
 */
int	client_connect(const char *opt, struct conf *c);
/* conf_load()'s reporter for the commands: each error on stderr. */
void	client_report(const char *msg, void *arg);

/* The destination: -P, else $GSPOOL_PRINTER, else $PRINTER, else the
 * configuration's default printer.  A name from the environment that is
 * not a printer or class of c is reported, naming its variable, and the
 * command exits (EXIT_USAGE). */
const char *client_dest(const char *opt, const struct conf *c);

/*
 * Wait until job id has ended (completed, canceled, aborted or stopped).
 * Returns 1 if it completed, 0 if it ended otherwise (state and reason
 * filled), -2 if spoold refused (no such job), -1 if spoold could not be
 * reached; the errors are printed.
 */
int	client_wait_job(int fd, long id, char *state, size_t statesz,
	    char *reason, size_t reasonsz);

/*
 * client_wait_job(), with a live line while it waits when standard
 * output is a terminal: the job's name, state, printer, share done and
 * layer, each second, from spoold's queue asked on a second connection
 * (the configuration cfile, as client_connect()); the line is cleared
 * before the caller prints the end.  Piped, nothing but the wait.
 */
int	client_wait_job_live(int fd, long id, const char *cfile, char *state,
	    size_t statesz, char *reason, size_t reasonsz);

/* Split a job name "mk3-7" or "7" into its number; -1 if malformed
 * (jobname.h). */
long	client_job_id(const char *arg);
/* Does arg name the job j (a job object of client_job_json()): its
 * number, or its full name?  0, or -1 with why printed (a wrong
 * prefix: "mk4-7: job 7 is mk3-7, not mk4-7"). */
int	client_job_match(const char *arg, const json_t *j);
/* The number of the job arg names, in *id, its prefix (if any) checked
 * against the job's name as spoold gives it (the open queue, then the
 * history; a job in neither is left to spoold to refuse).  0, 1 if arg
 * is malformed or names the job by a wrong prefix (printed), or
 * EXIT_CONNECT. */
int	client_job_resolve(int sock, const char *arg, long *id);
/* As client_job_resolve(), and the job's name as spoold gives it
 * ("farm-7" for "7" or "farm-7") in name, or arg for a job spoold has
 * in neither list. */
int	client_job_name(int sock, const char *arg, long *id, char *name,
	    size_t namesz);

/* Check that every argument names a job; report and exit(EXIT_USAGE) if
 * one does not. */
void	client_check_jobs(int argc, char *argv[]);

/* spoold's printer, class and job rows as JSON objects (new refs). */
struct msg;
json_t	*client_printer_json(const struct msg *);
/* A printer's prompt, if one waits, as gqueue and gpc status show it:
 * "\twaiting for the user: Nozzle Parked [0 Continue]". */
void	client_prompt_text(FILE *fp, json_t *printer);
/* The job numbered id in the array of jobs of queue q, or NULL. */
json_t	*client_queue_find(json_t *q, long id);
json_t	*client_class_json(const struct msg *);
json_t	*client_job_json(const struct msg *);

/*
 * The queue: spoold's answer to "queue DEST [history]" as one object
 * {printers, classes, jobs} of the objects above (what gqueue --json
 * prints and gsftpd's queue.json holds).  NULL if spoold refused (err
 * says why) or went away (err empty).  how: 0, or CLIENT_QUEUE_HISTORY
 * for the ended jobs, | CLIENT_QUEUE_EVERYONE for every sender's
 * refused files (an administrator's; anyone else gets their own).
 */
#define CLIENT_QUEUE_HISTORY	1
#define CLIENT_QUEUE_EVERYONE	2
json_t	*client_queue(int sock, const char *dest, int how, char *err,
	    size_t errsz);
/* Keep only the jobs named (all if njobs is 0), each by its number or
 * its full name; -1 if one was named by a wrong prefix (printed, and
 * left out). */
int	client_queue_only(json_t *q, int njobs, char *jobs[]);
/* Keep only the caller's own jobs (the history's default). */
void	client_queue_own(json_t *q);
/* Keep what concerns DEST only, as spoold's "queue DEST" does: that
 * printer or the class's members, that class, the jobs sent to it or
 * printing on it.  -1 if the queue has no printer or class DEST. */
int	client_queue_dest(json_t *q, const char *dest);
/* lpq's layout of that object; with spool_dir NULL, a timelapse is
 * shown at its place in gsftpd's tree.  how: CLIENT_TEXT_LONG (-l),
 * | CLIENT_TEXT_EVERYONE when everyone's refused files were asked for
 * (each then led by its owner). */
/* A printer's status lines (what it does, its job's progress, its
 * heaters) from its object above, as gqueue shows them under its
 * status line: gpc status shows the same. */
void	client_printer_text(FILE *, json_t *printer);
/* Its heaters alone, "NAME: T0 210.0/210.0 C, B 60.0/60.0 C" (gpc
 * temps): how many, 0 when the status has none. */
int	client_heaters_text(FILE *, json_t *printer);
#define CLIENT_TEXT_LONG	1
#define CLIENT_TEXT_EVERYONE	2
void	client_queue_text(FILE *, json_t *q, int how, int history,
	    const char *spool_dir);
/* The queues of several hosts in one table, with the host beside each
 * job: hosts is an array of {"host": NAME, "queue": OBJECT} or, for one
 * that did not answer, {"host": NAME, "error": WHY}.  how as above. */
void	client_hosts_text(FILE *, json_t *hosts, int how);

#endif
