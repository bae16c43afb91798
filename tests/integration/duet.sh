#!/bin/sh
# The duet backend against a model of a Duet board in standalone mode
# (duet-model.py, as strict as RepRapFirmware's own HTTP server): a job
# checked by spoold is uploaded with its CRC32, started with M32,
# followed by its layers (layer N of M) and file position, and ends
# completed, its upload removed; it is paused and resumed, and survives
# a restart of spoold mid-print (the backend re-attaches); one is
# canceled (M25, then M0); an M291 message box in a job is the
# printer's prompt, answered with gpc answer as M292 with its seq, and
# the job then completes exactly; the board halting ends one aborted with the
# firmware's words, and gpc abort (M112) another; a session that
# expired is opened again and the print goes on; a wrong password shows
# the printer offline and says so; a print started at the board's panel
# shows the printer busy and the job waits; a network that is down
# mid-print shows the printer offline and the job is not ended; a board
# that is away shows the printer offline and the job pending, which
# prints once the board is back; the password's file is refused when
# others can read it; a board older than RepRapFirmware 3.5, without
# session keys, prints as well; duets:// is no device (RepRapFirmware has
# no TLS).
. "$top_srcdir/tests/integration/duetlib.sh"

# board_gcode LINE: a line sent to the board as an operator at its web
# interface would, in a session of its own.
board_gcode() {
	k=$(curl -sf "http://127.0.0.1:$PORT/rr_connect?password=$(cat "$T/pw")&sessionKey=yes" |
	    jq -r .sessionKey) || fail "rr_connect"
	curl -sf -G -H "X-Session-Key: $k" --data-urlencode "gcode=$1" \
	    "http://127.0.0.1:$PORT/rr_gcode" > /dev/null || fail "rr_gcode $1"
}

# A password is a network printer's: Marlin's device takes none, and
# RepRapFirmware has no TLS, so duets:// is no device.
net_spoold_refuses "password_file: [printer mk3]'s device $T/mk3.tty is Marlin's, which takes no password" \
    "password_file = $T/pw"
net_spoold_refuses "unknown scheme 'duets'" \
    "device = duets://127.0.0.1:1" "password_file = $T/pw"

model_start
READY="mk3: ready RepRapFirmware (duet3mb6hc)"
net_setup "device = duet://127.0.0.1:$PORT" "password_file = $T/pw" \
    "max_hotend = 250" "heaters_off_after = 1"
READY="mk3: ready RepRapFirmware"
grep -q "^connect ok" "$ML" || fail "no session was opened: $(cat "$ML")"

# 0. gspool's own check comes first: a file it refuses never reaches
# the board.
net_refuses_hot

# 1. A print, to its end: uploaded whole with its CRC32 (which the board
# checks), started, followed to its last layer, and removed.
id=$(submit "$T/job.gcode")
name="0:/gcodes/gspool-mk3-$id.gcode"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
"$WAITFOR" contains "$ML" "delete $name" || fail "the upload was not removed"
grep -qx "upload $name $size crc" "$ML" ||
	fail "not uploaded whole with its checksum: $(grep upload "$ML")"
grep -qx "gcode M32 \"$name\"" "$ML" || fail "not started with M32"
grep -qx "start $name" "$ML" || fail "not started"
! grep -q "^crc-mismatch" "$ML" || fail "an upload did not match its CRC32"
! grep -q "^upload .* $(wc -c < "$T/hot.gcode") " "$ML" ||
	fail "a refused file was uploaded"
grep -qx "layer 6" "$ML" || fail "the model did not print layer 6"
history "$id" ".state == \"completed\" and .lines_done == $lines and .layer == 6"
# heaters_off_after: no job came within a second of its end.
"$WAITFOR" contains "$ML" "gcode M140 S0" ||
	fail "the heaters were not turned off after the job"
"$WAITFOR" contains "$T/spoold.log" "mk3: the heaters are off: no job came" ||
	fail "spoold did not hear the heaters were turned off"

# 2. Held at layer 3: the status model shows the job there, layer 3 of
# 6; it pauses and resumes; spoold is killed and re-attaches to the
# backend, which followed the print meanwhile; released, it completes.
duet_held 3
status > "$T/s.json"
jq -e '.activity == "printing" and .progress.layer == 3 and
    .progress.layers == 6 and .progress.lines_done > 300 and
    .progress.bytes_fraction > 0.3 and .progress.bytes_fraction < 0.6' \
    "$T/s.json" > /dev/null || fail "status at layer 3: $(cat "$T/s.json")"
"$GPC" status mk3 > "$T/gpc.out" || fail "gpc status: exit $?"
grep -q "printing mk3-$id: layer 3 of 6" "$T/gpc.out" ||
	fail "gpc status: $(cat "$T/gpc.out")"
# The heaters, from the host's own figures (the job heated them).
"$GPC" temps mk3 > "$T/temps.out"
grep -qx "mk3: T0 200.0/200.0 C, B 60.0/60.0 C" "$T/temps.out" ||
	fail "gpc temps: $(cat "$T/temps.out")"
duet_pause_resume
net_spoold_restart
status | jq -e '.activity == "printing" and .progress.layer == 3' > /dev/null ||
	fail "status after the restart: $(status)"
ctl release
duet_done

# 3. Canceled mid-print: the board pauses, then cancels (M0 only
# cancels a paused print); the upload goes.
duet_held 2
duet_cancel
! grep -q "^unauthorized" "$ML" || fail "a request went without its session"
ctl release

# 3b. An M291 message box in the job (OK and Cancel, S3): the board's
# file waits after it; the box is the printer's prompt, seen by gpc
# status and gqueue with its buttons; the board refuses an M292 with
# another box's seq as RepRapFirmware does, and the box stays; gpc
# answer refuses a choice of none, and OK goes as M292 P0 with the
# box's seq; the prompt is gone and the job completes with exactly its
# own commands.  Another's Cancel (M292 P1) ends it canceled.
# board_ask LINE: a line sent to the board in a session of its own, and
# the board's reply to it.
board_ask() {
	k=$(curl -sf "http://127.0.0.1:$PORT/rr_connect?password=$(cat "$T/pw")&sessionKey=yes" |
	    jq -r .sessionKey) || fail "rr_connect"
	curl -sf -G -H "X-Session-Key: $k" --data-urlencode "gcode=$1" \
	    "http://127.0.0.1:$PORT/rr_gcode" > /dev/null || fail "rr_gcode $1"
	curl -sf -H "X-Session-Key: $k" "http://127.0.0.1:$PORT/rr_reply" ||
	    fail "rr_reply"
}
board_ask "M292 P0" > "$T/reply.out"
grep -q "^Error: M292: no message box is open" "$T/reply.out" ||
	fail "the board took an M292 with no box: $(cat "$T/reply.out")"
boxlines=$(grep -c -v '^;' "$T/box.gcode")
[ "$boxlines" -eq $((lines + 1)) ] || fail "the box's job: $boxlines lines"
l4=$(grep -c -x "layer 4" "$ML" || true)
id=$(submit "$T/box.gcode")
duet_box_shown
want="	waiting for the user: Inspect: Check the first layers [0 OK, 1 Cancel]; gpc answer mk3 CHOICE"
"$GPC" status mk3 > "$T/gpc.out"
grep -qxF "$want" "$T/gpc.out" || fail "gpc status with the box: $(cat "$T/gpc.out")"
"$GQUEUE" -l > "$T/gqueue.out"
grep -qxF "$want" "$T/gqueue.out" || fail "gqueue -l with the box: $(cat "$T/gqueue.out")"
status | jq -e '.activity == "waiting"' > /dev/null ||
	fail "status with the box: $(status)"
# The file waits: nothing after the M291 has run.
[ "$(grep -c -x "layer 4" "$ML" || true)" -eq "$l4" ] ||
	fail "the board printed on past its message box"
board_ask "M292 P0 S7" > "$T/reply.out"
grep -q "^Error: M292: sequence number 7 is not the message box's (1)" "$T/reply.out" ||
	fail "the board took another box's seq: $(cat "$T/reply.out")"
"$GPC" answer mk3 Nope 2> "$T/answer.err" && fail "gpc answer took a choice of none"
grep -q "no button 'Nope': the choices are 0 OK, 1 Cancel" "$T/answer.err" ||
	fail "gpc answer Nope said: $(cat "$T/answer.err")"
! grep -q "answered" "$ML" || fail "the box was answered before gpc answer"
"$GPC" status mk3 | grep -qxF "$want" || fail "the prompt went with a refused answer"
"$GPC" answer mk3 ok > "$T/answer.out" || fail "gpc answer mk3 ok: exit $?"
grep -qx "mk3: answered ok (button 0's M292 for the message box, through rr_gcode, or /machine/code in SBC mode)" "$T/answer.out" ||
	fail "gpc answer said: $(cat "$T/answer.out")"
"$WAITFOR" contains "$ML" "answered 1 ok" || fail "the box was not closed"
grep -qx "gcode M292 P0 S1" "$ML" || fail "not answered with M292 P0 S1: $(grep M292 "$ML")"
"$WAITFOR" contains "$T/spoold.log" "duet: mk3: the printer's prompt is over" ||
	fail "the prompt stayed after its answer"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" ".state == \"completed\" and .lines_done == $boxlines and .layer == 6"
"$GPC" status mk3 > "$T/gpc.out"
! grep -q "Check the first layers" "$T/gpc.out" || fail "gpc status after the answer: $(cat "$T/gpc.out")"
# Cancel (M292 P1) abandons the file where it waited: the job is
# canceled, not completed.
id=$(submit "$T/box.gcode")
"$WAITFOR" contains "$ML" "box 2 3 Check the first layers" ||
	fail "job $id: the board did not show the second box"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status waiting: Inspect" ||
	fail "spoold did not hear the second prompt"
"$GPC" answer mk3 1 > "$T/answer.out" || fail "gpc answer mk3 1: exit $?"
"$WAITFOR" contains "$ML" "answered 2 cancel" || fail "the box was not cancelled"
grep -qx "gcode M292 P1 S2" "$ML" || fail "not cancelled with M292 P1 S2: $(grep M292 "$ML")"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a job whose box was cancelled waited as done"
history "$id" '.state == "canceled"'

# 4. The board halts mid-print (a heater fault): the job ends aborted
# with the firmware's words, the printer is offline until the board is
# reset (M999, which also drops every session: the backend opens one
# again).
n=$(ready_count)
c=$(count "$ML" "connect ok")
ctl hold layer=2
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: layer 2, line" ||
	fail "job $id: layer 2 not followed"
ctl halt "message=Heater%201%20fault"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a halted job waited as done"
history "$id" '.state == "aborted" and (.reason | test("halted.*Heater 1 fault"))'
status | jq -e '.activity == "offline" and (.reason | test("halted"))' \
    > /dev/null || fail "status when halted: $(status)"
ctl release
board_gcode M999
ready_again "$n" ||
	fail "the printer was not ready after the board's reset"
[ "$(count "$ML" "connect ok")" -gt $((c + 1)) ] ||
	fail "the backend did not open a session again after the reset"

# 5. gpc abort: M112 goes to the board, which halts; the job ends
# aborted.
n=$(ready_count)
ctl hold layer=2
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "held 2" || fail "job $id did not reach layer 2"
"$GPC" abort mk3 || fail "gpc abort"
"$WAITFOR" contains "$ML" "gcode M112" || fail "M112 did not reach the board"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "an emergency stop waited as done"
history "$id" '.state == "aborted"'
ctl release
board_gcode M999
ready_again "$n" ||
	fail "the printer was not ready after the emergency stop"

# 6. The session expires mid-print (as after a pause of the network
# longer than sessionTimeout): the board answers 401, the backend opens
# a session again, and the print goes on to its end.
duet_session_lapses

# 7. A wrong password: the board refuses the session (err 1), the
# printer is offline and says why; the right one, and it is ready.
duet_wrong_password "connect wrong-password" "rr_connect: err 1, a wrong password"

# 8. The network to the board is down mid-print: the printer is
# offline, the job is not ended, and it is followed again once the board
# answers.
duet_network_down

# 9. A print started at the board's panel: the printer is busy, a job
# waits.
ctl foreign filename=benchy.gcode
"$WAITFOR" contains "$T/spoold.log" "mk3: busy printing 0:/gcodes/benchy.gcode, not a gspool job" ||
	fail "the printer was not shown busy"
"$GQUEUE" --json | jq -e '.printers[0] | .state == "busy" and
    .message == "printing 0:/gcodes/benchy.gcode, not a gspool job"' > /dev/null ||
	fail "the printer while the board prints another's file: $("$GQUEUE" --json)"
id=$(submit "$T/job.gcode")
queued "$id"
ctl finish
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 10. The board is away (switched off, or its network gone): the
# printer is offline, the job stays pending, then prints once the board
# is back (a board just started: no session, which the backend opens).
n=$(count "$T/spoold.log" "mk3: cannot reach")
net_model_stop
"$WAITFOR" count "$T/spoold.log" "mk3: cannot reach 127.0.0.1:$PORT" $((n + 1)) ||
	fail "the printer was not shown offline"
status | jq -e '.activity == "offline"' > /dev/null ||
	fail "status without the board: $(status)"
id=$(submit "$T/job.gcode")
queued "$id"
model_start
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 11. A password's file that others can read is refused, and said so.
chmod 644 "$T/pw"
ctl expire
"$WAITFOR" contains "$T/spoold.log" "password_file $T/pw: must be a file" ||
	fail "a password others can read was taken"
n=$(ready_count)
chmod 600 "$T/pw"
ready_again "$n" ||
	fail "the printer was not ready again"

# 12. A board older than RepRapFirmware 3.5 gives no session key: the
# session is the backend's address, and a job prints in it.
net_model_stop
model_start --no-session-key
"$WAITFOR" contains "$T/spoold.log" "(duet3mb6hc, API level 0), by this host's address" ||
	fail "no session by address with an older board"
id=$(submit "$T/job.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" ".state == \"completed\" and .lines_done == $lines and .layer == 6"
echo "PASS"
