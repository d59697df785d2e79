//! Text features for the classifiers: blocks of TF-IDF n-grams stacked side by side.
//!
//! The defaults are the features of the SemEval-2016 Task 6 SVM-ngrams baseline
//! (Mohammad et al. 2016): word 1–3-grams and character 2–5-grams, here each weighted by
//! TF-IDF with sublinear tf, `min_df = 1`, lowercased. Each block is fitted by its own
//! [`TfidfParams`] vectorizer, which l2-normalises its rows, and the blocks are stacked
//! horizontally (columns of the word block, then of the char block), exactly as
//! scikit-learn's `FeatureUnion` of two `TfidfVectorizer`s does — so a row's norm is √2 when
//! both blocks have a term in it.
//!
//! [`FittedFeatures`] is a list of [`FittedBlock`]s, an enum so that other kinds of block
//! (e.g. transformer embeddings) can be added later. It serializes with serde; the idf values
//! are written as decimal strings (shortest round-trip form) because `serde_json` as built
//! here does not parse every float back to the same bits (about 15% of random `f64`s come
//! back one ulp off), and a reloaded model must predict bit-identically.

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sprs::CsMat;

use super::error::{ClassifyError, ClassifyParamsError};
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

/// Checked [`FeatureParams`] (made by [`FeatureParams::check`]).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureValidParams {
    blocks: Vec<(&'static str, TfidfValidParams)>,
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
        Ok(FeatureValidParams { blocks })
    }
}

impl FeatureValidParams {
    /// Fit every block on `texts` and return the fitted blocks with the stacked feature
    /// matrix (CSR, one row per text; the columns of the first block, then the next).
    pub fn fit_transform(
        &self,
        texts: &[&str],
    ) -> Result<(FittedFeatures, CsMat<f64>), ClassifyError> {
        let mut blocks = Vec::with_capacity(self.blocks.len());
        let mut mats = Vec::with_capacity(self.blocks.len());
        for (name, params) in &self.blocks {
            let (vectorizer, x) =
                params
                    .fit_transform(texts)
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
        let fitted = FittedFeatures { blocks };
        let n_features = fitted.n_features();
        if n_features >= u32::MAX as usize {
            return Err(ClassifyError::TooManyFeatures(n_features));
        }
        Ok((fitted, hstack(&mats, texts.len())))
    }
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
}

impl FittedBlock {
    /// The block's name (`"word"`, `"char"`).
    pub fn name(&self) -> &str {
        match self {
            FittedBlock::Tfidf { name, .. } => name,
        }
    }

    /// Number of columns the block contributes.
    pub fn n_features(&self) -> usize {
        match self {
            FittedBlock::Tfidf { vectorizer, .. } => vectorizer.vocabulary().len(),
        }
    }

    /// Name of the block's column `col` (the n-gram), if in range.
    pub fn feature_name(&self, col: usize) -> Option<&str> {
        match self {
            FittedBlock::Tfidf { vectorizer, .. } => {
                vectorizer.vocabulary().get(col).map(String::as_str)
            }
        }
    }

    fn transform(&self, texts: &[&str]) -> CsMat<f64> {
        match self {
            FittedBlock::Tfidf { vectorizer, .. } => vectorizer.transform(texts),
        }
    }
}

/// Fitted features: the blocks in column order. Made by
/// [`FeatureValidParams::fit_transform`]; serializes with serde (see the module docs).
#[derive(Clone, Debug)]
pub struct FittedFeatures {
    blocks: Vec<FittedBlock>,
}

impl FittedFeatures {
    /// The stacked feature matrix of `texts` (CSR, one row per text, column indices sorted
    /// within each row); unknown terms are ignored.
    pub fn transform(&self, texts: &[&str]) -> CsMat<f64> {
        let mats: Vec<CsMat<f64>> = self.blocks.par_iter().map(|b| b.transform(texts)).collect();
        hstack(&mats, texts.len())
    }

    /// Total number of columns.
    pub fn n_features(&self) -> usize {
        self.blocks.iter().map(FittedBlock::n_features).sum()
    }

    /// The blocks, in column order.
    pub fn blocks(&self) -> &[FittedBlock] {
        &self.blocks
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

/// Stack CSR matrices with `n_rows` rows side by side.
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
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeaturesRepr {
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
            }
        }
        FeaturesRepr { blocks }.serialize(s)
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
        for b in repr.blocks {
            match b {
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
        Ok(FittedFeatures { blocks })
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
