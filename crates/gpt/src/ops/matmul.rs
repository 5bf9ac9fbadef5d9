//! Our own matrix product, `C = A B` (or `C += A B`) in f32, for the browser's CPU path: packed
//! panels and a 4 x 8 register tile, the classic GotoBLAS / BLIS structure at its simplest.
//!
//! Why our own: in wasm32 burn's `flex` multiplies through the `gemm` crate, whose SIMD128 tile
//! (12 x 4 accumulators) is larger than the 15 SIMD registers V8 gives a function, so it
//! spills accumulators to the stack on every step of `k` and runs at about half of V8's peak
//! (BENCHMARKS.md, "Could our own wasm gemm buy the browser's 2x?"). A 4 x 8 tile keeps its 8
//! accumulators, two panel vectors and one broadcast in registers. With WebAssembly's relaxed
//! SIMD (`f32x4.relaxed_madd`, one fused multiply-add where the CPU has FMA) it runs ~1.4x
//! `gemm`'s speed; with plain SIMD128 only ~1.1x, so it is used only in the package built with
//! the `relaxed-simd` feature (`linear`'s fused path; see [`OWN_GEMM`]). Elsewhere the
//! portable tile below compiles it (native tests, and wasm32 without the feature).
//!
//! Single-threaded: the browser's CPU path runs on one worker; natively the product stays with
//! `gemm` (AVX-512 / AVX2 kernels and threads), which this does not try to beat.

/// Whether the fused ops use this product instead of burn's matmul: only in wasm32 with
/// relaxed SIMD compiled in (the `relaxed-simd` feature), where it pays (module docs).
pub const OWN_GEMM: bool = cfg!(all(target_arch = "wasm32", feature = "relaxed-simd"));

/// Rows of the register tile.
const MR: usize = 4;
/// Columns of the register tile: two 4-lane vectors.
const NR: usize = 8;
/// Depth of one packed block: a 4 x 256 A strip (4 KiB) and an 8 x 256 B strip (8 KiB) stay in
/// L1 while a tile is computed.
const KC: usize = 256;
/// Rows of A packed at once (64 KiB at full depth: L2).
const MC: usize = 64;
/// Columns of B packed at once (512 KiB at full depth: L2/L3).
const NC: usize = 512;

/// A read-only strided matrix: element `(i, j)` is `data[i * rs + j * cs]`, so a transposed
/// matrix is the same data with the strides swapped (no copy).
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> View<'a> {
    /// A row-major `[rows, cols]` matrix (`data.len() >= rows * cols`).
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "a [{rows}, {cols}] matrix");
        Self {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose, `[cols, rows]`: the same values read down the columns.
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }
}

/// `c = a b` (`accumulate` false) or `c += a b` (true), with `c` row-major `[a.rows, b.cols]`.
///
/// Shapes: `a [m, k]`, `b [k, n]`, `c [m, n]`. The sum over `k` is taken in blocks of [`KC`],
/// each accumulated in a register tile that starts from `c`'s values.
pub fn gemm(a: View, b: View, c: &mut [f32], accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "inner dimensions of the product");
    assert_eq!(c.len(), m * n, "the output is [{m}, {n}]");
    if !accumulate {
        c.fill(0.0);
    }
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    // Packed panels, zero-padded to whole tiles: B as [strip][p][NR], A as [strip][p][MR].
    let mut bp = vec![0.0f32; KC.min(k) * NC.min(n).next_multiple_of(NR)];
    let mut ap = vec![0.0f32; KC.min(k) * MC.min(m).next_multiple_of(MR)];
    let mut tile = [0.0f32; MR * NR];
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            pack_b(b, pc, kc, jc, nc, &mut bp);
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                pack_a(a, ic, mc, pc, kc, &mut ap);
                for jr in (0..nc).step_by(NR) {
                    let b_strip = &bp[jr * kc..][..kc * NR];
                    for ir in (0..mc).step_by(MR) {
                        let a_strip = &ap[ir * kc..][..kc * MR];
                        let (rows, cols) = (MR.min(mc - ir), NR.min(nc - jr));
                        let at = (ic + ir) * n + jc + jr;
                        if rows == MR && cols == NR {
                            // A whole tile: the kernel adds into c where it lies.
                            tile_product(kc, a_strip, b_strip, &mut c[at..], n);
                        } else {
                            // An edge (A and B are zero-padded): through a whole tile's copy.
                            for i in 0..rows {
                                tile[i * NR..][..cols].copy_from_slice(&c[at + i * n..][..cols]);
                            }
                            tile_product(kc, a_strip, b_strip, &mut tile, NR);
                            for i in 0..rows {
                                c[at + i * n..][..cols].copy_from_slice(&tile[i * NR..][..cols]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Packs `b[pc.., jc..]` (`kc` x `nc`) as strips of [`NR`] columns: `bp[(s kc + p) NR + j]`.
fn pack_b(b: View, pc: usize, kc: usize, jc: usize, nc: usize, bp: &mut [f32]) {
    // A strip of B's columns is a strip of rows of B^T, packed like A's.
    pack_strips::<NR>(b.t(), jc, nc, pc, kc, bp);
}

/// Packs `a[ic.., pc..]` (`mc` x `kc`) as strips of [`MR`] rows: `ap[(r kc + p) MR + i]`.
fn pack_a(a: View, ic: usize, mc: usize, pc: usize, kc: usize, ap: &mut [f32]) {
    pack_strips::<MR>(a, ic, mc, pc, kc, ap);
}

/// Packs rows `i0..i0 + count` and columns `p0..p0 + kc` of `m` as strips of `W` rows, each
/// strip column-major: `out[(r kc + p) W + i] = m[i0 + r W + i, p0 + p]`, zeros past the last
/// row. Both layouts the products meet are copied without per-value index arithmetic: rows
/// contiguous in memory (`cs == 1`: `x`, `dy`, `W^T`'s source) and columns contiguous
/// (`rs == 1`: a transposed view).
fn pack_strips<const W: usize>(
    m: View,
    i0: usize,
    count: usize,
    p0: usize,
    kc: usize,
    out: &mut [f32],
) {
    for (r, strip) in out[..kc * count.next_multiple_of(W)]
        .chunks_exact_mut(kc * W)
        .enumerate()
    {
        let first = i0 + r * W;
        let rows = W.min(i0 + count - first);
        if m.cs == 1 {
            // Each row's kc values are contiguous: write them down the strip's lane i.
            for i in 0..W {
                if i < rows {
                    let row = &m.data[(first + i) * m.rs + p0..][..kc];
                    for (col, &v) in strip.chunks_exact_mut(W).zip(row) {
                        col[i] = v;
                    }
                } else {
                    strip.chunks_exact_mut(W).for_each(|col| col[i] = 0.0);
                }
            }
        } else if m.rs == 1 && rows == W {
            // Each column's W values are contiguous.
            for (p, col) in strip.chunks_exact_mut(W).enumerate() {
                col.copy_from_slice(&m.data[(p0 + p) * m.cs + first..][..W]);
            }
        } else {
            for (p, col) in strip.chunks_exact_mut(W).enumerate() {
                for (i, v) in col.iter_mut().enumerate() {
                    *v = if i < rows {
                        m.at(first + i, p0 + p)
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}

/// One register tile, added in place: `c[i ldc + j] += sum_p a[p MR + i] b[p NR + j]` for
/// `i < MR`, `j < NR`, over `kc` steps. The accumulators start from `c`'s values, so a
/// whole tile is read and written once per block, as vectors.
#[inline(always)]
fn tile_product(kc: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    assert!(a.len() >= kc * MR && b.len() >= kc * NR && ldc >= NR);
    assert!(c.len() >= (MR - 1) * ldc + NR);
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    // SAFETY: the slices hold `kc` steps and the tile's rows (asserted above); the module was
    // built with relaxed SIMD, and a browser without it rejects the whole module first.
    unsafe {
        relaxed_tile(kc, a.as_ptr(), b.as_ptr(), c.as_mut_ptr(), ldc)
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "relaxed-simd")))]
    portable_tile(kc, a, b, c, ldc)
}

/// The tile in plain Rust: the compiler vectorises the inner loop over `NR` columns.
#[cfg(not(all(target_arch = "wasm32", feature = "relaxed-simd")))]
#[inline(always)]
fn portable_tile(kc: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    let mut acc = [[0.0f32; NR]; MR];
    for (i, row) in acc.iter_mut().enumerate() {
        row.copy_from_slice(&c[i * ldc..][..NR]);
    }
    for (a, b) in a.chunks_exact(MR).zip(b.chunks_exact(NR)).take(kc) {
        for (row, &ai) in acc.iter_mut().zip(a) {
            for (c, &bj) in row.iter_mut().zip(b) {
                *c += ai * bj;
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        c[i * ldc..][..NR].copy_from_slice(row);
    }
}

/// The tile with relaxed SIMD: per step two loads of B's row, four broadcast loads of A's column
/// and eight `f32x4.relaxed_madd` (V8 lowers each to one `vfmadd231ps` on x86 with FMA).
///
/// # Safety
/// `a` holds `kc * MR` values, `b` `kc * NR`, and `c` `MR` rows of `NR` values `ldc` apart.
#[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
#[target_feature(enable = "relaxed-simd")]
unsafe fn relaxed_tile(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize) {
    use core::arch::wasm32::{f32x4_relaxed_madd, v128, v128_load, v128_load32_splat, v128_store};
    // SAFETY (every access): within the lengths the caller guarantees.
    let row = |i: usize, half: usize| unsafe { c.add(i * ldc + 4 * half) as *mut v128 };
    let mut acc: [v128; 2 * MR] = core::array::from_fn(|v| unsafe { v128_load(row(v / 2, v % 2)) });
    for p in 0..kc {
        let (ap, bp) = unsafe { (a.add(p * MR), b.add(p * NR)) };
        let b0 = unsafe { v128_load(bp as *const v128) };
        let b1 = unsafe { v128_load(bp.add(4) as *const v128) };
        for i in 0..MR {
            let ai = unsafe { v128_load32_splat(ap.add(i) as *const u32) };
            acc[2 * i] = f32x4_relaxed_madd(ai, b0, acc[2 * i]);
            acc[2 * i + 1] = f32x4_relaxed_madd(ai, b1, acc[2 * i + 1]);
        }
    }
    for (v, value) in acc.iter().enumerate() {
        unsafe { v128_store(row(v / 2, v % 2), *value) };
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::values;
    use super::*;

    fn naive(a: View, b: View) -> Vec<f32> {
        let mut c = vec![0.0f32; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                c[i * b.cols + j] = (0..a.cols).map(|p| a.at(i, p) * b.at(p, j)).sum();
            }
        }
        c
    }

    #[test]
    fn products_match_the_naive_sum_on_odd_shapes_and_transposed_views() {
        // Edges of every block: 1, below and above a tile, beyond MC / KC / NC.
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 7),
            (4, 8, 8),
            (5, 9, 17),
            (65, 257, 9),
            (70, 300, 530),
            (2, 600, 3),
        ] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (da, db) = (values(m * k, 1), values(k * n, 2));
                let a = if ta {
                    View::rows(&da, k, m).t()
                } else {
                    View::rows(&da, m, k)
                };
                let b = if tb {
                    View::rows(&db, n, k).t()
                } else {
                    View::rows(&db, k, n)
                };
                let want = naive(a, b);
                let mut c = vec![f32::NAN; m * n];
                gemm(a, b, &mut c, false);
                let tol = 1e-5 * (k as f32).sqrt().max(1.0);
                for (x, y) in c.iter().zip(&want) {
                    assert!((x - y).abs() <= tol, "{m}x{k}x{n} {ta} {tb}: {x} vs {y}");
                }
                // Accumulating adds the product to what is there.
                let mut acc = want.iter().map(|v| v + 1.0).collect::<Vec<_>>();
                gemm(a, b, &mut acc, true);
                for (x, y) in acc.iter().zip(&want) {
                    assert!((x - (2.0 * y + 1.0)).abs() <= 2.0 * tol + 1e-6);
                }
            }
        }
    }

    #[test]
    fn an_empty_inner_dimension_gives_zeros() {
        let mut c = vec![5.0f32; 6];
        gemm(View::rows(&[], 2, 0), View::rows(&[], 0, 3), &mut c, false);
        assert_eq!(c, vec![0.0; 6]);
    }
}
