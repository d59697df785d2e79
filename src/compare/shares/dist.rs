//! The distribution functions behind the share intervals: log-gamma, the regularised
//! incomplete beta function and its quantiles, Student t, χ²(1) and normal quantiles.

/// `ln Γ(x)` for `x > 0`: Lanczos (g = 7, 9 terms; relative error about 1e-15), with the
/// reflection formula below 0.5.
pub(super) fn ln_gamma(x: f64) -> f64 {
    #[allow(clippy::excessive_precision)]
    const C: [f64; 9] = [
        0.99999999999980993,
        676.5203681218851,
        -1259.1392167224028,
        771.32342877765313,
        -176.61502916214059,
        12.507343278686905,
        -0.13857109526572012,
        9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function `I_x(a, b)` (`a, b > 0`), by its continued
/// fraction (modified Lentz; Press et al. 2007, §6.4).
pub(super) fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = a * x.ln() + b * (-x).ln_1p() - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b));
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of `I_x(a, b)`.
pub(super) fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=20_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    h
}

/// The `p` quantile of the Beta(a, b) distribution (`a, b > 0`): bisection on `ln x` in the
/// lighter tail (to full precision, however small the quantile), so the result is the same
/// bits on every machine that follows IEEE 754. 0 for `p ≤ 0` (or NaN), 1 for `p ≥ 1`.
pub(super) fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    if p.is_nan() || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    if p <= incomplete_beta(0.5, a, b) {
        beta_quantile_below_half(p, a, b)
    } else {
        // X ~ Beta(a, b) ⇔ 1 − X ~ Beta(b, a).
        1.0 - beta_quantile_below_half(1.0 - p, b, a)
    }
}

/// The root of `I_x(a, b) = p` in `(0, 0.5]`, by bisection on `u = ln x` over
/// `[−745, ln 0.5]` (the smallest positive double to 0.5) until the bracket's ends are
/// adjacent doubles.
pub(super) fn beta_quantile_below_half(p: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (-745.0_f64, 0.5_f64.ln());
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if incomplete_beta(mid.exp(), a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi.exp()
}

/// The `p` quantile (`p ≥ 0.5`) of Student's t distribution with `df > 0` degrees of
/// freedom, from `P(|T| > t) = I_{df/(df + t²)}(df/2, 1/2)`.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let x = beta_quantile(2.0 * (1.0 - p), df / 2.0, 0.5);
    (df * (1.0 - x) / x).sqrt()
}

/// Goodman (1965) simultaneous `1 − alpha` intervals for multinomial proportions, one
/// `(low, high)` per category of `counts`: with `k = counts.len()`, `N = Σ counts` and
/// `A = χ²₁(1 − alpha/k)`,
/// `[A + 2nᵢ ∓ √(A (A + 4 nᵢ (N − nᵢ)/N))] / (2 (N + A))`.
///
/// Always within `[0, 1]`, never NaN: `(0, 1)` for every category when `N = 0`, and
/// `(0, 1)` too for a meaningless `alpha` outside `(0, 1)`.
pub fn goodman_intervals(counts: &[u64], alpha: f64) -> Vec<(f64, f64)> {
    let k = counts.len().max(1) as f64;
    let total: u64 = counts.iter().sum();
    if total == 0 || !(alpha > 0.0 && alpha < 1.0) {
        return vec![(0.0, 1.0); counts.len()];
    }
    let n = total as f64;
    let a = chi_square_1_quantile(1.0 - alpha / k);
    counts
        .iter()
        .map(|&c| {
            let c = c as f64;
            let root = (a * (a + 4.0 * c * (n - c) / n)).max(0.0).sqrt();
            let den = 2.0 * (n + a);
            let lo = ((a + 2.0 * c - root) / den).clamp(0.0, 1.0);
            let hi = ((a + 2.0 * c + root) / den).clamp(0.0, 1.0);
            (lo, hi)
        })
        .collect()
}

/// The `p` quantile of the chi-square distribution with 1 degree of freedom:
/// `Φ⁻¹((1 + p)/2)²`. NaN outside `[0, 1]`, `+∞` at 1.
pub fn chi_square_1_quantile(p: f64) -> f64 {
    let z = normal_quantile((1.0 + p) / 2.0);
    z * z
}

/// The standard normal quantile `Φ⁻¹(p)`, Wichura's (1988) algorithm AS 241 (PPND16,
/// relative accuracy about 1e-16). `−∞` at 0, `+∞` at 1, NaN outside `[0, 1]`.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q
            * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r
                + 67265.770927008700853)
                * r
                + 45921.953931549871457)
                * r
                + 13731.693765509461125)
                * r
                + 1971.5909503065514427)
                * r
                + 133.14166789178437745)
                * r
                + 3.387132872796366608)
            / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r
                + 39307.89580009271061)
                * r
                + 21213.794301586595867)
                * r
                + 5394.1960214247511077)
                * r
                + 687.1870074920579083)
                * r
                + 42.313330701600911252)
                * r
                + 1.0);
    }
    let mut r = if q < 0.0 { p } else { 1.0 - p };
    r = (-r.ln()).sqrt();
    let val = if r <= 5.0 {
        r -= 1.6;
        (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r
            + 0.24178072517745061177)
            * r
            + 1.27045825245236838258)
            * r
            + 3.64784832476320460504)
            * r
            + 5.7694972214606914055)
            * r
            + 4.6303378461565452959)
            * r
            + 1.42343711074968357734)
            / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r
                + 0.0151986665636164571966)
                * r
                + 0.14810397642748007459)
                * r
                + 0.68976733498510000455)
                * r
                + 1.6763848301838038494)
                * r
                + 2.05319162663775882187)
                * r
                + 1.0)
    } else {
        r -= 5.0;
        (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r
            + 0.0012426609473880784386)
            * r
            + 0.026532189526576123093)
            * r
            + 0.29656057182850489123)
            * r
            + 1.7848265399172913358)
            * r
            + 5.4637849111641143699)
            * r
            + 6.6579046435011037772)
            / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
                + 1.8463183175100546818e-5)
                * r
                + 7.868691311456132591e-4)
                * r
                + 0.0148753612908506148525)
                * r
                + 0.13692988092273580531)
                * r
                + 0.59983220655588793769)
                * r
                + 1.0)
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}
