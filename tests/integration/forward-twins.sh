#!/bin/sh
# Two front spools of one host name (both run here, so both are this
# host's name, as two Raspberry Pis left "raspberrypi" would be) send
# their job 1 of the same file to the same remote queue.  Each spool
# has an identity of its own, drawn once and kept in its queue
# (db/0013-spool-identity.sql), and its forward ids carry it: the
# remote makes two jobs and prints both, where one id of host, job and
# file alone would have made the second job the first.  The identity
# stays the same across a restart.
. "$top_srcdir/tests/integration/lib.sh"
command -v sftp > /dev/null || { echo "SKIP: no sftp"; exit 77; }
. "$top_srcdir/tests/integration/forwardlib.sh"

fwd_remote
fwd_front

# The twin: the same configuration in a spool of its own.
sed "s|$T/spool|$T/twin|g" "$GSPOOL_CONF" > "$T/twin.conf"
"$SPOOLD" -d -v -c "$T/twin.conf" 2>>"$T/spoold-twin.log" &
TWIN_PID=$!
"$WAITFOR" exists "$T/twin/control" || fail "the twin spoold did not start"
"$WAITFOR" contains "$T/spoold-twin.log" "far: ready " || fail "the twin's far did not become ready"

# ident LOG: the identity the spoold of LOG said it has, the last time.
ident() {
	sed -n "s/.*queue: this spool's identity is \([^ ]*\) .*/\1/p" "$1" | tail -n 1
}
i1=$(ident "$T/spoold.log")
i2=$(ident "$T/spoold-twin.log")
echo "$i1" | grep -qE '^[0-9a-f]{16}$' || fail "the front's identity is '$i1'"
echo "$i2" | grep -qE '^[0-9a-f]{16}$' || fail "the twin's identity is '$i2'"
[ "$i1" != "$i2" ] || fail "two spools drew one identity, $i1"

id1=$(fwd_submit "$CUBE" -T "front's")
out=$("$GPRINT" -c "$T/twin.conf" -P far -T "twin's" "$CUBE") || fail "gprint to the twin: $out"
id2=${out#request id is far-}
id2=${id2%% *}
[ "$id1" = 1 ] && [ "$id2" = 1 ] || fail "the two first jobs are $id1 and $id2, not both 1"

"$GQUEUE" -w "$id1" > "$T/wait.out" || fail "the front's job $id1: $(cat "$T/wait.out")"
"$GQUEUE" -c "$T/twin.conf" -w "$id2" > "$T/wait.out" ||
	fail "the twin's job $id2: $(cat "$T/wait.out")"
"$WAITFOR" contains "$T/spoold-twin.log" "far-$id2: forwarded to " ||
	fail "the twin's job was not forwarded"

fid1=$(fwd_attr "$id1" forward.id)
fid2=$({ "$GQUEUE" -c "$T/twin.conf" -l "$id2"; "$GQUEUE" -c "$T/twin.conf" -l --history "$id2"; } 2>/dev/null |
    tr ' \t,' '\n\n\n' | sed -n 's/^forward.id=//p' | head -n 1)
[ -n "$fid1" ] && [ -n "$fid2" ] || fail "forward ids '$fid1' and '$fid2'"
[ "$fid1" != "$fid2" ] || fail "both spools sent forward id $fid1"
# Host, identity, job, file: all but the identity the same.
hostpart() { echo "$1" | rev | cut -d- -f4- | rev; }
[ "$(hostpart "$fid1")" = "$(hostpart "$fid2")" ] ||
	fail "the host names differ: $fid1, $fid2"
[ "${fid1#"$(hostpart "$fid1")-$i1-1-"}" != "$fid1" ] || fail "forward id $fid1 does not carry $i1"
[ "${fid2#"$(hostpart "$fid2")-$i2-1-"}" != "$fid2" ] || fail "forward id $fid2 does not carry $i2"
[ "$(fwd_count "$fid1")" -eq 1 ] || fail "$(fwd_count "$fid1") remote jobs for $fid1"
[ "$(fwd_count "$fid2")" -eq 1 ] || fail "$(fwd_count "$fid2") remote jobs for $fid2"
grep -q "has its forward id" "$T/spoold-b.log" && fail "the remote took one job for the other"
{ gcode_commands "$CUBE"; gcode_commands "$CUBE"; } > "$T/expected.log"
cmp -s "$T/expected.log" "$B/vprinter.log" ||
	fail "the remote printer did not print both jobs, once each"

# Drawn once: a restart keeps it.
kill "$TWIN_PID"
wait "$TWIN_PID" || true
rm -f "$T/twin/control"
"$SPOOLD" -d -v -c "$T/twin.conf" 2>>"$T/spoold-twin.log" &
TWIN_PID=$!
"$WAITFOR" exists "$T/twin/control" || fail "the twin spoold did not start again"
[ "$(grep -c "queue: this spool's identity is " "$T/spoold-twin.log")" -eq 2 ] ||
	fail "the twin did not say its identity at its second start"
[ "$(ident "$T/spoold-twin.log")" = "$i2" ] || fail "the twin's identity changed at a restart"
kill "$TWIN_PID"
wait "$TWIN_PID" || true
echo "PASS"
