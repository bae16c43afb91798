#!/bin/sh
# The firmware's complaints during a job: an unknown command is a job
# event, counted, shown by gqueue -l and heard by notify, and pauses the
# job (on_unknown_command = pause), aborts it (abort) or not (continue);
# an unknown command that changes nothing the next lines rely on (M900)
# is recorded only.  However a job ends, the heaters are off once no
# job came within heaters_off_after.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "heaters_off_after = 0" "cancel_gcode = G91" "  G1 Z1" "  G90"
cat > "$T/notify.sh" <<'SH'
#!/bin/sh
echo "$1 $GSPOOL_JOB_NAME $GSPOOL_REASON" >> "${0%/*}/events.log"
SH
chmod +x "$T/notify.sh"
sed -i "/^\[spool\]/a notify = $T/notify.sh" "$GSPOOL_CONF"
gs_vprinter --unknown M9001,M900
gs_spoold
printf 'G28\nM900 K0.05\nG1 X10 F3000\nM9001\nG1 X20\nG1 X30\n' > "$T/u.gcode"

# pause: the job stops at the unknown command, and resumes.
id=$(submit "$T/u.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: pausing: the printer said: echo:Unknown command: \"M9001\"" ||
	fail "the job did not pause at the unknown command"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" || fail "the job did not pause"
"$GQUEUE" -l "$id" > "$T/l.out"
grep -q "printer.complaints.*2" "$T/l.out" || fail "gqueue -l: $(cat "$T/l.out")"
grep -q "printer.complaint.*Unknown command: \"M9001\"" "$T/l.out" || fail "gqueue -l: $(cat "$T/l.out")"
"$WAITFOR" contains "$T/events.log" "complaint mk3-$id echo:Unknown command: \"M900 K0.05\"" ||
	fail "notify did not hear of M900: $(cat "$T/events.log")"
grep -q "complaint mk3-$id echo:Unknown command: \"M9001\"" "$T/events.log" ||
	fail "notify did not hear of M9001: $(cat "$T/events.log")"
grep -c "mk3-$id: pausing" "$T/spoold.log" | grep -qx 1 || fail "M900 paused the job too"
"$GPC" resume mk3 || fail "gpc resume"
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete after its resume"

# abort: the cancel G-code runs and the job ends aborted, with why.
gs_stop_spoold
sed -i "/^\[printer mk3\]/a on_unknown_command = abort" "$GSPOOL_CONF"
gs_spoold
id=$(submit "$T/u.gcode")
"$GQUEUE" -w "$id" > "$T/w.out" && fail "job $id completed despite the unknown command"
"$GQUEUE" -a --json --history "$id" > "$T/h.json"
grep -q '"state": "aborted"' "$T/h.json" || fail "job $id: $(cat "$T/h.json")"
grep -q 'the printer said: echo:Unknown command: \\"M9001\\"' "$T/h.json" || fail "job $id: $(cat "$T/h.json")"
tail -n 3 "$T/vprinter.log" | tr '\n' ' ' | grep -qx "G91 G1 Z1 G90 " ||
	fail "the cancel G-code did not run: $(tail -n 3 "$T/vprinter.log")"
grep -q "^G1 X30$" "$T/vprinter.log" && [ "$(grep -c '^G1 X30$' "$T/vprinter.log")" -gt 1 ] &&
	fail "the aborted job went on past its unknown command"

# continue: recorded, nothing stops; then the heaters go off.
gs_stop_spoold
sed -i -e "s/^on_unknown_command = abort$/on_unknown_command = continue/" \
    -e "s/^heaters_off_after = 0$/heaters_off_after = 1s/" "$GSPOOL_CONF"
gs_spoold
printf 'M104 S200\nM140 S60\nG28\nM9001\nG1 X5\n' > "$T/hot.gcode"
: > "$T/vprinter.log"
id=$(submit "$T/hot.gcode")
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete with on_unknown_command = continue"
"$WAITFOR" contains "$T/spoold.log" "mk3: the heaters are off: no job came within heaters_off_after" ||
	fail "the heaters were left on"
cmp -s "$T/vprinter.log" - <<LOG || fail "the printer ran: $(cat "$T/vprinter.log")"
M104 S200
M140 S60
G28
G1 X5
M104 S0
M140 S0
LOG
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true; VPRINTER_PID=
grep -q '"hotend_target":0.0,"bed_target":0.0' "$T/vprinter.log.json" ||
	fail "the printer's targets: $(cat "$T/vprinter.log.json")"
echo "PASS"
