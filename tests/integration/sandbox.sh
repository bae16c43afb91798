#!/bin/sh
# sandbox.sh: spoold and what it starts, under the shipped unit's
# restrictions as bubblewrap builds them without systemd as PID 1: the
# file system read-only but the spool (ProtectSystem=strict), a /dev of
# its own with pseudo-terminals and no hardware (DevicePolicy=closed), a
# private /tmp, a network namespace with only loopback, and the socket
# families of RestrictAddressFamilies= as gspool-sandbox-generator
# writes them from the configuration (tests/integration/families.c).
#
# A configuration of one printer on a pseudo-terminal: the generator
# opens pseudo-terminals and keeps the network shut; the job prints
# exactly, and a filter of spoold's cannot reach the camera that
# answers curl outside, nor see the host's /tmp.  One with a tcp://
# printer, an HTTP camera and a notify program: the generator opens
# the network; the job prints exactly, the timelapse takes its frames,
# the notify program fetches a frame from the camera.
if [ -z "${GS_SANDBOX_MARK:-}" ]; then
	: "${top_builddir:?}" "${top_srcdir:?}"
	command -v bwrap > /dev/null || { echo "SKIP: no bwrap"; exit 77; }
	command -v curl > /dev/null || { echo "SKIP: no curl"; exit 77; }
	command -v ffmpeg > /dev/null || { echo "SKIP: no ffmpeg"; exit 77; }
	set -- --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp \
	    --unshare-net --die-with-parent
	bwrap "$@" true 2> /dev/null ||
		{ echo "SKIP: bwrap cannot make a sandbox here"; exit 77; }
	for d in "$top_builddir" "$top_srcdir"; do
		case "$d" in /tmp/*) set -- "$@" --ro-bind "$d" "$d" ;; esac
	done
	mark=$(mktemp /tmp/gspool-host.XXXXXX)
	rc=0
	GS_SANDBOX_MARK=$mark TMPDIR=/tmp bwrap "$@" /bin/sh \
	    "$top_srcdir/tests/integration/sandbox.sh" || rc=$?
	rm -f "$mark"
	exit $rc
fi
. "$top_srcdir/tests/integration/lib.sh"
FAMILIES="$BIN/tests/integration/families"
GEN="$BIN/dist/gspool-sandbox-generator"
CAMSERVER="$BIN/tests/integration/camserver"
[ ! -e "$GS_SANDBOX_MARK" ] || fail "the host's /tmp is in the sandbox"

# The camera, outside spoold's sandbox as the network is.
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5 \
    -frames:v 2 "$T/f%d.jpg" || fail "ffmpeg could not make test frames"
"$CAMSERVER" -p "$T/cam.port" "$T/f1.jpg" "$T/f2.jpg" 2>>"$T/cam.err" &
"$WAITFOR" exists "$T/cam.port" || fail "the test camera did not start"
url="http://127.0.0.1:$(cat "$T/cam.port")/snapshot"
curl -sf -o /dev/null "$url" || fail "curl cannot reach the camera on loopback"

# A filter that tries the camera and the host's /tmp, then reads its
# events to their end.
mkdir "$T/filters"
ln -s "$BIN/filters/timelapse" "$T/filters/timelapse"
cat > "$T/filters/probe" <<PROBE
#!/bin/sh
if curl -sf -o /dev/null --max-time 10 "$url" 2>/dev/null; then net=open; else net=closed; fi
if [ -e "$GS_SANDBOX_MARK" ]; then tmp=host; else tmp=private; fi
echo "\$net \$tmp" > "$T/probe.\$1"
cat > /dev/null
PROBE
chmod +x "$T/filters/probe"

# families DROPIN: the socket families the unit allows with DROPIN.
families() {
	if grep -q '^RestrictAddressFamilies=.*AF_INET' "$1"; then
		echo unix,inet,inet6
	else
		echo unix
	fi
}
sandboxed_spoold() {	# families
	"$FAMILIES" "$1" "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
	SPOOLD_PID=$!
	"$WAITFOR" exists "$T/spool/control" || fail "spoold did not start under $1"
}
filter_dir() {
	sed -i "/^\[spool\]/a filter_dir = $T/filters" "$GSPOOL_CONF"
}

# 1. A printer on a pseudo-terminal, nothing of the network.
gs_config "filters = probe"
filter_dir
GSPOOL_CONF=$GSPOOL_CONF "$GEN" "$T/gen1"
d="$T/gen1/spoold.service.d/50-gspool-conf.conf"
[ -f "$d" ] || fail "the generator wrote no drop-in"
grep -q '^DeviceAllow=char-pts rw$' "$d" || fail "no pseudo-terminals: $(cat "$d")"
grep -q '^PrivateTmp=no$' "$d" || fail "the pty's folder in /tmp is hidden: $(cat "$d")"
grep -q '^PrivateNetwork=no$' "$d" && fail "a pty printer opens the network: $(cat "$d")"
[ "$(families "$d")" = unix ] || fail "a pty printer allows $(families "$d")"
gs_vprinter
sandboxed_spoold unix
id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
expect_log "$CUBE"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter probe exited" ||
	fail "the probe filter did not end"
[ "$(cat "$T/probe.$id")" = "closed private" ] ||
	fail "spoold's filter, network shut: $(cat "$T/probe.$id")"
gs_stop_spoold
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
VPRINTER_PID=
# Its backend outlives it, by design: gone too, so that the next spoold
# starts one for the new device rather than re-attaching.
pkill -f -- "$T/mk3.tty" || true
pidwait -f -- "$T/mk3.tty" || true

# 2. A tcp:// printer, an HTTP camera and a notify program.
"$VPRINTER" -o "$T/vprinter.log" --port-file "$T/port" "tcp://127.0.0.1:0" \
    2>>"$T/vprinter.err" &
VPRINTER_PID=$!
"$WAITFOR" exists "$T/port" || fail "the virtual printer did not listen"
cat > "$T/notify" <<NOTIFY
#!/bin/sh
[ "\$1" = completed ] || exit 0
curl -sf -o "$T/notified.tmp" "$url" && mv "$T/notified.tmp" "$T/notified.\$2"
NOTIFY
chmod +x "$T/notify"
rm -f "$T/spool/control"
gs_config "camera = $url" "filters = timelapse probe" "filter_options = timeout=10"
filter_dir
sed -i "/^\[spool\]/a notify = $T/notify" "$GSPOOL_CONF"
sed -i "s|^device = .*|device = tcp://127.0.0.1:$(cat "$T/port")|; s|^handshake_timeout = .*|handshake_timeout = 1|" \
    "$GSPOOL_CONF"
GSPOOL_CONF=$GSPOOL_CONF "$GEN" "$T/gen2"
d="$T/gen2/spoold.service.d/50-gspool-conf.conf"
grep -q '^PrivateNetwork=no$' "$d" || fail "no network for tcp://: $(cat "$d")"
grep -q 'char-pts\|PrivateTmp' "$d" && fail "a tcp:// printer opens ptys or /tmp: $(cat "$d")"
[ "$(families "$d")" = unix,inet,inet6 ] || fail "tcp:// allows $(families "$d")"
: > "$T/vprinter.log"
sandboxed_spoold unix,inet,inet6
id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id: $(cat "$T/wait.out")"
expect_log "$CUBE"
for f in timelapse probe; do
	"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter $f exited" ||
		fail "filter $f did not end"
done
[ "$(cat "$T/probe.$id")" = "open private" ] ||
	fail "spoold's filter, network open: $(cat "$T/probe.$id")"
"$GQUEUE" --json --history "$id" > "$T/j.json"
grep -q '"timelapse.failed_frames": "0"' "$T/j.json" &&
    ! grep -q '"timelapse.frames": "0"' "$T/j.json" &&
    grep -q '"timelapse.frames"' "$T/j.json" ||
	fail "the timelapse did not reach the camera: $(cat "$T/j.json")"
"$WAITFOR" exists "$T/notified.$id" || fail "the notify program did not reach the camera"
cmp -s "$T/notified.$id" "$T/f1.jpg" || cmp -s "$T/notified.$id" "$T/f2.jpg" ||
	fail "the notify program fetched something else"
echo "PASS"
