//! `rhetor evaluate --codebook`: a codebook's zero-shot labels scored against gold labels,
//! with the majority-class baseline beside them.

use super::{LabelMap, LabelledData, MetricRows, SupervisedError};
use crate::classify;
use crate::embed::transformer::Embedder;
use crate::label::{self, Codebook, LabelParams, Space};
use polars::prelude::*;
use std::collections::BTreeMap;

/// What to evaluate.
pub struct ZeroShotSpec<'a> {
    /// The codebook (its first dimension is evaluated); `{target}` is filled per row.
    pub codebook: &'a Codebook,
    /// Codebook label → gold label.
    pub map: &'a LabelMap,
    /// With a split column, the rows whose split is this value are scored; else all rows.
    pub test_value: &'a str,
    /// The stance target for rows without a target column.
    pub target: Option<&'a str>,
    /// Sentence embeddings for prototypes; `None` = TF-IDF fitted on the scored rows.
    pub embedder: Option<&'a Embedder>,
}

/// The result of a zero-shot evaluation.
pub struct ZeroShot {
    /// `eval_metrics.parquet` (scope `zero_shot`).
    pub metrics: MetricRows,
    /// `eval_predictions.parquet`: id, gold, predicted.
    pub predictions: DataFrame,
    /// One line for the terminal: accuracy, macro-F1, unsure share and the majority baseline.
    pub summary: String,
    /// Codebook labels that match no gold label and are not mapped (they count as unsure).
    pub unmatched: Vec<String>,
    /// The gold labels of the scored rows.
    pub gold_classes: Vec<String>,
}

/// Labels the rows of `data` with the codebook and scores them against the gold labels.
pub fn zero_shot(
    data: &LabelledData,
    spec: &ZeroShotSpec<'_>,
) -> Result<ZeroShot, SupervisedError> {
    let base = spec.codebook;
    let dim = base
        .dimension
        .first()
        .ok_or_else(|| SupervisedError::NoDimension(base.codebook.name.clone()))?;
    let cb_labels: Vec<String> = dim.label.iter().map(|l| l.name.clone()).collect();
    let labels = match data.labels.as_ref() {
        Some(classify::Labels::Single(l)) => l.clone(),
        Some(_) => return Err(SupervisedError::NotSingleLabel),
        None => return Err(SupervisedError::NoLabels),
    };
    // Rows to score: the test split when given, else all.
    let rows: Vec<usize> = match &data.split {
        Some(s) => (0..s.len()).filter(|&i| s[i] == spec.test_value).collect(),
        None => (0..data.texts.len()).collect(),
    };
    if rows.is_empty() {
        return Err(SupervisedError::NothingToEvaluate(
            spec.test_value.to_string(),
        ));
    }
    let gold_classes: Vec<String> = {
        let mut g: Vec<String> = rows.iter().map(|&r| labels[r].clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    spec.map.check(&dim.name, &cb_labels, &gold_classes)?;
    let unmatched = spec.map.unmatched(&cb_labels, &gold_classes);
    let to_gold = |l: &str| spec.map.to_gold(l, &gold_classes);
    // Group rows by target (one codebook instance per target value).
    let mut by_target: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &r in &rows {
        let t = data
            .targets
            .as_ref()
            .map(|t| t[r].clone())
            .or_else(|| spec.target.map(str::to_string))
            .unwrap_or_default();
        by_target.entry(t).or_default().push(r);
    }
    let lp = LabelParams::default();
    let mut predicted: Vec<String> = vec![String::new(); data.texts.len()];
    let unsure = "(unsure)".to_string();
    for (target, rs) in &by_target {
        let cb = base
            .clone()
            .with_target((!target.is_empty()).then_some(target.as_str()))?;
        let texts: Vec<&str> = rs.iter().map(|&r| data.texts[r].as_str()).collect();
        let dims = match spec.embedder {
            Some(e) => {
                let (x, _) = e.embed(&texts)?;
                let space = Space::Dense {
                    paragraphs: x.view(),
                    embedder: e,
                };
                label::label_all(std::slice::from_ref(&cb), &texts, &space, &lp)?
            }
            None => {
                let tf = crate::embed::tfidf::TfidfParams::default()
                    .check()
                    .map_err(|e| SupervisedError::Params(e.to_string()))?;
                let (v, x) = tf.fit_transform(&texts)?;
                let space = Space::Tfidf {
                    vectorizer: &v,
                    x: &x,
                };
                label::label_all(std::slice::from_ref(&cb), &texts, &space, &lp)?
            }
        };
        let d = dims
            .first()
            .ok_or_else(|| SupervisedError::NoDimension(base.codebook.name.clone()))?;
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
    let ids: Vec<String> = rows.iter().map(|&r| data.ids[r].clone()).collect();
    let gold: Vec<String> = rows.iter().map(|&r| labels[r].clone()).collect();
    let preds: Vec<String> = rows.iter().map(|&r| predicted[r].clone()).collect();
    let predictions = crate::export::frame(
        "eval_predictions.parquet",
        ids.len(),
        vec![
            Column::new("id".into(), ids),
            Column::new("gold".into(), gold),
            Column::new("predicted".into(), preds),
        ],
    )?;
    let summary = format!(
        "zero-shot {} on {} rows: accuracy {:.2}, macro-F1 (gold classes) {:.2}{}, unsure {:.1}% | majority class '{}': accuracy {:.2}, macro-F1 {:.2}",
        base.codebook.name,
        rows.len(),
        100.0 * report.accuracy,
        100.0 * macro_gold,
        report
            .f_avg
            .map(|f| format!(", F_avg {:.2}", 100.0 * f))
            .unwrap_or_default(),
        100.0 * n_unsure as f64 / rows.len() as f64,
        majority.0,
        100.0 * majority.2,
        100.0 * majority.1
    );
    Ok(ZeroShot {
        metrics: m,
        predictions,
        summary,
        unmatched: unmatched.into_iter().map(str::to_string).collect(),
        gold_classes,
    })
}
