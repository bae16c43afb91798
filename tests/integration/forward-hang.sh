#!/bin/sh
# A link that goes dead while a forwarded job is followed, after its
# upload: the backend's next request there gets no answer; within its
# timeout (-t, the printer's handshake_timeout) it says which request,
# drops the connection, and the printer is offline with that reason,
# the job still processing here (not failed).  The link back, the
# printer is ready again and the job completes.  The link is
# tests/integration/slowlink.py, dead while its pause file exists.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/forwardlib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
# The job waits there (a class whose printer is disabled) until the
# test lets it print.
FWD_REMOTE_EXTRA="[class room]
printers = mk3"
fwd_remote
"$GPC" -c "$B/gspool.conf" disable mk3 > /dev/null || fail "gpc disable on the remote"
fwd_front_relay -p "$T/dead"

id=$(fwd_submit "$CUBE" -T hung)
"$WAITFOR" -t 60 contains "$T/spoold.log" "far-$id: forwarded to " ||
	fail "job $id was not forwarded"
ready=$(grep -c -F "far: ready " "$T/spoold.log" || true)

# The link dead: the next poll's request is never answered.
: > "$T/dead"
"$WAITFOR" -t 60 contains "$T/spoold.log" "no answer to SFTP " ||
	fail "the dead link was not noticed: $(tail -n 5 "$T/spoold.log")"
grep -q '^slowlink: paused' "$T/link.log" || fail "the link did not stall: $(cat "$T/link.log")"
line=$(grep -F -m 1 "far: cannot reach " "$T/spoold.log") ||
	fail "far did not go offline: $(tail -n 5 "$T/spoold.log")"
case $line in
*"far: cannot reach 127.0.0.1:$PL: "*": no answer to SFTP "*" within 3 s; the connection is dropped"*) ;;
*) fail "not the reason: $line" ;;
esac
[ "$(printf '%s\n' "$line" | grep -o -F "127.0.0.1:$PL" | wc -l)" -eq 1 ] ||
	fail "not the host once: $line"
"$GQUEUE" --json > "$T/q.json" || fail "gqueue"
jq -e --argjson id "$id" '(.jobs[] | select(.id == $id) | .state == "processing") and
    (.printers[] | select(.name == "far") | .state != "ready")' "$T/q.json" > /dev/null ||
	fail "not job $id processing on far offline: $(cat "$T/q.json")"
! grep -q "far-$id: \(aborted\|pending\)" "$T/spoold.log" ||
	fail "job $id was failed: $(grep "far-$id: " "$T/spoold.log")"

# The link back: far is ready again, and the job prints there and
# completes here, once.
rm -f "$T/dead"
"$WAITFOR" -t 60 count "$T/spoold.log" "far: ready " $((ready + 1)) ||
	fail "far did not come back: $(tail -n 5 "$T/spoold.log")"
"$GPC" -c "$B/gspool.conf" enable mk3 > /dev/null || fail "gpc enable on the remote"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id after the link came back: $(cat "$T/wait.out")"
[ "$(fwd_count "$(fwd_attr "$id" forward.id)")" -eq 1 ] || fail "not one remote job for job $id"
"$GQUEUE" --json --history "$id" | jq -e '.jobs[0].state == "completed"' > /dev/null ||
	fail "job $id did not complete: $("$GQUEUE" --json --history "$id")"
exit 0
