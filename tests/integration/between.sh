#!/bin/sh
# A printer that clears its own bed (clears_bed) takes one job after
# another without gpc ready, and runs its between_jobs G-code before each
# job that follows another, not before the first.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "between_jobs = G1 Z150 F600" "  M84"
printf 'G1 Z150 F600\nM84\n' > "$T/between.gcode"
printf 'G28\nG1 X1 F3000\n' > "$T/a.gcode"
printf 'G28\nG1 X2 F3000\n' > "$T/b.gcode"
gs_vprinter
gs_spoold
a=$(submit "$T/a.gcode")
b=$(submit "$T/b.gcode")
"$GQUEUE" -w "$a" "$b" > /dev/null || fail "the jobs did not print"
expect_log "$T/a.gcode" "$T/between.gcode" "$T/b.gcode"
"$GQUEUE" | grep -qx "mk3 is ready" || fail "gqueue: $("$GQUEUE")"
echo "PASS"
