#!/usr/bin/env bash
# Training tokens/s on a GPU: `gpt bench --device wgpu` (Vulkan) beside the PyTorch reference on
# CUDA, same presets, same machine, same run; then both on the machine's CPU cores.
# Needs: a `gpt` built with the default features (`make build`), python3 with torch (CUDA), and a
# Vulkan loader + driver. Results from an H100: BENCHMARKS.md.
# GPT_AUTOTUNE=path: a second `gpt` built with burn's matmul autotune (`cargo build --release -p
# gpt-cli --features autotune --target-dir target/autotune`), timed beside the first on wgpu, so
# that one run says whether autotune pays on this GPU (its correctness gate: `make autotune-gate`).
set -uo pipefail
cd "$(dirname "$0")/.."
GPT=${GPT:-${CARGO_TARGET_DIR:-target}/release/gpt}
echo "== $(nvidia-smi -L 2>&1 | head -1); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for p in ${PRESETS:-baby small}; do
  echo "== preset $p: gpt bench --device wgpu"
  "$GPT" bench --preset "$p" --device wgpu --iters 100 | tail -8
  if [ -n "${GPT_AUTOTUNE:-}" ]; then
    # Tuning happens in the bench's warm-up steps (the first use of each matmul shape).
    echo "== preset $p: gpt bench --device wgpu, autotune build"
    "$GPT_AUTOTUNE" bench --preset "$p" --device wgpu --iters 100 | tail -8
  fi
  echo "== preset $p: pytorch cuda"
  python3 bench/reference_gpt.py --preset "$p" --device cuda --iters 100 | tail -2
  echo "== preset $p: gpt bench --device cpu ($(nproc) cores)"
  "$GPT" bench --preset "$p" --device cpu --iters 30 | tail -8
  echo "== preset $p: pytorch cpu, $(nproc) threads"
  python3 bench/reference_gpt.py --preset "$p" --device cpu --threads "$(nproc)" --iters 30 | tail -2
done
