#!/usr/bin/env bash
# Does ajo's write path grow with clients? benches/pg_floor.sh (ajo's SQL for one
# contribution, one group per client, beside pgbench's TPC-B-like script) at 1, 4, 16
# and 64 clients, each line with the share of backend samples waiting on locks. A ledger
# that scales keeps its contributions/s from falling as clients are added and its lock
# waits low; one global row that every write updates shows as the opposite.
# Needs a PostgreSQL server: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
# PGBENCH_SECONDS per run (default 10); SCALING_CLIENTS to choose the counts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGBENCH_SECONDS="${PGBENCH_SECONDS:-10}"
for clients in ${SCALING_CLIENTS:-1 4 16 64}; do
  PGBENCH_CLIENTS="$clients" benches/pg_floor.sh | grep -v '^ratio'
done
