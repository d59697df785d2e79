//! The classifier file: a versioned JSON document holding everything needed to predict.
//!
//! # Format (`format = "rhetor-classifier"`, `format_version = 1` or `2`)
//!
//! ```text
//! {
//!   "format": "rhetor-classifier",
//!   "format_version": 1,
//!   "rhetor_version": "0.1.0",            // the rhetor that trained it
//!   "params": { ... },                    // ClassifierParams as trained (model, c, tol, ...,
//!                                         //   features.word / features.char TF-IDF params)
//!   "training": { "sha256": "<64 hex>", "rows": 2914, "targets": 5 },
//!   "multi_label": false,
//!   "classes": ["AGAINST", "FAVOR", "NONE"],   // sorted; the columns of every score
//!   "model": <sub-model> | null,          // a single model ...
//!   "targets": [                          // ... or one per target value (sorted), not both
//!     { "target": "Atheism", "rows": 513, "model": <sub-model> }, ...
//!   ] | null
//! }
//! <sub-model> = {
//!   "features": {
//!     "hashtags": "split" | "tag_and_split",  // only when not "keep"
//!     "blocks": [                         // column order
//!     { "kind": "tfidf", "name": "word",
//!       "vectorizer": { "format_version": 1, "params": {...}, "n_docs": 410,
//!                       "vocabulary": ["term", ...],          // sorted; term j = column j
//!                       "idf": ["2.09861228866811", ...] } },  // one per term
//!     { "kind": "tfidf", "name": "char", "vectorizer": {...} },
//!     { "kind": "transformer", "name": "transformer",       // optional, always last
//!       "encoder": { "model": "all-MiniLM-L6-v2", "dimension": 384,
//!                    "model_files": { "config.json": "<sha256>", ... } },
//!       "weight": "1.0" } ] },
//!   "linear": {
//!     "kind": "linear_svm" | "logistic_regression",
//!     "n_features": 91234,                // total columns of the blocks
//!     "weights": [                        // one per class (binary single-label: one, for
//!       { "class": "FAVOR",               //   the second class)
//!         "intercept": "-0.41",
//!         "indices": [0, 5, ...] | null,  // strictly increasing columns of the non-zeros,
//!                                         //   or null: dense (values has n_features entries)
//!         "values": ["0.0123", ...] } ],  // the weights (f32)
//!     "fit_info": [ { "class": "FAVOR", "iterations": 87, "converged": true } ]
//!   },
//!   "stack": {                            // only with params.model = "stack" (version 2)
//!     "n_tfidf": 91234,                   // TF-IDF columns; the embedding's follow
//!     "views": [                          // in params.stack.views order
//!       { "view": "tfidf_svm", "linear": <linear> },       // n_features = n_tfidf
//!       { "view": "embedding_lr", "linear": <linear> },    // n_features = the dimension
//!       { "view": "nb_lr", "nb_weights": ["0.41", ...],    // |r|, one per TF-IDF column
//!         "linear": <linear> } ] }
//! }
//! ```
//!
//! For a stack, `"linear"` is the logistic-regression meta model: its input is the views'
//! decision values side by side (one column per view for two classes, one per class and
//! view otherwise), so its `n_features` is their number. Stacks are written with
//! `format_version = 2`; every other model keeps `format_version = 1` (the same document
//! without `"stack"`), so rhetor versions that read only version 1 still read them, and
//! refuse a stack with [`ModelFileError::UnsupportedVersion`]. This build reads both.
//!
//! Floating-point values (`idf`, `intercept`, `values`) are JSON strings holding the
//! shortest decimal that reads back to the same bits (Rust's `{:?}`): `serde_json` as built
//! here does not parse every JSON number back to the same `f64` (about 15% of random values
//! come back one ulp off), and a reloaded model must predict bit-identically. `idf` and
//! `intercept` are `f64`; the weights are `f32` (the trained model rounds them to f32
//! precision itself, so nothing changes on saving). A weight vector is stored sparse (only
//! the non-zeros, with their indices) when at most half of it is non-zero, else dense
//! (`indices: null`); with TF-IDF n-grams most weights are non-zero, as every feature of
//! a support vector gets a weight.
//!
//! With `params.hashtags` other than `"keep"` (`"hashtags"` in `params` and in each
//! sub-model's `features`, which must agree), the hashtags of the texts are rewritten before
//! the TF-IDF blocks, at prediction as at training. A missing key means `"keep"`: models
//! other than stacks write neither key with `"keep"`, so their files are byte for byte what
//! they were; a stack writes `params.hashtags` always (its default is `"tag_and_split"`,
//! see [`ModelKind::default_hashtags`]), and stack files written before the option load as
//! `"keep"`. A rhetor that predates the option refuses a file with the key (an unknown key)
//! rather than predict from other features.
//!
//! `training.sha256` is the SHA-256 of the training rows, see [`TrainingInfo::from_data`].
//!
//! A model with sentence-embedding features (`params.transformer`, a `"transformer"` block)
//! records the sentence-transformer model by name, vector length and the sha256 of its files
//! (the files a bundle records). Reading the file ([`ModelFile::load`],
//! [`ModelFile::from_slice`]) loads that model from the models directory and refuses one
//! whose files differ ([`ModelFileError::EncoderMismatch`], naming the file), so `predict`
//! and `run --classifier` compute the same features as training did. Such files keep
//! `format_version = 1`: files without the block are unchanged, and a rhetor that predates
//! the block refuses it as an unknown block kind.
//!
//! Loading first reads only `format` and `format_version` (a file of another kind or
//! a version outside 1–2 is a [`ModelFileError::WrongFormat`] / [`ModelFileError::UnsupportedVersion`]),
//! then the whole document (invalid or truncated JSON is [`ModelFileError::Json`]), then
//! checks that the parts agree (array lengths, sorted indices within range, class lists,
//! feature counts, a stack's views against its parameters, `nb_weights` finite and ≥ 0:
//! [`ModelFileError::Inconsistent`]). Loading never panics.

use std::io::{BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::classifier::{Classifier, PerTargetClassifier, TargetModel};
use super::codec::{decode_f64, encode_f32, encode_f64};
use super::encoder::{EncoderId, SentenceEncoder};
use super::error::{ClassifyError, ModelFileError};
use super::features::FittedFeatures;
use super::hashtags::Hashtags;
use super::labels::{Labels, Predictions};
use super::linear::{FitInfo, LinearModel};
use super::params::{ClassifierParams, ModelKind};
use super::stack::{FittedStack, FittedView, StackView};

/// The `format` field of a classifier file.
pub const FORMAT: &str = "rhetor-classifier";
/// The highest `format_version` this build writes and reads: 2 for stacks
/// (`model = "stack"`), which need the `"stack"` part of a sub-model; every other model is
/// written as version 1, which older rhetor versions read too.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest `format_version` this build reads.
pub const MIN_FORMAT_VERSION: u32 = 1;

/// Where the model came from: a digest and size of its training data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingInfo {
    /// SHA-256 (lowercase hex) of the training rows (see [`TrainingInfo::from_data`]).
    pub sha256: String,
    /// Number of training rows.
    pub rows: usize,
    /// Number of distinct targets, for per-target models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<usize>,
}

impl TrainingInfo {
    /// Digest of training rows. The SHA-256 is taken over the bytes
    /// `"rhetor-training-v1\n"`, then per row: the text, the number of labels (1 for
    /// single-label rows), each label, and the target when `targets` is given, every string
    /// preceded by its UTF-8 length and every count written as a little-endian `u64`. Rows
    /// beyond the shortest input are not hashed (the trainer rejects such inputs).
    pub fn from_data(texts: &[&str], labels: &Labels, targets: Option<&[&str]>) -> TrainingInfo {
        let mut h = Sha256::new();
        h.update(b"rhetor-training-v1\n");
        let put = |h: &mut Sha256, s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        for (row, text) in texts.iter().enumerate() {
            if row >= labels.len() || targets.is_some_and(|t| row >= t.len()) {
                break;
            }
            put(&mut h, text);
            match labels {
                Labels::Single(v) => {
                    h.update(1u64.to_le_bytes());
                    put(&mut h, &v[row]);
                }
                Labels::Multi(v) => {
                    h.update((v[row].len() as u64).to_le_bytes());
                    for l in &v[row] {
                        put(&mut h, l);
                    }
                }
            }
            if let Some(t) = targets {
                put(&mut h, t[row]);
            }
        }
        let digest = h.finalize();
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        let n_targets = targets.map(|t| {
            let mut v: Vec<&str> = t.to_vec();
            v.sort_unstable();
            v.dedup();
            v.len()
        });
        TrainingInfo {
            sha256,
            rows: texts.len(),
            targets: n_targets,
        }
    }
}

/// A trained model: one classifier, or one per target value.
#[derive(Clone, Debug)]
pub enum TrainedModel {
    /// One classifier for every row.
    Single(Classifier),
    /// One classifier per target value.
    PerTarget(PerTargetClassifier),
}

/// A classifier file's content.
#[derive(Clone, Debug)]
pub struct ModelFile {
    /// The rhetor version that trained the model.
    pub rhetor_version: String,
    /// Digest and size of the training data.
    pub training: TrainingInfo,
    /// The model.
    pub model: TrainedModel,
}

impl ModelFile {
    /// A file for `model`, written by this rhetor version.
    pub fn new(model: TrainedModel, training: TrainingInfo) -> ModelFile {
        ModelFile {
            rhetor_version: env!("CARGO_PKG_VERSION").to_owned(),
            training,
            model,
        }
    }

    /// The parameters the model was trained with.
    pub fn params(&self) -> &ClassifierParams {
        match &self.model {
            TrainedModel::Single(c) => &c.params,
            TrainedModel::PerTarget(p) => &p.params,
        }
    }

    /// The classes (sorted), the columns of the scores.
    pub fn classes(&self) -> &[String] {
        match &self.model {
            TrainedModel::Single(c) => c.classes(),
            TrainedModel::PerTarget(p) => p.classes(),
        }
    }

    /// Whether the model is multi-label.
    pub fn is_multi_label(&self) -> bool {
        match &self.model {
            TrainedModel::Single(c) => c.is_multi_label(),
            TrainedModel::PerTarget(p) => p.is_multi_label(),
        }
    }

    /// Predict `texts`; a per-target model needs `targets` (one per text; a missing
    /// `targets` is a [`ClassifyError::LengthMismatch`] with `got = 0`), a single model
    /// ignores them.
    pub fn predict(
        &self,
        texts: &[&str],
        targets: Option<&[&str]>,
    ) -> Result<Predictions, ClassifyError> {
        match &self.model {
            TrainedModel::Single(c) => c.try_predict(texts),
            TrainedModel::PerTarget(p) => p.predict(texts, targets.unwrap_or(&[])),
        }
    }

    /// The classifiers (one, or one per target).
    fn classifiers_mut(&mut self) -> Vec<&mut Classifier> {
        match &mut self.model {
            TrainedModel::Single(c) => vec![c],
            TrainedModel::PerTarget(p) => p.models.iter_mut().map(|m| &mut m.classifier).collect(),
        }
    }

    /// The sentence-transformer model whose embeddings the features include, if any (every
    /// sub-model records the same one).
    pub fn encoder_id(&self) -> Option<&EncoderId> {
        match &self.model {
            TrainedModel::Single(c) => c.features.encoder_id(),
            TrainedModel::PerTarget(p) => p.models.first()?.classifier.features.encoder_id(),
        }
    }

    /// Loads the sentence-transformer model the features need (none: nothing to do) from
    /// `models_dir` and attaches it to every sub-model; a model that cannot be loaded is
    /// [`ModelFileError::Encoder`], one whose files differ from those recorded at training
    /// [`ModelFileError::EncoderMismatch`] (naming the first file that differs).
    pub fn load_encoder(&mut self, models_dir: &Path) -> Result<(), ModelFileError> {
        let Some(id) = self.encoder_id().cloned() else {
            return Ok(());
        };
        let encoder =
            SentenceEncoder::load(models_dir, &id.model).map_err(|e| ModelFileError::Encoder {
                model: id.model.clone(),
                message: e.to_string(),
            })?;
        self.attach_encoder(&encoder)
    }

    /// Attaches a loaded sentence-transformer model to every sub-model, after checking that
    /// it is the one the file records ([`ModelFileError::EncoderMismatch`] otherwise).
    pub fn attach_encoder(&mut self, encoder: &SentenceEncoder) -> Result<(), ModelFileError> {
        let Some(id) = self.encoder_id().cloned() else {
            return Ok(());
        };
        if let Some((file, problem)) = id.difference(encoder.id()) {
            return Err(ModelFileError::EncoderMismatch {
                model: id.model,
                file,
                problem,
            });
        }
        for c in self.classifiers_mut() {
            c.features.attach_encoder(encoder);
        }
        Ok(())
    }

    /// The file as compact JSON.
    pub fn to_json(&self) -> Result<String, ModelFileError> {
        serde_json::to_string(&self.to_repr()).map_err(|e| ModelFileError::Json(e.to_string()))
    }

    /// Read a file's content from JSON text (see the module docs for the checks).
    pub fn from_json(text: &str) -> Result<ModelFile, ModelFileError> {
        Self::from_slice(text.as_bytes())
    }

    /// Read a file's content from JSON bytes (see the module docs for the checks); a
    /// sentence-transformer model the features need is loaded from the default models
    /// directory ([`default_models_dir`](crate::embed::transformer::fetch::default_models_dir))
    /// and checked ([`ModelFile::load_encoder`]).
    pub fn from_slice(bytes: &[u8]) -> Result<ModelFile, ModelFileError> {
        let mut file = Self::from_slice_unloaded(bytes)?;
        file.load_encoder(&crate::embed::transformer::fetch::default_models_dir())?;
        Ok(file)
    }

    /// [`from_slice`](Self::from_slice) without loading a sentence-transformer model: a
    /// model with sentence-embedding features cannot predict until one is attached
    /// ([`ModelFile::load_encoder`], [`ModelFile::attach_encoder`]).
    pub fn from_slice_unloaded(bytes: &[u8]) -> Result<ModelFile, ModelFileError> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<serde_json::Value>,
            format_version: Option<serde_json::Value>,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| ModelFileError::Json(e.to_string()))?;
        match &header.format {
            Some(serde_json::Value::String(f)) if f == FORMAT => {}
            other => {
                return Err(ModelFileError::WrongFormat {
                    found: other
                        .as_ref()
                        .map_or_else(|| "<missing>".to_owned(), |v| v.to_string()),
                })
            }
        }
        let version = header.format_version.as_ref().and_then(|v| v.as_u64());
        match &header.format_version {
            Some(_)
                if version.is_some_and(|v| {
                    (u64::from(MIN_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&v)
                }) => {}
            other => {
                return Err(ModelFileError::UnsupportedVersion {
                    found: other
                        .as_ref()
                        .map_or_else(|| "<missing>".to_owned(), |v| v.to_string()),
                    supported: FORMAT_VERSION,
                })
            }
        }
        let repr: FileRepr =
            serde_json::from_slice(bytes).map_err(|e| ModelFileError::Json(e.to_string()))?;
        if repr.format_version < 2 && repr.params.model == ModelKind::Stack {
            return Err(ModelFileError::Inconsistent(format!(
                "params.model is \"stack\", which needs format_version 2 (the file says {})",
                repr.format_version
            )));
        }
        Self::from_repr(repr)
    }

    /// Write the file to `path` (through a temporary file in the same folder, renamed into
    /// place, so a crash never leaves a half-written model under `path`).
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        let io = |source| ModelFileError::Io {
            path: path.display().to_string(),
            source,
        };
        let json = self.to_json()?;
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(format!(".tmp-{}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let write = || -> std::io::Result<()> {
            let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
            w.write_all(json.as_bytes())?;
            w.write_all(b"\n")?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }

    /// Read the file at `path`.
    pub fn load(path: &Path) -> Result<ModelFile, ModelFileError> {
        let bytes = std::fs::read(path).map_err(|source| ModelFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_slice(&bytes)
    }

    fn to_repr(&self) -> FileRepr {
        let (model, targets) = match &self.model {
            TrainedModel::Single(c) => (Some(SubModelRepr::from(c)), None),
            TrainedModel::PerTarget(p) => (
                None,
                Some(
                    p.models
                        .iter()
                        .map(|m| TargetRepr {
                            target: m.target.clone(),
                            rows: m.rows,
                            model: SubModelRepr::from(&m.classifier),
                        })
                        .collect(),
                ),
            ),
        };
        let stack = self.params().model == ModelKind::Stack;
        FileRepr {
            format: FORMAT.to_owned(),
            format_version: if stack { 2 } else { 1 },
            rhetor_version: self.rhetor_version.clone(),
            params: self.params().clone(),
            training: self.training.clone(),
            multi_label: self.is_multi_label(),
            classes: self.classes().to_vec(),
            model,
            targets,
        }
    }

    fn from_repr(r: FileRepr) -> Result<ModelFile, ModelFileError> {
        let bad = |m: String| Err(ModelFileError::Inconsistent(m));
        r.params
            .check()
            .map_err(|e| ModelFileError::Inconsistent(format!("params: {e}")))?;
        if r.classes.is_empty() {
            return bad("the class list is empty".into());
        }
        if !r.multi_label && r.classes.len() < 2 {
            return bad(format!(
                "a single-label model needs at least two classes, the file lists {}",
                r.classes.len()
            ));
        }
        if let Some(w) = r.classes.windows(2).find(|w| w[0] >= w[1]) {
            return bad(format!(
                "classes must be sorted and distinct ({:?} comes before {:?})",
                w[0], w[1]
            ));
        }
        let model = match (r.model, r.targets) {
            (Some(m), None) => TrainedModel::Single(m.into_classifier(
                &r.params,
                &r.classes,
                r.multi_label,
                None,
            )?),
            (None, Some(targets)) => {
                if targets.is_empty() {
                    return bad("the target list is empty".into());
                }
                if let Some(w) = targets.windows(2).find(|w| w[0].target >= w[1].target) {
                    return bad(format!(
                        "targets must be sorted and distinct ({:?} comes before {:?})",
                        w[0].target, w[1].target
                    ));
                }
                let models = targets
                    .into_iter()
                    .map(|t| {
                        let classifier = t.model.into_classifier(
                            &r.params,
                            &r.classes,
                            r.multi_label,
                            Some(&t.target),
                        )?;
                        Ok(TargetModel {
                            target: t.target,
                            rows: t.rows,
                            classifier,
                        })
                    })
                    .collect::<Result<Vec<_>, ModelFileError>>()?;
                let first = models[0].classifier.features.encoder_id();
                if let Some(m) = models
                    .iter()
                    .find(|m| m.classifier.features.encoder_id() != first)
                {
                    return bad(format!(
                        "target {:?}: its sentence-embedding model differs from that of \
                         target {:?}",
                        m.target, models[0].target
                    ));
                }
                TrainedModel::PerTarget(PerTargetClassifier {
                    params: r.params,
                    classes: r.classes,
                    multi_label: r.multi_label,
                    models,
                })
            }
            (Some(_), Some(_)) => return bad("both \"model\" and \"targets\" are set".into()),
            (None, None) => return bad("neither \"model\" nor \"targets\" is set".into()),
        };
        Ok(ModelFile {
            rhetor_version: r.rhetor_version,
            training: r.training,
            model,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    format: String,
    format_version: u32,
    rhetor_version: String,
    params: ClassifierParams,
    training: TrainingInfo,
    multi_label: bool,
    classes: Vec<String>,
    model: Option<SubModelRepr>,
    targets: Option<Vec<TargetRepr>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetRepr {
    target: String,
    rows: usize,
    model: SubModelRepr,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubModelRepr {
    features: FittedFeatures,
    linear: LinearRepr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stack: Option<StackRepr>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StackRepr {
    n_tfidf: usize,
    views: Vec<ViewRepr>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewRepr {
    view: StackView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nb_weights: Option<Vec<String>>,
    linear: LinearRepr,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinearRepr {
    kind: ModelKind,
    n_features: usize,
    weights: Vec<WeightsRepr>,
    fit_info: Vec<FitInfo>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightsRepr {
    class: String,
    intercept: String,
    indices: Option<Vec<u32>>,
    values: Vec<String>,
}

fn linear_repr(m: &LinearModel) -> LinearRepr {
    let binary = !m.multi_label && m.classes.len() == 2 && m.coef.len() == 1;
    let weights = m
        .coef
        .iter()
        .zip(&m.intercept)
        .enumerate()
        .map(|(s, (coef, &b))| {
            let class = if binary { 1 } else { s };
            let nnz = coef.iter().filter(|&&v| v != 0.0).count();
            let (indices, values) = if 2 * nnz > coef.len() {
                // Mostly non-zero: dense, no indices.
                (None, coef.iter().map(|&v| encode_f32(v as f32)).collect())
            } else {
                let (i, v): (Vec<u32>, Vec<String>) = coef
                    .iter()
                    .enumerate()
                    .filter(|(_, &v)| v != 0.0)
                    .map(|(j, &v)| (j as u32, encode_f32(v as f32)))
                    .unzip();
                (Some(i), v)
            };
            WeightsRepr {
                class: m.classes[class].clone(),
                intercept: encode_f64(b),
                indices,
                values,
            }
        })
        .collect();
    LinearRepr {
        kind: m.kind,
        n_features: m.n_features,
        weights,
        fit_info: m.fit_info.clone(),
    }
}

impl From<&Classifier> for SubModelRepr {
    fn from(c: &Classifier) -> Self {
        SubModelRepr {
            features: c.features.clone(),
            linear: linear_repr(&c.model),
            stack: c.stack.as_ref().map(|s| StackRepr {
                n_tfidf: s.n_tfidf,
                views: s
                    .views
                    .iter()
                    .map(|v| ViewRepr {
                        view: v.view,
                        nb_weights: v
                            .nb_weights
                            .as_ref()
                            .map(|w| w.iter().map(|&x| encode_f64(x)).collect()),
                        linear: linear_repr(&v.model),
                    })
                    .collect(),
            }),
        }
    }
}

impl SubModelRepr {
    fn into_classifier(
        self,
        params: &ClassifierParams,
        classes: &[String],
        multi_label: bool,
        target: Option<&str>,
    ) -> Result<Classifier, ModelFileError> {
        let at = target
            .map(|t| format!("target {t:?}: "))
            .unwrap_or_default();
        let bad = |m: String| Err(ModelFileError::Inconsistent(format!("{at}{m}")));
        let n_features = self.features.n_features();
        let block = self.features.blocks().iter().find_map(|b| match b {
            super::features::FittedBlock::Transformer {
                encoder, weight, ..
            } => Some((encoder, *weight)),
            _ => None,
        });
        match (&params.transformer, block) {
            (None, None) => {}
            (Some(t), Some((id, w))) if t.model == id.model && t.weight == w => {}
            (Some(t), Some((id, w))) => {
                return bad(format!(
                    "params.transformer is model {:?} with weight {} but the feature block is \
                     model {:?} with weight {w}",
                    t.model, t.weight, id.model
                ))
            }
            (Some(_), None) => {
                return bad("params.transformer is set but the features have no \
                            sentence-embedding block"
                    .into())
            }
            (None, Some(_)) => {
                return bad("the features have a sentence-embedding block but \
                            params.transformer is not set"
                    .into())
            }
        }
        // In a file, no key means "keep" (files written before the option).
        let hashtags = params.hashtags.unwrap_or(Hashtags::Keep);
        if self.features.hashtags() != hashtags {
            return bad(format!(
                "params.hashtags is {:?} but the features say {:?}",
                hashtags.name(),
                self.features.hashtags().name()
            ));
        }
        let dim = block.map_or(0, |(id, _)| id.dimension);
        let stack = match (params.model, self.stack) {
            (ModelKind::Stack, Some(s)) => {
                Some(s.into_stack(params, classes, n_features, dim, &at)?)
            }
            (ModelKind::Stack, None) => {
                return bad("params.model is \"stack\" but the model has no \"stack\" part".into())
            }
            (_, Some(_)) => {
                return bad(format!(
                    "the model has a \"stack\" part but params.model is {:?}",
                    params.model.name()
                ))
            }
            (_, None) => None,
        };
        let (kind, meta_features) = match &stack {
            Some(s) => (
                ModelKind::LogisticRegression,
                s.views.iter().map(|v| v.model.coef.len()).sum(),
            ),
            None => (params.model, n_features),
        };
        let what = if stack.is_some() { "meta model: " } else { "" };
        let model = linear_from_repr(
            self.linear,
            kind,
            classes,
            multi_label,
            meta_features,
            &format!("{at}{what}"),
        )?;
        Ok(Classifier {
            params: params.clone(),
            features: self.features,
            model,
            stack,
        })
    }
}

impl StackRepr {
    fn into_stack(
        self,
        params: &ClassifierParams,
        classes: &[String],
        n_features: usize,
        dim: usize,
        at: &str,
    ) -> Result<FittedStack, ModelFileError> {
        let bad = |m: String| Err(ModelFileError::Inconsistent(format!("{at}stack: {m}")));
        let wanted = params.stack.clone().unwrap_or_default().views;
        let got: Vec<StackView> = self.views.iter().map(|v| v.view).collect();
        if got != wanted {
            return bad(format!(
                "the views are {:?} but params.stack.views is {:?}",
                got.iter().map(|v| v.name()).collect::<Vec<_>>(),
                wanted.iter().map(|v| v.name()).collect::<Vec<_>>()
            ));
        }
        if self.n_tfidf + dim != n_features {
            return bad(format!(
                "n_tfidf = {} plus {dim} embedding columns is not the features' {n_features} \
                 columns",
                self.n_tfidf
            ));
        }
        let mut views = Vec::with_capacity(self.views.len());
        for v in self.views {
            let name = v.view.name();
            let (kind, cols) = match v.view {
                StackView::TfidfSvm => (ModelKind::LinearSvm, self.n_tfidf),
                StackView::EmbeddingLr => (ModelKind::LogisticRegression, dim),
                StackView::NbLr => (ModelKind::LogisticRegression, self.n_tfidf),
            };
            let nb_weights = match (v.view, v.nb_weights) {
                (StackView::NbLr, Some(w)) => {
                    if w.len() != self.n_tfidf {
                        return bad(format!(
                            "view {name:?}: {} nb_weights for n_tfidf = {}",
                            w.len(),
                            self.n_tfidf
                        ));
                    }
                    let mut out = Vec::with_capacity(w.len());
                    for (i, x) in w.iter().enumerate() {
                        match decode_f64(x) {
                            Ok(v) if v.is_finite() && v >= 0.0 => out.push(v),
                            _ => {
                                return bad(format!(
                                    "view {name:?}: nb_weights[{i}] = {x:?} is not a finite \
                                     number ≥ 0"
                                ))
                            }
                        }
                    }
                    Some(out)
                }
                (StackView::NbLr, None) => return bad(format!("view {name:?} has no nb_weights")),
                (_, Some(_)) => return bad(format!("view {name:?} has nb_weights")),
                (_, None) => None,
            };
            let model = linear_from_repr(
                v.linear,
                kind,
                classes,
                false,
                cols,
                &format!("{at}stack view {name:?}: "),
            )?;
            views.push(FittedView {
                view: v.view,
                model,
                nb_weights,
            });
        }
        Ok(FittedStack {
            n_tfidf: self.n_tfidf,
            views,
        })
    }
}

/// A linear model from its file form, checked against the kind, classes and number of
/// input columns it must have; `at` prefixes the messages.
fn linear_from_repr(
    lin: LinearRepr,
    kind: ModelKind,
    classes: &[String],
    multi_label: bool,
    n_features: usize,
    at: &str,
) -> Result<LinearModel, ModelFileError> {
    let bad = |m: String| Err(ModelFileError::Inconsistent(format!("{at}{m}")));
    if lin.kind != kind {
        return bad(format!(
            "the weights are of a {:?} model but a {:?} model is expected (params.model is \
             the model kind)",
            lin.kind.name(),
            kind.name()
        ));
    }
    if lin.n_features != n_features {
        return bad(format!(
            "the input has {n_features} columns but the weights are for {}",
            lin.n_features
        ));
    }
    let binary = !multi_label && classes.len() == 2;
    let expected: Vec<&String> = if binary {
        vec![&classes[1]]
    } else {
        classes.iter().collect()
    };
    if lin.weights.len() != expected.len() {
        return bad(format!(
            "{} weight vectors for {} classes (expected {})",
            lin.weights.len(),
            classes.len(),
            expected.len()
        ));
    }
    if lin.fit_info.len() != expected.len() {
        return bad(format!(
            "{} fit_info entries for {} weight vectors",
            lin.fit_info.len(),
            expected.len()
        ));
    }
    let mut coef = Vec::with_capacity(expected.len());
    let mut intercept = Vec::with_capacity(expected.len());
    for (w, class) in lin.weights.into_iter().zip(expected) {
        if &w.class != class {
            return bad(format!(
                "weight vector for class {:?} where {class:?} was expected",
                w.class
            ));
        }
        let b = match decode_f64(&w.intercept) {
            Ok(v) if v.is_finite() => v,
            _ => {
                return bad(format!(
                    "class {class:?}: intercept {:?} is not a finite number",
                    w.intercept
                ))
            }
        };
        let indices: Vec<u32> = match w.indices {
            Some(indices) => {
                if indices.len() != w.values.len() {
                    return bad(format!(
                        "class {class:?}: {} indices but {} values",
                        indices.len(),
                        w.values.len()
                    ));
                }
                indices
            }
            None => {
                if w.values.len() != n_features {
                    return bad(format!(
                        "class {class:?}: {} dense values for n_features = {n_features}",
                        w.values.len()
                    ));
                }
                (0..n_features as u32).collect()
            }
        };
        let mut dense = vec![0.0; n_features];
        let mut last: Option<u32> = None;
        for (i, (&j, v)) in indices.iter().zip(&w.values).enumerate() {
            if last.is_some_and(|l| j <= l) || j as usize >= n_features {
                return bad(format!(
                    "class {class:?}: indices[{i}] = {j} is not increasing or not below \
                     n_features = {n_features}"
                ));
            }
            last = Some(j);
            match v.parse::<f32>() {
                Ok(x) if x.is_finite() => dense[j as usize] = f64::from(x),
                _ => {
                    return bad(format!(
                        "class {class:?}: values[{i}] = {v:?} is not a finite number"
                    ))
                }
            }
        }
        coef.push(dense);
        intercept.push(b);
    }
    Ok(LinearModel {
        kind: lin.kind,
        classes: classes.to_vec(),
        multi_label,
        n_features,
        coef,
        intercept,
        fit_info: lin.fit_info,
    })
}

#[cfg(test)]
mod tests;
