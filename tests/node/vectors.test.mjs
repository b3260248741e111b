// node:test wrapper around the shared suite (suite.mjs) for one backend.
import { test } from 'node:test';
import { BACKEND, hv, load, loadBytes } from './backend.mjs';
import { buildCases } from './suite.mjs';
import { cliDiagnoseReports } from './cli.mjs';

test(`backend is ${BACKEND}`, (t) => {
  if (hv.backend !== BACKEND) throw new Error(`loaded ${hv.backend}`);
});

for (const c of await buildCases(hv, { load, loadBytes, cliReports: cliDiagnoseReports() })) {
  test(`[${BACKEND}] ${c.name}`, c.run);
}
