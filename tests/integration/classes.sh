#!/bin/sh
# Classes: jobs sent to a class spread over its ready printers and
# record where they ran, and spoold's lines name them by their name; a
# job for a class must suit every member; a drop subfolder named after
# the class sends its files there; a disabled class keeps its jobs.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "" "[printer mk4]" "device = $T/mk4.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" "max_hotend = 250" "" \
    "[class farm]" "printers = mk3 mk4" "description = the print farm"
gs_vprinter --command-ms 1
"$VPRINTER" -o "$T/vprinter4.log" --command-ms 1 "$T/mk4.tty" 2>>"$T/vprinter4.err" &
"$WAITFOR" exists "$T/mk4.tty" || fail "the second printer did not start"
gs_spoold
"$GPC" status > "$T/st.out"
grep -q "^farm: class of mk3 mk4$" "$T/st.out" || fail "gpc status: $(cat "$T/st.out")"

# Four jobs for the class: both printers print.
ids=
for n in 1 2 3 4; do
	out=$("$GPRINT" -P farm "$CUBE") || fail "gprint -P farm"
	case "$out" in "request id is farm-"*) ;; *) fail "gprint said: $out" ;; esac
	id=${out#request id is farm-}
	ids="$ids ${id%% *}"
done
# shellcheck disable=SC2086
"$GQUEUE" -w $ids > "$T/wait.out" || fail "the class jobs: $(cat "$T/wait.out")"
"$GQUEUE" -a --json --history > "$T/h.json"
n3=$(grep -c '"printer": "mk3"' "$T/h.json" || true)
n4=$(grep -c '"printer": "mk4"' "$T/h.json" || true)
[ "$n3" -ge 1 ] && [ "$n4" -ge 1 ] && [ $((n3 + n4)) -eq 4 ] ||
	fail "the jobs did not spread: mk3 $n3, mk4 $n4"
grep -c '"destination": "farm"' "$T/h.json" | grep -qx 4 || fail "destinations: $(cat "$T/h.json")"
# spoold names each by its name, not by the member it printed on, and
# so does gqueue -w, given the number.
for id in $ids; do
	grep -qx "farm-$id: completed" "$T/wait.out" || fail "gqueue -w $id: $(cat "$T/wait.out")"
	grep -q "farm-$id: sent to the printer" "$T/spoold.log" ||
		fail "no log line names farm-$id: $(grep -E -- "-$id: " "$T/spoold.log")"
	! grep -E "^spoold: .*mk[34]-$id([^0-9]|\$)" "$T/spoold.log" ||
		fail "spoold named farm-$id by its printer"
done
lines=$(gcode_commands "$CUBE" | wc -l)
[ $(( $(wc -l < "$T/vprinter.log") + $(wc -l < "$T/vprinter4.log") )) -eq $((lines * 4)) ] ||
	fail "the printers did not print each job once"

# A job for the class must suit mk4 too.
printf 'M104 S260\nG28\n' > "$T/hot.gcode"
"$GPRINT" -P farm "$T/hot.gcode" 2> "$T/err" && fail "the class took a job too hot for mk4"
grep -q "above the printer's max_hotend 250" "$T/err" || fail "gprint said: $(cat "$T/err")"
"$GPRINT" -P mk3 -q "$T/hot.gcode" > /dev/null || fail "mk3 refused a job it can print"

# A disabled class keeps its jobs; the drop subfolder of a class.
"$GPC" -r "night" disable farm || fail "gpc disable farm"
drop="$T/spool/drop/$(id -un)"
mkdir -p "$drop/farm"
cp "$CUBE" "$drop/farm/dropped.gcode"
"$WAITFOR" gone "$drop/farm/dropped.gcode" || fail "the class folder was not taken"
"$GQUEUE" -P farm > "$T/q.out"
grep -q "^1st .* dropped.gcode " "$T/q.out" || fail "gqueue -P farm: $(cat "$T/q.out")"
grep -qx "	farm is disabled: night" "$T/q.out" || fail "gqueue -P farm: $(cat "$T/q.out")"
"$GPC" enable farm
id=$("$GQUEUE" --json -P farm | sed -n 's/.*"name": "farm-\([0-9]*\)".*/\1/p' | head -n 1)
[ -n "$id" ] || fail "no job for farm"
"$GQUEUE" -w "$id" > /dev/null || fail "the dropped job did not print"
echo "PASS"
