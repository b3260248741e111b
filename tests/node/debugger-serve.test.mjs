// packages/npm/debugger/serve.mjs as a real process: a malformed request target (`GET /%`, which any
// web page can make the developer's browser send to 127.0.0.1) is a 400 and the server keeps serving.
// Before the fix, decodeURIComponent threw inside the async handler and the process exited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Not backend.mjs: this test needs no built package, only the server script.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let child;
let port;

before(async () => {
  child = spawn(process.execPath, [path.join(ROOT, 'packages/npm/debugger/serve.mjs'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/127\.0\.0\.1:(\d+)\//);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve.mjs exited (${code}) before listening`)));
  });
});

after(() => {
  if (child.exitCode === null) child.kill();
});

/** One raw HTTP/1.1 GET (no client-side URL validation): the status code, or null if the connection died. */
function get(target) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    let raw = '';
    socket.on('data', (d) => (raw += d));
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(raw ? Number(raw.split(' ')[1]) : null));
  });
}

test('a malformed percent-escape is a 400 and the server keeps serving', async () => {
  assert.equal(await get('/%'), 400);
  assert.equal(await get('/debugger/%E0%A4%A'), 400);
  assert.equal(await get('//['), 400);
  // Still alive and serving the page.
  assert.equal(child.exitCode, null, 'serve.mjs must not exit');
  assert.equal(await get('/debugger/'), 200);
  assert.equal(await get('/debugger/..%2f..%2fpackage.json'), 404);
  assert.equal(child.exitCode, null);
});
