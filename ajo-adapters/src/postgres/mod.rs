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
//! Every [`append`](Store::append) is one call of the SQL function `ajo_append_keyed`
//! (migration `0005`: the idempotency key with its fingerprint and answer, then
//! `ajo_append` of migration `0003`, which takes each part as typed arrays): one round
//! trip and one transaction, in which the server records the idempotency key, moves each stream from its expected version
//! (a conditional update that keeps the stream's row locked until commit), writes the
//! events, wake times and outbox messages, and posts the ledger entries (migration
//! `0008`). Each entry goes into its book ([`AppendRequest::entry_books`]); an append
//! locks only the heads of the books it writes (`journal_heads`, in book order), so
//! positions in a book run 1, 2, 3... and each entry's previous hash is the hash of the
//! book's entry before it, whatever the number of writers, and appends to different
//! books never wait on each other: the server computes `SHA-256(previous hash ‖ position
//! ‖ body)` from the body bytes the store sends
//! ([`JournalEntry::chain_body`](ajo_core::ledger::JournalEntry::chain_body)), so the
//! chains verify with
//! [`verify_chain`](ajo_core::ledger::verify_chain). Running balances are kept per book
//! and account, summed when read, each part refused past [`MAX_MINOR`]. Unique keys on events, entry keys and idempotency keys
//! let the database itself refuse a lost update or a double post; a call that loses such a
//! race is retried, and the retry answers with the port's typed outcome.
//! [`read`](ajo_core::ports::EventLog::read) is one call of `ajo_read`: the events after
//! the versions asked and the idempotency key, in one round trip with a plan made once per
//! connection, answered for every stream asked (empty for one without events). Every
//! public operation runs in a `tracing` span (never with the URL, row contents or contact
//! details).
//!
//! A read or an append that succeeded keeps its connection for the store's next one
//! instead of handing it back to sqlx, whose pool pings every connection returned to it:
//! one round trip a statement, not two. The pool gets kept connections back when it has
//! none spare, when they sit idle 30 s, and when it is closed (docs/postgres.md).

mod error;
mod events;
mod held;
mod journal;
mod migrate;
mod outbox;
mod rows;

/// The sqlx this store is built on, for hosts' own queries on [`PgStore::pool`].
pub use sqlx;
pub use sqlx::postgres::{PgConnectOptions, PgPool};

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ajo_core::ledger::Checkpoint;
use ajo_core::money::MAX_MINOR;
use ajo_core::ports::{AppendOutcome, AppendRequest, OutboxStatus, Store, StoreError};
use async_trait::async_trait;
use sqlx::Connection;
use sqlx::postgres::PgPoolOptions;

use error::{append_error, corrupt, is_race, store_error};
use held::Held;
use rows::{append_args, json_of};

/// The embedded, versioned schema migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A pooled connection idle this long is pinged before it is handed out again.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// How many times an append that lost a race is tried again before giving up.
const RACE_ATTEMPTS: u32 = 8;

/// A [`Store`] on PostgreSQL.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Connections kept between reads and appends, out of sqlx's ping on release.
    held: Held,
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
            // sqlx pings every connection it hands out by default: one more round trip
            // before each of a contribution's five statements, which doubled its time
            // with few tasks (docs/performance.md). A connection in steady use shows a
            // fault on the statement itself, as a retryable `Unavailable`; only one
            // that sat idle long enough for a server or proxy to drop it is pinged.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_AFTER_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| store_error(&e))?;
        let held = Held::new(&pool);
        Ok(PgStore { pool, held })
    }

    /// A store on an existing pool.
    pub fn from_pool(pool: PgPool) -> PgStore {
        let held = Held::new(&pool);
        PgStore { pool, held }
    }

    /// The pool, for the host's own queries.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Brings the schema up to date. Safe to run again and from several hosts at once:
    /// applied migrations are recorded (sqlx's `_sqlx_migrations`) and an advisory lock
    /// is held while it runs. Each statement of a migration is sent alone, in the
    /// migration's transaction, as Citus needs (docs/postgres.md).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the database cannot be reached or refuses a
    /// migration; [`StoreError::Corrupt`] if an applied migration differs from the
    /// embedded one or is not embedded at all.
    #[tracing::instrument(skip_all, err)]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(|e| store_error(&e))?;
        migrate::run(&MIGRATOR, &mut conn)
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(inner)
                | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => store_error(&inner),
                sqlx::migrate::MigrateError::VersionMismatch(v) => corrupt(format!(
                    "applied migration {v} differs from the embedded one"
                )),
                sqlx::migrate::MigrateError::VersionMissing(v) => {
                    corrupt(format!("applied migration {v} is not embedded in this ajo"))
                }
                _ => error::unavailable("migration failed"),
            })
    }
}

impl PgStore {
    /// On a Citus coordinator, after [`migrate`](Self::migrate): distributes the store's
    /// tables by book, colocated, so each book's rows live on one node and each statement
    /// of an append names one shard; idempotency keys by key; checkpoints on every node;
    /// and delegates `ajo_append_keyed` to the node holding the append's book
    /// (`citus/distribute.sql`, docs/postgres.md). Run it once, on empty tables.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the database is not Citus or refuses a statement
    /// (tables already distributed, say).
    #[tracing::instrument(skip_all, err)]
    pub async fn distribute_on_citus(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(|e| store_error(&e))?;
        for statement in migrate::statements(include_str!("../../citus/distribute.sql")) {
            sqlx::query(statement)
                .execute(&mut *conn)
                .await
                .map_err(|e| store_error(&e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Store for PgStore {
    #[tracing::instrument(skip_all, fields(
        streams = request.streams.len(),
        entries = request.entries.len(),
        messages = request.outbox.len(),
        idempotency_key = request.idempotency_key.as_ref().map(|k| k.key.as_str()),
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
        let key = request.idempotency_key.as_ref();
        let book = request.book().as_str().to_owned();
        let mut attempt = 0;
        loop {
            attempt += 1;
            // One statement, so one round trip and its own transaction: the function
            // writes everything or raises, and the commit follows it.
            let written = sqlx::query_scalar::<_, bool>(
                "SELECT ajo_append_keyed($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                 $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
                 $27, $28, $29, $30, $31, $32::numeric[], $33::numeric[], $34::numeric)",
            )
            .bind(&book)
            .bind(key.map(|k| k.key.as_str()))
            .bind(key.and_then(|k| k.fingerprint.as_deref()))
            .bind(key.and_then(|k| k.result.as_deref()))
            .bind(request.at.as_datetime())
            .bind(&args.stream_kind)
            .bind(&args.stream_id)
            .bind(&args.stream_book)
            .bind(&args.stream_expected)
            .bind(&args.stream_added)
            .bind(&args.stream_wake)
            .bind(&args.event_stream)
            .bind(&args.event_version)
            .bind(&args.event_payload)
            .bind(&args.outbox_id)
            .bind(&args.outbox_payload)
            .bind(&pending)
            .bind(&args.entry_book)
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
            .bind(&max_minor);
            let mut lease = self
                .held
                .lease(&self.pool)
                .await
                .map_err(|e| store_error(&e))?;
            let written = written.fetch_one(lease.conn()).await;
            if written.is_ok() {
                lease.done();
            }
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

    #[tracing::instrument(skip_all, fields(number = checkpoint.number()), err)]
    async fn record_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let number = rows::i64_of(checkpoint.number())?;
        // Inserted only if it follows the last one (migration 0009): a primary key on the
        // number and a check of the previous hash, in one statement, so two checkpointers
        // cannot both win.
        let written: bool =
            sqlx::query_scalar("SELECT ajo_record_checkpoint($1, $2, $3, $4, $5, $6)")
                .bind(number)
                .bind(checkpoint.at().as_datetime())
                .bind(json_of(checkpoint.heads())?)
                .bind(checkpoint.prev().0.as_slice())
                .bind(checkpoint.root().0.as_slice())
                .bind(checkpoint.hash().0.as_slice())
                .fetch_one(&self.pool)
                .await
                .map_err(|e| store_error(&e))?;
        if written {
            Ok(())
        } else {
            Err(StoreError::CheckpointConflict {
                number: checkpoint.number(),
            })
        }
    }
}
