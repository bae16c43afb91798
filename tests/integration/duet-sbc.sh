#!/bin/sh
# The duet backend against a model of a Duet 3 in SBC mode
# (duet-model.py --sbc, as strict as DuetSoftwareFramework's
# DuetWebServer): duet_mode is a Duet's only, and one of its words; the
# model answers as DSF documents (a wrong password and a missing or
# unknown session key 403, an unknown path 404); duet://HOST finds the
# mode by itself (rr_connect answered by DSF for older clients, with
# isEmulated); a job checked by spoold is uploaded with PUT
# /machine/file, started with M32 through POST /machine/code, followed
# by its layers and file position from /machine/model, and ends
# completed, its upload removed; one is held, paused and resumed, and
# survives spoold killed mid-print (the backend re-attaches); one is
# canceled (M25, then M0); an M291 box in a job is the printer's prompt,
# answered with M292 and its seq; a session that lapsed (403) is opened
# again and the print goes on; a wrong password shows the printer
# offline and says so; the host gone mid-print shows the printer offline
# and the job is not ended; DSF losing its board mid-print leaves the
# job waiting; gpc abort is M112, and the job aborted; a board taken
# from its computer is found standalone by the 404s; a DSF older than
# 3.4 (no /machine/connect, no rr_connect) is found by its 404s and
# prints without a session; duet_mode = sbc asks no rr_ request at all,
# and finds the model under /machine/status where /machine/model is not.  A clean run gives zero errors: no request
# the model does not know, none refused before the faults the test
# makes.
. "$top_srcdir/tests/integration/duetlib.sh"

# dsf METHOD PATH [curl options]: a request to the model as any client,
# its HTTP code on stdout.
dsf() {
	m=$1 p=$2
	shift 2
	curl -s -o "$T/dsf.out" -w '%{http_code}' -X "$m" "$@" \
	    "http://127.0.0.1:$PORT$p"
}
# expect_code CODE METHOD PATH [curl options]
expect_code() {
	want=$1
	shift
	got=$(dsf "$@")
	[ "$got" = "$want" ] || fail "$1 $2: HTTP $got, not $want: $(cat "$T/dsf.out")"
}

# duet_mode names a Duet's way to the network: a Marlin printer takes
# none, and a word that is none of auto, standalone, sbc is refused.
net_spoold_refuses "duet_mode: [printer mk3]'s device $T/mk3.tty is not a Duet's (duet://HOST)" \
    "duet_mode = sbc"
net_spoold_refuses "duet_mode: 'both' is not" \
    "device = duet://127.0.0.1:1" "password_file = $T/pw" "duet_mode = both"

model_start --sbc
# The model as DSF documents it: the password checked at connect (403),
# every other request with its session's key (403 without one, or with
# one it never gave), paths it has not 404, and the key it gives works.
expect_code 403 GET "/machine/connect?password=wrong"
expect_code 403 GET /machine/model
expect_code 403 GET /machine/model -H "X-Session-Key: 1234"
expect_code 404 GET /machine/nothing
expect_code 405 GET /machine/code
expect_code 200 GET "/machine/connect?password=$(cat "$T/pw")"
k=$(jq -r .sessionKey "$T/dsf.out")
expect_code 200 GET /machine/model -H "X-Session-Key: $k"
jq -e '.state.status == "idle" and .job.lastFileCancelled == false and
    (.heat.heaters | length) == 2' "$T/dsf.out" > /dev/null ||
	fail "the model's object model: $(cat "$T/dsf.out")"
expect_code 204 GET /machine/disconnect -H "X-Session-Key: $k"
expect_code 403 GET /machine/model -H "X-Session-Key: $k"
u0=$(count "$ML" "unauthorized")

READY="mk3: ready RepRapFirmware (DuetSoftwareFramework, SBC mode)"
net_setup "device = duet://127.0.0.1:$PORT" "password_file = $T/pw" \
    "max_hotend = 250" "heaters_off_after = 1"
grep -q "mk3: 127.0.0.1:$PORT is a Duet in SBC mode" "$T/spoold.log" ||
	fail "the mode was not said: $(grep mk3 "$T/spoold.log")"
grep -qx "rr-connect emulated" "$ML" ||
	fail "the mode was not found through rr_connect: $(cat "$ML")"

# 0. gspool's own check comes first.
net_refuses_hot

# 1. A print, to its end.
id=$(submit "$T/job.gcode")
name="0:/gcodes/gspool-mk3-$id.gcode"
duet_done
"$WAITFOR" contains "$ML" "delete $name" || fail "the upload was not removed"
grep -qx "upload $name $size put" "$ML" ||
	fail "not uploaded whole with PUT: $(grep upload "$ML")"
grep -qx "gcode M32 \"$name\"" "$ML" || fail "not started with M32"
grep -qx "layer 6" "$ML" || fail "the model did not print layer 6"
"$WAITFOR" contains "$ML" "gcode M140 S0" ||
	fail "the heaters were not turned off after the job"

# 2. Held at layer 3: the status model shows it there; it pauses and
# resumes; spoold is killed and re-attaches to the backend, which
# followed the print meanwhile; released, it completes.
duet_held 3
status | jq -e '.activity == "printing" and .progress.layer == 3 and
    .progress.layers == 6 and .progress.bytes_fraction > 0.3' > /dev/null ||
	fail "status at layer 3: $(status)"
"$GPC" temps mk3 | grep -qx "mk3: T0 200.0/200.0 C, B 60.0/60.0 C" ||
	fail "gpc temps: $("$GPC" temps mk3)"
duet_pause_resume
net_spoold_restart
status | jq -e '.activity == "printing" and .progress.layer == 3' > /dev/null ||
	fail "status after the restart: $(status)"
ctl release
duet_done

# 3. Canceled mid-print: DSF's lastFileCancelled says so too.
duet_held 2
duet_cancel
ctl release

# 3b. An M291 box in the job is the printer's prompt; gpc answer ok is
# M292 P0 with the box's seq, through /machine/code; the job completes.
id=$(submit "$T/box.gcode")
duet_box_shown
"$GPC" answer mk3 ok > "$T/answer.out" || fail "gpc answer mk3 ok: exit $?"
"$WAITFOR" contains "$ML" "answered 1 ok" || fail "the box was not closed"
grep -qx "gcode M292 P0 S1" "$ML" || fail "not answered with M292 P0 S1: $(grep M292 "$ML")"
grep -qx "mk3: answered ok (button 0's M292 for the message box, through rr_gcode, or /machine/code in SBC mode)" "$T/answer.out" ||
	fail "gpc answer said: $(cat "$T/answer.out")"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed" and .layer == 6'

# So far, a clean run: every request known to the model and taken.
! grep -q "^unmodelled" "$ML" || fail "a request the model does not know: $(grep unmodelled "$ML")"
[ "$(count "$ML" "unauthorized")" -eq "$u0" ] ||
	fail "a request was refused: $(grep unauthorized "$ML")"
! grep -q -e "mk3: cannot reach" -e "refused the request" -e "cannot remove" \
    "$T/spoold.log" || fail "an error on a clean run: $(grep mk3 "$T/spoold.log")"

# 4. Every session lapses mid-print: 403, another session, and on.
duet_session_lapses

# 5. A wrong password: /machine/connect says 403.
duet_wrong_password "connect wrong-password" "GET /machine/connect: HTTP 403, a wrong password"

# 6. The host is gone mid-print (its network down): the printer is
# offline, the job is not ended, and is followed again.
duet_network_down

# 7. DSF loses its board mid-print (status disconnected): the printer is
# connecting, the job still its own, not ended; the board back, the job
# completes.
duet_held 2
ctl unplug
"$WAITFOR" contains "$T/spoold.log" "mk3: connecting DuetSoftwareFramework has lost its Duet board" ||
	fail "the lost board was not said"
"$GQUEUE" --json | jq -e --argjson id "$id" '.printers[0].job == $id' > /dev/null ||
	fail "the job was let go when DSF lost the board: $("$GQUEUE" --json)"
ctl plug
ctl release
duet_done

# 7b. gpc abort: M112 through /machine/code, the board halts, the job
# ends aborted and the printer is in error until an operator resets the
# board (M999, in a session of its own).
n=$(ready_count)
duet_held 2
"$GPC" abort mk3 || fail "gpc abort"
"$WAITFOR" contains "$ML" "gcode M112" || fail "M112 did not reach the board"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "an emergency stop waited as done"
history "$id" '.state == "aborted" and (.reason | test("halted"))'
ctl release
expect_code 200 GET "/machine/connect?password=$(cat "$T/pw")"
expect_code 200 POST /machine/code --data-binary M999 \
    -H "X-Session-Key: $(jq -r .sessionKey "$T/dsf.out")"
ready_again "$n" || fail "the printer was not ready after the board's reset"

# 7c. The board taken from its computer (standalone now, on the same
# address): the SBC mode found answers 404, the mode is found again, and
# a job prints in standalone mode.
net_model_stop
model_start
"$WAITFOR" contains "$T/spoold.log" "mk3: 127.0.0.1:$PORT answers 404 in SBC mode; its mode is found again" ||
	fail "the 404s of a host that changed were not said"
"$WAITFOR" contains "$T/spoold.log" "mk3: 127.0.0.1:$PORT is a Duet in standalone mode" ||
	fail "the standalone board was not found"
"$WAITFOR" contains "$T/spoold.log" "mk3: ready RepRapFirmware (duet3mb6hc)" ||
	fail "the standalone board was not ready"
id=$(submit "$T/job.gcode")
duet_done
grep -qx "upload 0:/gcodes/gspool-mk3-$id.gcode $size crc" "$ML" ||
	fail "not uploaded with rr_upload: $(grep upload "$ML")"

# 8. A DSF older than 3.4: no /machine/connect, no rr_connect (both
# 404), no session: a backend started on it finds the mode by the 404s,
# and a job prints.
gs_stop_spoold
net_model_stop
model_start --sbc --dsf-old
n=$(ready_count)
gs_spoold
ready_again "$n" || fail "the printer was not ready with an old DSF"
grep -q "mk3: 127.0.0.1:$PORT has no /machine/connect (DSF older than 3.4)" \
    "$T/spoold.log" || fail "an old DSF was not said"
grep -qx "rr-connect absent" "$ML" || fail "the mode was not found by rr_connect's 404"
id=$(submit "$T/job.gcode")
duet_done

# 9. duet_mode = sbc: DSF's API from the first request, no rr_ one; a
# DSF that has the model under /machine/status only is asked there.
gs_stop_spoold
net_model_stop
model_start --sbc --status-only
r=$(count "$ML" "rr-connect")
gs_config "device = duet://127.0.0.1:$PORT" "password_file = $T/pw" \
    "max_hotend = 250" "duet_mode = sbc"
net_spoold_check
n=$(ready_count)
gs_spoold
ready_again "$n" || fail "the printer was not ready with duet_mode = sbc"
id=$(submit "$T/job.gcode")
duet_done
[ "$(count "$ML" "rr-connect")" -eq "$r" ] ||
	fail "duet_mode = sbc asked rr_connect: $(grep rr-connect "$ML")"
[ "$(count "$ML" "absent /machine/model")" -eq 1 ] ||
	fail "/machine/model was not asked once, then /machine/status: $(grep absent "$ML")"
! grep -q "^unmodelled" "$ML" || fail "a request the model does not know: $(grep unmodelled "$ML")"
echo "PASS"
