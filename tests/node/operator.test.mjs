// `hookverify serve`'s operator address (issue 21, parts 4 and 5), end to end: a real daemon with an
// SQLite inbox, deliveries signed with node:crypto, the JSON API and /metrics behind the token, and
// the message log page in headless Chromium (/usr/bin/chromium, fresh profile, never a downloaded
// browser): list, filter, details, replay — with every request the browser makes checked to stay on
// the operator origin, and a hostile body shown as text. Screenshots go to target/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './backend.mjs';
import { CLI, ensureCli } from './cli.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SECRET = 'reflex-operator-secret';
const TOKEN = 'operator-token-0123456789abcdef';
const SHOTS = path.join(ROOT, 'target/screenshots');
const HOSTILE = '<img src=x onerror="window.__xss=1">';

let dir, daemon, hooksUrl, origin, profile, context, page;
const log = [];
const seen = [];
const consoleErrors = [];

function signed(id, type) {
  const body = JSON.stringify({ id, type, data: { n: 1 } });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-reflex-signature': crypto.createHmac('sha256', SECRET).update(body).digest('hex'),
    },
  };
}

/** Resolves with the first captured group of the first log line matching `re`. */
function waitForLog(re, ms = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no log line ${re} in:\n${log.join('')}`)), ms);
    const check = () => {
      const m = log.join('').match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      } else setTimeout(check, 20);
    };
    check();
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const api = async (p, init = {}) => {
  const res = await fetch(origin + p, { ...init, headers: { ...auth, ...(init.headers || {}) } });
  return { status: res.status, headers: res.headers, json: await res.json() };
};

async function until(what, f, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  ensureCli();
  dir = await mkdtemp(path.join(tmpdir(), 'hookverify-operator-'));
  await writeFile(
    path.join(dir, 'hookverify.toml'),
    `listen = "127.0.0.1:0"
inbox = "inbox.db"

[retry]
max_attempts = 1
initial_backoff_seconds = 1

[operator]
listen = "127.0.0.1:0"
token_env = "HV_OPERATOR_TOKEN"

[[provider]]
name = "reflex"
scheme = { name = "reflex", signature_header = "X-Reflex-Signature" }
secrets_env = "HV_REFLEX_SECRETS"

[[function]]
provider = "reflex"
path = "hooks"
types = ["good.*"]
run = ["sh", "-c", "cat > /dev/null"]

[[function]]
provider = "reflex"
path = "hooks"
types = ["bad.*"]
run = ["sh", "-c", "cat > /dev/null; echo deploy broke >&2; exit 3"]
`,
  );
  daemon = spawn(CLI, ['serve', '--config', path.join(dir, 'hookverify.toml')], {
    env: { ...process.env, HV_OPERATOR_TOKEN: TOKEN, HV_REFLEX_SECRETS: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout.on('data', (d) => log.push(String(d)));
  daemon.stderr.on('data', (d) => log.push(String(d)));
  hooksUrl = `${await waitForLog(/serving on (http:\/\/127\.0\.0\.1:\d+)/)}/hooks`;
  origin = await waitForLog(/operator page and \/metrics on (http:\/\/127\.0\.0\.1:\d+)\//);

  for (const [id, type] of [
    ['evt_good', 'good.created'],
    ['evt_bad', 'bad.created'],
  ]) {
    const { body, headers } = signed(id, type);
    const res = await fetch(hooksUrl, { method: 'POST', headers, body });
    assert.equal(res.status, 202, `${id}: ${await res.text()}`);
  }
  const forged = await fetch(hooksUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-reflex-signature': '00'.repeat(32) },
    body: JSON.stringify({ id: 'evt_forged', type: 'good.created', note: HOSTILE }),
  });
  assert.equal(forged.status, 401);
  await until('both events to end', async () => {
    const { json } = await api('/api/deliveries');
    const state = (id) => json.deliveries.find((d) => d.event_id === id)?.state;
    return state('evt_good') === 'done' && state('evt_bad') === 'failed';
  });

  profile = await mkdtemp(path.join(tmpdir(), 'hookverify-operator-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
  context.on('request', (r) => seen.push(r.url()));
  await context.route('**/*', (route) =>
    route.request().url().startsWith(`${origin}/`) ? route.continue() : route.abort(),
  );
  page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await context?.close();
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
  if (profile) await rm(profile, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('every route but the page needs the token; the page forbids external requests', async () => {
  for (const p of ['/metrics', '/api/deliveries', '/api/deliveries/1']) {
    const res = await fetch(origin + p);
    assert.equal(res.status, 401, p);
    const wrong = await fetch(origin + p, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    assert.equal(wrong.status, 401, p);
    assert.ok(!(await wrong.text()).includes(TOKEN));
  }
  assert.equal((await fetch(`${origin}/api/deliveries/1/replay`, { method: 'POST' })).status, 401);
  const pageRes = await fetch(`${origin}/`);
  assert.equal(pageRes.status, 200);
  const csp = pageRes.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.ok(!log.join('').includes(TOKEN), 'the token is never logged');
});

test('the API lists, filters and shows deliveries with their attempts', async () => {
  const { json } = await api('/api/deliveries');
  assert.deepEqual(json.deliveries.map((d) => d.verdict).sort(), ['accepted', 'accepted', 'no_matching_signature']);
  const failed = await api('/api/deliveries?status=failed');
  assert.deepEqual(
    failed.json.deliveries.map((d) => d.event_id),
    ['evt_bad'],
  );
  assert.equal((await api('/api/deliveries?status=nonsense')).status, 400);
  const bad = await api('/api/deliveries/evt_bad');
  assert.equal(bad.json.event_type, 'bad.created');
  assert.equal(bad.json.attempts.length, 1);
  assert.equal(bad.json.attempts[0].ok, false);
  assert.match(bad.json.body, /"evt_bad"/);
  assert.ok(bad.json.headers.some(([n]) => n === 'x-reflex-signature'));
  assert.equal((await api('/api/deliveries/evt_nope')).status, 404);
});

test('/metrics counts the answers and the runs, in the Prometheus text format', async () => {
  const res = await fetch(`${origin}/metrics`, { headers: auth });
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /^hookverify_deliveries_total\{provider="reflex",outcome="accepted"\} 2$/m);
  assert.match(
    text,
    /^hookverify_deliveries_total\{provider="reflex",outcome="rejected",code="no_matching_signature"\} 1$/m,
  );
  assert.match(text, /^hookverify_handler_runs_total\{provider="reflex",outcome="done"\} 1$/m);
  assert.match(text, /^hookverify_handler_runs_total\{provider="reflex",outcome="dead_letter"\} 1$/m);
});

test('the page: token, list, filter, details, replay; nothing leaves the origin', async () => {
  await page.goto(`${origin}/`);
  await page.fill('#token', TOKEN);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#rows tr');
  assert.equal(await page.locator('#rows tr').count(), 3);
  await page.screenshot({ path: path.join(SHOTS, 'operator-list.png') });

  // The forged delivery's hostile body is shown as text: no element, no script run, no request.
  await page.locator('#rows tr', { hasText: 'no_matching_signature' }).click();
  await page.waitForSelector('#details-body:not([hidden])');
  assert.match(await page.textContent('#d-body'), /onerror/);
  assert.equal(await page.locator('#d-body img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.isHidden('#replay'), true, 'a refused delivery cannot be replayed');

  await page.selectOption('#status', 'failed');
  await page.click('#filters button[type=submit]');
  await until('the failed filter', async () => (await page.locator('#rows tr').count()) === 1);
  await page.locator('#rows tr').first().click();
  await page.waitForFunction(() => document.getElementById('d-title').textContent.includes('evt_bad'));
  assert.match(await page.textContent('#d-attempts'), /failed/);
  await page.screenshot({ path: path.join(SHOTS, 'operator-failed.png') });
  await page.click('#replay');
  await page.waitForSelector('#replay-note:not([hidden])');
  assert.match(await page.textContent('#replay-note'), /a function failed/);
  assert.equal(await page.locator('#d-attempts tr').count(), 2, 'the replay is a new attempt');

  await page.selectOption('#status', 'done');
  await page.click('#filters button[type=submit]');
  await until('the done filter', async () => (await page.locator('#rows tr').count()) === 1);
  await page.locator('#rows tr').first().click();
  await page.waitForFunction(() => document.getElementById('d-title').textContent.includes('evt_good'));
  await page.click('#replay');
  await page.waitForSelector('#replay-note:not([hidden])');
  assert.match(await page.textContent('#replay-note'), /every function succeeded/);
  await page.screenshot({ path: path.join(SHOTS, 'operator-replayed.png') });
  const good = await api('/api/deliveries/evt_good');
  assert.deepEqual(
    good.json.attempts.map((a) => a.ok),
    [true, true],
  );

  assert.deepEqual(
    seen.filter((u) => !u.startsWith(`${origin}/`)),
    [],
  );
  assert.deepEqual(consoleErrors, []);
});
