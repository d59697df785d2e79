//! Matrix products `C = A · B (+ bias)` for the native encoder, with `B` packed once.
//!
//! Why our own: candle's CPU matmul (the `gemm` crate) runs its AVX2 kernels unless a
//! crate feature switches on AVX-512, has no bf16 dot-product kernel (candle 0.11 widens bf16
//! to f32), and needs padded, equally long sequences. A BERT encoder spends ~90 % of its time
//! in a handful of products with fixed weights, so a small, specialised kernel pays:
//!
//! * **Layout.** `B` is packed once into panels of [`NR`] = 32 columns, k-major (32
//!   contiguous values per `k`), zero-padded to whole panels, in 64-byte aligned memory (a
//!   panel row is two whole cache lines). Per depth block, the rows of `A` are packed into
//!   micro-panels of [`MR`] = 12 rows, k-major (in bf16, converted to bf16 pairs on the way).
//! * **Micro-kernel.** 12 × 32 outputs in 24 AVX-512 accumulators; per `k`: two loads of `B`,
//!   12 broadcasts of `A`, 24 fused multiply-adds. In bf16 ([`Packed::Bf16`]) the kernel
//!   takes `k` in pairs with `vdpbf16ps` (AVX512-BF16): twice the multiply-adds per
//!   instruction, f32 accumulation — a gain only where `vdpbf16ps` issues as fast as an FMA
//!   (AMD Zen 4/5), so [`fast_format`] measures it first. Where it is slow and the CPU has
//!   AVX512-FP16 (Intel Sapphire Rapids and later), the fast mode runs fp16 instead
//!   ([`Packed::F16`]: `vfmadd231ph`, 32 multiply-adds per instruction, summed in fp16 over
//!   chunks of [`F16_CHUNK`] values of `k`, then in f32). AVX2 + FMA CPUs run the f32 tile as
//!   6 × 16 sub-tiles of 8-float vectors.
//! * **Blocking** (GotoBLAS order): rows in blocks of [`MC`], depth in blocks of [`KC`] (a
//!   packed `B` slice of 32 × 256 f32 = 32 KiB and 12 rows × 256 of `A` = 12 KiB stay in
//!   the 48 KiB L1), all panels of `B` per row block. Row blocks run in parallel (rayon).
//!   A tile of fewer than 12 rows runs the same kernel instantiated for its row count.
//! * **Determinism.** Every output element is `init`, then one fused multiply-add per `k` in
//!   increasing `k` (pairs of `k` in bf16), whatever the block, thread, tile or kernel family
//!   it falls in: edge tiles run the same kernel (on a copy of C where columns run out). So a
//!   row's result depends only on that row and `B`: it is bit-identical for any thread count,
//!   any batch composition, any number of rows, and with AVX-512, AVX2 or portable code.
//! * **Choice.** [`kernel`]: AVX-512 where the CPU has it, else AVX2 + FMA, else portable
//!   (`f32::mul_add`; NEON on aarch64, where it is the baseline);
//!   `RHETOR_KERNEL=amx|avx512|avx2|portable` forces one ([`crate::cpu`]).
//!   The fast mode needs AVX512-BF16 with a measured gain, or AVX512-FP16
//!   ([`fast_format`]); [`kernel_name`] says which ran.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::cpu::Kernel;

/// Columns of `B` per packed panel.
pub(crate) const NR: usize = 32;
/// Rows of `A` per micro-tile.
pub(crate) const MR: usize = 12;
/// Rows of `A` per block (a multiple of [`MR`]); the unit of parallel work.
pub(crate) const MC: usize = 72;
/// Depth per block (even, for bf16 pairs).
pub(crate) const KC: usize = 256;

/// The kernel family the products run ([`crate::cpu::kernel`]: the CPU's widest, or the one
/// `RHETOR_KERNEL` forces).
pub(crate) fn kernel() -> Kernel {
    crate::cpu::kernel()
}

/// Whether this CPU runs the AVX-512 f32 kernel.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx512_supported() -> bool {
    crate::cpu::avx512f()
}

/// Whether the AVX2 + FMA code paths may run (the CPU has them and `RHETOR_KERNEL` allows).
#[cfg(target_arch = "x86_64")]
pub(crate) fn fma_supported() -> bool {
    crate::cpu::avx2_fma()
}

/// Whether this CPU has the AVX512-BF16 dot product (`vdpbf16ps`), whatever its speed.
pub(crate) fn bf16_available() -> bool {
    crate::cpu::avx512bf16()
}

/// Whether this CPU has AVX512-FP16 (`vfmadd231ph`: 32 half-precision multiply-adds per
/// instruction at the f32 FMA's rate), and `RHETOR_KERNEL` allows AVX-512.
pub(crate) fn fp16_available() -> bool {
    crate::cpu::avx512fp16()
}

/// The reduced-precision format of the fast mode ([`super::super::Precision::Bf16`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// f32 weights and products.
    F32,
    /// bf16 weights and activations, `vdpbf16ps`, f32 accumulation.
    Bf16,
    /// fp16 weights and activations, `vfmadd231ph` over [`F16_CHUNK`] values of `k` in fp16,
    /// each chunk's sums then added to f32 accumulators.
    F16,
    /// bf16 weights and activations on AMX tiles (`tdpbf16ps`), f32 sums ([`crate::amx`]).
    Amx,
}

/// The fast mode's format on this CPU, or `None` (the caller then runs f32):
///
/// * bf16 where the CPU has AVX512-BF16 and its `vdpbf16ps` measured faster per multiply-add
///   than f32 FMAs ([`bf16_speedup`] ≥ 1.25): AMD Zen 4/5;
/// * else fp16 where the CPU has AVX512-FP16: Intel Sapphire/Emerald/Granite Rapids, whose
///   `vdpbf16ps` issues about once per 2.4 cycles against two f32 FMAs (or two `vfmadd231ph`)
///   per cycle, so bf16 products there run at ~0.5× the f32 rate and fp16 ones at ~1.5×
///   (measured on an Emerald Rapids, one thread, L1-resident tiles: f32 170 GFLOP/s,
///   `vdpbf16ps` 80-87, fp16 in chunks of 32: 260).
///
/// The choice is made once per process; bf16's calibration margin is wide (0.45 on Emerald
/// Rapids, about 2 on AMD), so it does not flip from run to run.
///
/// Where AMX runs ([`crate::amx::available`]), a product of the encoder's shape (256 rows,
/// 384 × 1,536) is timed on the tiles and in the format above (f32 without one); AMX is
/// chosen when faster (on a Sapphire Rapids-class Xeon, 2 vCPUs: about 5× fp16).
pub(crate) fn fast_format() -> Option<Format> {
    static F: OnceLock<Option<Format>> = OnceLock::new();
    *F.get_or_init(|| {
        let vector = if bf16_available() && bf16_speedup() >= 1.25 {
            Some(Format::Bf16)
        } else if fp16_available() {
            Some(Format::F16)
        } else {
            None
        };
        if crate::amx::available() && amx_speedup(vector.unwrap_or(Format::F32)) > 1.0 {
            Some(Format::Amx)
        } else {
            vector
        }
    })
}

/// Time of a 256 × 384 by 384 × 1,536 product (MiniLM's feed-forward) in `other` over the
/// same on AMX tiles: the best of 5 interleaved trials, one thread.
fn amx_speedup(other: Format) -> f64 {
    let (m, k, n) = (256, 384, 1536);
    let a: Vec<f32> = (0..m * k).map(|i| ((i % 17) as f32 - 8.0) / 16.0).collect();
    let w: Vec<f32> = (0..n * k).map(|i| ((i % 13) as f32 - 6.0) / 64.0).collect();
    let (fast, slow) = (
        Packed::from_rows(&w, n, k, k, Format::Amx),
        Packed::from_rows(&w, n, k, k, other),
    );
    let mut c = vec![0.0f32; m * n];
    let mut time = |b: &Packed| {
        let t = std::time::Instant::now();
        gemm(&a, k, m, b, &mut c, n, None, false);
        t.elapsed().as_secs_f64()
    };
    let (mut t_amx, mut t_other) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..5 {
        t_amx = t_amx.min(time(&fast));
        t_other = t_other.min(time(&slow));
    }
    let s = t_other / t_amx.max(1e-12);
    tracing::debug!("AMX bf16 product {s:.2}x the {other:?} one");
    s
}

/// Whether the fast mode ([`super::super::Precision::Bf16`]) runs here ([`fast_format`]).
pub fn bf16_supported() -> bool {
    fast_format().is_some()
}

/// Multiply-adds per second of the bf16 micro-kernel over the f32 one on this CPU, measured
/// once (a 12 × 32 tile, depth 256, a few hundred microseconds; the best of several
/// interleaved trials). 0 without AVX512-BF16.
pub(crate) fn bf16_speedup() -> f64 {
    static S: OnceLock<f64> = OnceLock::new();
    *S.get_or_init(|| {
        if !bf16_available() {
            return 0.0;
        }
        #[cfg(target_arch = "x86_64")]
        {
            calibrate_bf16()
        }
        #[cfg(not(target_arch = "x86_64"))]
        0.0
    })
}

#[cfg(target_arch = "x86_64")]
fn calibrate_bf16() -> f64 {
    let kc = KC;
    let a = Aligned::<f32>::zeroed(kc * MR);
    let b = Aligned::<f32>::zeroed(kc * NR);
    let ab = Aligned::<u32>::zeroed(kc / 2 * MR);
    let bb = Aligned::<u32>::zeroed(kc / 2 * NR);
    let mut c = Aligned::<f32>::zeroed(MR * NR);
    let reps = 40;
    let (mut f32_best, mut bf16_best) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..7 {
        let t = std::time::Instant::now();
        for _ in 0..reps {
            // SAFETY: AVX512-BF16 (and so AVX-512F) is present; every buffer holds a whole
            // 12 × 32 tile of depth `kc`.
            unsafe {
                kernel_f32_avx512::<MR>(
                    kc,
                    a.as_slice().as_ptr(),
                    kc,
                    b.as_slice().as_ptr(),
                    c.as_mut_slice().as_mut_ptr(),
                    NR,
                )
            };
        }
        f32_best = f32_best.min(t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        for _ in 0..reps {
            // SAFETY: as above.
            unsafe {
                kernel_bf16_avx512::<MR>(
                    kc / 2,
                    ab.as_slice().as_ptr(),
                    kc / 2,
                    bb.as_slice().as_ptr(),
                    c.as_mut_slice().as_mut_ptr(),
                    NR,
                )
            };
        }
        bf16_best = bf16_best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(c.as_slice());
    f32_best / bf16_best.max(1e-12)
}

/// Name of the product kernel that runs for the fast mode (`fast`) or f32: `avx512-f32`,
/// `amx-bf16`, `avx512-bf16`, `avx512-fp16`, `avx2-f32`, `portable-f32` (`neon-f32` on aarch64).
pub fn kernel_name(fast: bool) -> &'static str {
    match (kernel(), fast.then(fast_format).flatten()) {
        (_, Some(Format::Amx)) => "amx-bf16",
        (Kernel::Avx512 | Kernel::Amx, Some(Format::Bf16)) => "avx512-bf16",
        (Kernel::Avx512 | Kernel::Amx, Some(Format::F16)) => "avx512-fp16",
        (Kernel::Avx512 | Kernel::Amx, _) => "avx512-f32",
        (Kernel::Avx2, _) => "avx2-f32",
        (Kernel::Portable, _) if cfg!(target_arch = "aarch64") => "neon-f32",
        (Kernel::Portable, _) => "portable-f32",
    }
}

/// Depth of the fp16 chunks: each output sums at most this many products in fp16 before
/// they join its f32 sum (a longer chunk is faster and less accurate).
pub(crate) const F16_CHUNK: usize = 32;

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

/// One cache line (and one AVX-512 vector) of 4-byte values.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u32; 16]);

/// A 4-byte plain value type whose every bit pattern is valid (f32, u32).
pub(crate) trait Word: Copy + Default + 'static {}
impl Word for f32 {}
impl Word for u32 {}

/// `len` values in a 64-byte aligned, zero-initialised buffer.
///
/// A `Vec<f32>` is only 4-byte aligned (glibc's large blocks start 16 bytes past a page), so
/// each 64-byte vector load of a packed panel would straddle two cache lines.
pub(crate) struct Aligned<T: Word> {
    lines: Vec<Line>,
    len: usize,
    _t: PhantomData<T>,
}

impl<T: Word> Aligned<T> {
    const CHECK: () = assert!(std::mem::size_of::<T>() == 4 && std::mem::align_of::<T>() <= 64);

    /// `len` zeros.
    pub(crate) fn zeroed(len: usize) -> Self {
        let () = Self::CHECK;
        Self {
            lines: vec![Line([0; 16]); len.div_ceil(16)],
            len,
            _t: PhantomData,
        }
    }

    /// The values.
    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: `lines` holds at least `len` 4-byte values (16 per line), suitably aligned;
        // T is a 4-byte type for which every bit pattern is valid (CHECK and `Word`).
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<T>(), self.len) }
    }

    /// The values, writable.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, with unique access through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<T>(), self.len) }
    }
}

/// `B` (k × n) packed into panels of [`NR`] columns (64-byte aligned: a panel row is two
/// cache lines).
pub(crate) enum Packed {
    /// f32: panel `p` holds, for each `kk`, `B[kk][p·NR .. p·NR + NR]`.
    F32 {
        /// Columns.
        n: usize,
        /// Depth.
        k: usize,
        /// The panels.
        data: Aligned<f32>,
    },
    /// fp16: panel `p` holds, for each `kk`, `B[kk][p·NR .. p·NR + NR]` in fp16 bits, two
    /// per `u32` (low half = even column).
    F16 {
        /// Columns.
        n: usize,
        /// Depth.
        k: usize,
        /// The panels.
        data: Aligned<u32>,
    },
    /// bf16: panel `p` holds, for each pair `kk = 2q, 2q+1`, the 32 pairs
    /// `(B[2q][j], B[2q+1][j])` as `u32` (low half = even `k`); `k` padded to even.
    Bf16 {
        /// Columns.
        n: usize,
        /// Depth.
        k: usize,
        /// The panels.
        data: Aligned<u32>,
    },
    /// bf16 for AMX ([`crate::amx`]): as [`Packed::Bf16`], with the pairs of `k` padded by
    /// zeros to `kp`, a multiple of 16 (one tile's depth).
    Amx {
        /// Columns.
        n: usize,
        /// Depth.
        k: usize,
        /// Pairs of depth per panel (a multiple of 16).
        kp: usize,
        /// The panels.
        data: Aligned<u32>,
    },
}

impl Packed {
    /// Packs `B = Wᵀ` from `W` (n × k, row `j` at `w[j·ldw ..][..k]`: the layout of a
    /// PyTorch `Linear` weight, out × in), in `format` (values rounded to nearest even).
    pub(crate) fn from_rows(w: &[f32], n: usize, k: usize, ldw: usize, format: Format) -> Self {
        if format != Format::F32 {
            return Self::pack(n, k, format, |kk, j| w[j * ldw + kk]);
        }
        // Row by row: contiguous reads, writes within one panel (attention packs the keys
        // of every head of every sequence this way; the generic element-by-element packing
        // was 5% of the fast mode's time).
        let panels = n.div_ceil(NR);
        let mut buf = Aligned::<f32>::zeroed(panels * k * NR);
        let data = buf.as_mut_slice();
        for j in 0..n {
            let panel = &mut data[(j / NR) * k * NR + j % NR..];
            for (kk, &v) in w[j * ldw..][..k].iter().enumerate() {
                panel[kk * NR] = v;
            }
        }
        Packed::F32 { n, k, data: buf }
    }

    /// Packs `B` given as k × n row-major (`B[kk][j] = b[kk·ldb + j]`), in f32.
    pub(crate) fn from_kn(b: &[f32], k: usize, n: usize, ldb: usize) -> Self {
        // Rows of B are already panel rows: copy them (attention packs V this way for
        // every head of every sequence, so this is kept to slice copies).
        let panels = n.div_ceil(NR);
        let mut buf = Aligned::<f32>::zeroed(panels * k * NR);
        let data = buf.as_mut_slice();
        for p in 0..panels {
            let cols = NR.min(n - p * NR);
            let panel = &mut data[p * k * NR..(p + 1) * k * NR];
            for (kk, dst) in panel.chunks_exact_mut(NR).enumerate() {
                let src = &b[kk * ldb + p * NR..][..cols];
                dst[..cols].copy_from_slice(src);
            }
        }
        Packed::F32 { n, k, data: buf }
    }

    /// As [`Packed::from_rows`] in [`Format::Amx`], row by row (attention packs each head's
    /// keys this way in the fast mode).
    pub(crate) fn amx_from_rows(w: &[f32], n: usize, k: usize, ldw: usize) -> Self {
        let (kp, half) = (k.div_ceil(32) * 16, k.div_ceil(2));
        let mut buf = Aligned::<u32>::zeroed(n.div_ceil(NR) * kp * NR);
        let data = buf.as_mut_slice();
        let mut pairs = vec![0u32; half];
        for j in 0..n {
            to_bf16_pairs(&w[j * ldw..][..k], &mut pairs);
            let panel = &mut data[(j / NR) * kp * NR + j % NR..];
            for (q, &v) in pairs.iter().enumerate() {
                panel[q * NR] = v;
            }
        }
        Packed::Amx {
            n,
            k,
            kp,
            data: buf,
        }
    }

    /// `B` given as k × n row-major (as [`Packed::from_kn`]) in [`Format::Amx`] (attention's
    /// values in the fast mode).
    pub(crate) fn amx_from_kn(b: &[f32], k: usize, n: usize, ldb: usize) -> Self {
        let kp = k.div_ceil(32) * 16;
        let mut buf = Aligned::<u32>::zeroed(n.div_ceil(NR) * kp * NR);
        let data = buf.as_mut_slice();
        for q in 0..k.div_ceil(2) {
            let lo = &b[2 * q * ldb..][..n];
            let hi = (2 * q + 1 < k).then(|| &b[(2 * q + 1) * ldb..][..n]);
            for j in 0..n {
                let h = hi.map_or(0, |r| bf16_bits(r[j]));
                data[(j / NR) * kp * NR + q * NR + j % NR] =
                    u32::from(bf16_bits(lo[j])) | (u32::from(h) << 16);
            }
        }
        Packed::Amx {
            n,
            k,
            kp,
            data: buf,
        }
    }

    fn pack(n: usize, k: usize, format: Format, at: impl Fn(usize, usize) -> f32) -> Self {
        let panels = n.div_ceil(NR);
        if format == Format::F16 {
            let mut buf = Aligned::<u32>::zeroed(panels * k * NR / 2);
            let data = buf.as_mut_slice();
            for p in 0..panels {
                for kk in 0..k {
                    let row = &mut data[(p * k + kk) * NR / 2..][..NR / 2];
                    for (w, word) in row.iter_mut().enumerate() {
                        let half = |c: usize| {
                            let j = p * NR + c;
                            if j < n {
                                u32::from(half::f16::from_f32(at(kk, j)).to_bits())
                            } else {
                                0
                            }
                        };
                        *word = half(2 * w) | (half(2 * w + 1) << 16);
                    }
                }
            }
            Packed::F16 { n, k, data: buf }
        } else if format == Format::Bf16 || format == Format::Amx {
            let kp = if format == Format::Amx {
                k.div_ceil(32) * 16
            } else {
                k.div_ceil(2)
            };
            let mut buf = Aligned::<u32>::zeroed(panels * kp * NR);
            let data = buf.as_mut_slice();
            for p in 0..panels {
                let panel = &mut data[p * kp * NR..(p + 1) * kp * NR];
                for q in 0..kp {
                    for c in 0..NR {
                        let j = p * NR + c;
                        if j >= n {
                            continue;
                        }
                        if 2 * q >= k {
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
            if format == Format::Amx {
                Packed::Amx {
                    n,
                    k,
                    kp,
                    data: buf,
                }
            } else {
                Packed::Bf16 { n, k, data: buf }
            }
        } else {
            let mut buf = Aligned::<f32>::zeroed(panels * k * NR);
            let data = buf.as_mut_slice();
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
            Packed::F32 { n, k, data: buf }
        }
    }

    /// Columns of `B`.
    pub(crate) fn n(&self) -> usize {
        match self {
            Packed::F32 { n, .. }
            | Packed::F16 { n, .. }
            | Packed::Bf16 { n, .. }
            | Packed::Amx { n, .. } => *n,
        }
    }

    /// Rows of `B` (the shared dimension).
    pub(crate) fn k(&self) -> usize {
        match self {
            Packed::F32 { k, .. }
            | Packed::F16 { k, .. }
            | Packed::Bf16 { k, .. }
            | Packed::Amx { k, .. } => *k,
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
    if let Packed::Amx { kp, data, .. } = b {
        let data = (n, k, *kp, data.as_slice());
        return crate::amx::gemm(a, lda, m, data, c, ldc, bias, parallel);
    }
    let kern = kernel();
    by_row_blocks(c, ldc, m, n, MC, parallel, |i0, rows, c_rows| {
        row_block(&a[i0 * lda..], lda, rows, b, c_rows, ldc, bias, kern)
    });
}

/// Runs `block(i0, rows, c_rows)` on each block of `mc` rows of C (`m` rows of `n` values at
/// stride `ldc`): rows `i0..i0 + rows`, `c_rows` starting at row `i0`; blocks in parallel when
/// `parallel` and there are several. Each block owns its rows; the last one may be shorter
/// and need not extend to a whole `ldc` (C may end right after the last valid column).
pub(crate) fn by_row_blocks(
    c: &mut [f32],
    ldc: usize,
    m: usize,
    n: usize,
    mc: usize,
    parallel: bool,
    block: impl Fn(usize, usize, &mut [f32]) + Send + Sync,
) {
    let run = |(blk, c_rows): (usize, &mut [f32])| {
        let i0 = blk * mc;
        block(i0, mc.min(m - i0), c_rows)
    };
    let c = &mut c[..(m - 1) * ldc + n];
    if parallel && m > mc {
        c.par_chunks_mut(mc * ldc).enumerate().for_each(run);
    } else {
        c.chunks_mut(mc * ldc).enumerate().for_each(run);
    }
}

thread_local! {
    /// Each thread's block of A in bf16 pairs, reused from call to call.
    static PACK_BF16: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    /// Each thread's packed block of A in fp16, and a row in fp16.
    static PACK_F16: RefCell<(Vec<u16>, Vec<u16>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Packs rows `0..rows` × depth `k0..k0+kc` of A (row `i` at `a[i·lda]`) into fp16
/// micro-panels of [`MR`] rows (round to nearest even): tile `t` holds, for each `kk`, the 12
/// values `A[t·MR + r][k0 + kk]` contiguously (zero past `rows`), so that the fp16 kernel
/// broadcasts them from one pointer at fixed offsets.
fn pack_a_f16(
    a: &[f32],
    lda: usize,
    rows: usize,
    k0: usize,
    kc: usize,
    row: &mut Vec<u16>,
    out: &mut [u16],
) {
    row.resize(kc, 0);
    for t in 0..rows.div_ceil(MR) {
        let dst = &mut out[t * kc * MR..(t + 1) * kc * MR];
        let mr = MR.min(rows - t * MR);
        for r in 0..mr {
            to_f16(&a[(t * MR + r) * lda + k0..][..kc], row);
            for (kk, &v) in row.iter().enumerate() {
                dst[kk * MR + r] = v;
            }
        }
        for r in mr..MR {
            for kk in 0..kc {
                dst[kk * MR + r] = 0;
            }
        }
    }
}

/// `row` in fp16 bits (round to nearest even, as `half::f16::from_f32`).
fn to_f16(row: &[f32], out: &mut [u16]) {
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if avx512_supported() {
        // SAFETY: AVX-512F is present.
        done = unsafe { to_f16_avx512(row, out) };
    }
    for (o, &v) in out[done..].iter_mut().zip(&row[done..]) {
        *o = half::f16::from_f32(v).to_bits();
    }
}

/// Converts the first multiple of 16 values of `row` to fp16 bits; returns how many.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn to_f16_avx512(row: &[f32], out: &mut [u16]) -> usize {
    use std::arch::x86_64::*;
    let n = row.len() / 16 * 16;
    for i in (0..n).step_by(16) {
        let v = _mm512_loadu_ps(row.as_ptr().add(i));
        let h = _mm512_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(v);
        _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, h);
    }
    n
}

/// One block of at most [`MC`] rows: depth in blocks of [`KC`]; per depth block, A packed
/// once, then every panel of `B` against every micro-tile.
#[allow(clippy::too_many_arguments)]
fn row_block(
    a: &[f32],
    lda: usize,
    rows: usize,
    b: &Packed,
    c: &mut [f32],
    ldc: usize,
    bias: Option<&[f32]>,
    kern: Kernel,
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
    let tiles = rows.div_ceil(MR);
    let mut edge = [0.0f32; MR * NR];
    match b {
        Packed::F32 { data, .. } => {
            // A is read in place: packing it into micro-panels (tried) cost 12 % of the
            // encoder's time (attention's products use each block for one or a few panels)
            // and gained nothing measurable.
            let data = data.as_slice();
            for k0 in (0..k).step_by(KC) {
                let kc = KC.min(k - k0);
                for p in 0..panels {
                    let bpanel = &data[(p * k + k0) * NR..(p * k + k0 + kc) * NR];
                    for t in 0..tiles {
                        let i0 = t * MR;
                        let mr = MR.min(rows - i0);
                        let at = &a[i0 * lda + k0..];
                        tile(c, ldc, i0, mr, n, p, &mut edge, |cp, ld| {
                            kernel_f32(mr, kc, at, lda, bpanel, cp, ld, kern)
                        });
                    }
                }
            }
        }
        Packed::F16 { data, .. } => PACK_F16.with(|buf| {
            let mut buf = buf.borrow_mut();
            let (ap, row) = &mut *buf;
            ap.resize(tiles * KC.min(k) * MR, 0);
            let data = data.as_slice();
            for k0 in (0..k).step_by(KC) {
                let kc = KC.min(k - k0);
                pack_a_f16(a, lda, rows, k0, kc, row, ap);
                for p in 0..panels {
                    let bpanel = &data[(p * k + k0) * NR / 2..(p * k + k0 + kc) * NR / 2];
                    for t in 0..tiles {
                        let i0 = t * MR;
                        let at = &ap[t * kc * MR..(t + 1) * kc * MR];
                        // The kernel always runs 12 rows (A is zero-padded): a short tile runs
                        // on the copy.
                        let mr = MR.min(rows - i0);
                        tile(c, ldc, i0, mr, n, p, &mut edge, |cp, ld| {
                            if mr == MR {
                                kernel_f16(kc, at, bpanel, cp, ld)
                            } else {
                                let mut full = [0.0f32; MR * NR];
                                for i in 0..mr {
                                    full[i * NR..(i + 1) * NR]
                                        .copy_from_slice(&cp[i * ld..i * ld + NR]);
                                }
                                kernel_f16(kc, at, bpanel, &mut full, NR);
                                for i in 0..mr {
                                    cp[i * ld..i * ld + NR]
                                        .copy_from_slice(&full[i * NR..(i + 1) * NR]);
                                }
                            }
                        });
                    }
                }
            }
        }),
        Packed::Bf16 { data, .. } => PACK_BF16.with(|buf| {
            let kp_all = k.div_ceil(2);
            // The block's rows in bf16 pairs, converted once (vectorised).
            let mut abf = buf.borrow_mut();
            abf.resize(rows * kp_all, 0);
            for (i, out) in abf.chunks_exact_mut(kp_all).enumerate() {
                to_bf16_pairs(&a[i * lda..i * lda + k], out);
            }
            let data = data.as_slice();
            for k0 in (0..k).step_by(KC) {
                let kp = KC.min(k - k0).div_ceil(2);
                let q0 = k0 / 2;
                for p in 0..panels {
                    let bpanel = &data[(p * kp_all + q0) * NR..(p * kp_all + q0 + kp) * NR];
                    for t in 0..tiles {
                        let i0 = t * MR;
                        let mr = MR.min(rows - i0);
                        let at = &abf[i0 * kp_all + q0..];
                        tile(c, ldc, i0, mr, n, p, &mut edge, |cp, ld| {
                            kernel_bf16(mr, kp, at, kp_all, bpanel, cp, ld)
                        });
                    }
                }
            }
        }),
        Packed::Amx { .. } => unreachable!("gemm hands AMX panels to crate::amx"),
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
pub(crate) fn to_bf16_pairs(row: &[f32], out: &mut [u32]) {
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if bf16_available() {
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

/// Runs an `mr × 32` tile as sub-tiles of up to 6 rows × 16 columns: `$sub::<R>(kc, a, lda,
/// b, c, ldc)` on each (the AVX2 and NEON kernels' shape).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
macro_rules! by_subtiles {
    ($sub:ident, $mr:expr, $kc:expr, $a:expr, $lda:expr, $b:expr, $c:expr, $ldc:expr) => {
        for c0 in [0, 16] {
            let mut r0 = 0;
            while r0 < $mr {
                let rr = 6.min($mr - r0);
                let (ar, br, cr) = ($a.add(r0 * $lda), $b.add(c0), $c.add(r0 * $ldc + c0));
                match rr {
                    6 => $sub::<6>($kc, ar, $lda, br, cr, $ldc),
                    5 => $sub::<5>($kc, ar, $lda, br, cr, $ldc),
                    4 => $sub::<4>($kc, ar, $lda, br, cr, $ldc),
                    3 => $sub::<3>($kc, ar, $lda, br, cr, $ldc),
                    2 => $sub::<2>($kc, ar, $lda, br, cr, $ldc),
                    _ => $sub::<1>($kc, ar, $lda, br, cr, $ldc),
                }
                r0 += rr;
            }
        }
    };
}

/// Calls `$f::<R>(args)` for the row count `$mr` (1..=12) known only at run time.
#[cfg(target_arch = "x86_64")]
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

/// `C[0..mr][0..NR] += A[0..mr][0..kc] · Bpanel` (f32); row `r` of A starts at `a[r·lda]`;
/// with the kernel family `kern`. All three families do the same fused multiply-adds in the
/// same order: same bits.
#[allow(clippy::too_many_arguments)]
fn kernel_f32(
    mr: usize,
    kc: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    ldc: usize,
    kern: Kernel,
) {
    assert!((1..=MR).contains(&mr) && a.len() >= (mr - 1) * lda + kc && b.len() >= kc * NR);
    assert!(c.len() >= (mr - 1) * ldc + NR);
    #[cfg(target_arch = "x86_64")]
    {
        let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        match kern {
            Kernel::Avx512 | Kernel::Amx => {
                // SAFETY: AVX-512F is present ([`crate::cpu`] only reports kernels the CPU
                // runs); the lengths are asserted above.
                unsafe { by_rows!(mr, kernel_f32_avx512, kc, ap, lda, bp, cp, ldc) };
                return;
            }
            Kernel::Avx2 => {
                // SAFETY: AVX2 and FMA are present; the lengths are asserted above.
                unsafe { kernel_f32_avx2(mr, kc, ap, lda, bp, cp, ldc) };
                return;
            }
            Kernel::Portable => {}
        }
    }
    let _ = kern;
    // NEON is part of every aarch64 CPU (the baseline, like SSE2 on x86-64), so it is the
    // portable family's kernel there.
    #[cfg(target_arch = "aarch64")]
    // SAFETY: NEON is present on aarch64; the lengths are asserted above.
    unsafe {
        kernel_f32_neon(mr, kc, a.as_ptr(), lda, b.as_ptr(), c.as_mut_ptr(), ldc)
    };
    #[cfg(not(target_arch = "aarch64"))]
    kernel_f32_portable(mr, kc, a, lda, b, c, ldc);
}

/// The NEON kernel (4 floats per vector): the `mr × 32` tile as sub-tiles of up to 6 rows ×
/// 16 columns (24 accumulators of the 32 vector registers, 4 loads of B and 6 scalar loads of
/// A per `k`).
///
/// Why not the portable code: compiled for aarch64 (release) it does become NEON (`fmla` by
/// element), but one row at a time, so each `k` loads 8 vectors of B for 8 `fmla`; this
/// kernel's inner loop does 24 `fmla` per 4 vector loads of B and 6 of A, accumulators in
/// registers (read off the assembly). Expected from that mix: about even on cores with two
/// 128-bit FMA pipes (Neoverse N1), up to ~1.3× on cores with four (Neoverse V1/V2), where
/// the portable loop is load-bound. Not timed: no ARM machine here, and under qemu-user
/// speed means nothing; CI checks it there bit for bit against the portable code.
///
/// # Safety
/// Pointers as for [`kernel_f32`]'s slices.
#[cfg(target_arch = "aarch64")]
unsafe fn kernel_f32_neon(
    mr: usize,
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    by_subtiles!(kernel_f32_neon_sub, mr, kc, a, lda, b, c, ldc);
}

/// `R` (≤ 6) rows × 16 columns of [`kernel_f32_neon`]; `a` points at the sub-tile's first
/// row of A, `b` at its first column of the panel.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
unsafe fn kernel_f32_neon_sub<const R: usize>(
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    use std::arch::aarch64::*;
    let mut acc = [[vdupq_n_f32(0.0); 4]; R];
    for (r, row) in acc.iter_mut().enumerate() {
        for (v, x) in row.iter_mut().enumerate() {
            *x = vld1q_f32(c.add(r * ldc + 4 * v));
        }
    }
    for kk in 0..kc {
        let bp = b.add(kk * NR);
        let bv = [
            vld1q_f32(bp),
            vld1q_f32(bp.add(4)),
            vld1q_f32(bp.add(8)),
            vld1q_f32(bp.add(12)),
        ];
        for (r, row) in acc.iter_mut().enumerate() {
            let av = *a.add(r * lda + kk);
            for (x, &bq) in row.iter_mut().zip(&bv) {
                // acc + bq·av, one rounding: the portable kernel's `av.mul_add(bv, acc)`.
                *x = vfmaq_n_f32(*x, bq, av);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (v, &x) in row.iter().enumerate() {
            vst1q_f32(c.add(r * ldc + 4 * v), x);
        }
    }
}

/// The portable kernel: the same fused multiply-adds in the same order as the vector ones
/// (on aarch64 the reference the NEON kernel is tested against).
#[cfg_attr(target_arch = "aarch64", allow(dead_code))]
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

/// The AVX2 + FMA kernel (8 floats per vector): the `mr × 32` tile as sub-tiles of up to
/// 6 rows × 16 columns (12 accumulators, 2 loads of B and 6 broadcasts per `k`: BLIS's
/// Haswell shape).
///
/// # Safety
/// AVX2 and FMA; pointers as for [`kernel_f32`]'s slices.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_f32_avx2(
    mr: usize,
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    by_subtiles!(kernel_f32_avx2_sub, mr, kc, a, lda, b, c, ldc);
}

/// `R` (≤ 6) rows × 16 columns of [`kernel_f32_avx2`]; `a` points at the sub-tile's first
/// row of A, `b` at its first column of the panel.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_f32_avx2_sub<const R: usize>(
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    use std::arch::x86_64::*;
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    for (r, row) in acc.iter_mut().enumerate() {
        row[0] = _mm256_loadu_ps(c.add(r * ldc));
        row[1] = _mm256_loadu_ps(c.add(r * ldc + 8));
    }
    for kk in 0..kc {
        let b0 = _mm256_loadu_ps(b.add(kk * NR));
        let b1 = _mm256_loadu_ps(b.add(kk * NR + 8));
        for (r, row) in acc.iter_mut().enumerate() {
            let av = _mm256_broadcast_ss(&*a.add(r * lda + kk));
            row[0] = _mm256_fmadd_ps(av, b0, row[0]);
            row[1] = _mm256_fmadd_ps(av, b1, row[1]);
        }
    }
    for (r, row) in acc.iter().enumerate() {
        _mm256_storeu_ps(c.add(r * ldc), row[0]);
        _mm256_storeu_ps(c.add(r * ldc + 8), row[1]);
    }
}

/// `C[0..12][0..NR] += A · Bpanel` over depth `kc` in fp16 (A packed by [`pack_a_f16`], B
/// a [`Packed::F16`] panel, C's rows `ldc` apart): per chunk of [`F16_CHUNK`] values of `k`,
/// each output's products summed in fp16 (one rounding per fused multiply-add, increasing
/// `k`), then the chunk's sum added to C in f32.
fn kernel_f16(kc: usize, a: &[u16], b: &[u32], c: &mut [f32], ldc: usize) {
    assert!(a.len() >= kc * MR && b.len() >= kc * NR / 2 && c.len() >= (MR - 1) * ldc + NR);
    #[cfg(target_arch = "x86_64")]
    if fp16_available() {
        let (mut ap, mut bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let mut k0 = 0;
        while k0 < kc {
            let len = F16_CHUNK.min(kc - k0);
            // SAFETY: AVX512-FP16 is present; A holds `len` rows of 12 fp16 values from `ap`,
            // B `len` rows of 32 from `bp`, C 12 rows of 32 floats `ldc` apart (asserted).
            unsafe {
                kernel_f16_chunk(len, ap, bp, cp, ldc * 4);
                ap = ap.add(len * MR);
                bp = bp.add(len * NR / 2);
            }
            k0 += len;
        }
        return;
    }
    kernel_f16_portable(kc, a, b, c, ldc);
}

/// The reference for [`kernel_f16`] (and its fallback): each fused multiply-add computed
/// exactly in f64 and rounded once to fp16, as `vfmadd231ph` does.
fn kernel_f16_portable(kc: usize, a: &[u16], b: &[u32], c: &mut [f32], ldc: usize) {
    use half::f16;
    for r in 0..MR {
        for j in 0..NR {
            let mut k0 = 0;
            while k0 < kc {
                let len = F16_CHUNK.min(kc - k0);
                let mut h = f16::ZERO;
                for kk in k0..k0 + len {
                    let av = f16::from_bits(a[kk * MR + r]).to_f64();
                    let bv = f16::from_bits((b[kk * NR / 2 + j / 2] >> (16 * (j % 2))) as u16);
                    h = f16::from_f64(av.mul_add(bv.to_f64(), h.to_f64()));
                }
                c[r * ldc + j] += h.to_f32();
                k0 += len;
            }
        }
    }
}

/// One chunk of [`kernel_f16`] (`len` ≥ 1 values of `k`): the 12 × 32 sums in zmm0–zmm11 as
/// fp16, B's row in zmm12, A's values broadcast from memory; then each row converted to f32
/// in two halves and added to C (rows `ldc_bytes` apart). Written in `asm!` (the AVX512-FP16
/// intrinsics are not stable in Rust 1.89–1.95).
///
/// # Safety
/// AVX512-FP16; `a` points to `len·12` u16, `b` to `len·16` u32, `c` to 12 rows of 32 floats.
#[cfg(target_arch = "x86_64")]
unsafe fn kernel_f16_chunk(
    len: usize,
    a: *const u16,
    b: *const u32,
    c: *mut f32,
    ldc_bytes: usize,
) {
    std::arch::asm!(
            "vpxord zmm0, zmm0, zmm0",
            "vpxord zmm1, zmm1, zmm1",
            "vpxord zmm2, zmm2, zmm2",
            "vpxord zmm3, zmm3, zmm3",
            "vpxord zmm4, zmm4, zmm4",
            "vpxord zmm5, zmm5, zmm5",
            "vpxord zmm6, zmm6, zmm6",
            "vpxord zmm7, zmm7, zmm7",
            "vpxord zmm8, zmm8, zmm8",
            "vpxord zmm9, zmm9, zmm9",
            "vpxord zmm10, zmm10, zmm10",
            "vpxord zmm11, zmm11, zmm11",
            "2:",
            "vmovdqu32 zmm12, zmmword ptr [{b}]",
            "vfmadd231ph zmm0, zmm12, word ptr [{a}]{{1to32}}",
            "vfmadd231ph zmm1, zmm12, word ptr [{a} + 2]{{1to32}}",
            "vfmadd231ph zmm2, zmm12, word ptr [{a} + 4]{{1to32}}",
            "vfmadd231ph zmm3, zmm12, word ptr [{a} + 6]{{1to32}}",
            "vfmadd231ph zmm4, zmm12, word ptr [{a} + 8]{{1to32}}",
            "vfmadd231ph zmm5, zmm12, word ptr [{a} + 10]{{1to32}}",
            "vfmadd231ph zmm6, zmm12, word ptr [{a} + 12]{{1to32}}",
            "vfmadd231ph zmm7, zmm12, word ptr [{a} + 14]{{1to32}}",
            "vfmadd231ph zmm8, zmm12, word ptr [{a} + 16]{{1to32}}",
            "vfmadd231ph zmm9, zmm12, word ptr [{a} + 18]{{1to32}}",
            "vfmadd231ph zmm10, zmm12, word ptr [{a} + 20]{{1to32}}",
            "vfmadd231ph zmm11, zmm12, word ptr [{a} + 22]{{1to32}}",
            "add {a}, 24",
            "add {b}, 64",
            "dec {n}",
            "jnz 2b",
            "vcvtph2psx zmm13, ymm0",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm0, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm1",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm1, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm2",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm2, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm3",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm3, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm4",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm4, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm5",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm5, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm6",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm6, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm7",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm7, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm8",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm8, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm9",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm9, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm10",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm10, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
            "vcvtph2psx zmm13, ymm11",
            "vaddps zmm13, zmm13, zmmword ptr [{c}]",
            "vmovups zmmword ptr [{c}], zmm13",
            "vextracti64x4 ymm14, zmm11, 1",
            "vcvtph2psx zmm14, ymm14",
            "vaddps zmm14, zmm14, zmmword ptr [{c} + 64]",
            "vmovups zmmword ptr [{c} + 64], zmm14",
            "add {c}, {ldc}",
        a = inout(reg) a => _,
        b = inout(reg) b => _,
        n = inout(reg) len => _,
        c = inout(reg) c => _,
        ldc = in(reg) ldc_bytes,
        out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
        out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
        out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
        out("zmm12") _, out("zmm13") _, out("zmm14") _,
        options(nostack),
    );
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

/// The AVX-512 kernel: `R` rows × 32 columns in `2R` accumulators; per `k` two loads of B
/// (aligned: whole cache lines), `R` broadcasts of A, `2R` FMAs.
///
/// # Safety
/// AVX-512F; pointers as for [`kernel_f32`]'s slices.
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
/// of A (bf16 pairs) starts at `a[r·lda]`. Only called when a [`Packed::Bf16`] exists, which
/// the encoder builds only after [`fast_format`] chose it.
#[allow(clippy::too_many_arguments)]
fn kernel_bf16(mr: usize, kp: usize, a: &[u32], lda: usize, b: &[u32], c: &mut [f32], ldc: usize) {
    assert!((1..=MR).contains(&mr) && a.len() >= (mr - 1) * lda + kp && b.len() >= kp * NR);
    assert!(c.len() >= (mr - 1) * ldc + NR);
    #[cfg(target_arch = "x86_64")]
    if bf16_available() {
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        // SAFETY: AVX-512F and AVX512-BF16 are present; lengths as asserted above.
        unsafe { by_rows!(mr, kernel_bf16_avx512, kp, a, lda, b, c, ldc) };
        return;
    }
    kernel_bf16_portable(mr, kp, a, lda, b, c, ldc);
}

/// Reference for the bf16 kernel (tests, and CPUs without AVX512-BF16 if a bf16 panel is
/// ever built there): each pair's two products, then added, as `vdpbf16ps` does up to its
/// rounding.
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

/// The AVX512-BF16 kernel: as [`kernel_f32_avx512`] with `vdpbf16ps` (two multiply-adds per
/// lane and instruction).
///
/// # Safety
/// AVX-512F and AVX512-BF16; pointers as for [`kernel_bf16`]'s slices.
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
            let b = Packed::from_rows(&w, n, k, k, Format::F32);
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
            Packed::from_rows(&wt, n, k, k, Format::F32),
        ) else {
            unreachable!()
        };
        assert_eq!(x.as_slice(), y.as_slice());
        // Panels start on cache lines.
        assert_eq!(x.as_slice().as_ptr() as usize % 64, 0);
    }

    #[test]
    fn rows_do_not_depend_on_batch_or_threads() {
        let (m, k, n) = (100, 384, 96);
        let a = random(m * k, 4);
        let w = random(n * k, 5);
        let b = Packed::from_rows(&w, n, k, k, Format::F32);
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
    fn all_kernel_families_agree_bitwise() {
        let (kc, lda) = (77, 80);
        let a = random(lda * MR, 6);
        let b = random(kc * NR, 7);
        let init = random(MR * NR, 8);
        let f = crate::cpu::detected();
        let mut families = vec![Kernel::Portable];
        if f.avx2 && f.fma {
            families.push(Kernel::Avx2);
        }
        if f.avx512f {
            families.push(Kernel::Avx512);
        }
        for mr in [MR, 7, 6, 5, 1] {
            let mut want = init.clone();
            kernel_f32_portable(mr, kc, &a, lda, &b, &mut want, NR);
            for &kern in &families {
                let mut got = init.clone();
                kernel_f32(mr, kc, &a, lda, &b, &mut got, NR, kern);
                assert_eq!(got, want, "{mr} rows, {kern}");
            }
        }
    }

    #[test]
    fn packing_a_in_fp16_pads_with_zeros() {
        let (rows, lda, kc) = (14, 9, 5);
        let a = random(rows * lda, 16);
        let mut out = vec![u16::MAX; 2 * kc * MR];
        let mut row = Vec::new();
        pack_a_f16(&a, lda, rows, 3, kc, &mut row, &mut out);
        for t in 0..2 {
            for kk in 0..kc {
                for r in 0..MR {
                    let i = t * MR + r;
                    let want = if i < rows {
                        half::f16::from_f32(a[i * lda + 3 + kk]).to_bits()
                    } else {
                        0
                    };
                    assert_eq!(out[(t * kc + kk) * MR + r], want, "tile {t} k {kk} row {r}");
                }
            }
        }
    }

    #[test]
    fn amx_packings_equal_the_generic_one() {
        for &(n, k) in &[(1, 1), (33, 32), (70, 385), (5, 64)] {
            let w = random(n * k, 23);
            let rows = Packed::amx_from_rows(&w, n, k, k);
            let generic = Packed::from_rows(&w, n, k, k, Format::Amx);
            // B as k × n row-major is Wᵀ.
            let bt: Vec<f32> = (0..k * n).map(|i| w[(i % n) * k + i / n]).collect();
            let kn = Packed::amx_from_kn(&bt, k, n, n);
            let data = |p: &Packed| match p {
                Packed::Amx { kp, data, .. } => (*kp, data.as_slice().to_vec()),
                _ => unreachable!(),
            };
            assert_eq!(data(&rows), data(&generic), "{n} x {k}: from rows");
            assert_eq!(data(&kn), data(&generic), "{n} x {k}: from k x n");
        }
    }

    #[test]
    fn kernel_names() {
        let name = kernel_name(false);
        assert!(name.ends_with("-f32"), "{name}");
        if cfg!(target_arch = "aarch64") {
            assert_eq!(name, "neon-f32");
        } else {
            let family = match kernel() {
                Kernel::Amx => "avx512",
                k => k.name(),
            };
            assert!(name.starts_with(family), "{name}");
        }
        let fast = kernel_name(true);
        match fast_format() {
            Some(Format::Bf16) => assert_eq!(fast, "avx512-bf16"),
            Some(Format::F16) => assert_eq!(fast, "avx512-fp16"),
            Some(Format::Amx) => assert_eq!(fast, "amx-bf16"),
            _ => assert_eq!(fast, name),
        }
    }

    #[test]
    fn bf16_close_to_f32() {
        if !bf16_available() {
            eprintln!("SKIPPED: no AVX512-BF16 on this CPU");
            return;
        }
        let (m, k, n) = (30, 385, 70);
        let a = random(m * k, 9);
        let w = random(n * k, 10);
        let bias = random(n, 11);
        let b = Packed::from_rows(&w, n, k, k, Format::Bf16);
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
        kernel_bf16(MR, kp, &abf, kp, &data.as_slice()[..kp * NR], &mut c1, NR);
        kernel_bf16_portable(MR, kp, &abf, kp, &data.as_slice()[..kp * NR], &mut c2, NR);
        for (x, y) in c1.iter().zip(&c2) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn f16_close_to_f32_and_to_its_reference() {
        let (m, k, n) = (30, 385, 70);
        let a = random(m * k, 17);
        let w = random(n * k, 18);
        let bias = random(n, 19);
        let b = Packed::from_rows(&w, n, k, k, Format::F16);
        let want = reference(&a, m, k, &w, n, &bias);
        if fp16_available() {
            let mut c = vec![0.0; m * n];
            gemm(&a, k, m, &b, &mut c, n, Some(&bias), true);
            for (got, want) in c.iter().zip(&want) {
                // fp16 inputs (2^-11 relative) and chunk sums of 32 products in fp16 (|sums| up
                // to ~10 here, fp16 spacing 2^-7 at 8).
                assert!((f64::from(*got) - want).abs() < 5e-2, "{got} vs {want}");
            }
            // Rows do not depend on the split.
            let mut serial = vec![0.0; m * n];
            gemm(&a, k, m, &b, &mut serial, n, Some(&bias), false);
            assert_eq!(c, serial);
            let mut part = vec![0.0; 3 * n];
            gemm(&a[13 * k..], k, 3, &b, &mut part, n, Some(&bias), false);
            assert_eq!(&c[13 * n..16 * n], &part[..]);
        }
        // The assembly kernel and the portable reference agree bitwise on a whole tile.
        let Packed::F16 { data, .. } = &b else {
            unreachable!()
        };
        let kc = 77;
        let mut ap = vec![0u16; kc * MR];
        let mut row = Vec::new();
        pack_a_f16(&a, k, MR, 0, kc, &mut row, &mut ap);
        // C with a row stride of 40.
        let mut c1 = random(MR * 40, 20);
        let mut c2 = c1.clone();
        kernel_f16(kc, &ap, &data.as_slice()[..kc * NR / 2], &mut c1, 40);
        kernel_f16_portable(kc, &ap, &data.as_slice()[..kc * NR / 2], &mut c2, 40);
        assert_eq!(c1, c2);
    }

    #[test]
    fn f16_conversion_vector_matches_scalar() {
        let row: Vec<f32> = random(101, 21).iter().map(|v| v * 1000.0).collect();
        let mut out = vec![0u16; 101];
        to_f16(&row, &mut out);
        for (&o, &v) in out.iter().zip(&row) {
            assert_eq!(o, half::f16::from_f32(v).to_bits(), "{v}");
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
        eprintln!(
            "CPU {}; kernel {}; bf16/f32 multiply-add rate {:.2}",
            crate::cpu::cpu_model(),
            kernel().name(),
            bf16_speedup()
        );
        for fmt in [Format::F32, Format::Bf16, Format::F16] {
            if (fmt == Format::Bf16 && !bf16_available())
                || (fmt == Format::F16 && !fp16_available())
            {
                continue;
            }
            for &(k, n) in &[(384, 1152), (384, 1536), (1536, 384)] {
                let a = random(m * k, 13);
                let w = random(n * k, 14);
                let b = Packed::from_rows(&w, n, k, k, fmt);
                let mut c = vec![0.0; m * n];
                gemm(&a, k, m, &b, &mut c, n, None, true);
                let t = std::time::Instant::now();
                let reps = 5;
                for _ in 0..reps {
                    gemm(&a, k, m, &b, &mut c, n, None, true);
                }
                let secs = t.elapsed().as_secs_f64() / reps as f64;
                let gflops = 2.0 * (m * k * n) as f64 / secs / 1e9;
                eprintln!("{fmt:?} {m}x{k} · {k}x{n}: {gflops:.1} GFLOP/s");
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
