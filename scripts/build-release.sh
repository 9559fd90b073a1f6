#!/usr/bin/env bash
# Builds the release binary (swift build -c release --product tributary) with its progress shown: one line per
# SwiftPM phase and one every ~15 s. Used by server.sh and cluster.sh after scripts/setup.sh. On failure prints the
# errors and the full log's path and exits non-zero.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
say() { echo "${BUILD_SAY:-build}: $*"; }

log=$(mktemp /tmp/tributary-build.XXXXXX.log)
say "building the release binary (swift build -c release; full log: $log)"
t0=$(date +%s)
SECONDS=0
# One line per phase of SwiftPM (fetching, resolving, compiling, linking) and a progress line every ~15 s. (A
# shell loop, not awk: mawk buffers its input, which would hold the lines back until the build ends.)
progress() {
  local line last=0 now
  while IFS= read -r line; do
    now=$SECONDS  # bash builtin: no fork per line
    case "$line" in
      Fetching*|Fetched*|Computing*|Computed*|Creating\ working\ copy*|Working\ copy*|Building\ for*|Build\ complete*)
        printf "${BUILD_SAY:-build}:   [%3ds] %s\n" "$now" "$line" ;;
      *error:*)
        printf '%s\n' "$line" ;;
      \[*)
        if [ $((now - last)) -ge 15 ]; then last=$now; printf "${BUILD_SAY:-build}:   [%3ds] %s\n" "$now" "${line:0:100}"; fi ;;
    esac
  done
}
set +e
swift build -c release --package-path "$here" --product tributary 2>&1 | tee "$log" | progress
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  say "FAILED: swift build -c release (status $status); the errors:"
  grep -E "error:" "$log" | sort -u | head -30
  say "full log: $log"
  exit 1
fi
say "built in $(($(date +%s) - t0))s: $here/.build/release/tributary"
rm -f "$log"
