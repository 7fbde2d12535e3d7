//! Project automation for the dask-rs workspace, run as `cargo xtask <command>`
//! (an alias in `.cargo/config.toml` for `cargo run --quiet --package xtask --`).
//!
//! Commands:
//!
//! * `ci` — what CI runs, in order, stopping at the first failure: formatting
//!   (`cargo fmt --all -- --check`), lints (`cargo clippy --workspace --all-targets
//!   --all-features -- -D warnings`), the tests with the README's command
//!   ([`TEST_COMMAND`]), then `tidy`. `.ci/run` installs the system packages the tests
//!   need and calls this.
//! * `bench [--quick] [--compare]` — builds the benchmarks in release mode and prints
//!   tables of end-to-end figures: the `dask-graph` one (build, plan, sync execution of a
//!   million-task graph, a 10,000-task chain), then the `dask-sched-threads` one (the
//!   thread pool on trees, a chain and CPU-bound tasks), the `dask-sched-procs` one and
//!   the `dask-array` one (reductions over random arrays: seconds and peak memory per
//!   workload); `--quick` uses 100,000 tasks and smaller arrays. `--compare` also runs
//!   Python Dask on the thread-pool workloads and Dask and NumPy on the array ones (in a
//!   virtual environment it creates at `target/pyref`) and prints the figures side by side.
//! * `tidy` — repository hygiene: crate roots start with a `//!` doc comment, the README
//!   states [`TEST_COMMAND`], no source file contains a leftover debugging macro, and
//!   `ARCHITECTURE.md` names exactly the files that exist and the files using `unsafe`
//!   (also run by `cargo test`).
//! * `help` — usage.
//!
//! Exit codes: 0 success, 1 a step or check failed, 2 bad usage.
//!
//! The crate uses only `std`, so it builds in seconds and never needs the network.

mod bench;
mod ci;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The command that runs every test of the workspace. The README must state it verbatim
/// (checked by `cargo xtask tidy`), and `cargo xtask ci` runs exactly this.
pub const TEST_COMMAND: &str = "cargo test --workspace --all-features";

/// Exit code for a bad command line.
const EXIT_USAGE: u8 = 2;

/// What to do, parsed from the command line.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    /// Format check, clippy, tests.
    Ci,
    /// The end-to-end benchmark report.
    Bench {
        /// 100,000 tasks instead of 1,000,000.
        quick: bool,
        /// Also run Python Dask on the same workloads and compare.
        compare: bool,
    },
    /// Repository hygiene checks.
    Tidy,
    /// Print usage.
    Help,
}

/// The usage text.
const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  ci              cargo fmt --check, cargo clippy --all-features -D warnings, the
                  README's tests, then tidy
  bench [--quick] [--compare]
                  end-to-end figures: the graph machinery on a 1M-task graph, the thread-
                  and process-pool schedulers, then array reductions with their peak
                  memory (--quick: 100k-task graphs, smaller arrays); --compare also runs
                  Python Dask and NumPy on the same workloads (installing them into
                  target/pyref on first use) and prints the figures side by side
  tidy            check crate docs, the README's test command, leftover dbg!/todo!,
                  that ARCHITECTURE.md names the files and the unsafe code as they are
  help            print this message

exit codes: 0 ok, 1 failure, 2 usage";

/// Parses the arguments after the program name.
fn parse_args<S: AsRef<str>>(args: &[S]) -> Result<Command, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("no command given".to_string());
    };
    let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
    let no_options = |command: Command| match rest.first() {
        None => Ok(command),
        Some(extra) => Err(format!(
            "`{}` takes no arguments, got `{extra}`",
            cmd.as_ref()
        )),
    };
    match cmd.as_ref() {
        "ci" => no_options(Command::Ci),
        "tidy" => no_options(Command::Tidy),
        "help" | "-h" | "--help" => Ok(Command::Help),
        "bench" => {
            let (mut quick, mut compare) = (false, false);
            for arg in rest {
                match arg {
                    "--quick" => quick = true,
                    "--compare" => compare = true,
                    other => return Err(format!("unknown option for `bench`: `{other}`")),
                }
            }
            Ok(Command::Bench { quick, compare })
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let root = workspace_root();
    let result = match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::Ci => ci::run(&root),
        Command::Bench { quick, compare } => bench::run(&root, quick, compare),
        Command::Tidy => tidy::run(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a program to completion with inherited standard streams in `dir`; an error
/// message (naming `step`) unless it exits successfully.
fn run_step(
    step: &str,
    dir: &Path,
    program: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Result<(), String> {
    let shown = std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("xtask: [{step}] $ {shown}");
    let status = std::process::Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .status()
        .map_err(|e| format!("step `{step}` could not start `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("step `{step}` failed ({status}): {shown}"))
    }
}

/// The `cargo` that launched us (`$CARGO`), or `cargo` from `PATH`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(parse_args(&["ci"]), Ok(Command::Ci));
        assert_eq!(parse_args(&["tidy"]), Ok(Command::Tidy));
        assert_eq!(parse_args(&["help"]), Ok(Command::Help));
        assert_eq!(parse_args(&["--help"]), Ok(Command::Help));
        let bench = |quick, compare| Ok(Command::Bench { quick, compare });
        assert_eq!(parse_args(&["bench"]), bench(false, false));
        assert_eq!(parse_args(&["bench", "--quick"]), bench(true, false));
        assert_eq!(parse_args(&["bench", "--compare"]), bench(false, true));
        assert_eq!(
            parse_args(&["bench", "--compare", "--quick"]),
            bench(true, true)
        );
    }

    #[test]
    fn rejects_bad_usage() {
        let none: [&str; 0] = [];
        assert!(parse_args(&none).is_err());
        let err = parse_args(&["deploy"]).unwrap_err();
        assert!(err.contains("deploy"), "{err}");
        let err = parse_args(&["bench", "--slow"]).unwrap_err();
        assert!(err.contains("--slow"), "{err}");
        let err = parse_args(&["bench", "--quick", "--full"]).unwrap_err();
        assert!(err.contains("--full"), "{err}");
        assert!(parse_args(&["ci", "extra"]).is_err());
    }

    #[test]
    fn usage_lists_every_command() {
        for cmd in ["ci", "bench", "tidy", "help"] {
            assert!(USAGE.contains(&format!("\n  {cmd} ")), "{cmd}");
        }
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
