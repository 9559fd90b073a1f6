#!/usr/bin/env bash
# Interop suite: real clients (kcat, confluent-kafka, kafka-python, aiokafka, sarama) against the built broker.
# Installs nothing (scripts/setup.sh does); tests whose client is missing are skipped with the reason.
#   INTEROP_SCRATCH (default .build): the SwiftPM scratch path to build in; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

scratch="${INTEROP_SCRATCH:-.build}"
echo "== build tributary ($scratch)"
log=$(mktemp)
if ! swift build --scratch-path "$scratch" --product tributary >"$log" 2>&1; then
  cat "$log"; exit 1
fi
rm -f "$log"

export PYTHONDONTWRITEBYTECODE=1
export TRIBUTARY_BIN="$PWD/$scratch/debug/tributary"
echo "== interop tests (TRIBUTARY_BIN=$TRIBUTARY_BIN)"
exec timeout 1200 python3 -m pytest -q -rs -p no:cacheprovider tests/interop "$@"
