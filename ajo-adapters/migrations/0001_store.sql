-- The Store port on PostgreSQL: events, wake times, the journal, the outbox and
-- idempotency keys. Money is NUMERIC beside its currency code, never floating point.

CREATE TABLE events (
    stream_kind TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    version     BIGINT NOT NULL CHECK (version >= 1),
    recorded_at TIMESTAMPTZ NOT NULL,
    payload     JSONB NOT NULL,
    -- The database itself refuses a lost update: two writers of one version collide here.
    PRIMARY KEY (stream_kind, stream_id, version)
);

CREATE TABLE stream_wake (
    stream_kind TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    wake_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (stream_kind, stream_id)
);
CREATE INDEX stream_wake_due ON stream_wake (wake_at, stream_kind, stream_id COLLATE "C");

-- One row: the journal's head. Appends lock it so ids and previous hashes never fork.
CREATE TABLE journal_head (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    last_id   BIGINT NOT NULL,
    last_hash BYTEA NOT NULL
);
INSERT INTO journal_head (singleton, last_id, last_hash) VALUES (TRUE, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE journal_entries (
    id        BIGINT PRIMARY KEY CHECK (id >= 1),
    key       TEXT NOT NULL UNIQUE,
    memo      TEXT NOT NULL,
    reference TEXT,
    reverses  BIGINT REFERENCES journal_entries (id),
    posted_at TIMESTAMPTZ NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash      BYTEA NOT NULL,
    -- The BalancedEntry as serde writes it, so it reads back exactly.
    content   JSONB NOT NULL
);
CREATE INDEX journal_entries_reference ON journal_entries (reference) WHERE reference IS NOT NULL;
-- An entry is reversed at most once.
CREATE UNIQUE INDEX journal_entries_reverses ON journal_entries (reverses) WHERE reverses IS NOT NULL;

CREATE TABLE postings (
    entry_id     BIGINT NOT NULL REFERENCES journal_entries (id),
    position     INT NOT NULL,
    account      JSONB NOT NULL,
    owner        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    minor_units  SMALLINT NOT NULL,
    side         TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
    amount       NUMERIC NOT NULL CHECK (amount > 0),
    amount_minor NUMERIC(40, 0) NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (entry_id, position)
);
CREATE INDEX postings_account ON postings (owner, kind, currency);
CREATE INDEX postings_account_json ON postings USING HASH (account);

-- Checked at commit, once every posting of the transaction is in: an entry whose debits
-- and credits differ in any currency is refused even if the code that wrote it had a bug.
CREATE FUNCTION ajo_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM postings
        WHERE entry_id = NEW.entry_id
        GROUP BY currency
        HAVING sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END) <> 0
    ) THEN
        RAISE EXCEPTION 'ledger entry % is not balanced', NEW.entry_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER postings_balanced
    AFTER INSERT OR UPDATE ON postings
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ajo_entry_balanced();

CREATE TABLE outbox (
    seq             BIGSERIAL UNIQUE,
    id              TEXT PRIMARY KEY,
    payload         JSONB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    status_detail   JSONB NOT NULL,
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    provider_id     TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX outbox_provider_id ON outbox (provider_id) WHERE provider_id IS NOT NULL;

CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    recorded_at TIMESTAMPTZ NOT NULL
);
