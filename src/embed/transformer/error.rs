//! Errors of the transformer embedder.

use std::path::PathBuf;

/// Errors of the transformer embedder. Each names the file at fault and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TransformerError {
    /// Invalid [`TransformerParams`].
    #[error("invalid transformer params: {0}")]
    Params(String),
    /// `RHETOR_KERNEL` names no kernel, or one this CPU cannot run.
    #[error(transparent)]
    Kernel(#[from] crate::cpu::KernelError),
    /// The named model has no folder in the models directory.
    #[error(
        "model '{name}' is not installed (no folder {}); run `rhetor model fetch {name}`",
        dir.display()
    )]
    NotInstalled {
        /// Model name.
        name: String,
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// A file the folder must have is missing.
    #[error(
        "{} is missing: the model folder is incomplete; delete the folder and fetch the model \
         again (`rhetor model fetch <name>`)",
        path.display()
    )]
    MissingFile {
        /// The missing file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A JSON file of the folder is not what sentence-transformers writes.
    #[error("{} is not valid: {message}; fetch the model again", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// `config.json` names an architecture rhetor cannot run.
    #[error(
        "{} declares architecture {architecture}, which rhetor cannot run: only BERT encoders \
         (`BertModel`) are supported; choose a BERT-based sentence-transformers model",
        path.display()
    )]
    UnsupportedArchitecture {
        /// `config.json`.
        path: PathBuf,
        /// The architecture(s) it declares.
        architecture: String,
    },
    /// `config.json` has a value rhetor cannot use.
    #[error("{}: {message}", path.display())]
    Config {
        /// `config.json` (or the file holding the value).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `model.safetensors` is truncated, corrupt, or lacks tensors `config.json` describes.
    #[error(
        "{} is corrupt or does not match config.json ({message}); delete the model folder and \
         fetch it again",
        path.display()
    )]
    CorruptWeights {
        /// `model.safetensors`.
        path: PathBuf,
        /// The reader's message.
        message: String,
    },
    /// `tokenizer.json` cannot be loaded.
    #[error("{} cannot be loaded ({message}); fetch the model again", path.display())]
    Tokenizer {
        /// `tokenizer.json`.
        path: PathBuf,
        /// The tokenizers library's message.
        message: String,
    },
    /// `tokenizer.json` does not belong to this model.
    #[error(
        "{} has {tokenizer_vocab} tokens but {} says vocab_size = {config_vocab}: the tokenizer \
         does not belong to this model; fetch the model again",
        path.display(),
        config_path.display()
    )]
    TokenizerMismatch {
        /// `tokenizer.json`.
        path: PathBuf,
        /// `config.json`.
        config_path: PathBuf,
        /// Tokens in the tokenizer (added tokens included).
        tokenizer_vocab: usize,
        /// `vocab_size` in `config.json`.
        config_vocab: usize,
    },
    /// A file differs from the sha256 sum in the manifest.
    #[error(
        "{} has sha256 {actual}, but models/manifest.toml expects {expected}: the file is \
         corrupt or was changed; delete the model folder and run `rhetor model fetch {name}`",
        path.display()
    )]
    Checksum {
        /// Model name.
        name: String,
        /// The file.
        path: PathBuf,
        /// Sum from the manifest.
        expected: String,
        /// Sum of the file.
        actual: String,
    },
    /// `1_Pooling/config.json` asks for a pooling rhetor does not implement.
    #[error("{}: {message}", path.display())]
    Pooling {
        /// `1_Pooling/config.json`.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A text has no tokens (empty or whitespace only); filter such texts out first.
    #[error("text {index} is empty (it has no tokens); remove empty texts before embedding")]
    EmptyText {
        /// Position of the text in the input.
        index: usize,
    },
    /// The tokenizer failed on a text.
    #[error("tokenizing text {index} failed: {message}")]
    Tokenize {
        /// Position of the text in the input.
        index: usize,
        /// The tokenizers library's message.
        message: String,
    },
    /// The encoder failed while running the model.
    #[error("the encoder failed: {0}")]
    Model(String),
    /// The embedding cache cannot be used.
    #[error("embedding cache {}: {message}", path.display())]
    Cache {
        /// The cache file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

#[cfg(feature = "candle")]
impl From<candle_core::Error> for TransformerError {
    fn from(e: candle_core::Error) -> Self {
        TransformerError::Model(e.to_string())
    }
}
