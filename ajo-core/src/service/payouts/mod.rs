//! Payouts after they are made: the attempts a payout is sent in, what each gateway report
//! about an attempt books, and reports held for review.
//!
//! A payout is owed its amount less what is booked as delivered and not returned. Every
//! report is checked against the attempt it names before anything is booked:
//!
//! - a success books the attempt's amount delivered (wallet → clearing) once; a success in
//!   another currency or amount books nothing and is held for review;
//! - a reversal books what came back (clearing → wallet) and no more than what is still
//!   delivered: a running total ([`AmountBasis::Cumulative`]) books the total less what is
//!   already booked as returned for the attempt (a total at or below that is a repeat),
//!   an event's own amount ([`AmountBasis::Event`]) books that amount. What came back is
//!   owed again, and only that;
//! - a failure before any success books nothing (the same reference is sent again); after
//!   a success it is a reversal (Flutterwave reports a returned transfer so);
//! - a failure or reversal in another currency or above the attempt's amount books nothing
//!   and is held for review.
//!
//! Running totals are per attempt because they are per provider object: each attempt is a
//! new transfer at the gateway, whose total starts again from zero.
//!
//! A payout with a report held for review is not sent again by `tick` until a person
//! resolves it ([`AjoService::resolve_payout_review`]): after a success that did not
//! match, the money may have left, and sending the same reference again would have the
//! gateway answer "succeeded" about a transfer of the wrong amount, which a receipt (it
//! carries no amount) cannot tell.

use std::sync::atomic::{AtomicBool, Ordering};

use tracing::instrument;

use super::runner::{Decision, Write};
use super::{AjoService, Handled, ServiceError};
use crate::group::GroupAccounts;
use crate::ids::{GroupId, MemberId};
use crate::ledger::{Account, BalancedEntry, EntryDraft, Side};
use crate::money::{Money, MoneyError};
use crate::payment::{PayoutEvent, PayoutOutcome, PayoutReview};
use crate::ports::{
    AlertKind, AppendRequest, DomainEvent, StoreError, StreamAppend, StreamId, StreamKind,
};
use crate::reference::PaymentReference;
use crate::telemetry;
use crate::webhook::{AmountBasis, GatewayEvent, PaymentEventKind};

/// A gateway's report about a payout attempt: from a webhook, or from the gateway's answer
/// when `tick` sent the attempt.
#[derive(Debug, Clone, Copy)]
pub(super) struct PayoutReport<'a> {
    /// The attempt's reference, as the gateway echoes it.
    pub(super) reference: &'a str,
    pub(super) outcome: PayoutOutcome,
    pub(super) amount: Money,
    pub(super) basis: AmountBasis,
    /// The idempotency key the report is recorded under.
    pub(super) key: &'a str,
    /// Held for review whatever it says (a failure nobody could confirm): nothing is
    /// booked and the payout is not sent again until a person resolves it.
    pub(super) hold: bool,
}

/// The payout stream a reference belongs to and which attempt it names. An attempt's
/// reference reads back to the payout's first one, so any host, restarted or not, finds
/// the payout from the reference alone; the stream then says whether that attempt was
/// made.
pub(super) fn payout_of(reference: &str) -> (String, u32) {
    match PaymentReference::parse(reference) {
        Ok(parsed) => (parsed.attempt(1).to_string(), parsed.attempt_number()),
        // Not a reference ajo makes today: it can only be a first attempt.
        Err(_) => (reference.to_owned(), 1),
    }
}

/// One attempt at a payout, as its stream tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attempt {
    pub(super) number: u32,
    pub(super) reference: String,
    pub(super) amount: Money,
    /// Booked as delivered (wallet → clearing).
    delivered: Money,
    /// Booked as returned (clearing → wallet).
    returned: Money,
    /// A person found none of it delivered.
    abandoned: bool,
}

impl Attempt {
    fn new(number: u32, reference: String, amount: Money) -> Attempt {
        Attempt {
            number,
            reference,
            amount,
            delivered: Money::zero(amount.currency()),
            returned: Money::zero(amount.currency()),
            abandoned: false,
        }
    }

    fn is_delivered(&self) -> bool {
        self.delivered.is_positive()
    }

    /// Can deliver nothing more: what is owed needs a new attempt.
    pub(super) fn is_finished(&self) -> bool {
        self.is_delivered() || self.abandoned
    }

    fn still_delivered(&self) -> Result<Money, MoneyError> {
        self.delivered.checked_sub(self.returned)
    }
}

/// A payout as its stream tells it.
#[derive(Debug, Clone)]
pub(super) struct Payout {
    pub(super) group: GroupId,
    pub(super) member: MemberId,
    pub(super) round: Option<u32>,
    pub(super) amount: Money,
    attempts: Vec<Attempt>,
    /// The attempt of the last report held for review, until a person resolves it.
    pub(super) held: Option<u32>,
}

impl Payout {
    /// Folds a payout stream keyed by `reference`; `None` for a stream without a request
    /// (no payout has that reference).
    pub(super) fn from_events(
        reference: &str,
        events: &[PayoutEvent],
    ) -> Result<Option<Payout>, ServiceError> {
        let mut payout: Option<Payout> = None;
        for event in events {
            if let PayoutEvent::Requested {
                group,
                round,
                member,
                amount,
            } = event
            {
                payout = Some(Payout {
                    group: group.clone(),
                    member: member.clone(),
                    round: *round,
                    amount: *amount,
                    attempts: vec![Attempt::new(1, reference.to_owned(), *amount)],
                    held: None,
                });
                continue;
            }
            let Some(payout) = payout.as_mut() else {
                continue;
            };
            let currency = payout.amount.currency();
            match event {
                PayoutEvent::AttemptStarted {
                    attempt,
                    reference,
                    amount,
                } => payout
                    .attempts
                    .push(Attempt::new(*attempt, reference.clone(), *amount)),
                PayoutEvent::Succeeded { entry, attempt } => {
                    let a = payout.attempt_mut(*attempt)?;
                    a.delivered = a.delivered.checked_add(booked(entry, currency)?)?;
                }
                PayoutEvent::Reversed { entry, attempt } => {
                    let a = payout.attempt_mut(*attempt)?;
                    a.returned = a.returned.checked_add(booked(entry, currency)?)?;
                }
                PayoutEvent::Failed {
                    attempt,
                    closed: true,
                } => payout.attempt_mut(*attempt)?.abandoned = true,
                PayoutEvent::HeldForReview { attempt, .. } => payout.held = Some(*attempt),
                PayoutEvent::ReviewResolved {
                    attempt,
                    review,
                    entry,
                } => {
                    payout.held = None;
                    let a = payout.attempt_mut(*attempt)?;
                    let amount = match entry {
                        Some(entry) => booked(entry, currency)?,
                        None => Money::zero(currency),
                    };
                    match review {
                        PayoutReview::Delivered => a.delivered = a.delivered.checked_add(amount)?,
                        PayoutReview::NotDelivered => {
                            a.returned = a.returned.checked_add(amount)?;
                            a.abandoned = true;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(payout)
    }

    fn attempt_mut(&mut self, number: u32) -> Result<&mut Attempt, ServiceError> {
        self.attempts
            .iter_mut()
            .find(|a| a.number == number)
            .ok_or_else(|| {
                ServiceError::Store(StoreError::Corrupt {
                    reason: format!("a payout event names attempt {number}, which was never made"),
                })
            })
    }

    pub(super) fn attempt(&self, number: u32) -> Option<&Attempt> {
        self.attempts.iter().find(|a| a.number == number)
    }

    /// The latest attempt (a payout always has its first).
    pub(super) fn current(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// What the member is still owed: the amount less what is delivered and not returned.
    pub(super) fn owed(&self) -> Result<Money, MoneyError> {
        self.attempts.iter().try_fold(self.amount, |owed, a| {
            owed.checked_sub(a.still_delivered()?)
        })
    }
}

/// What an entry moved: the sum of its debits.
fn booked(entry: &BalancedEntry, currency: crate::money::Currency) -> Result<Money, MoneyError> {
    Money::checked_sum(
        currency,
        entry
            .postings()
            .iter()
            .filter(|p| p.side == Side::Debit)
            .map(|p| &p.amount),
    )
}

/// What a report does to its attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Nothing new.
    Duplicate,
    /// Does not match the attempt: held for review, nothing booked.
    Hold,
    /// Not delivered, nothing was booked: recorded, sent again later.
    Fail,
    /// The attempt's amount delivered.
    Deliver,
    /// This much of a delivered attempt came back.
    Return(Money),
    /// All of an attempt never booked as delivered came back: it was delivered, then
    /// returned. Booking both keeps the books true to the gateway's statement, and marks
    /// the attempt finished so the next one gets a fresh reference.
    DeliverAndReturn,
}

fn decide(attempt: &Attempt, report: &PayoutReport<'_>) -> Result<Step, MoneyError> {
    if report.hold {
        return Ok(Step::Hold);
    }
    let expected = attempt.amount;
    let same_currency = report.amount.currency() == expected.currency();
    if report.outcome == PayoutOutcome::Succeeded {
        return Ok(if attempt.is_delivered() {
            Step::Duplicate
        } else if same_currency && report.amount == expected {
            Step::Deliver
        } else {
            Step::Hold
        });
    }
    if !same_currency || report.amount > expected {
        return Ok(Step::Hold);
    }
    if !attempt.is_delivered() {
        return Ok(match report.outcome {
            PayoutOutcome::Reversed if report.amount == expected => Step::DeliverAndReturn,
            // Part of a transfer came back whose success was never reported: how much
            // reached the member is not known.
            PayoutOutcome::Reversed => Step::Hold,
            _ => Step::Fail,
        });
    }
    let still = attempt.still_delivered()?;
    let back = match report.basis {
        AmountBasis::Cumulative => report.amount.checked_sub(attempt.returned)?,
        _ => report.amount,
    };
    let back = if back > still { still } else { back };
    Ok(if back.is_positive() {
        Step::Return(back)
    } else {
        Step::Duplicate
    })
}

impl AjoService {
    /// A verified payout webhook, checked against the attempt it names.
    pub(super) async fn payout_event(
        &self,
        event: &GatewayEvent,
        key: &str,
    ) -> Result<Handled, ServiceError> {
        let outcome = match event.kind() {
            PaymentEventKind::PayoutSucceeded => PayoutOutcome::Succeeded,
            PaymentEventKind::PayoutFailed => PayoutOutcome::Failed,
            PaymentEventKind::PayoutReversed => PayoutOutcome::Reversed,
            _ => return Ok(Handled::Ignored),
        };
        self.payout_outcome(&PayoutReport {
            reference: event.reference(),
            outcome,
            amount: event.amount(),
            basis: event.amount_basis(),
            key,
            hold: false,
        })
        .await
    }

    /// Books what a report about a payout attempt means, once (see the module docs).
    pub(super) async fn payout_outcome(
        &self,
        report: &PayoutReport<'_>,
    ) -> Result<Handled, ServiceError> {
        let (base, number) = payout_of(report.reference);
        let stream = StreamId::new(StreamKind::Payout, base.clone());
        let (base, stream) = (&base, &stream);
        let at = stream;
        // Whether the write the command made (its last attempt's) books a failure.
        let failed = &AtomicBool::new(false);
        let result = self
            .run(at, move |_| async move {
                let loaded = self.load_payout(base).await?;
                let Some(payout) = Payout::from_events(base, &loaded.events)? else {
                    return Ok(Decision::Done(Handled::UnknownReference));
                };
                let Some(attempt) = payout
                    .attempt(number)
                    .filter(|a| a.reference == report.reference)
                else {
                    return Ok(Decision::Done(Handled::UnknownReference));
                };
                let step = decide(attempt, report)?;
                // Counted once per send of an attempt: a gateway that answers "failed" and
                // then reports it by webhook (under another key) has failed once.
                let number = attempt.number;
                let told_before = loaded
                    .events
                    .iter()
                    .rev()
                    .take_while(|e| !matches!(e, PayoutEvent::Sent { attempt, .. } if *attempt == number))
                    .any(|e| {
                        matches!(e, PayoutEvent::Failed { attempt, .. } | PayoutEvent::Reversed { attempt, .. } if *attempt == number)
                    });
                failed.store(
                    !told_before
                        && matches!(step, Step::Fail | Step::Return(_) | Step::DeliverAndReturn),
                    Ordering::Relaxed,
                );
                let now = self.now();
                let owed = payout.owed()?;
                let mut entries = Vec::new();
                let (events, owed_after) = match step {
                    Step::Duplicate => return Ok(Decision::Done(Handled::Duplicate)),
                    Step::Hold => {
                        let held = PayoutEvent::HeldForReview {
                            attempt: attempt.number,
                            outcome: report.outcome,
                            expected: attempt.amount,
                            reported: report.amount,
                        };
                        (vec![held], None)
                    }
                    Step::Fail => (
                        vec![PayoutEvent::Failed {
                            attempt: attempt.number,
                            closed: !self.gateway.resends_failed_payouts(),
                        }],
                        Some(owed),
                    ),
                    Step::Deliver => {
                        let entry = self.delivery_entry(&payout, attempt).await?;
                        entries.push(entry.clone());
                        let event = PayoutEvent::Succeeded {
                            entry,
                            attempt: attempt.number,
                        };
                        (vec![event], Some(owed.checked_sub(attempt.amount)?))
                    }
                    Step::Return(back) => {
                        let entry = self
                            .return_entry(&payout, attempt, attempt.returned, back)
                            .await?;
                        entries.push(entry.clone());
                        let event = PayoutEvent::Reversed {
                            entry,
                            attempt: attempt.number,
                        };
                        (vec![event], Some(owed.checked_add(back)?))
                    }
                    Step::DeliverAndReturn => {
                        let paid = self.delivery_entry(&payout, attempt).await?;
                        let back = self
                            .return_entry(&payout, attempt, attempt.returned, attempt.amount)
                            .await?;
                        entries.extend([paid.clone(), back.clone()]);
                        let events = vec![
                            PayoutEvent::Succeeded {
                                entry: paid,
                                attempt: attempt.number,
                            },
                            PayoutEvent::Reversed {
                                entry: back,
                                attempt: attempt.number,
                            },
                        ];
                        (events, Some(owed))
                    }
                };
                // Look again once the gateway has had time to report, while anything is owed
                // and nothing is held; a hold stops sending until a person resolves it.
                let wake_at = owed_after
                    .filter(|o| o.is_positive() && payout.held.is_none())
                    .map(|_| self.reverify_at(now));
                let outbox =
                    self.payout_alerts(base, &payout, &loaded.events, step, report, attempt);
                let request = AppendRequest {
                    entries,
                    streams: vec![StreamAppend {
                        stream: stream.clone(),
                        expected_version: loaded.version,
                        events: events.into_iter().map(DomainEvent::Payout).collect(),
                        wake_at,
                    }],
                    outbox,
                    idempotency_key: Some(report.key.into()),
                    at: now.into(),
                };
                Ok(Decision::Write(Write {
                    request,
                    written: if step == Step::Hold {
                        Handled::Flagged {
                            expected: attempt.amount,
                            received: report.amount,
                        }
                    } else {
                        Handled::Recorded
                    },
                    duplicate: Handled::Duplicate,
                    keep: None,
                }))
            })
            .await?;
        if result == Handled::Recorded && failed.load(Ordering::Relaxed) {
            metrics::counter!(
                telemetry::PAYOUT_FAILURES,
                "provider" => self.gateway.provider(),
                "stage" => "report"
            )
            .increment(1);
        }
        if let Handled::Flagged { expected, received } = &result {
            tracing::warn!(
                reference = report.reference,
                outcome = ?report.outcome,
                expected = %expected,
                reported = %received,
                "payout report held for review: not booked, not sent again until resolved"
            );
        }
        Ok(result)
    }

    /// The alerts a payout report raises with its write: the payout failing for the
    /// [`payout_alert_after`](super::ServiceConfig::payout_alert_after)th time (once per
    /// payout: the count only reaches the setting once), or a report held for review
    /// (once per attempt).
    fn payout_alerts(
        &self,
        base: &str,
        payout: &Payout,
        events: &[PayoutEvent],
        step: Step,
        report: &PayoutReport<'_>,
        attempt: &Attempt,
    ) -> Vec<crate::ports::OutboxMessage> {
        match step {
            Step::Fail => {
                let failures = events
                    .iter()
                    .filter(|e| matches!(e, PayoutEvent::Failed { .. }))
                    .count()
                    .saturating_add(1);
                if failures != usize::try_from(self.config.payout_alert_after).unwrap_or(usize::MAX) {
                    return Vec::new();
                }
                vec![self.alert(
                    AlertKind::PayoutFailing,
                    base,
                    base,
                    Some(payout.amount),
                    format!(
                        "the payout {base} to {} has failed {failures} times; tick goes on trying",
                        payout.member
                    ),
                )]
            }
            Step::Hold => vec![self.alert(
                AlertKind::PayoutFailing,
                &format!("{base}:held:{}", attempt.number),
                base,
                Some(report.amount),
                format!(
                    "a report on the payout {base} does not match its attempt {} ({} sent, {} reported): \
                     it is not sent again until resolve_payout_review",
                    attempt.number, attempt.amount, report.amount
                ),
            )],
            _ => Vec::new(),
        }
    }

    /// Resolves the reports held for review on a payout, once a person has checked with
    /// the gateway what became of the attempt they were about (the last one held). See
    /// [`PayoutReview`] for what each finding books; after it, `tick` sends whatever is
    /// still owed, in a new attempt under a fresh reference.
    ///
    /// `reference` is the payout's, or any of its attempts'. Returns whether anything was
    /// held: `false` (and nothing changes) when nothing is, as for a repeated call.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when no payout has the reference, a store error, or
    /// [`ServiceError::TooMuchContention`].
    #[instrument(skip_all, fields(reference = %reference, review = ?review))]
    pub async fn resolve_payout_review(
        &self,
        reference: &str,
        review: PayoutReview,
    ) -> Result<bool, ServiceError> {
        super::logged(async move {
            let (base, _) = payout_of(reference);
            let stream = StreamId::new(StreamKind::Payout, base.clone());
            let (base, stream) = (&base, &stream);
            let at = stream;
            let result = self
                .run(at, move |_| async move {
                    let loaded = self.load_payout(base).await?;
                    let payout = Payout::from_events(base, &loaded.events)?
                        .ok_or_else(|| ServiceError::NotFound(stream.clone()))?;
                    let Some(number) = payout.held else {
                        return Ok(Decision::Done(None));
                    };
                    let attempt = payout
                        .attempt(number)
                        .ok_or_else(|| ServiceError::NotFound(stream.clone()))?;
                    let owed = payout.owed()?;
                    let (entry, owed_after) = match review {
                        PayoutReview::Delivered if !attempt.is_delivered() => (
                            Some(self.delivery_entry(&payout, attempt).await?),
                            owed.checked_sub(attempt.amount)?,
                        ),
                        PayoutReview::Delivered => (None, owed),
                        PayoutReview::NotDelivered => {
                            let still = attempt.still_delivered()?;
                            if still.is_positive() {
                                let entry = self
                                    .return_entry(&payout, attempt, attempt.returned, still)
                                    .await?;
                                (Some(entry), owed.checked_add(still)?)
                            } else {
                                (None, owed)
                            }
                        }
                    };
                    let now = self.now();
                    let request = AppendRequest {
                        entries: entry.iter().cloned().collect(),
                        streams: vec![StreamAppend {
                            stream: stream.clone(),
                            expected_version: loaded.version,
                            events: vec![DomainEvent::Payout(PayoutEvent::ReviewResolved {
                                attempt: number,
                                review,
                                entry,
                            })],
                            // A person has just looked: what is owed goes out on the next tick.
                            wake_at: owed_after.is_positive().then_some(now),
                        }],
                        outbox: Vec::new(),
                        idempotency_key: None,
                        at: now.into(),
                    };
                    Ok(Decision::Write(Write {
                        request,
                        written: Some(number),
                        duplicate: Some(number),
                        keep: None,
                    }))
                })
                .await?;
            if let Some(number) = result {
                tracing::info!(reference = %base, attempt = number, review = ?review, "payout review resolved");
            }
            Ok(result.is_some())
        })
        .await
    }

    /// Wallet → clearing for an attempt's amount, keyed by the attempt: one delivery per
    /// attempt.
    async fn delivery_entry(
        &self,
        payout: &Payout,
        attempt: &Attempt,
    ) -> Result<BalancedEntry, ServiceError> {
        let wallet = self.wallet(&payout.group, &payout.member).await?;
        let clearing = GroupAccounts::clearing_for(attempt.amount.currency());
        let reference = &attempt.reference;
        EntryDraft::new(
            format!("{reference}:paid"),
            format!("payout {reference} delivered"),
        )
        .reference(reference)
        .debit(wallet, attempt.amount)
        .credit(clearing, attempt.amount)
        .balance()
        .map_err(ServiceError::from)
    }

    /// Clearing → wallet for `back` of an attempt that had `returned` booked as returned
    /// already. Keyed by the attempt and the running total after it, which only grows, so
    /// each return has its own key and the same return decided twice has the same one.
    async fn return_entry(
        &self,
        payout: &Payout,
        attempt: &Attempt,
        returned: Money,
        back: Money,
    ) -> Result<BalancedEntry, ServiceError> {
        let wallet = self.wallet(&payout.group, &payout.member).await?;
        let clearing = GroupAccounts::clearing_for(back.currency());
        let total = returned.checked_add(back)?;
        let reference = &attempt.reference;
        EntryDraft::new(
            format!("{reference}:reversal:{}", total.minor()),
            format!("payout {reference} returned: {back}"),
        )
        .reference(reference)
        .debit(clearing, back)
        .credit(wallet, back)
        .balance()
        .map_err(ServiceError::from)
    }

    async fn wallet(&self, group: &GroupId, member: &MemberId) -> Result<Account, ServiceError> {
        let state = self.group(group).await?;
        state
            .accounts()
            .map(|a| a.wallet(member))
            .ok_or_else(|| ServiceError::NotFound(super::exec::group_stream(group)))
    }
}

#[cfg(test)]
mod tests;
