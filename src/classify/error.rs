//! Errors of the classification library: invalid parameters, unusable training data or
//! splits, invalid metric inputs, and unreadable model files.
//!
//! Every message names the offending value; row numbers are 0-based positions in the
//! slices given to the library (the CLI maps them to file lines).

use thiserror::Error;

use crate::embed::tfidf::{Analyzer, TfidfError, TfidfParamsError};

/// An invalid [`ClassifierParams`](super::ClassifierParams),
/// [`FeatureParams`](super::FeatureParams), [`CvParams`](super::CvParams) or
/// [`BootstrapParams`](super::BootstrapParams) value. Each variant is one validation rule.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ClassifyParamsError {
    /// `c` is not a finite number > 0.
    #[error("C must be a finite number > 0 (got C = {0})")]
    InvalidC(f64),
    /// `hashtags` is not one of the modes of [`Hashtags`](super::Hashtags).
    #[error("hashtags must be \"keep\", \"split\" or \"tag_and_split\" (got hashtags = {0:?})")]
    InvalidHashtags(String),
    /// `tol` is not a finite number > 0.
    #[error("tol must be a finite number > 0 (got tol = {0})")]
    InvalidTol(f64),
    /// `max_iter = 0`.
    #[error("max_iter must be at least 1 (got max_iter = 0)")]
    ZeroMaxIter,
    /// `intercept_scaling` is not a finite number > 0 while `fit_intercept` is on.
    #[error(
        "intercept_scaling must be a finite number > 0 when fit_intercept is true \
         (got intercept_scaling = {0})"
    )]
    InvalidInterceptScaling(f64),
    /// Both feature blocks are absent.
    #[error("no feature block: give at least one of features.word and features.char")]
    NoFeatureBlock,
    /// A feature block's analyzer does not fit the block (`word` needs `analyzer = "word"`,
    /// `char` needs `"char"` or `"char_wb"`).
    #[error(
        "features.{block} cannot use analyzer = {analyzer}: the word block takes \"word\", \
         the char block \"char\" or \"char_wb\""
    )]
    BlockAnalyzer {
        /// `"word"` or `"char"`.
        block: &'static str,
        /// The analyzer given.
        analyzer: Analyzer,
    },
    /// A feature block's TF-IDF parameters are invalid.
    #[error("features.{block}: {source}")]
    Tfidf {
        /// `"word"` or `"char"`.
        block: &'static str,
        /// The TF-IDF rule broken.
        source: TfidfParamsError,
    },
    /// The sentence-embedding block names no model.
    #[error("transformer.model must name a sentence-transformer model (got an empty name)")]
    EmptyTransformerModel,
    /// The weight of the sentence-embedding block is not a finite number > 0.
    #[error("transformer.weight must be a finite number > 0 (got weight = {0})")]
    InvalidTransformerWeight(f64),
    /// `model = "stack"` with the embedding view but no sentence-embedding block.
    #[error(
        "model = \"stack\" has the view \"embedding_lr\" (a logistic regression on sentence \
         embeddings) but no sentence-embedding block: add a [classify.transformer] table \
         (e.g. `model = \"all-MiniLM-L6-v2\"`; on the command line --features \
         tfidf+transformer), or leave \"embedding_lr\" out of stack.views"
    )]
    StackNeedsTransformer,
    /// `model = "stack"` with a TF-IDF view but both TF-IDF blocks off.
    #[error(
        "model = \"stack\" has the view {0:?}, which needs TF-IDF features, but features.word \
         and features.char are both off (use --features tfidf+transformer, or leave {0:?} out \
         of stack.views)"
    )]
    StackNeedsTfidf(&'static str),
    /// A `[classify.stack]` table with a model other than `"stack"`.
    #[error(
        "a [classify.stack] table is given but model = \"{0}\": set model = \"stack\" or \
         remove the table"
    )]
    StackTableWithoutStack(&'static str),
    /// Invalid stack parameters.
    #[error("stack.{key} {problem}")]
    InvalidStack {
        /// The key.
        key: &'static str,
        /// What is wrong, with the value.
        problem: String,
    },
    /// Fewer than two cross-validation folds.
    #[error("folds must be at least 2 (got folds = {0})")]
    TooFewFolds(usize),
    /// `resamples = 0` for the bootstrap.
    #[error("resamples must be at least 1 (got resamples = 0)")]
    ZeroResamples,
    /// The bootstrap confidence level is not strictly between 0 and 1.
    #[error("level must be strictly between 0 and 1 (got level = {0})")]
    InvalidLevel(f64),
}

/// Training data, a split or prediction input the library cannot use.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ClassifyError {
    /// No rows to train on (or to split).
    #[error("no rows: training a classifier needs at least two labelled texts")]
    NoRows,
    /// Two inputs that must have one entry per row differ in length.
    #[error("{what} has {got} entries but there are {expected} texts")]
    LengthMismatch {
        /// What was too short or too long (`"labels"`, `"targets"`, `"groups"`, ...).
        what: &'static str,
        /// Number of texts.
        expected: usize,
        /// Number of entries given.
        got: usize,
    },
    /// An empty (or whitespace-only) label.
    #[error("row {row}: empty label")]
    EmptyLabel {
        /// 0-based row.
        row: usize,
    },
    /// An empty (or whitespace-only) target value.
    #[error("row {row}: empty target value")]
    EmptyTarget {
        /// 0-based row.
        row: usize,
    },
    /// A multi-label training set in which no row has any label.
    #[error("no labels: none of the {rows} rows has a label")]
    NoLabels {
        /// Number of rows.
        rows: usize,
    },
    /// Single-label training data (of one target, when given) with one class only.
    #[error(
        "only one class{}: every one of the {rows} rows is labelled {class:?}; \
         a classifier needs at least two classes",
        target.as_ref().map(|t| format!(" for target {t:?}")).unwrap_or_default()
    )]
    SingleClass {
        /// The only class.
        class: String,
        /// The target whose rows these are, for per-target training.
        target: Option<String>,
        /// Number of rows.
        rows: usize,
    },
    /// A label (in truth data) the model does not know.
    #[error("row {row}: unknown label {label:?} (known: {known})")]
    UnknownLabel {
        /// 0-based row.
        row: usize,
        /// The label.
        label: String,
        /// The known labels, comma-separated.
        known: String,
    },
    /// A row routed to a target that has no model.
    #[error("row {row}: no model for target {target:?} (known targets: {known})")]
    UnknownTarget {
        /// 0-based row.
        row: usize,
        /// The target value.
        target: String,
        /// The known targets, comma-separated.
        known: String,
    },
    /// Fitting a feature block failed (e.g. no term in the training texts).
    #[error("features.{block}: {source}")]
    Features {
        /// Block name (`"word"`, `"char"`).
        block: String,
        /// The vectorizer's error.
        source: TfidfError,
    },
    /// More features than the model format can index (2^32 − 1).
    #[error("too many features: {0} (at most 4294967295)")]
    TooManyFeatures(usize),
    /// A class (or, multi-label, a label) with fewer rows than folds in stratified k-fold.
    #[error(
        "class {class:?}{} has {count} rows, fewer than the {folds} folds: \
         stratified k-fold needs at least one row of each class per fold \
         (use fewer folds, or merge or drop the class)",
        target.as_ref().map(|t| format!(" of target {t:?}")).unwrap_or_default()
    )]
    ClassTooSmallForFolds {
        /// The class.
        class: String,
        /// The target, for per-target cross-validation.
        target: Option<String>,
        /// Its number of rows.
        count: usize,
        /// Number of folds asked for.
        folds: usize,
    },
    /// Fewer rows than folds.
    #[error("{rows} rows cannot be split into {folds} folds")]
    FewerRowsThanFolds {
        /// Number of rows.
        rows: usize,
        /// Number of folds.
        folds: usize,
    },
    /// Fewer distinct groups than folds in grouped k-fold.
    #[error(
        "{groups} distinct groups cannot be split into {folds} folds without putting a group \
         in two folds (use at most {groups} folds)"
    )]
    FewerGroupsThanFolds {
        /// Distinct groups.
        groups: usize,
        /// Folds asked for.
        folds: usize,
    },
    /// A row marked both train and test in a given split.
    #[error("row {row} is in both the training and the test set of the given split")]
    RowInBothSplits {
        /// 0-based row.
        row: usize,
    },
    /// A given split (or a fold) with no training rows or no test rows.
    #[error("the {part} set of the split is empty")]
    EmptySplit {
        /// `"training"` or `"test"`.
        part: &'static str,
    },
    /// A fold listing a row index outside the data.
    #[error("fold {fold} lists row {row}, but there are only {rows} rows")]
    FoldRowOutOfRange {
        /// 0-based fold.
        fold: usize,
        /// The row index.
        row: usize,
        /// Number of rows.
        rows: usize,
    },
    /// A row that is in the test set of two folds.
    #[error("row {row} is in the test set of folds {first} and {second}")]
    RowTestedTwice {
        /// 0-based row.
        row: usize,
        /// First fold.
        first: usize,
        /// Second fold.
        second: usize,
    },
    /// A feature matrix whose number of columns differs from the model's.
    #[error("the feature matrix has {got} columns but the model was trained on {expected}")]
    FeatureCountMismatch {
        /// The model's number of features.
        expected: usize,
        /// The matrix's number of columns.
        got: usize,
    },
    /// The features have a sentence-embedding block but no embeddings or loaded model were
    /// given.
    #[error(
        "the features include sentence embeddings of {model:?} but no loaded model was given \
         (load it with SentenceEncoder::load and attach it with with_encoder)"
    )]
    NoEncoder {
        /// The model the parameters name.
        model: String,
    },
    /// The loaded sentence-transformer model is not the one the parameters name.
    #[error(
        "the features ask for sentence embeddings of {wanted:?} but the loaded model is {loaded:?}"
    )]
    WrongEncoder {
        /// The model of the parameters.
        wanted: String,
        /// The model loaded.
        loaded: String,
    },
    /// Embedding texts with the sentence-transformer model failed.
    #[error("sentence embeddings: {0}")]
    Embedding(String),
    /// `model = "stack"` with multi-label data.
    #[error(
        "model = \"stack\" supports single-label data only (one label per row); for \
         multi-label data use model = \"linear_svm\" or \"logistic_regression\""
    )]
    StackMultiLabel,
    /// The model was trained with single labels but multi-label data was given, or the
    /// reverse.
    #[error("the model is {model} but the labels given are {given}")]
    LabelKindMismatch {
        /// `"single-label"` or `"multi-label"`.
        model: &'static str,
        /// `"single-label"` or `"multi-label"`.
        given: &'static str,
    },
}

/// Invalid input to a metric.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum MetricsError {
    /// Truth and predictions differ in length.
    #[error("{truth} true labels but {predicted} predictions")]
    LengthMismatch {
        /// Number of true labels.
        truth: usize,
        /// Number of predictions.
        predicted: usize,
    },
    /// No rows.
    #[error("no rows to evaluate")]
    Empty,
    /// A class index not below the number of classes.
    #[error("row {row}: class index {index} is out of range ({classes} classes)")]
    ClassOutOfRange {
        /// 0-based row.
        row: usize,
        /// The index.
        index: usize,
        /// Number of classes.
        classes: usize,
    },
}

/// A model file that cannot be written or read.
#[derive(Debug, Error)]
pub enum ModelFileError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not JSON, or JSON not in the model format (truncated, corrupt, wrong field types).
    #[error("not a valid rhetor classifier file (truncated or corrupt?): {0}")]
    Json(String),
    /// A JSON file of another kind.
    #[error("not a rhetor classifier file: format is {found:?}, expected \"rhetor-classifier\"")]
    WrongFormat {
        /// The `format` field found (`"<missing>"` when absent).
        found: String,
    },
    /// A model file of a format version this build cannot read.
    #[error(
        "classifier file format_version {found} is not supported: this rhetor reads \
         format_version 1 to {supported}; retrain the model with this version"
    )]
    UnsupportedVersion {
        /// The version found.
        found: String,
        /// The version this build reads.
        supported: u32,
    },
    /// Parts of the file disagree (array lengths, feature counts, class lists, ...).
    #[error("corrupt classifier file: {0}")]
    Inconsistent(String),
    /// The sentence-transformer model the classifier's features need cannot be loaded.
    #[error(
        "the classifier uses sentence embeddings of the model {model:?}, which cannot be \
         loaded: {message}"
    )]
    Encoder {
        /// The model name recorded in the file.
        model: String,
        /// Why it cannot be loaded.
        message: String,
    },
    /// The installed sentence-transformer model differs from the one the classifier was
    /// trained with.
    #[error(
        "the classifier was trained on sentence embeddings of the model {model:?}, but the \
         installed model differs: {file} {problem}; install the model it was trained with \
         (rhetor model fetch {model}) or retrain the classifier"
    )]
    EncoderMismatch {
        /// The model name.
        model: String,
        /// The first file that differs.
        file: String,
        /// How it differs.
        problem: String,
    },
}
