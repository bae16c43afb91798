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
	/* Parentheses nest (Skeinforge); one closed too often does not. */
	expect_error("(a (b) :c))\nG28\n", 16, "line 1: ')' is not a G-code command");
	expect_error("G28\nM110 N5\n", 11, "line 2: M110");
	expect_error("M104 S300\n", 10, "line 1: M104 S300 sets 300 C, above the printer's max_hotend 285");
	expect_error("M109 R290 T0\n", 13, "max_hotend 285");
	expect_error("M190 S121\n", 10, "max_bed 120");
	memset(big, 'X', sizeof(big));
	memcpy(big, "G28\nM117 ", 9);
	big[sizeof(big) - 1] = '\n';
	expect_error(big, sizeof(big), "line 2: command is longer than the firmware's 95 bytes");
}

/* One line through a lexer with the policy; its error, or "" with what
 * it sets in *set and t[]. */
static const char *
lex_line(const struct gcode_policy *pol, const char *line, unsigned *set,
    double *t)
{
	static struct gcode_lexer lx;
	enum gcode_status st;

	gcode_lexer_init(&lx, pol);
	gcode_lex(&lx, line, strlen(line), &st);
	if (st == GCODE_MORE)
		st = gcode_lex_end(&lx);
	if (st == GCODE_ERROR)
		return lx.error;
	assert_int_equal(st, GCODE_CMD);
	*set = lx.temp_set;
	memcpy(t, lx.temp, sizeof(lx.temp));
	return "";
}

#define H	(1u << GCODE_HOTEND)
#define B	(1u << GCODE_BED)
#define C	(1u << GCODE_CHAMBER)

/* Every way of setting a temperature, refused above the limits with the
 * command and the limit named, and read when within them. */
static void
test_temperatures(void **state)
{
	static const struct {
		const char *line, *error;	/* NULL: accepted */
		unsigned set;
		double hotend, bed, chamber;
	} t[] = {
		/* Marlin. */
		{ "M104 S215\n", NULL, H, 215, 0, 0 },
		{ "M104 S400\n", "line 1: M104 S400 sets 400 C, above the"
		    " printer's max_hotend 285", 0, 0, 0, 0 },
		{ "M109 R290 T0\n", "line 1: M109 R290 T0 sets 290 C, above the"
		    " printer's max_hotend 285", 0, 0, 0, 0 },
		{ "M104 T1 S300\n", "M104 T1 S300 sets 300 C", 0, 0, 0, 0 },
		{ "M104 S200 B300 F1\n", "M104 S200 B300 F1 sets 300 C, above"
		    " the printer's max_hotend 285", 0, 0, 0, 0 },
		{ "M104 I1\n", NULL, 0, 0, 0, 0 },
		{ "M104 Tx S200\n", "M104 Tx S200: a tool or preset that is not"
		    " a number", 0, 0, 0, 0 },
		{ "M140 S60\n", NULL, B, 0, 60, 0 },
		{ "M190 R121\n", "line 1: M190 R121 sets 121 C, above the"
		    " printer's max_bed 120", 0, 0, 0, 0 },
		{ "M190 Sabc\n", "M190 Sabc: a temperature that is not a"
		    " number", 0, 0, 0, 0 },
		{ "M141 S50\n", NULL, C, 0, 0, 50 },
		{ "M191 S90\n", "line 1: M191 S90 sets 90 C, above the"
		    " printer's max_chamber 80", 0, 0, 0, 0 },
		{ "M303 S300 C8\n", "line 1: M303 S300 C8 autotunes at 300 C,"
		    " above the printer's max_hotend 285", 0, 0, 0, 0 },
		{ "M303 E-1 S130 C8\n", "line 1: M303 E-1 S130 C8 autotunes at"
		    " 130 C, above the printer's max_bed 120", 0, 0, 0, 0 },
		{ "M303 E-1 S100 C8\n", NULL, 0, 0, 0, 0 },
		{ "M303 E-2 S90\n", "max_chamber 80", 0, 0, 0, 0 },
		{ "M145 S0 H300 B60\n", "line 1: M145 S0 H300 B60 presets 300 C,"
		    " above the printer's max_hotend 285", 0, 0, 0, 0 },
		{ "M145 S1 H240 B130\n", "presets 130 C, above the printer's"
		    " max_bed 120", 0, 0, 0, 0 },
		/* RepRapFirmware. */
		{ "G10 P0 S400\n", "line 1: G10 P0 S400 sets 400 C, above the"
		    " printer's max_hotend 285", 0, 0, 0, 0 },
		{ "G10 P0 S215 R170\n", NULL, H, 215, 0, 0 },
		{ "G10 P0 S215:300\n", "G10 P0 S215:300 sets 300 C", 0, 0, 0,
		    0 },
		{ "G10 P1 R290\n", "G10 P1 R290 sets 290 C", 0, 0, 0, 0 },
		{ "G10\n", NULL, 0, 0, 0, 0 },
		{ "G10 S1\n", NULL, 0, 0, 0, 0 },
		{ "G10 L2 P1 X10 R400\n", NULL, 0, 0, 0, 0 },
		{ "M568 P0 S300 R150\n", "line 1: M568 P0 S300 R150 sets 300 C,"
		    " above the printer's max_hotend 285", 0, 0, 0, 0 },
		{ "M568 P0 S210 R150 A2\n", NULL, H, 210, 0, 0 },
		{ "M140 P0 S60\n", NULL, B, 0, 60, 0 },
		/* Klipper. */
		{ "SET_HEATER_TEMPERATURE HEATER=extruder TARGET=400\n",
		    "line 1: SET_HEATER_TEMPERATURE HEATER=extruder TARGET=400"
		    " sets 400 C, above the printer's max_hotend 285", 0, 0, 0,
		    0 },
		{ "SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=110\n", NULL,
		    B, 0, 110, 0 },
		{ "set_heater_temperature heater=heater_bed target=130\n",
		    "sets 130 C, above the printer's max_bed 120", 0, 0, 0, 0 },
		{ "SET_HEATER_TEMPERATURE HEATER=chamber TARGET=95\n",
		    "sets 95 C, above the printer's max_chamber 80", 0, 0, 0, 0 },
		{ "SET_HEATER_TEMPERATURE HEATER=extruder1 TARGET=x\n",
		    "a temperature that is not a number", 0, 0, 0, 0 },
		{ "SET_HEATER_TEMPERATURE HEATER=extruder\n", NULL, H, 0, 0, 0 },
		{ "TEMPERATURE_WAIT SENSOR=extruder MINIMUM=300\n",
		    "line 1: TEMPERATURE_WAIT SENSOR=extruder MINIMUM=300 waits"
		    " for 300 C, above the printer's max_hotend 285", 0, 0, 0,
		    0 },
		{ "TEMPERATURE_WAIT SENSOR=heater_bed MINIMUM=58 MAXIMUM=125\n",
		    "waits for 125 C, above the printer's max_bed 120", 0, 0, 0,
		    0 },
		{ "TEMPERATURE_WAIT SENSOR=\"temperature_sensor chamber\""
		    " MINIMUM=40\n", NULL, 0, 0, 0, 0 },
		{ "TEMPERATURE_WAIT SENSOR='temperature_sensor chamber'"
		    " MINIMUM=95\n", "waits for 95 C, above the printer's"
		    " max_chamber 80", 0, 0, 0, 0 },
		/* Macro calls, by their parameters' names. */
		{ "PRINT_START EXTRUDER=260 BED=105\n", NULL, H | B, 260, 105,
		    0 },
		{ "PRINT_START EXTRUDER=260 BED=125\n", "line 1: PRINT_START"
		    " EXTRUDER=260 BED=125 sets 125 C, above the printer's max_bed"
		    " 120", 0, 0, 0, 0 },
		{ "START_PRINT EXTRUDER_TEMP=300 BED_TEMP=60\n", "line 1:"
		    " START_PRINT EXTRUDER_TEMP=300 BED_TEMP=60 sets 300 C, above"
		    " the printer's max_hotend 285", 0, 0, 0, 0 },
		{ "print_start bed=70 extruder=210\n", NULL, H | B, 210, 70, 0 },
		{ "PRINT_START CHAMBER=100\n", "max_chamber 80", 0, 0, 0, 0 },
		{ "SET_PRESSURE_ADVANCE EXTRUDER=extruder ADVANCE=0.05\n", NULL,
		    0, 0, 0, 0 },
		{ "MY_MACRO SPEED=400\n", NULL, 0, 0, 0, 0 },
	};
	struct gcode_policy pol;
	const char *err;
	unsigned set;
	double temp[GCODE_HEATERS];
	size_t i;
	char bad[72];

	(void)state;
	gcode_policy_default(&pol);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err = lex_line(&pol, t[i].line, &set, temp);
		if (t[i].error == NULL) {
			if (err[0])
				fail_msg("%s: refused: %s", t[i].line, err);
			if (set != t[i].set)
				fail_msg("%s: sets %x, not %x", t[i].line, set,
				    t[i].set);
			if ((set & H) && temp[GCODE_HOTEND] != t[i].hotend)
				fail_msg("%s: hotend %g", t[i].line,
				    temp[GCODE_HOTEND]);
			if ((set & B) && temp[GCODE_BED] != t[i].bed)
				fail_msg("%s: bed %g", t[i].line, temp[GCODE_BED]);
			if ((set & C) && temp[GCODE_CHAMBER] != t[i].chamber)
				fail_msg("%s: chamber %g", t[i].line,
				    temp[GCODE_CHAMBER]);
		} else if (strstr(err, t[i].error) == NULL)
			fail_msg("%s: error '%s' lacks '%s'", t[i].line, err,
			    t[i].error);
	}
	/* The names are the policy's: configured ones replace the
	 * defaults. */
	assert_int_equal(gcode_params_parse("nozzle_c, HOT", pol.macro_params[
	    GCODE_HOTEND], sizeof(pol.macro_params[0]), bad, sizeof(bad)), 0);
	assert_string_equal(pol.macro_params[GCODE_HOTEND], " NOZZLE_C HOT ");
	err = lex_line(&pol, "START HOT=300\n", &set, temp);
	assert_non_null(strstr(err, "sets 300 C, above the printer's"
	    " max_hotend 285"));
	err = lex_line(&pol, "PRINT_START EXTRUDER=300\n", &set, temp);
	assert_string_equal(err, "");
	assert_int_equal(gcode_params_parse("A-B", pol.macro_params[0],
	    sizeof(pol.macro_params[0]), bad, sizeof(bad)), -1);
	assert_string_equal(bad, "A-B");
	/* No policy (the backend's lexer): read, never refused. */
	err = lex_line(NULL, "G10 P0 S400\n", &set, temp);
	assert_string_equal(err, "");
	assert_int_equal(set, H);
	assert_true(temp[GCODE_HOTEND] == 400);
}

static void
test_firmware_names(void **state)
{
	enum gcode_firmware fw;

	(void)state;
	assert_int_equal(gcode_firmware_parse("marlin", &fw), 0);
	assert_int_equal(fw, GCODE_FW_MARLIN);
	assert_int_equal(gcode_firmware_parse("RRF", &fw), 0);
	assert_int_equal(fw, GCODE_FW_RRF);
	assert_int_equal(gcode_firmware_parse("", &fw), 0);
	assert_int_equal(fw, GCODE_FW_UNKNOWN);
	assert_int_equal(gcode_firmware_parse("grbl", &fw), -1);
	assert_string_equal(gcode_firmware_name(GCODE_FW_KLIPPER), "klipper");
	assert_string_equal(gcode_firmware_title(GCODE_FW_RRF),
	    "RepRapFirmware");
	assert_int_equal(gcode_firmware_guess("FIRMWARE_NAME:Marlin"
	    " 2.1.2.1 (Jun  1 2024) SOURCE_CODE_URL:github.com/MarlinFirmware"
	    " PROTOCOL_VERSION:1.0 MACHINE_TYPE:Ender-3"), GCODE_FW_MARLIN);
	assert_int_equal(gcode_firmware_guess("FIRMWARE_NAME:Prusa-Firmware"
	    " 3.13.2 based on Marlin FIRMWARE_URL:..."), GCODE_FW_PRUSA);
	assert_int_equal(gcode_firmware_guess("FIRMWARE_NAME:Klipper"
	    " FIRMWARE_VERSION:v0.12.0"), GCODE_FW_KLIPPER);
	assert_int_equal(gcode_firmware_guess("FIRMWARE_NAME: RepRapFirmware"
	    " for Duet 3 MB6HC FIRMWARE_VERSION: 3.5.1"), GCODE_FW_RRF);
	assert_int_equal(gcode_firmware_guess("FIRMWARE_NAME:Repetier_1.0.3"),
	    GCODE_FW_REPETIER);
	assert_int_equal(gcode_firmware_guess("FIRMWARE_NAME:Smoothieware"),
	    GCODE_FW_SMOOTHIE);
	assert_int_equal(gcode_firmware_guess("ok"), GCODE_FW_UNKNOWN);
}

/* A byte-order mark, and going on after an error. */
static void
test_bom_and_resume(void **state)
{
	struct gcode_lexer lx;
	char out[512];
	enum gcode_status st;
	const char *in = "G28\nG1 X\001Y\nM84 \xff\nG1 X2\n";
	size_t off = 0, len = strlen(in);
	int errors = 0, cmds = 0;

	(void)state;
	assert_int_not_equal(lex_all("\xef\xbb\xbfG28\n", 7, 1, NULL, out,
	    sizeof(out), &lx), GCODE_ERROR);
	assert_string_equal(out, "G28");
	assert_int_equal(lex_all("\xef\xbbG28\n", 6, 6, NULL, out,
	    sizeof(out), &lx), GCODE_ERROR);
	assert_non_null(strstr(lx.error, "line 1: byte 0x47: an incomplete"
	    " UTF-8 byte-order mark"));
	/* Not at the start: a byte like any other outside a comment. */
	assert_int_equal(lex_all("G28\n\xef\xbb\xbfG28\n", 11, 11, NULL,
	    out, sizeof(out), &lx), GCODE_ERROR);
	assert_non_null(strstr(lx.error, "line 2: byte 0xef"));
	gcode_lexer_init(&lx, NULL);
	while (off < len) {
		off += gcode_lex(&lx, in + off, len - off, &st);
		if (st == GCODE_ERROR) {
			errors++;
			gcode_lex_resume(&lx);
		} else if (st == GCODE_CMD)
			cmds++;
	}
	assert_int_equal(errors, 2);
	assert_int_equal(cmds, 2);	/* G28, G1 X2 */
	assert_string_equal(lx.cmd, "G1 X2");
	assert_int_equal(lx.cmd_line, 4);
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
		cmocka_unit_test(test_temperatures),
		cmocka_unit_test(test_firmware_names),
		cmocka_unit_test(test_bom_and_resume),
		cmocka_unit_test(test_lex_accepts),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_layer_markers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
