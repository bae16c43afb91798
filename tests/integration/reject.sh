#!/bin/sh
# gprint with bad input: each gets one clear message naming the file and
# the line, a non-zero exit, and spoold keeps serving.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
sed -i '/^\[spool\]/a max_job_size = 32M' "$GSPOOL_CONF"
# Each bad file once, more than max_rejections allows: refused.sh tests
# the limit.
sed -i '/^\[spool\]/a max_rejections = 0' "$GSPOOL_CONF"
gs_vprinter
gs_spoold

expect_fail() {	# expected-exit pattern command...
	code=$1 pat=$2
	shift 2
	set +e
	"$@" > "$T/out" 2>&1
	rc=$?
	set -e
	[ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code: $(cat "$T/out")"
	grep -q "$pat" "$T/out" || fail "$*: said: $(cat "$T/out")"
}

printf 'G28\nG1 X10\n\0' > "$T/nul.gcode"
expect_fail 1 "nul.gcode: rejected: .*line 3: NUL byte" "$GPRINT" "$T/nul.gcode"
head -c 2048 "$SPOOLD" > "$T/bin.gcode"
expect_fail 1 "bin.gcode: rejected: not a text G-code file" "$GPRINT" "$T/bin.gcode"
: > "$T/empty.gcode"
expect_fail 1 "empty.gcode: rejected: empty file" "$GPRINT" "$T/empty.gcode"
printf '; only a comment\n\n   \n' > "$T/nothing.gcode"
expect_fail 1 "no G-code commands" "$GPRINT" "$T/nothing.gcode"
{ printf 'G28\n'; printf 'G1 X%090d\n' 1; } > "$T/long.gcode"
expect_fail 1 "long.gcode: rejected: line 2: .*95 bytes" "$GPRINT" "$T/long.gcode"
printf 'G28\nM140 S150\n' > "$T/bed.gcode"
expect_fail 1 "line 2: M140 S150 sets 150 C, above the printer's max_bed 120" "$GPRINT" "$T/bed.gcode"
printf 'G28\nG1 X1 \303\251\n' > "$T/utf8.gcode"
expect_fail 1 "line 2: byte 0xc3 outside a comment" "$GPRINT" "$T/utf8.gcode"
# The hostile set: each its own reason, none harms spoold.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "G1 X%d.5 Y10 E0.1\n", i % 100 }' > "$T/nul3mb.gcode"
printf '\0' >> "$T/nul3mb.gcode"
expect_fail 1 "nul3mb.gcode: rejected: line 100001: NUL byte" "$GPRINT" "$T/nul3mb.gcode"
{ printf 'G28\n; '; head -c 10000000 /dev/zero | tr '\0' 'x'; printf '\nG1 X'; head -c 10000000 /dev/zero | tr '\0' '1'; printf '\n'; } > "$T/line10mb.gcode"
expect_fail 1 "line10mb.gcode: rejected: line 3: command is longer than the firmware's 95 bytes" "$GPRINT" "$T/line10mb.gcode"
printf 'G28\nG1 X10\n' > "$T/sparse.gcode"
truncate -s 1G "$T/sparse.gcode"
expect_fail 1 "sparse.gcode: rejected: .*line 3: NUL byte" "$GPRINT" "$T/sparse.gcode"
rm -f "$T/sparse.gcode"
mkfifo "$T/fifo.gcode"
expect_fail 1 "fifo.gcode: rejected: not a regular file" "$GPRINT" "$T/fifo.gcode"
expect_fail 1 "rejected: not a regular file" "$GPRINT" /dev/null
printf 'G28\nM502\n' > "$T/m502.gcode"
expect_fail 1 "line 2: M502 is forbidden on this printer" "$GPRINT" "$T/m502.gcode"
printf 'G28\nM109 S400\n' > "$T/hot.gcode"
expect_fail 1 "line 2: M109 S400 sets 400 C" "$GPRINT" "$T/hot.gcode"
printf 'G28\nG1 X5000 Y10\n' > "$T/far.gcode"
expect_fail 1 "line 2: 'G1 X5000 Y10' goes to X5000.000, outside the build volume" "$GPRINT" "$T/far.gcode"
# Compressed files: taken in uncompressed, within max_job_size.
gzip -c "$CUBE" | head -c 3000 > "$T/trunc.gcode.gz"
expect_fail 1 "trunc.gcode.gz: rejected: the gzip data ends too soon" "$GPRINT" "$T/trunc.gcode.gz"
printf '\037\213garbage' > "$T/bad.gcode.gz"
expect_fail 1 "bad.gcode.gz: rejected: damaged gzip data" "$GPRINT" "$T/bad.gcode.gz"
yes 'G1 X1 Y1' | head -c 40000000 | gzip > "$T/bomb.gcode.gz"
expect_fail 1 "bomb.gcode.gz: rejected: it decompresses to more than 100 times its size (a compression bomb?)" \
    "$GPRINT" "$T/bomb.gcode.gz"
# Compressed as G-code compresses, it is refused for its size alone.
head -c 40000000 /dev/urandom | od -An -tx1 -v | sed 's/^/G1 X1 ;/' | head -c 40000000 |
	gzip -1 > "$T/big.gcode.gz"
expect_fail 1 "big.gcode.gz: rejected: larger than the 33554432 bytes allowed for $(id -un) (uncompressed)" \
    "$GPRINT" "$T/big.gcode.gz"
expect_fail 1 "missing.gcode: No such file" "$GPRINT" "$T/missing.gcode"
expect_fail 1 "not a regular file" "$GPRINT" "$T"
expect_fail 2 "nosuch: unknown printer" "$GPRINT" -P nosuch "$CUBE"
expect_fail 2 "see 'gprint -h'" "$GPRINT" -Z "$CUBE"
expect_fail 1 "gprint: -: rejected: empty file" sh -c '"$1" < /dev/null' sh "$GPRINT"
expect_fail 1 "gprint: -: rejected: line 1: byte 0xff" sh -c 'printf "G28\\377\\n" | "$1"' sh "$GPRINT"
expect_fail 2 "not a number of copies" "$GPRINT" -# 0 "$CUBE"
expect_fail 2 "not a priority" "$GPRINT" -p 101 "$CUBE"
expect_fail 2 "is not indefinite, HH:MM" "$GPRINT" --hold-until 25:99 "$CUBE"
expect_fail 2 "gcancel: jobs, or one of -a, -u and -, not both" "$GCANCEL" -a 7
expect_fail 2 "gpc: unknown command 'frobnicate'" "$GPC" frobnicate mk3
expect_fail 2 "not 1 to 100" "$GPC" priority 7 0
expect_fail 1 "job 999 does not exist" "$GPC" hold 999
expect_fail 1 "nosuch: unknown printer or class" "$GPC" disable nosuch
expect_fail 2 "gcancel: which jobs?" "$GCANCEL"
expect_fail 2 "not a job" "$GCANCEL" mk3-x
expect_fail 1 "job 999 does not exist" "$GCANCEL" 999
expect_fail 2 "gqueue: -w needs jobs" "$GQUEUE" -w
expect_fail 1 "unknown printer" "$GQUEUE" -P nosuch
expect_fail 2 "gqueue: -w goes with jobs only" "$GQUEUE" -w 1 --json

# One bad file among good ones: the good one is queued and printed.
out=$("$GPRINT" -w "$T/nul.gcode" "$CUBE" 2>&1) && fail "gprint exited 0 with a bad file"
echo "$out" | grep -q "mk3-1: completed" || fail "the good file did not print: $out"
expect_log "$CUBE"

# max_user_jobs: the third job waiting is one too many; a [user]
# section sets a user's own limits.
gs_stop_spoold
sed -i '/^\[spool\]/a max_user_jobs = 2' "$GSPOOL_CONF"
kill "$VPRINTER_PID"; wait "$VPRINTER_PID" || true	# nothing prints
gs_spoold
submit "$CUBE" > /dev/null
submit "$CUBE" > /dev/null
expect_fail 1 "rejected: $(id -un) has 2 jobs waiting or printing, the most allowed" \
    "$GPRINT" "$CUBE"
gs_stop_spoold
printf '[user %s]\nmax_jobs = 3\nmax_job_size = 50K\n' "$(id -un)" >> "$GSPOOL_CONF"
gs_spoold
expect_fail 1 "rejected: larger than the 51200 bytes allowed for $(id -un)" "$GPRINT" "$CUBE"
printf 'G28\n' > "$T/small.gcode"
submit "$T/small.gcode" > /dev/null
expect_fail 1 "rejected: $(id -un) has 3 jobs waiting or printing" "$GPRINT" "$T/small.gcode"

# No spoold: a clear message and exit 3.
gs_stop_spoold
expect_fail 3 "cannot reach spoold at $T/spool/control" "$GPRINT" "$CUBE"
expect_fail 3 "cannot reach spoold" "$GQUEUE"
echo "PASS"
