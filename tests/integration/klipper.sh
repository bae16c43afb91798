#!/bin/sh
# Klipper's pseudo-terminal (device = klipper:PATH) on the virtual
# printer's Klipper flavour: a job prints exactly; the firmware shows as
# Klipper, also when a plain path finds it by its M115 answer; its
# "ok B:x /y T0:x /y" temperatures reach gpc status; "// action:paused"
# pauses the job; a long TEMPERATURE_WAIT whose temperature lines come
# every second is not a printer that stopped answering; a "!!" error
# pauses the job; a shutdown mid-job ends it aborted with Klipper's
# words and no more lines go to it; a macro's prompt is answered with
# its button's G-code, not M876; and after gpc abort the printer is not
# ready again until Klipper says "Klipper state: Ready".
. "$top_srcdir/tests/integration/lib.sh"

KL="device = klipper:$T/mk3.tty"

restart_case() {	# the next case, on a fresh printer and spool
	gs_stop_spoold
	kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
	VPRINTER_PID=
	pkill -f -- "$T/" || true
	pidwait -f -- "$T/" || true
	mv "$T/spoold.log" "$T/spoold-$1.log"
	rm -rf "$T/spool" "$T/vprinter.log" "$T/vprinter.log.json"
}

wait_ready() {		# what gpc status says of mk3 once ready
	"$WAITFOR" contains "$T/spoold.log" "$1" ||
		fail "mk3 did not become ready: $("$GPC" status mk3)"
	"$GPC" status mk3 > "$T/st.out"
	head -n 1 "$T/st.out"
}

# --- A job prints exactly; the firmware is Klipper's name, from M115.
gs_config "$KL"
gs_vprinter --flavour klipper
gs_spoold
st=$(wait_ready "mk3: ready")
case "$st" in
"mk3: ready (Klipper FIRMWARE_VERSION:v0.12.0-gspool-vprinter)"*) ;;
*) fail "gpc status said: $st" ;;
esac
id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete"
expect_log "$CUBE"
grep -q "N1 M115\*30" "$T/vprinter.err" && fail "the damaged probe went to Klipper"
grep -q '"klipper_dropped":0}' "$T/vprinter.log.json" ||
	fail "Klipper dropped commands: $(cat "$T/vprinter.log.json")"

# --- Temperatures from "ok B:x /y T0:x /y", heating and cooling.
printf 'M140 S60\nM104 S205\n' > "$T/hot.gcode"
printf 'M140 S0\nM104 S0\n' > "$T/cold.gcode"
id=$(submit "$T/hot.gcode")
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete"
"$WAITFOR" contains "$T/spoold.log" "mk3: heaters' targets: B 60, T0 205" ||
	fail "no temperatures with T0 and B came"
"$GPC" temps mk3 | grep -qx "mk3: B 60.0/60.0 C, T0 205.0/205.0 C" ||
	fail "gpc temps: $("$GPC" temps mk3)"
id=$(submit "$T/cold.gcode")
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete"
"$WAITFOR" contains "$T/spoold.log" "mk3: heaters' targets: B 0, T0 0" ||
	fail "the heaters' new targets were not heard"
"$GPC" temps mk3 | grep -qx "mk3: B 25.0/0.0 C, T0 25.0/0.0 C" ||
	fail "gpc temps, cooled: $("$GPC" temps mk3)"
restart_case basic

# --- Found by its M115 answer on a plain path (no "start" comes).
gs_config "handshake_timeout = 1"
gs_vprinter --flavour klipper
gs_spoold
st=$(wait_ready "mk3: ready")
case "$st" in
"mk3: ready (Klipper "*) ;;
*) fail "a plain path: gpc status said: $st" ;;
esac
id=$(submit "$T/hot.gcode")
"$GQUEUE" -w "$id" > /dev/null || fail "a plain path: job $id did not complete"
restart_case detected

# --- "// action:paused" (Klipper's PAUSE, M600, runout) pauses the job.
gs_config "$KL" "firmware = klipper"
gs_vprinter --flavour klipper --unknown M9001
gs_spoold
wait_ready "mk3: ready" > /dev/null
printf 'G28\nG1 X10 F3000\nPAUSE\nG1 X20\nG1 X30\n' > "$T/p.gcode"
id=$(submit "$T/p.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" ||
	fail "// action:paused did not pause the job"
"$GQUEUE" | grep -qx "mk3 is ready; mk3-$id is paused" || fail "gqueue: $("$GQUEUE")"
"$GPC" resume mk3 || fail "gpc resume"
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete after its resume"

# --- Klipper's '// Unknown command:"M9001"' names the job's command
# by its first word: on_unknown_command pauses the job.
{ printf 'G28\nM9001 S1\n'; for x in 1 2 3 4 5 6 7 8 9 10; do echo "G1 X$x F3000"; done; } > "$T/u.gcode"
id=$(submit "$T/u.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: pausing: the printer said: // Unknown command:\"M9001\"" ||
	fail "Klipper's unknown command did not pause the job"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" || fail "never paused"
"$GPC" resume mk3 || fail "gpc resume"
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete after its resume"

# --- A "!!" error: Klipper dropped the command; the job pauses.
# The last job homed; M84 takes that away, as it does on Klipper.
printf 'M84\nG1 X50 F3000\nG28\nG1 X10\nG1 X20\nG1 X30\nG1 X40\nG1 X50\n' > "$T/e.gcode"
id=$(submit "$T/e.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: pausing: the printer said: !! Must home axis first: 50.000 " ||
	fail "the !! error did not pause the job"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" || fail "never paused"
grep -q "on_firmware_error says pause" "$T/spoold.log" || fail "no word of on_firmware_error"
"$GCANCEL" "$id" || fail "gcancel $id"
"$GQUEUE" -w "$id" > /dev/null 2>&1 || true

# --- A macro's prompt (RESPOND ... action:prompt_*, as an M600 macro
# shows one) while its PAUSE holds the job: shown with its buttons; gpc
# answer sends the button's G-code, since Klipper takes no M876, and
# says so; Klipper's RESUME resumes the job.
{
	echo 'G28'
	echo 'RESPOND TYPE=command MSG="action:prompt_begin Filament change"'
	echo 'RESPOND TYPE=command MSG="action:prompt_button Resume|RESUME|primary"'
	echo 'RESPOND TYPE=command MSG="action:prompt_footer_button Cancel|CANCEL_PRINT|error"'
	echo 'RESPOND TYPE=command MSG="action:prompt_show"'
	echo 'PAUSE'
	echo 'G1 X10 F3000'
	echo 'G1 X20'
} > "$T/prompt.gcode"
id=$(submit "$T/prompt.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: Filament change" ||
	fail "the macro's prompt was not shown"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused" || fail "PAUSE did not pause the job"
"$GPC" status mk3 > "$T/gpc.out"
grep -q "waiting for the user: Filament change \[0 Resume, 1 Cancel\]" "$T/gpc.out" ||
	fail "gpc status with the prompt: $(cat "$T/gpc.out")"
"$GPC" answer mk3 resume > "$T/answer.out" || fail "gpc answer mk3 resume: exit $?"
grep -qx "mk3: answered resume (button 0's G-code, as Klipper takes no M876)" "$T/answer.out" ||
	fail "gpc answer said: $(cat "$T/answer.out")"
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete after the answer"
# Klipper's RESUME said "// action:resumed": Klipper ran the G-code.
grep -q "mk3: Filament change: Resume (RESUME)" "$T/spoold.log" ||
	fail "the button's G-code was not sent"
grep -q "mk3-$id: printing: the printer resumed the job" "$T/spoold.log" ||
	fail "the button's G-code did not reach Klipper"
! grep -q 'Unknown command:"M876"' "$T/spoold.log" || fail "Klipper was sent M876"
restart_case actions

# --- TEMPERATURE_WAIT: about 7 s of temperature lines, no "ok"; two
# seconds of silence would be a timeout, four the end of the job.
gs_config "$KL" "firmware = klipper" "ok_timeout = 2" "max_timeouts = 1"
gs_vprinter --flavour klipper --heat-time 6
gs_spoold
wait_ready "mk3: ready" > /dev/null
printf 'M104 S205\nTEMPERATURE_WAIT SENSOR=extruder MINIMUM=200\nG28\nG1 X10 F3000\nM104 S0\n' > "$T/w.gcode"
id=$(submit "$T/w.gcode")
out=$("$GQUEUE" -w "$id") || fail "the job with TEMPERATURE_WAIT did not complete: $out"
grep -q "stopped answering\|no answer from the printer" "$T/spoold.log" &&
	fail "the wait was taken for silence"
printf 'M104 S205\nG28\nG1 X10 F3000\nM104 S0\n' > "$T/w.expect"
cmp -s "$T/w.expect" "$T/vprinter.log" || fail "the printer ran: $(cat "$T/vprinter.log")"
restart_case wait

# --- A shutdown mid-job (an MCU fault after 500 commands): aborted with
# Klipper's words, and no more of the job went to it.
gs_config "$KL"
gs_vprinter --flavour klipper --shutdown-at 500
gs_spoold
wait_ready "mk3: ready" > /dev/null
id=$(submit "$CUBE")
out=$("$GQUEUE" -w "$id") && fail "the job completed on a shut-down printer"
case "$out" in
"mk3-$id: aborted: Klipper shut down: MCU 'mcu' shutdown: Stepper too far in past"*) ;;
*) fail "gqueue -w said: $out" ;;
esac
n=$(wc -l < "$T/vprinter.log")
[ "$n" -eq 500 ] || fail "the printer executed $n commands, not 500"
late=$(vp_field after_shutdown "$T/vprinter.log.json")
[ -n "$late" ] && [ "$late" -le 4 ] ||
	fail "$late lines went to the shut-down printer (more than the window)"
restart_case shutdown

# --- gpc abort (M112, out of band): aborted; the port opened again
# finds Klipper shut down, and M110/M115 answering make it not ready.
gs_config "$KL"
gs_vprinter --flavour klipper --time-scale 1
gs_spoold
wait_ready "mk3: ready" > /dev/null
id=$(submit "$CUBE")
"$WAITFOR" lines "$T/vprinter.log" 100 || fail "the print did not start"
"$GPC" abort mk3 || fail "gpc abort"
out=$("$GQUEUE" -w "$id") && fail "the job completed after gpc abort"
case "$out" in
"mk3-$id: aborted: "*) ;;
*) fail "gqueue -w said: $out" ;;
esac
"$WAITFOR" contains "$T/vprinter.err" "Klipper shut down: Shutdown due to M112 command" ||
	fail "M112 did not shut Klipper down"
"$WAITFOR" contains "$T/spoold.log" "Klipper is not ready" ||
	fail "the link did not find Klipper not ready"
"$GPC" status mk3 > "$T/st.out"
grep -q "^mk3: ready" "$T/st.out" && fail "ready while Klipper is shut down: $(cat "$T/st.out")"
: > "$T/vprinter.log"
id=$(submit "$T/hot.gcode")
"$GQUEUE" -l "$id" | grep -q "completed" && fail "a job completed on a shut-down printer"
kill -USR1 "$VPRINTER_PID"	# FIRMWARE_RESTART
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not complete once Klipper was ready"
printf 'M140 S60\nM104 S205\n' | cmp -s - "$T/vprinter.log" ||
	fail "the printer ran: $(cat "$T/vprinter.log")"
echo "PASS"
