//! Staged outputs: nothing under the final name until the commit, nothing left behind
//! on failure, a previous output untouched until the rename.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use dask_io::{Error, Staging};

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes a staged directory of two parts, as a partitioned writer does.
fn write_parts(staging: &Staging) {
    std::fs::create_dir(staging.temp()).unwrap();
    std::fs::write(staging.temp().join("part.0"), "zero").unwrap();
    std::fs::write(staging.temp().join("part.1"), "one").unwrap();
}

#[test]
fn a_failed_file_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.csv");
    // Aborted after writing, and dropped without a commit.
    let staging = Staging::new(&target, false).unwrap();
    std::fs::write(staging.temp(), "half").unwrap();
    assert!(staging.temp().starts_with(dir.path()));
    staging.abort();
    let dropped = Staging::new(&target, false).unwrap();
    std::fs::write(dropped.temp(), "half").unwrap();
    drop(dropped);
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn a_failed_directory_write_leaves_nothing_behind_and_keeps_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("table");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("old"), "previous").unwrap();
    for finish in ["abort", "drop"] {
        let staging = Staging::new(&target, true).unwrap();
        write_parts(&staging);
        assert!(
            !target.join("part.0").exists(),
            "nothing under the final name yet"
        );
        match finish {
            "abort" => staging.abort(),
            _ => drop(staging),
        }
        assert_eq!(listing(dir.path()), ["table"], "{finish}");
        assert_eq!(listing(&target), ["old"], "{finish}");
    }
}

#[test]
fn a_committed_directory_replaces_the_old_one_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("table");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("old"), "previous").unwrap();
    let staging = Staging::new(&target, true).unwrap();
    write_parts(&staging);
    staging.commit().unwrap();
    assert_eq!(listing(dir.path()), ["table"]);
    assert_eq!(listing(&target), ["part.0", "part.1"]);
    // Once committed, aborting or dropping changes nothing; a second commit is refused.
    assert!(matches!(
        staging.commit().unwrap_err(),
        Error::AlreadyFinished { .. }
    ));
    staging.abort();
    drop(staging);
    assert_eq!(listing(&target), ["part.0", "part.1"]);
}

#[test]
fn a_commit_never_clobbers_what_appeared_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.txt");
    let staging = Staging::new(&target, false)
        .unwrap()
        .describing("the report");
    std::fs::write(staging.temp(), "ours").unwrap();
    std::fs::write(&target, "theirs").unwrap();
    let err = staging.commit().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("appeared while the report was written") && msg.contains("out.txt"),
        "{msg}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs");
    assert_eq!(listing(dir.path()), ["out.txt"], "the temporary is removed");
}

#[test]
fn a_staged_directory_never_replaces_an_empty_one_that_appeared() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("table");
    let staging = Staging::new(&target, false).unwrap();
    write_parts(&staging);
    std::fs::create_dir(&target).unwrap();
    let err = staging.commit().unwrap_err();
    assert!(matches!(err, Error::Appeared { .. }), "{err}");
    assert_eq!(listing(dir.path()), ["table"], "the temporary is removed");
    assert_eq!(
        listing(&target),
        Vec::<String>::new(),
        "the newcomer is untouched"
    );
}

#[test]
fn a_failed_rename_removes_the_temporary() {
    let dir = tempfile::tempdir().unwrap();
    // The target is a non-empty directory but we staged a file: rename fails.
    let target = dir.path().join("busy");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let staging = Staging::new(&target, true).unwrap();
    std::fs::write(staging.temp(), "file").unwrap();
    let err = staging.commit().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("busy"), "{err}");
    assert_eq!(listing(dir.path()), ["busy"]);
    assert_eq!(listing(&target), ["keep"]);
}

#[test]
fn paths_without_a_file_name_are_refused() {
    let err = Staging::new(Path::new("/"), false).unwrap_err();
    assert!(matches!(err, Error::NoFileName { .. }), "{err}");
}
