/*
 * test_rrf.c - what the duet backend reads in a Duet board's answers
 * (backends/rrf.c): rr_connect's session and its errors, rr_model's
 * state (its message box too), job and heat, answers of the wrong shape, the firmware's error
 * replies, M32's quoting, and the fate of a job from the board's states
 * in turn: completed, canceled (only from a pause), halted, restarted,
 * another file, never started, and a print too short to be seen.  In
 * SBC mode: rr_connect emulated by DSF, /machine/connect's key, the
 * whole object model as /machine/model gives it, a model of the wrong
 * shape, DSF's ending flags and its board lost (disconnected).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rrf.h"

static json_t *
j(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL)
		fail_msg("bad JSON in the test: %s: %s", text, e.text);
	return v;
}

static void
test_connect(void **state)
{
	struct rrf_session s;
	char why[256];
	json_t *a;

	(void)state;
	a = j("{\"err\":0,\"sessionTimeout\":8000,\"boardType\":"
	    "\"duet3mb6hc\",\"apiLevel\":1,\"sessionKey\":12345}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_CONNECTED);
	assert_true(s.open && s.has_key);
	assert_int_equal(s.key, 12345);
	assert_int_equal(s.timeout_ms, 8000);
	assert_int_equal(s.api_level, 1);
	assert_string_equal(s.board, "duet3mb6hc");
	json_decref(a);

	/* An older board: no key (the session is the address's), no
	 * apiLevel. */
	a = j("{\"err\":0,\"sessionTimeout\":8000,\"boardType\":"
	    "\"duetwifi102\"}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_CONNECTED);
	assert_false(s.has_key);
	assert_int_equal(s.api_level, 0);
	json_decref(a);

	a = j("{\"err\":1}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_WRONG_PASSWORD);
	assert_false(s.open);
	assert_non_null(strstr(why, "wrong password"));
	json_decref(a);
	a = j("{\"err\":2}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_NO_SESSION);
	json_decref(a);
	a = j("{\"sessionTimeout\":8000}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_BAD_ANSWER);
	json_decref(a);
	a = j("{\"err\":0,\"sessionKey\":\"abc\"}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_BAD_ANSWER);
	json_decref(a);
	/* A board type with a control character is dropped, not kept. */
	a = j("{\"err\":0,\"boardType\":\"duet\\u001b[2J\"}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_CONNECTED);
	assert_string_equal(s.board, "");
	assert_int_equal(s.timeout_ms, 8000);
	json_decref(a);
}

static void
test_err(void **state)
{
	json_t *a;

	(void)state;
	a = j("{\"err\":0}");
	assert_int_equal(rrf_err(a), 0);
	json_decref(a);
	a = j("{\"err\":1}");
	assert_int_equal(rrf_err(a), 1);
	json_decref(a);
	a = j("{\"buff\":255}");
	assert_int_equal(rrf_err(a), -1);
	json_decref(a);
}

/* state.messageBox as a state answer with it. */
static void
box_of(const char *box, struct rrf_view *v)
{
	char text[1024], why[256];
	json_t *a;

	snprintf(text, sizeof(text), "{\"key\":\"state\",\"flags\":"
	    "\"d99fn\",\"result\":{\"status\":\"processing\","
	    "\"messageBox\":%s}}", box);
	a = j(text);
	rrf_view_init(v);
	assert_int_equal(rrf_view_state(a, v, why, sizeof(why)), 0);
	json_decref(a);
}

static void
test_box(void **state)
{
	struct rrf_view v;
	char b[512];

	(void)state;
	box_of("null", &v);
	assert_int_equal(v.box.mode, -1);
	rrf_view_init(&v);
	assert_int_equal(v.box.mode, -1);

	/* OK and Cancel, with the seq in each answer. */
	box_of("{\"mode\":3,\"title\":\"Inspect\",\"message\":"
	    "\"Check the first layers\",\"seq\":7,\"timeout\":0,"
	    "\"cancelButton\":true}", &v);
	assert_int_equal(v.box.mode, 3);
	assert_int_equal(v.box.seq, 7);
	assert_string_equal(v.box.text, "Inspect: Check the first layers");
	rrf_box_buttons(&v.box, b, sizeof(b));
	assert_string_equal(b, "OK\nCancel");
	assert_string_equal(v.box.code[0], "M292 P0 S7");
	assert_string_equal(v.box.code[1], "M292 P1 S7");

	/* Close only, from a board without seq; no title. */
	box_of("{\"mode\":1,\"message\":\"Done\"}", &v);
	assert_int_equal(v.box.nbuttons, 1);
	assert_string_equal(v.box.text, "Done");
	assert_string_equal(v.box.button[0], "Close");
	assert_string_equal(v.box.code[0], "M292 P0");
	box_of("{\"mode\":2,\"title\":\"T\",\"message\":\"\"}", &v);
	assert_string_equal(v.box.text, "T");
	assert_string_equal(v.box.code[0], "M292 P0");

	/* No buttons: a prompt none can answer. */
	box_of("{\"mode\":0,\"message\":\"Wait\"}", &v);
	assert_int_equal(v.box.mode, 0);
	assert_int_equal(v.box.nbuttons, 0);

	/* RRF 3.5's choices, R the index; Cancel if cancelButton; a line
	 * break in a choice is a space. */
	box_of("{\"mode\":4,\"message\":\"Which?\",\"seq\":2,"
	    "\"choices\":[\"PLA\",\"PE\\nTG\"],\"cancelButton\":true}",
	    &v);
	rrf_box_buttons(&v.box, b, sizeof(b));
	assert_string_equal(b, "PLA\nPE TG\nCancel");
	assert_string_equal(v.box.code[0], "M292 P0 R0 S2");
	assert_string_equal(v.box.code[1], "M292 P0 R1 S2");
	assert_string_equal(v.box.code[2], "M292 P1 S2");

	/* A value asked (mode 5): no button gives it, Cancel only. */
	box_of("{\"mode\":5,\"message\":\"Z?\",\"cancelButton\":false}",
	    &v);
	assert_int_equal(v.box.nbuttons, 0);

	/* The wrong shapes: no box. */
	box_of("{\"mode\":\"3\",\"message\":\"x\"}", &v);
	assert_int_equal(v.box.mode, -1);
	box_of("[1]", &v);
	assert_int_equal(v.box.mode, -1);
}

static void
test_view(void **state)
{
	struct rrf_view v;
	char why[256], t[64];
	json_t *a;

	(void)state;
	rrf_view_init(&v);
	a = j("{\"key\":\"state\",\"flags\":\"d99fn\",\"result\":"
	    "{\"status\":\"processing\",\"upTime\":120}}");
	assert_int_equal(rrf_view_state(a, &v, why, sizeof(why)), 0);
	assert_int_equal(v.status, RRF_PROCESSING);
	assert_int_equal(v.uptime, 120);
	json_decref(a);
	a = j("{\"key\":\"job\",\"flags\":\"d99fn\",\"result\":{\"file\":"
	    "{\"fileName\":\"0:/gcodes/a.gcode\",\"size\":1000,"
	    "\"numLayers\":6},\"filePosition\":400,\"layer\":3,"
	    "\"lastFileName\":null}}");
	assert_int_equal(rrf_view_job(a, &v, why, sizeof(why)), 0);
	assert_string_equal(v.file, "0:/gcodes/a.gcode");
	assert_int_equal(v.size, 1000);
	assert_int_equal(v.pos, 400);
	assert_int_equal(v.layer, 3);
	assert_int_equal(v.layers, 6);
	assert_string_equal(v.last_file, "");
	assert_false(v.has_last_flags);
	json_decref(a);
	a = j("{\"key\":\"heat\",\"flags\":\"d99fn\",\"result\":"
	    "{\"bedHeaters\":[0,-1],\"heaters\":[{\"current\":59.5,"
	    "\"active\":60},{\"current\":210.25,\"active\":210}]}}");
	assert_int_equal(rrf_view_heat(a, &v, why, sizeof(why)), 0);
	rrf_temps(&v, t, sizeof(t));
	assert_string_equal(t, "T:210.2 /210.0 B:59.5 /60.0");
	json_decref(a);

	/* The bed is heater 1 here; the hotend the first other. */
	a = j("{\"key\":\"heat\",\"flags\":\"\",\"result\":"
	    "{\"bedHeaters\":[1],\"heaters\":[{\"current\":200,"
	    "\"active\":200},{\"current\":50,\"active\":55}]}}");
	assert_int_equal(rrf_view_heat(a, &v, why, sizeof(why)), 0);
	rrf_temps(&v, t, sizeof(t));
	assert_string_equal(t, "T:200.0 /200.0 B:50.0 /55.0");
	json_decref(a);

	/* Nulls and wrong types read as unknown. */
	a = j("{\"key\":\"job\",\"flags\":\"\",\"result\":{\"file\":"
	    "{\"fileName\":null,\"size\":\"big\"},\"filePosition\":-5,"
	    "\"layer\":null}}");
	assert_int_equal(rrf_view_job(a, &v, why, sizeof(why)), 0);
	assert_string_equal(v.file, "");
	assert_int_equal(v.size, -1);
	assert_int_equal(v.pos, -1);
	assert_int_equal(v.layer, 0);
	json_decref(a);

	/* An answer for another key, or without a result, is refused. */
	a = j("{\"key\":\"job\",\"flags\":\"\",\"result\":{}}");
	assert_int_equal(rrf_view_state(a, &v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "another key"));
	json_decref(a);
	a = j("{\"key\":\"state\",\"flags\":\"\",\"result\":null}");
	assert_int_equal(rrf_view_state(a, &v, why, sizeof(why)), -1);
	json_decref(a);
	a = j("{\"key\":\"state\",\"flags\":\"\",\"result\":{\"upTime\":3}}");
	assert_int_equal(rrf_view_state(a, &v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no status"));
	json_decref(a);
	a = j("{\"key\":\"state\",\"flags\":\"\",\"result\":"
	    "{\"status\":\"dancing\"}}");
	assert_int_equal(rrf_view_state(a, &v, why, sizeof(why)), 0);
	assert_int_equal(v.status, RRF_UNKNOWN);
	json_decref(a);
}

static void
view(struct rrf_view *v, enum rrf_status s, const char *file, long long up,
    const char *last)
{
	rrf_view_init(v);
	v->status = s;
	snprintf(v->file, sizeof(v->file), "%s", file);
	snprintf(v->last_file, sizeof(v->last_file), "%s", last);
	v->uptime = up;
}

#define OURS	"0:/gcodes/gspool-mk3-7.gcode"

static void
test_fate_completed(void **state)
{
	struct rrf_track t;
	struct rrf_view v;

	(void)state;
	view(&v, RRF_IDLE, "", 10, "0:/gcodes/old.gcode");
	rrf_track_start(&t, OURS, &v);
	assert_int_equal(rrf_track(&t, &v), RRF_F_WAITING);
	view(&v, RRF_PROCESSING, OURS, 11, "0:/gcodes/old.gcode");
	v.layers = 6;
	assert_int_equal(rrf_track(&t, &v), RRF_F_PRINTING);
	view(&v, RRF_IDLE, "", 12, OURS);
	assert_int_equal(rrf_track(&t, &v), RRF_F_COMPLETED);
	assert_int_equal(t.layers, 6);
}

static void
test_fate_canceled(void **state)
{
	struct rrf_track t;
	struct rrf_view v;

	(void)state;
	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_PROCESSING, OURS, 11, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PRINTING);
	view(&v, RRF_PAUSING, OURS, 12, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PAUSING);
	view(&v, RRF_PAUSED, OURS, 13, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PAUSED);
	/* Canceled at the board's panel: from the pause to idle. */
	view(&v, RRF_IDLE, "", 14, OURS);
	assert_int_equal(rrf_track(&t, &v), RRF_F_CANCELED);

	/* An SBC says so itself, and is believed. */
	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_PAUSED, OURS, 11, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PAUSED);
	view(&v, RRF_IDLE, "", 12, OURS);
	v.has_last_flags = 1;
	assert_int_equal(rrf_track(&t, &v), RRF_F_COMPLETED);
}

static void
test_fate_faults(void **state)
{
	struct rrf_track t;
	struct rrf_view v;

	(void)state;
	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_PROCESSING, OURS, 100, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PRINTING);
	view(&v, RRF_HALTED, OURS, 101, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_HALTED);

	/* A restart: upTime goes back, the board idle as if done. */
	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_PROCESSING, OURS, 100, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PRINTING);
	view(&v, RRF_IDLE, "", 3, OURS);
	assert_int_equal(rrf_track(&t, &v), RRF_F_RESTARTED);

	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_OFF, "", 100, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_POWER_OFF);

	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_PROCESSING, "0:/gcodes/benchy.gcode", 100, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_OTHER_FILE);
}

static void
test_fate_not_started(void **state)
{
	struct rrf_track t;
	struct rrf_view v;
	int i;

	(void)state;
	view(&v, RRF_IDLE, "", 10, OURS);	/* an earlier try of ours */
	rrf_track_start(&t, OURS, &v);
	for (i = 0; i < RRF_WAITS; i++)
		assert_int_equal(rrf_track(&t, &v), RRF_F_WAITING);
	assert_int_equal(rrf_track(&t, &v), RRF_F_NOT_STARTED);

	/* Too short to be seen printing: the board names it its last. */
	view(&v, RRF_IDLE, "", 10, "0:/gcodes/old.gcode");
	rrf_track_start(&t, OURS, &v);
	view(&v, RRF_IDLE, "", 11, OURS);
	assert_int_equal(rrf_track(&t, &v), RRF_F_COMPLETED);
}

static void
test_reply_error(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(rrf_reply_error("", out, sizeof(out)), 0);
	assert_int_equal(rrf_reply_error("ok\nWarning: low\n", out,
	    sizeof(out)), 0);
	assert_int_equal(rrf_reply_error("Error: M32: GCode file "
	    "\"0:/gcodes/x\" not found\n", out, sizeof(out)), 1);
	assert_string_equal(out, "M32: GCode file \"0:/gcodes/x\" not found");
	assert_int_equal(rrf_reply_error("Error: first\nsomething\n"
	    "Error: Heater 1 fault\r\n", out, sizeof(out)), 1);
	assert_string_equal(out, "Heater 1 fault");
	assert_int_equal(rrf_reply_error("Error: 0123456789", out, 5), 1);
	assert_string_equal(out, "0123");
}

static void
test_m32(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(rrf_m32("0:/gcodes/a.gcode", out, sizeof(out)), 0);
	assert_string_equal(out, "M32 \"0:/gcodes/a.gcode\"");
	assert_int_equal(rrf_m32("0:/gcodes/a\"b.gcode", out, sizeof(out)),
	    0);
	assert_string_equal(out, "M32 \"0:/gcodes/a\"\"b.gcode\"");
	assert_int_equal(rrf_m32("0:/gcodes/a\nM112", out, sizeof(out)), -1);
	assert_int_equal(rrf_m32("0:/gcodes/a-long-name.gcode", out, 16), -1);
}

static void
test_sbc_connect(void **state)
{
	struct rrf_session s;
	char why[256];
	json_t *a;

	(void)state;
	/* DSF 3.5 answering rr_connect for older clients: connected, but
	 * emulated; the board itself says no such thing. */
	a = j("{\"apiLevel\":1,\"err\":0,\"isEmulated\":true,"
	    "\"sessionTimeout\":8000,\"boardType\":\"duet3mb6hc100\"}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_CONNECTED);
	assert_true(s.emulated);
	assert_false(s.has_key);
	json_decref(a);
	a = j("{\"err\":0,\"sessionKey\":7}");
	assert_int_equal(rrf_connect_parse(a, &s, why, sizeof(why)),
	    RRF_CONNECTED);
	assert_false(s.emulated);
	json_decref(a);

	/* /machine/connect: a string key, kept as it is. */
	a = j("{\"sessionKey\":\"1f3a-9b\"}");
	assert_int_equal(rrf_sbc_connect_parse(a, &s, why, sizeof(why)),
	    RRF_CONNECTED);
	assert_true(s.open && s.sbc && s.has_key);
	assert_string_equal(s.sbc_key, "1f3a-9b");
	json_decref(a);
	a = j("{\"sessionKey\":42}");
	assert_int_equal(rrf_sbc_connect_parse(a, &s, why, sizeof(why)),
	    RRF_CONNECTED);
	assert_string_equal(s.sbc_key, "42");
	json_decref(a);
	/* A key that would break its header, none, or an empty one: no
	 * session. */
	a = j("{\"sessionKey\":\"a\\r\\nX-Evil: 1\"}");
	assert_int_equal(rrf_sbc_connect_parse(a, &s, why, sizeof(why)),
	    RRF_BAD_ANSWER);
	assert_false(s.open);
	assert_non_null(strstr(why, "not printable"));
	json_decref(a);
	a = j("{\"sessionKey\":\"a b\"}");
	assert_int_equal(rrf_sbc_connect_parse(a, &s, why, sizeof(why)),
	    RRF_BAD_ANSWER);
	json_decref(a);
	a = j("{\"sessionKey\":\"\"}");
	assert_int_equal(rrf_sbc_connect_parse(a, &s, why, sizeof(why)),
	    RRF_BAD_ANSWER);
	json_decref(a);
	a = j("{\"err\":0}");
	assert_int_equal(rrf_sbc_connect_parse(a, &s, why, sizeof(why)),
	    RRF_BAD_ANSWER);
	assert_non_null(strstr(why, "without its sessionKey"));
	json_decref(a);
	assert_int_equal(rrf_sbc_connect_parse(NULL, &s, why, sizeof(why)),
	    RRF_BAD_ANSWER);
}

/* The whole model, as DSF's /machine/model has it. */
static void
test_sbc_model(void **state)
{
	struct rrf_view v;
	char why[256];
	json_t *a;

	(void)state;
	a = j("{\"boards\":[{\"shortName\":\"MB6HC\"}],"
	    "\"state\":{\"status\":\"paused\",\"upTime\":30,"
	    "\"messageBox\":{\"mode\":2,\"title\":\"T\",\"message\":"
	    "\"M\",\"seq\":4}},"
	    "\"job\":{\"file\":{\"fileName\":\"0:/gcodes/a.gcode\","
	    "\"size\":1000,\"numLayers\":6},\"filePosition\":400,"
	    "\"layer\":3,\"lastFileName\":\"0:/gcodes/b.gcode\","
	    "\"lastFileCancelled\":true,\"lastFileAborted\":false},"
	    "\"heat\":{\"bedHeaters\":[0],\"heaters\":[{\"current\":60,"
	    "\"active\":60},{\"current\":199.5,\"active\":200}]}}");
	rrf_view_init(&v);
	assert_int_equal(rrf_view_model(a, &v, why, sizeof(why)), 0);
	assert_int_equal(v.status, RRF_PAUSED);
	assert_int_equal(v.uptime, 30);
	assert_int_equal(v.box.mode, 2);
	assert_int_equal(v.box.seq, 4);
	assert_string_equal(v.box.code[0], "M292 P0 S4");
	assert_string_equal(v.file, "0:/gcodes/a.gcode");
	assert_int_equal(v.size, 1000);
	assert_int_equal(v.pos, 400);
	assert_int_equal(v.layer, 3);
	assert_int_equal(v.layers, 6);
	assert_true(v.has_last_flags && v.last_cancelled && !v.last_aborted);
	assert_true(v.has_bed && v.has_tool);
	assert_true(v.tool[0] == 199.5 && v.bed[1] == 60);
	json_decref(a);

	/* DSF without its board. */
	a = j("{\"state\":{\"status\":\"disconnected\"},\"job\":{},"
	    "\"heat\":{\"heaters\":[]}}");
	rrf_view_init(&v);
	assert_int_equal(rrf_view_model(a, &v, why, sizeof(why)), 0);
	assert_int_equal(v.status, RRF_DISCONNECTED);
	assert_false(v.has_tool || v.has_bed);
	assert_int_equal(v.pos, -1);
	json_decref(a);

	/* Of the wrong shape: each says what is missing. */
	a = j("[1,2]");
	assert_int_equal(rrf_view_model(a, &v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not an object"));
	json_decref(a);
	a = j("{\"state\":{\"status\":\"idle\"},\"heat\":{}}");
	assert_int_equal(rrf_view_model(a, &v, why, sizeof(why)), -1);
	assert_string_equal(why, "the object model has no job");
	json_decref(a);
	a = j("{\"state\":{\"status\":3},\"job\":{},\"heat\":{}}");
	assert_int_equal(rrf_view_model(a, &v, why, sizeof(why)), -1);
	assert_string_equal(why, "the object model's state: no status");
	json_decref(a);
	a = j("{\"state\":{\"status\":\"idle\"},\"job\":{},"
	    "\"heat\":{\"heaters\":{}}}");
	assert_int_equal(rrf_view_model(a, &v, why, sizeof(why)), -1);
	assert_string_equal(why, "the object model's heat: no heaters");
	json_decref(a);
	assert_int_equal(rrf_view_model(NULL, &v, why, sizeof(why)), -1);
}

/* In SBC mode the flags say how it ended; DSF without its board says
 * nothing of the job, which waits, and is followed on after. */
static void
test_fate_sbc(void **state)
{
	struct rrf_track t;
	struct rrf_view v;

	(void)state;
	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_PROCESSING, OURS, 11, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PRINTING);
	view(&v, RRF_DISCONNECTED, "", 0, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_WAITING);
	assert_int_equal(rrf_track(&t, &v), RRF_F_WAITING);
	view(&v, RRF_PROCESSING, OURS, 14, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PRINTING);
	/* Stopped from printing, but DSF says canceled: canceled. */
	view(&v, RRF_IDLE, "", 15, OURS);
	v.has_last_flags = 1;
	v.last_cancelled = 1;
	assert_int_equal(rrf_track(&t, &v), RRF_F_CANCELED);
	/* And one it says ended well is completed. */
	rrf_track_start(&t, OURS, NULL);
	view(&v, RRF_PROCESSING, OURS, 16, "");
	assert_int_equal(rrf_track(&t, &v), RRF_F_PRINTING);
	view(&v, RRF_IDLE, "", 17, OURS);
	v.has_last_flags = 1;
	assert_int_equal(rrf_track(&t, &v), RRF_F_COMPLETED);
}

static void
test_status_names(void **state)
{
	(void)state;
	assert_int_equal(rrf_status_parse("changingTool"), RRF_CHANGINGTOOL);
	assert_string_equal(rrf_status_name(RRF_CANCELLING), "cancelling");
	assert_int_equal(rrf_status_parse("Idle"), RRF_UNKNOWN);
	assert_true(rrf_printing(RRF_PAUSED));
	assert_false(rrf_printing(RRF_BUSY));
	assert_int_equal(rrf_status_parse("disconnected"), RRF_DISCONNECTED);
	assert_string_equal(rrf_status_name(RRF_DISCONNECTED),
	    "disconnected");
	assert_false(rrf_printing(RRF_DISCONNECTED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_box),
		cmocka_unit_test(test_fate_completed),
		cmocka_unit_test(test_fate_canceled),
		cmocka_unit_test(test_fate_faults),
		cmocka_unit_test(test_fate_not_started),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_m32),
		cmocka_unit_test(test_sbc_connect),
		cmocka_unit_test(test_sbc_model),
		cmocka_unit_test(test_fate_sbc),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
