#!/bin/sh
# Soak: a real 180,000-line file with one line in 2,000 damaged each way
# prints exactly.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
f="$CORPUS/prusaslicer-2.7.1-mini-benchy-large.gcode"
gs_config "ok_timeout = 1"
gs_vprinter --corrupt-in 2000 --corrupt-out 2000 --seed 11
gs_spoold
id=$(submit "$f")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "the soak job did not complete: $(cat "$T/wait.out")"
expect_log "$f"
grep "stats" "$T/spoold.log" | tail -n 1
echo "PASS"
