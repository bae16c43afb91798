# lib.sh - what every integration test shares: a private gspool in a
# temporary directory, with spoold and the virtual printer started from
# the build tree, torn down when the test exits.
#
# A test sources this file, calls gs_setup, and drives the real commands.
# Waiting is always for an event (waitfor, gqueue -w), never a sleep.

set -eu

: "${top_builddir:?}" "${top_srcdir:?}"
BIN="$top_builddir"
WAITFOR="$BIN/tests/integration/waitfor"
VPRINTER="$BIN/vprinter/gspool-vprinter"
SPOOLD="$BIN/spoold/spoold"
GPRINT="$BIN/lpr-tools/gprint"
GQUEUE="$BIN/lpr-tools/gqueue"
GCANCEL="$BIN/lpr-tools/gcancel"
GPC="$BIN/lpr-tools/gpc"
CORPUS="$top_srcdir/../shared/corpus/gcode"
CUBE="$top_srcdir/examples/calibration-cube.gcode"

T=$(mktemp -d "${TMPDIR:-/tmp}/gspool-test.XXXXXX")
export GSPOOL_CONF="$T/gspool.conf"
unset GSPOOL_PRINTER PRINTER || true
SPOOLD_PID=
VPRINTER_PID=

fail() {
	echo "FAIL: $*" >&2
	for f in "$T/spoold.log" "$T/vprinter.err" "$T/gsftpd.log"; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; } >&2
	done
	exit 1
}

gs_teardown() {
	rc=$?
	set +e
	[ -n "$SPOOLD_PID" ] && kill "$SPOOLD_PID" 2>/dev/null
	[ -n "$VPRINTER_PID" ] && kill "$VPRINTER_PID" 2>/dev/null
	# Backends outlive spoold by design; they are started with a device
	# under $T, which names them.
	pkill -f -- "$T/" 2>/dev/null
	wait 2>/dev/null
	pidwait -f -- "$T/" 2>/dev/null
	# Under the sanitizers, a report from any process fails the test.
	if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" \
	    "$T"/*.log "$T"/*.err 2>/dev/null; then
		grep -h -A 30 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" \
		    "$T"/*.log "$T"/*.err >&2
		rc=1
	fi
	rm -rf "$T"
	exit $rc
}
trap gs_teardown EXIT

# spoold's user: root's tests keep spoold as root (the tests of
# privilege separation set a user of their own); anyone else's run
# spoold as themselves, and the key is not used.
gs_spoold_user() {
	if [ "$(id -u)" = 0 ]; then echo "user = root"; fi
}

# gsftpd's user ([sftp] user): as root, daemon (an unprivileged system
# user; not nobody, whom the tests of other users' rights play), with $T
# opened for it to pass; anyone else's tests run gsftpd as themselves.
gs_sftp_user() {
	if [ "$(id -u)" != 0 ]; then
		id -un
	elif id daemon > /dev/null 2>&1; then
		echo daemon
	else
		echo nobody
	fi
}

# gs_remote_conf DIR: the [spool] and [sftp] sections of another host's
# configuration, its spool in DIR/spool and its gsftpd on a loopback
# port (the tests of remote queues).
gs_remote_conf() {
	cat <<CONF
[spool]
directory = $1/spool
backend_dir = $BIN/backends
magic = $BIN/magic/gcode.mgc
$(gs_spoold_user)

[sftp]
user = $(gs_sftp_user)
listen = 127.0.0.1:0

CONF
}

# gs_config [extra printer lines...]: one printer, mk3, on $T/mk3.tty.
# It clears its own bed (clears_bed), so that one job follows another;
# the tests of bed clearing set clears_bed = no.  A key given again in
# the extra lines (in the same section) takes the place of the one
# below: a key set twice is an error of gspool.conf.
gs_config() {
	{
		cat <<CONF
[spool]
directory = $T/spool
backend_dir = $BIN/backends
magic = $BIN/magic/gcode.mgc
$(gs_spoold_user)

[sftp]
user = $(gs_sftp_user)

[printer mk3]
device = $T/mk3.tty
handshake_timeout = 5
reconnect_interval = 1
clears_bed = yes
CONF
		for line in "$@"; do
			echo "$line"
		done
	} | gs_last_wins > "$GSPOOL_CONF"
}

# Of a key set twice in a section, only the last (with its indented
# lines) is kept.
gs_last_wins() {
	awk '{ line[NR] = $0 }
	END {
		sec = ""
		for (i = 1; i <= NR; i++) {
			id[i] = ""
			if (line[i] ~ /^\[/)
				sec = line[i]
			else if (line[i] ~ /^[A-Za-z_][A-Za-z0-9_]*[ \t]*=/) {
				k = line[i]
				sub(/[ \t]*=.*/, "", k)
				id[i] = sec SUBSEP k
				last[id[i]] = i
			}
		}
		skip = 0
		for (i = 1; i <= NR; i++) {
			if (id[i] != "")
				skip = last[id[i]] != i
			else if (line[i] !~ /^[ \t]/)
				skip = 0
			if (!skip)
				print line[i]
		}
	}'
}

# gs_vprinter [vprinter options...]: start the virtual printer on mk3.
# Without a fault among its options the line is clean, and expect_log
# also asserts that the printer met no error and lost no byte.
VP_FAULTS=
gs_vprinter() {
	VP_FAULTS=
	for a in "$@"; do
		case "$a" in
		--corrupt-*|--drop-ok|--spurious-resend|--reset-at|--kill-at|\
		--runaway-at|--silent-after|--hangup-after)
			VP_FAULTS=yes ;;
		esac
	done
	rm -f "$T/vprinter.log.json"
	"$VPRINTER" -o "$T/vprinter.log" "$@" "$T/mk3.tty" 2>>"$T/vprinter.err" &
	VPRINTER_PID=$!
	"$WAITFOR" exists "$T/mk3.tty" || fail "the virtual printer did not start"
}

gs_spoold() {
	"$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
	SPOOLD_PID=$!
	"$WAITFOR" exists "$T/spool/control" || fail "spoold did not start"
}

gs_stop_spoold() {
	kill "$SPOOLD_PID"
	wait "$SPOOLD_PID" || true
	SPOOLD_PID=
}

gs_setup() {
	gs_config "$@"
	gs_vprinter
	gs_spoold
}

# The commands a G-code file sends, as the printer logs them: G, M and T
# commands (Marlin runs no other; a word such as Klipper's TIMELAPSE_TAKE_FRAME
# is none of them), less M105, M110, M115 and M155, which change
# nothing on the print, and less an M0/M1 that ends the file.
gcode_commands() {
	tr '\r' '\n' < "$1" | sed -e 's/([^)]*)//g' -e 's/(.*//' -e 's/;.*//' -e 's/^[ 	]*//' \
	    -e 's/[ 	]*$//' -e '/^$/d' | awk '{ print }' |
	    grep -E '^[GMT]([^A-Za-z_]|$)' | grep -v -E '^M(105|110|115|155)([^0-9.]|$)' |
	    # An M0/M1 that ends the file is not sent (RepRapFirmware's end).
	    awk 'NR > 1 { print prev } { prev = $0 }
		END { if (NR > 0 && prev !~ /^M[01]([^0-9.]|$)/) print prev }' || true
}

# expect_log FILE...: the printer executed each file as one job, and
# nothing else.
expect_log() {
	{
		for f in "$@"; do
			gcode_commands "$f"
		done
	} > "$T/expected.log"
	cmp -s "$T/expected.log" "$T/vprinter.log" || expect_tails || {
		diff "$T/expected.log" "$T/vprinter.log" | head -n 20 >&2
		fail "the printer's log differs from the job's commands"
	}
	[ -n "$VP_FAULTS" ] || expect_clean "$T/vprinter.log.json"
}

# expect_tails: the log differs from the job only by the rests of lines
# that the firmware cut when it drained its receive buffer and ran as
# commands of their own (gspool(7), BUGS): as many lines added as the
# printer counted, nothing lost, nothing changed.
expect_tails() {
	t=$(vp_field tails_run "$T/vprinter.log.json")
	[ -n "$t" ] && [ "$t" -gt 0 ] || return 1
	diff "$T/expected.log" "$T/vprinter.log" > "$T/tails.diff"
	[ "$(grep -c '^<' "$T/tails.diff")" -eq 0 ] &&
	    [ "$(grep -c '^>' "$T/tails.diff")" -eq "$t" ] || return 1
	echo "note: the firmware ran $t cut line(s) of its own: $(grep '^>' "$T/tails.diff" | tr '\n' ' ')"
}

# link_attr ID NAME: a figure of job ID's link (link.NAME), as gqueue -l
# shows it among the job's attributes.
link_attr() {
	"$GQUEUE" -l --history "$1" | sed -n "s/.*link\.$2=\([0-9]*\).*/\1/p"
}

# vp_field NAME FILE: a number from the virtual printer's summary.
vp_field() {
	sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"
}

# expect_clean SUMMARY: on a clean line the printer met no error but
# the handshake's deliberate one, and lost no byte to a full receive
# buffer.  The summary is kept current as these counters change.
expect_clean() {
	[ -f "$1" ] || fail "no summary from the virtual printer ($1)"
	e=$(vp_field errors "$1") p=$(vp_field probe_errors "$1")
	o=$(vp_field rx_overflows "$1") d=$(vp_field rx_dropped "$1")
	[ -n "$e" ] && [ -n "$p" ] && [ -n "$o" ] ||
		fail "a summary without its counters: $(cat "$1")"
	[ "$e" -eq "$p" ] && [ "$o" -eq 0 ] || {
		grep -h "error:\|receive buffer full" "$T"/vprinter*.err 2>/dev/null |
		    head -n 10 >&2
		fail "on a clean line the printer met $((e - p)) errors and" \
		    "$o receive-buffer overflows ($d bytes lost): $(cat "$1")"
	}
}

# submit FILE [gprint options]: print the job id.
submit() {
	f=$1
	shift
	out=$("$GPRINT" "$@" "$f") || fail "gprint $f: exit $?"
	case "$out" in
	"request id is mk3-"*) ;;
	*) fail "gprint said: $out" ;;
	esac
	id=${out#request id is mk3-}
	echo "${id%% *}"
}

# gs_sftp_key NAME: an Ed25519 key pair $T/NAME (comment NAME), its
# public half authorized alone in $T/NAME.keys.
gs_sftp_key() {
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$T/$1"
	cp "$T/$1.pub" "$T/$1.keys"
}

# gs_gsftpd: start gsftpd on the configuration's [sftp] (listen =
# 127.0.0.1:0); sets PORT and GSFTPD_PID, and writes the server's host
# key to $T/known_hosts.
gs_gsftpd() {
	for p in ssh-keygen sftp; do
		command -v $p > /dev/null || { echo "SKIP: no $p"; exit 77; }
	done
	rm -f "$T/port"
	[ "$(id -u)" = 0 ] && chmod 755 "$T"
	"$BIN/sftpd/gsftpd" -f -d -c "$GSPOOL_CONF" -p "$T/port" 2>>"$T/gsftpd.log" &
	GSFTPD_PID=$!
	"$WAITFOR" exists "$T/port" || fail "gsftpd did not start"
	PORT=$(cat "$T/port")
	echo "[127.0.0.1]:$PORT $(ssh-keygen -y -f "$T/spool/sftp/ssh_host_ed25519_key")" \
	    > "$T/known_hosts"
}

gs_stop_gsftpd() {
	kill "$GSFTPD_PID"
	wait "$GSFTPD_PID" || true
}

# as_sftp WHO [sftp options]: WHO's OpenSSH sftp session, its commands
# read from standard input (each may begin with - to go on after it
# fails).
as_sftp() {
	who=$1
	shift
	sftp -o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" -P "$PORT" \
	    -i "$T/$who" "$@" -b - "$who@127.0.0.1"
}

need_corpus() {
	[ -d "$CORPUS" ] || { echo "SKIP: no corpus at $CORPUS"; exit 77; }
}
