-- Books: one hash chain and head per book instead of one for the whole journal, and
-- balances kept per book, so appends to different groups and loans never wait on each
-- other (before this, every entry in a deployment queued on the one `journal_head` row and
-- on the shared clearing and fee balances).
--
-- * `journal_heads`: one row per book. The journal as it was becomes the book named ''
--   (the journal before books): its entries keep their ids as their positions and their
--   hashes, so its chain still verifies, and the first checkpoint commits to its head.
-- * `journal_entries` and `postings` carry their book, which leads their keys: an entry
--   key is unique within its book, as is a reversal; an entry's position in its book
--   (`seq`) runs 1, 2, 3... and is what its hash covers. Ids come from a sequence: unique
--   in the journal, rising within a book, not in commit order across books.
-- * `account_balances` holds one part of each account's balance per book; an account's
--   balance is the sum of its parts.
-- * `checkpoints`: each commits to every book's head, chained to the one before
--   (`ajo_core::ledger::Checkpoint`). Append-only.
-- * The commit-time check that an entry balances finds its postings by book and entry.
-- * `ajo_append` and `ajo_append_keyed` take each entry's book (`en_book`), lock only the
--   heads of the books they write (in book order), and
--   use no array element on the right of an UPDATE's SET.

CREATE TABLE journal_heads (
    book      TEXT PRIMARY KEY,
    -- 0 only while the first append to a book that created it is in flight.
    last_seq  BIGINT NOT NULL CHECK (last_seq >= 0),
    last_hash BYTEA NOT NULL
);
INSERT INTO journal_heads (book, last_seq, last_hash)
SELECT '', last_id, last_hash FROM journal_head WHERE last_id > 0;
DROP TABLE journal_head;

CREATE SEQUENCE journal_entry_ids OWNED BY journal_entries.id;
SELECT setval('journal_entry_ids', COALESCE((SELECT max(id) FROM journal_entries), 0) + 1, FALSE);
ALTER TABLE journal_entries ALTER COLUMN id SET DEFAULT nextval('journal_entry_ids');

ALTER TABLE postings DROP CONSTRAINT postings_entry_id_fkey;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_reverses_fkey;
ALTER TABLE journal_entries ADD COLUMN book TEXT NOT NULL DEFAULT '';
ALTER TABLE journal_entries ADD COLUMN seq BIGINT;
-- The one change ever made to written entries: the journal before books numbered its
-- entries by id, and that number becomes their position in its book.
ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_append_only;
UPDATE journal_entries SET seq = id;
ALTER TABLE journal_entries ENABLE TRIGGER journal_entries_append_only;
ALTER TABLE journal_entries ALTER COLUMN seq SET NOT NULL;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_seq_positive CHECK (seq >= 1);
ALTER TABLE journal_entries ALTER COLUMN book DROP DEFAULT;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_pkey;
ALTER TABLE journal_entries ADD PRIMARY KEY (book, id);
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_book_seq UNIQUE (book, seq);
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_key_key;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_book_key UNIQUE (book, key);
DROP INDEX journal_entries_reverses;
CREATE UNIQUE INDEX journal_entries_reverses ON journal_entries (book, reverses)
    WHERE reverses IS NOT NULL;
-- Reads by id alone (paging through the whole journal) stay indexed.
CREATE INDEX journal_entries_id ON journal_entries (id);

ALTER TABLE postings ADD COLUMN book TEXT NOT NULL DEFAULT '';
ALTER TABLE postings ALTER COLUMN book DROP DEFAULT;
ALTER TABLE postings DROP CONSTRAINT postings_pkey;
ALTER TABLE postings ADD PRIMARY KEY (book, entry_id, position);
ALTER TABLE postings ADD CONSTRAINT postings_entry FOREIGN KEY (book, entry_id)
    REFERENCES journal_entries (book, id);

ALTER TABLE account_balances ADD COLUMN book TEXT NOT NULL DEFAULT '';
ALTER TABLE account_balances ALTER COLUMN book DROP DEFAULT;
ALTER TABLE account_balances DROP CONSTRAINT account_balances_pkey;
ALTER TABLE account_balances ADD PRIMARY KEY (book, account);
CREATE INDEX account_balances_account ON account_balances USING HASH (account);

-- The check at commit that each entry balances, now by book and entry: the postings'
-- key leads with the book, and an entry id alone is no longer indexed.
CREATE OR REPLACE FUNCTION ajo_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM postings
        WHERE book = NEW.book AND entry_id = NEW.entry_id
        GROUP BY currency
        HAVING sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) <> 0
    ) THEN
        RAISE EXCEPTION 'ledger entry % is not balanced', NEW.entry_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TABLE checkpoints (
    number    BIGINT PRIMARY KEY CHECK (number >= 1),
    taken_at  TIMESTAMPTZ NOT NULL,
    -- [{"book", "seq", "hash"}] in book order, as `BookHead` serializes.
    heads     JSONB NOT NULL,
    prev_hash BYTEA NOT NULL,
    root      BYTEA NOT NULL,
    hash      BYTEA NOT NULL
);
CREATE TRIGGER checkpoints_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ajo_refuse_change();

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

-- Errors as in 0003 (AJ001 to AJ005). Each entry names its book in en_book.
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
        IF v_expected = 0 THEN
            INSERT INTO streams AS t (stream_kind, stream_id, version, wake_at)
            VALUES (v_kind, v_sid, v_version, v_wake)
            ON CONFLICT (stream_kind, stream_id) DO UPDATE
                SET version = EXCLUDED.version, wake_at = EXCLUDED.wake_at
                WHERE t.version = 0;
        ELSE
            UPDATE streams SET version = v_version, wake_at = v_wake
            WHERE stream_kind = v_kind AND stream_id = v_sid AND version = v_expected;
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

    -- The heads of the books written, last, so they are held as briefly as they can be;
    -- locked in book order.
    -- Entry keys are read after, so a key committed by the last holder is seen.
    SELECT array_agg(b ORDER BY b) INTO books FROM (SELECT DISTINCT unnest(en_book) AS b) d;
    SELECT array_agg(h.last_seq ORDER BY h.book), array_agg(h.last_hash ORDER BY h.book)
    INTO head_seq, head_hash
    FROM (SELECT book, last_seq, last_hash FROM journal_heads
          WHERE book = ANY (books) ORDER BY book FOR UPDATE) h;
    -- A book's first entry: its head is made (empty) and the heads locked again.
    IF coalesce(array_length(head_seq, 1), 0) < array_length(books, 1) THEN
        INSERT INTO journal_heads (book, last_seq, last_hash)
        SELECT b, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
        FROM unnest(books) AS b
        ON CONFLICT (book) DO NOTHING;
        SELECT array_agg(h.last_seq ORDER BY h.book), array_agg(h.last_hash ORDER BY h.book)
        INTO head_seq, head_hash
        FROM (SELECT book, last_seq, last_hash FROM journal_heads
              WHERE book = ANY (books) ORDER BY book FOR UPDATE) h;
    END IF;
    first_seq := head_seq;

    FOR i IN 1 .. array_length(en_key, 1) LOOP
        v_book := en_book[i];
        j := array_position(books, v_book);
        SELECT content INTO stored FROM journal_entries WHERE book = v_book AND key = en_key[i];
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
                           WHERE e.book = v_book AND e.id = reverses_id) THEN
                RAISE EXCEPTION 'entry to reverse is not in the journal'
                    USING ERRCODE = 'AJ003', DETAIL = (i - 1)::text;
            END IF;
            IF EXISTS (SELECT 1 FROM journal_entries e
                       WHERE e.book = v_book AND e.reverses = reverses_id) THEN
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
    RETURN ajo_append(NULL, p_at, s_kind, s_id, s_expected, s_added, s_wake, ev_stream,
                      ev_version, ev_payload, o_id, o_payload, o_status, en_book, en_key,
                      en_memo, en_reference, en_reverses, en_content, en_body, po_entry,
                      po_account, po_owner, po_kind, po_currency, po_minor_units, po_side,
                      po_amount, po_amount_minor, p_max_minor);
END;
$$;

-- As 0004 and 0005: the owner's rights, a pinned search_path, no PUBLIC EXECUTE.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION ajo_append SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION ajo_append_keyed SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
END;
$$;
REVOKE EXECUTE ON FUNCTION ajo_append FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ajo_append_keyed FROM PUBLIC;
DO $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN SELECT grantee FROM ajo_append_grantees LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION ajo_append, ajo_append_keyed TO %s', r.grantee);
    END LOOP;
END;
$$;
DROP TABLE ajo_append_grantees;
