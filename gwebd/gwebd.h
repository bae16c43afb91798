/*
 * gwebd.h - the map of gwebd, the web view and HTTP API (gwebd(8)):
 * the shared state of the daemon, a request as its handlers see it,
 * and the prototypes grouped by file.
 */
#ifndef GSPOOL_GWEBD_H
#define GSPOOL_GWEBD_H

#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "conf.h"

#define ADDR_MAX	64		/* an address as text */
#define SESSION_MAX	256		/* login cookies at once */
#define TRACKED_MAX	256		/* addresses whose failures count */
#define TOKEN_HEX	64		/* a session token, 32 bytes in hex */
#define EVENT_STEP_MS	500		/* the event stream looks this often */
#define PING_SECONDS	15		/* a heartbeat after this quiet */

struct web;

/* One address of [web] listen, served by a libmicrohttpd daemon of its
 * own. */
struct listener {
	struct web	*w;
	const struct conf_listen *cl;	/* its entry of [web] listen */
	int		 fd;
	int		 loopback;	/* on loopback */
	struct MHD_Daemon *d;
};

/* The daemon: its configuration and what its threads share, each
 * table under its own lock. */
struct web {
	struct conf	 conf;
	struct listener	 listeners[CONF_LISTEN_MAX];
	int		 nlisteners;
	int		 tls;
	volatile int	 stopping;
	char		 origin[256];	/* the page's own, if configured */
	char		*tmpdir;	/* uploads are written here, unlinked */
	pthread_mutex_t	 lock;		/* sessions and failures */
	struct session {
		char	 token[TOKEN_HEX + 1];
		char	 account[CONF_NAME_MAX + 1];
		time_t	 expires;
	}		 sessions[SESSION_MAX];
	struct failure {
		char	 addr[ADDR_MAX];
		int	 count;
		time_t	 first;
		time_t	 banned_until;
	}		 failures[TRACKED_MAX];
};

/* How a request proved who it is. */
enum auth_by { AUTH_NONE, AUTH_KEY, AUTH_COOKIE, AUTH_ANONYMOUS };

struct upload;

/* One request, from its first call of the access handler to its end. */
struct req {
	struct web	*w;
	const struct listener *l;	/* the address it came to */
	struct MHD_Connection *conn;
	const char	*method;
	const char	*url;
	char		 addr[ADDR_MAX];
	enum auth_by	 by;
	const struct conf_account *acct;	/* NULL: anonymous */
	time_t		 started;	/* its first call */
	int		 too_big;	/* the body passed its limit */
	int		 refused;	/* the status to answer, on the last call */
	char		 refusal[512];	/* and why */
	size_t		 blen;		/* a small body (forms) */
	char		*body;
	struct upload	*up;
};

/* gwebd.c */
extern struct web *web_global;

/* http.c */
void	web_addr_text(struct MHD_Connection *, char *, size_t);
enum MHD_Result http_access(void *, struct MHD_Connection *, const char *,
	    const char *, const char *, const char *, size_t *, void **);
void	http_done(void *, struct MHD_Connection *, void **,
	    enum MHD_RequestTerminationCode);
enum MHD_Result http_json(struct req *, unsigned status, json_t *);
enum MHD_Result http_error(struct req *, unsigned status, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
enum MHD_Result http_text(struct req *, unsigned status, const char *type,
	    const char *text);
enum MHD_Result http_reply(struct req *, unsigned status,
	    struct MHD_Response *);
const char *http_form(const struct req *, const char *field, char *out,
	    size_t outsz);

/* auth.c */
int	auth_request(struct req *);
int	auth_banned(struct web *, const char *addr);
void	auth_failed(struct web *, const char *addr, const char *what);
const struct conf_account *auth_key(struct web *, const char *key);
const struct conf_account *auth_password(struct web *, const char *account,
	    const char *password);
int	auth_session_new(struct web *, const char *account, char *token);
void	auth_session_end(struct web *, const char *token);
int	auth_same(const char *, const char *);

/* ctl.c */
int	ctl_open(struct web *, const struct conf_account *, char *why,
	    size_t whysz);
json_t	*ctl_queue(struct web *, const struct conf_account *, int how,
	    char *why, size_t whysz);
int	ctl_request(struct web *, const struct conf_account *, char *why,
	    size_t whysz, const char *verb, ...) __attribute__((sentinel));
int	ctl_submit(struct web *, const struct conf_account *, int fd,
	    const char *dest, const char *title, int hold, long *id,
	    char *name, size_t namesz, char *why, size_t whysz);
int	ctl_file(struct web *, const struct conf_account *, const char *verb,
	    const char *arg1, const char *arg2, long long *size, char *why,
	    size_t whysz);

/* media.c */
enum media_cam {
	MEDIA_CAM_NONE,		/* no camera: no frame to show */
	MEDIA_CAM_SNAPSHOT,	/* the frames spoold keeps alone */
	MEDIA_CAM_STREAM	/* and the relay's stream */
};
enum media_cam media_camera(const struct conf_printer *);
const char *media_camera_name(enum media_cam);
enum MHD_Result media_job(struct req *, long id, const char *kind);
enum MHD_Result media_snapshot(struct req *, const char *printer);

/* relay.c */
enum MHD_Result relay_stream(struct req *, const char *printer);
size_t	relay_latest(const char *printer, unsigned char **);
void	relay_stop(void);

/* api.c */
enum MHD_Result api_gspool(struct req *);

/* events.c */
enum MHD_Result events_start(struct req *);

/* octo.c */
enum MHD_Result octo_api(struct req *);

/* sweep.c */
void	sweep_notify(void *, struct MHD_Connection *, void **,
	    enum MHD_ConnectionNotificationCode);
void	sweep_headers_in(struct MHD_Connection *);
void	sweep_request_done(struct MHD_Connection *);
int	sweep_start(struct web *);
void	sweep_stop(void);

/* upload.c */
int	upload_begin(struct req *);
enum MHD_Result upload_feed(struct req *, const char *data, size_t *size);
enum MHD_Result upload_end(struct req *, int octoprint);
void	upload_free(struct upload *);

#endif
