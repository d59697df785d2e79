//! Command-line interface (declared only by `main.rs`).

mod args;
mod progress;
mod run;
mod supervised;

use args::{Cli, Command};
use clap::Parser;

/// Exit code when the run finished but some inputs could not be read and were skipped.
pub const EXIT_SKIPPED: i32 = 3;

/// Parses arguments, runs the command, prints errors; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match &cli.command {
        Command::Run(a) => run::run("run", a, &cli, rhetor::pipeline::Stages::All),
        Command::Segment(a) => run::run("segment", a, &cli, rhetor::pipeline::Stages::Segment),
        Command::Embed(a) => run::run("embed", a, &cli, rhetor::pipeline::Stages::Embed),
        Command::Cluster(a) => run::run("cluster", a, &cli, rhetor::pipeline::Stages::Cluster),
        Command::Label(a) => run::run("label", a, &cli, rhetor::pipeline::Stages::Label),
        Command::Compare(a) => run::run("compare", a, &cli, rhetor::pipeline::Stages::Compare),
        Command::Report(a) => run::report(a, &cli),
        Command::Schema(a) => run::schema(a),
        Command::Model(m) => run::model(m, &cli),
        Command::Train(a) => supervised::train(a, &cli),
        Command::Evaluate(a) => supervised::evaluate(a, &cli),
        Command::Predict(a) => supervised::predict(a, &cli),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return 0;
            }
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => tracing::Level::ERROR,
        (_, 0) => tracing::Level::WARN,
        (_, 1) => tracing::Level::INFO,
        (_, 2) => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::args::Cli;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
