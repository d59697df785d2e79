use super::*;
use crate::test_util::on_1_and_n_threads;
use approx::assert_abs_diff_eq;

/// Tolerance against the Python package `krippendorff` 0.9.0.
const TOL: f64 = 1e-9;

/// Data from rows of optional values.
fn data(n_values: usize, rows: &[&[Option<u32>]]) -> ReliabilityData {
    let n_units = rows.first().map_or(0, |r| r.len());
    let cells = rows.iter().flat_map(|r| r.iter().copied()).collect();
    ReliabilityData::new(rows.len(), n_units, n_values, cells).unwrap()
}

/// The package's docstring example (Krippendorff's textbook data: 3 coders, 15 units, values
/// 1..=4, shifted here to indices 0..4; `None` where the package has `np.nan`).
fn textbook() -> ReliabilityData {
    const N: Option<u32> = None;
    let v = |x: u32| Some(x - 1);
    data(
        4,
        &[
            &[
                N,
                N,
                N,
                N,
                N,
                v(3),
                v(4),
                v(1),
                v(2),
                v(1),
                v(1),
                v(3),
                v(3),
                N,
                v(3),
            ],
            &[
                v(1),
                N,
                v(2),
                v(1),
                v(3),
                v(3),
                v(4),
                v(3),
                N,
                N,
                N,
                N,
                N,
                N,
                N,
            ],
            &[
                N,
                N,
                v(2),
                v(1),
                v(3),
                v(4),
                v(4),
                N,
                v(2),
                v(1),
                v(1),
                v(3),
                v(3),
                N,
                v(4),
            ],
        ],
    )
}

#[test]
fn textbook_example_matches_the_package() {
    // krippendorff.alpha(reliability_data, value_domain=[1, 2, 3, 4], level_of_measurement=…)
    let d = textbook();
    assert_abs_diff_eq!(
        alpha(&d, Level::Nominal).unwrap(),
        0.691358024691358,
        epsilon = TOL
    );
    assert_abs_diff_eq!(
        alpha(&d, Level::Ordinal).unwrap(),
        0.8067214199413153,
        epsilon = TOL
    );
    assert_abs_diff_eq!(
        alpha(&d, Level::Interval).unwrap(),
        0.8108448928121059,
        epsilon = TOL
    );
    assert_eq!(d.n_pairable_units(), 12);
}

#[test]
fn textbook_coincidences() {
    // The package's `_coincidences` on this data (× 6); n = 26 pairable values.
    let o = coincidences(&textbook());
    let expected = ndarray::array![
        [36.0, 0.0, 6.0, 0.0],
        [0.0, 24.0, 0.0, 0.0],
        [6.0, 0.0, 42.0, 12.0],
        [0.0, 0.0, 12.0, 18.0],
    ] / 6.0;
    for (ours, theirs) in o.iter().zip(expected.iter()) {
        assert_abs_diff_eq!(*ours, *theirs, epsilon = 1e-12);
    }
    assert_abs_diff_eq!(o.sum(), 26.0, epsilon = 1e-12);
}

/// One case of tests/data/krippendorff_reference.json.
#[derive(serde::Deserialize)]
struct Case {
    name: String,
    n_coders: usize,
    n_units: usize,
    n_values: usize,
    data: Vec<Vec<Option<u32>>>,
    alpha: std::collections::BTreeMap<String, f64>,
    indicator_nominal: Vec<Option<f64>>,
    percent_agreement: f64,
}

#[derive(serde::Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/krippendorff_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn reference_cases_match_the_package() {
    let reference = reference();
    assert!(reference.cases.len() >= 12);
    let mut max_diff: f64 = 0.0;
    for case in &reference.cases {
        let cells = case.data.iter().flatten().copied().collect();
        let d = ReliabilityData::new(case.n_coders, case.n_units, case.n_values, cells).unwrap();
        for (name, level) in [
            ("nominal", Level::Nominal),
            ("ordinal", Level::Ordinal),
            ("interval", Level::Interval),
        ] {
            let ours = alpha(&d, level).unwrap();
            let diff = (ours - case.alpha[name]).abs();
            assert!(
                diff <= TOL,
                "{} {name}: {ours} vs {}",
                case.name,
                case.alpha[name]
            );
            max_diff = max_diff.max(diff);
        }
        assert_eq!(case.indicator_nominal.len(), case.n_values);
        for (value, expected) in case.indicator_nominal.iter().enumerate() {
            let ours = alpha(&d.indicator(value as u32), Level::Nominal);
            match (ours, expected) {
                (Ok(ours), Some(expected)) => {
                    let diff = (ours - expected).abs();
                    assert!(
                        diff <= TOL,
                        "{} value {value}: {ours} vs {expected}",
                        case.name
                    );
                    max_diff = max_diff.max(diff);
                }
                // The package gives NaN (0/0) where we report the undefined α.
                (Err(AgreementError::NoVariation { .. }), None) => {}
                (ours, expected) => panic!("{} value {value}: {ours:?} vs {expected:?}", case.name),
            }
        }
        let diff = (percent_agreement(&d).unwrap() - case.percent_agreement).abs();
        assert!(diff <= TOL, "{} percent agreement", case.name);
        max_diff = max_diff.max(diff);
    }
    eprintln!("max |α − package| over the reference cases: {max_diff:e}");
}

#[test]
fn one_coder_is_an_error() {
    let d = data(3, &[&[Some(0), Some(1), Some(2)]]);
    let err = alpha(&d, Level::Nominal).unwrap_err();
    assert!(matches!(err, AgreementError::TooFewCoders(1)));
    assert_eq!(
        err.to_string(),
        "α needs at least two coders; the data has 1"
    );
    assert!(percent_agreement(&d).is_err());
}

#[test]
fn no_pairable_unit_is_an_error() {
    let d = data(3, &[&[Some(0), None, None], &[None, Some(1), None]]);
    assert_eq!(d.n_pairable_units(), 0);
    let err = alpha(&d, Level::Interval).unwrap_err();
    assert!(matches!(err, AgreementError::NoPairableUnit { n_units: 3 }));
}

#[test]
fn all_values_equal_is_undefined() {
    // The single values of unit 2 and 3 do not count: the pairable values are all 1.
    let d = data(
        3,
        &[
            &[Some(1), Some(1), Some(0), None],
            &[Some(1), Some(1), None, Some(2)],
        ],
    );
    for level in [Level::Nominal, Level::Ordinal, Level::Interval] {
        let err = alpha(&d, level).unwrap_err();
        assert!(
            matches!(err, AgreementError::NoVariation { value: 1 }),
            "{err}"
        );
    }
    assert_eq!(percent_agreement(&d).unwrap(), 1.0);
}

#[test]
fn construction_checks_sizes_and_values() {
    let err = ReliabilityData::new(2, 3, 2, vec![Some(0); 5]).unwrap_err();
    assert!(matches!(
        err,
        AgreementError::CellCount {
            got: 5,
            expected: 6,
            ..
        }
    ));
    let err = ReliabilityData::new(2, 2, 2, vec![Some(0), None, None, Some(2)]).unwrap_err();
    assert!(matches!(
        err,
        AgreementError::ValueOutOfRange {
            coder: 1,
            unit: 1,
            value: 2,
            n_values: 2
        }
    ));
}

#[test]
fn select_units_and_indicator() {
    let d = textbook();
    let all: Vec<usize> = (0..d.n_units()).collect();
    assert_eq!(d.select_units(&all), d);
    let picked = d.select_units(&[5, 5, 0]);
    assert_eq!((picked.n_coders(), picked.n_units()), (3, 3));
    assert_eq!(picked.get(2, 1), Some(3));
    assert_eq!(picked.get(0, 2), None);
    let ind = d.indicator(2);
    assert_eq!(ind.n_values(), 2);
    assert_eq!(
        (ind.get(0, 5), ind.get(0, 6), ind.get(0, 0)),
        (Some(1), Some(0), None)
    );
    // Reordering units changes nothing.
    let reversed: Vec<usize> = all.iter().rev().copied().collect();
    let a = alpha(&d.select_units(&reversed), Level::Ordinal).unwrap();
    assert_abs_diff_eq!(a, alpha(&d, Level::Ordinal).unwrap(), epsilon = 1e-12);
}

#[test]
fn percent_agreement_of_two_complete_coders_is_the_share_of_agreeing_units() {
    let d = data(
        3,
        &[
            &[Some(0), Some(1), Some(2), Some(2)],
            &[Some(0), Some(1), Some(1), Some(2)],
        ],
    );
    assert_abs_diff_eq!(percent_agreement(&d).unwrap(), 0.75, epsilon = 1e-12);
}

#[test]
fn bootstrap_is_deterministic_across_threads() {
    let d = textbook();
    let (one, two) = on_1_and_n_threads(2, || {
        bootstrap_alpha(&d, Level::Interval, 500, 42, 0.95).unwrap()
    });
    assert_eq!(one, two);
    assert_eq!(one.alpha.to_bits(), two.alpha.to_bits());
    assert_eq!(one.low.to_bits(), two.low.to_bits());
    assert_eq!(one.high.to_bits(), two.high.to_bits());
    let other_seed = bootstrap_alpha(&d, Level::Interval, 500, 43, 0.95).unwrap();
    assert_ne!(one, other_seed);
}

#[test]
fn bootstrap_interval_contains_the_estimate() {
    let d = textbook();
    for level in [Level::Nominal, Level::Ordinal, Level::Interval] {
        let ci = bootstrap_alpha(&d, level, 1000, 7, 0.95).unwrap();
        eprintln!("{level:?}: {ci:?}");
        assert_eq!(ci.alpha, alpha(&d, level).unwrap());
        assert!(
            ci.low <= ci.alpha && ci.alpha <= ci.high,
            "{level:?}: {ci:?}"
        );
        assert!(ci.low < ci.high && ci.high <= 1.0);
        assert_eq!(ci.n_boot, 1000);
    }
}

#[test]
fn bootstrap_counts_undefined_replicates() {
    // Two pairable units: a resample that draws the same unit twice has one value only.
    let d = data(
        2,
        &[&[Some(0), Some(1), None], &[Some(0), Some(1), Some(1)]],
    );
    let ci = bootstrap_alpha(&d, Level::Nominal, 400, 1, 0.9).unwrap();
    assert!(ci.n_undefined > 100 && ci.n_undefined < 300, "{ci:?}");
    assert_eq!(ci.alpha, 1.0);
    assert_eq!((ci.low, ci.high), (1.0, 1.0));
}

#[test]
fn bootstrap_errors() {
    let d = textbook();
    assert!(matches!(
        bootstrap_alpha(&d, Level::Nominal, 0, 1, 0.95),
        Err(AgreementError::NoReplicates)
    ));
    for conf in [0.0, 1.0, f64::NAN, 95.0] {
        assert!(matches!(
            bootstrap_alpha(&d, Level::Nominal, 10, 1, conf),
            Err(AgreementError::BadConfidence(_))
        ));
    }
    // Two units that agree within: a single replicate that draws one unit twice is undefined.
    let two_units = data(2, &[&[Some(0), Some(1)], &[Some(0), Some(1)]]);
    let outcomes: Vec<_> = (0..64)
        .map(|seed| bootstrap_alpha(&two_units, Level::Nominal, 1, seed, 0.95))
        .collect();
    assert!(outcomes
        .iter()
        .any(|r| matches!(r, Err(AgreementError::AllReplicatesUndefined { n_boot: 1 }))));
    assert!(outcomes.iter().any(|r| r.is_ok()));
}

#[test]
fn quantile_interpolates_like_numpy() {
    let v = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(quantile(&v, 0.0), 1.0);
    assert_eq!(quantile(&v, 1.0), 4.0);
    assert_abs_diff_eq!(quantile(&v, 0.5), 2.5, epsilon = 1e-12);
    assert_abs_diff_eq!(quantile(&v, 0.025), 1.075, epsilon = 1e-12);
    assert_eq!(quantile(&[5.0], 0.975), 5.0);
}

#[test]
fn coder_confusion_counts_units_both_coded() {
    let d = data(
        3,
        &[
            &[Some(0), Some(1), Some(2), None, Some(2)],
            &[Some(0), Some(2), Some(2), Some(1), None],
        ],
    );
    let c = coder_confusion(&d, 0, 1);
    assert_eq!(c, ndarray::array![[1, 0, 0], [0, 0, 1], [0, 0, 1]]);
    assert_eq!(coder_confusion(&d, 1, 0), c.t());
}

#[test]
fn level_serialises_lowercase() {
    assert_eq!(
        serde_json::to_string(&Level::Ordinal).unwrap(),
        "\"ordinal\""
    );
    let level: Level = serde_json::from_str("\"interval\"").unwrap();
    assert_eq!(level, Level::Interval);
}
