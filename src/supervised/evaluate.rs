//! `rhetor evaluate` with a classifier: out-of-fold predictions (stratified k-fold, grouped
//! k-fold, a given train/test split, or per target) and their metrics with bootstrap
//! intervals.

use super::{gold_string, predictions_frame, LabelledData, MetricRows, SupervisedError};
use crate::classify::{self, BootstrapParams, ClassifierValidParams, CvParams};
use polars::prelude::*;

/// How rows are split into training and test folds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FoldScheme {
    /// Stratified k-fold on the labels (per target when the data has targets).
    Stratified {
        /// Number of folds.
        folds: usize,
    },
    /// Grouped k-fold: rows sharing the data's group value stay in one fold.
    Grouped {
        /// Number of folds.
        folds: usize,
    },
    /// The data's split column: rows with `train` train, rows with `test` are scored.
    Split {
        /// The split column's name (for messages).
        column: String,
        /// Value of the training rows.
        train: String,
        /// Value of the test rows.
        test: String,
    },
}

impl FoldScheme {
    fn folds(&self) -> usize {
        match self {
            FoldScheme::Stratified { folds } | FoldScheme::Grouped { folds } => *folds,
            FoldScheme::Split { .. } => 2,
        }
    }
}

/// The result of an evaluation: the metrics table and the out-of-fold predictions table.
pub struct Evaluation {
    /// `eval_metrics.parquet`.
    pub metrics: MetricRows,
    /// `eval_predictions.parquet`.
    pub predictions: DataFrame,
}

/// Cross-validates classifier `p` on `data` with `scheme` (the classifier's seed drives the
/// folds and the bootstrap).
pub fn cross_validate(
    p: &ClassifierValidParams,
    data: &LabelledData,
    scheme: &FoldScheme,
) -> Result<Evaluation, SupervisedError> {
    let texts = data.text_refs();
    let labels = data.labels.as_ref().ok_or(SupervisedError::NoLabels)?;
    let seed = p.params().seed;
    let cv = CvParams {
        folds: scheme.folds(),
        seed,
    }
    .check()
    .map_err(|e| SupervisedError::Params(format!("--folds: {e}")))?;
    let boot = BootstrapParams {
        seed,
        ..Default::default()
    }
    .check()
    .map_err(|e| SupervisedError::Params(format!("bootstrap: {e}")))?;
    let mut metrics = MetricRows::default();
    if let Some(targets) = data.target_refs() {
        if !matches!(scheme, FoldScheme::Stratified { .. }) {
            return Err(SupervisedError::TargetWithFolds);
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
            .map(|r| gold_string(&out.truth, &out.pooled.classes, r))
            .collect();
        let predictions = predictions_frame(
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
        return Ok(Evaluation {
            metrics,
            predictions,
        });
    }
    let folds = match (scheme, &data.split, &data.groups) {
        (
            FoldScheme::Split {
                column,
                train,
                test,
            },
            Some(split),
            _,
        ) => {
            let tr: Vec<bool> = split.iter().map(|s| s == train).collect();
            let te: Vec<bool> = split.iter().map(|s| s == test).collect();
            if !te.iter().any(|&t| t) {
                return Err(SupervisedError::NoTestRows {
                    column: column.clone(),
                    value: test.clone(),
                });
            }
            classify::cv::given_split(&tr, &te)?
        }
        (FoldScheme::Grouped { .. }, _, Some(groups)) => {
            let g: Vec<&str> = groups.iter().map(String::as_str).collect();
            classify::cv::group_k_fold(&g, &cv)?
        }
        _ => classify::cv::stratified_k_fold(labels, &cv)?,
    };
    let out = p.cross_validate(&texts, labels, &folds)?;
    metrics.add("pooled", &out.truth, &out.predictions, &boot)?;
    let ids: Vec<String> = out.rows.iter().map(|&r| data.ids[r].clone()).collect();
    let gold: Vec<String> = (0..out.rows.len())
        .map(|i| gold_string(&out.truth, &out.predictions.classes, i))
        .collect();
    let predictions = predictions_frame(
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
    Ok(Evaluation {
        metrics,
        predictions,
    })
}
