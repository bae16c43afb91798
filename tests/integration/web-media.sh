#!/bin/sh
# gwebd's pictures and videos: a job's largest PNG thumbnail, its
# timelapse video with Range requests (206, Content-Range, 416), a
# printer's latest webcam frame; each passed by spoold as the account,
# so another account gets 404 for ann's job and the admin sees it.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
gs_config "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account ann]" "api_keys = $T/ann.apikeys" \
    "[account bob]" "api_keys = $T/bob.apikeys" \
    "[account root-op]" "api_keys = $T/op.apikeys" "admin = yes"
# A camera of its own (no filter grabs from it here): the frame served
# is the one spoold keeps.
sed -i 's|^clears_bed = yes|clears_bed = yes\ncamera = /dev/video0|' "$GSPOOL_CONF"
ANN=$(gs_web_key ann)
BOB=$(gs_web_key bob)
OP=$(gs_web_key op)
gs_vprinter
gs_spoold
gs_gwebd

# A file with two PNG thumbnails, 2x2 and 4x4: the larger is served.
{
	printf '; thumbnail begin 2x2 16\n; iVBORw0K\n; GgoAAAA=\n; thumbnail end\n'
	printf '; thumbnail begin 4x4 24\n; iVBORw0KGgpiaWdnZXIhIQ==\n; thumbnail end\n'
	cat "$CUBE"
} > "$T/thumbs.gcode"
expect_status 404 GET /api/gspool/jobs/1/thumbnail -H "X-Api-Key: $ANN"
expect_status 201 POST /api/gspool/upload -H "X-Api-Key: $ANN" \
    -F "file=@$T/thumbs.gcode" -F hold=1
jq -e '.job == 1' "$T/body" > /dev/null || fail "upload: $(cat "$T/body")"
"$WAITFOR" exists "$T/spool/jobs/1.d/thumb-4x4.png" ||
    fail "no thumbnail kept: $(ls -la "$T/spool/jobs/")"

# Titles as gqueue shows them: bob sees ann's job as "(hidden)", in
# the queue and in the event stream, and so no thumbnail of it.
expect_status 200 GET /api/gspool/queue -H "X-Api-Key: $BOB"
jq -e '.jobs[0].id == 1 and .jobs[0].title == "(hidden)"' "$T/body" > /dev/null ||
    fail "bob sees ann's title: $(cat "$T/body")"
curl -s -N --max-time 5 -H "X-Api-Key: $BOB" "$URL/api/gspool/events" 2>/dev/null |
    sed -n 's/^data: //p' | head -n 1 > "$T/ev"
jq -e '.jobs[0].title == "(hidden)"' "$T/ev" > /dev/null ||
    fail "bob's event stream shows ann's title: $(cat "$T/ev")"
expect_status 200 GET /api/gspool/queue -H "X-Api-Key: $ANN"
jq -e '.jobs[0].title == "thumbs.gcode"' "$T/body" > /dev/null ||
    fail "ann does not see her title: $(cat "$T/body")"

# 1. The thumbnail: ann's and the admin's, not bob's.
expect_status 200 GET /api/gspool/jobs/1/thumbnail -H "X-Api-Key: $ANN" -D "$T/h"
cmp -s "$T/body" "$T/spool/jobs/1.d/thumb-4x4.png" ||
    fail "the thumbnail is not the larger one: $(od -c "$T/body" | head -3)"
grep -qi '^content-type: image/png' "$T/h" || fail "thumbnail type: $(cat "$T/h")"
expect_status 200 GET /api/gspool/jobs/1/thumbnail -H "X-Api-Key: $OP"
expect_status 404 GET /api/gspool/jobs/1/thumbnail -H "X-Api-Key: $BOB"
grep -q '"error":"job 1' "$T/body" || fail "bob's 404 says: $(cat "$T/body")"
expect_status 404 GET /api/gspool/jobs/77/thumbnail -H "X-Api-Key: $ANN"
expect_status 405 POST /api/gspool/jobs/1/thumbnail -H "X-Api-Key: $ANN"

# A thumbnail over 2 MB decoded is not kept: the job's largest kept is
# served.
/usr/bin/python3 - "$T/huge.gcode" "$CUBE" <<'PYEOF'
import base64, sys
big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(i % 200 for i in range(2200000))).decode()
with open(sys.argv[1], "w") as f:
    f.write("; thumbnail begin 4x4 24\n; iVBORw0KGgpiaWdnZXIhIQ==\n; thumbnail end\n")
    f.write("; thumbnail begin 640x480 %d\n" % len(big))
    for i in range(0, len(big), 78):
        f.write("; %s\n" % big[i:i + 78])
    f.write("; thumbnail end\n")
    f.write(open(sys.argv[2]).read())
PYEOF
expect_status 201 POST /api/gspool/upload -H "X-Api-Key: $ANN" \
    -F "file=@$T/huge.gcode" -F hold=1
jq -e '.job == 2' "$T/body" > /dev/null || fail "upload: $(cat "$T/body")"
"$WAITFOR" exists "$T/spool/jobs/2.d/thumb-4x4.png" ||
    fail "no thumbnail kept: $(ls -la "$T/spool/jobs/")"
[ ! -e "$T/spool/jobs/2.d/thumb-640x480.png" ] ||
    fail "a thumbnail of $(stat -c %s "$T/spool/jobs/2.d/thumb-640x480.png") bytes was kept"
ls "$T/spool/tmp" | grep -q ingest && fail "a dropped thumbnail's file is left: $(ls "$T/spool/tmp")"
expect_status 200 GET /api/gspool/jobs/2/thumbnail -H "X-Api-Key: $ANN"
cmp -s "$T/body" "$T/spool/jobs/2.d/thumb-4x4.png" || fail "job 2's thumbnail is not the 4x4 one"

# 2. The timelapse: none yet, then one of 1000 bytes, whole and in
#    ranges; one being rendered (.tmp) is not one.
expect_status 404 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN"
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(1000)))' \
    > "$T/spool/jobs/1.d/timelapse.mp4"
V="$T/spool/jobs/1.d/timelapse.mp4"
expect_status 200 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN" -D "$T/h"
cmp -s "$T/body" "$V" || fail "the video differs"
grep -qi '^content-type: video/mp4' "$T/h" || fail "video type: $(cat "$T/h")"
grep -qi '^accept-ranges: bytes' "$T/h" || fail "no Accept-Ranges: $(cat "$T/h")"
expect_status 206 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN" \
    -H "Range: bytes=10-19" -D "$T/h"
grep -qi '^content-range: bytes 10-19/1000' "$T/h" || fail "range: $(cat "$T/h")"
dd if="$V" bs=1 skip=10 count=10 2>/dev/null | cmp -s - "$T/body" ||
    fail "bytes 10-19 differ"
expect_status 206 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN" \
    -H "Range: bytes=-5" -D "$T/h"
grep -qi '^content-range: bytes 995-999/1000' "$T/h" || fail "suffix range: $(cat "$T/h")"
tail -c 5 "$V" | cmp -s - "$T/body" || fail "the last 5 bytes differ"
expect_status 206 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN" \
    -H "Range: bytes=990-" -D "$T/h"
grep -qi '^content-range: bytes 990-999/1000' "$T/h" || fail "open range: $(cat "$T/h")"
for bad in "bytes=1000-" "bytes=20-10" "bytes=0-1,5-6" "lines=1-2" "bytes=-0"; do
	expect_status 416 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN" \
	    -H "Range: $bad" -D "$T/h"
	grep -qi '^content-range: bytes \*/1000' "$T/h" || fail "416 for $bad: $(cat "$T/h")"
done
expect_status 404 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $BOB"
expect_status 200 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $OP"
# A link in the job's folder is not followed.
rm "$V"
ln -s "$GSPOOL_CONF" "$V"
expect_status 404 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN"
rm "$V"

# 3. The printer's latest frame: none, then one; no such printer.
mkdir -p "$T/spool/printers/mk3"
expect_status 404 GET /api/gspool/printers/mk3/snapshot -H "X-Api-Key: $BOB"
printf '\377\330\377\340 a frame' > "$T/spool/printers/mk3/webcam.jpg"
expect_status 200 GET /api/gspool/printers/mk3/snapshot -H "X-Api-Key: $BOB" -D "$T/h"
cmp -s "$T/body" "$T/spool/printers/mk3/webcam.jpg" || fail "the frame differs"
grep -qi '^content-type: image/jpeg' "$T/h" || fail "frame type: $(cat "$T/h")"
expect_status 404 GET /api/gspool/printers/nosuch/snapshot -H "X-Api-Key: $BOB"
expect_status 401 GET /api/gspool/printers/mk3/snapshot

# 4. With show_titles, a job's thumbnail is everyone's, as its title is
#    in gqueue; its timelapse stays its owner's and the administrators'.
gs_stop_spoold
rm -f "$T/spool/control"
sed -i '/^\[spool\]/a show_titles = yes' "$GSPOOL_CONF"
gs_spoold
printf '\000\001 a video' > "$T/spool/jobs/1.d/timelapse.mp4"
expect_status 200 GET /api/gspool/queue -H "X-Api-Key: $BOB"
jq -e '.jobs[0].title == "thumbs.gcode"' "$T/body" > /dev/null ||
    fail "bob does not see ann's title with show_titles: $(cat "$T/body")"
expect_status 200 GET /api/gspool/jobs/1/thumbnail -H "X-Api-Key: $BOB"
cmp -s "$T/body" "$T/spool/jobs/1.d/thumb-4x4.png" || fail "bob's thumbnail differs"
expect_status 404 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $BOB"
expect_status 200 GET /api/gspool/jobs/1/timelapse -H "X-Api-Key: $ANN"
