#!/bin/sh
# A job is checked against the printer it is handed to, at the moment it
# is handed over (gspool(7), invariant 7): a job moved to a printer it
# does not fit is held with the reason, and nothing of it reaches the
# printer; after a change of the configuration a queued job is checked
# again; a class's job waits for a member it fits, and is held once it
# fits none.
. "$top_srcdir/tests/integration/lib.sh"

# mk3 (max_bed given per run) and mk4 (max_bed 120), one class of both.
config() {	# mk3's max_bed
	gs_config "max_bed = $1" "" "[printer mk4]" "device = $T/mk4.tty" \
	    "handshake_timeout = 5" "reconnect_interval = 1" "clears_bed = yes" \
	    "max_bed = 120" "" "[class farm]" "printers = mk3 mk4"
}
config 100
gs_vprinter --command-ms 1
"$VPRINTER" -o "$T/vprinter4.log" --command-ms 1 "$T/mk4.tty" 2>>"$T/vprinter4.err" &
"$WAITFOR" exists "$T/mk4.tty" || fail "the second printer did not start"
gs_spoold
printf 'G28\nM190 S110\nG1 Z5\nG1 X10 Y10 E1\n' > "$T/hot.gcode"
wait_log() {	# the text spoold logs, the Nth time
	"$WAITFOR" count "$T/spool.log.link" "$1" "${2:-1}" ||
		fail "spoold did not log '$1'"
}
ln -s "$T/spoold.log" "$T/spool.log.link"
state() {	# JOB: its state and reason, as gqueue --json says
	"$GQUEUE" -a --json "$1" | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p' | head -n 1
}

# 1. gpc move: refused for mk3 at ingest, queued for mk4 (disabled),
# then moved onto mk3, where its lines name it mk4-ID still.
"$GPRINT" -P mk3 "$T/hot.gcode" 2> "$T/err" && fail "mk3 took a bed of 110 C"
grep -q "line 2: M190 S110 sets 110 C, above the printer's max_bed 100" "$T/err" ||
	fail "gprint said: $(cat "$T/err")"
"$GPC" disable mk4 || fail "gpc disable mk4"
out=$("$GPRINT" -P mk4 "$T/hot.gcode") || fail "mk4 refused the job"
id=${out#request id is mk4-}; id=${id%% *}
"$GPC" move "$id" mk3 || fail "gpc move $id mk3"
wait_log "mk4-$id: held: does not fit mk3: line 2: M190 S110 sets 110 C, above the printer's max_bed 100"
[ "$(state "$id")" = held ] || fail "job $id is $(state "$id"), not held"
"$GQUEUE" -l "$id" > "$T/l.out"
grep -q "does not fit mk3: line 2: M190 S110" "$T/l.out" || fail "gqueue -l: $(cat "$T/l.out")"
[ ! -s "$T/vprinter.log" ] || fail "mk3 was sent some of the job: $(cat "$T/vprinter.log")"
# Released, it is checked again and held again: still nothing sent.
"$GPC" release "$id" || fail "gpc release"
wait_log "mk4-$id: held: does not fit mk3" 2
[ ! -s "$T/vprinter.log" ] || fail "mk3 was sent some of the job after a release"
# Moved back to mk4, it prints there.
"$GPC" move "$id" mk4 || fail "gpc move $id mk4"
"$GPC" release "$id" || fail "gpc release on mk4"
"$GPC" enable mk4
"$GQUEUE" -w "$id" > /dev/null || fail "job $id did not print on mk4"
cmp -s "$T/vprinter4.log" - <<LOG || fail "mk4's log: $(cat "$T/vprinter4.log")"
G28
M190 S110
G1 Z5
G1 X10 Y10 E1
LOG
: > "$T/vprinter4.log"

# 2. A change of the configuration: queued for mk3 while its limit is
# 120 C, then mk3's limit drops to 100 C across a restart.
gs_stop_spoold
config 120
gs_spoold
"$GPC" disable mk3
"$GPC" disable mk4
out=$("$GPRINT" -P mk3 "$T/hot.gcode") || fail "mk3 at 120 C refused the job"
id2=${out#request id is mk3-}; id2=${id2%% *}
out=$("$GPRINT" -P farm "$T/hot.gcode") || fail "farm at 120 C refused the job"
id3=${out#request id is farm-}; id3=${id3%% *}
gs_stop_spoold
config 100
gs_spoold
"$GPC" enable mk3
wait_log "mk3-$id2: held: does not fit mk3: line 2: M190 S110 sets 110 C, above the printer's max_bed 100"
# The class's job is unfit for mk3, and waits for mk4.
wait_log "farm-$id3: does not fit mk3: line 2: M190 S110"
[ "$(state "$id3")" = pending ] || fail "farm's job is $(state "$id3") while mk4 may take it"
[ ! -s "$T/vprinter.log" ] || fail "mk3 was sent a job it does not fit: $(cat "$T/vprinter.log")"
"$GPC" enable mk4
"$GQUEUE" -w "$id3" > /dev/null || fail "farm's job did not print on mk4"
"$GQUEUE" -a --json --history "$id3" | grep -q '"printer": "mk4"' ||
	fail "farm's job ran on: $("$GQUEUE" -a --json --history "$id3")"
[ ! -s "$T/vprinter.log" ] || fail "mk3 printed a job it does not fit"
: > "$T/vprinter4.log"

# 3. A class whose every member refuses the job: held, with the reason.
"$GPC" disable mk4
out=$("$GPRINT" -P mk4 -q "$T/hot.gcode") || fail "mk4 refused the job"
id4=${out#request id is mk4-}; id4=${id4%% *}
"$GPC" move "$id4" farm || fail "gpc move $id4 farm"
"$GPC" release "$id4" || fail "gpc release $id4"
wait_log "mk4-$id4: does not fit mk3: line 2: M190 S110"
gs_stop_spoold
sed -i 's/^max_bed = 120$/max_bed = 100/' "$GSPOOL_CONF"
gs_spoold
"$GPC" enable mk4
wait_log "mk4-$id4: held: fits no printer of farm"
[ "$(state "$id4")" = held ] || fail "job $id4 is $(state "$id4"), not held"
[ ! -s "$T/vprinter.log" ] && [ ! -s "$T/vprinter4.log" ] ||
	fail "a printer was sent a job that fits none"

# 4. A file in Klipper's dialect: queued while mk3's firmware is not yet
# known, it is held once mk3 says it runs Marlin; once known, it is
# refused at once.
gs_stop_spoold
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
"$WAITFOR" gone "$T/mk3.tty" || fail "the virtual printer did not stop"
: > "$T/vprinter.log"
gs_spoold
printf 'PRINT_START EXTRUDER=215 BED=60\nG1 X10 Y10 E1\nPRINT_END\n' > "$T/kl.gcode"
id5=$(submit "$T/kl.gcode")
gs_vprinter --command-ms 1
wait_log "mk3-$id5: held: does not fit mk3: line 1: 'PRINT_START EXTRUDER=215 BED=60' is a Klipper command"
[ ! -s "$T/vprinter.log" ] || fail "mk3 was sent a Klipper job: $(cat "$T/vprinter.log")"
# Another user sees why it waits, not the line of the file it quotes.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
	chmod 755 "$T"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$GQUEUE" -l "$id5" > "$T/l.out" 2>&1 ||
		fail "gqueue as nobody: $(cat "$T/l.out")"
	grep -q "does not fit mk3: line 1: '(hidden)' is a Klipper command" "$T/l.out" ||
		fail "the reason as another user sees it: $(cat "$T/l.out")"
	grep -q "EXTRUDER" "$T/l.out" && fail "the file's line shown to another user: $(cat "$T/l.out")"
fi
"$GPRINT" -P mk3 "$T/kl.gcode" 2> "$T/err" && fail "mk3 took a Klipper job once it runs Marlin"
grep -q "line 1: 'PRINT_START EXTRUDER=215 BED=60' is a Klipper command (a macro or an extended command), and this printer runs Marlin" "$T/err" ||
	fail "gprint said: $(cat "$T/err")"
echo "PASS"
