#!/bin/bash
# tests/conformance/run.sh -- the public DKIM verification vectors of the
# shared conformance data, run through `signet verify`:
#
#   dkim-rfc/        RFC 8463 A.3 (both signatures pass), RFC 6376 A.2
#                    (fail: body hash), A.1 (none); CRLF, LF and stdin;
#                    A.1 signed by `signet sign` with the RFC keys
#   dkim-dkimpy/     the messages that must verify (Gmail 2012, Exim
#                    Ed25519, RFC 6376 dual) and must not (d= with a
#                    parenthesis, unknown key); dkimpy's bad key records
#                    (v=, k=, corrupt p=, s=tlsrpt); round trips: dkimpy's
#                    test messages signed by `signet sign` with dkimpy's keys
#                    in every format (PKCS#1, PKCS#8, bare RSAPublicKey record,
#                    Ed25519 seeds), verified by signet and by dkimpy
#   dkim-mail-dkim/  all 79 corpus messages against expected.tsv's
#                    rfc8301_strict column, at the current clock and again
#                    at 2023-06-23 (the corpus' last change: the column does
#                    not depend on the clock, SOURCE.md); the Ed25519 cases
#                    also with their exact result and reason
#   mail-auth/dkim/  001-006 at Unix time 1667843664 (their test clock): the
#                    last DKIM-Signature passes (001 and 003: both); CRLF and
#                    LF; 005 after its x= expires does not pass
#   cli              exit codes, stdin, authserv-id (host name, -c, option)
#
# Keys come over DNS from tests/lib/dnsserver.py on 127.0.0.1 (one server
# per data set: their zones publish different records under one name).
# Every printed Authentication-Results value is parsed back by
# python3-authres in tests/conformance/ar_expect.py and each signature's
# result (and, where the test knows it, the reason) compared.
#
# The data folder: $SIGNET_CONFORMANCE, else $SIGNET_SHARED/conformance
# (tests/lib/common.sh finds ../shared beside the repository).
#
#   SIGNET_BUILD=build bash tests/conformance/run.sh
# Ends with "conformance: N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"

SIGNET="$SIGNET_BUILD/signet"
AR="$HERE/ar_expect.py"
CONV="$HERE/conv.py"
DKIMPY_VERIFY="$SG_ROOT/tests/interop/verify_dkimpy.py"
AUTHSERV=conformance.test
# mail-auth's test clock (SOURCE.md), and the day the Mail::DKIM corpus and
# its FAKE_DNS.dat last changed (2023-06-23 00:00 UTC).
MAILAUTH_TIME=1667843664
MAILDKIM_TIME=1687478400

sg_tmpdir
T=$SG_TMP
mkdir -p "$T/keys" "$T/msgs" "$T/out"

# --- prerequisites -------------------------------------------------------------
CONF_DIR=$(sg_conformance_dir) || CONF_DIR=""
prereq_ok=1
if [ -z "$CONF_DIR" ]; then
	fail "prerequisite: conformance data (SIGNET_CONFORMANCE, SIGNET_SHARED or ../shared beside the repository)"
	prereq_ok=0
fi
if [ ! -x "$SIGNET" ]; then
	fail "prerequisite: $SIGNET is built"
	prereq_ok=0
fi
if ! "$SG_PY" -c 'import dkim, dnslib, authres, yaml' 2>/dev/null; then
	fail "prerequisite: $SG_PY has dkim, dnslib, authres, yaml"
	prereq_ok=0
fi
if [ "$prereq_ok" = 1 ]; then
	# An unsigned message needs no DNS: the answer is dkim=none.
	if out=$(printf 'From: a@example.com\r\nSubject: x\r\n\r\nhi\r\n' |
		"$SIGNET" verify --dns 127.0.0.1:9 --authserv-id x.test 2>&1) &&
		[ "${out%%;*}" = x.test ]; then
		ok "prerequisite: signet verify works (unsigned message: $out)"
	else
		fail "prerequisite: signet verify works" "$out"
		prereq_ok=0
	fi
fi
if [ "$prereq_ok" = 0 ]; then
	sg_summary conformance
	exit 1
fi
echo "# conformance data: $CONF_DIR"
RFC="$CONF_DIR/dkim-rfc"
PY="$CONF_DIR/dkim-dkimpy"
MD="$CONF_DIR/dkim-mail-dkim"
MA="$CONF_DIR/mail-auth"

# --- helpers ---------------------------------------------------------------------
V_DNS=""	# ADDR:PORT for --dns
V_TIME=""	# --time, when set
V_EXTRA=()	# more signet verify options

# vcase LABEL MSG AR_EXPECT_ARGS...: `signet verify` must exit 0, print one
# A-R line that ar_expect.py accepts, and nothing from a sanitizer.
# With MSG "-" the message is read from $V_STDIN on standard input.
vcase() {
	local label=$1 msg=$2 out rc res sigs_from
	shift 2
	out=$(mktemp "$T/out/v.XXXXXX")
	if [ "$msg" = - ]; then
		sigs_from=$V_STDIN
		"$SIGNET" verify ${V_DNS:+--dns "$V_DNS"} ${V_TIME:+--time "$V_TIME"} \
			--authserv-id "$AUTHSERV" "${V_EXTRA[@]}" <"$V_STDIN" >"$out" 2>"$out.err"
	else
		sigs_from=$msg
		"$SIGNET" verify ${V_DNS:+--dns "$V_DNS"} ${V_TIME:+--time "$V_TIME"} \
			--authserv-id "$AUTHSERV" "${V_EXTRA[@]}" "$msg" >"$out" 2>"$out.err"
	fi
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$label" "signet verify exit $rc (want 0); stdout: $(head -c 600 "$out")"$'\n'"stderr: $(head -c 1500 "$out.err")"
		return 1
	fi
	if sg_has_sanitizer_report "$out.err"; then
		fail "$label: no sanitizer report" "$(head -n 30 "$out.err")"
		return 1
	fi
	if res=$("$SG_PY" "$AR" --label "$label" --authserv-id "$AUTHSERV" --ar-file "$out" \
		--sigs-from "$sigs_from" "$@" 2>&1); then
		ok "$label: $(sed -n 's/^= //p' <<<"$res" | cut -c1-300)"
		return 0
	fi
	fail "$label" "$res"$'\n'"stderr: $(head -c 800 "$out.err")"
	return 1
}

# dkimpy_case LABEL MSG N: dkimpy verifies all N signatures (keys from $V_DNS).
dkimpy_case() {
	local label=$1 msg=$2 n=$3 out
	if out=$("$SG_PY" "$DKIMPY_VERIFY" --port "${V_DNS##*:}" --expect-sigs "$n" "$msg" 2>&1); then
		ok "$label"
	else
		fail "$label" "$out"
	fi
}

# start_dns NAME ZONE...: a DNS server for one data set; sets V_DNS.
start_dns() {
	local name=$1
	shift
	if sg_start_dns "$@"; then
		V_DNS="127.0.0.1:$DNS_PORT"
		ok "$name: DNS server on $V_DNS"
		return 0
	fi
	fail "$name: DNS server starts"
	V_DNS=""
	return 1
}

# sign_conf DIR CANON KEYTABLE_LINES SIGNINGTABLE_LINES: a signetd.conf for
# `signet sign` (the socket is never opened).
sign_conf() {
	local dir=$1 canon=$2
	mkdir -p "$dir"
	printf '%s\n' "$3" >"$dir/KeyTable"
	printf '%s\n' "$4" >"$dir/SigningTable"
	sg_write_signetd_conf "$dir/signetd.conf" 1 "$canon"
}

# sign_msg LABEL CONF IN OUT NSIGS: `signet sign` adds NSIGS signatures.
sign_msg() {
	local label=$1 conf=$2 in=$3 outf=$4 n=$5 got
	if ! "$SIGNET" sign -c "$conf" "$in" >"$outf" 2>"$outf.err"; then
		fail "$label: signet sign" "$(cat "$outf.err")"
		return 1
	fi
	got=$(grep -ci '^DKIM-Signature:' "$outf")
	if [ "$got" != "$n" ]; then
		fail "$label: signet sign adds $n signatures" "got $got; $(cat "$outf.err")"
		return 1
	fi
	ok "$label: signet sign adds $n signatures"
}

install_key() {	# install_key SRC NAME: a 0600 copy in $T/keys
	install -m 600 "$1" "$T/keys/$2"
}

zone_txt() {	# zone_txt NAME VALUE: one YAML zone entry (value quoted for YAML)
	"$SG_PY" -c 'import sys, yaml; sys.stdout.write(yaml.safe_dump({sys.argv[1]: [{"TXT": sys.argv[2]}]}, width=100000))' "$1" "$2"
}

# ==============================================================================
# 1. dkim-rfc
# ==============================================================================
echo "# dkim-rfc: RFC 6376 appendix A, RFC 8463 appendix A"
if start_dns dkim-rfc "$RFC/zone.yml"; then
	V_TIME=""
	vcase "rfc/8463-A3 (CRLF): ed25519 and rsa both pass" "$RFC/rfc8463-A3-signed.eml" \
		--expect-n 2 --sel brisbane=pass --sel test=pass
	vcase "rfc/6376-A2 (CRLF): fail, body hash" "$RFC/rfc6376-A2-signed.eml" \
		--expect-n 1 'fail=body hash did not verify'
	vcase "rfc/6376-A1 (CRLF): unsigned, none" "$RFC/rfc6376-A1-unsigned.eml" none
	for f in rfc8463-A3-signed rfc6376-A2-signed rfc6376-A1-unsigned; do
		"$SG_PY" "$CONV" lf "$RFC/$f.eml" "$T/msgs/$f.lf.eml"
	done
	vcase "rfc/8463-A3 (LF line ends): both pass" "$T/msgs/rfc8463-A3-signed.lf.eml" \
		--expect-n 2 --sel brisbane=pass --sel test=pass
	vcase "rfc/6376-A2 (LF line ends): fail, body hash" "$T/msgs/rfc6376-A2-signed.lf.eml" \
		'fail=body hash did not verify'
	vcase "rfc/6376-A1 (LF line ends): none" "$T/msgs/rfc6376-A1-unsigned.lf.eml" none
	V_STDIN="$RFC/rfc8463-A3-signed.eml"
	vcase "rfc/8463-A3 on standard input: both pass" - --sel brisbane=pass --sel test=pass
	# The x= / t= clock: A.3 has t=1528637909 and no x=: passes years later.
	V_TIME=1900000000
	vcase "rfc/8463-A3 at --time 1900000000 (no x=): both pass" "$RFC/rfc8463-A3-signed.eml" \
		--all pass
	V_TIME=""

	# Round trip: A.1 signed by signet with the RFC 8463 keys (PKCS#8 PEM
	# and the bare seed for Ed25519; PKCS#1 for RSA).
	install_key "$RFC/rfc8463-A1-ed25519-private.pem" rfc-ed.pem
	install_key "$RFC/rfc8463-A1-ed25519-seed.b64" rfc-ed.seed
	install_key "$RFC/rfc8463-A1-rsa-private.pem" rfc-rsa.pem
	for canon in relaxed/relaxed simple/simple relaxed/simple simple/relaxed; do
		for edkey in rfc-ed.pem rfc-ed.seed; do
			d="$T/rfc-sign-${canon/\//-}-$edkey"
			sign_conf "$d" "$canon" \
				"ed football.example.com:brisbane:$T/keys/$edkey"$'\n'"rsa football.example.com:test:$T/keys/rfc-rsa.pem" \
				"*@football.example.com ed"$'\n'"*@football.example.com rsa"
			label="rfc/A1 signed by signet ($canon, $edkey + rsa)"
			if sign_msg "$label" "$d/signetd.conf" "$RFC/rfc6376-A1-unsigned.eml" "$d/signed.eml" 2; then
				vcase "$label: signet verify" "$d/signed.eml" --sel brisbane=pass --sel test=pass
				dkimpy_case "$label: dkimpy verifies" "$d/signed.eml" 2
			fi
		done
	done
	sg_stop "$DNS_PID"
fi

# ==============================================================================
# 2. dkim-dkimpy
# ==============================================================================
echo "# dkim-dkimpy: dkimpy 1.1.4's test data"
K="$T/keys"
install_key "$PY/test.private" test.private
install_key "$PY/test2.private" test2.private
install_key "$PY/1024_testkey.key" 1024.pem
install_key "$PY/2048_testkey.key" 2048.pem
install_key "$PY/2048_testkey_PKCS8.key" pkcs8.pem
install_key "$PY/ed25519test.key" ed.seed
install_key "$PY/rfc8032_7_1.key" rfc8032.seed
RT=roundtrip.example
# selector  key file  record file (or literal record)
RT_KEYS="test:test.private:test.txt
test2:test.private:test2.txt
test2priv:test2.private:test.txt
k1024:1024.pem:1024_testkey_wo_markers.pub.txt
k1024rsa:1024.pem:1024_testkey_wo_markers.pub.rsa.txt
k2048:2048.pem:2048_testkey_wo_markers.pub.txt
k2048rsa:2048.pem:2048_testkey_wo_markers.pub.rsa.txt
pkcs8:pkcs8.pem:2048_testkey_PKCS8.key.pub.txt
ed:ed.seed:ed25519test.dns
rfc8032:rfc8032.seed:=v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
badversion:test.private:badversion.txt
badk:test.private:badk.txt
testbad:test.private:test_bad.txt
tlsrpt:test.private:test_tlsrpt.txt"
{
	echo "# generated by tests/conformance/run.sh: dkimpy's key records under $RT"
	while IFS=: read -r sel key rec; do
		case "$rec" in
		=*) val=${rec#=} ;;
		*) val=$(tr -d '\r\n' <"$PY/$rec") ;;
		esac
		zone_txt "$sel._domainkey.$RT" "$val"
	done <<<"$RT_KEYS"
} >"$T/roundtrip.yml"

if start_dns dkim-dkimpy "$PY/zone.yml" "$T/roundtrip.yml"; then
	V_TIME=""
	vcase "dkimpy/test2.message (Gmail 2012, degenerate folding): pass" "$PY/test2.message" \
		--expect-n 1 pass
	vcase "dkimpy/ed25519test2.msg (early Exim Ed25519): pass" "$PY/ed25519test2.msg" \
		--expect-n 1 pass
	vcase "dkimpy/rfc6376.signed.msg (ed25519 + rsa, simple/simple): both pass" "$PY/rfc6376.signed.msg" \
		--expect-n 2 --all pass
	vcase "dkimpy/rfc6376.signed.rsa.msg: pass" "$PY/rfc6376.signed.rsa.msg" --expect-n 1 pass
	vcase "dkimpy/test.message.baddomain (d=legitimate.com(.attacker.com): permerror" \
		"$PY/test.message.baddomain" --expect-n 1 permerror
	vcase "dkimpy/message.mbox (kitterman.com key not published): permerror" "$PY/message.mbox" \
		--expect-n 1 permerror
	for f in test.message test_extra.message test_nofrom.message ed25519test.msg rfc6376.msg rfc6376.w1258.msg; do
		vcase "dkimpy/$f (unsigned): none" "$PY/$f" none
	done

	# dkimpy's bad key records: test.message signed with test.private under
	# five selectors; only test2 (a good record without k=) passes.
	d="$T/dkimpy-badrec"
	sign_conf "$d" relaxed/relaxed \
		"$(for s in test2 badversion badk testbad tlsrpt; do echo "$s $RT:$s:$K/test.private"; done)" \
		"$(for s in test2 badversion badk testbad tlsrpt; do echo "* $s"; done)"
	if sign_msg "dkimpy/key records" "$d/signetd.conf" "$PY/test.message" "$d/signed.eml" 5; then
		vcase "dkimpy/key records: test2.txt (no k=) pass; v=DKIM1: (colon), k=ed25519-sha256, corrupt p=, s=tlsrpt permerror" \
			"$d/signed.eml" --sel test2=pass --sel badversion=permerror --sel badk=permerror \
			--sel testbad=permerror --sel tlsrpt=permerror
	fi

	# Round trips: every key format, two groups of five (signet checks at
	# most five signatures per message), four canonicalizations, the four
	# signable test messages.
	G1="test k1024 k2048 pkcs8 ed"
	G2="test2 test2priv k1024rsa k2048rsa rfc8032"
	for canon in relaxed/relaxed simple/simple relaxed/simple simple/relaxed; do
		for g in G1 G2; do
			sels=${!g}
			d="$T/dkimpy-rt-${canon/\//-}-$g"
			kt=""
			st=""
			for s in $sels; do
				key=$(grep "^$s:" <<<"$RT_KEYS" | cut -d: -f2)
				kt+="$s $RT:$s:$K/$key"$'\n'
				st+="* $s"$'\n'
			done
			sign_conf "$d" "$canon" "$kt" "$st"
			for m in test.message test_extra.message ed25519test.msg rfc6376.msg; do
				label="dkimpy/round trip $canon [$sels] $m"
				if sign_msg "$label" "$d/signetd.conf" "$PY/$m" "$d/$m.signed" 5; then
					vcase "$label: signet verify: all pass" "$d/$m.signed" --expect-n 5 --all pass
					dkimpy_case "$label: dkimpy verifies all" "$d/$m.signed" 5
				fi
			done
		done
	done
	sg_stop "$DNS_PID"
fi

# ==============================================================================
# 3. dkim-mail-dkim
# ==============================================================================
echo "# dkim-mail-dkim: Mail::DKIM's verifier corpus (79 messages), rfc8301_strict column"
"$SG_PY" "$CONV" fakedns "$MD/FAKE_DNS.dat" "$T/maildkim.yml"
# Where RFC 6376 / 8463 fix the exact outcome beyond "not pass": one
# ar_expect.py argument per line.
md_detail() {
	case "$1" in
	goodkey_ed25519.txt) printf '%s\n' --expect-n 1 pass ;;
	badkey1_ed25519.txt) echo permerror ;;		# SPKI-wrapped Ed25519 key
	badkey2_ed25519.txt) echo "fail=signature did not verify" ;;
	badkey3_ed25519.txt) echo "fail=body hash did not verify" ;;
	badkey4_ed25519.txt) echo permerror ;;		# NXDOMAIN
	badkey5_ed25519.txt) echo permerror ;;		# empty record
	esac
}
if start_dns dkim-mail-dkim "$T/maildkim.yml"; then
	n_files=0
	for pass in now era; do
		if [ "$pass" = now ]; then V_TIME=""; else V_TIME=$MAILDKIM_TIME; fi
		while IFS=$'\t' read -r file _ strict _; do
			case "$file" in '#'* | '') continue ;; esac
			[ "$pass" = now ] && n_files=$((n_files + 1))
			msg="$MD/corpus/$file"
			if [ ! -f "$msg" ]; then
				fail "mail-dkim/$file: listed in expected.tsv but missing"
				continue
			fi
			detail=$(md_detail "$file")
			case "$strict" in
			pass*) spec=(--all pass) ;;
			none*) spec=(none) ;;
			not-pass*) spec=(--all '!pass') ;;
			*) fail "mail-dkim/$file: unknown rfc8301_strict value '$strict'"; continue ;;
			esac
			if [ -n "$detail" ] && [ "$pass" = now ]; then
				mapfile -t spec <<<"$detail"
			fi
			vcase "mail-dkim/$file [$pass] ${strict%% *}" "$msg" "${spec[@]}"
		done <"$MD/expected.tsv"
	done
	if [ "$n_files" = 79 ]; then
		ok "mail-dkim: expected.tsv lists all 79 corpus messages"
	else
		fail "mail-dkim: expected.tsv lists all 79 corpus messages" "$n_files listed"
	fi
	V_TIME=""
	sg_stop "$DNS_PID"
fi

# ==============================================================================
# 4. mail-auth/dkim
# ==============================================================================
echo "# mail-auth/dkim: Stalwart mail-auth's DKIM samples at --time $MAILAUTH_TIME"
zones=()
for i in 1 2 3 4 5 6; do
	"$SG_PY" "$CONV" mailauth "$MA/dkim/00$i.txt" "$T/ma-00$i.yml" "$T/msgs/ma-00$i.eml" \
		"$T/msgs/ma-00$i.lf.eml" || fail "mail-auth/00$i.txt converts"
	zones+=("$T/ma-00$i.yml")
done
if start_dns mail-auth "${zones[@]}"; then
	V_TIME=$MAILAUTH_TIME
	for i in 1 2 3 4 5 6; do
		case $i in
		1 | 3) spec=(--expect-n 2 --all pass); what="both pass" ;;
		*) spec=(--last pass); what="last passes" ;;
		esac
		vcase "mail-auth/00$i (CRLF) at $MAILAUTH_TIME: $what" "$T/msgs/ma-00$i.eml" "${spec[@]}"
		vcase "mail-auth/00$i (LF) at $MAILAUTH_TIME: $what" "$T/msgs/ma-00$i.lf.eml" "${spec[@]}"
	done
	# 005 carries x=1667930064: past it (by a day, beyond any clock skew)
	# and at today's clock it must not pass.
	V_TIME=1668016464
	vcase "mail-auth/005 a day after its x=: not pass" "$T/msgs/ma-005.eml" --last '!pass'
	V_TIME=""
	vcase "mail-auth/005 at the current clock (expired): not pass" "$T/msgs/ma-005.eml" --last '!pass'
	# The others have no x=: they pass at today's clock too.
	for i in 1 2 3 4 6; do
		vcase "mail-auth/00$i at the current clock: last passes" "$T/msgs/ma-00$i.eml" --last pass
	done

	# ==========================================================================
	# 5. the command line
	# ==========================================================================
	echo "# cli: signet verify's options, exit codes, authserv-id"
	"$SIGNET" verify --dns "$V_DNS" --authserv-id "$AUTHSERV" /nonexistent/message.eml >/dev/null 2>"$T/cli.err"
	rc=$?
	if [ "$rc" = 1 ]; then ok "cli: a missing FILE: exit 1"; else fail "cli: a missing FILE: exit 1" "exit $rc: $(cat "$T/cli.err")"; fi
	"$SIGNET" verify --time not-a-number --dns "$V_DNS" "$T/msgs/ma-001.eml" >/dev/null 2>"$T/cli.err"
	rc=$?
	if [ "$rc" = 2 ]; then ok "cli: --time not-a-number: exit 2"; else fail "cli: --time not-a-number: exit 2" "exit $rc: $(cat "$T/cli.err")"; fi
	"$SIGNET" verify --dns "$V_DNS" "$T/msgs/ma-001.eml" "$T/msgs/ma-002.eml" >/dev/null 2>"$T/cli.err"
	rc=$?
	if [ "$rc" = 2 ]; then ok "cli: two FILEs: exit 2"; else fail "cli: two FILEs: exit 2" "exit $rc: $(cat "$T/cli.err")"; fi

	# Without -c and --authserv-id the authserv-id is the host name.
	host=$(hostname)
	if "$SIGNET" verify --dns "$V_DNS" "$T/msgs/ma-001.eml" >"$T/cli.out" 2>"$T/cli.err" &&
		[ "$(sed -n 's/^\([^;]*\);.*/\1/p' "$T/cli.out")" = "$host" ]; then
		ok "cli: default authserv-id is the host name ($host)"
	else
		fail "cli: default authserv-id is the host name ($host)" "$(cat "$T/cli.out" "$T/cli.err")"
	fi

	# -c: servers and authserv_id from the configuration; the options win.
	d="$T/cli-conf"
	mkdir -p "$d"
	printf 'x example.com:x:%s\n' "$K/test.private" >"$d/KeyTable"
	printf '*@example.com x\n' >"$d/SigningTable"
	sg_write_signetd_conf "$d/signetd.conf" 1 relaxed/relaxed "$(sg_dns_group "$DNS_PORT" 2000)"
	if "$SIGNET" verify -c "$d/signetd.conf" --time "$MAILAUTH_TIME" "$T/msgs/ma-001.eml" >"$T/cli.out" 2>"$T/cli.err" &&
		"$SG_PY" "$AR" --label cli --authserv-id mx.example.com --ar-file "$T/cli.out" \
			--sigs-from "$T/msgs/ma-001.eml" --all pass >"$T/cli.ar" 2>&1; then
		ok "cli: -c CONF: dns.servers and authserv_id from the file (both pass)"
	else
		fail "cli: -c CONF: dns.servers and authserv_id from the file" "$(cat "$T/cli.out" "$T/cli.err" "$T/cli.ar" 2>/dev/null)"
	fi
	V_EXTRA=(-c "$d/signetd.conf")
	V_TIME=$MAILAUTH_TIME
	vcase "cli: -c CONF with --authserv-id $AUTHSERV and --dns: the options win" "$T/msgs/ma-003.eml" --all pass
	V_EXTRA=()
	V_TIME=""
	sg_stop "$DNS_PID"
fi

sg_summary conformance
