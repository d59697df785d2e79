//! TF-IDF vectorizer, numerically identical to scikit-learn's `TfidfVectorizer`.
//!
//! [`TfidfParams`] mirrors the scikit-learn parameters (same names, same
//! defaults); [`TfidfParams::check`] validates them once and returns
//! [`TfidfValidParams`], which fits a [`FittedTfidf`] on a corpus. The fitted
//! vectorizer serializes with serde and transforms new texts into CSR matrices
//! ([`sprs::CsMat`]) whose column `j` is the `j`-th term of the sorted
//! vocabulary, as scikit-learn's `vocabulary_` orders its columns.
//!
//! # Semantics (scikit-learn 1.x, `sklearn/feature_extraction/text.py`)
//!
//! * Preprocessing: lowercase (Unicode full case mapping, final sigma
//!   included) when `lowercase` is true; no accent stripping.
//! * `analyzer = "word"`: tokens are maximal runs of at least two word
//!   characters, i.e. the regex `(?u)\b\w\w+\b`; stop words are removed before
//!   the n-grams are built; n-grams are listed as `_word_ngrams` does (all
//!   unigrams, then all bigrams, ... joined by one space).
//! * `analyzer = "char"`: runs of two or more whitespace characters become one
//!   space, then every character n-gram of the text (`_char_ngrams`).
//! * `analyzer = "char_wb"`: each whitespace-separated word padded with one
//!   space on each side, n-grams taken inside it (`_char_wb_ngrams`).
//! * Characters are Unicode scalar values, as Python indexes `str`.
//! * Whitespace is Python's `str.isspace()`: Rust's `char::is_whitespace`
//!   plus the four separators U+001C..=U+001F.
//! * A word character is Python's `\w`: `str.isalnum()` or `_`. Here it is
//!   `char::is_alphanumeric()` (plus `_`) minus the combining marks
//!   (General_Category M, which Rust's `Alphabetic` partly includes through
//!   `Other_Alphabetic`, e.g. Devanagari vowel signs) and minus the few
//!   `Other_Alphabetic` symbols (circled and squared Latin letters). Checked
//!   over every code point against Python 3.11 (Unicode 14): `\w` and
//!   lowercasing agree on every character Unicode 14 assigns; only characters
//!   assigned later (which Rust's newer tables know) can differ. Plain
//!   `is_alphanumeric() || c == '_'` would differ on about 1,500 of them.
//! * `min_df` / `max_df`: a [`DfBound::Count`] is a number of documents, a
//!   [`DfBound::Fraction`] is multiplied by the number of documents; a term is
//!   kept when `min_doc_count <= df <= max_doc_count`.
//! * `max_features`: the terms with the highest corpus term frequency are
//!   kept. scikit-learn breaks ties through numpy's unstable argsort, i.e.
//!   unspecified; here ties are broken by term, alphabetically first wins.
//! * tf is the raw count (`1 + ln(tf)` with `sublinear_tf`); idf is
//!   `ln((1 + n) / (1 + df)) + 1` with `smooth_idf`, else `ln(n / df) + 1`;
//!   each row is then normalised (`l2`, `l1` or `none`); an all-zero row stays
//!   zero.
//!
//! # Deviations from scikit-learn
//!
//! * `stop_words` with a `char` or `char_wb` analyzer is an error (scikit-learn
//!   warns and ignores them).
//! * `ngram_range` starting at 0 is an error (scikit-learn accepts it and
//!   produces empty features).
//! * With `use_idf = false`, [`FittedTfidf::idf`] is all ones (scikit-learn has
//!   no `idf_`).
//!
//! # Determinism and speed
//!
//! Documents are tokenised and counted in parallel (rayon) in chunks, each
//! with its own interning table (no per-token `String`); the chunk tables are
//! merged in parallel by hash shard, each shard walking the chunks in order.
//! Counts are integers, the vocabulary is sorted, and every float is computed
//! per row in column order, so the output is bit-identical for any number of
//! threads (and any chunking). Hash maps only intern strings; their iteration
//! order never reaches the output.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Deref;

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use sprs::CsMat;

/// scikit-learn's `ENGLISH_STOP_WORDS`, one word a line, `#` lines are comments.
const STOP_WORDS_EN: &str = include_str!("stop_words_en.txt");

/// Version of the serialized [`FittedTfidf`] format.
pub const FORMAT_VERSION: u32 = 1;

/// Maximum number of documents tokenised as one unit of parallel work.
const MAX_CHUNK_DOCS: usize = 4096;
/// Chunks of documents per rayon thread (the chunking never changes the
/// output: counts are integers and every float is computed per row).
const CHUNKS_PER_THREAD: usize = 4;

/// The English stop word list shipped with the crate (scikit-learn's
/// `ENGLISH_STOP_WORDS`, 318 words), in alphabetical order.
pub fn english_stop_words() -> Vec<&'static str> {
    STOP_WORDS_EN
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

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
    /// Validate the parameters; the only place that does.
    pub fn check(&self) -> Result<TfidfValidParams, TfidfParamsError> {
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
        Ok(TfidfValidParams(self.clone()))
    }
}

/// Validated [`TfidfParams`] (made by [`TfidfParams::check`]); dereferences to
/// the parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TfidfValidParams(TfidfParams);

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

    /// Learn the vocabulary and idf from `docs`.
    pub fn fit(&self, docs: &[&str]) -> Result<FittedTfidf, TfidfError> {
        self.fit_impl(docs, false, &crate::progress::NoProgress)
            .map(|(fitted, _)| fitted)
    }

    /// Learn the vocabulary and idf from `docs` and return their TF-IDF matrix
    /// (CSR, one row per document), with a single tokenisation pass.
    pub fn fit_transform(&self, docs: &[&str]) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
        self.fit_transform_with_progress(docs, &crate::progress::NoProgress)
    }

    /// [`fit_transform`](Self::fit_transform), reporting one unit per tokenised document to
    /// `progress` (the result does not depend on it).
    pub fn fit_transform_with_progress(
        &self,
        docs: &[&str],
        progress: &dyn crate::progress::Progress,
    ) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
        let (fitted, chunks) = self.fit_impl(docs, true, progress)?;
        let rows: Vec<RowBlock> = chunks
            .par_iter()
            .map(|chunk| {
                let mut block = RowBlock::default();
                let mut row: Vec<(u32, u32)> = Vec::new();
                for d in 0..chunk.doc_ptr.len() - 1 {
                    row.clear();
                    for k in chunk.doc_ptr[d]..chunk.doc_ptr[d + 1] {
                        let col = chunk.ids[k];
                        if col != DROPPED {
                            row.push((col, chunk.counts[k]));
                        }
                    }
                    fitted.push_row(&mut row, &mut block, true);
                }
                block
            })
            .collect();
        let matrix = assemble(rows, docs.len(), fitted.vocabulary.len());
        Ok((fitted, matrix))
    }

    /// Count, prune and compute idf; returns the fitted vectorizer and, when
    /// `with_counts`, the chunk counts with their ids turned into columns
    /// ([`DROPPED`] for pruned terms).
    fn fit_impl(
        &self,
        docs: &[&str],
        with_counts: bool,
        progress: &dyn crate::progress::Progress,
    ) -> Result<(FittedTfidf, Vec<ChunkCounts>), TfidfError> {
        let p = &self.0;
        let n_docs = docs.len();
        if n_docs == 0 {
            return Err(TfidfError::NoDocuments);
        }
        let engine = Engine::new(p);
        let chunk_len = chunk_len(n_docs);
        let mut chunks: Vec<ChunkCounts> = docs
            .par_chunks(chunk_len)
            .map(|c| {
                let counts = count_chunk(&engine, c);
                progress.inc(c.len() as u64);
                counts
            })
            .collect();

        let Merged {
            terms,
            df,
            tf,
            remaps,
        } = merge_chunks(&chunks);
        if terms.is_empty() {
            return Err(TfidfError::NoTerms {
                n_docs,
                analyzer: p.analyzer,
            });
        }

        // Document-frequency pruning, as CountVectorizer._limit_features.
        let max_doc_count = p.max_df.resolve(n_docs);
        let min_doc_count = p.min_df.resolve(n_docs);
        if max_doc_count < min_doc_count {
            return Err(TfidfError::DfBoundsConflict {
                min_df: p.min_df,
                max_df: p.max_df,
                min_doc_count,
                max_doc_count,
                n_docs,
            });
        }
        let mut kept: Vec<u32> = (0..terms.len() as u32)
            .filter(|&g| {
                let d = df[g as usize] as f64;
                d <= max_doc_count && d >= min_doc_count
            })
            .collect();
        if let Some(limit) = p.max_features {
            if kept.len() > limit {
                // Highest corpus frequency first; ties: alphabetically first.
                kept.par_sort_unstable_by(|&a, &b| {
                    tf[b as usize]
                        .cmp(&tf[a as usize])
                        .then_with(|| terms[a as usize].cmp(terms[b as usize]))
                });
                kept.truncate(limit);
            }
        }
        if kept.is_empty() {
            return Err(TfidfError::EmptyVocabulary {
                min_df: p.min_df,
                max_df: p.max_df,
                n_docs,
            });
        }
        // Terms are unique, so the unstable sort is deterministic.
        kept.par_sort_unstable_by(|&a, &b| terms[a as usize].cmp(terms[b as usize]));

        let mut col_of = vec![DROPPED; terms.len()];
        for (c, &g) in kept.iter().enumerate() {
            col_of[g as usize] = c as u32;
        }
        let vocabulary: Vec<String> = kept.iter().map(|&g| terms[g as usize].to_owned()).collect();
        let idf: Vec<f64> = kept
            .iter()
            .map(|&g| idf_value(df[g as usize], n_docs, p.use_idf, p.smooth_idf))
            .collect();
        drop(terms);

        if with_counts {
            // Turn the chunk-local ids into columns (for fit_transform).
            chunks
                .par_iter_mut()
                .zip(remaps.par_iter())
                .for_each(|(chunk, remap)| {
                    for id in &mut chunk.ids {
                        let g = remap[*id as usize];
                        *id = if g == DROPPED {
                            DROPPED
                        } else {
                            col_of[g as usize]
                        };
                    }
                    chunk.terms = Vec::new();
                });
        } else {
            chunks.clear();
        }

        let fitted = FittedTfidf::build(p.clone(), vocabulary, idf, n_docs);
        Ok((fitted, chunks))
    }
}

/// idf of a term found in `df` of `n` documents (scikit-learn's
/// `TfidfTransformer.fit`); 1 when `use_idf` is off.
fn idf_value(df: u64, n: usize, use_idf: bool, smooth: bool) -> f64 {
    if !use_idf {
        return 1.0;
    }
    let s = if smooth { 1.0 } else { 0.0 };
    ((n as f64 + s) / (df as f64 + s)).ln() + 1.0
}

/// Documents per chunk of parallel work.
fn chunk_len(n_docs: usize) -> usize {
    let chunks = rayon::current_num_threads().max(1) * CHUNKS_PER_THREAD;
    n_docs.div_ceil(chunks).clamp(1, MAX_CHUNK_DOCS)
}

const DROPPED: u32 = u32::MAX;

/// Number of hash shards the chunk vocabularies are merged in (in parallel).
const MERGE_SHARDS: usize = 32;

/// The chunk vocabularies merged: merged term ids, their document and corpus
/// frequencies, and each chunk's local id → merged id map.
struct Merged<'a> {
    terms: Vec<&'a str>,
    df: Vec<u64>,
    tf: Vec<u64>,
    remaps: Vec<Vec<u32>>,
}

/// Merge the chunk vocabularies, sharded by term hash; each shard walks the
/// chunks in order, so the result does not depend on the thread count.
/// Terms found in no document of a chunk (flagged stop words) are skipped.
fn merge_chunks(chunks: &[ChunkCounts]) -> Merged<'_> {
    let shard_of = |t: &str| {
        let mut h = FxHasher::default();
        h.write(t.as_bytes());
        (h.finish() % MERGE_SHARDS as u64) as usize
    };
    // buckets[chunk][shard] = local ids of that chunk falling in that shard.
    let buckets: Vec<Vec<Vec<u32>>> = chunks
        .par_iter()
        .map(|c| {
            let mut b = vec![Vec::new(); MERGE_SHARDS];
            for (l, t) in c.terms.iter().enumerate() {
                if c.df[l] > 0 {
                    b[shard_of(t)].push(l as u32);
                }
            }
            b
        })
        .collect();
    struct Shard<'a> {
        terms: Vec<&'a str>,
        df: Vec<u64>,
        tf: Vec<u64>,
        /// Per chunk, the shard-local id of each of `buckets[chunk][shard]`.
        ids: Vec<Vec<u32>>,
    }
    let shards: Vec<Shard<'_>> = (0..MERGE_SHARDS)
        .into_par_iter()
        .map(|s| {
            let mut index: FxMap<&str, u32> = FxMap::default();
            let mut shard = Shard {
                terms: Vec::new(),
                df: Vec::new(),
                tf: Vec::new(),
                ids: Vec::with_capacity(chunks.len()),
            };
            for (c, chunk) in chunks.iter().enumerate() {
                let locals = &buckets[c][s];
                let mut ids = Vec::with_capacity(locals.len());
                for &l in locals {
                    let term: &str = &chunk.terms[l as usize];
                    let id = *index.entry(term).or_insert_with(|| {
                        shard.terms.push(term);
                        shard.df.push(0);
                        shard.tf.push(0);
                        (shard.terms.len() - 1) as u32
                    });
                    shard.df[id as usize] += chunk.df[l as usize];
                    shard.tf[id as usize] += chunk.tf[l as usize];
                    ids.push(id);
                }
                shard.ids.push(ids);
            }
            shard
        })
        .collect();
    let mut base = Vec::with_capacity(MERGE_SHARDS);
    let mut merged = Merged {
        terms: Vec::new(),
        df: Vec::new(),
        tf: Vec::new(),
        remaps: Vec::new(),
    };
    for shard in &shards {
        base.push(merged.terms.len() as u32);
        merged.terms.extend_from_slice(&shard.terms);
        merged.df.extend_from_slice(&shard.df);
        merged.tf.extend_from_slice(&shard.tf);
    }
    merged.remaps = chunks
        .par_iter()
        .enumerate()
        .map(|(c, chunk)| {
            let mut remap = vec![DROPPED; chunk.terms.len()];
            for (s, shard) in shards.iter().enumerate() {
                for (&l, &id) in buckets[c][s].iter().zip(&shard.ids[c]) {
                    remap[l as usize] = base[s] + id;
                }
            }
            remap
        })
        .collect();
    merged
}

// ---------------------------------------------------------------------------
// Fitted vectorizer
// ---------------------------------------------------------------------------

/// A fitted TF-IDF vectorizer: parameters, sorted vocabulary and idf.
#[derive(Clone, Debug, Serialize)]
pub struct FittedTfidf {
    format_version: u32,
    params: TfidfParams,
    n_docs: usize,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    #[serde(skip)]
    lookup: Lookup,
}

/// Term → column map and tokeniser, rebuilt after deserialization.
#[derive(Clone, Debug)]
struct Lookup {
    engine: Engine,
    columns: FxMap<Box<str>, u32>,
    /// Whether `transform` must filter stop words: not for unigram words when
    /// no vocabulary term is a stop word (they are then simply unknown).
    apply_stop: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FittedTfidfRepr {
    format_version: u32,
    params: TfidfParams,
    n_docs: usize,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
}

impl<'de> Deserialize<'de> for FittedTfidf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let r = FittedTfidfRepr::deserialize(d)?;
        if r.format_version != FORMAT_VERSION {
            return Err(D::Error::custom(format!(
                "unsupported TF-IDF format_version {} (this build reads {FORMAT_VERSION})",
                r.format_version
            )));
        }
        r.params.check().map_err(D::Error::custom)?;
        if r.vocabulary.len() != r.idf.len() {
            return Err(D::Error::custom(format!(
                "TF-IDF vocabulary has {} terms but idf has {} values",
                r.vocabulary.len(),
                r.idf.len()
            )));
        }
        if r.vocabulary.windows(2).any(|w| w[0] >= w[1]) {
            return Err(D::Error::custom(
                "TF-IDF vocabulary must be sorted and without duplicates",
            ));
        }
        Ok(FittedTfidf::build(r.params, r.vocabulary, r.idf, r.n_docs))
    }
}

impl FittedTfidf {
    fn build(params: TfidfParams, vocabulary: Vec<String>, idf: Vec<f64>, n_docs: usize) -> Self {
        let engine = Engine::new(&params);
        let apply_stop = !engine.unigram_words() || vocabulary.iter().any(|t| engine.is_stop(t));
        let mut columns = FxMap::with_capacity_and_hasher(vocabulary.len(), Default::default());
        for (c, t) in vocabulary.iter().enumerate() {
            columns.insert(Box::<str>::from(t.as_str()), c as u32);
        }
        FittedTfidf {
            format_version: FORMAT_VERSION,
            params,
            n_docs,
            vocabulary,
            idf,
            lookup: Lookup {
                engine,
                columns,
                apply_stop,
            },
        }
    }

    /// TF-IDF matrix of `docs` over the fitted vocabulary: CSR, one row per
    /// document, column indices sorted within each row; unknown terms are
    /// ignored.
    pub fn transform(&self, docs: &[&str]) -> CsMat<f64> {
        self.rows(docs, true)
    }

    /// Raw term counts of `docs` over the fitted vocabulary (no sublinear tf,
    /// no idf, no normalisation), CSR like [`FittedTfidf::transform`].
    pub fn counts(&self, docs: &[&str]) -> CsMat<f64> {
        self.rows(docs, false)
    }

    /// The vocabulary, sorted; term `j` is column `j`.
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The idf of each vocabulary term (all 1.0 when `use_idf` is false).
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The parameters the vectorizer was fitted with.
    pub fn params(&self) -> &TfidfParams {
        &self.params
    }

    /// Number of documents the vectorizer was fitted on.
    pub fn n_docs(&self) -> usize {
        self.n_docs
    }

    /// Version of the serialized format ([`FORMAT_VERSION`]).
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// Column of `term` in the vocabulary, if present.
    pub fn column(&self, term: &str) -> Option<usize> {
        self.lookup.columns.get(term).map(|&c| c as usize)
    }

    /// The features of one text, in order and with repeats, as scikit-learn's
    /// `build_analyzer()` returns them (whether in the vocabulary or not).
    pub fn analyze(&self, doc: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        self.lookup
            .engine
            .for_each_feature(doc, &mut scratch, true, &mut |f| out.push(f.to_owned()));
        out
    }

    fn rows(&self, docs: &[&str], weighted: bool) -> CsMat<f64> {
        let engine = &self.lookup.engine;
        let columns = &self.lookup.columns;
        let apply_stop = self.lookup.apply_stop;
        let blocks: Vec<RowBlock> = docs
            .par_chunks(chunk_len(docs.len()))
            .map(|chunk| {
                let mut block = RowBlock::default();
                let mut scratch = Scratch::default();
                let mut dense: Vec<u32> = vec![0; self.vocabulary.len()];
                let mut touched: Vec<u32> = Vec::new();
                let mut row: Vec<(u32, u32)> = Vec::new();
                for doc in chunk {
                    engine.for_each_feature(doc, &mut scratch, apply_stop, &mut |f| {
                        if let Some(&c) = columns.get(f) {
                            let n = &mut dense[c as usize];
                            if *n == 0 {
                                touched.push(c);
                            }
                            *n = n.saturating_add(1);
                        }
                    });
                    row.clear();
                    for &c in &touched {
                        row.push((c, std::mem::take(&mut dense[c as usize])));
                    }
                    touched.clear();
                    self.push_row(&mut row, &mut block, weighted);
                }
                block
            })
            .collect();
        assemble(blocks, docs.len(), self.vocabulary.len())
    }

    /// Sort one row's `(column, count)` entries, weight and normalise them
    /// (when `weighted`), and append them to `block`.
    fn push_row(&self, row: &mut [(u32, u32)], block: &mut RowBlock, weighted: bool) {
        row.sort_unstable_by_key(|&(c, _)| c);
        let start = block.data.len();
        let p = &self.params;
        for &(c, n) in row.iter() {
            let mut v = n as f64;
            if weighted {
                if p.sublinear_tf {
                    v = v.ln() + 1.0;
                }
                if p.use_idf {
                    v *= self.idf[c as usize];
                }
            }
            block.indices.push(c as usize);
            block.data.push(v);
        }
        if weighted {
            let vals = &mut block.data[start..];
            let norm = match p.norm {
                Norm::None => 0.0,
                Norm::L2 => vals.iter().fold(0.0, |s, v| s + v * v).sqrt(),
                Norm::L1 => vals.iter().fold(0.0, |s, v| s + v.abs()),
            };
            if norm != 0.0 {
                for v in vals {
                    *v /= norm;
                }
            }
        }
        block.row_nnz.push(row.len());
    }
}

#[derive(Default)]
struct RowBlock {
    indices: Vec<usize>,
    data: Vec<f64>,
    row_nnz: Vec<usize>,
}

fn assemble(blocks: Vec<RowBlock>, n_rows: usize, n_cols: usize) -> CsMat<f64> {
    let nnz: usize = blocks.iter().map(|b| b.data.len()).sum();
    let mut indptr = Vec::with_capacity(n_rows + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    for b in blocks {
        for n in b.row_nnz {
            indptr.push(indptr[indptr.len() - 1] + n);
        }
        indices.extend_from_slice(&b.indices);
        data.extend_from_slice(&b.data);
    }
    debug_assert_eq!(indptr.len(), n_rows + 1);
    CsMat::new((n_rows, n_cols), indptr, indices, data)
}

// ---------------------------------------------------------------------------
// Counting
// ---------------------------------------------------------------------------

/// Term counts of one chunk of documents, with chunk-local term ids.
struct ChunkCounts {
    /// Local id → term.
    terms: Vec<Box<str>>,
    /// Local id → number of documents of the chunk holding it.
    df: Vec<u64>,
    /// Local id → occurrences in the chunk.
    tf: Vec<u64>,
    /// Document `d`'s entries are `doc_ptr[d]..doc_ptr[d + 1]`.
    doc_ptr: Vec<usize>,
    /// Entry → term id.
    ids: Vec<u32>,
    /// Entry → count in its document.
    counts: Vec<u32>,
}

fn count_chunk(engine: &Engine, docs: &[&str]) -> ChunkCounts {
    let mut map: FxMap<Box<str>, u32> = FxMap::default();
    let mut dense: Vec<u32> = Vec::new();
    let mut touched: Vec<u32> = Vec::new();
    let mut scratch = Scratch::default();
    let mut df: Vec<u64> = Vec::new();
    let mut tf: Vec<u64> = Vec::new();
    let mut doc_ptr = Vec::with_capacity(docs.len() + 1);
    let mut ids = Vec::new();
    let mut counts = Vec::new();
    // Unigram words: stop words are interned once per chunk and flagged,
    // instead of a stop-list lookup per token.
    let defer_stop = engine.stop.is_some() && engine.unigram_words();
    let mut stop_flag: Vec<bool> = Vec::new();
    doc_ptr.push(0);
    for doc in docs {
        engine.for_each_feature(doc, &mut scratch, !defer_stop, &mut |f| {
            let id = match map.get(f) {
                Some(&id) => id,
                None => {
                    let id = dense.len() as u32;
                    map.insert(f.into(), id);
                    dense.push(0);
                    stop_flag.push(defer_stop && engine.is_stop(f));
                    id
                }
            };
            if stop_flag[id as usize] {
                return;
            }
            let n = &mut dense[id as usize];
            if *n == 0 {
                touched.push(id);
            }
            *n = n.saturating_add(1);
        });
        df.resize(dense.len(), 0);
        tf.resize(dense.len(), 0);
        for &id in &touched {
            let n = std::mem::take(&mut dense[id as usize]);
            df[id as usize] += 1;
            tf[id as usize] += u64::from(n);
            ids.push(id);
            counts.push(n);
        }
        touched.clear();
        doc_ptr.push(ids.len());
    }
    let mut terms: Vec<Box<str>> = vec![Box::from(""); map.len()];
    for (t, id) in map {
        terms[id as usize] = t;
    }
    ChunkCounts {
        terms,
        df,
        tf,
        doc_ptr,
        ids,
        counts,
    }
}

// ---------------------------------------------------------------------------
// Analyzers
// ---------------------------------------------------------------------------

/// The tokeniser / n-gram builder of a parameter set.
#[derive(Clone, Debug)]
struct Engine {
    analyzer: Analyzer,
    ngram: (usize, usize),
    lowercase: bool,
    stop: Option<FxSet<Box<str>>>,
}

/// Reusable buffers of the analyzers.
#[derive(Default)]
struct Scratch {
    lower: String,
    text: String,
    buf: String,
    spans: Vec<(usize, usize)>,
    bounds: Vec<usize>,
}

impl Engine {
    fn new(p: &TfidfParams) -> Self {
        let stop = p.stop_words.as_ref().map(|s| match s {
            StopWords::English => english_stop_words().into_iter().map(Box::from).collect(),
            StopWords::List(l) => l.iter().map(|w| Box::from(w.as_str())).collect(),
        });
        Engine {
            analyzer: p.analyzer,
            ngram: p.ngram_range,
            lowercase: p.lowercase,
            stop,
        }
    }

    /// True for the word analyzer with unigrams only, where a stop word is
    /// a feature of its own and can be filtered after interning.
    fn unigram_words(&self) -> bool {
        self.analyzer == Analyzer::Word && self.ngram == (1, 1)
    }

    /// Is `term` a stop word?
    fn is_stop(&self, term: &str) -> bool {
        self.stop.as_ref().is_some_and(|s| s.contains(term))
    }

    /// Call `f` on every feature of `doc`, in scikit-learn's order; stop words
    /// are removed only when `apply_stop` (the callers that skip it filter
    /// them afterwards).
    fn for_each_feature<F: FnMut(&str)>(
        &self,
        doc: &str,
        s: &mut Scratch,
        apply_stop: bool,
        f: &mut F,
    ) {
        let Scratch {
            lower,
            text,
            buf,
            spans,
            bounds,
        } = s;
        let doc: &str = if self.lowercase {
            lower.clear();
            if doc.is_ascii() {
                lower.push_str(doc);
                lower.make_ascii_lowercase();
            } else {
                *lower = doc.to_lowercase();
            }
            lower
        } else {
            doc
        };
        let (min_n, max_n) = self.ngram;
        match self.analyzer {
            Analyzer::Word => {
                tokenize(doc, spans);
                if let Some(stop) = self.stop.as_ref().filter(|_| apply_stop) {
                    spans.retain(|&(a, b)| !stop.contains(&doc[a..b]));
                }
                word_ngrams(doc, spans, min_n, max_n, buf, f);
            }
            Analyzer::Char => {
                normalize_whitespace(doc, text);
                char_bounds(text, bounds);
                char_ngrams(text, bounds, min_n, max_n, f);
            }
            Analyzer::CharWb => {
                for word in doc.split(is_py_space).filter(|w| !w.is_empty()) {
                    buf.clear();
                    buf.push(' ');
                    buf.push_str(word);
                    buf.push(' ');
                    char_bounds(buf, bounds);
                    char_wb_ngrams(buf, bounds, min_n, max_n, f);
                }
            }
        }
    }
}

/// `_word_ngrams` after stop-word removal: unigrams, then bigrams, ...
fn word_ngrams<F: FnMut(&str)>(
    doc: &str,
    spans: &[(usize, usize)],
    min_n: usize,
    max_n: usize,
    buf: &mut String,
    f: &mut F,
) {
    let mut min_n = min_n;
    if min_n == 1 {
        for &(a, b) in spans {
            f(&doc[a..b]);
        }
        min_n = 2;
    }
    let n_tokens = spans.len();
    for n in min_n..=max_n.min(n_tokens) {
        for w in spans.windows(n) {
            buf.clear();
            for (k, &(a, b)) in w.iter().enumerate() {
                if k > 0 {
                    buf.push(' ');
                }
                buf.push_str(&doc[a..b]);
            }
            f(buf);
        }
    }
}

/// `_char_ngrams`: unigrams first when `min_n == 1`, then longer n-grams.
fn char_ngrams<F: FnMut(&str)>(
    text: &str,
    bounds: &[usize],
    min_n: usize,
    max_n: usize,
    f: &mut F,
) {
    let len = bounds.len() - 1;
    let mut min_n = min_n;
    if min_n == 1 {
        for i in 0..len {
            f(&text[bounds[i]..bounds[i + 1]]);
        }
        min_n = 2;
    }
    for n in min_n..=max_n.min(len) {
        for i in 0..=len - n {
            f(&text[bounds[i]..bounds[i + n]]);
        }
    }
}

/// `_char_wb_ngrams` on one padded word.
fn char_wb_ngrams<F: FnMut(&str)>(
    w: &str,
    bounds: &[usize],
    min_n: usize,
    max_n: usize,
    f: &mut F,
) {
    let w_len = bounds.len() - 1;
    for n in min_n..=max_n {
        let mut offset = 0;
        f(&w[..bounds[n.min(w_len)]]);
        while offset + n < w_len {
            offset += 1;
            f(&w[bounds[offset]..bounds[offset + n]]);
        }
        if offset == 0 {
            // A short word (w_len <= n) is counted only once.
            break;
        }
    }
}

/// Byte offset of every char of `text`, plus `text.len()`.
fn char_bounds(text: &str, bounds: &mut Vec<usize>) {
    bounds.clear();
    bounds.extend(text.char_indices().map(|(i, _)| i));
    bounds.push(text.len());
}

/// Python's `re.sub(r"\s\s+", " ", text)`.
fn normalize_whitespace(text: &str, out: &mut String) {
    out.clear();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_py_space(c) && chars.peek().is_some_and(|&d| is_py_space(d)) {
            while chars.peek().is_some_and(|&d| is_py_space(d)) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
}

/// Python's `str.isspace()` (and `\s` in `str` patterns).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Byte spans of the tokens of `(?u)\b\w\w+\b`: maximal runs of at least two
/// word characters.
fn tokenize(text: &str, spans: &mut Vec<(usize, usize)>) {
    spans.clear();
    let bytes = text.as_bytes();
    let n = bytes.len();
    // Is the char at byte `i` a word char, and how long is it?
    let class = |i: usize| -> (bool, usize) {
        let b = bytes[i];
        if b < 0x80 {
            (ASCII_WORD[b as usize], 1)
        } else {
            match text[i..].chars().next() {
                Some(c) => (is_word_char(c), c.len_utf8()),
                None => (false, 1),
            }
        }
    };
    let mut i = 0;
    while i < n {
        // Skip non-word chars.
        while i < n {
            let b = bytes[i];
            if b < 0x80 {
                if ASCII_WORD[b as usize] {
                    break;
                }
                i += 1;
            } else {
                let (word, len) = class(i);
                if word {
                    break;
                }
                i += len;
            }
        }
        let start = i;
        let mut run = 0usize; // chars in the run
        while i < n {
            let b = bytes[i];
            if b < 0x80 {
                if !ASCII_WORD[b as usize] {
                    break;
                }
                i += 1;
            } else {
                let (word, len) = class(i);
                if !word {
                    break;
                }
                i += len;
            }
            run += 1;
        }
        if run >= 2 {
            spans.push((start, i));
        }
    }
}

const ASCII_WORD: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'_';
        i += 1;
    }
    t
};

/// Python's `\w` for `str`: `str.isalnum()` or `_` (see the module docs).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_WORD[c as usize];
    }
    c.is_alphanumeric()
        && !unicode_normalization::char::is_combining_mark(c)
        && !is_alphabetic_symbol(c)
}

/// `Other_Alphabetic` symbols (General_Category So) that Rust calls
/// alphabetic and Python does not: circled and squared Latin letters.
fn is_alphabetic_symbol(c: char) -> bool {
    matches!(c, '\u{24B6}'..='\u{24E9}' | '\u{1F130}'..='\u{1F149}' | '\u{1F150}'..='\u{1F169}' | '\u{1F170}'..='\u{1F189}')
}

// ---------------------------------------------------------------------------
// Hashing: FxHash (rustc's), fast and deterministic; never reaches the output.
// ---------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Plain word loads: no memcpy call, even at low optimisation levels.
        let mut rest = bytes;
        while let Some((word, tail)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            rest = tail;
        }
        if let Some((word, tail)) = rest.split_first_chunk::<4>() {
            self.add(u64::from(u32::from_le_bytes(*word)));
            rest = tail;
        }
        let mut w = 0u64;
        for &b in rest {
            w = (w << 8) | u64::from(b);
        }
        self.add(w | (bytes.len() as u64) << 56);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Spread the high bits down: hashbrown takes its tag from the top 7.
        self.hash.rotate_left(26)
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;
type FxMap<K, V> = HashMap<K, V, FxBuild>;
type FxSet<K> = HashSet<K, FxBuild>;

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    const FIXTURE: &str = include_str!("../../tests/data/tfidf_sklearn.json");

    #[derive(Deserialize)]
    struct Fixture {
        sklearn_version: String,
        corpus: Vec<String>,
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        name: String,
        params: TfidfParams,
        vocabulary: Vec<String>,
        idf: Option<Vec<f64>>,
        shape: (usize, usize),
        rows: Vec<usize>,
        cols: Vec<usize>,
        values: Vec<f64>,
        analyzed: Vec<Vec<String>>,
    }

    fn fit(params: TfidfParams, docs: &[&str]) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
        params.check().expect("valid params").fit_transform(docs)
    }

    /// (row, col, value) triplets in row-major order.
    fn triplets(m: &CsMat<f64>) -> Vec<(usize, usize, f64)> {
        let mut out = Vec::new();
        for (r, row) in m.outer_iterator().enumerate() {
            for (c, &v) in row.iter() {
                out.push((r, c, v));
            }
        }
        out
    }

    #[test]
    fn matches_scikit_learn_fixture() {
        let fx: Fixture = serde_json::from_str(FIXTURE).expect("fixture parses");
        assert!(!fx.sklearn_version.is_empty());
        let docs: Vec<&str> = fx.corpus.iter().map(String::as_str).collect();
        assert!(fx.cases.len() >= 5);
        for case in &fx.cases {
            let name = &case.name;
            let (fitted, m) = fit(case.params.clone(), &docs).expect(name);
            assert_eq!(
                fitted.vocabulary(),
                &case.vocabulary[..],
                "{name}: vocabulary"
            );
            match &case.idf {
                Some(idf) => {
                    assert_eq!(idf.len(), fitted.idf().len(), "{name}");
                    for (a, b) in fitted.idf().iter().zip(idf) {
                        assert_abs_diff_eq!(*a, *b, epsilon = 1e-6);
                    }
                }
                None => assert!(fitted.idf().iter().all(|&v| v == 1.0), "{name}"),
            }
            assert_eq!(m.shape(), case.shape, "{name}: shape");
            assert!(m.is_csr());
            let got = triplets(&m);
            assert_eq!(got.len(), case.values.len(), "{name}: nnz");
            for (k, &(r, c, v)) in got.iter().enumerate() {
                assert_eq!((r, c), (case.rows[k], case.cols[k]), "{name}: entry {k}");
                assert_abs_diff_eq!(v, case.values[k], epsilon = 1e-6);
            }
            // transform() after fit gives the same matrix as fit_transform().
            assert_eq!(fitted.transform(&docs), m, "{name}: transform");
            for (doc, want) in docs.iter().zip(&case.analyzed) {
                assert_eq!(&fitted.analyze(doc), want, "{name}: analyze({doc:?})");
            }
        }
    }

    #[test]
    fn defaults_are_scikit_learns() {
        let p: TfidfParams = serde_json::from_str("{}").unwrap();
        assert_eq!(p, TfidfParams::default());
        assert_eq!(p.min_df, DfBound::Count(1));
        assert_eq!(p.max_df, DfBound::Fraction(1.0));
        assert_eq!(p.ngram_range, (1, 1));
        assert!(p.check().is_ok());
    }

    #[test]
    fn params_parse_from_toml_with_counts_and_fractions() {
        let p: TfidfParams = toml::from_str(
            "analyzer = \"word\"\nngram_range = [1, 2]\nstop_words = \"english\"\n\
             min_df = 2\nmax_df = 0.5\nmax_features = 1000\nsublinear_tf = true\nnorm = \"l1\"\n",
        )
        .unwrap();
        assert_eq!(p.min_df, DfBound::Count(2));
        assert_eq!(p.max_df, DfBound::Fraction(0.5));
        assert_eq!(p.stop_words, Some(StopWords::English));
        assert_eq!(p.norm, Norm::L1);
        let q: TfidfParams =
            toml::from_str("analyzer = \"char_wb\"\nmax_df = 1.0\nmin_df = 0.0\nnorm = \"none\"")
                .unwrap();
        assert_eq!(q.max_df, DfBound::Fraction(1.0));
        assert_eq!(q.min_df, DfBound::Fraction(0.0));
        assert_eq!(q.analyzer, Analyzer::CharWb);
        assert_eq!(q.norm, Norm::None);
        let list: TfidfParams = serde_json::from_str(r#"{"stop_words": ["a", "b"]}"#).unwrap();
        assert_eq!(
            list.stop_words,
            Some(StopWords::List(vec!["a".into(), "b".into()]))
        );
        // Round trip through JSON keeps counts and fractions apart.
        let back: TfidfParams = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn params_round_trip_through_toml() {
        for p in [
            TfidfParams::default(),
            TfidfParams {
                min_df: DfBound::Count(2),
                max_df: DfBound::Fraction(0.5),
                stop_words: Some(StopWords::English),
                sublinear_tf: true,
                max_features: Some(10),
                ..Default::default()
            },
            TfidfParams {
                analyzer: Analyzer::Char,
                ngram_range: (1, 3),
                min_df: DfBound::Fraction(0.0),
                max_df: DfBound::Count(7),
                norm: Norm::None,
                ..Default::default()
            },
        ] {
            let table = toml::Table::try_from(&p).unwrap();
            let text = toml::to_string(&table).unwrap();
            let back: TfidfParams = toml::from_str(&text).unwrap();
            assert_eq!(back, p, "{text}");
        }
    }

    #[test]
    fn unknown_fields_and_stop_word_lists_are_rejected() {
        assert!(serde_json::from_str::<TfidfParams>(r#"{"max_dff": 0.5}"#).is_err());
        let e = serde_json::from_str::<TfidfParams>(r#"{"stop_words": "french"}"#);
        assert!(e.is_err());
    }

    #[test]
    fn english_stop_word_list_has_318_words() {
        let w = english_stop_words();
        assert_eq!(w.len(), 318);
        assert!(w.contains(&"the") && w.contains(&"yourselves"));
        assert!(w.windows(2).all(|p| p[0] < p[1]));
    }

    fn check_err(p: TfidfParams) -> TfidfParamsError {
        p.check().expect_err("params must be rejected")
    }

    #[test]
    fn max_df_fraction_above_one_is_an_error() {
        let e = check_err(TfidfParams {
            max_df: DfBound::Fraction(1.5),
            ..Default::default()
        });
        assert_eq!(
            e.to_string(),
            "max_df must be in [0, 1] when given as a fraction (max_df = 1.5)"
        );
    }

    #[test]
    fn negative_min_df_fraction_is_an_error() {
        let p: TfidfParams = serde_json::from_str(r#"{"min_df": -1}"#).unwrap();
        let e = check_err(p);
        assert!(matches!(
            e,
            TfidfParamsError::DfFractionOutOfRange { name: "min_df", .. }
        ));
        assert!(e.to_string().contains("min_df = -1.0"), "{e}");
    }

    #[test]
    fn nan_df_fraction_is_an_error() {
        let e = check_err(TfidfParams {
            min_df: DfBound::Fraction(f64::NAN),
            ..Default::default()
        });
        assert!(matches!(e, TfidfParamsError::DfFractionOutOfRange { .. }));
    }

    #[test]
    fn df_count_zero_is_an_error() {
        let e = check_err(TfidfParams {
            min_df: DfBound::Count(0),
            ..Default::default()
        });
        assert_eq!(e, TfidfParamsError::DfCountZero { name: "min_df" });
        assert!(e.to_string().contains("min_df = 0"));
    }

    #[test]
    fn min_df_greater_than_max_df_is_an_error() {
        let e = check_err(TfidfParams {
            min_df: DfBound::Count(5),
            max_df: DfBound::Count(3),
            ..Default::default()
        });
        assert!(e.to_string().contains("min_df = 5, max_df = 3"), "{e}");
        let e = check_err(TfidfParams {
            min_df: DfBound::Fraction(0.6),
            max_df: DfBound::Fraction(0.5),
            ..Default::default()
        });
        assert!(matches!(e, TfidfParamsError::MinDfAboveMaxDf { .. }));
    }

    #[test]
    fn min_df_above_max_df_after_resolution_is_a_fit_error() {
        // A count and a fraction can only be compared once n_docs is known.
        let docs = ["aa bb", "aa cc", "aa dd", "bb cc"];
        let e = fit(
            TfidfParams {
                min_df: DfBound::Count(3),
                max_df: DfBound::Fraction(0.5),
                ..Default::default()
            },
            &docs,
        )
        .unwrap_err();
        assert!(matches!(e, TfidfError::DfBoundsConflict { .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("min_df = 3") && msg.contains("max_df = 0.5"),
            "{msg}"
        );
    }

    #[test]
    fn ngram_range_min_above_max_is_an_error() {
        let e = check_err(TfidfParams {
            ngram_range: (3, 2),
            ..Default::default()
        });
        assert!(e.to_string().contains("ngram_range = [3, 2]"), "{e}");
    }

    #[test]
    fn ngram_min_zero_is_an_error() {
        let e = check_err(TfidfParams {
            ngram_range: (0, 2),
            ..Default::default()
        });
        assert_eq!(e, TfidfParamsError::NgramMinZero { min: 0, max: 2 });
    }

    #[test]
    fn max_features_zero_is_an_error() {
        let e = check_err(TfidfParams {
            max_features: Some(0),
            ..Default::default()
        });
        assert_eq!(e, TfidfParamsError::MaxFeaturesZero);
    }

    #[test]
    fn stop_words_with_char_analyzer_is_an_error() {
        let e = check_err(TfidfParams {
            analyzer: Analyzer::CharWb,
            stop_words: Some(StopWords::English),
            ..Default::default()
        });
        assert!(e.to_string().contains("analyzer = \"char_wb\""), "{e}");
    }

    #[test]
    fn empty_vocabulary_error_names_min_df_and_max_df() {
        let docs = ["alpha beta", "gamma delta", "epsilon zeta"];
        let e = fit(
            TfidfParams {
                min_df: DfBound::Count(2),
                ..Default::default()
            },
            &docs,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "empty vocabulary: no term is left after min_df = 2 and max_df = 1.0 on 3 \
             documents; lower min_df or raise max_df"
        );
    }

    #[test]
    fn no_documents_and_no_terms_are_errors() {
        let p = TfidfParams::default().check().unwrap();
        assert_eq!(p.fit(&[]).unwrap_err(), TfidfError::NoDocuments);
        let e = TfidfParams {
            stop_words: Some(StopWords::English),
            ..Default::default()
        }
        .check()
        .unwrap()
        .fit(&["It is what it is.", "", "a b c"])
        .unwrap_err();
        assert!(matches!(e, TfidfError::NoTerms { n_docs: 3, .. }), "{e}");
    }

    #[test]
    fn empty_documents_give_zero_rows() {
        let docs = ["", "hello world", "   ", "x", "hello"];
        let (fitted, m) = fit(TfidfParams::default(), &docs).unwrap();
        assert_eq!(
            fitted.vocabulary(),
            &["hello".to_string(), "world".to_string()]
        );
        assert_eq!(m.shape(), (5, 2));
        let nnz: Vec<usize> = m.outer_iterator().map(|r| r.nnz()).collect();
        assert_eq!(nnz, vec![0, 2, 0, 0, 1]);
        assert_eq!(fitted.transform(&[]).shape(), (0, 2));
        assert_eq!(fitted.transform(&["", "unknown words"]).nnz(), 0);
    }

    #[test]
    fn counts_are_raw_term_counts() {
        let docs = ["the cat sat on the mat", "the dog", "cat cat cat"];
        let fitted = TfidfParams {
            sublinear_tf: true,
            ..Default::default()
        }
        .check()
        .unwrap()
        .fit(&docs)
        .unwrap();
        let c = fitted.counts(&["the the cat zebra", ""]);
        assert_eq!(c.shape(), (2, fitted.vocabulary().len()));
        let the = fitted.column("the").unwrap();
        let cat = fitted.column("cat").unwrap();
        assert_eq!(c.get(0, the), Some(&2.0));
        assert_eq!(c.get(0, cat), Some(&1.0));
        assert_eq!(c.nnz(), 2);
    }

    #[test]
    fn max_features_ties_are_broken_alphabetically() {
        // Every term has corpus frequency 1; the first two alphabetically win.
        let docs = ["delta alpha", "charlie bravo"];
        let (fitted, _) = fit(
            TfidfParams {
                max_features: Some(2),
                ..Default::default()
            },
            &docs,
        )
        .unwrap();
        assert_eq!(
            fitted.vocabulary(),
            &["alpha".to_string(), "bravo".to_string()]
        );
    }

    #[test]
    fn fitted_vectorizer_round_trips_through_serde() {
        let docs = [
            "Café crème, naïve Straße!",
            "the café is open",
            "open the door",
        ];
        let params = TfidfParams {
            ngram_range: (1, 2),
            stop_words: Some(StopWords::List(vec!["the".into(), "is".into()])),
            sublinear_tf: true,
            ..Default::default()
        };
        let (fitted, m) = fit(params, &docs).unwrap();
        let json = serde_json::to_string(&fitted).unwrap();
        assert!(json.contains("\"format_version\":1"), "{json}");
        let back: FittedTfidf = serde_json::from_str(&json).unwrap();
        assert_eq!(back.params(), fitted.params());
        assert_eq!(back.vocabulary(), fitted.vocabulary());
        assert_eq!(back.idf(), fitted.idf());
        assert_eq!(back.n_docs(), 3);
        assert_eq!(back.transform(&docs), m);
        // A corrupted model is rejected.
        let bad = json.replace("\"format_version\":1", "\"format_version\":99");
        assert!(serde_json::from_str::<FittedTfidf>(&bad).is_err());
    }

    fn synthetic_corpus(n: usize) -> Vec<String> {
        const WORDS: &[&str] = &[
            "rhetoric",
            "logos",
            "ethos",
            "pathos",
            "argument",
            "claim",
            "the",
            "of",
            "and",
            "café",
            "naïve",
            "straße",
            "λόγος",
            "evidence",
            "warrant",
            "stance",
            "frame",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        (0..n)
            .map(|_| {
                let mut len = 0;
                let mut s = String::new();
                loop {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    if len > 3 && state.is_multiple_of(11) {
                        break s;
                    }
                    s.push_str(WORDS[(state >> 20) as usize % WORDS.len()]);
                    s.push(if state.is_multiple_of(5) { ',' } else { ' ' });
                    len += 1;
                }
            })
            .collect()
    }

    #[test]
    fn output_is_identical_for_one_and_two_threads() {
        let corpus = synthetic_corpus(3000);
        let docs: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let params = TfidfParams {
                        ngram_range: (1, 2),
                        min_df: DfBound::Count(2),
                        max_df: DfBound::Fraction(0.9),
                        max_features: Some(150),
                        sublinear_tf: true,
                        ..Default::default()
                    };
                    let (fitted, m) = fit(params, &docs).unwrap();
                    let t = fitted.transform(&docs);
                    (fitted.vocabulary().to_vec(), fitted.idf().to_vec(), m, t)
                })
        };
        let (v1, i1, m1, t1) = run(1);
        let (v2, i2, m2, t2) = run(2);
        assert_eq!(v1, v2);
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&i1), bits(&i2));
        for (a, b) in [(&m1, &m2), (&t1, &t2), (&m1, &t1)] {
            assert_eq!(a.indptr().raw_storage(), b.indptr().raw_storage());
            assert_eq!(a.indices(), b.indices());
            assert_eq!(bits(a.data()), bits(b.data()));
        }
    }
}
