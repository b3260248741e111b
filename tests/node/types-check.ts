// Compiled with `tsc --noEmit` by scripts/test-node.sh: the README-level usage type-checks
// against the hand-written packages/npm/index.d.ts.
import hookverify, { Verifier, sign, HookverifyError, ERROR_CODES, SCHEMES, backend, version } from 'hookverify';
import type { Event, Verified, ErrorCode, SchemeSpec } from 'hookverify';
import * as forcedWasm from 'hookverify/wasm';
import * as forcedNative from 'hookverify/native';

const v = new Verifier({ scheme: 'github', secret: 's' });
const rotated = new Verifier({ scheme: 'standard', secrets: ['whsec_a', 'whsec_b'], toleranceSeconds: 60, maxBodyBytes: 1 << 20 });
const spec: SchemeSpec = { name: 'acme', signature_header: 'X-Acme-Signature', encoding: 'base64', event: { id: { header: 'X-Acme-Id' }, type: '/kind' } };
const custom = new Verifier({ scheme: spec, secret: 's', dangerouslySkipTimestampCheck: true });

const body: Uint8Array = new TextEncoder().encode('{}');
const event: Event<{ n: number }> = v.verify<{ n: number }>(body, { 'x-hub-signature-256': 'sha256=00' }, { now: 1700000000 });
const n: number = event.data.n;
const ts: number | null = event.timestamp;
const checked: Verified = rotated.verifySignature('a=b', new Headers(), { now: new Date() });
const id: string | null = checked.messageId;
custom.verifySignature(body, new Map([['x-acme-signature', 'AA==']]));
const headers: Record<string, string> = sign({ scheme: 'standard', secret: 'whsec_aGk=', body: '{}', id: 'msg_1', timestamp: 1700000000 });

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
console.log(n, ts, id, headers, codes, SCHEMES, which, version, hookverify.backend, forcedWasm.backend, forcedNative.version);
