// Type declarations for hookverify/fetch (hand-written; checked by tests/node/types-check.ts).
import type { Event, HandlerContext, Receiver, ReceiverOptions, Verifier } from './index.js';
import type hookverify from './index.js';

/** What a handler gets besides the event under hookverify/fetch: the Request too. */
export interface FetchContext extends HandlerContext {
  request: Request;
}

/** The host's execution context, when it has one (Workers' `ctx`, Vercel): async work is handed to `waitUntil`. */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Every Receiver option: `scheme` + `secret(s)` or `providers`, `store`, `handlers`, `mode`, ...
 * The body cap is the providers' `maxBodyBytes` (default 25 MiB), enforced while reading.
 */
export type FetchWebhookOptions = ReceiverOptions<FetchContext>;

/**
 * `(request, ctx?) => Promise<Response>`: reads the raw body itself and answers with the core's
 * decision. In async mode the handlers go to `ctx.waitUntil` when `ctx` has one, else are awaited
 * before the Response is returned.
 */
export type FetchWebhookHandler = ((request: Request, ctx?: WaitUntilContext | object) => Promise<Response>) & {
  /** The receiver behind the handler, e.g. to rotate secrets: `receiver.setSecrets(provider, [...])`. */
  readonly receiver: Receiver<FetchContext>;
};

export declare function webhooks(options: FetchWebhookOptions): FetchWebhookHandler;

/** Reads the request's raw body (at most `verifier.maxBodyBytes`) and verifies it; throws a HookverifyError. */
export declare function verifyRequest(request: Request, verifier: Verifier): Promise<Event>;

/** The adapter over a given backend, e.g. `createFetch(await import('hookverify/wasm'))`. */
export declare function createFetch(api: typeof hookverify): {
  webhooks: typeof webhooks;
  verifyRequest: typeof verifyRequest;
  createFetch: typeof createFetch;
};

declare const _default: {
  webhooks: typeof webhooks;
  verifyRequest: typeof verifyRequest;
  createFetch: typeof createFetch;
};
export default _default;
