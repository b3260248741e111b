// The inbox from Node (issue 21, part 3): `openInbox` on the SQLite inbox a real `hookverify serve`
// filled with Standard Webhooks deliveries signed here with node:crypto (one function failing on
// purpose), then list with filters, show by record id and by event id (the same record as
// `hookverify inbox show --json`, keys camelCase), and replay: a handler that succeeds (done, a new
// attempt), one that throws (failed, its message recorded), a replay of an event another replay
// holds (a typed error), an unknown id (null / a typed error). On wasm openInbox is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BACKEND, hv } from './backend.mjs';
import { CLI, ensureCli } from './cli.mjs';

const KEY = crypto.randomBytes(24);
const SECRET = `whsec_${KEY.toString('base64')}`;
const native = BACKEND === 'native';

let dir, daemon;
const log = [];

/** A Standard Webhooks delivery of `body` as event `id`, signed with node:crypto. */
function signed(id, body, key = KEY) {
  const ts = String(Math.floor(Date.now() / 1000));
  const mac = crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': ts,
    'webhook-signature': `v1,${mac}`,
    authorization: 'Bearer do-not-store',
  };
}

async function until(what, f, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** snake_case keys (the CLI's JSON) → camelCase (the JS API's), recursively; arrays keep their values' keys. */
function camel(v) {
  if (Array.isArray(v)) return v.map(camel);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()), camel(x)]),
  );
}

function cliShow(id) {
  const r = spawnSync(CLI, ['inbox', 'show', String(id), '--json', '--config', path.join(dir, 'hookverify.toml')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  if (!native) return;
  ensureCli();
  dir = await mkdtemp(path.join(tmpdir(), 'hookverify-inbox-api-'));
  await writeFile(
    path.join(dir, 'hookverify.toml'),
    `listen = "127.0.0.1:0"
inbox = "inbox.db"

[retry]
max_attempts = 1
initial_backoff_seconds = 1

[[provider]]
name = "standard"
scheme = "standard"
secrets_env = "HV_STANDARD_SECRETS"

[[function]]
provider = "standard"
path = "hooks"
run = ["./fn.sh"]
`,
  );
  // Fails (exit 3) when the body says so: one event ends failed.
  await writeFile(
    path.join(dir, 'fn.sh'),
    '#!/bin/sh\ncase "$(cat)" in *fail*) echo "deploy broke" >&2; exit 3 ;; esac\n',
  );
  await chmod(path.join(dir, 'fn.sh'), 0o755);
  daemon = spawn(CLI, ['serve', '--config', path.join(dir, 'hookverify.toml')], {
    cwd: dir,
    env: { ...process.env, HV_STANDARD_SECRETS: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout.on('data', (d) => log.push(String(d)));
  daemon.stderr.on('data', (d) => log.push(String(d)));
  const url = `${(await until('serve to listen', () => log.join('').match(/serving on (http:\/\/127\.0\.0\.1:\d+)/)))[1]}/hooks`;
  for (const [id, body] of [
    ['evt_ok', '{"type":"order.paid","say":"fine"}'],
    ['evt_fail', '{"type":"order.paid","say":"fail"}'],
  ]) {
    const res = await fetch(url, { method: 'POST', headers: signed(id, body), body });
    assert.equal(res.status, 202, `${id}: ${await res.text()}`);
  }
  const forged = await fetch(url, {
    method: 'POST',
    headers: signed('evt_forged', '{}', crypto.randomBytes(24)),
    body: '{}',
  });
  assert.equal(forged.status, 401);
  const inbox = await hv.openInbox(path.join(dir, 'inbox.db'));
  await until('both events to end', async () => {
    const state = async (id) => (await inbox.show(id))?.state;
    return (await state('evt_ok')) === 'done' && (await state('evt_fail')) === 'failed';
  });
  // The replays below run here, not in serve.
  daemon.kill('SIGKILL');
  await new Promise((r) => daemon.once('exit', r));
});

after(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

test(`[${BACKEND}] openInbox needs the native addon; a missing file is inbox_unavailable and not created`, async () => {
  if (!native) {
    await assert.rejects(
      hv.openInbox('inbox.db'),
      (e) => e instanceof hv.HookverifyError && e.code === 'invalid_argument' && /native addon/.test(e.message),
    );
    return;
  }
  const missing = path.join(dir, 'nothing-here.db');
  await assert.rejects(hv.openInbox(missing), (e) => e instanceof hv.HookverifyError && e.code === 'inbox_unavailable');
  assert.equal(spawnSync('test', ['-e', missing]).status, 1, 'the missing file was not created');
  await assert.rejects(hv.openInbox(42), (e) => e.code === 'invalid_argument');
  await assert.rejects(hv.openInbox('postgres://'), (e) => e instanceof hv.HookverifyError);
});

test(`[${BACKEND}] openInbox({ config }) opens the inbox the serve config names, relative to the file`, async () => {
  if (!native) {
    await assert.rejects(hv.openInbox({ config: 'hookverify.toml' }), (e) => e.code === 'invalid_argument');
    return;
  }
  // The test's working directory is not `dir`: `inbox = "inbox.db"` is found next to the config.
  assert.notEqual(process.cwd(), dir);
  const byConfig = await hv.openInbox({ config: path.join(dir, 'hookverify.toml') });
  const byPath = await hv.openInbox(path.join(dir, 'inbox.db'));
  const rows = await byConfig.list();
  assert.equal(rows.length, 3);
  assert.deepEqual(rows, await byPath.list());
  assert.deepEqual(await byConfig.show('evt_fail'), await byPath.show('evt_fail'));
  // The same problems as `hookverify inbox --config`: no inbox named, a file that is not there, bad TOML.
  const noInbox = path.join(dir, 'no-inbox.toml');
  await writeFile(noInbox, 'listen = "127.0.0.1:0"\n');
  await assert.rejects(
    hv.openInbox({ config: noInbox }),
    (e) =>
      e instanceof hv.HookverifyError &&
      e.code === 'invalid_argument' &&
      /no inbox: set inbox = "inbox.db"/.test(e.message),
  );
  await assert.rejects(
    hv.openInbox({ config: path.join(dir, 'absent.toml') }),
    (e) => e.code === 'invalid_argument' && /absent\.toml: cannot read/.test(e.message),
  );
  const broken = path.join(dir, 'broken.toml');
  await writeFile(broken, 'listen = "127.0.0.1:0"\ninbox = 7\n');
  await assert.rejects(
    hv.openInbox({ config: broken }),
    (e) => e.code === 'invalid_argument' && /broken\.toml:2:\d+: inbox:/.test(e.message),
  );
  await assert.rejects(hv.openInbox({ config: 42 }), (e) => e.code === 'invalid_argument' && /config/.test(e.message));
  await assert.rejects(hv.openInbox({}), (e) => e.code === 'invalid_argument');
});

test(`[${BACKEND}] list filters by status, provider and limit, newest first`, { skip: !native }, async () => {
  const inbox = await hv.openInbox(path.join(dir, 'inbox.db'));
  const all = await inbox.list();
  assert.equal(all.length, 3);
  assert.ok(all[0].id > all[1].id && all[1].id > all[2].id, 'newest first');
  assert.deepEqual(
    all.map((r) => [r.eventId, r.state, r.verdict]),
    [
      [null, 'rejected', 'no_matching_signature'],
      ['evt_fail', 'failed', 'accepted'],
      ['evt_ok', 'done', 'accepted'],
    ],
  );
  const failed = await inbox.list({ status: 'failed' });
  assert.deepEqual(
    failed.map((r) => [r.eventId, r.attempts, r.provider, r.path]),
    [['evt_fail', 1, 'standard', '/hooks']],
  );
  assert.equal(typeof failed[0].receivedAtMs, 'number');
  assert.equal((await inbox.list({ provider: 'nobody' })).length, 0);
  // The forged delivery matched the provider too (it was refused by its signature).
  assert.equal((await inbox.list({ provider: 'standard' })).length, 3);
  assert.equal((await inbox.list({ limit: 1 }))[0].state, 'rejected');
  await assert.rejects(
    inbox.list({ status: 'bogus' }),
    (e) => e.code === 'invalid_argument' && /status/.test(e.message),
  );
  await assert.rejects(inbox.list({ colour: 'red' }), (e) => e.code === 'invalid_argument');
});

test(`[${BACKEND}] show by record id and by event id is the CLI's record, camelCase`, { skip: !native }, async () => {
  const inbox = await hv.openInbox(path.join(dir, 'inbox.db'));
  const byEvent = await inbox.show('evt_fail');
  assert.equal(byEvent.body, '{"type":"order.paid","say":"fail"}');
  assert.equal(byEvent.bodySize, byEvent.body.length);
  assert.equal(byEvent.bodyTruncated, false);
  assert.ok(byEvent.headers.some(([k, v]) => k.toLowerCase() === 'authorization' && v === '[redacted]'));
  assert.ok(!JSON.stringify(byEvent).includes('do-not-store'));
  assert.equal(byEvent.attempts.length, 1);
  assert.equal(byEvent.attempts[0].ok, false);
  assert.match(byEvent.attempts[0].error, /exit status: 3/);
  assert.deepEqual(await inbox.show(byEvent.id), byEvent);
  assert.deepEqual(await inbox.show(String(byEvent.id)), byEvent);
  assert.deepEqual(byEvent, camel(cliShow('evt_fail')));
  const rejected = (await inbox.list({ status: 'rejected' }))[0];
  assert.deepEqual(await inbox.show(rejected.id), camel(cliShow(rejected.id)));
  assert.equal(await inbox.show('evt_unknown'), null);
  assert.equal(await inbox.show(999999), null);
  await assert.rejects(inbox.show({}), (e) => e.code === 'invalid_argument');
});

test(`[${BACKEND}] replay runs the handler as a new attempt: done when it resolves, failed with its message when it throws`, {
  skip: !native,
}, async () => {
  const inbox = await hv.openInbox(path.join(dir, 'inbox.db'));
  const jobs = [];
  const ok = await inbox.replay('evt_fail', async (job) => {
    jobs.push(job);
    // Never done before the handler finished: the record is pending while it runs.
    assert.equal((await inbox.show(job.id)).state, 'pending');
  });
  assert.equal(jobs.length, 1);
  const job = jobs[0];
  assert.deepEqual(
    [job.eventId, job.attempt, job.provider, job.path, job.body],
    ['evt_fail', 2, 'standard', '/hooks', '{"type":"order.paid","say":"fail"}'],
  );
  assert.ok(job.headers.some(([k]) => k.toLowerCase() === 'webhook-signature'));
  assert.deepEqual(ok, { id: job.id, attempt: 2, ok: true, error: null, recorded: true });
  let r = await inbox.show('evt_fail');
  assert.equal(r.state, 'done');
  assert.deepEqual(
    r.attempts.map((a) => a.ok),
    [false, true],
  );
  assert.deepEqual(r, camel(cliShow('evt_fail')));

  // A done event is replayed too (dedup bypassed); a throwing handler fails it, never retried.
  const bad = await inbox.replay(r.id, () => {
    throw new Error('downstream said no');
  });
  assert.deepEqual(bad, { id: r.id, attempt: 3, ok: false, error: 'downstream said no', recorded: true });
  r = await inbox.show('evt_fail');
  assert.equal(r.state, 'failed');
  assert.equal(r.attempts[2].error, 'downstream said no');
  const rejectedWith = await inbox.replay('evt_ok', () => Promise.reject('plain string'));
  assert.equal(rejectedWith.error, 'plain string');
  assert.equal((await inbox.show('evt_ok')).state, 'failed');
});

test(`[${BACKEND}] a replay of an event another replay holds, or of a refused delivery, or of nothing, is a typed error`, {
  skip: !native,
}, async () => {
  const inbox = await hv.openInbox(path.join(dir, 'inbox.db'));
  const other = await hv.openInbox(path.join(dir, 'inbox.db'));
  let release;
  const gate = new Promise((r) => (release = r));
  let started;
  const running = new Promise((r) => (started = r));
  const first = inbox.replay('evt_ok', async () => {
    started();
    await gate;
  });
  await running;
  await assert.rejects(
    other.replay('evt_ok', () => assert.fail('ran while another replay held the event')),
    (e) =>
      e instanceof hv.HookverifyError &&
      e.code === 'invalid_argument' &&
      /not an accepted event that can run now/.test(e.message),
  );
  release();
  assert.equal((await first).ok, true);
  assert.equal((await inbox.show('evt_ok')).state, 'done');

  const rejected = (await inbox.list({ status: 'rejected' }))[0];
  await assert.rejects(
    inbox.replay(rejected.id, () => assert.fail('ran a refused delivery')),
    (e) => e.code === 'invalid_argument',
  );
  await assert.rejects(
    inbox.replay('evt_unknown', () => assert.fail('ran nothing')),
    (e) => e.code === 'invalid_argument' && /no record/.test(e.message),
  );
  await assert.rejects(inbox.replay('evt_ok', 'not a function'), (e) => e.code === 'invalid_argument');
});
