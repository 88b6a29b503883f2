//! Verified gateway events: money in, money out, and the surprises.

use tracing::instrument;

use super::exec::{
    Profiles, as_member, as_payment, current_profile, decode_as, group_append, member_stream,
};
use super::{AjoService, PaymentEvent, PaymentPurpose, PayoutEvent, ServiceError};
use crate::group::{GroupAccounts, GroupCommand, GroupId, decide};
use crate::ledger::{Account, AccountKind, EntryDraft};
use crate::money::Money;
use crate::ports::{
    AppendRequest, DomainEvent, ReadFrom, StoreError, StreamAppend, StreamId, StreamKind,
};
use crate::webhook::{GatewayEvent, PaymentEventKind};

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
    /// longer take it: held in suspense for review, never credited.
    Flagged {
        /// What was expected (zero when nothing could be expected).
        expected: Money,
        /// What came.
        received: Money,
    },
    /// No collection or payout has this reference.
    UnknownReference,
    /// An event ajo does not act on (a refund report: refunds are started by ajo and
    /// posted when it asks for them).
    Ignored,
}

impl AjoService {
    /// Acts on a verified gateway event, once: the same event again (or the same fact by
    /// another route, such as `tick`'s re-verification) changes nothing; a payout failure
    /// after its success is recorded as a reversal; money that does not match is held for
    /// review.
    ///
    /// # Errors
    /// A store error, or [`ServiceError::TooMuchContention`].
    #[instrument(skip_all, fields(provider = %event.provider(), reference = %event.reference(), kind = event.kind().as_str()), err)]
    pub async fn handle_gateway_event(
        &self,
        event: &GatewayEvent,
    ) -> Result<Handled, ServiceError> {
        let key = event.idempotency_key().as_str();
        if event.kind() == PaymentEventKind::ChargeSucceeded {
            // Checks the key with its first read.
            return self
                .settle_payment(event.reference(), event.amount(), key)
                .await;
        }
        if self.store.has_idempotency_key(key).await? {
            return Ok(Handled::Duplicate);
        }
        match event.kind() {
            PaymentEventKind::ChargeFailed => self.fail_payment(event.reference(), key).await,
            PaymentEventKind::PayoutSucceeded => {
                self.payout_outcome(event.reference(), true, key).await
            }
            PaymentEventKind::PayoutFailed | PaymentEventKind::PayoutReversed => {
                self.payout_outcome(event.reference(), false, key).await
            }
            _ => Ok(Handled::Ignored),
        }
    }

    /// Money confirmed for a collection: into the group if it matches and the group can
    /// take it, else suspense.
    pub(super) async fn settle_payment(
        &self,
        reference: &str,
        received: Money,
        key: &str,
    ) -> Result<Handled, ServiceError> {
        let payment_stream = StreamId::new(StreamKind::Payment, reference);
        let mut key_unchecked = true;
        for _ in 0..=self.config.conflict_retries {
            // The first look checks the key with the collection (the same fact seen before
            // is a duplicate whatever the collection says now) and, when this service
            // recorded the collection, reads its group and payer in the same call.
            let (payment, mut prefetched) = if std::mem::take(&mut key_unchecked) {
                match self.payers.guess(reference) {
                    Some((group, member)) => {
                        let member_at = member_stream(&member);
                        let read = self
                            .read_group_with(
                                &group,
                                &[payment_stream.clone(), member_at],
                                Some(key),
                            )
                            .await?;
                        if read.key_recorded {
                            return Ok(Handled::Duplicate);
                        }
                        let mut others = read.others.into_iter();
                        let payment = decode_as(
                            &payment_stream,
                            others.next().unwrap_or_default(),
                            as_payment,
                        )?;
                        let payer = others.next().unwrap_or_default();
                        (
                            payment,
                            Some((group, member, read.state, read.version, payer)),
                        )
                    }
                    None => {
                        let read = self
                            .store
                            .read(&[ReadFrom::new(payment_stream.clone(), 0)], Some(key))
                            .await?;
                        if read.key_recorded {
                            return Ok(Handled::Duplicate);
                        }
                        let payment = decode_as(
                            &payment_stream,
                            read.events.into_iter().next().unwrap_or_default(),
                            as_payment,
                        )?;
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
            let Some((member, purpose, expected)) = requested else {
                // Money for a reference ajo never issued: hold it for review all the same.
                if payment.events.is_empty() {
                    return self
                        .hold_for_review(
                            reference,
                            Money::zero(received.currency()),
                            received,
                            key,
                            0,
                        )
                        .await;
                }
                return Ok(Handled::Duplicate);
            };
            let finished = payment.events.iter().any(|e| {
                matches!(
                    e,
                    PaymentEvent::Settled { .. } | PaymentEvent::Flagged { .. }
                )
            });
            if finished {
                return Ok(Handled::Duplicate);
            }
            let now = self.now();
            let Some(group) = purpose.group().cloned() else {
                if let PaymentPurpose::LoanRepayment { loan } = &purpose {
                    let settled = StreamAppend {
                        stream: payment_stream.clone(),
                        expected_version: payment.version,
                        events: vec![DomainEvent::Payment(PaymentEvent::Settled {
                            amount: received,
                        })],
                        wake_at: None,
                    };
                    if received != expected {
                        return self
                            .hold_for_review(reference, expected, received, key, payment.version)
                            .await;
                    }
                    return self
                        .repay_loan_from(loan, reference, received, key, settled)
                        .await;
                }
                return Ok(Handled::Ignored);
            };
            // The group and the payer's profile (for the confirmation): read with the
            // collection if the guess was right, else read together now.
            let member_at = member_stream(&member);
            let (mut state, version, payer) = match prefetched.take() {
                Some((g, m, state, version, payer)) if g == group && m == member => {
                    (state, version, payer)
                }
                _ => {
                    let read = self
                        .read_group_with(&group, std::slice::from_ref(&member_at), None)
                        .await?;
                    let payer = read.others.into_iter().next().unwrap_or_default();
                    (read.state, read.version, payer)
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
                decide(&state, &command, now).ok()
            } else {
                None
            };
            let Some(events) = decided else {
                return self
                    .hold_for_review(reference, expected, received, key, payment.version)
                    .await;
            };
            let before = state.clone();
            for e in &events {
                state.apply(e);
            }
            let settled = StreamAppend {
                stream: payment_stream.clone(),
                expected_version: payment.version,
                events: vec![DomainEvent::Payment(PaymentEvent::Settled {
                    amount: received,
                })],
                wake_at: None,
            };
            let request = AppendRequest {
                entries: events.iter().filter_map(|e| e.entry().cloned()).collect(),
                outbox: self.group_messages(&before, &events, &mut profiles).await?,
                streams: vec![group_append(&group, version, &state, &events, now), settled],
                idempotency_key: Some(key.to_owned()),
                at: now.into(),
            };
            match self.append(request).await {
                Ok(true) => {
                    self.keep_group(&group, state, &events);
                    return Ok(Handled::Recorded);
                }
                Ok(false) => return Ok(Handled::Duplicate),
                Err(ServiceError::Store(StoreError::Conflict { .. })) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(ServiceError::TooMuchContention {
            stream: payment_stream,
            attempts: self.config.conflict_retries + 1,
        })
    }

    /// Books money that cannot be credited into suspense (clearing → review), on the
    /// payment's stream, once.
    pub(super) async fn hold_for_review(
        &self,
        reference: &str,
        expected: Money,
        received: Money,
        key: &str,
        version: u64,
    ) -> Result<Handled, ServiceError> {
        let clearing = GroupAccounts::clearing_for(received.currency());
        let review = Account::new(REVIEW_OWNER, AccountKind::Suspense, received.currency());
        let Ok(entry) = EntryDraft::new(
            format!("{reference}:held"),
            format!("held for review: {reference}"),
        )
        .reference(reference)
        .debit(clearing, received)
        .credit(review, received)
        .balance() else {
            // Nothing positive arrived: there is nothing to hold.
            return Ok(Handled::Ignored);
        };
        let request = AppendRequest {
            entries: vec![entry.clone()],
            outbox: Vec::new(),
            streams: vec![StreamAppend {
                stream: StreamId::new(StreamKind::Payment, reference),
                expected_version: version,
                events: vec![DomainEvent::Payment(PaymentEvent::Flagged {
                    expected,
                    received,
                    entry,
                })],
                wake_at: None,
            }],
            idempotency_key: Some(key.to_owned()),
            at: self.now().into(),
        };
        match self.append(request).await {
            Ok(true) => {
                tracing::warn!(expected = %expected, received = %received, "payment held for review");
                Ok(Handled::Flagged { expected, received })
            }
            Ok(false) | Err(ServiceError::Store(StoreError::Conflict { .. })) => {
                Ok(Handled::Duplicate)
            }
            Err(other) => Err(other),
        }
    }

    pub(super) async fn fail_payment(
        &self,
        reference: &str,
        key: &str,
    ) -> Result<Handled, ServiceError> {
        let payment = self.load_payment(reference).await?;
        if payment.version == 0 {
            return Ok(Handled::UnknownReference);
        }
        if payment
            .events
            .iter()
            .any(|e| !matches!(e, PaymentEvent::Requested { .. }))
        {
            // Settled, flagged or failed already: a late failure changes nothing.
            return Ok(Handled::Duplicate);
        }
        let request = AppendRequest {
            streams: vec![StreamAppend {
                stream: StreamId::new(StreamKind::Payment, reference),
                expected_version: payment.version,
                events: vec![DomainEvent::Payment(PaymentEvent::Failed)],
                wake_at: None,
            }],
            entries: Vec::new(),
            outbox: Vec::new(),
            idempotency_key: Some(key.to_owned()),
            at: self.now().into(),
        };
        match self.append(request).await {
            Ok(true) => Ok(Handled::Recorded),
            Ok(false) | Err(ServiceError::Store(StoreError::Conflict { .. })) => {
                Ok(Handled::Duplicate)
            }
            Err(other) => Err(other),
        }
    }

    /// A payout delivered (`delivered`) or failed/reversed. A failure after a success
    /// reverses it; a success after a failure records the success.
    pub(super) async fn payout_outcome(
        &self,
        reference: &str,
        delivered: bool,
        key: &str,
    ) -> Result<Handled, ServiceError> {
        let stream = StreamId::new(StreamKind::Payout, reference);
        for _ in 0..=self.config.conflict_retries {
            let payout = self.load_payout(reference).await?;
            let Some((group, member, amount)) = payout.events.iter().find_map(|e| match e {
                PayoutEvent::Requested {
                    group,
                    member,
                    amount,
                    ..
                } => Some((group.clone(), member.clone(), *amount)),
                _ => None,
            }) else {
                return Ok(Handled::UnknownReference);
            };
            let successes = payout
                .events
                .iter()
                .filter(|e| matches!(e, PayoutEvent::Succeeded { .. }))
                .count();
            let reversals = payout
                .events
                .iter()
                .filter(|e| matches!(e, PayoutEvent::Reversed { .. }))
                .count();
            let paid = successes > reversals;
            let now = self.now();
            let wallet = self.wallet(&group, &member).await?;
            let clearing = GroupAccounts::clearing_for(amount.currency());
            let (event, wake_at) = match (delivered, paid) {
                (true, true) => return Ok(Handled::Duplicate),
                (true, false) => {
                    let entry = EntryDraft::new(
                        format!("{reference}:paid:{successes}"),
                        format!("payout {reference} delivered"),
                    )
                    .reference(reference)
                    .debit(wallet, amount)
                    .credit(clearing, amount)
                    .balance()
                    .map_err(|_| {
                        ServiceError::Money(crate::money::MoneyError::Overflow {
                            operation: "payout",
                        })
                    })?;
                    (PayoutEvent::Succeeded { entry }, None)
                }
                (false, true) => {
                    let entry = EntryDraft::new(
                        format!("{reference}:reversed:{reversals}"),
                        format!("payout {reference} returned"),
                    )
                    .reference(reference)
                    .debit(clearing, amount)
                    .credit(wallet, amount)
                    .balance()
                    .map_err(|_| {
                        ServiceError::Money(crate::money::MoneyError::Overflow {
                            operation: "payout",
                        })
                    })?;
                    (PayoutEvent::Reversed { entry }, Some(self.reverify_at(now)))
                }
                (false, false) => (PayoutEvent::Failed, Some(self.reverify_at(now))),
            };
            let request = AppendRequest {
                entries: event.entry().cloned().into_iter().collect(),
                streams: vec![StreamAppend {
                    stream: stream.clone(),
                    expected_version: payout.version,
                    events: vec![DomainEvent::Payout(event)],
                    wake_at,
                }],
                outbox: Vec::new(),
                idempotency_key: Some(key.to_owned()),
                at: now.into(),
            };
            match self.append(request).await {
                Ok(true) => return Ok(Handled::Recorded),
                Ok(false) => return Ok(Handled::Duplicate),
                Err(ServiceError::Store(StoreError::Conflict { .. })) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(ServiceError::TooMuchContention {
            stream,
            attempts: self.config.conflict_retries + 1,
        })
    }

    async fn wallet(
        &self,
        group: &GroupId,
        member: &crate::group::MemberId,
    ) -> Result<Account, ServiceError> {
        let state = self.group(group).await?;
        state
            .accounts()
            .map(|a| a.wallet(member))
            .ok_or_else(|| ServiceError::NotFound(super::exec::group_stream(group)))
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
