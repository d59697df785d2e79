use super::*;
use crate::classify::encoder::EncoderId;
use crate::classify::{
    ClassifierParams, ClassifyParamsError, Labels, ModelFile, ModelFileError, TrainedModel,
    TrainingInfo, TransformerFeatureParams,
};

fn labels(v: &[&str]) -> Labels {
    Labels::Single(v.iter().map(|s| s.to_string()).collect())
}

/// Two stances; "the" and "today" in every text of both classes, the stance words in one.
fn toy() -> (Vec<String>, Labels) {
    let favor = ["love", "support", "great", "yes"];
    let against = ["hate", "oppose", "awful", "no"];
    let mut texts = Vec::new();
    let mut y = Vec::new();
    for i in 0..40 {
        let (w, l) = if i % 2 == 0 {
            (favor[(i / 2) % 4], "FAVOR")
        } else {
            (against[(i / 2) % 4], "AGAINST")
        };
        let extra = ["alpha", "beta", "gamma", "delta", "eps"][i % 5];
        texts.push(format!("the {w} {extra} today"));
        y.push(l);
    }
    (texts, labels(&y))
}

fn stack_params(views: Vec<StackView>) -> ClassifierParams {
    ClassifierParams {
        model: ModelKind::Stack,
        stack: Some(StackParams {
            views,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tfidf_views() -> Vec<StackView> {
    vec![StackView::TfidfSvm, StackView::NbLr]
}

#[test]
fn nb_weights_are_the_log_count_ratio_of_binarised_features() {
    // Column 0 in every row (neutral), column 1 only in class 1, column 2 only in class 0.
    let x = CsMat::new(
        (4, 3),
        vec![0, 2, 4, 6, 8],
        vec![0, 1, 0, 1, 0, 2, 0, 2],
        vec![0.5, 0.7, 0.2, 0.9, 0.5, 0.8, 0.1, 0.3],
    );
    let y = [1, 1, 0, 0];
    let w = nb_weights(&x, &y, 2, 1.0);
    // p (class 1) = [2+1, 2+1, 0+1], q (class 0) = [3, 1, 3]; both sum to 7.
    let r = |p: f64, q: f64| ((p / 7.0).ln() - (q / 7.0).ln()).abs();
    approx::assert_abs_diff_eq!(w[0], 0.0);
    approx::assert_abs_diff_eq!(w[1], r(3.0, 1.0), epsilon = 1e-15);
    approx::assert_abs_diff_eq!(w[2], r(1.0, 3.0), epsilon = 1e-15);
    // Binary: the same weights whichever class is positive.
    assert_eq!(w, nb_weights(&x, &[0, 0, 1, 1], 2, 1.0));
    // A class absent from the rows is left out: still the binary ratio.
    assert_eq!(w, nb_weights(&x, &[2, 2, 0, 0], 3, 1.0));
    // Three classes: the largest class-vs-rest |r| per column.
    let y3 = [1, 1, 0, 2];
    let w3 = nb_weights(&x, &y3, 3, 1.0);
    let ratio = |pos: [f64; 3], neg: [f64; 3], j: usize| {
        let (sp, sn): (f64, f64) = (pos.iter().sum(), neg.iter().sum());
        ((pos[j] / sp).ln() - (neg[j] / sn).ln()).abs()
    };
    // Counts per class (col 0, 1, 2): class 0 = [1, 0, 1], class 1 = [2, 2, 0], class 2 =
    // [1, 0, 1]; each class against the rest, α = 1.
    let per_class = [
        ([2.0, 1.0, 2.0], [4.0, 3.0, 2.0]),
        ([3.0, 3.0, 1.0], [3.0, 1.0, 3.0]),
        ([2.0, 1.0, 2.0], [4.0, 3.0, 2.0]),
    ];
    for (j, &got) in w3.iter().enumerate() {
        let want = per_class
            .iter()
            .map(|(p, n)| ratio(*p, *n, j))
            .fold(0.0, f64::max);
        approx::assert_abs_diff_eq!(got, want, epsilon = 1e-15);
    }
}

#[test]
fn nb_scaling_drops_neutral_columns_and_renormalises_rows() {
    let x = CsMat::new((3, 3), vec![0, 2, 3, 3], vec![0, 1, 0], vec![0.6, 0.8, 1.0]);
    let s = nb_scale(&x, &[0.0, 2.0, 1.0]);
    // Row 0: the neutral column (weight 0) vanishes, the other becomes 1.
    let r0 = s.outer_view(0).unwrap();
    assert_eq!(r0.indices(), &[1]);
    approx::assert_abs_diff_eq!(r0.data()[0], 1.0);
    // A row of neutral terms only, and an empty row, stay empty.
    assert_eq!(s.outer_view(1).unwrap().nnz(), 0);
    assert_eq!(s.outer_view(2).unwrap().nnz(), 0);
}

#[test]
fn nb_weighting_matters_on_toy_data() {
    // "the" and "today" are in every text: their |r| is 0, so the NB view sees the stance
    // and filler words only, while the TF-IDF rows spend most of their norm on the shared
    // words and the filler.
    let (texts, y) = toy();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let p = ClassifierParams {
        features: crate::classify::FeatureParams {
            char: None,
            ..Default::default()
        },
        ..stack_params(tfidf_views())
    }
    .check()
    .unwrap();
    let clf = p.train(&refs, &y).unwrap();
    let stack = clf.stack().unwrap();
    let nb = stack.views()[1].nb_weights.as_ref().unwrap();
    let vocab = match &clf.features().blocks()[0] {
        crate::classify::FittedBlock::Tfidf { vectorizer, .. } => vectorizer.vocabulary(),
        _ => unreachable!(),
    };
    let col = |t: &str| vocab.iter().position(|v| v == t).unwrap();
    assert_eq!(nb[col("the")], 0.0);
    assert_eq!(nb[col("today")], 0.0);
    assert!(nb[col("love")] > 1.0, "{}", nb[col("love")]);
    assert!(nb[col("hate")] > 1.0);
    // The filler words are in both classes equally: near 0.
    assert!(nb[col("alpha")] < 0.1, "{}", nb[col("alpha")]);
    // Every training text is classified right, with probabilities from the meta model.
    let pred = clf.predict(&refs);
    let Labels::Single(truth) = &y else {
        unreachable!()
    };
    for (i, t) in truth.iter().enumerate() {
        assert_eq!(pred.label(i), Some(t.as_str()));
    }
    assert!(pred.probabilities.is_some());
    // A text with only neutral words scores the meta model's view of empty NB rows and
    // does not panic.
    let p = clf.predict(&["the today", ""]);
    assert_eq!(p.len(), 2);
}

#[test]
fn the_svm_view_is_the_plain_classifier_and_the_meta_model_reads_every_view() {
    let (texts, y) = toy();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let clf = stack_params(tfidf_views())
        .check()
        .unwrap()
        .train(&refs, &y)
        .unwrap();
    let plain = ClassifierParams::default()
        .check()
        .unwrap()
        .train(&refs, &y)
        .unwrap();
    let stack = clf.stack().unwrap();
    assert_eq!(stack.views()[0].view, StackView::TfidfSvm);
    assert_eq!(&stack.views()[0].model, plain.model());
    assert_eq!(stack.n_tfidf(), plain.features().n_features());
    // Binary views give one column each.
    assert_eq!(clf.model().n_features(), 2);
    assert_eq!(clf.model().kind(), ModelKind::LogisticRegression);
    assert_eq!(stack.views()[1].model.kind(), ModelKind::LogisticRegression);
}

#[test]
fn three_classes_give_one_meta_column_per_class_and_view() {
    let (texts, _) = toy();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let y: Vec<&str> = (0..40)
        .map(|i| match (i % 2, i % 5) {
            (_, 0) => "NONE",
            (0, _) => "FAVOR",
            _ => "AGAINST",
        })
        .collect();
    let clf = stack_params(tfidf_views())
        .check()
        .unwrap()
        .train(&refs, &labels(&y))
        .unwrap();
    assert_eq!(clf.model().n_features(), 6);
    let p = clf.predict(&refs);
    assert_eq!(p.scores.ncols(), 3);
}

#[test]
fn stack_model_file_round_trip_is_bit_identical_and_thread_independent() {
    let (texts, y) = toy();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let targets: Vec<&str> = (0..40).map(|i| if i < 20 { "a" } else { "b" }).collect();
    let p = stack_params(tfidf_views()).check().unwrap();
    let train = || {
        let m = p.train_per_target(&refs, &y, &targets).unwrap();
        ModelFile::new(
            TrainedModel::PerTarget(m),
            TrainingInfo::from_data(&refs, &y, Some(&targets)),
        )
        .to_json()
        .unwrap()
    };
    let (one, two) = crate::test_util::on_1_and_n_threads(2, train);
    assert_eq!(one, two);
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["format_version"], 2);
    assert_eq!(v["params"]["model"], "stack");
    let sub = &v["targets"][0]["model"];
    assert_eq!(sub["stack"]["views"][1]["view"], "nb_lr");
    assert_eq!(sub["linear"]["kind"], "logistic_regression");
    let file = ModelFile::from_json(&one).unwrap();
    let new = ["the love today", "hate it", "nothing known", ""];
    let new_t = ["a", "b", "a", "b"];
    let direct = p.train_per_target(&refs, &y, &targets).unwrap();
    let a = direct.predict(&new, &new_t).unwrap();
    let b = file.predict(&new, Some(&new_t)).unwrap();
    let bits = |p: &crate::classify::Predictions| {
        p.scores
            .iter()
            .chain(p.probabilities.iter().flatten())
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&a), bits(&b));
    // Saved again, the same bytes.
    assert_eq!(file.to_json().unwrap(), one);
    // Cross-validation of a stack: also the same on 1 and 2 threads.
    let cv = crate::classify::CvParams { folds: 2, seed: 1 }
        .check()
        .unwrap();
    let (x1, x2) = crate::test_util::on_1_and_n_threads(2, || {
        p.cross_validate_per_target(&refs, &y, &targets, &cv)
            .unwrap()
            .pooled
    });
    assert_eq!(x1, x2);
    assert!(x1.probabilities.is_some());
}

#[test]
fn a_stack_rewrites_hashtags_by_default_and_older_stack_files_load_as_keep() {
    let (texts, y) = toy();
    let tagged: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{t} #{}Tag{i}", if i % 2 == 0 { "Good" } else { "Bad" }))
        .collect();
    let refs: Vec<&str> = tagged.iter().map(String::as_str).collect();
    let new = ["#GoodTag the love today", "hate it #BadTag", ""];
    let save = |p: &ClassifierParams| {
        let clf = p.check().unwrap().train(&refs, &y).unwrap();
        let before = clf.predict(&new);
        let json = ModelFile::new(
            TrainedModel::Single(clf),
            TrainingInfo::from_data(&refs, &y, None),
        )
        .to_json()
        .unwrap();
        (before, json)
    };
    let bits = |p: &crate::classify::Predictions| {
        p.scores
            .iter()
            .chain(p.probabilities.iter().flatten())
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    // Not set: "tag_and_split", written in params and features.
    let (before, json) = save(&stack_params(tfidf_views()));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["params"]["hashtags"], "tag_and_split");
    assert_eq!(v["model"]["features"]["hashtags"], "tag_and_split");
    assert!(json.contains("\"ht_goodtag0\""));
    let back = ModelFile::from_json(&json).unwrap();
    assert_eq!(bits(&before), bits(&back.predict(&new, None).unwrap()));
    // "keep" is written in the params of a stack; without it (a file from before the
    // option) the stack loads as "keep" and predicts the same.
    let mut p = stack_params(tfidf_views());
    p.hashtags = Some(crate::classify::Hashtags::Keep);
    let (before, json) = save(&p);
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["params"]["hashtags"], "keep");
    assert!(v["model"]["features"].get("hashtags").is_none());
    v["params"].as_object_mut().unwrap().remove("hashtags");
    let old = ModelFile::from_json(&v.to_string()).unwrap();
    assert_eq!(bits(&before), bits(&old.predict(&new, None).unwrap()));
}

#[test]
fn corrupt_or_mismatched_stack_files_are_typed_errors() {
    let (texts, y) = toy();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let p = stack_params(tfidf_views()).check().unwrap();
    let file = ModelFile::new(
        TrainedModel::Single(p.train(&refs, &y).unwrap()),
        TrainingInfo::from_data(&refs, &y, None),
    );
    let v: serde_json::Value = serde_json::from_str(&file.to_json().unwrap()).unwrap();
    let check = |f: &dyn Fn(&mut serde_json::Value), needle: &str| {
        let mut w = v.clone();
        f(&mut w);
        let e = ModelFile::from_json(&w.to_string()).unwrap_err();
        assert!(
            matches!(e, ModelFileError::Inconsistent(_) | ModelFileError::Json(_)),
            "{e}"
        );
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    };
    check(&|w| w["format_version"] = 1.into(), "format_version 2");
    check(
        &|w| {
            w["model"]["stack"]["views"].as_array_mut().unwrap().pop();
        },
        "params.stack.views",
    );
    check(
        &|w| {
            w["model"]["stack"]["views"][1]["nb_weights"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        "nb_weights",
    );
    check(
        &|w| w["model"]["stack"]["views"][1]["nb_weights"][0] = "-1".into(),
        "nb_weights[0]",
    );
    check(
        &|w| w["model"]["stack"]["views"][0]["linear"]["kind"] = "logistic_regression".into(),
        "\"linear_svm\" model is expected",
    );
    check(&|w| w["model"]["stack"]["n_tfidf"] = 3.into(), "n_tfidf");
    check(
        &|w| {
            w["model"]["stack"] = serde_json::Value::Null;
        },
        "no \"stack\" part",
    );
    check(&|w| w["params"]["model"] = "linear_svm".into(), "stack");
    check(
        &|w| w["model"]["linear"]["n_features"] = 5.into(),
        "meta model",
    );
    // A newer version than this build reads.
    let mut w = v.clone();
    w["format_version"] = 3.into();
    assert!(matches!(
        ModelFile::from_json(&w.to_string()).unwrap_err(),
        ModelFileError::UnsupportedVersion { supported: 2, .. }
    ));
}

#[test]
fn stack_params_rules() {
    let err = |p: ClassifierParams| p.check().unwrap_err();
    // The default stack needs the sentence-embedding block, and says what to add.
    let e = err(ClassifierParams {
        model: ModelKind::Stack,
        ..Default::default()
    });
    assert_eq!(e, ClassifyParamsError::StackNeedsTransformer);
    assert!(e.to_string().contains("[classify.transformer]"), "{e}");
    assert!(
        e.to_string().contains("--features tfidf+transformer"),
        "{e}"
    );
    assert!(ClassifierParams {
        model: ModelKind::Stack,
        transformer: Some(TransformerFeatureParams::default()),
        ..Default::default()
    }
    .check()
    .is_ok());
    // Without the embedding view, no block needed.
    assert!(stack_params(tfidf_views()).check().is_ok());
    // TF-IDF views need a TF-IDF block.
    let mut p = stack_params(vec![StackView::EmbeddingLr, StackView::NbLr]);
    p.transformer = Some(TransformerFeatureParams::default());
    p.features.word = None;
    p.features.char = None;
    assert_eq!(
        err(p.clone()),
        ClassifyParamsError::StackNeedsTfidf("nb_lr")
    );
    p.stack.as_mut().unwrap().views = vec![StackView::EmbeddingLr];
    assert!(p.check().is_ok());
    // A stack table with another model.
    let e = err(ClassifierParams {
        stack: Some(StackParams::default()),
        ..Default::default()
    });
    assert_eq!(e, ClassifyParamsError::StackTableWithoutStack("linear_svm"));
    // The table's own rules, each naming the key and the value.
    let bad = |f: &dyn Fn(&mut StackParams), key: &str, needle: &str| {
        let mut p = stack_params(tfidf_views());
        f(p.stack.as_mut().unwrap());
        let e = err(p);
        assert!(
            matches!(&e, ClassifyParamsError::InvalidStack { key: k, .. } if *k == key),
            "{e}"
        );
        assert!(e.to_string().contains(needle), "{e}");
    };
    bad(&|s| s.views.clear(), "views", "at least one");
    bad(
        &|s| s.views.push(StackView::NbLr),
        "views",
        "\"nb_lr\" twice",
    );
    bad(&|s| s.folds = 1, "folds", "got 1");
    bad(&|s| s.meta_c = 0.0, "meta_c", "got 0");
    bad(&|s| s.embedding_c = f64::NAN, "embedding_c", "NaN");
    bad(&|s| s.nb_c = -1.0, "nb_c", "-1");
    bad(&|s| s.nb_alpha = f64::INFINITY, "nb_alpha", "inf");
    // TOML surface: `model = "stack"` and a [stack] table; unknown keys rejected.
    let t: ClassifierParams =
        toml::from_str("model = \"stack\"\n[stack]\nfolds = 3\nviews = [\"nb_lr\"]\n").unwrap();
    assert_eq!(t.stack.as_ref().unwrap().folds, 3);
    assert_eq!(t.stack.as_ref().unwrap().meta_c, 1.0);
    assert!(t.check().is_ok());
    assert!(toml::from_str::<ClassifierParams>("[stack]\nfold = 3\n").is_err());
    // Non-stack parameters serialize without a stack key (older readers).
    let s = serde_json::to_string(&ClassifierParams::default()).unwrap();
    assert!(!s.contains("stack"), "{s}");
}

#[test]
fn multi_label_data_is_refused() {
    let p = stack_params(tfidf_views()).check().unwrap();
    let y = Labels::Multi(
        (0..10)
            .map(|i| vec![if i % 2 == 0 { "a" } else { "b" }.to_string()])
            .collect(),
    );
    let texts: Vec<String> = (0..10).map(|i| format!("word{} common", i % 2)).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let e = p.train(&refs, &y).unwrap_err();
    assert_eq!(e, ClassifyError::StackMultiLabel);
    assert!(e.to_string().contains("single-label"), "{e}");
}

fn fake_id(dimension: usize) -> EncoderId {
    EncoderId {
        model: "fake-model".into(),
        dimension,
        model_files: [("model.safetensors".to_string(), "ab".repeat(32))]
            .into_iter()
            .collect(),
    }
}

#[test]
fn the_embedding_view_reads_the_embedding_columns_and_survives_a_file() {
    let (texts, y) = toy();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // A 3-dimensional "embedding" that knows the stance of even rows only.
    let dense = ndarray::Array2::from_shape_fn((40, 3), |(i, j)| match j {
        0 => {
            if i % 2 == 0 {
                0.8
            } else {
                -0.8
            }
        }
        1 => 0.6,
        _ => 0.0,
    });
    let p = ClassifierParams {
        model: ModelKind::Stack,
        transformer: Some(TransformerFeatureParams {
            model: "fake-model".into(),
            weight: 1.0,
        }),
        ..Default::default()
    }
    .check()
    .unwrap();
    let id = fake_id(3);
    let (features, x) = p
        .features()
        .fit_transform_with(&refs, Some((dense.view(), &id)))
        .unwrap();
    let n_tfidf = features.n_features() - 3;
    let classes = y.classes().unwrap();
    let enc = y.encode(&classes).unwrap();
    let (stack, meta) = p.train_stack(&x, n_tfidf, &enc).unwrap();
    assert_eq!(stack.views()[1].view, StackView::EmbeddingLr);
    assert_eq!(stack.views()[1].model.n_features(), 3);
    assert_eq!(meta.n_features(), 3);
    let clf = crate::classify::Classifier {
        params: p.params().clone(),
        features,
        model: meta,
        stack: Some(stack),
    };
    let before = clf.predict_with(&refs, Some(dense.view())).unwrap();
    let file = ModelFile::new(
        TrainedModel::Single(clf),
        TrainingInfo::from_data(&refs, &y, None),
    );
    let json = file.to_json().unwrap();
    let back = ModelFile::from_slice_unloaded(json.as_bytes()).unwrap();
    let TrainedModel::Single(c) = &back.model else {
        unreachable!()
    };
    let after = c.predict_with(&refs, Some(dense.view())).unwrap();
    assert_eq!(before, after);
    // Without the embeddings (no loaded model): a typed error.
    assert!(matches!(
        back.predict(&refs, None).unwrap_err(),
        ClassifyError::NoEncoder { .. }
    ));
}
