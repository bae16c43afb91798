/*
 * analyse_json.c - an analysis as JSON, for gprint --check --json and
 * for the metadata spoold keeps with each job.  Written with jansson.
 *
 * Security: the strings come from the file (a slicer's name, objects'
 * names): what is not UTF-8 becomes '?', so every document is valid
 * JSON whatever the file held.
 *
 * Diagnostics: none; only an allocation can fail, and that aborts.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyse.h"

/* Text from the file is anybody's: invalid UTF-8 becomes '?'. */
static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s);
	char *copy, *p;

	if (j != NULL)
		return j;
	copy = strdup(s);
	if (copy == NULL)
		abort();
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j ? j : json_string("");
}

static json_t *
rounded(double v, double unit)
{
	return json_real(round(v / unit) * unit);
}

/* What the file was made for (null: its slicer said nothing of it):
 * model, nozzle and materials one a tool (null: not said), bed, and
 * the tools the file extrudes with. */
static json_t *
made_for_json(const struct analysis *a)
{
	json_t *o, *noz, *mat, *used;
	int t, last = -1;

	if (!analyse_made_for(a))
		return json_null();
	for (t = 0; t < ANALYSE_TOOLS; t++)
		if (a->for_nozzle[t] > 0 || a->for_material[t][0])
			last = t;
	noz = json_array();
	mat = json_array();
	used = json_array();
	for (t = 0; t <= last; t++) {
		json_array_append_new(noz, a->for_nozzle[t] > 0 ?
		    rounded(a->for_nozzle[t], 0.001) : json_null());
		json_array_append_new(mat, a->for_material[t][0] ?
		    jstr(a->for_material[t]) : json_null());
	}
	for (t = 0; t < ANALYSE_TOOLS; t++)
		if (analyse_uses_tool(a, t))
			json_array_append_new(used, json_integer(t));
	o = json_object();
	json_object_set_new(o, "model", a->for_model[0] ?
	    jstr(a->for_model) : json_null());
	json_object_set_new(o, "nozzle", noz);
	json_object_set_new(o, "materials", mat);
	json_object_set_new(o, "bed", a->for_bed[0] ? jstr(a->for_bed) :
	    json_null());
	json_object_set_new(o, "tools", used);
	return o;
}

char *
analyse_json(const struct analysis *a, const char *file, int accepted,
    const char *reason, int flags)
{
	json_t *o = json_object(), *arr, *t;
	char *s;
	int i, last = -1;

	json_object_set_new(o, "file", jstr(file ? file : ""));
	json_object_set_new(o, "accepted", json_boolean(accepted));
	json_object_set_new(o, "reason", jstr(reason ? reason : ""));
	json_object_set_new(o, "line", json_integer(accepted ? 0 :
	    (json_int_t)a->error_line));
	/* Where a refused file's analysis stopped: what follows is of the
	 * lines before it (all of them with keep_going). */
	json_object_set_new(o, "stopped_at_line", accepted ? json_null() :
	    json_integer((json_int_t)analyse_stopped_line(a)));
	arr = json_array();
	for (i = 0; !accepted && (unsigned long)i < a->nreasons &&
	    i < ANALYSE_REASONS; i++)
		json_array_append_new(arr, jstr(a->reasons[i]));
	json_object_set_new(o, "reasons", arr);
	json_object_set_new(o, "reasons_found", json_integer(accepted ? 0 :
	    (json_int_t)a->nreasons));
	arr = json_array();
	for (i = 0; i < ANALYSE_DIALECTS; i++) {
		char more[64] = "";

		if (a->nwarnings[i] == 0)
			continue;
		if (a->nwarnings[i] > 1)
			snprintf(more, sizeof(more), " (and %lu more line%s like"
			    " it)", a->nwarnings[i] - 1, a->nwarnings[i] > 2 ? "s" :
			    "");
		t = json_sprintf("%s%s", a->warnings[i], more);
		json_array_append_new(arr, t ? t : jstr(a->warnings[i]));
	}
	json_object_set_new(o, "warnings", arr);
	json_object_set_new(o, "firmware",
	    jstr(gcode_firmware_name(a->pol.firmware)));
	json_object_set_new(o, "flavor", jstr(a->flavor));
	json_object_set_new(o, "slicer", jstr(a->slicer));
	json_object_set_new(o, "slicer_version", jstr(a->slicer_version));
	json_object_set_new(o, "layers", json_integer((json_int_t)a->layers));
	json_object_set_new(o, "first_layer_height", a->extruded &&
	    a->bbox_z_known ?
	    rounded(a->first_layer_z, 0.001) : json_null());
	json_object_set_new(o, "layer_height", a->nheights > 0 ?
	    rounded(analyse_layer_height(a), 0.001) : json_null());
	json_object_set_new(o, "estimated_seconds", json_integer(
	    a->slicer_seconds >= 0 ? a->slicer_seconds :
	    (json_int_t)llround(a->seconds)));
	json_object_set_new(o, "slicer_estimated_seconds",
	    a->slicer_seconds >= 0 ? json_integer(a->slicer_seconds) :
	    json_null());
	json_object_set_new(o, "gspool_estimated_seconds",
	    json_integer((json_int_t)llround(a->seconds)));
	for (i = 0; i < ANALYSE_TOOLS; i++)
		if (a->filament_mm[i] > 0)
			last = i;
	arr = json_array();
	for (i = 0; i <= last; i++)
		json_array_append_new(arr, rounded(a->filament_mm[i], 0.01));
	json_object_set_new(o, "filament_mm", arr);
	/* Grams: the slicer's figure where it gives one, else from the
	 * length for 1.75 mm PLA. */
	arr = json_array();
	for (i = 0; i <= last; i++) {
		double r = ANALYSE_FILAMENT_DIAMETER / 2;

		json_array_append_new(arr, rounded(a->slicer_filament_g[i] >= 0 ?
		    a->slicer_filament_g[i] : a->filament_mm[i] * M_PI * r * r *
		    ANALYSE_FILAMENT_DENSITY / 1000, 0.01));
	}
	json_object_set_new(o, "filament_g", arr);
	if (a->extruded) {
		/* Z is null when no move said where it was (a fragment). */
		t = json_object();
		json_object_set_new(t, "min", json_pack("[o,o,o]",
		    rounded(a->bbox_min[0], 0.001),
		    rounded(a->bbox_min[1], 0.001), a->bbox_z_known ?
		    rounded(a->bbox_min[2], 0.001) : json_null()));
		json_object_set_new(t, "max", json_pack("[o,o,o]",
		    rounded(a->bbox_max[0], 0.001),
		    rounded(a->bbox_max[1], 0.001), a->bbox_z_known ?
		    rounded(a->bbox_max[2], 0.001) : json_null()));
		json_object_set_new(o, "bbox", t);
	} else
		json_object_set_new(o, "bbox", json_null());
	json_object_set_new(o, "max_hotend", json_real(a->max_hotend));
	json_object_set_new(o, "max_bed", json_real(a->max_bed));
	json_object_set_new(o, "max_chamber", json_real(a->max_chamber));
	json_object_set_new(o, "first_layer_hotend",
	    json_real(a->first_hotend));
	json_object_set_new(o, "first_layer_bed", json_real(a->first_bed));
	arr = json_array();
	for (i = 0; i < a->nthumbs; i++)
		json_array_append_new(arr, json_pack("{s:i,s:i,s:o,s:I}",
		    "width", a->thumbs[i].width, "height", a->thumbs[i].height,
		    "format", jstr(a->thumbs[i].format), "base64_bytes",
		    (json_int_t)a->thumbs[i].bytes));
	json_object_set_new(o, "thumbnails", arr);
	arr = json_array();
	for (i = 0; i < a->nobjects; i++)
		json_array_append_new(arr, jstr(a->objects[i]));
	json_object_set_new(o, "objects", arr);
	json_object_set_new(o, "made_for", made_for_json(a));
	json_object_set_new(o, "pauses", json_integer((json_int_t)a->pauses));
	json_object_set_new(o, "commands",
	    json_integer((json_int_t)a->lx.ncmds));
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) |
	    ((flags & ANALYSE_JSON_COMPACT) ? JSON_COMPACT : JSON_INDENT(2)));
	json_decref(o);
	if (s == NULL)
		abort();
	return s;
}
