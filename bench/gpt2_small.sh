#!/usr/bin/env bash
# What GPT-2 small (124M parameters, GPT-2's real tokenizer, random weights) costs here: natively
# (`gpt generate`: load time, ms/token, peak memory) and in the page (headless Chromium, CPU
# path: import time, ms/token, WebAssembly memory). Needs `make corpora www build` (make
# bench-gpt2 does it) and numpy + safetensors. TOKENS (default 64) tokens are generated.
set -euo pipefail
cd "$(dirname "$0")/.."
GPT=${CARGO_TARGET_DIR:-target}/release/gpt
DIR=${DIR:-${CARGO_TARGET_DIR:-target}/gpt2-small}
TOKENS=${TOKENS:-64}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
[ -f "$DIR/model.safetensors" ] || python3 bench/gpt2_small.py corpora/dist/gpt2 "$DIR"
# `gpt generate` reports its load time and ms/token on stderr; /usr/bin/time its peak memory.
out=$(/usr/bin/time -f 'peak RSS %M KB' "$GPT" generate --model "$DIR" --prompt "The meaning of life is" \
  --tokens "$TOKENS" --seed 1 2>&1 >/dev/null)
echo "native: $out" | tr '\n' ' '; echo
echo "GPT2_SMALL_NATIVE_LOAD_SECONDS=$(sed -n 's/^loaded in \([0-9.]*\) s.*/\1/p' <<<"$out")"
echo "GPT2_SMALL_NATIVE_MS_PER_TOKEN=$(sed -n 's/.*: \([0-9.]*\) ms\/token.*/\1/p' <<<"$out")"
echo "GPT2_SMALL_NATIVE_PEAK_MIB=$(( $(sed -n 's/^peak RSS \([0-9]*\) KB/\1/p' <<<"$out") / 1024 ))"
echo "== browser (CPU path, one worker)"
browser=$(node bench/gpt2_small.mjs "$DIR" "$TOKENS" cpu | tee /dev/stderr)
native_ms=$(sed -n 's/.*: \([0-9.]*\) ms\/token.*/\1/p' <<<"$out")
page_ms=$(sed -n 's/^GPT2_SMALL_BROWSER_CPU_MS_PER_TOKEN=//p' <<<"$browser")
echo "page / native speed, this run: $(python3 -c "print(f'{$native_ms / $page_ms:.2f}x')") (ms/token $page_ms vs $native_ms)"
[ -z "${WEBGPU:-}" ] || node bench/gpt2_small.mjs "$DIR" "$WEBGPU" webgpu  # WEBGPU=N tokens
