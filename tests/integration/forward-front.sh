#!/bin/sh
# Exactly once across a forward whose front spoold dies: the sftp://
# backend is held at each step of forwarding a job (NAME.options
# uploaded, the file uploaded, the job seen queued there; crash.h's
# GSPOOL_TEST_HOLD_AT), the front spoold is killed there (SIGKILL), the
# backend goes on without it, and a new spoold re-attaches to it.  Each
# time there is exactly one job with the forward id on the remote,
# printed once, and the local job ends completed with its forward.id
# and forward.job, though the spoold that heard them is gone.
. "$top_srcdir/tests/integration/lib.sh"
command -v sftp > /dev/null || { echo "SKIP: no sftp"; exit 77; }
. "$top_srcdir/tests/integration/forwardlib.sh"

fwd_front_stopped
for step in forward-options forward-sent forward-committed; do
	fwd_spoold_step "$step" GSPOOL_TEST_HOLD_AT="$step" \
	    GSPOOL_TEST_HOLD_FILE="$T/go.$step"
	id=$(fwd_submit "$CUBE" -T "front $step")
	"$WAITFOR" contains "$T/spoold.log" "hold point '$step': waiting for $T/go.$step" ||
		fail "$step: the backend did not reach its hold point"
	kill -9 "$SPOOLD_PID"
	rc=0
	wait "$SPOOLD_PID" || rc=$?
	[ "$rc" -eq 137 ] || fail "$step: spoold was not killed (exit $rc)"
	SPOOLD_PID=
	# The backend goes on alone: it forwards the job and follows it.
	: > "$T/go.$step"
	"$WAITFOR" contains "$T/spoold.log" "far-$id: printing" ||
		fail "$step: the backend did not go on with job $id without spoold"
	rm -f "$T/spool/control"
	gs_spoold
	"$GQUEUE" -w "$id" > "$T/wait.out" || fail "$step: job $id: $(cat "$T/wait.out")"
	# The new spoold re-attached to the backend, or, where the print
	# there was over first, found its end (and its attributes) in the
	# end file the backend left.
	grep -q "far-$id: re-attached to backend \|far-$id: ended completed while spoold was away" \
	    "$T/spoold.log" || fail "$step: the new spoold neither re-attached to job $id's backend nor found its end"
	state=$("$GQUEUE" --json --history "$id" | jq -r --argjson id "$id" '.jobs[] | select(.id == $id) | .state')
	[ "$state" = completed ] || fail "$step: job $id ended $state here"
	grep -q "far-$id: uploading " "$T/spoold.log" || fail "$step: job $id was never handed"
	[ "$(grep -c "far-$id: uploading " "$T/spoold.log")" -eq 1 ] ||
		fail "$step: job $id was handed again"
	fid=$(fwd_attr "$id" forward.id)
	[ -n "$fid" ] || fail "$step: job $id lost its forward.id with the spoold that heard it"
	rjob=$(fwd_attr "$id" forward.job)
	[ -n "$rjob" ] || fail "$step: job $id lost its forward.job"
	n=$(fwd_count "$fid")
	[ "$n" -eq 1 ] || fail "$step: $n remote jobs for forward id $fid"
	[ "$(fwd_rjob "$rjob" | jq -r .attributes.forward)" = "$fid" ] ||
		fail "$step: remote job $rjob is not the one with forward id $fid"
	cmp -s "$T/expected.log" "$B/vprinter.log" || {
		diff "$T/expected.log" "$B/vprinter.log" | head -n 5 >&2
		fail "$step: the remote printer did not print job $id exactly once"
	}
	gs_stop_spoold
	"$WAITFOR" gone "$T/spool/run/far.sock" || fail "$step: the backend did not exit with spoold"
done
echo "PASS"
