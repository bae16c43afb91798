/*
 * heaters.h - a firmware's temperature report read as numbers: each
 * heater's actual and target temperature and, where the firmware says
 * it, the power it drives the heater with.
 *
 * Pure logic, no I/O.  The text is whatever the printer sent (Marlin's
 * "T:210.0 /210.0 B:60.0 /60.0 @:127 B@:0", with T0: .. Tn: and @0: ..
 * @n: on several extruders, C: for a chamber; Klipper's "B:60.0 /60.0
 * T0:210.0 /210.0"), so nothing in it is trusted: a word that is not a
 * known heater followed by a number in range gives no heater, and a
 * report of nothing but such words gives none at all.
 */
#ifndef GSPOOL_HEATERS_H
#define GSPOOL_HEATERS_H

#include <stddef.h>

#define HEATERS_MAX		8
#define HEATER_NAME		8
#define HEATER_MIN_C		(-300.0)	/* a number outside is none */
#define HEATER_MAX_C		2000.0

struct heater {
	char	name[HEATER_NAME];	/* T0 .. T7, B, C */
	double	actual;			/* degrees C */
	double	target;			/* degrees C, 0: off */
	int	power;			/* the firmware's PWM (Marlin: 0-127
					   or 0-255), -1 if not said */
};

/*
 * The heaters in the report s, in the order the report names them,
 * at most max: their number.  A lone "T:" is T0 unless the report names
 * T0: itself (Marlin on several extruders then repeats the active one
 * as T:); "@:" is T0's power, or the active one's when T is the only
 * hotend named; "@n:" is Tn's, "B@:" B's, "C@:" C's.  A "W:" (the wait
 * countdown of M109) and Marlin's raw readings in parentheses are
 * skipped.
 */
int	heaters_parse(const char *s, struct heater *h, int max);

#endif
