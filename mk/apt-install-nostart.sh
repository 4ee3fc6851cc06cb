#!/bin/sh
# apt-install-nostart.sh SERVICE [apt-get install arguments...]
#
# Installs Debian packages for the tests without ever starting SERVICE, a
# daemon one of them ships, and leaves SERVICE disabled at boot. The tests
# need only the packages' programs (slappasswd from slapd, kamailio -c and
# kamailio run by the tests themselves), and Debian starts a package's
# daemon as soon as it is installed: slapd and kamailio would listen on
# every interface of a developer's machine, and stay, after `make test`.
#
# Debian's maintainer scripts start a daemon through invoke-rc.d (init
# scripts, as slapd's) or deb-systemd-invoke (native units); both ask
# /usr/sbin/policy-rc.d first, and under systemd both skip a masked unit.
#
#   systemd     SERVICE is masked for the install with --runtime (in /run:
#               a reboot, or a killed run, leaves nothing in /etc), then
#               unmasked and disabled. Nothing else on the machine is
#               affected: another package installed meanwhile starts as usual.
#   no systemd  (containers, sysvinit) only policy-rc.d is asked. With none
#               in place, one that answers 101 ("action forbidden") is put
#               there for the install and removed after; an existing one is
#               the machine's own policy and is left alone (Docker images
#               ship one that answers 101). Then update-rc.d disables SERVICE.
#
# A SERVICE that is already there (its init script or unit exists before
# the install: the machine's own slapd or kamailio) is not touched at all.
#
# SYSTEMD_DIR, POLICY_RC_D and INITD_DIR exist for the test (make_test.go),
# which runs this script against stand-ins for apt-get and systemctl.
set -eu

service=$1
shift
systemd_dir=${SYSTEMD_DIR:-/run/systemd/system}
policy=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
initd=${INITD_DIR:-/etc/init.d}
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
apt() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

if [ -e "$initd/$service" ] || { [ -d "$systemd_dir" ] && systemctl cat "$service.service" >/dev/null 2>&1; }; then
	apt update -qq
	apt install -y -qq "$@" >/dev/null
	exit 0
fi

masked= ours=
cleanup() {
	if [ -n "$masked" ]; then $sudo systemctl unmask --runtime "$service.service" || true; fi
	if [ -n "$ours" ]; then $sudo rm -f "$policy"; fi
	masked= ours=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -d "$systemd_dir" ]; then
	$sudo systemctl mask --runtime "$service.service"
	masked=1
elif [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# tollgate: no daemon starts during this install (mk/apt-install-nostart.sh)\nexit 101\n' |
		$sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	ours=1
fi

apt update -qq
apt install -y -qq "$@" >/dev/null

cleanup
# Not at boot either. --now stops it, should anything have started it.
if [ -d "$systemd_dir" ]; then
	$sudo systemctl disable --now "$service.service" >/dev/null 2>&1 ||
		echo "apt-install-nostart: could not disable $service.service; run: systemctl disable --now $service" >&2
elif [ -e "$initd/$service" ] && command -v update-rc.d >/dev/null 2>&1; then
	$sudo update-rc.d "$service" disable >/dev/null 2>&1 ||
		echo "apt-install-nostart: could not disable $service; run: update-rc.d $service disable" >&2
fi
