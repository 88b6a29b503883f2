-- A host's idempotency keys: each key may carry the fingerprint of the command it was
-- used for and that command's answer, so the same key with another command is told apart
-- and a retry answers what the first call answered.
--
-- * `idempotency_keys` gains two nullable columns; keys recorded before (webhook
--   deliveries, scheduler actions) read back with neither. The table stays append-only.
-- * `ajo_append_keyed` is `ajo_append` with the key's fingerprint and answer: it records
--   the key with them first (a concurrent append with the same key waits for the first
--   to finish, then finds it and writes nothing), then calls `ajo_append` without a key,
--   in the same transaction, so the key is written exactly when everything else is.
-- * `ajo_read` answers the key's row (n = 0) with its fingerprint and answer as a JSON
--   object in `payload`: `{"fingerprint": ..., "result": ...}`.

ALTER TABLE idempotency_keys
    ADD COLUMN fingerprint TEXT,
    ADD COLUMN result JSON;

CREATE FUNCTION ajo_append_keyed(
    p_key          TEXT,
    p_fingerprint  TEXT,
    p_result       TEXT,
    p_at           TIMESTAMPTZ,
    s_kind         TEXT[],
    s_id           TEXT[],
    s_expected     BIGINT[],
    s_added        BIGINT[],
    s_wake         TIMESTAMPTZ[],
    ev_stream      INT[],
    ev_version     BIGINT[],
    ev_payload     TEXT[],
    o_id           TEXT[],
    o_payload      TEXT[],
    o_status       JSONB,
    en_key         TEXT[],
    en_memo        TEXT[],
    en_reference   TEXT[],
    en_reverses    BIGINT[],
    en_content     TEXT[],
    en_body        BYTEA[],
    po_entry       INT[],
    po_account     TEXT[],
    po_owner       TEXT[],
    po_kind        TEXT[],
    po_currency    TEXT[],
    po_minor_units SMALLINT[],
    po_side        TEXT[],
    po_amount      NUMERIC[],
    po_amount_minor NUMERIC[],
    p_max_minor    NUMERIC
) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (key, recorded_at, fingerprint, result)
        VALUES (p_key, p_at, p_fingerprint, p_result::json)
        ON CONFLICT (key) DO NOTHING;
        IF NOT FOUND THEN
            RETURN FALSE;
        END IF;
    END IF;
    -- Whatever ajo_append raises undoes the key above with the rest.
    RETURN ajo_append(NULL, p_at, s_kind, s_id, s_expected, s_added, s_wake, ev_stream,
                      ev_version, ev_payload, o_id, o_payload, o_status, en_key, en_memo,
                      en_reference, en_reverses, en_content, en_body, po_entry, po_account,
                      po_owner, po_kind, po_currency, po_minor_units, po_side, po_amount,
                      po_amount_minor, p_max_minor);
END;
$$;

-- As 0004 did for ajo_append: the owner's rights, a pinned search_path, no PUBLIC EXECUTE.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION ajo_append_keyed SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
END;
$$;
REVOKE EXECUTE ON FUNCTION ajo_append_keyed FROM PUBLIC;

-- The same signature and rows as 0003's, the key's row now with its record.
CREATE OR REPLACE FUNCTION ajo_read(p_kind TEXT[], p_id TEXT[], p_after BIGINT[], p_key TEXT)
RETURNS TABLE (n INT, version BIGINT, recorded_at TIMESTAMPTZ, payload TEXT)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF p_key IS NOT NULL THEN
        RETURN QUERY SELECT 0, 0::bigint, NULL::timestamptz,
                json_build_object('fingerprint', k.fingerprint, 'result', k.result)::text
            FROM idempotency_keys k WHERE k.key = p_key;
    END IF;
    RETURN QUERY
        SELECT asked.n::int, e.version, e.recorded_at, e.payload::text
        FROM unnest(p_kind, p_id, p_after) WITH ORDINALITY AS asked (kind, id, after, n)
        CROSS JOIN LATERAL (
            SELECT ev.version, ev.recorded_at, ev.payload FROM events ev
            WHERE ev.stream_kind = asked.kind AND ev.stream_id = asked.id
              AND ev.version > asked.after
            ORDER BY ev.version
        ) e
        ORDER BY asked.n, e.version;
END;
$$;
