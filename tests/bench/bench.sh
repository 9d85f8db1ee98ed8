#!/bin/bash
# tests/bench/bench.sh -- `make bench`: signetd against OpenDKIM, signing
# and inbound verification, and against OpenDKIM + OpenDMARC for the full
# inbound path (SPF, DKIM, DMARC).
#
# Part "sign" -- for each key {rsa-2048, ed25519}: start signetd and OpenDKIM on loopback
# ports with equivalent configs (relaxed/relaxed, one key for *@example.com),
# check that a message signed by each verifies (dkimpy), then for each
# message size {2 KB, 100 KB} and concurrency {8, 64} run build/loadgen
# against each filter for BENCH_SECONDS (after a short warm-up). Prints a
# markdown table, the signet/OpenDKIM ratios against the targets
# (throughput >= 3x, CPU <= 0.25x, max latency < 1 s), `openssl speed` for
# the raw signing cost, and a memory check: a fresh filter, one message
# with a 100 MB body through build/miltc, VmHWM growth (target: a few
# hundred KB for signetd).
#
# Part "verify" -- messages signed once with build/signet sign (RSA-2048,
# Ed25519, and both: "dual"), the public keys in a YAML zone served on
# loopback by tests/bench/dnscount.py (tests/lib/dnsserver.py counting its
# queries; one server per filter, so each filter's queries are its own).
# signetd (dns.servers) and OpenDKIM in Mode v (Nameservers ADDR@PORT) get
# the same messages from an external client address (192.0.2.1), for each
# size and concurrency, for BENCH_VERIFY_SECONDS. Correctness is checked,
# timing is not: before the runs one message must come back with dkim=pass
# for each signature (tests/interop/ar_check.py) and a tampered copy with
# no pass; during the runs loadgen counts every message whose added
# Authentication-Results lacks a dkim=pass per signature ("not pass").
# A row with errors, "not pass" messages or a failed check is invalid.
# Prints a second table (same columns, targets throughput >= 3x and CPU
# <= 0.25x of OpenDKIM's) with the DNS queries each filter made per run.
#
# Part "inbound" -- issue 4's full inbound path: RSA-2048-signed messages
# (d=example.com, which publishes SPF "v=spf1 ip4:192.0.2.0/24 -all" and
# DMARC "v=DMARC1; p=reject") from client 192.0.2.1, HELO mail.example.com,
# MAIL FROM alice@example.com: spf, dkim and dmarc all pass. signetd with
# the spf and dmarc groups enabled (history "" and, as a second row, a
# SQLite file) against OpenDKIM (Mode v) and OpenDMARC chained as Postfix
# runs two milters: loadgen sends each message to OpenDKIM, then with
# OpenDKIM's Authentication-Results on top to OpenDMARC (SPFSelfValidate +
# SPFIgnoreResults: OpenDMARC checks SPF itself; with and without
# HistoryFile, paired with signetd's two rows). OpenDMARC resolves through
# libresolv (resolv.conf, port 53): it runs in a private mount namespace
# (unshare --mount) with a resolv.conf naming our server on 127.0.83.N:53
# bind-mounted over /etc/resolv.conf. Before the runs, one message through
# each path must show spf, dkim and dmarc pass (tests/bench/ar_inbound.py)
# and an unsigned copy from 198.51.100.7 must be rejected; during the runs
# loadgen checks every message (-E spf=pass -E dkim=pass -E dmarc=pass).
# CPU per message of the chain = OpenDKIM's + OpenDMARC's. Rows also show
# the DNS queries and the loopback DNS servers' own CPU per message.
#
# All parts: the null libmilter filter (tests/bench/nullmilter.c) as the
# floor, and `openssl speed` for the raw signing/verification cost.
#
# The load generator runs on the same 2 cores as the filter: its own CPU
# per message is shown too, and the load average before the run (other
# work on the machine skews every number).
#
# Environment: SIGNET_BUILD (build dir, default build), BENCH_PARTS (default
# "sign,verify,inbound"; comma- or space-separated), BENCH_SECONDS (per run,
# default 8), BENCH_VERIFY_SECONDS (per verify run, default BENCH_SECONDS),
# BENCH_INBOUND_SECONDS (per inbound run, default BENCH_VERIFY_SECONDS),
# BENCH_INBOUND_HISTORY (default "off on": the inbound rows without and
# with the aggregate history), OPENDKIM, OPENDMARC (the binaries),
# BENCH_VKEYS (default "rsa ed25519 dual"), BENCH_CONNS (default "8 64"), BENCH_KEYS (default
# "rsa ed25519"), BENCH_SIZES (default "2 100", KB), BENCH_BIG_MB (memory
# check body size, default 100; 0 skips it), BENCH_OUT (also write the
# report there), BENCH_STRICT=1 (exit 1 when a target is not met).
# Exit 1 if a filter fails to start, a signature does not verify, a run
# has errors, or a verify or inbound row is invalid.
set -u

BUILD=$(cd "${SIGNET_BUILD:-build}" && pwd) || exit 1
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNS:-"8 64"}
KEYS=${BENCH_KEYS:-"rsa ed25519"}
SIZES=${BENCH_SIZES:-"2 100"}
BIG_MB=${BENCH_BIG_MB:-100}
PARTS=" $(echo "${BENCH_PARTS:-sign,verify,inbound}" | tr ',' ' ') "
VKEYS=${BENCH_VKEYS:-"rsa ed25519 dual"}
VSECONDS=${BENCH_VERIFY_SECONDS:-$SECONDS_PER_RUN}
ISECONDS=${BENCH_INBOUND_SECONDS:-$VSECONDS}
IHISTORY=${BENCH_INBOUND_HISTORY:-"off on"}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
OPENDMARC=${OPENDMARC:-/usr/sbin/opendmarc}
LOADGEN=$BUILD/loadgen
MILTC=$BUILD/miltc
SIGNETD=$BUILD/signetd
SIGNET=$BUILD/signet
DNSCOUNT=$HERE/dnscount.py
ARCHECK=$HERE/../interop/ar_check.py
for part in $PARTS; do
	case $part in sign|verify|inbound) ;; *) echo "bench: unknown part '$part' in BENCH_PARTS (sign, verify, inbound)" >&2; exit 1 ;; esac
done
for h in $IHISTORY; do
	case $h in on|off) ;; *) echo "bench: BENCH_INBOUND_HISTORY takes on and/or off, not '$h'" >&2; exit 1 ;; esac
done
want() { case $PARTS in *" $1 "*) return 0 ;; esac; return 1; }

W=$(mktemp -d) || exit 1
PIDS=""
FAILED=0
REPORT=$W/report.md

say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
note() { printf '%s\n' "$*" >&2; }

# Stop one process we started: TERM, wait up to 10 s, then KILL.
stop_pid() {
	local p=$1 i
	kill "$p" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	PIDS=$(printf '%s\n' $PIDS | grep -vx "$p" | tr '\n' ' ')
	return 0
}

cleanup() {
	local p
	for p in $PIDS; do
		stop_pid "$p"
	done
	if [ -n "${BENCH_OUT:-}" ] && [ -f "$REPORT" ]; then
		cp "$REPORT" "$BENCH_OUT"
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_filter NAME PORT CMD...: run CMD in the background, wait until it
# accepts on PORT; sets FILTER_PID. Fails if it dies or never listens.
start_filter() {
	local name=$1 port=$2 i pid
	shift 2
	"$@" >"$W/$name.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	FILTER_PID=$pid
	for i in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			note "bench: $name exited at startup:"
			sed 's/^/  /' "$W/$name.log" >&2
			return 1
		fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	note "bench: $name does not listen on port $port"
	return 1
}

# The value of KEY in a loadgen result line.
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

for t in "$LOADGEN" "$MILTC"; do
	[ -x "$t" ] || { note "bench: $t missing (make all)"; exit 1; }
done
HAVE_SIGNETD=1
[ -x "$SIGNETD" ] || { HAVE_SIGNETD=0; note "bench: $SIGNETD missing; OpenDKIM only"; }
HAVE_OPENDKIM=1
[ -x "$OPENDKIM" ] || { HAVE_OPENDKIM=0; note "bench: $OPENDKIM missing; signetd only"; }
# OpenDMARC (inbound part) runs in a mount namespace of its own, with a
# DNS server on port 53: that needs root and unshare.
HAVE_OPENDMARC=0
if want inbound; then
	if [ ! -x "$OPENDMARC" ]; then
		note "bench: $OPENDMARC missing (make deps); inbound part: signetd only"
	elif [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
		note "bench: the OpenDMARC rows need root and unshare (a private resolv.conf); inbound part: signetd only"
	else
		HAVE_OPENDMARC=1
	fi
fi

# ---- keys, messages, configs ----

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rsa.pem" 2>/dev/null &&
openssl genpkey -algorithm ed25519 -out "$W/ed25519.pem" 2>/dev/null || { note "bench: openssl genpkey failed"; exit 1; }
chmod 600 "$W/rsa.pem" "$W/ed25519.pem"
openssl pkey -in "$W/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0 >"$W/rsa.pub"
openssl pkey -in "$W/ed25519.pem" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0 >"$W/ed25519.pub"

# make_msg KB FILE: headers as a typical MUA writes them, a text body
# (some lines with trailing blanks, for relaxed canonicalization).
make_msg() {
	$PY - "$1" "$2" <<'EOF'
import random, sys
kb, path = int(sys.argv[1]), sys.argv[2]
random.seed(kb)
hdr = ("Received: from client.example.com (client.example.com [192.0.2.10])\r\n"
       "\tby mta.example.com (Postfix) with ESMTPSA id 4ABCDEF123\r\n"
       "\tfor <bob@example.org>; Mon, 1 Jan 2024 00:00:00 +0000 (UTC)\r\n"
       "From: Alice Example <alice@example.com>\r\n"
       "To: Bob <bob@example.org>,\r\n\tCarol <carol@example.org>\r\n"
       "Subject: quarterly figures, draft for review before the meeting\r\n"
       "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
       "Message-ID: <bench-%d@example.com>\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\n" % kb)
words = ("the of and to in is was for on that with as by at from this be are "
         "report figures quarter revenue margin forecast review meeting").split()
out, n = [], len(hdr)
while n < kb * 1024:
    line = " ".join(random.choice(words) for _ in range(random.randint(0, 12)))
    if random.random() < 0.05:
        line += "  \t"
    out.append(line)
    n += len(line) + 2
open(path, "w", newline="").write(hdr + "\r\n".join(out) + "\r\n")
EOF
}
SMALL=$(echo $SIZES | cut -d' ' -f1)
for kb in $SIZES; do
	make_msg "$kb" "$W/msg$kb.eml" || { note "bench: cannot build the test message"; exit 1; }
done

# write_configs KEY SIGNET_PORT OPENDKIM_PORT
write_configs() {
	local k=$1 sp=$2 op=$3
	echo "bench example.com:$k:$W/$k.pem" >"$W/KeyTable.$k"
	echo "*@example.com bench" >"$W/SigningTable.$k"
	cat >"$W/signetd.$k.conf" <<EOF
socket = "inet:$sp@127.0.0.1";
authserv_id = "bench.example";
internal_hosts = [ "127.0.0.0/8", "::1/128" ];
log = { level = "warning"; };
dkim = {
	key_table = "$W/KeyTable.$k";
	signing_table = "$W/SigningTable.$k";
	canonicalization = "relaxed/relaxed";
	oversign_headers = [ "From" ];
};
EOF
	# OpenDKIM 2.11: ed25519 keys need SignatureAlgorithm ed25519-sha256
	# (one algorithm per instance). RequireSafeKeys would refuse keys
	# under /tmp (world-writable parent); OversignHeaders matches signetd.
	cat >"$W/opendkim.$k.conf" <<EOF
Mode			s
Socket			inet:$op@127.0.0.1
KeyTable		refile:$W/KeyTable.$k
SigningTable		refile:$W/SigningTable.$k
Canonicalization	relaxed/relaxed
InternalHosts		127.0.0.1
OversignHeaders		From
SignatureAlgorithm	$([ "$k" = rsa ] && echo rsa-sha256 || echo ed25519-sha256)
RequireSafeKeys		false
Syslog			no
PidFile			$W/opendkim.$k.pid
EOF
}

# verify_sig FILTER KEY SOCKET: sign one message, verify with dkimpy.
verify_sig() {
	local f=$1 k=$2 sock=$3
	if ! "$MILTC" -s "$sock" -o "$W/signed.$f.$k.eml" "$W/msg$SMALL.eml" 2>"$W/miltc.err"; then
		note "bench: $f/$k: $(cat "$W/miltc.err")"
		return 1
	fi
	if ! $PY -c 'import dkim' 2>/dev/null; then
		echo "skipped (no dkimpy)"
		return 0
	fi
	if [ "$k" = ed25519 ] && ! $PY -c 'import nacl.signing' 2>/dev/null; then
		echo "skipped (no python3-nacl)"
		return 0
	fi
	$PY - "$W/signed.$f.$k.eml" "$(cat "$W/$k.pub")" "$k" <<'EOF'
import sys, dkim
msg, pub, k = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3]
rec = ("v=DKIM1; k=%s; p=%s" % (k, pub)).encode()
ok = dkim.verify(msg, dnsfunc=lambda name, timeout=5: rec)
print("pass" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF
}

# ---- header of the report ----

: >"$REPORT"
TITLE=$(for p in $PARTS; do case $p in sign) echo signing ;; verify) echo verification ;; inbound) echo "inbound SPF+DKIM+DMARC" ;; esac; done | paste -sd, - | sed 's/,/, /g')
say "# signet benchmark: signetd vs OpenDKIM$(want inbound && echo ' and OpenDMARC') ($TITLE)"
say ""
say "- $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
say "- $($OPENDKIM -V 2>/dev/null | head -1 || echo 'opendkim: not installed')$(want inbound && echo ", $($OPENDMARC -V 2>/dev/null | head -1 | sed 's/^opendmarc: //' || echo 'opendmarc: not installed')"), $(openssl version)"
say "- each run: ${SECONDS_PER_RUN} s (verification: ${VSECONDS} s$(want inbound && echo ", inbound: ${ISECONDS} s")) after a 100-message warm-up; one new milter connection per message (per filter of a chain);"
say "  latency = connect to final verdict; CPU = filter utime+stime per message (/proc; a chain: both filters); client = loadgen's own CPU"
say ""

RESULTS=$W/results	# filter key size conns rate p50 p99 max cpu errors unsigned rss client
: >"$RESULTS"

run_one() {	# FILTER KEY KB CONNS SOCKET PID
	local f=$1 k=$2 kb=$3 c=$4 sock=$5 pid=$6 line
	"$LOADGEN" -s "$sock" -m "$W/msg$kb.eml" -c "$c" -n 100 -p "$pid" -i 127.0.0.1 \
		>/dev/null 2>&1
	line=$("$LOADGEN" -s "$sock" -m "$W/msg$kb.eml" -c "$c" -n 10000000 \
		-t "$SECONDS_PER_RUN" -p "$pid" -i 127.0.0.1 2>"$W/loadgen.err" | head -1)
	if [ -z "$line" ]; then
		note "bench: loadgen failed for $f $k ${kb}KB c=$c: $(cat "$W/loadgen.err")"
		FAILED=1
		return
	fi
	if [ "$(field errors "$line")" != 0 ] || [ "$(field unsigned "$line")" != 0 ]; then
		note "bench: $f $k ${kb}KB c=$c: $(field errors "$line") errors, $(field unsigned "$line") unsigned; $(cat "$W/loadgen.err")"
		FAILED=1
	fi
	echo "$f $k $kb $c $(field rate "$line") $(field p50_ms "$line") $(field p99_ms "$line")" \
	     "$(field max_ms "$line") $(field cpu_us_per_msg "$line") $(field errors "$line")" \
	     "$(field unsigned "$line") $(field rss_kb "$line") $(field client_cpu_us_per_msg "$line")" >>"$RESULTS"
	note "  $f $k ${kb}KB c=$c: $line"
}

CHECKS=$W/checks
: >"$CHECKS"
want sign && for k in $KEYS; do
	sp=$(free_port); op=$(free_port)
	write_configs "$k" "$sp" "$op"
	spid=""; opid=""
	if [ $HAVE_SIGNETD = 1 ]; then
		if start_filter "signetd.$k" "$sp" "$SIGNETD" -f -c "$W/signetd.$k.conf"; then
			spid=$FILTER_PID
			r=$(verify_sig signetd "$k" "inet:$sp@127.0.0.1") || FAILED=1
			echo "signetd $k ${r:-FAIL}" >>"$CHECKS"
		else
			FAILED=1; spid=""; stop_pid "$FILTER_PID"
			echo "signetd $k did-not-start" >>"$CHECKS"
		fi
	fi
	if [ $HAVE_OPENDKIM = 1 ]; then
		if start_filter "opendkim.$k" "$op" "$OPENDKIM" -f -x "$W/opendkim.$k.conf"; then
			opid=$FILTER_PID
			r=$(verify_sig opendkim "$k" "inet:$op@127.0.0.1") || FAILED=1
			echo "opendkim $k ${r:-FAIL}" >>"$CHECKS"
		else
			FAILED=1; opid=""; stop_pid "$FILTER_PID"
			echo "opendkim $k did-not-start" >>"$CHECKS"
		fi
	fi
	for kb in $SIZES; do
		for c in $CONNS; do
			[ -n "$spid" ] && run_one signetd "$k" "$kb" "$c" "inet:$sp@127.0.0.1" "$spid"
			[ -n "$opid" ] && run_one opendkim "$k" "$kb" "$c" "inet:$op@127.0.0.1" "$opid"
		done
	done
	[ -n "$spid" ] && stop_pid "$spid"
	[ -n "$opid" ] && stop_pid "$opid"
done

# The floor: a libmilter filter that does nothing but insert a constant
# field, negotiating as signetd does (tests/bench/nullmilter.c).
NULLMILTER=$BUILD/nullmilter
if [ -x "$NULLMILTER" ]; then
	np=$(free_port)
	if start_filter "nullmilter" "$np" "$NULLMILTER" "inet:$np@127.0.0.1"; then
		npid=$FILTER_PID
		for kb in $SIZES; do
			for c in $CONNS; do
				run_one null-libmilter - "$kb" "$c" "inet:$np@127.0.0.1" "$npid"
			done
		done
		stop_pid "$npid"
	else
		stop_pid "$FILTER_PID"
	fi
fi

# ---- verification: pre-signed messages, keys in a loopback DNS zone ----

VRESULTS=$W/vresults	# filter key size conns rate p50 p99 max cpu errors notpass rss client dnsq valid
: >"$VRESULTS"
VCHECKS=$W/vchecks
: >"$VCHECKS"
VAUTHSERV_S=signetd.bench.example
VAUTHSERV_O=opendkim.bench.example
VCLIENT=192.0.2.1	# not in internal_hosts, not authenticated: inbound

nsigs() { [ "$1" = dual ] && echo 2 || echo 1; }

# Keys of the verify messages: the signing part's keys, selectors "rsa" and
# "ed25519" under example.com; "dual" is signed with both.
verify_setup() {
	local t kb
	$PY - "$W/zone.yml" "$(cat "$W/rsa.pub")" "$(cat "$W/ed25519.pub")" <<'PYEOF' || return 1
import sys
path, rsa, ed = sys.argv[1:4]
with open(path, "w") as f:
    f.write('rsa._domainkey.example.com:\n  - TXT: "v=DKIM1; k=rsa; p=%s"\n' % rsa)
    f.write('ed25519._domainkey.example.com:\n  - TXT: "v=DKIM1; k=ed25519; p=%s"\n' % ed)
PYEOF
	printf 'vrsa example.com:rsa:%s\nved25519 example.com:ed25519:%s\n' \
		"$W/rsa.pem" "$W/ed25519.pem" >"$W/KeyTable.v"
	for t in $VKEYS; do
		case $t in
		rsa|ed25519) echo "*@example.com v$t" >"$W/SigningTable.v.$t" ;;
		dual) printf '*@example.com vrsa\n*@example.com ved25519\n' >"$W/SigningTable.v.$t" ;;
		*) note "bench: unknown BENCH_VKEYS entry '$t' (rsa, ed25519, dual)"; return 1 ;;
		esac
		cat >"$W/sign.v.$t.conf" <<EOC
socket = "inet:8891@127.0.0.1";
dkim = {
	key_table = "$W/KeyTable.v";
	signing_table = "$W/SigningTable.v.$t";
	canonicalization = "relaxed/relaxed";
	oversign_headers = [ "From" ];
};
EOC
		for kb in $SIZES; do
			if ! "$SIGNET" sign -c "$W/sign.v.$t.conf" "$W/msg$kb.eml" \
				>"$W/vmsg.$t.$kb.eml" 2>"$W/sign.err"; then
				note "bench: signet sign ($t, ${kb} KB): $(cat "$W/sign.err")"
				return 1
			fi
		done
		# A tampered copy: one more body line breaks every signature.
		{ cat "$W/vmsg.$t.$SMALL.eml"; printf 'one line added in transit\r\n'; } \
			>"$W/vmsg.$t.tampered.eml"
	done
}

# start_dns NAME [LISTEN [ZONE [OPTION...]]]: a counting DNS server for
# ZONE (default the verify zone) on LISTEN (default 127.0.0.1:0, a free
# port), with the query log $W/NAME.qlog; sets DNS_PID, DNS_PORT and
# DNS_COUNT (its count file).
start_dns() {
	local name=$1 listen=${2:-127.0.0.1:0} zone=${3:-$W/zone.yml} i
	shift; shift; shift
	rm -f "$W/$name.port"
	$PY "$DNSCOUNT" --zone "$zone" --listen "$listen" "$@" --query-log "$W/$name.qlog" \
		--port-file "$W/$name.port" --count-file "$W/$name.count" >"$W/$name.log" 2>&1 &
	DNS_PID=$!
	PIDS="$PIDS $DNS_PID"
	DNS_COUNT=$W/$name.count
	for i in $(seq 150); do
		[ -s "$W/$name.port" ] && break
		kill -0 "$DNS_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$W/$name.port" ]; then
		note "bench: DNS server $name did not start: $(cat "$W/$name.log")"
		stop_pid "$DNS_PID"
		return 1
	fi
	DNS_PORT=$(head -1 "$W/$name.port")
}

# dns_queries PID COUNTFILE: queries that server answered so far, or "na".
dns_queries() {
	local pid=$1 f=$2 i
	rm -f "$f"
	kill -USR1 "$pid" 2>/dev/null || { echo na; return; }
	for i in $(seq 50); do
		[ -s "$f" ] && break
		sleep 0.1
	done
	if [ -s "$f" ]; then head -1 "$f"; else echo na; fi
}

# write_vconfigs KEY SIGNET_PORT SIGNET_DNS_PORT OPENDKIM_PORT OPENDKIM_DNS_PORT
write_vconfigs() {
	local t=$1 sp=$2 sdp=$3 op=$4 odp=$5
	cat >"$W/signetd.v.$t.conf" <<EOC
socket = "inet:$sp@127.0.0.1";
authserv_id = "$VAUTHSERV_S";
internal_hosts = [ "127.0.0.0/8", "::1/128" ];
log = { level = "warning"; };
dns = { servers = [ "127.0.0.1:$sdp" ]; timeout_ms = 3000; };
# DKIM verification alone, the job OpenDKIM's Mode v does; SPF and DMARC
# are measured in the inbound part, against OpenDKIM + OpenDMARC.
spf = { enabled = false; };
dmarc = { enabled = false; };
dkim = {
	key_table = "$W/KeyTable.v";
	signing_table = "$W/SigningTable.v.$t";
};
EOC
	# OpenDKIM (libunbound) reaches the loopback server through
	# Nameservers ADDR@PORT (unbound's form, given to ub_ctx_set_fwd).
	# Not ResolverConfiguration (an unbound.conf, as the interop suite
	# uses): OpenDKIM 2.11 re-reads that file for every message, and
	# libunbound's configuration parser is not thread-safe -- from 4
	# concurrent connections on, messages are tempfailed ("read ...
	# failed: 1 errors in configuration file") until OpenDKIM dies with
	# "fatal flex scanner internal error--end of buffer missed".
	cat >"$W/opendkim.v.$t.conf" <<EOC
Mode			v
Socket			inet:$op@127.0.0.1
AuthservID		$VAUTHSERV_O
AlwaysAddARHeader	yes
SoftwareHeader		no
Syslog			no
AutoRestart		no
DNSTimeout		5
Nameservers		127.0.0.1@$odp
PidFile			$W/opendkim.v.$t.pid
EOC
}

# verify_check FILTER KEY SOCKET AUTHSERV: one message must pass (a
# dkim=pass for each signature), its tampered copy must not. Prints a
# one-line verdict; returns 1 if either is wrong.
verify_check() {
	local f=$1 t=$2 sock=$3 id=$4 out r1 r2 rc=0
	out=$W/vchecked.$f.$t.eml
	if ! "$MILTC" -s "$sock" -c "$VCLIENT" -o "$out" "$W/vmsg.$t.$SMALL.eml" 2>"$W/miltc.err"; then
		echo "FAIL (miltc: $(tr '\n' ' ' <"$W/miltc.err"))"
		return 1
	fi
	r1=$($PY "$ARCHECK" --authserv-id "$id" --label "$f" --expect-sigs "$(nsigs "$t")" "$out" 2>&1) || rc=1
	if ! "$MILTC" -s "$sock" -c "$VCLIENT" -o "$out.tampered" "$W/vmsg.$t.tampered.eml" 2>"$W/miltc.err"; then
		echo "FAIL (miltc, tampered copy: $(tr '\n' ' ' <"$W/miltc.err"))"
		return 1
	fi
	r2=$($PY "$ARCHECK" --authserv-id "$id" --label "$f" --expect-fail "$out.tampered" 2>&1) || rc=1
	if [ $rc = 0 ]; then
		echo "pass ($(printf '%s\n' "$r1" | sed 's/^[^:]*: //' | paste -sd ';' - | sed 's/;/; /g')); tampered copy: no pass"
	else
		echo "FAIL -- signed: $(printf '%s' "$r1" | sed "s|$W/||g" | tr '\n' ' ') -- tampered copy: $(printf '%s' "$r2" | sed "s|$W/||g" | tr '\n' ' ')"
		note "bench: $f $t, what came back: $(sed -n '1,/^\r*$/p' "$out" | grep -i -A4 '^Authentication-Results' | tr -d '\r' | tr '\n' ' ' | cut -c1-600)"
		[ -s "$out" ] && grep -qi '^Authentication-Results' "$out" || note "bench: $f $t: no Authentication-Results added"
	fi
	return $rc
}

# vrun_one FILTER KEY KB CONNS SOCKET PID DNS_PID DNS_COUNT CHECK_OK
vrun_one() {
	local f=$1 t=$2 kb=$3 c=$4 sock=$5 pid=$6 dpid=$7 dcount=$8 ok=$9 line q0 q1 q valid
	local args=(-s "$sock" -m "$W/vmsg.$t.$kb.eml" -c "$c" -p "$pid" -i "$VCLIENT"
		-e Authentication-Results -E dkim=pass -N "$(nsigs "$t")")
	q0=$(dns_queries "$dpid" "$dcount")
	"$LOADGEN" "${args[@]}" -n 100 >/dev/null 2>&1
	line=$("$LOADGEN" "${args[@]}" -n 10000000 -t "$VSECONDS" 2>"$W/loadgen.err" | head -1)
	q1=$(dns_queries "$dpid" "$dcount")
	case "$q0$q1" in *na*) q=na ;; *) q=$((q1 - q0)) ;; esac
	if [ -z "$line" ]; then
		note "bench: loadgen failed for $f verify $t ${kb}KB c=$c: $(cat "$W/loadgen.err")"
		FAILED=1
		return
	fi
	valid=yes
	if [ "$(field errors "$line")" != 0 ] || [ "$(field unsigned "$line")" != 0 ]; then
		note "bench: $f verify $t ${kb}KB c=$c: $(field errors "$line") errors, $(field unsigned "$line") without dkim=pass; $(cat "$W/loadgen.err")"
		valid=NO
	fi
	[ "$ok" = 1 ] || valid=NO
	[ $valid = yes ] || FAILED=1
	echo "$f $t $kb $c $(field rate "$line") $(field p50_ms "$line") $(field p99_ms "$line")" \
	     "$(field max_ms "$line") $(field cpu_us_per_msg "$line") $(field errors "$line")" \
	     "$(field unsigned "$line") $(field rss_kb "$line") $(field client_cpu_us_per_msg "$line")" \
	     "$q $valid" >>"$VRESULTS"
	note "  $f verify $t ${kb}KB c=$c: $line dns_queries=$q"
}

# log_note NAME FILE: what a filter logged during the runs, for the report.
log_note() {
	local n
	n=$(grep -c . "$2" 2>/dev/null)
	[ "${n:-0}" -gt 0 ] || return 0
	echo "$1 logged $n lines, first: \`$(grep -m1 . "$2" | cut -c1-200)\`" >>"$VCHECKS"
}

if want verify; then
	if [ ! -x "$SIGNET" ]; then
		note "bench: $SIGNET missing (make all): verification part skipped"
		echo "verification part skipped: $SIGNET missing" >>"$VCHECKS"
		FAILED=1
	elif ! verify_setup; then
		echo "verification part skipped: could not sign the messages" >>"$VCHECKS"
		FAILED=1
	else
		for t in $VKEYS; do
			spid=""; opid=""; sok=0; ook=0
			sdns=""; odns=""
			if [ $HAVE_SIGNETD = 1 ]; then
				if start_dns "dns.signetd.$t"; then
					sdns=$DNS_PID; sdcount=$DNS_COUNT; sdport=$DNS_PORT
				else
					echo "signetd $t: not run, its DNS server did not start" >>"$VCHECKS"
					FAILED=1
				fi
			fi
			if [ $HAVE_OPENDKIM = 1 ]; then
				if start_dns "dns.opendkim.$t"; then
					odns=$DNS_PID; odcount=$DNS_COUNT; odport=$DNS_PORT
				else
					echo "opendkim $t: not run, its DNS server did not start" >>"$VCHECKS"
					FAILED=1
				fi
			fi
			sp=$(free_port); op=$(free_port)
			write_vconfigs "$t" "$sp" "${sdport:-53}" "$op" "${odport:-53}"
			if [ -n "$sdns" ]; then
				if start_filter "signetd.v.$t" "$sp" "$SIGNETD" -f -c "$W/signetd.v.$t.conf"; then
					spid=$FILTER_PID
					r=$(verify_check signetd "$t" "inet:$sp@127.0.0.1" "$VAUTHSERV_S") && sok=1
					echo "signetd $t: $r" >>"$VCHECKS"
				else
					stop_pid "$FILTER_PID"
					echo "signetd $t: did not start ($(head -3 "$W/signetd.v.$t.log" | tr '\n' ' '))" >>"$VCHECKS"
				fi
				[ $sok = 1 ] || FAILED=1
			fi
			if [ -n "$odns" ]; then
				if start_filter "opendkim.v.$t" "$op" "$OPENDKIM" -f -x "$W/opendkim.v.$t.conf"; then
					opid=$FILTER_PID
					r=$(verify_check opendkim "$t" "inet:$op@127.0.0.1" "$VAUTHSERV_O") && ook=1
					echo "opendkim $t: $r" >>"$VCHECKS"
				else
					stop_pid "$FILTER_PID"
					echo "opendkim $t: did not start ($(head -3 "$W/opendkim.v.$t.log" | tr '\n' ' '))" >>"$VCHECKS"
				fi
				[ $ook = 1 ] || FAILED=1
			fi
			for kb in $SIZES; do
				for c in $CONNS; do
					[ -n "$spid" ] && vrun_one signetd "$t" "$kb" "$c" "inet:$sp@127.0.0.1" "$spid" "$sdns" "$sdcount" $sok
					[ -n "$opid" ] && vrun_one opendkim "$t" "$kb" "$c" "inet:$op@127.0.0.1" "$opid" "$odns" "$odcount" $ook
				done
			done
			if [ -n "$spid" ]; then
				stop_pid "$spid"
				echo "signetd $t: $(dns_queries "$sdns" "$sdcount") DNS queries in all (checks, warm-ups, runs)" >>"$VCHECKS"
				log_note "signetd $t" "$W/signetd.v.$t.log"
			fi
			if [ -n "$opid" ]; then
				stop_pid "$opid"
				echo "opendkim $t: $(dns_queries "$odns" "$odcount") DNS queries in all (checks, warm-ups, runs)" >>"$VCHECKS"
				log_note "opendkim $t" "$W/opendkim.v.$t.log"
			fi
			[ -n "$sdns" ] && stop_pid "$sdns"
			[ -n "$odns" ] && stop_pid "$odns"
			unset sdport odport
		done
	fi
fi

# ---- inbound: SPF + DKIM + DMARC, signetd against OpenDKIM -> OpenDMARC ----

IRESULTS=$W/iresults	# row size conns rate p50 p99 max cpu errors notpass rss client dnsq dnscpu each valid
: >"$IRESULTS"
ICHECKS=$W/ichecks
: >"$ICHECKS"
IAUTHSERV_S=signetd.bench.example
IAUTHSERV_K=opendkim.bench.example
IAUTHSERV_M=opendmarc.bench.example
ICLIENT=192.0.2.1		# inside example.com's SPF record: spf=pass
IHELO=mail.example.com
IMAILFROM=alice@example.com
ISPOOF_IP=198.51.100.7		# outside it: spf=fail
ISPOOF_HELO=mail.attacker.test
# What every message of a run must show (loadgen -E): signetd writes all
# three into its one field; OpenDKIM writes dkim=, OpenDMARC spf= and dmarc=.
IEXPECT=(-e Authentication-Results -E spf=pass -E dkim=pass -E dmarc=pass)

# The zone: example.com's key (selector rsa, the signing part's RSA key),
# its SPF record (MAIL FROM) and that of the HELO name, its DMARC policy.
inbound_setup() {
	local kb
	cat >"$W/izone.yml" <<EOZ || return 1
rsa._domainkey.example.com:
  - TXT: "v=DKIM1; k=rsa; p=$(cat "$W/rsa.pub")"
example.com:
  - TXT: "v=spf1 ip4:192.0.2.0/24 -all"
$IHELO:
  - TXT: "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com:
  - TXT: "v=DMARC1; p=reject"
EOZ
	echo "irsa example.com:rsa:$W/rsa.pem" >"$W/KeyTable.i"
	echo "*@example.com irsa" >"$W/SigningTable.i"
	cat >"$W/sign.i.conf" <<EOC
socket = "inet:8891@127.0.0.1";
dkim = {
	key_table = "$W/KeyTable.i";
	signing_table = "$W/SigningTable.i";
	canonicalization = "relaxed/relaxed";
	oversign_headers = [ "From" ];
};
EOC
	for kb in $SIZES; do
		if ! "$SIGNET" sign -c "$W/sign.i.conf" "$W/msg$kb.eml" \
			>"$W/imsg.$kb.eml" 2>"$W/sign.err"; then
			note "bench: signet sign (inbound, ${kb} KB): $(cat "$W/sign.err")"
			return 1
		fi
	done
}

# write_iconfig_signetd NAME PORT DNS_PORT HISTORY
write_iconfig_signetd() {
	cat >"$W/$1.conf" <<EOC
socket = "inet:$2@127.0.0.1";
authserv_id = "$IAUTHSERV_S";
internal_hosts = [ "127.0.0.0/8", "::1/128" ];
log = { level = "warning"; };
dns = { servers = [ "127.0.0.1:$3" ]; timeout_ms = 3000; };
dkim = {
	key_table = "$W/KeyTable.i";
	signing_table = "$W/SigningTable.i";
};
spf = { enabled = true; };
dmarc = {
	enabled = true;
	reject_failures = true;
	history = "$4";
};
EOC
}

# write_iconfig_opendkim PORT DNS_PORT: Mode v, as in the verify part.
write_iconfig_opendkim() {
	cat >"$W/opendkim.i.conf" <<EOC
Mode			v
Socket			inet:$1@127.0.0.1
AuthservID		$IAUTHSERV_K
AlwaysAddARHeader	yes
SoftwareHeader		no
Syslog			no
AutoRestart		no
DNSTimeout		5
Nameservers		127.0.0.1@$2
PidFile			$W/opendkim.i.pid
EOC
}

# write_iconfig_opendmarc NAME PORT HISTORYFILE: reads OpenDKIM's
# Authentication-Results (TrustedAuthservIDs), checks SPF itself and
# ignores any SPF result in the header (SPFSelfValidate, SPFIgnoreResults:
# the same work signetd does), rejects failures; its DNS comes from the
# resolv.conf of its mount namespace (start_opendmarc).
write_iconfig_opendmarc() {
	{
		cat <<EOC
Socket			inet:$2@127.0.0.1
AuthservID		$IAUTHSERV_M
TrustedAuthservIDs	$IAUTHSERV_K
Background		false
Syslog			false
SoftwareHeader		false
PublicSuffixList	/usr/share/publicsuffix/public_suffix_list.dat
RejectFailures		true
SPFSelfValidate		true
SPFIgnoreResults	true
PidFile			$W/$1.pid
EOC
		[ -n "$3" ] && printf 'HistoryFile\t\t%s\n' "$3"
	} >"$W/$1.conf"
}

# start_opendmarc NAME PORT: OpenDMARC 1.4.2 resolves through libresolv
# (resolv.conf, port 53), so it runs in a private mount namespace where
# $W/resolv.conf (our DNS server on 127.0.0.N:53) is bind-mounted over
# /etc/resolv.conf; the machine's file is never touched. unshare and sh
# exec in place: the PID is OpenDMARC's (checked). Sets FILTER_PID.
start_opendmarc() {
	local name=$1 port=$2
	start_filter "$name" "$port" unshare --mount --propagation private \
		sh -c 'mount --bind "$1" /etc/resolv.conf && exec "$2" -f -c "$3"' \
		sh "$W/resolv.conf" "$OPENDMARC" "$W/$name.conf" || return 1
	if [ "$(cat "/proc/$FILTER_PID/comm" 2>/dev/null)" != opendmarc ]; then
		note "bench: $name: PID $FILTER_PID is not OpenDMARC's"
		return 1
	fi
}

# start_dmarc_dns: OpenDMARC's DNS server, on port 53 of the first free
# address of 127.0.83.53-57; writes $W/resolv.conf. Sets IDNS_M.
start_dmarc_dns() {
	local n
	for n in 53 54 55 56 57; do
		if start_dns dns.opendmarc "127.0.83.$n:53" "$W/izone.yml" --fast 2>/dev/null; then
			printf 'nameserver 127.0.83.%s\noptions timeout:2 attempts:2\n' "$n" >"$W/resolv.conf"
			IDNS_M=$DNS_PID
			return 0
		fi
	done
	note "bench: no DNS server for OpenDMARC on 127.0.83.53-57 port 53: $(cat "$W/dns.opendmarc.log")"
	return 1
}

# ar_line FILE: the Authentication-Results fields of a message, one line.
ar_line() {
	sed -n '1,/^\r*$/p' "$1" | tr -d '\r' | awk '
		/^[ \t]/ { if (keep) printf " %s", $0; next }
		{ keep = tolower($0) ~ /^authentication-results:/
		  if (keep) printf "%s%s", (n++ ? " | " : ""), $0 }
		END { print "" }' | tr '\t' ' ' | cut -c1-600
}

# inbound_spoof SOCKET MESSAGE OUT: sends MESSAGE from a client outside the
# SPF record; succeeds iff the filter rejects it with a 5xx.
inbound_spoof() {
	"$MILTC" -s "$1" -c "$ISPOOF_IP" -h "$ISPOOF_HELO" -f "$IMAILFROM" -o "$3" "$2" 2>"$3.err"
	[ $? = 2 ] && grep -q 'verdict: reject 5' "$3.err"
}

# icheck_signetd SOCKET: the signed message gets one A-R with spf, dkim and
# dmarc pass; an unsigned one from outside the SPF record is rejected.
icheck_signetd() {
	local sock=$1 out=$W/ichecked.signetd.eml r
	if ! "$MILTC" -s "$sock" -c "$ICLIENT" -h "$IHELO" -f "$IMAILFROM" -o "$out" \
		"$W/imsg.$SMALL.eml" 2>"$W/miltc.err"; then
		echo "FAIL (miltc: $(tr '\n' ' ' <"$W/miltc.err"))"
		return 1
	fi
	if ! r=$($PY "$HERE/ar_inbound.py" --one-field \
		--want "$IAUTHSERV_S:spf=pass,dkim=pass,dmarc=pass" "$out" 2>&1); then
		echo "FAIL -- $(printf '%s' "$r" | tr '\n' ' ')"
		return 1
	fi
	if ! inbound_spoof "$sock" "$W/msg$SMALL.eml" "$out.spoof"; then
		echo "FAIL -- spoofed message not rejected: $(tr '\n' ' ' <"$out.spoof.err" | cut -c1-300) $(ar_line "$out.spoof")"
		return 1
	fi
	echo "pass ($(printf '%s' "$r" | sed 's/^[^:]*: //')); spoofed copy (unsigned, client $ISPOOF_IP): $(grep -m1 '^verdict' "$out.spoof.err" | sed 's/^verdict: //')"
}

# icheck_chain OPENDKIM_SOCKET OPENDMARC_SOCKET: the same through the chain
# (miltc twice: the first filter's output is the second one's input, its
# Authentication-Results on top); OpenDMARC's DNS answers must come from
# our server (its query log).
icheck_chain() {
	local ks=$1 ms=$2 out=$W/ichecked.chain r qlog=$W/dns.opendmarc.qlog n0
	n0=$(wc -l <"$qlog")
	"$MILTC" -s "$ks" -c "$ICLIENT" -h "$IHELO" -f "$IMAILFROM" -o "$out.1.eml" \
		"$W/imsg.$SMALL.eml" 2>"$W/miltc.err" &&
	"$MILTC" -s "$ms" -c "$ICLIENT" -h "$IHELO" -f "$IMAILFROM" -o "$out.2.eml" \
		"$out.1.eml" 2>>"$W/miltc.err" || {
		echo "FAIL (miltc: $(tr '\n' ' ' <"$W/miltc.err"))"
		return 1
	}
	if ! r=$($PY "$HERE/ar_inbound.py" --want "$IAUTHSERV_K:dkim=pass" \
		--want "$IAUTHSERV_M:spf=pass,dmarc=pass" "$out.2.eml" 2>&1); then
		echo "FAIL -- $(printf '%s' "$r" | tr '\n' ' ')"
		return 1
	fi
	tail -n "+$((n0 + 1))" "$qlog" | sed 's/ [a-z]*$//' | sort -u >"$out.queries"
	if ! grep -q '^_dmarc\.example\.com TXT$' "$out.queries" ||
	   ! grep -q '^example\.com TXT$' "$out.queries"; then
		echo "FAIL -- OpenDMARC's DMARC and SPF queries did not reach our DNS server (it saw: $(paste -sd, "$out.queries"))"
		return 1
	fi
	if ! "$MILTC" -s "$ks" -c "$ISPOOF_IP" -h "$ISPOOF_HELO" -f "$IMAILFROM" \
		-o "$out.spoof.1.eml" "$W/msg$SMALL.eml" 2>"$W/miltc.err"; then
		echo "FAIL -- OpenDKIM did not pass the spoofed message on: $(tr '\n' ' ' <"$W/miltc.err")"
		return 1
	fi
	if ! inbound_spoof "$ms" "$out.spoof.1.eml" "$out.spoof.2.eml"; then
		echo "FAIL -- spoofed message not rejected by OpenDMARC: $(tr '\n' ' ' <"$out.spoof.2.eml.err" | cut -c1-300)"
		return 1
	fi
	echo "pass ($(printf '%s' "$r" | sed 's/$/;/' | tr '\n' ' ' | sed 's/; *$//')); OpenDMARC's queries, seen by our server: $(paste -sd, "$out.queries" | sed 's/,/, /g'); spoofed copy (unsigned, client $ISPOOF_IP): OpenDMARC $(grep -m1 '^verdict' "$out.spoof.2.eml.err" | sed 's/^verdict: //')"
}

# utime+stime of PID in microseconds (0 if gone).
pid_cpu_us() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print int(($12 + $13) * 1000000 / hz) }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# irun_one ROW KB CONNS VALID DNS_PIDS -- LOADGEN_ARGS...: one run of the
# inbound part; DNS_PIDS (comma-separated) are the row's DNS servers,
# whose queries ("A+B" for two servers) and CPU during the warm-up and
# the run are counted.
irun_one() {
	local row=$1 kb=$2 c=$3 ok=$4 line i q1 q=0 qs="" d0=0 d1=0 n valid each
	local -a dp=(${5//,/ }) q0=()
	shift 6
	local args=("$@" -m "$W/imsg.$kb.eml" -c "$c" -i "$ICLIENT" -h "$IHELO" -f "$IMAILFROM" "${IEXPECT[@]}")
	for i in "${!dp[@]}"; do
		d0=$((d0 + $(pid_cpu_us "${dp[i]}")))
		q0[i]=$(dns_queries "${dp[i]}" "$W/$(dns_name "${dp[i]}").count")
	done
	"$LOADGEN" "${args[@]}" -n 100 >/dev/null 2>&1
	line=$("$LOADGEN" "${args[@]}" -n 10000000 -t "$ISECONDS" 2>"$W/loadgen.err" | head -1)
	for i in "${!dp[@]}"; do
		d1=$((d1 + $(pid_cpu_us "${dp[i]}")))
		q1=$(dns_queries "${dp[i]}" "$W/$(dns_name "${dp[i]}").count")
		case "${q0[i]}$q1" in
		*na*) q=na ;;
		*) qs="$qs+$((q1 - q0[i]))" ;;
		esac
	done
	[ "$q" = na ] || q=${qs#+}
	if [ -z "$line" ]; then
		note "bench: loadgen failed for $row inbound ${kb}KB c=$c: $(cat "$W/loadgen.err")"
		FAILED=1
		return
	fi
	valid=yes
	if [ "$(field errors "$line")" != 0 ] || [ "$(field unsigned "$line")" != 0 ]; then
		note "bench: $row inbound ${kb}KB c=$c: $(field errors "$line") errors, $(field unsigned "$line") without spf, dkim and dmarc pass; $(cat "$W/loadgen.err")"
		valid=NO
	fi
	[ "$ok" = 1 ] || valid=NO
	[ $valid = yes ] || FAILED=1
	n=$(( $(field msgs "$line") + $(field errors "$line") ))
	each=$(field cpu_us_each "$line")
	echo "$row $kb $c $(field rate "$line") $(field p50_ms "$line") $(field p99_ms "$line")" \
	     "$(field max_ms "$line") $(field cpu_us_per_msg "$line") $(field errors "$line")" \
	     "$(field unsigned "$line") $(field rss_kb "$line") $(field client_cpu_us_per_msg "$line")" \
	     "$q $([ "$n" -gt 0 ] && echo $(( (d1 - d0) / n )) || echo na) ${each//,/+} $valid" >>"$IRESULTS"
	note "  $row inbound ${kb}KB c=$c: $line dns_queries=$q"
}

# history_note: what signetd's history database holds after the runs.
history_note() {
	local t rows=""
	if command -v sqlite3 >/dev/null; then
		for t in $(sqlite3 "$W/history.db" "SELECT name FROM sqlite_master WHERE type = 'table'" 2>/dev/null); do
			rows="$rows, $t: $(sqlite3 "$W/history.db" "SELECT count(*) FROM \"$t\"" 2>/dev/null) rows"
		done
	fi
	echo "signetd+history: history database $(du -k "$W/history.db" | cut -f1) KB${rows}"
}

# The count-file name of a DNS server started by start_dns, by PID.
dns_name() {
	case $1 in
	"$IDNS_S") echo dns.signetd.i ;;
	"$IDNS_K") echo dns.opendkim.i ;;
	"$IDNS_M") echo dns.opendmarc ;;
	esac
}

if want inbound; then
	IDNS_S=""; IDNS_K=""; IDNS_M=""
	# rows: NAME PORT PID CHECK_OK (history off, then on)
	declare -A IPORT=() IPID=() IOK=()
	ikpid=""
	if [ ! -x "$SIGNET" ]; then
		note "bench: $SIGNET missing (make all): inbound part skipped"
		echo "inbound part skipped: $SIGNET missing" >>"$ICHECKS"
		FAILED=1
	elif ! inbound_setup; then
		echo "inbound part skipped: could not build the zone or sign the messages" >>"$ICHECKS"
		FAILED=1
	else
		if [ $HAVE_SIGNETD = 1 ]; then
			if start_dns dns.signetd.i 127.0.0.1:0 "$W/izone.yml" --fast; then
				IDNS_S=$DNS_PID; isdport=$DNS_PORT
			else
				echo "signetd: not run, its DNS server did not start" >>"$ICHECKS"
				FAILED=1
			fi
		fi
		if [ -n "$IDNS_S" ]; then
			for h in $IHISTORY; do
				row=signetd; hist=""
				[ "$h" = on ] && { row=signetd+history; hist=$W/history.db; }
				IPORT[$row]=$(free_port); IOK[$row]=0
				write_iconfig_signetd "signetd.i.$h" "${IPORT[$row]}" "$isdport" "$hist"
				if start_filter "signetd.i.$h" "${IPORT[$row]}" "$SIGNETD" -f -c "$W/signetd.i.$h.conf"; then
					IPID[$row]=$FILTER_PID
					r=$(icheck_signetd "inet:${IPORT[$row]}@127.0.0.1") && IOK[$row]=1
					echo "$row: $r" >>"$ICHECKS"
				else
					stop_pid "$FILTER_PID"
					echo "$row: did not start ($(head -3 "$W/signetd.i.$h.log" | tr '\n' ' '))" >>"$ICHECKS"
				fi
				[ "${IOK[$row]}" = 1 ] || FAILED=1
			done
		fi
		if [ $HAVE_OPENDKIM = 0 ] || [ $HAVE_OPENDMARC = 0 ]; then
			echo "OpenDKIM + OpenDMARC: not run (OpenDKIM or OpenDMARC missing, or not root)" >>"$ICHECKS"
			FAILED=1
		else
			if start_dns dns.opendkim.i 127.0.0.1:0 "$W/izone.yml" --fast; then
				IDNS_K=$DNS_PID; ikdport=$DNS_PORT
			fi
			start_dmarc_dns || IDNS_M=""
			if [ -z "$IDNS_K" ] || [ -z "$IDNS_M" ]; then
				echo "OpenDKIM + OpenDMARC: not run, a DNS server did not start" >>"$ICHECKS"
				FAILED=1
			else
				ikport=$(free_port)
				write_iconfig_opendkim "$ikport" "$ikdport"
				if start_filter opendkim.i "$ikport" "$OPENDKIM" -f -x "$W/opendkim.i.conf"; then
					ikpid=$FILTER_PID
				else
					stop_pid "$FILTER_PID"
					echo "OpenDKIM + OpenDMARC: OpenDKIM did not start ($(head -3 "$W/opendkim.i.log" | tr '\n' ' '))" >>"$ICHECKS"
					FAILED=1
				fi
			fi
			for h in $IHISTORY; do
				[ -n "$ikpid" ] || break
				row=opendkim+opendmarc; hist=""
				[ "$h" = on ] && { row=opendkim+opendmarc+history; hist=$W/opendmarc.history; }
				IPORT[$row]=$(free_port); IOK[$row]=0
				write_iconfig_opendmarc "opendmarc.i.$h" "${IPORT[$row]}" "$hist"
				if start_opendmarc "opendmarc.i.$h" "${IPORT[$row]}"; then
					IPID[$row]=$FILTER_PID
					r=$(icheck_chain "inet:$ikport@127.0.0.1" "inet:${IPORT[$row]}@127.0.0.1") && IOK[$row]=1
					echo "$row: $r" >>"$ICHECKS"
				else
					stop_pid "$FILTER_PID"
					echo "$row: OpenDMARC did not start ($(head -3 "$W/opendmarc.i.$h.log" | tr '\n' ' '))" >>"$ICHECKS"
				fi
				[ "${IOK[$row]}" = 1 ] || FAILED=1
			done
		fi
		for kb in $SIZES; do
			for c in $CONNS; do
				for h in $IHISTORY; do
					row=signetd; [ "$h" = on ] && row=signetd+history
					[ -n "${IPID[$row]:-}" ] &&
						irun_one "$row" "$kb" "$c" "${IOK[$row]}" "$IDNS_S" -- \
							-s "inet:${IPORT[$row]}@127.0.0.1" -p "${IPID[$row]}"
					row=opendkim+opendmarc; [ "$h" = on ] && row=opendkim+opendmarc+history
					[ -n "${IPID[$row]:-}" ] &&
						irun_one "$row" "$kb" "$c" "${IOK[$row]}" "$IDNS_K,$IDNS_M" -- \
							-s "inet:$ikport@127.0.0.1" -s "inet:${IPORT[$row]}@127.0.0.1" \
							-p "$ikpid" -p "${IPID[$row]}"
				done
			done
		done
		for row in signetd signetd+history opendkim+opendmarc opendkim+opendmarc+history; do
			[ -n "${IPID[$row]:-}" ] || continue
			stop_pid "${IPID[$row]}"
			case $row in
			signetd) log_note "$row (inbound)" "$W/signetd.i.off.log" ;;
			signetd+history) log_note "$row (inbound)" "$W/signetd.i.on.log" ;;
			opendkim+opendmarc) log_note "OpenDMARC (inbound)" "$W/opendmarc.i.off.log" ;;
			*) log_note "OpenDMARC with HistoryFile (inbound)" "$W/opendmarc.i.on.log" ;;
			esac
		done
		[ -f "$W/history.db" ] && history_note >>"$ICHECKS"
		[ -f "$W/opendmarc.history" ] &&
			echo "opendkim+opendmarc+history: HistoryFile $(du -k "$W/opendmarc.history" | cut -f1) KB" >>"$ICHECKS"
		if [ -n "$ikpid" ]; then
			stop_pid "$ikpid"
			log_note "OpenDKIM (inbound)" "$W/opendkim.i.log"
		fi
		for p in $IDNS_S $IDNS_K $IDNS_M; do
			echo "$(dns_name "$p"): $(dns_queries "$p" "$W/$(dns_name "$p").count") DNS queries in all (checks, warm-ups, runs)" >>"$ICHECKS"
			stop_pid "$p"
		done
	fi
fi

# ---- tables ----

UNMET=0
if want sign; then
say "## Signatures checked with dkimpy"
say ""
while read -r f k r; do say "- $f $k: $r"; done <"$CHECKS"
say ""
say "## Throughput, latency, CPU"
say ""
say "| filter | key | size | conns | msgs/s | p50 ms | p99 ms | max ms | CPU µs/msg | errors | unsigned | RSS KB | client µs/msg |"
say "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while read -r f k kb c rate p50 p99 max cpu err uns rss cl; do
	say "| $f | $k | ${kb} KB | $c | $rate | $p50 | $p99 | $max | $cpu | $err | $uns | $rss | $cl |"
done <"$RESULTS"
say ""
say "## signet / OpenDKIM (targets: throughput >= 3x, CPU <= 0.25x, signetd max latency < 1 s)"
say ""
say "| key | size | conns | throughput ratio | >= 3x | CPU ratio | <= 0.25x | signetd max ms | < 1 s |"
say "|---|---|---|---:|---|---:|---|---:|---|"
for k in $KEYS; do for kb in $SIZES; do for c in $CONNS; do
	s=$(awk -v k="$k" -v kb="$kb" -v c="$c" '$1=="signetd" && $2==k && $3==kb && $4==c' "$RESULTS")
	o=$(awk -v k="$k" -v kb="$kb" -v c="$c" '$1=="opendkim" && $2==k && $3==kb && $4==c' "$RESULTS")
	[ -n "$s" ] && [ -n "$o" ] || continue
	row=$(printf '%s\n%s\n' "$s" "$o" | awk '
		NR == 1 { sr = $5; sc = $9; sm = $8; bad = $10 + $11 }
		NR == 2 { or_ = $5; oc = $9 }
		END {
			if (bad > 0) {	# fast because it did not sign: no result
				print "- | NOT met (signetd errors/unsigned) | - | NOT met | - | NOT met"
				exit
			}
			tr = or_ > 0 ? sr / or_ : 0; cr = (oc > 0 && sc != "na") ? sc / oc : 99
			printf "%.2fx | %s | %.2fx | %s | %s | %s\n", tr, (tr >= 3 ? "met" : "NOT met"),
			       cr, (cr <= 0.25 ? "met" : "NOT met"), sm, (sm < 1000 ? "met" : "NOT met")
		}')
	case $row in *NOT*) UNMET=1 ;; esac
	say "| $k | ${kb} KB | $c | $row |"
done; done; done
say ""
fi

if want verify; then
	say "## Verification: checks before the runs (tests/interop/ar_check.py on the Authentication-Results each filter added)"
	say ""
	while read -r line; do say "- $line"; done <"$VCHECKS"
	say ""
	say "## Verification: throughput, latency, CPU (client ${VCLIENT}; \"not pass\": messages whose Authentication-Results lacked a dkim=pass per signature)"
	say ""
	say "| filter | key | size | conns | msgs/s | p50 ms | p99 ms | max ms | CPU µs/msg | errors | not pass | DNS queries | RSS KB | client µs/msg | valid |"
	say "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	while read -r f k kb c rate p50 p99 max cpu err np rss cl q v; do
		say "| $f | $k | ${kb} KB | $c | $rate | $p50 | $p99 | $max | $cpu | $err | $np | $q | $rss | $cl | $v |"
	done <"$VRESULTS"
	while read -r f k kb c rate p50 p99 max cpu err uns rss cl; do
		[ "$f" = null-libmilter ] || continue
		say "| $f (floor, signs nothing) | - | ${kb} KB | $c | $rate | $p50 | $p99 | $max | $cpu | $err | - | - | $rss | $cl | - |"
	done <"$RESULTS"
	say ""
	say "## Verification, signet / OpenDKIM (targets: throughput >= 3x, CPU <= 0.25x; signetd max latency < 1 s)"
	say ""
	say "| key | size | conns | throughput ratio | >= 3x | CPU ratio | <= 0.25x | signetd max ms | < 1 s | DNS queries signetd / OpenDKIM | valid |"
	say "|---|---|---|---:|---|---:|---|---:|---|---|---|"
	for k in $VKEYS; do for kb in $SIZES; do for c in $CONNS; do
		s=$(awk -v k="$k" -v kb="$kb" -v c="$c" '$1=="signetd" && $2==k && $3==kb && $4==c' "$VRESULTS")
		o=$(awk -v k="$k" -v kb="$kb" -v c="$c" '$1=="opendkim" && $2==k && $3==kb && $4==c' "$VRESULTS")
		if [ -z "$s" ] || [ -z "$o" ]; then
			[ -n "$s$o" ] || continue
			UNMET=1
			say "| $k | ${kb} KB | $c | - | NOT met | - | NOT met | - | - | - | no $([ -z "$s" ] && echo signetd || echo OpenDKIM) run |"
			continue
		fi
		row=$(printf '%s\n%s\n' "$s" "$o" | awk '
			NR == 1 { sr = $5; sc = $9; sm = $8; sq = $14; sv = $15 }
			NR == 2 { or_ = $5; oc = $9; oq = $14; ov = $15 }
			END {
				valid = (sv == "yes" && ov == "yes") ? "yes" : \
				        (sv != "yes" ? "**NO** (signetd)" : "**NO** (OpenDKIM)")
				if (sv != "yes") {	# fast because it did not verify: no result
					printf "- | NOT met | - | NOT met | %s | - | %s / %s | %s\n", sm, sq, oq, valid
					exit
				}
				tr = or_ > 0 ? sr / or_ : 0; cr = (oc > 0 && sc != "na") ? sc / oc : 99
				printf "%.2fx | %s | %.3fx | %s | %s | %s | %s / %s | %s\n", tr, (tr >= 3 ? "met" : "NOT met"),
				       cr, (cr <= 0.25 ? "met" : "NOT met"), sm, (sm < 1000 ? "met" : "NOT met"),
				       sq, oq, valid
			}')
		case $row in *NOT*|*NO*) UNMET=1 ;; esac
		say "| $k | ${kb} KB | $c | $row |"
	done; done; done
	say ""
fi

if want inbound; then
	say "## Inbound: checks before the runs (tests/bench/ar_inbound.py on the Authentication-Results; a spoofed copy must be rejected)"
	say ""
	while read -r line; do say "- $line"; done <"$ICHECKS"
	say ""
	say "## Inbound SPF + DKIM + DMARC: throughput, latency, CPU (client ${ICLIENT}, RSA-2048 signed, example.com p=reject; \"not pass\": messages without spf, dkim and dmarc pass)"
	say ""
	say "| filter(s) | size | conns | msgs/s | p50 ms | p99 ms | max ms | CPU µs/msg | CPU each | errors | not pass | DNS queries | DNS server µs/msg | RSS KB | client µs/msg | valid |"
	say "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	while read -r f kb c rate p50 p99 max cpu err np rss cl q dq each v; do
		say "| $f | ${kb} KB | $c | $rate | $p50 | $p99 | $max | $cpu | $each | $err | $np | $q | $dq | $rss | $cl | $v |"
	done <"$IRESULTS"
	while read -r f k kb c rate p50 p99 max cpu err uns rss cl; do
		[ "$f" = null-libmilter ] || continue
		say "| $f (floor, does nothing) | ${kb} KB | $c | $rate | $p50 | $p99 | $max | $cpu | - | $err | - | - | - | $rss | $cl | - |"
	done <"$RESULTS"
	say ""
	say "## Inbound, signet / (OpenDKIM + OpenDMARC) (targets: throughput >= 3x, CPU <= 0.25x; signetd max latency < 1 s)"
	say ""
	say "| history | size | conns | throughput ratio | >= 3x | CPU ratio | <= 0.25x | signetd CPU µs/msg | chain CPU µs/msg | signetd max ms | < 1 s | DNS queries signetd / chain | valid |"
	say "|---|---|---|---:|---|---:|---|---:|---:|---:|---|---|---|"
	for h in $IHISTORY; do for kb in $SIZES; do for c in $CONNS; do
		srow=signetd; orow=opendkim+opendmarc
		[ "$h" = on ] && { srow=signetd+history; orow=opendkim+opendmarc+history; }
		s=$(awk -v r="$srow" -v kb="$kb" -v c="$c" '$1==r && $2==kb && $3==c' "$IRESULTS")
		o=$(awk -v r="$orow" -v kb="$kb" -v c="$c" '$1==r && $2==kb && $3==c' "$IRESULTS")
		if [ -z "$s" ] || [ -z "$o" ]; then
			UNMET=1
			say "| $h | ${kb} KB | $c | - | NOT met | - | NOT met | - | - | - | - | - | no $([ -z "$s" ] && echo signetd || echo OpenDKIM + OpenDMARC) run |"
			continue
		fi
		row=$(printf '%s\n%s\n' "$s" "$o" | awk '
			NR == 1 { sr = $4; sc = $8; sm = $7; sq = $13; sv = $16 }
			NR == 2 { or_ = $4; oc = $8; oq = $13; ov = $16 }
			END {
				valid = (sv == "yes" && ov == "yes") ? "yes" : \
				        (sv != "yes" ? "**NO** (signetd)" : "**NO** (OpenDKIM + OpenDMARC)")
				if (sv != "yes") {	# fast because it did not evaluate: no result
					printf "- | NOT met | - | NOT met | %s | %s | %s | - | %s / %s | %s\n", sc, oc, sm, sq, oq, valid
					exit
				}
				tr = or_ > 0 ? sr / or_ : 0; cr = (oc > 0 && sc != "na") ? sc / oc : 99
				printf "%.2fx | %s | %.3fx | %s | %s | %s | %s | %s | %s / %s | %s\n", tr, (tr >= 3 ? "met" : "NOT met"),
				       cr, (cr <= 0.25 ? "met" : "NOT met"), sc, oc, sm, (sm < 1000 ? "met" : "NOT met"),
				       sq, oq, valid
			}')
		case $row in *NOT*|*NO*) UNMET=1 ;; esac
		say "| $h | ${kb} KB | $c | $row |"
	done; done; done
	say ""
fi

say "## openssl speed -seconds 2 rsa2048 ed25519 (one core: raw signing and verification cost)"
say ""
say '```'
openssl speed -seconds 2 rsa2048 ed25519 2>/dev/null | grep -E '^ *(sign|rsa|[0-9]+ bits)' | tee -a "$REPORT"
say '```'
say ""

# ---- memory: one message with a big body ----

# big_body_check NAME PORT CMD...: fresh filter, a small message first,
# then the big one; VmHWM growth across the big one.
big_body_check() {
	local name=$1 port=$2 pid rss0 hwm0 hwm1 v
	shift 2
	if ! start_filter "$name.mem" "$port" "$@"; then
		stop_pid "$FILTER_PID"
		FAILED=1
		say "- $name: did not start"
		return
	fi
	pid=$FILTER_PID
	"$MILTC" -s "inet:$port@127.0.0.1" -o /dev/null "$W/msg$SMALL.eml" 2>/dev/null
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	hwm0=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	v=$("$MILTC" -s "inet:$port@127.0.0.1" -t 120 -v -o /dev/null "$W/big.eml" 2>&1 | head -3 | tr '\n' ' ')
	hwm1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	case $v in *"verdict: accept"*DKIM-Signature*|*"verdict: continue"*DKIM-Signature*) ;;
		*) FAILED=1; note "bench: $name big message: $v" ;;
	esac
	say "- $name: VmRSS before ${rss0} KB, VmHWM before ${hwm0} KB, after ${hwm1} KB: growth **$((hwm1 - hwm0)) KB**${v:+ ($(echo "$v" | sed 's/negotiated.*//' | sed 's/ *$//'))}"
	stop_pid "$pid"
}

if want sign && [ "$BIG_MB" -gt 0 ]; then
	say "## Memory: one message with a ${BIG_MB} MB body (target for signetd: a few hundred KB of VmHWM growth)"
	say ""
	{
		sed -n '1,/^\r$/p' "$W/msg$SMALL.eml"
		yes 'The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnop.' |
			head -c $((BIG_MB * 1024 * 1024)) | sed 's/$/\r/'
	} >"$W/big.eml"
	k=$(echo $KEYS | cut -d' ' -f1)
	sp=$(free_port); op=$(free_port)
	write_configs "$k" "$sp" "$op"
	[ $HAVE_SIGNETD = 1 ] && big_body_check signetd "$sp" "$SIGNETD" -f -c "$W/signetd.$k.conf"
	[ $HAVE_OPENDKIM = 1 ] && big_body_check opendkim "$op" "$OPENDKIM" -f -x "$W/opendkim.$k.conf"
	rm -f "$W/big.eml"
	say ""
fi

[ "${BENCH_STRICT:-0}" = 1 ] && [ $UNMET = 1 ] && FAILED=1
[ $FAILED = 0 ] || note "bench: FAILED (see messages above)"
exit $FAILED
