#!/usr/bin/env bash
# System packages (apt): curl (make demo), node and npm, Python's venv module, redis-server (dedup
# store tests), chromium (browser tests), postgresql (the PostgreSQL inbox tests: initdb and postgres).
# Detection: scripts/lib/tools.sh.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
declare -A package=([curl]=curl [node]=nodejs [npm]=npm [python3-venv]=python3-venv
  [redis-server]=redis-server [chromium]=chromium [postgresql]=postgresql)
missing=()
for tool in curl node npm python3-venv redis-server chromium postgresql; do
  if hv_need "$tool"; then missing+=("$tool"); fi
done
[ ${#missing[@]} -gt 0 ] || exit 0
packages=()
for tool in "${missing[@]}"; do packages+=("${package[$tool]}"); done
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
hv_run "${sudo[@]}" apt-get update -qq
hv_run "${sudo[@]}" apt-get install -y -qq "${packages[@]}"
for tool in "${missing[@]}"; do hv_installed "$tool"; done
