//! Alerts queued with the write that found them.
//!
//! An alert is an outbox message whose id is the alert's: written in the same append as
//! the fact it reports (money held, a dispute, a payout failing again), so it is raised
//! if and only if the fact was recorded, once however often the fact is seen again.

use super::AjoService;
use crate::money::Money;
use crate::ports::{Alert, AlertKind, OutboxChannel, OutboxMessage};

impl AjoService {
    /// The outbox message raising an alert of `kind` about `subject`, whose id is made
    /// from the kind and `fact` (what makes this alert this one).
    pub(super) fn alert(
        &self,
        kind: AlertKind,
        fact: &str,
        subject: &str,
        amount: Option<Money>,
        message: String,
    ) -> OutboxMessage {
        let id = format!("alert:{kind}:{fact}");
        OutboxMessage {
            id: id.clone(),
            channel: OutboxChannel::Alert(Alert {
                id,
                kind,
                subject: subject.to_owned(),
                amount,
                message,
                at: self.now(),
            }),
        }
    }
}
