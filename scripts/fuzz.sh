#!/usr/bin/env bash
# Builds the libFuzzer target (tributary-fuzz, with -sanitize=fuzzer) and runs it.
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# SECONDS defaults to 60. The corpus lives in ./fuzz-corpus (not committed); it is seeded from the captured frames
# in ../shared/kafka-captures and the Kafka-written log segments. Run longer with e.g. `scripts/fuzz.sh 3600 -jobs=2`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
scratch=.build-fuzz
# gold crashes formatting a diagnostic on this link; lld links it.
swift build -c release --scratch-path "$scratch" --product tributary-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld >/dev/null
bin="$scratch/release/tributary-fuzz"
corpus=fuzz-corpus
mkdir -p "$corpus"
if [ -z "$(ls -A "$corpus")" ] && [ -d ../shared/kafka-captures ]; then
  # Seed: each captured frame body behind a mode byte and two selector bytes (see FuzzHarness.run).
  python3 scripts/fuzz_seed.py ../shared/kafka-captures "$corpus"
fi
"$bin" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
  -print_final_stats=1 "$@" 2>&1 | tee /tmp/tributary-fuzz.log | grep -E "^(#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==|SUMMARY)" || true
status=${PIPESTATUS[0]}
runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' /tmp/tributary-fuzz.log | awk '{print $2}')
echo "fuzz: ${runs:-0} inputs in ${seconds}s, exit status ${status}"
exit "$status"
