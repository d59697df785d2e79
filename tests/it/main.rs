//! Integration tests: the real `rhetor` binary on real text.

mod bad_input;
mod bundle;
mod cli_messages;
mod common;
mod compare;
mod demo;
mod docs;
mod fuzz_parquet;
mod guided;
mod label;
mod run_dir;
mod schema;
mod shard;
mod stability;
mod stream;
mod supervised;
mod tabular;
mod time;
mod topics;
mod transformer;
mod validate;
mod validate_shared;
