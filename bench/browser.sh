#!/usr/bin/env bash
# Training tokens/s natively (`gpt bench`) and in headless Chromium (the playground's CPU path:
# wasm32 + SIMD, 1 and 2 workers, and 4 where the machine has 4 cores), plus streaming tokens/s,
# on this machine, in this run. Needs: `make www build` done (make bench-browser does it).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESETS=${PRESETS:-baby,small}
STEPS=${STEPS:-40}
WORKERS=${WORKERS:-$( [ "$(nproc)" -ge 4 ] && echo 1,2,4 || echo 1,2 )}
GPT=${CARGO_TARGET_DIR:-target}/release/gpt
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
declare -A native
for preset in ${PRESETS//,/ }; do
  echo "== native: gpt bench --preset $preset --iters $STEPS"
  native[$preset]=$("$GPT" bench --preset "$preset" --iters "$STEPS" | tee /dev/stderr | sed -n 's/^BENCH_TRAIN_TOKENS_PER_SEC=//p')
done
echo "== browser: node bench/browser.mjs $PRESETS $WORKERS $STEPS"
out=$(node bench/browser.mjs "$PRESETS" "$WORKERS" "$STEPS" | tee /dev/stderr)
for preset in ${PRESETS//,/ }; do
  one=$(sed -n "s/^BROWSER_TRAIN_TOKENS_PER_SEC_${preset}_1=//p" <<<"$out")
  for w in ${WORKERS//,/ }; do
    b=$(sed -n "s/^BROWSER_TRAIN_TOKENS_PER_SEC_${preset}_${w}=//p" <<<"$out")
    python3 -c "print(f'$preset, $w worker(s): browser {float($b):.0f} tokens/s = {float($b)/float(${native[$preset]}):.2f} x native ({float(${native[$preset]}):.0f}), {float($b)/float($one):.2f} x one worker')"
  done
done
sed -n 's/^BROWSER_STREAM_TOKENS_PER_SEC=/streaming generation (tiny) into the page, tokens\/s: /p' <<<"$out"
