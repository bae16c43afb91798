#!/bin/sh
# gpc resume while the job is still pausing: the job is shown paused as
# soon as the pause is asked (gqueue(1)), so a resume then is taken, and
# carried out once the printer has acknowledged the pause G-code.  Here
# the pause G-code waits for a heater, which holds the job pausing for a
# few seconds; the resume comes in that time.
. "$top_srcdir/tests/integration/lib.sh"

gs_config "pause_gcode = M400" "  M109 S230 ; warmer while it waits" \
    "resume_gcode = M117 back"
gs_vprinter --command-ms 2 --heat-time 4
gs_spoold
id=$(submit "$CUBE")
"$WAITFOR" lines "$T/vprinter.log" 400 || fail "the print did not start"
"$GPC" pause mk3 || fail "gpc pause"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: pausing" || fail "never pausing"
"$GPC" resume mk3 2> "$T/err" || fail "gpc resume while pausing: $(cat "$T/err")"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: resumed by request: once the pause is done" ||
	fail "the resume was not kept for the end of the pause"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "the job did not complete: $(cat "$T/wait.out")"
# Paused, then printing again: the pause G-code and then the resume
# G-code reached the printer once each.
grep -q "mk3-$id: paused" "$T/spoold.log" || fail "never paused"
[ "$(grep -c '^M109 S230$' "$T/vprinter.log")" -eq 1 ] || fail "the pause G-code ran $(grep -c '^M109 S230$' "$T/vprinter.log") times"
[ "$(grep -c '^M117 back$' "$T/vprinter.log")" -eq 1 ] || fail "the resume G-code ran $(grep -c '^M117 back$' "$T/vprinter.log") times"
awk '/^M109 S230$/ { p = NR } /^M117 back$/ { r = NR } END { exit !(p && r > p) }' \
    "$T/vprinter.log" || fail "the resume G-code came before the pause's"
grep -q "mk3-$id: completed" "$T/spoold.log" || fail "not completed"
echo "PASS"
