/*
 * remote.c - the client side of gsftpd's tree, with libssh.
 *
 * Security: the other host must be known: its key is checked against
 * ~/.ssh/known_hosts, and an unknown or changed key ends the connection
 * before anything is sent.  What it sends is read in CHUNK pieces and
 * taken as JSON only if jansson parses it whole, and no JSON file of
 * more than JSON_MAX bytes.  A daemon's connection (remote_connect())
 * reads the key and known_hosts files it is given and nothing of
 * ~/.ssh or ssh_config.
 *
 * An upload keeps up to WRITE_DEPTH writes of WRITE_LEN bytes in
 * flight, as OpenSSH's sftp does, rather than waiting for each answer
 * (libssh 0.10's sftp_write() does, and has no asynchronous write):
 * a round trip per write is what a slow link pays most for.  The
 * writes are packets of libssh's own SFTP session, on its channel, with
 * its handle and its request numbers (the structures sftp.h declares),
 * sent, and their answers read whole, between two of libssh's calls, so
 * that libssh never meets a packet it did not ask for (libssh 0.11's
 * sftp_aio_begin_write() is the same without them).  WRITE_LEN keeps
 * a packet within the 256 KiB OpenSSH's server takes, and what is in
 * flight within the window libssh's server grants (1.28 MB), so a
 * write never waits for the window; memory is one write's buffer.  The
 * first refused write gives the reason; the rest in flight are awaited
 * and the handle closed, which the server refuses to commit.  An
 * upload that fails on this side (the file unreadable, or not the size
 * it had) is never closed: the connection is dropped, which the server
 * takes as an unfinished upload and discards, where a CLOSE would have
 * committed a part.
 *
 * Every other request of a daemon's connection is bounded too, by a
 * timer (guard_begin()): libssh 0.10's SSH_OPTIONS_TIMEOUT bounds each
 * wait for the channel, but sftp_read(), sftp_stat(), sftp_close() and
 * the rest wait again after one that timed out, for ever on a host
 * that stopped answering, and libssh offers no non-blocking SFTP
 * request but its reads.  When the timer fires, the socket is shut
 * down under libssh: its wait ends, the call fails, and the connection
 * counts as dropped (remote_connected()).  SIGALRM is the timer's:
 * nothing else in a backend uses it.  The lpr-tools' connections
 * (remote_open()) have no timeout: their user can interrupt them.
 *
 * Diagnostics: a host key refused is reported with its fingerprint and
 * what to do; every SFTP failure with the path and libssh's reason, or
 * the server's reason for the first write it refused; a host that does
 * not answer a request within the connection's timeout (remote_connect())
 * is named so, with the request, and the connection dropped.  The
 * reasons of a daemon's connection do not name the host: its caller
 * does, once.
 *
 * Several hosts (remote_queues()) are asked side by side, each by a
 * process of its own, since libssh blocks: the process connects, reads
 * queue.json and writes it back on a pipe, its errors on another; one
 * that has not answered when the time is up is killed, so that a host
 * that accepts and then says nothing costs the time given, no more.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "log.h"
#include "remote.h"
#include "util.h"

#define CHUNK	(32 * 1024)	/* bytes of one SFTP read */
#define WRITE_LEN	(64 * 1024)	/* bytes of one SFTP write */
#define WRITE_DEPTH	16		/* writes in flight, at most */
#define ANSWER_LEN	(64 * 1024)	/* bytes of the answer to a write */

struct remote {
	ssh_session	 s;
	sftp_session	 sftp;
	char		 host[300];
	long		 timeout_ms;	/* for an answer; 0 waits */
	int		 dead;		/* a request went unanswered */
	char		 why[512];	/* the last upload's reason */
	char		 dead_why[128];	/* which, and how long it was */
};

static volatile sig_atomic_t guard_fd = -1;	/* the socket guarded */
static volatile sig_atomic_t guard_fired;

static void
guard_alarm(int sig)
{
	(void)sig;
	if (guard_fd >= 0)
		shutdown(guard_fd, SHUT_RDWR);	/* async-signal-safe */
	guard_fired = 1;
}

/* The timer over one of libssh's blocking calls on a daemon's
 * connection (nothing on one without a timeout). */
static void
guard_begin(struct remote *r)
{
	struct sigaction sa;
	struct itimerval it;

	if (r->timeout_ms <= 0 || r->s == NULL || ssh_get_fd(r->s) < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guard_alarm;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: libssh's poll ends with EINTR as well. */
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		fatal("sigaction");
	guard_fired = 0;
	guard_fd = ssh_get_fd(r->s);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = r->timeout_ms / 1000;
	it.it_value.tv_usec = (r->timeout_ms % 1000) * 1000;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		fatal("setitimer");
}

/* The timer stopped: -1 with r->why naming the request if it fired
 * (the connection is then dropped), else 0. */
static int
guard_end(struct remote *r, const char *req)
{
	struct itimerval it;

	if (guard_fd < 0)
		return 0;
	memset(&it, 0, sizeof(it));
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		fatal("setitimer");
	guard_fd = -1;
	if (!guard_fired)
		return 0;
	guard_fired = 0;
	r->dead = 1;
	snprintf(r->dead_why, sizeof(r->dead_why), "no answer to SFTP %s"
	    " within %ld s; the connection is dropped", req,
	    r->timeout_ms / 1000);
	snprintf(r->why, sizeof(r->why), "%s", r->dead_why);
	return -1;
}

static int
host_known(struct remote *r)
{
	unsigned char *hash = NULL;
	ssh_key key = NULL;
	size_t hlen;
	char *fp = NULL;
	enum ssh_known_hosts_e k;

	if (ssh_get_server_publickey(r->s, &key) == SSH_OK &&
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) == SSH_OK)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		    hlen);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	k = ssh_session_is_known_server(r->s);
	switch (k) {
	case SSH_KNOWN_HOSTS_OK:
		ssh_string_free_char(fp);
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		log_warnx("%s: THE HOST KEY HAS CHANGED (now %s): someone may"
		    " be in between; refusing.  If the server's key was"
		    " changed on purpose, replace its line in"
		    " ~/.ssh/known_hosts", r->host, fp ? fp : "?");
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		log_warnx("%s: unknown host key %s; check it against the"
		    " server's (gsftpd(8) says how), then add it to"
		    " ~/.ssh/known_hosts, e.g. with ssh-keyscan", r->host,
		    fp ? fp : "?");
		break;
	default:
		log_warnx("%s: cannot check the host key: %s", r->host,
		    ssh_get_error(r->s));
		break;
	}
	ssh_string_free_char(fp);
	return -1;
}

struct remote *
remote_open(const char *spec)
{
	struct remote *r = xcalloc(1, sizeof(*r));
	char buf[300], *host = buf, *at, *colon, *user = NULL;
	const char *home;
	unsigned port = 0;
	long v;

	snprintf(buf, sizeof(buf), "%s", spec);
	if ((at = strrchr(buf, '@')) != NULL) {
		*at = '\0';
		user = buf;
		host = at + 1;
	}
	if (host[0] == '[' && (colon = strchr(host, ']')) != NULL) {
		*colon++ = '\0';
		host++;
		colon = *colon == ':' ? colon : NULL;
	} else if ((colon = strchr(host, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL)
		colon = NULL;	/* a bare IPv6 address */
	if (colon != NULL) {
		*colon++ = '\0';
		if (parse_long(colon, 1, 65535, &v) < 0) {
			log_warnx("-H %s: '%s' is not a port", spec, colon);
			free(r);
			return NULL;
		}
		port = (unsigned)v;
	}
	if (*host == '\0') {
		log_warnx("-H %s: no host", spec);
		free(r);
		return NULL;
	}
	snprintf(r->host, sizeof(r->host), "%s", host);
	if ((r->s = ssh_new()) == NULL)
		fatalx("libssh: out of memory");
	ssh_options_set(r->s, SSH_OPTIONS_HOST, host);
	/* ~ is $HOME, as for the shell (libssh would take the password
	 * database's home). */
	if ((home = getenv("HOME")) != NULL && home[0] == '/') {
		char *dir = xasprintf("%s/.ssh", home);

		ssh_options_set(r->s, SSH_OPTIONS_SSH_DIR, dir);
		free(dir);
	}
	ssh_options_parse_config(r->s, NULL);
	if (port)
		ssh_options_set(r->s, SSH_OPTIONS_PORT, &port);
	if (user)
		ssh_options_set(r->s, SSH_OPTIONS_USER, user);
	if (ssh_connect(r->s) != SSH_OK) {
		log_warnx("%s: %s", spec, ssh_get_error(r->s));
		goto fail;
	}
	if (host_known(r) < 0)
		goto fail;
	if (ssh_userauth_publickey_auto(r->s, NULL, NULL) !=
	    SSH_AUTH_SUCCESS) {
		log_warnx("%s: none of your keys (agent, ~/.ssh) is accepted"
		    " for this account", spec);
		goto fail;
	}
	if ((r->sftp = sftp_new(r->s)) == NULL || sftp_init(r->sftp) !=
	    SSH_OK) {
		log_warnx("%s: no SFTP: %s", spec, ssh_get_error(r->s));
		goto fail;
	}
	return r;
fail:
	remote_close(r);
	return NULL;
}

struct remote *
remote_connect(const char *host, unsigned port, const char *user,
    const char *keyfile, const char *known_hosts, long timeout_s,
    char *why, size_t whysz, int *reached)
{
	struct remote *r = xcalloc(1, sizeof(*r));
	ssh_key key = NULL;
	long t = timeout_s > 0 ? timeout_s : 10;
	int no = 0, yes = 1;
	enum ssh_known_hosts_e k;

	*reached = 0;
	r->timeout_ms = t * 1000;
	snprintf(r->host, sizeof(r->host), "%s:%u", host, port);
	if ((r->s = ssh_new()) == NULL)
		fatalx("libssh: out of memory");
	/* Nothing from this user's ~/.ssh or the system's ssh_config:
	 * only the files the configuration names. */
	if (ssh_options_set(r->s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_HOST, host) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_USER, user) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_KNOWNHOSTS, known_hosts) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
	    known_hosts) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &yes) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_TIMEOUT, &t) < 0) {
		snprintf(why, whysz, "%s", ssh_get_error(r->s));
		goto fail;
	}
	if (ssh_connect(r->s) != SSH_OK) {
		snprintf(why, whysz, "%s", ssh_get_error(r->s));
		goto fail;
	}
	*reached = 1;
	k = ssh_session_is_known_server(r->s);
	if (k != SSH_KNOWN_HOSTS_OK) {
		snprintf(why, whysz, "%s host key: not in %s; refused",
		    k == SSH_KNOWN_HOSTS_CHANGED ||
		    k == SSH_KNOWN_HOSTS_OTHER ? "a CHANGED" : "an unknown",
		    known_hosts);
		goto fail;
	}
	if (ssh_pki_import_privkey_file(keyfile, NULL, NULL, NULL, &key) !=
	    SSH_OK) {
		snprintf(why, whysz, "%s: cannot read the private key",
		    keyfile);
		goto fail;
	}
	guard_begin(r);
	if (ssh_userauth_publickey(r->s, NULL, key) != SSH_AUTH_SUCCESS) {
		if (guard_end(r, "authentication") < 0) {
			*reached = 0;	/* as good as down */
			snprintf(why, whysz, "%s", r->why);
		} else
			snprintf(why, whysz, "the key %s is not accepted for"
			    " account %s", keyfile, user);
		goto fail;
	}
	ssh_key_free(key);
	key = NULL;
	if ((r->sftp = sftp_new(r->s)) == NULL || sftp_init(r->sftp) !=
	    SSH_OK) {
		if (guard_end(r, "INIT") < 0) {
			*reached = 0;
			snprintf(why, whysz, "%s", r->why);
		} else
			snprintf(why, whysz, "no SFTP: %s",
			    ssh_get_error(r->s));
		goto fail;
	}
	guard_end(r, "INIT");
	return r;
fail:
	ssh_key_free(key);
	remote_close(r);
	return NULL;
}

int
remote_connected(struct remote *r)
{
	return r->s != NULL && !r->dead && ssh_is_connected(r->s);
}

int
remote_missing(struct remote *r)
{
	return r->sftp != NULL && sftp_get_error(r->sftp) ==
	    SSH_FX_NO_SUCH_FILE;
}

const char *
remote_error(struct remote *r)
{
	/* Once a request went unanswered, whatever fails after it on the
	 * shut socket fails for that reason. */
	const char *e = r->dead ? r->dead_why : r->why[0] != '\0' ? r->why :
	    ssh_get_error(r->s);

	if (strncmp(e, "SFTP server: ", 13) == 0)
		e += 13;
	return e;
}

int
remote_mkdir(struct remote *r, const char *path, char *why, size_t whysz)
{
	int rv;

	r->why[0] = '\0';
	guard_begin(r);
	rv = sftp_mkdir(r->sftp, path, 0755);
	guard_end(r, "MKDIR");
	if (rv == SSH_OK)
		return 0;
	snprintf(why, whysz, "%s", remote_error(r));
	return -1;
}

void
remote_close(struct remote *r)
{
	if (r == NULL)
		return;
	/* What is said at the end is bounded too: a dead host's socket
	 * is shut down already, a live one's is not kept waiting on. */
	guard_begin(r);
	if (r->sftp)
		sftp_free(r->sftp);
	if (r->s)
		ssh_disconnect(r->s);
	guard_end(r, "CLOSE");
	if (r->s)
		ssh_free(r->s);
	free(r);
}

static void
progress(const char *name, long long done, long long size, long long t0,
    int last)
{
	double secs = (double)(monotonic_ms() - t0) / 1000.0;
	double frac = size > 0 ? (double)done / (double)size : 1;
	char bar[31];
	int i;

	for (i = 0; i < 30; i++)
		bar[i] = i < (int)(frac * 30) ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-24.24s [%s] %3.0f%% %7.1f MB/s", name, bar,
	    frac * 100, secs > 0 ? (double)done / 1e6 / secs : 0.0);
	if (last)
		fprintf(stderr, "\n");
}

/*
 * An upload never closed: its handle freed without a CLOSE (which
 * would commit what was sent), and the connection cut under libssh,
 * which the server takes as an unfinished upload.  What comes after
 * fails at once; remote_close() frees the rest.  (ssh_disconnect()
 * would free the channel the SFTP session still holds.)
 */
static void
put_drop(struct remote *r, sftp_file f)
{
	ssh_string_free(f->handle);
	f->handle = NULL;
	sftp_close(f);			/* frees it and sends nothing */
	shutdown(ssh_get_fd(r->s), SHUT_RDWR);
}

/* Exactly len bytes of the SFTP channel: 0, or -1 with r->why. */
static int
put_recv(struct remote *r, void *buf, size_t len)
{
	char *p = buf;
	long long deadline = monotonic_ms() + r->timeout_ms;
	int n;

	while (len > 0) {
		n = ssh_channel_read_timeout(r->sftp->channel, p,
		    (uint32_t)len, 0, r->timeout_ms > 0 ?
		    (int)r->timeout_ms : -1);
		if (n < 0) {
			snprintf(r->why, sizeof(r->why), "%s",
			    ssh_get_error(r->s));
			return -1;
		}
		if (n == 0 && ssh_channel_is_eof(r->sftp->channel)) {
			snprintf(r->why, sizeof(r->why), "the host closed the"
			    " SFTP channel during the upload");
			return -1;
		}
		if (n == 0 && r->timeout_ms > 0 && monotonic_ms() >= deadline) {
			snprintf(r->why, sizeof(r->why), "no answer to a write"
			    " within %ld s", r->timeout_ms / 1000);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static unsigned char *
put32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
	return p + 4;
}

/*
 * The answer to one of the writes in flight (ids[0..*n-1]), taken out
 * of them: 0 if the server wrote it, 1 if it refused it (the first
 * refusal's reason in r->why), -1 if the connection failed or the host
 * answered what no write asks for (r->why).
 */
static int
put_answer(struct remote *r, uint32_t *ids, size_t *n)
{
	unsigned char len[4], *a = NULL;
	uint32_t alen, id, st, mlen;
	size_t i;
	int rv = -1;

	if (put_recv(r, len, sizeof(len)) < 0)
		return -1;
	/* type, id, status, the message's length, at the least */
	if ((alen = get32(len)) < 13 || alen > ANSWER_LEN) {
		snprintf(r->why, sizeof(r->why), "an answer of %u bytes to a"
		    " write", alen);
		return -1;
	}
	a = xmalloc(alen);
	if (put_recv(r, a, alen) < 0)
		goto out;
	id = get32(a + 1);
	for (i = 0; i < *n && ids[i] != id; i++)
		;
	if (a[0] != SSH_FXP_STATUS || i == *n) {
		snprintf(r->why, sizeof(r->why), "an answer of type %u to"
		    " request %u, which is no write of ours", a[0], id);
		goto out;
	}
	memmove(ids + i, ids + i + 1, (*n - i - 1) * sizeof(*ids));
	(*n)--;
	if ((st = get32(a + 5)) == SSH_FX_OK) {
		rv = 0;
		goto out;
	}
	rv = 1;
	if (r->why[0] != '\0')	/* a later write, refused with the first */
		goto out;
	mlen = get32(a + 9);
	if (mlen > alen - 13)
		mlen = 0;
	if (mlen > 0)
		snprintf(r->why, sizeof(r->why), "%.*s", (int)mlen,
		    (const char *)a + 13);
	else
		snprintf(r->why, sizeof(r->why), "write refused (SFTP status"
		    " %u)", st);
out:
	free(a);
	return rv;
}

/* Up to len bytes of fd, fewer only at its end (a pipe gives what it
 * has): the count, or -1 with errno. */
static ssize_t
put_fill(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(fd, buf + got, len - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
remote_put(struct remote *r, int fd, const char *name, const char *path)
{
	long long done = 0, size = 0, t0 = monotonic_ms(), shown = 0;
	uint32_t ids[WRITE_DEPTH], hlen;
	unsigned char *buf, *p;
	uint64_t sent = 0;
	size_t nfl = 0, hdr;
	struct stat st;
	sftp_file f;
	ssize_t n;
	int bar = isatty(STDERR_FILENO), eof = 0, refused = 0, rv;

	r->why[0] = '\0';
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		size = (long long)st.st_size;
	else
		bar = 0;
	guard_begin(r);
	f = sftp_open(r->sftp, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	guard_end(r, "OPEN");
	if (f == NULL) {
		log_warnx("%s: %s", path, remote_error(r));
		return -1;
	}
	/* SSH_FXP_WRITE: length, type, id, handle, offset, data */
	hlen = (uint32_t)ssh_string_len(f->handle);
	hdr = 4 + 1 + 4 + 4 + hlen + 8 + 4;
	buf = xmalloc(hdr + WRITE_LEN);
	while (!eof || nfl > 0) {
		if (nfl == WRITE_DEPTH || eof) {
			if ((rv = put_answer(r, ids, &nfl)) < 0)
				goto drop;
			if (rv == 1)	/* no more sent; the rest awaited */
				refused = eof = 1;
			continue;
		}
		if ((n = put_fill(fd, buf + hdr, WRITE_LEN)) < 0) {
			snprintf(r->why, sizeof(r->why), "cannot read %s: %s;"
			    " the upload is abandoned", name, strerror(errno));
			goto drop;
		}
		if (n == 0) {
			eof = 1;
			continue;
		}
		p = put32(buf, (uint32_t)(hdr - 4 + (size_t)n));
		*p++ = SSH_FXP_WRITE;
		ids[nfl] = ++r->sftp->id_counter;
		p = put32(p, ids[nfl++]);
		p = put32(p, hlen);
		memcpy(p, ssh_string_data(f->handle), hlen);
		p += hlen;
		p = put32(p, (uint32_t)(sent >> 32));
		p = put32(p, (uint32_t)sent);
		put32(p, (uint32_t)n);
		if (ssh_channel_write(r->sftp->channel, buf, (uint32_t)(hdr +
		    (size_t)n)) != (int)(hdr + (size_t)n)) {
			snprintf(r->why, sizeof(r->why), "%s",
			    ssh_get_error(r->s)[0] ? ssh_get_error(r->s) :
			    "the host took no more data");
			goto drop;
		}
		sent += (uint64_t)n;
		if (bar && monotonic_ms() - shown >= 200) {
			progress(name, (long long)sent, size, t0, 0);
			shown = monotonic_ms();
		}
	}
	done = (long long)sent;
	f->offset = sent;
	free(buf);
	buf = NULL;
	if (refused) {
		/* The server discards it at CLOSE; the first reason stands. */
		guard_begin(r);
		sftp_close(f);
		guard_end(r, "CLOSE");
		goto fail;
	}
	if (size > 0 && done != size) {
		snprintf(r->why, sizeof(r->why), "%s: %lld bytes read of the"
		    " %lld it had: it changed while it was sent; the upload is"
		    " abandoned", name, done, size);
		goto drop;
	}
	guard_begin(r);
	rv = sftp_close(f);
	if (guard_end(r, "CLOSE") < 0)
		goto fail;
	if (rv != SSH_OK) {
		snprintf(r->why, sizeof(r->why), "%s", ssh_get_error(r->s));
		goto fail;
	}
	if (bar)
		progress(name, done, size, t0, 1);
	return 0;
drop:
	free(buf);
	put_drop(r, f);
fail:
	if (bar)
		fprintf(stderr, "\n");
	log_warnx("%s: %s", path, remote_error(r));
	return -1;
}

int
remote_put_text(struct remote *r, const char *path, const char *text)
{
	size_t len = strlen(text);
	sftp_file f;
	int rv;

	r->why[0] = '\0';
	guard_begin(r);
	f = sftp_open(r->sftp, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (guard_end(r, "OPEN") < 0 || f == NULL)
		goto fail;
	guard_begin(r);
	rv = sftp_write(f, text, len) == (ssize_t)len;
	if (guard_end(r, "WRITE") < 0 || !rv)
		goto fail;
	guard_begin(r);
	rv = sftp_close(f);
	f = NULL;
	if (guard_end(r, "CLOSE") < 0 || rv != SSH_OK)
		goto fail;
	return 0;
fail:
	log_warnx("%s: %s", path, remote_error(r));
	if (f) {
		guard_begin(r);
		sftp_close(f);
		guard_end(r, "CLOSE");
	}
	return -1;
}

#define JSON_MAX	(16 << 20)	/* bytes of a JSON file of the tree */

struct reading {
	struct remote	*r;
	sftp_file	 f;
	size_t		 total;
};

/* A chunk of the file, and an error past JSON_MAX: a host cannot make
 * us hold more than that. */
static size_t
read_chunk(void *buf, size_t len, void *arg)
{
	struct reading *rd = arg;
	ssize_t n;

	guard_begin(rd->r);
	n = sftp_read(rd->f, buf, len > CHUNK ? CHUNK : len);
	if (guard_end(rd->r, "READ") < 0 || n < 0)
		return (size_t)-1;
	rd->total += (size_t)n;
	return rd->total > JSON_MAX ? (size_t)-1 : (size_t)n;
}

json_t *
remote_json(struct remote *r, const char *path)
{
	struct reading rd;
	json_error_t err;
	json_t *o;

	r->why[0] = '\0';
	memset(&rd, 0, sizeof(rd));
	rd.r = r;
	guard_begin(r);
	rd.f = sftp_open(r->sftp, path, O_RDONLY, 0);
	if (guard_end(r, "OPEN") < 0 || rd.f == NULL) {
		log_warnx("%s: %s", path, remote_error(r));
		return NULL;
	}
	o = json_load_callback(read_chunk, &rd, 0, &err);
	if (r->dead) {
		/* The file's handle went with the connection. */
		json_decref(o);
		log_warnx("%s: %s", path, r->why);
		return NULL;
	}
	guard_begin(r);
	sftp_close(rd.f);
	if (guard_end(r, "CLOSE") < 0) {
		json_decref(o);
		log_warnx("%s: %s", path, r->why);
		return NULL;
	}
	if (o == NULL && rd.total > JSON_MAX)
		log_warnx("%s: larger than %d bytes", path, JSON_MAX);
	else if (o == NULL)
		log_warnx("%s: not JSON: %s", path, err.text);
	return o;
}

int
remote_rmdir(struct remote *r, const char *path, char *why, size_t whysz)
{
	int rv;

	r->why[0] = '\0';
	guard_begin(r);
	rv = sftp_rmdir(r->sftp, path);
	guard_end(r, "RMDIR");
	if (rv == SSH_OK)
		return 0;
	snprintf(why, whysz, "%s", remote_error(r));
	return -1;
}

json_t *
remote_list(struct remote *r, const char *path)
{
	sftp_attributes a;
	sftp_dir d;
	json_t *out;

	r->why[0] = '\0';
	guard_begin(r);
	d = sftp_opendir(r->sftp, path);
	if (guard_end(r, "OPENDIR") < 0 || d == NULL) {
		log_warnx("%s: %s", path, remote_error(r));
		return NULL;
	}
	out = json_array();
	for (;;) {
		guard_begin(r);
		a = sftp_readdir(r->sftp, d);
		if (guard_end(r, "READDIR") < 0) {
			/* The list is not whole: none rather than part. */
			sftp_attributes_free(a);
			json_decref(out);
			log_warnx("%s: %s", path, r->why);
			return NULL;
		}
		if (a == NULL)
			break;
		if (a->name && a->name[0] != '.')
			json_array_append_new(out, json_string(a->name));
		sftp_attributes_free(a);
	}
	guard_begin(r);
	sftp_closedir(d);
	if (guard_end(r, "CLOSE") < 0) {
		json_decref(out);
		log_warnx("%s: %s", path, r->why);
		return NULL;
	}
	return out;
}

int
remote_stat(struct remote *r, const char *path, long long *size,
    long long *mtime)
{
	sftp_attributes a;

	r->why[0] = '\0';
	guard_begin(r);
	a = sftp_stat(r->sftp, path);
	if (guard_end(r, "STAT") < 0 || a == NULL) {
		sftp_attributes_free(a);
		return -1;
	}
	*size = (long long)a->size;
	*mtime = (long long)a->mtime;
	sftp_attributes_free(a);
	return 0;
}

struct remote_get {
	struct remote	*r;
	sftp_file	 f;
	long long	 got;
};

struct remote_get *
remote_get_open(struct remote *r, const char *path, char *why, size_t whysz)
{
	struct remote_get *g;
	sftp_file f;

	r->why[0] = '\0';
	guard_begin(r);
	f = sftp_open(r->sftp, path, O_RDONLY, 0);
	if (guard_end(r, "OPEN") < 0 || f == NULL) {
		snprintf(why, whysz, "%s", remote_error(r));
		return NULL;
	}
	g = xcalloc(1, sizeof(*g));
	g->r = r;
	g->f = f;
	return g;
}

int
remote_get_step(struct remote_get *g, int fd, long long max,
    long long budget_ms, long long *got, char *why, size_t whysz)
{
	static char buf[CHUNK];
	long long until = monotonic_ms() + budget_ms;
	ssize_t n;
	int saved_errno;

	/* Its size as it comes, not as a stat said: a file that grows
	 * past max is refused at max, whatever it claimed. */
	do {
		guard_begin(g->r);
		n = sftp_read(g->f, buf, sizeof(buf));
		if (guard_end(g->r, "READ") < 0 || n < 0) {
			snprintf(why, whysz, "%s", remote_error(g->r));
			return -1;
		}
		if (n == 0)
			break;
		if (g->got + n > max) {
			snprintf(why, whysz, "larger than %lld bytes", max);
			return -1;
		}
		if (write_all(fd, buf, (size_t)n) < 0) {
			saved_errno = errno;
			snprintf(why, whysz, "writing it here: %s",
			    strerror(saved_errno));
			return -1;
		}
		g->got += n;
	} while (budget_ms < 0 || monotonic_ms() < until);
	*got = g->got;
	return n == 0 ? 0 : 1;
}

void
remote_get_close(struct remote_get *g)
{
	if (g == NULL)
		return;
	guard_begin(g->r);
	sftp_close(g->f);
	guard_end(g->r, "CLOSE");
	free(g);
}

int
remote_get(struct remote *r, const char *path, int fd, long long max,
    long long *got, char *why, size_t whysz)
{
	struct remote_get *g;
	int rv;

	*got = 0;
	if ((g = remote_get_open(r, path, why, whysz)) == NULL)
		return -1;
	rv = remote_get_step(g, fd, max, -1, got, why, whysz);
	remote_get_close(g);
	return rv < 0 ? -1 : 0;
}

/* ---- several hosts ---- */

#define ANSWER_MAX	(16 << 20)	/* bytes of one host's queue */
#define ERRTEXT_MAX	2048		/* of its errors, the last kept */

struct asked {
	const char	*spec, *name;
	pid_t		 pid;
	int		 out, err;	/* -1 once at their end */
	char		*buf;
	size_t		 len, cap;
	char		 errs[ERRTEXT_MAX];
	size_t		 elen;
	int		 too_big;
};

/* In the child: the host's queue.json on fd out, compact; its errors
 * on standard error, which is the parent's pipe. */
static void __attribute__((noreturn))
ask_host(const char *spec, int out)
{
	struct remote *r;
	json_t *q;
	FILE *fp;

	if ((r = remote_open(spec)) == NULL)
		_exit(1);
	q = remote_json(r, "queue.json");
	remote_close(r);
	if (q == NULL || (fp = fdopen(out, "w")) == NULL ||
	    json_dumpf(q, fp, JSON_COMPACT) < 0 || fclose(fp) != 0)
		_exit(1);
	_exit(0);
}

static void
asked_read(struct asked *a, int *fd)
{
	char tmp[8192];
	ssize_t n = read(*fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (fd == &a->err) {
		/* The last ERRTEXT_MAX bytes: the reason is the last line. */
		if ((size_t)n >= sizeof(a->errs)) {
			memcpy(a->errs, tmp + n - (sizeof(a->errs) - 1),
			    sizeof(a->errs) - 1);
			a->elen = sizeof(a->errs) - 1;
		} else {
			if (a->elen + (size_t)n >= sizeof(a->errs)) {
				size_t drop = a->elen + (size_t)n -
				    (sizeof(a->errs) - 1);

				memmove(a->errs, a->errs + drop, a->elen - drop);
				a->elen -= drop;
			}
			memcpy(a->errs + a->elen, tmp, (size_t)n);
			a->elen += (size_t)n;
		}
		a->errs[a->elen] = '\0';
		return;
	}
	if (a->len + (size_t)n > ANSWER_MAX) {
		a->too_big = 1;
		close(*fd);
		*fd = -1;
		return;
	}
	if (a->len + (size_t)n > a->cap) {
		a->cap = (a->len + (size_t)n) * 2;
		a->buf = xrealloc(a->buf, a->cap);
	}
	memcpy(a->buf + a->len, tmp, (size_t)n);
	a->len += (size_t)n;
}

/* The last line of what the host's process said, without our name. */
static void
asked_reason(struct asked *a, char *why, size_t whysz)
{
	char *e = a->errs, *line, *p;
	size_t n = strlen(log_progname());

	while (a->elen > 0 && e[a->elen - 1] == '\n')
		e[--a->elen] = '\0';
	line = (p = strrchr(e, '\n')) != NULL ? p + 1 : e;
	if (strncmp(line, log_progname(), n) == 0 && strncmp(line + n, ": ",
	    2) == 0)
		line += n + 2;
	/* The table's row names the host already. */
	n = strlen(a->spec);
	if (strncmp(line, a->spec, n) == 0 && strncmp(line + n, ": ", 2) == 0)
		line += n + 2;
	snprintf(why, whysz, "%s", line[0] ? line : "no queue from the host");
}

json_t *
remote_queues(char *const specs[], char *const names[], size_t n,
    long timeout_s, int *failed)
{
	struct asked *as = xcalloc(n ? n : 1, sizeof(*as));
	struct pollfd *pf = xcalloc(2 * (n ? n : 1), sizeof(*pf));
	long long deadline = monotonic_ms() + timeout_s * 1000;
	json_t *out = json_array(), *h, *q;
	char why[ERRTEXT_MAX + 64];
	int po[2], pe[2], status, left, t;
	size_t i, k;

	*failed = 0;
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < n; i++) {
		as[i].spec = specs[i];
		as[i].name = names[i];
		as[i].out = as[i].err = -1;
		if (pipe2(po, O_CLOEXEC) < 0)
			fatal("pipe");
		if (pipe2(pe, O_CLOEXEC) < 0)
			fatal("pipe");
		switch ((as[i].pid = fork())) {
		case -1:
			fatal("fork");
		case 0:
			close(po[0]);
			close(pe[0]);
			if (dup2(pe[1], STDERR_FILENO) < 0)
				_exit(1);
			ask_host(specs[i], po[1]);
		}
		close(po[1]);
		close(pe[1]);
		as[i].out = po[0];
		as[i].err = pe[0];
	}
	for (;;) {
		for (i = 0, k = 0, left = 0; i < n; i++) {
			if (as[i].out >= 0) {
				pf[k].fd = as[i].out;
				pf[k++].events = POLLIN;
			}
			if (as[i].err >= 0) {
				pf[k].fd = as[i].err;
				pf[k++].events = POLLIN;
			}
			left += as[i].out >= 0 || as[i].err >= 0;
		}
		if (left == 0 || (t = (int)(deadline - monotonic_ms())) <= 0)
			break;
		if (poll(pf, k, t) < 0 && errno != EINTR)
			fatal("poll");
		for (i = 0; i < n; i++) {
			for (k = 0; k < 2 * n; k++) {
				if (pf[k].revents == 0)
					continue;
				if (pf[k].fd == as[i].out)
					asked_read(&as[i], &as[i].out);
				else if (pf[k].fd == as[i].err)
					asked_read(&as[i], &as[i].err);
				else
					continue;
				pf[k].revents = 0;
			}
		}
	}
	for (i = 0; i < n; i++) {
		int late = as[i].out >= 0 || as[i].err >= 0;

		if (late)
			kill(as[i].pid, SIGKILL);
		while (waitpid(as[i].pid, &status, 0) < 0 && errno == EINTR)
			;
		if (as[i].out >= 0)
			close(as[i].out);
		if (as[i].err >= 0)
			close(as[i].err);
		/* What the host's process said, as it would have said it. */
		if (as[i].elen > 0)
			fprintf(stderr, "%s%s", as[i].errs,
			    as[i].errs[as[i].elen - 1] == '\n' ? "" : "\n");
		h = json_object();
		json_object_set_new(h, "host", json_string(as[i].name));
		q = NULL;
		if (late) {
			snprintf(why, sizeof(why), "no answer within %ld s",
			    timeout_s);
			log_warnx("%s: %s", as[i].name, why);
		} else if (as[i].too_big) {
			snprintf(why, sizeof(why), "its queue is larger than"
			    " %d bytes", ANSWER_MAX);
			log_warnx("%s: %s", as[i].name, why);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    (q = json_loadb(as[i].buf ? as[i].buf : "", as[i].len, 0,
		    NULL)) != NULL && json_is_object(q))
			json_object_set_new(h, "queue", q);
		else {
			json_decref(q);
			q = NULL;
			asked_reason(&as[i], why, sizeof(why));
		}
		if (json_object_get(h, "queue") == NULL) {
			json_object_set_new(h, "error", json_string(why));
			(*failed)++;
		}
		json_array_append_new(out, h);
		free(as[i].buf);
	}
	free(as);
	free(pf);
	return out;
}
