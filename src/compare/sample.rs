//! Exact samplers of the binomial and hypergeometric distributions, and from them the
//! multinomial and multivariate hypergeometric draws that make a resample (bootstrap) or a
//! split (permutation) of typed documents: one draw per type, not per document.
//!
//! Both univariate samplers use **inversion by a search from the mode** (Kemp 1981;
//! Devroye 1986, §III.2 and §X.4): a uniform `u` is compared with the probabilities of
//! the outcomes visited in the fixed order `mode, mode − 1, mode + 1, mode − 2, …`, and
//! the first outcome at which their running sum exceeds `u` is returned. Inversion in any
//! fixed order of the outcomes gives exactly the target distribution; the only
//! approximation is floating-point arithmetic. The probability at the mode is computed to
//! nearly machine precision with Loader's (2000) saddle-point expansion (the algorithm of
//! R's `dbinom` and `dhyper`), and the others by the exact ratio of consecutive
//! probabilities. Should rounding leave `u` above the total probability of all outcomes
//! (a rounding error's worth of mass, about 1e-13) or both tails underflow to 0 before
//! reaching it, `u` is drawn again. A draw
//! costs on average about the standard deviation of the distribution in steps (≈ √(n p q)
//! for `Binomial(n, p)`), so drawing `T` types' counts costs at most about `√(T · G)` for
//! `G` documents (Cauchy–Schwarz), and `O(T)` when each type is a small part of them.

use rand::RngCore;
use rand_xoshiro::Xoshiro256Plus;

/// A uniform draw in `[0, 1)` with 53 random bits.
#[inline]
fn unit(rng: &mut Xoshiro256Plus) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `ln(n!) − ((n + ½) ln n − n + ln √(2π))`, the error of Stirling's formula (Loader 2000).
fn stirlerr(n: u64) -> f64 {
    const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
    if n <= 15 {
        if n == 0 {
            return 0.0;
        }
        let ln_fact: f64 = (2..=n).map(|i| (i as f64).ln()).sum();
        let x = n as f64;
        return ln_fact - (x + 0.5) * x.ln() + x - LN_SQRT_2PI;
    }
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let x = n as f64;
    let xx = x * x;
    (S0 - (S1 - (S2 - (S3 - S4 / xx) / xx) / xx) / xx) / x
}

/// `x ln(x / np) + np − x`, computed without cancellation when `x ≈ np` (Loader 2000).
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / (2 * j + 1) as f64;
            if s1 == s {
                return s1;
            }
            s = s1;
        }
        s
    } else {
        x * (x / np).ln() + np - x
    }
}

/// `ln P(X = x)` for `X ~ Binomial(n, p)`, `q = 1 − p` given separately (Loader 2000; R's
/// `dbinom_raw`).
fn ln_binomial_pmf(x: u64, n: u64, p: f64, q: f64) -> f64 {
    if p <= 0.0 {
        return if x == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if q <= 0.0 {
        return if x == n { 0.0 } else { f64::NEG_INFINITY };
    }
    let nf = n as f64;
    if x == 0 {
        if n == 0 {
            return 0.0;
        }
        return if p < 0.1 {
            -bd0(nf, nf * q) - nf * p
        } else {
            nf * q.ln()
        };
    }
    if x == n {
        return if q < 0.1 {
            -bd0(nf, nf * p) - nf * q
        } else {
            nf * p.ln()
        };
    }
    let xf = x as f64;
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(xf, nf * p) - bd0(nf - xf, nf * q);
    let lf = (2.0 * std::f64::consts::PI).ln() + xf.ln() + (-xf / nf).ln_1p();
    lc - 0.5 * lf
}

/// `ln P(X = x)` for `X ~ Hypergeometric(total, good, draws)`: `x` good items among `draws`
/// drawn without replacement from `total` items of which `good` are good (R's `dhyper`).
fn ln_hypergeometric_pmf(x: u64, total: u64, good: u64, draws: u64) -> f64 {
    let p = draws as f64 / total as f64;
    let q = (total - draws) as f64 / total as f64;
    ln_binomial_pmf(x, good, p, q) + ln_binomial_pmf(draws - x, total - good, p, q)
        - ln_binomial_pmf(draws, total, p, q)
}

/// Inversion by search from the mode over the outcomes `lo..=hi` with `P(mode) = f_mode`
/// and `P(j + 1) / P(j) = ratio(j)` (positive and finite for `lo ≤ j < hi`).
#[inline]
fn modal_inversion(
    rng: &mut Xoshiro256Plus,
    lo: u64,
    hi: u64,
    mode: u64,
    f_mode: f64,
    ratio: impl Fn(u64) -> f64,
) -> u64 {
    loop {
        let mut u = unit(rng);
        if u < f_mode {
            return mode;
        }
        u -= f_mode;
        let (mut down, mut f_down) = (mode, f_mode);
        let (mut up, mut f_up) = (mode, f_mode);
        loop {
            let mut moved = false;
            if down > lo && f_down > 0.0 {
                f_down /= ratio(down - 1);
                down -= 1;
                if u < f_down {
                    return down;
                }
                u -= f_down;
                moved = true;
            }
            if up < hi && f_up > 0.0 {
                f_up *= ratio(up);
                up += 1;
                if u < f_up {
                    return up;
                }
                u -= f_up;
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }
}

/// A `Binomial(n, p)` draw (`0 ≤ p ≤ 1`), exact (see the module docs).
pub(crate) fn binomial(rng: &mut Xoshiro256Plus, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let q = 1.0 - p;
    let mode = (((n + 1) as f64 * p).floor() as u64).min(n);
    let f_mode = ln_binomial_pmf(mode, n, p, q).exp();
    let odds = p / q;
    modal_inversion(rng, 0, n, mode, f_mode, |j| {
        (n - j) as f64 / (j + 1) as f64 * odds
    })
}

/// A `Hypergeometric(total, good, draws)` draw (`good, draws ≤ total`): the number of good
/// items among `draws` drawn without replacement from `total` items, `good` of them good.
/// Exact (see the module docs).
pub(crate) fn hypergeometric(rng: &mut Xoshiro256Plus, total: u64, good: u64, draws: u64) -> u64 {
    debug_assert!(good <= total && draws <= total);
    let bad = total - good;
    let lo = draws.saturating_sub(bad);
    let hi = draws.min(good);
    if lo == hi {
        return lo;
    }
    let mode = ((((draws + 1) as f64) * ((good + 1) as f64) / ((total + 2) as f64)).floor() as u64)
        .clamp(lo, hi);
    let f_mode = ln_hypergeometric_pmf(mode, total, good, draws).exp();
    modal_inversion(rng, lo, hi, mode, f_mode, |j| {
        ((good - j) as f64 * (draws - j) as f64) / ((j + 1) as f64 * (bad + j + 1 - draws) as f64)
    })
}

/// The numbers of each type among `draws` documents drawn **with** replacement from
/// documents of which `tally[t]` are of type `t` (a multinomial draw with probabilities
/// `tally[t] / Σ tally`), written into `out`: sequential binomial draws over the types in
/// order, `out[t] ~ Binomial(draws − Σ_{s<t} out[s], tally[t] / Σ_{s≥t} tally[s])`.
pub(crate) fn multinomial(rng: &mut Xoshiro256Plus, tally: &[u64], draws: u64, out: &mut [u64]) {
    let mut mass: u64 = tally.iter().sum();
    let mut left = draws;
    for (o, &m) in out.iter_mut().zip(tally) {
        let c = if left == 0 || m == 0 {
            0
        } else if m >= mass {
            left
        } else {
            binomial(rng, left, m as f64 / mass as f64)
        };
        *o = c;
        left -= c;
        mass -= m;
    }
}

/// The numbers of each type among `draws` documents drawn **without** replacement from
/// documents of which `tally[t]` are of type `t` (a multivariate hypergeometric draw),
/// written into `out`: sequential hypergeometric draws over the types in order,
/// `out[t] ~ Hypergeometric(Σ_{s≥t} tally[s], tally[t], draws − Σ_{s<t} out[s])`.
pub(crate) fn multivariate_hypergeometric(
    rng: &mut Xoshiro256Plus,
    tally: &[u64],
    draws: u64,
    out: &mut [u64],
) {
    let mut total: u64 = tally.iter().sum();
    debug_assert!(draws <= total);
    let mut left = draws;
    for (o, &m) in out.iter_mut().zip(tally) {
        let c = if left == 0 || m == 0 {
            0
        } else if m >= total {
            left
        } else {
            hypergeometric(rng, total, m, left)
        };
        *o = c;
        left -= c;
        total -= m;
    }
}

#[cfg(test)]
mod tests {
    use super::super::normal_quantile;
    use super::*;
    use rand::SeedableRng;

    /// The exact pmf on `lo..=hi` from the ratios of consecutive probabilities, normalised
    /// by their sum (independent of Loader's expansion).
    fn pmf_by_ratios(lo: u64, hi: u64, ratio: impl Fn(u64) -> f64) -> Vec<f64> {
        // In logs (the unnormalised weights of a long support overflow).
        let mut lw = vec![0.0f64];
        for j in lo..hi {
            let next = lw.last().unwrap() + ratio(j).ln();
            lw.push(next);
        }
        let max = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = lw.iter().map(|x| (x - max).exp()).collect();
        let s: f64 = w.iter().sum();
        w.iter().map(|x| x / s).collect()
    }

    /// Pearson's chi-square statistic of `draws` (values in `lo..=lo + pmf.len() − 1`)
    /// against `pmf`, cells with expected counts below 5 pooled into their neighbours;
    /// returns (statistic, degrees of freedom).
    fn chi_square(observed: &[u64], pmf: &[f64], n: u64) -> (f64, usize) {
        let mut cells: Vec<(f64, f64)> = Vec::new();
        let (mut o, mut e) = (0.0, 0.0);
        for (&ob, &p) in observed.iter().zip(pmf) {
            o += ob as f64;
            e += p * n as f64;
            if e >= 5.0 {
                cells.push((o, e));
                o = 0.0;
                e = 0.0;
            }
        }
        if let Some(last) = cells.last_mut() {
            last.0 += o;
            last.1 += e;
        }
        let stat = cells.iter().map(|&(o, e)| (o - e) * (o - e) / e).sum();
        (stat, cells.len() - 1)
    }

    /// Upper `1 − a` quantile of χ²(df), Wilson–Hilferty.
    fn chi_square_quantile(df: usize, a: f64) -> f64 {
        let d = df as f64;
        let z = normal_quantile(1.0 - a);
        d * (1.0 - 2.0 / (9.0 * d) + z * (2.0 / (9.0 * d)).sqrt()).powi(3)
    }

    fn check(name: &str, lo: u64, pmf: &[f64], mut draw: impl FnMut() -> u64, n: u64) -> f64 {
        let mut observed = vec![0u64; pmf.len()];
        for _ in 0..n {
            let x = draw();
            assert!(x >= lo && x < lo + pmf.len() as u64, "{name}: {x}");
            observed[(x - lo) as usize] += 1;
        }
        let (stat, df) = chi_square(&observed, pmf, n);
        let crit = chi_square_quantile(df, 1e-4);
        println!("{name}: chi-square {stat:.1} on {df} df (0.9999 quantile {crit:.1})");
        assert!(stat < crit, "{name}: chi-square {stat} on {df} df");
        stat
    }

    #[test]
    fn pmfs_match_direct_computation() {
        // Binomial(10, 0.3) at 3: C(10,3) 0.3^3 0.7^7 = 0.26682793200000005.
        let p = ln_binomial_pmf(3, 10, 0.3, 0.7).exp();
        approx::assert_relative_eq!(p, 0.266_827_932, max_relative = 1e-14);
        // Hypergeometric(50, 5, 10) at 1: C(5,1) C(45,9) / C(50,10) = 0.43133132...
        let h = ln_hypergeometric_pmf(1, 50, 5, 10).exp();
        let exact = 5.0 * 886_163_135.0 / 10_272_278_170.0;
        approx::assert_relative_eq!(h, exact, max_relative = 1e-13);
        // Large n: the pmf at the mode sums with its ratios to 1.
        for &(n, p) in &[(1_000_000u64, 0.05), (83_333, 0.5), (40, 0.999)] {
            let q = 1.0 - p;
            let pmf = pmf_by_ratios(0, n, |j| (n - j) as f64 / (j + 1) as f64 * p / q);
            let mode = (((n + 1) as f64 * p).floor() as u64).min(n);
            let f = ln_binomial_pmf(mode, n, p, q).exp();
            approx::assert_relative_eq!(f, pmf[mode as usize], max_relative = 1e-9);
        }
        let (total, good, draws) = (166_000u64, 8_000u64, 83_000u64);
        let pmf = pmf_by_ratios(0, good, |j| {
            ((good - j) as f64 * (draws - j) as f64)
                / ((j + 1) as f64 * (total - good + j + 1 - draws) as f64)
        });
        let x = 4_000;
        let f = ln_hypergeometric_pmf(x, total, good, draws).exp();
        approx::assert_relative_eq!(f, pmf[x as usize], max_relative = 1e-9);
    }

    /// The samplers against their exact pmfs: chi-square tests at level 1e-4 on 200,000
    /// draws each, over small, skewed, large and edge parameters.
    #[test]
    fn samplers_match_exact_pmf() {
        let mut rng = Xoshiro256Plus::seed_from_u64(2024);
        let draws = 200_000;
        for &(n, p) in &[
            (1u64, 0.5),
            (5, 0.1),
            (20, 0.5),
            (30, 0.97),
            (100, 0.003),
            (1_000, 0.3),
            (83_333, 0.05),
            (1_000_000, 0.5),
        ] {
            let q = 1.0 - p;
            let pmf = pmf_by_ratios(0, n, |j| (n - j) as f64 / (j + 1) as f64 * p / q);
            check(
                &format!("binomial({n}, {p})"),
                0,
                &pmf,
                || binomial(&mut rng, n, p),
                draws,
            );
        }
        for &(total, good, k) in &[
            (2u64, 1u64, 1u64),
            (10, 3, 5),
            (30, 29, 10),
            (100, 5, 50),
            (1_000, 400, 900),
            (166_000, 8_000, 83_000),
            (2_000_000, 1_000_000, 1_000_000),
        ] {
            let bad = total - good;
            let lo = k.saturating_sub(bad);
            let hi = k.min(good);
            let pmf = pmf_by_ratios(lo, hi, |j| {
                ((good - j) as f64 * (k - j) as f64) / ((j + 1) as f64 * (bad + j + 1 - k) as f64)
            });
            check(
                &format!("hypergeometric({total}, {good}, {k})"),
                lo,
                &pmf,
                || hypergeometric(&mut rng, total, good, k),
                draws,
            );
        }
        // Degenerate parameters.
        assert_eq!(binomial(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial(&mut rng, 7, 0.0), 0);
        assert_eq!(binomial(&mut rng, 7, 1.0), 7);
        assert_eq!(hypergeometric(&mut rng, 10, 10, 4), 4);
        assert_eq!(hypergeometric(&mut rng, 10, 0, 4), 0);
        assert_eq!(hypergeometric(&mut rng, 10, 3, 10), 3);
        assert_eq!(hypergeometric(&mut rng, 10, 3, 0), 0);
    }

    /// The sequential draws have the right margins (the count of a middle type: binomial
    /// resp. hypergeometric) and always sum to `draws`.
    #[test]
    fn multivariate_draws_have_exact_margins() {
        let mut rng = Xoshiro256Plus::seed_from_u64(7);
        let tally = [3u64, 10, 1, 6, 0, 20];
        let total: u64 = tally.iter().sum();
        let mut out = [0u64; 6];
        let n = 200_000;
        let (mut boot, mut perm) = (vec![0u64; 41], vec![0u64; 11]);
        for _ in 0..n {
            multinomial(&mut rng, &tally, total, &mut out);
            assert_eq!(out.iter().sum::<u64>(), total);
            assert_eq!(out[4], 0);
            boot[out[3] as usize] += 1;
            multivariate_hypergeometric(&mut rng, &tally, 17, &mut out);
            assert_eq!(out.iter().sum::<u64>(), 17);
            assert!(out.iter().zip(&tally).all(|(o, t)| o <= t));
            perm[out[1] as usize] += 1;
        }
        // out[3] ~ Binomial(40, 6/40); out[1] ~ Hypergeometric(40, 10, 17).
        let p = 6.0 / 40.0;
        let pmf = pmf_by_ratios(0, 40, |j| (40 - j) as f64 / (j + 1) as f64 * p / (1.0 - p));
        let (stat, df) = chi_square(&boot, &pmf, n);
        assert!(stat < chi_square_quantile(df, 1e-4), "{stat} {df}");
        let pmf = pmf_by_ratios(0, 10, |j| {
            ((10 - j) as f64 * (17 - j) as f64) / ((j + 1) as f64 * (30 + j + 1 - 17) as f64)
        });
        let (stat, df) = chi_square(&perm, &pmf, n);
        println!("margins: hypergeometric chi-square {stat:.1} on {df} df");
        assert!(stat < chi_square_quantile(df, 1e-4), "{stat} {df}");
        // Everything drawn: every document once.
        multivariate_hypergeometric(&mut rng, &tally, total, &mut out);
        assert_eq!(out, tally);
    }
}
