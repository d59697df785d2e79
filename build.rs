//! No build step. This script exists for its build-dependency: see `[build-dependencies]` in
//! Cargo.toml (one `syn` for the CLI and the Python extension, so they share compiled crates).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
