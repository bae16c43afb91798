#!/bin/sh
# The network backends' HTTP side (backends/http.c) through netreq,
# against nethttp-model.py: HTTP digest and basic auth from a
# USER:PASSWORD credential file, the key header, a session header, a
# raw PUT body and a multipart form streamed whole (digest's second try
# sends the file again from its start), an answer over 1 MiB refused,
# the hosts' errors in one form, and a host that takes the request and
# never answers given up after the timeout, with curl's words.
. "$top_srcdir/tests/integration/net.sh"
NETREQ="$BIN/tests/integration/netreq"
MODEL="$top_srcdir/tests/integration/nethttp-model.py"

net_secret "$T/key" OCTO-key-1
net_secret "$T/cred" 'maker:s3cret pw'
net_secret "$T/bad" maker:wrong
net_model_start --user maker --password 's3cret pw' --api-key-file "$T/key"
B="http://127.0.0.1:$PORT"

# req EXPECT ARGS...: netreq's output holds EXPECT.
req() {
	want=$1
	shift
	"$NETREQ" "$@" > "$T/out" 2>&1 || true
	grep -qF -- "$want" "$T/out" || fail "netreq $*: not '$want': $(cat "$T/out")"
}

req 'code=200' -a digest -c "$T/cred" "$B" GET /digest
grep -q "digest-challenge GET /digest" "$ML" || fail "no digest challenge"
req 'why=GET /digest: HTTP 401: Unauthorized' -a digest -c "$T/bad" "$B" GET /digest
grep -q "digest-wrong GET /digest" "$ML" || fail "a wrong password was not tried"
req 'code=200' -a basic -c "$T/cred" "$B" GET /basic
req 'code=200' -k X-Api-Key -c "$T/key" "$B" GET /key
req 'why=GET /key: HTTP 401: Unauthorized' "$B" GET /key
req 'code=200' -s 'X-Session-Key:s3ss' "$B" GET /session

# A raw body of 3 MB, with digest: the model hears it whole, once.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "G1 X%d Y%d E%d\n", i % 200, i % 170, i }' \
    > "$T/job.gcode"
size=$(wc -c < "$T/job.gcode")
sum=$(sha256sum "$T/job.gcode" | cut -d' ' -f1)
req 'code=201' -a digest -c "$T/cred" "$B" PUT /raw "$T/job.gcode"
[ "$(grep -c "^put " "$ML")" -eq 1 ] || fail "not one PUT: $(grep put "$ML")"
grep -qx "put $size $sum" "$ML" || fail "the raw body: $(grep put "$ML")"
req 'code=201' -f file "$B" POST /form "$T/job.gcode"
grep -qx "form $size $sum" "$ML" || fail "the form: $(grep form "$ML")"

# Answers: too big, the host's words, a short text.
req 'why=GET /big: an answer over 1048576 bytes' "$B" GET /big
req 'why=GET /busy: HTTP 409: printer busy' "$B" GET /busy
req 'why=GET /text: HTTP 500: it broke' "$B" GET /text
req 'why=GET /none: HTTP 404: Not Found' "$B" GET /none
# A host that took the request and went silent: given up after -t.
req "why=GET /hang: Operation timed out after" -t 1000 "$B" GET /hang
grep -qx "hang GET /hang" "$ML" || fail "the request did not reach the host"
# A host that is not there: curl's words.
req "why=GET /key: " "http://127.0.0.1:1" GET /key
