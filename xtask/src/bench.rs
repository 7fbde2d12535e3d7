//! `cargo xtask bench [--quick] [--compare]`: the end-to-end figures.
//!
//! Three reports, all run through `cargo bench` (so built with the optimized `bench`
//! profile) with `DASK_BENCH_REPORT=1` in the environment, which switches a benchmark
//! binary from criterion to a plain report of medians of 3 runs:
//!
//! 1. `dask-graph/benches/graph.rs`: building, planning and running a million-task graph
//!    (100,000 with `--quick`) with the synchronous scheduler.
//! 2. `dask-sched-threads/benches/threads.rs`: the thread-pool scheduler (and the
//!    synchronous one for reference) on a 100k-task tree, a 10,000-task chain, a 1M-task
//!    tree (not with `--quick`) and 64 CPU-bound tasks of 10 ms. Its rows are
//!    whitespace-separated `workload tasks scheduler seconds us_per_task` lines after a
//!    header starting with `workload`; they are echoed as they come and parsed
//!    ([`parse_rows`]).
//! 3. `dask-sched-procs/benches/procs.rs` (a plain report only): the process scheduler's
//!    pool start-up, no-op trees, a chain, 80 MB blocks crossing processes and the
//!    CPU-bound speedup.
//!
//! With `--compare`, Python Dask runs the same workloads too: a virtual environment with
//! `dask` is created at `target/pyref` on first use, `xtask/compare/dask_threads.py`
//! prints rows in the same format, and a table of both per-task times and their ratio
//! (Dask / ours) is printed for the rows present in both ([`comparison_table`]). Without
//! `--compare` no Python is needed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{cargo, run_step};

/// The environment variable that switches the benchmark binaries to report mode.
const REPORT_ENV: &str = "DASK_BENCH_REPORT";

/// The virtual environment for the Dask comparison, relative to the workspace root.
const PYREF: &str = "target/pyref";

/// The Dask side of the comparison, relative to the workspace root.
const DASK_SCRIPT: &str = "xtask/compare/dask_threads.py";

/// `cargo bench` arguments for the report of `package`'s benchmark `bench`.
fn bench_args(package: &'static str, bench: &'static str, quick: bool) -> Vec<&'static str> {
    let mut args = vec!["bench", "--package", package, "--bench", bench];
    if quick {
        args.extend(["--", "--quick"]);
    }
    args
}

/// Builds and runs the reports in `root`; with `compare`, runs Dask and compares.
pub fn run(root: &Path, quick: bool, compare: bool) -> Result<(), String> {
    let size = if quick { "100k" } else { "1M" };
    let cargo = cargo();
    let env = [(REPORT_ENV, "1")];
    eprintln!("xtask: end-to-end report for a {size}-task graph (median of 3 runs)");
    run_step(
        "bench graph",
        root,
        &cargo,
        &bench_args("dask-graph", "graph", quick),
        &env,
    )?;

    eprintln!("xtask: thread-pool scheduler report (median of 3 runs)");
    let args = bench_args("dask-sched-threads", "threads", quick);
    let output = run_echoed("bench threads", root, Path::new(&cargo), &args, &env)?;
    let ours = parse_rows(&output);
    if ours.is_empty() {
        return Err(format!(
            "the threads report printed no result rows (expected lines `{HEADER}`)"
        ));
    }

    eprintln!("xtask: process-pool scheduler report (median of 3 runs)");
    run_step(
        "bench procs",
        root,
        &cargo,
        &bench_args("dask-sched-procs", "procs", quick),
        &env,
    )?;
    if !compare {
        return Ok(());
    }

    let python = ensure_pyref(root)?;
    eprintln!("xtask: Python Dask on the same workloads (this takes a minute or two)");
    let mut script_args = vec![DASK_SCRIPT];
    if quick {
        script_args.push("--quick");
    }
    let output = run_echoed("dask", root, &python, &script_args, &[])?;
    let dask = parse_rows(&output);
    if dask.is_empty() {
        return Err(format!("{DASK_SCRIPT} printed no result rows"));
    }
    let table = comparison_table(&ours, &dask)
        .ok_or("no workload appears in both our report and Dask's; nothing to compare")?;
    println!();
    print!("{table}");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Report rows.

/// The columns of a report row, as its header line spells them.
const HEADER: &str = "workload tasks scheduler seconds us_per_task";

/// One result row of a report: `workload tasks scheduler seconds us_per_task`.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    /// The workload's name, such as `tree-100k`.
    workload: String,
    /// How many tasks the per-task figure divides by.
    tasks: u64,
    /// `threads` or `sync`.
    scheduler: String,
    /// Median wall-clock time of the whole run.
    seconds: f64,
    /// `seconds / tasks`, in microseconds.
    us_per_task: f64,
}

/// The result rows in a report's output: lines of exactly five whitespace-separated
/// fields whose second, fourth and fifth parse as (finite, non-negative) numbers.
/// Everything else — the header, blank lines, `#` comments, criterion's and cargo's
/// chatter — is skipped.
fn parse_rows(text: &str) -> Vec<Row> {
    text.lines().filter_map(parse_row).collect()
}

/// One line as a [`Row`], if it is one.
fn parse_row(line: &str) -> Option<Row> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [workload, tasks, scheduler, seconds, us_per_task] = fields[..] else {
        return None;
    };
    let number = |field: &str| {
        field
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
    };
    Some(Row {
        workload: workload.to_string(),
        tasks: tasks.parse().ok()?,
        scheduler: scheduler.to_string(),
        seconds: number(seconds)?,
        us_per_task: number(us_per_task)?,
    })
}

/// The comparison of our rows with Dask's, for each of ours (in our order) that Dask
/// has a row for with the same workload and scheduler: an aligned table of both
/// per-task times and the ratio Dask / ours. `None` when no row appears in both.
fn comparison_table(ours: &[Row], dask: &[Row]) -> Option<String> {
    let header = [
        "workload",
        "scheduler",
        "ours µs/task",
        "Dask µs/task",
        "Dask/ours",
    ]
    .map(String::from);
    let body: Vec<[String; 5]> = ours
        .iter()
        .filter_map(|our| {
            let theirs = dask
                .iter()
                .find(|d| d.workload == our.workload && d.scheduler == our.scheduler)?;
            Some([
                our.workload.clone(),
                our.scheduler.clone(),
                format_us(our.us_per_task),
                format_us(theirs.us_per_task),
                format_ratio(theirs.us_per_task, our.us_per_task),
            ])
        })
        .collect();
    if body.is_empty() {
        return None;
    }
    let lines: Vec<&[String; 5]> = std::iter::once(&header).chain(&body).collect();
    let width = |column: usize| {
        lines
            .iter()
            .map(|line| line[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: [usize; 5] = std::array::from_fn(width);
    let mut table = String::new();
    for line in lines {
        // Names to the left, figures to the right.
        let text = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}",
            line[0],
            line[1],
            line[2],
            line[3],
            line[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        table.push_str(&text);
        table.push('\n');
    }
    Some(table)
}

/// A per-task time in microseconds, with about three significant figures.
fn format_us(us: f64) -> String {
    if us >= 100.0 {
        format!("{us:.0}")
    } else if us >= 10.0 {
        format!("{us:.1}")
    } else if us >= 1.0 {
        format!("{us:.2}")
    } else {
        format!("{us:.3}")
    }
}

/// `slower / faster` as a factor such as `134x` (`1.9x` below ten); `-` when
/// `faster` is zero.
fn format_ratio(slower: f64, faster: f64) -> String {
    if faster <= 0.0 {
        return "-".to_string();
    }
    let ratio = slower / faster;
    if ratio >= 9.95 {
        format!("{ratio:.0}x")
    } else {
        format!("{ratio:.1}x")
    }
}

// ---------------------------------------------------------------------------------------
// Processes.

/// `program args...` as shown to the user.
fn command_line(program: &Path, args: &[&str]) -> String {
    std::iter::once(program.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `program` in `dir` with inherited stdin and stderr; its stdout is echoed to ours
/// line by line as it comes and returned. An error (naming `step`) unless it succeeds.
fn run_echoed(
    step: &str,
    dir: &Path,
    program: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Result<String, String> {
    let shown = command_line(program, args);
    eprintln!("xtask: [{step}] $ {shown}");
    let mut child = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("step `{step}` could not start `{}`: {e}", program.display()))?;
    let mut captured = String::new();
    if let Some(stdout) = child.stdout.take() {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        let mut echo = std::io::stdout();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    // Echoing is best effort: a closed stdout must not stop the run.
                    let _ = echo.write_all(&line).and_then(|()| echo.flush());
                    captured.push_str(&String::from_utf8_lossy(&line));
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("step `{step}`: reading its output failed: {e}"));
                }
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("step `{step}`: waiting for `{shown}` failed: {e}"))?;
    if status.success() {
        Ok(captured)
    } else {
        Err(format!("step `{step}` failed ({status}): {shown}"))
    }
}

/// Runs `program` in `dir` with its stdout sent to our stderr (so that only report
/// tables reach stdout); `Ok(false)` if it ran and failed, `Err` if it could not start.
fn run_to_stderr(dir: &Path, program: &Path, args: &[&str]) -> std::io::Result<bool> {
    eprintln!("xtask: [pyref] $ {}", command_line(program, args));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::from(std::io::stderr()))
        .status()?;
    Ok(status.success())
}

/// Whether `python` runs and can import dask (its output discarded).
fn has_dask(dir: &Path, python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import dask"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The Python of the `target/pyref` virtual environment, which is created with
/// `python3 -m venv` and given `dask` with its `pip` unless it can already import dask.
fn ensure_pyref(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join(PYREF);
    let python = venv.join("bin").join("python");
    if python.exists() && has_dask(root, &python) {
        eprintln!("xtask: using Dask from {PYREF}");
        return Ok(python);
    }
    if !python.exists() {
        eprintln!("xtask: creating a Python virtual environment at {PYREF}");
        let args = ["-m", "venv", PYREF];
        match run_to_stderr(root, Path::new("python3"), &args) {
            Ok(true) => {}
            Ok(false) => {
                return Err(format!(
                    "`python3 -m venv {PYREF}` failed; --compare needs Python 3 with the \
                     venv module (on Debian or Ubuntu: apt-get install python3-venv)"
                ));
            }
            Err(e) => {
                return Err(format!(
                    "could not run `python3` ({e}); --compare needs Python 3 on PATH to \
                     install Dask into {PYREF}"
                ));
            }
        }
    }
    eprintln!("xtask: installing dask into {PYREF} (needs network access)");
    let pip = venv.join("bin").join("pip");
    match run_to_stderr(root, &pip, &["install", "dask"]) {
        Ok(true) => {}
        Ok(false) => {
            return Err(format!(
                "`{PYREF}/bin/pip install dask` failed (see pip's output above); fix that \
                 or remove {PYREF} and try again"
            ));
        }
        Err(e) => {
            return Err(format!(
                "could not run `{PYREF}/bin/pip` ({e}); remove {PYREF} and try again"
            ));
        }
    }
    if !has_dask(root, &python) {
        return Err(format!(
            "{PYREF}/bin/python still cannot `import dask` after installing it"
        ));
    }
    Ok(python)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workload: &str, tasks: u64, scheduler: &str, seconds: f64, us: f64) -> Row {
        Row {
            workload: workload.to_string(),
            tasks,
            scheduler: scheduler.to_string(),
            seconds,
            us_per_task: us,
        }
    }

    #[test]
    fn quick_is_passed_to_the_benchmark_binary() {
        let quick = bench_args("dask-sched-threads", "threads", true);
        assert_eq!(
            quick,
            [
                "bench",
                "--package",
                "dask-sched-threads",
                "--bench",
                "threads",
                "--",
                "--quick"
            ]
        );
        let full = bench_args("dask-graph", "graph", false);
        assert_eq!(
            full,
            ["bench", "--package", "dask-graph", "--bench", "graph"]
        );
    }

    #[test]
    fn parses_the_rows_of_a_report_and_skips_everything_else() {
        let report = "\
   Compiling dask-sched-threads v0.1.0
# threads: 2 workers
workload      tasks    scheduler  seconds    us_per_task
tree-100k     99999    threads    0.0712     0.712

tree-100k     99999    sync       0.0301     0.301
# cpu-64x10ms   64       threads    0.33       5150.0
#tree-1m       999999   threads    0.70       0.70
cpu-64x10ms   64       threads    0.33       5150.0
Benchmarking sync_chain_10k: Warming up for 3.0000 s
sync_chain_10k          time:   [1.2 ms 1.3 ms 1.4 ms]
Found 3 outliers among 100 measurements (3.00%)
  1 (1.00%) high mild
too many fields here 1 2 3
chain-10k     ten      threads    0.0040     0.400
chain-10k     10000    threads    fast       0.400
chain-10k     10000    threads    0.0040     NaN
chain-10k     10000    threads    -0.0040    0.400
chain-10k     10000    threads    0.0040
  chain-10k   10000    threads    4e-3       0.400  \r
";
        assert_eq!(
            parse_rows(report),
            [
                row("tree-100k", 99_999, "threads", 0.0712, 0.712),
                row("tree-100k", 99_999, "sync", 0.0301, 0.301),
                row("cpu-64x10ms", 64, "threads", 0.33, 5150.0),
                row("chain-10k", 10_000, "threads", 0.004, 0.4),
            ]
        );
        assert!(parse_rows("").is_empty());
        assert!(parse_rows("workload tasks scheduler seconds us_per_task\n").is_empty());
    }

    #[test]
    fn the_dask_script_prints_rows_we_parse() {
        // The exact layout `xtask/compare/dask_threads.py` prints.
        let dask = "\
# dask 2026.8.0, python 3.11.7: threads = dask.threaded.get(num_workers=2), sync = dask.get
workload      tasks    scheduler  seconds    us_per_task
tree-100k     99999    threads    10.4187    104.188
cpu-64x10ms   64       sync       0.6260     9781.399
# tree-1m skipped (about 100 s in Dask; pass --full)
";
        assert_eq!(
            parse_rows(dask),
            [
                row("tree-100k", 99_999, "threads", 10.4187, 104.188),
                row("cpu-64x10ms", 64, "sync", 0.626, 9781.399),
            ]
        );
    }

    #[test]
    fn formats_per_task_times_and_ratios() {
        assert_eq!(format_us(0.7123), "0.712");
        assert_eq!(format_us(2.345), "2.35");
        assert_eq!(format_us(44.51), "44.5");
        assert_eq!(format_us(5150.4), "5150");
        assert_eq!(format_ratio(95.4, 0.712), "134x");
        assert_eq!(format_ratio(10.0, 1.0), "10x");
        assert_eq!(format_ratio(9.9, 1.0), "9.9x");
        assert_eq!(format_ratio(9781.0, 5150.0), "1.9x");
        assert_eq!(format_ratio(0.5, 1.0), "0.5x");
        assert_eq!(format_ratio(1.0, 0.0), "-");
    }

    #[test]
    fn compares_the_rows_present_in_both_in_our_order() {
        let ours = [
            row("tree-100k", 99_999, "threads", 0.0712, 0.712),
            row("tree-100k", 99_999, "sync", 0.0301, 0.301),
            row("tree-1m", 999_999, "threads", 0.7, 0.7),
            row("cpu-64x10ms", 64, "threads", 0.33, 5150.0),
        ];
        let dask = [
            row("cpu-64x10ms", 64, "threads", 0.755, 11_799.6),
            row("chain-10k", 10_000, "threads", 2.09, 208.8),
            row("tree-100k", 99_999, "threads", 9.54, 95.4),
            row("tree-100k", 99_999, "sync", 6.15, 61.5),
        ];
        let table = comparison_table(&ours, &dask).unwrap();
        let expected = "\
workload     scheduler  ours µs/task  Dask µs/task  Dask/ours
tree-100k    threads           0.712          95.4       134x
tree-100k    sync              0.301          61.5       204x
cpu-64x10ms  threads            5150         11800       2.3x
";
        assert_eq!(table, expected, "\n{table}");
    }

    #[test]
    fn nothing_to_compare_without_common_rows() {
        let ours = [row("tree-100k", 99_999, "threads", 0.0712, 0.712)];
        let dask = [
            row("tree-100k", 99_999, "sync", 6.15, 61.5),
            row("chain-10k", 10_000, "threads", 2.09, 208.8),
        ];
        assert_eq!(comparison_table(&ours, &dask), None);
        assert_eq!(comparison_table(&[], &dask), None);
        assert_eq!(comparison_table(&ours, &[]), None);
    }
}
