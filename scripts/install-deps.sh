#!/usr/bin/env bash
# Installs the Debian packages Logbucket needs, only those that are missing.
# Runs `apt-get update` once, and only when something has to be installed.
# --fuzz adds what the libFuzzer build needs (make fuzz): clang 16 and its runtimes. Clang 14,
# the machine's default, cannot compile libstdc++ 12's std::expected (it lacks conditionally
# trivial special members, P0848), so the fuzz build uses clang 16. Not needed for make run/test.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ccache
  libboost1.81-dev libpugixml-dev libspdlog-dev libssl-dev libsqlite3-dev
  libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  curl python3
)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang-16 libclang-rt-16-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
