#!/bin/sh
# Logins in progress cannot be hoarded: 100 silent TCP connections from
# one address (127.0.0.2) take max_startups_per_address slots and no
# more, the address is banned for filling them, and a real OpenSSH sftp
# client logs in from 127.0.0.1 while all 100 are held open.  Then 100
# silent connections from 100 addresses against max_startups =
# 10:30:30: never more than 30 logins in progress, and the drops
# between 10 and 30 are random early drops.
. "$top_srcdir/tests/integration/lib.sh"
/usr/bin/python3 -c 'import socket' 2>/dev/null || { echo "SKIP: no python3"; exit 77; }
gs_config "[sftp]" "listen = 127.0.0.1:0" "login_grace = 600" \
    "max_connections = 1000" "max_per_address = 1000" \
    "max_startups = 10:30:30" "max_startups_per_address = 4" \
    "max_auth_failures = 10" \
    "[account alice]" "keys = $T/alice.keys"
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
gs_sftp_key alice
gs_vprinter
gs_spoold
gs_gsftpd
mkfifo "$T/hold"
# silent FIRST COUNT: COUNT connections from 127.0.0.FIRST, FIRST+1, ...
# (one address each, or all from FIRST with "same"), held until $T/hold
# is written; prints "open" once all are made.
silent() {
	/usr/bin/python3 - "$PORT" "$T/hold" "$@" <<'PY'
import socket, sys
port, hold, first, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
same = len(sys.argv) > 5
a, b, c, d = (int(x) for x in first.split("."))
held = []
for i in range(count):
    src = "%d.%d.%d.%d" % (a, b, c, d if same else d + i)
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    held.append(s)
print("open", flush=True)
open(hold).read()
PY
}
glog() { grep -c -e "$1" "$T/gsftpd.log" || true; }

# 1. One address, 100 connections.
silent 127.0.0.2 100 same > "$T/silent.out" 2>&1 &
S=$!
"$WAITFOR" contains "$T/silent.out" open || fail "the silent client: $(cat "$T/silent.out")"
# Each of the 100 is either a login in progress (4) or refused (96,
# the first few for its share, the rest once banned).
"$WAITFOR" count "$T/gsftpd.log" "127.0.0.2: refused:" 96 ||
    fail "not 96 refusals: $(glog '127.0.0.2: refused:')"
[ "$(glog '127.0.0.2: refused: 4 logins in progress from it already')" -ge 1 ] ||
    fail "the address's share was not enforced"
[ "$(glog '127.0.0.2: 10 failed logins; refused for')" = 1 ] ||
    fail "the address that filled its share was not banned"
[ "$(glog '127.0.0.2: refused: too many failed logins')" -ge 1 ] ||
    fail "the banned address was let in"
# A real client logs in meanwhile.
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp while 100 connections wait"; }
ls drop
B
[ "$(glog 'alice logged in from 127.0.0.1')" = 1 ] || fail "alice's login is not logged"
echo go > "$T/hold"
wait "$S"
# Its four logins in progress end with it, before the next part counts.
"$WAITFOR" count "$T/gsftpd.log" "127.0.0.2: connection ended" 4 ||
    fail "the silent connections' processes did not end"

# 2. A hundred addresses.
silent 127.0.1.1 100 > "$T/silent.out" 2>&1 &
S=$!
"$WAITFOR" contains "$T/silent.out" open || fail "the silent clients: $(cat "$T/silent.out")"
# Each connection is told once: accepted, refused or dropped.
"$WAITFOR" count "$T/gsftpd.log" "gsftpd: 127.0.1." 100 ||
    fail "not all 100 connections were told: $(glog 'gsftpd: 127.0.1.')"
# Never more than FULL in progress; early drops only from BEGIN on.
if grep -o 'refused: [0-9]* logins in progress (max_startups)' "$T/gsftpd.log" |
    awk '$2 != 30 { bad = 1 } END { exit !bad }'; then
	fail "refused at another count than max_startups' 30"
fi
if grep -o '127\.0\.1\..*accepted; [0-9]* logins in progress' "$T/gsftpd.log" |
    awk '$3 > 30 { bad = 1 } END { exit !bad }'; then
	fail "a login accepted past max_startups' 30"
fi
if grep -o 'dropped early: [0-9]* logins in progress' "$T/gsftpd.log" |
    awk '$3 < 10 || $3 >= 30 { bad = 1 } END { exit !bad }'; then
	fail "dropped early outside 10..29 logins in progress"
fi
inprog=$(pgrep -c -P "$GSFTPD_PID" || true)
[ "$inprog" -le 30 ] || fail "$inprog logins in progress, more than 30"
[ "$inprog" -ge 10 ] || fail "only $inprog logins in progress: dropped before 10"
echo go > "$T/hold"
wait "$S"
exit 0
