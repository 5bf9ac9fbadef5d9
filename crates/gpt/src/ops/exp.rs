//! `e^x` in f32 as straight-line arithmetic, so that loops over slices of it vectorise.
//!
//! Why: `f32::exp` is a call into libm, one element at a time; softmax (attention, the
//! cross-entropy) and GELU's backward pass call it once per value. This is the classic
//! Cephes-style evaluation: `x = n ln 2 + r` with `|r| <= ln 2 / 2`, a degree-6 polynomial for
//! `e^r`, and `2^n` put straight into the exponent bits. Branch-free (the range is clamped, the
//! rounding uses the 1.5 * 2^23 trick instead of `round`, a libm call on baseline x86-64), so
//! the compiler turns a loop of it into SIMD (SSE/AVX natively, SIMD128 in wasm32). It agrees
//! with libm to about 2 ulp (tests below).

/// Below this `e^x` is under f32's smallest normal number: the result is ~1e-38, zero for any
/// sum it enters (softmax terms, probabilities).
const MIN_X: f32 = -87.3;
/// Above this `e^x` overflows f32.
const MAX_X: f32 = 88.7;

/// `e^x` for finite `x` (clamped to [-87.3, 88.7]); NaN stays NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in a part with few mantissa bits (exact products with n) and the rest.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer for |v| < 2^22.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(MIN_X, MAX_X);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r on [-ln2/2, ln2/2]: Cephes' expf coefficients.
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    let er = p * r * r + r + 1.0;
    // 2^n through the exponent bits (n is in [-126, 128]; 128 only at the clamp's top, where
    // the product below still rounds to the largest finite values).
    let n = n as i32;
    let two_n = f32::from_bits(((n.min(127) + 127) as u32) << 23);
    er * two_n * if n > 127 { 2.0 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units of the last place between two positive finite floats.
    fn ulps(a: f32, b: f32) -> u32 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn agrees_with_libm_to_a_few_ulp_over_the_whole_range() {
        let mut worst = (0, 0.0f32);
        let mut x = -87.0f32;
        while x < 88.5 {
            let u = ulps(exp(x), x.exp());
            if u > worst.0 {
                worst = (u, x);
            }
            x += 0.000_71;
        }
        assert!(worst.0 <= 2, "{} ulp at x = {}", worst.0, worst.1);
        for x in [0.0f32, -0.0, 1.0, -1.0, 1e-7, -1e-7, 0.5, 20.0, -20.0] {
            assert!(ulps(exp(x), x.exp()) <= 2, "x = {x}");
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn the_ends_of_the_range_are_tiny_and_huge_but_finite() {
        assert!(exp(-1000.0) >= 0.0 && exp(-1000.0) < 1e-37);
        assert!(exp(f32::NEG_INFINITY) < 1e-37);
        assert!(exp(1000.0).is_finite() && exp(1000.0) > 1e38);
        assert!(exp(f32::NAN).is_nan());
    }
}
