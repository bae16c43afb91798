#!/bin/sh
# A 100 MB upload to gwebd, as curl -F sends it: queued whole (the
# spool's copy is the file, byte for byte), while gwebd's memory stays
# flat: its peak resident size (VmHWM) grows by less than a tenth of
# the file; then the same through OctoPrint's /api/files/local, the
# slicers' endpoint.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
MB=100
gs_config "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "[account ann]" "api_keys = $T/ann.apikeys"
ANN=$(gs_web_key ann)
# 100 MB of G-code the project writes itself: the cube, again and again.
: > "$T/big.gcode"
while [ "$(stat -c %s "$T/big.gcode")" -lt $((MB * 1000000)) ]; do
	cat "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" "$CUBE" >> "$T/big.gcode"
done
truncate -s $((MB * 1000000)) "$T/big.gcode"
gs_vprinter
gs_spoold
gs_gwebd
hwm() { sed -n 's/^VmHWM:[ 	]*\([0-9]*\) kB/\1/p' "/proc/$GWEBD_PID/status"; }
expect_status 200 GET /api/version -H "X-Api-Key: $ANN"
before=$(hwm)
expect_status 201 POST /api/gspool/upload -H "X-Api-Key: $ANN" \
    -F "file=@$T/big.gcode;filename=big.gcode" -F hold=1
jq -e '.job == 1' "$T/body" > /dev/null || fail "upload: $(cat "$T/body")"
after=$(hwm)
echo "gwebd VmHWM: $before kB before, $after kB after a $MB MB upload"
[ $((after - before)) -lt $((MB * 100)) ] ||
    fail "gwebd's memory grew by $((after - before)) kB for a $MB MB upload"
"$GQUEUE" --json 1 > "$T/q.json"
jq -e '.jobs[0].state == "held" and .jobs[0].owner == "ann"' "$T/q.json" > /dev/null ||
    fail "job 1: $(head -c 400 "$T/q.json")"
# The spool's copy is the file sent.
copy=$(find "$T/spool" -name '*.gcode' -size +90M | head -n 1)
[ -n "$copy" ] || copy=$(find "$T/spool" -type f -size +90M | head -n 1)
[ -n "$copy" ] || fail "no copy of the upload in the spool"
cmp -s "$copy" "$T/big.gcode" || fail "the spool's copy differs from the upload"
# Nothing is left in gwebd's temporary folder.
[ -z "$(ls -A "$T/webtmp")" ] || fail "gwebd left files: $(ls -A "$T/webtmp")"
"$GCANCEL" 1 || fail "gcancel 1"

# The same through the slicers' endpoint, as PrusaSlicer sends it
# (OctoPrint's /api/files/local: path, print, file): flat too.
before=$(hwm)
expect_status 201 POST /api/files/local -H "X-Api-Key: $ANN" \
    -F path= -F print=false -F "file=@$T/big.gcode;filename=big.gcode"
jq -e '.done == true and .job == 2' "$T/body" > /dev/null || fail "files/local: $(cat "$T/body")"
after=$(hwm)
echo "gwebd VmHWM: $before kB before, $after kB after a $MB MB /api/files/local"
[ $((after - before)) -lt $((MB * 100)) ] ||
    fail "gwebd's memory grew by $((after - before)) kB for a $MB MB /api/files/local"
"$GQUEUE" --json 2 > "$T/q.json"
jq -e '.jobs[0].state == "held" and .jobs[0].size == '$((MB * 1000000)) "$T/q.json" > /dev/null ||
    fail "job 2: $(head -c 400 "$T/q.json")"
[ -z "$(ls -A "$T/webtmp")" ] || fail "gwebd left files: $(ls -A "$T/webtmp")"
"$GCANCEL" 2 || fail "gcancel 2"
kill -0 "$GWEBD_PID" || fail "gwebd died"
echo "ok: web-upload-big"
