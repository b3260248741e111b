#!/usr/bin/env bash
# The deps scripts on a machine where tools are absent. Stubs that exit 127 (what a shell answers
# for a missing command) stand first on PATH for wasm-bindgen, redis-server, chromium, maturin and
# wasm-opt (maturin and wasm-opt are found by the paths the build uses, so MATURIN and WASM_OPT
# name the stubs), PostgreSQL's initdb and postgres stand in a directory PG_BIN_DIR names (the
# real ones are found off PATH too), and cargo, rustup, npm and apt-get are wrapped to record every
# call.
#   - make deps-check exits 0, names each stubbed tool, and calls no installer;
#   - the install path (DEPS_DRY_RUN=1: install commands printed, not run) does not die on them and
#     reaches each install command;
#   - a cargo install whose published lock does not resolve here is retried without --locked;
#   - a pin missing from the hashed Python lock is reported;
#   - on this machine, after `make deps`, deps-check finds nothing missing.
# Prints 'deps: N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
passed=0 failed=0
check() { # label, then a command that succeeds when the check holds
  local label=$1; shift
  if "$@"; then echo "ok: $label"; passed=$((passed + 1)); return 0; fi
  echo "FAIL: $label"; failed=$((failed + 1)); return 1
}
has() { grep -qF -- "$2" <<<"$1"; } # text, substring
hasnt() { ! grep -qE -- "$2" <<<"$1"; } # text, regex

stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT
calls=$stubs/installer-calls
: >"$calls"
stubbed=(wasm-bindgen redis-server chromium maturin wasm-opt)
for t in "${stubbed[@]}"; do printf '#!/bin/sh\nexit 127\n' >"$stubs/$t"; done
mkdir -p "$stubs/pgbin"
for t in initdb postgres; do printf '#!/bin/sh\nexit 127\n' >"$stubs/pgbin/$t"; done
chmod +x "$stubs"/pgbin/*
for t in cargo rustup npm apt-get; do
  real=$(command -v "$t") || real=/nonexistent/$t
  printf '#!/bin/sh\necho "%s $*" >>"%s"\nexec "%s" "$@"\n' "$t" "$calls" "$real" >"$stubs/$t"
done
chmod +x "$stubs"/*
# (make runs as a fresh make: the flags of an outer one, -n included, are dropped.)
stubbed_env=(env -u MAKEFLAGS -u MFLAGS "PATH=$stubs:$PATH" WASM_BINDGEN=wasm-bindgen REDIS_SERVER=redis-server CHROMIUM=chromium
  MATURIN=maturin WASM_OPT=wasm-opt PG_BIN_DIR="$stubs/pgbin")

# 1. make deps-check under the stubs.
out=$("${stubbed_env[@]}" make -s --no-print-directory deps-check 2>&1)
rc=$?
check "deps-check exits 0 with the tools stubbed (exit $rc)" [ "$rc" -eq 0 ] || printf '%s\n' "$out"
for t in "${stubbed[@]}" postgresql; do check "deps-check names $t" has "$out" "missing: $t "; done
check "deps-check's summary counts them" grep -Eq '^deps-check: [0-9]+ missing: ' <<<"$out"
check "deps-check called no installer" hasnt "$(cat "$calls")" ' (install|ci|add|update)( |$)' || cat "$calls"
check "deps-check printed no install step" hasnt "$out" '^(deps: installing|would run)'

# 2. The install path under the stubs, its install commands printed instead of run.
want=$(hv_wasm_bindgen_version)
out=$(DEPS_DRY_RUN=1 "${stubbed_env[@]}" scripts/deps-rust.sh 2>&1)
rc=$?
check "deps-rust.sh survives a wasm-bindgen that exits 127 (exit $rc)" [ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "deps-rust.sh reaches cargo install wasm-bindgen-cli $want" \
  has "$out" "would run: cargo install wasm-bindgen-cli --version $want --locked"
out=$(DEPS_DRY_RUN=1 "${stubbed_env[@]}" scripts/deps-apt.sh 2>&1)
rc=$?
check "deps-apt.sh survives redis-server, chromium, initdb exiting 127 (exit $rc)" [ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "deps-apt.sh reaches apt-get install redis-server chromium postgresql" \
  grep -Eq '^would run: (sudo )?apt-get install -y -qq (.* )?redis-server chromium postgresql$' <<<"$out"
# Without PG_BIN_DIR, and no initdb on PATH: found in /usr/lib/postgresql/*/bin, where apt puts it.
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  out=$(env -u PG_BIN_DIR PATH=/usr/bin:/bin bash -c 'source scripts/lib/tools.sh && tool_postgresql && hv_pg_bin_dir' 2>&1)
  check "postgresql is found off PATH, in /usr/lib/postgresql/*/bin" grep -Eq '^/usr/lib/postgresql/[0-9]+/bin$' <<<"$out" ||
    printf '%s\n' "$out"
fi
# maturin at the build's own path: a build venv whose maturin is the stub.
mkdir -p "$stubs/venv/bin"
cp "$stubs/maturin" "$stubs/venv/bin/maturin"
out=$(DEPS_DRY_RUN=1 "${stubbed_env[@]}" HV_BUILD_VENV="$stubs/venv" MATURIN="$stubs/venv/bin/maturin" \
  scripts/deps-python.sh 2>&1)
rc=$?
check "deps-python.sh survives a build-venv maturin that exits 127 (exit $rc)" [ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "deps-python.sh reaches the hashed install of maturin" \
  has "$out" "-m pip install -q --disable-pip-version-check --require-hashes -r $HV_BUILD_LOCK"
# wasm-opt at the build's own path: a packages/npm whose wasm-opt is missing means npm ci there.
out=$(DEPS_DRY_RUN=1 "${stubbed_env[@]}" WASM_OPT="$stubs/venv/bin/no-wasm-opt" scripts/deps-node.sh 2>&1)
rc=$?
check "deps-node.sh survives a missing wasm-opt (exit $rc)" [ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "deps-node.sh reaches npm ci in packages/npm" has "$out" "would run: npm ci --prefix $HV_ROOT/packages/npm "
check "the dry runs called no installer" hasnt "$(cat "$calls")" ' (install|ci|add|update)( |$)' || cat "$calls"

# hv_cargo_install when the crate's published lock does not resolve here (a registry without a
# locked version): a cargo that refuses --locked, and the install still runs, without it.
mkdir -p "$stubs/lockless"
printf '#!/bin/sh\necho "cargo $*" >>"%s"\ncase " $* " in *" --locked "*) echo "error: failed to select a version" >&2; exit 101;; esac\nexit 0\n' \
  "$stubs/lockless/calls" >"$stubs/lockless/cargo"
chmod +x "$stubs/lockless/cargo"
out=$(PATH="$stubs/lockless:$PATH" bash -c 'source scripts/lib/tools.sh && hv_cargo_install some-tool --version 1.2.3' 2>&1)
rc=$?
check "hv_cargo_install falls back when --locked does not resolve (exit $rc)" [ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "hv_cargo_install tried --locked first, then without it" \
  [ "$(cat "$stubs/lockless/calls")" = "$(printf 'cargo install some-tool --version 1.2.3 --locked\ncargo install some-tool --version 1.2.3')" ]
check "hv_cargo_install says why it resolves afresh" has "$out" "resolving its dependencies afresh"

# A pin added to tests/python/requirements.txt without regenerating the lock is reported.
{ cat "$HV_PY_REQUIREMENTS"; echo 'not-in-the-lock==1.0  # a new pin'; } >"$stubs/requirements.txt"
out=$(HV_PY_REQUIREMENTS="$stubs/requirements.txt" scripts/deps.sh --check 2>&1)
rc=$?
check "deps-check exits 0 with a stale Python lock (exit $rc)" [ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "deps-check names the pin the lock lacks, and only it" \
  grep -Eq '^missing: python-locks \(not in the Python locks: not-in-the-lock==1\.0;' <<<"$out"
out=$(HV_PY_REQUIREMENTS="$stubs/requirements.txt" DEPS_DRY_RUN=1 scripts/deps-python.sh 2>&1)
check "deps-python.sh stops on the stale lock" has "$out" "would stop: python-locks is missing"

# 3. Without stubs, after make deps: the same probes find everything.
out=$(scripts/deps.sh --check 2>&1)
check "deps-check after make deps: nothing missing" has "$out" "deps-check: nothing missing" || printf '%s\n' "$out"

echo "deps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
