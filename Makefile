# hookverify task runner. `make` lists the tasks.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help: ## list the tasks
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

deps: ## install every missing tool (idempotent): rust targets, wasm-bindgen-cli, npm deps, venv, apt packages
	@scripts/deps.sh

build: ## build every artifact in place (CLI, npm package, wheel)
	cargo build --release -p hookverify-cli
	@for s in scripts/build-*.sh; do [ -x "$$s" ] && { echo "== $$s"; "$$s" || exit 1; }; done; true

package: deps ## installable artifacts in dist/: npm tarball, manylinux wheel, crate (release builds, no test hooks)
	@scripts/package.sh

test: deps build ## install what is missing, build, run every suite
	@scripts/test-all.sh

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

.PHONY: help deps build package test test-rust demo bench fuzz ct
