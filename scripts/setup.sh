#!/usr/bin/env bash
# Installs what building and testing Tributary needs on a fresh Debian machine with Swift 6: the C libraries of
# the four Kafka codecs (as Debian -dev packages). Safe to run again; installs only what is missing.
set -euo pipefail

packages=(zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 expected, e.g. /opt/swift/usr/bin)"; exit 1; }
