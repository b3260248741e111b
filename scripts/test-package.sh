#!/usr/bin/env bash
# The published artifacts, installed and used the way a user would, outside the source tree:
#   - `make package` (scripts/package.sh) builds dist/ (release builds, no test hooks);
#   - the names the READMEs' Install sections give exist in dist/, and the install commands there run;
#   - the wheel is manylinux_2_17 (auditwheel show) and the addon needs no glibc newer than 2.17;
#   - a fresh npm project installs the tarball: `require` and `import` (native backend), wasm too;
#   - a fresh venv installs the wheel: the extension loads from site-packages and verifies;
#   - a fresh cargo project depends on the packaged crate and verifies;
#   - none of them exposes the deliberate-panic test hooks (while the in-tree test builds do);
#   - bundlers: esbuild (platform node) and a real `next build` + `next start` of a Next.js App Router
#     app with no Next config (route handlers on the node and the edge runtime; Turbopack, Next's
#     default, and webpack), each verifying a delivery signed with node:crypto;
#   - hookverify/fetch from the installed tarball on real runtimes, each serving loopback HTTP: Bun
#     and Deno (native addon), workerd through miniflare (an esbuild Worker bundle, wasm, handlers
#     in ctx.waitUntil), and Next.js route handlers exported as `POST = webhooks(...)`.
# Prints `package: N passed, N failed`; exits non-zero if any check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
passed=0
failed=0
failures=()
log=$(mktemp)
# The fresh npm project, venv and cargo project live outside the checkout; the Next app lives under
# tests/package/.work so that next, react and react-dom resolve from tests/package/node_modules.
work=$(mktemp -d)
next_work=$root/tests/package/.work
cleanup() {
  rm -rf "$log" "$work"
}
trap cleanup EXIT

# check NAME CMD...: runs CMD in a subshell, counts it, shows its output when it fails.
check() {
  local name=$1
  shift
  if ("$@") >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
    grep '^ok ' "$log" | sed 's/^/       /'
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL $name"
    tail -n 40 "$log" | sed 's/^/       /'
  fi
}
# A loopback port nothing listens on right now.
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
summary() {
  echo "package: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] || { echo "failed: ${failures[*]}"; exit 1; }
  exit 0
}

scripts/deps.sh || exit 1
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
tgz=$root/dist/hookverify-$version.tgz
whl=$root/dist/hookverify-$version-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
crate=$root/dist/hookverify-$version.crate

echo "== make package"
check "make package builds dist/" scripts/package.sh
if [ ! -f "$tgz" ] || [ ! -f "$whl" ] || [ ! -f "$crate" ]; then
  failed=$((failed + 1))
  failures+=("dist/ has the tarball, the manylinux_2_17 wheel and the crate")
  ls -l dist/ 2>&1
  summary
fi
rm -rf "$next_work"
mkdir -p "$next_work"

# The Install sections name these exact files, and their commands are what the checks below run.
readme_names() {
  for f in README.md packages/npm/README.md packages/python/README.md; do
    grep -o '/path/to/hookverify/[^ `"]*' "$root/$f"
  done | sort -u
}
readme_files_exist() {
  local n=0
  for p in $(readme_names); do
    local real=$root/${p#/path/to/hookverify/}
    [ -e "$real" ] || { echo "README names $p, but $real does not exist"; return 1; }
    n=$((n + 1))
  done
  [ "$n" -ge 3 ] || { echo "the READMEs name only $n checkout paths (tarball, wheel, core/)"; return 1; }
  grep -q '"hookverify"' <(sed -n 's/^name = //p' "$root/core/Cargo.toml") || { echo "core/ is not the hookverify crate"; return 1; }
  echo "ok the READMEs' install paths exist: $(readme_names | tr '\n' ' ')"
}
check "README Install sections name the files make package writes" readme_files_exist
# The README's install command starting with $1 (root README, else $2), with this checkout's path
# and without its comment.
readme_command() {
  grep -h "^$1 /path/to/hookverify/" "$root/README.md" "$root/$2" | head -n1 | sed -e 's/ *#.*//' -e "s|/path/to/hookverify|$root|"
}

echo "== manylinux"
wheel_is_manylinux_2_17() {
  local report
  report=$(.venv-build/bin/auditwheel show "$whl") || return 1
  echo "$report"
  tr -s '\n ' '  ' <<<"$report" | grep >/dev/null 'consistent with the following platform tag: "manylinux_2_17_x86_64"' || return 1
  echo "ok auditwheel: manylinux_2_17_x86_64"
}
check "the wheel is manylinux_2_17 (auditwheel show)" wheel_is_manylinux_2_17
# Highest GLIBC_x.y symbol version a shared object needs.
max_glibc() { objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1; }
addon_glibc() {
  local dir=$work/tgz
  mkdir -p "$dir" && tar -C "$dir" -xzf "$tgz" || return 1
  local need
  need=$(max_glibc "$dir/package/hookverify.linux-x64-gnu.node")
  [ "$(printf '%s\n2.17\n' "$need" | sort -V | tail -n1)" = 2.17 ] || { echo "the addon needs GLIBC_$need"; return 1; }
  echo "ok the native addon needs at most GLIBC_$need"
}
check "the npm addon needs glibc <= 2.17" addon_glibc

echo "== npm: a fresh project installs the tarball"
app=$work/npm-app
npm_install_tarball() {
  mkdir -p "$app" && cd "$app" || return 1
  npm init -y >/dev/null || return 1
  local cmd
  cmd=$(readme_command 'npm install' packages/npm/README.md)
  [ -n "$cmd" ] || { echo "no 'npm install /path/to/hookverify/dist/…' line in the READMEs"; return 1; }
  echo "+ $cmd"
  $cmd --no-audit --no-fund --loglevel=error || return 1
  [ -f node_modules/hookverify/hookverify.linux-x64-gnu.node ] && [ ! -L node_modules/hookverify ] || return 1
  echo "ok $cmd"
}
check "npm install of the tarball (the README's command)" npm_install_tarball
cp tests/package/{sign.cjs,hooks.cjs,smoke.cjs,smoke.mjs,bundle-entry.mjs,fetch-app.mjs,fetch-serve.mjs,fetch-worker.mjs,post-fetch.mjs} "$app/"
in_tree_npm=
[ -f packages/npm/hookverify.linux-x64-gnu.node ] && [ -f packages/npm/wasm/node/hookverify_wasm_bg.wasm ] && in_tree_npm=$root/packages/npm
check "npm: require, native backend, verifies, no test hooks" \
  env -C "$app" HOOKVERIFY_TEST_PANIC=1 IN_TREE_NPM="$in_tree_npm" node smoke.cjs
check "npm: import, native backend, verifies" env -C "$app" HOOKVERIFY_TEST_PANIC=1 node smoke.mjs

echo "== esbuild (platform node)"
esbuild_bundle() {
  cd "$app" || return 1
  "$root/tests/package/node_modules/.bin/esbuild" bundle-entry.mjs --bundle --platform=node --log-level=warning \
    --outfile=out/bundle.cjs || return 1
  ! grep -q 'hookverify_wasm_bg\.wasm"' out/bundle.cjs || { echo "the bundle inlined the wasm loader"; return 1; }
  node out/bundle.cjs
}
check "esbuild bundle runs on the native backend" esbuild_bundle

echo "== hookverify/fetch on Bun, Deno and workerd (the installed tarball)"
bin=$root/tests/package/node_modules/.bin
# fetch_runtime NAME BACKEND CMD...: starts CMD (fetch-serve.mjs) in the app, reads `listening PORT`,
# runs the client, stops the server by pid.
fetch_runtime() {
  local name=$1 backend=$2
  shift 2
  cd "$app" || return 1
  local out=$work/$name.out
  "$@" >"$out" 2>&1 &
  local pid=$! port=
  for _ in $(seq 200); do
    port=$(sed -n 's/^listening //p' "$out")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local rc=0
  if [ -n "$port" ]; then node post-fetch.mjs "http://127.0.0.1:$port" "$backend" "$name" || rc=1; else rc=1; fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ $rc -eq 0 ] || { echo "--- $name output"; cat "$out"; }
  return $rc
}
check "Bun: hookverify/fetch serves signed deliveries (native)" fetch_runtime bun native "$bin/bun" fetch-serve.mjs
check "Deno: hookverify/fetch serves signed deliveries (native)" \
  fetch_runtime deno native env DENO_NO_UPDATE_CHECK=1 DENO_DIR="$work/deno-cache" "$bin/deno" run -A fetch-serve.mjs
workerd_fetch() {
  cd "$app" || return 1
  "$bin/esbuild" fetch-worker.mjs --bundle --format=esm --platform=neutral --conditions=workerd,worker \
    --main-fields=module,main --loader:.wasm=copy --outdir=out/worker --log-level=warning || return 1
  cd "$root/tests/package" && node fetch-workerd.mjs "$app/out/worker" fetch-worker.js "$app/post-fetch.mjs" wasm workerd
}
check "workerd (miniflare): a Worker bundle of hookverify/fetch serves signed deliveries (wasm)" workerd_fetch

echo "== examples/fetch-hosts as written (the README's snippets), from the installed tarball"
export WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw # sign.cjs's secret
cp examples/fetch-hosts/{bun,deno,hono,worker}.mjs tests/package/post-example.mjs "$app/"
# Hono and its Node server come from tests/package's lock, next to the installed hookverify.
mkdir -p "$app/node_modules/@hono"
ln -sfn "$root/tests/package/node_modules/hono" "$app/node_modules/hono"
ln -sfn "$root/tests/package/node_modules/@hono/node-server" "$app/node_modules/@hono/node-server"
# example_server NAME ID CMD...: starts CMD with PORT set, waits for its "listening on" line, posts
# a signed delivery with id ID (post-example.mjs), then waits for the handler's `paid ID` line.
example_server() {
  local name=$1 id=$2
  shift 2
  cd "$app" || return 1
  local out=$work/example-$name.out port
  port=$(free_port)
  PORT=$port "$@" >"$out" 2>&1 &
  local pid=$! rc=1
  for _ in $(seq 200); do
    grep -q 'listening on' "$out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q 'listening on' "$out" && node post-example.mjs "http://127.0.0.1:$port/webhooks" "$id"; then
    for _ in $(seq 50); do
      grep -q "^paid $id\$" "$out" && { rc=0; break; }
      sleep 0.1
    done
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ $rc -eq 0 ] && echo "ok $name: the handler logged paid $id" || { echo "--- $name output"; cat "$out"; }
  return $rc
}
check "examples/fetch-hosts/bun.mjs on Bun" example_server bun msg_ex_bun "$bin/bun" bun.mjs
check "examples/fetch-hosts/deno.mjs on Deno (the permissions its comment gives)" \
  example_server deno msg_ex_deno env DENO_NO_UPDATE_CHECK=1 DENO_DIR="$work/deno-cache" \
  "$bin/deno" run --allow-net --allow-env --allow-read --allow-ffi deno.mjs
check "examples/fetch-hosts/hono.mjs on Node (@hono/node-server)" example_server hono msg_ex_hono node hono.mjs
workerd_example() {
  cd "$app" || return 1
  "$bin/esbuild" worker.mjs --bundle --format=esm --platform=neutral --conditions=workerd,worker \
    --main-fields=module,main --loader:.wasm=copy --outdir=out/example-worker --log-level=warning || return 1
  cd "$root/tests/package" && node fetch-workerd.mjs "$app/out/example-worker" worker.js "$app/post-example.mjs" msg_ex_workerd
}
check "examples/fetch-hosts/worker.mjs in workerd (miniflare, a WEBHOOK_SECRET binding)" workerd_example

echo "== Python: a fresh venv installs the wheel"
venv=$work/venv
pip_install_wheel() {
  python3 -m venv "$venv" || return 1
  local cmd
  cmd=$(readme_command 'pip install' packages/python/README.md)
  [ -n "$cmd" ] || { echo "no 'pip install /path/to/hookverify/dist/…' line in the READMEs"; return 1; }
  echo "+ $cmd"
  # The README's command, run by the venv's pip (offline: the wheel has no dependencies).
  "$venv/bin/python" -m ${cmd/#pip /pip --disable-pip-version-check -q } --no-index || return 1
  echo "ok $cmd"
}
check "pip install of the wheel (the README's command)" pip_install_wheel
in_tree_wheel=$(ls "$root"/target/wheels/hookverify-*.whl 2>/dev/null | head -n1)
check "python: the extension loads from site-packages, verifies, no test hooks" \
  env -C "$work" HOOKVERIFY_TEST_PANIC=1 HOOKVERIFY_ROOT="$root" IN_TREE_WHEEL="$in_tree_wheel" \
  "$venv/bin/python" "$root/tests/package/smoke_wheel.py"

echo "== Rust: a fresh cargo project depends on the packaged crate"
rust_crate() {
  local dir=$work/rust-smoke
  mkdir -p "$dir/vendor" && tar -C "$dir/vendor" -xzf "$crate" || return 1
  cp -r tests/package/rust-smoke/src "$dir/"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "hookverify-smoke"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
hookverify = { path = "vendor/hookverify-$version" }

[workspace]
EOF
  # The workspace's lock pins the same dependency versions, and target/ is the one `cargo package`
  # verified the crate in (hookverify with default features both times): its dependencies are
  # built once.
  cp Cargo.lock "$dir/"
  local body='{"zen":"Keep it logically awesome."}'
  local sig
  sig=sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "It's a Secret to Everybody" -r | cut -d' ' -f1)
  (cd "$dir" && CARGO_TARGET_DIR=$root/target SMOKE_BODY=$body SMOKE_SIGNATURE=$sig cargo run --quiet)
}
check "cargo: a fresh project builds the packaged crate and verifies" rust_crate

echo "== Next.js (App Router route handlers, no Next config)"
next_app=$next_work/next-app
next_install() {
  cp -r tests/package/next-app "$next_app" && cd "$next_app" || return 1
  # The README's route handler as written (node runtime), and the same file with the edge line.
  mkdir -p app/api/webhooks app/api/webhooks-edge
  cp "$root/examples/fetch-hosts/next/app/api/webhooks/route.js" app/api/webhooks/route.js
  { echo "export const runtime = 'edge';"; cat "$root/examples/fetch-hosts/next/app/api/webhooks/route.js"; } >app/api/webhooks-edge/route.js
  # Only hookverify is installed here; next, react and react-dom resolve from tests/package.
  npm install --no-package-lock --no-audit --no-fund --loglevel=error "$tgz" || return 1
  echo "ok npm install $(basename "$tgz") in the Next app"
}
check "Next app installs the tarball" next_install
# next_build_and_serve BUNDLER [flag]: `next build`, `next start` on a free loopback port, signed POSTs.
next_build_and_serve() {
  local label=$1 flag=${2:-}
  cd "$next_app" || return 1
  rm -rf .next
  # Built without WEBHOOK_SECRET, as a CI build often is: the example route makes its receiver lazily.
  env -u WEBHOOK_SECRET NEXT_TELEMETRY_DISABLED=1 "$root/tests/package/node_modules/.bin/next" build $flag || return 1
  local port
  port=$(free_port)
  NEXT_TELEMETRY_DISABLED=1 "$root/tests/package/node_modules/.bin/next" start -H 127.0.0.1 -p "$port" >"$next_work/next-$label.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null' EXIT
  local rc=0
  node "$root/tests/package/post-next.mjs" "http://127.0.0.1:$port" || rc=1
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ $rc -eq 0 ] || { echo "--- next start log"; cat "$next_work/next-$label.log"; }
  return $rc
}
check "Next.js: next build (Turbopack) + next start, node and edge routes verify" next_build_and_serve turbopack
check "Next.js: next build --webpack + next start, node and edge routes verify" next_build_and_serve webpack --webpack

summary
