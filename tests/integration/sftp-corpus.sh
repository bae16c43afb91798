#!/bin/sh
# Real slicer output from the shared corpus, uploaded through gsftpd
# with OpenSSH's sftp and with gprint -H, is queued as the account and
# printed command for command; a laser job uploaded the same way is
# rejected with its reason.  The printer runs Klipper (two of the files
# call its macros), so the virtual printer runs extended commands.
. "$top_srcdir/tests/integration/lib.sh"
need_corpus
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
gs_config "firmware = klipper" "[sftp]" "listen = 127.0.0.1:0" "[account alice]" "keys = $T/alice.keys"
gs_sftp_key alice
export HOME="$T/home"
mkdir -p "$HOME/.ssh"
cp "$T/alice" "$HOME/.ssh/id_ed25519"
gs_vprinter --extended
gs_spoold
gs_gsftpd
cp "$T/known_hosts" "$HOME/.ssh/known_hosts"

f1="$CORPUS/prusaslicer-2.8.1-mini-cube.gcode"
f2="$CORPUS/cura-4.10-klipper-multi-mesh.gcode"	# CRLF line ends
f3="$CORPUS/superslicer-2.3.56-cubes.gcode"
# One after the other: files taken in side by side are queued as each
# is done, and the printer's log is compared in the queue's order.
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $f1 drop/cube.gcode
B
"$WAITFOR" gone "$T/spool/drop/alice/cube.gcode" || fail "cube.gcode was not taken"
as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $f2 drop/multi.gcode
B
"$WAITFOR" gone "$T/spool/drop/alice/multi.gcode" || fail "multi.gcode was not taken"
"$GPRINT" -H "alice@127.0.0.1:$PORT" -T cubes "$f3" > "$T/out" || fail "gprint -H: $(cat "$T/out")"
"$WAITFOR" gone "$T/spool/drop/alice/superslicer-2.3.56-cubes.gcode" ||
    fail "the gprint -H upload was not taken"
"$GQUEUE" -w 1 2 3 > "$T/wait.out" || fail "not every job completed: $(cat "$T/wait.out")"
"$GQUEUE" -a --history --json > "$T/h.json"
[ "$(grep -c '"owner": "alice"' "$T/h.json")" = 3 ] || fail "the jobs are not alice's: $(cat "$T/h.json")"
grep -q '"title": "cubes"' "$T/h.json" || fail "gprint -H: the title was lost"
expect_log "$f1" "$f2" "$f3"

as_sftp alice > "$T/out" 2>&1 <<B || { cat "$T/out"; fail "sftp put"; }
put $CORPUS/laser-grbl-etch-test.nc drop/etch.nc
B
"$WAITFOR" exists "$T/spool/rejected/alice/etch.nc.reason" || fail "the laser job was not rejected"
grep -q 'line 3: turns a laser or a spindle on' "$T/spool/rejected/alice/etch.nc.reason" ||
    fail "laser job: $(cat "$T/spool/rejected/alice/etch.nc.reason")"
gs_stop_gsftpd
echo "PASS"
