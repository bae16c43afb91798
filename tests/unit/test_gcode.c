/* Unit tests for lib/gcode.c: checksums, framing and the lexer. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gcode.h"

/* Checksums seen on real wires (marlin-protocol notes in gspool(7)). */
static void
test_checksum_vectors(void **state)
{
	static const struct { const char *s; unsigned cs; } v[] = {
		{ "N0 M110 N0", 125 }, { "N1 G90", 17 }, { "N2 M82", 27 },
		{ "N3 M106 S0", 100 }, { "N4 M140 S60", 87 },
		{ "N1M110N1", 125 }, { "N5G28", 54 },
		{ "N12 G1 X1 Y-11 Z2 F12000", 27 }, { "N49 M105", 26 },
		{ "N50 M113 S2", 84 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(gcode_checksum(v[i].s, strlen(v[i].s)),
		    v[i].cs);
}

static void
test_frame(void **state)
{
	char out[GCODE_MAX_FRAMED + 1], cmd[100];
	int n;

	(void)state;
	n = gcode_frame(out, sizeof(out), 0, "M110 N0");
	assert_int_equal(n, 14);
	assert_string_equal(out, "N0 M110 N0*125");
	assert_int_equal(gcode_frame(out, sizeof(out), 102471,
	    "G1 X71.930 Y70.407 E0.84260"), 38);
	assert_string_equal(out, "N102471 G1 X71.930 Y70.407 E0.84260*83");
	/* 95 bytes fit, 96 do not. */
	memset(cmd, 'X', sizeof(cmd));
	cmd[95 - 6] = '\0';		/* "N1 " + 89 + "*cs" (2 or 3) */
	n = gcode_frame(out, sizeof(out), 1, cmd);
	assert_true(n > 0 && n <= 95);
	cmd[95 - 6] = 'X';
	cmd[95 - 2] = '\0';
	assert_int_equal(gcode_frame(out, sizeof(out), 1, cmd), -1);
}

/* Lex a whole string, one byte at a time or at once; collect commands
 * joined by '|'.  Returns the status of the end. */
static enum gcode_status
lex_all(const char *in, size_t len, size_t step, const struct gcode_policy *pol,
    char *out, size_t outsz, struct gcode_lexer *lx)
{
	enum gcode_status st = GCODE_MORE;
	size_t off = 0, chunk, used;

	out[0] = '\0';
	gcode_lexer_init(lx, pol);
	while (off < len) {
		chunk = len - off < step ? len - off : step;
		used = gcode_lex(lx, in + off, chunk, &st);
		off += used;
		if (st == GCODE_ERROR)
			return st;
		if (st == GCODE_CMD) {
			if (out[0])
				strncat(out, "|", outsz - strlen(out) - 1);
			strncat(out, lx->cmd, outsz - strlen(out) - 1);
		}
	}
	st = gcode_lex_end(lx);
	if (st == GCODE_CMD) {
		if (out[0])
			strncat(out, "|", outsz - strlen(out) - 1);
		strncat(out, lx->cmd, outsz - strlen(out) - 1);
	}
	return st;
}

static void
test_lex_line_ends_and_comments(void **state)
{
	const char *in = "; header\r\nG28 ; home\r\n\r\n  G1 X1  Y2\t\r"
	    "M104 S200\n;only\n\n   \nG1 X3";
	struct gcode_lexer lx;
	char out[256];
	size_t step;

	(void)state;
	for (step = 1; step <= strlen(in); step += 7) {
		assert_int_not_equal(lex_all(in, strlen(in), step, NULL, out,
		    sizeof(out), &lx), GCODE_ERROR);
		assert_string_equal(out, "G28|G1 X1  Y2|M104 S200|G1 X3");
		assert_int_equal(lx.ncmds, 4);
	}
	/* Line numbers count CRLF once and lone CR as a line end. */
	assert_int_equal(lx.cmd_line, 9);
}

static void
expect_error(const char *in, size_t len, const char *msg)
{
	struct gcode_policy pol = { .max_hotend = 285, .max_bed = 120 };
	struct gcode_lexer lx;
	char out[512];

	assert_int_equal(lex_all(in, len, len, &pol, out, sizeof(out), &lx),
	    GCODE_ERROR);
	if (strstr(lx.error, msg) == NULL)
		fail_msg("error '%s' lacks '%s'", lx.error, msg);
}

static void
test_lex_errors(void **state)
{
	char big[300];

	(void)state;
	expect_error("G28\nG1 X1\0\n", 10, "line 2: NUL byte");
	expect_error("G28\n\x01G1\n", 7, "line 2: control byte 0x01");
	expect_error("G28\n; ok \x7f\n", 10, "line 2: control byte 0x7f");
	expect_error("G1 X\xc3\xa9\n", 7, "line 1: byte 0xc3 outside a comment");
	expect_error("N5 G28\n", 7, "line 1: 'N5 G28' carries its own line number");
	expect_error("G28*18\n", 7, "carries its own checksum");
	expect_error("(a (b) :c)\nG28\n", 15, "line 1: ':c)' is not a G-code command");
	expect_error("G28\nM110 N5\n", 11, "line 2: M110");
	expect_error("M104 S300\n", 10, "line 1: M104 S300 sets 300 C, above the printer's max_hotend 285");
	expect_error("M109 R290 T0\n", 13, "max_hotend 285");
	expect_error("M190 S121\n", 10, "max_bed 120");
	memset(big, 'X', sizeof(big));
	memcpy(big, "G28\nM117 ", 9);
	big[sizeof(big) - 1] = '\n';
	expect_error(big, sizeof(big), "line 2: command is longer than the firmware's 95 bytes");
}

static void
test_lex_accepts(void **state)
{
	struct gcode_policy pol = { .max_hotend = 285, .max_bed = 120 };
	struct gcode_lexer lx;
	char out[512], longc[600];
	const char *in = "M104 S285\nM140 S120\n; caf\xc3\xa9 in a comment\nT0\n";

	(void)state;
	assert_int_not_equal(lex_all(in, strlen(in), 3, &pol, out,
	    sizeof(out), &lx), GCODE_ERROR);
	assert_string_equal(out, "M104 S285|M140 S120|T0");
	/* A comment of any length is fine: it is never stored. */
	memset(longc, 'c', sizeof(longc));
	memcpy(longc, "G28 ;", 5);
	longc[sizeof(longc) - 1] = '\n';
	assert_int_not_equal(lex_all(longc, sizeof(longc), 64, &pol, out,
	    sizeof(out), &lx), GCODE_ERROR);
	assert_string_equal(out, "G28");
	/* Parenthesised comments, as RepRap and Skeinforge write them. */
	assert_int_not_equal(lex_all("(header)\nG1 (move) X1 (to 1)\nG28 (open\nM84\n",
	    43, 5, &pol, out, sizeof(out), &lx), GCODE_ERROR);
	assert_string_equal(out, "G1  X1|G28|M84");
	/* Nothing but comments: no command, no error. */
	assert_int_equal(lex_all(";a\n;b\n", 6, 6, &pol, out, sizeof(out),
	    &lx), GCODE_MORE);
	assert_int_equal(lx.ncmds, 0);
}

/* Layer markers: each kind counted alone, repeats of a layer number
 * ignored, the count visible with the first command of the layer. */
static unsigned long
layers_of(const char *in, size_t step, char *firsts, size_t fsz)
{
	struct gcode_lexer lx;
	enum gcode_status st;
	size_t off = 0, len = strlen(in), used, chunk;
	unsigned long seen = 0;

	firsts[0] = '\0';
	gcode_lexer_init(&lx, NULL);
	for (;;) {
		chunk = len - off < step ? len - off : step;
		if (chunk == 0) {
			st = gcode_lex_end(&lx);
			if (st != GCODE_CMD)
				break;
		} else {
			used = gcode_lex(&lx, in + off, chunk, &st);
			off += used;
		}
		assert_int_not_equal(st, GCODE_ERROR);
		if (st == GCODE_CMD && lx.layer != seen) {
			seen = lx.layer;
			if (firsts[0])
				strncat(firsts, "|", fsz - strlen(firsts) - 1);
			strncat(firsts, lx.cmd, fsz - strlen(firsts) - 1);
		}
	}
	return lx.layer;
}

static void
test_layer_markers(void **state)
{
	char firsts[256];
	size_t step;

	(void)state;
	for (step = 1; step < 40; step += 13) {
		assert_int_equal(layers_of(";LAYER_COUNT:2\n;LAYER:0\nG1 Z0.2"
		    "\nG1 X1\n;LAYER:1\nG1 Z0.4\n", step, firsts,
		    sizeof(firsts)), 2);
		assert_string_equal(firsts, "G1 Z0.2|G1 Z0.4");
		/* ideaMaker names a layer twice; raft layers are negative. */
		assert_int_equal(layers_of(";LAYER:-2\n;LAYER:-2\nG1 Z1\n"
		    ";LAYER:-1\nG1 Z2\n;LAYER:0\nG1 Z3", step, firsts,
		    sizeof(firsts)), 3);
		assert_string_equal(firsts, "G1 Z1|G1 Z2|G1 Z3");
		assert_int_equal(layers_of(";LAYER_CHANGE\n;Z:0.2\nG1 Z.2\n"
		    ";LAYER_CHANGE\r\n;Z:0.4\r\nG1 Z.4\r\n;LAYER_CHANGE",
		    step, firsts, sizeof(firsts)), 3);
		assert_string_equal(firsts, "G1 Z.2|G1 Z.4");
		assert_int_equal(layers_of("; layer 1, Z = 0.2\nG1 Z.2\n"
		    "; layer 2, Z = 0.4\nG1 Z.4\n", step, firsts,
		    sizeof(firsts)), 2);
		assert_int_equal(layers_of("; BEGIN_LAYER_OBJECT z=0.3\nG1 X1"
		    "\n; BEGIN_LAYER_OBJECT z=0.3\nG1 X2\n"
		    "; BEGIN_LAYER_OBJECT z=0.6\nG1 X3\n", step, firsts,
		    sizeof(firsts)), 2);
		assert_string_equal(firsts, "G1 X1|G1 X3");
	}
	/* A height that is no number, or an absurd one, is no marker. */
	assert_int_equal(layers_of("; BEGIN_LAYER_OBJECT z=inf\nG1 X1\n"
	    "; BEGIN_LAYER_OBJECT z=1e300\nG1 X2\n", 5, firsts,
	    sizeof(firsts)), 1);
	/* Not markers: other comments, comments after a command, a second
	 * kind after the first, "Layer count" headers. */
	assert_int_equal(layers_of(";Layer count: 5\n;LAYER_COUNT:5\n"
	    "G1 X1 ;LAYER:7\n;LAYER:x\n", 5, firsts, sizeof(firsts)), 0);
	assert_int_equal(layers_of(";LAYER:0\nG1 X1\n;LAYER_CHANGE\nG1 X2\n"
	    "(;LAYER:1)\nG1 X3\n", 3, firsts, sizeof(firsts)), 1);
}

static void
test_word(void **state)
{
	double v;

	(void)state;
	assert_int_equal(gcode_word("M104 S215 T1", 'S', &v), 1);
	assert_true(v == 215.0);
	assert_int_equal(gcode_word("M104 T1", 'S', &v), 0);
	assert_int_equal(gcode_word("M104 TS", 'S', &v), 0);
	assert_int_equal(gcode_word("M109 r200", 'R', &v), 1);
	assert_true(v == 200.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_vectors),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_lex_line_ends_and_comments),
		cmocka_unit_test(test_lex_errors),
		cmocka_unit_test(test_lex_accepts),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_layer_markers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
