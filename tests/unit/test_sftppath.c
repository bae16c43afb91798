/*
 * Unit tests for sftpd/sftppath.c: every kind of path an SFTP account
 * may send, against two printers (mk3, mini) and a class (farm).  Each
 * row is a path, whether ".." may lead back (REALPATH), and what it
 * must give: the status, and for a path taken the node (kind,
 * destination, name, job, normalised path), for one refused a word of
 * its reason.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WITH_SERVER
#include <libssh/sftp.h>

#include "conf.h"
#include "sftppath.h"

static struct conf_printer printers[] = { { .name = "mk3" },
	{ .name = "mini" } };
static struct conf_class classes[] = { { .name = "farm" } };
static const struct conf conf = {
	.printers = printers, .nprinters = 2,
	.classes = classes, .nclasses = 1,
};

#define OK	0
#define NOENT	SSH_FX_NO_SUCH_FILE
#define DENIED	SSH_FX_PERMISSION_DENIED
#define FAIL	SSH_FX_FAILURE

struct want {
	const char	*in;
	int		 dotdot;
	uint32_t	 st;
	enum sftp_kind	 k;
	const char	*dest, *name;
	long		 id;
	const char	*path;		/* taken: the normalised path;
					 * refused: a word of why */
};

static void
check(const struct want *w, size_t nw)
{
	struct sftp_node n;
	const char *why;
	uint32_t st;
	size_t i;

	for (i = 0; i < nw; i++) {
		why = NULL;
		st = sftp_path_parse(&conf, w[i].in, w[i].dotdot, &n, &why);
		if (st != w[i].st)
			fail_msg("'%s' (dotdot %d): status %u, not %u (%s)",
			    w[i].in, w[i].dotdot, st, w[i].st, why);
		assert_non_null(why);
		assert_true(why[0] != '\0');
		if (st != OK) {
			if (strstr(why, w[i].path) == NULL)
				fail_msg("'%s': why '%s' lacks '%s'", w[i].in,
				    why, w[i].path);
			continue;
		}
		if (n.k != w[i].k || strcmp(n.dest, w[i].dest) != 0 ||
		    strcmp(n.name, w[i].name) != 0 || n.id != w[i].id ||
		    strcmp(n.path, w[i].path) != 0)
			fail_msg("'%s': kind %d dest '%s' name '%s' id %ld"
			    " path '%s', not kind %d dest '%s' name '%s' id %ld"
			    " path '%s'", w[i].in, n.k, n.dest, n.name, n.id,
			    n.path, w[i].k, w[i].dest, w[i].name, w[i].id,
			    w[i].path);
	}
}

#define CHECK(t) check((t), sizeof(t) / sizeof((t)[0]))

/* Every top-level virtual folder and file, and what is below each. */
static void
test_tree(void **state)
{
	static const struct want t[] = {
		{ "/", 0, OK, N_ROOT, "", "", 0, "/" },
		{ "", 0, OK, N_ROOT, "", "", 0, "/" },
		{ "/drop", 0, OK, N_DROP, "", "", 0, "/drop" },
		{ "/drop/mk3", 0, OK, N_DROP, "mk3", "", 0, "/drop/mk3" },
		{ "/drop/farm", 0, OK, N_DROP, "farm", "", 0, "/drop/farm" },
		{ "/drop/cube.gcode", 0, OK, N_DROPFILE, "", "cube.gcode", 0,
		    "/drop/cube.gcode" },
		{ "/drop/mk3/cube.gcode", 0, OK, N_DROPFILE, "mk3",
		    "cube.gcode", 0, "/drop/mk3/cube.gcode" },
		/* In a printer's folder, a file may bear a printer's name. */
		{ "/drop/farm/mini", 0, OK, N_DROPFILE, "farm", "mini", 0,
		    "/drop/farm/mini" },
		{ "/drop/cube.gcode/x", 0, NOENT, 0, 0, 0, 0,
		    "a folder per printer or class" },
		{ "/drop/nowhere/a/b", 0, NOENT, 0, 0, 0, 0,
		    "a folder per printer or class" },
		{ "/drop/mk3/sub/x.gcode", 0, NOENT, 0, 0, 0, 0,
		    "no such file" },
		{ "/queue.txt", 0, OK, N_QTXT, "", "", 0, "/queue.txt" },
		{ "/queue.json", 0, OK, N_QJSON, "", "", 0, "/queue.json" },
		{ "/queue.txt/x", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/queue.csv", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/printers", 0, OK, N_PRINTERS, "", "", 0, "/printers" },
		{ "/printers/mini", 0, OK, N_PRINTER, "mini", "", 0,
		    "/printers/mini" },
		{ "/printers/mk3/status.json", 0, OK, N_STATUS, "mk3", "", 0,
		    "/printers/mk3/status.json" },
		{ "/printers/mk3/webcam.jpg", 0, OK, N_WEBCAM, "mk3", "", 0,
		    "/printers/mk3/webcam.jpg" },
		/* A class is no printer: it has no status of its own. */
		{ "/printers/farm", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/printers/ghost/status.json", 0, NOENT, 0, 0, 0, 0,
		    "no such file" },
		{ "/printers/mk3/other.json", 0, NOENT, 0, 0, 0, 0,
		    "no such file" },
		{ "/printers/mk3/status.json/x", 0, NOENT, 0, 0, 0, 0,
		    "no such file" },
		{ "/jobs", 0, OK, N_JOBS, "", "", 0, "/jobs" },
		{ "/jobs/7", 0, OK, N_JOB, "", "", 7, "/jobs/7" },
		{ "/jobs/7/job.json", 0, OK, N_JOBJSON, "", "", 7,
		    "/jobs/7/job.json" },
		{ "/jobs/7/timelapse.mp4", 0, OK, N_JOBFILE, "",
		    "timelapse.mp4", 7, "/jobs/7/timelapse.mp4" },
		{ "/jobs/2000000000", 0, OK, N_JOB, "", "", 2000000000L,
		    "/jobs/2000000000" },
		{ "/jobs/0", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/jobs/-1", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/jobs/2000000001", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/jobs/7x", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/jobs/7/a/b", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/elsewhere", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/etc/passwd", 0, NOENT, 0, 0, 0, 0, "no such file" },
	};

	(void)state;
	CHECK(t);
}

/* Relative paths, ".", doubled and trailing slashes: one normal form. */
static void
test_normal_form(void **state)
{
	static const struct want t[] = {
		{ "drop", 0, OK, N_DROP, "", "", 0, "/drop" },
		{ "drop/mk3/a.gcode", 0, OK, N_DROPFILE, "mk3", "a.gcode", 0,
		    "/drop/mk3/a.gcode" },
		{ ".", 0, OK, N_ROOT, "", "", 0, "/" },
		{ "./drop/./mk3/.", 0, OK, N_DROP, "mk3", "", 0,
		    "/drop/mk3" },
		{ "//drop///mk3//a.gcode", 0, OK, N_DROPFILE, "mk3",
		    "a.gcode", 0, "/drop/mk3/a.gcode" },
		{ "/drop/", 0, OK, N_DROP, "", "", 0, "/drop" },
		{ "/jobs/7/", 0, OK, N_JOB, "", "", 7, "/jobs/7" },
		{ "/drop/a.gcode/", 0, OK, N_DROPFILE, "", "a.gcode", 0,
		    "/drop/a.gcode" },
		{ "////", 0, OK, N_ROOT, "", "", 0, "/" },
		/* Spaces and UTF-8 are bytes of a name like any other. */
		{ "/drop/my cube \xc3\xa9.gcode", 0, OK, N_DROPFILE, "",
		    "my cube \xc3\xa9.gcode", 0,
		    "/drop/my cube \xc3\xa9.gcode" },
	};

	(void)state;
	CHECK(t);
}

/* ".." is refused, except for REALPATH, where it leads back towards
 * "/" and never above it. */
static void
test_dotdot(void **state)
{
	static const struct want t[] = {
		{ "/drop/..", 0, DENIED, 0, 0, 0, 0, "'..'" },
		{ "..", 0, DENIED, 0, 0, 0, 0, "'..'" },
		{ "/drop/../../etc/passwd", 0, DENIED, 0, 0, 0, 0, "'..'" },
		{ "/drop/mk3/..", 1, OK, N_DROP, "", "", 0, "/drop" },
		{ "..", 1, OK, N_ROOT, "", "", 0, "/" },
		{ "/../../..", 1, OK, N_ROOT, "", "", 0, "/" },
		{ "/../../drop/../jobs/7", 1, OK, N_JOB, "", "", 7,
		    "/jobs/7" },
		{ "/drop/../../etc/passwd", 1, NOENT, 0, 0, 0, 0,
		    "no such file" },
		/* "..." and "..x" are names, not ".." */
		{ "/drop/...", 0, OK, N_DROPFILE, "", "...", 0, "/drop/..." },
		{ "/drop/..x", 0, OK, N_DROPFILE, "", "..x", 0, "/drop/..x" },
	};

	(void)state;
	CHECK(t);
}

/* Dot-files and temporary names: uploads may be named so (the upload
 * side refuses them), a job's folder does not show them. */
static void
test_hidden_and_temporary(void **state)
{
	static const struct want t[] = {
		{ "/drop/.hidden", 0, OK, N_DROPFILE, "", ".hidden", 0,
		    "/drop/.hidden" },
		{ "/drop/mk3/.gsftpd-1-0.part", 0, OK, N_DROPFILE, "mk3",
		    ".gsftpd-1-0.part", 0, "/drop/mk3/.gsftpd-1-0.part" },
		{ "/drop/cube.gcode.filepart", 0, OK, N_DROPFILE, "",
		    "cube.gcode.filepart", 0, "/drop/cube.gcode.filepart" },
		{ "/drop/cube.gcode.tmp", 0, OK, N_DROPFILE, "",
		    "cube.gcode.tmp", 0, "/drop/cube.gcode.tmp" },
		{ "/jobs/7/.hidden", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/jobs/7/timelapse.mp4.tmp", 0, NOENT, 0, 0, 0, 0,
		    "no such file" },
		{ "/jobs/7/.tmp", 0, NOENT, 0, 0, 0, 0, "no such file" },
		{ "/jobs/7/x.tmpl", 0, OK, N_JOBFILE, "", "x.tmpl", 7,
		    "/jobs/7/x.tmpl" },
	};

	(void)state;
	CHECK(t);
	assert_true(sftp_upload_name_ok("cube.gcode"));
	assert_true(sftp_upload_name_ok("cube.gcode.filepart"));
	assert_false(sftp_upload_name_ok(".hidden"));
	assert_false(sftp_upload_name_ok(".gsftpd-1-0.part"));
	assert_false(sftp_upload_name_ok("a/b"));
}

/* Control bytes, a NUL, and the bounds of a path. */
static void
test_bytes_and_bounds(void **state)
{
	static const char nul[] = "/drop/a.gcode\0/../../etc/passwd";
	char lv[300], path[1200], deep[64];
	struct sftp_node n;
	const char *why;
	size_t i;
	static const struct want t[] = {
		{ "/drop/a\tb", 0, FAIL, 0, 0, 0, 0, "bad file name" },
		{ "/drop/a\nb", 0, FAIL, 0, 0, 0, 0, "bad file name" },
		{ "/drop/\x7f", 0, FAIL, 0, 0, 0, 0, "bad file name" },
		{ "/\x1b[2J", 0, FAIL, 0, 0, 0, 0, "bad file name" },
	};

	(void)state;
	CHECK(t);
	/* The path ends at its first NUL: what follows is never seen. */
	assert_int_equal(sftp_path_parse(&conf, nul, 0, &n, &why), 0);
	assert_int_equal(n.k, N_DROPFILE);
	assert_string_equal(n.path, "/drop/a.gcode");
	assert_int_not_equal(sftp_path_parse(&conf, NULL, 0, &n, &why), 0);

	/* A level of 255 bytes is a name; of 256, it is not. */
	memset(lv, 'a', sizeof(lv));
	snprintf(path, sizeof(path), "/drop/%.255s", lv);
	assert_int_equal(sftp_path_parse(&conf, path, 0, &n, &why), 0);
	assert_int_equal(strlen(n.name), 255);
	snprintf(path, sizeof(path), "/drop/%.256s", lv);
	assert_int_equal(sftp_path_parse(&conf, path, 0, &n, &why), FAIL);
	assert_string_equal(why, "bad file name");

	/* 1000 bytes are a path; 1001 are too long, whatever they are. */
	memset(path, '/', 1000);
	path[1000] = '\0';
	assert_int_equal(sftp_path_parse(&conf, path, 0, &n, &why), 0);
	assert_int_equal(n.k, N_ROOT);
	memset(path, '/', 1001);
	path[1001] = '\0';
	assert_int_equal(sftp_path_parse(&conf, path, 0, &n, &why), FAIL);
	assert_string_equal(why, "path too long");
	/* The longest path normalised fits its node. */
	snprintf(path, sizeof(path), "jobs/7/%.255s/%.255s/%.255s/%.200s",
	    lv, lv, lv, lv);
	assert_true(strlen(path) <= 1000);
	assert_int_equal(sftp_path_parse(&conf, path, 1, &n, &why), NOENT);

	/* 8 levels are cut; a 9th is refused, even if ".." would take
	 * it back. */
	deep[0] = '\0';
	for (i = 0; i < 8; i++)
		strcat(deep, "/a");
	assert_int_equal(sftp_path_parse(&conf, deep, 1, &n, &why), NOENT);
	strcat(deep, "/../../../../../../../..");
	assert_int_equal(sftp_path_parse(&conf, deep, 1, &n, &why), 0);
	assert_int_equal(n.k, N_ROOT);
	strcpy(deep, "/a/a/a/a/a/a/a/a/a/../../../../../../../../..");
	assert_int_equal(sftp_path_parse(&conf, deep, 1, &n, &why), NOENT);
}

/* Which kinds are folders. */
static void
test_kinds(void **state)
{
	(void)state;
	assert_true(sftp_kind_is_dir(N_ROOT));
	assert_true(sftp_kind_is_dir(N_DROP));
	assert_true(sftp_kind_is_dir(N_PRINTERS));
	assert_true(sftp_kind_is_dir(N_PRINTER));
	assert_true(sftp_kind_is_dir(N_JOBS));
	assert_true(sftp_kind_is_dir(N_JOB));
	assert_false(sftp_kind_is_dir(N_DROPFILE));
	assert_false(sftp_kind_is_dir(N_QTXT));
	assert_false(sftp_kind_is_dir(N_QJSON));
	assert_false(sftp_kind_is_dir(N_STATUS));
	assert_false(sftp_kind_is_dir(N_WEBCAM));
	assert_false(sftp_kind_is_dir(N_JOBJSON));
	assert_false(sftp_kind_is_dir(N_JOBFILE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_normal_form),
		cmocka_unit_test(test_dotdot),
		cmocka_unit_test(test_hidden_and_temporary),
		cmocka_unit_test(test_bytes_and_bounds),
		cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
