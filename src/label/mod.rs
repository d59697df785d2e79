//! Labelling paragraphs on the dimensions of codebooks.
//!
//! Methods, chosen per dimension (`[label] method`, or per dimension in `[label.methods]`):
//!
//! - **`keywords`**: dictionary counts. Each label's keywords (quanteda-style globs: `tax*`,
//!   `*migra*`, phrases of several words) are matched against the paragraph's lowercased
//!   words; the label scores are the shares of all matches; the label with most matches wins.
//!   A paragraph without any match, or with a tie for the most matches, is *unsure* (no
//!   label). Transparent, and works with TF-IDF-only runs.
//! - **`prototype`**: each label's prototype is the mean of the l2-normalised vectors of its
//!   description and examples, in the run's vector space (sentence embeddings with
//!   `--embed transformer`, else TF-IDF); the cosine
//!   similarity of a paragraph to each prototype, divided by `temperature` and passed through
//!   a softmax, gives the label distribution. *Unsure* when the top probability is below
//!   `min_prob` or the margin to the second below `min_margin`.
//!
//! Output per dimension: the chosen label (or none when unsure), its score, and one score
//! per label (`<dimension>__<label>` columns of `paragraphs.parquet`).

pub mod codebook;
mod keywords;

pub use codebook::{Codebook, CodebookError, DimensionSpec, Kind, Level};
pub use keywords::Matcher;

use crate::embed::tfidf::FittedTfidf;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A labelling method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Prototype when the run has sentence embeddings, else keywords.
    #[default]
    Auto,
    /// Dictionary counts.
    Keywords,
    /// Similarity to label prototypes in the run's vector space.
    Prototype,
}

/// The `[label]` section.
///
/// Defaults: no codebooks, `method = "auto"`, `temperature = 0.05`, `min_prob = 0.35`,
/// `min_margin = 0.05`, no target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabelParams {
    /// Codebook files or shipped codebook names (`policy_frames`, `collective_action`,
    /// `stance`); relative paths are resolved against the config file's folder.
    pub codebooks: Vec<String>,
    /// Default method of every dimension.
    pub method: Method,
    /// Method per dimension, overriding `method`.
    pub methods: BTreeMap<String, Method>,
    /// The stance target that replaces `{target}` in codebooks.
    pub target: Option<String>,
    /// Softmax temperature of the prototype method.
    pub temperature: f64,
    /// Prototype: below this top probability a paragraph is unsure.
    pub min_prob: f64,
    /// Prototype: below this margin between the top two labels a paragraph is unsure.
    pub min_margin: f64,
    /// Classifier model files from `rhetor train`; each adds a dimension named after the
    /// file (stem), with the classifier's labels and scores.
    pub classifiers: Vec<String>,
}

impl Default for LabelParams {
    fn default() -> Self {
        LabelParams {
            codebooks: Vec::new(),
            method: Method::Auto,
            methods: BTreeMap::new(),
            target: None,
            temperature: 0.05,
            min_prob: 0.35,
            min_margin: 0.05,
            classifiers: Vec::new(),
        }
    }
}

/// An invalid `[label]` value.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LabelParamsError {
    /// Temperature not positive.
    #[error("label.temperature must be > 0 (temperature = {0})")]
    Temperature(f64),
    /// Probability threshold out of range.
    #[error("label.min_prob must be in [0, 1] (min_prob = {0})")]
    MinProb(f64),
    /// Margin out of range.
    #[error("label.min_margin must be in [0, 1] (min_margin = {0})")]
    MinMargin(f64),
    /// A `[label.methods]` key that names no dimension of the configured codebooks.
    #[error("label.methods: '{dimension}' is not a dimension of the configured codebooks ({codebooks}); their dimensions are: {known}")]
    UnknownMethodDimension {
        /// The key as written.
        dimension: String,
        /// The configured codebooks.
        codebooks: String,
        /// The dimensions there are.
        known: String,
    },
    /// `[label.methods]` is set but no codebook is configured.
    #[error("label.methods sets a method for '{0}', but no codebook is configured; add one with [label] codebooks = [\"…\"] or --codebook")]
    MethodsWithoutCodebook(String),
}

impl LabelParams {
    /// Validates the numeric parameters (codebooks are checked when loaded).
    pub fn check(&self) -> Result<(), LabelParamsError> {
        if !(self.temperature > 0.0 && self.temperature.is_finite()) {
            return Err(LabelParamsError::Temperature(self.temperature));
        }
        if !(0.0..=1.0).contains(&self.min_prob) {
            return Err(LabelParamsError::MinProb(self.min_prob));
        }
        if !(0.0..=1.0).contains(&self.min_margin) {
            return Err(LabelParamsError::MinMargin(self.min_margin));
        }
        Ok(())
    }

    /// Checks that every key of `methods` names a dimension of `codebooks` (the loaded
    /// [`codebooks`](Self::codebooks)): a misspelt dimension would otherwise silently keep
    /// the default method.
    pub fn check_methods(&self, codebooks: &[Codebook]) -> Result<(), LabelParamsError> {
        let known: Vec<&str> = codebooks
            .iter()
            .flat_map(|c| c.dimension.iter().map(|d| d.name.as_str()))
            .collect();
        for name in self.methods.keys() {
            if known.contains(&name.as_str()) {
                continue;
            }
            if codebooks.is_empty() {
                return Err(LabelParamsError::MethodsWithoutCodebook(name.clone()));
            }
            return Err(LabelParamsError::UnknownMethodDimension {
                dimension: name.clone(),
                codebooks: codebooks
                    .iter()
                    .map(|c| c.codebook.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                known: known.join(", "),
            });
        }
        Ok(())
    }
}

/// Loads the configured codebooks (resolving names), fills in the target, and checks that
/// dimension names are unique across codebooks.
pub fn load_codebooks(
    params: &LabelParams,
    base: Option<&std::path::Path>,
) -> Result<Vec<Codebook>, CodebookError> {
    let mut out: Vec<Codebook> = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for arg in &params.codebooks {
        let path = codebook::resolve(arg, base);
        let cb = Codebook::load(&path)?.with_target(params.target.as_deref())?;
        for d in &cb.dimension {
            if let Some(first) = seen.insert(d.name.clone(), path.clone()) {
                return Err(CodebookError::DuplicateDimension {
                    dimension: d.name.clone(),
                    first,
                    second: path,
                });
            }
        }
        out.push(cb);
    }
    Ok(out)
}

/// The labels of one dimension for every paragraph.
#[derive(Clone, Debug, PartialEq)]
pub struct DimensionLabels {
    /// Dimension name.
    pub name: String,
    /// Codebook name.
    pub codebook: String,
    /// Method used.
    pub method: Method,
    /// Single or multi.
    pub kind: Kind,
    /// Label names in codebook order.
    pub labels: Vec<String>,
    /// Chosen label per paragraph (`None` = unsure). For multi dimensions, the labels
    /// joined with `;`.
    pub chosen: Vec<Option<String>>,
    /// Score of the chosen label (0 when unsure).
    pub score: Vec<f32>,
    /// Score of every label, `scores[label][paragraph]`.
    pub scores: Vec<Vec<f32>>,
}

/// The vector space prototypes live in.
pub enum Space<'a> {
    /// The run's TF-IDF vectorizer and the paragraphs' TF-IDF rows.
    Tfidf {
        /// Fitted vectorizer (embeds label descriptions and examples).
        vectorizer: &'a FittedTfidf,
        /// Paragraph rows.
        x: &'a sprs::CsMat<f64>,
    },
    /// Sentence embeddings.
    Dense {
        /// Paragraph embeddings (l2-normalised rows).
        paragraphs: ndarray::ArrayView2<'a, f32>,
        /// The embedder (embeds label descriptions and examples).
        embedder: &'a crate::embed::transformer::Embedder,
    },
}

/// Labels `texts` on every dimension of `codebooks`. `method = "auto"` means prototypes
/// with sentence embeddings and keywords with TF-IDF.
pub fn label_all(
    codebooks: &[Codebook],
    texts: &[&str],
    space: &Space<'_>,
    params: &LabelParams,
) -> Result<Vec<DimensionLabels>, crate::embed::transformer::TransformerError> {
    label_all_with_progress(
        codebooks,
        texts,
        space,
        params,
        &crate::progress::NoProgress,
    )
}

/// [`label_all`], reporting one unit per dimension to `progress` (the result does not
/// depend on it).
pub fn label_all_with_progress(
    codebooks: &[Codebook],
    texts: &[&str],
    space: &Space<'_>,
    params: &LabelParams,
    progress: &dyn crate::progress::Progress,
) -> Result<Vec<DimensionLabels>, crate::embed::transformer::TransformerError> {
    let mut out = Vec::new();
    for cb in codebooks {
        for d in &cb.dimension {
            progress.message(&format!("dimension '{}'", d.name));
            let method = match params
                .methods
                .get(&d.name)
                .copied()
                .unwrap_or(params.method)
            {
                Method::Auto => match space {
                    Space::Dense { .. } => Method::Prototype,
                    Space::Tfidf { .. } => Method::Keywords,
                },
                m => m,
            };
            let dist: Vec<Option<Vec<f32>>> = match (method, space) {
                (Method::Prototype, Space::Tfidf { vectorizer, x }) => {
                    prototype_scores(d, texts.len(), vectorizer, x, params)
                }
                (
                    Method::Prototype,
                    Space::Dense {
                        paragraphs,
                        embedder,
                    },
                ) => dense_prototype_scores(d, *paragraphs, embedder, params)?,
                _ => {
                    let m = Matcher::new(d);
                    texts.iter().map(|t| m.distribution(t)).collect()
                }
            };
            out.push(decide(cb, d, method, dist, params));
            progress.inc(1);
        }
    }
    Ok(out)
}

fn softmax(sims: &[f64], temperature: f64) -> Vec<f32> {
    let max = sims.iter().cloned().fold(f64::MIN, f64::max);
    let exps: Vec<f64> = sims
        .iter()
        .map(|s| ((s - max) / temperature).exp())
        .collect();
    let z: f64 = exps.iter().sum();
    exps.iter().map(|e| (e / z) as f32).collect()
}

fn dense_prototype_scores(
    d: &DimensionSpec,
    paragraphs: ndarray::ArrayView2<'_, f32>,
    embedder: &crate::embed::transformer::Embedder,
    params: &LabelParams,
) -> Result<Vec<Option<Vec<f32>>>, crate::embed::transformer::TransformerError> {
    let mut protos: Vec<Vec<f32>> = Vec::with_capacity(d.label.len());
    for l in &d.label {
        let mut texts: Vec<&str> = vec![l.description.as_str()];
        texts.extend(
            l.examples
                .iter()
                .map(String::as_str)
                .filter(|e| !e.trim().is_empty()),
        );
        let (e, _) = embedder.embed(&texts)?;
        let mut v = vec![0f32; e.ncols()];
        for row in e.rows() {
            let n = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            for (a, b) in v.iter_mut().zip(row.iter()) {
                *a += b / n;
            }
        }
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        v.iter_mut().for_each(|x| *x /= n);
        protos.push(v);
    }
    Ok(paragraphs
        .rows()
        .into_iter()
        .map(|row| {
            let sims: Vec<f64> = protos
                .iter()
                .map(|p| row.iter().zip(p).map(|(a, b)| (a * b) as f64).sum())
                .collect();
            Some(softmax(&sims, params.temperature))
        })
        .collect())
}

fn decide(
    cb: &Codebook,
    d: &DimensionSpec,
    method: Method,
    dist: Vec<Option<Vec<f32>>>,
    params: &LabelParams,
) -> DimensionLabels {
    let k = d.label.len();
    let n = dist.len();
    let mut chosen = Vec::with_capacity(n);
    let mut score = Vec::with_capacity(n);
    let mut scores = vec![vec![0f32; n]; k];
    for (i, p) in dist.into_iter().enumerate() {
        let Some(p) = p else {
            chosen.push(None);
            score.push(0.0);
            continue;
        };
        for (l, &v) in p.iter().enumerate() {
            scores[l][i] = v;
        }
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| {
            p[b].partial_cmp(&p[a])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        let top = p[order[0]];
        let second = if k > 1 { p[order[1]] } else { 0.0 };
        let unsure = match method {
            Method::Prototype => {
                (top as f64) < params.min_prob || ((top - second) as f64) < params.min_margin
            }
            _ => top <= 0.0 || (k > 1 && top == second),
        };
        if d.kind == Kind::Multi {
            let on: Vec<&str> = (0..k)
                .filter(|&l| {
                    p[l] > 0.0 && (method != Method::Prototype || p[l] as f64 >= params.min_prob)
                })
                .map(|l| d.label[l].name.as_str())
                .collect();
            chosen.push((!on.is_empty()).then(|| on.join(";")));
            score.push(top);
        } else if unsure {
            chosen.push(None);
            score.push(0.0);
        } else {
            chosen.push(Some(d.label[order[0]].name.clone()));
            score.push(top);
        }
    }
    DimensionLabels {
        name: d.name.clone(),
        codebook: cb.codebook.name.clone(),
        method,
        kind: d.kind,
        labels: d.label.iter().map(|l| l.name.clone()).collect(),
        chosen,
        score,
        scores,
    }
}

fn l2_rows(m: &sprs::CsMat<f64>) -> Vec<Vec<(usize, f64)>> {
    m.outer_iterator()
        .map(|r| {
            let norm = r.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
            r.iter()
                .map(|(j, &v)| (j, if norm > 0.0 { v / norm } else { 0.0 }))
                .collect()
        })
        .collect()
}

fn prototype_scores(
    d: &DimensionSpec,
    n: usize,
    space: &FittedTfidf,
    x: &sprs::CsMat<f64>,
    params: &LabelParams,
) -> Vec<Option<Vec<f32>>> {
    let dim = space.vocabulary().len();
    // Dense prototype per label: mean of normalised description + example vectors.
    let protos: Vec<Vec<f64>> = d
        .label
        .iter()
        .map(|l| {
            let mut texts: Vec<&str> = vec![l.description.as_str()];
            texts.extend(l.examples.iter().map(String::as_str));
            let rows = l2_rows(&space.transform(&texts));
            let mut v = vec![0f64; dim];
            for r in &rows {
                for &(j, x) in r {
                    v[j] += x;
                }
            }
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
            v
        })
        .collect();
    l2_rows(x)
        .into_iter()
        .take(n)
        .map(|row| {
            if row.is_empty() {
                return None;
            }
            let sims: Vec<f64> = protos
                .iter()
                .map(|p| row.iter().map(|&(j, v)| v * p[j]).sum::<f64>())
                .collect();
            Some(softmax(&sims, params.temperature))
        })
        .collect()
}

/// Loads the classifiers of `[label] classifiers` (paths relative to `base`).
pub fn load_classifiers(
    params: &LabelParams,
    base: Option<&std::path::Path>,
) -> Result<Vec<(String, crate::classify::ModelFile)>, crate::classify::ModelFileError> {
    params
        .classifiers
        .iter()
        .map(|c| {
            let p = std::path::PathBuf::from(c);
            let p = match base {
                Some(b) if p.is_relative() && !p.exists() => b.join(&p),
                _ => p,
            };
            let name: String = p
                .file_stem()
                .map(|s| s.to_string_lossy().to_lowercase())
                .unwrap_or_else(|| "classifier".into())
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            crate::classify::ModelFile::load(&p).map(|m| (name, m))
        })
        .collect()
}

/// Labels paragraphs with a trained classifier: the dimension is named `name`; a
/// per-target model uses `target` for every paragraph.
pub fn classify_dimension(
    name: &str,
    model: &crate::classify::ModelFile,
    texts: &[&str],
    target: Option<&str>,
) -> Result<DimensionLabels, crate::classify::ClassifyError> {
    let targets: Vec<&str> = target.map(|t| vec![t; texts.len()]).unwrap_or_default();
    let p = model.predict(texts, target.map(|_| targets.as_slice()))?;
    let scores_m = p.probabilities.as_ref().unwrap_or(&p.scores);
    let k = p.classes.len();
    let scores: Vec<Vec<f32>> = (0..k)
        .map(|j| scores_m.column(j).iter().map(|&v| v as f32).collect())
        .collect();
    let chosen: Vec<Option<String>> = (0..texts.len())
        .map(|r| {
            let l = p.labels(r);
            (!l.is_empty()).then(|| l.join(";"))
        })
        .collect();
    let score: Vec<f32> = (0..texts.len())
        .map(|r| scores_m[[r, p.top[r]]] as f32)
        .collect();
    Ok(DimensionLabels {
        name: name.to_string(),
        codebook: format!("classifier:{name}"),
        method: Method::Auto,
        kind: if p.multi_label {
            Kind::Multi
        } else {
            Kind::Single
        },
        labels: p.classes.clone(),
        chosen,
        score,
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_must_be_positive() {
        let p = LabelParams {
            temperature: 0.0,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(LabelParamsError::Temperature(0.0)));
    }

    #[test]
    fn min_prob_in_range() {
        let p = LabelParams {
            min_prob: 1.5,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(LabelParamsError::MinProb(1.5)));
    }

    #[test]
    fn min_margin_in_range() {
        let p = LabelParams {
            min_margin: -0.1,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(LabelParamsError::MinMargin(-0.1)));
    }
}
