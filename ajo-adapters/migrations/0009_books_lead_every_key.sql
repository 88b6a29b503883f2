-- A book leads every key of every table, so the tables can be distributed by it (Citus:
-- docs/postgres.md) and every statement of an append or a read names the book it
-- touches.
--
-- * `streams` and `events` carry the book of their stream, as `StreamId::book` names it
--   (and `ajo_stream_book` here, for the rows written before): a group's and its
--   collections' and payouts' streams are in `g:<group>`, a loan's in `l:<loan>`, a
--   member's profile and usage in `m:<member>`.
-- * `outbox` carries the book of the append that wrote it (its first stream's), is unique
--   by book and id, and is claimed book by book (`ajo_claim_outbox`), in order within a
--   book.
-- * `ajo_read` takes each stream's book; `ajo_append` each stream's book and the
--   outbox's; `ajo_append_keyed` leads with the append's book (`p_book`), by which a
--   distributed database can send the whole call to the node holding that book.
-- * `ajo_read` no longer fixes its plan with `SET plan_cache_mode` (Citus cannot plan a
--   function that sets it); on plain PostgreSQL the setting is added back below, where
--   it saves a custom plan per call.
-- * `idempotency_keys` stays keyed by key alone: a key is looked up without its book.
--
-- Errors as in 0003 (AJ001 to AJ005).

CREATE FUNCTION ajo_stream_book(p_kind TEXT, p_id TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_kind = 'group' THEN 'g:' || p_id
        WHEN p_kind = 'loan' THEN 'l:' || p_id
        WHEN p_kind = 'member' THEN 'm:' || p_id
        WHEN p_kind = 'usage' AND strpos(p_id, ':') > 0 THEN CASE split_part(p_id, ':', 1)
            WHEN 'member' THEN 'm:' || split_part(p_id, ':', 2)
            WHEN 'group' THEN 'g:' || split_part(p_id, ':', 2)
            ELSE 'platform' END
        WHEN p_kind IN ('payment', 'payout') AND split_part(p_id, '=', 1) = 'ajo'
             AND split_part(p_id, '=', 3) <> '' THEN CASE
            WHEN split_part(p_id, '=', 2) IN ('dep', 'ctb', 'out', 'drf', 'crf')
                THEN 'g:' || split_part(p_id, '=', 3)
            WHEN split_part(p_id, '=', 2) IN ('lnd', 'lnr')
                THEN 'l:' || split_part(p_id, '=', 3)
            ELSE 'platform' END
        ELSE 'platform'
    END
$$;

ALTER TABLE streams ADD COLUMN book TEXT;
UPDATE streams SET book = ajo_stream_book(stream_kind, stream_id);
ALTER TABLE streams ALTER COLUMN book SET NOT NULL;
ALTER TABLE streams DROP CONSTRAINT streams_pkey;
ALTER TABLE streams ADD PRIMARY KEY (book, stream_kind, stream_id);

ALTER TABLE events ADD COLUMN book TEXT;
-- Written events are never changed, but for this: each is given its stream's book.
ALTER TABLE events DISABLE TRIGGER events_append_only;
UPDATE events SET book = ajo_stream_book(stream_kind, stream_id);
ALTER TABLE events ENABLE TRIGGER events_append_only;
ALTER TABLE events ALTER COLUMN book SET NOT NULL;
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (book, stream_kind, stream_id, version);

ALTER TABLE outbox ADD COLUMN book TEXT NOT NULL DEFAULT 'platform';
ALTER TABLE outbox ALTER COLUMN book DROP DEFAULT;
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE outbox ADD PRIMARY KEY (book, id);
-- A message id is written once, whatever book (the Outbox contract): unique on one
-- server; a distributed database cannot keep a unique key without the book, so
-- distribute.sql drops it there, where a message's id comes with its command's book.
-- Finishing, reporting and reading a message go by its id alone.
CREATE UNIQUE INDEX outbox_id ON outbox (id);
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (book, next_attempt_at, seq) WHERE status = 'pending';

-- Who may call the functions replaced below keeps that right: the roles granted EXECUTE
-- on them (docs/postgres.md) are remembered here and granted it again at the end.
CREATE TEMPORARY TABLE ajo_append_grantees AS
SELECT DISTINCT grantee::regrole::text AS grantee
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL aclexplode(p.proacl) AS a (grantor, grantee, privilege_type, grantable)
WHERE n.nspname = current_schema() AND p.proname IN ('ajo_append', 'ajo_append_keyed')
  AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner;

DROP FUNCTION ajo_append_keyed;
DROP FUNCTION ajo_append;
DROP FUNCTION ajo_read;

-- The append-only refusal names the table, not the shard a distributed database runs the
-- trigger on (`postings_102008`): ajo's table names never end in `_<digits>`.
CREATE OR REPLACE FUNCTION ajo_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', regexp_replace(TG_TABLE_NAME, '_[0-9]+$', ''), TG_OP
        USING ERRCODE = 'AJ006',
              HINT = 'ajo never changes these rows: a ledger entry is corrected by a reversing entry';
END;
$$;

CREATE FUNCTION ajo_append(
    p_key          TEXT,
    p_at           TIMESTAMPTZ,
    s_kind         TEXT[],
    s_id           TEXT[],
    s_book         TEXT[],
    s_expected     BIGINT[],
    s_added        BIGINT[],
    s_wake         TIMESTAMPTZ[],
    ev_stream      INT[],
    ev_version     BIGINT[],
    ev_payload     TEXT[],
    o_id           TEXT[],
    o_payload      TEXT[],
    o_book         TEXT,
    o_status       JSONB,
    en_book        TEXT[],
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
    i           INT;
    j           INT;
    actual      BIGINT;
    v_expected  BIGINT;
    v_version   BIGINT;
    v_kind      TEXT;
    v_sid       TEXT;
    v_sbook     TEXT;
    v_wake      TIMESTAMPTZ;
    stored      JSONB;
    reverses_id BIGINT;
    v_book      TEXT;
    v_id        BIGINT;
    v_seq       BIGINT;
    v_prev      BYTEA;
    v_hash      BYTEA;
    books       TEXT[];
    head_seq    BIGINT[];
    head_hash   BYTEA[];
    first_seq   BIGINT[];
    written     INT[] := '{}';
    too_large   BOOLEAN;
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (key, recorded_at) VALUES (p_key, p_at)
        ON CONFLICT (key) DO NOTHING;
        IF NOT FOUND THEN
            RETURN FALSE;
        END IF;
    END IF;

    FOR i IN 1 .. coalesce(array_length(s_kind, 1), 0) LOOP
        -- Scalars, not array elements, in the statements: Citus 13 cannot plan an array
        -- element on the right of an UPDATE's SET.
        v_expected := s_expected[i];
        v_version := v_expected + s_added[i];
        v_wake := s_wake[i];
        v_kind := s_kind[i];
        v_sid := s_id[i];
        v_sbook := s_book[i];
        IF v_expected = 0 THEN
            INSERT INTO streams AS t (book, stream_kind, stream_id, version, wake_at)
            VALUES (v_sbook, v_kind, v_sid, v_version, v_wake)
            ON CONFLICT (book, stream_kind, stream_id) DO UPDATE
                SET version = EXCLUDED.version, wake_at = EXCLUDED.wake_at
                WHERE t.version = 0;
        ELSE
            UPDATE streams SET version = v_version, wake_at = v_wake
            WHERE book = v_sbook AND stream_kind = v_kind AND stream_id = v_sid
              AND version = v_expected;
        END IF;
        IF NOT FOUND THEN
            SELECT version INTO actual FROM streams
            WHERE book = v_sbook AND stream_kind = v_kind AND stream_id = v_sid;
            RAISE EXCEPTION 'stream version conflict'
                USING ERRCODE = 'AJ001', DETAIL = format('%s %s', i - 1, COALESCE(actual, 0));
        END IF;
    END LOOP;

    IF array_length(ev_stream, 1) > 0 THEN
        INSERT INTO events (book, stream_kind, stream_id, version, recorded_at, payload)
        SELECT s_book[e.stream], s_kind[e.stream], s_id[e.stream], e.version, p_at,
               e.payload::json
        FROM unnest(ev_stream, ev_version, ev_payload) AS e (stream, version, payload);
    END IF;

    IF array_length(o_id, 1) > 0 THEN
        INSERT INTO outbox (book, id, payload, status, status_detail, next_attempt_at)
        SELECT o_book, m.id, m.payload::json, 'pending', o_status, p_at
        FROM unnest(o_id, o_payload) WITH ORDINALITY AS m (id, payload, n)
        ORDER BY m.n
        ON CONFLICT DO NOTHING;
    END IF;

    IF coalesce(array_length(en_key, 1), 0) = 0 THEN
        RETURN TRUE;
    END IF;

    -- The heads of the books written, last, so they are held as briefly as they can be.
    -- A book's first entry makes its head (empty) first; then every head is locked in one
    -- statement, in book order, so two appends wait for each other rather than each
    -- holding what the other needs (a deadlock PostgreSQL still finds is retried as a
    -- lost race). Entry keys are read after, so a key committed by the last holder is
    -- seen.
    SELECT array_agg(b ORDER BY b) INTO books FROM (SELECT DISTINCT unnest(en_book) AS b) d;
    -- (No NOT EXISTS here: Citus cannot plan a correlated subquery beside unnest.)
    INSERT INTO journal_heads (book, last_seq, last_hash)
    SELECT b, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
    FROM unnest(books) AS b
    ON CONFLICT (book) DO NOTHING;
    SELECT array_agg(h.last_seq ORDER BY h.book), array_agg(h.last_hash ORDER BY h.book)
    INTO head_seq, head_hash
    FROM (SELECT book, last_seq, last_hash FROM journal_heads
          WHERE book = ANY (books) ORDER BY book FOR UPDATE) h;
    first_seq := head_seq;

    FOR i IN 1 .. array_length(en_key, 1) LOOP
        v_book := en_book[i];
        j := array_position(books, v_book);
        -- In the entry's book, or in the journal from before books (an entry posted
        -- before the upgrade and sent again after it is a replay, not a new entry).
        SELECT content INTO stored FROM journal_entries
        WHERE book IN (v_book, '') AND key = en_key[i] LIMIT 1;
        IF FOUND THEN
            IF stored = en_content[i]::jsonb THEN
                CONTINUE;
            END IF;
            RAISE EXCEPTION 'ledger entry key holds another entry'
                USING ERRCODE = 'AJ002', DETAIL = (i - 1)::text;
        END IF;
        reverses_id := en_reverses[i];
        IF reverses_id IS NOT NULL THEN
            IF NOT EXISTS (SELECT 1 FROM journal_entries e
                           WHERE e.book IN (v_book, '') AND e.id = reverses_id) THEN
                RAISE EXCEPTION 'entry to reverse is not in the journal'
                    USING ERRCODE = 'AJ003', DETAIL = (i - 1)::text;
            END IF;
            IF EXISTS (SELECT 1 FROM journal_entries e
                       WHERE e.book IN (v_book, '') AND e.reverses = reverses_id) THEN
                RAISE EXCEPTION 'entry to reverse is already reversed'
                    USING ERRCODE = 'AJ004', DETAIL = (i - 1)::text;
            END IF;
        END IF;
        v_seq := head_seq[j] + 1;
        v_prev := head_hash[j];
        v_hash := sha256(v_prev || int8send(v_seq) || en_body[i]);
        -- The id from the column's sequence (which a distributed database keeps on every
        -- node, in ranges of its own).
        INSERT INTO journal_entries
            (book, seq, key, memo, reference, reverses, posted_at, prev_hash, hash, content)
        VALUES (v_book, v_seq, en_key[i], en_memo[i], en_reference[i], reverses_id,
                p_at, v_prev, v_hash, en_content[i]::jsonb)
        RETURNING id INTO v_id;
        INSERT INTO postings (book, entry_id, position, account, owner, kind, currency,
                              minor_units, side, amount, amount_minor)
        SELECT v_book, v_id, (row_number() OVER (ORDER BY p.n) - 1)::int, p.account::jsonb,
               p.owner, p.kind, p.currency, p.minor_units, p.side, p.amount, p.amount_minor
        FROM unnest(po_entry, po_account, po_owner, po_kind, po_currency, po_minor_units,
                    po_side, po_amount, po_amount_minor)
             WITH ORDINALITY AS p (entry, account, owner, kind, currency, minor_units, side,
                                   amount, amount_minor, n)
        WHERE p.entry = i;
        head_seq[j] := v_seq;
        head_hash[j] := v_hash;
        written := written || i;
    END LOOP;

    IF array_length(written, 1) > 0 THEN
        WITH moved AS (
            SELECT en_book[p.entry] AS book, p.account::jsonb AS account,
                   sum(CASE p.side WHEN 'debit' THEN p.amount_minor ELSE -p.amount_minor END)
                       AS delta
            FROM unnest(po_entry, po_account, po_side, po_amount_minor)
                 AS p (entry, account, side, amount_minor)
            WHERE p.entry = ANY (written)
            GROUP BY 1, 2
        ), updated AS (
            INSERT INTO account_balances AS b (book, account, balance_minor)
            SELECT book, account, delta FROM moved
            ON CONFLICT (book, account) DO UPDATE
                SET balance_minor = b.balance_minor + EXCLUDED.balance_minor
            RETURNING b.balance_minor
        )
        SELECT COALESCE(bool_or(abs(balance_minor) > p_max_minor), FALSE)
        INTO too_large FROM updated;
        IF too_large THEN
            RAISE EXCEPTION 'a balance would pass the largest amount'
                USING ERRCODE = 'AJ005', DETAIL = '';
        END IF;
        FOR j IN 1 .. array_length(books, 1) LOOP
            IF head_seq[j] > first_seq[j] THEN
                v_book := books[j];
                v_seq := head_seq[j];
                v_hash := head_hash[j];
                UPDATE journal_heads SET last_seq = v_seq, last_hash = v_hash
                WHERE book = v_book;
            END IF;
        END LOOP;
    END IF;
    RETURN TRUE;
END;
$$;

CREATE FUNCTION ajo_append_keyed(
    p_book         TEXT,
    p_key          TEXT,
    p_fingerprint  TEXT,
    p_result       TEXT,
    p_at           TIMESTAMPTZ,
    s_kind         TEXT[],
    s_id           TEXT[],
    s_book         TEXT[],
    s_expected     BIGINT[],
    s_added        BIGINT[],
    s_wake         TIMESTAMPTZ[],
    ev_stream      INT[],
    ev_version     BIGINT[],
    ev_payload     TEXT[],
    o_id           TEXT[],
    o_payload      TEXT[],
    o_status       JSONB,
    en_book        TEXT[],
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
    RETURN ajo_append(NULL, p_at, s_kind, s_id, s_book, s_expected, s_added, s_wake,
                      ev_stream, ev_version, ev_payload, o_id, o_payload, p_book, o_status,
                      en_book, en_key, en_memo, en_reference, en_reverses, en_content,
                      en_body, po_entry, po_account, po_owner, po_kind, po_currency,
                      po_minor_units, po_side, po_amount, po_amount_minor, p_max_minor);
END;
$$;

-- Streams' events after known versions, each stream named with its book, in the order
-- asked, with whether an idempotency key is recorded: as 0005's.
CREATE FUNCTION ajo_read(p_kind TEXT[], p_id TEXT[], p_book TEXT[], p_after BIGINT[], p_key TEXT)
RETURNS TABLE (n INT, version BIGINT, recorded_at TIMESTAMPTZ, payload TEXT)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    i       INT;
    v_book  TEXT;
    v_kind  TEXT;
    v_id    TEXT;
    v_after BIGINT;
BEGIN
    IF p_key IS NOT NULL THEN
        RETURN QUERY SELECT 0, 0::bigint, NULL::timestamptz,
                json_build_object('fingerprint', k.fingerprint, 'result', k.result)::text
            FROM idempotency_keys k WHERE k.key = p_key;
    END IF;
    -- One statement per stream, each naming one book: a distributed database sends each
    -- to the one node holding that book.
    FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
        v_book := p_book[i];
        v_kind := p_kind[i];
        v_id := p_id[i];
        v_after := p_after[i];
        RETURN QUERY
            SELECT i, ev.version, ev.recorded_at, ev.payload::text FROM events ev
            WHERE ev.book = v_book AND ev.stream_kind = v_kind AND ev.stream_id = v_id
              AND ev.version > v_after
            ORDER BY ev.version;
    END LOOP;
END;
$$;

-- Claims up to p_limit pending messages due at p_now for p_worker until p_until, book
-- by book (the books with the oldest due messages first), each book's in the order they
-- were written; SKIP LOCKED, so workers claiming at once split the messages. Each
-- statement that locks names one book.
CREATE FUNCTION ajo_claim_outbox(p_worker TEXT, p_now TIMESTAMPTZ, p_until TIMESTAMPTZ,
                                 p_limit BIGINT)
RETURNS TABLE (book TEXT, seq BIGINT, payload TEXT, status_detail JSONB, attempts INT,
               next_attempt_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
    v_book TEXT;
    left_  BIGINT := p_limit;
    taken  BIGINT;
BEGIN
    FOR v_book IN
        SELECT o.book FROM outbox o
        WHERE o.status = 'pending' AND o.next_attempt_at <= p_now
          AND (o.lease_until IS NULL OR o.lease_until <= p_now)
        GROUP BY o.book ORDER BY min(o.next_attempt_at), o.book LIMIT p_limit
    LOOP
        -- Picked once (MATERIALIZED): an IN (subquery) could be run again per row and
        -- lock more than asked.
        RETURN QUERY
            WITH picked AS MATERIALIZED (
                SELECT c.id FROM outbox c
                WHERE c.book = v_book AND c.status = 'pending' AND c.next_attempt_at <= p_now
                  AND (c.lease_until IS NULL OR c.lease_until <= p_now)
                ORDER BY c.seq LIMIT left_ FOR UPDATE SKIP LOCKED)
            UPDATE outbox o SET lease_owner = p_worker, lease_until = p_until
            FROM picked
            WHERE o.book = v_book AND o.id = picked.id
            RETURNING o.book, o.seq, o.payload::text, o.status_detail, o.attempts,
                      o.next_attempt_at;
        GET DIAGNOSTICS taken = ROW_COUNT;
        left_ := left_ - taken;
        EXIT WHEN left_ <= 0;
    END LOOP;
END;
$$;

-- Records a checkpoint if it is the next one: its number one past the last (1 for the
-- first) and its previous hash that checkpoint's. TRUE when recorded. With the owner's
-- rights, like ajo_append: an application role records checkpoints through it and cannot
-- write the table.
CREATE FUNCTION ajo_record_checkpoint(p_number BIGINT, p_at TIMESTAMPTZ, p_heads JSONB,
                                      p_prev BYTEA, p_root BYTEA, p_hash BYTEA)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO checkpoints (number, taken_at, heads, prev_hash, root, hash)
    SELECT p_number, p_at, p_heads, p_prev, p_root, p_hash
    WHERE p_prev = COALESCE(
            (SELECT c.hash FROM checkpoints c WHERE c.number = p_number - 1),
            '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
      AND (p_number = 1 OR EXISTS (SELECT 1 FROM checkpoints c WHERE c.number = p_number - 1))
    ON CONFLICT (number) DO NOTHING;
    RETURN FOUND;
END;
$$;

-- As 0004 and 0005: the owner's rights, a pinned search_path, no PUBLIC EXECUTE. On plain
-- PostgreSQL (no Citus), ajo_read's plan is made once per connection again.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION ajo_append SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION ajo_append_keyed SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
    -- Their own search_path too: a distributed database runs their statements on other
    -- nodes, where the caller's is not set.
    EXECUTE format('ALTER FUNCTION ajo_read SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ajo_claim_outbox SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION ajo_entry_balanced SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION ajo_record_checkpoint SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        ALTER FUNCTION ajo_read SET plan_cache_mode = force_generic_plan;
    END IF;
END;
$$;
REVOKE EXECUTE ON FUNCTION ajo_append FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ajo_append_keyed FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ajo_record_checkpoint FROM PUBLIC;
DO $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN SELECT grantee FROM ajo_append_grantees LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION ajo_append, ajo_append_keyed, ajo_record_checkpoint TO %s',
                       r.grantee);
    END LOOP;
END;
$$;
DROP TABLE ajo_append_grantees;
