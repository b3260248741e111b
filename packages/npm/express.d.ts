// Type declarations for hookverify/express (hand-written; checked by tests/node/types-check.ts).
import type { HandlerContext, Receiver, ReceiverOptions } from './index.js';
import type hookverify from './index.js';

/** The parts of a node:http / Express request the middleware uses (no @types/node needed). */
export interface WebhookRequest {
  readonly headers: object;
  url?: string;
  originalUrl?: string;
  [key: string]: any;
}

/** The parts of a node:http / Express response the middleware uses. */
export interface WebhookResponse {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** What an Express handler gets besides the event: the request too. */
export interface ExpressContext extends HandlerContext {
  req: WebhookRequest;
}

/**
 * Every Receiver option: `scheme` + `secret(s)` or `providers`, `store`, `handlers`, `mode`, ...
 * The body cap is the providers' `maxBodyBytes` (default 25 MiB), enforced while reading.
 */
export type WebhookOptions = ReceiverOptions<ExpressContext>;

/** Middleware (Express or plain node:http) that reads the raw body itself and answers with the core's decision. */
export type WebhookMiddleware = ((
  req: WebhookRequest,
  res: WebhookResponse,
  next?: (err?: any) => void,
) => Promise<void>) & {
  /** The receiver behind the middleware, e.g. to rotate secrets: `receiver.setSecrets(provider, [...])`. */
  readonly receiver: Receiver<ExpressContext>;
};

export declare function webhook(options: WebhookOptions): WebhookMiddleware;

/** The middleware over a given backend, e.g. `createExpress(require('hookverify/wasm'))`. */
export declare function createExpress(api: typeof hookverify): {
  webhook: typeof webhook;
  createExpress: typeof createExpress;
};

declare const _default: { webhook: typeof webhook; createExpress: typeof createExpress };
export default _default;
