use super::*;
use crate::classify::{ClassifierParams, Hashtags};

fn data() -> (Vec<&'static str>, Labels, Vec<&'static str>) {
    let texts = vec![
        "god is not real and religion is a lie",
        "faith in god gives me strength",
        "religion poisons everything",
        "I pray every day, thank you lord",
        "we must act on climate change now",
        "climate change is a hoax",
        "cut emissions, save the planet",
        "global warming is fake",
        "no opinion here, just a tweet",
        "what a nice day at the beach",
    ];
    let labels = Labels::Single(
        [
            "AGAINST", "FAVOR", "AGAINST", "FAVOR", "FAVOR", "AGAINST", "FAVOR", "AGAINST", "NONE",
            "NONE",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    );
    let targets = vec!["A", "A", "A", "A", "C", "C", "C", "C", "A", "C"];
    (texts, labels, targets)
}

fn bits(p: &Predictions) -> Vec<u64> {
    p.scores
        .iter()
        .chain(p.probabilities.iter().flatten())
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn round_trip_is_bit_identical_single_and_per_target() {
    let (texts, labels, targets) = data();
    let new_texts = ["god and climate", "I love the beach", "hoax lie fake", ""];
    let new_targets = ["A", "C", "C", "A"];
    for kind in [ModelKind::LinearSvm, ModelKind::LogisticRegression] {
        let p = ClassifierParams {
            model: kind,
            ..Default::default()
        }
        .check()
        .unwrap();
        let single = p.train(&texts, &labels).unwrap();
        let before = single.predict(&new_texts);
        let file = ModelFile::new(
            TrainedModel::Single(single),
            TrainingInfo::from_data(&texts, &labels, None),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.json");
        file.save(&path).unwrap();
        let back = ModelFile::load(&path).unwrap();
        let after = back.predict(&new_texts, None).unwrap();
        assert_eq!(bits(&before), bits(&after));
        assert_eq!(before, after);
        assert_eq!(back.training, file.training);
        assert_eq!(back.params(), file.params());

        let per = p.train_per_target(&texts, &labels, &targets).unwrap();
        let before = per.predict(&new_texts, &new_targets).unwrap();
        let file = ModelFile::new(
            TrainedModel::PerTarget(per),
            TrainingInfo::from_data(&texts, &labels, Some(&targets)),
        );
        assert_eq!(file.training.targets, Some(2));
        let json = file.to_json().unwrap();
        let back = ModelFile::from_json(&json).unwrap();
        let after = back.predict(&new_texts, Some(&new_targets)).unwrap();
        assert_eq!(bits(&before), bits(&after));
        assert!(back.predict(&new_texts, None).is_err());
        // Writing the reloaded model gives the same bytes.
        assert_eq!(back.to_json().unwrap(), json);
    }
}

/// Texts of `data()` with hashtags, which the option rewrites.
fn hashtag_texts() -> Vec<&'static str> {
    vec![
        "#GodIsNotReal and religion is a lie",
        "faith in god gives me strength #PrayerWorks",
        "religion poisons everything #Atheism",
        "I pray every day, thank you lord #BlessedSunday",
        "we must act on climate change now #ActOnClimate",
        "climate change is a hoax #ClimateHoax",
        "cut emissions, save the planet #SaveThePlanet",
        "global warming is fake #FakeNews",
        "no opinion here, just a tweet #",
        "what a nice day at the beach ##BeachDay",
    ]
}

#[test]
fn hashtags_are_recorded_and_applied_again_by_the_loaded_model() {
    let (_, labels, targets) = data();
    let texts = hashtag_texts();
    let new_texts = ["#GodIsReal and #ClimateHoax", "#SaveThePlanet", "plain", ""];
    let new_targets = ["A", "C", "C", "A"];
    for hashtags in [Hashtags::Split, Hashtags::TagAndSplit] {
        let p = ClassifierParams {
            hashtags: Some(hashtags),
            ..Default::default()
        }
        .check()
        .unwrap();
        let per = p.train_per_target(&texts, &labels, &targets).unwrap();
        let before = per.predict(&new_texts, &new_targets).unwrap();
        let file = ModelFile::new(
            TrainedModel::PerTarget(per),
            TrainingInfo::from_data(&texts, &labels, Some(&targets)),
        );
        let json = file.to_json().unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["params"]["hashtags"], hashtags.name());
        for t in v["targets"].as_array().unwrap() {
            assert_eq!(t["model"]["features"]["hashtags"], hashtags.name());
        }
        let back = ModelFile::from_json(&json).unwrap();
        assert_eq!(back.params().hashtags, Some(hashtags));
        let after = back.predict(&new_texts, Some(&new_targets)).unwrap();
        assert_eq!(bits(&before), bits(&after));
        assert_eq!(back.to_json().unwrap(), json);
        // The rewrite matters: the same model without it predicts other scores.
        let mut kept = v.clone();
        kept["params"]["hashtags"] = "keep".into();
        for t in kept["targets"].as_array_mut().unwrap() {
            t["model"]["features"]
                .as_object_mut()
                .unwrap()
                .remove("hashtags");
        }
        let kept = ModelFile::from_json(&kept.to_string()).unwrap();
        let other = kept.predict(&new_texts, Some(&new_targets)).unwrap();
        assert_ne!(bits(&before), bits(&other));
        // params and features must agree.
        let mut bad = v.clone();
        bad["params"]["hashtags"] = "keep".into();
        let e = ModelFile::from_json(&bad.to_string()).unwrap_err();
        assert!(
            matches!(&e, ModelFileError::Inconsistent(m) if m.contains("hashtags")),
            "{e}"
        );
        let mut bad = v.clone();
        bad["params"]["hashtags"] = "both".into();
        let e = ModelFile::from_json(&bad.to_string()).unwrap_err();
        assert!(e.to_string().contains("tag_and_split"), "{e}");
    }
}

#[test]
fn a_default_model_file_has_no_hashtags_key() {
    // "keep" is not written: files of models without the option are unchanged.
    let (s, v) = json_of_trained();
    assert!(!s.contains("hashtags"));
    assert!(v["params"].get("hashtags").is_none());
    let back = ModelFile::from_json(&s).unwrap();
    assert_eq!(back.params().hashtags, None);
    assert_eq!(back.params().resolved_hashtags(), Hashtags::Keep);
    assert_eq!(back.to_json().unwrap(), s);
}

#[test]
fn mostly_zero_weights_are_stored_sparse_and_reload_identically() {
    let (texts, labels, _) = data();
    let p = ClassifierParams::default().check().unwrap();
    let mut clf = p.train(&texts, &labels).unwrap();
    for (j, w) in clf.model.coef[0].iter_mut().enumerate() {
        if j % 3 != 0 {
            *w = 0.0;
        }
    }
    let before = clf.predict(&texts);
    let file = ModelFile::new(
        TrainedModel::Single(clf),
        TrainingInfo::from_data(&texts, &labels, None),
    );
    let json = file.to_json().unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let w = &v["model"]["linear"]["weights"];
    assert!(w[0]["indices"].is_array());
    assert!(w[1]["indices"].is_null());
    let back = ModelFile::from_json(&json).unwrap();
    assert_eq!(bits(&before), bits(&back.predict(&texts, None).unwrap()));
}

fn json_of_trained() -> (String, serde_json::Value) {
    let (texts, labels, _) = data();
    let p = ClassifierParams::default().check().unwrap();
    let file = ModelFile::new(
        TrainedModel::Single(p.train(&texts, &labels).unwrap()),
        TrainingInfo::from_data(&texts, &labels, None),
    );
    let s = file.to_json().unwrap();
    let v = serde_json::from_str(&s).unwrap();
    (s, v)
}

#[test]
fn wrong_format_version_and_truncation_are_typed_errors() {
    let (s, v) = json_of_trained();
    // Truncated at many points: always an error, never a panic.
    for cut in [0, 1, 10, s.len() / 3, s.len() / 2, s.len() - 2] {
        assert!(ModelFile::from_json(&s[..cut]).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        ModelFile::from_json(&s[..s.len() / 2]).unwrap_err(),
        ModelFileError::Json(_)
    ));
    let mut other = v.clone();
    other["format"] = "rhetor-run".into();
    let e = ModelFile::from_json(&other.to_string()).unwrap_err();
    assert!(matches!(e, ModelFileError::WrongFormat { .. }), "{e}");
    assert!(e.to_string().contains("rhetor-run"), "{e}");
    assert!(matches!(
        ModelFile::from_json("{\"a\": 1}").unwrap_err(),
        ModelFileError::WrongFormat { .. }
    ));
    // A plain model is written as version 1 (older readers read it).
    assert_eq!(v["format_version"], 1);
    let mut v3 = v.clone();
    v3["format_version"] = 3.into();
    // A version-3 file may look different: the version check comes first.
    v3["linear"] = "something new".into();
    let e = ModelFile::from_json(&v3.to_string()).unwrap_err();
    assert!(
        matches!(&e, ModelFileError::UnsupportedVersion { found, supported: 2 } if found == "3"),
        "{e}"
    );
    assert!(e.to_string().contains("format_version 1 to 2"), "{e}");
    // Version 2 is read too (the stack's version; a plain model is the same in it).
    let mut v2 = v.clone();
    v2["format_version"] = 2.into();
    assert!(ModelFile::from_json(&v2.to_string()).is_ok());
    assert!(matches!(
        ModelFile::from_json("[1, 2]").unwrap_err(),
        ModelFileError::WrongFormat { .. }
    ));
    assert!(matches!(
        ModelFile::from_json("not json").unwrap_err(),
        ModelFileError::Json(_)
    ));
}

#[test]
fn inconsistent_files_are_typed_errors() {
    let (_, v) = json_of_trained();
    let check = |f: &dyn Fn(&mut serde_json::Value), needle: &str| {
        let mut w = v.clone();
        f(&mut w);
        let e = ModelFile::from_json(&w.to_string()).unwrap_err();
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    };
    // The toy model's weights are mostly non-zero: stored dense.
    assert!(v["model"]["linear"]["weights"][0]["indices"].is_null());
    check(
        &|w| {
            w["model"]["linear"]["weights"][0]["values"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        "dense values",
    );
    // The same weights written sparse (explicit indices) load and predict the same.
    let sparse = |w: &mut serde_json::Value| {
        for x in w["model"]["linear"]["weights"].as_array_mut().unwrap() {
            let n = x["values"].as_array().unwrap().len();
            x["indices"] = (0..n as u32).collect::<Vec<u32>>().into();
        }
    };
    let mut sp = v.clone();
    sparse(&mut sp);
    let a = ModelFile::from_json(&v.to_string()).unwrap();
    let b = ModelFile::from_json(&sp.to_string()).unwrap();
    let texts = ["religion and faith", "nice day"];
    assert_eq!(
        a.predict(&texts, None).unwrap(),
        b.predict(&texts, None).unwrap()
    );
    check(
        &|w| {
            sparse(w);
            w["model"]["linear"]["weights"][0]["values"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        "indices but",
    );
    check(
        &|w| {
            sparse(w);
            w["model"]["linear"]["weights"][0]["indices"][0] = 4_000_000_000u32.into();
        },
        "not below",
    );
    check(
        &|w| {
            sparse(w);
            w["model"]["linear"]["weights"][0]["indices"][1] = 0.into();
        },
        "not increasing",
    );
    check(
        &|w| {
            w["model"]["linear"]["weights"][0]["values"][0] = "abc".into();
        },
        "values[0]",
    );
    check(
        &|w| {
            w["model"]["linear"]["weights"][0]["intercept"] = "NaN".into();
        },
        "intercept",
    );
    check(
        &|w| {
            w["model"]["linear"]["weights"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        "weight vectors",
    );
    check(
        &|w| {
            w["model"]["linear"]["n_features"] = 3.into();
        },
        "columns",
    );
    check(
        &|w| {
            w["classes"] = serde_json::json!(["b", "a", "c"]);
        },
        "sorted",
    );
    check(
        &|w| {
            w["model"]["features"]["blocks"][0]["vectorizer"]["idf"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        "idf",
    );
    check(
        &|w| {
            w["params"]["c"] = (-1.0).into();
        },
        "C must be",
    );
    check(&|w| w["model"] = serde_json::Value::Null, "neither");
}

#[test]
fn training_digest_depends_on_every_field() {
    let (texts, labels, targets) = data();
    let a = TrainingInfo::from_data(&texts, &labels, None);
    assert_eq!(a.sha256.len(), 64);
    assert_eq!(a.rows, 10);
    let b = TrainingInfo::from_data(&texts, &labels, Some(&targets));
    assert_ne!(a.sha256, b.sha256);
    let mut l2 = labels.clone();
    if let Labels::Single(v) = &mut l2 {
        v[0] = "FAVOR".into();
    }
    assert_ne!(a.sha256, TrainingInfo::from_data(&texts, &l2, None).sha256);
    // Boundaries are length-prefixed: "ab"+"c" differs from "a"+"bc".
    let x = TrainingInfo::from_data(&["ab"], &Labels::Single(vec!["c".into()]), None);
    let y = TrainingInfo::from_data(&["a"], &Labels::Single(vec!["bc".into()]), None);
    assert_ne!(x.sha256, y.sha256);
}
