#!/bin/sh
# make bench: a 50 MB upload with OpenSSH's sftp to gsftpd, and, where
# openssh-server is installed, the same upload to OpenSSH's own
# internal-sftp (chrooted, in a private sshd on another loopback port)
# in the same run:
#
#   bench: sftp mb=50 seconds=S mb_per_s=R server_rss_kib=K
#   bench: sftp-peer mb_per_s=R
#
# Best of three uploads each (the machine may be shared).  server_rss_kib
# is the connection process's peak memory (flat: one packet at a time).
. "$top_srcdir/tests/integration/lib.sh"
MB=50
gs_config "[sftp]" "listen = 127.0.0.1:0" "[account bench]" "keys = $T/key.pub" \
    "max_file = 1G"
ssh-keygen -q -t ed25519 -N '' -f "$T/key"
# 50 MB of G-code the project writes itself: the cube, again and again.
: > "$T/big.gcode"
while [ "$(stat -c %s "$T/big.gcode")" -lt $((MB * 1000000)) ]; do
	cat "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" >> "$T/big.gcode"
done
truncate -s $((MB * 1000000)) "$T/big.gcode"
# As root, gsftpd becomes nobody (lib.sh): it must reach $T.
[ "$(id -u)" = 0 ] && chmod 755 "$T"
"$BIN/sftpd/gsftpd" -f -c "$GSPOOL_CONF" -p "$T/port" 2>>"$T/gsftpd.log" &
"$WAITFOR" exists "$T/port" || { cat "$T/gsftpd.log"; fail "gsftpd did not start"; }
PORT=$(cat "$T/port")
now_ms() { date +%s%3N; }
# upload PORT USER REMOTE-NAME: milliseconds, best of three.
upload() {
	best=
	for i in 1 2 3; do
		t0=$(now_ms)
		echo "put $T/big.gcode $3" | sftp -q -o BatchMode=yes \
		    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		    -i "$T/key" -P "$1" -b - "$2@127.0.0.1" > "$T/up.out" 2>&1 ||
		    { cat "$T/up.out" >&2; exit 1; }
		ms=$(( $(now_ms) - t0 ))
		[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
	done
	echo "$best"
}
# No spoold: the uploads stay in the drop folder (and replace nothing:
# each gets its own name).
ms=$(upload "$PORT" bench drop/big.gcode)
rss=$(sed -n 's/.*max_rss_kib=\([0-9]*\).*/\1/p' "$T/gsftpd.log" | sort -n | tail -n 1)
awk -v mb=$MB -v ms="$ms" -v rss="$rss" 'BEGIN {
	printf "bench: sftp mb=%d seconds=%.2f mb_per_s=%.1f server_rss_kib=%s\n",
	    mb, ms / 1000, mb / (ms / 1000), rss }'

SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ] || [ "$(id -u)" != 0 ]; then
	echo "bench: sftp-peer skipped (needs openssh-server and root for its chroot)"
	exit 0
fi
# internal-sftp chrooted: every component of the chroot's path must be
# root's and not writable by others (so not under /tmp).
CHROOT=$(mktemp -d /run/gspool-bench.XXXXXX)
trap 'rm -rf "$CHROOT"; gs_teardown' EXIT
chmod 755 "$CHROOT"
mkdir -p "$CHROOT/upload" "$T/peer/etc"
ssh-keygen -q -t ed25519 -N '' -f "$T/peer/etc/host_key"
cp "$T/key.pub" "$T/peer/etc/authorized_keys"
cat > "$T/peer/etc/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port 0
HostKey $T/peer/etc/host_key
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
AuthorizedKeysFile $T/peer/etc/authorized_keys
Subsystem sftp internal-sftp
ForceCommand internal-sftp
ChrootDirectory $CHROOT
CONF
# A free port: gsftpd's own, once it is stopped.
kill %1 2>/dev/null || pkill -f -- "$T/port" || true
mkdir -p /run/sshd
sed -i "s/^Port 0/Port $PORT/" "$T/peer/etc/sshd_config"
"$SSHD" -D -e -f "$T/peer/etc/sshd_config" 2>>"$T/sshd.log" &
"$WAITFOR" count "$T/sshd.log" "Server listening" 1 || fail "sshd did not start"
ms=$(upload "$PORT" root upload/big.gcode) || { cat "$T/sshd.log"; exit 1; }
awk -v mb=$MB -v ms="$ms" 'BEGIN {
	printf "bench: sftp-peer mb_per_s=%.1f\n", mb / (ms / 1000) }'
