//! Sentence embeddings as classifier features: the parameters of the embedding block, the
//! identity of the sentence-transformer model that made them (its name and the sha256 of its
//! files, as a bundle records it), and a loaded encoder.
//!
//! The embeddings come from rhetor's own encoder ([`crate::embed::transformer`], default
//! settings: f32, truncation at the model's `max_seq_length`, the on-disk cache of
//! `models/cache`). Its rows are L2-normalised; the classifier multiplies them by
//! [`TransformerFeatureParams::weight`] and appends them as dense columns after the TF-IDF
//! blocks (see [`append_dense`]). A text with no token (blank) gets a zero row instead of an
//! error.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::error::ClassifyParamsError;
use crate::embed::transformer::{self, Embedder, TransformerError, TransformerParams};

/// The default weight of the embedding columns (chosen by 5-fold cross-validation on the
/// train splits of SemEval-2016 Task 6, P-Stance and GWSD; see the README).
pub const DEFAULT_TRANSFORMER_WEIGHT: f64 = 1.0;

/// The sentence-embedding feature block (`[classify.transformer]`; a TOML/JSON table,
/// unknown keys rejected, missing keys take the defaults). Its presence turns the block on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransformerFeatureParams {
    /// The sentence-transformer model: a name in the models directory (default
    /// `"all-MiniLM-L6-v2"`) or a path to a sentence-transformers folder.
    pub model: String,
    /// Factor multiplying the L2-normalised embedding before it is appended to the TF-IDF
    /// columns (default [`DEFAULT_TRANSFORMER_WEIGHT`]; finite, > 0). Each TF-IDF block has
    /// norm 1 per row, so the weight sets the embedding's share of the squared norm; with
    /// embeddings alone it acts as a factor `weight²` on `C`.
    pub weight: f64,
}

impl Default for TransformerFeatureParams {
    fn default() -> Self {
        TransformerFeatureParams {
            model: transformer::DEFAULT_MODEL.to_owned(),
            weight: DEFAULT_TRANSFORMER_WEIGHT,
        }
    }
}

impl TransformerFeatureParams {
    /// Checks that `model` is not empty and `weight` is finite and > 0.
    pub fn check(&self) -> Result<(), ClassifyParamsError> {
        if self.model.trim().is_empty() {
            return Err(ClassifyParamsError::EmptyTransformerModel);
        }
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(ClassifyParamsError::InvalidTransformerWeight(self.weight));
        }
        Ok(())
    }
}

/// Which sentence-transformer model made a classifier's embedding features: its name (or
/// path), its vector length, and the sha256 of its files by path relative to the model
/// folder. Recorded in the model file; `predict` refuses a model whose files differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderId {
    /// The model name (or path) the classifier was trained with.
    pub model: String,
    /// Vector length.
    pub dimension: usize,
    /// sha256 (lowercase hex) of the model's files, by path relative to the model folder.
    pub model_files: BTreeMap<String, String>,
}

impl EncoderId {
    /// The first difference between the model files recorded here (`self`) and those of
    /// an installed model (`installed`): the file and what is wrong with it.
    pub fn difference(&self, installed: &EncoderId) -> Option<(String, String)> {
        for (file, sum) in &self.model_files {
            match installed.model_files.get(file) {
                None => return Some((file.clone(), "is missing".into())),
                Some(g) if g != sum => {
                    return Some((file.clone(), format!("has sha256 {g} instead of {sum}")))
                }
                _ => {}
            }
        }
        if let Some(extra) = installed
            .model_files
            .keys()
            .find(|f| !self.model_files.contains_key(*f))
        {
            return Some((
                extra.clone(),
                "exists but did not when the classifier was trained".into(),
            ));
        }
        if self.dimension != installed.dimension {
            return Some((
                "config.json".into(),
                format!(
                    "gives vectors of length {} instead of {}",
                    installed.dimension, self.dimension
                ),
            ));
        }
        None
    }
}

/// Counts of the texts a [`SentenceEncoder`] embedded (over all its calls).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EncoderStats {
    /// Texts embedded (each row of each call).
    pub texts: usize,
    /// Of which found in the cache.
    pub cached: usize,
    /// Wall-clock seconds spent embedding.
    pub seconds: f64,
}

/// A loaded sentence-transformer model with its identity; cheap to clone (shared).
#[derive(Clone)]
pub struct SentenceEncoder {
    id: EncoderId,
    embedder: Arc<Embedder>,
    stats: Arc<Mutex<EncoderStats>>,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("model", &self.id.model)
            .field("dimension", &self.id.dimension)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SentenceEncoder {
    /// Encoders are equal when their identities are.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// sha256 of the files of the model folder `dir` that shape its embeddings.
pub use crate::embed::transformer::fetch::model_files;

impl SentenceEncoder {
    /// Loads `model` (a name in `models_dir`, or a path to a folder) with the default
    /// transformer settings (f32, truncation, the cache in `models_dir/cache`) and hashes
    /// its files.
    pub fn load(models_dir: &Path, model: &str) -> Result<SentenceEncoder, TransformerError> {
        let params = TransformerParams {
            model: model.to_owned(),
            ..TransformerParams::default()
        };
        let embedder = transformer::load(models_dir, &params)?;
        let model_files = model_files(embedder.dir())?;
        Ok(SentenceEncoder {
            id: EncoderId {
                model: model.to_owned(),
                dimension: embedder.dimension(),
                model_files,
            },
            embedder: Arc::new(embedder),
            stats: Arc::default(),
        })
    }

    /// The model's identity.
    pub fn id(&self) -> &EncoderId {
        &self.id
    }

    /// Counts of the texts embedded so far (by this encoder and its clones).
    pub fn stats(&self) -> EncoderStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// The embeddings of `texts` (one L2-normalised row per text, in input order); a text
    /// without any token gets a zero row.
    pub fn embed(&self, texts: &[&str]) -> Result<Array2<f32>, TransformerError> {
        let start = Instant::now();
        let mut out = Array2::<f32>::zeros((texts.len(), self.id.dimension));
        // Rows still to embed; a blank one found by the encoder is dropped and the rest
        // embedded again (the vectors already computed come from the cache, or are
        // recomputed bit-identically).
        let mut todo: Vec<usize> = (0..texts.len())
            .filter(|&i| !texts[i].trim().is_empty())
            .collect();
        let mut cached = 0;
        while !todo.is_empty() {
            let batch: Vec<&str> = todo.iter().map(|&i| texts[i]).collect();
            match self.embedder.embed(&batch) {
                Ok((rows, stats)) => {
                    for (j, &i) in todo.iter().enumerate() {
                        out.row_mut(i).assign(&rows.row(j));
                    }
                    cached = stats.n_cached;
                    break;
                }
                Err(TransformerError::EmptyText { index }) if index < todo.len() => {
                    todo.remove(index);
                }
                Err(e) => return Err(e),
            }
        }
        if let Ok(mut s) = self.stats.lock() {
            s.texts += texts.len();
            s.cached += cached;
            s.seconds += start.elapsed().as_secs_f64();
        }
        Ok(out)
    }
}

/// `x` with the rows of `dense` (same number of rows) times `weight` appended as columns
/// (CSR; the dense columns come after `x`'s, exact zeros are not stored).
pub fn append_dense(x: &CsMat<f64>, dense: ArrayView2<'_, f32>, weight: f64) -> CsMat<f64> {
    let n = x.rows();
    debug_assert_eq!(dense.nrows(), n);
    let d = dense.ncols();
    let csr;
    let x = if x.is_csr() {
        x
    } else {
        csr = x.to_csr();
        &csr
    };
    let mut indptr = Vec::with_capacity(n + 1);
    let mut indices = Vec::with_capacity(x.nnz() + n * d);
    let mut data = Vec::with_capacity(x.nnz() + n * d);
    indptr.push(0);
    let offset = x.cols();
    for r in 0..n {
        if let Some(row) = x.outer_view(r) {
            indices.extend_from_slice(row.indices());
            data.extend_from_slice(row.data());
        }
        for (j, &v) in dense.row(r).iter().enumerate() {
            if v != 0.0 {
                indices.push(offset + j);
                data.push(f64::from(v) * weight);
            }
        }
        indptr.push(indices.len());
    }
    CsMat::new((n, offset + d), indptr, indices, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn dense_columns_follow_the_sparse_ones_scaled_by_the_weight() {
        let x = CsMat::new((2, 3), vec![0, 2, 3], vec![0, 2, 1], vec![0.6, 0.8, 1.0]);
        let e = array![[0.6f32, 0.0, -0.8], [0.0, 0.0, 0.0]];
        let y = append_dense(&x, e.view(), 2.0);
        assert_eq!(y.shape(), (2, 6));
        let r0 = y.outer_view(0).unwrap();
        assert_eq!(r0.indices(), &[0, 2, 3, 5]);
        let want = [0.6, 0.8, f64::from(0.6f32) * 2.0, f64::from(-0.8f32) * 2.0];
        assert_eq!(r0.data(), &want);
        // A zero (blank-text) row adds nothing.
        let r1 = y.outer_view(1).unwrap();
        assert_eq!(r1.indices(), &[1]);
        // Embeddings alone: an n × 0 sparse part.
        let empty = CsMat::<f64>::zero((2, 0));
        let z = append_dense(&empty, e.view(), 1.0);
        assert_eq!(z.shape(), (2, 3));
        assert_eq!(z.outer_view(0).unwrap().indices(), &[0, 2]);
        assert_eq!(z.nnz(), 2);
    }

    #[test]
    fn transformer_params_rules() {
        assert!(TransformerFeatureParams::default().check().is_ok());
        for weight in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = TransformerFeatureParams {
                weight,
                ..Default::default()
            }
            .check()
            .unwrap_err();
            assert!(
                matches!(e, ClassifyParamsError::InvalidTransformerWeight(_)),
                "{e}"
            );
        }
        let e = TransformerFeatureParams {
            model: " ".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(e, ClassifyParamsError::EmptyTransformerModel);
        let p: TransformerFeatureParams = serde_json::from_str(r#"{"weight": 0.5}"#).unwrap();
        assert_eq!(p.model, "all-MiniLM-L6-v2");
        assert!(serde_json::from_str::<TransformerFeatureParams>(r#"{"wieght": 1}"#).is_err());
    }

    /// The installed all-MiniLM-L6-v2, or `None` (with a message) when it is absent.
    fn installed() -> Option<SentenceEncoder> {
        let dir = transformer::fetch::default_models_dir();
        if !dir
            .join(transformer::DEFAULT_MODEL)
            .join("model.safetensors")
            .is_file()
        {
            eprintln!("SKIP: {} is not installed", transformer::DEFAULT_MODEL);
            return None;
        }
        Some(SentenceEncoder::load(&dir, transformer::DEFAULT_MODEL).unwrap())
    }

    fn toy() -> (
        Vec<&'static str>,
        crate::classify::Labels,
        Vec<&'static str>,
    ) {
        let texts = vec![
            "god does not exist, religion is a lie",
            "praise god, faith gives me strength",
            "religion is poison for the mind",
            "I pray to god every day",
            "atheism is the only honest position",
            "the church saved my life",
            "the climate is changing, act now",
            "climate change is a hoax",
            "we must cut emissions now",
            "global warming is fake news",
            "renewables will save the planet",
            "   ",
        ];
        let labels = crate::classify::Labels::Single(
            [
                "AGAINST", "FAVOR", "AGAINST", "FAVOR", "AGAINST", "FAVOR", "FAVOR", "AGAINST",
                "FAVOR", "AGAINST", "FAVOR", "AGAINST",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        );
        let targets = vec![
            "Atheism", "Atheism", "Atheism", "Atheism", "Atheism", "Atheism", "Climate", "Climate",
            "Climate", "Climate", "Climate", "Climate",
        ];
        (texts, labels, targets)
    }

    /// Training with tfidf+transformer features gives the same model file bytes on 1 and 2
    /// threads; the file read back predicts the same scores; out-of-fold predictions equal
    /// those of the fold models applied to the held-out texts; a file recording other model
    /// files is refused naming the file.
    #[test]
    fn transformer_features_end_to_end_with_the_installed_model() {
        use crate::classify::{
            ClassifierParams, CvParams, ModelFile, ModelFileError, TrainedModel, TrainingInfo,
        };
        let Some(encoder) = installed() else {
            return;
        };
        assert_eq!(encoder.id().dimension, 384);
        let (texts, labels, targets) = toy();
        // A blank text embeds to a zero row.
        let e = encoder.embed(&texts).unwrap();
        assert!(e.row(11).iter().all(|&v| v == 0.0));
        let norm: f32 = e.row(0).iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        let p = ClassifierParams {
            transformer: Some(TransformerFeatureParams::default()),
            ..Default::default()
        }
        .check()
        .unwrap()
        .with_encoder(encoder.clone());
        let train = || {
            let m = p.train_per_target(&texts, &labels, &targets).unwrap();
            ModelFile::new(
                TrainedModel::PerTarget(m),
                TrainingInfo::from_data(&texts, &labels, Some(&targets)),
            )
            .to_json()
            .unwrap()
        };
        let (one, two) = crate::test_util::on_1_and_n_threads(2, train);
        assert_eq!(one, two);
        assert!(one.contains("\"kind\":\"transformer\""));
        assert!(one.contains(&encoder.id().model_files["model.safetensors"]));
        let file = ModelFile::from_json(&one).unwrap();
        assert_eq!(file.encoder_id(), Some(encoder.id()));
        let direct = p.train_per_target(&texts, &labels, &targets).unwrap();
        let a = direct.predict(&texts, &targets).unwrap();
        let b = file.predict(&texts, Some(targets.as_slice())).unwrap();
        assert_eq!(a.scores, b.scores);
        // Without the model attached: a typed error.
        let unloaded = ModelFile::from_slice_unloaded(one.as_bytes()).unwrap();
        assert!(matches!(
            unloaded
                .predict(&texts, Some(targets.as_slice()))
                .unwrap_err(),
            crate::classify::ClassifyError::NoEncoder { .. }
        ));
        // Out-of-fold predictions equal the fold models' predictions of the held-out rows.
        let cv = CvParams { folds: 2, seed: 3 }.check().unwrap();
        let (x1, x2) = crate::test_util::on_1_and_n_threads(2, || {
            p.cross_validate_per_target(&texts, &labels, &targets, &cv)
                .unwrap()
                .pooled
                .scores
        });
        assert_eq!(x1, x2);
        let plain = ClassifierParams::default().check().unwrap();
        let folds = crate::classify::cv::stratified_k_fold(&labels, &cv).unwrap();
        let out = p.cross_validate(&texts, &labels, &folds).unwrap();
        for f in &folds {
            let tr: Vec<&str> = f.train.iter().map(|&r| texts[r]).collect();
            let te: Vec<&str> = f.test.iter().map(|&r| texts[r]).collect();
            let y = crate::classify::Labels::Single(match &labels {
                crate::classify::Labels::Single(v) => {
                    f.train.iter().map(|&r| v[r].clone()).collect()
                }
                crate::classify::Labels::Multi(_) => unreachable!(),
            });
            let clf = p.train(&tr, &y).unwrap();
            let pred = clf.try_predict(&te).unwrap();
            for (i, &r) in f.test.iter().enumerate() {
                assert_eq!(pred.scores.row(i), out.predictions.scores.row(r));
            }
            // The embedding features change the model.
            let tfidf = plain.train(&tr, &y).unwrap().predict(&te);
            assert_ne!(tfidf.scores, pred.scores);
        }
        // A file recording different model files is refused, naming the file.
        let sum = &encoder.id().model_files["model.safetensors"];
        let other = one.replace(sum.as_str(), &"0".repeat(64));
        let e = ModelFile::from_json(&other).unwrap_err();
        assert!(
            matches!(&e, ModelFileError::EncoderMismatch { file, .. } if file == "model.safetensors"),
            "{e}"
        );
        assert!(e.to_string().contains("installed model differs"), "{e}");
        // A model that is not installed is a clear error too.
        let missing = one.replace(
            "\"model\":\"all-MiniLM-L6-v2\"",
            "\"model\":\"no-such-model\"",
        );
        let e = ModelFile::from_json(&missing).unwrap_err();
        assert!(e.to_string().contains("no-such-model"), "{e}");
    }

    #[test]
    fn encoder_id_differences_name_the_file() {
        let files = |s: &[(&str, &str)]| {
            s.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let a = EncoderId {
            model: "m".into(),
            dimension: 4,
            model_files: files(&[("config.json", "aa"), ("model.safetensors", "bb")]),
        };
        assert_eq!(a.difference(&a.clone()), None);
        let mut b = a.clone();
        b.model_files
            .insert("model.safetensors".into(), "cc".into());
        let (file, problem) = a.difference(&b).unwrap();
        assert_eq!(file, "model.safetensors");
        assert!(problem.contains("cc instead of bb"), "{problem}");
        let mut c = a.clone();
        c.model_files.remove("config.json");
        assert_eq!(a.difference(&c).unwrap().0, "config.json");
        let mut d = a.clone();
        d.model_files.insert("vocab.txt".into(), "dd".into());
        assert_eq!(a.difference(&d).unwrap().0, "vocab.txt");
    }
}
