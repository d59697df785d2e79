//! Cross-validation: stratified k-fold, grouped k-fold and a given train/test split, and
//! out-of-fold predictions.
//!
//! In every fold the features (vocabulary, idf) are fitted on the training rows only, and
//! the model is trained over the classes of *all* the rows, so every fold's scores have the
//! same columns (a class missing from a fold's training rows gets an all-negative
//! sub-problem and is never predicted by that fold's model).
//!
//! * [`stratified_k_fold`] follows scikit-learn's `StratifiedKFold(shuffle=True)`: the rows
//!   of each class are dealt to the folds so that every fold holds `⌊n_c/k⌋` or `⌈n_c/k⌉`
//!   of them and the fold sizes differ by at most one overall (the allocation of
//!   `StratifiedKFold`), and which rows of a class go to which fold is a seeded shuffle
//!   (our generator, so the folds are not scikit-learn's). A class with fewer rows than
//!   folds is an **error** naming the class and its count (scikit-learn only warns, and
//!   its folds then miss the class); there is no silent fallback to fewer folds.
//!   Multi-label rows are stratified on their rarest label (rows without label form their
//!   own stratum), and every label needs at least as many rows as folds.
//! * [`group_k_fold`] follows scikit-learn's `GroupKFold`: groups, largest first (ties by
//!   name), go to the fold with the fewest rows so far (ties: the lowest fold); no group is
//!   in two folds. Fewer distinct groups than folds is an error.
//! * [`given_split`] makes one fold from train/test masks.

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::collections::BTreeMap;

use super::classifier::{check_classes, group_targets, prepare, select_rows};
use super::error::ClassifyError;
use super::labels::{Encoded, EncodedLabels, Labels, Predictions};
use super::linear::FitInfo;
use super::params::{ClassifierValidParams, CvValidParams};

/// One fold: the training rows and the test rows (0-based, ascending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    /// Rows to train on.
    pub train: Vec<usize>,
    /// Rows to predict.
    pub test: Vec<usize>,
}

/// Folds from a test-fold number per row (`None`: never tested, always trained on).
fn folds_from_assignment(test_fold: &[Option<usize>], k: usize) -> Vec<Fold> {
    (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..test_fold.len()).partition(|&r| test_fold[r] == Some(f));
            Fold { train, test }
        })
        .collect()
}

/// Stratified k-fold over `labels` (see the module docs).
pub fn stratified_k_fold(labels: &Labels, cv: &CvValidParams) -> Result<Vec<Fold>, ClassifyError> {
    let classes = labels.classes()?;
    let encoded = labels.encode(&classes)?;
    stratified_encoded(&encoded, cv, None)
}

pub(super) fn stratified_encoded(
    y: &EncodedLabels,
    cv: &CvValidParams,
    target: Option<&str>,
) -> Result<Vec<Fold>, ClassifyError> {
    let k = cv.folds;
    let n = y.len();
    if n < k {
        return Err(ClassifyError::FewerRowsThanFolds { rows: n, folds: k });
    }
    let counts = y.counts();
    for (c, &count) in counts.iter().enumerate() {
        if count > 0 && count < k {
            return Err(ClassifyError::ClassTooSmallForFolds {
                class: y.classes()[c].clone(),
                target: target.map(str::to_owned),
                count,
                folds: k,
            });
        }
    }
    // Stratum of each row: its class, or (multi-label) its rarest label; `n_classes` for
    // rows without labels.
    let n_classes = y.classes().len();
    let strata: Vec<usize> = match y.y() {
        Encoded::Single(v) => v.clone(),
        Encoded::Multi(v) => v
            .iter()
            .map(|s| {
                s.iter()
                    .copied()
                    .min_by_key(|&c| (counts[c], c))
                    .unwrap_or(n_classes)
            })
            .collect(),
    };
    let n_strata = n_classes + 1;
    // scikit-learn's allocation: deal the rows sorted by stratum to the folds round-robin
    // and count, per fold, the rows of each stratum.
    let mut sorted = strata.clone();
    sorted.sort_unstable();
    // allocation[s][f]: rows of stratum s in test fold f.
    let mut allocation = vec![vec![0usize; k]; n_strata];
    for (i, &s) in sorted.iter().enumerate() {
        allocation[s][i % k] += 1;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cv.seed);
    let mut test_fold = vec![None; n];
    for (s, per_fold) in allocation.iter().enumerate() {
        let mut folds: Vec<usize> = per_fold
            .iter()
            .enumerate()
            .flat_map(|(f, &count)| std::iter::repeat_n(f, count))
            .collect();
        folds.shuffle(&mut rng);
        let mut it = folds.into_iter();
        for (row, &st) in strata.iter().enumerate() {
            if st == s {
                test_fold[row] = it.next();
            }
        }
    }
    Ok(folds_from_assignment(&test_fold, k))
}

/// Grouped k-fold: `groups[i]` is the group of row `i` (see the module docs).
pub fn group_k_fold(groups: &[&str], cv: &CvValidParams) -> Result<Vec<Fold>, ClassifyError> {
    let k = cv.folds;
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for g in groups {
        *sizes.entry(g).or_default() += 1;
    }
    if sizes.len() < k {
        return Err(ClassifyError::FewerGroupsThanFolds {
            groups: sizes.len(),
            folds: k,
        });
    }
    let mut order: Vec<(&str, usize)> = sizes.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut fold_rows = vec![0usize; k];
    let mut fold_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (g, size) in order {
        let lightest = (0..k).min_by_key(|&f| (fold_rows[f], f)).unwrap_or(0);
        fold_rows[lightest] += size;
        fold_of.insert(g, lightest);
    }
    let test_fold: Vec<Option<usize>> = groups.iter().map(|g| fold_of.get(g).copied()).collect();
    Ok(folds_from_assignment(&test_fold, k))
}

/// One fold from masks: rows with `train[i]` are trained on, rows with `test[i]` predicted,
/// rows with neither are left out. A row in both, masks of different lengths, or an empty
/// side are errors.
pub fn given_split(train: &[bool], test: &[bool]) -> Result<Vec<Fold>, ClassifyError> {
    if train.len() != test.len() {
        return Err(ClassifyError::LengthMismatch {
            what: "test mask",
            expected: train.len(),
            got: test.len(),
        });
    }
    if let Some(row) = (0..train.len()).find(|&r| train[r] && test[r]) {
        return Err(ClassifyError::RowInBothSplits { row });
    }
    let fold = Fold {
        train: (0..train.len()).filter(|&r| train[r]).collect(),
        test: (0..test.len()).filter(|&r| test[r]).collect(),
    };
    if fold.train.is_empty() {
        return Err(ClassifyError::EmptySplit { part: "training" });
    }
    if fold.test.is_empty() {
        return Err(ClassifyError::EmptySplit { part: "test" });
    }
    Ok(vec![fold])
}

/// Out-of-fold predictions of a cross-validation.
#[derive(Clone, Debug)]
pub struct CvOutcome {
    /// The folds used.
    pub folds: Vec<Fold>,
    /// The rows that were predicted (ascending): every row for k-fold, the test rows of a
    /// given split.
    pub rows: Vec<usize>,
    /// Fold of each predicted row (parallel to `rows`).
    pub fold_of: Vec<usize>,
    /// Predictions of the predicted rows (row `i` is row `rows[i]` of the data), each by
    /// the model of the fold that held it out.
    pub predictions: Predictions,
    /// The true labels of the predicted rows, over `predictions.classes`.
    pub truth: Encoded,
    /// How the solvers of each fold's model ended.
    pub fit_info: Vec<Vec<FitInfo>>,
}

/// Per-target cross-validation: one [`CvOutcome`] per target and the pooled out-of-fold
/// predictions of all rows.
#[derive(Clone, Debug)]
pub struct PerTargetCv {
    /// Per target, sorted by target.
    pub targets: Vec<TargetCv>,
    /// Every row's out-of-fold prediction, in row order (row `i` is row `i` of the data).
    pub pooled: Predictions,
    /// Every row's true labels, over `pooled.classes`.
    pub truth: Encoded,
}

/// The cross-validation of one target.
#[derive(Clone, Debug)]
pub struct TargetCv {
    /// The target value.
    pub target: String,
    /// The data rows of this target (ascending); the outcome's rows and folds index into
    /// this list.
    pub rows: Vec<usize>,
    /// The target's out-of-fold predictions.
    pub outcome: CvOutcome,
}

/// Check that folds index the data, have both sides, never hold a row on both sides, and
/// test each row at most once.
fn check_folds(folds: &[Fold], n: usize) -> Result<(), ClassifyError> {
    if folds.is_empty() {
        return Err(ClassifyError::EmptySplit { part: "test" });
    }
    let mut tested: Vec<Option<usize>> = vec![None; n];
    let mut in_test = vec![false; n];
    for (f, fold) in folds.iter().enumerate() {
        for &row in fold.train.iter().chain(&fold.test) {
            if row >= n {
                return Err(ClassifyError::FoldRowOutOfRange {
                    fold: f,
                    row,
                    rows: n,
                });
            }
        }
        if fold.train.is_empty() {
            return Err(ClassifyError::EmptySplit { part: "training" });
        }
        if fold.test.is_empty() {
            return Err(ClassifyError::EmptySplit { part: "test" });
        }
        in_test.iter_mut().for_each(|t| *t = false);
        fold.test.iter().for_each(|&r| in_test[r] = true);
        if let Some(&row) = fold.train.iter().find(|&&r| in_test[r]) {
            return Err(ClassifyError::RowInBothSplits { row });
        }
        for &row in &fold.test {
            if let Some(first) = tested[row] {
                return Err(ClassifyError::RowTestedTwice {
                    row,
                    first,
                    second: f,
                });
            }
            tested[row] = Some(f);
        }
    }
    Ok(())
}

impl ClassifierValidParams {
    /// Cross-validate on `texts` and `labels` over the given folds (from
    /// [`stratified_k_fold`], [`group_k_fold`], [`given_split`] or your own): per fold, fit
    /// the features and the model on the training rows and predict the test rows. A row
    /// may be in a fold's training set and in another fold's test set, never in both of one
    /// fold. With a sentence-embedding block every text is embedded once (with the attached
    /// model, through its cache), then each fold uses its rows' vectors.
    pub fn cross_validate(
        &self,
        texts: &[&str],
        labels: &Labels,
        folds: &[Fold],
    ) -> Result<CvOutcome, ClassifyError> {
        let encoded = prepare(texts, labels)?;
        let dense = self.embed(texts)?;
        self.cross_validate_encoded(
            texts,
            dense.as_ref().map(Array2::view),
            &encoded,
            folds.to_vec(),
        )
    }

    fn cross_validate_encoded(
        &self,
        texts: &[&str],
        dense: Option<ArrayView2<'_, f32>>,
        y: &EncodedLabels,
        folds: Vec<Fold>,
    ) -> Result<CvOutcome, ClassifyError> {
        let n = texts.len();
        check_folds(&folds, n)?;
        let lr = self.model.has_probabilities();
        let multi = matches!(y.y(), Encoded::Multi(_));
        let mut all = Predictions::zeros(y.classes().to_vec(), multi, lr, n);
        let mut fold_of_row = vec![None; n];
        let mut fit_info = Vec::with_capacity(folds.len());
        // Folds run in parallel; each is independent and deterministic, and the first
        // error in fold order is reported.
        let results: Vec<Result<(Predictions, Vec<FitInfo>), ClassifyError>> = folds
            .par_iter()
            .map(|fold| {
                let train_texts: Vec<&str> = fold.train.iter().map(|&r| texts[r]).collect();
                let train_dense = select_rows(dense, &fold.train);
                let clf = self.train_encoded(
                    &train_texts,
                    train_dense.as_ref().map(Array2::view),
                    &y.subset(&fold.train),
                )?;
                let test_texts: Vec<&str> = fold.test.iter().map(|&r| texts[r]).collect();
                let test_dense = select_rows(dense, &fold.test);
                let pred = clf.predict_with(&test_texts, test_dense.as_ref().map(Array2::view))?;
                Ok((pred, clf.model.fit_info))
            })
            .collect();
        for (f, (fold, result)) in folds.iter().zip(results).enumerate() {
            let (part, info) = result?;
            all.scatter(&fold.test, &part);
            for &r in &fold.test {
                fold_of_row[r] = Some(f);
            }
            fit_info.push(info);
        }
        let rows: Vec<usize> = (0..n).filter(|&r| fold_of_row[r].is_some()).collect();
        let predictions = if rows.len() == n {
            all
        } else {
            let mut p = Predictions::zeros(y.classes().to_vec(), multi, lr, rows.len());
            let sub = select(&all, &rows);
            p.scatter(&(0..rows.len()).collect::<Vec<_>>(), &sub);
            p
        };
        Ok(CvOutcome {
            fold_of: rows.iter().filter_map(|&r| fold_of_row[r]).collect(),
            truth: y.subset(&rows).y().clone(),
            rows,
            folds,
            predictions,
            fit_info,
        })
    }

    /// Stratified k-fold cross-validation of one model per target (`targets[i]` is the
    /// target of row `i`), each target's rows split on their own with the same seed, as
    /// [`ClassifierValidParams::train_per_target`] would train them; the pooled predictions
    /// cover every row. Errors name the target (a class with fewer rows than folds, a
    /// single class). With a sentence-embedding block every text is embedded once.
    pub fn cross_validate_per_target(
        &self,
        texts: &[&str],
        labels: &Labels,
        targets: &[&str],
        cv: &CvValidParams,
    ) -> Result<PerTargetCv, ClassifyError> {
        let encoded = prepare(texts, labels)?;
        let groups = group_targets(targets, texts.len())?;
        let n = texts.len();
        let lr = self.model.has_probabilities();
        let multi = labels.is_multi_label();
        let mut pooled = Predictions::zeros(encoded.classes().to_vec(), multi, lr, n);
        let groups: Vec<(String, Vec<usize>)> = groups.into_iter().collect();
        let dense = self.embed(texts)?;
        // Targets run in parallel (independent, deterministic); the first error in target
        // order is reported.
        let results: Vec<Result<TargetCv, ClassifyError>> = groups
            .into_par_iter()
            .map(|(target, rows)| {
                let y = encoded.subset(&rows);
                check_classes(&y, Some(&target))?;
                let folds = stratified_encoded(&y, cv, Some(&target))?;
                let sub: Vec<&str> = rows.iter().map(|&r| texts[r]).collect();
                let sub_dense = select_rows(dense.as_ref().map(Array2::view), &rows);
                let outcome = self.cross_validate_encoded(
                    &sub,
                    sub_dense.as_ref().map(Array2::view),
                    &y,
                    folds,
                )?;
                Ok(TargetCv {
                    target,
                    rows,
                    outcome,
                })
            })
            .collect();
        let mut out = Vec::with_capacity(results.len());
        for result in results {
            let t = result?;
            let global: Vec<usize> = t.outcome.rows.iter().map(|&r| t.rows[r]).collect();
            pooled.scatter(&global, &t.outcome.predictions);
            out.push(t);
        }
        Ok(PerTargetCv {
            targets: out,
            pooled,
            truth: encoded.y().clone(),
        })
    }
}

/// Rows `rows` of `p`.
fn select(p: &Predictions, rows: &[usize]) -> Predictions {
    Predictions {
        classes: p.classes.clone(),
        multi_label: p.multi_label,
        scores: p.scores.select(ndarray::Axis(0), rows),
        probabilities: p
            .probabilities
            .as_ref()
            .map(|a| a.select(ndarray::Axis(0), rows)),
        top: rows.iter().map(|&r| p.top[r]).collect(),
        assigned: rows.iter().map(|&r| p.assigned[r].clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::params::{ClassifierParams, CvParams};

    fn labels(v: &[&str]) -> Labels {
        Labels::Single(v.iter().map(|s| s.to_string()).collect())
    }

    fn cv(folds: usize, seed: u64) -> CvValidParams {
        CvParams { folds, seed }.check().unwrap()
    }

    #[test]
    fn stratified_folds_partition_rows_and_balance_classes() {
        // 13 "a", 7 "b", 5 "c".
        let mut v = vec!["a"; 13];
        v.extend(vec!["b"; 7]);
        v.extend(vec!["c"; 5]);
        let l = labels(&v);
        let folds = stratified_k_fold(&l, &cv(5, 3)).unwrap();
        assert_eq!(folds.len(), 5);
        let mut seen = vec![0; v.len()];
        for f in &folds {
            assert_eq!(f.train.len() + f.test.len(), v.len());
            assert!(f.train.iter().all(|r| !f.test.contains(r)));
            for &r in &f.test {
                seen[r] += 1;
            }
            assert_eq!(f.test.len(), 5);
            let count = |c: &str| f.test.iter().filter(|&&r| v[r] == c).count();
            assert!((2..=3).contains(&count("a")));
            assert!((1..=2).contains(&count("b")));
            assert_eq!(count("c"), 1);
        }
        assert!(seen.iter().all(|&s| s == 1));
        // Seeded: same seed, same folds; another seed, other folds.
        assert_eq!(folds, stratified_k_fold(&l, &cv(5, 3)).unwrap());
        assert_ne!(folds, stratified_k_fold(&l, &cv(5, 4)).unwrap());
    }

    #[test]
    fn stratified_errors_name_the_class() {
        let l = labels(&["a", "a", "a", "b", "b"]);
        let e = stratified_k_fold(&l, &cv(3, 0)).unwrap_err();
        assert_eq!(
            e,
            ClassifyError::ClassTooSmallForFolds {
                class: "b".into(),
                target: None,
                count: 2,
                folds: 3
            }
        );
        assert!(e.to_string().contains("class \"b\" has 2 rows"), "{e}");
        let e = stratified_k_fold(&labels(&["a", "b"]), &cv(3, 0)).unwrap_err();
        assert_eq!(e, ClassifyError::FewerRowsThanFolds { rows: 2, folds: 3 });
    }

    #[test]
    fn multilabel_stratification_by_rarest_label() {
        let rows: Vec<Vec<String>> = (0..12)
            .map(|i| match i % 4 {
                0 => vec!["x".into(), "y".into()],
                1 => vec!["x".into()],
                2 => vec![],
                _ => vec!["y".into(), "x".into()],
            })
            .collect();
        let folds = stratified_k_fold(&Labels::Multi(rows), &cv(3, 1)).unwrap();
        for f in &folds {
            assert_eq!(f.test.len(), 4);
        }
    }

    #[test]
    fn group_folds_keep_groups_together_and_balance_sizes() {
        let groups = ["g1", "g1", "g1", "g2", "g2", "g3", "g4", "g4", "g5"];
        let folds = group_k_fold(&groups, &cv(3, 0)).unwrap();
        let mut sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
        sizes.sort();
        // Greedy: g1 (3) → f0, g2 (2) → f1, g4 (2) → f2, g3 (1) → f1, g5 (1) → f2.
        assert_eq!(sizes, vec![3, 3, 3]);
        for f in &folds {
            for g in ["g1", "g2", "g3", "g4", "g5"] {
                let in_test = f.test.iter().any(|&r| groups[r] == g);
                let in_train = f.train.iter().any(|&r| groups[r] == g);
                assert!(!(in_test && in_train), "{g} on both sides");
            }
        }
        let e = group_k_fold(&["a", "b", "a"], &cv(3, 0)).unwrap_err();
        assert_eq!(
            e,
            ClassifyError::FewerGroupsThanFolds {
                groups: 2,
                folds: 3
            }
        );
    }

    #[test]
    fn given_split_rules() {
        let f = given_split(&[true, false, true, false], &[false, true, false, false]).unwrap();
        assert_eq!(
            f,
            vec![Fold {
                train: vec![0, 2],
                test: vec![1]
            }]
        );
        assert_eq!(
            given_split(&[true, true], &[false, true]).unwrap_err(),
            ClassifyError::RowInBothSplits { row: 1 }
        );
        assert_eq!(
            given_split(&[true, false], &[false, false]).unwrap_err(),
            ClassifyError::EmptySplit { part: "test" }
        );
        assert!(given_split(&[true], &[false, true]).is_err());
    }

    #[test]
    fn cross_validation_fits_features_on_training_rows_only() {
        // If the features were fitted on all rows, the test row's words would be in the
        // vocabulary and the idf (n_docs = 5) would change every training row's values, so
        // the out-of-fold scores would differ from those of a model trained on the four
        // training rows alone. They are bit-identical, and the test row (unseen words only)
        // scores exactly the intercept.
        let texts = [
            "good good fine",
            "bad bad awful",
            "good nice fine",
            "bad awful poor",
            "zebra quagga",
        ];
        let l = labels(&["p", "n", "p", "n", "p"]);
        let params = ClassifierParams {
            features: crate::classify::FeatureParams {
                char: None,
                ..Default::default()
            },
            ..Default::default()
        }
        .check()
        .unwrap();
        let folds = given_split(
            &[true, true, true, true, false],
            &[false, false, false, false, true],
        )
        .unwrap();
        let out = params.cross_validate(&texts, &l, &folds).unwrap();
        assert_eq!(out.rows, vec![4]);
        let clf = params
            .train(&texts[..4], &labels(&["p", "n", "p", "n"]))
            .unwrap();
        let alone = clf.predict(&[texts[4]]);
        assert_eq!(out.predictions.scores, alone.scores);
        assert_eq!(
            out.predictions.scores[[0, 1]],
            clf.model().intercept()[0],
            "unseen words only: the score is the intercept"
        );
        assert_eq!(out.truth, Encoded::Single(vec![1]));
    }

    #[test]
    fn out_of_fold_predictions_cover_every_row() {
        let texts: Vec<String> = (0..30)
            .map(|i| {
                if i % 3 == 0 {
                    format!("happy joy love {i}")
                } else if i % 3 == 1 {
                    format!("sad grief pain {i}")
                } else {
                    format!("table chair wood {i}")
                }
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let l = labels(
            &(0..30)
                .map(|i| ["pos", "neg", "none"][i % 3])
                .collect::<Vec<_>>(),
        );
        let params = ClassifierParams::default().check().unwrap();
        let folds = stratified_k_fold(&l, &cv(5, 0)).unwrap();
        let out = params.cross_validate(&refs, &l, &folds).unwrap();
        assert_eq!(out.rows, (0..30).collect::<Vec<_>>());
        assert_eq!(out.predictions.len(), 30);
        let Encoded::Single(truth) = &out.truth else {
            panic!()
        };
        let correct = (0..30)
            .filter(|&i| out.predictions.top[i] == truth[i])
            .count();
        assert!(correct >= 27, "{correct}");
        // Overlapping folds are rejected.
        let bad = vec![
            Fold {
                train: vec![0, 1],
                test: vec![2],
            },
            Fold {
                train: vec![0, 1],
                test: vec![2],
            },
        ];
        assert_eq!(
            params.cross_validate(&refs, &l, &bad).unwrap_err(),
            ClassifyError::RowTestedTwice {
                row: 2,
                first: 0,
                second: 1
            }
        );
        assert_eq!(
            params.cross_validate(&refs, &l, &[]).unwrap_err(),
            ClassifyError::EmptySplit { part: "test" }
        );
        let bad = vec![Fold {
            train: vec![0, 99],
            test: vec![2],
        }];
        assert!(matches!(
            params.cross_validate(&refs, &l, &bad).unwrap_err(),
            ClassifyError::FoldRowOutOfRange { row: 99, .. }
        ));
    }

    #[test]
    fn per_target_cv_is_identical_for_any_thread_count_and_multilabel_works() {
        let words = ["alpha", "beta", "gamma", "delta", "omega", "sigma"];
        let texts: Vec<String> = (0..60)
            .map(|i| format!("{} {} x{}", words[i % 6], words[(i / 6) % 6], i % 7))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let l = labels(
            &(0..60)
                .map(|i| ["FAVOR", "AGAINST", "NONE"][i % 3])
                .collect::<Vec<_>>(),
        );
        let targets: Vec<&str> = (0..60).map(|i| if i < 30 { "t1" } else { "t2" }).collect();
        let params = ClassifierParams::default().check().unwrap();
        let (a, b) = crate::test_util::on_1_and_n_threads(4, || {
            params
                .cross_validate_per_target(&refs, &l, &targets, &cv(5, 0))
                .unwrap()
        });
        assert_eq!(a.pooled, b.pooled);
        assert_eq!(a.targets.len(), 2);
        assert_eq!(a.pooled.len(), 60);
        // Every pooled row is the out-of-fold prediction of its own target's CV.
        for t in &a.targets {
            for (i, &r) in t.outcome.rows.iter().enumerate() {
                let global = t.rows[r];
                assert_eq!(
                    a.pooled.scores.row(global),
                    t.outcome.predictions.scores.row(i)
                );
            }
        }
        // Too few rows of a class within one target: the error names class and target.
        let mut few: Vec<&str> = (0..60)
            .map(|i| ["FAVOR", "AGAINST", "NONE"][i % 3])
            .collect();
        for (i, f) in few.iter_mut().enumerate().take(30) {
            if *f == "NONE" && i > 6 {
                *f = "FAVOR";
            }
        }
        let e = params
            .cross_validate_per_target(&refs, &labels(&few), &targets, &cv(5, 0))
            .unwrap_err();
        assert_eq!(
            e,
            ClassifyError::ClassTooSmallForFolds {
                class: "NONE".into(),
                target: Some("t1".into()),
                count: 2,
                folds: 5
            }
        );
        // Multi-label cross-validation.
        let ml = Labels::Multi(
            (0..60)
                .map(|i| {
                    let mut s = Vec::new();
                    if i % 6 < 3 {
                        s.push("first-half".to_string());
                    }
                    if i % 2 == 0 {
                        s.push("even".to_string());
                    }
                    s
                })
                .collect(),
        );
        let folds = stratified_k_fold(&ml, &cv(3, 0)).unwrap();
        let out = params.cross_validate(&refs, &ml, &folds).unwrap();
        assert!(out.predictions.multi_label);
        assert_eq!(out.predictions.classes, ["even", "first-half"]);
        let Encoded::Multi(truth) = &out.truth else {
            panic!()
        };
        let r = crate::classify::metrics::multilabel_report(
            truth,
            &out.predictions.assigned,
            &out.predictions.classes,
        )
        .unwrap();
        assert!(r.micro_f1 > 0.5, "{r:?}");
    }
}
