//! Integration tests: the real `rhetor` binary on real text.

mod bad_input;
mod common;
mod compare;
mod demo;
mod docs;
mod label;
mod schema;
mod supervised;
mod tabular;
mod topics;
mod transformer;
