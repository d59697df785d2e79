//! Label shares per group with `1 − alpha` intervals: cluster bootstrap-t over documents,
//! or for a label carried by few documents a cluster Clopper–Pearson (Korn–Graubard)
//! interval, or Goodman simultaneous multinomial intervals for single-document groups.

use super::sample::multinomial;
#[cfg(test)]
use super::DocCounts;
use super::{
    derive_seed, name_hash, CompareError, CompareValidParams, Dimension, DimensionCounts, Grouping,
    SkippedGroup, Typed, CHUNK,
};
#[cfg(test)]
use rand::Rng;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

mod dist;
#[cfg(test)]
mod tests;

use dist::beta_quantile;
pub use dist::{chi_square_1_quantile, goodman_intervals, normal_quantile, student_t_quantile};

/// Seed stream of the share bootstrap.
const STREAM_BOOT: u64 = 1;

/// A label's bootstrap-t interval is used only when at least this many of the group's
/// documents carry it and at least this many carry another label; otherwise (rare or
/// near-universal labels, small groups) the cluster Clopper–Pearson interval.
const MIN_DOCS_BOOT: usize = 10;

/// How a share interval was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareMethod {
    /// Cluster bootstrap over the group's documents, studentized (percentile-t) interval.
    #[serde(rename = "cluster_bootstrap_t_docs")]
    ClusterBootstrapT,
    /// Clopper–Pearson interval with the effective sample size of clustered units (Korn &
    /// Graubard 1998): a label carried by few documents, or a group of few documents.
    #[serde(rename = "cluster_clopper_pearson_docs")]
    ClusterClopperPearson,
    /// Goodman (1965) simultaneous multinomial interval: the group is a single document.
    #[serde(rename = "goodman_multinomial")]
    Goodman,
    /// Goodman interval on the pooled counts of a multi-document group whose documents do
    /// not vary for this label. No longer produced (such rows now get
    /// [`ShareMethod::ClusterClopperPearson`]); kept so that older runs still read.
    #[serde(rename = "goodman_multinomial_pooled")]
    GoodmanPooled,
}

impl ShareMethod {
    /// The name written in output tables.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareMethod::ClusterBootstrapT => "cluster_bootstrap_t_docs",
            ShareMethod::ClusterClopperPearson => "cluster_clopper_pearson_docs",
            ShareMethod::Goodman => "goodman_multinomial",
            ShareMethod::GoodmanPooled => "goodman_multinomial_pooled",
        }
    }
}

/// The share of one label in one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareRow {
    /// The dimension.
    pub dimension: String,
    /// The group's index.
    pub group: usize,
    /// The group's name.
    pub group_name: String,
    /// The label.
    pub label: String,
    /// Units of the group with this label.
    pub count: u64,
    /// Labelled units of the group (the denominator).
    pub n: u64,
    /// Units of the group without a label (unsure/missing; not in `n`).
    pub n_unlabelled: u64,
    /// Documents of the group with at least one labelled unit.
    pub n_docs: usize,
    /// `count / n`.
    pub share: f64,
    /// Lower end of the `1 − alpha` interval, in `[0, share]`.
    pub ci_low: f64,
    /// Upper end of the `1 − alpha` interval, in `[share, 1]`.
    pub ci_high: f64,
    /// How the interval was computed.
    pub method: ShareMethod,
}

/// Shares of every label in every group of one dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharesTable {
    /// The dimension's labels, sorted.
    pub labels: Vec<String>,
    /// One row per group × label, by group then label.
    pub rows: Vec<ShareRow>,
    /// Groups without labelled units: no rows.
    pub skipped: Vec<SkippedGroup>,
    /// The intervals' level, `1 − alpha`.
    pub level: f64,
}

/// Shares of each label per group with `1 − alpha` intervals (see the [module
/// docs](super) for the methods). Deterministic for a given `seed`, whatever the number of
/// threads. The same as [`shares_from_counts`] of [`DimensionCounts::from_units`].
pub fn shares(
    dim: &Dimension<'_>,
    grouping: &Grouping,
    params: &CompareValidParams,
    seed: u64,
) -> Result<SharesTable, CompareError> {
    shares_from_counts(
        &DimensionCounts::from_units(dim, grouping)?,
        grouping,
        params,
        seed,
    )
}

/// [`shares`] from the dimension's sufficient statistics: the label counts of each
/// document. Every document of `counts` must be in `grouping`.
pub fn shares_from_counts(
    counts: &DimensionCounts,
    grouping: &Grouping,
    params: &CompareValidParams,
    seed: u64,
) -> Result<SharesTable, CompareError> {
    let p = params.params();
    let name = counts.name();
    let tab = counts.tabulate(grouping)?;
    let k = tab.labels.len();
    let dim_hash = name_hash(name);
    let per_group: Vec<Vec<ShareRow>> = tab
        .groups
        .par_iter()
        .enumerate()
        .filter(|(_, g)| g.n > 0)
        .map(|(gi, g)| {
            let intervals: Vec<(f64, f64, ShareMethod)> = if g.docs.len() >= 2 {
                let seed = derive_seed(seed, &[STREAM_BOOT, dim_hash, gi as u64]);
                let docs = Typed::select(&tab.types, &[&g.docs]);
                typed_group_intervals(&docs, k, p.n_boot, p.alpha, seed, MIN_DOCS_BOOT)
            } else {
                goodman_intervals(&g.counts, p.alpha)
                    .into_iter()
                    .map(|(lo, hi)| (lo, hi, ShareMethod::Goodman))
                    .collect()
            };
            intervals
                .into_iter()
                .enumerate()
                .map(|(l, (lo, hi, method))| {
                    let share = g.counts[l] as f64 / g.n as f64;
                    ShareRow {
                        dimension: name.to_string(),
                        group: gi,
                        group_name: grouping.group_names[gi].clone(),
                        label: tab.labels[l].clone(),
                        count: g.counts[l],
                        n: g.n,
                        n_unlabelled: g.n_unlabelled,
                        n_docs: g.docs.len(),
                        share,
                        ci_low: lo.clamp(0.0, share),
                        ci_high: hi.clamp(share, 1.0),
                        method,
                    }
                })
                .collect()
        })
        .collect();
    Ok(SharesTable {
        skipped: tab.skipped(name, grouping),
        labels: tab.labels,
        rows: per_group.into_iter().flatten().collect(),
        level: 1.0 - p.alpha,
    })
}

/// Intervals of the `k` shares of a group of ≥ 2 documents (see the [module docs](super)):
/// bootstrap-t for a label carried by at least `min_docs` documents and missing from at
/// least `min_docs` documents, when its bootstrap is not degenerate; otherwise the cluster
/// Clopper–Pearson (Korn–Graubard) interval.
#[cfg(test)]
fn group_intervals(
    docs: &[DocCounts],
    k: usize,
    n_boot: usize,
    alpha: f64,
    seed: u64,
    min_docs: usize,
) -> Vec<(f64, f64, ShareMethod)> {
    typed_group_intervals(&Typed::each(docs), k, n_boot, alpha, seed, min_docs)
}

/// `group_intervals` of typed documents.
fn typed_group_intervals(
    docs: &Typed<'_>,
    k: usize,
    n_boot: usize,
    alpha: f64,
    seed: u64,
    min_docs: usize,
) -> Vec<(f64, f64, ShareMethod)> {
    let mut est = vec![0.0; k];
    let mut tally = vec![0u64; docs.types.len()];
    for &t in &docs.of {
        tally[t as usize] += 1;
    }
    let n = typed_pooled(docs, &tally, &mut est);
    let mut se = vec![0.0; k];
    typed_cluster_se(docs, &tally, &est, n, &mut se);
    let eligible: Vec<bool> = (0..k)
        .map(|l| {
            let (mut with, mut without) = (0, 0);
            for (d, &m) in docs.types.iter().zip(&tally) {
                with += m * u64::from(d.counts[l] > 0);
                without += m * u64::from(d.counts[l] < d.n);
            }
            with >= min_docs as u64 && without >= min_docs as u64 && se[l] > 0.0
        })
        .collect();
    let t = if eligible.iter().any(|&e| e) {
        typed_bootstrap_t_quantiles(docs, &est, &se, n_boot, alpha, seed)
    } else {
        vec![None; k]
    };
    let (deff, deff_max) = design_effects(docs, &est, &se, n);
    let df = (docs.len() - 1) as f64;
    (0..k)
        .map(|l| match t[l] {
            Some((t_lo, t_hi)) if eligible[l] && t_lo.is_finite() && t_hi.is_finite() => {
                let (lo, hi) = bootstrap_t_interval(est[l], se[l], t_lo, t_hi);
                (lo, hi, ShareMethod::ClusterBootstrapT)
            }
            _ => {
                let (lo, hi) = cluster_clopper_pearson(est[l], n, deff[l], deff_max, df, alpha);
                (lo, hi, ShareMethod::ClusterClopperPearson)
            }
        })
        .collect()
}

/// Design effect of each label's pooled share: the larger of the label's own
/// (`se² / (p̂(1 − p̂)/n)`, undefined at `p̂ ∈ {0, 1}`) and the group's pooled one over all
/// labels (`Σ se² / Σ p̂(1 − p̂)/n`), kept within `[1, Σ n_d² / n]` (no clustering at all;
/// every document carrying a single label); and that largest design effect `Σ n_d² / n`.
fn design_effects(docs: &Typed<'_>, est: &[f64], se: &[f64], n: f64) -> (Vec<f64>, f64) {
    let binom = |p: f64| p * (1.0 - p) / n;
    let num: f64 = se.iter().map(|s| s * s).sum();
    let den: f64 = est.iter().map(|&p| binom(p)).sum();
    let group = if den > 0.0 { num / den } else { 1.0 };
    let max = ((0..docs.len())
        .map(|d| (docs.doc(d).n as f64) * (docs.doc(d).n as f64))
        .sum::<f64>()
        / n)
        .max(1.0);
    let deff = est
        .iter()
        .zip(se)
        .map(|(&p, &s)| {
            let own = if binom(p) > 0.0 {
                s * s / binom(p)
            } else {
                0.0
            };
            own.max(group).clamp(1.0, max)
        })
        .collect();
    (deff, max)
}

/// Korn & Graubard's (1998) Clopper–Pearson interval for a share `p̂` of `n` clustered units
/// with design effect `deff`, its variance estimated with `df` degrees of freedom (∞: known):
/// the exact binomial interval of `x* = p̂ n*` successes in
/// `n* = n / min(deff · (t_df,₁₋α/₂ / z₁₋α/₂)², deff_max)` trials, with real-valued `x*` and
/// `n*`. `[0, 1 − (α/2)^(1/n*)]` at `p̂ = 0`; mirrored at `p̂ = 1`. The cap `deff_max`
/// (`Σ n_d² / n`, every document speaking with a single label) keeps the degrees-of-freedom
/// penalty of a few documents from making the paragraphs worth less than whole documents
/// (less than one trial, with 2 documents).
fn cluster_clopper_pearson(
    p: f64,
    n: f64,
    deff: f64,
    deff_max: f64,
    df: f64,
    alpha: f64,
) -> (f64, f64) {
    let z = normal_quantile(1.0 - alpha / 2.0);
    let t = if df.is_finite() {
        student_t_quantile(1.0 - alpha / 2.0, df)
    } else {
        z
    };
    let n_star = n / (deff * (t / z) * (t / z)).min(deff_max).max(1.0);
    let x = p * n_star;
    let lo = if p <= 0.0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, x, n_star - x + 1.0)
    };
    let hi = if p >= 1.0 {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, x + 1.0, n_star - x)
    };
    (lo, hi)
}

/// Cluster-robust standard errors of the pooled shares of the documents `sel` (indices into
/// `docs`), given the pooled shares `p` and total `n`; written into `se`.
#[cfg(test)]
fn cluster_se(docs: &[DocCounts], sel: &[usize], p: &[f64], n: f64, se: &mut [f64]) {
    let g = sel.len() as f64;
    se.iter_mut().for_each(|s| *s = 0.0);
    for &d in sel {
        let doc = &docs[d];
        let nd = doc.n as f64;
        for ((s, &y), &pl) in se.iter_mut().zip(&doc.counts).zip(p) {
            let e = y as f64 - pl * nd;
            *s += e * e;
        }
    }
    let f = g / (g - 1.0);
    se.iter_mut().for_each(|s| *s = (f * *s).sqrt() / n);
}

/// Pooled shares of the documents `sel`; returns the total.
#[cfg(test)]
fn pooled(docs: &[DocCounts], sel: &[usize], p: &mut [f64]) -> f64 {
    p.iter_mut().for_each(|x| *x = 0.0);
    let mut n = 0.0;
    for &d in sel {
        n += docs[d].n as f64;
        for (x, &y) in p.iter_mut().zip(&docs[d].counts) {
            *x += y as f64;
        }
    }
    p.iter_mut().for_each(|x| *x /= n);
    n
}

/// Pooled shares of typed documents, `tally[t]` of them of type `t`; returns the total.
/// Sums of integers, so the same as the sum document by document in any order.
fn typed_pooled(docs: &Typed<'_>, tally: &[u64], p: &mut [f64]) -> f64 {
    p.iter_mut().for_each(|x| *x = 0.0);
    let mut n = 0;
    for (d, &m) in docs.types.iter().zip(tally) {
        if m == 0 {
            continue;
        }
        n += m * d.n;
        for (x, &y) in p.iter_mut().zip(&d.counts) {
            *x += (m * y) as f64;
        }
    }
    let n = n as f64;
    p.iter_mut().for_each(|x| *x /= n);
    n
}

/// `cluster_se` of typed documents, `tally[t]` of them of type `t`: each type's squared
/// residual is computed once and weighted by its number of documents, in type order.
fn typed_cluster_se(docs: &Typed<'_>, tally: &[u64], p: &[f64], n: f64, se: &mut [f64]) {
    let g = tally.iter().sum::<u64>() as f64;
    se.iter_mut().for_each(|s| *s = 0.0);
    for (d, &m) in docs.types.iter().zip(tally) {
        if m == 0 {
            continue;
        }
        let (nd, m) = (d.n as f64, m as f64);
        for ((s, &y), &pl) in se.iter_mut().zip(&d.counts).zip(p) {
            let e = y as f64 - pl * nd;
            *s += m * (e * e);
        }
    }
    let f = g / (g - 1.0);
    se.iter_mut().for_each(|s| *s = (f * *s).sqrt() / n);
}

/// The `α/2` and `1 − α/2` quantiles `(t_lo, t_hi)` of the studentized cluster bootstrap
/// statistic `t* = (p* − p̂)/se*` of each of the pooled shares `est` (standard errors `se`)
/// of `docs` (≥ 2 documents, each with ≥ 1 unit). `None` for a label whose standard error
/// is 0. A resample with `se* = 0` gives `t* = ±∞` (0 when `p* = p̂`), so a quantile is
/// infinite when more than about `α/2` of the resamples are degenerate.
#[cfg(test)]
fn bootstrap_t_quantiles(
    docs: &[DocCounts],
    est: &[f64],
    se: &[f64],
    n_boot: usize,
    alpha: f64,
    seed: u64,
) -> Vec<Option<(f64, f64)>> {
    typed_bootstrap_t_quantiles(&Typed::each(docs), est, se, n_boot, alpha, seed)
}

/// `bootstrap_t_quantiles` of typed documents. A resample of the `G` documents with
/// replacement is drawn as the number of times each type is drawn (a multinomial draw, one
/// binomial draw per type in type order; see [`sample`](super::sample)); its pooled shares
/// and standard errors are sums over the types, so a resample costs `O(T k)` for `T` types
/// and `k` labels plus the draws, whatever the number of documents.
fn typed_bootstrap_t_quantiles(
    docs: &Typed<'_>,
    est: &[f64],
    se: &[f64],
    n_boot: usize,
    alpha: f64,
    seed: u64,
) -> Vec<Option<(f64, f64)>> {
    let g = docs.len() as u64;
    let k = est.len();
    let n_types = docs.types.len();
    if se.iter().all(|&s| s <= 0.0) {
        return vec![None; k];
    }
    let mut tally = vec![0u64; n_types];
    for &t in &docs.of {
        tally[t as usize] += 1;
    }
    let n_chunks = n_boot.div_ceil(CHUNK);
    // t* values, chunk-major: each chunk gives `len × k` values, resample-major.
    let chunks: Vec<Vec<f64>> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let len = CHUNK.min(n_boot - c * CHUNK);
            let mut rng = Xoshiro256Plus::seed_from_u64(derive_seed(seed, &[c as u64]));
            let mut drawn = vec![0u64; n_types];
            let mut p = vec![0.0; k];
            let mut s = vec![0.0; k];
            let mut out = Vec::with_capacity(len * k);
            for _ in 0..len {
                multinomial(&mut rng, &tally, g, &mut drawn);
                let nb = typed_pooled(docs, &drawn, &mut p);
                typed_cluster_se(docs, &drawn, &p, nb, &mut s);
                out.extend(p.iter().zip(&s).zip(est).map(|((&pb, &sb), &e)| {
                    if sb > 0.0 {
                        (pb - e) / sb
                    } else if pb == e {
                        0.0
                    } else if pb > e {
                        f64::INFINITY
                    } else {
                        f64::NEG_INFINITY
                    }
                }));
            }
            out
        })
        .collect();
    let mut t = vec![0.0; n_boot];
    (0..k)
        .map(|l| {
            if se[l] <= 0.0 {
                return None;
            }
            let mut i = 0;
            for ch in &chunks {
                for v in ch.chunks_exact(k) {
                    t[i] = v[l];
                    i += 1;
                }
            }
            t.sort_unstable_by(f64::total_cmp);
            let last = (n_boot - 1) as f64;
            let t_lo = t[(last * alpha / 2.0).floor() as usize];
            let t_hi = t[(last * (1.0 - alpha / 2.0)).ceil() as usize];
            Some((t_lo, t_hi))
        })
        .collect()
}

/// The bootstrap-t interval `[p̂ − t_hi · se, p̂ − t_lo · se]`, within `[0, 1]` (an infinite
/// quantile gives the bound 0 or 1).
fn bootstrap_t_interval(est: f64, se: f64, t_lo: f64, t_hi: f64) -> (f64, f64) {
    let lo = est - t_hi * se;
    let hi = est - t_lo * se;
    (
        if lo.is_nan() { 0.0 } else { lo.clamp(0.0, 1.0) },
        if hi.is_nan() { 1.0 } else { hi.clamp(0.0, 1.0) },
    )
}
