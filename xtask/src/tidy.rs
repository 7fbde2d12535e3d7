//! `cargo xtask tidy`: repository hygiene checks.
//!
//! * every workspace member has a `src/lib.rs` or `src/main.rs`, and each of those
//!   starts with a `//!` doc comment saying what the crate is;
//! * `README.md` states the test command ([`TEST_COMMAND`]) verbatim;
//! * no `.rs` file of a member contains a leftover debugging macro call
//!   (a `dbg!` or `todo!` call).
//!
//! Every problem is printed, then the command fails if there was any.

use std::fs;
use std::path::{Path, PathBuf};

use crate::TEST_COMMAND;

/// Macro calls that must not be committed. Spelled in two halves so that this file does
/// not trip its own check.
const FORBIDDEN: [&str; 2] = [concat!("dbg", "!("), concat!("todo", "!(")];

/// Runs every check in the workspace at `root`.
pub fn run(root: &Path) -> Result<(), String> {
    let problems = check(root);
    if problems.is_empty() {
        eprintln!("xtask: tidy: all checks passed");
        return Ok(());
    }
    for p in &problems {
        eprintln!("tidy: {p}");
    }
    Err(format!("tidy found {} problem(s)", problems.len()))
}

/// Every problem found in the workspace at `root`, as a message naming the file.
fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let manifest = root.join("Cargo.toml");
    let members = match fs::read_to_string(&manifest) {
        Ok(text) => expand_members(root, &workspace_members(&text)),
        Err(e) => {
            problems.push(format!("cannot read {}: {e}", manifest.display()));
            Vec::new()
        }
    };
    if members.is_empty() {
        problems.push(format!(
            "no workspace members found in {}",
            manifest.display()
        ));
    }
    for dir in &members {
        problems.extend(check_crate_docs(root, dir));
        let mut files = Vec::new();
        if let Err(e) = rust_files(dir, &mut files) {
            problems.push(format!("cannot list {}: {e}", rel(root, dir)));
        }
        for file in files {
            match fs::read_to_string(&file) {
                Ok(text) => {
                    for (line, pattern) in forbidden_calls(&text) {
                        problems.push(format!(
                            "{}:{line}: leftover `{pattern}...)`",
                            rel(root, &file)
                        ));
                    }
                }
                Err(e) => problems.push(format!("cannot read {}: {e}", rel(root, &file))),
            }
        }
    }
    let readme = root.join("README.md");
    match fs::read_to_string(&readme) {
        Ok(text) if text.contains(TEST_COMMAND) => {}
        Ok(_) => problems.push(format!(
            "README.md does not contain the test command `{TEST_COMMAND}` verbatim"
        )),
        Err(e) => problems.push(format!(
            "cannot read README.md ({e}); it must state the test command `{TEST_COMMAND}`"
        )),
    }
    problems
}

/// The crate roots of `dir` exist and start with a `//!` doc comment.
fn check_crate_docs(root: &Path, dir: &Path) -> Vec<String> {
    let roots: Vec<PathBuf> = ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    if roots.is_empty() {
        return vec![format!("{}: no src/lib.rs or src/main.rs", rel(root, dir))];
    }
    roots
        .iter()
        .filter_map(|p| match fs::read_to_string(p) {
            Ok(text) if starts_with_inner_doc(&text) => None,
            Ok(_) => Some(format!(
                "{}: must start with a `//!` doc comment describing the crate",
                rel(root, p)
            )),
            Err(e) => Some(format!("cannot read {}: {e}", rel(root, p))),
        })
        .collect()
}

/// Whether the first non-blank line of `text` is a `//!` doc comment.
fn starts_with_inner_doc(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with("//!"))
}

/// `(line number, pattern)` for each forbidden macro call in `text`.
fn forbidden_calls(text: &str) -> Vec<(usize, &'static str)> {
    text.lines()
        .enumerate()
        .flat_map(|(i, line)| {
            FORBIDDEN
                .iter()
                .filter(move |p| line.contains(**p))
                .map(move |p| (i + 1, *p))
        })
        .collect()
}

/// The `members` of the `[workspace]` table of a root `Cargo.toml` (a small parser for
/// the one array we need: quoted strings, possibly over several lines, comments allowed).
fn workspace_members(manifest: &str) -> Vec<String> {
    let mut in_workspace = false;
    let mut collecting = false;
    let mut members = Vec::new();
    for raw in manifest.lines() {
        let line = strip_comment(raw).trim();
        if !collecting && line.starts_with('[') {
            in_workspace = line == "[workspace]";
            continue;
        }
        let rest = if collecting {
            line
        } else if in_workspace {
            match line.split_once('=') {
                Some((key, value)) if key.trim() == "members" => {
                    collecting = true;
                    value.trim().trim_start_matches('[')
                }
                _ => continue,
            }
        } else {
            continue;
        };
        let (items, done) = match rest.split_once(']') {
            Some((items, _)) => (items, true),
            None => (rest, false),
        };
        members.extend(
            items
                .split(',')
                .map(|s| s.trim().trim_matches('"'))
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        if done {
            collecting = false;
            in_workspace = false;
        }
    }
    members
}

/// `line` without a trailing `#` comment (a `#` inside a quoted string is kept).
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Member directories under `root`; a trailing `/*` glob lists the subdirectories that
/// hold a `Cargo.toml`.
fn expand_members(root: &Path, members: &[String]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for m in members {
        if let Some(parent) = m.strip_suffix("/*") {
            let Ok(entries) = fs::read_dir(root.join(parent)) else {
                continue;
            };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("Cargo.toml").is_file())
                .collect();
            found.sort();
            dirs.extend(found);
        } else {
            dirs.push(root.join(m));
        }
    }
    dirs
}

/// Appends every `.rs` file under `dir` to `out`, skipping `target` and hidden directories.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out)?;
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// `path` relative to `root`, for messages.
fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_workspace_members() {
        let toml = r#"
[package]
members = ["not-this"]

[workspace]
resolver = "3"
members = ["dask-graph", "xtask"] # the crates

[workspace.dependencies]
members = "nope"
"#;
        assert_eq!(workspace_members(toml), ["dask-graph", "xtask"]);
        let multi =
            "[workspace]\nmembers = [\n  \"a\", # first\n  \"crates/*\",\n]\nexclude = [\"x\"]\n";
        assert_eq!(workspace_members(multi), ["a", "crates/*"]);
    }

    #[test]
    fn detects_crate_doc_comments() {
        assert!(starts_with_inner_doc("//! The crate.\n\nmod a;\n"));
        assert!(starts_with_inner_doc("\n\n//! After blank lines.\n"));
        assert!(!starts_with_inner_doc("/// An outer doc.\nfn main() {}\n"));
        assert!(!starts_with_inner_doc("fn main() {}\n//! late\n"));
        assert!(!starts_with_inner_doc(""));
    }

    #[test]
    fn finds_forbidden_macro_calls_with_line_numbers() {
        let src = format!(
            "fn f() {{\n    {}x);\n}}\nfn g() {{ {}) }}\n// dbg is fine\n",
            FORBIDDEN[0], FORBIDDEN[1]
        );
        assert_eq!(
            forbidden_calls(&src),
            [(2, FORBIDDEN[0]), (4, FORBIDDEN[1])]
        );
        assert!(forbidden_calls("let todo = 1; // not a macro").is_empty());
    }

    #[test]
    fn reports_every_problem_of_a_workspace() {
        let root = std::env::temp_dir().join(format!("xtask-tidy-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let write = |path: &str, text: &str| {
            let p = root.join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        };
        write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"good\", \"undocumented\", \"empty\", \"crates/*\"]\n",
        );
        write("good/src/lib.rs", "//! Good.\npub fn f() {}\n");
        write("undocumented/src/main.rs", "fn main() {}\n");
        write("empty/Cargo.toml", "");
        write("crates/sloppy/Cargo.toml", "");
        write("crates/sloppy/src/lib.rs", "//! Sloppy.\n");
        write(
            "crates/sloppy/src/deep/x.rs",
            &format!("fn f() {{\n    {}1);\n}}\n", FORBIDDEN[0]),
        );
        write("crates/sloppy/target/gen.rs", FORBIDDEN[1]);
        write("README.md", "Run `cargo test --workspace`.\n");

        let problems = check(&root);
        let expected = [
            "undocumented/src/main.rs: must start with",
            "empty: no src/lib.rs or src/main.rs",
            "crates/sloppy/src/deep/x.rs:2: leftover",
            "README.md does not contain",
        ];
        for e in expected {
            assert!(
                problems.iter().any(|p| p.contains(e)),
                "{e} in {problems:?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:?}");

        write("README.md", &format!("```\n{TEST_COMMAND}\n```\n"));
        write(
            "undocumented/src/main.rs",
            "//! Now documented.\nfn main() {}\n",
        );
        write("empty/src/lib.rs", "//! Now a crate.\n");
        write("crates/sloppy/src/deep/x.rs", "fn f() {}\n");
        assert_eq!(check(&root), Vec::<String>::new());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn this_workspace_lists_its_members() {
        let root = crate::workspace_root();
        let text = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let members = workspace_members(&text);
        assert!(members.iter().any(|m| m == "xtask"), "{members:?}");
        assert!(check_crate_docs(&root, &root.join("xtask")).is_empty());
    }
}
