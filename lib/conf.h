/*
 * conf.h - gspool.conf, the one configuration file (INI, read with
 * libinih).  gspool.conf(5) documents every key, and a test checks that
 * it documents exactly those of conf.c's tables (conf_keys()).
 */
#ifndef GSPOOL_CONF_H
#define GSPOOL_CONF_H

#include "analyse.h"
#include "fit.h"
#include "gcode.h"

#define CONF_NAME_MAX	32
#define CONF_SCRIPT_LINES 32		/* lines of one script */
#define CONF_FILTERS	4		/* filters of one printer */

/* What Apprise notifications tell of (gspool.conf(5), notify_events):
 * one bit each, named in conf_notify_event_names[]. */
enum conf_notify_event {
	NOTIFY_STARTED, NOTIFY_FIRST_LAYER, NOTIFY_WAITING, NOTIFY_PAUSED,
	NOTIFY_RESUMED, NOTIFY_STOPPED, NOTIFY_ABORTED, NOTIFY_CANCELED,
	NOTIFY_COMPLETED, NOTIFY_NOT_RESPONDING, NOTIFY_HEATERS_LEFT_ON,
	NOTIFY_AWAITING_CLEAR, NOTIFY_APPROVAL, NOTIFY_NEVENTS
};
extern const char *const conf_notify_event_names[NOTIFY_NEVENTS];
#define CONF_NOTIFY_URLS	16	/* URLs of one section */
#define CONF_NOTIFY_URL_MAX	1024	/* bytes of one URL */

/* notify_urls and notify_events of [spool], a [printer], a [user] or
 * an [account]: Apprise URLs (secrets: never logged whole) and the
 * events they hear, a mask of 1 << enum conf_notify_event. */
struct conf_notify {
	char	*urls[CONF_NOTIFY_URLS];
	int	 nurls;
	unsigned events;
};

/* approval and approve_group of a [printer], a [class], a [user], a
 * [group] or an [account]: whether a job waits, held, for a member of
 * approve_group (or an administrator) to approve it (gpc approve).
 * need is -1 where the section did not say, 0 no, 1 yes. */
struct conf_approval {
	int	 need;
	char	*group;			/* who may approve, or NULL */
};

/* max_grams_month, max_hours_month and max_cost_month of a [user], a
 * [group] or an [account]: -1 where the section does not say; cost in
 * hundredths. */
struct conf_limits {
	long	 grams;
	long	 hours;
	long	 cost;
};

/* The printer's own G-code: what pause, resume and cancel send, and
 * what a printer that clears its own bed runs between two jobs. */
enum { CONF_PAUSE, CONF_RESUME, CONF_CANCEL, CONF_BETWEEN, CONF_PARK,
	CONF_UNPARK, CONF_SCRIPTS };
extern const char *const conf_script_names[CONF_SCRIPTS];

struct conf_printer {
	char	*name;
	char	*description;
	char	*device;		/* as written: serial:PATH?baud=N or PATH */
	char	*device_path;		/* the PATH part, or the whole URI */
	char	*scheme;		/* its backend: serial, tcp, ... */
	long	 baud;
	long	 handshake_timeout;	/* seconds to wait for "start" */
	long	 reconnect_interval;	/* seconds between opening attempts */
	long	 window;		/* lines in flight; 1 = ping-pong */
	long	 rx_buffer;		/* firmware's receive buffer, bytes */
	long	 ok_timeout;		/* seconds of silence before M105 */
	long	 max_timeouts;
	char	*resend_ok;		/* auto, yes, no */
	struct gcode_policy policy;
	struct analyse_policy check;	/* policy.* copied into check.heat */
	char	*script[CONF_SCRIPTS];	/* checked commands, '\n' between */
	int	 script_set[CONF_SCRIPTS];	/* given in the file */
	int	 volume_min_set;
	int	 clears_bed;		/* no gpc ready between jobs */
	char	*filters[CONF_FILTERS];	/* run beside each job */
	int	 nfilters;
	char	*filter_options;	/* "name=value ...", their 5th argument */
	char	*camera;		/* URL of the webcam, or NULL */
	char	*api_key_file;		/* a network printer's key, or NULL */
	char	*password_file;		/* a Duet board's password, or NULL */
	char	*duet_mode;		/* a Duet's: auto, standalone, sbc */
	char	*ssh_key_file;		/* an sftp:// printer's key, or NULL */
	char	*known_hosts_file;	/* and its host's key, or NULL */
	long	 park_timeout;		/* seconds parked at most */
	long	 heaters_off_after;	/* seconds after a job, 0 never */
	char	 on_unknown_command[12];	/* continue, pause, abort */
	char	 on_firmware_error[12];	/* the same, for Klipper's "!!" */
	struct conf_notify notify;	/* who hears of its jobs */
	struct conf_approval approval;	/* its jobs wait for staff */
	long	 cost_per_kg;		/* hundredths, of its filament */
	long	 cost_per_hour;		/* hundredths, of its time */
	/* What it is (model, nozzle), what is loaded when gpc load has
	 * not said (materials), and what a job that does not suit it
	 * gets (fit_model, fit_nozzle, fit_material); fit.name is NULL
	 * here: the printer's own name is set where it is judged. */
	struct fit_printer fit;
	unsigned line;			/* line of its section header */
};

/* [class NAME]: a pool of printers; a job sent to it goes to the first
 * member ready for it. */
struct conf_class {
	char	*name;
	char	*description;
	char	**members;
	size_t	 nmembers;
	/* What every member allows: a job for the class is checked
	 * against it, so it is fit for whichever member prints it. */
	struct gcode_policy policy;
	struct analyse_policy check;
	struct conf_approval approval;
	unsigned line;
};

/* [user NAME]: limits for one user, over the spool's. */
struct conf_user {
	char	*name;
	long long max_job_size;		/* 0: the spool's */
	long	 max_jobs;		/* -1: the spool's; 0: no limit */
	struct conf_notify notify;	/* the user hears of their jobs */
	struct conf_approval approval;	/* over its groups' and the
					   destination's */
	struct conf_limits limits;	/* over its groups' */
};

/* [group NAME]: what holds for the members of a Unix group (by
 * getgrouplist(3)), under what their [user NAME] says.  Its notify
 * keys are heard by its members as approvers: the approval event of a
 * job they may approve. */
struct conf_group {
	char	*name;
	struct conf_approval approval;
	struct conf_notify notify;
	struct conf_limits limits;	/* each member's */
	unsigned line;
};

/* [material NAME]: a filament, as a file's slicer names what it was
 * made for ("PLA", "PETG"); -1 where it leaves the printer's cost. */
struct conf_material {
	char	*name;
	long	 cost_per_kg;		/* hundredths */
	unsigned line;
};

/* [account NAME]: an SFTP account of gsftpd(8): a name, its keys, and
 * one drop folder (SPOOL/drop/NAME); its jobs are owned by NAME. */
struct conf_account {
	char	*name;
	char	*keys;			/* authorized_keys file */
	long long quota;		/* bytes waiting: drop + unfinished jobs */
	long long max_file;		/* bytes of one upload */
	long	 max_sessions;		/* connections at once */
	struct conf_notify notify;	/* the account hears of its jobs */
	struct conf_approval approval;	/* as a [user NAME]'s */
	struct conf_limits limits;	/* as a [user NAME]'s */
	char	*api_keys;		/* gwebd(8): a file of API keys */
	char	*password;		/* gwebd(8): a crypt(3) hash */
	int	 admin;			/* gwebd(8): may do what gpc can */
	unsigned line;
};

/* [remote NAME]: another gspool host, as the commands reach it
 * (gqueue --all): its gsftpd, "[user@]host[:port]". */
struct conf_remote {
	char	*name;
	char	*host;
	unsigned line;
};

/* [web] listen: up to CONF_LISTEN_MAX addresses, each with whom its
 * readers without a key are. */
#define CONF_LISTEN_MAX	16
#define CONF_ADDR_MAX	128		/* "[ADDRESS]:PORT" as text */
enum conf_anon { ANON_WEB, ANON_ACCOUNT, ANON_NONE };
struct conf_listen {
	char	 addr[CONF_ADDR_MAX];	/* PORT, ADDRESS:PORT, [ADDRESS]:PORT */
	enum conf_anon anon;		/* [web] anonymous, its own, or none */
	char	 account[CONF_NAME_MAX + 1];	/* ANON_ACCOUNT's */
};

/* [web]: gwebd(8), the web view and HTTP API. */
struct conf_web {
	char	*listen;		/* as written: conf_listen, ", " apart */
	struct conf_listen listens[CONF_LISTEN_MAX];
	int	 nlistens;
	char	*user;			/* gwebd runs as this user */
	char	*tls_cert;		/* PEM files: TLS when both are set */
	char	*tls_key;
	int	 insecure;		/* plain HTTP off loopback allowed */
	char	*anonymous;		/* the account anonymous readers see as */
	long	 max_connections;	/* in all */
	long	 max_per_address;	/* from one address */
	long	 timeout;		/* seconds a connection may idle */
	long	 request_time;		/* seconds one request may take */
	long long max_header;		/* bytes of a request's headers */
	long long max_body;		/* bytes of a body but an upload */
	long long max_file;		/* bytes of an upload */
	long	 max_auth_failures;	/* per address before a ban */
	long	 ban_time;		/* seconds an address is refused */
	long	 session_time;		/* seconds a login cookie lasts */
	long	 stream_fps;		/* frames a second to a viewer */
};

/* [sftp]: gsftpd(8), the SFTP drop server. */
struct conf_sftp {
	char	*listen;		/* [ADDRESS]:PORT or PORT */
	char	*host_key;		/* generated when missing */
	long	 login_grace;		/* seconds to log in */
	long	 idle_timeout;		/* seconds without a request */
	long	 stall_timeout;		/* seconds one request may take */
	long long max_memory;		/* RLIMIT_DATA of a connection */
	long	 max_connections;	/* in all */
	long	 max_per_address;	/* from one address */
	long	 max_auth_failures;	/* per address before a ban */
	long	 ban_time;		/* seconds an address is refused */
	char	*user;			/* gsftpd runs as this user */
	long	 startups_begin;	/* max_startups = BEGIN:RATE:FULL */
	long	 startups_rate;		/* percent dropped at BEGIN */
	long	 startups_full;		/* logins in progress at most */
	long	 startups_per_address;	/* logins in progress from one */
	long long quota;		/* defaults of [account NAME] */
	long long max_file;
	long	 max_sessions;
};

struct conf {
	char	*file;
	char	*spool_dir;
	char	*socket_path;
	char	*backend_dir;
	char	*default_printer;
	long long max_job_size;		/* bytes of G-code, uncompressed */
	long	 drop_quiet_ms;		/* a written drop file must rest */
	long	 max_user_jobs;		/* not yet ended, per user; 0: any */
	char	*magic;			/* gspool's compiled magic file */
	char	*admin_group;		/* may do everything, like root */
	char	*approve_group;		/* may approve any job, or NULL */
	char	*user;			/* spoold's own, when started as root */
	int	 show_titles;		/* others' titles shown to all */
	long	 keep_jobs;		/* seconds a finished job is listed */
	long	 keep_files;		/* seconds its file is kept */
	long	 keep_accounting;	/* seconds a job's accounting is
					   kept; 0: for ever */
	long	 keep_rejected;		/* seconds a refused file is kept */
	long	 max_rejections;	/* refusals of a sender in the window */
	long	 rejection_window;	/* seconds they are counted over */
	char	*notify;		/* run on each job event, or NULL */
	struct conf_notify notify_all;	/* hears of every job */
	char	*notifier;		/* gspool-notify(8) */
	char	*apprise;		/* the apprise program */
	long	 notify_timeout;	/* seconds one delivery may take */
	long	 notify_retries;	/* attempts of one delivery */
	long	 notify_max;		/* deliveries at once */
	long	 awaiting_clear_notify;	/* seconds, 0: never */
	char	*filter_dir;		/* where filters are */
	long	 filter_timeout;	/* seconds a filter has after its job */
	long long filter_max_output;	/* bytes a filter may write */
	struct conf_printer *printers;
	size_t	 nprinters;
	struct conf_class *classes;
	size_t	 nclasses;
	struct conf_user *users;
	size_t	 nusers;
	struct conf_group *groups;
	size_t	 ngroups;
	struct conf_material *materials;
	size_t	 nmaterials;
	struct conf_sftp sftp;
	struct conf_web web;
	struct conf_account *accounts;
	size_t	 naccounts;
	struct conf_remote *remotes;
	size_t	 nremotes;
	struct conf_seen *seen;		/* where each key was set */
	size_t	 nseen;
};

/*
 * Read a configuration file.  Every error is reported through report()
 * as "FILE:LINE: message" (or "FILE: message"), and the count of errors
 * returned: 0 means conf is usable.  -1: the file could not be read
 * (reported too).  conf_free() releases it in every case.
 */
int	conf_load(struct conf *, const char *file,
	    void (*report)(const char *msg, void *arg), void *arg);
/*
 * What the commands read: [spool]'s directory, socket and
 * default_printer, checked as conf_load() checks them, and the names of
 * the printers and classes.  Everything else is skipped unread, so a
 * mistake in a printer's section (spoold's to report) never locks a
 * user out.
 */
int	conf_load_client(struct conf *, const char *file,
	    void (*report)(const char *msg, void *arg), void *arg);
void	conf_free(struct conf *);
/*
 * What spoold -n checks beyond the file: the notify program, each
 * printer's backend (backend_dir/SCHEME) and the filters can be run
 * (a scheme no backend serves is an error at the device's line), and
 * two printers are not one
 * device under two names; each error is reported as conf_load()'s and
 * counted.  A device that is not there is a warning ("FILE:LINE:
 * warning: ..."), not counted: a USB printer may be unplugged.
 */
int	conf_check_host(const struct conf *,
	    void (*report)(const char *msg, void *arg), void *arg);
/* The line where [section name] set key (name NULL for [spool] and
 * [sftp]), or 0 if the file did not. */
unsigned conf_line(const struct conf *, const char *section,
	    const char *name, const char *key);
/*
 * The keys of a section whose values differ between two objects of it
 * (a and b: two struct conf for "spool" and "sftp", else two struct
 * conf_printer, conf_class, ...): their count, and their names in out
 * ("max_bed, window"), cut with "..." if out is short.  -1 for an
 * unknown section.
 */
int	conf_changes(const char *section, const void *a, const void *b,
	    char *out, size_t outsz);
/* Every key of every section: ("spool", "directory"), ... */
void	conf_keys(void (*fn)(const char *section, const char *key,
	    void *arg), void *arg);
struct conf_printer *conf_printer(const struct conf *, const char *name);
struct conf_class *conf_class(const struct conf *, const char *name);
struct conf_account *conf_account(const struct conf *, const char *name);
struct conf_user *conf_user(const struct conf *, const char *name);
struct conf_group *conf_group(const struct conf *, const char *name);
struct conf_material *conf_material(const struct conf *, const char *name);
/* Are notify_urls set in any section? */
int	conf_notify_any(const struct conf *);
/* A device of the scheme is a path of this host (serial, klipper). */
int	conf_scheme_local(const char *scheme);
/* An event's name (notify_events), or NULL; and the reverse, -1. */
const char *conf_notify_event_name(int);
int	conf_notify_event_parse(const char *);
/* Is the printer a member of the class? */
int	conf_class_has(const struct conf_class *, const char *printer);
/* A user's limits: the [user NAME] section's, else the spool's. */
void	conf_user_limits(const struct conf *, const char *user,
	    long long *max_job_size, long *max_jobs);

/* The file to use: -c FILE, else $GSPOOL_CONF, else the default. */
const char *conf_path(const char *opt);
const char *conf_default_path(void);

#endif
