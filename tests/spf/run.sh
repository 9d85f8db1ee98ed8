#!/usr/bin/env bash
# tests/spf/run.sh -- SPF conformance: `signet spf` against the RFC 7208
# test suite (openspf, shared/conformance/spf-openspf/rfc7208-tests.yml),
# signet's own crash inputs (tests/spf/crash.yml) and Stalwart mail-auth's
# SPF scenarios (shared/conformance/mail-auth/spf/*.yml), each scenario's
# zone served by tests/lib/dnsserver.py on 127.0.0.1. The same cases run
# through libspf2 (tests/spf/libspf2_ref.c, built here with -lspf2, its
# in-memory zone) for comparison: printed side by side, never counted.
#
#   SIGNET_BUILD=build bash tests/spf/run.sh
#
# Environment: SIGNET_BUILD (default build), SIGNET_CONFORMANCE or
# SIGNET_SHARED (see tests/lib/common.sh), SIGNET_SPF_BIN (a binary with
# the `spf` subcommand, default $SIGNET_BUILD/signet), SPF_DNS_TIMEOUT_MS
# (per try, default 1000; the timeout cases wait for it twice),
# SPF_NO_REF=1 (skip libspf2), SPF_NO_MAILAUTH=1.
#
# Prints "ok"/"FAIL" per case (signet's verdict; libspf2's in the detail),
# then per suite "signet: N/M passed; libspf2: K/M passed, C crashes", and
# last "spf: N passed, N failed" (signet only). A case fails when signet
# gives a result the suite does not allow, a wrong explanation where the
# suite names one, crashes, times out, or prints a sanitizer report.
set -u
. "$(dirname "$0")/../lib/common.sh"

HERE="$SG_ROOT/tests/spf"
BIN=${SIGNET_SPF_BIN:-$SIGNET_BUILD/signet}
TMO=${SPF_DNS_TIMEOUT_MS:-1000}

sg_tmpdir
if [ ! -x "$BIN" ]; then
	fail "signet binary $BIN exists" "build it first (make)"
	sg_summary spf
	exit 1
fi
if ! "$BIN" spf --help 2>&1 | grep -q -- "--ip"; then
	fail "$BIN has the spf subcommand" "$("$BIN" spf --help 2>&1 | head -n 5)"
	sg_summary spf
	exit 1
fi

CONF=$(sg_conformance_dir) || CONF=
SUITES=()
if [ -n "$CONF" ] && [ -f "$CONF/spf-openspf/rfc7208-tests.yml" ]; then
	SUITES+=("openspf:$CONF/spf-openspf/rfc7208-tests.yml")
else
	fail "shared conformance data found" "no spf-openspf/rfc7208-tests.yml (set SIGNET_CONFORMANCE)"
fi
SUITES+=("openspf:$HERE/crash.yml")
if [ "${SPF_NO_MAILAUTH:-0}" != 1 ] && [ -n "$CONF" ] && [ -d "$CONF/mail-auth/spf" ]; then
	for f in "$CONF"/mail-auth/spf/*.yml; do
		SUITES+=("mailauth:$f")
	done
fi

# libspf2, for the comparison column only.
REF=
if [ "${SPF_NO_REF:-0}" != 1 ]; then
	if [ -f /usr/include/spf2/spf.h ] &&
	   gcc -std=gnu11 -O1 -g -o "$SG_TMP/libspf2_ref" "$HERE/libspf2_ref.c" -lspf2 \
		2>"$SG_TMP/ref.log"; then
		REF=$SG_TMP/libspf2_ref
	else
		echo "note: libspf2 reference not built (Debian libspf2-dev missing?):" \
			"$(head -n 3 "$SG_TMP/ref.log" 2>/dev/null)"
	fi
fi

if ! "$SG_PY" "$HERE/suite.py" prepare "$SG_TMP/cases" "${SUITES[@]}" >"$SG_TMP/dirs" \
	2>"$SG_TMP/prepare.log"; then
	fail "conformance cases converted" "$(cat "$SG_TMP/prepare.log")"
	sg_summary spf
	exit 1
fi

declare -A S_TOTAL S_OK R_OK R_CRASH
ORDER=()
while read -r dir; do
	d="$SG_TMP/cases/$dir"
	if ! sg_start_dns "$d/zone.yml"; then
		fail "DNS server for $dir started" "$(cat "${DNS_LOG:-/dev/null}" 2>/dev/null)"
		continue
	fi
	"$SG_PY" "$HERE/suite.py" run "$d" --port "$DNS_PORT" --signet "$BIN" \
		--ref "$REF" --dns-timeout "$TMO" >"$d/out" 2>"$d/err"
	while IFS=$'\t' read -r kind st rst suite label detail; do
		[ "$kind" = CASE ] || continue
		if [ -z "${S_TOTAL[$suite]+x}" ]; then
			ORDER+=("$suite")
			S_TOTAL[$suite]=0 S_OK[$suite]=0 R_OK[$suite]=0 R_CRASH[$suite]=0
		fi
		S_TOTAL[$suite]=$((S_TOTAL[$suite] + 1))
		[ "$rst" = ok ] && R_OK[$suite]=$((R_OK[$suite] + 1))
		[ "$rst" = CRASH ] && R_CRASH[$suite]=$((R_CRASH[$suite] + 1))
		if [ "$st" = ok ]; then
			S_OK[$suite]=$((S_OK[$suite] + 1))
			ok "$suite: $label -- $detail"
		else
			fail "$suite: $label" "$detail"
		fi
	done <"$d/out"
	if [ -s "$d/err" ]; then
		fail "suite runner for $dir ran cleanly" "$(head -n 20 "$d/err")"
	fi
	sg_stop "$DNS_PID"
done <"$SG_TMP/dirs"

echo
for s in "${ORDER[@]}"; do
	if [ -n "$REF" ]; then
		echo "$s: signet: ${S_OK[$s]}/${S_TOTAL[$s]} passed; libspf2: ${R_OK[$s]}/${S_TOTAL[$s]} passed, ${R_CRASH[$s]} crashes"
	else
		echo "$s: signet: ${S_OK[$s]}/${S_TOTAL[$s]} passed; libspf2: not run"
	fi
done
sg_summary spf
