#!/bin/sh
# Replies gathered: a printer whose receive buffer holds many lines
# (mk4: 1024 bytes, 16 lines) keeps the wire busy long enough for the
# backend to leave its replies unread for a while after each write, and
# to read them together and answer them in one write (gspool-backend(8)).
# The job is exact and clean, and the backend says it gathered them.
# With Marlin's default buffers (mk3: 128 bytes, 4 lines) it never does:
# a hold there would leave the wire idle.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "" "[printer mk4]" "device = $T/mk4.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" "window = 16" \
    "rx_buffer = 1024"
gs_vprinter --baud 250000 --latency-ms 1
"$VPRINTER" -o "$T/vprinter4.log" --baud 250000 --latency-ms 1 \
    --rx-buffer 1024 "$T/mk4.tty" 2>>"$T/vprinter4.err" &
"$WAITFOR" exists "$T/mk4.tty" || fail "the second printer did not start"
gs_spoold

out=$("$GPRINT" -P mk4 "$CUBE") || fail "gprint -P mk4: exit $?"
id=${out#request id is mk4-}
id=${id%% *}
"$GQUEUE" -w "$id" > /dev/null || fail "job mk4-$id did not complete"
gcode_commands "$CUBE" > "$T/expected4.log"
cmp -s "$T/expected4.log" "$T/vprinter4.log" || {
	diff "$T/expected4.log" "$T/vprinter4.log" | head -n 20 >&2
	fail "mk4's log differs from the job's commands"
}
expect_clean "$T/vprinter4.log.json"
grep -q "mk4-$id: replies gathered for [0-9]* ms" "$T/spoold.log" ||
	fail "no reply was gathered with 16 lines in flight: $(grep "mk4-$id" "$T/spoold.log")"
echo "mk4: $(grep -o "replies gathered for [0-9]* ms.*" "$T/spoold.log")"

id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > /dev/null || fail "job mk3-$id did not complete"
expect_log "$CUBE"
expect_clean "$T/vprinter.log.json"
grep "mk3-.*replies gathered" "$T/spoold.log" &&
	fail "replies gathered with Marlin's default buffers"
echo "mk3: every reply answered at once"
echo "PASS"
