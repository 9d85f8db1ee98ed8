#!/bin/bash
# tests/dmarc/milter.sh -- DMARC through a real signetd: the table in
# tests/dmarc/milter/cases.txt (alignment matrix, tree walk and Public Suffix
# List, psd=, sp=, np=, t=y, pct=, several and malformed records, DNS
# temperror, reporting only, quarantine as a header, local overrides,
# malformed From reject/tag, spoofing with crafted From fields, the HELO
# identity), each case a message sent with build/miltc; DNS answers from
# tests/lib/dnsserver.py serving tests/dmarc/milter/zone.yml on loopback.
#
# One signetd per configuration ("[name]" in cases.txt); each is stopped
# with SIGTERM and must exit 0 with no sanitizer report in its log. Where a
# configuration keeps the aggregate history (dmarc.history), it must hold
# one record per message with dmarc=pass or fail afterwards.
#
#   SIGNET_BUILD=build bash tests/dmarc/milter.sh        (or build/san)
#   SG_KEEP_TMP=1 keeps the messages, signetd logs and configurations;
#   DMARC_MILTER_CASES=FILE runs another table (e.g. a few rows of it).
# Ends with "dmarc-milter: N passed, N failed" (one line per case, plus the
# per-signetd checks).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"

D="$HERE/milter"
RUN=("$SG_PY" "$D/run.py")
CASES=${DMARC_MILTER_CASES:-$D/cases.txt}
PSL=${DMARC_PSL:-/usr/share/publicsuffix/public_suffix_list.dat}
SIGNETD="$SIGNET_BUILD/signetd"
MILTC="$SIGNET_BUILD/miltc"

sg_tmpdir
T=$SG_TMP

prereq_ok=1
for b in "$SIGNETD" "$MILTC"; do
	[ -x "$b" ] || { fail "prerequisite: $b is built"; prereq_ok=0; }
done
"$SG_PY" -c 'import dkim, dnslib, authres, yaml' 2>/dev/null ||
	{ fail "prerequisite: $SG_PY has dkim, dnslib, authres, yaml"; prereq_ok=0; }
[ -r "$PSL" ] || { fail "prerequisite: public suffix list $PSL (apt-get install publicsuffix)"; prereq_ok=0; }
if [ "$prereq_ok" = 0 ]; then
	sg_summary dmarc-milter
	exit 1
fi

if ! GROUPS_TXT=$("${RUN[@]}" groups "$CASES" 2>&1); then
	fail "cases.txt reads" "$GROUPS_TXT"
	sg_summary dmarc-milter
	exit 1
fi

# --- the senders' key, the zone, the DNS server -------------------------------------------
sg_keygen rsa "$T/sender.pem" || fail "keygen: the senders' RSA key"
sg_keygen rsa "$T/own.pem" || fail "keygen: signetd's own signing key"
if ! out=$("${RUN[@]}" zone "$CASES" "$D/zone.yml" "$T/sender.pem" "$T/zone.yml" 2>&1); then
	fail "the zone is written" "$out"
	sg_summary dmarc-milter
	exit 1
fi
sg_start_dns "$T/zone.yml" || { fail "DNS server starts"; sg_summary dmarc-milter; exit 1; }
ok "DNS server on 127.0.0.1:$DNS_PORT"

# tally_cases OUTPUT: add run.py's "ok"/"FAIL" lines to the counts.
tally_cases() {
	local line p f seen=0
	while IFS= read -r line; do
		case "$line" in
		"tally "*)
			read -r _ p f <<<"$line"
			SG_PASS=$((SG_PASS + p))
			SG_FAIL=$((SG_FAIL + f))
			seen=1
			;;
		*) printf '%s\n' "$line" ;;
		esac
	done <<<"$1"
	[ "$seen" = 1 ]
}

# --- one signetd per configuration -----------------------------------------------------------
mapfile -t GROUP_LINES <<<"$GROUPS_TXT"
for gl in "${GROUP_LINES[@]}"; do
	read -r group ncases hist <<<"$gl"
	[ -n "${group:-}" ] || continue
	echo "# [$group]: $ncases cases"
	G="$T/$group"
	mkdir -p "$G/out"
	printf 'own example.com:own:%s\n' "$T/own.pem" >"$G/KeyTable"
	printf '*@example.com own\n' >"$G/SigningTable"
	port=$(sg_free_port)
	extra=$("${RUN[@]}" conf "$CASES" "$group" "$PSL" "$T")
	# 1.5 s per try, 2 tries: a TIMEOUT name gives up within about 3 s
	sg_write_inbound_conf "$G/signetd.conf" "$port" "$DNS_PORT" 1500 2 "$extra"
	if ! out=$("$SIGNETD" -t -c "$G/signetd.conf" 2>&1); then
		fail "[$group] signetd -t accepts the configuration ($ncases cases not run)" \
			"$out"$'\n'"$(cat "$G/signetd.conf")"
		SG_FAIL=$((SG_FAIL + ncases))
		continue
	fi
	if ! sg_start_signetd "$G/signetd.conf"; then
		fail "[$group] signetd starts ($ncases cases not run)" "$(tail -n 20 "$SIGNETD_LOG")"
		SG_FAIL=$((SG_FAIL + ncases))
		continue
	fi
	out=$("${RUN[@]}" run "$CASES" "$group" --sock "inet:$port@127.0.0.1" --miltc "$MILTC" \
		--key "$T/sender.pem" --log "$SIGNETD_LOG" --out "$G/out" 2>&1)
	if ! tally_cases "$out"; then
		fail "[$group] run.py ran the cases ($ncases not counted)" "$(tail -n 20 <<<"$out")"
		SG_FAIL=$((SG_FAIL + ncases))
	fi
	if kill -0 "$SIGNETD_PID" 2>/dev/null; then
		ok "[$group] signetd still running after the cases"
	else
		fail "[$group] signetd still running after the cases" "$(tail -n 30 "$SIGNETD_LOG")"
	fi
	sg_stop_check "[$group] signetd" "$SIGNETD_PID" "$SIGNETD_LOG"
	if [ "${hist:--}" != - ]; then
		hist=${hist//@TMP@/$T}
		out=$("${RUN[@]}" history "$CASES" "$group" "$hist" 2>&1)
		tally_cases "$out" || fail "[$group] history $hist can be read" "$out"
	fi
done

sg_summary dmarc-milter
