//! The BERT encoder: the default engine of rhetor's transformer embedder.
//!
//! Same model, same weights and same arithmetic as candle's (and sentence-transformers')
//! `BertModel` in inference: embeddings (word + position + token type 0) → LayerNorm → per
//! layer self-attention (fused Q/K/V product, softmax(QKᵀ/√d)·V per head), output product,
//! residual + LayerNorm, feed-forward with the configured activation, residual + LayerNorm.
//! What differs is how it runs:
//!
//! * **No padding.** A batch is the concatenation of its sequences: every product with a
//!   weight matrix runs on all tokens at once, attention runs per sequence on its own length.
//!   (A padded batch spends time on pad tokens: 44 % of all tokens on the demo corpus.)
//! * **Own matrix products** (`gemm`): weights packed once at load, AVX-512 micro-kernel in
//!   f32 (AVX2 + FMA or portable code elsewhere, or as `RHETOR_KERNEL` forces: same bits),
//!   and `vdpbf16ps` in bf16 (rhetor's `precision = "bf16"`: weights and the activations
//!   entering each product rounded to bf16, f32 accumulation; attention, softmax, LayerNorm
//!   and GELU stay f32).
//! * **Vectorised softmax and GELU** (`ops`).
//!
//! A row of every product depends only on its own inputs (see `gemm`), and attention is per
//! sequence, so a text's vector is bit-identical whatever the batch size, the batch's other
//! texts or the thread count.
//!
//! A crate of its own (a member of rhetor's workspace) so that it builds in seconds with few
//! dependencies (no Polars, no tokenizer): CI cross-compiles it for `aarch64-unknown-linux-gnu`
//! and runs its tests under qemu-user, comparing the vectors of real texts with those computed
//! on x86-64. Tokenizing, pooling and caching stay in rhetor (`rhetor::embed::transformer`).
//!
//! [`cpu`] detects the instruction sets once for every kernel of rhetor (k-means and LSA
//! use it too).

mod amx;
mod bert;
pub mod config;
pub mod cpu;
mod gemm;
mod ops;

pub use bert::{NativeBert, Workspace};
pub use config::ModelConfig;
pub use gemm::{bf16_supported, kernel_name};
