#!/bin/bash
# tests/integration/run.sh -- signetd as a process: configuration checks
# (-t), bad input through the milter protocol (no crash, a clear log line,
# the message passed on), SIGHUP reload (good and broken), a unix socket,
# daemon mode with a pid file, the first start of the default
# configuration, body chunking, and that no key material reaches the log.
# Signatures are checked by dkimpy against keys served over loopback DNS.
#
#   SIGNET_BUILD=build bash tests/integration/run.sh
# Ends with "integration: N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"

MILTC="$SIGNET_BUILD/miltc"
SIGNETD="$SIGNET_BUILD/signetd"
VERIFY="$SG_ROOT/tests/interop/verify_dkimpy.py"

sg_tmpdir
T=$SG_TMP
mkdir -p "$T/msgs"

# --- keys, tables, DNS ---------------------------------------------------------
sg_keygen rsa "$T/rsa.pem"
sg_keygen ed25519 "$T/ed25519.pem"
printf 'rsa example.com:rsa:%s\ned example.com:ed:%s\n' "$T/rsa.pem" "$T/ed25519.pem" >"$T/KeyTable"
printf '*@example.com rsa\n*@example.com ed\n' >"$T/SigningTable"
{
	printf 'rsa._domainkey.example.com:\n  - TXT: "%s"\n' "$(sg_dkim_record "$T/rsa.pem")"
	printf 'ed._domainkey.example.com:\n  - TXT: "%s"\n' "$(sg_dkim_record "$T/ed25519.pem")"
} >"$T/zone.yml"
sg_start_dns "$T/zone.yml" || { fail "dns server starts"; sg_summary integration; exit 1; }

PORT=$(sg_free_port)
sg_write_signetd_conf "$T/signetd.conf" "$PORT" relaxed/relaxed

# --- signetd -t ----------------------------------------------------------------------
out=$("$SIGNETD" -t -c "$T/signetd.conf" 2>&1) && ok "-t accepts a good configuration" ||
	fail "-t accepts a good configuration" "$out"

printf 'socket = "inet:1@127.0.0.1";\ndkim = {\n  key_table = "KeyTable";\n  signing_table = "SigningTable";\n  canonicalisation = "relaxed";\n};\n' >"$T/typo.conf"
if out=$("$SIGNETD" -t -c "$T/typo.conf" 2>&1); then
	fail "-t refuses an unknown setting" "$out"
else
	case "$out" in
	*"typo.conf:5: unknown setting 'canonicalisation' in dkim"*) ok "-t names file, line and problem" ;;
	*) fail "-t names file, line and problem" "$out" ;;
	esac
fi

cp "$T/ed25519.pem" "$T/open.pem"
chmod 644 "$T/open.pem"
printf 'k example.com:k:%s\n' "$T/open.pem" >"$T/KeyTable.open"
printf '*@example.com k\n' >"$T/SigningTable.open"
sed 's/"KeyTable"/"KeyTable.open"/; s/"SigningTable"/"SigningTable.open"/' "$T/signetd.conf" >"$T/open.conf"
if out=$("$SIGNETD" -t -c "$T/open.conf" 2>&1); then
	fail "-t refuses a group/other-readable key" "$out"
else
	case "$out" in
	*KeyTable.open:1:*open.pem*) ok "-t refuses a group/other-readable key, naming it" ;;
	*) fail "-t refuses a group/other-readable key, naming it" "$out" ;;
	esac
fi
printf 'dkim = { key_table = "KeyTable.open"; signing_table = "SigningTable.open"; allow_unsafe_key_permissions = true; };\n' >"$T/open2.conf"
check "allow_unsafe_key_permissions lets it load" "$SIGNETD" -t -c "$T/open2.conf"

# --- the running filter -----------------------------------------------------------------
sg_start_signetd "$T/signetd.conf" || { fail "signetd starts"; sg_summary integration; exit 1; }
SOCK="inet:$PORT@127.0.0.1"

msg() {	# msg NAME TEXT: write a message, LF line ends turned to CRLF
	printf '%s' "$2" | sed 's/$/\r/' >"$T/msgs/$1.eml"
}
msg plain 'From: Alice <alice@example.com>
To: bob@example.net
Subject: integration
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <int-1@example.com>

Hello Bob.


'

send() {	# send NAME [miltc options]: sets OUT (the result), VERDICT
	local name=$1
	shift
	OUT="$T/msgs/$name.out"
	VERDICT=$("$MILTC" -s "$SOCK" -c 127.0.0.1 "$@" -o "$OUT" "$T/msgs/$name.eml" 2>&1)
}

verifies() {	# verifies LABEL FILE [NSIGS]
	if "$SG_PY" "$VERIFY" --port "$DNS_PORT" --expect-sigs "${3:-2}" "$2" >"$T/v.out" 2>&1; then
		ok "$1"
	else
		fail "$1" "$(cat "$T/v.out")"
	fi
}

send plain -q QPLAIN
verifies "dual-signed message verifies with dkimpy" "$OUT"
if grep -q "QPLAIN: signed from=<alice@example.com> client=127.0.0.1: d=example.com s=rsa a=rsa-sha256, d=example.com s=ed a=ed25519-sha256" "$SIGNETD_LOG"; then
	ok "one log line per message with queue id and signatures"
else
	fail "one log line per message with queue id and signatures" "$(tail -5 "$SIGNETD_LOG")"
fi

# Body chunking: 1-byte and 7-byte chunks give the same body hash as one chunk.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "line %d with  some\ttabs and  spaces  \r\n", i; printf "\r\n\r\n\r\n" }' >"$T/body"
{ sed -n '1,5p' "$T/msgs/plain.eml"; printf '\r\n'; cat "$T/body"; } >"$T/msgs/chunky.eml"
bhs=""
for b in 65535 7 1; do
	send chunky -b "$b"
	bhs+="$(grep -o 'bh=[^;]*' "$OUT" | head -1) "
	verifies "body in $b-byte chunks verifies" "$OUT"
done
read -r bh1 bh2 bh3 <<<"$bhs"
if [ -n "$bh1" ] && [ "$bh1" = "$bh2" ] && [ "$bh2" = "$bh3" ]; then
	ok "same body hash for every chunk size"
else
	fail "same body hash for every chunk size" "$bhs"
fi

# --- bad input: every message passes on, signetd stays up, the log says why -------------
passed_on() {	# passed_on LABEL
	case "$VERDICT" in
	*"verdict: accept"* | *"verdict: continue"*) ok "$1: message passed on" ;;
	*) fail "$1: message passed on" "$VERDICT" ;;
	esac
}

bad_case() {	# bad_case LABEL NAME LOGPATTERN
	local label=$1 name=$2 pat=$3
	send "$name" -q "Q$name"
	passed_on "$label"
	if grep -q "Q$name: .*$pat" "$SIGNETD_LOG"; then
		ok "$label: log says '$pat'"
	else
		fail "$label: log says '$pat'" "$(grep "Q$name" "$SIGNETD_LOG")"
	fi
	if kill -0 "$SIGNETD_PID" 2>/dev/null; then ok "$label: signetd still running"; else fail "$label: signetd still running"; fi
}

msg nofrom 'To: bob@example.net
Subject: no from

body
'
bad_case "no From" nofrom "not signed: no From header"

msg twofrom 'From: alice@example.com
From: mallory@example.com
Subject: two from

body
'
bad_case "two From fields" twofrom "not signed: more than one From header"

msg twoaddr 'From: alice@example.com, mallory@example.com
Subject: two addresses

body
'
bad_case "two addresses in From" twoaddr "not signed: more than one address"

msg nocolon 'From: alice@example.com
This line has no colon
Subject: x

body
'
send nocolon -q Qnocolon
passed_on "header without a colon"
if grep -q "Qnocolon: " "$SIGNETD_LOG"; then ok "header without a colon: logged"; else fail "header without a colon: logged"; fi

{
	printf 'From: alice@example.com\r\nSubject: big\r\nX-Big: '
	head -c 1000000 /dev/zero | tr '\0' 'a'
	printf '\r\n\r\nbody\r\n'
} >"$T/msgs/bighdr.eml"
send bighdr -q Qbighdr
passed_on "1 MB header (one milter packet)"
if grep -q "Qbighdr: signed" "$SIGNETD_LOG"; then
	verifies "1 MB header: signed and verifies" "$OUT"
else
	fail "1 MB header: signed and verifies" "$(grep Qbighdr "$SIGNETD_LOG")"
fi

printf 'From: alice@example.com\r\nSubject: nul\000inside\r\n\r\nbody with \000 NUL\r\n' >"$T/msgs/nul.eml"
send nul -q Qnul
passed_on "NUL bytes"
if grep -q "Qnul: " "$SIGNETD_LOG"; then ok "NUL bytes: logged"; else fail "NUL bytes: logged"; fi

printf 'From: alice@example.com\nSubject: bare LF\n folded\n\nline one\nline two\n\n' >"$T/msgs/barelf.eml"
send barelf -q Qbarelf
passed_on "bare LF"
if grep -q "Qbarelf: signed" "$SIGNETD_LOG"; then
	verifies "bare LF message: signed and verifies" "$OUT"
else
	fail "bare LF message: signed and verifies" "$(grep Qbarelf "$SIGNETD_LOG")"
fi

if kill -0 "$SIGNETD_PID" 2>/dev/null; then ok "signetd survived all bad input"; else fail "signetd survived all bad input"; fi

# --- keys never reach the log ----------------------------------------------------------
keyline=$(sed -n 2p "$T/rsa.pem")
if grep -qF -- "$keyline" "$SIGNETD_LOG" || grep -q "PRIVATE KEY" "$SIGNETD_LOG"; then
	fail "no private key material in the log"
else
	ok "no private key material in the log"
fi

# --- SIGHUP -------------------------------------------------------------------------------
wait_log() {	# wait_log PATTERN: up to 5 s
	for _ in $(seq 50); do grep -q "$1" "$SIGNETD_LOG" && return 0; sleep 0.1; done
	return 1
}
printf '*@example.com ed\n' >"$T/SigningTable"
kill -HUP "$SIGNETD_PID"
if wait_log "configuration reloaded"; then ok "SIGHUP reloads"; else fail "SIGHUP reloads" "$(tail -5 "$SIGNETD_LOG")"; fi
send plain
n=$(grep -c '^DKIM-Signature:' "$OUT")
if [ "$n" = 1 ] && grep -q 'a=ed25519-sha256' "$OUT"; then
	ok "after reload the new SigningTable applies (one Ed25519 signature)"
else
	fail "after reload the new SigningTable applies" "$n signatures"
fi

printf '*@example.com nosuchkey\n' >"$T/SigningTable"
kill -HUP "$SIGNETD_PID"
if wait_log "reload failed, keeping the previous configuration: .*SigningTable:1:"; then
	ok "a broken reload is logged with file and line"
else
	fail "a broken reload is logged with file and line" "$(tail -3 "$SIGNETD_LOG")"
fi
send plain
n=$(grep -c '^DKIM-Signature:' "$OUT")
if kill -0 "$SIGNETD_PID" 2>/dev/null && [ "$n" = 1 ]; then
	ok "a broken reload keeps the old configuration"
else
	fail "a broken reload keeps the old configuration" "$n signatures"
fi

# Reloads while messages are in flight: every message is still signed.
printf '*@example.com rsa\n*@example.com ed\n' >"$T/SigningTable"
kill -HUP "$SIGNETD_PID"
for _ in $(seq 50); do [ "$(grep -c 'configuration reloaded' "$SIGNETD_LOG")" -ge 2 ] && break; sleep 0.1; done
send chunky -b 3 &
SPID=$!
for _ in 1 2 3 4 5; do kill -HUP "$SIGNETD_PID"; sleep 0.05; done
wait "$SPID"
if [ "$(grep -c '^DKIM-Signature:' "$T/msgs/chunky.out")" = 2 ]; then
	verifies "message in flight across SIGHUPs is signed and verifies" "$T/msgs/chunky.out"
else
	fail "message in flight across SIGHUPs is signed and verifies"
fi

# --- SIGTERM --------------------------------------------------------------------------------
kill -TERM "$SIGNETD_PID"
stopped=0
for _ in $(seq 150); do
	kill -0 "$SIGNETD_PID" 2>/dev/null || { stopped=1; break; }
	sleep 0.1
done
wait "$SIGNETD_PID" 2>/dev/null
rc=$?
if [ "$stopped" = 1 ] && [ "$rc" = 0 ]; then ok "SIGTERM stops cleanly (exit 0)"; else fail "SIGTERM stops cleanly" "stopped=$stopped rc=$rc"; fi

# --- unix socket ------------------------------------------------------------------------------
sed "s|^socket = .*|socket = \"unix:$T/signetd.sock\";|" "$T/signetd.conf" >"$T/unix.conf"
"$SIGNETD" -f -c "$T/unix.conf" 2>"$T/unix.log" &
UPID=$!
sg_track "$UPID"
for _ in $(seq 100); do [ -S "$T/signetd.sock" ] && break; sleep 0.1; done
if "$MILTC" -s "unix:$T/signetd.sock" -o "$T/msgs/unix.out" "$T/msgs/plain.eml" 2>/dev/null; then
	verifies "unix socket: local submission is signed and verifies" "$T/msgs/unix.out"
else
	fail "unix socket: local submission is signed and verifies" "$(cat "$T/unix.log")"
fi
sg_stop "$UPID"

# --- daemon mode -----------------------------------------------------------------------------
DPORT=$(sg_free_port)
sg_write_signetd_conf "$T/daemon.conf" "$DPORT" relaxed/relaxed "pid_file = \"$T/signetd.pid\";"
"$SIGNETD" -c "$T/daemon.conf" 2>"$T/daemon.err"
rc=$?
sg_wait_file "$T/signetd.pid" 10
DPID=$(cat "$T/signetd.pid" 2>/dev/null)
if [ "$rc" = 0 ] && [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
	ok "daemon mode: detaches and writes its pid file"
	sg_on_exit "kill -TERM $DPID"
	sg_wait_port "$DPORT" 10 >/dev/null 2>&1
	"$MILTC" -s "inet:$DPORT@127.0.0.1" -c 127.0.0.1 -o "$T/msgs/d.out" "$T/msgs/plain.eml" 2>/dev/null
	if grep -q '^DKIM-Signature:' "$T/msgs/d.out"; then ok "daemon mode: signs"; else fail "daemon mode: signs"; fi
	kill -TERM "$DPID"
	for _ in $(seq 150); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	if ! kill -0 "$DPID" 2>/dev/null && [ ! -e "$T/signetd.pid" ]; then
		ok "daemon mode: SIGTERM stops it and removes the pid file"
	else
		fail "daemon mode: SIGTERM stops it and removes the pid file"
	fi
else
	fail "daemon mode: detaches and writes its pid file" "rc=$rc $(cat "$T/daemon.err")"
fi

# --- the signet command-line tool ------------------------------------------------------
SIGNET="$SIGNET_BUILD/signet"
if "$SIGNET" sign -c "$T/signetd.conf" "$T/msgs/plain.eml" >"$T/msgs/cli.out" 2>"$T/cli.err"; then
	verifies "signet sign: output verifies with dkimpy" "$T/msgs/cli.out"
else
	fail "signet sign: output verifies with dkimpy" "$(cat "$T/cli.err")"
fi
if "$SIGNET" sign -c "$T/signetd.conf" "$T/msgs/nofrom.eml" >/dev/null 2>"$T/cli.err"; then
	fail "signet sign: a message without From is refused" "exit 0"
else
	grep -q "not signed: no From header" "$T/cli.err" && ok "signet sign: a message without From is refused, with the reason" ||
		fail "signet sign: a message without From is refused, with the reason" "$(cat "$T/cli.err")"
fi
if "$SIGNET" keygen -a ed25519 -d example.org -s cli -o "$T/cli.pem" >"$T/cli.rec" 2>/dev/null &&
	[ "$(stat -c %a "$T/cli.pem")" = 600 ] &&
	grep -q "^cli._domainkey.example.org. IN TXT ( \"$(sg_dkim_record "$T/cli.pem")\" )" "$T/cli.rec"; then
	ok "signet keygen: 0600 key and its TXT record"
else
	fail "signet keygen: 0600 key and its TXT record" "$(cat "$T/cli.rec")"
fi
if "$SIGNET" keygen -a ed25519 -d example.org -s cli -o "$T/cli.pem" >/dev/null 2>&1; then
	fail "signet keygen: never overwrites a key"
else
	ok "signet keygen: never overwrites a key"
fi
"$SIGNET" dnsrecord -c "$T/signetd.conf" >"$T/dnsrec" 2>&1
if grep -q "^rsa._domainkey.example.com. IN TXT" "$T/dnsrec" && grep -q "^ed._domainkey.example.com. IN TXT" "$T/dnsrec"; then
	ok "signet dnsrecord: a record for every KeyTable key"
else
	fail "signet dnsrecord: a record for every KeyTable key" "$(cat "$T/dnsrec")"
fi

# --- IPv6 socket, and dropping privileges after the keys are read ------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	PPORT=$(sg_free_port)
	sg_write_signetd_conf "$T/priv.conf" "$PPORT" relaxed/relaxed 'user = "nobody";'
	sed -i "s|^socket = .*|socket = \"inet6:$PPORT@::1\";|" "$T/priv.conf"
	"$SIGNETD" -f -c "$T/priv.conf" 2>"$T/priv.log" &
	PPID_=$!
	sg_track "$PPID_"
	for _ in $(seq 100); do ss -Htln "( sport = :$PPORT )" 2>/dev/null | grep -q . && break; sleep 0.1; done
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$PPID_/status" 2>/dev/null)
	if [ "$uid" = "$(id -u nobody)" ]; then
		ok "user = nobody: runs as nobody after start"
	else
		fail "user = nobody: runs as nobody after start" "uid=$uid $(cat "$T/priv.log")"
	fi
	if "$MILTC" -s "inet6:$PPORT@::1" -c ::1 -o "$T/msgs/priv.out" "$T/msgs/plain.eml" 2>/dev/null; then
		verifies "inet6 socket, as nobody: keys read as root still sign" "$T/msgs/priv.out"
	else
		fail "inet6 socket, as nobody: keys read as root still sign" "$(cat "$T/priv.log")"
	fi
	sg_stop "$PPID_"
fi

# --- the default configuration's first start (what `make run` does) ----------------------
mkdir -p "$T/repo"
cp -r "$SG_ROOT/etc" "$T/repo/etc"
RPORT=$(sg_free_port)
sed -i "s|^socket = .*|socket = \"inet:$RPORT@127.0.0.1\";|" "$T/repo/etc/signetd.conf"
"$SIGNETD" -f -c "$T/repo/etc/signetd.conf" 2>"$T/run.log" &
RPID=$!
sg_track "$RPID"
if sg_wait_port "$RPORT" 20 "$RPID"; then
	ok "default configuration starts"
	if [ "$(stat -c %a "$T/repo/state/keys/example.com.rsa2026.pem" 2>/dev/null)" = 600 ] &&
		[ "$(stat -c %a "$T/repo/state/keys/example.com.ed25519.pem" 2>/dev/null)" = 600 ]; then
		ok "first start creates development keys (mode 600)"
	else
		fail "first start creates development keys (mode 600)" "$(ls -la "$T/repo/state/keys" 2>&1)"
	fi
	if grep -q 'rsa2026._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p=' "$T/run.log" &&
		grep -q 'ed2026._domainkey.example.com. IN TXT ( "v=DKIM1; k=ed25519; p=' "$T/run.log"; then
		ok "first start prints both DNS records"
	else
		fail "first start prints both DNS records" "$(head -20 "$T/run.log")"
	fi
	"$MILTC" -s "inet:$RPORT@127.0.0.1" -c 127.0.0.1 -o "$T/msgs/run.out" "$T/msgs/plain.eml" 2>/dev/null
	if [ "$(grep -c '^DKIM-Signature:' "$T/msgs/run.out")" = 2 ]; then
		ok "default configuration dual-signs example.com"
	else
		fail "default configuration dual-signs example.com"
	fi
else
	fail "default configuration starts" "$(cat "$T/run.log")"
fi
sg_stop "$RPID"

# Under SANITIZE=1 every signetd above ran with ASan+UBSan: no report anywhere.
if grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$SIGNETD_LOG" "$T"/*.log >/dev/null 2>&1; then
	fail "no sanitizer report in any signetd log" "$(grep -h -A5 "Sanitizer\|runtime error:" "$SIGNETD_LOG" "$T"/*.log | head -20)"
else
	ok "no sanitizer report in any signetd log"
fi

sg_summary integration
