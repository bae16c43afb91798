/*
 * fit.h - does a job suit a printer: what its file was made for (the
 * slicer's printer model, each tool's nozzle and filament type, as the
 * analyser found them) against what the printer is (gspool.conf's
 * model and nozzle) and has loaded now (materials, gpc load).
 *
 * Pure logic, no I/O: spoold judges at submission and again at
 * handover, gprint --check for the printer -P names.
 */
#ifndef GSPOOL_FIT_H
#define GSPOOL_FIT_H

#include <stddef.h>

#include "analyse.h"

#define FIT_MODELS	8		/* names a printer answers to */
#define FIT_REASON	320

/* What a mismatch of one key does (fit_model, fit_nozzle,
 * fit_material): the job is refused at submission, held, or the key is
 * not judged. */
enum fit_policy { FIT_REFUSE, FIT_HOLD, FIT_IGNORE };
enum fit_key { FIT_MODEL, FIT_NOZZLE, FIT_MATERIAL, FIT_KEYS };
extern const char *const fit_policy_names[];	/* refuse, hold, ignore */
extern const char *const fit_key_names[FIT_KEYS];	/* model, ... */

/* What a job's file was made for: "" and 0 where its slicer did not
 * say.  tools: a bit for each tool the file extrudes with. */
struct fit_file {
	int		 said;		/* any of it */
	char		 model[ANALYSE_NAME];
	double		 nozzle[ANALYSE_TOOLS];
	char		 material[ANALYSE_TOOLS][ANALYSE_MATERIAL];
	unsigned	 tools;
};

/* What a printer is and has: "" and 0 where not declared, which is not
 * judged.  ntools: the tools it declares (nozzle or materials), 0 if
 * none. */
struct fit_printer {
	const char	*name;
	char		 models[FIT_MODELS][ANALYSE_NAME];
	int		 nmodels;
	double		 nozzle[ANALYSE_TOOLS];
	int		 nnozzles;
	char		 material[ANALYSE_TOOLS][ANALYSE_MATERIAL];
	int		 nmaterials;
	enum fit_policy	 policy[FIT_KEYS];
};

/* The verdict: FIT_OK, or the worst policy of the keys that do not
 * match (FIT_HOLD or FIT_REFUSE, as enum fit_policy). */
#define FIT_OK		(-1)

/* From an analysis; from the analyser's made_for JSON object (the
 * text of it, "" or "null" for none): 0, or -1 if it is not one. */
void	fit_file_from_analysis(struct fit_file *, const struct analysis *);
int	fit_file_from_json(struct fit_file *, const char *json);

/*
 * Judge a file for a printer: FIT_OK, or FIT_HOLD or FIT_REFUSE with
 * why saying what does not match, of the worst key ("sliced for nozzle
 * 0.6 mm; mk3 has 0.4", "needs PETG; mk3 has PLA loaded (gpc load to
 * change)", "sliced for MK4S; mk3 is MK3S"), and want what a class's
 * member would need ("has PETG loaded", "has a 0.6 mm nozzle", "is
 * model MK4S"), for "no member of farm has PETG loaded".  A key of policy
 * ignore is not judged; a file that says nothing suits every printer.
 */
int	fit_judge(const struct fit_file *, const struct fit_printer *,
	    char *why, size_t whysz, char *want, size_t wantsz);

/* Parse "a, b" into the printer's model names, "0.4,0.6" into its
 * nozzles, "PLA,PETG" into its materials: 0, or -1 with why. */
int	fit_parse_models(struct fit_printer *, const char *, char *why,
	    size_t whysz);
int	fit_parse_nozzles(struct fit_printer *, const char *, char *why,
	    size_t whysz);
int	fit_parse_materials(struct fit_printer *, const char *, char *why,
	    size_t whysz);
/* A filament type as gpc load takes it: 1 if it is one ("" and "none"
 * are none loaded, which is 1 too). */
int	fit_material_ok(const char *);
/* The printer's materials as "PLA,PETG" ("" a tool with none). */
void	fit_materials_text(const struct fit_printer *, char *out,
	    size_t outsz);
/* Is a job's hold reason one of fit_judge()'s? */
int	fit_is_reason(const char *);

#endif
