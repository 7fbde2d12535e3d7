//! Resolving globs, directories and path lists.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use dask_io::{Error, resolve_paths};

/// A directory with a few files (and a hidden one, a `_`-file and a subdirectory).
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "2015-01-02.csv",
        "2015-01-01.csv",
        "2015-02-01.csv",
        "notes.txt",
        ".2015-01-03.csv",
        "_SUCCESS",
        "odd[1].csv",
    ] {
        std::fs::write(dir.path().join(name), "a\n1\n").unwrap();
    }
    std::fs::create_dir(dir.path().join("2015-sub.csv")).unwrap();
    dir
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn globs_expand_sorted_to_visible_files() {
    let dir = fixture();
    let found = resolve_paths(format!("{}/2015-*-*.csv", dir.path().display())).unwrap();
    assert_eq!(
        names(&found),
        ["2015-01-01.csv", "2015-01-02.csv", "2015-02-01.csv"]
    );
    assert!(found.iter().all(|p| p.is_absolute()));
    // A pattern that spells the dot finds the hidden file.
    let hidden = resolve_paths(format!("{}/.2015*", dir.path().display())).unwrap();
    assert_eq!(names(&hidden), [".2015-01-03.csv"]);
}

#[test]
fn globs_skip_hidden_directories_unless_the_pattern_spells_the_dot() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["real", ".out.partial-1-0"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("part.csv"), "a\n").unwrap();
    }
    let d = dir.path().display();
    let parents = |p: &[PathBuf]| -> Vec<String> {
        p.iter()
            .map(|p| {
                p.parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    let found = resolve_paths(format!("{d}/*/part.csv")).unwrap();
    assert_eq!(parents(&found), ["real"]);
    let found = resolve_paths(format!("{d}/**/part.csv")).unwrap();
    assert_eq!(parents(&found), ["real"]);
    let found = resolve_paths(format!("{d}/.*/part.csv")).unwrap();
    assert_eq!(parents(&found), [".out.partial-1-0"]);
    // Named outright, a hidden directory is the caller's choice.
    let found = resolve_paths(format!("{d}/.out.partial-1-0/*.csv")).unwrap();
    assert_eq!(parents(&found), [".out.partial-1-0"]);
}

#[test]
fn directories_list_their_visible_files() {
    let dir = fixture();
    let found = resolve_paths(dir.path()).unwrap();
    assert_eq!(
        names(&found),
        [
            "2015-01-01.csv",
            "2015-01-02.csv",
            "2015-02-01.csv",
            "notes.txt",
            "odd[1].csv"
        ]
    );
}

#[test]
fn lists_resolve_in_order_and_paths_are_never_globs() {
    let dir = fixture();
    let d = dir.path();
    let odd: PathBuf = d.join("odd[1].csv");
    let list = vec![
        d.join("notes.txt").display().to_string(),
        format!("{}/2015-02-*.csv", d.display()),
    ];
    assert_eq!(
        names(&resolve_paths(list).unwrap()),
        ["notes.txt", "2015-02-01.csv"]
    );
    assert_eq!(names(&resolve_paths(&odd).unwrap()), ["odd[1].csv"]);
    assert_eq!(
        names(&resolve_paths([odd.clone(), d.join("notes.txt")]).unwrap()),
        ["odd[1].csv", "notes.txt"]
    );
}

#[test]
fn each_failure_names_its_pattern_or_path() {
    let dir = fixture();
    let d = dir.path();
    let pattern = format!("{}/2016-*.csv", d.display());
    let err = resolve_paths(pattern.as_str()).unwrap_err();
    assert!(matches!(err, Error::NoMatch { .. }), "{err}");
    assert!(err.to_string().contains(&pattern), "{err}");

    let missing = d.join("missing.csv");
    let err = resolve_paths(&missing).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("missing.csv"), "{err}");

    let err = resolve_paths(format!("{}/[.csv", d.display())).unwrap_err();
    assert!(matches!(err, Error::BadPattern { .. }), "{err}");

    let empty = d.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = resolve_paths(empty.as_path()).unwrap_err();
    assert!(matches!(err, Error::EmptyDirectory { .. }), "{err}");

    let none: Vec<&Path> = Vec::new();
    assert!(matches!(resolve_paths(none).unwrap_err(), Error::NoPaths));
}
