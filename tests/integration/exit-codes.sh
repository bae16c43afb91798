#!/bin/sh
# Every program does what its page says: -h and --help print the
# synopsis and each option of the page's list on standard output and
# exit 0, --version says "NAME (gspool) VERSION", a usage error is one
# line and "see 'NAME -h'", and each exit code the page's EXIT STATUS
# gives (bad usage, an unknown printer, a job that does not exist, a
# configuration that cannot be read, spoold not running, success) is the
# one the program exits with.
. "$top_srcdir/tests/integration/lib.sh"
command -v mandoc > /dev/null || { echo "SKIP: mandoc is not installed"; exit 77; }
GSFTPD="$BIN/sftpd/gsftpd"
SERIAL="$BIN/backends/serial"
TIMELAPSE="$BIN/filters/timelapse"
NOTIFIER="$BIN/notify/gspool-notify"
VERSION=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$VERSION" ] || fail "no PACKAGE_VERSION in config.h"
MAN="$top_srcdir/man"

# page_code PAGE REGEX: the code whose text in PAGE's EXIT STATUS
# matches REGEX (case aside).  The section is read as mandoc renders it,
# in either form the pages use: a list (a code at the start of a line)
# or a sentence ("0 after ...; 1 on ...; 2 on bad usage.").
page_code() {
	mandoc -Tascii "$MAN/$1" | col -b | awk -v re="$2" '
		/^[A-Z]/ { in_es = ($0 == "EXIT STATUS"); next }
		in_es { text = text " " $0 }
		END {
			gsub(/[ \t]+/, " ", text)
			n = split(text, w, " ")
			code = ""
			for (i = 1; i <= n; i++) {
				if (w[i] ~ /^[0-9]$/ && (i == 1 || w[i-1] ~ /[;,.]$/)) {
					code = w[i]
					continue
				}
				if (code != "")
					said[code] = said[code] " " tolower(w[i])
			}
			for (c in said)
				if (said[c] ~ tolower(re))
					print c
		}' | head -n 1
}

# expect PAGE REGEX CMD...: CMD exits with PAGE's code for REGEX.
expect() {
	page=$1 re=$2
	shift 2
	code=$(page_code "$page" "$re")
	[ -n "$code" ] || fail "$page: EXIT STATUS says nothing of '$re'"
	rc=0
	"$@" > "$T/out" 2> "$T/err" < /dev/null || rc=$?
	[ "$rc" = "$code" ] || fail "$*: exit $rc, but $page gives $code for '$re': $(cat "$T/err")"
}

# usage_error PAGE NAME CMD...: one line of what, then where the help is.
usage_error() {
	page=$1 name=$2
	shift 2
	expect "$page" "usage|bad arguments" "$@"
	[ ! -s "$T/out" ] || fail "$*: a usage error on standard output: $(cat "$T/out")"
	[ "$(tail -n 1 "$T/err")" = "see '$name -h'" ] || fail "$*: said $(cat "$T/err")"
	[ "$(wc -l < "$T/err")" -le 2 ] || fail "$*: more than its message: $(cat "$T/err")"
	! grep -q "^usage:" "$T/err" || fail "$*: the synopsis buries the message"
}

# page_options PAGE: every option of the page's lists, as -x or --long.
page_options() {
	grep '^\.It Fl' "$MAN/$1" | awk '{
		for (i = 2; i <= NF; i++) {
			if ($i != "Fl")
				continue
			if ($(i+1) == "Fl") {
				print "--" $(i+2); i += 2
			} else if ($(i+1) ~ /^-/)
				print "-" $(i+1)
			else if (i < NF && $(i+1) !~ /^[A-Z][a-z]$/ && $(i+1) != ",")
				print "-" $(i+1)
		}
	}' | sort -u
}

# help PAGE NAME PROGRAM: -h, --help and --version.
help() {
	page=$1 name=$2 prog=$3
	for h in -h --help; do
		rc=0
		"$prog" $h > "$T/help" 2> "$T/err" || rc=$?
		[ "$rc" = 0 ] || fail "$name $h: exit $rc"
		[ ! -s "$T/err" ] || fail "$name $h wrote to stderr: $(cat "$T/err")"
		head -n 1 "$T/help" | grep -q "^usage: $name " || fail "$name $h: $(head -n 1 "$T/help")"
	done
	for o in $(page_options "$page"); do
		grep -q -E -e "^ +([^ ]+, )*$o([ ,]|$)" "$T/help" ||
			fail "$name -h has no line for $o of $page"
	done
	grep -q -E "^ +--version " "$T/help" || fail "$name -h has no line for --version"
	# and no option the page does not list.
	page_options "$page" > "$T/opts"
	sed -n 's/^ \{1,\}\(-[^ ,]*\(, -[^ ,]*\)*\).*/\1/p' "$T/help" | tr ',' '\n' |
	    tr -d ' ' | grep -v -x -e - | while read -r o; do
		grep -q -x -e "$o" "$T/opts" || fail "$name -h has $o, which $page does not list"
	done
	out=$("$prog" --version) || fail "$name --version: exit $?"
	[ "$out" = "$name (gspool) $VERSION" ] || fail "$name --version: $out"
}

help gprint.1 gprint "$GPRINT"
help gqueue.1 gqueue "$GQUEUE"
help gcancel.1 gcancel "$GCANCEL"
help gpc.8 gpc "$GPC"
help spoold.8 spoold "$SPOOLD"
help gsftpd.8 gsftpd "$GSFTPD"
help gspool-backend.8 serial "$SERIAL"
help gspool-timelapse.8 timelapse "$TIMELAPSE"
help gspool-notify.8 gspool-notify "$NOTIFIER"
help gspool-vprinter.1 gspool-vprinter "$VPRINTER"

gs_config "" "[printer mk4]" "device = $T/mk4.tty"

# Bad usage.
usage_error gprint.1 gprint "$GPRINT" -Z
usage_error gprint.1 gprint "$GPRINT" -p 0 "$CUBE"
usage_error gqueue.1 gqueue "$GQUEUE" -Z
usage_error gqueue.1 gqueue "$GQUEUE" -w
usage_error gcancel.1 gcancel "$GCANCEL" -Z
usage_error gcancel.1 gcancel "$GCANCEL"
usage_error gpc.8 gpc "$GPC" -Z
usage_error gpc.8 gpc "$GPC"
usage_error gpc.8 gpc "$GPC" frobnicate
usage_error spoold.8 spoold "$SPOOLD" -Z
usage_error spoold.8 spoold "$SPOOLD" extra
usage_error gsftpd.8 gsftpd "$GSFTPD" -Z
usage_error gspool-backend.8 serial "$SERIAL" -Z
usage_error gspool-backend.8 serial "$SERIAL" mk3
usage_error gspool-timelapse.8 timelapse "$TIMELAPSE" 1 2
usage_error gspool-notify.8 gspool-notify "$NOTIFIER" -Z
usage_error gspool-notify.8 gspool-notify "$NOTIFIER" -r 11 -T "$T"
usage_error gspool-notify.8 gspool-notify "$NOTIFIER"
expect gspool-notify.8 "notification was wrong" "$NOTIFIER" -d -T "$T"
usage_error gspool-vprinter.1 gspool-vprinter "$VPRINTER" -Z
usage_error gspool-vprinter.1 gspool-vprinter "$VPRINTER"

# The configuration cannot be read.
expect gprint.1 "configuration cannot be read" "$GPRINT" -c "$T/none.conf" "$CUBE"
expect gqueue.1 "configuration cannot be read" "$GQUEUE" -c "$T/none.conf"
expect gcancel.1 "configuration cannot be read" "$GCANCEL" -c "$T/none.conf" 1
expect gpc.8 "configuration cannot be read" "$GPC" -c "$T/none.conf" status
expect spoold.8 "bad configuration" "$SPOOLD" -n -c "$T/none.conf"
expect gsftpd.8 "configuration" "$GSFTPD" -n -c "$T/none.conf"

# spoold not running.
expect gprint.1 "cannot be reached" "$GPRINT" "$CUBE"
expect gqueue.1 "cannot be reached" "$GQUEUE"
expect gcancel.1 "cannot be reached" "$GCANCEL" 1
expect gpc.8 "cannot be reached" "$GPC" status

# A good check.
expect spoold.8 "good" "$SPOOLD" -n -c "$GSPOOL_CONF"
expect gsftpd.8 "good" "$GSFTPD" -n -c "$GSPOOL_CONF"
expect gprint.1 "would be accepted" "$GPRINT" --check "$CUBE"

gs_vprinter
gs_spoold
# Unknown printers and jobs.
expect gprint.1 "unknown printer" "$GPRINT" -P nosuch "$CUBE"
expect gqueue.1 "unknown printer" "$GQUEUE" -P nosuch
expect gpc.8 "unknown printer" "$GPC" disable nosuch
expect gcancel.1 "unknown printer" "$GCANCEL" -P nosuch -a
expect gqueue.1 "does not exist" "$GQUEUE" -w 999
expect gcancel.1 "does not exist" "$GCANCEL" 999
expect gpc.8 "unknown printer, class or job" "$GPC" hold 999

# Success, and a job named by a prefix not its own, by each command
# that takes a job.
id=$(submit "$CUBE" -q)
expect gcancel.1 "prefix not its own" "$GCANCEL" "mk4-$id"
expect gpc.8 "prefix not its own" "$GPC" release "mk4-$id"
expect gqueue.1 "wrong prefix" "$GQUEUE" "mk4-$id"
expect gqueue.1 "success" "$GQUEUE"
expect gpc.8 "done" "$GPC" status
expect gcancel.1 "every job was canceled" "$GCANCEL" "mk3-$id"
expect gprint.1 "every file was queued" "$GPRINT" -w "$CUBE"
expect gqueue.1 "every job completed" "$GQUEUE" -w "$((id + 1))"
echo "PASS"
