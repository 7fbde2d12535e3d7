//! `cargo xtask tidy`: repository hygiene checks.
//!
//! * every workspace member has a `src/lib.rs` or `src/main.rs`, and each of those
//!   starts with a `//!` doc comment saying what the crate is;
//! * `README.md` states the test command ([`TEST_COMMAND`]) verbatim;
//! * no `.rs` file of a member contains a leftover debugging macro call
//!   (a `dbg!` or `todo!` call);
//! * `ARCHITECTURE.md` describes the files as they are: each member has a section
//!   (a `### ` heading naming `` `crate/` ``), every `.rs` file the section names exists,
//!   and every source, test, benchmark and example file of the crate is named there;
//! * `ARCHITECTURE.md`'s invariant listing the files where `unsafe` appears (the bullet
//!   starting ``- `unsafe` appears``) names exactly the files that use the keyword.
//!
//! Every problem is printed, then the command fails if there was any. The checks also
//! run as a unit test (`the_workspace_is_tidy`), so `cargo test` catches drift.

use std::fs;
use std::path::{Path, PathBuf};

use crate::TEST_COMMAND;

/// Macro calls that must not be committed. Spelled in two halves so that this file does
/// not trip its own check.
const FORBIDDEN: [&str; 2] = [concat!("dbg", "!("), concat!("todo", "!(")];

/// The keyword whose every use ARCHITECTURE.md lists (spelled in halves, as above).
const UNSAFE: &str = concat!("un", "safe");

/// The file that maps the code.
const ARCHITECTURE: &str = "ARCHITECTURE.md";

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
    match fs::read_to_string(root.join(ARCHITECTURE)) {
        Ok(text) => {
            for dir in &members {
                problems.extend(check_described_files(root, dir, &text));
            }
            problems.extend(check_unsafe_list(root, &members, &text));
        }
        Err(e) => problems.push(format!("cannot read {ARCHITECTURE}: {e}")),
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

/// The part of ARCHITECTURE.md about the crate in `dir`: from the `### ` heading naming
/// `` `name/` `` to the next heading of that level or above.
fn crate_section<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("`{name}/`");
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let is_heading = line.starts_with("## ") || line.starts_with("### ");
        match start {
            None if line.starts_with("### ") && line.contains(&marker) => {
                start = Some(offset + line.len());
            }
            Some(s) if is_heading => return Some(&text[s..offset]),
            _ => {}
        }
        offset += line.len();
    }
    start.map(|s| &text[s..])
}

/// Every backticked token of `text` that names a `.rs` file.
fn rust_paths(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| {
            t.ends_with(".rs")
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        })
        .collect()
}

/// A crate's files as ARCHITECTURE.md names them: `src/` files by their path inside
/// `src/`, the rest (`tests/x.rs`, `benches/x.rs`, `examples/x.rs`) from the crate root.
fn described_as(crate_dir: &Path, file: &Path) -> Option<String> {
    let inner = file.strip_prefix(crate_dir).ok()?;
    let text = inner.to_str()?.replace('\\', "/");
    Some(match text.strip_prefix("src/") {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The section of the crate at `dir` names exactly its files.
fn check_described_files(root: &Path, dir: &Path, architecture: &str) -> Vec<String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some(section) = crate_section(architecture, name) else {
        return vec![format!(
            "{ARCHITECTURE} has no `### ` section for `{name}/` (a heading naming it)"
        )];
    };
    let mut problems = Vec::new();
    let named: Vec<&str> = rust_paths(section);
    for path in &named {
        let in_crate = ["tests/", "benches/", "examples/", "src/"]
            .iter()
            .any(|p| path.starts_with(p));
        // `other-crate/src/x.rs`: a path from the workspace root.
        let from_root = path
            .split_once('/')
            .is_some_and(|(first, _)| root.join(first).join("Cargo.toml").is_file());
        let full = if from_root {
            root.join(path)
        } else if in_crate {
            dir.join(path)
        } else {
            dir.join("src").join(path)
        };
        if !full.is_file() {
            problems.push(format!(
                "{ARCHITECTURE} names `{path}` in the `{name}/` section, but {} does not exist",
                rel(root, &full)
            ));
        }
    }
    let mut files = Vec::new();
    for sub in ["src", "tests", "benches", "examples"] {
        let d = dir.join(sub);
        if d.is_dir() {
            let _ = rust_files(&d, &mut files);
        }
    }
    for file in files {
        let Some(as_named) = described_as(dir, &file) else {
            continue;
        };
        let is_root = as_named == "lib.rs" || as_named == "main.rs";
        if !is_root && !named.contains(&as_named.as_str()) {
            problems.push(format!(
                "{} is not described in the `{name}/` section of {ARCHITECTURE}",
                rel(root, &file)
            ));
        }
    }
    problems
}

/// The code of a Rust source with comments, string literals and character literals
/// blanked out (each replaced by a space), so that a word search finds only code.
/// A small lexer, enough for this code base: line and nested block comments, strings
/// with escapes over several lines, raw strings (`r"…"`, `r#"…"#`), byte strings, and
/// character literals told apart from lifetimes.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            out.push(' ');
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"…" or r#"…"# (also br…): skip to the quote followed by as many hashes.
            i += rest.iter().position(|&c| c == b'"').unwrap_or(0) + 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push(' ');
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if rest.get(1) == Some(&b'\\') {
                // Skip the backslash and the escaped character (which may be a quote),
                // then up to the closing quote (`'\u{..}'` is longer).
                i += 3;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            } else if let Some(len) = text[i + 1..].chars().next().map(char::len_utf8) {
                if b.get(i + 1 + len) == Some(&b'\'') {
                    i += 2 + len;
                } else {
                    i += 1; // a lifetime: keep going
                }
            } else {
                i += 1;
            }
            out.push(' ');
        } else {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

/// If `s` starts a raw (byte) string literal, the number of `#`s it uses.
fn raw_string_start(s: &[u8]) -> Option<usize> {
    let s = s.strip_prefix(b"b").unwrap_or(s);
    let s = s.strip_prefix(b"r")?;
    let hashes = s.iter().take_while(|&&c| c == b'#').count();
    (s.get(hashes) == Some(&b'"')).then_some(hashes)
}

/// Whether Rust source text uses the `unsafe` keyword in code (not in comments,
/// strings or identifiers such as `unsafe_code`).
fn uses_unsafe(text: &str) -> bool {
    code_only(text)
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| word == UNSAFE)
}

/// ARCHITECTURE.md's list of files using `unsafe` matches the code.
fn check_unsafe_list(root: &Path, members: &[PathBuf], architecture: &str) -> Vec<String> {
    let bullet = format!("- `{UNSAFE}` appears");
    let Some(start) = architecture.find(&bullet) else {
        return vec![format!(
            "{ARCHITECTURE} has no invariant starting `{bullet}` listing the files that use it"
        )];
    };
    // The bullet runs to the next bullet or blank line.
    let rest = &architecture[start + 2..];
    let end = rest
        .find("\n- ")
        .into_iter()
        .chain(rest.find("\n\n"))
        .min()
        .unwrap_or(rest.len());
    let listed: Vec<&str> = rust_paths(&rest[..end]);
    let mut users = Vec::new();
    for dir in members {
        let mut files = Vec::new();
        let _ = rust_files(dir, &mut files);
        for file in files {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            if uses_unsafe(&text) {
                users.push(rel(root, &file));
            }
        }
    }
    let mut problems = Vec::new();
    for u in &users {
        if !listed.contains(&u.as_str()) {
            problems.push(format!(
                "{u} uses `{UNSAFE}` but {ARCHITECTURE}'s invariant does not list it"
            ));
        }
    }
    for l in &listed {
        if !users.iter().any(|u| u == l) {
            problems.push(format!(
                "{ARCHITECTURE} lists {l} as using `{UNSAFE}`, but it does not"
            ));
        }
    }
    problems
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
        write("good/tests/t.rs", "#[test]\nfn t() {}\n");
        write("undocumented/src/main.rs", "fn main() {}\n");
        write("empty/Cargo.toml", "");
        write("crates/sloppy/Cargo.toml", "");
        write("crates/sloppy/src/lib.rs", "//! Sloppy.\n");
        write(
            "crates/sloppy/src/deep/x.rs",
            &format!(
                "fn f() {{\n    {}1);\n    {UNSAFE} {{ g() }}\n}}\n",
                FORBIDDEN[0]
            ),
        );
        write("crates/sloppy/target/gen.rs", FORBIDDEN[1]);
        write("README.md", "Run `cargo test --workspace`.\n");
        let architecture = |good_files: &str, sloppy_files: &str, listed: &str| {
            format!(
                "# A\n\n### `good/`\n\n{good_files}\n\n### `undocumented/`\n\n### `empty/`\n\n\
                 ### `sloppy/`\n\n{sloppy_files}\n\n## Invariants\n\n\
                 - `{UNSAFE}` appears in {listed} only.\n- Other.\n"
            )
        };
        write(
            ARCHITECTURE,
            &architecture("`gone.rs`", "", "`good/src/lib.rs`"),
        );

        let problems = check(&root);
        let expected = [
            "undocumented/src/main.rs: must start with",
            "empty: no src/lib.rs or src/main.rs",
            "crates/sloppy/src/deep/x.rs:2: leftover",
            "README.md does not contain",
            "names `gone.rs` in the `good/` section, but good/src/gone.rs does not exist",
            "good/tests/t.rs is not described",
            "crates/sloppy/src/deep/x.rs is not described",
            "crates/sloppy/src/deep/x.rs uses `unsafe` but",
            "lists good/src/lib.rs as using `unsafe`, but it does not",
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
        write(
            "crates/sloppy/src/deep/x.rs",
            &format!("fn f() {{\n    {UNSAFE} {{ g() }}\n}}\n"),
        );
        write(
            ARCHITECTURE,
            &architecture(
                "Tests: `tests/t.rs`.",
                "| `deep/x.rs` | f |",
                "`crates/sloppy/src/deep/x.rs`",
            ),
        );
        assert_eq!(check(&root), Vec::<String>::new());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn reads_unsafe_only_as_code() {
        assert!(uses_unsafe(&format!("    let x = {UNSAFE} {{ f() }};")));
        assert!(uses_unsafe(&format!("{UNSAFE} extern \"C\" {{")));
        assert!(uses_unsafe(&format!(
            "fn f<'a>(c: char) {{ match c {{ '\"' => {{}} _ => {{}} }}; {UNSAFE} {{}} }}"
        )));
        assert!(!uses_unsafe(&format!("// an {UNSAFE} comment")));
        assert!(!uses_unsafe(&format!("/* a /* nested */ {UNSAFE} */")));
        assert!(!uses_unsafe(&format!("let s = \"{UNSAFE}\";")));
        assert!(!uses_unsafe(&format!(
            "let s = \"first line\n  and the {UNSAFE} word on the next\";"
        )));
        assert!(!uses_unsafe(&format!(
            "let s = r#\"a \"quoted\" {UNSAFE}\"#;"
        )));
        assert!(!uses_unsafe(&format!(
            "let c = '\\''; let s = \"{UNSAFE}\";"
        )));
        assert!(uses_unsafe(&format!(
            "let v = ['\\'', '\"']; {UNSAFE} {{ f() }}; let s = \"x\";"
        )));
        assert!(uses_unsafe(&format!(
            "let c = '\\u{{1F600}}'; {UNSAFE} {{}}"
        )));
        assert!(!uses_unsafe(&format!("#![forbid({UNSAFE}_code)]")));
    }

    #[test]
    fn the_workspace_is_tidy() {
        assert_eq!(check(&crate::workspace_root()), Vec::<String>::new());
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
