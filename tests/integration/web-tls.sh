#!/bin/sh
# gwebd over TLS, through libmicrohttpd's own TLS: with tls_cert and
# tls_key it speaks HTTPS, a client that checks the certificate reaches
# the API and the login, and the session cookie is Secure; plain HTTP
# on that port gets no answer of the API.  An address off loopback
# without TLS is refused at start with the reason, unless insecure =
# yes says a proxy gives it.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
command -v openssl > /dev/null || { echo "SKIP: no openssl"; exit 77; }
PY=/usr/bin/python3

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/web.key" \
    -out "$T/web.crt" 2> "$T/openssl.err" ||
	fail "openssl: $(cat "$T/openssl.err")"
chmod 600 "$T/web.key"
gs_config "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "tls_cert = $T/web.crt" "tls_key = $T/web.key" \
    "[account ann]" "api_keys = $T/ann.apikeys"
ANN=$(gs_web_key ann)
gs_vprinter
gs_spoold
gs_gwebd
URL="https://127.0.0.1:$WPORT"

# 1. The version check and the queue over HTTPS, the certificate
#    checked against the one given.
expect_status 200 GET /api/version -H "X-Api-Key: $ANN" --cacert "$T/web.crt"
grep -q '"text":"OctoPrint (gspool ' "$T/body" ||
	fail "version over TLS: $(cat "$T/body")"
expect_status 200 GET /api/gspool/queue -H "X-Api-Key: $ANN" \
    --cacert "$T/web.crt"
grep -q '"printers"' "$T/body" || fail "queue over TLS: $(cat "$T/body")"
# Without the certificate, curl refuses the host: nothing was answered.
got=$(web_status GET /api/version -H "X-Api-Key: $ANN")
[ "$got" = 000 ] || fail "an unchecked certificate was accepted: $got"

# 2. The login over TLS gives a Secure, HttpOnly, SameSite=Strict cookie,
#    which the logout clears the same way.
curl -s -D "$T/headers" -o "$T/body" --cacert "$T/web.crt" \
    -H "Origin: $URL" --data-urlencode account=ann \
    --data-urlencode "key=$ANN" "$URL/api/gspool/login" ||
	fail "login over TLS failed"
grep -i '^set-cookie: gspool_session=' "$T/headers" > "$T/cookie" ||
	fail "no session cookie: $(cat "$T/headers")"
for attr in Secure HttpOnly SameSite=Strict; do
	grep -qi "; *$attr" "$T/cookie" || fail "cookie without $attr: $(cat "$T/cookie")"
done
# The logout clears it with the same attributes, so the browser drops
# that cookie; the session is then refused.
tok=$(sed 's/^[^=]*=\([^;]*\);.*/\1/' "$T/cookie")
got=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/web.crt" \
    -b "gspool_session=$tok" "$URL/api/gspool/whoami")
[ "$got" = 200 ] || fail "the session before the logout: $got, not 200"
curl -s -D "$T/headers" -o "$T/body" --cacert "$T/web.crt" \
    -H "Origin: $URL" -b "gspool_session=$tok" -X POST \
    "$URL/api/gspool/logout" || fail "logout over TLS failed"
grep -i '^set-cookie: gspool_session=;' "$T/headers" > "$T/cookie" ||
	fail "the logout clears no cookie: $(cat "$T/headers")"
for attr in Secure HttpOnly SameSite=Strict Max-Age=0; do
	grep -qi "; *$attr" "$T/cookie" || fail "the clearing cookie without $attr: $(cat "$T/cookie")"
done
got=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/web.crt" \
    -b "gspool_session=$tok" "$URL/api/gspool/whoami")
[ "$got" = 401 ] || fail "the session after the logout: $got, not 401"

# 3. Python's http.client with a context that checks the certificate.
$PY - "$WPORT" "$ANN" "$T/web.crt" > "$T/py.out" 2>&1 <<'PYEOF' ||
import http.client, json, ssl, sys
port, key, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
c.request("GET", "/api/version", headers={"X-Api-Key": key})
r = c.getresponse(); v = json.loads(r.read())
assert r.status == 200 and v["text"].startswith("OctoPrint"), v
print("ok")
PYEOF
	fail "http.client over TLS: $(cat "$T/py.out")"

# 4. Plain HTTP to the TLS port: no API answer, and gwebd stays up.
got=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Api-Key: $ANN" \
    "http://127.0.0.1:$WPORT/api/version" || true)
case $got in
2??) fail "plain HTTP answered $got on the TLS port" ;;
esac
expect_status 200 GET /api/version -H "X-Api-Key: $ANN" --cacert "$T/web.crt"
kill "$GWEBD_PID"
wait "$GWEBD_PID" 2> /dev/null || true

# 5. Off loopback without TLS: refused at start, with the reason.
gs_config "[web]" "listen = 0.0.0.0:0" "user = $(gs_web_user)" \
    "[account ann]" "api_keys = $T/ann.apikeys"
if "$BIN/gwebd/gwebd" -f -d -c "$GSPOOL_CONF" -p "$T/webport2" \
    > "$T/offloop.err" 2>&1; then
	fail "gwebd started off loopback without TLS"
fi
grep -q 'is off loopback' "$T/offloop.err" ||
	fail "no reason given: $(cat "$T/offloop.err")"
[ ! -e "$T/webport2" ] || fail "gwebd listened off loopback without TLS"

# ... and with insecure = yes it starts (behind a proxy that gives TLS).
gs_config "[web]" "listen = 0.0.0.0:0" "user = $(gs_web_user)" \
    "insecure = yes" "[account ann]" "api_keys = $T/ann.apikeys"
gs_gwebd
expect_status 200 GET /api/version -H "X-Api-Key: $ANN"
echo "PASS: HTTPS with a checked certificate, a Secure cookie, off loopback refused without TLS"
