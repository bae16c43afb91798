#!/bin/sh
# tcp://HOST:PORT: a printer behind a serial-to-network bridge, served by
# BACKEND_DIR/tcp (the Marlin backend under the scheme's name).  A job
# prints exactly; a connection dropped mid-job ends the job stopped with
# the reason, and the backend connects again by itself.
. "$top_srcdir/tests/integration/lib.sh"

"$VPRINTER" -o "$T/vprinter.log" --port-file "$T/port" --hangup-after 1500 \
    "tcp://127.0.0.1:0" 2>>"$T/vprinter.err" &
VPRINTER_PID=$!
"$WAITFOR" exists "$T/port" || fail "the virtual printer did not listen"
port=$(cat "$T/port")
gs_config
sed -i "s|^device = .*|device = tcp://127.0.0.1:$port|; s|^handshake_timeout = .*|handshake_timeout = 1|" \
    "$GSPOOL_CONF"

# The backend is the scheme's: tcp, the serial backend under a second
# name.  A stand-in tcp (and no serial) in backend_dir says what spoold
# ran, and runs the built one.
[ "$(readlink "$BIN/backends/tcp")" = serial ] || fail "backends/tcp is not a link to serial"
mkdir "$T/backends"
cat > "$T/backends/tcp" <<STANDIN
#!/bin/sh
echo "\$0 \$*" >> "$T/tcp.argv"
exec "$BIN/backends/tcp" "\$@"
STANDIN
chmod +x "$T/backends/tcp"
sed -i "s|^backend_dir = .*|backend_dir = $T/backends|" "$GSPOOL_CONF"
out=$("$SPOOLD" -n -c "$GSPOOL_CONF") || fail "spoold -n: $out"
gs_spoold
"$WAITFOR" exists "$T/tcp.argv" || fail "spoold did not run backend_dir/tcp"
case "$(head -n 1 "$T/tcp.argv")" in
"$T/backends/tcp "*" mk3 tcp://127.0.0.1:$port") ;;
*) fail "backend_dir/tcp ran as: $(head -n 1 "$T/tcp.argv")" ;;
esac

# The bridge drops the connection after 1500 commands.
id1=$(submit "$CUBE")
out=$("$GQUEUE" -w "$id1") && fail "the job survived a dropped connection"
case "$out" in
"mk3-$id1: stopped: lost the printer on tcp://127.0.0.1:$port: end of file") ;;
*) fail "gqueue -w $id1: $out" ;;
esac
gcode_commands "$CUBE" > "$T/job.log"
k=$(wc -l < "$T/vprinter.log")
[ "$k" -gt 0 ] && [ "$k" -lt "$(wc -l < "$T/job.log")" ] || fail "$k commands ran"
head -n "$k" "$T/job.log" | cmp -s - "$T/vprinter.log" || fail "job 1 did not run in order"

# Connected again: the next job prints whole.
: > "$T/vprinter.log"
id2=$(submit "$CUBE")
"$GQUEUE" -w "$id2" > "$T/wait.out" || fail "job 2: $(cat "$T/wait.out")"
expect_log "$CUBE"

# Nobody listening: the printer is not ready, with the reason.
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true
VPRINTER_PID=
"$WAITFOR" contains "$T/spoold.log" "cannot connect to tcp://127.0.0.1:$port: Connection refused" ||
	fail "no reason given for a refused connection"
echo "PASS"
