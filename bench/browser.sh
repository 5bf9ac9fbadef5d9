#!/usr/bin/env bash
# Training tokens/s natively (`gpt bench`), in PyTorch (bench/reference_gpt.py, when torch is
# installed: `pip install torch numpy`) and in headless Chromium (the playground's CPU path:
# wasm32 + SIMD, 1 and 2 workers, and 4 where the machine has 4 cores; ring and page all-reduce),
# plus streaming tokens/s, on this machine, in this run. Needs: `make www build` done (make
# bench-browser does it).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESETS=${PRESETS:-baby,small}
STEPS=${STEPS:-40}
WORKERS=${WORKERS:-$( [ "$(nproc)" -ge 4 ] && echo 1,2,4 || echo 1,2 )}
GPT=${CARGO_TARGET_DIR:-target}/release/gpt
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
declare -A native torch
for preset in ${PRESETS//,/ }; do
  echo "== native: gpt bench --preset $preset --iters $STEPS"
  native[$preset]=$("$GPT" bench --preset "$preset" --iters "$STEPS" | tee /dev/stderr | sed -n 's/^BENCH_TRAIN_TOKENS_PER_SEC=//p')
  torch[$preset]=0
  if python3 -c 'import torch' 2>/dev/null; then
    echo "== PyTorch: bench/reference_gpt.py --preset $preset --iters $STEPS --threads $(nproc)"
    torch[$preset]=$(python3 bench/reference_gpt.py --preset "$preset" --iters "$STEPS" --threads "$(nproc)" | tee /dev/stderr | sed -n 's/^REF_TRAIN_TOKENS_PER_SEC=//p')
  fi
done
echo "== browser: node bench/browser.mjs $PRESETS $WORKERS $STEPS"
out=$(node bench/browser.mjs "$PRESETS" "$WORKERS" "$STEPS" | tee /dev/stderr)
for preset in ${PRESETS//,/ }; do
  one=$(sed -n "s/^BROWSER_TRAIN_TOKENS_PER_SEC_${preset}_1=//p" <<<"$out")
  for w in ${WORKERS//,/ }; do
    for how in "" _page _plain; do
      [ "$w" = 1 ] && [ "$how" = _page ] && continue
      [ "$w" != 1 ] && [ "$how" = _plain ] && continue
      b=$(sed -n "s/^BROWSER_TRAIN_TOKENS_PER_SEC_${preset}_${w}${how}=//p" <<<"$out")
      python3 -c "
n, t, b, one = float(${native[$preset]}), float(${torch[$preset]}), float($b), float($one)
how = {'': ', ring' if $w > 1 else '', '_page': ', via the page', '_plain': ', plain SIMD128 package'}['$how']
vs_torch = f', {b / t:.2f} x PyTorch ({t:.0f})' if t else ''
print(f'$preset, $w worker(s){how}: browser {b:.0f} tokens/s = {b / n:.2f} x native ({n:.0f}){vs_torch}, {b / one:.2f} x one worker (page\\'s package)')"
    done
  done
done
sed -n 's/^BROWSER_STREAM_TOKENS_PER_SEC=/streaming generation (tiny) into the page, tokens\/s: /p' <<<"$out"
