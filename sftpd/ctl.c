/*
 * ctl.c - spoold, as the account: gsftpd's connection to spoold's
 * control socket, which speaks for the account ("as NAME", allowed to
 * gsftpd's user alone), for the queue, the account's jobs, what spoold
 * keeps for it, a cancel, a pause and a resume.
 *
 * The connection is opened at the first need and kept for the session;
 * a spoold that restarted in between is asked once more on a new one.
 *
 * Security: spoold is trusted, but what it says is checked as another
 * process's: numbers are taken only within range, and a job is the
 * account's only if spoold says it is its own ("own").  A cancel names
 * only a job the account owns.
 *
 * Diagnostics: a spoold that cannot be reached, or that refuses, is
 * logged with the account and the socket or spoold's reason; the
 * requests that needed it fail with an SFTP status that says so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "gsftpd.h"
#include "log.h"
#include "msg.h"
#include "util.h"

int
ctl_open(struct sftp_conn *c)
{
	struct sockaddr_un sun;
	struct msg m;
	int fd;

	if (c->ctl >= 0)
		return c->ctl;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->conf->socket_path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, c->conf->socket_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    msg_send(fd, -1, "as", c->acct->name, (char *)NULL) < 0 ||
	    msg_recv(fd, &m) <= 0 || strcmp(msg_field(&m, 0), "ok") != 0) {
		log_warnx("%s: spoold cannot be reached at %s", c->acct->name,
		    c->conf->socket_path);
		close(fd);
		return -1;
	}
	return c->ctl = fd;
}

/* The queue as the account sees it (history: the ended jobs). */
json_t *
ctl_queue(struct sftp_conn *c, int history)
{
	char why[512];
	json_t *q;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (ctl_open(c) < 0)
			return NULL;
		if ((q = client_queue(c->ctl, "", history, why, sizeof(why))) !=
		    NULL)
			return q;
		if (why[0] != '\0') {
			log_warnx("%s: spoold: %s", c->acct->name, why);
			return NULL;
		}
		close(c->ctl);		/* spoold restarted: once more */
		c->ctl = -1;
	}
	return NULL;
}

/* The account's own job, as in queue.json; NULL if it has none such. */
json_t *
own_job(struct sftp_conn *c, long id)
{
	json_t *q, *j, *found = NULL;
	size_t i;
	int h;

	for (h = 0; h < 2 && found == NULL; h++) {
		if ((q = ctl_queue(c, h)) == NULL)
			return NULL;
		json_array_foreach(json_object_get(q, "jobs"), i, j)
			if (json_integer_value(json_object_get(j, "id")) == id &&
			    json_is_true(json_object_get(j, "own"))) {
				found = json_incref(j);
				break;
			}
		json_decref(q);
	}
	return found;
}

/* The account's jobs not ended, and with ENDED those ended too. */
json_t *
own_jobs(struct sftp_conn *c, int ended)
{
	json_t *all = json_array(), *q, *j;
	size_t i;
	int h;

	for (h = 0; h <= ended; h++) {
		if ((q = ctl_queue(c, h)) == NULL) {
			json_decref(all);
			return NULL;
		}
		json_array_foreach(json_object_get(q, "jobs"), i, j)
			if (json_is_true(json_object_get(j, "own")))
				json_array_append(all, j);
		json_decref(q);
	}
	return all;
}

/* What spoold keeps for the account ("usage", gspool(7)): the files of
 * its jobs, ended ones too until keep_files, and its refused files
 * until keep_rejected.  0 if spoold cannot be reached.  Why spoold
 * refuses the account's files for now (too many refused of late, or
 * its job limit) is left in c->refused, "" if it does not. */
long long
ctl_usage(struct sftp_conn *c)
{
	long long n = 0, v;
	struct msg m;
	int attempt;

	c->refused[0] = '\0';
	for (attempt = 0; attempt < 2; attempt++) {
		if (ctl_open(c) < 0)
			return 0;
		if (msg_send(c->ctl, -1, "usage", (char *)NULL) == 0 &&
		    msg_recv(c->ctl, &m) > 0) {
			if (m.fd >= 0)
				close(m.fd);
			if (strcmp(msg_field(&m, 0), "ok") != 0)
				return 0;
			/* Numbers from another process: in range, or none. */
			v = atoll(msg_field(&m, 2));
			if (v > 0 && v < (1LL << 50))
				n += v;
			v = atoll(msg_field(&m, 4));
			if (v > 0 && v < (1LL << 50))
				n += v;
			snprintf(c->refused, sizeof(c->refused), "%s",
			    msg_field(&m, 6));
			return n;
		}
		close(c->ctl);		/* spoold restarted: once more */
		c->ctl = -1;
	}
	return 0;
}

/* Ask spoold VERB ARG as the account: 0 if it did, or -1 with the
 * client told why not. */
static int
ctl_ask(struct sftp_conn *c, sftp_client_message msg, const char *verb,
    const char *arg)
{
	struct msg m;

	if (ctl_open(c) < 0 || msg_send(c->ctl, -1, verb, arg,
	    (char *)NULL) < 0 || msg_recv(c->ctl, &m) <= 0) {
		reply(msg, SSH_FX_FAILURE, "the spooler cannot be reached");
		return -1;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (strcmp(msg_field(&m, 0), "ok") != 0) {
		reply(msg, SSH_FX_FAILURE, "%s", msg_field(&m, 1));
		return -1;
	}
	return 0;
}

void
ctl_cancel(struct sftp_conn *c, sftp_client_message msg, long id)
{
	char ids[32];
	json_t *j;

	if ((j = own_job(c, id)) == NULL) {
		reply(msg, SSH_FX_NO_SUCH_FILE, "you have no job %ld", id);
		return;
	}
	json_decref(j);
	snprintf(ids, sizeof(ids), "%ld", id);
	if (ctl_ask(c, msg, "cancel", ids) < 0)
		return;
	log_info("%s: canceled job %ld from %s", c->acct->name, id, c->addr);
	sftp_reply_status(msg, SSH_FX_OK, "");
}

/* Pause or resume the account's job: the printer printing it, asked as
 * the account (spoold says whether the account may). */
void
ctl_pause(struct sftp_conn *c, sftp_client_message msg, long id, int pause)
{
	char printer[CONF_NAME_MAX + 1];
	const char *verb = pause ? "pause" : "resume";
	json_t *j;

	if ((j = own_job(c, id)) == NULL) {
		reply(msg, SSH_FX_NO_SUCH_FILE, "you have no job %ld", id);
		return;
	}
	snprintf(printer, sizeof(printer), "%s", json_is_string(
	    json_object_get(j, "printer")) ? json_string_value(
	    json_object_get(j, "printer")) : "");
	if (strcmp(json_is_string(json_object_get(j, "state")) ?
	    json_string_value(json_object_get(j, "state")) : "",
	    "processing") != 0 || printer[0] == '\0') {
		json_decref(j);
		reply(msg, SSH_FX_FAILURE, "job %ld is not printing", id);
		return;
	}
	json_decref(j);
	if (ctl_ask(c, msg, verb, printer) < 0)
		return;
	log_info("%s: %s job %ld on %s from %s", c->acct->name, pause ?
	    "paused" : "resumed", id, printer, c->addr);
	sftp_reply_status(msg, SSH_FX_OK, "");
}
