//! `cargo xtask datagen [--quick] [--out DIR]`: the input files of the dataframe
//! benchmark.
//!
//! Writes one CSV file per day of 2015, `2015-MM-DD.csv`, each of 100,000 rows with the
//! columns `id,user_id,name,value,timestamp` (see [`rows`] for how each is drawn): 365
//! files, 36.5 million rows, 1.7 GB (1.6 GiB), into `target/data/daily-csv/` under the
//! workspace root. `--quick` writes the first 12 days only, into
//! `target/data/daily-csv-quick/` (byte for byte the first 12 files of the full set);
//! `--out DIR` writes into `DIR` instead (relative to the current directory).
//!
//! Steps:
//!
//! 1. If the directory's manifest ([`MANIFEST`], written last by a complete run) was made
//!    with the same settings and every file it lists has the size it records, nothing is
//!    written: re-running is instant. Otherwise the manifest is removed and every file is
//!    generated again, on up to [`MAX_THREADS`] threads, each file written under a hidden
//!    temporary name and renamed into place once complete, so a file with the final name
//!    is always whole. Progress lines go to stderr, then the total size and time.
//! 2. If `dask-dataframe/examples/to_parquet.rs` exists, the Parquet copy is made with
//!    `cargo run --release -p dask-dataframe --example to_parquet -- CSV_DIR PARQUET_DIR`
//!    into `target/data/daily-parquet/` (`-quick` with `--quick`; for `--out DIR`, see
//!    [`parquet_dir_for`]) and marked complete by a [`PARQUET_MARKER`] file holding the
//!    CSV manifest it was made from; it is skipped while that marker matches. Without the
//!    example, the Parquet copy is skipped with a note.
//!
//! Only files named `*.csv` are data: readers should glob for them, which leaves out the
//! manifest and any temporary file.

mod rows;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::{cargo, run_step};

/// The seed of every data set; the files' bytes follow from it.
const SEED: u64 = 2015;

/// The version of the file format, recorded in the manifest: bump it whenever a change
/// to [`rows`] changes the bytes generated, so that old data is regenerated.
const FORMAT_VERSION: u32 = 1;

/// At most this many threads write files at once (the benchmark machine has two cores).
const MAX_THREADS: usize = 2;

/// The manifest of a complete CSV directory, inside it.
const MANIFEST: &str = "_MANIFEST";

/// The marker of a complete Parquet copy, inside its directory.
const PARQUET_MARKER: &str = "_SUCCESS";

/// The example that converts the CSV files to Parquet, relative to the workspace root.
const TO_PARQUET_EXAMPLE: &str = "dask-dataframe/examples/to_parquet.rs";

/// The full data set's directory, relative to the workspace root.
const FULL_DIR: &str = "target/data/daily-csv";
/// The quick data set's directory, relative to the workspace root.
const QUICK_DIR: &str = "target/data/daily-csv-quick";

/// The size of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spec {
    /// How many daily files, from January 1st on (at most 365).
    files: usize,
    /// Rows in each file.
    rows_per_file: u64,
    /// The seed of the random draws.
    seed: u64,
}

/// The full data set: every day of 2015.
const FULL: Spec = Spec {
    files: rows::DAYS_IN_YEAR,
    rows_per_file: 100_000,
    seed: SEED,
};

/// The quick data set: the first 12 days.
const QUICK: Spec = Spec {
    files: 12,
    rows_per_file: 100_000,
    seed: SEED,
};

/// Where a data set is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDirs {
    /// The directory of the daily CSV files.
    pub csv: PathBuf,
    /// The directory of their Parquet copy (which may not exist).
    pub parquet: PathBuf,
}

/// Generates the data set `quick` asks for into `out` (default: under `root`), then its
/// Parquet copy if the workspace can make one; where they are.
pub fn run(root: &Path, quick: bool, out: Option<&Path>) -> Result<DataDirs, String> {
    let spec = if quick { QUICK } else { FULL };
    let csv = match out {
        Some(dir) => std::path::absolute(dir)
            .map_err(|e| format!("cannot resolve --out {}: {e}", dir.display()))?,
        None => root.join(if quick { QUICK_DIR } else { FULL_DIR }),
    };
    let dirs = DataDirs {
        parquet: parquet_dir_for(&csv),
        csv,
    };
    let manifest = ensure_csv(&dirs.csv, spec)?;
    parquet_copy(root, &dirs, &manifest)?;
    Ok(dirs)
}

/// The Parquet directory beside the CSV directory `csv`: its name with `csv` replaced by
/// `parquet` (`daily-csv-quick` → `daily-parquet-quick`), or with `-parquet` appended if
/// it has no `csv` in it.
fn parquet_dir_for(csv: &Path) -> PathBuf {
    let name = csv
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parquet = if name.contains("csv") {
        name.replacen("csv", "parquet", 1)
    } else {
        format!("{name}-parquet")
    };
    csv.with_file_name(parquet)
}

// ---------------------------------------------------------------------------------------
// The CSV files.

/// Makes sure `dir` holds the data set `spec` (generating it unless its manifest vouches
/// for it); the text of its manifest.
fn ensure_csv(dir: &Path, spec: Spec) -> Result<String, String> {
    let manifest_path = dir.join(MANIFEST);
    if let Ok(text) = std::fs::read_to_string(&manifest_path)
        && let Some(entries) = parse_manifest(&text, spec)
        && files_match(dir, &entries)
    {
        let bytes = entries.iter().map(|(_, size)| size).sum();
        eprintln!(
            "xtask: [datagen] {} already holds the {} files ({}) that its {MANIFEST} \
             records; not generating them again (delete {MANIFEST} to force it)",
            dir.display(),
            entries.len(),
            format_size(bytes),
        );
        return Ok(text);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // From here until the new one is written, no manifest vouches for half-written data.
    match std::fs::remove_file(&manifest_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot remove {}: {e}", manifest_path.display())),
    }
    let entries = generate(dir, spec)?;
    let text = manifest_text(spec, &entries);
    write_atomically(dir, MANIFEST, text.as_bytes())?;
    Ok(text)
}

/// The line of a manifest that records the settings it was made with.
fn settings_line(spec: Spec) -> String {
    format!(
        "xtask-datagen format={FORMAT_VERSION} seed={} files={} rows_per_file={}",
        spec.seed, spec.files, spec.rows_per_file
    )
}

/// The names of the files of `spec`, in order.
fn file_names(spec: Spec) -> Vec<String> {
    (0..spec.files)
        .filter_map(rows::Day::of_year)
        .map(rows::Day::file_name)
        .collect()
}

/// A manifest: a comment, the [`settings_line`], then `name size` per file.
fn manifest_text(spec: Spec, entries: &[(String, u64)]) -> String {
    let mut text = format!(
        "# written by `cargo xtask datagen` after every file below was complete\n{}\n",
        settings_line(spec)
    );
    for (name, size) in entries {
        text.push_str(&format!("{name} {size}\n"));
    }
    text
}

/// The `(name, size)` entries of a manifest, if it was made with the settings of `spec`
/// and lists exactly that data set's files, in order.
fn parse_manifest(text: &str, spec: Spec) -> Option<Vec<(String, u64)>> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    if lines.next()? != settings_line(spec) {
        return None;
    }
    let entries: Vec<(String, u64)> = lines
        .map(|line| {
            let (name, size) = line.split_once(' ')?;
            Some((name.to_string(), size.trim().parse().ok()?))
        })
        .collect::<Option<_>>()?;
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    (names == file_names(spec)).then_some(entries)
}

/// Whether every file of `entries` is in `dir` with its recorded size.
fn files_match(dir: &Path, entries: &[(String, u64)]) -> bool {
    entries.iter().all(|(name, size)| {
        std::fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file() && m.len() == *size)
    })
}

/// How far the writers have got.
#[derive(Debug, Default)]
struct Progress {
    /// Files written.
    files: usize,
    /// Bytes written.
    bytes: u64,
}

/// Writes every file of `spec` into `dir` on up to [`MAX_THREADS`] threads; their
/// `(name, size)`, in order.
fn generate(dir: &Path, spec: Spec) -> Result<Vec<(String, u64)>, String> {
    let names = file_names(spec);
    if names.len() != spec.files {
        return Err(format!(
            "cannot generate {} daily files: 2015 has {} days",
            spec.files,
            rows::DAYS_IN_YEAR
        ));
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS)
        .min(spec.files.max(1));
    eprintln!(
        "xtask: [datagen] writing {} files of {} rows into {} ({threads} threads)",
        spec.files,
        thousands(spec.rows_per_file),
        dir.display()
    );
    let start = Instant::now();
    let users = rows::Zipf::new(rows::USERS, rows::ZIPF_EXPONENT);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let sizes = Mutex::new(vec![0u64; spec.files]);
    let progress = Mutex::new(Progress::default());
    // Ten progress lines or so, whatever the number of files.
    let every = (spec.files / 10).max(1);

    let write_one = |index: usize| -> Result<(), String> {
        let name = &names[index];
        let text = rows::file_text(spec.seed, index, spec.rows_per_file, &users)
            .ok_or_else(|| format!("no day {index} in 2015"))?;
        let size = write_atomically(dir, name, text.as_bytes())?;
        sizes.lock().unwrap_or_else(PoisonError::into_inner)[index] = size;
        let mut done = progress.lock().unwrap_or_else(PoisonError::into_inner);
        done.files += 1;
        done.bytes += size;
        if done.files.is_multiple_of(every) || done.files == spec.files {
            eprintln!(
                "xtask: [datagen] {}/{} files, {}, {:.1} s",
                done.files,
                spec.files,
                format_size(done.bytes),
                start.elapsed().as_secs_f64()
            );
        }
        Ok(())
    };
    let worker = || -> Result<(), String> {
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= spec.files {
                break;
            }
            if let Err(e) = write_one(index) {
                failed.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a datagen thread panicked".to_string()))
            })
            .collect::<Result<Vec<()>, String>>()
    })?;

    let sizes = sizes.into_inner().unwrap_or_else(PoisonError::into_inner);
    let bytes: u64 = sizes.iter().sum();
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "xtask: [datagen] wrote {} files, {} rows, {} in {seconds:.1} s ({}/s)",
        spec.files,
        thousands(spec.files as u64 * spec.rows_per_file),
        format_size(bytes),
        format_size((bytes as f64 / seconds.max(1e-9)) as u64),
    );
    Ok(names.into_iter().zip(sizes).collect())
}

/// Writes `bytes` to `dir/name` through a hidden temporary file renamed into place once
/// complete; the size written.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<u64, String> {
    let temporary = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    std::fs::write(&temporary, bytes)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, &target).map_err(|e| {
        format!(
            "cannot rename {} to {}: {e}",
            temporary.display(),
            target.display()
        )
    })?;
    Ok(bytes.len() as u64)
}

// ---------------------------------------------------------------------------------------
// The Parquet copy.

/// Makes the Parquet copy of `dirs.csv` (whose manifest is `manifest`) with the
/// dask-dataframe example, unless the copy is already marked as made from it or the
/// example does not exist.
fn parquet_copy(root: &Path, dirs: &DataDirs, manifest: &str) -> Result<(), String> {
    if !root.join(TO_PARQUET_EXAMPLE).is_file() {
        eprintln!(
            "xtask: [datagen] no {TO_PARQUET_EXAMPLE} in the workspace yet: the Parquet copy \
             was skipped"
        );
        return Ok(());
    }
    let marker = dirs.parquet.join(PARQUET_MARKER);
    if std::fs::read_to_string(&marker).is_ok_and(|text| text == manifest) {
        eprintln!(
            "xtask: [datagen] {} already holds the Parquet copy of these CSV files \
             (its {PARQUET_MARKER} says so); not converting them again",
            dirs.parquet.display()
        );
        return Ok(());
    }
    match std::fs::remove_file(&marker) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot remove {}: {e}", marker.display())),
    }
    let start = Instant::now();
    let args = to_parquet_args(utf8(&dirs.csv)?, utf8(&dirs.parquet)?);
    run_step("to_parquet", root, &cargo(), &args, &[])?;
    std::fs::create_dir_all(&dirs.parquet)
        .map_err(|e| format!("cannot create {}: {e}", dirs.parquet.display()))?;
    write_atomically(&dirs.parquet, PARQUET_MARKER, manifest.as_bytes())?;
    eprintln!(
        "xtask: [datagen] Parquet copy in {} made in {:.1} s",
        dirs.parquet.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The `cargo` arguments that convert the CSV files in `csv` to Parquet in `parquet`.
fn to_parquet_args<'a>(csv: &'a str, parquet: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--release",
        "-p",
        "dask-dataframe",
        "--example",
        "to_parquet",
        "--",
        csv,
        parquet,
    ]
}

/// `path` as a string, for a command line; an error if it is not valid UTF-8.
pub fn utf8(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("the path {} is not valid UTF-8", path.display()))
}

// ---------------------------------------------------------------------------------------
// Numbers for people.

/// `n` with thousands separators: `36,500,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count in binary units with about three significant figures: `66.1 MiB`.
fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else if value >= 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh empty directory under the target directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/tmp/xtask-datagen")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const TINY: Spec = Spec {
        files: 3,
        rows_per_file: 50,
        seed: 7,
    };

    #[test]
    fn the_data_sets_have_the_sizes_of_the_brief() {
        assert_eq!(FULL.files, 365);
        assert_eq!(FULL.files as u64 * FULL.rows_per_file, 36_500_000);
        assert_eq!(QUICK.files as u64 * QUICK.rows_per_file, 1_200_000);
        assert_eq!(QUICK.seed, FULL.seed, "quick is a prefix of the full set");
        let names = file_names(FULL);
        assert_eq!(names.len(), 365);
        assert_eq!(names[0], "2015-01-01.csv");
        assert_eq!(names[364], "2015-12-31.csv");
        assert_eq!(file_names(QUICK)[..], names[..12]);
    }

    #[test]
    fn the_parquet_directory_sits_beside_the_csv_one() {
        let at = |p: &str| parquet_dir_for(Path::new(p));
        assert_eq!(
            at("/w/target/data/daily-csv"),
            Path::new("/w/target/data/daily-parquet")
        );
        assert_eq!(
            at("/w/target/data/daily-csv-quick"),
            Path::new("/w/target/data/daily-parquet-quick")
        );
        assert_eq!(at("/tmp/frames"), Path::new("/tmp/frames-parquet"));
    }

    #[test]
    fn a_manifest_round_trips_and_rejects_other_settings() {
        let entries: Vec<(String, u64)> = file_names(TINY).into_iter().zip([10, 20, 30]).collect();
        let text = manifest_text(TINY, &entries);
        assert!(
            text.starts_with("# written by `cargo xtask datagen`"),
            "{text}"
        );
        assert!(text.contains("\n2015-01-02.csv 20\n"), "{text}");
        assert_eq!(parse_manifest(&text, TINY), Some(entries.clone()));
        // Other settings, fewer files, a bad size: not this data set's manifest.
        let more_rows = Spec {
            rows_per_file: 51,
            ..TINY
        };
        assert_eq!(parse_manifest(&text, more_rows), None);
        assert_eq!(parse_manifest(&text, Spec { seed: 8, ..TINY }), None);
        let two = manifest_text(TINY, &entries[..2]);
        assert_eq!(parse_manifest(&two, TINY), None);
        let bad = text.replace("2015-01-02.csv 20", "2015-01-02.csv twenty");
        assert_eq!(parse_manifest(&bad, TINY), None);
        assert_eq!(parse_manifest("", TINY), None);
    }

    #[test]
    fn generates_once_then_skips_and_regenerates_what_changed() {
        let dir = scratch("generate");
        let first = ensure_csv(&dir, TINY).unwrap();
        let names = file_names(TINY);
        let contents: Vec<Vec<u8>> = names
            .iter()
            .map(|n| std::fs::read(dir.join(n)).unwrap())
            .collect();
        let entries = parse_manifest(&first, TINY).unwrap();
        for ((name, size), bytes) in entries.iter().zip(&contents) {
            assert_eq!(*size, bytes.len() as u64, "{name}");
        }
        let text = String::from_utf8(contents[1].clone()).unwrap();
        assert!(
            text.starts_with("id,user_id,name,value,timestamp\n50,"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 51);
        // Only the data files and the manifest are left; no temporaries.
        let mut listed: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        listed.sort();
        let mut expected = names.clone();
        expected.push(MANIFEST.to_string());
        expected.sort();
        assert_eq!(listed, expected);

        // A second run keeps the files as they are.
        let stamp = |n: &str| std::fs::metadata(dir.join(n)).unwrap().modified().unwrap();
        let before = stamp(&names[0]);
        assert_eq!(ensure_csv(&dir, TINY).unwrap(), first);
        assert_eq!(stamp(&names[0]), before);

        // A truncated file is noticed and the same bytes are written again.
        std::fs::write(dir.join(&names[2]), b"id\n").unwrap();
        assert_eq!(ensure_csv(&dir, TINY).unwrap(), first);
        assert_eq!(std::fs::read(dir.join(&names[2])).unwrap(), contents[2]);
    }

    #[test]
    fn formats_counts_and_sizes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(36_500_000), "36,500,000");
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(5 * 1024 * 1024 + 300_000), "5.29 MiB");
        assert_eq!(format_size(66 * 1024 * 1024), "66.0 MiB");
        assert_eq!(format_size(2_000_000_000), "1.86 GiB");
    }

    #[test]
    fn the_parquet_copy_is_skipped_without_the_example_or_when_marked() {
        let root = scratch("parquet-root");
        let dirs = DataDirs {
            csv: root.join("daily-csv"),
            parquet: root.join("daily-parquet"),
        };
        // No example: nothing is run or written.
        parquet_copy(&root, &dirs, "manifest\n").unwrap();
        assert!(!dirs.parquet.exists());
        // A marker made from the same CSV manifest: nothing is run.
        let example = root.join(TO_PARQUET_EXAMPLE);
        std::fs::create_dir_all(example.parent().unwrap()).unwrap();
        std::fs::write(&example, "fn main() {}\n").unwrap();
        std::fs::create_dir_all(&dirs.parquet).unwrap();
        std::fs::write(dirs.parquet.join(PARQUET_MARKER), "manifest\n").unwrap();
        parquet_copy(&root, &dirs, "manifest\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dirs.parquet.join(PARQUET_MARKER)).unwrap(),
            "manifest\n"
        );
        // (A marker of other CSV files would run cargo, which this test must not.)
    }

    #[test]
    fn converts_with_the_dask_dataframe_example() {
        assert_eq!(
            to_parquet_args("/d/csv", "/d/parquet"),
            [
                "run",
                "--release",
                "-p",
                "dask-dataframe",
                "--example",
                "to_parquet",
                "--",
                "/d/csv",
                "/d/parquet"
            ]
        );
    }
}
