#!/bin/sh
# Every slicer's output in the shared corpus prints exactly: each file
# is queued, and the printer executes the commands of all of them, in
# order.  Files the spooler must refuse are refused with their reason.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
# mk3 runs Marlin; kl, Klipper (its virtual printer runs extended
# commands); duet, RepRapFirmware: each file goes to the printer whose
# dialect it is written in, and a Marlin printer refuses the others.
gs_config "" "[printer kl]" "device = $T/kl.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" "firmware = klipper" "" \
    "[printer duet]" "device = $T/duet.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" "firmware = reprapfirmware"
gs_vprinter
"$VPRINTER" -o "$T/kl.log" --extended "$T/kl.tty" 2>>"$T/kl.err" &
"$VPRINTER" -o "$T/duet.log" "$T/duet.tty" 2>>"$T/duet.err" &
"$WAITFOR" exists "$T/kl.tty" && "$WAITFOR" exists "$T/duet.tty" ||
	fail "the other printers did not start"
gs_spoold

accepted="cura-legacy-15-spool-lock-lever.gcode
edge-cura-legacy-placeholders-bp-case.gcode
edge-layer-comment-with-space.gcode
edge-rrf-can-stress.g
edge-word-spacing.gcode
ideamaker-4.2.0-two-parts.gcode
kisslicer-2.0.6-parts.gcode
prusaslicer-2.5.0-anisoprint-star.gcode
prusaslicer-2.7.1-mini-benchy-large.gcode
prusaslicer-2.8.1-mini-cube.gcode
simplify3d-4.1.2-rrf-messteil.gcode
skeinforge-12.01-20mm-box.gcode"
klipper="cura-4.10-klipper-multi-mesh.gcode
edge-klipper-m808-loop.gcode
orcaslicer-1.5.0-klipper-parts.gcode
superslicer-2.3.56-cubes.gcode"
rrf="slic3r-1.2.9-rrf-part.gcode"

refuse() {	# file reason-pattern
	out=$("$GPRINT" "$CORPUS/$1" 2>&1) && fail "$1 was accepted"
	echo "$out" | grep -q "$2" || fail "$1: $out"
}
refuse prusaslicer-2.8.1-mini-cube.bgcode "Prusa binary G-code (libmagic says application/x.prusa-bgcode"
refuse edge-line-numbers-checksums.gcode "line 1: 'N1 G20' carries its own line number"

# The Marlin printer refuses the other dialects, naming the line (the
# printer says it runs Marlin before anything is sent, so wait for it).
"$WAITFOR" contains "$T/spoold.log" "mk3: the firmware is Marlin" ||
	fail "mk3's firmware was not learnt"
refuse cura-4.10-klipper-multi-mesh.gcode \
    "line 14: 'PRINT_START BED=110 EXTRUDER=235 CHAMBER=40' is a Klipper command (a macro or an extended command), and this printer runs Marlin"
refuse slic3r-1.2.9-rrf-part.gcode \
    "line 13: 'G10 P0 S195 R160' is a RepRapFirmware command, and this printer runs Marlin"

print_all() {	# printer files...: each printed there, the log exact
	dest=$1
	shift
	ids=
	for f in "$@"; do
		out=$("$GPRINT" -P "$dest" "$CORPUS/$f") || fail "gprint -P $dest $f"
		id=${out#request id is "$dest"-}
		ids="$ids ${id%% *}"
	done
	# shellcheck disable=SC2086
	"$GQUEUE" -w $ids > "$T/wait.out" ||
		fail "not every job for $dest completed: $(grep -v completed "$T/wait.out")"
}
# shellcheck disable=SC2086
print_all mk3 $accepted
# shellcheck disable=SC2086
print_all kl $klipper
print_all duet $rrf
files=
for f in $accepted; do files="$files $CORPUS/$f"; done
# shellcheck disable=SC2086
expect_log $files
for f in $klipper; do gcode_commands "$CORPUS/$f"; done > "$T/kl.expected"
cmp -s "$T/kl.expected" "$T/kl.log" || fail "Klipper's log differs: $(diff "$T/kl.expected" "$T/kl.log" | head)"
gcode_commands "$CORPUS/$rrf" > "$T/duet.expected"
cmp -s "$T/duet.expected" "$T/duet.log" || fail "RepRapFirmware's log differs: $(diff "$T/duet.expected" "$T/duet.log" | head)"
echo "PASS"
