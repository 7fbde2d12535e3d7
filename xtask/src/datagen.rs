//! `cargo xtask datagen [--quick | --large] [--out DIR]`: the input files of the
//! dataframe benchmark.
//!
//! Three data sets, under `target/data/` in the workspace root:
//!
//! * **The daily files** (`daily-csv/`): one CSV file per day of 2015, `2015-MM-DD.csv`,
//!   each of 100,000 rows with the columns `id,user_id,name,value,timestamp` (see
//!   [`rows`] for how each is drawn; `id` numbers the rows `0..36,500,000` in file
//!   order): 365 files, 36.5 million rows, 1.7 GB (1.6 GiB); and their Parquet copy
//!   (`daily-parquet/`, step 2 below).
//! * **The join tables** (`tables/`, see [`tables`] for their columns): `users.csv`,
//!   10,000 rows `user_id,country,signup_year` (171 KB), for a broadcast merge with the
//!   daily files on `user_id`; `left-10m/` and `right-10m/`, 10 files of a million rows
//!   each, `id,a` (179 MB) and `id,b` (125 MB), whose merge on `id` has 3,333,334 rows;
//!   `ids-10m/`, 10 files of a million rows `id,score` (177 MB) whose ids are every
//!   3.65th id of the daily files, for a merge of those (or of the large set) with a
//!   10M-row table. 482 MB (459 MiB) in all, written in about 8 s.
//! * **The larger-than-memory set** (`large-csv/`, only with `--large`): the daily
//!   files' columns and generator with 210,000 rows per file ([`LARGE`]): 365 files,
//!   76.65 million rows (`id` unique, `0..76,650,000`), 3.66 GB (3.41 GiB), written in
//!   about 2 to 3 minutes. No Parquet copy and no tables are made for it.
//!
//! `cargo xtask datagen` writes the daily files, their Parquet copy and the tables.
//! `--quick` writes the first 12 days only, into `daily-csv-quick/` (byte for byte the
//! first 12 files of the full set, 55 MB) and `daily-parquet-quick/`, and the quick
//! tables into `tables-quick/`: the same `users.csv` and 100,000-row `left-100k/`,
//! `right-100k/` and `ids-100k/` (10 files each; their ids picked from the quick set's
//! 1.2 million: every 12th), 4.4 MB in all. `--large` writes the large set only. `--out
//! DIR` writes the CSV files into `DIR` instead (relative to the current directory),
//! with the Parquet copy and the tables beside it (see [`parquet_dir_for`] and
//! [`tables_dir_for`]).
//!
//! Steps:
//!
//! 1. For each directory of CSV files (the daily or large files, then the tables): if
//!    its manifest ([`MANIFEST`], written last by a complete run) was made with the same
//!    settings and every file it lists has the size it records, nothing is written:
//!    re-running is instant. Otherwise the manifest is removed and every file is
//!    generated again, on up to [`MAX_THREADS`] threads, each file written under a hidden
//!    temporary name (`.NAME.tmp`, in the file's own directory) and renamed into place
//!    once complete, so a file with the final name is always whole. Progress lines go to
//!    stderr, then the total size and time.
//! 2. If `dask-dataframe/examples/to_parquet.rs` exists, the Parquet copy of the daily
//!    files is made with `cargo run --release -p dask-dataframe --example to_parquet --
//!    CSV_DIR PARQUET_DIR` into `target/data/daily-parquet/` (`-quick` with `--quick`)
//!    and marked complete by a [`PARQUET_MARKER`] file holding the CSV manifest it was
//!    made from; it is skipped while that marker matches. Without the example, the
//!    Parquet copy is skipped with a note. It comes last, as the one step that needs the
//!    workspace to build. (The example parses `timestamp` into a timestamp column.)
//!
//! Only files named `*.csv` are data: readers should glob for them (`DIR/*.csv`,
//! `tables/left-10m/*.csv`), which leaves out the manifests and any temporary file.

mod rows;
mod tables;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::{cargo, run_step};

/// The seed of every data set; the files' bytes follow from it.
const SEED: u64 = 2015;

/// The version of the daily files' format, recorded in the manifest: bump it whenever a
/// change to [`rows`] changes the bytes generated, so that old data is regenerated.
const FORMAT_VERSION: u32 = 1;

/// The version of the tables' format, recorded in their manifest: bump it whenever a
/// change to [`tables`] changes the bytes generated.
const TABLES_FORMAT_VERSION: u32 = 1;

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
/// The larger-than-memory data set's directory, relative to the workspace root.
const LARGE_DIR: &str = "target/data/large-csv";

/// The size of a set of daily files.
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

/// The larger-than-memory data set: every day of 2015 with 210,000 rows a day, 3.66 GB
/// (its `id`s run on over the files as the daily set's do, so they are unique).
const LARGE: Spec = Spec {
    files: rows::DAYS_IN_YEAR,
    rows_per_file: 210_000,
    seed: SEED,
};

/// The join tables of the full data set: 10M-row left, right and ids tables in 10
/// files each, the ids picked from the full set's.
const FULL_TABLES: tables::Tables = tables::Tables {
    seed: SEED,
    join_rows: 10_000_000,
    ids_rows: 10_000_000,
    ids_of: FULL.files as u64 * FULL.rows_per_file,
    parts: 10,
};

/// The join tables of the quick data set: 100,000 rows each in 10 files, the ids picked
/// from the quick set's.
const QUICK_TABLES: tables::Tables = tables::Tables {
    seed: SEED,
    join_rows: 100_000,
    ids_rows: 100_000,
    ids_of: QUICK.files as u64 * QUICK.rows_per_file,
    parts: 10,
};

/// Where a data set is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDirs {
    /// The directory of the daily CSV files.
    pub csv: PathBuf,
    /// The directory of their Parquet copy (which may not exist).
    pub parquet: PathBuf,
    /// The directory of the join tables.
    pub tables: PathBuf,
}

/// Generates the data set `quick` asks for into `out` (default: under `root`), then its
/// join tables, then its Parquet copy if the workspace can make one; where they are.
pub fn run(root: &Path, quick: bool, out: Option<&Path>) -> Result<DataDirs, String> {
    let (spec, tables) = if quick {
        (QUICK, QUICK_TABLES)
    } else {
        (FULL, FULL_TABLES)
    };
    let csv = match out {
        Some(dir) => absolute(dir)?,
        None => root.join(if quick { QUICK_DIR } else { FULL_DIR }),
    };
    let dirs = DataDirs {
        parquet: parquet_dir_for(&csv),
        tables: tables_dir_for(&csv),
        csv,
    };
    let manifest = ensure(&dirs.csv, DataSet::Daily(spec))?;
    // The tables before the Parquet copy, which needs the workspace to build.
    ensure(&dirs.tables, DataSet::Tables(tables))?;
    parquet_copy(root, &dirs, &manifest)?;
    Ok(dirs)
}

/// Generates the larger-than-memory data set into `out` (default:
/// `target/data/large-csv` under `root`); its directory.
pub fn run_large(root: &Path, out: Option<&Path>) -> Result<PathBuf, String> {
    let dir = match out {
        Some(dir) => absolute(dir)?,
        None => root.join(LARGE_DIR),
    };
    ensure(&dir, DataSet::Daily(LARGE))?;
    Ok(dir)
}

/// The larger-than-memory data set's directory under `root`, if a complete set is
/// there (its manifest vouches for it); nothing is generated.
pub fn complete_large_dir(root: &Path) -> Option<PathBuf> {
    let dir = root.join(LARGE_DIR);
    let manifest = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    let entries = parse_manifest(&manifest, DataSet::Daily(LARGE))?;
    files_match(&dir, &entries).then_some(dir)
}

/// `dir` made absolute (relative to the current directory).
fn absolute(dir: &Path) -> Result<PathBuf, String> {
    std::path::absolute(dir).map_err(|e| format!("cannot resolve --out {}: {e}", dir.display()))
}

/// The name of the last component of `path` (empty if it has none).
fn last_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The Parquet directory beside the CSV directory `csv`: its name with `csv` replaced by
/// `parquet` (`daily-csv-quick` → `daily-parquet-quick`), or with `-parquet` appended if
/// it has no `csv` in it.
fn parquet_dir_for(csv: &Path) -> PathBuf {
    let name = last_name(csv);
    let parquet = if name.contains("csv") {
        name.replacen("csv", "parquet", 1)
    } else {
        format!("{name}-parquet")
    };
    csv.with_file_name(parquet)
}

/// The tables directory beside the CSV directory `csv`: its name with `daily-csv`
/// replaced by `tables` (`daily-csv-quick` → `tables-quick`), or with `-tables` appended
/// if it has no `daily-csv` in it.
fn tables_dir_for(csv: &Path) -> PathBuf {
    let name = last_name(csv);
    let tables = if name.contains("daily-csv") {
        name.replacen("daily-csv", "tables", 1)
    } else {
        format!("{name}-tables")
    };
    csv.with_file_name(tables)
}

// ---------------------------------------------------------------------------------------
// The CSV files.

/// A set of CSV files that one manifest vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataSet {
    /// Daily files (the daily, quick or large set).
    Daily(Spec),
    /// The join tables.
    Tables(tables::Tables),
}

impl DataSet {
    /// The line of a manifest that records the settings it was made with.
    fn settings_line(self) -> String {
        match self {
            DataSet::Daily(spec) => format!(
                "xtask-datagen format={FORMAT_VERSION} seed={} files={} rows_per_file={}",
                spec.seed, spec.files, spec.rows_per_file
            ),
            DataSet::Tables(tables) => format!(
                "xtask-datagen tables format={TABLES_FORMAT_VERSION} {}",
                tables.settings()
            ),
        }
    }

    /// The names of its files, relative to its directory, in order.
    fn file_names(self) -> Vec<String> {
        match self {
            DataSet::Daily(spec) => (0..spec.files)
                .filter_map(rows::Day::of_year)
                .map(rows::Day::file_name)
                .collect(),
            DataSet::Tables(tables) => tables.file_names(),
        }
    }

    /// Rows over all its files.
    fn total_rows(self) -> u64 {
        match self {
            DataSet::Daily(spec) => spec.files as u64 * spec.rows_per_file,
            DataSet::Tables(tables) => tables.total_rows(),
        }
    }

    /// What is written, for the progress line.
    fn describe(self) -> String {
        match self {
            DataSet::Daily(spec) => format!(
                "{} files of {} rows",
                spec.files,
                thousands(spec.rows_per_file)
            ),
            DataSet::Tables(tables) => format!(
                "the tables ({} files: users.csv, {}, {} and {})",
                tables.file_names().len(),
                tables.left_dir(),
                tables.right_dir(),
                tables.ids_dir()
            ),
        }
    }
}

/// Makes sure `dir` holds the data set `set` (generating it unless its manifest vouches
/// for it); the text of its manifest.
fn ensure(dir: &Path, set: DataSet) -> Result<String, String> {
    let manifest_path = dir.join(MANIFEST);
    if let Ok(text) = std::fs::read_to_string(&manifest_path)
        && let Some(entries) = parse_manifest(&text, set)
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
    let entries = generate(dir, set)?;
    let text = manifest_text(set, &entries);
    write_atomically(dir, MANIFEST, text.as_bytes())?;
    Ok(text)
}

/// A manifest: a comment, the [`DataSet::settings_line`], then `name size` per file.
fn manifest_text(set: DataSet, entries: &[(String, u64)]) -> String {
    let mut text = format!(
        "# written by `cargo xtask datagen` after every file below was complete\n{}\n",
        set.settings_line()
    );
    for (name, size) in entries {
        text.push_str(&format!("{name} {size}\n"));
    }
    text
}

/// The `(name, size)` entries of a manifest, if it was made with the settings of `set`
/// and lists exactly that data set's files, in order.
fn parse_manifest(text: &str, set: DataSet) -> Option<Vec<(String, u64)>> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    if lines.next()? != set.settings_line() {
        return None;
    }
    let entries: Vec<(String, u64)> = lines
        .map(|line| {
            let (name, size) = line.split_once(' ')?;
            Some((name.to_string(), size.trim().parse().ok()?))
        })
        .collect::<Option<_>>()?;
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    (names == set.file_names()).then_some(entries)
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

/// The text of file `index` of a data set, `None` past its last.
type FileText<'a> = Box<dyn Fn(usize) -> Option<String> + Sync + 'a>;

/// The function that makes the text of each file of `set`.
fn file_text_of(set: DataSet) -> FileText<'static> {
    match set {
        DataSet::Daily(spec) => {
            let users = rows::Zipf::new(rows::USERS, rows::ZIPF_EXPONENT);
            Box::new(move |index| rows::file_text(spec.seed, index, spec.rows_per_file, &users))
        }
        DataSet::Tables(tables) => Box::new(move |index| tables.file_text(index)),
    }
}

/// Writes every file of `set` into `dir` on up to [`MAX_THREADS`] threads; their
/// `(name, size)`, in order.
fn generate(dir: &Path, set: DataSet) -> Result<Vec<(String, u64)>, String> {
    let names = set.file_names();
    if let DataSet::Daily(spec) = set
        && names.len() != spec.files
    {
        return Err(format!(
            "cannot generate {} daily files: 2015 has {} days",
            spec.files,
            rows::DAYS_IN_YEAR
        ));
    }
    let files = names.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS)
        .min(files.max(1));
    eprintln!(
        "xtask: [datagen] writing {} into {} ({threads} threads)",
        set.describe(),
        dir.display()
    );
    let start = Instant::now();
    let text_of = file_text_of(set);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let sizes = Mutex::new(vec![0u64; files]);
    let progress = Mutex::new(Progress::default());
    // Ten progress lines or so, whatever the number of files.
    let every = (files / 10).max(1);

    let write_one = |index: usize| -> Result<(), String> {
        let name = &names[index];
        let text = text_of(index).ok_or_else(|| format!("no file {index} ({name})"))?;
        let size = write_atomically(dir, name, text.as_bytes())?;
        sizes.lock().unwrap_or_else(PoisonError::into_inner)[index] = size;
        let mut done = progress.lock().unwrap_or_else(PoisonError::into_inner);
        done.files += 1;
        done.bytes += size;
        if done.files.is_multiple_of(every) || done.files == files {
            eprintln!(
                "xtask: [datagen] {}/{files} files, {}, {:.1} s",
                done.files,
                format_size(done.bytes),
                start.elapsed().as_secs_f64()
            );
        }
        Ok(())
    };
    let worker = || -> Result<(), String> {
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= files {
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
        "xtask: [datagen] wrote {files} files, {} rows, {} in {seconds:.1} s ({}/s)",
        thousands(set.total_rows()),
        format_size(bytes),
        format_size((bytes as f64 / seconds.max(1e-9)) as u64),
    );
    Ok(names.into_iter().zip(sizes).collect())
}

/// Writes `bytes` to `dir/name` through a hidden temporary file beside it (`.FILE.tmp`
/// in the same directory, which is created if need be: `name` may have directories in
/// it) renamed into place once complete; the size written.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<u64, String> {
    let target = dir.join(name);
    let parent = target.parent().unwrap_or(dir);
    let file = last_name(&target);
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let temporary = parent.join(format!(".{file}.tmp"));
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
        let names = DataSet::Daily(FULL).file_names();
        assert_eq!(names.len(), 365);
        assert_eq!(names[0], "2015-01-01.csv");
        assert_eq!(names[364], "2015-12-31.csv");
        assert_eq!(DataSet::Daily(QUICK).file_names()[..], names[..12]);
    }

    #[test]
    fn the_large_set_and_the_tables_have_the_sizes_of_the_brief() {
        // 76.65M rows of about 47 bytes: 3.4 to 3.8 GB; ids unique as they run on.
        let large = DataSet::Daily(LARGE);
        assert_eq!(large.total_rows(), 76_650_000);
        assert_eq!(large.file_names(), DataSet::Daily(FULL).file_names());
        assert_ne!(large.settings_line(), DataSet::Daily(FULL).settings_line());
        let first = rows::file_text(
            LARGE.seed,
            0,
            LARGE.rows_per_file,
            &rows::Zipf::new(rows::USERS, rows::ZIPF_EXPONENT),
        )
        .unwrap();
        let per_row = first.len() as f64 / LARGE.rows_per_file as f64;
        let estimate = per_row * large.total_rows() as f64;
        assert!((3.3e9..3.8e9).contains(&estimate), "{estimate}");
        // The tables: 10M-row joins and ids picked from the full set's 36.5M ids, which
        // the large set has too; the quick ones pick from the quick set's 1.2M.
        assert_eq!(FULL_TABLES.join_rows, 10_000_000);
        assert_eq!(FULL_TABLES.ids_rows, 10_000_000);
        assert_eq!(FULL_TABLES.ids_of, 36_500_000);
        assert!(FULL_TABLES.ids_of <= large.total_rows());
        assert_eq!(QUICK_TABLES.ids_of, 1_200_000);
        assert_eq!(QUICK_TABLES.join_rows, 100_000);
        let names = DataSet::Tables(FULL_TABLES).file_names();
        assert_eq!(names.len(), 31);
        assert_eq!(names[1], "left-10m/part-00.csv");
        assert_eq!(names[30], "ids-10m/part-09.csv");
        let quick = DataSet::Tables(QUICK_TABLES).file_names();
        assert_eq!(quick[11], "right-100k/part-00.csv");
    }

    #[test]
    fn the_tables_directory_sits_beside_the_csv_one() {
        let at = |p: &str| tables_dir_for(Path::new(p));
        assert_eq!(
            at("/w/target/data/daily-csv"),
            Path::new("/w/target/data/tables")
        );
        assert_eq!(
            at("/w/target/data/daily-csv-quick"),
            Path::new("/w/target/data/tables-quick")
        );
        assert_eq!(at("/tmp/frames"), Path::new("/tmp/frames-tables"));
    }

    #[test]
    fn tables_are_written_into_their_directories_once() {
        let dir = scratch("tables");
        let small = tables::Tables {
            seed: 7,
            join_rows: 300,
            ids_rows: 100,
            ids_of: 365,
            parts: 2,
        };
        let set = DataSet::Tables(small);
        let first = ensure(&dir, set).unwrap();
        let entries = parse_manifest(&first, set).unwrap();
        assert_eq!(entries.len(), 7);
        assert_eq!(entries[0].0, "users.csv");
        assert_eq!(entries[6].0, "ids-100/part-01.csv");
        let left = std::fs::read_to_string(dir.join("left-300/part-01.csv")).unwrap();
        assert!(left.starts_with("id,a\n"), "{left}");
        assert_eq!(left.lines().count(), 151);
        // Every directory holds its parts and nothing else: no temporaries.
        for (sub, files) in [("left-300", 2), ("right-300", 2), ("ids-100", 2)] {
            let listed: Vec<String> = std::fs::read_dir(dir.join(sub))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(listed.len(), files, "{sub}: {listed:?}");
            assert!(listed.iter().all(|n| n.starts_with("part-")), "{listed:?}");
        }
        // Not the daily files' manifest, and a second run writes nothing.
        assert_eq!(parse_manifest(&first, DataSet::Daily(TINY)), None);
        let stamp = || {
            std::fs::metadata(dir.join("users.csv"))
                .unwrap()
                .modified()
                .unwrap()
        };
        let before = stamp();
        assert_eq!(ensure(&dir, set).unwrap(), first);
        assert_eq!(stamp(), before);
        // A missing part is noticed and written again, the same bytes.
        let right = dir.join("right-300/part-00.csv");
        let bytes = std::fs::read(&right).unwrap();
        std::fs::remove_file(&right).unwrap();
        assert_eq!(ensure(&dir, set).unwrap(), first);
        assert_eq!(std::fs::read(&right).unwrap(), bytes);
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
        let entries: Vec<(String, u64)> = DataSet::Daily(TINY)
            .file_names()
            .into_iter()
            .zip([10, 20, 30])
            .collect();
        let text = manifest_text(DataSet::Daily(TINY), &entries);
        assert!(
            text.starts_with("# written by `cargo xtask datagen`"),
            "{text}"
        );
        assert!(text.contains("\n2015-01-02.csv 20\n"), "{text}");
        assert_eq!(
            parse_manifest(&text, DataSet::Daily(TINY)),
            Some(entries.clone())
        );
        // Other settings, fewer files, a bad size: not this data set's manifest.
        let more_rows = Spec {
            rows_per_file: 51,
            ..TINY
        };
        assert_eq!(parse_manifest(&text, DataSet::Daily(more_rows)), None);
        assert_eq!(
            parse_manifest(&text, DataSet::Daily(Spec { seed: 8, ..TINY })),
            None
        );
        let two = manifest_text(DataSet::Daily(TINY), &entries[..2]);
        assert_eq!(parse_manifest(&two, DataSet::Daily(TINY)), None);
        let bad = text.replace("2015-01-02.csv 20", "2015-01-02.csv twenty");
        assert_eq!(parse_manifest(&bad, DataSet::Daily(TINY)), None);
        assert_eq!(parse_manifest("", DataSet::Daily(TINY)), None);
    }

    #[test]
    fn generates_once_then_skips_and_regenerates_what_changed() {
        let dir = scratch("generate");
        let first = ensure(&dir, DataSet::Daily(TINY)).unwrap();
        let names = DataSet::Daily(TINY).file_names();
        let contents: Vec<Vec<u8>> = names
            .iter()
            .map(|n| std::fs::read(dir.join(n)).unwrap())
            .collect();
        let entries = parse_manifest(&first, DataSet::Daily(TINY)).unwrap();
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
        assert_eq!(ensure(&dir, DataSet::Daily(TINY)).unwrap(), first);
        assert_eq!(stamp(&names[0]), before);

        // A truncated file is noticed and the same bytes are written again.
        std::fs::write(dir.join(&names[2]), b"id\n").unwrap();
        assert_eq!(ensure(&dir, DataSet::Daily(TINY)).unwrap(), first);
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
            tables: root.join("tables"),
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
