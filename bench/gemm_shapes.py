"""The matrix products of one baby training step (one layer and the LM head: forward, input
gradient, weight gradient), timed with NumPy's BLAS (OpenBLAS in the pip wheels) and PyTorch,
beside `cargo run --release -p gpt --example gemm_shapes -- THREADS` (the gemm crate that burn's
flex backend calls). Set OPENBLAS_NUM_THREADS to the same THREADS.

python3 bench/gemm_shapes.py THREADS
"""
import sys
import time

import numpy as np
import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
rows = 768
layers = [(128, 384), (128, 128), (128, 512), (512, 128), (128, 65)]
shapes = [s for k, n in layers for s in ((rows, k, n), (rows, n, k), (k, rows, n))]
rng = np.random.default_rng(0)
mats = [(rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32))
        for m, k, n in shapes]
flops = sum(2 * m * k * n for m, k, n in shapes)


def best_of(matmul, operands, reps=50):
    for _ in range(3):
        for a, b in operands:
            matmul(a, b)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(reps):
            for a, b in operands:
                matmul(a, b)
        times.append((time.perf_counter() - started) / reps)
    return min(times)


for name, matmul, operands in [("numpy (OpenBLAS)", np.matmul, mats),
                               ("pytorch", torch.matmul, [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in mats])]:
    t = best_of(matmul, operands)
    print(f"{name:17s} threads={threads} {t * 1e3:7.3f} ms per layer set  {flops / t / 1e9:6.1f} GFLOP/s")
