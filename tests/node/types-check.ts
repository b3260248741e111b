// Compiled with `tsc --noEmit` by scripts/test-node.sh: the README-level usage type-checks
// against the hand-written packages/npm/index.d.ts.
import hookverify, { Verifier, sign, HookverifyError, ERROR_CODES, SCHEMES, backend, version } from 'hookverify';
import type { Event, Verified, ErrorCode, SchemeSpec } from 'hookverify';
import * as forcedWasm from 'hookverify/wasm';
import * as forcedNative from 'hookverify/native';

const v = new Verifier({ scheme: 'github', secret: 's' });
const rotated = new Verifier({
  scheme: 'standard',
  secrets: ['whsec_a', 'whsec_b'],
  toleranceSeconds: 60,
  maxBodyBytes: 1 << 20,
});
const spec: SchemeSpec = {
  name: 'acme',
  signature_header: 'X-Acme-Signature',
  encoding: 'base64',
  event: { id: { header: 'X-Acme-Id' }, type: '/kind' },
};
const custom = new Verifier({ scheme: spec, secret: 's', dangerouslySkipTimestampCheck: true });
const aged = new Verifier({
  scheme: { name: 'reflex', signature_header: 'X-Reflex-Signature' },
  secret: 's',
  maxEventAge: 300,
});
aged.verify('{}', { 'x-reflex-signature': '00' });

const body: Uint8Array = new TextEncoder().encode('{}');
const event: Event<{ n: number }> = v.verify<{ n: number }>(
  body,
  { 'x-hub-signature-256': 'sha256=00' },
  { now: 1700000000 },
);
const n: number = event.data.n;
const ts: number | null = event.timestamp;
const checked: Verified = rotated.verifySignature('a=b', new Headers(), { now: new Date() });
const id: string | null = checked.messageId;
custom.verifySignature(body, new Map([['x-acme-signature', 'AA==']]));
const headers: Record<string, string> = sign({
  scheme: 'standard',
  secret: 'whsec_aGk=',
  body: '{}',
  id: 'msg_1',
  timestamp: 1700000000,
});

try {
  v.verify('{}', { 'X-Hub-Signature-256': ['a', 'b'] });
} catch (e) {
  if (e instanceof HookverifyError) {
    const code: ErrorCode = e.code;
    const details: Record<string, unknown> = e.details;
    console.log(code, details, e.message);
  }
}
const codes: readonly ErrorCode[] = ERROR_CODES;
const which: 'native' | 'wasm' = backend;
console.log(
  n,
  ts,
  id,
  headers,
  codes,
  SCHEMES,
  which,
  version,
  hookverify.backend,
  forcedWasm.backend,
  forcedNative.version,
);

// The receiving pipeline and the Express entry.
import { MemoryStore, RedisStore, Router, Receiver } from 'hookverify';
import type { Decision, Delivery, Store } from 'hookverify';
import { webhook, createExpress } from 'hookverify/express';
import { webhooks, verifyRequest, createFetch } from 'hookverify/fetch';
import type { FetchContext } from 'hookverify/fetch';
import hookverifyFastify, { createFastify } from 'hookverify/fastify';
import type { FastifyWebhookOptions } from 'hookverify/fastify';

const receiver = new Receiver({
  providers: [
    { name: 'gh', scheme: 'github', secret: 's' },
    { scheme: 'stripe', secrets: ['whsec_a'], match: { header: 'stripe-signature' } },
  ],
  store: new MemoryStore({ capacity: 1000 }),
  handlers: { 'issues.*': async (e, ctx) => console.log(e.id, ctx.token, ctx.provider), '*': [() => undefined] },
  routes: [{ pattern: '*', provider: 'gh', path: '/hooks', handler: () => undefined }],
  mode: 'sync',
  leaseSeconds: 30,
});
async function flow(): Promise<Decision> {
  const step: Decision | Delivery = await receiver.begin({ path: '/hooks', headers: {}, body: '{}' });
  if ('status' in step) return step;
  const ok: boolean = await receiver.run(step);
  return receiver.finish(step, ok);
}
const { decision } = await receiver.handle({ headers: new Headers(), body: body });
const names: string[] = receiver.headerNames;
const handledCount: number = receiver
  .metrics()
  .deliveries.filter((s) => s.outcome === 'handled')
  .reduce((n, s) => n + s.latency.count, 0);
const promText: string = receiver.prometheus();
console.log(handledCount, promText.length);
const routed: Array<() => number> = new Router<() => number>()
  .on('user.*', () => 1)
  .unhandled(() => 2)
  .match('user.created');
const redis = (): RedisStore => new RedisStore('redis://127.0.0.1:6379', { prefix: 'app:', timeoutMs: 500 });
const mw = webhook({
  scheme: 'stripe',
  secret: 'whsec_a',
  store: redis(),
  handlers: { 'invoice.paid': (e, ctx) => console.log(e.type, ctx.req.url) },
});
const wasmMw = createExpress(forcedWasm.default).webhook({ scheme: 'github', secret: 's', mode: 'async' });
mw.receiver.setSecrets('stripe', ['whsec_b', 'whsec_a']);
console.log(flow, decision.status, names, routed, mw, wasmMw);

// The Fetch API entry (Next.js route handlers, Workers, Hono, Bun, Deno).
const hooks = webhooks({
  scheme: 'standard',
  secret: 'whsec_a',
  handlers: { '*': (e, ctx: FetchContext) => console.log(e.id, ctx.request.url, ctx.query) },
});
const answer: Promise<Response> = hooks(new Request('https://x.test/hooks'), {
  waitUntil: (p: Promise<unknown>) => void p,
});
hooks.receiver.setSecrets('standard', ['whsec_b']);
const verified = verifyRequest(new Request('https://x.test/hooks'), new Verifier({ scheme: 'github', secret: 's' }));
const cap: number = new Verifier({ scheme: 'github', secret: 's' }).maxBodyBytes;
const wasmFetch = createFetch(forcedWasm.default).webhooks({ scheme: 'github', secret: 's' });
console.log(answer, verified, cap, wasmFetch);

// diagnose: the core's report, and the hint table.
import { diagnose, HINT_CODES, HINT_FIXES } from 'hookverify';
import type { DiagnoseReport, HintCode } from 'hookverify';

const report: DiagnoseReport = diagnose({
  headers: { 'X-Hub-Signature-256': 'sha256=00' },
  body: '{}',
  secrets: ['s'],
  now: 1700000000,
});
const given: DiagnoseReport = diagnose({ headers: new Headers(), body, secret: 's', scheme: spec, now: new Date() });
const firstHint: HintCode | undefined = report.hints[0]?.code;
const fix: string = HINT_FIXES.body_reserialized;
const failedChecks: string[] = given.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
const hintCodes: readonly HintCode[] = HINT_CODES;
const keyIndex: number | null = report.keyIndex;
console.log(
  firstHint,
  fix,
  failedChecks,
  hintCodes,
  keyIndex,
  report.event?.type,
  report.scheme,
  hookverify.diagnose === diagnose,
);

// The Fastify plugin: `app.register(hookverifyFastify, options)`.
const fastifyOptions: FastifyWebhookOptions = {
  path: '/hooks',
  scheme: 'github',
  secret: 's',
  handlers: { push: (e, ctx) => console.log(e.id, ctx.request.url) },
};
const wasmPlugin = createFastify(forcedWasm.default).hookverify;
console.log(hookverifyFastify, hookverifyFastify.default, fastifyOptions, wasmPlugin);

// A dedup store written in JS.
const jsStore: Store = {
  claim: async (key: string, leaseMs: number) => (key && leaseMs ? { acquired: 1 } : { done: true }),
  complete: async () => 'recorded' as const,
  release: async () => undefined,
};
console.log(new Receiver({ scheme: 'github', secret: 's', store: jsStore }));

// The inbox: a location, or the inbox a receiver config file names.
import { openInbox } from 'hookverify';
import type { Inbox } from 'hookverify';
async function inboxes(): Promise<Inbox[]> {
  const byPath: Inbox = await openInbox('inbox.db');
  const byConfig: Inbox = await openInbox({ config: 'serve.toml' });
  // @ts-expect-error: the config is a path
  await openInbox({ config: 7 });
  return [byPath, byConfig];
}
console.log(inboxes);
