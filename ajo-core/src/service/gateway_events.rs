//! Verified gateway events: money in, money out, and the surprises.

use tracing::instrument;

use super::exec::{
    Loaded, Profiles, as_member, as_payment, current_profile, decode_as, member_stream,
};
use super::runner::{Decision, Write, count_command};
use super::{AjoService, ServiceError};
use crate::aggregate::Aggregate;
use crate::group::{GroupAccounts, GroupCommand, GroupState};
use crate::ledger::{Account, AccountKind, EntryDraft};
use crate::money::Money;
use crate::payment::{PaymentEvent, PaymentPurpose, PayoutOutcome};
use crate::ports::{
    AlertKind, AppendRequest, CollectionQuery, DomainEvent, GatewayError, PaymentState,
    PayoutState, ReadFrom, StreamAppend, StreamId, StreamKind,
};
use crate::webhook::{Authentication, GatewayEvent, PaymentEventKind};

/// The owner of the suspense account where money waiting for review is held.
pub const REVIEW_OWNER: &str = "review";

/// What [`AjoService::handle_gateway_event`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// Recorded: the group, payout or payment moved on.
    Recorded,
    /// Seen before (a duplicate or an older event arriving late): nothing changed.
    Duplicate,
    /// Money arrived that does not match what was expected, or for a group that can no
    /// longer take it: held in suspense for review, never credited. Or a payout report
    /// that does not match the payout attempt it names (another currency, another amount
    /// for a success, more than was sent for a failure or reversal): nothing is booked and
    /// the payout is not sent again until
    /// [`resolve_payout_review`](AjoService::resolve_payout_review).
    Flagged {
        /// What was expected (zero when nothing could be expected).
        expected: Money,
        /// What came.
        received: Money,
    },
    /// No collection or payout has this reference.
    UnknownReference,
    /// A refund or chargeback at the gateway: recorded on its collection, and the change
    /// in what is out of the gateway's clearing account booked against review for a
    /// person to settle.
    HeldForReview {
        /// What this report moved from clearing into review (negative: back).
        moved: Money,
        /// Everything of the collection out of clearing through refunds and disputes now.
        out_of_clearing: Money,
    },
    /// A charge the service was told to confirm with the gateway first
    /// ([`ConfirmationPolicy`](super::ConfirmationPolicy)), and the gateway did not
    /// confirm it: nothing was credited or recorded, so the provider's retry or `tick`'s
    /// re-verification can still settle a charge that was only slow.
    Unconfirmed {
        /// Why, for the log.
        reason: String,
    },
    /// An event ajo does not act on.
    Ignored,
}

impl AjoService {
    /// Acts on a verified gateway event, once: the same event again (or the same fact by
    /// another route, such as `tick`'s re-verification) changes nothing; a payout failure
    /// after its success is recorded as a reversal, and a reversal books only what came
    /// back; money or a payout report that does not match is held for review.
    ///
    /// # Errors
    /// A store error, or [`ServiceError::TooMuchContention`].
    #[instrument(skip_all, fields(provider = %event.provider(), reference = %event.reference(), kind = event.kind().as_str()))]
    pub async fn handle_gateway_event(
        &self,
        event: &GatewayEvent,
    ) -> Result<Handled, ServiceError> {
        super::logged(async move {
            let key = event.idempotency_key().as_str();
            if event.kind() == PaymentEventKind::ChargeSucceeded {
                if self.config.confirmation.requires(event) {
                    // Asking the gateway costs a call: not for what was seen already.
                    if self.store.has_idempotency_key(key).await? {
                        count_command(StreamKind::Payment, Ok(false));
                        return Ok(Handled::Duplicate);
                    }
                    if let Some(reason) = self.unconfirmed(event).await? {
                        tracing::warn!(%reason, "charge not confirmed by the gateway: nothing credited");
                        return Ok(Handled::Unconfirmed { reason });
                    }
                }
                // Checks the key with its first read.
                return self
                    .settle_payment(
                        event.reference(),
                        event.amount(),
                        key,
                        event.transaction_id(),
                    )
                    .await;
            }
            if self.store.has_idempotency_key(key).await? {
                count_command(StreamKind::Payment, Ok(false));
                return Ok(Handled::Duplicate);
            }
            if let Some(what) = super::returns::gateway_return(event.kind()) {
                return self.record_return(event, what).await;
            }
            match event.kind() {
                // A failure moves no money, but recording it would stop `tick` re-verifying
                // the collection: one the gateway's word is needed for is left to `tick`.
                PaymentEventKind::ChargeFailed if self.config.confirmation.requires(event) => {
                    Ok(Handled::Unconfirmed {
                        reason: "a charge failure is taken from the gateway by tick's re-verification"
                            .to_owned(),
                    })
                }
                PaymentEventKind::ChargeFailed => self.fail_payment(event.reference(), key).await,
                PaymentEventKind::PayoutSucceeded
                | PaymentEventKind::PayoutFailed
                | PaymentEventKind::PayoutReversed
                    if self.config.confirmation.requires(event) =>
                {
                    self.confirm_payout_report(event, key).await
                }
                PaymentEventKind::PayoutSucceeded
                | PaymentEventKind::PayoutFailed
                | PaymentEventKind::PayoutReversed => self.payout_event(event, key).await,
                _ => Ok(Handled::Ignored),
            }
        })
        .await
    }

    /// Money confirmed for a collection: into the group if it matches and the group can
    /// take it, else suspense.
    pub(super) async fn settle_payment(
        &self,
        reference: &str,
        received: Money,
        key: &str,
        transaction_id: Option<&str>,
    ) -> Result<Handled, ServiceError> {
        let payment_stream = StreamId::new(StreamKind::Payment, reference);
        let at = &payment_stream;
        let handled = self
            .run(at, move |n| {
                self.settle_attempt(at, reference, received, key, transaction_id, n == 0)
            })
            .await?;
        if let Handled::Flagged { expected, received } = &handled {
            tracing::warn!(expected = %expected, received = %received, "payment held for review");
        }
        Ok(handled)
    }

    /// One attempt of [`settle_payment`](Self::settle_payment).
    async fn settle_attempt(
        &self,
        payment_stream: &StreamId,
        reference: &str,
        received: Money,
        key: &str,
        transaction_id: Option<&str>,
        first: bool,
    ) -> Result<Decision<Handled>, ServiceError> {
        // The first look checks the key with the collection (the same fact seen before
        // is a duplicate whatever the collection says now) and, when this service
        // recorded the collection, reads its group and payer in the same call.
        let (payment, mut prefetched) = if first {
            match self.payers.guess(reference) {
                Some((group, member)) => {
                    let member_at = member_stream(&member);
                    let read = self
                        .read_state_with::<GroupState>(
                            &group,
                            &[payment_stream.clone(), member_at],
                            Some(key),
                        )
                        .await?;
                    if read.key_recorded {
                        return Ok(Decision::Done(Handled::Duplicate));
                    }
                    let mut others = read.others;
                    let payment =
                        decode_as(payment_stream, others.take(payment_stream)?, as_payment)?;
                    let payer = others.take(&member_stream(&member))?;
                    (payment, Some((group, member, read.state, payer)))
                }
                None => {
                    let mut read = self
                        .store
                        .read(&[ReadFrom::new(payment_stream.clone(), 0)], Some(key))
                        .await?;
                    if read.key_recorded() {
                        return Ok(Decision::Done(Handled::Duplicate));
                    }
                    let payment =
                        decode_as(payment_stream, read.take(payment_stream)?, as_payment)?;
                    (payment, None)
                }
            }
        } else {
            (self.load_payment(reference).await?, None)
        };
        let requested = payment.events.iter().find_map(|e| match e {
            PaymentEvent::Requested {
                member,
                purpose,
                amount,
                ..
            } => Some((member.clone(), purpose.clone(), *amount)),
            _ => None,
        });
        // Money for a reference ajo never issued, or another charge on a reference
        // already settled: at the gateway all the same, so it is held for review,
        // never dropped; only the charge already recorded is a duplicate.
        let finished = payment.events.iter().any(|e| {
            matches!(
                e,
                PaymentEvent::Settled { .. } | PaymentEvent::Flagged { .. }
            )
        });
        let Some((member, purpose, expected)) = requested.filter(|_| !finished) else {
            if payment
                .events
                .iter()
                .any(|e| is_charge(e, transaction_id, received))
            {
                return Ok(Decision::Done(Handled::Duplicate));
            }
            return Ok(self.hold_for_review(
                reference,
                Money::zero(received.currency()),
                received,
                key,
                &payment,
                transaction_id,
            ));
        };
        let now = self.now();
        let settled = StreamAppend {
            stream: payment_stream.clone(),
            expected_version: payment.version,
            events: vec![DomainEvent::Payment(PaymentEvent::Settled {
                amount: received,
                transaction_id: transaction_id.map(str::to_owned),
            })],
            wake_at: None,
        };
        let Some(group) = purpose.group().cloned() else {
            if let PaymentPurpose::LoanRepayment { loan, .. } = &purpose {
                if received != expected {
                    return Ok(self.hold_for_review(
                        reference,
                        expected,
                        received,
                        key,
                        &payment,
                        transaction_id,
                    ));
                }
                return Ok(Decision::Done(
                    self.repay_loan_from(loan, reference, received, key, settled, &purpose)
                        .await?,
                ));
            }
            return Ok(Decision::Done(Handled::Ignored));
        };
        // The group and the payer's profile (for the confirmation): read with the
        // collection if the guess was right, else read together now.
        let member_at = member_stream(&member);
        let (state, payer) = match prefetched.take() {
            Some((g, m, state, payer)) if g == group && m == member => (state, payer),
            _ => {
                let read = self
                    .read_state_with::<GroupState>(&group, std::slice::from_ref(&member_at), None)
                    .await?;
                let mut others = read.others;
                let payer = others.take(&member_at)?;
                (read.state, payer)
            }
        };
        let profile = current_profile(decode_as(&member_at, payer, as_member)?);
        let mut profiles = Profiles::default();
        profiles.insert(member.clone(), profile);
        let command = GroupCommand::RecordPayment {
            member: member.clone(),
            amount: received,
            reference: reference.to_owned(),
        };
        let decided = if received == expected {
            match state.decide(&command, now) {
                Ok(events) => Some(events),
                Err(refusal) => {
                    // The amount was right but the group would not take it (cancelled,
                    // completed, a reused reference...): the money is held, not lost, and
                    // the refusal is what the reviewer needs. `Handled::Flagged` keeps its
                    // two fields (hosts match on them), so the refusal goes to the log.
                    tracing::warn!(
                        %refusal,
                        group_id = %group,
                        reference,
                        "the group refused a payment of the expected amount: held for review"
                    );
                    None
                }
            }
        } else {
            None
        };
        let Some(events) = decided else {
            return Ok(self.hold_for_review(
                reference,
                expected,
                received,
                key,
                &payment,
                transaction_id,
            ));
        };
        let decided = self
            .decided::<GroupState>(&group, &state, events, now, &mut profiles)
            .await?;
        let mut streams = decided.streams;
        streams.push(settled);
        Ok(Decision::Write(Write {
            request: AppendRequest {
                entries: decided.entries,
                outbox: decided.outbox,
                streams,
                idempotency_key: Some(key.into()),
                at: now.into(),
            },
            written: Handled::Recorded,
            duplicate: Handled::Duplicate,
            keep: decided.keep,
        }))
    }

    /// Books money that cannot be credited into suspense (clearing → review), on the
    /// payment's stream, once.
    ///
    /// The write is held to the collection's version: when another report wrote to it
    /// first, the command loop decides again from what is there now (this money may
    /// still have to be held).
    pub(super) fn hold_for_review(
        &self,
        reference: &str,
        expected: Money,
        received: Money,
        key: &str,
        payment: &Loaded<PaymentEvent>,
        transaction_id: Option<&str>,
    ) -> Decision<Handled> {
        let version = payment.version;
        let clearing = GroupAccounts::clearing_for(received.currency());
        let review = Account::new(REVIEW_OWNER, AccountKind::Suspense, received.currency());
        // The first hold keeps its old key; a later one (a second charge) is told apart by
        // the collection's version it follows.
        let held_before = payment
            .events
            .iter()
            .any(|e| matches!(e, PaymentEvent::Flagged { .. }));
        let entry_key = if held_before {
            format!("{reference}:held:{}", version + 1)
        } else {
            format!("{reference}:held")
        };
        let Ok(entry) = EntryDraft::new(entry_key, format!("held for review: {reference}"))
            .reference(reference)
            .debit(clearing, received)
            .credit(review, received)
            .balance()
        else {
            // Nothing positive arrived: there is nothing to hold.
            return Decision::Done(Handled::Ignored);
        };
        let why = if expected.is_zero() {
            "no open collection could take it".to_owned()
        } else if expected == received {
            "the group or loan would not take it".to_owned()
        } else {
            format!("{expected} was expected")
        };
        let alert = self.alert(
            AlertKind::MoneyHeld,
            entry.key(),
            reference,
            Some(received),
            format!("{received} received under {reference} is held for review: {why}"),
        );
        let request = AppendRequest {
            entries: vec![entry.clone()],
            outbox: vec![alert],
            streams: vec![StreamAppend {
                stream: StreamId::new(StreamKind::Payment, reference),
                expected_version: version,
                events: vec![DomainEvent::Payment(PaymentEvent::Flagged {
                    expected,
                    received,
                    entry,
                    transaction_id: transaction_id.map(str::to_owned),
                    provider: Some(self.gateway.provider().to_owned()),
                })],
                wake_at: None,
            }],
            idempotency_key: Some(key.into()),
            at: self.now().into(),
        };
        Decision::Write(Write {
            request,
            written: Handled::Flagged { expected, received },
            duplicate: Handled::Duplicate,
            keep: None,
        })
    }

    pub(super) async fn fail_payment(
        &self,
        reference: &str,
        key: &str,
    ) -> Result<Handled, ServiceError> {
        let stream = StreamId::new(StreamKind::Payment, reference);
        let at = &stream;
        self.run(at, move |_| async move {
            let payment = self.load_payment(reference).await?;
            if payment.version == 0 {
                return Ok(Decision::Done(Handled::UnknownReference));
            }
            if payment.events.iter().any(PaymentEvent::closes) {
                // Settled, flagged or failed already: a late failure changes nothing.
                return Ok(Decision::Done(Handled::Duplicate));
            }
            Ok(Decision::Write(Write {
                request: AppendRequest {
                    streams: vec![StreamAppend {
                        stream: at.clone(),
                        expected_version: payment.version,
                        events: vec![DomainEvent::Payment(PaymentEvent::Failed)],
                        wake_at: None,
                    }],
                    entries: Vec::new(),
                    outbox: Vec::new(),
                    idempotency_key: Some(key.into()),
                    at: self.now().into(),
                },
                written: Handled::Recorded,
                duplicate: Handled::Duplicate,
                keep: None,
            }))
        })
        .await
    }

    /// A payout report the service may not act on as it stands (authenticated by a
    /// static token, say): a forged "failed" after a success would have the payout sent
    /// twice. The gateway is asked about the transfer the report names
    /// ([`PaymentGateway::verify_payout`](crate::ports::PaymentGateway::verify_payout)),
    /// and what the gateway says is booked, checked against the payout like any report,
    /// under the report's key. When the gateway cannot look transfers up, the report is
    /// a hint: the payout's next look by `tick`, which asks the gateway by sending again
    /// under the same reference, is brought forward to now. Nothing is booked from the
    /// report's own words.
    ///
    /// # Errors
    /// A store error, or a gateway error that a retry may cure.
    async fn confirm_payout_report(
        &self,
        event: &GatewayEvent,
        key: &str,
    ) -> Result<Handled, ServiceError> {
        let claimed = event.reference();
        let answer = match event.transaction_id() {
            Some(id) => Some(self.gateway.verify_payout(id, claimed).await),
            None => None,
        };
        let status = match answer {
            Some(Ok(status)) => status,
            Some(Err(error)) if error.is_retryable() => return Err(error.into()),
            Some(Err(GatewayError::NotFound { .. })) => {
                let reason = "the gateway does not know this transfer".to_owned();
                tracing::warn!(%reason, "payout report not taken");
                return Ok(Handled::Unconfirmed { reason });
            }
            Some(Err(GatewayError::InvalidRequest { .. })) | None
                if event.authentication() == Authentication::CallbackTag =>
            {
                return self.tagged_payout_report(event, key).await;
            }
            // Anyone who knows an unsigned callback's URL could send this as often as they
            // like: it must not even bring the next send forward.
            Some(Err(_)) | None if event.authentication().is_unsigned_callback() => {
                let reason = "an unsigned payout report the gateway cannot confirm".to_owned();
                tracing::warn!(%reason, "payout report not taken");
                return Ok(Handled::Unconfirmed { reason });
            }
            Some(Err(_)) | None => return self.payout_hint(claimed).await,
        };
        let outcome = match status.state {
            PayoutState::Succeeded => Some(PayoutOutcome::Succeeded),
            PayoutState::Failed => Some(PayoutOutcome::Failed),
            PayoutState::Reversed => Some(PayoutOutcome::Reversed),
            _ => None,
        };
        let taken = match (outcome, status.amount) {
            _ if status.reference != claimed => {
                Err("the gateway has this transfer under another reference")
            }
            (None, _) => Err("the gateway says the transfer is still pending"),
            (_, None) => Err("the gateway names no amount"),
            (Some(outcome), Some(amount)) => Ok((outcome, amount)),
        };
        let (outcome, amount) = match taken {
            Ok(taken) => taken,
            Err(reason) => {
                tracing::warn!(%reason, "payout report not taken");
                return Ok(Handled::Unconfirmed {
                    reason: reason.to_owned(),
                });
            }
        };
        self.payout_outcome(&super::payouts::PayoutReport {
            reference: claimed,
            outcome,
            amount,
            basis: crate::webhook::AmountBasis::Event,
            key,
            hold: false,
        })
        .await
    }

    /// A payout report the gateway cannot confirm (Daraja has no synchronous B2C status)
    /// but which names the tag ajo sent with this very payout
    /// ([`Authentication::CallbackTag`]): a success is booked as reported (checked against
    /// the attempt like any report); a failure or reversal is held for review, because
    /// acting on it means sending the money again, and the report alone must never cause
    /// that.
    async fn tagged_payout_report(
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
        self.payout_outcome(&super::payouts::PayoutReport {
            reference: event.reference(),
            outcome,
            amount: event.amount(),
            basis: event.amount_basis(),
            key,
            hold: outcome != PayoutOutcome::Succeeded,
        })
        .await
    }

    /// Brings the next look by `tick` at the payout `reference` belongs to forward to
    /// now, and reports that nothing was taken from the report.
    async fn payout_hint(&self, reference: &str) -> Result<Handled, ServiceError> {
        let (base, _) = super::payouts::payout_of(reference);
        let payout = self.load_payout(&base).await?;
        if payout.version == 0 {
            return Ok(Handled::UnknownReference);
        }
        let now = self.now();
        self.set_wake(
            StreamId::new(StreamKind::Payout, base),
            payout.version,
            Some(now),
            now,
        )
        .await?;
        let reason = "a payout report is confirmed with the gateway by the next tick".to_owned();
        tracing::warn!(%reason, "payout report not taken as it stands");
        Ok(Handled::Unconfirmed { reason })
    }

    /// Why the gateway does not confirm a reported charge, or `None` when it does: it
    /// knows the charge (by the provider's id when the report names one), it succeeded,
    /// and it is for this reference, in this currency and amount.
    ///
    /// # Errors
    /// The gateway's error when it cannot answer (unavailable, timeout): the webhook
    /// should be retried, not dropped.
    async fn unconfirmed(&self, event: &GatewayEvent) -> Result<Option<String>, ServiceError> {
        // The gateway is told what the service recorded of the collection (its checkout id,
        // the amount asked), never what the report claims of it.
        let payment = self.load_payment(event.reference()).await?;
        let (checkout, requested) = recorded_checkout(&payment.events);
        let query = CollectionQuery::new(event.reference())
            .with_transaction_id(event.transaction_id())
            .with_checkout(checkout, requested);
        let answer = self.gateway.verify_collection(&query).await;
        let status = match answer {
            Ok(status) => status,
            Err(GatewayError::NotFound { .. }) => {
                return Ok(Some("the gateway does not know this charge".into()));
            }
            Err(other) => return Err(other.into()),
        };
        Ok(if status.state != PaymentState::Succeeded {
            Some(format!("the gateway says the charge is {:?}", status.state))
        } else if status.reference != event.reference() {
            Some("the gateway has this charge under another reference".into())
        } else if status.amount != Some(event.amount()) {
            Some(match status.amount {
                Some(amount) => format!("the gateway has {amount}, the report {}", event.amount()),
                None => "the gateway names no amount".into(),
            })
        } else {
            None
        })
    }
}

/// The provider's id for a collection's checkout and the amount asked, as its stream
/// recorded them.
pub(super) fn recorded_checkout(events: &[PaymentEvent]) -> (Option<&str>, Option<Money>) {
    let checkout = events.iter().find_map(|e| match e {
        PaymentEvent::CheckoutOpened {
            provider_reference, ..
        } => provider_reference.as_deref(),
        _ => None,
    });
    let requested = events.iter().find_map(|e| match e {
        PaymentEvent::Requested { amount, .. } => Some(*amount),
        _ => None,
    });
    (checkout, requested)
}

/// Whether a recorded charge (settled or held) is the one now reported: the same
/// provider transaction where both name one, else the same amount (a charge settled by
/// `tick`'s re-verification names none, and the gateway confirmed exactly one).
fn is_charge(event: &PaymentEvent, transaction_id: Option<&str>, amount: Money) -> bool {
    let (recorded_amount, recorded_id) = match event {
        PaymentEvent::Settled {
            amount,
            transaction_id,
        } => (*amount, transaction_id.as_deref()),
        PaymentEvent::Flagged {
            received,
            transaction_id,
            ..
        } => (*received, transaction_id.as_deref()),
        _ => return false,
    };
    match (recorded_id, transaction_id) {
        (Some(recorded), Some(reported)) => recorded == reported,
        _ => recorded_amount == amount,
    }
}

impl PaymentPurpose {
    /// A short label for logs.
    pub fn label(&self) -> &'static str {
        match self {
            PaymentPurpose::Deposit { .. } => "deposit",
            PaymentPurpose::Contribution { .. } => "contribution",
            PaymentPurpose::LoanRepayment { .. } => "loan repayment",
        }
    }
}
