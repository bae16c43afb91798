/*
 * moonraker.h - the Moonraker backend's map (gspool-backend(7)).
 *
 *   moonraker.c	start-up, options, the loop, the spoold side (its
 *			messages, the end file, the re-attach socket) and
 *			the job: upload, start, follow, pause, cancel
 *   mrhttp.c		the host's HTTP API through libcurl: requests,
 *			their JSON answers, the streamed upload, the key
 *			file
 *   mrfile.c		the job's file: its SHA-256, and its commands
 *			before each block (the lines done at a position)
 *
 * The serial backend's spoold side (ctl.c) is built around Marlin's
 * link and job state machine (struct backend holds both), so this one
 * keeps its own, smaller: no lines are fed, the host prints from its
 * own storage and is asked where it is once a second.
 */
#ifndef GSPOOL_MOONRAKER_H
#define GSPOOL_MOONRAKER_H

#include <stddef.h>

#include <jansson.h>

#define MR_POLL_MS	1000	/* the host asked where it is */
#define MR_BACKOFF_MAX	60000	/* an unreachable host tried this often */
#define MR_KEY_MAX	256
#define MR_BLOCK	4096	/* the file's index: one count a block */

struct mr_host {
	char	 base[512];	/* http[s]://host:port */
	char	 key[MR_KEY_MAX];	/* X-Api-Key, "" for a trusted client */
	long	 timeout_ms;	/* a request's whole time, but the upload's */
};

/* An answer: the HTTP code (0 if the host was not reached) and the
 * JSON's "result", or the reason in why. */
struct mr_reply {
	long	 code;
	json_t	*result;	/* NULL unless 2xx and JSON */
	char	 why[512];
};

void	mr_http_init(void);
int	mr_key_read(const char *path, char *key, size_t keysz, char *why,
	    size_t whysz);
int	mr_request(const struct mr_host *h, const char *method,
	    const char *path, const char *query, struct mr_reply *r);
void	mr_reply_free(struct mr_reply *r);

/* Counting commands: lines with something before their comment. */
struct mr_count {
	long	 commands;	/* in the lines ended so far */
	int	 cmd;		/* the line begun has a command */
	int	 comment;	/* and is in its comment */
};

/* What the file is: its SHA-256 in hex, and the commands before each
 * 4 KiB block (spoold's lines: a line of only a comment is none), read
 * once in blocks. */
struct mr_file {
	int	 fd;
	long long size;
	char	 sha256[65];
	long	 total;		/* its commands */
	struct mr_count *blocks;	/* the count where block k begins */
	size_t	 nblocks;
};

/* mrfile.c: f->fd read from its start; 0, or -1 with why. */
int	mr_file_scan(struct mr_file *f, char *why, size_t whysz);
long	mr_file_lines_at(const struct mr_file *f, long long pos);
void	mr_file_free(struct mr_file *f);
int	mr_upload(const struct mr_host *h, struct mr_file *f,
	    const char *name, struct mr_reply *r);
char	*mr_escape(const char *s);

#endif
