#!/bin/sh
# Prints survive the spooler.  spoold is killed (SIGKILL) fifty times
# during a long print, at moments set by the print's progress, some of
# them while it starts; each new spoold re-attaches to the backend, which
# printed on.  The printer executes the file exactly and the job ends
# completed.  Then the backend itself is killed mid-print: the job ends
# stopped (interrupted) with its line and layer recorded, the printer
# waits to be cleared, and gpc resume-from continues the job from a
# layer: heat, Z taken as where the head stopped, lift, home X and Y,
# back over the layer, then the file from that layer on.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "clears_bed = no"

# 60 layers of 100 moves, with the markers Cura writes.
awk 'BEGIN {
	print "M140 S60"; print "M104 S200"; print "M190 S60"
	print "M109 S200"; print "G28"; print "G90"; print "M82"
	print "G92 E0"; print "M106 S128"
	for (l = 1; l <= 60; l++) {
		printf ";LAYER:%d\nG1 Z%.2f F600\n", l - 1, l * 0.2
		for (i = 0; i < 100; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i % 50,
			    10 + (i * 7) % 50, e
		}
	}
	print "M104 S0"; print "M140 S0"; print "M107"
}' > "$T/long.gcode"
total=$(gcode_commands "$T/long.gcode" | wc -l)

gs_vprinter --command-ms 3
gs_spoold
id=$(submit "$T/long.gcode")
restart() {
	kill -9 "$SPOOLD_PID"
	wait "$SPOOLD_PID" 2>/dev/null || true
	rm -f "$T/spool/control"
	gs_spoold
}
n=0
while [ "$n" -lt 50 ]; do
	n=$((n + 1))
	case $((n % 5)) in
	0)	# Killed again while it starts, re-attaching.
		kill -9 "$SPOOLD_PID"
		wait "$SPOOLD_PID" 2>/dev/null || true
		"$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
		SPOOLD_PID=$!
		restart ;;
	1|3)	# At a point of the print.
		"$WAITFOR" lines "$T/vprinter.log" $((n * 100)) ||
			fail "the print stalled before line $((n * 100))"
		restart ;;
	*)	# As soon as it is up.
		restart ;;
	esac
done
"$GQUEUE" -w "$id" > "$T/wait.out" ||
	fail "the job did not complete: $(cat "$T/wait.out")"
expect_log "$T/long.gcode"
# Restarts late in the print may find it over (the job must then be
# completed, as above); the first ones are well inside it.
re=$(grep -c "re-attached to backend" "$T/spoold.log" || true)
[ "$re" -ge 10 ] || fail "spoold re-attached $re times in 50 restarts"
"$GQUEUE" --json --history "$id" > "$T/h.json"
grep -q '"state": "completed"' "$T/h.json" || fail "history: $(cat "$T/h.json")"
grep -q "\"lines_done\": $total," "$T/h.json" || fail "history: $(cat "$T/h.json")"

# The bed holds the part: the next job waits for gpc ready.
"$GQUEUE" > "$T/q.out"
grep -qx "mk3 is awaiting-clear: clear its bed, then gpc ready mk3" "$T/q.out" ||
	fail "gqueue after the print: $(cat "$T/q.out")"
id2=$(submit "$T/long.gcode")
"$GQUEUE" > "$T/q.out"
grep -q "^1st .* $id2 " "$T/q.out" || fail "job $id2 did not wait: $(cat "$T/q.out")"
"$GPC" ready mk3 || fail "gpc ready"

# Kill the backend in the middle of job 2.
"$WAITFOR" lines "$T/vprinter.log" $((total + 3000)) || fail "job $id2 did not print"
ready=$(grep -c "mk3: ready" "$T/spoold.log" || true)
pkill -9 -f -- "-d $T/spool/run" || fail "no backend to kill"
out=$("$GQUEUE" -w "$id2") && fail "job $id2 completed without its backend"
case "$out" in
"mk3-$id2: stopped: interrupted"*) ;;
*) fail "gqueue -w $id2: $out" ;;
esac
"$GQUEUE" --json "$id2" > "$T/j.json"
layer=$(sed -n 's/.*"layer": \([0-9]*\).*/\1/p' "$T/j.json" | head -n 1)
grep -q '"state": "stopped"' "$T/j.json" || fail "job $id2: $(cat "$T/j.json")"
grep -q '"lines_done": [1-9]' "$T/j.json" || fail "no line recorded: $(cat "$T/j.json")"
[ "${layer:-0}" -ge 20 ] || fail "no layer recorded: $(cat "$T/j.json")"
grep -qx "mk3 is awaiting-clear.*" "$T/q.out" 2>/dev/null || true

# A new backend starts; resume-from continues the job at that layer.
"$WAITFOR" count "$T/spoold.log" "mk3: ready" $((ready + 1)) || fail "no new backend"
"$GPC" resume-from "$id2" 0 2> "$T/err" && fail "resumed from layer 0"
"$GPC" resume-from "$id2" "$layer" || fail "gpc resume-from $id2 $layer"
"$GQUEUE" -w "$id2" > "$T/wait.out" || fail "the resumed job: $(cat "$T/wait.out")"
# The log ends with the preamble, then the file from that layer on.
awk -v m=";LAYER:$((layer - 1))" '$0 == m { on = 1 } on' "$T/long.gcode" > "$T/rest.gcode"
rest=$(gcode_commands "$T/rest.gcode" | wc -l)
tail -n "$rest" "$T/vprinter.log" > "$T/tail.log"
gcode_commands "$T/rest.gcode" | cmp -s - "$T/tail.log" ||
	fail "the printer's log does not end with layer $layer on"
tail -n $((rest + 20)) "$T/vprinter.log" | head -n 20 > "$T/pre.log"
for c in "M190 S60" "M109 S200" "G28 X Y" "G1 Z5 F600" "M106 S128"; do
	grep -qx "$c" "$T/pre.log" || fail "no '$c' before the layer: $(cat "$T/pre.log")"
done
grep -q "^G92 Z" "$T/pre.log" || fail "Z not set before the layer: $(cat "$T/pre.log")"
grep -q "^G92 E" "$T/pre.log" || fail "E not set before the layer: $(cat "$T/pre.log")"
echo "PASS"
