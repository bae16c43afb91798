/*
 * session.c - one gsftpd connection, in a process of its own: the key
 * exchange, the login, the SFTP subsystem, then the requests
 * (request.c) until the client leaves.
 *
 * The process has a login grace time (SIGALRM ends it whatever libssh
 * is blocked in), a memory limit, and once logged in a file size
 * limit; it is confined by Landlock before the client's first byte and
 * again, to one account's tree, once logged in (jail.c).  Accounts are
 * virtual ([account NAME] in gspool.conf): a name, its public keys,
 * one drop folder, at most max_sessions connections at once (a lock
 * file each, held for the connection's life).
 *
 * Security: everything here is said by an unauthenticated client.
 * Public keys only: a password is refused and counted; no shell, exec,
 * pty, forwarding or second channel: libssh refuses whatever has no
 * callback here.  The keys file is read at each attempt, a line at a
 * time, and a line with options before the key is refused rather than
 * half honoured.  A client's user name reaches the log only cleaned
 * (printable, 64 bytes at most).  Six refused attempts end the
 * connection, and each is told to the listener at once.
 *
 * Diagnostics: each refused attempt is logged with the address, the
 * name tried, why and the key's fingerprint; a login, a session's end
 * (files, bytes, memory) and a client that left without logging in
 * are logged once each.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "util.h"

static int report_fd = -1;		/* the listener's pipe */

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

	if (a->keys == NULL)		/* a web account alone */
		return 0;
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

int
sftp_connection(const struct conf *conf, ssh_bind bind, int fd,
    const char *addr, int report)
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

	report_fd = report;
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
