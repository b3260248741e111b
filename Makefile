# hookverify task runner. `make` lists the tasks.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help: ## list the tasks
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

deps: ## install every missing tool (idempotent): rust targets, wasm-bindgen-cli, npm deps, venv, apt packages
	@scripts/deps.sh

deps-check: ## list every missing tool, install nothing (exit 0)
	@scripts/deps.sh --check

package: ## installable artifacts in dist/: npm tarball, manylinux wheel, crate (release builds, no test hooks)
	@scripts/package.sh

build: ## build every artifact in place (CLI, npm package, wheel)
	@scripts/build.sh

# The tree is recorded first: the last suite (scripts/test-zz-clean-tree.sh) fails if deps, build or
# tests rewrote a tracked file or left an unignored one behind. No $(MAKE) in this recipe: make runs
# a line that has one even under `make -n`.
test: ## install what is missing, build, run every suite (and check the tree is left unchanged)
	@export HV_TREE_BEFORE=$$(scripts/tree-state.sh id) && scripts/deps.sh && scripts/build.sh && \
	  scripts/test-all.sh

test-rust: ## Rust unit, vector and integration tests
	@scripts/test-rust.sh

demo: ## sign, verify, tamper and replay sample events for every scheme with the CLI
	@scripts/demo.sh

bench: ## benchmarks side by side with peer libraries
	@scripts/bench.sh

fuzz: ## run every cargo-fuzz target (FUZZ_SECONDS per target, default 600)
	@scripts/fuzz.sh

ct: ## constant-time measurement (dudect) of the tag comparison and verify per scheme
	@scripts/ct.sh

.PHONY: help deps deps-check build package test test-rust demo bench fuzz ct
