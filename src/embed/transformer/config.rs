//! `config.json` of a Hugging Face BERT-like model, mirrored with serde, checked, and (with
//! the `candle` feature) turned into candle's `BertConfig`.

use std::path::Path;

#[cfg(feature = "candle")]
use candle_transformers::models::bert::{Config as BertConfig, HiddenAct, PositionEmbeddingType};

use super::TransformerError;
pub(crate) use rhetor_encoder::ModelConfig;

/// The architectures rhetor can run (BERT encoders, as candle's and transformers' `BertModel`).
pub(crate) const SUPPORTED: &[&str] = &["BertModel"];

/// Reads `config.json`, rejecting anything but a BERT encoder before looking at the
/// other fields (so a GPT-2 config is reported as such, not as a missing key).
pub(crate) fn read(path: &Path) -> Result<ModelConfig, TransformerError> {
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
    check(&config, path)?;
    Ok(config)
}

/// Checks that both engines can run this model (see [`ModelConfig::check`]).
pub(crate) fn check(cfg: &ModelConfig, path: &Path) -> Result<(), TransformerError> {
    cfg.check().map_err(|message| TransformerError::Config {
        path: path.to_path_buf(),
        message,
    })
}

/// candle's configuration for this model (checked by [`check`] first).
#[cfg(feature = "candle")]
pub(crate) fn to_bert(cfg: &ModelConfig, path: &Path) -> Result<BertConfig, TransformerError> {
    check(cfg, path)?;
    let hidden_act = match cfg.hidden_act.as_str() {
        "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => HiddenAct::GeluApproximate,
        "relu" => HiddenAct::Relu,
        _ => HiddenAct::Gelu,
    };
    Ok(BertConfig {
        vocab_size: cfg.vocab_size,
        hidden_size: cfg.hidden_size,
        num_hidden_layers: cfg.num_hidden_layers,
        num_attention_heads: cfg.num_attention_heads,
        intermediate_size: cfg.intermediate_size,
        hidden_act,
        hidden_dropout_prob: cfg.hidden_dropout_prob,
        max_position_embeddings: cfg.max_position_embeddings,
        type_vocab_size: cfg.type_vocab_size,
        initializer_range: cfg.initializer_range,
        layer_norm_eps: cfg.layer_norm_eps,
        pad_token_id: cfg.pad_token_id,
        position_embedding_type: PositionEmbeddingType::Absolute,
        use_cache: false,
        classifier_dropout: None,
        model_type: cfg.model_type.clone(),
    })
}
