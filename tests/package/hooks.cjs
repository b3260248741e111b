// What of the test-only fault switch (cargo feature `test-hooks`) an installed npm package exposes:
// the `__panicForTests` API, the raw `panicForTests` export of the native addon and of both wasm
// builds, and the switch's panic message inside the binaries. [] means none.
const fs = require('node:fs');
const path = require('node:path');

const MARKERS = ['deliberate panic', 'HOOKVERIFY_TEST_PANIC'];

function hooksIn(pkgDir, apis) {
  const found = [];
  for (const [label, api] of Object.entries(apis)) if ('__panicForTests' in api) found.push(`${label}.__panicForTests`);
  const addons = fs.readdirSync(pkgDir).filter((f) => f.endsWith('.node'));
  if (addons.length === 0) throw new Error(`no native addon in ${pkgDir}`);
  for (const f of addons) {
    const raw = require(path.join(pkgDir, f));
    if (typeof raw.version !== 'function') throw new Error(`${f} does not look like the addon`);
    if ('panicForTests' in raw) found.push(`${f}: panicForTests`);
  }
  for (const t of ['node', 'web']) {
    const file = path.join(pkgDir, 'wasm', t, 'hookverify_wasm_bg.wasm');
    const names = WebAssembly.Module.exports(new WebAssembly.Module(fs.readFileSync(file))).map((e) => e.name);
    if (!names.includes('version')) throw new Error(`${file} does not look like the wasm build`);
    found.push(...names.filter((n) => /panic_?for_?tests/i.test(n)).map((n) => `wasm/${t}: export ${n}`));
    const glue = fs.readFileSync(path.join(pkgDir, 'wasm', t, 'hookverify_wasm.js'), 'utf8');
    if (glue.includes('panicForTests')) found.push(`wasm/${t}/hookverify_wasm.js: panicForTests`);
  }
  for (const f of [...addons, 'wasm/node/hookverify_wasm_bg.wasm', 'wasm/web/hookverify_wasm_bg.wasm']) {
    const bytes = fs.readFileSync(path.join(pkgDir, f));
    for (const m of MARKERS) if (bytes.includes(m)) found.push(`${f}: "${m}"`);
  }
  return found;
}

module.exports = { hooksIn };
