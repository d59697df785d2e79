//! The `rhetor` command line. A thin layer: flags → library params → library → outputs.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
