#!/bin/sh
# A user sees and removes their own refused drop files through the
# control socket, never the folder (rejected/ is spoold's, 0700):
# gqueue shows a refused drop to its owner with its reason and to
# nobody else; the owner removes it with gcancel --rejected, by name
# or all at once, and each is named; another user cannot, even by
# naming it; a name with a '/' or a leading '.' is refused; an
# administrator sees everyone's with gqueue -a and removes another's
# with -u.
. "$top_srcdir/tests/integration/lib.sh"
[ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null &&
    id nobody > /dev/null 2>&1 && id bin > /dev/null 2>&1 ||
	{ echo "SKIP: needs root, setpriv, and the users nobody and bin"; exit 77; }
gs_config "max_hotend = 250"
sed -i "/^\[spool\]/a max_rejections = 0" "$GSPOOL_CONF"
gs_spoold
chmod 755 "$T"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_bin() { setpriv --reuid=bin --regid=bin --clear-groups "$@"; }
R="$T/spool/rejected"

# drop USER FILE: FILE (too hot) dropped into USER's folder as that user;
# waits until it is refused as KEPT (its name in rejected/USER/).
drop() {
	mkdir -p "$T/spool/drop/$1"
	chown "$1" "$T/spool/drop/$1"
	printf 'G28\nM104 S300\n' > "$T/$2"
	chmod 644 "$T/$2"
	setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups \
	    sh -c 'cp "$1" "$2/.$3" && mv "$2/.$3" "$2/$3"' sh "$T/$2" \
	    "$T/spool/drop/$1" "$2" || fail "cannot drop $2 as $1"
	"$WAITFOR" exists "$R/$1/$3.reason" || fail "$2 of $1's not refused as $3"
}
drop nobody hot.gcode hot.gcode
drop nobody hot.gcode hot.gcode.1
drop bin warm.gcode warm.gcode

# 1. The owner sees its refused files with their reasons, by the names
# gcancel takes; the folder stays closed to it.
as_nobody "$GQUEUE" > "$T/q.out" 2>&1 || fail "gqueue as nobody: $(cat "$T/q.out")"
grep -q "^Refused files of yours (the latest first; gcancel --rejected removes those kept):" "$T/q.out" ||
	fail "gqueue does not tell nobody of its refusals: $(cat "$T/q.out")"
grep -q "	hot.gcode, .*: line 2: M104 S300 sets 300 C, above the printer's max_hotend 250" "$T/q.out" ||
	fail "gqueue: $(cat "$T/q.out")"
grep -q "	hot.gcode.1 (sent as hot.gcode), " "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
grep -q "warm.gcode" "$T/q.out" && fail "nobody sees bin's refused file: $(cat "$T/q.out")"
as_nobody "$GQUEUE" --json > "$T/q.json" || fail "gqueue --json as nobody"
grep -q '"file": "hot.gcode.1"' "$T/q.json" || fail "gqueue --json: $(cat "$T/q.json")"
grep -q '"owner": "nobody"' "$T/q.json" || fail "gqueue --json: $(cat "$T/q.json")"
grep -q '"kept": true' "$T/q.json" || fail "gqueue --json: $(cat "$T/q.json")"
grep -q 'warm' "$T/q.json" && fail "nobody's gqueue --json shows bin's: $(cat "$T/q.json")"
as_nobody ls "$R/nobody" > /dev/null 2>&1 && fail "nobody can list its rejected/ folder"
# Completion offers them to gcancel --rejected.
if command -v bash > /dev/null; then
	got=$(as_nobody env PATH="$BIN/lpr-tools:$PATH" bash -c '. "$1"
		COMP_WORDS=(gcancel --rejected ""); COMP_CWORD=2; _gspool_complete
		printf "%s\n" "${COMPREPLY[@]}"' sh "$top_builddir/lpr-tools/gspool.bash" | sort | tr '\n' ' ')
	[ "$got" = "hot.gcode hot.gcode.1 " ] || fail "completion of gcancel --rejected: '$got'"
fi
# -a to anyone but an administrator: their own still.
as_nobody "$GQUEUE" -a > "$T/q.out" 2>&1 || fail "gqueue -a as nobody"
grep -q "warm.gcode" "$T/q.out" && fail "gqueue -a shows bin's to nobody: $(cat "$T/q.out")"

# 2. Another user can neither see nor remove them.
as_bin "$GQUEUE" > "$T/q.out" 2>&1 || fail "gqueue as bin: $(cat "$T/q.out")"
grep -q "hot.gcode" "$T/q.out" && fail "bin sees nobody's refused files: $(cat "$T/q.out")"
grep -q "	warm.gcode, " "$T/q.out" || fail "bin does not see its own: $(cat "$T/q.out")"
rc=0; as_bin "$GCANCEL" --rejected hot.gcode > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] || fail "bin's gcancel --rejected hot.gcode: exit $rc"
grep -q "^gcancel: hot.gcode: no refused file of bin's by that name$" "$T/err" || fail "bin: $(cat "$T/err")"
rc=0; as_bin "$GCANCEL" --rejected -u nobody hot.gcode > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] || fail "bin's gcancel --rejected -u nobody: exit $rc"
grep -q "only an administrator may remove another user's refused files" "$T/err" || fail "bin -u: $(cat "$T/err")"
[ -f "$R/nobody/hot.gcode" ] && [ -f "$R/nobody/hot.gcode.reason" ] || fail "bin removed nobody's file"

# 3. A bad name is refused, whoever asks, and nothing goes.
for bad in ../bin/warm.gcode hot.gcode/x .hot.gcode ..; do
	rc=0; as_nobody "$GCANCEL" --rejected "$bad" > "$T/out" 2> "$T/err" || rc=$?
	[ "$rc" = 1 ] || fail "gcancel --rejected $bad: exit $rc"
	grep -qF "gcancel: '$bad' is not a refused file's name (no '/', not starting with '.')" "$T/err" ||
		fail "gcancel --rejected $bad: $(cat "$T/err")"
done
"$GCANCEL" --rejected -u nobody ../bin/warm.gcode 2> "$T/err" && fail "root's ../bin/warm.gcode taken"
grep -qF "'../bin/warm.gcode' is not a refused file's name" "$T/err" || fail "root: $(cat "$T/err")"
[ -f "$R/bin/warm.gcode" ] || fail "a bad name removed bin's file"
rc=0; as_nobody "$GCANCEL" --rejected cold.gcode 2> "$T/err" || rc=$?
[ "$rc" = 1 ] || fail "gcancel --rejected cold.gcode: exit $rc"
grep -q "cold.gcode: no refused file of nobody's by that name" "$T/err" || fail "cold: $(cat "$T/err")"

# 4. The owner removes one by name, then the rest; each is named, and
# the files, their reasons and their rows go.
as_nobody "$GCANCEL" --rejected hot.gcode > "$T/out" 2> "$T/err" || fail "gcancel --rejected hot.gcode: $(cat "$T/err")"
[ "$(cat "$T/out")" = "removed refused file hot.gcode" ] || fail "gcancel said: $(cat "$T/out")"
[ -e "$R/nobody/hot.gcode" ] || [ -e "$R/nobody/hot.gcode.reason" ] && fail "hot.gcode is still kept"
grep -q "rejected/nobody/hot.gcode removed at nobody's request" "$T/spoold.log" || fail "the removal is not logged"
as_nobody "$GQUEUE" > "$T/q.out" 2>&1
grep -q "	hot.gcode, " "$T/q.out" && fail "hot.gcode is still shown: $(cat "$T/q.out")"
grep -q "	hot.gcode.1 (sent as hot.gcode), " "$T/q.out" || fail "hot.gcode.1 went too: $(cat "$T/q.out")"
as_nobody "$GCANCEL" --rejected > "$T/out" 2> "$T/err" || fail "gcancel --rejected: $(cat "$T/err")"
[ "$(cat "$T/out")" = "removed refused file hot.gcode.1 (sent as hot.gcode)" ] || fail "gcancel said: $(cat "$T/out")"
[ -e "$R/nobody/hot.gcode.1" ] && fail "hot.gcode.1 is still kept"
as_nobody "$GQUEUE" > "$T/q.out" 2>&1
grep -q "Refused" "$T/q.out" && fail "gqueue still shows refusals: $(cat "$T/q.out")"
[ "$(as_nobody "$GCANCEL" --rejected)" = "no refused files to remove" ] || fail "gcancel --rejected with none"
rc=0; as_nobody "$GCANCEL" --rejected hot.gcode 2> "$T/err" || rc=$?
[ "$rc" = 1 ] || fail "a removed file removed twice: exit $rc"

# 5. An administrator sees everyone's with -a, not without, and removes
# another user's with -u.
"$GQUEUE" > "$T/q.out" 2>&1
grep -q "warm.gcode" "$T/q.out" && fail "root's gqueue without -a shows bin's: $(cat "$T/q.out")"
"$GQUEUE" -a > "$T/q.out" 2>&1 || fail "gqueue -a as root"
grep -q "^Refused files (the latest first" "$T/q.out" || fail "gqueue -a: $(cat "$T/q.out")"
grep -q "	bin: warm.gcode, .*: line 2: M104 S300" "$T/q.out" || fail "gqueue -a: $(cat "$T/q.out")"
"$GCANCEL" --rejected --json -u bin > "$T/out" 2> "$T/err" || fail "root's gcancel --rejected -u bin: $(cat "$T/err")"
[ "$(cat "$T/out")" = '{"removed":1,"files":["warm.gcode"]}' ] || fail "gcancel --json said: $(cat "$T/out")"
[ -e "$R/bin/warm.gcode" ] && fail "warm.gcode is still kept"
grep -q "rejected/bin/warm.gcode removed at root's request" "$T/spoold.log" || fail "root's removal is not logged"
echo "PASS"
