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

use super::exec::{Loaded, as_member, member_stream};
use super::runner::{Decision, Write};
use super::{AjoService, Handled, REVIEW_OWNER, ServiceError};
use crate::group::GroupAccounts;
use crate::ids::MemberId;
use crate::ledger::{Account, AccountKind, BalancedEntry, EntryDraft};
use crate::member::MemberEvent;
use crate::money::{Currency, Money, MoneyError};
use crate::payment::{GatewayReturn, OutParts, PaymentEvent};
use crate::ports::{
    AlertKind, AppendRequest, DomainEvent, OutboxMessage, StreamAppend, StreamId, StreamKind,
};
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
    reinstated: bool,
    won: bool,
    /// What the report of the loss says was lost (the latest, if told twice): a dispute
    /// lost in part takes that part, not the amount it opened with.
    lost: Option<i128>,
}

/// How much of a collection, in `currency`, is out of the gateway's clearing account
/// after these reports, in any order, and why:
/// - refunds: the larger of the highest running total reported and the sum of the
///   refunds reported one by one (each refund counted once, by its id; a failed one not
///   at all), since a running total already includes the refunds it has seen;
/// - each dispute: once lost, what the report of the loss says was lost (a dispute can
///   be lost in part); nothing once won or its funds reinstated; before an outcome, the
///   largest amount reported is disputed from the moment it opens (the gateway holds it
///   back from the merchant while the dispute runs).
///
/// # Errors
/// [`MoneyError`] if a total leaves the representable range.
pub(super) fn out_of_clearing<'a>(
    reports: impl IntoIterator<Item = Report<'a>>,
    currency: Currency,
) -> Result<OutParts, MoneyError> {
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
                    GatewayReturn::DisputeFundsReinstated => seen.reinstated = true,
                    GatewayReturn::DisputeWon => seen.won = true,
                    GatewayReturn::DisputeLost => seen.lost = Some(minor),
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
    let refunds = running_total.max(one_by_one);
    let (mut disputed, mut lost) = (0i128, 0i128);
    for dispute in disputes.values() {
        if let Some(taken) = dispute.lost {
            lost = lost.checked_add(taken).ok_or_else(overflow)?;
        } else if !(dispute.won || dispute.reinstated) {
            disputed = disputed.checked_add(dispute.amount).ok_or_else(overflow)?;
        }
    }
    Ok(OutParts {
        refunds: Money::from_minor(refunds, currency)?,
        disputed: Money::from_minor(disputed, currency)?,
        lost: Money::from_minor(lost, currency)?,
    })
}

impl OutParts {
    /// Nothing out.
    fn zero(currency: Currency) -> OutParts {
        let zero = Money::zero(currency);
        OutParts {
            refunds: zero,
            disputed: zero,
            lost: zero,
        }
    }

    /// Everything out.
    fn total(&self) -> Result<Money, MoneyError> {
        self.refunds
            .checked_add(self.disputed)?
            .checked_add(self.lost)
    }
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
    /// change in what is out of clearing, once: refunds against review, a dispute while
    /// it runs on the disputed account, a dispute lost on the payer's chargeback
    /// receivable (review when no payer is known). A dispute's opening and its outcome
    /// are also flagged on the payer's profile stream, and an opening raises an alert.
    #[instrument(skip_all, fields(reference = %event.reference(), kind = event.kind().as_str()))]
    pub(super) async fn record_return(
        &self,
        event: &GatewayEvent,
        what: GatewayReturn,
    ) -> Result<Handled, ServiceError> {
        super::logged(async move {
            let reference = self.collection_of(event).await?;
            let report = Report {
                what,
                object: event.provider_reference(),
                amount: event.amount(),
                cumulative: event.amount_basis() == AmountBasis::Cumulative,
            };
            self.book_return(&reference, report, event.idempotency_key().as_str())
                .await
        })
        .await
    }

    /// Records one refund or dispute report on the collection `reference` under `key`,
    /// and books what it changes, once (see [`record_return`](Self::record_return)).
    pub(super) async fn book_return(
        &self,
        reference: &str,
        report: Report<'_>,
        key: &str,
    ) -> Result<Handled, ServiceError> {
        let stream = StreamId::new(StreamKind::Payment, reference);
        let stream = &stream;
        let at = stream;
        let result = self
            .run(at, move |_| async move {
                let payment = self.load_payment(reference).await?;
                let mut decided = self.decide_return(reference, &payment, report).await?;
                let event = PaymentEvent::Returned {
                    what: report.what,
                    object: report.object.map(str::to_owned),
                    reported: report.amount,
                    cumulative: report.cumulative,
                    out_after: decided.after.total()?,
                    entry: decided.entry.clone(),
                    parts_after: Some(decided.after),
                };
                decided.streams.insert(
                    0,
                    StreamAppend {
                        stream: stream.clone(),
                        expected_version: payment.version,
                        events: vec![DomainEvent::Payment(event)],
                        wake_at: None,
                    },
                );
                let request = AppendRequest {
                    entries: decided.entry.iter().cloned().collect(),
                    streams: decided.streams,
                    outbox: decided.outbox,
                    idempotency_key: Some(key.into()),
                    at: self.now().into(),
                };
                Ok(Decision::Write(Write {
                    request,
                    written: Handled::HeldForReview {
                        moved: decided.moved,
                        out_of_clearing: decided.after.total()?,
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
                reported = %report.amount,
                moved_out_of_clearing = %moved,
                out_of_clearing = %out_of_clearing,
                "gateway refund or dispute recorded"
            );
        }
        Ok(result)
    }

    /// What one more refund or dispute report on a collection books, flags and raises.
    async fn decide_return(
        &self,
        reference: &str,
        payment: &Loaded<PaymentEvent>,
        this: Report<'_>,
    ) -> Result<ReturnDecision, ServiceError> {
        let currency = this.amount.currency();
        let earlier: Vec<Report<'_>> = payment
            .events
            .iter()
            .filter_map(|e| match e {
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
            })
            .collect();
        // Reports recorded before disputes were booked apart put everything on review.
        let before = payment
            .events
            .iter()
            .rev()
            .find_map(|e| match e {
                PaymentEvent::Returned {
                    out_after,
                    parts_after,
                    ..
                } if out_after.currency() == currency => Some(parts_after.unwrap_or(OutParts {
                    refunds: *out_after,
                    ..OutParts::zero(currency)
                })),
                _ => None,
            })
            .unwrap_or(OutParts::zero(currency));
        let after = out_of_clearing(earlier.iter().copied().chain([this]), currency)?;
        let payer = payment.events.iter().find_map(|e| match e {
            PaymentEvent::Requested { member, .. } => Some(member.clone()),
            _ => None,
        });
        let review = Account::new(REVIEW_OWNER, AccountKind::Suspense, currency);
        let lost_to = payer
            .as_ref()
            .map_or(review.clone(), |m| chargebacks_of(m, currency));
        let mut draft = EntryDraft::new(
            format!("{reference}:returned:{}", payment.version + 1),
            format!("{} at the gateway: {reference}", this.what_label()),
        )
        .reference(reference);
        let mut moved = Money::zero(currency);
        for (account, was, now) in [
            (review, before.refunds, after.refunds),
            (disputes_for(currency), before.disputed, after.disputed),
            (lost_to, before.lost, after.lost),
        ] {
            let change = now.checked_sub(was)?;
            if change.is_positive() {
                draft = draft.debit(account, change);
            } else if change.is_negative() {
                draft = draft.credit(account, change.negated());
            }
            moved = moved.checked_add(change)?;
        }
        let clearing = GroupAccounts::clearing_for(currency);
        let entry = if moved.is_positive() {
            Some(draft.credit(clearing, moved).balance()?)
        } else if moved.is_negative() {
            Some(draft.debit(clearing, moved.negated()).balance()?)
        } else if after != before {
            // Money moved between causes only (a running dispute lost): no clearing leg.
            Some(draft.balance()?)
        } else {
            None
        };
        let mut decision = ReturnDecision {
            after,
            entry,
            moved,
            streams: Vec::new(),
            outbox: Vec::new(),
        };
        // Money a refund took out of clearing now waits on review for a person, unless
        // it is the refund a person asked for (it settles what review held).
        let asked_for = payment.events.iter().rev().find_map(|e| match e {
            PaymentEvent::Resolved {
                resolution: crate::payment::HeldResolution::Refunded,
                entry: None,
                ..
            } => Some(true),
            PaymentEvent::Returned {
                what: GatewayReturn::Refund | GatewayReturn::RefundFailed,
                ..
            }
            | PaymentEvent::Resolved {
                resolution: crate::payment::HeldResolution::RefundNotMade,
                ..
            }
            | PaymentEvent::RefundRefused { .. } => Some(false),
            _ => None,
        });
        if asked_for != Some(true)
            && after.refunds.checked_sub(before.refunds)?.is_positive()
            && let Some(entry) = &decision.entry
        {
            let out = after.refunds.checked_sub(before.refunds)?;
            decision.outbox.push(self.alert(
                AlertKind::MoneyHeld,
                entry.key(),
                reference,
                Some(out.negated()),
                format!(
                    "the gateway refunded {out} of the collection {reference} without ajo asking: held for review"
                ),
            ));
        }
        let object = this.object.unwrap_or("");
        let seen = |kinds: &[GatewayReturn]| {
            earlier
                .iter()
                .any(|r| kinds.contains(&r.what) && r.object.unwrap_or("") == object)
        };
        let is_dispute = DISPUTE_KINDS.contains(&this.what);
        let outcome = matches!(
            this.what,
            GatewayReturn::DisputeWon | GatewayReturn::DisputeLost
        );
        // The first report of a dispute, whatever it says (a dispute may first be heard
        // of when it is decided), raises the alert.
        if is_dispute && !seen(&DISPUTE_KINDS) {
            decision.outbox.push(self.alert(
                AlertKind::DisputeOpened,
                &format!("{reference}:{object}"),
                reference,
                Some(this.amount),
                format!(
                    "a payer disputed {} of the collection {reference} at the gateway",
                    this.amount
                ),
            ));
        }
        // A loss no payer can be charged with lands on review: a person's to settle.
        if payer.is_none()
            && after.lost.checked_sub(before.lost)?.is_positive()
            && let Some(entry) = &decision.entry
        {
            let lost = after.lost.checked_sub(before.lost)?;
            decision.outbox.push(self.alert(
                AlertKind::MoneyHeld,
                entry.key(),
                reference,
                Some(lost.negated()),
                format!(
                    "a dispute lost took {lost} of {reference}, which no member was asked for: held for review"
                ),
            ));
        }
        let dispute = this.object.map(str::to_owned);
        let flag = if is_dispute && !outcome && !seen(&DISPUTE_KINDS) {
            Some(MemberEvent::DisputeOpened {
                reference: reference.to_owned(),
                amount: this.amount,
                dispute,
            })
        } else if outcome && !seen(&[GatewayReturn::DisputeWon, GatewayReturn::DisputeLost]) {
            Some(MemberEvent::DisputeClosed {
                reference: reference.to_owned(),
                lost: this.what == GatewayReturn::DisputeLost,
                dispute,
            })
        } else {
            None
        };
        if let (Some(flag), Some(payer)) = (flag, payer) {
            let at = member_stream(&payer);
            let profile = self.load_as(&at, as_member).await?;
            decision.streams.push(StreamAppend {
                stream: at,
                expected_version: profile.version,
                events: vec![DomainEvent::Member(flag)],
                wake_at: None,
            });
        }
        Ok(decision)
    }
}

/// What [`AjoService::decide_return`] decided.
struct ReturnDecision {
    after: OutParts,
    entry: Option<BalancedEntry>,
    moved: Money,
    streams: Vec<StreamAppend>,
    outbox: Vec<OutboxMessage>,
}

const DISPUTE_KINDS: [GatewayReturn; 5] = [
    GatewayReturn::DisputeOpened,
    GatewayReturn::DisputeFundsWithdrawn,
    GatewayReturn::DisputeFundsReinstated,
    GatewayReturn::DisputeWon,
    GatewayReturn::DisputeLost,
];

/// The owner of the disputed account: chargebacks while they run.
pub const DISPUTES_OWNER: &str = "disputes";

/// The account of chargebacks running in `currency`.
pub fn disputes_for(currency: Currency) -> Account {
    Account::new(DISPUTES_OWNER, AccountKind::Disputed, currency)
}

/// What `member` owes for disputes they won against ajo: their chargeback receivable,
/// owned by the member (not by a group: a loan repayment can be charged back too).
pub fn chargebacks_of(member: &MemberId, currency: Currency) -> Account {
    Account::new(member.as_str(), AccountKind::MemberReceivable, currency)
}

impl Report<'_> {
    fn what_label(&self) -> &'static str {
        match self.what {
            GatewayReturn::Refund => "refund",
            GatewayReturn::RefundFailed => "refund failed",
            GatewayReturn::DisputeOpened => "dispute opened",
            GatewayReturn::DisputeFundsWithdrawn => "dispute funds withdrawn",
            GatewayReturn::DisputeFundsReinstated => "dispute funds reinstated",
            GatewayReturn::DisputeWon => "dispute won",
            GatewayReturn::DisputeLost => "dispute lost",
        }
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
        parts(reports).total().unwrap()
    }

    fn parts(reports: &[Report<'_>]) -> OutParts {
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
        assert_eq!(parts(&[opened]).disputed, ngn(80), "held back once opened");
        assert_eq!(out(&[opened, withdrawn]), ngn(80));
        assert_eq!(parts(&[opened, withdrawn]).lost, ngn(0));
        assert_eq!(out(&[opened, withdrawn, reinstated]), ngn(0));
        assert_eq!(out(&[opened, withdrawn, won]), ngn(0));
        assert_eq!(out(&[won, withdrawn]), ngn(0), "an outcome decides");
        assert_eq!(out(&[opened, lost]), ngn(80), "Paystack takes it on losing");
        assert_eq!(parts(&[opened, withdrawn, lost]).lost, ngn(80));
        assert_eq!(parts(&[opened, withdrawn, lost]).disputed, ngn(0));
        assert_eq!(out(&[lost, withdrawn, opened]), ngn(80));
        let part = report(GatewayReturn::DisputeLost, "dp_1", 30);
        assert_eq!(
            parts(&[opened, part]).lost,
            ngn(30),
            "lost in part: the part the outcome names"
        );
        assert_eq!(parts(&[part, opened]).lost, ngn(30), "in any order");
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
