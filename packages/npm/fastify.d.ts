// Type declarations for hookverify/fastify (hand-written; checked by tests/node/types-check.ts).
import type { HandlerContext, ReceiverOptions } from './index.js';
import type hookverifyApi from './index.js';

/** What a handler gets besides the event under Fastify: the Fastify request. */
export interface FastifyContext extends HandlerContext {
  request: { readonly url: string; readonly headers: Record<string, unknown>; [key: string]: any };
}

/** Every Receiver option, plus the route: `path` (default `/webhooks`) and `method` (default POST). */
export type FastifyWebhookOptions = ReceiverOptions<FastifyContext> & { path?: string; method?: string };

/**
 * The plugin: `app.register(plugin, { path: '/hooks', ...options })`. It owns one route, reads the
 * raw body for that route only (other routes keep Fastify's JSON parsing) and answers with the
 * core's decision.
 */
export interface HookverifyFastifyPlugin {
  (fastify: any, options: FastifyWebhookOptions): Promise<void>;
  default: HookverifyFastifyPlugin;
  hookverify: HookverifyFastifyPlugin;
  /** The plugin over a given backend, e.g. `createFastify(require('hookverify/wasm')).hookverify`. */
  createFastify(api: typeof hookverifyApi): {
    hookverify: HookverifyFastifyPlugin;
    createFastify: HookverifyFastifyPlugin['createFastify'];
  };
}

declare const plugin: HookverifyFastifyPlugin;
export default plugin;
export declare const hookverify: HookverifyFastifyPlugin;
export declare const createFastify: HookverifyFastifyPlugin['createFastify'];
