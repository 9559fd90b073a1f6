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
BUILD_SAY=server.sh "$here/scripts/build-release.sh"
say "starting: tributary server $* (stop with Ctrl-C)"
exec "$here/.build/release/tributary" server "$@"
