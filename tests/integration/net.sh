# net.sh - what the tests of the network backends share, on top of
# lib.sh: a model of the printer's host (one of the *-model.py, on
# hostmodel.py) started on loopback and waited for, its own controls,
# spoold set up on it and killed and started again mid-print, the
# printer's status and a job's history as gqueue --json shows them,
# and the https check of a host whose certificate no authority signed.
#
# A test sources this file (it sources lib.sh), sets MODEL to its model
# and READY to the line of spoold's log that says the printer is ready,
# and drives the real commands.  The model logs to $ML; it is started
# with its port file at $T/port, whose first line is the API's port and
# whose second, when there is one, is the port of the model's own
# controls.  Every process the test starts is under $T: lib.sh's
# teardown ends them.

. "$top_srcdir/tests/integration/lib.sh"
command -v python3 > /dev/null || { echo "SKIP: no python3"; exit 77; }
ML="$T/model.log"
MODEL=
READY=
MODEL_PID=
PORT=
CPORT=

# A fault of a model's own (hostmodel.py answers it 500 and logs
# "model-fault") fails the test, whatever the backend made of the
# answer: the test would not be testing the host it says.
net_teardown() {
	rc=$?
	set +e
	if cat "$ML" "$T/tls.log" 2>/dev/null | grep "^model-fault" >&2; then
		echo "FAIL: the model met a fault of its own" >&2
		rc=1
	fi
	(exit "$rc")
	gs_teardown
}
trap net_teardown EXIT

# net_need COMMAND...: skip the test without one of them.
net_need() {
	for c in "$@"; do
		command -v "$c" > /dev/null || { echo "SKIP: no $c"; exit 77; }
	done
}

# net_secret FILE TEXT: a file of one line, TEXT, that only its owner
# reads (a key, a password, USER:PASSWORD).
net_secret() {
	printf '%s\n' "$2" > "$1"
	chmod 600 "$1"
}

# net_model_start [model options]: $MODEL, on $PORT when it is set (so
# that a model started again listens where it did), the rest chosen by
# the kernel; waits for its port file, and sets MODEL_PID, PORT and
# CPORT (the port of its controls: the API's, unless it has its own).
net_model_start() {
	rm -f "$T/port"
	python3 "$MODEL" --port "${PORT:-0}" "$@" "$ML" "$T/port" \
	    2>>"$T/model.err" &
	MODEL_PID=$!
	"$WAITFOR" exists "$T/port" || fail "the model did not start"
	PORT=$(sed -n 1p "$T/port")
	CPORT=$(sed -n 2p "$T/port")
	CPORT=${CPORT:-$PORT}
}

# net_model_stop: the model gone, as a host switched off.
net_model_stop() {
	kill "$MODEL_PID"
	wait "$MODEL_PID" 2>/dev/null || true
	MODEL_PID=
}

# ctl WHAT [QUERY]: one of the model's own controls (POST /_model/WHAT).
ctl() {
	curl -sf -X POST "http://127.0.0.1:$CPORT/_model/$1${2:+?$2}" > /dev/null ||
		fail "the model's $1"
}

# net_spoold_check: spoold -n takes the configuration.
net_spoold_check() {
	"$SPOOLD" -n -c "$GSPOOL_CONF" > "$T/n.out" 2>&1 ||
		fail "spoold -n: $(cat "$T/n.out")"
}

# net_spoold_refuses TEXT [printer lines...]: spoold -n refuses the
# configuration of gs_config's lines, and says TEXT (none: anything).
net_spoold_refuses() {
	want=$1
	shift
	gs_config "$@"
	"$SPOOLD" -n -c "$GSPOOL_CONF" > "$T/n.out" 2>&1 &&
		fail "spoold -n took: $*"
	[ -z "$want" ] || grep -qF -- "$want" "$T/n.out" ||
		fail "spoold -n: $(cat "$T/n.out")"
}

# net_setup [printer lines...]: spoold on the configuration of
# gs_config's lines, checked with spoold -n first, and its printer
# ready.
net_setup() {
	gs_config "$@"
	net_spoold_check
	gs_spoold
	"$WAITFOR" contains "$T/spoold.log" "$READY" ||
		fail "the printer did not get ready"
}

# net_spoold_kill: spoold killed at once, as by a crash; the backend
# goes on.
net_spoold_kill() {
	kill -9 "$SPOOLD_PID"
	wait "$SPOOLD_PID" 2>/dev/null || true
	SPOOLD_PID=
}

# net_spoold_start: spoold started again after net_spoold_kill (its
# control socket was left behind).
net_spoold_start() {
	rm -f "$T/spool/control"
	gs_spoold
}

# net_spoold_restart: spoold killed mid-print and started again; it
# re-attaches to the backend.  The log is one for every spoold of the
# test, so the line awaited is a new one: one more than before the kill.
net_spoold_restart() {
	_n=$(grep -c -F -- "re-attached to backend" "$T/spoold.log" || true)
	net_spoold_kill
	net_spoold_start
	"$WAITFOR" count "$T/spoold.log" "re-attached to backend" $((_n + 1)) ||
		fail "spoold did not re-attach"
}

# ready_count: how often the printer has said it is ready.
ready_count() { grep -c -F -- "$READY" "$T/spoold.log" || true; }

# ready_again N: the printer says it is ready once more than the N
# times before.
ready_again() {
	"$WAITFOR" count "$T/spoold.log" "$READY" $(($1 + 1))
}

# status: the printer's status model, on one line.
status() { "$GQUEUE" --json | jq -c '.printers[0].status'; }

# history ID JQ: job ID's row of the history satisfies JQ.
history() {
	"$GQUEUE" --json --history "$1" > "$T/h.json"
	jq -e ".jobs[0] | $2" "$T/h.json" > /dev/null ||
		fail "job $1: not $2: $(cat "$T/h.json")"
}

# queued ID: job ID waits in the queue.
queued() {
	"$GQUEUE" --json > "$T/q.json"
	jq -e --argjson id "$1" '[.jobs[] | select(.id == $id and
	    .state == "pending")] | length == 1' "$T/q.json" > /dev/null ||
		fail "job $1 does not wait: $(cat "$T/q.json")"
}

# offline_with ID [HOST]: the printer is offline, and job ID is still
# its job (HOST: what the printer is without, "host" unless said).
offline_with() {
	"$GQUEUE" --json > "$T/q.json"
	jq -e --argjson id "$1" '.printers[0] | .job == $id and
	    .status.activity == "offline"' "$T/q.json" > /dev/null ||
		fail "the printer without its ${2:-host}: $(cat "$T/q.json")"
}

# net_refuses_hot: a file hotter than the printer's max_hotend (250)
# is refused by gspool's own check; it never reaches the host.
net_refuses_hot() {
	printf 'G28\nM104 S300\n' > "$T/hot.gcode"
	"$GPRINT" "$T/hot.gcode" > "$T/hot.out" 2>&1 && fail "a file too hot was taken"
	grep -q "above the printer's max_hotend 250" "$T/hot.out" ||
		fail "gprint hot.gcode: $(cat "$T/hot.out")"
}

# net_tls_refused SCHEME REQUEST [model options]: SCHEME:// is https,
# and the host's certificate is checked: against $MODEL serving https
# with a certificate no authority signed, spoold's backend says the
# certificate is the problem on its first REQUEST, and sends nothing
# more (the model hears that one connection only).  Without openssl,
# nothing is checked.
net_tls_refused() {
	command -v openssl > /dev/null || return 0
	scheme=$1 request=$2
	shift 2
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls.key" \
	    -out "$T/tls.crt" 2>/dev/null || fail "openssl req"
	gs_stop_spoold
	rm -f "$T/tport"
	python3 "$MODEL" "$@" --tls "$T/tls.crt" "$T/tls.key" \
	    "$T/tls.log" "$T/tport" 2>>"$T/model.err" &
	"$WAITFOR" exists "$T/tport" || fail "the https model did not start"
	TPORT=$(sed -n 1p "$T/tport")
	gs_config "device = $scheme://127.0.0.1:$TPORT" "api_key_file = $T/key"
	gs_spoold
	"$WAITFOR" contains "$T/spoold.log" "mk3: cannot reach 127.0.0.1:$TPORT: $request: SSL certificate problem" ||
		fail "an unsigned certificate was not refused"
	[ "$(wc -l < "$T/tls.log")" -eq 1 ] || fail "the https model heard: $(cat "$T/tls.log")"
}
