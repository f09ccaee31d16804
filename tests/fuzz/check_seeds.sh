#!/usr/bin/env bash
# check_seeds.sh SEED_GEN VECTOR_DIR CORPUS_DIR — the committed seed corpus
# must be exactly what the seed generator writes today.
set -euo pipefail
gen=$1 vectors=$2 corpus=$3
out=$(mktemp -d "${TMPDIR:-/tmp}/yesno-seeds.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$gen" "$vectors" "$out" >/dev/null
if ! diff -r "$corpus" "$out" >/dev/null; then
  diff -rq "$corpus" "$out" >&2 || true
  echo "check_seeds: tests/fuzz/corpus is stale; regenerate with: $gen $vectors $corpus" >&2
  echo "(delete the old corpus directory first if seeds were removed)" >&2
  exit 1
fi
echo "check_seeds: $(find "$corpus" -type f | wc -l) seeds match the generator"
