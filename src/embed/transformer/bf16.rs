//! The BERT forward pass for bf16 weights.
//!
//! candle's `BertModel::forward` builds its attention mask as `(1 - mask) * f32::MIN`; in
//! bf16, `f32::MIN` rounds to `-inf` and `0 * -inf` is NaN, so every bf16 output is NaN. This
//! wrapper runs candle's own `BertEncoder` (same weights, same layers) after an embedding layer
//! equal to candle's, with a finite mask value (-1e30, far below any attention score).

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{embedding, layer_norm, Embedding, LayerNorm, VarBuilder};
use candle_transformers::models::bert::{BertEncoder, Config};

/// Mask value for padded positions (finite in bf16).
const MASKED: f64 = -1e30;

pub(crate) struct Bf16Bert {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
    encoder: BertEncoder,
}

impl Bf16Bert {
    pub(crate) fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let e = vb.pp("embeddings");
        Ok(Self {
            word: embedding(
                config.vocab_size,
                config.hidden_size,
                e.pp("word_embeddings"),
            )?,
            position: embedding(
                config.max_position_embeddings,
                config.hidden_size,
                e.pp("position_embeddings"),
            )?,
            token_type: embedding(
                config.type_vocab_size,
                config.hidden_size,
                e.pp("token_type_embeddings"),
            )?,
            norm: layer_norm(config.hidden_size, config.layer_norm_eps, e.pp("LayerNorm"))?,
            encoder: BertEncoder::load(vb.pp("encoder"), config)?,
        })
    }

    /// `ids`, `type_ids`, `mask`: `batch × len` u32. Returns `batch × len × hidden`.
    pub(crate) fn forward(&self, ids: &Tensor, type_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let positions = Tensor::arange(0u32, len as u32, ids.device())?;
        let x = (self.word.forward(ids)? + self.token_type.forward(type_ids)?)?
            .broadcast_add(&self.position.forward(&positions)?)?;
        let x = self.norm.forward(&x)?;
        let dtype = x.dtype();
        // (1 - mask) * MASKED, shaped batch × 1 × 1 × len.
        let ext = ((1.0 - mask.to_dtype(DType::F32)?)? * MASKED)?
            .unsqueeze(1)?
            .unsqueeze(1)?
            .to_dtype(dtype)?;
        self.encoder.forward(&x, &ext)
    }
}
