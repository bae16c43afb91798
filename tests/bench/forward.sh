#!/bin/sh
# make bench: a 50 MB job forwarded to another gspool host over
# loopback, from gprint to the moment the other host shows it queued,
# beside a plain OpenSSH sftp upload of the same file to that host's
# gsftpd in the same run:
#
#   bench: forward mb=50 seconds=S commit_ms=N sftp_s=B ratio=R sent_s=U sent_ratio=Q
#
# seconds is gprint to the job committed there (the front's own intake,
# the upload, the other host's intake); commit_ms the part after the
# upload ends, as the backend logs it; sftp_s the plain upload; ratio is
# seconds over sftp_s.  sent_s is the backend's upload alone (the SFTP
# writes of lib/remote.c, open to close, as the backend logs it), and
# sent_ratio that over sftp_s: the same bytes to the same server, so
# the figure that tells the two clients apart.  Then the same over a
# link with a round trip of RTT_MS milliseconds (2 unless told: a
# wireless LAN; loopback's is a few microseconds), through
# tests/integration/slowlink.py, which holds the data half of it each way:
#
#   bench: forward-rtt rtt_ms=2 mb=50 seconds=S sftp_s=B sent_s=U sent_ratio=Q
#
# where a client that waits for each write's answer pays the round
# trip once a write.  (Skipped without /usr/bin/python3.)  The remote destination is a class whose printer is
# disabled, so the job waits there and nothing prints.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/forwardlib.sh"
MB=50
FWD_REMOTE_EXTRA="max_file = 1G
[class room]
printers = mk3"
FWD_DEST=room
fwd_remote
"$GPC" -c "$B/gspool.conf" disable mk3 > /dev/null || fail "gpc disable on the remote"
RTT_MS=${RTT_MS:-2}
PY=/usr/bin/python3
slow=
if [ -x "$PY" ]; then
	"$PY" "$top_srcdir/tests/integration/slowlink.py" "$T/relay.port" "$PB" \
	    "$(awk -v r="$RTT_MS" 'BEGIN { print r / 2 }')" 2>>"$T/relay.err" &
	"$WAITFOR" exists "$T/relay.port" || fail "the relay did not start"
	PR=$(cat "$T/relay.port")
	echo "[127.0.0.1]:$PR $(ssh-keygen -y -f "$B/spool/sftp/ssh_host_ed25519_key")" \
	    > "$T/known_hosts.slow"
	slow="[printer slow]
device = sftp://alice@127.0.0.1:$PR/room
ssh_key_file = $T/alice
known_hosts_file = $T/known_hosts.slow
handshake_timeout = 20
reconnect_interval = 1
clears_bed = yes"
fi
fwd_front "$slow"
: > "$T/big.gcode"
while [ "$(stat -c %s "$T/big.gcode")" -lt $((MB * 1000000)) ]; do
	cat "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" >> "$T/big.gcode"
done
truncate -s $((MB * 1000000)) "$T/big.gcode"
now_ms() { date +%s%3N; }

t0=$(now_ms)
echo "put $T/big.gcode drop/room/plain.gcode" | sftp -q -o BatchMode=yes \
    -o UserKnownHostsFile="$T/known_hosts.b" -i "$T/alice" -P "$PB" -b - \
    alice@127.0.0.1 > "$T/up.out" 2>&1 || { cat "$T/up.out" >&2; fail "sftp put"; }
plain=$(( $(now_ms) - t0 ))

t0=$(now_ms)
id=$(fwd_submit "$T/big.gcode" -T big)
"$WAITFOR" -t 600 contains "$T/spoold.log" "far-$id: forwarded to " ||
	fail "job $id was not forwarded"
ms=$(( $(now_ms) - t0 ))
line=$(grep "far-$id: forwarded to .*sent in" "$T/spoold.log" | head -n 1)
commit=$(echo "$line" | sed -n 's/.*queued there \([0-9]*\) ms after the upload.*/\1/p')
sent=$(echo "$line" | sed -n 's/.*sent in \([0-9]*\) ms.*/\1/p')
[ -n "$commit" ] && [ -n "$sent" ] || fail "job $id: no upload figures in the log: $line"
awk -v mb=$MB -v ms="$ms" -v c="$commit" -v p="$plain" -v u="$sent" 'BEGIN {
	printf "bench: forward mb=%d seconds=%.2f commit_ms=%s sftp_s=%.2f ratio=%.2f sent_s=%.2f sent_ratio=%.2f\n",
	    mb, ms / 1000, c, p / 1000, ms / p, u / 1000, u / p }'

[ -n "$slow" ] || { echo "bench: forward-rtt skipped (needs /usr/bin/python3)"; exit 0; }
"$WAITFOR" contains "$T/spoold.log" "slow: ready " || fail "slow did not become ready"
t0=$(now_ms)
echo "put $T/big.gcode drop/room/plain-rtt.gcode" | sftp -q -o BatchMode=yes \
    -o UserKnownHostsFile="$T/known_hosts.slow" -i "$T/alice" -P "$PR" -b - \
    alice@127.0.0.1 > "$T/up.out" 2>&1 || { cat "$T/up.out" >&2; fail "sftp put over the relay"; }
plain=$(( $(now_ms) - t0 ))
t0=$(now_ms)
out=$("$GPRINT" -P slow -T big-rtt "$T/big.gcode") || fail "gprint -P slow: $out"
id=${out#request id is slow-}
id=${id%% *}
"$WAITFOR" -t 600 contains "$T/spoold.log" "slow-$id: forwarded to " ||
	fail "job $id was not forwarded over the relay"
ms=$(( $(now_ms) - t0 ))
line=$(grep "slow-$id: forwarded to .*sent in" "$T/spoold.log" | head -n 1)
sent=$(echo "$line" | sed -n 's/.*sent in \([0-9]*\) ms.*/\1/p')
[ -n "$sent" ] || fail "job $id: no upload figures in the log: $line"
awk -v r="$RTT_MS" -v mb=$MB -v ms="$ms" -v p="$plain" -v u="$sent" 'BEGIN {
	printf "bench: forward-rtt rtt_ms=%s mb=%d seconds=%.2f sftp_s=%.2f sent_s=%.2f sent_ratio=%.2f\n",
	    r, mb, ms / 1000, p / 1000, u / 1000, u / p }'
