#!/usr/bin/env bash
# The most contributions a second this server can take from ajo's SQL alone: pgbench
# drives the statements one contribution issues (benches/floor/contribution.pgb: the
# collection request's read and append, the webhook's read and append) with
# PGBENCH_CLIENTS clients (default 4, one group each) and no application in between,
# then its own TPC-B-like script with as many, on the same server, and prints both and
# their ratio. That ratio bounds what benches/pg_vs_pgbench.sh
# can show: the service's own CPU comes on top, on the same machine.
# Needs a PostgreSQL server: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
# Works in a schema ajo_floor and a database ajo_pgbench, both dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
server="${url%/*}"
seconds="${PGBENCH_SECONDS:-20}"
clients="${PGBENCH_CLIENTS:-4}"
threads=$(( clients < 2 ? 1 : 2 ))
export PGOPTIONS="-c client_min_messages=warning"

# While a pgbench runs, what share of the active client backends wait on a lock (row and
# transaction locks: `wait_event_type = 'Lock'`), sampled five times a second.
samples=$(mktemp)
sampler=""
# A run that fails must not leave its sampler polling the server for ever.
trap 'if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; fi; rm -f "$samples"' EXIT
sample_locks() {
  : >"$samples"
  while :; do
    psql "$url" -Atc "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*)
      FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active'
      AND pid <> pg_backend_pid()" >>"$samples" 2>/dev/null || true
    sleep 0.2
  done
}
locked_share() {
  awk -F'|' '{ l += $1; t += $2 } END { if (t > 0) printf "%d%%", 100 * l / t; else print "n/a" }' "$samples"
}

psql "$url" -q -c "DROP SCHEMA IF EXISTS ajo_floor CASCADE" -c "CREATE SCHEMA ajo_floor"
{
  echo "SET search_path = ajo_floor;"
  cat ajo-adapters/migrations/*.sql
  # One group per client (G0, G1...), fourteen events in, as in the pg_service bench
  # after its members joined; one member profile that every read finds.
  echo "INSERT INTO streams (book, stream_kind, stream_id, version) SELECT 'g:G' || c, 'group', 'G' || c, 14 FROM generate_series(0, $((clients - 1))) c;"
  echo "INSERT INTO streams (book, stream_kind, stream_id, version) VALUES ('m:m0', 'member', 'm0', 1);"
  echo "INSERT INTO events (book, stream_kind, stream_id, version, recorded_at, payload) VALUES ('m:m0', 'member', 'm0', 1, now(), '{\"stream\":\"member\"}');"
} | psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null
sample_locks & sampler=$!
floor=$(PGOPTIONS="$PGOPTIONS -c search_path=ajo_floor" pgbench -n -M prepared -c "$clients" -j "$threads" -T "$seconds" \
  -f benches/floor/contribution.pgb "$url" 2>&1 | awk '/^tps/ { print int($3); exit }')
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
floor_locked=$(locked_share)
entries=$(psql "$url" -Atc "SELECT count(*) FROM ajo_floor.journal_entries")
psql "$url" -q -c "DROP SCHEMA ajo_floor CASCADE"
echo "ajo's SQL alone, ${clients} clients, ${seconds}s: ${floor} contributions/s (${entries} entries posted; ${floor_locked} of backend samples waiting on locks)"
# PG_FLOOR_ONLY=1: ajo's SQL alone, without the plain ledger and TPC-B runs after it.
if [ -n "${PG_FLOOR_ONLY:-}" ]; then
  exit 0
fi

# A plain ledger's transfer between two random accounts of 10,000, locked in sorted
# order (benches/floor/transfer.pgb): the same run's ceiling for moving money alone.
psql "$url" -q -c "DROP SCHEMA IF EXISTS ajo_transfer CASCADE" -c "CREATE SCHEMA ajo_transfer" \
  -c "CREATE TABLE ajo_transfer.floor_accounts (id int PRIMARY KEY, balance bigint NOT NULL)" \
  -c "INSERT INTO ajo_transfer.floor_accounts SELECT g, 0 FROM generate_series(1, 10000) g" \
  -c "CREATE TABLE ajo_transfer.floor_transfers (id bigserial PRIMARY KEY, debit int NOT NULL, credit int NOT NULL, amount bigint NOT NULL)" \
  -c "CREATE TABLE ajo_transfer.floor_postings (id bigserial PRIMARY KEY, account int NOT NULL, amount bigint NOT NULL)"
sample_locks & sampler=$!
transfers=$(PGOPTIONS="$PGOPTIONS -c search_path=ajo_transfer" pgbench -n -M prepared -c "$clients" -j "$threads" -T "$seconds" \
  -f benches/floor/transfer.pgb "$url" 2>&1 | awk '/^tps/ { print int($3); exit }')
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
transfers_locked=$(locked_share)
psql "$url" -q -c "DROP SCHEMA ajo_transfer CASCADE"
echo "a plain ledger's transfer, ${clients} clients, ${seconds}s: ${transfers} transfers/s (${transfers_locked} of backend samples waiting on locks)"

psql "$url" -qc "DROP DATABASE IF EXISTS ajo_pgbench" -qc "CREATE DATABASE ajo_pgbench"
# A scale of at least the clients, as pgbench advises: TPC-B's branch rows are its own
# hot rows.
pgbench -q -i -s $(( clients > 4 ? clients : 4 )) "$server/ajo_pgbench" >/dev/null 2>&1
sample_locks & sampler=$!
tps=$(pgbench -c "$clients" -j "$threads" -T "$seconds" "$server/ajo_pgbench" 2>/dev/null \
  | awk '/^tps/ { print int($3); exit }')
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
tps_locked=$(locked_share)
psql "$url" -qc "DROP DATABASE ajo_pgbench"
echo "pgbench TPC-B-like, ${clients} clients, ${seconds}s: ${tps} tps (${tps_locked} of backend samples waiting on locks)"
python3 -c "print(f'ratio (ceiling for the service) = {$floor / $tps:.2f}; ajo against a plain ledger = {$floor / $transfers:.2f}')"
