#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 5), seeded from the repo's
# test data. Prints one line per target: executions, seconds, and the verdict. A crash,
# leak or timeout fails the script and leaves the input in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs nightly flags; on the stable toolchain RUSTC_BOOTSTRAP=1 allows them.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-5}"
shift || true
export RUSTC_BOOTSTRAP=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
python3 seed.py
cargo fuzz build -O >/dev/null
for target in "${targets[@]}"; do
  log="$(mktemp)"
  if cargo fuzz run -O "$target" -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
    echo "$target: $runs executions in ${seconds}s, no crash"
  else
    echo "$target: FAILED"
    tail -40 "$log"
    exit 1
  fi
done
