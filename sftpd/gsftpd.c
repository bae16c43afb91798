/*
 * gsftpd - the SFTP drop server (gsftpd(8)): the listener.
 *
 * One listening process that only accepts, counts and forks: each
 * connection gets a process of its own (libssh blocks, and a stalled
 * client must stall nobody else), which session.c runs.  Its loop is
 * libgspool's (event.h): the listening sockets, each connection's
 * report pipe, and SIGCHLD, SIGTERM and SIGINT read from the loop's
 * signal descriptor, which a connection's process closes first.  Started as
 * root, gsftpd makes its folders (folders.c), binds and reads its host
 * key, then becomes its own user ([sftp] user) for good.  Logins in
 * progress are bounded in all and per address, with early random drops
 * as OpenSSH's MaxStartups; every failed login is told to the listener
 * as it happens, on the connection's report pipe, so that it is logged
 * and counted however the connection ends.
 *
 * Security: the listener reads no byte a client sends.  What it reads
 * from a connection's process is a line per event ("A", "F WHAT",
 * "E WHY"), bounded by its buffer: a longer line is dropped, an
 * unknown one ignored; the process may be in the hands of a client
 * that broke it, so nothing it says raises its rights, and a ban or a
 * refusal needs no word from it (the exit status and the listener's
 * own counts suffice).  Addresses are remembered in a fixed table
 * (MAX_TRACKED, the oldest forgotten first), so a flood of addresses
 * costs no memory.
 *
 * Diagnostics: every refused connection is logged with its address
 * and the limit it met; every failed login once, when its connection
 * ends, with its attempts and why it ended; a ban with the count that
 * earned it.  Start-up errors name the setting (fatal, exit 1).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "gsftpd.h"
#include "log.h"
#include "priv.h"
#include "usage.h"
#include "util.h"

#define MAX_LISTEN	4
#define MAX_TRACKED	1024		/* addresses remembered for bans */


/* A connection's process, and what it told of its login (a line per
 * event on its report pipe: "A" logged in, "F WHAT" an attempt
 * refused, "E WHY" the login given up). */
struct child {
	pid_t	 pid;
	char	 addr[INET6_ADDRSTRLEN];
	int	 report;		/* the pipe's reading end, or -1 */
	struct ev_io *io;		/* the loop's watch on it */
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
static struct ev_loop *loop;
static struct failure failures[MAX_TRACKED];

static const char help[] =
"usage: gsftpd [-dfhnP] [-c config] [-p portfile]\n"
"       gsftpd --version\n"
"  -c config            read this configuration file\n"
"  -d                   debug messages\n"
"  -f                   stay in the foreground, log to standard error\n"
"  -h, --help           print this help and exit\n"
"  -n                   check the configuration and exit\n"
"  -P                   as root: make or repair the folders, then exit\n"
"  -p portfile          write the port listened on to portfile\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(2, NULL);
}

static void
report(const char *msg, void *arg)
{
	(void)arg;
	log_warnx("%s", msg);
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

static void
child_close(struct child *c)
{
	if (c->report < 0)
		return;
	ev_io_del(c->io);
	c->io = NULL;
	close(c->report);
	c->report = -1;
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
			if (n == 0 || errno != EAGAIN)
				child_close(c);
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
	child_close(c);
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

/* The loop's callbacks: a connection's report pipe (its pid the arg,
 * as the table moves), a child's end, a request to stop. */
static void
on_report(int fd, int revents, void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	size_t i;

	(void)fd;
	(void)revents;
	for (i = 0; i < nchildren; i++)
		if (children[i].pid == pid) {
			child_read(&children[i]);
			return;
		}
}

static void
on_sigchld(int signo, void *arg)
{
	const struct conf *conf = arg;
	pid_t pid;
	int status;

	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		child_ended(conf, pid, status);
}

static void
on_stop(int signo, void *arg)
{
	(void)signo;
	(void)arg;
	ev_break(loop);
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
		ev_loop_free(loop);	/* its signal descriptor */
		/* Before the client's first byte. */
		if (jail_login(conf) < 0) {
			log_warnx("%s: cannot confine the connection;"
			    " refused", addr);
			_exit(1);
		}
		_exit(sftp_connection(conf, bind, fd, addr, rp[1]));
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
	children[nchildren].io = ev_io_add(loop, rp[0], EV_READ, on_report,
	    (void *)(intptr_t)pid);
	snprintf(children[nchildren].addr, sizeof(children[0].addr), "%s",
	    addr);
	nchildren++;
}


/* The listening sockets, for their callback. */
struct listener {
	const struct conf *conf;
	ssh_bind	 bind;
	int		*lfds;
	int		 nl;
};

static void
on_listen(int fd, int revents, void *arg)
{
	struct listener *ls = arg;

	(void)revents;
	accept_one(ls->conf, ls->bind, fd, ls->lfds, ls->nl);
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
	struct listener ls;
	struct conf conf;
	const char *cfile = NULL, *portfile = NULL;
	ssh_bind bind;
	ssh_key key;
	char *dir;
	size_t i;
	int r, ch, check = 0, fg = 0, debug = 0, lfds[MAX_LISTEN], nl;
	int yes = 0, prep = 0, root;
	uid_t uid, spool_uid = 0;
	gid_t gid, spool_gid = 0;
	char why[256];

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gsftpd", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "c:dfhnPp:", longopts, NULL)) !=
	    -1) {
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
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage();
		}
	}
	if (optind != argc)
		usage_error(2, "'%s': gsftpd takes no arguments",
		    argv[optind]);
	log_init("gsftpd", fg || check ? LOG_TO_STDERR : LOG_TO_SYSLOG, debug);
	if (conf_load(&conf, conf_path(cfile), report, NULL) != 0) {
		conf_free(&conf);
		return 1;
	}
	root = geteuid() == 0;
	if (priv_lookup(conf.sftp.user, &uid, &gid, why, sizeof(why)) < 0)
		fatalx("[sftp] user: %s", why);
	if (uid == 0)
		fatalx("[sftp] user %s is root: gsftpd must not run as root",
		    conf.sftp.user);
	if (root) {
		if (priv_lookup(conf.user, &spool_uid, &spool_gid, why,
		    sizeof(why)) < 0)
			fatalx("[spool] user: %s", why);
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
		r = sftp_prepare(&conf, uid, gid, spool_uid, spool_gid);
		conf_free(&conf);
		return r < 0 ? 1 : 0;
	}
	if (check) {
		for (i = 0; i < conf.naccounts; i++)
			if (conf.accounts[i].keys != NULL &&
			    access(conf.accounts[i].keys, R_OK) < 0)
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
		if (sftp_prepare(&conf, uid, gid, spool_uid, spool_gid) < 0)
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
	/* The loop reads the signals from its descriptor: a child's end
	 * is never missed between waitpid() and the wait. */
	loop = ev_loop_new();
	if (ev_signal(loop, SIGCHLD, on_sigchld, &conf) < 0 ||
	    ev_signal(loop, SIGTERM, on_stop, NULL) < 0 ||
	    ev_signal(loop, SIGINT, on_stop, NULL) < 0)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);
	ls.conf = &conf;
	ls.bind = bind;
	ls.lfds = lfds;
	ls.nl = nl;
	for (i = 0; i < (size_t)nl; i++)
		ev_io_add(loop, lfds[i], EV_READ, on_listen, &ls);
	log_info("listening on %s with %zu account(s)", conf.sftp.listen,
	    conf.naccounts);
	if (portfile != NULL && write_port(portfile, lfds[0]) < 0)
		fatal("%s", portfile);
	if (root) {
		if (priv_drop(conf.sftp.user, why, sizeof(why)) < 0)
			fatalx("cannot become %s: %s", conf.sftp.user, why);
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
	if (ev_run(loop) < 0)
		fatal("poll");
	log_info("stopping; %zu connection(s) go on to their end", nchildren);
	for (i = 0; i < (size_t)nl; i++)
		close(lfds[i]);
	ssh_bind_free(bind);
	ev_loop_free(loop);
	conf_free(&conf);
	free(children);
	return 0;
}
