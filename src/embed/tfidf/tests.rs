//! Unit tests of the TF-IDF vectorizer: the scikit-learn fixture, one test per params rule,
//! serde round trips and thread-count independence.

use super::*;
use approx::assert_abs_diff_eq;
use serde::Deserialize;
use sprs::CsMat;

const FIXTURE: &str = include_str!("../../../tests/data/tfidf_sklearn.json");

#[derive(Deserialize)]
struct Fixture {
    sklearn_version: String,
    corpus: Vec<String>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    params: TfidfParams,
    vocabulary: Vec<String>,
    idf: Option<Vec<f64>>,
    shape: (usize, usize),
    rows: Vec<usize>,
    cols: Vec<usize>,
    values: Vec<f64>,
    analyzed: Vec<Vec<String>>,
}

fn fit(params: TfidfParams, docs: &[&str]) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
    params.check().expect("valid params").fit_transform(docs)
}

/// (row, col, value) triplets in row-major order.
fn triplets(m: &CsMat<f64>) -> Vec<(usize, usize, f64)> {
    let mut out = Vec::new();
    for (r, row) in m.outer_iterator().enumerate() {
        for (c, &v) in row.iter() {
            out.push((r, c, v));
        }
    }
    out
}

#[test]
fn matches_scikit_learn_fixture() {
    let fx: Fixture = serde_json::from_str(FIXTURE).expect("fixture parses");
    assert!(!fx.sklearn_version.is_empty());
    let docs: Vec<&str> = fx.corpus.iter().map(String::as_str).collect();
    assert!(fx.cases.len() >= 5);
    for case in &fx.cases {
        let name = &case.name;
        let (fitted, m) = fit(case.params.clone(), &docs).expect(name);
        assert_eq!(
            fitted.vocabulary(),
            &case.vocabulary[..],
            "{name}: vocabulary"
        );
        match &case.idf {
            Some(idf) => {
                assert_eq!(idf.len(), fitted.idf().len(), "{name}");
                for (a, b) in fitted.idf().iter().zip(idf) {
                    assert_abs_diff_eq!(*a, *b, epsilon = 1e-6);
                }
            }
            None => assert!(fitted.idf().iter().all(|&v| v == 1.0), "{name}"),
        }
        assert_eq!(m.shape(), case.shape, "{name}: shape");
        assert!(m.is_csr());
        let got = triplets(&m);
        assert_eq!(got.len(), case.values.len(), "{name}: nnz");
        for (k, &(r, c, v)) in got.iter().enumerate() {
            assert_eq!((r, c), (case.rows[k], case.cols[k]), "{name}: entry {k}");
            assert_abs_diff_eq!(v, case.values[k], epsilon = 1e-6);
        }
        // transform() after fit gives the same matrix as fit_transform().
        assert_eq!(fitted.transform(&docs), m, "{name}: transform");
        // fit_counts() gives fit()'s vocabulary and counts() in one pass.
        let (f2, counts) = case
            .params
            .clone()
            .check()
            .unwrap()
            .fit_counts(&docs)
            .unwrap();
        assert_eq!(
            f2.vocabulary(),
            fitted.vocabulary(),
            "{name}: fit_counts vocabulary"
        );
        assert_eq!(counts, fitted.counts(&docs), "{name}: fit_counts counts");
        for (doc, want) in docs.iter().zip(&case.analyzed) {
            assert_eq!(&fitted.analyze(doc), want, "{name}: analyze({doc:?})");
        }
    }
}

#[test]
fn defaults_are_scikit_learns() {
    let p: TfidfParams = serde_json::from_str("{}").unwrap();
    assert_eq!(p, TfidfParams::default());
    assert_eq!(p.min_df, DfBound::Count(1));
    assert_eq!(p.max_df, DfBound::Fraction(1.0));
    assert_eq!(p.ngram_range, (1, 1));
    assert!(p.check().is_ok());
}

#[test]
fn params_parse_from_toml_with_counts_and_fractions() {
    let p: TfidfParams = toml::from_str(
        "analyzer = \"word\"\nngram_range = [1, 2]\nstop_words = \"english\"\n\
         min_df = 2\nmax_df = 0.5\nmax_features = 1000\nsublinear_tf = true\nnorm = \"l1\"\n",
    )
    .unwrap();
    assert_eq!(p.min_df, DfBound::Count(2));
    assert_eq!(p.max_df, DfBound::Fraction(0.5));
    assert_eq!(p.stop_words, Some(StopWords::English));
    assert_eq!(p.norm, Norm::L1);
    let q: TfidfParams =
        toml::from_str("analyzer = \"char_wb\"\nmax_df = 1.0\nmin_df = 0.0\nnorm = \"none\"")
            .unwrap();
    assert_eq!(q.max_df, DfBound::Fraction(1.0));
    assert_eq!(q.min_df, DfBound::Fraction(0.0));
    assert_eq!(q.analyzer, Analyzer::CharWb);
    assert_eq!(q.norm, Norm::None);
    let list: TfidfParams = serde_json::from_str(r#"{"stop_words": ["a", "b"]}"#).unwrap();
    assert_eq!(
        list.stop_words,
        Some(StopWords::List(vec!["a".into(), "b".into()]))
    );
    // Round trip through JSON keeps counts and fractions apart.
    let back: TfidfParams = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back, p);
}

#[test]
fn params_round_trip_through_toml() {
    for p in [
        TfidfParams::default(),
        TfidfParams {
            min_df: DfBound::Count(2),
            max_df: DfBound::Fraction(0.5),
            stop_words: Some(StopWords::English),
            sublinear_tf: true,
            max_features: Some(10),
            ..Default::default()
        },
        TfidfParams {
            analyzer: Analyzer::Char,
            ngram_range: (1, 3),
            min_df: DfBound::Fraction(0.0),
            max_df: DfBound::Count(7),
            norm: Norm::None,
            ..Default::default()
        },
    ] {
        let table = toml::Table::try_from(&p).unwrap();
        let text = toml::to_string(&table).unwrap();
        let back: TfidfParams = toml::from_str(&text).unwrap();
        assert_eq!(back, p, "{text}");
    }
}

#[test]
fn unknown_fields_and_stop_word_lists_are_rejected() {
    assert!(serde_json::from_str::<TfidfParams>(r#"{"max_dff": 0.5}"#).is_err());
    let e = serde_json::from_str::<TfidfParams>(r#"{"stop_words": "french"}"#);
    assert!(e.is_err());
}

#[test]
fn english_stop_word_list_has_318_words() {
    let w = english_stop_words();
    assert_eq!(w.len(), 318);
    assert!(w.contains(&"the") && w.contains(&"yourselves"));
    assert!(w.windows(2).all(|p| p[0] < p[1]));
}

fn check_err(p: TfidfParams) -> TfidfParamsError {
    p.check().expect_err("params must be rejected")
}

#[test]
fn max_df_fraction_above_one_is_an_error() {
    let e = check_err(TfidfParams {
        max_df: DfBound::Fraction(1.5),
        ..Default::default()
    });
    assert_eq!(
        e.to_string(),
        "max_df must be in [0, 1] when given as a fraction (max_df = 1.5)"
    );
}

#[test]
fn negative_min_df_fraction_is_an_error() {
    let p: TfidfParams = serde_json::from_str(r#"{"min_df": -1}"#).unwrap();
    let e = check_err(p);
    assert!(matches!(
        e,
        TfidfParamsError::DfFractionOutOfRange { name: "min_df", .. }
    ));
    assert!(e.to_string().contains("min_df = -1.0"), "{e}");
}

#[test]
fn nan_df_fraction_is_an_error() {
    let e = check_err(TfidfParams {
        min_df: DfBound::Fraction(f64::NAN),
        ..Default::default()
    });
    assert!(matches!(e, TfidfParamsError::DfFractionOutOfRange { .. }));
}

#[test]
fn df_count_zero_is_an_error() {
    let e = check_err(TfidfParams {
        min_df: DfBound::Count(0),
        ..Default::default()
    });
    assert_eq!(e, TfidfParamsError::DfCountZero { name: "min_df" });
    assert!(e.to_string().contains("min_df = 0"));
}

#[test]
fn min_df_greater_than_max_df_is_an_error() {
    let e = check_err(TfidfParams {
        min_df: DfBound::Count(5),
        max_df: DfBound::Count(3),
        ..Default::default()
    });
    assert!(e.to_string().contains("min_df = 5, max_df = 3"), "{e}");
    let e = check_err(TfidfParams {
        min_df: DfBound::Fraction(0.6),
        max_df: DfBound::Fraction(0.5),
        ..Default::default()
    });
    assert!(matches!(e, TfidfParamsError::MinDfAboveMaxDf { .. }));
}

#[test]
fn min_df_above_max_df_after_resolution_is_a_fit_error() {
    // A count and a fraction can only be compared once n_docs is known.
    let docs = ["aa bb", "aa cc", "aa dd", "bb cc"];
    let e = fit(
        TfidfParams {
            min_df: DfBound::Count(3),
            max_df: DfBound::Fraction(0.5),
            ..Default::default()
        },
        &docs,
    )
    .unwrap_err();
    assert!(matches!(e, TfidfError::DfBoundsConflict { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("min_df = 3") && msg.contains("max_df = 0.5"),
        "{msg}"
    );
}

#[test]
fn ngram_range_min_above_max_is_an_error() {
    let e = check_err(TfidfParams {
        ngram_range: (3, 2),
        ..Default::default()
    });
    assert!(e.to_string().contains("ngram_range = [3, 2]"), "{e}");
}

#[test]
fn ngram_min_zero_is_an_error() {
    let e = check_err(TfidfParams {
        ngram_range: (0, 2),
        ..Default::default()
    });
    assert_eq!(e, TfidfParamsError::NgramMinZero { min: 0, max: 2 });
}

#[test]
fn max_features_zero_is_an_error() {
    let e = check_err(TfidfParams {
        max_features: Some(0),
        ..Default::default()
    });
    assert_eq!(e, TfidfParamsError::MaxFeaturesZero);
}

#[test]
fn stop_words_with_char_analyzer_is_an_error() {
    let e = check_err(TfidfParams {
        analyzer: Analyzer::CharWb,
        stop_words: Some(StopWords::English),
        ..Default::default()
    });
    assert!(e.to_string().contains("analyzer = \"char_wb\""), "{e}");
}

#[test]
fn empty_vocabulary_error_names_min_df_and_max_df() {
    let docs = ["alpha beta", "gamma delta", "epsilon zeta"];
    let e = fit(
        TfidfParams {
            min_df: DfBound::Count(2),
            ..Default::default()
        },
        &docs,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "empty vocabulary: no term is left after min_df = 2 and max_df = 1.0 on 3 \
         documents; lower min_df or raise max_df"
    );
}

#[test]
fn no_documents_and_no_terms_are_errors() {
    let p = TfidfParams::default().check().unwrap();
    assert_eq!(p.fit(&[]).unwrap_err(), TfidfError::NoDocuments);
    let e = TfidfParams {
        stop_words: Some(StopWords::English),
        ..Default::default()
    }
    .check()
    .unwrap()
    .fit(&["It is what it is.", "", "a b c"])
    .unwrap_err();
    assert!(matches!(e, TfidfError::NoTerms { n_docs: 3, .. }), "{e}");
}

#[test]
fn empty_documents_give_zero_rows() {
    let docs = ["", "hello world", "   ", "x", "hello"];
    let (fitted, m) = fit(TfidfParams::default(), &docs).unwrap();
    assert_eq!(
        fitted.vocabulary(),
        &["hello".to_string(), "world".to_string()]
    );
    assert_eq!(m.shape(), (5, 2));
    let nnz: Vec<usize> = m.outer_iterator().map(|r| r.nnz()).collect();
    assert_eq!(nnz, vec![0, 2, 0, 0, 1]);
    assert_eq!(fitted.transform(&[]).shape(), (0, 2));
    assert_eq!(fitted.transform(&["", "unknown words"]).nnz(), 0);
}

#[test]
fn counts_are_raw_term_counts() {
    let docs = ["the cat sat on the mat", "the dog", "cat cat cat"];
    let fitted = TfidfParams {
        sublinear_tf: true,
        ..Default::default()
    }
    .check()
    .unwrap()
    .fit(&docs)
    .unwrap();
    let c = fitted.counts(&["the the cat zebra", ""]);
    assert_eq!(c.shape(), (2, fitted.vocabulary().len()));
    let the = fitted.column("the").unwrap();
    let cat = fitted.column("cat").unwrap();
    assert_eq!(c.get(0, the), Some(&2.0));
    assert_eq!(c.get(0, cat), Some(&1.0));
    assert_eq!(c.nnz(), 2);
}

#[test]
fn max_features_ties_are_broken_alphabetically() {
    // Every term has corpus frequency 1; the first two alphabetically win.
    let docs = ["delta alpha", "charlie bravo"];
    let (fitted, _) = fit(
        TfidfParams {
            max_features: Some(2),
            ..Default::default()
        },
        &docs,
    )
    .unwrap();
    assert_eq!(
        fitted.vocabulary(),
        &["alpha".to_string(), "bravo".to_string()]
    );
}

#[test]
fn fitted_vectorizer_round_trips_through_serde() {
    let docs = [
        "Café crème, naïve Straße!",
        "the café is open",
        "open the door",
    ];
    let params = TfidfParams {
        ngram_range: (1, 2),
        stop_words: Some(StopWords::List(vec!["the".into(), "is".into()])),
        sublinear_tf: true,
        ..Default::default()
    };
    let (fitted, m) = fit(params, &docs).unwrap();
    let json = serde_json::to_string(&fitted).unwrap();
    assert!(json.contains("\"format_version\":1"), "{json}");
    let back: FittedTfidf = serde_json::from_str(&json).unwrap();
    assert_eq!(back.params(), fitted.params());
    assert_eq!(back.vocabulary(), fitted.vocabulary());
    assert_eq!(back.idf(), fitted.idf());
    assert_eq!(back.n_docs(), 3);
    assert_eq!(back.transform(&docs), m);
    // A corrupted model is rejected.
    let bad = json.replace("\"format_version\":1", "\"format_version\":99");
    assert!(serde_json::from_str::<FittedTfidf>(&bad).is_err());
}

fn synthetic_corpus(n: usize) -> Vec<String> {
    const WORDS: &[&str] = &[
        "rhetoric",
        "logos",
        "ethos",
        "pathos",
        "argument",
        "claim",
        "the",
        "of",
        "and",
        "café",
        "naïve",
        "straße",
        "λόγος",
        "evidence",
        "warrant",
        "stance",
        "frame",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            let mut len = 0;
            let mut s = String::new();
            loop {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if len > 3 && state.is_multiple_of(11) {
                    break s;
                }
                s.push_str(WORDS[(state >> 20) as usize % WORDS.len()]);
                s.push(if state.is_multiple_of(5) { ',' } else { ' ' });
                len += 1;
            }
        })
        .collect()
}

#[test]
fn output_is_identical_for_one_and_two_threads() {
    let corpus = synthetic_corpus(3000);
    let docs: Vec<&str> = corpus.iter().map(String::as_str).collect();
    let run = |threads: usize| {
        crate::test_util::in_pool(threads, || {
            let params = TfidfParams {
                ngram_range: (1, 2),
                min_df: DfBound::Count(2),
                max_df: DfBound::Fraction(0.9),
                max_features: Some(150),
                sublinear_tf: true,
                ..Default::default()
            };
            let (fitted, m) = fit(params, &docs).unwrap();
            let t = fitted.transform(&docs);
            (fitted.vocabulary().to_vec(), fitted.idf().to_vec(), m, t)
        })
    };
    let (v1, i1, m1, t1) = run(1);
    let (v2, i2, m2, t2) = run(2);
    assert_eq!(v1, v2);
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&i1), bits(&i2));
    for (a, b) in [(&m1, &m2), (&t1, &t2), (&m1, &t1)] {
        assert_eq!(a.indptr().raw_storage(), b.indptr().raw_storage());
        assert_eq!(a.indices(), b.indices());
        assert_eq!(bits(a.data()), bits(b.data()));
    }
}

#[test]
fn param_guard_rejects_what_check_rejects() {
    let cases = [
        TfidfParams::default(),
        crate::embed::clustering_tfidf_defaults(),
        TfidfParams {
            ngram_range: (0, 2),
            ..Default::default()
        },
        TfidfParams {
            ngram_range: (3, 2),
            ..Default::default()
        },
        TfidfParams {
            max_df: DfBound::Fraction(1.5),
            ..Default::default()
        },
        TfidfParams {
            min_df: DfBound::Fraction(f64::NAN),
            ..Default::default()
        },
        TfidfParams {
            min_df: DfBound::Count(0),
            ..Default::default()
        },
        TfidfParams {
            min_df: DfBound::Count(5),
            max_df: DfBound::Count(3),
            ..Default::default()
        },
        TfidfParams {
            min_df: DfBound::Fraction(0.6),
            max_df: DfBound::Fraction(0.5),
            ..Default::default()
        },
        TfidfParams {
            max_features: Some(0),
            ..Default::default()
        },
        TfidfParams {
            analyzer: Analyzer::CharWb,
            stop_words: Some(StopWords::English),
            ..Default::default()
        },
    ];
    let mut rejected = 0;
    for p in cases {
        // Errors compared as text: a NaN fraction is not equal to itself.
        let want = TfidfParams::check(&p).map_err(|e| e.to_string());
        rejected += usize::from(want.is_err());
        let by_ref = linfa::ParamGuard::check_ref(&p);
        if let Ok(r) = by_ref {
            // No copy: the checked params are `p` itself.
            assert!(std::ptr::eq(r.params(), &p));
        }
        assert_eq!(by_ref.cloned().map_err(|e| e.to_string()), want, "{p:?}");
        let owned = linfa::ParamGuard::check(p.clone()).map_err(|e| e.to_string());
        assert_eq!(owned, want, "{p:?}");
    }
    assert_eq!(rejected, 9);
}
