//! The end of a collection nobody paid: `tick`'s re-verification and the expiry.

use chrono::{DateTime, Utc};

use super::single;
use crate::money::Money;
use crate::payment::PaymentEvent;
use crate::ports::{
    AlertKind, CollectionQuery, DomainEvent, GatewayError, PaymentState, StreamAppend, StreamId,
    StreamKind,
};
use crate::service::tick::TickReport;
use crate::service::{AjoService, ServiceError};

impl AjoService {
    /// Asks the gateway about a collection still open; closes it once expired.
    pub(in crate::service) async fn reverify(
        &self,
        reference: &str,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), ServiceError> {
        let payment = self.load_payment(reference).await?;
        let open = !payment.events.iter().any(PaymentEvent::closes);
        let expires_at = payment.events.iter().find_map(|e| match e {
            PaymentEvent::Requested { at, .. } => Some(self.expiry_of(*at)),
            _ => None,
        });
        if !open {
            return self
                .set_wake(
                    StreamId::new(StreamKind::Payment, reference),
                    payment.version,
                    None,
                    now,
                )
                .await;
        }
        report.reverified += 1;
        let expired = expires_at.is_some_and(|at| now >= at);
        let (checkout, requested) =
            super::super::gateway_events::recorded_checkout(&payment.events);
        let query = CollectionQuery::new(reference).with_checkout(checkout, requested);
        match self.gateway.verify_collection(&query).await {
            Ok(status) => match (status.state, status.amount) {
                (PaymentState::Succeeded, Some(amount)) => {
                    self.settle_payment(
                        reference,
                        amount,
                        &format!("reverify:{reference}:succeeded"),
                        None,
                    )
                    .await?;
                    return Ok(());
                }
                (PaymentState::Failed, _) => {
                    self.fail_payment(reference, &format!("reverify:{reference}:failed"))
                        .await?;
                    return Ok(());
                }
                _ => {}
            },
            // The gateway never saw it (the request to start it was lost): a new request
            // will use a fresh reference.
            Err(GatewayError::NotFound { .. }) => {
                self.fail_payment(reference, &format!("reverify:{reference}:not-found"))
                    .await?;
                return Ok(());
            }
            // Past its expiry the collection is closed even when the gateway's answer
            // cannot be read (a payment reported later is still booked), so such an answer
            // cannot keep `tick` at it for ever; one a retry may cure (a timeout, an
            // outage) is asked again, since the payer may well have paid.
            Err(other) if !expired || other.is_retryable() => return Err(other.into()),
            Err(other) => {
                tracing::warn!(error = %other, reference, "the gateway could not say; the collection expires");
            }
        }
        if expired {
            let asked = payment.events.iter().find_map(|e| match e {
                PaymentEvent::Requested { amount, .. } => Some(*amount),
                _ => None,
            });
            return self.expire(reference, payment.version, asked, now).await;
        }
        let next = self.reverify_at(now);
        let wake_at = expires_at.map_or(next, |at| next.min(at));
        self.set_wake(
            StreamId::new(StreamKind::Payment, reference),
            payment.version,
            Some(wake_at),
            now,
        )
        .await
    }

    /// Closes an open collection nobody paid before its expiry: `tick` no longer wakes
    /// for it. Written at the version read, so a report that settled it meanwhile wins.
    async fn expire(
        &self,
        reference: &str,
        version: u64,
        asked: Option<Money>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let closed = StreamAppend {
            stream: StreamId::new(StreamKind::Payment, reference),
            expected_version: version,
            events: vec![DomainEvent::Payment(PaymentEvent::Expired { at: now })],
            wake_at: None,
        };
        tracing::info!(reference, "collection expired unpaid");
        let mut request = single(closed, now);
        request.outbox.push(self.alert(
            AlertKind::CollectionExpired,
            reference,
            reference,
            asked,
            format!("the collection {reference} expired unpaid"),
        ));
        self.append_unless_overtaken(request).await
    }
}
