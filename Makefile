# The README's two commands: `make try` and `make test`.
SHELL := /bin/bash

.PHONY: build try test test-versions deps lint generate dist

build:
	cargo build --release

## Build the plugin and the control plane side by side, start a local cluster and show the plugin
## working against it. The plugin is built as `make test` builds it (the dev profile, the binary
## only), so the tests after `make try` compile only the test targets.
try:
	@set -euo pipefail; \
	log=$$(mktemp); tests/cluster/build > "$$log" & control_plane=$$!; \
	cargo build --bin kubectl-supportaccess; \
	wait $$control_plane || { echo "make try: building the control plane failed (see above)" >&2; exit 1; }; \
	k8s_bin=$$(tail -n 1 "$$log"); rm -f "$$log"; \
	out=$$(tests/cluster/up); kubeconfig=$${out##*KUBECONFIG=}; \
	export KUBECONFIG=$$kubeconfig PATH="$(CURDIR)/target/debug:$$k8s_bin:$$PATH"; \
	echo "+ kubectl supportaccess version"; kubectl supportaccess version; \
	echo "+ kubectl supportaccess get"; kubectl supportaccess get; \
	echo; echo "The cluster keeps running. To use it:"; \
	echo "  export KUBECONFIG=$$kubeconfig PATH=\"$(CURDIR)/target/debug:$$k8s_bin:\$$PATH\""; \
	echo "Stop it with: tests/cluster/down $$(dirname $$kubeconfig)"

## Everything CI checks: formatting, lints, unit and integration tests (against a real control plane).
## Installs what the tests need first (Debian packages, the control plane, krew), skipping what is there.
## The two older control planes `make test-versions` needs are built beside lint and the main suite,
## at the lowest CPU priority: the suite waits on API servers and timers for about a quarter of its
## time, and the build takes that time instead of running after it (BENCHMARKS.md, "Cold CI").
test:
	scripts/install-test-deps main
	@set -euo pipefail; log=$$(mktemp); \
	setsid nice -n 19 scripts/install-test-deps older > "$$log" 2>&1 & older=$$!; \
	trap 'kill -- -$$older 2>/dev/null || true; rm -f "$$log"' EXIT; \
	$(MAKE) lint; \
	cargo test --all-targets; \
	echo "make test: waiting for the older control planes (scripts/install-test-deps older)"; \
	wait $$older || { cat "$$log"; echo "make test: building the older control planes failed (see above)" >&2; exit 1; }; \
	tail -n 1 "$$log"; \
	$(MAKE) test-versions

# The integration tests that touch every API the plugin uses: enable (roles, flow control, the
# admission guards and the policy they carry), request (ServiceAccounts, TokenRequest), revoke,
# roles --verify (dry runs under impersonation), the guards' attacks (TokenRequest admission, CEL's
# authorizer: requester::, ownership::), and the binding scan (the server-side Table).
VERSIONS_SUBSET = owner::enable_shows owner::roles_verify owner::withdrawing_a_role guards:: enforced:: \
	support::a_readonly_credential support::an_operator_credential records::a_support_subject requester:: ownership:: \
	clusterroles::a_clusterrole_not_allowed teams::a_quorum_of_two teams::a_reason_that state:: trail:: identity::

## The subset above on the oldest Kubernetes upstream supports (K8S_SUPPORTED_VERSION) and on the
## oldest the plugin supports (K8S_OLDEST_VERSION), both named in tests/cluster/versions.env, with
## the main suite's parallelism and the default GOMAXPROCS: the guards carry no spec.variables, so
## rewriting them cannot crash those API servers (kubernetes/kubernetes#135757, BENCHMARKS.md).
## The two versions run side by side (each test has its own control plane and ports; they wait on
## API servers and timers more than on the CPU), each into its own log, printed whole when it ends.
test-versions:
	@set -uo pipefail; . tests/cluster/versions.env; logs=$$(mktemp -d); pids=(); \
	for version in $$K8S_SUPPORTED_VERSION $$K8S_OLDEST_VERSION; do \
		( KSA_K8S_VERSION=$$version cargo test --test integration -- $(VERSIONS_SUBSET) > "$$logs/$$version.log" 2>&1 ) & pids+=($$!); \
	done; \
	failed=""; i=0; for version in $$K8S_SUPPORTED_VERSION $$K8S_OLDEST_VERSION; do \
		wait $${pids[$$i]} || failed="$$failed $$version"; i=$$((i + 1)); \
		echo "make test-versions: Kubernetes $$version"; cat "$$logs/$$version.log"; \
	done; rm -rf "$$logs"; \
	if [ -n "$$failed" ]; then echo "make test-versions: failed on Kubernetes$$failed" >&2; exit 1; fi

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
