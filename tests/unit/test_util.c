/* Unit tests for lib/util.c, lib/jobname.c and the command helpers of
 * lib/client.c. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "jobname.h"
#include "log.h"
#include "util.h"

static void
test_parse_long(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_long("101", 0, 100, &v), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_long("99999999999999999999", 0, 100, &v), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_long("12x", 0, 100, &v), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(parse_long("", 0, 100, &v), -1);
	assert_int_equal(parse_long(" 1", 0, 100, &v), -1);
	assert_int_equal(parse_long(NULL, 0, 100, &v), -1);
}

/* Hold-until times are seconds since the epoch up to the year 9999:
 * 64 bits wherever long has 32 (armhf). */
static void
test_parse_llong(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(parse_llong("253402300799", 0, HOLD_UNTIL_MAX, &v),
	    0);
	assert_true(v == HOLD_UNTIL_MAX);
	assert_int_equal(parse_llong("253402300800", 0, HOLD_UNTIL_MAX, &v),
	    -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_llong("99999999999999999999", 0,
	    HOLD_UNTIL_MAX, &v), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_llong("-1", 0, HOLD_UNTIL_MAX, &v), -1);
	assert_int_equal(parse_llong("1e3", 0, HOLD_UNTIL_MAX, &v), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(parse_llong("", 0, 1, &v), -1);
}

/* A relative hold past 2038 is exact on every machine; an absolute
 * date past 2038 is exact with a 64-bit time_t and refused (not
 * wrapped) with a 32-bit one. */
static void
test_parse_hold_2038(void **state)
{
	const time_t now = 2000000000;	/* 2033-05-18 */
	long long t;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_true(parse_hold("+3650d", now) == 2000000000LL + 3650LL * 86400);
	assert_true(parse_hold("+40000000s", now) == 2040000000LL);
	t = parse_hold("2040-01-01 12:00", now);
	if (sizeof(time_t) >= 8)
		assert_true(t == 2209032000LL);
	else
		assert_true(t == -1);
	assert_true(parse_hold("2030-01-01 12:00", now) == 1893499200LL);
}

static void
test_name_is_safe(void **state)
{
	(void)state;
	assert_true(name_is_safe("mk3", 32));
	assert_true(name_is_safe("prusa_mk3.s-2", 32));
	assert_false(name_is_safe("", 32));
	assert_false(name_is_safe(".hidden", 32));
	assert_false(name_is_safe("-flag", 32));
	assert_false(name_is_safe("a/b", 32));
	assert_false(name_is_safe("a b", 32));
	assert_false(name_is_safe("..", 32));
	assert_false(name_is_safe("abcd", 3));
	assert_true(name_is_safe("abc", 3));
}

static void
test_job_id(void **state)
{
	(void)state;
	assert_int_equal(client_job_id("7"), 7);
	assert_int_equal(client_job_id("mk3-7"), 7);
	assert_int_equal(client_job_id("my-printer-12"), 12);
	assert_int_equal(client_job_id("mk3-"), -1);
	assert_int_equal(client_job_id("mk3"), -1);
	assert_int_equal(client_job_id("0"), -1);
	assert_int_equal(client_job_id("mk3-x"), -1);
	assert_int_equal(client_job_id("-7"), -1);
	assert_int_equal(client_job_id("../x-7"), -1);
}

static void
test_job_name(void **state)
{
	char prefix[64], why[256];
	long id;

	(void)state;
	assert_int_equal(job_name_parse("farm-12", &id, prefix,
	    sizeof(prefix)), 0);
	assert_int_equal(id, 12);
	assert_string_equal(prefix, "farm");
	assert_int_equal(job_name_parse("12", &id, prefix, sizeof(prefix)), 0);
	assert_string_equal(prefix, "");
	assert_int_equal(job_name_parse("my-printer-3", &id, prefix,
	    sizeof(prefix)), 0);
	assert_string_equal(prefix, "my-printer");
	assert_int_equal(job_name_parse("farm-12", &id, prefix, 4), -1);
	assert_int_equal(job_name_parse("a b-1", &id, NULL, 0), -1);
	/* The number alone, or the full name; any other prefix is refused
	 * with what the job is called, and where it is. */
	assert_int_equal(job_name_check("12", 12, "farm-12", "mk4", why,
	    sizeof(why)), 0);
	assert_int_equal(job_name_check("farm-12", 12, "farm-12", "mk4", why,
	    sizeof(why)), 0);
	assert_int_equal(job_name_check("mk4-12", 12, "farm-12", "mk4", why,
	    sizeof(why)), -1);
	assert_string_equal(why, "mk4-12: job 12 is farm-12 (on mk4), not"
	    " mk4-12");
	assert_int_equal(job_name_check("mk4-12", 12, "mk3-12", "", why,
	    sizeof(why)), -1);
	assert_string_equal(why, "mk4-12: job 12 is mk3-12, not mk4-12");
	assert_int_equal(job_name_check("mk4-12", 12, "mk3-12", "mk3", why,
	    sizeof(why)), -1);
	assert_string_equal(why, "mk4-12: job 12 is mk3-12, not mk4-12");
	assert_int_equal(job_name_check("farm-13", 12, "farm-12", "", why,
	    sizeof(why)), -1);
	assert_int_equal(job_name_check("farm-", 12, "farm-12", "", why,
	    sizeof(why)), -1);
}

static void
test_dest(void **state)
{
	struct conf c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.default_printer = "fromconf";
	unsetenv("GSPOOL_PRINTER");
	unsetenv("PRINTER");
	assert_string_equal(client_dest(NULL, &c), "fromconf");
	setenv("PRINTER", "fromprinter", 1);
	assert_string_equal(client_dest(NULL, &c), "fromprinter");
	setenv("GSPOOL_PRINTER", "fromgspool", 1);
	assert_string_equal(client_dest(NULL, &c), "fromgspool");
	assert_string_equal(client_dest("fromflag", &c), "fromflag");
	unsetenv("GSPOOL_PRINTER");
	unsetenv("PRINTER");
}

static void
test_clean_text(void **state)
{
	char out[16];

	(void)state;
	clean_text(out, sizeof(out), "cube.gcode");
	assert_string_equal(out, "cube.gcode");
	clean_text(out, sizeof(out), "a\nb\033[2Jc");
	assert_string_equal(out, "a?b?[2Jc");
	clean_text(out, sizeof(out), "caf\303\251 \377\300\257");
	assert_string_equal(out, "caf\303\251 ???");
	/* Surrogates and overlong forms are not UTF-8. */
	clean_text(out, sizeof(out), "\355\240\200\340\200\200x");
	assert_string_equal(out, "??????x");
	/* Cut on a character boundary. */
	clean_text(out, 6, "abcd\303\251");
	assert_string_equal(out, "abcd");
}

static void
test_tcp_split(void **state)
{
	char host[64], port[8];

	(void)state;
	assert_int_equal(tcp_split("tcp://bridge.lan:2000", host, sizeof(host),
	    port, sizeof(port)), 0);
	assert_string_equal(host, "bridge.lan");
	assert_string_equal(port, "2000");
	assert_int_equal(tcp_split("tcp://[fe80::1]:23", host, sizeof(host),
	    port, sizeof(port)), 0);
	assert_string_equal(host, "fe80::1");
	assert_string_equal(port, "23");
	assert_int_equal(tcp_split("tcp://host", host, sizeof(host), port,
	    sizeof(port)), -1);
	assert_int_equal(tcp_split("tcp://:23", host, sizeof(host), port,
	    sizeof(port)), -1);
	assert_int_equal(tcp_split("tcp://h:", host, sizeof(host), port,
	    sizeof(port)), -1);
	assert_int_equal(tcp_split("tcp://h:2x", host, sizeof(host), port,
	    sizeof(port)), -1);
	assert_int_equal(tcp_split("tcp://h:123456789", host, sizeof(host),
	    port, sizeof(port)), -1);
	assert_int_equal(tcp_split("serial:/dev/x", host, sizeof(host), port,
	    sizeof(port)), -1);
}

/* gqueue -H -P: the remote queue cut to one destination as spoold
 * cuts its own. */
static void
test_queue_dest(void **state)
{
	static const char text[] = "{"
	    "\"printers\": [{\"name\": \"mk3\"}, {\"name\": \"mk4\"},"
	    " {\"name\": \"mini\"}],"
	    "\"classes\": [{\"name\": \"prusa\", \"printers\":"
	    " [\"mk3\", \"mk4\"]}, {\"name\": \"all\", \"printers\":"
	    " [\"mk3\", \"mk4\", \"mini\"]}],"
	    "\"jobs\": [{\"id\": 1, \"destination\": \"mk3\","
	    " \"printer\": \"\"}, {\"id\": 2, \"destination\":"
	    " \"prusa\", \"printer\": \"mk4\"}, {\"id\": 3,"
	    " \"destination\": \"mini\", \"printer\": \"\"}]}";
	json_t *q;

	(void)state;
	q = json_loads(text, 0, NULL);
	assert_non_null(q);
	assert_int_equal(client_queue_dest(q, "mk5"), -1);
	assert_int_equal(json_array_size(json_object_get(q, "jobs")), 3);
	/* A printer: itself, and the jobs sent to it or printing on it. */
	assert_int_equal(client_queue_dest(q, "mk4"), 0);
	assert_int_equal(json_array_size(json_object_get(q, "printers")), 1);
	assert_int_equal(json_array_size(json_object_get(q, "classes")), 0);
	assert_int_equal(json_array_size(json_object_get(q, "jobs")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(q, "jobs"), 0), "id")), 2);
	json_decref(q);
	/* A class: its members, itself, the jobs sent to it. */
	q = json_loads(text, 0, NULL);
	assert_int_equal(client_queue_dest(q, "prusa"), 0);
	assert_int_equal(json_array_size(json_object_get(q, "printers")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(q, "classes"), 0), "name")), "prusa");
	assert_int_equal(json_array_size(json_object_get(q, "classes")), 1);
	assert_int_equal(json_array_size(json_object_get(q, "jobs")), 1);
	json_decref(q);
	q = json_loads(text, 0, NULL);
	assert_int_equal(client_queue_dest(q, "mini"), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(q, "jobs"), 0), "id")), 3);
	json_decref(q);
}

/* panic(): "cannot happen", where, and what, then abort(). */
/* A remote host's queue.json (gqueue -H) is printed cleaned: no byte
 * of a title, a reason or a key reaches the terminal as a control. */
static void
test_queue_text_cleaned(void **state)
{
	const char *doc = "{\"printers\": [{\"name\": \"mk3\\u001b]0;x\\u0007\","
	    " \"state\": \"idle\", \"message\": \"\\u001b[2J\"}],"
	    " \"jobs\": [{\"id\": 7, \"owner\": \"ann\", \"rank\": \"1\","
	    " \"title\": \"cube\\u001b[31m.gcode\", \"size\": 10,"
	    " \"state\": \"pending\", \"name\": \"mk3-7\","
	    " \"attributes\": {\"k\\u001b\": \"v\\r\"}}]}";
	json_t *q = json_loads(doc, 0, NULL);
	char *out = NULL;
	size_t outsz = 0, i;
	FILE *fp;

	(void)state;
	assert_non_null(q);
	assert_non_null(fp = open_memstream(&out, &outsz));
	client_queue_text(fp, q, 1, 0, NULL);
	fclose(fp);
	assert_non_null(strstr(out, "cube?[31m.gcode"));
	for (i = 0; i < outsz; i++)
		assert_true(out[i] == '\n' || out[i] == '\t' ||
		    (unsigned char)out[i] >= 0x20);
	/* The document itself is not changed. */
	assert_non_null(strchr(json_string_value(json_object_get(
	    json_array_get(json_object_get(q, "jobs"), 0), "title")), 0x1b));
	free(out);
	json_decref(q);
}

static char	*queue_text_of(const char *, int, const char *);

/* The status model's lines: gqueue's under its status line, and gpc's
 * (client_printer_text) the same; a hostile reason cleaned. */
static void
test_status_text(void **state)
{
	const char *doc = "{\"printers\": [{\"name\": \"mk3\", \"state\":"
	    " \"ready\", \"job\": 7, \"enabled\": true, \"accepting\": true,"
	    " \"status\": {\"activity\": \"heating\", \"since\": 1700000000,"
	    " \"reason\": \"waiting for a heater\", \"prompt\": null,"
	    " \"heaters\": [{\"name\": \"T0\", \"actual\": 180.25,"
	    " \"target\": 215, \"power\": 127, \"heard\": 1700000000,"
	    " \"stale\": true}, {\"name\": \"B\", \"actual\": 60,"
	    " \"target\": 60, \"power\": null, \"heard\": 1700000000,"
	    " \"stale\": true}], \"progress\": {\"job\": 7, \"layer\": 8,"
	    " \"layers\": 120, \"time_fraction\": 0.629, \"elapsed\": 3720,"
	    " \"remaining\": 2280, \"finish\": 1700000000}}},"
	    " {\"name\": \"mk4\", \"state\": \"error\", \"job\": 0,"
	    " \"enabled\": true, \"accepting\": true, \"message\": \"gone\","
	    " \"status\": {\"activity\": \"offline\", \"reason\":"
	    " \"gone\\u001b[2J\", \"heaters\": [], \"progress\": null}}]}";
	const char *want =
	    "\theating mk3-7 (waiting for a heater): layer 8 of 120, 62% (by"
	    " time), 1h02m elapsed, about 38m left, done at Tue 22:13\n"
	    "\theaters (stale: last heard at Tue 22:13): T0 180.2/215.0 C"
	    " (power 127), B 60.0/60.0 C\n";
	json_t *q = json_loads(doc, 0, NULL);
	char *out = NULL, *text;
	size_t outsz = 0;
	FILE *fp;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_non_null(q);
	text = queue_text_of(doc, 0, NULL);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "mk4 is not ready: gone\n"
	    "\toffline: gone?[2J\n"));
	free(text);
	assert_non_null(fp = open_memstream(&out, &outsz));
	client_printer_text(fp, json_array_get(json_object_get(q, "printers"),
	    0));
	fclose(fp);
	assert_string_equal(out, want);
	free(out);
	json_decref(q);
}

/* The text of document doc, as gqueue prints it. */
static char *
queue_text_of(const char *doc, int how, const char *spool_dir)
{
	json_t *q = json_loads(doc, 0, NULL);
	char *out = NULL;
	size_t outsz = 0;
	FILE *fp;

	assert_non_null(q);
	assert_non_null(fp = open_memstream(&out, &outsz));
	client_queue_text(fp, q, how, 0, spool_dir);
	fclose(fp);
	json_decref(q);
	return out;
}

/* A hold past 2038 is shown as its date where time_t has 64 bits, and
 * as its number where it has 32 (armhf), never as a wrapped date. */
static void
test_queue_text_hold_2038(void **state)
{
	const char *doc = "{\"printers\": [{\"name\": \"mk3\","
	    " \"state\": \"idle\"}], \"jobs\": [{\"id\": 7,"
	    " \"owner\": \"ann\", \"rank\": \"1\", \"title\": \"cube\","
	    " \"size\": 10, \"state\": \"held\", \"name\": \"mk3-7\","
	    " \"hold_until\": 2209032000}]}";
	char *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	out = queue_text_of(doc, CLIENT_TEXT_LONG, NULL);
	if (sizeof(time_t) >= 8)
		assert_non_null(strstr(out, "held until 2040-01-01 12:00"));
	else
		assert_non_null(strstr(out, "held until 2209032000"));
	free(out);
}

/* -l names a timelapse's path only to a caller who can read it; anyone
 * else is told where it can be had. */
static void
test_queue_text_timelapse(void **state)
{
	const char *doc = "{\"jobs\": [{\"id\": 7, \"owner\": \"ann\","
	    " \"rank\": \"1\", \"title\": \"cube.gcode\", \"size\": 10,"
	    " \"state\": \"completed\", \"name\": \"mk3-7\","
	    " \"attributes\": {\"timelapse.video\": \"cube.mp4\"}}]}";
	char dir[] = "/tmp/test_util.XXXXXX", *path, *out;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	out = queue_text_of(doc, CLIENT_TEXT_LONG, dir);
	assert_non_null(strstr(out, "\ttimelapse: cube.mp4, kept in the spool"
	    " (an SFTP account reads it through gsftpd as jobs/7/cube.mp4)\n"));
	assert_null(strstr(out, dir));
	free(out);
	path = xasprintf("%s/jobs", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/jobs/7.d", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/jobs/7.d/cube.mp4", dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	out = queue_text_of(doc, CLIENT_TEXT_LONG, dir);
	assert_non_null(strstr(out, "\ttimelapse: "));
	assert_non_null(strstr(out, path));
	free(out);
	unlink(path);
	free(path);
	path = xasprintf("%s/jobs/7.d", dir);
	rmdir(path);
	free(path);
	path = xasprintf("%s/jobs", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
	/* gsftpd's queue.txt: its own tree's place. */
	out = queue_text_of(doc, CLIENT_TEXT_LONG, NULL);
	assert_non_null(strstr(out, "\ttimelapse: jobs/7/cube.mp4\n"));
	free(out);
}

/* Refused files: only when there are some, the latest five and how many
 * more (all with -l), by the name gcancel --rejected takes, and each
 * led by its owner when everyone's were asked for. */
static void
test_queue_text_refusals(void **state)
{
	char doc[8192], *out;
	size_t o;
	int i;

	(void)state;
	out = queue_text_of("{\"jobs\": []}", 0, NULL);
	assert_null(strstr(out, "Refused"));
	free(out);
	o = (size_t)snprintf(doc, sizeof(doc),
	    "{\"jobs\": [], \"rejected\": [");
	for (i = 0; i < 7; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "%s{\"name\":"
		    " \"hot%d.gcode\", \"file\": \"hot%d.gcode%s\","
		    " \"owner\": \"ann\", \"size\": 9, \"refused\":"
		    " 1700000000, \"reason\": \"too hot\", \"kept\": true}",
		    i ? ", " : "", i, i, i == 0 ? ".1" : "");
	snprintf(doc + o, sizeof(doc) - o, ", {\"name\": \"sent.gcode\","
	    " \"file\": \"\", \"owner\": \"bob\", \"size\": 9,"
	    " \"refused\": 1, \"reason\": \"bad\", \"kept\": false}]}");
	out = queue_text_of(doc, 0, NULL);
	assert_non_null(strstr(out, "Refused files of yours (the latest first;"
	    " gcancel --rejected removes those kept):\n"));
	assert_non_null(strstr(out, "\thot0.gcode.1 (sent as hot0.gcode), "));
	assert_non_null(strstr(out, ": too hot\n"));
	assert_non_null(strstr(out, "\thot4.gcode, "));
	assert_null(strstr(out, "hot5.gcode"));
	assert_non_null(strstr(out, "\t... and 3 more (gqueue -l lists them"
	    " all)\n"));
	free(out);
	out = queue_text_of(doc, CLIENT_TEXT_LONG | CLIENT_TEXT_EVERYONE, NULL);
	assert_non_null(strstr(out, "Refused files (the latest first;"));
	assert_non_null(strstr(out, "\tann: hot6.gcode, "));
	assert_non_null(strstr(out, "\tbob: sent.gcode, "));
	assert_non_null(strstr(out, ", not kept: bad\n"));
	assert_null(strstr(out, "more (gqueue -l"));
	free(out);
}

static void
test_panic(void **state)
{
	char buf[512];
	ssize_t n;
	size_t len = 0;
	int p[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		signal(SIGABRT, SIG_DFL);
		dup2(p[1], STDERR_FILENO);
		log_init("test_util", LOG_TO_STDERR, 0);
		panic("the count is %d", 3);
	}
	assert_true(pid > 0);
	close(p[1]);
	while (len < sizeof(buf) - 1 &&
	    (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	if (strncmp(buf, "test_util: cannot happen at test_util.c:", 40) != 0 ||
	    strstr(buf, ": the count is 3\n") == NULL)
		fail_msg("panic wrote '%s'", buf);
}

/* The re-attach socket: mode 0600 at its name, no temporary left; a
 * name too long for a socket is ENAMETOOLONG, nothing made. */
static void
test_seqpacket_listen(void **state)
{
	char dir[] = "/tmp/gspool-test-sock.XXXXXX", path[400], lng[200];
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.sock", dir);
	fd = seqpacket_listen(path);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	close(fd);
	unlink(path);
	memset(lng, 'x', 150);
	lng[150] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, lng);
	assert_int_equal(seqpacket_listen(path), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_split),
		cmocka_unit_test(test_clean_text),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_llong),
		cmocka_unit_test(test_parse_hold_2038),
		cmocka_unit_test(test_name_is_safe),
		cmocka_unit_test(test_job_id),
		cmocka_unit_test(test_job_name),
		cmocka_unit_test(test_dest),
		cmocka_unit_test(test_queue_dest),
		cmocka_unit_test(test_queue_text_cleaned),
		cmocka_unit_test(test_queue_text_timelapse),
		cmocka_unit_test(test_queue_text_hold_2038),
		cmocka_unit_test(test_queue_text_refusals),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_panic),
		cmocka_unit_test(test_seqpacket_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
