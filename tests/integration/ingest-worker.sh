#!/bin/sh
# Nothing blocks spoold's loop while a file is taken in: the file is
# read, checked and copied by a worker process.  Here the worker stands
# still (a test hook stops it) while gqueue, gpc status and gpc disable
# are answered; a worker that dies refuses its file, harming
# nothing else; the same drop file is never taken twice at once; and
# gqueue is answered again and again while a 1 GB file is checked.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
gs_vprinter
export GSPOOL_TEST_INGEST_STOP=1
gs_spoold
unset GSPOOL_TEST_INGEST_STOP
"$WAITFOR" contains "$T/spoold.log" "the printer is ready" || fail "mk3 is not ready"

"$GPRINT" -T stalled "$CUBE" > "$T/gprint.out" 2>&1 &
gp=$!
"$WAITFOR" contains "$T/spoold.log" "stopped for a test" || fail "no worker stopped"
wpid=$(sed -n 's/.*ingest: worker \([0-9]*\) stopped for a test.*/\1/p' "$T/spoold.log" | head -n 1)
# The loop answers meanwhile.
"$GQUEUE" > "$T/q.out" || fail "gqueue did not answer while a file was checked"
grep -q "stalled" "$T/q.out" && fail "the file was queued before it was checked"
"$GPC" status mk3 > /dev/null || fail "gpc status did not answer"
"$GPC" disable mk3 || fail "gpc disable did not answer"
kill -0 "$gp" || fail "gprint ended while its file was being checked"
# Going on, the worker finishes and gprint hears the job.
kill -CONT "$wpid"
wait "$gp" || fail "gprint: $(cat "$T/gprint.out")"
grep -q "^request id is mk3-1 " "$T/gprint.out" || fail "gprint said: $(cat "$T/gprint.out")"

# A worker that dies (killed here) refuses its file with the reason.
"$GPRINT" -T killed "$CUBE" > "$T/gprint.out" 2>&1 &
gp=$!
"$WAITFOR" count "$T/spoold.log" "stopped for a test" 2 || fail "no second worker stopped"
wpid=$(sed -n 's/.*ingest: worker \([0-9]*\) stopped for a test.*/\1/p' "$T/spoold.log" | sed -n 2p)
kill -KILL "$wpid"
wait "$gp" && fail "gprint succeeded though its check was killed"
grep -q "rejected: checking the file was stopped (signal 9)" "$T/gprint.out" ||
	fail "gprint said: $(cat "$T/gprint.out")"
ls "$T/spool/tmp" | grep -q . && fail "the killed worker's files were left: $(ls "$T/spool/tmp")"

# A drop file taken in by a stopped worker is not taken again by a
# rescan meanwhile.
me=$(id -un)
mkdir -p "$T/spool/drop/$me"
cp "$CUBE" "$T/spool/drop/$me/once.gcode"
"$WAITFOR" count "$T/spoold.log" "stopped for a test" 3 || fail "no third worker stopped"
wpid=$(sed -n 's/.*ingest: worker \([0-9]*\) stopped for a test.*/\1/p' "$T/spoold.log" | sed -n 3p)
kill -HUP "$SPOOLD_PID"		# a rescan
"$WAITFOR" count "$T/spoold.log" "SIGHUP: rescanning" 1 || fail "no rescan"
"$GQUEUE" > /dev/null || fail "gqueue after the rescan"
[ "$(grep -c "stopped for a test" "$T/spoold.log")" -eq 3 ] ||
	fail "the drop file was taken twice at once"
kill -CONT "$wpid"
"$WAITFOR" gone "$T/spool/drop/$me/once.gcode" || fail "the drop file was not taken"
[ "$("$GQUEUE" --json | grep -c '"title": "once.gcode"')" -eq 1 ] ||
	fail "the drop file is not one job: $("$GQUEUE" --json)"

# A 1 GB file: while its worker reads it, gqueue is answered again and
# again, and the job appears only once the file is checked whole.
gs_stop_spoold
gs_spoold
"$GPC" disable mk3
{ printf 'M83\n'; yes 'G1 X10 Y10 E0.01' | head -n 58823529; } > "$T/big.gcode"
"$GPRINT" -T big "$T/big.gcode" > "$T/gprint.out" 2>&1 &
gp=$!
"$WAITFOR" contains "$T/spoold.log" "ingest: big for $(id -un): a worker takes it in" ||
	fail "no worker took the 1 GB file"
answered=0
while kill -0 "$gp" 2> /dev/null; do
	"$GQUEUE" > "$T/q.out" || fail "gqueue did not answer while the 1 GB file was checked"
	grep -q " big " "$T/q.out" || answered=$((answered + 1))
	[ "$answered" -ge 10 ] && break
done
[ "$answered" -ge 1 ] || fail "gqueue was never answered while the 1 GB file was checked"
wait "$gp" || fail "gprint of the 1 GB file: $(cat "$T/gprint.out")"
"$GQUEUE" | grep -q " big " || fail "the 1 GB job is not queued"
rm -f "$T/big.gcode"
"$GCANCEL" -a > /dev/null
echo "PASS"
