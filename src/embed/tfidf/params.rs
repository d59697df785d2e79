//! TF-IDF parameters: [`TfidfParams`] and its parts ([`Analyzer`], [`Norm`], [`StopWords`],
//! [`DfBound`]), the validation in [`TfidfParams::check`], [`TfidfValidParams`], and the
//! params and fit errors.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// scikit-learn's `ENGLISH_STOP_WORDS`, one word a line, `#` lines are comments.
const STOP_WORDS_EN: &str = include_str!("stop_words_en.txt");

/// The English stop word list shipped with the crate (scikit-learn's
/// `ENGLISH_STOP_WORDS`, 318 words), in alphabetical order.
pub fn english_stop_words() -> Vec<&'static str> {
    STOP_WORDS_EN
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// What the features are made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Analyzer {
    /// Word n-grams (`"word"`, the default).
    #[default]
    Word,
    /// Character n-grams inside word boundaries, words padded with a space
    /// (`"char_wb"`).
    CharWb,
    /// Character n-grams over the whole text (`"char"`).
    Char,
}

impl fmt::Display for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Analyzer::Word => "\"word\"",
            Analyzer::CharWb => "\"char_wb\"",
            Analyzer::Char => "\"char\"",
        })
    }
}

/// Per-row normalisation of the TF-IDF matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// Euclidean norm: each row's squares sum to 1 (`"l2"`, the default).
    #[default]
    L2,
    /// Each row's absolute values sum to 1 (`"l1"`).
    L1,
    /// No normalisation (`"none"`).
    None,
}

/// Stop words removed from the word tokens before n-grams are built.
///
/// Serialized as the string `"english"` or as a list of words. Listed words
/// are compared with the tokens as they are (after lowercasing, when
/// `lowercase` is on), so they should be given in lowercase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StopWordsRepr", into = "StopWordsRepr")]
pub enum StopWords {
    /// scikit-learn's `ENGLISH_STOP_WORDS` (see [`english_stop_words`]).
    English,
    /// A list of words.
    List(Vec<String>),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StopWordsRepr {
    Name(String),
    List(Vec<String>),
}

impl TryFrom<StopWordsRepr> for StopWords {
    type Error = String;
    fn try_from(r: StopWordsRepr) -> Result<Self, String> {
        match r {
            StopWordsRepr::Name(n) if n == "english" => Ok(StopWords::English),
            StopWordsRepr::Name(n) => Err(format!(
                "unknown stop word list {n:?}: use \"english\" or a list of words"
            )),
            StopWordsRepr::List(l) => Ok(StopWords::List(l)),
        }
    }
}

impl From<StopWords> for StopWordsRepr {
    fn from(s: StopWords) -> Self {
        match s {
            StopWords::English => StopWordsRepr::Name("english".to_owned()),
            StopWords::List(l) => StopWordsRepr::List(l),
        }
    }
}

/// A document-frequency bound, as scikit-learn's `min_df` / `max_df`.
///
/// Serialized untagged: an integer (`2`) is a document count, a float
/// (`0.5`, `1.0`) a fraction of the documents.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DfBound {
    /// A number of documents (at least 1).
    Count(usize),
    /// A fraction of the documents, in `[0, 1]`.
    Fraction(f64),
}

impl DfBound {
    /// The bound in documents for a corpus of `n_docs` documents (scikit-learn:
    /// the count itself, or `fraction * n_docs`, not rounded).
    pub fn resolve(self, n_docs: usize) -> f64 {
        match self {
            DfBound::Count(c) => c as f64,
            DfBound::Fraction(f) => f * n_docs as f64,
        }
    }
}

impl fmt::Display for DfBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DfBound::Count(c) => write!(f, "{c}"),
            DfBound::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

/// Parameters of the TF-IDF vectorizer; names and defaults are
/// scikit-learn's `TfidfVectorizer`'s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TfidfParams {
    /// Feature kind: `"word"`, `"char_wb"` or `"char"`. Default `"word"`.
    pub analyzer: Analyzer,
    /// Smallest and largest n-gram length, inclusive, `1 <= min <= max`.
    /// Default `[1, 1]`.
    pub ngram_range: (usize, usize),
    /// Lowercase the texts before tokenising. Default `true`.
    pub lowercase: bool,
    /// Stop words (`"english"` or a list), word analyzer only. Default none.
    pub stop_words: Option<StopWords>,
    /// Drop terms found in fewer documents than this (count or fraction).
    /// Default `1` (a count: keep everything).
    pub min_df: DfBound,
    /// Drop terms found in more documents than this (count or fraction).
    /// Default `1.0` (a fraction: keep everything).
    pub max_df: DfBound,
    /// Keep only this many terms, those most frequent over the corpus.
    /// Default none (no limit).
    pub max_features: Option<usize>,
    /// Use `1 + ln(tf)` instead of the raw count. Default `false`.
    pub sublinear_tf: bool,
    /// Smooth idf as if one extra document held every term once:
    /// `ln((1 + n) / (1 + df)) + 1`. Default `true`.
    pub smooth_idf: bool,
    /// Weight by inverse document frequency. Default `true`.
    pub use_idf: bool,
    /// Row normalisation: `"l2"`, `"l1"` or `"none"`. Default `"l2"`.
    pub norm: Norm,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            analyzer: Analyzer::Word,
            ngram_range: (1, 1),
            lowercase: true,
            stop_words: None,
            min_df: DfBound::Count(1),
            max_df: DfBound::Fraction(1.0),
            max_features: None,
            sublinear_tf: false,
            smooth_idf: true,
            use_idf: true,
            norm: Norm::L2,
        }
    }
}

/// An invalid [`TfidfParams`] value.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum TfidfParamsError {
    /// `ngram_range` starts at 0.
    #[error("ngram_range must start at 1 or more (ngram_range = [{min}, {max}])")]
    NgramMinZero {
        /// Lower bound given.
        min: usize,
        /// Upper bound given.
        max: usize,
    },
    /// `ngram_range` lower bound above its upper bound.
    #[error(
        "ngram_range lower bound is larger than its upper bound (ngram_range = [{min}, {max}])"
    )]
    NgramRangeReversed {
        /// Lower bound given.
        min: usize,
        /// Upper bound given.
        max: usize,
    },
    /// A fraction `min_df` / `max_df` outside `[0, 1]` (or not a number).
    #[error("{name} must be in [0, 1] when given as a fraction ({name} = {value:?})")]
    DfFractionOutOfRange {
        /// `"min_df"` or `"max_df"`.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A count `min_df` / `max_df` of 0.
    #[error(
        "{name} must be at least 1 when given as a document count ({name} = 0); \
         write 0.0 for a fraction"
    )]
    DfCountZero {
        /// `"min_df"` or `"max_df"`.
        name: &'static str,
    },
    /// `min_df` above `max_df`, both counts or both fractions.
    #[error(
        "max_df corresponds to fewer documents than min_df (min_df = {min_df}, max_df = {max_df})"
    )]
    MinDfAboveMaxDf {
        /// `min_df` given.
        min_df: DfBound,
        /// `max_df` given.
        max_df: DfBound,
    },
    /// `max_features = 0`.
    #[error("max_features must be at least 1 or absent (max_features = 0)")]
    MaxFeaturesZero,
    /// Stop words given with a character analyzer.
    #[error(
        "stop_words apply only to analyzer = \"word\" (analyzer = {analyzer}); remove stop_words"
    )]
    StopWordsNeedWordAnalyzer {
        /// The analyzer given.
        analyzer: Analyzer,
    },
}

/// A failure to fit the vectorizer.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum TfidfError {
    /// No documents were given.
    #[error("no documents: fitting a TF-IDF vectorizer needs at least one document")]
    NoDocuments,
    /// The documents produced no feature at all (before df pruning).
    #[error(
        "empty vocabulary: the {n_docs} documents contain no term for analyzer = {analyzer} \
         (perhaps only stop words or one-character words)"
    )]
    NoTerms {
        /// Number of documents.
        n_docs: usize,
        /// The analyzer used.
        analyzer: Analyzer,
    },
    /// `max_df` resolves to fewer documents than `min_df` on this corpus.
    #[error(
        "max_df corresponds to fewer documents than min_df: min_df = {min_df} means \
         {min_doc_count} and max_df = {max_df} means {max_doc_count} documents out of {n_docs}"
    )]
    DfBoundsConflict {
        /// `min_df` given.
        min_df: DfBound,
        /// `max_df` given.
        max_df: DfBound,
        /// `min_df` in documents.
        min_doc_count: f64,
        /// `max_df` in documents.
        max_doc_count: f64,
        /// Number of documents.
        n_docs: usize,
    },
    /// No term survives the document-frequency pruning.
    #[error(
        "empty vocabulary: no term is left after min_df = {min_df} and max_df = {max_df} \
         on {n_docs} documents; lower min_df or raise max_df"
    )]
    EmptyVocabulary {
        /// `min_df` given.
        min_df: DfBound,
        /// `max_df` given.
        max_df: DfBound,
        /// Number of documents.
        n_docs: usize,
    },
}

impl TfidfParams {
    /// Validate the parameters; the only place that does (linfa's `ParamGuard` applies the
    /// same rules).
    pub fn check(&self) -> Result<TfidfValidParams, TfidfParamsError> {
        self.validate()?;
        Ok(TfidfValidParams(self.clone()))
    }

    /// The validation rules, shared by [`check`](Self::check) and linfa's `ParamGuard`.
    fn validate(&self) -> Result<(), TfidfParamsError> {
        let (min, max) = self.ngram_range;
        if min == 0 {
            return Err(TfidfParamsError::NgramMinZero { min, max });
        }
        if min > max {
            return Err(TfidfParamsError::NgramRangeReversed { min, max });
        }
        for (name, bound) in [("min_df", self.min_df), ("max_df", self.max_df)] {
            match bound {
                DfBound::Count(0) => return Err(TfidfParamsError::DfCountZero { name }),
                DfBound::Fraction(value) if !(0.0..=1.0).contains(&value) => {
                    return Err(TfidfParamsError::DfFractionOutOfRange { name, value })
                }
                _ => {}
            }
        }
        let reversed = match (self.min_df, self.max_df) {
            (DfBound::Count(lo), DfBound::Count(hi)) => lo > hi,
            (DfBound::Fraction(lo), DfBound::Fraction(hi)) => lo > hi,
            _ => false,
        };
        if reversed {
            return Err(TfidfParamsError::MinDfAboveMaxDf {
                min_df: self.min_df,
                max_df: self.max_df,
            });
        }
        if self.max_features == Some(0) {
            return Err(TfidfParamsError::MaxFeaturesZero);
        }
        if self.stop_words.is_some() && self.analyzer != Analyzer::Word {
            return Err(TfidfParamsError::StopWordsNeedWordAnalyzer {
                analyzer: self.analyzer,
            });
        }
        Ok(())
    }
}

/// linfa's parameter guard, with the rules of [`TfidfParams::check`] (which stays the method
/// the rest of rhetor calls). linfa's `Fit` is not implemented: documents are not linfa
/// records (linfa's own `TfIdfVectorizer` has an inherent `fit` too).
impl linfa::ParamGuard for TfidfParams {
    type Checked = TfidfValidParams;
    type Error = TfidfParamsError;

    /// Checks `self` and, when valid, returns `self` itself seen as checked params: no
    /// checked copy has to be stored, since [`TfidfValidParams`] is `#[repr(transparent)]`
    /// over a [`TfidfParams`]. (linfa's own params do the reverse, the unchecked type
    /// wrapping the checked one; here `TfidfParams` keeps its public fields.)
    fn check_ref(&self) -> Result<&TfidfValidParams, TfidfParamsError> {
        self.validate()?;
        // SAFETY: `TfidfValidParams` is `#[repr(transparent)]` with `TfidfParams` as its only
        // field, so both have the same layout and validity: the reference is valid as a
        // `&TfidfValidParams` for the same lifetime. The params were just validated.
        Ok(unsafe { &*(self as *const TfidfParams).cast::<TfidfValidParams>() })
    }

    /// [`TfidfParams::check`] without the copy.
    fn check(self) -> Result<TfidfValidParams, TfidfParamsError> {
        self.validate()?;
        Ok(TfidfValidParams(self))
    }
}

/// Validated [`TfidfParams`] (made by [`TfidfParams::check`]); dereferences to
/// the parameters. `#[repr(transparent)]`, for linfa's `ParamGuard::check_ref`.
#[derive(Clone, Debug, PartialEq)]
#[repr(transparent)]
pub struct TfidfValidParams(pub(super) TfidfParams);

impl Deref for TfidfValidParams {
    type Target = TfidfParams;
    fn deref(&self) -> &TfidfParams {
        &self.0
    }
}

impl TfidfValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &TfidfParams {
        &self.0
    }
}
