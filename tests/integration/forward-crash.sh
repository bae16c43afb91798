#!/bin/sh
# Exactly once across a forward cut by a crash: the sftp:// backend is
# killed (SIGKILL) at each step of forwarding a job (NAME.options
# uploaded, the file uploaded, the job seen queued there), spoold starts
# it again, and the job is sent again: there is exactly one job with its
# forward id on the remote, printed once, and the local job ends
# completed.
. "$top_srcdir/tests/integration/lib.sh"
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
command -v sftp > /dev/null || { echo "SKIP: no sftp"; exit 77; }
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }
. "$top_srcdir/tests/integration/forwardlib.sh"

fwd_remote
fwd_front
gs_stop_spoold
gcode_commands "$CUBE" > "$T/expected.log"

for step in forward-options forward-sent forward-committed; do
	: > "$B/vprinter.log"
	rm -f "$T/spool/control"
	GSPOOL_TEST_CRASH_AT=$step GSPOOL_TEST_CRASH_ONCE="$T/crashed.$step" \
	    "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
	SPOOLD_PID=$!
	"$WAITFOR" exists "$T/spool/control" || fail "$step: spoold did not start"
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
done
echo "PASS"
