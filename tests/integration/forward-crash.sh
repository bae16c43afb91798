#!/bin/sh
# Exactly once across a forward cut by a crash: the sftp:// backend is
# killed (SIGKILL) at each step of forwarding a job (NAME.options
# uploaded, the file uploaded, the job seen queued there), spoold starts
# it again, and the job is sent again: there is exactly one job with its
# forward id on the remote, printed once, and the local job ends
# completed.  The same holds with the remote spoold killed at each step
# of taking the file in, and with the front spoold killed while the job
# is followed.
. "$top_srcdir/tests/integration/lib.sh"
command -v sftp > /dev/null || { echo "SKIP: no sftp"; exit 77; }
. "$top_srcdir/tests/integration/forwardlib.sh"

fwd_front_stopped
for step in forward-options forward-sent forward-committed; do
	fwd_spoold_step "$step" GSPOOL_TEST_CRASH_AT="$step" \
	    GSPOOL_TEST_CRASH_ONCE="$T/crashed.$step"
	id=$(fwd_submit "$CUBE" -T "$step")
	"$WAITFOR" contains "$T/spoold.log" "crash point '$step'" ||
		fail "$step: the backend did not reach its crash point"
	"$WAITFOR" contains "$T/spoold.log" "far-$id: forwarded to " ||
		fail "$step: job $id was not forwarded after the crash"
	"$GQUEUE" -w "$id" > "$T/wait.out" || fail "$step: job $id: $(cat "$T/wait.out")"
	fid=$(fwd_attr "$id" forward.id)
	[ -n "$fid" ] || fail "$step: job $id has no forward id"
	grep -q "far-$id: pending: the forward to 127.0.0.1:$PB was cut" "$T/spoold.log" ||
		fail "$step: job $id was not put back pending by the killed backend"
	[ "$(grep -c "far-$id: uploading " "$T/spoold.log")" -eq 2 ] ||
		fail "$step: job $id was not handed twice"
	if [ "$step" = forward-committed ]; then
		grep -q "far-$id: 127.0.0.1:$PB has forward id $fid already" "$T/spoold.log" ||
			fail "$step: the second sending did not find the job queued there"
	fi
	n=$(fwd_count "$fid")
	[ "$n" -eq 1 ] || fail "$step: $n remote jobs for forward id $fid"
	cmp -s "$T/expected.log" "$B/vprinter.log" || {
		diff "$T/expected.log" "$B/vprinter.log" | head -n 5 >&2
		fail "$step: the remote printer did not print job $id exactly once"
	}
	gs_stop_spoold
	"$WAITFOR" gone "$T/spool/run/far.sock" || fail "$step: the backend did not exit with spoold"
done

# The remote spoold killed at each step of taking the forwarded file
# in, and started again: the front sends again as the remote answers
# again, and the forward id keeps it one job, printed once.
gs_spoold
for step in copied synced inserted renamed committed options-removed removed; do
	: > "$B/vprinter.log"
	kill "$SPOOLD_B_PID"
	wait "$SPOOLD_B_PID" || true
	rm -f "$B/spool/control"
	GSPOOL_TEST_CRASH_AT=$step "$SPOOLD" -d -v -c "$B/gspool.conf" 2>>"$T/spoold-b.log" &
	SPOOLD_B_PID=$!
	"$WAITFOR" exists "$B/spool/control" || fail "remote $step: the remote spoold did not start"
	id=$(fwd_submit "$CUBE" -T "remote $step")
	rc=0
	wait "$SPOOLD_B_PID" || rc=$?
	[ "$rc" -eq 137 ] || fail "remote $step: the remote spoold was not killed there (exit $rc)"
	fwd_start_spoold_b
	"$GQUEUE" -w "$id" > "$T/wait.out" || fail "remote $step: job $id: $(cat "$T/wait.out")"
	fid=$(fwd_attr "$id" forward.id)
	n=$(fwd_count "$fid")
	[ "$n" -eq 1 ] || fail "remote $step: $n remote jobs for forward id $fid"
	cmp -s "$T/expected.log" "$B/vprinter.log" ||
		fail "remote $step: the remote printer did not print job $id exactly once"
done

# The front spoold killed while a forwarded job is followed: the
# backend follows on, the new spoold re-attaches, and the job ends
# completed here, printed once there.
: > "$B/vprinter.log"
id=$(fwd_submit "$CUBE" -T "front killed")
"$WAITFOR" contains "$T/spoold.log" "far-$id: forwarded to " || fail "job $id was not forwarded"
kill -9 "$SPOOLD_PID"
wait "$SPOOLD_PID" || true
SPOOLD_PID=
rm -f "$T/spool/control"
gs_spoold
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "front killed: job $id: $(cat "$T/wait.out")"
[ "$(fwd_count "$(fwd_attr "$id" forward.id)")" -eq 1 ] || fail "front killed: not one remote job"
cmp -s "$T/expected.log" "$B/vprinter.log" ||
	fail "front killed: the remote printer did not print job $id exactly once"
echo "PASS"
