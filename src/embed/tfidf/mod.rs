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

mod analyzer;
mod fit;
mod fitted;
mod hash;
mod params;
#[cfg(test)]
mod tests;

pub use fitted::{FittedTfidf, FORMAT_VERSION};
pub use params::{
    english_stop_words, Analyzer, DfBound, Norm, StopWords, TfidfError, TfidfParams,
    TfidfParamsError, TfidfValidParams,
};
