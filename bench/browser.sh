#!/usr/bin/env bash
# Training tokens/s of the same preset natively (`gpt bench`) and in headless Chromium (the
# playground's CPU path: wasm32 + SIMD, one thread), on this machine, in this run.
# Needs: `make www build` done (make bench-browser does it).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${PRESET:-baby}
STEPS=${STEPS:-60}
GPT=${CARGO_TARGET_DIR:-target}/release/gpt
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== native: gpt bench --preset $PRESET --iters $STEPS"
native=$("$GPT" bench --preset "$PRESET" --iters "$STEPS" | tee /dev/stderr | sed -n 's/^BENCH_TRAIN_TOKENS_PER_SEC=//p')
echo "== browser: node bench/browser.mjs $PRESET $STEPS"
browser=$(node bench/browser.mjs "$PRESET" "$STEPS" | tee /dev/stderr | sed -n 's/^BROWSER_TRAIN_TOKENS_PER_SEC=//p')
python3 -c "print(f'training tokens/s: native {float($native):.0f}, browser (CPU, wasm) {float($browser):.0f}, ratio browser/native = {float($browser)/float($native):.2f}')"
