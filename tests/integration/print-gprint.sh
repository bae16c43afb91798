#!/bin/sh
# gprint hands a file to spoold; the backend streams it to the virtual
# printer; the printer executes exactly the file's commands, in order,
# and the job ends completed.  Two jobs in a row share one handshake.
. "$top_srcdir/tests/integration/lib.sh"
gs_setup

id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "job $id did not complete: $(cat "$T/wait.out")"
grep -q "^$id: completed$" "$T/wait.out" || fail "gqueue -w said: $(cat "$T/wait.out")"
expect_log "$CUBE"

# gprint -w waits itself and reports the end state.
out=$("$GPRINT" -w -T "second cube" "$CUBE") || fail "gprint -w: $out"
echo "$out" | grep -q "^mk3-[0-9]*: completed$" || fail "gprint -w said: $out"
expect_log "$CUBE" "$CUBE"

# The queue is empty again and the printer ready.
"$GQUEUE" > "$T/q.out"
grep -qx "mk3 is ready" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
grep -qx "no entries" "$T/q.out" || fail "gqueue: $(cat "$T/q.out")"
echo "PASS"
