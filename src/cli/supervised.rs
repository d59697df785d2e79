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

/// Reads labelled data and reports the rows the reader skipped (every error of
/// `supervised::load` names the file already).
fn load(path: &std::path::Path, cols: DataColumns, need_labels: bool) -> Result<LabelledData> {
    let data = supervised::load(path, &cols, need_labels)?;
    for s in &data.skipped {
        eprintln!("warning: skipped '{}': {}", s.source, s.reason);
    }
    Ok(data)
}

/// 0, or [`super::EXIT_SKIPPED`] when some input rows could not be read.
fn exit_code(data: &LabelledData) -> i32 {
    if data.has_failures() {
        super::EXIT_SKIPPED
    } else {
        0
    }
}

/// `rhetor train`.
pub fn train(a: &TrainArgs, cli: &Cli) -> Result<i32> {
    rhetor::export::check_no_overlap(&a.data, &a.out, "training data")?;
    rhetor::export::check_replace_file(&a.out, a.force, rhetor::export::FileKind::Classifier)?;
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
    Ok(exit_code(&data))
}

/// `rhetor evaluate`.
pub fn evaluate(a: &EvaluateArgs, cli: &Cli) -> Result<i32> {
    if a.codebook.is_some() {
        return zero_shot(a, cli);
    }
    let p = params(&a.model)?;
    let mut cols = columns(&a.cols);
    cols.group_col = a.group_col.clone();
    cols.split_col = a.split_col.clone();
    rhetor::export::check_no_overlap(&a.data, &a.out, "data")?;
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
    Ok(exit_code(&data))
}

/// `rhetor predict`.
pub fn predict(a: &PredictArgs, cli: &Cli) -> Result<i32> {
    rhetor::export::check_no_overlap(&a.data, &a.out, "data")?;
    rhetor::export::check_no_overlap(&a.model, &a.out, "model file")?;
    rhetor::export::check_replace_file(&a.out, a.force, rhetor::export::FileKind::Parquet)?;
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
    Ok(exit_code(&data))
}

/// `rhetor evaluate --codebook`: zero-shot labels of a codebook against gold labels.
fn zero_shot(a: &EvaluateArgs, cli: &Cli) -> Result<i32> {
    use rhetor::label::{self, Codebook, LabelParams, Space};
    use std::collections::BTreeMap;
    let cb_arg = a.codebook.as_deref().unwrap_or_default();
    let cb_path = label::codebook::resolve(cb_arg, None);
    let base = Codebook::load(&cb_path)?;
    let map = match &a.label_map {
        Some(p) => supervised::LabelMap::load(p)?,
        None => supervised::LabelMap::default(),
    };
    rhetor::export::check_no_overlap(&a.data, &a.out, "data")?;
    let dim = base
        .dimension
        .first()
        .context("the codebook has no dimension")?;
    let cb_labels: Vec<String> = dim.label.iter().map(|l| l.name.clone()).collect();
    let dir = rhetor::export::RunDir::create(&a.out, a.force)?;
    let mut cols = columns(&a.cols);
    cols.split_col = a.split_col.clone();
    let data = load(&a.data, cols, true)?;
    let labels = match data.labels.as_ref() {
        Some(classify::Labels::Single(l)) => l.clone(),
        _ => bail!("--codebook evaluation needs single labels"),
    };
    // Rows to score: the test split when given, else all.
    let rows: Vec<usize> = match &data.split {
        Some(s) => (0..s.len()).filter(|&i| s[i] == a.test_value).collect(),
        None => (0..data.texts.len()).collect(),
    };
    if rows.is_empty() {
        bail!("no row to evaluate (--test-value '{}')", a.test_value);
    }
    let gold_classes: Vec<String> = {
        let mut g: Vec<String> = rows.iter().map(|&r| labels[r].clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    map.check(&dim.name, &cb_labels, &gold_classes)?;
    let unmatched = map.unmatched(&cb_labels, &gold_classes);
    if !unmatched.is_empty() && !cli.quiet {
        eprintln!(
            "warning: codebook label(s) {} match no gold label ({}) and are not in a --label-map: \
             paragraphs given them count as unsure",
            unmatched.join(", "),
            gold_classes.join(", ")
        );
    }
    let to_gold = |l: &str| map.to_gold(l, &gold_classes);
    // Group rows by target (one codebook instance per target value).
    let mut by_target: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &r in &rows {
        let t = data
            .targets
            .as_ref()
            .map(|t| t[r].clone())
            .or_else(|| a.target.clone())
            .unwrap_or_default();
        by_target.entry(t).or_default().push(r);
    }
    let lp = LabelParams::default();
    let models = rhetor::embed::transformer::fetch::default_models_dir();
    let embedder = if a.transformer {
        Some(rhetor::embed::transformer::load(
            &models,
            &Default::default(),
        )?)
    } else {
        None
    };
    let mut predicted: Vec<String> = vec![String::new(); data.texts.len()];
    let unsure = "(unsure)".to_string();
    for (target, rs) in &by_target {
        let cb = base
            .clone()
            .with_target((!target.is_empty()).then_some(target.as_str()))?;
        let texts: Vec<&str> = rs.iter().map(|&r| data.texts[r].as_str()).collect();
        let dims = match &embedder {
            Some(e) => {
                let (x, _) = e.embed(&texts)?;
                let space = Space::Dense {
                    paragraphs: x.view(),
                    embedder: e,
                };
                label::label_all(std::slice::from_ref(&cb), &texts, &space, &lp)?
            }
            None => {
                let tf = rhetor::embed::tfidf::TfidfParams::default().check()?;
                let (v, x) = tf.fit_transform(&texts)?;
                let space = Space::Tfidf {
                    vectorizer: &v,
                    x: &x,
                };
                label::label_all(std::slice::from_ref(&cb), &texts, &space, &lp)?
            }
        };
        let d = dims.first().context("the codebook has no dimension")?;
        for (i, &r) in rs.iter().enumerate() {
            predicted[r] = d.chosen[i]
                .as_deref()
                .and_then(to_gold)
                .unwrap_or_else(|| unsure.clone());
        }
    }
    let mut classes = gold_classes.clone();
    classes.push(unsure.clone());
    let idx = |s: &str| {
        classes
            .iter()
            .position(|c| c == s)
            .unwrap_or(classes.len() - 1)
    };
    let truth: Vec<usize> = rows.iter().map(|&r| idx(&labels[r])).collect();
    let pred: Vec<usize> = rows.iter().map(|&r| idx(&predicted[r])).collect();
    let report = classify::metrics::report(&truth, &pred, &classes)?;
    let gold_f1: Vec<f64> = report
        .per_class
        .iter()
        .filter(|c| c.class != unsure)
        .map(|c| c.f1)
        .collect();
    let macro_gold = gold_f1.iter().sum::<f64>() / gold_f1.len().max(1) as f64;
    let majority = {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for &r in &rows {
            *counts.entry(labels[r].as_str()).or_default() += 1;
        }
        let (maj, n) = counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, n)| (*k, *n))
            .unwrap_or(("", 0));
        let k = gold_classes.len().max(1) as f64;
        let f1_maj = 2.0 * n as f64 / (n as f64 + rows.len() as f64);
        (maj.to_string(), f1_maj / k, n as f64 / rows.len() as f64)
    };
    let n_unsure = pred.iter().filter(|&&p| p == classes.len() - 1).count();
    let mut m = MetricRows::default();
    let mut push = |metric: &str, class: Option<&str>, v: f64| {
        m.scope.push("zero_shot".into());
        m.metric.push(metric.into());
        m.class.push(class.map(str::to_string));
        m.value.push(v);
        m.ci_low.push(None);
        m.ci_high.push(None);
    };
    push("rows", None, rows.len() as f64);
    push("accuracy", None, report.accuracy);
    push("macro_f1", None, macro_gold);
    push("unsure_share", None, n_unsure as f64 / rows.len() as f64);
    if let Some(fa) = report.f_avg {
        push("f_avg", None, fa);
    }
    push("majority_macro_f1", None, majority.1);
    push("majority_accuracy", None, majority.2);
    for c in &report.per_class {
        push("f1", Some(&c.class), c.f1);
        push("support", Some(&c.class), c.support as f64);
    }
    dir.write_parquet("eval_metrics.parquet", &mut m.frame()?, &[])?;
    let ids: Vec<String> = rows.iter().map(|&r| data.ids[r].clone()).collect();
    let gold: Vec<String> = rows.iter().map(|&r| labels[r].clone()).collect();
    let preds: Vec<String> = rows.iter().map(|&r| predicted[r].clone()).collect();
    let mut pf = rhetor::export::frame(
        "eval_predictions.parquet",
        ids.len(),
        vec![
            Column::new("id".into(), ids),
            Column::new("gold".into(), gold),
            Column::new("predicted".into(), preds),
        ],
    )?;
    dir.write_parquet("eval_predictions.parquet", &mut pf, &[])?;
    let out = dir.commit()?;
    println!(
        "zero-shot {} on {} rows: accuracy {:.2}, macro-F1 (gold classes) {:.2}{}, unsure {:.1}% | majority class '{}': accuracy {:.2}, macro-F1 {:.2}",
        base.codebook.name,
        rows.len(),
        100.0 * report.accuracy,
        100.0 * macro_gold,
        report.f_avg.map(|f| format!(", F_avg {:.2}", 100.0 * f)).unwrap_or_default(),
        100.0 * n_unsure as f64 / rows.len() as f64,
        majority.0,
        100.0 * majority.2,
        100.0 * majority.1
    );
    if !cli.quiet {
        eprintln!("wrote {}", out.display());
    }
    Ok(exit_code(&data))
}
