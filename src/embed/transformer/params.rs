//! Parameters of the transformer embedder and the counts of one `embed` call.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{TransformerError, CANDLE_NOT_BUILT, DEFAULT_MODEL};

/// What to do with a text longer than the maximum length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Long {
    /// Keep the first `max_length` tokens (special tokens included), as sentence-transformers
    /// does.
    #[default]
    Truncate,
    /// Cut the text into windows of `max_length` tokens (special tokens included) that
    /// overlap by a quarter of a window, pool each window, average the pooled vectors, then
    /// normalise (when the model normalises).
    WindowMean,
}

/// The number type the encoder runs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats throughout (matches sentence-transformers).
    #[default]
    F32,
    /// The fast mode: matrix products in a 16-bit format (weights and the activations
    /// entering each product rounded to it; attention, softmax, LayerNorm, GELU in f32).
    /// bfloat16 with AVX512-BF16 (f32 accumulation) where its `vdpbf16ps` measured at least
    /// 1.25× faster than f32 (once per process: AMD Zen 4/5); else fp16 with AVX512-FP16
    /// (Intel Sapphire Rapids and later), summed in fp16 over chunks of 32 products and in
    /// f32 across them. Otherwise, or with the candle engine, the encoder runs in f32 instead
    /// ([`Embedder::precision`] tells which one runs, [`Embedder::kernel`] which format).
    Bf16,
}

/// Which implementation runs the encoder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// rhetor's own encoder (see the `native` module): unpadded batches, packed AVX-512
    /// matrix products, bf16 support.
    #[default]
    Native,
    /// candle's `BertModel` in f32 on padded batches: the reference implementation. Needs
    /// rhetor built with the cargo feature `candle` (`cargo build --features candle`); without
    /// it, [`TransformerParams::check`] refuses this engine.
    Candle,
}

/// Parameters of the transformer embedder (the `[embed]` section with `type = "transformer"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransformerParams {
    /// A model name looked up in the models directory, or a path to any local
    /// sentence-transformers folder.
    pub model: String,
    /// Sequences per forward pass.
    pub batch_size: usize,
    /// Maximum tokens per sequence, special tokens included; `None` = the folder's
    /// `max_seq_length` (`sentence_bert_config.json`).
    pub max_length: Option<usize>,
    /// What to do with longer texts.
    pub long: Long,
    /// Threads for the encoder: the size of the rayon pool it runs in; `None` = rayon's
    /// global pool. The native engine's vectors do not depend on it (bit-identical); the
    /// candle engine splits each matrix product into `RAYON_NUM_THREADS` tasks (equal up to
    /// rounding).
    pub threads: Option<usize>,
    /// Number type of the encoder.
    pub precision: Precision,
    /// Implementation of the encoder.
    pub engine: Engine,
    /// Keep computed vectors in an on-disk cache keyed by (model, settings, text) and reuse
    /// them on later runs (see the `cache` module).
    pub cache: bool,
    /// Folder of the cache; `None` = `cache/` in the models directory.
    pub cache_dir: Option<PathBuf>,
}

impl Default for TransformerParams {
    fn default() -> Self {
        Self {
            model: DEFAULT_MODEL.to_string(),
            batch_size: 32,
            max_length: None,
            long: Long::Truncate,
            threads: None,
            precision: Precision::F32,
            engine: Engine::Native,
            cache: true,
            cache_dir: None,
        }
    }
}

impl TransformerParams {
    /// Checks the parameters that can be checked without the model folder (`max_length` is
    /// also checked against the model by [`load`]).
    pub fn check(&self) -> Result<(), TransformerError> {
        let bad = |message: &str| Err(TransformerError::Params(message.to_string()));
        if self.model.trim().is_empty() {
            return bad("model must not be empty");
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1");
        }
        if matches!(self.max_length, Some(n) if n < 4) {
            return bad("max_length must be at least 4 (two special tokens and some text)");
        }
        if self.threads == Some(0) {
            return bad("threads must be at least 1 (or left out for all cores)");
        }
        if self.engine == Engine::Candle && !cfg!(feature = "candle") {
            return bad(CANDLE_NOT_BUILT);
        }
        Ok(())
    }
}

/// Counts from one [`Embedder::embed`] call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedStats {
    /// Texts embedded.
    pub n_texts: usize,
    /// Texts longer than the maximum length (cut, or split into windows).
    pub n_truncated: usize,
    /// Tokens fed to the model, special tokens included, padding excluded.
    pub n_tokens: usize,
    /// Padding tokens added to fill batches (the native engine never pads).
    pub n_pad_tokens: usize,
    /// Texts whose vectors came from the cache (their tokens are counted above all the same).
    pub n_cached: usize,
}
