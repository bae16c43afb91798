#!/bin/sh
# gwebd's page in the real chromium, headless (tests/web/page.py): it
# loads with no console error and no Content-Security-Policy violation,
# its network limited to gwebd alone; an anonymous reader sees the
# printers with no way to write, and logs in; an upload from the page
# is queued and a refused one shows the check's reason; the layer and
# the temperatures change on the screen as the virtual printer prints,
# pushed; the finished job reaches the history; the bed is said to be
# clear, a held job cancelled and a filament change's prompts answered
# from the page.  The screenshot at phone size is kept in the build
# tree as tests/web-artefacts/phone.png.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/weblib.sh"
gs_web_browser
gs_config "[web]" "listen = 127.0.0.1:0" "user = $(gs_web_user)" \
    "anonymous = guest" "[account guest]" "api_keys = $T/guest.apikeys" \
    "[account ann]" "api_keys = $T/ann.apikeys"
sed -i 's/^clears_bed = yes/clears_bed = no\nmax_hotend = 285/' "$GSPOOL_CONF"
ANN=$(gs_web_key ann)
gs_web_key guest > /dev/null
# Slow enough that the page sees the heaters climb and the layers pass.
gs_vprinter --time-scale 0.05 --heat-time 6 --host-prompts --emergency-parser
gs_spoold
gs_gwebd

# The page's files come with the policy the browser is to enforce.
curl -s -D "$T/hdr" -o "$T/index.html" "$URL/" || fail "GET /"
grep -qi "^content-security-policy: default-src 'self'" "$T/hdr" ||
    fail "no strict Content-Security-Policy: $(cat "$T/hdr")"
grep -q '<script src="/app.js"' "$T/index.html" || fail "/ is not the page"
if grep -n '<script>\|<style\| style=\| on[a-z]*=' "$T/index.html"; then
	fail "the page has inline script or style"
fi

printf 'G28\nM104 S305\nG1 X10 Y10\n' > "$T/hot.gcode"
cp "$CUBE" "$T/cube.gcode"
awk 'NR == 200 { print "M600 ; change filament" } { print }' "$CUBE" > "$T/m600.gcode"
ART="$top_builddir/tests/web-artefacts"
mkdir -p "$ART"
rm -f "$ART/phone.png"
[ "$(id -u)" = 0 ] && chmod 755 "$T"
HOME="$T" TMPDIR="$T" "$PY" "$top_srcdir/tests/web/page.py" "$URL" ann "$ANN" \
    "$T/cube.gcode" "$T/hot.gcode" \
    "line 2: M104 S305 sets 305 C, above the printer's max_hotend 285" \
    "$ART" "$T/m600.gcode" > "$T/page.out" 2>&1 || {
	cat "$T/page.out" >&2
	tail -n 20 "$T/gwebd.log" >&2
	fail "the page in chromium"
}
cat "$T/page.out"
# A PNG, at phone width.
[ "$(od -An -N4 -tx1 "$ART/phone.png" | tr -d ' ')" = 89504e47 ] ||
	fail "no screenshot in $ART/phone.png"
w=$(od -An -j16 -N4 -tu1 "$ART/phone.png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
[ "$w" = 360 ] || fail "the screenshot is $w px wide, not 360"
echo "the phone-size screenshot: $ART/phone.png"
