/*
 * rrf.c - what a Duet board's answers mean (rrf.h): rr_connect's
 * session, rr_upload's err, the object model's state, job and heat as
 * rr_model gives them key by key, or DSF's /machine/connect session and
 * its whole object model in SBC mode, the firmware's replies, and the
 * fate of the job the backend follows.
 *
 * The fate is judged from the views one after another, because a board
 * in standalone mode does not say how a print ended: lastFileCancelled
 * and lastFileAborted are the single-board computer's (used when they
 * are there).  RepRapFirmware cancels only a paused print (M0 after
 * M25), so a print that leaves the board idle from pausing, paused or
 * cancelling was canceled, and one that leaves it from printing ran
 * out; the file is ours once the board names it, or once lastFileName
 * does (a print too short to be seen).  upTime going back is a
 * restart, whatever the board says after it.  A DSF that has lost its
 * board ("disconnected") says nothing of the job: it waits.
 *
 * Security: the answers are outside input.  Only fields looked up by
 * name and type are used, strings are copied bounded, numbers are
 * checked for range; a field missing or of another type reads as
 * unknown, never as a value.
 *
 * Diagnostics: a malformed answer says which field of which key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rrf.h"

static const char *const status_names[] = {
	"unknown", "idle", "busy", "processing", "simulating", "pausing",
	"paused", "resuming", "cancelling", "halted", "off", "starting",
	"configuring", "updating", "changingTool", "disconnected"
};

enum rrf_status
rrf_status_parse(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(name, status_names[i]) == 0)
			return (enum rrf_status)i;
	return RRF_UNKNOWN;
}

const char *
rrf_status_name(enum rrf_status s)
{
	if ((size_t)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown";
	return status_names[s];
}

/* A print in progress, in any of its phases. */
int
rrf_printing(enum rrf_status s)
{
	return s == RRF_PROCESSING || s == RRF_SIMULATING ||
	    s == RRF_PAUSING || s == RRF_PAUSED || s == RRF_RESUMING ||
	    s == RRF_CANCELLING || s == RRF_CHANGINGTOOL;
}

static void
copy(char *dst, size_t dstsz, json_t *v)
{
	snprintf(dst, dstsz, "%s", json_is_string(v) ? json_string_value(v) :
	    "");
}

/* A whole number of at most 2^50 (the size of a card's file), or -1. */
static long long
whole(json_t *v)
{
	double d;

	if (json_is_integer(v))
		return json_integer_value(v) >= 0 &&
		    json_integer_value(v) < (1LL << 50) ?
		    (long long)json_integer_value(v) : -1;
	if (json_is_real(v)) {
		d = json_real_value(v);
		return d >= 0 && d < (double)(1LL << 50) ? (long long)d : -1;
	}
	return -1;
}

enum rrf_connect
rrf_connect_parse(json_t *answer, struct rrf_session *s, char *why,
    size_t whysz)
{
	json_t *e = json_object_get(answer, "err");
	json_t *k;

	memset(s, 0, sizeof(*s));
	if (!json_is_integer(e)) {
		snprintf(why, whysz, "rr_connect: an answer without its err");
		return RRF_BAD_ANSWER;
	}
	switch (json_integer_value(e)) {
	case 0:
		break;
	case 1:
		snprintf(why, whysz, "rr_connect: err 1, a wrong password");
		return RRF_WRONG_PASSWORD;
	case 2:
		snprintf(why, whysz, "rr_connect: err 2, no more sessions on"
		    " the board");
		return RRF_NO_SESSION;
	default:
		snprintf(why, whysz, "rr_connect: err %lld",
		    (long long)json_integer_value(e));
		return RRF_BAD_ANSWER;
	}
	s->open = 1;
	s->timeout_ms = (long)(whole(json_object_get(answer,
	    "sessionTimeout")) > 0 && whole(json_object_get(answer,
	    "sessionTimeout")) < 86400000 ? whole(json_object_get(answer,
	    "sessionTimeout")) : 8000);
	s->api_level = (long)(whole(json_object_get(answer, "apiLevel")) > 0 &&
	    whole(json_object_get(answer, "apiLevel")) < 1000 ?
	    whole(json_object_get(answer, "apiLevel")) : 0);
	copy(s->board, sizeof(s->board), json_object_get(answer,
	    "boardType"));
	/* A DSF answering for older clients: its own API is /machine/. */
	s->emulated = json_is_true(json_object_get(answer, "isEmulated"));
	if (strspn(s->board, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(s->board))
		s->board[0] = '\0';
	k = json_object_get(answer, "sessionKey");
	if (json_is_integer(k)) {
		s->has_key = 1;
		s->key = (long long)json_integer_value(k);
	} else if (k != NULL && !json_is_null(k)) {
		snprintf(why, whysz, "rr_connect: a sessionKey that is not a"
		    " number");
		s->open = 0;
		return RRF_BAD_ANSWER;
	}
	return RRF_CONNECTED;
}

/* /machine/connect's {"sessionKey": KEY}: KEY goes into a header, so
 * it is taken only as printable ASCII without spaces, bounded.  DSF
 * gives a string; a number is taken too. */
enum rrf_connect
rrf_sbc_connect_parse(json_t *answer, struct rrf_session *s, char *why,
    size_t whysz)
{
	json_t *k = json_object_get(answer, "sessionKey");
	const char *p;

	memset(s, 0, sizeof(*s));
	if (json_is_integer(k))
		snprintf(s->sbc_key, sizeof(s->sbc_key), "%lld",
		    (long long)json_integer_value(k));
	else if (json_is_string(k) && json_string_length(k) > 0 &&
	    json_string_length(k) < sizeof(s->sbc_key)) {
		for (p = json_string_value(k); *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 ||
			    (unsigned char)*p >= 0x7f) {
				snprintf(why, whysz, "/machine/connect: a"
				    " sessionKey that is not printable");
				return RRF_BAD_ANSWER;
			}
		snprintf(s->sbc_key, sizeof(s->sbc_key), "%s",
		    json_string_value(k));
	} else {
		snprintf(why, whysz, "/machine/connect: an answer without its"
		    " sessionKey");
		return RRF_BAD_ANSWER;
	}
	s->open = s->sbc = s->has_key = 1;
	s->timeout_ms = 8000;
	return RRF_CONNECTED;
}

/* {"err": N}: N, or -1 for an answer without it. */
int
rrf_err(json_t *answer)
{
	json_t *e = json_object_get(answer, "err");

	if (!json_is_integer(e) || json_integer_value(e) < 0 ||
	    json_integer_value(e) > 1000)
		return -1;
	return (int)json_integer_value(e);
}

void
rrf_view_init(struct rrf_view *v)
{
	memset(v, 0, sizeof(*v));
	v->status = RRF_UNKNOWN;
	v->uptime = v->size = v->pos = -1;
	v->box.mode = -1;
	v->box.seq = -1;
}

/* Button k of b: its label and what answers it, M292 Pp (Rr if r is
 * not negative) and the box's seq. */
static void
box_button(struct rrf_box *b, const char *label, int p, long long r)
{
	char rs[32] = "", ss[32] = "", *c;
	int k = b->nbuttons;

	if (k >= RRF_BOX_CHOICES)
		return;
	if (r >= 0)
		snprintf(rs, sizeof(rs), " R%lld", r);
	if (b->seq >= 0)
		snprintf(ss, sizeof(ss), " S%lld", b->seq);
	snprintf(b->button[k], sizeof(b->button[k]), "%s", label);
	/* One a line: a choice's own line breaks are spaces. */
	for (c = b->button[k]; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	snprintf(b->code[k], sizeof(b->code[k]), "M292 P%d%s%s", p, rs, ss);
	b->nbuttons++;
}

/* state.messageBox, null or absent when there is none. */
static void
box_parse(json_t *m, struct rrf_box *b)
{
	json_t *c, *e, *seq = json_object_get(m, "seq");
	const char *title, *msg;
	long long mode;
	size_t i;

	b->mode = -1;
	b->seq = -1;
	b->nbuttons = 0;
	b->text[0] = '\0';
	if (!json_is_object(m))
		return;
	mode = whole(json_object_get(m, "mode"));
	if (mode < 0 || mode > 100)
		return;
	b->mode = (int)mode;
	if (json_is_integer(seq) && json_integer_value(seq) >= 0)
		b->seq = (long long)json_integer_value(seq);
	b->cancel = json_is_true(json_object_get(m, "cancelButton"));
	title = json_string_value(json_object_get(m, "title"));
	msg = json_string_value(json_object_get(m, "message"));
	if (title != NULL && title[0] != '\0' && msg != NULL && msg[0] != '\0')
		snprintf(b->text, sizeof(b->text), "%s: %s", title, msg);
	else
		snprintf(b->text, sizeof(b->text), "%s", msg != NULL &&
		    msg[0] != '\0' ? msg : title != NULL && title[0] != '\0' ?
		    title : "a message box");
	switch (b->mode) {
	case 0:
		break;
	case 1:
		box_button(b, "Close", 0, -1);
		break;
	case 2:
		box_button(b, "OK", 0, -1);
		break;
	case 3:
		box_button(b, "OK", 0, -1);
		box_button(b, "Cancel", 1, -1);
		break;
	default:
		c = json_object_get(m, "choices");
		if (b->mode == 4)
			json_array_foreach(c, i, e) {
				if (!json_is_string(e) ||
				    i >= RRF_BOX_CHOICES - 1)
					break;
				box_button(b, json_string_value(e), 0,
				    (long long)i);
			}
		if (b->cancel)
			box_button(b, "Cancel", 1, -1);
		break;
	}
}

void
rrf_box_buttons(const struct rrf_box *b, char *out, size_t outsz)
{
	size_t n = 0;
	int k;

	if (outsz == 0)
		return;
	out[0] = '\0';
	for (k = 0; k < b->nbuttons && n < outsz; k++)
		n += (size_t)snprintf(out + n, outsz - n, "%s%s", k ? "\n" : "",
		    b->button[k]);
}

/* rr_model's {"key": KEY, "flags": F, "result": {...}}: the result. */
static json_t *
result_of(json_t *answer, const char *key, char *why, size_t whysz)
{
	json_t *k = json_object_get(answer, "key");
	json_t *r = json_object_get(answer, "result");

	if (!json_is_string(k) || strcmp(json_string_value(k), key) != 0) {
		snprintf(why, whysz, "rr_model?key=%s: the answer is for"
		    " another key", key);
		return NULL;
	}
	if (!json_is_object(r)) {
		snprintf(why, whysz, "rr_model?key=%s: no result object", key);
		return NULL;
	}
	return r;
}

/* The keys' objects, whoever gave them: what says where is "from". */
static int
state_of(json_t *r, struct rrf_view *v, const char *from, char *why,
    size_t whysz)
{
	json_t *s = json_object_get(r, "status");

	if (!json_is_string(s)) {
		snprintf(why, whysz, "%s: no status", from);
		return -1;
	}
	v->status = rrf_status_parse(json_string_value(s));
	v->uptime = whole(json_object_get(r, "upTime"));
	box_parse(json_object_get(r, "messageBox"), &v->box);
	return 0;
}

static void
job_of(json_t *r, struct rrf_view *v)
{
	json_t *f, *c, *a;
	long long layer;

	f = json_object_get(r, "file");
	copy(v->file, sizeof(v->file), json_object_get(f, "fileName"));
	v->size = whole(json_object_get(f, "size"));
	v->pos = whole(json_object_get(r, "filePosition"));
	layer = whole(json_object_get(r, "layer"));
	v->layer = layer > 0 && layer < 10000000 ? (long)layer : 0;
	layer = whole(json_object_get(f, "numLayers"));
	v->layers = layer > 0 && layer < 10000000 ? (long)layer : 0;
	copy(v->last_file, sizeof(v->last_file), json_object_get(r,
	    "lastFileName"));
	c = json_object_get(r, "lastFileCancelled");
	a = json_object_get(r, "lastFileAborted");
	v->has_last_flags = json_is_boolean(c) && json_is_boolean(a);
	v->last_cancelled = json_is_true(c);
	v->last_aborted = json_is_true(a);
}

/* A heater's current and active temperatures, if it has them. */
static int
heater(json_t *heaters, json_int_t i, double t[2])
{
	json_t *h = json_array_get(heaters, (size_t)i);
	json_t *c = json_object_get(h, "current");
	json_t *a = json_object_get(h, "active");

	if (i < 0 || !json_is_number(c) || !json_is_number(a))
		return 0;
	t[0] = json_number_value(c);
	t[1] = json_number_value(a);
	return 1;
}

static int
heat_of(json_t *r, struct rrf_view *v, const char *from, char *why,
    size_t whysz)
{
	json_t *hs, *bh;
	json_int_t bed = -1;
	size_t i;

	hs = json_object_get(r, "heaters");
	if (!json_is_array(hs)) {
		snprintf(why, whysz, "%s: no heaters", from);
		return -1;
	}
	bh = json_array_get(json_object_get(r, "bedHeaters"), 0);
	if (json_is_integer(bh))
		bed = json_integer_value(bh);
	v->has_bed = heater(hs, bed, v->bed);
	/* The hotend: the first heater that is not the bed's. */
	v->has_tool = 0;
	for (i = 0; i < json_array_size(hs) && !v->has_tool; i++)
		if ((json_int_t)i != bed)
			v->has_tool = heater(hs, (json_int_t)i, v->tool);
	return 0;
}

int
rrf_view_state(json_t *answer, struct rrf_view *v, char *why,
    size_t whysz)
{
	json_t *r;

	if ((r = result_of(answer, "state", why, whysz)) == NULL)
		return -1;
	return state_of(r, v, "rr_model?key=state", why, whysz);
}

int
rrf_view_job(json_t *answer, struct rrf_view *v, char *why, size_t whysz)
{
	json_t *r;

	if ((r = result_of(answer, "job", why, whysz)) == NULL)
		return -1;
	job_of(r, v);
	return 0;
}

int
rrf_view_heat(json_t *answer, struct rrf_view *v, char *why, size_t whysz)
{
	json_t *r;

	if ((r = result_of(answer, "heat", why, whysz)) == NULL)
		return -1;
	return heat_of(r, v, "rr_model?key=heat", why, whysz);
}

/* The whole model: its state, job and heat, each an object. */
int
rrf_view_model(json_t *model, struct rrf_view *v, char *why, size_t whysz)
{
	static const char *const keys[] = { "state", "job", "heat" };
	char from[64];
	size_t i;

	if (!json_is_object(model)) {
		snprintf(why, whysz, "the object model is not an object");
		return -1;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_is_object(json_object_get(model, keys[i]))) {
			snprintf(why, whysz, "the object model has no %s",
			    keys[i]);
			return -1;
		}
	snprintf(from, sizeof(from), "the object model's state");
	if (state_of(json_object_get(model, "state"), v, from, why,
	    whysz) < 0)
		return -1;
	job_of(json_object_get(model, "job"), v);
	snprintf(from, sizeof(from), "the object model's heat");
	return heat_of(json_object_get(model, "heat"), v, from, why, whysz);
}

void
rrf_track_start(struct rrf_track *t, const char *name,
    const struct rrf_view *before)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->last_before, sizeof(t->last_before), "%s",
	    before != NULL ? before->last_file : "");
	t->last = RRF_UNKNOWN;
	t->uptime = before != NULL ? before->uptime : -1;
}

enum rrf_fate
rrf_track(struct rrf_track *t, const struct rrf_view *v)
{
	int ran;

	if (v->status == RRF_DISCONNECTED)
		return RRF_F_WAITING;	/* the board is out of reach */
	if (v->uptime >= 0 && t->uptime >= 0 && v->uptime < t->uptime)
		return RRF_F_RESTARTED;
	if (v->uptime >= 0)
		t->uptime = v->uptime;
	if (v->status == RRF_HALTED)
		return RRF_F_HALTED;
	if (v->status == RRF_OFF)
		return RRF_F_POWER_OFF;
	if (strcmp(v->file, t->name) == 0 && rrf_printing(v->status)) {
		t->seen = 1;
		t->last = v->status;
		if (v->layers > 0)
			t->layers = v->layers;
		switch (v->status) {
		case RRF_PAUSING:
			return RRF_F_PAUSING;
		case RRF_PAUSED:
			return RRF_F_PAUSED;
		case RRF_CANCELLING:
			return RRF_F_CANCELING;
		default:
			return RRF_F_PRINTING;
		}
	}
	if (v->file[0] != '\0' && strcmp(v->file, t->name) != 0 &&
	    rrf_printing(v->status))
		return RRF_F_OTHER_FILE;
	if (strcmp(v->file, t->name) == 0 && !t->seen)
		return RRF_F_WAITING;	/* selected, not yet begun */
	/* Ours no longer prints.  It ran if it was seen, or if the board
	 * names it as its last file now and did not before. */
	ran = t->seen || (strcmp(v->last_file, t->name) == 0 &&
	    strcmp(t->last_before, t->name) != 0);
	if (!ran) {
		if (v->status == RRF_BUSY || v->status == RRF_STARTING ||
		    ++t->waits <= RRF_WAITS)
			return RRF_F_WAITING;
		return RRF_F_NOT_STARTED;
	}
	if (v->status == RRF_BUSY && v->file[0] == '\0' &&
	    strcmp(v->last_file, t->name) != 0)
		return RRF_F_WAITING;	/* the end's macro may still run */
	if (v->has_last_flags && strcmp(v->last_file, t->name) == 0)
		return v->last_cancelled || v->last_aborted ? RRF_F_CANCELED :
		    RRF_F_COMPLETED;
	if (t->last == RRF_PAUSING || t->last == RRF_PAUSED ||
	    t->last == RRF_CANCELLING)
		return RRF_F_CANCELED;
	return RRF_F_COMPLETED;
}

const char *
rrf_fate_name(enum rrf_fate f)
{
	static const char *const names[] = { "waiting", "printing",
		"pausing", "paused", "canceling", "completed", "canceled",
		"halted", "restarted", "power off", "another file",
		"not started" };

	if ((size_t)f >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[f];
}

/* The last "Error: ..." line of the firmware's replies, without the
 * word: 1 with out, 0 if there is none. */
int
rrf_reply_error(const char *reply, char *out, size_t outsz)
{
	const char *p, *found = NULL, *end;
	size_t n;

	for (p = reply; p != NULL && *p != '\0'; p = strchr(p, '\n') ?
	    strchr(p, '\n') + 1 : NULL) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "Error:", 6) == 0)
			found = p + 6;
	}
	if (found == NULL)
		return 0;
	while (*found == ' ')
		found++;
	end = found + strcspn(found, "\r\n");
	n = (size_t)(end - found);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, found, n);
	out[n] = '\0';
	return 1;
}

/* M32 "PATH", a quote in the path written twice as the firmware reads
 * a quoted string; 0, or -1 when it does not fit or holds a line's
 * end. */
int
rrf_m32(const char *path, char *out, size_t outsz)
{
	size_t n = 0;
	const char *p;

	if (outsz < 8 || strpbrk(path, "\r\n") != NULL)
		return -1;
	memcpy(out, "M32 \"", 5);
	n = 5;
	for (p = path; *p != '\0'; p++) {
		if (n + (*p == '"' ? 2 : 1) + 2 > outsz)
			return -1;
		if (*p == '"')
			out[n++] = '"';
		out[n++] = *p;
	}
	out[n++] = '"';
	out[n] = '\0';
	return 0;
}

/* The board's clock is set from rr_connect's time, local and without a
 * zone, as its web interface sends it. */
void
rrf_time(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(out, outsz, "1970-01-01T00:00:00");
}

/* The temperatures as spoold's temps message takes them. */
void
rrf_temps(const struct rrf_view *v, char *out, size_t outsz)
{
	out[0] = '\0';
	if (v->has_tool && v->has_bed)
		snprintf(out, outsz, "T:%.1f /%.1f B:%.1f /%.1f", v->tool[0],
		    v->tool[1], v->bed[0], v->bed[1]);
	else if (v->has_tool)
		snprintf(out, outsz, "T:%.1f /%.1f", v->tool[0], v->tool[1]);
	else if (v->has_bed)
		snprintf(out, outsz, "B:%.1f /%.1f", v->bed[0], v->bed[1]);
}
