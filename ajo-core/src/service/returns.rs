//! Refunds and chargebacks started at the gateway: money of a collection that leaves the
//! gateway (or comes back) without ajo asking. Ignoring them would let the books drift
//! from the gateway without anyone noticing, so each report is recorded on its collection
//! and what it moves is booked between the gateway's clearing account and review, for a
//! person to settle (crediting it back to a member, recovering it from a pot...).
//!
//! Reports arrive late, twice and out of order, and providers tell the same fact in
//! different shapes (Stripe's running `amount_refunded` beside each refund's own event;
//! Stripe's funds withdrawn and reinstated beside the dispute's outcome). So nothing here
//! books a report's amount as such: [`out_of_clearing`] works out, from every report the
//! collection has, how much of it is out now, and each new report books only the change.

use std::collections::{BTreeMap, BTreeSet};

use tracing::instrument;

use super::runner::{Decision, Write};
use super::{AjoService, Handled, REVIEW_OWNER, ServiceError};
use crate::group::GroupAccounts;
use crate::ledger::{Account, AccountKind, EntryDraft};
use crate::money::{Currency, Money, MoneyError};
use crate::payment::{GatewayReturn, PaymentEvent};
use crate::ports::{AppendRequest, DomainEvent, StreamAppend, StreamId, StreamKind};
use crate::reference::PaymentReference;
use crate::webhook::{AmountBasis, GatewayEvent, PaymentEventKind};

/// One refund or dispute report, as [`out_of_clearing`] reads it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Report<'a> {
    pub(super) what: GatewayReturn,
    pub(super) object: Option<&'a str>,
    pub(super) amount: Money,
    pub(super) cumulative: bool,
}

#[derive(Default)]
struct Dispute {
    amount: i128,
    withdrawn: bool,
    reinstated: bool,
    won: bool,
    lost: bool,
}

/// How much of a collection, in `currency`, is out of the gateway's clearing account
/// after these reports, in any order:
/// - refunds: the larger of the highest running total reported and the sum of the
///   refunds reported one by one (each refund counted once, by its id; a failed one not
///   at all), since a running total already includes the refunds it has seen;
/// - each dispute: its amount once lost, nothing once won; before an outcome, its amount
///   while withdrawn and not reinstated.
///
/// # Errors
/// [`MoneyError`] if the total leaves the representable range.
pub(super) fn out_of_clearing<'a>(
    reports: impl IntoIterator<Item = Report<'a>>,
    currency: Currency,
) -> Result<Money, MoneyError> {
    let mut running_total = 0i128;
    let mut by_id: BTreeMap<&str, i128> = BTreeMap::new();
    let mut without_id = 0i128;
    let mut failed: BTreeSet<&str> = BTreeSet::new();
    let mut disputes: BTreeMap<&str, Dispute> = BTreeMap::new();
    let overflow = || MoneyError::Overflow {
        operation: "refunds and disputes",
    };
    for report in reports {
        if report.amount.currency() != currency {
            continue;
        }
        let minor = report.amount.minor();
        match report.what {
            GatewayReturn::Refund if report.cumulative => {
                running_total = running_total.max(minor);
            }
            GatewayReturn::Refund => match report.object {
                Some(id) => {
                    by_id.insert(id, minor);
                }
                None => without_id = without_id.checked_add(minor).ok_or_else(overflow)?,
            },
            GatewayReturn::RefundFailed => {
                if let Some(id) = report.object {
                    failed.insert(id);
                }
            }
            dispute => {
                let seen = disputes.entry(report.object.unwrap_or("")).or_default();
                seen.amount = seen.amount.max(minor);
                match dispute {
                    GatewayReturn::DisputeFundsWithdrawn => seen.withdrawn = true,
                    GatewayReturn::DisputeFundsReinstated => seen.reinstated = true,
                    GatewayReturn::DisputeWon => seen.won = true,
                    GatewayReturn::DisputeLost => seen.lost = true,
                    _ => {}
                }
            }
        }
    }
    let mut one_by_one = without_id;
    for (id, minor) in by_id {
        if !failed.contains(id) {
            one_by_one = one_by_one.checked_add(minor).ok_or_else(overflow)?;
        }
    }
    let mut out = running_total.max(one_by_one);
    for dispute in disputes.values() {
        let held = if dispute.lost {
            dispute.amount
        } else if dispute.won || dispute.reinstated {
            0
        } else if dispute.withdrawn {
            dispute.amount
        } else {
            0
        };
        out = out.checked_add(held).ok_or_else(overflow)?;
    }
    Money::from_minor(out, currency)
}

/// What a gateway event says happened to a collection, for the kinds this module takes.
pub(super) fn gateway_return(kind: PaymentEventKind) -> Option<GatewayReturn> {
    Some(match kind {
        PaymentEventKind::RefundProcessed => GatewayReturn::Refund,
        PaymentEventKind::RefundFailed => GatewayReturn::RefundFailed,
        PaymentEventKind::DisputeOpened => GatewayReturn::DisputeOpened,
        PaymentEventKind::DisputeFundsWithdrawn => GatewayReturn::DisputeFundsWithdrawn,
        PaymentEventKind::DisputeFundsReinstated => GatewayReturn::DisputeFundsReinstated,
        PaymentEventKind::DisputeWon => GatewayReturn::DisputeWon,
        PaymentEventKind::DisputeLost => GatewayReturn::DisputeLost,
        _ => return None,
    })
}

impl AjoService {
    /// ajo's reference of the collection a refund or dispute report is about. Reports
    /// made outside ajo (a refund from Stripe's dashboard, any Stripe dispute) may name
    /// only the provider's charge: the gateway is asked which reference that charge was
    /// made under, so every report of one collection lands on one stream and is counted
    /// once. A charge the gateway cannot place keeps the report's own reference.
    ///
    /// # Errors
    /// A gateway error that a retry may cure (unavailable, timeout, rate limited): the
    /// report is not booked under a guess, and the provider's retry or the host's tries
    /// again.
    async fn collection_of(&self, event: &GatewayEvent) -> Result<String, ServiceError> {
        let claimed = event.reference();
        let Some(transaction) = event
            .transaction_id()
            .filter(|_| PaymentReference::parse(claimed).is_err())
        else {
            return Ok(claimed.to_owned());
        };
        match self.gateway.verify_transaction(transaction, claimed).await {
            Ok(status) if PaymentReference::parse(&status.reference).is_ok() => {
                Ok(status.reference)
            }
            Ok(_) => Ok(claimed.to_owned()),
            Err(error) if error.is_retryable() => Err(error.into()),
            Err(_) => Ok(claimed.to_owned()),
        }
    }

    /// Records a refund or dispute report on its collection (found by ajo's reference;
    /// a reference ajo never issued gets a stream of its own all the same) and books the
    /// change in what is out of clearing, clearing ↔ review, once.
    #[instrument(skip_all, fields(reference = %event.reference(), kind = event.kind().as_str()))]
    pub(super) async fn record_return(
        &self,
        event: &GatewayEvent,
        what: GatewayReturn,
    ) -> Result<Handled, ServiceError> {
        super::logged(async move {
            let reference = self.collection_of(event).await?;
            let reference = reference.as_str();
            let stream = StreamId::new(StreamKind::Payment, reference);
            let key = event.idempotency_key().as_str();
            let currency = event.amount().currency();
            let object = event.provider_reference().map(str::to_owned);
            let cumulative = event.amount_basis() == AmountBasis::Cumulative;
            let (stream, object) = (&stream, &object);
            let at = stream;
            let result = self
                .run(at, move |_| async move {
                    let payment = self.load_payment(reference).await?;
                    let earlier = payment.events.iter().filter_map(|e| match e {
                        PaymentEvent::Returned {
                            what,
                            object,
                            reported,
                            cumulative,
                            ..
                        } => Some(Report {
                            what: *what,
                            object: object.as_deref(),
                            amount: *reported,
                            cumulative: *cumulative,
                        }),
                        _ => None,
                    });
                    let before = payment
                        .events
                        .iter()
                        .rev()
                        .find_map(|e| match e {
                            PaymentEvent::Returned { out_after, .. }
                                if out_after.currency() == currency =>
                            {
                                Some(*out_after)
                            }
                            _ => None,
                        })
                        .unwrap_or(Money::zero(currency));
                    let this = Report {
                        what,
                        object: object.as_deref(),
                        amount: event.amount(),
                        cumulative,
                    };
                    let after = out_of_clearing(earlier.chain(std::iter::once(this)), currency)?;
                    let change = after.checked_sub(before)?;
                    let clearing = GroupAccounts::clearing_for(currency);
                    let review = Account::new(REVIEW_OWNER, AccountKind::Suspense, currency);
                    let draft = EntryDraft::new(
                        format!("{reference}:returned:{}", payment.version + 1),
                        format!("{} at the gateway: {reference}", event.kind()),
                    )
                    .reference(reference);
                    let entry = if change.is_positive() {
                        Some(
                            draft
                                .debit(review, change)
                                .credit(clearing, change)
                                .balance(),
                        )
                    } else if change.is_negative() {
                        let back = change.negated();
                        Some(draft.debit(clearing, back).credit(review, back).balance())
                    } else {
                        None
                    }
                    .transpose()?;
                    let request = AppendRequest {
                        entries: entry.iter().cloned().collect(),
                        streams: vec![StreamAppend {
                            stream: stream.clone(),
                            expected_version: payment.version,
                            events: vec![DomainEvent::Payment(PaymentEvent::Returned {
                                what,
                                object: object.clone(),
                                reported: event.amount(),
                                cumulative,
                                out_after: after,
                                entry,
                            })],
                            wake_at: None,
                        }],
                        outbox: Vec::new(),
                        idempotency_key: Some(key.into()),
                        at: self.now().into(),
                    };
                    Ok(Decision::Write(Write {
                        request,
                        written: Handled::HeldForReview {
                            moved: change,
                            out_of_clearing: after,
                        },
                        duplicate: Handled::Duplicate,
                        keep: None,
                    }))
                })
                .await?;
            if let Handled::HeldForReview {
                moved,
                out_of_clearing,
            } = &result
            {
                tracing::warn!(
                    reported = %event.amount(),
                    moved_to_review = %moved,
                    out_of_clearing = %out_of_clearing,
                    "gateway refund or dispute recorded; held for review"
                );
            }
            Ok(result)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ngn(naira: i128) -> Money {
        Money::from_minor(naira * 100, Currency::NGN).unwrap()
    }

    fn report(what: GatewayReturn, object: &str, naira: i128) -> Report<'_> {
        Report {
            what,
            object: Some(object),
            amount: ngn(naira),
            cumulative: false,
        }
    }

    fn out(reports: &[Report<'_>]) -> Money {
        out_of_clearing(reports.iter().copied(), Currency::NGN).unwrap()
    }

    #[test]
    fn refunds_count_once_whatever_shape_tells_them() {
        let r1 = report(GatewayReturn::Refund, "re_1", 100);
        let r2 = report(GatewayReturn::Refund, "re_2", 50);
        let total = Report {
            cumulative: true,
            ..report(GatewayReturn::Refund, "ch_1", 150)
        };
        assert_eq!(out(&[r1, r1]), ngn(100), "a refund reported twice");
        assert_eq!(out(&[r1, r2]), ngn(150));
        assert_eq!(
            out(&[total, r1, r2]),
            ngn(150),
            "the total already has them"
        );
        assert_eq!(out(&[r1, total, r2]), ngn(150));
        let partial_total = Report {
            amount: ngn(100),
            ..total
        };
        assert_eq!(out(&[partial_total, r1, r2]), ngn(150));
        let failed = report(GatewayReturn::RefundFailed, "re_2", 50);
        assert_eq!(out(&[r1, r2, failed]), ngn(100));
        assert_eq!(out(&[failed, r2, r1]), ngn(100), "in any order");
    }

    #[test]
    fn a_dispute_is_out_while_withdrawn_and_once_lost() {
        let opened = report(GatewayReturn::DisputeOpened, "dp_1", 80);
        let withdrawn = report(GatewayReturn::DisputeFundsWithdrawn, "dp_1", 80);
        let reinstated = report(GatewayReturn::DisputeFundsReinstated, "dp_1", 80);
        let won = report(GatewayReturn::DisputeWon, "dp_1", 80);
        let lost = report(GatewayReturn::DisputeLost, "dp_1", 80);
        assert_eq!(out(&[opened]), ngn(0));
        assert_eq!(out(&[opened, withdrawn]), ngn(80));
        assert_eq!(out(&[opened, withdrawn, reinstated]), ngn(0));
        assert_eq!(out(&[opened, withdrawn, won]), ngn(0));
        assert_eq!(out(&[won, withdrawn]), ngn(0), "an outcome decides");
        assert_eq!(out(&[opened, lost]), ngn(80), "Paystack takes it on losing");
        assert_eq!(out(&[lost, withdrawn, opened]), ngn(80));
        let other = report(GatewayReturn::DisputeLost, "dp_2", 20);
        let r1 = report(GatewayReturn::Refund, "re_1", 5);
        assert_eq!(out(&[lost, other, r1]), ngn(105));
    }

    #[test]
    fn other_currencies_are_not_counted() {
        let dollars = Report {
            amount: Money::from_minor(100, Currency::USD).unwrap(),
            ..report(GatewayReturn::Refund, "re_9", 0)
        };
        assert_eq!(out(&[dollars]), ngn(0));
    }
}
