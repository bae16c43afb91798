#!/bin/sh
# SIGHUP reads gspool.conf anew: a file with errors is reported, each
# error with its line, and the running configuration is kept; a sound
# one has what it adds or removes logged as needing a restart, and the
# running printers go on printing; the drop folders are rescanned.
. "$top_srcdir/tests/integration/lib.sh"
gs_setup
"$WAITFOR" contains "$T/spoold.log" "the printer is ready" || fail "mk3 is not ready"
cp "$GSPOOL_CONF" "$T/good.conf"

# A second printer and a class.
cat >> "$GSPOOL_CONF" <<CONF

[printer ender]
device = $T/ender.tty

[class shop]
printers = mk3 ender
CONF
kill -HUP "$SPOOLD_PID"
"$WAITFOR" contains "$T/spoold.log" "reload: $GSPOOL_CONF is sound" ||
	fail "the reload was not logged"
grep -q "reload: printer ender added: needs a restart" "$T/spoold.log" ||
	fail "the new printer was not logged"
grep -q "reload: class shop added: needs a restart" "$T/spoold.log" ||
	fail "the new class was not logged"
grep -q "SIGHUP: rescanning the drop folders" "$T/spoold.log" ||
	fail "no rescan of the drop folders"
"$GPC" status ender > "$T/st.out" 2>&1 && fail "ender was added without a restart"
id=$(submit "$CUBE" -P mk3)
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "mk3 after a reload: $(cat "$T/wait.out")"

# A file with an error, at line 3 of the [printer mk3] section: all of
# it is refused, and mk3 prints on.
cp "$T/good.conf" "$GSPOOL_CONF"
cat >> "$GSPOOL_CONF" <<CONF
window = 4
no_such_key = 1

[printer ender]
device = $T/ender.tty
CONF
line=$(grep -n '^no_such_key' "$GSPOOL_CONF" | cut -d: -f1)
kill -HUP "$SPOOLD_PID"
"$WAITFOR" contains "$T/spoold.log" "the running configuration is kept" ||
	fail "the bad file was not refused"
grep -q "reload: $GSPOOL_CONF:$line: unknown key 'no_such_key'" "$T/spoold.log" ||
	fail "the error was not logged at its line ($line): $(grep reload: "$T/spoold.log")"
[ "$(grep -c 'reload: printer ender added' "$T/spoold.log")" -eq 1 ] ||
	fail "a file with errors was compared with the running one"
id=$(submit "$CUBE" -P mk3)
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "mk3 after a bad reload: $(cat "$T/wait.out")"

# An unreadable file is refused too.
mv "$GSPOOL_CONF" "$T/away.conf"
kill -HUP "$SPOOLD_PID"
"$WAITFOR" count "$T/spoold.log" "the running configuration is kept" 2 ||
	fail "a missing file was not refused"
grep -q "reload: $GSPOOL_CONF: cannot read" "$T/spoold.log" ||
	fail "the missing file was not named"
mv "$T/away.conf" "$GSPOOL_CONF"

# [spool] directory cannot change while spoold runs; mk3's removal is
# logged, and mk3 prints on.
sed -e "s|^directory = .*|directory = $T/elsewhere|" \
    -e 's/^\[printer mk3\]/[printer mk4]/' "$T/good.conf" > "$GSPOOL_CONF"
kill -HUP "$SPOOLD_PID"
"$WAITFOR" count "$T/spoold.log" "reload: $GSPOOL_CONF is sound" 2 ||
	fail "the second reload was not logged"
grep -q "reload: \[spool\] directory changed: needs a restart" "$T/spoold.log" ||
	fail "the spool's move was not logged"
grep -q "reload: printer mk3 removed: needs a restart" "$T/spoold.log" ||
	fail "mk3's removal was not logged"
[ ! -e "$T/elsewhere" ] || fail "the new spool directory was made"
cp "$T/good.conf" "$GSPOOL_CONF"	# the commands read it too
id=$(submit "$CUBE" -P mk3)
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "mk3 after a reload: $(cat "$T/wait.out")"
exit 0
