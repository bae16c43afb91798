#!/bin/sh
# bash completion: commands, printers and classes from the
# configuration, and the jobs in the queue.
. "$top_srcdir/tests/integration/lib.sh"
command -v bash > /dev/null || { echo "SKIP: no bash"; exit 77; }
gs_config "" "[printer mk4]" "device = $T/mk4.tty" "" "[class farm]" "printers = mk3 mk4"
gs_spoold
id=$(submit "$CUBE" -q)
complete_words() {	# the command line, to complete its last word
	PATH="$BIN/lpr-tools:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_gspool_complete
		printf "%s\n" "${COMPREPLY[@]}"' sh "$top_srcdir/lpr-tools/gspool.bash" "$@" |
	    sort | tr '\n' ' '
}
[ "$(complete_words gpc re)" = "ready reject release resume resume-from " ] ||
	fail "gpc re: $(complete_words gpc re)"
[ "$(complete_words gpc -r why disable "")" = "farm mk3 mk4 " ] ||
	fail "gpc disable: $(complete_words gpc -r why disable "")"
[ "$(complete_words gprint -P m)" = "mk3 mk4 " ] || fail "gprint -P: $(complete_words gprint -P m)"
[ "$(complete_words gcancel "")" = "mk3-$id " ] || fail "gcancel: $(complete_words gcancel "")"
[ "$(complete_words gpc move "mk3-$id" f)" = "farm " ] || fail "gpc move: $(complete_words gpc move "mk3-$id" f)"
echo "PASS"
