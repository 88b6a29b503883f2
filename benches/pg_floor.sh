#!/usr/bin/env bash
# The most contributions a second this server can take from ajo's SQL alone: pgbench
# drives the statements one contribution issues (benches/floor/contribution.pgb: the
# collection request's read and append, the webhook's read and append) with 4
# clients and no application in between, then its own TPC-B-like script, on the same
# server, and prints both and their ratio. That ratio bounds what benches/pg_vs_pgbench.sh
# can show: the service's own CPU comes on top, on the same machine.
# Needs a PostgreSQL server: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
# Works in a schema ajo_floor and a database ajo_pgbench, both dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
server="${url%/*}"
seconds="${PGBENCH_SECONDS:-20}"
export PGOPTIONS="-c client_min_messages=warning"

psql "$url" -q -c "DROP SCHEMA IF EXISTS ajo_floor CASCADE" -c "CREATE SCHEMA ajo_floor"
{
  echo "SET search_path = ajo_floor;"
  cat ajo-adapters/migrations/*.sql
  # One group per client (G0..G3), fourteen events in, as in the pg_service bench after
  # its members joined; one member profile that every read finds.
  echo "INSERT INTO streams SELECT 'group', 'G' || c, 14, NULL FROM generate_series(0, 3) c;"
  echo "INSERT INTO streams VALUES ('member', 'm0', 1, NULL);"
  echo "INSERT INTO events VALUES ('member', 'm0', 1, now(), '{\"stream\":\"member\"}');"
} | psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null
floor=$(PGOPTIONS="$PGOPTIONS -c search_path=ajo_floor" pgbench -n -M prepared -c 4 -j 2 -T "$seconds" \
  -f benches/floor/contribution.pgb "$url" 2>&1 | awk '/^tps/ { print int($3); exit }')
entries=$(psql "$url" -Atc "SELECT count(*) FROM ajo_floor.journal_entries")
psql "$url" -q -c "DROP SCHEMA ajo_floor CASCADE"
echo "ajo's SQL alone, 4 clients, ${seconds}s: ${floor} contributions/s (${entries} entries posted)"

psql "$url" -qc "DROP DATABASE IF EXISTS ajo_pgbench" -qc "CREATE DATABASE ajo_pgbench"
pgbench -q -i -s 4 "$server/ajo_pgbench" >/dev/null 2>&1
tps=$(pgbench -c 4 -j 2 -T "$seconds" "$server/ajo_pgbench" 2>/dev/null \
  | awk '/^tps/ { print int($3); exit }')
psql "$url" -qc "DROP DATABASE ajo_pgbench"
echo "pgbench TPC-B-like, 4 clients, ${seconds}s: ${tps} tps"
python3 -c "print(f'ratio (ceiling for the service) = {$floor / $tps:.2f}')"
