// Runs ES module source in a child Node process on this run's backend with the test-only fault
// switch enabled (it only works when HOOKVERIFY_TEST_PANIC=1 was set as the package loaded).
// The source runs from tests/node, so it imports './backend.mjs' and the suites as the tests do.
import { spawnSync } from 'node:child_process';
import { BACKEND, ROOT } from './backend.mjs';

/** The child's `{status, stdout, stderr}` (spawnSync's result, text). */
export function runFaulting(source) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: `${ROOT}/tests/node`,
    env: { ...process.env, HOOKVERIFY_TEST_PANIC: '1', HOOKVERIFY_BACKEND: BACKEND, RUST_BACKTRACE: '0' },
    encoding: 'utf8',
    timeout: 120000,
  });
}
