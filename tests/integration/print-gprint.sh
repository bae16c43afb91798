#!/bin/sh
# gprint hands a file to spoold; the backend streams it to the virtual
# printer; the printer executes exactly the file's commands, in order,
# and the job ends completed.  Two jobs in a row share one handshake.
. "$top_srcdir/tests/integration/lib.sh"
gs_setup

id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id did not complete: $(cat "$T/wait.out")"
grep -q "^mk3-$id: completed$" "$T/wait.out" || fail "gqueue -w said: $(cat "$T/wait.out")"
expect_log "$CUBE"

# gprint -w waits itself and reports the end state.
out=$("$GPRINT" -w -T "second cube" "$CUBE") || fail "gprint -w: $out"
echo "$out" | grep -q "^mk3-[0-9]*: completed$" || fail "gprint -w said: $out"
expect_log "$CUBE" "$CUBE"

# Thumbnails in the file are kept beside the job, decoded; a bad one is
# left out.
{
	printf '; thumbnail begin 2x2 16\n; iVBORw0K\n; GgoAAAA=\n; thumbnail end\n'
	printf '; thumbnail_JPG begin 4x4 8\n; !!!!\n; thumbnail_JPG end\n'
	cat "$CUBE"
} > "$T/thumbs.gcode"
id=$(submit "$T/thumbs.gcode")
"$GQUEUE" -w "$id" > /dev/null || fail "the job with thumbnails did not complete"
printf '\211PNG\r\n\032\n\0\0\0' | cmp -s - "$T/spool/jobs/$id.d/thumb-2x2.png" ||
	fail "the thumbnail was not kept: $(ls -la "$T/spool/jobs/")"
[ ! -e "$T/spool/jobs/$id.d/thumb-4x4.jpg" ] || fail "a bad thumbnail was kept"
ls "$T/spool/tmp" | grep -q . && fail "left in tmp: $(ls "$T/spool/tmp")"

# A gzip-compressed file prints as the file it holds.
gzip -c "$CUBE" > "$T/cube.gcode.gz"
: > "$T/vprinter.log"
id=$(submit "$T/cube.gcode.gz")
"$GQUEUE" -w "$id" > /dev/null || fail "the compressed job did not complete"
expect_log "$CUBE"

# The queue is empty again and the printer ready.
"$GQUEUE" > "$T/q.out"
grep -qx "mk3 is ready" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
grep -qx "no entries" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
echo "PASS"
