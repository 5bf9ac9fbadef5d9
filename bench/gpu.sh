#!/usr/bin/env bash
# Training tokens/s on a GPU: `gpt bench --device wgpu` (Vulkan) beside the PyTorch reference on
# CUDA, same presets, same machine, same run; then both on the machine's CPU cores.
# Needs: a `gpt` built with the default features (`make build`), python3 with torch (CUDA), and a
# Vulkan loader + driver. Results from an H100: BENCHMARKS.md.
#
#   bench/gpu.sh prepare   here: builds `gpt` twice, with and without burn's matmul autotune
#                          (`--features autotune`; its correctness gate: `make autotune-gate`),
#                          and puts both stripped and gzipped in target/gpu-carry/ (~15 MB each:
#                          a release `gpt` with line tables was ~480 MB, 58 MB stripped)
#   bench/gpu.sh [run]     there: the benchmark, with target/gpu-carry/'s binaries when present
#
# On a lent GPU machine (no registry, no toolchain), one call of the device tool:
#   run command: bench/gpu.sh run      carry: target/gpu-carry
# GPT=path and GPT_AUTOTUNE=path choose the binaries; with GPT_AUTOTUNE set (prepare's carry
# sets it), the autotune build is timed beside the default one on wgpu in the same run.
set -uo pipefail
cd "$(dirname "$0")/.."
CARRY=target/gpu-carry
case "${1:-run}" in
  prepare)
    set -e
    out=${CARGO_TARGET_DIR:-target}/release/gpt
    mkdir -p "$CARRY"
    # The autotune build first: both share every compiled dependency but burn's cubecl crates.
    cargo build --release -p gpt-cli --features autotune
    strip -o "$CARRY/gpt-autotune" "$out" && gzip -f "$CARRY/gpt-autotune"
    cargo build --release -p gpt-cli
    strip -o "$CARRY/gpt" "$out" && gzip -f "$CARRY/gpt"
    du -sh "$CARRY"/*
    exit 0
    ;;
  run) ;;
  *) echo "usage: bench/gpu.sh [prepare|run]" >&2; exit 2 ;;
esac
# The carried binaries are unpacked outside the carry, which stays under the device's 64 MiB.
bin=$(mktemp -d) && trap 'rm -rf "$bin"' EXIT
for b in gpt gpt-autotune; do
  [ -f "$CARRY/$b.gz" ] && gunzip -c "$CARRY/$b.gz" >"$bin/$b" && chmod +x "$bin/$b"
done
[ -x "$bin/gpt" ] && GPT=${GPT:-$bin/gpt}
[ -x "$bin/gpt-autotune" ] && GPT_AUTOTUNE=${GPT_AUTOTUNE:-$bin/gpt-autotune}
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
