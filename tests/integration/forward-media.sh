#!/bin/sh
# What a remote queue mirrors of the other host's media (gspool-sftp(8)):
# the remote printer mk3 has a camera and the timelapse filter; a job
# sent to far here is printed there, and here far's webcam frame is the
# remote printer's, a whole JPEG equal to it, and the job's timelapse
# is the remote job's, byte for byte, where gqueue -l shows a local
# one, and this host's gsftpd and gwebd serve both (and, with apprise,
# far's completion carries the frame).  A video that cannot be put here,
# or is larger than this host takes, is logged with the host, the path
# and why, and the job still ends completed; one of 32 MiB comes a piece
# each poll and is equal to the one there; a remote printer with no
# frame is said once a job, and no timelapse is awaited.
. "$top_srcdir/tests/integration/lib.sh"
command -v ffmpeg > /dev/null && command -v ffprobe > /dev/null ||
	{ echo "SKIP: no ffmpeg"; exit 77; }
. "$top_srcdir/tests/integration/forwardlib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
CAMSERVER="$BIN/tests/integration/camserver"

# Three frames for the remote camera, and a job of 6 layers.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 3 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
awk 'BEGIN {
	print "G28"; print "G90"; print "M82"; print "G92 E0"
	for (l = 1; l <= 6; l++) {
		printf ";LAYER:%d\nG1 Z%.2f F600\n", l - 1, l * 0.2
		for (i = 0; i < 10; i++) {
			e += 0.05
			printf "G1 X%d Y%d E%.3f F3000\n", 10 + i, 10 + i * 2, e
		}
	}
}' > "$T/layers.gcode"
"$CAMSERVER" -p "$T/cam.port" -m snapshot "$T/f1.jpg" "$T/f2.jpg" "$T/f3.jpg" \
    2>>"$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
mkdir "$T/filters"
ln -s "$BIN/filters/timelapse" "$T/filters/timelapse"

FWD_REMOTE_SPOOL_EXTRA="filter_dir = $T/filters"
FWD_PRINTER_EXTRA="camera = http://127.0.0.1:$(cat "$T/cam.port")/snapshot
filters = timelapse
filter_options = hold=1 fps=10 timeout=10"
fwd_remote --command-ms 3
# This host's gsftpd and gwebd too, with carol, whose job and far's
# frame they show; with Debian's apprise, far's completions are told to
# a json:// receiver, with the frame.
gs_sftp_key carol
CAROL=$(gs_web_key carol)
APPRISE=/usr/bin/apprise
NOTE=
if [ -x "$APPRISE" ]; then
	mkdir "$T/web"
	/usr/bin/python3 "$top_srcdir/tests/integration/notify-receiver.py" http \
	    "$T/web" "$T/web.port" 2>>"$T/web.err" &
	"$WAITFOR" exists "$T/web.port" || fail "the json:// receiver did not start"
	FWD_SPOOL_EXTRA="notifier = $BIN/notify/gspool-notify
apprise = $APPRISE"
	NOTE="notify_urls = json://127.0.0.1:$(cat "$T/web.port")/far"
else
	echo "note: no $APPRISE; far's notification with its frame is not tried"
fi
fwd_front ${NOTE:+"$NOTE" "notify_events = completed"} \
    "[sftp]" "user = $(gs_sftp_user)" "listen = 127.0.0.1:0" \
    "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account carol]" "keys = $T/carol.keys" "api_keys = $T/carol.apikeys"
gs_gsftpd
gs_gwebd

# is_jpeg FILE: a JPEG that ffmpeg decodes, SOI first and EOI last.
is_jpeg() {
	[ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' \n')" = ffd8 ] &&
	    [ "$(tail -c 2 "$1" | od -An -tx1 | tr -d ' \n')" = ffd9 ] &&
	    ffmpeg -hide_banner -loglevel error -i "$1" -f null - 2>/dev/null
}

# 1. The frame and the video, mirrored, of carol's job sent through this
#    host's gsftpd; that gsftpd shows both as a local printer's.
as_sftp carol > "$T/out" 2>&1 <<SFTP || fail "carol's upload: $(cat "$T/out")"
put $T/layers.gcode drop/far/media.gcode
SFTP
"$WAITFOR" contains "$T/spoold.log" "/drop/carol/far/media.gcode for carol" ||
	fail "carol's job was not queued"
id=$(sed -n 's/^spoold: far-\([0-9]*\): queued from .*\/drop\/carol\/far\/media.gcode for carol$/\1/p' "$T/spoold.log")
[ -n "$id" ] || fail "no id for carol's job: $(grep carol "$T/spoold.log")"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
rj=$(fwd_attr "$id" forward.job)
[ -n "$rj" ] || fail "job $id has no forward.job"
"$WAITFOR" contains "$T/spoold.log" "far-$id: the timelapse timelapse.mp4 of job $rj on 127.0.0.1:$PB fetched: " ||
	fail "the timelapse of job $id was not fetched"
V="$T/spool/jobs/$id.d/timelapse.mp4"
RV="$B/spool/jobs/$rj.d/timelapse.mp4"
[ -s "$RV" ] || fail "no timelapse there: $(ls -la "$B/spool/jobs/$rj.d")"
cmp "$V" "$RV" || fail "the timelapse here differs from the one there"
[ "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of csv=p=0 "$V")" -ge 6 ] || fail "the timelapse here is no video of the job"
W="$T/spool/printers/far/webcam.jpg"
RW="$B/spool/printers/mk3/webcam.jpg"
[ -s "$W" ] || fail "no webcam frame for far: $(ls -la "$T/spool/printers/far" 2>&1)"
is_jpeg "$W" || fail "far's webcam frame is no whole JPEG"
cmp "$W" "$RW" || fail "far's webcam frame differs from mk3's there"
ls "$T/spool/printers/far" "$T/spool/jobs/$id.d" | grep -q '\.tmp$' &&
	fail "a temporary file is left: $(ls "$T/spool/printers/far" "$T/spool/jobs/$id.d")"
"$GQUEUE" -l --history "$id" > "$T/ql.out"
grep -qx "	timelapse: $V" "$T/ql.out" || fail "gqueue -l: $(cat "$T/ql.out")"
"$GQUEUE" --json --history "$id" | jq -e '.jobs[0].state == "completed" and
    .jobs[0].attributes["timelapse.video"] == "timelapse.mp4"' > /dev/null ||
	fail "job $id here: $("$GQUEUE" --json --history "$id")"
as_sftp carol > "$T/out" 2>&1 <<SFTP || fail "carol's reads: $(cat "$T/out")"
get jobs/$id/timelapse.mp4 $T/carol.mp4
get printers/far/webcam.jpg $T/carol.jpg
SFTP
cmp "$T/carol.mp4" "$RV" || fail "gsftpd here serves another video"
cmp "$T/carol.jpg" "$RW" || fail "gsftpd here serves another frame"
if [ -n "$NOTE" ]; then
	"$WAITFOR" contains "$T/spoold.log" "far-$id completed: json://...#1: delivered" ||
		fail "far-$id's completion was not delivered"
	# Its attachment: one whole JPEG, a frame the camera there made.
	/usr/bin/python3 - "$T/web" "far-$id completed" "$T/note.jpg" <<'PY' ||
import base64, glob, json, re, sys
d, title, out = sys.argv[1:4]
for f in sorted(glob.glob(d + "/*.req")):
    body = re.split(rb"\r?\n\r?\n", open(f, "rb").read(), maxsplit=1)[1]
    j = json.loads(body)
    if j.get("title") == title and len(j.get("attachments", [])) == 1:
        open(out, "wb").write(base64.b64decode(j["attachments"][0]["base64"]))
        sys.exit(0)
sys.exit(1)
PY
		fail "far-$id's completion carries no frame: $(cat "$T/web"/*.req)"
	is_jpeg "$T/note.jpg" || fail "far-$id's completion carries no whole JPEG"
	cmp -s "$T/note.jpg" "$T/f1.jpg" || cmp -s "$T/note.jpg" "$T/f2.jpg" ||
	    cmp -s "$T/note.jpg" "$T/f3.jpg" || fail "far-$id's frame is none of the camera's"
fi
expect_status 200 GET "/api/gspool/jobs/$id/timelapse" -H "X-Api-Key: $CAROL"
cmp "$T/body" "$RV" || fail "gwebd serves another video"
expect_status 200 GET /api/gspool/printers/far/snapshot -H "X-Api-Key: $CAROL"
cmp "$T/body" "$RW" || fail "gwebd serves another frame"

# 2. A video that cannot be put here (its temporary name is taken by a
#    folder): logged with the host, the path and why; the job completed.
next=$((id + 1))
mkdir -p "$T/spool/jobs/$next.d/timelapse.mp4.tmp"
id=$(fwd_submit "$T/layers.gcode")
[ "$id" = "$next" ] || fail "job $id, not $next"
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
rj=$(fwd_attr "$id" forward.job)
"$WAITFOR" contains "$T/spoold.log" "far-$id: the timelapse jobs/$rj/timelapse.mp4 from 127.0.0.1:$PB: $T/spool/jobs/$id.d/timelapse.mp4.tmp: Is a directory; not fetched" ||
	fail "the failed fetch was not logged: $(grep "far-$id" "$T/spoold.log")"
"$GQUEUE" --json --history "$id" | jq -e '.jobs[0].state == "completed" and
    (.jobs[0].attributes["timelapse.video"] == null)' > /dev/null ||
	fail "job $id here: $("$GQUEUE" --json --history "$id")"
[ ! -e "$T/spool/jobs/$id.d/timelapse.mp4" ] || fail "a timelapse was put here"

# 2b. A video above the largest this host takes (lowered for the test,
#     GSPOOL_TEST_MIRROR_MAX, which a backend spoold starts inherits):
#     refused with its size, nothing left here, the job completed.
gs_stop_spoold
"$WAITFOR" gone "$T/spool/run/far.sock" || fail "far's backend did not end with spoold"
rm -f "$T/spool/control"
GSPOOL_TEST_MIRROR_MAX=100 gs_spoold
id=$(fwd_submit "$T/layers.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
rj=$(fwd_attr "$id" forward.job)
"$WAITFOR" contains "$T/spoold.log" "far-$id: the timelapse jobs/$rj/timelapse.mp4 from 127.0.0.1:$PB: " ||
	fail "the video over the cap was not refused: $(grep "far-$id" "$T/spoold.log")"
grep -qF "far-$id: the timelapse jobs/$rj/timelapse.mp4 from 127.0.0.1:$PB: $(stat -c %s "$B/spool/jobs/$rj.d/timelapse.mp4") bytes, larger than the 100 this host takes; not fetched" "$T/spoold.log" ||
	fail "the refusal does not say the size: $(grep "far-$id" "$T/spoold.log")"
"$GQUEUE" --json --history "$id" | jq -e '.jobs[0].state == "completed" and
    (.jobs[0].attributes["timelapse.video"] == null)' > /dev/null ||
	fail "job $id here: $("$GQUEUE" --json --history "$id")"
ls "$T/spool/jobs/$id.d" 2>/dev/null | grep -q timelapse &&
	fail "a part of the video is left: $(ls "$T/spool/jobs/$id.d")"

# 2c. A video of 32 MiB (a filter there that leaves one, and a frame):
#     fetched a piece at each poll, equal to the one there.
gs_stop_spoold
"$WAITFOR" gone "$T/spool/run/far.sock" || fail "far's backend did not end with spoold"
rm -f "$T/spool/control"
gs_spoold
cat > "$T/filters/bigvideo" <<'FILTER'
#!/bin/sh
cp "$GSPOOL_FRAME" "$GSPOOL_WEBCAM.tmp" && mv "$GSPOOL_WEBCAM.tmp" "$GSPOOL_WEBCAM"
while read -r ev rest; do [ "$ev" = end ] && break; done
head -c 33554432 /dev/urandom > big.mp4.tmp && mv big.mp4.tmp big.mp4
echo "ATTR: timelapse.video=big.mp4" >&2
FILTER
chmod +x "$T/filters/bigvideo"
kill "$SPOOLD_B_PID"
wait "$SPOOLD_B_PID" || true
sed -i 's/^filters = timelapse$/filters = bigvideo/' "$B/gspool.conf"
GSPOOL_FRAME="$T/f2.jpg" fwd_start_spoold_b
id=$(fwd_submit "$T/layers.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
rj=$(fwd_attr "$id" forward.job)
"$WAITFOR" contains "$T/spoold.log" "far-$id: the timelapse big.mp4 of job $rj on 127.0.0.1:$PB fetched: 33554432 bytes" ||
	fail "the large video was not fetched: $(grep "far-$id" "$T/spoold.log")"
cmp "$T/spool/jobs/$id.d/big.mp4" "$B/spool/jobs/$rj.d/big.mp4" ||
	fail "the large video here differs from the one there"
"$GQUEUE" -l --history "$id" | grep -qx "	timelapse: $T/spool/jobs/$id.d/big.mp4" ||
	fail "gqueue -l: $("$GQUEUE" -l --history "$id")"
cmp "$W" "$T/f2.jpg" || fail "far's frame is not the one the filter there left"

# 3. No camera there, no frame: said once for the job, nothing else; no
#    timelapse is awaited.
kill "$SPOOLD_B_PID"
wait "$SPOOLD_B_PID" || true
sed -i '/^camera = /d; /^filters = /d; /^filter_options = /d' "$B/gspool.conf"
rm -f "$RW"
fwd_start_spoold_b
id=$(fwd_submit "$T/layers.gcode")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
rj=$(fwd_attr "$id" forward.job)
"$WAITFOR" contains "$T/spoold.log" "far-$id: no timelapse of job $rj on 127.0.0.1:$PB: none is made there (no frame, no timelapse filter)" ||
	fail "a timelapse was awaited from a printer with no camera: $(grep "far-$id" "$T/spoold.log")"
n=$(grep -c "far-$id: 127.0.0.1:$PB has no webcam frame of mk3 (printers/mk3/webcam.jpg: no such file)" "$T/spoold.log" || true)
[ "$n" = 1 ] || fail "the missing frame was said $n times: $(grep "far-$id" "$T/spoold.log")"
cmp -s "$W" "$T/f1.jpg" || cmp -s "$W" "$T/f2.jpg" || cmp -s "$W" "$T/f3.jpg" ||
	fail "far's last frame is gone or damaged"
kill -0 "$SPOOLD_PID" || fail "spoold died"
echo "PASS"
