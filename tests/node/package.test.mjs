// The npm package itself: loader, entry points, exports map, versions, type declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BACKEND, ROOT, hv, hvEsm } from './backend.mjs';

const require = createRequire(import.meta.url);
const pkgDir = path.join(ROOT, 'packages/npm');
const pkg = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));

// The public API is defined once, by lib/api.js's createApi over a backend; each ES module entry
// lists its names again because static named exports need them (Node's CommonJS interop, edge
// bundlers). This keeps those lists, and the declarations, equal to what createApi returns.
const publicNames = Object.keys(hv)
  .filter((k) => !k.startsWith('__'))
  .sort();
const esmEntries = ['index.mjs', 'native.mjs', 'wasm.mjs', 'browser.mjs', 'edge.mjs', 'worker.mjs'];

test(`[${BACKEND}] CommonJS and ES module entries expose the same API`, () => {
  assert.equal(hv.backend, BACKEND);
  assert.equal(hvEsm.backend, BACKEND);
  assert.ok(publicNames.includes('Receiver') && publicNames.length >= 15, publicNames.join());
  for (const k of publicNames) assert.equal(hvEsm[k], hv[k], `esm ${k} is the same object`);
  assert.deepEqual(
    Object.keys(hvEsm)
      .filter((k) => k !== 'default')
      .sort(),
    publicNames,
  );
  assert.equal(hvEsm.default, hv);
});

test('every ES module entry exports exactly the API createApi builds, and index.d.ts declares it', async () => {
  for (const file of esmEntries) {
    const text = await readFile(path.join(pkgDir, file), 'utf8');
    const m = text.match(/^export const \{([^}]*)\} = api;$/m);
    assert.ok(m, `${file}: export const { ... } = api;`);
    const names = m[1]
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .sort();
    assert.deepEqual(names, publicNames, file);
    assert.match(text, /^export default api;$/m, file);
  }
  const dts = await readFile(path.join(pkgDir, 'index.d.ts'), 'utf8');
  for (const k of publicNames) {
    assert.match(dts, new RegExp(`^export declare (class|function|const) ${k}\\b`, 'm'), `index.d.ts declares ${k}`);
  }
});

test('package.json version equals the workspace crate version', async () => {
  const cargo = await readFile(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const m = cargo.match(/\[workspace\.package\][^[]*?version\s*=\s*"([^"]+)"/);
  assert.equal(pkg.version, m[1]);
  assert.equal(hv.version, m[1]);
  const lock = JSON.parse(await readFile(path.join(pkgDir, 'package-lock.json'), 'utf8'));
  assert.equal(lock.version, m[1], 'package-lock.json version');
});

test('napi config and exports map', () => {
  assert.deepEqual(pkg.napi, { binaryName: 'hookverify', targets: ['x86_64-unknown-linux-gnu'] });
  const root = pkg.exports['.'];
  for (const cond of ['types', 'node', 'browser', 'worker', 'workerd', 'default']) assert.ok(cond in root, cond);
  assert.ok(pkg.exports['./wasm'] && pkg.exports['./native']);
  assert.deepEqual(root.node, { import: './index.mjs', require: './index.js' });
  assert.deepEqual(pkg.exports['./express'].node, { import: './express.mjs', require: './express.js' });
  assert.equal(pkg.exports['./express'].types, './express.d.ts');
  assert.deepEqual(pkg.exports['./fetch'], {
    types: './fetch.d.ts',
    node: { import: './fetch.mjs', require: './fetch.js' },
    default: './fetch.mjs',
  });
  assert.deepEqual(pkg.exports['./fastify'].node, { import: './fastify.mjs', require: './fastify.js' });
  assert.deepEqual(pkg.peerDependenciesMeta, { express: { optional: true }, fastify: { optional: true } });
  for (const f of [
    'express.js',
    'express.mjs',
    'express.d.ts',
    'fetch.js',
    'fetch.mjs',
    'fetch.d.ts',
    'fastify.js',
    'fastify.mjs',
    'fastify.d.ts',
    'lib/',
  ])
    assert.ok(pkg.files.includes(f), `files has ${f}`);
});

test('npm pack ships the express and fetch entries, the pipeline and both backends', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = JSON.parse(r.stdout)[0].files.map((f) => f.path);
  for (const f of [
    'express.js',
    'express.mjs',
    'express.d.ts',
    'lib/api.js',
    'lib/api.mjs',
    'lib/pipeline.js',
    'lib/express.js',
    'fetch.js',
    'fetch.mjs',
    'fetch.d.ts',
    'lib/fetch.js',
    'lib/fetch.mjs',
    'fastify.js',
    'fastify.mjs',
    'fastify.d.ts',
    'lib/fastify.js',
    'README.md',
    'hookverify.linux-x64-gnu.node',
    'wasm/node/hookverify_wasm_bg.wasm',
    'wasm/web/hookverify_wasm_bg.wasm',
    'debugger/index.html',
    'debugger/app.mjs',
    'debugger/request.mjs',
    'debugger/style.css',
    'debugger/serve.mjs',
  ]) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
});

test('default entry on Node loads the native addon', () => {
  assert.equal(require('hookverify').backend, 'native');
});

test('default entry falls back to wasm when the native addon cannot load', () => {
  const preload = "require('module')._extensions['.node'] = () => { throw new Error('simulated: no addon'); };";
  const r = spawnSync(
    process.execPath,
    ['-e', `${preload} const h = require('hookverify'); console.log(h.backend, h.version);`],
    {
      cwd: path.join(ROOT, 'tests/node'),
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `wasm ${pkg.version}`);
});

test('hookverify/native reports a missing addon clearly', () => {
  const preload = "require('module')._extensions['.node'] = () => { throw new Error('simulated: no addon'); };";
  const r = spawnSync(process.execPath, ['-e', `${preload} require('hookverify/native')`], {
    cwd: path.join(ROOT, 'tests/node'),
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no native addon/);
});

test('index.d.ts lists exactly the ERROR_CODES', async () => {
  const dts = await readFile(path.join(pkgDir, 'index.d.ts'), 'utf8');
  const union = dts.match(/export type ErrorCode =([^;]+);/)[1];
  const codes = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
  assert.deepEqual(codes, [...hv.ERROR_CODES]);
});

test('build outputs are ignored, not committed', async () => {
  const ignore = await readFile(path.join(pkgDir, '.gitignore'), 'utf8');
  for (const p of ['*.node', 'wasm/', 'node_modules/']) assert.ok(ignore.includes(p), p);
});
