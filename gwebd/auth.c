/*
 * auth.c - who a request is: an account's API key (the X-Api-Key
 * header, as OctoPrint's clients send it), or a session cookie that
 * the login form gave for a key or the account's password; failures
 * counted per address and banned as gsftpd bans them.
 *
 * Keys: [account NAME] api_keys names a file of keys, one a line
 * ('#' comments and blank lines ignored), read at each request a line
 * at a time, so a key added or removed counts at once.  A key is
 * compared by its SHA-256 digest in constant time, so neither its
 * length nor its first differing byte shows in the time taken.
 * Passwords: [account NAME] password is a crypt(3) hash ($y$, $6$...),
 * checked with crypt_r() and compared in constant time.
 *
 * Sessions: a random 32-byte token, kept in memory for session_time;
 * a restart of gwebd ends them (the page logs in again), and holds no
 * other state.
 *
 * Security: keys shorter than 16 characters are refused in the file
 * (logged), so a guessable key is never accepted; the address tables
 * are fixed (TRACKED_MAX, SESSION_MAX), the oldest given up first, so
 * a flood of addresses or logins costs no memory.
 *
 * Diagnostics: every failure is logged with its address and what was
 * wrong (no key, a wrong key, a wrong password, an unknown account); a
 * ban with the count that earned it; an unreadable key file with its
 * account and path.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "gwebd.h"
#include "log.h"
#include "util.h"

#define KEY_MIN		16
#define KEY_LINE	512

/* Equal, in a time that depends on neither string. */
int
auth_same(const char *a, const char *b)
{
	unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)a, strlen(a), da);
	SHA256((const unsigned char *)b, strlen(b), db);
	return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

/* Is key one of the account's?  Every line is compared, found or not. */
static int
key_of(const struct conf_account *a, const char *key)
{
	char line[KEY_LINE], *p;
	unsigned lineno = 0;
	int found = 0;
	FILE *fp;

	if (a->api_keys == NULL)
		return 0;
	if ((fp = fopen(a->api_keys, "re")) == NULL) {
		log_warn("[account %s]: api_keys = %s", a->name, a->api_keys);
		return 0;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		p[strcspn(p, " \t")] = '\0';
		if (strlen(p) < KEY_MIN) {
			log_warnx("%s:%u: a key of %zu characters is ignored:"
			    " give at least %d", a->api_keys, lineno,
			    strlen(p), KEY_MIN);
			continue;
		}
		if (auth_same(p, key))
			found = 1;
	}
	fclose(fp);
	explicit_bzero(line, sizeof(line));
	return found;
}

const struct conf_account *
auth_key(struct web *w, const char *key)
{
	const struct conf_account *found = NULL;
	size_t i;

	if (strlen(key) < KEY_MIN || strlen(key) >= KEY_LINE)
		return NULL;
	for (i = 0; i < w->conf.naccounts; i++)
		if (key_of(&w->conf.accounts[i], key) && found == NULL)
			found = &w->conf.accounts[i];
	return found;
}

const struct conf_account *
auth_password(struct web *w, const char *account, const char *password)
{
	const struct conf_account *a;
	struct crypt_data *cd;
	const char *h;
	int ok;

	if ((a = conf_account(&w->conf, account)) == NULL ||
	    a->password == NULL)
		return NULL;
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(password, a->password, cd);
	ok = h != NULL && h[0] != '*' && auth_same(h, a->password);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok ? a : NULL;
}

/* ---- sessions ---- */

/* A new session for account; its token in token (TOKEN_HEX + 1). */
int
auth_session_new(struct web *w, const char *account, char *token)
{
	unsigned char raw[TOKEN_HEX / 2];
	struct session *s, *oldest;
	time_t now = time(NULL);
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	pthread_mutex_lock(&w->lock);
	oldest = &w->sessions[0];
	for (i = 0; i < SESSION_MAX; i++) {
		s = &w->sessions[i];
		if (s->expires <= now) {
			oldest = s;
			break;
		}
		if (s->expires < oldest->expires)
			oldest = s;
	}
	snprintf(oldest->token, sizeof(oldest->token), "%s", token);
	snprintf(oldest->account, sizeof(oldest->account), "%s", account);
	oldest->expires = now + w->conf.web.session_time;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* The account of a live session, copied out, or 0. */
static int
session_account(struct web *w, const char *token, char *account,
    size_t accountsz)
{
	time_t now = time(NULL);
	int found = 0;
	size_t i;

	if (strlen(token) != TOKEN_HEX)
		return 0;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < SESSION_MAX; i++)
		if (w->sessions[i].expires > now &&
		    auth_same(w->sessions[i].token, token) && !found) {
			snprintf(account, accountsz, "%s",
			    w->sessions[i].account);
			found = 1;
		}
	pthread_mutex_unlock(&w->lock);
	return found;
}

void
auth_session_end(struct web *w, const char *token)
{
	size_t i;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < SESSION_MAX; i++)
		if (auth_same(w->sessions[i].token, token))
			memset(&w->sessions[i], 0, sizeof(w->sessions[i]));
	pthread_mutex_unlock(&w->lock);
}

/* ---- failures and bans ---- */

static struct failure *
failure_of(struct web *w, const char *addr, int create)
{
	struct failure *oldest = &w->failures[0];
	size_t i;

	for (i = 0; i < TRACKED_MAX; i++) {
		if (strcmp(w->failures[i].addr, addr) == 0)
			return &w->failures[i];
		if (w->failures[i].first < oldest->first)
			oldest = &w->failures[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	oldest->first = time(NULL);
	return oldest;
}

int
auth_banned(struct web *w, const char *addr)
{
	struct failure *f;
	int banned;

	pthread_mutex_lock(&w->lock);
	f = failure_of(w, addr, 0);
	banned = f != NULL && f->banned_until > time(NULL);
	pthread_mutex_unlock(&w->lock);
	return banned;
}

void
auth_failed(struct web *w, const char *addr, const char *what)
{
	struct failure *f;
	time_t now = time(NULL);

	pthread_mutex_lock(&w->lock);
	f = failure_of(w, addr, 1);
	if (now - f->first > w->conf.web.ban_time) {
		f->first = now;
		f->count = 0;
	}
	f->count++;
	log_warnx("%s: refused: %s (%d of %ld)", addr, what, f->count,
	    w->conf.web.max_auth_failures);
	if (f->count >= w->conf.web.max_auth_failures &&
	    w->conf.web.ban_time > 0 && f->banned_until <= now) {
		f->banned_until = now + w->conf.web.ban_time;
		log_warnx("%s: banned for %ld s after %d failed keys or"
		    " passwords", addr, w->conf.web.ban_time, f->count);
	}
	pthread_mutex_unlock(&w->lock);
}

/* ---- a request ---- */

/* The token of the gspool_session cookie, or NULL. */
static const char *
cookie_token(struct req *r)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
	    "gspool_session");
}

/* The account a reader without key or cookie is on r's listen
 * address: its own anonymous=, else [web] anonymous; NULL for none. */
static const char *
anonymous_of(const struct req *r)
{
	switch (r->l->cl->anon) {
	case ANON_ACCOUNT:
		return r->l->cl->account;
	case ANON_NONE:
		return NULL;
	case ANON_WEB:
		break;
	}
	return r->w->conf.web.anonymous;
}

/*
 * Who r is: an API key, else a session cookie, else the anonymous
 * account if there is one.  1 if known (r->acct, r->by set), 0 if
 * not (counted as a failure when a key or cookie was wrong).
 */
int
auth_request(struct req *r)
{
	struct web *w = r->w;
	char account[CONF_NAME_MAX + 1];
	const char *key, *tok, *anon;

	if ((key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "X-Api-Key")) != NULL) {
		if ((r->acct = auth_key(w, key)) != NULL) {
			r->by = AUTH_KEY;
			return 1;
		}
		auth_failed(w, r->addr, "a wrong API key");
		return 0;
	}
	if ((tok = cookie_token(r)) != NULL) {
		if (session_account(w, tok, account, sizeof(account)) &&
		    (r->acct = conf_account(&w->conf, account)) != NULL) {
			r->by = AUTH_COOKIE;
			return 1;
		}
		/* An expired cookie is no attack: not counted. */
		return 0;
	}
	if ((anon = anonymous_of(r)) != NULL &&
	    (r->acct = conf_account(&w->conf, anon)) != NULL) {
		r->by = AUTH_ANONYMOUS;
		return 1;
	}
	return 0;
}
