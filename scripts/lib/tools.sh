# shellcheck shell=bash
# The tools the build and the test suites need: where the build finds each one, and one probe per
# tool saying whether it is there (tool_NAME), plus the steps every deps script's install loop takes
# (hv_need, hv_run, hv_installed). Sourced by scripts/deps*.sh (install, and `--check` for make
# deps-check), the build scripts and test-node.sh, so detection is written once.
#
# Every probe is safe under `set -euo pipefail`: a command that is absent, or that exists but fails
# (a stub exiting 127, a broken venv), makes the probe answer "missing" (status 1); it never kills the
# caller, and no probe pipes a possibly-missing command into another.

HV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Where the build and the tests look for each tool. Override one to use another copy (a bare name is
# looked up on PATH); the build scripts read these same variables.
: "${PYTHON:=python3}"
: "${WASM_BINDGEN:=wasm-bindgen}"
: "${REDIS_SERVER:=redis-server}"
: "${CHROMIUM:=chromium}"
# PostgreSQL's server programs (initdb, postgres), for the PostgreSQL inbox tests: a directory. Unset,
# initdb's on PATH, else Debian's newest /usr/lib/postgresql/<version>/bin (apt does not put the
# server programs on PATH). core/tests/support/postgres.rs searches the same way.
: "${PG_BIN_DIR:=}"
: "${WASM_OPT:=$HV_ROOT/packages/npm/node_modules/.bin/wasm-opt}"
: "${NAPI:=$HV_ROOT/packages/npm/node_modules/.bin/napi}"
: "${BIOME:=$HV_ROOT/tests/node/node_modules/.bin/biome}"
: "${HV_BUILD_VENV:=$HV_ROOT/.venv-build}"
: "${MATURIN:=$HV_BUILD_VENV/bin/maturin}"
: "${HV_TEST_VENV:=$HV_ROOT/target/py-test-venv}"
# The test venv's pins (edited by hand) and the hashed lock made from them (scripts/lock-python.sh),
# which is what gets installed.
: "${HV_PY_REQUIREMENTS:=$HV_ROOT/tests/python/requirements.txt}"
HV_PY_LOCK=$HV_ROOT/tests/python/requirements.lock
# The one maturin the wheel is built with, installed into .venv-build from its hashed lock.
HV_MATURIN_VERSION=1.9.6
# make package links the published wheel and addon with zig (ziglang from PyPI, against glibc 2.17)
# and checks the wheel's manylinux tag with auditwheel: both in .venv-build, from the same lock.
HV_ZIGLANG_VERSION=0.13.0
HV_AUDITWHEEL_VERSION=6.8.2
HV_BUILD_PINS=("maturin==$HV_MATURIN_VERSION" "ziglang==$HV_ZIGLANG_VERSION" "auditwheel==$HV_AUDITWHEEL_VERSION")
HV_BUILD_LOCK=$HV_ROOT/packages/python/build-requirements.lock
# The npm projects `npm ci` installs from their committed lock, and the tools each one provides.
HV_NPM_DIRS=(packages/npm tests/node tests/package)
declare -A HV_NPM_TOOLS=([packages/npm]="npm-packages wasm-opt napi" [tests/node]="npm-test-packages biome"
  [tests/package]="npm-bundler-packages")

# Why the last probe said "missing" (shown by --check and before an install).
HV_NOTE=

# hv_out CMD ARGS...: prints the command's stdout; status 1 (nothing printed) when the command is
# absent or exits non-zero, whatever the code (127 included).
hv_out() {
  local out
  out=$("$@" 2>/dev/null </dev/null) || return 1
  printf '%s\n' "$out"
}

# hv_rel PATH: PATH relative to the repository root, for messages.
hv_rel() { printf '%s\n' "${1#"$HV_ROOT"/}"; }

# hv_runs CMD ARGS...: status 0 when the command runs and exits 0.
hv_runs() { "$@" >/dev/null 2>&1 </dev/null; }

# hv_field N TEXT: the Nth whitespace-separated word of TEXT's first line ("wasm-bindgen 0.2.1" -> 0.2.1).
hv_field() {
  local words
  read -r -a words <<<"$2" || true
  printf '%s\n' "${words[$(($1 - 1))]:-}"
}

# hv_lock_sum FILE: the sha256 of FILE (relative to the root), e.g. a lock `npm ci` installed from.
hv_lock_sum() {
  local out
  out=$(sha256sum "$HV_ROOT/$1" 2>/dev/null) || return 1
  hv_field 1 "$out"
}

# --- one probe per tool: status 0 present, 1 missing (with HV_NOTE) ------------------------------

tool_curl() { hv_runs curl --version || { HV_NOTE="make demo posts with it"; return 1; }; }
tool_node() { hv_runs node --version || { HV_NOTE="node"; return 1; }; }
tool_npm() { hv_runs npm --version || { HV_NOTE="npm"; return 1; }; }
tool_python3_venv() {
  hv_runs "$PYTHON" -c 'import venv, ensurepip' || { HV_NOTE="$PYTHON with the venv module and ensurepip"; return 1; }
}
tool_redis_server() { hv_runs "$REDIS_SERVER" --version || { HV_NOTE="$REDIS_SERVER --version fails"; return 1; }; }
tool_chromium() { hv_runs "$CHROMIUM" --version || { HV_NOTE="$CHROMIUM --version fails"; return 1; }; }
# hv_pg_bin_dir: prints the directory of initdb and postgres (PG_BIN_DIR, or found as above).
hv_pg_bin_dir() {
  local dir
  if [ -n "$PG_BIN_DIR" ]; then printf '%s\n' "$PG_BIN_DIR"; return 0; fi
  if dir=$(command -v initdb 2>/dev/null); then printf '%s\n' "${dir%/*}"; return 0; fi
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    [ -x "$dir/initdb" ] && { printf '%s\n' "$dir"; return 0; }
  done
  return 1
}
tool_postgresql() {
  local dir
  dir=$(hv_pg_bin_dir) || { HV_NOTE="initdb is neither on PATH nor in /usr/lib/postgresql/*/bin"; return 1; }
  hv_runs "$dir/initdb" --version && hv_runs "$dir/postgres" --version || { HV_NOTE="$dir/initdb or postgres --version fails"; return 1; }
}

# npm projects: installed when `npm ci` ran on exactly the committed lock (stamp in node_modules).
hv_npm_installed() {
  local want have
  want=$(hv_lock_sum "$1/package-lock.json") || { HV_NOTE="$1/package-lock.json unreadable"; return 1; }
  have=$(cat "$HV_ROOT/$1/node_modules/.hookverify-lock.sha256" 2>/dev/null) || have=
  [ "$have" = "$want" ] && return 0
  if [ -z "$have" ]; then HV_NOTE="npm ci in $1: never ran"; else HV_NOTE="npm ci in $1: the lock changed since"; fi
  return 1
}
tool_npm_packages() { hv_npm_installed packages/npm; }
tool_npm_test_packages() { hv_npm_installed tests/node; }
tool_wasm_opt() { hv_runs "$WASM_OPT" --version || { HV_NOTE="$(hv_rel "$WASM_OPT") does not run: npm binaryen, from packages/npm"; return 1; }; }
tool_napi() { hv_runs "$NAPI" --version || { HV_NOTE="$(hv_rel "$NAPI") does not run: npm @napi-rs/cli, from packages/npm"; return 1; }; }
# The bundlers the packaged tarball is tested with (Next.js, esbuild): scripts/test-package.sh.
tool_npm_bundler_packages() { hv_npm_installed tests/package; }
tool_biome() { hv_runs "$BIOME" --version || { HV_NOTE="$(hv_rel "$BIOME") does not run: npm @biomejs/biome, from tests/node"; return 1; }; }

tool_maturin() {
  local out have
  out=$(hv_out "$MATURIN" --version) || { HV_NOTE="$(hv_rel "$MATURIN") does not run; want $HV_MATURIN_VERSION"; return 1; }
  have=$(hv_field 2 "$out")
  [ "$have" = "$HV_MATURIN_VERSION" ] || { HV_NOTE="$(hv_rel "$MATURIN") is $have, want $HV_MATURIN_VERSION"; return 1; }
}
tool_zig() {
  local out
  out=$(hv_out "$HV_BUILD_VENV/bin/python" -m ziglang version) || { HV_NOTE="ziglang $HV_ZIGLANG_VERSION in $(hv_rel "$HV_BUILD_VENV")"; return 1; }
  [ "$(hv_field 1 "$out")" = "$HV_ZIGLANG_VERSION" ] || { HV_NOTE="zig is $out, want $HV_ZIGLANG_VERSION"; return 1; }
}
tool_auditwheel() {
  local out
  out=$(hv_out "$HV_BUILD_VENV/bin/auditwheel" --version) || { HV_NOTE="auditwheel $HV_AUDITWHEEL_VERSION in $(hv_rel "$HV_BUILD_VENV")"; return 1; }
  [ "$(hv_field 2 "$out")" = "$HV_AUDITWHEEL_VERSION" ] || { HV_NOTE="auditwheel is $(hv_field 2 "$out"), want $HV_AUDITWHEEL_VERSION"; return 1; }
}
# The test venv: installed when pip ran on exactly the current lock (stamp in the venv).
tool_py_test_venv() {
  local want have
  want=$(hv_lock_sum "$(hv_rel "$HV_PY_LOCK")") || { HV_NOTE="$(hv_rel "$HV_PY_LOCK") unreadable"; return 1; }
  have=$(cat "$HV_TEST_VENV/.requirements.sha256" 2>/dev/null) || have=
  hv_runs "$HV_TEST_VENV/bin/python" -c '' || have=
  [ "$have" = "$want" ] || { HV_NOTE="$(hv_rel "$HV_TEST_VENV") from $(hv_rel "$HV_PY_LOCK")"; return 1; }
}

# hv_py_lock_stale: status 0 (with HV_NOTE) when a lock misses a pin it is made from, i.e.
# requirements.txt or HV_MATURIN_VERSION changed and scripts/lock-python.sh was not run since.
hv_py_lock_stale() {
  local line pin lock missing=()
  lock=$(cat "$HV_PY_LOCK" "$HV_BUILD_LOCK" 2>/dev/null) || lock=
  lock=${lock,,}
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    pin=${line//[[:space:]]/}
    [ -n "$pin" ] || continue
    pin=${pin,,}
    pin=${pin//_/-}
    [[ $'\n'$lock == *$'\n'"$pin "* ]] || missing+=("$pin")
  done < <(cat "$HV_PY_REQUIREMENTS" 2>/dev/null; printf '%s\n' "${HV_BUILD_PINS[@]}")
  [ ${#missing[@]} -gt 0 ] || return 1
  HV_NOTE="not in the Python locks: ${missing[*]}; run scripts/lock-python.sh and commit the locks"
}

tool_cargo() { hv_runs cargo --version || { HV_NOTE="install Rust with rustup first"; return 1; }; }
tool_rustup() { hv_runs rustup --version || { HV_NOTE="install Rust with rustup first"; return 1; }; }
tool_wasm32_target() {
  local out
  out=$(hv_out rustup target list --installed) || out=
  [[ $'\n'$out$'\n' == *$'\nwasm32-unknown-unknown\n'* ]] || { HV_NOTE="rustup target wasm32-unknown-unknown"; return 1; }
}
tool_clippy() { hv_runs cargo clippy --version || { HV_NOTE="rustup component clippy"; return 1; }; }
# The fuzz targets (make fuzz, and the smoke run in make test) build with nightly and cargo-fuzz 0.12+.
tool_nightly() { hv_runs cargo +nightly --version || { HV_NOTE="rustup toolchain nightly, for cargo-fuzz"; return 1; }; }
tool_cargo_fuzz() {
  local out
  out=$(hv_out cargo fuzz --version) || out=
  [[ $out =~ cargo-fuzz\ 0\.(1[2-9]|[2-9][0-9])\. ]] || { HV_NOTE="cargo-fuzz 0.12 or later, have ${out:-none}"; return 1; }
}
# The wasm-bindgen CLI must be the exact version bindings/wasm pins for its crate.
hv_wasm_bindgen_version() {
  local out
  out=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p; s/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' \
    "$HV_ROOT/bindings/wasm/Cargo.toml" 2>/dev/null) || return 1
  out=${out%%$'\n'*}
  [ -n "$out" ] && printf '%s\n' "$out"
}
tool_wasm_bindgen() {
  local want out have=none
  want=$(hv_wasm_bindgen_version) || { HV_NOTE="no exact wasm-bindgen pin in bindings/wasm/Cargo.toml"; return 1; }
  if out=$(hv_out "$WASM_BINDGEN" --version); then have=$(hv_field 2 "$out"); fi
  [ "$have" = "$want" ] || { HV_NOTE="$WASM_BINDGEN: want $want, have $have"; return 1; }
}

# --- the install loop's three steps ------------------------------------------------------------
# Mode: HV_DEPS_MODE=check lists what is missing and installs nothing; DEPS_DRY_RUN=1 walks the
# install path but prints each install command instead of running it.

# hv_need TOOL: status 0 when TOOL is missing and this run installs it (the caller does so next);
# status 1 when it is present, or missing in check mode (then it is listed as "missing: TOOL").
hv_need() {
  HV_NOTE=
  if "tool_${1//-/_}"; then return 1; fi
  if [ "${HV_DEPS_MODE:-install}" = check ]; then
    echo "missing: $1 ($HV_NOTE)"
    return 1
  fi
  echo "deps: installing $1 ($HV_NOTE)"
}

# hv_run CMD ARGS...: runs an install command (prints it instead under DEPS_DRY_RUN=1).
hv_run() {
  if [ -n "${DEPS_DRY_RUN:-}" ]; then echo "would run: $*"; else "$@"; fi
}

# hv_cargo_install ARGS...: `cargo install ARGS --locked` (the crate's own Cargo.lock, so every
# machine builds the same tree), and when that fails, once more without --locked. A published lock
# can name a dependency version the registry this machine uses does not carry (wasm-bindgen-cli
# 0.2.130 locks webpki-roots 1.0.11; a mirror had 1.0.10): a fresh resolution still installs it.
hv_cargo_install() {
  if [ -n "${DEPS_DRY_RUN:-}" ]; then
    echo "would run: cargo install $* --locked"
    return 0
  fi
  cargo install "$@" --locked && return 0
  echo "deps: cargo install $1 --locked failed; resolving its dependencies afresh (without --locked)" >&2
  cargo install "$@"
}

# hv_installed TOOL: after an install, status 1 with a message when TOOL is still missing.
hv_installed() {
  [ -n "${DEPS_DRY_RUN:-}" ] && return 0
  HV_NOTE=
  "tool_${1//-/_}" && return 0
  echo "deps: $1 is still missing after its install step: $HV_NOTE" >&2
  return 1
}

# hv_cannot_install TOOL: for tools make deps does not install (the toolchains themselves).
hv_cannot_install() {
  [ -n "${DEPS_DRY_RUN:-}" ] && { echo "would stop: $1 is missing ($HV_NOTE)"; return 0; }
  echo "deps: $1 is missing and make deps does not install it: $HV_NOTE" >&2
  return 1
}
