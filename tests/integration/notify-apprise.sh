#!/bin/sh
# Notifications through the real apprise (gspool-notify(8)), to
# receivers this test starts on loopback: json:// and form:// (an HTTP
# server that records each request), mailto:// (an SMTP server,
# aiosmtpd), one that accepts and never answers, and a port that
# refuses.
#
# 1. A print with the timelapse against the test camera: started,
#    first-layer (with the frame: a JPEG) and completed (the last frame,
#    where the timelapse is) each arrive once, to the spool's json://,
#    the printer's form:// and the owner's mailto://.  While the hanging
#    receiver holds its connections the job completes, its completion
#    arrives, and gqueue and gpc answer: a dead service delays nothing.
# 2. Retries are bounded and logged, by the URL's scheme alone: the
#    hanging URL and the refusing one are tried notify_retries times.
# 3. gpc pause and resume: paused (with the reason and the person) and
#    resumed; the notify hook hears queued, paused and resumed with
#    GSPOOL_WHO the person; a bed left uncleared for
#    awaiting_clear_notify is told of.
# 4. A printer that falls silent with its heater on: not-responding and
#    heaters-left-on.
# 5. A printer that pauses the job itself: waiting for the user.
# 6. An SFTP account's job: the account hears of it, the local user not.
. "$top_srcdir/tests/integration/lib.sh"
APPRISE=/usr/bin/apprise
PY=/usr/bin/python3
[ -x "$APPRISE" ] || { echo "SKIP: no apprise (Debian's apprise)"; exit 77; }
"$PY" -c 'import aiosmtpd' 2> /dev/null ||
	{ echo "SKIP: no aiosmtpd (Debian's python3-aiosmtpd)"; exit 77; }
command -v ffmpeg > /dev/null || { echo "SKIP: no ffmpeg"; exit 77; }
CAMSERVER="$BIN/tests/integration/camserver"
RECEIVER="$top_srcdir/tests/integration/notify-receiver.py"
ME=$(id -un)

# receiver MODE NAME: records into $T/NAME/, its port in $T/NAME.port.
receiver() {
	mkdir -p "$T/$2"
	"$PY" "$RECEIVER" "$1" "$T/$2" "$T/$2.port" 2>> "$T/$2.err" &
	"$WAITFOR" exists "$T/$2.port" || fail "the $2 receiver did not start"
}
receiver http web
receiver hang hang
receiver smtp smtp
WEB=$(cat "$T/web.port") HANG=$(cat "$T/hang.port") SMTP=$(cat "$T/smtp.port")
# A port that refuses: one the system gave and that is closed again.
REFUSED=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# requests DIR PATH TITLE: how many requests to PATH (HTTP) or mails
# (PATH "mail") carry TITLE; "jpeg" after the count when each carries
# a JPEG (FF D8 FF), "nojpeg" when one does not.  JSON attachments are
# base64, form:// ones a multipart file, a mail's a MIME part.
requests() {
	"$PY" - "$@" <<'PY'
import base64, email, glob, json, os, re, sys
d, path, title = sys.argv[1:4]
n, jpeg = 0, True
for f in sorted(glob.glob(os.path.join(d, "*.req"))):
    raw = open(f, "rb").read()
    head, body = re.split(rb"\r?\n", raw, maxsplit=1)
    if path == "mail":
        msg = email.message_from_bytes(body)
        if str(email.header.make_header(email.header.decode_header(
                msg["Subject"] or ""))) != title:
            continue
        parts = [p.get_payload(decode=True) for p in msg.walk()
                 if p.get_content_disposition() == "attachment"]
    else:
        if not head.decode().split(" ")[1].startswith(path):
            continue
        hdrs, data = re.split(rb"\r?\n\r?\n", body, maxsplit=1)
        ctype = re.search(rb"(?im)^content-type: *(.*)$", hdrs).group(1)
        if ctype.startswith(b"application/json"):
            j = json.loads(data)
            if j.get("title") != title:
                continue
            parts = [base64.b64decode(a["base64"])
                     for a in j.get("attachments", [])]
        else:
            m = email.message_from_bytes(b"Content-Type: " + ctype +
                                         b"\r\n\r\n" + data)
            fields = {p.get_param("name", header="content-disposition"):
                      p.get_payload(decode=True) for p in m.walk()
                      if p.get_content_disposition() == "form-data"}
            if m.get_content_type() == "application/x-www-form-urlencoded":
                from urllib.parse import parse_qs
                q = parse_qs(data.decode())
                fields = {k: v[0].encode() for k, v in q.items()}
            if fields.get("title", b"").decode() != title:
                continue
            parts = [v for k, v in fields.items() if k.startswith("file")]
    n += 1
    jpeg = jpeg and len(parts) == 1 and parts[0][:3] == b"\xff\xd8\xff"
print(n, "jpeg" if n and jpeg else "nojpeg")
PY
}
# delivered TITLE LABEL: gspool-notify says so.
delivered() {
	"$WAITFOR" contains "$T/spoold.log" "$1: $2: delivered" ||
		fail "'$1' was not delivered to $2"
}
# expect DIR PATH TITLE ANSWER: requests' answer is ANSWER.
expect() {
	got=$(requests "$1" "$2" "$3")
	[ "$got" = "$4" ] || fail "$2 '$3': '$got', not '$4': $(ls "$1")"
}
# body DIR PATH TITLE TEXT: that request's body holds TEXT.
body_has() {
	grep -l -F "$3" "$1"/*.req | xargs grep -l -F -e "$4" > /dev/null ||
		fail "no request '$3' to $2 says '$4'"
}

# Does this apprise attach files to form://?  Debian 12's 1.2.0 closes
# the file before it sends it (apprise issue 823, fixed in 1.3.0):
# gspool-notify then sends the words without the frame.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 3 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
mkdir -p "$T/probe"
"$PY" "$RECEIVER" http "$T/probe" "$T/probe.port" 2>> "$T/probe.err" &
"$WAITFOR" exists "$T/probe.port" || fail "the probe receiver did not start"
"$APPRISE" -t probe -b probe --attach "$T/f1.jpg" \
    "form://127.0.0.1:$(cat "$T/probe.port")/probe" > "$T/probe.out" 2>&1 || true
if [ "$(requests "$T/probe" /probe probe)" = "1 jpeg" ]; then
	FORM_JPEG=jpeg
else
	FORM_JPEG=nojpeg
	echo "note: this apprise cannot attach to form://; the frame goes by json:// and mailto://"
fi

# A job of 12 layers, parked at each layer change so that the frame of
# a layer is taken before the next begins.
awk 'BEGIN {
	print "G28"; print "G90"; print "M82"; print "G92 E0"
	for (l = 1; l <= 12; l++) {
		printf ";LAYER:%d\nG1 Z%.2f F600\n", l - 1, l * 0.2
		for (i = 0; i < 10; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i, 10 + i * 2, e
		}
	}
}' > "$T/layers.gcode"
mkdir "$T/filters"
ln -s "$BIN/filters/timelapse" "$T/filters/timelapse"
cat > "$T/hook.sh" <<'SH'
#!/bin/sh
echo "$1 $GSPOOL_JOB $GSPOOL_STATE who=$GSPOOL_WHO" >> "${0%/*}/hook.log"
SH
chmod +x "$T/hook.sh"
"$CAMSERVER" -p "$T/cam.port" -m snapshot "$T/f1.jpg" "$T/f2.jpg" "$T/f3.jpg" \
    2>> "$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"

# setup TIMEOUT [printer lines...]: spoold anew.
setup() {
	[ -n "$SPOOLD_PID" ] && gs_stop_spoold
	rm -f "$T/spool/control"
	t=$1
	shift
	gs_config "camera = http://127.0.0.1:$(cat "$T/cam.port")/snapshot" \
	    "filters = timelapse" "filter_options = timeout=10 render=no" \
	    "park_gcode = G1 X5 Y5 F9000" "  M400" "park_timeout = 60" \
	    "notify_urls = form://127.0.0.1:$WEB/printer json://127.0.0.1:$HANG/hang?rto=900 json://127.0.0.1:$REFUSED/refused" \
	    "notify_events = started first-layer completed" "$@" \
	    "" "[user $ME]" \
	    "notify_urls = mailto://127.0.0.1:$SMTP?from=gspool@localhost&to=$ME@localhost" \
	    "notify_events = ${USER_EVENTS:-completed paused}"
	if [ -n "${ACCOUNT:-}" ]; then
		sed -i "/^\[sftp\]/a listen = 127.0.0.1:0" "$GSPOOL_CONF"
		printf '%s\n' "" "[account $ACCOUNT]" "keys = $T/$ACCOUNT.keys" \
		    "notify_urls = json://127.0.0.1:$WEB/$ACCOUNT" \
		    "notify_events = completed" >> "$GSPOOL_CONF"
	fi
	sed -i "/^\[spool\]/a filter_dir = $T/filters\nnotify = $T/hook.sh\nnotifier = $BIN/notify/gspool-notify\napprise = $APPRISE\nnotify_urls = json://127.0.0.1:$WEB/spool\nnotify_events = ${SPOOL_EVENTS:-all}\nnotify_timeout = $t\nnotify_retries = 2\nnotify_max = 8\nawaiting_clear_notify = 1s" "$GSPOOL_CONF"
	gs_spoold
}

gs_vprinter
# 1. The hanging receiver outlasts the print: the timeout is long.
setup 900
id=$(submit "$T/layers.gcode")
J="mk3-$id"
"$WAITFOR" exists "$T/hang/1.held" || fail "the hanging receiver was never reached"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "$J did not complete: $(cat "$T/wait.out")"
"$WAITFOR" contains "$T/spoold.log" "$J completed: json://...#1: delivered" ||
	fail "the completion did not arrive at the spool's json://"
"$GQUEUE" > "$T/q.out" || fail "gqueue did not answer: $(cat "$T/q.out")"
"$GPC" status mk3 > "$T/st.out" || fail "gpc status did not answer: $(cat "$T/st.out")"
# The hanging receiver still holds every connection it took: each of
# the printer's three events is outstanding there.
"$WAITFOR" count "$T/spoold.log" "json://...#3: attempt 1/2" 3 ||
	fail "the hanging URL was not tried for each of 3 events"
for n in 1 2 3; do
	# The attempt is logged as apprise starts; its connection follows.
	"$WAITFOR" exists "$T/hang/$n.held" ||
		fail "the hanging receiver did not hold connection $n"
	[ -e "$T/hang/$n.closed" ] && fail "connection $n to the hanging receiver ended before the print's"
done
grep -q "json://...#3: attempt 1/2 failed" "$T/spoold.log" &&
	fail "an attempt on the hanging URL ended while it hung"

for e in "$J started" "$J: first layer done" "$J completed"; do
	delivered "$e" "json://...#1"
	delivered "$e" "form://...#2"
done
expect "$T/web" /spool "$J started" "1 nojpeg"
expect "$T/web" /spool "$J: first layer done" "1 jpeg"
expect "$T/web" /spool "$J completed" "1 jpeg"
expect "$T/web" /printer "$J started" "1 nojpeg"
expect "$T/web" /printer "$J: first layer done" "1 $FORM_JPEG"
expect "$T/web" /printer "$J completed" "1 $FORM_JPEG"
"$WAITFOR" contains "$T/spoold.log" "$J completed: mailto://...#5: delivered" ||
	fail "the completion did not arrive at the owner's mailto://"
expect "$T/smtp" mail "$J completed" "1 jpeg"
expect "$T/smtp" mail "$J started" "0 nojpeg"
body_has "$T/web" /spool "$J completed" "timelapse: jobs/$id/timelapse.mp4"
body_has "$T/web" /spool "$J: first layer done" "layer 1 is printed"
body_has "$T/smtp" mail "$J completed" "of $ME"
if [ "$FORM_JPEG" = nojpeg ]; then
	grep -q "$J: first layer done: form://...#2: attempt 1/2 failed (.*); again in 1s, without the frame" \
	    "$T/spoold.log" || fail "form:// was not tried again without the frame"
fi
# The refusing URL: two attempts of each event, then given up.
"$WAITFOR" contains "$T/spoold.log" "$J completed: json://...#4: attempt 2/2 failed" ||
	fail "the refusing URL was not tried twice"
grep "$J completed: json://...#4:" "$T/spoold.log" | grep -q "given up" ||
	fail "the refusing URL was not given up: $(grep "json://...#4" "$T/spoold.log")"
# URLs are never logged whole: no port of a receiver is in the log.
grep -E ":($WEB|$HANG|$REFUSED|$SMTP)([^0-9]|$)" "$T/spoold.log" &&
	fail "a notification URL reached the log"
# While deliveries are outstanding, their URLs are on no command line
# and in no file of the spool; the frames' folders are private.
# (The pattern does not match itself on grep's own command line.)
for f in /proc/[0-9]*/cmdline; do
	{ tr '\0' ' ' < "$f"; } 2> /dev/null
	echo
done | grep -E "127[.]0[.]0[.]1:$HANG" && fail "a command line holds a URL"
grep -r -l -F "127.0.0.1:$HANG" "$T/spool" && fail "a file of the spool holds a URL"
[ -n "$(find "$T/spool/tmp" -name 'notify.*' -type d)" ] ||
	fail "no folder of an outstanding delivery with a frame"
[ -z "$(find "$T/spool/tmp" -path '*/notify.*' \( -type d ! -perm 700 -o -type f ! -perm 600 \))" ] ||
	fail "a file of gspool-notify's is open to others: $(ls -lR "$T/spool/tmp")"

# 2. A short timeout: the hanging URL alone is told, tried twice, then
# given up.  (The timeout leaves apprise, a Python program that loads
# all its plugins, time to start on a busy machine.)
SPOOL_EVENTS=none USER_EVENTS=none
setup 15 "notify_events = started" \
    "notify_urls = json://127.0.0.1:$HANG/hang?rto=900"
SPOOL_EVENTS= USER_EVENTS=
held=$(ls "$T/hang" | grep -c held)
id=$(submit "$T/layers.gcode")
J="mk3-$id"
"$WAITFOR" -t 120 contains "$T/spoold.log" "$J started: json://...#1: attempt 2/2 failed (no answer in 15s); given up" ||
	fail "the hanging URL was not given up after 2 attempts"
grep -q "$J started: json://...#1: attempt 1/2 failed (no answer in 15s); again in 1s" \
    "$T/spoold.log" || fail "the first attempt's failure was not logged"
[ "$(grep -c "$J started: json://...#1: attempt [0-9]/2$" "$T/spoold.log")" -eq 2 ] ||
	fail "not 2 attempts: $(grep "$J started: json://...#1" "$T/spoold.log")"
# (An attempt may end before apprise, a Python program, has even
# connected on a busy machine: at most 2 connections, not exactly.)
[ "$(ls "$T/hang" | grep -c held)" -le $((held + 2)) ] ||
	fail "the hanging receiver was reached $(($(ls "$T/hang" | grep -c held) - held)) times, more than 2"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "$J did not complete: $(cat "$T/wait.out")"

# 3. Pause and resume by a person; a bed left uncleared.
setup 60 "clears_bed = no" "notify_events = started"
awk 'BEGIN { print "G28"; print "G92 E0"
	for (i = 0; i < 20000; i++) printf "G1 X%d Y%d E%.2f F3000\n", i % 200, (i / 200) % 200, i * 0.01 }' > "$T/long.gcode"
"$GPC" ready mk3 > /dev/null 2>&1 || true
id=$(submit "$T/long.gcode")
J="mk3-$id"
"$WAITFOR" contains "$T/hook.log" "processing $id processing" || fail "$J did not start"
"$GPC" pause mk3 || fail "gpc pause"
"$WAITFOR" contains "$T/hook.log" "paused $id processing who=$ME" ||
	fail "the hook did not hear paused by $ME: $(cat "$T/hook.log")"
"$GPC" resume mk3 || fail "gpc resume"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "$J did not complete: $(cat "$T/wait.out")"
grep -q "^queued $id pending who=$ME$" "$T/hook.log" ||
	fail "the hook did not hear queued: $(cat "$T/hook.log")"
grep -q "^pending $id " "$T/hook.log" && fail "queuing was told as pending"
grep -q "^resumed $id processing who=$ME$" "$T/hook.log" ||
	fail "the hook did not hear resumed by $ME: $(cat "$T/hook.log")"
grep -q "^printing $id " "$T/hook.log" && fail "the resume was told as printing"
"$WAITFOR" contains "$T/spoold.log" "mk3: the bed awaits clearing: json://...#1: delivered" ||
	fail "the bed awaiting clear was not told of"
"$WAITFOR" contains "$T/spoold.log" "$J paused: mailto://...#2: delivered" ||
	fail "the pause did not arrive at the owner's mailto://"
delivered "$J paused" "json://...#1"
delivered "$J resumed" "json://...#1"
expect "$T/web" /spool "$J paused" "1 jpeg"
body_has "$T/web" /spool "$J paused" "by: $ME"
expect "$T/web" /spool "$J resumed" "1 nojpeg"
expect "$T/web" /spool "mk3: the bed awaits clearing" "1 jpeg"
expect "$T/smtp" mail "$J paused" "1 jpeg"
"$GPC" ready mk3 || fail "gpc ready"

# 4. Silent with the hotend set: not-responding, heaters left on.
awk 'BEGIN { print "M104 S200"; print "G28"; print "G92 E0"
	for (i = 0; i < 60000; i++) printf "G1 X%d Y%d E%.2f F3000\n", i % 200, (i / 200) % 200, i * 0.01 }' > "$T/hot.gcode"
id=$(submit "$T/hot.gcode")
J="mk3-$id"
"$WAITFOR" contains "$T/hook.log" "processing $id processing" || fail "$J did not start"
"$WAITFOR" contains "$T/spoold.log" "$J started: json://...#1: delivered" ||
	fail "$J's start was not told"
kill -STOP "$VPRINTER_PID"
"$WAITFOR" contains "$T/spoold.log" "mk3: heaters left on: json://...#1: delivered" ||
	{ kill -CONT "$VPRINTER_PID"; fail "heaters left on was not told"; }
kill -CONT "$VPRINTER_PID"
delivered "$J: mk3 is not responding" "json://...#1"
expect "$T/web" /spool "$J: mk3 is not responding" "1 jpeg"
body_has "$T/web" /spool "mk3: heaters left on" "/200"
"$GCANCEL" "$id" > /dev/null || fail "gcancel"
"$GQUEUE" -w "$id" > /dev/null || true
"$WAITFOR" contains "$T/hook.log" "canceled $id canceled who=$ME" ||
	fail "the hook did not hear the cancel by $ME: $(grep " $id " "$T/hook.log")"

# 5. The printer pauses the job itself (an unknown command): the user
# is waited for, with the firmware's words.
kill "$VPRINTER_PID"
wait "$VPRINTER_PID" 2> /dev/null || true
gs_vprinter --unknown M9001
setup 60
printf 'G28\nG1 X10 F3000\nM9001\nG1 X20\nG1 X30\n' > "$T/u.gcode"
id=$(submit "$T/u.gcode")
J="mk3-$id"
delivered "$J is waiting for you" "json://...#1"
expect "$T/web" /spool "$J is waiting for you" "1 jpeg"
body_has "$T/web" /spool "$J is waiting for you" 'reason: the printer said: echo:Unknown command: '
expect "$T/web" /spool "$J paused" "0 nojpeg"
"$GPC" resume mk3 || fail "gpc resume"
"$GQUEUE" -w "$id" > /dev/null || fail "$J did not complete after its resume"

# 6. An SFTP account hears of its own jobs, and the local user of
# none of them.
if command -v ssh-keygen > /dev/null && command -v sftp > /dev/null; then
	gs_sftp_key alice
	ACCOUNT=alice
	setup 60 "notify_events = none"
	ACCOUNT=
	gs_gsftpd
	as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $T/u.gcode drop/alice-job.gcode
B
	"$WAITFOR" contains "$T/spoold.log" "/drop/alice/alice-job.gcode for alice" ||
		fail "alice's upload was not queued"
	id=$(sed -n 's/.*mk3-\([0-9]*\): queued from .*\/drop\/alice\/alice-job.gcode for alice$/\1/p' "$T/spoold.log")
	[ -n "$id" ] || fail "no job number for alice's upload"
	J="mk3-$id"
	"$WAITFOR" contains "$T/spoold.log" "$J is waiting for you: json://...#1: delivered" ||
		fail "alice's job did not wait at its unknown command"
	"$GPC" resume mk3 || fail "gpc resume"
	delivered "$J completed" "json://...#2"
	expect "$T/web" /alice "$J completed" "1 jpeg"
	body_has "$T/web" /alice "$J completed" "of alice"
	expect "$T/web" /alice "$J is waiting for you" "0 nojpeg"
	expect "$T/smtp" mail "$J completed" "0 nojpeg"
	gs_stop_gsftpd
else
	echo "note: no ssh-keygen or sftp: the account's notifications are not tried"
fi
echo "ok: notifications through apprise"
