/*
 * sftppath.h - the paths of gsftpd's virtual tree (gsftpd(8)), parsed
 * into what they name without the file system: the part of gsftpd
 * that reads what a client says, on its own so it can be tested alone.
 */
#ifndef GSPOOL_SFTPPATH_H
#define GSPOOL_SFTPPATH_H

#include <stdint.h>

#include "conf.h"

#define SFTP_PATH_MAX	1000		/* bytes of a path a client sends */
#define SFTP_LEVELS_MAX	8		/* levels of a path, once cut */
#define SFTP_LEVEL_MAX	255		/* bytes of one level */
#define SFTP_JOB_MAX	2000000000L	/* the largest job number */

enum sftp_kind {
	N_ROOT, N_DROP, N_DROPFILE, N_QTXT, N_QJSON, N_PRINTERS, N_PRINTER,
	N_STATUS, N_WEBCAM, N_JOBS, N_JOB, N_JOBJSON, N_JOBFILE,
	N_JOBPAUSED,	/* jobs/ID/paused: made to pause, removed to resume */
};

struct sftp_node {
	enum sftp_kind	 k;
	char		 dest[CONF_NAME_MAX + 1];	/* drop/DEST, printer */
	char		 name[256];			/* file name */
	long		 id;				/* job */
	char		 path[SFTP_PATH_MAX + 2];	/* normalised */
};

/*
 * Parse a client's path (absolute, or relative to "/") into the node it
 * names.  ".." is refused, except by REALPATH (dotdot set), which takes
 * it back a level and never above "/".  0, or an SFTP status (SSH_FX_*)
 * with why.
 */
uint32_t sftp_path_parse(const struct conf *, const char *in, int dotdot,
	    struct sftp_node *, const char **why);
/* A node that is a folder. */
int	sftp_kind_is_dir(enum sftp_kind);
/* A name an upload may have: not hidden, not a temporary of ours. */
int	sftp_upload_name_ok(const char *name);

#endif
