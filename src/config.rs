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
use crate::compare::GroupParams;
use crate::compare::{CompareParams, CompareValidParams};
use crate::corpus::CorpusParams;
use crate::embed::lsa::{ReduceParams, ReduceValidParams};
use crate::embed::tfidf::TfidfValidParams;
use crate::embed::EmbedConfig;
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
    /// Shares over time (`time_labels.parquet`).
    pub time: crate::compare::time::TimeParams,
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
            time: crate::compare::time::TimeParams::default(),
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
        let topics = topics
            .with_codebook_seeds(&codebooks)
            .map_err(|e| inv("topics", &e))?;
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

/// What every configuration key means: `(path, description)`, where `path` is the section
/// and key as written in the TOML file (`section.key`; a section alone describes the
/// section). `docs/config.md` is generated from this table and from the defaults of
/// [`Config`] ([`reference_markdown`]); a test fails when a key the code accepts has no entry
/// here, or an entry names a key the code does not accept. Defaults are not repeated here:
/// the reference prints them from [`Config::default`].
pub const CONFIG_DOCS: &[(&str, &str)] = &[
    ("seed", "Seed of every random choice in the run (sampling, k-means, bootstrap, permutations). `--seed` overrides it."),
    // [corpus]
    ("corpus", "How the corpus is read. Flags `--text-col`, `--id-col`, `--doc-col` and `--unit` override these keys."),
    ("corpus.text_col", "Text column of a tabular corpus (JSONL, CSV, Parquet); not set = `text`."),
    ("corpus.id_col", "Id column of a tabular corpus; not set = `id` when that column exists, else the 0-based row number."),
    ("corpus.doc_col", "Rows sharing a value of this column are the paragraphs of one document, in row order, not re-segmented (tabular corpora only); not set = each row is a document."),
    ("corpus.unit", "Analysis unit: `\"paragraph\"` (documents are split into paragraphs) or `\"document\"` (each document or row is one unit, unsegmented)."),
    ("corpus.max_file_bytes", "Text files (in a folder, or given alone) larger than this many bytes are skipped and reported instead of read; the read also stops there if a file grows while it is read. Does not apply to JSONL, CSV or Parquet tables (at least 1)."),
    ("corpus.separator", "Field separator of CSV corpora, one ASCII character other than a quote or a line break (e.g. `\";\"` or `\"\\t\"`). CSV cells are read as text: the text, id and `doc_col` columns stay text, and a metadata column becomes a number (or true/false) only when every value reads back exactly as written, so `007` and `02134` keep their spelling."),
    // [segment]
    ("segment", "Paragraph segmentation (the algorithm is described in `src/segment/mod.rs`)."),
    ("segment.max_heading_words", "A line without final punctuation and at most this many words is a heading: it becomes the `section` of the paragraphs that follow (at least 1)."),
    ("segment.max_title_words", "A title-cased line without final punctuation and at most this many words is a heading too (at least `max_heading_words`)."),
    ("segment.wrap_width", "Blocks whose lines are all at most this many characters are hard-wrapped text and their lines are joined; longer lines mean one paragraph per line (at least 20)."),
    ("segment.drop_boilerplate", "Drop link lists and share/subscribe footers, and count them in the manifest."),
    // [embed], TF-IDF
    ("embed", "Paragraph vectors. `type` chooses the embedder; keys not given take the defaults of that type (the TF-IDF defaults are rhetor's clustering defaults, not scikit-learn's). `--embed`, `--model`, `--precision` and `--no-cache` override these keys."),
    ("embed.type", "`\"tfidf\"`: sparse TF-IDF vectors (scikit-learn's `TfidfVectorizer` semantics), reduced with LSA (`[reduce]`) before clustering; `\"transformer\"`: sentence-transformer embeddings, clustered directly."),
    ("embed.analyzer", "Feature kind: `\"word\"` (word n-grams), `\"char_wb\"` (character n-grams inside word boundaries) or `\"char\"` (character n-grams over the whole text)."),
    ("embed.ngram_range", "Smallest and largest n-gram length, inclusive: `[min, max]` with `1 <= min <= max`."),
    ("embed.lowercase", "Lowercase the texts before tokenising."),
    ("embed.stop_words", "Stop words removed before n-grams are built (word analyzer only): `\"english\"` (scikit-learn's list) or a list of lowercase words; not set = none."),
    ("embed.min_df", "Drop terms found in fewer texts (paragraphs, or rows for classifiers) than this: an integer is a count, a float a fraction of the texts."),
    ("embed.max_df", "Drop terms found in more texts than this: an integer is a count, a float a fraction of the texts."),
    ("embed.max_features", "Keep only this many terms, the most frequent over the corpus; not set = no limit."),
    ("embed.sublinear_tf", "Use `1 + ln(tf)` instead of the raw term count."),
    ("embed.smooth_idf", "Smooth idf as if one extra document held every term once: `ln((1 + n) / (1 + df)) + 1`."),
    ("embed.use_idf", "Weight terms by inverse document frequency."),
    ("embed.norm", "Row normalisation: `\"l2\"`, `\"l1\"` or `\"none\"`."),
    // [embed], transformer
    ("embed.model", "A model name in the models directory (`rhetor model list`; `RHETOR_MODELS` moves the directory) or a path to any local sentence-transformers folder (BERT architecture)."),
    ("embed.batch_size", "Sequences per forward pass (at least 1). Vectors of the native engine do not depend on it."),
    ("embed.max_length", "Maximum tokens per sequence, special tokens included (at least 4, at most the model's `max_position_embeddings`); not set = the folder's `max_seq_length`."),
    ("embed.long", "Texts longer than `max_length`: `\"truncate\"` keeps the first tokens (as sentence-transformers); `\"window_mean\"` averages the vectors of overlapping windows."),
    ("embed.threads", "Threads of the encoder (at least 1); not set = all cores (`RAYON_NUM_THREADS`). The native engine's vectors do not depend on it."),
    ("embed.precision", "`\"f32\"`, or `\"bf16\"`, the fast mode: matrix products in a 16-bit format: bfloat16 (AVX512-BF16) where it measures at least 1.25× faster than f32 on this CPU (AMD Zen 4/5), else fp16 (AVX512-FP16, Intel Sapphire Rapids and later); f32 with a warning where the CPU has neither. `manifest.json` records the kernel that ran (`stages.embed.kernel`, e.g. `avx512-fp16`) and the CPU (`stages.embed.cpu`)."),
    ("embed.engine", "`\"native\"`: rhetor's own encoder; `\"candle\"`: candle's `BertModel`, the f32 reference implementation, only in a rhetor built with `--features candle`."),
    ("embed.cache", "Keep computed vectors in an on-disk cache keyed by the model files, these settings and each text, and reuse them on later runs (`--no-cache` turns it off for one run)."),
    ("embed.cache_dir", "Folder of the embedding cache; not set = `cache/` in the models directory."),
    // [reduce]
    ("reduce", "LSA of the TF-IDF vectors before clustering (randomized truncated SVD, as scikit-learn's `TruncatedSVD`), then l2 normalisation. Not used with transformer embeddings."),
    ("reduce.n_components", "Number of LSA dimensions kept (at least 1; capped by the number of paragraphs and terms)."),
    ("reduce.n_iter", "Power iterations of the randomized SVD."),
    ("reduce.n_oversamples", "Extra random directions sampled beyond `n_components`, for accuracy."),
    // [cluster]
    ("cluster", "k-means topics (k-means++ init, Lloyd iterations), seeded. `--k` overrides `k`, `--stability` `stability_runs`."),
    ("cluster.k", "Number of topics (at least 1); not set = chosen automatically in `k_min..=k_max` (capped at √(n/2) paragraphs) by the highest mean silhouette."),
    ("cluster.k_min", "Smallest number of topics tried by the automatic choice (at least 2)."),
    ("cluster.k_max", "Largest number of topics tried by the automatic choice (at least `k_min`)."),
    ("cluster.n_init", "k-means++ restarts; the one with the lowest inertia is kept (at least 1)."),
    ("cluster.max_iter", "Maximum Lloyd iterations per restart (at least 1)."),
    ("cluster.tol", "Convergence tolerance on the summed squared centroid shift, relative to the mean per-column variance of the data (as scikit-learn; finite, at least 0)."),
    ("cluster.silhouette_sample", "Largest number of paragraphs (a seeded random sample) on which each candidate k's silhouette is computed; cost grows with its square (at least 2)."),
    ("cluster.stability_runs", "Re-fits per k for the topics' stability (also `--stability N`; 0 = not measured): each has its own seed (derived from `seed`) and a random `stability_sample` of the paragraphs, and is matched to the run's topics by the Hungarian algorithm on the Jaccard overlap of their members. A topic's stability (topics.stability) is its mean overlap with its matched topics; the stability of k, the mean over its topics, is computed for every k tried (manifest `stages.cluster.stability_by_k`, the report's curve). Costs `stability_runs` k-means fits per k (Greene, O'Callaghan & Cunningham 2014)."),
    ("cluster.stability_sample", "Fraction of the paragraphs each stability re-fit sees, in `(0, 1]` (Greene et al. use 0.8; 1.0 changes only the seed)."),
    ("cluster.choose_k", "Criterion of the automatic k: `\"silhouette\"` (the highest mean silhouette) or `\"stability\"` (the highest stability; needs `stability_runs` of at least 2). Either warns when the chosen k is `k_max` and the criterion still rises there."),
    // [topics]
    ("topics", "Topic descriptions: class-based TF-IDF terms (as BERTopic), a label, representative paragraphs."),
    ("topics.top_n", "Terms listed per topic (at least 1)."),
    ("topics.label_terms", "Top terms joined into the topic label (between 1 and `top_n`)."),
    ("topics.representatives", "Representative paragraphs per topic, those closest to the centroid (at least 1)."),
    ("topics.ngram_max", "Longest n-gram among topic terms."),
    ("topics.seeds", "Guided topics (as BERTopic's seed_topic_list, keyATM's keyword topics): a table `{ \"border security\" = [\"border\", \"wall\", \"patrol*\"], … }`. Each topic's words (lowercase match; a trailing `*` matches any ending; several words a phrase) select the paragraphs holding any of them; their mean embedding is one of the first k-means centres of every restart (the others are drawn by k-means++), and the topic that grows from it is labelled with the name (`topics.label_from = \"seed\"`). k must be at least the number of seeds; a seed matching no paragraph is an error. Empty = no guided topics."),
    ("topics.seed_dimension", "Guided topics from a codebook: the name of a dimension of `[label] codebooks` (e.g. `\"frame\"` of `policy_frames`); each of its labels with keywords seeds a topic named after the label, its keywords as seed words (a `seeds` entry of the same name wins). Not set = none."),
    ("topics.names", "Topic labels after fitting, by fitted topic id: `{ 3 = \"border security\" }` (`label_from = \"names\"`); the report, the tables and a bundle of `rhetor fit` use them. Ids are those of the fit with these settings and seed (topics.parquet of a run without `names` and `merge`)."),
    ("topics.merge", "Topics merged after fitting: lists of fitted topic ids, e.g. `[[1, 4]]`; each list becomes one topic whose centroid is the mean of its members (what `apply` assigns new paragraphs to), its terms recomputed, and topics renumbered by size (0 = largest; manifest `stages.cluster.merged` gives the fitted ids of each). A merged topic's stability is not measured (null)."),
    // [groups]
    ("groups", "How documents are grouped for the comparison. `--group-by` overrides `by`."),
    ("groups.by", "Metadata column whose values are the groups (e.g. `party`); not set = each document is its own group."),
    ("groups.max_in_report", "With more groups than this, the report summarises: it shows the groups with a significant finding first, then the largest, and says how to use `--group-by`; report.json holds only what the report shows, and the Parquet tables keep every group (at least 1)."),
    ("groups.max_pairwise", "Pairwise divergence tests are run only up to this many groups (pairs grow quadratically); above it shares and keyness are still written and a warning says why the divergence table is empty (at least 2)."),
    // [compare]
    ("compare", "Statistics of the comparison: share intervals, divergence tests, distinctive terms."),
    ("compare.n_boot", "Bootstrap resamples of documents per group for share intervals (at least 100)."),
    ("compare.n_perm", "Permutations per divergence test (at least 100); the smallest possible p-value is `1 / (1 + n_perm)`."),
    ("compare.alpha", "Intervals have level `1 - alpha`; an adjusted p-value below `alpha` is flagged significant (in `(0, 0.5]`)."),
    ("compare.adjust", "Multiple-testing adjustment over the whole divergence table: `\"benjamini_hochberg\"` (also `\"bh\"`; false discovery rate) or `\"holm\"` (family-wise error rate)."),
    ("compare.keyness_prior", "α0, the total weight of the informative Dirichlet prior of the log-odds distinctive terms (Monroe, Colaresi & Quinn 2008; finite, > 0)."),
    ("compare.top_terms", "Distinctive terms kept per group (at least 1)."),
    // [time]
    ("time", "Label and topic shares per period (`time_labels.parquet`, a chart per dimension in the report), per group × period with `--group-by`, with the intervals of `doc_labels`, a permutation test of the change between consecutive periods and one of a monotone trend (Spearman's ρ of a document's period and its share), adjusted per dimension like the divergence tests. `--time-col` and `--period` override these keys."),
    ("time.col", "The document column holding each document's time: `date` (the `date YYYY-MM-DD` line, front matter `date:`, or a table's `date` column) or any metadata column (e.g. `year`). Values are calendar days `YYYY-MM-DD` (a time of day after it is ignored), year-months `YYYY-MM` or years `YYYY`; other values, and values coarser than the period (a year with monthly periods), are counted and reported, never guessed. Not set = no time analysis."),
    ("time.period", "Period length: `\"day\"`, `\"week\"` (ISO weeks, Monday to Sunday), `\"month\"`, `\"quarter\"` or `\"year\"`."),
    // [label]
    ("label", "Labelling paragraphs with codebook dimensions (stance, frames) and trained classifiers. `--codebook` and `--target` override `codebooks` and `target`."),
    ("label.codebooks", "Codebook files or shipped names (`policy_frames`, `collective_action`, `stance`); relative paths are resolved against the config file's folder. Empty = no codebook labels."),
    ("label.method", "Method of every dimension: `\"keywords\"` (dictionary matches), `\"prototype\"` (similarity to each label's description and examples), or `\"auto\"` (prototype with transformer embeddings, else keywords)."),
    ("label.methods", "Method per dimension, overriding `method`: a table such as `{ frame = \"prototype\" }`."),
    ("label.target", "The stance target that replaces `{target}` in codebooks (e.g. `\"the border wall\"`); not set: a codebook that needs one (the shipped `stance`) is refused with a message asking for it."),
    ("label.temperature", "Prototype method: softmax temperature of the similarities (> 0)."),
    ("label.min_prob", "Prototype method: a paragraph whose top label probability is below this is unsure, gets no label and is left out of shares (in `[0, 1]`)."),
    ("label.min_margin", "Prototype method: a paragraph whose top two label probabilities differ by less than this is unsure (in `[0, 1]`)."),
    ("label.classifiers", "Classifier model files from `rhetor train`; each adds a dimension named after the file (stem), with the classifier's labels and scores."),
    // [classify]
    ("classify", "Supervised classifiers of `rhetor train` and `rhetor evaluate` (`--config`); their flags override these keys."),
    ("classify.model", "`\"linear_svm\"` (L2-regularised squared hinge, LIBLINEAR's dual coordinate descent), `\"logistic_regression\"`, or `\"stack\"` (also `--model stack`): a TF-IDF linear SVM, a logistic regression on the sentence embedding and a naive-Bayes-weighted TF-IDF logistic regression, combined by a logistic-regression meta model trained on their inner out-of-fold decision values (see `[classify.stack]`; needs `[classify.transformer]` for the embedding view; single-label only; the model file is `format_version` 2)."),
    ("classify.c", "Inverse regularisation strength C (finite, > 0); the key `C` is accepted too. With `model = \"stack\"`: the C of the TF-IDF SVM view."),
    ("classify.tol", "Stopping tolerance of the dual coordinate descent (finite, > 0), LIBLINEAR's criteria."),
    ("classify.max_iter", "Maximum passes over the data per sub-problem (at least 1)."),
    ("classify.fit_intercept", "Learn an intercept, as LIBLINEAR: an appended constant feature whose weight is regularised like the others."),
    ("classify.intercept_scaling", "Value of the appended constant feature (finite, > 0)."),
    ("classify.class_weight", "`\"none\"` (every example weighs 1) or `\"balanced\"` (`n / (k · n_class)`, as scikit-learn)."),
    ("classify.shrinking", "Shrink the active set of the SVM solver, as LIBLINEAR always does (no effect on logistic regression)."),
    ("classify.seed", "Seed of the random coordinate order of the solver."),
    ("classify.hashtags", "How the word and character n-grams see hashtags (also `--hashtags`): `\"keep\"` (as written), `\"split\"` (`#CamelCaseTag` → `Camel Case Tag`, `#HTMLParser2020` → `HTML Parser 2020`: runs of capitals, capitalised or lowercase words and digits) or `\"tag_and_split\"` (→ `HT_CamelCaseTag Camel Case Tag`: a token of the whole tag plus its words). The sentence embedding sees the original text. Not set: `\"tag_and_split\"` with `model = \"stack\"` (in 5-fold CV on the train splits it changed the stack's F_avg on P-Stance by −0.01, +0.49 and +0.11 with three fold seeds and on SemEval-2016 by +0.65; GWSD has no hashtags), `\"keep\"` otherwise. The model file records it (a stack's always, another model's only when not `\"keep\"`, so their files are unchanged) and `predict` applies the same rewrite."),
    ("classify.features", "Feature blocks, each a TF-IDF vectorizer with the keys of `[embed]` (TF-IDF type), stacked side by side; a block not given takes its defaults."),
    ("classify.features.word", "Word n-gram block (analyzer `\"word\"`)."),
    ("classify.features.char", "Character n-gram block (analyzer `\"char\"` or `\"char_wb\"`)."),
    ("classify.transformer", "Sentence-embedding features (not set by default; the section turns them on, as `--features tfidf+transformer`): each text's L2-normalised vector from the native encoder (f32, cached in `models/cache`), appended to the TF-IDF blocks. Without `[classify.features]` blocks wanted, use `--features transformer`. The model file records the model's files by sha256; `predict` and `run --classifier` refuse another model."),
    ("classify.transformer.model", "The sentence-transformer: a name in the models directory (`rhetor model fetch NAME`) or a path to a sentence-transformers folder (also `--transformer-model`)."),
    ("classify.transformer.weight", "Factor on the embedding (finite, > 0; also `--transformer-weight`). Each TF-IDF block has norm 1 per row, so the weight sets the embedding's share of the squared norm. 5-fold CV on the train splits picked 1 (SemEval-2016) to 2 (GWSD); P-Stance did best at 0.3."),
    ("classify.stack", "Parameters of `model = \"stack\"` (not set by default, which means the defaults below; only with `model = \"stack\"`). The TF-IDF blocks are fitted once on the training rows; stratified inner folds (seeded by `seed`) give every training row out-of-fold decision values of each view (one column for two classes, one per class otherwise); the meta model learns from them; then each view is refitted on all rows. The views use the classifier's `tol`, `max_iter`, intercept, `class_weight` and `seed`. The defaults are the recipe of a scikit-learn study on the P-Stance train split; in rhetor's 5-fold CV on the train splits (MiniLM embeddings) with the stack's default `hashtags = \"tag_and_split\"` they gain over the TF-IDF SVM +2.06 F_avg on P-Stance (78.30 vs 76.24; +2.39 and +1.82 with fold seeds 1 and 2), +6.58 on SemEval-2016 (74.44 vs 67.86) and +3.09 macro-F1 on GWSD (62.54 vs 59.45); no variant tried (other views, meta C 0.1 or 10, 3 inner folds) did better."),
    ("classify.stack.views", "The views, in the meta model's column order: `\"tfidf_svm\"` (linear SVM on the TF-IDF blocks, C = `c`), `\"embedding_lr\"` (logistic regression on the `[classify.transformer]` embedding times its weight, C = `embedding_c`) and `\"nb_lr\"` (logistic regression on TF-IDF whose columns are scaled by the NB log-count ratio |r| of the binarised training features, Wang & Manning 2012, rows L2-normalised again; with more than two classes a column's weight is the largest class-vs-rest |r|). At least one, none twice."),
    ("classify.stack.folds", "Inner stratified folds of the meta model's training scores (at least 2; every class needs as many rows)."),
    ("classify.stack.meta_c", "C of the logistic-regression meta model (finite, > 0)."),
    ("classify.stack.embedding_c", "C of the `\"embedding_lr\"` view (finite, > 0)."),
    ("classify.stack.nb_c", "C of the `\"nb_lr\"` view (finite, > 0)."),
    ("classify.stack.nb_alpha", "Smoothing α of the NB log-count ratio (finite, > 0)."),
    // [output]
    ("output", "What is written beside the Parquet tables."),
    ("output.formats", "Formats written for every table: Parquet always, plus `\"csv\"` and/or `\"json\"` (JSON Lines) with the same columns (also `--format`)."),
];

/// Key prefixes whose keys take the description of another key: the feature blocks of
/// `[classify]` are TF-IDF vectorizers with the keys of `[embed]`.
const SAME_AS: &[(&str, &str)] = &[
    ("classify.features.word.", "embed."),
    ("classify.features.char.", "embed."),
];

/// The description of `path` in [`CONFIG_DOCS`] (directly or through [`SAME_AS`]).
fn describe(path: &str) -> Option<&'static str> {
    let find = |p: &str| CONFIG_DOCS.iter().find(|(k, _)| *k == p).map(|(_, d)| *d);
    find(path).or_else(|| {
        SAME_AS.iter().find_map(|(prefix, to)| {
            path.strip_prefix(prefix)
                .and_then(|rest| find(&format!("{to}{rest}")))
        })
    })
}

/// Keys that are not serialised when not set (`Option`s whose absence means a default that
/// depends on another key): `classify.hashtags`, which depends on `classify.model`.
const UNSET_KEYS: &[&str] = &["classify.hashtags"];

/// The example configurations whose keys the reference lists: the defaults (TF-IDF
/// embeddings) and the defaults with transformer embeddings.
fn reference_configs() -> [Config; 3] {
    [
        Config::default(),
        Config {
            embed: EmbedConfig::Transformer(Default::default()),
            ..Config::default()
        },
        Config {
            classify: crate::classify::ClassifierParams {
                transformer: Some(Default::default()),
                // Documents the [classify.stack] keys (only with model = "stack").
                model: crate::classify::ModelKind::Stack,
                stack: Some(Default::default()),
                ..Default::default()
            },
            ..Config::default()
        },
    ]
}

/// One key or section of the configuration: its path, whether it is a section (a table of
/// keys), and its default (TOML, inline), `None` when the key is not set by default.
#[derive(Debug)]
struct Entry {
    path: String,
    section: bool,
    default: Option<String>,
}

/// Position of `path` in [`CONFIG_DOCS`] (through [`SAME_AS`] for the feature blocks):
/// the reference lists sections and keys in that order, whatever order serde maps keep.
fn doc_index(path: &str) -> usize {
    let find = |p: &str| CONFIG_DOCS.iter().position(|(k, _)| *k == p);
    find(path)
        .or_else(|| {
            SAME_AS.iter().find_map(|(prefix, to)| {
                path.strip_prefix(prefix)
                    .and_then(|rest| find(&format!("{to}{rest}")))
            })
        })
        .unwrap_or(usize::MAX)
}

/// Every section and key of `config`, in [`CONFIG_DOCS`] order (then by name). Keys whose
/// default is not set (`None`) are found through the JSON serialization, which keeps them as
/// `null`; the defaults are printed in TOML.
fn entries(config: &Config) -> Vec<Entry> {
    fn walk(
        prefix: &str,
        json: &serde_json::Value,
        toml: Option<&toml::Value>,
        out: &mut Vec<Entry>,
    ) {
        let serde_json::Value::Object(map) = json else {
            return;
        };
        for (key, value) in map {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            let t = toml.and_then(|t| t.get(key));
            match value {
                serde_json::Value::Object(m) if !m.is_empty() => {
                    out.push(Entry {
                        path: path.clone(),
                        section: true,
                        default: None,
                    });
                    walk(&path, value, t, out);
                }
                _ => out.push(Entry {
                    path,
                    section: false,
                    default: t.map(inline_toml),
                }),
            }
        }
    }
    let json = serde_json::to_value(config).unwrap_or_default();
    let toml = toml::Value::try_from(config).ok();
    let mut out = Vec::new();
    walk("", &json, toml.as_ref(), &mut out);
    for path in UNSET_KEYS {
        if !out.iter().any(|e| e.path == *path) {
            out.push(Entry {
                path: (*path).to_string(),
                section: false,
                default: None,
            });
        }
    }
    out.sort_by(|a, b| (doc_index(&a.path), &a.path).cmp(&(doc_index(&b.path), &b.path)));
    out
}

/// A TOML value on one line (tables inline).
fn inline_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::Array(a) => format!(
            "[{}]",
            a.iter().map(inline_toml).collect::<Vec<_>>().join(", ")
        ),
        toml::Value::Table(t) if t.is_empty() => "{}".to_string(),
        toml::Value::Table(t) => format!(
            "{{ {} }}",
            t.iter()
                .map(|(k, v)| format!("{k} = {}", inline_toml(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Keys and sections of the configuration (every variant of `[embed]`) that have no entry in
/// [`CONFIG_DOCS`], and entries of [`CONFIG_DOCS`] that are no key of the configuration.
/// Both are empty when the documentation matches the code.
pub fn undocumented_and_unknown_keys() -> (Vec<String>, Vec<String>) {
    let mut keys = std::collections::BTreeSet::new();
    for c in reference_configs() {
        keys.extend(entries(&c).into_iter().map(|e| e.path));
    }
    let undocumented = keys
        .iter()
        .filter(|k| describe(k).is_none())
        .cloned()
        .collect();
    let unknown = CONFIG_DOCS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !keys.contains(*k))
        .map(str::to_string)
        .collect();
    (undocumented, unknown)
}

/// The configuration reference as Markdown (`docs/config.md`): every section and key the
/// code accepts, with its default (from [`Config::default`]) and its meaning (from
/// [`CONFIG_DOCS`]), then the defaults as one file.
pub fn reference_markdown() -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Configuration reference\n\n\
         <!-- Generated from src/config.rs (CONFIG_DOCS and the defaults of Config); a test fails \
         when they differ. Regenerate: `RHETOR_UPDATE_DOCS=1 cargo test --lib config::tests::docs_config_md`. -->\n\n\
         `rhetor run` and the stage commands read a TOML file given with `--config FILE`, or else\n\
         `rhetor.toml` inside the corpus folder when there is one (the demo's is\n\
         `corpus/rhetor.toml`). Every key is optional: a key not given takes the default below.\n\
         Unknown keys and bad values are errors that name the key, and the whole file (with every\n\
         codebook) is checked before any work starts. Flags override the file (`rhetor run --help`).\n\
         `rhetor train` and `rhetor evaluate` read only `[classify]`.\n\n\
         *not set* means the key has no default value; the meaning says what happens then.\n"
    );
    let [tfidf, transformer, with_embedding_features] = reference_configs();
    // The default configuration, plus the sections only an optional block has
    // ([classify.transformer]), in CONFIG_DOCS order.
    let mut tf = entries(&tfidf);
    for e in entries(&with_embedding_features) {
        if !tf.iter().any(|x| x.path == e.path) {
            tf.push(e);
        }
    }
    tf.sort_by_key(|e| doc_index(&e.path));
    let tr = entries(&transformer);
    let row = |s: &mut String, e: &Entry, key: &str| {
        let default = match &e.default {
            Some(d) => format!("`{d}`"),
            None => "*not set*".to_string(),
        };
        let _ = writeln!(
            s,
            "| `{key}` | {default} | {} |",
            describe(&e.path).unwrap_or("").replace('|', "\\|")
        );
    };
    let header = "| key | default | meaning |\n|---|---|---|";
    // Top-level keys first.
    let _ = writeln!(s, "## Top level\n\n{header}");
    for e in tf.iter().filter(|e| !e.section && !e.path.contains('.')) {
        row(&mut s, e, &e.path);
    }
    let sections: Vec<&Entry> = tf.iter().filter(|e| e.section).collect();
    for sec in sections {
        let prefix = format!("{}.", sec.path);
        let direct = |e: &&Entry| {
            e.path
                .strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('.'))
        };
        let keys: Vec<&Entry> = tf.iter().filter(|e| direct(e) && !e.section).collect();
        let subsections = tf.iter().filter(|e| direct(e) && e.section).count();
        if keys.is_empty() && subsections > 0 {
            // A section of sections ([classify.features]): described, its tables follow.
            let _ = writeln!(
                s,
                "\n## `[{}]`\n\n{}",
                sec.path,
                describe(&sec.path).unwrap_or("")
            );
            continue;
        }
        if sec.path == "embed" {
            for (title, list) in [
                ("TF-IDF (`type = \"tfidf\"`, the default)", &tf),
                (
                    "sentence-transformer (`type = \"transformer\"`, `--embed transformer`)",
                    &tr,
                ),
            ] {
                let _ = writeln!(
                    s,
                    "\n## `[embed]` — {title}\n\n{}\n\n{header}",
                    describe("embed").unwrap_or("")
                );
                for e in list.iter().filter(|e| direct(e) && !e.section) {
                    row(&mut s, e, e.path.strip_prefix(&prefix).unwrap_or(&e.path));
                }
            }
            continue;
        }
        let _ = writeln!(
            s,
            "\n## `[{}]`\n\n{}\n\n{header}",
            sec.path,
            describe(&sec.path).unwrap_or("")
        );
        for e in keys {
            row(&mut s, e, e.path.strip_prefix(&prefix).unwrap_or(&e.path));
        }
    }
    let defaults = toml::to_string(&tfidf).unwrap_or_default();
    let transformer_embed = toml::to_string(&transformer)
        .unwrap_or_default()
        .split("\n[")
        .find(|part| part.starts_with("embed]"))
        .map(|part| format!("[{}", part.trim_end()))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "\n## All defaults as one file\n\n\
         A config file that sets every key with a default to that default (keys that are\n\
         *not set* by default are absent), then the `[embed]` section of transformer embeddings.\n\n\
         ```toml\n{}\n```\n\n```toml\n{transformer_embed}\n```",
        defaults.trim_end()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_key_is_documented() {
        let (undocumented, unknown) = undocumented_and_unknown_keys();
        assert!(
            undocumented.is_empty(),
            "keys without a description in CONFIG_DOCS (src/config.rs): {undocumented:?}"
        );
        assert!(
            unknown.is_empty(),
            "CONFIG_DOCS (src/config.rs) describes keys the config does not have: {unknown:?}"
        );
    }

    /// docs/config.md is [`reference_markdown`]; `RHETOR_UPDATE_DOCS=1` rewrites it.
    #[test]
    fn docs_config_md_is_the_generated_reference() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.md");
        let want = reference_markdown();
        if std::env::var_os("RHETOR_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/config.md is out of date: run `RHETOR_UPDATE_DOCS=1 cargo test --lib \
             config::tests::docs_config_md`"
        );
    }

    #[test]
    fn the_reference_defaults_file_parses_to_the_defaults() {
        let doc = reference_markdown();
        let blocks: Vec<&str> = doc
            .split("```toml\n")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .collect();
        assert_eq!(blocks.len(), 2, "{doc}");
        let c = Config::from_toml(blocks[0], Path::new("defaults.toml")).unwrap();
        assert_eq!(c, Config::default());
        c.check().unwrap();
        let [_, transformer, _] = reference_configs();
        let t = Config::from_toml(blocks[1], Path::new("transformer.toml")).unwrap();
        assert_eq!(t, transformer);
    }

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
