#!/bin/sh
# SIGHUP reads gspool.conf anew and applies it, as cupsd does, without
# stopping a print: a printer and a class added take jobs; a file with
# errors changes nothing; max_bed lowered on an idle printer holds a job
# at handover, raised again lets it print; a printer changed while it
# prints finishes its job on the old settings (its old resume G-code)
# and the next job takes the new (checked again, and the new resume
# G-code); a setting of the backend restarts it; a printer removed
# while it prints stops accepting at once, holds its queued job, lets
# its job finish and then goes; an idle one goes at once; a class
# removed holds its job, which gpc release refuses and gpc move sends
# on; [spool] directory needs a restart.  Each change
# is logged on a line of its own.
. "$top_srcdir/tests/integration/lib.sh"

# mk3 with a resume G-code that says which settings it is, and max_bed;
# the rest of the arguments are more lines of the file.
conf() {
	resume=$1 bed=$2
	shift 2
	gs_config "resume_gcode = M117 $resume" "max_bed = $bed" "$@"
}
MK4="[printer mk4]
device = $T/mk4.tty
handshake_timeout = 5
reconnect_interval = 1
clears_bed = yes"
SHOP="[class shop]
printers = mk3 mk4"

log() {	# wait until spoold has logged TEXT (N times)
	"$WAITFOR" count "$T/spoold.log" "$1" "${2:-1}" ||
		fail "spoold did not log '$1' (${2:-1} times)"
}
HUPS=0
hup() {	# SIGHUP, and wait for the reload to be applied
	HUPS=$((HUPS + 1))
	kill -HUP "$SPOOLD_PID"
	log "reload: $GSPOOL_CONF applied" "$HUPS"
}
submit_to() {	# DEST FILE: the job's id
	out=$("$GPRINT" -P "$1" "$2") || fail "gprint -P $1 $2: exit $?"
	case "$out" in
	"request id is $1-"*) ;;
	*) fail "gprint -P $1 said: $out" ;;
	esac
	out=${out#request id is "$1"-}
	echo "${out%% *}"
}
state() {	# JOB: its state
	"$GQUEUE" -a --json "$1" | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p' | head -n 1
}
ready_count() {
	grep -c "$1: the printer is ready" "$T/spoold.log" || true
}
pause_at() {	# PRINTER LOG LINES JOB: pause JOB once LOG has LINES lines
	"$WAITFOR" lines "$2" "$3" || fail "$4 did not start on $1"
	"$GPC" pause "$1" || fail "gpc pause $1"
	log "$1-$4: paused"
}

conf old 120
gs_vprinter --command-ms 2
"$VPRINTER" -o "$T/vprinter4.log" --command-ms 2 "$T/mk4.tty" 2>>"$T/vprinter4.err" &
"$WAITFOR" exists "$T/mk4.tty" || fail "the second printer did not start"
gs_spoold
log "mk3: the printer is ready"
printf 'G28\nM190 S110\nG1 Z5\nG1 X10 Y10 E1\n' > "$T/hot.gcode"
cp "$GSPOOL_CONF" "$T/good.conf"

# 1. A printer and a class added: each logged, and each takes a job.
conf old 120 "" "$MK4" "" "$SHOP"
hup
log "SIGHUP: rescanning the drop folders"
log "reload: printer mk4 added"
log "reload: class shop added"
log "mk4: the printer is ready"
"$GPC" status mk4 > "$T/st.out" || fail "gpc status mk4: $(cat "$T/st.out")"
id=$(submit_to mk4 "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "mk4 after its reload: $(cat "$T/wait.out")"
gcode_commands "$CUBE" > "$T/cube.log"
cmp -s "$T/cube.log" "$T/vprinter4.log" || fail "mk4 did not print the cube whole"
id=$(submit_to shop "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "shop after its reload: $(cat "$T/wait.out")"
cp "$GSPOOL_CONF" "$T/two.conf"

# 2. A file with an error, at its line: all of it is refused, and mk4
# and shop stay.
sed -e '/^\[printer mk4\]/,$d' "$T/two.conf" > "$GSPOOL_CONF"
echo "no_such_key = 1" >> "$GSPOOL_CONF"
line=$(grep -n '^no_such_key' "$GSPOOL_CONF" | cut -d: -f1)
kill -HUP "$SPOOLD_PID"
log "the running configuration is kept"
grep -q "reload: $GSPOOL_CONF:$line: unknown key 'no_such_key'" "$T/spoold.log" ||
	fail "the error was not logged at its line ($line): $(grep reload: "$T/spoold.log")"
grep -q "reload: printer mk4 removed" "$T/spoold.log" &&
	fail "a file with errors was applied"
"$GPC" status mk4 > /dev/null || fail "a file with errors removed mk4"
# An unreadable file is refused too.
rm "$GSPOOL_CONF"
kill -HUP "$SPOOLD_PID"
log "the running configuration is kept" 2
grep -q "reload: $GSPOOL_CONF: cannot read" "$T/spoold.log" ||
	fail "the missing file was not named"
cp "$T/two.conf" "$GSPOOL_CONF"

# 3. max_bed on an idle printer: a job queued at 120 C is checked again
# at handover once the limit is 100 C, and held; at 120 C again, it
# prints.
"$GPC" disable mk3
hot=$(submit_to mk3 "$T/hot.gcode")
conf old 100 "" "$MK4" "" "$SHOP"
hup
log "reload: printer mk3 changed (max_bed)"
grep -q "reload: printer mk3 changed (max_bed), applies after" "$T/spoold.log" &&
	fail "an idle printer's change waited for a job"
"$GPC" enable mk3
log "mk3-$hot: held: does not fit mk3: line 2: M190 S110 sets 110 C, above the printer's max_bed 100"
conf old 120 "" "$MK4" "" "$SHOP"
hup
log "reload: printer mk3 changed (max_bed)" 2
"$GPC" release "$hot" || fail "gpc release $hot"
"$GQUEUE" -w "$hot" > "$T/wait.out" || fail "the hot job at 120 C: $(cat "$T/wait.out")"

# 4. mk3 changed while it prints (paused, so that it prints for as long
# as the test needs): the job goes on with the old settings, and ends
# with the old resume G-code; the job queued meanwhile is checked
# against the new ones and held; the next runs the new resume G-code.
base=$(wc -l < "$T/vprinter.log")
a=$(submit_to mk3 "$CUBE")
pause_at mk3 "$T/vprinter.log" $((base + 400)) "$a"
b=$(submit_to mk3 "$T/hot.gcode")
conf new 100 "" "$MK4" "" "$SHOP"
hup
log "reload: printer mk3 changed (max_bed, resume_gcode), applies after job mk3-$a"
[ "$(state "$b")" = pending ] || fail "job $b is $(state "$b") while mk3 prints"
"$GPC" resume mk3 || fail "gpc resume mk3"
"$GQUEUE" -w "$a" > "$T/wait.out" || fail "job $a across the reload: $(cat "$T/wait.out")"
grep -q "M117 old" "$T/vprinter.log" || fail "job $a did not resume with its old resume G-code"
grep -q "M117 new" "$T/vprinter.log" && fail "job $a took the new resume G-code"
log "reload: printer mk3 takes its new settings (max_bed, resume_gcode) after job mk3-$a"
log "mk3-$b: held: does not fit mk3: line 2: M190 S110 sets 110 C, above the printer's max_bed 100"
base=$(wc -l < "$T/vprinter.log")
c=$(submit_to mk3 "$CUBE")
pause_at mk3 "$T/vprinter.log" $((base + 400)) "$c"
"$GPC" resume mk3 || fail "gpc resume mk3"
"$GQUEUE" -w "$c" > "$T/wait.out" || fail "job $c: $(cat "$T/wait.out")"
grep -q "M117 new" "$T/vprinter.log" || fail "job $c did not take the new resume G-code"
[ "$(grep -c "M117 old" "$T/vprinter.log")" -eq 1 ] || fail "job $c ran the old resume G-code"

# 5. A setting of the backend, on an idle printer: the backend is
# restarted on it, and the printer prints.
n=$(ready_count mk3)
conf new 100 "window = 2" "" "$MK4" "" "$SHOP"
hup
log "reload: printer mk3 changed (window)"
log "reload: printer mk3: its backend restarts on the new settings"
log "mk3: the printer is ready" $((n + 1))
id=$(submit_to mk3 "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "mk3 on its new backend: $(cat "$T/wait.out")"

# 6. mk4 removed while it prints: it refuses new jobs at once and holds
# the one queued for it; its job finishes, then it goes.
: > "$T/vprinter4.log"
e=$(submit_to mk4 "$CUBE")
pause_at mk4 "$T/vprinter4.log" 200 "$e"
f=$(submit_to mk4 "$CUBE")
conf new 100 "window = 2" "" "[class shop]" "printers = mk3"
hup
log "reload: printer mk4 removed; it goes after job mk4-$e"
log "reload: class shop changed (printers)"
log "reload: printer mk4: 1 pending job held: printer mk4 was removed from the configuration"
[ "$(state "$f")" = held ] || fail "mk4's queued job is $(state "$f"), not held"
"$GPRINT" -P mk4 "$CUBE" 2> "$T/err" && fail "a removed printer took a job"
grep -q "mk4: unknown printer or class" "$T/err" || fail "gprint -P mk4: $(cat "$T/err")"
# spoold refuses it too, to a client that read the file before.
GSPOOL_CONF="$T/two.conf" "$GPRINT" -P mk4 "$CUBE" 2> "$T/err" &&
	fail "spoold gave a removed printer a job"
grep -q "rejected: mk4: unknown printer or class" "$T/err" || fail "gprint -P mk4: $(cat "$T/err")"
# gpc, given the file that names mk4, reaches spoold's mk4 while it
# prints, and only then.
GSPOOL_CONF="$T/two.conf" "$GPC" status mk4 > "$T/st.out" ||
	fail "mk4 went before its job ended"
grep -q "not accepting jobs: removed from the configuration" "$T/st.out" ||
	fail "gpc status of the removed mk4: $(cat "$T/st.out")"
grep -q "^	paused mk4-$e: " "$T/st.out" || fail "gpc status mk4: $(cat "$T/st.out")"
GSPOOL_CONF="$T/two.conf" "$GPC" resume mk4 ||
	fail "gpc resume on a removed printer that prints"
"$GQUEUE" -w "$e" > "$T/wait.out" || fail "mk4's last job: $(cat "$T/wait.out")"
log "reload: printer mk4 removed: job mk4-$e has ended"
GSPOOL_CONF="$T/two.conf" "$GPC" status mk4 > "$T/st.out" 2>&1 &&
	fail "mk4 stayed after its job"
grep -q "mk4: unknown printer" "$T/st.out" || fail "gpc status mk4: $(cat "$T/st.out")"
# Its held job: gpc release refuses it (it would wait for good) and says
# what to do, as gqueue does; gpc move ends that hold and its reason,
# and every line about it names it as it was submitted.
"$GQUEUE" -l "$f" | grep -q "printer mk4 was removed from the configuration; gpc move the job to another printer or class" ||
	fail "gqueue -l $f does not say what to do: $("$GQUEUE" -l "$f")"
rc=0
"$GPC" release "$f" 2> "$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "gpc release of a job whose printer went: exit $rc"
grep -q "mk4-$f: its destination mk4 no longer exists (it was removed from the configuration); gpc move mk4-$f DEST" "$T/err" ||
	fail "gpc release mk4-$f: $(cat "$T/err")"
[ "$(state "$f")" = held ] || fail "a refused release changed mk4-$f: $(state "$f")"
"$GPC" move "$f" mk3 || fail "gpc move mk4-$f mk3"
"$GQUEUE" -a -l "$f" > "$T/q.out"
grep -q "removed" "$T/q.out" && fail "the moved job keeps its stale reason: $(cat "$T/q.out")"
log "mk4-$f: moved to mk3 by "
"$GQUEUE" -w "$f" > "$T/wait.out" || fail "the moved job: $(cat "$T/wait.out")"
log "mk4-$f: sent to the printer"
grep -E "^spoold: .*mk3-$f([^0-9]|\$)" "$T/spoold.log" && fail "spoold named mk4-$f by the printer it moved to"

# 7. mk4 added back, then removed idle: it goes at once.  A class
# removed holds its queued job.
n=$(ready_count mk4)
conf new 100 "window = 2" "" "$MK4" "" "$SHOP"
hup
log "reload: printer mk4 added" 2
log "mk4: the printer is ready" $((n + 1))
"$GPC" disable shop
g=$(submit_to shop "$CUBE")
conf new 100 "window = 2"
hup
[ "$(grep -c "reload: printer mk4 removed$" "$T/spoold.log")" -eq 1 ] ||
	fail "the idle mk4's removal: $(grep "reload: printer mk4" "$T/spoold.log")"
[ "$(grep -c "reload: printer mk4 removed; it goes after" "$T/spoold.log")" -eq 1 ] ||
	fail "the idle mk4 waited for a job"
log "reload: class shop removed"
log "reload: class shop: 1 pending job held: class shop was removed from the configuration"
GSPOOL_CONF="$T/two.conf" "$GPC" status mk4 > "$T/st.out" 2>&1 &&
	fail "the idle mk4 stayed"
[ "$(state "$g")" = held ] || fail "shop's job is $(state "$g"), not held"
"$GQUEUE" -l "$g" | grep -q "class shop was removed from the configuration; gpc move the job" ||
	fail "gqueue -l $g does not say why it is held: $("$GQUEUE" -l "$g")"
rc=0
"$GPC" release "shop-$g" 2> "$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "gpc release of a job whose class went: exit $rc"
grep -q "shop-$g: its destination shop no longer exists (it was removed from the configuration); gpc move shop-$g DEST" "$T/err" ||
	fail "gpc release shop-$g: $(cat "$T/err")"
"$GPC" move "$g" mk3 || fail "gpc move shop-$g mk3"
"$GQUEUE" -w "$g" > "$T/wait.out" || fail "the class's moved job: $(cat "$T/wait.out")"
log "shop-$g: sent to the printer"

# 8. [spool] directory cannot change while spoold runs: logged, the old
# one kept, and mk3 prints on.
conf new 100 "window = 2"
sed -i -e "s|^directory = .*|directory = $T/elsewhere|" "$GSPOOL_CONF"
hup
log "reload: [spool] directory changed: needs a restart"
[ ! -e "$T/elsewhere" ] || fail "the new spool directory was made"
conf new 100 "window = 2"	# the commands read it too
id=$(submit_to mk3 "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "mk3 after a reload: $(cat "$T/wait.out")"
exit 0
