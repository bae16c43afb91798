/* Unit tests for lib/conf.c: keys, defaults, and errors with lines. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

static char reports[4096];

static void
collect(const char *msg, void *arg)
{
	(void)arg;
	strncat(reports, msg, sizeof(reports) - strlen(reports) - 2);
	strcat(reports, "\n");
}

static int
load_bytes(struct conf *c, const char *text, size_t len)
{
	char path[] = "/tmp/gspool-conf-test.XXXXXX";
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	reports[0] = '\0';
	r = conf_load(c, path, collect, NULL);
	unlink(path);
	return r;
}

static int
load(struct conf *c, const char *text)
{
	return load_bytes(c, text, strlen(text));
}

static void
test_good(void **state)
{
	struct conf c;
	struct conf_printer *p;

	(void)state;
	assert_int_equal(load(&c,
	    "; comment\n[spool]\ndirectory = /srv/spool\n"
	    "[printer mk3]\ndevice = serial:/dev/ttyACM0?baud=250000\n"
	    "max_hotend = 300 ; inline comment\n"
	    "[printer vp]\ndevice = /tmp/vp.tty\n"), 0);
	assert_string_equal(c.spool_dir, "/srv/spool");
	assert_string_equal(c.socket_path, "/srv/spool/control");
	assert_string_equal(c.default_printer, "mk3");
	assert_int_equal(c.nprinters, 2);
	p = conf_printer(&c, "mk3");
	assert_non_null(p);
	assert_string_equal(p->device_path, "/dev/ttyACM0");
	assert_int_equal(p->baud, 250000);
	assert_int_equal(p->policy.max_hotend, 300);
	assert_int_equal(p->policy.max_bed, 120);
	p = conf_printer(&c, "vp");
	assert_string_equal(p->device_path, "/tmp/vp.tty");
	assert_int_equal(p->baud, 115200);
	assert_null(conf_printer(&c, "nope"));
	/* The G-code keys keep their defaults when not given. */
	assert_string_equal(p->script[CONF_RESUME], "M83\nG1 E2 F2700");
	assert_non_null(strstr(p->script[CONF_CANCEL], "M104 S0"));
	conf_free(&c);
}

/* G-code keys: lines of a value, comments dropped; an empty value means
 * no G-code at all. */
static void
test_gcode_keys(void **state)
{
	struct conf c;
	struct conf_printer *p;

	(void)state;
	assert_int_equal(load(&c,
	    "[printer mk3]\ndevice = /dev/ttyACM0\n"
	    "pause_gcode = M400 ; wait\n"
	    "  G91\n"
	    "\tG1 Z5 (lift) F600\n"
	    "cancel_gcode =\n"
	    "resume_gcode = G90\n"
	    "  G1 X1\n"), 0);
	p = conf_printer(&c, "mk3");
	assert_string_equal(p->script[CONF_PAUSE], "M400\nG91\nG1 Z5  F600");
	assert_string_equal(p->script[CONF_CANCEL], "");
	assert_string_equal(p->script[CONF_RESUME], "G90\nG1 X1");
	conf_free(&c);
}

static void
test_errors_have_lines(void **state)
{
	struct conf c;

	(void)state;
	assert_int_equal(load(&c,
	    "[spool]\n"				/* 1 */
	    "default_printer = ghost\n"		/* 2 */
	    "[printer a]\n"			/* 3 */
	    "device = tcp:host\n"		/* 4 */
	    "max_bed = 999\n"			/* 5 */
	    "nonsense\n"),			/* 6 */
	    4);
	assert_non_null(strstr(reports, ":4: device: 'tcp:host': unknown kind"));
	assert_non_null(strstr(reports, ":5: max_bed: '999' is not a whole number from 0 to 200"));
	assert_non_null(strstr(reports, ":6: expected 'key = value'"));
	assert_non_null(strstr(reports, ":2: default_printer 'ghost' is not a configured printer"));
	conf_free(&c);
}

/* A build volume of nan turned its checks off (nan compares false with
 * everything); inf and absurd sizes are refused too, with the line. */
static void
test_volume_not_finite(void **state)
{
	struct conf c;

	(void)state;
	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/a\n"
	    "build_volume = nan 200 200\n"			/* 3 */
	    "build_min = 0 -inf 0\n"				/* 4 */
	    "[printer b]\ndevice = /dev/b\n"
	    "build_volume = 250 1e300 210\n"			/* 7 */
	    "build_min = -NAN 0 0\n"				/* 8 */
	    "[printer c]\ndevice = /dev/c\n"
	    "build_volume = 100000 200 200\nbuild_min = -100000 0 0\n"),
	    4);
	assert_non_null(strstr(reports, ":3: build_volume: 'nan 200 200': each"
	    " number must be finite, at most 100000 mm from 0"));
	assert_non_null(strstr(reports, ":4: build_min: '0 -inf 0'"));
	assert_non_null(strstr(reports, ":7: build_volume: '250 1e300 210'"));
	assert_non_null(strstr(reports, ":8: build_min: '-NAN 0 0'"));
	assert_true(conf_printer(&c, "c")->check.vol_max[0] == 100000);
	conf_free(&c);
}

/* A NUL byte is an error of its line, and the lines after it keep their
 * numbers (it was taken for a long line, whose rest, the next line, was
 * skipped); a header after white space has its line. */
static void
test_nul_byte(void **state)
{
	static const char text[] = "[printer a]\ndevice = /dev/a\n"
	    "descr\0iption = x\n"				/* 3 */
	    "nonsense\n"					/* 4 */
	    "\0\n"						/* 5 */
	    "[bad\n";						/* 6 */
	struct conf c;

	(void)state;
	assert_int_equal(load_bytes(&c, text, sizeof(text) - 1), 4);
	assert_non_null(strstr(reports, ":3: a NUL byte in the line"));
	assert_non_null(strstr(reports, ":4: expected 'key = value'"));
	assert_non_null(strstr(reports, ":5: a NUL byte in the line"));
	assert_non_null(strstr(reports, ":6: section header without ']'"));
	conf_free(&c);
	/* A CR or a form feed is white space to libinih: a header after
	 * it has its line, and after a key it is an indented line, which
	 * libinih would take for more of the key. */
	assert_int_equal(load(&c, "\r[printer a]\n"		/* 1 */
	    "description = no device\n"
	    "  device = /dev/a\n"				/* 3 */
	    "\f[printer b]\n"), 3);				/* 4 */
	assert_non_null(strstr(reports, ":1: [printer a] has no device"));
	assert_non_null(strstr(reports, ":3: an indented line goes on with the"
	    " key above, and only G-code keys take more lines"));
	assert_non_null(strstr(reports, ":4: an indented line goes on"));
	conf_free(&c);
}

/* The keys of the checks in every dialect: max_chamber, firmware,
 * dialect_mismatch and the macro parameter names; a class takes what
 * all its members share. */
static void
test_dialect_keys(void **state)
{
	struct conf c;
	struct conf_printer *p;
	struct conf_class *k;

	(void)state;
	assert_int_equal(load(&c,
	    "[printer mk3]\ndevice = /dev/a\nfirmware = prusa\n"
	    "max_chamber = 60\ndialect_mismatch = warn\n"
	    "bed_macro_params = BED, PLATE\n"
	    "[printer vc]\ndevice = /dev/b\nfirmware = klipper\n"
	    "[printer mini]\ndevice = /dev/c\n"
	    "[class prusas]\nprinters = mk3\n"
	    "[class all]\nprinters = mk3 vc\n"), 0);
	p = conf_printer(&c, "mk3");
	assert_int_equal(p->check.firmware, GCODE_FW_PRUSA);
	assert_int_equal(p->check.dialect_warn, 1);
	assert_int_equal(p->policy.max_chamber, 60);
	assert_int_equal(p->check.heat.max_chamber, 60);
	assert_string_equal(p->check.heat.macro_params[GCODE_BED],
	    " BED PLATE ");
	assert_string_equal(p->check.heat.macro_params[GCODE_HOTEND], "");
	p = conf_printer(&c, "mini");
	assert_int_equal(p->check.firmware, GCODE_FW_UNKNOWN);
	assert_int_equal(p->check.dialect_warn, 0);
	assert_int_equal(p->policy.max_chamber, 80);
	k = conf_class(&c, "prusas");
	assert_int_equal(k->check.firmware, GCODE_FW_PRUSA);
	assert_int_equal(k->check.dialect_warn, 1);
	k = conf_class(&c, "all");
	assert_int_equal(k->check.firmware, GCODE_FW_UNKNOWN);
	assert_int_equal(k->check.dialect_warn, 0);
	assert_int_equal(k->check.heat.max_chamber, 60);
	conf_free(&c);

	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/null\nfirmware = grbl\n"
	    "dialect_mismatch = maybe\nhotend_macro_params = EXTRUDER T-1\n"
	    "max_chamber = 300\n"), 4);
	assert_non_null(strstr(reports, ":3: firmware: 'grbl' is not marlin,"
	    " prusa, klipper, reprapfirmware, repetier, smoothieware or"
	    " empty"));
	assert_non_null(strstr(reports, ":4: dialect_mismatch: 'maybe' is not"
	    " refuse or warn"));
	assert_non_null(strstr(reports, ":5: hotend_macro_params: 'T-1' is not"
	    " a parameter name"));
	assert_non_null(strstr(reports, ":6: max_chamber: '300' is not a whole"
	    " number from 0 to 200"));
	conf_free(&c);
}

/* model, nozzle, materials and the fit_ policies: their defaults, and
 * each mistake at its line. */
static void
test_fit_keys(void **state)
{
	struct conf c;
	struct conf_printer *p;

	(void)state;
	assert_int_equal(load(&c, "[printer mk3]\ndevice = /dev/null\n"
	    "model = MK3S, MK3S+\nnozzle = 0.4, 0.6\n"
	    "materials = PLA, none\nfit_model = ignore\n"
	    "[printer plain]\ndevice = /dev/zero\n"), 0);
	p = conf_printer(&c, "mk3");
	assert_int_equal(p->fit.nmodels, 2);
	assert_string_equal(p->fit.models[1], "MK3S+");
	assert_int_equal(p->fit.nnozzles, 2);
	assert_true(p->fit.nozzle[1] > 0.59 && p->fit.nozzle[1] < 0.61);
	assert_int_equal(p->fit.nmaterials, 2);
	assert_string_equal(p->fit.material[0], "PLA");
	assert_string_equal(p->fit.material[1], "");
	assert_int_equal(p->fit.policy[FIT_MODEL], FIT_IGNORE);
	assert_int_equal(p->fit.policy[FIT_NOZZLE], FIT_REFUSE);
	assert_int_equal(p->fit.policy[FIT_MATERIAL], FIT_HOLD);
	p = conf_printer(&c, "plain");
	assert_int_equal(p->fit.nmodels + p->fit.nnozzles +
	    p->fit.nmaterials, 0);
	conf_free(&c);
	assert_int_equal(load(&c, "[printer mk3]\ndevice = /dev/null\n"
	    "nozzle = 0.4\nmaterials = PLA,PETG\nfit_nozzle = maybe\n"
	    "[printer b]\ndevice = /dev/zero\nnozzle = 40\n"
	    "materials = PLA;PETG\n"), 4);
	assert_non_null(strstr(reports, ":5: fit_nozzle: 'maybe' is not"
	    " refuse, hold or ignore"));
	assert_non_null(strstr(reports, ":8: nozzle: T0: '40' is not a"
	    " nozzle diameter in mm (0.05 to 5)"));
	assert_non_null(strstr(reports, ":9: materials: T0: 'PLA;PETG' is"
	    " not a filament type"));
	assert_non_null(strstr(reports, ":4: materials: 2 tools, but nozzle"
	    " names 1"));
	conf_free(&c);
}

static void
test_unreadable(void **state)
{
	struct conf c;

	(void)state;
	reports[0] = '\0';
	assert_int_equal(conf_load(&c, "/nonexistent/gspool.conf", collect,
	    NULL), -1);
	assert_non_null(strstr(reports, "/nonexistent/gspool.conf: cannot read"));
	conf_free(&c);
}

static void
test_path_order(void **state)
{
	(void)state;
	unsetenv("GSPOOL_CONF");
	assert_string_equal(conf_path("/x.conf"), "/x.conf");
	assert_string_equal(conf_path(NULL), conf_default_path());
	setenv("GSPOOL_CONF", "/env.conf", 1);
	assert_string_equal(conf_path(NULL), "/env.conf");
	assert_string_equal(conf_path("/x.conf"), "/x.conf");
	unsetenv("GSPOOL_CONF");
}

/* A class's member that is no printer is one error, said once: the
 * class's policy is its known members', and no build volume is
 * reported as not overlapping because a member is missing.  Volumes
 * that do not overlap are said once, not once an axis. */
static void
test_class_unknown_member(void **state)
{
	struct conf c;
	struct conf_class *k;

	(void)state;
	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/a\nmax_hotend = 260\n"
	    "[class ghosts]\nprinters = nosuch\n"		/* 4 */
	    "[class mixed]\nprinters = ghost a\n"), 2);	/* 6 */
	assert_non_null(strstr(reports, ":4: [class ghosts]: nosuch is not a"
	    " configured printer"));
	assert_non_null(strstr(reports, ":6: [class mixed]: ghost is not a"
	    " configured printer"));
	assert_null(strstr(reports, "overlap"));
	k = conf_class(&c, "mixed");
	assert_non_null(k);
	assert_int_equal(k->policy.max_hotend, 260);
	assert_int_equal(k->check.heat.max_hotend, 260);
	conf_free(&c);

	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/a\nbuild_volume = 100 100 100\n"
	    "[printer b]\ndevice = /dev/b\nbuild_volume = 300 300 300\n"
	    "build_min = 200 200 200\n"
	    "[class apart]\nprinters = a b\n"), 1);		/* 8 */
	assert_non_null(strstr(reports, ":8: [class apart]: its printers' build"
	    " volumes do not overlap"));
	assert_null(strstr(strstr(reports, "overlap") + 1, "overlap"));
	conf_free(&c);
}

/* Classes: members checked, the policy every member allows; the queue's
 * keys. */
static void
test_classes(void **state)
{
	struct conf c;
	struct conf_class *k;

	(void)state;
	assert_int_equal(load(&c,
	    "[spool]\nkeep_jobs = 7d\nkeep_files = 12h\nshow_titles = yes\n"
	    "admin_group = staff\nnotify = /bin/true\ndefault_printer = farm\n"
	    "[printer a]\ndevice = /dev/a\nmax_hotend = 300\n"
	    "build_volume = 250 210 200\nforbidden_gcode = M500\n"
	    "clears_bed = yes\nbetween_jobs = G1 Z200 F600\n  M84\n"
	    "[printer b]\ndevice = /dev/b\nmax_hotend = 250\n"
	    "build_volume = 180 180 180\nforbidden_gcode = M501 M500\n"
	    "allowed_gcode = G0 G1 G28 M104\n"
	    "[class farm]\nprinters = a, b\n"), 0);
	assert_int_equal(c.keep_jobs, 7 * 86400);
	assert_int_equal(c.keep_files, 12 * 3600);
	assert_int_equal(c.show_titles, 1);
	assert_string_equal(c.admin_group, "staff");
	assert_string_equal(c.default_printer, "farm");
	assert_int_equal(conf_printer(&c, "a")->clears_bed, 1);
	assert_string_equal(conf_printer(&c, "a")->script[CONF_BETWEEN],
	    "G1 Z200 F600\nM84");
	assert_string_equal(conf_printer(&c, "b")->script[CONF_BETWEEN], "");
	k = conf_class(&c, "farm");
	assert_non_null(k);
	assert_int_equal(k->nmembers, 2);
	assert_true(conf_class_has(k, "b"));
	assert_false(conf_class_has(k, "c"));
	assert_int_equal(k->policy.max_hotend, 250);
	assert_int_equal(k->check.heat.max_hotend, 250);
	assert_true(k->check.vol_max[0] == 180 && k->check.vol_max[1] == 180);
	assert_int_equal(k->check.nforbidden, 2);
	assert_int_equal(k->check.nallowed, 4);
	conf_free(&c);

	assert_int_equal(load(&c,
	    "[spool]\nkeep_jobs = 1h\nkeep_files = 2h\nshow_titles = maybe\n"
	    "[printer a]\ndevice = /dev/a\nclears_bed = sometimes\n"
	    "[class a]\nprinters = a\n[class empty]\ndescription = x\n"
	    "[class odd]\nprinters = a nosuch a\ncolour = red\n"), 8);
	assert_non_null(strstr(reports, ":4: show_titles: 'maybe'"));
	assert_non_null(strstr(reports, ":7: clears_bed: 'sometimes'"));
	assert_non_null(strstr(reports, ":3: keep_files is longer than keep_jobs"));
	assert_non_null(strstr(reports, "[class a]: a printer has that name"));
	assert_non_null(strstr(reports, "[class empty] has no printers"));
	assert_non_null(strstr(reports, "printers: a is named twice"));
	assert_non_null(strstr(reports, "[class odd]: nosuch is not a"));
	assert_non_null(strstr(reports, "unknown key 'colour' in [class odd]"));
	conf_free(&c);
	assert_int_equal(load(&c,
	    "[spool]\nkeep_jobs = 5y\n[printer a]\ndevice = /dev/a\n"), 1);
	assert_non_null(strstr(reports, "keep_jobs: '5y' is not a time"));
	conf_free(&c);

	/* Filters and the camera. */
	assert_int_equal(load(&c,
	    "[spool]\nfilter_dir = /opt/f\nfilter_timeout = 2m\n"
	    "[printer a]\ndevice = /dev/a\nfilters = timelapse, other\n"
	    "camera = http://cam/?action=stream\nfilter_options = fps=25\n"), 0);
	assert_string_equal(c.filter_dir, "/opt/f");
	assert_int_equal(c.filter_timeout, 120);
	assert_int_equal(conf_printer(&c, "a")->nfilters, 2);
	assert_string_equal(conf_printer(&c, "a")->filters[1], "other");
	assert_string_equal(conf_printer(&c, "a")->camera,
	    "http://cam/?action=stream");
	assert_string_equal(conf_printer(&c, "a")->filter_options, "fps=25");
	conf_free(&c);
	assert_int_equal(load(&c,
	    "[spool]\nfilter_dir = rel\nfilter_timeout = 0\n"
	    "[printer a]\ndevice = /dev/a\nfilters = ../x a b c d e\n"
	    "camera = video0\n"), 5);
	assert_non_null(strstr(reports, "filter_dir: 'rel' must be an absolute"));
	assert_non_null(strstr(reports, "filter_timeout: '0'"));
	assert_non_null(strstr(reports, "filters: '../x' is not a filter"));
	assert_non_null(strstr(reports, "filters: more than 4"));
	assert_non_null(strstr(reports, "camera: 'video0' is not an"));
	conf_free(&c);

	/* gsftpd: [sftp] and [account NAME]. */
	assert_int_equal(load(&c,
	    "[spool]\nmax_job_size = 100M\n[printer a]\ndevice = /dev/a\n"
	    "[sftp]\nlisten = 127.0.0.1:2022\nidle_timeout = 5m\n"
	    "quota = 1G\n[account alice]\nkeys = /k/alice\nmax_sessions = 2\n"
	    "[account bob]\nkeys = /k/bob\nquota = 10M\n"), 0);
	assert_string_equal(c.sftp.listen, "127.0.0.1:2022");
	assert_int_equal(c.sftp.idle_timeout, 300);
	assert_int_equal(conf_account(&c, "alice")->max_sessions, 2);
	assert_true(conf_account(&c, "alice")->quota == 1LL << 30);
	assert_true(conf_account(&c, "alice")->max_file == 100LL << 20);
	assert_true(conf_account(&c, "bob")->quota == 10LL << 20);
	assert_null(conf_account(&c, "eve"));
	conf_free(&c);
	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/a\n[sftp]\nmax_memory = 1M\n"
	    "stall_timeout = 0\nmax_per_address = many\nport = 22\n"
	    "[account ../x]\nkeys = /k\n[account carol]\nquota = lots\n"
	    "shell = yes\n"), 8);
	assert_non_null(strstr(reports, ":4: max_memory: '1M' is not a size of 16M"));
	assert_non_null(strstr(reports, ":5: stall_timeout: '0' is not a time"));
	assert_non_null(strstr(reports, ":6: max_per_address: 'many'"));
	assert_non_null(strstr(reports, ":7: unknown key 'port' in [sftp]"));
	assert_non_null(strstr(reports, "account name '../x'"));
	assert_non_null(strstr(reports, ":11: quota: 'lots' is not a size"));
	assert_non_null(strstr(reports, ":12: unknown key 'shell' in [account"
	    " carol]"));
	assert_non_null(strstr(reports, "[account carol] has no keys"));
	conf_free(&c);
	/* Users and logins in progress. */
	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n"), 0);
	assert_string_equal(c.user, "_gspool");
	assert_string_equal(c.sftp.user, "_gspool-sftp");
	assert_int_equal(c.sftp.startups_begin, 10);
	assert_int_equal(c.sftp.startups_rate, 30);
	assert_int_equal(c.sftp.startups_full, 100);
	assert_int_equal(c.sftp.startups_per_address, 4);
	conf_free(&c);
	assert_int_equal(load(&c, "[spool]\nuser = lp\n[printer a]\n"
	    "device = /dev/a\n[sftp]\nuser = sftpd\nmax_startups = 5:50:20\n"
	    "max_startups_per_address = 2\n"), 0);
	assert_string_equal(c.user, "lp");
	assert_string_equal(c.sftp.user, "sftpd");
	assert_int_equal(c.sftp.startups_begin, 5);
	assert_int_equal(c.sftp.startups_rate, 50);
	assert_int_equal(c.sftp.startups_full, 20);
	assert_int_equal(c.sftp.startups_per_address, 2);
	conf_free(&c);
	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n[sftp]\n"
	    "max_startups = 20\n"), 0);
	assert_int_equal(c.sftp.startups_begin, 20);
	assert_int_equal(c.sftp.startups_full, 20);
	conf_free(&c);
	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n[sftp]\n"
	    "max_startups = 20:30:10\nuser = root\n"
	    "max_startups_per_address = 0\n[spool]\nuser = same\n"), 3);
	assert_non_null(strstr(reports, ":4: max_startups: '20:30:10' is not"));
	assert_non_null(strstr(reports, ":5: user: gsftpd may not run as root"));
	assert_non_null(strstr(reports, ":6: max_startups_per_address: '0'"));
	conf_free(&c);
	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n[sftp]\n"
	    "max_startups = 20\n[spool]\nuser = same\n[sftp]\n"
	    "user = same\n"), 1);
	assert_non_null(strstr(reports, ":8: [sftp] user is spoold's own user same"));
	conf_free(&c);
	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n[sftp]\n"
	    "max_startups = 10:101:20\n"), 1);
	conf_free(&c);
	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n[sftp]\n"
	    "max_startups = 10:30:99999999999999999999\n"), 1);
	conf_free(&c);
}

/* Numbers that would turn a check off or overflow are refused with
 * their line: nan compares false with everything, so a build volume of
 * nan would let every move pass. */
static void
test_absurd_numbers(void **state)
{
	struct conf c;
	int r;

	(void)state;

	r = load(&c,
	    "[printer a]\ndevice = /dev/a\n"
	    "build_volume = nan 200 200\n"			/* 3 */
	    "build_min = -nan 0 0\n"
	    "[printer b]\ndevice = /dev/b\n"
	    "build_volume = 200 inf 200\n"			/* 7 */
	    "build_min = 0 -1e300 0\n"
	    "[printer c]\ndevice = /dev/c\n"
	    "build_volume = 200 200 1e308\n"			/* 11 */
	    "[printer d]\ndevice = /dev/d\n"
	    "build_volume = 0x1p2000 1 1\n"			/* 14 */
	    "[spool]\nkeep_rejected = forever\n"		/* 16 */
	    "keep_files = 99999999999999999999d\n"
	    "max_rejections = -1\nrejection_window = 0\n"
	    "max_job_size = 9223372036854775807T\n"		/* 20 */
	    "max_user_jobs = 99999999999999999999\n");
	assert_int_equal(r, 12);
	assert_non_null(strstr(reports, ":3: build_volume: 'nan 200 200': each"
	    " number must be finite, at most 100000 mm from 0"));
	assert_non_null(strstr(reports, ":7: build_volume: '200 inf 200'"));
	assert_non_null(strstr(reports, ":11: build_volume: '200 200 1e308'"));
	assert_non_null(strstr(reports, ":4: build_min: '-nan 0 0'"));
	assert_non_null(strstr(reports, ":8: build_min: '0 -1e300 0'"));
	assert_non_null(strstr(reports, ":14: build_volume: '0x1p2000 1 1'"));
	assert_non_null(strstr(reports, ":16: keep_rejected: 'forever' is not"
	    " a time"));
	assert_non_null(strstr(reports, ":17: keep_files: '99999999999999999999d'"));
	assert_non_null(strstr(reports, ":18: max_rejections: '-1'"));
	assert_non_null(strstr(reports, ":19: rejection_window: '0'"));
	assert_non_null(strstr(reports, ":20: max_job_size:"));
	assert_non_null(strstr(reports, ":21: max_user_jobs:"));
	/* The bad lines left the defaults. */
	assert_int_equal(c.keep_rejected, 7 * 86400);
	assert_int_equal(c.max_rejections, 50);
	assert_int_equal(c.rejection_window, 600);
	assert_true(conf_printer(&c, "a")->check.vol_max[0] > 0);
	conf_free(&c);

	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/a\nbuild_volume = 250 210 205.5\n"
	    "build_min = -5 -4.5 0\n[spool]\nkeep_rejected = 2d\n"
	    "max_rejections = 0\nrejection_window = 1h\n"), 0);
	assert_true(conf_printer(&c, "a")->check.vol_max[2] == 205.5);
	assert_true(conf_printer(&c, "a")->check.vol_min[1] == -4.5);
	assert_int_equal(c.keep_rejected, 2 * 86400);
	assert_int_equal(c.max_rejections, 0);
	assert_int_equal(c.rejection_window, 3600);
	conf_free(&c);
}

/* The accounting's keys: amounts in hundredths, the limits -1 where
 * unset, a [material] found in any case, keep_accounting for ever by
 * default, and bad amounts at their lines. */
static void
test_accounting_keys(void **state)
{
	struct conf c;

	(void)state;
	assert_int_equal(load(&c,
	    "[spool]\nkeep_accounting = 400d\n"
	    "[printer a]\ndevice = /dev/a\ncost_per_kg = 19.9\n"
	    "cost_per_hour = 0.05\n"
	    "[user ann]\nmax_grams_month = 500\nmax_cost_month = 12.50\n"
	    "[group staff]\nmax_hours_month = 40\n"
	    "[material PETG]\ncost_per_kg = 30\n"
	    "[material pla]\n"
	    "cost_per_kg = 0\n"), 0);
	assert_int_equal(c.keep_accounting, 400 * 86400);
	assert_int_equal(conf_printer(&c, "a")->cost_per_kg, 1990);
	assert_int_equal(conf_printer(&c, "a")->cost_per_hour, 5);
	assert_int_equal(conf_user(&c, "ann")->limits.grams, 500);
	assert_int_equal(conf_user(&c, "ann")->limits.hours, -1);
	assert_int_equal(conf_user(&c, "ann")->limits.cost, 1250);
	assert_int_equal(conf_group(&c, "staff")->limits.hours, 40);
	assert_int_equal(conf_group(&c, "staff")->limits.grams, -1);
	assert_int_equal(conf_material(&c, "petg")->cost_per_kg, 3000);
	assert_int_equal(conf_material(&c, "PLA")->cost_per_kg, 0);
	assert_null(conf_material(&c, "ABS"));
	conf_free(&c);
	/* Unset, the rows are kept for ever (0), whatever keep_jobs. */
	assert_int_equal(load(&c, "[spool]\nkeep_jobs = 1d\n"
	    "[printer a]\ndevice = /dev/a\n"), 0);
	assert_int_equal(c.keep_accounting, 0);
	conf_free(&c);

	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n"
	    "cost_per_kg = 1.234\n"				/* 3 */
	    "cost_per_hour = -1\n"				/* 4 */
	    "[user ann]\nmax_cost_month = 3.\n"			/* 6 */
	    "max_grams_month = lots\n"				/* 7 */
	    "[material PLA]\ncost_per_kg = 1000000.01\n"), 5);	/* 9 */
	assert_non_null(strstr(reports, ":3: cost_per_kg: '1.234' is not an"
	    " amount from 0.00 to 1000000.00 (such as 25 or 0.50)"));
	assert_non_null(strstr(reports, ":4: cost_per_hour: '-1' is not an"
	    " amount"));
	assert_non_null(strstr(reports, ":6: max_cost_month: '3.' is not an"
	    " amount"));
	assert_non_null(strstr(reports, ":7: max_grams_month:"));
	assert_non_null(strstr(reports, ":9: cost_per_kg: '1000000.01'"));
	conf_free(&c);
}

/* An SFTP account may not take a local user's name: both would own
 * drop/NAME and the jobs of NAME. */
static void
test_account_user_clash(void **state)
{
	struct conf c;

	(void)state;
	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/a\n"
	    "[account root]\nkeys = /k/root\n"
	    "[account gspool-nobody-has-this-name]\nkeys = /k/x\n"), 1);
	assert_non_null(strstr(reports, ":3: [account root]: a local user has"
	    " that name"));
	conf_free(&c);
}

/* notify_urls and notify_events in each of their sections: defaults,
 * sets, and errors that never show a URL whole. */
static void
test_notify(void **state)
{
	struct conf c;
	struct conf_user *u;
	struct conf_account *a;

	(void)state;
	assert_int_equal(load(&c,
	    "[spool]\nnotify_urls = json://h/a mailto://u:pw@h?to=x\n"
	    "awaiting_clear_notify = 10m\nnotify_retries = 2\n"
	    "[printer a]\ndevice = /dev/a\nnotify_urls = form://h/p\n"
	    "notify_events = completed, aborted\n"
	    "[user ann]\nnotify_urls = ntfy://ntfy.sh/t\nnotify_events = all\n"
	    "[account gspool-nobody-has-this-name]\nkeys = /k/x\n"
	    "notify_events = none\n"), 0);
	assert_int_equal(c.notify_all.nurls, 2);
	assert_string_equal(c.notify_all.urls[1], "mailto://u:pw@h?to=x");
	assert_true(c.notify_all.events & (1u << NOTIFY_FIRST_LAYER));
	assert_true(c.notify_all.events & (1u << NOTIFY_AWAITING_CLEAR));
	assert_false(c.notify_all.events & (1u << NOTIFY_RESUMED));
	assert_false(c.notify_all.events & (1u << NOTIFY_CANCELED));
	assert_int_equal(c.awaiting_clear_notify, 600);
	assert_int_equal(c.notify_retries, 2);
	assert_int_equal(c.notify_timeout, 30);
	assert_int_equal(c.notify_max, 4);
	assert_int_equal(c.printers[0].notify.nurls, 1);
	assert_int_equal(c.printers[0].notify.events,
	    (1u << NOTIFY_COMPLETED) | (1u << NOTIFY_ABORTED));
	assert_non_null(u = conf_user(&c, "ann"));
	assert_int_equal(u->notify.events, (1u << NOTIFY_NEVENTS) - 1);
	assert_non_null(a = conf_account(&c, "gspool-nobody-has-this-name"));
	assert_int_equal(a->notify.nurls, 0);
	assert_int_equal(a->notify.events, 0);
	assert_true(conf_notify_any(&c));
	assert_int_equal(conf_notify_event_parse("heaters-left-on"),
	    NOTIFY_HEATERS_LEFT_ON);
	assert_string_equal(conf_notify_event_name(NOTIFY_WAITING), "waiting");
	assert_null(conf_notify_event_name(NOTIFY_NEVENTS));
	conf_free(&c);

	/* Not a URL, a control byte, an unknown event: each at its line,
	 * the URL by its place and scheme alone. */
	assert_int_equal(load(&c,
	    "[printer a]\ndevice = /dev/a\n"
	    "notify_urls = json://h/ok secret-token-1234\n"
	    "notify_events = started finished\n"
	    "[user ann]\nnotify_urls = tgram://secret\001x/y\n"), 3);
	assert_non_null(strstr(reports, ":3: notify_urls: URL 2 is not an"
	    " Apprise URL"));
	assert_non_null(strstr(reports, ":4: notify_events: 'finished' is"
	    " not an event"));
	assert_non_null(strstr(reports, ":6: notify_urls: URL 1 (tgram://...)"
	    " holds a control byte"));
	assert_null(strstr(reports, "secret"));
	assert_false(conf_notify_any(&c) && c.printers[0].notify.nurls != 1);
	conf_free(&c);

	/* Without a URL anywhere, nothing is to be told. */
	assert_int_equal(load(&c, "[printer a]\ndevice = /dev/a\n"), 0);
	assert_false(conf_notify_any(&c));
	conf_free(&c);
}

/* A key set twice is an error with both lines; an unknown key or
 * section names the one meant; conf_line() says where a key was. */
static void
test_duplicates(void **state)
{
	struct conf c;

	(void)state;
	assert_int_equal(load(&c,
	    "[spool]\nkeep_jobs = 2d\n"			/* 2 */
	    "keep_jobs = 3d\n"
	    "[printer a]\ndevice = /dev/a\nwindw = 2\n"	/* 6 */
	    "pause_gcode = G1 Z1\n  G1 Z2\n"		/* 7 */
	    "[printer b]\ndevice = /dev/a\n"		/* 10 */
	    "[spool]\nkeep_jobs = 4d\nmax_bed = 1\n"	/* 12 */
	    "[printers c]\nx = 1\n"			/* 14 */
	    "[class]\nx = 1\n"), 7);
	assert_non_null(strstr(reports, ":3: keep_jobs is already set at line 2\n"));
	assert_non_null(strstr(reports, ":12: keep_jobs is already set at line 2\n"));
	assert_non_null(strstr(reports, ":6: unknown key 'windw' in [printer a];"
	    " did you mean 'window'?"));
	assert_non_null(strstr(reports, ":10: device: /dev/a is [printer a]'s"
	    " device too (line 5)"));
	assert_non_null(strstr(reports, ":13: unknown key 'max_bed' in [spool];"
	    " it is a key of [printer NAME]"));
	assert_non_null(strstr(reports, ":14: unknown section [printers c];"
	    " did you mean [printer NAME]?"));
	assert_non_null(strstr(reports, ":16: unknown section [class]; it needs"
	    " a name: [class NAME]"));
	/* The first value holds; a G-code key's indented lines are not
	 * keys set again. */
	assert_int_equal(c.keep_jobs, 2 * 86400);
	assert_string_equal(conf_printer(&c, "a")->script[CONF_PAUSE],
	    "G1 Z1\nG1 Z2");
	assert_int_equal(conf_line(&c, "spool", NULL, "keep_jobs"), 2);
	assert_int_equal(conf_line(&c, "printer", "a", "pause_gcode"), 7);
	assert_int_equal(conf_line(&c, "printer", "b", "device"), 10);
	assert_int_equal(conf_line(&c, "printer", "b", "window"), 0);
	conf_free(&c);
}

/* What the commands read: [spool]'s socket, directory and
 * default_printer, and the destinations' names; nothing else is
 * checked. */
static void
test_client(void **state)
{
	struct conf c;
	char path[] = "/tmp/gspool-conf-test.XXXXXX";
	const char *text =
	    "[spool]\ndirectory = /srv/spool\ncolour = red\n"
	    "max_job_size = lots\n"
	    "[printer mk3]\ndevice = relative\nwindow = 999\n"
	    "  indented\nno equals sign\n"
	    "[printer bad/name]\ndevice = /dev/x\n"
	    "[class farm]\nprinters = mk3 ghost\n"
	    "[sftp]\nmax_memory = 1K\n[nonsense]\nx = 1\n";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	reports[0] = '\0';
	assert_true(conf_load(&c, path, collect, NULL) > 5);
	conf_free(&c);
	reports[0] = '\0';
	assert_int_equal(conf_load_client(&c, path, collect, NULL), 0);
	assert_string_equal(reports, "");
	assert_string_equal(c.socket_path, "/srv/spool/control");
	assert_string_equal(c.default_printer, "mk3");
	assert_non_null(conf_printer(&c, "mk3"));
	assert_non_null(conf_class(&c, "farm"));
	assert_null(conf_printer(&c, "bad/name"));
	conf_free(&c);
	unlink(path);

	/* Its own keys are checked, with their lines. */
	assert_int_equal(load(&c, "[printer mk3]\ndevice = /dev/a\n"
	    "[spool]\nsocket = rel\ndefault_printer = mk3\n"
	    "default_printer = mk4\n"), 2);
	conf_free(&c);
	strcpy(path, "/tmp/gspool-conf-test.XXXXXX");
	fd = mkstemp(path);
	text = "[printer mk3]\nwindow = lots\n[spool]\nsocket = rel\n"
	    "default_printer = ghost\n[spool\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	reports[0] = '\0';
	assert_int_equal(conf_load_client(&c, path, collect, NULL), 3);
	assert_non_null(strstr(reports, ":4: socket: 'rel' must be an absolute"));
	assert_non_null(strstr(reports, ":5: default_printer 'ghost' is not a"
	    " configured printer or class"));
	assert_non_null(strstr(reports, ":6: section header without ']'"));
	assert_null(strstr(reports, ":2:"));
	conf_free(&c);
	unlink(path);
}

/* The tables' keys, each section's once. */
static int nkeys;

static void
count_key(const char *section, const char *key, void *arg)
{
	(void)arg;
	assert_true(strlen(section) > 0 && strlen(key) > 0);
	nkeys++;
}

static void
test_keys(void **state)
{
	(void)state;
	conf_keys(count_key, NULL);
	assert_true(nkeys > 60);
}

/* What a reload logs: the keys whose values differ, by section. */
static void
test_changes(void **state)
{
	struct conf a, b;
	char what[256], tiny[12];

	(void)state;
	assert_int_equal(load(&a,
	    "[spool]\ndirectory = /srv/spool\nkeep_jobs = 30d\n"
	    "[sftp]\nmax_startups = 10:30:100\n"
	    "[printer mk3]\ndevice = /dev/ttyACM0\nmax_bed = 110\n"
	    "forbidden_gcode = M500\nfilters = timelapse\n"
	    "build_volume = 250 210 210\n"
	    "[printer mk4]\ndevice = /dev/ttyACM1\n"
	    "[class farm]\nprinters = mk3 mk4\n"), 0);
	assert_int_equal(load(&b,
	    "[spool]\ndirectory = /srv/spool\nkeep_jobs = 20d\n"
	    "[sftp]\nmax_startups = 10:30:90\n"
	    "[printer mk3]\ndevice = serial:/dev/ttyACM0?baud=250000\n"
	    "max_bed = 100\nforbidden_gcode = M500 M501\n"
	    "filters = timelapse\nbuild_volume = 250 210 200\n"
	    "resume_gcode = M117 back\n"
	    "[printer mk4]\ndevice = /dev/ttyACM1\n"
	    "[class farm]\nprinters = mk4 mk3\ndescription = all\n"), 0);
	assert_int_equal(conf_changes("printer", &a.printers[0],
	    &b.printers[0], what, sizeof(what)), 5);
	assert_string_equal(what, "device, max_bed, build_volume,"
	    " forbidden_gcode, resume_gcode");
	assert_int_equal(conf_changes("printer", &a.printers[1],
	    &b.printers[1], what, sizeof(what)), 0);
	assert_string_equal(what, "");
	assert_int_equal(conf_changes("class", &a.classes[0], &b.classes[0],
	    what, sizeof(what)), 2);
	assert_string_equal(what, "printers, description");
	assert_int_equal(conf_changes("spool", &a, &b, what, sizeof(what)), 1);
	assert_string_equal(what, "keep_jobs");
	assert_int_equal(conf_changes("sftp", &a, &b, what, sizeof(what)), 1);
	assert_string_equal(what, "max_startups");
	/* Cut short, the count whole. */
	assert_int_equal(conf_changes("printer", &a.printers[0],
	    &b.printers[0], tiny, sizeof(tiny)), 5);
	assert_string_equal(tiny, "device, ...");
	assert_int_equal(conf_changes("nosuch", &a, &b, what, sizeof(what)),
	    -1);
	conf_free(&a);
	conf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_gcode_keys),
		cmocka_unit_test(test_errors_have_lines),
		cmocka_unit_test(test_volume_not_finite),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_dialect_keys),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_fit_keys),
		cmocka_unit_test(test_path_order),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_class_unknown_member),
		cmocka_unit_test(test_absurd_numbers),
		cmocka_unit_test(test_account_user_clash),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_accounting_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
