//! `rhetor run` and the stage commands that share its flags.

use super::args::{Cli, RunArgs, UnitArg};
use super::progress::Bars;
use anyhow::{Context, Result};
use rhetor::config::Config;
use rhetor::corpus::Unit;
use rhetor::pipeline::{self, Stages};
use std::path::PathBuf;

/// Maps flags onto the config: the config file (explicit, or `rhetor.toml` in the corpus
/// folder), then flags on top.
pub fn resolve_config(a: &RunArgs) -> Result<(Config, Option<PathBuf>)> {
    let path = a.config.clone().or_else(|| {
        let p = a.corpus.join("rhetor.toml");
        (a.corpus.is_dir() && p.is_file()).then_some(p)
    });
    let mut cfg = match &path {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    if let Some(c) = &a.text_col {
        cfg.corpus.text_col = Some(c.clone());
    }
    if let Some(c) = &a.id_col {
        cfg.corpus.id_col = Some(c.clone());
    }
    if let Some(c) = &a.doc_col {
        cfg.corpus.doc_col = Some(c.clone());
    }
    if let Some(u) = a.unit {
        cfg.corpus.unit = match u {
            UnitArg::Paragraph => Unit::Paragraph,
            UnitArg::Document => Unit::Document,
        };
    }
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
    if let Some(k) = a.k {
        cfg.cluster.k = Some(k);
    }
    for f in &a.formats {
        let f = match f {
            super::args::FormatArg::Parquet => rhetor::export::Format::Parquet,
            super::args::FormatArg::Csv => rhetor::export::Format::Csv,
            super::args::FormatArg::Json => rhetor::export::Format::Json,
        };
        if !cfg.output.formats.contains(&f) {
            cfg.output.formats.push(f);
        }
    }
    if !a.codebooks.is_empty() {
        cfg.label.codebooks = a.codebooks.clone();
    }
    if let Some(t) = &a.target {
        cfg.label.target = Some(t.clone());
    }
    if !a.classifiers.is_empty() {
        cfg.label.classifiers = a.classifiers.clone();
    }
    if let Some(g) = &a.group_by {
        cfg.groups.by = Some(g.clone());
    }
    Ok((cfg, path))
}

/// Runs `stages` and prints a summary; returns the exit code.
pub fn run(command: &str, a: &RunArgs, cli: &Cli, stages: Stages) -> Result<i32> {
    let (cfg, cfg_path) = resolve_config(a)?;
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
    let summary = pipeline::run(command, &a.corpus, &checked, &a.out, a.force, stages, &bars)
        .with_context(|| format!("{command} on '{}'", a.corpus.display()))?;
    for s in &summary.skipped {
        eprintln!("warning: skipped '{}': {}", s.source, s.reason);
    }
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    if !cli.quiet {
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
    }
    Ok(if summary.has_failures() {
        super::EXIT_SKIPPED
    } else {
        0
    })
}

/// `rhetor report RUN_DIR`.
pub fn report(a: &super::args::ReportArgs, cli: &Cli) -> Result<i32> {
    let written = rhetor::report::rerender(&a.run_dir)
        .with_context(|| format!("report of '{}'", a.run_dir.display()))?;
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
