//! Seed models: the bodies of every `model! { … }` in the repository's examples and tests.

use std::path::Path;

/// The text between the braces of each `model! { … }` in `text`.
pub fn extract(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("model! {") {
        let body = &rest[i + "model! {".len()..];
        let mut depth = 1usize;
        let mut end = None;
        for (j, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(j) => {
                out.push(body[..j].to_string());
                rest = &body[j..];
            }
            None => break,
        }
    }
    out
}

/// Every model body under `root/examples` and `root/tests` (recursively), read at run time so
/// new examples are picked up without touching the fuzzer.
pub fn from_repo(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["examples", "tests", "macros/core/tests"] {
        walk(&root.join(dir), &mut files);
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        if let Ok(text) = std::fs::read_to_string(&f) {
            out.extend(extract(&text));
        }
    }
    if out.is_empty() {
        out = embedded();
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

/// Seeds compiled into the binary (for the cargo-fuzz targets, which have no working dir).
pub fn embedded() -> Vec<String> {
    let mut out = Vec::new();
    for text in [
        include_str!("../../examples/tour.rs"),
        include_str!("../../tests/op_gradients.rs"),
        include_str!("../../tests/smoke.rs"),
    ] {
        out.extend(extract(text));
    }
    out
}
