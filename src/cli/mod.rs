//! Command-line interface (declared only by `main.rs`).

mod args;
mod progress;
mod run;
mod supervised;
mod validate;

use args::{Cli, Command};
use clap::Parser;

/// Exit code when the run finished but some inputs could not be read and were skipped.
pub const EXIT_SKIPPED: i32 = 3;

/// Parses arguments, runs the command, prints errors; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return parse_error(e),
    };
    init_logging(cli.verbose, cli.quiet);
    use rhetor::run::Stages;
    let result = match &cli.command {
        Command::Run(a) => run::run("run", a.into(), &cli, Stages::All),
        Command::Segment(a) => run::run("segment", a.into(), &cli, Stages::Segment),
        Command::Embed(a) => run::run("embed", a.into(), &cli, Stages::Embed),
        Command::Cluster(a) => run::run("cluster", a.into(), &cli, Stages::Cluster),
        Command::Label(a) => run::run("label", a.into(), &cli, Stages::Label),
        Command::Compare(a) => run::run("compare", a.into(), &cli, Stages::Compare),
        Command::Fit(a) => run::fit(a, &cli),
        Command::Apply(a) => run::apply(a, &cli),
        Command::Merge(a) => run::merge(a, &cli),
        Command::Report(a) => run::report(a, &cli),
        Command::Schema(a) => run::schema(a),
        Command::Model(m) => run::model(m, &cli),
        Command::Train(a) => supervised::train(a, &cli),
        Command::Evaluate(a) => supervised::evaluate(a, &cli),
        Command::Predict(a) => supervised::predict(a, &cli),
        Command::Sample(a) => validate::sample(a, &cli),
        Command::Agreement(a) => validate::agreement(a, &cli),
        Command::Validate(a) => validate::validate(a, &cli),
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

/// Prints clap's error (help and version go to stdout with exit 0), with a hint when a
/// stage command was given a flag of a later stage.
fn parse_error(e: clap::Error) -> i32 {
    let _ = e.print();
    if e.kind() == clap::error::ErrorKind::UnknownArgument {
        let flag = match e.get(clap::error::ContextKind::InvalidArg) {
            Some(clap::error::ContextValue::String(s)) => Some(s.clone()),
            _ => None,
        };
        // The subcommand: the first argument that is not a flag.
        let command = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        if let (Some(flag), Some(command)) = (flag, command) {
            if let Some(hint) = stage_flag_hint(&flag, &command) {
                eprintln!("\nnote: {hint}");
            }
        }
    }
    e.exit_code()
}

/// "--k is not used by `rhetor segment` (it stops before clustering); use `rhetor cluster`,
/// a later stage or `rhetor run`".
fn stage_flag_hint(flag: &str, command: &str) -> Option<String> {
    let rank = args::stage_rank(command)?;
    let needs = args::first_stage_with(flag)?;
    let needed_rank = args::stage_rank(needs)?;
    if needed_rank <= rank {
        return None;
    }
    let stops = [
        "it stops before embedding",
        "it stops before clustering",
        "it stops before labelling",
        "it stops before the comparison",
    ];
    let name = flag.split('=').next().unwrap_or(flag);
    Some(format!(
        "{name} is not used by `rhetor {command}` ({}); use `rhetor {needs}`{} or `rhetor run`",
        stops.get(rank).copied().unwrap_or("it stops earlier"),
        if needs == "compare" {
            ""
        } else {
            ", a later stage"
        }
    ))
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
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::stderr().is_terminal())
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

    #[test]
    fn stage_flag_hint_names_the_stage_that_uses_the_flag() {
        let h = super::stage_flag_hint("--k", "segment").unwrap();
        assert!(h.contains("--k is not used by `rhetor segment`"), "{h}");
        assert!(h.contains("stops before embedding"), "{h}");
        assert!(h.contains("`rhetor cluster`"), "{h}");
        let h = super::stage_flag_hint("--group-by=party", "label").unwrap();
        assert!(
            h.contains("--group-by is not used by `rhetor label`"),
            "{h}"
        );
        assert!(h.contains("`rhetor compare` or `rhetor run`"), "{h}");
        // A flag the command takes, or a flag that is no stage flag: no hint.
        assert_eq!(super::stage_flag_hint("--k", "run"), None);
        assert_eq!(super::stage_flag_hint("--bogus", "segment"), None);
        assert_eq!(super::stage_flag_hint("--k", "train"), None);
    }
}
