'use strict';
// Loads the package's own binary files on Node (the native addon, wasm-bindgen's Node glue and its
// .wasm) with Node's own `require`, never through the require of a bundler. webpack, Turbopack and
// esbuild cannot bundle a native addon, rewrite `__dirname` and turn `require.resolve` into module
// ids, so a bundled copy of this package (a Next.js route handler, an esbuild bundle) finds its
// files in the INSTALLED package instead: Node's resolution of `hookverify/package.json` from the
// bundle's own file, else from the working directory (where `next start` and most servers run).
// Unbundled, the files are simply next to this one. Either way the installed package must be this
// exact version (the bundled JavaScript and the binaries come from one build).
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { name, version } = require('../package.json');

let found;

/** Whether `dir` holds this package at this version. */
function isThisPackage(dir) {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return pkg.name === name && pkg.version === version;
  } catch {
    return false;
  }
}

/** The installed package's directory, or throws saying where it looked. */
function packageDir() {
  if (found) return found;
  const tried = [];
  // Unbundled: lib/ is inside the package. (Bundlers give `__dirname` the bundle's directory or a
  // made-up one.)
  if (typeof __dirname === 'string') {
    const dir = path.join(__dirname, '..');
    if (isThisPackage(dir)) return (found = dir);
    tried.push(dir);
  }
  const bases = [];
  if (typeof __filename === 'string' && path.isAbsolute(__filename)) bases.push(__filename);
  bases.push(path.join(process.cwd(), 'noop.js'));
  for (const base of bases) {
    let dir;
    try {
      dir = path.dirname(createRequire(base).resolve(`${name}/package.json`));
    } catch {
      tried.push(`${name} from ${path.dirname(base)}`);
      continue;
    }
    if (isThisPackage(dir)) return (found = dir);
    tried.push(`${dir} (not ${name}@${version})`);
  }
  throw new Error(
    `hookverify: cannot find the installed ${name}@${version} package (bundled code loads its binaries from node_modules); tried ${tried.join(', ')}`,
  );
}

/** Node's own `require`, resolving relative to the installed package's root. */
function packageRequire() {
  return createRequire(path.join(packageDir(), 'package.json'));
}

module.exports = { packageDir, packageRequire };
