// The browser debugger (packages/npm/debugger) end to end in headless Chromium (playwright-core,
// /usr/bin/chromium, fresh profile, never a downloaded browser), served by the package's own
// debugger/serve.mjs. Inputs come from tests/vectors/diagnose.json. HOOKVERIFY_SCREENSHOT=1 also
// writes docs/debugger.png (a failing Stripe diagnosis).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './backend.mjs';
import { serve, SERVED } from '../../packages/npm/debugger/serve.mjs';
import { SCHEMES } from '../../packages/npm/index.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const vectors = JSON.parse(await readFile(path.join(ROOT, 'tests/vectors/diagnose.json'), 'utf8'));
const HINT_FIXES = Object.fromEntries(
  [
    ...(await readFile(path.join(ROOT, 'spec/errors.md'), 'utf8')).matchAll(/^\| `([a-z_]+)` \| .* \| ([^|]+) \|$/gm),
  ].map((m) => [m[1], m[2].trim()]),
);
const tc = (id) => vectors.tests.find((t) => t.tcId === id);

let server, origin, profile, context, page;
const served = []; // every request the static server saw
const seen = []; // every request the browser made (any origin)
const consoleErrors = [];

before(async () => {
  server = await serve({ onRequest: (r) => served.push(r) });
  origin = `http://127.0.0.1:${server.address().port}`;
  profile = await mkdtemp(path.join(tmpdir(), 'hookverify-debugger-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
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
  context.on('request', (r) => seen.push({ url: r.url(), method: r.method(), postData: r.postData() }));
  // Anything not for our server is refused (and still recorded above, so the test fails).
  await context.route('**/*', (route) =>
    route
      .request()
      .url()
      .startsWith(origin + '/')
      ? route.continue()
      : route.abort(),
  );
  page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`${origin}/debugger/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60000 });
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** The raw HTTP text of a vector case, as someone would paste it from a request log. */
function rawOf(t, extra = []) {
  const lines = [
    'POST /webhooks HTTP/1.1',
    'Host: api.example.com',
    ...extra,
    ...Object.entries(t.headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\n')}\n\n${t.body}`;
}

async function setSecrets(list) {
  // The page always keeps one field (empty for public-key cases).
  const n = Math.max(list.length, 1);
  while ((await page.locator('#secrets input').count()) < n) await page.click('#add-secret');
  while ((await page.locator('#secrets input').count()) > n) await page.locator('#secrets .icon-button').last().click();
  for (let i = 0; i < n; i++)
    await page
      .locator('#secrets input')
      .nth(i)
      .fill(list[i] ?? '');
}

/** Fills the form for a vector case and returns what the page shows. */
async function diagnoseCase(t, { mode = 'raw', extra } = {}) {
  await page.check(`input[name=mode][value=${mode}]`, { force: true });
  if (mode === 'raw') await page.fill('#raw', rawOf(t, extra));
  else {
    await page.fill(
      '#headers',
      Object.entries(t.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    );
    await page.fill('#body', t.body);
  }
  if (typeof t.scheme === 'object' && t.scheme !== null) {
    await page.selectOption('#scheme', '__custom');
    await page.fill('#spec', JSON.stringify(t.scheme));
  } else await page.selectOption('#scheme', t.scheme ?? '');
  await page.fill('#now', String(t.now));
  await page.fill('#url', t.url ?? '');
  await page.fill('#method', t.method ?? '');
  await page.fill('#public-keys', (t.public_keys ?? []).join('\n'));
  await setSecrets(t.secrets);
  await page.click('button[type=submit]');
  return shown();
}

const byComment = (start) => vectors.tests.find((t) => t.comment.startsWith(start));

async function shown() {
  return page.evaluate(() => ({
    verdict: document.querySelector('#verdict').className,
    title: document.querySelector('#verdict-title').textContent,
    sub: document.querySelector('#verdict-sub').textContent,
    hints: Array.from(document.querySelectorAll('.hint'), (h) => ({
      code: h.querySelector('.hint-code').textContent,
      message: h.querySelector('.hint-message').textContent,
      fix: h.querySelector('.hint-fix').textContent,
    })),
    checks: Array.from(
      document.querySelectorAll('#checks li'),
      (li) => `${li.className} ${li.querySelector('.check-name').textContent}`,
    ),
    event: document.querySelector('#event-block').hidden ? null : document.querySelector('#event').textContent,
    noHint: document.querySelector('#no-hint').hidden ? null : document.querySelector('#no-hint').textContent,
  }));
}

test('a valid request shows valid, the matching secret and the parsed event', async () => {
  const s = await diagnoseCase(tc(1));
  assert.equal(s.verdict, 'verdict valid');
  assert.equal(s.title, 'Valid signature');
  assert.match(s.sub, /standard scheme · secret 0 matched/);
  assert.deepEqual(s.hints, []);
  assert.ok(
    s.checks.every((c) => c.startsWith('ok ')),
    s.checks.join(', '),
  );
  assert.match(s.event, /msg_31.*user\.created.*2023-11-14T22:13:20Z/);
});

test('rotation in the headers-and-body mode, scheme auto-detected: the second secret (index 1) matches', async () => {
  const t = tc(3);
  const s = await diagnoseCase({ ...t, scheme: null }, { mode: 'split' });
  assert.equal(s.verdict, 'verdict valid');
  assert.match(s.sub, /stripe scheme \(detected\) · secret 1 matched/);
});

test('a re-serialized body shows the body_reserialized hint with its fix', async () => {
  const t = tc(10);
  const s = await diagnoseCase(t);
  assert.equal(s.verdict, 'verdict invalid');
  assert.equal(s.title, 'Invalid signature');
  assert.deepEqual(
    s.hints.map((h) => h.code),
    ['body_reserialized'],
  );
  assert.match(s.hints[0].message, /JSON\.stringify\(value, null, 2\)/);
  assert.equal(s.hints[0].fix, `Fix: ${HINT_FIXES.body_reserialized}`);
  assert.ok(s.checks.includes('fail signature'), s.checks.join(', '));
});

test('a whsec secret read the wrong way shows the secret_encoding hint (standard and stripe)', async () => {
  for (const id of [22, 24]) {
    const t = tc(id);
    assert.deepEqual(t.hints, ['secret_encoding']);
    const s = await diagnoseCase(t);
    assert.equal(s.verdict, 'verdict invalid', t.comment);
    assert.deepEqual(
      s.hints.map((h) => h.code),
      ['secret_encoding'],
      t.comment,
    );
    assert.equal(s.hints[0].fix, `Fix: ${HINT_FIXES.secret_encoding}`);
  }
});

test('a tampered body: invalid, no confirmed cause, and the page says so', async () => {
  const s = await diagnoseCase(tc(42));
  assert.equal(s.verdict, 'verdict invalid');
  assert.deepEqual(s.hints, []);
  assert.match(s.noHint, /No cause confirmed/);
});

test('a Content-Length that disagrees with the pasted body is pointed out; a bad custom spec is an error, not a crash', async () => {
  const t = tc(16); // signed LF, given CRLF (custom spec)
  await diagnoseCase(t, { extra: ['Content-Length: 999'] });
  assert.match(await page.textContent('#problems'), /Content-Length says 999 bytes but the body here has \d+/);
  await page.fill('#spec', '{"name": "acme",');
  await page.click('button[type=submit]');
  const s = await shown();
  assert.equal(s.title, 'Cannot diagnose');
  assert.match(s.sub, /JSON/);
  await page.fill('#spec', '{"name": "acme"}');
  await page.click('button[type=submit]');
  assert.match((await shown()).sub, /signature_header/, 'the core says what the spec lacks');
});

test('a URL-signed request verified with the wrong URL is explained as wrong_url (square, hubspot)', async () => {
  for (const start of ['square: the receiver verified with http', 'hubspot: the receiver added the port']) {
    const t = byComment(start);
    const s = await diagnoseCase(t);
    assert.equal(s.verdict, 'verdict invalid', t.comment);
    assert.deepEqual(
      s.hints.map((h) => h.code),
      ['wrong_url'],
      t.comment,
    );
    assert.match(s.hints[0].message, /verifies with the URL/);
    assert.equal(s.hints[0].fix, `Fix: ${HINT_FIXES.wrong_url}`);
    // The URL the hint names verifies.
    const right = s.hints[0].message.match(/the URL "([^"]+)"/)[1];
    const fixed = await diagnoseCase({ ...t, url: right });
    assert.equal(fixed.verdict, 'verdict valid', `${t.comment}: ${right}`);
  }
});

test("a discord request with another application's public key is explained as wrong_public_key", async () => {
  const good = byComment('discord: valid Ed25519');
  let s = await diagnoseCase(good);
  assert.equal(s.verdict, 'verdict valid');
  assert.match(s.sub, /discord scheme · public key 0 matched/);
  const t = byComment('discord: the public key of another application');
  s = await diagnoseCase(t);
  assert.equal(s.verdict, 'verdict invalid');
  assert.deepEqual(
    s.hints.map((h) => h.code),
    ['wrong_public_key'],
  );
  assert.equal(s.hints[0].fix, `Fix: ${HINT_FIXES.wrong_public_key}`);
  // And SendGrid's body with its signed trailing CRLF stripped.
  const sg = byComment('sendgrid: the receiver stripped');
  s = await diagnoseCase(sg);
  assert.deepEqual(
    s.hints.map((h) => h.code),
    ['body_line_endings'],
  );
  assert.match(s.hints[0].message, /CRLF/);
});

test('the sample generator signs a request (every preset) that the page itself verifies; copy as curl', async () => {
  await page.click('#sample-card summary');
  const schemes = await page.locator('#sample-scheme option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(schemes, [...SCHEMES], 'every preset, as the core lists them');
  for (const scheme of schemes) {
    const before = await page.evaluate(() => document.body.dataset.generated ?? '0');
    await page.selectOption('#sample-scheme', scheme);
    await page.click('#generate');
    await page.waitForFunction((b) => (document.body.dataset.generated ?? '0') !== b, before);
    if (scheme === 'mailgun') {
      // Its signature is in the body: sign refuses it, and the page says why.
      assert.match(await page.textContent('#copy-status'), /mailgun: .*body/);
      continue;
    }
    const s = await shown();
    assert.equal(s.verdict, 'verdict valid', `${scheme}: ${JSON.stringify(s)}`);
    assert.match(s.sub, new RegExp(`^${scheme} scheme · (secret|public key) 0 matched`));
    const curl = await page.textContent('#curl');
    const raw = await page.inputValue('#raw');
    const body = raw.slice(raw.indexOf('\n\n') + 2);
    assert.ok(curl.startsWith("curl -X POST 'http://localhost:3000/webhooks'"), curl);
    assert.ok(curl.endsWith(`--data-binary '${body.replace(/'/g, `'\\''`)}'`), curl);
    for (const line of raw.slice(0, raw.indexOf('\n\n')).split('\n').slice(2))
      assert.ok(curl.includes(`-H '${line}'`), `${scheme}: ${line}`);
  }
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await page.click('#copy-curl');
  await page.waitForFunction(() => document.querySelector('#copy-status').textContent !== '');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.textContent('#curl'));
});

test('screenshot of a failing Stripe diagnosis (docs/debugger.png with HOOKVERIFY_SCREENSHOT=1)', async () => {
  await page.evaluate(() => document.querySelector('#sample-card').removeAttribute('open'));
  const t = tc(12); // Stripe signed Python json.dumps output; the app re-serialized it compactly
  await page.check('#show-secrets');
  const s = await diagnoseCase(t, {
    extra: [
      'User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'Content-Type: application/json; charset=utf-8',
    ],
  });
  assert.deepEqual(
    s.hints.map((h) => h.code),
    ['body_reserialized'],
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  const out = path.join(profile, 'debugger.png');
  await page.screenshot({ path: out, fullPage: true });
  if (process.env.HOOKVERIFY_SCREENSHOT === '1') await copyFile(out, path.join(ROOT, 'docs/debugger.png'));
  await page.uncheck('#show-secrets');
});

test('screenshot of a wrong-URL diagnosis (target/screenshots/debugger-wrong-url.png)', async () => {
  const t = byComment('square: behind a proxy');
  const s = await diagnoseCase(t, { extra: ['Content-Type: application/json'] });
  assert.deepEqual(
    s.hints.map((h) => h.code),
    ['wrong_url'],
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  await mkdir(path.join(ROOT, 'target/screenshots'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'target/screenshots/debugger-wrong-url.png'), fullPage: true });
});

test("no network request but the page's own static files; nothing stored; no console errors", async () => {
  assert.ok(seen.length >= 5, `requests: ${seen.length}`);
  for (const r of seen) {
    assert.ok(r.url.startsWith(origin + '/'), `request to another origin: ${r.url}`);
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.equal(r.postData, null, r.url);
    const p = new URL(r.url).pathname;
    assert.ok(
      SERVED.some((s) => (s.endsWith('/') ? p.startsWith(s) : p === s)),
      `not a static file of the page: ${p}`,
    );
  }
  for (const r of served) assert.equal(r.status, 200, `${r.method} ${r.path} -> ${r.status}`);
  const secrets = vectors.tests.flatMap((t) => t.secrets).filter((s) => s.length >= 6);
  for (const r of [...seen.map((x) => x.url), ...served.map((x) => x.path)]) {
    for (const s of secrets) assert.ok(!r.includes(s) && !r.includes(encodeURIComponent(s)), `a secret in ${r}`);
  }
  const stored = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    cookies: document.cookie,
    idb: indexedDB.databases ? (await indexedDB.databases()).length : 0,
    caches: (await caches.keys()).length,
  }));
  assert.deepEqual(stored, { local: 0, session: 0, cookies: '', idb: 0, caches: 0 });
  assert.deepEqual((await context.cookies()).length, 0);
  assert.deepEqual(consoleErrors, []);
});
