/*
 * net.h - the core of gspool's network backends (libnet.a), and the
 * contract between it and a driver (gspool-backend(7), "A network
 * backend").
 *
 *   net.c	the spoold side: start-up and options, the device URI,
 *		spoold's messages, the end file, the re-attach socket, the
 *		loop (lib/event.c), the poll timer and its backoff, and the
 *		job as spoold sees it, whatever the host
 *   http.c	requests to the host through libcurl: JSON answers, the
 *		key header, HTTP digest and basic auth, a session header,
 *		streamed uploads (a multipart form, a raw body), the
 *		credential file
 *   netfile.c	the job's file: SHA-256, CRC32, and its line index (the
 *		commands done at a byte position)
 *
 * A driver is a struct net_driver that a backend's main() hands to
 * net_main().  The core calls the driver only from its loop, one call at
 * a time; a driver's call may make requests to the host, each bounded by
 * the host's timeout.  A driver reports what the host says through the
 * net_report_*() setters from its poll, and the core decides what that
 * means for spoold (the job's activity, its end, the printer's state,
 * "busy" for a print gspool did not start).
 *
 * Every call that asks the host returns 0, or -1 with the reply's code
 * (0: the host was not reached) and why.  The core treats a failed poll
 * as the host unreachable (the printer offline, the job waiting), a 409
 * answer to an upload or a start as the host busy (the job back pending
 * with that reason), and any other failure of an upload as the job
 * aborted with the host's words.
 */
#ifndef GSPOOL_NET_H
#define GSPOOL_NET_H

#include <stddef.h>

#include <jansson.h>

#define NET_POLL_MS	1000	/* the host asked where it is */
#define NET_BACKOFF_MAX	60000	/* an unreachable host tried this often */
#define NET_SECRET_MAX	256	/* a key, a user, a password */
#define NET_BLOCK	4096	/* the file's index: one count a block */
#define NET_BODY_MAX	(1 << 20)	/* the most of an answer kept */
#define NET_ATTRS	8	/* attributes of a job kept to tell again */
#define NET_PAUSE_GRACE_MS 10000	/* a host's "printing" after our pause
					   not yet taken for a resume */

/* Who may sign in with USER:PASSWORD in the credential file. */
#define NET_AUTH_BASIC	0x01
#define NET_AUTH_DIGEST	0x02
/* The first line is a password, whatever it holds (a Duet board's). */
#define NET_AUTH_PASSWORD	0x04

/* The host, as http.c reaches it. */
struct net_host {
	char	 base[512];	/* http[s]://host:port */
	char	 hostname[300];	/* host:port, for messages */
	int	 tls;
	const char *key_header;	/* the driver's, e.g. "X-Api-Key" */
	const char *cred_option;	/* its gspool.conf key, for messages */
	int	 auth;		/* NET_AUTH_*: what USER:PASSWORD may use */
	char	 key[NET_SECRET_MAX];	/* from the credential file, or "" */
	char	 user[NET_SECRET_MAX];	/* USER:PASSWORD, or "" */
	char	 password[NET_SECRET_MAX];
	char	 session[NET_SECRET_MAX + 64];	/* "Name: value", or "" */
	long	 timeout_ms;	/* a request's whole time, but an upload's */
};

/* An answer: the HTTP code (0 if the host was not reached), the body
 * (NUL-terminated, at most NET_BODY_MAX), its JSON if it is JSON, and
 * on failure the reason ("METHOD PATH: HTTP 409: the host's words"). */
struct net_reply {
	long	 code;
	char	*body;
	size_t	 len;
	json_t	*json;
	char	 why[512];
};

/* Counting commands: lines with something before their comment. */
struct net_count {
	long	 commands;	/* in the lines ended so far */
	int	 cmd;		/* the line begun has a command */
	int	 comment;	/* and is in its comment */
};

/* What the job's file is, read once in blocks: its size, SHA-256 (hex),
 * CRC32 (IEEE, as zlib's), its commands, the count where each
 * NET_BLOCK begins (spoold's lines: a line of only a comment is none),
 * and where each layer's first command ends (layers[k] for layer k + 1,
 * from the slicer's markers as the serial backend reads them). */
struct net_file {
	int	 fd;
	long long size;
	char	 sha256[65];
	unsigned long crc32;
	long	 total;
	struct net_count *blocks;
	size_t	 nblocks;
	long long *layers;
	size_t	 nlayers;
};

/* A field of a multipart form beside the file. */
struct net_field {
	const char *name;
	const char *value;
};

/* The job's own options, as spoold gave them (protocol version 8):
 * "" and 0 where it did not. */
struct net_job_opts {
	char	 title[256];
	int	 priority;	/* 1-100, 0: not given */
	int	 copies;	/* still to print, 0: not given */
	long long hold_until;	/* seconds since the epoch, 0: none */
};

/* What the host says its print is doing (net_report_run). */
enum net_run {
	NET_RUN_IDLE,		/* no print: standby, operational */
	NET_RUN_PRINTING,
	NET_RUN_PAUSED,		/* why: the host's reason, if any */
	NET_RUN_COMPLETE,
	NET_RUN_CANCELLED,
	NET_RUN_FAILED,		/* why: the host's reason */
	NET_RUN_PAUSING,	/* on its way to a pause: not yet paused */
	NET_RUN_WAITING		/* ours, queued on the host, not yet begun:
				 * waited for however long it takes */
};

/* What the printer is (net_report_printer). */
enum net_printer {
	NET_PRINTER_READY,
	NET_PRINTER_CONNECTING,	/* starting, not yet ready; a job waits */
	NET_PRINTER_FAULT,	/* an error: a job of ours ends aborted */
	NET_PRINTER_BUSY	/* taken by what gspool did not send, or not
				 * accepting: no job is handed to it */
};

struct net_driver {
	const char *name;	/* the program's, for logs and usage */
	const char *scheme;	/* "octoprint" */
	const char *tls_scheme;	/* "octoprints", or NULL */
	int	 port, tls_port;	/* the default ports */
	const char *key_header;	/* a key is sent in it; NULL: none */
	int	 auth;		/* NET_AUTH_*, or 0: USER:PASSWORD refused */
	const char *cred_option;	/* NULL: "api_key_file" */
	long	 poll_ms;	/* 0: NET_POLL_MS */
	int	 account;	/* the device names ACCOUNT@HOST (net_account) */
	int	 ssh;		/* -a is an SSH key and -K its known_hosts:
				 * the driver's to read (net_keyfile()) */
	void	*priv;		/* the driver's, net_priv() */
	/* -M's words, NULL-terminated, the first the default (net_mode()
	 * is the index of the one given); NULL: -M is refused. */
	const char *const *modes;

	/* The device URI after HOST[:PORT] ("" when none): 0, or -1 with
	 * why.  NULL: nothing but an optional "/" is taken. */
	int	(*device)(const char *rest, char *why, size_t whysz);
	/* Ask the host where it is, and report it (net_report_*). */
	int	(*poll)(struct net_reply *r);
	/* The job's file under name (net_job_name()); f is scanned. */
	int	(*upload)(struct net_file *f, const char *name,
		    struct net_reply *r);
	/* Start the uploaded file; NULL: the upload started it. */
	int	(*start)(const char *name, struct net_reply *r);
	int	(*pause)(struct net_reply *r);
	int	(*resume)(struct net_reply *r);
	int	(*cancel)(struct net_reply *r);
	/* Optional (NULL: not offered, and said so). */
	int	(*estop)(struct net_reply *r);
	int	(*gcode)(const char *lines, struct net_reply *r);
	int	(*heaters_off)(struct net_reply *r);
	/* Forget the upload once the job is over (NULL: it stays). */
	int	(*remove)(const char *name, struct net_reply *r);
	/* The answer to the prompt the driver reported: its button k,
	 * from 0 (NULL: the host's prompts are not carried). */
	int	(*answer)(int k, struct net_reply *r);
};

/* net.c: the backend's main(); returns its exit code. */
int	net_main(int argc, char *argv[], const struct net_driver *d);

/* Accessors for a driver. */
struct net_host *net_host(void);
const char *net_printer(void);	/* the printer's name in gspool */
const char *net_hostname(void);	/* host:port */
void	*net_priv(void);
long	 net_job_id(void);	/* 0: no job of ours */
const char *net_job_name(void);	/* gspool-PRINTER-ID.gcode, or "" */
const struct net_job_opts *net_job_opts(void);	/* the job's options */
const char *net_job_ref(void);	/* the driver's own, "" until set */
void	 net_job_ref_set(const char *ref);	/* e.g. the host's job id */
struct net_file *net_job_file(void);	/* NULL: no job */
const char *net_account(void);	/* ACCOUNT of ACCOUNT@HOST, or "" */
const char *net_keyfile(void);	/* -a, or NULL */
const char *net_known_hosts(void);	/* -K, or NULL */
const char *net_spool_id(void);	/* -i, spoold's identity, or NULL */
int	 net_mode(void);	/* -M's index in the driver's modes, 0 if none */
/* -S: the spool, where a driver leaves what it mirrors of the host
 * (a webcam frame, a timelapse) as spoold's own files are; or NULL. */
const char *net_spool_dir(void);
/* 1 while spoold is connected (what is told it now is heard). */
int	 net_spoold_here(void);
/* A job's attribute, kept by spoold (gqueue -l); a name spoold keeps.
 * The core keeps the job's last NET_ATTRS and tells them again to a
 * spoold that re-attaches. */
void	 net_job_attr(const char *name, const char *value);
/* The same for a job by its id, over or not: spoold keeps only a name
 * it takes from a backend for a job that ran on this printer. */
void	 net_attr(long job, const char *name, const char *value);
/* The job's end, as a spoold that was away will find it (state
 * "pending": the job is to be handed again). */
void	 net_end_file(const char *state, const char *why);

/* Reports, from a poll; the core acts on them when the poll returns.
 * A poll without net_report_run() is no news of the print. */
void	 net_report_printer(enum net_printer p, const char *text);
void	 net_report_run(enum net_run run, const char *file, const char *why);
void	 net_report_pos(long long byte);	/* the host's file position */
void	 net_report_fraction(double done);	/* 0..1, if no position */
void	 net_report_layer(unsigned long layer);
void	 net_report_temps(double hotend, double hotend_target, double bed,
	    double bed_target);
/* The prompt the host shows the user now: its text ("" for none) and
 * its buttons, one a line; told to spoold when it changes. */
void	 net_report_prompt(const char *text, const char *buttons);
/* Not from a poll: the host went away (the printer offline, a job
 * waits, tried again later, doubling to NET_BACKOFF_MAX). */
void	 net_unreachable(const struct net_reply *r);

/* http.c */
void	 net_http_init(void);
int	 net_cred_read(const char *path, struct net_host *h, char *why,
	    size_t whysz);
int	 net_request(const struct net_host *h, const char *method,
	    const char *path, const char *query, struct net_reply *r);
int	 net_request_body(const struct net_host *h, const char *method,
	    const char *path, const char *query, const char *ctype,
	    const char *data, struct net_reply *r);
int	 net_request_json(const struct net_host *h, const char *method,
	    const char *path, const char *query, json_t *body,
	    struct net_reply *r);
int	 net_upload_form(const struct net_host *h, const char *path,
	    const struct net_field *fields, size_t nfields,
	    const char *file_field, const char *name, struct net_file *f,
	    struct net_reply *r);
int	 net_upload_raw(const struct net_host *h, const char *method,
	    const char *path, const char *query, const char *const *headers,
	    struct net_file *f, struct net_reply *r);
void	 net_session_set(struct net_host *h, const char *header,
	    const char *value);
void	 net_reply_free(struct net_reply *r);
char	*net_escape(const char *s);
const char *net_jstr(json_t *o, const char *a, const char *b);
double	 net_jnum(json_t *o, const char *a, const char *b, double dflt);

/* netfile.c: f->fd read from its start; 0, or -1 with why. */
int	 net_file_scan(struct net_file *f, char *why, size_t whysz);
long	 net_file_lines_at(const struct net_file *f, long long pos);
/* The layer begun at byte pos, by the file's markers: 0 before the
 * first (or in a file without them). */
unsigned long net_file_layer_at(const struct net_file *f, long long pos);
void	 net_file_free(struct net_file *f);

#endif
