//! Intel AMX (Advanced Matrix Extensions) products for the fast mode: `C = A · B (+ bias)`
//! with A and B in bf16 and f32 sums, on the tile unit (`tdpbf16ps`: a 16 × 16 f32 tile
//! gains a 16 × 32 by 32 × 16 bf16 product per instruction).
//!
//! Why: on Sapphire/Emerald/Granite Rapids `vdpbf16ps` issues at half the f32 FMA rate
//! (see [`crate::gemm::fast_format`]), while one `tdpbf16ps` does 16 · 16 · 32 = 8,192
//! multiply-adds: about 16× the multiply-adds per cycle of two AVX-512 FMA ports. torch's
//! bf16 runs on it (through oneDNN), so without it rhetor's fast mode ran at half torch's.
//!
//! * **Availability** ([`available`]): the CPU has AMX-TILE and AMX-BF16 (CPUID leaf 7), the
//!   OS enabled the tile state (XCR0 bits 17 and 18), and Linux granted this process the
//!   tile data (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`, asked once).
//!   `RHETOR_KERNEL=avx512` (or narrower) turns it off.
//! * **Stable Rust**: the AMX intrinsics are unstable, so the kernel is inline assembly
//!   (`asm!`, which the stable compiler assembles for any x86-64 target). No code the
//!   compiler generates touches the tile registers, so they need no clobber declarations;
//!   each block of rows loads the tile configuration and releases the tiles at its end (tile
//!   state is per thread, and rayon's threads run blocks in any order).
//! * **Layout.** B is [`crate::gemm::Packed::Amx`]: the bf16-pair panels of 32 columns of
//!   [`crate::gemm::Packed::Bf16`] (for each pair of `k`, 32 `u32` of two bf16), with the
//!   depth padded to a multiple of 32 (16 pairs, one tile's depth) by zeros. A panel row is
//!   128 bytes, so a B tile (16 pairs × 16 columns) is 16 rows of 64 bytes at a stride of 128:
//!   the left and right halves of a panel are two tiles, read in place. Rows of A are
//!   converted to bf16 pairs per block of [`MCA`] rows (zero-padded to whole tiles).
//! * **Micro-kernel**: 32 rows × 32 columns of C in four accumulator tiles (tmm0–3), two A
//!   tiles (tmm4–5) and two B tiles (tmm6–7) per 32 values of `k`: four loads, four
//!   `tdpbf16ps`. The sum tiles start from the bias (its 32 values loaded with a row stride
//!   of 0) and are stored straight into C; tiles that stick out of C go through a 32 × 32
//!   copy. The tile configuration is loaded once per block of rows.
//! * **Attention** in the fast mode runs on the tiles too: each head's keys and values are
//!   packed as AMX panels ([`crate::gemm::Packed::amx_from_rows`], `amx_from_kn`) and the
//!   scores and probabilities go through bf16, as torch's bf16 autocast does (MiniLM's
//!   vectors: cosine ≥ 0.99996 to rhetor's f32 ones).
//! * **Determinism**: each output is its row of A against its column of B over the whole
//!   depth in the same order whatever the block, thread or batch, so a text's vector does not
//!   depend on the batch or the thread count (the fast mode's vectors differ from f32's by
//!   bf16 rounding, as with `avx512-bf16`).

use std::sync::OnceLock;

/// Rows of A per block (a multiple of 32); the unit of parallel work. A panel of B (32
/// columns × depth, 24 KiB at depth 384) is reused by the block's 4 row tiles from L1.
pub(crate) const MCA: usize = 128;

/// Whether the AMX bf16 kernel may run in this process (see the module documentation).
pub(crate) fn available() -> bool {
    static A: OnceLock<bool> = OnceLock::new();
    *A.get_or_init(|| crate::cpu::amx_bf16() && request_tile_data())
}

/// Asks Linux for permission to use the tile data (once per process; every thread may then
/// configure tiles).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn request_tile_data() -> bool {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: arch_prctl with ARCH_REQ_XCOMP_PERM takes two integers and changes only
    // which XSAVE components this process may use.
    let r = unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        )
    };
    if r != 0 {
        tracing::warn!(
            "the CPU has AMX but Linux refused the tile data (arch_prctl returned {r}); \
             the fast mode runs without AMX"
        );
    }
    r == 0
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn request_tile_data() -> bool {
    false
}

/// The 64-byte tile configuration (palette 1): all eight tiles 16 rows × 64 bytes.
#[cfg(target_arch = "x86_64")]
#[repr(C, align(64))]
struct TileConfig([u8; 64]);

#[cfg(target_arch = "x86_64")]
impl TileConfig {
    fn all_16x64() -> Self {
        let mut c = [0u8; 64];
        c[0] = 1; // palette 1
        for t in 0..8 {
            // bytes 16..32: bytes per row of each tile (u16, little-endian); 48..56: rows.
            c[16 + 2 * t] = 64;
            c[48 + t] = 16;
        }
        TileConfig(c)
    }
}

/// `C[i][j] = init(j) + Σ_kk A[i][kk] · B[kk][j]` for `i < m`, `j < n`, with `B` given as
/// AMX panels (`data`, depth `kp` pairs, a multiple of 16) of `n` columns and true depth
/// `k`. As [`crate::gemm::gemm`].
///
/// # Panics
/// If [`available`] is false (the caller only builds [`crate::gemm::Packed::Amx`] after it
/// said yes), or on inconsistent lengths.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    a: &[f32],
    lda: usize,
    m: usize,
    (n, k, kp, data): (usize, usize, usize, &[u32]),
    c: &mut [f32],
    ldc: usize,
    bias: Option<&[f32]>,
    parallel: bool,
) {
    assert!(available(), "AMX kernel called where AMX is not available");
    assert!(kp.is_multiple_of(16) && kp * 2 >= k && data.len() >= n.div_ceil(32) * kp * 32);
    crate::gemm::by_row_blocks(c, ldc, m, n, MCA, parallel, |i0, rows, c_rows| {
        row_block(
            &a[i0 * lda..],
            lda,
            rows,
            (n, k, kp, data),
            c_rows,
            ldc,
            bias,
        )
    });
}

thread_local! {
    /// Each thread's block of A in bf16 pairs, reused from call to call.
    static PACK: std::cell::RefCell<crate::gemm::Aligned<u32>> =
        std::cell::RefCell::new(crate::gemm::Aligned::zeroed(0));
}

/// One block of at most [`MCA`] rows.
fn row_block(
    a: &[f32],
    lda: usize,
    rows: usize,
    (n, k, kp, data): (usize, usize, usize, &[u32]),
    c: &mut [f32],
    ldc: usize,
    bias: Option<&[f32]>,
) {
    let groups = rows.div_ceil(32);
    PACK.with(|buf| {
        let mut buf = buf.borrow_mut();
        if buf.as_slice().len() < groups * 32 * kp {
            *buf = crate::gemm::Aligned::zeroed(MCA * kp);
        }
        let abf = &mut buf.as_mut_slice()[..groups * 32 * kp];
        for (i, out) in abf.chunks_exact_mut(kp).enumerate() {
            if i < rows {
                crate::gemm::to_bf16_pairs(&a[i * lda..i * lda + k], &mut out[..k.div_ceil(2)]);
                out[k.div_ceil(2)..].fill(0);
            } else {
                out.fill(0);
            }
        }
        // SAFETY: AMX is available (asserted by the caller); the tiles stay configured until
        // `_tiles` is dropped at the end of this block.
        let _tiles = unsafe { Tiles::configure() };
        let mut edge = [0.0f32; 32 * 32];
        let mut init = [0.0f32; 32];
        for p in 0..n.div_ceil(32) {
            let panel = &data[p * kp * 32..(p + 1) * kp * 32];
            let j0 = p * 32;
            let nr = 32.min(n - j0);
            // Each tile starts from the bias (a row repeated by a load of stride 0).
            init.fill(0.0);
            if let Some(b) = bias {
                init[..nr].copy_from_slice(&b[j0..j0 + nr]);
            }
            for g in 0..groups {
                let ag = &abf[g * 32 * kp..(g + 1) * 32 * kp];
                let i0 = g * 32;
                let mr = 32.min(rows - i0);
                // In place where the whole 32 × 32 tile lies inside C, else on a copy.
                let whole = mr == 32 && nr == 32 && c.len() >= (i0 + 31) * ldc + j0 + 32;
                // SAFETY: the tiles are configured; `ag` holds 32 rows of `kp` pairs,
                // `panel` `kp` rows of 32 pairs, `init` 32 values; the destination holds
                // 32 rows of 32 values at a stride of `ldc` (checked above) or 32 (`edge`).
                unsafe {
                    if whole {
                        tile(kp, ag, panel, &init, c[i0 * ldc + j0..].as_mut_ptr(), ldc);
                    } else {
                        tile(kp, ag, panel, &init, edge.as_mut_ptr(), 32);
                    }
                }
                if !whole {
                    for i in 0..mr {
                        c[(i0 + i) * ldc + j0..][..nr].copy_from_slice(&edge[i * 32..][..nr]);
                    }
                }
            }
        }
    });
}

/// The tile configuration of this thread, released when dropped.
struct Tiles;

impl Tiles {
    /// Loads the configuration: all eight tiles 16 rows × 64 bytes.
    ///
    /// # Safety
    /// AMX must be available ([`available`]).
    #[cfg(target_arch = "x86_64")]
    unsafe fn configure() -> Self {
        let cfg = TileConfig::all_16x64();
        std::arch::asm!("ldtilecfg [{}]", in(reg) &cfg, options(nostack, readonly));
        Tiles
    }

    #[cfg(not(target_arch = "x86_64"))]
    unsafe fn configure() -> Self {
        unreachable!("AMX exists only on x86-64")
    }
}

impl Drop for Tiles {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the tiles were configured by `configure` on this thread.
        unsafe {
            std::arch::asm!("tilerelease", options(nostack, nomem))
        };
    }
}

/// `out[i][j] = init[j] + Σ_q A[i][q] · B[q][j]` (bf16 pairs, f32 sums) for a 32 × 32 tile
/// over `kp` pairs (a multiple of 16): `a` is 32 rows of `kp` pairs, `b` is `kp` rows of 32
/// pairs; row `i` of the output is at `out + i·ldo`.
///
/// Tile registers: tmm0–3 the four 16 × 16 sums, tmm4–5 the two row halves of A, tmm6–7 the
/// two column halves of B. The compiler never uses tile registers (no AMX target feature is
/// enabled), so none is declared clobbered.
///
/// # Safety
/// Tiles configured by [`Tiles::configure`] on this thread; lengths as described; `out` valid
/// for 32 rows of 32 values at stride `ldo`.
#[cfg(target_arch = "x86_64")]
unsafe fn tile(kp: usize, a: &[u32], b: &[u32], init: &[f32; 32], out: *mut f32, ldo: usize) {
    debug_assert!(kp.is_multiple_of(16) && kp > 0 && a.len() >= 32 * kp && b.len() >= kp * 32);
    std::arch::asm!(
        // Every row of each sum tile starts as its 16 values of `init` (stride 0).
        "tileloadd tmm0, [{init} + {zero} * 1]",
        "tileloadd tmm1, [{init} + {zero} * 1 + 64]",
        "tileloadd tmm2, [{init} + {zero} * 1]",
        "tileloadd tmm3, [{init} + {zero} * 1 + 64]",
        "2:",
        "tileloadd tmm4, [{a} + {sa} * 1]",
        "tileloadd tmm5, [{a2} + {sa} * 1]",
        "tileloadd tmm6, [{b} + {sb} * 1]",
        "tileloadd tmm7, [{b} + {sb} * 1 + 64]",
        "tdpbf16ps tmm0, tmm4, tmm6",
        "tdpbf16ps tmm1, tmm4, tmm7",
        "tdpbf16ps tmm2, tmm5, tmm6",
        "tdpbf16ps tmm3, tmm5, tmm7",
        "add {a}, 64",
        "add {a2}, 64",
        "add {b}, 2048",
        "dec {steps}",
        "jnz 2b",
        "tilestored [{o} + {so} * 1], tmm0",
        "tilestored [{o} + {so} * 1 + 64], tmm1",
        "tilestored [{o2} + {so} * 1], tmm2",
        "tilestored [{o2} + {so} * 1 + 64], tmm3",
        init = in(reg) init.as_ptr(),
        zero = in(reg) 0usize,
        a = inout(reg) a.as_ptr() => _,
        a2 = inout(reg) a.as_ptr().add(16 * kp) => _,
        b = inout(reg) b.as_ptr() => _,
        sa = in(reg) kp * 4,
        sb = in(reg) 128usize,
        steps = inout(reg) kp / 16 => _,
        o = in(reg) out,
        o2 = in(reg) out.add(16 * ldo),
        so = in(reg) ldo * 4,
        options(nostack),
    );
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn tile(_kp: usize, _a: &[u32], _b: &[u32], _init: &[f32; 32], _out: *mut f32, _ldo: usize) {
    unreachable!("AMX exists only on x86-64")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::{bf16_bits, bf16_to_f32, Format, Packed};

    #[test]
    fn amx_matches_the_product_of_bf16_inputs() {
        if !available() {
            eprintln!("SKIPPED: no AMX-BF16 on this CPU (or Linux refused the tile data)");
            return;
        }
        // Odd shapes: rows past a whole block and tile, columns past a panel, depth past
        // a tile's 32 and odd.
        for &(m, k, n) in &[
            (1, 7, 3),
            (33, 40, 33),
            (MCA + 45, 385, 70),
            (300, 1536, 64),
        ] {
            let mut s = 1u64 + (m * k * n) as u64;
            let mut rnd = || {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            };
            let a: Vec<f32> = (0..m * k).map(|_| rnd()).collect();
            let w: Vec<f32> = (0..n * k).map(|_| rnd()).collect();
            let bias: Vec<f32> = (0..n).map(|_| rnd()).collect();
            let b = Packed::from_rows(&w, n, k, k, Format::Amx);
            let mut c = vec![f32::NAN; m * n];
            crate::gemm::gemm(&a, k, m, &b, &mut c, n, Some(&bias), true);
            let r = |x: f32| f64::from(bf16_to_f32(bf16_bits(x)));
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = f64::from(bias[j])
                        + (0..k)
                            .map(|kk| r(a[i * k + kk]) * r(w[j * k + kk]))
                            .sum::<f64>();
                    let got = f64::from(c[i * n + j]);
                    assert!(
                        (got - want).abs() < 1e-4 * (k as f64).sqrt(),
                        "{m}x{k}x{n} [{i}][{j}]: {got} vs {want}"
                    );
                }
            }
            // A row's result does not depend on the other rows (batch independence).
            let mut c1 = vec![0.0; n];
            let last = m - 1;
            crate::gemm::gemm(&a[last * k..], k, 1, &b, &mut c1, n, Some(&bias), false);
            assert_eq!(c1, c[last * n..], "{m}x{k}x{n}: last row alone");
        }
    }
}
