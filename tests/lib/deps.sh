#!/bin/bash
# tests/lib/deps.sh -- install the Debian 12 packages signet needs to build
# and test (make deps). Idempotent: when every package is already installed
# it does nothing (no apt-get update, no network).
#
#   bash tests/lib/deps.sh          install what is missing
#   bash tests/lib/deps.sh --check  only report what is missing (exit 1 if any)
#
# Runs as root, or through sudo when it is available. Postfix is preseeded
# ("No configuration") so it installs without questions, and neither Postfix
# nor OpenDKIM is left running as a system service: the tests start private
# instances of their own on loopback ports.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config
	libmilter-dev libssl-dev libc-ares-dev libconfig-dev libsqlite3-dev sqlite3
	clang libclang-rt-14-dev
	python3 python3-dkim python3-dnslib python3-authres python3-nacl python3-yaml
	libmail-dkim-perl libnet-dns-perl
	opendkim opendkim-tools opendmarc miltertest
	postfix swaks
	libspf2-dev publicsuffix
	valgrind openssl procps iproute2
)

missing_packages() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$status" = installed ] || printf '%s\n' "$p"
	done
}

mapfile -t MISSING < <(missing_packages)

if [ "${1:-}" = --check ]; then
	if [ ${#MISSING[@]} -eq 0 ]; then
		echo "deps: all ${#PACKAGES[@]} packages installed"
		exit 0
	fi
	echo "deps: missing: ${MISSING[*]}"
	exit 1
fi

if [ ${#MISSING[@]} -eq 0 ]; then
	echo "deps: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

echo "deps: installing: ${MISSING[*]}"

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		echo "deps: not root; re-running through sudo"
		exec sudo -n -- bash "$0" "$@"
	fi
	echo "deps: must run as root (no sudo found): missing packages: ${MISSING[*]}" >&2
	echo "deps: run as root: apt-get install ${MISSING[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Keep services from starting while packages install (the usual
# policy-rc.d mechanism); only when no policy is in place already, and
# removed again afterwards.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
cleanup() {
	if [ "$OWN_POLICY" = 1 ]; then
		rm -f "$POLICY"
	fi
}
trap cleanup EXIT
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# temporary, written by signet tests/lib/deps.sh\nexit 101\n' >"$POLICY"
	chmod 755 "$POLICY"
	OWN_POLICY=1
fi

# Postfix asks which configuration to write; the tests write their own.
if command -v debconf-set-selections >/dev/null 2>&1; then
	printf '%s\n' \
		"postfix postfix/main_mailer_type select No configuration" \
		"postfix postfix/mailname string localhost.localdomain" |
		debconf-set-selections
fi

apt-get update
apt-get install -y --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${MISSING[@]}"

# No system MTA left running on port 25 (in case a policy let it start).
if command -v postfix >/dev/null 2>&1 && [ -f /etc/postfix/main.cf ]; then
	if postfix status >/dev/null 2>&1; then
		echo "deps: stopping the system Postfix that the install started"
		postfix stop || true
	fi
fi
# OpenDKIM's package may start a system instance too; stop it through its
# init script (only the one the package's service started: its pid file).
if [ -f /run/opendkim/opendkim.pid ] && [ -x /etc/init.d/opendkim ]; then
	echo "deps: stopping the system OpenDKIM that the install started"
	/etc/init.d/opendkim stop || true
fi
if [ -f /run/opendmarc/opendmarc.pid ] && [ -x /etc/init.d/opendmarc ]; then
	echo "deps: stopping the system OpenDMARC that the install started"
	/etc/init.d/opendmarc stop || true
fi

mapfile -t STILL < <(missing_packages)
if [ ${#STILL[@]} -ne 0 ]; then
	echo "deps: still missing after install: ${STILL[*]}" >&2
	exit 1
fi
echo "deps: all ${#PACKAGES[@]} packages installed"
