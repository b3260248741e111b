#!/usr/bin/env bash
# `make package`: the installable artifacts, in dist/:
#   hookverify-<v>.tgz     npm tarball (`npm pack`): native addon for linux-x64-gnu (glibc >= 2.17),
#                          the wasm build (Node, browsers, workers, edge), CJS and ESM, types
#   hookverify-<v>-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
#                          the Python wheel (abi3: CPython >= 3.10), checked with `auditwheel show`
#   hookverify-<v>.crate   the Rust crate (`cargo package`, verified by building it)
# Release builds without the test-only fault switch (cargo feature `test-hooks`, which only the
# in-tree test builds of scripts/build-npm.sh and scripts/build-python.sh turn on).
# scripts/test-package.sh installs each one outside the source tree and tests it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps.sh
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
dist=$root/dist
mkdir -p "$dist"
rm -f "$dist"/hookverify-*

echo "== npm tarball"
# A copy of the package's sources (never packages/npm itself, which holds the in-tree test build).
stage=$root/target/npm-package
rm -rf "$stage"
mkdir -p "$stage"
tar -C packages/npm --exclude=./node_modules --exclude=./package-lock.json --exclude="*.node" --exclude=./wasm \
  --exclude=./lib/api.mjs --exclude=./lib/fetch.mjs --exclude="*.tgz" -cf - . | tar -C "$stage" -xf -
scripts/build-npm.sh --release "$stage"
(cd "$stage" && npm pack --ignore-scripts --pack-destination "$dist" --loglevel=error >/dev/null)

echo "== wheel"
scripts/build-python.sh --release "$dist"
wheel=$(ls "$dist"/hookverify-*.whl)
report=$(.venv-build/bin/auditwheel show "$wheel")
echo "$report"
if ! tr -s '\n ' '  ' <<<"$report" | grep >/dev/null 'consistent with the following platform tag: "manylinux_2_17_x86_64"'; then
  echo "package: the wheel is not manylinux_2_17 (manylinux2014) compatible" >&2
  exit 1
fi

echo "== crate"
cargo package -p hookverify --allow-dirty --quiet
cp "target/package/hookverify-$version.crate" "$dist/"

ls -l "$dist"
