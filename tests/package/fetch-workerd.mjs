// Runs a bundled Worker in workerd through miniflare on a free loopback port, then a client:
// `node fetch-workerd.mjs DIR SCRIPT CLIENT [ARGS...]` runs `node CLIENT URL ARGS...`. The Worker
// gets WEBHOOK_SECRET from this process's environment as a binding, when set.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Miniflare } from 'miniflare';

const [dir, script, client, ...args] = process.argv.slice(2);
const mf = new Miniflare({
  host: '127.0.0.1',
  port: 0,
  modules: true,
  modulesRoot: dir,
  scriptPath: path.join(dir, script),
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2025-01-01',
  bindings: process.env.WEBHOOK_SECRET ? { WEBHOOK_SECRET: process.env.WEBHOOK_SECRET } : {},
});
try {
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const r = spawnSync(process.execPath, [client, url, ...args], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  await mf.dispose();
}
