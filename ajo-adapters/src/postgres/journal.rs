//! [`PgStore`]'s journal: balances and entries.

use ajo_core::ledger::{Account, Book, BookHead, Checkpoint, JournalEntry};
use ajo_core::money::Money;
use ajo_core::ports::{EntryQuery, Journal, StoreError};
use ajo_core::time::Timestamp;
use async_trait::async_trait;
use sqlx::Row;

use super::PgStore;
use super::error::{corrupt, store_error};
use super::rows::{decode_checkpoint, decode_entry, hash_bytes, i64_of, json_of};

fn balance_of(account: &Account, minor: &str) -> Result<Money, StoreError> {
    let minor: i128 = minor
        .parse()
        .map_err(|_| corrupt("a balance is not a whole number of minor units"))?;
    Money::from_minor(minor, account.currency()).map_err(|_| corrupt("a balance is out of range"))
}

/// Rows of `account` and `minor` (a sum as text) as balances, in account order.
fn balances_of(rows: &[sqlx::postgres::PgRow]) -> Result<Vec<(Account, Money)>, StoreError> {
    let mut balances = Vec::with_capacity(rows.len());
    for row in rows {
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

#[async_trait]
impl Journal for PgStore {
    #[tracing::instrument(skip_all, fields(account = %account), err)]
    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        let minor: Option<String> = sqlx::query_scalar(
            // One part per book that posted to it.
            "SELECT sum(balance_minor)::text FROM account_balances WHERE account = $1",
        )
        .bind(json_of(account)?)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        balance_of(account, minor.as_deref().unwrap_or("0"))
    }

    #[tracing::instrument(skip_all, err)]
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        let rows = sqlx::query(
            "SELECT account, sum(balance_minor)::text AS minor FROM account_balances \
                 GROUP BY account",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        balances_of(&rows)
    }

    #[tracing::instrument(skip_all, fields(owner = owner), err)]
    async fn balances_owned_by(&self, owner: &str) -> Result<Vec<(Account, Money)>, StoreError> {
        // By the expression index `account_balances_owner`: one owner's rows, not all.
        let rows = sqlx::query(
            "SELECT account, sum(balance_minor)::text AS minor FROM account_balances \
                 WHERE account->>'owner' = $1 GROUP BY account",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        balances_of(&rows)
    }

    #[tracing::instrument(skip_all, fields(after = query.after, limit = query.limit, by_reference = query.reference.is_some(), by_account = query.account.is_some()), err)]
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError> {
        let after = i64_of(query.after.unwrap_or(0))?;
        let limit = query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let account = query.account.as_ref();
        // The account is matched on the indexed owner, kind and currency columns.
        let rows = sqlx::query(
            "SELECT book, id, seq, posted_at, content, prev_hash, hash FROM journal_entries e \
             WHERE id > $1 AND ($2::text IS NULL OR reference = $2) \
             AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM postings p \
                  WHERE p.book = e.book AND p.entry_id = e.id \
                  AND p.owner = $4 AND p.kind = $5 AND p.currency = $6)) \
             AND ($7::timestamptz IS NULL OR posted_at >= $7) \
             AND ($8::timestamptz IS NULL OR posted_at < $8) \
             AND ($9::text IS NULL OR book = $9) \
             ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(query.reference.as_deref())
        .bind(limit)
        .bind(account.map(Account::owner))
        .bind(account.map(|a| a.kind().to_string()))
        .bind(account.map(|a| a.currency().code().to_owned()))
        .bind(query.from.map(Timestamp::as_datetime))
        .bind(query.until.map(Timestamp::as_datetime))
        .bind(query.book.as_ref().map(Book::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(decode_entry).collect()
    }

    #[tracing::instrument(skip_all, err)]
    async fn heads(&self) -> Result<Vec<BookHead>, StoreError> {
        let rows = sqlx::query(
            "SELECT book, last_seq, last_hash FROM journal_heads WHERE last_seq > 0 \
             ORDER BY book COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let mut heads = rows
            .iter()
            .map(|row| {
                let book: String = row.try_get("book").map_err(|e| store_error(&e))?;
                let seq: i64 = row.try_get("last_seq").map_err(|e| store_error(&e))?;
                let hash: Vec<u8> = row.try_get("last_hash").map_err(|e| store_error(&e))?;
                Ok(BookHead::new(
                    Book::new(book),
                    u64::try_from(seq).map_err(|_| corrupt("a book's head is negative"))?,
                    hash_bytes(&hash)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Book order is Rust's string order, whatever the database's collation.
        heads.sort();
        Ok(heads)
    }

    #[tracing::instrument(skip_all, err)]
    async fn checkpoints(&self, after: u64, limit: usize) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT number, taken_at, heads, prev_hash, root, hash FROM checkpoints \
             WHERE number > $1 ORDER BY number LIMIT $2",
        )
        .bind(i64_of(after)?)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(decode_checkpoint).collect()
    }

    #[tracing::instrument(skip_all, err)]
    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let row = sqlx::query(
            "SELECT number, taken_at, heads, prev_hash, root, hash FROM checkpoints \
             ORDER BY number DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        row.as_ref().map(decode_checkpoint).transpose()
    }
}
