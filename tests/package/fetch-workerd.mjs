// Runs the bundled Worker (out/worker/fetch-worker.js) in workerd through miniflare on a free
// loopback port, then the client post-fetch.mjs against it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Miniflare } from 'miniflare';

const [dir, client] = process.argv.slice(2);
const mf = new Miniflare({
  host: '127.0.0.1',
  port: 0,
  modules: true,
  modulesRoot: dir,
  scriptPath: path.join(dir, 'fetch-worker.js'),
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2025-01-01',
});
try {
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const r = spawnSync(process.execPath, [client, url, 'wasm', 'workerd'], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  await mf.dispose();
}
