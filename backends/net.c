/*
 * net.c - the core of a network backend (gspool-backend(7), "A network
 * backend"): gspool-backend(7)'s spoold side, the same for every host
 * that prints from its own storage (Moonraker, OctoPrint, PrusaLink,
 * Duet), with the host's API in a driver (net.h).
 *
 * spoold has checked the job for this printer before it comes here.
 * The core scans the file once (netfile.c: checksums and the line
 * index), has the driver upload it under gspool-PRINTER-ID.gcode and
 * start it, and then asks the driver to poll the host every poll_ms.
 * The driver reports what the host says (the printer's state, the
 * print's, the file position or fraction, the layer, temperatures) and
 * the core turns it into spoold's messages: the job's activity and
 * progress (in the job's lines, from the host's file position), its
 * end, the printer's status.  Pause, resume and cancel are the
 * driver's; the emergency stop, G-code lines and turning the heaters
 * off are too where the host offers them.
 *
 * A driver may take ACCOUNT@HOST in the device and an SSH key and
 * known_hosts file (-a, -K) that it reads itself (the sftp:// driver,
 * a queue on another gspool host), be given the spool (-S) to mirror
 * the host's webcam frame and timelapse into, record attributes of a
 * job (of one over, too: net_attr()), write
 * the end file ahead of the end ("pending": hand the job again if this
 * backend dies), report the job waiting on the host however long, and
 * the printer busy with what gspool did not send.
 *
 * An unreachable host is the printer offline (status error), never the
 * job failing: a job being followed is followed again once the host
 * answers, a job handed while it is away goes back pending.  It is
 * tried again after -r seconds, doubling to NET_BACKOFF_MAX.  A 409
 * answer to an upload or a start is the host busy: the job goes back
 * pending with the host's words.  A print the host runs that gspool did
 * not start shows the printer busy.  When spoold goes, the print goes
 * on and the backend listens on RUNDIR/PRINTER.sock for the next one
 * (the same socket, hello and end file as the serial backend's, ctl.c).
 *
 * Security: the host's answers are parsed in http.c and the driver, and
 * only fields looked up by name and type are used; the text sent to
 * spoold from them is cleaned of control characters and bounded.
 * spoold's messages are checked by proto_parse(); the job comes as a
 * descriptor.  The device may not carry credentials (user@host is
 * refused): they come from -a, a file only this user can read.  The
 * re-attach socket is mode 0600 and accepts only this uid
 * (SO_PEERCRED).
 *
 * Diagnostics: each line names the printer (and the job), the request
 * and the host's or curl's reason; a change of state is logged once.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "msg.h"
#include "prompt.h"
#include "proto.h"
#include "util.h"
#include "filters.h"
#include "net.h"

enum act { ACT_PRINTING, ACT_PAUSING, ACT_PAUSED, ACT_CANCELING };
static const char *const act_names[] = { "printing", "pausing", "paused",
	"canceling" };

struct njob {
	long		 id;		/* 0: none */
	char		 name[160];	/* its name on the host */
	char		 ref[160];	/* the driver's */
	struct net_file	 f;
	struct net_job_opts opts;
	enum act	 act;
	int		 resume_asked;	/* while pausing: once paused */
	long long	 pause_asked;	/* monotonic ms of our pause, 0 none */
	int		 seen;		/* the host was seen printing it */
	int		 waits;		/* polls before it was */
	long		 lines;
	unsigned long	 layer;
	long long	 bytes;
	long long	 told_at;
	long		 told_lines;
	unsigned long	 told_layer;
	unsigned long	 logged_layer;
	unsigned long	 filters_layer;	/* told the filters we keep */
	int		 host_layers;	/* the host says the layer itself */
	/* Its attributes told (net_job_attr), told again to a spoold that
	 * re-attaches: one that died before it heard them (the sftp://
	 * driver's forward.id) would keep the job without them. */
	struct {
		char	 name[32];
		char	 value[96];
	}		 attr[NET_ATTRS];
	int		 nattr;
};

/* What one poll reported (net_report_*). */
struct report {
	int		 printer_set;
	enum net_printer printer;
	char		 ptext[480];
	int		 run_set;
	enum net_run	 run;
	int		 file_known;
	char		 file[256];
	char		 why[480];
	long long	 pos;
	double		 fraction;
	int		 layer_set;
	unsigned long	 layer;
	int		 temps_set;
	double		 temps[4];
};

struct net {
	const struct net_driver *d;
	const char	*printer;
	const char	*keyfile;
	const char	*known_hosts;
	const char	*spool_id;	/* -i: spoold's identity, or NULL */
	int		 mode;		/* -M, in d->modes */
	const char	*spool_dir;	/* -S, or NULL */
	char		 account[NET_SECRET_MAX];
	const char	*rundir;
	struct net_host	 host;
	int		 ctl;
	int		 listen_fd;
	char		*sock_path, *end_path;
	long		 retry_ms, backoff_ms, poll_ms;
	long long	 poll_at;
	long		 heaters_ms;
	long long	 heaters_at;
	char		*between;
	char		 state[32], text[480];
	char		 temps[256];
	long long	 temps_at;
	char		 prompt[PROMPT_TEXT];	/* told spoold; "" none */
	char		 prompt_buttons[PROMPT_BUTTONS * PROMPT_BUTTON];
	struct report	 rep;
	struct njob	 job;
	struct filters	 filters;	/* the job's filters' pipes */
};

static struct net N;
static volatile sig_atomic_t term;

struct net_host *
net_host(void)
{
	return &N.host;
}

const char *
net_printer(void)
{
	return N.printer;
}

const char *
net_hostname(void)
{
	return N.host.hostname;
}

void *
net_priv(void)
{
	return N.d->priv;
}

long
net_job_id(void)
{
	return N.job.id;
}

const char *
net_job_name(void)
{
	return N.job.name;
}

const struct net_job_opts *
net_job_opts(void)
{
	return &N.job.opts;
}

const char *
net_job_ref(void)
{
	return N.job.ref;
}

void
net_job_ref_set(const char *ref)
{
	snprintf(N.job.ref, sizeof(N.job.ref), "%s", ref ? ref : "");
}

struct net_file *
net_job_file(void)
{
	return N.job.id != 0 ? &N.job.f : NULL;
}

const char *
net_account(void)
{
	return N.account;
}

const char *
net_spool_id(void)
{
	return N.spool_id;
}

const char *
net_keyfile(void)
{
	return N.keyfile;
}

const char *
net_known_hosts(void)
{
	return N.known_hosts;
}

int
net_mode(void)
{
	return N.mode;
}

const char *
net_spool_dir(void)
{
	return N.spool_dir;
}

int
net_spoold_here(void)
{
	return N.ctl >= 0;
}

static void
tell(const char *a, const char *b, const char *c, const char *d)
{
	if (N.ctl < 0)
		return;
	if (msg_send(N.ctl, -1, a, b, c, d, (char *)NULL) < 0 &&
	    errno != EAGAIN) {
		log_warn("%s: spoold went away", N.printer);
		close(N.ctl);
		N.ctl = -1;
	}
}

void
net_job_attr(const char *name, const char *value)
{
	char id[32];
	int i;

	if (N.job.id == 0)
		return;
	for (i = 0; i < N.job.nattr; i++)
		if (strcmp(N.job.attr[i].name, name) == 0)
			break;
	if (i == N.job.nattr && N.job.nattr < NET_ATTRS)
		N.job.nattr++;
	if (i < N.job.nattr) {
		snprintf(N.job.attr[i].name, sizeof(N.job.attr[i].name), "%s",
		    name);
		snprintf(N.job.attr[i].value, sizeof(N.job.attr[i].value),
		    "%s", value);
	} else
		log_warnx("%s-%ld: more than %d attributes of the job; %s is"
		    " not told again to a spoold that re-attaches", N.printer,
		    N.job.id, NET_ATTRS, name);
	snprintf(id, sizeof(id), "%ld", N.job.id);
	tell("attr", id, name, value);
}

void
net_attr(long job, const char *name, const char *value)
{
	char id[32];

	snprintf(id, sizeof(id), "%ld", job);
	tell("attr", id, name, value);
}

static void
status(const char *state, const char *text)
{
	if (strcmp(N.state, state) == 0 && strcmp(N.text, text) == 0)
		return;
	snprintf(N.state, sizeof(N.state), "%s", state);
	snprintf(N.text, sizeof(N.text), "%s", text);
	if (strcmp(state, "error") == 0)
		log_warnx("%s: %s", N.printer, text);
	else
		log_info("%s: %s %s", N.printer, state, text);
	tell("status", state, text, NULL);
}

static void job_request(int (*)(struct net_reply *), const char *,
    enum act, const char *);

static void
activity(enum act a, const char *why)
{
	char id[32];

	if (N.job.act == a)
		return;
	N.job.act = a;
	snprintf(id, sizeof(id), "%ld", N.job.id);
	log_info("%s-%ld: %s%s%s", N.printer, N.job.id, act_names[a],
	    why[0] ? ": " : "", why);
	tell("job", id, act_names[a], why);
}

static void
progress(int force)
{
	char id[32], lines[32], layer[32], bytes[32];
	long long now = monotonic_ms();

	if (N.job.layer != 0 && N.job.layer != N.job.filters_layer) {
		/* A new layer to the filters whose events we keep, at once,
		 * spoold or not, before spoold hears it (filters.c).  The
		 * host says no height: z=0, as spoold would write it. */
		N.job.filters_layer = N.job.layer;
		snprintf(layer, sizeof(layer), "%lu z=0", N.job.layer);
		filters_tell(&N.filters, N.job.id, FEV_LAYER, layer);
	}
	if (!force && N.job.lines == N.job.told_lines &&
	    N.job.layer == N.job.told_layer)
		return;
	if (!force && N.job.layer == N.job.told_layer &&
	    now - N.job.told_at < 500)
		return;
	N.job.told_at = now;
	N.job.told_lines = N.job.lines;
	N.job.told_layer = N.job.layer;
	snprintf(id, sizeof(id), "%ld", N.job.id);
	snprintf(lines, sizeof(lines), "%ld", N.job.lines);
	snprintf(layer, sizeof(layer), "%lu", N.job.layer);
	snprintf(bytes, sizeof(bytes), "%lld", N.job.bytes);
	if (N.ctl >= 0 && msg_send(N.ctl, -1, "progress", id, lines, layer,
	    bytes, "0", (char *)NULL) < 0 && errno != EAGAIN) {
		log_warn("%s: spoold went away", N.printer);
		close(N.ctl);
		N.ctl = -1;
	}
	/* Once spoold has it: a layer is an event worth a line. */
	if (N.job.layer != N.job.logged_layer) {
		N.job.logged_layer = N.job.layer;
		log_info("%s-%ld: layer %lu, line %ld, byte %lld", N.printer,
		    N.job.id, N.job.layer, N.job.lines, N.job.bytes);
	}
}

/* The end where a spoold that was away finds it (gspool-backend(7)):
 * whole or not at all. */
static void
end_file_write(const char *state, const char *why)
{
	char *tmp, value[sizeof(N.job.attr[0].value)];
	int fd, ok, i;

	if (N.end_path == NULL)
		return;
	tmp = xasprintf("%s.tmp", N.end_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	ok = fd >= 0 && dprintf(fd, "%ld\t%s\t%ld\t%lu\t%s\n", N.job.id,
	    state, N.job.lines, N.job.layer, why) > 0;
	/* Then the job's attributes (a forward's id and number there),
	 * which a spoold away since they were told has not heard. */
	for (i = 0; ok && i < N.job.nattr; i++) {
		clean_text(value, sizeof(value), N.job.attr[i].value);
		ok = dprintf(fd, "attr\t%s\t%s\n", N.job.attr[i].name,
		    value) > 0;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, N.end_path) < 0 || fsync_dir(N.rundir) < 0)
		log_warn("%s-%ld: cannot record its end in %s", N.printer,
		    N.job.id, N.end_path);
	free(tmp);
}

void
net_end_file(const char *state, const char *why)
{
	char text[480];

	clean_text(text, sizeof(text), why);
	end_file_write(state, text);
}

/* The upload is the host's to forget once the job is over. */
static void
upload_remove(void)
{
	struct net_reply r;

	if (N.d->remove == NULL || N.job.name[0] == '\0')
		return;
	if (N.d->remove(N.job.name, &r) < 0)
		log_warnx("%s-%ld: cannot remove %s from the host: %s",
		    N.printer, N.job.id, N.job.name, r.why);
	net_reply_free(&r);
}

static void
job_end(const char *state, const char *reason, int remove)
{
	char id[32], why[480];
	int begun;

	if (N.job.id == 0)
		return;
	clean_text(why, sizeof(why), reason);
	/* A job handed back (pending) never began: no progress, and no
	 * end for a later spoold to record, as with the serial backend. */
	begun = strcmp(state, "pending") != 0;
	if (begun)
		progress(1);
	log_info("%s-%ld: %s%s%s", N.printer, N.job.id, state,
	    why[0] ? ": " : "", why);
	if (begun)
		end_file_write(state, why);
	snprintf(id, sizeof(id), "%ld", N.job.id);
	tell("end", id, state, why);
	filters_job_end(&N.filters, N.job.id, N.ctl >= 0, state);
	if (remove)
		upload_remove();
	net_file_free(&N.job.f);
	if (N.job.f.fd >= 0)
		close(N.job.f.fd);
	memset(&N.job, 0, sizeof(N.job));
	N.job.f.fd = -1;
	if (N.heaters_ms > 0)
		N.heaters_at = monotonic_ms() + N.heaters_ms;
}

/* 1 if a driver's reason is a sentence about the host that names it
 * first ("HOST would hold it for ..."): it is told as it is, so that a
 * line names the host once. */
static int
host_named(const char *why)
{
	size_t n = strlen(N.host.hostname);

	return n > 0 && strncmp(why, N.host.hostname, n) == 0 &&
	    (why[n] == ' ' || why[n] == ':');
}

/* What a host away or refusing is told as: its name, once, and the
 * driver's reason (which does not name it). */
static void
unreachable_text(const struct net_reply *r, char *text, size_t textsz)
{
	if (r->code == 401 || r->code == 403)
		snprintf(text, textsz, "%.150s refused the request"
		    " (%.280s): check %s", N.host.hostname, r->why,
		    N.host.cred_option != NULL ? N.host.cred_option :
		    "api_key_file");
	else if (r->code == 0)
		snprintf(text, textsz, "cannot reach %.150s: %.300s",
		    N.host.hostname, r->why);
	else if (host_named(r->why))
		snprintf(text, textsz, "%.450s", r->why);
	else
		snprintf(text, textsz, "%.150s: %.300s", N.host.hostname,
		    r->why);
}

void
net_unreachable(const struct net_reply *r)
{
	char text[480];
	long was;

	unreachable_text(r, text, sizeof(text));
	status("error", text);
	was = N.backoff_ms;
	N.backoff_ms = N.backoff_ms == 0 ? N.retry_ms :
	    N.backoff_ms * 2 > NET_BACKOFF_MAX ? NET_BACKOFF_MAX :
	    N.backoff_ms * 2;
	if (N.backoff_ms < N.retry_ms)
		N.backoff_ms = N.retry_ms;
	N.poll_at = monotonic_ms() + N.backoff_ms;
	/* Each longer wait said once: an outage logs a few lines, not
	 * one a minute. */
	if (N.backoff_ms != was)
		log_info("%s: the host is asked again in %ld s%s", N.printer,
		    (N.backoff_ms + 999) / 1000, N.backoff_ms ==
		    NET_BACKOFF_MAX ? ", and every 60 s from then on" : "");
}

void
net_report_printer(enum net_printer p, const char *text)
{
	N.rep.printer_set = 1;
	N.rep.printer = p;
	clean_text(N.rep.ptext, sizeof(N.rep.ptext), text ? text : "");
}

void
net_report_run(enum net_run run, const char *file, const char *why)
{
	N.rep.run_set = 1;
	N.rep.run = run;
	N.rep.file_known = file != NULL;
	snprintf(N.rep.file, sizeof(N.rep.file), "%s", file ? file : "");
	clean_text(N.rep.why, sizeof(N.rep.why), why ? why : "");
}

void
net_report_pos(long long byte)
{
	N.rep.pos = byte;
}

void
net_report_fraction(double done)
{
	N.rep.fraction = done;
}

void
net_report_layer(unsigned long layer)
{
	N.rep.layer_set = 1;
	N.rep.layer = layer;
}

void
net_report_temps(double hotend, double hotend_target, double bed,
    double bed_target)
{
	N.rep.temps_set = 1;
	N.rep.temps[0] = hotend;
	N.rep.temps[1] = hotend_target;
	N.rep.temps[2] = bed;
	N.rep.temps[3] = bed_target;
}

/* The prompt to spoold: of the job printing, if one is. */
static void
prompt_tell(void)
{
	char id[32];

	snprintf(id, sizeof(id), "%ld", N.job.id);
	tell(proto_name(PROTO_FROM_BACKEND, FB_PROMPT), id, N.prompt,
	    N.prompt[0] ? N.prompt_buttons : "");
}

void
net_report_prompt(const char *text, const char *buttons)
{
	char t[sizeof(N.prompt)], bt[sizeof(N.prompt_buttons)];

	clean_text(t, sizeof(t), text ? text : "");
	snprintf(bt, sizeof(bt), "%s", t[0] && buttons ? buttons : "");
	if (strcmp(t, N.prompt) == 0 && strcmp(bt, N.prompt_buttons) == 0)
		return;
	if (t[0] != '\0')
		log_info("%s: the printer asks the user: %s", N.printer, t);
	else
		log_info("%s: the printer's prompt is over", N.printer);
	snprintf(N.prompt, sizeof(N.prompt), "%s", t);
	snprintf(N.prompt_buttons, sizeof(N.prompt_buttons), "%s", bt);
	prompt_tell();
}

/* answer INDEX: the button of the prompt told, to the host. */
static void
prompt_answer(const char *index)
{
	struct net_reply r;
	const char *b = N.prompt_buttons, *nl;
	long k, i;

	if (N.d->answer == NULL) {
		log_info("%s: '%s' from spoold: %s carries no prompt of its"
		    " host's; left", N.printer, proto_name(PROTO_TO_BACKEND,
		    TB_ANSWER), N.d->name);
		return;
	}
	if (parse_long(index, 0, PROMPT_BUTTONS - 1, &k) < 0)
		k = -1;
	for (i = 0; k >= 0 && i < k && b[0] != '\0'; i++)
		b = (nl = strchr(b, '\n')) != NULL ? nl + 1 : "";
	if (k < 0 || N.prompt[0] == '\0' || b[0] == '\0') {
		log_warnx("%s: the answer %s is for no button of the prompt"
		    " shown%s%s; not sent", N.printer, index,
		    N.prompt[0] ? ": " : " (none is)", N.prompt);
		prompt_tell();
		return;
	}
	memset(&r, 0, sizeof(r));
	if (N.d->answer((int)k, &r) < 0) {
		log_warnx("%s: the answer to '%s': %s", N.printer, N.prompt,
		    r.why);
		prompt_tell();		/* it still waits */
	} else {
		log_info("%s: %s: %.*s", N.printer, N.prompt,
		    (int)strcspn(b, "\n"), b);
		net_report_prompt("", "");
	}
	net_reply_free(&r);
	N.poll_at = monotonic_ms();
}

static void
temps_tell(void)
{
	char t[256];
	long long now = monotonic_ms();

	if (!N.rep.temps_set)
		return;
	snprintf(t, sizeof(t), "T:%.1f /%.1f B:%.1f /%.1f", N.rep.temps[0],
	    N.rep.temps[1], N.rep.temps[2], N.rep.temps[3]);
	if (strcmp(t, N.temps) == 0 && now - N.temps_at < 5000)
		return;
	snprintf(N.temps, sizeof(N.temps), "%s", t);
	N.temps_at = now;
	tell("temps", t, NULL, NULL);
}

static int
running(enum net_run run)
{
	return run == NET_RUN_PRINTING || run == NET_RUN_PAUSED ||
	    run == NET_RUN_PAUSING;
}

/* Our job, as the host says it stands. */
static void
job_follow(const struct report *p)
{
	double pos;

	if (!p->run_set)
		return;		/* no news of the print this time */
	if (p->file_known && strcmp(p->file, N.job.name) != 0) {
		if (running(p->run))
			job_end("aborted", "the host prints another file"
			    " instead", 1);
		else if (++N.job.waits > 10)
			job_end("aborted", "the host did not start the file",
			    1);
		return;
	}
	if (running(p->run))
		N.job.seen = 1;
	pos = p->pos;
	if (pos < 0 && p->fraction >= 0 && p->fraction <= 1)
		pos = p->fraction * (double)N.job.f.size;
	if (pos >= 0 && pos <= (double)N.job.f.size) {
		N.job.bytes = (long long)pos;
		N.job.lines = net_file_lines_at(&N.job.f, N.job.bytes);
	}
	/* The host's layer where it says one; else the file's markers
	 * at its position, as a serial line would count them. */
	if (p->layer_set && p->layer > 0) {
		N.job.layer = p->layer;
		N.job.host_layers = 1;
	} else if (!N.job.host_layers && pos >= 0 &&
	    net_file_layer_at(&N.job.f, N.job.bytes) > N.job.layer)
		N.job.layer = net_file_layer_at(&N.job.f, N.job.bytes);
	switch (p->run) {
	case NET_RUN_PRINTING:
		N.job.resume_asked = 0;
		/* A host asked to pause may still say printing for a poll
		 * or two (its status not yet redone): not a resume, unless
		 * it goes on saying so past NET_PAUSE_GRACE_MS. */
		if (N.job.act == ACT_PAUSING && N.job.pause_asked != 0 &&
		    monotonic_ms() - N.job.pause_asked < NET_PAUSE_GRACE_MS) {
			progress(0);
			break;
		}
		if (N.job.act == ACT_PAUSED || N.job.act == ACT_PAUSING)
			activity(ACT_PRINTING, "resumed on the host");
		progress(0);
		break;
	case NET_RUN_WAITING:
		/* Queued on the host: neither begun nor lost. */
		break;
	case NET_RUN_PAUSING:
		/* Not yet paused: the job's activity stays as it is until
		 * the host is. */
		progress(0);
		break;
	case NET_RUN_PAUSED:
		/* A pause comes with where it stopped. */
		progress(N.job.act != ACT_PAUSED);
		activity(ACT_PAUSED, p->why[0] ? p->why :
		    N.job.act == ACT_PAUSING ? "paused by request" :
		    "paused on the host");
		if (N.job.resume_asked) {
			N.job.resume_asked = 0;
			job_request(N.d->resume, "resume", ACT_PRINTING,
			    "resumed by request");
		}
		break;
	case NET_RUN_COMPLETE:
		N.job.bytes = N.job.f.size;
		N.job.lines = net_file_lines_at(&N.job.f, N.job.f.size);
		if (!N.job.host_layers &&
		    net_file_layer_at(&N.job.f, N.job.bytes) > N.job.layer)
			N.job.layer = net_file_layer_at(&N.job.f, N.job.bytes);
		job_end("completed", "", 1);
		break;
	case NET_RUN_CANCELLED:
		job_end("canceled", N.job.act == ACT_CANCELING ?
		    "canceled by request" : "canceled on the host", 1);
		break;
	case NET_RUN_FAILED:
		job_end("aborted", p->why[0] ? p->why : "the host's print"
		    " failed", 1);
		break;
	case NET_RUN_IDLE:
		if (N.job.seen)
			job_end("canceled", "the host's print was reset", 1);
		else if (++N.job.waits > 10)
			job_end("aborted", "the host did not start the file",
			    1);
		break;
	}
}

static void
poll_host(void)
{
	struct net_reply r;
	struct report *p = &N.rep;
	char why[480];

	N.poll_at = monotonic_ms() + N.poll_ms;
	memset(p, 0, sizeof(*p));
	p->pos = -1;
	p->fraction = -1;
	memset(&r, 0, sizeof(r));
	if (N.d->poll(&r) < 0) {
		net_unreachable(&r);
		net_reply_free(&r);
		return;
	}
	net_reply_free(&r);
	N.backoff_ms = 0;
	temps_tell();
	if (!p->printer_set)
		p->ptext[0] = '\0';
	if (p->printer == NET_PRINTER_CONNECTING) {
		status("connecting", p->ptext);
	} else if (p->printer == NET_PRINTER_FAULT) {
		status("error", p->ptext);
		job_end("aborted", p->ptext, 0);
	} else if (p->printer == NET_PRINTER_BUSY && N.job.id == 0) {
		status("busy", p->ptext);
	} else if (N.job.id != 0) {
		/* Ready, as the serial backend is while it prints: spoold
		 * hands out one job at a time, and busy is for what gspool
		 * did not start. */
		job_follow(p);
		status("ready", p->ptext);
	} else if (running(p->run)) {
		clean_text(why, sizeof(why), p->file);
		{
			char text[480];

			if (why[0] != '\0')
				snprintf(text, sizeof(text), "%s %.400s, not a"
				    " gspool job", p->run == NET_RUN_PAUSED ?
				    "paused" : "printing", why);
			else
				snprintf(text, sizeof(text), "%s a job gspool"
				    " did not start", p->run == NET_RUN_PAUSED ?
				    "paused" : "printing");
			status("busy", text);
		}
	} else
		status("ready", p->ptext);
}

static void
print_fail(long id, int fd, const char *state, const char *why)
{
	char ids[32];

	log_warnx("%s-%ld: %s: %s", N.printer, id, state, why);
	snprintf(ids, sizeof(ids), "%ld", id);
	tell("end", ids, state, why);
	if (fd >= 0)
		close(fd);
}

/* A refused upload or start: 409 is the host busy (the job waits, and
 * so does the printer until the next poll), no answer or a refused key
 * the host away; anything else the job's own fault if aborted is set. */
static void
start_failed(const struct net_reply *r, int aborted, int remove)
{
	char why[600];

	if (r->code == 409) {
		if (host_named(r->why))
			snprintf(why, sizeof(why), "%.550s", r->why);
		else
			snprintf(why, sizeof(why), "%.150s is busy: %.400s",
			    N.host.hostname, r->why);
		status("busy", why);
		job_end("pending", why, remove);
		return;
	}
	if (r->code == 0 || r->code >= 500 || r->code == 401 ||
	    r->code == 403) {
		net_unreachable(r);
		/* The job's reason is the printer's: the host named once. */
		unreachable_text(r, why, sizeof(why));
		job_end("pending", why, remove);
		return;
	}
	job_end(aborted ? "aborted" : "pending", r->why, remove);
}

/* between_jobs, where the host takes G-code: 0, or -1 with why. */
static int
between_run(char *why, size_t whysz)
{
	struct net_reply r;
	int rv;

	if (N.between == NULL || N.between[0] == '\0')
		return 0;
	if (N.d->gcode == NULL) {
		log_info("%s: between_jobs is not run: %s takes no G-code"
		    " from gspool", N.printer, N.d->name);
		return 0;
	}
	rv = N.d->gcode(N.between, &r);
	if (rv < 0)
		snprintf(why, whysz, "between_jobs: %s", r.why);
	net_reply_free(&r);
	return rv;
}

/* print ID [between]: scan, upload, start. */
static void
print_start(long id, int fd, const char *how, const struct net_job_opts *o)
{
	struct net_reply r;
	char why[600];
	struct net_file f;

	if (N.job.id != 0 || strcmp(N.state, "ready") != 0) {
		print_fail(id, fd, "pending", "the printer is not ready");
		return;
	}
	if (strcmp(how, "resume") == 0) {
		print_fail(id, fd, "stopped", "a network printer cannot start"
		    " a job part way (gpc resume-from)");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.fd = fd;
	if (net_file_scan(&f, why, sizeof(why)) < 0) {
		print_fail(id, fd, "aborted", why);
		return;
	}
	if (strcmp(how, "between") == 0 && between_run(why, sizeof(why)) < 0) {
		net_file_free(&f);
		print_fail(id, fd, "pending", why);
		return;
	}
	/* The last job's filters' words are spoold's by now. */
	filters_drop(&N.filters);
	memset(&N.job, 0, sizeof(N.job));
	N.job.id = id;
	N.job.f = f;
	N.job.opts = *o;
	snprintf(N.job.name, sizeof(N.job.name), "gspool-%s-%ld.gcode",
	    N.printer, id);
	log_info("%s-%ld: uploading %lld bytes as %s", N.printer, id,
	    f.size, N.job.name);
	memset(&r, 0, sizeof(r));
	if (N.d->upload(&N.job.f, N.job.name, &r) < 0) {
		start_failed(&r, 1, 0);
		net_reply_free(&r);
		return;
	}
	net_reply_free(&r);
	if (N.d->start != NULL) {
		memset(&r, 0, sizeof(r));
		if (N.d->start(N.job.name, &r) < 0) {
			start_failed(&r, 0, r.code != 0);
			net_reply_free(&r);
			return;
		}
		net_reply_free(&r);
	}
	N.heaters_at = 0;
	/* spoold has the job printing from its hand-over, as from the
	 * serial backend's: told again, it would be a row of the job's
	 * history and a "resumed" to its filters. */
	N.job.act = ACT_PRINTING;
	log_info("%s-%ld: printing", N.printer, id);
	N.poll_at = monotonic_ms();
}

static void
job_request(int (*fn)(struct net_reply *), const char *what, enum act a,
    const char *why)
{
	struct net_reply r;

	memset(&r, 0, sizeof(r));
	/* The drivers' reasons do not name the host: this line does. */
	if (fn(&r) < 0)
		log_warnx("%s-%ld: %s on %s: %s", N.printer, N.job.id, what,
		    N.host.hostname, r.why);
	else {
		N.job.pause_asked = a == ACT_PAUSING ? monotonic_ms() : 0;
		activity(a, why);
	}
	net_reply_free(&r);
	N.poll_at = monotonic_ms();
}

/* gpc send's answer; spoold holds the printer busy until it hears the
 * printer's state again, whatever the answer. */
static void
manual_tell(const char *how, const char *text)
{
	tell("manual", how, text, NULL);
	tell("status", N.state, N.text, NULL);
}

static void
send_lines(const char *lines)
{
	struct net_reply r;

	if (N.d->gcode == NULL) {
		manual_tell("failed", "this printer's host takes no G-code"
		    " from gspool");
		return;
	}
	if (N.job.id != 0 || strcmp(N.state, "ready") != 0) {
		manual_tell("failed", N.job.id ? "the printer is busy" :
		    "the printer is not ready");
		return;
	}
	memset(&r, 0, sizeof(r));
	if (N.d->gcode(lines, &r) < 0)
		manual_tell("failed", r.why);
	else
		manual_tell("done", "ok");
	net_reply_free(&r);
}

/* The host's emergency stop, or where it has none, the job canceled. */
static void
estop(void)
{
	struct net_reply r;

	log_warnx("%s: emergency stop requested", N.printer);
	memset(&r, 0, sizeof(r));
	if (N.d->estop != NULL) {
		if (N.d->estop(&r) < 0)
			log_warnx("%s: emergency stop: %s", N.printer, r.why);
	} else if (N.job.id != 0) {
		log_warnx("%s: %s has no emergency stop: the job is canceled"
		    " instead", N.printer, N.d->name);
		if (N.d->cancel(&r) < 0)
			log_warnx("%s-%ld: cancel: %s", N.printer, N.job.id,
			    r.why);
		else
			activity(ACT_CANCELING, "canceled by an emergency"
			    " stop");
	} else
		log_warnx("%s: %s has no emergency stop, and no job runs",
		    N.printer, N.d->name);
	net_reply_free(&r);
	N.poll_at = monotonic_ms();
}

/* "kept ID NAME PID": we hold that filter's events now. */
static void
kept_tell(long id, const struct msg *m)
{
	char ids[32], pids[32];
	long pid;

	if (parse_long(msg_field(m, TB_FILTER_PID), 2, 2000000000L, &pid) < 0)
		return;
	snprintf(ids, sizeof(ids), "%ld", id);
	snprintf(pids, sizeof(pids), "%ld", pid);
	tell(proto_name(PROTO_FROM_BACKEND, FB_KEPT), ids,
	    msg_field(m, TB_FILTER_NAME), pids);
}

static void
handle_ctl(void)
{
	struct msg g;
	char bad[256];
	long id;
	int r, k;

	r = msg_recv(N.ctl, &g);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EBADMSG)) {
		log_info("%s: spoold closed the connection%s", N.printer,
		    N.job.id ? "; following the job in progress" : "");
		close(N.ctl);
		N.ctl = -1;
		if (g.fd >= 0)
			close(g.fd);
		return;
	}
	if (r < 0) {
		if (errno == EBADMSG)
			log_warnx("%s: malformed message from spoold",
			    N.printer);
		return;
	}
	if ((k = proto_parse(PROTO_TO_BACKEND, &g, bad, sizeof(bad))) < 0) {
		log_warnx("%s: %s from spoold", N.printer, bad);
		if (g.fd >= 0)
			close(g.fd);
		return;
	}
	if (parse_long(msg_field(&g, TB_ID), 1, 2000000000L, &id) < 0)
		id = 0;
	if (k == TB_PRINT && id != 0 && g.fd >= 0) {
		struct net_job_opts o;
		long v;

		memset(&o, 0, sizeof(o));
		clean_text(o.title, sizeof(o.title), msg_field(&g,
		    TB_PRINT_TITLE));
		if (parse_long(msg_field(&g, TB_PRINT_PRIORITY), 1, 100,
		    &v) == 0)
			o.priority = (int)v;
		if (parse_long(msg_field(&g, TB_PRINT_COPIES), 1, 100,
		    &v) == 0)
			o.copies = (int)v;
		if (parse_long(msg_field(&g, TB_PRINT_HOLD_UNTIL), 0,
		    LONG_MAX, &v) == 0)
			o.hold_until = v;
		print_start(id, g.fd, msg_field(&g, TB_PRINT_HOW), &o);
		return;
	}
	if (k == TB_FILTER) {
		/* Kept, so that the filter outlives spoold as the print
		 * does; its layers are ours to write from "kept" on. */
		if (filters_keep(&N.filters, N.job.id, id, &g) == 1)
			kept_tell(id, &g);
		return;
	}
	if (g.fd >= 0)
		close(g.fd);
	switch (k) {
	case TB_SCRIPT:
		/* The host's own commands pause, resume and cancel; only
		 * between_jobs is run, as G-code where the host takes it. */
		if (strcmp(msg_field(&g, TB_SCRIPT_NAME), "between") == 0) {
			free(N.between);
			N.between = xstrdup(msg_field(&g, TB_SCRIPT_TEXT));
		}
		return;
	case TB_SEND:
		send_lines(msg_field(&g, TB_SEND_LINES));
		return;
	case TB_ESTOP:
		estop();
		return;
	case TB_ANSWER:
		prompt_answer(msg_field(&g, TB_ANSWER_INDEX));
		return;
	default:
		break;
	}
	if (id == 0 || id != N.job.id)
		return;
	N.job.resume_asked = 0;		/* a later request comes first */
	if (k == TB_CANCEL)
		job_request(N.d->cancel, "cancel", ACT_CANCELING,
		    "canceled by request");
	else if (k == TB_PAUSE)
		job_request(N.d->pause, "pause", ACT_PAUSING,
		    "paused by request");
	else if (k == TB_RESUME && N.job.act == ACT_PAUSING) {
		/* The host has not paused yet: spoold shows the job paused
		 * already, so it resumes as soon as the host says so. */
		N.job.resume_asked = 1;
		log_info("%s-%ld: resumed by request: once the host has"
		    " paused", N.printer, N.job.id);
	} else if (k == TB_RESUME)
		job_request(N.d->resume, "resume", ACT_PRINTING,
		    "resumed by request");
}

static void
attach_listen(void)
{
	N.listen_fd = -1;
	if (N.rundir == NULL)
		return;
	N.sock_path = xasprintf("%s/%s.sock", N.rundir, N.printer);
	N.end_path = xasprintf("%s/%s.end", N.rundir, N.printer);
	if ((N.listen_fd = seqpacket_listen(N.sock_path)) < 0)
		log_warn("%s: %s; spoold cannot re-attach to this backend",
		    N.printer, N.sock_path);
}

/* A new spoold: the hello with the job followed, then the state. */
static void
attach_accept(void)
{
	char pid[32], id[32], lines[32], layer[32], bytes[32], v[16];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i;

	if ((fd = accept4(N.listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.uid != getuid() || N.ctl >= 0) {
		log_warnx("%s: refused a connection from uid %ld%s",
		    N.printer, (long)cred.uid, N.ctl >= 0 ?
		    " (spoold is connected)" : "");
		close(fd);
		return;
	}
	N.ctl = fd;
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	snprintf(id, sizeof(id), "%ld", N.job.id);
	snprintf(lines, sizeof(lines), "%ld", N.job.lines);
	snprintf(layer, sizeof(layer), "%lu", N.job.layer);
	snprintf(bytes, sizeof(bytes), "%lld", N.job.bytes);
	snprintf(v, sizeof(v), "%d", PROTO_VERSION);
	log_info("%s: spoold re-attached%s%s", N.printer,
	    N.job.id ? "; following job " : "", N.job.id ? id : "");
	if (msg_send(N.ctl, -1, proto_name(PROTO_FROM_BACKEND, FB_HELLO),
	    pid, id, lines, layer, bytes, act_names[N.job.id ? N.job.act :
	    ACT_PRINTING], v, (char *)NULL) < 0) {
		close(N.ctl);
		N.ctl = -1;
		return;
	}
	/* The filters' pipes back: they outlived the spoold before. */
	filters_hand_over(&N.filters, N.ctl);
	for (i = 0; N.job.id != 0 && i < N.job.nattr; i++)
		tell("attr", id, N.job.attr[i].name, N.job.attr[i].value);
	if (N.state[0] != '\0')
		tell("status", N.state, N.text, NULL);
	if (N.temps[0] != '\0')
		tell("temps", N.temps, NULL, NULL);
	if (N.prompt[0] != '\0')
		prompt_tell();
}

static void
heaters_check(void)
{
	struct net_reply r;
	int rv;

	if (N.heaters_at == 0 || monotonic_ms() < N.heaters_at ||
	    N.job.id != 0)
		return;
	N.heaters_at = 0;
	memset(&r, 0, sizeof(r));
	if (N.d->heaters_off != NULL)
		rv = N.d->heaters_off(&r);
	else if (N.d->gcode != NULL)
		rv = N.d->gcode("M104 S0\nM140 S0", &r);
	else
		return;
	if (rv < 0)
		log_warnx("%s: cannot turn the heaters off: %s", N.printer,
		    r.why);
	else
		tell("heaters", "off", "no job came after the last one",
		    NULL);
	net_reply_free(&r);
}

/* A device this backend cannot take is bad usage (exit 2). */
static void __attribute__((noreturn, format(printf, 1, 2)))
device_bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", log_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* SCHEME://HOST[:PORT][REST]: the host and port here, REST the
 * driver's (nothing but "/" if it takes none). */
static void
device_parse(const char *scheme, const char *dev)
{
	const struct net_driver *d = N.d;
	const char *p, *end, *port;
	char why[300];
	size_t n;

	N.host.tls = d->tls_scheme != NULL && strcmp(scheme,
	    d->tls_scheme) == 0;
	n = strlen(scheme);
	if (strncmp(dev, scheme, n) != 0 || strncmp(dev + n, "://", 3) != 0)
		device_bad("%s: device '%s': expected %s://HOST[:PORT]",
		    N.printer, dev, scheme);
	p = dev + n + 3;
	end = p + strcspn(p, "/?#");
	if (d->device == NULL && *end != '\0' && strcmp(end, "/") != 0)
		device_bad("%s: device '%s': only HOST[:PORT], no path or"
		    " query", N.printer, dev);
	if (d->account) {
		const char *at = memchr(p, '@', (size_t)(end - p));

		if (at == NULL || at == p || (size_t)(at - p) >=
		    sizeof(N.account))
			device_bad("%s: device '%s': expected %s://ACCOUNT@HOST"
			    "[:PORT]", N.printer, dev, scheme);
		snprintf(N.account, sizeof(N.account), "%.*s", (int)(at - p),
		    p);
		if (!name_is_safe(N.account, 64))
			device_bad("%s: device '%s': '%s' is not an account's"
			    " name", N.printer, dev, N.account);
		p = at + 1;
	}
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		device_bad("%s: device '%s': no credentials in the device"
		    " (every process listing shows it): use api_key_file",
		    N.printer, dev);
	if (end == p || (size_t)(end - p) >= sizeof(N.host.hostname) - 8)
		device_bad("%s: device '%s': no host", N.printer, dev);
	if (d->device != NULL && d->device(end, why, sizeof(why)) < 0)
		device_bad("%s: device '%s': %s", N.printer, dev, why);
	snprintf(N.host.hostname, sizeof(N.host.hostname), "%.*s",
	    (int)(end - p), p);
	/* The port after the host, or after an IPv6 address's ']'. */
	port = N.host.hostname;
	if (N.host.hostname[0] == '[' &&
	    (port = strchr(N.host.hostname, ']')) == NULL)
		device_bad("%s: device '%s': an IPv6 address without its ']'",
		    N.printer, dev);
	if (strchr(port, ':') == NULL)
		snprintf(N.host.hostname + strlen(N.host.hostname), 8, ":%d",
		    N.host.tls ? d->tls_port : d->port);
	snprintf(N.host.base, sizeof(N.host.base), "%s://%s",
	    N.host.tls ? "https" : "http", N.host.hostname);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-d rundir] [-r seconds] [-t seconds]"
	    " [-H seconds] [-a keyfile] [-K known_hosts] [-i identity]"
	    " [-S spool_dir]%s"
	    " [-b -w -x -o -m -p -u -k ARG] printer %s://%shost[:port]\n",
	    N.d->name, N.d->modes != NULL ? " [-M mode]" : "", N.d->scheme,
	    N.d->account ? "account@" : "");
	exit(2);
}

static void
options(int argc, char *argv[])
{
	long v;
	int ch, i;

	while ((ch = getopt(argc, argv,
	    "a:b:d:e:H:i:k:K:m:M:o:p:r:S:t:u:w:x:")) != -1) {
		switch (ch) {
		case 'M':
			/* The driver's own way to the host (a Duet's
			 * standalone or SBC mode): a word it lists. */
			if (N.d->modes == NULL)
				fatalx("-M: %s takes no mode", N.d->name);
			for (i = 0; N.d->modes[i] != NULL &&
			    strcmp(N.d->modes[i], optarg) != 0; i++)
				;
			if (N.d->modes[i] == NULL)
				fatalx("-M: '%s' is not a mode of %s", optarg,
				    N.d->name);
			N.mode = i;
			break;
		case 'a':
			N.keyfile = optarg;
			break;
		case 'i':
			/* The identity spoold drew for its spool (db/0013):
			 * its letters go into forward ids as they are. */
			if (optarg[0] == '\0' || strlen(optarg) > 16 ||
			    strspn(optarg, "0123456789abcdefABCDEF") !=
			    strlen(optarg))
				fatalx("-i: '%s' is not a spool's identity"
				    " (1 to 16 hex digits)", optarg);
			N.spool_id = optarg;
			break;
		case 'K':
			N.known_hosts = optarg;
			break;
		case 'S':
			if (optarg[0] != '/')
				fatalx("-S: '%s' is not an absolute path",
				    optarg);
			N.spool_dir = optarg;
			break;
		case 'd':
			if (optarg[0] != '/')
				fatalx("-d: '%s' is not an absolute path",
				    optarg);
			N.rundir = optarg;
			break;
		case 'r':
			if (parse_long(optarg, 1, 3600, &v) < 0)
				fatalx("-r: bad interval '%s'", optarg);
			N.retry_ms = v * 1000;
			break;
		case 't':
			if (parse_long(optarg, 0, 600, &v) < 0)
				fatalx("-t: bad timeout '%s'", optarg);
			if (v > 0)
				N.host.timeout_ms = v * 1000;
			break;
		case 'H':
			if (parse_long(optarg, 0, 604800, &v) < 0)
				fatalx("-H: bad time '%s'", optarg);
			N.heaters_ms = v * 1000;
			break;
		case 'b': case 'e': case 'k': case 'm': case 'o': case 'p':
		case 'u': case 'w': case 'x':
			break;	/* Marlin's: no use here */
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
}

/* The loop is lib/event.c's: the spoold socket and the re-attach
 * listener as they come and go, the host's poll as a timer, and
 * SIGTERM/SIGINT from its signalfd.  A request to the host is made
 * from the timer and waits for the host (at most its timeout): one
 * printer's backend has nothing else to do meanwhile. */
struct net_loop {
	struct ev_loop	*ev;
	struct ev_timer	*poll;
	struct ev_io	*ctl_io, *listen_io;
	int		 ctl_fd, listen_fd;
};

static void
on_term(int signo, void *arg)
{
	struct net_loop *l = arg;

	(void)signo;
	term = 1;
	ev_break(l->ev);
}

static void
on_ctl(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	(void)arg;
	if (N.ctl >= 0)
		handle_ctl();
}

static void
on_listen(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	(void)arg;
	if (N.listen_fd >= 0)
		attach_accept();
}

static void
on_poll(void *arg)
{
	char why[600];

	(void)arg;
	if (N.keyfile != NULL && !N.d->ssh && net_cred_read(N.keyfile, &N.host, why,
	    sizeof(why)) < 0) {
		status("error", why);
		N.poll_at = monotonic_ms() + N.retry_ms;
	} else
		poll_host();
	heaters_check();
}

/* Watch a descriptor the backend replaced or closed since the last
 * turn: the socket to spoold comes with each re-attach and goes when
 * spoold does. */
static void
watch(struct net_loop *l, struct ev_io **io, int *watched, int fd,
    ev_io_fn *fn)
{
	if (*watched == fd)
		return;
	if (*io != NULL)
		ev_io_del(*io);
	*io = NULL;
	*watched = fd;
	if (fd >= 0 && (*io = ev_io_add(l->ev, fd, EV_READ, fn, l)) == NULL)
		fatal("ev_io_add");
}

static void
loop(void)
{
	struct net_loop l;

	memset(&l, 0, sizeof(l));
	l.ctl_fd = l.listen_fd = -1;
	if ((l.ev = ev_loop_new()) == NULL ||
	    (l.poll = ev_timer_new(l.ev, on_poll, &l)) == NULL ||
	    ev_signal(l.ev, SIGTERM, on_term, &l) < 0 ||
	    ev_signal(l.ev, SIGINT, on_term, &l) < 0)
		fatal("event loop");
	N.filters.ev = l.ev;
	while (!term) {
		/* No spoold, no job: over, once no filter of the last job
		 * runs whose last words wait for the next spoold. */
		if (N.ctl < 0 && N.job.id == 0 &&
		    filters_waiting(&N.filters) == 0)
			break;
		if (N.ctl >= 0 || N.job.id != 0)
			filters_unwatch(&N.filters);
		watch(&l, &l.ctl_io, &l.ctl_fd, N.ctl, on_ctl);
		watch(&l, &l.listen_io, &l.listen_fd, N.listen_fd,
		    on_listen);
		ev_timer_at(l.poll, N.poll_at);
		if (ev_turn(l.ev, -1) < 0)
			fatal("poll");
	}
	if (N.job.id != 0)
		job_end("stopped", "the backend was stopped; the host prints"
		    " on", 0);
	filters_drop(&N.filters);
	N.filters.ev = NULL;
	if (l.ctl_io != NULL)
		ev_io_del(l.ctl_io);
	if (l.listen_io != NULL)
		ev_io_del(l.listen_io);
	ev_timer_free(l.poll);
	ev_loop_free(l.ev);
}

int
net_main(int argc, char *argv[], const struct net_driver *d)
{
	const char *scheme;

	memset(&N, 0, sizeof(N));
	N.d = d;
	N.ctl = 0;
	N.job.f.fd = -1;
	N.retry_ms = 2000;
	N.heaters_ms = 600 * 1000;
	N.poll_ms = d->poll_ms > 0 ? d->poll_ms : NET_POLL_MS;
	N.host.timeout_ms = 10000;
	N.host.key_header = d->key_header;
	N.host.auth = d->auth;
	N.host.cred_option = d->cred_option;
	/* The program's name is the scheme: BACKEND_DIR/octoprints is a
	 * link to octoprint. */
	scheme = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (d->tls_scheme == NULL || strcmp(scheme, d->tls_scheme) != 0)
		scheme = d->scheme;
	log_init(scheme, LOG_TO_STDERR, 0);
	options(argc, argv);
	N.printer = argv[optind];
	if (!name_is_safe(N.printer, 64))
		fatalx("'%s' is not a printer's name", N.printer);
	device_parse(scheme, argv[optind + 1]);
	filters_init(&N.filters, N.printer);
	signal(SIGPIPE, SIG_IGN);
	fd_set_nonblock(N.ctl, 1);
	net_http_init();
	attach_listen();
	status("connecting", N.host.hostname);
	loop();
	if (N.listen_fd >= 0) {
		close(N.listen_fd);
		unlink(N.sock_path);
	}
	free(N.sock_path);
	free(N.end_path);
	free(N.between);
	explicit_bzero(&N.host, sizeof(N.host));
	return 0;
}
