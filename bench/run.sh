#!/usr/bin/env bash
# Training speed of `gpt bench --preset baby` (burn flex, CPU) beside the PyTorch reference
# (bench/reference_gpt.py, same architecture and settings), on this machine, in this run.
# Needs: cargo; python3 with torch (`pip install torch numpy`).
set -euo pipefail
cd "$(dirname "$0")/.."
ITERS=${ITERS:-50}
cargo build --release -p gpt-cli >&2
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== gpt bench --preset baby --iters $ITERS"
ours=$(./target/release/gpt bench --preset baby --iters "$ITERS" | tee /dev/stderr | sed -n 's/^BENCH_TRAIN_TOKENS_PER_SEC=//p')
echo "== PyTorch reference (bench/reference_gpt.py --iters $ITERS)"
ref=$(python3 bench/reference_gpt.py --iters "$ITERS" | tee /dev/stderr | sed -n 's/^REF_TRAIN_TOKENS_PER_SEC=//p')
python3 -c "print(f'training tokens/s: gpt {float($ours):.0f}, pytorch {float($ref):.0f}, ratio gpt/pytorch = {float($ours)/float($ref):.2f}')"
