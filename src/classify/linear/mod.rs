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

mod solver;
#[cfg(test)]
mod tests;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::error::ClassifyError;
pub use super::labels::{Encoded, EncodedLabels, Labels, Predictions};
use super::params::{ClassWeight, ClassifierValidParams, ModelKind};
pub(crate) use solver::mix_seed;
use solver::{balanced, Binary, Rows, Solution};

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

impl LinearModel {
    /// Train on the feature matrix `x` (CSR or CSC, one row per example) and the labels
    /// (`params.model = "stack"` trains a logistic regression, the stack's meta model).
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
        // A stack's own linear model is its logistic-regression meta model.
        let kind = match params.model {
            ModelKind::Stack => ModelKind::LogisticRegression,
            k => k,
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
                let sol = match kind {
                    ModelKind::LinearSvm => problem.solve_svm(),
                    _ => problem.solve_lr(),
                };
                (pos, sol)
            })
            .collect();
        let mut model = LinearModel {
            kind,
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

    /// Raw decision values of the rows of `x`: one column per sub-problem (per weight
    /// vector of [`coef`](Self::coef)), so a binary model gives one column (`d`, positive
    /// for the second class) and a multi-class or multi-label model one per class
    /// (scikit-learn's `decision_function`). `x` must have the model's number of columns.
    pub fn decision_values(&self, x: &CsMat<f64>) -> Result<Array2<f64>, ClassifyError> {
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
        let s = self.coef.len();
        let mut out = vec![0.0; x.rows() * s];
        out.par_chunks_mut(s.max(1))
            .enumerate()
            .for_each(|(i, dst)| {
                for (k, v) in dst.iter_mut().enumerate() {
                    *v = rows.dot(i, &self.coef[k]) + self.intercept[k];
                }
            });
        Ok(Array2::from_shape_vec((x.rows(), s), out).expect("n × sub-problems values"))
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
