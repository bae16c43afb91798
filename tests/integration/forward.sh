#!/bin/sh
# A remote queue: printer far on the front spool is
# sftp://alice@127.0.0.1:PORT/mk3, the printer mk3 of a second spool
# (the remote, its own directory, gsftpd and virtual printer).  A job
# sent to far is forwarded once, printed exactly on the remote's printer,
# and its progress, layer and end are seen here; its title, priority
# and copies are the remote job's; gcancel, gpc pause and
# gpc resume on the local job act on the remote one; a file the remote
# would refuse, by the limits it publishes, is refused here before it is
# sent, with a reason naming that host, and one sliced for a filament
# not loaded there waits here until it is; a class of a local
# printer and far fills both; a remote gsftpd that is down keeps the job
# pending here with the reason, and once it is back the job is printed;
# a printer busy there with a job this host did not send, or disabled,
# shows busy here.
. "$top_srcdir/tests/integration/lib.sh"
command -v sftp > /dev/null || { echo "SKIP: no sftp"; exit 77; }
. "$top_srcdir/tests/integration/forwardlib.sh"

# 0. An sftp:// printer without its key or its host's key, or with a
#    device that names no account or no destination, is refused with the
#    file and the line.
bad_conf() {
	{
		printf '[spool]\ndirectory = %s\nbackend_dir = %s\n' "$T/bad" "$BIN/backends"
		printf '[printer far]\n'
		for line in "$@"; do echo "$line"; done
	} > "$T/bad.conf"
	rc=0
	"$SPOOLD" -n -c "$T/bad.conf" > "$T/bad.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "spoold -n took: $*"
}
bad_conf "device = sftp://alice@127.0.0.1:2222/mk3" "known_hosts_file = $T/kh"
grep -qF "$T/bad.conf:5: [printer far]: device sftp://alice@127.0.0.1:2222/mk3 needs ssh_key_file" \
    "$T/bad.out" || fail "no ssh_key_file: $(cat "$T/bad.out")"
bad_conf "device = sftp://alice@127.0.0.1:2222/mk3" "ssh_key_file = $T/k"
grep -qF "$T/bad.conf:5: [printer far]: device sftp://alice@127.0.0.1:2222/mk3 needs known_hosts_file" \
    "$T/bad.out" || fail "no known_hosts_file: $(cat "$T/bad.out")"
bad_conf "device = sftp://127.0.0.1:2222/mk3" "ssh_key_file = $T/k" "known_hosts_file = $T/kh"
grep -qF "$T/bad.conf:5: device: 'sftp://127.0.0.1:2222/mk3': expected sftp://ACCOUNT@HOST[:PORT]/DEST" \
    "$T/bad.out" || fail "no account: $(cat "$T/bad.out")"
bad_conf "device = $T/mk3.tty" "ssh_key_file = $T/k"
grep -qF "$T/bad.conf:6: ssh_key_file: [printer far]'s device $T/mk3.tty is not sftp://" \
    "$T/bad.out" || fail "a key for a serial printer: $(cat "$T/bad.out")"

fwd_remote --command-ms 3
gs_vprinter --command-ms 3
fwd_front "max_hotend = 300" \
    "[printer mk3]" "device = $T/mk3.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" \
    "[class room]" "printers = mk3 far"

# 1. Forwarded, printed exactly there, followed here to its end.
id=$(fwd_submit "$CUBE" -T "cube")
"$WAITFOR" contains "$T/spoold.log" "far-$id: layer " ||
	fail "no progress of job $id seen here"
"$GQUEUE" --json | jq -e --argjson id "$id" \
    '.printers[] | select(.name == "far") | .job == $id and .lines_done > 0' \
    > /dev/null || fail "far's progress: $("$GQUEUE" --json | jq -c '.printers')"
"$WAITFOR" contains "$T/spoold.log" "far: heaters' targets: T0 205, B 60" ||
	fail "the remote printer's heaters are not seen here"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
rj=$(fwd_attr "$id" forward.job)
[ -n "$rj" ] || fail "job $id has no forward.job: $("$GQUEUE" -l --history "$id")"
fid=$(fwd_attr "$id" forward.id)
case "$fid" in
*-"$id"-$(sha256sum "$CUBE" | cut -c1-12)) ;;
*) fail "job $id: forward id '$fid'" ;;
esac
fwd_rjob "$rj" > "$T/rj.json"
jq -e --arg f "$fid" '.state == "completed" and .attributes.forward == $f' \
    "$T/rj.json" > /dev/null || fail "the remote job $rj: $(cat "$T/rj.json")"
"$GQUEUE" --json --history "$id" | jq -e '.jobs[0].state == "completed"' \
    > /dev/null || fail "job $id here: $("$GQUEUE" --json --history "$id")"
"$GQUEUE" -l --history "$id" | grep -q "forward.job=$rj" ||
	fail "gqueue -l: $("$GQUEUE" -l --history "$id")"
gcode_commands "$CUBE" > "$T/expected.log"
cmp -s "$T/expected.log" "$B/vprinter.log" ||
	fail "the remote printer's log differs from the job's commands"
[ "$(fwd_count "$fid")" -eq 1 ] || fail "not one remote job for $fid"

# 1b. The job's own title, priority and copies are the remote job's
#     (NAME.options): two copies printed there, one remote job, and
#     the local job's two copies both done by it.
: > "$B/vprinter.log"
id=$(fwd_submit "$CUBE" -T "two cubes, first" -p 70 -# 2)
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
rj=$(fwd_attr "$id" forward.job)
fwd_rjob "$rj" > "$T/rj.json"
jq -e '.title == "two cubes, first" and .priority == 70 and .copies == 2 and
    .copies_done == 2 and .state == "completed"' "$T/rj.json" > /dev/null ||
	fail "the remote job $rj: $(jq -c '[.title, .priority, .copies, .copies_done, .state]' "$T/rj.json")"
{ cat "$T/expected.log"; cat "$T/expected.log"; } > "$T/expected2.log"
cmp -s "$T/expected2.log" "$B/vprinter.log" ||
	fail "the remote printer did not print the cube twice"
[ "$(fwd_count "$(fwd_attr "$id" forward.id)")" -eq 1 ] || fail "not one remote job for job $id"
"$GQUEUE" --json --history "$id" | jq -e '.jobs[0].state == "completed" and .jobs[0].copies_done == 2' \
    > /dev/null || fail "job $id here: $("$GQUEUE" --json --history "$id" | jq -c '.jobs[0]')"

# 2. A job canceled here is canceled there.
: > "$B/vprinter.log"
id=$(fwd_submit "$CUBE" -T "to cancel")
"$WAITFOR" contains "$T/spoold.log" "far-$id: layer " ||
	fail "job $id did not begin"
rj=$(fwd_attr "$id" forward.job)
[ -n "$rj" ] || fail "job $id has no forward.job: $("$GQUEUE" -l "$id")"
"$GCANCEL" "$id" || fail "gcancel $id"
"$WAITFOR" contains "$T/spoold.log" "far-$id: canceled" || fail "job $id was not canceled here"
fwd_rjob "$rj" | jq -e '.state == "canceled"' > /dev/null ||
	fail "the remote job $rj: $(fwd_rjob "$rj")"
"$GPC" ready far > /dev/null 2>&1 || true
"$GPC" -c "$B/gspool.conf" ready mk3 > /dev/null 2>&1 || true

# 3. Paused here, paused there; resumed, and printed to its end.
: > "$B/vprinter.log"
id=$(fwd_submit "$CUBE" -T "to pause")
"$WAITFOR" contains "$T/spoold.log" "far-$id: layer " ||
	fail "job $id did not begin"
rj=$(fwd_attr "$id" forward.job)
"$GPC" pause far > "$T/gpc.out" 2>&1 || fail "gpc pause: $(cat "$T/gpc.out")"
"$WAITFOR" contains "$T/spoold.log" "far-$id: paused" || fail "job $id was not paused here"
"$WAITFOR" contains "$T/spoold-b.log" "mk3-$rj: paused" || fail "the remote job $rj was not paused"
"$GPC" resume far > "$T/gpc.out" 2>&1 || fail "gpc resume: $(cat "$T/gpc.out")"
"$WAITFOR" contains "$T/spoold.log" "far-$id: printing: resumed" ||
	fail "job $id was not resumed here"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
fwd_rjob "$rj" | jq -e '.state == "completed"' > /dev/null ||
	fail "the remote job $rj: $(fwd_rjob "$rj")"

# A file the remote host would refuse (its printer's max_hotend is 285,
# as it publishes in its status.json; far's here 300): checked here
# against that before anything is sent, the job ends aborted here with
# a reason naming the host, is not sent again, and nothing of it reaches
# the remote's drop folder.
sed '0,/^M104 S[0-9]*/s//M104 S290/' "$CUBE" > "$T/hot.gcode"
grep -q '^M104 S290' "$T/hot.gcode" || fail "no M104 to change in the cube"
id=$(fwd_submit "$T/hot.gcode" -T "too hot there")
"$GQUEUE" -w "$id" > "$T/wait.out" 2>&1 && fail "a refused job waited as done"
"$GQUEUE" --json --history "$id" | jq -e '.jobs[0].state == "aborted" and
    (.jobs[0].reason | test("127.0.0.1:[0-9]+ would refuse it for mk3: line [0-9]+: M104 S290 sets 290 C, above the printer.s max_hotend 285"))' \
    > /dev/null || fail "the refused job: $("$GQUEUE" --json --history "$id" | jq -c '.jobs[0] | [.state, .reason]')"
[ "$(grep -c "far-$id: uploading " "$T/spoold.log")" -eq 1 ] || fail "the refused job was sent again"
! grep -q "gspool-far-$id-" "$T/gsftpd-b.log" ||
	fail "the refused job reached the remote: $(grep "gspool-far-$id-" "$T/gsftpd-b.log")"
sfx="-$id-$(sha256sum "$T/hot.gcode" | cut -c1-12)"
{ "$GQUEUE" -c "$B/gspool.conf" -a --json
  "$GQUEUE" -c "$B/gspool.conf" -a --json --history; } |
    jq -e -s --arg s "$sfx" '[.[].jobs[] | select((.attributes.forward // "") | endswith($s))] | length == 0' \
    > /dev/null || fail "the refused job was queued on the remote"
"$GQUEUE" -c "$B/gspool.conf" -a --json | jq -e '[.rejected[]? | select(.name | test("gspool-far-"))] | length == 0' \
    > /dev/null || fail "the remote refused a file of it: $("$GQUEUE" -c "$B/gspool.conf" -a --json | jq -c '.rejected')"
"$GPC" ready far > /dev/null 2>&1 || true

# A file sliced for PETG while the remote printer has PLA loaded (its
# fit_material is hold, and far here declares nothing): the job waits
# here, pending with the remote host's reason, and nothing of it is
# sent; PETG loaded there, it is forwarded and printed.
"$GPC" -c "$B/gspool.conf" load mk3 T0 PLA > "$T/gpc.out" 2>&1 ||
	fail "gpc load on the remote: $(cat "$T/gpc.out")"
{ echo "; filament_type = PETG"; cat "$CUBE"; } > "$T/petg.gcode"
id=$(fwd_submit "$T/petg.gcode" -T "petg")
"$WAITFOR" contains "$T/spoold.log" "far-$id: pending: " || fail "job $id was not held back"
"$GQUEUE" --json | jq -e --argjson id "$id" '.jobs[] | select(.id == $id) |
    .state == "pending" and (.reason | test("127.0.0.1:[0-9]+ would hold it for mk3: needs PETG; mk3 has PLA loaded"))' \
    > /dev/null || fail "job $id: $("$GQUEUE" --json | jq -c --argjson id "$id" '.jobs[] | select(.id == $id) | [.state, .reason]')"
! grep -q "gspool-far-$id-" "$T/gsftpd-b.log" ||
	fail "the held job reached the remote: $(grep "gspool-far-$id-" "$T/gsftpd-b.log")"
: > "$B/vprinter.log"
"$GPC" -c "$B/gspool.conf" load mk3 T0 PETG > "$T/gpc.out" 2>&1 ||
	fail "gpc load on the remote: $(cat "$T/gpc.out")"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id after PETG was loaded there: $(cat "$T/wait.out")"
[ "$(fwd_count "$(fwd_attr "$id" forward.id)")" -eq 1 ] || fail "not one remote job for job $id"
"$GPC" -c "$B/gspool.conf" load mk3 T0 none > /dev/null 2>&1 || fail "gpc load none on the remote"

# A class of a local printer and the remote queue: two jobs sent to it
# at once fill both, each printed exactly once where it went.
: > "$B/vprinter.log"
: > "$T/vprinter.log"
for t in one two; do
	out=$("$GPRINT" -P room -T "room $t" "$CUBE") || fail "gprint -P room: $out"
	j=${out#request id is room-}
	eval "room_$t=\${j%% *}"
done
"$GQUEUE" -w "$room_one" "$room_two" > "$T/wait.out" || fail "the class's jobs: $(cat "$T/wait.out")"
on=$( { "$GQUEUE" --json --history "$room_one"; "$GQUEUE" --json --history "$room_two"; } |
    jq -r '.jobs[0].printer' | sort | tr '\n' ' ')
[ "$on" = "far mk3 " ] || fail "the class's jobs ran on: $on"
cmp -s "$T/expected.log" "$B/vprinter.log" || fail "the remote printer did not print one cube"
cmp -s "$T/expected.log" "$T/vprinter.log" || fail "the local printer did not print one cube"

# 4. The remote gsftpd down: the job waits here, pending with the
#    reason; back up, the job is forwarded and printed.
fwd_stop_gsftpd
id=$(fwd_submit "$CUBE" -T "while down")
"$WAITFOR" contains "$T/spoold.log" "far-$id: pending: " || fail "job $id was not sent back pending"
# Each line of the failure names the host once: the job's and the
# printer's.
for l in "far-$id: pending: " "far: cannot reach "; do
	line=$(grep -F -m 1 -- "$l" "$T/spoold.log") || fail "no line '$l'"
	[ "$(printf '%s\n' "$line" | grep -o -F "127.0.0.1:$PB" | wc -l)" -eq 1 ] ||
		fail "not the host once: $line"
done
"$GQUEUE" --json | jq -e --argjson id "$id" \
    '.jobs[] | select(.id == $id) | .state == "pending" and (.reason | test("127.0.0.1"))' \
    > /dev/null || fail "job $id while the host is down: $("$GQUEUE" --json | jq -c '.jobs')"
"$GQUEUE" --json | jq -e '.printers[] | select(.name == "far") | .state != "ready"' \
    > /dev/null || fail "far is ready while its host is down"
fwd_start_gsftpd
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id after the host came back: $(cat "$T/wait.out")"
[ "$(fwd_count "$(fwd_attr "$id" forward.id)")" -eq 1 ] || fail "not one remote job for job $id"

# 5. The remote printer busy with a job this host did not send: busy here.
out=$("$GPRINT" -c "$B/gspool.conf" -T "theirs" "$CUBE") || fail "gprint on the remote: $out"
"$WAITFOR" contains "$T/spoold.log" "far: busy " || fail "far did not show busy"
"$GPC" -c "$B/gspool.conf" disable mk3 > /dev/null 2>&1 || fail "gpc disable on the remote"
"$WAITFOR" contains "$T/spoold.log" "far: busy mk3 is disabled on" ||
	fail "far did not show the remote printer disabled"
echo "PASS"
