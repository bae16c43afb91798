#!/bin/sh
# The octoprint backend against a model of OctoPrint (octoprint-model.py,
# as strict as the real server): a job checked by spoold is uploaded
# with print=true, followed by its file position, and ends completed,
# its upload removed; it is paused and resumed, and survives a restart
# of spoold mid-print (the backend re-attaches); one is canceled; the
# printer failing behind OctoPrint ends one aborted with OctoPrint's
# words; the firmware's prompts, which OctoPrint's prompt plugin holds,
# are shown and answered through it, and one the firmware closes goes;
# a print gspool did not start shows the printer busy, and an
# upload answered 409 leaves the job pending; a host that goes away
# mid-print shows the printer offline and the job goes on; a wrong key
# is the printer refused, not the job failing, and a key's file others
# can read is refused; a file gspool refuses never reaches the host;
# octoprints:// checks the certificate.
. "$top_srcdir/tests/integration/net.sh"
net_need jq curl
MODEL="$top_srcdir/tests/integration/octoprint-model.py"
READY="mk3: ready Marlin"

net_secret "$T/key" OCTO-test-key-0123

# About 40 KB of moves in 6 layers, whose markers OctoPrint does not
# pass on: the layers come from the file, at the host's position.
awk 'BEGIN {
	print "M140 S60"; print "M104 S200"; print "M190 S60"
	print "M109 S200"; print "G28"; print "G90"; print "M82"
	for (l = 1; l <= 6; l++) {
		printf ";LAYER:%d\nG1 Z%.2f F600\n", l - 1, l * 0.2
		for (i = 0; i < 250; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i % 50,
			    10 + (i * 7) % 50, e
		}
	}
	print "M104 S0"; print "M140 S0"
}' > "$T/job.gcode"
lines=$(grep -c -v '^;' "$T/job.gcode")
size=$(wc -c < "$T/job.gcode")

net_model_start --api-key-file "$T/key" --rate 2000
net_setup "device = octoprint://127.0.0.1:$PORT" "api_key_file = $T/key" \
    "max_hotend = 250"
grep -q "mk3: OctoPrint 1.10.2 (API 0.1) at 127.0.0.1:$PORT" "$T/spoold.log" ||
	fail "the server's version was not logged"

# 0. gspool's own check comes first: a file it refuses never reaches
# the host.
net_refuses_hot
! grep -q "^upload " "$ML" || fail "a refused file reached the host: $(grep upload "$ML")"

# 1. A print, to its end: uploaded whole and printed at once, followed
# by the file position to the last line; the upload goes.
id=$(submit "$T/job.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
grep -qx "upload gspool-mk3-$id.gcode $size print=True" "$ML" ||
	fail "not uploaded whole to print: $(grep upload "$ML")"
"$WAITFOR" contains "$ML" "delete gspool-mk3-$id.gcode" ||
	fail "the upload was not removed"
history "$id" ".state == \"completed\" and .lines_done == $lines and .layer == 6"

# 2. Held at 40 %: progress from the file position; paused and resumed;
# spoold killed and restarted re-attaches; released, it completes.
ctl hold percent=40
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "held 40" || fail "job $id did not reach 40 %"
"$GPC" pause mk3 || fail "gpc pause"
"$WAITFOR" contains "$ML" "paused" || fail "the host was not asked to pause"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused: paused by request" ||
	fail "the pause was not followed"
# The heaters, from the host's own figures (the job heated them).
"$GPC" temps mk3 > "$T/temps.out"
grep -qx "mk3: T0 200.0/200.0 C, B 60.0/60.0 C" "$T/temps.out" ||
	fail "gpc temps: $(cat "$T/temps.out")"
status | jq -e '.activity == "paused" and .progress.bytes_fraction > 0.35 and
    .progress.bytes_fraction < 0.45 and .progress.lines_done > 500' \
    > /dev/null || fail "status when paused at 40 %: $(status)"
"$GPC" resume mk3 || fail "gpc resume"
"$WAITFOR" contains "$ML" "resumed" || fail "the host was not asked to resume"
net_spoold_restart
status | jq -e '.activity == "printing" and .progress.bytes_fraction > 0.35' \
    > /dev/null || fail "status after the restart: $(status)"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" ".state == \"completed\" and .lines_done == $lines"

# 3. Canceled mid-print: OctoPrint cancels it, the upload goes.
ctl hold percent=30
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "held 30" || fail "job $id did not reach 30 %"
"$GCANCEL" "$id" || fail "gcancel $id"
"$WAITFOR" contains "$ML" "cancelled gspool-mk3-$id.gcode" ||
	fail "the host was not asked to cancel"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a canceled job waited as done"
"$WAITFOR" contains "$ML" "delete gspool-mk3-$id.gcode" ||
	fail "the canceled upload was not removed"
history "$id" '.state == "canceled"'
ctl release

# 3b. The firmware's prompts (//action:prompt_*), which OctoPrint's
# Action Command Prompt plugin holds (the first as its documentation's
# example): shown while the job prints, with their choices, by gpc
# status and gqueue; a choice of none is refused and the plugin asked
# nothing; a spoold started again is told it; one answered by its text,
# one by its number: the plugin is sent exactly that choice, once (and
# sends the firmware M876 S<n>), and the prompt is gone.  One the
# firmware closes itself (prompt_end: answered at the printer) is gone
# here too, and a late answer refused.  With the plugin disabled no
# prompt is carried, and the log says why, once; enabled again, they
# are.  A prompt without words is still one, and of ten choices the
# first eight are carried.
# act LINE...: the firmware sends //action:LINE for each, at once.
act() {
	q=
	for a in "$@"; do
		q="$q${q:+&}line=$(printf '%s' "$a" | jq -sRr @uri)"
	done
	ctl action "$q"
}
ctl hold percent=35
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "held 35" || fail "job $id did not reach 35 %"
"$GPC" answer mk3 0 2> "$T/answer.err" && fail "gpc answer with no prompt"
grep -q "mk3: no prompt waits for an answer" "$T/answer.err" ||
	fail "gpc answer with no prompt said: $(cat "$T/answer.err")"
act "prompt_begin Filament runout detected. Please choose how to proceed:" \
    "prompt_choice Swap filament" "prompt_choice Home X/Y and pause print" \
    "prompt_choice Abort print" "prompt_show"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status waiting: Filament runout detected. Please choose how to proceed:" ||
	fail "the prompt was not shown"
want="	waiting for the user: Filament runout detected. Please choose how to proceed: [0 Swap filament, 1 Home X/Y and pause print, 2 Abort print]; gpc answer mk3 CHOICE"
"$GPC" status mk3 > "$T/gpc.out"
grep -qxF "$want" "$T/gpc.out" || fail "gpc status with the prompt: $(cat "$T/gpc.out")"
"$GQUEUE" -l > "$T/gqueue.out"
grep -qxF "$want" "$T/gqueue.out" || fail "gqueue -l with the prompt: $(cat "$T/gqueue.out")"
status | jq -e '.activity == "waiting"' > /dev/null ||
	fail "status with the prompt: $(status)"
"$GQUEUE" --json | jq -e '.printers[0].prompt ==
    "Filament runout detected. Please choose how to proceed:" and
    .printers[0].prompt_buttons == ["Swap filament",
    "Home X/Y and pause print", "Abort print"]' > /dev/null ||
	fail "gqueue --json with the prompt: $("$GQUEUE" --json | jq -c '.printers[0]')"
"$GPC" answer mk3 Nope 2> "$T/answer.err" && fail "gpc answer took a choice of none"
grep -q "no button 'Nope': the choices are 0 Swap filament, 1 Home X/Y and pause print, 2 Abort print" "$T/answer.err" ||
	fail "gpc answer Nope said: $(cat "$T/answer.err")"
"$GPC" answer mk3 3 2> "$T/answer.err" && fail "gpc answer took choice 3 of three"
! grep -q "^select" "$ML" || fail "the plugin was sent a refused answer: $(grep select "$ML")"
"$GPC" status mk3 | grep -qxF "$want" || fail "the prompt went with a refused answer"
# A spoold started again is told the prompt by the backend it re-attaches.
n=$(grep -c "re-attached to backend" "$T/spoold.log")
net_spoold_kill
net_spoold_start
"$WAITFOR" count "$T/spoold.log" "re-attached to backend" $((n + 1)) ||
	fail "spoold did not re-attach"
"$WAITFOR" count "$T/spoold.log" "mk3-$id: status waiting: Filament runout detected" 2 ||
	fail "spoold started again was not told the prompt"
"$GPC" status mk3 | grep -qxF "$want" || fail "the prompt after spoold's restart: $("$GPC" status mk3)"
"$GPC" answer mk3 "home x/y and pause print" > "$T/answer.out" ||
	fail "gpc answer mk3 'home x/y and pause print': exit $?"
grep -qx "mk3: answered home x/y and pause print (choice 1, through OctoPrint's action_command_prompt, which sends M876 S1)" "$T/answer.out" ||
	fail "gpc answer said: $(cat "$T/answer.out")"
"$WAITFOR" contains "$ML" "select 1 Home X/Y and pause print" ||
	fail "the plugin was not sent the choice"
"$WAITFOR" contains "$T/spoold.log" "octoprint: mk3: the printer's prompt is over" ||
	fail "the prompt stayed after its answer"
grep -qx "printer M876 S1" "$ML" || fail "the firmware was not sent M876 S1: $(grep M876 "$ML")"
[ "$(grep -c "^select" "$ML")" -eq 1 ] || fail "not one answer: $(grep select "$ML")"
"$GPC" status mk3 > "$T/gpc.out"
! grep -q "Filament runout" "$T/gpc.out" || fail "gpc status after the answer: $(cat "$T/gpc.out")"
# The second, by its number.
act "prompt_begin Filament unloaded, swap then proceed" \
    "prompt_choice Filament swapped" "prompt_show"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status waiting: Filament unloaded, swap then proceed" ||
	fail "the second prompt was not shown"
"$GPC" status mk3 | grep -qxF "	waiting for the user: Filament unloaded, swap then proceed [0 Filament swapped]; gpc answer mk3 CHOICE" ||
	fail "gpc status with the second prompt: $("$GPC" status mk3)"
"$GPC" answer mk3 0 > "$T/answer.out" || fail "gpc answer mk3 0: exit $?"
"$WAITFOR" contains "$ML" "select 0 Filament swapped" ||
	fail "the plugin was not sent the second choice"
"$WAITFOR" count "$T/spoold.log" "octoprint: mk3: the printer's prompt is over" 2 ||
	fail "the second prompt stayed after its answer"
grep -qx "printer M876 S0" "$ML" || fail "the firmware was not sent M876 S0: $(grep M876 "$ML")"
# Closed by the firmware: gone here, and an answer finds none.
act "prompt_begin Nozzle Parked" "prompt_button Continue" "prompt_show"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status waiting: Nozzle Parked" ||
	fail "the third prompt was not shown"
act "prompt_end"
"$WAITFOR" count "$T/spoold.log" "octoprint: mk3: the printer's prompt is over" 3 ||
	fail "a prompt the firmware closed stayed"
"$GPC" status mk3 > "$T/gpc.out"
! grep -q "Nozzle Parked" "$T/gpc.out" || fail "gpc status after prompt_end: $(cat "$T/gpc.out")"
"$GPC" answer mk3 continue 2> "$T/answer.err" && fail "answered a prompt the firmware closed"
grep -q "mk3: no prompt waits for an answer" "$T/answer.err" ||
	fail "gpc answer after prompt_end said: $(cat "$T/answer.err")"
[ "$(grep -c "^select" "$ML")" -eq 2 ] || fail "not two answers: $(grep select "$ML")"
# The plugin disabled while it shows a prompt: the prompt is gone here,
# and why is said once; enabled again, its prompt is back, until the
# firmware ends it.
act "prompt_begin Check the nozzle" "prompt_choice Done" "prompt_show"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status waiting: Check the nozzle" ||
	fail "the fourth prompt was not shown"
ctl plugin enabled=false
"$WAITFOR" contains "$T/spoold.log" "mk3: GET /api/plugin/action_command_prompt: HTTP 404: Not Found: OctoPrint's prompts are not carried (its Action Command Prompt plugin is disabled)" ||
	fail "a disabled plugin was not said"
"$WAITFOR" count "$T/spoold.log" "octoprint: mk3: the printer's prompt is over" 4 ||
	fail "the prompt stayed with the plugin disabled"
"$GPC" answer mk3 done 2> "$T/answer.err" && fail "answered with the plugin disabled"
ctl plugin enabled=true
"$WAITFOR" contains "$T/spoold.log" "mk3: OctoPrint's prompts are carried again" ||
	fail "the plugin enabled again was not said"
"$WAITFOR" count "$T/spoold.log" "mk3-$id: status waiting: Check the nozzle" 2 ||
	fail "the plugin's prompt did not come back"
[ "$(grep -c "prompts are not carried" "$T/spoold.log")" -eq 1 ] ||
	fail "the disabled plugin was said more than once"
act "prompt_end"
"$WAITFOR" count "$T/spoold.log" "octoprint: mk3: the printer's prompt is over" 5 ||
	fail "the fourth prompt stayed after prompt_end"
# A prompt without words, and with more choices than gspool keeps: the
# first 8 are carried, the cut said once, and the last kept answered.
act "prompt_begin" "prompt_choice c0" "prompt_choice c1" "prompt_choice c2" \
    "prompt_choice c3" "prompt_choice c4" "prompt_choice c5" \
    "prompt_choice c6" "prompt_choice c7" "prompt_choice c8" \
    "prompt_choice c9" "prompt_show"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: status waiting: the printer asks" ||
	fail "a prompt without words was not shown"
"$GPC" status mk3 | grep -qxF "	waiting for the user: the printer asks [0 c0, 1 c1, 2 c2, 3 c3, 4 c4, 5 c5, 6 c6, 7 c7]; gpc answer mk3 CHOICE" ||
	fail "gpc status with ten choices: $("$GPC" status mk3)"
"$GPC" answer mk3 c8 2> "$T/answer.err" && fail "answered a choice not carried"
"$GPC" answer mk3 c7 > "$T/answer.out" || fail "gpc answer mk3 c7: exit $?"
"$WAITFOR" contains "$ML" "select 7 c7" || fail "the plugin was not sent choice 7"
"$WAITFOR" count "$T/spoold.log" "octoprint: mk3: the printer's prompt is over" 6 ||
	fail "the prompt of ten choices stayed after its answer"
[ "$(grep -c "has 10 choices: those past 8 are not carried" "$T/spoold.log")" -eq 1 ] ||
	fail "the cut was not said once: $(grep "not carried" "$T/spoold.log")"
[ "$(grep -c "^select" "$ML")" -eq 3 ] || fail "not three answers: $(grep select "$ML")"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" ".state == \"completed\" and .lines_done == $lines"

# 4. The network to the host is down mid-print: the printer is offline,
# the job is not ended, and is followed again once the host answers.
n=$(ready_count)
ctl hold percent=30
id=$(submit "$T/job.gcode")
"$WAITFOR" count "$ML" "held 30" 2 || fail "job $id did not reach 30 %"
ctl blackout requests=2
"$WAITFOR" contains "$T/spoold.log" "mk3: cannot reach 127.0.0.1:$PORT: GET /api/job" ||
	fail "the printer was not shown offline"
offline_with "$id"
"$WAITFOR" count "$ML" "dropped GET" 2 ||
	fail "the backend did not try the host again"
ready_again "$n" ||
	fail "the printer was not followed again"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 5. The printer fails behind OctoPrint: the job ends aborted with
# OctoPrint's words; connected again, the printer is ready.
n=$(ready_count)
ctl hold percent=30
id=$(submit "$T/job.gcode")
"$WAITFOR" count "$ML" "held 30" 3 || fail "job $id did not reach 30 %"
ctl error "message=Thermal%20Runaway"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a failed job waited as done"
history "$id" '.state == "aborted" and (.reason | test("OctoPrint: Error: Thermal Runaway"))'
status | jq -e '.activity == "offline"' > /dev/null ||
	fail "status after the error: $(status)"
ctl release
curl -sf -X POST -H "X-Api-Key: $(cat "$T/key")" -H "Content-Type: application/json" \
    -d '{"command":"connect"}' "http://127.0.0.1:$PORT/api/connection" ||
	fail "POST /api/connection"
ready_again "$n" ||
	fail "the printer was not ready after it was connected again"

# 6. A print gspool did not start: the printer is busy, a job waits.
ctl foreign filename=benchy.gcode
"$WAITFOR" contains "$T/spoold.log" "mk3: busy printing benchy.gcode, not a gspool job" ||
	fail "the printer was not shown busy"
id=$(submit "$T/job.gcode")
queued "$id"
ctl finish
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 7. Someone starts a print just before the upload: OctoPrint answers
# 409, the job waits with that reason, and prints after the other.
ctl race filename=vase.gcode
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: pending: 127.0.0.1:$PORT is busy: POST /api/files/local: HTTP 409: Printer is already printing" ||
	fail "the 409 was not the job pending"
queued "$id"
! grep -q "upload gspool-mk3-$id.gcode" "$ML" || fail "the refused upload was kept"
ctl finish
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 8. A wrong key: OctoPrint refuses it (403), the printer is refused and
# says why; the right key again, it is ready.
n=$(ready_count)
printf 'not-the-key\n' > "$T/key.new"
chmod 600 "$T/key.new"
cp "$T/key" "$T/key.good"
mv "$T/key.new" "$T/key"
"$WAITFOR" contains "$T/spoold.log" "mk3: 127.0.0.1:$PORT refused the request (GET /api/job: HTTP 403: Forbidden): check api_key_file" ||
	fail "a wrong key was not said"
grep -q "forbidden GET /api/job" "$ML" || fail "the model did not refuse the key"
mv "$T/key.good" "$T/key"
ready_again "$n" ||
	fail "the printer was not ready with the right key"
! grep -q unauthorized "$ML" || fail "a request went without the key"

# 8b. A key's file that others can read is refused, and said so.
chmod 644 "$T/key"
"$WAITFOR" contains "$T/spoold.log" "api_key_file $T/key: must be a file" ||
	fail "a key others can read was taken"
n=$(ready_count)
chmod 600 "$T/key"
ready_again "$n" || fail "the printer was not ready again"

# 9. octoprints:// is https, and the host's certificate is checked.
net_tls_refused octoprints "GET /api/job" --api-key-file "$T/key"
