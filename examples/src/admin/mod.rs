//! The `admin` example: an operator's tool for ajo's books on PostgreSQL.
//!
//! ```text
//! cargo run -q -p ajo-examples --example admin -- verify
//! cargo run -q -p ajo-examples --example admin -- --schema ajo_quickstart verify
//! cargo run -q -p ajo-examples --example admin -- --schema ajo_quickstart report
//! cargo run -q -p ajo-examples --example admin -- --schema ajo_quickstart --json held
//! ```
//!
//! The database is `--database-url`, else `DATABASE_URL`; `--schema` names the schema the
//! store lives in when it is not on the server's default `search_path` (the quickstart's
//! is `ajo_quickstart`). Every subcommand prints a readable table, or with `--json` one
//! JSON document, on standard output, and exits with a [`Status`]: `0` when all is well,
//! `1` when it found something for a person (a fault in the books, money held for
//! review, a difference with the gateway), `2` when the tool could not run (bad
//! arguments, no database, a refused resolution: nothing was written then), with one
//! `error: …` line on standard error.
//!
//! | subcommand | what it does | connection |
//! |---|---|---|
//! | `verify` ([`verify`]) | the hash chain, the trial balance, every balance against its postings (by [`ajo_core::ledger::audit`]), PostgreSQL's postings table against the journal | read-only |
//! | `report [--from T] [--to T] [--currency C] [--group G \| --member M]` | a [`PeriodReport`](ajo_core::books::PeriodReport) per currency (every currency in the books unless `--currency`); for a group or member, over the entries that touch their accounts | read-only |
//! | `statement (--group G \| --member M) [--from T] [--to T]` | every posting to their accounts with running balances | read-only |
//! | `held` | the review queue; exit code 1 when anything is held | read-only |
//! | `resolve REF (--credit-to G/M \| --credit-to-loan L \| --refund \| --refund-not-made \| --charge M \| --write-off) --by OP --reason TEXT [--key K] [--gateway P]` | settles one held item, once (under `--key`, a retry answers the first answer) | writable |
//! | `reconcile --from T --to T --gateway P` | the books against the gateway's statement, booking its fees; exit code 1 on a difference | writable |
//!
//! `--from` and `--to` take a date (its midnight UTC) or an RFC 3339 time; the span
//! holds `--from` and not `--to` ([`period`]); without them a read covers everything in
//! the journal. `--gateway` takes the provider's key from its environment variable,
//! never a flag ([`gateway`]).

pub mod gateway;
pub mod period;
pub mod read;
pub mod verify;
pub mod write;

use std::process::ExitCode;
use std::sync::Arc;

use ajo_adapters::postgres::{PgStore, sqlx};
use ajo_core::books::PeriodError;
use ajo_core::ids::{GroupId, IdempotencyKey, LoanId, MemberId};
use ajo_core::money::{Currency, MoneyError};
use ajo_core::ports::{
    Clock, EmailSender, Journal, PaymentGateway, SmsSender, StoreError, SystemClock,
};
use ajo_core::service::{AjoService, HeldResolution, ServiceError};
use ajo_testkit::fakes::{FakeEmail, FakeSms};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use self::gateway::GatewayChoice;
use self::read::Whose;
use crate::pg::{self, OptionsError};
use crate::webhook_server::ConfigError;
use crate::webhook_server::wiring::WiringError;

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "admin", about = "Read and settle ajo's books on PostgreSQL")]
pub struct Cli {
    /// The PostgreSQL URL (postgres://user@host:5432/db).
    // The value may hold a password: `SecretString` keeps it out of `Debug`, and the help
    // text shows only the variable's name.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true, value_parser = secret)]
    pub database_url: Option<SecretString>,
    /// The schema the store lives in, when not on the server's default search_path.
    #[arg(long, global = true, value_parser = |s: &str| pg::schema_name(s))]
    pub schema: Option<String>,
    /// Print one JSON document instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Check the hash chain, the trial balance and every balance against its postings.
    Verify,
    /// The books over a period, per currency: collections, payouts, fees, penalties,
    /// interest, deposits, money in review and in dispute.
    Report(ReportArgs),
    /// Every posting to a group's or a member's accounts, with running balances.
    Statement(StatementArgs),
    /// The review queue: money held until a person decides (exit code 1 if any).
    Held,
    /// Settle one item of the review queue.
    Resolve(ResolveArgs),
    /// Compare a period's books with the gateway's statement and book its fees (exit
    /// code 1 on a difference).
    Reconcile(ReconcileArgs),
}

/// `--from` and `--to` of a read: a date (its midnight UTC) or an RFC 3339 time;
/// `--from` is in the span, `--to` is not. Missing, the journal's first or last entry.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Span {
    /// The start, included (a date, its midnight UTC, or an RFC 3339 time).
    #[arg(long, value_parser = period::instant)]
    pub from: Option<DateTime<Utc>>,
    /// The end, excluded (a date, its midnight UTC, or an RFC 3339 time).
    #[arg(long, value_parser = period::instant)]
    pub to: Option<DateTime<Utc>>,
}

/// `report`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ReportArgs {
    /// The span.
    #[command(flatten)]
    pub span: Span,
    /// One currency (NGN); every currency in the books when not given.
    #[arg(long, value_parser = currency)]
    pub currency: Option<Currency>,
    /// A group or a member, when not everyone's.
    #[command(flatten)]
    pub whose: MaybeWhose,
}

/// `--group` or `--member`, or neither.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[group(multiple = false)]
pub struct MaybeWhose {
    /// Only entries touching this group's accounts (its own and its members' in it).
    #[arg(long, value_parser = group_id)]
    pub group: Option<GroupId>,
    /// Only entries touching this member's accounts, in every group they joined.
    #[arg(long, value_parser = member_id)]
    pub member: Option<MemberId>,
}

/// `statement`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct StatementArgs {
    /// The span.
    #[command(flatten)]
    pub span: Span,
    /// The group or the member.
    #[command(flatten)]
    pub whose: OneWhose,
}

/// `--group` or `--member`, exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[group(required = true, multiple = false)]
pub struct OneWhose {
    /// The group's statement: its own accounts and its members' accounts in it.
    #[arg(long, value_parser = group_id)]
    pub group: Option<GroupId>,
    /// The member's statement: their accounts in every group they joined.
    #[arg(long, value_parser = member_id)]
    pub member: Option<MemberId>,
}

/// `resolve`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ResolveArgs {
    /// The held collection's reference, as `held` lists it.
    pub reference: String,
    /// What to do with the money.
    #[command(flatten)]
    pub how: How,
    /// Who decided (the operator's id), kept on the collection's record.
    #[arg(long)]
    pub by: String,
    /// Why, kept on the collection's record.
    #[arg(long)]
    pub reason: String,
    /// An idempotency key: a retry under it answers what the first run did.
    #[arg(long, value_parser = idempotency_key)]
    pub key: Option<IdempotencyKey>,
    /// The payment gateway, needed by --refund; its API key from its environment
    /// variable (PAYSTACK_SECRET_KEY, FLUTTERWAVE_SECRET_KEY, STRIPE_SECRET_KEY).
    #[arg(long, value_enum)]
    pub gateway: Option<GatewayChoice>,
}

/// How held money is resolved: exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[group(required = true, multiple = false)]
pub struct How {
    /// Credit money that arrived to a member in a group, as their payment: GROUP/MEMBER.
    #[arg(long, value_name = "GROUP/MEMBER", value_parser = group_member)]
    pub credit_to: Option<(GroupId, MemberId)>,
    /// Credit money that arrived to a loan, as a repayment.
    #[arg(long, value_name = "LOAN", value_parser = loan_id)]
    pub credit_to_loan: Option<LoanId>,
    /// Refund money that arrived to the payer through the gateway (needs --gateway).
    #[arg(long, requires = "gateway")]
    pub refund: bool,
    /// Charge money that left the gateway to a member, theirs to repay.
    #[arg(long, value_name = "MEMBER", value_parser = member_id)]
    pub charge: Option<MemberId>,
    /// Write it off, either way.
    #[arg(long)]
    pub write_off: bool,
    /// A refund asked earlier is pending, and the gateway shows it was never made: hold
    /// the money again, for another resolution.
    #[arg(long)]
    pub refund_not_made: bool,
}

impl How {
    fn resolution(&self) -> HeldResolution {
        if let Some(loan) = &self.credit_to_loan {
            return HeldResolution::CreditedToLoan { loan: loan.clone() };
        }
        if self.refund_not_made {
            return HeldResolution::RefundNotMade;
        }
        match (&self.credit_to, &self.charge) {
            (Some((group, member)), _) => HeldResolution::Credited {
                group: group.clone(),
                member: member.clone(),
            },
            (None, Some(member)) => HeldResolution::ChargedTo {
                member: member.clone(),
            },
            (None, None) if self.refund => HeldResolution::Refunded,
            (None, None) => HeldResolution::WrittenOff,
        }
    }
}

/// `reconcile`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ReconcileArgs {
    /// The start, included (a date, its midnight UTC, or an RFC 3339 time).
    #[arg(long, value_parser = period::instant)]
    pub from: DateTime<Utc>,
    /// The end, excluded (a date, its midnight UTC, or an RFC 3339 time).
    #[arg(long, value_parser = period::instant)]
    pub to: DateTime<Utc>,
    /// The payment gateway whose statement is read; its API key from its environment
    /// variable (PAYSTACK_SECRET_KEY, FLUTTERWAVE_SECRET_KEY, STRIPE_SECRET_KEY).
    #[arg(long, value_enum)]
    pub gateway: GatewayChoice,
}

fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value.to_owned()))
}

fn group_id(value: &str) -> Result<GroupId, String> {
    GroupId::new(value).map_err(|e| e.to_string())
}

fn member_id(value: &str) -> Result<MemberId, String> {
    MemberId::new(value).map_err(|e| e.to_string())
}

fn loan_id(value: &str) -> Result<LoanId, String> {
    LoanId::new(value).map_err(|e| e.to_string())
}

fn group_member(value: &str) -> Result<(GroupId, MemberId), String> {
    let (group, member) = value
        .split_once('/')
        .ok_or_else(|| format!("{value:?} is not GROUP/MEMBER"))?;
    Ok((group_id(group)?, member_id(member)?))
}

fn currency(value: &str) -> Result<Currency, String> {
    Currency::from_code(value).map_err(|e| e.to_string())
}

fn idempotency_key(value: &str) -> Result<IdempotencyKey, String> {
    IdempotencyKey::new(value).map_err(|e| e.to_string())
}

/// How a run ended, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// All is well: exit code 0.
    Ok,
    /// Something for a person: a fault in the books, money held for review, a
    /// difference with the gateway: exit code 1.
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

/// What a subcommand found: its status, its table and its JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// [`Status::Ok`] or [`Status::Fault`].
    pub status: Status,
    /// The readable form, one or more lines.
    pub text: String,
    /// The `--json` form.
    pub json: serde_json::Value,
}

/// Why the tool could not run. Never holds the database URL or a provider's key.
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
    /// `--from` and `--to` make no span.
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// The service refused or failed; nothing was written.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A total left the range money can hold.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// No such group in the store.
    #[error("no group {0} in the store")]
    UnknownGroup(GroupId),
    /// The member never joined a group in the store.
    #[error("member {0} never joined a group in the store")]
    UnknownMember(MemberId),
    /// A statement needs `--group` or `--member`.
    #[error("a statement needs --group GROUP or --member MEMBER")]
    NoHolder,
    /// The chosen gateway's API key variable is not set.
    #[error("{var} is not set: --gateway takes the provider's API key from it")]
    GatewayKey {
        /// The variable.
        var: &'static str,
    },
    /// The provider's settings were refused (they never name the key).
    #[error("the gateway's settings: {0}")]
    GatewayConfig(#[from] ConfigError),
    /// The gateway's adapter could not be built.
    #[error(transparent)]
    Gateway(#[from] WiringError),
    /// The JSON document could not be made.
    #[error("the JSON output: {0}")]
    Json(#[from] serde_json::Error),
}

/// Runs the command line: prints the outcome (a table, or one JSON document with
/// `--json`) on standard output, or `error: …` on standard error, and answers the exit
/// status.
pub async fn run(cli: Cli) -> Status {
    match outcome(&cli).await {
        Ok(outcome) => {
            if cli.json {
                println!("{:#}", outcome.json);
            } else {
                print!("{}", outcome.text);
                if !outcome.text.ends_with('\n') {
                    println!();
                }
            }
            outcome.status
        }
        Err(error) => {
            eprintln!("error: {error}");
            Status::Error
        }
    }
}

async fn outcome(cli: &Cli) -> Result<Outcome, AdminError> {
    let command = cli.command.clone();
    if command == Command::Verify {
        return verify_books(cli).await;
    }
    let writes = matches!(command, Command::Resolve(_) | Command::Reconcile(_));
    let gateway = match &command {
        Command::Resolve(args) => gateway::gateway(args.gateway)?,
        Command::Reconcile(args) => gateway::gateway(Some(args.gateway))?,
        _ => gateway::gateway(None)?,
    };
    let store = Arc::new(if writes {
        connect_writable(cli).await?
    } else {
        connect(cli).await?
    });
    let service = service(store.clone(), gateway);
    let journal: &dyn Journal = &*store;
    let outcome = match command {
        // `verify` returned above, on its own read-only connection.
        Command::Verify | Command::Held => read::held(&service).await,
        Command::Report(args) => {
            let whose = match args.whose {
                MaybeWhose { group: Some(g), .. } => Whose::Group(g),
                MaybeWhose {
                    member: Some(m), ..
                } => Whose::Member(m),
                MaybeWhose { .. } => Whose::All,
            };
            let span = (args.span.from, args.span.to);
            read::report(&service, journal, span, args.currency, &whose).await
        }
        Command::Statement(args) => {
            let whose = match args.whose {
                OneWhose { group: Some(g), .. } => Whose::Group(g),
                OneWhose {
                    member: Some(m), ..
                } => Whose::Member(m),
                OneWhose { .. } => Whose::All,
            };
            let span = (args.span.from, args.span.to);
            read::statement(&service, journal, span, &whose).await
        }
        Command::Resolve(args) => {
            let why = (args.by.as_str(), args.reason.as_str());
            let resolution = args.how.resolution();
            write::resolve(
                &service,
                &args.reference,
                resolution,
                why,
                args.key.as_ref(),
            )
            .await
        }
        Command::Reconcile(args) => write::reconcile(&service, args.from, args.to).await,
    };
    store.pool().close().await;
    outcome
}

/// The service over `store`, calling `gateway`. Messages the service queues (a credit's
/// receipt, say) wait in the store's outbox for the host's server to deliver: the tool
/// never delivers, so its senders are fakes that only record.
fn service(store: Arc<PgStore>, gateway: Arc<dyn PaymentGateway>) -> AjoService {
    AjoService::new(
        store,
        gateway,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        Arc::new(SystemClock) as Arc<dyn Clock>,
    )
}

async fn verify_books(cli: &Cli) -> Result<Outcome, AdminError> {
    let store = connect(cli).await?;
    let outcome = verify::verify(&store).await;
    store.pool().close().await;
    Ok(match outcome? {
        Ok(summary) => Outcome {
            status: Status::Ok,
            text: format!("ok: {summary}\n"),
            json: serde_json::json!({ "ok": true, "summary": summary.to_string() }),
        },
        Err(fault) => Outcome {
            status: Status::Fault,
            text: format!("fault: {fault}\n"),
            json: serde_json::json!({ "ok": false, "fault": fault.to_string() }),
        },
    })
}

/// The store named on the command line, on one connection that the server holds
/// read-only: checking the books must never be able to change them.
///
/// # Errors
/// [`AdminError::NoDatabase`], [`AdminError::Options`], [`AdminError::Store`] if the
/// server cannot be reached, or [`AdminError::NoStore`] if it has no store there.
pub async fn connect(cli: &Cli) -> Result<PgStore, AdminError> {
    open(cli, true).await
}

/// The store named on the command line, writable, for `resolve` and `reconcile`.
///
/// # Errors
/// As [`connect`].
pub async fn connect_writable(cli: &Cli) -> Result<PgStore, AdminError> {
    open(cli, false).await
}

async fn open(cli: &Cli, read_only: bool) -> Result<PgStore, AdminError> {
    let url = cli.database_url.as_ref().ok_or(AdminError::NoDatabase)?;
    let mut options = pg::options(url.expose_secret(), cli.schema.as_deref())?;
    if read_only {
        options = options.options([("default_transaction_read_only", "on")]);
    }
    // One connection reads; a resolution's transaction and its reads may want two.
    let store = PgStore::connect_with(options, if read_only { 1 } else { 2 }).await?;
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
    #![allow(clippy::unwrap_used, clippy::panic)]

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
    fn a_resolution_is_exactly_one_of_four() {
        let parse = |how: &[&str]| {
            let mut args = vec![
                "admin", "resolve", "ajo=ref", "--by", "ops", "--reason", "r",
            ];
            args.extend_from_slice(how);
            Cli::try_parse_from(args)
        };
        let resolution = |how: &[&str]| match parse(how).unwrap().command {
            Command::Resolve(args) => args.how.resolution(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            resolution(&["--credit-to", "g1/ada"]),
            HeldResolution::Credited {
                group: GroupId::new("g1").unwrap(),
                member: MemberId::new("ada").unwrap()
            }
        );
        assert_eq!(
            resolution(&["--charge", "ada"]),
            HeldResolution::ChargedTo {
                member: MemberId::new("ada").unwrap()
            }
        );
        assert_eq!(resolution(&["--write-off"]), HeldResolution::WrittenOff);
        assert_eq!(
            resolution(&["--credit-to-loan", "dayo-1"]),
            HeldResolution::CreditedToLoan {
                loan: LoanId::new("dayo-1").unwrap()
            }
        );
        assert_eq!(
            resolution(&["--refund-not-made"]),
            HeldResolution::RefundNotMade
        );
        assert_eq!(
            resolution(&["--refund", "--gateway", "paystack"]),
            HeldResolution::Refunded
        );
        for bad in [
            &[][..],
            &["--write-off", "--charge", "ada"],
            &["--refund-not-made", "--credit-to-loan", "dayo-1"],
            &["--refund"],
            &["--credit-to", "g1"],
            &["--write-off", "--gateway", "mpesa"],
        ] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn a_statement_needs_one_holder_and_reconcile_a_span_and_a_gateway() {
        for bad in [
            &["admin", "statement"][..],
            &["admin", "statement", "--group", "g1", "--member", "ada"],
            &["admin", "report", "--from", "yesterday"],
            &[
                "admin",
                "reconcile",
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-01",
            ],
            &["admin", "reconcile", "--gateway", "paystack"],
        ] {
            assert_eq!(
                Cli::try_parse_from(bad).unwrap_err().exit_code(),
                2,
                "{bad:?}"
            );
        }
        let cli = Cli::try_parse_from(["admin", "report", "--json", "--currency", "NGN"]).unwrap();
        assert!(cli.json);
        assert!(matches!(
            cli.command,
            Command::Report(ReportArgs {
                currency: Some(Currency::NGN),
                ..
            })
        ));
    }

    #[test]
    fn exit_codes() {
        for (status, code) in [(Status::Ok, 0), (Status::Fault, 1), (Status::Error, 2)] {
            assert_eq!(ExitCode::from(status), ExitCode::from(code));
        }
    }
}
