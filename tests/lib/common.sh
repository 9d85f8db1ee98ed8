# tests/lib/common.sh -- shared helpers for signet's shell test suites.
# Source it:   . "$(dirname "$0")/../lib/common.sh"
#
#   sg_tmpdir [VAR]          mktemp -d, removed on exit; sets SG_TMP (or VAR)
#   sg_on_exit CMD...        run CMD at exit (before processes are stopped)
#   sg_track PID             stop PID at exit (sg_stop)
#   sg_stop PID              TERM, wait up to SG_STOP_WAIT s (default 10), KILL
#   sg_stop_check LABEL PID LOG  stop and assert: exit 0 on TERM, no sanitizer report
#   sg_free_port             print a free loopback TCP port (never the same twice)
#   sg_wait_file FILE [S]    wait up to S s (default 10) for FILE to be non-empty
#   sg_wait_port PORT [S] [PID]  wait for a listener on 127.0.0.1:PORT
#   sg_start_dns [--listen A:P]... ZONE...
#                            dnsserver.py on 127.0.0.1 (port 0); exports DNS_PORT,
#                            DNS_PID (and DNS_PORTS: every --listen's port, in order)
#   sg_start_signetd CONF [PORT]
#                            $SIGNET_BUILD/signetd -f -c CONF, stderr to a log;
#                            waits (10 s) for the socket; exports SIGNETD_PID,
#                            SIGNETD_LOG, SIGNETD_PORT
#   sg_keygen rsa|ed25519 FILE     fresh private key (PEM, mode 0600)
#   sg_dkim_record FILE            the key's DNS TXT value (v=DKIM1; k=...; p=...)
#   ok LABEL / fail LABEL [DETAIL] count a pass / a failure
#   sg_summary NAME          print "NAME: N passed, N failed"; status 0 iff none failed
#
# Everything started here is stopped, and every temp dir removed, by one EXIT
# trap (SG_KEEP_TMP=1 keeps the temp dirs for a post-mortem).

SG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SG_LIB="$SG_ROOT/tests/lib"
SG_PY=/usr/bin/python3

: "${SIGNET_BUILD:=build}"
case "$SIGNET_BUILD" in
/*) ;;
*) SIGNET_BUILD="$SG_ROOT/$SIGNET_BUILD" ;;
esac
export SIGNET_BUILD

# The shared conformance data: beside the repository (CI clones main with
# shared/ beside it), or SIGNET_SHARED.
if [ -z "${SIGNET_SHARED:-}" ]; then
	for _d in "$SG_ROOT/../shared" "$SG_ROOT/shared" /work/shared; do
		if [ -d "$_d/conformance" ]; then
			SIGNET_SHARED=$(cd "$_d" && pwd)
			break
		fi
	done
	unset _d
fi
export SIGNET_SHARED="${SIGNET_SHARED:-}"

SG_PASS=0
SG_FAIL=0
SG_PIDS=()
SG_TMPDIRS=()
SG_EXIT_CMDS=()
SG_PORTS_GIVEN=" "

_sg_cleanup() {
	local _sgc_rc=$? _sgc_n _sgc_d
	trap - EXIT INT TERM
	# (loop variables with names the registered commands will not use)
	for ((_sgc_n = ${#SG_EXIT_CMDS[@]} - 1; _sgc_n >= 0; _sgc_n--)); do
		eval "${SG_EXIT_CMDS[$_sgc_n]}" >/dev/null 2>&1 || true
	done
	for ((_sgc_n = ${#SG_PIDS[@]} - 1; _sgc_n >= 0; _sgc_n--)); do
		sg_stop "${SG_PIDS[$_sgc_n]}" >/dev/null 2>&1 || true
	done
	for _sgc_d in "${SG_TMPDIRS[@]}"; do
		if [ "${SG_KEEP_TMP:-0}" = 1 ]; then
			echo "kept: $_sgc_d" >&2
		else
			rm -rf -- "$_sgc_d"
		fi
	done
	exit "$_sgc_rc"
}
trap _sg_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# sg_on_exit CMD: CMD is eval'ed at exit, before the tracked processes
# are stopped; keep its loops bounded.
sg_on_exit() {
	SG_EXIT_CMDS+=("$*")
}

sg_track() {
	SG_PIDS+=("$1")
}

sg_tmpdir() {
	local var=${1:-SG_TMP} d
	d=$(mktemp -d "${TMPDIR:-/tmp}/signet-test.XXXXXX") || {
		echo "sg_tmpdir: mktemp failed" >&2
		return 1
	}
	chmod 755 "$d"
	SG_TMPDIRS+=("$d")
	printf -v "$var" '%s' "$d"
	export "${var?}"
}

_sg_need_tmp() {
	[ -n "${SG_TMP:-}" ] || sg_tmpdir
}

# sg_stop PID: SIGTERM, wait (bounded), SIGKILL; reaps our own children.
sg_stop() {
	local pid=$1 i max
	[ -n "$pid" ] || return 0
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null
	max=$(( ${SG_STOP_WAIT:-10} * 10 ))
	for ((i = 0; i < max; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		# a zombie child of ours counts as stopped once reaped
		if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then
			break
		fi
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then
		echo "sg_stop: $pid did not stop on TERM; killing" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# sg_stop_check LABEL PID LOG: stop a daemon we started and assert that it
# ends within 15 s of SIGTERM with status 0, and that its log (stderr) has
# no AddressSanitizer / LeakSanitizer / UBSan report.
sg_stop_check() {
	local label=$1 pid=$2 log=$3 w rc
	kill -TERM "$pid" 2>/dev/null
	for ((w = 0; w < 150; w++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "$label: stops within 15 s of SIGTERM" "$(tail -n 20 "$log")"
	else
		wait "$pid" 2>/dev/null
		rc=$?
		if [ "$rc" -eq 0 ]; then
			ok "$label: exits 0 on SIGTERM"
		else
			fail "$label: exits 0 on SIGTERM (status $rc)" "$(tail -n 30 "$log")"
		fi
	fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$log"; then
		fail "$label: no sanitizer report in its log" \
			"$(grep -E -A12 'Sanitizer|runtime error' "$log" | head -n 40)"
	else
		ok "$label: no sanitizer report in its log"
	fi
}

# sg_free_port: a TCP port nobody listens on or uses on loopback, from
# 20000-32767 (below Linux's ephemeral range, so outgoing connections do
# not take it meanwhile). Never hands out the same port twice per script.
sg_free_port() {
	local i p
	for ((i = 0; i < 200; i++)); do
		p=$(( 20000 + (RANDOM % 12768) ))
		case "$SG_PORTS_GIVEN" in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htanu "( sport = :$p )" 2>/dev/null)" ]; then
			SG_PORTS_GIVEN+="$p "
			echo "$p"
			return 0
		fi
	done
	echo "sg_free_port: no free port found" >&2
	return 1
}

sg_wait_file() {
	local f=$1 s=${2:-10} i
	for ((i = 0; i < s * 10; i++)); do
		[ -s "$f" ] && return 0
		sleep 0.1
	done
	return 1
}

# sg_wait_port PORT [SECONDS] [PID]: wait for a TCP listener on PORT
# (checked with ss, so nothing connects to it); fails early when PID dies.
sg_wait_port() {
	local port=$1 s=${2:-10} pid=${3:-} i
	for ((i = 0; i < s * 10; i++)); do
		if [ -n "$(ss -Hltn "( sport = :$port )" 2>/dev/null)" ]; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# sg_start_dns [--listen ADDR:PORT]... ZONE...
sg_start_dns() {
	_sg_need_tmp
	local args=(--listen 127.0.0.1:0) zones=() pf log
	while [ $# -gt 0 ]; do
		case "$1" in
		--listen) args+=(--listen "$2"); shift 2 ;;
		*) zones+=(--zone "$1"); shift ;;
		esac
	done
	pf=$(mktemp "$SG_TMP/dnsport.XXXXXX")
	rm -f "$pf"
	log="$pf.log"
	"$SG_PY" "$SG_LIB/dnsserver.py" "${args[@]}" "${zones[@]}" \
		--port-file "$pf" ${SG_DNS_VERBOSE:+--verbose} 2>"$log" &
	DNS_PID=$!
	sg_track "$DNS_PID"
	if ! sg_wait_file "$pf" 10; then
		echo "sg_start_dns: DNS server did not start:" >&2
		cat "$log" >&2
		return 1
	fi
	DNS_PORT=$(head -n1 "$pf")
	DNS_PORTS=$(tr '\n' ' ' <"$pf")
	DNS_LOG=$log
	export DNS_PORT DNS_PID DNS_PORTS DNS_LOG
}

# sg_start_signetd CONF [PORT]: PORT defaults to the one in CONF's socket.
sg_start_signetd() {
	_sg_need_tmp
	local conf=$1 port=${2:-}
	if [ -z "$port" ]; then
		port=$(sed -n 's/^[[:space:]]*socket[[:space:]]*=[[:space:]]*"inet6\{0,1\}:\([0-9]*\)@.*/\1/p' "$conf" | head -n1)
	fi
	if [ ! -x "$SIGNET_BUILD/signetd" ]; then
		echo "sg_start_signetd: $SIGNET_BUILD/signetd not built" >&2
		return 1
	fi
	SIGNETD_LOG=$(mktemp "$SG_TMP/signetd.XXXXXX")
	mv "$SIGNETD_LOG" "$SIGNETD_LOG.log"
	SIGNETD_LOG="$SIGNETD_LOG.log"
	"$SIGNET_BUILD/signetd" -f -c "$conf" 2>"$SIGNETD_LOG" &
	SIGNETD_PID=$!
	SIGNETD_PORT=$port
	sg_track "$SIGNETD_PID"
	export SIGNETD_PID SIGNETD_LOG SIGNETD_PORT
	if [ -z "$port" ] || ! sg_wait_port "$port" 10 "$SIGNETD_PID"; then
		echo "sg_start_signetd: signetd did not listen on port ${port:-?}; its log:" >&2
		tail -n 30 "$SIGNETD_LOG" >&2
		return 1
	fi
}

# sg_write_signetd_conf FILE PORT CANON [EXTRA]: a signetd.conf using
# KeyTable / SigningTable beside FILE. EXTRA is appended as is.
sg_write_signetd_conf() {
	local f=$1 port=$2 canon=${3:-relaxed/relaxed} extra=${4:-}
	cat >"$f" <<EOF
socket = "inet:$port@127.0.0.1";
authserv_id = "mx.example.com";
internal_hosts = [ "127.0.0.0/8", "::1/128" ];
log = { level = "debug"; };
dkim = {
  key_table = "KeyTable";
  signing_table = "SigningTable";
  canonicalization = "$canon";
  oversign_headers = [ "From" ];
};
$extra
EOF
}

sg_keygen() {
	local alg=$1 f=$2
	(
		umask 077
		case "$alg" in
		rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"${3:-2048}" -out "$f" ;;
		ed25519) openssl genpkey -algorithm ED25519 -out "$f" ;;
		*) echo "sg_keygen: unknown algorithm $alg" >&2; exit 1 ;;
		esac
	) 2>/dev/null || return 1
	chmod 600 "$f"
}

# sg_dkim_record KEYFILE: RSA: p= is the SubjectPublicKeyInfo (DER, base64);
# Ed25519: p= is the raw 32-byte public key (RFC 8463).
sg_dkim_record() {
	local f=$1 der
	der=$(openssl pkey -in "$f" -pubout -outform DER 2>/dev/null | base64 -w0) || return 1
	if openssl pkey -in "$f" -noout -text 2>/dev/null | head -n1 | grep -qi ed25519; then
		printf 'v=DKIM1; k=ed25519; p=%s\n' \
			"$(printf '%s' "$der" | base64 -d | tail -c 32 | base64 -w0)"
	else
		printf 'v=DKIM1; k=rsa; p=%s\n' "$der"
	fi
}

ok() {
	SG_PASS=$((SG_PASS + 1))
	echo "ok   - $1"
}

fail() {
	SG_FAIL=$((SG_FAIL + 1))
	echo "FAIL - $1"
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | head -n 40 | sed 's/^/       /'
	fi
}

# check LABEL CMD...: ok if CMD succeeds, else fail with its output.
check() {
	local label=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$label"
	else
		fail "$label" "$out"
	fi
}

sg_summary() {
	local name=${1:-tests}
	echo "$name: $SG_PASS passed, $SG_FAIL failed"
	[ "$SG_FAIL" -eq 0 ]
}

# --- inbound verification helpers (tests/conformance, tests/interop/verify_in.sh,
# tests/integration/inbound.sh) ----------------------------------------------

# sg_conformance_dir: print the shared conformance folder: $SIGNET_CONFORMANCE
# when set, else $SIGNET_SHARED/conformance (found above); status 1 if none.
sg_conformance_dir() {
	local d=${SIGNET_CONFORMANCE:-}
	if [ -z "$d" ] && [ -n "${SIGNET_SHARED:-}" ]; then
		d=$SIGNET_SHARED/conformance
	fi
	if [ -n "$d" ] && [ -d "$d" ]; then
		(cd "$d" && pwd)
		return 0
	fi
	return 1
}

# sg_dns_group DNS_PORT [TIMEOUT_MS] [TRIES]: a signetd.conf dns group that
# sends every query to the loopback test DNS server.
sg_dns_group() {
	local port=$1 tmo=${2:-3000} tries=${3:-}
	printf 'dns = {\n  servers = [ "127.0.0.1:%s" ];\n  timeout_ms = %s;\n' "$port" "$tmo"
	[ -n "$tries" ] && printf '  tries = %s;\n' "$tries"
	printf '};\n'
}

# sg_write_inbound_conf FILE PORT DNS_PORT [TIMEOUT_MS] [TRIES] [EXTRA]:
# sg_write_signetd_conf (relaxed/relaxed, KeyTable / SigningTable beside
# FILE, internal_hosts 127.0.0.0/8 and ::1, authserv_id mx.example.com)
# plus a dns group for DNS_PORT; EXTRA is appended as is.
sg_write_inbound_conf() {
	local f=$1 port=$2 dport=$3 tmo=${4:-3000} tries=${5:-} extra=${6:-}
	sg_write_signetd_conf "$f" "$port" relaxed/relaxed \
		"$(sg_dns_group "$dport" "$tmo" "$tries")
$extra"
}

# sg_has_sanitizer_report FILE...: status 0 if any FILE holds an
# AddressSanitizer / LeakSanitizer / UBSan report.
sg_has_sanitizer_report() {
	grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$@" 2>/dev/null
}
