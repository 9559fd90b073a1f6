#!/usr/bin/env bash
# Installs what building Tributary needs on a fresh Debian machine with Swift 6: the C libraries of the four Kafka
# codecs (Debian -dev packages). With --test, also what the test suite drives the broker with: kcat, Go with
# Debian's sarama, and the Python clients (confluent-kafka, kafka-python, aiokafka) with pytest.
# Safe to run again; installs only what is missing.
set -euo pipefail

packages=(zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev pkg-config)
pip_packages=()
if [ "${1:-}" = "--test" ]; then
  packages+=(kcat golang-go golang-github-shopify-sarama-dev python3-pip)
  pip_packages=(confluent-kafka==2.16.1 kafka-python==3.0.12 aiokafka==0.14.0 pytest)
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ((${#pip_packages[@]})); then
  need=()
  for spec in "${pip_packages[@]}"; do
    name="${spec%%==*}"
    want="${spec#*==}"
    have=$(python3 -m pip show "$name" 2>/dev/null | awk '/^Version:/{print $2}')
    if [ -z "$have" ] || { [ "$want" != "$spec" ] && [ "$have" != "$want" ]; }; then need+=("$spec"); fi
  done
  if ((${#need[@]})); then
    echo "setup: pip installing ${need[*]}"
    python3 -m pip install -q --disable-pip-version-check "${need[@]}" 2>&1 | grep -v "as the 'root' user" || true
  fi
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 expected, e.g. /opt/swift/usr/bin)"; exit 1; }
