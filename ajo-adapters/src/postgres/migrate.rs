//! Running the embedded migrations one statement at a time.
//!
//! sqlx sends each migration file as one text of many statements. Citus refuses that as
//! soon as a statement is propagated to the workers (`CREATE INDEX` on a distributed
//! table: "cannot insert multiple commands into a prepared statement"), so each file is
//! split into its statements here and each is sent alone, in the file's transaction. The
//! bookkeeping is sqlx's own (`_sqlx_migrations`, its lock, its checksums), so a
//! database migrated by either runner is taken up by the other.

use std::time::Instant;

use sqlx::migrate::{Migrate, MigrateError, Migration, Migrator};
use sqlx::{Connection, Executor, PgConnection};

/// Applies what `migrator` holds and `conn` has not applied, in version order, each file
/// in one transaction with its record, under sqlx's migration lock.
pub(crate) async fn run(migrator: &Migrator, conn: &mut PgConnection) -> Result<(), MigrateError> {
    conn.lock().await?;
    let outcome = apply_pending(migrator, conn).await;
    let unlocked = conn.unlock().await;
    outcome.and(unlocked)
}

async fn apply_pending(migrator: &Migrator, conn: &mut PgConnection) -> Result<(), MigrateError> {
    conn.ensure_migrations_table().await?;
    if let Some(version) = conn.dirty_version().await? {
        return Err(MigrateError::Dirty(version));
    }
    let applied = conn.list_applied_migrations().await?;
    for done in &applied {
        if !migrator.iter().any(|m| m.version == done.version) {
            return Err(MigrateError::VersionMissing(done.version));
        }
    }
    for migration in migrator.iter() {
        if migration.migration_type.is_down_migration() {
            continue;
        }
        match applied.iter().find(|a| a.version == migration.version) {
            Some(done) if done.checksum != migration.checksum => {
                return Err(MigrateError::VersionMismatch(migration.version));
            }
            Some(_) => {}
            None => apply(conn, migration).await?,
        }
    }
    Ok(())
}

async fn apply(conn: &mut PgConnection, migration: &Migration) -> Result<(), MigrateError> {
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    for statement in statements(&migration.sql) {
        tx.execute(statement)
            .await
            .map_err(|e| MigrateError::ExecuteMigration(e, migration.version))?;
    }
    let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, TRUE, $3, $4)",
    )
    .bind(migration.version)
    .bind(&*migration.description)
    .bind(&*migration.checksum)
    .bind(nanos)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The statements of a SQL text, each without its `;`, blank ones left out: split at
/// every `;` that is not in a comment, a quoted string or identifier, or a dollar-quoted
/// body (`$$ … $$`, `$tag$ … $tag$`).
pub(crate) fn statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        i = match (b, next) {
            (b'-', Some(b'-')) => find(bytes, i + 2, b"\n").map_or(bytes.len(), |end| end + 1),
            (b'/', Some(b'*')) => find(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2),
            (b'\'', _) | (b'"', _) => closing_quote(bytes, i + 1, b),
            (b'$', _) => match dollar_tag(bytes, i) {
                Some(tag) => {
                    find(bytes, i + tag.len(), tag).map_or(bytes.len(), |end| end + tag.len())
                }
                None => i + 1,
            },
            (b';', _) => {
                push(&mut out, sql.get(start..i));
                start = i + 1;
                i + 1
            }
            _ => i + 1,
        };
    }
    push(&mut out, sql.get(start..));
    out
}

fn push<'a>(out: &mut Vec<&'a str>, statement: Option<&'a str>) {
    if let Some(statement) = statement
        && !only_comments(statement)
    {
        out.push(statement.trim());
    }
}

/// Whether a piece holds nothing but blanks and `--` comments (what follows the last `;`
/// of a file, say).
fn only_comments(piece: &str) -> bool {
    piece
        .lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with("--"))
}

/// The index just past the quote that closes a string or identifier opened before
/// `from` (a doubled quote is one quote inside it).
fn closing_quote(bytes: &[u8], from: usize, quote: u8) -> usize {
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The dollar-quote tag (`$$` or `$name$`) starting at `at`, if one does.
fn dollar_tag(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let rest = bytes.get(at + 1..)?;
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    // `$1` is a parameter, not a tag: a tag does not start with a digit.
    if rest.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    (rest.get(len) == Some(&b'$')).then(|| bytes.get(at..at + len + 2))?
}

/// Where `needle` first occurs in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_outside_comments_quotes_and_bodies() {
        let sql = "-- a comment; not a split\n\
                   CREATE TABLE t (a TEXT DEFAULT 'x;y', \"b;\" INT);\n\
                   /* block; comment */ INSERT INTO t VALUES ('it''s; fine', 1);\n\
                   CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n\
                   BEGIN RETURN 1; END;\n\
                   $$;\n\
                   DO $body$ BEGIN PERFORM 1; END $body$;\n\
                   SELECT $1::text;\n\
                   -- trailing comment\n";
        let parts = statements(sql);
        assert_eq!(parts.len(), 5, "{parts:#?}");
        assert!(parts[0].ends_with("\"b;\" INT)"));
        assert!(parts[1].ends_with("('it''s; fine', 1)"));
        assert!(parts[2].contains("BEGIN RETURN 1; END;"));
        assert!(parts[3].starts_with("DO $body$"));
        assert_eq!(parts[4], "SELECT $1::text");
    }

    #[test]
    fn every_embedded_migration_splits_into_whole_statements() {
        for migration in super::super::MIGRATOR.iter() {
            let parts = statements(&migration.sql);
            assert!(!parts.is_empty(), "{}", migration.version);
            for part in parts {
                // Each piece is a statement PostgreSQL can take alone: no dangling
                // dollar-quote or quote.
                assert_eq!(part.matches("$$").count() % 2, 0, "{part}");
            }
        }
    }
}
