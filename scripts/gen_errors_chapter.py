#!/usr/bin/env python3
"""Regenerates the per-class sections of book/src/errors.md from tests/ui/<class>/*.{rs,stderr}.

The chapter's hand-written parts live in book/errors-parts/ (intro.md, runtime.md, and
raw-dfdx/<class>.md: what raw dfdx prints for the same mistake). Run after blessing UI cases:

    python3 scripts/gen_errors_chapter.py > book/src/errors.md

`tests/corpus_book.rs` checks that every class under tests/ui/ appears in the chapter with its
current message, so a new class cannot be forgotten.
"""
import pathlib, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
UI = ROOT / "tests" / "ui"
PARTS = ROOT / "book" / "errors-parts"
RAW = PARTS / "raw-dfdx"

GROUPS = [
    ("Declarations", [
        ("syntax", "Malformed DSL is a parse error at the first unexpected token."),
        ("unknown_dim", "Every dim used in a shape must be declared in `dims { … }`; each use is reported."),
        ("duplicate_name", "Names of dims, parameters, functions and arguments must be unique."),
        ("unknown_initializer", "The initializer must be one of the [known ones](dsl.md#parameters-and-initializers)."),
        ("runtime_dim_in_param", "Parameters are dfdx tensors with static shapes, so they cannot use run-time dims."),
    ]),
    ("Names, calls and arguments", [
        ("unknown_name", "A variable must be an argument, a `let` or a parameter; the message lists what is in scope."),
        ("unknown_function", "A call must name a built-in op or another function of the model."),
        ("wrong_arity", "Ops check how many tensor arguments they get."),
        ("unknown_argument", "Unknown keyword arguments are errors, never silently ignored."),
        ("call_argument_shape", "A call to a model function checks each argument against the callee's signature."),
        ("recursion", "Calls are inlined at compile time, so a function cannot call itself."),
    ]),
    ("Shapes", [
        ("matmul_inner_dims", "The inner dims of a product must agree."),
        ("broadcast_mismatch", "Elementwise ops broadcast by numpy's rules; anything else is an error naming both shapes."),
        ("return_shape", "The body must compute the shape the signature declares."),
        ("reshape_numel", "A reshape keeps the number of elements (checked symbolically for run-time dims)."),
        ("bad_axis", "Axes must exist in the operand (negative axes count from the end)."),
        ("bad_permutation", "A permutation names every axis exactly once."),
        ("concat_mismatch", "Concatenated tensors agree on every axis but the joined one."),
        ("slice_out_of_range", "Slices stay inside a literal-sized axis."),
        ("unbound_runtime_dim", "A run-time dim in the result must be the size of some argument, or it is unknown at run time."),
        ("grad_needs_scalar", "`#[grad]` asks for a gradient, which needs a scalar function."),
    ]),
    ("How errors are reported", [
        ("many_errors_at_once", "Errors are accumulated: every mistake in the model is reported in one build."),
        ("nesting_too_deep", "Expressions nest at most 500 levels (calls, parentheses, unary minus, operator chains): every stage of the compiler recurses over the expression tree, and a few thousand levels would overflow rustc's stack and crash it. The limit is reported at the token that crosses it; split such expressions with `let`."),
        ("stub_prevents_secondary_errors", "After an error the macro still emits the model's type with its methods (as stubs), so code that uses the model does not drown the real error in secondary ones."),
    ]),
]

def main():
    out = []
    head = (PARTS / "intro.md").read_text()
    out.append(head.rstrip() + "\n")
    seen = set()
    for title, classes in GROUPS:
        out.append(f"\n## {title}\n")
        for cls, why in classes:
            d = UI / cls
            if not d.is_dir():
                continue
            seen.add(cls)
            rs = sorted(d.glob("*.rs"))[0]
            stderr = rs.with_suffix(".stderr").read_text().rstrip()
            out.append(f"\n### `{cls}`\n\n{why}\n\n")
            out.append("```rust,compile_fail\n" + rs.read_text().rstrip() + "\n```\n\n")
            out.append(f"`tests/ui/{cls}/{rs.name}` pins this message:\n\n```text\n{stderr}\n```\n")
            raw = RAW / f"{cls}.md"
            if raw.exists():
                out.append("\n" + raw.read_text().rstrip() + "\n")
    rest = sorted(p.name for p in UI.iterdir() if p.is_dir() and p.name not in seen)
    if rest:
        out.append("\n## Other errors\n")
        for cls in rest:
            d = UI / cls
            rs = sorted(d.glob("*.rs"))[0]
            stderr = rs.with_suffix(".stderr").read_text().rstrip()
            out.append(f"\n### `{cls}`\n\n")
            out.append("```rust,compile_fail\n" + rs.read_text().rstrip() + "\n```\n\n")
            out.append(f"```text\n{stderr}\n```\n")
    tail = (PARTS / "runtime.md").read_text()
    out.append("\n" + tail.rstrip() + "\n")
    sys.stdout.write("".join(out))

main()
