#!/usr/bin/env bash
# The npm package's suite: tsc on the type declarations, then ONE node:test suite against the
# native addon and against wasm (verification vectors, interop, package, Express over loopback HTTP,
# RedisStore on a real redis-server (native), the Express example, the README's ## Node snippets),
# then the shared suite in headless Chromium (wasm), then the browser debugger end to end (Chromium).
# Exits non-zero if any part failed; each runner prints its own summary.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps-node.sh || exit 1
source scripts/lib/tools.sh
# The browser runs drive the chromium that deps-check probes (CHROMIUM, default `chromium` on PATH).
if ! CHROMIUM=$(command -v "$CHROMIUM"); then echo "node: chromium is missing (make deps installs it)"; exit 1; fi
export CHROMIUM
# Build when an artifact is missing or older than the sources it is made from.
addon=packages/npm/hookverify.linux-x64-gnu.node
if [ ! -f "$addon" ] || [ ! -f packages/npm/wasm/node/hookverify_wasm_bg.wasm ] || [ ! -f packages/npm/lib/api.mjs ] || [ ! -f packages/npm/lib/fetch.mjs ] \
   || [ -n "$(find core/src core/presets bindings/node bindings/wasm packages/npm/lib -newer "$addon" -type f ! -name api.mjs ! -name fetch.mjs -print -quit)" ]; then
  scripts/build-npm.sh || exit 1
fi
cd tests/node
failed=()
echo "== tsc --noEmit (index.d.ts usage)"
if npx --no-install tsc -p tsconfig.json; then echo "tsc: 1 passed, 0 failed"; else echo "tsc: 0 passed, 1 failed"; failed+=(tsc); fi
for backend in native wasm; do
  echo "== node --test, HOOKVERIFY_BACKEND=$backend"
  HOOKVERIFY_BACKEND=$backend node --test --test-reporter=./summary-reporter.mjs --test-reporter-destination=stdout \
    vectors.test.mjs interop.test.mjs package.test.mjs \
    express.test.mjs identity.test.mjs redis.test.mjs redis-stall.test.mjs example.test.mjs readme.test.mjs panic.test.mjs fast.test.mjs strict.test.mjs \
    reject-logs.test.mjs max-event-age.test.mjs rotation.test.mjs receiver-decisions.test.mjs camel-case.test.mjs \
    body-hint.test.mjs fetch.test.mjs fastify.test.mjs nest.test.mjs custom-store.test.mjs metrics.test.mjs handshakes.test.mjs url-signed.test.mjs asymmetric-interop.test.mjs inbox-api.test.mjs preset-aliases.test.mjs sign-keys.test.mjs || failed+=("node-$backend")
done
echo "== headless Chromium (wasm)"
node browser.mjs > /tmp/hookverify-browser-$$.log 2>&1; rc=$?
grep -v '^ok ' /tmp/hookverify-browser-$$.log; rm -f /tmp/hookverify-browser-$$.log
[ $rc -eq 0 ] || failed+=(browser)
echo "== debugger page and serve's operator page in headless Chromium"
SUMMARY_LABEL=debugger node --test --test-reporter=./summary-reporter.mjs --test-reporter-destination=stdout debugger.test.mjs debugger-serve.test.mjs operator.test.mjs || failed+=(debugger)
if [ ${#failed[@]} -gt 0 ]; then echo "node: FAILED: ${failed[*]}"; exit 1; fi
echo "node: all runs passed"
