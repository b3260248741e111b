// Loopback HTTP helpers for the Express, Redis, example and README tests, and signed test
// deliveries whose signatures come from the peers' own libraries (never our sign()).
import http from 'node:http';
import net from 'node:net';
import Stripe from 'stripe';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { sign as octoSign } from '@octokit/webhooks-methods';

/** Starts `app` (an Express app or request listener) on 127.0.0.1, a free port. */
export async function listen(app) {
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url, server, close };
}

/** A port nothing listens on right now. */
export async function freePort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** POSTs and returns `{status, headers, json}`. */
export async function post(url, headers, body) {
  const r = await fetch(url, { method: 'POST', headers, body });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, headers: r.headers, json };
}

export const GITHUB_SECRET = "It's a Secret to Everybody";
export const STRIPE_SECRET = 'whsec_stripe_test_secret';
export const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const stripe = new Stripe('sk_test_interop');

/** A GitHub delivery signed by @octokit/webhooks-methods. */
export async function github(event, action, delivery, secret = GITHUB_SECRET) {
  const body = JSON.stringify({ action, issue: { number: 1 } });
  const headers = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': await octoSign(secret, body),
  };
  return { headers, body };
}

/** A Stripe delivery signed by stripe-node. */
export function stripeEvent(id, type, secret = STRIPE_SECRET) {
  const body = JSON.stringify({ id, type, created: Math.floor(Date.now() / 1000), data: { object: { id: 'in_1' } } });
  const header = stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    timestamp: Math.floor(Date.now() / 1000),
  });
  return { headers: { 'content-type': 'application/json', 'stripe-signature': header }, body };
}

/** A Standard Webhooks delivery signed by the standardwebhooks library. */
export function standardEvent(id, type, data = {}, secret = STANDARD_SECRET) {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  const ts = new Date();
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
    'webhook-signature': new StandardWebhook(secret).sign(id, ts, body),
  };
  return { headers, body };
}

/** A promise with its resolve function exposed. */
export function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}
