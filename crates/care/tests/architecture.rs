//! Guard rails of the layout (DESIGN.md, HOUSE.md): only `console/` knows `Console`, and the
//! production command line links no simulator.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The lines of `text` that are code, not comments.
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|line| {
        let line = line.trim_start();
        !line.starts_with("//")
    })
}

/// What in `text` names the console: `impl Console`, or a path to `console` or `Console`.
fn names_the_console(text: &str) -> Vec<String> {
    let reaches = regex::Regex::new(r"\b(crate|super)::(console|Console)\b|\bimpl\b.*\bConsole\b")
        .expect("valid regex");
    code(text)
        .filter(|line| reaches.is_match(line))
        .map(str::to_owned)
        .collect()
}

#[test]
fn only_console_knows_the_console() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let console = src.join("console");
    let mut offenders = Vec::new();
    for path in sources(&src) {
        // The crate root re-exports it; `console/` is where it lives.
        if path.starts_with(&console) || path == src.join("lib.rs") {
            continue;
        }
        for line in names_the_console(&std::fs::read_to_string(&path).unwrap()) {
            offenders.push(format!("{}: {}", path.display(), line.trim()));
        }
    }
    assert!(
        offenders.is_empty(),
        "domain modules take explicit parts and a Permit, never the console:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_rule_catches_what_it_should() {
    assert!(!names_the_console("use crate::console::Console;").is_empty());
    assert!(!names_the_console("impl Console {").is_empty());
    assert!(!names_the_console("impl<'a> From<&'a Console> for Parts<'a> {").is_empty());
    assert!(!names_the_console("    fn f(c: &crate::Console) {}").is_empty());
    assert!(names_the_console("/// see [`crate::console::Console::write`]").is_empty());
    assert!(names_the_console("use crate::journal::Journal;").is_empty());
}

#[test]
fn the_command_line_links_no_simulator() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "c2p",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(&workspace)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).unwrap();
    assert!(tree.lines().any(|l| l.starts_with("care ")), "{tree}");
    let simulator: Vec<&str> = tree
        .lines()
        .filter(|l| l.starts_with("d1-sandbox ") || l.starts_with("axum"))
        .collect();
    assert!(
        simulator.is_empty(),
        "c2p must not link the simulator: {simulator:?}"
    );
}
