/*
 * gwebd - the web view and HTTP API (gwebd(8)): the listeners.
 *
 * Each address of [web] listen (up to 16, each with whom readers
 * without a key are there) has a libmicrohttpd daemon of its own; the
 * request handlers see which one a request came to.
 * libmicrohttpd serves every connection in a thread of its own (a
 * request that asks spoold, or an event stream that waits for the
 * queue to change, stalls nobody else), within the limits of [web]:
 * connections in all and per address, an idle timeout, the memory of
 * a request's headers.  Started as root, gwebd binds its address and
 * reads its TLS certificate and key, then becomes its own user ([web]
 * user) for good; it holds no state that could be lost (sessions are
 * logins the page makes again).  SIGTERM and SIGINT are blocked in
 * every thread and awaited in the main one.
 *
 * Security: gwebd listens on loopback unless told otherwise, and
 * refuses an address off loopback without TLS unless [web] insecure =
 * yes.  What requests may do is http.c's and spoold's to decide.
 *
 * Diagnostics: start-up errors name the setting (fatal, exit 1); each
 * refused connection is logged by the part that refused it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gwebd.h"
#include "log.h"
#include "priv.h"
#include "usage.h"
#include "util.h"

#define PEM_MAX		(256 * 1024)

struct web *web_global;

static const char help[] =
"usage: gwebd [-dfhn] [-c config] [-p portfile]\n"
"       gwebd --version\n"
"  -c config            read this configuration file\n"
"  -d                   debug messages\n"
"  -f                   stay in the foreground, log to standard error\n"
"  -h, --help           print this help and exit\n"
"  -n                   check the configuration and exit\n"
"  -p portfile          write the ports listened on to portfile\n"
"  --version            print the version and exit\n";

static void
report(const char *msg, void *arg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static int
is_loopback(const struct sockaddr *sa)
{
	const struct in6_addr *a6;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) &&
		    a6->s6_addr[12] == 127);
	}
	return 0;
}

/* "PORT", "ADDRESS:PORT", "[ADDRESS]:PORT" or "*:PORT" (its form
 * checked by conf.c): the socket,
 * listening; *loop set if it is on loopback.  A bare PORT is
 * loopback's. */
static int
listen_on(const char *spec, int *loop)
{
	struct addrinfo hints, *res;
	char host[256], port[32];
	const char *colon, *end;
	int fd, one = 1, r;

	snprintf(host, sizeof(host), "127.0.0.1");
	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':' ||
		    (size_t)(end - spec - 1) >= sizeof(host))
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
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port,
	    &hints, &res)) != 0) {
		log_warnx("%s:%u: [web] listen: %s: %s", web_global->conf.file,
		    conf_line(&web_global->conf, "web", NULL, "listen"), spec,
		    gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 64) < 0) {
		log_warn("%s:%u: [web] listen: %s", web_global->conf.file,
		    conf_line(&web_global->conf, "web", NULL, "listen"), spec);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	*loop = is_loopback(res->ai_addr);
	freeaddrinfo(res);
	return fd;
bad:
	log_warnx("[web] listen = %s: expected PORT, ADDRESS:PORT or"
	    " [ADDRESS]:PORT", spec);
	return -1;
}

/* The port of each listener, one a line, in [web] listen's order;
 * written aside and renamed, so that a reader sees all or nothing. */
static int
write_ports(const char *path, const struct web *w)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char tmp[4096];
	int i, port;
	FILE *fp;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fp = fopen(tmp, "we")) == NULL)
		return -1;
	for (i = 0; i < w->nlisteners; i++) {
		len = sizeof(ss);
		if (getsockname(w->listeners[i].fd, (struct sockaddr *)&ss,
		    &len) < 0) {
			fclose(fp);
			return -1;
		}
		port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)
		    &ss)->sin6_port) : ntohs(((struct sockaddr_in *)&ss)->
		    sin_port);
		fprintf(fp, "%d\n", port);
	}
	if (fclose(fp) != 0)
		return -1;
	return rename(tmp, path);
}

/* A PEM file, read while still root, bounded by PEM_MAX. */
static char *
read_pem(const char *key, const char *path)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		fatal("[web] %s = %s", key, path);
	buf = xcalloc(1, PEM_MAX + 1);
	while ((n = read(fd, buf + len, PEM_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		fatal("[web] %s = %s", key, path);
	if (len == PEM_MAX)
		fatalx("[web] %s = %s: over %d bytes", key, path, PEM_MAX);
	close(fd);
	return buf;
}

static void
mhd_panic(void *cls, const char *file, unsigned line, const char *reason)
{
	(void)cls;
	fatalx("libmicrohttpd: %s:%u: %s", file, line, reason ? reason : "");
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", buf);
}

static struct MHD_Daemon *
start(struct listener *l, char *cert, char *key)
{
	struct web *w = l->w;
	int lfd = l->fd;
	const struct conf_web *c = &w->conf.web;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
	    MHD_USE_DUAL_STACK;

	MHD_set_panic_func(mhd_panic, NULL);
	if (w->tls)
		flags |= MHD_USE_TLS;
	if (w->tls)
		return MHD_start_daemon(flags, 0, NULL, NULL, http_access, l,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
		    MHD_OPTION_LISTEN_SOCKET, lfd,
		    MHD_OPTION_NOTIFY_COMPLETED, http_done, w,
		    MHD_OPTION_NOTIFY_CONNECTION, sweep_notify, w,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		    (unsigned)c->max_per_address,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)c->max_header,
		    MHD_OPTION_HTTPS_MEM_CERT, cert,
		    MHD_OPTION_HTTPS_MEM_KEY, key,
		    MHD_OPTION_END);
	return MHD_start_daemon(flags, 0, NULL, NULL, http_access, l,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
	    MHD_OPTION_LISTEN_SOCKET, lfd,
	    MHD_OPTION_NOTIFY_COMPLETED, http_done, w,
	    MHD_OPTION_NOTIFY_CONNECTION, sweep_notify, w,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)c->max_per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)c->max_header,
	    MHD_OPTION_END);
}

int
main(int argc, char *argv[])
{
	static struct web w;
	const char *cfile = NULL, *portfile = NULL, *t;
	struct listener *l;
	char why[256], *cert = NULL, *key = NULL;
	sigset_t set;
	uid_t uid;
	gid_t gid;
	int ch, check = 0, fg = 0, debug = 0, i, sig;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gwebd", LOG_TO_STDERR, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);	/* before any thread */
	while ((ch = getopt_long(argc, argv, "c:dfhnp:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
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
		case 'p':
			portfile = optarg;
			break;
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage_error(2, NULL);
		}
	}
	if (optind != argc)
		usage_error(2, "'%s': gwebd takes no arguments", argv[optind]);
	log_init("gwebd", fg || check ? LOG_TO_STDERR : LOG_TO_SYSLOG, debug);
	if (conf_load(&w.conf, conf_path(cfile), report, NULL) != 0) {
		conf_free(&w.conf);
		return 1;
	}
	web_global = &w;
	if (priv_lookup(w.conf.web.user, &uid, &gid, why, sizeof(why)) < 0)
		fatalx("[web] user: %s", why);
	if (uid == 0)
		fatalx("[web] user %s is root: gwebd must not run as root",
		    w.conf.web.user);
	if (geteuid() != 0 && getuid() != uid && !check)
		fatalx("running as uid %ld, not as [web] user %s (uid %ld):"
		    " start gwebd as root or as %s", (long)getuid(),
		    w.conf.web.user, (long)uid, w.conf.web.user);
	w.tls = w.conf.web.tls_cert != NULL;
	if (check) {
		printf("%s: %zu account(s), listening on %s%s as %s\n",
		    w.conf.file, w.conf.naccounts, w.conf.web.listen,
		    w.tls ? " with TLS" : "", w.conf.web.user);
		conf_free(&w.conf);
		return 0;
	}
	for (i = 0; i < w.conf.web.nlistens; i++) {
		l = &w.listeners[w.nlisteners];
		l->w = &w;
		l->cl = &w.conf.web.listens[i];
		if ((l->fd = listen_on(l->cl->addr, &l->loopback)) < 0)
			return 1;
		w.nlisteners++;
		if (!l->loopback && !w.tls && !w.conf.web.insecure)
			fatalx("[web] listen: %s is off loopback: give"
			    " tls_cert and tls_key, or insecure = yes behind a"
			    " proxy that gives TLS (gwebd(8))", l->cl->addr);
	}
	if (w.tls) {
		cert = read_pem("tls_cert", w.conf.web.tls_cert);
		key = read_pem("tls_key", w.conf.web.tls_key);
	}
	if (portfile != NULL && write_ports(portfile, &w) < 0)
		fatal("%s", portfile);
	if (geteuid() == 0) {
		if (priv_drop(w.conf.web.user, why, sizeof(why)) < 0)
			fatalx("cannot become %s: %s", w.conf.web.user, why);
		log_info("running as %s (uid %ld)", w.conf.web.user,
		    (long)uid);
	}
	w.tmpdir = xstrdup((t = getenv("TMPDIR")) != NULL && t[0] == '/' ?
	    t : "/var/tmp");
	pthread_mutex_init(&w.lock, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (sweep_start(&w) < 0)
		fatal("the sweep of slow headers");
	for (i = 0; i < w.nlisteners; i++) {
		l = &w.listeners[i];
		if ((l->d = start(l, cert, key)) == NULL)
			fatalx("libmicrohttpd could not start on %s",
			    l->cl->addr);
		log_info("listening on %s%s%s%s with %zu account(s)",
		    l->cl->addr, w.tls ? " with TLS" : "",
		    l->cl->anon == ANON_ACCOUNT ? ", anonymous readers as " :
		    "", l->cl->anon == ANON_ACCOUNT ? l->cl->account : "",
		    w.conf.naccounts);
	}
	while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	log_info("stopping on signal %d", sig);
	w.stopping = 1;
	relay_stop();
	sweep_stop();
	for (i = 0; i < w.nlisteners; i++) {
		MHD_stop_daemon(w.listeners[i].d);
		close(w.listeners[i].fd);
	}
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(cert);
	free(key);
	free(w.tmpdir);
	conf_free(&w.conf);
	return 0;
}
