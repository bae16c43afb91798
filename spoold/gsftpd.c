/*
 * gsftpd - the SFTP drop server (gsftpd(8)).
 *
 * One listening process, unprivileged, that only accepts, counts and
 * forks: each connection gets a process of its own (libssh blocks, and
 * a stalled client must stall nobody else) with a login grace time, a
 * memory limit and a watchdog.  Accounts are virtual ([account NAME] in
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "util.h"

#define MAX_LISTEN	4
#define MAX_TRACKED	1024		/* addresses remembered for bans */

/* Exit codes of a connection's process, read by the listener. */
#define CONN_OK		0
#define CONN_AUTHFAIL	3		/* tried to log in and failed */

static volatile sig_atomic_t quit;

struct child {
	pid_t	 pid;
	char	 addr[INET6_ADDRSTRLEN];
};

struct failure {
	char	 addr[INET6_ADDRSTRLEN];
	int	 count;
	time_t	 first, banned_until;
};

static struct child *children;
static size_t nchildren, maxchildren;
static struct failure failures[MAX_TRACKED];

static void
usage(void)
{
	fprintf(stderr, "usage: gsftpd [-dfn] [-c config] [-p portfile]\n");
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

static void
child_ended(const struct conf *conf, pid_t pid, int status)
{
	struct failure *f;
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i].pid == pid)
			break;
	if (i == nchildren)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == CONN_AUTHFAIL) {
		f = failure_of(children[i].addr, 1);
		if (now - f->first > conf->sftp.ban_time) {
			f->first = now;
			f->count = 0;
		}
		if (++f->count >= conf->sftp.max_auth_failures &&
		    f->banned_until <= now) {
			f->banned_until = now + conf->sftp.ban_time;
			log_warnx("%s: %d failed logins; refused for %lds",
			    f->addr, f->count, conf->sftp.ban_time);
		}
	}
	log_debug("%s: connection ended, %zu left", children[i].addr,
	    nchildren - 1);
	children[i] = children[--nchildren];
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

struct login {
	const struct conf	   *conf;
	const char		   *addr;
	const struct conf_account  *acct;	/* once logged in */
	ssh_channel		    chan;
	int			    sftp;	/* subsystem asked for */
	int			    tries;	/* failed attempts */
	char			    user[64];	/* the last name tried */
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
		/* A client offers its keys in turn; each refused one
		 * counts, as OpenSSH's MaxAuthTries does. */
		l->tries++;
		snprintf(l->user, sizeof(l->user), "%s", user);
		l->why = a == NULL ? "no such account" : "key not authorized";
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
	log_info("%s logged in from %s", a->name, l->addr);
	return SSH_AUTH_SUCCESS;
}

static int
auth_password(ssh_session session, const char *user, const char *password,
    void *arg)
{
	struct login *l = arg;

	(void)session;
	(void)password;
	l->tries++;
	snprintf(l->user, sizeof(l->user), "%s", user);
	l->why = "a password (keys only)";
	log_warnx("password login refused for '%.64s' from %s: keys only",
	    user, l->addr);
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
		log_info("%s: key exchange failed: %s", addr,
		    ssh_get_error(session));
		ssh_disconnect(session);
		ssh_free(session);
		return 1;
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
			break;
		}
	}
	ssh_event_remove_session(ev, session);
	ssh_event_free(ev);
	if (l.acct != NULL && l.chan != NULL && l.sftp) {
		alarm(0);
		memset(&sc, 0, sizeof(sc));
		sc.conf = conf;
		sc.acct = l.acct;
		sc.addr = addr;
		sc.ctl = -1;
		path = xasprintf("%s/drop/%s", conf->spool_dir, l.acct->name);
		mkdir_exist_ok(path, 0750);
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
	pid_t pid;
	int fd, one = 1, i;

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
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((pid = fork()) < 0) {
		log_warn("fork");
		close(fd);
		return;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (i = 0; i < nl; i++)
			close(lfds[i]);
		_exit(connection(conf, bind, fd, addr));
	}
	close(fd);
	if (nchildren == maxchildren) {
		maxchildren = maxchildren ? maxchildren * 2 : 16;
		children = xrealloc(children, maxchildren * sizeof(*children));
	}
	children[nchildren].pid = pid;
	snprintf(children[nchildren].addr, sizeof(children[0].addr), "%s",
	    addr);
	nchildren++;
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
	struct pollfd pfd[MAX_LISTEN];
	struct sigaction sa;
	sigset_t block, none;
	struct conf conf;
	const char *cfile = NULL, *portfile = NULL;
	ssh_bind bind;
	ssh_key key;
	char *dir;
	size_t i;
	int ch, check = 0, fg = 0, debug = 0, lfds[MAX_LISTEN], nl, status;
	int yes = 0;
	pid_t pid;

	while ((ch = getopt(argc, argv, "c:dfnp:")) != -1) {
		switch (ch) {
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
	if (check) {
		for (i = 0; i < conf.naccounts; i++)
			if (access(conf.accounts[i].keys, R_OK) < 0)
				log_warn("[account %s]: keys = %s",
				    conf.accounts[i].name,
				    conf.accounts[i].keys);
		printf("%s: %zu account(s), listening on %s\n", conf.file,
		    conf.naccounts, conf.sftp.listen);
		conf_free(&conf);
		return 0;
	}
	if (conf.naccounts == 0)
		log_warnx("no [account NAME] in %s: nobody can log in",
		    conf.file);
	if (mkdir_exist_ok(conf.spool_dir, 0755) < 0)
		fatal("%s", conf.spool_dir);
	dir = xasprintf("%s/sftp", conf.spool_dir);
	if (mkdir_exist_ok(dir, 0700) < 0)
		fatal("%s", dir);
	free(dir);
	dir = xasprintf("%s/drop", conf.spool_dir);
	mkdir_exist_ok(dir, 0755);
	free(dir);
	if ((key = host_key(conf.sftp.host_key)) == NULL)
		return 1;
	for (i = 0; i < conf.naccounts; i++)
		sftp_sweep(&conf, &conf.accounts[i]);
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
	for (i = 0; i < (size_t)nl; i++) {
		pfd[i].fd = lfds[i];
		pfd[i].events = POLLIN;
	}
	log_info("listening on %s with %zu account(s)", conf.sftp.listen,
	    conf.naccounts);
	if (portfile != NULL && write_port(portfile, lfds[0]) < 0)
		fatal("%s", portfile);
	while (!quit) {
		int r = ppoll(pfd, (nfds_t)nl, NULL, &none);

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
	return 0;
}
