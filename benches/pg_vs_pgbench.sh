#!/usr/bin/env bash
# Contributions per second through AjoService on PgStore (4 tasks) beside pgbench's
# TPC-B-like transactions per second (4 clients) on the same server, and their ratio.
# Needs a PostgreSQL server: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
# pgbench runs in its own database, ajo_pgbench, dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
server="${url%/*}"
seconds="${PGBENCH_SECONDS:-20}"

psql "$url" -qc "DROP DATABASE IF EXISTS ajo_pgbench" -qc "CREATE DATABASE ajo_pgbench"
pgbench -q -i -s 4 "$server/ajo_pgbench" >/dev/null 2>&1
tps=$(pgbench -c 4 -j 2 -T "$seconds" "$server/ajo_pgbench" 2>/dev/null \
  | awk '/^tps/ { print int($3); exit }')
psql "$url" -qc "DROP DATABASE ajo_pgbench"
echo "pgbench TPC-B-like, 4 clients, ${seconds}s: ${tps} tps"

out=$(cargo bench -q -p ajo-benches --features postgres --bench pg_service 2>/dev/null)
echo "$out"
cps=$(echo "$out" | awk '/^contributions_per_second/ { print $2 }')
python3 -c "print(f'ratio contributions/s : pgbench tps = {$cps / $tps:.2f}')"
