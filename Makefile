# The README's two commands: `make try` and `make test`.
SHELL := /bin/bash
K8S_BIN = $(shell tests/cluster/build)

.PHONY: build try test deps lint generate dist

build:
	cargo build --release

## Build the plugin, start a local control plane and show the plugin working against it.
try: build
	@set -euo pipefail; \
	out=$$(tests/cluster/up); kubeconfig=$${out##*KUBECONFIG=}; \
	export KUBECONFIG=$$kubeconfig PATH="$(CURDIR)/target/release:$(K8S_BIN):$$PATH"; \
	echo "+ kubectl supportaccess version"; kubectl supportaccess version; \
	echo "+ kubectl supportaccess get"; kubectl supportaccess get; \
	echo; echo "The cluster keeps running. To use it:"; \
	echo "  export KUBECONFIG=$$kubeconfig PATH=\"$(CURDIR)/target/release:$(K8S_BIN):\$$PATH\""; \
	echo "Stop it with: tests/cluster/down $$(dirname $$kubeconfig)"

## Everything CI checks: formatting, lints, unit and integration tests (against a real control plane).
## Installs what the tests need first (Debian packages, the control plane, krew), skipping what is there.
test: deps lint
	cargo test --all-targets

deps:
	scripts/install-test-deps

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

## Rewrite completions/ and man/ from the CLI definition (a test fails when they drift).
generate:
	KSA_UPDATE_GENERATED=1 cargo test --lib generated_files_are_current

## Pack dist/kubectl-supportaccess-<version>-<os>-<arch>.tar.gz, print its sha256, render krew/supportaccess.yaml.
dist:
	scripts/dist
