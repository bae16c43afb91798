/* Unit tests for lib/msg.c: encoding, descriptor passing, bad input. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "msg.h"

static int sv[2];

static int
setup(void **state)
{
	(void)state;
	return socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
}

static int
teardown(void **state)
{
	(void)state;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static void
test_roundtrip(void **state)
{
	struct msg m;

	(void)state;
	assert_int_equal(msg_send(sv[0], -1, "job", "a\tb", "line\nbreak",
	    "100%", "", (char *)NULL), 0);
	assert_int_equal(msg_recv(sv[1], &m), 1);
	assert_int_equal(m.nfields, 5);
	assert_string_equal(msg_field(&m, 0), "job");
	assert_string_equal(msg_field(&m, 1), "a\tb");
	assert_string_equal(msg_field(&m, 2), "line\nbreak");
	assert_string_equal(msg_field(&m, 3), "100%");
	assert_string_equal(msg_field(&m, 4), "");
	assert_string_equal(msg_field(&m, 9), "");
	assert_int_equal(m.fd, -1);
}

static void
test_fd_passing(void **state)
{
	struct msg m;
	char buf[8];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "hi", 2), 2);
	close(p[1]);
	assert_int_equal(msg_send(sv[0], p[0], "submit", "mk3", (char *)NULL), 0);
	close(p[0]);
	assert_int_equal(msg_recv(sv[1], &m), 1);
	assert_true(m.fd >= 0);
	assert_true(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(read(m.fd, buf, sizeof(buf)), 2);
	close(m.fd);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"ok\tbad%", "ok\tbad%4", "ok\t%zz", "ok\t%00nul", "raw\nline",
	};
	struct msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(send(sv[0], bad[i], strlen(bad[i]), 0),
		    (ssize_t)strlen(bad[i]));
		assert_int_equal(msg_recv(sv[1], &m), -1);
		assert_int_equal(errno, EBADMSG);
	}
}

static void
test_too_big(void **state)
{
	char big[MSG_MAX + 10];

	(void)state;
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(msg_send(sv[0], -1, "x", big, (char *)NULL), -1);
	assert_int_equal(errno, EMSGSIZE);
}

static void
test_eof(void **state)
{
	struct msg m;

	(void)state;
	close(sv[0]);
	assert_int_equal(msg_recv(sv[1], &m), 0);
	sv[0] = open("/dev/null", O_RDONLY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
