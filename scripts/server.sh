#!/usr/bin/env bash
# Starts a Tributary node with no configuration: broker + controller on localhost:9092, data in ./data (formatted
# on first start). Installs the build's Debian packages and builds the release binary first. Extra arguments go to
# `tributary server` (e.g. --config server.properties, --override key=value).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/scripts/setup.sh"
log=$(mktemp)
if ! swift build -c release --package-path "$here" --product tributary >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
rm -f "$log"
exec "$here/.build/release/tributary" server "$@"
