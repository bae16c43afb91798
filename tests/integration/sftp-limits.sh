#!/bin/sh
# gsftpd's limits, each refused with a logged reason and nothing partial
# left: the login grace and the idle timeout; an account's max_file,
# quota and max_sessions; connections per address and in all.
. "$top_srcdir/tests/integration/lib.sh"
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
sftp_config() {	# [sftp] lines
	gs_config "[sftp]" "listen = 127.0.0.1:0" "$@" \
	    "[account alice]" "keys = $T/alice.keys" \
	    "[account bob]" "keys = $T/bob.keys" "max_file = 64K" \
	    "quota = 200K" "max_sessions = 1"
}
gs_sftp_key alice
gs_sftp_key bob
glog() { grep -c -e "$1" "$T/gsftpd.log" || true; }

# hold FD WHO ADDRESS: a session of WHO from ADDRESS kept open, its
# commands written to descriptor FD (its client's pid in held_FD);
# returns once WHO is logged in.
hold() {
	fd=$1
	who=$2
	n=$(glog "$who logged in from $3")
	mkfifo "$T/fifo$fd"
	sftp -o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" -P "$PORT" \
	    -o BindAddress="$3" -i "$T/$who" -b "$T/fifo$fd" "$who@127.0.0.1" \
	    > "$T/held$fd.out" 2>&1 3>&- 4>&- 5>&- &	# its own fifo only
	eval "held_$fd=$!"
	eval "exec $fd>\"\$T/fifo$fd\""
	"$WAITFOR" count "$T/gsftpd.log" "$who logged in from $3" $((n + 1)) ||
	    fail "$who's session from $3"
}
# refused WHO ADDRESS LOG: WHO cannot log in from ADDRESS, and the
# reason is logged once.  A login refused (not a connection) has had a
# process of its own: it is awaited, so that the counts stay exact.
refused() {
	n=$(glog 'connection ended')
	echo ls | as_sftp "$1" -o BindAddress="$2" > "$T/out" 2>&1 &&
	    fail "$1 was let in from $2 ($3)"
	[ "$(glog "$3")" = 1 ] || fail "not logged: $3"
	case $3 in
	*"login from"*)
		"$WAITFOR" count "$T/gsftpd.log" 'connection ended' $((n + 1)) ||
		    fail "the refused login's connection did not end" ;;
	esac
}
# release FD: the held session ends (end of its commands), and its
# commands all succeeded.
release() {
	eval "exec $1>&-"
	eval "wait \$held_$1" || fail "held session $1: $(cat "$T/held$1.out")"
	rm "$T/fifo$1"
}

# 1. The login grace and the idle timeout (2 s each here, each with a
#    server of its own: a real login is not raced against the grace).
gs_vprinter
sftp_config "login_grace = 2"
gs_spoold
gs_gsftpd
if command -v python3 > /dev/null; then
	# A client that connects and says nothing is cut off.
	python3 - "$PORT" > "$T/grace.out" <<'PY' || fail "login grace: $(cat "$T/grace.out")"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)	# a guard against a hang, not a measure
try:
    while s.recv(4096):
        pass
    print("closed")
except socket.timeout:
    print("still open")
    sys.exit(1)
PY
	"$WAITFOR" count "$T/gsftpd.log" '127.0.0.1: connection ended' 1 ||
	    fail "the silent connection did not end"
fi
gs_stop_gsftpd
sftp_config "idle_timeout = 2"
gs_gsftpd
hold 3 alice 127.0.0.1
"$WAITFOR" count "$T/gsftpd.log" 'alice: idle for 2s; disconnecting' 1 ||
    fail "an idle session was kept"
echo ls >&3
exec 3>&-
wait "$held_3" && fail "the idle session still served: $(cat "$T/held3.out")"
rm "$T/fifo3"
gs_stop_gsftpd

sftp_config
gs_gsftpd

# 2. bob's max_file: over 64 KiB is refused while it is written, and
#    nothing is left.
awk 'BEGIN { print "M83"; for (i = 0; i < 2700; i++) printf "G1 X%d Y10 E0.1 F3000\n", 10 + i % 90 }' \
    > "$T/59k.gcode"	# 59,404 bytes
head -c 70000 /dev/zero | tr '\0' '\n' > "$T/big.gcode"
as_sftp bob > "$T/out" 2>&1 <<B && fail "an upload over max_file was accepted"
put $T/big.gcode drop/big.gcode
B
grep -q 'Failure' "$T/out" || fail "max_file: $(cat "$T/out")"
[ "$(glog 'bob: upload of big.gcode refused')" = 1 ] || fail "max_file: not logged"
[ -z "$(ls -A "$T/spool/drop/bob")" ] || fail "a refused upload left $(ls -A "$T/spool/drop/bob")"

# 3. bob's quota: what waits in the drop folder and his jobs' files
#    count.  Three files of 59,404 bytes wait (the printer is disabled);
#    a fourth passes 200 KiB and is discarded; once his jobs are
#    canceled, still, until their files are swept (keep_files); then it
#    goes in.
"$GPC" disable mk3 > /dev/null
as_sftp bob > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "bob's uploads"; }
put $T/59k.gcode drop/a.gcode
put $T/59k.gcode drop/b.gcode
put $T/59k.gcode drop/c.gcode
B
for f in a b c; do
	"$WAITFOR" gone "$T/spool/drop/bob/$f.gcode" || fail "$f.gcode was not taken"
done
[ "$("$GQUEUE" --json | grep -c '"owner": "bob"')" = 3 ] || fail "bob's jobs: $("$GQUEUE")"
as_sftp bob > "$T/out" 2>&1 <<B && fail "an upload over the quota was accepted"
put $T/59k.gcode drop/d.gcode
B
grep -q 'Failure' "$T/out" || fail "quota: $(cat "$T/out")"
[ "$(glog 'bob: upload of d.gcode refused at')" = 1 ] || fail "quota: not logged"
[ -z "$(ls -A "$T/spool/drop/bob")" ] || fail "an upload over the quota left $(ls -A "$T/spool/drop/bob")"
mkdir -p "$T/bobhome/.ssh"
cp "$T/bob" "$T/bobhome/.ssh/id_ed25519"
cp "$T/known_hosts" "$T/bobhome/.ssh/known_hosts"
HOME="$T/bobhome" "$GCANCEL" -H "bob@127.0.0.1:$PORT" - > "$T/out" ||
    fail "gcancel -H bob -"
[ "$(grep -c '^canceled [a-z0-9]*-[0-9]* (.*)$' "$T/out")" = 3 ] ||
	fail "gcancel -H bob -: $(cat "$T/out")"
[ "$("$GQUEUE" --json | grep -c '"owner": "bob"')" = 0 ] || fail "bob's jobs were not canceled"
# Their files are kept for keep_files (gprint --reprint), and count
# until they go.
as_sftp bob > "$T/out" 2>&1 <<B && fail "the files of canceled jobs did not count"
put $T/59k.gcode drop/d.gcode
B
[ "$(glog 'bob: upload of d.gcode refused at')" = 2 ] || fail "quota after the cancel: not logged"
gs_stop_spoold
sed -i '/^\[spool\]/a keep_files = 0s' "$GSPOOL_CONF"
gs_spoold
as_sftp bob > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "the quota was not given back"; }
put $T/59k.gcode drop/d.gcode
B
"$WAITFOR" gone "$T/spool/drop/bob/d.gcode" || fail "d.gcode was not taken"
# Uploads at once in one session share what is left (here 145,396
# bytes): of three 59,404-byte files written side by side, one is
# refused.
if /usr/bin/python3 -c 'import paramiko' 2>/dev/null; then
	/usr/bin/python3 - "$PORT" "$T/bob" "$T/59k.gcode" > "$T/par.out" 2>&1 <<'PY' ||
import sys
import paramiko

port, key, src = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = paramiko.Transport(("127.0.0.1", port))
t.connect(username="bob", pkey=paramiko.Ed25519Key.from_private_key_file(key))
sftp = paramiko.SFTPClient.from_transport(t)
data = open(src, "rb").read()
files = [sftp.open("drop/p%d.gcode" % i, "w") for i in range(3)]
failed = set()
for off in range(0, len(data), 8192):
    for i, f in enumerate(files):
        if i not in failed:
            try:
                f.write(data[off:off + 8192])
                f.flush()
            except IOError:
                failed.add(i)
for i, f in enumerate(files):
    try:
        f.close()
    except IOError:
        failed.add(i)
print("refused: %s" % sorted(failed))
t.close()
PY
	    fail "parallel uploads: $(cat "$T/par.out")"
	grep -q '^refused: \[2\]$' "$T/par.out" || { tail -20 "$T/gsftpd.log"; fail "parallel uploads: $(cat "$T/par.out")"; }
	[ "$(glog 'bob: upload of p2.gcode refused at')" = 1 ] || fail "p2.gcode: not logged"
	for f in p0 p1; do
		"$WAITFOR" gone "$T/spool/drop/bob/$f.gcode" || fail "$f.gcode was not taken"
	done
	[ ! -e "$T/spool/drop/bob/p2.gcode" ] || fail "the upload over the quota was taken"
fi

# 4. bob may have one session at a time; 127.0.0.1 two connections;
#    the server three in all (the other loopback addresses count apart).
gs_stop_gsftpd
sftp_config "max_per_address = 2" "max_connections = 3"
gs_gsftpd
hold 3 bob 127.0.0.1
refused bob 127.0.0.1 'bob: login from 127.0.0.1 refused: 1 session(s) already'
hold 4 alice 127.0.0.1
refused alice 127.0.0.1 '127.0.0.1: refused: 2 connections from it already'
hold 5 alice 127.0.0.2
refused alice 127.0.0.3 '127.0.0.3: refused: 3 connections already'
# Once bob's session has ended, he may come back.
release 3
"$WAITFOR" count "$T/gsftpd.log" '127.0.0.1: connection ended, 2 left' 1 ||
    fail "bob's session did not end"
echo ls | as_sftp bob > "$T/out" 2>&1 || fail "bob could not come back: $(cat "$T/out")"
release 4
release 5
gs_stop_gsftpd
echo "PASS"
