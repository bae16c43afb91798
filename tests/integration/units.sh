#!/bin/sh
# units.sh: systemd-analyze verify finds nothing to say of the shipped
# units, alone and with every drop-in gspool-sandbox-generator can write;
# and the generator opens for each configured thing what it needs and
# nothing more (gspool(7), SANDBOX).  Skips without a systemd-analyze
# that can verify here.
. "$top_srcdir/tests/integration/lib.sh"
GEN="$BIN/dist/gspool-sandbox-generator"
command -v systemd-analyze > /dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }

# The units as installed, their programs the build's.
mkdir "$T/units"
for u in spoold gsftpd gwebd; do
	sed -e "s|@sbindir@/spoold|$BIN/spoold/spoold|g" \
	    -e "s|@sbindir@/gsftpd|$BIN/sftpd/gsftpd|g" \
	    -e "s|@sbindir@/gwebd|$BIN/gwebd/gwebd|g" \
	    -e "s|@localstatedir@|/var|g" -e "s|@sysconfdir@|/etc|g" \
	    "$top_srcdir/dist/$u.service.in" > "$T/units/$u.service"
done
printf '[Service]\nExecStart=/bin/true\n' > "$T/units/probe.service"
SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify --man=no probe.service \
    > /dev/null 2>&1 || { echo "SKIP: systemd-analyze cannot verify here"; exit 77; }
rm "$T/units/probe.service"

verify() {	# what
	SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify --man=no \
	    spoold.service gsftpd.service gwebd.service > "$T/verify.out" 2>&1 ||
		fail "$1: $(cat "$T/verify.out")"
	[ ! -s "$T/verify.out" ] || fail "$1: $(cat "$T/verify.out")"
}
# gen CONFIG-LINES...: the drop-in for a configuration with these lines
# (a line '[x]' opens a section), in $d.
gen() {
	printf '%s\n' "$@" > "$T/gen.conf"
	rm -rf "$T/units/spoold.service.d"
	GSPOOL_CONF="$T/gen.conf" "$GEN" "$T/units" || fail "the generator failed"
	d="$T/units/spoold.service.d/50-gspool-conf.conf"
	[ -f "$d" ] || fail "no drop-in for: $*"
}
has() { grep -qx "$1" "$d" || fail "no '$1' in: $(cat "$d")"; }
hasnt() { ! grep -q "$1" "$d" || fail "'$1' in: $(cat "$d")"; }

verify "the units as shipped"

# Serial ports only: nothing opened.
gen '[spool]' 'user = _gspool' '[printer mk3]' 'device = /dev/ttyACM0' \
    '[printer mk4]' 'device = serial:/dev/ttyUSB0?baud=250000' 'camera ='
hasnt '^[A-Z]'
grep -q '^\[Service\]$' "$d" || fail "no [Service] in: $(cat "$d")"
verify "a drop-in for serial ports"

# Each thing that needs more, alone.
gen '[printer a]' 'device = tcp://192.0.2.1:2000'
has PrivateNetwork=no; has 'RestrictAddressFamilies=AF_INET AF_INET6'
hasnt DeviceAllow; hasnt PrivateTmp
# Another backend's scheme is a network printer too (gspool-backend(7)).
gen '[printer a]' 'device = moonraker://192.0.2.1:7125'
has PrivateNetwork=no; has '# The network, for: moonraker'
hasnt DeviceAllow; hasnt char-pts
gen '[spool]' 'notify = /usr/local/bin/push' '[printer a]' 'device = /dev/ttyACM0'
has PrivateNetwork=no; hasnt DeviceAllow
# Apprise URLs, in any of their sections, are delivered over the network.
gen '[printer a]' 'device = /dev/ttyACM0' '[user ann]' 'notify_urls = ntfy://ntfy.sh/x'
has PrivateNetwork=no; has '# The network, for: notify_urls'; hasnt DeviceAllow
gen '[printer a]' 'device = /dev/ttyACM0' 'notify_urls = json://h/a' \
    '[account bob]' 'notify_urls = json://h/b'
has '# The network, for: notify_urls'
gen '[printer a]' 'device = /dev/ttyACM0' 'camera = http://cam.local/snapshot'
has PrivateNetwork=no
gen '[printer a]' 'device = /dev/ttyACM0' 'camera = /dev/video0'
has 'DeviceAllow=char-video4linux rw'; has SupplementaryGroups=video
hasnt PrivateNetwork; hasnt char-pts
gen '[printer a]' 'device = /tmp/printer'
has 'DeviceAllow=char-pts rw'; has SupplementaryGroups=tty; has PrivateTmp=no
hasnt PrivateNetwork; hasnt ProtectHome
gen '[printer a]' 'device = /home/pi/printer_data/comms/klippy.serial'
has 'DeviceAllow=char-pts rw'; has ProtectHome=read-only; hasnt PrivateTmp
gen '[spool]' 'directory = /srv/gspool' '[printer a]' 'device = /dev/ttyS0'
has ReadWritePaths=/srv/gspool

# What is not a printer's device or camera opens nothing: another
# section's keys, comments, an indented line of G-code.
gen '# device = tcp://x:1' '[sftp]' 'listen = 0.0.0.0:2222' '[class c]' \
    'device = tcp://x:1' '[printer a]' 'device = /dev/ttyACM0' \
    'start_gcode = G28' '  camera = http://x/' '; notify = /bin/x'
hasnt '^[A-Z]'

# Everything at once, verified.
gen '[spool]' 'notify = /bin/true' 'directory = /srv/gspool' '[printer a]' \
    'device = /tmp/printer' 'camera = /dev/video0' '[printer b]' \
    'device = tcp://192.0.2.1:2000' 'camera = https://cam/stream'
verify "a drop-in that opens everything"

# No configuration: no drop-in, and no failure.
rm -rf "$T/units/spoold.service.d"
GSPOOL_CONF="$T/none.conf" "$GEN" "$T/units" || fail "the generator failed without a configuration"
[ ! -e "$T/units/spoold.service.d" ] || fail "a drop-in without a configuration"
echo "PASS"
