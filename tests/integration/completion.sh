#!/bin/sh
# bash completion: commands, options, printers and classes from the
# configuration (-c FILE's, else GSPOOL_CONF's, else the one the
# commands read), and the jobs in the queue.
. "$top_srcdir/tests/integration/lib.sh"
command -v bash > /dev/null || { echo "SKIP: no bash"; exit 77; }
gs_config "" "[printer mk4]" "device = $T/mk4.tty" "" "[class farm]" "printers = mk3 mk4"
gs_spoold
id=$(submit "$CUBE" -q)
COMPLETION="$top_builddir/lpr-tools/gspool.bash"
complete_words() {	# the command line, to complete its last word
	PATH="$BIN/lpr-tools:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_gspool_complete
		[ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' sh "$COMPLETION" "$@" |
	    sort | tr '\n' ' '
}
check() {	# expected, then the command line
	want=$1
	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] || fail "$*: '$got', not '$want'"
}
check "ready reject release resume resume-from " gpc re
check "send status " gpc s
check "farm mk3 mk4 " gpc -r why disable ""
check "farm mk3 mk4 " gpc disable mk3 ""
# Only printers where only a printer will do, and only one.
check "mk3 mk4 " gpc ready ""
check "mk3 mk4 " gpc send ""
check "" gpc send mk3 ""
check "" gpc pause mk3 ""
check "answer " gpc an
check "mk3 mk4 " gpc answer ""
# No prompt: no choices.
check "" gpc answer mk3 ""
check "mk3 mk4 " gprint -P m
check "mk3-$id " gcancel ""
check "farm " gpc move "mk3-$id" f
check "" gpc priority "mk3-$id" ""
# Every option.
check "--json " gcancel --j
check "-H " gqueue -H
check "-r " gqueue -r
check "" gqueue -r ""
check "--check " gprint --ch
check "--help --history " gqueue --h
check "--help --json --version " gpc --
check "-f " gcancel -f
check "--rejected " gcancel --rej
# After --rejected, refused files (root has none here), not jobs.
check "" gcancel --rejected ""
# -c FILE: its printers, not GSPOOL_CONF's.
printf '[spool]\ndirectory = %s/spool\n\n[printer ender]\ndevice = /dev/null\n' "$T" > "$T/other.conf"
check "ender " gprint -c "$T/other.conf" -P ""
check "ender " gpc -c"$T/other.conf" ready ""
# Without either, the configuration the commands read.
default=$(env -u GSPOOL_CONF "$GQUEUE" 2>&1 | sed -n 's/^gqueue: \(.*\): cannot read: .*/\1/p')
if [ -n "$default" ]; then
	got=$(env -u GSPOOL_CONF bash -c '. "$1"; COMP_WORDS=(gprint -P ""); COMP_CWORD=2; _gspool_conf' sh "$COMPLETION")
	[ "$got" = "$default" ] || fail "the completion falls back on $got, the commands on $default"
fi
echo "PASS"
