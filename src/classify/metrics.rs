//! Classification metrics, as scikit-learn computes them with `zero_division=0`.
//!
//! * Single-label ([`report`]): accuracy; per class precision `tp / predicted`, recall
//!   `tp / support`, F1 `2·tp / (support + predicted)` (0 when a denominator is 0);
//!   macro-F1, the mean F1 over the classes that occur in the truth or the predictions
//!   (scikit-learn's default `labels`); micro-F1 over those classes (equal to accuracy);
//!   support-weighted F1; the confusion matrix (`confusion[true][predicted]`); and the
//!   SemEval-2016 Task 6 stance metric `F_avg = (F1_FAVOR + F1_AGAINST) / 2` when both
//!   classes `"FAVOR"` and `"AGAINST"` exist (`f1_score(labels=["FAVOR", "AGAINST"],
//!   average="macro")`).
//! * Multi-label ([`multilabel_report`]): per label precision/recall/F1/support; micro-F1
//!   from the summed counts; macro-F1 over *all* labels (the columns of the indicator
//!   matrix, as scikit-learn); subset accuracy; Hamming loss.
//! * Bootstrap percentile intervals ([`bootstrap_macro_f1`], [`bootstrap_f_avg`],
//!   [`bootstrap_multilabel_macro_f1`]): rows are resampled with replacement (pairs of
//!   truth and prediction, the model fixed), the metric recomputed on each resample,
//!   and the interval read from the resampled values' quantiles (linear interpolation, as
//!   `numpy.percentile`). Resample `b` uses its own generator seeded from `(seed, b)`, so
//!   the interval is the same for any number of threads.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::MetricsError;
use super::linear::mix_seed;
use super::params::BootstrapValidParams;

/// Metrics of one class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class.
    pub class: String,
    /// `tp / predicted` (0 when never predicted).
    pub precision: f64,
    /// `tp / support` (0 when absent from the truth).
    pub recall: f64,
    /// `2·tp / (support + predicted)` (0 when both are 0).
    pub f1: f64,
    /// Rows truly of the class.
    pub support: usize,
    /// Rows predicted as the class.
    pub predicted: usize,
}

/// Single-label evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The classes (rows and columns of `confusion`).
    pub classes: Vec<String>,
    /// Number of rows evaluated.
    pub rows: usize,
    /// Share of rows predicted correctly.
    pub accuracy: f64,
    /// Per class, in the order of `classes`.
    pub per_class: Vec<ClassMetrics>,
    /// Mean F1 over the classes found in the truth or the predictions.
    pub macro_f1: f64,
    /// F1 of the summed counts over those classes (equals accuracy).
    pub micro_f1: f64,
    /// Support-weighted mean F1.
    pub weighted_f1: f64,
    /// `(F1_FAVOR + F1_AGAINST) / 2` when both classes exist (SemEval-2016 Task 6).
    pub f_avg: Option<f64>,
    /// `confusion[t][p]`: rows of true class `t` predicted as `p`.
    pub confusion: Vec<Vec<usize>>,
}

/// Multi-label evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelReport {
    /// The labels.
    pub classes: Vec<String>,
    /// Number of rows evaluated.
    pub rows: usize,
    /// Per label, in the order of `classes`.
    pub per_class: Vec<ClassMetrics>,
    /// Micro-averaged precision.
    pub micro_precision: f64,
    /// Micro-averaged recall.
    pub micro_recall: f64,
    /// Micro-averaged F1.
    pub micro_f1: f64,
    /// Mean F1 over all labels.
    pub macro_f1: f64,
    /// Share of rows whose predicted set equals the true set.
    pub subset_accuracy: f64,
    /// Share of (row, label) pairs predicted wrongly.
    pub hamming_loss: f64,
}

/// A bootstrap percentile interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The metric on all the rows.
    pub estimate: f64,
    /// Lower end.
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
    /// Confidence level (e.g. 0.95).
    pub level: f64,
    /// Number of resamples.
    pub resamples: usize,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn class_metrics(class: &str, tp: usize, support: usize, predicted: usize) -> ClassMetrics {
    ClassMetrics {
        class: class.to_owned(),
        precision: ratio(tp, predicted),
        recall: ratio(tp, support),
        f1: ratio(2 * tp, support + predicted),
        support,
        predicted,
    }
}

fn check_single(truth: &[usize], predicted: &[usize], k: usize) -> Result<(), MetricsError> {
    if truth.len() != predicted.len() {
        return Err(MetricsError::LengthMismatch {
            truth: truth.len(),
            predicted: predicted.len(),
        });
    }
    if truth.is_empty() {
        return Err(MetricsError::Empty);
    }
    for (row, &index) in truth.iter().chain(predicted).enumerate() {
        if index >= k {
            return Err(MetricsError::ClassOutOfRange {
                row: row % truth.len(),
                index,
                classes: k,
            });
        }
    }
    Ok(())
}

/// Confusion counts of the rows `rows` (or all rows).
fn confusion(truth: &[usize], predicted: &[usize], k: usize, rows: Option<&[usize]>) -> Vec<usize> {
    let mut c = vec![0usize; k * k];
    match rows {
        None => truth
            .iter()
            .zip(predicted)
            .for_each(|(&t, &p)| c[t * k + p] += 1),
        Some(rows) => rows
            .iter()
            .for_each(|&r| c[truth[r] * k + predicted[r]] += 1),
    }
    c
}

/// (tp, support, predicted) per class from a flat `k × k` confusion.
fn counts(c: &[usize], k: usize) -> Vec<(usize, usize, usize)> {
    (0..k)
        .map(|j| {
            let support = (0..k).map(|p| c[j * k + p]).sum();
            let predicted = (0..k).map(|t| c[t * k + j]).sum();
            (c[j * k + j], support, predicted)
        })
        .collect()
}

fn macro_f1_of(counts: &[(usize, usize, usize)]) -> f64 {
    let present: Vec<f64> = counts
        .iter()
        .filter(|&&(_, s, p)| s + p > 0)
        .map(|&(tp, s, p)| ratio(2 * tp, s + p))
        .collect();
    if present.is_empty() {
        0.0
    } else {
        present.iter().sum::<f64>() / present.len() as f64
    }
}

/// The indices of `"FAVOR"` and `"AGAINST"` among `classes`, when both are there.
fn favor_against(classes: &[String]) -> Option<(usize, usize)> {
    let find = |name: &str| classes.iter().position(|c| c == name);
    Some((find("FAVOR")?, find("AGAINST")?))
}

fn f_avg_of(counts: &[(usize, usize, usize)], fa: (usize, usize)) -> f64 {
    let f1 = |j: usize| {
        let (tp, s, p) = counts[j];
        ratio(2 * tp, s + p)
    };
    (f1(fa.0) + f1(fa.1)) / 2.0
}

/// Evaluate single-label predictions: `truth[i]` and `predicted[i]` are indices into
/// `classes`.
pub fn report(
    truth: &[usize],
    predicted: &[usize],
    classes: &[String],
) -> Result<Report, MetricsError> {
    let k = classes.len();
    check_single(truth, predicted, k)?;
    let c = confusion(truth, predicted, k, None);
    let cnt = counts(&c, k);
    let n = truth.len();
    let per_class: Vec<ClassMetrics> = cnt
        .iter()
        .enumerate()
        .map(|(j, &(tp, s, p))| class_metrics(&classes[j], tp, s, p))
        .collect();
    let correct: usize = cnt.iter().map(|x| x.0).sum();
    let (tp_sum, s_sum, p_sum) = cnt
        .iter()
        .filter(|&&(_, s, p)| s + p > 0)
        .fold((0, 0, 0), |a, &(tp, s, p)| (a.0 + tp, a.1 + s, a.2 + p));
    let weighted_f1 = per_class
        .iter()
        .map(|m| m.f1 * m.support as f64)
        .sum::<f64>()
        / n as f64;
    Ok(Report {
        classes: classes.to_vec(),
        rows: n,
        accuracy: ratio(correct, n),
        macro_f1: macro_f1_of(&cnt),
        micro_f1: ratio(2 * tp_sum, s_sum + p_sum),
        weighted_f1,
        f_avg: favor_against(classes).map(|fa| f_avg_of(&cnt, fa)),
        per_class,
        confusion: c.chunks(k.max(1)).map(<[usize]>::to_vec).collect(),
    })
}

/// Evaluate single-label predictions given as strings; the classes are the distinct values
/// of both, sorted.
pub fn report_labels(truth: &[&str], predicted: &[&str]) -> Result<Report, MetricsError> {
    let mut classes: Vec<String> = truth
        .iter()
        .chain(predicted)
        .map(|s| (*s).to_owned())
        .collect();
    classes.sort();
    classes.dedup();
    let index = |s: &&str| classes.binary_search_by(|c| c.as_str().cmp(s)).unwrap_or(0);
    let t: Vec<usize> = truth.iter().map(index).collect();
    let p: Vec<usize> = predicted.iter().map(index).collect();
    report(&t, &p, &classes)
}

fn check_multi(
    truth: &[Vec<usize>],
    predicted: &[Vec<usize>],
    k: usize,
) -> Result<(), MetricsError> {
    if truth.len() != predicted.len() {
        return Err(MetricsError::LengthMismatch {
            truth: truth.len(),
            predicted: predicted.len(),
        });
    }
    if truth.is_empty() {
        return Err(MetricsError::Empty);
    }
    for (row, set) in truth.iter().chain(predicted).enumerate() {
        if let Some(&index) = set.iter().find(|&&c| c >= k) {
            return Err(MetricsError::ClassOutOfRange {
                row: row % truth.len(),
                index,
                classes: k,
            });
        }
    }
    Ok(())
}

/// (tp, support, predicted) per label over `rows` (or all rows); sets may be unsorted and
/// hold repeats (counted once).
fn multi_counts(
    truth: &[Vec<usize>],
    predicted: &[Vec<usize>],
    k: usize,
    rows: Option<&[usize]>,
) -> (Vec<(usize, usize, usize)>, usize, usize) {
    let mut cnt = vec![(0, 0, 0); k];
    let mut exact = 0;
    let mut wrong = 0;
    let mut t = vec![false; k];
    let mut p = vec![false; k];
    let mut visit = |r: usize| {
        t.iter_mut().for_each(|x| *x = false);
        p.iter_mut().for_each(|x| *x = false);
        truth[r].iter().for_each(|&c| t[c] = true);
        predicted[r].iter().for_each(|&c| p[c] = true);
        let mut same = true;
        for j in 0..k {
            cnt[j].0 += usize::from(t[j] && p[j]);
            cnt[j].1 += usize::from(t[j]);
            cnt[j].2 += usize::from(p[j]);
            if t[j] != p[j] {
                same = false;
                wrong += 1;
            }
        }
        exact += usize::from(same);
    };
    match rows {
        None => (0..truth.len()).for_each(&mut visit),
        Some(rows) => rows.iter().for_each(|&r| visit(r)),
    }
    (cnt, exact, wrong)
}

fn multi_macro_f1(cnt: &[(usize, usize, usize)]) -> f64 {
    if cnt.is_empty() {
        return 0.0;
    }
    cnt.iter()
        .map(|&(tp, s, p)| ratio(2 * tp, s + p))
        .sum::<f64>()
        / cnt.len() as f64
}

/// Evaluate multi-label predictions: `truth[i]` and `predicted[i]` are sets of indices into
/// `classes`.
pub fn multilabel_report(
    truth: &[Vec<usize>],
    predicted: &[Vec<usize>],
    classes: &[String],
) -> Result<MultiLabelReport, MetricsError> {
    let k = classes.len();
    check_multi(truth, predicted, k)?;
    let n = truth.len();
    let (cnt, exact, wrong) = multi_counts(truth, predicted, k, None);
    let (tp, s, p) = cnt
        .iter()
        .fold((0, 0, 0), |a, &(tp, s, p)| (a.0 + tp, a.1 + s, a.2 + p));
    Ok(MultiLabelReport {
        classes: classes.to_vec(),
        rows: n,
        per_class: cnt
            .iter()
            .enumerate()
            .map(|(j, &(tp, s, p))| class_metrics(&classes[j], tp, s, p))
            .collect(),
        micro_precision: ratio(tp, p),
        micro_recall: ratio(tp, s),
        micro_f1: ratio(2 * tp, s + p),
        macro_f1: multi_macro_f1(&cnt),
        subset_accuracy: ratio(exact, n),
        hamming_loss: if k == 0 {
            0.0
        } else {
            wrong as f64 / (n * k) as f64
        },
    })
}

/// Percentile `q ∈ [0, 1]` of sorted values, linear interpolation (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = pos - lo as f64;
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// Resample rows `params.resamples` times and summarise `stat` as an interval.
fn bootstrap<F>(n: usize, estimate: f64, params: &BootstrapValidParams, stat: F) -> Interval
where
    F: Fn(&[usize]) -> f64 + Sync,
{
    let mut values: Vec<f64> = (0..params.resamples)
        .into_par_iter()
        .map_init(
            || vec![0usize; n],
            |rows, b| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix_seed(params.seed, b as u64));
                rows.iter_mut().for_each(|r| *r = rng.gen_range(0..n));
                stat(rows)
            },
        )
        .collect();
    values.sort_by(f64::total_cmp);
    let alpha = (1.0 - params.level) / 2.0;
    Interval {
        estimate,
        lower: quantile(&values, alpha),
        upper: quantile(&values, 1.0 - alpha),
        level: params.level,
        resamples: params.resamples,
    }
}

/// Bootstrap interval of the single-label macro-F1 (classes present in each resample's
/// truth or predictions, as [`report`]).
pub fn bootstrap_macro_f1(
    truth: &[usize],
    predicted: &[usize],
    classes: &[String],
    params: &BootstrapValidParams,
) -> Result<Interval, MetricsError> {
    let k = classes.len();
    check_single(truth, predicted, k)?;
    let estimate = macro_f1_of(&counts(&confusion(truth, predicted, k, None), k));
    Ok(bootstrap(truth.len(), estimate, params, |rows| {
        macro_f1_of(&counts(&confusion(truth, predicted, k, Some(rows)), k))
    }))
}

/// Bootstrap interval of SemEval's `F_avg`; `None` when `"FAVOR"` or `"AGAINST"` is not a
/// class.
pub fn bootstrap_f_avg(
    truth: &[usize],
    predicted: &[usize],
    classes: &[String],
    params: &BootstrapValidParams,
) -> Result<Option<Interval>, MetricsError> {
    let k = classes.len();
    check_single(truth, predicted, k)?;
    let Some(fa) = favor_against(classes) else {
        return Ok(None);
    };
    let estimate = f_avg_of(&counts(&confusion(truth, predicted, k, None), k), fa);
    Ok(Some(bootstrap(truth.len(), estimate, params, |rows| {
        f_avg_of(&counts(&confusion(truth, predicted, k, Some(rows)), k), fa)
    })))
}

/// Bootstrap interval of the multi-label macro-F1 (over all labels).
pub fn bootstrap_multilabel_macro_f1(
    truth: &[Vec<usize>],
    predicted: &[Vec<usize>],
    classes: &[String],
    params: &BootstrapValidParams,
) -> Result<Interval, MetricsError> {
    let k = classes.len();
    check_multi(truth, predicted, k)?;
    let estimate = multi_macro_f1(&multi_counts(truth, predicted, k, None).0);
    Ok(bootstrap(truth.len(), estimate, params, |rows| {
        multi_macro_f1(&multi_counts(truth, predicted, k, Some(rows)).0)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::params::BootstrapParams;
    use approx::assert_abs_diff_eq;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Hand-computed: classes AGAINST(0) FAVOR(1) NONE(2).
    /// truth: A A A A F F F N N N
    /// pred:  A A F N F F A N N A
    /// confusion: A→[2,1,1] F→[1,2,0] N→[1,0,2]
    /// AGAINST: tp 2, support 4, predicted 4 → P .5 R .5 F1 .5
    /// FAVOR:   tp 2, support 3, predicted 3 → P 2/3 R 2/3 F1 2/3
    /// NONE:    tp 2, support 3, predicted 3 → F1 2/3
    /// accuracy 6/10; macro (0.5 + 2/3 + 2/3)/3 = 11/18; F_avg (0.5 + 2/3)/2 = 7/12;
    /// weighted (4·0.5 + 3·2/3 + 3·2/3)/10 = 0.6.
    #[test]
    fn single_label_hand_computed() {
        let classes = names(&["AGAINST", "FAVOR", "NONE"]);
        let t = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
        let p = [0, 0, 1, 2, 1, 1, 0, 2, 2, 0];
        let r = report(&t, &p, &classes).unwrap();
        assert_eq!(
            r.confusion,
            vec![vec![2, 1, 1], vec![1, 2, 0], vec![1, 0, 2]]
        );
        assert_abs_diff_eq!(r.accuracy, 0.6);
        assert_abs_diff_eq!(r.micro_f1, 0.6, epsilon = 1e-15);
        assert_abs_diff_eq!(r.per_class[0].precision, 0.5);
        assert_abs_diff_eq!(r.per_class[0].recall, 0.5);
        assert_abs_diff_eq!(r.per_class[1].f1, 2.0 / 3.0, epsilon = 1e-15);
        assert_eq!(r.per_class[2].support, 3);
        assert_abs_diff_eq!(r.macro_f1, 11.0 / 18.0, epsilon = 1e-15);
        assert_abs_diff_eq!(r.f_avg.unwrap(), 7.0 / 12.0, epsilon = 1e-15);
        assert_abs_diff_eq!(r.weighted_f1, 0.6, epsilon = 1e-15);
        // Same through strings.
        let ts: Vec<&str> = t.iter().map(|&i| classes[i].as_str()).collect();
        let ps: Vec<&str> = p.iter().map(|&i| classes[i].as_str()).collect();
        assert_eq!(report_labels(&ts, &ps).unwrap(), r);
    }

    /// zero_division = 0: a class never predicted has precision 0 and F1 0; a class in
    /// neither truth nor predictions is left out of the macro average (scikit-learn's
    /// default labels).
    #[test]
    fn zero_division_and_absent_classes() {
        let classes = names(&["a", "b", "c"]);
        // truth a a b b, pred a a a a: b never predicted; c absent everywhere.
        let r = report(&[0, 0, 1, 1], &[0, 0, 0, 0], &classes).unwrap();
        assert_eq!(r.per_class[1].precision, 0.0);
        assert_eq!(r.per_class[1].f1, 0.0);
        assert_eq!(r.per_class[2].f1, 0.0);
        // a: tp 2, support 2, predicted 4 → F1 4/6; macro over {a, b} = (2/3 + 0)/2.
        assert_abs_diff_eq!(r.macro_f1, 1.0 / 3.0, epsilon = 1e-15);
        assert_eq!(r.f_avg, None);
    }

    #[test]
    fn metric_input_errors() {
        let c = names(&["a", "b"]);
        assert_eq!(
            report(&[0], &[0, 1], &c).unwrap_err(),
            MetricsError::LengthMismatch {
                truth: 1,
                predicted: 2
            }
        );
        assert_eq!(report(&[], &[], &c).unwrap_err(), MetricsError::Empty);
        assert_eq!(
            report(&[0, 1], &[0, 2], &c).unwrap_err(),
            MetricsError::ClassOutOfRange {
                row: 1,
                index: 2,
                classes: 2
            }
        );
        assert!(multilabel_report(&[vec![5]], &[vec![]], &c).is_err());
    }

    /// Hand-computed multi-label case, labels x(0) y(1) z(2):
    /// truth {x,y} {x} {} {z};  pred {x} {x,y} {y} {z}
    /// x: tp 2 s 2 p 2 → F1 1; y: tp 0 s 1 p 2 → F1 0; z: tp 1 s 1 p 1 → F1 1.
    /// micro: tp 3, s 4, p 5 → P .6, R .75, F1 6/9. macro (1 + 0 + 1)/3.
    /// subset accuracy 1/4 (only {z} = {z}); Hamming loss 3/12 (y wrong in rows 0, 1, 2).
    #[test]
    fn multilabel_hand_computed() {
        let c = names(&["x", "y", "z"]);
        let t = vec![vec![0, 1], vec![0], vec![], vec![2]];
        let p = vec![vec![0], vec![0, 1], vec![1], vec![2]];
        let r = multilabel_report(&t, &p, &c).unwrap();
        assert_abs_diff_eq!(r.micro_precision, 0.6);
        assert_abs_diff_eq!(r.micro_recall, 0.75);
        assert_abs_diff_eq!(r.micro_f1, 6.0 / 9.0, epsilon = 1e-15);
        assert_abs_diff_eq!(r.macro_f1, 2.0 / 3.0, epsilon = 1e-15);
        assert_abs_diff_eq!(r.subset_accuracy, 0.25);
        assert_abs_diff_eq!(r.hamming_loss, 0.25);
        assert_eq!(r.per_class[1].predicted, 2);
        assert_eq!(r.per_class[1].f1, 0.0);
    }

    #[test]
    fn bootstrap_interval_brackets_the_estimate_and_is_seeded() {
        let classes = names(&["AGAINST", "FAVOR", "NONE"]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let t: Vec<usize> = (0..500).map(|_| rng.gen_range(0..3)).collect();
        let p: Vec<usize> = t
            .iter()
            .map(|&c| {
                if rng.gen::<f64>() < 0.7 {
                    c
                } else {
                    rng.gen_range(0..3)
                }
            })
            .collect();
        let params = BootstrapParams::default().check().unwrap();
        let iv = bootstrap_macro_f1(&t, &p, &classes, &params).unwrap();
        assert_eq!(iv.resamples, 1000);
        assert_abs_diff_eq!(iv.estimate, report(&t, &p, &classes).unwrap().macro_f1);
        assert!(iv.lower < iv.estimate && iv.estimate < iv.upper, "{iv:?}");
        // Width ≈ 2 · 1.96 · sd; for n = 500 and F1 ≈ 0.8 the sd is ≈ 0.018.
        let width = iv.upper - iv.lower;
        assert!((0.04..0.11).contains(&width), "{width}");
        // Seeded, and identical with one thread.
        let one =
            crate::test_util::in_pool(1, || bootstrap_macro_f1(&t, &p, &classes, &params).unwrap());
        assert_eq!(iv, one);
        let fa = bootstrap_f_avg(&t, &p, &classes, &params).unwrap().unwrap();
        assert!(fa.lower < fa.estimate && fa.estimate < fa.upper);
        assert!(bootstrap_f_avg(&t, &p, &names(&["a", "b", "c"]), &params)
            .unwrap()
            .is_none());
        // Perfect predictions: a degenerate interval at 1.
        let iv = bootstrap_macro_f1(&t, &t, &classes, &params).unwrap();
        assert_eq!((iv.lower, iv.estimate, iv.upper), (1.0, 1.0, 1.0));
        let tm: Vec<Vec<usize>> = t.iter().map(|&c| vec![c]).collect();
        let pm: Vec<Vec<usize>> = p.iter().map(|&c| vec![c]).collect();
        let ml = bootstrap_multilabel_macro_f1(&tm, &pm, &classes, &params).unwrap();
        assert!(ml.lower < ml.estimate && ml.estimate < ml.upper);
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert_abs_diff_eq!(quantile(&v, 0.5), 2.5);
        assert_abs_diff_eq!(quantile(&v, 0.025), 1.075, epsilon = 1e-12);
    }
}
