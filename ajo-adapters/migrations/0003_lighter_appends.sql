-- Lighter appends and reads: the same rows, checks and answers as 0002, for less server
-- work per command.
--
-- * Event and outbox payloads are `json`: the server checks the text is JSON and stores
--   it as sent, instead of taking it apart into JSONB on the way in and printing it back
--   on the way out; nothing queries inside them. Entry contents and accounts stay JSONB:
--   a replayed entry is compared with the stored one as JSON values, not as text.
-- * `ajo_append` takes each part of an append as typed arrays, so the request is not one
--   nested JSON document the server parses and walks.
-- * `ajo_read` reads streams from a known version on, with an idempotency key, in one call
--   whose plan is made once per connection.
-- * Two indexes nothing reads any more: postings by account as JSON (balances are in
--   `account_balances` since 0002) and the unique index on the outbox's sequence (the
--   sequence alone keeps it unique; claims use `outbox_due`).

ALTER TABLE events ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE outbox ALTER COLUMN payload TYPE json USING payload::json;
DROP INDEX postings_account_json;
ALTER TABLE outbox DROP CONSTRAINT outbox_seq_key;

DROP FUNCTION ajo_append(TEXT, TIMESTAMPTZ, JSONB, JSONB, JSONB, NUMERIC);

-- Errors, by SQLSTATE, as in 0002 (DETAIL names the item, counted from 0):
--   AJ001 a stream is not at its expected version   DETAIL: '<stream index> <actual>'
--   AJ002 an entry key holds other content          DETAIL: '<entry index>'
--   AJ003 an entry reverses an unknown entry        DETAIL: '<entry index>'
--   AJ004 an entry reverses a reversed entry        DETAIL: '<entry index>'
--   AJ005 a balance would pass p_max_minor          DETAIL: ''
--
-- Arrays of one part have one item per stream (s_), event (ev_), outbox message (o_),
-- entry (en_) or posting (po_). An event names its stream and a posting its entry by
-- position in those arrays, from 1. Returns TRUE when written, FALSE when the idempotency
-- key was recorded before (and nothing was written).
CREATE FUNCTION ajo_append(
    p_key          TEXT,
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
DECLARE
    i          INT;
    actual     BIGINT;
    stored     JSONB;
    reverses_id BIGINT;
    first_id   BIGINT;
    head_id    BIGINT;
    head_hash  BYTEA;
    entry_hash BYTEA;
    too_large  BOOLEAN;
BEGIN
    -- The key first: a concurrent append with the same key waits here for the first to
    -- finish, then finds it and writes nothing.
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (key, recorded_at) VALUES (p_key, p_at)
        ON CONFLICT (key) DO NOTHING;
        IF NOT FOUND THEN
            RETURN FALSE;
        END IF;
    END IF;

    -- Each stream moves from its expected version only if it is still there; the row
    -- stays locked until commit, so a writer that read the same version waits, then
    -- finds the stream moved on. Appends without events are held to it too.
    FOR i IN 1 .. coalesce(array_length(s_kind, 1), 0) LOOP
        IF s_expected[i] = 0 THEN
            INSERT INTO streams AS t (stream_kind, stream_id, version, wake_at)
            VALUES (s_kind[i], s_id[i], s_added[i], s_wake[i])
            ON CONFLICT (stream_kind, stream_id) DO UPDATE
                SET version = EXCLUDED.version, wake_at = EXCLUDED.wake_at
                WHERE t.version = 0;
        ELSE
            UPDATE streams
            SET version = s_expected[i] + s_added[i], wake_at = s_wake[i]
            WHERE stream_kind = s_kind[i] AND stream_id = s_id[i]
              AND version = s_expected[i];
        END IF;
        IF NOT FOUND THEN
            SELECT version INTO actual FROM streams
            WHERE stream_kind = s_kind[i] AND stream_id = s_id[i];
            RAISE EXCEPTION 'stream version conflict'
                USING ERRCODE = 'AJ001', DETAIL = format('%s %s', i - 1, COALESCE(actual, 0));
        END IF;
    END LOOP;

    IF array_length(ev_stream, 1) > 0 THEN
        INSERT INTO events (stream_kind, stream_id, version, recorded_at, payload)
        SELECT s_kind[e.stream], s_id[e.stream], e.version, p_at, e.payload::json
        FROM unnest(ev_stream, ev_version, ev_payload) AS e (stream, version, payload);
    END IF;

    IF array_length(o_id, 1) > 0 THEN
        INSERT INTO outbox (id, payload, status, status_detail, next_attempt_at)
        SELECT m.id, m.payload::json, 'pending', o_status, p_at
        FROM unnest(o_id, o_payload) WITH ORDINALITY AS m (id, payload, n)
        ORDER BY m.n
        ON CONFLICT (id) DO NOTHING;
    END IF;

    IF coalesce(array_length(en_key, 1), 0) = 0 THEN
        RETURN TRUE;
    END IF;

    -- The journal head last, so it is held as briefly as it can be: ids and previous
    -- hashes are decided under it, and entry keys are read after it, so a key committed
    -- by the last holder is seen.
    SELECT last_id, last_hash INTO head_id, head_hash FROM journal_head FOR UPDATE;
    first_id := head_id + 1;
    FOR i IN 1 .. array_length(en_key, 1) LOOP
        -- Entries of this batch are in the table already, so a key repeated within the
        -- batch is judged like one posted before: same content skipped, other refused.
        SELECT content INTO stored FROM journal_entries WHERE key = en_key[i];
        IF FOUND THEN
            IF stored = en_content[i]::jsonb THEN
                CONTINUE;
            END IF;
            RAISE EXCEPTION 'ledger entry key holds another entry'
                USING ERRCODE = 'AJ002', DETAIL = (i - 1)::text;
        END IF;
        reverses_id := en_reverses[i];
        IF reverses_id IS NOT NULL THEN
            IF NOT EXISTS (SELECT 1 FROM journal_entries j WHERE j.id = reverses_id) THEN
                RAISE EXCEPTION 'entry to reverse is not in the journal'
                    USING ERRCODE = 'AJ003', DETAIL = (i - 1)::text;
            END IF;
            IF EXISTS (SELECT 1 FROM journal_entries j WHERE j.reverses = reverses_id) THEN
                RAISE EXCEPTION 'entry to reverse is already reversed'
                    USING ERRCODE = 'AJ004', DETAIL = (i - 1)::text;
            END IF;
        END IF;
        head_id := head_id + 1;
        entry_hash := sha256(head_hash || int8send(head_id) || en_body[i]);
        INSERT INTO journal_entries
            (id, key, memo, reference, reverses, posted_at, prev_hash, hash, content)
        VALUES (head_id, en_key[i], en_memo[i], en_reference[i], reverses_id,
                p_at, head_hash, entry_hash, en_content[i]::jsonb);
        INSERT INTO postings (entry_id, position, account, owner, kind, currency,
                              minor_units, side, amount, amount_minor)
        SELECT head_id, (row_number() OVER (ORDER BY p.n) - 1)::int, p.account::jsonb,
               p.owner, p.kind, p.currency, p.minor_units, p.side, p.amount, p.amount_minor
        FROM unnest(po_entry, po_account, po_owner, po_kind, po_currency, po_minor_units,
                    po_side, po_amount, po_amount_minor)
             WITH ORDINALITY AS p (entry, account, owner, kind, currency, minor_units, side,
                                   amount, amount_minor, n)
        WHERE p.entry = i;
        head_hash := entry_hash;
    END LOOP;

    IF head_id >= first_id THEN
        WITH moved AS (
            SELECT account,
                   sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) AS delta
            FROM postings
            WHERE entry_id BETWEEN first_id AND head_id
            GROUP BY account
        ), updated AS (
            INSERT INTO account_balances AS b (account, balance_minor)
            SELECT account, delta FROM moved
            ON CONFLICT (account) DO UPDATE
                SET balance_minor = b.balance_minor + EXCLUDED.balance_minor
            RETURNING b.balance_minor
        )
        SELECT COALESCE(bool_or(abs(balance_minor) > p_max_minor), FALSE)
        INTO too_large FROM updated;
        IF too_large THEN
            RAISE EXCEPTION 'a balance would pass the largest amount'
                USING ERRCODE = 'AJ005', DETAIL = '';
        END IF;
        UPDATE journal_head SET last_id = head_id, last_hash = head_hash;
    END IF;
    RETURN TRUE;
END;
$$;

-- Streams' events after known versions, in the order asked, with whether an idempotency
-- key is recorded: one row per event, and a row with n = 0 when the key is. The plan is
-- made once per connection (a custom plan per call cost more than the read itself).
CREATE FUNCTION ajo_read(p_kind TEXT[], p_id TEXT[], p_after BIGINT[], p_key TEXT)
RETURNS TABLE (n INT, version BIGINT, recorded_at TIMESTAMPTZ, payload TEXT)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF p_key IS NOT NULL THEN
        RETURN QUERY SELECT 0, 0::bigint, NULL::timestamptz, NULL::text
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
