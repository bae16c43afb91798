/*
 * remote.c - the client side of gsftpd's tree, with libssh.
 *
 * Security: the other host must be known: its key is checked against
 * ~/.ssh/known_hosts, and an unknown or changed key ends the connection
 * before anything is sent.  What it sends is read in CHUNK pieces and
 * taken as JSON only if jansson parses it whole.
 *
 * Diagnostics: a host key refused is reported with its fingerprint and
 * what to do; every SFTP failure with the path and libssh's reason.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "log.h"
#include "remote.h"
#include "util.h"

#define CHUNK	(32 * 1024)	/* bytes of one SFTP write */

struct remote {
	ssh_session	 s;
	sftp_session	 sftp;
	char		 host[300];
};

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

void
remote_close(struct remote *r)
{
	if (r == NULL)
		return;
	if (r->sftp)
		sftp_free(r->sftp);
	if (r->s) {
		ssh_disconnect(r->s);
		ssh_free(r->s);
	}
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

int
remote_put(struct remote *r, int fd, const char *name, const char *path)
{
	static char buf[CHUNK];
	long long done = 0, size = 0, t0 = monotonic_ms(), shown = 0;
	struct stat st;
	sftp_file f;
	ssize_t n;
	int bar = isatty(STDERR_FILENO);

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		size = (long long)st.st_size;
	else
		bar = 0;
	if ((f = sftp_open(r->sftp, path, O_WRONLY | O_CREAT | O_TRUNC,
	    0644)) == NULL) {
		log_warnx("%s: %s", path, ssh_get_error(r->s));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("%s", name);
			sftp_close(f);
			return -1;
		}
		if (sftp_write(f, buf, (size_t)n) != n) {
			if (bar)
				fprintf(stderr, "\n");
			log_warnx("%s: %s", path, ssh_get_error(r->s));
			sftp_close(f);
			return -1;
		}
		done += n;
		if (bar && monotonic_ms() - shown >= 200) {
			progress(name, done, size, t0, 0);
			shown = monotonic_ms();
		}
	}
	if (sftp_close(f) != SSH_OK) {
		if (bar)
			fprintf(stderr, "\n");
		log_warnx("%s: %s", path, ssh_get_error(r->s));
		return -1;
	}
	if (bar)
		progress(name, done, size, t0, 1);
	return 0;
}

int
remote_put_text(struct remote *r, const char *path, const char *text)
{
	size_t len = strlen(text);
	sftp_file f;

	if ((f = sftp_open(r->sftp, path, O_WRONLY | O_CREAT | O_TRUNC,
	    0644)) == NULL ||
	    sftp_write(f, text, len) != (ssize_t)len) {
		log_warnx("%s: %s", path, ssh_get_error(r->s));
		if (f)
			sftp_close(f);
		return -1;
	}
	if (sftp_close(f) != SSH_OK) {
		log_warnx("%s: %s", path, ssh_get_error(r->s));
		return -1;
	}
	return 0;
}

static size_t
read_chunk(void *buf, size_t len, void *arg)
{
	ssize_t n = sftp_read(arg, buf, len > CHUNK ? CHUNK : len);

	return n < 0 ? (size_t)-1 : (size_t)n;
}

json_t *
remote_json(struct remote *r, const char *path)
{
	json_error_t err;
	sftp_file f;
	json_t *o;

	if ((f = sftp_open(r->sftp, path, O_RDONLY, 0)) == NULL) {
		log_warnx("%s: %s", path, ssh_get_error(r->s));
		return NULL;
	}
	o = json_load_callback(read_chunk, f, 0, &err);
	sftp_close(f);
	if (o == NULL)
		log_warnx("%s: not JSON: %s", path, err.text);
	return o;
}

int
remote_rmdir(struct remote *r, const char *path, char *why, size_t whysz)
{
	const char *e;

	if (sftp_rmdir(r->sftp, path) == SSH_OK)
		return 0;
	e = ssh_get_error(r->s);
	if (strncmp(e, "SFTP server: ", 13) == 0)
		e += 13;
	snprintf(why, whysz, "%s", e);
	return -1;
}

json_t *
remote_list(struct remote *r, const char *path)
{
	sftp_attributes a;
	sftp_dir d;
	json_t *out;

	if ((d = sftp_opendir(r->sftp, path)) == NULL) {
		log_warnx("%s: %s", path, ssh_get_error(r->s));
		return NULL;
	}
	out = json_array();
	while ((a = sftp_readdir(r->sftp, d)) != NULL) {
		if (a->name && a->name[0] != '.')
			json_array_append_new(out, json_string(a->name));
		sftp_attributes_free(a);
	}
	sftp_closedir(d);
	return out;
}
