#!/bin/sh
# Exactly once on the remote side of a forward: an upload whose
# NAME.options says forward-id = ID is queued once for its account.
# spoold is killed (SIGKILL) at each step of taking such a file in, and
# started again; the same upload is then sent again, and there is still
# exactly one job with that id, the one the sender saw.  Two copies
# taken in side by side make one job; two accounts with one id make two;
# the id is shown to its account alone; a bad id is refused with its
# line.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "[sftp]" "listen = 127.0.0.1:0" \
    "[account alice]" "keys = $T/alice.keys" \
    "[account bob]" "keys = $T/bob.keys"
sed -i '/^\[spool\]/a drop_quiet = 0' "$GSPOOL_CONF"
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }
gs_sftp_key alice
gs_sftp_key bob
gs_vprinter
gs_spoold
gs_gsftpd
drop="$T/spool/drop/alice"

# fwd_jobs ID [ACCOUNT]: the ids of the jobs with forward id ID, as an
# administrator sees them (spoold's user runs the test), one a line.
fwd_jobs() {
	{ "$GQUEUE" -a --json; "$GQUEUE" -a --json --history; } |
	    jq -r --arg f "$1" --arg o "${2:-alice}" \
	    '.jobs[] | select(.attributes.forward == $f and .owner == $o) | .id'
}
# one_job ID [ACCOUNT]: exactly one job has forward id ID; print its id.
one_job() {
	ids=$(fwd_jobs "$@")
	[ "$(echo "$ids" | grep -c .)" -eq 1 ] ||
		fail "forward id $1: jobs '$(echo $ids)', not exactly one"
	echo "$ids"
}
# send NAME ID [ACCOUNT]: upload the cube as drop/NAME with its options
# (held, so that nothing waits for the printer).
send() {
	printf 'title = forward %s\nhold = yes\nforward-id = %s\n' "$2" "$2" \
	    > "$T/$1.options"
	as_sftp "${3:-alice}" > "$T/sftp.out" 2>&1 <<B || { cat "$T/sftp.out"; fail "sftp put $1"; }
put $T/$1.options drop/$1.options
put $CUBE drop/$1
B
}
# sender_sees ID: the job the account finds in its queue.json by its
# forward id.
sender_sees() {
	rm -f "$T/mine.json"
	as_sftp alice > "$T/sftp.out" 2>&1 <<B || { cat "$T/sftp.out"; fail "sftp get queue.json"; }
get queue.json $T/mine.json
B
	jq -r --arg f "$1" '.jobs[] | select(.attributes.forward == $f) | .id' "$T/mine.json"
}

# 1. Killed at each step of the first upload's intake, started again,
#    then the upload sent again: one job, the one the sender sees.
steps="copied synced inserted renamed committed options-removed removed"
for step in $steps; do
	gs_stop_spoold
	rm -f "$T/spool/control"
	GSPOOL_TEST_CRASH_AT=$step "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
	SPOOLD_PID=$!
	"$WAITFOR" exists "$T/spool/control" || fail "$step: spoold did not start"
	send "$step.gcode" "front.$step"
	rc=0
	wait "$SPOOLD_PID" || rc=$?
	SPOOLD_PID=
	[ "$rc" -eq 137 ] || fail "$step: spoold was not killed at its crash point (exit $rc)"
	grep -q "crash point '$step'" "$T/spoold.log" || fail "$step: no crash"
	rm -f "$T/spool/control"
	gs_spoold
	"$WAITFOR" gone "$drop/$step.gcode" || fail "$step: the file was never taken"
	first=$(one_job "front.$step")
	[ "$(sender_sees "front.$step")" = "$first" ] ||
		fail "$step: the sender does not see job $first: $(cat "$T/mine.json")"
	known=$(grep -c "has its forward id front.$step: no second job" "$T/spoold.log" || true)
	send "$step.gcode" "front.$step"
	"$WAITFOR" count "$T/spoold.log" "has its forward id front.$step: no second job" \
	    $((known + 1)) || fail "$step: the re-sent upload was not known"
	"$WAITFOR" gone "$drop/$step.gcode" || fail "$step: the re-sent copy was left"
	[ "$(one_job "front.$step")" = "$first" ] || fail "$step: not job $first any more"
	[ "$(sender_sees "front.$step")" = "$first" ] ||
		fail "$step: after the re-send the sender does not see job $first"
	[ ! -e "$drop/$step.gcode.options" ] || fail "$step: the options file was left"
	"$GQUEUE" -a --json | jq -e --arg f "front.$step" \
	    '.jobs[] | select(.attributes.forward == $f) | select(.title == "forward " + $f)' \
	    > /dev/null || fail "$step: the job lost its options"
done
grep -q "mk3-$first: $T/spool/drop/alice/removed.gcode from alice has its forward id front.removed: no second job; the copy is removed" \
    "$T/spoold.log" || fail "the log does not name the job: $(grep 'no second job' "$T/spoold.log" | tail -n 1)"

# 2. Killed as the re-sent copy is found known, before it goes: the next
#    spoold removes it, and makes no job of it.
gs_stop_spoold
rm -f "$T/spool/control"
GSPOOL_TEST_CRASH_AT=known "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
SPOOLD_PID=$!
"$WAITFOR" exists "$T/spool/control" || fail "known: spoold did not start"
send copied.gcode front.copied
rc=0
wait "$SPOOLD_PID" || rc=$?
SPOOLD_PID=
[ "$rc" -eq 137 ] || fail "known: spoold was not killed at its crash point (exit $rc)"
[ -e "$drop/copied.gcode" ] || fail "known: the copy went before the crash"
rm -f "$T/spool/control"
gs_spoold
"$WAITFOR" gone "$drop/copied.gcode" || fail "known: the copy was left"
one_job front.copied > /dev/null

# 3. Two copies taken in side by side (both wait while spoold is down,
#    each with its options): one job.
gs_stop_spoold
send twin-a.gcode front.twin
send twin-b.gcode front.twin
rm -f "$T/spool/control"
gs_spoold
"$WAITFOR" gone "$drop/twin-a.gcode" || fail "twin-a was not taken"
"$WAITFOR" gone "$drop/twin-b.gcode" || fail "twin-b was not taken"
one_job front.twin > /dev/null

# 4. Two accounts, one id: a job each.
send shared.gcode front.shared alice
send shared.gcode front.shared bob
"$WAITFOR" gone "$drop/shared.gcode" || fail "alice's shared.gcode was not taken"
"$WAITFOR" gone "$T/spool/drop/bob/shared.gcode" || fail "bob's shared.gcode was not taken"
a=$(one_job front.shared alice)
b=$(one_job front.shared bob)
[ "$a" != "$b" ] || fail "alice and bob share job $a"

# 5. The id is its account's: alice sees hers, bob does not see it on
#    alice's job (but does on his own); gqueue -l shows it to an
#    administrator among the attributes.
as_sftp bob > "$T/sftp.out" 2>&1 <<B || { cat "$T/sftp.out"; fail "bob: get queue.json"; }
get queue.json $T/bob.json
B
jq -e --argjson id "$a" '.jobs[] | select(.id == $id)' "$T/bob.json" > /dev/null ||
	fail "bob does not see alice's job $a at all"
jq -e --argjson id "$a" '.jobs[] | select(.id == $id) | .attributes | has("forward")' \
    "$T/bob.json" > /dev/null && fail "bob sees the forward id of alice's job $a"
jq -e --argjson id "$b" '.jobs[] | select(.id == $id) | .attributes.forward == "front.shared"' \
    "$T/bob.json" > /dev/null || fail "bob does not see his own job's forward id"
[ "$(sender_sees front.shared)" = "$a" ] || fail "alice does not see her own forward id"
"$GQUEUE" -l "$a" | grep -q 'forward=front.shared' ||
	fail "gqueue -l: $("$GQUEUE" -l "$a")"

# 6. A bad id is refused with its line and its words.
bad() {
	printf 'title = bad\nforward-id = %s\n' "$2" > "$T/$1.options"
	as_sftp alice > "$T/sftp.out" 2>&1 <<B || { cat "$T/sftp.out"; fail "sftp put $1"; }
put $T/$1.options drop/$1.options
put $CUBE drop/$1
B
	"$WAITFOR" exists "$T/spool/rejected/alice/$1.reason" || fail "$1: not refused"
	grep -qF "$1.options line 2: forward-id '$3': 1 to 64 letters, digits, '.', '_' or '-'" \
	    "$T/spool/rejected/alice/$1.reason" ||
		fail "$1: $(cat "$T/spool/rejected/alice/$1.reason")"
	# The reason is written first, then the drop is cleared: await it.
	"$WAITFOR" gone "$drop/$1.options" || fail "$1: its options were left"
}
bad space.gcode 'front 1' 'front 1'
bad slash.gcode 'front/1' 'front/1'
long=$(printf '%065d' 0)
bad long.gcode "$long" "$long"
jobs=$("$GQUEUE" -a --json | jq '[.jobs[] | select(.title == "bad")] | length')
[ "$jobs" -eq 0 ] || fail "a bad forward id was queued"
ls "$T/spool/tmp" | grep -q . && fail "left in tmp: $(ls "$T/spool/tmp")"
echo "PASS"
