//! The CPU's instruction sets, detected once: the one place kernels ask which vector
//! instructions they may use (k-means assignment, LSA products, the transformer's GEMM).
//!
//! Every kernel has a portable path that gives the same bits as its vector paths, so the
//! choice changes speed only, never results.
//!
//! The environment variable `RHETOR_KERNEL` caps the instruction sets used, for the whole
//! process: `amx` (the default where the CPU has AMX-BF16: AVX-512 kernels, and AMX tiles for
//! the fast mode's products), `avx512` (the default where the CPU has AVX-512F but no AMX;
//! with BF16 and FP16 where present), `avx2` (AVX2 + FMA, as on a
//! CPU without AVX-512) or `portable` (no vector intrinsics; the compiler's baseline for the
//! target). [`kernel_from_env`] reports an invalid value as a [`KernelError`]; the
//! detection functions below then ignore it (with a warning) and use what the CPU has.

use std::sync::OnceLock;

/// The environment variable that forces a kernel family.
pub const KERNEL_ENV: &str = "RHETOR_KERNEL";

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
    /// AVX-512 FP16 (half-precision arithmetic).
    pub avx512fp16: bool,
    /// AMX-TILE and AMX-BF16 (tile matrix products in bf16), with the tile state enabled by
    /// the OS (XCR0). Linux must still grant each process the tile data ([`crate::amx`]).
    pub amx_bf16: bool,
}

/// A family of kernels, from the widest vectors to none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kernel {
    /// Scalar code the compiler may vectorise for the target's baseline (SSE2 on x86-64,
    /// NEON on aarch64).
    Portable,
    /// AVX2 + FMA, 8 floats per vector.
    Avx2,
    /// AVX-512F (and AVX512-BF16 where present), 16 floats per vector.
    Avx512,
    /// AVX-512 as above, and AMX tiles for the fast mode's products (f32 runs the AVX-512
    /// kernels: AMX has no f32 product).
    Amx,
}

impl Kernel {
    /// Every kernel, in the order the environment variable lists them.
    pub const ALL: [Kernel; 4] = [Kernel::Amx, Kernel::Avx512, Kernel::Avx2, Kernel::Portable];

    /// The name `RHETOR_KERNEL` takes (`amx`, `avx512`, `avx2`, `portable`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Amx => "amx",
            Kernel::Avx512 => "avx512",
            Kernel::Avx2 => "avx2",
            Kernel::Portable => "portable",
        }
    }

    /// The kernel named `s` (case-insensitive).
    pub fn parse(s: &str) -> Result<Self, KernelError> {
        Kernel::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| KernelError::Unknown {
                value: s.to_string(),
            })
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An unusable `RHETOR_KERNEL`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// Not one of the kernel names.
    #[error(
        "RHETOR_KERNEL={value:?} is not a kernel; allowed values: amx, avx512, avx2, portable"
    )]
    Unknown {
        /// The value found.
        value: String,
    },
    /// A kernel this CPU cannot run.
    #[error(
        "RHETOR_KERNEL={wanted} needs instructions this CPU lacks ({cpu}); it can run: {available}"
    )]
    Unsupported {
        /// The kernel asked for.
        wanted: Kernel,
        /// The CPU model ([`cpu_model`]).
        cpu: String,
        /// The kernels it can run, comma-separated.
        available: String,
    },
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Features {
    Features {
        avx2: std::arch::is_x86_feature_detected!("avx2"),
        fma: std::arch::is_x86_feature_detected!("fma"),
        avx512f: std::arch::is_x86_feature_detected!("avx512f"),
        avx512bf16: std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bf16"),
        avx512fp16: std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512fp16"),
        amx_bf16: std::arch::is_x86_feature_detected!("avx512bf16") && amx_bf16_enabled(),
    }
}

/// AMX-TILE and AMX-BF16 in CPUID (leaf 7, EDX bits 24 and 22), and the tile state (XCR0
/// bits 17 and 18) enabled by the OS. (`is_x86_feature_detected!` does not know AMX on
/// stable Rust.)
#[cfg(target_arch = "x86_64")]
fn amx_bf16_enabled() -> bool {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    // Leaf 7 is read only where leaf 0 lists it.
    if __cpuid(0).eax < 7 {
        return false;
    }
    let edx = __cpuid_count(7, 0).edx;
    let cpu_has = edx & (1 << 24) != 0 && edx & (1 << 22) != 0;
    if !cpu_has || !std::arch::is_x86_feature_detected!("xsave") {
        return false;
    }
    // SAFETY: XSAVE (and so XGETBV) is present; the OS enabled it (the std detection above
    // checks OSXSAVE for the AVX features it reports).
    let xcr0 = unsafe { xgetbv0() };
    xcr0 & (0b11 << 17) == 0b11 << 17
}

/// XCR0.
///
/// # Safety
/// XSAVE must be present and enabled by the OS.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "xsave")]
unsafe fn xgetbv0() -> u64 {
    std::arch::x86_64::_xgetbv(0)
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Features {
    Features::default()
}

/// What the CPU has, ignoring `RHETOR_KERNEL`.
pub fn detected() -> Features {
    static F: OnceLock<Features> = OnceLock::new();
    *F.get_or_init(detect)
}

/// The widest kernel family `f` supports.
fn best(f: Features) -> Kernel {
    if f.avx512f && f.amx_bf16 {
        Kernel::Amx
    } else if f.avx512f {
        Kernel::Avx512
    } else if f.avx2 && f.fma {
        Kernel::Avx2
    } else {
        Kernel::Portable
    }
}

/// `f` capped at kernel family `k`.
fn capped(f: Features, k: Kernel) -> Features {
    match k {
        Kernel::Amx => f,
        Kernel::Avx512 => Features {
            amx_bf16: false,
            ..f
        },
        Kernel::Avx2 => Features {
            avx512f: false,
            avx512bf16: false,
            avx512fp16: false,
            amx_bf16: false,
            ..f
        },
        Kernel::Portable => Features::default(),
    }
}

/// The kernel `RHETOR_KERNEL` asks for (`None` when unset or empty), checked against this
/// CPU: an unknown name or a kernel the CPU cannot run is an error.
pub fn kernel_from_env() -> Result<Option<Kernel>, KernelError> {
    match std::env::var(KERNEL_ENV) {
        Ok(v) if !v.trim().is_empty() => check_kernel(&v, detected()).map(Some),
        _ => Ok(None),
    }
}

/// `value` parsed and checked against the features `f`.
fn check_kernel(value: &str, f: Features) -> Result<Kernel, KernelError> {
    let wanted = Kernel::parse(value)?;
    let top = best(f);
    if wanted > top {
        let available: Vec<&str> = Kernel::ALL
            .iter()
            .filter(|&&k| k <= top)
            .map(|k| k.name())
            .collect();
        return Err(KernelError::Unsupported {
            wanted,
            cpu: cpu_model().to_string(),
            available: available.join(", "),
        });
    }
    Ok(wanted)
}

/// The features the kernels may use: [`detected`] capped by `RHETOR_KERNEL` (read once; an
/// invalid value is ignored with a warning).
pub fn features() -> Features {
    static F: OnceLock<Features> = OnceLock::new();
    *F.get_or_init(|| match kernel_from_env() {
        Ok(Some(k)) => capped(detected(), k),
        Ok(None) => detected(),
        Err(e) => {
            tracing::warn!("{e}; using the best kernel this CPU has");
            detected()
        }
    })
}

/// The kernel family in use ([`features`]: the CPU's best, or `RHETOR_KERNEL`'s).
pub fn kernel() -> Kernel {
    best(features())
}

/// The CPU's model name (`model name` of `/proc/cpuinfo` on Linux x86, `CPU part` / the
/// `Hardware` line on ARM), or `"unknown"`; read once.
pub fn cpu_model() -> &'static str {
    static M: OnceLock<String> = OnceLock::new();
    M.get_or_init(|| {
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| model_from_cpuinfo(&s))
            .unwrap_or_else(|| format!("unknown {}", std::env::consts::ARCH))
    })
}

/// The model line of a `/proc/cpuinfo` text, with family and model numbers on x86 (a VM
/// often shows only "Intel(R) Xeon(R) Processor").
fn model_from_cpuinfo(text: &str) -> Option<String> {
    let field = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    if let Some(name) = field("model name") {
        return Some(match (field("cpu family"), field("model")) {
            (Some(fam), Some(model)) => format!("{name} (family {fam} model {model})"),
            _ => name,
        });
    }
    match (field("CPU implementer"), field("CPU part")) {
        (Some(imp), Some(part)) => Some(format!("ARM implementer {imp} part {part}")),
        _ => field("Hardware"),
    }
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

/// AVX-512F, BW and FP16 are available.
pub fn avx512fp16() -> bool {
    features().avx512fp16
}

/// AVX-512 and AMX-BF16 are available and allowed (Linux's grant of the tile data is asked
/// separately, by [`crate::amx`]).
pub fn amx_bf16() -> bool {
    let f = features();
    f.avx512f && f.amx_bf16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_features_are_consistent() {
        let f = features();
        assert!(!f.avx512bf16 || f.avx512f);
        assert!(!f.avx512fp16 || f.avx512f);
        assert!(!amx_bf16() || f.avx512bf16);
        assert_eq!(avx2_fma(), f.avx2 && f.fma);
    }

    #[test]
    fn kernel_names_parse() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::parse(k.name()), Ok(k));
        }
        assert_eq!(Kernel::parse(" AVX2 "), Ok(Kernel::Avx2));
        let e = Kernel::parse("neon").unwrap_err();
        assert_eq!(
            e.to_string(),
            "RHETOR_KERNEL=\"neon\" is not a kernel; allowed values: amx, avx512, avx2, portable"
        );
    }

    #[test]
    fn a_kernel_the_cpu_lacks_is_refused() {
        let avx2_only = Features {
            avx2: true,
            fma: true,
            ..Features::default()
        };
        assert_eq!(check_kernel("avx2", avx2_only), Ok(Kernel::Avx2));
        assert_eq!(check_kernel("portable", avx2_only), Ok(Kernel::Portable));
        let Err(KernelError::Unsupported { available, .. }) = check_kernel("avx512", avx2_only)
        else {
            panic!("avx512 accepted without AVX-512F")
        };
        assert_eq!(available, "avx2, portable");
    }

    #[test]
    fn capping_removes_wider_sets() {
        let all = Features {
            avx2: true,
            fma: true,
            avx512f: true,
            avx512bf16: true,
            avx512fp16: true,
            amx_bf16: true,
        };
        assert_eq!(best(all), Kernel::Amx);
        assert_eq!(best(capped(all, Kernel::Avx512)), Kernel::Avx512);
        assert!(!capped(all, Kernel::Avx512).amx_bf16 && capped(all, Kernel::Avx512).avx512bf16);
        assert_eq!(best(capped(all, Kernel::Avx2)), Kernel::Avx2);
        assert_eq!(capped(all, Kernel::Portable), Features::default());
        assert_eq!(capped(all, Kernel::Amx), all);
    }

    #[test]
    fn cpuinfo_model_lines() {
        let x86 = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\n\
                   model name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(
            model_from_cpuinfo(x86).as_deref(),
            Some("Intel(R) Xeon(R) Processor (family 6 model 207)")
        );
        let arm = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n";
        assert_eq!(
            model_from_cpuinfo(arm).as_deref(),
            Some("ARM implementer 0x41 part 0xd0c")
        );
        assert_eq!(model_from_cpuinfo(""), None);
    }
}
