#!/usr/bin/env bash
# Prints the code `shapegrad::model!` generates for every model in a file, pretty-printed:
#   scripts/expand.sh examples/tour.rs
set -euo pipefail
cd "$(dirname "$0")/.."
file="$(realpath "${1:?usage: scripts/expand.sh FILE.rs}")"
SHAPEGRAD_EXPAND="$file" cargo test -q --test corpus_expand print_expansion -- --nocapture --exact 2>/dev/null \
  | sed -e '/^running [0-9]* test/d' -e '/^test result:/d' -e '/^test print_expansion/d'
