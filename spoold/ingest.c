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
 * Crash safety: the copy goes to SPOOL/tmp, is fsynced, and is renamed
 * into SPOOL/jobs inside the transaction that adds the job (queue.c).
 * ingest_sweep() removes copies a crash left in SPOOL/tmp.
 *
 * Memory: one buffer of INGEST_BUFSZ bytes, whatever the file's size.
 */
#include "config.h"

#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "analyse.h"
#include "gcode.h"
#include "log.h"
#include "spoold.h"
#include "util.h"
#include "zread.h"

#define INGEST_BUFSZ	65536

static int
ingest_magic(struct spoold *sd, const struct gcode_policy *pol,
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
			    " (libmagic says %s), which is not sent over a"
			    " serial line: export plain G-code instead", mime);
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
	gcode_lexer_init(&lx, pol);
	for (off = 0; off < len && gs != GCODE_ERROR; )
		off += gcode_lex(&lx, buf + off, len - off, &gs);
	snprintf(reason, reasonsz, "not a text G-code file (libmagic says"
	    " %s)%s%s", mime, gs == GCODE_ERROR ? "; " : "",
	    gs == GCODE_ERROR ? lx.error : "");
	return -1;
}

/* The thumbnails of the file being taken in: decoded into temporary
 * files during the one pass, moved beside the job once it is queued. */
struct thumbs {
	struct spoold	*sd;
	int		 fd[ANALYSE_THUMBS];
	char		*path[ANALYSE_THUMBS];
	int		 failed;
};

static void
thumb_data(void *arg, int idx, const unsigned char *data, size_t len)
{
	struct thumbs *th = arg;

	if (idx < 0 || idx >= ANALYSE_THUMBS || th->failed)
		return;
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

/* Move the good thumbnails to SPOOL/jobs/ID.d/thumb-WxH.FORMAT; drop
 * the rest.  A failure loses a picture, never the job. */
static void
thumbs_finish(struct thumbs *th, const struct analysis *an, long id)
{
	char *dir = NULL, *dst, fmt[8];
	size_t k;
	int i;

	for (i = 0; i < ANALYSE_THUMBS; i++) {
		if (th->fd[i] >= 0)
			close(th->fd[i]);
		th->fd[i] = -1;
		if (th->path[i] == NULL)
			continue;
		if (id > 0 && !th->failed && i < an->nthumbs &&
		    !an->thumbs[i].bad) {
			if (dir == NULL) {
				dir = xasprintf("%s/%ld.d", th->sd->dir_jobs, id);
				if (mkdir_exist_ok(dir, 0755) < 0)
					log_warn("%s", dir);
			}
			snprintf(fmt, sizeof(fmt), "%s", an->thumbs[i].format);
			for (k = 0; fmt[k]; k++)
				fmt[k] = (char)tolower((unsigned char)fmt[k]);
			if (!name_is_safe(fmt, 7))
				snprintf(fmt, sizeof(fmt), "bin");
			dst = xasprintf("%s/thumb-%dx%d.%s", dir,
			    an->thumbs[i].width, an->thumbs[i].height, fmt);
			if (rename(th->path[i], dst) == 0)
				chmod(dst, 0644);
			else
				log_warn("%s", dst);
			free(dst);
		}
		unlink(th->path[i]);	/* gone already when moved */
		free(th->path[i]);
		th->path[i] = NULL;
	}
	free(dir);
}

long
ingest_fd(struct spoold *sd, int fd, const char *printer, const char *owner,
    uid_t uid, const char *title, const struct job_opts *opts,
    const struct drop_id *drop, char *reason, size_t reasonsz)
{
	static const struct job_opts defaults = { .priority = 50, .copies = 1 };
	const struct analyse_policy *check;
	const struct gcode_policy *heat;
	struct analyse_policy pcheck;
	struct printer *pr = NULL;
	struct conf_printer *cp;
	struct conf_class *k;
	struct dest *d;
	struct analysis *an = NULL;
	struct zread *zr = NULL;
	struct thumbs th;
	char ctitle[256];
	long long max_size;
	long max_jobs;
	struct stat st;
	char *meta = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *buf = NULL, *tmp = NULL;
	long long size = 0;
	long id = -1;
	ssize_t n;
	int out = -1, first = 1;

	reason[0] = '\0';
	if (opts == NULL)
		opts = &defaults;
	if ((cp = conf_printer(&sd->conf, printer)) != NULL &&
	    (pr = printer_find(sd, printer)) != NULL) {
		/* The printer's checks as they stand, as at handover. */
		memset(&pcheck, 0, sizeof(pcheck));
		check_policy(pr, &pcheck);
		check = &pcheck;
		heat = &cp->policy;
	} else if ((k = conf_class(&sd->conf, printer)) != NULL) {
		check = &k->check;
		heat = &k->policy;
	} else {
		snprintf(reason, reasonsz, "unknown printer or class '%s'",
		    printer);
		return 0;
	}
	if ((d = dest_find(sd, printer)) != NULL && !d->accepting) {
		snprintf(reason, reasonsz, "%s is not accepting jobs%s%s",
		    printer, d->accept_reason[0] ? ": " : "",
		    d->accept_reason);
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(reason, reasonsz, "cannot stat the file: %s",
		    strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(reason, reasonsz, "not a regular file");
		return 0;
	}
	conf_user_limits(&sd->conf, owner, &max_size, &max_jobs);
	if (max_jobs > 0 && queue_count_user(sd, owner) >= max_jobs) {
		snprintf(reason, reasonsz, "%s has %ld jobs waiting or printing,"
		    " the most allowed", owner, max_jobs);
		return 0;
	}
	tmp = xasprintf("%s/ingest.XXXXXX", sd->dir_tmp);
	if ((out = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(reason, reasonsz, "cannot create a spool file: %s",
		    strerror(errno));
		free(tmp);
		return -1;
	}
	buf = xmalloc(INGEST_BUFSZ);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatalx("ingest: cannot set up SHA-256");
	an = xmalloc(sizeof(*an));
	analyse_init(an, check);
	memset(&th, 0, sizeof(th));
	th.sd = sd;
	for (i = 0; i < ANALYSE_THUMBS; i++)
		th.fd[i] = -1;
	an->thumb_cb = thumb_data;
	an->thumb_arg = &th;

	zr = zread_new(fd);
	for (;;) {
		n = zread_read(zr, buf, INGEST_BUFSZ);
		if (n < 0) {
			if (errno == EIO && zread_error(zr)[0])
				snprintf(reason, reasonsz, "%s",
				    zread_error(zr));
			else
				snprintf(reason, reasonsz, "cannot read the"
				    " file: %s", strerror(errno));
			goto reject;
		}
		if (n == 0)
			break;
		if (size + n > max_size) {
			snprintf(reason, reasonsz, "larger than the %lld bytes"
			    " allowed for %s%s", max_size, owner,
			    zread_is_gzip(zr) ? " (uncompressed)" : "");
			goto reject;
		}
		if (first && ingest_magic(sd, heat, buf, (size_t)n, reason,
		    reasonsz) < 0)
			goto reject;
		first = 0;
		if (analyse_bytes(an, buf, (size_t)n) < 0) {
			snprintf(reason, reasonsz, "%s", an->error);
			goto reject;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (write_all(out, buf, (size_t)n) < 0) {
			snprintf(reason, reasonsz, "cannot write the spool"
			    " file: %s", strerror(errno));
			id = -1;
			goto fail;
		}
		size += n;
	}
	if (analyse_end(an) < 0) {
		snprintf(reason, reasonsz, "%s", an->error);
		goto reject;
	}
	if (an->lx.ncmds == 0) {
		snprintf(reason, reasonsz, size == 0 ? "empty file" :
		    "no G-code commands in the file");
		goto reject;
	}
	crash_point("copied");
	EVP_DigestFinal_ex(md, digest, &dlen);
	for (i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	if (fsync(out) < 0) {
		snprintf(reason, reasonsz, "cannot sync the spool file: %s",
		    strerror(errno));
		goto fail;
	}
	close(out);
	out = -1;
	crash_point("synced");
	/* A title is printed by gqueue and shown remotely: no control
	 * bytes (terminal escapes), no broken UTF-8. */
	clean_text(ctitle, sizeof(ctitle), title);
	meta = analyse_json(an, ctitle, 1, "", ANALYSE_JSON_COMPACT);
	id = queue_add(sd, printer, owner, uid, ctitle, size,
	    (long)an->lx.ncmds, hex, meta, opts, drop, tmp);
	if (id < 0)
		snprintf(reason, reasonsz, "cannot add the job to the queue");
	else if (pr != NULL) {
		/* Checked for its printer: not read again at handover
		 * while that printer's checks stay as they are. */
		char fp[20];

		check_fingerprint(pr, fp, sizeof(fp));
		queue_check_put(sd, id, printer, fp, 1, "");
	}
	goto done;
reject:
	id = 0;
	goto done;
fail:
	id = -1;
done:
	if (out >= 0)
		close(out);
	if (id <= 0)
		unlink(tmp);
	if (an != NULL)
		thumbs_finish(&th, an, id);
	zread_free(zr);
	EVP_MD_CTX_free(md);
	free(buf);
	free(tmp);
	free(an);
	free(meta);
	return id;
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
