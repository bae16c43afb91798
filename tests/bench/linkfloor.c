/*
 * linkfloor - the least a host can do to stream a file to the virtual
 * printer over its pseudo-terminal: the floor under the link's CPU time.
 *
 * usage: linkfloor [-g microseconds] [-w lines] [-x bytes] tty commands
 *
 * It does what the link does on a clean line and nothing more: numbers
 * and checksums each command (one a line in the commands file, as
 * gcode_commands in tests/integration/lib.sh leaves them), keeps at most
 * -w lines in flight and fewer bytes than the firmware's receive buffer
 * (-x), and takes each "ok" for the oldest line.  It has one descriptor and so no poll: a blocking read returns
 * every reply that is waiting, and every line that then fits goes out
 * in one write.  No timer, no clock, no log, no event queue.  What it
 * costs is what the kernel and the pseudo-terminal ask for the same
 * job: `make bench' (tests/bench/link.sh) sets the backend's figure
 * against it.  With -g it sleeps that long after each write, to let
 * replies gather: what a hold would save, with no event loop's cost.
 *
 * On the way out, one line on standard output:
 *   lines=N bytes=N seconds=S cpu_s=C user_s=U reads=R writes=W sleeps=Z
 *   switches=X
 *
 * Diagnostics: a reply it does not expect on a clean line (Resend:,
 * Error:) ends it with exit 1 and the reply; a bad option or file,
 * exit 2.  The file is read a line at a time, never whole.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "gcode.h"

#define RING	64		/* lines in flight at most */

static int fd = -1;
static long reads, writes, sleeps, hold_us;
static char rx[512];
static size_t rxlen;

static void
die(int code, const char *what)
{
	fprintf(stderr, "linkfloor: %s\n", what);
	exit(code);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
put_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		writes++;
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(1, "write to the printer failed");
		p += w;
		n -= (size_t)w;
	}
}

/*
 * One blocking read, and the "ok"s among the whole lines it completes.
 * With want_start, the count is of "start" lines instead (the boot).
 */
static int
take_replies(int want_start)
{
	char buf[4096], *nl;
	ssize_t n;
	size_t i;
	int oks = 0;

	do {
		n = read(fd, buf, sizeof(buf));
		reads++;
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		die(1, "the printer hung up");
	for (i = 0; i < (size_t)n; i++) {
		if (buf[i] != '\n') {
			if (rxlen < sizeof(rx) - 1)
				rx[rxlen++] = buf[i];
			continue;
		}
		rx[rxlen] = '\0';
		if ((nl = strchr(rx, '\r')) != NULL)
			*nl = '\0';
		if (want_start ? strcmp(rx, "start") == 0 :
		    strncmp(rx, "ok", 2) == 0)
			oks++;
		else if (strncmp(rx, "Resend:", 7) == 0 ||
		    strncmp(rx, "Error:", 6) == 0) {
			fprintf(stderr, "linkfloor: the printer said '%s' on"
			    " a clean line\n", rx);
			exit(1);
		}
		rxlen = 0;
	}
	return oks;
}

int
main(int argc, char *argv[])
{
	struct termios tio;
	struct rusage ru;
	FILE *f;
	char cmd[256], out[8192];
	size_t ring[RING], outlen, inflight_bytes = 0;
	long next = 1, acked = 0, lines = 0, window = 4, rxbuf = 128;
	unsigned long long bytes = 0;
	int ch, k, len, done = 0, pending = 0;
	double t0, u0, s0, u, s;
	long sw0;

	while ((ch = getopt(argc, argv, "g:w:x:")) != -1) {
		switch (ch) {
		case 'g':
			hold_us = strtol(optarg, NULL, 10);
			if (hold_us < 0 || hold_us > 999999)
				die(2, "-g: 0 to 999999 microseconds");
			break;
		case 'w':
			window = strtol(optarg, NULL, 10);
			if (window < 1 || window > RING)
				die(2, "-w: 1 to 64 lines");
			break;
		case 'x':
			rxbuf = strtol(optarg, NULL, 10);
			if (rxbuf < 16 || rxbuf > 65536)
				die(2, "-x: 16 to 65536 bytes");
			break;
		default:
			die(2, "usage: linkfloor [-g microseconds] [-w lines]"
			    " [-x bytes] tty commands");
		}
	}
	if (argc - optind != 2)
		die(2, "usage: linkfloor [-g microseconds] [-w lines]"
		    " [-x bytes] tty commands");
	if ((f = fopen(argv[optind + 1], "r")) == NULL) {
		fprintf(stderr, "linkfloor: %s: %s\n", argv[optind + 1],
		    strerror(errno));
		return 2;
	}
	if ((fd = open(argv[optind], O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "linkfloor: %s: %s\n", argv[optind],
		    strerror(errno));
		return 2;
	}
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &tio);
	}

	/* The boot, then line numbers from 0, as the link begins a job. */
	while (take_replies(1) == 0)
		;
	len = gcode_frame(out, sizeof(out) - 1, 0, "M110 N0");
	out[len++] = '\n';
	put_all(out, (size_t)len);
	while (take_replies(0) == 0)
		;

	t0 = now_s();
	reads = writes = 0;
	getrusage(RUSAGE_SELF, &ru);
	u0 = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	s0 = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	sw0 = ru.ru_nvcsw + ru.ru_nivcsw;

	for (;;) {
		/* Every line that fits, in one write. */
		outlen = 0;
		while (!done) {
			if (!pending) {
				if (fgets(cmd, sizeof(cmd), f) == NULL) {
					done = 1;
					break;
				}
				cmd[strcspn(cmd, "\r\n")] = '\0';
				if (cmd[0] == '\0')
					continue;
				pending = 1;
			}
			if (next - 1 - acked >= window)
				break;
			len = gcode_frame(out + outlen,
			    sizeof(out) - outlen - 1, next, cmd);
			if (len < 0)
				die(2, "a command too long to frame");
			/* As the link: at most one byte less than the
			 * receive buffer in flight, any line into an empty
			 * pipe. */
			if (next - 1 > acked &&
			    inflight_bytes + (size_t)len + 1 >= (size_t)rxbuf)
				break;
			out[outlen + (size_t)len] = '\n';
			outlen += (size_t)len + 1;
			ring[next % RING] = (size_t)len + 1;
			inflight_bytes += (size_t)len + 1;
			bytes += (size_t)len + 1;
			next++;
			pending = 0;
		}
		if (outlen > 0)
			put_all(out, outlen);
		if (done && acked == next - 1)
			break;
		if (hold_us > 0 && outlen > 0) {
			struct timespec hs = { 0, hold_us * 1000 };

			nanosleep(&hs, NULL);
			sleeps++;
		}
		/* Every reply waiting, in one read. */
		for (k = take_replies(0); k > 0 && acked < next - 1; k--) {
			acked++;
			lines++;
			inflight_bytes -= ring[acked % RING];
		}
	}

	getrusage(RUSAGE_SELF, &ru);
	u = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 - u0;
	s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6 - s0;
	printf("lines=%ld bytes=%llu seconds=%.3f cpu_s=%.3f user_s=%.3f"
	    " reads=%ld writes=%ld sleeps=%ld switches=%ld\n", lines, bytes,
	    now_s() - t0, u + s, u, reads, writes, sleeps,
	    ru.ru_nvcsw + ru.ru_nivcsw - sw0);
	fclose(f);
	close(fd);
	return 0;
}
