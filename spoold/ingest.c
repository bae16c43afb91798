/*
 * ingest.c - take a file into the spool: check it, hash it and copy it
 * in one pass, then queue it.
 *
 * The file arrives as an open descriptor (passed by gprint, or opened by
 * drop.c without following links), so spoold reads only what the
 * submitter could read, and reads it once: what is checked is what is
 * copied, and the submitter cannot change it afterwards.
 *
 * Checks: a regular file; libmagic says text (it looks at the start
 * only, so the G-code lexer then checks every byte); every line lexes
 * and fits the firmware (gcode.c), within the printer's policy.
 *
 * The pass runs in a worker process (at most MAX_INGESTS at once, the
 * rest waiting in order), so that no file, however large or hostile,
 * makes spoold's loop wait: the worker reads, checks, hashes and copies,
 * and says what it found on a pipe; spoold then queues the job and
 * tells whoever asked (ingest_done_fn).  A worker has a CPU limit, and a
 * compressed file may not grow past INGEST_MAX_RATIO times what was read
 * of it; a worker that dies refuses its file.
 *
 * Crash safety: the copy goes to SPOOL/tmp, is fsynced, and is renamed
 * into SPOOL/jobs inside the transaction that adds the job (queue.c).
 * ingest_sweep() removes copies a crash left in SPOOL/tmp.
 *
 * Memory: one buffer of INGEST_BUFSZ bytes, whatever the file's size.
 * A thumbnail is kept only up to THUMB_MAX decoded bytes: a larger
 * one is dropped (the job goes on), so the job's folder holds no more
 * than ANALYSE_THUMBS of them at that size.
 *
 * Security: the file is the submitter's and may be anything: it is read
 * in the worker only, never mapped, a buffer at a time, with the CPU
 * limit and the compression ratio above; the worker's verdict comes
 * back as one bounded line, and a worker that dies or says nothing
 * sound is a refusal, never a pass.
 *
 * Diagnostics: a refused file gets its reason, with the line of the
 * file where the check stopped (reject.c keeps it beside the file in
 * SPOOL/rejected/USER/ and tells the submitter); spoold's log has one
 * line for each file taken or refused, and the worker's own failures
 * (a disk full, a copy that cannot be renamed) with the path.
 */
#include "config.h"

#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "analyse.h"
#include "gcode.h"
#include "crash.h"
#include "log.h"
#include "spoold.h"
#include "util.h"
#include "zread.h"

#define INGEST_BUFSZ	65536

static void	ingest_finish(struct spoold *, struct ingest *, long,
		    const char *);
static long	ingest_count(const char *);

static int
ingest_magic(struct spoold *sd, const struct analyse_policy *pol,
    const char *buf, size_t len, char *reason, size_t reasonsz)
{
	struct gcode_lexer lx;
	enum gcode_status gs = GCODE_MORE;
	const char *mime;
	size_t off;

	if (sd->magic == NULL || len == 0)
		return 0;
	if (sd->magic_gcode != NULL &&
	    (mime = magic_buffer(sd->magic_gcode, buf, len)) != NULL) {
		if (strncmp(mime, "text/x.gcode", 12) == 0)
			return 0;	/* the lexer checks every byte */
		if (strncmp(mime, "application/x.prusa-bgcode", 26) == 0) {
			snprintf(reason, reasonsz, "Prusa binary G-code"
			    " (libmagic says %s), which %s: export plain"
			    " G-code instead", mime, pol->takes_bgcode ?
			    "gspool cannot check yet" :
			    "is not sent over a serial line");
			return -1;
		}
	}
	/* The stock database knows no G-code and gives some G-code files
	 * odd types (a slicer's "key = value" header reads as an INI file):
	 * what matters is its verdict on the encoding. */
	mime = magic_buffer(sd->magic, buf, len);
	if (mime == NULL) {
		log_warnx("libmagic: %s", magic_error(sd->magic));
		return 0;	/* the lexer still checks every byte */
	}
	if (strstr(mime, "charset=binary") == NULL)
		return 0;
	/* Say where, too: the first line the lexer refuses. */
	gcode_lexer_init(&lx, &pol->heat);
	for (off = 0; off < len && gs != GCODE_ERROR; )
		off += gcode_lex(&lx, buf + off, len - off, &gs);
	snprintf(reason, reasonsz, "not a text G-code file (libmagic says"
	    " %s)%s%s", mime, gs == GCODE_ERROR ? "; " : "",
	    gs == GCODE_ERROR ? lx.error : "");
	return -1;
}

/* The thumbnails of the file being taken in: decoded into temporary
 * files during the one pass, moved beside the job once it is queued. */
#define THUMB_MAX	(2 << 20)	/* decoded bytes of one thumbnail */

struct thumbs {
	struct spoold	*sd;
	int		 fd[ANALYSE_THUMBS];
	char		*path[ANALYSE_THUMBS];
	size_t		 bytes[ANALYSE_THUMBS];
	int		 too_big[ANALYSE_THUMBS];
	int		 failed;
};

/* A thumbnail past THUMB_MAX: its file removed, the rest ignored. */
static void
thumb_drop(struct thumbs *th, int idx)
{
	if (th->fd[idx] >= 0)
		close(th->fd[idx]);
	th->fd[idx] = -1;
	if (th->path[idx] != NULL)
		unlink(th->path[idx]);
	free(th->path[idx]);
	th->path[idx] = NULL;
	th->too_big[idx] = 1;
}

static void
thumb_data(void *arg, int idx, const unsigned char *data, size_t len)
{
	struct thumbs *th = arg;

	if (idx < 0 || idx >= ANALYSE_THUMBS || th->failed || th->too_big[idx])
		return;
	if (len > THUMB_MAX - th->bytes[idx]) {
		thumb_drop(th, idx);
		return;
	}
	th->bytes[idx] += len;
	if (len == 0) {
		if (th->fd[idx] >= 0)
			close(th->fd[idx]);
		th->fd[idx] = -1;
		return;
	}
	if (th->path[idx] == NULL) {
		th->path[idx] = xasprintf("%s/ingest.XXXXXX", th->sd->dir_tmp);
		if ((th->fd[idx] = mkostemp(th->path[idx], O_CLOEXEC)) < 0) {
			free(th->path[idx]);
			th->path[idx] = NULL;
			th->failed = 1;
			return;
		}
	}
	if (th->fd[idx] >= 0 && write_all(th->fd[idx], data, len) < 0)
		th->failed = 1;	/* thumbnails are extras: the job goes on */
}

/* In the worker, once the file is read: say which thumbnails are good
 * (their temporary files go beside the job once it is queued), and
 * remove the rest. */
static void
thumbs_report(struct thumbs *th, const struct analysis *an, int ok,
    FILE *out)
{
	char fmt[8];
	size_t k;
	int i;

	for (i = 0; i < ANALYSE_THUMBS; i++) {
		if (th->fd[i] >= 0)
			close(th->fd[i]);
		th->fd[i] = -1;
		if (th->path[i] == NULL)
			continue;
		if (ok && !th->failed && i < an->nthumbs &&
		    !an->thumbs[i].bad) {
			snprintf(fmt, sizeof(fmt), "%s", an->thumbs[i].format);
			for (k = 0; fmt[k]; k++)
				fmt[k] = (char)tolower((unsigned char)fmt[k]);
			if (!name_is_safe(fmt, 7))
				snprintf(fmt, sizeof(fmt), "bin");
			fprintf(out, "thumb %d %d %s %s\n", an->thumbs[i].width,
			    an->thumbs[i].height, fmt, th->path[i]);
		} else
			unlink(th->path[i]);
		free(th->path[i]);
		th->path[i] = NULL;
	}
}

/* In spoold, once the job is queued: the thumbnails the worker kept go
 * to SPOOL/jobs/ID.d/thumb-WxH.FORMAT.  A failure loses a picture,
 * never the job. */
static void
thumbs_move(struct spoold *sd, struct ingest *in, long id)
{
	char *dir = NULL, *dst, *line, *save = NULL, *path, fmt[8];
	int w, h, n;

	for (line = strtok_r(in->buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "thumb ", 6) != 0)
			continue;
		n = 0;
		if (sscanf(line + 6, "%d %d %7s %n", &w, &h, fmt, &n) != 3 ||
		    n == 0)
			continue;
		path = line + 6 + n;
		/* Only the worker's own temporary files. */
		if (strncmp(path, sd->dir_tmp, strlen(sd->dir_tmp)) != 0 ||
		    strncmp(path + strlen(sd->dir_tmp), "/ingest.", 8) != 0 ||
		    strstr(path, "/..") != NULL)
			continue;
		if (id <= 0) {
			unlink(path);
			continue;
		}
		if (dir == NULL) {
			dir = xasprintf("%s/%ld.d", sd->dir_jobs, id);
			if (mkdir_exist_ok(dir, 0755) < 0)
				log_warn("%s", dir);
		}
		dst = xasprintf("%s/thumb-%dx%d.%s", dir, w, h, fmt);
		if (rename(path, dst) == 0)
			chmod(dst, 0644);
		else {
			log_warn("%s", dst);
			unlink(path);
		}
		free(dst);
	}
	free(dir);
}

/*
 * The motion model's marks (analyse.h), written by the worker beside
 * its copy as TMP.timemap and moved to SPOOL/jobs/ID.d/timemap once
 * the job is queued (status.c reads it as the job prints): a line
 * "gspool-timemap 1", then one "COMMAND SECONDS LAYER KINDS BYTES" a
 * mark.
 * It holds a mark per layer and per ANALYSE_MARK_STEP modelled seconds,
 * never a line per command.  Losing it (a full disk, a crash before the
 * move) costs the job its progress by time, never the job.
 */
struct timemap {
	FILE	*fp;
	int	 failed;
};

static void
timemap_mark(void *arg, unsigned long command, double seconds,
    unsigned long layer, const char *kinds, unsigned long long bytes)
{
	struct timemap *tm = arg;

	if (tm->fp != NULL && fprintf(tm->fp, "%lu %.3f %lu %s %llu\n",
	    command, seconds, layer, kinds, bytes) < 0)
		tm->failed = 1;
}

static char *
timemap_tmp(const struct ingest *in)
{
	return xasprintf("%s.timemap", in->tmp);
}

/* In spoold, once the job is queued (id > 0) or refused: the worker's
 * timemap goes beside the job, or away. */
static void
timemap_move(struct spoold *sd, struct ingest *in, long id)
{
	char *path, *dir, *dst;

	if (in->tmp == NULL)
		return;
	path = timemap_tmp(in);
	if (id <= 0) {
		unlink(path);
		free(path);
		return;
	}
	dir = xasprintf("%s/%ld.d", sd->dir_jobs, id);
	dst = xasprintf("%s/timemap", dir);
	if (mkdir_exist_ok(dir, 0755) < 0 || rename(path, dst) < 0) {
		if (errno != ENOENT)
			log_warn("%s: %s", queue_job_name(sd, id, NULL), dst);
		unlink(path);
	} else
		chmod(dst, 0644);
	free(dst);
	free(dir);
	free(path);
}

/* Nothing read may grow past this many times what was read from the
 * file itself (a compression bomb), beyond the first MiB. */
#define INGEST_MAX_RATIO	100
#define INGEST_CPU_S		300	/* a worker's CPU time at most */

/* The worker: read the file once, check it, hash it and copy it into
 * tmp, then say what it found on out ("ok" and its figures, or "no" and
 * the reason) and exit.  It runs nothing of spoold's but this. */
static void __attribute__((noreturn))
ingest_worker(struct spoold *sd, struct ingest *in, int fd, FILE *out)
{
	struct rlimit rl = { INGEST_CPU_S, INGEST_CPU_S };
	struct analysis *an;
	struct zread *zr;
	struct thumbs th;
	struct timemap tm;
	char *tmpath;
	EVP_MD_CTX *md;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1], reason[600], *buf, *meta;
	long long size = 0;
	ssize_t n;
	int first = 1, ok = 0, tfd;

	setrlimit(RLIMIT_CPU, &rl);
	crash_kills_parent = 1;
	/* For the tests: a worker that stands still, while spoold goes on
	 * answering everyone else. */
	if (getenv("GSPOOL_TEST_INGEST_STOP") != NULL) {
		log_warnx("ingest: worker %ld stopped for a test",
		    (long)getpid());
		raise(SIGSTOP);
	}
	reason[0] = '\0';
	buf = xmalloc(INGEST_BUFSZ);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("ingest: cannot set up SHA-256");
	if ((tfd = open(in->tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(reason, sizeof(reason), "cannot open the spool file:"
		    " %s", strerror(errno));
		goto out;
	}
	an = xmalloc(sizeof(*an));
	analyse_init(an, &in->check);
	memset(&th, 0, sizeof(th));
	th.sd = sd;
	for (i = 0; i < ANALYSE_THUMBS; i++)
		th.fd[i] = -1;
	an->thumb_cb = thumb_data;
	an->thumb_arg = &th;
	tmpath = timemap_tmp(in);
	memset(&tm, 0, sizeof(tm));
	if ((tm.fp = fopen(tmpath, "wxe")) != NULL) {
		fprintf(tm.fp, "gspool-timemap 1\n");
		an->mark_cb = timemap_mark;
		an->mark_arg = &tm;
	}
	zr = zread_new(fd);
	for (;;) {
		n = zread_read(zr, buf, INGEST_BUFSZ);
		if (n < 0) {
			if (errno == EIO && zread_error(zr)[0])
				snprintf(reason, sizeof(reason), "%s",
				    zread_error(zr));
			else
				snprintf(reason, sizeof(reason), "cannot read"
				    " the file: %s", strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (size + n > in->max_size) {
			snprintf(reason, sizeof(reason), "larger than the %lld"
			    " bytes allowed for %s%s", in->max_size, in->owner,
			    zread_is_gzip(zr) ? " (uncompressed)" : "");
			goto done;
		}
		if (zread_is_gzip(zr) && size + n > (1LL << 20) &&
		    (unsigned long long)(size + n) / INGEST_MAX_RATIO >
		    zread_raw_bytes(zr)) {
			snprintf(reason, sizeof(reason), "it decompresses to"
			    " more than %d times its size (a compression"
			    " bomb?)", INGEST_MAX_RATIO);
			goto done;
		}
		if (first && ingest_magic(sd, &in->check, buf, (size_t)n,
		    reason, sizeof(reason)) < 0)
			goto done;
		first = 0;
		if (analyse_bytes(an, buf, (size_t)n) < 0) {
			snprintf(reason, sizeof(reason), "%s", an->error);
			goto done;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (write_all(tfd, buf, (size_t)n) < 0) {
			snprintf(reason, sizeof(reason), "cannot write the"
			    " spool file: %s", strerror(errno));
			goto done;
		}
		size += n;
	}
	if (analyse_end(an) < 0) {
		snprintf(reason, sizeof(reason), "%s", an->error);
		goto done;
	}
	if (an->lx.ncmds == 0) {
		snprintf(reason, sizeof(reason), size == 0 ? "empty file" :
		    "no G-code commands in the file");
		goto done;
	}
	crash_point("copied");
	EVP_DigestFinal_ex(md, digest, &dlen);
	for (i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	if (fsync(tfd) < 0) {
		snprintf(reason, sizeof(reason), "cannot sync the spool file:"
		    " %s", strerror(errno));
		goto done;
	}
	crash_point("synced");
	ok = 1;
	fprintf(out, "ok\nsize %lld\ncommands %lu\nsha256 %s\n", size,
	    an->lx.ncmds, hex);
done:
	thumbs_report(&th, an, ok, out);
	if (tm.fp != NULL && (fclose(tm.fp) != 0 || tm.failed || !ok))
		unlink(tmpath);
	free(tmpath);
	if (ok) {
		meta = analyse_json(an, in->title, 1, "",
		    ANALYSE_JSON_COMPACT);
		/* One line: the compact JSON has none of its own. */
		for (i = 0; meta[i] != '\0'; i++)
			if (meta[i] == '\n')
				meta[i] = ' ';
		fprintf(out, "meta %s\n", meta);
	}
	zread_free(zr);
out:
	if (!ok)
		fprintf(out, "no %s\n", reason[0] ? reason :
		    "the file could not be read");
	fflush(out);
	_exit(0);
}

static struct ingest *ingests;		/* waiting for a worker, in order */
static int nrunning;

static struct spoold *ingest_sd;	/* for the loop's callbacks */
static void	ingest_read(struct spoold *, struct ingest *);

static void
ingest_readable(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	ingest_read(ingest_sd, arg);
}

/* Start the first waiting ingests while workers are free. */
static void
ingest_run(struct spoold *sd)
{
	struct ingest *in;
	char why[512];
	int pfd[2];
	FILE *out;
	pid_t pid;

again:
	for (in = ingests; in != NULL && nrunning < MAX_INGESTS;
	    in = in->next) {
		if (in->pid != 0 || in->pipe >= 0 || in->done_called)
			continue;
		/* Its sender refused for a while since it was queued (the
		 * files before it were refused): not taken now (reject.c). */
		if (reject_limits(sd, in->owner, why, sizeof(why)) < 0) {
			ingest_finish(sd, in, -1, why);
			goto again;	/* the list changed */
		}
		in->tmp = xasprintf("%s/ingest.XXXXXX", sd->dir_tmp);
		if ((in->tfd = mkostemp(in->tmp, O_CLOEXEC)) < 0 ||
		    pipe2(pfd, O_CLOEXEC) < 0) {
			ingest_finish(sd, in, -1, "cannot create a spool file");
			return;		/* the list changed */
		}
		close(in->tfd);
		in->tfd = -1;
		switch ((pid = fork())) {
		case -1:
			close(pfd[0]);
			close(pfd[1]);
			ingest_finish(sd, in, -1, "cannot start a worker");
			return;
		case 0:
			if (dup2(in->fd, 3) < 0 || dup2(pfd[1], 4) < 0)
				_exit(1);
			closefrom(5);
			if ((out = fdopen(4, "w")) == NULL)
				_exit(1);
			ingest_worker(sd, in, 3, out);
		}
		close(pfd[1]);
		close(in->fd);
		in->fd = -1;
		fd_set_nonblock(pfd[0], 1);
		in->pid = pid;
		in->pipe = pfd[0];
		in->io = ev_io_add(sd->ev, in->pipe, EV_READ, ingest_readable,
		    in);
		nrunning++;
		log_debug("ingest: %s for %s: a worker takes it in (pid %ld)",
		    in->title, in->owner, (long)pid);
	}
}

/* Queue a file: cheap checks at once, the rest in a worker.  done is
 * called once, maybe before this returns: with the job's id, 0 and the
 * reason if the file is refused, or -1 if it could not be taken now.
 * The descriptor is spoold's (closed here); drop and its path are
 * copied. */
void
ingest_submit(struct spoold *sd, int fd, const char *printer,
    const char *owner, uid_t uid, const char *title,
    const struct job_opts *opts, const struct drop_id *drop,
    ingest_done_fn *done, void *arg)
{
	static const struct job_opts defaults = { .priority = 50, .copies = 1 };
	struct conf_printer *cp;
	struct conf_class *k;
	struct printer *pr = NULL;
	struct ingest *in, **pp;
	struct dest *d;
	struct stat st;
	char reason[512];
	long max_jobs;

	ingest_sd = sd;
	in = xcalloc(1, sizeof(*in));
	/* Its own descriptor: the caller keeps and closes its one. */
	in->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	in->pipe = in->tfd = -1;
	in->done = done;
	in->arg = arg;
	in->printer = xstrdup(printer);
	in->owner = xstrdup(owner);
	in->uid = uid;
	clean_text(in->title, sizeof(in->title), title);
	in->opts = opts != NULL ? *opts : defaults;
	if (drop != NULL) {
		in->has_drop = 1;
		in->drop = *drop;
		in->drop.path = in->drop_path = xstrdup(drop->path);
	}
	if ((cp = conf_printer(&sd->conf, printer)) != NULL &&
	    (pr = printer_find(sd, printer)) != NULL) {
		/* The printer's checks as they stand, as at handover. */
		check_policy(pr, &in->check);
		check_fingerprint(pr, in->policy, sizeof(in->policy));
		in->for_printer = 1;
	} else if ((k = conf_class(&sd->conf, printer)) != NULL)
		memcpy(&in->check, &k->check, sizeof(in->check));
	else {
		snprintf(reason, sizeof(reason), "unknown printer or class"
		    " '%s'", printer);
		goto refuse;
	}
	if ((d = dest_find(sd, printer)) != NULL && !d->accepting) {
		snprintf(reason, sizeof(reason), "%s is not accepting jobs%s%s",
		    printer, d->accept_reason[0] ? ": " : "",
		    d->accept_reason);
		goto refuse;
	}
	if (in->fd < 0 || fstat(in->fd, &st) < 0) {
		snprintf(reason, sizeof(reason), "cannot stat the file: %s",
		    strerror(errno));
		goto refuse;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(reason, sizeof(reason), "not a regular file");
		goto refuse;
	}
	conf_user_limits(&sd->conf, owner, &in->max_size, &max_jobs);
	if (max_jobs > 0 && queue_count_user(sd, owner) + ingest_count(owner)
	    >= max_jobs) {
		snprintf(reason, sizeof(reason), "%s has %ld jobs waiting or"
		    " printing, the most allowed", owner, max_jobs);
		/* A limit, not a fault of the file: not counted as a
		 * refusal, and a drop file waits (reject.c). */
		in->next = ingests;
		ingests = in;
		ingest_finish(sd, in, -1, reason);
		return;
	}
	for (pp = &ingests; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = in;
	ingest_run(sd);
	return;
refuse:
	in->next = ingests;	/* ingest_finish takes it off the list */
	ingests = in;
	ingest_finish(sd, in, 0, reason);
}

/* Files being taken in for a user: they count as their jobs. */
static long
ingest_count(const char *owner)
{
	struct ingest *in;
	long n = 0;

	for (in = ingests; in != NULL; in = in->next)
		if (!in->done_called && strcmp(in->owner, owner) == 0)
			n++;
	return n;
}

/* 1 if the file of a drop (by its identity) is being taken in. */
int
ingest_busy(const struct drop_id *di)
{
	struct ingest *in;

	for (in = ingests; in != NULL; in = in->next)
		if (in->has_drop && in->drop.dev == di->dev &&
		    in->drop.ino == di->ino)
			return 1;
	return 0;
}

/* The file checked is refused: it, its thumbnails and its time map go,
 * and the submitter is told why. */
static void
ingest_refuse(struct spoold *sd, struct ingest *in, const char *reason)
{
	unlink(in->tmp);
	thumbs_move(sd, in, 0);
	timemap_move(sd, in, 0);
	ingest_finish(sd, in, 0, reason);
}

/* The worker's answer is whole (or it died): queue the job, or not. */
static void
ingest_result(struct spoold *sd, struct ingest *in)
{
	char *line, *p, *meta = NULL, *made, sha[80], reason[600];
	long long size = -1;
	long commands = -1, id;
	int known;

	in->buf[in->len] = '\0';
	if (strncmp(in->buf, "no ", 3) == 0) {
		snprintf(reason, sizeof(reason), "%.*s",
		    (int)strcspn(in->buf + 3, "\n"), in->buf + 3);
		ingest_refuse(sd, in, reason);
		return;
	}
	sha[0] = '\0';
	for (line = in->buf; *line != '\0'; line = p) {
		p = line + strcspn(line, "\n");
		if (*p == '\n')
			*p++ = '\0';
		if (strncmp(line, "size ", 5) == 0)
			size = strtoll(line + 5, NULL, 10);
		else if (strncmp(line, "commands ", 9) == 0)
			commands = strtol(line + 9, NULL, 10);
		else if (strncmp(line, "sha256 ", 7) == 0)
			snprintf(sha, sizeof(sha), "%s", line + 7);
		else if (strncmp(line, "meta ", 5) == 0)
			meta = line + 5;
		if (*p != '\0')
			p[-1] = '\n';	/* thumbs_move reads the lines */
	}
	if (strncmp(in->buf, "ok\n", 3) != 0 || size < 0 || commands < 0 ||
	    strlen(sha) != 64 || meta == NULL) {
		ingest_refuse(sd, in, in->worker_died[0] ? in->worker_died :
		    "the check of the file did not finish");
		return;
	}
	/* A reload may have removed its destination while it was read. */
	if (!dest_known(sd, in->printer)) {
		snprintf(reason, sizeof(reason), "%s was removed from the"
		    " configuration while the file was checked", in->printer);
		unlink(in->tmp);
		thumbs_move(sd, in, 0);
		ingest_finish(sd, in, 0, reason);
		return;
	}
	meta[strcspn(meta, "\n")] = '\0';
	/* Made for another printer, nozzle or filament: refused, or held
	 * with the reason, as the printer's fit_ keys say (suits.c). */
	made = suits_made_for(meta);
	in->opts.fit_hold[0] = '\0';
	switch (suits_submit(sd, in->printer, made, reason, sizeof(reason))) {
	case FIT_REFUSE:
		free(made);
		ingest_refuse(sd, in, reason);
		return;
	case FIT_HOLD:
		snprintf(in->opts.fit_hold, sizeof(in->opts.fit_hold), "%s",
		    reason);
		break;
	}
	/* A monthly limit it would pass: refused, saying what is left.
	 * Checked here, in the loop, so that the jobs queued before it
	 * count. */
	if (acct_check(sd, in->owner, in->uid, in->printer, meta,
	    in->opts.copies, reason, sizeof(reason)) != 0) {
		free(made);
		ingest_refuse(sd, in, reason);
		return;
	}
	in->opts.made_for = made;
	meta = xstrdup(meta);
	/* Checked and fit: one that needs staff approval waits for it. */
	in->opts.approval = approve_needed(sd, in->printer, in->owner,
	    in->uid, in->opts.approvers, sizeof(in->opts.approvers));
	id = queue_add(sd, in->printer, in->owner, in->uid, in->title, size,
	    commands, sha, meta, &in->opts, in->has_drop ? &in->drop : NULL,
	    in->tmp, &known);
	free(meta);
	in->opts.made_for = NULL;
	free(made);
	if (id > 0 && known) {
		/* A re-sent file whose forward id is queued already: that
		 * job is the answer, and this copy goes. */
		unlink(in->tmp);
		thumbs_move(sd, in, 0);
		timemap_move(sd, in, 0);
		snprintf(reason, sizeof(reason), INGEST_KNOWN "forward id %s"
		    " is %s already", in->opts.forward,
		    queue_job_name(sd, id, NULL));
		ingest_finish(sd, in, id, reason);
		return;
	}
	if (id < 0) {
		unlink(in->tmp);
		thumbs_move(sd, in, 0);
		timemap_move(sd, in, 0);
		ingest_finish(sd, in, -1, "cannot add the job to the queue");
		return;
	}
	thumbs_move(sd, in, id);
	timemap_move(sd, in, id);
	if (in->for_printer)
		/* Checked for its printer: not read again at handover while
		 * that printer's checks stay as they are. */
		queue_check_put(sd, id, in->printer, in->policy, 1, "");
	/* A class's job that no member suits says why it waits now, not
	 * when a member next takes jobs. */
	sched_judge(sd, id);
	ingest_finish(sd, in, id, "");
}

/* The worker's pipe is readable. */
static void
ingest_read(struct spoold *sd, struct ingest *in)
{
	ssize_t n;

	if (in->len + 1 >= sizeof(in->buf))
		n = 0;		/* more than any answer: the end of it */
	else
		n = read(in->pipe, in->buf + in->len,
		    sizeof(in->buf) - 1 - in->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		in->len += (size_t)n;
		return;
	}
	ev_io_del(in->io);
	in->io = NULL;
	close(in->pipe);
	in->pipe = -1;
	if (in->pid == 0) {
		nrunning--;
		ingest_result(sd, in);
		ingest_run(sd);
	}
}

void
ingest_progress(struct spoold *sd, const char *owner, uid_t uid,
    long long *bytes, int *files)
{
	struct ingest *in;
	struct stat st;

	(void)sd;
	*bytes = 0;
	*files = 0;
	/* The worker writes the copy as it checks: its size is what has
	 * been checked (of a compressed file, what it decompressed to). */
	for (in = ingests; in != NULL; in = in->next) {
		if (in->pid == 0 || strcmp(in->owner, owner) != 0 ||
		    in->uid != uid)
			continue;
		(*files)++;
		if (stat(in->tmp, &st) == 0)
			*bytes += (long long)st.st_size;
	}
}

/* A worker exited: 1 if it was one. */
int
ingest_reaped(struct spoold *sd, pid_t pid, int status)
{
	struct ingest *in;

	for (in = ingests; in != NULL; in = in->next) {
		if (in->pid != pid)
			continue;
		in->pid = 0;
		if (WIFSIGNALED(status))
			snprintf(in->worker_died, sizeof(in->worker_died),
			    "checking the file was stopped (signal %d%s)",
			    WTERMSIG(status), WTERMSIG(status) == SIGXCPU ?
			    ": it took too long" : "");
		/* A worker's place is free once its end is recorded (its
		 * answer read too), so that a refusal counts before the next
		 * file of its sender starts (reject_limits()). */
		if (in->pipe < 0) {
			nrunning--;
			ingest_result(sd, in);
			ingest_run(sd);
		}
		return 1;
	}
	return 0;
}

/* The ingest ended, however: tell whoever asked, and forget it. */
static void
ingest_finish(struct spoold *sd, struct ingest *in, long id,
    const char *reason)
{
	struct ingest **pp;

	if (!in->done_called) {
		in->done_called = 1;
		in->done(sd, in->arg, id, reason, &in->opts);
	}
	if (in->pid != 0 || in->pipe >= 0)
		return;		/* freed when its worker is gone */
	for (pp = &ingests; *pp != NULL; pp = &(*pp)->next)
		if (*pp == in) {
			*pp = in->next;
			break;
		}
	if (in->fd >= 0)
		close(in->fd);
	if (in->tmp != NULL && id <= 0)
		unlink(in->tmp);
	free(in->tmp);
	free(in->printer);
	free(in->owner);
	free(in->drop_path);
	free(in);
}

void
ingest_sweep(struct spoold *sd)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(sd->dir_tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "ingest.", 7) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("removed %s/%s, left by an interrupted"
			    " ingest", sd->dir_tmp, de->d_name);
	}
	closedir(d);
}
