#!/usr/bin/env bash
# Does ajo's write path grow with clients? benches/pg_floor.sh (ajo's SQL for one
# contribution, one group per client, beside pgbench's TPC-B-like script) at 1, 4, 16
# and 64 clients, each line with the share of backend samples waiting on locks. A ledger
# that scales keeps its contributions/s from falling as clients are added and its lock
# waits low; one global row that every write updates shows as the opposite.
# Needs a PostgreSQL server: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
# PGBENCH_SECONDS per run (default 10); SCALING_CLIENTS to choose the counts. With
# SCALING_SERVICE=1, the service itself (the pg_service bench, AJO_BENCH_TASKS tasks, 200
# groups shared among them) runs at each count too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGBENCH_SECONDS="${PGBENCH_SECONDS:-10}"
for clients in ${SCALING_CLIENTS:-1 4 16 64}; do
  PGBENCH_CLIENTS="$clients" benches/pg_floor.sh | grep -v '^ratio'
  if [ "${SCALING_SERVICE:-0}" = 1 ]; then
    rate=$(AJO_BENCH_TASKS="$clients" AJO_BENCH_GROUPS_PER_TASK=$(( 200 / clients > 0 ? 200 / clients : 1 )) \
      cargo bench -q -p ajo-benches --features postgres --bench pg_service 2>/dev/null \
      | awk '/^contributions_per_second/ { print $2 }')
    echo "the service on PgStore, ${clients} tasks: ${rate} contributions/s"
  fi
done
