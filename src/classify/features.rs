//! Text features for the classifiers: blocks of TF-IDF n-grams (and sentence embeddings)
//! stacked side by side.
//!
//! The defaults are the features of the SemEval-2016 Task 6 SVM-ngrams baseline
//! (Mohammad et al. 2016): word 1–3-grams and character 2–5-grams, here each weighted by
//! TF-IDF with sublinear tf, `min_df = 1`, lowercased. Each block is fitted by its own
//! [`TfidfParams`] vectorizer, which l2-normalises its rows, and the blocks are stacked
//! horizontally (columns of the word block, then of the char block), exactly as
//! scikit-learn's `FeatureUnion` of two `TfidfVectorizer`s does — so a row's norm is √2 when
//! both blocks have a term in it.
//!
//! After the TF-IDF blocks may come a block of sentence embeddings (see
//! [`encoder`](super::encoder)): each text's L2-normalised vector times a weight, as dense
//! columns. Cross-validation and per-target training embed every text once and hand each
//! fold its rows ([`FeatureValidParams::fit_transform_with`],
//! [`FittedFeatures::transform_with`]); prediction embeds new texts with the loaded model
//! ([`FittedFeatures::try_transform`]).
//!
//! With [`Hashtags`] other than `"keep"` the texts' hashtags are rewritten before the
//! TF-IDF blocks see them (fitting and transforming alike); the embeddings are of the
//! original texts.
//!
//! [`FittedFeatures`] is a list of [`FittedBlock`]s. It serializes with serde; the idf values
//! are written as decimal strings (shortest round-trip form) because `serde_json` as built
//! here does not parse every float back to the same bits (about 15% of random `f64`s come
//! back one ulp off), and a reloaded model must predict bit-identically.

use std::borrow::Cow;

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sprs::CsMat;

use super::encoder::{append_dense, EncoderId, SentenceEncoder, TransformerFeatureParams};
use super::error::{ClassifyError, ClassifyParamsError};
use super::hashtags::Hashtags;
use crate::embed::tfidf::{Analyzer, FittedTfidf, TfidfParams, TfidfValidParams};

/// Which feature blocks to build, each a TF-IDF vectorizer (a TOML/JSON table; unknown keys
/// are rejected; a missing block takes its default; in JSON, `null` turns a block off).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeatureParams {
    /// Word n-grams (analyzer `"word"`). Default [`word_block_defaults`]; `None` turns the
    /// block off.
    pub word: Option<TfidfParams>,
    /// Character n-grams (analyzer `"char"` or `"char_wb"`). Default
    /// [`char_block_defaults`]; `None` turns the block off.
    pub char: Option<TfidfParams>,
}

/// The default word block: word 1–3-grams, TF-IDF with sublinear tf, `min_df = 1`,
/// lowercased, no stop words, l2-normalised (scikit-learn
/// `TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True)`).
pub fn word_block_defaults() -> TfidfParams {
    TfidfParams {
        analyzer: Analyzer::Word,
        ngram_range: (1, 3),
        sublinear_tf: true,
        ..TfidfParams::default()
    }
}

/// The default char block: character 2–5-grams over the whole text, TF-IDF with sublinear
/// tf, `min_df = 1`, lowercased, l2-normalised (scikit-learn
/// `TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True)`).
pub fn char_block_defaults() -> TfidfParams {
    TfidfParams {
        analyzer: Analyzer::Char,
        ngram_range: (2, 5),
        sublinear_tf: true,
        ..TfidfParams::default()
    }
}

impl Default for FeatureParams {
    fn default() -> Self {
        FeatureParams {
            word: Some(word_block_defaults()),
            char: Some(char_block_defaults()),
        }
    }
}

/// Checked [`FeatureParams`] (made by [`FeatureParams::check`]), with the sentence-embedding
/// block when the classifier's parameters have one
/// ([`ClassifierParams::transformer`](super::ClassifierParams::transformer)).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureValidParams {
    blocks: Vec<(&'static str, TfidfValidParams)>,
    transformer: Option<TransformerFeatureParams>,
    hashtags: Hashtags,
}

impl FeatureParams {
    /// Checks that at least one block is on, that the word block uses the `"word"` analyzer
    /// and the char block `"char"` or `"char_wb"`, and each block's TF-IDF rules
    /// ([`TfidfParams::check`]).
    pub fn check(&self) -> Result<FeatureValidParams, ClassifyParamsError> {
        let mut blocks = Vec::new();
        for (block, params) in [("word", &self.word), ("char", &self.char)] {
            let Some(p) = params else { continue };
            let fits = match block {
                "word" => p.analyzer == Analyzer::Word,
                _ => p.analyzer != Analyzer::Word,
            };
            if !fits {
                return Err(ClassifyParamsError::BlockAnalyzer {
                    block,
                    analyzer: p.analyzer,
                });
            }
            let valid = p
                .check()
                .map_err(|source| ClassifyParamsError::Tfidf { block, source })?;
            blocks.push((block, valid));
        }
        if blocks.is_empty() {
            return Err(ClassifyParamsError::NoFeatureBlock);
        }
        Ok(FeatureValidParams {
            blocks,
            transformer: None,
            hashtags: Hashtags::Keep,
        })
    }
}

impl FeatureValidParams {
    /// No TF-IDF block (embeddings alone).
    pub(crate) fn no_tfidf() -> FeatureValidParams {
        FeatureValidParams {
            blocks: Vec::new(),
            transformer: None,
            hashtags: Hashtags::Keep,
        }
    }

    /// These features with the hashtag rewrite `hashtags` before the TF-IDF blocks.
    pub(crate) fn with_hashtags(mut self, hashtags: Hashtags) -> FeatureValidParams {
        self.hashtags = hashtags;
        self
    }

    /// How the TF-IDF blocks see hashtags.
    pub fn hashtags(&self) -> Hashtags {
        self.hashtags
    }

    /// These blocks plus the sentence-embedding block `transformer` (checked), if any.
    pub(crate) fn with_transformer(
        mut self,
        transformer: Option<TransformerFeatureParams>,
    ) -> FeatureValidParams {
        self.transformer = transformer;
        self
    }

    /// The sentence-embedding block's parameters, if the features have one.
    pub fn transformer(&self) -> Option<&TransformerFeatureParams> {
        self.transformer.as_ref()
    }

    /// Fit every TF-IDF block on `texts` and return the fitted blocks with the stacked
    /// feature matrix (CSR, one row per text; the columns of the first block, then the
    /// next). Features with a sentence-embedding block need the embeddings: use
    /// [`fit_transform_with`](Self::fit_transform_with).
    pub fn fit_transform(
        &self,
        texts: &[&str],
    ) -> Result<(FittedFeatures, CsMat<f64>), ClassifyError> {
        self.fit_transform_with(texts, None)
    }

    /// [`fit_transform`](Self::fit_transform) with the embeddings of `texts` (one row per
    /// text) and the identity of the model that made them, for features with a
    /// sentence-embedding block: its columns (the rows times the block's weight) come after
    /// the TF-IDF columns, and the fitted block records the model's identity (attach the
    /// loaded model to predict new texts). Without a sentence-embedding block `dense` is
    /// ignored; with one, a missing `dense` is [`ClassifyError::NoEncoder`].
    pub fn fit_transform_with(
        &self,
        texts: &[&str],
        dense: Option<(ArrayView2<'_, f32>, &EncoderId)>,
    ) -> Result<(FittedFeatures, CsMat<f64>), ClassifyError> {
        let mut blocks = Vec::with_capacity(self.blocks.len() + 1);
        let mut mats = Vec::with_capacity(self.blocks.len());
        let rewritten = if self.blocks.is_empty() {
            Vec::new()
        } else {
            rewrite_all(self.hashtags, texts)
        };
        let tfidf_texts = tfidf_texts(texts, &rewritten);
        for (name, params) in &self.blocks {
            let (vectorizer, x) =
                params
                    .fit_transform(&tfidf_texts)
                    .map_err(|source| ClassifyError::Features {
                        block: (*name).to_owned(),
                        source,
                    })?;
            blocks.push(FittedBlock::Tfidf {
                name: (*name).to_owned(),
                vectorizer,
            });
            mats.push(x);
        }
        let mut x = hstack(&mats, texts.len());
        if let Some(t) = &self.transformer {
            let Some((rows, id)) = dense else {
                return Err(ClassifyError::NoEncoder {
                    model: t.model.clone(),
                });
            };
            check_dense(rows, texts.len(), id.dimension)?;
            x = append_dense(&x, rows, t.weight);
            blocks.push(FittedBlock::Transformer {
                name: "transformer".to_owned(),
                encoder: id.clone(),
                weight: t.weight,
                loaded: None,
            });
        }
        let fitted = FittedFeatures {
            blocks,
            hashtags: self.hashtags,
        };
        let n_features = fitted.n_features();
        if n_features >= u32::MAX as usize {
            return Err(ClassifyError::TooManyFeatures(n_features));
        }
        Ok((fitted, x))
    }
}

/// `texts` with their hashtags rewritten by `hashtags` (empty with `"keep"`: the texts are
/// used as they are).
fn rewrite_all<'a>(hashtags: Hashtags, texts: &[&'a str]) -> Vec<Cow<'a, str>> {
    if hashtags.is_keep() {
        return Vec::new();
    }
    texts.iter().map(|t| hashtags.rewrite(t)).collect()
}

/// The texts the TF-IDF blocks see: `texts`, or their rewrites when there are any.
fn tfidf_texts<'a>(texts: &'a [&'a str], rewritten: &'a [Cow<'a, str>]) -> Cow<'a, [&'a str]> {
    if rewritten.is_empty() {
        Cow::Borrowed(texts)
    } else {
        Cow::Owned(rewritten.iter().map(|c| c.as_ref()).collect())
    }
}

/// Embeddings must have one row per text and the encoder's number of columns.
fn check_dense(rows: ArrayView2<'_, f32>, n: usize, dim: usize) -> Result<(), ClassifyError> {
    if rows.nrows() != n {
        return Err(ClassifyError::LengthMismatch {
            what: "embeddings",
            expected: n,
            got: rows.nrows(),
        });
    }
    if rows.ncols() != dim {
        return Err(ClassifyError::Embedding(format!(
            "the embeddings have {} columns but the encoder gives {dim}",
            rows.ncols()
        )));
    }
    Ok(())
}

/// One fitted block of features.
#[derive(Clone, Debug)]
pub enum FittedBlock {
    /// A TF-IDF vectorizer (word or character n-grams) whose rows are l2-normalised (or as
    /// its `norm` says).
    Tfidf {
        /// Block name: `"word"` or `"char"`.
        name: String,
        /// The fitted vectorizer.
        vectorizer: FittedTfidf,
    },
    /// Sentence embeddings (always the last block): the L2-normalised vector of each text
    /// times `weight`.
    Transformer {
        /// Block name: `"transformer"`.
        name: String,
        /// The model that made the embeddings.
        encoder: EncoderId,
        /// Factor of the embedding columns.
        weight: f64,
        /// The loaded model, when there is one (training attaches it; reading a model
        /// file loads it, see [`ModelFile`](super::ModelFile)).
        loaded: Option<SentenceEncoder>,
    },
}

impl FittedBlock {
    /// The block's name (`"word"`, `"char"`).
    pub fn name(&self) -> &str {
        match self {
            FittedBlock::Tfidf { name, .. } | FittedBlock::Transformer { name, .. } => name,
        }
    }

    /// Number of columns the block contributes.
    pub fn n_features(&self) -> usize {
        match self {
            FittedBlock::Tfidf { vectorizer, .. } => vectorizer.vocabulary().len(),
            FittedBlock::Transformer { encoder, .. } => encoder.dimension,
        }
    }

    /// Name of the block's column `col` (the n-gram), if in range; embedding dimensions
    /// have no name (`None`).
    pub fn feature_name(&self, col: usize) -> Option<&str> {
        match self {
            FittedBlock::Tfidf { vectorizer, .. } => {
                vectorizer.vocabulary().get(col).map(String::as_str)
            }
            FittedBlock::Transformer { .. } => None,
        }
    }

    fn transform(&self, texts: &[&str]) -> Option<CsMat<f64>> {
        match self {
            FittedBlock::Tfidf { vectorizer, .. } => Some(vectorizer.transform(texts)),
            FittedBlock::Transformer { .. } => None,
        }
    }
}

/// Fitted features: the blocks in column order. Made by
/// [`FeatureValidParams::fit_transform`]; serializes with serde (see the module docs).
#[derive(Clone, Debug)]
pub struct FittedFeatures {
    blocks: Vec<FittedBlock>,
    hashtags: Hashtags,
}

impl FittedFeatures {
    /// The stacked feature matrix of `texts` (CSR, one row per text, column indices sorted
    /// within each row); unknown terms are ignored.
    ///
    /// # Panics
    ///
    /// With a sentence-embedding block, when embedding fails (no loaded model, an I/O
    /// error of the cache): use [`try_transform`](Self::try_transform) then.
    pub fn transform(&self, texts: &[&str]) -> CsMat<f64> {
        match self.try_transform(texts) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        }
    }

    /// The stacked feature matrix of `texts`, embedding them with the loaded model when
    /// the features have a sentence-embedding block.
    pub fn try_transform(&self, texts: &[&str]) -> Result<CsMat<f64>, ClassifyError> {
        match self.transformer_block() {
            None => self.transform_with(texts, None),
            Some((id, _, loaded)) => {
                let encoder = loaded.ok_or_else(|| ClassifyError::NoEncoder {
                    model: id.model.clone(),
                })?;
                let dense = encoder
                    .embed(texts)
                    .map_err(|e| ClassifyError::Embedding(e.to_string()))?;
                self.transform_with(texts, Some(dense.view()))
            }
        }
    }

    /// The stacked feature matrix of `texts` given their embeddings `dense` (one row per
    /// text; needed when the features have a sentence-embedding block, ignored otherwise).
    pub fn transform_with(
        &self,
        texts: &[&str],
        dense: Option<ArrayView2<'_, f32>>,
    ) -> Result<CsMat<f64>, ClassifyError> {
        let rewritten = rewrite_all(self.hashtags, texts);
        let tfidf_texts = tfidf_texts(texts, &rewritten);
        let mats: Vec<CsMat<f64>> = self
            .blocks
            .par_iter()
            .filter_map(|b| b.transform(&tfidf_texts))
            .collect();
        let x = hstack(&mats, texts.len());
        match self.transformer_block() {
            None => Ok(x),
            Some((id, weight, _)) => {
                let rows = dense.ok_or_else(|| ClassifyError::NoEncoder {
                    model: id.model.clone(),
                })?;
                check_dense(rows, texts.len(), id.dimension)?;
                Ok(append_dense(&x, rows, weight))
            }
        }
    }

    /// The sentence-embedding block: the model's identity, the weight and the loaded model.
    fn transformer_block(&self) -> Option<(&EncoderId, f64, Option<&SentenceEncoder>)> {
        self.blocks.iter().find_map(|b| match b {
            FittedBlock::Transformer {
                encoder,
                weight,
                loaded,
                ..
            } => Some((encoder, *weight, loaded.as_ref())),
            FittedBlock::Tfidf { .. } => None,
        })
    }

    /// The identity of the sentence-transformer model of the embedding block, if any.
    pub fn encoder_id(&self) -> Option<&EncoderId> {
        self.transformer_block().map(|(id, _, _)| id)
    }

    /// Attaches a loaded model to the embedding block (no effect without one), to embed the
    /// texts [`try_transform`](Self::try_transform) is given. The caller checks that it is
    /// the model the block records ([`EncoderId::difference`]).
    pub fn attach_encoder(&mut self, encoder: &SentenceEncoder) {
        for b in &mut self.blocks {
            if let FittedBlock::Transformer { loaded, .. } = b {
                *loaded = Some(encoder.clone());
            }
        }
    }

    /// Total number of columns.
    pub fn n_features(&self) -> usize {
        self.blocks.iter().map(FittedBlock::n_features).sum()
    }

    /// The blocks, in column order.
    pub fn blocks(&self) -> &[FittedBlock] {
        &self.blocks
    }

    /// How the TF-IDF blocks see hashtags (the rewrite applied before them).
    pub fn hashtags(&self) -> Hashtags {
        self.hashtags
    }

    /// The block and the n-gram of column `col` of the stacked matrix, if in range.
    pub fn feature_name(&self, mut col: usize) -> Option<(&str, &str)> {
        for b in &self.blocks {
            let n = b.n_features();
            if col < n {
                return b.feature_name(col).map(|f| (b.name(), f));
            }
            col -= n;
        }
        None
    }
}

/// Stack CSR matrices with `n_rows` rows side by side (none: `n_rows × 0`).
fn hstack(mats: &[CsMat<f64>], n_rows: usize) -> CsMat<f64> {
    if mats.len() == 1 {
        return mats[0].clone();
    }
    let n_cols: usize = mats.iter().map(|m| m.cols()).sum();
    let nnz: usize = mats.iter().map(|m| m.nnz()).sum();
    let mut indptr = Vec::with_capacity(n_rows + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    for r in 0..n_rows {
        let mut offset = 0;
        for m in mats {
            if let Some(row) = m.outer_view(r) {
                indices.extend(row.indices().iter().map(|&c| c + offset));
                data.extend_from_slice(row.data());
            }
            offset += m.cols();
        }
        indptr.push(indices.len());
    }
    CsMat::new((n_rows, n_cols), indptr, indices, data)
}

// ---------------------------------------------------------------------------
// Serialization: idf values as exact decimal strings
// ---------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum BlockRepr {
    Tfidf {
        name: String,
        vectorizer: serde_json::Value,
    },
    Transformer {
        name: String,
        encoder: EncoderId,
        weight: String,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeaturesRepr {
    /// Not written with `"keep"` (files without the key are unchanged and mean `"keep"`).
    #[serde(default, skip_serializing_if = "Hashtags::is_keep")]
    hashtags: Hashtags,
    blocks: Vec<BlockRepr>,
}

impl Serialize for FittedFeatures {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            match b {
                FittedBlock::Tfidf { name, vectorizer } => {
                    let mut v = serde_json::to_value(vectorizer).map_err(S::Error::custom)?;
                    if let Some(obj) = v.as_object_mut() {
                        let idf: Vec<serde_json::Value> = vectorizer
                            .idf()
                            .iter()
                            .map(|&x| serde_json::Value::String(super::codec::encode_f64(x)))
                            .collect();
                        obj.insert("idf".to_owned(), serde_json::Value::Array(idf));
                    }
                    blocks.push(BlockRepr::Tfidf {
                        name: name.clone(),
                        vectorizer: v,
                    });
                }
                FittedBlock::Transformer {
                    name,
                    encoder,
                    weight,
                    ..
                } => blocks.push(BlockRepr::Transformer {
                    name: name.clone(),
                    encoder: encoder.clone(),
                    weight: super::codec::encode_f64(*weight),
                }),
            }
        }
        FeaturesRepr {
            hashtags: self.hashtags,
            blocks,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for FittedFeatures {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let repr = FeaturesRepr::deserialize(d)?;
        if repr.blocks.is_empty() {
            return Err(D::Error::custom("the features have no block"));
        }
        let mut blocks = Vec::with_capacity(repr.blocks.len());
        let last = repr.blocks.len() - 1;
        for (i, b) in repr.blocks.into_iter().enumerate() {
            match b {
                BlockRepr::Transformer {
                    name,
                    encoder,
                    weight,
                } => {
                    if i != last {
                        return Err(D::Error::custom(format!(
                            "feature block {name:?}: the sentence-embedding block must be the \
                             last one"
                        )));
                    }
                    let weight = super::codec::decode_f64(&weight)
                        .ok()
                        .filter(|w| w.is_finite() && *w > 0.0)
                        .ok_or_else(|| {
                            D::Error::custom(format!(
                                "feature block {name:?}: weight {weight:?} is not a finite \
                                 number > 0 written as a string"
                            ))
                        })?;
                    blocks.push(FittedBlock::Transformer {
                        name,
                        encoder,
                        weight,
                        loaded: None,
                    });
                }
                BlockRepr::Tfidf {
                    name,
                    mut vectorizer,
                } => {
                    let idf = vectorizer
                        .get_mut("idf")
                        .and_then(serde_json::Value::as_array_mut)
                        .ok_or_else(|| {
                            D::Error::custom(format!("feature block {name:?} has no idf array"))
                        })?;
                    for (i, x) in idf.iter_mut().enumerate() {
                        let value = x
                            .as_str()
                            .and_then(|s| super::codec::decode_f64(s).ok())
                            .filter(|v| v.is_finite())
                            .and_then(serde_json::Number::from_f64)
                            .ok_or_else(|| {
                                D::Error::custom(format!(
                                    "feature block {name:?}: idf[{i}] = {x} is not a finite \
                                     number written as a string"
                                ))
                            })?;
                        *x = serde_json::Value::Number(value);
                    }
                    let vectorizer: FittedTfidf = serde_json::from_value(vectorizer)
                        .map_err(|e| D::Error::custom(format!("feature block {name:?}: {e}")))?;
                    blocks.push(FittedBlock::Tfidf { name, vectorizer });
                }
            }
        }
        Ok(FittedFeatures {
            blocks,
            hashtags: repr.hashtags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: [&str; 4] = [
        "The cat sat on the mat.",
        "Dogs and cats, living together!",
        "A mat is not a hat",
        "Zebras?",
    ];

    #[test]
    fn blocks_are_stacked_word_then_char_each_l2_normalised() {
        let p = FeatureParams::default().check().unwrap();
        let (fitted, x) = p.fit_transform(&DOCS).unwrap();
        assert_eq!(fitted.blocks().len(), 2);
        let nw = fitted.blocks()[0].n_features();
        let nc = fitted.blocks()[1].n_features();
        assert_eq!(x.cols(), nw + nc);
        assert_eq!(x.rows(), 4);
        for r in 0..4 {
            let row = x.outer_view(r).unwrap();
            let (mut w2, mut c2) = (0.0, 0.0);
            for (c, v) in row.iter() {
                if c < nw {
                    w2 += v * v
                } else {
                    c2 += v * v
                }
            }
            approx::assert_abs_diff_eq!(w2, 1.0, epsilon = 1e-12);
            approx::assert_abs_diff_eq!(c2, 1.0, epsilon = 1e-12);
            assert!(row.indices().windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(fitted.feature_name(0).unwrap().0, "word");
        assert_eq!(fitted.feature_name(nw).unwrap().0, "char");
        assert!(fitted.feature_name(nw + nc).is_none());
        // transform of the training texts equals fit_transform.
        let y = fitted.transform(&DOCS);
        assert_eq!(x, y);
    }

    #[test]
    fn single_block_and_errors() {
        let p = FeatureParams {
            word: None,
            char: Some(char_block_defaults()),
        }
        .check()
        .unwrap();
        let (fitted, x) = p.fit_transform(&DOCS).unwrap();
        assert_eq!(fitted.blocks().len(), 1);
        assert_eq!(x.cols(), fitted.n_features());
        // A corpus without any word of two characters has no word feature.
        let p = FeatureParams::default().check().unwrap();
        let e = p.fit_transform(&["a b", "c"]).unwrap_err();
        assert!(
            matches!(&e, ClassifyError::Features { block, .. } if block == "word"),
            "{e}"
        );
    }

    fn fake_id(dimension: usize) -> EncoderId {
        EncoderId {
            model: "fake-model".into(),
            dimension,
            model_files: [("model.safetensors".to_string(), "ab".repeat(32))]
                .into_iter()
                .collect(),
        }
    }

    /// Unit rows, one per doc, as a sentence-transformer would give (the last is a blank
    /// text's zero row).
    fn fake_embeddings() -> ndarray::Array2<f32> {
        ndarray::array![
            [0.6, 0.8, 0.0],
            [0.0, 0.6, -0.8],
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0]
        ]
    }

    #[test]
    fn embedding_columns_come_after_the_tfidf_columns_times_the_weight() {
        let t = TransformerFeatureParams {
            model: "fake-model".into(),
            weight: 0.5,
        };
        let p = FeatureParams::default()
            .check()
            .unwrap()
            .with_transformer(Some(t.clone()));
        let e = fake_embeddings();
        let id = fake_id(3);
        let (fitted, x) = p.fit_transform_with(&DOCS, Some((e.view(), &id))).unwrap();
        let tfidf_only = FeatureParams::default().check().unwrap();
        let (plain, y) = tfidf_only.fit_transform(&DOCS).unwrap();
        let nt = plain.n_features();
        assert_eq!(fitted.blocks().len(), 3);
        assert_eq!(fitted.blocks()[2].name(), "transformer");
        assert_eq!(fitted.n_features(), nt + 3);
        assert_eq!(x.cols(), nt + 3);
        assert_eq!(fitted.encoder_id(), Some(&id));
        for r in 0..DOCS.len() {
            let row = x.outer_view(r).unwrap();
            let base = y.outer_view(r).unwrap();
            let k = base.nnz();
            // The TF-IDF part is unchanged ...
            assert_eq!(&row.indices()[..k], base.indices());
            assert_eq!(&row.data()[..k], base.data());
            // ... and the embedding follows, times the weight, zeros not stored.
            let dense: Vec<(usize, f64)> = e
                .row(r)
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0.0)
                .map(|(j, &v)| (nt + j, f64::from(v) * 0.5))
                .collect();
            let got: Vec<(usize, f64)> = row.iter().skip(k).map(|(c, &v)| (c, v)).collect();
            assert_eq!(got, dense);
        }
        assert_eq!(fitted.feature_name(nt), None);
        // Given the same embeddings, transform reproduces the training matrix.
        assert_eq!(fitted.transform_with(&DOCS, Some(e.view())).unwrap(), x);
        // Without embeddings or a loaded model: a typed error, not a panic.
        let no = fitted.transform_with(&DOCS, None).unwrap_err();
        assert!(matches!(&no, ClassifyError::NoEncoder { model } if model == "fake-model"));
        assert!(matches!(
            fitted.try_transform(&DOCS).unwrap_err(),
            ClassifyError::NoEncoder { .. }
        ));
        assert!(matches!(
            p.fit_transform(&DOCS).unwrap_err(),
            ClassifyError::NoEncoder { .. }
        ));
        // Wrong shapes are errors.
        let short = e.slice(ndarray::s![..2, ..]);
        assert!(matches!(
            fitted.transform_with(&DOCS, Some(short)).unwrap_err(),
            ClassifyError::LengthMismatch {
                what: "embeddings",
                ..
            }
        ));
        let narrow = e.slice(ndarray::s![.., ..2]);
        assert!(matches!(
            fitted.transform_with(&DOCS, Some(narrow)).unwrap_err(),
            ClassifyError::Embedding(_)
        ));
        // Serde keeps the block (the weight bit-exact) and the model's identity; the loaded
        // model is not part of the file.
        let s = serde_json::to_string(&fitted).unwrap();
        assert!(s.contains("\"kind\":\"transformer\""), "{s}");
        let back: FittedFeatures = serde_json::from_str(&s).unwrap();
        assert_eq!(back.encoder_id(), Some(&id));
        assert_eq!(back.transform_with(&DOCS, Some(e.view())).unwrap(), x);
        // The embedding block must come last.
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
        v["blocks"].as_array_mut().unwrap().swap(1, 2);
        let err = serde_json::from_value::<FittedFeatures>(v).unwrap_err();
        assert!(err.to_string().contains("last"), "{err}");
        let bad = s.replace("\"weight\":\"0.5\"", "\"weight\":\"-1\"");
        assert!(serde_json::from_str::<FittedFeatures>(&bad).is_err());
    }

    #[test]
    fn embeddings_alone() {
        let p = FeatureValidParams::no_tfidf().with_transformer(Some(TransformerFeatureParams {
            model: "fake-model".into(),
            weight: 2.0,
        }));
        let e = fake_embeddings();
        let (fitted, x) = p
            .fit_transform_with(&DOCS, Some((e.view(), &fake_id(3))))
            .unwrap();
        assert_eq!(fitted.blocks().len(), 1);
        assert_eq!(x.shape(), (4, 3));
        let dense = x.to_dense();
        for r in 0..4 {
            for j in 0..3 {
                assert_eq!(dense[[r, j]], f64::from(e[[r, j]]) * 2.0);
            }
        }
    }

    #[test]
    fn hashtags_are_rewritten_for_the_tfidf_blocks_at_fit_and_transform() {
        let docs = [
            "Vote #BernieSanders now",
            "#MAGA rally tonight #Trump2020",
            "no tags here",
            "lone # sign",
        ];
        let rewritten: Vec<String> = docs
            .iter()
            .map(|t| Hashtags::TagAndSplit.rewrite(t).into_owned())
            .collect();
        let rewritten: Vec<&str> = rewritten.iter().map(String::as_str).collect();
        let p = FeatureParams::default()
            .check()
            .unwrap()
            .with_hashtags(Hashtags::TagAndSplit);
        assert_eq!(p.hashtags(), Hashtags::TagAndSplit);
        let (fitted, x) = p.fit_transform(&docs).unwrap();
        assert_eq!(fitted.hashtags(), Hashtags::TagAndSplit);
        // The same matrix as plain features fitted on the rewritten texts.
        let plain = FeatureParams::default().check().unwrap();
        let (plain_fitted, y) = plain.fit_transform(&rewritten).unwrap();
        assert_eq!(x, y);
        let vocab = |f: &FittedFeatures| match &f.blocks()[0] {
            FittedBlock::Tfidf { vectorizer, .. } => vectorizer.vocabulary().to_vec(),
            FittedBlock::Transformer { .. } => unreachable!(),
        };
        let v = vocab(&fitted);
        assert_eq!(v, vocab(&plain_fitted));
        for term in [
            "ht_berniesanders",
            "bernie sanders",
            "ht_trump2020",
            "trump 2020",
        ] {
            assert!(v.iter().any(|t| t == term), "{term} not in {v:?}");
        }
        // transform rewrites the original texts the same way.
        assert_eq!(fitted.transform(&docs), x);
        // The mode is written (only when not "keep") and read back.
        let s = serde_json::to_string(&fitted).unwrap();
        assert!(
            s.starts_with("{\"hashtags\":\"tag_and_split\",\"blocks\":"),
            "{}",
            &s[..60]
        );
        let back: FittedFeatures = serde_json::from_str(&s).unwrap();
        assert_eq!(back.hashtags(), Hashtags::TagAndSplit);
        assert_eq!(back.transform(&docs), x);
        let (kept, _) = plain.fit_transform(&docs).unwrap();
        let s = serde_json::to_string(&kept).unwrap();
        assert!(s.starts_with("{\"blocks\":"), "{}", &s[..20]);
        assert_eq!(
            serde_json::from_str::<FittedFeatures>(&s)
                .unwrap()
                .hashtags(),
            Hashtags::Keep
        );
        let bad = s.replacen("{\"blocks\"", "{\"hashtags\":\"both\",\"blocks\"", 1);
        let e = serde_json::from_str::<FittedFeatures>(&bad).unwrap_err();
        assert!(e.to_string().contains("tag_and_split"), "{e}");
    }

    #[test]
    fn the_embedding_block_is_not_affected_by_hashtags() {
        let docs = ["#CamelCase a", "b #Two", "c", "d"];
        let t = TransformerFeatureParams {
            model: "fake-model".into(),
            weight: 1.0,
        };
        let p = FeatureValidParams::no_tfidf()
            .with_transformer(Some(t))
            .with_hashtags(Hashtags::Split);
        let e = fake_embeddings();
        let (fitted, x) = p
            .fit_transform_with(&docs, Some((e.view(), &fake_id(3))))
            .unwrap();
        assert_eq!(x.shape(), (4, 3));
        assert_eq!(fitted.transform_with(&docs, Some(e.view())).unwrap(), x);
    }

    #[test]
    fn serde_round_trip_is_bit_exact() {
        let p = FeatureParams::default().check().unwrap();
        let (fitted, x) = p.fit_transform(&DOCS).unwrap();
        let s = serde_json::to_string(&fitted).unwrap();
        let back: FittedFeatures = serde_json::from_str(&s).unwrap();
        let y = back.transform(&DOCS);
        assert_eq!(x.indices(), y.indices());
        let bits = |m: &CsMat<f64>| m.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&x), bits(&y));
        // A corrupted idf value is a clear error.
        let bad = s.replacen("\"idf\":[\"", "\"idf\":[\"x", 1);
        let e = serde_json::from_str::<FittedFeatures>(&bad).unwrap_err();
        assert!(e.to_string().contains("idf[0]"), "{e}");
    }
}
