/*
 * fuzz_msg - libFuzzer target: arbitrary bytes as one message on the
 * control socket (lib/msg.c), and its fields read as spoold reads a
 * request's fields (util.c's parse_long, name_is_safe, parse_hold and
 * clean_text).
 *
 * Invariants, besides no crash, leak or undefined behaviour:
 * - msg_decode() accepts exactly the messages a plain reading of the
 *   format accepts (TAB between fields, %XX for the rest, at most
 *   MSG_MAXFIELDS fields), and msg_recv() on a socket agrees with it;
 * - encoding the decoded fields gives a message that decodes to the same
 *   fields, and encodes again to the same bytes;
 * - a number parse_long() takes is in its bounds and is what the field
 *   says; a name name_is_safe() takes is one path component, not hidden;
 * - parse_hold()'s "+N" is N seconds, minutes, hours or days from now,
 *   "HH:MM" is after now; clean_text() leaves no control byte and only
 *   UTF-8, and changes nothing it has cleaned;
 * - proto_parse() takes a message, in each protocol, exactly when its
 *   name is that protocol's and its arguments are as many as the table
 *   says, and says why otherwise; a hello proto_hello_check() takes is
 *   of a version understood, from a process id above 0.
 * `make fuzz' builds and runs it; `make check' runs the seeds.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "msg.h"
#include "proto.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant: %s (line" \
	" %d)\n", #c, __LINE__); abort(); } } while (0)

#define NOW	1767225600LL		/* 2026-01-01 00:00 UTC */

static int sp[2] = { -1, -1 };

static int
ishex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* The format as gspool(7) tells it, read the plain way. */
static int
reference_ok(const uint8_t *d, size_t n)
{
	size_t i, tabs = 0;

	if (n > MSG_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '\t')
			tabs++;
		else if (d[i] == '%') {
			if (i + 2 >= n || !ishex(d[i + 1]) || !ishex(d[i + 2]) ||
			    (d[i + 1] == '0' && d[i + 2] == '0'))
				return 0;
			i += 2;
		} else if (d[i] < 0x20 || d[i] == 0x7f)
			return 0;
	}
	return tabs < MSG_MAXFIELDS;
}

/* The fields encoded and joined as msg_sendv() does; its length. */
static size_t
encode(const struct msg *m, char *out, size_t outsz)
{
	size_t len = 0;
	int i, k;

	for (i = 0; i < m->nfields; i++) {
		if (i > 0) {
			CHECK(len + 1 <= outsz);
			out[len++] = '\t';
		}
		k = msg_encode_field(out + len, outsz - len, m->field[i]);
		CHECK(k >= 0);
		len += (size_t)k;
	}
	return len;
}

static void
check_long(const char *s, long min, long max)
{
	char back[32];
	const char *p = s;
	long v = 0;
	int neg = 0;

	errno = 0;
	if (parse_long(s, min, max, &v) < 0) {
		CHECK(errno == EINVAL || errno == ERANGE);
		return;
	}
	CHECK(v >= min && v <= max);
	/* What the field says: a sign, digits, leading zeros aside. */
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	CHECK(*p >= '0' && *p <= '9');
	while (*p == '0' && p[1] != '\0')
		p++;
	CHECK(!neg || v <= 0);
	snprintf(back, sizeof(back), "%s%s", neg && v != 0 ? "-" : "", p);
	{
		char num[32];

		snprintf(num, sizeof(num), "%ld", v);
		CHECK(strcmp(back, num) == 0);
	}
}

static void
check_name(const char *s, size_t maxlen)
{
	if (!name_is_safe(s, maxlen))
		return;
	CHECK(strlen(s) >= 1 && strlen(s) <= maxlen);
	CHECK(strchr(s, '/') == NULL && s[0] != '.' && s[0] != '-');
	CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == strlen(s));
}

static void
check_hold(const char *s)
{
	long long t = parse_hold(s, (time_t)NOW);
	size_t n = strlen(s);
	long v;

	if (strcmp(s, "indefinite") == 0) {
		CHECK(t == 0);
		return;
	}
	if (s[0] == '+' && t != -1) {
		char num[32], unit = s[n - 1];
		long long mul = 1;

		CHECK(n >= 2 && n - 1 < sizeof(num));
		memcpy(num, s + 1, n - 1);
		num[n - 1] = '\0';
		if (unit < '0' || unit > '9') {
			num[n - 2] = '\0';
			mul = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ?
			    3600 : 86400;
			CHECK(strchr("smhd", unit) != NULL);
		}
		CHECK(parse_long(num, 0, 3660L * 86400, &v) == 0);
		CHECK(t == NOW + v * mul);
		return;
	}
	/* A bare HH:MM is its next coming. */
	if (t != -1 && n <= 5 && strchr(s, '-') == NULL)
		CHECK(t > NOW && t <= NOW + 86400 * 2);
}

static void
check_clean(const char *s)
{
	char out[64], again[64];
	const unsigned char *p;

	clean_text(out, sizeof(out), s);
	CHECK(strlen(out) < sizeof(out));
	for (p = (const unsigned char *)out; *p; p++)
		CHECK(*p >= 0x20 && *p != 0x7f);
	clean_text(again, sizeof(again), out);
	CHECK(strcmp(out, again) == 0);
	if (strlen(s) < sizeof(out) && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-") == strlen(s))
		CHECK(strcmp(out, s) == 0);
}

/* A request's fields, read with the bounds control.c gives them. */
static void
check_request(const struct msg *m)
{
	const char *verb = msg_field(m, 0);
	int i;

	for (i = 0; i < m->nfields; i++) {
		const char *f = m->field[i];

		check_long(f, 1, 2000000000L);	/* a job, a layer */
		check_long(f, 1, 100);		/* a priority, copies */
		check_long(f, 0, 2000000000L);	/* a backend's counts */
		check_long(f, 0, LONG_MAX);	/* a hold-until time */
		check_long(f, LONG_MIN, LONG_MAX);
		check_name(f, CONF_NAME_MAX);
		check_name(f, 255);
		check_hold(f);
		check_clean(f);
	}
	CHECK(msg_field(m, m->nfields)[0] == '\0');
	CHECK(msg_field(m, -1)[0] == '\0');
	(void)verb;
}

/* The message read as each protocol's (proto.c). */
static void
check_proto(const struct msg *m)
{
	struct proto_hello h;
	char why[256];
	int s, k, want;

	for (s = 0; s < PROTO_NSETS; s++) {
		why[0] = '\0';
		k = proto_parse((enum proto_set)s, m, why, sizeof(why));
		want = proto_lookup((enum proto_set)s, m->field[0]);
		if (want >= 0 && (m->nfields - 1 < proto_min((enum proto_set)s,
		    want) || m->nfields - 1 > proto_max((enum proto_set)s,
		    want)))
			want = -1;
		CHECK(k == want);
		CHECK(k >= 0 || (why[0] != '\0' && strlen(why) <
		    sizeof(why)));
	}
	if (proto_hello_check(m, &h, why, sizeof(why)) == 0) {
		CHECK(h.version >= PROTO_VERSION_MIN &&
		    h.version <= PROTO_VERSION);
		CHECK(h.pid >= 1 && h.job >= 0 && h.activity != NULL);
	} else
		CHECK(why[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg m, again, sock;
	static char enc[MSG_MAX * 3 + MSG_MAXFIELDS];
	size_t len, total;
	int ok, r, i;

	if (sp[0] < 0) {
		setenv("TZ", "UTC", 1);
		tzset();
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sp) < 0)
			abort();
	}
	ok = reference_ok(data, size);
	errno = 0;
	r = msg_decode(&m, (const char *)data, size);
	CHECK((r == 0) == ok);
	if (r < 0) {
		CHECK(errno == EBADMSG && m.nfields == 0);
	} else {
		CHECK(m.nfields >= 1 && m.nfields <= MSG_MAXFIELDS);
		for (i = 0, total = 0; i < m.nfields; i++)
			total += strlen(m.field[i]);
		CHECK(total + (size_t)m.nfields - 1 <= size);
	}

	/* The same bytes through a socket. */
	if (size > 0 && size <= MSG_MAX &&
	    send(sp[0], data, size, 0) == (ssize_t)size) {
		r = msg_recv(sp[1], &sock);
		CHECK(r == (ok ? 1 : -1));
		CHECK(sock.fd == -1 && sock.nfields == m.nfields);
		for (i = 0; i < m.nfields; i++)
			CHECK(strcmp(sock.field[i], m.field[i]) == 0);
	}
	if (!ok)
		return 0;

	/* Encoded again: the same fields, and a fixed point. */
	len = encode(&m, enc, sizeof(enc));
	if (len <= MSG_MAX) {
		CHECK(msg_decode(&again, enc, len) == 0);
		CHECK(again.nfields == m.nfields);
		for (i = 0; i < m.nfields; i++)
			CHECK(strcmp(again.field[i], m.field[i]) == 0);
		{
			static char enc2[sizeof(enc)];

			CHECK(encode(&again, enc2, sizeof(enc2)) == len);
			CHECK(memcmp(enc, enc2, len) == 0);
		}
	}
	check_request(&m);
	if (m.nfields >= 1)
		check_proto(&m);
	return 0;
}
