#!/usr/bin/env node
// A tiny static server for the debugger page: `node debugger/serve.mjs [--port 8080]` serves only
// the files the page loads (the page, the ES module build of the package, its wasm) on 127.0.0.1.
// Zero dependencies; also what the package's browser tests serve the page with.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Served paths, relative to the package root (directories end with /).
export const SERVED = ['/debugger/', '/browser.mjs', '/lib/api.mjs', '/wasm/web/'];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
};

/**
 * Starts the server on 127.0.0.1:`port` (0: a free one). `onRequest({method, path, status})` sees every
 * request (the tests assert the page makes no others). Resolves to the node:http server.
 */
export async function serve({ port = 0, onRequest } = {}) {
  const server = http.createServer(async (req, res) => {
    let url = null;
    let p = null;
    try {
      url = new URL(req.url, 'http://localhost');
      p = path.posix.normalize(decodeURIComponent(url.pathname));
    } catch {
      // A malformed percent-escape (`/%`, `/%E0%A4%A`) or request target (`//[`): 400, and the
      // server keeps serving (a throw here would be an unhandled rejection, which ends the process).
    }
    if (p === '/' || p === '/debugger') p = '/debugger/';
    if (p?.endsWith('/')) p += 'index.html';
    const allowed =
      p !== null &&
      req.method === 'GET' &&
      SERVED.some((s) => (s.endsWith('/') ? p.startsWith(s) : p === s)) &&
      !p.includes('..');
    let status = p === null ? 400 : 404;
    let body = p === null ? 'bad request' : 'not found';
    if (allowed) {
      try {
        body = await readFile(path.join(PKG, p));
        status = 200;
      } catch {
        // 404
      }
    }
    onRequest?.({ method: req.method, path: url ? url.pathname + url.search : req.url, status });
    res.writeHead(status, {
      'content-type': status === 200 ? TYPES[path.extname(p)] || 'application/octet-stream' : 'text/plain',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(body);
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return server;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const server = await serve({ port: i > 0 ? Number(process.argv[i + 1]) : 8080 });
  console.log(`hookverify debugger: http://127.0.0.1:${server.address().port}/debugger/`);
}
