//! Stable-Rust fuzz driver: runs random structured and mutated inputs through the compiler for a
//! time budget, with a watchdog for hangs. Prints how many inputs ran, how they ended, and every
//! distinct property violation (each input is saved under `fuzz/artifacts/`).
//!
//! cargo run --release --manifest-path fuzz/Cargo.toml --bin driver -- [--seconds S] [--inputs N]
//!     [--seed N] [--root DIR] [--hang-seconds S] [--known TEXT]

use shapegrad_fuzz::{check, gen, mutate, seeds, typed, Outcome};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A tiny deterministic PRNG (splitmix64) feeding `arbitrary`'s byte buffers.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seconds: u64 = get("--seconds").and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = get("--seed").and_then(|s| s.parse().ok()).unwrap_or(1);
    let root = get("--root")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let max_inputs: u64 = get("--inputs").and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    // Violations whose message contains this text are counted but do not fail the run (a known
    // bug with a reproducer in tests/corpus_fuzz_regressions.rs).
    let known: Option<String> = get("--known");
    let hang_limit = Duration::from_secs(get("--hang-seconds").and_then(|s| s.parse().ok()).unwrap_or(10));
    let corpus = seeds::from_repo(&root);
    eprintln!("{} seed models from {}", corpus.len(), root.display());

    // Panics are caught and reported by `check`; keep the default hook quiet.
    std::panic::set_hook(Box::new(|_| {}));

    let started = Instant::now();
    let current = Arc::new(Mutex::new(String::new()));
    let input_started_ms = Arc::new(AtomicU64::new(0));
    {
        // Watchdog: an input running longer than `hang_limit` is a hang.
        let current = current.clone();
        let input_started_ms = input_started_ms.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let s = input_started_ms.load(Ordering::SeqCst);
            let now = started.elapsed().as_millis() as u64;
            if s != 0 && now.saturating_sub(s) > hang_limit.as_millis() as u64 {
                let input = current.lock().map(|s| s.clone()).unwrap_or_default();
                let _ = std::fs::create_dir_all("fuzz/artifacts");
                let _ = std::fs::write("fuzz/artifacts/hang.txt", &input);
                eprintln!("HANG (> {hang_limit:?}) on input:\n{input}");
                std::process::exit(2);
            }
        });
    }

    // The compiler runs on a thread with a large stack, as rustc gives proc macros.
    let worker = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let mut rng = Rng(seed);
            let budget = Duration::from_secs(seconds);
            let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
            let mut failures: BTreeMap<String, String> = BTreeMap::new();
            let mut total = 0u64;
            let mut slowest = (Duration::ZERO, String::new());
            let mut typed_rejections: Vec<String> = Vec::new();
            while started.elapsed() < budget && total < max_inputs {
                let mode = total % 3;
                let n = 64 + (rng.next() % 2048) as usize;
                let bytes = rng.bytes(n);
                let mut u = arbitrary::Unstructured::new(&bytes);
                let src = if mode == 0 {
                    gen::model_source(&mut u).unwrap_or_default()
                } else if mode == 1 {
                    typed::model_source(&mut u).unwrap_or_default()
                } else {
                    mutate::mutate(&corpus, &mut u).unwrap_or_default()
                };
                if let Ok(mut c) = current.lock() {
                    c.clone_from(&src);
                }
                let t0 = Instant::now();
                input_started_ms.store(started.elapsed().as_millis().max(1) as u64, Ordering::SeqCst);
                let r = check(&src);
                input_started_ms.store(0, Ordering::SeqCst);
                let dt = t0.elapsed();
                if dt > slowest.0 {
                    slowest = (dt, src.clone());
                }
                total += 1;
                let kind = ["structured", "typed", "mutated"][mode as usize];
                match r {
                    Ok(Outcome::NotTokens) => *counts.entry("not tokens (skipped)").or_default() += 1,
                    Ok(Outcome::Code) => {
                        *counts
                            .entry(["structured: code", "typed: code", "mutated: code"][mode as usize])
                            .or_default() += 1
                    }
                    Ok(Outcome::Errors) => {
                        *counts
                            .entry(["structured: errors", "typed: errors", "mutated: errors"][mode as usize])
                            .or_default() += 1;
                        if mode == 1 && typed_rejections.len() < 5 {
                            typed_rejections.push(src.clone());
                        }
                    }
                    Err(e) if known.as_deref().is_some_and(|k| e.contains(k)) => {
                        *counts.entry("known violation (--known)").or_default() += 1;
                    }
                    Err(e) => {
                        *counts.entry("PROPERTY VIOLATED").or_default() += 1;
                        let key = e.lines().next().unwrap_or("").to_string();
                        if !failures.contains_key(&key) {
                            let _ = std::fs::create_dir_all("fuzz/artifacts");
                            let file = format!("fuzz/artifacts/failure-{}.txt", failures.len());
                            let _ = std::fs::write(&file, format!("{kind}\n{e}\n--- input ---\n{src}"));
                            eprintln!("FAILURE ({kind}): {key}\n  saved to {file}");
                            failures.insert(key, src.clone());
                        }
                    }
                }
            }
            if !typed_rejections.is_empty() {
                let _ = std::fs::create_dir_all("fuzz/artifacts");
                let _ = std::fs::write(
                    "fuzz/artifacts/typed-rejections.txt",
                    typed_rejections.join("\n----\n"),
                );
            }
            (total, counts, failures, slowest)
        })
        .expect("spawn worker");
    let (total, counts, failures, slowest) = worker.join().expect("worker thread");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "inputs executed: {total} in {secs:.0} s ({:.0}/s), seed {seed}",
        total as f64 / secs
    );
    for (k, v) in &counts {
        println!("  {k}: {v}");
    }
    println!("slowest input: {:.1} ms", slowest.0.as_secs_f64() * 1e3);
    println!("distinct property violations: {}", failures.len());
    for k in failures.keys() {
        println!("  {k}");
    }
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
