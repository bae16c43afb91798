#!/bin/sh
# Real slicer output for Klipper from the shared corpus, printed on the
# virtual printer's Klipper flavour (klipper:PATH): the printer's log
# equals each file's commands, and Klipper refused none of them.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
gs_config "device = klipper:$T/mk3.tty" "firmware = klipper"
gs_vprinter --flavour klipper
gs_spoold

f1="$CORPUS/orcaslicer-1.5.0-klipper-parts.gcode"
f2="$CORPUS/superslicer-2.3.56-cubes.gcode"
f3="$CORPUS/cura-4.10-klipper-multi-mesh.gcode"
id=$(submit "$f1")
"$GQUEUE" -w "$id" > /dev/null || fail "job $id ($f1) did not complete"
expect_log "$f1"
: > "$T/vprinter.log"
for f in "$f2" "$f3"; do
	id=$(submit "$f")
	"$GQUEUE" -w "$id" > /dev/null || fail "job $id ($f) did not complete"
done
expect_log "$f2" "$f3"
grep -q '"klipper_dropped":0,\|"klipper_dropped":0}' "$T/vprinter.log.json" ||
	fail "Klipper refused commands: $(cat "$T/vprinter.log.json")"
echo "PASS"
