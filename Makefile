# C2P Care. `make run` opens the console; `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(PATH)
TAURI_DRIVER := $(TOOLS)/bin/tauri-driver
TAURI_DRIVER_VERSION := ~2.1
NPM_STAMP := ui/node_modules/.installed
TAURI := ui/node_modules/.bin/tauri
# Every build embeds the front end, so tests, `make run` and clippy share one build of tauri.
FEATURES := --features custom-protocol
# Tests add the test-only hooks (the administrators' policy file, the file picker), which no
# shipped build has.
TEST_FEATURES := --features custom-protocol,test-hooks
export TAURI_DRIVER

.PHONY: help setup system ui run dev test lint unit-ui e2e bindings screenshot bench bundle clean

help:
	@echo "make run      build and open the console (embedded sandbox)"
	@echo "make test     every check and test: fmt, clippy, svelte-check, tsc, Vitest, cargo tests, end-to-end"
	@echo "make dev      the console with the UI hot-reloaded (tauri dev)"
	@echo "make lint     fmt, clippy, svelte-check and tsc only"
	@echo "make bindings regenerate ui/src/lib/ipc/bindings.ts from the Rust commands"
	@echo "make bench    benchmarks (sandbox, D1 client, consumer view, batch, team store, audit trail scaling, app launch and memory)"
	@echo "make bundle   a .deb package in target/release/bundle"

setup: system $(NPM_STAMP) $(TAURI_DRIVER) nextest

system:
	@scripts/setup.sh

# `npm ci` refuses a lockfile without the Tauri CLI's binaries for other platforms, which a
# registry mirror may not carry; `npm install` then installs the same locked versions.
$(NPM_STAMP): ui/package.json ui/package-lock.json
	cd ui && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }
	touch $@

$(TAURI_DRIVER):
	cargo install tauri-driver --version '$(TAURI_DRIVER_VERSION)' --locked --root $(TOOLS)

.PHONY: nextest
nextest:
	@cargo nextest --version >/dev/null 2>&1 || cargo install cargo-nextest --locked --root $(TOOLS)

ui: $(NPM_STAMP)
	cd ui && npm run build

run: setup ui
	cargo run $(FEATURES)

dev: setup
	$(TAURI) dev

lint: setup ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets $(TEST_FEATURES) -- -D warnings
	# The desktop app as a bank without a simulator builds it (README).
	cargo clippy --lib --no-default-features $(FEATURES) -- -D warnings
	cd ui && npm run check

unit-ui: $(NPM_STAMP)
	cd ui && npm test

# Cargo tests run inside a private D-Bus session with its own GNOME Keyring (a real Secret
# Service), so the keychain tests and the app under test never touch the user's keyring.
WITH_KEYRING := scripts/with-secret-service.sh

test: setup ui lint unit-ui
	$(WITH_KEYRING) cargo nextest run --workspace $(TEST_FEATURES) --no-fail-fast

e2e: setup ui
	$(WITH_KEYRING) cargo nextest run $(TEST_FEATURES) --test e2e

bindings: setup ui
	C2P_WRITE_BINDINGS=1 cargo test --lib $(FEATURES) -- ipc::tests

# Copies the end-to-end tests' screenshots into the README.
screenshot: e2e
	cp target/tmp/e2e/keyboard/search-results.png docs/screenshot.png
	cp target/tmp/e2e/consumer/consumer-en.png docs/consumer.png
	cp target/tmp/e2e/opt-out/opt-out-en.png docs/opt-out.png
	cp target/tmp/e2e/wizard/wizard-tested.png docs/wizard.png
	cp target/tmp/e2e/batch/batch-dry-run.png docs/batch.png
	cp target/tmp/e2e/team/already-in-progress.png docs/team-in-progress.png
	cp target/tmp/e2e/team/history.png docs/team-history.png
	cp target/tmp/e2e/team/team-batches.png docs/team-batches.png
	cp target/tmp/e2e/team-emergency/emergency.png docs/team-emergency.png
	cp target/tmp/e2e/tokens/tokens-en.png docs/tokens.png
	cp target/tmp/e2e/tokens/history-en.png docs/history.png
	cp target/tmp/e2e/profile-audit/profile-audit.png docs/profile-audit.png
	$(WITH_KEYRING) cargo nextest run -p care --features embedded-sandbox --test profile_audit
	cp target/tmp/profile-audit/report.png docs/profile-audit-report.png

# Benchmarks print ratios measured in one run (optimised build, not part of `make test`).
bench: setup ui
	cargo bench -p d1-sandbox --bench profiles
	cargo bench -p d1 --bench overhead
	cargo bench -p care --features embedded-sandbox --bench consumer_view
	cargo bench -p care --features embedded-sandbox --bench batch_throughput
	cargo bench -p care --features embedded-sandbox --bench team_mode
	cargo bench -p care --bench trail_scaling
	cargo build --profile bench --features custom-protocol --example minimal-window
	scripts/with-secret-service.sh cargo bench --features custom-protocol --bench launch

bundle: setup
	$(TAURI) build --bundles deb

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules $(TOOLS)
