#!/bin/sh
# Exactly once across crashes: spoold is killed (SIGKILL, as a power cut
# stops it) at each step of taking a dropped file in.  After a restart
# every dropped file is queued exactly once, with the options of its
# NAME.options, and prints exactly once; no options file is left.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
sed -i '/^\[spool\]/a drop_quiet = 0' "$GSPOOL_CONF"
gs_vprinter
me=$(id -un)
drop="$T/spool/drop/$me"
mkdir -p "$drop"
steps="copied synced inserted renamed committed options-removed removed"
n=0
for step in $steps; do
	rm -f "$T/spool/control"
	GSPOOL_TEST_CRASH_AT=$step "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
	SPOOLD_PID=$!
	"$WAITFOR" exists "$T/spool/control" || fail "spoold did not start"
	echo "title = crash at $step" > "$drop/$step.gcode.options"
	cp "$CUBE" "$drop/$step.gcode"
	rc=0
	wait "$SPOOLD_PID" || rc=$?
	[ "$rc" -eq 137 ] || fail "$step: spoold was not killed at its crash point (exit $rc)"
	grep -q "crash point '$step'" "$T/spoold.log" || fail "$step: no crash"
	rm -f "$T/spool/control"
	gs_spoold
	"$WAITFOR" gone "$drop/$step.gcode" || fail "$step: the file was never taken"
	n=$((n + 1))
	"$GQUEUE" -w "$n" > "$T/wait.out" ||
		fail "$step: job $n did not complete: $(cat "$T/wait.out")"
	"$GQUEUE" --history --json "$n" | grep -q "\"title\": \"crash at $step\"" ||
		fail "$step: the job lost its options: $("$GQUEUE" --history --json "$n")"
	[ ! -e "$drop/$step.gcode.options" ] || fail "$step: the options file was left"
	gs_stop_spoold
done

# Exactly one job a file, each printed once; nothing left in tmp/.
rm -f "$T/spool/control"
gs_spoold
"$GQUEUE" -w $((n + 1)) > "$T/out" 2>&1 && fail "a file was queued twice"
grep -q "job $((n + 1)) does not exist" "$T/out" || fail "gqueue -w: $(cat "$T/out")"
ls "$T/spool/tmp" | grep -q . && fail "left in tmp: $(ls "$T/spool/tmp")"
# shellcheck disable=SC2046
expect_log $(for s in $steps; do echo "$CUBE"; done)

# Killed just as a job's end is recorded: the bed still holds the part,
# so the next job waits for gpc ready after the restart.
gs_stop_spoold
sed -i "s/^clears_bed = yes$/clears_bed = no/" "$GSPOOL_CONF"
rm -f "$T/spool/control"
GSPOOL_TEST_CRASH_AT=ended "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
SPOOLD_PID=$!
"$WAITFOR" exists "$T/spool/control" || fail "spoold did not start"
"$GPC" ready mk3 || fail "gpc ready before the crash"
a=$(submit "$CUBE")
b=$(submit "$CUBE")
rc=0
wait "$SPOOLD_PID" || rc=$?
[ "$rc" -eq 137 ] || fail "spoold was not killed as the job ended (exit $rc)"
SPOOLD_PID=
ready=$(grep -c "mk3: the printer is ready; its bed waits to be cleared" "$T/spoold.log" || true)
rm -f "$T/spool/control"
gs_spoold
"$WAITFOR" count "$T/spoold.log" "mk3: the printer is ready; its bed waits to be cleared" \
    $((ready + 1)) || fail "the printer is not waiting for its bed to be cleared"
"$GQUEUE" > "$T/q.out"
grep -qx "mk3 is awaiting-clear: clear its bed, then gpc ready mk3" "$T/q.out" ||
	fail "after the crash: $(cat "$T/q.out")"
grep -q "^1st .* $b " "$T/q.out" || fail "job $b did not wait: $(cat "$T/q.out")"
"$GQUEUE" -w "$a" > /dev/null || fail "job $a was not recorded completed"
"$GPC" ready mk3 || fail "gpc ready"
"$GQUEUE" -w "$b" > /dev/null || fail "job $b did not print after gpc ready"
echo "PASS"
