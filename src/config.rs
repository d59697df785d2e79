//! The pipeline configuration: a TOML file whose sections map onto each stage's params.
//!
//! ```toml
//! seed = 42
//!
//! [corpus]
//! text_col = "text"
//! unit = "paragraph"
//!
//! [segment]
//! max_heading_words = 12
//! ```
//!
//! Unknown keys and bad values are errors that name the key; every section is checked
//! before any work starts.

use crate::cluster::{ClusterParams, ClusterValidParams};
use crate::compare::{CompareParams, CompareValidParams};
use crate::corpus::CorpusParams;
use crate::embed::svd::{ReduceParams, ReduceValidParams};
use crate::embed::tfidf::TfidfValidParams;
use crate::embed::EmbedConfig;
use crate::framing::GroupParams;
use crate::segment::{SegmentParams, SegmentValidParams};
use crate::topics::{TopicsParams, TopicsValidParams};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole configuration. Defaults: `seed = 42`; see each section's params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seed of every random choice in the run.
    pub seed: u64,
    /// Corpus loading.
    pub corpus: CorpusParams,
    /// Paragraph segmentation.
    pub segment: SegmentParams,
    /// Paragraph vectors.
    pub embed: EmbedConfig,
    /// Dimensionality reduction before clustering (LSA of TF-IDF vectors).
    pub reduce: ReduceParams,
    /// Topic clustering.
    pub cluster: ClusterParams,
    /// Topic descriptions.
    pub topics: TopicsParams,
    /// How documents are grouped for comparison.
    pub groups: GroupParams,
    /// Statistics of the comparison (intervals, tests, keyness).
    pub compare: CompareParams,
    /// Codebook labelling.
    pub label: crate::label::LabelParams,
    /// Supervised classifiers (`rhetor train` / `evaluate`).
    pub classify: crate::classify::ClassifierParams,
    /// Output formats.
    pub output: OutputParams,
}

/// The `[output]` section. Default: `formats = ["parquet"]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputParams {
    /// Formats written for every table; Parquet is always written, `csv` and `json` (JSON
    /// Lines) are written beside it with the same columns.
    pub formats: Vec<crate::export::Format>,
}

impl Default for OutputParams {
    fn default() -> Self {
        OutputParams {
            formats: vec![crate::export::Format::Parquet],
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 42,
            corpus: CorpusParams::default(),
            segment: SegmentParams::default(),
            embed: EmbedConfig::default(),
            reduce: ReduceParams::default(),
            cluster: ClusterParams::default(),
            topics: TopicsParams::default(),
            groups: GroupParams::default(),
            compare: CompareParams::default(),
            label: crate::label::LabelParams::default(),
            classify: crate::classify::ClassifierParams::default(),
            output: OutputParams::default(),
        }
    }
}

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config '{path}'")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a value of the wrong type.
    #[error("config '{path}': {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the key and line).
        message: String,
    },
    /// A value is out of range.
    #[error("config: {0}")]
    Invalid(String),
}

/// A configuration whose every section has been checked.
#[derive(Clone, Debug)]
pub struct CheckedConfig {
    /// The configuration as given (resolved with defaults), for the manifest.
    pub config: Config,
    /// Checked segmentation params.
    pub segment: SegmentValidParams,
    /// Checked TF-IDF params.
    pub tfidf: TfidfValidParams,
    /// Checked reduction params.
    pub reduce: ReduceValidParams,
    /// Checked clustering params.
    pub cluster: ClusterValidParams,
    /// Checked topic params.
    pub topics: TopicsValidParams,
    /// Checked comparison params.
    pub compare: CompareValidParams,
    /// Loaded and validated codebooks.
    pub codebooks: Vec<crate::label::Codebook>,
    /// Loaded classifiers (dimension name, model).
    pub classifiers: Vec<(String, crate::classify::ModelFile)>,
}

impl Config {
    /// Parses a TOML string.
    pub fn from_toml(s: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(s).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let s = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&s, path)
    }

    /// Checks every section (codebook paths relative to the working directory).
    pub fn check(&self) -> Result<CheckedConfig, ConfigError> {
        self.check_in(None)
    }

    /// Checks every section and loads the codebooks, resolving relative codebook paths
    /// against `base` (the config file's folder).
    pub fn check_in(&self, base: Option<&Path>) -> Result<CheckedConfig, ConfigError> {
        let inv = |section: &str, e: &dyn std::fmt::Display| {
            ConfigError::Invalid(format!("[{section}] {e}"))
        };
        self.corpus.check().map_err(|e| inv("corpus", &e))?;
        let segment = self.segment.check().map_err(|e| inv("segment", &e))?;
        let tfidf = match &self.embed {
            EmbedConfig::Tfidf(p) => p.check().map_err(|e| inv("embed", &e))?,
            EmbedConfig::Transformer(t) => {
                t.check().map_err(|e| inv("embed", &e))?;
                // TF-IDF still serves topic terms and keyword/prototype fallbacks.
                crate::embed::clustering_tfidf_defaults()
                    .check()
                    .map_err(|e| inv("embed", &e))?
            }
        };
        let reduce = self.reduce.check().map_err(|e| inv("reduce", &e))?;
        let cluster = self.cluster.check().map_err(|e| inv("cluster", &e))?;
        let topics = self.topics.check().map_err(|e| inv("topics", &e))?;
        let compare = self.compare.check().map_err(|e| inv("compare", &e))?;
        if self.groups.max_pairwise < 2 {
            return Err(inv(
                "groups",
                &format!(
                    "max_pairwise must be at least 2 (max_pairwise = {})",
                    self.groups.max_pairwise
                ),
            ));
        }
        if self.groups.max_in_report < 1 {
            return Err(inv(
                "groups",
                &"max_in_report must be at least 1 (max_in_report = 0)".to_string(),
            ));
        }
        self.label.check().map_err(|e| inv("label", &e))?;
        let codebooks = crate::label::load_codebooks(&self.label, base)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        self.label
            .check_methods(&codebooks)
            .map_err(|e| inv("label", &e))?;
        let classifiers = crate::label::load_classifiers(&self.label, base)
            .map_err(|e| ConfigError::Invalid(format!("[label] classifiers: {e}")))?;
        Ok(CheckedConfig {
            config: self.clone(),
            codebooks,
            classifiers,
            segment,
            tfidf,
            reduce,
            cluster,
            topics,
            compare,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_named() {
        let e = Config::from_toml("[segment]\nmax_heading_wrds = 3\n", Path::new("x.toml"))
            .unwrap_err();
        assert!(e.to_string().contains("max_heading_wrds"), "{e}");
    }

    #[test]
    fn bad_value_is_named() {
        let e =
            Config::from_toml("[corpus]\nunit = \"sentence\"\n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("sentence"), "{e}");
    }

    #[test]
    fn empty_config_is_default() {
        assert_eq!(
            Config::from_toml("", Path::new("x.toml")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn embed_keys_override_defaults_one_by_one() {
        let c = Config::from_toml(
            "[embed]\ntype = \"tfidf\"\nmin_df = 1\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let EmbedConfig::Tfidf(p) = &c.embed else {
            panic!("expected tfidf")
        };
        assert_eq!(p.min_df, crate::embed::tfidf::DfBound::Count(1));
        assert!(p.sublinear_tf, "other keys keep rhetor's defaults");
    }

    #[test]
    fn embed_transformer_section() {
        let c = Config::from_toml(
            "[embed]\ntype = \"transformer\"\nbatch_size = 8\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let EmbedConfig::Transformer(t) = &c.embed else {
            panic!("expected transformer")
        };
        assert_eq!(t.batch_size, 8);
        let e = Config::from_toml("[embed]\ntype = \"bert\"\n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("bert"));
    }

    #[test]
    fn embed_unknown_key_is_named() {
        let e = Config::from_toml("[embed]\nmin_dff = 1\n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("min_dff"), "{e}");
    }

    #[test]
    fn negative_max_df_is_an_error_naming_it() {
        let r = Config::from_toml("[embed]\nmax_df = -0.5\n", Path::new("x.toml"))
            .map_err(|e| e.to_string())
            .and_then(|c| c.check().map(|_| ()).map_err(|e| e.to_string()));
        assert!(r.unwrap_err().contains("max_df"));
    }

    #[test]
    fn k_zero_is_an_error_naming_it() {
        let c = Config::from_toml("[cluster]\nk = 0\n", Path::new("x.toml")).unwrap();
        assert!(c.check().unwrap_err().to_string().contains("k"));
    }

    #[test]
    fn label_methods_key_must_name_a_codebook_dimension() {
        let c = Config::from_toml(
            "[label]\ncodebooks = [\"stance\"]\ntarget = \"x\"\n[label.methods]\nnonexistent_dim = \"prototype\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let e = c.check().unwrap_err().to_string();
        assert!(e.contains("'nonexistent_dim' is not a dimension"), "{e}");
        assert!(e.contains("their dimensions are: stance"), "{e}");
        // The real dimension name is accepted.
        let c = Config::from_toml(
            "[label]\ncodebooks = [\"stance\"]\ntarget = \"x\"\n[label.methods]\nstance = \"prototype\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        c.check().unwrap();
        // Without any codebook, the key has nothing to apply to.
        let c = Config::from_toml(
            "[label.methods]\nstance = \"keywords\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let e = c.check().unwrap_err().to_string();
        assert!(e.contains("no codebook is configured"), "{e}");
    }

    #[test]
    fn out_of_range_value_is_an_error() {
        let c =
            Config::from_toml("[segment]\nmax_heading_words = 0\n", Path::new("x.toml")).unwrap();
        assert!(c
            .check()
            .unwrap_err()
            .to_string()
            .contains("max_heading_words"));
    }
}
