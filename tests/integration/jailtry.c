/*
 * jailtry - a helper run in a gsftpd connection's place, for
 * sftp-privsep.sh: it becomes gsftpd's user as gsftpd does (when run as
 * root), takes both of a connection's confinements for ACCOUNT (before
 * and after the login), then tries each operation by a direct system
 * call and prints what the kernel said:
 *
 *   jailtry CONFIG ACCOUNT OP...
 *     r:PATH   open PATH to read        w:PATH  create PATH to write
 *     d:PATH   list the folder PATH     t:PORT  connect to 127.0.0.1:PORT
 *     u:PATH   connect to the AF_UNIX socket PATH
 *     x:PATH   run PATH (execve)        f:      start a process (clone)
 *
 * One line per OP: "OP ok" or "OP ERRNO-NAME".
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "gsftpd.h"
#include "log.h"
#include "priv.h"

extern char **environ;

static void
report(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "jailtry: %s\n", msg);
}

static const char *
errname(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	default: return strerror(e);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	struct conf conf;
	const struct conf_account *a;
	char err[256], buf[256];
	long fd;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: jailtry CONFIG ACCOUNT OP...\n");
		return 2;
	}
	log_init("jailtry", LOG_TO_STDERR, 0);
	if (conf_load(&conf, argv[1], report, NULL) != 0)
		return 2;
	if ((a = conf_account(&conf, argv[2])) == NULL) {
		fprintf(stderr, "jailtry: no account %s\n", argv[2]);
		return 2;
	}
	if (geteuid() == 0 && priv_drop(conf.sftp.user, err, sizeof(err)) < 0) {
		fprintf(stderr, "jailtry: %s\n", err);
		return 2;
	}
	if (jail_login(&conf) != 0 || jail_account(&conf, a) != 0) {
		fprintf(stderr, "jailtry: no confinement\n");
		return 3;
	}
	for (i = 3; i < argc; i++) {
		const char *op = argv[i], *arg = op + 2;

		errno = 0;
		if (strncmp(op, "r:", 2) == 0)
			fd = syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY);
		else if (strncmp(op, "w:", 2) == 0)
			fd = syscall(SYS_openat, AT_FDCWD, arg, O_WRONLY |
			    O_CREAT | O_EXCL, 0600);
		else if (strncmp(op, "d:", 2) == 0) {
			fd = syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY |
			    O_DIRECTORY);
			if (fd >= 0 && syscall(SYS_getdents64, (int)fd, buf,
			    sizeof(buf)) < 0) {
				close((int)fd);
				fd = -1;
			}
		} else if (strncmp(op, "t:", 2) == 0) {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons((uint16_t)atoi(arg));
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
			if (fd >= 0 && syscall(SYS_connect, (int)fd, &sin,
			    sizeof(sin)) < 0) {
				close((int)fd);
				fd = -1;
			}
		} else if (strncmp(op, "u:", 2) == 0) {
			struct sockaddr_un sun;

			memset(&sun, 0, sizeof(sun));
			sun.sun_family = AF_UNIX;
			snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", arg);
			fd = syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET, 0);
			if (fd >= 0 && syscall(SYS_connect, (int)fd, &sun,
			    sizeof(sun)) < 0) {
				close((int)fd);
				fd = -1;
			}
		} else if (strncmp(op, "x:", 2) == 0) {
			char *const av[] = { (char *)arg, NULL };

			fd = syscall(SYS_execve, arg, av, environ);
		} else if (strcmp(op, "f:") == 0) {
			fd = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
			if (fd == 0)
				_exit(0);
			if (fd > 0) {
				waitpid((pid_t)fd, NULL, 0);
				fd = -1;	/* not closed: a pid */
				errno = 0;
				printf("%s ok\n", op);
				continue;
			}
		} else {
			fprintf(stderr, "jailtry: %s: not an operation\n", op);
			return 2;
		}
		if (fd >= 0) {
			close((int)fd);
			printf("%s ok\n", op);
		} else
			printf("%s %s\n", op, errname(errno));
	}
	conf_free(&conf);
	/* As gsftpd's connections end: LeakSanitizer's check at exit
	 * reads /proc, which the confinement refuses. */
	fflush(stdout);
	_exit(0);
}
