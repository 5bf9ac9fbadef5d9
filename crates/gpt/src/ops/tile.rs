//! Small matrix products for the attention kernels (`[T, hd] x [hd, T]` and `[T, T] x [T, hd]`
//! per head), computed a register tile at a time.
//!
//! Why: written as `axpy` loops over rows (`p[..n] += q_d * k_d[..n]`), every multiply-add
//! loads and stores its output row, and at baby's sizes (rows of 1 to 64 values, causal) most
//! rows end in a scalar remainder loop: attention took ~14% of a baby step natively, at about a
//! quarter of gemm's rate per flop. Here an `MR x NR` block of the output lives in registers
//! while the inner dimension streams past, and only the matrix's own edges take the scalar
//! path. Every output value is still `0 + a_0 b_0 + a_1 b_1 + ...` in ascending order of the
//! inner index, as the `axpy` loops summed it (no FMA), so the values do not change.

use std::ops::Range;

/// Rows of the register tile.
const MR: usize = 4;
/// Columns of the register tile: 16 floats (two AVX2 or one AVX-512 register per row)
/// natively; 8 in wasm32, where 4 x 16 accumulators would not fit SIMD128's 16 registers.
#[cfg(not(target_family = "wasm"))]
const NR: usize = 16;
#[cfg(target_family = "wasm")]
const NR: usize = 8;

/// The left operand: element `(i, k)` at `data[i * row + k * col]`, so that a transposed
/// matrix is the same slice with the strides swapped.
#[derive(Clone, Copy)]
pub(super) struct Lhs<'a> {
    pub data: &'a [f32],
    pub row: usize,
    pub col: usize,
}

/// The right operand, row-major: element `(k, j)` at `data[k * row + j]`.
#[derive(Clone, Copy)]
pub(super) struct Rhs<'a> {
    pub data: &'a [f32],
    pub row: usize,
}

/// What one block of rows `i0..i1` needs: the inner indices to sum over (terms outside the
/// range must be zero: the causal structure) and how many leading columns (at least; a tile
/// may compute a few more, up to the matrix's width, that the caller ignores).
pub(super) struct Needs {
    pub k: Range<usize>,
    pub cols: usize,
}

/// `out[i * ldc + j] = sum_k a(i, k) * b(k, j)` for `i < m`, `j < n`, over the inner range and
/// columns `needs(i0, i1)` gives for each block of rows. Columns beyond a block's `cols` may
/// or may not be written.
#[inline(always)]
pub(super) fn matmul(
    out: &mut [f32],
    ldc: usize,
    (m, n): (usize, usize),
    a: Lhs,
    b: Rhs,
    needs: impl Fn(usize, usize) -> Needs,
) {
    for i0 in (0..m).step_by(MR) {
        let i1 = (i0 + MR).min(m);
        let Needs { k, cols } = needs(i0, i1);
        // Whole tiles up to `cols` (rounded up while they fit in the matrix).
        let full = n / NR * NR;
        let tiles_end = (cols.div_ceil(NR) * NR).min(full);
        let mut j0 = 0;
        while j0 < tiles_end {
            if i1 - i0 == MR {
                tile(out, ldc, i0, j0, a, b, k.clone());
            } else {
                edge(out, ldc, i0..i1, j0..j0 + NR, a, b, k.clone());
            }
            j0 += NR;
        }
        if j0 < cols.min(n) {
            edge(out, ldc, i0..i1, j0..cols.min(n), a, b, k.clone());
        }
    }
}

/// One full `MR x NR` block of the output at `(i0, j0)`.
#[inline(always)]
fn tile(out: &mut [f32], ldc: usize, i0: usize, j0: usize, a: Lhs, b: Rhs, k: Range<usize>) {
    let mut acc = [[0.0f32; NR]; MR];
    for kk in k {
        let brow: &[f32; NR] = b.data[kk * b.row + j0..][..NR]
            .try_into()
            .expect("NR values");
        for (r, acc) in acc.iter_mut().enumerate() {
            let x = a.data[(i0 + r) * a.row + kk * a.col];
            for l in 0..NR {
                acc[l] += x * brow[l];
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        out[(i0 + r) * ldc + j0..][..NR].copy_from_slice(acc);
    }
}

/// Any block of the output, one value at a time (the matrix's ragged edges).
#[inline(always)]
fn edge(
    out: &mut [f32],
    ldc: usize,
    rows: Range<usize>,
    cols: Range<usize>,
    a: Lhs,
    b: Rhs,
    k: Range<usize>,
) {
    for i in rows {
        for j in cols.clone() {
            let mut acc = 0.0f32;
            for kk in k.clone() {
                acc += a.data[i * a.row + kk * a.col] * b.data[kk * b.row + j];
            }
            out[i * ldc + j] = acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::values;
    use super::*;

    /// The plain triple loop, summing in the same order.
    fn naive(m: usize, n: usize, k: Range<usize>, a: Lhs, b: Rhs) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f32;
                for kk in k.clone() {
                    acc += a.data[i * a.row + kk * a.col] * b.data[kk * b.row + j];
                }
                out[i * n + j] = acc;
            }
        }
        out
    }

    #[test]
    fn equals_the_triple_loop_bit_for_bit_on_ragged_shapes() {
        for (m, n, kd) in [
            (1, 1, 1),
            (4, 16, 3),
            (5, 17, 7),
            (64, 32, 64),
            (13, 40, 9),
            (3, 8, 33),
        ] {
            let (a, bv) = (values(m * kd, 1), values(kd * n, 2));
            // a as given, and a transposed view of the same values.
            for (row, col) in [(kd, 1), (1, m)] {
                let a = Lhs { data: &a, row, col };
                let b = Rhs { data: &bv, row: n };
                let mut out = vec![f32::NAN; m * n];
                matmul(&mut out, n, (m, n), a, b, |_, _| Needs {
                    k: 0..kd,
                    cols: n,
                });
                assert_eq!(out, naive(m, n, 0..kd, a, b), "m={m} n={n} k={kd}");
            }
        }
    }

    #[test]
    fn a_causal_block_sums_only_its_range_and_writes_at_least_its_columns() {
        let (m, n, kd) = (11, 11, 11);
        let (a, b) = (values(m * kd, 3), values(kd * n, 4));
        let (a, b) = (
            Lhs {
                data: &a,
                row: kd,
                col: 1,
            },
            Rhs { data: &b, row: n },
        );
        let mut out = vec![f32::NAN; m * n];
        matmul(&mut out, n, (m, n), a, b, |i0, i1| Needs {
            k: i0..kd,
            cols: i1,
        });
        for i in 0..m {
            let i0 = i / MR * MR;
            let want = naive(m, n, i0..kd, a, b);
            for j in 0..=i {
                assert_eq!(out[i * n + j], want[i * n + j], "({i}, {j})");
            }
        }
    }
}
