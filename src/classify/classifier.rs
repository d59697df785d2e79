//! Trained classifiers (features plus a linear model; one per target value) and their
//! training: the code shared by [`cv`](super::cv) and [`model`](super::model).

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::error::ClassifyError;
use super::features::FittedFeatures;
use super::labels::{Encoded, EncodedLabels, Labels, Predictions};
use super::linear::LinearModel;
use super::params::{ClassifierParams, ClassifierValidParams};
use super::stack::FittedStack;

/// A trained text classifier: fitted features and a linear model (for a stack, the views
/// and the meta model).
#[derive(Clone, Debug)]
pub struct Classifier {
    pub(crate) params: ClassifierParams,
    pub(crate) features: FittedFeatures,
    pub(crate) model: LinearModel,
    pub(crate) stack: Option<FittedStack>,
}

impl Classifier {
    /// Predictions for `texts` (any number, including none).
    ///
    /// # Panics
    ///
    /// With sentence-embedding features, when embedding fails (no loaded model, an I/O
    /// error of the embedding cache): use [`try_predict`](Self::try_predict) then.
    pub fn predict(&self, texts: &[&str]) -> Predictions {
        match self.try_predict(texts) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    /// Predictions for `texts`; with sentence-embedding features the texts are embedded
    /// with the loaded model (an error when there is none or embedding fails).
    pub fn try_predict(&self, texts: &[&str]) -> Result<Predictions, ClassifyError> {
        let x = self.features.try_transform(texts)?;
        self.predict_features(&x)
    }

    /// Predictions for feature rows (of [`FittedFeatures::transform_with`]).
    fn predict_features(&self, x: &sprs::CsMat<f64>) -> Result<Predictions, ClassifyError> {
        match &self.stack {
            None => self.model.predict(x),
            Some(stack) => self.model.predict(&stack.meta_input(x)?),
        }
    }

    /// Predictions for `texts` given their sentence embeddings `dense` (one row per text;
    /// needed with sentence-embedding features, ignored otherwise).
    pub fn predict_with(
        &self,
        texts: &[&str],
        dense: Option<ArrayView2<'_, f32>>,
    ) -> Result<Predictions, ClassifyError> {
        let x = self.features.transform_with(texts, dense)?;
        self.predict_features(&x)
    }

    /// The classes (sorted), the columns of the scores.
    pub fn classes(&self) -> &[String] {
        self.model.classes()
    }

    /// Whether the classifier is multi-label.
    pub fn is_multi_label(&self) -> bool {
        self.model.is_multi_label()
    }

    /// The parameters it was trained with.
    pub fn params(&self) -> &ClassifierParams {
        &self.params
    }

    /// The fitted features.
    pub fn features(&self) -> &FittedFeatures {
        &self.features
    }

    /// The linear model (of a stack: the logistic-regression meta model, whose input is
    /// the views' decision values).
    pub fn model(&self) -> &LinearModel {
        &self.model
    }

    /// The trained views of a stack (`model = "stack"`), else `None`.
    pub fn stack(&self) -> Option<&FittedStack> {
        self.stack.as_ref()
    }
}

/// One classifier per target value; every sub-model has the same classes (those of all the
/// training rows), so predictions of different targets share their columns.
#[derive(Clone, Debug)]
pub struct PerTargetClassifier {
    pub(crate) params: ClassifierParams,
    pub(crate) classes: Vec<String>,
    pub(crate) multi_label: bool,
    /// Sorted by target.
    pub(crate) models: Vec<TargetModel>,
}

/// The classifier of one target value.
#[derive(Clone, Debug)]
pub struct TargetModel {
    /// The target value.
    pub target: String,
    /// Number of training rows of this target.
    pub rows: usize,
    /// Its classifier.
    pub classifier: Classifier,
}

impl PerTargetClassifier {
    /// The classes (sorted), shared by every target's model.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Whether the classifiers are multi-label.
    pub fn is_multi_label(&self) -> bool {
        self.multi_label
    }

    /// The parameters every target's classifier was trained with.
    pub fn params(&self) -> &ClassifierParams {
        &self.params
    }

    /// The per-target models, sorted by target.
    pub fn models(&self) -> &[TargetModel] {
        &self.models
    }

    /// The classifier of `target`, if there is one.
    pub fn get(&self, target: &str) -> Option<&Classifier> {
        self.models
            .binary_search_by(|m| m.target.as_str().cmp(target))
            .ok()
            .map(|i| &self.models[i].classifier)
    }

    /// Predictions for `texts`, each routed to the model of its target (`targets[i]` is the
    /// target of `texts[i]`). A target without a model is an error naming it and its row.
    pub fn predict(&self, texts: &[&str], targets: &[&str]) -> Result<Predictions, ClassifyError> {
        if targets.len() != texts.len() {
            return Err(ClassifyError::LengthMismatch {
                what: "targets",
                expected: texts.len(),
                got: targets.len(),
            });
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (row, t) in targets.iter().enumerate() {
            let i = self
                .models
                .binary_search_by(|m| m.target.as_str().cmp(t))
                .map_err(|_| ClassifyError::UnknownTarget {
                    row,
                    target: (*t).to_owned(),
                    known: self.target_list(),
                })?;
            groups.entry(i).or_default().push(row);
        }
        let lr = self.params.model.has_probabilities();
        let mut out = Predictions::zeros(self.classes.clone(), self.multi_label, lr, texts.len());
        for (i, rows) in groups {
            let sub: Vec<&str> = rows.iter().map(|&r| texts[r]).collect();
            let part = self.models[i].classifier.try_predict(&sub)?;
            out.scatter(&rows, &part);
        }
        Ok(out)
    }

    fn target_list(&self) -> String {
        self.models
            .iter()
            .map(|m| format!("{:?}", m.target))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Check lengths and build the class list of training labels.
pub(super) fn prepare(texts: &[&str], labels: &Labels) -> Result<EncodedLabels, ClassifyError> {
    if labels.len() != texts.len() {
        return Err(ClassifyError::LengthMismatch {
            what: "labels",
            expected: texts.len(),
            got: labels.len(),
        });
    }
    if texts.is_empty() {
        return Err(ClassifyError::NoRows);
    }
    let classes = labels.classes()?;
    let encoded = labels.encode(&classes)?;
    check_classes(&encoded, None)?;
    Ok(encoded)
}

/// Single-label data needs two classes present; multi-label data one label.
pub(super) fn check_classes(y: &EncodedLabels, target: Option<&str>) -> Result<(), ClassifyError> {
    let counts = y.counts();
    let present: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] > 0).collect();
    match y.y() {
        Encoded::Single(_) if present.len() < 2 => Err(ClassifyError::SingleClass {
            class: present
                .first()
                .map(|&c| y.classes()[c].clone())
                .unwrap_or_default(),
            target: target.map(str::to_owned),
            rows: y.len(),
        }),
        Encoded::Multi(_) if present.is_empty() => Err(ClassifyError::NoLabels { rows: y.len() }),
        _ => Ok(()),
    }
}

/// Rows per target value, targets sorted; empty target values are errors.
pub(super) fn group_targets(
    targets: &[&str],
    n: usize,
) -> Result<BTreeMap<String, Vec<usize>>, ClassifyError> {
    if targets.len() != n {
        return Err(ClassifyError::LengthMismatch {
            what: "targets",
            expected: n,
            got: targets.len(),
        });
    }
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (row, t) in targets.iter().enumerate() {
        if t.trim().is_empty() {
            return Err(ClassifyError::EmptyTarget { row });
        }
        if let Some(rows) = groups.get_mut(*t) {
            rows.push(row);
        } else {
            groups.insert((*t).to_owned(), vec![row]);
        }
    }
    Ok(groups)
}

/// Rows `rows` of the embeddings, if any.
pub(super) fn select_rows(
    dense: Option<ArrayView2<'_, f32>>,
    rows: &[usize],
) -> Option<Array2<f32>> {
    dense.map(|d| d.select(Axis(0), rows))
}

impl ClassifierValidParams {
    /// The sentence embeddings of `texts` when the features have a sentence-embedding
    /// block (with the attached model, which must be the one the parameters name), else
    /// `None`.
    pub fn embed(&self, texts: &[&str]) -> Result<Option<Array2<f32>>, ClassifyError> {
        let Some(t) = self.features().transformer() else {
            return Ok(None);
        };
        let encoder = self.encoder().ok_or_else(|| ClassifyError::NoEncoder {
            model: t.model.clone(),
        })?;
        if encoder.id().model != t.model {
            return Err(ClassifyError::WrongEncoder {
                wanted: t.model.clone(),
                loaded: encoder.id().model.clone(),
            });
        }
        encoder
            .embed(texts)
            .map(Some)
            .map_err(|e| ClassifyError::Embedding(e.to_string()))
    }

    /// Train a classifier on `texts` and their labels (one entry per text). The classes are
    /// the distinct labels, sorted; single-label data needs at least two. With a
    /// sentence-embedding block the texts are embedded with the attached model.
    pub fn train(&self, texts: &[&str], labels: &Labels) -> Result<Classifier, ClassifyError> {
        let encoded = prepare(texts, labels)?;
        let dense = self.embed(texts)?;
        self.train_encoded(texts, dense.as_ref().map(Array2::view), &encoded)
    }

    /// Train over a given class list (classes absent from the rows get all-negative
    /// sub-problems); `dense` are the texts' embeddings when the features have a
    /// sentence-embedding block.
    pub(crate) fn train_encoded(
        &self,
        texts: &[&str],
        dense: Option<ArrayView2<'_, f32>>,
        labels: &EncodedLabels,
    ) -> Result<Classifier, ClassifyError> {
        let input = match (dense, self.encoder()) {
            (Some(d), Some(e)) => Some((d, e.id())),
            _ => None,
        };
        let (mut features, x) = self.features().fit_transform_with(texts, input)?;
        if let Some(e) = self.encoder() {
            features.attach_encoder(e);
        }
        if self.stack_params().is_some() {
            let n_tfidf = features.n_features() - features.encoder_id().map_or(0, |e| e.dimension);
            let (stack, model) = self.train_stack(&x, n_tfidf, labels)?;
            return Ok(Classifier {
                params: self.params().clone(),
                features,
                model,
                stack: Some(stack),
            });
        }
        let model = LinearModel::fit(&x, labels, self)?;
        Ok(Classifier {
            params: self.params().clone(),
            features,
            model,
            stack: None,
        })
    }

    /// Train one classifier per value of `targets` (`targets[i]` is the target of
    /// `texts[i]`), each on its target's rows only, all over the classes of the whole
    /// training set. Single-label rows of one target must hold at least two classes (an
    /// error names the target otherwise); empty target values are errors.
    pub fn train_per_target(
        &self,
        texts: &[&str],
        labels: &Labels,
        targets: &[&str],
    ) -> Result<PerTargetClassifier, ClassifyError> {
        let encoded = prepare(texts, labels)?;
        let groups = group_targets(targets, texts.len())?;
        let groups: Vec<(String, Vec<usize>)> = groups.into_iter().collect();
        let dense = self.embed(texts)?;
        // Targets train in parallel (independent, deterministic); the first error in
        // target order is reported.
        let models = groups
            .into_par_iter()
            .map(|(target, rows)| {
                let y = encoded.subset(&rows);
                check_classes(&y, Some(&target))?;
                let sub: Vec<&str> = rows.iter().map(|&r| texts[r]).collect();
                let sub_dense = select_rows(dense.as_ref().map(Array2::view), &rows);
                let classifier =
                    self.train_encoded(&sub, sub_dense.as_ref().map(Array2::view), &y)?;
                Ok(TargetModel {
                    target,
                    rows: rows.len(),
                    classifier,
                })
            })
            .collect::<Vec<Result<TargetModel, ClassifyError>>>()
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PerTargetClassifier {
            params: self.params().clone(),
            classes: encoded.classes().to_vec(),
            multi_label: labels.is_multi_label(),
            models,
        })
    }
}
