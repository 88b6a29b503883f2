//! The `admin` example: an operator's tool for ajo's books on PostgreSQL.
//!
//! ```text
//! cargo run -q -p ajo-examples --example admin -- verify
//! cargo run -q -p ajo-examples --example admin -- --schema ajo_quickstart verify
//! ```
//!
//! The database is `--database-url`, else `DATABASE_URL`; `--schema` names the schema the
//! store lives in when it is not on the server's default `search_path`. Each subcommand
//! prints one line and exits with a [`Status`]: `0` when the books hold, `1` at the first
//! fault, `2` when the tool could not run (bad arguments, no database, unreadable rows).
//!
//! - `verify` ([`verify`]): the hash chain, the trial balance, every stored balance
//!   against its postings (all by [`ajo_core::ledger::audit`], which any host can call on
//!   its own store), and PostgreSQL's postings table against the journal. It only reads,
//!   on connections that the server holds read-only.

pub mod verify;

use std::process::ExitCode;

use ajo_adapters::postgres::{PgStore, sqlx};
use ajo_core::ports::StoreError;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use crate::pg::{self, OptionsError};

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "admin", about = "Check ajo's books on PostgreSQL")]
pub struct Cli {
    /// The PostgreSQL URL (postgres://user@host:5432/db).
    // The value may hold a password: `SecretString` keeps it out of `Debug`, and the help
    // text shows only the variable's name.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true, value_parser = secret)]
    pub database_url: Option<SecretString>,
    /// The schema the store lives in, when not on the server's default search_path.
    #[arg(long, global = true, value_parser = |s: &str| pg::schema_name(s))]
    pub schema: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Check the hash chain, the trial balance and every balance against its postings.
    Verify,
}

fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value.to_owned()))
}

/// How a run ended, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Everything checked holds: exit code 0.
    Ok,
    /// A check found a fault: exit code 1.
    Fault,
    /// The tool could not run: exit code 2, as for a usage error.
    Error,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(match status {
            Status::Ok => 0,
            Status::Fault => 1,
            Status::Error => 2,
        })
    }
}

/// Why the tool could not run. Never holds the database URL.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AdminError {
    /// Neither `--database-url` nor `DATABASE_URL` was given.
    #[error("no database: pass --database-url postgres://… or set DATABASE_URL")]
    NoDatabase,
    /// The URL or the schema name was refused.
    #[error(transparent)]
    Options(#[from] OptionsError),
    /// The store could not be reached or read.
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    /// The database has no ajo store where the connection looks.
    #[error("no ajo store found ({}): no journal_entries table there", match .schema {
        Some(schema) => format!("in schema {schema}"),
        None => "on the default search_path; pass --schema NAME".to_owned(),
    })]
    NoStore {
        /// The schema asked for, if any.
        schema: Option<String>,
    },
    /// The journal kept growing while it was read, so no consistent copy was had.
    #[error("the journal grew during each of {attempts} reads; try again when it is quieter")]
    Busy {
        /// How many reads were tried.
        attempts: u32,
    },
}

/// Runs the command line: prints one line (`ok: …`, `fault: …` on standard output, or
/// `error: …` on standard error) and answers the exit status.
pub async fn run(cli: Cli) -> Status {
    let outcome = match cli.command {
        Command::Verify => verify_books(&cli).await,
    };
    match outcome {
        Ok(Ok(summary)) => {
            println!("ok: {summary}");
            Status::Ok
        }
        Ok(Err(fault)) => {
            println!("fault: {fault}");
            Status::Fault
        }
        Err(error) => {
            eprintln!("error: {error}");
            Status::Error
        }
    }
}

async fn verify_books(
    cli: &Cli,
) -> Result<Result<verify::Verified, verify::VerifyFault>, AdminError> {
    let store = connect(cli).await?;
    let outcome = verify::verify(&store).await;
    store.pool().close().await;
    outcome
}

/// The store named on the command line, on one connection that the server holds
/// read-only: checking the books must never be able to change them.
///
/// # Errors
/// [`AdminError::NoDatabase`], [`AdminError::Options`], [`AdminError::Store`] if the
/// server cannot be reached, or [`AdminError::NoStore`] if it has no store there.
pub async fn connect(cli: &Cli) -> Result<PgStore, AdminError> {
    let url = cli.database_url.as_ref().ok_or(AdminError::NoDatabase)?;
    let options = pg::options(url.expose_secret(), cli.schema.as_deref())?
        .options([("default_transaction_read_only", "on")]);
    let store = PgStore::connect_with(options, 1).await?;
    // A missing table would otherwise surface as a bare SQLSTATE from the first read.
    let found: Option<bool> =
        sqlx::query_scalar("SELECT to_regclass('journal_entries') IS NOT NULL")
            .fetch_one(store.pool())
            .await
            .map_err(|_| StoreError::Unavailable {
                reason: "the database could not be asked for its tables".into(),
            })?;
    if found != Some(true) {
        store.pool().close().await;
        return Err(AdminError::NoStore {
            schema: cli.schema.clone(),
        });
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn options_go_before_or_after_the_subcommand() {
        for args in [
            ["admin", "--schema", "ajo_quickstart", "verify"],
            ["admin", "verify", "--schema", "ajo_quickstart"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.command, Command::Verify);
            assert_eq!(cli.schema.as_deref(), Some("ajo_quickstart"));
        }
    }

    #[test]
    fn a_schema_that_is_not_a_plain_name_is_a_usage_error() {
        for schema in [
            "",
            "9lives",
            "Ajo",
            "ajo,public",
            "ajo public",
            &"a".repeat(64),
        ] {
            let error = Cli::try_parse_from(["admin", "--schema", schema, "verify"]).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{schema:?}");
        }
        assert!(pg::schema_name(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn exit_codes() {
        for (status, code) in [(Status::Ok, 0), (Status::Fault, 1), (Status::Error, 2)] {
            assert_eq!(ExitCode::from(status), ExitCode::from(code));
        }
    }
}
