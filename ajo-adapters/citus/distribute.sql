-- Distributes ajo's tables on Citus by book (PgStore::distribute_on_citus runs this in the
-- store's schema, after migrate, on the coordinator; docs/postgres.md).
--
-- * Every table whose key leads with `book` is distributed by it, all colocated with
--   `journal_heads`: a book's streams, events, entries, postings, balances, head and
--   outbox live on one node, so every statement of an append names one shard.
-- * `idempotency_keys` is distributed by its key: a key is looked up without its book.
-- * `checkpoints` (a row an hour) is a reference table, on every node.
-- * The append-only and balance triggers run on each shard (Citus calls such triggers
--   unsafe because it cannot check what they touch; ajo's touch only their own shard's
--   rows and the same book's postings).
-- * `ajo_append_keyed` is delegated by its first argument, the append's book: the call
--   runs on the node holding that book.
SET citus.enable_unsafe_triggers = on;
-- A unique key must hold the distribution column: outbox ids stay unique per book.
DROP INDEX outbox_id;
CREATE INDEX outbox_id ON outbox (id);
SELECT create_distributed_table('journal_heads', 'book');
SELECT create_distributed_table('journal_entries', 'book', colocate_with => 'journal_heads');
SELECT create_distributed_table('postings', 'book', colocate_with => 'journal_heads');
SELECT create_distributed_table('account_balances', 'book', colocate_with => 'journal_heads');
SELECT create_distributed_table('streams', 'book', colocate_with => 'journal_heads');
SELECT create_distributed_table('events', 'book', colocate_with => 'journal_heads');
SELECT create_distributed_table('outbox', 'book', colocate_with => 'journal_heads');
SELECT create_distributed_table('idempotency_keys', 'key');
SELECT create_reference_table('checkpoints');
SELECT create_distributed_function(p.oid::regprocedure, 'p_book', colocate_with := 'journal_heads')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = 'ajo_append_keyed' AND n.nspname = current_schema();
RESET citus.enable_unsafe_triggers;
