// Type declarations for hookverify (hand-written; checked by tests/node/types-check.ts with tsc --noEmit).

/** The raw request body: exactly the bytes that were signed. A string is taken as its UTF-8 bytes. */
export type Body = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/**
 * Request headers: a plain object (any name case; an array value means the header was sent
 * several times), a Fetch `Headers`, a `Map`, `[name, value]` pairs, or a flat
 * `[name, value, name, value, ...]` list such as Node's `req.rawHeaders` (a repeated name means
 * the header was sent several times).
 */
export type HeadersInput =
  | Record<string, string | string[] | number | undefined | null>
  | { get(name: string): string | null; has(name: string): boolean }
  | Map<string, string | string[]>
  | Array<[string, string]>
  | string[];

/** Where an event envelope field comes from (see spec/schemes.md). */
export type FieldSource =
  | string
  | { header?: string; pointer?: string; value?: string; suffix_pointer?: string }
  | FieldSource[];

/** A custom scheme spec; same snake_case keys as core/presets/*.json. */
export interface SchemeSpec {
  name: string;
  signature_header: string;
  algorithm?: 'sha1' | 'sha256' | 'sha512';
  encoding?: 'hex' | 'base64' | 'base64url';
  prefix?: string;
  signature_format?: 'single' | 'list' | 'kv' | 'token' | 'basic';
  signed_content?: string;
  timestamp_header?: string | null;
  id_header?: string | null;
  secret_encoding?: 'utf8' | 'whsec' | 'hex';
  timestamp_format?: 'unix' | 'unix_ms' | 'rfc3339';
  kv_separator?: string;
  timestamp_key?: string;
  extra_signature_headers?: string[];
  signature_pointer?: string | null;
  timestamp_pointer?: string | null;
  token_pointer?: string | null;
  /** With `{url}`: also try the URL without its port and with the default port (Twilio). */
  url_port_variants?: boolean;
  /** With `{url}` and `{form_params}`: the query parameter carrying the body's hex SHA-256 (Twilio `bodySHA256`). */
  body_hash_param?: string | null;
  tolerance_seconds?: number | null;
  signature_version?: string;
  header_aliases?: Array<{ signature_header: string; timestamp_header?: string | null; id_header?: string | null }>;
  event?: {
    id?: FieldSource | null;
    type?: FieldSource | null;
    timestamp?: FieldSource | null;
    data?: string;
    timestamp_format?: 'auto' | 'unix' | 'unix_ms' | 'rfc3339';
  };
  /**
   * What identifies a delivery (default: the event id when the signature covers it, else a SHA-256
   * digest of the signed content). A header that is not signed here lets a captured delivery be
   * replayed under a fresh key; see spec/schemes.md.
   */
  dedup_key?: FieldSource;
}

/** A built-in preset name. */
export type PresetName =
  | 'standard'
  | 'stripe'
  | 'github'
  | 'github-sha1'
  | 'slack'
  | 'shopify'
  | 'calendly'
  | 'intercom'
  | 'quickbooks'
  | 'razorpay'
  | 'sentry'
  | 'typeform'
  | 'woocommerce'
  | 'paddle'
  | 'box'
  | 'docusign'
  | 'gitlab'
  | 'telegram'
  | 'okta'
  | 'lemonsqueezy'
  | 'xero'
  | 'zoom'
  | 'meta'
  | 'linear'
  | 'mailgun'
  | 'zendesk'
  | 'sanity'
  | 'twilio'
  | 'square'
  | 'hubspot'
  | 'trello'
  | 'discord'
  | 'sendgrid'
  | 'pagerduty'
  | 'vercel'
  | 'bitbucket'
  | 'jira'
  | 'twitch'
  | 'mollie'
  | 'cal'
  | 'postmark';

/**
 * Another name of a preset (spec/schemes.md): the preset's scheme; a provider configured by an
 * alias is named by it.
 */
export type PresetAlias =
  | 'svix'
  | 'clerk'
  | 'resend'
  | 'openai'
  | 'replicate'
  | 'brex'
  | 'whatsapp'
  | 'facebook'
  | 'instagram';

export interface VerifierOptions {
  /** A preset name or alias, or a custom spec object. */
  scheme: PresetName | PresetAlias | (string & {}) | SchemeSpec;
  /** One secret (or use `secrets`). */
  secret?: string;
  /** Several live secrets (rotation); `keyIndex` says which matched. */
  secrets?: string[];
  /** Replay window override in seconds (schemes that sign a timestamp only). */
  toleranceSeconds?: number;
  /** Body-size cap in bytes (default 25 MiB), checked before hashing. */
  maxBodyBytes?: number;
  /** Turns the replay-window check off. Replayed requests will verify. Tests only. */
  dangerouslySkipTimestampCheck?: boolean;
  /**
   * Rejects events older than this many seconds by their signed envelope timestamp
   * (`created_at`: unix seconds or RFC 3339): `timestamp_too_old`; further in the future than the
   * replay window (300 s for schemes that sign no timestamp): `timestamp_too_new`; without one:
   * `missing_field`. The replay window of senders that sign only the body. Checked by `verify`
   * and receivers, not by `verifySignature` (no event is parsed). A scheme whose event timestamp
   * is not signed (shopify) or that has none (github) refuses it: `invalid_argument`.
   */
  maxEventAge?: number;
  /**
   * Public keys, for a scheme that verifies public-key signatures: `discord` (the application's
   * hex Ed25519 key), `sendgrid` (the base64 DER or PEM verification key), `standard` (`whpk_…`
   * keys for `v1a` signatures; with or without `secret`). Errors name a key by position or
   * fingerprint (8 hex digits of the SHA-256 of its bytes), never by its text.
   */
  publicKeys?: string[];
  /**
   * The endpoint URL the sender calls, exactly as registered with it, for schemes that sign the
   * URL (square, twilio, trello, hubspot); a `url` given per call takes its place.
   */
  url?: string;
  /** The method the sender uses, for schemes that sign it (hubspot); default `POST`. */
  method?: string;
}

export interface VerifyOptions {
  /** The current time (unix seconds or a Date); defaults to the system clock. */
  now?: number | Date;
  /**
   * The URL the sender called (scheme, host, port, path and query as it called them), for schemes
   * that sign it (square, twilio, trello, hubspot). Behind a proxy, rebuild it from
   * X-Forwarded-Proto/Host only when your own proxy sets them. Default: the verifier's `url`.
   */
  url?: string;
  /** The request method, for schemes that sign it (hubspot). Default: the verifier's `method`, else `POST`. */
  method?: string;
}

/** A verified event. */
export interface Event<T = unknown> {
  readonly id: string;
  readonly type: string;
  /** Unix seconds, or null when neither envelope nor headers carry one. */
  readonly timestamp: number | null;
  /** Index of the secret that matched. */
  readonly keyIndex: number;
  /** The payload, parsed on first access (cached). */
  readonly data: T;
  /**
   * The payload as JSON text, exactly as in the body. Not copied when verifying: it is read from
   * the verified body on first access (cached), so do not modify a body buffer before reading it.
   */
  readonly dataJson: string;
  toJSON(): { id: string; type: string; timestamp: number | null; keyIndex: number; data: T };
}

/** What a signature check established (no envelope parsing). */
export interface Verified {
  keyIndex: number;
  timestamp: number | null;
  messageId: string | null;
}

export declare class Verifier {
  /** @throws {HookverifyError} invalid_argument, invalid_secret, unknown_scheme, invalid_scheme */
  constructor(options: VerifierOptions);
  /** The lowercase header names this verifier reads. */
  readonly headerNames: string[];
  /** The largest body this verifier accepts, in bytes (the `maxBodyBytes` option; default 25 MiB). */
  readonly maxBodyBytes: number;
  /** Verifies the signature and parses the envelope. @throws {HookverifyError} */
  verify<T = unknown>(body: Body, headers: HeadersInput, options?: VerifyOptions): Event<T>;
  /** Verifies only the signature and timestamp window (e.g. Slack slash commands). @throws {HookverifyError} */
  verifySignature(body: Body, headers: HeadersInput, options?: VerifyOptions): Verified;
  /**
   * Replaces the live secrets atomically (a verification sees the old set or the new one, never a
   * mix). Validated as the constructor does; on error the old secrets stay. Give old and new to
   * overlap a rotation, then the new alone.
   * @throws {HookverifyError} invalid_secret, invalid_argument
   */
  setSecrets(secrets: string[]): void;
}

export interface SignOptions {
  scheme: PresetName | (string & {}) | SchemeSpec;
  /** The shared secret (give this or `privateKey`). */
  secret?: string;
  /**
   * The sender's private key, for public-key schemes (discord, sendgrid, standard `v1a`): Ed25519
   * as PKCS#8 PEM, `whsk_` + base64 or a hex seed; P-256 as PKCS#8 PEM or base64 DER. For tests.
   */
  privateKey?: string;
  body: Body;
  /** The URL the sender calls, for schemes that sign it (square, twilio, trello, hubspot). */
  url?: string;
  /** The method, for schemes that sign it (hubspot); default `POST`. */
  method?: string;
  /** Message id; required by schemes that sign one (standard). */
  id?: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
}

/** The headers a sender of `scheme` would send with `body`. */
export declare function sign(options: SignOptions): Record<string, string>;

/** Raw HMAC, the primitive under every scheme. */
export declare function hmac(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  key: Uint8Array | string,
  message: Uint8Array | string,
): Uint8Array;

/** A diagnose hint code (the core's `HintCode::ALL`, see spec/errors.md "Diagnose hints"). */
export type HintCode =
  | 'body_reserialized'
  | 'body_line_endings'
  | 'body_charset'
  | 'secret_encoding'
  | 'secret_whitespace'
  | 'secret_wrong_key'
  | 'wrong_encoding'
  | 'wrong_algorithm'
  | 'wrong_scheme'
  | 'timestamp_unit'
  | 'clock_skew'
  | 'wrong_url'
  | 'form_params_missing'
  | 'wrong_public_key';

export interface DiagnoseOptions {
  /** Every request header (detection and the checks may look at any of them); also `[name, value]` pairs. */
  headers: HeadersInput | Array<[string, string]>;
  /** The raw body as received. */
  body: Body;
  /** The secrets to try, in order (or one `secret`). */
  secrets?: string[];
  secret?: string;
  /** A preset name or spec; absent or null: detected from the headers. */
  scheme?: PresetName | (string & {}) | SchemeSpec | null;
  /** Unix seconds or a Date; defaults to the system clock. */
  now?: number | Date;
  /** The URL the sender called, for schemes that sign it (a `wrong_url` hint names a spelling that verifies). */
  url?: string;
  /** The request method, for schemes that sign it. */
  method?: string;
  /** Public keys, for schemes with public-key signatures (discord, sendgrid, standard `v1a`). */
  publicKeys?: string[];
}

/** One thing diagnose looked at. */
export interface DiagnoseCheck {
  /** `scheme`, `body_size`, `signature_header`, `id_header`, `timestamp`, `timestamp_window`, `secrets`, `signature`, `event`, `hint_search`; with a request line or public keys also `url`, `keys`, `public_keys`. */
  name: string;
  ok: boolean;
  /** What was found (never secret material or a signature value). */
  detail: string;
}

/** A cause the core confirmed by recomputing the MAC (or, for `secret_wrong_key`, by the secret's prefix). */
export interface DiagnoseHint {
  code: HintCode;
  /** What matched and what to change. */
  message: string;
}

/**
 * The core's report: what `hookverify diagnose --json` prints, with camelCase keys (`keyIndex`) like
 * every object hookverify hands to JS.
 */
export interface DiagnoseReport {
  valid: boolean;
  /** The scheme used (given or detected); null when none was detected. */
  scheme: string | null;
  /** Whether the scheme was detected from the headers. */
  detected: boolean;
  /** Index of the secret that matched, when valid. */
  keyIndex: number | null;
  checks: DiagnoseCheck[];
  /** Confirmed causes of a failure (empty when valid). */
  hints: DiagnoseHint[];
  /** The parsed envelope, when valid and the body is one. */
  event: { id: string; type: string; timestamp: number | null } | null;
}

/**
 * Why a delivery does (not) verify: checks, validity and MAC-confirmed hints.
 * @throws {HookverifyError} invalid_argument, unknown_scheme, invalid_scheme
 */
export declare function diagnose(options: DiagnoseOptions): DiagnoseReport;

/** In-process dedup store (one process; use RedisStore across processes). */
export declare class MemoryStore {
  /**
   * `capacity`: done markers kept (default 100000; the newest stay), plus `capacity / 10`
   * in-progress claims in a budget of their own (full: 503 + Retry-After); at most 205 bytes per key.
   */
  constructor(options?: { capacity?: number });
}

/**
 * Redis dedup store shared by every process of an endpoint. Native addon only: on wasm the
 * constructor throws `invalid_argument`. Connects lazily; an unreachable server answers 503.
 * `timeoutMs` (default 2000) bounds each call (connect, write and read together). Calls run on
 * the addon's own threads, not the libuv threadpool.
 */
export declare class RedisStore {
  constructor(url: string, options?: { prefix?: string; timeoutMs?: number });
}

/** Where a recorded delivery stands. */
export type InboxState = 'rejected' | 'duplicate' | 'pending' | 'done' | 'failed';

/** One recorded delivery, as `Inbox.list` gives it (no headers or body). */
export interface InboxSummary {
  /** The record id (unique in this inbox). */
  id: number;
  /** When it arrived, unix milliseconds. */
  receivedAtMs: number;
  provider: string | null;
  path: string;
  /** `accepted`, `duplicate`, `unhandled`, or the refusing error code. */
  verdict: string;
  /** The HTTP status answered. */
  status: number;
  eventId: string | null;
  eventType: string | null;
  state: InboxState;
  /** How many handler attempts were recorded. */
  attempts: number;
}

/** One handler attempt of a recorded delivery. */
export interface InboxAttempt {
  number: number;
  startedAtMs: number;
  /** `null` while running, or when the process died in it. */
  endedAtMs: number | null;
  ok: boolean | null;
  /** The failure's text, when it failed. */
  error: string | null;
}

/**
 * One recorded delivery in full, as `Inbox.show` gives it: the same record as
 * `hookverify inbox show --json` (keys camelCase). The body is `body` (text) when it is UTF-8,
 * else `bodyHex`; header values that carry credentials are `[redacted]`.
 */
export interface InboxRecord extends Omit<InboxSummary, 'attempts'> {
  query: string | null;
  headers: [string, string][];
  body?: string;
  bodyHex?: string;
  /** The body's size as received. */
  bodySize: number;
  /** Whether the body kept is shorter than the one received (a rejected delivery's). */
  bodyTruncated: boolean;
  attempts: InboxAttempt[];
}

/** What a replay's handler is given: the recorded event, as this attempt runs it. */
export interface InboxJob {
  /** The record id. */
  id: number;
  /** This attempt's number (1, 2, …): a new one for each replay. */
  attempt: number;
  provider: string | null;
  path: string;
  query: string | null;
  headers: [string, string][];
  eventId: string | null;
  eventType: string | null;
  /** The raw body as text when it is UTF-8, else `bodyHex`. */
  body?: string;
  bodyHex?: string;
}

/** How a replay ended. */
export interface InboxReplayResult {
  id: number;
  attempt: number;
  /** The handler resolved: the record is `done`. Else it is `failed` with `error`. */
  ok: boolean;
  error: string | null;
  /** `false`: the lease ran out while the handler ran and another worker took the event; nothing was recorded. */
  recorded: boolean;
}

/**
 * The durable inbox `hookverify serve` writes (an SQLite file or PostgreSQL): the message log
 * with every delivery, and replay. Native addon only. Every call runs on the addon's own threads.
 */
export declare class Inbox {
  private constructor();
  /** Recorded deliveries, newest first (default limit 100). */
  list(filter?: { status?: InboxState; provider?: string; limit?: number }): Promise<InboxSummary[]>;
  /** One delivery by record id or event id; `null` when there is none. */
  show(id: number | string): Promise<InboxRecord | null>;
  /**
   * Runs `handler` on recorded event `id` (record id or event id) again now, as a new attempt,
   * bypassing dedup; records it `done` when the handler resolves, `failed` with the error's
   * message when it throws (never retried). Rejects with `invalid_argument` when there is no
   * such record, or it is not an accepted event that can run now (refused, or leased by a
   * running worker). `leaseMs` (default 60000): how long the event is held; make it longer than
   * the handler runs.
   */
  replay(
    id: number | string,
    handler: (job: InboxJob) => unknown,
    options?: { leaseMs?: number },
  ): Promise<InboxReplayResult>;
}

/**
 * Opens the inbox at `location`: an SQLite file path (relative to the working directory) or a
 * `postgres://` URL; or, with `{ config: 'serve.toml' }`, the inbox that receiver config file
 * names (its `inbox =`; a relative path is taken relative to the file), as `hookverify inbox
 * --config` finds it. A missing file rejects with `inbox_unavailable` (reading never creates one).
 * Native addon only: on wasm it rejects with `invalid_argument`.
 */
export declare function openInbox(location: string | { config: string }): Promise<Inbox>;

/** What a JS store's `claim` returns: this caller now holds the key (with a fencing token), it was done, or another holds it. */
export type ClaimResult = { acquired: number | string } | { done: true } | { inProgress: number };

/**
 * A dedup store written in JS (a database, Workers KV / D1 / Durable Objects, Redis through your
 * own client), on either backend: the receiver awaits each method. The semantics are the core's
 * `Store`:
 * - `claim(key, leaseMs)`: if `key` is done (within its retention) answer `{ done: true }`; if a
 *   live claim holds it answer `{ inProgress: msLeft }`; else claim it for `leaseMs` and answer
 *   `{ acquired: token }`, a fencing token (a non-negative integer, a number up to 2^53 or a
 *   decimal string) larger than every earlier token of that key, even across a restart.
 * - `complete(key, token, retentionMs)`: if `token` still holds `key`, mark it done for
 *   `retentionMs` and answer `'recorded'`, else `'lease_lost'`.
 * - `release(key, token)`: drop the claim if `token` still holds it (the handlers failed).
 * A method that throws or rejects is the store being down: a claim answers 503 + Retry-After
 * (the sender retries); a failed complete still answers 200 with `Hookverify-Warning`.
 */
export interface Store {
  claim(key: string, leaseMs: number): ClaimResult | Promise<ClaimResult>;
  complete(
    key: string,
    token: number | string,
    retentionMs: number,
  ): 'recorded' | 'lease_lost' | Promise<'recorded' | 'lease_lost'>;
  release(key: string, token: number | string): unknown;
}

/** A handler; may be async. Throwing or rejecting is a failure: the claim is released (sync: 500). */
export type Handler<Ctx = HandlerContext> = (event: Event, ctx: Ctx) => unknown;

/** What a handler gets besides the event. */
export interface HandlerContext {
  /** The provider that matched. */
  provider: string;
  /** The claim's fencing token (increases per retry): pass it to writes that must reject stale workers. */
  token: number;
  /** The request path (no query). */
  path: string;
  /** The query string, or null. */
  query: string | null;
  [extra: string]: unknown;
}

/** Event-type patterns to handlers: `user.created`, `user.*`, `*`; GitHub's `issues` takes `issues.opened`. */
export declare class Router<H = Handler> {
  on(pattern: string, handler: H): this;
  unhandled(handler: H): this;
  /** The handlers for `type`, in registration order (the unhandled one when none match). */
  match(type: string): H[];
}

/** One sender on an endpoint. */
export interface ProviderOptions extends Omit<VerifierOptions, 'scheme'> {
  /** Defaults to the scheme's name: the preset name or alias as written, or a custom spec's `name`. */
  name?: string;
  scheme: VerifierOptions['scheme'];
  /** How its requests are recognised: its signature header (default), a header, or always (last). */
  match?: 'signature' | 'always' | '*' | { header: string; equals?: string } | [string, string];
  /** What a Meta-style `GET ?hub.mode=subscribe` handshake's `hub.verify_token` must equal (one of them). */
  verifyTokens?: string[];
}

export interface ReceiverOptions<Ctx = HandlerContext> extends Partial<Omit<VerifierOptions, 'scheme'>> {
  /** One provider: a scheme and its secret(s) (or use `providers`). */
  scheme?: VerifierOptions['scheme'];
  name?: string;
  /** Several providers on one endpoint, tried in order. */
  providers?: ProviderOptions[];
  /** Default: a new MemoryStore. */
  store?: MemoryStore | RedisStore | Store;
  /** Pattern -> handler(s), in order. */
  handlers?: Record<string, Handler<Ctx> | Handler<Ctx>[]>;
  /** Handlers limited to a provider and/or path. */
  routes?: Array<{ pattern: string; provider?: string; path?: string; handler: Handler<Ctx> }>;
  /** Runs when no route (and no `'*'`) matches. */
  unhandled?: Handler<Ctx>;
  /** 'async' (default): 202 once verified and claimed, handlers after. 'sync': 200 / 500 after the handlers. */
  mode?: 'async' | 'sync';
  /** The header that switches one request to sync: a name (value `true`), `{name, value}`, or false (default `Hookverify-Sync`). */
  syncHeader?: string | { name: string; value?: string } | false;
  /** Whether the sync header may switch one request to sync (default true; `syncHeader: false` says the same). */
  allowSyncHeader?: boolean;
  /** Routes' paths are relative to it; a request outside it is answered 404 `not_found` (default '/'). */
  basePath?: string;
  /** Status for a type no handler takes (default 202 async, 200 sync). */
  unhandledStatus?: number;
  /** Claim lease (default 60). */
  leaseSeconds?: number;
  /** Done-marker retention (default 4 days). */
  retentionSeconds?: number;
  /**
   * Endpoint name for duplicate suppression, needed only when several receivers share one store
   * (default: none). The dedup key is `namespace|provider|id` and never depends on the request
   * path, so every spelling a framework routes here (`/webhooks`, `/WEBHOOKS`, `/webhooks/`, a
   * sub-path of a mount) is one delivery.
   */
  namespace?: string;
  /** Called with a handler's error (default: console.error). */
  onError?: (error: unknown, ctx: Partial<Ctx> & { event?: Event }) => void;
  /**
   * Called once per rejected delivery (401, 400, 413, 503, ...) with the core's log line —
   * `rejected delivery: code=… status=… provider=…: detail` — and the answer sent. The line holds
   * what the answer leaves out (how many secrets were tried, the store's error), control
   * characters escaped, never a secret. Default: `console.warn('hookverify: ' + line)`; pass
   * `() => {}` to silence, or your logger.
   */
  onReject?: (line: string, decision: Decision) => void;
}

/** The HTTP answer the core chose: status, headers, JSON body. */
export interface Decision {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A verified, claimed delivery whose handlers are to run. */
export declare class Delivery {
  readonly event: Event;
  readonly provider: string;
  readonly token: number;
  readonly path: string;
  readonly query: string | null;
  readonly sync: boolean;
  readonly handlers: Handler[];
}

export interface ReceiverRequest {
  /** Path with optional `?query` (routes scoped by `path` match it; the dedup key never uses it). */
  path?: string;
  headers: HeadersInput;
  /** The raw body. */
  body: Body;
  now?: number | Date;
  /**
   * The HTTP method (default `POST`). Any other method is answered by the core: a handshake a
   * provider's scheme declares (Meta, Dropbox, Okta GET), else 405 `method_not_allowed`.
   */
  method?: string;
}

/** One webhook endpoint: the core pipeline plus your handlers. */
export declare class Receiver<Ctx = HandlerContext> {
  constructor(options: ReceiverOptions<Ctx>);
  /** The lowercase header names the pipeline reads. */
  readonly headerNames: string[];
  /** The largest body any provider accepts. */
  readonly maxBodyBytes: number;
  /**
   * Replaces the live secrets of the provider named `provider`, atomically (as `Verifier#setSecrets`).
   * @throws {HookverifyError} invalid_argument (unknown provider), invalid_secret
   */
  setSecrets(provider: string, secrets: string[]): void;
  /** The core's 413 for a body of at least `length` bytes (reported to onReject); null within the cap. */
  tooLarge(length: number): Decision | null;
  /** Runs a whole request. `done` settles once async handlers ran and the claim was completed or released. */
  handle(
    request: ReceiverRequest,
    extra?: Record<string, unknown>,
  ): Promise<{ decision: Decision; done: Promise<void> }>;
  /** Verify, match, route, claim: answer now (Decision) or run (Delivery). */
  begin(request: ReceiverRequest): Promise<Decision | Delivery>;
  /** The 202 for an async delivery. */
  accepted(delivery: Delivery): Decision;
  /** Runs the delivery's handlers in order; false once one throws or rejects. */
  run(delivery: Delivery, extra?: Record<string, unknown>): Promise<boolean>;
  /** Completes (ok) or releases the claim; the answer for sync deliveries. */
  finish(delivery: Delivery, ok: boolean): Promise<Decision>;
  /** Counters and latency histograms of every answer and of the handler runs after an async answer. */
  metrics(): MetricsSnapshot;
  /** The same metrics in the Prometheus text exposition format (for a `/metrics` route). */
  prometheus(): string;
}

/** A latency histogram: cumulative counts per bound of `LATENCY_BUCKETS` (seconds), then `+Inf`. */
export interface Latency {
  cumulative: number[];
  sumSeconds: number;
  count: number;
}

/** How a delivery was answered. */
export type Outcome = 'handled' | 'accepted' | 'unhandled' | 'duplicate' | 'rejected' | 'failed';

/** `Receiver#metrics()`: every series used so far, in a stable order. */
export interface MetricsSnapshot {
  deliveries: { provider: string | null; outcome: Outcome; code: ErrorCode | null; latency: Latency }[];
  runs: { provider: string | null; outcome: 'done' | 'failed' | 'retry' | 'dead_letter'; latency: Latency }[];
}

/** The stable snake_case error codes. */
export type ErrorCode =
  | 'missing_header'
  | 'malformed_header'
  | 'malformed_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_secret'
  | 'payload_too_large'
  | 'invalid_json'
  | 'missing_field'
  | 'unknown_scheme'
  | 'invalid_scheme'
  | 'invalid_argument'
  | 'store_unavailable'
  | 'internal_error'
  | 'overloaded'
  | 'handler_failed'
  | 'not_found'
  | 'inbox_unavailable'
  | 'handshake_rejected'
  | 'method_not_allowed';

/**
 * Every failure. `details` holds the structured fields of the core's error, with camelCase keys
 * (`skewSeconds`, `toleranceSeconds`, `basePath`, …; Python's are snake_case).
 */
export declare class HookverifyError extends Error {
  readonly name: 'HookverifyError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
}

export declare const ERROR_CODES: readonly ErrorCode[];
/** Every diagnose hint code, in the core's order. */
export declare const HINT_CODES: readonly HintCode[];
/** Each hint code's general fix, one sentence. */
export declare const HINT_FIXES: Readonly<Record<HintCode, string>>;
export declare const SCHEMES: readonly string[];
/** Which backend is loaded. */
export declare const backend: 'native' | 'wasm';
/** The package (and core) version. */
export declare const version: string;

declare const hookverify: {
  Verifier: typeof Verifier;
  sign: typeof sign;
  hmac: typeof hmac;
  diagnose: typeof diagnose;
  MemoryStore: typeof MemoryStore;
  RedisStore: typeof RedisStore;
  Router: typeof Router;
  Receiver: typeof Receiver;
  openInbox: typeof openInbox;
  Inbox: typeof Inbox;
  HookverifyError: typeof HookverifyError;
  ERROR_CODES: typeof ERROR_CODES;
  HINT_CODES: typeof HINT_CODES;
  HINT_FIXES: typeof HINT_FIXES;
  SCHEMES: typeof SCHEMES;
  backend: typeof backend;
  version: typeof version;
};
export default hookverify;
