//! The matrix products of one baby training step, timed alone through the `gemm` crate that
//! burn's `flex` backend calls (with the same features: rayon, AVX-512 picked at run time).
//!
//! Why: to tell whether another BLAS (OpenBLAS behind burn's `ndarray` backend, MKL behind
//! PyTorch) would make the CPU step faster. `bench/gemm_shapes.py` times the same products
//! with NumPy's OpenBLAS and with PyTorch; compare the GFLOP/s lines of one run.
//!
//! `cargo run --release -p gpt --example gemm_shapes -- [threads]`

#[cfg(not(target_family = "wasm"))]
fn main() {
    use std::time::Instant;

    let threads: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        eprintln!("cannot start {threads} threads: {e}");
        std::process::exit(1);
    }
    // One transformer layer of baby (C = 128, 768 rows = batch 12 x context 64) and the LM head:
    // each linear layer's forward product [M, K] x [K, N], input gradient [M, N] x [N, K] and
    // weight gradient [K, M] x [M, N].
    let layers = [(128, 384), (128, 128), (128, 512), (512, 128), (128, 65)];
    let rows = 768;
    let shapes: Vec<(usize, usize, usize)> = layers
        .iter()
        .flat_map(|&(k, n)| [(rows, k, n), (rows, n, k), (k, rows, n)])
        .collect();
    let value = |i: usize, prime: usize| ((i * prime % 1000) as f32) / 1000.0 - 0.5;
    let mut mats: Vec<_> = shapes
        .iter()
        .map(|&(m, k, n)| {
            let a: Vec<f32> = (0..m * k).map(|i| value(i, 7919)).collect();
            let b: Vec<f32> = (0..k * n).map(|i| value(i, 104_729)).collect();
            (a, b, vec![0.0f32; m * n])
        })
        .collect();
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    let mut run = |reps: usize| {
        let started = Instant::now();
        for _ in 0..reps {
            for (&(m, k, n), (a, b, c)) in shapes.iter().zip(mats.iter_mut()) {
                // Row-major C[m, n] = A[m, k] B[k, n]: column stride 1, row stride = width.
                // SAFETY: every pointer addresses a buffer of the stated shape and strides.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        c.as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        a.as_ptr(),
                        1,
                        k as isize,
                        b.as_ptr(),
                        1,
                        n as isize,
                        0.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        parallelism,
                    );
                }
            }
        }
        started.elapsed().as_secs_f64() / reps as f64
    };
    run(3); // warm-up
    let best = (0..3).map(|_| run(50)).fold(f64::MAX, f64::min);
    let flops: f64 = shapes
        .iter()
        .map(|&(m, k, n)| 2.0 * (m * k * n) as f64)
        .sum();
    println!(
        "gemm 0.19 (flex)  threads={threads} {:7.3} ms per layer set  {:6.1} GFLOP/s",
        best * 1e3,
        flops / best / 1e9
    );
}

#[cfg(target_family = "wasm")]
fn main() {}
