/*
 * ctl.c - spoold, as the account: gwebd's connections to spoold's
 * control socket.  Each request of a client opens its own connection,
 * which first says "as ACCOUNT" (allowed to gwebd's user alone), so
 * spoold applies the account's rights and visibility to everything
 * after it; whether the account is an administrator is spoold's to
 * decide, from its own configuration.  Anonymous readers, where
 * [web] anonymous names an account, are spoken for as that account,
 * and only for reading (http.c).
 *
 * Security: spoold is trusted, but its words are another process's:
 * a job number is taken only within range, and texts are passed on as
 * JSON strings, never as markup.
 *
 * Diagnostics: a spoold that cannot be reached is logged with the
 * socket; a refusal is returned in why, in spoold's words.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "gwebd.h"
#include "log.h"
#include "msg.h"
#include "util.h"

/* A connection speaking for acct, or -1 with why. */
int
ctl_open(struct web *w, const struct conf_account *acct, char *why,
    size_t whysz)
{
	struct sockaddr_un sun;
	struct msg m;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(w->conf.socket_path) >= sizeof(sun.sun_path)) {
		snprintf(why, whysz, "the control socket's name is too long");
		return -1;
	}
	strcpy(sun.sun_path, w->conf.socket_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("spoold cannot be reached at %s",
		    w->conf.socket_path);
		snprintf(why, whysz, "the spooler cannot be reached");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (msg_send(fd, -1, "as", acct->name, (char *)NULL) < 0 ||
	    msg_recv(fd, &m) <= 0) {
		log_warnx("%s: spoold went away at %s", acct->name,
		    w->conf.socket_path);
		snprintf(why, whysz, "the spooler cannot be reached");
		close(fd);
		return -1;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (strcmp(msg_field(&m, 0), "ok") != 0) {
		log_warnx("%s: spoold refused: %s", acct->name,
		    msg_field(&m, 1));
		snprintf(why, whysz, "%s", msg_field(&m, 1));
		close(fd);
		return -1;
	}
	return fd;
}

/* The queue as the account sees it (how: client_queue()'s), each
 * printer with its "camera" (media_camera()'s word) when it has one,
 * so that the page asks for no frame where none can come. */
json_t *
ctl_queue(struct web *w, const struct conf_account *acct, int how,
    char *why, size_t whysz)
{
	const char *cam, *n;
	json_t *q, *p;
	size_t i;
	int fd;

	if ((fd = ctl_open(w, acct, why, whysz)) < 0)
		return NULL;
	q = client_queue(fd, "", how, why, whysz);
	if (q == NULL && why[0] == '\0')
		snprintf(why, whysz, "the spooler went away");
	close(fd);
	if (q != NULL)
		json_array_foreach(json_object_get(q, "printers"), i, p) {
			if ((n = json_string_value(json_object_get(p,
			    "name"))) == NULL)
				continue;
			if ((cam = media_camera_name(media_camera(
			    conf_printer(&w->conf, n)))) != NULL)
				json_object_set_new(p, "camera",
				    json_string(cam));
		}
	return q;
}

/* One request, its fields after the verb and a NULL: 0 if spoold said
 * ok, with the words of its answer in why ("" for none: send's carry
 * the printer's), else -1 with its words (or why it could not be
 * asked) in why. */
int
ctl_request(struct web *w, const struct conf_account *acct, char *why,
    size_t whysz, const char *verb, ...)
{
	const char *f[8];
	struct msg m;
	va_list ap;
	int fd, n = 0, r;

	va_start(ap, verb);
	while (n < 8 && (f[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	for (r = n; r < 8; r++)
		f[r] = NULL;
	if ((fd = ctl_open(w, acct, why, whysz)) < 0)
		return -1;
	r = msg_send(fd, -1, verb, f[0], f[1], f[2], f[3], f[4], f[5], f[6],
	    f[7], (char *)NULL);
	if (r < 0 || msg_recv(fd, &m) <= 0) {
		snprintf(why, whysz, "the spooler went away");
		close(fd);
		return -1;
	}
	close(fd);
	if (m.fd >= 0)
		close(m.fd);
	snprintf(why, whysz, "%s", msg_field(&m, 1));
	return strcmp(msg_field(&m, 0), "ok") == 0 ? 0 : -1;
}

/* Submit the file open on fd, as gprint does: the same check as every
 * submission.  0 with the job's number and its destination's name, or
 * -1 with spoold's reason (the check's, as gprint shows it). */
int
ctl_submit(struct web *w, const struct conf_account *acct, int fd,
    const char *dest, const char *title, int hold, long *id, char *name,
    size_t namesz, char *why, size_t whysz)
{
	struct msg m;
	int s, r;

	if ((s = ctl_open(w, acct, why, whysz)) < 0)
		return -1;
	r = msg_send(s, fd, "submit", dest, title, "", "", hold ? "1" : "",
	    "", (char *)NULL);
	if (r < 0 || msg_recv(s, &m) <= 0) {
		snprintf(why, whysz, "the spooler went away");
		close(s);
		return -1;
	}
	close(s);
	if (m.fd >= 0)
		close(m.fd);
	if (strcmp(msg_field(&m, 0), "ok") != 0) {
		snprintf(why, whysz, "%s", msg_field(&m, 1));
		return -1;
	}
	if (parse_long(msg_field(&m, 1), 1, 2000000000L, id) < 0) {
		snprintf(why, whysz, "an odd reply from the spooler");
		return -1;
	}
	snprintf(name, namesz, "%s", msg_field(&m, 2));
	return 0;
}

/* A file spoold opens for the account (job-file ID KIND, webcam
 * PRINTER) and passes as a descriptor: it, with its size, or -1 with
 * spoold's words in why.  gwebd never opens a file of the spool. */
int
ctl_file(struct web *w, const struct conf_account *acct, const char *verb,
    const char *arg1, const char *arg2, long long *size, char *why,
    size_t whysz)
{
	struct msg m;
	int s, r;

	if ((s = ctl_open(w, acct, why, whysz)) < 0)
		return -1;
	r = msg_send(s, -1, verb, arg1, arg2, (char *)NULL);
	if (r < 0 || msg_recv(s, &m) <= 0) {
		snprintf(why, whysz, "the spooler went away");
		close(s);
		return -1;
	}
	close(s);
	if (strcmp(msg_field(&m, 0), "ok") != 0 || m.fd < 0 ||
	    parse_llong(msg_field(&m, 1), 0, LLONG_MAX, size) < 0) {
		snprintf(why, whysz, "%s", strcmp(msg_field(&m, 0), "ok") ?
		    msg_field(&m, 1) : "an odd reply from the spooler");
		if (m.fd >= 0)
			close(m.fd);
		return -1;
	}
	return m.fd;
}
