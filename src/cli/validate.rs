//! `rhetor sample`, `rhetor agreement`, `rhetor validate`.

use super::args::{AgreementArgs, Cli, LevelArg, SampleArgs, StratifyArg, ValidateArgs};
use anyhow::{Context, Result};
use rhetor::export::{check_no_overlap, RunDir};
use rhetor::validate::{self, agreement::Level, AgreementParams, Stratify, ValidateParams};

/// `rhetor sample`.
pub fn sample(a: &SampleArgs, cli: &Cli) -> Result<i32> {
    check_no_overlap(&a.run_dir, &a.out, "run directory")?;
    let run = validate::run_data::load(&a.run_dir, a.group_by.as_deref())?;
    let stratify = match a.stratify {
        StratifyArg::None => Stratify::None,
        StratifyArg::Group => Stratify::Group,
        StratifyArg::Topic => Stratify::Topic,
    };
    let seed = a.seed.unwrap_or(run.seed);
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| {
            format!("cannot create the folder '{}' for --out", parent.display())
        })?;
    }
    let drawn = validate::sample::draw(&run, a.n, stratify, seed)?;
    let files = validate::sample::write(&run, &drawn, stratify, seed, &a.out, a.force)?;
    if !cli.quiet {
        if drawn.len() < a.n {
            eprintln!(
                "the run has {} paragraphs, fewer than --n {}: all of them are in the sample",
                run.len(),
                a.n
            );
        }
        eprintln!(
            "wrote {} ({} paragraphs to code, run_id {})\nwrote {} (rhetor's labels: keep it from the coders)\nwrote {} and {} (the coding guide)",
            files.sample.display(),
            drawn.len(),
            run.run_id,
            files.predictions.display(),
            files.guide_md.display(),
            files.guide_html.display()
        );
    }
    Ok(0)
}

/// `rhetor agreement`.
pub fn agreement(a: &AgreementArgs, cli: &Cli) -> Result<i32> {
    check_no_overlap(&a.coded, &a.out, "coded file")?;
    let mut scales = std::collections::BTreeMap::new();
    for c in &a.codebook {
        let cb = rhetor::label::Codebook::load(&rhetor::label::codebook::resolve(c, None))?;
        for d in cb.dimension {
            let labels = d.label.into_iter().map(|l| l.name).collect();
            scales.insert(d.name, (d.level, labels));
        }
    }
    let p = AgreementParams {
        unit_cols: a.unit_col.clone(),
        coder_col: a.coder_col.clone(),
        label_cols: a.label_col.clone(),
        coders: a.coders.clone(),
        level: a.level.map(|l| match l {
            LevelArg::Nominal => Level::Nominal,
            LevelArg::Ordinal => Level::Ordinal,
            LevelArg::Interval => Level::Interval,
        }),
        values: a.values.clone(),
        scales,
        n_boot: a.n_boot,
        seed: a.seed,
        conf: 0.95,
        separator: a.separator,
    };
    let result = validate::reliability::agreement(&a.coded, &p)
        .with_context(|| format!("agreement of '{}'", a.coded.display()))?;
    let dir = RunDir::create(&a.out, a.force)?;
    let md = validate::output::write_agreement(&dir, &result, &a.coded.display().to_string())?;
    let out = dir.commit()?;
    if !cli.quiet {
        print!("{md}");
        eprintln!("wrote {}", out.display());
    }
    Ok(0)
}

/// `rhetor validate`.
pub fn validate(a: &ValidateArgs, cli: &Cli) -> Result<i32> {
    check_no_overlap(&a.run_dir, &a.out, "run directory")?;
    check_no_overlap(&a.coded, &a.out, "coded file")?;
    let run = validate::run_data::load(&a.run_dir, a.group_by.as_deref())?;
    let coded = validate::coded::read(&a.coded, &run, a.separator)?;
    let params = ValidateParams {
        n_boot: a.n_boot,
        seed: a.seed.unwrap_or(run.seed),
        level: 0.95,
    };
    let v = validate::validation::validate(&run, &coded, &params)?;
    let dir = RunDir::create(&a.out, a.force)?;
    validate::output::write_validation(
        &dir,
        &v,
        &a.run_dir.display().to_string(),
        &a.coded.display().to_string(),
    )?;
    let out = dir.commit()?;
    if !cli.quiet {
        print_validation(&v);
        eprintln!("wrote {} (open validation.html)", out.display());
    }
    Ok(0)
}

/// One line per validated dimension (agreement, accuracy), then the notes.
pub fn print_validation(v: &validate::Validation) {
    for r in &v.summary {
        let alpha = |x: Option<f64>| x.map_or_else(|| "–".to_string(), |v| format!("{v:.3}"));
        eprintln!(
            "{}: {} coded paragraphs ({} coders), {} with a majority label: accuracy {:.1}% [{:.1}%, {:.1}%], macro-F1 {:.3}, α coders {}, α rhetor vs reference {}",
            r.dimension,
            r.n_coded,
            r.n_coders,
            r.n_reference,
            100.0 * r.accuracy,
            100.0 * r.accuracy_low,
            100.0 * r.accuracy_high,
            r.macro_f1,
            alpha(r.alpha_coders),
            alpha(r.alpha_rhetor)
        );
    }
    for n in &v.notes {
        eprintln!("note: {n}");
    }
}
