/*
 * sftppath.c - a client's path in gsftpd's tree, parsed into the node
 * it names (sftppath.h).
 *
 * The grammar is the table below, a rule a kind of node: the levels
 * it has, each a fixed word or a class of names (a printer, a printer
 * or class, a job's number, a file's name).  A path is first cut into
 * levels, "." and empty levels dropped and ".." taken back a level
 * where it is allowed; then the first rule whose levels all match, as
 * many as the path has, names the node.  A path no rule matches names
 * nothing.  So the tree gsftpd(8) documents is here, in one place: a
 * new file or folder is a new row.
 *
 * Security: the path is any bytes an account sends, up to its first
 * NUL (libssh ends the string there: what follows is never seen).  It
 * is bounded (SFTP_PATH_MAX bytes, SFTP_LEVELS_MAX levels of at most
 * SFTP_LEVEL_MAX bytes), a level with a control byte is refused, ".."
 * is refused outright except by REALPATH, where it only ever leads
 * back towards "/", and nothing here touches the file system:
 * sftptree.c, upload.c and readonly.c reach the real files by the
 * names this gives, from directory descriptors.  A printer's or a
 * class's name is taken only if it is configured, a job's number only
 * within 1 to SFTP_JOB_MAX; a job's file that is hidden or still being
 * written (.tmp) is not named at all.  tests/unit/test_sftppath.c
 * checks every kind of path, and fuzz_sftppath the invariants of any.
 *
 * Diagnostics: a refusal is an SFTP status (SSH_FX_*) with why: "path
 * too long", "bad file name" (empty, overlong, or a control byte),
 * "'..' is not allowed", a rule's own reason, or "no such file".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#define WITH_SERVER
#include <libssh/sftp.h>

#include "conf.h"
#include "log.h"
#include "sftppath.h"
#include "util.h"

/* What a level of a path may be. */
enum level {
	L_WORD,		/* exactly the rule's word */
	L_DEST,		/* a configured printer or class: node's dest */
	L_PRINTER,	/* a configured printer: node's dest */
	L_JOB,		/* a job's number, 1 to SFTP_JOB_MAX: node's id */
	L_NAME,		/* any name: node's name (an upload's is checked
			 * by sftp_upload_name_ok() when it is written) */
	L_UPLOAD,	/* a name no printer or class has (theirs are
			 * folders): node's name */
	L_SHOWN,	/* a name a job's folder shows: not hidden, not a
			 * video still being rendered: node's name */
	L_MORE,		/* one level or more, whatever they are */
};

struct level_rule {
	enum level	 l;
	const char	*word;		/* L_WORD */
};

#define W(w)	{ L_WORD, (w) }
#define C(l)	{ (l), NULL }

static const struct rule {
	enum sftp_kind		 k;
	const char		*refuse;	/* matches, but refused: why */
	int			 n;		/* levels */
	struct level_rule	 lv[3];
} rules[] = {
	{ N_ROOT,	NULL, 0, { { 0, NULL } } },
	{ N_DROP,	NULL, 1, { W("drop") } },
	{ N_DROP,	NULL, 2, { W("drop"), C(L_DEST) } },
	{ N_DROPFILE,	NULL, 3, { W("drop"), C(L_DEST), C(L_NAME) } },
	{ N_DROPFILE,	NULL, 2, { W("drop"), C(L_UPLOAD) } },
	{ N_DROP, "drop/ holds a folder per printer or class only",
			      3, { W("drop"), C(L_UPLOAD), C(L_MORE) } },
	{ N_QTXT,	NULL, 1, { W("queue.txt") } },
	{ N_QJSON,	NULL, 1, { W("queue.json") } },
	{ N_PRINTERS,	NULL, 1, { W("printers") } },
	{ N_PRINTER,	NULL, 2, { W("printers"), C(L_PRINTER) } },
	{ N_STATUS,	NULL, 3, { W("printers"), C(L_PRINTER),
				   W("status.json") } },
	{ N_WEBCAM,	NULL, 3, { W("printers"), C(L_PRINTER),
				   W("webcam.jpg") } },
	{ N_JOBS,	NULL, 1, { W("jobs") } },
	{ N_JOB,	NULL, 2, { W("jobs"), C(L_JOB) } },
	{ N_JOBJSON,	NULL, 3, { W("jobs"), C(L_JOB), W("job.json") } },
	{ N_JOBPAUSED,	NULL, 3, { W("jobs"), C(L_JOB), W("paused") } },
	/* After job.json, which is not a file of the job's folder. */
	{ N_JOBFILE,	NULL, 3, { W("jobs"), C(L_JOB), C(L_SHOWN) } },
};

static int
dest_known(const struct conf *conf, const char *name)
{
	return conf_printer(conf, name) != NULL ||
	    conf_class(conf, name) != NULL;
}

static int
level_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SFTP_LEVEL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Does level s match what the rule says, and what does it give? */
static int
level_match(const struct conf *conf, const struct level_rule *r,
    const char *s, struct sftp_node *n)
{
	size_t len = strlen(s);
	long id;

	switch (r->l) {
	case L_WORD:
		return strcmp(s, r->word) == 0;
	case L_DEST:
	case L_PRINTER:
		if (r->l == L_DEST ? !dest_known(conf, s) :
		    conf_printer(conf, s) == NULL)
			return 0;
		snprintf(n->dest, sizeof(n->dest), "%s", s);
		return 1;
	case L_JOB:
		if (parse_long(s, 1, SFTP_JOB_MAX, &id) < 0)
			return 0;
		n->id = id;
		return 1;
	case L_UPLOAD:
		if (dest_known(conf, s))
			return 0;
		break;
	case L_SHOWN:
		if (s[0] == '.' || (len > 4 &&
		    strcmp(s + len - 4, ".tmp") == 0))
			return 0;
		break;
	case L_NAME:
		break;
	case L_MORE:
		return 1;
	}
	snprintf(n->name, sizeof(n->name), "%s", s);
	return 1;
}

/* Does the rule name the path's depth levels?  n is left as it says. */
static int
rule_match(const struct conf *conf, const struct rule *r,
    char lv[][SFTP_LEVEL_MAX + 1], int depth, struct sftp_node *n)
{
	int i;

	n->dest[0] = n->name[0] = '\0';
	n->id = 0;
	for (i = 0; i < r->n; i++) {
		if (r->lv[i].l == L_MORE)
			return depth > i;
		if (i >= depth || !level_match(conf, &r->lv[i], lv[i], n))
			return 0;
	}
	return depth == r->n;
}

/*
 * Cut a path into its levels: "." and empty levels dropped, ".." a
 * level back (never above "/") if dotdot, else refused.  The count of
 * levels, or -1 with *st and *why.
 */
static int
path_levels(const char *in, int dotdot, char lv[][SFTP_LEVEL_MAX + 1],
    uint32_t *st, const char **why)
{
	const char *p = in, *e;
	int depth = 0;
	size_t len;

	while (*p) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (!dotdot) {
				*why = "'..' is not allowed";
				*st = SSH_FX_PERMISSION_DENIED;
				return -1;
			}
			if (depth > 0)
				depth--;
			p += len;
			continue;
		}
		if (!level_ok(p, len)) {
			*why = "bad file name";
			*st = SSH_FX_FAILURE;
			return -1;
		}
		if (depth == SFTP_LEVELS_MAX) {
			*st = SSH_FX_NO_SUCH_FILE;
			return -1;
		}
		memcpy(lv[depth], p, len);
		lv[depth++][len] = '\0';
		p += len;
	}
	return depth;
}

uint32_t
sftp_path_parse(const struct conf *conf, const char *in, int dotdot,
    struct sftp_node *n, const char **why)
{
	char lv[SFTP_LEVELS_MAX][SFTP_LEVEL_MAX + 1];
	uint32_t st = SSH_FX_NO_SUCH_FILE;
	size_t i, len;
	int depth, d;

	memset(n, 0, sizeof(*n));
	*why = "no such file";
	if (in == NULL || strlen(in) > SFTP_PATH_MAX) {
		*why = "path too long";
		return SSH_FX_FAILURE;
	}
	if ((depth = path_levels(in, dotdot, lv, &st, why)) < 0)
		return st;
	/* Normalised, the path has at most one byte more than it had (a
	 * leading slash), which n->path holds. */
	len = 0;
	for (d = 0; d < depth; d++)
		len += 1 + strlen(lv[d]);
	if (len >= sizeof(n->path))
		panic("sftp_path_parse: '%.40s...' normalised is %zu bytes",
		    in, len);
	strcpy(n->path, "/");
	for (d = 0; d < depth; d++) {
		if (d > 0)
			strcat(n->path, "/");
		strcat(n->path, lv[d]);
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (!rule_match(conf, &rules[i], lv, depth, n))
			continue;
		if (rules[i].refuse != NULL) {
			*why = rules[i].refuse;
			break;
		}
		n->k = rules[i].k;
		return 0;
	}
	n->dest[0] = n->name[0] = '\0';
	n->id = 0;
	return SSH_FX_NO_SUCH_FILE;
}

int
sftp_kind_is_dir(enum sftp_kind k)
{
	return k == N_ROOT || k == N_DROP || k == N_PRINTERS ||
	    k == N_PRINTER || k == N_JOBS || k == N_JOB;
}

int
sftp_upload_name_ok(const char *name)
{
	return name[0] != '.' && strchr(name, '/') == NULL;
}
