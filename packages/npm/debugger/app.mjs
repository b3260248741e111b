// The debugger page: reads the form, runs the core's diagnose (WebAssembly, in this page), renders
// the report. No network calls and no storage here: secrets stay in the form fields.
import { diagnose, sign, SCHEMES, HINT_FIXES, version } from '../browser.mjs';
import { parseRawRequest, parseHeaderLines, headerValue, toRawRequest, toCurl } from './request.mjs';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

// ---- form state
let bodyFileBytes = null; // a body loaded from a file replaces the text box (byte-exact)

function mode() {
  return document.querySelector('input[name=mode]:checked').value;
}

function addSecretField(value = '') {
  const li = el('li');
  const n = $('secrets').children.length;
  const input = el('input', {
    type: $('show-secrets').checked ? 'text' : 'password',
    value,
    spellcheck: false,
    autocomplete: 'off',
    className: 'mono secret',
  });
  input.setAttribute('aria-label', `Secret ${n}`);
  input.setAttribute('data-lpignore', 'true');
  const remove = el('button', {
    type: 'button',
    className: 'icon-button',
    textContent: '×',
    title: 'Remove this secret',
  });
  remove.setAttribute('aria-label', `Remove secret ${n}`);
  remove.addEventListener('click', () => {
    li.remove();
    if (!$('secrets').children.length) addSecretField();
    schedule();
  });
  li.append(input, remove);
  $('secrets').append(li);
  return input;
}

function secrets() {
  // Exactly as typed: surrounding whitespace is one of the causes diagnose looks for.
  return Array.from($('secrets').querySelectorAll('input'), (i) => i.value).filter((s) => s !== '');
}

/** The request as `{headers, body, problems, contentLength}` from whichever input mode is on. */
function request() {
  if (mode() === 'raw') {
    const r = parseRawRequest($('raw').value);
    return { headers: r.headers, body: r.body, problems: r.problems };
  }
  const h = parseHeaderLines($('headers').value);
  return { headers: h.headers, body: bodyFileBytes ?? $('body').value, problems: h.problems };
}

/** The request line and keys of the "Verify with" card (empty fields are left out). */
function target() {
  const url = $('url').value.trim();
  const method = $('method').value.trim();
  const publicKeys = $('public-keys')
    .value.split('\n')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  return {
    ...(url ? { url } : {}),
    ...(method ? { method } : {}),
    ...(publicKeys.length ? { publicKeys } : {}),
  };
}

function scheme() {
  const v = $('scheme').value;
  if (v !== '__custom') return v || undefined;
  return JSON.parse($('spec').value);
}

function now() {
  const v = $('now').value.trim();
  if (v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new Error('“As of” must be unix seconds (digits), or empty for now');
  return Number(v);
}

// ---- rendering
function render(report, req) {
  $('loading').hidden = true;
  $('result').hidden = false;
  $('checks-block').hidden = false;
  const valid = report.valid;
  $('verdict').className = `verdict ${valid ? 'valid' : 'invalid'}`;
  $('verdict-icon').textContent = valid ? '✓' : '✗';
  $('verdict-title').textContent = valid ? 'Valid signature' : 'Invalid signature';
  const parts = [];
  if (report.scheme) parts.push(`${report.scheme} scheme${report.detected ? ' (detected)' : ''}`);
  if (valid && report.keyIndex !== null) {
    // 0-based, like the core's messages; public keys are numbered after the secrets.
    const n = secrets().length;
    parts.push(report.keyIndex < n ? `secret ${report.keyIndex} matched` : `public key ${report.keyIndex - n} matched`);
  }
  if (!valid && report.hints.length)
    parts.push(`${report.hints.length === 1 ? 'a cause was' : 'causes were'} confirmed`);
  $('verdict-sub').textContent = parts.join(' · ') || 'no scheme';

  const notes = [...req.problems];
  const length = headerValue(req.headers, 'content-length');
  const bytes = typeof req.body === 'string' ? new TextEncoder().encode(req.body).length : req.body.length;
  if (length !== undefined && /^\d+$/.test(length) && Number(length) !== bytes) {
    notes.push(
      `Content-Length says ${length} bytes but the body here has ${bytes}: copying may have changed it (line endings, a trailing newline).`,
    );
  }
  $('problems').replaceChildren(...notes.map((p) => el('li', { textContent: p })));
  $('problems').hidden = notes.length === 0;

  $('hints').replaceChildren(
    ...report.hints.map((h) =>
      el(
        'li',
        { className: 'hint' },
        el('p', { className: 'hint-code' }, el('code', { textContent: h.code })),
        el('p', { className: 'hint-message', textContent: withoutFix(h.message, HINT_FIXES[h.code] || '') }),
        el('p', { className: 'hint-fix' }, el('strong', { textContent: 'Fix: ' }), HINT_FIXES[h.code] || ''),
      ),
    ),
  );
  $('hints-block').hidden = report.hints.length === 0;
  const searched = report.checks.find((c) => c.name === 'hint_search');
  $('no-hint').hidden = valid || report.hints.length > 0;
  $('no-hint').textContent = report.scheme
    ? `No cause confirmed: none of the variants tried (${searched ? searched.detail : 'body, secret, encoding, algorithm, scheme, timestamp'}) reproduces a signature on the request. The body or URL was likely changed in another way, or the key is not the sender's.`
    : 'Pick the scheme: none of the known signature headers is on the request.';

  $('checks').replaceChildren(
    ...report.checks.map((c) =>
      el(
        'li',
        { className: c.ok ? 'ok' : 'fail' },
        el('span', { className: 'check-icon', textContent: c.ok ? '✓' : '✗', ariaLabel: c.ok ? 'passed' : 'failed' }),
        el('span', { className: 'check-name', textContent: c.name.replace(/_/g, ' ') }),
        el('span', { className: 'check-detail', textContent: c.detail }),
      ),
    ),
  );

  const e = report.event;
  $('event-block').hidden = !e;
  if (e) {
    const when =
      e.timestamp === null
        ? '—'
        : `${new Date(e.timestamp * 1000).toISOString().replace('.000Z', 'Z')} (${e.timestamp})`;
    $('event').replaceChildren(
      el('dt', { textContent: 'id' }),
      el('dd', { className: 'mono', textContent: e.id }),
      el('dt', { textContent: 'type' }),
      el('dd', { className: 'mono', textContent: e.type }),
      el('dt', { textContent: 'time' }),
      el('dd', { textContent: when }),
    );
  }
}

/** The verdict box without a report: nothing pasted yet, or input the page cannot use. */
function renderMessage(title, message) {
  $('loading').hidden = true;
  $('result').hidden = false;
  $('verdict').className = 'verdict error';
  $('verdict-icon').textContent = '!';
  $('verdict-title').textContent = title;
  $('verdict-sub').textContent = message;
  for (const id of ['problems', 'hints-block', 'no-hint', 'event-block', 'checks-block']) $(id).hidden = true;
}

function run() {
  const req = request();
  if (!req.headers.length && (typeof req.body === 'string' ? req.body === '' : !req.body.length)) {
    renderMessage('Nothing to diagnose yet', 'Paste a request, or generate a signed sample below.');
    return;
  }
  let report;
  try {
    report = diagnose({
      headers: req.headers,
      body: req.body,
      secrets: secrets(),
      scheme: scheme(),
      now: now(),
      ...target(),
    });
  } catch (e) {
    renderMessage('Cannot diagnose', e && e.message ? e.message : String(e));
    return;
  }
  render(report, req);
}

let timer = 0;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(run, 120);
}

// ---- signed samples
const SAMPLES = {
  standard: (id, ts) => ({
    id,
    headers: [['Content-Type', 'application/json']],
    body: {
      type: 'user.created',
      timestamp: new Date(ts * 1000).toISOString().replace('.000Z', 'Z'),
      data: { id: 'u_1042', email: 'ada@example.com' },
    },
  }),
  stripe: (id, ts) => ({
    headers: [['Content-Type', 'application/json; charset=utf-8']],
    body: {
      id: `evt_${id}`,
      object: 'event',
      type: 'invoice.paid',
      created: ts,
      data: { object: { id: 'in_1042', amount_paid: 2000, currency: 'eur' } },
    },
  }),
  github: (id) => ({
    id,
    headers: [
      ['Content-Type', 'application/json'],
      ['X-GitHub-Event', 'issues'],
    ],
    body: {
      action: 'opened',
      issue: { number: 42, title: 'Webhook signature fails' },
      repository: { full_name: 'acme/app' },
    },
  }),
  'github-sha1': (id) => SAMPLES.github(id),
  slack: (id, ts) => ({
    headers: [['Content-Type', 'application/json']],
    body: {
      type: 'event_callback',
      event_id: `Ev${id}`,
      event_time: ts,
      event: { type: 'app_mention', text: 'hello' },
    },
  }),
  shopify: (id) => ({
    id,
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Shopify-Topic', 'orders/create'],
    ],
    body: { id: 820982911946154500, email: 'jon@example.com', total_price: '199.00' },
  }),
  // intercom has no sample: it signs exactly as github-sha1, which detection picks (name the scheme).
  calendly: (id, ts) => ({
    headers: [['Content-Type', 'application/json']],
    body: {
      event: 'invitee.created',
      created_at: new Date(ts * 1000).toISOString(),
      payload: { uri: `https://api.calendly.com/scheduled_events/EV1/invitees/${id}`, email: 'ada@example.com' },
    },
  }),
  quickbooks: (id, ts) => ({
    headers: [['Content-Type', 'application/json']],
    body: {
      eventNotifications: [
        {
          realmId: '1185883450',
          dataChangeEvent: {
            entities: [
              { name: 'Customer', id: '1042', operation: 'Create', lastUpdated: new Date(ts * 1000).toISOString() },
            ],
          },
        },
      ],
    },
  }),
  razorpay: (id, ts) => ({
    headers: [
      ['Content-Type', 'application/json'],
      ['x-razorpay-event-id', id],
    ],
    body: {
      entity: 'event',
      event: 'payment.captured',
      contains: ['payment'],
      payload: { payment: { entity: { id: 'pay_1042', amount: 2000, currency: 'INR' } } },
      created_at: ts,
    },
  }),
  sentry: (id) => ({
    headers: [
      ['Content-Type', 'application/json'],
      ['Request-ID', id],
      ['Sentry-Hook-Resource', 'issue'],
    ],
    body: {
      action: 'created',
      installation: { uuid: 'inst_1042' },
      data: { issue: { id: '1042', title: 'TypeError' } },
    },
  }),
  typeform: (id, ts) => ({
    headers: [['Content-Type', 'application/json']],
    body: {
      event_id: id,
      event_type: 'form_response',
      form_response: { form_id: 'lT4Z3j', submitted_at: new Date(ts * 1000).toISOString() },
    },
  }),
  linear: (id, ts) => ({
    headers: [['Content-Type', 'application/json']],
    body: { action: 'create', type: 'Issue', webhookId: id, webhookTimestamp: ts * 1000, data: { id: 'iss_1042' } },
  }),
  twilio: () => ({
    headers: [['Content-Type', 'application/x-www-form-urlencoded']],
    raw: 'AccountSid=AC1042&Body=Hello+from+the+debugger&From=%2B15550002&To=%2B15550001',
  }),
  woocommerce: (id) => ({
    headers: [
      ['Content-Type', 'application/json'],
      ['X-WC-Webhook-Topic', 'order.created'],
      ['X-WC-Webhook-Delivery-ID', id],
    ],
    body: { id: 1042, status: 'processing', total: '19.90' },
  }),
};

function randomSecret(schemeName) {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  if (schemeName === 'standard') return `whsec_${btoa(String.fromCharCode(...bytes))}`;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return schemeName === 'stripe' ? `whsec_${hex.slice(0, 32)}` : hex.slice(0, 40);
}

/** Any other preset: a generic JSON event (the envelope fields most schemes read). */
function genericSample(id, ts) {
  return {
    id,
    headers: [['Content-Type', 'application/json']],
    body: { id, event_id: id, type: 'sample.created', created_at: new Date(ts * 1000).toISOString(), data: {} },
  };
}

const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
const pem = (der) => `-----BEGIN PRIVATE KEY-----\n${b64(der).replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----`;

/** Fresh key pairs made by WebCrypto in this page, as `{privateKey, publicKey}` texts. */
async function keyPairs() {
  const out = [];
  try {
    const ed = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    out.push({
      privateKey: pem(await crypto.subtle.exportKey('pkcs8', ed.privateKey)),
      publicKey: hex(await crypto.subtle.exportKey('raw', ed.publicKey)),
    });
  } catch {
    // A browser without Ed25519 in WebCrypto: the P-256 pair below still serves sendgrid.
  }
  const ec = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  out.push({
    privateKey: pem(await crypto.subtle.exportKey('pkcs8', ec.privateKey)),
    publicKey: b64(await crypto.subtle.exportKey('spki', ec.publicKey)),
  });
  return out;
}

/** Signs `body` for scheme `name`: with the secret, or (public-key schemes, which refuse a secret)
 * with the first fresh key pair whose algorithm the scheme takes. */
async function signSample(name, secret, options) {
  try {
    return { headers: sign({ scheme: name, secret, ...options }), secret };
  } catch (e) {
    if (e.code !== 'invalid_argument') throw e;
    let last = e;
    for (const pair of await keyPairs()) {
      try {
        return { headers: sign({ scheme: name, privateKey: pair.privateKey, ...options }), publicKey: pair.publicKey };
      } catch (e2) {
        last = e2;
      }
    }
    // A scheme that takes no private key either (a signature in the body): its own refusal.
    throw last.code === 'invalid_secret' ? last : e;
  }
}

let lastSample = null;
let generated = 0;
async function generate() {
  const name = $('sample-scheme').value;
  const secret = $('sample-secret').value || ($('sample-secret').value = randomSecret(name));
  const ts = Math.floor(Date.now() / 1000);
  const id = `msg_${Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(36)).join('')}`;
  const sample = (SAMPLES[name] || genericSample)(id, ts);
  const body = sample.raw ?? JSON.stringify(sample.body);
  const url = $('sample-url').value.trim() || 'http://localhost:3000/webhooks';
  let signed;
  try {
    signed = await signSample(name, secret, { body, id: sample.id ?? id, timestamp: ts, url, method: 'POST' });
  } catch (e) {
    $('copy-status').textContent = `${name}: ${e.message}`;
    document.body.dataset.generated = String(++generated);
    return;
  }
  const headers = [...sample.headers, ...Object.entries(signed.headers)];
  lastSample = { url, headers, body };
  // Fill the form with it: raw mode, the sample's scheme, its URL, its secret or public key, now.
  document.querySelector('input[name=mode][value=raw]').checked = true;
  showMode();
  $('raw').value = toRawRequest(lastSample);
  $('scheme').value = name;
  $('spec-wrap').hidden = true;
  $('now').value = '';
  $('url').value = url;
  $('method').value = '';
  $('public-keys').value = signed.publicKey ?? '';
  $('secrets').replaceChildren();
  addSecretField(signed.secret ?? '');
  $('curl').textContent = toCurl(lastSample);
  $('curl').hidden = false;
  $('copy-curl').disabled = false;
  $('copy-status').textContent = signed.publicKey ? 'Signed with a fresh key pair made in this page.' : '';
  run();
  document.body.dataset.generated = String(++generated);
}

async function copyCurl() {
  if (!lastSample) return;
  const text = toCurl(lastSample);
  try {
    await navigator.clipboard.writeText(text);
    $('copy-status').textContent = 'Copied.';
  } catch {
    // No clipboard permission: select the command so Ctrl+C copies it.
    const range = document.createRange();
    range.selectNodeContents($('curl'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $('copy-status').textContent = 'Selected: press Ctrl+C to copy.';
  }
}

// ---- wiring
function showMode() {
  $('mode-raw').hidden = mode() !== 'raw';
  $('mode-split').hidden = mode() !== 'split';
}

function init() {
  for (const s of SCHEMES) {
    $('scheme').append(el('option', { value: s, textContent: s }));
    $('sample-scheme').append(el('option', { value: s, textContent: s }));
  }
  $('scheme').append(el('option', { value: '__custom', textContent: 'Custom spec (JSON)…' }));
  $('sample-scheme').value = 'stripe';
  $('sample-secret').value = randomSecret('stripe');
  $('version').textContent = `hookverify ${version} · WebAssembly`;
  addSecretField();

  $('form').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  $('form').addEventListener('input', (e) => {
    if (e.target.closest('#sample-card')) return;
    schedule();
  });
  for (const r of document.querySelectorAll('input[name=mode]'))
    r.addEventListener('change', () => (showMode(), schedule()));
  $('scheme').addEventListener('change', () => {
    $('spec-wrap').hidden = $('scheme').value !== '__custom';
    schedule();
  });
  $('add-secret').addEventListener('click', () => addSecretField().focus());
  $('show-secrets').addEventListener('change', () => {
    for (const i of $('secrets').querySelectorAll('input')) i.type = $('show-secrets').checked ? 'text' : 'password';
  });
  $('body-file').addEventListener('change', async () => {
    const f = $('body-file').files[0];
    if (!f) return;
    bodyFileBytes = new Uint8Array(await f.arrayBuffer()); // read locally; never uploaded
    $('body-file-name').textContent = `${f.name} (${bodyFileBytes.length} bytes) is the body`;
    $('body').disabled = true;
    $('body-file-clear').hidden = false;
    schedule();
  });
  $('body-file-clear').addEventListener('click', () => {
    bodyFileBytes = null;
    $('body-file').value = '';
    $('body-file-name').textContent = '';
    $('body').disabled = false;
    $('body-file-clear').hidden = true;
    schedule();
  });
  $('sample-scheme').addEventListener(
    'change',
    () => ($('sample-secret').value = randomSecret($('sample-scheme').value)),
  );
  $('generate').addEventListener('click', () => generate());
  $('copy-curl').addEventListener('click', copyCurl);
  run();
  document.body.dataset.ready = 'true';
}

init();

// The core's hint messages end with the fix sentence; the page shows the fix on its own line,
// so the message stops where the fix begins ("…were signed, so verify…" -> "…were signed.").
function withoutFix(message, fix) {
  const needle = fix.replace(/\.$/, '').toLowerCase();
  const at = needle ? message.toLowerCase().indexOf(needle) : -1;
  if (at <= 0) return message;
  return message.slice(0, at).replace(/[\s,;:]*(?:\bso|\bthen)?[\s,;:]*$/i, '') + '.';
}
