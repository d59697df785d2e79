//! The SIMD kernels of the LSA products (sparse × dense in `f32` and `f64`, dense row
//! products, Gram blocks): portable loops, the same loops compiled for AVX2, and AVX-512F
//! intrinsics, all giving the same bits.

use super::linalg::{Csr, Csr32};

/// Defines `$name`, which calls the `#[inline(always)]` function `$generic` compiled for
/// AVX2 when the CPU has it, and as is otherwise. Only lane-wise loops go through here: they
/// perform the very same IEEE operations in the same order whatever the vector width (Rust
/// never fuses or reassociates floating-point operations), so the bits never change.
macro_rules! simd_dispatch {
    ($(#[$doc:meta])* $vis:vis fn $name:ident => $generic:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $generic($($arg),*)
                }
                if crate::cpu::avx2() {
                    // SAFETY: AVX2 support was checked at run time (`crate::cpu`, detected once).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic($($arg),*)
        }
    };
}

/// Rows `first..` of `A·D` into `out` (overwritten): each output entry sums its row's
/// non-zeros in order, a multiply then an add.
#[inline(always)]
pub(super) fn spmm32_block_generic(a: &Csr32, d: &[f32], l: usize, first: usize, out: &mut [f32]) {
    for (i, orow) in out.chunks_exact_mut(l).enumerate() {
        let r = first + i;
        orow.iter_mut().for_each(|v| *v = 0.0);
        for p in a.indptr[r]..a.indptr[r + 1] {
            let (c, v) = (a.indices[p] as usize, a.data[p]);
            for (o, &dv) in orow.iter_mut().zip(&d[c * l..(c + 1) * l]) {
                *o += v * dv;
            }
        }
    }
}

simd_dispatch! {
    /// [`spmm32_block_generic`], AVX2 when available.
    fn spmm32_block_avx2_or_generic => spmm32_block_generic(a: &Csr32, d: &[f32], l: usize, first: usize, out: &mut [f32])
}

/// [`spmm32_block_generic`] with AVX-512F intrinsics when the CPU has them (the same bits:
/// the same multiplies and adds in the same order), AVX2 or portable code otherwise.
pub(super) fn spmm32_block(a: &Csr32, d: &[f32], l: usize, first: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::cpu::avx512f() {
            // SAFETY: AVX-512F support was checked at run time (`crate::cpu`, detected once).
            return unsafe { spmm32_block_avx512(a, d, l, first, out) };
        }
    }
    spmm32_block_avx2_or_generic(a, d, l, first, out)
}

/// Floats per panel of the AVX-512 product: eight accumulator registers.
#[cfg(target_arch = "x86_64")]
const SPMM_PANEL: usize = 128;

/// [`spmm32_block_generic`] register-blocked: for each row and each panel of up to 128
/// output columns, the partial row stays in up to eight registers while the row's non-zeros
/// stream by (the last register masked when the panel is not a multiple of 16).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn spmm32_block_avx512(
    a: &Csr32,
    d: &[f32],
    l: usize,
    first: usize,
    out: &mut [f32],
) {
    for (i, orow) in out.chunks_exact_mut(l).enumerate() {
        let r = first + i;
        let (lo, hi) = (a.indptr[r], a.indptr[r + 1]);
        let (idx, val) = (&a.indices[lo..hi], &a.data[lo..hi]);
        let mut p0 = 0;
        while p0 < l {
            let w = (l - p0).min(SPMM_PANEL);
            let o = &mut orow[p0..p0 + w];
            match w.div_ceil(16) {
                1 => spmm32_panel::<1>(idx, val, d, l, p0, o),
                2 => spmm32_panel::<2>(idx, val, d, l, p0, o),
                3 => spmm32_panel::<3>(idx, val, d, l, p0, o),
                4 => spmm32_panel::<4>(idx, val, d, l, p0, o),
                5 => spmm32_panel::<5>(idx, val, d, l, p0, o),
                6 => spmm32_panel::<6>(idx, val, d, l, p0, o),
                7 => spmm32_panel::<7>(idx, val, d, l, p0, o),
                _ => spmm32_panel::<8>(idx, val, d, l, p0, o),
            }
            p0 += w;
        }
    }
}

/// One panel `p0..p0 + out.len()` (`out.len()` in `16(R−1)+1..=16R`) of one output row.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn spmm32_panel<const R: usize>(
    idx: &[u32],
    val: &[f32],
    d: &[f32],
    l: usize,
    p0: usize,
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    let w = out.len();
    let tail = w - 16 * (R - 1);
    let mask: __mmask16 = if tail >= 16 {
        u16::MAX
    } else {
        (1u16 << tail) - 1
    };
    let mut acc = [_mm512_setzero_ps(); R];
    for (&c, &v) in idx.iter().zip(val) {
        let start = c as usize * l + p0;
        let row = &d[start..start + w];
        let vv = _mm512_set1_ps(v);
        for (q, a) in acc.iter_mut().enumerate() {
            // SAFETY: lanes `16q..16q + 16` of `row` are in bounds for q < R − 1, and the
            // masked load of the last register reads only the `tail` lanes in bounds.
            let x = unsafe {
                if q + 1 < R {
                    _mm512_loadu_ps(row.as_ptr().add(16 * q))
                } else {
                    _mm512_maskz_loadu_ps(mask, row.as_ptr().add(16 * q))
                }
            };
            *a = _mm512_add_ps(*a, _mm512_mul_ps(vv, x));
        }
    }
    for (q, a) in acc.iter().enumerate() {
        // SAFETY: as for the loads above, on `out`.
        unsafe {
            if q + 1 < R {
                _mm512_storeu_ps(out.as_mut_ptr().add(16 * q), *a);
            } else {
                _mm512_mask_storeu_ps(out.as_mut_ptr().add(16 * q), mask, *a);
            }
        }
    }
}

/// Rows `first..` of `A·D` into `out` (row-major, `l` columns).
#[inline(always)]
pub(super) fn spmm_block_generic(a: &Csr, d: &[f64], l: usize, first: usize, out: &mut [f64]) {
    for (i, orow) in out.chunks_exact_mut(l).enumerate() {
        let r = first + i;
        for p in a.indptr[r]..a.indptr[r + 1] {
            let v = a.data[p];
            let c = a.indices[p];
            for (o, &dv) in orow.iter_mut().zip(&d[c * l..(c + 1) * l]) {
                *o += v * dv;
            }
        }
    }
}

simd_dispatch! {
    /// [`spmm_block_generic`], AVX2 when available.
    pub(super) fn spmm_block => spmm_block_generic(a: &Csr, d: &[f64], l: usize, first: usize, out: &mut [f64])
}

/// `out = a_row·b` for one row `a_row` (`inner` entries) and a row-major `inner × cols`
/// matrix `b`: each entry sums over `t` in order, a multiply then an add, from zero.
#[inline(always)]
fn row_mul_generic(a_row: &[f64], b: &[f64], cols: usize, out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    for (t, &av) in a_row.iter().enumerate() {
        for (o, &bv) in out.iter_mut().zip(&b[t * cols..(t + 1) * cols]) {
            *o += av * bv;
        }
    }
}

/// [`row_mul_generic`] for each row of `a` (`inner` columns) into the rows of `out` (`cols`
/// columns).
#[inline(always)]
pub(super) fn rows_mul_generic(a: &[f64], inner: usize, b: &[f64], cols: usize, out: &mut [f64]) {
    for (orow, arow) in out.chunks_exact_mut(cols).zip(a.chunks_exact(inner)) {
        row_mul_generic(arow, b, cols, orow);
    }
}

simd_dispatch! {
    /// [`rows_mul_generic`], AVX2 when available.
    fn rows_mul_avx2_or_generic => rows_mul_generic(a: &[f64], inner: usize, b: &[f64], cols: usize, out: &mut [f64])
}

/// [`rows_mul_generic`] with AVX-512F intrinsics when the CPU has them (the same bits),
/// AVX2 or portable code otherwise.
pub(super) fn rows_mul(a: &[f64], inner: usize, b: &[f64], cols: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::cpu::avx512f() {
            // SAFETY: AVX-512F support was checked at run time (`crate::cpu`, detected once).
            return unsafe { rows_mul_avx512(a, inner, b, cols, out) };
        }
    }
    rows_mul_avx2_or_generic(a, inner, b, cols, out)
}

/// Output columns per panel of the AVX-512 row product (six registers)...
#[cfg(target_arch = "x86_64")]
const ROW_MUL_PANEL: usize = 48;
/// ...for this many rows at once (24 accumulators; each row of `b` loaded once per group).
#[cfg(target_arch = "x86_64")]
const ROW_MUL_ROWS: usize = 4;

/// [`rows_mul_generic`] register-blocked: four rows × 48 output columns stay in registers
/// while the rows of `b` stream by, each of them loaded once for the four rows.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn rows_mul_avx512(
    a: &[f64],
    inner: usize,
    b: &[f64],
    cols: usize,
    out: &mut [f64],
) {
    let mut quads = out.chunks_exact_mut(ROW_MUL_ROWS * cols);
    let mut a_quads = a.chunks_exact(ROW_MUL_ROWS * inner);
    for (o, arows) in quads.by_ref().zip(a_quads.by_ref()) {
        row_mul_panels::<ROW_MUL_ROWS>(arows, inner, b, cols, o);
    }
    let rest = quads.into_remainder();
    for (o, arow) in rest
        .chunks_exact_mut(cols)
        .zip(a_quads.remainder().chunks_exact(inner))
    {
        row_mul_panels::<1>(arow, inner, b, cols, o);
    }
}

/// All column panels of `MR` consecutive output rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn row_mul_panels<const MR: usize>(
    a: &[f64],
    inner: usize,
    b: &[f64],
    cols: usize,
    out: &mut [f64],
) {
    let mut p0 = 0;
    while p0 < cols {
        let w = (cols - p0).min(ROW_MUL_PANEL);
        match w.div_ceil(8) {
            1 => row_mul_panel::<MR, 1>(a, inner, b, cols, p0, w, out),
            2 => row_mul_panel::<MR, 2>(a, inner, b, cols, p0, w, out),
            3 => row_mul_panel::<MR, 3>(a, inner, b, cols, p0, w, out),
            4 => row_mul_panel::<MR, 4>(a, inner, b, cols, p0, w, out),
            5 => row_mul_panel::<MR, 5>(a, inner, b, cols, p0, w, out),
            _ => row_mul_panel::<MR, 6>(a, inner, b, cols, p0, w, out),
        }
        p0 += w;
    }
}

/// Columns `p0..p0 + w` (`w ≤ 8R`) of `MR` output rows (`out`: `MR × cols`, `a`:
/// `MR × inner`); register `q` covers the panel columns `8q..8q + 8`, masked to those that
/// exist.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn row_mul_panel<const MR: usize, const R: usize>(
    a: &[f64],
    inner: usize,
    b: &[f64],
    cols: usize,
    p0: usize,
    w: usize,
    out: &mut [f64],
) {
    use std::arch::x86_64::*;
    let masks: [__mmask8; R] = std::array::from_fn(|q| {
        let lanes = w.saturating_sub(8 * q).min(8);
        ((1u16 << lanes) - 1) as u8
    });
    let a_rows: [&[f64]; MR] = std::array::from_fn(|r| &a[r * inner..(r + 1) * inner]);
    let mut acc = [[_mm512_setzero_pd(); R]; MR];
    for t in 0..inner {
        let start = t * cols + p0;
        let brow = &b[start..start + w];
        // SAFETY (all loads): the mask keeps each load to lanes `8q..min(8q + 8, w)` of
        // `brow` (masked-off lanes are not accessed).
        let x: [__m512d; R] = std::array::from_fn(|q| unsafe {
            _mm512_maskz_loadu_pd(masks[q], brow.as_ptr().wrapping_add(8 * q))
        });
        for (acc_r, a_row) in acc.iter_mut().zip(&a_rows) {
            let va = _mm512_set1_pd(a_row[t]);
            for (acc, &x) in acc_r.iter_mut().zip(&x) {
                *acc = _mm512_add_pd(*acc, _mm512_mul_pd(va, x));
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let orow = &mut out[r * cols + p0..r * cols + p0 + w];
        for ((acc, &mask), q) in acc_r.iter().zip(&masks).zip(0..) {
            // SAFETY: as for the loads, on `orow`.
            unsafe { _mm512_mask_storeu_pd(orow.as_mut_ptr().wrapping_add(8 * q), mask, *acc) };
        }
    }
}

/// Upper triangle of `blockᵀ·block`.
#[inline(always)]
pub(super) fn gram_block_generic(block: &[f64], l: usize) -> Vec<f64> {
    let mut g = vec![0.0; l * l];
    // Four rows at a time: four updates per load/store of the Gram entry.
    let mut quads = block.chunks_exact(4 * l);
    for quad in quads.by_ref() {
        let (y0, rest) = quad.split_at(l);
        let (y1, rest) = rest.split_at(l);
        let (y2, y3) = rest.split_at(l);
        for a in 0..l {
            let (a0, a1, a2, a3) = (y0[a], y1[a], y2[a], y3[a]);
            let grow = &mut g[a * l + a..(a + 1) * l];
            for (((gv, &b0), (&b1, &b2)), &b3) in grow
                .iter_mut()
                .zip(&y0[a..])
                .zip(y1[a..].iter().zip(&y2[a..]))
                .zip(&y3[a..])
            {
                *gv += a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3;
            }
        }
    }
    for row in quads.remainder().chunks_exact(l) {
        for a in 0..l {
            let ya = row[a];
            for (gv, &yb) in g[a * l + a..(a + 1) * l].iter_mut().zip(&row[a..]) {
                *gv += ya * yb;
            }
        }
    }
    g
}

simd_dispatch! {
    /// [`gram_block_generic`], AVX2 when available.
    pub(super) fn gram_block => gram_block_generic(block: &[f64], l: usize) -> Vec<f64>
}
