#!/bin/sh
# make demo: one job printed end to end on the virtual printer, in a
# temporary directory that is removed afterwards.  Headings are bold on a
# terminal and plain text otherwise (a log, a pipe): no escape codes.
#   demo.sh BUILDDIR SRCDIR
set -eu
B=$1 S=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/gspool-demo.XXXXXX")
CUBE="$S/examples/calibration-cube.gcode"
export GSPOOL_CONF="$T/gspool.conf"
VP= SP=
cleanup() {
	rc=$?
	set +e		# clean-up goes on whatever is already gone
	[ -n "$SP" ] && kill "$SP" 2>/dev/null
	[ -n "$VP" ] && kill "$VP" 2>/dev/null
	pkill -f -- "$T/" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
if [ -t 1 ]; then
	BOLD=$(printf '\033[1m') PLAIN=$(printf '\033[0m')
else
	BOLD= PLAIN=
fi
say() { printf '\n%s%s%s\n' "$BOLD" "$*" "$PLAIN"; }
run() {
	cmd=$1
	shift
	printf '$ %s %s\n' "$(basename "$cmd")" "$*"
	"$cmd" "$@"
}

cat > "$GSPOOL_CONF" <<CONF
[spool]
directory = $T/spool
backend_dir = $B/backends
magic = $B/magic/gcode.mgc
$( [ "$(id -u)" -eq 0 ] && printf '%s\n' "# Run as root: spoold stays root here (the installed service" \
    "# runs it as its own user, _gspool)." "user = root" )

[printer mk3]
description = the built-in virtual printer
device = $T/mk3.tty
CONF

say "gspool demo: a calibration cube on the virtual printer, in $T"
say "1. A virtual Marlin printer (1 ms per command, so the print can be watched)"
printf '$ gspool-vprinter --command-ms 1 -o printer.log mk3.tty &\n'
"$B/vprinter/gspool-vprinter" --command-ms 1 -o "$T/printer.log" "$T/mk3.tty" &
VP=$!
"$B/tests/integration/waitfor" exists "$T/mk3.tty"

say "2. The spooler"
printf '$ spoold -d -c gspool.conf &\n'
"$B/spoold/spoold" -d -c "$GSPOOL_CONF" 2> "$T/spoold.log" &
SP=$!
"$B/tests/integration/waitfor" exists "$T/spool/control"

say "3. Submit the cube"
out=$("$B/lpr-tools/gprint" "$CUBE")
printf '$ gprint %s\n%s\n' "$(basename "$CUBE")" "$out"
job=${out#request id is }
job=${job%% *}

say "4. The queue while it prints"
"$B/tests/integration/waitfor" lines "$T/printer.log" 200
run "$B/lpr-tools/gqueue"
echo "gpc status: the printer's state, its job's progress and its heaters (actual/target):"
run "$B/lpr-tools/gpc" status

say "5. Wait for the end"
run "$B/lpr-tools/gqueue" -w "$job"

say "6. What the printer executed"
tr '\r' '\n' < "$CUBE" | sed -e 's/([^)]*)//g' -e 's/(.*//' -e 's/;.*//' -e 's/^[ 	]*//' \
    -e 's/[ 	]*$//' -e '/^$/d' | awk '{ print }' > "$T/commands"
cp "$T/printer.log" "$T/executed"
if cmp -s "$T/commands" "$T/executed"; then
	echo "The printer executed $(wc -l < "$T/executed") commands: exactly the file's, in order."
else
	echo "MISMATCH between the file and the printer's log:" >&2
	diff "$T/commands" "$T/executed" | head >&2
	exit 1
fi

say "7. Clear the bed"
echo "After a job the printer waits for the bed to be cleared; gpc ready says it is:"
run "$B/lpr-tools/gpc" status mk3
run "$B/lpr-tools/gpc" ready mk3
run "$B/lpr-tools/gpc" status mk3

say "The spooler's log"
cat "$T/spoold.log"
