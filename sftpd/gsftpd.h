/*
 * gsftpd.h - the SFTP drop server: what its connection process shares
 * with the tree it serves.  gsftpd(8) documents both.
 */
#ifndef GSPOOL_GSFTPD_H
#define GSPOOL_GSFTPD_H

#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/callbacks.h>
/* sftp.h declares the server's half only with WITH_SERVER (and the
 * build makes an undeclared function an error, so nothing is silently
 * truncated to int). */
#define WITH_SERVER
#include <libssh/sftp.h>

#include "conf.h"

#define SFTP_MAX_HANDLES 256		/* open files and folders at once */
#define SFTP_MAX_READ	 (64 * 1024)	/* bytes of one READ answer */

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
};

/* Serve SFTP requests until the client leaves, idles or stalls. */
void	sftp_serve(struct sftp_conn *, ssh_session, ssh_channel);

/* Remove the temporary files uploads left in an account's folder
 * (SPOOL/drop/ACCOUNT and its subfolders) when gsftpd starts. */
void	sftp_sweep(const struct conf *, const struct conf_account *);

/*
 * The confinement of a connection (sftpjail.c, Landlock): before the
 * login, what any login may need; after it, the one account's tree.
 * 0 done, 1 the kernel offers none (file permissions alone), -1 failed
 * (the connection must end).  jail_abi(): Landlock's ABI, 0 if none.
 */
int	jail_abi(void);
int	jail_login(const struct conf *);
int	jail_account(const struct conf *, const struct conf_account *);

/* The prefix of an upload's temporary name in the drop folder. */
#define SFTP_TMP_PREFIX	".gsftpd-"

#endif
