/*
 * gsftpd.h - the SFTP drop server: the map of its parts.  gsftpd(8)
 * documents what they serve.
 *
 *   gsftpd.c    the listener: accepts, counts, bans, forks
 *   folders.c   the spool folders it needs, made as root
 *   session.c   one connection: key exchange, login, subsystem
 *   jail.c      a connection's confinement (Landlock, seccomp)
 *   request.c   the requests of a logged-in account, and the handles
 *   sftppath.c  a client's path parsed into what it names
 *   sftptree.c  the tree's folders and attributes
 *   upload.c    drop/: uploads, renames, removals, the start's sweep
 *   readonly.c  the files that may be read: generated, and real
 *   ctl.c       spoold, as the account
 */
#ifndef GSPOOL_GSFTPD_H
#define GSPOOL_GSFTPD_H

#include <dirent.h>
#include <stdint.h>
#include <sys/types.h>

#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/callbacks.h>
/* sftp.h declares the server's half only with WITH_SERVER (and the
 * build makes an undeclared function an error, so nothing is silently
 * truncated to int). */
#define WITH_SERVER
#include <libssh/sftp.h>

#include <jansson.h>

#include "conf.h"

struct sftp_node;

#define SFTP_MAX_HANDLES 256		/* open files and folders at once */
#define SFTP_MAX_READ	 (64 * 1024)	/* bytes of one READ answer */

/* The prefix of an upload's temporary name in the drop folder. */
#define SFTP_TMP_PREFIX	".gsftpd-"

/* Exit codes of a connection's process, read by the listener. */
#define CONN_OK		0
#define CONN_AUTHFAIL	3		/* tried to log in and failed */
#define CONN_TIMEOUT	4		/* the watchdog ended it */

/* One logged-in account's connection. */
struct sftp_conn {
	const struct conf	   *conf;
	const struct conf_account  *acct;
	const char		   *addr;	/* the client's address */
	int			    dropfd;	/* SPOOL/drop/ACCOUNT */
	int			    ctl;	/* spoold, as the account; -1 */
	unsigned		    seq;	/* temporary names */
	long long		    uploaded;	/* bytes committed */
	int			    files;	/* files committed */
	char			    refused[512]; /* spoold's refusal of the
						   * account's files, "" if
						   * none (ctl_usage()) */
};

/* A name in a folder's listing, and its attributes. */
struct entry {
	char		 name[256];
	uint32_t	 mode;
	uint64_t	 size;
	uint32_t	 mtime;
};

enum { H_READ = 1, H_UPLOAD, H_DIR };

/* What an SFTP handle names: a file open for reading, an upload, or a
 * folder's listing. */
struct handle {
	int		 type;
	int		 fd;		/* file, or the upload's folder */
	int		 tmpfd;		/* the upload being written */
	char		 tmp[64];
	char		 name[256];
	int		 failed;
	int		 excl;
	long long	 room;		/* bytes the upload may reach */
	long long	 size;		/* its end so far */
	struct entry	*ents;		/* a folder's listing */
	size_t		 nents, pos;
};

/* folders.c: SPOOL/sftp, the drop folders, SPOOL/jobs' pass-through;
 * 0, or -1 once every folder has been tried (each failure logged). */
int	sftp_prepare(const struct conf *, uid_t uid, gid_t gid,
	    uid_t spool_uid, gid_t spool_gid);

/* session.c: serve the connection on fd (in its own process) until
 * the client leaves; its login events are told on report.  A CONN_*
 * exit code, or 1. */
int	sftp_connection(const struct conf *, ssh_bind, int fd,
	    const char *addr, int report);

/*
 * jail.c: the confinement of a connection (Landlock): before the
 * login, what any login may need; after it, the one account's tree.
 * 0 done, 1 the kernel offers none (file permissions alone), -1 failed
 * (the connection must end).  jail_abi(): Landlock's ABI, 0 if none.
 */
int	jail_abi(void);
int	jail_login(const struct conf *);
int	jail_account(const struct conf *, const struct conf_account *);

/* request.c: serve SFTP requests until the client leaves, idles or
 * stalls; the open handles, an SFTP status with why, a new handle's
 * answer (h freed if none is left), and a handle's end (an upload not
 * committed is discarded). */
extern struct handle *handles[SFTP_MAX_HANDLES];
void	sftp_serve(struct sftp_conn *, ssh_session, ssh_channel);
int	reply(sftp_client_message, uint32_t status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
struct handle *handle_get(sftp_client_message, uint32_t *slot);
void	reply_handle(sftp_client_message, struct handle *);
void	handle_free(struct handle *);

/* sftptree.c: attributes, a node's (0 or an SFTP status, with why), a
 * real folder read from the start, OPENDIR and READDIR. */
void	fill_attrs(struct sftp_attributes_struct *, uint32_t mode,
	    uint64_t size, uint32_t mtime);
uint32_t node_stat(struct sftp_conn *, const struct sftp_node *,
	    struct entry *, const char **why);
DIR	*dir_read(int dfd);
void	tree_opendir(struct sftp_conn *, sftp_client_message);
void	tree_readdir(struct sftp_conn *, sftp_client_message);

/* upload.c: the account's drop folder or its DEST subfolder (made if
 * create), an upload's attributes, OPEN for writing, WRITE, an
 * upload's CLOSE, REMOVE and RENAME in drop/; and at start, the
 * temporary files uploads left in an account's folders. */
int	drop_dir(struct sftp_conn *, const char *dest, int create);
uint32_t upload_stat(struct sftp_conn *, const struct sftp_node *,
	    struct entry *);
void	upload_open(struct sftp_conn *, sftp_client_message,
	    const struct sftp_node *);
void	upload_write(struct sftp_conn *, sftp_client_message);
void	upload_close(struct sftp_conn *, sftp_client_message,
	    struct handle *);
void	upload_remove(struct sftp_conn *, sftp_client_message,
	    const struct sftp_node *);
void	upload_rename(struct sftp_conn *, sftp_client_message, int posix);
void	sftp_sweep(const struct conf *, const struct conf_account *);

/* readonly.c: a folder of the spool by name (-1 if none), the
 * attributes of a file that may be read (0 or an SFTP status), its
 * descriptor (-1), and the generated files forgotten. */
int	spool_subdir(struct sftp_conn *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
uint32_t readonly_stat(struct sftp_conn *, const struct sftp_node *,
	    struct entry *, const char **why);
int	readonly_open(struct sftp_conn *, const struct sftp_node *);
void	readonly_forget(void);

/* ctl.c: spoold's control socket as the account (-1 if unreachable),
 * the queue it sees (history: the ended jobs), its own job (NULL if it
 * has none such), its jobs (ended ones too with ended), the bytes
 * spoold keeps for it, and a job canceled (answering msg). */
int	ctl_open(struct sftp_conn *);
json_t	*ctl_queue(struct sftp_conn *, int history);
json_t	*own_job(struct sftp_conn *, long id);
json_t	*own_jobs(struct sftp_conn *, int ended);
long long ctl_usage(struct sftp_conn *);
void	ctl_cancel(struct sftp_conn *, sftp_client_message, long id);
void	ctl_pause(struct sftp_conn *, sftp_client_message, long id,
	    int pause);

#endif
