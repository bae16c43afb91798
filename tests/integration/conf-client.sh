#!/bin/sh
# The commands read only what they need of gspool.conf (the socket, the
# default destination, the names of printers and classes): a mistake in
# a printer's section never locks a user out, one in what they read is
# reported with its line.  GSPOOL_PRINTER comes before PRINTER, and a
# name from the environment that is no destination is said to be.
. "$top_srcdir/tests/integration/lib.sh"
gs_setup "" "[class farm]" "printers = mk3"

# A configuration spoold would refuse, beside the one it runs on.
cp "$GSPOOL_CONF" "$T/broken.conf"
cat >> "$T/broken.conf" <<CONF
[printer mk3]
window = lots
[printer new]
device = relative/tty
colour = red
this line has no equals sign
[sftp]
max_memory = 1K
[nonsense]
key = value
CONF
"$SPOOLD" -n -c "$T/broken.conf" > "$T/out" 2>&1 && fail "spoold -n accepted the broken file"
"$GQUEUE" -c "$T/broken.conf" > "$T/out" 2>&1 ||
	fail "gqueue with a broken printer section: $(cat "$T/out")"
grep -q "mk3" "$T/out" || fail "gqueue listed: $(cat "$T/out")"
[ -z "$(grep 'broken.conf' "$T/out" || true)" ] || fail "gqueue reported spoold's errors: $(cat "$T/out")"
"$GPC" -c "$T/broken.conf" status > "$T/out" 2>&1 || fail "gpc status: $(cat "$T/out")"
out=$("$GPRINT" -c "$T/broken.conf" -P farm "$CUBE") || fail "gprint: $out"
case "$out" in "request id is farm-"*) ;; *) fail "gprint said: $out" ;; esac

# A mistake in what the commands read is theirs, with its line.
printf '[spool]\nsocket = relative/control\n[printer mk3]\ndevice = /dev/null\n' > "$T/sock.conf"
set +e
"$GQUEUE" -c "$T/sock.conf" > "$T/out" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] || fail "gqueue with a relative socket exited $rc: $(cat "$T/out")"
grep -q "sock.conf:2: socket: 'relative/control' must be an absolute path" "$T/out" ||
	fail "gqueue said: $(cat "$T/out")"
printf '[spool]\ndefault_printer = mk3\ndefault_printer = mk4\n[printer mk3]\ndevice = /dev/null\n' > "$T/dup.conf"
"$GQUEUE" -c "$T/dup.conf" > "$T/out" 2>&1 && fail "gqueue took a key set twice"
grep -q "dup.conf:3: default_printer is already set at line 2" "$T/out" ||
	fail "gqueue said: $(cat "$T/out")"
printf '[spool]\ndefault_printer = ghost\n[printer mk3]\ndevice = /dev/null\n' > "$T/ghost.conf"
"$GQUEUE" -c "$T/ghost.conf" > "$T/out" 2>&1 && fail "gqueue took an unknown default_printer"
grep -q "ghost.conf:2: default_printer 'ghost' is not a configured printer or class" "$T/out" ||
	fail "gqueue said: $(cat "$T/out")"

# GSPOOL_PRINTER before PRINTER (set for CUPS, say), -P before both.
out=$(GSPOOL_PRINTER=farm PRINTER=mk3 "$GPRINT" "$CUBE") || fail "gprint: $out"
case "$out" in "request id is farm-"*) ;; *) fail "GSPOOL_PRINTER did not come first: $out" ;; esac
out=$(GSPOOL_PRINTER=ghost PRINTER=ghost "$GPRINT" -P mk3 "$CUBE") || fail "gprint -P: $out"
case "$out" in "request id is mk3-"*) ;; *) fail "-P did not come first: $out" ;; esac
GSPOOL_PRINTER=mk3 PRINTER=cups-laser "$GQUEUE" > "$T/out" 2>&1 || fail "PRINTER was read: $(cat "$T/out")"
for var in PRINTER GSPOOL_PRINTER; do
	set +e
	env "$var=cups-laser" "$GQUEUE" > "$T/out" 2>&1
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "gqueue with $var=cups-laser exited $rc"
	grep -q "$var=cups-laser (from the environment) is not a printer or class" "$T/out" ||
		fail "gqueue said: $(cat "$T/out")"
	env "$var=cups-laser" "$GPRINT" "$CUBE" > "$T/out" 2>&1 && fail "gprint took $var=cups-laser"
	grep -q "$var=cups-laser (from the environment)" "$T/out" || fail "gprint said: $(cat "$T/out")"
done
echo "PASS"
