//! Element-wise and row-wise operations of the encoder: softmax, GELU, layer norm.
//!
//! Softmax and GELU run billions of `exp`/`erf` per corpus (a 166-token text needs ~2 M
//! exponentials and ~1.5 M `erf` in MiniLM-L6), so both have AVX-512 versions: `exp` by
//! range reduction `eˣ = 2ⁿ·e^f` (|f| ≤ ln2/2, degree-7 polynomial, `vscalefps` for 2ⁿ;
//! relative error ≤ 2 ulp), `erf` by the rational approximation Eigen and XLA use for f32
//! (odd degree-13 numerator over even degree-8 denominator on [-4, 4]; erf = ±1 beyond).
//! AVX2 versions and the portable code use the same formulas in the same order (2ⁿ by two
//! exact-then-rounded multiplications instead of `vscalefps`): all give the same bits.

#[cfg(target_arch = "x86_64")]
use super::gemm::{avx512_supported, fma_supported};

/// How the feed-forward activation is computed (`hidden_act` of `config.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activation {
    /// `gelu`: `x · Φ(x)` with the exact (erf) normal CDF.
    GeluErf,
    /// `gelu_new` / `gelu_pytorch_tanh`: the tanh approximation.
    GeluTanh,
    /// `relu`.
    Relu,
}

// Eigen's `generic_fast_erf_float` coefficients.
const ERF_ALPHA: [f32; 7] = [
    -2.726_142_3e-10,
    2.770_681_4e-8,
    -2.101_024e-6,
    -5.692_506_4e-5,
    -7.349_906_3e-4,
    -2.954_600_1e-3,
    -1.609_603_3e-2,
];
const ERF_BETA: [f32; 5] = [
    -1.456_607_2e-5,
    -2.133_740_6e-4,
    -1.682_827e-3,
    -7.373_329_3e-3,
    -1.426_474e-2,
];

/// erf(x) in f32 (portable).
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = ERF_ALPHA[0];
    for &c in &ERF_ALPHA[1..] {
        p = x2.mul_add(p, c);
    }
    let mut q = ERF_BETA[0];
    for &c in &ERF_BETA[1..] {
        q = x2.mul_add(q, c);
    }
    x * p / q
}

/// Applies the activation in place.
pub(crate) fn activate(x: &mut [f32], act: Activation) {
    match act {
        Activation::Relu => x.iter_mut().for_each(|v| *v = v.max(0.0)),
        Activation::GeluTanh => x.iter_mut().for_each(|v| {
            let u = *v;
            let t = (0.797_884_6 * (u + 0.044_715 * u * u * u)).tanh();
            *v = 0.5 * u * (1.0 + t);
        }),
        Activation::GeluErf => {
            #[cfg(target_arch = "x86_64")]
            if avx512_supported() {
                // SAFETY: AVX-512F is present.
                unsafe { gelu_erf_avx512(x) };
                return;
            }
            #[cfg(target_arch = "x86_64")]
            if fma_supported() {
                // SAFETY: AVX2 and FMA are present.
                unsafe { gelu_erf_fma(x) };
                return;
            }
            gelu_erf_portable(x);
        }
    }
}

/// `x · Φ(x)` with [`erf`], element by element.
#[inline(always)]
fn gelu_erf_portable(x: &mut [f32]) {
    x.iter_mut()
        .for_each(|v| *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2)));
}

/// [`gelu_erf_portable`] compiled for AVX2 + FMA (vectorised; `mul_add` in hardware).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gelu_erf_fma(x: &mut [f32]) {
    gelu_erf_portable(x)
}

/// Softmax of each of `rows` rows of `cols` values (row stride `ld`) after multiplying by
/// `scale`, in place.
///
/// Every path computes the same values in the same order, so gives the same bits: the max
/// of `v·scale`; `e = exp(fma(v, scale, −max))` with [`exp`]; the sum in 16 lanes (value `i`
/// into lane `i mod 16`), the lanes then added in order; each `e` times `1/sum`.
pub(crate) fn softmax_rows(s: &mut [f32], rows: usize, cols: usize, ld: usize, scale: f32) {
    let kern = super::gemm::kernel();
    for r in 0..rows {
        let row = &mut s[r * ld..r * ld + cols];
        #[cfg(target_arch = "x86_64")]
        match kern {
            crate::cpu::Kernel::Avx512 | crate::cpu::Kernel::Amx => {
                // SAFETY: AVX-512F is present.
                unsafe { softmax_avx512(row, scale) };
                continue;
            }
            crate::cpu::Kernel::Avx2 => {
                // SAFETY: AVX2 and FMA are present.
                unsafe { softmax_avx2(row, scale) };
                continue;
            }
            crate::cpu::Kernel::Portable => {}
        }
        softmax_portable(row, scale);
    }
    let _ = kern;
}

/// `2ⁿ` for `-126 ≤ n ≤ 127`.
#[inline(always)]
fn pow2i(n: i32) -> f32 {
    f32::from_bits(((n + 127) as u32) << 23)
}

/// eˣ in f32, bit-identical to the AVX-512 `exp` (and the AVX2 one): clamp to
/// [−103, 88.72284], `n = round_even(x·log₂e)`, `f = x − n·ln2` in two fused steps,
/// degree-7 Taylor polynomial by Horner's rule in fused multiply-adds, then `p·2ⁿ` rounded
/// once (as `vscalefps`): `(p·2ᵃ)·2ᵇ` with `a + b = n`, the first product exact.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = x.clamp(-103.0, 88.722_84);
    let n = (x * std::f32::consts::LOG2_E).round_ties_even();
    let f = (-n).mul_add(0.693_359_4, x);
    let f = (-n).mul_add(-2.121_944_4e-4, f);
    let mut p = 1.0f32 / 5040.0;
    for c in EXP_TAYLOR {
        p = p.mul_add(f, c);
    }
    let n = n as i32;
    let b = if n < -126 {
        -126
    } else if n > 127 {
        127
    } else {
        0
    };
    p * pow2i(n - b) * pow2i(b)
}

/// Coefficients of the degree-7 Taylor polynomial of eᶠ after the leading 1/5040.
const EXP_TAYLOR: [f32; 7] = [
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// The portable softmax of one row (see [`softmax_rows`] for the order of operations).
#[inline(always)]
fn softmax_portable(row: &mut [f32], scale: f32) {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v * scale));
    let mut lanes = [0.0f32; 16];
    for (i, v) in row.iter_mut().enumerate() {
        *v = exp(v.mul_add(scale, -max));
        lanes[i % 16] += *v;
    }
    let inv = 1.0 / lanes.iter().fold(0.0f32, |s, &l| s + l);
    row.iter_mut().for_each(|v| *v *= inv);
}

/// `x = LayerNorm(x + y)` row by row (`h` values per row), with `gamma`, `beta`, `eps` as
/// torch's `LayerNorm` (biased variance, two passes, f32).
pub(crate) fn add_layer_norm(
    x: &mut [f32],
    y: Option<&[f32]>,
    h: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) {
    // The same code compiled for wider vectors (independent lanes: same bits).
    #[cfg(target_arch = "x86_64")]
    match super::gemm::kernel() {
        crate::cpu::Kernel::Avx512 | crate::cpu::Kernel::Amx => {
            // SAFETY: AVX-512F is present.
            unsafe { add_layer_norm_avx512(x, y, h, gamma, beta, eps) };
            return;
        }
        crate::cpu::Kernel::Avx2 => {
            // SAFETY: AVX2 and FMA are present.
            unsafe { add_layer_norm_avx2(x, y, h, gamma, beta, eps) };
            return;
        }
        crate::cpu::Kernel::Portable => {}
    }
    add_layer_norm_portable(x, y, h, gamma, beta, eps)
}

/// [`add_layer_norm_portable`] compiled for AVX-512F.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn add_layer_norm_avx512(
    x: &mut [f32],
    y: Option<&[f32]>,
    h: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) {
    add_layer_norm_portable(x, y, h, gamma, beta, eps)
}

/// [`add_layer_norm_portable`] compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn add_layer_norm_avx2(
    x: &mut [f32],
    y: Option<&[f32]>,
    h: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) {
    add_layer_norm_portable(x, y, h, gamma, beta, eps)
}

#[inline(always)]
fn add_layer_norm_portable(
    x: &mut [f32],
    y: Option<&[f32]>,
    h: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) {
    let rows = x.len() / h;
    for r in 0..rows {
        let row = &mut x[r * h..(r + 1) * h];
        if let Some(y) = y {
            row.iter_mut()
                .zip(&y[r * h..(r + 1) * h])
                .for_each(|(a, &b)| *a += b);
        }
        let mean = sum16(row, 0.0, false) / h as f32;
        let var = sum16(row, mean, true) / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, &g), &b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// `Σ v` (or `Σ (v − mean)²` with `squares`) in sixteen interleaved partial sums
/// (vectorisable, fixed order).
#[inline(always)]
fn sum16(v: &[f32], mean: f32, squares: bool) -> f32 {
    let term = |x: f32| if squares { (x - mean) * (x - mean) } else { x };
    let mut acc = [0.0f32; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += term(x);
        }
    }
    for (a, &x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += term(x);
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// eˣ for 16 lanes.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn exp(x: __m512) -> __m512 {
        let x = _mm512_max_ps(
            _mm512_min_ps(x, _mm512_set1_ps(88.722_84)),
            _mm512_set1_ps(-103.0),
        );
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
        );
        // f = x − n·ln2 in two steps (Cody–Waite).
        let f = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_359_4), x);
        let f = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.121_944_4e-4), f);
        let mut p = _mm512_set1_ps(1.0 / 5040.0);
        for c in super::EXP_TAYLOR {
            p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(c));
        }
        _mm512_scalef_ps(p, n)
    }

    /// erf(x) for 16 lanes (the same rational function as the portable `erf`).
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) fn erf(x: __m512) -> __m512 {
        let x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(4.0)), _mm512_set1_ps(-4.0));
        let x2 = _mm512_mul_ps(x, x);
        let mut p = _mm512_set1_ps(super::ERF_ALPHA[0]);
        for &c in &super::ERF_ALPHA[1..] {
            p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(c));
        }
        let mut q = _mm512_set1_ps(super::ERF_BETA[0]);
        for &c in &super::ERF_BETA[1..] {
            q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(c));
        }
        _mm512_div_ps(_mm512_mul_ps(x, p), q)
    }

    /// Mask of the first `n` (< 16) lanes.
    #[inline]
    pub(super) fn tail(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// eˣ for 8 lanes, bit-identical to the portable [`super::exp`].
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn exp(x: __m256) -> __m256 {
        let x = _mm256_max_ps(
            _mm256_min_ps(x, _mm256_set1_ps(88.722_84)),
            _mm256_set1_ps(-103.0),
        );
        let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)),
        );
        let f = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x);
        let f = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), f);
        let mut p = _mm256_set1_ps(1.0 / 5040.0);
        for c in super::EXP_TAYLOR {
            p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(c));
        }
        // p·2ⁿ = (p·2ᵃ)·2ᵇ, b = −126 below −126, 127 above 127, else 0.
        let n = _mm256_cvtps_epi32(n);
        let lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(-126), n);
        let hi = _mm256_cmpgt_epi32(n, _mm256_set1_epi32(127));
        let b = _mm256_or_si256(
            _mm256_and_si256(lo, _mm256_set1_epi32(-126)),
            _mm256_and_si256(hi, _mm256_set1_epi32(127)),
        );
        let pow2 = |e: __m256i| {
            _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
                e,
                _mm256_set1_epi32(127),
            )))
        };
        _mm256_mul_ps(_mm256_mul_ps(p, pow2(_mm256_sub_epi32(n, b))), pow2(b))
    }
}

/// The AVX2 softmax of one row: sixteen lanes as two vectors of eight, the tail in scalar
/// code into the same lanes (see [`softmax_rows`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn softmax_avx2(row: &mut [f32], scale: f32) {
    use std::arch::x86_64::*;
    let n = row.len();
    let full = n / 16 * 16;
    let sc = _mm256_set1_ps(scale);
    let mut vmax = _mm256_set1_ps(f32::NEG_INFINITY);
    for i in (0..full).step_by(8) {
        vmax = _mm256_max_ps(
            vmax,
            _mm256_mul_ps(_mm256_loadu_ps(row.as_ptr().add(i)), sc),
        );
    }
    let mut m = [0.0f32; 8];
    _mm256_storeu_ps(m.as_mut_ptr(), vmax);
    let max = row[full..].iter().fold(
        m.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)),
        |a, &v| a.max(v * scale),
    );
    let vm = _mm256_set1_ps(max);
    let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    for i in (0..full).step_by(16) {
        let p = row.as_mut_ptr().add(i);
        let e0 = avx2::exp(_mm256_fmsub_ps(_mm256_loadu_ps(p), sc, vm));
        let e1 = avx2::exp(_mm256_fmsub_ps(_mm256_loadu_ps(p.add(8)), sc, vm));
        s0 = _mm256_add_ps(s0, e0);
        s1 = _mm256_add_ps(s1, e1);
        _mm256_storeu_ps(p, e0);
        _mm256_storeu_ps(p.add(8), e1);
    }
    let mut lanes = [0.0f32; 16];
    _mm256_storeu_ps(lanes.as_mut_ptr(), s0);
    _mm256_storeu_ps(lanes.as_mut_ptr().add(8), s1);
    for (l, v) in row[full..].iter_mut().enumerate() {
        *v = exp(v.mul_add(scale, -max));
        lanes[l] += *v;
    }
    let inv = 1.0 / lanes.iter().fold(0.0f32, |s, &l| s + l);
    let vinv = _mm256_set1_ps(inv);
    for i in (0..full).step_by(8) {
        let p = row.as_mut_ptr().add(i);
        _mm256_storeu_ps(p, _mm256_mul_ps(_mm256_loadu_ps(p), vinv));
    }
    row[full..].iter_mut().for_each(|v| *v *= inv);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gelu_erf_avx512(x: &mut [f32]) {
    use std::arch::x86_64::*;
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn f(v: __m512) -> __m512 {
        let e = avx512::erf(_mm512_mul_ps(
            v,
            _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2),
        ));
        _mm512_mul_ps(
            _mm512_mul_ps(_mm512_set1_ps(0.5), v),
            _mm512_add_ps(_mm512_set1_ps(1.0), e),
        )
    }
    let mut chunks = x.chunks_exact_mut(16);
    for c in &mut chunks {
        let v = _mm512_loadu_ps(c.as_ptr());
        _mm512_storeu_ps(c.as_mut_ptr(), f(v));
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let m = avx512::tail(rest.len());
        let v = _mm512_maskz_loadu_ps(m, rest.as_ptr());
        _mm512_mask_storeu_ps(rest.as_mut_ptr(), m, f(v));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn softmax_avx512(row: &mut [f32], scale: f32) {
    use std::arch::x86_64::*;
    let n = row.len();
    let sc = _mm512_set1_ps(scale);
    let full = n / 16 * 16;
    let m_tail = avx512::tail(n - full);
    // Max of the scaled values.
    let mut vmax = _mm512_set1_ps(f32::NEG_INFINITY);
    for i in (0..full).step_by(16) {
        vmax = _mm512_max_ps(
            vmax,
            _mm512_mul_ps(_mm512_loadu_ps(row.as_ptr().add(i)), sc),
        );
    }
    if full < n {
        // Only the tail's lanes: a lane holding the (scaled) max so far must not be scaled
        // again (with all its values negative, that would raise it above the true max).
        let v = _mm512_maskz_loadu_ps(m_tail, row.as_ptr().add(full));
        vmax = _mm512_mask_max_ps(vmax, m_tail, vmax, _mm512_mul_ps(v, sc));
    }
    let max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    // exp(x·scale − max) and the sum.
    let mut vsum = _mm512_setzero_ps();
    for i in (0..full).step_by(16) {
        let p = row.as_mut_ptr().add(i);
        let e = avx512::exp(_mm512_fmsub_ps(_mm512_loadu_ps(p), sc, max));
        vsum = _mm512_add_ps(vsum, e);
        _mm512_storeu_ps(p, e);
    }
    if full < n {
        let p = row.as_mut_ptr().add(full);
        let e = avx512::exp(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m_tail, p), sc, max));
        let e = _mm512_maskz_mov_ps(m_tail, e);
        vsum = _mm512_add_ps(vsum, e);
        _mm512_mask_storeu_ps(p, m_tail, e);
    }
    let mut lanes = [0.0f32; 16];
    _mm512_storeu_ps(lanes.as_mut_ptr(), vsum);
    let inv = _mm512_set1_ps(1.0 / lanes.iter().fold(0.0f32, |s, &l| s + l));
    for i in (0..full).step_by(16) {
        let p = row.as_mut_ptr().add(i);
        _mm512_storeu_ps(p, _mm512_mul_ps(_mm512_loadu_ps(p), inv));
    }
    if full < n {
        let p = row.as_mut_ptr().add(full);
        _mm512_mask_storeu_ps(
            p,
            m_tail,
            _mm512_mul_ps(_mm512_maskz_loadu_ps(m_tail, p), inv),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_known_values() {
        for (x, want) in [
            (0.0f64, 0.0f64),
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
            (-1.5, -0.966_105_146_475_310_7),
            (10.0, 1.0),
        ] {
            let got = f64::from(erf(x as f32));
            assert!((got - want).abs() < 5e-7, "erf({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn gelu_vector_matches_scalar() {
        let xs: Vec<f32> = (-700..700).map(|i| i as f32 * 0.013).collect();
        let mut v = xs.clone();
        activate(&mut v, Activation::GeluErf);
        for (&x, &g) in xs.iter().zip(&v) {
            let want =
                0.5 * f64::from(x) * (1.0 + f64::from(erf(x * std::f32::consts::FRAC_1_SQRT_2)));
            assert!(
                (f64::from(g) - want).abs() < 1e-6,
                "gelu({x}) = {g}, want {want}"
            );
        }
    }

    /// The AVX2 + FMA build of the portable GELU gives the same bits as the portable code.
    #[test]
    fn gelu_fma_build_matches_portable() {
        #[cfg(target_arch = "x86_64")]
        if fma_supported() {
            let xs: Vec<f32> = (-500..500).map(|i| i as f32 * 0.0173).collect();
            let mut a = xs.clone();
            let mut b = xs;
            gelu_erf_portable(&mut a);
            // SAFETY: checked just above.
            unsafe { gelu_erf_fma(&mut b) };
            assert_eq!(a, b);
        }
    }

    #[test]
    fn softmax_rows_sum_to_one_and_match_exp() {
        let cols = 37;
        let mut s: Vec<f32> = (0..2 * 40)
            .map(|i| ((i * 7919) % 97) as f32 * 0.3 - 10.0)
            .collect();
        let orig = s.clone();
        softmax_rows(&mut s, 2, cols, 40, 0.5);
        for r in 0..2 {
            let row = &orig[r * 40..r * 40 + cols];
            let max = row
                .iter()
                .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v) * 0.5));
            let z: f64 = row.iter().map(|&v| (f64::from(v) * 0.5 - max).exp()).sum();
            for (j, &v) in row.iter().enumerate() {
                let want = (f64::from(v) * 0.5 - max).exp() / z;
                let got = f64::from(s[r * 40 + j]);
                assert!(
                    (got - want).abs() <= 1e-6 * want.max(1e-3),
                    "{got} vs {want}"
                );
            }
            // Values past `cols` are untouched.
            assert_eq!(
                &s[r * 40 + cols..r * 40 + 40],
                &orig[r * 40 + cols..r * 40 + 40]
            );
        }
    }

    /// Inputs for `exp`: the clamp edges, subnormal results, both roundings of `n`.
    fn exp_inputs() -> Vec<f32> {
        let mut xs: Vec<f32> = (-2100..=1800).map(|i| i as f32 * 0.0517).collect();
        xs.extend([
            -120.0, -103.0, -102.9, -100.3, -88.0, -87.4, -87.3, 0.0, -0.0, 88.7, 88.8, 1e-8,
        ]);
        xs
    }

    #[test]
    fn exp_is_accurate() {
        for x in exp_inputs() {
            let want = f64::from(x.clamp(-103.0, 88.722_84)).exp();
            let got = f64::from(exp(x));
            if want > f64::from(f32::MAX) {
                // e^88.72284 rounds past f32::MAX.
                assert!(got.is_infinite(), "exp({x}) = {got}");
            } else if want > 1e-37 {
                assert!(
                    (got - want).abs() <= 3e-7 * want,
                    "exp({x}) = {got}, want {want}"
                );
            } else {
                assert!((got - want).abs() <= 1e-44, "exp({x}) = {got}, want {want}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_exps_match_portable_bitwise() {
        use std::arch::x86_64::*;
        let f = crate::cpu::detected();
        for x in exp_inputs() {
            let want = exp(x).to_bits();
            if f.avx512f {
                // SAFETY: AVX-512F is present.
                let got = unsafe {
                    let mut out = [0.0f32; 16];
                    _mm512_storeu_ps(out.as_mut_ptr(), avx512::exp(_mm512_set1_ps(x)));
                    out[3]
                };
                assert_eq!(got.to_bits(), want, "avx512 exp({x})");
            }
            if f.avx2 && f.fma {
                // SAFETY: AVX2 and FMA are present.
                let got = unsafe {
                    let mut out = [0.0f32; 8];
                    _mm256_storeu_ps(out.as_mut_ptr(), avx2::exp(_mm256_set1_ps(x)));
                    out[5]
                };
                assert_eq!(got.to_bits(), want, "avx2 exp({x})");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn softmax_and_layer_norm_paths_match_bitwise() {
        let f = crate::cpu::detected();
        for (cols, shift) in [
            (1, 0.0),
            (7, 0.0),
            (16, 0.0),
            (37, 0.0),
            (133, 0.0),
            (256, 0.0),
        ]
        .into_iter()
        .chain([(37, -60.0), (133, -60.0), (20, -60.0)])
        {
            // With the shift, every value is negative (a lane's max is then negative too).
            let row: Vec<f32> = (0..cols)
                .map(|i| ((i * 7919) % 113) as f32 * 0.37 - 19.0 + shift)
                .collect();
            let mut want = row.clone();
            softmax_portable(&mut want, 0.176_776_7);
            if f.avx512f {
                let mut got = row.clone();
                // SAFETY: AVX-512F is present.
                unsafe { softmax_avx512(&mut got, 0.176_776_7) };
                assert_eq!(got, want, "avx512 softmax, {cols} columns");
            }
            if f.avx2 && f.fma {
                let mut got = row.clone();
                // SAFETY: AVX2 and FMA are present.
                unsafe { softmax_avx2(&mut got, 0.176_776_7) };
                assert_eq!(got, want, "avx2 softmax, {cols} columns");
            }
        }
        let h = 384;
        let x: Vec<f32> = (0..3 * h)
            .map(|i| ((i * 31) % 97) as f32 * 0.11 - 5.0)
            .collect();
        let y: Vec<f32> = (0..3 * h)
            .map(|i| ((i * 17) % 89) as f32 * 0.07 - 3.0)
            .collect();
        let g: Vec<f32> = (0..h).map(|i| 1.0 + (i % 7) as f32 * 0.01).collect();
        let b: Vec<f32> = (0..h).map(|i| (i % 5) as f32 * 0.02).collect();
        let mut want = x.clone();
        add_layer_norm_portable(&mut want, Some(&y), h, &g, &b, 1e-12);
        if f.avx512f {
            let mut got = x.clone();
            // SAFETY: AVX-512F is present.
            unsafe { add_layer_norm_avx512(&mut got, Some(&y), h, &g, &b, 1e-12) };
            assert_eq!(got, want, "avx512 layer norm");
        }
        if f.avx2 && f.fma {
            let mut got = x.clone();
            // SAFETY: AVX2 and FMA are present.
            unsafe { add_layer_norm_avx2(&mut got, Some(&y), h, &g, &b, 1e-12) };
            assert_eq!(got, want, "avx2 layer norm");
        }
    }

    #[test]
    fn layer_norm_normalises() {
        let h = 10;
        let mut x: Vec<f32> = (0..20).map(|i| i as f32).collect();
        let y = vec![1.0f32; 20];
        add_layer_norm(&mut x, Some(&y), h, &[1.0; 10], &[0.0; 10], 1e-12);
        for r in 0..2 {
            let row = &x[r * h..(r + 1) * h];
            let mean: f32 = row.iter().sum::<f32>() / h as f32;
            let var: f32 = row.iter().map(|v| v * v).sum::<f32>() / h as f32;
            assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
        }
    }
}
