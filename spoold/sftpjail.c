/*
 * sftpjail.c - the Landlock confinement of a gsftpd connection
 * (gsftpd(8), SECURITY CONSIDERATIONS).
 *
 * Two layers, each of which can only take away: before the client's
 * first byte, the files any login may need (the accounts' key files,
 * the session locks) and the trees an account may be served (its drop
 * folder, the printers' and jobs' folders to read); after the login,
 * that one account's tree.  No TCP connection or bind, no signal to a
 * process outside, and no abstract socket, where the kernel's Landlock
 * knows those.  The kernel's headers may be older than the kernel: the
 * ABI is asked, and the rights and the attribute's size follow it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "util.h"

#if defined(SYS_landlock_create_ruleset) && defined(SYS_landlock_add_rule) && \
    defined(SYS_landlock_restrict_self)
#define HAVE_LANDLOCK 1
#endif

/* The kernel's Landlock interface (include/uapi/linux/landlock.h). */
#define LL_VERSION		(1U << 0)
#define LL_RULE_PATH_BENEATH	1
#define FS_EXECUTE		(1ULL << 0)
#define FS_WRITE_FILE		(1ULL << 1)
#define FS_READ_FILE		(1ULL << 2)
#define FS_READ_DIR		(1ULL << 3)
#define FS_REMOVE_DIR		(1ULL << 4)
#define FS_REMOVE_FILE		(1ULL << 5)
#define FS_MAKE_CHAR		(1ULL << 6)
#define FS_MAKE_DIR		(1ULL << 7)
#define FS_MAKE_REG		(1ULL << 8)
#define FS_MAKE_SOCK		(1ULL << 9)
#define FS_MAKE_FIFO		(1ULL << 10)
#define FS_MAKE_BLOCK		(1ULL << 11)
#define FS_MAKE_SYM		(1ULL << 12)
#define FS_REFER		(1ULL << 13)	/* ABI 2 */
#define FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define NET_CONNECT_TCP		(1ULL << 1)
#define SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define SCOPE_SIGNAL		(1ULL << 1)

struct ll_ruleset {
	uint64_t	fs, net, scoped;
};

struct ll_beneath {
	uint64_t	allowed;
	int32_t		parent_fd;
} __attribute__((packed));

/* What a file of each kind may be allowed. */
#define R_KEYS	(FS_READ_FILE)
#define R_LOCKS	(FS_READ_FILE | FS_WRITE_FILE | FS_MAKE_REG)
#define R_VIEW	(FS_READ_FILE | FS_READ_DIR)
#define R_DROP	(FS_READ_FILE | FS_WRITE_FILE | FS_READ_DIR | \
		 FS_REMOVE_FILE | FS_REMOVE_DIR | FS_MAKE_REG | FS_MAKE_DIR | \
		 FS_REFER | FS_TRUNCATE)

int
jail_abi(void)
{
#ifdef HAVE_LANDLOCK
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);

	return v < 0 ? 0 : (int)v;
#else
	return 0;
#endif
}

#ifdef HAVE_LANDLOCK
static uint64_t
fs_rights(int abi)
{
	uint64_t r = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR |
	    FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR |
	    FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK |
	    FS_MAKE_SYM;

	if (abi >= 2)
		r |= FS_REFER;
	if (abi >= 3)
		r |= FS_TRUNCATE;
	if (abi >= 5)
		r |= FS_IOCTL_DEV;
	return r;
}

/* Allow RIGHTS (less those the ABI does not know) beneath PATH.  A
 * path that does not exist is left out: nothing there to reach. */
static int
allow(int ruleset, int abi, const char *path, uint64_t rights, int dir)
{
	struct ll_beneath pb;
	int fd, r;

	fd = open(path, O_PATH | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_warn("sandbox: %s", path);
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed = rights & fs_rights(abi);
	if (!dir)
		pb.allowed &= FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE |
		    FS_TRUNCATE | FS_IOCTL_DEV;
	pb.parent_fd = fd;
	r = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH,
	    &pb, 0);
	if (r < 0)
		log_warn("sandbox: a rule for %s", path);
	close(fd);
	return r < 0 ? -1 : 0;
}

static int
allow_tree(int rs, int abi, const struct conf *conf,
    const struct conf_account *a)
{
	char *p;
	int r;

	p = xasprintf("%s/drop/%s", conf->spool_dir, a->name);
	r = allow(rs, abi, p, R_DROP, 1);
	free(p);
	return r;
}

static int
allow_view(int rs, int abi, const struct conf *conf)
{
	char *p;
	int r;

	p = xasprintf("%s/printers", conf->spool_dir);
	r = allow(rs, abi, p, R_VIEW, 1);
	free(p);
	p = xasprintf("%s/jobs", conf->spool_dir);
	if (r == 0)
		r = allow(rs, abi, p, R_VIEW, 1);
	free(p);
	return r;
}

/* A new layer: acct NULL before the login (every account's tree, the
 * keys and the locks), else that account's tree alone. */
static int
jail(const struct conf *conf, const struct conf_account *acct)
{
	static int told;
	struct ll_ruleset attr;
	size_t sz, i;
	char *p;
	int abi = jail_abi(), rs, r = 0;

	if (abi <= 0) {
		if (!told++)
			log_info("the kernel offers no Landlock: connections"
			    " are confined by file permissions alone");
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.fs = fs_rights(abi);
	sz = sizeof(attr.fs);
	if (abi >= 4) {
		attr.net = NET_BIND_TCP | NET_CONNECT_TCP;
		sz = offsetof(struct ll_ruleset, scoped);
	}
	if (abi >= 6) {
		attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
		sz = sizeof(attr);
	}
	if ((rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sz, 0)) <
	    0) {
		log_warn("sandbox: landlock_create_ruleset");
		return -1;
	}
	if (acct != NULL)
		r = allow_tree(rs, abi, conf, acct);
	else {
		for (i = 0; r == 0 && i < conf->naccounts; i++) {
			r = allow_tree(rs, abi, conf, &conf->accounts[i]);
			if (r == 0)
				r = allow(rs, abi, conf->accounts[i].keys,
				    R_KEYS, 0);
		}
		p = xasprintf("%s/sftp", conf->spool_dir);
		if (r == 0)
			r = allow(rs, abi, p, R_LOCKS, 1);
		free(p);
	}
	if (r == 0)
		r = allow_view(rs, abi, conf);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("sandbox: PR_SET_NO_NEW_PRIVS");
		r = -1;
	}
	if (r == 0 && syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		log_warn("sandbox: landlock_restrict_self");
		r = -1;
	}
	close(rs);
	return r;
}
#endif

int
jail_login(const struct conf *conf)
{
#ifdef HAVE_LANDLOCK
	return jail(conf, NULL);
#else
	(void)conf;
	return 1;
#endif
}

int
jail_account(const struct conf *conf, const struct conf_account *a)
{
#ifdef HAVE_LANDLOCK
	return jail(conf, a);
#else
	(void)conf;
	(void)a;
	return 1;
#endif
}
