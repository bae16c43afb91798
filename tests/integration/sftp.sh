#!/bin/sh
# gsftpd with real clients: OpenSSH's sftp, PuTTY's psftp, curl, and
# gprint/gqueue/gcancel -H.  Uploads are queued as the account and
# printed; options travel in NAME.options; bad paths and foreign keys
# are refused; nothing is written outside the drop folder.  (Limits:
# sftp-limits.sh; the corpus: sftp-corpus.sh.)
. "$top_srcdir/tests/integration/lib.sh"
gs_config "[printer mk4]" "device = $T/mk4.tty" \
    "[sftp]" "listen = 127.0.0.1:0" "stall_timeout = 3" \
    "[account alice]" "keys = $T/alice.keys" \
    "[account bob]" "keys = $T/bob.keys"
sed -i 's/^clears_bed = yes/clears_bed = yes\nmax_hotend = 300/' "$GSPOOL_CONF"
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
gs_sftp_key alice
gs_sftp_key bob
gs_sftp_key eve
gs_sftp_key other
# Comments, blank lines and several keys in one file.
{ echo "# alice's laptop and phone"; echo; sed 's/^/#/' "$T/eve.pub";
  cat "$T/alice.pub" "$T/other.pub"; } > "$T/alice.keys"
# gprint -H and the others find alice's key and known_hosts in ~/.ssh.
export HOME="$T/home"
mkdir -p "$HOME/.ssh"
cp "$T/alice" "$HOME/.ssh/id_ed25519"
cp "$T/alice.pub" "$HOME/.ssh/id_ed25519.pub"
gs_vprinter
gs_spoold
gs_gsftpd
hostkey="$T/spool/sftp/ssh_host_ed25519_key"
[ -f "$hostkey" ] || fail "no host key was generated"
[ "$(stat -c %a "$hostkey")" = 600 ] || fail "the host key is not private"
cp "$T/known_hosts" "$HOME/.ssh/known_hosts"
SSHOPTS="-o BatchMode=yes -o UserKnownHostsFile=$T/known_hosts -P $PORT"
glog() { grep -c -e "$1" "$T/gsftpd.log" || true; }
# mk3's camera has a frame (the timelapse filter keeps it there); mk4
# has no camera.
mkdir -p "$T/spool/printers/mk3"
printf '\377\330\377\340 a frame' > "$T/spool/printers/mk3/webcam.jpg"
# Written outside the drop folders: nothing (checked at the end).
find "$T/spool" -path "$T/spool/drop" -prune -o -type f -print | sort > "$T/before"

# 1. OpenSSH sftp: an upload to drop/ and one to drop/mk4/ are queued as
#    alice; the first is printed (mk4 has no printer attached).
#    One after the other: files are taken in side by side, and their
#    ids follow as each is done; a drop file goes once its job is
#    committed.
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $CUBE drop/cube.gcode
B
"$WAITFOR" gone "$T/spool/drop/alice/cube.gcode" || fail "drop/ not taken"
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
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

# 2. The read-only tree: queue.txt, queue.json, status.json,
#    webcam.jpg, jobs/ID/ with the job's video once it is rendered.
mkdir -p "$T/spool/jobs/1.d"
printf 'a video' > "$T/spool/jobs/1.d/timelapse.mp4"
printf 'half a video' > "$T/spool/jobs/1.d/timelapse.mp4.tmp"
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp get"; }
get queue.txt $T/queue.txt
get queue.json $T/queue.json
get printers/mk3/status.json $T/status.json
get printers/mk3/webcam.jpg $T/webcam.jpg
ls printers/mk4
ls jobs
ls jobs/1
get jobs/1/job.json $T/job1.json
get jobs/1/timelapse.mp4 $T/video.mp4
-get jobs/1/timelapse.mp4.tmp $T/half.mp4
B
cmp -s "$T/webcam.jpg" "$T/spool/printers/mk3/webcam.jpg" || fail "webcam.jpg differs"
cmp -s "$T/video.mp4" "$T/spool/jobs/1.d/timelapse.mp4" || fail "the video differs"
grep -v -e '^sftp>' -e 'not found' "$T/out" > "$T/listed"
grep -q 'jobs/1/timelapse.mp4' "$T/listed" || fail "jobs/1/ lists no video: $(cat "$T/out")"
grep -q 'printers/mk4/webcam.jpg' "$T/listed" && fail "mk4 shows a webcam frame: $(cat "$T/out")"
grep -q 'timelapse.mp4.tmp' "$T/listed" && fail "a video being rendered is listed: $(cat "$T/out")"
[ ! -e "$T/half.mp4" ] || fail "a video being rendered was read"
grep -q '^mk3 is ready' "$T/queue.txt" || fail "queue.txt: $(cat "$T/queue.txt")"
grep -q '"printers"' "$T/queue.json" || fail "queue.json has no printers"
grep -q '"name": "mk3"' "$T/status.json" || fail "status.json: $(cat "$T/status.json")"
for k in state temperatures job layer progress status activity heaters; do
	grep -q "\"$k\":" "$T/status.json" || fail "status.json has no $k: $(cat "$T/status.json")"
done
grep -q '"title": "cube.gcode"' "$T/job1.json" || fail "job.json: $(cat "$T/job1.json")"
grep -q '^jobs/1 ' "$T/out" || grep -q 'jobs/1$' "$T/out" || grep -q '^1 *$' "$T/out" ||
    grep -q 'jobs/1' "$T/out" || fail "jobs/ does not list job 1: $(cat "$T/out")"
# Bob sees neither alice's jobs nor their titles.
as_sftp bob > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "bob's sftp"; }
get queue.json $T/bob.json
ls jobs
B
grep -q 'cube' "$T/bob.json" && fail "bob sees alice's titles"
as_sftp bob > "$T/out" 2>&1 <<B && fail "bob read alice's job"
get jobs/1/job.json $T/stolen.json
B
[ ! -e "$T/stolen.json" ] || fail "bob got alice's job"

# 3. Options beside the file; WinSCP's .filepart rename.
printf 'title = Calibration cube\npriority = 90\nhold = yes\n' > "$T/o"
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put with options"; }
put $T/o drop/held.gcode.options
put $CUBE drop/held.gcode
put $CUBE drop/wide.gcode.filepart
rename drop/wide.gcode.filepart drop/wide.gcode
B
"$WAITFOR" gone "$T/spool/drop/alice/wide.gcode" || fail "the renamed upload was not taken"
"$WAITFOR" gone "$T/spool/drop/alice/held.gcode" || fail "the upload with options was not taken"
"$GQUEUE" -a --json > "$T/q.json"
grep -q '"title": "Calibration cube"' "$T/q.json" || fail "options: title not taken: $(cat "$T/q.json")"
grep -q '"state": "held"' "$T/q.json" || fail "options: not held"
[ ! -e "$T/spool/drop/alice/held.gcode.options" ] || fail "the options file was left behind"
# Files are taken in side by side: their ids follow as each is done.
wide=$({ "$GQUEUE" -a --json; "$GQUEUE" -a --json --history; } | python3 -c '
import json, sys
dec, text, at = json.JSONDecoder(), sys.stdin.read(), 0
while text[at:].strip():
    q, n = dec.raw_decode(text[at:].lstrip())
    at = len(text) - len(text[at:].lstrip()) + n
    for j in q["jobs"]:
        if j["title"] == "wide.gcode":
            print(j["id"])
            sys.exit(0)')
[ -n "$wide" ] || fail "no job for wide.gcode: $("$GQUEUE" -a --json --history)"
"$GQUEUE" -w "$wide" > /dev/null || fail "the renamed upload did not print"
printf 'copies = lots\n' > "$T/bad"
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put bad options"; }
put $T/bad drop/badopt.gcode.options
put $CUBE drop/badopt.gcode
B
"$WAITFOR" exists "$T/spool/rejected/alice/badopt.gcode.reason" || fail "bad options not rejected"
grep -q 'badopt.gcode.options line 1' "$T/spool/rejected/alice/badopt.gcode.reason" ||
    fail "bad options: $(cat "$T/spool/rejected/alice/badopt.gcode.reason")"

# 4. gprint -H, gqueue -H, gcancel -H through the same tree.
"$GPRINT" -H "alice@127.0.0.1:$PORT" -T "remote cube" -p 80 -q -P mk4 "$CUBE" > "$T/out" \
    2> "$T/err" || fail "gprint -H: $(cat "$T/out" "$T/err")"
grep -q 'sent to' "$T/out" || fail "gprint -H said: $(cat "$T/out")"
grep -q '#' "$T/err" && fail "a progress bar without a terminal: $(cat "$T/err")"
"$WAITFOR" gone "$T/spool/drop/alice/mk4/calibration-cube.gcode" || fail "gprint -H upload not taken"
"$GQUEUE" -H "alice@127.0.0.1:$PORT" -l > "$T/rq" || fail "gqueue -H"
grep -q 'remote cube' "$T/rq" || fail "gqueue -H: $(cat "$T/rq")"
rid=$("$GQUEUE" -H "alice@127.0.0.1:$PORT" --json | sed -n 's/.*"name": "mk4-\([0-9]*\)".*/\1/p' | tail -n 1)
[ -n "$rid" ] || fail "gqueue -H --json shows no mk4 job"
"$GQUEUE" --json "$rid" | grep -q '"priority": 80' || fail "gprint -H: priority lost"
"$GQUEUE" -H "alice@127.0.0.1:$PORT" -P mk4 > "$T/rq" || fail "gqueue -H -P mk4"
grep -q "^held  *alice  *$rid  *remote cube" "$T/rq" || fail "gqueue -H -P mk4: $(cat "$T/rq")"
grep -q '^mk3' "$T/rq" && fail "gqueue -H -P mk4 shows mk3: $(cat "$T/rq")"
"$GQUEUE" -H "alice@127.0.0.1:$PORT" -P mk3 > "$T/rq" || fail "gqueue -H -P mk3"
grep -q 'remote cube' "$T/rq" && fail "gqueue -H -P mk3 shows mk4's job: $(cat "$T/rq")"
"$GQUEUE" -H "alice@127.0.0.1:$PORT" -P mk9 2> "$T/err" && fail "gqueue -H -P mk9 succeeded"
grep -q 'mk9: unknown printer or class on alice@127.0.0.1' "$T/err" || fail "gqueue -H -P mk9: $(cat "$T/err")"
"$GCANCEL" -H "bob@127.0.0.1:$PORT" "$rid" 2> "$T/err" && fail "bob canceled alice's job"
"$GCANCEL" -H "alice@127.0.0.1:$PORT" "$rid" || fail "gcancel -H"
"$GQUEUE" --history --json "$rid" | grep -q '"state": "canceled"' || fail "gcancel -H did not cancel"
# On a terminal, gprint -H shows a progress bar.
script -qec "'$GPRINT' -H alice@127.0.0.1:$PORT -q -P mk4 '$CUBE'" "$T/typescript" \
    > "$T/tty.out" || fail "gprint -H on a terminal: $(cat -v "$T/tty.out")"
grep -q '\[#\{30\}\] 100%' "$T/tty.out" || fail "no progress bar: $(cat -v "$T/tty.out")"
"$WAITFOR" gone "$T/spool/drop/alice/mk4/calibration-cube.gcode" || fail "gprint -H upload not taken"
# A newline in a title does not start another option.
"$GPRINT" -H "alice@127.0.0.1:$PORT" -q -P mk4 -T "$(printf 'two\ncopies = 7')" "$CUBE" \
    > "$T/out" || fail "gprint -H -T with a newline: $(cat "$T/out")"
"$WAITFOR" gone "$T/spool/drop/alice/mk4/calibration-cube.gcode" || fail "gprint -H upload not taken"
"$GQUEUE" -P mk4 --json > "$T/q.json"
grep -q '"title": "two?copies = 7"' "$T/q.json" || fail "the title: $(cat "$T/q.json")"
grep -q '"copies": 7' "$T/q.json" && fail "a newline in a title set an option"
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

# 6. What an account may not do: each refused with a reason.
as_sftp alice > "$T/out" 2>&1 <<B || true
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

# 7. The hostile client (python3-paramiko): malformed and oversized
#    packets, escapes, links, exec/shell/pty/forwarding, passwords, a
#    stalled half packet, 257 handles.  Then the server still serves.
if /usr/bin/python3 -c 'import paramiko' 2>/dev/null; then
	/usr/bin/python3 "$top_srcdir/tests/integration/sftp-hostile.py" 127.0.0.1 "$PORT" \
	    "$HOME/.ssh/id_ed25519" "$T/gsftpd.log" > "$T/hostile.out" 2>&1 ||
	    { cat "$T/hostile.out"; fail "the hostile client got through"; }
	"$WAITFOR" count "$T/gsftpd.log" 'connection timed out' 1 ||
	    fail "the stalled connection was not cut by the watchdog"
	"$WAITFOR" count "$T/gsftpd.log" 'alice: upload of cut.gcode not closed; discarded' 1 ||
	    fail "an upload cut off was not discarded"
	[ ! -e "$T/spool/drop/alice/cut.gcode" ] || fail "an upload cut off was taken"
fi
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "gsftpd no longer serves"; }
get queue.txt $T/queue2.txt
B

# 8. Nothing written outside the drop folders (jobs and rejections are
#    spoold's), and no temporary left behind.
find "$T/spool" -path "$T/spool/drop" -prune -o -type f -print | sort > "$T/after"
comm -13 "$T/before" "$T/after" | grep -v -E "^$T/spool/(jobs|rejected|tmp|run|sftp)/|^$T/spool/queue.db" \
    > "$T/new" || true
[ ! -s "$T/new" ] || fail "written outside the drop folders: $(cat "$T/new")"
find "$T/spool/drop" -name '.gsftpd-*' | grep -q . && fail "a temporary upload was left"

# 9. Failed logins are rate-limited per address (last: it bans us).
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	sftp $SSHOPTS -i "$T/eve" -b - alice@127.0.0.1 < /dev/null > /dev/null 2>&1 || true
done
"$WAITFOR" count "$T/gsftpd.log" 'failed logins; refused for' 1 || fail "failed logins were not rate-limited"
as_sftp alice < /dev/null > "$T/out" 2>&1 && fail "a banned address was let in"
gs_stop_gsftpd
echo "PASS"
