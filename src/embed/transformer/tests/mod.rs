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

mod real;
