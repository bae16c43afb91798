/*
 * spoold.h - the map of the scheduler daemon: its state, the processes
 * it talks to, and the functions of each file.
 *
 * From the top down: a file calls only files below it, and hears of
 * what happens above it through job events (jobev.c) or the loop
 * (lib/event.h); gspool(7), ARCHITECTURE, draws it.
 *
 *   spoold.c   start-up, signals, shutdown; runs the loop (lib/event.c)
 *   reload.c   SIGHUP: the configuration read anew and applied
 *   control.c  the control socket: gprint, gqueue, gcancel, gpc
 *   drop.c     the drop folders, watched with libinotifytools
 *   ingest.c   check a file, copy it into the spool, queue it
 *   filter.c   the programs that run beside each job
 *   notify.c   the notify command and Apprise notifications of job
 *              events (delivered by gspool-notify(8))
 *   sched.c    what runs where: dispatch, hold release, history expiry
 *   approve.c  staff approval: which jobs wait for it, who gives it
 *   acct.c     accounting of ended jobs; the monthly limits
 *   check.c    a job checked against the printer it is handed to
 *   backend.c  one backend process per printer: start, attach, reap,
 *              its messages
 *   dest.c     the printers and classes, and their operator state
 *   reject.c   refused files: kept, counted, expired; refusals limited
 *   queue.c    the queue in SQLite; posts a job event after each commit
 *   jobev.c    job events, fanned out to their listeners
 */
#ifndef GSPOOL_SPOOLD_H
#define GSPOOL_SPOOLD_H

#include <stdio.h>
#include <sys/types.h>

#include <magic.h>
#include <sqlite3.h>

#include "analyse.h"
#include "conf.h"
#include "event.h"
#include "heaters.h"

/* Control connections: at most CLIENTS_PER_USER of one unprivileged
 * user at once, and the last CLIENTS_RESERVED slots kept for root,
 * spoold's own user, the admin group and gsftpd, so that no user can
 * lock the others out, and an emergency stop always gets through. */
#define MAX_CLIENTS	256
#define CLIENTS_PER_USER	16
#define CLIENTS_RESERVED	32
#define USER_MAX	64
/* The uid of the jobs of SFTP accounts (gsftpd(8)): no user has it. */
#define VIRTUAL_UID	((uid_t)-1)

enum printer_state {
	PRINTER_STARTING,	/* backend started, no word from it yet */
	PRINTER_CONNECTING,	/* port open, waiting for the firmware */
	PRINTER_READY,		/* firmware answered: ready for a job */
	PRINTER_BUSY,		/* running G-code of its own (cancel) */
	PRINTER_ERROR,		/* no port, or the firmware halted */
};

/* What an operator set on a printer or class (the dest table). */
struct dest {
	int		 accepting;	/* gpc accept / reject */
	char		 accept_reason[256];
	int		 enabled;	/* gpc enable / disable */
	char		 enable_reason[256];
	int		 awaiting_clear;	/* printers: until gpc ready */
	long		 last_job;
	int		 materials_set;	/* printers: gpc load said, */
	char		 materials[ANALYSE_TOOLS * ANALYSE_MATERIAL + 8];
					/* this: "PLA,none" */
};

/* A mark of a job's timemap (status.c). */
struct status_mark {
	unsigned long	 cmd;		/* at the start of this command */
	double		 s;		/* the model has spent s seconds */
	unsigned long	 layer;
	unsigned long long bytes;	/* of the file, through cmd */
	char		 kinds[8];
};

/* What the status model remembers of a printer between its messages
 * (status.c): the heaters as last heard, the activity and since when,
 * the time its job waited, and where it is in the job's timemap. */
struct printer_status {
	struct heater	 heaters[HEATERS_MAX];
	int		 nheaters;
	long long	 heard_ms;	/* monotonic; 0: never */
	long long	 heard_at;	/* epoch s */
	char		 activity[16];	/* as last told */
	long long	 since;		/* epoch s: in it since */
	long long	 since_ms;	/* monotonic */
	char		 reason[512];
	long		 job;		/* the job the figures below are of */
	long long	 job_ms;	/* monotonic: followed since */
	long long	 waited_ms;	/* of it: heating, paused, waiting,
					   not responding, offline */
	double		 base_model;	/* modelled s when first seen, or -1 */
	long long	 base_active_ms;	/* and the active time then */
	FILE		*tm;		/* its timemap, or NULL */
	int		 tm_tried;	/* opened, or found missing or bad */
	long		 tm_start;	/* offset of the first mark */
	struct status_mark a, b, end;	/* a <= here < b */
	int		 have_b;
	unsigned long	 first_move;	/* 0: not yet read */
	unsigned long long first_bytes;
};

/* A printer: one allocation each, found through sd->printers, so that
 * a reload adds and removes printers without moving the others. */
struct printer {
	struct conf_printer *conf;	/* its settings, as it runs now */
	struct conf_printer *pending;	/* a reload's, once its job ends */
	char		 changes[256];	/* of pending: "max_bed, window" */
	long		 after_job;	/* the job pending or retiring waits for */
	int		 retiring;	/* removed: goes once its job ends */
	int		 restarting;	/* backend to start anew once reaped */
	pid_t		 pid;		/* backend, 0 if none or not ours */
	pid_t		 backend_pid;	/* as it said when re-attached */
	long		 proto;		/* the protocol version it speaks */
	int		 attached;	/* re-attached: not our child */
	int		 sock;		/* to the backend, -1 if none */
	struct dest	 d;
	enum printer_state state;
	char		 message[512];
	char		 temps[256];	/* latest report from the firmware */
	int		 firmware;	/* learnt at connect: gcode_firmware */
	long		 job;		/* job printing, 0 if none */
	long		 lines_done;
	long		 layer;		/* the job's layer, 0 if unknown */
	long long	 bytes_done;	/* of its file, through the last ack */
	long long	 job_size;	/* bytes of the job's file */
	char		 activity[16];	/* printing, pausing, paused ... */
	char		 pause_why[256];	/* why it pauses or is paused */
	int		 not_responding;	/* said so of its job */
	char		*prompt;	/* the firmware's prompt waiting for
					   the user's answer, NULL none */
	char		*prompt_buttons;	/* its choices, one a line */
	struct printer_status st;	/* status.c */
	char		 asked_by[USER_MAX];	/* who asked for the pause,
					   resume or cancel under way */
	struct ev_timer	*clear_timer;	/* notify.c: awaiting clear too long */
	long		 clear_job;	/* the job whose part it holds */
	long long	 restart_at;	/* when to start a dead backend */
	struct ev_io	*io;		/* sock, in the loop */
	struct ev_timer	*restart;	/* at restart_at */
};

/* A filter running beside a job (filter.c). */
#define MAX_FILTERS	32
struct filter {
	pid_t		 pid;		/* 0 once reaped */
	int		 adopted;	/* an earlier spoold's: not our child */
	int		 pidfd;		/* adopted: to see it exit, or -1 */
	struct ev_io	*pidio;		/* pidfd, in the loop */
	int		 by_backend;	/* its layers and parks come from the
					   backend, which keeps its pipes */
	int		 in;		/* its standard input: events */
	int		 err;		/* its standard error: messages */
	long		 job;
	char		 printer[CONF_NAME_MAX + 1];	/* its job's */
	char		 name[CONF_NAME_MAX + 1];
	long long	 deadline;	/* killed then (monotonic ms), or 0 */
	int		 killed;
	int		 progress;	/* last percent sent */
	long		 events_lost;
	long long	 window;	/* second the messages are counted in */
	int		 in_window;
	long		 dropped, total_dropped;
	int		 attrs, events;
	char		 buf[1024];
	size_t		 len;
	struct ev_io	*io;		/* err, in the loop */
};

/* A job checked against a printer before it is handed over (check.c). */
#define MAX_CHECKS	4
struct check {
	pid_t		 pid;		/* the worker, 0 once reaped */
	int		 fd;		/* its verdict, -1 once read */
	long		 job;
	struct printer	*printer;
	char		 policy[20];	/* the printer's checks' fingerprint */
	char		 buf[600];
	size_t		 len;
	struct ev_io	*io;		/* fd, in the loop */
};

struct client {
	int		 fd;
	uid_t		 uid;
	gid_t		 gid;
	int		 admin;		/* -1: not yet known */
	char		 user[USER_MAX];	/* or an SFTP account's name */
	long		 wait_job;	/* answer when this job ends */
	struct printer	*wait_manual;	/* answer when gpc send is done */
	struct submit	*submitting;	/* a file being taken in for it */
	struct ev_io	*io;
};

struct spoold {
	struct conf	 conf;
	int		 foreground;
	struct ev_loop	*ev;		/* the one loop (lib/event.h) */
	struct ev_defer	*kick;		/* sched_kick(): one dispatch pass */
	sqlite3		*db;
	magic_t		 magic;		/* libmagic's own database */
	magic_t		 magic_gcode;	/* gspool's: G-code, bgcode */
	int		 listen_fd;
	struct ev_io	*listen_io;
	int		 ino_fd;
	struct printer	**printers;
	size_t		 nprinters;
	struct dest	*classes;	/* as conf.classes */
	struct conf_gen	*old_confs;	/* still used by printers (reload.c) */
	struct ev_defer	*settle;	/* reload_kick(): at a job's end */
	struct filter	 filters[MAX_FILTERS];
	struct check	 checks[MAX_CHECKS];
	size_t		 rr;		/* printer dispatch starts at */
	long long	 next_release;	/* a held job's time, or 0 */
	long long	 next_expire;	/* next history sweep (monotonic) */
	struct ev_timer	*release_timer, *expire_timer;	/* sched.c */
	struct client	*clients[MAX_CLIENTS];
	char		*dir_jobs, *dir_tmp, *dir_drop, *dir_rejected;
	char		*dir_run;	/* backends' re-attach sockets */
	char		 spool_id[17];	/* this spool's, drawn once (db/0013) */
	int		 quitting;
};

/* Where a drop-folder file came from, to recognise it after a crash. */
struct drop_id {
	const char	*path;
	long long	 dev, ino, mtime_ns;
};

/* A forwarding id (forward-id in NAME.options): 1 to FORWARD_ID_MAX
 * of [A-Za-z0-9._-]. */
#define FORWARD_ID_MAX	64

struct job_row {
	long		 id;
	char		 printer[CONF_NAME_MAX + 1];
	char		 owner[USER_MAX];
	long		 uid;
	char		 title[256];
	long long	 size;
	long		 commands;
	char		 state[16];
	char		 reason[512];
	long		 lines_done;
	long		 layer;
	int		 priority;
	int		 copies, copies_done;
	long long	 hold_until;	/* 0: none */
	char		 ran_on[CONF_NAME_MAX + 1];
	long long	 created, started, finished;
	char		 meta[4096];	/* the analyser's JSON, or "{}" */
	char		 name[CONF_NAME_MAX + 24];	/* DEST-ID, DEST the
					   destination it was submitted to */
	char		 forward[FORWARD_ID_MAX + 1];	/* its forward id,
					   "" if none */
	char		 approval[16];	/* "", awaiting, approved, denied */
	char		 approvers[CONF_NAME_MAX * 2];	/* the group, or "" */
	char		 approval_by[USER_MAX];
	long long	 approval_at;
	char		 approval_note[256];
};

/* The reason of a job held for approval (approve.c). */
#define HOLD_APPROVAL	"awaiting approval"

/* The words of the reason a job is held with when a reload removed its
 * destination (reload.c), which a move ends (control.c). */
#define HOLD_DEST_REMOVED	"was removed from the configuration"

/* A file refused at ingest (reject.c). */
struct rejection_row {
	long		 id;
	char		 owner[USER_MAX];
	long		 uid;		/* -1: an SFTP account's */
	char		 name[256];	/* as submitted */
	char		 file[300];	/* under rejected/OWNER/, or "" */
	long long	 size;
	char		 reason[512];
	long long	 at;		/* epoch s */
};

/* How a job is queued, beyond its file. */
struct job_opts {
	int		 priority;	/* 1-100 */
	int		 copies;
	int		 hold;		/* held until released */
	long long	 hold_until;	/* released then (epoch s), or 0 */
	char		 forward[FORWARD_ID_MAX + 1];	/* "" for none */
	int		 approval;	/* held until approved (approve.c) */
	char		 approvers[CONF_NAME_MAX * 2];	/* who may, or "" */
	char		 fit_hold[600];	/* held: it does not suit its
					   printer (suits.c), or "" */
	const char	*made_for;	/* the analyser's made_for, or NULL */
};

/* How an ingest ended: the job's id, 0 refused (reason says why), -1
 * not taken now.  With an id, reason is "" for a new job, or says why
 * no new one was made: its forward id was known, and id is that job's
 * (INGEST_KNOWN leads the words). */
#define INGEST_KNOWN	"known: "

typedef void ingest_done_fn(struct spoold *, void *arg, long id,
    const char *reason, const struct job_opts *);

/* A file being taken in (ingest.c): read, checked and copied by a
 * worker process, so that no file makes the loop wait. */
#define MAX_INGESTS	2		/* workers at once */
struct ingest {
	struct ingest	*next;
	int		 fd;		/* the file, until the worker has it */
	int		 pipe;		/* the worker's answer, or -1 */
	int		 tfd;
	pid_t		 pid;		/* the worker, 0 if none */
	char		*tmp;		/* the copy in SPOOL/tmp */
	char		*printer, *owner, *drop_path;
	uid_t		 uid;
	char		 title[256];
	struct job_opts	 opts;
	int		 has_drop;
	struct drop_id	 drop;
	struct analyse_policy check;
	char		 policy[20];	/* for_printer: its checks' fingerprint */
	int		 for_printer;
	long long	 max_size;
	ingest_done_fn	*done;
	void		*arg;
	int		 done_called;
	struct ev_io	*io;		/* pipe, in the loop */
	char		 worker_died[128];
	char		 buf[32768];	/* the worker's answer */
	size_t		 len;
};

/* approve.c: staff approval.  Does a job of owner (uid) for dest need
 * it?  1 with approvers set to the group that may approve it ("" for
 * the administrators alone), 0 if not. */
int	approve_needed(struct spoold *, const char *dest, const char *owner,
	    uid_t uid, char *approvers, size_t approverssz);
/* Is the user (uid, its primary gid) a member of the group? */
int	approve_in_group(uid_t uid, gid_t gid, const char *group);
/* Root, spoold's own user, or a member of admin_group (never a virtual
 * account). */
int	approve_is_admin(struct spoold *, uid_t uid);
/* The job's approval as a job row's APPROVAL field: "" or JSON (a new
 * string). */
char	*approve_json(const struct job_row *);

/* acct.c */
/* What an owner used (acct_usage()): ended jobs since a time, and the
 * jobs still queued, by their analysis. */
struct acct_use {
	double		 g;
	double		 seconds;
	double		 cost;
	long		 queued;
};
/* A row of the summary: KEY (a user, a printer, a month YYYY-MM, or ""
 * for all) and its totals. */
struct acct_total {
	char		 key[CONF_NAME_MAX + USER_MAX];
	long long	 jobs, completed, seconds;
	double		 mm, g, cost;
};
/* The clock, or $GSPOOL_TEST_NOW; the start of its month (local). */
long long acct_now(void);
long long acct_month_start(long long now);
/* The ended job's row, in the transaction that ends it: 0 or -1. */
int	acct_record(struct spoold *, long id);
/* Rows past keep_accounting, at most max: how many, or -1. */
int	acct_expire(struct spoold *, long long now, int max);
void	acct_limits(struct spoold *, const char *owner, uid_t,
	    struct conf_limits *);
int	acct_usage(struct spoold *, const char *owner, uid_t,
	    long long since, struct acct_use *);
/* May a job of owner's for dest, of this analysis and copies, be
 * queued?  0 yes, 1 no (why says what is left), -1 error (why). */
int	acct_check(struct spoold *, const char *owner, uid_t,
	    const char *dest, const char *meta, int copies, char *why,
	    size_t whysz);
/* The totals of the rows since a time (of owner, or everyone for "";
 * of the jobs printed on or sent to dest, or all for ""), by "user",
 * "printer", "month" or "" (one row): row() for each, which stops them
 * with -1.  0 or -1. */
int	acct_summary(struct spoold *, const char *by, const char *owner,
	    const char *dest, long long since,
	    int (*row)(const struct acct_total *, void *), void *);

/* check.c */
struct analyse_policy;
void	check_init(struct spoold *);
void	check_forget(struct spoold *, const struct printer *);
void	check_policy(const struct printer *, struct analyse_policy *);
void	check_fingerprint(const struct printer *, char *out, size_t outsz);
int	check_busy(const struct spoold *, const struct printer *);
int	check_start(struct spoold *, long id, struct printer *);
int	check_reaped(struct spoold *, pid_t, int status);

/* status.c */
#define STATUS_STALE_MS		15000	/* heaters older are stale: three
					   of the backend's report periods */
#define STATUS_PACE_MIN_S	10.0	/* modelled seconds before the pace
					   is learnt */
void	status_update(struct spoold *, struct printer *);
void	status_temps(struct spoold *, struct printer *, const char *report);
void	status_job_end(struct printer *);
/* The share of the job's modelled time done, 0 to 1, or -1 if its
 * timemap is missing. */
double	status_fraction(struct spoold *, struct printer *);
/* The printer's status as one JSON object (a new reference): activity,
 * heaters, progress; gqueue(1) lists the fields. */
struct json_t;
struct json_t *status_json(struct spoold *, struct printer *);

/* control.c */
int	control_listen(struct spoold *);
void	control_close(struct spoold *);

/* drop.c */
int	drop_init(struct spoold *);
void	drop_scan(struct spoold *);

/* ingest.c */
void	ingest_submit(struct spoold *, int fd, const char *dest,
	    const char *owner, uid_t uid, const char *title,
	    const struct job_opts *, const struct drop_id *drop,
	    ingest_done_fn *done, void *arg);
int	ingest_busy(const struct drop_id *);
int	ingest_reaped(struct spoold *, pid_t, int status);
/* How much of owner's files being checked now (the sender by name and
 * uid, VIRTUAL_UID for an SFTP account's) the workers have read so
 * far, and how many they are. */
void	ingest_progress(struct spoold *, const char *owner, uid_t uid,
	    long long *bytes, int *files);
void	ingest_sweep(struct spoold *);

/* suits.c: does a job suit a printer (lib/fit.c), by what its file
 * was made for and what the printer is and has loaded now. */
void	suits_printer(const struct printer *, struct fit_printer *);
/* At submission, for dest (a printer or class): FIT_OK, FIT_HOLD (a
 * printer's job is held, why the reason) or FIT_REFUSE (refused, why
 * says why); a class's job is refused only when every member would
 * refuse it, and waits otherwise. */
int	suits_submit(struct spoold *, const char *dest, const char *made_for,
	    char *why, size_t whysz);
/* At handover: FIT_OK, or not with why and want (fit_judge()). */
int	suits_job(struct spoold *, const struct printer *, long id,
	    char *why, size_t whysz, char *want, size_t wantsz);
/* The made_for object of the analyser's meta, compact (a new string,
 * "" if none). */
char	*suits_made_for(const char *meta);
/* gpc load changed what p has: its jobs held for not suiting it are
 * judged again, and released if they suit it now (how many); a class's
 * job waiting for a member it suits loses that reason once one does. */
int	suits_loaded(struct spoold *, struct printer *);

/* queue.c */
int	queue_open(struct spoold *);
void	queue_close(struct spoold *);
/* The new job's id; or, when opts->forward is known for owner, that
 * job's id with *known set (nothing added, tmp_path left); -1. */
long	queue_add(struct spoold *, const char *dest, const char *owner,
	    uid_t uid, const char *title, long long size, long commands,
	    const char *sha256, const char *meta, const struct job_opts *,
	    const struct drop_id *drop, const char *tmp_path, int *known);
/* The job owner queued with forward id fwd: its id, 0 none, -1. */
long	queue_forward_find(struct spoold *, const char *owner,
	    const char *fwd);
int	queue_set_state(struct spoold *, long id, const char *state,
	    const char *reason, const char *who);
int	queue_set_progress(struct spoold *, long id, long lines,
	    long layer);
int	queue_add_event(struct spoold *, long id, const char *what,
	    const char *reason, const char *who);
int	queue_pending(struct spoold *, const char *dests_json, long *ids,
	    int max);
/* The job's made_for (the analyser's JSON, "" none): 0, or -1. */
int	queue_made_for(struct spoold *, long id, char *out, size_t outsz);
/* Why a pending job waits (a class none of whose members suits it):
 * set if it differs, "" clears it.  0, or -1. */
int	queue_set_waiting(struct spoold *, long id, const char *reason);
/* The pending jobs that wait with a reason of queue_set_waiting()'s
 * (a class's, suited by no member): their ids, at most max; how many,
 * or -1. */
int	queue_waiting_unsuited(struct spoold *, long *ids, int max);
/* The held jobs of printer (sent to it) held with a reason of
 * fit_judge()'s: their ids, at most max; how many, or -1. */
int	queue_held_unfit(struct spoold *, const char *printer, long *ids,
	    int max);
int	queue_check_get(struct spoold *, long id, const char *printer,
	    const char *policy, char *reason, size_t reasonsz);
int	queue_check_put(struct spoold *, long id, const char *printer,
	    const char *policy, int ok, const char *reason);
int	queue_ids(struct spoold *, const char *state, long after, long *ids,
	    int max);
int	queue_start(struct spoold *, long id, const char *printer);
int	queue_copy_done(struct spoold *, long id, const char *who);
int	queue_set_priority(struct spoold *, long id, int priority,
	    const char *who);
int	queue_top(struct spoold *, long id, const char *who);
int	queue_move(struct spoold *, long id, const char *dest,
	    const char *who, int release);
int	queue_hold(struct spoold *, long id, long long until,
	    const char *who);
int	queue_release(struct spoold *, long id, const char *who,
	    const char *why);
/* A job awaiting approval approved (pending, or held if its hold-until
 * time is still to come) or denied (canceled with the reason). */
int	queue_approve(struct spoold *, long id, const char *who,
	    const char *note);
int	queue_deny(struct spoold *, long id, const char *who,
	    const char *reason);
/* A job that needs approval on its new destination: held for it. */
int	queue_await_approval(struct spoold *, long id, const char *approvers,
	    const char *who);
long long queue_release_due(struct spoold *, long long now);
int	queue_expire(struct spoold *, long long now, int max);
int	queue_set_attr(struct spoold *, long id, const char *name,
	    const char *value);
int	queue_dest_load(struct spoold *, const char *name, struct dest *);
int	queue_dest_save(struct spoold *, const char *name,
	    const struct dest *);
long	queue_count_user(struct spoold *, const char *owner);
int	queue_get(struct spoold *, long id, struct job_row *);
struct json_t *queue_attrs(struct spoold *, long id);
const char *queue_job_name(struct spoold *, long id, const char *dest);
int	queue_list(struct spoold *, const char *dest, int history,
	    int (*cb)(const struct job_row *, void *), void *arg);
long	queue_drop_seen(struct spoold *, const struct drop_id *);
long long queue_user_bytes(struct spoold *, const char *owner);
int	queue_rejection_add(struct spoold *, const char *owner, uid_t uid,
	    const char *name, const char *file, long long size,
	    const char *reason, long long at);
int	queue_rejection_known(struct spoold *, const char *owner,
	    const char *file);
int	queue_rejection_usage(struct spoold *, const char *owner,
	    long long since, long n, long *kept, long long *bytes,
	    long long *nth_at);
int	queue_rejection_list(struct spoold *, const char *owner,
	    int (*cb)(const struct rejection_row *, void *), void *arg);
int	queue_rejection_expire(struct spoold *, long long before,
	    struct rejection_row *rows, int max);
char	*queue_job_path(struct spoold *, long id);

/* filter.c: a job's filters hear its events (a jobev listener). */
void	filter_init(struct spoold *);
void	filter_send_one(struct filter *, const char *event);
int	filter_reaped(struct spoold *, pid_t, int status);

/* notify.c: the notify command, run for each row of a job's history
 * once committed, and the Apprise notifications of notify_urls,
 * delivered by gspool-notify(8) (a jobev listener). */
void	notify_init(struct spoold *);
int	notify_reaped(struct spoold *, pid_t, int status);
void	notify_free(struct spoold *);

/* jobev.c: job events, posted after the change they tell of is
 * committed, and heard by every listener in the order they listened.
 * A row of the job's history (row = 1) is posted by queue.c; the
 * events of a print that no row keeps (start, layer, progress, parked,
 * end) by backend.c and sched.c; job 0 is an event of a printer alone
 * (manual: gpc send is answered).  The backend's word about a job's
 * filters is posted too: filter-kept (it writes that filter's layers
 * and parks from now on) and filter-pipe (a filter's pipe handed back
 * on re-attaching, fd). */
struct job_event {
	long		 job;
	const char	*name;		/* a row's state or event, or start,
					   layer, progress, parked, end,
					   manual, filter-kept, filter-pipe */
	const char	*who;
	const char	*reason;	/* a row's reason; layer: "N z=Z";
					   parked: N; end: the state;
					   manual: the printer's answer;
					   filter-*: the filter's name (and
					   who: in or err) */
	int		 row;
	int		 ok;		/* manual: done, or failed */
	struct printer	*printer;	/* where, for events of a print */
	long long	 done, size;	/* progress: bytes */
	long		 pid;		/* filter-kept, filter-pipe: the
					   filter's */
	int		 fd;		/* filter-pipe: the pipe (the
					   poster's, still to close) */
};
/* The reason of the row that follows not-responding when the printer
 * speaks again (its event is the job's state, processing). */
#define JOB_ANSWERS_AGAIN	"the printer answers again"
typedef void jobev_fn(struct spoold *, const struct job_event *, void *);
void	jobev_listen(jobev_fn *, void *arg);
void	jobev_post(struct spoold *, const struct job_event *);
void	jobev_free(void);

/* reject.c */
int	reject_limits(struct spoold *, const char *owner, char *why,
	    size_t whysz);
void	reject_note(struct spoold *, const char *owner, uid_t uid,
	    const char *name, const char *file, long long size,
	    const char *reason);
void	reject_adopt(struct spoold *);
int	reject_expire(struct spoold *, long long now, int max);
int	reject_file_ok(const char *);
int	reject_remove(struct spoold *, const struct rejection_row *,
	    const char *by, char *why, size_t whysz);
struct reject_usage {
	long		 jobs;		/* not ended */
	long long	 job_bytes;	/* files in the spool, ended or not */
	long		 rejected;	/* refused files kept */
	long long	 rejected_bytes;
	long long	 refused_until;	/* new files refused till (epoch s) */
};
void	reject_usage(struct spoold *, const char *owner,
	    struct reject_usage *);

/* dest.c: the printers and classes, and what an operator set on
 * them (accept, enable, the bed's awaiting-clear). */
void	dest_init(struct spoold *);
struct printer *printer_new(struct spoold *, struct conf_printer *);
void	printer_free(struct spoold *, struct printer *);
void	dest_free(struct spoold *);
struct printer *printer_find(struct spoold *, const char *name);
struct printer *printer_of_job(struct spoold *, long id);
const char *printer_state_name(enum printer_state);
struct dest *dest_find(struct spoold *, const char *name);
int	dest_known(struct spoold *, const char *name);
void	dest_save(struct spoold *, const char *name);
int	dest_set(struct dest *, const char *verb, const char *reason);
int	dest_takes_jobs(const struct printer *);
void	dest_sources(struct spoold *, const struct printer *, char *buf,
	    size_t bufsz);
void	dest_job_placed(struct spoold *, struct printer *, long id);
void	printer_ready(struct spoold *, struct printer *, const char *who);

/* backend.c */
void	backend_init(struct spoold *);
void	backend_attach_all(struct spoold *);
void	backend_recover(struct spoold *);
void	backend_start_all(struct spoold *);
void	backend_add(struct spoold *, struct printer *);
void	backend_stop(struct spoold *, struct printer *, int port_wanted);
int	backend_args_differ(const struct conf_printer *,
	    const struct conf_printer *);
int	backend_reconfigure(struct spoold *, struct printer *,
	    const struct conf_printer *old);
int	backend_print(struct spoold *, struct printer *, long id, int fd,
	    const char *between);
void	backend_reaped(struct spoold *, pid_t, int status);
void	backend_close_all(struct spoold *);
void	printer_unpark(struct spoold *, long id);
int	backend_keep_filter(struct spoold *, struct printer *, long id,
	    const char *name, pid_t pid, const char *which, int fd);
int	printer_resume_from(struct spoold *, const struct job_row *,
	    long layer, const char *who, char *why, size_t whysz);
int	printer_cancel(struct spoold *, long id, const char *who);
int	printer_request(struct spoold *, struct printer *, const char *verb,
	    const char *who, char *why, size_t whysz);
/* gpc answer: the button's index and in how what is done with it
 * ("M876 S0"), or -1 with why. */
int	printer_answer(struct spoold *, struct printer *, const char *choice,
	    const char *who, char *how, size_t howsz, char *why, size_t whysz);

/* sched.c: what runs where.  sched_kick() only records that a dispatch
 * pass is wanted: the loop runs one after the current event, however
 * many were asked for (as Postfix's qmgr folds its scan requests).  It
 * posts the loop's deferred call, so any file may call it, below
 * sched.c as well as above. */
void	sched_init(struct spoold *);
void	sched_dispatch(struct spoold *);
void	sched_hold_until(struct spoold *, long long until);
void	sched_expire_soon(struct spoold *);
/* Job id, made pending outside a pass (queued, approved): judged now
 * by what its file was made for, as a pass would, so that one that
 * does not suit its printer, or suits no member of its class, says so
 * at once, though no printer takes jobs now. */
void	sched_judge(struct spoold *, long id);
static inline void
sched_kick(struct spoold *sd)
{
	if (sd->kick != NULL)
		ev_defer_post(sd->kick);
}

/* reload.c: SIGHUP's configuration, checked whole and applied: printers
 * and classes added, removed or changed; a printer printing takes its
 * change (or goes) once its job ends.  reload_kick() records that a job
 * has ended (any file may call it); the loop then runs reload_settle(),
 * which applies what waited for it. */
struct conf_gen;
void	reload_init(struct spoold *);
void	reload(struct spoold *);
void	reload_settle(struct spoold *);
void	reload_free(struct spoold *);
static inline void
reload_kick(struct spoold *sd)
{
	if (sd->settle != NULL)
		ev_defer_post(sd->settle);
}

#endif
