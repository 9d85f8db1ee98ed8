#!/bin/bash
# tests/integration/postfix.sh -- real Postfix end to end:
#   swaks -> Postfix smtpd (127.0.0.1, free port) -> signetd (milter)
#         -> Postfix virtual(8) -> Maildir -> dkimpy and Mail::DKIM verify,
#   keys fetched over DNS from tests/lib/dnsserver.py on loopback.
#
# One private Postfix instance in a mktemp -d directory (its own main.cf and
# master.cf, queue, data directory and maillog; no chroot; loopback only),
# with three smtpd listeners, each wired to its own signetd. Two sign:
#   relaxed/relaxed   and   simple/simple
# Both dual-sign (RSA-2048 + Ed25519). simple/simple proves that the
# header bytes Postfix stores are the bytes signetd signed.
#
# A third listener is wired to an inbound signetd (127.0.0.1 is not one of
# its internal hosts, so Postfix's client is outside): SPF, DKIM and DMARC
# with the zone of tests/lib/dnsserver.py. There
#   - mail spoofing bank.example (p=reject; no DKIM, 127.0.0.1 not in its
#     SPF) is refused at SMTP: "550 5.7.1 Rejected by the DMARC policy of
#     bank.example" in swaks' transcript, nothing delivered;
#   - mail spoofing quar.example (p=quarantine) goes to the hold queue;
#   - legitimate mail from legit.example (DKIM-signed by it, 127.0.0.1 in
#     its SPF) is delivered with spf=pass, dkim=pass and dmarc=pass in its
#     one Authentication-Results field.
#
#   SIGNET_BUILD=build bash tests/integration/postfix.sh
# Ends with "postfix: N passed, N failed". Needs root (Postfix's master).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"
INTEROP="$SG_ROOT/tests/interop"

sg_tmpdir
T=$SG_TMP

# --- prerequisites -----------------------------------------------------------
prereq_ok=1
for tool in postfix postconf swaks openssl perl; do
	command -v "$tool" >/dev/null || { fail "prerequisite: $tool installed"; prereq_ok=0; }
done
[ -x "$SIGNET_BUILD/signetd" ] || { fail "prerequisite: $SIGNET_BUILD/signetd is built"; prereq_ok=0; }
[ "$(id -u)" -eq 0 ] || { fail "prerequisite: running as root (Postfix master)"; prereq_ok=0; }
id postfix >/dev/null 2>&1 || { fail "prerequisite: user postfix exists"; prereq_ok=0; }
if [ "$prereq_ok" = 0 ]; then
	sg_summary postfix
	exit 1
fi

# --- keys, DNS ---------------------------------------------------------------
mkdir -p "$T/keys"
sg_keygen rsa "$T/keys/rsa.pem" && sg_keygen ed25519 "$T/keys/ed.pem" &&
	sg_keygen rsa "$T/keys/legit.pem" || fail "key generation"
{
	printf 'pfrsa._domainkey.example.com:\n  - TXT: "%s"\n' "$(sg_dkim_record "$T/keys/rsa.pem")"
	printf 'pfed._domainkey.example.com:\n  - TXT: "%s"\n' "$(sg_dkim_record "$T/keys/ed.pem")"
	# inbound: the legitimate sender, and two domains to spoof
	printf 'pf._domainkey.legit.example:\n  - TXT: "%s"\n' "$(sg_dkim_record "$T/keys/legit.pem")"
	cat <<'EOF'
_dmarc.legit.example:
  - TXT: "v=DMARC1; p=reject"
legit.example:
  - TXT: "v=spf1 ip4:127.0.0.1 -all"
_dmarc.bank.example:
  - TXT: "v=DMARC1; p=reject"
bank.example:
  - TXT: "v=spf1 ip4:192.0.2.20 -all"
_dmarc.quar.example:
  - TXT: "v=DMARC1; p=quarantine"
quar.example:
  - TXT: "v=spf1 ip4:192.0.2.20 -all"
EOF
} >"$T/zone.yml"
if ! sg_start_dns "$T/zone.yml"; then
	fail "DNS server starts"
	sg_summary postfix
	exit 1
fi

# --- two signetds ----------------------------------------------------------
declare -A MILTER_PORT SMTP_PORT SIGNETD_PIDS SIGNETD_LOGS
CANONS="relaxed/relaxed simple/simple"
for canon in $CANONS; do
	tag=${canon/\//-}
	d="$T/signetd-$tag"
	mkdir -p "$d"
	printf 'rsa-key example.com:pfrsa:%s\ned-key example.com:pfed:%s\n' \
		"$T/keys/rsa.pem" "$T/keys/ed.pem" >"$d/KeyTable"
	printf '*@example.com rsa-key\n*@example.com ed-key\n' >"$d/SigningTable"
	MILTER_PORT[$tag]=$(sg_free_port)
	SMTP_PORT[$tag]=$(sg_free_port)
	sg_write_signetd_conf "$d/signetd.conf" "${MILTER_PORT[$tag]}" "$canon"
	if sg_start_signetd "$d/signetd.conf"; then
		ok "signetd $canon listens on 127.0.0.1:${MILTER_PORT[$tag]}"
		SIGNETD_PIDS[$tag]=$SIGNETD_PID
		SIGNETD_LOGS[$tag]=$SIGNETD_LOG
	else
		fail "signetd $canon starts"
	fi
done

# --- the inbound signetd: SPF, DKIM verification, DMARC ------------------------
# Its own configuration: Postfix connects from 127.0.0.1, which must not be
# an internal host here (the signing signetds above have it as one).
d="$T/signetd-inbound"
mkdir -p "$d"
printf 'rsa-key example.com:pfrsa:%s\n' "$T/keys/rsa.pem" >"$d/KeyTable"
printf '*@example.com rsa-key\n' >"$d/SigningTable"
MILTER_PORT[inbound]=$(sg_free_port)
SMTP_PORT[inbound]=$(sg_free_port)
cat >"$d/signetd.conf" <<EOF
socket = "inet:${MILTER_PORT[inbound]}@127.0.0.1";
authserv_id = "mx.example.com";
internal_hosts = [ "192.0.2.128/25" ];
log = { level = "debug"; };
dkim = {
  key_table = "KeyTable";
  signing_table = "SigningTable";
};
$(sg_dns_group "$DNS_PORT" 3000)
spf = {
  enabled = true;
};
dmarc = {
  enabled = true;
  mode = "rfc9989";
  reject_failures = true;
  quarantine = "quarantine";
  on_temperror = "accept";
  malformed_from = "reject";
  history = "";
};
EOF
if sg_start_signetd "$d/signetd.conf"; then
	ok "signetd inbound listens on 127.0.0.1:${MILTER_PORT[inbound]}"
	SIGNETD_PIDS[inbound]=$SIGNETD_PID
	SIGNETD_LOGS[inbound]=$SIGNETD_LOG
else
	fail "signetd inbound starts"
fi

# --- Postfix ---------------------------------------------------------------
PF="$T/postfix"
mkdir -p "$PF/etc" "$PF/queue" "$PF/data" "$T/vmail"
chown postfix: "$PF/data" "$T/vmail"
VUID=$(id -u postfix)
VGID=$(id -g postfix)
printf 'rcpt@example.net example.net/rcpt/\ninbound@example.net example.net/inbound/\n' >"$PF/etc/vmailbox"
cat >"$PF/etc/main.cf" <<EOF
# written by tests/integration/postfix.sh
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.com
mydomain = example.com
myorigin = example.com
mydestination =
relayhost =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtputf8_enable = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
virtual_mailbox_domains = example.net
virtual_mailbox_base = $T/vmail
virtual_mailbox_maps = texthash:$PF/etc/vmailbox
virtual_minimum_uid = 1
virtual_uid_maps = static:$VUID
virtual_gid_maps = static:$VGID
virtual_transport = virtual
milter_default_action = accept
milter_protocol = 6
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
EOF
{
	echo "# written by tests/integration/postfix.sh: no chroot, loopback only"
	for canon in $CANONS; do
		tag=${canon/\//-}
		echo "127.0.0.1:${SMTP_PORT[$tag]} inet n - n - - smtpd"
		echo "  -o smtpd_milters=inet:127.0.0.1:${MILTER_PORT[$tag]}"
		echo "  -o syslog_name=postfix-$tag"
	done
	echo "127.0.0.1:${SMTP_PORT[inbound]} inet n - n - - smtpd"
	echo "  -o smtpd_milters=inet:127.0.0.1:${MILTER_PORT[inbound]}"
	echo "  -o syslog_name=postfix-inbound"
	cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
} >"$PF/etc/master.cf"

PFC=(postfix -c "$PF/etc")
if out=$("${PFC[@]}" check 2>&1); then
	ok "postfix check accepts the private instance"
else
	fail "postfix check accepts the private instance" "$out"
fi

"${PFC[@]}" start-fg >"$PF/start-fg.log" 2>&1 &
PF_PID=$!
# Stopped through "postfix stop" (which lets master end its children), then
# the start-fg process is waited for; sg_stop is the bounded fallback.
sg_track "$PF_PID"
sg_on_exit "postfix -c '$PF/etc' stop; for _pf_w in \$(seq 100); do kill -0 $PF_PID 2>/dev/null || break; sleep 0.1; done"

pf_up=1
for tag in ${CANONS//\//-} inbound; do
	if sg_wait_port "${SMTP_PORT[$tag]}" 30 "$PF_PID"; then
		ok "Postfix smtpd ($tag milter) listens on 127.0.0.1:${SMTP_PORT[$tag]}"
	else
		fail "Postfix smtpd listens on 127.0.0.1:${SMTP_PORT[$tag]}" \
			"$(cat "$PF/start-fg.log" "$PF/maillog" 2>/dev/null | tail -n 20)"
		pf_up=0
	fi
done

# --- mail -------------------------------------------------------------------
# wait_delivery DIR COUNT: wait (max 60 s) for COUNT files in DIR/new.
wait_delivery() {
	local dir=$1 want=$2 i n
	for ((i = 0; i < 600; i++)); do
		n=$(find "$dir/new" -type f 2>/dev/null | wc -l)
		[ "$n" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

MAILDIR="$T/vmail/example.net/rcpt"
delivered=0
if [ "$pf_up" = 1 ]; then
	for canon in $CANONS; do
		tag=${canon/\//-}
		msg="$T/msg-$tag.eml"
		# Folded and oddly spaced fields: simple/simple breaks on any byte
		# Postfix would change after signing.
		cat >"$msg" <<EOF
From: Sender  Name <user@example.com>
To: Rcpt <rcpt@example.net>,
	Other <rcpt@example.net>
Subject: Postfix end to end, $canon,
  with a folded   subject
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <pf-$tag-$$@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
X-Test-Canon: $canon

Hello through Postfix ($canon).
A line with trailing blanks   
	and a tab-indented one

.leading dot line (SMTP dot-stuffing)


EOF
		out=$(swaks --server "127.0.0.1:${SMTP_PORT[$tag]}" --helo client.example \
			--from user@example.com --to rcpt@example.net --data "$msg" \
			--timeout 30 2>&1)
		if [ $? -eq 0 ] && grep -q '^<- *250 .*queued' <<<"$out"; then
			ok "$canon: swaks submits, Postfix queues (250)"
		else
			fail "$canon: swaks submits, Postfix queues (250)" "$(tail -n 15 <<<"$out")"
			continue
		fi
		delivered=$((delivered + 1))
		if wait_delivery "$MAILDIR" "$delivered"; then
			ok "$canon: delivered to the Maildir"
		else
			fail "$canon: delivered to the Maildir within 60 s" "$(tail -n 20 "$PF/maillog" 2>/dev/null)"
			continue
		fi
		f=$(grep -l "^X-Test-Canon: $canon" "$MAILDIR"/new/* 2>/dev/null | head -n1)
		if [ -z "$f" ]; then
			fail "$canon: the delivered message is the one sent"
			continue
		fi
		cp "$f" "$T/delivered-$tag.eml"
		f="$T/delivered-$tag.eml"

		out=$("$SG_PY" "$INTEROP/verify_dkimpy.py" --port "$DNS_PORT" --expect-sigs 2 "$f" 2>&1)
		rc=$?
		echo "$out" | sed 's/^/  | /'
		if [ $rc -eq 0 ]; then
			ok "$canon: dkimpy verifies both signatures of the delivered copy"
		else
			fail "$canon: dkimpy verifies both signatures of the delivered copy" "$(head -n 20 "$f")"
		fi
		if [ "$(grep -c "c=$canon: pass" <<<"$out")" -eq 2 ] &&
			grep -q 'a=rsa-sha256' <<<"$out" && grep -q 'a=ed25519-sha256' <<<"$out"; then
			ok "$canon: signatures are rsa-sha256 + ed25519-sha256 with c=$canon"
		else
			fail "$canon: signatures are rsa-sha256 + ed25519-sha256 with c=$canon" "$out"
		fi
		out=$(perl "$INTEROP/verify_maildkim.pl" --port "$DNS_PORT" --expect-sigs 2 "$f" 2>&1)
		if [ $? -eq 0 ] && grep -q 'a=rsa-sha256.*: pass$' <<<"$out"; then
			ok "$canon: Mail::DKIM verifies the RSA signature of the delivered copy"
		else
			fail "$canon: Mail::DKIM verifies the RSA signature of the delivered copy" "$out"
		fi
	done
fi

# --- inbound: DMARC at SMTP time -------------------------------------------------
IN_MAILDIR="$T/vmail/example.net/inbound"
# inbound_msg FILE FROM TAG: a message with From: FROM and X-Test-Inbound: TAG.
inbound_msg() {
	cat >"$1" <<EOF
From: $2
To: Inbound <inbound@example.net>
Subject: inbound DMARC through Postfix ($3)
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <pf-in-$3-$$@test>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
X-Test-Inbound: $3

Inbound through Postfix: $3.
EOF
}
# send_in FILE MAILFROM: swaks to the inbound listener; sets OUT and RC.
send_in() {
	OUT=$(swaks --server "127.0.0.1:${SMTP_PORT[inbound]}" --helo client.example \
		--from "$2" --to inbound@example.net --data "$1" --timeout 30 2>&1)
	RC=$?
}
# ar_inbound FILE MAILFROM DOMAIN: exactly one Authentication-Results field
# claiming mx.example.com, with spf=pass smtp.mailfrom=MAILFROM, dkim=pass
# header.d=DOMAIN and dmarc=pass header.from=DOMAIN (python3-authres).
ar_inbound() {
	"$SG_PY" - "$@" <<'EOF'
import re, sys
import authres
path, mailfrom, domain = sys.argv[1:4]
raw = open(path, "rb").read()
head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].decode("utf-8", "replace")
fields = []
for line in re.split(r"\r?\n", head):
    if line[:1] in (" ", "\t") and fields:
        fields[-1][1] += " " + line.strip()
    elif ":" in line:
        n, v = line.split(":", 1)
        fields.append([n.strip(), v.strip()])
ours = []
for n, v in fields:
    if n.lower() != "authentication-results":
        continue
    try:
        h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + v)
    except Exception as e:
        print("unparsable Authentication-Results (%s): %s" % (e, v))
        sys.exit(1)
    if h.authserv_id.rstrip(".").lower() == "mx.example.com":
        ours.append((h, v))
if len(ours) != 1:
    print("%d Authentication-Results fields claim mx.example.com (want 1)" % len(ours))
    sys.exit(1)
h, v = ours[0]
print("A-R: " + v)
def has(method, ptype, prop, value):
    for r in h.results:
        props = dict(((p.type, p.name), p.value) for p in r.properties)
        if (r.method == method and str(r.result) == "pass" and
                (props.get((ptype, prop)) or "").lower() == value):
            return True
    return False
want = [("spf", "smtp", "mailfrom", mailfrom), ("dkim", "header", "d", domain),
        ("dmarc", "header", "from", domain)]
missing = ["%s=pass %s.%s=%s" % w for w in want if not has(*w)]
if missing:
    print("missing: " + "; ".join(missing))
    sys.exit(1)
EOF
}

if [ "$pf_up" = 1 ] && [ -n "${SIGNETD_PIDS[inbound]:-}" ]; then
	# (a) spoofing a p=reject domain: no signature, 127.0.0.1 not in its SPF
	inbound_msg "$T/in-spoof.eml" "Bank Security <security@bank.example>" spoof
	send_in "$T/in-spoof.eml" security@bank.example
	printf '%s\n' "$OUT" >"$T/in-spoof.transcript"
	if [ "$RC" -ne 0 ] &&
		grep -qE '^<\*\* +550[ -]5\.7\.1 Rejected by the DMARC policy of bank\.example' <<<"$OUT"; then
		ok "inbound: spoofed bank.example (p=reject) refused at SMTP with 550 5.7.1 naming the domain"
	else
		fail "inbound: spoofed bank.example (p=reject) refused at SMTP with 550 5.7.1" \
			"swaks exit $RC"$'\n'"$(grep -E '^(<|->) *(MAIL|RCPT|DATA|[0-9]{3})|^<\*\*' <<<"$OUT" | tail -n 12)"
	fi

	# (b) quarantine: Postfix puts it on hold
	inbound_msg "$T/in-quar.eml" "Quar <news@quar.example>" quarantine
	send_in "$T/in-quar.eml" news@quar.example
	if [ "$RC" -eq 0 ] && grep -q '^<- *250 .*queued' <<<"$OUT"; then
		held=0
		for ((i = 0; i < 100; i++)); do
			if [ -n "$(find "$PF/queue/hold" -type f 2>/dev/null | head -n1)" ]; then
				held=1
				break
			fi
			sleep 0.1
		done
		# Postfix logs the hold without the reason; signetd logs the reason
		if [ "$held" = 1 ] && grep -q 'milter-hold: .*from=<news@quar\.example>' "$PF/maillog" &&
			grep -q 'quarantined: DMARC policy of quar\.example: quarantine' "${SIGNETD_LOGS[inbound]}"; then
			ok "inbound: spoofed quar.example (p=quarantine) accepted into Postfix's hold queue"
		else
			fail "inbound: spoofed quar.example (p=quarantine) goes to the hold queue" \
				"$(grep -i 'milter' "$PF/maillog" | tail -n 5; grep -i quarantin "${SIGNETD_LOGS[inbound]}" | tail -n 3)"
		fi
	else
		fail "inbound: spoofed quar.example (p=quarantine) accepted (250, then held)" "$(tail -n 12 <<<"$OUT")"
	fi

	# (c) legitimate: DKIM-signed by legit.example, SPF pass for 127.0.0.1
	inbound_msg "$T/in-legit.eml" "Legit News <news@legit.example>" legit
	if "$SG_PY" "$INTEROP/sign_dkimpy.py" --key "$T/keys/legit.pem" --domain legit.example \
		--selector pf --out-dir "$T/in-signed" "$T/in-legit.eml" >/dev/null 2>&1; then
		send_in "$T/in-signed/in-legit.eml" bounce@legit.example
		if [ "$RC" -eq 0 ] && grep -q '^<- *250 .*queued' <<<"$OUT"; then
			ok "inbound: legitimate legit.example mail accepted (250)"
			if wait_delivery "$IN_MAILDIR" 1; then
				f=$(grep -l '^X-Test-Inbound: legit' "$IN_MAILDIR"/new/* 2>/dev/null | head -n1)
				if [ -n "$f" ] && out=$(ar_inbound "$f" bounce@legit.example legit.example 2>&1); then
					echo "$out" | sed 's/^/  | /'
					ok "inbound: delivered with spf=pass, dkim=pass and dmarc=pass in its one A-R"
				else
					fail "inbound: delivered with spf=pass, dkim=pass and dmarc=pass in its one A-R" \
						"${out:-}"$'\n'"$(head -n 30 "${f:-/dev/null}")"
				fi
			else
				fail "inbound: legitimate mail delivered within 60 s" "$(tail -n 20 "$PF/maillog" 2>/dev/null)"
			fi
		else
			fail "inbound: legitimate legit.example mail accepted (250)" "$(tail -n 12 <<<"$OUT")"
		fi
	else
		fail "inbound: dkimpy signs the legitimate message"
	fi
	# only the legitimate one reached the mailbox
	n=$(find "$IN_MAILDIR/new" -type f 2>/dev/null | wc -l)
	if [ "$n" -le 1 ] && ! grep -qlE '^X-Test-Inbound: (spoof|quarantine)' "$IN_MAILDIR"/new/* 2>/dev/null; then
		ok "inbound: neither spoofed message was delivered"
	else
		fail "inbound: neither spoofed message was delivered" "$(grep -h '^X-Test-Inbound' "$IN_MAILDIR"/new/*)"
	fi
fi

if [ -f "$PF/maillog" ]; then
	if grep -qiE 'warning: .*milter|milter.*(error|fail)' "$PF/maillog"; then
		fail "Postfix logs no milter warning" "$(grep -iE 'milter' "$PF/maillog" | head -n 10)"
	else
		ok "Postfix logs no milter warning"
	fi
else
	fail "Postfix wrote its maillog ($PF/maillog)"
fi

# Stop Postfix cleanly now (the EXIT trap would too): postfix stop, then the
# start-fg process must end.
"${PFC[@]}" stop >/dev/null 2>&1
for ((i = 0; i < 150; i++)); do
	kill -0 "$PF_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$PF_PID" 2>/dev/null; then
	fail "Postfix stops within 15 s of 'postfix stop'"
else
	wait "$PF_PID" 2>/dev/null
	ok "Postfix stops on 'postfix stop'"
fi

for tag in ${CANONS//\//-} inbound; do
	if [ -n "${SIGNETD_PIDS[$tag]:-}" ]; then
		sg_stop_check "signetd $tag" "${SIGNETD_PIDS[$tag]}" "${SIGNETD_LOGS[$tag]}"
	fi
done

sg_summary postfix
