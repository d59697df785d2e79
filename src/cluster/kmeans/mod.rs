//! k-means (k-means++ initialisation, Lloyd iterations, restarts) with an automatic choice
//! of k by silhouette, written for bit-identical results on any number of rayon threads.
//!
//! Why not linfa-clustering 0.8's `KMeans` (measured on the 20newsgroups LSA embedding,
//! 11,314 × 100 f32, k = 20, 10 runs, 2-core machine shared with other builds):
//! * its default init (`KMeansPara`, k-means‖) seeds one RNG per rayon job, so labels and
//!   centroids differ between a 1- and a 2-thread pool (checked: not bit-identical);
//! * with `KMeansPlusPlus` it is deterministic but took 46 s (1 thread) / 43 s (2 threads),
//!   against 0.8 s for this file at the time of that comparison (before its AVX-512 kernel;
//!   ~8 s for scikit-learn 1.9 on the same data): restarts
//!   run one after another from a single RNG, each row–centroid distance is a separate
//!   generic call, and its convergence test (absolute centroid shift) rarely stops early;
//! * it is not scikit-learn's Lloyd: the update counts the old centroid as one more member
//!   ("m_k-means"), k-means++ is not greedy, there is no empty-cluster relocation, and the
//!   fit returns neither the labels nor the iteration count.
//!
//! Semantics follow scikit-learn's `KMeans(algorithm="lloyd")`:
//! * k-means++ init, greedy with `2 + ⌊ln k⌋` local trials per centre;
//! * Lloyd iterations, stopping when the labels no longer change ("strict convergence") or
//!   when the summed squared centroid shift is at most `tol × mean column variance`, or
//!   after `max_iter` iterations (then a last assignment step matches labels to centres);
//! * an empty cluster is re-seeded with the point farthest from its assigned centre
//!   (ties: smaller row index), that point leaving its old cluster;
//! * `n_init` restarts, the lowest inertia kept (ties: the earlier restart).
//!
//! Determinism: restart `r` uses its own xoshiro256+ stream (the `seed` stream after `r`
//! jumps), so restarts run in parallel. Inside a restart, rows are processed in fixed blocks
//! of [`CHUNK`] rows and every per-block partial sum is reduced in block order, so nothing
//! depends on how rayon schedules the blocks.
//!
//! Distances use `‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖²` with `f32` dot products; centroid sums,
//! inertia and variances are accumulated in `f64`. The assignment kernel keeps the rows
//! transposed in blocks of sixteen (one AVX-512 register holds one coordinate of sixteen
//! rows) and scores eight centroids per pass, each a broadcast multiply and an add per
//! coordinate: register-blocked like a small GEMM, without horizontal sums. It runs with
//! AVX-512F or AVX2 intrinsics when the CPU has them (runtime detection) and as portable
//! code otherwise; every path sums each dot product over the coordinates in order with
//! separate multiplies and adds, so all of them give the same bits.
//! With AVX-512 the best-centroid update also stays in registers (a masked compare and blend
//! per centroid instead of a branch per row). On the 20newsgroups LSA embedding (11,014 ×
//! 100, k = 20, 10 restarts, 2 threads) the whole fit takes 0.20 s; scikit-learn's KMeans
//! takes 1.04 s in the same benchmark run.

mod init;
mod kernels;
mod lloyd;
mod silhouette;
mod stability;
#[cfg(test)]
mod tests;

use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Data, Ix2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;

use super::error::ClusterError;
use super::params::{ChooseK, ClusterParams};
use crate::progress::{NoProgress, Progress};
use init::kmeans_plusplus;
use kernels::{assign, dot, transpose_rows, LANES};
use lloyd::lloyd;
use silhouette::{sample_rows, silhouettes};
use stability::{stability, Stability};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rows per parallel block (fixed: the reduction order must not depend on the threads).
const CHUNK: usize = 512;
const _: () = assert!(
    CHUNK.is_multiple_of(LANES),
    "blocks must start on a lane block"
);
/// Squared distances below this count as "on the centroid" for the soft membership.
const ZERO_DIST: f64 = 1e-12;

/// A k-means clustering of paragraph embeddings.
#[derive(Clone, Debug, PartialEq)]
pub struct Clustering {
    /// Number of topics (clusters).
    pub k: usize,
    /// Topic of each row, in `0..k`; topic 0 is the largest (ties: smallest member row).
    pub labels: Vec<usize>,
    /// `k × dim` centroids (mean of each topic's rows), in topic order.
    pub centroids: Array2<f32>,
    /// Soft membership of each row in its own topic: the fuzzy c-means membership with
    /// fuzzifier `m = 2` evaluated at the k-means centroids,
    /// `u_j(x) = (1/‖x − c_j‖²) / Σ_t (1/‖x − c_t‖²)`. It is 1 on the centroid, tends to
    /// `1/k` for a row equidistant from every centroid and is `1.0` when `k = 1`; when the
    /// row coincides with several centroids they share the membership equally. The full
    /// rows are given by [`Clustering::membership`].
    pub prob: Vec<f32>,
    /// Euclidean distance of each row to its own centroid (exact, in `f64`, then `f32`).
    pub distance: Vec<f32>,
    /// Sum over rows of the squared Euclidean distance to the own centroid.
    pub inertia: f64,
    /// Lloyd iterations of the kept restart.
    pub n_iter: usize,
    /// `(k, mean silhouette)` for every `k` tried by the automatic choice, in increasing
    /// `k`; empty when `k` was given (or when the corpus was too small to compare any).
    pub k_scores: Vec<(usize, f64)>,
    /// `(k, stability)` for every k tried (or the given k) when `stability_runs > 0`: the
    /// mean over topics of their stability (see [`ClusterParams::stability_runs`]).
    pub stability_by_k: Vec<(usize, f64)>,
    /// Per topic, its stability (mean Jaccard overlap of its members with the matched topic
    /// of each re-fit); empty when `stability_runs = 0`.
    pub topic_stability: Vec<f64>,
    /// Guided topics: the topic id that grew from each seed centre, in the seeds' order
    /// (empty without seeds).
    pub seeded: Vec<usize>,
    /// Human-readable notes (range narrowed, single topic, empty topics…).
    pub warnings: Vec<String>,
}

impl Clustering {
    /// For each topic, up to `n` of its member rows closest to its centroid (squared
    /// Euclidean distance, ties by row index), closest first. `x` must be the matrix that was
    /// clustered; with a different number of columns every list is empty, and rows beyond
    /// `labels.len()` are ignored.
    pub fn representatives(&self, x: ArrayView2<f32>, n: usize) -> Vec<Vec<usize>> {
        representatives(&self.labels, self.centroids.view(), x, n)
    }

    /// The full `rows × k` soft-membership matrix of `x` (see [`Clustering::prob`] for the
    /// formula; each row sums to 1). With a different number of columns than the centroids
    /// the result has 0 columns.
    pub fn membership(&self, x: ArrayView2<f32>) -> Array2<f32> {
        if x.ncols() != self.centroids.ncols() {
            return Array2::zeros((x.nrows(), 0));
        }
        let k = self.k;
        let cent: Vec<f32> = self.centroids.iter().copied().collect();
        let mut out = Array2::<f32>::zeros((x.nrows(), k));
        let mut d2 = vec![0.0f64; k];
        let mut u = vec![0.0f64; k];
        for (row, mut orow) in x.rows().into_iter().zip(out.rows_mut()) {
            let xr: Vec<f32> = row.iter().copied().collect();
            exact_sq_dists(&xr, &cent, k, &mut d2);
            fuzzy_membership(&d2, &mut u);
            for (o, &v) in orow.iter_mut().zip(&u) {
                *o = v as f32;
            }
        }
        out
    }
}

/// Rows as a contiguous row-major `f32` block with squared norms, and transposed in
/// blocks of [`LANES`] rows for the assignment kernel.
struct Points {
    x: Vec<f32>,
    /// The rows in the layout of [`transpose_rows`].
    xt: Vec<f32>,
    n: usize,
    d: usize,
    sq: Vec<f32>,
}

impl Points {
    fn new(x: ArrayView2<f32>) -> Result<Self, ClusterError> {
        let (n, d) = x.dim();
        if n == 0 {
            return Err(ClusterError::NoRows);
        }
        if d == 0 {
            return Err(ClusterError::NoDimensions { rows: n });
        }
        let mut flat = Vec::with_capacity(n * d);
        let mut sq = Vec::with_capacity(n);
        for (r, row) in x.rows().into_iter().enumerate() {
            let mut s = 0.0f32;
            for (c, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(ClusterError::NonFinite {
                        row: r,
                        col: c,
                        value: v,
                    });
                }
                flat.push(v);
            }
            s += dot(&flat[r * d..], &flat[r * d..]);
            if !s.is_finite() || f64::from(s) * 4.0 >= f64::from(f32::MAX) {
                return Err(ClusterError::Overflow { row: r });
            }
            sq.push(s);
        }
        let xt = transpose_rows(&flat, n, d);
        Ok(Self {
            x: flat,
            xt,
            n,
            d,
            sq,
        })
    }

    /// The rows `rows` (indices into these points) as points of their own.
    fn subset(&self, rows: &[usize]) -> Points {
        let d = self.d;
        let mut x = Vec::with_capacity(rows.len() * d);
        for &r in rows {
            x.extend_from_slice(self.row(r));
        }
        let xt = transpose_rows(&x, rows.len(), d);
        Points {
            x,
            xt,
            n: rows.len(),
            d,
            sq: rows.iter().map(|&r| self.sq[r]).collect(),
        }
    }

    #[inline]
    fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// Mean over columns of the population variance of each column (`f64`).
    fn mean_variance(&self) -> f64 {
        let (n, d) = (self.n, self.d);
        let mut mean = vec![0.0f64; d];
        for row in self.x.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0f64; d];
        for row in self.x.chunks_exact(d) {
            for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(row) {
                let t = f64::from(v) - m;
                *s += t * t;
            }
        }
        var.iter().sum::<f64>() / (n as f64 * d as f64)
    }
}

/// Exact squared distances (in `f64`) of `x` to each of the `k` centroids.
fn exact_sq_dists(x: &[f32], cent: &[f32], k: usize, out: &mut [f64]) {
    let d = x.len();
    for (j, o) in out.iter_mut().enumerate().take(k) {
        *o = x
            .iter()
            .zip(&cent[j * d..(j + 1) * d])
            .map(|(&a, &b)| {
                let t = f64::from(a) - f64::from(b);
                t * t
            })
            .sum();
    }
}

/// Fuzzy c-means memberships (m = 2) from squared distances.
fn fuzzy_membership(d2: &[f64], u: &mut [f64]) {
    let zeros = d2.iter().filter(|&&v| v <= ZERO_DIST).count();
    if zeros > 0 {
        for (o, &v) in u.iter_mut().zip(d2) {
            *o = if v <= ZERO_DIST {
                1.0 / zeros as f64
            } else {
                0.0
            };
        }
        return;
    }
    let inv_sum: f64 = d2.iter().map(|&v| 1.0 / v).sum();
    for (o, &v) in u.iter_mut().zip(d2) {
        *o = (1.0 / v) / inv_sum;
    }
}

/// One k-means run (or the best of several).
struct Run {
    labels: Vec<u32>,
    centroids: Vec<f32>,
    inertia: f64,
    n_iter: usize,
}

/// Best of `n_init` restarts for a fixed `k`. Reports one unit per restart to `progress`,
/// with the message `what` followed by `, restart i/n_init`.
fn fit_k(
    p: &Points,
    k: usize,
    params: &ClusterParams,
    seed: u64,
    progress: &dyn Progress,
    what: &str,
) -> Run {
    fit_k_from(p, k, &[], params, seed, progress, what)
}

/// [`fit_k`] with `fixed` initial centres (guided topics; see [`kmeans_plusplus`]).
fn fit_k_from(
    p: &Points,
    k: usize,
    fixed: &[f32],
    params: &ClusterParams,
    seed: u64,
    progress: &dyn Progress,
    what: &str,
) -> Run {
    let done = AtomicUsize::new(0);
    progress.message(&format!("{what}, restart 0/{}", params.n_init));
    let tol = params.tol * p.mean_variance();
    let mut base = Xoshiro256Plus::seed_from_u64(seed);
    let rngs: Vec<Xoshiro256Plus> = (0..params.n_init)
        .map(|_| {
            let r = base.clone();
            base.jump();
            r
        })
        .collect();
    let runs: Vec<Run> = rngs
        .into_par_iter()
        .map(|mut rng| {
            let centers = kmeans_plusplus(p, k, fixed, &mut rng);
            let run = lloyd(p, centers, k, params.max_iter, tol);
            let i = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress.inc(1);
            progress.message(&format!("{what}, restart {i}/{}", params.n_init));
            run
        })
        .collect();
    let mut best: Option<Run> = None;
    for run in runs {
        if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
            best = Some(run);
        }
    }
    // n_init ≥ 1 is checked by the params; fall back to a trivial run otherwise.
    best.unwrap_or_else(|| Run {
        labels: vec![0; p.n],
        centroids: p.row(0).repeat(k),
        inertia: f64::INFINITY,
        n_iter: 0,
    })
}

/// Relabels so that topic 0 is the largest (ties: smallest member row); empty clusters
/// last, ordered by their centroid values. Returns the new labels and centroids and the
/// number of empty clusters.
fn canonical(run: &Run, k: usize, d: usize) -> (Vec<usize>, Vec<f32>, usize) {
    let (labels, centroids, empty, _) = canonical_ids(run, k, d);
    (labels, centroids, empty)
}

/// [`canonical`], and each run cluster's new id.
fn canonical_ids(run: &Run, k: usize, d: usize) -> (Vec<usize>, Vec<f32>, usize, Vec<usize>) {
    let mut size = vec![0usize; k];
    let mut first = vec![usize::MAX; k];
    for (i, &l) in run.labels.iter().enumerate() {
        let l = l as usize;
        size[l] += 1;
        first[l] = first[l].min(i);
    }
    let cent = |j: usize| &run.centroids[j * d..(j + 1) * d];
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        size[b]
            .cmp(&size[a])
            .then(first[a].cmp(&first[b]))
            .then_with(|| {
                cent(a)
                    .iter()
                    .zip(cent(b))
                    .map(|(x, y)| x.total_cmp(y))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .then(a.cmp(&b))
    });
    let mut new_id = vec![0usize; k];
    let mut centroids = Vec::with_capacity(k * d);
    for (new, &old) in order.iter().enumerate() {
        new_id[old] = new;
        centroids.extend_from_slice(cent(old));
    }
    let labels = run.labels.iter().map(|&l| new_id[l as usize]).collect();
    let empty = size.iter().filter(|&&s| s == 0).count();
    (labels, centroids, empty, new_id)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A warning when the automatic k is `k_max`, the last k tried, and the criterion (mean
/// silhouette or stability) still rises there: the corpus may have more topics than the
/// search allowed.
fn k_max_warning(
    k_scores: &[(usize, f64)],
    best: usize,
    k_max: usize,
    by: ChooseK,
) -> Option<String> {
    let n = k_scores.len();
    if n < 2 || best != n - 1 || k_scores[n - 1].0 != k_max {
        return None;
    }
    let (k0, s0) = k_scores[n - 2];
    let (k1, s1) = k_scores[n - 1];
    let what = match by {
        ChooseK::Silhouette => "mean silhouette",
        ChooseK::Stability => "stability",
    };
    (s1 > s0).then(|| {
        format!(
            "the automatic k = {k1} is the largest k tried ([cluster] k_max = {k_max}) and the \
             {what} still rises there ({s0:.3} at k = {k0}, {s1:.3} at k = {k1}): the \
             corpus may have more topics; raise [cluster] k_max in the config, or set the \
             number of topics with --k"
        )
    })
}

/// For each of the `centroids.nrows()` topics, up to `n` of its member rows of `x` (by
/// `labels`) closest to its centroid (squared Euclidean distance, ties by row index),
/// closest first. With a different number of columns every list is empty; rows beyond
/// `labels.len()` and labels out of range are ignored.
pub fn representatives(
    labels: &[usize],
    centroids: ArrayView2<f32>,
    x: ArrayView2<f32>,
    n: usize,
) -> Vec<Vec<usize>> {
    let k = centroids.nrows();
    let mut per: Vec<Vec<(f64, usize)>> = vec![Vec::new(); k];
    if x.ncols() != centroids.ncols() {
        return per.into_iter().map(|_| Vec::new()).collect();
    }
    for (i, (row, &lab)) in x.rows().into_iter().zip(labels).enumerate() {
        if lab >= k {
            continue;
        }
        let d: f64 = row
            .iter()
            .zip(centroids.row(lab))
            .map(|(&a, &b)| {
                let t = a as f64 - b as f64;
                t * t
            })
            .sum();
        per[lab].push((d, i));
    }
    per.into_iter()
        .map(|mut v| {
            v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            v.into_iter().take(n).map(|(_, i)| i).collect()
        })
        .collect()
}

/// The membership of each row in its own topic (see [`Clustering::prob`]) and its exact
/// Euclidean distance to that topic's centroid.
fn soft_membership(p: &Points, cent: &[f32], k: usize, labels: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let mut d2 = vec![0.0f64; k];
    let mut u = vec![0.0f64; k];
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            exact_sq_dists(p.row(i), cent, k, &mut d2);
            fuzzy_membership(&d2, &mut u);
            (u[l] as f32, d2[l].sqrt() as f32)
        })
        .unzip()
}

/// Topics of new rows under fitted centroids: each row goes to its nearest centroid.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// Topic of each row, in `0..k`.
    pub labels: Vec<usize>,
    /// Soft membership in the own topic (as [`Clustering::prob`]).
    pub prob: Vec<f32>,
    /// Euclidean distance to the own centroid (as [`Clustering::distance`]).
    pub distance: Vec<f32>,
}

/// Assigns the rows of `x` to the nearest of `centroids` (`k × dim`) with the kernel the fit
/// uses, so that rows of the fitted matrix get exactly the labels the fit gave them.
pub fn assign_nearest(
    centroids: ArrayView2<f32>,
    x: ArrayView2<f32>,
) -> Result<Assignment, ClusterError> {
    let p = Points::new(x)?;
    let (k, d) = centroids.dim();
    if d != p.d || k == 0 {
        return Err(ClusterError::DimensionMismatch {
            rows: p.d,
            centroids: d,
            k,
        });
    }
    let cent: Vec<f32> = centroids.iter().copied().collect();
    let mut labels = vec![0u32; p.n];
    let mut dists = vec![0.0f32; p.n];
    assign(&p, &cent, k, &mut labels, &mut dists, false);
    let labels: Vec<usize> = labels.into_iter().map(|l| l as usize).collect();
    let (prob, distance) = soft_membership(&p, &cent, k, &labels);
    Ok(Assignment {
        labels,
        prob,
        distance,
    })
}

/// Nearest-centroid prediction as a linfa model (`linfa::traits::Predict` comes with it):
/// the labels of [`assign_nearest`], i.e. the fit's own assignment kernel, so the rows of
/// the fitted matrix get exactly the labels the fit gave them.
///
/// # Panics
/// As linfa's own models on bad shapes: when `y` does not have one entry per row, or when
/// [`assign_nearest`] fails (rows of another dimension than the centroids, non-finite
/// values, squared norms overflowing `f32`).
impl<D: Data<Elem = f32>> linfa::traits::PredictInplace<ArrayBase<D, Ix2>, Array1<usize>>
    for Clustering
{
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        assert_eq!(
            x.nrows(),
            y.len(),
            "the number of rows and of predicted labels differ"
        );
        if x.nrows() == 0 {
            return;
        }
        let a = assign_nearest(self.centroids.view(), x.view())
            .unwrap_or_else(|e| panic!("cannot assign the rows to topics: {e}"));
        for (o, l) in y.iter_mut().zip(a.labels) {
            *o = l;
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

/// Entry point of [`ClusterValidParams::fit`](super::ClusterValidParams::fit).
pub(crate) fn fit(
    params: &ClusterParams,
    x: ArrayView2<f32>,
    seed: u64,
    fixed: Option<ArrayView2<f32>>,
    progress: &dyn Progress,
) -> Result<Clustering, ClusterError> {
    let p = Points::new(x)?;
    let n = p.n;
    // Guided topics: their seed centres start the first k-means centres of every fit.
    let fixed: Vec<f32> = match fixed {
        Some(f) if f.nrows() > 0 => {
            if f.ncols() != p.d || f.iter().any(|v| !v.is_finite()) {
                return Err(ClusterError::BadSeeds {
                    seed_dims: f.ncols(),
                    dims: p.d,
                });
            }
            f.iter().copied().collect()
        }
        _ => Vec::new(),
    };
    let n_seeds = fixed.len() / p.d;
    let fixed = fixed.as_slice();
    let mut warnings = Vec::new();
    let mut k_scores = Vec::new();
    let mut stability_by_k: Vec<(usize, f64)> = Vec::new();
    let mut stabilities: Vec<Stability> = Vec::new();
    let mut chosen_stability: Option<Stability> = None;
    let run_k;
    let run = match params.k {
        Some(k) => {
            if k > n {
                return Err(ClusterError::TooFewRows { k, rows: n });
            }
            if k < n_seeds {
                return Err(ClusterError::TooManySeeds { k, seeds: n_seeds });
            }
            run_k = k;
            progress.set_total(params.n_init as u64);
            fit_k_from(&p, k, fixed, params, seed, progress, &format!("k = {k}"))
        }
        None if n < 3 => {
            warnings.push(format!(
                "automatic k needs at least 3 paragraphs to compare topic counts by silhouette; \
                 the corpus has {}, so they form a single topic",
                plural(n, "paragraph", "paragraphs")
            ));
            run_k = 1;
            progress.set_total(params.n_init as u64);
            fit_k(&p, 1, params, seed, progress, "k = 1")
        }
        None => {
            let lo = params.k_min.min(n - 1);
            // Rule of thumb k ≈ √(n/2): the default ceiling, not worth a warning.
            let cap = lo.max(((n as f64) / 2.0).sqrt() as usize);
            let hi = params.k_max.min(n - 1).min(cap);
            if lo != params.k_min || hi < params.k_max.min(cap) {
                warnings.push(format!(
                    "automatic k searched {lo}..={hi} instead of {}..={}: the corpus has only {} \
                     (the silhouette needs k ≤ n − 1)",
                    params.k_min,
                    params.k_max,
                    plural(n, "paragraph", "paragraphs")
                ));
            }
            // Guided topics: at least one topic per seed (and the seeds plus one free topic
            // when the range allowed more).
            let (lo, hi) = if n_seeds > lo {
                let s = n_seeds.min(n - 1);
                let h = hi.max(s);
                warnings.push(format!(
                    "automatic k searched {s}..={h}: {n_seeds} guided topics ([topics] seeds) need \
                     k of at least {n_seeds}"
                ));
                (s, h)
            } else {
                (lo, hi)
            };
            progress.set_total(((hi + 1).saturating_sub(lo) * params.n_init) as u64);
            let runs: Vec<(usize, Run)> = (lo..=hi)
                .map(|k| {
                    let what = format!("k {k} of {lo}..={hi}");
                    (k, fit_k_from(&p, k, fixed, params, seed, progress, &what))
                })
                .collect();
            let sample = sample_rows(n, params.silhouette_sample, seed);
            let labelings: Vec<(usize, &[u32])> = runs
                .iter()
                .map(|(k, r)| (*k, r.labels.as_slice()))
                .collect();
            progress.start("silhouette", sample.len() as u64);
            progress.message(&format!("{} values of k", runs.len()));
            let scores = silhouettes(&p, &sample, &labelings, progress);
            let mut best;
            k_scores = runs.iter().map(|(k, _)| *k).zip(scores).collect();
            if params.stability_runs > 0 {
                progress.start("stability", runs.len() as u64);
                for (k, r) in &runs {
                    progress.message(&format!(
                        "k = {k}: {} re-fits on {:.0}% samples",
                        params.stability_runs,
                        params.stability_sample * 100.0
                    ));
                    let (labels, _, _) = canonical(r, *k, p.d);
                    let st = stability(&p, *k, &labels, fixed, params, seed);
                    stability_by_k.push((*k, st.score));
                    stabilities.push(st);
                    progress.inc(1);
                }
            }
            let criterion = match params.choose_k {
                ChooseK::Silhouette => &k_scores,
                ChooseK::Stability => &stability_by_k,
            };
            best = 0;
            for (i, &(_, s)) in criterion.iter().enumerate() {
                if s > criterion[best].1 || (criterion[best].1.is_nan() && !s.is_nan()) {
                    best = i;
                }
            }
            if let Some(w) = k_max_warning(criterion, best, params.k_max, params.choose_k) {
                warnings.push(w);
            }
            chosen_stability = stabilities.get(best).cloned();
            let (k, r) = runs
                .into_iter()
                .nth(best)
                .unwrap_or_else(|| (1, fit_k(&p, 1, params, seed, &NoProgress, "k = 1")));
            run_k = k;
            r
        }
    };
    let k = run_k;
    let d = p.d;
    let (labels, cent, empty, new_id) = canonical_ids(&run, k, d);
    // Topic of each seed: the cluster that started from its centre.
    let seeded: Vec<usize> = (0..n_seeds.min(k)).map(|j| new_id[j]).collect();
    if empty > 0 {
        warnings.push(format!(
            "k-means left {empty} of the {k} topics empty (too few distinct paragraphs); \
             they are the last topic ids, {}..{k}",
            k - empty
        ));
    }
    if params.stability_runs > 0 && chosen_stability.is_none() {
        progress.start("stability", 1);
        progress.message(&format!(
            "k = {k}: {} re-fits on {:.0}% samples",
            params.stability_runs,
            params.stability_sample * 100.0
        ));
        let st = stability(&p, k, &labels, fixed, params, seed);
        stability_by_k = vec![(k, st.score)];
        chosen_stability = Some(st);
    }
    let (prob, distance) = soft_membership(&p, &cent, k, &labels);
    let centroids = Array2::from_shape_vec((k, d), cent).unwrap_or_else(|_| Array2::zeros((k, d)));
    Ok(Clustering {
        k,
        labels,
        centroids,
        prob,
        distance,
        inertia: run.inertia,
        n_iter: run.n_iter,
        k_scores,
        stability_by_k,
        topic_stability: chosen_stability.map(|s| s.per_topic).unwrap_or_default(),
        seeded,
        warnings,
    })
}
