//! Where to read: one path, a glob, a directory, or a list of those.
//!
//! Every reader (`read_csv`, `read_parquet`, `read_text`) accepts the same forms and
//! resolves them the same way, once, when the collection is built:
//!
//! * a **string** containing `*`, `?` or `[` is a glob (`"logs/2015-*-*.json.gz"`),
//!   expanded in sorted order; hidden files and directories (a leading `.`, such as the
//!   temporaries of outputs being written) match only a pattern that spells the dot. A
//!   glob that matches nothing is an error naming it;
//! * any other string, or a [`Path`]/[`PathBuf`] (never treated as a glob, so a file
//!   name containing `[` can be read), names one file, or a directory whose visible
//!   files are read in sorted order (names starting with `.` or `_` are skipped, as
//!   Dask and Spark skip their `_SUCCESS` and `.crc` files). A path that does not exist
//!   is an error naming it;
//! * a list of any of those, resolved in order.
//!
//! Paths come back absolute, so a task's description means the same file in a worker
//! process.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result, io};

/// One entry of what a reader was given: a pattern (from a string) or a literal path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSpec {
    /// A string: a glob if it contains a glob metacharacter, else a literal path.
    Pattern(String),
    /// A path taken literally.
    Literal(PathBuf),
}

/// What readers accept as their files: `&str`/`String` (paths or globs), `&Path`/`PathBuf`
/// (literal paths), and slices, arrays and `Vec`s of any of those.
pub trait IntoPaths {
    /// The entries, in order.
    fn into_specs(self) -> Vec<PathSpec>;
}

/// Strings are patterns (globs when they contain a metacharacter); paths are literal.
macro_rules! into_paths {
    ($variant:ident: $($t:ty),+) => {
        $(impl IntoPaths for $t {
            fn into_specs(self) -> Vec<PathSpec> {
                vec![PathSpec::$variant(self.to_owned().into())]
            }
        })+
    };
}

into_paths!(Pattern: &str, String, &String);
into_paths!(Literal: &Path, PathBuf, &PathBuf);

impl IntoPaths for PathSpec {
    fn into_specs(self) -> Vec<PathSpec> {
        vec![self]
    }
}

impl<P: IntoPaths> IntoPaths for Vec<P> {
    fn into_specs(self) -> Vec<PathSpec> {
        self.into_iter().flat_map(IntoPaths::into_specs).collect()
    }
}

impl<P: IntoPaths + Clone> IntoPaths for &[P] {
    fn into_specs(self) -> Vec<PathSpec> {
        self.iter()
            .cloned()
            .flat_map(IntoPaths::into_specs)
            .collect()
    }
}

impl<P: IntoPaths + Clone, const N: usize> IntoPaths for &[P; N] {
    fn into_specs(self) -> Vec<PathSpec> {
        self.iter()
            .cloned()
            .flat_map(IntoPaths::into_specs)
            .collect()
    }
}

impl<P: IntoPaths, const N: usize> IntoPaths for [P; N] {
    fn into_specs(self) -> Vec<PathSpec> {
        self.into_iter().flat_map(IntoPaths::into_specs).collect()
    }
}

/// Whether a string is a glob pattern.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Resolves `paths` to the files they name, absolute, in order (each glob and directory
/// sorted). See the module notes for the rules.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// for name in ["b.csv", "a.csv", "notes.txt", ".hidden.csv"] {
///     std::fs::write(dir.path().join(name), "x\n")?;
/// }
/// let pattern = format!("{}/*.csv", dir.path().display());
/// let found = dask_io::resolve_paths(pattern.as_str())?;
/// let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
/// assert_eq!(names, ["a.csv", "b.csv"]);
/// assert!(dask_io::resolve_paths(format!("{}/*.parquet", dir.path().display())).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_paths(paths: impl IntoPaths) -> Result<Vec<PathBuf>> {
    let specs = paths.into_specs();
    if specs.is_empty() {
        return Err(Error::NoPaths);
    }
    let mut out = Vec::new();
    for spec in specs {
        match spec {
            PathSpec::Pattern(p) if is_glob(&p) => out.extend(expand_glob(&p)?),
            PathSpec::Pattern(p) => out.extend(literal(Path::new(&p))?),
            PathSpec::Literal(p) => out.extend(literal(&p)?),
        }
    }
    Ok(out)
}

fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        // The crate's own leading-dot rule also refuses `.x*` for `.xy` (glob 0.3), so
        // hidden names are filtered below instead.
        require_literal_leading_dot: false,
    };
    let matches = glob::glob_with(pattern, options).map_err(|e| Error::BadPattern {
        pattern: pattern.to_string(),
        message: e.to_string(),
    })?;
    let mut files = Vec::new();
    for m in matches {
        let path = m.map_err(|e| {
            let path = e.path().to_path_buf();
            io("listing", path, e.into())
        })?;
        if path.is_file() && !hides_behind_a_dot(pattern, &path) {
            files.push(absolute(&path)?);
        }
    }
    if files.is_empty() {
        return Err(Error::NoMatch {
            pattern: pattern.to_string(),
        });
    }
    files.sort();
    Ok(files)
}

/// Whether `path`, matched by `pattern`, has a hidden name (a leading `.`) where the
/// pattern did not spell the dot — as the shell and Python's `glob` hide `.x` from
/// `*` — so staged `.name.partial-…` outputs and other hidden files and directories are
/// never read by accident. Components of the pattern's literal prefix (a hidden
/// directory named outright) are the caller's choice and always allowed.
fn hides_behind_a_dot(pattern: &str, path: &Path) -> bool {
    let pat: Vec<String> = Path::new(pattern)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let literal = pat.iter().take_while(|c| !is_glob(c)).count();
    let recursive = pat.iter().any(|c| c == "**");
    let found: Vec<_> = path.components().collect();
    found.iter().enumerate().skip(literal).any(|(i, c)| {
        let hidden = c.as_os_str().to_string_lossy().starts_with('.');
        let spelled = if recursive {
            // With `**` only the last component lines up with the pattern's last.
            i + 1 == found.len() && pat.last().is_some_and(|p| p.starts_with('.'))
        } else {
            pat.get(i).is_some_and(|p| p.starts_with('.'))
        };
        hidden && !spelled
    })
}

fn literal(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io("reading", path, e)),
    };
    if !meta.is_dir() {
        return Ok(vec![absolute(path)?]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| io("listing", path, e))? {
        let entry = entry.map_err(|e| io("listing", path, e))?;
        let name = entry.file_name();
        let visible = name
            .to_str()
            .is_none_or(|n| !n.starts_with('.') && !n.starts_with('_'));
        if visible && entry.path().is_file() {
            files.push(absolute(&entry.path())?);
        }
    }
    if files.is_empty() {
        return Err(Error::EmptyDirectory {
            path: path.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| io("resolving", path, e))
}
