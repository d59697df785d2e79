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
    /// Guided topics: name → seed words (a trailing `*` matches any ending, several words a
    /// phrase). The mean embedding of the paragraphs holding any of a topic's words starts
    /// one k-means centre; the topic it becomes carries the name.
    pub seeds: std::collections::BTreeMap<String, Vec<String>>,
    /// Guided topics from a codebook dimension of `[label] codebooks`: each of its labels
    /// with keywords seeds a topic named after it (keywords as seed words). `seeds` entries
    /// of the same name win.
    pub seed_dimension: Option<String>,
    /// Topic names after fitting: fitted topic id (as a string key, `3 = "…"`) → label.
    pub names: std::collections::BTreeMap<String, String>,
    /// Topics merged after fitting: lists of fitted topic ids, each becoming one topic.
    pub merge: Vec<Vec<usize>>,
}

impl Default for TopicsParams {
    fn default() -> Self {
        TopicsParams {
            top_n: 10,
            label_terms: 4,
            representatives: 3,
            ngram_max: 2,
            seeds: Default::default(),
            seed_dimension: None,
            names: Default::default(),
            merge: Vec::new(),
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
    /// A seed topic without a name or without words.
    #[error("topics.seeds: the seed topic '{0}' needs a name and at least one non-empty word")]
    EmptySeed(String),
    /// A `names` key that is not a topic id.
    #[error("topics.names: '{0}' is not a topic id (write names = {{ 3 = \"border security\" }})")]
    NameKey(String),
    /// A merge group of fewer than two topics, or a topic in two groups.
    #[error("topics.merge: {0}")]
    Merge(String),
}

/// Checked [`TopicsParams`].
#[derive(Clone, Debug, PartialEq)]
pub struct TopicsValidParams(TopicsParams);

impl TopicsValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &TopicsParams {
        &self.0
    }

    /// These parameters with the guided topics of `seed_dimension` added from the loaded
    /// codebooks (labels without keywords are skipped); an error names the dimensions there
    /// are when none has that name.
    pub fn with_codebook_seeds(
        mut self,
        codebooks: &[crate::label::Codebook],
    ) -> Result<TopicsValidParams, String> {
        let Some(dim) = self.0.seed_dimension.clone() else {
            return Ok(self);
        };
        let spec = codebooks
            .iter()
            .flat_map(|c| &c.dimension)
            .find(|d| d.name == dim)
            .ok_or_else(|| {
                let have: Vec<&str> = codebooks
                    .iter()
                    .flat_map(|c| &c.dimension)
                    .map(|d| d.name.as_str())
                    .collect();
                format!(
                    "seed_dimension '{dim}': no codebook of [label] codebooks has this dimension ({})",
                    if have.is_empty() {
                        "there are no codebooks".to_string()
                    } else {
                        format!("they have: {}", have.join(", "))
                    }
                )
            })?;
        for l in spec.label.iter().filter(|l| !l.keywords.is_empty()) {
            self.0
                .seeds
                .entry(l.name.clone())
                .or_insert_with(|| l.keywords.clone());
        }
        Ok(self)
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
        for (name, words) in &self.seeds {
            if name.trim().is_empty()
                || !words
                    .iter()
                    .any(|w| !w.trim().trim_end_matches('*').is_empty())
            {
                return Err(TopicsParamsError::EmptySeed(name.clone()));
            }
        }
        for key in self.names.keys() {
            if key.trim().parse::<usize>().is_err() {
                return Err(TopicsParamsError::NameKey(key.clone()));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for g in &self.merge {
            if g.len() < 2 {
                return Err(TopicsParamsError::Merge(format!(
                    "each list merges at least two topic ids (got {g:?})"
                )));
            }
            for &id in g {
                if !seen.insert(id) {
                    return Err(TopicsParamsError::Merge(format!(
                        "topic {id} is in two lists (or twice in one)"
                    )));
                }
            }
        }
        Ok(TopicsValidParams(self.clone()))
    }
}

/// Lowercase words of a text (runs of letters, digits and apostrophes).
fn lower_words(t: &str) -> Vec<String> {
    t.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `words` (a text's lowercase words) hold the seed `seed`: one or more words, the
/// last matching any ending when it ends in `*`.
fn holds(words: &[String], seed: &[String], prefix: bool) -> bool {
    if seed.is_empty() || words.len() < seed.len() {
        return false;
    }
    words.windows(seed.len()).any(|w| {
        w.iter().zip(seed).enumerate().all(|(i, (a, b))| {
            if prefix && i + 1 == seed.len() {
                a.starts_with(b.as_str())
            } else {
                a == b
            }
        })
    })
}

/// For each guided topic (in the order of `[topics] seeds`), its name and the indices of the
/// texts holding any of its seed words.
pub fn seed_members(texts: &[&str], p: &TopicsValidParams) -> Vec<(String, Vec<usize>)> {
    let words: Vec<Vec<String>> = texts.iter().map(|t| lower_words(t)).collect();
    p.0.seeds
        .iter()
        .map(|(name, seeds)| {
            let seeds: Vec<(Vec<String>, bool)> = seeds
                .iter()
                .map(|s| {
                    let s = s.trim();
                    let prefix = s.ends_with('*');
                    (lower_words(s.trim_end_matches('*')), prefix)
                })
                .filter(|(w, _)| !w.is_empty())
                .collect();
            let rows = words
                .iter()
                .enumerate()
                .filter(|(_, w)| seeds.iter().any(|(s, pre)| holds(w, s, *pre)))
                .map(|(i, _)| i)
                .collect();
            (name.clone(), rows)
        })
        .collect()
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
    /// How the label was given: [`label_from::TERMS`], [`label_from::SEED`] or
    /// [`label_from::NAMES`].
    pub label_from: &'static str,
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
            label_from: label_from::TERMS,
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

/// How a topic got its label.
pub mod label_from {
    /// The top c-TF-IDF terms.
    pub const TERMS: &str = "terms";
    /// The name of the guided topic it grew from (`[topics] seeds`).
    pub const SEED: &str = "seed";
    /// `[topics] names`.
    pub const NAMES: &str = "names";

    /// The constant of a recorded value (a bundle's); anything else is [`TERMS`].
    pub fn of(s: &str) -> &'static str {
        match s {
            SEED => SEED,
            NAMES => NAMES,
            _ => TERMS,
        }
    }
}

/// `clustering` with the fitted topics of each `groups` list merged into one (see
/// `[topics] merge`): labels remapped, each merged centroid the mean of its members' rows of
/// `x` (so nearest-centroid assignment of new text uses it), memberships and distances
/// recomputed, topics renumbered canonically (0 = largest, ties by first member). Returns it
/// with, per new topic, the fitted ids it holds.
pub fn merge_topics(
    c: &Clustering,
    groups: &[Vec<usize>],
    x: ArrayView2<f32>,
) -> Result<(Clustering, Vec<Vec<usize>>), crate::cluster::ClusterError> {
    let k = c.k;
    for &id in groups.iter().flatten() {
        if id >= k {
            return Err(crate::cluster::ClusterError::NoSuchTopic {
                key: "merge".into(),
                id,
                k,
            });
        }
    }
    // Provisional group of each fitted topic: its merge list's first id, else itself.
    let mut rep: Vec<usize> = (0..k).collect();
    for g in groups {
        let first = *g.iter().min().unwrap_or(&0);
        for &id in g {
            rep[id] = first;
        }
    }
    let mut size = vec![0usize; k];
    let mut first = vec![usize::MAX; k];
    for (i, &l) in c.labels.iter().enumerate() {
        let r = rep[l];
        size[r] += 1;
        first[r] = first[r].min(i);
    }
    let mut reps: Vec<usize> = (0..k).filter(|&t| rep[t] == t).collect();
    reps.sort_by(|&a, &b| {
        size[b]
            .cmp(&size[a])
            .then(first[a].cmp(&first[b]))
            .then(a.cmp(&b))
    });
    let mut new_of_rep = vec![0usize; k];
    for (n, &r) in reps.iter().enumerate() {
        new_of_rep[r] = n;
    }
    let new_id: Vec<usize> = (0..k).map(|t| new_of_rep[rep[t]]).collect();
    let k2 = reps.len();
    let d = x.ncols();
    let labels: Vec<usize> = c.labels.iter().map(|&l| new_id[l]).collect();
    let mut sums = vec![vec![0.0f64; d]; k2];
    let mut counts = vec![0usize; k2];
    for (row, &l) in x.rows().into_iter().zip(&labels) {
        counts[l] += 1;
        for (s, &v) in sums[l].iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    let mut centroids = ndarray::Array2::<f32>::zeros((k2, d));
    for (t, &n) in new_id.iter().enumerate() {
        if counts[n] == 0 {
            // No member: the fitted centroid (of the first such topic).
            if centroids.row(n).iter().all(|&v| v == 0.0) {
                centroids.row_mut(n).assign(&c.centroids.row(t));
            }
        }
    }
    for n in 0..k2 {
        if counts[n] > 0 {
            for (o, s) in centroids.row_mut(n).iter_mut().zip(&sums[n]) {
                *o = (s / counts[n] as f64) as f32;
            }
        }
    }
    let mut merged = c.clone();
    merged.k = k2;
    merged.labels = labels;
    merged.centroids = centroids;
    let u = merged.membership(x);
    let mut prob = Vec::with_capacity(merged.labels.len());
    let mut distance = Vec::with_capacity(merged.labels.len());
    for (i, (row, &l)) in x.rows().into_iter().zip(&merged.labels).enumerate() {
        prob.push(u[[i, l]]);
        let d2: f64 = row
            .iter()
            .zip(merged.centroids.row(l))
            .map(|(&a, &b)| {
                let t = f64::from(a) - f64::from(b);
                t * t
            })
            .sum();
        distance.push(d2.sqrt() as f32);
    }
    merged.prob = prob;
    merged.distance = distance;
    let mut held = vec![Vec::new(); k2];
    for (t, &n) in new_id.iter().enumerate() {
        held[n].push(t);
    }
    // A merged topic's stability is not measured; the others keep theirs.
    if !c.topic_stability.is_empty() {
        merged.topic_stability = held
            .iter()
            .map(|h| {
                if h.len() == 1 {
                    c.topic_stability[h[0]]
                } else {
                    f64::NAN
                }
            })
            .collect();
    }
    merged.seeded = c.seeded.iter().map(|&t| new_id[t]).collect();
    Ok((merged, held))
}
