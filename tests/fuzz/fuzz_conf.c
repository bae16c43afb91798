/*
 * fuzz_conf - libFuzzer target: arbitrary bytes as gspool.conf, read by
 * conf_load() (lib/conf.c) from a file and freed by conf_free().
 *
 * Invariants, besides no crash, no undefined behaviour and no leak
 * (LeakSanitizer checks each input):
 * - conf_load() returns the number of errors it reported, never -1 for
 *   a file it could read;
 * - every error names the file and the line it is about, a line of the
 *   file; only a missing printer, which no line can show, has none;
 * - whatever comes before, a section added after the input is
 *   reported at its own line: no byte, long line or continuation makes
 *   the count of lines drift;
 * - a configuration without errors is one the daemons can run: a
 *   printer at least, each with a name safe as a file name and a
 *   device, a default printer or class that is configured, classes of
 *   configured printers, a build volume of finite numbers, min below
 *   max, and the defaults filled in.
 * - what the commands read (conf_load_client()) reports no error the
 *   daemons' reading does not, and of a file without errors it reads
 *   the same socket and default destination.
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

static char path[64];
static int fd = -1;
static unsigned nlines;
static int nreports;
static unsigned end_line;		/* where the added section is */
static int end_seen;

#define END_SECTION	"zz-fuzz-end"

static void
report(const char *msg, void *arg)
{
	size_t plen = strlen(path);
	const char *p;
	char *end;
	unsigned long line;

	(void)arg;
	nreports++;
	CHECK(strncmp(msg, path, plen) == 0 && msg[plen] == ':');
	p = msg + plen + 1;
	if (*p >= '0' && *p <= '9') {
		line = strtoul(p, &end, 10);
		CHECK(end[0] == ':' && end[1] == ' ' && end[2] != '\0');
		if (end_line && strcmp(end + 2, "unknown section ["
		    END_SECTION "]") == 0) {
			if (line != end_line) {
				fprintf(stderr, "%s, not at line %u\n", msg,
				    end_line);
				CHECK(!"the lines are counted right");
			}
			end_seen++;
		}
		if (line < 1 || line > nlines) {
			fprintf(stderr, "line %lu of %u: %s\n", line, nlines,
			    msg);
			CHECK(!"an error's line is a line of the file");
		}
		return;
	}
	CHECK(p[0] == ' ');
	if (strstr(p, "no printer is configured") == NULL) {
		fprintf(stderr, "no line: %s\n", msg);
		CHECK(!"an error without a line");
	}
}

static void
check_usable(const struct conf *c)
{
	size_t i, m;
	int k;

	CHECK(c->nprinters >= 1);
	CHECK(c->spool_dir && c->socket_path && c->backend_dir && c->magic &&
	    c->admin_group && c->filter_dir && c->default_printer);
	CHECK(c->sftp.listen && c->sftp.host_key);
	CHECK(conf_printer(c, c->default_printer) != NULL ||
	    conf_class(c, c->default_printer) != NULL);
	CHECK(c->keep_files <= c->keep_jobs);
	for (i = 0; i < c->nprinters; i++) {
		const struct conf_printer *p = &c->printers[i];

		CHECK(name_is_safe(p->name, CONF_NAME_MAX));
		CHECK(p->device != NULL);
		CHECK(conf_printer(c, p->name) == p);
		CHECK(conf_class(c, p->name) == NULL);
		for (k = 0; k < 3; k++) {
			CHECK(isfinite(p->check.vol_min[k]) &&
			    isfinite(p->check.vol_max[k]));
			CHECK(p->check.vol_min[k] < p->check.vol_max[k]);
		}
		CHECK(p->nfilters >= 0 && p->nfilters <= CONF_FILTERS);
	}
	for (i = 0; i < c->nclasses; i++) {
		const struct conf_class *cl = &c->classes[i];

		CHECK(name_is_safe(cl->name, CONF_NAME_MAX));
		CHECK(cl->nmembers >= 1);
		for (m = 0; m < cl->nmembers; m++)
			CHECK(conf_printer(c, cl->members[m]) != NULL);
	}
	for (i = 0; i < c->naccounts; i++)
		CHECK(c->accounts[i].keys != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	size_t i;
	int r;

	if (fd < 0) {
		if ((fd = memfd_create("gspool.conf", MFD_CLOEXEC)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	/* The lines fgets() would read, the last one without its LF. */
	for (i = 0, nlines = 0; i < size; i++)
		if (data[i] == '\n')
			nlines++;
	if (size > 0 && data[size - 1] != '\n')
		nlines++;

	nreports = 0;
	end_line = 0;
	r = conf_load(&c, path, report, NULL);
	CHECK(r >= 0);
	CHECK(r == nreports);
	if (r == 0)
		check_usable(&c);
	{
		struct conf cc;
		int rc;

		nreports = 0;
		rc = conf_load_client(&cc, path, report, NULL);
		CHECK(rc >= 0 && rc == nreports && rc <= r);
		if (r == 0) {
			CHECK(rc == 0);
			CHECK(strcmp(cc.socket_path, c.socket_path) == 0);
			CHECK(strcmp(cc.default_printer, c.default_printer) ==
			    0);
		}
		conf_free(&cc);
	}
	conf_free(&c);

	/* Again with a section of a name the input does not hold after
	 * it: the line after the input's last, and the next. */
	if (memmem(data, size, END_SECTION, strlen(END_SECTION)) != NULL)
		return 0;
	{
		static const char tail[] = "\n[" END_SECTION "]\nkey = 1\n";

		if (pwrite(fd, tail, sizeof(tail) - 1, (off_t)size) !=
		    (ssize_t)sizeof(tail) - 1)
			abort();
	}
	for (i = 0, end_line = 2; i < size; i++)
		if (data[i] == '\n')
			end_line++;
	nlines = end_line + 1;
	nreports = 0;
	end_seen = 0;
	r = conf_load(&c, path, report, NULL);
	CHECK(r == nreports && r >= 1);
	CHECK(end_seen == 1);
	conf_free(&c);
	return 0;
}
