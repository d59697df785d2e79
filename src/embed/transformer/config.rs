//! `config.json` of a Hugging Face BERT-like model, mirrored with serde, checked, and (with
//! the `candle` feature) turned into candle's `BertConfig`.

use std::path::Path;

#[cfg(feature = "candle")]
use candle_transformers::models::bert::{Config as BertConfig, HiddenAct, PositionEmbeddingType};
use serde::Deserialize;

use super::TransformerError;

/// The fields of `config.json` that a BERT encoder needs (other keys are ignored).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ModelConfig {
    #[serde(default)]
    #[cfg_attr(not(feature = "candle"), allow(dead_code))] // only candle reads it
    pub model_type: Option<String>,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default)]
    #[cfg_attr(not(feature = "candle"), allow(dead_code))] // only candle reads it
    pub hidden_dropout_prob: f64,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default)]
    #[cfg_attr(not(feature = "candle"), allow(dead_code))] // only candle reads it
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

/// The architectures rhetor can run (BERT encoders, as candle's and transformers' `BertModel`).
pub(crate) const SUPPORTED: &[&str] = &["BertModel"];

impl ModelConfig {
    /// Reads `config.json`, rejecting anything but a BERT encoder before looking at the
    /// other fields (so a GPT-2 config is reported as such, not as a missing key).
    pub(crate) fn read(path: &Path) -> Result<Self, TransformerError> {
        let text = super::read_to_string(path)?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| TransformerError::Json {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let archs: Vec<String> = value
            .get("architectures")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let model_type = value.get("model_type").and_then(|m| m.as_str());
        let supported = if archs.is_empty() {
            model_type == Some("bert")
        } else {
            archs.iter().any(|a| SUPPORTED.contains(&a.as_str()))
        };
        if !supported {
            let architecture = if archs.is_empty() {
                format!("model_type {:?}", model_type.unwrap_or("(none)"))
            } else {
                archs.join(", ")
            };
            return Err(TransformerError::UnsupportedArchitecture {
                path: path.to_path_buf(),
                architecture,
            });
        }
        let config: ModelConfig =
            serde_json::from_value(value).map_err(|e| TransformerError::Json {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        config.check(path)?;
        Ok(config)
    }

    /// Checks that both engines can run this model: a supported activation, absolute
    /// positions, heads that divide the hidden size, positive sizes.
    pub(crate) fn check(&self, path: &Path) -> Result<(), TransformerError> {
        let bad = |message: String| TransformerError::Config {
            path: path.to_path_buf(),
            message,
        };
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

    /// candle's configuration for this model (checked by [`ModelConfig::check`] first).
    #[cfg(feature = "candle")]
    pub(crate) fn to_bert(&self, path: &Path) -> Result<BertConfig, TransformerError> {
        self.check(path)?;
        let hidden_act = match self.hidden_act.as_str() {
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => HiddenAct::GeluApproximate,
            "relu" => HiddenAct::Relu,
            _ => HiddenAct::Gelu,
        };
        Ok(BertConfig {
            vocab_size: self.vocab_size,
            hidden_size: self.hidden_size,
            num_hidden_layers: self.num_hidden_layers,
            num_attention_heads: self.num_attention_heads,
            intermediate_size: self.intermediate_size,
            hidden_act,
            hidden_dropout_prob: self.hidden_dropout_prob,
            max_position_embeddings: self.max_position_embeddings,
            type_vocab_size: self.type_vocab_size,
            initializer_range: self.initializer_range,
            layer_norm_eps: self.layer_norm_eps,
            pad_token_id: self.pad_token_id,
            position_embedding_type: PositionEmbeddingType::Absolute,
            use_cache: false,
            classifier_dropout: None,
            model_type: self.model_type.clone(),
        })
    }
}
