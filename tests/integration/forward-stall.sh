#!/bin/sh
# A link that goes dead in the middle of a forward's upload, with
# writes in flight: the backend gives up after its timeout (-t, the
# printer's handshake_timeout), says so, and cuts the connection
# without closing the upload; the other host discards it when the
# session ends; the job is sent again over a new connection and is one
# job there.  The link is tests/integration/slowlink.py, which stalls
# the first connection after 2 MB towards the other host.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/forwardlib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
# The job waits there (a class whose printer is disabled): one job, to
# be counted.
FWD_REMOTE_EXTRA="max_file = 1G
[class room]
printers = mk3"
fwd_remote
"$GPC" -c "$B/gspool.conf" disable mk3 > /dev/null || fail "gpc disable on the remote"
fwd_front_relay -s 2000000

# 5 MB: the stall comes about 2 MB into the upload, 1 MiB in flight.
: > "$T/big.gcode"
while [ "$(stat -c %s "$T/big.gcode")" -lt 5000000 ]; do
	cat "$CUBE" "$CUBE" "$CUBE" "$CUBE" >> "$T/big.gcode"
done
id=$(fwd_submit "$T/big.gcode" -T stalled)
"$WAITFOR" -t 60 contains "$T/spoold.log" "no answer to a write within 3 s" ||
	fail "the dead link was not noticed"
grep -q 'slowlink: stalled after 2000000 bytes' "$T/link.log" ||
	fail "the link did not stall: $(cat "$T/link.log")"
"$WAITFOR" -t 60 contains "$T/gsftpd-b.log" "not closed; discarded" ||
	fail "the other host kept the cut upload"
grep -q "alice: upload of gspool-far-$id-[0-9]*\.gcode not closed; discarded" \
    "$T/gsftpd-b.log" || fail "another upload was discarded: $(grep discarded "$T/gsftpd-b.log")"
"$WAITFOR" -t 60 contains "$T/spoold.log" "far-$id: forwarded to " ||
	fail "job $id was not sent again"
fwd=$(fwd_attr "$id" forward.id)
[ -n "$fwd" ] || fail "job $id has no forward id"
[ "$(grep -c "alice: uploaded gspool-far-$id-[0-9]*.gcode " "$T/gsftpd-b.log")" = 1 ] ||
	fail "not one upload committed: $(grep uploaded "$T/gsftpd-b.log")"
"$GQUEUE" -c "$B/gspool.conf" -a --json > "$T/remote.json" || fail "gqueue on the remote"
jq -e '[.jobs[] | select(.title == "stalled")] | length == 1' "$T/remote.json" > /dev/null ||
	fail "not one job there: $(cat "$T/remote.json")"
[ -z "$(ls -A "$B/spool/drop/alice/room" 2>/dev/null | grep '^\.')" ] ||
	fail "the cut upload left $(ls -A "$B/spool/drop/alice/room")"
exit 0
