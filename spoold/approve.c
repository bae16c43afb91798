/*
 * approve.c - staff approval: which jobs wait for it, and who may give
 * it.
 *
 * A makerspace lets its users queue jobs that a member of staff looks
 * at before they print.  gspool.conf(5) says where: approval = yes on a
 * [printer] or a [class] (a class's job needs it if the class or any
 * member does), over which a [group NAME] of the owner's Unix groups
 * says yes or no, and over that the owner's own [user NAME] (or
 * [account NAME] for an SFTP account's job).  The section that decides
 * names the group that may approve (approve_group), else the
 * destination's, else [spool]'s; the administrators always may.  Jobs
 * of the administrators and of the approvers themselves need none.
 *
 * The job is checked at once, as every job is; only one that passes is
 * queued held for approval (queue.c), and only gpc approve releases it
 * (control.c).  What is decided here is kept in the job's row, so a
 * reload that changes the rules later changes no job already queued.
 *
 * Security: the owner is who spoold knows it to be (SO_PEERCRED, or the
 * account gsftpd speaks for); group membership is the system's
 * (getgrouplist(3)), read when asked, never cached.  An SFTP account is
 * in no Unix group.  Diagnostics: none; the caller logs.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "spoold.h"
#include "util.h"

#define GROUPS_MAX	256

int
approve_in_group(uid_t uid, gid_t gid, const char *group)
{
	gid_t groups[GROUPS_MAX];
	struct passwd *pw;
	struct group *gr;
	int n = GROUPS_MAX, i;

	if (group == NULL || group[0] == '\0' || uid == VIRTUAL_UID ||
	    (gr = getgrnam(group)) == NULL)
		return 0;
	if (gid != (gid_t)-1 && gid == gr->gr_gid)
		return 1;
	if ((pw = getpwuid(uid)) == NULL)
		return 0;
	if (pw->pw_gid == gr->gr_gid)
		return 1;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid)
			return 1;
	return 0;
}

/* Root, spoold's own user, or a member of admin_group. */
int
approve_is_admin(struct spoold *sd, uid_t uid)
{
	if (uid == VIRTUAL_UID)
		return 0;
	return uid == 0 || uid == getuid() || approve_in_group(uid,
	    (gid_t)-1, sd->conf.admin_group);
}

/* What the destination says: its approval (a class: its own, or any
 * member's), and its approve_group. */
static int
dest_needs(struct spoold *sd, const char *dest, const char **group)
{
	struct conf_printer *p;
	struct conf_class *k;
	size_t i;

	*group = NULL;
	if ((p = conf_printer(&sd->conf, dest)) != NULL) {
		*group = p->approval.group;
		return p->approval.need == 1;
	}
	if ((k = conf_class(&sd->conf, dest)) == NULL)
		return 0;
	*group = k->approval.group;
	if (k->approval.need == 1)
		return 1;
	for (i = 0; i < k->nmembers; i++)
		if ((p = conf_printer(&sd->conf, k->members[i])) != NULL &&
		    p->approval.need == 1) {
			if (*group == NULL)
				*group = p->approval.group;
			return 1;
		}
	return 0;
}

int
approve_needed(struct spoold *sd, const char *dest, const char *owner,
    uid_t uid, char *approvers, size_t approverssz)
{
	const struct conf_approval *own = NULL;
	const char *group = NULL, *dgroup;
	struct conf_account *a;
	struct conf_user *u;
	int need, dneed;
	size_t i;

	approvers[0] = '\0';
	if (approve_is_admin(sd, uid))
		return 0;
	dneed = dest_needs(sd, dest, &dgroup);
	if (uid == VIRTUAL_UID) {
		if ((a = conf_account(&sd->conf, owner)) != NULL)
			own = &a->approval;
	} else if ((u = conf_user(&sd->conf, owner)) != NULL)
		own = &u->approval;
	if (own != NULL && own->need >= 0) {
		need = own->need;
		group = own->group;
	} else {
		/* The owner's groups: one that says yes decides, else one
		 * that says no, else the destination. */
		need = -1;
		for (i = 0; i < sd->conf.ngroups && need != 1; i++) {
			struct conf_group *g = &sd->conf.groups[i];

			if (g->approval.need < 0 || !approve_in_group(uid,
			    (gid_t)-1, g->name))
				continue;
			need = g->approval.need;
			group = g->approval.group;
		}
		if (need < 0) {
			need = dneed;
			group = dgroup;
		}
	}
	if (!need)
		return 0;
	if (group == NULL)
		group = dgroup != NULL ? dgroup : sd->conf.approve_group;
	if (group == NULL)
		group = "";
	/* An approver's own job: it would approve it. */
	if (group[0] != '\0' && approve_in_group(uid, (gid_t)-1, group))
		return 0;
	snprintf(approvers, approverssz, "%s", group);
	return 1;
}

char *
approve_json(const struct job_row *j)
{
	json_t *o;
	char *s;

	if (j->approval[0] == '\0')
		return xstrdup("");
	o = json_object();
	json_object_set_new(o, "state", json_string(j->approval));
	json_object_set_new(o, "approvers", json_string(j->approvers));
	json_object_set_new(o, "by", json_string(j->approval_by));
	json_object_set_new(o, "at", json_integer(j->approval_at));
	json_object_set_new(o, "note", json_string(j->approval_note));
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("out of memory");
	json_decref(o);
	return s;
}
