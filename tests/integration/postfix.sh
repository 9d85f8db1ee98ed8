#!/bin/bash
# tests/integration/postfix.sh -- real Postfix end to end:
#   swaks -> Postfix smtpd (127.0.0.1, free port) -> signetd (milter)
#         -> Postfix virtual(8) -> Maildir -> dkimpy and Mail::DKIM verify,
#   keys fetched over DNS from tests/lib/dnsserver.py on loopback.
#
# One private Postfix instance in a mktemp -d directory (its own main.cf and
# master.cf, queue, data directory and maillog; no chroot; loopback only),
# with two smtpd listeners, each wired to its own signetd:
#   relaxed/relaxed   and   simple/simple
# Both signetds dual-sign (RSA-2048 + Ed25519). simple/simple proves that the
# header bytes Postfix stores are the bytes signetd signed.
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
sg_keygen rsa "$T/keys/rsa.pem" && sg_keygen ed25519 "$T/keys/ed.pem" || fail "key generation"
{
	printf 'pfrsa._domainkey.example.com:\n  - TXT: "%s"\n' "$(sg_dkim_record "$T/keys/rsa.pem")"
	printf 'pfed._domainkey.example.com:\n  - TXT: "%s"\n' "$(sg_dkim_record "$T/keys/ed.pem")"
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

# --- Postfix ---------------------------------------------------------------
PF="$T/postfix"
mkdir -p "$PF/etc" "$PF/queue" "$PF/data" "$T/vmail"
chown postfix: "$PF/data" "$T/vmail"
VUID=$(id -u postfix)
VGID=$(id -g postfix)
printf 'rcpt@example.net example.net/rcpt/\n' >"$PF/etc/vmailbox"
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
for canon in $CANONS; do
	tag=${canon/\//-}
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

for canon in $CANONS; do
	tag=${canon/\//-}
	if [ -n "${SIGNETD_PIDS[$tag]:-}" ]; then
		sg_stop_check "signetd $canon" "${SIGNETD_PIDS[$tag]}" "${SIGNETD_LOGS[$tag]}"
	fi
done

sg_summary postfix
