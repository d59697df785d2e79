//! The CPU's instruction sets, detected once: the one place kernels ask which vector
//! instructions they may use (k-means assignment, LSA products, the transformer's GEMM).
//!
//! Every kernel has a portable path that gives the same bits as its vector paths, so the
//! choice changes speed only, never results.

use std::sync::OnceLock;

/// Instruction sets the kernels use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// AVX2.
    pub avx2: bool,
    /// FMA (fused multiply-add, used with AVX2).
    pub fma: bool,
    /// AVX-512 Foundation.
    pub avx512f: bool,
    /// AVX-512 BF16 (bfloat16 dot products).
    pub avx512bf16: bool,
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Features {
    Features {
        avx2: std::arch::is_x86_feature_detected!("avx2"),
        fma: std::arch::is_x86_feature_detected!("fma"),
        avx512f: std::arch::is_x86_feature_detected!("avx512f"),
        avx512bf16: std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bf16"),
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Features {
    Features::default()
}

/// The features of this CPU (detected on first use).
pub fn features() -> Features {
    static F: OnceLock<Features> = OnceLock::new();
    *F.get_or_init(detect)
}

/// AVX2 is available.
pub fn avx2() -> bool {
    features().avx2
}

/// AVX2 and FMA are available.
pub fn avx2_fma() -> bool {
    let f = features();
    f.avx2 && f.fma
}

/// AVX-512F is available.
pub fn avx512f() -> bool {
    features().avx512f
}

/// AVX-512F and AVX-512 BF16 are available.
pub fn avx512bf16() -> bool {
    features().avx512bf16
}

#[cfg(test)]
mod tests {
    #[test]
    fn implied_features_are_consistent() {
        let f = super::features();
        assert!(!f.avx512bf16 || f.avx512f);
        assert_eq!(super::avx2_fma(), f.avx2 && f.fma);
    }
}
