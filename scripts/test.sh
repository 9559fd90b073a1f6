#!/usr/bin/env bash
# The whole test suite, from a fresh clone with ../shared beside it. Phases:
#   setup        Debian packages (scripts/setup.sh --test)
#   python-env   a fresh, empty Python venv (.build/test-venv) first on PATH, filled by scripts/setup.sh --test:
#                proves the set-up installs every client itself; every later phase uses that venv
#   build        swift build --build-tests, no warnings allowed in our code
#   codegen      the generated code matches the schemas
#   fuzz         bounded fuzzing (FUZZ_SECONDS, default 60; 0 skips it)
#   interop      real clients against the real binary (scripts/interop.sh)
#   swift-test   swift test (unit tests, golden frames, simulations)
# Every phase runs even when an earlier one failed (except those that need the build), then a summary names the
# phases that failed and the script exits 1 if any did.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

declare -a summary=()
failed=0
started_all=$(date +%s)

# run_phase NAME COMMAND...: runs the command, records "NAME ok|FAILED (status) in Ns".
run_phase() {
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  echo
  echo "== $name"
  "$@"
  local status=$?
  local secs=$(($(date +%s) - t0))
  if [ "$status" -eq 0 ]; then
    summary+=("  $name: ok (${secs}s)")
  else
    summary+=("  $name: FAILED (status $status, ${secs}s)")
    failed=1
  fi
  return "$status"
}

skip_phase() {
  summary+=("  $1: skipped ($2)")
  echo
  echo "== $1: skipped ($2)"
}

python_env() {
  local venv=.build/test-venv
  mkdir -p .build
  echo "python-env: creating an empty venv at $venv"
  if ! python3 -m venv --clear "$venv"; then
    echo "python-env: FAILED: python3 -m venv (Debian: python3-venv)"; return 1
  fi
  PATH="$PWD/$venv/bin:$PATH" scripts/setup.sh --test || return 1
  # The venv must now hold the clients itself (nothing borrowed from the system's site-packages).
  "$venv/bin/python3" - <<'EOF' || return 1
import importlib, sys
for m in ("confluent_kafka", "kafka", "aiokafka", "pytest"):
    mod = importlib.import_module(m)
    if not mod.__file__.startswith(sys.prefix):
        sys.exit(f"python-env: {m} comes from {mod.__file__}, outside the venv {sys.prefix}")
print("python-env: confluent_kafka, kafka, aiokafka, pytest installed in", sys.prefix)
EOF
}

build() {
  local log
  log=$(mktemp /tmp/tributary-build.XXXXXX.log)
  echo "build: swift build --build-tests (log: $log)"
  if ! swift build --build-tests >"$log" 2>&1; then
    grep -E "error:" "$log" | sort -u | head -50
    echo "build: FAILED (full log: $log)"; return 1
  fi
  grep -E "Build complete" "$log"
  # Our files' warnings, and those in macro expansions (#expect) whose code is ours.
  if grep -E "^($PWD/(Sources|Tests)/.*|macro expansion .*)warning:" "$log" | sort -u | grep .; then
    echo "build: warnings in our code (see above)"; return 1
  fi
}

swift_test() {
  # Per-case lines are many (every captured frame is a case); keep failures and the closing summary.
  swift test --skip-build 2>&1 | awk '/^✔ Test run/ || !/^(◇|↳|✔)/'
  return "${PIPESTATUS[0]}"
}

shared_data() {
  # Kafka's schemas (codegen) and the captures (golden tests) are not in the repository: ../shared holds them.
  local missing=0
  for d in ../shared/kafka-protocol/message ../shared/kafka-protocol/legacy-3.9/message ../shared/kafka-captures/frames ../shared/kafka-captures/log-segments; do
    if [ -d "$d" ]; then echo "shared: $d present"; else echo "shared: FAILED: $d is missing (clone the repository beside shared/)"; missing=1; fi
  done
  return "$missing"
}

run_phase shared shared_data
run_phase setup scripts/setup.sh --test
if run_phase python-env python_env; then
  export PATH="$PWD/.build/test-venv/bin:$PATH"
fi
if run_phase build build; then
  run_phase codegen .build/debug/tributary-codegen --check
  fuzz_seconds="${FUZZ_SECONDS:-60}"
  if [ "$fuzz_seconds" != 0 ]; then
    run_phase fuzz scripts/fuzz.sh "$fuzz_seconds"
  else
    skip_phase fuzz "FUZZ_SECONDS=0"
  fi
  run_phase interop scripts/interop.sh
  run_phase swift-test swift_test
else
  for p in codegen fuzz interop swift-test; do skip_phase "$p" "the build failed"; done
fi

echo
echo "== summary ($(($(date +%s) - started_all))s)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "test.sh: FAILED phases:$(printf '%s\n' "${summary[@]}" | awk -F: '/FAILED|skipped \(the build/{printf " %s", $1}' | tr -s ' ')"
  exit 1
fi
echo "test.sh: all phases passed"
