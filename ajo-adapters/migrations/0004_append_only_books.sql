-- The books are append-only in the database itself, not only in the code that writes them.
--
-- * The tables no store operation ever changes once written, `events`, `journal_entries`,
--   `postings` and `idempotency_keys` (`ajo_append` only inserts into them; a replayed key
--   is `ON CONFLICT DO NOTHING`), refuse UPDATE, DELETE and TRUNCATE, whoever asks:
--   SQLSTATE AJ006, the table and the operation in the message. A mistake is corrected
--   by a reversing entry, as in the code. The tables the store keeps current stay
--   writable: `streams` (versions, wake times), `account_balances` and `journal_head`
--   (moved by `ajo_append`) and `outbox` (claims, results, delivery reports).
-- * `ajo_append` runs with its owner's rights (SECURITY DEFINER) and a search_path pinned
--   to the schema it lives in, so an application role can be given EXECUTE on it and
--   SELECT on the tables, and no right to write them directly: then it can post only
--   balanced, chained entries through the function and cannot UPDATE `account_balances`
--   or `journal_head`. EXECUTE is revoked from PUBLIC, since a definer function open to
--   every role would let any role that can reach the schema write as its owner; grant
--   it to the roles that run the store (docs/postgres.md lists the grants).
--
-- The owner and superusers can still disable these triggers (ALTER TABLE ... DISABLE
-- TRIGGER); `ajo_core::ledger::audit` (the `admin verify` example) finds what they change.

CREATE FUNCTION ajo_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'AJ006',
              HINT = 'ajo never changes these rows: a ledger entry is corrected by a reversing entry';
END;
$$;

-- Statement triggers: a statement that would change nothing is refused too, and a bulk
-- change costs one check, not one per row.
CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ajo_refuse_change();
CREATE TRIGGER journal_entries_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ajo_refuse_change();
CREATE TRIGGER postings_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ajo_refuse_change();
CREATE TRIGGER idempotency_keys_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON idempotency_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ajo_refuse_change();

-- The schema is whatever the migrations run in (each test and the quickstart use their
-- own), so it is read here rather than written down; pg_temp last, so a caller's
-- temporary table cannot stand in for one of ours. `ajo_append` is the only function of
-- that name since 0003, so it needs no argument list.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION ajo_append SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
END;
$$;
REVOKE EXECUTE ON FUNCTION ajo_append FROM PUBLIC;
