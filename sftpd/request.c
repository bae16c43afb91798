/*
 * request.c - the SFTP requests of a logged-in account, one at a time:
 * the loop that reads them, the switch that hands each to the part of
 * the tree it concerns (sftptree.c for folders and attributes,
 * upload.c for drop/, readonly.c for what may be read, ctl.c for what
 * spoold does, such as a cancel), and the handles they share.
 *
 * Security: every request is built by the client.  A path is parsed
 * into what it names (sftppath.c) before anything is done with it; a
 * handle is a 4-byte index, checked against the table before it is
 * used; a READ answers at most SFTP_MAX_READ bytes whatever it asks
 * for; an offset past what a file offset can hold reads nothing.  An
 * idle client is dropped after idle_timeout, and a request begun must
 * arrive whole within stall_timeout (SIGALRM ends the process,
 * whatever libssh is blocked in).  Requests without a case here
 * (links, folders made, unknown extensions) are refused.
 *
 * Diagnostics: each refusal is an SFTP status with a message that says
 * why, for the client to show; the log has what changed the spool
 * (uploads, renames, cancels), an idle disconnect, and each upload a
 * session left unclosed.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "sftppath.h"
#include "util.h"

struct handle *handles[SFTP_MAX_HANDLES];

/* An SFTP status with a message: why, for the client to show. */
int
reply(sftp_client_message msg, uint32_t status, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sftp_reply_status(msg, status, buf);
}

/* ---- handles ---- */

static ssh_string
handle_new(struct handle *h)
{
	ssh_string s;
	uint32_t i;

	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		if (handles[i] == NULL)
			break;
	if (i == SFTP_MAX_HANDLES || (s = ssh_string_new(sizeof(i))) == NULL)
		return NULL;
	ssh_string_fill(s, &i, sizeof(i));
	handles[i] = h;
	return s;
}

/* The handle a request names, checked: a client's bytes are an index
 * only once they are known to be one. */
struct handle *
handle_get(sftp_client_message msg, uint32_t *slot)
{
	uint32_t i;

	if (msg->handle == NULL || ssh_string_len(msg->handle) != sizeof(i))
		return NULL;
	memcpy(&i, ssh_string_data(msg->handle), sizeof(i));
	if (i >= SFTP_MAX_HANDLES)
		return NULL;
	if (slot)
		*slot = i;
	return handles[i];
}

/* Answer an OPEN or OPENDIR with a new handle for h (freed if none is
 * left). */
void
reply_handle(sftp_client_message msg, struct handle *h)
{
	ssh_string hs;

	if ((hs = handle_new(h)) == NULL) {
		handle_free(h);
		reply(msg, SSH_FX_FAILURE, "too many open handles (at most"
		    " %d)", SFTP_MAX_HANDLES);
		return;
	}
	sftp_reply_handle(msg, hs);
	ssh_string_free(hs);
}

/* Close a handle; an upload not committed is discarded. */
void
handle_free(struct handle *h)
{
	if (h->type == H_UPLOAD) {
		if (h->tmpfd >= 0)
			close(h->tmpfd);
		if (h->tmp[0])
			unlinkat(h->fd, h->tmp, 0);
	}
	if (h->fd >= 0)
		close(h->fd);
	free(h->ents);
	free(h);
}

/* ---- requests ---- */

static void
do_realpath(struct sftp_conn *c, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	const char *why;
	struct sftp_node n;
	uint32_t st;

	if ((st = sftp_path_parse(c->conf, msg->filename, 1, &n, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	fill_attrs(&a, S_IFDIR | 0755, 0, (uint32_t)time(NULL));
	a.flags = 0;
	sftp_reply_name(msg, n.path, &a);
}

static void
do_stat(struct sftp_conn *c, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	const char *why;
	struct entry e;
	struct sftp_node n;
	uint32_t st;

	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0 ||
	    (st = node_stat(c, &n, &e, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	fill_attrs(&a, e.mode, e.size, e.mtime);
	sftp_reply_attr(msg, &a);
}

static void
do_open(struct sftp_conn *c, sftp_client_message msg)
{
	struct handle *h;
	const char *why;
	struct entry e;
	struct sftp_node n;
	uint32_t st;
	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (n.k == N_DROPFILE && (msg->flags & (SSH_FXF_WRITE |
	    SSH_FXF_CREAT | SSH_FXF_TRUNC))) {
		upload_open(c, msg, &n);
		return;
	}
	if (msg->flags & (SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC |
	    SSH_FXF_APPEND)) {
		reply(msg, SSH_FX_PERMISSION_DENIED, "%s is read-only; upload"
		    " into drop/", n.path);
		return;
	}
	if (sftp_kind_is_dir(n.k)) {
		reply(msg, SSH_FX_FAILURE, "%s is a folder", n.path);
		return;
	}
	if ((st = node_stat(c, &n, &e, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (n.k == N_DROPFILE) {
		reply(msg, SSH_FX_PERMISSION_DENIED, "files in drop/ are"
		    " uploads: they are not read back");
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->type = H_READ;
	h->tmpfd = -1;
	if ((h->fd = readonly_open(c, &n)) < 0) {
		handle_free(h);
		reply(msg, SSH_FX_NO_SUCH_FILE, "%s cannot be read", n.path);
		return;
	}
	reply_handle(msg, h);
}

static void
do_read(struct sftp_conn *c, sftp_client_message msg)
{
	static char buf[SFTP_MAX_READ];
	struct handle *h = handle_get(msg, NULL);
	uint32_t len = msg->len;
	ssize_t n;

	(void)c;
	if (h == NULL || h->type != H_READ) {
		reply(msg, SSH_FX_FAILURE, "not a file open for reading");
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (msg->offset > (uint64_t)LLONG_MAX)
		n = 0;
	else
		n = pread(h->fd, buf, len, (off_t)msg->offset);
	if (n < 0)
		reply(msg, SSH_FX_FAILURE, "%s", strerror(errno));
	else if (n == 0)
		reply(msg, SSH_FX_EOF, "end of file");
	else
		sftp_reply_data(msg, buf, (int)n);
}

static void
do_close(struct sftp_conn *c, sftp_client_message msg)
{
	uint32_t slot;
	struct handle *h = handle_get(msg, &slot);

	if (h == NULL) {
		reply(msg, SSH_FX_FAILURE, "not an open handle");
		return;
	}
	handles[slot] = NULL;
	if (h->type != H_UPLOAD) {
		handle_free(h);
		sftp_reply_status(msg, SSH_FX_OK, "");
		return;
	}
	upload_close(c, msg, h);
}

static void
do_fstat(struct sftp_conn *c, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	struct handle *h = handle_get(msg, NULL);
	struct stat st;

	(void)c;
	if (h == NULL) {
		reply(msg, SSH_FX_FAILURE, "not an open handle");
		return;
	}
	if (h->type == H_DIR)
		fill_attrs(&a, S_IFDIR | 0555, 0, (uint32_t)time(NULL));
	else if (h->type == H_UPLOAD)
		fill_attrs(&a, S_IFREG | 0644, (uint64_t)h->size,
		    (uint32_t)time(NULL));
	else if (fstat(h->fd, &st) == 0)
		fill_attrs(&a, S_IFREG | 0444, (uint64_t)st.st_size,
		    (uint32_t)st.st_mtime);
	else {
		reply(msg, SSH_FX_FAILURE, "%s", strerror(errno));
		return;
	}
	sftp_reply_attr(msg, &a);
}

/* Times and modes of an upload mean nothing to the spooler: accepted
 * and ignored; anything else is read-only. */
static void
do_setstat(struct sftp_conn *c, sftp_client_message msg)
{
	struct handle *h;
	const char *why;
	struct sftp_node n;
	struct entry e;
	uint32_t st;

	if (msg->type == SSH_FXP_FSETSTAT) {
		h = handle_get(msg, NULL);
		if (h == NULL)
			reply(msg, SSH_FX_FAILURE, "not an open handle");
		else if (h->type == H_UPLOAD)
			sftp_reply_status(msg, SSH_FX_OK, "");
		else
			reply(msg, SSH_FX_PERMISSION_DENIED, "read-only");
		return;
	}
	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0 ||
	    (st = node_stat(c, &n, &e, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (n.k == N_DROPFILE)
		sftp_reply_status(msg, SSH_FX_OK, "");
	else
		reply(msg, SSH_FX_PERMISSION_DENIED, "%s is read-only", n.path);
}

static void
do_remove(struct sftp_conn *c, sftp_client_message msg)
{
	const char *why;
	struct sftp_node n;
	uint32_t st;

	if ((st = sftp_path_parse(c->conf, msg->filename, 0, &n, &why)) != 0) {
		reply(msg, st, "%s", why);
		return;
	}
	if (n.k == N_JOB) {
		ctl_cancel(c, msg, n.id);
		return;
	}
	if (n.k == N_JOBPAUSED && msg->type == SSH_FXP_RMDIR) {
		ctl_pause(c, msg, n.id, 0);
		return;
	}
	if (msg->type == SSH_FXP_REMOVE && n.k == N_DROPFILE &&
	    sftp_upload_name_ok(n.name)) {
		upload_remove(c, msg, &n);
		return;
	}
	reply(msg, SSH_FX_PERMISSION_DENIED, "%s cannot be removed (remove"
	    " jobs/ID to cancel a job)", n.path);
}

/* Only jobs/ID/paused may be made: it pauses the job. */
static void
do_mkdir(struct sftp_conn *c, sftp_client_message msg)
{
	const char *why;
	struct sftp_node n;

	if (sftp_path_parse(c->conf, msg->filename, 0, &n, &why) == 0 &&
	    n.k == N_JOBPAUSED) {
		ctl_pause(c, msg, n.id, 1);
		return;
	}
	reply(msg, SSH_FX_PERMISSION_DENIED, "folders cannot be made:"
	    " drop/ has one for each printer and class (make jobs/ID/paused"
	    " to pause a job)");
}

static void
do_extended(struct sftp_conn *c, sftp_client_message msg)
{
	const char *sub = msg->submessage ? msg->submessage : "";

	if (strcmp(sub, "posix-rename@openssh.com") == 0)
		upload_rename(c, msg, 1);
	else if (strcmp(sub, "hardlink@openssh.com") == 0)
		reply(msg, SSH_FX_PERMISSION_DENIED, "links are not allowed");
	else
		reply(msg, SSH_FX_OP_UNSUPPORTED, "%.64s is not supported",
		    sub);
}

/* One request. */
static void
request(struct sftp_conn *c, sftp_client_message msg)
{
	/* What may change the queue (an upload closed, a job canceled,
	 * a file renamed) makes the generated files anew. */
	if ((msg->type == SSH_FXP_CLOSE || msg->type == SSH_FXP_REMOVE ||
	    msg->type == SSH_FXP_RMDIR || msg->type == SSH_FXP_RENAME ||
	    msg->type == SSH_FXP_EXTENDED))
		readonly_forget();
	switch (msg->type) {
	case SSH_FXP_REALPATH:
		do_realpath(c, msg);
		break;
	case SSH_FXP_STAT:
	case SSH_FXP_LSTAT:
		do_stat(c, msg);
		break;
	case SSH_FXP_FSTAT:
		do_fstat(c, msg);
		break;
	case SSH_FXP_OPENDIR:
		tree_opendir(c, msg);
		break;
	case SSH_FXP_READDIR:
		tree_readdir(c, msg);
		break;
	case SSH_FXP_OPEN:
		do_open(c, msg);
		break;
	case SSH_FXP_READ:
		do_read(c, msg);
		break;
	case SSH_FXP_WRITE:
		upload_write(c, msg);
		break;
	case SSH_FXP_CLOSE:
		do_close(c, msg);
		break;
	case SSH_FXP_SETSTAT:
	case SSH_FXP_FSETSTAT:
		do_setstat(c, msg);
		break;
	case SSH_FXP_REMOVE:
	case SSH_FXP_RMDIR:
		do_remove(c, msg);
		break;
	case SSH_FXP_RENAME:
		upload_rename(c, msg, 0);
		break;
	case SSH_FXP_MKDIR:
		do_mkdir(c, msg);
		break;
	case SSH_FXP_SYMLINK:
	case SSH_FXP_READLINK:
		reply(msg, SSH_FX_PERMISSION_DENIED, "links are not allowed");
		break;
	case SSH_FXP_EXTENDED:
		do_extended(c, msg);
		break;
	default:
		reply(msg, SSH_FX_OP_UNSUPPORTED, "request %d is not supported",
		    msg->type);
		break;
	}
}

void
sftp_serve(struct sftp_conn *c, ssh_session session, ssh_channel chan)
{
	sftp_client_message msg;
	sftp_session sftp;
	int i, r;

	if ((sftp = sftp_server_new(session, chan)) == NULL ||
	    sftp_server_init(sftp) < 0) {
		log_warnx("%s: SFTP could not start: %s", c->acct->name,
		    ssh_get_error(session));
		if (sftp)
			sftp_server_free(sftp);
		return;
	}
	for (;;) {
		/* Idle: nothing asked for idle_timeout.  Once a request has
		 * begun, it must arrive whole within stall_timeout (the
		 * watchdog: SIGALRM ends the process, whatever libssh is
		 * blocked in). */
		alarm(0);
		r = ssh_channel_poll_timeout(chan, (int)(c->conf->sftp.idle_timeout
		    * 1000), 0);
		if (r == 0) {
			log_info("%s: idle for %lds; disconnecting",
			    c->acct->name, c->conf->sftp.idle_timeout);
			break;
		}
		if (r < 0)
			break;
		alarm((unsigned)c->conf->sftp.stall_timeout);
		if ((msg = sftp_get_client_message(sftp)) == NULL)
			break;
		request(c, msg);
		sftp_client_message_free(msg);
	}
	alarm((unsigned)c->conf->sftp.stall_timeout);
	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		if (handles[i] != NULL) {
			if (handles[i]->type == H_UPLOAD)
				log_info("%s: upload of %s not closed;"
				    " discarded", c->acct->name,
				    handles[i]->name);
			handle_free(handles[i]);
			handles[i] = NULL;
		}
	sftp_server_free(sftp);
}
