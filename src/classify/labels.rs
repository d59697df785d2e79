//! Training labels, their class-index encoding, and predictions: the types shared by the
//! linear models, the classifiers, cross-validation and the model file.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::error::ClassifyError;

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
    pub(super) y: Encoded,
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

pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

// ---------------------------------------------------------------------------
// The model
