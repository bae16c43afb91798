#!/bin/sh
# A remote queue that is a class there: far is sftp://.../pool, and
# pool is mk3 and mini on the remote host.  Its members are found by
# the classes each printer's status.json names (gsftpd), and a job is
# checked here against each member's published allows before anything
# is sent, as the remote's spoold checks a job for a class: its limits
# are what every member allows (the remote refuses at intake a file
# one member's limits refuse), its fit any member's.  A file that suits
# one member and not the other is sent and printed on that one; one
# that no member suits now, but one would hold for, waits here with
# every member's reason until a member suits it; one above every
# member's limits is refused here with every member's reason, and one
# above one member's too, as the remote itself refuses it; nothing of a
# refused or held job reaches the remote.
. "$top_srcdir/tests/integration/lib.sh"
command -v sftp > /dev/null || { echo "SKIP: no sftp"; exit 77; }
. "$top_srcdir/tests/integration/forwardlib.sh"

FWD_PRINTERS="mk3 mini"
FWD_LINES_mk3="fit_material = refuse"
FWD_LINES_mini="max_hotend = 260
fit_material = hold"
FWD_REMOTE_EXTRA="[class pool]
printers = mk3 mini"
fwd_remote
FWD_DEST=pool
fwd_front "max_hotend = 300"
for p in mk3 mini; do
	"$GPC" -c "$B/gspool.conf" load "$p" T0 PLA > "$T/gpc.out" 2>&1 ||
		fail "gpc load $p on the remote: $(cat "$T/gpc.out")"
done

# reason ID: the front's job ID's state and reason, as one line.
reason() {
	{ "$GQUEUE" --json; "$GQUEUE" --json --history; } |
	    jq -r --argjson id "$1" '.jobs[] | select(.id == $id) | "\(.state): \(.reason)"' | head -n 1
}
# not_sent ID FILE: nothing of job ID reached the remote.
not_sent() {
	! grep -q "gspool-far-$1-" "$T/gsftpd-b.log" ||
		fail "job $1 reached the remote: $(grep "gspool-far-$1-" "$T/gsftpd-b.log" | head -n 3)"
	sfx="-$1-$(sha256sum "$2" | cut -c1-12)"
	{ "$GQUEUE" -c "$B/gspool.conf" -a --json
	  "$GQUEUE" -c "$B/gspool.conf" -a --json --history; } |
	    jq -e -s --arg s "$sfx" '[.[].jobs[] | select((.attributes.forward // "") | endswith($s))] | length == 0' \
	    > /dev/null || fail "job $1 was queued on the remote"
}

# 1. Sliced for PETG, PLA on both: mk3 would refuse it, mini would hold
#    it; so no member takes it now, and it waits here, pending, with
#    both reasons.  PETG loaded on mini, it is sent and printed there.
{ echo "; filament_type = PETG"; cat "$CUBE"; } > "$T/petg.gcode"
id=$(fwd_submit "$T/petg.gcode" -T "petg")
"$WAITFOR" contains "$T/spoold.log" "far-$id: pending: " || fail "job $id was not held back"
r=$(reason "$id")
case "$r" in
"pending: "*"127.0.0.1:$PB would hold it for pool: no member takes it now; mk3: needs PETG; mk3 has PLA loaded"*"; mini: needs PETG; mini has PLA loaded"*) ;;
*) fail "job $id: $r" ;;
esac
not_sent "$id" "$T/petg.gcode"
: > "$B/vprinter.log"
: > "$(fwd_vlog mini)"
"$GPC" -c "$B/gspool.conf" load mini T0 PETG > "$T/gpc.out" 2>&1 ||
	fail "gpc load mini on the remote: $(cat "$T/gpc.out")"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id after PETG was loaded on mini: $(cat "$T/wait.out")"
fid=$(fwd_attr "$id" forward.id)
[ "$(fwd_count "$fid")" -eq 1 ] || fail "not one remote job for job $id"
[ "$(fwd_rjob "$(fwd_attr "$id" forward.job)" | jq -r .printer)" = mini ] ||
	fail "job $id ran there on $(fwd_rjob "$(fwd_attr "$id" forward.job)" | jq -r .printer), not mini"
gcode_commands "$T/petg.gcode" > "$T/expected.log"
cmp -s "$T/expected.log" "$(fwd_vlog mini)" || fail "mini did not print job $id exactly"
[ ! -s "$B/vprinter.log" ] || fail "mk3 printed something of job $id"

# 2. Above every member's max_hotend (mk3's 285, mini's 260; far's here
#    is 300): refused here, aborted, with both members' reasons.
sed '0,/^M104 S[0-9]*/s//M104 S290/' "$CUBE" > "$T/hot.gcode"
grep -q '^M104 S290' "$T/hot.gcode" || fail "no M104 to change in the cube"
id=$(fwd_submit "$T/hot.gcode" -T "too hot for both")
"$GQUEUE" -w "$id" > "$T/wait.out" 2>&1 && fail "a job too hot for both waited as done"
r=$(reason "$id")
case "$r" in
"aborted: 127.0.0.1:$PB would refuse it for pool: mk3: line "*": M104 S290 sets 290 C, above the printer's max_hotend 285; mini: line "*": M104 S290 sets 290 C, above the printer's max_hotend 260") ;;
*) fail "job $id: $r" ;;
esac
not_sent "$id" "$T/hot.gcode"

# 3. Above mini's alone: mk3 would take it, but the class's limits
#    there are what every member allows, and the remote refuses it for
#    pool at intake; so it is refused here, with mini's reason.
sed '0,/^M104 S[0-9]*/s//M104 S270/' "$CUBE" > "$T/warm.gcode"
id=$(fwd_submit "$T/warm.gcode" -T "too hot for mini")
"$GQUEUE" -w "$id" > "$T/wait.out" 2>&1 && fail "a job too hot for mini waited as done"
r=$(reason "$id")
case "$r" in
"aborted: 127.0.0.1:$PB would refuse it for pool: mini: line "*": M104 S270 sets 270 C, above the printer's max_hotend 260") ;;
*) fail "job $id: $r" ;;
esac
not_sent "$id" "$T/warm.gcode"
rc=0
"$GPRINT" -c "$B/gspool.conf" -P pool "$T/warm.gcode" > "$T/direct.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q "max_hotend 260" "$T/direct.out" ||
	fail "the remote took for pool what mini refuses (exit $rc): $(cat "$T/direct.out")"
echo "PASS"
