//! Matrix products `C = A · B (+ bias)` for the native encoder, with `B` packed once.
//!
//! Why our own: candle's CPU matmul (the `gemm` crate) runs its AVX2 kernels unless a
//! crate feature switches on AVX-512, has no bf16 dot-product kernel (candle 0.11 widens bf16
//! to f32), and needs padded, equally long sequences. A BERT encoder spends ~90 % of its time
//! in a handful of products with fixed weights, so a small, specialised kernel pays:
//!
//! * **Layout.** `B` is packed once into panels of [`NR`] = 32 columns, k-major (32
//!   contiguous values per `k`), zero-padded to whole panels. `A` (activations, row-major) is
//!   read in place (in bf16, each block of rows is first converted to bf16 pairs, once).
//! * **Micro-kernel.** 12 × 32 outputs in 24 AVX-512 accumulators; per `k`: two loads of `B`,
//!   12 broadcasts of `A`, 24 fused multiply-adds. In bf16 ([`Packed::Bf16`]) the kernel
//!   takes `k` in pairs with `vdpbf16ps` (AVX512-BF16): twice the multiply-adds per
//!   instruction, f32 accumulation.
//! * **Blocking** (GotoBLAS order): rows in blocks of [`MC`], depth in blocks of [`KC`] (a
//!   packed `B` slice of 32 × 256 f32 = 32 KiB and 12 rows × 256 of `A` = 12 KiB stay in
//!   the 48 KiB L1), all panels of `B` per row block. Row blocks run in parallel (rayon).
//!   A tile of fewer than 12 rows runs the same kernel instantiated for its row count.
//! * **Determinism.** Every output element is `init`, then one fused multiply-add per `k` in
//!   increasing `k` (pairs of `k` in bf16), whatever the block, thread or tile it falls in:
//!   edge tiles run the same kernel (on a copy of C where columns run out). So a row's result depends only on
//!   that row and `B`: it is bit-identical for any thread count, any batch composition and
//!   any number of rows.
//! * **Fallback.** Without AVX-512 a portable kernel computes the same sums in the same order
//!   (`f32::mul_add`); bf16 needs AVX512-BF16 and is refused by [`bf16_supported`] otherwise.

use rayon::prelude::*;

/// Columns of `B` per packed panel.
pub(crate) const NR: usize = 32;
/// Rows of `A` per micro-tile.
pub(crate) const MR: usize = 12;
/// Rows of `A` per block (a multiple of [`MR`]); the unit of parallel work.
pub(crate) const MC: usize = 72;
/// Depth per block (even, for bf16 pairs).
pub(crate) const KC: usize = 256;

/// Whether this CPU runs the AVX-512 f32 kernel.
pub(crate) fn avx512_supported() -> bool {
    crate::cpu::avx512f()
}

/// Whether this CPU multiplies bf16 natively (AVX512-BF16).
pub(crate) fn bf16_supported() -> bool {
    crate::cpu::avx512bf16()
}

/// f32 → bf16 bits, rounding to nearest even (as torch and `half` do for finite values;
/// NaN stays NaN).
#[inline]
pub(crate) fn bf16_bits(x: f32) -> u16 {
    let u = x.to_bits();
    if x.is_nan() {
        return ((u >> 16) | 0x40) as u16;
    }
    let round = ((u >> 16) & 1) + 0x7FFF;
    (u.wrapping_add(round) >> 16) as u16
}

/// bf16 bits → f32.
#[inline]
pub(crate) fn bf16_to_f32(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// `B` (k × n) packed into panels of [`NR`] columns.
pub(crate) enum Packed {
    /// f32: panel `p` holds, for each `kk`, `B[kk][p·NR .. p·NR + NR]`.
    F32 { n: usize, k: usize, data: Vec<f32> },
    /// bf16: panel `p` holds, for each pair `kk = 2q, 2q+1`, the 32 pairs
    /// `(B[2q][j], B[2q+1][j])` as `u32` (low half = even `k`); `k` padded to even.
    Bf16 { n: usize, k: usize, data: Vec<u32> },
}

impl Packed {
    /// Packs `B = Wᵀ` from `W` (n × k, row `j` at `w[j·ldw ..][..k]`: the layout of a
    /// PyTorch `Linear` weight, out × in). With `bf16`, values are rounded to bf16.
    pub(crate) fn from_rows(w: &[f32], n: usize, k: usize, ldw: usize, bf16: bool) -> Self {
        Self::pack(n, k, bf16, |kk, j| w[j * ldw + kk])
    }

    /// Packs `B` given as k × n row-major (`B[kk][j] = b[kk·ldb + j]`), in f32.
    pub(crate) fn from_kn(b: &[f32], k: usize, n: usize, ldb: usize) -> Self {
        // Rows of B are already panel rows: copy them (attention packs V this way for
        // every head of every sequence, so this is kept to slice copies).
        let panels = n.div_ceil(NR);
        let mut data = vec![0.0f32; panels * k * NR];
        for p in 0..panels {
            let cols = NR.min(n - p * NR);
            let panel = &mut data[p * k * NR..(p + 1) * k * NR];
            for (kk, dst) in panel.chunks_exact_mut(NR).enumerate() {
                let src = &b[kk * ldb + p * NR..][..cols];
                dst[..cols].copy_from_slice(src);
            }
        }
        Packed::F32 { n, k, data }
    }

    fn pack(n: usize, k: usize, bf16: bool, at: impl Fn(usize, usize) -> f32) -> Self {
        let panels = n.div_ceil(NR);
        if bf16 {
            let kp = k.div_ceil(2);
            let mut data = vec![0u32; panels * kp * NR];
            for p in 0..panels {
                let panel = &mut data[p * kp * NR..(p + 1) * kp * NR];
                for q in 0..kp {
                    for c in 0..NR {
                        let j = p * NR + c;
                        if j >= n {
                            continue;
                        }
                        let lo = bf16_bits(at(2 * q, j));
                        let hi = if 2 * q + 1 < k {
                            bf16_bits(at(2 * q + 1, j))
                        } else {
                            0
                        };
                        panel[q * NR + c] = u32::from(lo) | (u32::from(hi) << 16);
                    }
                }
            }
            Packed::Bf16 { n, k, data }
        } else {
            let mut data = vec![0.0f32; panels * k * NR];
            for p in 0..panels {
                let panel = &mut data[p * k * NR..(p + 1) * k * NR];
                for kk in 0..k {
                    for c in 0..NR {
                        let j = p * NR + c;
                        if j < n {
                            panel[kk * NR + c] = at(kk, j);
                        }
                    }
                }
            }
            Packed::F32 { n, k, data }
        }
    }

    /// Columns of `B`.
    pub(crate) fn n(&self) -> usize {
        match self {
            Packed::F32 { n, .. } | Packed::Bf16 { n, .. } => *n,
        }
    }

    /// Rows of `B` (the shared dimension).
    pub(crate) fn k(&self) -> usize {
        match self {
            Packed::F32 { k, .. } | Packed::Bf16 { k, .. } => *k,
        }
    }
}

/// `C[i][j] = init(j) + Σ_kk A[i][kk] · B[kk][j]` for `i < m`, `j < b.n()`; `A[i][kk]` is
/// `a[i·lda + kk]`, `C[i][j]` is `c[i·ldc + j]`; `init` is `bias[j]`, or 0 without a bias.
/// Row blocks run in parallel when `parallel` (results are the same either way).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    a: &[f32],
    lda: usize,
    m: usize,
    b: &Packed,
    c: &mut [f32],
    ldc: usize,
    bias: Option<&[f32]>,
    parallel: bool,
) {
    let n = b.n();
    let k = b.k();
    if m == 0 || n == 0 {
        return;
    }
    assert!(lda >= k && ldc >= n, "gemm: leading dimensions too small");
    assert!(a.len() >= (m - 1) * lda + k, "gemm: A too short");
    assert!(c.len() >= (m - 1) * ldc + n, "gemm: C too short");
    if let Some(bias) = bias {
        assert!(bias.len() >= n, "gemm: bias too short");
    }
    let avx512 = avx512_supported();
    let block = |(blk, c_rows): (usize, &mut [f32])| {
        let i0 = blk * MC;
        let rows = MC.min(m - i0);
        row_block(&a[i0 * lda..], lda, rows, b, c_rows, ldc, bias, avx512);
    };
    // Each block owns rows [blk·MC, blk·MC + MC) of C; the last one may be shorter and need
    // not extend to a whole `ldc` (C may end right after the last valid column).
    let c = &mut c[..(m - 1) * ldc + n];
    if parallel && m > MC {
        c.par_chunks_mut(MC * ldc).enumerate().for_each(block);
    } else {
        c.chunks_mut(MC * ldc).enumerate().for_each(block);
    }
}

/// One block of at most [`MC`] rows: every panel of `B`, depth in blocks of [`KC`].
#[allow(clippy::too_many_arguments)]
fn row_block(
    a: &[f32],
    lda: usize,
    rows: usize,
    b: &Packed,
    c: &mut [f32],
    ldc: usize,
    bias: Option<&[f32]>,
    avx512: bool,
) {
    let n = b.n();
    let k = b.k();
    // Initialise C with the bias (or zeros); the kernels accumulate into it.
    for i in 0..rows {
        let row = &mut c[i * ldc..i * ldc + n];
        match bias {
            Some(bias) => row.copy_from_slice(&bias[..n]),
            None => row.fill(0.0),
        }
    }
    let panels = n.div_ceil(NR);
    let mut edge = [0.0f32; MR * NR];
    match b {
        Packed::F32 { data, .. } => {
            for k0 in (0..k).step_by(KC) {
                let kc = KC.min(k - k0);
                for p in 0..panels {
                    let bpanel = &data[(p * k + k0) * NR..(p * k + k0 + kc) * NR];
                    for i0 in (0..rows).step_by(MR) {
                        let mr = MR.min(rows - i0);
                        let at = &a[i0 * lda + k0..];
                        tile(c, ldc, i0, mr, n, p, &mut edge, |cp, ld| {
                            kernel_f32(mr, kc, at, lda, bpanel, cp, ld, avx512)
                        });
                    }
                }
            }
        }
        Packed::Bf16 { data, .. } => {
            let kp_all = k.div_ceil(2);
            // The block's rows in bf16 pairs, converted once (vectorised).
            let mut abf = vec![0u32; rows * kp_all];
            for (i, out) in abf.chunks_exact_mut(kp_all).enumerate() {
                to_bf16_pairs(&a[i * lda..i * lda + k], out);
            }
            for k0 in (0..k).step_by(KC) {
                let kp = KC.min(k - k0).div_ceil(2);
                let q0 = k0 / 2;
                for p in 0..panels {
                    let bpanel = &data[(p * kp_all + q0) * NR..(p * kp_all + q0 + kp) * NR];
                    for i0 in (0..rows).step_by(MR) {
                        let mr = MR.min(rows - i0);
                        let at = &abf[i0 * kp_all + q0..];
                        tile(c, ldc, i0, mr, n, p, &mut edge, |cp, ld| {
                            kernel_bf16(mr, kp, at, kp_all, bpanel, cp, ld)
                        });
                    }
                }
            }
        }
    }
}

/// Runs `kernel` on rows `i0..i0+mr` × panel `p` (columns) of C: in place when the panel's
/// columns are all inside C, else on a copy whose valid part is copied back.
#[allow(clippy::too_many_arguments)]
fn tile(
    c: &mut [f32],
    ldc: usize,
    i0: usize,
    mr: usize,
    n: usize,
    p: usize,
    edge: &mut [f32; MR * NR],
    kernel: impl FnOnce(&mut [f32], usize),
) {
    let j0 = p * NR;
    let nr = NR.min(n - j0);
    let whole = nr == NR && c.len() >= (i0 + mr - 1) * ldc + j0 + NR;
    if whole {
        kernel(&mut c[i0 * ldc + j0..], ldc);
    } else {
        edge.fill(0.0);
        for i in 0..mr {
            edge[i * NR..i * NR + nr].copy_from_slice(&c[(i0 + i) * ldc + j0..][..nr]);
        }
        kernel(edge, NR);
        for i in 0..mr {
            c[(i0 + i) * ldc + j0..][..nr].copy_from_slice(&edge[i * NR..i * NR + nr]);
        }
    }
}

/// A row of f32 as bf16 pairs (`out[q]` = `(row[2q], row[2q+1])`, low half = even `k`; an
/// odd length is padded with 0).
fn to_bf16_pairs(row: &[f32], out: &mut [u32]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if bf16_supported() {
        // SAFETY: AVX-512F and AVX512-BF16 are present.
        done = unsafe { to_bf16_pairs_avx512(row, out) };
    }
    for q in done / 2..out.len() {
        let lo = bf16_bits(row[2 * q]);
        let hi = row.get(2 * q + 1).map_or(0, |&v| bf16_bits(v));
        out[q] = u32::from(lo) | (u32::from(hi) << 16);
    }
}

/// Converts the first multiple of 32 values of `row` (round to nearest even, as
/// [`bf16_bits`] for normal numbers); returns how many.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn to_bf16_pairs_avx512(row: &[f32], out: &mut [u32]) -> usize {
    use std::arch::x86_64::*;
    let n = row.len() / 32 * 32;
    for i in (0..n).step_by(32) {
        let lo = _mm512_loadu_ps(row.as_ptr().add(i));
        let hi = _mm512_loadu_ps(row.as_ptr().add(i + 16));
        // Lower 16 bf16 from the second operand, upper 16 from the first.
        let v: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo));
        _mm512_storeu_si512(out.as_mut_ptr().add(i / 2) as *mut _, v);
    }
    n
}

/// Calls `$f::<R>(args)` for the row count `$mr` (1..=12) known only at run time.
macro_rules! by_rows {
    ($mr:expr, $f:ident, $($arg:expr),*) => {
        match $mr {
            12 => $f::<12>($($arg),*),
            11 => $f::<11>($($arg),*),
            10 => $f::<10>($($arg),*),
            9 => $f::<9>($($arg),*),
            8 => $f::<8>($($arg),*),
            7 => $f::<7>($($arg),*),
            6 => $f::<6>($($arg),*),
            5 => $f::<5>($($arg),*),
            4 => $f::<4>($($arg),*),
            3 => $f::<3>($($arg),*),
            2 => $f::<2>($($arg),*),
            1 => $f::<1>($($arg),*),
            _ => unreachable!("a tile has 1 to {MR} rows"),
        }
    };
}

/// `C[0..mr][0..NR] += A[0..mr][0..kc] · Bpanel` (f32); row `r` of A starts at `a[r·lda]`.
#[allow(clippy::too_many_arguments)]
fn kernel_f32(
    mr: usize,
    kc: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    ldc: usize,
    avx512: bool,
) {
    assert!((1..=MR).contains(&mr) && a.len() >= (mr - 1) * lda + kc && b.len() >= kc * NR);
    assert!(c.len() >= (mr - 1) * ldc + NR);
    #[cfg(target_arch = "x86_64")]
    if avx512 {
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        // SAFETY: AVX-512F is present (checked by the caller); the lengths are asserted above.
        unsafe { by_rows!(mr, kernel_f32_avx512, kc, a, lda, b, c, ldc) };
        return;
    }
    let _ = avx512;
    #[cfg(target_arch = "x86_64")]
    if fma_supported() {
        // SAFETY: AVX2 and FMA are present.
        unsafe { kernel_f32_fma(mr, kc, a, lda, b, c, ldc) };
        return;
    }
    kernel_f32_portable(mr, kc, a, lda, b, c, ldc);
}

/// Whether this CPU has AVX2 and FMA (the portable kernels are then compiled for them:
/// `f32::mul_add` becomes one instruction instead of a call to the C library's `fmaf`).
pub(crate) fn fma_supported() -> bool {
    crate::cpu::avx2_fma()
}

/// [`kernel_f32_portable`] compiled for AVX2 + FMA (the same operations: same bits).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_f32_fma(
    mr: usize,
    kc: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    ldc: usize,
) {
    kernel_f32_portable(mr, kc, a, lda, b, c, ldc)
}

/// The portable kernel: the same fused multiply-adds in the same order as the AVX-512 one.
#[inline(always)]
fn kernel_f32_portable(
    mr: usize,
    kc: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    ldc: usize,
) {
    for r in 0..mr {
        let mut acc = [0.0f32; NR];
        acc.copy_from_slice(&c[r * ldc..r * ldc + NR]);
        for kk in 0..kc {
            let av = a[r * lda + kk];
            for (o, &bv) in acc.iter_mut().zip(&b[kk * NR..kk * NR + NR]) {
                *o = av.mul_add(bv, *o);
            }
        }
        c[r * ldc..r * ldc + NR].copy_from_slice(&acc);
    }
}

/// Loads an `R × NR` tile of C (row stride `ldc`) into registers.
///
/// # Safety
/// AVX-512F; `c` points to `R` rows of at least [`NR`] floats, `ldc` apart.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_tile<const R: usize>(
    c: *const f32,
    ldc: usize,
) -> [[std::arch::x86_64::__m512; 2]; R] {
    use std::arch::x86_64::*;
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    for (r, row) in acc.iter_mut().enumerate() {
        row[0] = _mm512_loadu_ps(c.add(r * ldc));
        row[1] = _mm512_loadu_ps(c.add(r * ldc + 16));
    }
    acc
}

/// Stores a tile loaded by [`load_tile`] back.
///
/// # Safety
/// As [`load_tile`], with `c` writable.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn store_tile<const R: usize>(
    acc: &[[std::arch::x86_64::__m512; 2]; R],
    c: *mut f32,
    ldc: usize,
) {
    use std::arch::x86_64::*;
    for (r, row) in acc.iter().enumerate() {
        _mm512_storeu_ps(c.add(r * ldc), row[0]);
        _mm512_storeu_ps(c.add(r * ldc + 16), row[1]);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn kernel_f32_avx512<const R: usize>(
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    use std::arch::x86_64::*;
    let mut acc = load_tile::<R>(c, ldc);
    for kk in 0..kc {
        let b0 = _mm512_loadu_ps(b.add(kk * NR));
        let b1 = _mm512_loadu_ps(b.add(kk * NR + 16));
        for (r, row) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*a.add(r * lda + kk));
            row[0] = _mm512_fmadd_ps(av, b0, row[0]);
            row[1] = _mm512_fmadd_ps(av, b1, row[1]);
        }
    }
    store_tile(&acc, c, ldc);
}

/// `C[0..mr][0..NR] += A · Bpanel` over `kp` pairs of depth (bf16, f32 accumulation); row `r`
/// of A (bf16 pairs) starts at `a[r·lda]`. Only called after [`bf16_supported`] said yes (a
/// [`Packed::Bf16`] is only built then).
#[allow(clippy::too_many_arguments)]
fn kernel_bf16(mr: usize, kp: usize, a: &[u32], lda: usize, b: &[u32], c: &mut [f32], ldc: usize) {
    assert!((1..=MR).contains(&mr) && a.len() >= (mr - 1) * lda + kp && b.len() >= kp * NR);
    assert!(c.len() >= (mr - 1) * ldc + NR);
    #[cfg(target_arch = "x86_64")]
    if bf16_supported() {
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        // SAFETY: AVX-512F and AVX512-BF16 are present; lengths as asserted above.
        unsafe { by_rows!(mr, kernel_bf16_avx512, kp, a, lda, b, c, ldc) };
        return;
    }
    kernel_bf16_portable(mr, kp, a, lda, b, c, ldc);
}

/// Reference for the bf16 kernel (tests; never chosen at run time, see [`kernel_bf16`]):
/// each pair's two products, then added, as `vdpbf16ps` does up to its rounding.
fn kernel_bf16_portable(
    mr: usize,
    kp: usize,
    a: &[u32],
    lda: usize,
    b: &[u32],
    c: &mut [f32],
    ldc: usize,
) {
    let split = |v: u32| (bf16_to_f32(v as u16), bf16_to_f32((v >> 16) as u16));
    for r in 0..mr {
        for j in 0..NR {
            let mut acc = c[r * ldc + j];
            for q in 0..kp {
                let (a0, a1) = split(a[r * lda + q]);
                let (b0, b1) = split(b[q * NR + j]);
                acc = a1.mul_add(b1, a0.mul_add(b0, acc));
            }
            c[r * ldc + j] = acc;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn kernel_bf16_avx512<const R: usize>(
    kp: usize,
    a: *const u32,
    lda: usize,
    b: *const u32,
    c: *mut f32,
    ldc: usize,
) {
    use std::arch::x86_64::*;
    let mut acc = load_tile::<R>(c, ldc);
    for q in 0..kp {
        let b0: __m512bh = std::mem::transmute(_mm512_loadu_si512(b.add(q * NR) as *const _));
        let b1: __m512bh = std::mem::transmute(_mm512_loadu_si512(b.add(q * NR + 16) as *const _));
        for (r, row) in acc.iter_mut().enumerate() {
            let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(r * lda + q) as i32));
            row[0] = _mm512_dpbf16_ps(row[0], av, b0);
            row[1] = _mm512_dpbf16_ps(row[1], av, b1);
        }
    }
    store_tile(&acc, c, ldc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
    }

    /// Plain triple loop in f64.
    fn reference(a: &[f32], m: usize, k: usize, w: &[f32], n: usize, bias: &[f32]) -> Vec<f64> {
        let mut out = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = f64::from(bias[j]);
                for kk in 0..k {
                    s += f64::from(a[i * k + kk]) * f64::from(w[j * k + kk]);
                }
                out[i * n + j] = s;
            }
        }
        out
    }

    #[test]
    fn f32_matches_reference_on_odd_shapes() {
        // Shapes with edge tiles, several depth blocks, and a strided C.
        for &(m, k, n) in &[(1, 1, 1), (13, 7, 33), (75, 300, 40), (150, 513, 64)] {
            let a = random(m * k, 1);
            let w = random(n * k, 2);
            let bias = random(n, 3);
            let b = Packed::from_rows(&w, n, k, k, false);
            let ldc = n + 5;
            let mut c = vec![f32::NAN; m * ldc];
            gemm(&a, k, m, &b, &mut c, ldc, Some(&bias), true);
            let want = reference(&a, m, k, &w, n, &bias);
            for i in 0..m {
                for j in 0..n {
                    let d = (f64::from(c[i * ldc + j]) - want[i * n + j]).abs();
                    assert!(d < 1e-4, "({m},{k},{n}) at ({i},{j}): diff {d}");
                }
                // Padding columns of C are left alone.
                assert!(c[i * ldc + n].is_nan());
            }
        }
    }

    #[test]
    fn from_kn_equals_from_rows_of_the_transpose() {
        let (k, n, ldb) = (7, 45, 50);
        let b = random(k * ldb, 15);
        let mut wt = vec![0.0; n * k];
        for kk in 0..k {
            for j in 0..n {
                wt[j * k + kk] = b[kk * ldb + j];
            }
        }
        let (Packed::F32 { data: x, .. }, Packed::F32 { data: y, .. }) = (
            Packed::from_kn(&b, k, n, ldb),
            Packed::from_rows(&wt, n, k, k, false),
        ) else {
            unreachable!()
        };
        assert_eq!(x, y);
    }

    #[test]
    fn rows_do_not_depend_on_batch_or_threads() {
        let (m, k, n) = (100, 384, 96);
        let a = random(m * k, 4);
        let w = random(n * k, 5);
        let b = Packed::from_rows(&w, n, k, k, false);
        let mut all = vec![0.0; m * n];
        gemm(&a, k, m, &b, &mut all, n, None, true);
        let mut serial = vec![0.0; m * n];
        gemm(&a, k, m, &b, &mut serial, n, None, false);
        assert_eq!(all, serial);
        // Rows 37..41 alone (different tile and block positions) give the same bits.
        let mut part = vec![0.0; 4 * n];
        gemm(&a[37 * k..], k, 4, &b, &mut part, n, None, false);
        assert_eq!(&all[37 * n..41 * n], &part[..]);
    }

    #[test]
    fn avx512_and_portable_kernels_agree_bitwise() {
        if !avx512_supported() {
            eprintln!("SKIPPED: no AVX-512 on this CPU");
            return;
        }
        let (kc, lda) = (77, 80);
        let a = random(lda * MR, 6);
        let b = random(kc * NR, 7);
        let init = random(MR * NR, 8);
        for mr in [MR, 5, 1] {
            let mut c1 = init.clone();
            let mut c2 = init.clone();
            kernel_f32(mr, kc, &a, lda, &b, &mut c1, NR, true);
            kernel_f32_portable(mr, kc, &a, lda, &b, &mut c2, NR);
            assert_eq!(c1, c2, "{mr} rows");
            // The AVX2 + FMA build of the portable kernel, and the dispatch without AVX-512.
            let mut c3 = init.clone();
            kernel_f32(mr, kc, &a, lda, &b, &mut c3, NR, false);
            assert_eq!(c1, c3, "{mr} rows, no AVX-512");
        }
    }

    #[test]
    fn bf16_close_to_f32() {
        if !bf16_supported() {
            eprintln!("SKIPPED: no AVX512-BF16 on this CPU");
            return;
        }
        let (m, k, n) = (30, 385, 70);
        let a = random(m * k, 9);
        let w = random(n * k, 10);
        let bias = random(n, 11);
        let b = Packed::from_rows(&w, n, k, k, true);
        let mut c = vec![0.0; m * n];
        gemm(&a, k, m, &b, &mut c, n, Some(&bias), true);
        // Against the exact product of the bf16-rounded inputs.
        let round =
            |v: &[f32]| -> Vec<f32> { v.iter().map(|&x| bf16_to_f32(bf16_bits(x))).collect() };
        let want = reference(&round(&a), m, k, &round(&w), n, &bias);
        for (got, want) in c.iter().zip(&want) {
            assert!((f64::from(*got) - want).abs() < 1e-3, "{got} vs {want}");
        }
        // And the portable reference kernel agrees closely.
        let kp = k.div_ceil(2);
        let mut abf = vec![0u32; MR * kp];
        for (i, out) in abf.chunks_exact_mut(kp).enumerate() {
            to_bf16_pairs(&a[i * k..(i + 1) * k], out);
        }
        let Packed::Bf16 { data, .. } = &b else {
            unreachable!()
        };
        let mut c1 = vec![0.0; MR * NR];
        let mut c2 = vec![0.0; MR * NR];
        kernel_bf16(MR, kp, &abf, kp, &data[..kp * NR], &mut c1, NR);
        kernel_bf16_portable(MR, kp, &abf, kp, &data[..kp * NR], &mut c2, NR);
        for (x, y) in c1.iter().zip(&c2) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn bf16_pairs_vector_matches_scalar() {
        let row = random(101, 12);
        let mut out = vec![0u32; 51];
        to_bf16_pairs(&row, &mut out);
        for (q, &v) in out.iter().enumerate() {
            assert_eq!(v as u16, bf16_bits(row[2 * q]), "pair {q}");
            let hi = row.get(2 * q + 1).map_or(0, |&x| bf16_bits(x));
            assert_eq!((v >> 16) as u16, hi, "pair {q}");
        }
    }

    /// GFLOP/s of the products of MiniLM-L6 on 5,000 tokens (run with `--ignored
    /// --nocapture` in release).
    #[test]
    #[ignore = "timing: run by hand in release"]
    fn gemm_speed() {
        let m = 5000;
        for bf16 in [false, true] {
            if bf16 && !bf16_supported() {
                continue;
            }
            for &(k, n) in &[(384, 1152), (384, 1536), (1536, 384)] {
                let a = random(m * k, 13);
                let w = random(n * k, 14);
                let b = Packed::from_rows(&w, n, k, k, bf16);
                let mut c = vec![0.0; m * n];
                gemm(&a, k, m, &b, &mut c, n, None, true);
                let t = std::time::Instant::now();
                let reps = 5;
                for _ in 0..reps {
                    gemm(&a, k, m, &b, &mut c, n, None, true);
                }
                let secs = t.elapsed().as_secs_f64() / reps as f64;
                let gflops = 2.0 * (m * k * n) as f64 / secs / 1e9;
                eprintln!("bf16={bf16} {m}x{k} · {k}x{n}: {gflops:.1} GFLOP/s");
            }
        }
    }

    #[test]
    fn bf16_rounding() {
        assert_eq!(bf16_bits(1.0), 0x3F80);
        // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
        assert_eq!(bf16_bits(1.0 + 1.0 / 256.0), 0x3F80);
        assert_eq!(bf16_bits(1.0 + 3.0 / 256.0), 0x3F82);
        assert_eq!(bf16_to_f32(bf16_bits(-2.5)), -2.5);
        assert!(bf16_to_f32(bf16_bits(f32::NAN)).is_nan());
    }
}
