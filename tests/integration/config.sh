#!/bin/sh
# spoold -n checks a configuration and reports every error with its
# line number.
. "$top_srcdir/tests/integration/lib.sh"
gs_config
# spoold -n checks that the backend is there to run: the files below
# end with where it is.
BACKENDS="[spool]
backend_dir = $BIN/backends"
out=$("$SPOOLD" -n -c "$GSPOOL_CONF") || fail "a good configuration failed: $out"
echo "$out" | grep -q "configuration OK (1 printer)" || fail "spoold -n said: $out"

cat > "$T/bad.conf" <<CONF
[spool]
directory = relative/path
colour = blue

[printer mk3]
device = /dev/ttyACM0?speed=9
max_hotend = hot

[printer mk3]
device = /dev/ttyUSB0

[printer bad/name]
device = /dev/ttyUSB1

[printer mk4]
description = no device here
handshake_timeout = -1
this line has no equals sign
[broken
[extra]
key = value
$BACKENDS
CONF
set +e
"$SPOOLD" -n -c "$T/bad.conf" > "$T/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a bad configuration exited $rc"
for want in \
    "bad.conf:2: directory: 'relative/path' must be an absolute path" \
    "bad.conf:3: unknown key 'colour' in \[spool\]" \
    "bad.conf:6: device: '/dev/ttyACM0?speed=9': the only option is ?baud=N" \
    "bad.conf:7: max_hotend: 'hot' is not a whole number from 0 to 500" \
    "bad.conf:9: \[printer mk3\] is already defined at line 5" \
    "bad.conf:12: printer name 'bad/name'" \
    "bad.conf:17: handshake_timeout: '-1' is not a whole number" \
    "bad.conf:18: expected 'key = value'" \
    "bad.conf:19: section header without '\]'" \
    "bad.conf:20: unknown section \[extra\]" \
    "bad.conf:15: \[printer mk4\] has no device" \
    "bad.conf: 11 errors"; do
	grep -q "$want" "$T/out" || { cat "$T/out" >&2; fail "missing: $want"; }
done

set +e
"$SPOOLD" -n -c "$T/none.conf" > "$T/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "none.conf: cannot read: No such file" "$T/out" ||
	fail "a missing file: exit $rc: $(cat "$T/out")"
printf '[spool]\ndirectory = /tmp\n' > "$T/empty.conf"
"$SPOOLD" -n -c "$T/empty.conf" > "$T/out" 2>&1 && fail "no printers accepted"
grep -q "no printer is configured" "$T/out" || fail "said: $(cat "$T/out")"
"$SPOOLD" -x > "$T/out" 2>&1 && fail "a bad flag was accepted"
grep -q "see 'spoold -h'" "$T/out" || fail "said: $(cat "$T/out")"
! grep -q "usage:" "$T/out" || fail "a usage error buried under the synopsis: $(cat "$T/out")"
# G-code keys: indented lines go on with the value, each line checked as
# a job line would be.
cat > "$T/gcode.conf" <<CONF
[printer mk3]
device = /dev/ttyACM0
description = on the bench
  and more
pause_gcode = M400
  G91 ; lift
  window = 3
cancel_gcode = M104 S300
resume_gcode = N5 G1 X1
  G1 X1 *7
$BACKENDS
CONF
"$SPOOLD" -n -c "$T/gcode.conf" > "$T/out" 2>&1 && fail "bad G-code keys accepted"
for want in \
    "gcode.conf:4: an indented line goes on with the key above, and only G-code keys take more lines" \
    "gcode.conf:7: an indented line goes on with the G-code above" \
    "gcode.conf:8: cancel_gcode: M104 S300 sets 300 C, above the printer's max_hotend 285" \
    "gcode.conf:9: resume_gcode: 'N5 G1 X1' carries its own line number" \
    "gcode.conf:10: resume_gcode: 'G1 X1 \*7' carries its own checksum" \
    "gcode.conf: 5 errors"; do
	grep -q "$want" "$T/out" || { cat "$T/out" >&2; fail "missing: $want"; }
done

printf '[spool]\nmax_job_size = 12Q\n[printer mk3]\ndevice = /dev/ttyACM0\n[user alice]\nmax_jobs = lots\ncolour = red\n[user a/b]\nmax_jobs = 1\n%s\n' "$BACKENDS" > "$T/size.conf"
"$SPOOLD" -n -c "$T/size.conf" > "$T/out" 2>&1 && fail "a bad max_job_size accepted"
for want in \
    "size.conf:2: max_job_size: '12Q' is not a size such as 500M or 2G" \
    "size.conf:6: max_jobs: 'lots' is not a whole number" \
    "size.conf:7: unknown key 'colour' in \[user alice\]" \
    "size.conf:8: user name 'a/b'"; do
	grep -q "$want" "$T/out" || fail "missing $want: $(cat "$T/out")"
done

# The analyser's policy keys.
cat > "$T/policy.conf" <<CONF
[printer mk3]
device = /dev/ttyACM0
build_volume = 250 210
build_min = 0 -4 0
forbidden_gcode = M500 X
allowed_gcode = G1, G28 M104
[printer mk4]
device = /dev/ttyACM1
build_volume = 250 210 210
build_min = 0 300 0
$BACKENDS
CONF
"$SPOOLD" -n -c "$T/policy.conf" > "$T/out" 2>&1 && fail "bad policy keys accepted"
for want in \
    "policy.conf:3: build_volume: '250 210' is not three positive numbers of millimetres (X Y Z)" \
    "policy.conf:5: forbidden_gcode: 'X' is not a command such as M500" \
    "policy.conf:7: \[printer mk4\]: build_min is not below build_volume" \
    "policy.conf: 3 errors"; do
	grep -q "$want" "$T/out" || { cat "$T/out" >&2; fail "missing: $want"; }
done

# Beyond the file: the programs it names, the devices; and the keys set
# twice or misspelt.
mkdir "$T/filters"
: > "$T/tty0"
ln -s tty0 "$T/link0"
cat > "$T/check.conf" <<CONF
[spool]
notify = $T/no-notify
default_printer = mk3
keep_jobs = 2d
keep_jobz = 1d
max_hotend = 200
backend_dir = $BIN/backends
filter_dir = $T/filters
keep_jobs = 3d
[printer mk3]
device = $T/tty0
filters = nosuch
windw = 4
[printer mk4]
device = $T/tty0
[printer mk5]
device = $T/link0
[printer mk6]
device = $T/unplugged
[printr x]
key = 1
CONF
set +e
"$SPOOLD" -n -c "$T/check.conf" > "$T/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$T/out" >&2; fail "a bad configuration exited $rc"; }
for want in \
    "check.conf:2: notify: $T/no-notify: No such file or directory" \
    "check.conf:5: unknown key 'keep_jobz' in \[spool\]; did you mean 'keep_jobs'?" \
    "check.conf:6: unknown key 'max_hotend' in \[spool\]; it is a key of \[printer NAME\]" \
    "check.conf:9: keep_jobs is already set at line 4" \
    "check.conf:12: filters: $T/filters/nosuch: No such file or directory" \
    "check.conf:13: unknown key 'windw' in \[printer mk3\]; did you mean 'window'?" \
    "check.conf:15: device: $T/tty0 is \[printer mk3\]'s device too (line 11)" \
    "check.conf:17: device: $T/link0 is $T/tty0, \[printer mk3\]'s device (line 11)" \
    "check.conf:19: warning: device: $T/unplugged: No such file or directory" \
    "check.conf:20: unknown section \[printr x\]; did you mean \[printer NAME\]?" \
    "check.conf: 9 errors"; do
	grep -q "$want" "$T/out" || { cat "$T/out" >&2; fail "missing: $want"; }
done
# A missing device alone is a warning: the check passes.
printf '[spool]\nbackend_dir = %s/backends\n[printer mk3]\ndevice = %s/unplugged\n' "$BIN" "$T" > "$T/unplugged.conf"
"$SPOOLD" -n -c "$T/unplugged.conf" > "$T/out" 2> "$T/err" || fail "a missing device failed the check: $(cat "$T/err")"
grep -q "configuration OK (1 printer)" "$T/out" || fail "spoold -n said: $(cat "$T/out")"
grep -q "unplugged.conf:4: warning: device: $T/unplugged" "$T/err" || fail "no warning: $(cat "$T/err")"
# The backend the device needs.
printf '[spool]\nbackend_dir = %s/none\n[printer mk3]\ndevice = %s/tty0\n' "$T" "$T" > "$T/nobackend.conf"
"$SPOOLD" -n -c "$T/nobackend.conf" > "$T/out" 2>&1 && fail "a missing backend passed"
grep -q "nobackend.conf:4: device: its backend $T/none/serial: No such file or directory" "$T/out" ||
	fail "spoold -n said: $(cat "$T/out")"
# A scheme is its backend's name: one that no backend serves is
# unknown, at its device's line; one that a backend serves is its own.
printf '[spool]\nbackend_dir = %s/backends\n[printer mk3]\ndescription = x\ndevice = frob://host/x\n' "$BIN" > "$T/scheme.conf"
"$SPOOLD" -n -c "$T/scheme.conf" > "$T/out" 2>&1 && fail "an unknown scheme passed"
grep -q "scheme.conf:5: device: 'frob://host/x': unknown scheme 'frob': no backend $BIN/backends/frob: No such file or directory" "$T/out" ||
	fail "spoold -n said: $(cat "$T/out")"
mkdir -p "$T/frobdir"
printf '#!/bin/sh\n' > "$T/frobdir/frob"
chmod +x "$T/frobdir/frob"
sed -i "s|^backend_dir = .*|backend_dir = $T/frobdir|" "$T/scheme.conf"
"$SPOOLD" -n -c "$T/scheme.conf" > "$T/out" 2>&1 || fail "a scheme with a backend failed: $(cat "$T/out")"
for bad in 'Frob://x' 'fr_ob://x' 'tcp:127.0.0.1:1'; do
	printf '[spool]\nbackend_dir = %s/backends\n[printer mk3]\ndevice = %s\n' "$BIN" "$bad" > "$T/scheme.conf"
	"$SPOOLD" -n -c "$T/scheme.conf" > "$T/out" 2>&1 && fail "device $bad passed"
	grep -q "scheme.conf:4: device: '$bad'" "$T/out" || fail "device $bad: $(cat "$T/out")"
done

# The commands report a broken configuration too, in what they read
# ([spool] directory; not the unknown key of line 3, spoold's to report).
"$GQUEUE" -c "$T/bad.conf" > "$T/out" 2>&1 && fail "gqueue accepted a bad configuration"
grep -q "bad.conf:2: directory: 'relative/path' must be an absolute path" "$T/out" || fail "gqueue said: $(cat "$T/out")"
grep -q "bad.conf:3:" "$T/out" && fail "gqueue checked a key it does not read: $(cat "$T/out")"
echo "PASS"
