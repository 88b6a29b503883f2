//! Reconciling a period with the gateway's statement, and booking the provider's fees.
//!
//! A gateway's statement lists each charge, payout and refund with its amount and the
//! fee the provider kept; the books have each movement through the gateway's clearing
//! account. [`AjoService::reconcile`] compares the two for one period, both ways, by
//! reference: what matched, what the gateway moved that the books do not have, what the
//! books have that the gateway does not, and amounts that differ. The fees on the
//! statement are booked as it goes (clearing → the provider's fee account, once per
//! reference), so the clearing account follows the gateway's balance, which moves net of
//! fees. A period with any difference raises one alert.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{AjoService, ServiceError};
use crate::group::GroupAccounts;
use crate::ledger::{
    Account, AccountKind, AmountMismatch, EntryDraft, ReconciliationReport, StatementLine,
    clearing_movements, reconcile,
};
use crate::ports::{AlertKind, AppendRequest, EntryQuery};
use crate::time::Timestamp;

/// What [`AjoService::reconcile`] found and booked for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reconciliation {
    /// The gateway reconciled with.
    pub provider: String,
    /// The period's start (in it).
    pub from: DateTime<Utc>,
    /// The period's end (not in it).
    pub until: DateTime<Utc>,
    /// Matched, missing in the books, missing at the gateway, amounts that differ.
    pub report: ReconciliationReport,
    /// The provider's fees this run booked (earlier runs' are not booked again).
    pub fees_booked: Vec<StatementLine>,
    /// Fees the statement now gives otherwise than booked before: left as booked, for a
    /// person to look at.
    pub fee_differences: Vec<AmountMismatch>,
}

impl Reconciliation {
    /// Whether the books and the statement agree for the period.
    pub fn is_clean(&self) -> bool {
        self.report.is_clean() && self.fee_differences.is_empty()
    }
}

/// How many days back `tick`'s daily reconciliation looks for a day not yet reconciled.
pub const RECONCILE_DAYS_BACK: u64 = 7;

/// The account of what `provider` kept as fees in `currency`.
pub fn gateway_fees(provider: &str, currency: crate::money::Currency) -> Account {
    Account::new(provider, AccountKind::GatewayFees, currency)
}

impl AjoService {
    /// Reconciles `[from, until)` with the gateway's statement for it: the clearing
    /// movements of entries posted in the period against the statement's lines, by
    /// reference ([`reconcile`]); fees on the statement booked once each; one alert
    /// ([`AlertKind::ReconciliationDifference`]) when anything differs. Safe to run
    /// again: nothing is booked or raised twice.
    ///
    /// A movement near either end of the period may fall on the other side at the
    /// gateway (a charge booked at 23:59:59 the gateway dates the next day): reconcile
    /// overlapping periods, or read such lines with the next day's report.
    ///
    /// # Errors
    /// [`ServiceError::EmptyPeriod`] for a period that does not end after it starts; a
    /// gateway error listing the statement; a store error.
    #[instrument(skip_all, fields(%from, %until))]
    pub async fn reconcile(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Reconciliation, ServiceError> {
        super::logged(async move {
            if until <= from {
                return Err(ServiceError::EmptyPeriod { from, until });
            }
            let provider = self.gateway.provider();
            let statement = self.gateway.list_transactions(from, until).await?;
            let window = EntryQuery::default().between(from, until);
            let books = self.store.entries(&window).await?;
            let report = reconcile(clearing_movements(&books), statement.clone());

            let mut booked_fees = std::collections::BTreeMap::new();
            let mut currencies = std::collections::BTreeSet::new();
            for line in &statement {
                if let Some(fee) = line.fee.filter(|f| !f.is_zero()) {
                    currencies.insert(fee.currency());
                }
            }
            for currency in currencies {
                let account = gateway_fees(provider, currency);
                let query = EntryQuery::default().account(account);
                for entry in self.store.entries(&query).await? {
                    let fee = entry.entry().postings().iter().find_map(|p| {
                        (p.account.kind() == AccountKind::GatewayFees).then_some(match p.side {
                            crate::ledger::Side::Debit => p.amount,
                            crate::ledger::Side::Credit => p.amount.negated(),
                        })
                    });
                    if let Some(fee) = fee {
                        booked_fees.insert(entry.entry().key().to_owned(), fee);
                    }
                }
            }
            let mut entries = Vec::new();
            let mut fees_booked = Vec::new();
            let mut fee_differences = Vec::new();
            // A reference can carry several fees (a second charge under it): each line's
            // is keyed by its place among the lines of its reference and currency.
            let mut seen: std::collections::BTreeMap<(&str, crate::money::Currency), usize> =
                std::collections::BTreeMap::new();
            for line in &statement {
                let Some(fee) = line.fee.filter(|f| !f.is_zero()) else {
                    continue;
                };
                let n = seen
                    .entry((line.reference.as_str(), fee.currency()))
                    .and_modify(|n| *n += 1)
                    .or_insert(1);
                let key = format!(
                    "fee:{provider}:{}:{}:{n}",
                    line.reference,
                    fee.currency().code()
                );
                match booked_fees.get(&key) {
                    Some(booked) if *booked == fee => continue,
                    Some(booked) => {
                        fee_differences.push(AmountMismatch {
                            reference: line.reference.clone(),
                            ledger: *booked,
                            statement: fee,
                        });
                        continue;
                    }
                    None => {}
                }
                booked_fees.insert(key.clone(), fee);
                let fees = gateway_fees(provider, fee.currency());
                let clearing = GroupAccounts::clearing_for(fee.currency());
                let draft = EntryDraft::new(key, format!("{provider} fee: {}", line.reference))
                    .reference(line.reference.as_str());
                // A negative fee is one the provider gave back.
                let entry = if fee.is_positive() {
                    draft.debit(fees, fee).credit(clearing, fee)
                } else {
                    draft.debit(clearing, fee.negated()).credit(fees, fee.negated())
                }
                .balance()?;
                entries.push(entry);
                fees_booked.push(StatementLine::new(line.reference.as_str(), fee));
            }
            let found = Reconciliation {
                provider: provider.to_owned(),
                from,
                until,
                report,
                fees_booked,
                fee_differences,
            };
            let mut outbox = Vec::new();
            if !found.is_clean() {
                let period = format!(
                    "{}..{}",
                    Timestamp::from(from).as_datetime().to_rfc3339(),
                    Timestamp::from(until).as_datetime().to_rfc3339()
                );
                let differences = found.report.missing_in_ledger.len()
                    + found.report.missing_in_statement.len()
                    + found.report.amount_mismatches.len()
                    + found.fee_differences.len();
                outbox.push(self.alert(
                    AlertKind::ReconciliationDifference,
                    &format!("{provider}:{period}"),
                    &period,
                    None,
                    format!(
                        "{differences} differences between the books and {provider}'s statement for {period}"
                    ),
                ));
                tracing::warn!(%provider, %period, differences, "reconciliation found differences");
            }
            if !entries.is_empty() || !outbox.is_empty() {
                self.store
                    .append(AppendRequest {
                        streams: Vec::new(),
                        entries,
                        outbox,
                        idempotency_key: None,
                        at: self.now().into(),
                    })
                    .await?;
            }
            Ok(found)
        })
        .await
    }

    /// `tick`'s daily reconciliation: each UTC day of the last
    /// [`RECONCILE_DAYS_BACK`] that is over and not yet reconciled, oldest first, once
    /// each (a day no tick ran after is not skipped). Answers how many were reconciled.
    pub(super) async fn reconcile_days_over(
        &self,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let today = now.date_naive();
        let mut done = 0;
        for back in (1..=RECONCILE_DAYS_BACK).rev() {
            let Some(day) = today.checked_sub_days(chrono::Days::new(back)) else {
                continue;
            };
            let key = format!("reconciled:{}:{day}", self.gateway.provider());
            if self.store.has_idempotency_key(&key).await? {
                continue;
            }
            let (Some(from), Some(until)) = (
                day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()),
                day.succ_opt()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc()),
            ) else {
                continue;
            };
            debug_assert_eq!(until - from, Duration::days(1));
            self.reconcile(from, until).await?;
            self.store
                .append(AppendRequest {
                    streams: Vec::new(),
                    entries: Vec::new(),
                    outbox: Vec::new(),
                    idempotency_key: Some(key.as_str().into()),
                    at: now.into(),
                })
                .await?;
            done += 1;
        }
        Ok(done)
    }
}
