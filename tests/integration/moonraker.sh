#!/bin/sh
# The moonraker backend against a model of Moonraker and Klipper
# (moonraker-model.py, as strict as the real host): a job checked by
# spoold is uploaded with its SHA-256, started, followed by its layers
# and file position, and ends completed, its upload removed; it is
# paused and resumed, and survives a restart of spoold mid-print (the
# backend re-attaches); one is canceled; Klipper's shutdown ends one
# aborted with Klipper's message; a print gspool did not start shows the
# printer busy and the job waits; a host that is down shows the printer
# offline and the job pending, which prints once the host is back; the
# key's file is refused when others can read it; a host that trusts
# this client takes a job without a key.
. "$top_srcdir/tests/integration/net.sh"
net_need jq curl
MODEL="$top_srcdir/tests/integration/moonraker-model.py"
READY="mk3: ready Klipper"

net_secret "$T/key" gspool-test-key-0123
# api METHOD PATH: a request of Moonraker's API, with the key.
api() {
	curl -s -X "$1" -H "X-Api-Key: $(cat "$T/key")" \
	    "http://127.0.0.1:$PORT$2"
}

# 6 layers of 150 moves, with Klipper's layer information.
awk 'BEGIN {
	print "SET_PRINT_STATS_INFO TOTAL_LAYER=6"
	print "M140 S60"; print "M104 S200"; print "M190 S60"
	print "M109 S200"; print "G28"; print "G90"; print "M82"
	for (l = 1; l <= 6; l++) {
		printf ";LAYER:%d\nSET_PRINT_STATS_INFO CURRENT_LAYER=%d\n", l - 1, l
		printf "G1 Z%.2f F600\n", l * 0.2
		for (i = 0; i < 150; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i % 50,
			    10 + (i * 7) % 50, e
		}
	}
	print "M104 S0"; print "M140 S0"
}' > "$T/job.gcode"
# Its commands: spoold's lines, the line of only a comment none.
lines=$(grep -c -v '^;' "$T/job.gcode")
size=$(wc -c < "$T/job.gcode")
sum=$(sha256sum "$T/job.gcode" | cut -d' ' -f1)

# A key is a network printer's: Marlin's device takes none.
net_spoold_refuses "api_key_file: [printer mk3]'s device $T/mk3.tty is Marlin's, which takes no key" \
    "api_key_file = $T/key"

net_model_start --api-key-file "$T/key"
net_setup "device = moonraker://127.0.0.1:$PORT" "api_key_file = $T/key" \
    "max_hotend = 250" "heaters_off_after = 1"

# 0. gspool's own check comes first: a file it refuses never reaches
# the host.
net_refuses_hot

# 1. A print, to its end.
id=$(submit "$T/job.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
"$WAITFOR" contains "$ML" "delete gspool-mk3-$id.gcode" ||
	fail "the upload was not removed"
grep -qx "upload gspool-mk3-$id.gcode $size True" "$ML" ||
	fail "not uploaded whole with its checksum: $(grep upload "$ML")"
grep -qx "start gspool-mk3-$id.gcode" "$ML" || fail "not started"
! grep -q "^upload gspool-mk3-[0-9]*.gcode $(wc -c < "$T/hot.gcode") " "$ML" ||
	fail "a refused file was uploaded"
grep -qx "layer 6" "$ML" || fail "the model did not print layer 6"
# heaters_off_after: no job came within a second of its end.
"$WAITFOR" contains "$ML" "script TURN_OFF_HEATERS" ||
	fail "the heaters were not turned off after the job"
"$WAITFOR" contains "$T/spoold.log" "mk3: the heaters are off: no job came" ||
	fail "spoold did not hear the heaters were turned off"
"$GQUEUE" --json --history "$id" > "$T/h.json"
jq -e --argjson l "$lines" '.jobs[0] | .state == "completed" and
    .lines_done == $l and .layer == 6' "$T/h.json" > /dev/null ||
	fail "history: $(cat "$T/h.json")"

# 2. Held at layer 3: the status model shows the job there; it pauses
# and resumes; spoold is killed and re-attaches to the backend, which
# followed the print meanwhile; released, it completes.
ctl hold layer=3
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "held 3" || fail "job $id did not reach layer 3"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: layer 3, line" ||
	fail "job $id: layer 3 not followed"
status > "$T/s.json"
jq -e '.activity == "printing" and .progress.layer == 3 and
    .progress.lines_done > 300 and .progress.bytes_fraction > 0.3 and
    .progress.bytes_fraction < 0.6' "$T/s.json" > /dev/null ||
	fail "status at layer 3: $(cat "$T/s.json")"
"$GPC" status mk3 > "$T/gpc.out" || fail "gpc status: exit $?"
grep -q "printing mk3-$id: layer 3 " "$T/gpc.out" ||
	fail "gpc status: $(cat "$T/gpc.out")"
# The heaters, from the host's own figures (the job heated them).
"$GPC" temps mk3 > "$T/temps.out"
grep -qx "mk3: T0 200.0/200.0 C, B 60.0/60.0 C" "$T/temps.out" ||
	fail "gpc temps: $(cat "$T/temps.out")"
"$GPC" pause mk3 || fail "gpc pause"
"$WAITFOR" contains "$ML" "paused" || fail "the host was not asked to pause"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused: paused by request" ||
	fail "the pause was not followed"
status | jq -e '.activity == "paused"' > /dev/null ||
	fail "status when paused: $(status)"
"$GPC" resume mk3 || fail "gpc resume"
"$WAITFOR" contains "$ML" "resumed" || fail "the host was not asked to resume"
net_spoold_restart
status | jq -e '.activity == "printing" and .progress.layer == 3' > /dev/null ||
	fail "status after the restart: $(status)"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
"$GQUEUE" --json --history "$id" |
    jq -e --argjson l "$lines" '.jobs[0] | .state == "completed" and
    .lines_done == $l and .layer == 6' > /dev/null ||
	fail "job $id after the restart: $("$GQUEUE" --json --history "$id")"

# 3. Canceled mid-print: the host cancels it, the upload goes.
ctl hold layer=2
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "held 2" || fail "job $id did not reach layer 2"
"$GCANCEL" "$id" || fail "gcancel $id"
"$WAITFOR" contains "$ML" "cancelled gspool-mk3-$id.gcode" ||
	fail "the host was not asked to cancel"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a canceled job waited as done"
"$WAITFOR" contains "$ML" "delete gspool-mk3-$id.gcode" ||
	fail "the canceled upload was not removed"
history "$id" '.state == "canceled"'
ctl release

# 3b. A macro's prompt (RESPOND ... action:prompt_*), which Moonraker
# keeps in its G-code store: shown with its buttons, the printer
# waiting; a choice of none is refused; answered with gpc answer, the
# host runs the button's G-code (no M876, and gpc and the log say so)
# and the prompt is gone.
{
	echo 'G28'
	echo 'RESPOND TYPE=command MSG="action:prompt_begin Filament change"'
	echo 'RESPOND TYPE=command MSG="action:prompt_text Load the new spool"'
	echo 'RESPOND TYPE=command MSG="action:prompt_button Load|LOAD_FILAMENT T=0|primary"'
	echo 'RESPOND TYPE=command MSG="action:prompt_footer_button Skip||secondary"'
	echo 'RESPOND TYPE=command MSG="action:prompt_show"'
	echo 'SET_PRINT_STATS_INFO CURRENT_LAYER=1'
	echo 'G1 X10 F3000'
	echo 'G1 X20'
} > "$T/prompt.gcode"
ctl hold layer=1
id=$(submit "$T/prompt.gcode")
"$WAITFOR" contains "$ML" "held 1" || fail "job $id did not reach its layer 1"
"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: Filament change" ||
	fail "the prompt was not shown"
"$GPC" status mk3 > "$T/gpc.out"
grep -q "^	waiting for the user: Filament change \[0 Load, 1 Skip\]; gpc answer mk3 CHOICE" "$T/gpc.out" ||
	fail "gpc status with the prompt: $(cat "$T/gpc.out")"
status | jq -e '.activity == "waiting"' > /dev/null ||
	fail "status with the prompt: $(status)"
"$GPC" answer mk3 Nope 2> "$T/answer.err" && fail "gpc answer took a choice of none"
"$GPC" answer mk3 load > "$T/answer.out" || fail "gpc answer mk3 load: exit $?"
# No M876 goes to a Moonraker printer: gpc and the log say what is done.
grep -qx "mk3: answered load (button 0's G-code, through Moonraker's /printer/gcode/script)" "$T/answer.out" ||
	fail "gpc answer said: $(cat "$T/answer.out")"
grep -q "mk3: .* answers 'Filament change' with 0 (button 0's G-code, through Moonraker's /printer/gcode/script)" "$T/spoold.log" ||
	fail "spoold's log of the answer: $(grep "answers 'Filament" "$T/spoold.log")"
! grep -q "M876" "$T/answer.out" "$T/spoold.log" || fail "an M876 was named for a Moonraker printer"
"$WAITFOR" contains "$ML" "script LOAD_FILAMENT T=0" ||
	fail "the button's G-code was not run"
"$WAITFOR" contains "$T/spoold.log" "moonraker: mk3: the printer's prompt is over" ||
	fail "the prompt stayed after its answer"
"$WAITFOR" count "$T/spoold.log" "mk3-$id: status printing" 2 ||
	fail "the job did not go on after the answer"
"$GPC" status mk3 > "$T/gpc.out"
! grep -q "Filament change" "$T/gpc.out" || fail "gpc status after the answer: $(cat "$T/gpc.out")"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"

# 4. Klipper shuts down mid-print: the job ends aborted with Klipper's
# message, the printer is offline until Klipper restarts.
n=$(ready_count)
ctl hold layer=2
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: layer 2, line" ||
	fail "job $id: layer 2 not followed"
ctl shutdown "message=MCU%20'mcu'%20shutdown:%20Timer%20too%20close"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a shut down job waited as done"
history "$id" '.state == "aborted" and (.reason | test("Klipper shutdown: MCU .mcu. shutdown: Timer too close"))'
status | jq -e '.activity == "offline" and (.reason | test("Timer too close"))' \
    > /dev/null || fail "status after the shutdown: $(status)"
api POST /printer/firmware_restart > /dev/null
ready_again "$n" ||
	fail "the printer was not ready after Klipper's restart"
ctl release

# 4b. The network to the host is down mid-print: the printer is offline,
# the job is not ended, and it is followed again once the host answers;
# each wait before it is asked again is twice the last, from
# reconnect_interval (1 s).
n=$(ready_count)
ctl hold layer=2
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: layer 2, line" ||
	fail "job $id: layer 2 not followed"
from=$(($(wc -l < "$T/spoold.log") + 1))
ctl blackout requests=3
"$WAITFOR" contains "$T/spoold.log" "mk3: cannot reach 127.0.0.1:$PORT: GET /printer/objects/query" ||
	fail "the printer was not shown offline"
offline_with "$id"
"$WAITFOR" count "$ML" "dropped GET /printer/objects/query" 3 ||
	fail "the backend did not try the host again"
ready_again "$n" ||
	fail "the printer was not followed again"
waits=$(tail -n "+$from" "$T/spoold.log" | sed -n 's/.*mk3: the host is asked again in \([0-9]*\) s$/\1/p' | tr '\n' ' ')
[ "$waits" = "1 2 4 " ] || fail "the waits before each try: '$waits'"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 5. A print gspool did not start: the printer is busy, a job waits.
ctl foreign filename=benchy.gcode
"$WAITFOR" contains "$T/spoold.log" "mk3: busy printing benchy.gcode, not a gspool job" ||
	fail "the printer was not shown busy"
"$GQUEUE" --json | jq -e '.printers[0] | .state == "busy" and
    .message == "printing benchy.gcode, not a gspool job"' > /dev/null ||
	fail "the printer while the host prints another's file: $("$GQUEUE" --json)"
"$GQUEUE" > "$T/q.out"
grep -q "mk3 is busy" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
id=$(submit "$T/job.gcode")
queued "$id"
ctl finish
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 6. The host is down: the printer is offline, the job stays pending,
# then prints once the host is back.
n=$(grep -c "mk3: cannot reach" "$T/spoold.log" || true)
net_model_stop
"$WAITFOR" count "$T/spoold.log" "mk3: cannot reach 127.0.0.1:$PORT" $((n + 1)) ||
	fail "the printer was not shown offline"
status | jq -e '.activity == "offline"' > /dev/null ||
	fail "status without the host: $(status)"
id=$(submit "$T/job.gcode")
queued "$id"
net_model_start --api-key-file "$T/key"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 7. A key's file that others can read is refused, and said so.
chmod 644 "$T/key"
"$WAITFOR" contains "$T/spoold.log" "api_key_file $T/key: must be a file" ||
	fail "a key others can read was taken"
n=$(ready_count)
chmod 600 "$T/key"
ready_again "$n" ||
	fail "the printer was not ready again"
! grep -q unauthorized "$ML" || fail "a request went without the key"

# 7b. A host that trusts this client (Moonraker's trusted_clients):
# no api_key_file, and a job prints to its end.  The host with the key
# is gone: this one, without --api-key-file, listens on a port of its
# own.
gs_stop_spoold
net_model_stop
PORT=
net_model_start
n=$(ready_count)
net_setup "device = moonraker://127.0.0.1:$PORT"
ready_again "$n" ||
	fail "the printer of a host that trusts gspool did not get ready"
id=$(submit "$T/job.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" ".state == \"completed\" and .lines_done == $lines"
grep -q "^upload gspool-mk3-$id.gcode " "$ML" ||
	fail "not uploaded to the host that trusts gspool: $(grep upload "$ML")"

# 8. moonrakers:// is https, and the host's certificate is checked: one
# that no authority signed is refused, said so, and nothing is sent.
net_tls_refused moonrakers "GET /printer/objects/query" --api-key-file "$T/key"
