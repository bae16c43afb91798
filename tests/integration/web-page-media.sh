#!/bin/sh
# The pictures of gwebd's page in the real chromium, headless
# (tests/web/media.py): a printing job's thumbnail shown to its owner
# and not to another account (who would be refused it); the printer's
# live camera through the relay, its frames changing on the screen;
# and, once the print is done, its timelapse (made by the timelapse
# filter from the same camera) played in the page by its owner, with
# no Timelapse offered to the other account.  No console error.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
gs_web_browser
command -v ffmpeg > /dev/null || { echo "SKIP: no ffmpeg"; exit 77; }
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }
CAMSERVER="$BIN/tests/integration/camserver"

# The camera: three frames of ffmpeg's test picture, streamed.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 3 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
"$CAMSERVER" -p "$T/cam.port" -m stream -r 10 "$T/f1.jpg" "$T/f2.jpg" \
    "$T/f3.jpg" 2>>"$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
mkdir "$T/filters"
ln -s "$BIN/filters/timelapse" "$T/filters/timelapse"
gs_config "camera = http://127.0.0.1:$(cat "$T/cam.port")/stream" \
    "filter_options = fps=10 timeout=10" "filters = timelapse" \
    "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account ann]" "api_keys = $T/ann.apikeys" \
    "[account bob]" "api_keys = $T/bob.apikeys"
sed -i "/^\[spool\]/a filter_dir = $T/filters" "$GSPOOL_CONF"
sed -i 's/^clears_bed = yes/clears_bed = no/' "$GSPOOL_CONF"
ANN=$(gs_web_key ann)
BOB=$(gs_web_key bob)

# ann's job: a 16 x 16 PNG thumbnail, then 12 layers.
"$PY" - "$T/job.gcode" <<'PYEOF'
import base64, struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + b"".join(bytes((x * 16, y * 16, 128)) for x in range(16))
              for y in range(16))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
b = base64.b64encode(png).decode()
with open(sys.argv[1], "w") as f:
    f.write("; thumbnail begin 16x16 %d\n" % len(b))
    for i in range(0, len(b), 78):
        f.write("; %s\n" % b[i:i + 78])
    f.write("; thumbnail end\nG28\nG90\nM82\nG92 E0\n")
    e = 0
    for l in range(12):
        f.write(";LAYER:%d\nG1 Z%.2f F600\n" % (l, (l + 1) * 0.2))
        for i in range(10):
            e += 0.05
            f.write("G1 X%d Y%d E%.3f F3000\n" % (10 + i, 10 + i * 2, e))
PYEOF
gs_vprinter --command-ms 50
gs_spoold
gs_gwebd

expect_status 201 POST /api/gspool/upload -H "X-Api-Key: $ANN" \
    -F "file=@$T/job.gcode;filename=pictured.gcode" -F dest=mk3 -F hold=yes
jq -e '.job == 1' "$T/body" > /dev/null || fail "upload: $(cat "$T/body")"
[ "$(id -u)" = 0 ] && chmod 755 "$T"
HOME="$T" TMPDIR="$T" "$PY" "$top_srcdir/tests/web/media.py" "$URL" \
    ann "$ANN" bob "$BOB" > "$T/media.out" 2>&1 || {
	cat "$T/media.out" >&2
	tail -n 20 "$T/gwebd.log" >&2
	tail -n 20 "$T/spoold.log" >&2
	fail "the page's pictures in chromium"
}
cat "$T/media.out"
