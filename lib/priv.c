/*
 * priv.c - dropping root for a daemon's own user, the way OpenSSH and
 * Postfix do: supplementary groups first, the group, the user, and a
 * check that none of it can be undone.
 *
 * Diagnostics: nothing is logged here; a failure is -1 with the step
 * that failed in the caller's buffer ("setresuid 118: Operation
 * not permitted", "user _gspool: no such user"), which the daemon reports
 * and dies of: a daemon that cannot drop root never runs as root.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

int
priv_lookup(const char *name, uid_t *uid, gid_t *gid, char *why,
    size_t whysz)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(why, whysz, "user %s: %s", name, errno ?
		    strerror(errno) : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
priv_drop(const char *name, char *why, size_t whysz)
{
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;

	if (priv_lookup(name, &uid, &gid, why, whysz) < 0)
		return -1;
	if (uid == 0) {
		snprintf(why, whysz, "user %s is root: it would keep every"
		    " privilege", name);
		return -1;
	}
	if (initgroups(name, gid) < 0) {
		snprintf(why, whysz, "initgroups %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) < 0) {
		snprintf(why, whysz, "setresgid %ld: %s", (long)gid,
		    strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) < 0) {
		snprintf(why, whysz, "setresuid %ld: %s", (long)uid,
		    strerror(errno));
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0 || ruid != uid ||
	    euid != uid || suid != uid || rgid != gid || egid != gid ||
	    sgid != gid) {
		snprintf(why, whysz, "still not user %s after setresuid",
		    name);
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || (gid != 0 && setgid(0) == 0)) {
		snprintf(why, whysz, "user %s could become root again", name);
		return -1;
	}
	return 0;
}
