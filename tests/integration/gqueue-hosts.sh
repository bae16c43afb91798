#!/bin/sh
# One view of several hosts: gqueue -H a -H b (or -H a,b) shows both
# spools' queues in one table with the host beside each job, through
# each host's gsftpd; a host that refuses the connection and one that
# accepts it and says nothing are shown as such, in the table and on
# standard error, within --timeout, and the exit code says so.
. "$top_srcdir/tests/integration/lib.sh"
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
gs_config "[sftp]" "listen = 127.0.0.1:0" "[account alice]" "keys = $T/alice.keys"
gs_sftp_key alice
export HOME="$T/home"
mkdir -p "$HOME/.ssh"
cp "$T/alice" "$HOME/.ssh/id_ed25519"
cp "$T/alice.pub" "$HOME/.ssh/id_ed25519.pub"
gs_vprinter
gs_spoold
gs_gsftpd
PA=$PORT
cat "$T/known_hosts" > "$HOME/.ssh/known_hosts"

# The second host: a spool of its own, its printer mk4 (no printer on
# its line: its jobs wait), its own gsftpd.
B="$T/b"
mkdir -p "$B"
[ "$(id -u)" = 0 ] && chmod 755 "$B"
{
	gs_remote_conf "$B"
	cat <<CONF
[printer mk4]
device = $B/mk4.tty

[account alice]
keys = $T/alice.keys
CONF
} > "$B/gspool.conf"
"$SPOOLD" -d -v -c "$B/gspool.conf" 2>>"$T/spoold-b.log" &
"$WAITFOR" exists "$B/spool/control" || fail "the second spoold did not start"
"$BIN/sftpd/gsftpd" -f -d -c "$B/gspool.conf" -p "$B/port" 2>>"$T/gsftpd-b.log" &
"$WAITFOR" exists "$B/port" || fail "the second gsftpd did not start"
PB=$(cat "$B/port")
echo "[127.0.0.1]:$PB $(ssh-keygen -y -f "$B/spool/sftp/ssh_host_ed25519_key")" \
    >> "$HOME/.ssh/known_hosts"

# A port nobody listens on (refused at once), and one that accepts and
# never says a word.
PR=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while True:
    conns.append(s.accept())
' "$T/silent.port" &
"$WAITFOR" exists "$T/silent.port" || fail "the silent listener did not start"
PS=$(cat "$T/silent.port")

# A held job on each host.
a=$(submit "$CUBE" -q -T "cube on a")
out=$("$GPRINT" -c "$B/gspool.conf" -q -T "cube on b" "$CUBE") || fail "gprint on b: $out"
case "$out" in
"request id is mk4-"*) ;;
*) fail "gprint on b said: $out" ;;
esac
b=${out#request id is mk4-}
b=${b%% *}

HA="127.0.0.1:$PA" HB="127.0.0.1:$PB" HR="127.0.0.1:$PR" HS="127.0.0.1:$PS"

# 1. Two hosts that answer: one table, a Host column, each job beside
#    its host, exit 0.
"$GQUEUE" -H "alice@$HA" -H "alice@$HB" --timeout 60 > "$T/out" 2> "$T/err" ||
	fail "gqueue -H -H: exit $?: $(cat "$T/out" "$T/err")"
[ ! -s "$T/err" ] || fail "gqueue -H -H said on stderr: $(cat "$T/err")"
grep -q "^Host  *Rank  *Owner  *Job  *File(s)  *Total Size$" "$T/out" ||
	fail "no Host column: $(cat "$T/out")"
[ "$(grep -c '^Host ' "$T/out")" -eq 1 ] || fail "not one table: $(cat "$T/out")"
grep -q "^$HA  *held  *[^ ]*  *$a  *(hidden)\|^$HA  *held  *[^ ]*  *$a  *cube on a" "$T/out" ||
	fail "host a's job is not beside its host: $(cat "$T/out")"
grep -q "^$HB  *held  *[^ ]*  *$b " "$T/out" ||
	fail "host b's job is not beside its host: $(cat "$T/out")"
grep -q "^$HA: mk3 is " "$T/out" || fail "host a's printer: $(cat "$T/out")"
grep -q "^$HB: mk4 is " "$T/out" || fail "host b's printer: $(cat "$T/out")"

# 2. The same as a comma list, with a refused port: shown as such, in
#    the table and on stderr; the others' jobs are still there; exit 3.
#    (Where hosts must answer, the timeout is long: it bounds a test on
#    a loaded machine, and asserts nothing about speed.)
rc=0
"$GQUEUE" -H "alice@$HA,alice@$HR" -H "alice@$HB" --timeout 60 \
    > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "with a host down, exit $rc, not 3: $(cat "$T/out" "$T/err")"
grep -q "^$HR  *[^ ]" "$T/out" || fail "the refused host has no row: $(cat "$T/out")"
grep "^$HR " "$T/out" | grep -qi "refused\|connect" || fail "the refused host: $(cat "$T/out")"
grep -q "alice@$HR: .*[Cc]onnect" "$T/err" || fail "stderr, refused: $(cat "$T/err")"
grep -q "^$HA  *held  *[^ ]*  *$a " "$T/out" || fail "host a's job is gone: $(cat "$T/out")"
grep -q "^$HB  *held  *[^ ]*  *$b " "$T/out" || fail "host b's job is gone: $(cat "$T/out")"
# In the order given.
order=$(sed -n "s/^\(127\.0\.0\.1:[0-9]*\) .*/\1/p" "$T/out" | uniq | tr '\n' ' ')
[ "$order" = "$HA $HR $HB " ] || fail "hosts out of order: $order"

# 3. A host that accepts the connection and says nothing: given up after
#    --timeout, shown as such in the table and on stderr; exit 3.
rc=0
"$GQUEUE" -H "alice@$HS,alice@$HR" --timeout 1 > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "with the silent host, exit $rc, not 3: $(cat "$T/out" "$T/err")"
grep -q "^$HS  *no answer within 1 s$" "$T/out" || fail "the silent host: $(cat "$T/out")"
grep -q "^gqueue: $HS: no answer within 1 s$" "$T/err" || fail "stderr: $(cat "$T/err")"

# --json: an array of hosts, each with its queue or its error.
rc=0
"$GQUEUE" -H "alice@$HA,alice@$HR,alice@$HB" --timeout 60 --json > "$T/q.json" 2> "$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "--json with a host down: exit $rc"
jq -e --arg a "$HA" --arg r "$HR" --arg b "$HB" --argjson ja "$a" --argjson jb "$b" '
    (.hosts | length) == 3 and
    .hosts[0].host == $a and (.hosts[0].queue.jobs | map(.id) | index($ja)) != null and
    .hosts[1].host == $r and (.hosts[1].error | length) > 0 and
    (.hosts[1] | has("queue") | not) and
    .hosts[2].host == $b and (.hosts[2].queue.jobs | map(.id) | index($jb)) != null' \
    "$T/q.json" > /dev/null || fail "--json: $(cat "$T/q.json")"
rc=0
"$GQUEUE" -H "alice@$HS,alice@$HR" --timeout 1 --json > "$T/q.json" 2> "$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "--json with the silent host: exit $rc"
jq -e --arg s "$HS" '.hosts[0].host == $s and .hosts[0].error == "no answer within 1 s"' \
    "$T/q.json" > /dev/null || fail "--json, the silent host: $(cat "$T/q.json")"

# 4. -P: that destination's jobs only, on the hosts that have it.
"$GQUEUE" -H "alice@$HA" -H "alice@$HB" --timeout 60 -P mk4 > "$T/out" 2> "$T/err" ||
	fail "-P mk4: exit $?: $(cat "$T/out" "$T/err")"
grep -q "^$HB  *held  *[^ ]*  *$b " "$T/out" || fail "-P mk4: $(cat "$T/out")"
grep -q "^$HA  *held" "$T/out" && fail "-P mk4 shows host a's mk3 job: $(cat "$T/out")"
grep -q "^$HA  *no entries$" "$T/out" || fail "-P mk4, host a: $(cat "$T/out")"
rc=0
"$GQUEUE" -H "alice@$HA" -H "alice@$HB" --timeout 60 -P nowhere > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "-P nowhere: exit $rc"
grep -q "nowhere: unknown printer or class on every host" "$T/err" || fail "-P nowhere: $(cat "$T/err")"

# 5. --all: the configuration's [remote NAME] hosts, each shown by its
#    name, after those of -H.
cp "$GSPOOL_CONF" "$T/plain.conf"
printf '\n[remote pi-a]\nhost = alice@%s\n\n[remote pi-b]\nhost = alice@%s\n' "$HA" "$HB" \
    >> "$GSPOOL_CONF"
"$GQUEUE" --all --timeout 60 > "$T/out" 2> "$T/err" || fail "--all: exit $?: $(cat "$T/out" "$T/err")"
grep -q "^pi-a  *held  *[^ ]*  *$a " "$T/out" || fail "--all, pi-a: $(cat "$T/out")"
grep -q "^pi-b  *held  *[^ ]*  *$b " "$T/out" || fail "--all, pi-b: $(cat "$T/out")"
grep -q "^pi-b: mk4 is " "$T/out" || fail "--all, pi-b's printer: $(cat "$T/out")"
rc=0
"$GQUEUE" --all -H "alice@$HS" --timeout 1 --json > "$T/q.json" 2> "$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "--all with a silent -H: exit $rc"
[ "$(jq -r '[.hosts[].host] | join(" ")' "$T/q.json")" = "$HS pi-a pi-b" ] ||
	fail "--all -H: $(jq -c '[.hosts[].host]' "$T/q.json")"
cp "$T/plain.conf" "$GSPOOL_CONF"
printf '\n[remote pi-c]\nsocket = x\n' >> "$GSPOOL_CONF"
rc=0
"$GQUEUE" --all > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "--all, [remote pi-c] without its host: exit $rc"
grep -q "\[remote pi-c\] has no host" "$T/err" || fail "--all, no host: $(cat "$T/err")"
cp "$T/plain.conf" "$GSPOOL_CONF"
rc=0
"$GQUEUE" --all > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "--all without [remote]: exit $rc"
grep -q "has no \[remote NAME\] section" "$T/err" || fail "--all without [remote]: $(cat "$T/err")"

# 6. -r with a host down: it goes on while the others show jobs; it ends
#    once none is left.  (gcancel ends them; each showing is awaited.)
"$GQUEUE" -H "alice@$HA,alice@$HR" --timeout 60 -r 1 > "$T/r.out" 2> "$T/r.err" &
RPID=$!
"$WAITFOR" count "$T/r.out" "Host " 2 ||
	fail "-r did not show the queue twice: $(cat "$T/r.out" "$T/r.err")"
"$GCANCEL" "$a" || fail "gcancel $a"
rc=0
wait "$RPID" || rc=$?
[ "$rc" -eq 3 ] || fail "-r with a host down: exit $rc"
tail -n 3 "$T/r.out" | grep -q "^$HA  *no entries$" || fail "-r: $(tail -n 5 "$T/r.out")"
[ "$(grep -c '^Host ' "$T/r.out")" -ge 2 ] || fail "-r stopped at the host down: $(cat "$T/r.out")"

# 7. Bad usage.
rc=0
"$GQUEUE" -H "alice@$HA" --timeout 2 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--timeout with one host: exit $rc"
rc=0
"$GQUEUE" -H "alice@$HA" -H "alice@$HB" --timeout 0 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--timeout 0: exit $rc"
rc=0
"$GQUEUE" -H "alice@$HA" -H "alice@$HB" "$a" > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a job with several hosts: exit $rc"
echo "PASS"
