#!/usr/bin/env bash
# long_run.sh [-j JOBS] [-runs N] [-seconds S] BUILD_DIR WORK_DIR [TARGET...]
#
# Long libFuzzer runs: each target (default: all) runs for N executions
# (default 1,000,000) or S seconds, whichever comes first (default: no time
# limit), JOBS at a time (default 2; nice level $YESNO_FUZZ_NICE,
# default 0). Each target fuzzes a copy of its seeds in WORK_DIR/<target>/corpus
# (grown there, never in the repository; an existing one is resumed); crashes
# land in WORK_DIR/<target>/ as crash-*, leak-*, timeout-* or oom-*. Prints a
# Markdown table: executions, wall time, exec/s, final corpus (files, bytes),
# features covered and crashes.
#
#   tests/fuzz/long_run.sh build-fuzz /tmp/yesno-fuzz-long
set -euo pipefail
jobs=2 runs=1000000 seconds=0
while [ $# -gt 0 ]; do
  case "$1" in
    -j) jobs=$2; shift 2 ;;
    -runs) runs=$2; shift 2 ;;
    -seconds) seconds=$2; shift 2 ;;
    *) break ;;
  esac
done
build=$(cd "$1" && pwd) work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$here"/*_fuzzer.cc; do t=$(basename "$f" _fuzzer.cc); targets+=("$t"); done
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)

run_one() {  # target
  local t=$1 dir="$work/$1"
  mkdir -p "$dir/corpus"
  cp -Rn "$here/corpus/$t"/. "$dir/corpus"/
  local start end status=0
  start=$(date +%s)
  nice -n "${YESNO_FUZZ_NICE:-0}" "$build/tests/fuzz/${t}_fuzzer" -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
  end=$(date +%s)
  echo "$t $status $((end - start))" >"$dir/result"
}
export -f run_one
export build work runs seconds here
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

echo "| target | executions | time (s) | exec/s | corpus (files / bytes) | features | crashes |"
echo "|---|---:|---:|---:|---:|---:|---:|"
fail=0
for t in "${targets[@]}"; do
  dir="$work/$t"
  read -r _ status secs <"$dir/result"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  ft=$(grep -o 'ft: [0-9]*' "$dir/log" | tail -1 | cut -d' ' -f2)
  files=$(find "$dir/corpus" -type f | wc -l)
  bytes=$(find "$dir/corpus" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  crashes=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then fail=1; fi
  echo "| $t | ${execs:-?} | $secs | $(( ${execs:-0} / (secs > 0 ? secs : 1) )) | $files / $bytes | ${ft:-?} | $crashes |"
done
exit $fail
