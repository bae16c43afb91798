/*
 * backend.c - one backend process per printer: started, attached to,
 * reaped, and heard.
 *
 * spoold starts BACKEND_DIR/SCHEME for each printer, the scheme of its
 * device (serial for a path, tcp, or another kind of printer's), with a
 * SOCK_SEQPACKET socket as its standard input (gspool-backend(7)).  The backend keeps
 * the port open and reports its state; the scheduler (sched.c) hands it
 * a job as an open descriptor of the spool file (backend_print), and
 * this file records what the backend reports: progress, then the job's
 * end state.  What happens to a job is posted as job events (jobev.c)
 * for the filters, the notify command and the waiting clients; a
 * printer that may take a job asks for a dispatch (sched_kick).  So
 * nothing here calls up into the files that use it.
 *
 * A backend that dies is started again after the printer's
 * reconnect_interval (a timer of the printer's); the job it was printing
 * is recorded as stopped, never restarted by itself (a 3D printer cannot
 * print a job twice onto the same bed).
 *
 * Backends outlive spoold.  Each listens on SPOOL/run/PRINTER.sock while
 * it prints; a starting spoold connects there first (backend_attach_all)
 * and follows the job the backend reports in its "hello".  Each backend
 * also writes how a job ended to SPOOL/run/PRINTER.end before it tells
 * spoold, so an end no spoold heard is recorded by the next one
 * (backend_recover); spoold removes the file once it has recorded it.
 *
 * A printer that falls silent mid-print (the backend's status "error"
 * with "not responding: ...") is an event of its job, not-responding,
 * and when it speaks again the job's state is posted again, so that the
 * notify command and the filters hear both.
 *
 * Security: a backend is a program of BACKEND_DIR, but its messages
 * are parsed as any peer's: each checked by proto_parse() for its name
 * and arity, numbers bounded, the job id compared with the printer's.
 * Diagnostics: an unknown or short message is logged with the reason
 * (proto.h's) and ignored.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "gcode.h"
#include "jobstate.h"
#include "log.h"
#include "msg.h"
#include "prompt.h"
#include "proto.h"
#include "spoold.h"
#include "util.h"

static struct spoold *backend_sd;	/* for the loop's callbacks */

/* Backends a reload let go (their printer removed, or moved to another
 * device), still turning their heaters off: stopped at once if a
 * printer wants their port.  Only our children, whose pids stay theirs
 * until reaped (as nobody's); one re-attached to, whose end we would
 * not hear, is not kept. */
#define MAX_LINGER	16
static struct let_go {
	pid_t		 pid;		/* 0: a free slot */
	char		*port;		/* "SCHEME DEVICE" */
} linger[MAX_LINGER];

static char *
port_name(const struct conf_printer *cp)
{
	return xasprintf("%s %s", cp->scheme, cp->device_path);
}

static void
linger_add(pid_t pid, const struct conf_printer *cp)
{
	size_t i;

	for (i = 0; i < MAX_LINGER; i++)
		if (linger[i].pid == 0) {
			linger[i].pid = pid;
			linger[i].port = port_name(cp);
			return;
		}
}

static void
linger_drop(struct let_go *l)
{
	free(l->port);
	memset(l, 0, sizeof(*l));
}

/* The backend let go on printer p's port, stopped: 1 if p is to wait
 * for its reaping (p->pid is its, p->restarting set). */
static int
linger_claim(struct printer *p)
{
	char *port = port_name(p->conf);
	size_t i;
	int wait = 0;

	for (i = 0; i < MAX_LINGER; i++) {
		if (linger[i].pid == 0 || strcmp(linger[i].port, port) != 0)
			continue;
		log_info("%s: stopping backend %ld, let go by a reload, which"
		    " holds %s", p->conf->name, (long)linger[i].pid,
		    p->conf->device_path);
		if (kill(linger[i].pid, SIGTERM) == 0 && !wait) {
			p->pid = linger[i].pid;
			p->restarting = 1;
			wait = 1;
		}
		linger_drop(&linger[i]);
	}
	free(port);
	return wait;
}

static void	printer_message(struct spoold *, struct printer *);
static void	printer_filter(struct spoold *, struct printer *,
		    const struct msg *);

/* A job event of a print, heard by the filters (jobev.c). */
static void
post(struct spoold *sd, struct printer *p, long id, const char *name,
    const char *text)
{
	struct job_event ev = {
		.job = id, .name = name, .reason = text, .printer = p,
		.who = p->conf->name,
	};

	jobev_post(sd, &ev);
}

static void
backend_readable(int fd, int revents, void *arg)
{
	struct printer *p = arg;

	(void)fd;
	(void)revents;
	printer_message(backend_sd, p);
	status_update(backend_sd, p);
}

/* The printer's socket to its backend, in the loop. */
static void
backend_watch(struct printer *p, int sock)
{
	p->sock = sock;
	p->io = ev_io_add(backend_sd->ev, sock, EV_READ, backend_readable, p);
}

static void
backend_unwatch(struct printer *p)
{
	ev_io_del(p->io);
	p->io = NULL;
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
}

static void
backend_retry(struct printer *p)
{
	p->restart_at = monotonic_ms() + p->conf->reconnect_interval * 1000;
	ev_timer_at(p->restart, p->restart_at);
}

static void	backend_start(struct spoold *, struct printer *);

/* The printer's reconnect_interval is over: its backend again, unless
 * the last one has not been reaped yet (its reaping sets the time). */
static void
backend_restart(void *arg)
{
	struct printer *p = arg;

	if (p->pid == 0 && p->sock < 0 && !backend_sd->quitting)
		backend_start(backend_sd, p);
}

void
backend_init(struct spoold *sd)
{
	size_t i;

	backend_sd = sd;
	for (i = 0; i < sd->nprinters; i++)
		sd->printers[i]->restart = ev_timer_new(sd->ev,
		    backend_restart, sd->printers[i]);
}

void
backend_start_all(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		if (sd->printers[i]->sock < 0)
			backend_start(sd, sd->printers[i]);
}

/* A printer a reload adds: its timer, and its backend started. */
void
backend_add(struct spoold *sd, struct printer *p)
{
	p->restart = ev_timer_new(sd->ev, backend_restart, p);
	backend_start(sd, p);
}

/* The backend stopped at once (SIGTERM: it closes the port and exits)
 * for another to open its port; else it is let go as at spoold's exit:
 * the socket closed, it turns the heaters off after heaters_off_after
 * if a job left them on, and exits.  Either way it is reaped as
 * nobody's unless the caller keeps p->pid. */
static void
backend_let_go(struct printer *p, int port_wanted)
{
	pid_t pid = p->pid != 0 ? p->pid : p->attached ? p->backend_pid : 0;

	backend_unwatch(p);
	if (port_wanted && pid > 0 && kill(pid, SIGTERM) < 0)
		log_warn("%s: stopping backend %ld", p->conf->name,
		    (long)pid);
	else if (!port_wanted && p->pid != 0)
		linger_add(p->pid, p->conf);
	p->attached = 0;
}

/* A printer a reload removes, once nothing prints: its backend let go
 * (stopped at once if port_wanted: another printer has its device) and
 * its timer freed.  A client waiting for its gpc send is told. */
void
backend_stop(struct spoold *sd, struct printer *p, int port_wanted)
{
	struct job_event ev = {
		.name = "manual", .ok = 0, .printer = p,
		.reason = "the printer was removed from the configuration",
	};

	jobev_post(sd, &ev);
	backend_let_go(p, port_wanted);
	p->pid = 0;
	p->restarting = 0;
	ev_timer_free(p->restart);
	p->restart = NULL;
}

static int
same_path(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

/* Do two settings of a printer start its backend differently?  The
 * device (with its baud) and every setting backend_start() passes; the
 * rest (scripts, checks, filters, bed) spoold applies itself. */
int
backend_args_differ(const struct conf_printer *a, const struct conf_printer *b)
{
	return strcmp(a->device, b->device) != 0 ||
	    strcmp(a->scheme, b->scheme) != 0 || a->baud != b->baud ||
	    a->reconnect_interval != b->reconnect_interval ||
	    a->handshake_timeout != b->handshake_timeout ||
	    a->window != b->window || a->rx_buffer != b->rx_buffer ||
	    a->ok_timeout != b->ok_timeout ||
	    a->max_timeouts != b->max_timeouts ||
	    a->park_timeout != b->park_timeout ||
	    a->heaters_off_after != b->heaters_off_after ||
	    strcmp(a->on_unknown_command, b->on_unknown_command) != 0 ||
	    strcmp(a->on_firmware_error, b->on_firmware_error) != 0 ||
	    strcmp(a->resend_ok, b->resend_ok) != 0 ||
	    strcmp(a->duet_mode, b->duet_mode) != 0 ||
	    (a->api_key_file == NULL) != (b->api_key_file == NULL) ||
	    (a->api_key_file != NULL &&
	    strcmp(a->api_key_file, b->api_key_file) != 0) ||
	    (a->password_file == NULL) != (b->password_file == NULL) ||
	    (a->password_file != NULL &&
	    strcmp(a->password_file, b->password_file) != 0) ||
	    !same_path(a->ssh_key_file, b->ssh_key_file) ||
	    !same_path(a->known_hosts_file, b->known_hosts_file);
}

static void	send_scripts(struct printer *);

/* A printer with nothing printing has taken new settings (p->conf, in
 * place of old).  Where they start its backend differently, the backend
 * is started anew on them: on the same port, once the old one, stopped
 * at once, has been reaped (it holds the port's lock); on another port
 * at once, the old one let go to turn its printer's heaters off in its
 * own time.  Else the backend is given the new scripts.  A backend not
 * running now is started on the new settings when its time comes.
 * 1 if the backend restarts. */
int
backend_reconfigure(struct spoold *sd, struct printer *p,
    const struct conf_printer *old)
{
	int same_port;

	if (!backend_args_differ(old, p->conf)) {
		if (p->sock >= 0)
			send_scripts(p);
		if (p->state == PRINTER_READY)
			sched_kick(sd);
		return 0;
	}
	if (p->sock < 0)
		return 1;
	same_port = strcmp(old->scheme, p->conf->scheme) == 0 &&
	    strcmp(old->device_path, p->conf->device_path) == 0;
	backend_let_go(p, same_port);
	p->firmware = GCODE_FW_UNKNOWN;	/* learnt again at connect */
	p->state = PRINTER_STARTING;
	snprintf(p->message, sizeof(p->message), "restarting the backend"
	    " on new settings");
	if (same_port && p->pid != 0) {
		p->restarting = 1;	/* started when reaped */
		return 1;
	}
	p->pid = 0;
	backend_start(sd, p);
	return 1;
}

/* The end a backend kept in SPOOL/run/PRINTER.end: 1 if it is job id's,
 * with its state, reason, lines and layer. */
static int
end_file_read(struct spoold *sd, const char *printer, long id, char *state,
    size_t statesz, char *reason, size_t reasonsz, long *lines, long *layer)
{
	char *path = xasprintf("%s/%s.end", sd->dir_run, printer);
	char line[1024], *f[5], *s, *save = NULL;
	FILE *fp;
	long v;
	int n = 0;

	fp = fopen(path, "re");
	free(path);
	if (fp == NULL)
		return 0;
	if (fgets(line, sizeof(line), fp) == NULL) {
		fclose(fp);
		return 0;
	}
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	for (s = line; n < 5; s = NULL) {
		f[n] = strtok_r(s, "\t", &save);
		if (f[n] == NULL)
			break;
		n++;
	}
	if (n < 4 || parse_long(f[0], 1, 2000000000L, &v) < 0 || v != id)
		return 0;
	snprintf(state, statesz, "%s", f[1]);
	snprintf(reason, reasonsz, "%s", n == 5 ? f[4] : "");
	if (parse_long(f[2], 0, 2000000000L, lines) < 0)
		*lines = 0;
	if (parse_long(f[3], 0, 2000000000L, layer) < 0)
		*layer = 0;
	/* pending: a forward cut before the other host took the job, to
	 * be sent again (gspool-sftp(8)). */
	if (!job_state_word_at_rest(state) &&
	    strcmp(state, job_state_name(JOB_PENDING)) != 0)
		snprintf(state, statesz, "%s", job_state_name(JOB_ABORTED));
	return 1;
}

/* The attributes after the end's line (a network backend's: a forward's
 * id and number there), for a spoold that was away when they were
 * told: kept as a backend's "attr" would be (link.* and forward.*). */
static void
end_file_attrs(struct spoold *sd, const char *printer, long id)
{
	char *path = xasprintf("%s/%s.end", sd->dir_run, printer);
	char line[1024], *name, *value;
	FILE *fp;
	int first = 1;

	fp = fopen(path, "re");
	free(path);
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (first) {
			first = 0;
			continue;
		}
		if (strncmp(line, "attr\t", 5) != 0)
			continue;
		name = line + 5;
		if ((value = strchr(name, '\t')) == NULL)
			continue;
		*value++ = '\0';
		if (strncmp(name, "link.", 5) == 0 ||
		    strncmp(name, "forward.", 8) == 0)
			queue_set_attr(sd, id, name, value);
	}
	fclose(fp);
}

static void
end_file_remove(struct spoold *sd, const char *printer)
{
	char *path = xasprintf("%s/%s.end", sd->dir_run, printer);

	unlink(path);
	free(path);
}

static void
send_scripts(struct printer *p)
{
	int i;

	for (i = 0; i < CONF_SCRIPTS; i++)
		if (msg_send(p->sock, -1, proto_name(PROTO_TO_BACKEND,
		    TB_SCRIPT), conf_script_names[i],
		    p->conf->script[i], (char *)NULL) < 0)
			log_warn("%s: cannot give the backend its %s G-code",
			    p->conf->name, conf_script_names[i]);
}

static void
backend_start(struct spoold *sd, struct printer *p)
{
	char *prog, baud[32], retry[32], hs[32], win[32], rx[32], okt[32];
	char maxt[32], parkt[32], heat[32];
	const char *cred, *av[48];
	int sv[2], n;
	pid_t pid;

	/* A backend let go by a reload on this port goes first. */
	if (linger_claim(p))
		return;
	/* The backend of the device's scheme (conf.c): serial for a
	 * path, tcp, or another kind of printer's. */
	prog = xasprintf("%s/%s", sd->conf.backend_dir, p->conf->scheme);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("%s: socketpair", p->conf->name);
		goto retry;
	}
	snprintf(baud, sizeof(baud), "%ld", p->conf->baud);
	snprintf(retry, sizeof(retry), "%ld", p->conf->reconnect_interval);
	snprintf(hs, sizeof(hs), "%ld", p->conf->handshake_timeout);
	snprintf(win, sizeof(win), "%ld", p->conf->window);
	snprintf(rx, sizeof(rx), "%ld", p->conf->rx_buffer);
	snprintf(okt, sizeof(okt), "%ld", p->conf->ok_timeout);
	snprintf(maxt, sizeof(maxt), "%ld", p->conf->max_timeouts);
	snprintf(parkt, sizeof(parkt), "%ld", p->conf->park_timeout);
	snprintf(heat, sizeof(heat), "%ld", p->conf->heaters_off_after);
	switch ((pid = fork())) {
	case -1:
		log_warn("%s: fork", p->conf->name);
		close(sv[0]);
		close(sv[1]);
		goto retry;
	case 0: {
		sigset_t none;

		/* spoold blocks the signals it reads from a signalfd; the
		 * backend must receive them. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], STDIN_FILENO) < 0 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		/* A network printer's key or password file, only when it
		 * has one: -a is not Marlin's backend's (conf.c refuses
		 * it there, and both for one printer). */
		cred = p->conf->api_key_file != NULL ?
		    p->conf->api_key_file : p->conf->password_file;
		n = 0;
		av[n++] = p->conf->scheme;
		av[n++] = "-d";
		av[n++] = sd->dir_run;
		/* An sftp:// printer's key and its host's (conf.c
		 * requires both there, and refuses them elsewhere), and
		 * this spool's identity for its forward ids, and the spool,
		 * where it leaves the other host's webcam frame and
		 * timelapse as this host's own (gspool-sftp(8)). */
		if (p->conf->ssh_key_file != NULL &&
		    p->conf->known_hosts_file != NULL) {
			const char *a[] = { "-r", retry, "-t", hs, "-H", heat,
			    "-a", p->conf->ssh_key_file,
			    "-K", p->conf->known_hosts_file,
			    "-i", sd->spool_id,
			    "-S", sd->conf.spool_dir };

			memcpy(av + n, a, sizeof(a));
			n += sizeof(a) / sizeof(a[0]);
		} else {
			const char *a[] = { "-b", baud, "-r", retry, "-t", hs,
			    "-w", win, "-x", rx, "-o", okt, "-m", maxt,
			    "-p", parkt, "-H", heat,
			    "-u", p->conf->on_unknown_command,
			    "-e", p->conf->on_firmware_error,
			    "-k", p->conf->resend_ok };

			memcpy(av + n, a, sizeof(a));
			n += sizeof(a) / sizeof(a[0]);
			if (cred != NULL) {
				av[n++] = "-a";
				av[n++] = cred;
			}
		}
		/* A Duet's mode where it is not to be found: only the
		 * duet backend takes -M (conf.c refuses it elsewhere). */
		if (strcmp(p->conf->scheme, "duet") == 0 &&
		    strcmp(p->conf->duet_mode, "auto") != 0) {
			av[n++] = "-M";
			av[n++] = p->conf->duet_mode;
		}
		av[n++] = p->conf->name;
		av[n++] = p->conf->device_path;
		av[n] = NULL;
		execv(prog, (char *const *)av);
		fprintf(stderr, "spoold: %s: cannot run %s: %s\n",
		    p->conf->name, prog, strerror(errno));
		_exit(127);
	}
	}
	close(sv[1]);
	p->pid = pid;
	p->backend_pid = pid;
	p->proto = PROTO_VERSION;	/* ours, from BACKEND_DIR */
	p->attached = 0;
	backend_watch(p, sv[0]);
	send_scripts(p);
	p->state = PRINTER_STARTING;
	snprintf(p->message, sizeof(p->message), "starting the backend");
	log_debug("%s: backend %s started, pid %ld", p->conf->name, prog,
	    (long)pid);
	free(prog);
	return;
retry:
	free(prog);
	backend_retry(p);
}

/* The job a printer was printing ends, however it ends.  A completed
 * copy of a job with more to print puts it back in the queue.  The bed
 * now holds what was printed: the printer waits to be cleared. */
static void
printer_job_end(struct spoold *sd, struct printer *p, long id,
    const char *state, const char *reason)
{
	char who[USER_MAX];
	int more = 0;

	if (id == 0 || id != p->job)
		return;
	p->job = 0;
	if (p->lines_done > 0)
		queue_set_progress(sd, id, p->lines_done, p->layer);
	p->lines_done = 0;
	p->layer = 0;
	p->bytes_done = 0;
	p->activity[0] = '\0';
	p->pause_why[0] = '\0';
	p->not_responding = 0;
	/* The person who cancelled it, else the printer. */
	snprintf(who, sizeof(who), "%s", p->asked_by[0] ? p->asked_by :
	    p->conf->name);
	p->asked_by[0] = '\0';
	status_job_end(p);
	status_update(sd, p);
	if (strcmp(state, job_state_name(JOB_COMPLETED)) == 0)
		more = queue_copy_done(sd, id, p->conf->name);
	else
		more = queue_set_state(sd, id, state, reason, who);
	if (more < 0)
		log_warnx("%s: could not record the end (%s)",
		    queue_job_name(sd, id, p->conf->name), state);
	else
		log_info("%s: %s%s%s%s", queue_job_name(sd, id, p->conf->name),
		    state,
		    reason && reason[0] ? ": " : "", reason ? reason : "",
		    more > 0 ? "; another copy to print" : "");
	crash_point("ended");
	post(sd, p, id, "end", more > 0 ? job_state_name(JOB_COMPLETED) :
	    state);
	end_file_remove(sd, p->conf->name);
	if (!p->conf->clears_bed)
		log_info("%s: awaiting-clear: the bed holds job %s; gpc ready"
		    " %s when it is clear", p->conf->name,
		    queue_job_name(sd, id, p->conf->name), p->conf->name);
	/* A reload's change, or removal, waits for this. */
	reload_kick(sd);
}

static void	prompt_clear(struct printer *);

static void
printer_gone(struct spoold *sd, struct printer *p, const char *why)
{
	char state[16], reason[512];
	long lines, layer;

	struct job_event ev = {
		.name = "manual", .ok = 0, .reason = why, .printer = p,
	};

	jobev_post(sd, &ev);		/* gpc send is not answered now */
	prompt_clear(p);		/* no one can answer it now */
	backend_unwatch(p);
	p->attached = 0;
	p->state = PRINTER_ERROR;
	snprintf(p->message, sizeof(p->message), "%s", why);
	if (p->job && end_file_read(sd, p->conf->name, p->job, state,
	    sizeof(state), reason, sizeof(reason), &lines, &layer)) {
		/* It ended, and said so where we look, but not to us. */
		p->lines_done = lines;
		p->layer = layer;
		printer_job_end(sd, p, p->job, state, reason);
	} else if (p->job)
		printer_job_end(sd, p, p->job, job_state_name(JOB_STOPPED),
		    "interrupted: the"
		    " printer's backend exited during the print");
	backend_retry(p);
}

/* A backend whose hello this spoold cannot follow (proto.h says why):
 * logged, and the job it names, if the queue has it printing there,
 * recorded stopped with the reason, since nobody follows it now.  A
 * new backend is started as for one that did not greet us. */
static void
attach_refused(struct spoold *sd, struct printer *p,
    const struct proto_hello *h, const char *why)
{
	struct job_row j;
	char reason[400];

	log_warnx("%s: cannot re-attach to the backend left running: %s;"
	    " starting a new one", p->conf->name, why);
	if (h->job == 0 || queue_get(sd, h->job, &j) <= 0 ||
	    strcmp(j.state, job_state_name(JOB_PROCESSING)) != 0 ||
	    strcmp(j.ran_on[0] ? j.ran_on : j.printer, p->conf->name) != 0)
		return;
	snprintf(reason, sizeof(reason), "not followed since spoold"
	    " restarted: %s", why);
	queue_set_state(sd, h->job, job_state_name(JOB_STOPPED), reason,
	    "spoold");
}

/* A backend left printing by an earlier spoold: connect to it and learn
 * the job it prints from its hello.  1 if attached. */
static int
printer_attach(struct spoold *sd, struct printer *p)
{
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_un sun;
	struct proto_hello h;
	struct job_row j;
	struct msg m;
	char *path = xasprintf("%s/%s.sock", sd->dir_run, p->conf->name);
	char why[256];
	long pid, id;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		free(path);
		return 0;
	}
	strcpy(sun.sun_path, path);
	free(path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return 0;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (msg_recv(fd, &m) <= 0) {
		log_warnx("%s: a backend left running did not greet us;"
		    " starting a new one", p->conf->name);
		close(fd);
		return 0;
	}
	if (m.fd >= 0)
		close(m.fd);
	/* The hello checked by proto.h, its version too: a backend this
	 * spoold cannot follow is named, and why. */
	if (proto_hello_check(&m, &h, why, sizeof(why)) < 0) {
		attach_refused(sd, p, &h, why);
		close(fd);
		return 0;
	}
	pid = h.pid;
	id = h.job;
	if (h.version != PROTO_VERSION)
		log_info("%s: its backend %ld speaks protocol version %ld%s,"
		    " which this spoold understands", p->conf->name, pid,
		    h.version, h.version == 1 ? " (a hello without one)" : "");
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	backend_watch(p, fd);
	p->pid = 0;			/* not our child */
	p->backend_pid = (pid_t)pid;
	p->proto = h.version;
	p->attached = 1;
	p->state = PRINTER_STARTING;
	snprintf(p->message, sizeof(p->message), "re-attached to its"
	    " backend");
	if (id != 0 && queue_get(sd, id, &j) > 0 &&
	    strcmp(j.state, job_state_name(JOB_PROCESSING)) == 0 &&
	    strcmp(j.ran_on[0] ? j.ran_on : j.printer, p->conf->name) == 0) {
		p->job = id;
		p->job_size = j.size;
		p->lines_done = h.lines;
		p->layer = h.layer;
		p->bytes_done = h.bytes;
		snprintf(p->activity, sizeof(p->activity), "%s", h.activity);
		queue_add_event(sd, id, "re-attached", "spoold restarted; the"
		    " print went on", "spoold");
		log_info("%s: re-attached to backend %ld: the print goes"
		    " on at line %ld", queue_job_name(sd, id, p->conf->name),
		    pid, p->lines_done);
	} else if (id != 0) {
		char ids[32];

		log_warnx("%s: its backend prints job %s, which the queue"
		    " does not have printing there; canceling it",
		    p->conf->name, queue_job_name(sd, id, p->conf->name));
		snprintf(ids, sizeof(ids), "%ld", id);
		msg_send(fd, -1, proto_name(PROTO_TO_BACKEND, TB_CANCEL), ids,
		    (char *)NULL);
	} else
		log_info("%s: re-attached to backend %ld", p->conf->name, pid);
	send_scripts(p);
	return 1;
}

void
backend_attach_all(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		printer_attach(sd, sd->printers[i]);
}

/* Jobs an earlier spoold left processing that no backend prints now:
 * their backend kept how they ended, or they were interrupted.  Never
 * started again by themselves: the bed holds a part. */
void
backend_recover(struct spoold *sd)
{
	char state[16], reason[512];
	struct job_row j;
	struct printer *p;
	long ids[64], after = 0, lines, layer;
	size_t k;
	int n, i;

	while ((n = queue_ids(sd, job_state_name(JOB_PROCESSING), after, ids,
	    64)) > 0) {
		for (i = 0; i < n; i++) {
			after = ids[i];
			if (printer_of_job(sd, ids[i]) != NULL ||
			    queue_get(sd, ids[i], &j) <= 0)
				continue;
			p = printer_find(sd, j.ran_on[0] ? j.ran_on :
			    j.printer);
			if (p != NULL && end_file_read(sd, p->conf->name,
			    ids[i], state, sizeof(state), reason,
			    sizeof(reason), &lines, &layer)) {
				queue_set_progress(sd, ids[i], lines, layer);
				end_file_attrs(sd, p->conf->name, ids[i]);
				if (strcmp(state,
				    job_state_name(JOB_COMPLETED)) == 0)
					queue_copy_done(sd, ids[i], "spoold");
				else
					queue_set_state(sd, ids[i], state,
					    reason, "spoold");
				log_info("%s: ended %s while spoold was"
				    " away", queue_job_name(sd, ids[i],
				    p->conf->name), state);
			} else {
				log_warnx("%s was printing when spoold"
				    " stopped, and its backend is gone;"
				    " recorded as stopped", queue_job_name(sd,
				    ids[i], p->conf->name));
				queue_set_state(sd, ids[i],
				    job_state_name(JOB_STOPPED), "interrupted:"
				    " the printer's backend was gone when"
				    " spoold restarted", "spoold");
			}
			if (p != NULL) {
				end_file_remove(sd, p->conf->name);
				dest_job_placed(sd, p, ids[i]);
			}
		}
	}
	/* An end left by a backend that is gone, already recorded. */
	for (k = 0; k < sd->nprinters; k++)
		if (!sd->printers[k]->attached)
			end_file_remove(sd, sd->printers[k]->conf->name);
}

/* The backend's status: a printer silent mid-print is an event of its
 * job (not-responding, with the backend's words), and so is its word
 * again (the job's state, processing).  Rows of the job's history: the
 * notify command and the filters hear them. */
static void
printer_responding(struct spoold *sd, struct printer *p)
{
	if (p->job == 0)
		return;
	if (!p->not_responding && p->state == PRINTER_ERROR &&
	    strncmp(p->message, "not responding", 14) == 0) {
		p->not_responding = 1;
		queue_add_event(sd, p->job, "not-responding", p->message,
		    p->conf->name);
	} else if (p->not_responding && p->state != PRINTER_ERROR) {
		p->not_responding = 0;
		queue_add_event(sd, p->job, job_state_name(JOB_PROCESSING),
		    JOB_ANSWERS_AGAIN,
		    p->conf->name);
	}
}

/* The printer's prompt is answered, ended, or its backend gone. */
static void
prompt_clear(struct printer *p)
{
	free(p->prompt);
	free(p->prompt_buttons);
	p->prompt = p->prompt_buttons = NULL;
}

/*
 * prompt JOB TEXT BUTTONS: the firmware asks the user (a host prompt:
 * M600's "Nozzle Parked", a filament runout), or its prompt is gone
 * (TEXT empty).  Kept with the printer until it ends or is answered;
 * during a job it is the job's event "waiting", with the firmware's
 * words as the reason, which filters and notify hear.  The backend has
 * cleaned the words of control bytes and bounded them.
 */
static void
printer_prompt(struct spoold *sd, struct printer *p, const struct msg *m)
{
	const char *text = msg_field(m, FB_PROMPT_TEXT);
	const char *buttons = msg_field(m, FB_PROMPT_BUTTONS);
	long id = 0;

	if (parse_long(msg_field(m, FB_PROMPT_JOB), 0, 2000000000L,
	    &id) < 0 || id != p->job)
		id = 0;
	if (text[0] == '\0') {
		if (p->prompt != NULL)
			log_info("%s: the printer's prompt is gone: %s",
			    p->conf->name, p->prompt);
		prompt_clear(p);
		return;
	}
	if (p->prompt != NULL && strcmp(p->prompt, text) == 0 &&
	    strcmp(p->prompt_buttons, buttons) == 0)
		return;
	prompt_clear(p);
	p->prompt = xstrdup(text);
	p->prompt_buttons = xstrdup(buttons);
	log_info("%s: the printer waits for the user: %s", p->conf->name,
	    text);
	if (id != 0)
		queue_add_event(sd, id, "waiting", text, p->conf->name);
}

/* status STATE TEXT: the printer's state, and the firmware it names. */
static void
printer_status(struct spoold *sd, struct printer *p, const struct msg *m)
{
	const char *st = msg_field(m, FB_STATUS_STATE);
	const char *text = msg_field(m, FB_STATUS_TEXT);

	if (strcmp(st, "ready") == 0) {
		int fw = gcode_firmware_guess(text);

		/* Jobs are checked for the dialect of the firmware it says
		 * it runs (check.c). */
		if (fw != GCODE_FW_UNKNOWN && fw != p->firmware) {
			log_info("%s: the firmware is %s: jobs are checked for"
			    " its dialect%s", p->conf->name,
			    gcode_firmware_title(fw),
			    p->conf->check.firmware != GCODE_FW_UNKNOWN ?
			    " unless firmware= says otherwise" : "");
			p->firmware = fw;
		}
		if (p->state != PRINTER_READY)
			log_info("%s: the printer is ready%s%s",
			    p->conf->name, p->d.awaiting_clear &&
			    !p->conf->clears_bed && p->job == 0 ?
			    "; its bed waits to be cleared" : "",
			    p->d.enabled ? "" : "; disabled");
		p->state = PRINTER_READY;
	} else if (strcmp(st, "connecting") == 0)
		p->state = PRINTER_CONNECTING;
	else if (strcmp(st, "busy") == 0)
		p->state = PRINTER_BUSY;
	else
		p->state = PRINTER_ERROR;
	snprintf(p->message, sizeof(p->message), "%s", text);
	printer_responding(sd, p);
	if (p->state == PRINTER_READY)
		sched_kick(sd);
}

/* progress ID LINES LAYER BYTES [Z] of the job printing. */
static void
printer_progress(struct spoold *sd, struct printer *p, long id,
    const struct msg *m)
{
	const char *z = msg_field(m, FB_PROGRESS_Z);
	char arg[96];
	long v;

	if (parse_long(msg_field(m, FB_PROGRESS_LINES), 0, 2000000000L,
	    &v) == 0)
		p->lines_done = v;
	if (parse_long(msg_field(m, FB_PROGRESS_BYTES), 0, LONG_MAX,
	    &v) == 0) {
		struct job_event jev = {
			.job = id, .name = proto_filter_name(FEV_PROGRESS),
			.printer = p, .done = v, .size = p->job_size,
		};
		double f;

		p->bytes_done = v;
		/* The filters' per cent is the status model's, by time,
		 * where the job has a timemap. */
		if ((f = status_fraction(sd, p)) >= 0) {
			jev.done = (long long)(f * 10000);
			jev.size = 10000;
		}
		jobev_post(sd, &jev);
	}
	if (parse_long(msg_field(m, FB_PROGRESS_LAYER), 0, 2000000000L,
	    &v) == 0 && v != p->layer) {
		/* Each new layer is recorded: where a job stopped is known
		 * to the layer whatever happens next.  The event's
		 * argument is what follows "layer" in the filter's line. */
		p->layer = v;
		queue_set_progress(sd, id, p->lines_done, p->layer);
		snprintf(arg, sizeof(arg), "%ld z=%s", v, z[0] ? z : "0");
		post(sd, p, id, proto_filter_name(FEV_LAYER), arg);
	}
}

/* end ID STATE REASON: how the job printing ended. */
static void
printer_end(struct spoold *sd, struct printer *p, long id,
    const struct msg *m)
{
	const char *word = msg_field(m, FB_END_STATE);
	const char *reason = msg_field(m, FB_END_REASON);
	enum job_state st;

	if (job_state_parse(word, &st) < 0)
		st = JOB_NSTATES;
	if (st == JOB_PENDING && id == p->job) {
		/* The backend could not start it: try later. */
		p->job = 0;
		queue_set_state(sd, id, job_state_name(JOB_PENDING), reason,
		    p->conf->name);
		reload_kick(sd);
		return;
	}
	if (st == JOB_NSTATES || !job_state_is_at_rest(st)) {
		log_warnx("%s: backend reported unknown state '%s'",
		    queue_job_name(sd, id, p->conf->name), word);
		st = JOB_ABORTED;
	}
	printer_job_end(sd, p, id, job_state_name(st), reason);
	sched_kick(sd);
}

/* filter ID NAME PID in|err, with the pipe: a filter an earlier spoold
 * started, whose pipe its backend kept; posted for the filters to take
 * a copy (filter.c), of a job printing or one that ended meanwhile. */
static void
printer_filter(struct spoold *sd, struct printer *p, const struct msg *m)
{
	struct job_event ev = {
		.name = "filter-pipe", .printer = p, .who = msg_field(m,
		FB_FILTER_WHICH), .reason = msg_field(m, FB_FILTER_NAME),
		.fd = m->fd,
	};

	if (m->fd < 0 || parse_long(msg_field(m, FB_ID), 1, 2000000000L,
	    &ev.job) < 0 || parse_long(msg_field(m, FB_FILTER_PID), 2,
	    2000000000L, &ev.pid) < 0 || (strcmp(ev.who, "in") != 0 &&
	    strcmp(ev.who, "err") != 0)) {
		log_warnx("%s: a filter's pipe from the backend without a"
		    " pipe, a job, a pid or which; ignored", p->conf->name);
		if (m->fd >= 0)
			close(m->fd);
		return;
	}
	jobev_post(sd, &ev);
	close(m->fd);
}

/*
 * attr ID timelapse.video NAME from a remote queue's backend: the other
 * host's timelapse, fetched into the job's folder after the job ended
 * (gspool-sftp(8)), named as the timelapse filter names its own, so
 * that gqueue -l, gwebd and gsftpd show it the same way.  Taken only
 * for a job that ran on this printer, and only a plain name of the
 * job's folder (what job-file would open, control.c).
 */
static void
backend_mirrored_video(struct spoold *sd, struct printer *p, long id,
    const char *name)
{
	struct job_row j;

	if (queue_get(sd, id, &j) <= 0 || (strcmp(j.ran_on,
	    p->conf->name) != 0 && strcmp(j.printer, p->conf->name) != 0)) {
		log_warnx("%s: a timelapse for job %ld, which did not run"
		    " here; ignored", p->conf->name, id);
		return;
	}
	if (!name_is_safe(name, 200) || strstr(name, ".tmp") != NULL) {
		log_warnx("%s: a timelapse named '%s', not a name of the"
		    " job's folder; ignored", queue_job_name(sd, id,
		    p->conf->name), name);
		return;
	}
	queue_set_attr(sd, id, "timelapse.video", name);
}

/* A message from the backend, its name and arity checked by proto.h:
 * one it does not know, or short of an argument, is logged with the
 * reason and ignored. */
static void
printer_message(struct spoold *sd, struct printer *p)
{
	struct msg m;
	char why[256];
	long id;
	int r, fb;

	r = msg_recv(p->sock, &m);
	if (r < 0 && errno == EBADMSG) {
		log_warnx("%s: malformed message from the backend; ignored",
		    p->conf->name);
		return;
	}
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		printer_gone(sd, p, "the backend exited");
		return;
	}
	fb = proto_parse(PROTO_FROM_BACKEND, &m, why, sizeof(why));
	if (fb == FB_FILTER) {
		/* A filter's pipe, handed back (the filters take a copy). */
		printer_filter(sd, p, &m);
		return;
	}
	if (m.fd >= 0)
		close(m.fd);
	if (fb < 0) {
		log_warnx("%s: %s; ignored", p->conf->name, why);
		return;
	}
	switch (fb) {
	case FB_STATUS:
		printer_status(sd, p, &m);
		return;
	case FB_TEMPS:
		snprintf(p->temps, sizeof(p->temps), "%s",
		    msg_field(&m, FB_TEMPS_REPORT));
		status_temps(sd, p, p->temps);
		return;
	case FB_HEATERS:
		log_info("%s: the heaters are %s: %s", p->conf->name,
		    msg_field(&m, FB_HEATERS_HOW),
		    msg_field(&m, FB_HEATERS_WHY));
		return;
	case FB_MANUAL: {
		struct job_event ev = {
			.name = "manual", .printer = p,
			.ok = strcmp(msg_field(&m, FB_MANUAL_HOW), "done") == 0,
			.reason = msg_field(&m, FB_MANUAL_TEXT),
		};

		jobev_post(sd, &ev);
		return;
	}
	case FB_PROMPT:
		printer_prompt(sd, p, &m);
		return;
	case FB_HELLO:
		/* Only the first message of a backend re-attached to. */
		log_warnx("%s: a hello from the backend mid-conversation;"
		    " ignored", p->conf->name);
		return;
	default:
		break;
	}
	/* The rest are about a job: ID first. */
	if (parse_long(msg_field(&m, FB_ID), 1, 2000000000L, &id) < 0) {
		log_warnx("%s: %s: the job id '%s' is not a number; ignored",
		    p->conf->name, proto_name(PROTO_FROM_BACKEND, fb),
		    msg_field(&m, FB_ID));
		return;
	}
	if (fb == FB_END) {
		printer_end(sd, p, id, &m);
		return;
	}
	if (fb == FB_ATTR && strcmp(msg_field(&m, FB_ATTR_NAME),
	    "timelapse.video") == 0) {
		backend_mirrored_video(sd, p, id, msg_field(&m,
		    FB_ATTR_VALUE));
		return;
	}
	if (id != p->job)
		return;		/* of a job no longer followed */
	switch (fb) {
	case FB_KEPT: {
		/* The backend holds the filter's events: the layers and
		 * parks it writes them from now on (filter.c). */
		struct job_event ev = {
			.job = id, .name = "filter-kept", .printer = p,
			.who = p->conf->name, .fd = -1,
			.reason = msg_field(&m, FB_FILTER_NAME),
		};

		if (parse_long(msg_field(&m, FB_FILTER_PID), 2, 2000000000L,
		    &ev.pid) == 0)
			jobev_post(sd, &ev);
		return;
	}
	case FB_PARK:
		/* Parked at a layer change: the filters take their frame
		 * and say UNPARK (the backend unparks by itself after
		 * park_timeout). */
		post(sd, p, id, proto_filter_name(FEV_PARKED),
		    msg_field(&m, FB_PARK_LAYER));
		return;
	case FB_PROGRESS:
		printer_progress(sd, p, id, &m);
		return;
	case FB_COMPLAINT:
		/* The firmware complained of a command of the job: an event
		 * of the job, counted, and heard by filters and notify. */
		queue_set_attr(sd, id, "printer.complaints",
		    msg_field(&m, FB_COMPLAINT_COUNT));
		queue_set_attr(sd, id, "printer.complaint",
		    msg_field(&m, FB_COMPLAINT_TEXT));
		queue_add_event(sd, id, "complaint",
		    msg_field(&m, FB_COMPLAINT_TEXT), p->conf->name);
		return;
	case FB_ATTR:
		/* The link's figures (link.resends, link.faults, ...): kept
		 * with the job, shown by gqueue -l. */
		if (strncmp(msg_field(&m, FB_ATTR_NAME), "link.", 5) == 0 ||
		    strncmp(msg_field(&m, FB_ATTR_NAME), "forward.", 8) == 0)
			queue_set_attr(sd, id, msg_field(&m, FB_ATTR_NAME),
			    msg_field(&m, FB_ATTR_VALUE));
		return;
	case FB_JOB:
		/* printing, pausing, paused, canceling: the job's activity,
		 * which its state (processing) does not show. */
		snprintf(p->activity, sizeof(p->activity), "%s",
		    msg_field(&m, FB_JOB_ACTIVITY));
		/* Why it pauses, for the status (the "paused" that follows
		 * comes without it, as the reason was pausing's). */
		if (strcmp(p->activity, "pausing") == 0 ||
		    (strcmp(p->activity, "paused") == 0 &&
		    *msg_field(&m, FB_JOB_REASON) != '\0'))
			snprintf(p->pause_why, sizeof(p->pause_why), "%s",
			    msg_field(&m, FB_JOB_REASON));
		else if (strcmp(p->activity, "paused") != 0)
			p->pause_why[0] = '\0';
		/* Who: the person whose request this is, until it is
		 * done (paused, printing again); else the printer. */
		queue_add_event(sd, id, p->activity,
		    msg_field(&m, FB_JOB_REASON), p->asked_by[0] ?
		    p->asked_by : p->conf->name);
		if (strcmp(p->activity, "paused") == 0 ||
		    strcmp(p->activity, "printing") == 0)
			p->asked_by[0] = '\0';
		return;
	}
}

void
backend_reaped(struct spoold *sd, pid_t pid, int status)
{
	char why[128];
	size_t i;

	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = sd->printers[i];

		if (p->pid != pid)
			continue;
		p->pid = 0;
		if (p->restarting) {
			/* Stopped for new settings, or for this printer to
			 * have its port: its own started now. */
			p->restarting = 0;
			log_info("%s: backend %ld has stopped; starting a new"
			    " one", p->conf->name, (long)pid);
			backend_start(sd, p);
			return;
		}
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "the backend was killed by"
			    " signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "the backend exited with"
			    " status %d", WEXITSTATUS(status));
		log_warnx("%s: %s", p->conf->name, why);
		printer_gone(sd, p, why);
		status_update(sd, p);
		return;
	}
	for (i = 0; i < MAX_LINGER; i++)
		if (linger[i].pid == pid)
			linger_drop(&linger[i]);
}

/* Hand job id to printer p's backend, with its file open on fd (the
 * caller's, still to close) and between ("between" to run between_jobs
 * first, or "").  0, or -1 if the backend could not be told. */
int
backend_print(struct spoold *sd, struct printer *p, long id, int fd,
    const char *between)
{
	struct job_row j;
	char ids[32], prio[16], copies[16], hold[32];
	int have, rv;

	snprintf(ids, sizeof(ids), "%ld", id);
	have = queue_get(sd, id, &j) > 0;
	if (have && p->proto >= 8) {
		/* Its options, for a backend that hands the job on. */
		snprintf(prio, sizeof(prio), "%d", j.priority);
		snprintf(copies, sizeof(copies), "%d", j.copies >
		    j.copies_done ? j.copies - j.copies_done : 1);
		snprintf(hold, sizeof(hold), "%lld", j.hold_until);
		rv = msg_send(p->sock, fd, proto_name(PROTO_TO_BACKEND,
		    TB_PRINT), ids, between, "", "", j.title, prio, copies,
		    hold, (char *)NULL);
	} else
		rv = msg_send(p->sock, fd, proto_name(PROTO_TO_BACKEND,
		    TB_PRINT), ids, between, (char *)NULL);
	if (rv < 0) {
		log_warn("%s: cannot hand the job to the backend",
		    queue_job_name(sd, id, p->conf->name));
		return -1;
	}
	p->job = id;
	p->lines_done = 0;
	p->layer = 0;
	p->bytes_done = 0;
	p->not_responding = 0;
	p->asked_by[0] = '\0';
	p->job_size = have ? j.size : 0;
	log_info("%s: sent to the printer%s", queue_job_name(sd, id,
	    p->conf->name),
	    between[0] ? " after its between_jobs G-code" : "");
	status_update(sd, p);
	post(sd, p, id, "start", "");
	return 0;
}

/* gpc resume-from: a stopped job starts again at a layer, on the
 * printer it stopped on, over the part it left there (so the bed is not
 * waited on).  0, or -1 with why. */
int
printer_resume_from(struct spoold *sd, const struct job_row *j, long layer,
    const char *who, char *why, size_t whysz)
{
	const char *name = j->ran_on[0] ? j->ran_on : j->printer;
	struct printer *p = printer_find(sd, name);
	char ids[32], ls[32], lines[32], *path, reason[64];
	int fd;

	if (strcmp(j->state, job_state_name(JOB_STOPPED)) != 0) {
		snprintf(why, whysz, "%s is %s; only a stopped job can be"
		    " resumed from a layer", queue_job_name(sd, j->id,
		    j->printer), j->state);
		return -1;
	}
	if (p == NULL) {
		snprintf(why, whysz, "%s never reached a printer",
		    queue_job_name(sd, j->id, j->printer));
		return -1;
	}
	if (p->state != PRINTER_READY || p->job != 0 || p->sock < 0) {
		snprintf(why, whysz, "%s is not ready for it (%s%s%s)", name,
		    p->job ? "printing" : printer_state_name(p->state),
		    p->message[0] && !p->job ? ": " : "", p->job ? "" :
		    p->message);
		return -1;
	}
	path = queue_job_path(sd, j->id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0) {
		snprintf(why, whysz, "%s: its file is no longer kept",
		    queue_job_name(sd, j->id, j->printer));
		return -1;
	}
	snprintf(reason, sizeof(reason), "resumed from layer %ld", layer);
	if (queue_set_state(sd, j->id, job_state_name(JOB_PROCESSING), reason,
	    who) < 0) {
		close(fd);
		snprintf(why, whysz, "%s: cannot record it", queue_job_name(sd,
		    j->id, j->printer));
		return -1;
	}
	snprintf(ids, sizeof(ids), "%ld", j->id);
	snprintf(ls, sizeof(ls), "%ld", layer);
	snprintf(lines, sizeof(lines), "%ld", j->lines_done);
	if (msg_send(p->sock, fd, proto_name(PROTO_TO_BACKEND, TB_PRINT), ids,
	    "resume", ls, lines, (char *)NULL) < 0) {
		close(fd);
		queue_set_state(sd, j->id, job_state_name(JOB_STOPPED),
		    "interrupted: the"
		    " backend could not be reached to resume", "spoold");
		snprintf(why, whysz, "%s: cannot reach its backend", name);
		return -1;
	}
	close(fd);
	p->job = j->id;
	p->lines_done = j->lines_done;
	p->layer = layer - 1;
	p->bytes_done = 0;
	snprintf(p->activity, sizeof(p->activity), "printing");
	dest_job_placed(sd, p, j->id);	/* the part stays on the bed */
	log_info("%s: resumed from layer %ld by %s", queue_job_name(sd, j->id,
	    name), layer,
	    who);
	p->job_size = j->size;
	post(sd, p, j->id, "start", "");
	return 0;
}

/* A filter has its frame: the printer parked for it goes on. */
void
printer_unpark(struct spoold *sd, long id)
{
	struct printer *p = printer_of_job(sd, id);
	char ids[32];

	if (p == NULL || p->sock < 0)
		return;
	snprintf(ids, sizeof(ids), "%ld", id);
	msg_send(p->sock, -1, proto_name(PROTO_TO_BACKEND, TB_UNPARK), ids,
	    (char *)NULL);
}

/*
 * A filter of job id, which printer p prints, just started: its backend
 * keeps a copy of one of its pipes (which: "in", its events, or "err",
 * its words), so that it outlives this spoold as the print does
 * (gspool-backend(7)).  fd stays the caller's.  0 if sent, -1 if the
 * backend cannot take it (an older protocol, or not reached): spoold
 * alone then holds the filter's pipes, as before version 4.
 */
int
backend_keep_filter(struct spoold *sd, struct printer *p, long id,
    const char *name, pid_t pid, const char *which, int fd)
{
	char ids[32], pids[32];

	(void)sd;
	if (p->sock < 0 || p->proto < 4 || p->job != id)
		return -1;
	snprintf(ids, sizeof(ids), "%ld", id);
	snprintf(pids, sizeof(pids), "%ld", (long)pid);
	if (msg_send(p->sock, fd, proto_name(PROTO_TO_BACKEND, TB_FILTER), ids,
	    name, pids, which, (char *)NULL) < 0) {
		log_warn("%s: cannot give filter %s's pipe to the backend",
		    queue_job_name(sd, id, p->conf->name), name);
		return -1;
	}
	return 0;
}

int
printer_cancel(struct spoold *sd, long id, const char *who)
{
	struct printer *p = printer_of_job(sd, id);
	char ids[32];

	if (p == NULL)
		return 0;
	snprintf(p->asked_by, sizeof(p->asked_by), "%s", who);
	snprintf(ids, sizeof(ids), "%ld", id);
	if (p->sock >= 0 &&
	    msg_send(p->sock, -1, proto_name(PROTO_TO_BACKEND, TB_CANCEL), ids,
	    (char *)NULL) == 0)
		return 1;	/* the backend reports the end */
	printer_job_end(sd, p, id, job_state_name(JOB_CANCELED),
	    "canceled by request");
	return 1;
}

/* Pass a request about the job a printer is printing to its backend:
 * "pause", "resume" or "estop", asked by who (a user, an account), whom
 * the job's events it causes name.  -1 with a reason when it cannot
 * go. */
int
printer_request(struct spoold *sd, struct printer *p, const char *verb,
    const char *who, char *why, size_t whysz)
{
	char ids[32];
	int tb = proto_lookup(PROTO_TO_BACKEND, verb);

	(void)sd;
	if (tb != TB_PAUSE && tb != TB_RESUME && tb != TB_ESTOP) {
		snprintf(why, whysz, "%s: '%s' is not for a printer's backend",
		    p->conf->name, verb);
		return -1;
	}
	if (p->sock < 0) {
		snprintf(why, whysz, "%s: the printer's backend is not"
		    " running", p->conf->name);
		return -1;
	}
	if (tb != TB_ESTOP && p->job == 0) {
		snprintf(why, whysz, "%s: no job is printing", p->conf->name);
		return -1;
	}
	if (tb == TB_PAUSE && strcmp(p->activity, "printing") &&
	    p->activity[0] != '\0') {
		snprintf(why, whysz, "%s is %s", queue_job_name(sd, p->job,
		    p->conf->name),
		    p->activity);
		return -1;
	}
	/* A job pausing is shown paused (gqueue(1)): its backend resumes
	 * it once the pause is done. */
	if (tb == TB_RESUME && strcmp(p->activity, "paused") &&
	    strcmp(p->activity, "pausing")) {
		snprintf(why, whysz, "%s is not paused", queue_job_name(sd,
		    p->job, p->conf->name));
		return -1;
	}
	snprintf(ids, sizeof(ids), "%ld", p->job);
	snprintf(p->asked_by, sizeof(p->asked_by), "%s", who);
	if (msg_send(p->sock, -1, proto_name(PROTO_TO_BACKEND, tb), ids,
	    (char *)NULL) < 0) {
		p->asked_by[0] = '\0';
		snprintf(why, whysz, "%s: cannot reach the printer's backend:"
		    " %s", p->conf->name, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * What the backend of p does with button k's answer, in words for the
 * log and gpc: a firmware on a line is sent M876 S<k>; Klipper takes no
 * M876, and is sent the button's own G-code, on its serial port or
 * through Moonraker (gspool-moonraker(8)); a Duet board's message box
 * is closed by M292 (gspool-duet(8)), through the board's interface or
 * its computer's as duet_mode says (auto: whichever the backend found);
 * OctoPrint's prompt plugin is sent the choice, and sends the firmware
 * its M876 (gspool-octoprint(8)).
 */
static void
answer_means(const struct printer *p, int k, char *buf, size_t sz)
{
	if (strcmp(p->conf->scheme, "moonraker") == 0 ||
	    strcmp(p->conf->scheme, "moonrakers") == 0)
		snprintf(buf, sz, "button %d's G-code, through Moonraker's"
		    " /printer/gcode/script", k);
	else if (strcmp(p->conf->scheme, "duet") == 0)
		snprintf(buf, sz, "button %d's M292 for the message box,"
		    " through %s", k, strcmp(p->conf->duet_mode, "sbc") == 0 ?
		    "/machine/code" : strcmp(p->conf->duet_mode,
		    "standalone") == 0 ? "rr_gcode" : "rr_gcode, or"
		    " /machine/code in SBC mode");
	else if (strcmp(p->conf->scheme, "octoprint") == 0 ||
	    strcmp(p->conf->scheme, "octoprints") == 0)
		snprintf(buf, sz, "choice %d, through OctoPrint's"
		    " action_command_prompt, which sends M876 S%d", k, k);
	else if (p->firmware == GCODE_FW_KLIPPER)
		snprintf(buf, sz, "button %d's G-code, as Klipper takes no"
		    " M876", k);
	else
		snprintf(buf, sz, "M876 S%d", k);
}

/*
 * gpc answer: the choice (a button's index or its text) of the prompt
 * the printer shows goes to its backend, which sends M876 S<index>
 * (or, for Moonraker, runs the button's G-code).  The prompt is cleared
 * here at once: a second answer finds none.  The button's index, with
 * what is done in how, or -1 with why saying what is wrong.
 */
int
printer_answer(struct spoold *sd, struct printer *p, const char *choice,
    const char *who, char *how, size_t howsz, char *why, size_t whysz)
{
	char idx[16], bad[400];
	int k;

	(void)sd;
	if (p->prompt == NULL) {
		/* PrusaLink shows the printer's dialogs to no one but the
		 * printer's screen (gspool-prusalink(8)). */
		if (strncmp(p->conf->scheme, "prusalink", 9) == 0)
			snprintf(why, whysz, "%s: no prompt waits for an"
			    " answer (PrusaLink carries none of the printer's"
			    " dialogs: answer them at the printer)",
			    p->conf->name);
		else
			snprintf(why, whysz, "%s: no prompt waits for an"
			    " answer", p->conf->name);
		return -1;
	}
	if ((k = prompt_choice_of(p->prompt_buttons, choice, bad,
	    sizeof(bad))) < 0) {
		snprintf(why, whysz, "%s: %s: %s", p->conf->name, p->prompt,
		    bad);
		return -1;
	}
	if (p->sock < 0) {
		snprintf(why, whysz, "%s: the printer's backend is not"
		    " running", p->conf->name);
		return -1;
	}
	if (p->proto < 4) {
		snprintf(why, whysz, "%s: its backend speaks protocol version"
		    " %ld, which cannot answer a prompt", p->conf->name,
		    p->proto);
		return -1;
	}
	snprintf(idx, sizeof(idx), "%d", k);
	if (msg_send(p->sock, -1, proto_name(PROTO_TO_BACKEND, TB_ANSWER),
	    idx, (char *)NULL) < 0) {
		snprintf(why, whysz, "%s: cannot reach the printer's backend:"
		    " %s", p->conf->name, strerror(errno));
		return -1;
	}
	answer_means(p, k, how, howsz);
	log_info("%s: %s answers '%s' with %d (%s)", p->conf->name, who,
	    p->prompt, k, how);
	prompt_clear(p);
	return k;
}

void
backend_close_all(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < MAX_LINGER; i++)
		if (linger[i].pid != 0)
			linger_drop(&linger[i]);

	/* Closing the socket tells a backend to finish its job and exit;
	 * a print in progress is never stopped by spoold going away. */
	for (i = 0; i < sd->nprinters; i++) {
		backend_unwatch(sd->printers[i]);
		ev_timer_free(sd->printers[i]->restart);
		sd->printers[i]->restart = NULL;
		prompt_clear(sd->printers[i]);
	}
}
