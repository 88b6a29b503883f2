//! Comparing the ledger with a payment gateway's statement.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

/// One line of a statement: a reference and the signed amount that moved under it (money
/// into the gateway positive, out negative). Also the shape of the ledger's side, from
/// [`Ledger::clearing_movements`](super::Ledger::clearing_movements).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatementLine {
    /// The gateway reference.
    pub reference: String,
    /// The signed amount, before the provider's fee.
    pub amount: Money,
    /// What the provider kept of it (its fee), when the statement says: the gateway's
    /// balance moved by `amount` less this. Booked by
    /// [`AjoService::reconcile`](crate::service::AjoService::reconcile); never on the
    /// ledger's side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Money>,
}

impl StatementLine {
    /// A line without a fee.
    pub fn new(reference: impl Into<String>, amount: Money) -> StatementLine {
        StatementLine {
            reference: reference.into(),
            amount,
            fee: None,
        }
    }

    /// The same line, the provider having kept `fee` of it.
    #[must_use]
    pub fn with_fee(mut self, fee: Money) -> StatementLine {
        self.fee = Some(fee);
        self
    }
}

/// A reference both sides know, with different amounts (or currencies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountMismatch {
    /// The reference.
    pub reference: String,
    /// What the ledger recorded.
    pub ledger: Money,
    /// What the statement says.
    pub statement: Money,
}

/// The outcome of [`reconcile`]. Every list is sorted by reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReconciliationReport {
    /// References on both sides with the same amount.
    pub matched: Vec<StatementLine>,
    /// On the statement, not in the ledger: money moved that ajo did not record.
    pub missing_in_ledger: Vec<StatementLine>,
    /// In the ledger, not on the statement: recorded but not (yet) seen by the gateway.
    pub missing_in_statement: Vec<StatementLine>,
    /// On both sides with different amounts or currencies.
    pub amount_mismatches: Vec<AmountMismatch>,
}

impl ReconciliationReport {
    /// Whether everything matched.
    pub fn is_clean(&self) -> bool {
        self.missing_in_ledger.is_empty()
            && self.missing_in_statement.is_empty()
            && self.amount_mismatches.is_empty()
    }
}

/// Matches the ledger's lines against a statement by reference.
///
/// Lines with the same reference and currency on one side are summed first, so a
/// statement that lists a charge and its fee separately still matches one ledger line;
/// a line whose net is zero on the ledger side (a reversed charge) is still listed.
///
/// ```
/// use ajo_core::ledger::{reconcile, StatementLine};
/// use ajo_core::money::{Currency, Money};
///
/// let line = |r: &str, a: &str| StatementLine::new(r, Money::parse(a, Currency::NGN).unwrap());
/// let report = reconcile(
///     vec![line("ref-1", "5000"), line("ref-2", "5000")],
///     vec![line("ref-1", "5000"), line("ref-3", "700")],
/// );
/// assert_eq!(report.matched.len(), 1);
/// assert_eq!(report.missing_in_statement[0].reference, "ref-2");
/// assert_eq!(report.missing_in_ledger[0].reference, "ref-3");
/// ```
pub fn reconcile(
    ledger: impl IntoIterator<Item = StatementLine>,
    statement: impl IntoIterator<Item = StatementLine>,
) -> ReconciliationReport {
    let mut ledger = totals(ledger);
    let mut report = ReconciliationReport::default();
    for (reference, amounts) in totals(statement) {
        let mut known = ledger.remove(&reference).unwrap_or_default();
        for (currency, statement_amount) in amounts {
            // Same currency first; failing that, any other currency the ledger has under
            // this reference is a mismatch rather than two unrelated misses.
            let ledger_amount = known
                .remove(&currency)
                .or_else(|| known.pop_first().map(|(_, amount)| amount));
            match ledger_amount {
                Some(amount) if amount == statement_amount => report.matched.push(StatementLine {
                    reference: reference.clone(),
                    amount,
                    fee: None,
                }),
                Some(amount) => report.amount_mismatches.push(AmountMismatch {
                    reference: reference.clone(),
                    ledger: amount,
                    statement: statement_amount,
                }),
                None => report.missing_in_ledger.push(StatementLine {
                    reference: reference.clone(),
                    amount: statement_amount,
                    fee: None,
                }),
            }
        }
        if !known.is_empty() {
            ledger.insert(reference, known);
        }
    }
    report.missing_in_statement = ledger
        .into_iter()
        .flat_map(|(reference, amounts)| {
            amounts.into_values().map(move |amount| StatementLine {
                reference: reference.clone(),
                amount,
                fee: None,
            })
        })
        .collect();
    report
}

type Totals = BTreeMap<String, BTreeMap<Currency, Money>>;

/// Sums lines by reference and currency. A sum out of range saturates at the range's end,
/// which can only make the line mismatch, never match by accident.
fn totals(lines: impl IntoIterator<Item = StatementLine>) -> Totals {
    let mut out = Totals::new();
    for line in lines {
        let currency = line.amount.currency();
        let slot = out
            .entry(line.reference)
            .or_default()
            .entry(currency)
            .or_insert(Money::zero(currency));
        let sum = slot.minor().saturating_add(line.amount.minor());
        let clamped = sum.clamp(-crate::money::MAX_MINOR, crate::money::MAX_MINOR);
        if let Ok(total) = Money::from_minor(clamped, currency) {
            *slot = total;
        }
    }
    out
}
