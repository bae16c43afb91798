#!/bin/sh
# Every resource counted, and privacy.  Refused files are kept for
# keep_rejected and count against their sender's job limit (and an SFTP
# account's quota) until then; a sender refused max_rejections times
# within rejection_window is refused for a while, its drop files left
# waiting; gqueue tells a user of their refused files with the reason,
# and nobody else.  The spool, the queue and rejected/ are private, and
# another user sees neither titles nor model names.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "max_hotend = 250" "firmware = marlin" "dialect_mismatch = warn"
sed -i "/^\[spool\]/a max_user_jobs = 3\nmax_rejections = 4\nrejection_window = 1h" "$GSPOOL_CONF"
me=$(id -un)
# An older spoold's spool: rejected/ open to all, a file in it with no
# record of its refusal.
mkdir -p "$T/spool/rejected/$me"
chmod 755 "$T/spool" "$T/spool/rejected"
printf 'M109 S300\n' > "$T/spool/rejected/$me/old.gcode"
echo "old.gcode: line 1: too hot" > "$T/spool/rejected/$me/old.gcode.reason"
gs_spoold
mode() { stat -c %a "$1"; }
[ "$(mode "$T/spool")" = 711 ] || fail "the spool is $(mode "$T/spool")"
[ "$(mode "$T/spool/rejected")" = 700 ] || fail "rejected/ is $(mode "$T/spool/rejected")"
[ "$(mode "$T/spool/queue.db")" = 600 ] || fail "queue.db is $(mode "$T/spool/queue.db")"
[ "$(mode "$T/spool/spoold.lock")" = 600 ] || fail "spoold.lock is $(mode "$T/spool/spoold.lock")"
grep -q "rejected/$me/old.gcode: counted" "$T/spoold.log" || fail "the old refused file is not counted"

# 1. A bad drop file: kept privately, with its reason; gqueue says so.
mkdir -p "$T/spool/drop/$me"
printf 'G28\nM104 S300\n' > "$T/hot.gcode"
cp "$T/hot.gcode" "$T/spool/drop/$me/.hot.gcode"
mv "$T/spool/drop/$me/.hot.gcode" "$T/spool/drop/$me/hot.gcode"
"$WAITFOR" exists "$T/spool/rejected/$me/hot.gcode.reason" || fail "hot.gcode not refused"
[ "$(mode "$T/spool/rejected/$me")" = 700 ] || fail "rejected/$me is $(mode "$T/spool/rejected/$me")"
[ "$(mode "$T/spool/rejected/$me/hot.gcode.reason")" = 600 ] || fail "the reason is readable by others"
"$GQUEUE" > "$T/q.out"
grep -q "^Refused files of yours" "$T/q.out" || fail "gqueue does not tell of the refusal: $(cat "$T/q.out")"
grep -q "	hot.gcode, .*: line 2: M104 S300 sets 300 C, above the printer's max_hotend 250" "$T/q.out" ||
	fail "gqueue: $(cat "$T/q.out")"
grep -q "	old.gcode, .*: old.gcode: line 1: too hot" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
"$GQUEUE" --json > "$T/q.json"
grep -q '"reason": "line 2: M104 S300' "$T/q.json" || fail "gqueue --json: $(cat "$T/q.json")"

# 2. The job limit counts the refused files kept: 2 of them, 1 job.
# A model's name, and a line quoted by a dialect warning, that name the
# owner's part.
printf 'G28\nM486 S0 A"secret-model"\nEXCLUDE_OBJECT_DEFINE NAME=secret_macro_part\nG1 X10 F3000\n' \
    > "$T/good.gcode"
id=$(submit "$T/good.gcode" -q -T secret-title)
"$GPRINT" "$T/good.gcode" 2> "$T/err" && fail "a job past max_user_jobs was taken"
grep -q "$me has 1 jobs waiting or printing and 2 refused files kept (keep_rejected), 3 in all, the most allowed" "$T/err" ||
	fail "job limit: $(cat "$T/err")"

# 3. Another user sees neither the title nor the model's name, nor my
# refused files; the folder is closed to them.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
	chmod 755 "$T"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	as_nobody "$GQUEUE" --json > "$T/other.json" 2>&1 || fail "gqueue as nobody: $(cat "$T/other.json")"
	grep -q '"objects": \[' "$T/other.json" || fail "no objects: $(cat "$T/other.json")"
	grep -q '"(hidden)"' "$T/other.json" || fail "objects: $(cat "$T/other.json")"
	grep -q '"warnings": \[$' "$T/other.json" || fail "warnings: $(cat "$T/other.json")"
	grep -q -E 'secret|hot.gcode|rejected' "$T/other.json" && fail "shown to another user: $(cat "$T/other.json")"
	as_nobody ls "$T/spool" > /dev/null 2>&1 && fail "another user can list the spool"
	as_nobody cat "$T/spool/queue.db" > /dev/null 2>&1 && fail "another user can read the queue"
	as_nobody ls "$T/spool/rejected" > /dev/null 2>&1 && fail "another user can list rejected/"
fi
"$GQUEUE" --json > "$T/q.json"
grep -q '"secret-model"' "$T/q.json" || fail "the owner does not see the model's name"
grep -q "line 3: 'EXCLUDE_OBJECT_DEFINE NAME=secret_macro_part'" "$T/q.json" ||
	fail "the owner does not see the warning: $(cat "$T/q.json")"

# 4. Refusals of late: two more on the control socket make 4 within the
# hour; then nothing is read, and a drop file waits in its folder.
"$GCANCEL" "$id" || fail "gcancel"
"$GPRINT" "$T/hot.gcode" 2> /dev/null && fail "hot.gcode taken"
printf 'G28\nM140 S500\n' > "$T/bed.gcode"
"$GPRINT" "$T/bed.gcode" 2> /dev/null && fail "bed.gcode taken"
"$GPRINT" "$T/good.gcode" 2> "$T/err" && fail "a sender refused 4 times was not refused"
grep -q "$me: 4 files refused within 1h 00m (max_rejections): new files are refused for .* more" "$T/err" ||
	fail "rate limit: $(cat "$T/err")"
"$GQUEUE" > "$T/q.out"
grep -q "^Your files are refused for now: $me: 4 files refused" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
# Sent on the control socket, not kept, and still told.
grep -q "	bed.gcode, .*: line 2: M140 S500 sets 500 C" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
[ ! -e "$T/spool/rejected/$me/bed.gcode" ] || fail "a file refused on the control socket was kept"
cp "$T/good.gcode" "$T/spool/drop/$me/.wait.gcode"
mv "$T/spool/drop/$me/.wait.gcode" "$T/spool/drop/$me/wait.gcode"
"$WAITFOR" contains "$T/spoold.log" "drop: $T/spool/drop/$me/wait.gcode waits: $me: 4 files refused" ||
	fail "the drop file was not held back"
[ -f "$T/spool/drop/$me/wait.gcode" ] || fail "the waiting drop file is gone"
[ ! -e "$T/spool/rejected/$me/wait.gcode" ] || fail "the waiting file was refused"

# 5. keep_rejected: past it, the refused files go at the next sweep (at
# start), their refusals with them, and the waiting file is taken.
gs_stop_spoold
sed -i "/^\[spool\]/a keep_rejected = 0s" "$GSPOOL_CONF"
gs_spoold
"$WAITFOR" gone "$T/spool/drop/$me/wait.gcode" || fail "the waiting file was not taken"
for f in hot.gcode hot.gcode.reason old.gcode old.gcode.reason; do
	[ ! -e "$T/spool/rejected/$me/$f" ] || fail "rejected/$me/$f kept past keep_rejected"
done
grep -q "rejected/$me/hot.gcode removed: kept for keep_rejected" "$T/spoold.log" || fail "the sweep is not logged"
"$GQUEUE" > "$T/q.out"
grep -q "Refused" "$T/q.out" && fail "refusals listed after the sweep: $(cat "$T/q.out")"
grep -q "^1st .*wait.gcode" "$T/q.out" || fail "the waiting file is not queued: $(cat "$T/q.out")"
gs_stop_spoold

# A burst: 8 bad files found at once at start are all queued for the
# workers, but once 4 are refused the rest wait in the folder; one more
# may be refused, already being read by the second worker.
for n in 1 2 3 4 5 6 7 8; do
	cp "$T/hot.gcode" "$T/spool/drop/$me/b$n.gcode"
done
sed -i "s/^max_user_jobs = 3$/max_user_jobs = 100/" "$GSPOOL_CONF"
gs_spoold
"$WAITFOR" count "$T/spoold.log" "drop: $T/spool/drop/$me/b" 8 ||
	fail "the burst was not seen through: $(grep "drop: .*/b" "$T/spoold.log")"
refused=$(grep -c "drop: $T/spool/drop/$me/b.*rejected: line 2: M104 S300" "$T/spoold.log" || true)
waiting=$(grep -c "drop: $T/spool/drop/$me/b.* left for the next scan: $me: 4 files refused within 1h 00m" "$T/spoold.log" || true)
[ "$refused" -ge 4 ] && [ "$refused" -le 5 ] && [ $((refused + waiting)) = 8 ] ||
	fail "of the burst, $refused refused and $waiting waiting"
[ "$(ls "$T/spool/drop/$me" | grep -c '^b')" = "$waiting" ] || fail "the waiting files are not in the folder"
gs_stop_spoold

# 6. An SFTP account fills its quota with refused files, then is
# refused an upload, with the reason.
if command -v sftp > /dev/null && command -v ssh-keygen > /dev/null; then
	gs_sftp_key carol
	printf '[sftp]\nlisten = 127.0.0.1:0\n[account carol]\nkeys = %s\nquota = 8K\n' \
	    "$T/carol.keys" >> "$GSPOOL_CONF"
	sed -i "/^keep_rejected/d" "$GSPOOL_CONF"
	gs_spoold
	gs_gsftpd
	{ printf 'G28\nM104 S300\n'; head -c 3000 /dev/zero | tr '\0' ';'; echo; } > "$T/big-hot.gcode"
	for n in 1 2; do
		as_sftp carol > "$T/out" 2>&1 <<B || fail "upload $n: $(cat "$T/out")"
put $T/big-hot.gcode drop/hot$n.gcode
B
		"$WAITFOR" exists "$T/spool/rejected/carol/hot$n.gcode.reason" || fail "hot$n.gcode not refused"
	done
	# 6030 bytes refused and kept: 3015 more pass the 8K.
	as_sftp carol > "$T/out" 2>&1 <<B && fail "an upload past the quota was taken"
put $T/big-hot.gcode drop/hot3.gcode
B
	grep -q "carol: upload of hot3.gcode refused at .*over the account's limit" "$T/gsftpd.log" ||
		fail "quota: $(cat "$T/out"; tail -5 "$T/gsftpd.log")"
	[ ! -e "$T/spool/drop/carol/hot3.gcode" ] || fail "the upload over the quota was kept"
	# Another account sees the waiting job, not its names; it sees its
	# own refusals, and not another's.
	as_sftp carol > "$T/out" 2>&1 <<B || fail "get queue.json: $(cat "$T/out")"
get queue.json $T/carol.json
get queue.txt $T/carol.txt
B
	grep -q '"title": "(hidden)"' "$T/carol.json" || fail "carol's queue.json: $(cat "$T/carol.json")"
	grep -q -E 'secret|wait.gcode' "$T/carol.json" && fail "shown to another account: $(cat "$T/carol.json")"
	grep -q '"name": "hot2.gcode"' "$T/carol.json" || fail "carol's refusals: $(cat "$T/carol.json")"
	grep -q "	hot1.gcode, .*: line 2: M104 S300 sets 300 C" "$T/carol.txt" ||
		fail "carol's queue.txt: $(cat "$T/carol.txt")"
	gs_stop_gsftpd
fi
echo "PASS"
