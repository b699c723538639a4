#!/usr/bin/env bash
# Regenerates the book's figures: runs the examples in release mode (each writes SVGs under
# results/<example>/) and copies every results/*/*.svg into book/src/figures/<example>/.
#
#   scripts/figures.sh              # every example that draws figures
#   scripts/figures.sh tour         # only these examples
#
# Examples that need arguments (qasm) are skipped. Commit the updated SVGs with the book.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  examples=("$@")
else
  examples=()
  for f in examples/*.rs; do
    name="$(basename "$f" .rs)"
    case "$name" in qasm) continue ;; esac
    examples+=("$name")
  done
fi

for ex in "${examples[@]}"; do
  echo "== $ex"
  cargo run --release --quiet --example "$ex" >/dev/null
done

copied=0
for dir in results/*/; do
  name="$(basename "$dir")"
  shopt -s nullglob
  svgs=("$dir"*.svg)
  shopt -u nullglob
  [ "${#svgs[@]}" -eq 0 ] && continue
  mkdir -p "book/src/figures/$name"
  cp "${svgs[@]}" "book/src/figures/$name/"
  copied=$((copied + ${#svgs[@]}))
done
echo "copied $copied figure(s) into book/src/figures/"
