//! The stacked classifier (`model = "stack"`): several linear "views" of the same texts
//! whose decision values are combined by a logistic-regression meta model.
//!
//! # Views
//!
//! * `"tfidf_svm"` — the linear SVM on the TF-IDF blocks (rhetor's default classifier; C is
//!   the classifier's `c`, default 1).
//! * `"embedding_lr"` — logistic regression on the sentence embedding alone (the
//!   `[classify.transformer]` block: the L2-normalised vector times its `weight`; C
//!   [`StackParams::embedding_c`], default 10).
//! * `"nb_lr"` — logistic regression on naive-Bayes-weighted TF-IDF (NBSVM's log-count
//!   ratio, Wang & Manning 2012, "Baselines and bigrams"; C [`StackParams::nb_c`], default
//!   10): from the *binarised* training features, `p = α + Σ_{y=c} 1[x > 0]`,
//!   `q = α + Σ_{y≠c} 1[x > 0]`, `r = ln(p / ‖p‖₁) − ln(q / ‖q‖₁)`; every TF-IDF column is
//!   multiplied by `|r|` and each row is L2-normalised again (a row without a term stays
//!   zero). With two classes `|r|` is the same for either class; with more (SemEval's
//!   AGAINST / FAVOR / NONE) each class present in the training rows gets its own
//!   class-vs-rest `r_c` and a column's weight is `max_c |r_c|`: the column is up-weighted
//!   when it separates *some* class from the rest, as one weight per column must serve every
//!   one-vs-rest sub-problem. (Classes absent from the training rows are left out; their
//!   counts would be pure smoothing.)
//!
//! # Training
//!
//! The TF-IDF vocabulary and idf are fitted once on the training texts (as in the study that
//! chose this recipe; the inner folds refit only the linear models and the NB ratios). The
//! training rows are split by stratified k-fold ([`StackParams::folds`], seeded with the
//! classifier's `seed`, the splitter of [`cv`](super::cv)); each view is trained on the
//! inner training part of every fold and scores its held-out part, which gives every
//! training row out-of-fold decision values (one column per sub-problem of the view: one
//! for two classes, one per class otherwise). The meta model, a logistic regression
//! ([`StackParams::meta_c`], default 1, with intercept), learns the classes from those
//! columns. Finally every view is refitted on all the training rows; a new text is scored
//! by the refitted views and the meta model, whose probabilities are the prediction's.
//!
//! Every linear model uses the classifier's `tol`, `max_iter`, intercept, class weights,
//! shrinking and seed. The (view, fold) models are trained in parallel and collected in
//! order, so the result is the same for any number of threads.

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::error::{ClassifyError, ClassifyParamsError};
use super::labels::{Encoded, EncodedLabels};
use super::linear::LinearModel;
use super::params::{ClassifierValidParams, CvValidParams, ModelKind};

/// One view of a stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackView {
    /// Linear SVM on the TF-IDF blocks, C = the classifier's `c` (`"tfidf_svm"`).
    TfidfSvm,
    /// Logistic regression on the sentence embedding, C = `embedding_c`
    /// (`"embedding_lr"`).
    EmbeddingLr,
    /// Logistic regression on naive-Bayes-weighted TF-IDF, C = `nb_c` (`"nb_lr"`).
    NbLr,
}

impl StackView {
    /// The name in configuration and model files.
    pub fn name(self) -> &'static str {
        match self {
            StackView::TfidfSvm => "tfidf_svm",
            StackView::EmbeddingLr => "embedding_lr",
            StackView::NbLr => "nb_lr",
        }
    }

    /// Whether the view reads the TF-IDF columns.
    pub fn uses_tfidf(self) -> bool {
        matches!(self, StackView::TfidfSvm | StackView::NbLr)
    }
}

/// Parameters of the stack (`[classify.stack]`; a TOML/JSON table, unknown keys rejected,
/// missing keys take the defaults: the recipe of a scikit-learn study on the P-Stance train
/// split, which in rhetor's 5-fold CV, with the stack's default hashtag rewrite, gains +2.1
/// F_avg on P-Stance (+2.4 and +1.8 with other fold seeds), +6.6 on SemEval-2016 and +3.1
/// macro-F1 on GWSD over the TF-IDF SVM; see `docs/config.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StackParams {
    /// The views, in the order of the meta model's columns (default `["tfidf_svm",
    /// "embedding_lr", "nb_lr"]`; at least one, no repeats).
    pub views: Vec<StackView>,
    /// Inner stratified folds that give the meta model its training scores (default 5,
    /// ≥ 2).
    pub folds: usize,
    /// C of the logistic-regression meta model (default 1.0, finite, > 0).
    pub meta_c: f64,
    /// C of the logistic regression on the sentence embedding (default 10.0, finite, > 0).
    pub embedding_c: f64,
    /// C of the logistic regression on NB-weighted TF-IDF (default 10.0, finite, > 0).
    pub nb_c: f64,
    /// Smoothing α of the NB log-count ratio (default 1.0, finite, > 0).
    pub nb_alpha: f64,
}

impl Default for StackParams {
    fn default() -> Self {
        StackParams {
            views: vec![StackView::TfidfSvm, StackView::EmbeddingLr, StackView::NbLr],
            folds: 5,
            meta_c: 1.0,
            embedding_c: 10.0,
            nb_c: 10.0,
            nb_alpha: 1.0,
        }
    }
}

impl StackParams {
    /// Checks: at least one view and none twice, `folds ≥ 2`, `meta_c`, `embedding_c`,
    /// `nb_c` and `nb_alpha` finite and > 0. (Whether the features the views need are
    /// there is checked by [`ClassifierParams::check`](super::ClassifierParams::check).)
    pub fn check(&self) -> Result<(), ClassifyParamsError> {
        let bad = |key: &'static str, problem: String| {
            Err(ClassifyParamsError::InvalidStack { key, problem })
        };
        if self.views.is_empty() {
            return bad("views", "must list at least one view".into());
        }
        for (i, v) in self.views.iter().enumerate() {
            if self.views[..i].contains(v) {
                return bad("views", format!("lists {:?} twice", v.name()));
            }
        }
        if self.folds < 2 {
            return bad("folds", format!("must be at least 2 (got {})", self.folds));
        }
        for (key, v) in [
            ("meta_c", self.meta_c),
            ("embedding_c", self.embedding_c),
            ("nb_c", self.nb_c),
            ("nb_alpha", self.nb_alpha),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(key, format!("must be a finite number > 0 (got {v})"));
            }
        }
        Ok(())
    }
}

/// A trained view: its linear model and, for `"nb_lr"`, the column weights `|r|`.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedView {
    /// Which view.
    pub view: StackView,
    /// Its linear model (refitted on all training rows).
    pub model: LinearModel,
    /// `"nb_lr"`: one weight per TF-IDF column.
    pub nb_weights: Option<Vec<f64>>,
}

/// The trained views of a stack; the classifier's linear model is the meta model.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedStack {
    /// Number of TF-IDF columns (the first columns of the features; the embedding follows).
    pub(crate) n_tfidf: usize,
    /// The views, in the order of the meta model's columns.
    pub(crate) views: Vec<FittedView>,
}

impl FittedStack {
    /// The views, in the order of the meta model's columns.
    pub fn views(&self) -> &[FittedView] {
        &self.views
    }

    /// Number of TF-IDF columns of the features.
    pub fn n_tfidf(&self) -> usize {
        self.n_tfidf
    }

    /// The meta model's input for the feature rows `x` (TF-IDF columns, then embedding
    /// columns): the views' decision values side by side.
    pub(crate) fn meta_input(&self, x: &CsMat<f64>) -> Result<CsMat<f64>, ClassifyError> {
        let (tfidf, emb) = split_columns(x, self.n_tfidf);
        let blocks = self
            .views
            .iter()
            .map(|v| {
                let input = view_input(v.view, &tfidf, &emb, v.nb_weights.as_deref());
                v.model.decision_values(&input)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(dense_to_csr(&hstack_dense(&blocks, x.rows())))
    }
}

/// The columns `< n_tfidf` and the rest of `x` (CSR, column indices sorted per row) as two
/// matrices.
pub(crate) fn split_columns(x: &CsMat<f64>, n_tfidf: usize) -> (CsMat<f64>, CsMat<f64>) {
    let csr;
    let x = if x.is_csr() {
        x
    } else {
        csr = x.to_csr();
        &csr
    };
    let rest = x.cols().saturating_sub(n_tfidf);
    let (mut ip_a, mut ix_a, mut d_a) = (vec![0], Vec::new(), Vec::new());
    let (mut ip_b, mut ix_b, mut d_b) = (vec![0], Vec::new(), Vec::new());
    for r in 0..x.rows() {
        if let Some(row) = x.outer_view(r) {
            for (c, &v) in row.iter() {
                if c < n_tfidf {
                    ix_a.push(c);
                    d_a.push(v);
                } else {
                    ix_b.push(c - n_tfidf);
                    d_b.push(v);
                }
            }
        }
        ip_a.push(ix_a.len());
        ip_b.push(ix_b.len());
    }
    (
        CsMat::new((x.rows(), n_tfidf.min(x.cols())), ip_a, ix_a, d_a),
        CsMat::new((x.rows(), rest), ip_b, ix_b, d_b),
    )
}

/// Rows `rows` of the CSR matrix `x`, in that order.
fn select_csr(x: &CsMat<f64>, rows: &[usize]) -> CsMat<f64> {
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    let mut indices = Vec::new();
    let mut data = Vec::new();
    indptr.push(0);
    for &r in rows {
        if let Some(row) = x.outer_view(r) {
            indices.extend_from_slice(row.indices());
            data.extend_from_slice(row.data());
        }
        indptr.push(indices.len());
    }
    CsMat::new((rows.len(), x.cols()), indptr, indices, data)
}

/// The NB column weights `|r|` of the TF-IDF rows `x` with labels `y` (see the module
/// docs): one class-vs-rest ratio per class present, the largest magnitude per column.
pub(crate) fn nb_weights(x: &CsMat<f64>, y: &[usize], n_classes: usize, alpha: f64) -> Vec<f64> {
    let m = x.cols();
    // counts[c][j]: rows of class c with column j non-zero.
    let mut counts = vec![vec![0.0f64; m]; n_classes];
    let mut rows_of = vec![0usize; n_classes];
    for (r, &c) in y.iter().enumerate() {
        rows_of[c] += 1;
        if let Some(row) = x.outer_view(r) {
            for (j, &v) in row.iter() {
                if v > 0.0 {
                    counts[c][j] += 1.0;
                }
            }
        }
    }
    let present: Vec<usize> = (0..n_classes).filter(|&c| rows_of[c] > 0).collect();
    let total: Vec<f64> = (0..m)
        .map(|j| present.iter().map(|&c| counts[c][j]).sum())
        .collect();
    let mut w = vec![0.0f64; m];
    // With two classes present, one ratio (either class gives the same |r|).
    let classes: &[usize] = if present.len() == 2 {
        &present[1..]
    } else {
        &present
    };
    for &c in classes {
        let p: Vec<f64> = counts[c].iter().map(|&v| v + alpha).collect();
        let q: Vec<f64> = (0..m).map(|j| total[j] - counts[c][j] + alpha).collect();
        let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
        for j in 0..m {
            let r = ((p[j] / sp).ln() - (q[j] / sq).ln()).abs();
            if r > w[j] {
                w[j] = r;
            }
        }
    }
    w
}

/// `x` with column `j` times `w[j]`, each row L2-normalised again (zero rows stay zero).
pub(crate) fn nb_scale(x: &CsMat<f64>, w: &[f64]) -> CsMat<f64> {
    let mut indptr = Vec::with_capacity(x.rows() + 1);
    let mut indices = Vec::with_capacity(x.nnz());
    let mut data = Vec::with_capacity(x.nnz());
    indptr.push(0);
    for r in 0..x.rows() {
        let start = data.len();
        if let Some(row) = x.outer_view(r) {
            for (j, &v) in row.iter() {
                let s = v * w[j];
                if s != 0.0 {
                    indices.push(j);
                    data.push(s);
                }
            }
        }
        let norm = data[start..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            data[start..].iter_mut().for_each(|v| *v /= norm);
        }
        indptr.push(indices.len());
    }
    CsMat::new((x.rows(), x.cols()), indptr, indices, data)
}

/// The input matrix of `view`.
fn view_input(
    view: StackView,
    tfidf: &CsMat<f64>,
    emb: &CsMat<f64>,
    nb: Option<&[f64]>,
) -> CsMat<f64> {
    match (view, nb) {
        (StackView::TfidfSvm, _) => tfidf.clone(),
        (StackView::EmbeddingLr, _) => emb.clone(),
        (StackView::NbLr, Some(w)) => nb_scale(tfidf, w),
        (StackView::NbLr, None) => tfidf.clone(),
    }
}

/// Blocks of `n` rows side by side.
fn hstack_dense(blocks: &[Array2<f64>], n: usize) -> Array2<f64> {
    let width: usize = blocks.iter().map(|b| b.ncols()).sum();
    let mut out = Array2::zeros((n, width));
    let mut col = 0;
    for b in blocks {
        out.slice_mut(ndarray::s![.., col..col + b.ncols()])
            .assign(b);
        col += b.ncols();
    }
    out
}

/// A dense matrix as CSR (exact zeros not stored).
fn dense_to_csr(z: &Array2<f64>) -> CsMat<f64> {
    let mut indptr = vec![0];
    let mut indices = Vec::new();
    let mut data = Vec::new();
    for row in z.rows() {
        for (j, &v) in row.iter().enumerate() {
            if v != 0.0 {
                indices.push(j);
                data.push(v);
            }
        }
        indptr.push(indices.len());
    }
    CsMat::new((z.nrows(), z.ncols()), indptr, indices, data)
}

impl ClassifierValidParams {
    /// The linear parameters of `view`.
    fn view_params(&self, view: StackView, stack: &StackParams) -> ClassifierValidParams {
        match view {
            StackView::TfidfSvm => self.linear_variant(ModelKind::LinearSvm, self.c),
            StackView::EmbeddingLr => {
                self.linear_variant(ModelKind::LogisticRegression, stack.embedding_c)
            }
            StackView::NbLr => self.linear_variant(ModelKind::LogisticRegression, stack.nb_c),
        }
    }

    /// Train a view on rows `train` of the TF-IDF / embedding matrices.
    fn fit_view(
        &self,
        view: StackView,
        stack: &StackParams,
        (tfidf, emb): (&CsMat<f64>, &CsMat<f64>),
        labels: &EncodedLabels,
        train: &[usize],
    ) -> Result<FittedView, ClassifyError> {
        let y = labels.subset(train);
        let (x, nb) = match (view, y.y()) {
            (StackView::EmbeddingLr, _) => (select_csr(emb, train), None),
            (StackView::NbLr, Encoded::Single(v)) => {
                let tf = select_csr(tfidf, train);
                let w = nb_weights(&tf, v, labels.classes().len(), stack.nb_alpha);
                (nb_scale(&tf, &w), Some(w))
            }
            _ => (select_csr(tfidf, train), None),
        };
        let model = LinearModel::fit(&x, &y, &self.view_params(view, stack))?;
        Ok(FittedView {
            view,
            model,
            nb_weights: nb,
        })
    }

    /// Decision values of a fitted view for rows `rows` of the TF-IDF / embedding matrices.
    fn score_view(
        fv: &FittedView,
        (tfidf, emb): (&CsMat<f64>, &CsMat<f64>),
        rows: &[usize],
    ) -> Result<Array2<f64>, ClassifyError> {
        let input = match (fv.view, fv.nb_weights.as_deref()) {
            (StackView::EmbeddingLr, _) => select_csr(emb, rows),
            (StackView::NbLr, Some(w)) => nb_scale(&select_csr(tfidf, rows), w),
            _ => select_csr(tfidf, rows),
        };
        fv.model.decision_values(&input)
    }

    /// Train the stack on the feature rows `x` (TF-IDF columns first, `n_tfidf` of them,
    /// then the embedding columns); returns the refitted views and the meta model.
    pub(crate) fn train_stack(
        &self,
        x: &CsMat<f64>,
        n_tfidf: usize,
        labels: &EncodedLabels,
    ) -> Result<(FittedStack, LinearModel), ClassifyError> {
        let Encoded::Single(_) = labels.y() else {
            return Err(ClassifyError::StackMultiLabel);
        };
        let stack = self.stack_params().unwrap_or_default();
        let n = x.rows();
        let cv = CvValidParams::new(stack.folds.max(2), self.seed);
        let folds = super::cv::stratified_encoded(labels, &cv, None)?;
        let (tfidf, emb) = split_columns(x, n_tfidf);
        let all: Vec<usize> = (0..n).collect();
        // Task (view, fold): fold index `folds.len()` is the refit on every row.
        let tasks: Vec<(StackView, usize)> = stack
            .views
            .iter()
            .flat_map(|&v| (0..=folds.len()).map(move |f| (v, f)))
            .collect();
        let fitted = tasks
            .par_iter()
            .map(|&(view, f)| {
                let train = folds.get(f).map_or(&all, |fold| &fold.train);
                let fv = self.fit_view(view, &stack, (&tfidf, &emb), labels, train)?;
                let scores = match folds.get(f) {
                    Some(fold) => Some(Self::score_view(&fv, (&tfidf, &emb), &fold.test)?),
                    None => None,
                };
                Ok((fv, scores))
            })
            .collect::<Vec<Result<(FittedView, Option<Array2<f64>>), ClassifyError>>>()
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        // Per view: the fold models' held-out scores (in fold order), then the refit.
        let mut views = Vec::with_capacity(stack.views.len());
        let mut blocks = Vec::with_capacity(stack.views.len());
        let mut it = fitted.into_iter();
        for _ in &stack.views {
            let mut oof: Option<Array2<f64>> = None;
            for (fold, (_, scores)) in folds.iter().zip(it.by_ref()) {
                let Some(scores) = scores else { continue };
                let z = oof.get_or_insert_with(|| Array2::zeros((n, scores.ncols())));
                for (i, &r) in fold.test.iter().enumerate() {
                    z.row_mut(r).assign(&scores.row(i));
                }
            }
            if let Some((refit, _)) = it.next() {
                views.push(refit);
            }
            blocks.push(oof.unwrap_or_else(|| Array2::zeros((n, 0))));
        }
        let z = dense_to_csr(&hstack_dense(&blocks, n));
        let meta = LinearModel::fit(
            &z,
            labels,
            &self.linear_variant(ModelKind::LogisticRegression, stack.meta_c),
        )?;
        Ok((FittedStack { n_tfidf, views }, meta))
    }
}

#[cfg(test)]
mod tests;
