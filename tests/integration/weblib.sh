# weblib.sh - what the tests of gwebd share, beside lib.sh: its user,
# its accounts and keys, starting it on a port the kernel picks.

# gwebd's user ([web] user): as root, www-data (an unprivileged system
# user other than gsftpd's); anyone else's tests run gwebd as
# themselves.
gs_web_user() {
	if [ "$(id -u)" != 0 ]; then
		id -un
	elif id www-data > /dev/null 2>&1; then
		echo www-data
	else
		echo nobody
	fi
}

# gs_web_browser: the page's tests need headless chromium, its driver
# and python3-selenium, or skip; PY is the python that runs them.
gs_web_browser() {
	PY=/usr/bin/python3
	for c in /usr/bin/chromium /usr/bin/chromedriver; do
		[ -x "$c" ] || { echo "SKIP: no $c"; exit 77; }
	done
	$PY -c 'import selenium' 2>/dev/null ||
	    { echo "SKIP: no python3-selenium"; exit 77; }
}

# gs_web_key NAME: a random key, alone in $T/NAME.apikeys (readable by
# gwebd's user only); printed.
gs_web_key() {
	k=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	echo "$k" > "$T/$1.apikeys"
	chmod 600 "$T/$1.apikeys"
	[ "$(id -u)" = 0 ] && chown "$(gs_web_user)" "$T/$1.apikeys"
	echo "$k"
}

gs_gwebd() {
	command -v curl > /dev/null || { echo "SKIP: no curl"; exit 77; }
	rm -f "$T/webport"
	[ "$(id -u)" = 0 ] && chmod 755 "$T"
	mkdir -p "$T/webtmp"
	[ "$(id -u)" = 0 ] && chown "$(gs_web_user)" "$T/webtmp"
	TMPDIR="$T/webtmp" "$BIN/gwebd/gwebd" -f -d -c "$GSPOOL_CONF" \
	    -p "$T/webport" 2>>"$T/gwebd.log" &
	GWEBD_PID=$!
	"$WAITFOR" exists "$T/webport" || { cat "$T/gwebd.log" >&2;
	    fail "gwebd did not start"; }
	WPORT=$(head -n 1 "$T/webport")
	URL="http://127.0.0.1:$WPORT"
}

# web_status METHOD PATH [curl options]: the status code, the body in
# $T/body.
web_status() {
	m=$1 p=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$URL$p" || true
}

# expect_status WANT METHOD PATH [curl options]
expect_status() {
	want=$1
	shift
	got=$(web_status "$@")
	[ "$got" = "$want" ] || { cat "$T/body" >&2 || true; tail -n 20 "$T/gwebd.log" >&2 || true;
	    fail "$1 $2: status $got, not $want"; }
}
