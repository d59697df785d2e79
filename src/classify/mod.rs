//! Supervised text classification: researchers label a sample of paragraphs, train a
//! classifier, check it on held-out data and apply it to the rest.
//!
//! * [`features`] — word and character n-gram TF-IDF blocks, stacked as scikit-learn's
//!   `FeatureUnion` (defaults: the SemEval-2016 Task 6 SVM-ngrams baseline), optionally
//!   followed by sentence embeddings.
//! * [`hashtags`] — optional hashtag rewriting (`#CamelCase` → `HT_CamelCase Camel Case`)
//!   before the n-grams are built.
//! * [`encoder`] — the sentence-embedding block: frozen, L2-normalised embeddings of a
//!   sentence-transformer model (rhetor's native encoder, cached on disk) times a weight,
//!   and the model's identity recorded in the model file.
//! * [`linear`] — linear SVM (squared hinge) and logistic regression on sparse input, by
//!   LIBLINEAR's dual coordinate descent; one-vs-rest for multi-class and multi-label.
//! * [`cv`] — stratified, grouped and given splits, and out-of-fold predictions (features
//!   are fitted on the training folds only).
//! * [`metrics`] — accuracy, per-class precision/recall/F1, macro/micro F1, SemEval's
//!   `F_avg`, confusion matrix, multi-label F1, bootstrap intervals.
//! * [`stack`] — `model = "stack"`: a TF-IDF SVM, an embedding logistic regression and a
//!   naive-Bayes-weighted TF-IDF logistic regression combined by a logistic-regression meta
//!   model on inner out-of-fold decision values.
//! * [`model`] — the versioned JSON model file.
//!
//! A [`Classifier`] is features plus a linear model; a [`PerTargetClassifier`] holds one
//! classifier per value of a target column (SemEval-2016 trains one model per target) and
//! routes each row to its target's model.
//!
//! ```
//! use rhetor::classify::{ClassifierParams, Labels};
//! let texts = ["I love it", "great, love this", "I hate it", "awful, hate this"];
//! let labels = Labels::Single(vec!["pos".into(), "pos".into(), "neg".into(), "neg".into()]);
//! let clf = ClassifierParams::default().check()?.train(&texts, &labels)?;
//! let pred = clf.predict(&["love love", "hate"]);
//! assert_eq!(pred.label(0), Some("pos"));
//! assert_eq!(pred.label(1), Some("neg"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classifier;
mod codec;
pub mod cv;
pub mod encoder;
pub mod error;
pub mod features;
pub mod hashtags;
pub mod labels;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod params;
pub mod stack;

pub use classifier::{Classifier, PerTargetClassifier, TargetModel};
pub use cv::{CvOutcome, Fold, PerTargetCv, TargetCv};
pub use encoder::{EncoderId, EncoderStats, SentenceEncoder, TransformerFeatureParams};
pub use error::{ClassifyError, ClassifyParamsError, MetricsError, ModelFileError};
pub use features::{FeatureParams, FeatureValidParams, FittedBlock, FittedFeatures};
pub use hashtags::Hashtags;
pub use linear::{Encoded, EncodedLabels, FitInfo, Labels, LinearModel, Predictions};
pub use metrics::{ClassMetrics, Interval, MultiLabelReport, Report};
pub use model::{ModelFile, TrainedModel, TrainingInfo};
pub use params::{
    BootstrapParams, BootstrapValidParams, ClassWeight, ClassifierParams, ClassifierValidParams,
    CvParams, CvValidParams, ModelKind,
};
pub use stack::{FittedStack, FittedView, StackParams, StackView};

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<&'static str>, Labels, Vec<&'static str>) {
        let texts = vec![
            "god does not exist, religion is a lie",
            "praise god, faith gives me strength",
            "religion is poison for the mind",
            "I pray to god every day",
            "the climate is changing, act now",
            "climate change is a hoax",
            "we must cut emissions now",
            "global warming is fake news",
        ];
        let labels = Labels::Single(
            [
                "AGAINST", "FAVOR", "AGAINST", "FAVOR", "FAVOR", "AGAINST", "FAVOR", "AGAINST",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        );
        let targets = vec![
            "Atheism", "Atheism", "Atheism", "Atheism", "Climate", "Climate", "Climate", "Climate",
        ];
        (texts, labels, targets)
    }

    #[test]
    fn per_target_routing_and_unknown_target() {
        let (texts, labels, targets) = toy();
        let p = ClassifierParams::default().check().unwrap();
        let m = p.train_per_target(&texts, &labels, &targets).unwrap();
        assert_eq!(m.models().len(), 2);
        assert_eq!(m.classes(), ["AGAINST", "FAVOR"]);
        let pred = m.predict(&texts, &targets).unwrap();
        // Each row's scores equal those of its own target's model.
        for (row, t) in targets.iter().enumerate() {
            let own = m.get(t).unwrap().predict(&[texts[row]]);
            assert_eq!(own.scores.row(0), pred.scores.row(row));
        }
        let e = m
            .predict(&["x", "y"], &["Atheism", "Hillary Clinton"])
            .unwrap_err();
        assert!(
            matches!(&e, ClassifyError::UnknownTarget { row: 1, target, .. } if target == "Hillary Clinton")
        );
        assert!(e.to_string().contains("\"Hillary Clinton\""), "{e}");
        assert!(m.predict(&["x"], &[]).is_err());
    }

    #[test]
    fn per_target_single_class_names_the_target() {
        let (texts, _, targets) = toy();
        let labels = Labels::Single(
            ["A", "A", "A", "A", "B", "A", "B", "A"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        let p = ClassifierParams::default().check().unwrap();
        let e = p.train_per_target(&texts, &labels, &targets).unwrap_err();
        assert_eq!(
            e,
            ClassifyError::SingleClass {
                class: "A".into(),
                target: Some("Atheism".into()),
                rows: 4
            }
        );
        assert!(e.to_string().contains("target \"Atheism\""), "{e}");
        let e = p
            .train_per_target(&texts, &labels, &["", "a", "a", "a", "a", "a", "a", "a"])
            .unwrap_err();
        assert_eq!(e, ClassifyError::EmptyTarget { row: 0 });
    }

    #[test]
    fn training_input_errors() {
        let p = ClassifierParams::default().check().unwrap();
        assert_eq!(
            p.train(&[], &Labels::Single(vec![])).unwrap_err(),
            ClassifyError::NoRows
        );
        assert!(matches!(
            p.train(&["a"], &Labels::Single(vec![])).unwrap_err(),
            ClassifyError::LengthMismatch { what: "labels", .. }
        ));
        assert!(matches!(
            p.train(
                &["aa bb", "cc dd"],
                &Labels::Single(vec!["x".into(), "x".into()])
            )
            .unwrap_err(),
            ClassifyError::SingleClass { target: None, .. }
        ));
        assert_eq!(
            p.train(&["aa", "bb"], &Labels::Multi(vec![vec![], vec![]]))
                .unwrap_err(),
            ClassifyError::NoLabels { rows: 2 }
        );
        assert_eq!(
            p.train(&["aa", "bb"], &Labels::Single(vec!["x".into(), "".into()]))
                .unwrap_err(),
            ClassifyError::EmptyLabel { row: 1 }
        );
        // Predicting nothing is fine.
        let clf = p
            .train(
                &["aa bb", "cc dd"],
                &Labels::Single(vec!["x".into(), "y".into()]),
            )
            .unwrap();
        let pred = clf.predict(&[]);
        assert!(pred.is_empty());
        assert_eq!(pred.scores.dim(), (0, 2));
    }

    /// The SemEval-2016 Task 6 train split (texts, labels, targets) from
    /// `$RHETOR_DATA/semeval2016_task6/data.jsonl` (default `../shared/data` next to the
    /// crate), or `None` (with a message) when the file is absent.
    #[allow(clippy::type_complexity)]
    fn semeval_train() -> Option<(Vec<String>, Vec<String>, Vec<String>)> {
        let dir = std::env::var("RHETOR_DATA")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data").to_owned());
        let path = std::path::Path::new(&dir).join("semeval2016_task6/data.jsonl");
        let Ok(content) = std::fs::read_to_string(&path) else {
            eprintln!("SKIP: {} is absent", path.display());
            return None;
        };
        let (mut texts, mut labels, mut targets) = (Vec::new(), Vec::new(), Vec::new());
        for line in content.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["split"] == "train" {
                texts.push(v["text"].as_str().unwrap().to_owned());
                labels.push(v["label"].as_str().unwrap().to_owned());
                targets.push(v["target"].as_str().unwrap().to_owned());
            }
        }
        Some((texts, labels, targets))
    }

    /// Same folds as scikit-learn: reads the file written by
    /// `benches/classify_sklearn.py --export PATH` (`RHETOR_SKLEARN_EXPORT=PATH`), runs the
    /// per-target cross-validation on scikit-learn's folds, and compares the out-of-fold
    /// labels, F_avg, and the decision values of the final per-target models.
    #[test]
    #[ignore = "needs the SemEval-2016 data and a scikit-learn export"]
    fn semeval_same_folds_as_sklearn() {
        use crate::classify::metrics;
        let Ok(export) = std::env::var("RHETOR_SKLEARN_EXPORT") else {
            eprintln!("SKIP: set RHETOR_SKLEARN_EXPORT");
            return;
        };
        let export: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(export).unwrap()).unwrap();
        let Some((texts, labels, targets)) = semeval_train() else {
            return;
        };
        let model = match export["model"].as_str() {
            Some("lr") => ModelKind::LogisticRegression,
            _ => ModelKind::LinearSvm,
        };
        let class_weight = match export["class_weight"].as_str() {
            Some("balanced") => ClassWeight::Balanced,
            _ => ClassWeight::Uniform,
        };
        let params = ClassifierParams {
            model,
            class_weight,
            ..Default::default()
        }
        .check()
        .unwrap();
        let (mut all_truth, mut all_ours, mut all_theirs) = (Vec::new(), Vec::new(), Vec::new());
        println!("model {model:?}, class_weight {class_weight:?}: rhetor on scikit-learn's folds");
        println!(
            "{:<36} {:>7} {:>7} {:>8} {:>12}",
            "target", "rhetor", "sklearn", "same oof", "max |Δdec|"
        );
        for (target, e) in export["targets"].as_object().unwrap() {
            let rows: Vec<usize> = (0..texts.len())
                .filter(|&i| &targets[i] == target)
                .collect();
            let tx: Vec<&str> = rows.iter().map(|&i| texts[i].as_str()).collect();
            let lb = Labels::Single(rows.iter().map(|&i| labels[i].clone()).collect());
            let n = rows.len();
            let folds: Vec<Fold> = e["folds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let test: Vec<usize> = f
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_u64().unwrap() as usize)
                        .collect();
                    let train = (0..n).filter(|r| !test.contains(r)).collect();
                    Fold { train, test }
                })
                .collect();
            let out = params.cross_validate(&tx, &lb, &folds).unwrap();
            let classes = out.predictions.classes.clone();
            let theirs: Vec<usize> = e["oof"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    classes
                        .iter()
                        .position(|c| c == v.as_str().unwrap())
                        .unwrap()
                })
                .collect();
            let Encoded::Single(truth) = &out.truth else {
                unreachable!()
            };
            let ours = &out.predictions.top;
            let same = (0..n).filter(|&i| ours[i] == theirs[i]).count();
            let f_ours = metrics::report(truth, ours, &classes)
                .unwrap()
                .f_avg
                .unwrap();
            let f_theirs = metrics::report(truth, &theirs, &classes)
                .unwrap()
                .f_avg
                .unwrap();
            let clf = params.train(&tx, &lb).unwrap();
            let dec = clf.predict(&tx).scores;
            let mut max_diff: f64 = 0.0;
            for (i, row) in e["decision"].as_array().unwrap().iter().enumerate() {
                for (c, v) in row.as_array().unwrap().iter().enumerate() {
                    max_diff = max_diff.max((dec[[i, c]] - v.as_f64().unwrap()).abs());
                }
            }
            println!(
                "{:<36} {:>7.2} {:>7.2} {:>7.2}% {:>12.2e}",
                target,
                100.0 * f_ours,
                100.0 * f_theirs,
                100.0 * same as f64 / n as f64,
                max_diff
            );
            all_truth.extend_from_slice(truth);
            all_ours.extend_from_slice(ours);
            all_theirs.extend(theirs);
        }
        let classes: Vec<String> = ["AGAINST", "FAVOR", "NONE"].map(String::from).to_vec();
        let f_ours = metrics::report(&all_truth, &all_ours, &classes).unwrap();
        let f_theirs = metrics::report(&all_truth, &all_theirs, &classes).unwrap();
        let same = (0..all_truth.len())
            .filter(|&i| all_ours[i] == all_theirs[i])
            .count();
        println!(
            "{:<36} {:>7.2} {:>7.2} {:>7.2}%",
            "pooled",
            100.0 * f_ours.f_avg.unwrap(),
            100.0 * f_theirs.f_avg.unwrap(),
            100.0 * same as f64 / all_truth.len() as f64
        );
    }

    /// SemEval-2016 Task 6, train split, per-target 5-fold stratified CV with the default
    /// features and linear SVM; prints F_avg per target and pooled, and the times, as
    /// `benches/classify_sklearn.py` does for scikit-learn. The data file is
    /// `$RHETOR_DATA/semeval2016_task6/data.jsonl` (default `../shared/data` next to the
    /// crate); skipped when absent. `RHETOR_CLASSIFY_MODEL=lr` runs logistic regression,
    /// `RHETOR_CV_SEED` sets the fold seed (default 0), `RHETOR_REPEATS` the timing runs.
    /// Run in release:
    /// `cargo test --release --lib semeval_per_target_cv -- --ignored --nocapture`.
    #[test]
    #[ignore = "needs the SemEval-2016 data; run in release"]
    fn semeval_per_target_cv() {
        use crate::classify::metrics;
        let Some((texts, labels, targets)) = semeval_train() else {
            return;
        };
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        let labels = Labels::Single(labels);
        let model = match std::env::var("RHETOR_CLASSIFY_MODEL").as_deref() {
            Ok("lr") => ModelKind::LogisticRegression,
            _ => ModelKind::LinearSvm,
        };
        let params = ClassifierParams {
            model,
            ..Default::default()
        }
        .check()
        .unwrap();
        let cv = CvParams {
            seed: std::env::var("RHETOR_CV_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            ..Default::default()
        }
        .check()
        .unwrap();
        let repeats: usize = std::env::var("RHETOR_REPEATS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3);
        let (mut cv_times, mut train_times) = (Vec::new(), Vec::new());
        let mut result = None;
        for _ in 0..repeats {
            let t0 = std::time::Instant::now();
            let out = params
                .cross_validate_per_target(&texts, &labels, &targets, &cv)
                .unwrap();
            cv_times.push(t0.elapsed().as_secs_f64());
            let t0 = std::time::Instant::now();
            let trained = params.train_per_target(&texts, &labels, &targets).unwrap();
            train_times.push(t0.elapsed().as_secs_f64());
            assert_eq!(trained.models().len(), 5);
            result = Some(out);
        }
        let out = result.unwrap();
        println!(
            "rhetor; model {model:?}; {} train rows, {} targets, {}-fold stratified CV per \
             target; {} rayon threads",
            texts.len(),
            out.targets.len(),
            cv.folds,
            rayon::current_num_threads()
        );
        println!("{:<36} {:>5} {:>7}", "target", "rows", "F_avg");
        let classes = out.pooled.classes.clone();
        for t in &out.targets {
            let Encoded::Single(truth) = &t.outcome.truth else {
                unreachable!()
            };
            let r = metrics::report(truth, &t.outcome.predictions.top, &classes).unwrap();
            let converged = t
                .outcome
                .fit_info
                .iter()
                .flatten()
                .filter(|f| f.converged)
                .count();
            let total = t.outcome.fit_info.iter().flatten().count();
            println!(
                "{:<36} {:>5} {:>7.2}   (solvers converged: {converged}/{total})",
                t.target,
                t.rows.len(),
                100.0 * r.f_avg.unwrap()
            );
        }
        let Encoded::Single(truth) = &out.truth else {
            unreachable!()
        };
        let r = metrics::report(truth, &out.pooled.top, &classes).unwrap();
        println!(
            "{:<36} {:>5} {:>7.2}",
            "pooled",
            texts.len(),
            100.0 * r.f_avg.unwrap()
        );
        println!("accuracy (pooled): {:.2}", 100.0 * r.accuracy);
        let boot = BootstrapParams::default().check().unwrap();
        let iv = metrics::bootstrap_macro_f1(truth, &out.pooled.top, &classes, &boot).unwrap();
        println!(
            "macro-F1 (pooled): {:.2}, 95% bootstrap interval [{:.2}, {:.2}]",
            100.0 * iv.estimate,
            100.0 * iv.lower,
            100.0 * iv.upper
        );
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let show = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "time cv    (25 fits + predictions): median {:.3} s  (runs: {})",
            median(&mut cv_times.clone()),
            show(&cv_times)
        );
        println!(
            "time train (5 per-target models):   median {:.3} s  (runs: {})",
            median(&mut train_times.clone()),
            show(&train_times)
        );
    }
}
