/*
 * gprint - submit G-code files to spoold, like lpr(1).
 *
 * Each file becomes one job.  gprint opens the file itself and passes
 * the open descriptor to spoold, so spoold reads exactly what the user
 * may read, nothing else.  Standard input (no file, or "-") is first
 * copied into an unnamed temporary file, so that spoold reads a regular
 * file there too.  gprint(1) documents the options and exit codes.
 *
 * Security: gprint reads no file for spoold: it opens the file with
 * the user's own rights and passes the descriptor, so spoold can read
 * nothing the user could not.  A title or file name is cleaned of
 * control bytes before it is shown or sent.
 *
 * Diagnostics: a refused file is named with spoold's reason (the line
 * of the file and what is wrong there), one line each, and the other
 * files go on; the exit status says whether any was refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "analyse.h"
#include "client.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "remote.h"
#include "usage.h"
#include "util.h"

static const char help[] =
"usage: gprint [-hqw] [-# copies] [-c config] [-P dest] [-p priority]\n"
"              [-T title] [--hold-until time] [--json] [-H host[:port]]\n"
"              [file ...]\n"
"       gprint --check [--all] [--json] [-c config] [-P dest] file ...\n"
"       gprint --reprint job [-w] [--json] [-c config]\n"
"       gprint --version\n"
"  -c config            read this configuration file\n"
"  -h, --help           print this help and exit\n"
"  -# copies            print each job this many times (1 to 100)\n"
"  --hold-until time    hold the jobs until indefinite, HH:MM,\n"
"                       YYYY-MM-DD HH:MM or +N[smhd]\n"
"  -P dest              send the jobs to this printer or class\n"
"  -H [user@]host[:port]  send the files to a remote gsftpd\n"
"  --check              check and analyse the files, queue nothing\n"
"  --all                with --check: show every reason a file is refused\n"
"  --json               one JSON object a file\n"
"  -p priority          the jobs' priority, 1 to 100 (default 50)\n"
"  -q                   hold the jobs until gpc release\n"
"  --reprint job        queue a job's kept file again\n"
"  -T title             the jobs' title\n"
"  -w                   wait until each job has ended\n"
"  --version            print the version and exit\n";

static void
usage(void)
{
	usage_error(EXIT_USAGE, NULL);
}

static void
print_duration(long s)
{
	if (s >= 3600)
		printf("%ldh %02ldm %02lds", s / 3600, s / 60 % 60, s % 60);
	else
		printf("%ldm %02lds", s / 60, s % 60);
}

/* What the file was made for, or that its slicer does not say. */
static void
report_made_for(const struct analysis *a)
{
	int t;

	if (!analyse_made_for(a)) {
		printf("  made for: not said (judged by the build volume and"
		    " temperatures alone)\n");
		return;
	}
	printf("  made for: %s", a->for_model[0] ? a->for_model :
	    "(no model said)");
	for (t = 0; t < ANALYSE_TOOLS; t++) {
		if (!analyse_uses_tool(a, t))
			continue;
		printf(", T%d", t);
		if (a->for_nozzle[t] > 0)
			printf(" nozzle %g mm", a->for_nozzle[t]);
		if (a->for_material[t][0])
			printf(" %s", a->for_material[t]);
	}
	if (a->for_bed[0])
		printf(", bed %s", a->for_bed);
	printf("\n");
}

/* The readable report of gprint --check. */
static void
report(const char *file, const struct analysis *a, int ok)
{
	unsigned long k;
	int i, any = 0;

	if (!ok && (!a->keep_going || a->nreasons == 0)) {
		printf("%s: refused: %s\n", file, a->error);
		if (a->stopped_line > 0)
			printf("  the analysis stopped at line %lu"
			    " (--all reads on and shows every reason)\n",
			    analyse_stopped_line(a));
		return;
	}
	if (!ok) {
		printf("%s: refused, %lu reason%s in %lu lines:\n", file,
		    a->nreasons, a->nreasons > 1 ? "s" : "",
		    analyse_stopped_line(a));
		for (k = 0; k < a->nreasons && k < ANALYSE_REASONS; k++)
			printf("  %s\n", a->reasons[k]);
		if (a->nreasons > ANALYSE_REASONS)
			printf("  and %lu more\n", a->nreasons - ANALYSE_REASONS);
		return;
	}
	printf("%s: accepted, %lu commands\n", file, a->lx.ncmds);
	for (i = 0; i < ANALYSE_DIALECTS; i++) {
		if (a->nwarnings[i] == 0)
			continue;
		printf("  warning: %s", a->warnings[i]);
		if (a->nwarnings[i] > 1)
			printf(" (and %lu more line%s like it)",
			    a->nwarnings[i] - 1, a->nwarnings[i] > 2 ? "s" : "");
		printf("\n");
	}
	if (a->slicer[0])
		printf("  slicer: %s%s%s\n", a->slicer,
		    a->slicer_version[0] ? " " : "", a->slicer_version);
	printf("  layers: %lu", a->layers);
	if (a->extruded && a->bbox_z_known)
		printf(", the first at %.2f mm", a->first_layer_z);
	if (a->nheights > 0)
		printf(", %.2f mm high", analyse_layer_height(a));
	printf("\n  estimated time: ");
	if (a->slicer_seconds >= 0) {
		print_duration(a->slicer_seconds);
		printf(" (the slicer's); ");
	}
	print_duration(lround(a->seconds));
	printf(" (gspool's)\n  filament:");
	for (i = 0; i < ANALYSE_TOOLS; i++)
		if (a->filament_mm[i] > 0) {
			printf("%s T%d %.1f mm", any++ ? "," : "", i,
			    a->filament_mm[i]);
			if (a->slicer_filament_g[i] >= 0)
				printf(" (%.2f g, the slicer's)",
				    a->slicer_filament_g[i]);
		}
	printf("%s\n", any ? "" : " none");
	if (a->extruded && a->bbox_z_known)
		printf("  extrusion within: X %.1f..%.1f, Y %.1f..%.1f,"
		    " Z %.2f..%.2f mm\n", a->bbox_min[0], a->bbox_max[0],
		    a->bbox_min[1], a->bbox_max[1], a->bbox_min[2],
		    a->bbox_max[2]);
	else if (a->extruded)
		printf("  extrusion within: X %.1f..%.1f, Y %.1f..%.1f mm"
		    " (Z not known)\n", a->bbox_min[0], a->bbox_max[0],
		    a->bbox_min[1], a->bbox_max[1]);
	printf("  temperatures: hotend %.0f C (first layer %.0f), bed %.0f C"
	    " (first layer %.0f)\n", a->max_hotend, a->first_hotend,
	    a->max_bed, a->first_bed);
	for (i = 0; i < a->nthumbs; i++)
		printf("%s%dx%d %s", i ? ", " : "  thumbnails: ",
		    a->thumbs[i].width, a->thumbs[i].height,
		    a->thumbs[i].format);
	if (a->nthumbs)
		printf("\n");
	for (i = 0; i < a->nobjects; i++)
		printf("%s%s", i ? ", " : "  objects: ", a->objects[i]);
	if (a->nobjects)
		printf("\n");
	if (a->pauses)
		printf("  pauses for the user (M0/M1): %lu\n", a->pauses);
	report_made_for(a);
}

/* What spoold would do with an accepted file, by what it was made for
 * and what the printer (or each member of the class) declares in the
 * configuration: FIT_OK, FIT_HOLD or FIT_REFUSE, with why.  What gpc
 * load said is spoold's to know; the configuration's materials are
 * judged here. */
static int
check_suits(const struct conf *conf, const struct conf_printer *cp,
    const struct conf_class *k, const struct analysis *a, char *why,
    size_t whysz)
{
	struct fit_printer fp;
	struct fit_file f;
	char want[FIT_REASON];
	size_t m;
	int v;

	fit_file_from_analysis(&f, a);
	if (cp != NULL) {
		fp = cp->fit;
		fp.name = cp->name;
		return fit_judge(&f, &fp, why, whysz, want, sizeof(want));
	}
	for (m = 0; k != NULL && m < k->nmembers; m++) {
		const struct conf_printer *q = conf_printer(conf,
		    k->members[m]);
		char w[FIT_REASON];

		if (q == NULL)
			continue;
		fp = q->fit;
		fp.name = q->name;
		if ((v = fit_judge(&f, &fp, w, sizeof(w), want,
		    sizeof(want))) != FIT_REFUSE)
			return FIT_OK;
		snprintf(why, whysz, "suits no printer of %s; %s", k->name, w);
	}
	return k != NULL && k->nmembers > 0 && why[0] ? FIT_REFUSE : FIT_OK;
}

/* gprint --check: the checks and the analysis spoold would make, here,
 * without queuing.  0 when every file would be accepted. */
static int
check_files(int argc, char *argv[], const char *cfile, const char *printer,
    int json, int all)
{
	struct conf conf;
	struct analyse_policy pol;
	struct conf_printer *cp = NULL;
	struct conf_class *kl = NULL;
	struct analysis *a = xmalloc(sizeof(*a));
	char *js, why[1024];
	int i, fd, ok, failed = 0;

	analyse_policy_default(&pol);
	memset(&conf, 0, sizeof(conf));
	if (cfile != NULL || printer != NULL || access(conf_path(NULL),
	    R_OK) == 0) {
		if (conf_load(&conf, conf_path(cfile), client_report, NULL)
		    != 0) {
			conf_free(&conf);
			free(a);
			return EXIT_CONNECT;
		}
		const char *d = client_dest(printer, &conf);
		struct conf_class *k = conf_class(&conf, d);

		if ((cp = conf_printer(&conf, d)) == NULL && k == NULL) {
			log_warnx("%s: unknown printer or class (see %s)", d,
			    conf.file);
			conf_free(&conf);
			free(a);
			return EXIT_USAGE;
		}
		pol = cp != NULL ? cp->check : k->check;
		kl = k;
	}
	for (i = 0; i < argc; i++) {
		analyse_init(a, &pol);
		a->keep_going = all;
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK)) < 0) {
			snprintf(a->error, sizeof(a->error), "cannot open: %s",
			    strerror(errno));
			ok = 0;
		} else {
			ok = analyse_fd(a, fd) == 0;
			close(fd);
		}
		if (json) {
			js = analyse_json(a, argv[i], ok, ok ? "" : a->error,
			    ANALYSE_JSON_COMPACT);
			printf("%s\n", js);
			free(js);
		} else
			report(argv[i], a, ok);
		if (!ok)
			failed = 1;
		why[0] = '\0';
		if (ok && (cp != NULL || kl != NULL)) {
			int v = check_suits(&conf, cp, kl, a, why, sizeof(why));

			if (v == FIT_REFUSE)
				failed = 1;
			if (v != FIT_OK && !json)
				printf("  %s by %s: %s\n", v == FIT_REFUSE ?
				    "would be refused" : "would be held",
				    cp != NULL ? cp->name : kl->name, why);
		}
	}
	fflush(stdout);
	conf_free(&conf);
	free(a);
	return failed;
}

/*
 * gprint -H: each file uploaded to the remote gsftpd's drop/[DEST/],
 * after a NAME.options sidecar carrying the options (gsftpd(8)).
 */
static int
remote_print(const char *spec, int argc, char *argv[], const char *dest,
    const char *title, const char *prio, const char *copies, int hold,
    const char *until, int json)
{
	struct remote *r;
	char *opts, *path, *copy, name[256], clean[256];
	int i, fd, failed = 0;

	if (dest != NULL && !name_is_safe(dest, 32)) {
		log_warnx("-P %s: not a printer or class name", dest);
		return EXIT_USAGE;
	}
	if ((r = remote_open(spec)) == NULL)
		return EXIT_CONNECT;
	for (i = 0; i < argc; i++) {
		copy = xstrdup(argv[i]);
		snprintf(name, sizeof(name), "%s", strcmp(argv[i], "-") == 0 ?
		    "stdin.gcode" : basename(copy));
		free(copy);
		if (name[0] == '.')
			name[0] = '_';
		if (strcmp(argv[i], "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY)) <
		    0) {
			log_warn("%s", argv[i]);
			failed = 1;
			continue;
		}
		/* One line: a newline in a title or a file's name would
		 * start another option. */
		clean_text(clean, sizeof(clean), title ? title :
		    strcmp(argv[i], "-") == 0 ? "(stdin)" : name);
		opts = xasprintf("title = %s\n%s%s%s%s%s%s%s", clean,
		    copies[0] ? "copies = " : "", copies, copies[0] ? "\n" : "",
		    prio[0] ? "priority = " : "", prio, prio[0] ? "\n" : "",
		    hold && !until[0] ? "hold = yes\n" : "");
		if (until[0]) {
			char *o = opts;

			opts = xasprintf("%shold-until = +%llds\n", o,
			    atoll(until) - (long long)time(NULL) > 0 ?
			    atoll(until) - (long long)time(NULL) : 0);
			free(o);
		}
		path = xasprintf("drop/%s%s%s.options", dest ? dest : "",
		    dest ? "/" : "", name);
		if (remote_put_text(r, path, opts) < 0) {
			failed = 1;
		} else {
			path[strlen(path) - 8] = '\0';	/* less ".options" */
			if (remote_put(r, fd, name, path) < 0)
				failed = 1;
			else if (json) {
				json_t *o = json_object();
				char *text;

				json_object_set_new(o, "file",
				    json_string(argv[i]));
				json_object_set_new(o, "host", json_string(spec));
				json_object_set_new(o, "path", json_string(path));
				text = json_dumps(o, JSON_COMPACT);
				printf("%s\n", text);
				free(text);
				json_decref(o);
			} else
				printf("%s sent to %s as %s (gqueue -H %s shows"
				    " its job)\n", argv[i], spec, path, spec);
		}
		fflush(stdout);
		free(path);
		free(opts);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	remote_close(r);
	return failed;
}

/* gprint --json: one object a file, on one line. */
static void
json_result(const char *file, long id, const char *dest, const char *error,
    const char *state, const char *reason)
{
	json_t *o = json_object();
	char name[96], *text;

	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "accepted", json_boolean(id > 0));
	if (id > 0) {
		snprintf(name, sizeof(name), "%s-%ld", dest, id);
		json_object_set_new(o, "id", json_integer(id));
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "destination", json_string(dest));
	} else
		json_object_set_new(o, "reason", json_string(error));
	if (state != NULL) {
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "end_reason", json_string(reason));
	}
	if ((text = json_dumps(o, JSON_COMPACT)) != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(o);
	fflush(stdout);
}

/* Standard input as a regular file that spoold can read and check:
 * copied into an unnamed file under $TMPDIR. */
static int
stdin_file(void)
{
	const char *dir = getenv("TMPDIR");
	char buf[65536], *path;
	ssize_t n;
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0) {
		path = xasprintf("%s/gprint.XXXXXX", dir);
		if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
			unlink(path);
		free(path);
		if (fd < 0) {
			log_warn("%s: cannot hold standard input", dir);
			return -1;
		}
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("standard input");
			close(fd);
			return -1;
		}
		if (write_all(fd, buf, (size_t)n) < 0) {
			log_warn("%s: cannot hold standard input", dir);
			close(fd);
			return -1;
		}
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The size of the file on fd, or -1 (a pipe's is not known). */
static long long
file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return (long long)st.st_size;
}

/* How much the workers have read of the caller's files being checked
 * ("usage", version 4): 0 with *bytes filled, or -1 if spoold cannot
 * say (an older one, or the connection lost). */
static int
checked_bytes(int qs, long long *bytes)
{
	struct msg m;

	if (msg_send(qs, -1, proto_name(PROTO_REQUEST, REQ_USAGE),
	    (char *)NULL) < 0 || msg_recv(qs, &m) <= 0)
		return -1;
	if (m.fd >= 0)
		close(m.fd);
	if (proto_lookup(PROTO_REPLY, msg_field(&m, 0)) != REPLY_OK ||
	    m.nfields <= REPLY_USAGE_CHECKING ||
	    atoll(msg_field(&m, REPLY_USAGE_CHECKING)) <= 0)
		return -1;
	*bytes = atoll(msg_field(&m, REPLY_USAGE_CHECKED));
	return 0;
}

/*
 * spoold answers a submission once its worker has checked and copied
 * the whole file, which for a file of hundreds of megabytes takes
 * minutes.  On a terminal, say meanwhile what is awaited: how much the
 * worker has read of the file, asked of spoold each second on a second
 * connection, and for how long; the line goes when the answer comes.
 * Piped, nothing.
 */
static void
await_check(int sock, const char *cfile, const char *title,
    long long size)
{
	struct pollfd pfd;
	struct conf c;
	char clean[128];
	time_t t0 = time(NULL);
	long long done;
	int shown = 0, qs = -1, have;

	if (!isatty(STDOUT_FILENO))
		return;
	clean_text(clean, sizeof(clean), title);
	pfd.fd = sock;
	pfd.events = POLLIN;
	/* The first second quiet: most files are checked sooner. */
	while (poll(&pfd, 1, 1000) == 0) {
		if (qs == -1 && (qs = client_connect(cfile, &c)) >= 0)
			conf_free(&c);
		else if (qs == -1)
			qs = -2;	/* tried once: the time alone */
		have = qs >= 0 && checked_bytes(qs, &done) == 0;
		printf("\r\033[Kspoold is checking %s", clean);
		if (have && size > 0 && done <= size)
			printf(": %.1f of %.1f MB (%lld%%)", (double)done / 1e6,
			    (double)size / 1e6, done * 100 / size);
		else if (have)	/* a compressed file's, decompressed */
			printf(": %.1f MB", (double)done / 1e6);
		else if (size >= 0)
			printf(" (%.1f MB)", (double)size / 1e6);
		printf(", %lld s", (long long)(time(NULL) - t0));
		fflush(stdout);
		shown = 1;
	}
	if (qs >= 0)
		close(qs);
	if (shown) {
		printf("\r\033[K");
		fflush(stdout);
	}
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	struct msg m;
	const char *printer = NULL, *title = NULL, *cfile = NULL, *dest;
	const char *reprint = NULL, *remote = NULL;
	char state[32], reason[512], prio[16] = "", copies[16] = "";
	char until[32] = "", dname[64], why[256];
	static char *stdin_args[] = { "-", NULL };
	int ch, sock, fd, i, wait = 0, failed = 0, r, check = 0, json = 0;
	int hold = 0, all = 0;
	long long size;
	long id, v;
	long long when;
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "all", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'J' },
		{ "hold-until", required_argument, NULL, 'U' },
		{ "reprint", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("gprint", LOG_TO_STDERR, 0);
	while ((ch = getopt_long(argc, argv, "#:c:H:hP:p:qT:w", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'H':
			remote = optarg;
			break;
		case '#':
			if (parse_long(optarg, 1, 100, &v) < 0)
				usage_error(EXIT_USAGE, "-#: '%s' is not a number"
				    " of copies (1 to 100)", optarg);
			snprintf(copies, sizeof(copies), "%ld", v);
			break;
		case 'p':
			if (parse_long(optarg, 1, 100, &v) < 0)
				usage_error(EXIT_USAGE, "-p: '%s' is not a"
				    " priority (1 to 100)", optarg);
			snprintf(prio, sizeof(prio), "%ld", v);
			break;
		case 'q':
			hold = 1;
			break;
		case 'U':
			if ((when = parse_hold(optarg, time(NULL))) < 0)
				usage_error(EXIT_USAGE, "--hold-until: '%s' is"
				    " not indefinite, HH:MM, YYYY-MM-DD HH:MM or"
				    " +N[smhd]", optarg);
			if (when == 0)
				hold = 1;
			else
				snprintf(until, sizeof(until), "%lld", when);
			break;
		case 'R':
			reprint = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'A':
			all = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'P':
			printer = optarg;
			break;
		case 'T':
			title = optarg;
			break;
		case 'w':
			wait = 1;
			break;
		case 'h':
			usage_help(help);
		case 'V':
			usage_version();
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (reprint != NULL) {
		if (argc != 0 || check)
			usage_error(EXIT_USAGE, "--reprint takes a job, no"
			    " file");
		if (client_job_id(reprint) < 0)
			usage_error(EXIT_USAGE, "--reprint: '%s' is not a job",
			    reprint);
	} else if (all && !check) {
		usage_error(EXIT_USAGE, "--all goes with --check");
	} else if (argc == 0 && check) {
		usage_error(EXIT_USAGE, "--check needs files");
	} else if (argc == 0) {
		argc = 1;
		argv = stdin_args;
	}
	if (check)
		return check_files(argc, argv, cfile, printer, json, all);
	if (remote != NULL) {
		if (reprint != NULL || wait)
			usage_error(EXIT_USAGE, "-H: --reprint and -w work on"
			    " the spooler's own host only");
		return remote_print(remote, argc, argv, printer, title, prio,
		    copies, hold, until, json);
	}
	if ((sock = client_connect(cfile, &conf)) < 0)
		return EXIT_CONNECT;
	dest = client_dest(printer, &conf);
	if (reprint != NULL) {
		argc = 1;
		argv = stdin_args;
		if ((r = client_job_resolve(sock, reprint, &id)) != 0) {
			failed = r;
			goto done;
		}
	} else if (conf_printer(&conf, dest) == NULL &&
	    conf_class(&conf, dest) == NULL) {
		log_warnx("%s: unknown printer or class (see %s)", dest,
		    conf.file);
		failed = EXIT_USAGE;
		goto done;
	}
	for (i = 0; i < argc; i++) {
		char *copy = xstrdup(argv[i]);
		const char *t = title ? title : strcmp(argv[i], "-") == 0 ?
		    "(stdin)" : basename(copy);

		if (reprint != NULL) {
			char ids[32];

			snprintf(ids, sizeof(ids), "%ld",
			    client_job_id(reprint));
			r = msg_send(sock, -1, "reprint", ids, (char *)NULL);
			free(copy);
			copy = NULL;
		} else {
			if (strcmp(argv[i], "-") == 0)
				fd = stdin_file();
			else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC |
			    O_NOCTTY | O_NONBLOCK)) < 0)
				log_warn("%s", argv[i]);
			if (fd < 0) {
				if (json)
					json_result(argv[i], 0, "",
					    strerror(errno), NULL, NULL);
				failed = 1;
				free(copy);
				continue;
			}
			size = file_size(fd);
			r = msg_send(sock, fd, "submit", dest, t, prio, copies,
			    hold ? "1" : "", until, (char *)NULL);
			close(fd);
			if (r >= 0 && !json)
				await_check(sock, cfile, t, size);
			free(copy);
		}
		if (r < 0 || msg_recv(sock, &m) <= 0) {
			log_warn("%s: lost the connection to spoold", argv[i]);
			failed = EXIT_CONNECT;
			goto done;
		}
		if (m.fd >= 0)
			close(m.fd);
		if (proto_lookup(PROTO_REPLY, msg_field(&m, 0)) != REPLY_OK) {
			if (json)
				json_result(argv[i], 0, "", msg_field(&m, 1),
				    NULL, NULL);
			else
				log_warnx("%s: rejected: %s", argv[i],
				    msg_field(&m, 1));
			failed = 1;
			continue;
		}
		if (parse_long(msg_field(&m, 1), 1, 2000000000L, &id) < 0) {
			log_warnx("%s: odd reply from spoold", argv[i]);
			failed = 1;
			continue;
		}
		snprintf(dname, sizeof(dname), "%s", msg_field(&m, 2));
		if (json && !wait)
			json_result(argv[i], id, dname, NULL, NULL, NULL);
		else if (!json)
			printf("request id is %s-%ld (1 file(s))\n", dname, id);
		/* Version 5: held for staff to approve it. */
		if (!json && msg_field(&m, 3)[0] != '\0') {
			clean_text(why, sizeof(why), msg_field(&m, 3));
			printf("%s-%ld %s\n", dname, id, why);
		}
		fflush(stdout);
		if (!wait)
			continue;
		r = json ? client_wait_job(sock, id, state, sizeof(state),
		    reason, sizeof(reason)) : client_wait_job_live(sock, id,
		    cfile, state, sizeof(state), reason, sizeof(reason));
		if (r == -2) {
			failed = 1;
			continue;
		}
		if (r < 0) {
			failed = EXIT_CONNECT;
			goto done;
		}
		if (json)
			json_result(argv[i], id, dname, NULL, state, reason);
		else
			printf("%s-%ld: %s%s%s\n", dname, id, state,
			    reason[0] ? ": " : "", reason);
		if (r == 0)
			failed = 1;
	}
done:
	close(sock);
	conf_free(&conf);
	return failed;
}
