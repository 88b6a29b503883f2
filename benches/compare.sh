#!/usr/bin/env bash
# ajo beside the limits it is measured against, in one go on one machine:
#   - webhook verification beside the raw HMAC of the same body (the bench's own case),
#   - the 360-row loan schedule with its APR beside the Python reference generator,
#   - the APR of 360 dated payments beside numpy-financial's irr on the same flows,
#   - contributions through the service on PostgreSQL beside pgbench's TPC-B-like load.
# Prints each as a ratio, with the date and the machine, for docs/performance.md.
# Needs python3 and ../shared/reference (the generator) beside the checkout, and a
# PostgreSQL server (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test) with
# pgbench on the PATH; a part whose tool is missing is skipped and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
criterion=target/criterion

median_ns() { # criterion's median estimate for a bench id, in nanoseconds
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median']['point_estimate'])" \
    "$criterion/$1/new/estimates.json"
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}')" "$1" "$2"; }
us() { python3 -c "import sys; print(f'{float(sys.argv[1])/1000:.2f} µs')" "$1"; }

echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(uname -m), $(rustc --version)"
echo

cargo bench -q -p ajo-benches --bench webhook -- --noplot >/dev/null 2>&1
for pair in "paystack_1kib raw_hmac_sha512" "stripe_1kib raw_hmac_sha256"; do
  set -- $pair
  raw=$(median_ns "webhook_$1/$2")
  verify=$(median_ns "webhook_$1/verify")
  echo "webhook $1: verify $(us "$verify"), raw HMAC $(us "$raw"): throughput ratio $(ratio "$raw" "$verify") of raw HMAC"
done

cargo bench -q -p ajo-benches --bench loan -- --noplot "annuity_schedule_and_apr_360" >/dev/null 2>&1
rust=$(median_ns "loan_annuity_schedule_and_apr_360")
if [ -d ../shared/reference ]; then
  py_ms=$(python3 benches/py/time_reference_loan.py | awk -F'loan_schedule \\(rows \\+ IRR \\+ APR/EAR\\) ' '/^annuity_360/ { split($2, a, " "); print a[1] }')
  py_ns=$(python3 -c "print(float('$py_ms') * 1e6)")
  echo "loan 360-row schedule + APR: ajo $(us "$rust"), Python reference ${py_ms} ms: ajo $(ratio "$py_ns" "$rust")x faster"
else
  echo "loan 360-row schedule + APR: ajo $(us "$rust"); Python reference not beside the checkout: skipped"
fi

# The APR of the same 360 dated payments beside numpy-financial's irr (in a virtualenv
# under target/ when the system Python lacks it).
cargo bench -q -p ajo-benches --bench loan -- --noplot "apr_dated_360" >/dev/null 2>&1
dated=$(median_ns "loan_apr_dated_360")
python=python3
if ! python3 -c "import numpy_financial" 2>/dev/null; then
  python3 -m venv target/npf-venv >/dev/null 2>&1 && target/npf-venv/bin/pip install -q numpy-financial >/dev/null 2>&1 \
    && python=target/npf-venv/bin/python || python=""
fi
if [ -n "$python" ]; then
  npf=$("$python" benches/py/time_numpy_financial_irr.py)
  npf_ms=$(echo "$npf" | sed -E 's/.*irr, 360 monthly payments: ([0-9.]+) ms.*/\1/')
  echo "APR of 360 dated payments: ajo $(us "$dated"), $npf"
  echo "  ajo $(ratio "$(python3 -c "print(float('$npf_ms') * 1e6)")" "$dated")x faster than numpy-financial's irr"
else
  echo "APR of 360 dated payments: ajo $(us "$dated"); numpy-financial not installable: skipped"
fi

if command -v pgbench >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 2>/dev/null; then
  bash benches/pg_vs_pgbench.sh | grep -E "^pgbench|^contributions_per_second|^ratio"
else
  echo "postgres: no server or no pgbench: skipped"
fi
