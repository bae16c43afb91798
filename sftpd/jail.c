/*
 * jail.c - the Landlock confinement of a gsftpd connection
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
 *
 * And a seccomp filter, from before the client's first byte: no new
 * program (execve), no new process or thread, no tracing, no sockets
 * but AF_UNIX ones (the control socket, syslog), no bind, listen or
 * accept, no namespaces, mounts, keyrings, BPF or user changes.  Each
 * is refused with EPERM rather than killing, so that a refusal is
 * logged by the code that met it.
 *
 * Diagnostics: a confinement that cannot be set up is logged with the
 * call that failed, and the connection ends (-1); a kernel without
 * Landlock is said once, by the listener, at start.
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

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/socket.h>

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
			if (r == 0 && conf->accounts[i].keys != NULL)
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

#if defined(__x86_64__)
#define SECCOMP_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARMEL__)
#define SECCOMP_ARCH	AUDIT_ARCH_ARM
#elif defined(__i386__)
#define SECCOMP_ARCH	AUDIT_ARCH_I386
#endif

#ifdef SECCOMP_ARCH
/* The calls a connection never makes. */
static const long refused[] = {
	SYS_execve,
#ifdef SYS_execveat
	SYS_execveat,
#endif
#ifdef SYS_fork
	SYS_fork,
#endif
#ifdef SYS_vfork
	SYS_vfork,
#endif
	SYS_clone,
#ifdef SYS_clone3
	SYS_clone3,
#endif
	SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev,
#ifdef SYS_bind
	SYS_bind, SYS_listen, SYS_accept, SYS_accept4,
#endif
	SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root,
	SYS_chroot, SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid,
	SYS_setresuid, SYS_setresgid, SYS_setgroups, SYS_setfsuid,
	SYS_setfsgid, SYS_capset, SYS_bpf, SYS_perf_event_open, SYS_keyctl,
	SYS_add_key, SYS_request_key, SYS_init_module, SYS_finit_module,
	SYS_delete_module, SYS_kexec_load, SYS_reboot, SYS_personality,
	SYS_userfaultfd,
#ifdef SYS_io_uring_setup
	SYS_io_uring_setup,
#endif
#ifdef SYS_open_by_handle_at
	SYS_open_by_handle_at,
#endif
};

#define NREFUSED	(sizeof(refused) / sizeof(refused[0]))
#define DATA(f)		((uint32_t)offsetof(struct seccomp_data, f))

static int
seccomp_filter(void)
{
	struct sock_filter f[8 + NREFUSED * 2 + 8];
	struct sock_fprog prog;
	size_t n = 0, i;

	/* Another architecture's calls (x32, a 32-bit ABI): killed, as
	 * their numbers mean other calls. */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    DATA(arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SECCOMP_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    DATA(nr));
#ifdef __x86_64__
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    0x40000000, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
#endif
	for (i = 0; i < NREFUSED; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, (uint32_t)refused[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ERRNO | EPERM);
	}
	/* socket(): AF_UNIX alone. */
#ifdef SYS_socket
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SYS_socket, 0, 3);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    DATA(args[0]));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    AF_UNIX, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EPERM);
#endif
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ALLOW);
	memset(&prog, 0, sizeof(prog));
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		if (errno == EINVAL)
			return 1;	/* no seccomp in this kernel */
		log_warn("sandbox: seccomp");
		return -1;
	}
	return 0;
}
#else
static int
seccomp_filter(void)
{
	return 1;
}
#endif

int
jail_login(const struct conf *conf)
{
	int r;

#ifdef HAVE_LANDLOCK
	r = jail(conf, NULL);
#else
	(void)conf;
	r = 1;
#endif
	/* The filter leaves Landlock's calls be: the layer after the
	 * login needs them. */
	if (r >= 0 && seccomp_filter() < 0)
		return -1;
	return r;
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
