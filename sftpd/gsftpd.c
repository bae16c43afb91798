/*
 * gsftpd - the SFTP drop server (gsftpd(8)).
 *
 * One listening process that only accepts, counts and forks: each
 * connection gets a process of its own (libssh blocks, and a stalled
 * client must stall nobody else) with a login grace time, a memory
 * limit and a watchdog.  Started as root, it makes its folders, binds
 * and reads its host key, then becomes its own user ([sftp] user) for
 * good; a connection is confined by Landlock before its first byte and
 * again, to one account's tree, once logged in (sftpjail.c).  Logins in
 * progress are bounded in all and per address, with early random drops
 * as OpenSSH's MaxStartups; every failed login is told to the listener
 * as it happens, so that it is logged and counted however the
 * connection ends.  Accounts are virtual ([account NAME] in
 * gspool.conf): a name, its public keys, one drop folder.  Public keys
 * only; no shell, exec, pty, forwarding or second channel: libssh
 * refuses whatever has no callback here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "priv.h"
#include "util.h"

#define MAX_LISTEN	4
#define MAX_TRACKED	1024		/* addresses remembered for bans */

/* Exit codes of a connection's process, read by the listener. */
#define CONN_OK		0
#define CONN_AUTHFAIL	3		/* tried to log in and failed */
#define CONN_TIMEOUT	4		/* the watchdog ended it */

static volatile sig_atomic_t quit;

/* A connection's process, and what it told of its login (a line per
 * event on its report pipe: "A" logged in, "F WHAT" an attempt
 * refused, "E WHY" the login given up). */
struct child {
	pid_t	 pid;
	char	 addr[INET6_ADDRSTRLEN];
	int	 report;		/* the pipe's reading end, or -1 */
	int	 authed;
	int	 tries;
	char	 last[320];		/* the last attempt refused */
	char	 why[96];		/* why the login ended */
	char	 buf[512];		/* a line not yet whole */
	size_t	 len;
};

struct failure {
	char	 addr[INET6_ADDRSTRLEN];
	int	 count;
	time_t	 first, banned_until;
};

static struct child *children;
static size_t nchildren, maxchildren;
static struct failure failures[MAX_TRACKED];
static int report_fd = -1;		/* a connection's end of its pipe */

static void
usage(void)
{
	fprintf(stderr, "usage: gsftpd [-dfnP] [-c config] [-p portfile]\n");
	exit(2);
}

static void
report(const char *msg, void *arg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void
on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		quit = 1;
	/* SIGCHLD only interrupts ppoll(). */
}

static void
on_alarm(int sig)
{
	(void)sig;
	/* The watchdog: whatever libssh is blocked in, this ends it. */
	static const char m[] = "gsftpd: connection timed out\n";

	if (write(STDERR_FILENO, m, sizeof(m) - 1) < 0)
		_exit(4);
	_exit(4);
}

/* ---- the host key ---- */

static ssh_key
host_key(const char *path)
{
	ssh_key key = NULL;
	char *tmp, *dir, *slash;
	mode_t old;

	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) ==
	    SSH_OK)
		return key;
	if (access(path, F_OK) == 0) {
		log_warnx("%s: not a private key libssh can read", path);
		return NULL;
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		mkdir_exist_ok(dir, 0700);
	}
	free(dir);
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		log_warnx("cannot generate a host key");
		return NULL;
	}
	tmp = xasprintf("%s.tmp", path);
	old = umask(077);
	unlink(tmp);
	if (ssh_pki_export_privkey_file(key, NULL, NULL, NULL, tmp) !=
	    SSH_OK || rename(tmp, path) < 0) {
		umask(old);
		log_warn("%s: cannot write the new host key", path);
		unlink(tmp);
		free(tmp);
		ssh_key_free(key);
		return NULL;
	}
	umask(old);
	free(tmp);
	log_info("generated a new host key: %s", path);
	return key;
}

/* ---- listening ---- */

/* "PORT", "ADDRESS:PORT", "[ADDRESS]:PORT" or "*:PORT". */
static int
listen_on(const char *spec, int *fds, int max)
{
	struct addrinfo hints, *res, *ai;
	char host[256], port[32];
	const char *colon;
	int n = 0, fd, one = 1, r;

	host[0] = '\0';
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':' || (size_t)(end - spec - 1) >=
		    sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(end - spec - 1),
		    spec + 1);
		snprintf(port, sizeof(port), "%s", end + 2);
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if ((size_t)(colon - spec) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		snprintf(port, sizeof(port), "%s", colon + 1);
	} else
		snprintf(port, sizeof(port), "%s", spec);
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		log_warnx("listen = %s: %s", spec, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(fd, 64) < 0) {
			log_warn("listen = %s", spec);
			close(fd);
			continue;
		}
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	return n > 0 ? n : -1;
bad:
	log_warnx("listen = %s: expected PORT, ADDRESS:PORT or"
	    " [ADDRESS]:PORT", spec);
	return -1;
}

/* ---- counting and banning ---- */

static struct failure *
failure_of(const char *addr, int create)
{
	struct failure *oldest = &failures[0];
	size_t i;

	for (i = 0; i < MAX_TRACKED; i++) {
		if (strcmp(failures[i].addr, addr) == 0)
			return &failures[i];
		if (failures[i].first < oldest->first)
			oldest = &failures[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	return oldest;
}

/* N more failures from addr (refused keys, a login grace run out, a
 * refused login in progress), towards a ban. */
static void
failure_count(const struct conf *conf, const char *addr, int n)
{
	struct failure *f = failure_of(addr, 1);
	time_t now = time(NULL);

	if (now - f->first > conf->sftp.ban_time) {
		f->first = now;
		f->count = 0;
	}
	f->count += n;
	if (f->count >= conf->sftp.max_auth_failures &&
	    f->banned_until <= now) {
		f->banned_until = now + conf->sftp.ban_time;
		log_warnx("%s: %d failed logins; refused for %lds", f->addr,
		    f->count, conf->sftp.ban_time);
	}
}

/* Take in what a connection's process wrote on its report pipe. */
static void
child_read(struct child *c)
{
	char *nl, *line;
	ssize_t n;

	while (c->report >= 0) {
		n = read(c->report, c->buf + c->len, sizeof(c->buf) - 1 -
		    c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(c->report);
				c->report = -1;
			}
			return;
		}
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		line = c->buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (line[0] == 'A')
				c->authed = 1;
			else if (line[0] == 'F' && line[1] == ' ') {
				c->tries++;
				snprintf(c->last, sizeof(c->last), "%s",
				    line + 2);
			} else if (line[0] == 'E' && line[1] == ' ')
				snprintf(c->why, sizeof(c->why), "%s",
				    line + 2);
			line = nl + 1;
		}
		c->len = strlen(line);
		memmove(c->buf, line, c->len + 1);
		if (c->len == sizeof(c->buf) - 1)
			c->len = 0;	/* no line is that long: drop it */
	}
}

static void
child_ended(const struct conf *conf, pid_t pid, int status)
{
	struct child *c;
	const char *how;
	char st[64];
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i].pid == pid)
			break;
	if (i == nchildren)
		return;
	c = &children[i];
	child_read(c);
	if (c->report >= 0)
		close(c->report);
	if (WIFEXITED(status) && WEXITSTATUS(status) == CONN_TIMEOUT)
		how = "the login grace ran out";
	else if (c->why[0] != '\0')
		how = c->why;
	else if (WIFSIGNALED(status)) {
		snprintf(st, sizeof(st), "its process was killed by signal %d",
		    WTERMSIG(status));
		how = st;
	} else
		how = "the client left";
	/* Every failed login, however it ends: the attempts the process
	 * reported as they happened, and a login grace run out, count. */
	if (!c->authed && (c->tries > 0 || (WIFEXITED(status) &&
	    WEXITSTATUS(status) == CONN_TIMEOUT))) {
		if (c->tries > 0)
			log_warnx("%s: login failed after %d attempt(s), the"
			    " last %s; %s", c->addr, c->tries, c->last, how);
		else
			log_warnx("%s: login failed: no attempt before %s",
			    c->addr, how);
		failure_count(conf, c->addr, c->tries > 0 ? c->tries : 1);
	}
	log_debug("%s: connection ended, %zu left", c->addr, nchildren - 1);
	children[i] = children[--nchildren];
}

/* Logins in progress: in all, or from addr. */
static long
unauthenticated(const char *addr)
{
	size_t i;
	long n = 0;

	for (i = 0; i < nchildren; i++)
		if (!children[i].authed && (addr == NULL ||
		    strcmp(children[i].addr, addr) == 0))
			n++;
	return n;
}

static int
per_address(const char *addr)
{
	size_t i;
	int n = 0;

	for (i = 0; i < nchildren; i++)
		if (strcmp(children[i].addr, addr) == 0)
			n++;
	return n;
}

/* ---- one connection ---- */

/* Tell the listener (a line; a pipe writes it whole). */
static void
tell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
tell(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (report_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(report_fd, buf, (size_t)n) < 0)
		return;		/* the listener is gone: nothing to tell */
}

/* A client's name for the log: printable, at most 64 bytes. */
static void
clean(char *dst, size_t sz, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < sz && i < 64 && src[i] != '\0'; i++)
		dst[i] = src[i] > ' ' && src[i] < 127 ? src[i] : '?';
	dst[i] = '\0';
}

/* "ssh-ed25519 SHA256:..." of a key. */
static void
fingerprint(ssh_key key, char *buf, size_t sz)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL;
	const char *type = ssh_key_type_to_char(ssh_key_type(key));

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) == 0) {
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		    hlen);
		ssh_clean_pubkey_hash(&hash);
	}
	snprintf(buf, sz, "%s %s", type ? type : "unknown-type",
	    fp ? fp : "(no fingerprint)");
	ssh_string_free_char(fp);
}

struct login {
	const struct conf	   *conf;
	const char		   *addr;
	const struct conf_account  *acct;	/* once logged in */
	ssh_channel		    chan;
	int			    sftp;	/* subsystem asked for */
	int			    tries;	/* failed attempts */
	char			    user[72];	/* the last name tried */
	const char		   *why;	/* and why it failed */
	int			    slot;	/* the session lock */
};

/* Is key one of the account's?  The file is read at each attempt, so
 * keys added or removed count at once.  Lines: "TYPE BASE64 [comment]";
 * a line with options ("from=...", "command=...") is refused rather
 * than half honoured. */
static int
key_allowed(const struct conf_account *a, ssh_key key)
{
	char line[16384], *type, *b64, *save;
	unsigned lineno = 0;
	int found = 0;
	ssh_key k;
	FILE *fp;

	if ((fp = fopen(a->keys, "re")) == NULL) {
		log_warn("[account %s]: %s", a->name, a->keys);
		return 0;
	}
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((type = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    type[0] == '#')
			continue;
		if (ssh_key_type_from_name(type) == SSH_KEYTYPE_UNKNOWN) {
			log_warnx("%s:%u: '%.32s' is not a key type (options"
			    " before the key are not supported); line"
			    " ignored", a->keys, lineno, type);
			continue;
		}
		if ((b64 = strtok_r(NULL, " \t\r\n", &save)) == NULL ||
		    ssh_pki_import_pubkey_base64(b64,
		    ssh_key_type_from_name(type), &k) != SSH_OK) {
			log_warnx("%s:%u: not a public key; line ignored",
			    a->keys, lineno);
			continue;
		}
		found = ssh_key_cmp(k, key, SSH_KEY_CMP_PUBLIC) == 0;
		ssh_key_free(k);
	}
	fclose(fp);
	return found;
}

/* One of the account's max_sessions slots, held (flock) for the
 * connection's life; -1 if all are taken. */
static int
take_slot(const struct conf *conf, const struct conf_account *a)
{
	char *path;
	long i;
	int fd;

	for (i = 0; i < a->max_sessions; i++) {
		path = xasprintf("%s/sftp/%s.%ld.lock", conf->spool_dir,
		    a->name, i);
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		free(path);
		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

static int
auth_pubkey(ssh_session session, const char *user, struct ssh_key_struct *key,
    char state, void *arg)
{
	struct login *l = arg;
	const struct conf_account *a = conf_account(l->conf, user);

	(void)session;
	if (a == NULL || !key_allowed(a, key) ||
	    state == SSH_PUBLICKEY_STATE_WRONG) {
		char fp[160], who[72];

		/* A client offers its keys in turn; each refused one
		 * counts, as OpenSSH's MaxAuthTries does, and is told at
		 * once, whatever the client does next. */
		l->tries++;
		clean(who, sizeof(who), user);
		snprintf(l->user, sizeof(l->user), "%s", who);
		l->why = a == NULL ? "no such account" :
		    state == SSH_PUBLICKEY_STATE_WRONG ? "a bad signature" :
		    "key not authorized";
		fingerprint(key, fp, sizeof(fp));
		log_warnx("%s: publickey for '%s' refused: %s, key %s",
		    l->addr, who, l->why, fp);
		tell("F publickey for '%s' with key %s (%s)", who, fp, l->why);
		return SSH_AUTH_DENIED;
	}
	if (state == SSH_PUBLICKEY_STATE_NONE)
		return SSH_AUTH_SUCCESS;	/* "this key would do" */
	if ((l->slot = take_slot(l->conf, a)) < 0) {
		log_warnx("%s: login from %s refused: %ld session(s) already",
		    a->name, l->addr, a->max_sessions);
		return SSH_AUTH_DENIED;
	}
	l->acct = a;
	tell("A");
	log_info("%s logged in from %s", a->name, l->addr);
	return SSH_AUTH_SUCCESS;
}

static int
auth_password(ssh_session session, const char *user, const char *password,
    void *arg)
{
	struct login *l = arg;

	char who[72];

	(void)session;
	(void)password;
	l->tries++;
	clean(who, sizeof(who), user);
	snprintf(l->user, sizeof(l->user), "%s", who);
	l->why = "a password (keys only)";
	log_warnx("%s: password for '%s' refused: keys only", l->addr, who);
	tell("F password for '%s' (keys only)", who);
	return SSH_AUTH_DENIED;
}

static int
subsystem(ssh_session session, ssh_channel chan, const char *name, void *arg)
{
	struct login *l = arg;

	(void)session;
	if (chan == l->chan && strcmp(name, "sftp") == 0) {
		l->sftp = 1;
		return SSH_OK;
	}
	log_warnx("%s: subsystem '%.32s' refused", l->acct ? l->acct->name :
	    "?", name);
	return SSH_ERROR;
}

static struct ssh_channel_callbacks_struct chan_cb = {
	.channel_subsystem_request_function = subsystem,
};

static ssh_channel
open_session(ssh_session session, void *arg)
{
	struct login *l = arg;

	if (l->acct == NULL || l->chan != NULL) {
		log_warnx("%s: a second channel refused", l->addr);
		return NULL;
	}
	if ((l->chan = ssh_channel_new(session)) == NULL)
		return NULL;
	/* Set here, so a subsystem request sent right behind the open
	 * finds them.  No data callback: sftp_get_client_message() reads
	 * the channel itself. */
	chan_cb.userdata = l;
	ssh_callbacks_init(&chan_cb);
	ssh_set_channel_callbacks(l->chan, &chan_cb);
	return l->chan;
}

static int
connection(const struct conf *conf, ssh_bind bind, int fd, const char *addr)
{
	struct ssh_server_callbacks_struct cb;
	struct sftp_conn sc;
	struct login l;
	struct rlimit rl;
	ssh_session session;
	ssh_event ev;
	char *path;
	long timeout = conf->sftp.login_grace;
	long long start = monotonic_ms();
	int r, rc = CONN_OK;

	signal(SIGALRM, on_alarm);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGXFSZ, SIG_IGN);
	alarm((unsigned)conf->sftp.login_grace);
#ifndef __SANITIZE_ADDRESS__
	/* One packet may claim 256 MiB: a connection gets max_memory.
	 * (Not under AddressSanitizer, whose shadow memory counts.) */
	rl.rlim_cur = rl.rlim_max = (rlim_t)conf->sftp.max_memory;
	setrlimit(RLIMIT_DATA, &rl);
#else
	(void)rl;
#endif
	memset(&l, 0, sizeof(l));
	l.conf = conf;
	l.addr = addr;
	l.slot = -1;
	if ((session = ssh_new()) == NULL)
		return 1;
	ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_bind_accept_fd(bind, session, fd) != SSH_OK) {
		log_warnx("%s: %s", addr, ssh_get_error(bind));
		ssh_free(session);
		return 1;
	}
	memset(&cb, 0, sizeof(cb));
	cb.userdata = &l;
	cb.auth_pubkey_function = auth_pubkey;
	cb.auth_password_function = auth_password;
	cb.channel_open_request_session_function = open_session;
	ssh_callbacks_init(&cb);
	ssh_set_server_callbacks(session, &cb);
	if (ssh_handle_key_exchange(session) != SSH_OK) {
		/* A client silent for the whole login grace has held a
		 * login slot as long as it could: that counts, as a stall
		 * after the key exchange does. */
		int stalled = monotonic_ms() - start >= timeout * 1000 - 500;

		log_info("%s: key exchange failed: %s", addr, stalled ?
		    "nothing within the login grace" : ssh_get_error(session));
		ssh_disconnect(session);
		ssh_free(session);
		return stalled ? CONN_TIMEOUT : 1;
	}
	ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY);
	ev = ssh_event_new();
	ssh_event_add_session(ev, session);
	while (!(l.acct != NULL && l.chan != NULL && l.sftp)) {
		r = ssh_event_dopoll(ev, 1000);
		if (r == SSH_ERROR || !ssh_is_connected(session) ||
		    l.tries >= 6) {
			if (l.acct == NULL && l.tries > 0)
				rc = CONN_AUTHFAIL;
			if (l.acct == NULL)
				tell("E %s", l.tries >= 6 ? "too many attempts"
				    " on one connection" :
				    "the client disconnected");
			break;
		}
	}
	ssh_event_remove_session(ev, session);
	ssh_event_free(ev);
	if (l.acct != NULL && l.chan != NULL && l.sftp &&
	    jail_account(conf, l.acct) < 0) {
		log_warnx("%s from %s: cannot be confined to its tree;"
		    " disconnecting", l.acct->name, addr);
		l.sftp = 0;
	}
	if (l.acct != NULL && l.chan != NULL && l.sftp) {
		alarm(0);
		memset(&sc, 0, sizeof(sc));
		sc.conf = conf;
		sc.acct = l.acct;
		sc.addr = addr;
		sc.ctl = -1;
		path = xasprintf("%s/drop/%s", conf->spool_dir, l.acct->name);
		sc.dropfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (sc.dropfd < 0)
			log_warn("%s: %s", l.acct->name, path);
		else {
			/* One upload may not exceed max_file, whatever
			 * slips past the checks. */
			rl.rlim_cur = rl.rlim_max =
			    (rlim_t)l.acct->max_file + 1;
			setrlimit(RLIMIT_FSIZE, &rl);
			sftp_serve(&sc, session, l.chan);
			close(sc.dropfd);
		}
		free(path);
		if (sc.ctl >= 0)
			close(sc.ctl);
		close(l.slot);	/* the account may log in again */
		l.slot = -1;
		{
			struct rusage ru;

			getrusage(RUSAGE_SELF, &ru);
			log_info("%s from %s: session ended, %d file(s), %lld"
			    " bytes, max_rss_kib=%ld", l.acct->name, addr,
			    sc.files, sc.uploaded, ru.ru_maxrss);
		}
	} else if (rc == CONN_AUTHFAIL)
		log_warnx("login refused for '%s' from %s: %s (%d attempt(s))",
		    l.user, addr, l.why, l.tries);
	else if (l.acct == NULL)
		log_info("%s: left without logging in", addr);
	if (l.chan != NULL && ssh_is_connected(session)) {
		/* The client ends the connection once the channel is
		 * closed (PuTTY takes a server's disconnect for an
		 * error); a few seconds at most. */
		int i;

		ssh_channel_send_eof(l.chan);
		ssh_channel_close(l.chan);
		ev = ssh_event_new();
		ssh_event_add_session(ev, session);
		for (i = 0; i < 5 && ssh_is_connected(session); i++)
			if (ssh_event_dopoll(ev, 1000) == SSH_ERROR)
				break;
		ssh_event_remove_session(ev, session);
		ssh_event_free(ev);
	}
	alarm(10);
	ssh_disconnect(session);
	ssh_free(session);
	return rc;
}

/* ---- the listener ---- */

static void
addr_string(const struct sockaddr_storage *ss, char *buf, size_t sz)
{
	const void *a = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)sz) == NULL)
		snprintf(buf, sz, "?");
	if (strncmp(buf, "::ffff:", 7) == 0)
		memmove(buf, buf + 7, strlen(buf + 7) + 1);
}

static void
accept_one(const struct conf *conf, ssh_bind bind, int lfd, int *lfds,
    int nl)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];
	struct failure *f;
	size_t k;
	pid_t pid;
	long n;
	int fd, one = 1, i, rp[2];

	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	addr_string(&ss, addr, sizeof(addr));
	if ((f = failure_of(addr, 0)) != NULL && f->banned_until > time(NULL)) {
		log_info("%s: refused: too many failed logins", addr);
		close(fd);
		return;
	}
	if ((long)nchildren >= conf->sftp.max_connections) {
		log_warnx("%s: refused: %zu connections already", addr,
		    nchildren);
		close(fd);
		return;
	}
	if (per_address(addr) >= conf->sftp.max_per_address) {
		log_warnx("%s: refused: %ld connections from it already", addr,
		    conf->sftp.max_per_address);
		close(fd);
		return;
	}
	/* Logins in progress: an address that fills its share is on its
	 * way to a ban; past BEGIN in all, RATE percent (rising to all at
	 * FULL) are dropped at random, so that nobody can hold every slot
	 * and a real client gets in between. */
	if ((n = unauthenticated(addr)) >= conf->sftp.startups_per_address) {
		log_warnx("%s: refused: %ld logins in progress from it"
		    " already", addr, n);
		failure_count(conf, addr, 1);
		close(fd);
		return;
	}
	if ((n = unauthenticated(NULL)) >= conf->sftp.startups_full) {
		log_warnx("%s: refused: %ld logins in progress (max_startups)",
		    addr, n);
		close(fd);
		return;
	}
	if (n >= conf->sftp.startups_begin) {
		long full = conf->sftp.startups_full;
		long begin = conf->sftp.startups_begin;
		long rate = conf->sftp.startups_rate;
		long p = full == begin ? 100 :
		    rate + (100 - rate) * (n - begin) / (full - begin);

		if ((long)arc4random_uniform(100) < p) {
			log_warnx("%s: dropped early: %ld logins in progress"
			    " (max_startups drops %ld%%)", addr, n, p);
			close(fd);
			return;
		}
	}
	log_debug("%s: accepted; %ld logins in progress", addr, n + 1);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (pipe2(rp, O_CLOEXEC) < 0) {
		log_warn("pipe");
		close(fd);
		return;
	}
	if ((pid = fork()) < 0) {
		log_warn("fork");
		close(fd);
		close(rp[0]);
		close(rp[1]);
		return;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (i = 0; i < nl; i++)
			close(lfds[i]);
		for (k = 0; k < nchildren; k++)
			if (children[k].report >= 0)
				close(children[k].report);
		close(rp[0]);
		report_fd = rp[1];
		/* Before the client's first byte. */
		if (jail_login(conf) < 0) {
			log_warnx("%s: cannot confine the connection;"
			    " refused", addr);
			_exit(1);
		}
		_exit(connection(conf, bind, fd, addr));
	}
	close(fd);
	close(rp[1]);
	fcntl(rp[0], F_SETFL, O_NONBLOCK);
	if (nchildren == maxchildren) {
		maxchildren = maxchildren ? maxchildren * 2 : 16;
		children = xrealloc(children, maxchildren * sizeof(*children));
	}
	memset(&children[nchildren], 0, sizeof(children[0]));
	children[nchildren].pid = pid;
	children[nchildren].report = rp[0];
	snprintf(children[nchildren].addr, sizeof(children[0].addr), "%s",
	    addr);
	nchildren++;
}

/* ---- the folders, as root ---- */

/* Give fd (a folder or file in gsftpd's care) to uid:gid, mode. */
static int
give(int fd, const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
		log_warn("%s", path);
		return -1;
	}
	return 0;
}

/* Open DIR (made with mode if missing), a folder and no link. */
static int
open_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		log_warn("%s", path);
		return -1;
	}
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Everything in folder dfd (and its folders, one level) to uid:gid. */
static void
give_contents(int dfd, uid_t uid, gid_t gid, mode_t dirmode, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, sub;

	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			fchownat(dfd, de->d_name, uid, gid,
			    AT_SYMLINK_NOFOLLOW);
		else if (S_ISDIR(st.st_mode) && depth > 0 &&
		    (sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			if (fchown(sub, uid, gid) == 0)
				fchmod(sub, dirmode);
			give_contents(sub, uid, gid, dirmode, depth - 1);
			close(sub);
		}
	}
	closedir(d);
}

/*
 * SPOOL/jobs is spoold's, 0700: gsftpd's user may pass through it (to
 * an account's own job's folder, whose name it knows from spoold) and
 * do nothing else: one POSIX ACL entry, u:USER:--x, written as the
 * kernel's system.posix_acl_access attribute (version 2, entries
 * sorted by tag: user_obj, user, group_obj, mask, other).
 */
static int
allow_search(const char *path, uid_t uid, uid_t owner, gid_t group)
{
	struct acl_entry {
		uint16_t tag, perm;
		uint32_t id;
	} __attribute__((packed));
	struct {
		uint32_t version;
		struct acl_entry e[5];
	} __attribute__((packed)) acl;
	struct stat st;
	int fd;

	if ((fd = open_dir(path, 0700)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (st.st_uid == 0 && owner != 0 &&
	    fchown(fd, owner, group) < 0)) {
		log_warn("%s", path);
		close(fd);
		return -1;
	}
	acl.version = 2;
	acl.e[0] = (struct acl_entry){ 0x01, (st.st_mode >> 6) & 7,
	    (uint32_t)-1 };
	acl.e[1] = (struct acl_entry){ 0x02, 1, (uint32_t)uid };
	acl.e[2] = (struct acl_entry){ 0x04, (st.st_mode >> 3) & 7,
	    (uint32_t)-1 };
	acl.e[3] = (struct acl_entry){ 0x10, ((st.st_mode >> 3) & 7) | 1,
	    (uint32_t)-1 };
	acl.e[4] = (struct acl_entry){ 0x20, st.st_mode & 7, (uint32_t)-1 };
	if (fsetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl), 0) <
	    0) {
		log_warn("%s: cannot let %ld pass through (an ACL)", path,
		    (long)uid);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A missing drop folder is made under a hidden name, given its owner
 * and mode, and only then named: spoold, which watches drop/, never
 * sees it root's. */
static int
new_folder(const char *path, uid_t uid, gid_t gid)
{
	char *tmp, *slash;
	int fd, r = -1;

	if (access(path, F_OK) == 0 || errno != ENOENT)
		return 0;
	slash = strrchr(path, '/');
	tmp = xasprintf("%.*s/.gsftpd-new-%s", (int)(slash - path), path,
	    slash + 1);
	rmdir(tmp);
	if (mkdir(tmp, 0700) < 0 || (fd = open(tmp, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		log_warn("%s", tmp);
	else {
		if (give(fd, tmp, uid, gid, 02770) == 0 && rename(tmp, path) == 0)
			r = 0;
		else
			log_warn("%s", path);
		close(fd);
	}
	if (r < 0)
		rmdir(tmp);
	free(tmp);
	return r;
}

/*
 * The layout gsftpd(8) describes: SPOOL/sftp (host key, session locks)
 * gsftpd's alone, 0700; each account's drop folder gsftpd's user's and
 * spoold's group's, 2770, so that gsftpd writes it and spoold takes
 * its files.  A drop folder that belongs to anybody else (a local
 * user's of the same name) is not taken over.
 */
/* SPOOL/NAME, made if missing (0755) and spoold's if root made it:
 * 0, or -1. */
static int
spools_folder(const struct conf *conf, const char *name, uid_t spool_uid,
    gid_t spool_gid)
{
	struct stat st;
	char *p = xasprintf("%s/%s", conf->spool_dir, name);
	int fd, r = 0;

	if ((fd = open_dir(p, 0755)) < 0 || fstat(fd, &st) < 0)
		r = -1;
	else if (st.st_uid == 0 && spool_uid != 0)
		give(fd, p, spool_uid, spool_gid, 0755);
	if (fd >= 0)
		close(fd);
	free(p);
	return r;
}

static int
prepare(const struct conf *conf, uid_t uid, gid_t gid, uid_t spool_uid,
    gid_t spool_gid)
{
	struct stat st;
	char *p;
	size_t i;
	int fd, bad = 0;

	if ((fd = open_dir(conf->spool_dir, 0755)) < 0)
		return -1;
	close(fd);
	p = xasprintf("%s/sftp", conf->spool_dir);
	if ((fd = open_dir(p, 0700)) < 0 || give(fd, p, uid, gid, 0700) < 0)
		bad = 1;
	else
		give_contents(fd, uid, gid, 0700, 0);
	if (fd >= 0)
		close(fd);
	free(p);
	if (spools_folder(conf, "drop", spool_uid, spool_gid) < 0)
		bad = 1;
	p = xasprintf("%s/jobs", conf->spool_dir);
	if (allow_search(p, uid, spool_uid, spool_gid) < 0)
		bad = 1;
	free(p);
	/* The printers' folder (spoold's filters write there) is made now,
	 * so that a connection's confinement can name it. */
	if (spools_folder(conf, "printers", spool_uid, spool_gid) < 0)
		bad = 1;
	for (i = 0; i < conf->naccounts; i++) {
		p = xasprintf("%s/drop/%s", conf->spool_dir,
		    conf->accounts[i].name);
		if (new_folder(p, uid, spool_gid) < 0)
			bad = 1;
		if ((fd = open_dir(p, 02770)) < 0 || fstat(fd, &st) < 0)
			bad = 1;
		else if (st.st_uid != 0 && st.st_uid != uid &&
		    st.st_uid != spool_uid) {
			log_warnx("[account %s]: %s belongs to uid %ld, neither"
			    " gsftpd's user nor spoold's (a local user's"
			    " folder?): not taken; rename the account",
			    conf->accounts[i].name, p, (long)st.st_uid);
			bad = 1;
		} else if (give(fd, p, uid, spool_gid, 02770) == 0)
			give_contents(fd, uid, spool_gid, 02770, 1);
		else
			bad = 1;
		if (fd >= 0)
			close(fd);
		free(p);
	}
	return bad ? -1 : 0;
}

/* -p: the port bound (listen = ADDRESS:0 lets the system choose one),
 * written whole under its name once listening. */
static int
write_port(const char *path, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char *tmp, buf[16];
	int port, out, r;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(buf, sizeof(buf), "%d\n", port);
	tmp = xasprintf("%s.tmp", path);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0) {
		free(tmp);
		return -1;
	}
	r = write_all(out, buf, strlen(buf));
	if (close(out) < 0 || r < 0 || rename(tmp, path) < 0)
		r = -1;
	free(tmp);
	return r;
}

int
main(int argc, char *argv[])
{
	struct pollfd *pfd;
	size_t maxpfd = MAX_LISTEN;
	struct sigaction sa;
	sigset_t block, none;
	struct conf conf;
	const char *cfile = NULL, *portfile = NULL;
	ssh_bind bind;
	ssh_key key;
	char *dir;
	size_t i;
	int r, ch, check = 0, fg = 0, debug = 0, lfds[MAX_LISTEN], nl, status;
	int yes = 0, prep = 0, root;
	uid_t uid, spool_uid = 0;
	gid_t gid, spool_gid = 0;
	char err[256];
	pid_t pid;

	while ((ch = getopt(argc, argv, "c:dfnPp:")) != -1) {
		switch (ch) {
		case 'P':
			prep = 1;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			fg = 1;
			break;
		case 'n':
			check = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("gsftpd", fg || check ? LOG_TO_STDERR : LOG_TO_SYSLOG, debug);
	if (conf_load(&conf, conf_path(cfile), report, NULL) != 0) {
		conf_free(&conf);
		return 1;
	}
	root = geteuid() == 0;
	if (priv_lookup(conf.sftp.user, &uid, &gid, err, sizeof(err)) < 0)
		fatalx("[sftp] user: %s", err);
	if (uid == 0)
		fatalx("[sftp] user %s is root: gsftpd must not run as root",
		    conf.sftp.user);
	if (root) {
		if (priv_lookup(conf.user, &spool_uid, &spool_gid, err,
		    sizeof(err)) < 0)
			fatalx("[spool] user: %s", err);
		if (spool_uid == uid)
			fatalx("[sftp] user %s is spoold's user: gsftpd must"
			    " have a user of its own", conf.sftp.user);
	} else if (getuid() != uid && !check)
		fatalx("running as uid %ld, not as [sftp] user %s (uid %ld):"
		    " start gsftpd as root or as %s", (long)getuid(),
		    conf.sftp.user, (long)uid, conf.sftp.user);
	if (prep) {
		if (!root)
			fatalx("-P makes the folders of gsftpd's user: only"
			    " root may");
		r = prepare(&conf, uid, gid, spool_uid, spool_gid);
		conf_free(&conf);
		return r < 0 ? 1 : 0;
	}
	if (check) {
		for (i = 0; i < conf.naccounts; i++)
			if (access(conf.accounts[i].keys, R_OK) < 0)
				log_warn("[account %s]: keys = %s",
				    conf.accounts[i].name,
				    conf.accounts[i].keys);
		printf("%s: %zu account(s), listening on %s as %s\n",
		    conf.file, conf.naccounts, conf.sftp.listen,
		    conf.sftp.user);
		conf_free(&conf);
		return 0;
	}
	if (conf.naccounts == 0)
		log_warnx("no [account NAME] in %s: nobody can log in",
		    conf.file);
	if (root) {
		if (prepare(&conf, uid, gid, spool_uid, spool_gid) < 0)
			return 1;
	} else {
		/* Unprivileged: the folders are ours to make (gsftpd -P
		 * makes them as root for a unit that starts us so). */
		if (mkdir_exist_ok(conf.spool_dir, 0755) < 0)
			fatal("%s", conf.spool_dir);
		dir = xasprintf("%s/sftp", conf.spool_dir);
		if (mkdir_exist_ok(dir, 0700) < 0)
			fatal("%s", dir);
		free(dir);
		dir = xasprintf("%s/drop", conf.spool_dir);
		mkdir_exist_ok(dir, 0755);
		free(dir);
		dir = xasprintf("%s/printers", conf.spool_dir);
		mkdir_exist_ok(dir, 0755);
		free(dir);
		for (i = 0; i < conf.naccounts; i++) {
			dir = xasprintf("%s/drop/%s", conf.spool_dir,
			    conf.accounts[i].name);
			if (mkdir_exist_ok(dir, 0750) < 0)
				log_warn("%s", dir);
			free(dir);
		}
	}
	if ((key = host_key(conf.sftp.host_key)) == NULL)
		return 1;
	/* Ours, in gsftpd's folder, so that the unit's unprivileged start
	 * reads it too; a key kept elsewhere is left as it is. */
	dir = xasprintf("%s/sftp/", conf.spool_dir);
	if (root && strncmp(conf.sftp.host_key, dir, strlen(dir)) == 0 &&
	    strchr(conf.sftp.host_key + strlen(dir), '/') == NULL &&
	    lchown(conf.sftp.host_key, uid, gid) < 0)
		log_warn("%s", conf.sftp.host_key);
	free(dir);
	if ((bind = ssh_bind_new()) == NULL)
		fatalx("libssh: cannot make a listener");
	ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &yes);
	if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) < 0)
		fatalx("libssh: %s", ssh_get_error(bind));
	if ((nl = listen_on(conf.sftp.listen, lfds, MAX_LISTEN)) < 0)
		return 1;
	/* Signals are taken only inside ppoll(): a child's end is never
	 * missed between waitpid() and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &none);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pfd = xcalloc(maxpfd, sizeof(*pfd));
	for (i = 0; i < (size_t)nl; i++) {
		pfd[i].fd = lfds[i];
		pfd[i].events = POLLIN;
	}
	log_info("listening on %s with %zu account(s)", conf.sftp.listen,
	    conf.naccounts);
	if (portfile != NULL && write_port(portfile, lfds[0]) < 0)
		fatal("%s", portfile);
	if (root) {
		if (priv_drop(conf.sftp.user, err, sizeof(err)) < 0)
			fatalx("cannot become %s: %s", conf.sftp.user, err);
		log_info("running as %s (uid %ld)", conf.sftp.user, (long)uid);
	}
	for (i = 0; i < conf.naccounts; i++)
		sftp_sweep(&conf, &conf.accounts[i]);
	tzset();
	if (jail_abi() > 0)
		log_info("connections confined by Landlock (ABI %d)",
		    jail_abi());
	else
		log_warnx("the kernel offers no Landlock: connections are"
		    " confined by file permissions alone");
	while (!quit) {
		size_t np = (size_t)nl;

		if (np + nchildren > maxpfd) {
			maxpfd = np + nchildren + 16;
			pfd = xrealloc(pfd, maxpfd * sizeof(*pfd));
		}
		for (i = 0; i < nchildren; i++)
			if (children[i].report >= 0) {
				pfd[np].fd = children[i].report;
				pfd[np].events = POLLIN;
				np++;
			}
		r = ppoll(pfd, (nfds_t)np, NULL, &none);
		if (r > 0)
			for (i = 0; i < nchildren; i++)
				child_read(&children[i]);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			child_ended(&conf, pid, status);
		if (r <= 0)
			continue;
		for (i = 0; i < (size_t)nl; i++)
			if (pfd[i].revents & POLLIN)
				accept_one(&conf, bind, lfds[i], lfds, nl);
	}
	log_info("stopping; %zu connection(s) go on to their end", nchildren);
	for (i = 0; i < (size_t)nl; i++)
		close(lfds[i]);
	ssh_bind_free(bind);
	conf_free(&conf);
	free(children);
	free(pfd);
	return 0;
}
