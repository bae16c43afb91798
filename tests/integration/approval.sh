#!/bin/sh
# Staff approval: a printer whose jobs wait for it, a user who needs
# none, a job held awaiting approval that its owner cannot release and a
# user outside approve_group cannot approve; approved, it prints
# exactly, and its reprint awaits approval again; denied, its owner sees
# the reason (gqueue, gqueue -w); a job awaiting approval outlives
# spoold killed; the notify command hears the approval event, and with
# apprise the approvers' [group] URL; a class that asks for approval or
# has a member that does, a [group] that asks for it, and a job moved
# where it is needed wait for it too; an SFTP account's drop follows the
# same rule, and the account reads why it was denied in its job.json.
# The history keeps who approved or denied, when, and the note.
. "$top_srcdir/tests/integration/lib.sh"
[ "$(id -u)" = 0 ] && command -v setpriv > /dev/null &&
    id nobody > /dev/null 2>&1 && id lp > /dev/null 2>&1 &&
    id mail > /dev/null 2>&1 && id news > /dev/null 2>&1 ||
	{ echo "SKIP: needs root, setpriv and the users nobody, lp, mail, news"; exit 77; }
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
APPRISE=/usr/bin/apprise
PY=/usr/bin/python3
approvers=
if [ -x "$APPRISE" ]; then
	mkdir -p "$T/lp"
	"$PY" "$top_srcdir/tests/integration/notify-receiver.py" http "$T/lp" \
	    "$T/lp.port" 2>> "$T/lp.err" &
	"$WAITFOR" exists "$T/lp.port" || fail "the receiver did not start"
	approvers="notify_urls = json://127.0.0.1:$(cat "$T/lp.port")/lp"
fi
# mk4 has no device: its jobs wait, pending, and print nowhere.
gs_config "approval = yes" "approve_group = lp" \
    "[printer mk4]" "device = $T/mk4.tty" \
    "[class farm]" "printers = mk4 mk3" \
    "[class lab]" "printers = mk4" "approval = yes" \
    "[user mail]" "approval = no" \
    "[group news]" "approval = yes" \
    "[group lp]" "$approvers" \
    "[sftp]" "listen = 127.0.0.1:0" \
    "[account carol]" "keys = $T/carol.keys"
cat > "$T/notify.sh" <<'SH'
#!/bin/sh
echo "$1 $2 $GSPOOL_WHO|$GSPOOL_REASON|$GSPOOL_APPROVERS" >> "${0%/*}/events.log"
SH
chmod +x "$T/notify.sh"
sed -i "/^\[spool\]/a notify = $T/notify.sh\nnotifier = $BIN/notify/gspool-notify\napprise = $APPRISE" "$GSPOOL_CONF"
# A group this host does not know is told of, where it is named.
{ cat "$GSPOOL_CONF"; printf '[group no-such-group]\napproval = yes\n'; } > "$T/bad.conf"
"$SPOOLD" -n -c "$T/bad.conf" > "$T/n.out" 2>&1 || fail "spoold -n: $(cat "$T/n.out")"
grep -q "bad.conf:$(wc -l < "$GSPOOL_CONF" | awk '{ print $1 + 1 }'): warning: \[group\]: no-such-group is not a group of this host" "$T/n.out" ||
	fail "spoold -n said: $(cat "$T/n.out")"
chmod 755 "$T"
gs_sftp_key carol
gs_vprinter --command-ms 1
gs_spoold

# as USER COMMAND...: run it as USER, in USER's own group alone.
as() {
	u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"
}
# queued USER: the job id gprint gave USER's cube.
queued() {
	out=$(as "$1" "$GPRINT" -T "$1.gcode" < "$CUBE") || fail "gprint as $1: $out"
	echo "$out" > "$T/gprint.out"
	id=${out#request id is mk3-}
	echo "${id%% *}"
}

# 1. A user whose [user] says approval = no: printed at once.
free=$(queued mail)
[ "$(wc -l < "$T/gprint.out")" = 1 ] || fail "gprint for mail said: $(cat "$T/gprint.out")"
as mail "$GQUEUE" -w "$free" > "$T/w.out" || fail "mail's job did not print: $(cat "$T/w.out")"
grep -q "approval $free " "$T/events.log" 2>/dev/null && fail "mail's job asked for approval"

# 2. Anyone else's job is checked at once, then held awaiting approval.
bad=$(printf 'G28\nM104 S400\n' > "$T/hot.gcode"; as nobody "$GPRINT" "$T/hot.gcode" 2>&1) &&
	fail "a file that fails its check was queued: $bad"
echo "$bad" | grep -q "above the printer.s max_hotend 285" || fail "the check said: $bad"
held=$(queued nobody)
[ "$(sed -n 2p "$T/gprint.out")" = "mk3-$held awaiting approval by a member of group lp or an administrator" ] ||
	fail "gprint did not say it awaits approval: $(cat "$T/gprint.out")"
"$WAITFOR" contains "$T/events.log" "approval $held spoold|awaiting approval by a member of group lp or an administrator|lp" ||
	fail "the notify command did not hear the approval event: $(cat "$T/events.log")"
as nobody "$GQUEUE" > "$T/q.out" || fail "gqueue"
grep -q "^held .* $held .*nobody.gcode" "$T/q.out" || fail "not held: $(cat "$T/q.out")"
grep -qx "Awaiting approval: mk3-$held (gpc approve JOB, gpc deny JOB -r REASON)" "$T/q.out" ||
	fail "gqueue does not say what awaits approval: $(cat "$T/q.out")"
as nobody "$GQUEUE" -l "$held" > "$T/ql.out" || fail "gqueue -l"
grep -q "mk3-$held: held (awaiting approval)" "$T/ql.out" || fail "gqueue -l: $(cat "$T/ql.out")"
if [ -n "$approvers" ]; then
	"$WAITFOR" exists "$T/lp/1.req" || fail "the approvers' URL heard nothing"
	grep -q "mk3-$held awaits approval" "$T/lp/1.req" &&
	    grep -q "gpc approve JOB" "$T/lp/1.req" ||
		fail "the approvers were told: $(cat "$T/lp/1.req")"
fi
grep -qx "	awaiting approval by a member of group lp or an administrator" "$T/ql.out" ||
	fail "gqueue -l does not say who may approve: $(cat "$T/ql.out")"

# 3. Its owner cannot release it, nor hold it, nor approve it; a user
# outside lp cannot approve or deny it.
as nobody "$GPC" release "$held" 2> "$T/err" && fail "the owner released a job awaiting approval"
grep -qx "gpc: mk3-$held awaits approval: only a member of group lp or an administrator may release it, with gpc approve mk3-$held" "$T/err" ||
	fail "gpc release said: $(cat "$T/err")"
as nobody "$GPC" hold "$held" 2> "$T/err" && fail "the owner held a job awaiting approval"
grep -q "awaits approval" "$T/err" || fail "gpc hold said: $(cat "$T/err")"
for u in nobody news; do
	as "$u" "$GPC" approve "$held" 2> "$T/err" && fail "$u approved mk3-$held"
	grep -qx "gpc: mk3-$held: only a member of group lp or an administrator may approve it" "$T/err" ||
		fail "gpc approve as $u said: $(cat "$T/err")"
	as "$u" "$GPC" deny "$held" -r no 2> "$T/err" && fail "$u denied mk3-$held"
	grep -q "may deny it" "$T/err" || fail "gpc deny as $u said: $(cat "$T/err")"
done
rc=0; "$GPC" deny "$held" 2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "gpc deny without a reason: exit $rc"
grep -q "deny: give the reason with -r" "$T/err" || fail "gpc deny said: $(cat "$T/err")"

# 4. spoold killed while it waits: still awaiting approval after.
kill -9 "$SPOOLD_PID"; wait "$SPOOLD_PID" || true
rm -f "$T/spool/control"
gs_spoold
as nobody "$GQUEUE" -l "$held" > "$T/ql.out" || fail "gqueue -l after the restart"
grep -q "mk3-$held: held (awaiting approval)" "$T/ql.out" &&
    grep -qx "	awaiting approval by a member of group lp or an administrator" "$T/ql.out" ||
	fail "the job lost its wait across a restart: $(cat "$T/ql.out")"
[ -f "$T/spool/jobs/$held.gcode" ] || fail "the job's file was lost"
grep -q "processing $held " "$T/events.log" && fail "mk3-$held started unapproved"

# 5. An approver approves it, with a note: it prints, exactly.
as lp "$GPC" approve "$held" -r "looks fine" || fail "lp could not approve mk3-$held"
as lp "$GPC" approve "$held" 2> "$T/err" && fail "approved twice"
grep -q "does not await approval" "$T/err" || fail "a second approve said: $(cat "$T/err")"
as nobody "$GQUEUE" -w "$held" > "$T/w.out" || fail "mk3-$held did not print: $(cat "$T/w.out")"
expect_log "$CUBE" "$CUBE"
grep -q "approved $held lp|looks fine|lp" "$T/events.log" || fail "no approved event: $(cat "$T/events.log")"
as nobody "$GQUEUE" --history -l "$held" > "$T/h.out" || fail "gqueue --history -l"
grep -Eq "^	approved by lp, [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}: looks fine$" "$T/h.out" ||
	fail "the history does not say who approved it: $(cat "$T/h.out")"
"$GQUEUE" --history --json "$held" > "$T/h.json"
grep -q '"by": "lp"' "$T/h.json" && grep -q '"state": "approved"' "$T/h.json" ||
	fail "--json: $(cat "$T/h.json")"
# Its reprint is a new job, and awaits approval again.
out=$(as nobody "$GPRINT" --reprint "$held") || fail "gprint --reprint $held: $out"
rp=${out#request id is mk3-}; rp=${rp%% *}
as nobody "$GQUEUE" -l "$rp" | grep -q "mk3-$rp: held (awaiting approval)" ||
	fail "the reprint of an approved job: $(as nobody "$GQUEUE" -l "$rp")"
"$GCANCEL" "$rp" > /dev/null || fail "gcancel $rp"

# 6. Denied with a reason: canceled, and its owner sees why.
no=$(queued nobody)
"$WAITFOR" contains "$T/events.log" "approval $no " || fail "no approval event for mk3-$no"
as nobody "$GQUEUE" -w "$no" > "$T/w.out" 2>&1 &
WAITER=$!
as lp "$GPC" deny "$no" -r "too much filament for a test" || fail "lp could not deny mk3-$no"
wait "$WAITER" && fail "gqueue -w of a denied job exited 0"
grep -qx "mk3-$no: canceled: denied by lp: too much filament for a test" "$T/w.out" ||
	fail "gqueue -w said: $(cat "$T/w.out")"
as nobody "$GQUEUE" --history -l "$no" > "$T/h.out" || fail "gqueue --history -l"
grep -q "too much filament for a test" "$T/h.out" &&
    grep -Eq "^	denied by lp, [0-9-]+ [0-9:]+: too much filament for a test$" "$T/h.out" ||
	fail "the owner does not see the denial: $(cat "$T/h.out")"
grep -q "denied $no lp|too much filament for a test|lp" "$T/events.log" &&
    grep -q "canceled $no lp|denied by lp: too much filament for a test|lp" "$T/events.log" ||
	fail "the history's rows: $(cat "$T/events.log")"
expect_log "$CUBE" "$CUBE"

# 7. A class one of whose members asks for approval; a user whose
# [group] asks for it on a printer that does not; a job moved to a
# printer that asks for it.  None of them prints (mk4 has no device).
out=$(as nobody "$GPRINT" -P farm < "$CUBE") || fail "gprint -P farm: $out"
fid=${out#request id is farm-}; fid=${fid%% *}
out=$(as news "$GPRINT" -P mk4 < "$CUBE") || fail "gprint -P mk4 as news: $out"
gid=${out#request id is mk4-}; gid=${gid%% *}
out=$(as nobody "$GPRINT" -P mk4 < "$CUBE") || fail "gprint -P mk4: $out"
mid=${out#request id is mk4-}; mid=${mid%% *}
out=$(as nobody "$GPRINT" -P lab < "$CUBE") || fail "gprint -P lab: $out"
lid=${out#request id is lab-}; lid=${lid%% *}
"$GQUEUE" -l -a > "$T/q.out"
grep -q "farm-$fid: held (awaiting approval)" "$T/q.out" || fail "the class's job: $(cat "$T/q.out")"
grep -q "mk4-$gid: held (awaiting approval)" "$T/q.out" || fail "news's job: $(cat "$T/q.out")"
grep -q "mk4-$mid: pending" "$T/q.out" || fail "nobody's job on mk4: $(cat "$T/q.out")"
grep -q "lab-$lid: held (awaiting approval)" "$T/q.out" ||
	fail "the job of a class that asks for approval itself: $(cat "$T/q.out")"
as nobody "$GPC" move "$mid" mk3 || fail "gpc move"
as nobody "$GQUEUE" -l "$mid" > "$T/ql.out"
grep -q "mk4-$mid: held (awaiting approval)" "$T/ql.out" || fail "moved to mk3: $(cat "$T/ql.out")"
"$WAITFOR" contains "$T/events.log" "approval $mid nobody|" || fail "no approval event for the move"
for j in "$fid" "$gid" "$mid" "$lid"; do
	"$GCANCEL" "$j" || fail "gcancel $j"
done

# 8. Over SFTP: carol's drop is held awaiting approval, as anyone's.
gs_gsftpd
as_sftp carol > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $CUBE drop/carol.gcode
B
"$WAITFOR" gone "$T/spool/drop/carol/carol.gcode" || fail "carol's drop was not taken"
"$GQUEUE" -l -a > "$T/q.out"
grep -q "^held *carol .*carol.gcode" "$T/q.out" || fail "carol's job is not held: $(cat "$T/q.out")"
sid=$(sed -n 's/^held *carol *\([0-9]*\) .*/\1/p' "$T/q.out")
grep -q "mk3-$sid: held (awaiting approval)" "$T/q.out" || fail "carol's job: $(cat "$T/q.out")"
# carol sees it wait, over SFTP, and then why it was denied.
rm -f "$T/carol-job.json"
as_sftp carol > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp get"; }
get jobs/$sid/job.json $T/carol-job.json
B
grep -q "awaiting approval" "$T/carol-job.json" || fail "carol's job.json: $(cat "$T/carol-job.json")"
"$GPC" deny "$sid" -r "not today" || fail "root could not deny carol's job"
"$GQUEUE" -w "$sid" > "$T/w.out" && fail "carol's denied job ended well"
grep -qx "mk3-$sid: canceled: denied by root: not today" "$T/w.out" || fail "gqueue -w: $(cat "$T/w.out")"
rm -f "$T/carol-job.json"
as_sftp carol > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp get"; }
get jobs/$sid/job.json $T/carol-job.json
B
grep -q "denied by root: not today" "$T/carol-job.json" ||
	fail "carol is not shown why her job was denied: $(cat "$T/carol-job.json")"
expect_log "$CUBE" "$CUBE"
echo "PASS"
