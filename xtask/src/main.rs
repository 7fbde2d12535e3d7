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
//!   workload) and, once `dask-dataframe` has its benchmark, the dataframe one (group-bys
//!   over the `datagen` files, which it generates first); `--quick` uses 100,000 tasks,
//!   smaller arrays and the quick data set. `--compare` also runs Python Dask on the
//!   thread-pool workloads, Dask and NumPy on the array ones and Dask, pandas and Polars
//!   on the dataframe queries (in a virtual environment it creates at `target/pyref`) and
//!   prints the figures side by side.
//! * `datagen [--quick | --large] [--out DIR]` — writes the dataframe benchmark's input:
//!   a CSV file per day of 2015 of 100,000 rows each (1.7 GB) into
//!   `target/data/daily-csv/` (`--quick`: 12 files into `target/data/daily-csv-quick/`),
//!   the join tables (a 10,000-row users table, 10M-row left, right and ids tables;
//!   100,000 rows with `--quick`) into `target/data/tables/` (`tables-quick/`), then the
//!   daily files' Parquet copy if `dask-dataframe` has its `to_parquet` example;
//!   `--large` writes only the larger-than-memory set, 365 files of 210,000 rows
//!   (3.7 GB), into `target/data/large-csv/`. Instant when the files are there.
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
mod datagen;
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
    /// Generate the dataframe benchmark's data.
    Datagen {
        /// 12 daily files instead of 365, and smaller tables.
        quick: bool,
        /// The larger-than-memory set instead of the daily files and tables.
        large: bool,
        /// Where to write the CSV files instead of `target/data/daily-csv[-quick]`.
        out: Option<PathBuf>,
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
                  and process-pool schedulers, array reductions with their peak memory,
                  then dataframe queries over the datagen files (generated first)
                  (--quick: 100k-task graphs, smaller arrays, the quick data); --compare
                  also runs Python Dask, NumPy, pandas and Polars on the same workloads
                  (installing them into target/pyref on first use) and prints the figures
                  side by side
  datagen [--quick | --large] [--out DIR]
                  write the dataframe benchmark's data: 365 daily CSV files of 100,000
                  rows (1.7 GB) into target/data/daily-csv, join tables (users,
                  10M-row left/right/ids) into target/data/tables, then the daily
                  files' Parquet copy into target/data/daily-parquet if dask-dataframe
                  can make it
                  (--quick: 12 files and 100k-row tables, into the -quick directories;
                  --large: only the larger-than-memory set, 365 files of 210,000 rows
                  (3.7 GB), into target/data/large-csv; --out: the CSV directory);
                  does nothing when the files are already there
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
        "datagen" => {
            let (mut quick, mut large, mut out) = (false, false, None);
            let mut options = rest.into_iter();
            while let Some(arg) = options.next() {
                let dir = match arg {
                    "--quick" => {
                        quick = true;
                        continue;
                    }
                    "--large" => {
                        large = true;
                        continue;
                    }
                    "--out" => options
                        .next()
                        .ok_or("`--out` needs a directory: `--out DIR`")?,
                    other => match other.strip_prefix("--out=") {
                        Some(dir) => dir,
                        None => return Err(format!("unknown option for `datagen`: `{other}`")),
                    },
                };
                if dir.is_empty() {
                    return Err("`--out` needs a directory, got an empty one".to_string());
                }
                if out.replace(PathBuf::from(dir)).is_some() {
                    return Err("`--out` given twice".to_string());
                }
            }
            if quick && large {
                return Err("`--quick` and `--large` ask for different data sets: give one".into());
            }
            Ok(Command::Datagen { quick, large, out })
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
        Command::Datagen {
            large: true, out, ..
        } => datagen::run_large(&root, out.as_deref()).map(drop),
        Command::Datagen { quick, out, .. } => datagen::run(&root, quick, out.as_deref()).map(drop),
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
    fn parses_datagen() {
        let datagen = |quick, out: Option<&str>| {
            Ok(Command::Datagen {
                quick,
                large: false,
                out: out.map(PathBuf::from),
            })
        };
        let large = |out: Option<&str>| {
            Ok(Command::Datagen {
                quick: false,
                large: true,
                out: out.map(PathBuf::from),
            })
        };
        assert_eq!(parse_args(&["datagen", "--large"]), large(None));
        assert_eq!(
            parse_args(&["datagen", "--large", "--out=/tmp/big"]),
            large(Some("/tmp/big"))
        );
        assert_eq!(parse_args(&["datagen"]), datagen(false, None));
        assert_eq!(parse_args(&["datagen", "--quick"]), datagen(true, None));
        assert_eq!(
            parse_args(&["datagen", "--out", "/tmp/frames"]),
            datagen(false, Some("/tmp/frames"))
        );
        assert_eq!(
            parse_args(&["datagen", "--out=data", "--quick"]),
            datagen(true, Some("data"))
        );
        assert_eq!(
            parse_args(&["datagen", "--quick", "--out", "--quick"]),
            datagen(true, Some("--quick")),
            "the word after --out is the directory, whatever it is"
        );
    }

    #[test]
    fn rejects_bad_datagen_usage() {
        let err = parse_args(&["datagen", "--out"]).unwrap_err();
        assert!(err.contains("--out DIR"), "{err}");
        let err = parse_args(&["datagen", "--out="]).unwrap_err();
        assert!(err.contains("empty"), "{err}");
        let err = parse_args(&["datagen", "--out", "a", "--out=b"]).unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let err = parse_args(&["datagen", "--compare"]).unwrap_err();
        assert!(err.contains("--compare"), "{err}");
        let err = parse_args(&["datagen", "--quick", "--large"]).unwrap_err();
        assert!(err.contains("--large"), "{err}");
        let err = parse_args(&["datagen", "somewhere"]).unwrap_err();
        assert!(err.contains("somewhere"), "{err}");
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
        for cmd in ["ci", "bench", "datagen", "tidy", "help"] {
            assert!(USAGE.contains(&format!("\n  {cmd} ")), "{cmd}");
        }
        assert!(USAGE.contains("datagen [--quick | --large] [--out DIR]"));
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
