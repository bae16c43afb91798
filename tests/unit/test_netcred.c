/*
 * test_netcred.c - a network backend's credential file
 * (backends/http.c, net_cred_read): a key, or USER:PASSWORD where the
 * driver allows HTTP authentication; refused, saying why, when others
 * can read it, when it is a link or not a file, when its first line is
 * no key or too long; and the session header.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "net.h"

static char dir[] = "/tmp/test_netcred.XXXXXX";

/* A file under dir holding text, with mode; its path. */
static const char *
cred_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_key(void **state)
{
	struct net_host h;
	char why[512];

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(net_cred_read(cred_file("k", "abc-DEF_1.2\nrest\n",
	    0600), &h, why, sizeof(why)), 0);
	assert_string_equal(h.key, "abc-DEF_1.2");
	assert_string_equal(h.user, "");
	/* CRLF ends the line too. */
	assert_int_equal(net_cred_read(cred_file("k", "xyz\r\n", 0400), &h,
	    why, sizeof(why)), 0);
	assert_string_equal(h.key, "xyz");
}

static void
test_readable_by_others(void **state)
{
	struct net_host h;
	char why[512];
	const char *p;

	(void)state;
	memset(&h, 0, sizeof(h));
	p = cred_file("g", "abc\n", 0640);
	assert_int_equal(net_cred_read(p, &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, p));
	assert_non_null(strstr(why, "that no one else can read"));
	assert_int_equal(net_cred_read(cred_file("o", "abc\n", 0604), &h,
	    why, sizeof(why)), -1);
	assert_string_equal(h.key, "");
}

static void
test_not_a_file(void **state)
{
	struct net_host h;
	char why[512], link[300], target[300];

	(void)state;
	memset(&h, 0, sizeof(h));
	snprintf(target, sizeof(target), "%s", cred_file("t", "abc\n",
	    0600));
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(net_cred_read(link, &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, link));
	assert_int_equal(net_cred_read(dir, &h, why, sizeof(why)), -1);
	snprintf(link, sizeof(link), "%s/none", dir);
	assert_int_equal(net_cred_read(link, &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "No such file"));
}

static void
test_bad_key(void **state)
{
	struct net_host h;
	char why[512], *big;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(net_cred_read(cred_file("e", "\n", 0600), &h, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "is not a key"));
	assert_int_equal(net_cred_read(cred_file("s", "a key\n", 0600), &h,
	    why, sizeof(why)), -1);
	/* Without HTTP authentication, USER:PASSWORD is no key. */
	assert_int_equal(net_cred_read(cred_file("u", "me:secret\n", 0600),
	    &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not a key"));
	big = malloc(3 * NET_SECRET_MAX);
	assert_non_null(big);
	memset(big, 'a', 3 * NET_SECRET_MAX - 1);
	big[3 * NET_SECRET_MAX - 1] = '\0';
	assert_int_equal(net_cred_read(cred_file("b", big, 0600), &h, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than"));
	big[NET_SECRET_MAX] = '\0';	/* one too long for a key */
	assert_int_equal(net_cred_read(cred_file("b", big, 0600), &h, why,
	    sizeof(why)), -1);
	free(big);
	assert_string_equal(h.key, "");
}

static void
test_user_password(void **state)
{
	struct net_host h;
	char why[512];

	(void)state;
	memset(&h, 0, sizeof(h));
	h.auth = NET_AUTH_DIGEST;
	assert_int_equal(net_cred_read(cred_file("u", "maker:pa ss:w0rd\n",
	    0600), &h, why, sizeof(why)), 0);
	assert_string_equal(h.user, "maker");
	assert_string_equal(h.password, "pa ss:w0rd");
	assert_string_equal(h.key, "");
	/* A key is still a key. */
	assert_int_equal(net_cred_read(cred_file("k", "abc\n", 0600), &h,
	    why, sizeof(why)), 0);
	assert_string_equal(h.key, "abc");
	assert_string_equal(h.user, "");
	assert_int_equal(net_cred_read(cred_file("u", ":pw\n", 0600), &h,
	    why, sizeof(why)), -1);
	assert_non_null(strstr(why, "USER:PASSWORD"));
	assert_int_equal(net_cred_read(cred_file("u", "me:\n", 0600), &h,
	    why, sizeof(why)), -1);
	assert_int_equal(net_cred_read(cred_file("u", "me:p\tw\n", 0600), &h,
	    why, sizeof(why)), -1);
}

static void
test_session(void **state)
{
	struct net_host h;

	(void)state;
	memset(&h, 0, sizeof(h));
	net_session_set(&h, "X-Session-Key", "12345");
	assert_string_equal(h.session, "X-Session-Key: 12345");
	/* A host's value cannot smuggle a header in. */
	net_session_set(&h, "X-Session-Key", "1\r\nX-Evil: 1");
	assert_null(strchr(h.session, '\r'));
	assert_null(strchr(h.session, '\n'));
	net_session_set(&h, NULL, NULL);
	assert_string_equal(h.session, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_readable_by_others),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_user_password),
		cmocka_unit_test(test_session),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
