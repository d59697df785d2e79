//! The assignment and k-means++ trial kernels: AVX-512F, AVX2 and portable paths that give
//! the same bits (see the [module docs](super)).

use rayon::prelude::*;

use super::{Points, CHUNK};

/// Eight `f32` lanes.
type Lanes = [f32; 8];

#[inline(always)]
fn lanes(s: &[f32]) -> Lanes {
    <Lanes>::try_from(s).unwrap_or([0.0; 8])
}

/// `acc + a·b` lane by lane (a separate multiply and add: no fused rounding, so the bits
/// never depend on the instruction set the compiler picks).
#[inline(always)]
fn mul_add(acc: Lanes, a: Lanes, b: Lanes) -> Lanes {
    let mut o = [0.0f32; 8];
    for t in 0..8 {
        o[t] = acc[t] + a[t] * b[t];
    }
    o
}

#[inline(always)]
fn fold(a: &Lanes) -> f32 {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}

/// `a·b` with eight independent lanes (auto-vectorised; fixed summation order).
#[inline]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc = mul_add(acc, lanes(x), lanes(y));
    }
    let mut s = fold(&acc);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Rows per lane block of [`Points::xt`]: one AVX-512 register of `f32`.
pub(super) const LANES: usize = 16;
/// Centroids scored together against one lane block (eight accumulator registers).
const GROUP: usize = 8;

/// `f32` values of [`LANES`] rows.
type Lanes16 = [f32; LANES];

#[inline(always)]
fn lanes16(s: &[f32]) -> Lanes16 {
    <Lanes16>::try_from(s).unwrap_or([0.0; LANES])
}

/// Rows `16b..16b + 16` transposed: entry `(b·d + t)·16 + l` is coordinate `t` of row
/// `16b + l` (zero for the padding rows of the last block).
pub(super) fn transpose_rows(x: &[f32], n: usize, d: usize) -> Vec<f32> {
    let nb = n.div_ceil(LANES);
    let mut out = vec![0.0f32; nb * d * LANES];
    for (i, row) in x.chunks_exact(d).enumerate() {
        let (b, l) = (i / LANES, i % LANES);
        for (t, &v) in row.iter().enumerate() {
            out[(b * d + t) * LANES + l] = v;
        }
    }
    out
}

/// Centroids transposed: entry `t·k + j` is coordinate `t` of centroid `j`.
pub(super) fn transpose_centroids(cent: &[f32], k: usize, d: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; d * k];
    for (j, c) in cent.chunks_exact(d).enumerate() {
        for (t, &v) in c.iter().enumerate() {
            out[t * k + j] = v;
        }
    }
    out
}

/// Dot products of one lane block of rows (`xt`: `d × 16`, see [`transpose_rows`]) with
/// the centroids `j0..j0 + G` (`ct`: see [`transpose_centroids`]); lane `l` of entry `g` is
/// `x_{16b+l} · c_{j0+g}`.
///
/// Every implementation sums each lane over the coordinates in order, a multiply then an
/// add (never fused), so all of them return the same bits as a plain sequential loop.
pub(super) trait Dots {
    fn dots<const G: usize>(xt: &[f32], ct: &[f32], k: usize, j0: usize) -> [Lanes16; G];

    /// [`score_group`]'s update: for each centroid `j0 + g` in order and each lane,
    /// `v = ‖c‖² − 2·dot` replaces the best when strictly smaller.
    #[inline(always)]
    fn score<const G: usize>(
        xt: &[f32],
        ct: &[f32],
        cnorm: &[f32],
        j0: usize,
        best: &mut Lanes16,
        bj: &mut [u32; LANES],
    ) {
        let acc = Self::dots::<G>(xt, ct, cnorm.len(), j0);
        for (g, a) in acc.iter().enumerate() {
            let j = j0 + g;
            let cn = cnorm[j];
            for l in 0..LANES {
                let v = cn - 2.0 * a[l];
                if v < best[l] {
                    best[l] = v;
                    bj[l] = j as u32;
                }
            }
        }
    }
}

/// Portable [`Dots`].
pub(super) struct DotsGeneric;

impl Dots for DotsGeneric {
    #[inline(always)]
    fn dots<const G: usize>(xt: &[f32], ct: &[f32], k: usize, j0: usize) -> [Lanes16; G] {
        let mut acc = [[0.0f32; LANES]; G];
        for (xv, crow) in xt.chunks_exact(LANES).zip(ct.chunks_exact(k)) {
            let xv = lanes16(xv);
            for (a, &c) in acc.iter_mut().zip(&crow[j0..j0 + G]) {
                for l in 0..LANES {
                    a[l] += xv[l] * c;
                }
            }
        }
        acc
    }
}

/// [`Dots`] with AVX-512F intrinsics: one register per centroid, sixteen rows per lane.
/// Only used by [`assign_block_avx512`], i.e. after AVX-512F was detected.
#[cfg(target_arch = "x86_64")]
struct DotsAvx512;

#[cfg(target_arch = "x86_64")]
impl Dots for DotsAvx512 {
    #[inline(always)]
    fn dots<const G: usize>(xt: &[f32], ct: &[f32], k: usize, j0: usize) -> [Lanes16; G] {
        // SAFETY: only reached from `assign_block_avx512`, called after AVX-512F detection.
        unsafe { dots_avx512::<G>(xt, ct, k, j0) }
    }

    #[inline(always)]
    fn score<const G: usize>(
        xt: &[f32],
        ct: &[f32],
        cnorm: &[f32],
        j0: usize,
        best: &mut Lanes16,
        bj: &mut [u32; LANES],
    ) {
        // SAFETY: as above.
        unsafe { score_avx512::<G>(xt, ct, cnorm, j0, best, bj) }
    }
}

/// The dot products of [`dots_avx512`], left in registers.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f")]
fn dot_regs_avx512<const G: usize>(
    xt: &[f32],
    ct: &[f32],
    k: usize,
    j0: usize,
) -> [std::arch::x86_64::__m512; G] {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_setzero_ps(); G];
    for (xv, crow) in xt.chunks_exact(LANES).zip(ct.chunks_exact(k)) {
        // SAFETY: `xv` holds exactly 16 floats (chunks_exact).
        let x = unsafe { _mm512_loadu_ps(xv.as_ptr()) };
        for (a, &c) in acc.iter_mut().zip(&crow[j0..j0 + G]) {
            *a = _mm512_add_ps(*a, _mm512_mul_ps(x, _mm512_set1_ps(c)));
        }
    }
    acc
}

/// [`Dots::score`] in registers: the same multiply, subtract and strict comparison per
/// lane as the scalar update (so the same bits), as a masked blend instead of a branch per
/// lane.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn score_avx512<const G: usize>(
    xt: &[f32],
    ct: &[f32],
    cnorm: &[f32],
    j0: usize,
    best: &mut Lanes16,
    bj: &mut [u32; LANES],
) {
    use std::arch::x86_64::*;
    let acc = dot_regs_avx512::<G>(xt, ct, cnorm.len(), j0);
    // SAFETY: `best` and `bj` hold exactly 16 values.
    let (mut b, mut j) = unsafe {
        (
            _mm512_loadu_ps(best.as_ptr()),
            _mm512_loadu_si512(bj.as_ptr() as *const _),
        )
    };
    let two = _mm512_set1_ps(2.0);
    for (g, a) in acc.iter().enumerate() {
        let v = _mm512_sub_ps(_mm512_set1_ps(cnorm[j0 + g]), _mm512_mul_ps(two, *a));
        let m = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(v, b);
        b = _mm512_mask_blend_ps(m, b, v);
        j = _mm512_mask_blend_epi32(m, j, _mm512_set1_epi32((j0 + g) as i32));
    }
    // SAFETY: as above.
    unsafe {
        _mm512_storeu_ps(best.as_mut_ptr(), b);
        _mm512_storeu_si512(bj.as_mut_ptr() as *mut _, j);
    }
}

/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dots_avx512<const G: usize>(xt: &[f32], ct: &[f32], k: usize, j0: usize) -> [Lanes16; G] {
    use std::arch::x86_64::*;
    let acc = dot_regs_avx512::<G>(xt, ct, k, j0);
    let mut out = [[0.0f32; LANES]; G];
    for (o, a) in out.iter_mut().zip(&acc) {
        // SAFETY: `o` holds exactly 16 floats.
        unsafe { _mm512_storeu_ps(o.as_mut_ptr(), *a) };
    }
    out
}

/// [`Dots`] with AVX2 intrinsics (two registers per centroid). Only used by
/// [`assign_block_avx2`], i.e. after AVX2 was detected.
#[cfg(target_arch = "x86_64")]
struct DotsAvx2;

#[cfg(target_arch = "x86_64")]
impl Dots for DotsAvx2 {
    #[inline(always)]
    fn dots<const G: usize>(xt: &[f32], ct: &[f32], k: usize, j0: usize) -> [Lanes16; G] {
        // SAFETY: only reached from `assign_block_avx2`, called after AVX2 detection.
        unsafe { dots_avx2::<G>(xt, ct, k, j0) }
    }
}

/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dots_avx2<const G: usize>(xt: &[f32], ct: &[f32], k: usize, j0: usize) -> [Lanes16; G] {
    use std::arch::x86_64::*;
    let mut lo = [_mm256_setzero_ps(); G];
    let mut hi = [_mm256_setzero_ps(); G];
    for (xv, crow) in xt.chunks_exact(LANES).zip(ct.chunks_exact(k)) {
        // SAFETY: `xv` holds exactly 16 floats (chunks_exact).
        let (x0, x1) = unsafe {
            (
                _mm256_loadu_ps(xv.as_ptr()),
                _mm256_loadu_ps(xv.as_ptr().add(8)),
            )
        };
        for ((a, b), &c) in lo.iter_mut().zip(hi.iter_mut()).zip(&crow[j0..j0 + G]) {
            let c = _mm256_set1_ps(c);
            *a = _mm256_add_ps(*a, _mm256_mul_ps(x0, c));
            *b = _mm256_add_ps(*b, _mm256_mul_ps(x1, c));
        }
    }
    let mut out = [[0.0f32; LANES]; G];
    for ((o, a), b) in out.iter_mut().zip(&lo).zip(&hi) {
        // SAFETY: `o` holds exactly 16 floats.
        unsafe {
            _mm256_storeu_ps(o.as_mut_ptr(), *a);
            _mm256_storeu_ps(o.as_mut_ptr().add(8), *b);
        }
    }
    out
}

/// Scores the centroids `j0..j0 + G` against one lane block of rows and updates each row's
/// best `‖c‖² − 2 x·c` and its centroid. Centroids are visited in increasing index and only
/// a strictly smaller value replaces the best (ties: lower index).
#[inline(always)]
fn score_group<D: Dots, const G: usize>(
    xt: &[f32],
    ct: &[f32],
    cnorm: &[f32],
    j0: usize,
    best: &mut Lanes16,
    bj: &mut [u32; LANES],
) {
    D::score::<G>(xt, ct, cnorm, j0, best, bj);
}

/// Inputs of one assignment block.
pub(super) struct AssignCtx<'a> {
    pub(super) p: &'a Points,
    /// Centroids in the layout of [`transpose_centroids`].
    pub(super) ct: &'a [f32],
    /// Squared centroid norms (`k` of them).
    pub(super) cnorm: &'a [f32],
    pub(super) accumulate: bool,
}

/// Assigns rows `first..first + lab.len()` (`first` a multiple of [`LANES`]): nearest
/// centroid by `‖c‖² − 2 x·c` (ties: lower index), squared distance, and (with
/// `accumulate`) per-cluster `f64` sums and counts, rows added in order.
#[inline(always)]
pub(super) fn assign_block_generic<D: Dots>(
    ctx: &AssignCtx<'_>,
    first: usize,
    lab: &mut [u32],
    dis: &mut [f32],
) -> (Vec<f64>, Vec<usize>) {
    let (p, k) = (ctx.p, ctx.cnorm.len());
    let d = p.d;
    let mut sums = vec![0.0f64; if ctx.accumulate { k * d } else { 0 }];
    let mut counts = vec![0usize; if ctx.accumulate { k } else { 0 }];
    for (blk, (lab, dis)) in lab.chunks_mut(LANES).zip(dis.chunks_mut(LANES)).enumerate() {
        let i0 = first + blk * LANES;
        let b = i0 / LANES;
        let xt = &p.xt[b * d * LANES..(b + 1) * d * LANES];
        let mut best = [f32::INFINITY; LANES];
        let mut bj = [0u32; LANES];
        let mut j0 = 0;
        while k - j0 >= GROUP {
            score_group::<D, GROUP>(xt, ctx.ct, ctx.cnorm, j0, &mut best, &mut bj);
            j0 += GROUP;
        }
        if k - j0 >= 4 {
            score_group::<D, 4>(xt, ctx.ct, ctx.cnorm, j0, &mut best, &mut bj);
            j0 += 4;
        }
        if k - j0 >= 2 {
            score_group::<D, 2>(xt, ctx.ct, ctx.cnorm, j0, &mut best, &mut bj);
            j0 += 2;
        }
        if k - j0 >= 1 {
            score_group::<D, 1>(xt, ctx.ct, ctx.cnorm, j0, &mut best, &mut bj);
        }
        for (l, (lo, dout)) in lab.iter_mut().zip(dis.iter_mut()).enumerate() {
            let i = i0 + l;
            let j = bj[l] as usize;
            *lo = bj[l];
            *dout = (p.sq[i] + best[l]).max(0.0);
            if ctx.accumulate {
                counts[j] += 1;
                for (s, &xv) in sums[j * d..(j + 1) * d].iter_mut().zip(p.row(i)) {
                    *s += f64::from(xv);
                }
            }
        }
    }
    (sums, counts)
}

/// [`assign_block_generic`] compiled for AVX-512F. It performs the very same IEEE
/// operations in the same order (Rust never fuses or reassociates floating-point
/// operations), sixteen lanes at a time, so its results are bit-identical to the baseline
/// build.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn assign_block_avx512(
    ctx: &AssignCtx<'_>,
    first: usize,
    lab: &mut [u32],
    dis: &mut [f32],
) -> (Vec<f64>, Vec<usize>) {
    assign_block_generic::<DotsAvx512>(ctx, first, lab, dis)
}

/// [`assign_block_generic`] compiled for AVX2 (same bits, see [`assign_block_avx512`]).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn assign_block_avx2(
    ctx: &AssignCtx<'_>,
    first: usize,
    lab: &mut [u32],
    dis: &mut [f32],
) -> (Vec<f64>, Vec<usize>) {
    assign_block_generic::<DotsAvx2>(ctx, first, lab, dis)
}

/// [`assign_block_generic`] with the widest vector unit the CPU has (AVX-512F, AVX2, or
/// none): the same bits on every path.
pub(super) fn assign_block(
    ctx: &AssignCtx<'_>,
    first: usize,
    lab: &mut [u32],
    dis: &mut [f32],
) -> (Vec<f64>, Vec<usize>) {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::cpu::avx512f() {
            // SAFETY: AVX-512F support was just checked at run time.
            return unsafe { assign_block_avx512(ctx, first, lab, dis) };
        }
        if crate::cpu::avx2() {
            // SAFETY: AVX2 support was just checked at run time.
            return unsafe { assign_block_avx2(ctx, first, lab, dis) };
        }
    }
    assign_block_generic::<DotsGeneric>(ctx, first, lab, dis)
}

pub(super) fn centroid_norms(cent: &[f32], d: usize) -> Vec<f32> {
    cent.chunks_exact(d).map(|c| dot(c, c)).collect()
}

/// Assignment step over all rows; with `accumulate`, also the per-cluster sums (`f64`) and
/// counts, reduced in block order.
pub(super) fn assign(
    p: &Points,
    cent: &[f32],
    k: usize,
    labels: &mut [u32],
    dists: &mut [f32],
    accumulate: bool,
) -> (Vec<f64>, Vec<usize>) {
    let d = p.d;
    let cnorm = centroid_norms(cent, d);
    let ct = transpose_centroids(cent, k, d);
    let ctx = AssignCtx {
        p,
        ct: &ct,
        cnorm: &cnorm,
        accumulate,
    };
    let parts: Vec<(Vec<f64>, Vec<usize>)> = labels
        .par_chunks_mut(CHUNK)
        .zip(dists.par_chunks_mut(CHUNK))
        .enumerate()
        .map(|(b, (lab, dis))| assign_block(&ctx, b * CHUNK, lab, dis))
        .collect();
    let mut sums = vec![0.0f64; if accumulate { k * d } else { 0 }];
    let mut counts = vec![0usize; if accumulate { k } else { 0 }];
    for (s, c) in parts {
        for (a, b) in sums.iter_mut().zip(s) {
            *a += b;
        }
        for (a, b) in counts.iter_mut().zip(c) {
            *a += b;
        }
    }
    (sums, counts)
}
/// One block of k-means++ trials: for rows `first..` (one `out` chunk of `n_trials` values per
/// row), the squared distance to each candidate, capped by the current closest distance;
/// returns each candidate's potential (sum over the block, rows in order).
#[inline(always)]
fn trial_block_generic(
    p: &Points,
    cands: &[usize],
    closest: &[f32],
    first: usize,
    out: &mut [f32],
) -> Vec<f64> {
    let n_trials = cands.len();
    let mut pot = vec![0.0f64; n_trials];
    for (t, o) in out.chunks_exact_mut(n_trials).enumerate() {
        let i = first + t;
        let x = p.row(i);
        for (s, (&c, ov)) in cands.iter().zip(o.iter_mut()).enumerate() {
            let dist = (p.sq[i] + p.sq[c] - 2.0 * dot(x, p.row(c))).max(0.0);
            let v = dist.min(closest[i]);
            *ov = v;
            pot[s] += f64::from(v);
        }
    }
    pot
}

/// [`trial_block_generic`] compiled for AVX-512F (the same operations: same bits).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn trial_block_avx512(
    p: &Points,
    cands: &[usize],
    closest: &[f32],
    first: usize,
    out: &mut [f32],
) -> Vec<f64> {
    trial_block_generic(p, cands, closest, first, out)
}

/// [`trial_block_generic`] on the widest vector unit the CPU has.
pub(super) fn trial_block(
    p: &Points,
    cands: &[usize],
    closest: &[f32],
    first: usize,
    out: &mut [f32],
) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx512f() {
        // SAFETY: AVX-512F support was just checked at run time.
        return unsafe { trial_block_avx512(p, cands, closest, first, out) };
    }
    trial_block_generic(p, cands, closest, first, out)
}
