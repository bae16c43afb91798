#!/bin/sh
# One name per job (gspool(7), JOB NAMES): a job keeps the name it was
# submitted under, DEST-ID, when a class's member prints it and when
# gpc move sends it to another printer, and the printer it is on is
# shown beside it.  gcancel, gpc, gqueue and gprint --reprint take the
# number alone or that full name, and refuse the number with any other
# prefix (exit 1), saying what the job is called; the job is left as it
# was, and what spoold refuses of it names it so.
. "$top_srcdir/tests/integration/lib.sh"

# mk3, and mk4, which goes silent after 20 commands: the job it takes
# stays printing there.  farm is both.
gs_config "" "[printer mk4]" "device = $T/mk4.tty" "handshake_timeout = 5" \
    "reconnect_interval = 1" "clears_bed = yes" "" "[class farm]" \
    "printers = mk3 mk4"
gs_vprinter --command-ms 1
"$VPRINTER" -o "$T/vprinter4.log" --silent-after 20 "$T/mk4.tty" \
    2>>"$T/vprinter4.err" &
"$WAITFOR" exists "$T/mk4.tty" || fail "the second printer did not start"
gs_spoold
"$GPC" disable mk3 || fail "gpc disable mk3"
state() {	# JOB: its state, as gqueue --json says
	"$GQUEUE" -a --json "$1" | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p' | head -n 1
}

# 1. A class's job, printed by mk4, is farm-ID on every screen.
out=$("$GPRINT" -P farm "$CUBE") || fail "gprint -P farm"
id=${out#request id is farm-}; id=${id%% *}
"$WAITFOR" lines "$T/vprinter4.log" 20 || fail "mk4 did not start farm-$id"
"$GQUEUE" -a > "$T/q.out"
grep -q "^	[a-z]* farm-$id: layer " "$T/q.out" || fail "gqueue -a: $(cat "$T/q.out")"
grep -q "mk4-$id" "$T/q.out" && fail "two names on one screen: $(cat "$T/q.out")"
"$GPC" status mk4 > "$T/s.out"
grep -q "^	[a-z]* farm-$id: layer " "$T/s.out" || fail "gpc status: $(cat "$T/s.out")"
"$GQUEUE" -l "farm-$id" > "$T/l.out" || fail "gqueue -l farm-$id: $(cat "$T/l.out")"
grep -q "^	farm-$id: processing, priority 50, on mk4$" "$T/l.out" ||
	fail "gqueue -l: $(cat "$T/l.out")"
"$GQUEUE" --json "$id" | grep -q "\"name\": \"farm-$id\"" || fail "--json name"

# The number with the printer's prefix, or another's, is refused by
# every command, with what the job is called.
for c in "$GCANCEL mk4-$id" "$GPC hold mk4-$id" "$GPC top mk3-$id" \
    "$GPC priority mk4-$id 70" "$GQUEUE mk4-$id" "$GQUEUE -w mk4-$id" \
    "$GPRINT --reprint mk4-$id"; do
	rc=0
	# shellcheck disable=SC2086
	$c > "$T/out" 2> "$T/err" || rc=$?
	[ $rc = 1 ] || fail "$c: exit $rc, not 1: $(cat "$T/err")"
	grep -q ": mk[34]-$id: job $id is farm-$id (on mk4), not mk[34]-$id$" \
	    "$T/err" || fail "$c: $(cat "$T/err")"
done
[ "$(state "$id")" = processing ] || fail "farm-$id is $(state "$id")"
"$GQUEUE" --json "$id" | grep -q '"priority": 50' || fail "the priority changed"
grep -q "request id" "$T/out" && fail "a wrong name was reprinted"

# 2. A job moved to another printer keeps its name.
out=$("$GPRINT" -P mk4 "$CUBE") || fail "gprint -P mk4"
id2=${out#request id is mk4-}; id2=${id2%% *}
"$GPC" move "mk4-$id2" mk3 || fail "gpc move mk4-$id2 mk3"
"$GQUEUE" --json "$id2" > "$T/j.json"
grep -q "\"name\": \"mk4-$id2\"" "$T/j.json" || fail "moved, renamed: $(cat "$T/j.json")"
grep -q '"destination": "mk3"' "$T/j.json" || fail "not moved: $(cat "$T/j.json")"
"$GPC" priority "$id2" 60 || fail "gpc priority by number"
"$GPC" top "mk3-$id2" 2> "$T/err" && fail "gpc top mk3-$id2 succeeded"
grep -qx "gpc: mk3-$id2: job $id2 is mk4-$id2, not mk3-$id2" "$T/err" ||
	fail "gpc top mk3-$id2: $(cat "$T/err")"
"$GPC" enable mk3 || fail "gpc enable mk3"
out=$("$GQUEUE" -w "mk4-$id2") || fail "mk4-$id2 did not print: $out"
[ "$out" = "mk4-$id2: completed" ] || fail "gqueue -w mk4-$id2: $out"
grep -q "^M84" "$T/vprinter.log" || fail "mk3 did not print mk4-$id2"
# The history names it, and the printer beside it.
"$GQUEUE" --history > "$T/h.out"
grep -q " mk4-$id2  *mk3  " "$T/h.out" || fail "history: $(cat "$T/h.out")"
# What spoold refuses names it so too, not by the printer it went to.
"$GPC" hold "$id2" 2> "$T/err" && fail "gpc hold: held an ended job"
grep -qx "gpc: mk4-$id2 is completed; only a job waiting to print can be changed" \
    "$T/err" || fail "gpc hold $id2: $(cat "$T/err")"
"$GCANCEL" "$id2" 2> "$T/err" && fail "gcancel: canceled an ended job"
grep -qx "gcancel: $id2: mk4-$id2 is already completed" "$T/err" ||
	fail "gcancel $id2: $(cat "$T/err")"

# 3. By its number alone, or its full name.
"$GCANCEL" -f "$id" > "$T/out" || fail "gcancel $id"
[ "$(cat "$T/out")" = "canceled farm-$id on mk4 (calibration-cube.gcode)" ] ||
	fail "gcancel $id said: $(cat "$T/out")"
"$GPC" disable mk3 mk4 || fail "gpc disable mk3 mk4"
out=$("$GPRINT" --reprint "farm-$id") || fail "gprint --reprint farm-$id"
case "$out" in "request id is farm-"*) ;; *) fail "reprint: $out" ;; esac
id3=${out#request id is farm-}; id3=${id3%% *}
"$GPC" hold "farm-$id3" || fail "gpc hold farm-$id3"
"$GCANCEL" "farm-$id3" > "$T/out" || fail "gcancel farm-$id3"
[ "$(cat "$T/out")" = "canceled farm-$id3 (calibration-cube.gcode)" ] ||
	fail "gcancel farm-$id3 said: $(cat "$T/out")"
echo "PASS"
