/* Unit tests for lib/proto.c and lib/jobstate.c: every name of every
 * protocol round-trips, an unknown or short message is refused with its
 * reason, a hello's version is checked, and the job states. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jobstate.h"
#include "msg.h"
#include "proto.h"

static const int nmsgs[PROTO_NSETS] = {
	[PROTO_REQUEST] = REQ_N,
	[PROTO_REPLY] = REPLY_N,
	[PROTO_TO_BACKEND] = TB_N,
	[PROTO_FROM_BACKEND] = FB_N,
};

/* A message from its fields, as msg_decode() leaves it. */
static void
make(struct msg *m, int n, const char *const *f)
{
	char raw[MSG_MAX], *p = raw;
	int i;

	for (i = 0; i < n; i++) {
		int k = msg_encode_field(p, sizeof(raw) - (size_t)(p - raw) - 1,
		    f[i]);

		assert_true(k >= 0);
		p += k;
		if (i + 1 < n)
			*p++ = '\t';
	}
	assert_int_equal(msg_decode(m, raw, (size_t)(p - raw)), 0);
	m->fd = -1;
}

#define MAKE(m, ...) do {						\
	const char *f_[] = { __VA_ARGS__ };				\
	make((m), (int)(sizeof(f_) / sizeof(f_[0])), f_);		\
} while (0)

static void
test_names_roundtrip(void **state)
{
	int s, i, j;

	(void)state;
	for (s = 0; s < PROTO_NSETS; s++) {
		for (i = 0; i < nmsgs[s]; i++) {
			const char *name = proto_name((enum proto_set)s, i);

			assert_non_null(name);
			assert_non_null(proto_usage((enum proto_set)s, i));
			assert_int_equal(proto_lookup((enum proto_set)s, name),
			    i);
			assert_true(proto_min((enum proto_set)s, i) <=
			    proto_max((enum proto_set)s, i));
			for (j = 0; j < i; j++)
				assert_string_not_equal(name, proto_name(
				    (enum proto_set)s, j));
		}
		assert_null(proto_name((enum proto_set)s, nmsgs[s]));
		assert_null(proto_name((enum proto_set)s, -1));
		assert_int_equal(proto_lookup((enum proto_set)s, "frobnicate"),
		    -1);
	}
	for (i = 0; i < FEV_N; i++)
		assert_non_null(proto_filter_name((enum filter_ev)i));
	assert_null(proto_filter_name(FEV_N));
}

/* Each message with its least and its most arguments is taken; one
 * fewer or one more is refused. */
static void
test_arity_each(void **state)
{
	const char *f[MSG_MAXFIELDS];
	char why[256];
	struct msg m;
	int s, i, n;

	(void)state;
	for (s = 0; s < PROTO_NSETS; s++)
		for (i = 0; i < nmsgs[s]; i++) {
			int min = proto_min((enum proto_set)s, i);
			int max = proto_max((enum proto_set)s, i);

			f[0] = proto_name((enum proto_set)s, i);
			for (n = 1; n < MSG_MAXFIELDS; n++)
				f[n] = "1";
			make(&m, min + 1, f);
			assert_int_equal(proto_parse((enum proto_set)s, &m,
			    why, sizeof(why)), i);
			make(&m, max + 1, f);
			assert_int_equal(proto_parse((enum proto_set)s, &m,
			    why, sizeof(why)), i);
			if (min > 0) {
				make(&m, min, f);
				assert_int_equal(proto_parse((enum proto_set)s,
				    &m, why, sizeof(why)), -1);
				assert_non_null(strstr(why, "is missing"));
			}
			if (max + 1 < MSG_MAXFIELDS) {
				make(&m, max + 2, f);
				assert_int_equal(proto_parse((enum proto_set)s,
				    &m, why, sizeof(why)), -1);
			}
		}
}

static void
test_refusals(void **state)
{
	char why[256];
	struct msg m;

	(void)state;
	MAKE(&m, "frobnicate", "1");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);
	assert_string_equal(why, "unknown request 'frobnicate'");
	assert_int_equal(proto_parse(PROTO_FROM_BACKEND, &m, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "unknown message from a backend 'frobnicate'");

	MAKE(&m, "cancel");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);
	assert_string_equal(why, "cancel: ID is missing (cancel ID)");

	MAKE(&m, "move", "7");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);
	assert_string_equal(why, "move: DEST is missing (move ID DEST)");

	MAKE(&m, "submit", "mk3");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);
	assert_string_equal(why, "submit: TITLE is missing (submit DEST TITLE"
	    " [PRIORITY COPIES HOLD UNTIL])");

	MAKE(&m, "hold", "7", "0", "x");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);
	assert_string_equal(why, "hold: 3 arguments, at most 2 (hold ID"
	    " [UNTIL])");

	MAKE(&m, "usage", "x");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);
	assert_string_equal(why, "usage: 1 argument, it takes none");

	MAKE(&m, "progress", "7", "100", "3");
	assert_int_equal(proto_parse(PROTO_FROM_BACKEND, &m, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "progress: BYTES is missing (progress ID LINES"
	    " LAYER BYTES [Z])");

	/* A newer backend's extra arguments are read past. */
	MAKE(&m, "end", "7", "completed", "", "later");
	assert_int_equal(proto_parse(PROTO_FROM_BACKEND, &m, why, sizeof(why)),
	    FB_END);
	assert_string_equal(m.field[FB_END_STATE], "completed");

	MAKE(&m, "queue");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)),
	    REQ_QUEUE);
	MAKE(&m, "queue", "mk3", "history");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)),
	    REQ_QUEUE);
	MAKE(&m, "queue", "", "", "everyone");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)),
	    REQ_QUEUE);
	assert_string_equal(m.field[REQ_QUEUE_EVERYONE], "everyone");

	/* A refused file by its name, and another user's by an admin. */
	MAKE(&m, "remove-rejected", "cube.gcode");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)),
	    REQ_REMOVE_REJECTED);
	assert_string_equal(m.field[REQ_REMOVE_REJECTED_FILE], "cube.gcode");
	MAKE(&m, "remove-rejected", "cube.gcode", "alice");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)),
	    REQ_REMOVE_REJECTED);
	assert_string_equal(m.field[REQ_REMOVE_REJECTED_OWNER], "alice");
	MAKE(&m, "remove-rejected");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);
	assert_string_equal(why, "remove-rejected: FILE is missing"
	    " (remove-rejected FILE [OWNER])");
	MAKE(&m, "remove-rejected", "a", "b", "c");
	assert_int_equal(proto_parse(PROTO_REQUEST, &m, why, sizeof(why)), -1);

	/* A refused file's row, an older spoold's too. */
	MAKE(&m, "rejected", "cube.gcode", "10", "1700000000", "why", "1",
	    "alice", "cube.gcode.1");
	assert_int_equal(proto_parse(PROTO_REPLY, &m, why, sizeof(why)),
	    REPLY_REJECTED);
	assert_string_equal(m.field[ROW_REJECTED_FILE], "cube.gcode.1");
	assert_string_equal(m.field[ROW_REJECTED_OWNER], "alice");
	MAKE(&m, "rejected", "cube.gcode", "10", "1700000000", "why", "1");
	assert_int_equal(proto_parse(PROTO_REPLY, &m, why, sizeof(why)),
	    REPLY_REJECTED);

	/* Version 4: a filter's pipes, kept by the backend. */
	MAKE(&m, "filter", "7", "timelapse", "4321", "in");
	assert_int_equal(proto_parse(PROTO_TO_BACKEND, &m, why, sizeof(why)),
	    TB_FILTER);
	assert_string_equal(m.field[TB_FILTER_NAME], "timelapse");
	assert_string_equal(m.field[TB_FILTER_PID], "4321");
	assert_string_equal(m.field[TB_FILTER_WHICH], "in");
	MAKE(&m, "filter", "7", "timelapse", "4321");
	assert_int_equal(proto_parse(PROTO_TO_BACKEND, &m, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "filter: WHICH is missing (filter ID NAME PID"
	    " WHICH)");
	MAKE(&m, "filter", "7", "timelapse", "4321", "err");
	assert_int_equal(proto_parse(PROTO_FROM_BACKEND, &m, why, sizeof(why)),
	    FB_FILTER);
	assert_string_equal(m.field[FB_FILTER_WHICH], "err");
	MAKE(&m, "kept", "7", "timelapse", "4321");
	assert_int_equal(proto_parse(PROTO_FROM_BACKEND, &m, why, sizeof(why)),
	    FB_KEPT);
	assert_string_equal(m.field[FB_FILTER_NAME], "timelapse");
	assert_string_equal(m.field[FB_FILTER_PID], "4321");
	MAKE(&m, "kept", "7", "timelapse");
	assert_int_equal(proto_parse(PROTO_FROM_BACKEND, &m, why, sizeof(why)),
	    -1);
}

static void
test_hello(void **state)
{
	struct proto_hello h;
	char why[256];
	struct msg m;

	(void)state;
	/* What backends sent before versions: version 1, followed. */
	MAKE(&m, "hello", "4242", "7", "100", "3", "5000", "printing");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), 0);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.pid, 4242);
	assert_int_equal(h.job, 7);
	assert_int_equal(h.lines, 100);
	assert_int_equal(h.layer, 3);
	assert_int_equal(h.bytes, 5000);
	assert_string_equal(h.activity, "printing");

	MAKE(&m, "hello", "4242", "0", "0", "0", "0", "printing", "2");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), 0);
	assert_int_equal(h.version, 2);

	/* Version 3, before filters' pipes were kept: still followed. */
	MAKE(&m, "hello", "4242", "7", "0", "0", "0", "printing", "3");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), 0);
	assert_int_equal(h.version, 3);

	MAKE(&m, "hello", "4242", "0", "0", "0", "0", "printing", "99");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), -1);
	assert_string_equal(why, "the backend speaks protocol version 99, newer"
	    " than this one's (1 to 8)");

	MAKE(&m, "hello", "4242", "0", "0", "0", "0", "printing", "0");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), -1);
	assert_string_equal(why, "the backend speaks protocol version 0, older"
	    " than this one understands (1 to 8)");

	MAKE(&m, "hello", "4242", "0", "0", "0", "0", "printing", "two");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), -1);
	assert_string_equal(why, "hello: VERSION 'two' is not a number from 0"
	    " to 2147483647");

	MAKE(&m, "hello", "4242", "x", "0", "0", "0", "printing");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "hello: JOB 'x' is not a number"));

	MAKE(&m, "hello", "4242", "0", "0");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), -1);
	assert_string_equal(why, "hello: LAYER is missing (hello PID JOB LINES"
	    " LAYER BYTES ACTIVITY [VERSION])");

	MAKE(&m, "status", "ready", "Marlin");
	assert_int_equal(proto_hello_check(&m, &h, why, sizeof(why)), -1);
	assert_string_equal(why, "its first message was 'status', not hello");

	/* A client's. */
	MAKE(&m, "hello", "2");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 2);
	MAKE(&m, "hello", "1");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 1);
	MAKE(&m, "hello", "3");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 3);
	MAKE(&m, "hello", "4");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 4);
	MAKE(&m, "hello", "5");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 5);
	MAKE(&m, "hello", "6");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 6);
	MAKE(&m, "hello", "7");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 7);
	MAKE(&m, "hello", "8");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), 8);
	MAKE(&m, "hello", "9");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), -1);
	assert_string_equal(why, "the client speaks protocol version 9, newer"
	    " than this one's (1 to 8)");
	MAKE(&m, "hello");
	assert_int_equal(proto_client_hello(&m, why, sizeof(why)), -1);
	assert_string_equal(why, "hello: VERSION is missing (hello VERSION)");
}

static void
test_filter_line(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(proto_filter_line(buf, sizeof(buf), FEV_END,
	    "completed"), 13);
	assert_string_equal(buf, "end completed");
	assert_int_equal(proto_filter_line(buf, sizeof(buf), FEV_START, NULL),
	    5);
	assert_string_equal(buf, "start");
	assert_int_equal(proto_filter_line(buf, sizeof(buf), FEV_PAUSED, ""),
	    6);
	assert_string_equal(buf, "paused");
	assert_int_equal(proto_filter_line(buf, 8, FEV_PROGRESS, "100"), -1);
	assert_int_equal(proto_filter_line(buf, sizeof(buf), FEV_N, NULL), -1);
}

static void
test_job_states(void **state)
{
	static const struct {
		const char	*word;
		int		 final, at_rest, waiting;
	} want[JOB_NSTATES] = {
		[JOB_PENDING] =		{ "pending", 0, 0, 1 },
		[JOB_HELD] =		{ "held", 0, 0, 1 },
		[JOB_PROCESSING] =	{ "processing", 0, 0, 0 },
		[JOB_STOPPED] =		{ "stopped", 0, 1, 0 },
		[JOB_COMPLETED] =	{ "completed", 1, 1, 0 },
		[JOB_CANCELED] =	{ "canceled", 1, 1, 0 },
		[JOB_ABORTED] =		{ "aborted", 1, 1, 0 },
	};
	enum job_state st;
	int i;

	(void)state;
	for (i = 0; i < JOB_NSTATES; i++) {
		assert_string_equal(job_state_name((enum job_state)i),
		    want[i].word);
		assert_int_equal(job_state_parse(want[i].word, &st), 0);
		assert_int_equal(st, i);
		assert_int_equal(job_state_is_final(st), want[i].final);
		assert_int_equal(job_state_is_at_rest(st), want[i].at_rest);
		assert_int_equal(job_state_is_waiting(st), want[i].waiting);
		assert_int_equal(job_state_word_final(want[i].word),
		    want[i].final);
		assert_int_equal(job_state_word_at_rest(want[i].word),
		    want[i].at_rest);
	}
	assert_int_equal(job_state_parse("cancelled", &st), -1);
	assert_int_equal(job_state_parse("", &st), -1);
	assert_int_equal(job_state_parse("Completed", &st), -1);
	assert_int_equal(job_state_word_final("ended"), 0);
	assert_int_equal(job_state_word_at_rest("unknown"), 0);
	assert_string_equal(job_state_name(JOB_NSTATES), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_roundtrip),
		cmocka_unit_test(test_arity_each),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_filter_line),
		cmocka_unit_test(test_job_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
