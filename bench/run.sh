#!/usr/bin/env bash
# Training speed of `gpt bench` (burn flex, CPU) beside the PyTorch reference
# (bench/reference_gpt.py, same architecture and settings), on this machine, in this run, for
# 1 thread, 2 threads and one per core (each figure is the median of ROUNDS runs, ours and
# PyTorch's taken in turn so that a noisy neighbour hits both alike).
# Needs: cargo; python3 with torch (`pip install torch numpy`).
# Settings: PRESET (baby), ITERS (50), ROUNDS (3), THREADS ("1 2 <cores>"), GPT (a binary to
# measure instead of building one).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${PRESET:-baby}
ITERS=${ITERS:-50}
ROUNDS=${ROUNDS:-3}
cores=$(nproc)
THREADS=${THREADS:-$(printf '%s\n' 1 2 "$cores" | sort -nu | tr '\n' ' ')}
if [ -z "${GPT:-}" ]; then
  cargo build --release -p gpt-cli >&2
  GPT="${CARGO_TARGET_DIR:-target}/release/gpt"
fi
echo "== machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== preset $PRESET, $ITERS iterations, median of $ROUNDS rounds; $GPT"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "| threads | gpt tokens/s | pytorch tokens/s | gpt / pytorch |"
echo "| --- | --- | --- | --- |"
for n in $THREADS; do
  ours=() ; ref=()
  for _ in $(seq "$ROUNDS"); do
    ours+=("$("$GPT" bench --preset "$PRESET" --iters "$ITERS" --threads "$n" | sed -n 's/^BENCH_TRAIN_TOKENS_PER_SEC=//p')")
    ref+=("$(python3 bench/reference_gpt.py --preset "$PRESET" --iters "$ITERS" --threads "$n" | sed -n 's/^REF_TRAIN_TOKENS_PER_SEC=//p')")
  done
  o=$(printf '%s\n' "${ours[@]}" | median)
  r=$(printf '%s\n' "${ref[@]}" | median)
  python3 -c "print(f'| $n | {float($o):.0f} | {float($r):.0f} | {float($o) / float($r):.2f} |')"
done
