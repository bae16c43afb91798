/*
 * analyse_fd.c - the analysis of a whole file read from a descriptor,
 * in pieces, plain or gzip-compressed: what gprint --check makes of a
 * file, and what a job's spool file meets again when it is handed to a
 * printer.  The analyser itself (analyse.c) takes bytes and does no I/O;
 * this is its one reader.
 *
 * Memory stays flat: one buffer of ANALYSE_FD_BUFSZ bytes.
 *
 * Security: the descriptor may be a file a user dropped: it is read
 * once, from start to end, and never seeked or mapped, so a file that
 * changes while it is read is still checked as the bytes read.
 *
 * Diagnostics: a read error or a damaged gzip stream is a refusal
 * (-2) with zread's or the system's reason; an empty file, or one
 * without a command, is refused as such.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "util.h"
#include "zread.h"

#define ANALYSE_FD_BUFSZ	65536

int
analyse_fd(struct analysis *a, int fd)
{
	struct zread *zr = zread_new(fd);
	char *buf = xmalloc(ANALYSE_FD_BUFSZ);
	ssize_t n;
	int r = 0;

	while ((n = zread_read(zr, buf, ANALYSE_FD_BUFSZ)) > 0)
		if (analyse_bytes(a, buf, (size_t)n) < 0) {
			r = -1;
			break;
		}
	if (n < 0) {
		snprintf(a->error, sizeof(a->error), "%s", errno == EIO &&
		    zread_error(zr)[0] ? zread_error(zr) : strerror(errno));
		a->error_line = 0;
		r = -2;
	} else if (r == 0)
		r = analyse_end(a);
	if (r == 0 && a->lx.ncmds == 0) {
		snprintf(a->error, sizeof(a->error), a->lx.bytes == 0 ?
		    "empty file" : "no G-code commands in the file");
		a->error_line = 0;
		r = -1;
	}
	zread_free(zr);
	free(buf);
	return r;
}
