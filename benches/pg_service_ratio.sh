#!/usr/bin/env bash
# The service on PgStore beside its own SQL, in alternating pairs: ajo's SQL alone
# (benches/pg_floor.sh, PG_FLOOR_ONLY) at N clients, then the pg_service bench at N
# tasks, PAIRS times (default 5), printing each pair's ratio and their median. On a
# machine whose speed drifts, a single pair can say little; the median of pairs run back
# to back says more. N is AJO_BENCH_TASKS (default 4); PGBENCH_SECONDS as pg_floor.sh.
# Needs a PostgreSQL server: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs="${PAIRS:-5}"
tasks="${AJO_BENCH_TASKS:-4}"
bench=$(cargo bench -q -p ajo-benches --features postgres --bench pg_service --no-run \
  --message-format json 2>/dev/null \
  | python3 -c "import json,sys; [print(m['executable']) for m in map(json.loads, sys.stdin) if m.get('executable') and m['target']['name'] == 'pg_service']")
ratios=()
for pair in $(seq 1 "$pairs"); do
  floor=$(PG_FLOOR_ONLY=1 PGBENCH_CLIENTS="$tasks" bash benches/pg_floor.sh \
    | sed -nE 's/^ajo.s SQL alone.*s: ([0-9]+) contributions\/s.*/\1/p')
  out=$(AJO_BENCH_TASKS="$tasks" "$bench")
  service=$(echo "$out" | awk '/^contributions_per_second/ { print $2 }')
  cpu=$(echo "$out" | awk '/^service_cpu_us_per_contribution/ { print $2 }')
  ratio=$(python3 -c "print(f'{$service / $floor:.2f}')")
  ratios+=("$ratio")
  echo "pair $pair: SQL alone $floor/s, service $service/s (its CPU ${cpu} µs a contribution): $ratio"
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median service / its SQL at $tasks: {statistics.median(r):.2f} (min {min(r):.2f}, max {max(r):.2f}, {len(r)} pairs)')" "${ratios[@]}"
