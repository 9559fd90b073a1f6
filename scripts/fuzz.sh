#!/usr/bin/env bash
# Builds the libFuzzer target (tributary-fuzz, with -sanitize=fuzzer) and runs it.
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# SECONDS defaults to 60. The corpus lives in ./fuzz-corpus (not committed); it is seeded from the captured frames
# in ../shared/kafka-captures and the Kafka-written log segments. Run longer with e.g. `scripts/fuzz.sh 3600 -jobs=2`.
# The build and the run are timed separately; the run's log goes to FUZZ_LOG (default: a new file per run).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
scratch=.build-fuzz
log="${FUZZ_LOG:-$(mktemp /tmp/tributary-fuzz.XXXXXX.log)}"
build_log=$(mktemp /tmp/tributary-fuzz-build.XXXXXX.log)
echo "fuzz: building tributary-fuzz (release, -sanitize=fuzzer; log: $build_log)"
t0=$(date +%s)
# gold crashes formatting a diagnostic on this link; lld links it.
if ! swift build -c release --scratch-path "$scratch" --product tributary-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld >"$build_log" 2>&1; then
  grep -E "error:" "$build_log" | sort -u | head -20
  echo "fuzz: FAILED to build (log: $build_log)"
  exit 1
fi
echo "fuzz: built in $(($(date +%s) - t0))s"
bin="$scratch/release/tributary-fuzz"
corpus=fuzz-corpus
mkdir -p "$corpus"
if [ -z "$(ls -A "$corpus")" ] && [ -d ../shared/kafka-captures ]; then
  # Seed: each captured frame body behind a mode byte and two selector bytes (see FuzzHarness.run).
  python3 scripts/fuzz_seed.py ../shared/kafka-captures "$corpus"
fi
echo "fuzz: running for ${seconds}s (log: $log)"
t1=$(date +%s)
set +e
"$bin" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
  -print_final_stats=1 "$@" >"$log" 2>&1
status=$?
set -e
grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==|SUMMARY)" "$log" || true
runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
echo "fuzz: ${runs:-0} inputs in $(($(date +%s) - t1))s of running, exit status ${status} (log: $log)"
exit "$status"
