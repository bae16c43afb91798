# duetlib.sh - what the tests of the duet backend share, on top of
# net.sh: the model of a Duet (duet-model.py, standalone or SBC mode),
# the board's password, a job of six layers with a Cura slicer's layer
# comments (which the firmware reads for its layer count and current
# layer, and gspool's analyser for its own) and its counts, and the
# job's stops on its way (held at a layer, paused, resumed, canceled).
#
# A test sources this file (it sources net.sh), starts the model with
# model_start [options], and sets READY as net.sh says.
. "$top_srcdir/tests/integration/net.sh"
net_need jq curl
MODEL="$top_srcdir/tests/integration/duet-model.py"
READY="mk3: ready RepRapFirmware"

net_secret "$T/pw" gspool-duet-pass
# model_start [model options]
model_start() {
	net_model_start --password-file "$T/pw" --rate 1500 "$@"
}
# count FILE TEXT: the lines of FILE with TEXT.
count() { grep -c -F -- "$2" "$1" || true; }

# 6 layers of 150 moves.
awk 'BEGIN {
	print ";FLAVOR:RepRap"; print ";LAYER_COUNT:6"
	print "M140 S60"; print "M104 S200"; print "M190 S60"
	print "M109 S200"; print "G28"; print "G90"; print "M82"
	for (l = 1; l <= 6; l++) {
		printf ";LAYER:%d\n", l - 1
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

# The job with an M291 message box (OK and Cancel, S3) where its layer 3
# begins, after which the board's file waits for the answer.
awk '{ print } /^;LAYER:2$/ {
	print "M291 P\"Check the first layers\" R\"Inspect\" S3" }' \
    "$T/job.gcode" > "$T/box.gcode"

# duet_box_shown: job $id's first message box shown by the board, and
# heard by spoold as the printer's prompt.
duet_box_shown() {
	"$WAITFOR" contains "$ML" "box 1 3 Check the first layers" ||
		fail "job $id: the board did not show the box"
	"$WAITFOR" contains "$T/spoold.log" "mk3: the printer waits for the user: Inspect: Check the first layers" ||
		fail "spoold did not hear the prompt"
}

# duet_held LAYER: a job submitted and held at LAYER's start by the
# model, with spoold following it there; its id in $id.
duet_held() {
	h=$(count "$ML" "held $1")
	ctl hold "layer=$1"
	id=$(submit "$T/job.gcode")
	"$WAITFOR" count "$ML" "held $1" $((h + 1)) ||
		fail "job $id did not reach layer $1"
	"$WAITFOR" contains "$T/spoold.log" "mk3-$id: layer $1, line" ||
		fail "job $id: layer $1 not followed"
}

# duet_pause_resume: the job $id, held, paused (M25) and resumed (M24)
# with gpc, each followed by spoold.
duet_pause_resume() {
	"$GPC" pause mk3 || fail "gpc pause"
	"$WAITFOR" contains "$ML" "gcode M25" || fail "the board was not asked to pause"
	"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused: paused by request" ||
		fail "the pause was not followed"
	status | jq -e '.activity == "paused"' > /dev/null ||
		fail "status when paused: $(status)"
	"$GPC" resume mk3 || fail "gpc resume"
	"$WAITFOR" contains "$ML" "resumed" || fail "the board was not asked to resume"
	"$WAITFOR" contains "$T/spoold.log" "mk3-$id: printing: resumed" ||
		fail "the resume was not followed"
}

# duet_cancel: the job $id, held, canceled with gcancel: the board
# pauses, then cancels (M0 only cancels a paused print); the upload
# goes.
duet_cancel() {
	"$GCANCEL" "$id" || fail "gcancel $id"
	"$WAITFOR" contains "$ML" "cancelled 0:/gcodes/gspool-mk3-$id.gcode" ||
		fail "the board was not asked to cancel: $(tail -n 5 "$ML")"
	"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a canceled job waited as done"
	"$WAITFOR" contains "$ML" "delete 0:/gcodes/gspool-mk3-$id.gcode" ||
		fail "the canceled upload was not removed"
	history "$id" '.state == "canceled"'
}

# duet_done: the job $id completes, every line and layer of it.
duet_done() {
	"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
	history "$id" ".state == \"completed\" and .lines_done == $lines and .layer == 6"
}

# duet_session_lapses: every session expires mid-print (as after a
# pause of the network longer than its timeout): the host refuses the
# next request, the backend opens a session again, and the job goes on
# to its end.
duet_session_lapses() {
	c=$(count "$ML" "connect ok")
	duet_held 2
	u=$(count "$ML" "unauthorized")
	ctl expire
	"$WAITFOR" count "$ML" "unauthorized" $((u + 1)) ||
		fail "the backend asked nothing after the session expired"
	"$WAITFOR" count "$ML" "connect ok" $((c + 1)) ||
		fail "the backend did not open a session again"
	"$WAITFOR" contains "$T/spoold.log" "mk3: the session expired" ||
		fail "the expired session was not said"
	ctl release
	duet_done
}

# duet_wrong_password MODEL-LINE WHY: a wrong password in the file: the
# host refuses the session (the model logs MODEL-LINE), the printer is
# offline and says WHY; the right one, and it is ready.
duet_wrong_password() {
	n=$(ready_count)
	printf 'not-the-password\n' > "$T/pw.new"
	chmod 600 "$T/pw.new"
	cp "$T/pw" "$T/pw.good"
	mv "$T/pw.new" "$T/pw"
	ctl expire
	"$WAITFOR" contains "$ML" "$1" ||
		fail "the backend did not try the wrong password"
	"$WAITFOR" contains "$T/spoold.log" "mk3: 127.0.0.1:$PORT refused the request ($2): check password_file" ||
		fail "the wrong password was not said"
	status | jq -e '.activity == "offline"' > /dev/null ||
		fail "status with a wrong password: $(status)"
	mv "$T/pw.good" "$T/pw"
	ready_again "$n" ||
		fail "the printer was not ready with the right password"
}

# duet_network_down: the network to the host is down mid-print: the
# printer is offline, the job is not ended, and it is followed again,
# to its end, once the host answers.
duet_network_down() {
	n=$(ready_count)
	duet_held 2
	d=$(count "$ML" "dropped")
	ctl blackout requests=2
	"$WAITFOR" contains "$T/spoold.log" "mk3: cannot reach 127.0.0.1:$PORT" ||
		fail "the printer was not shown offline"
	offline_with "$id" board
	"$WAITFOR" count "$ML" "dropped" $((d + 2)) ||
		fail "the backend did not try the board again"
	ready_again "$n" ||
		fail "the printer was not followed again"
	ctl release
	duet_done
}
