#!/usr/bin/env bash
# Starts a Tributary node with no configuration: broker + controller on localhost:9092, data in ./data (formatted
# on first start). Installs the build's Debian packages and builds the release binary first (the first build takes
# a few minutes; its progress is shown). Extra arguments go to `tributary server` (e.g. --config
# server.properties, --override key=value).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
say() { echo "server.sh: $*"; }

"$here/scripts/setup.sh"
log=$(mktemp /tmp/tributary-build.XXXXXX.log)
say "building the release binary (swift build -c release; full log: $log)"
t0=$(date +%s)
# One line per phase of SwiftPM (fetching, resolving, compiling, linking) and a progress line every ~15 s.
set +e
swift build -c release --package-path "$here" --product tributary 2>&1 | tee "$log" | awk -v t0="$t0" '
  function now() { return systime() }
  /^(Fetching|Fetched|Computing|Computed|Creating working copy|Working copy|Building for|Build complete|Compiling plugin)/ {
    printf "server.sh:   [%3ds] %s\n", now() - t0, $0; fflush(); next }
  /error:/ { print; fflush(); next }
  /^\[[0-9]+\/[0-9]+\]/ {
    step = $1
    if (now() - last >= 15) { last = now(); printf "server.sh:   [%3ds] %s %s %s\n", now() - t0, step, $2, $3; fflush() }
  }'
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
say "starting: tributary server $* (stop with Ctrl-C)"
exec "$here/.build/release/tributary" server "$@"
