//! The encoder on the real all-MiniLM-L6-v2 against sentence-transformers' own vectors of the
//! same 30 sentences (`tests/data/minilm_reference.json` of rhetor: short, long, non-English,
//! two past the 256-token limit). The token ids come from rhetor's tokenizer
//! (`tests/data/minilm_tokens.json` here; rhetor's test `encoder_crate_token_fixture_is_current`
//! checks that file against the tokenizer), so this test needs no tokenizer and runs wherever
//! the crate builds: CI runs it on x86-64 and, cross-compiled, on aarch64 under qemu-user.
//!
//! `RHETOR_ENCODER_TEST_SHORT` leaves out the sentences longer than 64 tokens (for qemu).
//! Skipped (with a message) when the model is not installed, unless `RHETOR_REQUIRE_MODEL` is
//! set, as in CI, where a missing model is a failure.

use std::path::{Path, PathBuf};

use rhetor_encoder::{kernel_name, ModelConfig, NativeBert, Workspace};

const MODEL: &str = "all-MiniLM-L6-v2";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn model_dir() -> Option<PathBuf> {
    let models = match std::env::var_os("RHETOR_MODELS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => root().join("models"),
    };
    let dir = models.join(MODEL);
    if dir.join("model.safetensors").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "{MODEL} is not installed in {} (set RHETOR_MODELS or run `rhetor model fetch {MODEL}`)",
        models.display()
    );
    if std::env::var_os("RHETOR_REQUIRE_MODEL").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Mean of the token vectors (the model's pooling; its final L2 normalisation does not change
/// a cosine).
fn mean(rows: &[f32], hidden: usize) -> Vec<f32> {
    let n = rows.len() / hidden;
    let mut v = vec![0.0f64; hidden];
    for row in rows.chunks_exact(hidden) {
        for (a, &x) in v.iter_mut().zip(row) {
            *a += f64::from(x);
        }
    }
    v.iter().map(|x| (x / n as f64) as f32).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let na: f64 = a.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn f32_vectors_match_sentence_transformers() {
    let Some(dir) = model_dir() else {
        return;
    };
    let cfg: ModelConfig = serde_json::from_value(read_json(&dir.join("config.json"))).unwrap();
    cfg.check().unwrap();
    let model = NativeBert::load(&dir.join("model.safetensors"), &cfg, false).unwrap();
    let hidden = model.hidden();

    let tokens =
        read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minilm_tokens.json"));
    let ids: Vec<Vec<u32>> = serde_json::from_value(tokens["ids"].clone()).unwrap();
    let reference = read_json(&root().join("tests/data/minilm_reference.json"));
    let want: Vec<Vec<f32>> = serde_json::from_value(reference["embeddings"].clone()).unwrap();
    assert_eq!(ids.len(), want.len());
    // Under qemu (scripts/aarch64.sh) the two sentences cut at 256 tokens, more than half of
    // all tokens, are left out: emulated, the whole set took 4.6 min of CPU time, the rest 1.8.
    let short = std::env::var_os("RHETOR_ENCODER_TEST_SHORT").is_some();
    let (ids, want): (Vec<Vec<u32>>, Vec<Vec<f32>>) = ids
        .into_iter()
        .zip(want)
        .filter(|(s, _)| !short || s.len() <= 64)
        .unzip();
    if short {
        eprintln!(
            "RHETOR_ENCODER_TEST_SHORT: {} sentences of at most 64 tokens",
            ids.len()
        );
    }

    // Batches of 8 in the fixture's order: rows must not depend on the batch either.
    let mut ws = Workspace::default();
    let mut got = Vec::new();
    for batch in ids.chunks(8) {
        let seqs: Vec<&[u32]> = batch.iter().map(Vec::as_slice).collect();
        let out = model.forward(&seqs, &mut ws);
        let mut start = 0;
        for s in &seqs {
            got.push(mean(
                &out[start * hidden..(start + s.len()) * hidden],
                hidden,
            ));
            start += s.len();
        }
    }
    for (i, s) in ids.iter().enumerate().filter(|(_, s)| s.len() <= 16) {
        let out = model.forward(&[s.as_slice()], &mut ws);
        assert_eq!(
            got[i],
            mean(out, hidden),
            "sentence {i} depends on its batch"
        );
    }

    let cosines: Vec<f64> = got.iter().zip(&want).map(|(g, w)| cosine(g, w)).collect();
    let (worst, min) =
        cosines.iter().enumerate().fold(
            (0, f64::INFINITY),
            |acc, (i, &c)| if c < acc.1 { (i, c) } else { acc },
        );
    eprintln!(
        "{} {} kernel {}: min cosine to sentence-transformers 1 - {:.1e} (sentence {worst})",
        std::env::consts::ARCH,
        rhetor_encoder::cpu::cpu_model(),
        kernel_name(false),
        1.0 - min
    );
    assert!(
        min >= 0.99999,
        "sentence {worst}: cosine {min} to sentence-transformers' vector (want >= 0.99999)"
    );
}
