#!/bin/sh
# What a user sees of the queue over time.  The history (gqueue
# --history): the caller's own ended jobs by default, everyone's with
# -a; a row a job with its date, duration, name, printer, result,
# layers, filament, title and reason, each column starting at the same
# offset on every row and as wide as its widest cell; a title too long
# for the line cut at a word's end, with "..."; --json with every
# field.  gqueue -r repeats until no job is left (two showings read
# through a pipe).  gqueue -w and gprint -w show a live line on a
# terminal and nothing more when piped; gprint says, on a terminal,
# what it waits for while spoold checks its file.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
gs_vprinter --command-ms 1
gs_spoold
me=$(id -un)
LONG="a calibration cube with a title much too long to be shown whole on one line"
short=$(submit "$CUBE" -T short.gcode)
long=$(submit "$CUBE" -T "$LONG")
held=$(submit "$CUBE" -q -T never-printed)
"$GQUEUE" -w "$short" "$long" > /dev/null || fail "the jobs did not print"
"$GCANCEL" "$held" > /dev/null || fail "gcancel $held"
others=
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null &&
    id nobody > /dev/null 2>&1; then
	chmod 755 "$T"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$GPRINT" -T nobodys.gcode < "$CUBE") || fail "gprint as nobody: $out"
	other=${out#request id is mk3-}; other=${other%% *}
	"$GQUEUE" -w "$other" > /dev/null || fail "nobody's job did not print"
	others=yes
fi

# 1. One's own history, aligned, in a line of 110 columns (more for a
# long user name).
# The Owner column is as wide as the caller's name (at least "Owner"):
# the line grows with it, so that the title has the same room for any
# user who runs the suite.
me=$(id -un)
[ ${#me} -gt 5 ] && wide=$((105 + ${#me})) || wide=110
COLUMNS=$wide "$GQUEUE" --history > "$T/h.out" || fail "gqueue --history"
head -n 1 "$T/h.out" | grep -q "^Date  *Duration  *Job  *Printer  *Owner  *Result  *Layers  *Filament  *Title  *Reason$" ||
	fail "the history's header: $(cat "$T/h.out")"
[ "$(wc -l < "$T/h.out")" = 4 ] || fail "not 3 jobs: $(cat "$T/h.out")"
grep -q nobody "$T/h.out" && fail "another's job in one's own history: $(cat "$T/h.out")"
# Each column starts where its header does, after a space; no line is
# wider than the line's width but for its reason, last and whole.
awk -v wide="$wide" '
	NR == 1 {
		rest = $0; off = 0
		while (match(rest, /[^ ]+/)) {
			col[++n] = off + RSTART; name[n] = substr(rest, RSTART, RLENGTH)
			off += RSTART + RLENGTH - 1; rest = substr(rest, RSTART + RLENGTH)
		}
		next
	}
	length($0) > wide && length($0) < col[n] { print "line " NR " is " length($0) " wide"; bad = 1 }
	{
		for (i = 2; i <= n; i++) {
			if (col[i] > length($0))
				continue	# an empty reason, last
			if (substr($0, col[i] - 1, 1) != " " || substr($0, col[i], 1) == " ") {
				print "line " NR ": " name[i] " is not at " col[i]; bad = 1
			}
		}
	}
	END { exit bad }' "$T/h.out" > "$T/awk.out" || fail "misaligned: $(cat "$T/awk.out") in $(cat "$T/h.out")"
# cell ROW NAME: the cell of column NAME (its header) in row ROW.
cell() {
	awk -v row="$1" -v name="$2" '
		NR == 1 {
			s = index($0, name); rest = substr($0, s + length(name))
			match(rest, /[^ ]/); e = RSTART ? s + length(name) + RSTART - 1 : 0
		}
		NR == row { v = e ? substr($0, s, e - s) : substr($0, s); sub(/ +$/, "", v); print v }
	' "$T/h.out"
}
# The latest first: the canceled job, then the long, then the short.
[ "$(cell 2 Job)" = "mk3-$held" ] || fail "row 2 is not mk3-$held: $(cat "$T/h.out")"
[ "$(cell 3 Job)" = "mk3-$long" ] || fail "row 3 is not mk3-$long: $(cat "$T/h.out")"
[ "$(cell 4 Job)" = "mk3-$short" ] || fail "row 4 is not mk3-$short: $(cat "$T/h.out")"
# The Job column is as wide as its widest name, and two spaces.
w=$(printf '%s\n' "mk3-$held" "mk3-$long" "mk3-$short" Job | awk '{ if (length($0) > m) m = length($0) } END { print m + 2 }')
head -n 1 "$T/h.out" | grep -q "Job$(printf "%$((w - 3))s" "")Printer" ||
	fail "the Job column is not $w wide: $(head -n 1 "$T/h.out")"
for r in 2 3 4; do
	cell $r Date | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}' ||
		fail "row $r: no date: $(cat "$T/h.out")"
	[ "$(cell $r Owner)" = "$(echo "$me" | cut -c1-64)" ] || fail "row $r: owner"
done
for r in 3 4; do
	cell $r Duration | grep -Eqx '[0-9]+s|[0-9]+m[0-9]{2}s|[0-9]+h[0-9]{2}m' ||
		fail "row $r: no duration: $(cat "$T/h.out")"
	[ "$(cell $r Printer)" = mk3 ] || fail "row $r: printer: $(cat "$T/h.out")"
	[ "$(cell $r Result)" = completed ] || fail "row $r: result: $(cat "$T/h.out")"
	[ "$(cell $r Layers)" = 100/100 ] || fail "row $r: layers: $(cat "$T/h.out")"
	[ "$(cell $r Filament)" = 1.23m/4g ] || fail "row $r: filament: $(cat "$T/h.out")"
done
[ "$(cell 2 Duration)" = - ] && [ "$(cell 2 Printer)" = - ] ||
	fail "the job never printed has a duration or printer: $(cat "$T/h.out")"
[ "$(cell 2 Result)" = canceled ] || fail "row 2: $(cat "$T/h.out")"
[ "$(cell 2 Reason)" = "canceled by request" ] || fail "row 2's reason: $(cat "$T/h.out")"
[ "$(cell 4 Title)" = short.gcode ] || fail "short title: $(cat "$T/h.out")"
# The long title, cut at a word's end.
t=$(cell 3 Title)
case "$t" in *...) ;; *) fail "the long title is not cut: $t" ;; esac
kept=${t%...}
case "$LONG" in "$kept "*) ;; *) fail "cut mid-word: '$t'" ;; esac
[ ${#kept} -ge 20 ] || fail "cut too short: '$t'"
# Wider, it is shown whole.
COLUMNS=200 "$GQUEUE" --history | grep -q "  $LONG" || fail "not whole in 200 columns"

# -a: everyone's; the jobs named: those.  --json: every field.
if [ -n "$others" ]; then
	"$GQUEUE" -a --history > "$T/ha.out"
	grep -q " mk3-$other  *mk3  *nobody  *completed " "$T/ha.out" ||
		fail "gqueue -a --history: $(cat "$T/ha.out")"
	"$GQUEUE" --history "$other" | grep -q " mk3-$other " || fail "a job named"
fi
"$GQUEUE" --history --json > "$T/h.json"
python3 - "$T/h.json" "$long" <<'PY' || fail "--json: $(cat "$T/h.json")"
import json, sys
q = json.load(open(sys.argv[1]))
j = [j for j in q["jobs"] if j["id"] == int(sys.argv[2])][0]
for k in ("name", "printer", "owner", "state", "reason", "title", "created",
          "started", "finished", "duration", "layer", "meta", "destination"):
    assert k in j, k
assert j["duration"] == j["finished"] - j["started"] >= 0
assert j["printer"] == "mk3" and j["name"] == "mk3-" + sys.argv[2]
assert j["meta"]["layers"] == 100 and j["meta"]["filament_mm"]
assert all(j["own"] for j in q["jobs"])
PY

# 2. gqueue -r 1: a showing each second, read through a pipe, while a
# held job is queued; with no job, one showing and it ends.
h=$(submit "$CUBE" -q -T waiting)
mkfifo "$T/r.fifo"
"$GQUEUE" -r 1 > "$T/r.fifo" &
rpid=$!
awk -v out="$T/r.out" '{ print > out } /^held .* waiting / && ++n == 2 { ok = 1; exit } END { exit !ok }' \
    < "$T/r.fifo" || fail "gqueue -r 1 did not show the queue twice: $(cat "$T/r.out")"
kill "$rpid" 2>/dev/null || true
wait "$rpid" 2>/dev/null || true
[ "$(grep -c "^held .* $h *waiting " "$T/r.out")" = 2 ] || fail "gqueue -r: $(cat "$T/r.out")"
grep -qx "" "$T/r.out" || fail "the showings are not a blank line apart: $(cat "$T/r.out")"
grep -q "$(printf '\033')" "$T/r.out" && fail "escapes in a pipe: $(cat -v "$T/r.out")"

# 3. gqueue -w on a terminal: a live line while the job waits, then its
# end; piped, the end alone.  Both name the job by its name, however
# it was given.
script -qec "'$GQUEUE' -w $h" "$T/typescript" > "$T/tty.out" < /dev/null &
spid=$!
"$WAITFOR" contains "$T/tty.out" "mk3-$h: held" || fail "no live line: $(cat -v "$T/tty.out")"
"$GQUEUE" -w "$h" > "$T/piped.out" &
ppid=$!
"$GCANCEL" "$h" > /dev/null || fail "gcancel $h"
wait "$spid" || true
wait "$ppid" || true
grep -q "$(printf '\033\\[K')mk3-$h: held" "$T/tty.out" || fail "gqueue -w on a terminal: $(cat -v "$T/tty.out")"
grep -q "$(printf '\033\\[K')mk3-$h: canceled: canceled by request" "$T/tty.out" ||
	fail "gqueue -w's end: $(cat -v "$T/tty.out")"
[ "$(cat "$T/piped.out")" = "mk3-$h: canceled: canceled by request" ] ||
	fail "gqueue -w piped: $(cat -v "$T/piped.out")"

# gprint -w, the same.
script -qec "'$GPRINT' -w -q -T tty-wait '$CUBE'" "$T/typescript" > "$T/tty.out" < /dev/null &
spid=$!
"$WAITFOR" contains "$T/tty.out" ": held" || fail "gprint -w: no live line: $(cat -v "$T/tty.out")"
g=$(sed -n 's/.*request id is mk3-\([0-9]*\) .*/\1/p' "$T/tty.out" | head -n 1)
"$GPRINT" -w -q -T piped-wait "$CUBE" > "$T/piped.out" &
ppid=$!
"$WAITFOR" contains "$T/piped.out" "request id is" || fail "gprint -w piped: $(cat "$T/piped.out")"
p=$(sed -n 's/^request id is mk3-\([0-9]*\) .*/\1/p' "$T/piped.out")
"$GCANCEL" "$g" "$p" > /dev/null || fail "gcancel $g $p"
wait "$spid" || true
wait "$ppid" || true
grep -q "$(printf '\033\\[K')mk3-$g: held" "$T/tty.out" || fail "gprint -w on a terminal: $(cat -v "$T/tty.out")"
[ "$(cat "$T/piped.out")" = "request id is mk3-$p (1 file(s))
mk3-$p: canceled: canceled by request" ] || fail "gprint -w piped: $(cat -v "$T/piped.out")"

# 4. While the worker checks a file: on a terminal, what gprint waits
# for, how much of the file the worker has read (nothing yet: it stands
# still) and for how long; piped, nothing.  The workers stand still (a
# test hook) until the terminal's line has come, a second or more after
# both began.
gs_stop_spoold
export GSPOOL_TEST_INGEST_STOP=1
gs_spoold
unset GSPOOL_TEST_INGEST_STOP
"$GPRINT" -q -T piped-check "$CUBE" > "$T/piped.out" 2>&1 &
ppid=$!
"$WAITFOR" count "$T/spoold.log" "stopped for a test" 1 || fail "no worker stopped"
script -qec "'$GPRINT' -q -T tty-check '$CUBE'" "$T/typescript" > "$T/tty.out" < /dev/null &
spid=$!
"$WAITFOR" count "$T/spoold.log" "stopped for a test" 2 || fail "no second worker stopped"
"$WAITFOR" contains "$T/tty.out" "spoold is checking tty-check: 0.0 of 0.1 MB (0%), " ||
	fail "gprint on a terminal: $(cat -v "$T/tty.out")"
for w in $(sed -n 's/.*ingest: worker \([0-9]*\) stopped for a test.*/\1/p' "$T/spoold.log"); do
	kill -CONT "$w" 2>/dev/null || true
done
wait "$ppid" || fail "gprint piped: $(cat "$T/piped.out")"
wait "$spid" || fail "gprint on a terminal: $(cat -v "$T/tty.out")"
grep -q "MB (0%), [0-9]* s" "$T/tty.out" || fail "no size or time: $(cat -v "$T/tty.out")"
grep -q "$(printf '\033\\[K')request id is mk3-" "$T/tty.out" || fail "the line was not cleared: $(cat -v "$T/tty.out")"
grep -qx "request id is mk3-[0-9]* (1 file(s))" "$T/piped.out" || fail "gprint piped: $(cat -v "$T/piped.out")"
echo "PASS"
