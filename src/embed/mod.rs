//! Paragraph vectors: TF-IDF (sparse, scikit-learn-compatible) and dimensionality reduction
//! (LSA) for clustering.

pub mod lsa;
pub mod tfidf;
pub mod transformer;

use serde::{Deserialize, Serialize};
use tfidf::{DfBound, StopWords, TfidfParams};

/// Which embedder a run uses (the `[embed]` section, tagged by `type`).
///
/// ```toml
/// [embed]
/// type = "tfidf"
/// min_df = 2
/// max_df = 0.5
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EmbedConfig {
    /// Sparse TF-IDF vectors, reduced with LSA before clustering. Keys not given take
    /// [`clustering_tfidf_defaults`].
    Tfidf(TfidfParams),
    /// Sentence-transformer embeddings (candle, CPU), clustered directly (no LSA).
    Transformer(transformer::TransformerParams),
}

/// rhetor's TF-IDF defaults for clustering paragraphs (those of the usual scikit-learn
/// LSA + k-means recipe): `min_df = 2`, `max_df = 0.5`, English stop words,
/// `sublinear_tf = true`; everything else as scikit-learn's `TfidfVectorizer`.
pub fn clustering_tfidf_defaults() -> TfidfParams {
    TfidfParams {
        min_df: DfBound::Count(2),
        max_df: DfBound::Fraction(0.5),
        stop_words: Some(StopWords::English),
        sublinear_tf: true,
        ..TfidfParams::default()
    }
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig::Tfidf(clustering_tfidf_defaults())
    }
}

impl<'de> Deserialize<'de> for EmbedConfig {
    /// Keys the user gives override rhetor's defaults key by key; unknown keys are errors.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        // A JSON map, so that the section reads from TOML (config files) and from JSON (the
        // configuration recorded in a bundle, where unset keys are null) alike.
        let mut table = serde_json::Map::deserialize(d)?;
        let kind = match table.remove("type") {
            None => "tfidf".to_string(),
            Some(serde_json::Value::String(s)) => s,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "embed.type must be a string such as \"tfidf\" (type = {other})"
                )))
            }
        };
        match kind.as_str() {
            "tfidf" => {
                let mut merged = match serde_json::to_value(clustering_tfidf_defaults()) {
                    Ok(serde_json::Value::Object(m)) => m,
                    _ => return Err(D::Error::custom("cannot encode the TF-IDF defaults")),
                };
                merged.extend(table);
                let p = TfidfParams::deserialize(serde_json::Value::Object(merged))
                    .map_err(|e| D::Error::custom(format!("in [embed]: {e}")))?;
                Ok(EmbedConfig::Tfidf(p))
            }
            "transformer" => {
                transformer::TransformerParams::deserialize(serde_json::Value::Object(table))
                    .map(EmbedConfig::Transformer)
                    .map_err(|e| D::Error::custom(format!("in [embed]: {e}")))
            }
            other => Err(D::Error::custom(format!(
                "unknown embed.type \"{other}\": expected \"tfidf\" or \"transformer\""
            ))),
        }
    }
}
