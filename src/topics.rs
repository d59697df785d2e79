//! Topic representation: class-based TF-IDF terms (as BERTopic), a readable label, and the
//! paragraphs closest to each centroid.

use crate::cluster::{class_tfidf, Clustering};
use crate::embed::tfidf::{DfBound, FittedTfidf, StopWords, TfidfError, TfidfParams};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// Parameters of topic descriptions (the `[topics]` section).
///
/// Defaults: `top_n = 10` terms per topic, `label_terms = 4` terms in the label,
/// `representatives = 3` paragraphs per topic, `ngram_max = 2` (unigrams and bigrams).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopicsParams {
    /// Terms listed per topic.
    pub top_n: usize,
    /// Terms joined into the topic label.
    pub label_terms: usize,
    /// Representative paragraphs per topic (closest to the centroid).
    pub representatives: usize,
    /// Longest n-gram among topic terms.
    pub ngram_max: usize,
}

impl Default for TopicsParams {
    fn default() -> Self {
        TopicsParams {
            top_n: 10,
            label_terms: 4,
            representatives: 3,
            ngram_max: 2,
        }
    }
}

/// An invalid `[topics]` value.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TopicsParamsError {
    /// `top_n` is zero.
    #[error("topics.top_n must be at least 1 (top_n = 0)")]
    TopN,
    /// `label_terms` is zero or above `top_n`.
    #[error(
        "topics.label_terms must be between 1 and topics.top_n (label_terms = {0}, top_n = {1})"
    )]
    LabelTerms(usize, usize),
    /// `representatives` is zero.
    #[error("topics.representatives must be at least 1 (representatives = 0)")]
    Representatives,
    /// `ngram_max` out of range.
    #[error("topics.ngram_max must be 1, 2 or 3 (ngram_max = {0})")]
    NgramMax(usize),
}

/// Checked [`TopicsParams`].
#[derive(Clone, Debug, PartialEq)]
pub struct TopicsValidParams(TopicsParams);

impl TopicsValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &TopicsParams {
        &self.0
    }
}

impl TopicsParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<TopicsValidParams, TopicsParamsError> {
        if self.top_n == 0 {
            return Err(TopicsParamsError::TopN);
        }
        if self.label_terms == 0 || self.label_terms > self.top_n {
            return Err(TopicsParamsError::LabelTerms(self.label_terms, self.top_n));
        }
        if self.representatives == 0 {
            return Err(TopicsParamsError::Representatives);
        }
        if !(1..=3).contains(&self.ngram_max) {
            return Err(TopicsParamsError::NgramMax(self.ngram_max));
        }
        Ok(TopicsValidParams(self.clone()))
    }
}

/// One topic.
#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    /// Canonical id (0 = largest).
    pub id: usize,
    /// Number of paragraphs.
    pub size: usize,
    /// The label: the top distinct terms joined with ", ".
    pub label: String,
    /// Top terms by c-TF-IDF weight.
    pub terms: Vec<String>,
    /// Their weights.
    pub scores: Vec<f64>,
    /// Indices (into the paragraph list) of the paragraphs closest to the centroid.
    pub representatives: Vec<usize>,
    /// Stability across seeds and subsamples (mean Jaccard overlap of its members with the
    /// matched topic of each re-fit); `None` when not measured.
    pub stability: Option<f64>,
}

fn words(t: &str) -> Vec<&str> {
    t.split(' ').collect()
}

/// The label: the highest-weighted terms, without repeating words: a term whose words all
/// occur in a term already chosen is skipped, and a longer term that covers chosen terms
/// replaces them ("illegal", "immigrants", "illegal immigrants" → "illegal immigrants").
pub fn label(terms: &[String], n: usize) -> String {
    let mut chosen: Vec<&str> = Vec::new();
    for t in terms {
        let tw = words(t);
        if chosen
            .iter()
            .any(|c| tw.iter().all(|w| words(c).contains(w)))
        {
            continue;
        }
        let covered: Vec<usize> = (0..chosen.len())
            .filter(|&i| words(chosen[i]).iter().all(|w| tw.contains(w)))
            .collect();
        if let Some(&first) = covered.first() {
            chosen[first] = t;
            for &i in covered[1..].iter().rev() {
                chosen.remove(i);
            }
        } else if chosen.len() < n {
            chosen.push(t);
        }
    }
    chosen.truncate(n);
    chosen.join(", ")
}

/// Fits the term vectorizer used for topic terms: word n-grams (1..=ngram_max), English stop
/// words, terms in at least two paragraphs (one when the corpus is tiny).
pub fn term_vectorizer(texts: &[&str], p: &TopicsValidParams) -> Result<FittedTfidf, TfidfError> {
    fit_terms(texts, p, |v, texts| v.fit(texts))
}

/// [`term_vectorizer`] and the counts of `texts`, in one tokenisation pass (two passes, a fit
/// then a count, took about half of the topics stage on 20newsgroups).
fn term_vectorizer_and_counts(
    texts: &[&str],
    p: &TopicsValidParams,
) -> Result<(FittedTfidf, sprs::CsMat<f64>), TfidfError> {
    fit_terms(texts, p, |v, texts| v.fit_counts(texts))
}

/// Runs `fit` with the topic-term parameters, and again with `min_df = 1` when no term is in
/// two paragraphs.
fn fit_terms<T>(
    texts: &[&str],
    p: &TopicsValidParams,
    fit: impl Fn(&crate::embed::tfidf::TfidfValidParams, &[&str]) -> Result<T, TfidfError>,
) -> Result<T, TfidfError> {
    let params = |min_df| TfidfParams {
        ngram_range: (1, p.0.ngram_max),
        stop_words: Some(StopWords::English),
        min_df: DfBound::Count(min_df),
        ..TfidfParams::default()
    };
    let checked = params(2)
        .check()
        .expect("fixed topic vectorizer params are valid");
    match fit(&checked, texts) {
        Ok(f) => Ok(f),
        Err(TfidfError::EmptyVocabulary { .. } | TfidfError::DfBoundsConflict { .. }) => fit(
            &params(1)
                .check()
                .expect("fixed topic vectorizer params are valid"),
            texts,
        ),
        Err(e) => Err(e),
    }
}

/// Term counts of the paragraphs over the topic-term vocabulary (see [`term_vectorizer`]);
/// shared by the topic descriptions and the keyness of the compare stage.
pub struct TermCounts {
    /// The fitted term vectorizer.
    pub vectorizer: FittedTfidf,
    /// Raw counts, one row per paragraph.
    pub counts: sprs::CsMat<f64>,
}

impl TermCounts {
    /// Fits the term vectorizer on `texts` and counts their terms.
    pub fn new(texts: &[&str], p: &TopicsValidParams) -> Result<TermCounts, TfidfError> {
        let (vectorizer, counts) = term_vectorizer_and_counts(texts, p)?;
        Ok(TermCounts { vectorizer, counts })
    }
}

/// Describes every topic of `clustering`: c-TF-IDF terms from `terms`, label, and the
/// representative paragraphs closest to the centroid in `x`.
pub fn describe(
    terms: &TermCounts,
    clustering: &Clustering,
    x: ArrayView2<f32>,
    p: &TopicsValidParams,
) -> Vec<Topic> {
    let (vec, counts) = (&terms.vectorizer, &terms.counts);
    let terms = class_tfidf(
        counts,
        &clustering.labels,
        clustering.k,
        vec.vocabulary(),
        p.0.top_n,
    );
    let reps = clustering.representatives(x, p.0.representatives);
    let mut sizes = vec![0usize; clustering.k];
    for &l in &clustering.labels {
        sizes[l] += 1;
    }
    terms
        .into_iter()
        .zip(reps)
        .enumerate()
        .map(|(id, (t, r))| Topic {
            id,
            size: sizes[id],
            label: label(&t.terms, p.0.label_terms),
            terms: t.terms,
            scores: t.scores,
            representatives: r,
            stability: clustering
                .topic_stability
                .get(id)
                .copied()
                .filter(|s| s.is_finite()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn label_skips_overlapping_terms() {
        let t = s(&[
            "illegal immigrants",
            "illegal",
            "ice",
            "immigrants",
            "workers",
            "wages",
        ]);
        assert_eq!(label(&t, 3), "illegal immigrants, ice, workers");
    }

    #[test]
    fn top_n_cannot_be_zero() {
        let p = TopicsParams {
            top_n: 0,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(TopicsParamsError::TopN));
    }

    #[test]
    fn label_terms_cannot_exceed_top_n() {
        let p = TopicsParams {
            label_terms: 11,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(TopicsParamsError::LabelTerms(11, 10)));
    }

    #[test]
    fn representatives_cannot_be_zero() {
        let p = TopicsParams {
            representatives: 0,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(TopicsParamsError::Representatives));
    }

    #[test]
    fn ngram_max_in_range() {
        let p = TopicsParams {
            ngram_max: 4,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(TopicsParamsError::NgramMax(4)));
    }
}
