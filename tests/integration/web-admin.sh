#!/bin/sh
# The administrator's page in the real chromium, headless
# (tests/web/admin.py), at a desktop's 1280 x 800: it is readable (no
# horizontal scroll, the two printers side by side, nothing clipped),
# kept as tests/web-artefacts/desktop.png; an account with admin = yes
# disables and enables a printer, rejects and accepts jobs with the
# reason every reader sees, sends G-code by hand, approves a job and
# denies another with a reason its owner sees, releases, moves,
# re-prioritises and cancels another account's jobs and aborts
# another's print; the job actions' fields are checked.  Log out ends
# the session: the cookie is gone, the page shows the login form, and
# the old cookie replayed is refused.  Then an account without
# admin = yes is offered none of it, and the same requests forged from
# its page (and sent with its key) are refused 403 by spoold's rights,
# the printer and jobs unchanged.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
gs_web_browser
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }
gs_config "[printer mini]" "device = $T/mini.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "approval = yes" \
    "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account boss]" "api_keys = $T/boss.apikeys" "admin = yes" \
    "[account ann]" "api_keys = $T/ann.apikeys"
sed -i 's/^clears_bed = yes/clears_bed = no/' "$GSPOOL_CONF"
BOSS=$(gs_web_key boss)
ANN=$(gs_web_key ann)
# mk3 slow enough to be aborted while it prints; mini as it comes.
gs_vprinter --command-ms 20
"$VPRINTER" -o "$T/mini.log" "$T/mini.tty" 2>>"$T/vprinter.err" &
"$WAITFOR" exists "$T/mini.tty" || fail "the second virtual printer did not start"
gs_spoold
gs_gwebd

# ann's jobs: 1 and 2 held on mk3, 3 and 6 on mini (which awaits
# approval), 5 held on mk3; 4, boss's own, held.
up() {	# key dest hold -> the job's number
	expect_status 201 POST /api/gspool/upload -H "X-Api-Key: $1" \
	    -F "file=@$CUBE;filename=cube.gcode" -F "dest=$2" ${3:+-F hold=yes}
	jq -r .job "$T/body"
}
[ "$(up "$ANN" mk3 yes)" = 1 ] || fail "ann's first upload is not job 1"
[ "$(up "$ANN" mk3 yes)" = 2 ] || fail "ann's second upload is not job 2"
[ "$(up "$ANN" mini)" = 3 ] || fail "ann's upload to mini is not job 3"
[ "$(up "$BOSS" mk3 yes)" = 4 ] || fail "boss's upload is not job 4"
[ "$(up "$ANN" mk3 yes)" = 5 ] || fail "ann's third upload to mk3 is not job 5"
[ "$(up "$ANN" mini)" = 6 ] || fail "ann's second upload to mini is not job 6"
"$GQUEUE" -l 3 | grep -q 'awaiting approval' ||
    fail "job 3 does not await approval: $("$GQUEUE" -l 3)"

# A write the page does not offer ann, sent with her key: refused by
# spoold's rights, 403 with its words.
for w in printers/mk3/disable printers/mk3/reject printers/mk3/abort \
    jobs/4/cancel jobs/4/release jobs/1/top jobs/3/approve; do
	expect_status 403 POST "/api/gspool/$w" -H "X-Api-Key: $ANN" -d reason=x
	jq -e '.error | test("administrator|only your own")' "$T/body" > /dev/null ||
		fail "$w: $(cat "$T/body")"
done
expect_status 403 POST /api/gspool/printers/mk3/send -H "X-Api-Key: $ANN" -d gcode=M105
expect_status 400 POST /api/gspool/printers/mk3/send -H "X-Api-Key: $BOSS"
jq -e '.error | test("gcode")' "$T/body" > /dev/null || fail "send without G-code: $(cat "$T/body")"
# gpc load: what a tool holds, the administrator's; a bad tool or a
# missing field is 400 saying what, another account 403.
expect_status 200 POST /api/gspool/printers/mk3/load -H "X-Api-Key: $BOSS" \
    -d tool=T0 -d material=PETG
jq -e '.ok and (.loaded | test("PETG"))' "$T/body" > /dev/null || fail "load: $(cat "$T/body")"
"$GPC" status mk3 | grep -q "loaded: T0 PETG" || fail "gpc status does not say T0 PETG: $("$GPC" status mk3)"
expect_status 403 POST /api/gspool/printers/mk3/load -H "X-Api-Key: $ANN" \
    -d tool=T0 -d material=PLA
expect_status 400 POST /api/gspool/printers/mk3/load -H "X-Api-Key: $BOSS" -d tool=T0
jq -e '.error | test("material")' "$T/body" > /dev/null || fail "load without material: $(cat "$T/body")"
expect_status 400 POST /api/gspool/printers/mk3/load -H "X-Api-Key: $BOSS" \
    -d tool=X9 -d material=PLA
jq -e '.error | test("X9. is not a tool")' "$T/body" > /dev/null || fail "load X9: $(cat "$T/body")"
expect_status 404 POST /api/gspool/printers/nosuch/load -H "X-Api-Key: $BOSS" \
    -d tool=T0 -d material=PLA
expect_status 200 POST /api/gspool/printers/mk3/load -H "X-Api-Key: $BOSS" \
    -d tool=T0 -d material=none

ART="$top_builddir/tests/web-artefacts"
mkdir -p "$ART"
rm -f "$ART/desktop.png"
[ "$(id -u)" = 0 ] && chmod 755 "$T"
HOME="$T" TMPDIR="$T" "$PY" "$top_srcdir/tests/web/admin.py" "$URL" \
    boss "$BOSS" ann "$ANN" "$ART" > "$T/admin.out" 2>&1 || {
	cat "$T/admin.out" >&2
	tail -n 30 "$T/gwebd.log" >&2
	fail "the administrator's page in chromium"
}
cat "$T/admin.out"

# The job actions' fields: a missing one is 400; a state that forbids
# it 409 in spoold's words; an account without the right 403.
expect_status 400 POST /api/gspool/jobs/2/resume-from -H "X-Api-Key: $BOSS"
jq -e '.error | test("layer")' "$T/body" > /dev/null || fail "resume-from: $(cat "$T/body")"
expect_status 409 POST /api/gspool/jobs/2/resume-from -H "X-Api-Key: $BOSS" -d layer=5
jq -e '.error | test("stopped")' "$T/body" > /dev/null || fail "resume-from: $(cat "$T/body")"
expect_status 403 POST /api/gspool/jobs/2/resume-from -H "X-Api-Key: $ANN" -d layer=5
expect_status 400 POST /api/gspool/jobs/2/deny -H "X-Api-Key: $BOSS"
expect_status 400 POST /api/gspool/jobs/2/priority -H "X-Api-Key: $BOSS"
expect_status 400 POST /api/gspool/jobs/2/move -H "X-Api-Key: $BOSS"

# What the page did, as spoold keeps it.
"$GQUEUE" -a --json > "$T/q.json"
jq -e '.jobs | map(select(.id == 2)) | .[0] | .destination == "mini" and
    .priority == 90' "$T/q.json" > /dev/null ||
    fail "job 2 was not moved to mini with priority 90: $(jq -c '.jobs' "$T/q.json")"
jq -e '.printers | map(select(.enabled and .accepting)) | length == 2' \
    "$T/q.json" > /dev/null || fail "a printer stays disabled or rejecting: $(jq -c '.printers' "$T/q.json")"
out=$("$GQUEUE" -w 1) && fail "the aborted job 1 completed"
case "$out" in
*"aborted: emergency stop"*) ;;
*) fail "job 1: $out" ;;
esac
"$GQUEUE" -w 3 > /dev/null || fail "the approved job 3 did not complete"
out=$("$GQUEUE" -w 6) && fail "the denied job 6 completed"
case "$out" in
*"too tall for mini"*) ;;
*) fail "job 6 does not say why it was denied: $out" ;;
esac
out=$("$GQUEUE" -w 5) && fail "the cancelled job 5 completed"
case "$out" in
*canceled*) ;;
*) fail "job 5: $out" ;;
esac
# ann's forged writes changed nothing: boss's job 4 is still held.
jq -e '.jobs | map(select(.id == 4)) | .[0].state == "held"' "$T/q.json" > /dev/null ||
    fail "boss's job 4 is not held: $(jq -c '.jobs' "$T/q.json")"
grep -q '^M117 from the page' "$T/vprinter.log" || fail "the G-code sent by hand never reached mk3"

# A PNG, at desktop width.
[ "$(od -An -N4 -tx1 "$ART/desktop.png" | tr -d ' ')" = 89504e47 ] ||
	fail "no screenshot in $ART/desktop.png"
wd=$(od -An -j16 -N4 -tu1 "$ART/desktop.png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
[ "$wd" = 1280 ] || fail "the screenshot is $wd px wide, not 1280"
kill -0 "$GWEBD_PID" || fail "gwebd died"
echo "the desktop screenshot: $ART/desktop.png"
