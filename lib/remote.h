/*
 * remote.h - gprint, gqueue and gcancel against a remote gsftpd (-H):
 * an SSH connection with the user's agent or keys, the host's key
 * checked strictly against ~/.ssh/known_hosts, and the SFTP tree of
 * gsftpd(8).
 */
#ifndef GSPOOL_REMOTE_H
#define GSPOOL_REMOTE_H

#include <jansson.h>

struct remote;

/* Connect to "[user@]host[:port]" (~/.ssh/config applies).  Errors are
 * printed; NULL on failure. */
struct remote *remote_open(const char *spec);
void	remote_close(struct remote *);
/*
 * A daemon's connection (a forwarding backend's): to user@host:port
 * with the private key in keyfile alone, the host's key checked
 * against known_hosts alone (never ~/.ssh, no other key offered, no
 * ssh_config, no unknown key accepted), each exchange bounded by
 * timeout_s: a request not answered within it drops the connection
 * (remote_connected() is 0 then, and remote_error() names the
 * request).  NULL with why on failure; *reached is 0 if the host was
 * not reached at all (down, refused, silent), 1 if it answered and
 * refused us.  Its reasons do not name the host: the caller does.
 */
struct remote *remote_connect(const char *host, unsigned port,
	    const char *user, const char *keyfile, const char *known_hosts,
	    long timeout_s, char *why, size_t whysz, int *reached);
/* 1 while the connection stands. */
int	remote_connected(struct remote *);
/* 1 if the last request failed as "no such file". */
int	remote_missing(struct remote *);
/* libssh's last reason for this connection, without "SFTP server: ". */
const char *remote_error(struct remote *);
/* Make a folder of the tree (jobs/ID/paused pauses a job).  0, or -1
 * with the server's reason in why. */
int	remote_mkdir(struct remote *, const char *path, char *why,
	    size_t whysz);

/* Upload the open file to path (a file in drop/), with a progress bar
 * on standard error when it is a terminal.  0 or -1 (printed; and
 * remote_error() says why).  A file that fails on this side is never
 * committed there: the connection is cut instead. */
int	remote_put(struct remote *, int fd, const char *name,
	    const char *path);
/* Write a small text file (an options sidecar). */
int	remote_put_text(struct remote *, const char *path, const char *text);
/* Read a JSON file (queue.json), streamed.  NULL (printed) on error. */
json_t	*remote_json(struct remote *, const char *path);
/* Remove a folder of the tree (jobs/ID cancels the job).  0, or -1 with
 * the server's reason in why. */
int	remote_rmdir(struct remote *, const char *path, char *why,
	    size_t whysz);
/* The names in a folder (jobs/), as a JSON array of strings. */
json_t	*remote_list(struct remote *, const char *path);
/* A file's size and modification time (a webcam frame's, to tell a
 * new one): 0, or -1 (remote_missing() says if there is none). */
int	remote_stat(struct remote *, const char *path, long long *size,
	    long long *mtime);
/*
 * Copy the file at path into fd, streamed CHUNK bytes at a time, never
 * held whole: its size in *got, 0; or -1 with why (libssh's reason, a
 * short write here, or a file larger than max bytes, cut there).
 * remote_missing() says if there was no such file.
 */
int	remote_get(struct remote *, const char *path, int fd, long long max,
	    long long *got, char *why, size_t whysz);
/*
 * The same a piece at a time, so that a large file never holds a loop
 * for long: remote_get_open() (NULL with why), then remote_get_step()
 * for about budget_ms (all of it if negative): 1 if more is to come, 0
 * at the end, -1 with why; *got is the bytes so far.  Closed before the
 * connection is (remote_close()).
 */
struct remote_get;
struct remote_get *remote_get_open(struct remote *, const char *path,
	    char *why, size_t whysz);
int	remote_get_step(struct remote_get *, int fd, long long max,
	    long long budget_ms, long long *got, char *why, size_t whysz);
void	remote_get_close(struct remote_get *);

/*
 * The queue.json of each of n hosts ("[user@]host[:port]" in specs,
 * shown as names), asked side by side, each within timeout_s seconds:
 * an array in their order of {"host": NAME, "queue": OBJECT}, or
 * {"host": NAME, "error": WHY} for a host that did not answer in time
 * or could not be asked.  What went wrong is printed too, each host's
 * own messages as it said them; *failed counts those hosts.
 */
json_t	*remote_queues(char *const specs[], char *const names[], size_t n,
	    long timeout_s, int *failed);

#endif
