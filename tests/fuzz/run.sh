#!/usr/bin/env bash
# tests/fuzz/run.sh -- run each libFuzzer binary given as an argument for
# FUZZ_SECONDS (default 20) on a fresh corpus seeded from
# tests/fuzz/corpus/<name>/ when that exists (and with the dictionary
# tests/fuzz/<name>.dict when that exists). A crash, leak, timeout or
# sanitizer report fails that harness. Prints "fuzz: N passed, N failed"
# and exits non-zero when any failed. Crash inputs are kept in
# build/fuzz/crashes/<name>/ so they can be replayed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-20}
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/signet-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ $# -eq 0 ]; then
	echo "usage: $0 build/fuzz/fuzz_X ..." >&2
	exit 2
fi

for bin in "$@"; do
	name=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: no such executable $bin" >&2
		fail=$((fail + 1))
		continue
	fi
	corpus="$tmp/$name/corpus"
	artifacts="$tmp/$name/artifacts/"
	mkdir -p "$corpus" "$artifacts"
	if [ -d "$here/corpus/$name" ]; then
		cp -- "$here/corpus/$name"/* "$corpus"/ 2>/dev/null
	fi
	dict=()
	if [ -f "$here/$name.dict" ]; then
		dict=(-dict="$here/$name.dict")
	fi
	log="$tmp/$name/log"
	echo "fuzz: $name for ${seconds}s"
	"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$artifacts" \
		"${dict[@]}" "$corpus" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$(ls -A "$artifacts")" ]; then
		pass=$((pass + 1))
		grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/  $name /"
	else
		fail=$((fail + 1))
		echo "FAIL $name (exit $rc); last lines of its log:" >&2
		tail -n 40 "$log" >&2
		keep="build/fuzz/crashes/$name"
		if mkdir -p "$keep" 2>/dev/null && [ -n "$(ls -A "$artifacts")" ]; then
			cp -- "$artifacts"* "$keep"/ && echo "  inputs kept in $keep/" >&2
		fi
	fi
done

echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
