//! Linear classifiers on sparse (CSR) features: L2-regularised squared-hinge SVM and
//! L2-regularised logistic regression, both solved in the dual by coordinate descent as
//! LIBLINEAR does, one-vs-rest for multi-class and multi-label data.
//!
//! # Why our own solvers
//!
//! No Rust crate solves these problems well on sparse input: `linfa-svm` is a kernel SMO
//! solver on dense `ndarray` input, and `linfa-logistic` (L-BFGS through `argmin`) also
//! takes dense input only. Text features are wide and sparse (SemEval-2016 per-target word
//! 1–3-grams plus char 2–5-grams: ~600 rows × ~90,000 columns, ~0.5% non-zero), so a dense
//! copy would cost gigabytes and its products would be dominated by zeros. The dual
//! coordinate descent methods of LIBLINEAR touch each row's non-zeros once per pass and are
//! what scikit-learn's `LinearSVC` and `LogisticRegression(solver="liblinear")` run, so we
//! implement them here (a few hundred lines) and match those models.
//!
//! # Solvers
//!
//! * **Linear SVM** (`L2R_L2LOSS_SVC_DUAL`, Hsieh et al. 2008, "A dual coordinate descent
//!   method for large-scale linear SVM"): minimise `½‖w‖² + Σᵢ Cᵢ max(0, 1 − yᵢ wᵀxᵢ)²`
//!   through its dual `½αᵀQ̄α − eᵀα, α ≥ 0`, `Q̄ = Q + D`, `Dᵢᵢ = 1/(2Cᵢ)`. Each pass visits
//!   the active coordinates in a fresh random order; with `shrinking` the coordinates
//!   whose projected gradient shows they will stay at the bound are removed from the active
//!   set, and when the remaining ones have converged the full set is checked once more
//!   (LIBLINEAR's scheme). Stops when `max PG − min PG ≤ tol` over a full pass.
//! * **Logistic regression** (`L2R_LR_DUAL`, Yu, Huang & Lin 2011, "Dual coordinate descent
//!   methods for logistic regression and maximum entropy models"): the dual
//!   `½αᵀQα + Σᵢ αᵢ ln αᵢ + (Cᵢ − αᵢ) ln(Cᵢ − αᵢ)`, `0 < αᵢ < Cᵢ`, each one-variable
//!   sub-problem solved by a safeguarded Newton method; stops when the largest
//!   sub-problem gradient of a pass is below `tol`.
//!
//! The intercept is LIBLINEAR's: a constant feature of value `intercept_scaling` is
//! appended to every row and its weight is regularised like the others; the intercept is
//! that weight times `intercept_scaling` (scikit-learn's `intercept_`).
//!
//! # Multi-class and multi-label
//!
//! Single-label data with two classes trains one model whose positive class is the second
//! class (sorted), as scikit-learn; with `k ≥ 3` classes, `k` one-vs-rest models. Multi-label
//! data trains one model per label (label present vs absent). Decision scores are always
//! reported per class: for a binary model, `[−d, d]`.
//!
//! # Determinism
//!
//! Sub-problem `k` draws its coordinate orders from a xoshiro256++ generator seeded with a
//! hash of `(seed, k)`; the sub-problems run in parallel (rayon) but are independent, so
//! the weights are bit-identical for any number of threads. Decision values are computed
//! per row in column order.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::error::ClassifyError;
use super::params::{ClassWeight, ClassifierValidParams, ModelKind};

// ---------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------

/// Training (or truth) labels, one entry per text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Labels {
    /// One class per row.
    Single(Vec<String>),
    /// A set of labels per row (possibly empty; repeats are ignored).
    Multi(Vec<Vec<String>>),
}

impl Labels {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Labels::Single(v) => v.len(),
            Labels::Multi(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether these are multi-label sets.
    pub fn is_multi_label(&self) -> bool {
        matches!(self, Labels::Multi(_))
    }

    /// The rows `rows`, in that order (rows out of range are skipped).
    pub fn subset(&self, rows: &[usize]) -> Labels {
        match self {
            Labels::Single(v) => {
                Labels::Single(rows.iter().filter_map(|&r| v.get(r).cloned()).collect())
            }
            Labels::Multi(v) => {
                Labels::Multi(rows.iter().filter_map(|&r| v.get(r).cloned()).collect())
            }
        }
    }

    /// The distinct labels, sorted (by code point, as scikit-learn's `np.unique`).
    /// An empty or whitespace-only label is an error naming its row.
    pub fn classes(&self) -> Result<Vec<String>, ClassifyError> {
        let mut set = std::collections::BTreeSet::new();
        let mut add = |row: usize, l: &String| {
            if l.trim().is_empty() {
                return Err(ClassifyError::EmptyLabel { row });
            }
            if !set.contains(l.as_str()) {
                set.insert(l.clone());
            }
            Ok(())
        };
        match self {
            Labels::Single(v) => {
                for (row, l) in v.iter().enumerate() {
                    add(row, l)?;
                }
            }
            Labels::Multi(v) => {
                for (row, ls) in v.iter().enumerate() {
                    for l in ls {
                        add(row, l)?;
                    }
                }
            }
        }
        Ok(set.into_iter().collect())
    }

    /// Class indices of every row over `classes` (sorted, distinct). A label not in
    /// `classes` is an error naming the row and the label.
    pub fn encode(&self, classes: &[String]) -> Result<EncodedLabels, ClassifyError> {
        let index = |row: usize, l: &str| {
            classes
                .binary_search_by(|c| c.as_str().cmp(l))
                .map_err(|_| ClassifyError::UnknownLabel {
                    row,
                    label: l.to_owned(),
                    known: classes.join(", "),
                })
        };
        let y = match self {
            Labels::Single(v) => Encoded::Single(
                v.iter()
                    .enumerate()
                    .map(|(row, l)| index(row, l))
                    .collect::<Result<_, _>>()?,
            ),
            Labels::Multi(v) => Encoded::Multi(
                v.iter()
                    .enumerate()
                    .map(|(row, ls)| {
                        let mut s = ls
                            .iter()
                            .map(|l| index(row, l))
                            .collect::<Result<Vec<_>, _>>()?;
                        s.sort_unstable();
                        s.dedup();
                        Ok(s)
                    })
                    .collect::<Result<_, ClassifyError>>()?,
            ),
        };
        Ok(EncodedLabels {
            classes: classes.to_vec(),
            y,
        })
    }
}

/// Labels as class indices over a sorted class list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedLabels {
    classes: Vec<String>,
    y: Encoded,
}

/// Class indices per row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encoded {
    /// One class index per row.
    Single(Vec<usize>),
    /// Sorted, distinct class indices per row.
    Multi(Vec<Vec<usize>>),
}

impl EncodedLabels {
    /// The classes (sorted); index `i` is `classes()[i]`.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The class indices.
    pub fn y(&self) -> &Encoded {
        &self.y
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.y {
            Encoded::Single(v) => v.len(),
            Encoded::Multi(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows `rows`, in that order, over the same classes (rows out of range skipped).
    pub fn subset(&self, rows: &[usize]) -> EncodedLabels {
        let y = match &self.y {
            Encoded::Single(v) => {
                Encoded::Single(rows.iter().filter_map(|&r| v.get(r).copied()).collect())
            }
            Encoded::Multi(v) => {
                Encoded::Multi(rows.iter().filter_map(|&r| v.get(r).cloned()).collect())
            }
        };
        EncodedLabels {
            classes: self.classes.clone(),
            y,
        }
    }

    /// Rows per class (multi-label: rows carrying the label).
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        match &self.y {
            Encoded::Single(v) => v.iter().for_each(|&c| counts[c] += 1),
            Encoded::Multi(v) => v.iter().flatten().for_each(|&c| counts[c] += 1),
        }
        counts
    }
}

// ---------------------------------------------------------------------------
// Predictions
// ---------------------------------------------------------------------------

/// Predictions for a set of texts, with the decision score of every class.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictions {
    /// The classes, the columns of `scores` (sorted).
    pub classes: Vec<String>,
    /// Whether the model is multi-label.
    pub multi_label: bool,
    /// Decision values, one row per text, one column per class (a binary model's `d` is
    /// reported as `[−d, d]`).
    pub scores: Array2<f64>,
    /// Class probabilities (logistic regression only): the sigmoid of each score,
    /// normalised to sum to 1 for single-label models (binary: `[1 − σ(d), σ(d)]`), as
    /// scikit-learn's one-vs-rest `predict_proba`; per label, unnormalised, for multi-label.
    pub probabilities: Option<Array2<f64>>,
    /// The class with the highest score per row (first on ties): the prediction of a
    /// single-label model.
    pub top: Vec<usize>,
    /// The predicted classes per row: `[top]` for a single-label model; every class whose
    /// score is > 0, or `[top]` when none is, for a multi-label model.
    pub assigned: Vec<Vec<usize>>,
}

impl Predictions {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.top.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.top.is_empty()
    }

    /// The predicted class of `row` (the top-scoring one), if the row exists.
    pub fn label(&self, row: usize) -> Option<&str> {
        self.top.get(row).map(|&c| self.classes[c].as_str())
    }

    /// The predicted classes of `row` (see [`Predictions::assigned`]); empty when the row
    /// does not exist.
    pub fn labels(&self, row: usize) -> Vec<&str> {
        self.assigned
            .get(row)
            .map(|s| s.iter().map(|&c| self.classes[c].as_str()).collect())
            .unwrap_or_default()
    }

    /// Predictions from a score matrix (`n × classes`).
    pub(crate) fn from_scores(
        classes: Vec<String>,
        multi_label: bool,
        scores: Array2<f64>,
        with_probabilities: bool,
    ) -> Predictions {
        let n = scores.nrows();
        let mut top = Vec::with_capacity(n);
        let mut assigned = Vec::with_capacity(n);
        for row in scores.rows() {
            let mut best = 0;
            for (c, &s) in row.iter().enumerate() {
                if s > row[best] {
                    best = c;
                }
            }
            top.push(best);
            if multi_label {
                let pos: Vec<usize> = (0..row.len()).filter(|&c| row[c] > 0.0).collect();
                assigned.push(if pos.is_empty() { vec![best] } else { pos });
            } else {
                assigned.push(vec![best]);
            }
        }
        let probabilities = with_probabilities.then(|| {
            let mut p = scores.mapv(sigmoid);
            if !multi_label {
                if p.ncols() == 2 {
                    // Binary: one model, p = σ(d) for the positive class.
                    for mut row in p.rows_mut() {
                        let pos = row[1];
                        row[0] = 1.0 - pos;
                    }
                } else {
                    for mut row in p.rows_mut() {
                        let sum: f64 = row.sum();
                        if sum > 0.0 {
                            row.mapv_inplace(|v| v / sum);
                        }
                    }
                }
            }
            p
        });
        Predictions {
            classes,
            multi_label,
            scores,
            probabilities,
            top,
            assigned,
        }
    }

    /// Predictions for `n` rows filled from parts: row `rows[i]` of the result is row `i` of
    /// `part`. Rows never filled keep zero scores; the caller fills every row.
    pub(crate) fn scatter(&mut self, rows: &[usize], part: &Predictions) {
        for (i, &r) in rows.iter().enumerate() {
            self.scores.row_mut(r).assign(&part.scores.row(i));
            if let (Some(dst), Some(src)) =
                (self.probabilities.as_mut(), part.probabilities.as_ref())
            {
                dst.row_mut(r).assign(&src.row(i));
            }
            self.top[r] = part.top[i];
            self.assigned[r] = part.assigned[i].clone();
        }
    }

    /// A prediction set of `n` rows, all zero, to be filled with [`Predictions::scatter`].
    pub(crate) fn zeros(
        classes: Vec<String>,
        multi_label: bool,
        with_probabilities: bool,
        n: usize,
    ) -> Self {
        let k = classes.len();
        Predictions {
            classes,
            multi_label,
            scores: Array2::zeros((n, k)),
            probabilities: with_probabilities.then(|| Array2::zeros((n, k))),
            top: vec![0; n],
            assigned: vec![Vec::new(); n],
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// How the solver of one sub-problem ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FitInfo {
    /// The sub-problem's positive class (for a binary model, the second class).
    pub class: String,
    /// Passes over the data.
    pub iterations: usize,
    /// Whether the stopping tolerance was reached before `max_iter` (scikit-learn warns
    /// `ConvergenceWarning` otherwise).
    pub converged: bool,
}

/// A trained linear model: one weight vector and intercept per sub-problem.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    pub(crate) kind: ModelKind,
    pub(crate) classes: Vec<String>,
    pub(crate) multi_label: bool,
    pub(crate) n_features: usize,
    pub(crate) coef: Vec<Vec<f64>>,
    pub(crate) intercept: Vec<f64>,
    pub(crate) fit_info: Vec<FitInfo>,
}

/// The rows of a CSR matrix as slices.
struct Rows<'a> {
    ptr: Vec<std::ops::Range<usize>>,
    indices: &'a [usize],
    data: &'a [f64],
}

impl<'a> Rows<'a> {
    fn new(x: &'a CsMat<f64>) -> Self {
        let ip = x.indptr();
        Rows {
            ptr: (0..x.rows()).map(|r| ip.outer_inds_sz(r)).collect(),
            indices: x.indices(),
            data: x.data(),
        }
    }

    #[inline]
    fn row(&self, i: usize) -> (&'a [usize], &'a [f64]) {
        let r = self.ptr[i].clone();
        (&self.indices[r.clone()], &self.data[r])
    }

    #[inline]
    fn dot(&self, i: usize, w: &[f64]) -> f64 {
        let (idx, val) = self.row(i);
        let mut s = 0.0;
        for (&j, &v) in idx.iter().zip(val) {
            s += w[j] * v;
        }
        s
    }

    #[inline]
    fn axpy(&self, i: usize, a: f64, w: &mut [f64]) {
        let (idx, val) = self.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            w[j] += a * v;
        }
    }

    fn sq_norm(&self, i: usize) -> f64 {
        self.row(i).1.iter().map(|v| v * v).sum()
    }
}

/// One binary sub-problem.
struct Binary<'a> {
    rows: &'a Rows<'a>,
    n_features: usize,
    /// `+1.0` / `-1.0` per row.
    y: Vec<f64>,
    /// `C` per row.
    cost: Vec<f64>,
    /// Value of the appended constant feature (0 without intercept).
    bias: f64,
    tol: f64,
    max_iter: usize,
    shrinking: bool,
    seed: u64,
}

struct Solution {
    coef: Vec<f64>,
    intercept: f64,
    iterations: usize,
    converged: bool,
}

/// SplitMix64 finaliser: the seed of sub-problem `k`.
pub(crate) fn mix_seed(seed: u64, k: u64) -> u64 {
    let mut z = seed ^ k.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Binary<'_> {
    /// LIBLINEAR `solve_l2r_l1l2_svc` with the squared hinge loss.
    fn solve_svm(&self) -> Solution {
        let l = self.y.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let mut w = vec![0.0; self.n_features];
        let mut wb = 0.0; // weight of the constant feature
        let bias2 = self.bias * self.bias;
        let diag: Vec<f64> = self.cost.iter().map(|c| 0.5 / c).collect();
        let qd: Vec<f64> = (0..l)
            .map(|i| diag[i] + self.rows.sq_norm(i) + bias2)
            .collect();
        let mut alpha = vec![0.0; l];
        let mut index: Vec<usize> = (0..l).collect();
        let mut active = l;
        let mut pg_max_old = f64::INFINITY;
        let mut pg_min_old = f64::NEG_INFINITY;
        let mut iter = 0;
        let mut converged = false;
        while iter < self.max_iter {
            let mut pg_max_new = f64::NEG_INFINITY;
            let mut pg_min_new = f64::INFINITY;
            for i in 0..active {
                let j = rng.gen_range(i..active);
                index.swap(i, j);
            }
            let mut s = 0;
            while s < active {
                let i = index[s];
                let yi = self.y[i];
                let g = yi * (self.rows.dot(i, &w) + wb * self.bias) - 1.0 + alpha[i] * diag[i];
                let mut pg = 0.0;
                if alpha[i] == 0.0 {
                    if self.shrinking && g > pg_max_old {
                        active -= 1;
                        index.swap(s, active);
                        continue;
                    } else if g < 0.0 {
                        pg = g;
                    }
                } else {
                    // The squared hinge has no upper bound on alpha.
                    pg = g;
                }
                pg_max_new = pg_max_new.max(pg);
                pg_min_new = pg_min_new.min(pg);
                if pg.abs() > 1e-12 {
                    let old = alpha[i];
                    alpha[i] = (old - g / qd[i]).max(0.0);
                    let d = (alpha[i] - old) * yi;
                    self.rows.axpy(i, d, &mut w);
                    wb += d * self.bias;
                }
                s += 1;
            }
            iter += 1;
            if pg_max_new - pg_min_new <= self.tol {
                if active == l {
                    converged = true;
                    break;
                }
                active = l;
                pg_max_old = f64::INFINITY;
                pg_min_old = f64::NEG_INFINITY;
                continue;
            }
            pg_max_old = if pg_max_new <= 0.0 {
                f64::INFINITY
            } else {
                pg_max_new
            };
            pg_min_old = if pg_min_new >= 0.0 {
                f64::NEG_INFINITY
            } else {
                pg_min_new
            };
        }
        // pg_min_old only matters for the upper bound of the hinge (not squared) loss.
        let _ = pg_min_old;
        Solution {
            coef: w,
            intercept: wb * self.bias,
            iterations: iter,
            converged,
        }
    }

    /// LIBLINEAR `solve_l2r_lr_dual`.
    fn solve_lr(&self) -> Solution {
        const MAX_INNER_ITER: usize = 100;
        const ETA: f64 = 0.1;
        let l = self.y.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let mut w = vec![0.0; self.n_features];
        let mut wb = 0.0;
        let bias2 = self.bias * self.bias;
        let mut innereps = 1e-2;
        let innereps_min = self.tol.min(1e-8);
        // alpha[2i] = αᵢ, alpha[2i + 1] = Cᵢ − αᵢ.
        let mut alpha = vec![0.0; 2 * l];
        let mut xtx = vec![0.0; l];
        for i in 0..l {
            let c = self.cost[i];
            alpha[2 * i] = (0.001 * c).min(1e-8);
            alpha[2 * i + 1] = c - alpha[2 * i];
            xtx[i] = self.rows.sq_norm(i) + bias2;
            let a = self.y[i] * alpha[2 * i];
            self.rows.axpy(i, a, &mut w);
            wb += a * self.bias;
        }
        let mut index: Vec<usize> = (0..l).collect();
        let mut iter = 0;
        let mut converged = false;
        while iter < self.max_iter {
            for i in 0..l {
                let j = rng.gen_range(i..l);
                index.swap(i, j);
            }
            let mut newton_iter = 0;
            let mut gmax: f64 = 0.0;
            for &i in &index {
                let yi = self.y[i];
                let c = self.cost[i];
                let a = xtx[i];
                let b = yi * (self.rows.dot(i, &w) + wb * self.bias);
                let (mut ind1, mut ind2, mut sign) = (2 * i, 2 * i + 1, 1.0);
                if 0.5 * a * (alpha[ind2] - alpha[ind1]) + b < 0.0 {
                    ind1 = 2 * i + 1;
                    ind2 = 2 * i;
                    sign = -1.0;
                }
                let alpha_old = alpha[ind1];
                let mut z = alpha_old;
                if c - z < 0.5 * c {
                    z *= 0.1;
                }
                let mut gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
                gmax = gmax.max(gp.abs());
                let mut inner = 0;
                while inner <= MAX_INNER_ITER {
                    if gp.abs() < innereps {
                        break;
                    }
                    let gpp = a + c / (c - z) / z;
                    let tmpz = z - gp / gpp;
                    if tmpz <= 0.0 {
                        z *= ETA;
                    } else {
                        z = tmpz;
                    }
                    gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
                    newton_iter += 1;
                    inner += 1;
                }
                if inner > 0 {
                    alpha[ind1] = z;
                    alpha[ind2] = c - z;
                    let d = sign * (z - alpha_old) * yi;
                    self.rows.axpy(i, d, &mut w);
                    wb += d * self.bias;
                }
            }
            iter += 1;
            if gmax < self.tol {
                converged = true;
                break;
            }
            if newton_iter <= l / 10 {
                innereps = innereps_min.max(0.1 * innereps);
            }
        }
        Solution {
            coef: w,
            intercept: wb * self.bias,
            iterations: iter,
            converged,
        }
    }
}

/// Balanced weights `n / (k · n_c)` over the classes present; 1 for absent classes.
fn balanced(counts: &[usize], n: usize) -> Vec<f64> {
    let present = counts.iter().filter(|&&c| c > 0).count().max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                1.0
            } else {
                n as f64 / (present as f64 * c as f64)
            }
        })
        .collect()
}

impl LinearModel {
    /// Train on the feature matrix `x` (CSR or CSC, one row per example) and the labels.
    ///
    /// Single-label data needs at least two classes in `labels.classes()` (they need not
    /// all occur in the rows: a class without rows gets an all-negative sub-problem). The
    /// values of `x` are used as they are (they should be finite).
    pub fn fit(
        x: &CsMat<f64>,
        labels: &EncodedLabels,
        params: &ClassifierValidParams,
    ) -> Result<LinearModel, ClassifyError> {
        let n = x.rows();
        if labels.len() != n {
            return Err(ClassifyError::LengthMismatch {
                what: "labels",
                expected: n,
                got: labels.len(),
            });
        }
        if n == 0 {
            return Err(ClassifyError::NoRows);
        }
        let classes = labels.classes().to_vec();
        let k = classes.len();
        let multi_label = matches!(labels.y, Encoded::Multi(_));
        if !multi_label && k < 2 {
            return Err(ClassifyError::SingleClass {
                class: classes.first().cloned().unwrap_or_default(),
                target: None,
                rows: n,
            });
        }
        if multi_label && k == 0 {
            return Err(ClassifyError::NoLabels { rows: n });
        }
        let csr;
        let x = if x.is_csr() {
            x
        } else {
            csr = x.to_csr();
            &csr
        };
        let rows = Rows::new(x);
        let c = params.c;
        let counts = labels.counts();
        let balanced_weights = params.class_weight == ClassWeight::Balanced;
        // (positive class, y, cost) per sub-problem.
        let problems: Vec<(usize, Vec<f64>, Vec<f64>)> = match &labels.y {
            Encoded::Single(y) if k == 2 => {
                let w = if balanced_weights {
                    balanced(&counts, n)
                } else {
                    vec![1.0; 2]
                };
                let yy = y.iter().map(|&l| if l == 1 { 1.0 } else { -1.0 }).collect();
                let cost = y.iter().map(|&l| c * w[l]).collect();
                vec![(1, yy, cost)]
            }
            Encoded::Single(y) => {
                let w = if balanced_weights {
                    balanced(&counts, n)
                } else {
                    vec![1.0; k]
                };
                (0..k)
                    .map(|p| {
                        let yy = y.iter().map(|&l| if l == p { 1.0 } else { -1.0 }).collect();
                        let cost = y
                            .iter()
                            .map(|&l| if l == p { c * w[p] } else { c })
                            .collect();
                        (p, yy, cost)
                    })
                    .collect()
            }
            Encoded::Multi(y) => (0..k)
                .map(|p| {
                    let pos: Vec<bool> = y.iter().map(|s| s.binary_search(&p).is_ok()).collect();
                    let (wp, wn) = if balanced_weights {
                        let np = pos.iter().filter(|&&b| b).count();
                        let w = balanced(&[n - np, np], n);
                        (w[1], w[0])
                    } else {
                        (1.0, 1.0)
                    };
                    let yy = pos.iter().map(|&b| if b { 1.0 } else { -1.0 }).collect();
                    let cost = pos
                        .iter()
                        .map(|&b| if b { c * wp } else { c * wn })
                        .collect();
                    (p, yy, cost)
                })
                .collect(),
        };
        let bias = if params.fit_intercept {
            params.intercept_scaling
        } else {
            0.0
        };
        let solutions: Vec<(usize, Solution)> = problems
            .into_par_iter()
            .enumerate()
            .map(|(s, (pos, y, cost))| {
                let problem = Binary {
                    rows: &rows,
                    n_features: x.cols(),
                    y,
                    cost,
                    bias,
                    tol: params.tol,
                    max_iter: params.max_iter,
                    shrinking: params.shrinking,
                    seed: mix_seed(params.seed, s as u64),
                };
                let sol = match params.model {
                    ModelKind::LinearSvm => problem.solve_svm(),
                    ModelKind::LogisticRegression => problem.solve_lr(),
                };
                (pos, sol)
            })
            .collect();
        let mut model = LinearModel {
            kind: params.model,
            classes,
            multi_label,
            n_features: x.cols(),
            coef: Vec::with_capacity(solutions.len()),
            intercept: Vec::with_capacity(solutions.len()),
            fit_info: Vec::with_capacity(solutions.len()),
        };
        for (pos, sol) in solutions {
            model.fit_info.push(FitInfo {
                class: model.classes[pos].clone(),
                iterations: sol.iterations,
                converged: sol.converged,
            });
            // Weights are kept at f32 precision (relative change ≤ 6e-8, far below the
            // solver's tolerance) so the model file can store them as f32 and a reloaded
            // model predicts bit-identically; the intercept stays f64.
            model
                .coef
                .push(sol.coef.into_iter().map(|v| f64::from(v as f32)).collect());
            model.intercept.push(sol.intercept);
        }
        Ok(model)
    }

    /// Decision values of the rows of `x` (`n × classes`; a binary model's `d` as
    /// `[−d, d]`). `x` must have the model's number of columns.
    pub fn decision_function(&self, x: &CsMat<f64>) -> Result<Array2<f64>, ClassifyError> {
        if x.cols() != self.n_features {
            return Err(ClassifyError::FeatureCountMismatch {
                expected: self.n_features,
                got: x.cols(),
            });
        }
        let csr;
        let x = if x.is_csr() {
            x
        } else {
            csr = x.to_csr();
            &csr
        };
        let rows = Rows::new(x);
        let n = x.rows();
        let k = self.classes.len();
        let binary = self.coef.len() == 1 && !self.multi_label && k == 2;
        let mut out = vec![0.0; n * k];
        out.par_chunks_mut(k.max(1))
            .enumerate()
            .for_each(|(i, dst)| {
                if binary {
                    let d = rows.dot(i, &self.coef[0]) + self.intercept[0];
                    dst[0] = -d;
                    dst[1] = d;
                } else {
                    for (s, v) in dst.iter_mut().enumerate() {
                        *v = rows.dot(i, &self.coef[s]) + self.intercept[s];
                    }
                }
            });
        Ok(Array2::from_shape_vec((n, k), out).expect("n × k values"))
    }

    /// Predictions for the rows of `x` (see [`Predictions`]); probabilities for logistic
    /// regression.
    pub fn predict(&self, x: &CsMat<f64>) -> Result<Predictions, ClassifyError> {
        let scores = self.decision_function(x)?;
        Ok(Predictions::from_scores(
            self.classes.clone(),
            self.multi_label,
            scores,
            self.kind == ModelKind::LogisticRegression,
        ))
    }

    /// The model kind.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The classes (sorted).
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Whether the model is multi-label.
    pub fn is_multi_label(&self) -> bool {
        self.multi_label
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Weight vectors, one per sub-problem: one for a binary single-label model (positive
    /// class `classes()[1]`), else one per class (scikit-learn's `coef_`). The values are
    /// rounded to f32 precision when training ends (the model file stores them as f32).
    pub fn coef(&self) -> &[Vec<f64>] {
        &self.coef
    }

    /// Intercepts, one per sub-problem (scikit-learn's `intercept_`).
    pub fn intercept(&self) -> &[f64] {
        &self.intercept
    }

    /// How each sub-problem's solver ended.
    pub fn fit_info(&self) -> &[FitInfo] {
        &self.fit_info
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::params::ClassifierParams;

    fn csr(rows: &[&[(usize, f64)]], cols: usize) -> CsMat<f64> {
        let mut tri = sprs::TriMat::new((rows.len(), cols));
        for (r, row) in rows.iter().enumerate() {
            for &(c, v) in row.iter() {
                tri.add_triplet(r, c, v);
            }
        }
        tri.to_csr()
    }

    fn single(labels: &[&str]) -> EncodedLabels {
        let l = Labels::Single(labels.iter().map(|s| s.to_string()).collect());
        l.encode(&l.classes().unwrap()).unwrap()
    }

    #[test]
    fn separable_binary_problem_is_learned() {
        let x = csr(
            &[
                &[(0, 1.0)],
                &[(0, 0.9), (2, 0.1)],
                &[(1, 1.0)],
                &[(1, 0.8), (2, 0.2)],
            ],
            3,
        );
        let y = single(&["a", "a", "b", "b"]);
        for model in [ModelKind::LinearSvm, ModelKind::LogisticRegression] {
            let p = ClassifierParams {
                model,
                ..Default::default()
            }
            .check()
            .unwrap();
            let m = LinearModel::fit(&x, &y, &p).unwrap();
            assert_eq!(m.coef().len(), 1);
            assert!(m.fit_info()[0].converged);
            assert_eq!(m.fit_info()[0].class, "b");
            let pred = m.predict(&x).unwrap();
            assert_eq!(pred.top, vec![0, 0, 1, 1]);
            let s = &pred.scores;
            for r in 0..4 {
                assert_eq!(s[[r, 0]], -s[[r, 1]]);
            }
            match model {
                ModelKind::LinearSvm => assert!(pred.probabilities.is_none()),
                ModelKind::LogisticRegression => {
                    let pr = pred.probabilities.unwrap();
                    for r in 0..4 {
                        approx::assert_abs_diff_eq!(pr[[r, 0]] + pr[[r, 1]], 1.0, epsilon = 1e-12);
                    }
                    assert!(pr[[0, 0]] > 0.5 && pr[[2, 1]] > 0.5);
                }
            }
        }
    }

    /// The dual optimum satisfies the KKT conditions of the primal: at the solution,
    /// w = Σ αᵢ yᵢ xᵢ with αᵢ = 2Cᵢ·max(0, 1 − yᵢ f(xᵢ)). Check the primal gradient is ~0.
    #[test]
    fn svm_solution_is_stationary() {
        let x = csr(
            &[
                &[(0, 1.0), (1, 0.5)],
                &[(0, 0.3), (2, 1.0)],
                &[(1, 1.0), (2, 0.4)],
                &[(0, 0.7), (1, 0.7)],
                &[(2, 0.9), (3, 0.1)],
                &[(3, 1.0)],
            ],
            4,
        );
        let y = single(&["p", "n", "n", "p", "n", "p"]);
        let p = ClassifierParams {
            tol: 1e-10,
            max_iter: 100_000,
            ..Default::default()
        }
        .check()
        .unwrap();
        let m = LinearModel::fit(&x, &y, &p).unwrap();
        assert!(m.fit_info()[0].converged);
        // Positive class is "p" (classes sorted: n, p).
        let yy = [1.0, -1.0, -1.0, 1.0, -1.0, 1.0];
        let d = m.decision_function(&x).unwrap();
        // Gradient of ½‖w̃‖² + C Σ max(0, 1 − y f)², w̃ = (w, b) with the bias feature 1.
        let mut grad = m.coef()[0].clone();
        grad.push(m.intercept()[0]);
        for i in 0..6 {
            let margin = 1.0 - yy[i] * d[[i, 1]];
            if margin > 0.0 {
                let g = -2.0 * yy[i] * margin;
                let row = x.outer_view(i).unwrap();
                for (j, v) in row.iter() {
                    grad[j] += g * v;
                }
                grad[4] += g;
            }
        }
        for g in grad {
            assert!(g.abs() < 1e-6, "{g}");
        }
        // Without shrinking: the same optimum.
        let q = ClassifierParams {
            shrinking: false,
            tol: 1e-10,
            max_iter: 100_000,
            ..Default::default()
        }
        .check()
        .unwrap();
        let m2 = LinearModel::fit(&x, &y, &q).unwrap();
        let d2 = m2.decision_function(&x).unwrap();
        for (a, b) in d.iter().zip(d2.iter()) {
            assert!((a - b).abs() < 1e-6, "{a} {b}");
        }
    }

    /// Logistic regression: the primal gradient of ½‖w̃‖² + Σ Cᵢ ln(1 + e^(−yᵢ f(xᵢ))) is ~0,
    /// here with balanced class weights (Cᵢ = C · weight of the example's class).
    #[test]
    fn lr_solution_is_stationary_with_balanced_weights() {
        let x = csr(
            &[
                &[(0, 1.0), (1, 0.5)],
                &[(0, 0.3), (2, 1.0)],
                &[(1, 1.0), (2, 0.4)],
                &[(0, 0.7), (1, 0.7)],
                &[(2, 0.9), (3, 0.1)],
            ],
            4,
        );
        let y = single(&["p", "n", "n", "p", "n"]);
        let p = ClassifierParams {
            model: ModelKind::LogisticRegression,
            class_weight: ClassWeight::Balanced,
            tol: 1e-12,
            max_iter: 100_000,
            ..Default::default()
        }
        .check()
        .unwrap();
        let m = LinearModel::fit(&x, &y, &p).unwrap();
        assert!(m.fit_info()[0].converged);
        let yy = [1.0, -1.0, -1.0, 1.0, -1.0];
        // n = 5: weight(n) = 5 / (2 · 3), weight(p) = 5 / (2 · 2).
        let cost = |yi: f64| if yi > 0.0 { 1.25 } else { 5.0 / 6.0 };
        let d = m.decision_function(&x).unwrap();
        let mut grad = m.coef()[0].clone();
        grad.push(m.intercept()[0]);
        for i in 0..5 {
            let g = -cost(yy[i]) * yy[i] * sigmoid(-yy[i] * d[[i, 1]]);
            for (j, v) in x.outer_view(i).unwrap().iter() {
                grad[j] += g * v;
            }
            grad[4] += g;
        }
        for g in grad {
            // The weights are rounded to f32: ~1e-7 relative.
            assert!(g.abs() < 1e-6, "{g}");
        }
    }

    #[test]
    fn multiclass_and_multilabel_have_one_model_per_class() {
        let x = csr(
            &[&[(0, 1.0)], &[(1, 1.0)], &[(2, 1.0)], &[(0, 1.0), (1, 1.0)]],
            3,
        );
        let y = single(&["a", "b", "c", "a"]);
        let p = ClassifierParams::default().check().unwrap();
        let m = LinearModel::fit(&x, &y, &p).unwrap();
        assert_eq!(m.coef().len(), 3);
        assert_eq!(m.predict(&x).unwrap().top[..3], [0, 1, 2]);

        let l = Labels::Multi(vec![
            vec!["x".into()],
            vec!["y".into()],
            vec![],
            vec!["x".into(), "y".into(), "x".into()],
        ]);
        let e = l.encode(&l.classes().unwrap()).unwrap();
        assert_eq!(
            e.y(),
            &Encoded::Multi(vec![vec![0], vec![1], vec![], vec![0, 1]])
        );
        let m = LinearModel::fit(&x, &e, &p).unwrap();
        assert_eq!(m.coef().len(), 2);
        let pred = m.predict(&x).unwrap();
        assert_eq!(pred.assigned[0], vec![0]);
        assert_eq!(pred.assigned[1], vec![1]);
        assert_eq!(pred.assigned[3], vec![0, 1]);
        // Row 2 has no positive score: the argmax is assigned.
        assert_eq!(pred.assigned[2].len(), 1);
    }

    #[test]
    fn deterministic_for_any_thread_count_and_seed_dependent_order() {
        let mut rows: Vec<Vec<(usize, f64)>> = Vec::new();
        let mut labels = Vec::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for i in 0..200 {
            let class = i % 3;
            let mut r: Vec<(usize, f64)> = (0..8)
                .map(|_| (rng.gen_range(0..50), rng.gen::<f64>()))
                .collect();
            r.push((50 + class, 0.5));
            r.sort_by_key(|e| e.0);
            r.dedup_by_key(|e| e.0);
            rows.push(r);
            labels.push(["a", "b", "c"][class]);
        }
        let refs: Vec<&[(usize, f64)]> = rows.iter().map(|r| r.as_slice()).collect();
        let x = csr(&refs, 53);
        let y = single(&labels);
        for model in [ModelKind::LinearSvm, ModelKind::LogisticRegression] {
            let p = ClassifierParams {
                model,
                ..Default::default()
            }
            .check()
            .unwrap();
            let (a, b) =
                crate::test_util::on_1_and_n_threads(3, || LinearModel::fit(&x, &y, &p).unwrap());
            let bits = |m: &LinearModel| {
                m.coef()
                    .iter()
                    .flatten()
                    .chain(m.intercept())
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(bits(&a), bits(&b));
        }
    }

    #[test]
    fn balanced_weights_follow_scikit_learn() {
        // n = 6, k = 2, counts 4 and 2: weights 6/8 and 6/4.
        assert_eq!(balanced(&[4, 2], 6), vec![0.75, 1.5]);
        // Absent class: weight 1, k counts only the present classes.
        assert_eq!(balanced(&[3, 0, 1], 4), vec![4.0 / 6.0, 1.0, 2.0]);
    }

    #[test]
    fn feature_count_mismatch_and_bad_labels_are_errors() {
        let x = csr(&[&[(0, 1.0)], &[(1, 1.0)]], 2);
        let y = single(&["a", "b"]);
        let p = ClassifierParams::default().check().unwrap();
        let m = LinearModel::fit(&x, &y, &p).unwrap();
        let z = csr(&[&[(0, 1.0)]], 3);
        assert_eq!(
            m.decision_function(&z).unwrap_err(),
            ClassifyError::FeatureCountMismatch {
                expected: 2,
                got: 3
            }
        );
        let one = single(&["a", "a"]);
        assert!(matches!(
            LinearModel::fit(&x, &one, &p).unwrap_err(),
            ClassifyError::SingleClass { .. }
        ));
        let short = single(&["a"]);
        assert!(matches!(
            LinearModel::fit(&x, &short, &p).unwrap_err(),
            ClassifyError::LengthMismatch { .. }
        ));
        let l = Labels::Single(vec!["a".into(), " ".into()]);
        assert_eq!(
            l.classes().unwrap_err(),
            ClassifyError::EmptyLabel { row: 1 }
        );
        let l = Labels::Single(vec!["a".into(), "zz".into()]);
        let e = l.encode(&["a".to_string(), "b".to_string()]).unwrap_err();
        assert!(e.to_string().contains("\"zz\""), "{e}");
    }
}
