/*
 * sftppath.c - a client's path in gsftpd's tree, parsed into the node
 * it names (sftppath.h).
 *
 * Security: the path is any bytes an account sends.  It is bounded
 * (1000 bytes, 8 levels, 255 bytes a level), a level with a control
 * byte is refused, ".." only ever leads back towards "/", and nothing
 * here touches the file system: sftptree.c reaches the real files by
 * the names this gives, from directory descriptors.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#define WITH_SERVER
#include <libssh/sftp.h>

#include "conf.h"
#include "sftppath.h"
#include "util.h"

static int
dest_known(const struct conf *conf, const char *name)
{
	return conf_printer(conf, name) != NULL ||
	    conf_class(conf, name) != NULL;
}

static int
component_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

uint32_t
sftp_path_parse(const struct conf *conf, const char *in, int dotdot,
    struct sftp_node *n, const char **why)
{
	char comp[8][256];
	int depth = 0;
	const char *p = in, *e;
	size_t len, i;

	memset(n, 0, sizeof(*n));
	*why = "no such file";
	if (in == NULL || strlen(in) > 1000) {
		*why = "path too long";
		return SSH_FX_FAILURE;
	}
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
				return SSH_FX_PERMISSION_DENIED;
			}
			if (depth > 0)
				depth--;
			p += len;
			continue;
		}
		if (!component_ok(p, len)) {
			*why = "bad file name";
			return SSH_FX_FAILURE;
		}
		if (depth == 8)
			return SSH_FX_NO_SUCH_FILE;
		memcpy(comp[depth], p, len);
		comp[depth++][len] = '\0';
		p += len;
	}
	n->path[0] = '\0';
	for (i = 0; i < (size_t)depth; i++) {
		strcat(n->path, "/");
		strcat(n->path, comp[i]);
	}
	if (depth == 0) {
		strcpy(n->path, "/");
		n->k = N_ROOT;
		return 0;
	}
	if (strcmp(comp[0], "drop") == 0) {
		if (depth == 1) {
			n->k = N_DROP;
			return 0;
		}
		if (dest_known(conf, comp[1])) {
			snprintf(n->dest, sizeof(n->dest), "%.32s", comp[1]);
			if (depth == 2) {
				n->k = N_DROP;
				return 0;
			}
			if (depth > 3)
				return SSH_FX_NO_SUCH_FILE;
			snprintf(n->name, sizeof(n->name), "%s", comp[2]);
		} else {
			if (depth > 2) {
				*why = "drop/ holds a folder per printer or"
				    " class only";
				return SSH_FX_NO_SUCH_FILE;
			}
			snprintf(n->name, sizeof(n->name), "%s", comp[1]);
		}
		n->k = N_DROPFILE;
		return 0;
	}
	if (depth == 1 && strcmp(comp[0], "queue.txt") == 0) {
		n->k = N_QTXT;
		return 0;
	}
	if (depth == 1 && strcmp(comp[0], "queue.json") == 0) {
		n->k = N_QJSON;
		return 0;
	}
	if (strcmp(comp[0], "printers") == 0) {
		if (depth == 1) {
			n->k = N_PRINTERS;
			return 0;
		}
		if (conf_printer(conf, comp[1]) == NULL || depth > 3)
			return SSH_FX_NO_SUCH_FILE;
		snprintf(n->dest, sizeof(n->dest), "%.32s", comp[1]);
		if (depth == 2)
			n->k = N_PRINTER;
		else if (strcmp(comp[2], "status.json") == 0)
			n->k = N_STATUS;
		else if (strcmp(comp[2], "webcam.jpg") == 0)
			n->k = N_WEBCAM;
		else
			return SSH_FX_NO_SUCH_FILE;
		return 0;
	}
	if (strcmp(comp[0], "jobs") == 0) {
		if (depth == 1) {
			n->k = N_JOBS;
			return 0;
		}
		if (parse_long(comp[1], 1, 2000000000L, &n->id) < 0 ||
		    depth > 3)
			return SSH_FX_NO_SUCH_FILE;
		if (depth == 2)
			n->k = N_JOB;
		else if (strcmp(comp[2], "job.json") == 0)
			n->k = N_JOBJSON;
		else {
			size_t nl = strlen(comp[2]);

			/* As listed: no hidden file, no video still being
			 * rendered. */
			if (comp[2][0] == '.' || (nl > 4 &&
			    strcmp(comp[2] + nl - 4, ".tmp") == 0))
				return SSH_FX_NO_SUCH_FILE;
			snprintf(n->name, sizeof(n->name), "%s", comp[2]);
			n->k = N_JOBFILE;
		}
		return 0;
	}
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
