#!/bin/bash
# tests/bench/bench.sh -- `make bench`: signetd against OpenDKIM, signing.
#
# For each key {rsa-2048, ed25519}: start signetd and OpenDKIM on loopback
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
# The load generator runs on the same 2 cores as the filter: its own CPU
# per message is shown too, and the load average before the run (other
# work on the machine skews every number).
#
# Environment: SIGNET_BUILD (build dir, default build), BENCH_SECONDS (per
# run, default 8), BENCH_CONNS (default "8 64"), BENCH_KEYS (default
# "rsa ed25519"), BENCH_SIZES (default "2 100", KB), BENCH_BIG_MB (memory
# check body size, default 100; 0 skips it), BENCH_OUT (also write the
# report there), BENCH_STRICT=1 (exit 1 when a target is not met).
# Exit 1 if a filter fails to start, a signature does not verify, or a
# run has errors.
set -u

BUILD=$(cd "${SIGNET_BUILD:-build}" && pwd) || exit 1
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNS:-"8 64"}
KEYS=${BENCH_KEYS:-"rsa ed25519"}
SIZES=${BENCH_SIZES:-"2 100"}
BIG_MB=${BENCH_BIG_MB:-100}
PY=/usr/bin/python3
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
LOADGEN=$BUILD/loadgen
MILTC=$BUILD/miltc
SIGNETD=$BUILD/signetd

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
say "# signet benchmark: signetd vs OpenDKIM (signing)"
say ""
say "- $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
say "- $($OPENDKIM -V 2>/dev/null | head -1 || echo 'opendkim: not installed'), $(openssl version)"
say "- each run: ${SECONDS_PER_RUN} s after a 100-message warm-up; one new milter connection per message;"
say "  latency = connect to final verdict; CPU = filter utime+stime per message (/proc); client = loadgen's own CPU"
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
for k in $KEYS; do
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

# ---- tables ----

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
UNMET=0
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

say "## openssl speed -seconds 2 rsa2048 ed25519 (one core: raw signing cost)"
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

if [ "$BIG_MB" -gt 0 ]; then
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
