//! Formatting helpers: numbers, percentages, p-values, truncation, colours.

use super::*;

/// Removes the sign of a formatted zero ("-0.0" → "0.0").
pub(super) fn unsign_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// `x` with `d` decimals, or "–".
pub(super) fn fixed(x: f64, d: usize) -> String {
    if x.is_finite() {
        unsign_zero(format!("{x:.d$}"))
    } else {
        DASH.to_string()
    }
}

/// A proportion as a percentage with one decimal, or "–".
pub(super) fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{}%", fixed(x * 100.0, 1))
    } else {
        DASH.to_string()
    }
}

/// An interval of proportions as "lo–hi%", or "–".
pub(super) fn pct_ci(lo: f64, hi: f64) -> String {
    if lo.is_finite() && hi.is_finite() {
        format!("{}–{}%", fixed(lo * 100.0, 1), fixed(hi * 100.0, 1))
    } else {
        DASH.to_string()
    }
}

/// A p-value with four decimals ("<0.0001" below), or "–".
pub(super) fn pval(p: f64) -> String {
    if !p.is_finite() {
        DASH.to_string()
    } else if p < 0.0001 {
        "&lt;0.0001".to_string()
    } else {
        fixed(p, 4)
    }
}

/// A count that may be fractional: an integer when it is one.
pub(super) fn count(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        fixed(x, 1)
    }
}

/// `x` clamped to `[0, 1]`, or `None` when not finite (then nothing is drawn).
pub(super) fn unit(x: f64) -> Option<f64> {
    x.is_finite().then(|| x.clamp(0.0, 1.0))
}

/// At most `max` characters of `s`, shortened in the middle with "…" so that both the
/// start and the end stay visible (file names often differ only at the end: `_2019.txt`).
pub(super) fn truncate(s: &str, max: usize) -> String {
    let max = max.max(3);
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let keep = max - 1;
    let head = keep.div_ceil(2) + keep / 6;
    let tail = keep - head;
    let mut t: String = s.chars().take(head).collect();
    t.push('…');
    t.extend(s.chars().skip(n - tail));
    t
}

/// How many characters of 12px text fit in `px` pixels.
pub(super) fn fit_chars(px: f64) -> usize {
    (px / CHAR_W).floor().max(2.0) as usize
}

/// Human name of a multiple-testing adjustment.
pub(super) fn adjust_name(adjust: &str) -> String {
    match adjust {
        "holm" => "Holm".to_string(),
        "benjamini_hochberg" => "Benjamini–Hochberg".to_string(),
        "" => "unspecified".to_string(),
        other => escape(other),
    }
}

/// Plain-language explanation of a share or permutation method name.
pub(super) fn method_note(method: &str) -> &'static str {
    match method {
        "cluster_bootstrap_t_docs" => {
            "cluster bootstrap-t over the group's documents (paragraphs of a document are \
             not treated as independent)"
        }
        "cluster_clopper_pearson_docs" => {
            "Clopper–Pearson interval at the effective sample size of the group's clustered \
             paragraphs (a label few documents carry, or a group of few documents)"
        }
        "goodman_multinomial" => {
            "Goodman simultaneous multinomial interval (the group is a single document)"
        }
        "goodman_multinomial_pooled" => {
            "Goodman interval on pooled counts (the documents do not vary for this label; \
             older runs)"
        }
        "permutation_docs" => "whole documents reshuffled between the two groups",
        "permutation_paragraphs" => {
            "paragraphs reshuffled between two single documents (assumes exchangeable \
             paragraphs)"
        }
        _ => "",
    }
}

/// Colour of the sequential scale at `t ∈ [0, 1]`.
pub(super) fn sequential(t: f64) -> (u8, u8, u8) {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (SEQUENTIAL.len() - 1) as f64;
    let i = (x.floor() as usize).min(SEQUENTIAL.len() - 2);
    let f = x - i as f64;
    let (a, b) = (SEQUENTIAL[i], SEQUENTIAL[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// `#rrggbb`.
pub(super) fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Whether dark text is readable on this background (relative luminance).
pub(super) fn is_light((r, g, b): (u8, u8, u8)) -> bool {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b) > 0.28
}

/// Position of a JSD on the colour scale: square root (the Jensen–Shannon distance), so
/// that the small divergences typical of real corpora remain distinguishable.
pub(super) fn jsd_scale(jsd: f64) -> f64 {
    unit(jsd).map_or(0.0, f64::sqrt)
}
