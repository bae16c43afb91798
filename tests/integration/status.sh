#!/bin/sh
# The status model (spoold/status.c), as gqueue, gqueue --json and gpc
# status show it: each activity a printer can be in (idle, heating,
# printing, paused, not responding, offline; heating both on a wait for
# a heater and before the first move), the heaters as numbers and
# when they are stale, and a job's progress by layer and by time.
# Every change of activity is logged ("mk3-7: status heating"): the
# test waits for those lines, then reads the status.
. "$top_srcdir/tests/integration/lib.sh"
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }
gs_config
gs_vprinter --heat-time 4 --command-ms 2 --time-scale 0.01
gs_spoold

# st FILTER: the jq filter applied to mk3's status in gqueue --json.
st() {
	"$GQUEUE" --json | jq -r ".printers[] | select(.name == \"mk3\") | .status | $1"
}

"$WAITFOR" contains "$T/spoold.log" "mk3: status idle" || fail "never idle"
[ "$(st .activity)" = idle ] || fail "not idle: $(st .)"
"$GPC" status mk3 > "$T/out"
grep -q "^mk3: ready" "$T/out" && ! grep -q "mk3-" "$T/out" ||
	fail "gpc status: $(cat "$T/out")"
# A client of protocol 3 still reads its printer row's fields where
# they were; the status model follows them, the last.
if command -v python3 > /dev/null; then
python3 - "$T/spool/control" > "$T/old.out" <<'PY' || fail "an older client: $(cat "$T/old.out")"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"hello\t3")
print(s.recv(8192).decode().split("\t")[0])
s.send(b"queue\tmk3")
while True:
    f = s.recv(8192).decode().split("\t")
    if f[0] == "end":
        break
    if f[0] == "printer":
        print(len(f), f[1], f[2], f[11], f[18][:12])
PY
[ "$(cat "$T/old.out")" = "ok
22 mk3 ready 1 {\"activity\":" ] || fail "an older client read: $(cat "$T/old.out")"
else
	echo "note: no python3: the older client is not tried"
fi

# Heating: the job waits on M190 and M109 before its first move.
{
	echo "M140 S60"
	echo "M104 S200"
	echo "M190 S60"
	echo "M109 S200"
	echo "G28"
	echo "G92 E0"
	awk 'BEGIN { for (i = 0; i < 6000; i++) printf "G1 X%d Y%d E%.2f F6000\n", i % 200, (i / 200) % 200, i * 0.01 }'
} > "$T/job.gcode"
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status heating" ||
	fail "never heating"
"$WAITFOR" contains "$T/spoold.log" "mk3: heaters' targets: T0 200, B 60" ||
	fail "no report of the heaters' targets"
st . > "$T/heating.json"
[ "$(jq -r .activity "$T/heating.json")" = heating ] ||
	fail "not heating: $(cat "$T/heating.json")"
jq -e '.heaters | map(select(.name == "B")) | .[0].target == 60' "$T/heating.json" > /dev/null ||
	fail "no bed target of 60: $(cat "$T/heating.json")"
jq -e '.heaters | map(select(.name == "T0")) | .[0] | .target == 200 and .actual < 200 and (.stale | not)' \
    "$T/heating.json" > /dev/null || fail "no hotend heating to 200: $(cat "$T/heating.json")"
jq -e '.progress.job == '"$id"' and .progress.layers >= 1' "$T/heating.json" > /dev/null ||
	fail "no progress: $(cat "$T/heating.json")"
"$GQUEUE" > "$T/out"
grep -q "^	heating mk3-$id (waiting for a heater): layer 0 of 1, 0% (by time)" "$T/out" ||
	fail "gqueue while heating: $(cat "$T/out")"
grep -q "^	heaters: .*T0 [0-9.]*/200.0 C" "$T/out" || fail "gqueue heaters: $(cat "$T/out")"
"$GPC" temps mk3 | grep -q "^mk3: T0 [0-9.]*/200.0 C.*, B [0-9.]*/60.0 C" ||
	fail "gpc temps: $("$GPC" temps mk3)"

# Printing, then paused, then printing again.
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status printing" ||
	fail "never printing"
"$WAITFOR" lines "$T/vprinter.log" 1000 || fail "the print did not go on"
st . > "$T/printing.json"
jq -e '.activity == "printing" and .progress.time_fraction > 0 and .progress.time_fraction < 1
    and .progress.lines_done > 0' "$T/printing.json" > /dev/null ||
	fail "not printing: $(cat "$T/printing.json")"
# Shares are shown as spoold computed them, not with a binary
# fraction's seventeen digits.
"$GQUEUE" --json > "$T/q.json"
grep -q '"time_fraction": 0\.[0-9]' "$T/q.json" ||
	fail "no time_fraction: $(cat "$T/q.json")"
grep -Eq '[0-9]\.[0-9]{8,}' "$T/q.json" &&
	fail "a figure with float noise: $(grep -E '[0-9]\.[0-9]{8,}' "$T/q.json")"
"$GPC" status mk3 > "$T/gpc.out"
grep -q "^	printing mk3-$id: layer 1 of 1, [0-9]*% (by time), [0-9hms]* elapsed, about [0-9hms]* left, done at [0-9][0-9]:[0-9][0-9]$" \
    "$T/gpc.out" || fail "gpc status while printing: $(cat "$T/gpc.out")"
"$GPC" pause mk3 || fail "gpc pause"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status paused" || fail "never paused"
[ "$(st .activity)" = paused ] || fail "not paused: $(st .)"
"$GQUEUE" | grep -q "^	paused mk3-$id: layer 1 of 1" || fail "gqueue paused: $("$GQUEUE")"
"$GPC" resume mk3 || fail "gpc resume"
"$WAITFOR" count "$T/spoold.log" "mk3-$id: status printing" 2 ||
	fail "not printing after the resume"
[ "$(st .progress.waited)" -ge 1 ] || fail "the heat-up and the pause are not waits: $(st .)"

# Not responding: the printer stopped; its heaters go stale.
kill -STOP "$VPRINTER_PID"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status not-responding" ||
	{ kill -CONT "$VPRINTER_PID"; fail "never not responding"; }
st . > "$T/silent.json"
"$GQUEUE" > "$T/out"
"$GPC" temps mk3 > "$T/temps.out"
kill -CONT "$VPRINTER_PID"
jq -e '.activity == "not-responding" and .since > 0 and (.heaters | length > 0 and all(.stale))' \
    "$T/silent.json" > /dev/null || fail "not responding: $(cat "$T/silent.json")"
grep -q "^	not responding since [0-9][0-9]:[0-9][0-9]: no word from the printer" "$T/out" ||
	fail "gqueue not responding: $(cat "$T/out")"
grep -q "^	heaters (stale: last heard at [0-9][0-9]:[0-9][0-9]):" "$T/out" ||
	fail "gqueue shows stale heaters as live: $(cat "$T/out")"
grep -q "^mk3 (stale: last heard at [0-9][0-9]:[0-9][0-9]): T0 " "$T/temps.out" ||
	fail "gpc temps shows stale heaters as live: $(cat "$T/temps.out")"
"$WAITFOR" count "$T/spoold.log" "mk3-$id: status printing" 3 ||
	fail "not printing once the printer answers"
"$GCANCEL" "$id" > /dev/null || fail "gcancel"
"$GQUEUE" -w "$id" > /dev/null || true

# Heating before the first move: a heater short of its target, no wait
# for it (the dwell holds the job there).
"$WAITFOR" count "$T/spoold.log" "mk3: status idle" 2 || fail "not idle after the job"
printf 'M104 S240\nG4 S5\nG1 X10 F3000\nG1 X20 E1\n' > "$T/pre.gcode"
id=$(submit "$T/pre.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status heating: before the first move" ||
	fail "not heating before the first move"
"$GQUEUE" -w "$id" > /dev/null || fail "the job did not complete"

# Offline: the printer unplugged.
"$WAITFOR" count "$T/spoold.log" "mk3: status idle" 3 || fail "not idle after the jobs"
kill "$VPRINTER_PID"
wait "$VPRINTER_PID" || true
VPRINTER_PID=
"$WAITFOR" contains "$T/spoold.log" "mk3: status offline" || fail "never offline"
st . > "$T/offline.json"
jq -e '.activity == "offline" and (.reason | length > 0) and (.heaters | all(.stale))' \
    "$T/offline.json" > /dev/null || fail "offline: $(cat "$T/offline.json")"
"$GPC" status mk3 | grep -q "^	offline: " || fail "gpc status offline: $("$GPC" status mk3)"
echo "PASS"
