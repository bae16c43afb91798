/*
 * priv.h - a daemon's user: looking one up, and becoming it for good
 * (spoold(8) and gsftpd(8) started as root).
 */
#ifndef GSPOOL_PRIV_H
#define GSPOOL_PRIV_H

#include <sys/types.h>

/* NAME's user and primary group; -1 (with why) if there is no such
 * user. */
int	priv_lookup(const char *name, uid_t *, gid_t *, char *why,
	    size_t whysz);

/*
 * Become NAME: its groups (initgroups), then its group, then its user,
 * each checked, and then checked again that root cannot be had back.
 * Only as root; -1 with why on any failure (the caller must stop).
 */
int	priv_drop(const char *name, char *why, size_t whysz);

#endif
