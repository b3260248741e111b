// Runs the shared suite (suite.mjs) against the wasm backend in headless Chromium:
// a tiny static server on 127.0.0.1 (free port) + playwright-core driving /usr/bin/chromium
// with a fresh profile. Never downloads a browser. Prints each case and "N passed, N failed".
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './backend.mjs';
import { cliDiagnoseReports } from './cli.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Only these trees are served.
const ALLOWED = [
  '/packages/npm/',
  '/tests/node/suite.mjs',
  '/tests/node/malformed.mjs',
  '/tests/node/presets.mjs',
  '/tests/vectors/',
  '/core/src/error.rs',
  '/spec/errors.md',
  '/Cargo.toml',
];
// The CLI's diagnose reports, computed here (Node) and compared in the page byte for byte.
const CLI_REPORTS = JSON.stringify(cliDiagnoseReports());
const TYPES = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.html': 'text/html',
};

const PAGE = `<!doctype html><meta charset="utf-8"><title>hookverify wasm suite</title>
<script type="module">
  const results = [];
  try {
    globalThis.HOOKVERIFY_TEST_PANIC = '1'; // the fault switch: wasm traps, then a fresh instance (malformed.mjs)
    const hv = await import('/packages/npm/browser.mjs');
    const { buildCases } = await import('/tests/node/suite.mjs');
    const load = async (p) => { const r = await fetch('/' + p); if (!r.ok) throw new Error(p + ': ' + r.status); return r.text(); };
    const loadBytes = async (p) => { const r = await fetch('/' + p); if (!r.ok) throw new Error(p + ': ' + r.status); return new Uint8Array(await r.arrayBuffer()); };
    results.push({ name: 'backend is wasm', ok: hv.backend === 'wasm', error: hv.backend });
    const cliReports = await (await fetch('/cli-reports.json')).json();
    for (const c of await buildCases(hv, { load, loadBytes, cliReports })) {
      try { await c.run(); results.push({ name: c.name, ok: true }); }
      catch (e) { results.push({ name: c.name, ok: false, error: String(e && e.stack || e) }); }
    }
  } catch (e) {
    results.push({ name: 'load suite', ok: false, error: String(e && e.stack || e) });
  }
  window.__results = results;
</script>`;

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    return;
  }
  if (url.pathname === '/cli-reports.json') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(CLI_REPORTS);
    return;
  }
  const p = path.posix.normalize(url.pathname);
  if (!ALLOWED.some((a) => (a.endsWith('/') ? p.startsWith(a) : p === a))) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(path.join(ROOT, p));
    res.writeHead(200, { 'content-type': TYPES[path.extname(p)] || 'text/plain; charset=utf-8' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

const profile = await mkdtemp(path.join(tmpdir(), 'hookverify-chromium-'));
let failed = 0;
let passed = 0;
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => Array.isArray(window.__results), null, { timeout: 120000 });
  const results = await page.evaluate(() => window.__results);
  const ua = await page.evaluate(() => navigator.userAgent);
  console.log(`# chromium: ${ua}`);
  for (const r of results) {
    if (r.ok) passed++;
    else failed++;
    console.log(
      `${r.ok ? 'ok' : 'not ok'} - [browser wasm] ${r.name}${r.ok ? '' : `\n  ${r.error.replace(/\n/g, '\n  ')}`}`,
    );
  }
} finally {
  if (context) await context.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
