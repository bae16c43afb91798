/*
 * gspool-vprinter - a virtual Marlin printer on a pseudo-terminal.
 *
 * It creates a pty, links its slave side at the path given, and answers
 * like Marlin (gspool-vprinter(1) lists what it models): a boot banner
 * starting with "start" each time a host opens the port (as an Arduino
 * board resets on DTR), line numbers and checksums checked with
 * Marlin's exact error and "Resend:" lines, "ok" after each command,
 * M105, M110 and M115 with Cap: lines.  Every command it executes is
 * appended, in order, to the log file: tests compare that log with the
 * job's commands.
 *
 * Diagnostics on stderr; exit 0 on SIGTERM/SIGINT, 1 on setup errors.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "gcode.h"
#include "log.h"
#include "util.h"

#define MAX_CMD_SIZE	96	/* Marlin's default, with the NUL */
#define MAX_FAULTS	64

struct vp {
	int	 master;
	int	 connected;
	FILE	*log;
	const char *firmware;
	int	 ok_after_resend;
	long	 last_n;
	long	 executed;
	long	 silent_after;	/* stop answering after this many, or -1 */
	long	 command_ms;	/* time each command takes to execute */
	long	 corrupt[MAX_FAULTS];
	int	 ncorrupt;
	double	 hotend, hotend_target, bed, bed_target;

	char	 line[MAX_CMD_SIZE];
	size_t	 len;
	int	 in_comment;
	int	 overflow;
};

static volatile sig_atomic_t quit;
static const char *link_path;

static void
on_signal(int sig)
{
	quit = sig;
}

static void
vp_say(struct vp *vp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
vp_say(struct vp *vp, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (vp->silent_after >= 0 && vp->executed >= vp->silent_after)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write_all(vp->master, buf, (size_t)n) < 0 && errno != EIO)
		log_warn("write to the pty");
}

static void
vp_boot(struct vp *vp)
{
	vp->last_n = 0;
	vp->len = 0;
	vp->in_comment = vp->overflow = 0;
	vp_say(vp, "start");
	vp_say(vp, "echo:%s", vp->firmware);
	vp_say(vp, "echo: Last Updated: 2024-01-01 | Author: (gspool virtual printer)");
	vp_say(vp, "echo:SD card ok");
}

static void
vp_log(struct vp *vp, const char *cmd)
{
	fprintf(vp->log, "%s\n", cmd);
	fflush(vp->log);
}

static void
vp_temps(struct vp *vp, const char *prefix)
{
	vp_say(vp, "%sT:%.2f /%.2f B:%.2f /%.2f @:0 B@:0", prefix, vp->hotend,
	    vp->hotend_target, vp->bed, vp->bed_target);
}

/* Protocol and queries change nothing on the print: not logged. */
static int
vp_is_protocol(char letter, long code)
{
	return letter == 'M' && (code == 105 || code == 110 || code == 115);
}

/* Run one parsed command (no N, no checksum). */
static void
vp_execute(struct vp *vp, const char *cmd)
{
	char letter = cmd[0];
	long code = strtol(cmd + 1, NULL, 10);
	double v;

	if (vp->silent_after >= 0 && vp->executed >= vp->silent_after)
		return;		/* hung: nothing runs any more */
	if (!vp_is_protocol(letter, code)) {
		vp_log(vp, cmd);
		vp->executed++;
	}
	if (vp->command_ms > 0)
		usleep((useconds_t)vp->command_ms * 1000);
	if (letter == 'M') {
		switch (code) {
		case 105:
			vp_temps(vp, "ok ");
			return;
		case 104: case 109:
			if (gcode_word(cmd, 'S', &v) || gcode_word(cmd, 'R', &v))
				vp->hotend_target = v;
			if (code == 109)
				vp->hotend = vp->hotend_target;
			break;
		case 140: case 190:
			if (gcode_word(cmd, 'S', &v) || gcode_word(cmd, 'R', &v))
				vp->bed_target = v;
			if (code == 190)
				vp->bed = vp->bed_target;
			break;
		case 110:
			if (gcode_word(cmd, 'N', &v))
				vp->last_n = (long)v;
			break;
		case 115:
			vp_say(vp, "FIRMWARE_NAME:%s SOURCE_CODE_URL:"
			    "github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0"
			    " MACHINE_TYPE:gspool-vprinter EXTRUDER_COUNT:1"
			    " UUID:cede2a2f-41a2-4748-9b12-c55c62f367ff",
			    vp->firmware);
			vp_say(vp, "Cap:SERIAL_XON_XOFF:0");
			vp_say(vp, "Cap:EEPROM:0");
			vp_say(vp, "Cap:AUTOREPORT_TEMP:1");
			vp_say(vp, "Cap:PROGRESS:0");
			vp_say(vp, "Cap:PRINT_JOB:1");
			vp_say(vp, "Cap:EMERGENCY_PARSER:0");
			break;
		default:
			break;
		}
	} else if (letter != 'G' && letter != 'T') {
		vp_say(vp, "echo:Unknown command: \"%s\"", cmd);
	}
	vp_say(vp, "ok");
}

static void
vp_error(struct vp *vp, const char *what)
{
	vp_say(vp, "Error:%s, Last Line: %ld", what, vp->last_n);
	vp_say(vp, "Resend: %ld", vp->last_n + 1);
	if (vp->ok_after_resend)
		vp_say(vp, "ok");
}

static int
vp_fault_corrupt(struct vp *vp, long n)
{
	int i;

	for (i = 0; i < vp->ncorrupt; i++) {
		if (vp->corrupt[i] == n) {
			vp->corrupt[i] = -1;	/* once */
			return 1;
		}
	}
	return 0;
}

/* A whole line arrived (comment already gone).  Returns 1 if the rest of
 * the received bytes must be drained, as Marlin does after an error. */
static int
vp_line(struct vp *vp, char *s)
{
	char *star, *p, *end;
	long n;
	unsigned cs;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;		/* blank: no ok, no error */
	if (*s == 'N') {
		n = strtol(s + 1, &end, 10);
		if (strstr(s, "M110") != NULL) {
			/* Marlin takes the new number from a second N past
			 * the first four bytes, and skips the continuity
			 * check for such a line. */
			p = strlen(s) > 4 ? strchr(s + 4, 'N') : NULL;
			if (p != NULL)
				n = strtol(p + 1, NULL, 10);
		} else if (n != vp->last_n + 1) {
			vp_error(vp, "Line Number is not Last Line Number+1");
			return 1;
		}
		if ((star = strrchr(s, '*')) == NULL) {
			vp_error(vp, "No Checksum with line number");
			return 1;
		}
		cs = (unsigned)strtoul(star + 1, NULL, 10);
		if (cs != gcode_checksum(s, (size_t)(star - s)) ||
		    vp_fault_corrupt(vp, n)) {
			vp_error(vp, "checksum mismatch");
			return 1;
		}
		vp->last_n = n;
		*star = '\0';
		s = end;	/* the parser drops the N word */
		while (*s == ' ')
			s++;
	}
	for (end = s + strlen(s); end > s && end[-1] == ' '; end--)
		end[-1] = '\0';
	if (*s == '\0')
		return 0;
	vp_execute(vp, s);
	return 0;
}

static void
vp_bytes(struct vp *vp, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\n' || c == '\r') {
			vp->line[vp->len] = '\0';
			vp->len = 0;
			vp->in_comment = vp->overflow = 0;
			if (vp_line(vp, vp->line))
				return;	/* drain the rest, as Marlin does */
			continue;
		}
		if (c == ';')
			vp->in_comment = 1;
		if (vp->in_comment || vp->overflow)
			continue;
		if (c == '\b') {
			if (vp->len > 0)
				vp->len--;
			continue;
		}
		if (vp->len >= MAX_CMD_SIZE - 1) {
			vp->overflow = 1;	/* the rest is lost */
			continue;
		}
		vp->line[vp->len++] = c;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: gspool-vprinter [-v] [-f firmware] [-o log]"
	    " [--no-ok-after-resend]\n"
	    "                       [--command-ms N] [--corrupt-line N]..."
	    " [--silent-after N] link\n");
	exit(2);
}

static void
cleanup(void)
{
	if (link_path)
		unlink(link_path);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "no-ok-after-resend", no_argument, NULL, 'R' },
		{ "corrupt-line", required_argument, NULL, 'C' },
		{ "silent-after", required_argument, NULL, 'S' },
		{ "command-ms", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vp vp;
	struct sigaction sa;
	struct termios tio;
	const char *logpath = "/dev/null";
	char *tmp, buf[4096];
	int ch, sfd, verbose = 0;
	long v;

	memset(&vp, 0, sizeof(vp));
	vp.firmware = "Marlin 2.1.2.1 (gspool-vprinter)";
	vp.ok_after_resend = 1;
	vp.silent_after = -1;
	log_init("gspool-vprinter", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "f:ho:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			vp.firmware = optarg;
			break;
		case 'o':
			logpath = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'R':
			vp.ok_after_resend = 0;
			break;
		case 'C':
			if (parse_long(optarg, 0, 2000000000, &v) < 0 ||
			    vp.ncorrupt == MAX_FAULTS)
				fatalx("--corrupt-line: '%s' is not a line"
				    " number (0 to 2000000000, at most %d)",
				    optarg, MAX_FAULTS);
			vp.corrupt[vp.ncorrupt++] = v;
			break;
		case 'M':
			if (parse_long(optarg, 0, 60000, &v) < 0)
				fatalx("--command-ms: '%s' is not a number of"
				    " milliseconds (0 to 60000)", optarg);
			vp.command_ms = v;
			break;
		case 'S':
			if (parse_long(optarg, 0, 2000000000, &v) < 0)
				fatalx("--silent-after: '%s' is not a count",
				    optarg);
			vp.silent_after = v;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	log_set_verbose(verbose);
	link_path = argv[optind];

	if ((vp.log = fopen(logpath, "ae")) == NULL)
		fatal("%s", logpath);
	if ((vp.master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    grantpt(vp.master) < 0 || unlockpt(vp.master) < 0)
		fatal("cannot create a pseudo-terminal");
	/* Put the line discipline in raw mode once, through the slave. */
	if ((sfd = open(ptsname(vp.master), O_RDWR | O_NOCTTY)) < 0)
		fatal("%s", ptsname(vp.master));
	if (tcgetattr(sfd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(sfd, TCSANOW, &tio);
	}
	close(sfd);

	/* Publish the port atomically: a host never sees a half-made link. */
	tmp = xasprintf("%s.tmp%ld", link_path, (long)getpid());
	unlink(tmp);
	if (symlink(ptsname(vp.master), tmp) < 0 || rename(tmp, link_path) < 0)
		fatal("cannot link %s", link_path);
	free(tmp);
	atexit(cleanup);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_debug("%s -> %s", link_path, ptsname(vp.master));

	while (!quit) {
		struct pollfd pfd = { .fd = vp.master, .events = POLLIN };
		ssize_t n;
		int r;

		/* With no host on the slave side poll reports POLLHUP at
		 * once: look again a little later. */
		r = poll(&pfd, 1, vp.connected ? -1 : 20);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd.revents & POLLHUP && !(pfd.revents & POLLIN)) {
			if (vp.connected)
				log_debug("host closed the port");
			vp.connected = 0;
			if (r > 0 && !vp.connected)
				usleep(20000);
			continue;
		}
		if (!vp.connected) {
			vp.connected = 1;
			log_debug("host opened the port: booting");
			vp_boot(&vp);
		}
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(vp.master, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EIO) {
				vp.connected = 0;
				continue;
			}
			fatal("read from the pty");
		}
		if (vp.silent_after >= 0 && vp.executed >= vp.silent_after)
			continue;
		vp_bytes(&vp, buf, (size_t)n);
	}
	fclose(vp.log);
	return 0;
}
