#!/usr/bin/env bash
# Runs each cargo-fuzz (libFuzzer) target of native/scorer for a bounded time: records, model_json, snapshot, rules,
# lightgbm.
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
# Installs cargo-fuzz from crates.io when it is missing. cargo-fuzz passes nightly-only flags (-Zsanitizer=address,
# sancov); the stable toolchain accepts them with RUSTC_BOOTSTRAP=1, and ships the AddressSanitizer runtime for
# x86_64 Linux. libfuzzer-sys compiles libFuzzer itself, with the system C++ compiler.
# Each target starts from its committed seeds (native/scorer/fuzz/seeds/<target>) plus the inputs it found on earlier
# runs (native/scorer/fuzz/corpus/<target>, git-ignored). A crash is saved under native/scorer/fuzz/artifacts/<target>/
# and fails the run; reproduce it with `RUSTC_BOOTSTRAP=1 cargo fuzz run -O <target> <file>` in native/scorer.
# The last line is `fuzz: N passed, N failed` (one per target).
set -uo pipefail
cd "$(dirname "$0")/../native/scorer" || exit 1

secs=${1:-60}
shift || true
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "scripts/fuzz.sh: seconds must be a positive integer, got '$secs'" >&2
  exit 2
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(records model_json snapshot rules lightgbm)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz 0.13.2 from crates.io"
  cargo install cargo-fuzz --version 0.13.2 --locked || { echo "fuzz: 0 passed, ${#targets[@]} failed"; exit 1; }
fi
export RUSTC_BOOTSTRAP=1

echo "building the fuzz targets (release, AddressSanitizer, debug assertions)"
mkdir -p fuzz/corpus
if ! cargo fuzz build -O >fuzz/corpus/build.log 2>&1; then
  tail -n 30 fuzz/corpus/build.log
  echo "fuzz: 0 passed, ${#targets[@]} failed"
  exit 1
fi
passed=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  log="fuzz/corpus/$t.log"
  echo "fuzz $t: ${secs} s"
  # -rss_limit_mb bounds memory per input; -timeout flags an input that takes longer than 10 s as a hang.
  if cargo fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -E '^#[0-9]+.*DONE' "$log" | grep -oE 'cov: [0-9]+' | tail -n 1)
    echo "fuzz $t: ok, ${runs:-?} inputs, ${cov:-cov: ?}"
    passed=$((passed + 1))
  else
    echo "fuzz $t: FAILED; the end of its log ($log):"
    tail -n 40 "$log" | cut -c1-400
    ls "fuzz/artifacts/$t" 2>/dev/null | sed 's/^/  artifact: /'
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
