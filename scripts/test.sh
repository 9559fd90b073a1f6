#!/usr/bin/env bash
# The whole test suite, from a fresh clone with ../shared beside it:
#   setup (Debian packages, clients) -> build (no warnings allowed in our code) -> generated code up to date ->
#   bounded fuzzing -> interop with real clients -> swift test.
# FUZZ_SECONDS (default 60) bounds the fuzzing step; 0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

scripts/setup.sh --test

echo "== build"
log=$(mktemp)
if ! swift build --build-tests 2>&1 | tee "$log" | grep -E "error:|Compiling|Build complete" | grep -v Compiling; then
  cat "$log"; exit 1
fi
if grep -E "^$PWD/(Sources|Tests)/.*warning:" "$log" | sort -u | grep .; then
  echo "build: warnings in our code (see above)"; exit 1
fi

echo "== generated code"
.build/debug/tributary-codegen --check

fuzz_seconds="${FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" != 0 ]; then
  echo "== fuzz (${fuzz_seconds}s)"
  scripts/fuzz.sh "$fuzz_seconds"
fi

echo "== interop (real clients against the built broker)"
scripts/interop.sh

echo "== swift test"
# Per-case lines are many (every captured frame is a case); keep failures and the closing summary.
set +e
swift test --skip-build 2>&1 | awk '/^✔ Test run/ || !/^(◇|↳|✔)/'
exit "${PIPESTATUS[0]}"
