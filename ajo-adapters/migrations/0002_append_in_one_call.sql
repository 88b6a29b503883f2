-- One append, one round trip: `ajo_append` does on the server what PgStore used to do in
-- about twenty statements, with the same checks, the same rows and the same answers.
-- It also keeps each stream's version and wake time in one row (`streams`), so a version
-- check is a conditional UPDATE that locks the stream until commit, and each account's
-- running balance (`account_balances`), so a balance beyond what Money can hold is
-- refused when it is posted, not found when it is read.

CREATE TABLE streams (
    stream_kind TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    -- The stream's last event's version (0: no events yet, only a wake time).
    version     BIGINT NOT NULL CHECK (version >= 0),
    wake_at     TIMESTAMPTZ,
    PRIMARY KEY (stream_kind, stream_id)
);
INSERT INTO streams (stream_kind, stream_id, version, wake_at)
SELECT stream_kind, stream_id, max(version), max(wake_at)
FROM (
    SELECT stream_kind, stream_id, version, NULL::timestamptz AS wake_at FROM events
    UNION ALL
    SELECT stream_kind, stream_id, 0, wake_at FROM stream_wake
) AS known
GROUP BY stream_kind, stream_id;
CREATE INDEX streams_due ON streams (wake_at, stream_kind, stream_id COLLATE "C")
    WHERE wake_at IS NOT NULL;
DROP TABLE stream_wake;

CREATE TABLE account_balances (
    account       JSONB PRIMARY KEY,
    -- Debits minus credits, in minor units.
    balance_minor NUMERIC(40, 0) NOT NULL
);
INSERT INTO account_balances (account, balance_minor)
SELECT account, sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END)
FROM postings
GROUP BY account;

-- Errors raised here, by SQLSTATE (class AJ is ajo's own); DETAIL says which item of the
-- request, so the store can answer with the port's typed error without reading text:
--   AJ001 a stream is not at its expected version   DETAIL: '<stream index> <actual>'
--   AJ002 an entry key holds other content          DETAIL: '<entry index>'
--   AJ003 an entry reverses an unknown entry        DETAIL: '<entry index>'
--   AJ004 an entry reverses a reversed entry        DETAIL: '<entry index>'
--   AJ005 a balance would pass p_max_minor          DETAIL: ''
--
-- p_streams: [{"kind", "id", "expected", "events": [payload...], "wake_at"}]
-- p_entries: [{"key", "memo", "reference", "reverses", "content", "body" (hex),
--              "postings": [{"account", "owner", "kind", "currency", "minor_units",
--                            "side", "amount", "amount_minor"}]}]
-- p_outbox:  [{"id", "payload", "status_detail"}]
-- Returns TRUE when written, FALSE when the idempotency key was recorded before (and
-- nothing was written).
CREATE FUNCTION ajo_append(
    p_key       TEXT,
    p_at        TIMESTAMPTZ,
    p_streams   JSONB,
    p_entries   JSONB,
    p_outbox    JSONB,
    p_max_minor NUMERIC
) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
    s          RECORD;
    e          RECORD;
    expected   BIGINT;
    added      BIGINT;
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
    FOR s IN
        SELECT value AS item, ordinality - 1 AS idx
        FROM jsonb_array_elements(p_streams) WITH ORDINALITY
    LOOP
        expected := (s.item->>'expected')::bigint;
        added := jsonb_array_length(s.item->'events');
        IF expected = 0 THEN
            INSERT INTO streams AS t (stream_kind, stream_id, version, wake_at)
            VALUES (s.item->>'kind', s.item->>'id', added, (s.item->>'wake_at')::timestamptz)
            ON CONFLICT (stream_kind, stream_id) DO UPDATE
                SET version = EXCLUDED.version, wake_at = EXCLUDED.wake_at
                WHERE t.version = 0;
        ELSE
            UPDATE streams
            SET version = expected + added, wake_at = (s.item->>'wake_at')::timestamptz
            WHERE stream_kind = s.item->>'kind' AND stream_id = s.item->>'id'
              AND version = expected;
        END IF;
        IF NOT FOUND THEN
            SELECT version INTO actual FROM streams
            WHERE stream_kind = s.item->>'kind' AND stream_id = s.item->>'id';
            RAISE EXCEPTION 'stream version conflict'
                USING ERRCODE = 'AJ001', DETAIL = format('%s %s', s.idx, COALESCE(actual, 0));
        END IF;
        IF added > 0 THEN
            INSERT INTO events (stream_kind, stream_id, version, recorded_at, payload)
            SELECT s.item->>'kind', s.item->>'id', expected + ev.ordinality, p_at, ev.value
            FROM jsonb_array_elements(s.item->'events') WITH ORDINALITY AS ev;
        END IF;
    END LOOP;

    INSERT INTO outbox (id, payload, status, status_detail, next_attempt_at)
    SELECT m.value->>'id', m.value->'payload', 'pending', m.value->'status_detail', p_at
    FROM jsonb_array_elements(p_outbox) WITH ORDINALITY AS m
    ORDER BY m.ordinality
    ON CONFLICT (id) DO NOTHING;

    IF jsonb_array_length(p_entries) = 0 THEN
        RETURN TRUE;
    END IF;

    -- The journal head last, so it is held as briefly as it can be: ids and previous
    -- hashes are decided under it, and entry keys are read after it, so a key committed
    -- by the last holder is seen.
    SELECT last_id, last_hash INTO head_id, head_hash FROM journal_head FOR UPDATE;
    first_id := head_id + 1;
    FOR e IN
        SELECT value AS item, ordinality - 1 AS idx
        FROM jsonb_array_elements(p_entries) WITH ORDINALITY
    LOOP
        -- Entries of this batch are in the table already, so a key repeated within the
        -- batch is judged like one posted before: same content skipped, other refused.
        SELECT content INTO stored FROM journal_entries WHERE key = e.item->>'key';
        IF FOUND THEN
            IF stored = e.item->'content' THEN
                CONTINUE;
            END IF;
            RAISE EXCEPTION 'ledger entry key holds another entry'
                USING ERRCODE = 'AJ002', DETAIL = e.idx::text;
        END IF;
        reverses_id := (e.item->>'reverses')::bigint;
        IF reverses_id IS NOT NULL THEN
            IF NOT EXISTS (SELECT 1 FROM journal_entries j WHERE j.id = reverses_id) THEN
                RAISE EXCEPTION 'entry to reverse is not in the journal'
                    USING ERRCODE = 'AJ003', DETAIL = e.idx::text;
            END IF;
            IF EXISTS (SELECT 1 FROM journal_entries j WHERE j.reverses = reverses_id) THEN
                RAISE EXCEPTION 'entry to reverse is already reversed'
                    USING ERRCODE = 'AJ004', DETAIL = e.idx::text;
            END IF;
        END IF;
        head_id := head_id + 1;
        entry_hash := sha256(head_hash || int8send(head_id) || decode(e.item->>'body', 'hex'));
        INSERT INTO journal_entries
            (id, key, memo, reference, reverses, posted_at, prev_hash, hash, content)
        VALUES (head_id, e.item->>'key', e.item->>'memo', e.item->>'reference', reverses_id,
                p_at, head_hash, entry_hash, e.item->'content');
        INSERT INTO postings (entry_id, position, account, owner, kind, currency,
                              minor_units, side, amount, amount_minor)
        SELECT head_id, (p.ordinality - 1)::int, p.value->'account', p.value->>'owner',
               p.value->>'kind', p.value->>'currency', (p.value->>'minor_units')::smallint,
               p.value->>'side', (p.value->>'amount')::numeric,
               (p.value->>'amount_minor')::numeric
        FROM jsonb_array_elements(e.item->'postings') WITH ORDINALITY AS p;
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
