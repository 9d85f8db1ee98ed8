#!/bin/bash
# tests/run_all.sh -- the whole test suite (make check):
#
#   SIGNET_BUILD=build SANITIZE=0 bash tests/run_all.sh UNIT_BIN...
#
# Parts, in order (each prints its own "N passed, N failed" line, read here):
#   1. every unit test binary given on the command line
#   2. tests/integration/run.sh (if present)
#   3. tests/interop/run.sh          (dkimpy, Mail::DKIM, OpenDKIM + miltertest)
#   4. tests/integration/postfix.sh  (real Postfix end to end)
#   5. SANITIZE != 1: fuzz smoke run: make fuzz-build, then
#      tests/fuzz/run.sh build/fuzz/* for FUZZ_SECONDS (default 10) each
#      SANITIZE == 1: valgrind (memcheck + leak check) of a few unit
#      binaries of the plain build (build/tests/{sign,canon,hdr}_test or
#      $VALGRIND_TESTS; valgrind and ASan do not mix)
# Part output is shown indented; at the end a table of parts and one line
#   N passed, N failed
# Exit status non-zero if anything failed, or a part crashed, timed out or
# printed no summary line (each such part counts as one failure).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

: "${SIGNET_BUILD:=build}"
: "${SANITIZE:=0}"
: "${FUZZ_SECONDS:=10}"
export SIGNET_BUILD SANITIZE FUZZ_SECONDS

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/signet-check.XXXXXX") || exit 1
trap 'rm -rf -- "$LOGDIR"' EXIT

PART_NAMES=()
PART_PASS=()
PART_FAIL=()
PART_NOTE=()
TOTAL_PASS=0
TOTAL_FAIL=0
SUMMARY_RE='^([A-Za-z0-9_./+-]+: )?([0-9]+) passed, ([0-9]+) failed(, [0-9]+ skipped)?$'

record() { # NAME PASS FAIL NOTE
	PART_NAMES+=("$1")
	PART_PASS+=("$2")
	PART_FAIL+=("$3")
	PART_NOTE+=("$4")
	TOTAL_PASS=$((TOTAL_PASS + $2))
	TOTAL_FAIL=$((TOTAL_FAIL + $3))
}

# run_part NAME TIMEOUT_S CMD...: run CMD (output indented), read its last
# summary line, record the part.
run_part() {
	local name=$1 secs=$2 log line pass fail note rc start
	shift 2
	log="$LOGDIR/part.$((${#PART_NAMES[@]} + 1)).log"
	echo "=== $name: $*"
	start=$(date +%s)
	timeout --kill-after=30 "$secs" "$@" </dev/null 2>&1 | tee "$log" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	line=$(grep -E "$SUMMARY_RE" "$log" | tail -n 1)
	note="exit $rc, $(($(date +%s) - start)) s"
	if [ -z "$line" ]; then
		pass=0
		fail=1
		note="NO SUMMARY LINE ($note)"
		[ "$rc" -eq 124 ] && note="TIMED OUT after $secs s, no summary"
	else
		pass=$(sed -E "s/$SUMMARY_RE/\\2/" <<<"$line")
		fail=$(sed -E "s/$SUMMARY_RE/\\3/" <<<"$line")
		if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
			fail=1
			note="exit $rc despite 0 failed (crash?)"
			[ "$rc" -eq 124 ] && note="TIMED OUT after $secs s"
		fi
	fi
	record "$name" "$pass" "$fail" "$note"
	echo "=== $name: $pass passed, $fail failed ($note)"
}

# 1. unit tests
for bin in "$@"; do
	if [ -x "$bin" ]; then
		run_part "unit/$(basename "$bin")" 600 "$bin"
	else
		record "unit/$(basename "$bin")" 0 1 "not built: $bin"
		echo "=== unit/$(basename "$bin"): not built ($bin)"
	fi
done

# 2-4. integration, interop, Postfix
if [ -f tests/integration/run.sh ]; then
	run_part integration 900 bash tests/integration/run.sh
fi
run_part interop 1500 bash tests/interop/run.sh
run_part inbound 900 bash tests/integration/inbound.sh
run_part history 600 bash tests/integration/history.sh
run_part interop/verify_in 2400 bash tests/interop/verify_in.sh
run_part conformance 1800 bash tests/conformance/run.sh
run_part spf 1200 bash tests/spf/run.sh
run_part dmarc 1200 bash tests/dmarc/run.sh
run_part dmarc-milter 900 bash tests/dmarc/milter.sh
run_part postfix 600 bash tests/integration/postfix.sh

# 5. fuzz smoke run, or valgrind under SANITIZE=1
if [ "$SANITIZE" != 1 ]; then
	if ! ls tests/fuzz/fuzz_*.c >/dev/null 2>&1; then
		echo "=== fuzz: no harness in tests/fuzz/ (skipped)"
	elif [ ! -f tests/fuzz/run.sh ]; then
		echo "=== fuzz: tests/fuzz/run.sh missing"
		record fuzz 0 1 "tests/fuzz/run.sh missing"
	else
		echo "=== fuzz-build: make fuzz-build"
		if make --no-print-directory fuzz-build >"$LOGDIR/fuzz-build.log" 2>&1; then
			fuzz_bins=()
			for f in build/fuzz/*; do
				[ -x "$f" ] && [ -f "$f" ] && fuzz_bins+=("$f")
			done
			if [ ${#fuzz_bins[@]} -eq 0 ]; then
				record fuzz 0 1 "make fuzz-build built nothing"
			else
				run_part fuzz $((FUZZ_SECONDS * ${#fuzz_bins[@]} + 600)) \
					env FUZZ_SECONDS="$FUZZ_SECONDS" bash tests/fuzz/run.sh "${fuzz_bins[@]}"
			fi
		else
			sed 's/^/    /' "$LOGDIR/fuzz-build.log" | tail -n 30
			record fuzz-build 0 1 "make fuzz-build failed"
		fi
	fi
else
	# The signing path (OpenSSL), canonicalization and header parsing: the
	# quick ones under valgrind (key_test and tables_test take a minute).
	# VALGRIND_TESTS="name ..." picks others.
	vg_bins=()
	for t in ${VALGRIND_TESTS:-sign_test canon_test hdr_test milter_config_test dns_test verify_test pubkey_test taglist_test authres_test spf_test dmarc_test}; do
		[ -x "build/tests/$t" ] && vg_bins+=("build/tests/$t")
	done
	if [ ${#vg_bins[@]} -eq 0 ]; then
		for f in build/tests/*_test; do
			[ -x "$f" ] && vg_bins+=("$f")
			[ ${#vg_bins[@]} -ge 3 ] && break
		done
	fi
	if [ ${#vg_bins[@]} -eq 0 ]; then
		echo "=== valgrind: no plain-build unit binaries in build/tests (skipped)"
	elif ! command -v valgrind >/dev/null 2>&1; then
		record valgrind 0 1 "valgrind not installed"
	else
		for f in "${vg_bins[@]}"; do
			run_part "valgrind/$(basename "$f")" 900 \
				valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
				--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$f"
		done
	fi
fi

# --- summary -------------------------------------------------------------
echo
echo "=== summary"
printf '%-36s %7s %7s  %s\n' part passed failed note
for i in "${!PART_NAMES[@]}"; do
	printf '%-36s %7d %7d  %s\n' "${PART_NAMES[$i]}" "${PART_PASS[$i]}" "${PART_FAIL[$i]}" "${PART_NOTE[$i]}"
done
echo
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ] && [ ${#PART_NAMES[@]} -gt 0 ]
