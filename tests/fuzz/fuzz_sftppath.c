/*
 * fuzz_sftppath - libFuzzer target: arbitrary paths an SFTP account
 * may send, parsed into gsftpd's tree (sftpd/sftppath.c), with two
 * printers (mk3, mini) and a class (farm) configured.
 *
 * The input's first byte says whether ".." may lead back (REALPATH);
 * the rest, to a NUL, is the path.  Invariants, besides no crash:
 * - a parsed path is normalised: "/" and levels of at most 255 bytes
 *   without control bytes, no empty, "." or ".." level, at most 8;
 * - it names what it says: the kind matches its levels, a printer's
 *   node names a configured printer, a drop folder a known printer or
 *   class, a job a number in range, a job's file no hidden or temporary
 *   name;
 * - parsed again, the normalised path names the same node, with or
 *   without "..", and a path with ".." is refused unless it may lead
 *   back;
 * - every refusal says why.
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WITH_SERVER
#include <libssh/sftp.h>

#include "conf.h"
#include "sftppath.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

static struct conf_printer printers[] = { { .name = "mk3" },
	{ .name = "mini" } };
static struct conf_class classes[] = { { .name = "farm" } };
static const struct conf conf = {
	.printers = printers, .nprinters = 2,
	.classes = classes, .nclasses = 1,
};

/* The levels of a normalised path; their count. */
static int
levels(const char *path, char lv[8][256])
{
	const char *p = path + 1, *e;
	int n = 0;
	size_t len;

	CHECK(path[0] == '/');
	if (path[1] == '\0')
		return 0;
	for (;;) {
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		CHECK(n < 8);
		CHECK(len >= 1 && len <= 255);
		memcpy(lv[n], p, len);
		lv[n][len] = '\0';
		CHECK(strcmp(lv[n], ".") != 0 && strcmp(lv[n], "..") != 0);
		n++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return n;
}

static int
same(const struct sftp_node *a, const struct sftp_node *b)
{
	return a->k == b->k && a->id == b->id &&
	    strcmp(a->dest, b->dest) == 0 && strcmp(a->name, b->name) == 0 &&
	    strcmp(a->path, b->path) == 0;
}

/* The node is what its levels say. */
static void
check_node(const struct sftp_node *n)
{
	char lv[8][256];
	const unsigned char *p;
	int depth = levels(n->path, lv);
	long id;

	for (p = (const unsigned char *)n->path; *p; p++)
		CHECK(*p >= 0x20 && *p != 0x7f);
	CHECK(strlen(n->path) <= 1001);
	CHECK((depth == 0) == (n->k == N_ROOT));
	CHECK(strchr(n->name, '/') == NULL);
	switch (n->k) {
	case N_ROOT:
		CHECK(strcmp(n->path, "/") == 0);
		break;
	case N_DROP:
		CHECK(strcmp(lv[0], "drop") == 0 && depth <= 2);
		CHECK(depth == 1 ? n->dest[0] == '\0' :
		    strcmp(n->dest, lv[1]) == 0);
		break;
	case N_DROPFILE:
		CHECK(strcmp(lv[0], "drop") == 0);
		CHECK(n->name[0] != '\0');
		if (depth == 3)
			CHECK(strcmp(n->dest, lv[1]) == 0 &&
			    strcmp(n->name, lv[2]) == 0);
		else
			CHECK(depth == 2 && n->dest[0] == '\0' &&
			    strcmp(n->name, lv[1]) == 0);
		/* A file straight in drop/ never bears a printer's name
		 * (that is its folder). */
		if (depth == 2)
			CHECK(conf_printer(&conf, n->name) == NULL &&
			    conf_class(&conf, n->name) == NULL);
		break;
	case N_QTXT:
	case N_QJSON:
		CHECK(depth == 1);
		CHECK(strcmp(n->path, n->k == N_QTXT ? "/queue.txt" :
		    "/queue.json") == 0);
		break;
	case N_PRINTERS:
		CHECK(strcmp(n->path, "/printers") == 0);
		break;
	case N_PRINTER:
	case N_STATUS:
	case N_WEBCAM:
		CHECK(strcmp(lv[0], "printers") == 0);
		CHECK(conf_printer(&conf, n->dest) != NULL &&
		    strcmp(n->dest, lv[1]) == 0);
		CHECK(depth == (n->k == N_PRINTER ? 2 : 3));
		if (n->k != N_PRINTER)
			CHECK(strcmp(lv[2], n->k == N_STATUS ? "status.json" :
			    "webcam.jpg") == 0);
		break;
	case N_JOBS:
		CHECK(strcmp(n->path, "/jobs") == 0);
		break;
	case N_JOB:
	case N_JOBJSON:
	case N_JOBFILE:
		CHECK(strcmp(lv[0], "jobs") == 0 && depth >= 2);
		CHECK(parse_long(lv[1], 1, 2000000000L, &id) == 0 &&
		    id == n->id);
		CHECK(depth == (n->k == N_JOB ? 2 : 3));
		if (n->k == N_JOBJSON)
			CHECK(strcmp(lv[2], "job.json") == 0);
		if (n->k == N_JOBFILE) {
			size_t nl = strlen(n->name);

			CHECK(strcmp(n->name, lv[2]) == 0 &&
			    strcmp(n->name, "job.json") != 0);
			CHECK(n->name[0] != '.');
			CHECK(nl <= 4 || strcmp(n->name + nl - 4, ".tmp") != 0);
		}
		break;
	default:
		CHECK(!"a kind sftppath.h does not list");
	}
	if (n->k != N_JOB && n->k != N_JOBJSON && n->k != N_JOBFILE)
		CHECK(n->id == 0);
	if (sftp_kind_is_dir(n->k))
		CHECK(n->k == N_ROOT || n->k == N_DROP || n->k == N_PRINTERS ||
		    n->k == N_PRINTER || n->k == N_JOBS || n->k == N_JOB);
}

/* Has the path a ".." level? */
static int
has_dotdot(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 1;
		p++;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sftp_node n, again;
	static char path[4096];
	const char *why = NULL, *why2;
	uint32_t st;
	size_t len;
	int dotdot;

	if (size == 0)
		return 0;
	dotdot = data[0] & 1;
	len = size - 1 < sizeof(path) - 1 ? size - 1 : sizeof(path) - 1;
	memcpy(path, data + 1, len);
	path[len] = '\0';

	st = sftp_path_parse(&conf, path, dotdot, &n, &why);
	CHECK(why != NULL && why[0] != '\0');
	if (st != 0) {
		CHECK(st == SSH_FX_FAILURE || st == SSH_FX_NO_SUCH_FILE ||
		    st == SSH_FX_PERMISSION_DENIED);
		if (!dotdot && has_dotdot(path) && st ==
		    SSH_FX_PERMISSION_DENIED)
			CHECK(strstr(why, "..") != NULL);
		/* Refused whether ".." may lead back or not, unless for
		 * the ".." itself. */
		if (!has_dotdot(path))
			CHECK(sftp_path_parse(&conf, path, !dotdot, &again,
			    &why2) == st);
		return 0;
	}
	if (!dotdot)
		CHECK(!has_dotdot(path));
	check_node(&n);
	if (sftp_upload_name_ok(n.name))
		CHECK(n.name[0] != '.' && strchr(n.name, '/') == NULL);

	/* The normalised path is the same node, either way. */
	CHECK(sftp_path_parse(&conf, n.path, 0, &again, &why2) == 0);
	CHECK(same(&n, &again));
	CHECK(sftp_path_parse(&conf, n.path, 1, &again, &why2) == 0);
	CHECK(same(&n, &again));
	if (!dotdot) {
		CHECK(sftp_path_parse(&conf, path, 1, &again, &why2) == 0);
		CHECK(same(&n, &again));
	}
	return 0;
}
