#!/bin/sh
# Every slicer's output in the shared corpus prints exactly: each file
# is queued, and the printer executes the commands of all of them, in
# order.  Files the spooler must refuse are refused with their reason.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
gs_setup

accepted="cura-4.10-klipper-multi-mesh.gcode
cura-legacy-15-spool-lock-lever.gcode
edge-cura-legacy-placeholders-bp-case.gcode
edge-klipper-m808-loop.gcode
edge-layer-comment-with-space.gcode
edge-rrf-can-stress.g
edge-word-spacing.gcode
ideamaker-4.2.0-two-parts.gcode
kisslicer-2.0.6-parts.gcode
orcaslicer-1.5.0-klipper-parts.gcode
prusaslicer-2.5.0-anisoprint-star.gcode
prusaslicer-2.7.1-mini-benchy-large.gcode
prusaslicer-2.8.1-mini-cube.gcode
simplify3d-4.1.2-rrf-messteil.gcode
skeinforge-12.01-20mm-box.gcode
slic3r-1.2.9-rrf-part.gcode
superslicer-2.3.56-cubes.gcode"

refuse() {	# file reason-pattern
	out=$("$GPRINT" "$CORPUS/$1" 2>&1) && fail "$1 was accepted"
	echo "$out" | grep -q "$2" || fail "$1: $out"
}
refuse prusaslicer-2.8.1-mini-cube.bgcode "Prusa binary G-code (libmagic says application/x.prusa-bgcode"
refuse edge-line-numbers-checksums.gcode "line 1: 'N1 G20' carries its own line number"

files=
last=
for f in $accepted; do
	last=$(submit "$CORPUS/$f")
	files="$files $CORPUS/$f"
done
"$GQUEUE" -w $(seq 1 "$last") > "$T/wait.out" || fail "not every job completed: $(grep -v completed "$T/wait.out")"
# shellcheck disable=SC2086
expect_log $files
echo "PASS"
