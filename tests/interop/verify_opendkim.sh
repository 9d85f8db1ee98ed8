#!/bin/bash
# tests/interop/verify_opendkim.sh -- verify DKIM signatures with OpenDKIM
# 2.11 (Debian's opendkim) running as a verifying milter (Mode v) on a
# loopback port, keys fetched over real DNS from tests/lib/dnsserver.py.
#
# OpenDKIM resolves through libunbound. Its Nameservers setting takes bare
# addresses (port 53), so instead it gets ResolverConfiguration: an unbound
# configuration that forwards every query to 127.0.0.1@DNS_PORT (unbound's
# ADDR@PORT form) with do-not-query-localhost off. No port 53, no root.
#
# Each message is pushed through the verifier with build/miltc from an
# external client address; the Authentication-Results header OpenDKIM adds
# (authserv-id "opendkim.verifier.test") is checked by ar_check.py: one
# dkim=pass per DKIM-Signature, matched by header.d / header.s / header.b.
#
# Standalone:
#   verify_opendkim.sh [--port DNS_PORT] [--expect-sigs N] [--expect-fail] MESSAGE...
#   (exit 0 iff every message verifies as asked)
# Sourced (after tests/lib/common.sh), to keep one verifier for many messages:
#   odv_start DNS_PORT          start it; sets ODV_PORT, ODV_PID, ODV_DIR
#   odv_verify MESSAGE [ARGS]   print per-signature lines; ARGS go to ar_check.py
#                               (--expect-sigs N, --expect-fail); returns its status

ODV_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ODV_AUTHSERV=opendkim.verifier.test

odv_start() {
	local dns_port=$1
	_sg_need_tmp
	ODV_DIR=$(mktemp -d "$SG_TMP/opendkim.XXXXXX")
	ODV_PORT=$(sg_free_port) || return 1
	cat >"$ODV_DIR/unbound.conf" <<EOF
server:
  do-not-query-localhost: no
  use-syslog: no
  chroot: ""
  username: ""
  directory: "$ODV_DIR"
  verbosity: 0
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$dns_port
EOF
	cat >"$ODV_DIR/opendkim.conf" <<EOF
Mode                    v
Socket                  inet:$ODV_PORT@127.0.0.1
AuthservID              $ODV_AUTHSERV
AlwaysAddARHeader       yes
SoftwareHeader          no
Syslog                  no
AutoRestart             no
DNSTimeout              5
ResolverConfiguration   $ODV_DIR/unbound.conf
EOF
	opendkim -f -x "$ODV_DIR/opendkim.conf" >"$ODV_DIR/opendkim.log" 2>&1 &
	ODV_PID=$!
	sg_track "$ODV_PID"
	if ! sg_wait_port "$ODV_PORT" 15 "$ODV_PID"; then
		echo "verify_opendkim: opendkim did not start:" >&2
		cat "$ODV_DIR/opendkim.log" >&2
		return 1
	fi
	export ODV_PORT ODV_PID ODV_DIR
}

odv_verify() {
	local msg=$1 out rc
	shift
	out=$(mktemp "$ODV_DIR/verified.XXXXXX")
	if ! "$SIGNET_BUILD/miltc" -s "inet:$ODV_PORT@127.0.0.1" -c 192.0.2.1 \
		-q "ODV$RANDOM" -o "$out" "$msg" 2>"$out.err"; then
		echo "opendkim: miltc to the verifier failed: $(tr '\n' ' ' <"$out.err")"
		return 1
	fi
	"$SG_PY" "$ODV_HERE/ar_check.py" --authserv-id "$ODV_AUTHSERV" --label opendkim "$@" "$out"
	rc=$?
	return $rc
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -u
	. "$ODV_HERE/../lib/common.sh"
	port=${DNS_PORT:-}
	args=()
	msgs=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--port) port=$2; shift 2 ;;
		--expect-sigs) args+=(--expect-sigs "$2"); shift 2 ;;
		--expect-fail) args+=(--expect-fail); shift ;;
		-*) echo "verify_opendkim: unknown option $1" >&2; exit 2 ;;
		*) msgs+=("$1"); shift ;;
		esac
	done
	if [ -z "$port" ] || [ ${#msgs[@]} -eq 0 ]; then
		echo "usage: verify_opendkim.sh [--port DNS_PORT] [--expect-sigs N] [--expect-fail] MESSAGE..." >&2
		exit 2
	fi
	if [ ! -x "$SIGNET_BUILD/miltc" ]; then
		echo "verify_opendkim: $SIGNET_BUILD/miltc not built" >&2
		exit 2
	fi
	sg_tmpdir
	odv_start "$port" || exit 1
	status=0
	for m in "${msgs[@]}"; do
		odv_verify "$m" "${args[@]}" || status=1
	done
	exit $status
fi
