#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEED_DIR SECONDS [libFuzzer flags...]
#
# One short, bounded libFuzzer run for ctest (label "fuzz"). The seeds are
# copied into a temporary corpus, so a run never writes into the repository.
# On a crash the reproducer is kept in $YESNO_FUZZ_ARTIFACTS (default:
# fuzz-artifacts/ beside the fuzzer) and the exit status is non-zero.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/yesno-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp -R "$seeds"/. "$work/corpus"/
status=0
"$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" || status=$?
if [ "$status" -ne 0 ]; then
  keep=${YESNO_FUZZ_ARTIFACTS:-$(dirname "$fuzzer")/fuzz-artifacts}
  mkdir -p "$keep"
  cp "$work"/artifacts/* "$keep"/ 2>/dev/null || true
  echo "run_fuzzer: $(basename "$fuzzer") failed (status $status); reproducers in $keep:" >&2
  ls -l "$keep" >&2 || true
  echo "reproduce with: $fuzzer <reproducer>" >&2
fi
exit "$status"
