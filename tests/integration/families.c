/*
 * families - a command under systemd's RestrictAddressFamilies=, for
 * sandbox.sh on a machine without systemd as PID 1:
 *
 *   families FAMILY,... COMMAND [ARG...]
 *     FAMILY   unix, inet or inet6
 *
 * Installs a seccomp filter under which socket() of any other family
 * fails with EAFNOSUPPORT, as the unit's does, then runs COMMAND.  The
 * filter is inherited by every process COMMAND starts, as the unit's
 * is by spoold's children.  Exit 2 on a usage error, 1 when the filter
 * cannot be installed (the test then skips).
 */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DATA(f)	((uint32_t)offsetof(struct seccomp_data, f))

int
main(int argc, char *argv[])
{
	struct sock_filter f[16];
	struct sock_fprog prog;
	uint32_t fam[3];
	size_t n = 0, nfam = 0, i;
	char *list, *w;

	if (argc < 3) {
		fprintf(stderr, "usage: families FAMILY,... COMMAND [ARG...]\n");
		return 2;
	}
	list = argv[1];
	while ((w = strsep(&list, ",")) != NULL) {
		if (nfam == 3)
			goto bad;
		if (strcmp(w, "unix") == 0)
			fam[nfam++] = AF_UNIX;
		else if (strcmp(w, "inet") == 0)
			fam[nfam++] = AF_INET;
		else if (strcmp(w, "inet6") == 0)
			fam[nfam++] = AF_INET6;
		else
			goto bad;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    DATA(nr));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SYS_socket, 0, (uint8_t)(nfam + 2));
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    DATA(args[0]));
	for (i = 0; i < nfam; i++)
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, fam[i], (uint8_t)(nfam - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EAFNOSUPPORT);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ALLOW);
	memset(&prog, 0, sizeof(prog));
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("families: seccomp");
		return 1;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "families: %s: %s\n", argv[2], strerror(errno));
	return 127;
bad:
	fprintf(stderr, "families: '%s': not a list of unix, inet, inet6\n",
	    argv[1]);
	return 2;
}
