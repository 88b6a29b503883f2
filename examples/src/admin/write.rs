//! The subcommands that write: `resolve` (an item of the review queue) and `reconcile`
//! (a period against the gateway's statement, booking its fees). Both go through the
//! service, on a writable connection, so each writes what a host would, once.

use std::fmt::Write as _;

use ajo_core::ids::IdempotencyKey;
use ajo_core::service::{AjoService, HeldResolution, Resolved};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{AdminError, Outcome, Status};

/// `resolve`: settles the money held under `reference` as the operator `by` decided,
/// for `reason`; under `key` a retry answers what the first run did.
///
/// # Errors
/// [`AdminError::Service`] when the service refuses (nothing held, a refund waiting, a
/// resolution that does not fit the money, no reason) or the store or gateway fails;
/// nothing is written then.
pub async fn resolve(
    service: &AjoService,
    reference: &str,
    resolution: HeldResolution,
    (by, reason): (&str, &str),
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, AdminError> {
    let resolved = match key {
        Some(key) => {
            service
                .idempotent(key)
                .resolve_held(reference, resolution, by, reason)
                .await?
        }
        None => {
            service
                .resolve_held(reference, resolution, by, reason)
                .await?
        }
    };
    let text = match &resolved {
        Resolved::Booked { amount } => {
            format!(
                "resolved {reference}: {} booked out of review\n",
                amount.human()
            )
        }
        Resolved::RefundPending { amount } => format!(
            "refund of {} asked for {reference}: it stays held until the gateway confirms\n",
            amount.human()
        ),
        Resolved::HeldAgain => {
            format!("{reference}: the refund was never made; the money is held again\n")
        }
        other => format!("resolved {reference}: {other:?}\n"),
    };
    Ok(Outcome {
        status: Status::Ok,
        text,
        json: json!({ "reference": reference, "resolved": resolved }),
    })
}

/// `reconcile`: the books of `[from, until)` against the gateway's statement. A
/// difference is a fault (exit code 1); the provider's fees on the statement are booked
/// either way, once.
///
/// # Errors
/// [`AdminError::Service`] for an empty period, the gateway's error listing its
/// statement, or a store error.
pub async fn reconcile(
    service: &AjoService,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Outcome, AdminError> {
    let found = service.reconcile(from, until).await?;
    let report = &found.report;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Reconciliation with {} from {} until {}: {}",
        found.provider,
        found.from,
        found.until,
        if found.is_clean() {
            "clean"
        } else {
            "differences found"
        }
    );
    let _ = writeln!(text, "  matched               {:>6}", report.matched.len());
    let _ = writeln!(
        text,
        "  fees booked           {:>6}",
        found.fees_booked.len()
    );
    for line in &report.missing_in_ledger {
        let _ = writeln!(
            text,
            "  not in the books      {:<40} {:>16}",
            line.reference,
            line.amount.human().to_string()
        );
    }
    for line in &report.missing_in_statement {
        let _ = writeln!(
            text,
            "  not at the gateway    {:<40} {:>16}",
            line.reference,
            line.amount.human().to_string()
        );
    }
    for mismatch in &report.amount_mismatches {
        let _ = writeln!(
            text,
            "  amounts differ        {:<40} books {} gateway {}",
            mismatch.reference,
            mismatch.ledger.human(),
            mismatch.statement.human()
        );
    }
    for mismatch in &found.fee_differences {
        let _ = writeln!(
            text,
            "  fee differs           {:<40} booked {} gateway {}",
            mismatch.reference,
            mismatch.ledger.human(),
            mismatch.statement.human()
        );
    }
    Ok(Outcome {
        status: if found.is_clean() {
            Status::Ok
        } else {
            Status::Fault
        },
        text,
        json: serde_json::to_value(&found)?,
    })
}
