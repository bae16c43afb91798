#!/bin/sh
# gprint --check: the analyser's verdict and metadata for files the test
# writes itself (hostile ones among them), and for every file of the
# shared corpus when it is there, as written down here.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "build_volume = 250 210 210" "build_min = 0 -4 0" "max_hotend = 285"

verdict() {	# file expected-substring
	out=$("$GPRINT" --check "$1" 2>&1) && rc=0 || rc=$?
	case "$2" in
	accepted*) [ "$rc" -eq 0 ] || fail "$1 refused: $out" ;;
	*) [ "$rc" -eq 1 ] || fail "$1: exit $rc: $out" ;;
	esac
	echo "$out" | grep -qF -- "$2" || fail "$1: expected '$2', got: $out"
}

printf 'G28\nG1 X10 Y10 F3000\nG1 X50 E2\n' > "$T/ok.gcode"
verdict "$T/ok.gcode" "accepted, 3 commands"
printf 'G28\nM104 S400\n' > "$T/hot.gcode"
verdict "$T/hot.gcode" "line 2: M104 S400 sets 400 C, above the printer's max_hotend 285"
printf 'G28\nG1 X10 Y10\nG1 X400 E1\n' > "$T/far.gcode"
verdict "$T/far.gcode" "line 3: 'G1 X400 E1' goes to X400.000, outside the build volume (X from 0 to 250 mm)"
printf 'G28\nG1 Y-3 F1000\nG1 X10 E1\n' > "$T/purge.gcode"
verdict "$T/purge.gcode" "accepted"
printf 'G28\nM502\nM500\n' > "$T/eeprom.gcode"
verdict "$T/eeprom.gcode" "line 2: M502 is forbidden on this printer"
printf 'GCDE\001\000\000\000' > "$T/bin.bgcode"
verdict "$T/bin.bgcode" "Prusa binary G-code"
printf 'G28\n' | gzip > "$T/job.gcode.gz"
verdict "$T/job.gcode.gz" "accepted, 1 commands"
: > "$T/empty.gcode"
verdict "$T/empty.gcode" "empty file"
printf 'G28\nG1 X1\000\n' > "$T/nul.gcode"
verdict "$T/nul.gcode" "line 2: NUL byte"
verdict "$T/missing.gcode" "cannot open: No such file or directory"

# One JSON object a file.
"$GPRINT" --check --json "$CUBE" > "$T/cube.json" || fail "the cube was refused"
for want in '"accepted":true' '"slicer":"gspool"' '"layers":100' \
    '"first_layer_height":0.3' '"max_hotend":205' '"max_bed":60' \
    '"filament_mm":[' '"bbox":{"min":[' '"estimated_seconds":'; do
	grep -qF "$want" "$T/cube.json" || fail "JSON lacks $want: $(cat "$T/cube.json")"
done

# Words are not G-code; --all reads on and shows every reason.
printf 'hello world\n' > "$T/words.gcode"
verdict "$T/words.gcode" "line 1: 'hello world' is not G-code"
printf 'messed up\n' > "$T/messed.gcode"
verdict "$T/messed.gcode" "line 1: 'messed up' is not G-code"
printf 'G28\nM104 S400\nhello world\nM500\nG1 X10 Y10 E1\n' > "$T/many.gcode"
verdict "$T/many.gcode" "the analysis stopped at line 2"
out=$("$GPRINT" --check --all "$T/many.gcode") && fail "--all accepted many.gcode"
for want in "refused, 3 reasons in 5 lines:" "  line 2: M104 S400 sets 400 C" \
    "  line 3: 'hello world' is not G-code" "  line 4: M500 is forbidden"; do
	echo "$out" | grep -qF -- "$want" || fail "--all: expected '$want', got: $out"
done
"$GPRINT" --check --all --json "$T/many.gcode" > "$T/many.json" && fail "--all --json accepted"
grep -qF '"stopped_at_line":5,"reasons":["line 2: M104 S400' "$T/many.json" ||
	fail "--all --json: $(cat "$T/many.json")"
"$GPRINT" --check --json "$T/many.gcode" > "$T/many.json" && fail "--json accepted"
grep -qF '"stopped_at_line":2,' "$T/many.json" || fail "--json: $(cat "$T/many.json")"
printf 'G28\nPRINT_START EXTRUDER=300 BED=60\n' > "$T/macro-hot.gcode"
verdict "$T/macro-hot.gcode" "line 2: PRINT_START EXTRUDER=300 BED=60 sets 300 C, above the printer's max_hotend 285"

# A printer whose firmware is known: a file for another is refused, or
# with dialect_mismatch = warn taken with a warning.
cat > "$T/marlin.conf" <<CONF
[printer m]
device = $T/m.tty
firmware = marlin
[printer w]
device = $T/w.tty
firmware = marlin
dialect_mismatch = warn
[printer k]
device = $T/k.tty
firmware = klipper
CONF
printf '; gcode_flavor = klipper\nG28\nPRINT_START EXTRUDER=215 BED=60\nG1 X10 Y10 E1\n' > "$T/klipper.gcode"
out=$("$GPRINT" --check -c "$T/marlin.conf" -P m "$T/klipper.gcode") && fail "Marlin took a Klipper file: $out"
echo "$out" | grep -qF "line 1: the file is written for Klipper (gcode_flavor = klipper), and this printer runs Marlin" ||
	fail "Klipper file on Marlin: $out"
out=$("$GPRINT" --check -c "$T/marlin.conf" -P w "$T/klipper.gcode") || fail "warn refused: $out"
echo "$out" | grep -qF "warning: line 3: 'PRINT_START EXTRUDER=215 BED=60' is a Klipper command" ||
	fail "no warning: $out"
echo "$out" | grep -qF "temperatures: hotend 215 C (first layer 215), bed 60 C" ||
	fail "macro temperatures: $out"
"$GPRINT" --check -c "$T/marlin.conf" -P k "$T/klipper.gcode" > /dev/null || fail "Klipper refused its own file"
printf 'G28\nG10 P0 S215 R170\nG1 X10 Y10 E1\n' > "$T/rrf.gcode"
out=$("$GPRINT" --check -c "$T/marlin.conf" -P m "$T/rrf.gcode") && fail "Marlin took G10 P0 S215"
echo "$out" | grep -qF "line 2: 'G10 P0 S215 R170' is a RepRapFirmware command, and this printer runs Marlin" ||
	fail "RRF on Marlin: $out"

need_corpus
# file, then accepted or the start of the reason, slicer, version, layers
while IFS='|' read -r f want slicer version layers; do
	[ -n "$f" ] || continue
	"$GPRINT" --check --json "$CORPUS/$f" > "$T/out.json" || true
	out=$(cat "$T/out.json")
	case "$want" in
	accepted) echo "$out" | grep -qF '"accepted":true' || fail "$f: $out" ;;
	*) echo "$out" | grep -qF "\"reason\":\"$want" || fail "$f: $out" ;;
	esac
	echo "$out" | grep -qF "\"slicer\":\"$slicer\",\"slicer_version\":\"$version\"" ||
		fail "$f: slicer: $out"
	[ -z "$layers" ] || echo "$out" | grep -qF "\"layers\":$layers," ||
		fail "$f: layers: $out"
done <<'LIST'
cura-4.10-klipper-multi-mesh.gcode|accepted|Cura|4.10.0|25
cura-legacy-15-spool-lock-lever.gcode|accepted|Cura||50
edge-cura-legacy-placeholders-bp-case.gcode|accepted|Cura||70
edge-klipper-m808-loop.gcode|accepted|||
edge-layer-comment-with-space.gcode|accepted|||4
edge-rrf-can-stress.g|accepted|||
edge-word-spacing.gcode|line 1: 'G0X-5Y0Z0F200' goes to X-5.000, outside the build volume|||
ideamaker-4.2.0-two-parts.gcode|accepted|ideaMaker|4.2.0.5250|51
kisslicer-2.0.6-parts.gcode|accepted|KISSlicer|2.0.6|36
orcaslicer-1.5.0-klipper-parts.gcode|accepted|OrcaSlicer|1.5.0|25
prusaslicer-2.5.0-anisoprint-star.gcode|accepted|PrusaSlicer|2.5.0|150
prusaslicer-2.7.1-mini-benchy-large.gcode|accepted|PrusaSlicer|2.7.1|240
prusaslicer-2.8.1-mini-cube.gcode|accepted|PrusaSlicer|2.8.1|31
simplify3d-4.1.2-rrf-messteil.gcode|accepted|Simplify3D|4.1.2|49
slic3r-1.2.9-rrf-part.gcode|accepted|Slic3r|1.2.9|77
superslicer-2.3.56-cubes.gcode|accepted|SuperSlicer|2.3.56|25
prusaslicer-2.8.1-mini-cube.bgcode|this is Prusa binary G-code|||
edge-line-numbers-checksums.gcode|line 1: 'N1 G20' carries its own line number|||
skeinforge-12.01-20mm-box.gcode|line 178: 'G1 X-9.8 Y-9.79 Z0.14 F3000.0' goes to X-9.800, outside the build volume|||
edge-lexer-broken-comments.ngc|line 11: ')' is not a G-code command|||
laser-grbl-etch-test.nc|line 3: turns a laser or a spindle on (M3/M4)|||
cnc-penplotter-tinycnc.gcode|line 3: the head moves 8465 times and nothing is extruded|||
LIST
# The corpus's Klipper files on a Marlin printer.
for f in orcaslicer-1.5.0-klipper-parts.gcode superslicer-2.3.56-cubes.gcode \
    cura-4.10-klipper-multi-mesh.gcode edge-klipper-m808-loop.gcode; do
	out=$("$GPRINT" --check -c "$T/marlin.conf" -P m "$CORPUS/$f") && fail "$f on Marlin: $out"
	echo "$out" | grep -qF "is a Klipper command (a macro or an extended command), and this printer runs Marlin" ||
		fail "$f on Marlin: $out"
	"$GPRINT" --check -c "$T/marlin.conf" -P k "$CORPUS/$f" > /dev/null || fail "$f refused on Klipper"
done
echo "PASS"
