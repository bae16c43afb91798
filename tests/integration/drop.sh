#!/bin/sh
# The drop folder: files present at start-up, copied in, or renamed in
# are queued as the folder's user; temporary names wait for their
# rename; bad files move to rejected/ with a reason; spoold keeps going.
. "$top_srcdir/tests/integration/lib.sh"
gs_config "[printer mk4]" "device = $T/mk4.tty"
sed -i '/^\[spool\]/a drop_quiet = 3' "$GSPOOL_CONF"
gs_vprinter
me=$(id -un)
drop="$T/spool/drop/$me"
rej="$T/spool/rejected/$me"
mkdir -p "$drop"

# 1. Already there when spoold starts.
cp "$CUBE" "$drop/early.gcode"
gs_spoold
"$WAITFOR" gone "$drop/early.gcode" || fail "the start-up scan missed a file"
"$GQUEUE" -w 1 > /dev/null || fail "job 1 did not complete"

# 2. An upload under a temporary name waits for its rename.
cp "$CUBE" "$drop/upload.gcode.filepart"
printf 'G28\n' > "$drop/.hidden.gcode"
cp "$CUBE" "$drop/copied.gcode"
"$WAITFOR" gone "$drop/copied.gcode" || fail "a copied file was not taken"
[ -f "$drop/upload.gcode.filepart" ] || fail "a .filepart file was taken"
[ -f "$drop/.hidden.gcode" ] || fail "a dot-file was taken"
"$GQUEUE" -w 2 > /dev/null || fail "job 2 did not complete"
mv "$drop/upload.gcode.filepart" "$drop/upload.gcode"
"$WAITFOR" gone "$drop/upload.gcode" || fail "a renamed file was not taken"
"$GQUEUE" -w 3 > /dev/null || fail "job 3 did not complete"

# 3. Bad files: each rejected with a reason naming what and where.
reject() {	# name expected-reason-pattern
	"$WAITFOR" exists "$rej/$1.reason" || fail "$1 was not rejected"
	[ -f "$rej/$1" ] || fail "$1 was not kept in rejected/"
	[ ! -e "$drop/$1" ] || fail "$1 is still in the drop folder"
	grep -q "$2" "$rej/$1.reason" || fail "$1: reason is: $(cat "$rej/$1.reason")"
}
head -c 4096 "$SPOOLD" > "$drop/binary.gcode"
reject binary.gcode "not a text G-code file"
printf 'G28\nG1 X1\0\nG1 X2\n' > "$drop/nul.gcode"
reject nul.gcode "line 2: NUL byte"
: > "$drop/empty.gcode"
reject empty.gcode "empty file"
{ printf 'G28\n'; printf 'G1 X1 ; a comment that is long is fine %0200d\n' 0;
  printf 'M117 %0100d\n' 0; } > "$drop/long.gcode"
reject long.gcode "line 3: .* longer than the firmware's 95 bytes"
printf 'G28\nM104 S400\n' > "$drop/hot.gcode"
reject hot.gcode "line 2: M104 S400 sets 400 C, above the printer's max_hotend 285"
printf 'N10 G28*44\n' > "$drop/numbered.gcode"
reject numbered.gcode "line 1: .*checksum"
ln -s "$CUBE" "$drop/link.gcode"
reject link.gcode "symbolic link"
cp "$CUBE" "$T/outside.gcode"
ln "$T/outside.gcode" "$drop/hardlink.gcode"
reject hardlink.gcode "other hard links"
# A second file of the same name is kept beside the first.
printf 'G28\0' > "$drop/empty.gcode"
"$WAITFOR" exists "$rej/empty.gcode.1.reason" || fail "second empty.gcode not rejected"

# spoold is still serving, and nothing was queued from the bad files.
"$GQUEUE" > "$T/q.out" || fail "gqueue failed after the rejections"
grep -qx "no entries" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
kill -0 "$SPOOLD_PID" || fail "spoold died"

# 4. A subfolder named after a printer sends its files there; any other
# subfolder is left alone.
mkdir "$drop/mk4" "$drop/elsewhere"
cp "$CUBE" "$drop/elsewhere/stays.gcode"
cp "$CUBE" "$drop/mk4/for-mk4.gcode"
"$WAITFOR" gone "$drop/mk4/for-mk4.gcode" || fail "the mk4 subfolder was not taken"
"$GQUEUE" -P mk4 > "$T/q.out"
grep -q "^1st .* for-mk4.gcode " "$T/q.out" || fail "gqueue -P mk4: $(cat "$T/q.out")"
[ -f "$drop/elsewhere/stays.gcode" ] || fail "a file in an unknown subfolder was touched"

# 5. A name with a newline, a terminal escape and bytes that are not
# UTF-8 is queued under a title made safe to print (mk4 has no printer
# attached: the job waits, and gqueue shows it).
odd=$(printf 'odd\nname\033[31m\377.gcode')
cp "$CUBE" "$drop/mk4/$odd"
"$WAITFOR" gone "$drop/mk4/$odd" || fail "the odd name was not taken"
"$GQUEUE" -P mk4 > "$T/q.out"
grep -q "^2nd .* odd?name?\[31m?.gcode " "$T/q.out" || fail "gqueue -P mk4: $(cat -v "$T/q.out")"
grep -q "$(printf '\033')" "$T/q.out" && fail "an escape reached gqueue's output"

# 6. A file written in two goes is taken whole: closing it starts a
# quiet period (3 s here), and the second write restarts it.
printf 'G28\nG1 X10 Y10 F3000\n' > "$drop/two-goes.gcode"
printf 'G1 X20 Y20\nG1 X30 Y30\n' >> "$drop/two-goes.gcode"
cp "$drop/two-goes.gcode" "$T/two-goes.gcode"
"$WAITFOR" gone "$drop/two-goes.gcode" || fail "the two-part file was not taken"
"$GQUEUE" -w 6 > /dev/null || fail "job 6 did not complete: $("$GQUEUE" -w 6)"
expect_log "$CUBE" "$CUBE" "$CUBE" "$T/two-goes.gcode"

# 7. NAME.options, written before NAME, gives the job its options and
# goes with it.  One whose G-code has not come for a day is removed
# when spoold starts (and at its rescans); a fresh one waits.
printf 'title = Held bracket\nhold = yes\n' > "$drop/mk4/bracket.gcode.options"
cp "$CUBE" "$drop/mk4/bracket.gcode"
"$WAITFOR" gone "$drop/mk4/bracket.gcode" || fail "the file with options was not taken"
"$GQUEUE" -P mk4 --json > "$T/q.json"
grep -q '"title": "Held bracket"' "$T/q.json" || fail "options: $(cat "$T/q.json")"
grep -q '"state": "held"' "$T/q.json" || fail "options: the job is not held"
[ ! -e "$drop/mk4/bracket.gcode.options" ] || fail "the options file was left"
gs_stop_spoold
printf 'hold = yes\n' > "$drop/old.gcode.options"
touch -d '2 days ago' "$drop/old.gcode.options"
printf 'hold = yes\n' > "$drop/new.gcode.options"
gs_spoold
"$WAITFOR" gone "$drop/old.gcode.options" || fail "an orphan options file was kept"
[ -f "$drop/new.gcode.options" ] || fail "a fresh options file was removed"
grep -q 'old.gcode.options removed: no old.gcode came within a day' "$T/spoold.log" ||
    fail "the orphan's removal was not logged"
echo "PASS"
