//! `rhetor run` and the stage commands that share its flags.

use super::args::{Cli, EmbedFlags, StageFlags, UnitArg};
use super::progress::Bars;
use anyhow::{Context, Result};
use rhetor::config::Config;
use rhetor::corpus::Unit;
use rhetor::run::{self as pipeline, Stages};
use std::path::PathBuf;

/// Maps flags onto the config: the config file (explicit, or `rhetor.toml` in the corpus
/// folder), then flags on top. Only the stages the command runs have flags.
pub fn resolve_config(f: StageFlags<'_>) -> Result<(Config, Option<PathBuf>)> {
    let a = f.input;
    let path = config_file(&a.config, &a.corpus);
    let mut cfg = match &path {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    table_flags(&mut cfg, &a.table, &a.formats);
    if let Some(u) = a.unit {
        cfg.corpus.unit = match u {
            UnitArg::Paragraph => Unit::Paragraph,
            UnitArg::Document => Unit::Document,
        };
    }
    if let Some(e) = f.embed {
        apply_embed_flags(&mut cfg, e)?;
    }
    if let Some(k) = f.cluster.and_then(|c| c.k) {
        cfg.cluster.k = Some(k);
    }
    if let Some(n) = f.cluster.and_then(|c| c.stability) {
        cfg.cluster.stability_runs = n;
    }
    if let Some(l) = f.label {
        if !l.codebooks.is_empty() {
            cfg.label.codebooks = l.codebooks.clone();
        }
        if let Some(t) = &l.target {
            cfg.label.target = Some(t.clone());
        }
        if !l.classifiers.is_empty() {
            cfg.label.classifiers = l.classifiers.clone();
        }
    }
    if let Some(g) = f.group {
        if let Some(by) = &g.group_by {
            cfg.groups.by = Some(by.clone());
        }
        time_flags(&mut cfg, &g.time_col, g.period);
    }
    Ok((cfg, path))
}

/// The config file given, or `rhetor.toml` in the corpus folder when there is one.
fn config_file(config: &Option<PathBuf>, corpus: &std::path::Path) -> Option<PathBuf> {
    config.clone().or_else(|| {
        let p = corpus.join("rhetor.toml");
        (corpus.is_dir() && p.is_file()).then_some(p)
    })
}

/// `--time-col` and `--period`.
fn time_flags(cfg: &mut Config, col: &Option<String>, period: Option<super::args::PeriodArg>) {
    if let Some(c) = col {
        cfg.time.col = Some(c.clone());
    }
    if let Some(p) = period {
        cfg.time.period = p.into();
    }
}

/// The flags that read a table and choose output formats.
fn table_flags(cfg: &mut Config, t: &super::args::TableFlags, formats: &[super::args::FormatArg]) {
    if let Some(c) = &t.text_col {
        cfg.corpus.text_col = Some(c.clone());
    }
    if let Some(c) = &t.id_col {
        cfg.corpus.id_col = Some(c.clone());
    }
    if let Some(c) = &t.doc_col {
        cfg.corpus.doc_col = Some(c.clone());
    }
    for f in formats {
        let f = match f {
            super::args::FormatArg::Parquet => rhetor::export::Format::Parquet,
            super::args::FormatArg::Csv => rhetor::export::Format::Csv,
            super::args::FormatArg::Json => rhetor::export::Format::Json,
        };
        if !cfg.output.formats.contains(&f) {
            cfg.output.formats.push(f);
        }
    }
}

fn apply_embed_flags(cfg: &mut Config, a: &EmbedFlags) -> Result<()> {
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(e) = a.embed {
        cfg.embed = match e {
            super::args::EmbedArg::Tfidf => match &cfg.embed {
                rhetor::embed::EmbedConfig::Tfidf(_) => cfg.embed.clone(),
                _ => rhetor::embed::EmbedConfig::default(),
            },
            super::args::EmbedArg::Transformer => match &cfg.embed {
                rhetor::embed::EmbedConfig::Transformer(_) => cfg.embed.clone(),
                _ => rhetor::embed::EmbedConfig::Transformer(Default::default()),
            },
        };
    }
    if let rhetor::embed::EmbedConfig::Transformer(t) = &mut cfg.embed {
        if let Some(m) = &a.model {
            t.model = m.clone();
        }
        if let Some(p) = a.precision {
            t.precision = match p {
                super::args::PrecisionArg::F32 => rhetor::embed::transformer::Precision::F32,
                super::args::PrecisionArg::Bf16 => rhetor::embed::transformer::Precision::Bf16,
            };
        }
        if a.no_cache {
            t.cache = false;
        }
    } else if a.model.is_some() || a.precision.is_some() || a.no_cache {
        anyhow::bail!("--model, --precision and --no-cache need --embed transformer");
    }
    Ok(())
}

/// Runs `stages` and prints a summary; returns the exit code.
pub fn run(command: &str, f: StageFlags<'_>, cli: &Cli, stages: Stages) -> Result<i32> {
    let a = f.input;
    let (cfg, cfg_path) = resolve_config(f)?;
    // Codebook paths in a config file are relative to that file's folder.
    let base = cfg_path
        .as_deref()
        .and_then(|p| p.parent())
        .map(|p| p.to_path_buf());
    let checked = cfg.check_in(base.as_deref())?;
    if let Some(p) = &cfg_path {
        tracing::info!("config: {}", p.display());
    }
    let bars = Bars::new(cli.quiet);
    let opts = pipeline::RunOptions {
        force: a.force,
        coded: f.group.and_then(|g| g.coded.clone()),
    };
    let summary = pipeline::run(command, &a.corpus, &checked, &a.out, &opts, stages, &bars)
        .with_context(|| format!("{command} on '{}'", a.corpus.display()))?;
    Ok(print_summary(&summary, cli))
}

/// `rhetor fit CORPUS --out MODEL_DIR`.
pub fn fit(a: &super::args::FitArgs, cli: &Cli) -> Result<i32> {
    if !a.input.formats.is_empty() {
        anyhow::bail!(
            "--format chooses the formats of a run's tables; `rhetor fit` writes a bundle \
             (JSON, TOML and safetensors, see docs/bundle.md). Drop --format, or give it to \
             `rhetor apply`"
        );
    }
    let (cfg, cfg_path) = resolve_config(a.into())?;
    let base = cfg_path
        .as_deref()
        .and_then(|p| p.parent())
        .map(|p| p.to_path_buf());
    let checked = cfg.check_in(base.as_deref())?;
    let bars = Bars::new(cli.quiet);
    let corpus = &a.input.corpus;
    let summary = pipeline::fit(
        corpus,
        &checked,
        &a.input.out,
        a.input.force,
        a.sample,
        &bars,
    )
    .with_context(|| format!("fit on '{}'", corpus.display()))?;
    if !cli.quiet {
        for line in skipped_lines(&summary.skipped, &summary.out.join("bundle.json")) {
            eprintln!("{line}");
        }
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
        let c = &summary.counts;
        eprintln!(
            "wrote bundle {}: fitted on {} documents, {} paragraphs; {} skipped",
            summary.out.display(),
            c.documents,
            c.paragraphs,
            c.skipped
        );
        eprintln!("topics: {}", k_line(&summary.k));
        eprintln!(
            "apply it with: rhetor apply {} CORPUS --out RUN",
            summary.out.display()
        );
    }
    Ok(if summary.has_failures() {
        super::EXIT_SKIPPED
    } else {
        0
    })
}

/// `rhetor apply MODEL_DIR CORPUS --out RUN`.
pub fn apply(a: &super::args::ApplyArgs, cli: &Cli) -> Result<i32> {
    let path = config_file(&a.config, &a.corpus);
    let mut cfg = match &path {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    table_flags(&mut cfg, &a.table, &a.formats);
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(g) = &a.group_by {
        cfg.groups.by = Some(g.clone());
    }
    time_flags(&mut cfg, &a.time_col, a.period);
    let bars = Bars::new(cli.quiet);
    let opts = pipeline::RunOptions {
        force: a.force,
        coded: a.coded.clone(),
    };
    if let Some(shard) = a.shard {
        let s = pipeline::apply_shard(&a.model_dir, &a.corpus, &cfg, &a.out, shard, &opts, &bars)
            .with_context(|| {
            format!(
                "apply '{}' to shard {}/{} of '{}'",
                a.model_dir.display(),
                shard.index,
                shard.count,
                a.corpus.display()
            )
        })?;
        if !cli.quiet {
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
            let p = &s.part;
            eprintln!(
                "wrote part {}: shard {}/{}, documents {}..{} and paragraphs {}..{} of {}",
                s.out.display(),
                p.shard,
                p.shards,
                p.doc_start,
                p.doc_end,
                p.start,
                p.end,
                p.paragraphs
            );
            eprintln!(
                "when all {} parts are written: rhetor merge {} --out RUN",
                p.shards,
                a.out.display()
            );
        }
        return Ok(0);
    }
    let summary = pipeline::apply(&a.model_dir, &a.corpus, &cfg, &a.out, &opts, &bars)
        .with_context(|| {
            format!(
                "apply '{}' to '{}'",
                a.model_dir.display(),
                a.corpus.display()
            )
        })?;
    Ok(print_summary(&summary, cli))
}

/// `rhetor merge PARTS --out RUN`.
pub fn merge(a: &super::args::MergeArgs, cli: &Cli) -> Result<i32> {
    let bars = Bars::new(cli.quiet);
    let opts = pipeline::RunOptions {
        force: a.force,
        coded: a.coded.clone(),
    };
    let summary = pipeline::merge(&a.parts_dir, &a.out, &opts, &bars)
        .with_context(|| format!("merge '{}'", a.parts_dir.display()))?;
    Ok(print_summary(&summary, cli))
}

/// Prints what a run wrote (unless quiet) and returns its exit code.
fn print_summary(summary: &pipeline::RunSummary, cli: &Cli) -> i32 {
    if !cli.quiet {
        for line in skipped_lines(&summary.skipped, &summary.out.join("manifest.json")) {
            eprintln!("{line}");
        }
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
        let c = &summary.counts;
        eprintln!(
            "wrote {}: {} documents, {} paragraphs, {} headings; {} skipped, {} boilerplate dropped",
            summary.out.display(),
            c.documents,
            c.paragraphs,
            c.headings,
            c.skipped,
            c.dropped
        );
        if let Some(k) = &summary.k {
            eprintln!("topics: {}", k_line(k));
        }
        if let Some(v) = &summary.validation {
            super::validate::print_validation(v);
            eprintln!(
                "validated against the coded sample: corrected shares in corrected_shares.parquet"
            );
        }
        if let Some(r) = &summary.report {
            eprintln!("report: {}", r.display());
        }
    }
    if summary.has_failures() {
        super::EXIT_SKIPPED
    } else {
        0
    }
}

/// How many skipped inputs are named one by one before the rest are only counted.
pub const SHOWN_SKIPPED: usize = 5;

/// The warning lines for skipped inputs: one line each when there are at most
/// [`SHOWN_SKIPPED`], else one line with the counts, the first few names and where the
/// full list is.
fn skipped_lines(skipped: &[rhetor::corpus::Skipped], manifest: &std::path::Path) -> Vec<String> {
    if skipped.len() <= SHOWN_SKIPPED {
        return skipped
            .iter()
            .map(|s| format!("warning: skipped '{}': {}", s.source, s.reason))
            .collect();
    }
    let unreadable = skipped.iter().filter(|s| s.reason.is_failure()).count();
    let empty = skipped
        .iter()
        .filter(|s| matches!(s.reason, rhetor::corpus::SkipReason::Empty))
        .count();
    let other = skipped.len() - unreadable - empty;
    let mut kinds = Vec::new();
    for (n, what) in [
        (empty, "empty"),
        (unreadable, "unreadable"),
        (other, "for other reasons"),
    ] {
        if n > 0 {
            kinds.push(format!("{n} {what}"));
        }
    }
    let first: Vec<String> = skipped
        .iter()
        .take(SHOWN_SKIPPED)
        .map(|s| format!("'{}' ({})", s.source, s.reason))
        .collect();
    vec![format!(
        "warning: skipped {} inputs ({}): {} and {} more; all are listed under \"skipped\" in {}",
        skipped.len(),
        kinds.join(", "),
        first.join(", "),
        skipped.len() - SHOWN_SKIPPED,
        manifest.display()
    )]
}

/// `k = 7, chosen automatically (highest silhouette in 2..=12)` or `k = 7, given`.
fn k_line(k: &pipeline::ChosenK) -> String {
    if k.from_bundle {
        return format!(
            "k = {}, the bundle's fitted topics (each paragraph went to the nearest centroid; \
             see topic_distance)",
            k.k
        );
    }
    match (k.automatic, k.searched) {
        (true, Some((lo, hi))) => format!(
            "k = {}, chosen automatically (highest mean silhouette for k in {lo}..={hi})",
            k.k
        ),
        (true, None) => format!(
            "k = {}, chosen automatically (too few paragraphs to compare topic counts)",
            k.k
        ),
        (false, _) => format!("k = {}, given (--k or [cluster] k)", k.k),
    }
}

/// `rhetor report RUN_DIR`.
pub fn report(a: &super::args::ReportArgs, cli: &Cli) -> Result<i32> {
    let written = match &a.validation {
        Some(v) => rhetor::validate::output::attach_to_report(&a.run_dir, v)
            .with_context(|| format!("report of '{}'", a.run_dir.display()))?,
        None => rhetor::report::rerender(&a.run_dir)
            .with_context(|| format!("report of '{}'", a.run_dir.display()))?,
    };
    if !cli.quiet {
        for w in written {
            eprintln!("wrote {}", w.display());
        }
    }
    Ok(0)
}

/// `rhetor schema`.
pub fn schema(a: &super::args::SchemaArgs) -> Result<i32> {
    use std::io::Write;
    let text = match a.format {
        super::args::SchemaFormat::Markdown => rhetor::schema::to_markdown(),
        super::args::SchemaFormat::Json => {
            serde_json::to_string_pretty(&rhetor::schema::to_json())? + "\n"
        }
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(0)
}

/// `rhetor model fetch|list`.
pub fn model(m: &super::args::ModelCommand, cli: &Cli) -> Result<i32> {
    use rhetor::embed::transformer::fetch;
    let dir = fetch::default_models_dir();
    match m {
        super::args::ModelCommand::Fetch { name } => {
            let path =
                fetch::fetch(name, &dir).with_context(|| format!("fetching model '{name}'"))?;
            if !cli.quiet {
                eprintln!("installed {name} in {}", path.display());
            }
        }
        super::args::ModelCommand::List => {
            println!(
                "{:<28} {:<7} {:<10} {:>5} {:>7}  package",
                "model", "known", "installed", "dim", "max_len"
            );
            for s in fetch::list(&dir)? {
                println!(
                    "{:<28} {:<7} {:<10} {:>5} {:>7}  {}",
                    s.name,
                    if s.known { "yes" } else { "no" },
                    if s.installed { "yes" } else { "no" },
                    s.dimension.map(|d| d.to_string()).unwrap_or_default(),
                    s.max_length.map(|d| d.to_string()).unwrap_or_default(),
                    s.package.unwrap_or_default()
                );
            }
        }
    }
    Ok(0)
}
