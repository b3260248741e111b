'use strict';
// The native (napi-rs) backend. Throws when the addon is missing or was built from another version.
// The addon is loaded by Node's own require from the installed package (lib/load.js), so a bundler
// (Next.js, esbuild) never tries to bundle it.
const { createApi } = require('./lib/api.js');
const { packageRequire } = require('./lib/load.js');
const { version } = require('./package.json');

function loadAddon() {
  const abi = process.platform === 'linux' ? (isMusl() ? '-musl' : '-gnu') : '';
  const file = `hookverify.${process.platform}-${process.arch}${abi}.node`;
  const candidates = [`./${file}`, `@hookverify/binding-${process.platform}-${process.arch}${abi}`];
  const errors = [];
  let load;
  try {
    load = packageRequire();
  } catch (e) {
    throw new Error(`hookverify: no native addon for ${process.platform}-${process.arch}${abi}\n  ${e.message}`);
  }
  for (const c of candidates) {
    try {
      return load(c);
    } catch (e) {
      errors.push(`${c}: ${e.message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `hookverify: no native addon for ${process.platform}-${process.arch}${abi}\n  ${errors.join('\n  ')}`,
  );
}

function isMusl() {
  try {
    return !process.report.getReport().header.glibcVersionRuntime;
  } catch {
    return false;
  }
}

const raw = loadAddon();
if (raw.version() !== version) {
  throw new Error(
    `hookverify: the native addon is version ${raw.version()}, the package is ${version}; rebuild or reinstall`,
  );
}
module.exports = createApi(raw, 'native');
