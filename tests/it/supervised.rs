//! train / evaluate / predict on a user's own CSV and on shared data.

use crate::common::{read, rhetor, shared_data, strings};
use predicates::prelude::*;

/// A small labelled CSV: two stances in distinct vocabularies, a split column.
fn labelled_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let favor = [
        "We must secure the border and enforce the law",
        "Deport criminals and protect our workers",
        "ICE keeps communities safe from crime",
        "Enforcement of immigration law protects wages",
    ];
    let against = [
        "Abolish ICE and free the detained families",
        "Raids tear families apart and spread fear",
        "Solidarity with migrants against deportation",
        "Detention camps are cruel and must close",
    ];
    let mut s = String::from("id,text,stance,split\n");
    for i in 0..40 {
        let (t, l) = if i % 2 == 0 {
            (favor[i / 2 % 4], "FAVOR")
        } else {
            (against[i / 2 % 4], "AGAINST")
        };
        let split = if i < 30 { "train" } else { "test" };
        s.push_str(&format!("r{i},\"{t} (note {i})\",{l},{split}\n"));
    }
    let f = dir.join("labelled.csv");
    std::fs::write(&f, s).unwrap();
    f
}

#[test]
fn predict_equals_evaluate_on_a_held_out_split() {
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    let eval = dir.path().join("eval");
    rhetor()
        .arg("evaluate")
        .arg(&data)
        .args(["--label-col", "stance", "--split-col", "split", "--out"])
        .arg(&eval)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("pooled").and(predicate::str::contains("F_avg")));
    // Train on the train rows, predict the test rows.
    let all = std::fs::read_to_string(&data).unwrap();
    let mut lines = all.lines();
    let header = lines.next().unwrap();
    let (train, test): (Vec<&str>, Vec<&str>) = lines.partition(|l| l.ends_with(",train"));
    let train_f = dir.path().join("train.csv");
    let test_f = dir.path().join("test.csv");
    std::fs::write(&train_f, format!("{header}\n{}\n", train.join("\n"))).unwrap();
    std::fs::write(&test_f, format!("{header}\n{}\n", test.join("\n"))).unwrap();
    let model = dir.path().join("model.json");
    rhetor()
        .arg("train")
        .arg(&train_f)
        .args(["--label-col", "stance", "--out"])
        .arg(&model)
        .assert()
        .code(0);
    let pred = dir.path().join("pred.parquet");
    rhetor()
        .arg("predict")
        .arg(&model)
        .arg(&test_f)
        .arg("--out")
        .arg(&pred)
        .assert()
        .code(0);
    let a = read(&eval.join("eval_predictions.parquet"));
    let b = read(&pred);
    assert_eq!(strings(&a, "id"), strings(&b, "id"));
    assert_eq!(strings(&a, "predicted"), strings(&b, "predicted"));
    let sa = a.column("score_FAVOR").unwrap().f64().unwrap().clone();
    let sb = b.column("score_FAVOR").unwrap().f64().unwrap().clone();
    for (x, y) in sa.iter().zip(sb.iter()) {
        assert!((x.unwrap() - y.unwrap()).abs() < 1e-9);
    }
    let m = read(&eval.join("eval_metrics.parquet"));
    assert!(strings(&m, "metric")
        .iter()
        .any(|x| x.as_deref() == Some("macro_f1")));
}

#[test]
fn missing_label_column_lists_columns() {
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    rhetor()
        .arg("train")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no column 'label'").and(predicate::str::contains("stance")),
        );
}

#[test]
fn unlabelled_rows_are_an_error_or_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.csv");
    std::fs::write(&f, "id,text,label\na,Secure the border.,FAVOR\nb,Abolish ICE.,\nc,Close the camps.,AGAINST\nd,Enforce the law.,FAVOR\ne,Free them all.,AGAINST\n").unwrap();
    rhetor()
        .arg("train")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("1 rows have no label")
                .and(predicate::str::contains("b"))
                .and(predicate::str::contains("--skip-unlabelled")),
        );
    rhetor()
        .arg("train")
        .arg(&f)
        .args(["--skip-unlabelled", "--out"])
        .arg(dir.path().join("m.json"))
        .assert()
        .code(0);
}

#[test]
fn single_class_and_too_few_per_fold_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.csv");
    std::fs::write(&f, "id,text,label\na,One.,X\nb,Two.,X\nc,Three.,X\n").unwrap();
    rhetor()
        .arg("train")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("panicked").not());
    let g = dir.path().join("g.csv");
    std::fs::write(
        &g,
        "id,text,label\na,One.,X\nb,Two.,Y\nc,Three.,X\nd,Four.,Y\n",
    )
    .unwrap();
    rhetor()
        .arg("evaluate")
        .arg(&g)
        .arg("--out")
        .arg(dir.path().join("e"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("fold").and(predicate::str::contains("panicked").not()));
}

#[test]
fn corrupt_model_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    let m = dir.path().join("m.json");
    std::fs::write(
        &m,
        "{\"format\": \"rhetor-classifier\", \"format_version\": 99}",
    )
    .unwrap();
    rhetor()
        .arg("predict")
        .arg(&m)
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("p.parquet"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("m.json").and(predicate::str::contains("panicked").not()));
    std::fs::write(&m, "{\"format\": \"rhetor-classif").unwrap();
    rhetor()
        .arg("predict")
        .arg(&m)
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("p.parquet"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn convention_grouped_by_speech() {
    let Some(data) = shared_data("convention2012_party") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    rhetor()
        .arg("evaluate")
        .arg(&data)
        .args(["--group-col", "speech_id", "--out"])
        .arg(dir.path().join("e"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("pooled"));
}

#[test]
fn zero_shot_codebook_evaluation_with_label_map() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("frames.csv");
    std::fs::write(
        &f,
        "id,text,label\n1,The tax cuts will cost the budget billions of dollars.,Econ\n2,Police arrested the suspects for the crime and a judge sentenced them.,Crime\n3,The new tariffs raise prices and hurt wages and jobs.,Econ\n4,Prosecutors charged him with murder; the jury convicted him.,Crime\n",
    )
    .unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        "economic = \"Econ\"\ncrime_and_punishment = \"Crime\"\n",
    )
    .unwrap();
    let out = dir.path().join("z");
    rhetor()
        .arg("evaluate")
        .arg(&f)
        .args(["--codebook", "policy_frames", "--label-map"])
        .arg(&map)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("zero-shot policy_frames on 4 rows")
                .and(predicate::str::contains("majority class")),
        );
    let p = read(&out.join("eval_predictions.parquet"));
    assert_eq!(
        strings(&p, "predicted"),
        vec![
            Some("Econ".into()),
            Some("Crime".into()),
            Some("Econ".into()),
            Some("Crime".into())
        ]
    );
}

#[test]
fn run_with_a_classifier_adds_its_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    let model = dir.path().join("enforcement_stance.json");
    rhetor()
        .arg("train")
        .arg(&data)
        .args(["--label-col", "stance", "--out"])
        .arg(&model)
        .assert()
        .code(0);
    let out = dir.path().join("run");
    rhetor()
        .arg("run")
        .arg(crate::common::demo_corpus())
        .arg("--classifier")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let paras = read(&out.join("paragraphs.parquet"));
    let labels = strings(&paras, "enforcement_stance");
    assert!(labels
        .iter()
        .all(|l| matches!(l.as_deref(), Some("FAVOR") | Some("AGAINST"))));
    assert!(paras.column("enforcement_stance__FAVOR").is_ok());
    let shares = read(&out.join("doc_labels.parquet"));
    assert!(strings(&shares, "dimension")
        .iter()
        .any(|d| d.as_deref() == Some("enforcement_stance")));
}

/// Whether all-MiniLM-L6-v2 is installed (the sentence-embedding tests are skipped
/// otherwise: `rhetor model fetch all-MiniLM-L6-v2`).
fn minilm_installed() -> bool {
    let dir = std::env::var_os("RHETOR_MODELS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    let ok = dir.join("all-MiniLM-L6-v2/model.safetensors").is_file();
    if !ok {
        eprintln!(
            "skipped: all-MiniLM-L6-v2 is not installed (rhetor model fetch all-MiniLM-L6-v2)"
        );
    }
    ok
}

#[test]
fn transformer_features_predict_equals_evaluate_and_another_model_is_refused() {
    if !minilm_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    let eval = dir.path().join("eval");
    rhetor()
        .arg("evaluate")
        .arg(&data)
        .args([
            "--label-col",
            "stance",
            "--split-col",
            "split",
            "--features",
            "tfidf+transformer",
            "--out",
        ])
        .arg(&eval)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("F_avg"))
        .stderr(predicate::str::contains(
            "sentence embeddings (all-MiniLM-L6-v2)",
        ));
    let all = std::fs::read_to_string(&data).unwrap();
    let mut lines = all.lines();
    let header = lines.next().unwrap();
    let (train, test): (Vec<&str>, Vec<&str>) = lines.partition(|l| l.ends_with(",train"));
    let train_f = dir.path().join("train.csv");
    let test_f = dir.path().join("test.csv");
    std::fs::write(&train_f, format!("{header}\n{}\n", train.join("\n"))).unwrap();
    std::fs::write(&test_f, format!("{header}\n{}\n", test.join("\n"))).unwrap();
    let model = dir.path().join("model.json");
    rhetor()
        .arg("train")
        .arg(&train_f)
        .args(["--label-col", "stance", "--features", "tfidf+transformer"])
        .args(["--transformer-weight", "2", "--out"])
        .arg(&model)
        .assert()
        .code(0);
    let json = std::fs::read_to_string(&model).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["params"]["transformer"]["weight"], 2.0);
    let blocks = v["model"]["features"]["blocks"].as_array().unwrap();
    let last = blocks.last().unwrap();
    assert_eq!(last["kind"], "transformer");
    assert_eq!(last["encoder"]["model"], "all-MiniLM-L6-v2");
    assert_eq!(last["encoder"]["dimension"], 384);
    let sum = last["encoder"]["model_files"]["model.safetensors"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sum.len(), 64);
    // The model trained with another weight differs from evaluate's; retrain with the
    // default weight for the comparison.
    rhetor()
        .arg("train")
        .arg(&train_f)
        .args(["--label-col", "stance", "--features", "tfidf+transformer"])
        .args(["--force", "--out"])
        .arg(&model)
        .assert()
        .code(0);
    let pred = dir.path().join("pred.parquet");
    rhetor()
        .arg("predict")
        .arg(&model)
        .arg(&test_f)
        .arg("--out")
        .arg(&pred)
        .assert()
        .code(0);
    let a = read(&eval.join("eval_predictions.parquet"));
    let b = read(&pred);
    assert_eq!(strings(&a, "id"), strings(&b, "id"));
    assert_eq!(strings(&a, "predicted"), strings(&b, "predicted"));
    for class in ["AGAINST", "FAVOR"] {
        let col = format!("score_{class}");
        let sa = a.column(&col).unwrap().f64().unwrap().clone();
        let sb = b.column(&col).unwrap().f64().unwrap().clone();
        for (x, y) in sa.iter().zip(sb.iter()) {
            assert_eq!(x.unwrap().to_bits(), y.unwrap().to_bits());
        }
    }
    // A model file trained on other model files is refused, naming the file.
    let json = std::fs::read_to_string(&model).unwrap();
    let sum = {
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["model"]["features"]["blocks"][2]["encoder"]["model_files"]["model.safetensors"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let other = dir.path().join("other.json");
    std::fs::write(&other, json.replace(&sum, &"0".repeat(64))).unwrap();
    rhetor()
        .arg("predict")
        .arg(&other)
        .arg(&test_f)
        .arg("--out")
        .arg(dir.path().join("p2.parquet"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("installed model differs")
                .and(predicate::str::contains("model.safetensors"))
                .and(predicate::str::contains("panicked").not()),
        );
    // `run --classifier` labels paragraphs with it (the same features).
    let named = dir.path().join("tr_stance.json");
    std::fs::copy(&model, &named).unwrap();
    let out = dir.path().join("run");
    rhetor()
        .arg("run")
        .arg(crate::common::demo_corpus())
        .arg("--classifier")
        .arg(&named)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let paras = read(&out.join("paragraphs.parquet"));
    assert!(strings(&paras, "tr_stance")
        .iter()
        .all(|l| matches!(l.as_deref(), Some("FAVOR") | Some("AGAINST"))));
}

#[test]
fn transformer_weight_needs_embedding_features() {
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    rhetor()
        .arg("train")
        .arg(&data)
        .args([
            "--label-col",
            "stance",
            "--transformer-weight",
            "2",
            "--out",
        ])
        .arg(dir.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--features transformer"));
}

#[test]
fn transformer_model_needs_embedding_features_and_names_a_missing_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    rhetor()
        .arg("train")
        .arg(&data)
        .args(["--label-col", "stance", "--transformer-model", "x", "--out"])
        .arg(dir.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--transformer-model needs"));
    rhetor()
        .arg("train")
        .arg(&data)
        .args([
            "--label-col",
            "stance",
            "--features",
            "tfidf+transformer",
            "--transformer-model",
            "no-such-model-here",
            "--out",
        ])
        .arg(dir.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no-such-model-here"));
    assert!(!dir.path().join("m.json").exists());
}

/// Writes a tiny sentence-transformers folder (a 2-layer BERT of width 8 with seeded random
/// weights, a word-level tokenizer over the words of [`labelled_csv`]) so the embedding
/// tests run without all-MiniLM-L6-v2.
fn write_tiny_encoder(dir: &std::path::Path) {
    let words: Vec<String> = {
        let mut w: Vec<String> = [
            "we must secure the border and enforce law deport criminals protect our workers ice \
             keeps communities safe from crime enforcement of immigration protects wages abolish \
             free detained families raids tear apart spread fear solidarity with migrants against \
             deportation detention camps are cruel close note",
        ]
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_owned)
        .collect();
        w.sort();
        w.dedup();
        w
    };
    let mut vocab = vec!["[PAD]", "[UNK]", "[CLS]", "[SEP]"];
    vocab.extend(words.iter().map(String::as_str));
    let (h, inter, layers, positions) = (8usize, 16usize, 2usize, 64usize);
    std::fs::create_dir_all(dir.join("1_Pooling")).unwrap();
    let config = serde_json::json!({
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": vocab.len(),
        "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 2,
        "intermediate_size": inter, "hidden_act": "gelu",
        "max_position_embeddings": positions, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "pad_token_id": 0
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let v: serde_json::Map<String, serde_json::Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), serde_json::json!(i)))
        .collect();
    let added: Vec<_> = vocab[..4]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({"id": i, "content": t, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    let tokenizer = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}}
            ],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}}
            ],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": v, "unk_token": "[UNK]"}
    });
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    std::fs::write(
        dir.join("modules.json"),
        r#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
            {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
            {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("1_Pooling/config.json"),
        format!(r#"{{"word_embedding_dimension": {h}, "pooling_mode_mean_tokens": true}}"#),
    )
    .unwrap();
    std::fs::write(
        dir.join("sentence_bert_config.json"),
        r#"{"max_seq_length": 48, "do_lower_case": false}"#,
    )
    .unwrap();
    // Tensors (name, shape, values): uniform(-a, a) from a seeded LCG, LayerNorms 1 / 0.
    let mut state: u64 = 7;
    let mut uniform = |n: usize, a: f32| -> Vec<f32> {
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * a
            })
            .collect()
    };
    let mut t: Vec<(String, Vec<usize>, Vec<f32>)> = vec![
        (
            "embeddings.word_embeddings.weight".into(),
            vec![vocab.len(), h],
            uniform(vocab.len() * h, 1.0),
        ),
        (
            "embeddings.position_embeddings.weight".into(),
            vec![positions, h],
            uniform(positions * h, 1.0),
        ),
        (
            "embeddings.token_type_embeddings.weight".into(),
            vec![2, h],
            uniform(2 * h, 1.0),
        ),
    ];
    let mut norms = vec!["embeddings.LayerNorm".to_string()];
    for l in 0..layers {
        let p = format!("encoder.layer.{l}");
        let mut lin = |name: String, out: usize, inp: usize| {
            let a = 1.0 / (inp as f32).sqrt();
            t.push((
                format!("{name}.weight"),
                vec![out, inp],
                uniform(out * inp, a),
            ));
            t.push((format!("{name}.bias"), vec![out], uniform(out, a / 2.0)));
        };
        for part in ["query", "key", "value"] {
            lin(format!("{p}.attention.self.{part}"), h, h);
        }
        lin(format!("{p}.attention.output.dense"), h, h);
        lin(format!("{p}.intermediate.dense"), inter, h);
        lin(format!("{p}.output.dense"), h, inter);
        norms.push(format!("{p}.attention.output.LayerNorm"));
        norms.push(format!("{p}.output.LayerNorm"));
    }
    for n in norms {
        t.push((format!("{n}.weight"), vec![h], vec![1.0; h]));
        t.push((format!("{n}.bias"), vec![h], vec![0.0; h]));
    }
    // The safetensors layout: u64 header length, JSON header, little-endian f32 data.
    let mut header = serde_json::Map::new();
    let mut data: Vec<u8> = Vec::new();
    for (name, shape, values) in &t {
        let begin = data.len();
        data.extend(values.iter().flat_map(|x| x.to_le_bytes()));
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [begin, data.len()]}),
        );
    }
    let mut head = serde_json::Value::Object(header).to_string().into_bytes();
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut bytes = (head.len() as u64).to_le_bytes().to_vec();
    bytes.extend(head);
    bytes.extend(data);
    std::fs::write(dir.join("model.safetensors"), bytes).unwrap();
}

/// `--model stack` (with a tiny encoder): evaluate on a held-out split, train the same model
/// on the training rows, predict the test rows: the same labels and bit-identical scores and
/// probabilities; the file is format_version 2 with the three views; the same bytes on 1 and
/// 2 threads. Without the embedding block the error says what to add.
#[test]
fn stack_model_predict_equals_evaluate_and_needs_the_embedding_block() {
    let dir = tempfile::tempdir().unwrap();
    let data = labelled_csv(dir.path());
    let models = dir.path().join("models");
    let tiny = dir.path().join("tiny-encoder");
    write_tiny_encoder(&tiny);
    let tiny_s = tiny.to_str().unwrap();
    let stack_args = [
        "--label-col",
        "stance",
        "--model",
        "stack",
        "--features",
        "tfidf+transformer",
        "--transformer-model",
        tiny_s,
    ];
    // Refused without the embedding features, naming what to add.
    rhetor()
        .env("RHETOR_MODELS", &models)
        .arg("train")
        .arg(&data)
        .args(["--label-col", "stance", "--model", "stack", "--out"])
        .arg(dir.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("[classify.transformer]")
                .and(predicate::str::contains("--features tfidf+transformer"))
                .and(predicate::str::contains("panicked").not()),
        );
    let eval = dir.path().join("eval");
    rhetor()
        .env("RHETOR_MODELS", &models)
        .arg("evaluate")
        .arg(&data)
        .args(stack_args)
        .args(["--split-col", "split", "--out"])
        .arg(&eval)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("F_avg"));
    let all = std::fs::read_to_string(&data).unwrap();
    let mut lines = all.lines();
    let header = lines.next().unwrap();
    let (train, test): (Vec<&str>, Vec<&str>) = lines.partition(|l| l.ends_with(",train"));
    let train_f = dir.path().join("train.csv");
    let test_f = dir.path().join("test.csv");
    std::fs::write(&train_f, format!("{header}\n{}\n", train.join("\n"))).unwrap();
    std::fs::write(&test_f, format!("{header}\n{}\n", test.join("\n"))).unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let model = dir.path().join(format!("stack-{threads}.json"));
        rhetor()
            .env("RHETOR_MODELS", &models)
            .env("RAYON_NUM_THREADS", threads)
            .arg("train")
            .arg(&train_f)
            .args(stack_args)
            .arg("--out")
            .arg(&model)
            .assert()
            .code(0);
        files.push(std::fs::read(&model).unwrap());
    }
    assert_eq!(
        files[0], files[1],
        "model file bytes differ between 1 and 2 threads"
    );
    let v: serde_json::Value = serde_json::from_slice(&files[0]).unwrap();
    assert_eq!(v["format_version"], 2);
    assert_eq!(v["params"]["model"], "stack");
    let views: Vec<&str> = v["model"]["stack"]["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["view"].as_str().unwrap())
        .collect();
    assert_eq!(views, ["tfidf_svm", "embedding_lr", "nb_lr"]);
    let model = dir.path().join("stack-1.json");
    let pred = dir.path().join("pred.parquet");
    rhetor()
        .env("RHETOR_MODELS", &models)
        .arg("predict")
        .arg(&model)
        .arg(&test_f)
        .arg("--out")
        .arg(&pred)
        .assert()
        .code(0);
    let a = read(&eval.join("eval_predictions.parquet"));
    let b = read(&pred);
    assert_eq!(strings(&a, "id"), strings(&b, "id"));
    assert_eq!(strings(&a, "predicted"), strings(&b, "predicted"));
    // score_<class> holds the meta model's probabilities.
    for col in ["score_AGAINST", "score_FAVOR"] {
        let sa = a.column(col).unwrap().f64().unwrap().clone();
        let sb = b.column(col).unwrap().f64().unwrap().clone();
        for (x, y) in sa.iter().zip(sb.iter()) {
            assert_eq!(x.unwrap().to_bits(), y.unwrap().to_bits(), "{col}");
        }
    }
    // A corrupt stack part is a typed error, not a panic.
    let broken = String::from_utf8(files[0].clone()).unwrap().replacen(
        "\"view\":\"nb_lr\"",
        "\"view\":\"tfidf_svm\"",
        1,
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, broken).unwrap();
    rhetor()
        .env("RHETOR_MODELS", &models)
        .arg("predict")
        .arg(&bad)
        .arg(&test_f)
        .arg("--out")
        .arg(dir.path().join("p2.parquet"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("corrupt classifier file")
                .and(predicate::str::contains("panicked").not()),
        );
}

/// `--hashtags tag_and_split`: evaluate on a held-out split equals train + predict bit for
/// bit (the model file records the option and predict applies it), the default model file
/// has no `hashtags` key, and a bad value (flag or config) names the allowed ones.
#[test]
fn hashtags_option_predict_equals_evaluate_and_bad_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let favor = [
        "Proud of this campaign #FeelTheBern",
        "Rally tonight, see you there #Bernie2020",
        "Medicare for all now #NotMeUs",
        "He fights for us #BernieSanders",
    ];
    let against = [
        "Never voting for him #NeverBernie",
        "Too old, too radical #BernieIsAFraud",
        "Socialism fails every time #StopBernie",
        "Another empty promise #NotMyCandidate",
    ];
    let mut s = String::from("id,text,stance,split\n");
    for i in 0..40 {
        let (t, l) = if i % 2 == 0 {
            (favor[i / 2 % 4], "FAVOR")
        } else {
            (against[i / 2 % 4], "AGAINST")
        };
        let split = if i < 30 { "train" } else { "test" };
        s.push_str(&format!("r{i},\"{t} (note {i}) ##x #\",{l},{split}\n"));
    }
    let data = dir.path().join("tags.csv");
    std::fs::write(&data, &s).unwrap();
    let eval = dir.path().join("eval");
    rhetor()
        .arg("evaluate")
        .arg(&data)
        .args(["--label-col", "stance", "--split-col", "split"])
        .args(["--hashtags", "tag_and_split", "--out"])
        .arg(&eval)
        .assert()
        .code(0);
    let mut lines = s.lines();
    let header = lines.next().unwrap();
    let (train, test): (Vec<&str>, Vec<&str>) = lines.partition(|l| l.ends_with(",train"));
    let train_f = dir.path().join("train.csv");
    let test_f = dir.path().join("test.csv");
    std::fs::write(&train_f, format!("{header}\n{}\n", train.join("\n"))).unwrap();
    std::fs::write(&test_f, format!("{header}\n{}\n", test.join("\n"))).unwrap();
    let model = dir.path().join("model.json");
    rhetor()
        .arg("train")
        .arg(&train_f)
        .args([
            "--label-col",
            "stance",
            "--hashtags",
            "tag_and_split",
            "--out",
        ])
        .arg(&model)
        .assert()
        .code(0);
    let json = std::fs::read_to_string(&model).unwrap();
    assert!(json.contains("\"hashtags\":\"tag_and_split\""));
    assert!(
        json.contains("ht_feelthebern"),
        "the tag token is a feature"
    );
    let pred = dir.path().join("pred.parquet");
    rhetor()
        .arg("predict")
        .arg(&model)
        .arg(&test_f)
        .arg("--out")
        .arg(&pred)
        .assert()
        .code(0);
    let a = read(&eval.join("eval_predictions.parquet"));
    let b = read(&pred);
    assert_eq!(strings(&a, "id"), strings(&b, "id"));
    assert_eq!(strings(&a, "predicted"), strings(&b, "predicted"));
    let bits = |df: &polars::prelude::DataFrame| -> Vec<u64> {
        let c = df.column("score_FAVOR").unwrap().f64().unwrap().clone();
        c.iter().map(|v| v.unwrap().to_bits()).collect()
    };
    assert_eq!(bits(&a), bits(&b));
    // Without the option: no key in the file.
    let plain = dir.path().join("plain.json");
    rhetor()
        .arg("train")
        .arg(&train_f)
        .args(["--label-col", "stance", "--out"])
        .arg(&plain)
        .assert()
        .code(0);
    assert!(!std::fs::read_to_string(&plain)
        .unwrap()
        .contains("hashtags"));
    // Bad values.
    rhetor()
        .arg("train")
        .arg(&train_f)
        .args(["--label-col", "stance", "--hashtags", "both", "--out"])
        .arg(dir.path().join("bad.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tag_and_split").and(predicate::str::contains("both")));
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[classify]\nhashtags = \"both\"\n").unwrap();
    rhetor()
        .arg("train")
        .arg(&train_f)
        .args(["--label-col", "stance", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("bad.json"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("\"tag_and_split\"").and(predicate::str::contains("\"both\"")),
        );
}
