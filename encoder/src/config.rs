//! `config.json` of a Hugging Face BERT-like model, mirrored with serde and checked. Reading
//! the file (and refusing other architectures) is rhetor's (`embed::transformer::config`).

use serde::Deserialize;

/// The fields of `config.json` that a BERT encoder needs (other keys are ignored).
#[derive(Clone, Debug, Deserialize)]
pub struct ModelConfig {
    #[serde(default)]
    /// Read by candle's engine only.
    pub model_type: Option<String>,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default)]
    pub hidden_dropout_prob: f64,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default)]
    pub initializer_range: f64,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: usize,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_act() -> String {
    "gelu".into()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

impl ModelConfig {
    /// Checks that both engines can run this model: a supported activation, absolute
    /// positions, heads that divide the hidden size, positive sizes.
    pub fn check(&self) -> Result<(), String> {
        let bad = |message: String| message;
        match self.hidden_act.as_str() {
            "gelu" | "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" | "relu" => {}
            other => return Err(bad(format!("hidden_act {other:?} is not supported"))),
        }
        match self.position_embedding_type.as_deref() {
            None | Some("absolute") => {}
            Some(other) => {
                return Err(bad(format!(
                    "position_embedding_type {other:?} is not supported (only \"absolute\")"
                )))
            }
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(bad(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        if self.vocab_size == 0 || self.max_position_embeddings == 0 || self.type_vocab_size == 0 {
            return Err(bad(
                "vocab_size, max_position_embeddings and type_vocab_size must be positive".into(),
            ));
        }
        Ok(())
    }
}
