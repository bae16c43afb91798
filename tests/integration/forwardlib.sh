# forwardlib.sh - spools for the tests of remote queues (sourced after
# lib.sh): a remote host in $B (spoold, gsftpd on a loopback port,
# virtual printers that clear their own beds, the account alice), and
# the front in $T (spoold and the printer far, which is
# sftp://alice@127.0.0.1:PORT/mk3 with alice's key and the remote's
# host key).  A room has more remote hosts: fwd_host names the one the
# functions below act on ($T/b unless told), each with its own
# directory, port, logs ($T/spoold-NAME.log, $T/gsftpd-NAME.log) and
# known_hosts ($T/known_hosts.NAME).

# What every remote-queue test needs: host keys made, and the trees'
# JSON read.  A test that drives sftp(1) itself checks for it too.
command -v ssh-keygen > /dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }

GSFTPD_B_PID=
SPOOLD_B_PID=
VPRINTER_B_PID=

# fwd_host NAME: the remote host $T/NAME is the one acted on.
fwd_host() {
	FWD_HOST=$1
	B="$T/$1"
	PB=
	[ -f "$B/port" ] && PB=$(cat "$B/port")
	return 0
}
fwd_host b

# fwd_vlog PRINTER: the log of a remote printer's commands (mk3's is
# $B/vprinter.log).
fwd_vlog() {
	if [ "$1" = mk3 ]; then
		echo "$B/vprinter.log"
	else
		echo "$B/vprinter-$1.log"
	fi
}

# fwd_remote [vprinter options]: the remote spool, its printers
# ($FWD_PRINTERS, mk3 if unset; those in $FWD_AWAIT_CLEAR wait to be
# cleared after a job; $FWD_LINES_NAME, if set, is added to printer
# NAME's section), gsftpd; $FWD_REMOTE_EXTRA is added to its
# configuration (after alice's account), $FWD_REMOTE_SPOOL_EXTRA (one
# line) to its [spool] section and $FWD_PRINTER_EXTRA (lines) to each
# of its printers'.
fwd_remote() {
	mkdir -p "$B"
	[ "$(id -u)" = 0 ] && chmod 755 "$T" "$B"
	[ -f "$T/alice" ] || gs_sftp_key alice
	{
		if [ -n "${FWD_REMOTE_SPOOL_EXTRA:-}" ]; then
			gs_remote_conf "$B" | sed "/^\[spool\]\$/a $FWD_REMOTE_SPOOL_EXTRA"
		else
			gs_remote_conf "$B"
		fi
		for p in ${FWD_PRINTERS:-mk3}; do
			clears=yes
			case " ${FWD_AWAIT_CLEAR:-} " in
			*" $p "*) clears=no ;;
			esac
			printf '[printer %s]\ndevice = %s\nhandshake_timeout = 5\n' "$p" "$B/$p.tty"
			printf 'reconnect_interval = 1\nclears_bed = %s\n' "$clears"
			[ -z "${FWD_PRINTER_EXTRA:-}" ] || printf '%s\n' "$FWD_PRINTER_EXTRA"
			eval "printf '%s\\n\\n' \"\${FWD_LINES_$p:-}\""
		done
		cat <<CONF
[account alice]
keys = $T/alice.keys
${FWD_REMOTE_EXTRA:-}
CONF
	} > "$B/gspool.conf"
	for p in ${FWD_PRINTERS:-mk3}; do
		"$VPRINTER" -o "$(fwd_vlog "$p")" "$@" "$B/$p.tty" 2>>"$B/vprinter.err" &
		VPRINTER_B_PID=$!
		"$WAITFOR" exists "$B/$p.tty" ||
			fail "the virtual printer $p of $FWD_HOST did not start"
	done
	fwd_start_spoold_b
	fwd_start_gsftpd
}

fwd_start_spoold_b() {
	rm -f "$B/spool/control"
	"$SPOOLD" -d -v -c "$B/gspool.conf" 2>>"$T/spoold-$FWD_HOST.log" &
	SPOOLD_B_PID=$!
	"$WAITFOR" exists "$B/spool/control" || fail "the remote spoold of $FWD_HOST did not start"
}

# The remote's gsftpd, on the port it had before if it had one (the
# front's device names it).
fwd_start_gsftpd() {
	rm -f "$B/port.now"
	if [ -f "$B/port" ]; then
		sed -i "s/^listen = .*/listen = 127.0.0.1:$(cat "$B/port")/" "$B/gspool.conf"
	fi
	"$BIN/sftpd/gsftpd" -f -d -c "$B/gspool.conf" -p "$B/port.now" 2>>"$T/gsftpd-$FWD_HOST.log" &
	GSFTPD_B_PID=$!
	"$WAITFOR" exists "$B/port.now" || fail "the remote gsftpd of $FWD_HOST did not start"
	mv "$B/port.now" "$B/port"
	PB=$(cat "$B/port")
	echo "[127.0.0.1]:$PB $(ssh-keygen -y -f "$B/spool/sftp/ssh_host_ed25519_key")" \
	    > "$T/known_hosts.$FWD_HOST"
}

# The remote host gone: its gsftpd and every connection it serves (each
# a process of its own, named by the remote's configuration).
fwd_stop_gsftpd() {
	kill "$GSFTPD_B_PID"
	wait "$GSFTPD_B_PID" || true
	GSFTPD_B_PID=
	pkill -KILL -f -- "gsftpd -f -d -c $B/gspool.conf" || true
	pidwait -f -- "gsftpd -f -d -c $B/gspool.conf" 2>/dev/null || true
}

# fwd_printer NAME HOST DEST: the front's section of a printer NAME
# that is DEST on the remote host HOST (started already).
fwd_printer() {
	cat <<CONF
[printer $1]
device = sftp://alice@127.0.0.1:$(cat "$T/$2/port")/$3
ssh_key_file = $T/alice
known_hosts_file = $T/known_hosts.$2
handshake_timeout = 20
reconnect_interval = 1
clears_bed = yes
CONF
}

# fwd_front [printer lines]: the front spool with its printer far,
# which is the current remote's $FWD_DEST (mk3 if unset); with
# FWD_NO_FAR set, without it (the lines name the printers);
# $FWD_SPOOL_EXTRA is added to its [spool] section.
fwd_front() {
	{
		cat <<CONF
[spool]
directory = $T/spool
backend_dir = $BIN/backends
magic = $BIN/magic/gcode.mgc
$(gs_spoold_user)
${FWD_SPOOL_EXTRA:-}

CONF
		[ -n "${FWD_NO_FAR:-}" ] || fwd_printer far "$FWD_HOST" "${FWD_DEST:-mk3}"
	} > "$GSPOOL_CONF"
	for line in "$@"; do
		echo "$line" >> "$GSPOOL_CONF"
	done
	gs_spoold
	[ -n "${FWD_NO_FAR:-}" ] ||
		"$WAITFOR" contains "$T/spoold.log" "far: ready " || fail "far did not become ready"
}

# fwd_submit FILE [gprint options]: the job's id on the front.
fwd_submit() {
	f=$1
	shift
	out=$("$GPRINT" -P far "$@" "$f") || fail "gprint $f: exit $?: $out"
	case "$out" in
	"request id is far-"*) ;;
	*) fail "gprint said: $out" ;;
	esac
	id=${out#request id is far-}
	echo "${id%% *}"
}

# fwd_attr ID NAME: an attribute of the front's job ID, once it has it.
fwd_attr() {
	"$WAITFOR" contains "$T/spoold.log" "far-$1: forwarded to " ||
		fail "job $1 was not forwarded"
	{ "$GQUEUE" -l "$1"; "$GQUEUE" -l --history "$1"; } 2>/dev/null |
	    tr ' \t,' '\n\n\n' | sed -n "s/^$2=//p" | head -n 1
}

# fwd_rjob N: the remote's job N, as an administrator there sees it.
fwd_rjob() {
	{ "$GQUEUE" -c "$B/gspool.conf" -a --json "$1"
	  "$GQUEUE" -c "$B/gspool.conf" -a --json --history "$1"; } 2>/dev/null |
	    jq -c --argjson id "$1" '.jobs[] | select(.id == $id)' | head -n 1
}

# fwd_count FORWARD-ID: the remote's jobs with that forward id.
fwd_count() {
	{ "$GQUEUE" -c "$B/gspool.conf" -a --json
	  "$GQUEUE" -c "$B/gspool.conf" -a --json --history; } |
	    jq -r --arg f "$1" '.jobs[] | select(.attributes.forward == $f) | .id' |
	    sort -u | grep -c . || true
}

# fwd_front_relay SLOWLINK-OPTIONS...: the front, its printer far
# (sftp://alice@.../room, a 3 s timeout) reaching the remote through
# tests/integration/slowlink.py with those options, listening on $PL,
# with the relay's port in $T/known_hosts.link; once far is ready.
fwd_front_relay() {
	"$PY" "$top_srcdir/tests/integration/slowlink.py" "$@" "$T/link.port" "$PB" 0 \
	    2>>"$T/link.log" &
	"$WAITFOR" exists "$T/link.port" || fail "the relay did not start"
	PL=$(cat "$T/link.port")
	echo "[127.0.0.1]:$PL $(ssh-keygen -y -f "$B/spool/sftp/ssh_host_ed25519_key")" \
	    > "$T/known_hosts.link"
	FWD_NO_FAR=1 fwd_front "[printer far]
device = sftp://alice@127.0.0.1:$PL/room
ssh_key_file = $T/alice
known_hosts_file = $T/known_hosts.link
handshake_timeout = 3
reconnect_interval = 1
clears_bed = yes"
	"$WAITFOR" contains "$T/spoold.log" "far: ready " || fail "far did not become ready"
}

# fwd_front_stopped: the remote and the front, then the front's spoold
# stopped and its idle backend gone, so that the next spoold starts a
# backend of its own, with that spoold's environment; the cube's
# commands in $T/expected.log.
fwd_front_stopped() {
	fwd_remote
	fwd_front
	gs_stop_spoold
	"$WAITFOR" gone "$T/spool/run/far.sock" || fail "the idle backend did not exit with spoold"
	gcode_commands "$CUBE" > "$T/expected.log"
}

# fwd_spoold_step STEP NAME=VALUE...: the remote printer's log emptied
# and a new front spoold with those variables in its environment (a
# crash or hold point at STEP), once it is ready.
fwd_spoold_step() {
	step=$1
	shift
	: > "$B/vprinter.log"
	rm -f "$T/spool/control"
	env "$@" "$SPOOLD" -d -v -c "$GSPOOL_CONF" 2>>"$T/spoold.log" &
	SPOOLD_PID=$!
	"$WAITFOR" exists "$T/spool/control" || fail "$step: spoold did not start"
}
