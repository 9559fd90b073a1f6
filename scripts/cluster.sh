#!/usr/bin/env bash
# Starts a three-node Tributary cluster on loopback: three combined nodes (broker + KRaft controller, one quorum of
# three voters) from config/cluster/node-{1,2,3}.properties. Clients bootstrap from
# localhost:19092,localhost:29092,localhost:39092; the controllers listen on 19093/29093/39093. Data goes to
# ./data/cluster/node-N (TRIBUTARY_CLUSTER_DATA overrides), formatted on first start with one cluster id kept in
# ./data/cluster/cluster-id. Logs: ./data/cluster/node-N.log. Installs and builds like server.sh. Ctrl-C stops all
# three (SIGTERM: each shuts down cleanly).
# With --split: three controller-only nodes (config/split/controller-{1,2,3}, CONTROLLER on 19093/29093/39093) and
# three broker-only nodes (config/split/broker-{4,5,6}, PLAINTEXT on 19094/29094/39094), as Kafka's "dedicated
# controllers" layout; data in ./data/split.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
say() { echo "cluster.sh: $*"; }

"$here/scripts/setup.sh"
BUILD_SAY=cluster.sh "$here/scripts/build-release.sh"
bin="$here/.build/release/tributary"
split=false
if [ "${1:-}" = "--split" ]; then split=true; shift; fi
if [ $# -gt 0 ]; then say "usage: scripts/cluster.sh [--split]"; exit 2; fi
if $split; then
  data="${TRIBUTARY_CLUSTER_DATA:-$PWD/data/split}"
  nodes=(controller-1 controller-2 controller-3 broker-4 broker-5 broker-6)
  confdir="$here/config/split"
  bootstrap=localhost:19094,localhost:29094,localhost:39094
else
  data="${TRIBUTARY_CLUSTER_DATA:-$PWD/data/cluster}"
  nodes=(node-1 node-2 node-3)
  confdir="$here/config/cluster"
  bootstrap=localhost:19092,localhost:29092,localhost:39092
fi
mkdir -p "$data"
if [ ! -s "$data/cluster-id" ]; then
  # Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding (kafka-storage random-uuid).
  python3 -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))' > "$data/cluster-id"
fi
export CLUSTER_ID="$(cat "$data/cluster-id")"
say "cluster id $CLUSTER_ID, data in $data"

pids=()
stop() {
  # Ends the script: after a signal bash would otherwise resume after the `wait -n` below.
  local rc=$?
  trap - INT TERM EXIT
  say "stopping the nodes"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait || true
  exit "$rc"
}
trap stop INT TERM EXIT
for n in "${nodes[@]}"; do
  "$bin" server --config "$confdir/$n.properties" --override "log.dirs=$data/$n" > "$data/$n.log" 2>&1 &
  pids+=($!)
  say "$n: pid $!, $(grep '^listeners=' "$confdir/$n.properties" | cut -d= -f2-), log $data/$n.log"
done

say "waiting for the quorum to elect a controller"
for _ in $(seq 1 60); do
  for p in "${pids[@]}"; do
    if ! kill -0 "$p" 2>/dev/null; then say "FAILED: node pid $p exited; its log:"; tail -20 "$data"/*.log; exit 1; fi
  done
  if kcat -b "$bootstrap" -L -m 2 2>/dev/null | grep -q "(controller)"; then
    kcat -b "$bootstrap" -L -m 2 2>/dev/null | sed -n '1,6p'
    say "ready: bootstrap.servers=$bootstrap (Ctrl-C stops the cluster)"
    wait -n || true
    say "a node exited; stopping the others"
    exit 1
  fi
  sleep 0.5
done
say "FAILED: no controller elected within 30 s; the logs:"
tail -20 "$data"/*.log
exit 1
