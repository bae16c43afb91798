/*
 * confkeys - print the keys of gspool.conf's tables, one "SECTION KEY"
 * a line, for conf-keys.sh to hold against gspool.conf(5).
 */
#include "config.h"

#include <stdio.h>

#include "conf.h"

static void
print_key(const char *section, const char *key, void *arg)
{
	(void)arg;
	printf("%s %s\n", section, key);
}

int
main(void)
{
	conf_keys(print_key, NULL);
	return fflush(stdout) == 0 ? 0 : 1;
}
