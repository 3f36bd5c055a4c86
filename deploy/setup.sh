#!/usr/bin/env bash
# Installs the Debian packages XIO needs (skipping those present) and builds
# it with CMake into build/.  Uses sudo when not run as root.
#
#   deploy/setup.sh            runtime + build packages, then build
#   deploy/setup.sh --test     also the test tools (clang for fuzzing,
#                              node/npm for the reference schema validator,
#                              python3 for the fake servers)
#   deploy/setup.sh --no-build only install packages
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
build=1
for a in "$@"; do
  case "$a" in
    --test) want_test=1 ;;
    --no-build) build=0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

pkgs=(build-essential cmake pkg-config libuv1-dev libwebsockets-dev
      libwebsockets-evlib-uv libcurl4-openssl-dev libjson-c-dev
      libsqlite3-dev sqlite3 libyaml-dev libcmocka-dev libssl-dev ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "$want_test" = 1 ]; then
  # Test tools are looked up as commands: a machine may carry Node.js from
  # another source (its own npm included), and asking apt for npm then
  # conflicts with it.
  command -v clang >/dev/null || missing+=(clang)
  # libFuzzer's runtime for the default clang (libclang-rt-14-dev on Debian
  # 12, a later one on later releases): the unversioned package picks it
  dpkg-query -W -f='${Status}' libclang-rt-dev 2>/dev/null | grep -q "install ok installed" ||
    missing+=(libclang-rt-dev)
  command -v python3 >/dev/null || missing+=(python3)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  command -v curl >/dev/null || missing+=(curl)
  command -v sqlite3 >/dev/null || missing+=(sqlite3)
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$build" = 1 ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$(nproc)"
fi
