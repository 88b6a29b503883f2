//! Resolving an item of the review queue.

use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::super::exec::{Loaded, Profiles};
use super::super::returns::{Report, chargebacks_of};
use super::super::runner::{Decision, Write};
use super::{HeldState, ReviewError};
use std::sync::Arc;

use super::super::runner::Hosted;
use crate::group::{GroupAccounts, GroupCommand, GroupEvent, GroupState};
use crate::ids::{GroupId, LoanId, MemberId};
use crate::ledger::{Account, AccountKind, BalancedEntry, EntryDraft};
use crate::loan::{LoanCommand, LoanEvent, LoanState, Reamortize};
use crate::money::Money;
use crate::payment::{GatewayReturn, HeldResolution, PaymentEvent};
use crate::ports::{
    AppendRequest, DomainEvent, GatewayError, PayoutState, RefundRequest, StreamAppend, StreamId,
    StreamKind,
};
use crate::service::{AjoService, REVIEW_OWNER, ServiceError};

/// What [`AjoService::resolve_held`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resolved {
    /// Booked out of review: credited, charged, written off, or refunded with the
    /// gateway's confirmation.
    Booked {
        /// The amount moved out of review (negative: money out recovered or written off).
        amount: Money,
    },
    /// The gateway took the refund and has not confirmed it: its report books it, and
    /// the item stays in the queue, marked pending, until then.
    RefundPending {
        /// The amount asked back.
        amount: Money,
    },
    /// A refund asked and never made ([`HeldResolution::RefundNotMade`]): the money is
    /// held as before, for another resolution.
    HeldAgain,
}

impl AjoService {
    /// Resolves the money held for review under a collection's `reference`, all of it,
    /// as a person decided (`by` is the operator's id, `reason` their words, both kept on
    /// the collection's stream):
    ///
    /// - [`Credited`](HeldResolution::Credited): money that arrived is booked as the
    ///   member's payment in the group, review → the group's accounts, applied as any
    ///   payment (dues first, penalties, deposit, the rest to the member's wallet);
    /// - [`CreditedToLoan`](HeldResolution::CreditedToLoan): money that arrived is applied
    ///   to the loan as a repayment, review → the loan's accounts;
    /// - [`Refunded`](HeldResolution::Refunded): money that arrived is refunded through
    ///   the gateway; the refund is booked (review → clearing) when the gateway confirms
    ///   it, at once (naming the refund) or by its refund report. The ask is recorded
    ///   before the gateway is called, and only that call asks: while it is pending any
    ///   other resolution, a second ask included, is refused
    ///   ([`ReviewError::RefundPending`]), so the money is never refunded twice. A refund
    ///   the gateway refuses or reports failed holds the money again;
    /// - [`RefundNotMade`](HeldResolution::RefundNotMade): a person found a pending
    ///   refund never made at the gateway (its answer was lost): the money is held again;
    /// - [`ChargedTo`](HeldResolution::ChargedTo): money that left the gateway (a refund
    ///   it made) becomes the member's to repay (their chargeback receivable);
    /// - [`WrittenOff`](HeldResolution::WrittenOff): either way, onto the write-off
    ///   account.
    ///
    /// Once: a resolved item is no longer held, so the same call again is refused with
    /// [`ReviewError::NothingHeld`]; under a host's idempotency key
    /// ([`Idempotent::resolve_held`](super::super::Idempotent::resolve_held)) a retry
    /// answers the first answer.
    ///
    /// # Errors
    /// [`ReviewError`] (nothing held, a refund waiting, a resolution that does not fit
    /// the money's direction, no operator or reason); a group's refusal for a credit;
    /// the gateway's error for a refund (a retryable one leaves the refund pending, for
    /// the gateway's report or [`RefundNotMade`](HeldResolution::RefundNotMade)); a store
    /// error.
    #[instrument(skip_all, fields(reference = %reference, resolution = ?resolution))]
    pub async fn resolve_held(
        &self,
        reference: &str,
        resolution: HeldResolution,
        by: &str,
        reason: &str,
    ) -> Result<Resolved, ServiceError> {
        super::super::logged(async move {
            if by.trim().is_empty() || reason.trim().is_empty() {
                return Err(ReviewError::Unexplained.into());
            }
            let stream = StreamId::new(StreamKind::Payment, reference);
            let resolution = &resolution;
            let at = &stream;
            let asked = self
                .run(at, move |_| async move {
                    let payment = self.load_payment(reference).await?;
                    let nothing = || ReviewError::NothingHeld {
                        reference: reference.to_owned(),
                    };
                    let state = HeldState::of(&payment.events)?.ok_or_else(nothing)?;
                    if matches!(resolution, HeldResolution::RefundNotMade) {
                        if !state.refund_pending {
                            return Err(ReviewError::NoRefundAsked {
                                reference: reference.to_owned(),
                            }
                            .into());
                        }
                        let cleared = PaymentEvent::Resolved {
                            resolution: HeldResolution::RefundNotMade,
                            amount: state.held,
                            by: by.to_owned(),
                            reason: reason.to_owned(),
                            entry: None,
                            refund: None,
                        };
                        return Ok(self.on_payment(
                            reference,
                            &payment,
                            vec![cleared],
                            None,
                            Step::Noted,
                        ));
                    }
                    let refund = matches!(resolution, HeldResolution::Refunded);
                    if state.refund_pending && !refund {
                        return Err(ReviewError::RefundPending {
                            reference: reference.to_owned(),
                        }
                        .into());
                    }
                    if state.held.is_zero() && !state.refund_pending {
                        return Err(nothing().into());
                    }
                    let wrong = |what: &'static str| -> ServiceError {
                        ReviewError::WrongDirection {
                            reference: reference.to_owned(),
                            held: state.held,
                            resolution: what,
                        }
                        .into()
                    };
                    let held = state.held;
                    match resolution {
                        HeldResolution::Credited { group, member } => {
                            if !held.is_positive() {
                                return Err(wrong("credited"));
                            }
                            self.credit_held(reference, &payment, held, group, member, by, reason)
                                .await
                        }
                        HeldResolution::CreditedToLoan { loan } => {
                            if !held.is_positive() {
                                return Err(wrong("credited"));
                            }
                            self.credit_loan(reference, &payment, held, loan, by, reason)
                                .await
                        }
                        HeldResolution::Refunded => {
                            if !held.is_positive() {
                                return Err(wrong("refunded"));
                            }
                            if state.refund_pending {
                                // Only the call that recorded the ask asks the gateway: a
                                // second ask (another operator, a retry) could refund twice.
                                return Err(ReviewError::RefundPending {
                                    reference: reference.to_owned(),
                                }
                                .into());
                            }
                            let asked = PaymentEvent::Resolved {
                                resolution: HeldResolution::Refunded,
                                amount: held,
                                by: by.to_owned(),
                                reason: reason.to_owned(),
                                entry: None,
                                refund: None,
                            };
                            Ok(self.on_payment(
                                reference,
                                &payment,
                                vec![asked],
                                None,
                                Step::AskRefund(held),
                            ))
                        }
                        HeldResolution::ChargedTo { member } => {
                            if !held.is_negative() {
                                return Err(wrong("charged to a member"));
                            }
                            let out = held.negated();
                            let entry = resolution_entry(reference, &payment)
                                .debit(chargebacks_of(member, out.currency()), out)
                                .credit(review_for(&out), out)
                                .balance()?;
                            Ok(self
                                .booked(reference, &payment, resolution, held, by, reason, entry))
                        }
                        // Answered above, before any money is looked at.
                        HeldResolution::RefundNotMade => Err(ReviewError::NoRefundAsked {
                            reference: reference.to_owned(),
                        }
                        .into()),
                        HeldResolution::WrittenOff => {
                            let written = Account::new(
                                REVIEW_OWNER,
                                AccountKind::WrittenOff,
                                held.currency(),
                            );
                            let draft = resolution_entry(reference, &payment);
                            let entry = if held.is_positive() {
                                draft.debit(review_for(&held), held).credit(written, held)
                            } else {
                                let out = held.negated();
                                draft.debit(written, out).credit(review_for(&out), out)
                            }
                            .balance()?;
                            Ok(self
                                .booked(reference, &payment, resolution, held, by, reason, entry))
                        }
                    }
                })
                .await?;
            match asked {
                Step::AskRefund(amount) => self.ask_refund(reference, amount, reason).await,
                Step::Booked(amount) => Ok(Resolved::Booked { amount }),
                Step::Noted => Ok(Resolved::HeldAgain),
            }
        })
        .await
    }

    /// The money held, credited to `member` in `group` as their payment: the group decides
    /// it as any payment, and its entry takes the money from review, where it is, rather
    /// than from the gateway's clearing account, which already counted it when it came.
    #[allow(clippy::too_many_arguments)]
    async fn credit_held(
        &self,
        reference: &str,
        payment: &Loaded<PaymentEvent>,
        held: Money,
        group: &GroupId,
        member: &MemberId,
        by: &str,
        reason: &str,
    ) -> Result<Decision<Step>, ServiceError> {
        let (state, _) = self.load_group(group).await?;
        // The group keeps one payment per reference: a reference it already took (the
        // first charge of one charged twice) gets one of its own for this credit.
        let group_reference = if state.has_payment(reference) {
            format!("{reference}:review:{}", payment.version + 1)
        } else {
            reference.to_owned()
        };
        let command = GroupCommand::RecordPayment {
            member: member.clone(),
            amount: held,
            reference: group_reference,
        };
        let resolution = HeldResolution::Credited {
            group: group.clone(),
            member: member.clone(),
        };
        self.credit::<GroupState>(
            group, &state, &command, reference, payment, held, resolution, by, reason,
        )
        .await
    }

    /// The money held, applied to `loan` as a repayment (overdue installments first, as
    /// any repayment), from review.
    #[allow(clippy::too_many_arguments)]
    async fn credit_loan(
        &self,
        reference: &str,
        payment: &Loaded<PaymentEvent>,
        held: Money,
        loan: &LoanId,
        by: &str,
        reason: &str,
    ) -> Result<Decision<Step>, ServiceError> {
        let state = self.state_of::<LoanState>(loan).await?;
        let command = LoanCommand::Repay {
            payment_ref: format!("{reference}:review:{}", payment.version + 1),
            amount: held,
            overpayment: Reamortize::default(),
        };
        let resolution = HeldResolution::CreditedToLoan { loan: loan.clone() };
        self.credit::<LoanState>(
            loan, &state, &command, reference, payment, held, resolution, by, reason,
        )
        .await
    }

    /// Decides `command` on an aggregate as money come in, rebooks the money from review
    /// instead of clearing, and writes it with the resolution on the collection's stream.
    #[allow(clippy::too_many_arguments)]
    async fn credit<A>(
        &self,
        id: &A::Id,
        state: &Arc<A>,
        command: &A::Command,
        reference: &str,
        payment: &Loaded<PaymentEvent>,
        held: Money,
        resolution: HeldResolution,
        by: &str,
        reason: &str,
    ) -> Result<Decision<Step>, ServiceError>
    where
        A: Hosted,
        A::Event: FromReview,
    {
        let now = self.now();
        let events = state.decide(command, now).map_err(A::refused)?;
        let review = review_for(&held);
        let mut credited = None;
        let mut rewritten = Vec::with_capacity(events.len());
        for event in events {
            let (event, entry) = event.taken_from_review(&review)?;
            credited = credited.or(entry);
            rewritten.push(event);
        }
        let mut profiles = Profiles::default();
        let decided = self
            .decided::<A>(id, state, rewritten, now, &mut profiles)
            .await?;
        let resolved = PaymentEvent::Resolved {
            resolution,
            amount: held,
            by: by.to_owned(),
            reason: reason.to_owned(),
            entry: credited,
            refund: None,
        };
        let mut streams = decided.streams;
        streams.push(StreamAppend {
            stream: StreamId::new(StreamKind::Payment, reference),
            expected_version: payment.version,
            events: vec![DomainEvent::Payment(resolved)],
            wake_at: None,
        });
        Ok(Decision::Write(Write {
            request: AppendRequest {
                streams,
                entries: decided.entries,
                outbox: decided.outbox,
                idempotency_key: None,
                at: now.into(),
            },
            written: Step::Booked(held),
            duplicate: Step::Booked(held),
            keep: decided.keep,
        }))
    }

    /// A resolution booked by one entry of its own.
    #[allow(clippy::too_many_arguments)]
    fn booked(
        &self,
        reference: &str,
        payment: &Loaded<PaymentEvent>,
        resolution: &HeldResolution,
        held: Money,
        by: &str,
        reason: &str,
        entry: BalancedEntry,
    ) -> Decision<Step> {
        let event = PaymentEvent::Resolved {
            resolution: resolution.clone(),
            amount: held,
            by: by.to_owned(),
            reason: reason.to_owned(),
            entry: Some(entry.clone()),
            refund: None,
        };
        self.on_payment(
            reference,
            payment,
            vec![event],
            Some(entry),
            Step::Booked(held),
        )
    }

    /// Events (and an entry) on the collection's stream alone, at the version read.
    fn on_payment(
        &self,
        reference: &str,
        payment: &Loaded<PaymentEvent>,
        events: Vec<PaymentEvent>,
        entry: Option<BalancedEntry>,
        answer: Step,
    ) -> Decision<Step> {
        Decision::Write(Write {
            request: AppendRequest {
                streams: vec![StreamAppend {
                    stream: StreamId::new(StreamKind::Payment, reference),
                    expected_version: payment.version,
                    events: events.into_iter().map(DomainEvent::Payment).collect(),
                    wake_at: None,
                }],
                entries: entry.into_iter().collect(),
                outbox: Vec::new(),
                idempotency_key: None,
                at: self.now().into(),
            },
            written: answer,
            duplicate: answer,
            keep: None,
        })
    }

    /// Asks the gateway to refund money held (the ask already recorded), and books what
    /// it answers: a refund it confirms at once, as its refund report would; a refusal,
    /// so the money can be resolved another way.
    async fn ask_refund(
        &self,
        reference: &str,
        amount: Money,
        reason: &str,
    ) -> Result<Resolved, ServiceError> {
        let request = RefundRequest {
            payment_reference: reference.to_owned(),
            amount: Some(amount),
            reason: reason.to_owned(),
        };
        let receipt = match self.gateway.refund(&request).await {
            Ok(receipt) => receipt,
            // The refund may have been taken: it stays asked, for the gateway's report or
            // another ask.
            Err(error) if error.is_retryable() => return Err(error.into()),
            Err(error) => {
                self.note_refund_refused(reference, &error).await?;
                return Err(error.into());
            }
        };
        if receipt.state == PayoutState::Failed {
            let failed = GatewayError::Declined {
                code: "refund_failed".to_owned(),
            };
            self.note_refund_refused(reference, &failed).await?;
            return Err(failed.into());
        }
        // Booked at once only when the gateway confirms it and names it: its refund
        // report, which names it too, then finds it counted. Otherwise that report books it.
        let (PayoutState::Succeeded, Some(id)) =
            (receipt.state, receipt.provider_reference.as_deref())
        else {
            return Ok(Resolved::RefundPending { amount });
        };
        let report = Report {
            what: GatewayReturn::Refund,
            object: Some(id),
            amount,
            cumulative: false,
        };
        self.book_return(reference, report, &format!("refund:{reference}:{id}"))
            .await?;
        Ok(Resolved::Booked { amount })
    }
}

impl AjoService {
    /// Records that the gateway refused (or failed) the refund this call asked: the money
    /// is held again, for another resolution.
    async fn note_refund_refused(
        &self,
        reference: &str,
        error: &GatewayError,
    ) -> Result<(), ServiceError> {
        let refused = PaymentEvent::RefundRefused {
            error: error.to_string(),
        };
        let stream = StreamId::new(StreamKind::Payment, reference);
        let at = &stream;
        let refused = &refused;
        self.run(at, move |_| async move {
            let payment = self.load_payment(reference).await?;
            Ok(self.on_payment(
                reference,
                &payment,
                vec![refused.clone()],
                None,
                Step::Noted,
            ))
        })
        .await?;
        Ok(())
    }
}

/// What a resolution's write leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Booked out of review: the amount.
    Booked(Money),
    /// The refund of this amount is to be asked of the gateway (the ask recorded).
    AskRefund(Money),
    /// Only noted on the collection (a refund the gateway refused).
    Noted,
}

/// The review account in the money's currency.
fn review_for(money: &Money) -> Account {
    Account::new(REVIEW_OWNER, AccountKind::Suspense, money.currency())
}

fn resolution_entry(reference: &str, payment: &Loaded<PaymentEvent>) -> EntryDraft {
    EntryDraft::new(
        format!("{reference}:resolved:{}", payment.version + 1),
        format!("review resolved: {reference}"),
    )
    .reference(reference)
}

/// `entry` with its gateway-clearing leg taken from `review` instead.
fn from_review(entry: &BalancedEntry, review: &Account) -> Result<BalancedEntry, ServiceError> {
    let clearing = GroupAccounts::clearing_for(review.currency());
    let mut draft = EntryDraft::new(entry.key(), entry.memo());
    if let Some(reference) = entry.reference() {
        draft = draft.reference(reference);
    }
    for posting in entry.postings() {
        let account = if posting.account == clearing {
            review.clone()
        } else {
            posting.account.clone()
        };
        draft = draft.posting(account, posting.side, posting.amount);
    }
    Ok(draft.balance()?)
}

/// An aggregate's event for money come in, rebooked to take the money from review: the
/// event, and its rebooked entry when it has one.
trait FromReview: Sized {
    fn taken_from_review(
        self,
        review: &Account,
    ) -> Result<(Self, Option<BalancedEntry>), ServiceError>;
}

impl FromReview for GroupEvent {
    fn taken_from_review(
        self,
        review: &Account,
    ) -> Result<(Self, Option<BalancedEntry>), ServiceError> {
        Ok(match self {
            GroupEvent::PaymentRecorded {
                member,
                reference,
                amount,
                applied,
                entry,
            } => {
                let entry = from_review(&entry, review)?;
                let event = GroupEvent::PaymentRecorded {
                    member,
                    reference,
                    amount,
                    applied,
                    entry: entry.clone(),
                };
                (event, Some(entry))
            }
            other => (other, None),
        })
    }
}

impl FromReview for LoanEvent {
    fn taken_from_review(
        self,
        review: &Account,
    ) -> Result<(Self, Option<BalancedEntry>), ServiceError> {
        Ok(match self {
            LoanEvent::PaymentApplied {
                at,
                payment_ref,
                amount,
                allocation,
                entry,
            } => {
                let entry = from_review(&entry, review)?;
                let event = LoanEvent::PaymentApplied {
                    at,
                    payment_ref,
                    amount,
                    allocation,
                    entry: entry.clone(),
                };
                (event, Some(entry))
            }
            other => (other, None),
        })
    }
}
