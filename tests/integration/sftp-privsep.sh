#!/bin/sh
# Privilege separation, as root (skipped otherwise): spoold drops to a
# user of its own and gsftpd to another (nobody); gsftpd's processes,
# read from /proc, run under neither spoold's uid nor root; a helper
# confined as a connection is cannot reach past its account's tree by
# direct system calls; spoold lets only gsftpd's user say 'as'; 70
# wrong keys and a stall are logged with their fingerprints and end in
# a ban, and so is a client silent through the login grace; gsftpd
# started as the unit does (-P as root, then as its user) serves, and
# refuses to run as another; spoold refuses a user that does not exist;
# a backend takes re-attaching from spoold's user alone.  The test user
# _gspool-test is made with useradd if missing.
. "$top_srcdir/tests/integration/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
/usr/bin/python3 -c 'import paramiko' 2>/dev/null ||
    { echo "SKIP: no python3-paramiko"; exit 77; }
command -v setpriv > /dev/null || { echo "SKIP: no setpriv"; exit 77; }
SUSER=_gspool-test
if ! getent passwd "$SUSER" > /dev/null; then
	useradd --system --no-create-home --shell /usr/sbin/nologin "$SUSER" ||
	    { echo "SKIP: cannot add the test user $SUSER"; exit 77; }
	echo "made the test user $SUSER"
fi
SUID=$(id -u "$SUSER")
NUID=$(id -u nobody)
gs_config "[spool]" "user = $SUSER" \
    "[sftp]" "listen = 0.0.0.0:0" "user = nobody" "login_grace = 3" \
    "max_auth_failures = 70" "max_per_address = 64" \
    "max_startups_per_address = 20" \
    "[account alice]" "keys = $T/alice.keys" \
    "[account bob]" "keys = $T/bob.keys"
gs_sftp_key alice
gs_sftp_key bob
chmod 755 "$T"
mkdir "$T/spool"
chown "$SUSER:" "$T/spool"
# Moves take no time, but a G4 dwell does (section 7).
gs_vprinter --time-scale 0.000001
chown "$SUSER" "$(readlink -f "$T/mk3.tty")"
gs_spoold
gs_gsftpd
glog() { grep -c -e "$1" "$T/gsftpd.log" || true; }
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }
ruid_all() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }

# 1. Who runs as whom, read from /proc, with alice logged in.
[ "$(ruid_all "$SPOOLD_PID")" = "$SUID $SUID $SUID $SUID" ] ||
    fail "spoold runs as $(ruid_all "$SPOOLD_PID"), not $SUSER"
mkfifo "$T/hold"
/usr/bin/python3 - "$PORT" "$T/alice" "$T/hold" > "$T/alice.out" 2>&1 <<'PY' &
import sys, paramiko
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))
t.connect()
t.auth_publickey("alice", paramiko.Ed25519Key.from_private_key_file(sys.argv[2]))
s = paramiko.SFTPClient.from_transport(t)
print(sorted(s.listdir("/")), flush=True)
open(sys.argv[3]).read()          # held until the test writes
t.close()
PY
HOLDER=$!
"$WAITFOR" contains "$T/alice.out" "drop" || fail "alice did not log in: $(cat "$T/alice.out")"
kids=$(pgrep -P "$GSFTPD_PID") || fail "gsftpd has no connection process"
for p in "$GSFTPD_PID" $kids; do
	[ "$(ruid_all "$p")" = "$NUID $NUID $NUID $NUID" ] ||
	    fail "gsftpd process $p runs as $(ruid_all "$p"), not nobody"
	[ "$(uid_of "$p")" != "$SUID" ] || fail "gsftpd process $p has spoold's uid"
	grep -q '^Groups:[[:space:]]*$' "/proc/$p/status" ||
	    grep -q "^Groups:[[:space:]]*$(id -g nobody)[[:space:]]*$" "/proc/$p/status" ||
	    fail "gsftpd process $p kept other groups: $(grep ^Groups "/proc/$p/status")"
done
for p in $kids; do
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$p/status" ||
	    fail "connection process $p may gain privileges"
done
for p in $(pgrep -f -- "$T/mk3.tty"); do
	[ "$p" = "$VPRINTER_PID" ] && continue
	[ "$(uid_of "$p")" = "$SUID" ] || fail "backend $p runs as uid $(uid_of "$p")"
done
echo done > "$T/hold"
wait "$HOLDER" || fail "alice's session: $(cat "$T/alice.out")"

# 2. The drop folders' layout: gsftpd's user writes an account's, spoold's
#    group takes from it; gsftpd's own folder is private.
[ "$(stat -c '%U %a' "$T/spool/drop/alice")" = "nobody 2770" ] ||
    fail "drop/alice is $(stat -c '%U:%G %a' "$T/spool/drop/alice")"
[ "$(stat -c '%G' "$T/spool/drop/alice")" = "$(id -gn "$SUSER")" ] ||
    fail "drop/alice's group is not spoold's"
[ "$(stat -c '%U %a' "$T/spool/sftp")" = "nobody 700" ] ||
    fail "spool/sftp is $(stat -c '%U %a' "$T/spool/sftp")"
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $CUBE drop/cube.gcode
B
"$WAITFOR" gone "$T/spool/drop/alice/cube.gcode" || fail "alice's upload was not taken"
"$GQUEUE" -w 1 > /dev/null || fail "alice's upload was not printed"
"$GQUEUE" --history --json 1 | grep -q '"owner": "alice"' || fail "job 1 is not alice's"

# 2b. File permissions alone, without the confinement, keep gsftpd's
#    user to the accounts' drop folders: not the spool, its database,
#    drop/ itself, a local user's drop folder, nor a listing of jobs/.
mkdir "$T/spool/drop/bin"
chown bin:"$(id -gn "$SUSER")" "$T/spool/drop/bin"
chmod 2770 "$T/spool/drop/bin"
as_gsftpd() { setpriv --reuid=nobody --regid=nogroup --init-groups "$@"; }
for f in "$T/spool/x" "$T/spool/drop/x" "$T/spool/drop/bin/x" \
    "$T/spool/jobs/x" "$T/spool/queue.db"; do
	as_gsftpd sh -c ': >> "$1"' sh "$f" 2>/dev/null &&
	    fail "gsftpd's user may write $f"
done
as_gsftpd ls "$T/spool/jobs" > /dev/null 2>&1 && fail "gsftpd's user may list jobs/"
[ -f "$T/spool/jobs/1.gcode" ] || fail "job 1's file is not kept"
as_gsftpd cat "$T/spool/jobs/1.gcode" > /dev/null 2>&1 &&
    fail "gsftpd's user may read a job's G-code"
as_gsftpd sh -c ': > "$1"' sh "$T/spool/drop/alice/.probe" ||
    fail "gsftpd's user may not write alice's drop folder"
rm -f "$T/spool/drop/alice/.probe"
rmdir "$T/spool/drop/bin"

# 3. A helper in a connection's place, confined for alice: her tree
#    only, whatever it asks of the kernel (Landlock), and no TCP socket,
#    no program run, no process started (seccomp); spoold's control
#    socket it may reach.
echo secret > "$T/spool/secret"
chown "$SUSER:" "$T/spool/secret"
chmod 644 "$T/spool/secret"
"$BIN/tests/integration/jailtry" "$GSPOOL_CONF" alice \
    "w:$T/spool/drop/alice/new.gcode" "d:$T/spool/drop/alice" \
    "d:$T/spool/printers" "r:$T/spool/secret" "d:$T/spool" \
    "w:$T/spool/drop/bob/x.gcode" "d:$T/spool/drop/bob" "r:$T/bob.keys" \
    "r:$T/alice.keys" "r:/etc/passwd" "w:$T/spool/printers/x" \
    "r:$T/spool/sftp/ssh_host_ed25519_key" "r:$T/spool/jobs/1.gcode" \
    "t:$PORT" "u:$T/spool/control" \
    "x:/bin/true" "f:" > "$T/jail.out" 2>&1 ||
    fail "jailtry: $(cat "$T/jail.out")"
expect() {
	grep -qx -- "$1" "$T/jail.out" || fail "confined: wanted '$1'; got: $(cat "$T/jail.out")"
}
expect "w:$T/spool/drop/alice/new.gcode ok"
expect "d:$T/spool/drop/alice ok"
expect "d:$T/spool/printers ok"
expect "r:$T/spool/secret EACCES"
expect "d:$T/spool EACCES"
expect "w:$T/spool/drop/bob/x.gcode EACCES"
expect "d:$T/spool/drop/bob EACCES"
expect "r:$T/bob.keys EACCES"
expect "r:$T/alice.keys EACCES"
expect "r:/etc/passwd EACCES"
expect "w:$T/spool/printers/x EACCES"
expect "r:$T/spool/sftp/ssh_host_ed25519_key EACCES"
expect "r:$T/spool/jobs/1.gcode EACCES"
expect "t:$PORT EPERM"
expect "u:$T/spool/control ok"
expect "x:/bin/true EPERM"
expect "f: EPERM"
rm -f "$T/spool/drop/alice/new.gcode"

# 4. 'as' from root and from spoold's own user is refused; gsftpd's
#    user may.
cat > "$T/as.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"as\talice")
print(s.recv(4096).decode().split("\t")[0])
PY
out=$(/usr/bin/python3 "$T/as.py" "$T/spool/control")
[ "$out" = error ] || fail "root may speak for alice: $out"
out=$(setpriv --reuid="$SUSER" --regid="$SUSER" --clear-groups \
    /usr/bin/python3 "$T/as.py" "$T/spool/control")
[ "$out" = error ] || fail "spoold's own user may speak for alice: $out"
out=$(setpriv --reuid=bin --regid=bin --clear-groups \
    /usr/bin/python3 "$T/as.py" "$T/spool/control")
[ "$out" = error ] || fail "another user may speak for alice: $out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
    /usr/bin/python3 "$T/as.py" "$T/spool/control")
[ "$out" = ok ] || fail "gsftpd's user may not speak for alice: $out"
grep -q "'as' refused to uid 0:" "$T/spoold.log" || fail "the refusal to root is not logged"
grep -q "'as' refused to uid $SUID:" "$T/spoold.log" || fail "the refusal to $SUSER is not logged"

# 5. 70 wrong keys from 127.0.0.3, six to a connection as gsftpd allows,
#    the last four then a stall until the login grace runs out: every
#    key is logged with its fingerprint, and the stall's attempts count,
#    so that the 70th failure bans the address.
/usr/bin/python3 - "$PORT" "$T/fps" > "$T/keys.out" 2>&1 <<'PY' || fail "wrong keys: $(cat "$T/keys.out")"
import base64, hashlib, socket, sys, paramiko
port = int(sys.argv[1])
keys = [paramiko.ECDSAKey.generate() for _ in range(70)]
with open(sys.argv[2], "w") as f:
    for k in keys:
        fp = base64.b64encode(hashlib.sha256(k.asbytes()).digest()).decode()
        f.write("SHA256:" + fp.rstrip("=") + "\n")
def transport():
    s = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.3", 0))
    t = paramiko.Transport(s)
    t.connect()
    return t
i = 0
while i < 66:
    t = transport()
    for _ in range(6):
        if i == 66:
            break
        try:
            t.auth_publickey("alice", keys[i])
            sys.exit("key %d was accepted" % i)
        except paramiko.AuthenticationException:
            i += 1
        except (paramiko.SSHException, EOFError):
            break
    t.close()
t = transport()
for k in keys[66:]:
    try:
        t.auth_publickey("alice", k)
        sys.exit("a key was accepted")
    except paramiko.AuthenticationException:
        pass
t.join()          # the stall: until the server ends the connection
print("stalled out")
PY
grep -q 'stalled out' "$T/keys.out" || fail "the stall: $(cat "$T/keys.out")"
"$WAITFOR" contains "$T/gsftpd.log" "127.0.0.3: 70 failed logins; refused for" ||
    fail "70 wrong keys and a stall did not end in a ban"
while read -r fp; do
	grep -q "127.0.0.3: publickey for 'alice' refused: key not authorized, key ecdsa-sha2-nistp256 $fp" \
	    "$T/gsftpd.log" || fail "key $fp was not logged"
done < "$T/fps"
grep -q "127.0.0.3: login failed after 4 attempt(s), the last publickey for 'alice' with key ecdsa-sha2-nistp256 $(tail -n 1 "$T/fps") (key not authorized); the login grace ran out" \
    "$T/gsftpd.log" || fail "the stalled login is not logged as such"
/usr/bin/python3 - "$PORT" <<'PY' || fail "127.0.0.3 is not refused once banned"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), source_address=("127.0.0.3", 0))
sys.exit(0 if s.recv(100) == b"" else 1)
PY
"$WAITFOR" contains "$T/gsftpd.log" "127.0.0.3: refused: too many failed logins" ||
    fail "the banned address's connection was not refused"
# Another address still logs in.
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "alice from 127.0.0.1 after the ban"; }
ls
B

# 6. A client silent until the login grace runs out is logged and counts.
/usr/bin/python3 - "$PORT" <<'PY' || fail "the silent connection was not closed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), source_address=("127.0.0.5", 0))
while s.recv(4096):
    pass            # the server's greeting, then its end of the connection
PY
"$WAITFOR" contains "$T/gsftpd.log" "127.0.0.5: login failed: no attempt before the login grace ran out" ||
    fail "a silent client's login grace is not logged"

# 6b. As the unit starts it: gsftpd -P as root makes the folders, then
#    gsftpd is started as its user, unprivileged; alice logs in.  Started
#    as another user, it refuses to run.
gs_stop_gsftpd
"$BIN/sftpd/gsftpd" -P -c "$GSPOOL_CONF" 2>>"$T/gsftpd.log" || fail "gsftpd -P failed"
out=$(setpriv --reuid=bin --regid=bin --clear-groups "$BIN/sftpd/gsftpd" -f \
    -c "$GSPOOL_CONF" 2>&1) && fail "gsftpd ran as bin"
case $out in
*"running as uid $(id -u bin), not as [sftp] user nobody"*) ;;
*) fail "gsftpd as bin said: $out" ;;
esac
mkdir "$T/unpriv"
chown nobody "$T/unpriv"
setpriv --reuid=nobody --regid=nogroup --init-groups "$BIN/sftpd/gsftpd" -f -d \
    -c "$GSPOOL_CONF" -p "$T/unpriv/port" 2>>"$T/gsftpd.log" &
GSFTPD_PID=$!
"$WAITFOR" exists "$T/unpriv/port" || fail "gsftpd did not start as nobody"
PORT=$(cat "$T/unpriv/port")
sed -i "s/^\[127.0.0.1\]:[0-9]* /[127.0.0.1]:$PORT /" "$T/known_hosts"
[ "$(ruid_all "$GSFTPD_PID")" = "$NUID $NUID $NUID $NUID" ] ||
    fail "gsftpd started as nobody runs as $(ruid_all "$GSFTPD_PID")"
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "alice, gsftpd started as nobody"; }
put $CUBE drop/cube2.gcode
B
"$WAITFOR" gone "$T/spool/drop/alice/cube2.gcode" || fail "spoold did not take alice's upload"

# 6c. spoold started as root for a user that does not exist refuses to.
sed -e "s|^directory = .*|directory = $T/spool2|" \
    -e "s|^user = $SUSER\$|user = no-such-gspool-user|" "$GSPOOL_CONF" > "$T/bad.conf"
grep -q '^user = no-such-gspool-user$' "$T/bad.conf" || fail "the bad configuration"
"$SPOOLD" -d -c "$T/bad.conf" 2> "$T/bad.err" && fail "spoold ran as root"
grep -q "cannot become \[spool\] user no-such-gspool-user: user no-such-gspool-user: no such user" \
    "$T/bad.err" || fail "spoold said: $(cat "$T/bad.err")"
[ ! -e "$T/spool2" ] || fail "spoold made its spool before dropping root"

# 7. A backend's re-attach socket takes spoold's user alone: root is
#    refused, then spoold (started as root, become $SUSER) re-attaches.
printf 'G28\nG4 S3600\nG1 X10 Y10\n' > "$T/dwell.gcode"
id=$(submit "$T/dwell.gcode")
"$WAITFOR" contains "$T/vprinter.log" "G4 S3600" || fail "the dwell did not start"
gs_stop_spoold
"$WAITFOR" exists "$T/spool/run/mk3.sock" || fail "the backend does not listen"
/usr/bin/python3 - "$T/spool/run/mk3.sock" <<'PY' || fail "root was greeted by the backend"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
sys.exit(0 if s.recv(4096) == b"" else 1)
PY
"$WAITFOR" contains "$T/spoold.log" "mk3: refused a connection from uid 0" ||
    fail "the backend's refusal of root is not logged"
gs_spoold
"$WAITFOR" contains "$T/spoold.log" "mk3: spoold re-attached" ||
    fail "spoold's user could not re-attach"
exit 0
