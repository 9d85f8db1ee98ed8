#!/bin/bash
# tests/integration/history.sh -- the DMARC aggregate history as signetd
# writes it (dmarc.history, SQLite), with build/miltc as the MTA and
# tests/lib/dnsserver.py on loopback:
#
#   - every message with a DMARC verdict (pass or fail) is one row in
#     messages, with its DKIM results in dkim: source IP, header From,
#     envelope From, policy domain and published policy, result,
#     disposition applied, local override, alignment, SPF domain/scope/
#     result, rua; messages without a DMARC policy are not recorded
#   - a database locked by another process costs no mail: messages are
#     answered while the lock is held (records are dropped and counted)
#   - a history path that cannot be opened is logged; mail still flows
#
#   SIGNET_BUILD=build bash tests/integration/history.sh
# Ends with "history: N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"

SIGNETD="$SIGNET_BUILD/signetd"
MILTC="$SIGNET_BUILD/miltc"
SIGN="$SG_ROOT/tests/interop/sign_dkimpy.py"

sg_tmpdir
T=$SG_TMP
mkdir -p "$T/msgs" "$T/out" "$T/db"

prereq_ok=1
for b in "$SIGNETD" "$MILTC"; do
	[ -x "$b" ] || { fail "prerequisite: $b is built"; prereq_ok=0; }
done
"$SG_PY" -c 'import dkim, dnslib, sqlite3, yaml' 2>/dev/null ||
	{ fail "prerequisite: $SG_PY has dkim, dnslib, sqlite3, yaml"; prereq_ok=0; }
if [ "$prereq_ok" = 0 ]; then
	sg_summary history
	exit 1
fi

# --- zone: bank.example (p=reject, SPF for 192.0.2.0/24, a DKIM key),
# shop.example (p=quarantine), nopolicy.example (no DMARC record) ---------
sg_keygen rsa "$T/bank.pem" || fail "keygen bank"
sg_keygen rsa "$T/own.pem" || fail "keygen own"
cat >"$T/zone.yml" <<EOF
_dmarc.bank.example:
  - TXT: "v=DMARC1; p=reject; adkim=s; rua=mailto:agg@bank.example"
bank.example:
  - TXT: "v=spf1 ip4:192.0.2.0/24 -all"
sel._domainkey.bank.example:
  - TXT: "$(sg_dkim_record "$T/bank.pem")"
_dmarc.shop.example:
  - TXT: "v=DMARC1; p=quarantine; sp=reject"
shop.example:
  - TXT: "v=spf1 -all"
EOF
sg_start_dns "$T/zone.yml" || { fail "DNS server starts"; sg_summary history; exit 1; }

printf 'own example.com:own:%s\n' "$T/own.pem" >"$T/KeyTable"
printf '*@example.com own\n' >"$T/SigningTable"
PORT=$(sg_free_port)
# internal_hosts is 127.0.0.0/8: miltc's clients (-c) are outside it.
sg_write_inbound_conf "$T/signetd.conf" "$PORT" "$DNS_PORT" 2000 "" \
	"dmarc = { history = \"db/dmarc.db\"; override_hosts = [ \"203.0.113.0/24\" ]; };"
sg_start_signetd "$T/signetd.conf" || { fail "signetd starts"; sg_summary history; exit 1; }
SOCK="inet:$PORT@127.0.0.1"
DB="$T/db/dmarc.db"

msg() {	# msg FILE FROM
	printf 'From: %s\r\nTo: bob@example.net\r\nSubject: history\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s@test>\r\n\r\nHello.\r\n' \
		"$2" "$(basename "$1")" >"$1"
}
msg "$T/msgs/plain.eml" "Bank <ceo@bank.example>"
"$SG_PY" "$SIGN" --out-dir "$T/msgs/signed" --key "$T/bank.pem" --domain bank.example \
	--selector sel "$T/msgs/plain.eml" >/dev/null 2>&1 && cp "$T/msgs/signed/plain.eml" "$T/msgs/signed.eml" ||
	fail "dkimpy signs for bank.example"
msg "$T/msgs/shop.eml" "shop@shop.example"
msg "$T/msgs/none.eml" "x@nopolicy.example"

send() {	# send NAME FILE IP MAILFROM: VERDICT holds miltc's report
	VERDICT=$("$MILTC" -v -s "$SOCK" -c "$3" -h mail.client.test -f "$4" -q "Q$1" \
		-o "$T/out/$1.out" "$2" 2>&1)
}
expect() {	# expect LABEL PATTERN
	case "$VERDICT" in
	*$2*) ok "$1" ;;
	*) fail "$1" "$VERDICT"$'\n'"$(tail -n 5 "$SIGNETD_LOG")" ;;
	esac
}

send pass "$T/msgs/signed.eml" 192.0.2.10 ceo@bank.example
expect "DKIM+SPF aligned pass: accepted" "verdict: accept"
send spoof "$T/msgs/plain.eml" 198.51.100.5 x@attacker.test
expect "spoofed bank.example: rejected 550 5.7.1" "550 5.7.1"
send forwarded "$T/msgs/plain.eml" 203.0.113.9 list@lists.test
expect "failing, from an override host: accepted" "verdict: accept"
send shop "$T/msgs/shop.eml" 198.51.100.5 ''
expect "p=quarantine failure: quarantined" "mod: quarantine"
send none "$T/msgs/none.eml" 198.51.100.5 a@nopolicy.example
expect "no DMARC policy: accepted" "verdict: accept"

# The writer thread commits soon after; stop signetd so everything is written.
sg_stop_check "signetd (first run)" "$SIGNETD_PID" "$SIGNETD_LOG"

if [ -f "$DB" ]; then
	ok "history database created"
	mode=$(stat -c %a "$DB")
	[ "$mode" = 640 ] && ok "history database mode 0640" || fail "history database mode 0640" "$mode"
else
	fail "history database created" "$(tail -n 5 "$SIGNETD_LOG")"
fi

# Rows as an aggregate report will read them.
"$SG_PY" - "$DB" >"$T/rows.txt" 2>&1 <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = ("queue_id source_ip header_from envelope_from policy_domain policy policy_tag "
        "result disposition override dkim_aligned spf_aligned spf_domain spf_scope "
        "spf_result rua adkim p sp").split()
for row in db.execute("select id, %s from messages order by id" % ", ".join(cols)):
    rid, vals = row[0], row[1:]
    dk = db.execute("select domain, selector, result from dkim where message_id = ?",
                    (rid,)).fetchall()
    print("|".join("" if v is None else str(v) for v in vals) + "|dkim=" +
          ",".join("%s/%s/%s" % d for d in dk))
EOF
cat "$T/rows.txt" | sed 's/^/# /'
row() {	# row LABEL QUEUEID EXPECTED-LINE
	local got
	got=$(grep "^$2|" "$T/rows.txt")
	if [ "$got" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "got:  $got"$'\n'"want: $3"
	fi
}
row "record: aligned pass (DKIM strict and SPF)" Qpass \
	"Qpass|192.0.2.10|bank.example|bank.example|bank.example|reject|p|pass|none||1|1|bank.example|mfrom|pass|mailto:agg@bank.example|s|reject||dkim=bank.example/sel/pass"
row "record: override host, disposition lowered" Qforwarded \
	"Qforwarded|203.0.113.9|bank.example|lists.test|bank.example|reject|p|fail|none|trusted_forwarder|0|0|lists.test|mfrom|none|mailto:agg@bank.example|s|reject||dkim="
row "record: null sender checked as HELO, quarantine" Qshop \
	"Qshop|198.51.100.5|shop.example||shop.example|quarantine|p|fail|quarantine||0|0|mail.client.test|helo|none||r|quarantine|reject|dkim="
row "record: rejected message recorded too" Qspoof \
	"Qspoof|198.51.100.5|bank.example|attacker.test|bank.example|reject|p|fail|reject||0|0|attacker.test|mfrom|none|mailto:agg@bank.example|s|reject||dkim="
if grep -q '^Qnone|' "$T/rows.txt"; then
	fail "no DMARC policy: not recorded" "$(grep '^Qnone|' "$T/rows.txt")"
else
	ok "no DMARC policy: not recorded"
fi
n=$(wc -l <"$T/rows.txt")
[ "$n" = 4 ] && ok "four rows" || fail "four rows" "$n rows"

# --- a locked database costs no mail ------------------------------------------------------
sg_start_signetd "$T/signetd.conf" || { fail "signetd restarts"; sg_summary history; exit 1; }
SOCK="inet:$PORT@127.0.0.1"
LOCK_READY="$T/locked"
"$SG_PY" - "$DB" "$LOCK_READY" <<'EOF' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
db.execute("begin exclusive")
open(sys.argv[2], "w").write("locked\n")
time.sleep(12)
db.execute("rollback")
EOF
LOCKER=$!
sg_track "$LOCKER"
sg_wait_file "$LOCK_READY" 10 || fail "the locker holds the database"
locked_ok=0
for i in $(seq 1 20); do
	send "lock$i" "$T/msgs/plain.eml" 198.51.100.5 x@attacker.test
	case "$VERDICT" in *"550 5.7.1"*) locked_ok=$((locked_ok + 1)) ;; esac
done
# All 20 answered while the lock was held (the locker sleeps 12 s).
if kill -0 "$LOCKER" 2>/dev/null && [ "$locked_ok" = 20 ]; then
	ok "database locked by another process: 20 messages answered meanwhile"
else
	fail "database locked by another process: 20 messages answered meanwhile" \
		"$locked_ok answered; locker alive: $(kill -0 "$LOCKER" 2>/dev/null && echo yes || echo no)"
fi
sg_stop "$LOCKER"
sg_stop_check "signetd (locked run)" "$SIGNETD_PID" "$SIGNETD_LOG"

# --- a path that cannot be opened: logged, mail flows -------------------------------------
sg_write_inbound_conf "$T/signetd.conf" "$PORT" "$DNS_PORT" 2000 "" \
	"dmarc = { history = \"no/such/dir/dmarc.db\"; };"
sg_start_signetd "$T/signetd.conf" || { fail "signetd starts with a bad history path"; sg_summary history; exit 1; }
SOCK="inet:$PORT@127.0.0.1"
send bad1 "$T/msgs/signed.eml" 192.0.2.10 ceo@bank.example
expect "bad history path: mail still accepted" "verdict: accept"
send bad2 "$T/msgs/plain.eml" 198.51.100.5 x@attacker.test
expect "bad history path: DMARC still enforced" "550 5.7.1"
if grep -q 'DMARC history disabled.*no/such/dir' "$SIGNETD_LOG"; then
	ok "bad history path: logged, naming the path"
else
	fail "bad history path: logged, naming the path" "$(head -n 5 "$SIGNETD_LOG")"
fi
sg_stop_check "signetd (bad path)" "$SIGNETD_PID" "$SIGNETD_LOG"

sg_summary history
