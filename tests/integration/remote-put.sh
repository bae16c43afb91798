#!/bin/sh
# Uploads through the client side of gsftpd's tree (lib/remote.c, as
# gprint -H and the sftp backend send a job), which keeps several
# writes in flight: every size arrives byte for byte, whether or not it
# is a whole number of writes (64 KiB) or of writes in flight (16), an
# empty file and a pipe too; a file that cannot be read is abandoned,
# never committed; a write refused mid-way (the quota, while
# others are in flight) fails the upload with the server's reason and
# leaves nothing, and the session goes on to the next file.  No spoold:
# the uploads stay in the drop folder to be compared.
. "$top_srcdir/tests/integration/lib.sh"
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
gs_sftp_key alice
# bob shares alice's key: gprint -H finds one key in ~/.ssh.
gs_config "[sftp]" "listen = 127.0.0.1:0" \
    "[account alice]" "keys = $T/alice.keys" "max_file = 1G" \
    "[account bob]" "keys = $T/alice.keys" "quota = 2M"
export HOME="$T/home"
mkdir -p "$HOME/.ssh"
cp "$T/alice" "$HOME/.ssh/id_ed25519"
cp "$T/alice.pub" "$HOME/.ssh/id_ed25519.pub"
gs_gsftpd
cp "$T/known_hosts" "$HOME/.ssh/known_hosts"
DROP="$T/spool/drop"

# sized NAME BYTES: a file of BYTES bytes of G-code-like text in $T/NAME
# (no two 64 KiB writes alike, so a write out of place shows).
sized() {
	awk -v n="$2" 'BEGIN {
		for (i = 0; len < n; i++) {
			line = sprintf("G1 X%d Y%d E%d\n", i % 200, i, i * 7)
			len += length(line)
			printf "%s", line
		}
	}' | head -c "$2" > "$T/$1"
	[ "$(stat -c %s "$T/$1")" = "$2" ] || fail "$1: not $2 bytes"
}

# 0 bytes; 1; a write less one, exactly one, one more; 16 writes (all
# in flight at once) and one byte more; 2.1 MB, no multiple of either.
for n in 0 1 65535 65536 65537 1048576 1048577 2200001; do
	sized "f$n.gcode" "$n"
done
"$GPRINT" -H "alice@127.0.0.1:$PORT" "$T"/f*.gcode > "$T/out" 2> "$T/err" ||
	fail "gprint -H: $(cat "$T/out" "$T/err")"
for n in 0 1 65535 65536 65537 1048576 1048577 2200001; do
	[ -f "$DROP/alice/f$n.gcode" ] || fail "f$n.gcode did not arrive: $(ls "$DROP/alice")"
	cmp "$T/f$n.gcode" "$DROP/alice/f$n.gcode" ||
		fail "f$n.gcode ($n bytes) arrived changed"
done
[ "$(grep -c 'alice: uploaded f[0-9]*.gcode ' "$T/gsftpd.log")" = 8 ] ||
	fail "not 8 uploads logged: $(grep uploaded "$T/gsftpd.log")"

# A pipe gives what it has, not whole writes: the same bytes arrive.
cat "$T/f2200001.gcode" | "$GPRINT" -H "alice@127.0.0.1:$PORT" -T piped - \
    > "$T/out" 2> "$T/err" || fail "gprint -H from a pipe: $(cat "$T/out" "$T/err")"
piped=$(sed -n 's/.* sent to .* as drop\/\(.*\) (gqueue.*/\1/p' "$T/out")
[ -n "$piped" ] && [ -f "$DROP/alice/$piped" ] ||
	fail "the piped upload: $(cat "$T/out"; ls "$DROP/alice")"
cmp "$T/f2200001.gcode" "$DROP/alice/$piped" || fail "the piped upload arrived changed"

# A file that cannot be read (a folder) is never closed, which would
# commit what was sent: the connection is dropped, and gsftpd discards
# the upload when the session ends.
mkdir "$T/folder.gcode"
n=$(grep -c 'connection ended' "$T/gsftpd.log" || true)
"$GPRINT" -H "alice@127.0.0.1:$PORT" "$T/folder.gcode" > "$T/out" 2> "$T/err" &&
	fail "a folder was sent: $(cat "$T/out")"
grep -q 'drop/folder.gcode: cannot read folder.gcode: Is a directory; the upload is abandoned' \
    "$T/err" || fail "the read error was not told: $(cat "$T/err")"
"$WAITFOR" count "$T/gsftpd.log" 'connection ended' $((n + 1)) ||
	fail "the dropped connection did not end"
[ -e "$DROP/alice/folder.gcode" ] && fail "an upload that could not be read was committed"
ls -A "$DROP/alice" | grep -q '^\.' && fail "an abandoned upload left $(ls -A "$DROP/alice")"

# bob's quota (2 MiB) is reached about 1 MiB into the second file's
# 5 MB, with writes in flight: the server's reason, nothing left of
# it, and the next file of the same session still goes in.
sized big.gcode 5000000
sized small.gcode 1000
"$GPRINT" -H "bob@127.0.0.1:$PORT" "$T/f1048576.gcode" "$T/big.gcode" \
    "$T/small.gcode" > "$T/out" 2> "$T/err" &&
	fail "an upload over the quota was accepted: $(cat "$T/out")"
grep -q 'drop/big.gcode: .*quota of 2097152 bytes reached; the upload is discarded' "$T/err" ||
	fail "the quota's refusal was not told: $(cat "$T/err")"
[ "$(grep -c 'gprint' "$T/err")" = 1 ] || fail "more than the quota was told: $(cat "$T/err")"
grep -q 'bob: upload of big.gcode refused at [0-9]* bytes' "$T/gsftpd.log" ||
	fail "the refusal was not logged"
at=$(sed -n 's/.*bob: upload of big.gcode refused at \([0-9]*\) bytes.*/\1/p' "$T/gsftpd.log")
[ "$at" -gt 0 ] && [ "$at" -lt 5000000 ] || fail "refused at $at, not mid-way"
grep -q 'bob: upload of big.gcode discarded' "$T/gsftpd.log" ||
	fail "the refused upload was not discarded at its close"
[ -f "$DROP/bob/big.gcode" ] && fail "a refused upload was committed"
ls -A "$DROP/bob" | grep -q '^\.' && fail "a refused upload left $(ls -A "$DROP/bob")"
cmp "$T/f1048576.gcode" "$DROP/bob/f1048576.gcode" || fail "bob's first file"
cmp "$T/small.gcode" "$DROP/bob/small.gcode" ||
	fail "the file after the refused one: $(cat "$T/err")"
grep -q 'small.gcode sent to' "$T/out" || fail "small.gcode: $(cat "$T/out")"
exit 0
