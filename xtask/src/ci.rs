//! `cargo xtask ci`: formatting, lints (every feature, so optional code such as the
//! Zarr, HDF5 and BLAS paths is linted too), tests, then the tidy checks — in that order,
//! stopping at the first failure. `.ci/run` installs what the tests need and calls this.

use std::path::Path;

use crate::{TEST_COMMAND, cargo, run_step};

/// The CI steps: a name and a `cargo` command line (without the leading `cargo`).
fn steps() -> Vec<(&'static str, Vec<&'static str>)> {
    let test: Vec<&str> = TEST_COMMAND
        .strip_prefix("cargo ")
        .unwrap_or(TEST_COMMAND)
        .split_whitespace()
        .collect();
    vec![
        ("fmt", vec!["fmt", "--all", "--", "--check"]),
        (
            "clippy",
            vec![
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
        ),
        ("test", test),
    ]
}

/// Runs every step in `root`; the error names the step that failed.
pub fn run(root: &Path) -> Result<(), String> {
    let cargo = cargo();
    let steps = steps();
    let total = steps.len();
    for (i, (name, args)) in steps.into_iter().enumerate() {
        let step = format!("{}/{total} {name}", i + 1);
        run_step(&step, root, &cargo, &args, &[])?;
    }
    crate::tidy::run(root).map_err(|e| format!("step `tidy` failed: {e}"))?;
    eprintln!("xtask: ci passed ({total} steps and tidy)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_fmt_then_clippy_then_the_readme_test_command() {
        let steps = steps();
        let names: Vec<&str> = steps.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["fmt", "clippy", "test"]);
        assert_eq!(format!("cargo {}", steps[2].1.join(" ")), TEST_COMMAND);
    }
}
