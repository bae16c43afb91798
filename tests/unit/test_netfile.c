/*
 * test_netfile.c - a network backend's view of a job's file
 * (backends/netfile.c): its SHA-256 and CRC32, and the commands before
 * a byte, as spoold counts them, across block boundaries and comment
 * lines; the layer begun at a byte, by the slicer's markers; an empty
 * file, and one that cannot be read.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>

#include "net.h"

/* A temporary file holding text, open for reading. */
static int
file_of(const char *text, size_t len)
{
	char path[] = "/tmp/test_netfile.XXXXXX";
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	return fd;
}

static void
test_sha256(void **state)
{
	struct net_file f;
	char why[256];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.fd = file_of("abc", 3);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_string_equal(f.sha256, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(f.size, 3);
	assert_int_equal(f.total, 1);	/* a command without a newline */
	assert_int_equal(f.crc32, 0x352441c2UL);
	net_file_free(&f);
	close(f.fd);
}

/* CRC32 as RepRapFirmware and zlib compute it, over many blocks. */
static void
test_crc32(void **state)
{
	struct net_file f;
	char why[256], *t;
	size_t len = 3 * NET_BLOCK + 7, i;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.fd = file_of("123456789", 9);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.crc32, 0xcbf43926UL);
	net_file_free(&f);
	close(f.fd);
	/* The same check value whichever block the bytes fall in. */
	t = malloc(len);
	assert_non_null(t);
	for (i = 0; i < len; i++)
		t[i] = (char)('0' + i % 10);
	memset(&f, 0, sizeof(f));
	f.fd = file_of(t, len);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.crc32, 0x4df958f9UL);
	assert_int_equal(f.nblocks, 4);
	net_file_free(&f);
	close(f.fd);
	free(t);
}

/* An empty job: no commands, the checksums of nothing. */
static void
test_empty(void **state)
{
	struct net_file f;
	char why[256];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.fd = file_of("", 0);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.size, 0);
	assert_int_equal(f.total, 0);
	assert_int_equal(f.crc32, 0);
	assert_string_equal(f.sha256, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	assert_int_equal(net_file_lines_at(&f, 10), 0);
	net_file_free(&f);
	close(f.fd);
}

/* A descriptor that cannot be read: an error that says where. */
static void
test_unreadable(void **state)
{
	struct net_file f;
	char why[256];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.fd = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(f.fd >= 0);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "reading the job at byte 0: "));
	net_file_free(&f);
	close(f.fd);
}

/* Commands are lines with something before their ';'. */
static void
test_commands(void **state)
{
	const char *t = "G28\n; a comment\n\n  \nG1 X1 ; move\n;x\nM104 S0";
	struct net_file f;
	char why[256];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.fd = file_of(t, strlen(t));
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.total, 3);	/* the last has no newline */
	assert_int_equal(net_file_lines_at(&f, 0), 0);
	assert_int_equal(net_file_lines_at(&f, 3), 0);	/* G28 not ended */
	assert_int_equal(net_file_lines_at(&f, 4), 1);
	assert_int_equal(net_file_lines_at(&f, 22), 1);
	assert_int_equal(net_file_lines_at(&f, 32), 1);
	assert_int_equal(net_file_lines_at(&f, 33), 2);
	assert_int_equal(net_file_lines_at(&f, (long long)strlen(t)), 3);
	assert_int_equal(net_file_lines_at(&f, 1LL << 40), 3);
	net_file_free(&f);
	close(f.fd);
}

/* Over many blocks, a line split across a boundary and a comment that
 * begins in one block and ends in the next: the count at every byte is
 * the one counted from the start. */
static void
test_blocks(void **state)
{
	size_t len = 5 * NET_BLOCK + 123, i;
	char *t = malloc(len), why[256];
	struct net_file f;
	long want = 0;
	int cmd = 0, comment = 0;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < len; i++)
		t[i] = i % 37 == 36 ? '\n' : i % 91 < 20 ? ';' :
		    i % 53 < 5 ? ' ' : 'G';
	memset(&f, 0, sizeof(f));
	f.fd = file_of(t, len);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.size, (long long)len);
	for (i = 0; i < len; i++) {
		if (i % 97 == 0 || i % NET_BLOCK < 2 ||
		    i % NET_BLOCK > NET_BLOCK - 2)
			assert_int_equal(net_file_lines_at(&f, (long long)i),
			    want);
		if (t[i] == '\n') {
			want += cmd;
			cmd = comment = 0;
		} else if (t[i] == ';')
			comment = 1;
		else if (!comment && t[i] != ' ')
			cmd = 1;
	}
	assert_int_equal(f.total, want + cmd);
	net_file_free(&f);
	close(f.fd);
	free(t);
}

/* A layer is begun once its first command has passed: the host's
 * position at its end. */
static void
test_layers(void **state)
{
	const char *t = "G28\n;LAYER:0\nG1 Z0.2\nG1 X1\n;LAYER:1\n"
	    "G1 Z0.4\nG1 X2";
	struct net_file f;
	char why[256];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.fd = file_of(t, strlen(t));
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.nlayers, 2);
	assert_int_equal(net_file_layer_at(&f, 0), 0);
	assert_int_equal(net_file_layer_at(&f, 13), 0);	/* the marker */
	assert_int_equal(net_file_layer_at(&f, 20), 0);	/* G1 Z0.2 not ended */
	assert_int_equal(net_file_layer_at(&f, 21), 1);
	assert_int_equal(net_file_layer_at(&f, 43), 1);
	assert_int_equal(net_file_layer_at(&f, 44), 2);
	assert_int_equal(net_file_layer_at(&f, 1LL << 40), 2);
	net_file_free(&f);
	close(f.fd);
	/* No markers: no layer anywhere. */
	memset(&f, 0, sizeof(f));
	f.fd = file_of("G28\nG1 X1\n", 10);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.nlayers, 0);
	assert_int_equal(net_file_layer_at(&f, 10), 0);
	net_file_free(&f);
	close(f.fd);
}

/* Markers across block boundaries: each layer where it begins. */
static void
test_layers_blocks(void **state)
{
	size_t cap = 8 * NET_BLOCK, len = 0;
	long long starts[200];
	char *t = malloc(cap), why[256];
	struct net_file f;
	int l, i, n;

	(void)state;
	assert_non_null(t);
	for (l = 0; l < 200; l++) {
		len += (size_t)snprintf(t + len, cap - len, ";LAYER:%d\n", l);
		n = snprintf(t + len, cap - len, "G1 Z%d.2\n", l);
		len += (size_t)n;
		starts[l] = (long long)len;	/* its first command's end */
		for (i = 0; i < l % 13; i++)
			len += (size_t)snprintf(t + len, cap - len,
			    "G1 X%d Y%d E0.5\n", i, l);
	}
	assert_true(len > 4 * NET_BLOCK);
	memset(&f, 0, sizeof(f));
	f.fd = file_of(t, len);
	assert_int_equal(net_file_scan(&f, why, sizeof(why)), 0);
	assert_int_equal(f.nlayers, 200);
	for (l = 0; l < 200; l++) {
		assert_int_equal(net_file_layer_at(&f, starts[l] - 1), l);
		assert_int_equal(net_file_layer_at(&f, starts[l]), l + 1);
	}
	net_file_free(&f);
	close(f.fd);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_layers),
		cmocka_unit_test(test_layers_blocks),
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
