#!/usr/bin/env bash
# Installs what building Tributary needs on a fresh Debian machine with Swift 6: the C libraries of the four Kafka
# codecs (Debian -dev packages), and kcat for the README's "Try it". With --test, also what the test suite drives the broker with: kcat, Go with
# Debian's sarama, and the Python clients (confluent-kafka, kafka-python, aiokafka) with pytest, installed into
# the Python that `python3` is on PATH (a venv first on PATH gets them).
# Safe to run again; installs only what is missing. Every step says what it does; a failing step names itself and
# ends the script with status 1.
set -uo pipefail

step() { echo "setup: $*"; }
fail() { echo "setup: FAILED: $*" >&2; exit 1; }

packages=(zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev pkg-config kcat)
pip_packages=()
if [ "${1:-}" = "--test" ]; then
  packages+=(golang-go golang-github-shopify-sarama-dev python3-pip python3-venv iproute2 procps)
  pip_packages=(confluent-kafka==2.16.1 kafka-python==3.0.12 aiokafka==0.14.0 pytest)
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# 1. Debian packages.
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
if ((${#missing[@]})); then
  step "apt-get update (for: ${missing[*]})"
  "${sudo_cmd[@]}" apt-get update -qq || fail "apt-get update"
  step "apt-get install ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/tmp/tributary-setup-apt.log 2>&1; then
    tail -20 /tmp/tributary-setup-apt.log >&2
    fail "apt-get install ${missing[*]} (log: /tmp/tributary-setup-apt.log)"
  fi
else
  step "Debian packages present: ${packages[*]}"
fi

# 2. Python clients, in whatever python3 is first on PATH.
if ((${#pip_packages[@]})); then
  py=$(command -v python3) || fail "python3 is not on PATH"
  if ! "$py" -m pip --version >/dev/null 2>&1; then
    step "bootstrapping pip in $py (ensurepip)"
    "$py" -m ensurepip --upgrade >/dev/null 2>&1 || fail "$py has no pip and ensurepip failed (install python3-pip or python3-venv)"
  fi
  need=()
  for spec in "${pip_packages[@]}"; do
    name="${spec%%==*}"
    want="${spec#*==}"
    [ "$want" = "$spec" ] && want=""
    # `pip show` exits 1 for a package that is not installed: that is an answer here, not an error.
    have=$("$py" -m pip show "$name" 2>/dev/null | awk '/^Version:/{print $2}' || true)
    if [ -z "$have" ]; then
      need+=("$spec")
    elif [ -n "$want" ] && [ "$have" != "$want" ]; then
      step "$name $have installed, $want wanted"
      need+=("$spec")
    fi
  done
  if ((${#need[@]})); then
    step "pip installing into $py: ${need[*]}"
    if ! PIP_ROOT_USER_ACTION=ignore "$py" -m pip install -q --disable-pip-version-check "${need[@]}" >/tmp/tributary-setup-pip.log 2>&1; then
      tail -20 /tmp/tributary-setup-pip.log >&2
      fail "pip install ${need[*]} into $py (log: /tmp/tributary-setup-pip.log)"
    fi
  else
    step "Python packages present in $py: ${pip_packages[*]}"
  fi
  for mod in confluent_kafka kafka aiokafka pytest; do
    "$py" -c "import $mod" 2>/dev/null || fail "$py cannot import $mod after installing"
  done
fi

# 3. The toolchain.
export PATH="/opt/swift/usr/bin:$PATH"
if ! command -v swift >/dev/null; then
  fail "swift is not on PATH (Swift 6 expected, e.g. at /opt/swift/usr/bin); it is not installable from Debian"
fi
step "ready ($(swift --version 2>/dev/null | head -1))"
