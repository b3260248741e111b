// The CLI's `hookverify diagnose --json` line for every case of tests/vectors/diagnose.json: what the
// shared suite compares each backend's report with, byte for byte. Builds the release CLI with cargo
// when it is missing or older than the sources it is made from (`make build` normally did it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './backend.mjs';

export const CLI = path.join(ROOT, 'target/release/hookverify');

function newestUnder(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the release CLI unless it is present and newer than core/ and bindings/cli/ sources. */
export function ensureCli() {
  const sources = ['core/src', 'core/presets', 'bindings/cli/src'].map((d) => newestUnder(path.join(ROOT, d)));
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= Math.max(...sources)) return;
  const r = spawnSync('cargo', ['build', '--release', '-p', 'hookverify-cli'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`cargo build --release -p hookverify-cli failed (${r.status})`);
}

/** `{tcId: line}`: the CLI's JSON report per vector case (headers as `-H`, body on stdin). */
export function cliDiagnoseReports() {
  ensureCli();
  const doc = JSON.parse(readFileSync(path.join(ROOT, 'tests/vectors/diagnose.json'), 'utf8'));
  const out = {};
  for (const t of doc.tests) {
    const args = ['diagnose', '--json', '--now', String(t.now)];
    if (typeof t.scheme === 'string') args.push('--scheme', t.scheme);
    else if (t.scheme !== null) args.push('--scheme-json', JSON.stringify(t.scheme));
    for (const s of t.secrets) args.push(`--secret=${s}`);
    for (const [k, v] of Object.entries(t.headers)) args.push('-H', `${k}: ${v}`);
    for (const k of t.public_keys ?? []) args.push('--public-key', k);
    if (t.url !== undefined) args.push('--url', t.url);
    if (t.method !== undefined) args.push('--method', t.method);
    const body = t.body_hex !== undefined ? Buffer.from(t.body_hex, 'hex') : Buffer.from(t.body, 'utf8');
    const r = spawnSync(CLI, args, { input: body, encoding: 'utf8' });
    if (r.status !== (t.result === 'valid' ? 0 : 1))
      throw new Error(`tcId ${t.tcId}: CLI exit ${r.status}: ${r.stderr}${r.stdout}`);
    out[t.tcId] = r.stdout;
  }
  return out;
}
