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

/* msg_decode(): what msg_recv() does with the bytes, without a socket. */
static void
test_decode(void **state)
{
	static struct msg m;
	static char big[MSG_MAX + 2];
	char many[80];
	int i;

	(void)state;
	assert_int_equal(msg_decode(&m, "hold\t7\t%2B1h%09x", 16), 0);
	assert_int_equal(m.nfields, 3);
	assert_string_equal(m.field[1], "7");
	assert_string_equal(m.field[2], "+1h\tx");
	assert_int_equal(msg_decode(&m, "", 0), 0);
	assert_int_equal(m.nfields, 1);
	assert_string_equal(msg_field(&m, 0), "");
	/* Bad escapes, a control byte, a NUL, too many fields, too long. */
	assert_int_equal(msg_decode(&m, "a%0", 3), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(m.nfields, 0);
	assert_int_equal(msg_decode(&m, "a%00", 4), -1);
	assert_int_equal(msg_decode(&m, "a%g1", 4), -1);
	assert_int_equal(msg_decode(&m, "a\nb", 3), -1);
	assert_int_equal(msg_decode(&m, "a\0b", 3), -1);
	for (i = 0; i < MSG_MAXFIELDS; i++)
		many[i] = '\t';
	assert_int_equal(msg_decode(&m, many, MSG_MAXFIELDS - 1), 0);
	assert_int_equal(m.nfields, MSG_MAXFIELDS);
	assert_int_equal(msg_decode(&m, many, MSG_MAXFIELDS), -1);
	memset(big, 'x', sizeof(big));
	assert_int_equal(msg_decode(&m, big, MSG_MAX), 0);
	assert_int_equal(strlen(m.field[0]), MSG_MAX);
	assert_int_equal(msg_decode(&m, big, MSG_MAX + 1), -1);
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
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
