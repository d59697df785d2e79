//! `rhetor train`, `rhetor evaluate`, `rhetor predict`.

use super::args::{Cli, DataArgs, EvaluateArgs, ModelArg, ModelArgs, PredictArgs, TrainArgs};
use anyhow::{bail, Context, Result};
use polars::prelude::*;
use rhetor::classify::{
    self, BootstrapParams, ClassWeight, ClassifierValidParams, CvParams, ModelFile, ModelKind,
    TrainedModel, TrainingInfo,
};
use rhetor::config::Config;
use rhetor::supervised::{self, DataColumns, LabelledData, MetricRows};

fn columns(c: &DataArgs) -> DataColumns {
    DataColumns {
        text_col: c.text_col.clone(),
        id_col: c.id_col.clone(),
        label_col: c.label_col.clone(),
        target_col: c.target_col.clone(),
        group_col: None,
        split_col: None,
        multi_label: c.multi_label,
        skip_unlabelled: c.skip_unlabelled,
    }
}

fn params(m: &ModelArgs) -> Result<ClassifierValidParams> {
    let mut p = match &m.config {
        Some(path) => Config::from_file(path)?.classify,
        None => classify::ClassifierParams::default(),
    };
    if let Some(k) = m.model {
        p.model = match k {
            ModelArg::Svm => ModelKind::LinearSvm,
            ModelArg::Lr => ModelKind::LogisticRegression,
        };
    }
    if let Some(c) = m.c {
        p.c = c;
    }
    if m.balanced {
        p.class_weight = ClassWeight::Balanced;
    }
    if let Some(s) = m.seed {
        p.seed = s;
    }
    p.check().context("[classify] parameters")
}

fn load(path: &std::path::Path, cols: DataColumns, need_labels: bool) -> Result<LabelledData> {
    supervised::load(path, &cols, need_labels)
        .with_context(|| format!("reading '{}'", path.display()))
}

/// `rhetor train`.
pub fn train(a: &TrainArgs, cli: &Cli) -> Result<i32> {
    if a.out.exists() && !a.force {
        bail!(
            "model file '{}' already exists; choose another --out or pass --force",
            a.out.display()
        );
    }
    let p = params(&a.model)?;
    let data = load(&a.data, columns(&a.cols), true)?;
    let texts = data.text_refs();
    let labels = data.labels.as_ref().context("no label column")?;
    let targets = data.target_refs();
    let model = match &targets {
        Some(t) => TrainedModel::PerTarget(p.train_per_target(&texts, labels, t)?),
        None => TrainedModel::Single(p.train(&texts, labels)?),
    };
    let file = ModelFile::new(
        model,
        TrainingInfo::from_data(&texts, labels, targets.as_deref()),
    );
    file.save(&a.out)
        .with_context(|| format!("writing '{}'", a.out.display()))?;
    if !cli.quiet {
        eprintln!(
            "wrote {}: {} rows ({} skipped), classes {}",
            a.out.display(),
            texts.len(),
            data.n_skipped,
            file.classes().join(", ")
        );
    }
    Ok(0)
}

/// `rhetor evaluate`.
pub fn evaluate(a: &EvaluateArgs, cli: &Cli) -> Result<i32> {
    let p = params(&a.model)?;
    let mut cols = columns(&a.cols);
    cols.group_col = a.group_col.clone();
    cols.split_col = a.split_col.clone();
    let dir = rhetor::export::RunDir::create(&a.out, a.force)?;
    let data = load(&a.data, cols, true)?;
    let texts = data.text_refs();
    let labels = data.labels.as_ref().context("no label column")?;
    let cv = CvParams {
        folds: a.folds,
        seed: p.params().seed,
    }
    .check()
    .context("--folds")?;
    let boot = BootstrapParams {
        seed: p.params().seed,
        ..Default::default()
    }
    .check()
    .context("bootstrap")?;
    let mut metrics = MetricRows::default();
    let pred_frame;
    if let Some(targets) = data.target_refs() {
        if a.group_col.is_some() || a.split_col.is_some() {
            bail!("--target-col combines with stratified k-fold only (not --group-col or --split-col)");
        }
        let out = p.cross_validate_per_target(&texts, labels, &targets, &cv)?;
        metrics.add("pooled", &out.truth, &out.pooled, &boot)?;
        let mut fold = vec![0u32; texts.len()];
        for t in &out.targets {
            metrics.add(&t.target, &t.outcome.truth, &t.outcome.predictions, &boot)?;
            for (i, &r) in t.outcome.rows.iter().enumerate() {
                fold[t.rows[r]] = t.outcome.fold_of[i] as u32;
            }
        }
        let gold: Vec<String> = (0..texts.len())
            .map(|r| supervised::gold_string(&out.truth, &out.pooled.classes, r))
            .collect();
        pred_frame = supervised::predictions_frame(
            "eval_predictions.parquet",
            data.ids.clone(),
            vec![
                Column::new(
                    "target".into(),
                    targets.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                ),
                Column::new("fold".into(), fold),
                Column::new("gold".into(), gold),
            ],
            &out.pooled,
        )?;
    } else {
        let folds = if let Some(split) = &data.split {
            let train: Vec<bool> = split.iter().map(|s| *s == a.train_value).collect();
            let test: Vec<bool> = split.iter().map(|s| *s == a.test_value).collect();
            if !test.iter().any(|&t| t) {
                bail!(
                    "no row has {} = '{}' (--test-value)",
                    a.split_col.as_deref().unwrap_or(""),
                    a.test_value
                );
            }
            classify::cv::given_split(&train, &test)?
        } else if let Some(groups) = &data.groups {
            let g: Vec<&str> = groups.iter().map(String::as_str).collect();
            classify::cv::group_k_fold(&g, &cv)?
        } else {
            classify::cv::stratified_k_fold(labels, &cv)?
        };
        let out = p.cross_validate(&texts, labels, &folds)?;
        metrics.add("pooled", &out.truth, &out.predictions, &boot)?;
        let ids: Vec<String> = out.rows.iter().map(|&r| data.ids[r].clone()).collect();
        let gold: Vec<String> = (0..out.rows.len())
            .map(|i| supervised::gold_string(&out.truth, &out.predictions.classes, i))
            .collect();
        pred_frame = supervised::predictions_frame(
            "eval_predictions.parquet",
            ids,
            vec![
                Column::new(
                    "fold".into(),
                    out.fold_of.iter().map(|&f| f as u32).collect::<Vec<_>>(),
                ),
                Column::new("gold".into(), gold),
            ],
            &out.predictions,
        )?;
    }
    let kv = vec![("rhetor.seed".to_string(), p.params().seed.to_string())];
    dir.write_parquet("eval_metrics.parquet", &mut metrics.frame()?, &kv)?;
    let mut pf = pred_frame;
    dir.write_parquet("eval_predictions.parquet", &mut pf, &kv)?;
    let out_dir = dir.commit()?;
    // The table goes to stdout (data); the note to stderr.
    for line in metrics.summary() {
        println!("{line}");
    }
    if !cli.quiet {
        eprintln!(
            "wrote {} ({} rows skipped)",
            out_dir.display(),
            data.n_skipped
        );
    }
    Ok(0)
}

/// `rhetor predict`.
pub fn predict(a: &PredictArgs, cli: &Cli) -> Result<i32> {
    if a.out.exists() && !a.force {
        bail!(
            "'{}' already exists; choose another --out or pass --force",
            a.out.display()
        );
    }
    let model =
        ModelFile::load(&a.model).with_context(|| format!("model '{}'", a.model.display()))?;
    let data = load(&a.data, columns(&a.cols), false)?;
    let texts = data.text_refs();
    let targets = data.target_refs();
    if matches!(model.model, TrainedModel::PerTarget(_)) && targets.is_none() {
        bail!(
            "model '{}' has one model per target: give the target column with --target-col",
            a.model.display()
        );
    }
    let pred = model.predict(&texts, targets.as_deref())?;
    let mut df = supervised::predictions_frame("predictions", data.ids.clone(), Vec::new(), &pred)?;
    rhetor::export::write_parquet(&a.out, &mut df, &[])?;
    if !cli.quiet {
        eprintln!("wrote {}: {} predictions", a.out.display(), texts.len());
    }
    Ok(0)
}
