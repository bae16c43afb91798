/*
 * sftp.c - the driver of a remote queue: a printer or class on another
 * gspool host (device = sftp://ACCOUNT@HOST[:PORT]/DEST), reached as
 * ACCOUNT through that host's gsftpd (gspool-sftp(8)), on the network
 * backends' core (net.h, gspool-backend(7)).
 *
 * A job is forwarded exactly once: it is given a forward id (this
 * host's name, this spool's identity, the local job id and the first
 * 12 hex digits of the file's SHA-256), and the other host's spoold
 * queues one job for an account and an id, whatever is sent again
 * (gspool(7), "A ROOM OF HOSTS").  So the driver first looks the id
 * up there; only if it is not known does it check the job against
 * what DEST publishes it allows (each member's, for a class), then
 * upload NAME.options (the id, a title) and then the file into
 * drop/DEST/.  The job is committed when the account's view
 * (queue.json, or its jobs/ folder for a job already over) shows a job
 * with that id; its number there is kept as the job's attributes
 * forward.id and forward.job.  Until then the end file says "pending":
 * a backend killed at any step leaves the job to be handed again, and
 * the id makes the second sending the same job.  A spoold killed at
 * any step is no matter: the backend goes on and tells the attributes
 * again to the next spoold (net.c).
 *
 * The job is then followed through jobs/N/job.json (its state, lines,
 * layer, reason) and the status.json of the printer it runs on (bytes
 * done, heaters, pauses).  gcancel removes jobs/N; gpc pause and
 * resume make and remove jobs/N/paused (gsftpd(8)); the account's
 * rights there are the other host's rule.  With no job of ours, DEST's
 * status says whether it is free: a job there that this host did not
 * send, a printer disabled, not accepting, or waiting to be cleared is
 * this printer busy.
 *
 * What the other host films is mirrored where this host keeps its own
 * (-S, the spool): while the job is followed, the webcam.jpg of the
 * printer it runs on there, every SF_WEBCAM_MS at most, into
 * SPOOL/printers/PRINTER/webcam.jpg; once it is over, the video its
 * timelapse filter there renders after the print (timelapse.video in
 * its job.json), into SPOOL/jobs/ID.d/, and timelapse.video told to
 * spoold.  Both are written to a temporary name and renamed: a reader
 * never sees part of one.  Neither changes the job's end, and neither
 * makes a poll fail.
 *
 * Security: the connection uses the key and known_hosts file the
 * configuration names, nothing else (remote_connect()): an unknown or
 * changed host key is refused.  What the other host says is JSON,
 * looked up by name and type, and cleaned by the core before spoold
 * sees it.  A frame is kept only if it is one whole JPEG of at most
 * MJPEG_FRAME_MAX bytes; a video is read as it comes, in pieces, and cut
 * at SF_VIDEO_MAX whatever its size said; its name must be a plain name
 * of the job's folder (name_is_safe, no .tmp), opened here without
 * following a link.
 *
 * Diagnostics: each failure names the host once, the path and the
 * server's reason; the reasons given to the core do not name the host,
 * which names it (net_unreachable()), unless they are a sentence about
 * it that begins with its name.  A host that cannot be reached, or that
 * leaves a request unanswered for -t seconds (remote_connect()), is
 * the printer offline with its reason, a job being handed pending, one
 * being followed still processing, tried again with the core's
 * backoff.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyse.h"
#include "crash.h"
#include "fit.h"
#include "log.h"
#include "mjpeg.h"
#include "remote.h"
#include "util.h"
#include "net.h"

#define SF_COMMIT_MS	120000	/* the longest wait for the host to queue */
#define SF_COMMIT_POLL	200	/* how often it is asked meanwhile, ms */
#define SF_RECENT	5	/* newest jobs/ entries looked at */
#define SF_WEBCAM_MS	5000	/* the frame there looked at this often */
#define SF_VIDEO_MS	3000	/* an ended job's attributes, for a video */
#define SF_VIDEO_WAIT	1800	/* seconds a video is waited for at most */
#define SF_VIDEO_MAX	(1LL << 30)	/* the largest timelapse fetched */
#define SF_VIDEO_SLICE	200	/* ms of a poll a video's fetch may take */

struct sf {
	struct remote	*r;
	char		 host[300];
	unsigned	 port;
	char		 dest[128];
	char		 fwd[80];	/* the job's forward id */
	long		 job;		/* the local job it is for */
	long		 rjob;		/* its number there, 0: not known */
	char		 rprinter[128];	/* where it runs there */
	int		 dest_class;	/* DEST has no status.json there */

	/* The webcam frame of the printer our job runs on, mirrored. */
	char		 cam_printer[128];	/* whose frame was looked at */
	long long	 cam_size, cam_mtime;	/* the last one taken */
	long long	 cam_at;	/* ms: the next look */
	int		 cam_seen;	/* a frame there during the job */
	int		 cam_said;	/* its absence or failure logged */

	/* A job over here whose timelapse is awaited there. */
	long		 vid_job, vid_rjob;	/* 0: none */
	long long	 vid_at, vid_until;	/* ms: next look, give up */
	int		 vid_cam;	/* the printer there had a frame */
	/* Its video coming, a piece each poll (NULL: none). */
	struct remote_get *vid_g;
	int		 vid_fd;
	char		 vid_name[256];
	char		*vid_dir, *vid_tmp, *vid_path;
	long long	 vid_t0, vid_max;
};

static struct sf S;

static void	sf_host_split(void);
static void	sf_video_cut(void);
static void	sf_video_drop(void);

/* A failed request: the connection is dropped (the next is made anew)
 * and the code says what the core should make of it: 0 the host gone,
 * 500 a failure of the host's; either way the job waits. */
static int
sf_fail(struct net_reply *r, const char *what, const char *why)
{
	int gone = S.r == NULL || !remote_connected(S.r);

	/* The host is named by whoever tells it (net_unreachable()). */
	snprintf(r->why, sizeof(r->why), "%.150s: %.300s", what, why);
	r->code = gone ? 0 : 500;
	sf_video_cut();
	remote_close(S.r);
	S.r = NULL;
	return -1;
}

static int
sf_connect(struct net_reply *r)
{
	char why[480];
	int reached;

	if (S.r != NULL)
		return 0;
	if (S.host[0] == '\0')
		sf_host_split();
	if (net_keyfile() == NULL || net_known_hosts() == NULL) {
		snprintf(r->why, sizeof(r->why), "no ssh_key_file or"
		    " known_hosts_file (-a, -K)");
		r->code = 403;
		return -1;
	}
	S.r = remote_connect(S.host, S.port, net_account(), net_keyfile(),
	    net_known_hosts(), net_host()->timeout_ms / 1000, why,
	    sizeof(why), &reached);
	if (S.r == NULL) {
		snprintf(r->why, sizeof(r->why), "%s", why);
		r->code = reached ? 403 : 0;
		return -1;
	}
	return 0;
}

/* A JSON file of the tree; NULL with r set, *missing if there is no
 * such file (the connection is kept then). */
static json_t *
sf_json(const char *path, struct net_reply *r, int *missing)
{
	json_t *o;

	*missing = 0;
	if (sf_connect(r) < 0)
		return NULL;
	if ((o = remote_json(S.r, path)) != NULL)
		return o;
	if (remote_missing(S.r)) {
		*missing = 1;
		snprintf(r->why, sizeof(r->why), "%s: no such file", path);
		r->code = 404;
		return NULL;
	}
	sf_fail(r, path, remote_error(S.r));
	return NULL;
}

/* The job with forward id fwd in a list of jobs, or 0. */
static long
sf_in(json_t *jobs, const char *fwd)
{
	size_t i;
	json_t *j;

	json_array_foreach(jobs, i, j) {
		json_t *a = json_object_get(j, "attributes");
		json_t *id = json_object_get(j, "id");

		if (strcmp(net_jstr(a, "forward", NULL), fwd) == 0 &&
		    json_is_integer(id) && json_integer_value(id) > 0)
			return (long)json_integer_value(id);
	}
	return 0;
}

static int
cmp_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Did the host refuse the upload name: its reason in why, or "". */
static void
sf_refused(json_t *q, const char *name, char *why, size_t whysz)
{
	const char *n;
	size_t i, len = strlen(name);
	json_t *e;

	why[0] = '\0';
	if (name[0] == '\0')
		return;
	json_array_foreach(json_object_get(q, "rejected"), i, e) {
		n = net_jstr(e, "name", NULL);
		if (strcmp(n, name) == 0 || (strlen(n) > len &&
		    n[strlen(n) - len - 1] == '/' &&
		    strcmp(n + strlen(n) - len, name) == 0)) {
			snprintf(why, whysz, "%s", net_jstr(e, "reason", NULL));
			if (why[0] == '\0')
				snprintf(why, whysz, "refused");
			return;
		}
	}
}

/* Is fwd queued there: its job's number, 0 if not, -1 if the host
 * could not be asked (r says why).  queue.json shows the jobs not yet
 * over; one over already is among the newest of jobs/.  A file of the
 * upload's name that the host refused leaves its reason in refused. */
static long
sf_find(const char *fwd, const char *name, char *refused, size_t refsz,
    int deep, struct net_reply *r)
{
	json_t *q, *list, *v, *j;
	long found, ids[SF_RECENT], n = 0;
	size_t i;
	int missing;
	char path[64];

	if ((q = sf_json("queue.json", r, &missing)) == NULL)
		return -1;
	found = sf_in(json_object_get(q, "jobs"), fwd);
	sf_refused(q, name, refused, refsz);
	json_decref(q);
	if (found > 0 || !deep)
		return found;
	if ((list = remote_list(S.r, "jobs")) == NULL) {
		sf_fail(r, "jobs", remote_error(S.r));
		return -1;
	}
	/* The SF_RECENT highest numbers, in whatever order they come. */
	json_array_foreach(list, i, v) {
		long id;

		if (parse_long(json_string_value(v), 1, 2000000000L, &id) < 0)
			continue;
		if (n < SF_RECENT)
			ids[n++] = id;
		else if (id > ids[n - 1])
			ids[n - 1] = id;
		else
			continue;
		qsort(ids, (size_t)n, sizeof(ids[0]), cmp_desc);
	}
	json_decref(list);
	for (i = 0; i < (size_t)n && i < SF_RECENT; i++) {
		snprintf(path, sizeof(path), "jobs/%ld/job.json", ids[i]);
		if ((j = sf_json(path, r, &missing)) == NULL) {
			if (missing)
				continue;
			return -1;
		}
		v = json_array();
		json_array_append(v, j);
		found = sf_in(v, fwd);
		json_decref(v);
		json_decref(j);
		if (found > 0)
			return found;
	}
	return 0;
}

/*
 * HOST-SPOOL-JOB-SHA12, in forward-id's letters, at most 64 (20 + 16 +
 * 10 + 12 and the dashes: 61).  HOST is the short host name, for the
 * people who read it; SPOOL is the identity spoold drew for this spool
 * (-i, db/0013), for the other host: two hosts of one name (two Pis
 * left "raspberrypi") sending their job 1 of one file would otherwise
 * send one id, and the second job would be taken there as the first.
 * Run without -i (by hand, or by a spoold older than the identity)
 * the id is HOST-JOB-SHA12, as before it.
 */
static void
sf_forward_id(const struct net_file *f)
{
	const char *spool = net_spool_id();
	char host[256], *p;

	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "gspool");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';	/* the short name */
	for (p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '-';
	if (host[0] == '-' || host[0] == '\0')
		host[0] = 'h';
	if (spool != NULL && spool[0] != '\0')
		snprintf(S.fwd, sizeof(S.fwd), "%.20s-%.16s-%ld-%.12s", host,
		    spool, net_job_id(), f->sha256);
	else
		snprintf(S.fwd, sizeof(S.fwd), "%.36s-%ld-%.12s", host,
		    net_job_id(), f->sha256);
}

static void
sf_committed(long rjob, long long sent, long long seen)
{
	char v[32], how[96] = "";

	S.job = net_job_id();
	S.rjob = rjob;
	S.rprinter[0] = '\0';
	S.cam_seen = S.cam_said = 0;
	snprintf(v, sizeof(v), "%ld", rjob);
	net_job_ref_set(v);
	net_job_attr("forward.id", S.fwd);
	net_job_attr("forward.job", v);
	if (sent > 0)
		snprintf(how, sizeof(how), "; sent in %lld ms, queued there %lld"
		    " ms after the upload", sent, seen);
	log_info("%s-%ld: forwarded to %s as job %ld there (forward id %s%s)",
	    net_printer(), net_job_id(), net_hostname(), rjob, S.fwd, how);
}

/* "M500"-like words of a JSON array into codes; the count taken. */
static int
sf_codes(json_t *a, struct gcode_code *codes, int max)
{
	const char *w;
	size_t i;
	json_t *v;
	long num;
	int n = 0;

	json_array_foreach(a, i, v) {
		if ((w = json_string_value(v)) == NULL || n == max ||
		    !((w[0] >= 'A' && w[0] <= 'Z') || (w[0] >= 'a' &&
		    w[0] <= 'z')) ||
		    parse_long(w + 1, 0, 100000, &num) < 0)
			continue;
		codes[n].letter = (char)(w[0] & ~0x20);
		codes[n++].number = num;
	}
	return n;
}

static double
sf_axis(json_t *allows, const char *key, int i, double dflt)
{
	json_t *v = json_array_get(json_object_get(allows, key), (size_t)i);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* What printer name allows, as its host publishes it (the allows
 * object of its status.json, its loaded materials), as a policy and a
 * printer. */
static void
sf_allows(json_t *st, const char *name, struct analyse_policy *pol,
    struct fit_printer *fp)
{
	json_t *al = json_object_get(st, "allows"), *v;
	size_t i;
	int k;

	analyse_policy_default(pol);
	pol->heat.max_hotend = (int)net_jnum(al, "max_hotend", NULL,
	    pol->heat.max_hotend);
	pol->heat.max_bed = (int)net_jnum(al, "max_bed", NULL,
	    pol->heat.max_bed);
	pol->heat.max_chamber = (int)net_jnum(al, "max_chamber", NULL,
	    pol->heat.max_chamber);
	for (k = 0; k < 3; k++) {
		pol->vol_min[k] = sf_axis(al, "volume_min", k, pol->vol_min[k]);
		pol->vol_max[k] = sf_axis(al, "volume_max", k, pol->vol_max[k]);
	}
	if (json_is_array(json_object_get(al, "forbidden")))
		pol->nforbidden = sf_codes(json_object_get(al, "forbidden"),
		    pol->forbidden, ANALYSE_CODES);
	pol->nallowed = sf_codes(json_object_get(al, "allowed"), pol->allowed,
	    ANALYSE_CODES);

	memset(fp, 0, sizeof(*fp));
	fp->name = name;
	json_array_foreach(json_object_get(al, "models"), i, v)
		if (json_is_string(v) && fp->nmodels < FIT_MODELS)
			snprintf(fp->models[fp->nmodels++], ANALYSE_NAME, "%s",
			    json_string_value(v));
	json_array_foreach(json_object_get(al, "nozzles"), i, v)
		if (fp->nnozzles < ANALYSE_TOOLS)
			fp->nozzle[fp->nnozzles++] = json_is_number(v) ?
			    json_number_value(v) : 0;
	json_array_foreach(json_object_get(json_object_get(st, "status"),
	    "materials"), i, v)
		if (fp->nmaterials < ANALYSE_TOOLS)
			snprintf(fp->material[fp->nmaterials++],
			    ANALYSE_MATERIAL, "%s", json_is_string(v) ?
			    json_string_value(v) : "");
	for (k = 0; k < FIT_KEYS; k++) {
		const char *w = net_jstr(json_object_get(al, "fit"),
		    fit_key_names[k], NULL);

		fp->policy[k] = strcmp(w, "ignore") == 0 ? FIT_IGNORE :
		    strcmp(w, "hold") == 0 ? FIT_HOLD : FIT_REFUSE;
	}
}

/* The analyser's verdict on the file for one set of limits, kept for
 * the next printer that publishes the same: the members of a class
 * are often one model, and the file is read once for them. */
struct sf_read {
	json_t		*allows;	/* the limits it was read for */
	int		 rv;		/* analyse_fd()'s */
	char		 error[ANALYSE_REASON_LEN];
	struct fit_file	 ff;		/* what it was made for */
};

static int
sf_read(struct net_file *f, json_t *st, const struct analyse_policy *pol,
    struct sf_read *rd, struct net_reply *r)
{
	static struct analysis a;
	json_t *al = json_object_get(st, "allows");

	if (rd->allows != NULL && json_equal(rd->allows, al))
		return 0;
	json_decref(rd->allows);
	rd->allows = NULL;
	if (lseek(f->fd, 0, SEEK_SET) < 0) {
		snprintf(r->why, sizeof(r->why), "the job's file: %s",
		    strerror(errno));
		r->code = 400;
		return -1;
	}
	analyse_init(&a, pol);
	if ((rd->rv = analyse_fd(&a, f->fd)) == -2) {
		snprintf(r->why, sizeof(r->why), "the job's file: %.400s",
		    a.error);
		r->code = 400;
		return -1;
	}
	snprintf(rd->error, sizeof(rd->error), "%s", a.error);
	if (rd->rv == 0)
		fit_file_from_analysis(&rd->ff, &a);
	rd->allows = json_incref(al);
	return 0;
}

/*
 * One printer's verdict on the file, by its status.json: FIT_OK, or
 * FIT_HOLD or FIT_REFUSE with why (*limits set when it is the limits'
 * refusal, the analyser's, not the fit's); -2 with r if the file could
 * not be read.
 */
static int
sf_judge(struct net_file *f, json_t *st, const char *name,
    struct sf_read *rd, int *limits, char *why, size_t whysz,
    struct net_reply *r)
{
	struct analyse_policy pol;
	struct fit_printer fp;
	char want[FIT_REASON];

	*limits = 0;
	sf_allows(st, name, &pol, &fp);
	if (sf_read(f, st, &pol, rd, r) < 0)
		return -2;
	if (rd->rv != 0) {
		*limits = 1;
		snprintf(why, whysz, "%s", rd->error);
		return FIT_REFUSE;
	}
	return fit_judge(&rd->ff, &fp, why, whysz, want, sizeof(want));
}

/* Does the list of names a hold? */
static int
sf_listed(json_t *a, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v),
		    name) == 0)
			return 1;
	return 0;
}

/*
 * DEST is a class there: its members are the printers whose status
 * says they are (gsftpd(8), classes), each judged by what it allows, as
 * that host's spoold judges a job for a class.  Its limits are what
 * every member allows (the class's policy there: one member's refusal
 * is the class's, at submission); its fit is any member's (a job one
 * member suits waits there for it).  So: refused when a member's
 * limits refuse it or every member's fit does, held here when no
 * member suits it now but one would hold it, each with every member's
 * reason; else taken.  0, or -1 with r as sf_check's.  A host that
 * names no member (an older gsftpd) is left to judge.
 */
static int
sf_check_class(struct net_file *f, struct net_reply *r)
{
	struct sf_read rd;
	json_t *list, *v, *st;
	char path[256], why[FIT_REASON], all[400] = "";
	const char *name;
	size_t i, n;
	int members = 0, fits = 0, holds = 0, refused = 0, limits, vd, missing;
	int rv = 0;

	if ((list = remote_list(S.r, "printers")) == NULL)
		return sf_fail(r, "printers", remote_error(S.r));
	memset(&rd, 0, sizeof(rd));
	json_array_foreach(list, i, v) {
		name = json_string_value(v);
		if (name == NULL || !name_is_safe(name, 64))
			continue;
		snprintf(path, sizeof(path), "printers/%s/status.json", name);
		if ((st = sf_json(path, r, &missing)) == NULL) {
			if (missing)
				continue;
			rv = -1;
			break;
		}
		if (!sf_listed(json_object_get(st, "classes"), S.dest)) {
			json_decref(st);
			continue;
		}
		members++;
		if (!json_is_object(json_object_get(st, "allows"))) {
			/* Its limits not published: it may take it. */
			fits++;
			json_decref(st);
			continue;
		}
		vd = sf_judge(f, st, name, &rd, &limits, why, sizeof(why), r);
		json_decref(st);
		if (vd == -2) {
			rv = -1;
			break;
		}
		if (vd == FIT_OK) {
			fits++;
			continue;
		}
		if (limits)
			refused++;
		else if (vd == FIT_HOLD)
			holds++;
		n = strlen(all);
		snprintf(all + n, sizeof(all) - n, "%s%s: %s", n ? "; " : "",
		    name, why);
	}
	json_decref(list);
	json_decref(rd.allows);
	if (rv < 0 || members == 0 || (refused == 0 && fits > 0))
		return rv;
	if (refused == 0 && holds > 0) {
		snprintf(r->why, sizeof(r->why), "%.100s would hold it for"
		    " %.60s: no member takes it now; %.300s", net_hostname(),
		    S.dest, all);
		r->code = 409;
		return -1;
	}
	snprintf(r->why, sizeof(r->why), "%.100s would refuse it for %.60s:"
	    " %.320s", net_hostname(), S.dest, all);
	r->code = 422;
	return -1;
}

/*
 * Would DEST take the file: it is checked here, before anything is
 * sent, against what DEST's host publishes it allows, as that host's
 * spoold would check it at submission.  0 if it would; -1 with r: 422
 * (the job refused, DEST's host named) or 409 (a fit that DEST's host
 * holds a job for: it waits here, pending, and is tried again).  A
 * class there is judged by its members (sf_check_class); a host that
 * publishes no allows is left to judge.
 */
static int
sf_check(struct net_file *f, struct net_reply *r)
{
	struct sf_read rd;
	char path[256], why[FIT_REASON];
	json_t *st;
	int missing, rv, limits;

	if (S.dest_class)
		return sf_check_class(f, r);
	snprintf(path, sizeof(path), "printers/%s/status.json", S.dest);
	if ((st = sf_json(path, r, &missing)) == NULL) {
		if (!missing)
			return -1;
		S.dest_class = 1;
		return sf_check_class(f, r);
	}
	if (!json_is_object(json_object_get(st, "allows"))) {
		json_decref(st);
		return 0;
	}
	memset(&rd, 0, sizeof(rd));
	rv = sf_judge(f, st, S.dest, &rd, &limits, why, sizeof(why), r);
	json_decref(st);
	json_decref(rd.allows);
	if (rv == -2)
		return -1;
	if (rv == FIT_OK)
		return 0;
	snprintf(r->why, sizeof(r->why), "%.120s %s it for %.60s: %.280s",
	    net_hostname(), rv == FIT_HOLD ? "would hold" : "would refuse",
	    S.dest, why);
	r->code = rv == FIT_HOLD ? 409 : 422;
	return -1;
}

/*
 * NAME.options for the job there: its forward id, and the job's own
 * title (PRINTER-ID when it has none), priority, the copies still to
 * print and, if it is still to come, its hold-until, as seconds from
 * now (the two hosts' clocks may keep other time zones).
 */
static void
sf_options(char *text, size_t sz)
{
	const struct net_job_opts *o = net_job_opts();
	long long now = (long long)time(NULL);
	size_t n;

	n = (size_t)snprintf(text, sz, "forward-id = %s\n", S.fwd);
	if (o->title[0] != '\0')
		n += (size_t)snprintf(text + n, sz - n, "title = %s\n",
		    o->title);
	else
		n += (size_t)snprintf(text + n, sz - n, "title = %s-%ld\n",
		    net_printer(), net_job_id());
	if (o->priority > 0 && n < sz)
		n += (size_t)snprintf(text + n, sz - n, "priority = %d\n",
		    o->priority);
	if (o->copies > 0 && n < sz)
		n += (size_t)snprintf(text + n, sz - n, "copies = %d\n",
		    o->copies);
	if (o->hold_until > now && n < sz)
		snprintf(text + n, sz - n, "hold-until = +%llds\n",
		    o->hold_until - now);
}

static int
sf_upload(struct net_file *f, const char *name, struct net_reply *r)
{
	char path[512], text[1024], why[300], base[256], refused[400];
	long long until, t0, t1;
	long rjob;
	int round = 0;

	sf_forward_id(f);
	S.job = 0;
	S.rjob = 0;
	/* Until the host has it, a backend that dies leaves it to be
	 * handed again (spoold reads this end). */
	snprintf(why, sizeof(why), "the forward to %s was cut before that"
	    " host queued it; sent again", net_hostname());
	net_end_file("pending", why);
	if (sf_connect(r) < 0)
		return -1;
	/* Sent before and queued there: the same job, not a second. */
	if ((rjob = sf_find(S.fwd, "", refused, sizeof(refused), 1, r)) < 0)
		return -1;
	if (rjob > 0) {
		log_info("%s-%ld: %s has forward id %s already", net_printer(),
		    net_job_id(), net_hostname(), S.fwd);
		sf_committed(rjob, 0, 0);
		return 0;
	}
	/* Not sent yet: nothing goes that DEST would not take. */
	if (sf_check(f, r) < 0)
		return -1;
	/* A name of this process's: a copy a killed backend left being
	 * taken in there never shares its NAME.options with this one. */
	snprintf(base, sizeof(base), "%.*s-%ld.gcode", (int)(strlen(name) >
	    6 && strcmp(name + strlen(name) - 6, ".gcode") == 0 ?
	    strlen(name) - 6 : strlen(name)), name, (long)getpid());
	name = base;
	snprintf(path, sizeof(path), "drop/%s/%s.options", S.dest, name);
	sf_options(text, sizeof(text));
	if (remote_put_text(S.r, path, text) < 0)
		return sf_fail(r, path, remote_error(S.r));
	crash_point("forward-options");
	snprintf(path, sizeof(path), "drop/%s/%s", S.dest, name);
	if (lseek(f->fd, 0, SEEK_SET) < 0) {
		snprintf(r->why, sizeof(r->why), "the job's file: %s",
		    strerror(errno));
		r->code = 400;
		return -1;
	}
	t0 = monotonic_ms();
	if (remote_put(S.r, f->fd, name, path) < 0)
		return sf_fail(r, path, remote_error(S.r));
	t1 = monotonic_ms();
	crash_point("forward-sent");
	until = monotonic_ms() + SF_COMMIT_MS;
	for (;;) {
		/* jobs/ too now and then: a job over already is gone from
		 * queue.json. */
		if ((rjob = sf_find(S.fwd, name, refused, sizeof(refused),
		    ++round % 5 == 0 || monotonic_ms() >= until, r)) < 0)
			return -1;
		if (rjob > 0)
			break;
		if (refused[0] != '\0') {
			/* The other host's check: the job's own fault. */
			snprintf(r->why, sizeof(r->why), "%.150s refused it:"
			    " %.300s", net_hostname(), refused);
			r->code = 422;
			return -1;
		}
		if (monotonic_ms() >= until) {
			snprintf(r->why, sizeof(r->why), "%.150s did not queue %.200s"
			    " within %d s (refused there? its rejected/ says"
			    " why)", net_hostname(), path, SF_COMMIT_MS / 1000);
			r->code = 504;
			return -1;
		}
		usleep(SF_COMMIT_POLL * 1000);
	}
	crash_point("forward-committed");
	sf_committed(rjob, t1 - t0, monotonic_ms() - t1);
	return 0;
}

/* The heaters of a printer's status.json, as the core reports them. */
static void
sf_temps(json_t *st)
{
	double t[4] = { 0, 0, 0, 0 };
	json_t *h;
	size_t i;
	int any = 0;

	json_array_foreach(json_object_get(json_object_get(st, "status"),
	    "heaters"), i, h) {
		const char *n = net_jstr(h, "name", NULL);
		/* Marlin's names, as spoold keeps them: T0, B. */
		int k = strcmp(n, "B") == 0 ? 2 : strcmp(n, "T0") == 0 ||
		    strcmp(n, "T") == 0 ? 0 : -1;

		if (k < 0)
			continue;
		t[k] = net_jnum(h, "actual", NULL, 0);
		t[k + 1] = net_jnum(h, "target", NULL, 0);
		any = 1;
	}
	if (any)
		net_report_temps(t[0], t[1], t[2], t[3]);
}

/* ---- what is mirrored: the webcam frame, the timelapse ---- */

/*
 * The frame of the printer our job runs on there, where this printer's
 * own would be (SPOOL/printers/PRINTER/webcam.jpg, as spoold gives the
 * timelapse filter), for spoold's webcam request, gwebd and gsftpd.
 * Looked at every SF_WEBCAM_MS at most (a STAT), taken when its size or
 * time has changed (now: at once, and whatever they are), kept only if
 * it is one whole JPEG, and put in place by a rename: a reader never
 * sees part of one.  A missing frame
 * or a failure is logged once a job, not at each look.
 */
static void
sf_webcam(int now)
{
	char rpath[256], why[300], *pdirs, *dir, *tmp, *path;
	unsigned char *b = NULL;
	long long size, mtime, got;
	ssize_t n;
	int fd = -1, rv;

	if (net_spool_dir() == NULL || S.r == NULL || S.rprinter[0] == '\0' ||
	    !name_is_safe(S.rprinter, 64))
		return;
	if (strcmp(S.cam_printer, S.rprinter) != 0) {
		snprintf(S.cam_printer, sizeof(S.cam_printer), "%s",
		    S.rprinter);
		S.cam_size = S.cam_mtime = -1;
		S.cam_said = 0;
		S.cam_at = 0;
	}
	if (!now && monotonic_ms() < S.cam_at)
		return;
	S.cam_at = monotonic_ms() + SF_WEBCAM_MS;
	snprintf(rpath, sizeof(rpath), "printers/%s/webcam.jpg", S.rprinter);
	if (remote_stat(S.r, rpath, &size, &mtime) < 0) {
		if (!S.cam_said)
			log_info("%s-%ld: %s has no webcam frame of %s (%s: %s):"
			    " none mirrored until it has", net_printer(),
			    S.job, net_hostname(), S.rprinter, rpath,
			    remote_missing(S.r) ? "no such file" :
			    remote_error(S.r));
		S.cam_said = 1;
		return;
	}
	S.cam_seen = 1;
	/* SFTP's times are whole seconds: two frames of one size in one
	 * second look alike, so a last look takes the frame whatever. */
	if (!now && size == S.cam_size && mtime == S.cam_mtime)
		return;
	pdirs = xasprintf("%s/printers", net_spool_dir());
	dir = xasprintf("%s/%s", pdirs, net_printer());
	tmp = xasprintf("%s/webcam.jpg.mirror.tmp", dir);
	path = xasprintf("%s/webcam.jpg", dir);
	if (size > MJPEG_FRAME_MAX) {
		snprintf(why, sizeof(why), "%lld bytes, above %d", size,
		    MJPEG_FRAME_MAX);
		goto fail;
	}
	if (mkdir_exist_ok(pdirs, 0755) < 0 || mkdir_exist_ok(dir, 0755) < 0) {
		snprintf(why, sizeof(why), "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) < 0) {
		snprintf(why, sizeof(why), "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (remote_get(S.r, rpath, fd, MJPEG_FRAME_MAX, &got, why,
	    sizeof(why)) < 0)
		goto fail;
	/* Whole, or not taken: its segments walked to EOI (mjpeg.c). */
	b = xmalloc(got > 0 ? (size_t)got : 1);
	if ((n = pread(fd, b, (size_t)got, 0)) != got) {
		snprintf(why, sizeof(why), "%s: %s", tmp, n < 0 ?
		    strerror(errno) : "short read");
		goto fail;
	}
	if (got == 0 || mjpeg_frame_length(b, (size_t)got) != got) {
		snprintf(why, sizeof(why), "not one whole JPEG (%lld bytes)",
		    got);
		goto fail;
	}
	rv = close(fd);
	fd = -1;
	if (rv < 0 || rename(tmp, path) < 0) {
		snprintf(why, sizeof(why), "%s: %s", rv < 0 ? tmp : path,
		    strerror(errno));
		goto fail;
	}
	free(b);
	free(pdirs);
	free(dir);
	free(tmp);
	free(path);
	S.cam_size = size;
	S.cam_mtime = mtime;
	S.cam_said = 0;
	log_debug("%s-%ld: webcam frame of %s on %s mirrored (%lld bytes)",
	    net_printer(), S.job, S.rprinter, net_hostname(), got);
	return;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(b);
	free(pdirs);
	free(dir);
	free(tmp);
	free(path);
	/* That frame is not asked for again; a new one is. */
	S.cam_size = size;
	S.cam_mtime = mtime;
	if (!S.cam_said)
		log_warnx("%s-%ld: the webcam frame %s from %s: %s; not"
		    " mirrored", net_printer(), S.job, rpath, net_hostname(),
		    why);
	S.cam_said = 1;
}

/* Our job there is over: its frame looked at a last time, and its
 * timelapse awaited (the filter there renders it after the print). */
static void
sf_ended(void)
{
	sf_webcam(1);
	if (S.vid_job != 0 && S.vid_job != S.job) {
		log_warnx("%s-%ld: the timelapse of job %ld on %s is no longer"
		    " awaited: another job has ended", net_printer(),
		    S.vid_job, S.vid_rjob, net_hostname());
		sf_video_drop();
	}
	if (S.vid_g != NULL && S.vid_job == S.job)
		return;		/* its video coming already */
	S.vid_job = S.job;
	S.vid_rjob = S.rjob;
	S.vid_at = 0;
	S.vid_until = monotonic_ms() + SF_VIDEO_WAIT * 1000LL;
	S.vid_cam = S.cam_seen;
	S.cam_seen = 0;
}

/* Does an attribute's name begin so? */
static int
sf_has_prefix(json_t *attrs, const char *prefix)
{
	const char *k;
	json_t *v;

	json_object_foreach(attrs, k, v)
		if (strncmp(k, prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

/* SF_VIDEO_MAX, or less for the tests ($GSPOOL_TEST_MIRROR_MAX, in
 * bytes: a cap a test's small video is above); never more. */
static long long
sf_video_max(void)
{
	const char *s = getenv("GSPOOL_TEST_MIRROR_MAX");
	long v;

	if (s != NULL && parse_long(s, 1, 2000000000L, &v) == 0 &&
	    v < SF_VIDEO_MAX)
		return v;
	return SF_VIDEO_MAX;
}

/* The video's fetch given up: nothing of it left here.  Before the
 * connection is closed (its file is the connection's). */
static void
sf_video_drop(void)
{
	remote_get_close(S.vid_g);
	S.vid_g = NULL;
	if (S.vid_fd >= 0) {
		close(S.vid_fd);
		unlink(S.vid_tmp);
	}
	S.vid_fd = -1;
	free(S.vid_dir);
	free(S.vid_tmp);
	free(S.vid_path);
	S.vid_dir = S.vid_tmp = S.vid_path = NULL;
}

/*
 * The video name of the ended job's folder there, to be fetched into
 * the local job's folder under that name (SPOOL/jobs/ID.d/, where a
 * local timelapse filter leaves its own), through NAME.tmp, at most
 * sf_video_max() bytes: 1 when its fetch is begun (sf_video_step()),
 * 0 if it is here already, or -1 with why.
 */
static int
sf_video_start(const char *name, char *why, size_t whysz)
{
	char rpath[300];
	long long size, mtime;
	struct stat st;

	snprintf(rpath, sizeof(rpath), "jobs/%ld/%s", S.vid_rjob, name);
	S.vid_max = sf_video_max();
	if (remote_stat(S.r, rpath, &size, &mtime) < 0) {
		snprintf(why, whysz, "%s", remote_missing(S.r) ?
		    "no such file" : remote_error(S.r));
		return -1;
	}
	if (size > S.vid_max) {
		snprintf(why, whysz, "%lld bytes, larger than the %lld this"
		    " host takes", size, S.vid_max);
		return -1;
	}
	snprintf(S.vid_name, sizeof(S.vid_name), "%s", name);
	S.vid_dir = xasprintf("%s/jobs/%ld.d", net_spool_dir(), S.vid_job);
	S.vid_path = xasprintf("%s/%s", S.vid_dir, name);
	S.vid_tmp = xasprintf("%s.tmp", S.vid_path);
	/* A later copy of the job finds the same job there, done: its
	 * video is here already. */
	if (lstat(S.vid_path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (long long)st.st_size == size) {
		net_attr(S.vid_job, "timelapse.video", name);
		sf_video_drop();
		return 0;
	}
	if (mkdir_exist_ok(S.vid_dir, 0755) < 0) {
		snprintf(why, whysz, "%s: %s", S.vid_dir, strerror(errno));
		sf_video_drop();
		return -1;
	}
	if ((S.vid_fd = open(S.vid_tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		snprintf(why, whysz, "%s: %s", S.vid_tmp, strerror(errno));
		sf_video_drop();
		return -1;
	}
	if ((S.vid_g = remote_get_open(S.r, rpath, why, whysz)) == NULL) {
		sf_video_drop();
		return -1;
	}
	S.vid_t0 = monotonic_ms();
	return 1;
}

/*
 * The next piece of the video, for SF_VIDEO_SLICE ms at most, so that
 * a large one never holds the backend's loop: 1 while more is to come;
 * at its end it is synced and renamed into place and spoold is told its
 * name (timelapse.video), for gqueue -l, gwebd and gsftpd: 0; or -1
 * with why, nothing of it left.
 */
static int
sf_video_step(char *why, size_t whysz)
{
	long long got = 0;
	int rv;

	if ((rv = remote_get_step(S.vid_g, S.vid_fd, S.vid_max,
	    SF_VIDEO_SLICE, &got, why, whysz)) != 0) {
		if (rv < 0)
			sf_video_drop();
		return rv;
	}
	remote_get_close(S.vid_g);
	S.vid_g = NULL;
	if (fsync(S.vid_fd) < 0) {
		snprintf(why, whysz, "%s: %s", S.vid_tmp, strerror(errno));
		sf_video_drop();
		return -1;
	}
	rv = close(S.vid_fd);
	S.vid_fd = -1;
	if (rv < 0 || rename(S.vid_tmp, S.vid_path) < 0) {
		snprintf(why, whysz, "%s: %s", rv < 0 ? S.vid_tmp :
		    S.vid_path, strerror(errno));
		unlink(S.vid_tmp);
		sf_video_drop();
		return -1;
	}
	fsync_dir(S.vid_dir);
	net_attr(S.vid_job, "timelapse.video", S.vid_name);
	log_info("%s-%ld: the timelapse %s of job %ld on %s fetched: %lld"
	    " bytes in %lld ms", net_printer(), S.vid_job, S.vid_name,
	    S.vid_rjob, net_hostname(), got, monotonic_ms() - S.vid_t0);
	sf_video_drop();
	return 0;
}

/* A fetch under way when the connection is closed (sf_fail()): given
 * up here, and begun again on the next look. */
static void
sf_video_cut(void)
{
	if (S.vid_g == NULL)
		return;
	log_warnx("%s-%ld: the timelapse jobs/%ld/%s from %s: the connection"
	    " was cut; fetched again", net_printer(), S.vid_job, S.vid_rjob,
	    S.vid_name, net_hostname());
	sf_video_drop();
	S.vid_at = 0;
}

/*
 * The ended job's timelapse, looked for every SF_VIDEO_MS in its
 * job.json there while spoold is connected: its timelapse.video is
 * fetched; the timelapse filter there ended without one
 * (filter.timelapse.exit), or no filter there reported anything and its
 * printer had no frame, is none; past SF_VIDEO_WAIT it is given up.
 * Whatever happens, the job's end here is as it was: a failure is
 * logged with the host, the path and why.
 */
static void
sf_video(void)
{
	char path[64], why[400];
	struct net_reply r;
	json_t *j, *a;
	const char *v;
	int missing, rv;

	/* Without spoold to hear timelapse.video, the video would be
	 * here unknown: it waits for the next spoold. */
	if (S.vid_job == 0 || !net_spoold_here())
		return;
	if (S.vid_g != NULL) {
		if ((rv = sf_video_step(why, sizeof(why))) < 0 &&
		    !remote_connected(S.r)) {
			/* The host gone: begun again once it is back. */
			log_warnx("%s-%ld: the timelapse jobs/%ld/%s from %s:"
			    " %s; fetched again", net_printer(), S.vid_job,
			    S.vid_rjob, S.vid_name, net_hostname(), why);
			remote_close(S.r);
			S.r = NULL;
			S.vid_at = 0;
			return;
		}
		if (rv < 0)
			log_warnx("%s-%ld: the timelapse jobs/%ld/%s from %s:"
			    " %s; not fetched", net_printer(), S.vid_job,
			    S.vid_rjob, S.vid_name, net_hostname(), why);
		if (rv <= 0)
			S.vid_job = 0;
		return;
	}
	if (monotonic_ms() < S.vid_at)
		return;
	S.vid_at = monotonic_ms() + SF_VIDEO_MS;
	if (net_spool_dir() == NULL) {
		S.vid_job = 0;
		return;
	}
	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "jobs/%ld/job.json", S.vid_rjob);
	if ((j = sf_json(path, &r, &missing)) == NULL) {
		if (missing) {
			log_warnx("%s-%ld: job %ld is gone from %s (%s) before"
			    " its timelapse came", net_printer(), S.vid_job,
			    S.vid_rjob, net_hostname(), path);
			S.vid_job = 0;
		}
		return;		/* the host away: asked again */
	}
	a = json_object_get(j, "attributes");
	v = net_jstr(a, "timelapse.video", NULL);
	/* The filter there may take a frame after the print: its last is
	 * the printer's there until the video is made. */
	sf_webcam(v[0] != '\0');
	if (v[0] != '\0') {
		if (!name_is_safe(v, 200) || strstr(v, ".tmp") != NULL)
			log_warnx("%s-%ld: the timelapse of job %ld on %s is"
			    " '%.100s', not a file of jobs/%ld/; not fetched",
			    net_printer(), S.vid_job, S.vid_rjob,
			    net_hostname(), v, S.vid_rjob);
		else if ((rv = sf_video_start(v, why, sizeof(why))) < 0)
			log_warnx("%s-%ld: the timelapse jobs/%ld/%s from %s:"
			    " %s; not fetched", net_printer(), S.vid_job,
			    S.vid_rjob, v, net_hostname(), why);
		else if (rv > 0) {
			/* Its first piece now, the rest poll by poll. */
			json_decref(j);
			sf_video();
			return;
		}
		S.vid_job = 0;
	} else if (json_object_get(a, "filter.timelapse.exit") != NULL ||
	    (!S.vid_cam && !sf_has_prefix(a, "timelapse.") &&
	    !sf_has_prefix(a, "filter.timelapse."))) {
		const char *why_none = net_jstr(a, "timelapse.error", NULL);

		if (why_none[0] == '\0')
			why_none = net_jstr(a, "timelapse.render", NULL);
		if (why_none[0] == '\0')
			why_none = "none is made there (no frame, no"
			    " timelapse filter)";
		log_info("%s-%ld: no timelapse of job %ld on %s: %s",
		    net_printer(), S.vid_job, S.vid_rjob, net_hostname(),
		    why_none);
		S.vid_job = 0;
	} else if (monotonic_ms() >= S.vid_until) {
		log_warnx("%s-%ld: no timelapse of job %ld on %s within %d s;"
		    " no longer awaited", net_printer(), S.vid_job,
		    S.vid_rjob, net_hostname(), SF_VIDEO_WAIT);
		S.vid_job = 0;
	}
	json_decref(j);
}

/* Our job there, as its job.json and its printer's status say. */
static int
sf_follow(struct net_reply *r)
{
	char path[256], why[480];
	const char *state, *act, *reason;
	json_t *j, *st = NULL;
	int missing;

	snprintf(path, sizeof(path), "jobs/%ld/job.json", S.rjob);
	if ((j = sf_json(path, r, &missing)) == NULL) {
		if (!missing)
			return -1;
		snprintf(why, sizeof(why), "job %ld is gone from %s", S.rjob,
		    net_hostname());
		net_report_printer(NET_PRINTER_READY, "");
		net_report_run(NET_RUN_FAILED, NULL, why);
		return 0;
	}
	state = net_jstr(j, "state", NULL);
	reason = net_jstr(j, "reason", NULL);
	snprintf(S.rprinter, sizeof(S.rprinter), "%s", net_jstr(j, "printer",
	    NULL));
	if (S.rprinter[0] != '\0' && name_is_safe(S.rprinter, 64)) {
		snprintf(path, sizeof(path), "printers/%s/status.json",
		    S.rprinter);
		st = sf_json(path, r, &missing);
		if (st == NULL && !missing) {
			json_decref(j);
			return -1;
		}
	}
	snprintf(why, sizeof(why), "%s on %s", S.rprinter[0] ? S.rprinter :
	    S.dest, net_hostname());
	net_report_printer(NET_PRINTER_READY, why);
	if (st != NULL) {
		sf_temps(st);
		if (net_jnum(st, "job", NULL, 0) == (double)S.rjob)
			net_report_pos((long long)net_jnum(st, "bytes_done",
			    NULL, -1));
	}
	if (st != NULL && net_jnum(st, "job", NULL, 0) == (double)S.rjob &&
	    net_jnum(json_object_get(st, "status"), "progress", "layer", 0) > 0)
		net_report_layer((unsigned long)net_jnum(json_object_get(st,
		    "status"), "progress", "layer", 0));
	else if (net_jnum(j, "layer", NULL, 0) > 0)
		net_report_layer((unsigned long)net_jnum(j, "layer", NULL, 0));
	act = st != NULL && net_jnum(st, "job", NULL, 0) == (double)S.rjob ?
	    net_jstr(json_object_get(st, "status"), "job_activity", NULL) : "";
	snprintf(why, sizeof(why), "%s%s%s", net_hostname(), reason[0] ?
	    ": " : "", reason);
	if (strcmp(state, "completed") == 0 || strcmp(state, "canceled") ==
	    0 || strcmp(state, "aborted") == 0)
		sf_ended();
	if (strcmp(state, "completed") == 0)
		net_report_run(NET_RUN_COMPLETE, NULL, NULL);
	else if (strcmp(state, "canceled") == 0)
		net_report_run(NET_RUN_CANCELLED, NULL, why);
	else if (strcmp(state, "aborted") == 0)
		net_report_run(NET_RUN_FAILED, NULL, why);
	else if (strcmp(state, "stopped") == 0)
		/* At rest there until its operator resumes or cancels it:
		 * paused here, with that host's reason. */
		net_report_run(NET_RUN_PAUSED, NULL, why);
	else if (strcmp(act, "paused") == 0)
		net_report_run(NET_RUN_PAUSED, NULL, reason[0] ? why : NULL);
	else if (strcmp(act, "pausing") == 0)
		net_report_run(NET_RUN_PAUSING, NULL, NULL);
	else if (strcmp(state, "processing") == 0)
		net_report_run(NET_RUN_PRINTING, NULL, NULL);
	else
		net_report_run(NET_RUN_WAITING, NULL, NULL);
	json_decref(st);
	json_decref(j);
	return 0;
}

/* Is DEST free for a job of ours? */
static int
sf_idle(struct net_reply *r)
{
	char path[256], text[480];
	const char *ps;
	json_t *st;
	int missing;

	snprintf(path, sizeof(path), "printers/%s/status.json", S.dest);
	if (S.dest_class || (st = sf_json(path, r, &missing)) == NULL) {
		if (!S.dest_class && !missing)
			return -1;
		/* A class there: its host hands the job on. */
		S.dest_class = 1;
		snprintf(text, sizeof(text), "%s on %s", S.dest,
		    net_hostname());
		net_report_printer(NET_PRINTER_READY, text);
		return 0;
	}
	sf_temps(st);
	ps = net_jstr(st, "state", NULL);
	if (!json_is_true(json_object_get(st, "enabled")))
		snprintf(text, sizeof(text), "%s is disabled on %s: %.300s",
		    S.dest, net_hostname(), net_jstr(st, "disabled_reason",
		    NULL));
	else if (!json_is_true(json_object_get(st, "accepting")))
		snprintf(text, sizeof(text), "%s is not accepting jobs on %s:"
		    " %.300s", S.dest, net_hostname(), net_jstr(st,
		    "rejecting_reason", NULL));
	else if (net_jnum(st, "job", NULL, 0) > 0)
		snprintf(text, sizeof(text), "%s prints job %.0f there, not"
		    " one sent from here", net_hostname(), net_jnum(st, "job",
		    NULL, 0));
	else if (strcmp(ps, "ready") != 0)
		snprintf(text, sizeof(text), "%s is %s on %s: %.300s", S.dest,
		    ps, net_hostname(), net_jstr(st, "message", NULL));
	else {
		snprintf(text, sizeof(text), "%s on %s", S.dest,
		    net_hostname());
		net_report_printer(NET_PRINTER_READY, text);
		json_decref(st);
		return 0;
	}
	net_report_printer(NET_PRINTER_BUSY, text);
	json_decref(st);
	return 0;
}

static int
sf_poll(struct net_reply *r)
{
	int rv;

	if (sf_connect(r) < 0)
		return -1;
	if (net_job_id() != 0 && S.job == net_job_id() && S.rjob > 0) {
		if ((rv = sf_follow(r)) == 0)
			sf_webcam(0);
	} else
		rv = sf_idle(r);
	/* What is mirrored never makes the poll fail: its failures are
	 * its own, logged. */
	if (rv == 0)
		sf_video();
	return rv;
}

/* A request on our job there: rmdir or mkdir of a folder of it. */
static int
sf_job_request(const char *verb, const char *sub, struct net_reply *r)
{
	char path[256], why[300];
	int rv;

	if (S.rjob <= 0 || S.job != net_job_id()) {
		snprintf(r->why, sizeof(r->why), "not yet queued there");
		r->code = 409;
		return -1;
	}
	if (sf_connect(r) < 0)
		return -1;
	snprintf(path, sizeof(path), "jobs/%ld%s", S.rjob, sub);
	rv = strcmp(verb, "mkdir") == 0 ? remote_mkdir(S.r, path, why,
	    sizeof(why)) : remote_rmdir(S.r, path, why, sizeof(why));
	if (rv < 0 && !remote_connected(S.r))
		return sf_fail(r, path, why);	/* the host gone */
	if (rv < 0) {
		snprintf(r->why, sizeof(r->why), "%s %.60s: %.200s", verb,
		    path, why);
		r->code = 403;
		return -1;
	}
	return 0;
}

static int
sf_cancel(struct net_reply *r)
{
	return sf_job_request("rmdir", "", r);
}

static int
sf_pause(struct net_reply *r)
{
	return sf_job_request("mkdir", "/paused", r);
}

static int
sf_resume(struct net_reply *r)
{
	return sf_job_request("rmdir", "/paused", r);
}

/* "/DEST", a printer or class of the other host. */
static int
sf_device(const char *rest, char *why, size_t whysz)
{
	if (rest[0] != '/' || !name_is_safe(rest + 1, 64)) {
		snprintf(why, whysz, "expected sftp://ACCOUNT@HOST[:PORT]/DEST,"
		    " DEST a printer or class of that host");
		return -1;
	}
	snprintf(S.dest, sizeof(S.dest), "%s", rest + 1);
	return 0;
}

static const struct net_driver sftp = {
	.name = "sftp",
	.scheme = "sftp",
	.port = 22,
	.account = 1,
	.ssh = 1,
	.cred_option = "ssh_key_file",
	.device = sf_device,
	.poll = sf_poll,
	.upload = sf_upload,
	.pause = sf_pause,
	.resume = sf_resume,
	.cancel = sf_cancel,
};

/* host:port as the core parsed it, for libssh. */
static void
sf_host_split(void)
{
	const char *hp = net_hostname(), *colon;
	long v;

	colon = strrchr(hp, ':');
	if (hp[0] == '[')
		snprintf(S.host, sizeof(S.host), "%.*s", (int)(strchr(hp, ']') -
		    hp - 1), hp + 1);
	else
		snprintf(S.host, sizeof(S.host), "%.*s", (int)(colon - hp), hp);
	S.port = parse_long(colon + 1, 1, 65535, &v) == 0 ? (unsigned)v : 22;
}

int
main(int argc, char *argv[])
{
	S.vid_fd = -1;
	return net_main(argc, argv, &sftp);
}
