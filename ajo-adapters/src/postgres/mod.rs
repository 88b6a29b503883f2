//! [`PgStore`]: the [`Store`] port on PostgreSQL 14+.
//!
//! ```no_run
//! # async fn run() -> Result<(), ajo_core::ports::StoreError> {
//! use ajo_adapters::postgres::PgStore;
//!
//! let store = PgStore::connect("postgres://postgres@127.0.0.1:5432/test", 8).await?;
//! store.migrate().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Every [`append`](Store::append) is one transaction. Appends that post ledger entries
//! lock the one-row `journal_head` table, so journal ids run 1, 2, 3... and each entry's
//! previous hash is the hash of the entry before it, whatever the number of writers. The
//! unique keys on `(stream_kind, stream_id, version)`, entry keys and idempotency keys let
//! the database itself refuse a lost update or a double post; a transaction that loses
//! such a race is retried, and the retry answers with the port's typed outcome.

mod error;
mod rows;

/// The sqlx this store is built on, for hosts' own queries on [`PgStore::pool`].
pub use sqlx;
pub use sqlx::postgres::{PgConnectOptions, PgPool};

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ajo_core::ledger::{Account, BalancedEntry, EntryHash, EntryId, JournalEntry, Side};
use ajo_core::money::Money;
use ajo_core::ports::{
    AppendOutcome, AppendRequest, EntryQuery, OutboxOutcome, OutboxRecord, OutboxStatus,
    RecordedEvent, Store, StoreError, StreamId,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Postgres, Row, Transaction};

use error::{corrupt, is_race, store_error};
use rows::{
    decode_entry, decode_event, decode_outbox, decode_stream, hash_bytes, i64_of, json_of,
    status_name,
};

/// The embedded, versioned schema migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How many times an append that lost a race is tried again before giving up.
const RACE_ATTEMPTS: u32 = 8;

/// A [`Store`] on PostgreSQL.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl fmt::Debug for PgStore {
    // The pool's options hold the connection password: print only its size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` with a pool of at most `pool_size` connections.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the URL is malformed or the server cannot be
    /// reached; the message never repeats the URL.
    pub async fn connect(url: &str, pool_size: u32) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| store_error(&e))?;
        PgStore::connect_with(options, pool_size).await
    }

    /// Connects with sqlx's options (to set a `search_path`, TLS or timeouts).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub async fn connect_with(
        options: PgConnectOptions,
        pool_size: u32,
    ) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| store_error(&e))?;
        Ok(PgStore { pool })
    }

    /// A store on an existing pool.
    pub fn from_pool(pool: PgPool) -> PgStore {
        PgStore { pool }
    }

    /// The pool, for the host's own queries.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Brings the schema up to date. Safe to run again and from several hosts at once:
    /// sqlx records applied migrations and takes an advisory lock while it runs.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the database cannot be reached or refuses a
    /// migration; [`StoreError::Corrupt`] if an applied migration differs from the
    /// embedded one.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => store_error(&inner),
            sqlx::migrate::MigrateError::VersionMismatch(v) => corrupt(format!(
                "applied migration {v} differs from the embedded one"
            )),
            _ => error::unavailable("migration failed"),
        })
    }

    async fn try_append(&self, request: &AppendRequest) -> Result<AppendOutcome, Attempt> {
        let mut tx = self.pool.begin().await?;
        if let Some(key) = &request.idempotency_key {
            let seen = sqlx::query("SELECT 1 FROM idempotency_keys WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
            if seen.is_some() {
                return Ok(AppendOutcome::Duplicate);
            }
        }
        for append in &request.streams {
            let actual = stream_version(&mut tx, &append.stream).await?;
            if actual != append.expected_version {
                return Err(Attempt::Final(StoreError::Conflict {
                    stream: append.stream.clone(),
                    expected: append.expected_version,
                    actual,
                }));
            }
        }
        // Lock the journal head only now, after the cheap checks, so the lock is held as
        // briefly as it can be: ids and previous hashes are decided under it, and entry
        // keys are read after it, so a key committed by the last holder is seen.
        let head = if request.entries.is_empty() {
            None
        } else {
            let row = sqlx::query("SELECT last_id, last_hash FROM journal_head FOR UPDATE")
                .fetch_one(&mut *tx)
                .await?;
            let last_id: i64 = row.try_get("last_id")?;
            let last_hash: Vec<u8> = row.try_get("last_hash")?;
            let last_id = u64::try_from(last_id)
                .map_err(|_| Attempt::Final(corrupt("negative journal head")))?;
            Some((last_id, hash_bytes(&last_hash).map_err(Attempt::Final)?))
        };
        let journal = match head {
            Some((last_id, last_hash)) => {
                stage_entries(&mut tx, &request.entries, last_id, last_hash, request.at).await?
            }
            None => Vec::new(),
        };

        for append in &request.streams {
            let kind = append.stream.kind.as_str();
            for (version, event) in (append.expected_version + 1..).zip(&append.events) {
                sqlx::query(
                    "INSERT INTO events (stream_kind, stream_id, version, recorded_at, payload) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(kind)
                .bind(&append.stream.id)
                .bind(i64_of(version).map_err(Attempt::Final)?)
                .bind(request.at)
                .bind(json_of(event).map_err(Attempt::Final)?)
                .execute(&mut *tx)
                .await?;
            }
            match append.wake_at {
                Some(at) => {
                    sqlx::query(
                        "INSERT INTO stream_wake (stream_kind, stream_id, wake_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (stream_kind, stream_id) \
                         DO UPDATE SET wake_at = EXCLUDED.wake_at",
                    )
                    .bind(kind)
                    .bind(&append.stream.id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM stream_wake WHERE stream_kind = $1 AND stream_id = $2",
                    )
                    .bind(kind)
                    .bind(&append.stream.id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }

        if let Some(last) = journal.last() {
            for entry in &journal {
                insert_entry(&mut tx, entry).await?;
            }
            sqlx::query("UPDATE journal_head SET last_id = $1, last_hash = $2")
                .bind(i64_of(last.id().0).map_err(Attempt::Final)?)
                .bind(last.hash().0.to_vec())
                .execute(&mut *tx)
                .await?;
        }

        for message in &request.outbox {
            sqlx::query(
                "INSERT INTO outbox (id, payload, status, status_detail, next_attempt_at) \
                 VALUES ($1, $2, 'pending', $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&message.id)
            .bind(json_of(message).map_err(Attempt::Final)?)
            .bind(json_of(&OutboxStatus::Pending).map_err(Attempt::Final)?)
            .bind(request.at)
            .execute(&mut *tx)
            .await?;
        }

        if let Some(key) = &request.idempotency_key {
            sqlx::query("INSERT INTO idempotency_keys (key, recorded_at) VALUES ($1, $2)")
                .bind(key)
                .bind(request.at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(AppendOutcome::Appended)
    }
}

/// Why one attempt at an append stopped.
enum Attempt {
    /// The answer: no retry changes it.
    Final(StoreError),
    /// A database error: a lost race is retried, anything else mapped.
    Db(sqlx::Error),
}

impl From<sqlx::Error> for Attempt {
    fn from(error: sqlx::Error) -> Attempt {
        Attempt::Db(error)
    }
}

async fn stream_version(
    tx: &mut Transaction<'_, Postgres>,
    stream: &StreamId,
) -> Result<u64, Attempt> {
    let row = sqlx::query(
        "SELECT COALESCE(max(version), 0) AS version FROM events \
         WHERE stream_kind = $1 AND stream_id = $2",
    )
    .bind(stream.kind.as_str())
    .bind(&stream.id)
    .fetch_one(&mut **tx)
    .await?;
    let version: i64 = row.try_get("version")?;
    u64::try_from(version).map_err(|_| Attempt::Final(corrupt("negative stream version")))
}

/// Decides what of `entries` to record, with the rules of `Ledger::post_all`: an entry
/// whose key holds the same content is skipped, other content is an `EntryConflict`.
async fn stage_entries(
    tx: &mut Transaction<'_, Postgres>,
    entries: &[BalancedEntry],
    last_id: u64,
    last_hash: EntryHash,
    at: DateTime<Utc>,
) -> Result<Vec<JournalEntry>, Attempt> {
    let mut staged: Vec<JournalEntry> = Vec::new();
    let mut by_key: HashMap<&str, &BalancedEntry> = HashMap::new();
    let mut reversed_now: HashSet<EntryId> = HashSet::new();
    let (mut id, mut prev) = (last_id, last_hash);
    for entry in entries {
        if entry.revalidate().is_err() {
            return Err(Attempt::Final(StoreError::Unbalanced {
                key: entry.key().to_owned(),
            }));
        }
        let existing = sqlx::query("SELECT content FROM journal_entries WHERE key = $1")
            .bind(entry.key())
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = existing {
            let content: serde_json::Value = row.try_get("content")?;
            let recorded: BalancedEntry = serde_json::from_value(content)
                .map_err(|_| Attempt::Final(corrupt("a stored entry could not be read")))?;
            if recorded == *entry {
                continue;
            }
            return Err(entry_conflict(entry));
        }
        if let Some(earlier) = by_key.get(entry.key()) {
            if *earlier != entry {
                return Err(entry_conflict(entry));
            }
            continue;
        }
        if let Some(original) = entry.reverses() {
            check_reversible(tx, original, &staged, &mut reversed_now).await?;
        }
        id = id
            .checked_add(1)
            .ok_or_else(|| Attempt::Final(corrupt("journal ids exhausted")))?;
        let sealed = JournalEntry::seal(EntryId(id), prev, at, entry.clone());
        prev = sealed.hash();
        by_key.insert(entry.key(), entry);
        staged.push(sealed);
    }
    Ok(staged)
}

fn entry_conflict(entry: &BalancedEntry) -> Attempt {
    Attempt::Final(StoreError::EntryConflict {
        key: entry.key().to_owned(),
    })
}

async fn check_reversible(
    tx: &mut Transaction<'_, Postgres>,
    original: EntryId,
    staged: &[JournalEntry],
    reversed_now: &mut HashSet<EntryId>,
) -> Result<(), Attempt> {
    let id = i64_of(original.0).map_err(Attempt::Final)?;
    let row = sqlx::query(
        "SELECT EXISTS (SELECT 1 FROM journal_entries WHERE id = $1) AS known, \
                EXISTS (SELECT 1 FROM journal_entries WHERE reverses = $1) AS reversed",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let known: bool = row.try_get("known")?;
    let reversed: bool = row.try_get("reversed")?;
    let known = known || staged.iter().any(|e| e.id() == original);
    if !known {
        return Err(Attempt::Final(corrupt(format!(
            "entry {original} to reverse is not in the journal"
        ))));
    }
    if reversed || !reversed_now.insert(original) {
        return Err(Attempt::Final(corrupt(format!(
            "entry {original} is already reversed"
        ))));
    }
    Ok(())
}

async fn insert_entry(
    tx: &mut Transaction<'_, Postgres>,
    journal: &JournalEntry,
) -> Result<(), Attempt> {
    let entry = journal.entry();
    let id = i64_of(journal.id().0).map_err(Attempt::Final)?;
    let reverses = entry
        .reverses()
        .map(|r| i64_of(r.0))
        .transpose()
        .map_err(Attempt::Final)?;
    sqlx::query(
        "INSERT INTO journal_entries \
         (id, key, memo, reference, reverses, posted_at, prev_hash, hash, content) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(entry.key())
    .bind(entry.memo())
    .bind(entry.reference())
    .bind(reverses)
    .bind(journal.posted_at())
    .bind(journal.prev_hash().0.to_vec())
    .bind(journal.hash().0.to_vec())
    .bind(json_of(entry).map_err(Attempt::Final)?)
    .execute(&mut **tx)
    .await?;
    for (position, posting) in (0i32..).zip(entry.postings()) {
        let account = &posting.account;
        sqlx::query(
            "INSERT INTO postings (entry_id, position, account, owner, kind, currency, \
             minor_units, side, amount, amount_minor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10::numeric)",
        )
        .bind(id)
        .bind(position)
        .bind(json_of(account).map_err(Attempt::Final)?)
        .bind(account.owner())
        .bind(account.kind().to_string())
        .bind(account.currency().code())
        .bind(i16::from(account.currency().minor_units()))
        .bind(match posting.side {
            Side::Debit => "debit",
            Side::Credit => "credit",
        })
        .bind(posting.amount.amount().to_string())
        .bind(posting.amount.minor().to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn balance_of(account: &Account, minor: &str) -> Result<Money, StoreError> {
    let minor: i128 = minor
        .parse()
        .map_err(|_| corrupt("a balance is not a whole number of minor units"))?;
    Money::from_minor(minor, account.currency()).map_err(|_| corrupt("a balance is out of range"))
}

const SIGNED_MINOR: &str =
    "COALESCE(sum(CASE side WHEN 'debit' THEN amount_minor ELSE -amount_minor END), 0)::text";

#[async_trait]
impl Store for PgStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_append(&request).await {
                Ok(outcome) => return Ok(outcome),
                Err(Attempt::Final(error)) => return Err(error),
                Err(Attempt::Db(error)) if is_race(&error) && attempt < RACE_ATTEMPTS => {
                    continue;
                }
                Err(Attempt::Db(error)) => return Err(store_error(&error)),
            }
        }
    }

    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, recorded_at, payload FROM events \
             WHERE stream_kind = $1 AND stream_id = $2 ORDER BY version",
        )
        .bind(stream.kind.as_str())
        .bind(&stream.id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(|row| decode_event(stream, row)).collect()
    }

    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM idempotency_keys WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| store_error(&e))?;
        Ok(row.is_some())
    }

    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT stream_kind, stream_id FROM stream_wake WHERE wake_at <= $1 \
             ORDER BY wake_at, stream_kind, stream_id COLLATE \"C\" LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(decode_stream).collect()
    }

    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SIGNED_MINOR} AS minor FROM postings WHERE account = $1"
        ))
        .bind(json_of(account)?)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let minor: String = row.try_get("minor").map_err(|e| store_error(&e))?;
        balance_of(account, &minor)
    }

    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT account, {SIGNED_MINOR} AS minor FROM postings GROUP BY account"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let mut balances = Vec::with_capacity(rows.len());
        for row in &rows {
            let account: serde_json::Value = row.try_get("account").map_err(|e| store_error(&e))?;
            let account: Account = serde_json::from_value(account)
                .map_err(|_| corrupt("a stored account could not be read"))?;
            let minor: String = row.try_get("minor").map_err(|e| store_error(&e))?;
            let balance = balance_of(&account, &minor)?;
            balances.push((account, balance));
        }
        balances.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(balances)
    }

    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError> {
        let after = i64_of(query.after.unwrap_or(0))?;
        let limit = query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = sqlx::query(
            "SELECT id, posted_at, content, prev_hash, hash FROM journal_entries \
             WHERE id > $1 AND ($2::text IS NULL OR reference = $2) ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(query.reference.as_deref())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(decode_entry).collect()
    }

    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let until =
            now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // SKIP LOCKED: two workers claiming at once split the messages, never share one.
        let rows = sqlx::query(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
               AND (lease_until IS NULL OR lease_until <= $3) \
               ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING seq, payload, status_detail, attempts, next_attempt_at",
        )
        .bind(worker)
        .bind(until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq").map_err(|e| store_error(&e))?;
            claimed.push((seq, decode_outbox(row)?));
        }
        claimed.sort_by_key(|(seq, _)| *seq);
        Ok(claimed.into_iter().map(|(_, r)| r).collect())
    }

    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (status, provider_id, retry_at) = match outcome {
            OutboxOutcome::Sent(provider_id) => {
                let provider = provider_id.0.clone();
                (
                    Some(OutboxStatus::Sent { provider_id }),
                    Some(provider),
                    None,
                )
            }
            OutboxOutcome::Retry { at, .. } => (None, None, Some(at)),
            OutboxOutcome::Failed { reason } => (Some(OutboxStatus::Failed { reason }), None, None),
            _ => (None, None, None),
        };
        let name = status.as_ref().map(status_name);
        let detail = status.as_ref().map(json_of).transpose()?;
        // A delivery report can overtake the send's own outcome; the report is final.
        let done = sqlx::query(
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL, attempts = attempts + 1, \
               status = CASE WHEN status IN ('delivered', 'undeliverable') THEN status \
                 ELSE COALESCE($2, status) END, \
               status_detail = CASE WHEN status IN ('delivered', 'undeliverable') \
                 THEN status_detail ELSE COALESCE($3, status_detail) END, \
               provider_id = COALESCE($4, provider_id), \
               next_attempt_at = COALESCE($5, next_attempt_at) \
             WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(detail)
        .bind(provider_id)
        .bind(retry_at)
        .execute(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownMessage(id.to_owned()));
        }
        Ok(())
    }

    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError> {
        let found = sqlx::query(
            "SELECT id FROM outbox WHERE id = $1 \
             UNION ALL (SELECT id FROM outbox WHERE provider_id = $1 ORDER BY seq LIMIT 1) \
             LIMIT 1",
        )
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let Some(row) = found else {
            return Err(StoreError::UnknownMessage(message_id.to_owned()));
        };
        let id: String = row.try_get("id").map_err(|e| store_error(&e))?;
        // A final report is not overwritten by a late, earlier one.
        sqlx::query(
            "UPDATE outbox SET status = $2, status_detail = $3 \
             WHERE id = $1 AND status NOT IN ('delivered', 'undeliverable')",
        )
        .bind(id)
        .bind(status_name(&status))
        .bind(json_of(&status)?)
        .execute(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        Ok(())
    }

    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT payload, status_detail, attempts, next_attempt_at FROM outbox WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        row.as_ref().map(decode_outbox).transpose()
    }
}
