#!/bin/sh
# Every manual page is valid mdoc: mandoc -Tlint finds no warning.
set -eu
command -v mandoc > /dev/null || { echo "SKIP: mandoc is not installed"; exit 77; }
rc=0
for page in "$top_srcdir"/man/*.[1-8]; do
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1) || true
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
done
exit $rc
