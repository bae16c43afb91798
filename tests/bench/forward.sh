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
# the figure that tells the two clients apart.  The remote destination is a class whose printer is
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
fwd_front
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
