//! # rhetor — discourse analysis for computational social scientists
//!
//! rhetor reads a corpus, splits it into paragraphs, turns paragraphs into vectors, clusters
//! them into topics, labels them, and reports how documents frame an issue differently —
//! with an interval on every share and a test on every comparison.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`corpus`] — load a folder of `.txt`/`.md` files or a JSONL/CSV/Parquet table.
//! 2. [`segment`] — split documents into paragraphs with sections and byte offsets.
//! 3. [`embed`] — TF-IDF vectors (scikit-learn-compatible) and LSA reduction.
//! 4. [`cluster`] — k-means topics (k given or chosen by silhouette) and [`topics`] —
//!    c-TF-IDF terms, labels and representative paragraphs.
//!    [`label`] — stance and frames from codebooks (keywords or prototypes).
//! 5. [`framing`] — how groups differ: shares with intervals, divergence with permutation
//!    tests, distinctive terms (statistics in [`compare`]), and the [`report`].
//! 6. [`export`] — write the run directory (Parquet tables, `manifest.json`) atomically.
//!
//! [`run::run`] runs the stages in order, [`run::fit`] fits them once into a saved
//! [`bundle`] and [`run::apply`] applies a bundle to new documents; [`config::Config`] holds every stage's params
//! and is checked before any work starts (every key is listed in `docs/config.md`, generated
//! from [`config::reference_markdown`]).
//!
//! ## Cargo features
//!
//! - `candle` (off by default): candle's `BertModel` as a second engine of the transformer
//!   embedder (`[embed] engine = "candle"`), the reference the default native engine is
//!   tested against. It roughly doubles the dependencies to compile, so it is off for users;
//!   CI builds it (`cargo test --features candle`). Without it, a config asking for the
//!   candle engine is refused with a message saying to rebuild with `--features candle`.
//!
//! ```
//! use rhetor::segment::{segment, SegmentParams};
//! let params = SegmentParams::default().check().unwrap();
//! let text = "A Title\n\nFirst paragraph, which is a sentence.\n\nA Heading\n\nUnder it.";
//! let s = segment(text, 0, None, &params);
//! assert_eq!(s.title.as_deref(), Some("A Title"));
//! assert_eq!(s.paragraphs.len(), 2);
//! assert_eq!(s.paragraphs[1].section.as_deref(), Some("A Heading"));
//! ```
#![deny(missing_docs)]

pub mod bundle;
pub mod classify;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod corpus;
pub use rhetor_encoder::cpu;
pub mod embed;
pub mod error;
pub mod export;
pub mod framing;
pub mod label;
pub mod linfa_records;
pub mod progress;
pub mod report;
pub mod run;
pub mod schema;
pub mod seed;
pub mod segment;
pub mod supervised;
#[cfg(test)]
pub(crate) mod test_util;
pub mod topics;
pub mod validate;

pub use error::Error;

/// rhetor's version, recorded in every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
