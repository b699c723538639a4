//! The book's integrity, checked with the test suite (and by `.ci/run`):
//!
//! - `SUMMARY.md` lists every chapter file under `book/src/`, and every file it lists exists;
//! - every relative link, image and `{{#include}}` in every chapter resolves, anchors included;
//! - every compile-error class under `tests/ui/` is documented in `errors.md` with its current
//!   message, and every `compile_fail` snippet in the book is one of the UI cases;
//! - every chapter with Rust snippets is doctested through `src/lib.rs`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn src() -> PathBuf {
    root().join("book/src")
}

fn chapters() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&src(), &mut out);
    out.sort();
    out
}

/// Markdown link targets `[text](target)` and `![alt](target)` outside code blocks and spans.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(text) {
        let line = strip_code_spans(&line);
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(j) = after.find(')') else { break };
            out.push(after[..j].split_whitespace().next().unwrap_or("").to_string());
            rest = &after[j..];
        }
    }
    out
}

fn strip_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// Lines outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push(line.to_string());
        }
    }
    out
}

/// Fenced code blocks: (info string, body).
fn code_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(String, String)> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(info) = t.strip_prefix("```") {
            match cur.take() {
                Some(block) => out.push(block),
                None => cur = Some((info.trim().to_string(), String::new())),
            }
        } else if let Some((_, body)) = cur.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// mdbook's heading ids: lowercase alphanumerics, `-` and `_`; whitespace becomes `-`.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in prose_lines(text) {
        let t = line.trim_start();
        if !t.starts_with('#') {
            continue;
        }
        let heading = t.trim_start_matches('#').trim();
        let heading = heading.replace(['`', '[', ']'], "");
        let id: String = heading
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c.to_ascii_lowercase())
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        let n = counts.entry(id.clone()).or_default();
        out.insert(if *n == 0 { id.clone() } else { format!("{id}-{n}") });
        *n += 1;
    }
    out
}

#[test]
fn summary_lists_every_chapter_and_only_existing_files() {
    let summary = std::fs::read_to_string(src().join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<PathBuf> = links(&summary).iter().map(|l| src().join(l)).collect();
    let mut problems = Vec::new();
    for l in &listed {
        if !l.exists() {
            problems.push(format!("SUMMARY.md lists {} which does not exist", l.display()));
        }
    }
    for c in chapters() {
        if c.file_name().is_some_and(|n| n == "SUMMARY.md") {
            continue;
        }
        if !listed.contains(&c) {
            problems.push(format!("{} is not listed in SUMMARY.md", c.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_relative_link_image_and_include_resolves() {
    let mut problems = Vec::new();
    let texts: HashMap<PathBuf, String> = chapters()
        .into_iter()
        .map(|c| {
            let t = std::fs::read_to_string(&c).unwrap();
            (c.canonicalize().unwrap(), t)
        })
        .collect();
    for (chapter, text) in &texts {
        let dir = chapter.parent().unwrap();
        let mut targets = links(text);
        for line in text.lines() {
            if let Some(i) = line.find("{{#include ") {
                let rest = &line[i + "{{#include ".len()..];
                let path = rest.split("}}").next().unwrap_or("").trim();
                targets.push(path.split(':').next().unwrap_or("").to_string());
            }
        }
        for t in targets {
            if t.is_empty() || t.contains("://") || t.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match t.split_once('#') {
                Some((f, a)) => (f.to_string(), Some(a.to_string())),
                None => (t.clone(), None),
            };
            let target = if file.is_empty() {
                chapter.clone()
            } else {
                dir.join(&file)
            };
            if !target.exists() {
                problems.push(format!("{}: broken link `{t}`", chapter.display()));
                continue;
            }
            if let Some(a) = anchor {
                let Some(ttext) = texts.get(&target.canonicalize().unwrap()) else {
                    continue;
                };
                if !anchors(ttext).contains(&a) {
                    problems.push(format!(
                        "{}: link `{t}`: no heading with id `{a}`",
                        chapter.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ui_cases() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root().join("tests/ui")).unwrap().flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let class = e.file_name().to_string_lossy().to_string();
        for f in std::fs::read_dir(e.path()).unwrap().flatten() {
            let p = f.path();
            if p.extension().is_some_and(|x| x == "rs") {
                let rs = std::fs::read_to_string(&p).unwrap();
                let stderr = std::fs::read_to_string(p.with_extension("stderr")).unwrap_or_default();
                out.push((class.clone(), rs, stderr));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_error_class_is_documented_with_its_current_message() {
    let errors = std::fs::read_to_string(src().join("errors.md")).unwrap();
    let mut problems = Vec::new();
    for (class, _, stderr) in ui_cases() {
        if !errors.contains(&format!("### `{class}`")) {
            problems.push(format!("tests/ui/{class} has no section in errors.md"));
        }
        for line in stderr.lines().filter(|l| l.starts_with("error")) {
            if !errors.contains(line) {
                problems.push(format!("errors.md lacks the current message of {class}: {line}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(regenerate with `python3 scripts/gen_errors_chapter.py > book/src/errors.md`)",
        problems.join("\n")
    );
}

#[test]
fn compile_fail_snippets_are_ui_cases() {
    let cases: Vec<String> = ui_cases().into_iter().map(|(_, rs, _)| normalize(&rs)).collect();
    let mut problems = Vec::new();
    for c in chapters() {
        let text = std::fs::read_to_string(&c).unwrap();
        for (info, body) in code_blocks(&text) {
            if info.split(',').any(|t| t.trim() == "compile_fail") && !cases.contains(&normalize(&body)) {
                problems.push(format!(
                    "{}: a compile_fail snippet that is not a tests/ui case:\n{body}",
                    c.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn chapters_with_rust_snippets_are_doctested() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let mut problems = Vec::new();
    for c in chapters() {
        let text = std::fs::read_to_string(&c).unwrap();
        let has_rust = code_blocks(&text).iter().any(|(info, body)| {
            let lang = info.split(',').next().unwrap_or("").trim();
            let include_only = body.trim().starts_with("{{#include") && body.trim().lines().count() == 1;
            (lang == "rust" || lang.is_empty() && !info.is_empty()) && !include_only
        });
        let rel = c
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if has_rust && !lib.contains(&format!("include_str!(\"../{rel}\")")) {
            problems.push(format!(
                "{rel} has Rust snippets but src/lib.rs does not doctest it"
            ));
        }
        for (info, _) in code_blocks(&text) {
            if info.split(',').any(|t| t.trim() == "ignore") {
                problems.push(format!(
                    "{rel}: an `ignore` snippet (test it, or mark it `no_run`)"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
