#!/usr/bin/env bash
# tests/dmarc/run.sh -- the shared DMARC cases (conformance/dmarc/
# dmarc-cases.yml, 58 cases) through `signet dmarc`, each against its own
# zone served by tests/lib/dnsserver.py on 127.0.0.1, in both modes:
# RFC 7489 (Public Suffix List: Debian's publicsuffix, or DMARC_PSL) and
# RFC 9989 (DNS Tree Walk). tests/dmarc/cases.py turns the YAML into
# files; see it for what is checked.
#
#   SIGNET_BUILD=build bash tests/dmarc/run.sh
#
# Uses $SIGNET_BUILD/signet when it knows "dmarc"; else builds the
# test-only tests/dmarc/driver.c against $SIGNET_BUILD/libsignet.a (with
# the sanitizers when SIGNET_BUILD is a SANITIZE=1 build). Prints
# "dmarc: N passed, N failed".
set -u
. "$(dirname "$0")/../lib/common.sh"

PSL=${DMARC_PSL:-/usr/share/publicsuffix/public_suffix_list.dat}
sg_tmpdir

conf=$(sg_conformance_dir) || {
	fail "conformance data (conformance/dmarc/dmarc-cases.yml) not found"
	sg_summary dmarc
	exit 1
}
if [ ! -r "$PSL" ]; then
	fail "public suffix list $PSL not readable (apt-get install publicsuffix)"
	sg_summary dmarc
	exit 1
fi

# The CLI: signet itself, or the driver.
CLI=("$SIGNET_BUILD/signet" dmarc)
if ! "$SIGNET_BUILD/signet" dmarc --help 2>&1 | grep -q 'usage: signet dmarc'; then
	san=()
	case "$SIGNET_BUILD" in
	*/san) san=(-O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
		    -fno-omit-frame-pointer) ;;
	esac
	if ! gcc -std=c11 -D_GNU_SOURCE -I"$SG_ROOT" -g -Wall -Wextra -Werror "${san[@]}" \
		-pthread -o "$SG_TMP/dmarc-driver" "$SG_ROOT/tests/dmarc/driver.c" \
		"$SG_ROOT/milter/cli_dmarc.c" "$SIGNET_BUILD/libsignet.a" \
		-lcares -lssl -lcrypto -lpthread 2>"$SG_TMP/cc.log"; then
		fail "build tests/dmarc/driver.c" "$(cat "$SG_TMP/cc.log")"
		sg_summary dmarc
		exit 1
	fi
	CLI=("$SG_TMP/dmarc-driver" dmarc)
fi

# run_case DIR: the case in DIR, both modes, against $DNS_PORT.
run_case() {
	local dir=$1 id mode label out rc want missing args=()

	id=$(cat "$dir/id")
	mapfile -d '' args <"$dir/args"
	for mode in rfc7489 rfc9989; do
		label="$id [$mode]"
		out=$("${CLI[@]}" "${args[@]}" --mode "$mode" --psl "$PSL" \
			--dns "127.0.0.1:$DNS_PORT" --timeout 2000 2>"$SG_TMP/err")
		rc=$?
		missing=()
		while IFS= read -r want; do
			[ -n "$want" ] || continue
			grep -Fxq -- "$want" <<<"$out" || missing+=("$want")
		done <"$dir/expect.$mode"
		if [ $rc -ne 0 ]; then
			fail "$label: exit status $rc" "$(cat "$SG_TMP/err")"
		elif sg_has_sanitizer_report "$SG_TMP/err"; then
			fail "$label: sanitizer report" "$(cat "$SG_TMP/err")"
		elif [ ${#missing[@]} -gt 0 ]; then
			fail "$label" "expected: ${missing[*]}
got:
$out"
		else
			ok "$label"
		fi
	done
}

if ! n=$("$SG_PY" "$SG_ROOT/tests/dmarc/cases.py" \
	"$conf/dmarc/dmarc-cases.yml" "$SG_TMP/cases" 2>"$SG_TMP/py.log"); then
	fail "read dmarc-cases.yml" "$(cat "$SG_TMP/py.log")"
	sg_summary dmarc
	exit 1
fi
read -r ncases nzones <<<"$n"
echo "dmarc: $ncases cases on $nzones DNS servers, modes rfc7489 and rfc9989"

for ((z = 0; z < nzones; z++)); do
	started=true
	sg_start_dns "$SG_TMP/cases/zones/$z.yml" || started=false
	for dir in "$SG_TMP"/cases/[0-9]*/; do
		[ "$(cat "$dir/group")" = "$z" ] || continue
		if $started; then
			run_case "$dir"
		else
			fail "$(cat "$dir/id"): start the DNS server for zone $z"
		fi
	done
	$started && sg_stop "$DNS_PID"
done

sg_summary dmarc
