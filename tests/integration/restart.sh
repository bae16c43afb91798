#!/bin/sh
# A queued job survives a restart of spoold; a missing printer is
# reported, and the job prints once the printer appears.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
gs_spoold			# no printer yet

id=$(submit "$CUBE")
"$GQUEUE" > "$T/q.out"
grep -q "^mk3 is not ready: cannot open $T/mk3.tty: No such file or directory$" "$T/q.out" ||
	fail "gqueue does not say the printer is missing: $(cat "$T/q.out")"
grep -q "^1st .* $id .*calibration-cube.gcode" "$T/q.out" ||
	fail "the job is not queued: $(cat "$T/q.out")"

gs_stop_spoold
[ ! -e "$T/spool/control" ] || fail "spoold left its socket behind"
gs_spoold
"$GQUEUE" > "$T/q.out"
grep -q "^1st .* $id .*calibration-cube.gcode" "$T/q.out" ||
	fail "the job was lost across the restart: $(cat "$T/q.out")"

# kill -9 too: the database is committed before gprint hears "ok".
id2=$(submit "$CUBE")
kill -9 "$SPOOLD_PID"; wait "$SPOOLD_PID" || true
rm -f "$T/spool/control"
gs_spoold
"$GQUEUE" > "$T/q.out"
grep -q "^2nd .* $id2 " "$T/q.out" || fail "job $id2 lost after kill -9: $(cat "$T/q.out")"

gs_vprinter
"$GQUEUE" -w "$id" "$id2" > /dev/null || fail "the queued jobs did not print"
expect_log "$CUBE" "$CUBE"
echo "PASS"
