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
//! Every [`append`](Store::append) is one call of the SQL function `ajo_append` (migration
//! `0003`, which takes each part as typed arrays): one round trip and one transaction, in
//! which the server checks the idempotency key, moves each stream from its expected version
//! (a conditional update that keeps the stream's row locked until commit), writes the
//! events, wake times and outbox messages, and posts the ledger entries. Appends that post
//! entries lock the one-row `journal_head` table, so journal ids run 1, 2, 3... and each
//! entry's previous hash is the hash of the entry before it, whatever the number of
//! writers: the server computes `SHA-256(previous hash ‖ id ‖ body)` from the body bytes
//! the store sends ([`JournalEntry::chain_body`]), so the chain verifies with
//! [`verify_chain`](ajo_core::ledger::verify_chain). Running balances are kept per account
//! and refused past [`MAX_MINOR`]. Unique keys on events, entry keys and idempotency keys
//! let the database itself refuse a lost update or a double post; a call that loses such a
//! race is retried, and the retry answers with the port's typed outcome.
//! [`read`](Store::read) is one call of `ajo_read`: the events after the versions asked and
//! the idempotency key, in one round trip with a plan made once per connection. Every
//! public operation runs in a `tracing` span (never with the URL, row contents or contact
//! details).

mod error;
mod rows;

/// The sqlx this store is built on, for hosts' own queries on [`PgStore::pool`].
pub use sqlx;
pub use sqlx::postgres::{PgConnectOptions, PgPool};

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ajo_core::ledger::{Account, JournalEntry};
use ajo_core::money::{MAX_MINOR, Money};
use ajo_core::ports::{
    AppendOutcome, AppendRequest, EntryQuery, OutboxOutcome, OutboxRecord, OutboxStatus, ReadFrom,
    RecordedEvent, Store, StoreError, StoreRead, StreamId,
};
use ajo_core::time::Timestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgPoolOptions;

use error::{append_error, corrupt, is_race, store_error};
use rows::{
    append_args, decode_entry, decode_event, decode_outbox, decode_stream, i64_of, json_of,
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
    #[tracing::instrument(name = "pg_connect", skip_all, fields(pool_size = pool_size), err)]
    pub async fn connect(url: &str, pool_size: u32) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| store_error(&e))?;
        PgStore::connect_with(options, pool_size).await
    }

    /// Connects with sqlx's options (to set a `search_path`, TLS or timeouts).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    #[tracing::instrument(name = "pg_connect_with", skip_all, fields(pool_size = pool_size), err)]
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
    #[tracing::instrument(skip_all, err)]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => store_error(&inner),
            sqlx::migrate::MigrateError::VersionMismatch(v) => corrupt(format!(
                "applied migration {v} differs from the embedded one"
            )),
            _ => error::unavailable("migration failed"),
        })
    }
}

fn balance_of(account: &Account, minor: &str) -> Result<Money, StoreError> {
    let minor: i128 = minor
        .parse()
        .map_err(|_| corrupt("a balance is not a whole number of minor units"))?;
    Money::from_minor(minor, account.currency()).map_err(|_| corrupt("a balance is out of range"))
}

#[async_trait]
impl Store for PgStore {
    #[tracing::instrument(skip_all, fields(
        streams = request.streams.len(),
        entries = request.entries.len(),
        messages = request.outbox.len(),
        idempotency_key = request.idempotency_key.as_deref(),
    ), err)]
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        if let Some(entry) = request.entries.iter().find(|e| e.revalidate().is_err()) {
            return Err(StoreError::Unbalanced {
                key: entry.key().to_owned(),
            });
        }
        let args = append_args(&request)?;
        let max_minor = MAX_MINOR.to_string();
        let pending = json_of(&OutboxStatus::Pending)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // One statement, so one round trip and its own transaction: the function
            // writes everything or raises, and the commit follows it.
            let written = sqlx::query_scalar::<_, bool>(
                "SELECT ajo_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                 $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
                 $27::numeric[], $28::numeric[], $29::numeric)",
            )
            .bind(request.idempotency_key.as_deref())
            .bind(request.at.as_datetime())
            .bind(&args.stream_kind)
            .bind(&args.stream_id)
            .bind(&args.stream_expected)
            .bind(&args.stream_added)
            .bind(&args.stream_wake)
            .bind(&args.event_stream)
            .bind(&args.event_version)
            .bind(&args.event_payload)
            .bind(&args.outbox_id)
            .bind(&args.outbox_payload)
            .bind(&pending)
            .bind(&args.entry_key)
            .bind(&args.entry_memo)
            .bind(&args.entry_reference)
            .bind(&args.entry_reverses)
            .bind(&args.entry_content)
            .bind(&args.entry_body)
            .bind(&args.posting_entry)
            .bind(&args.posting_account)
            .bind(&args.posting_owner)
            .bind(&args.posting_kind)
            .bind(&args.posting_currency)
            .bind(&args.posting_minor_units)
            .bind(&args.posting_side)
            .bind(&args.posting_amount)
            .bind(&args.posting_amount_minor)
            .bind(&max_minor)
            .fetch_one(&self.pool)
            .await;
            match written {
                Ok(true) => return Ok(AppendOutcome::Appended),
                Ok(false) => return Ok(AppendOutcome::Duplicate),
                Err(error) => {
                    if let Some(answer) = append_error(&error, &request) {
                        return Err(answer);
                    }
                    // A lost race (two writers inserting one key at once): the next
                    // attempt reads the winner's rows and answers itself.
                    if is_race(&error) && attempt < RACE_ATTEMPTS {
                        continue;
                    }
                    return Err(store_error(&error));
                }
            }
        }
    }

    #[tracing::instrument(skip_all, fields(stream = %stream), err)]
    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, recorded_at, payload::text AS payload FROM events \
             WHERE stream_kind = $1 AND stream_id = $2 ORDER BY version",
        )
        .bind(stream.kind.as_str())
        .bind(&stream.id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(|row| decode_event(stream, row)).collect()
    }

    #[tracing::instrument(skip_all, fields(streams = streams.len()), err)]
    async fn load_many(&self, streams: &[StreamId]) -> Result<Vec<Vec<RecordedEvent>>, StoreError> {
        let kinds: Vec<&str> = streams.iter().map(|s| s.kind.as_str()).collect();
        let ids: Vec<&str> = streams.iter().map(|s| s.id.as_str()).collect();
        let rows = sqlx::query(
            // LATERAL: one primary-key range scan per stream, whatever the table's size.
            "SELECT asked.n, e.version, e.recorded_at, e.payload::text AS payload \
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS asked (kind, id, n) \
             CROSS JOIN LATERAL (SELECT version, recorded_at, payload FROM events \
               WHERE stream_kind = asked.kind AND stream_id = asked.id ORDER BY version) e \
             ORDER BY asked.n, e.version",
        )
        .bind(&kinds)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let mut loaded: Vec<Vec<RecordedEvent>> = streams.iter().map(|_| Vec::new()).collect();
        for row in &rows {
            let n: i64 = row.try_get("n").map_err(|e| store_error(&e))?;
            let index = usize::try_from(n - 1)
                .map_err(|_| corrupt("a stream's position in the query is out of range"))?;
            let (Some(stream), Some(events)) = (streams.get(index), loaded.get_mut(index)) else {
                return Err(corrupt("a stream's position in the query is out of range"));
            };
            events.push(decode_event(stream, row)?);
        }
        Ok(loaded)
    }

    #[tracing::instrument(skip_all, fields(streams = streams.len(), idempotency_key), err)]
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        let kinds: Vec<&str> = streams.iter().map(|s| s.stream.kind.as_str()).collect();
        let ids: Vec<&str> = streams.iter().map(|s| s.stream.id.as_str()).collect();
        let after = streams
            .iter()
            .map(|s| i64_of(s.after))
            .collect::<Result<Vec<_>, _>>()?;
        // `ajo_read` (migration 0003): a row with n = 0 when the key is recorded, then the
        // events, by the stream's position in the request (from 1) and version.
        let rows =
            sqlx::query("SELECT n, version, recorded_at, payload FROM ajo_read($1, $2, $3, $4)")
                .bind(&kinds)
                .bind(&ids)
                .bind(&after)
                .bind(idempotency_key)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| store_error(&e))?;
        let mut events: Vec<Vec<RecordedEvent>> = streams.iter().map(|_| Vec::new()).collect();
        let mut key_recorded = false;
        for row in &rows {
            let n: i32 = row.try_get("n").map_err(|e| store_error(&e))?;
            if n == 0 {
                key_recorded = true;
                continue;
            }
            let index = usize::try_from(n - 1)
                .map_err(|_| corrupt("a stream's position in the read is out of range"))?;
            let (Some(from), Some(list)) = (streams.get(index), events.get_mut(index)) else {
                return Err(corrupt("a stream's position in the read is out of range"));
            };
            list.push(decode_event(&from.stream, row)?);
        }
        Ok(StoreRead::new(events, key_recorded))
    }

    #[tracing::instrument(skip_all, fields(idempotency_key = key), err)]
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM idempotency_keys WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| store_error(&e))?;
        Ok(row.is_some())
    }

    #[tracing::instrument(skip_all, fields(now = %now, limit = limit), err)]
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT stream_kind, stream_id FROM streams WHERE wake_at <= $1 \
             ORDER BY wake_at, stream_kind, stream_id COLLATE \"C\" LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(decode_stream).collect()
    }

    #[tracing::instrument(skip_all, fields(account = %account), err)]
    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        let minor: Option<String> = sqlx::query_scalar(
            "SELECT balance_minor::text FROM account_balances WHERE account = $1",
        )
        .bind(json_of(account)?)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        balance_of(account, minor.as_deref().unwrap_or("0"))
    }

    #[tracing::instrument(skip_all, err)]
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        let rows =
            sqlx::query("SELECT account, balance_minor::text AS minor FROM account_balances")
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

    #[tracing::instrument(skip_all, fields(after = query.after, limit = query.limit, by_reference = query.reference.is_some()), err)]
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

    #[tracing::instrument(skip_all, fields(worker = worker, limit = limit), err)]
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let until = Timestamp::from(now).saturating_add_std(lease).as_datetime();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // SKIP LOCKED: two workers claiming at once split the messages, never share one.
        let rows = sqlx::query(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
               AND (lease_until IS NULL OR lease_until <= $3) \
               ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING seq, payload::text AS payload, status_detail, attempts, next_attempt_at",
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

    #[tracing::instrument(skip_all, fields(message_id = id), err)]
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

    #[tracing::instrument(skip_all, fields(message_id = message_id), err)]
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

    #[tracing::instrument(skip_all, fields(message_id = id), err)]
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT payload::text AS payload, status_detail, attempts, next_attempt_at FROM outbox \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        row.as_ref().map(decode_outbox).transpose()
    }
}
