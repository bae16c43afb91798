#!/bin/sh
# Host prompts: a job with M600 on a printer that asks the host (Marlin's
# HOST_PROMPT_SUPPORT, the virtual printer's --host-prompts).  The
# firmware's "Nozzle Parked" is shown by gpc status and gqueue as the
# printer waiting for the user, with its choices; notify hears the job's
# event "waiting" with the firmware's words.  gpc answer refuses a
# choice the prompt does not have and a printer with no prompt, with
# the choices there are; "gpc answer mk3 continue" sends M876 S0, and
# the next prompt (PurgeMore or Continue) is answered by its index, 1.
# The job then completes with exactly its own commands; the answers are
# the only lines the printer met besides them; a spoold restarted while
# the printer waits is told the prompt again.  Last, a filament runout
# mid-job: its prompt, then the change's, answered, and the job whole.
# And the timelapse tells why it has no video: with a camera no one
# listens on, gqueue -l shows that it could not connect, where; spoold
# -n warns (and passes) of filters = timelapse without a camera.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
cat > "$T/notify.sh" <<'SH'
#!/bin/sh
echo "$1 $GSPOOL_JOB_NAME $GSPOOL_REASON" >> "${0%/*}/events.log"
SH
chmod +x "$T/notify.sh"
sed -i "/^\[spool\]/a notify = $T/notify.sh" "$GSPOOL_CONF"
gs_vprinter --host-prompts --emergency-parser --busy-interval 1
gs_spoold
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer is ready" || fail "mk3 is not ready"

# No prompt yet: nothing to answer.
"$GPC" answer mk3 0 2> "$T/err" && fail "answered with no prompt"
[ $? -eq 1 ] || fail "gpc answer with no prompt: exit status not 1"
grep -q "mk3: no prompt waits for an answer" "$T/err" || fail "gpc answer said: $(cat "$T/err")"
"$GPC" answer nosuch 0 2> "$T/err" && fail "answered a printer that does not exist"
grep -q "nosuch: unknown printer" "$T/err" || fail "gpc answer nosuch said: $(cat "$T/err")"
"$GPC" answer mk3 2> "$T/err" && fail "gpc answer without a choice"
[ $? -eq 2 ] || fail "gpc answer without a choice: exit status not 2"

# The cube with a filament change after its 200th line.
awk 'NR == 200 { print "M600 ; change filament" } { print }' "$CUBE" > "$T/m600.gcode"
id=$(submit "$T/m600.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: Nozzle Parked" ||
	fail "spoold did not hear the prompt"
"$GPC" status mk3 > "$T/status.out"
grep -qx "	waiting for the user: Nozzle Parked \[0 Continue\]; gpc answer mk3 CHOICE" "$T/status.out" ||
	fail "gpc status: $(cat "$T/status.out")"
"$GQUEUE" > "$T/gqueue.out"
grep -qx "	waiting for the user: Nozzle Parked \[0 Continue\]; gpc answer mk3 CHOICE" "$T/gqueue.out" ||
	fail "gqueue: $(cat "$T/gqueue.out")"
"$GPC" --json status mk3 > "$T/status.json"
grep -q '"prompt": "Nozzle Parked"' "$T/status.json" || fail "gpc --json: $(cat "$T/status.json")"
# The status model says so too: the printer's activity is waiting, with
# the firmware's words.
tr -d ' \n' < "$T/status.json" > "$T/status.flat"
grep -q '"activity":"waiting"' "$T/status.flat" &&
	grep -q '"reason":"NozzleParked"' "$T/status.flat" ||
	fail "the status model: $(cat "$T/status.json")"
"$WAITFOR" contains "$T/events.log" "waiting mk3-$id Nozzle Parked" ||
	fail "notify did not hear the prompt: $(cat "$T/events.log" 2>/dev/null)"

# A new spoold re-attaches to the backend, which still waits: it is
# told the prompt again.
gs_stop_spoold
rm -f "$T/spool/control"
gs_spoold
"$WAITFOR" contains "$T/spoold.log" "re-attached to backend" || fail "spoold did not re-attach"
"$WAITFOR" count "$T/spoold.log" "mk3: the printer waits for the user: Nozzle Parked" 2 ||
	fail "the re-attached spoold was not told the prompt"
"$GPC" status mk3 | grep -qx "	waiting for the user: Nozzle Parked \[0 Continue\]; gpc answer mk3 CHOICE" ||
	fail "gpc status after the re-attach: $("$GPC" status mk3)"

# A choice the prompt lacks, by text and by index.
"$GPC" answer mk3 Abort 2> "$T/err" && fail "answered with a button that does not exist"
[ $? -eq 1 ] || fail "gpc answer Abort: exit status not 1"
grep -q "mk3: Nozzle Parked: no button 'Abort': the choices are 0 Continue" "$T/err" ||
	fail "gpc answer Abort said: $(cat "$T/err")"
"$GPC" answer mk3 3 2> "$T/err" && fail "answered with button 3 of 1"
grep -q "no button 3: the choices are 0 Continue" "$T/err" || fail "gpc answer 3 said: $(cat "$T/err")"
grep -q '^M876' "$T/vprinter.log" && fail "a refused answer reached the printer"

# By its text, in any case: M876 S0.
"$GPC" answer mk3 continue > "$T/answer.out" || fail "gpc answer continue"
grep -qx "mk3: answered continue (M876 S0)" "$T/answer.out" || fail "gpc answer said: $(cat "$T/answer.out")"
"$WAITFOR" contains "$T/vprinter.log" "M876 S0" || fail "M876 S0 did not reach the printer"

# The purge question: two buttons, answered by index.
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: Paused" ||
	fail "spoold did not hear the second prompt"
"$GPC" status mk3 | grep -qx "	waiting for the user: Paused \[0 PurgeMore, 1 Continue\]; gpc answer mk3 CHOICE" ||
	fail "gpc status: $("$GPC" status mk3)"
# bash completes gpc answer with the choices shown.
if command -v bash > /dev/null; then
	got=$(PATH="$BIN/lpr-tools:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_gspool_complete
		printf "%s\n" "${COMPREPLY[@]}"' sh "$top_builddir/lpr-tools/gspool.bash" \
	    gpc answer mk3 "" | sort | tr '\n' ' ')
	[ "$got" = "0 1 Continue PurgeMore " ] || fail "completion of gpc answer mk3: '$got'"
fi
"$GPC" answer mk3 1 > "$T/answer.out" || fail "gpc answer 1"
grep -qx "mk3: answered 1 (M876 S1)" "$T/answer.out" || fail "gpc answer said: $(cat "$T/answer.out")"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "the job did not complete: $(cat "$T/wait.out")"
"$GPC" status mk3 | grep -q "waiting for the user" && fail "the prompt is still shown"
"$GPC" answer mk3 0 2> "$T/err" && fail "answered a prompt that is gone"
grep -q "mk3: no prompt waits for an answer" "$T/err" || fail "gpc answer said: $(cat "$T/err")"

# The printer ran the job's commands, exactly, and the two answers.
[ "$(grep -c '^M876' "$T/vprinter.log")" -eq 2 ] || fail "answers: $(grep '^M876' "$T/vprinter.log")"
grep -n '^M876' "$T/vprinter.log" | sed 's/^[0-9]*://' | tr '\n' ' ' | grep -qx "M876 S0 M876 S1 " ||
	fail "the answers, in order: $(grep '^M876' "$T/vprinter.log")"
grep -v '^M876' "$T/vprinter.log" > "$T/job-only.log"
gcode_commands "$T/m600.gcode" > "$T/expected.log"
cmp -s "$T/expected.log" "$T/job-only.log" || {
	diff "$T/expected.log" "$T/job-only.log" | head >&2
	fail "the printer's log differs from the job's commands"
}
expect_clean "$T/vprinter.log.json"
grep -q "waiting mk3-$id Paused" "$T/events.log" || fail "notify did not hear the second prompt"

# A filament runout after 300 commands: its prompt, then the change's.
gs_stop_spoold
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
: > "$T/vprinter.log"
: > "$T/spoold.log"
gs_vprinter --host-prompts --emergency-parser --busy-interval 1 --runout-at 300
gs_spoold
id=$(submit "$CUBE")
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: FilamentRunout T0" ||
	fail "spoold did not hear the runout"
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: Nozzle Parked" ||
	fail "the runout did not park"
"$GPC" answer mk3 0 > /dev/null || fail "gpc answer 0"
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: Paused" ||
	fail "no purge question after the runout"
"$GPC" answer mk3 Continue > /dev/null || fail "gpc answer Continue"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "the job did not complete: $(cat "$T/wait.out")"
grep -q "waiting mk3-$id FilamentRunout T0" "$T/events.log" || fail "notify did not hear the runout"
grep -v '^M876' "$T/vprinter.log" > "$T/job-only.log"
gcode_commands "$CUBE" | cmp -s - "$T/job-only.log" || fail "the job after the runout is not exact"

# The timelapse's reason, and spoold -n's warning.
gs_stop_spoold
port=$("$BIN/tests/integration/camserver" -F)
mkdir -p "$T/filters"
ln -sf "$BIN/filters/timelapse" "$T/filters/timelapse"
gs_config "camera = http://127.0.0.1:$port/snapshot" "filter_options = timeout=1" \
    "filters = timelapse"
sed -i "/^\[spool\]/a filter_dir = $T/filters" "$GSPOOL_CONF"
"$SPOOLD" -n -c "$GSPOOL_CONF" > "$T/n.out" 2> "$T/n.err" || fail "spoold -n: $(cat "$T/n.err")"
grep -q "warning" "$T/n.err" && fail "spoold -n warned of a printer with a camera: $(cat "$T/n.err")"
: > "$T/spoold.log"
gs_spoold
printf 'G28\n;LAYER:0\nG1 Z0.2 F600\nG1 X10 Y10 F3000\n;LAYER:1\nG1 Z0.4 F600\nG1 X20 Y10 F3000\n' > "$T/short.gcode"
id=$(submit "$T/short.gcode")
"$GQUEUE" -w "$id" > /dev/null || fail "the job with a timelapse did not complete"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter timelapse exited" || fail "the timelapse did not end"
"$GQUEUE" -l --history "$id" > "$T/ql.out"
grep -q "timelapse.error=couldn't connect to the camera at http://127.0.0.1:$port/snapshot: Connection refused" "$T/ql.out" ||
	fail "gqueue -l does not say why: $(cat "$T/ql.out")"
grep -q "timelapse.camera_error=couldn't connect to the camera at http://127.0.0.1:$port/snapshot" "$T/ql.out" ||
	fail "gqueue -l has no camera error: $(cat "$T/ql.out")"
sed -i '/^camera = /d' "$GSPOOL_CONF"
"$SPOOLD" -n -c "$GSPOOL_CONF" > "$T/n.out" 2> "$T/n.err" || fail "spoold -n failed on a warning: $(cat "$T/n.err")"
grep -qx "spoold: $GSPOOL_CONF: warning: printer mk3: filters = timelapse, but no camera = is set: its jobs get no timelapse" "$T/n.err" ||
	fail "spoold -n did not warn: $(cat "$T/n.err")"
grep -q "configuration OK" "$T/n.out" || fail "spoold -n: $(cat "$T/n.out")"
exit 0
