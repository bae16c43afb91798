#!/bin/sh
# The real-serial-port path (libserialport), with a stand-in for
# libserialport preloaded that opens the virtual printer: the configured
# link is resolved, the port is set to the baud rate, 8N1, with flow
# control off, close-on-exec, non-blocking and locked against a second
# opener; an unplug mid-job ends the job stopped and the port is opened
# again when it comes back.
. "$top_srcdir/tests/integration/lib.sh"
SHIM="$BIN/tests/shim/sp_shim.so"
[ -f "$SHIM" ] || fail "the libserialport stand-in was not built"

# The "device": a link, as under /dev/serial/by-id/, to a character
# device that is not a pseudo-terminal.
mkdir "$T/by-id"
ln -s /dev/null "$T/by-id/usb-gspool_vprinter-if00"
gs_config
sed -i "s|^device = .*|device = serial:$T/by-id/usb-gspool_vprinter-if00?baud=250000|" \
    "$GSPOOL_CONF"
gs_vprinter --hangup-after 1500
export SP_SHIM_NAME=/dev/null SP_SHIM_TARGET="$T/mk3.tty" SP_SHIM_LOG="$T/shim.log"
# The stand-in comes before the sanitizers' runtime in a sanitizer build.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
LD_PRELOAD="$SHIM"
export LD_PRELOAD
gs_spoold
unset LD_PRELOAD

id1=$(submit "$CUBE")
out=$("$GQUEUE" -w "$id1") && fail "the job survived an unplug"
case "$out" in
"mk3-$id1: stopped: lost the printer on $T/by-id/usb-gspool_vprinter-if00: "*) ;;
*) fail "gqueue -w $id1: $out" ;;
esac
for want in "lookup /dev/null" "open /dev/null" "baud 250000" "bits 8" \
    "parity none" "stopbits 1" "flowcontrol none" "cloexec yes" \
    "nonblock yes" "xonxoff off" "exclusive yes" "close"; do
	grep -qx "$want" "$T/shim.log" || fail "libserialport: no '$want': $(cat "$T/shim.log")"
done

# Plugged in again: the port is opened again and the next job prints.
: > "$T/vprinter.log"
id2=$(submit "$CUBE")
"$GQUEUE" -w "$id2" > "$T/wait.out" || fail "job 2: $(cat "$T/wait.out")"
expect_log "$CUBE"
[ "$(grep -c '^open ' "$T/shim.log")" -ge 2 ] || fail "the port was not opened again"
echo "PASS"
