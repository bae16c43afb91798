#!/bin/sh
# Real slicer output from the shared corpus, printed through gprint and
# through a drop folder: the printer's log equals each file's commands.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
gs_setup

f1="$CORPUS/prusaslicer-2.8.1-mini-cube.gcode"
f2="$CORPUS/cura-legacy-15-spool-lock-lever.gcode"	# CRLF line ends
id=$(submit "$f1")
"$GQUEUE" -w "$id" > /dev/null || fail "job $id ($f1) did not complete"
expect_log "$f1"

me=$(id -un)
mkdir -p "$T/spool/drop/$me"
cp "$f2" "$T/spool/drop/$me/multi.gcode"
"$WAITFOR" gone "$T/spool/drop/$me/multi.gcode" || fail "the drop file was not taken"
id2=$((id + 1))
"$GQUEUE" -w "$id2" > /dev/null || fail "job $id2 ($f2) did not complete"
expect_log "$f1" "$f2"
echo "PASS"
