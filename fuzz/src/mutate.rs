//! Raw-text mutations of seed models: token deletions, duplications, swaps, insertions from the
//! DSL's vocabulary, and number replacements (zero, huge, negative, fractional, overflowing).

use arbitrary::{Result, Unstructured};

const POOL: &[&str] = &[
    "@",
    "+",
    "-",
    "*",
    "/",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "->",
    ":",
    "=",
    "..",
    "#",
    "!",
    "x",
    "y",
    "B",
    "H",
    "w1",
    "sum",
    "mean",
    "max",
    "axis",
    "axes",
    "keepdim",
    "fn",
    "let",
    "struct",
    "pub",
    "dims",
    "params",
    "batch",
    "const",
    "reshape",
    "permute",
    "transpose",
    "concat",
    "slice",
    "select",
    "broadcast",
    "softmax",
    "stop_grad",
    "pow",
    "mse",
    "[grad]",
    "loss",
    "forward",
    "_",
    "'a",
    "\"s\"",
    "self",
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "1.5",
    "-0.0",
    "1e308",
    "1e-320",
    "255",
    "65536",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999999",
    "0x10",
    "1_000",
    "3usize",
    "-9223372036854775808",
    "NaN",
];

/// Splits `src` into crude tokens (whitespace and punctuation boundaries kept as tokens).
pub fn tokens(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut it = src.chars().peekable();
    while let Some(c) = it.next() {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            cur.push(c);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if c == '-' && it.peek() == Some(&'>') {
                it.next();
                out.push("->".into());
            } else if !c.is_whitespace() {
                out.push(c.to_string());
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_delim(t: &str) -> bool {
    matches!(t, "(" | ")" | "[" | "]" | "{" | "}")
}

/// A token from the pool; delimiters only one time in eight, so most mutants still lex.
fn pool_token(u: &mut Unstructured) -> Result<String> {
    let t = *u.choose(POOL)?;
    if is_delim(t) && !u.ratio(1, 8)? {
        let rest: Vec<&str> = POOL.iter().copied().filter(|t| !is_delim(t)).collect();
        return Ok(u.choose(&rest)?.to_string());
    }
    Ok(t.to_string())
}

/// Picks a seed (or splices two) and applies 1–8 mutations.
pub fn mutate(seeds: &[String], u: &mut Unstructured) -> Result<String> {
    if seeds.is_empty() {
        return Ok(String::new());
    }
    let s = u.choose(seeds)?;
    let mut t = tokens(s);
    if u.ratio(1, 10)? {
        // Splice: the head of one seed and the tail of another.
        let other = tokens(u.choose(seeds)?);
        let i = u.int_in_range(0..=t.len())?;
        let j = u.int_in_range(0..=other.len())?;
        t.truncate(i);
        t.extend_from_slice(&other[j..]);
    }
    let n = u.int_in_range(1u8..=8)?;
    for _ in 0..n {
        if t.is_empty() {
            break;
        }
        let i = u.choose_index(t.len())?;
        match u.int_in_range(0u8..=6)? {
            0 => {
                if !is_delim(&t[i]) || u.ratio(1, 8)? {
                    t.remove(i);
                }
            }
            1 => {
                if !is_delim(&t[i]) || u.ratio(1, 8)? {
                    t[i] = pool_token(u)?;
                }
            }
            2 => t.insert(i, pool_token(u)?),
            3 => {
                let j = u.choose_index(t.len())?;
                t.swap(i, j);
            }
            4 => {
                // Duplicate a run of tokens.
                let len = u.int_in_range(1..=8usize)?.min(t.len() - i);
                if t[i..i + len].iter().any(|x| is_delim(x)) && !u.ratio(1, 8)? {
                    continue;
                }
                let run: Vec<String> = t[i..i + len].to_vec();
                for (k, tok) in run.into_iter().enumerate() {
                    t.insert(i + len + k, tok);
                }
            }
            5 => {
                // Replace a number.
                let nums: Vec<usize> = (0..t.len())
                    .filter(|&k| t[k].chars().next().is_some_and(|c| c.is_ascii_digit()))
                    .collect();
                if let Some(&k) = nums.get(u.choose_index(nums.len().max(1)).unwrap_or(0)) {
                    t[k] = u.choose(NUMBERS)?.to_string();
                }
            }
            _ => {
                // Delete a run (often unbalancing delimiters inside a body).
                let len = u.int_in_range(1..=6usize)?.min(t.len() - i);
                if !t[i..i + len].iter().any(|x| is_delim(x)) || u.ratio(1, 8)? {
                    t.drain(i..i + len);
                }
            }
        }
    }
    Ok(t.join(" "))
}
