#!/bin/sh
# gsftpd with real clients: OpenSSH's sftp, PuTTY's psftp, curl, and
# gprint/gqueue/gcancel -H.  Uploads are queued as the account and
# printed; options travel in NAME.options; limits, bad paths and
# foreign keys are refused; nothing is written outside the drop folder.
. "$top_srcdir/tests/integration/lib.sh"
for p in ssh-keygen sftp; do
	command -v $p > /dev/null || { echo "SKIP: no $p"; exit 77; }
done
GSFTPD="$BIN/spoold/gsftpd"
gs_config "[printer mk4]" "device = $T/mk4.tty" \
    "[sftp]" "listen = 127.0.0.1:0" "stall_timeout = 3" \
    "[account alice]" "keys = $T/alice.keys" \
    "[account bob]" "keys = $T/bob.keys" "max_file = 64K" "quota = 200K" \
    "max_sessions = 1"
sed -i 's/^clears_bed = yes/clears_bed = yes\nmax_hotend = 300/' "$GSPOOL_CONF"
export HOME="$T/home"
mkdir -p "$HOME/.ssh"
ssh-keygen -q -t ed25519 -N '' -C alice -f "$HOME/.ssh/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$T/bob"
ssh-keygen -q -t ed25519 -N '' -f "$T/eve"
# Comments, blank lines and several keys in one file.
{ echo "# alice's laptop and phone"; echo; cat "$T/eve.pub" | sed 's/^/#/';
  cat "$HOME/.ssh/id_ed25519.pub"; ssh-keygen -q -t ed25519 -N '' -f "$T/other" &&
  cat "$T/other.pub"; } > "$T/alice.keys"
cp "$T/bob.pub" "$T/bob.keys"
gs_vprinter
gs_spoold
"$GSFTPD" -f -d -c "$GSPOOL_CONF" -p "$T/port" 2>>"$T/gsftpd.log" &
GSFTPD_PID=$!
"$WAITFOR" exists "$T/port" || fail "gsftpd did not start"
PORT=$(cat "$T/port")
hostkey="$T/spool/sftp/ssh_host_ed25519_key"
[ -f "$hostkey" ] || fail "no host key was generated"
[ "$(stat -c %a "$hostkey")" = 600 ] || fail "the host key is not private"
echo "[127.0.0.1]:$PORT $(ssh-keygen -y -f "$hostkey")" > "$HOME/.ssh/known_hosts"
SSHOPTS="-o BatchMode=yes -o UserKnownHostsFile=$HOME/.ssh/known_hosts -P $PORT"
asalice() { sftp $SSHOPTS -i "$HOME/.ssh/id_ed25519" -b - alice@127.0.0.1; }
asbob() { sftp $SSHOPTS -i "$T/bob" -b - bob@127.0.0.1; }
glog() { grep -c -e "$1" "$T/gsftpd.log" || true; }
# Written outside the drop folders: nothing (checked at the end).
find "$T/spool" -path "$T/spool/drop" -prune -o -type f -print | sort > "$T/before"

# 1. OpenSSH sftp: an upload to drop/ and one to drop/mk4/ are queued as
#    alice; the first is printed (mk4 has no printer attached).
asalice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $CUBE drop/cube.gcode
put $CUBE drop/mk4/cube4.gcode
ls -l
B
"$GQUEUE" -w 1 > /dev/null || fail "job 1 did not complete"
"$WAITFOR" gone "$T/spool/drop/alice/mk4/cube4.gcode" || fail "drop/mk4/ not taken"
"$GQUEUE" --history --json 1 > "$T/h.json"
grep -q '"owner": "alice"' "$T/h.json" || fail "job 1 is not alice's"
"$GQUEUE" --json 2 > "$T/h.json"
grep -q '"owner": "alice"' "$T/h.json" || fail "job 2 is not alice's"
grep -q '"destination": "mk4"' "$T/h.json" || fail "drop/mk4/ did not choose mk4"
"$GCANCEL" 2 || fail "job 2 could not be canceled"
[ -z "$(ls -A "$T/spool/drop/alice" | grep -v '^mk4$')" ] || fail "drop folder not empty: $(ls -A "$T/spool/drop/alice")"

# 2. The read-only tree: queue.txt, queue.json, status.json, jobs/ID/.
asalice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp get"; }
get queue.txt $T/queue.txt
get queue.json $T/queue.json
get printers/mk3/status.json $T/status.json
ls jobs
get jobs/1/job.json $T/job1.json
B
grep -q '^mk3 is ready' "$T/queue.txt" || fail "queue.txt: $(cat "$T/queue.txt")"
grep -q '"printers"' "$T/queue.json" || fail "queue.json has no printers"
grep -q '"name": "mk3"' "$T/status.json" || fail "status.json: $(cat "$T/status.json")"
grep -q '"title": "cube.gcode"' "$T/job1.json" || fail "job.json: $(cat "$T/job1.json")"
grep -q '^jobs/1 ' "$T/out" || grep -q 'jobs/1$' "$T/out" || grep -q '^1 *$' "$T/out" ||
    grep -q 'jobs/1' "$T/out" || fail "jobs/ does not list job 1: $(cat "$T/out")"
# Bob sees neither alice's jobs nor their titles.
asbob > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "bob's sftp"; }
get queue.json $T/bob.json
ls jobs
B
grep -q 'cube' "$T/bob.json" && fail "bob sees alice's titles"
asbob > "$T/out" 2>&1 <<B && fail "bob read alice's job"
get jobs/1/job.json $T/stolen.json
B
[ ! -e "$T/stolen.json" ] || fail "bob got alice's job"

# 3. Options beside the file; WinSCP's .filepart rename.
printf 'title = Calibration cube\npriority = 90\nhold = yes\n' > "$T/o"
asalice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put with options"; }
put $T/o drop/held.gcode.options
put $CUBE drop/held.gcode
put $CUBE drop/wide.gcode.filepart
rename drop/wide.gcode.filepart drop/wide.gcode
B
"$WAITFOR" gone "$T/spool/drop/alice/wide.gcode" || fail "the renamed upload was not taken"
"$WAITFOR" gone "$T/spool/drop/alice/held.gcode" || fail "the upload with options was not taken"
"$GQUEUE" -a --json > "$T/q.json"
python_get() { :; }
grep -q '"title": "Calibration cube"' "$T/q.json" || fail "options: title not taken: $(cat "$T/q.json")"
grep -q '"state": "held"' "$T/q.json" || fail "options: not held"
[ ! -e "$T/spool/drop/alice/held.gcode.options" ] || fail "the options file was left behind"
"$GQUEUE" -w 4 > /dev/null || fail "the renamed upload did not print"
printf 'copies = lots\n' > "$T/bad"
asalice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put bad options"; }
put $T/bad drop/badopt.gcode.options
put $CUBE drop/badopt.gcode
B
"$WAITFOR" exists "$T/spool/rejected/alice/badopt.gcode.reason" || fail "bad options not rejected"
grep -q 'badopt.gcode.options line 1' "$T/spool/rejected/alice/badopt.gcode.reason" ||
    fail "bad options: $(cat "$T/spool/rejected/alice/badopt.gcode.reason")"

# 4. gprint -H, gqueue -H, gcancel -H through the same tree.
"$GPRINT" -H "alice@127.0.0.1:$PORT" -T "remote cube" -p 80 -q -P mk4 "$CUBE" > "$T/out" ||
    fail "gprint -H: $(cat "$T/out")"
grep -q 'sent to' "$T/out" || fail "gprint -H said: $(cat "$T/out")"
"$WAITFOR" gone "$T/spool/drop/alice/mk4/calibration-cube.gcode" || fail "gprint -H upload not taken"
"$GQUEUE" -H "alice@127.0.0.1:$PORT" -l > "$T/rq" || fail "gqueue -H"
grep -q 'remote cube' "$T/rq" || fail "gqueue -H: $(cat "$T/rq")"
rid=$("$GQUEUE" -H "alice@127.0.0.1:$PORT" --json | sed -n 's/.*"name": "mk4-\([0-9]*\)".*/\1/p' | tail -n 1)
[ -n "$rid" ] || fail "gqueue -H --json shows no mk4 job"
"$GQUEUE" --json "$rid" | grep -q '"priority": 80' || fail "gprint -H: priority lost"
"$GCANCEL" -H "bob@127.0.0.1:$PORT" "$rid" 2> "$T/err" && fail "bob canceled alice's job"
HOME_SAVE=$HOME
"$GCANCEL" -H "alice@127.0.0.1:$PORT" "$rid" || fail "gcancel -H"
"$GQUEUE" --history --json "$rid" | grep -q '"state": "canceled"' || fail "gcancel -H did not cancel"
# Strict host keys: unknown, then changed.
mv "$HOME/.ssh/known_hosts" "$T/kh"
"$GQUEUE" -H "alice@127.0.0.1:$PORT" 2> "$T/err" && fail "an unknown host was trusted"
grep -q 'unknown host key' "$T/err" || fail "unknown host: $(cat "$T/err")"
echo "[127.0.0.1]:$PORT $(cat "$T/eve.pub")" > "$HOME/.ssh/known_hosts"
"$GQUEUE" -H "alice@127.0.0.1:$PORT" 2> "$T/err" && fail "a changed host key was trusted"
grep -q 'HOST KEY HAS CHANGED' "$T/err" || fail "changed host: $(cat "$T/err")"
mv "$T/kh" "$HOME/.ssh/known_hosts"

# 5. PuTTY's psftp and curl's sftp://.
fp=$(ssh-keygen -l -E sha256 -f "$hostkey" | awk '{ print $2 }')
if command -v psftp > /dev/null && command -v puttygen > /dev/null; then
	puttygen "$HOME/.ssh/id_ed25519" -O private -o "$T/alice.ppk" || fail "puttygen"
	printf 'put %s drop/putty.gcode\nls drop\n' "$CUBE" > "$T/pb"
	psftp -batch -hostkey "$fp" -i "$T/alice.ppk" -P "$PORT" -b "$T/pb" \
	    alice@127.0.0.1 > "$T/out" 2>&1 || { cat "$T/out"; fail "psftp"; }
	"$WAITFOR" gone "$T/spool/drop/alice/putty.gcode" || fail "psftp upload not taken"
fi
if curl -V 2>/dev/null | grep -q 'sftp'; then
	sha=$(ssh-keygen -l -E sha256 -f "$hostkey" | awk '{ print $2 }' | sed 's/^SHA256://')
	curl -sS --hostpubsha256 "$sha" --key "$HOME/.ssh/id_ed25519" \
	    --pubkey "$HOME/.ssh/id_ed25519.pub" -T "$CUBE" \
	    "sftp://alice@127.0.0.1:$PORT/drop/curl.gcode" || fail "curl upload"
	"$WAITFOR" gone "$T/spool/drop/alice/curl.gcode" || fail "curl upload not taken"
	curl -sS --hostpubsha256 "$sha" --key "$HOME/.ssh/id_ed25519" \
	    --pubkey "$HOME/.ssh/id_ed25519.pub" \
	    "sftp://alice@127.0.0.1:$PORT/queue.json" > "$T/cq.json" || fail "curl get"
	grep -q '"jobs"' "$T/cq.json" || fail "curl: queue.json: $(head -c 200 "$T/cq.json")"
fi

# 6. Limits: bob's max_file and quota; nothing partial is left or taken.
head -c 70000 "$CUBE" > "$T/big.gcode"
asbob > "$T/out" 2>&1 <<B && fail "an upload over max_file was accepted"
put $T/big.gcode drop/big.gcode
B
grep -q 'Failure' "$T/out" || fail "max_file: $(cat "$T/out")"
[ "$(glog 'bob: upload of big.gcode refused')" = 1 ] || fail "max_file: not logged"
[ -z "$(ls -A "$T/spool/drop/bob")" ] || fail "a refused upload left $(ls -A "$T/spool/drop/bob")"
printf 'G28\nG1 X10 Y10 F3000\n' > "$T/small.gcode"
"$GPC" disable mk3 > /dev/null
asbob > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "bob's small upload"; }
put $T/small.gcode drop/small.gcode
B
"$WAITFOR" gone "$T/spool/drop/bob/small.gcode" || fail "bob's upload not taken"

# 7. What an account may not do: each refused with a reason.
asalice > "$T/out" 2>&1 <<B || true
-put $CUBE ../escape.gcode
-put $CUBE drop/../../escape.gcode
-put $CUBE queue.txt
-put $CUBE drop/.hidden.gcode
-mkdir drop/new
-ln -s /etc/passwd drop/link
-ln drop/x drop/hard
-rm queue.txt
-rename queue.txt drop/q.gcode
-get /../../etc/passwd $T/passwd
-get drop/../../../etc/passwd $T/passwd
B
[ ! -e "$T/passwd" ] || fail "a path left the tree"
[ ! -e "$T/spool/escape.gcode" ] && [ ! -e "$T/escape.gcode" ] || fail "an upload left the tree"
# OpenSSH's sftp shows the status (the reasons are the hostile client's
# to check): nine refusals, two paths that name nothing.
n=$(grep -c "Permission denied" "$T/out") || true
[ "$n" = 9 ] || fail "$n refusals: $(cat "$T/out")"
[ "$(grep -c 'not found' "$T/out")" = 2 ] || fail "escapes: $(cat "$T/out")"
# A foreign key, a password and an unknown account do not get in.
sftp $SSHOPTS -i "$T/eve" -b - alice@127.0.0.1 < /dev/null > "$T/out" 2>&1 &&
    fail "eve's key was let in"
sftp $SSHOPTS -o BatchMode=no -o PubkeyAuthentication=no -o PasswordAuthentication=yes \
    -o NumberOfPasswordPrompts=1 -b - alice@127.0.0.1 < /dev/null > "$T/out" 2>&1 &&
    fail "a login without a key was let in"
[ "$(glog 'login refused')" -ge 1 ] || fail "refused logins are not logged"

# 8. The hostile client (python3-paramiko): malformed and oversized
#    packets, escapes, links, exec/shell/pty/forwarding, passwords, a
#    stalled half packet, 257 handles.  Then the server still serves.
if /usr/bin/python3 -c 'import paramiko' 2>/dev/null; then
	/usr/bin/python3 "$top_srcdir/tests/integration/sftp-hostile.py" 127.0.0.1 "$PORT" \
	    "$HOME/.ssh/id_ed25519" "$T/gsftpd.log" > "$T/hostile.out" 2>&1 ||
	    { cat "$T/hostile.out"; fail "the hostile client got through"; }
	"$WAITFOR" count "$T/gsftpd.log" 'connection timed out' 1 ||
	    fail "the stalled connection was not cut by the watchdog"
fi
asalice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "gsftpd no longer serves"; }
get queue.txt $T/queue2.txt
B

# 9. Nothing written outside the drop folders (jobs and rejections are
#    spoold's), and no temporary left behind.
find "$T/spool" -path "$T/spool/drop" -prune -o -type f -print | sort > "$T/after"
comm -13 "$T/before" "$T/after" | grep -v -E "^$T/spool/(jobs|rejected|tmp|run|sftp)/|^$T/spool/queue.db" \
    > "$T/new" || true
[ ! -s "$T/new" ] || fail "written outside the drop folders: $(cat "$T/new")"
find "$T/spool/drop" -name '.gsftpd-*' | grep -q . && fail "a temporary upload was left"

# 10. Failed logins are rate-limited per address (last: it bans us).
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	sftp $SSHOPTS -i "$T/eve" -b - alice@127.0.0.1 < /dev/null > /dev/null 2>&1 || true
done
"$WAITFOR" count "$T/gsftpd.log" 'failed logins; refused for' 1 || fail "failed logins were not rate-limited"
asalice < /dev/null > "$T/out" 2>&1 && fail "a banned address was let in"
kill "$GSFTPD_PID"
exit 0
