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
    Segment(RunArgs),
    /// Load, segment and embed (TF-IDF + LSA): adds embeddings.parquet and tfidf_vectorizer.json.
    #[command(after_help = "Example:\n  rhetor embed corpus --out runs/emb --config rhetor.toml")]
    Embed(RunArgs),
    /// Load, segment, embed and cluster into topics: adds topics.parquet and topic columns.
    #[command(
        after_help = "Examples:\n  rhetor cluster corpus --out runs/topics --k 6\n  rhetor cluster news.jsonl --unit document --out runs/news   # k chosen by silhouette"
    )]
    Cluster(RunArgs),
    /// Everything up to labelling paragraphs on codebooks: adds the label columns to paragraphs.parquet.
    #[command(
        after_help = "Example:\n  rhetor label corpus --out runs/labels --codebook policy_frames --codebook stance --target \"stricter immigration enforcement\""
    )]
    Label(RunArgs),
    /// Everything up to the comparison: adds doc_labels.parquet, divergence.parquet and keyness.parquet (no report).
    #[command(
        after_help = "Examples:\n  rhetor compare corpus --out runs/cmp\n  rhetor compare speeches.jsonl --doc-col speech_id --group-by label --out runs/parties"
    )]
    Compare(RunArgs),
    /// Print the schema of a run directory's tables (docs/schema.md is this output).
    #[command(
        after_help = "Examples:\n  rhetor schema > docs/schema.md\n  rhetor schema --format json"
    )]
    Schema(SchemaArgs),
    /// Re-render report.md and report.html of a finished run from its report.json.
    #[command(after_help = "Example:\n  rhetor report runs/demo")]
    Report(ReportArgs),
}

/// Analysis unit.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum UnitArg {
    /// Split documents into paragraphs.
    Paragraph,
    /// Each document (or table row) is one unit.
    Document,
}

/// Flags shared by `run` and the stage commands.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Folder of .txt/.md files, or a .jsonl, .csv or .parquet file.
    pub corpus: PathBuf,
    /// Run directory to write (refused if it exists, unless --force).
    #[arg(short, long)]
    pub out: PathBuf,
    /// TOML config file (default: rhetor.toml inside the corpus folder, if there is one).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Text column of a tabular corpus [default: text].
    #[arg(long)]
    pub text_col: Option<String>,
    /// Id column of a tabular corpus [default: id, else the row number].
    #[arg(long)]
    pub id_col: Option<String>,
    /// Rows sharing this column's value are the paragraphs of one document (not re-segmented).
    #[arg(long)]
    pub doc_col: Option<String>,
    /// Analysis unit [default: paragraph].
    #[arg(long, value_enum)]
    pub unit: Option<UnitArg>,
    /// Seed of every random choice [default: 42, or the config's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of topics (run, cluster) [default: chosen automatically by silhouette].
    #[arg(long)]
    pub k: Option<usize>,
    /// Compare groups of documents sharing this metadata column's value (default: each document).
    #[arg(long)]
    pub group_by: Option<String>,
    /// Codebook file or shipped name (policy_frames, collective_action, stance); repeatable.
    #[arg(long = "codebook")]
    pub codebooks: Vec<String>,
    /// Stance target that replaces {target} in codebooks.
    #[arg(long)]
    pub target: Option<String>,
    /// Also write every table as CSV or JSON Lines beside the Parquet file (repeatable).
    #[arg(long = "format", value_enum)]
    pub formats: Vec<FormatArg>,
    /// Replace the output directory if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `rhetor report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory written by `rhetor run`.
    pub run_dir: PathBuf,
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
