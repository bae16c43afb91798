#!/bin/sh
# The octoprint backend against a model of OctoPrint (octoprint-model.py,
# as strict as the real server): a job checked by spoold is uploaded
# with print=true, followed by its file position, and ends completed,
# its upload removed; it is paused and resumed, and survives a restart
# of spoold mid-print (the backend re-attaches); one is canceled; the
# printer failing behind OctoPrint ends one aborted with OctoPrint's
# words; a print gspool did not start shows the printer busy, and an
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

# 4. The network to the host is down mid-print: the printer is offline,
# the job is not ended, and is followed again once the host answers.
n=$(ready_count)
ctl hold percent=30
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "held 30" || fail "job $id did not reach 30 %"
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
"$WAITFOR" contains "$ML" "held 30" || fail "job $id did not reach 30 %"
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
