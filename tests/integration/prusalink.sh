#!/bin/sh
# The prusalink backend against a model of a Prusa printer with
# PrusaLink (prusalink-model.py, as strict as the real host): a job
# checked by spoold is uploaded by PUT with Print-After-Upload, followed
# by the host's percentage, and ends completed, its upload removed; it
# is paused and resumed, and survives a restart of spoold mid-print
# (the backend re-attaches); one is canceled; a runout (ATTENTION)
# pauses the job, to be seen to at the printer, a printer's error ends one
# aborted; a printer busy with something of its own answers 409 and the
# job waits; a print gspool did not start shows the printer busy; a host
# that goes away mid-print shows the printer offline and the job goes
# on; a wrong key and a wrong password are refused and said so; HTTP
# digest with USER:PASSWORD prints; binary G-code is refused, since
# gspool cannot check it yet; PrusaLink has no G-code endpoint and no
# emergency stop: gpc send says so, and gpc abort stops the job through
# the host, which ends it aborted.
. "$top_srcdir/tests/integration/net.sh"
net_need jq curl
MODEL="$top_srcdir/tests/integration/prusalink-model.py"
READY="mk3: ready PrusaLink"

net_secret "$T/key" gspool-test-key-0123
net_secret "$T/cred" maker:digest-pass-4567
# api METHOD PATH [curl options]: a request of PrusaLink's API with the
# key; prints the status code, the body goes to $T/api.out.
api() {
	m=$1 p=$2
	shift 2
	curl -s -o "$T/api.out" -w '%{http_code}' -X "$m" \
	    -H "X-Api-Key: $(cat "$T/key")" "$@" "http://127.0.0.1:$PORT$p"
}
# expect_code WANT METHOD PATH [curl options]
expect_code() {
	want=$1
	shift
	got=$(api "$@") || true
	[ "$got" = "$want" ] ||
		fail "$1 $2: $got, not $want: $(cat "$T/api.out")"
}
# hold PERCENT: the next job stops at PERCENT; held PERCENT: it has.
hold() {
	HELD=$(grep -c "^held " "$ML" || true)
	ctl hold "percent=$1"
}
held() {
	"$WAITFOR" count "$ML" "held " $((HELD + 1)) &&
	    [ "$(grep "^held " "$ML" | tail -n 1)" = "held $1" ]
}
# host_job: the id the host gave its current job.
host_job() {
	[ "$(api GET /api/v1/status)" = 200 ] || fail "status: $(cat "$T/api.out")"
	jq -r '.job.id' "$T/api.out"
}

# 6 layers of 150 moves.
awk 'BEGIN {
	print "M140 S60"; print "M104 S215"; print "M190 S60"
	print "M109 S215"; print "G28"; print "G90"; print "M83"
	for (l = 1; l <= 6; l++) {
		printf ";LAYER_CHANGE\n;Z:%.2f\nG1 Z%.2f F600\n", l * 0.2, l * 0.2
		for (i = 0; i < 150; i++)
			printf "G1 X%d Y%d E0.05 F3000\n", 10 + i % 50,
			    10 + (i * 7) % 50
	}
	print "M104 S0"; print "M140 S0"
}' > "$T/job.gcode"
lines=$(grep -c -v '^;' "$T/job.gcode")
size=$(wc -c < "$T/job.gcode")

net_model_start --api-key-file "$T/key" --digest-file "$T/cred" --rate 2000

# 0. The model is as strict as the host: no credentials, a wrong key or
# a wrong password are 401 (with the digest challenge); the right
# password by digest is taken; an upload that exists is 409 without
# Overwrite, a header that is not an RFC 8941 boolean 400, a job that is
# not the host's 404, a pause with nothing printing 409; there is no
# G-code endpoint.
code=$(curl -s -o /dev/null -D "$T/hdr" -w '%{http_code}' \
    "http://127.0.0.1:$PORT/api/v1/status")
[ "$code" = 401 ] || fail "no credentials: $code"
grep -qi '^WWW-Authenticate: Digest realm="Printer API"' "$T/hdr" ||
	fail "no digest challenge: $(cat "$T/hdr")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: wrong" \
    "http://127.0.0.1:$PORT/api/v1/status")
[ "$code" = 401 ] || fail "a wrong key: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --digest -u maker:wrong \
    "http://127.0.0.1:$PORT/api/v1/status")
[ "$code" = 401 ] || fail "a wrong password: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --digest \
    -u "$(cat "$T/cred")" "http://127.0.0.1:$PORT/api/v1/status")
[ "$code" = 200 ] || fail "digest: $code"
printf 'G28\n' > "$T/tiny.gcode"
expect_code 201 PUT /api/v1/files/usb/tiny.gcode -T "$T/tiny.gcode"
expect_code 409 PUT /api/v1/files/usb/tiny.gcode -T "$T/tiny.gcode"
expect_code 201 PUT /api/v1/files/usb/tiny.gcode -T "$T/tiny.gcode" \
    -H 'Overwrite: ?1'
expect_code 400 PUT /api/v1/files/usb/tiny.gcode -T "$T/tiny.gcode" \
    -H 'Overwrite: yes'
expect_code 404 PUT /api/v1/files/sd/tiny.gcode -T "$T/tiny.gcode"
expect_code 404 PUT /api/v1/job/1/pause
expect_code 404 POST /api/v1/gcode
expect_code 204 GET /api/v1/job
expect_code 204 DELETE /api/v1/files/usb/tiny.gcode
expect_code 404 DELETE /api/v1/files/usb/tiny.gcode

# A key is a network printer's: Marlin's device takes none.
net_spoold_refuses "" "api_key_file = $T/key"

net_setup "device = prusalink://127.0.0.1:$PORT" "api_key_file = $T/key" \
    "max_hotend = 250"

# 1. gspool's own check comes first: a file it refuses never reaches
# the host; binary G-code is refused, since gspool cannot check it yet.
net_refuses_hot
printf 'GCDE\001\000\000\000\001\000\000\000' > "$T/cube.bgcode"
"$GPRINT" "$T/cube.bgcode" > "$T/bg.out" 2>&1 && fail "binary G-code was taken"
grep -q "Prusa binary G-code.*gspool cannot check yet" "$T/bg.out" ||
	fail "gprint cube.bgcode: $(cat "$T/bg.out")"

# 2. A print, to its end: uploaded whole by PUT, printed after the
# upload, followed, and its upload removed.
id=$(submit "$T/job.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
"$WAITFOR" contains "$ML" "delete gspool-mk3-$id.gcode" ||
	fail "the upload was not removed"
grep -qx "upload gspool-mk3-$id.gcode $size print=?1 overwrite=?1 auth=key" \
    "$ML" || fail "not uploaded whole to print: $(grep upload "$ML")"
grep -q "^finished [0-9]* gspool-mk3-$id.gcode$" "$ML" || fail "not printed"
! grep -q "^upload gspool-mk3-[0-9]*.gcode $(wc -c < "$T/hot.gcode") " "$ML" ||
	fail "a refused file was uploaded"
! grep -q "\.bgcode" "$ML" || fail "binary G-code was uploaded"
history "$id" ".state == \"completed\" and .lines_done == $lines"

# 3. Held at 40 %: the status model shows the job there, from the host's
# percentage; it pauses and resumes; spoold is killed and re-attaches to
# the backend, which followed the print meanwhile; released, it
# completes.
hold 40
id=$(submit "$T/job.gcode")
held 40 || fail "job $id did not reach 40 %"
hid=$(host_job)
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: 40 % on the host" ||
	fail "job $id: 40 % not followed"
# The heaters, from the host's own figures (the job heated them).
"$GPC" temps mk3 > "$T/temps.out"
grep -qx "mk3: T0 215.0/215.0 C, B 60.0/60.0 C" "$T/temps.out" ||
	fail "gpc temps: $(cat "$T/temps.out")"
status > "$T/s.json"
jq -e '.activity == "printing" and .progress.lines_done > 300 and
    .progress.bytes_fraction >= 0.39 and .progress.bytes_fraction < 0.6' \
    "$T/s.json" > /dev/null || fail "status at 40 %: $(cat "$T/s.json")"
"$GPC" pause mk3 || fail "gpc pause"
"$WAITFOR" contains "$ML" "paused $hid" || fail "the host was not asked to pause"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused: paused by request" ||
	fail "the pause was not followed"
status | jq -e '.activity == "paused"' > /dev/null ||
	fail "status when paused: $(status)"
"$GPC" resume mk3 || fail "gpc resume"
"$WAITFOR" contains "$ML" "resumed $hid" || fail "the host was not asked to resume"
net_spoold_restart
status | jq -e '.activity == "printing" and .progress.bytes_fraction >= 0.39' \
    > /dev/null || fail "status after the restart: $(status)"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" ".state == \"completed\" and .lines_done == $lines"

# 4. Canceled mid-print: the host stops it, the upload goes.
hold 20
id=$(submit "$T/job.gcode")
held 20 || fail "job $id did not reach 20 %"
hid=$(host_job)
"$GCANCEL" "$id" || fail "gcancel $id"
"$WAITFOR" contains "$ML" "stopped $hid gspool-mk3-$id.gcode" ||
	fail "the host was not asked to stop"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a canceled job waited as done"
"$WAITFOR" contains "$ML" "delete gspool-mk3-$id.gcode" ||
	fail "the canceled upload was not removed"
history "$id" '.state == "canceled"'

# 5. A filament runout: the printer wants attention, the job is paused
# (PrusaLink gives no reason, and neither shows the printer's dialog nor
# takes an answer to it: the pause's reason says to see to it at the
# printer, gpc status and gqueue show no prompt, and gpc answer says
# why there is none); the host refuses to resume it (someone must load
# filament at the printer), and once that is done the print goes on and
# completes.
hold 20
id=$(submit "$T/job.gcode")
held 20 || fail "job $id did not reach 20 %"
hid=$(host_job)
ctl release
ctl attention "message=Filament%20runout"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: paused: the printer needs attention: see to it at the printer" ||
	fail "the runout did not pause the job"
status | jq -e '.activity == "paused"' > /dev/null ||
	fail "status at a runout: $(status)"
"$GQUEUE" --json | jq -e '.printers[0].prompt == null and
    .printers[0].prompt_buttons == []' > /dev/null ||
	fail "a prompt at a runout: $("$GQUEUE" --json | jq -c '.printers[0]')"
"$GPC" status mk3 > "$T/gpc.out"
grep -q "^	paused mk3-$id: " "$T/gpc.out" ||
	fail "gpc status at a runout: $(cat "$T/gpc.out")"
"$GQUEUE" -l > "$T/gqueue.out"
! grep -q "waiting for the user\|Filament runout" "$T/gpc.out" "$T/gqueue.out" ||
	fail "a prompt or a reason PrusaLink does not give was shown: $(cat "$T/gpc.out" "$T/gqueue.out")"
"$GPC" answer mk3 0 2> "$T/answer.err" && fail "gpc answer took an answer PrusaLink cannot send"
grep -qx "gpc: mk3: no prompt waits for an answer (PrusaLink carries none of the printer's dialogs: answer them at the printer)" "$T/answer.err" ||
	fail "gpc answer at a runout said: $(cat "$T/answer.err")"
"$GPC" resume mk3 || fail "gpc resume"
"$WAITFOR" contains "$ML" "refused resume $hid ATTENTION" ||
	fail "the host was not asked to resume"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: resume on 127.0.0.1:" ||
	fail "the host's refusal was not said"
hold 60
ctl attended
held 60 || fail "job $id did not go on to 60 %"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: printing: resumed on the host" ||
	fail "the print going on was not followed"
ctl release
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 6. The printer fails mid-print: the job ends aborted with the
# printer's words, the printer is offline until it is reset.
n=$(ready_count)
hold 20
id=$(submit "$T/job.gcode")
held 20 || fail "job $id did not reach 20 %"
ctl error "message=Thermal%20runaway"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "a failed job waited as done"
history "$id" '.state == "aborted" and (.reason | test("Thermal runaway"))'
status | jq -e '.activity == "offline" and (.reason | test("Thermal runaway"))' \
    > /dev/null || fail "status after the error: $(status)"
ctl reset
ready_again "$n" ||
	fail "the printer was not ready after its reset"

# 7. The printer turns busy (a calibration started at its display) as
# the upload arrives: the host answers 409, the job waits, and prints
# once the printer is free again.
ctl race
id=$(submit "$T/job.gcode")
"$WAITFOR" contains "$ML" "conflict gspool-mk3-$id.gcode BUSY" ||
	fail "the host did not refuse the upload"
"$WAITFOR" contains "$T/spoold.log" "mk3: busy " ||
	fail "the printer was not shown busy"
queued "$id"
ctl idle
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 8. A print gspool did not start: the printer is busy, a job waits.
ctl foreign name=benchy.gcode
"$WAITFOR" contains "$T/spoold.log" "mk3: busy printing benchy.gcode, not a gspool job" ||
	fail "the printer was not shown busy"
"$GQUEUE" --json | jq -e '.printers[0].state == "busy"' > /dev/null ||
	fail "the printer while the host prints another's file: $("$GQUEUE" --json)"
id=$(submit "$T/job.gcode")
queued "$id"
ctl finish
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 9. The host goes away mid-print: the printer is offline, the job is
# not ended, and it is followed again once the host is back.
n=$(ready_count)
hold 30
id=$(submit "$T/job.gcode")
held 30 || fail "job $id did not reach 30 %"
ctl away
"$WAITFOR" contains "$T/spoold.log" "mk3: cannot reach 127.0.0.1:$PORT" ||
	fail "the printer was not shown offline"
offline_with "$id"
ctl release
ctl back
ready_again "$n" ||
	fail "the printer was not followed again"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
history "$id" '.state == "completed"'

# 10. No G-code endpoint: gpc send says so, and nothing reaches the
# host.  No emergency stop either: gpc abort stops the job through the
# host, and the job ends aborted.
"$GPC" send mk3 G28 > "$T/send.out" 2>&1 && fail "gpc send went through"
grep -q "takes no G-code from gspool" "$T/send.out" ||
	fail "gpc send: $(cat "$T/send.out")"
hold 20
id=$(submit "$T/job.gcode")
held 20 || fail "job $id did not reach 20 %"
hid=$(host_job)
"$GPC" abort mk3 || fail "gpc abort"
"$WAITFOR" contains "$ML" "stopped $hid gspool-mk3-$id.gcode" ||
	fail "the host was not asked to stop"
"$GQUEUE" -w "$id" > "$T/wait.out" && fail "an aborted job waited as done"
history "$id" '.state == "aborted" and (.reason | test("emergency stop"))'
ctl release

# 11. A wrong key: refused and said so, nothing sent; the right key
# again, and the printer is back.
n=$(ready_count)
printf 'not-the-key\n' > "$T/key.wrong"
cp "$T/key" "$T/key.right"
cp "$T/key.wrong" "$T/key"
"$WAITFOR" contains "$T/spoold.log" "mk3: 127.0.0.1:$PORT refused the request" ||
	fail "a wrong key was not said"
status | jq -e '.activity == "offline"' > /dev/null ||
	fail "status with a wrong key: $(status)"
cp "$T/key.right" "$T/key"
ready_again "$n" ||
	fail "the printer was not ready again"

# 12. A key's file that others can read is refused, and said so.
chmod 644 "$T/key"
"$WAITFOR" contains "$T/spoold.log" "api_key_file $T/key: must be a file" ||
	fail "a key others can read was taken"
chmod 600 "$T/key"
ready_again $((n + 1)) ||
	fail "the printer was not ready again"

# 13. USER:PASSWORD is HTTP digest: a job prints with it; a wrong
# password is refused.
gs_stop_spoold
gs_config "device = prusalink://127.0.0.1:$PORT" "api_key_file = $T/cred"
gs_spoold
ready_again $((n + 2)) ||
	fail "the printer was not ready with a password"
id=$(submit "$T/job.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
grep -qx "upload gspool-mk3-$id.gcode $size print=?1 overwrite=?1 auth=digest" \
    "$ML" || fail "not uploaded with digest: $(grep upload "$ML")"
history "$id" '.state == "completed"'
printf 'maker:wrong\n' > "$T/cred"
"$WAITFOR" contains "$T/spoold.log" "mk3: 127.0.0.1:$PORT refused the request" ||
	fail "a wrong password was not said"

# 14. prusalinks:// is https, and the host's certificate is checked: one
# that no authority signed is refused, said so, and nothing is sent.
net_tls_refused prusalinks "GET /api/v1/status" --api-key-file "$T/key"
