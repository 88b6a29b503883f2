//! The scheduler's work: everything that becomes due with time.

use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use tracing::instrument;

use super::exec::{Profiles, group_stream, next_wake};
use super::payouts::{Payout, PayoutReport};
use super::{AjoService, DISPUTES_OWNER, REVIEW_OWNER, ServiceError, later};
use crate::group::payout::DueAction;
use crate::group::{GroupCommand, GroupError};
use crate::ids::GroupId;
use crate::ledger::{AccountKind, Side};
use crate::loan::LoanError;
use crate::notify::Notice;
use crate::payment::{PayoutEvent, PayoutOutcome};
use crate::ports::{
    AlertKind, AppendRequest, DomainEvent, PayoutRequest, PayoutState, StoreError, StreamAppend,
    StreamId, StreamKind,
};
use crate::reference::PaymentReference;
use crate::telemetry;
use crate::webhook::AmountBasis;

/// What one [`AjoService::tick`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Streams looked at.
    pub streams: usize,
    /// Reminder messages queued.
    pub reminders: usize,
    /// Group commands carried out (penalties, deposit cover, payouts).
    pub commands: usize,
    /// Pending collections re-verified with the gateway.
    pub reverified: usize,
    /// Payouts sent to the gateway.
    pub payouts_sent: usize,
    /// Days reconciled with the gateway's statement
    /// ([`ServiceConfig::daily_reconciliation`](super::ServiceConfig::daily_reconciliation)).
    pub reconciled: usize,
    /// The checkpoint of the books taken, if one was due
    /// ([`ServiceConfig::checkpoint_every`](super::ServiceConfig::checkpoint_every)).
    pub checkpoint: Option<u64>,
    /// Streams that failed, with the error, to retry on a later tick.
    pub errors: Vec<(StreamId, String)>,
}

impl AjoService {
    /// Does everything that is due now: reminders (a few days ahead), penalties on late
    /// dues, deposit cover, payouts, re-verifying collections still pending after
    /// [`reverify_after`](super::ServiceConfig::reverify_after), and sending payouts.
    ///
    /// Idempotent: each action carries a key, so running `tick` twice, or on two hosts at
    /// once, does each thing once. A stream that fails is reported and retried on a later
    /// tick; the others go on.
    ///
    /// Each tick's duration goes to [`telemetry::TICK_DURATION`]; at its end it reads the
    /// outbox's backlog and the money on the review accounts into their gauges
    /// ([`telemetry`] lists them).
    ///
    /// # Errors
    /// Only a store error listing what is due; per-stream failures are in the report.
    #[instrument(skip_all)]
    pub async fn tick(&self) -> Result<TickReport, ServiceError> {
        // A duration for the histogram, not a time anything is decided by: the monotonic
        // clock, not the Clock port, which a test may hold still.
        let started = std::time::Instant::now();
        let result = self.tick_once().await;
        metrics::histogram!(telemetry::TICK_DURATION).record(started.elapsed());
        result
    }

    async fn tick_once(&self) -> Result<TickReport, ServiceError> {
        super::logged(async move {
            let now = self.now();
            let mut report = TickReport::default();
            let mut done = std::collections::HashSet::new();
            // A second pass picks up what the first made due now: the payout stream a
            // payout creates, say. No stream is visited twice in one tick.
            for _ in 0..2 {
                let mut due = self.store.due_streams(now, self.config.tick_batch).await?;
                due.retain(|s| !done.contains(s));
                if due.is_empty() {
                    break;
                }
                report.streams += due.len();
                for stream in due {
                    let outcome = match stream.kind {
                        StreamKind::Group => match GroupId::new(stream.id.clone()) {
                            Ok(id) => self.tick_group(&id, now, &mut report).await,
                            Err(e) => Err(GroupError::from(e).into()),
                        },
                        StreamKind::Loan => match crate::ids::LoanId::new(stream.id.clone()) {
                            Ok(id) => self.tick_loan(&id, now, &mut report).await,
                            Err(e) => Err(LoanError::from(e).into()),
                        },
                        StreamKind::Payment => self.reverify(&stream.id, now, &mut report).await,
                        StreamKind::Payout => self.send_payout(&stream.id, now, &mut report).await,
                        _ => Ok(()),
                    };
                    if let Err(error) = outcome {
                        tracing::warn!(stream = %stream, error = %error, "tick failed for stream");
                        report.errors.push((stream.clone(), error.to_string()));
                    }
                    done.insert(stream);
                }
            }
            if self.config.daily_reconciliation {
                match self.reconcile_days_over(now).await {
                    Ok(done) => report.reconciled += done,
                    Err(error) => {
                        tracing::warn!(%error, "daily reconciliation failed; the next tick tries again");
                        report.errors.push((
                            StreamId::new(StreamKind::Payment, "reconciliation"),
                            error.to_string(),
                        ));
                    }
                }
            }
            match self.checkpoint_if_due().await {
                Ok(taken) => report.checkpoint = taken.map(|c| c.number()),
                Err(error) => {
                    tracing::warn!(%error, "checkpoint failed; the next tick tries again");
                    report.errors.push((
                        StreamId::new(StreamKind::Payment, "checkpoint"),
                        error.to_string(),
                    ));
                }
            }
            if let Err(error) = self.record_gauges(now).await {
                tracing::warn!(%error, "outbox and held-money gauges not read; the next tick tries again");
            }
            Ok(report)
        })
        .await
    }

    /// Sets the gauges only a read of the store can give: the outbox's backlog
    /// ([`telemetry::OUTBOX_PENDING`], [`telemetry::OUTBOX_DUE`],
    /// [`telemetry::OUTBOX_OLDEST_DUE`]) and the money on the review accounts
    /// ([`telemetry::MONEY_HELD`]).
    async fn record_gauges(&self, now: DateTime<Utc>) -> Result<(), ServiceError> {
        if let Some(backlog) = self.store.outbox_backlog(now).await? {
            metrics::gauge!(telemetry::OUTBOX_PENDING).set(u64_reading(backlog.pending));
            metrics::gauge!(telemetry::OUTBOX_DUE).set(u64_reading(backlog.due));
            let waited = backlog
                .oldest_due_at
                .and_then(|at| (now - at).to_std().ok())
                .unwrap_or_default();
            metrics::gauge!(telemetry::OUTBOX_OLDEST_DUE).set(waited.as_secs_f64());
        }
        // Money that could not be credited is on review's suspense accounts; money under a
        // chargeback, on the disputes' accounts.
        let mut held = self.store.balances_owned_by(REVIEW_OWNER).await?;
        held.extend(self.store.balances_owned_by(DISPUTES_OWNER).await?);
        for (account, balance) in held {
            let kind = account.kind();
            if !matches!(kind, AccountKind::Suspense | AccountKind::Disputed) {
                continue;
            }
            // What the account holds, on its normal side: a suspense account holds money
            // as a credit balance, a disputed one as a debit.
            let held = match kind.normal_side() {
                Side::Debit => balance.amount(),
                Side::Credit => -balance.amount(),
            };
            metrics::gauge!(
                telemetry::MONEY_HELD,
                "currency" => account.currency().code().to_owned(),
                "account" => kind.as_str()
            )
            .set(held.to_f64().unwrap_or(f64::NAN));
        }
        Ok(())
    }

    async fn tick_group(
        &self,
        id: &GroupId,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), ServiceError> {
        let (state, _) = self.load_group(id).await?;
        let Some(group_name) = state.config().map(|c| c.name().to_owned()) else {
            return Ok(());
        };
        let mut reminders = Vec::new();
        let mut profiles = Profiles::default();
        for action in state.due_actions(now) {
            let key = Some(action.idempotency_key(id.as_str()));
            if let DueAction::SendReminder {
                round,
                member,
                due_date,
                ..
            } = action
            {
                // Remind of everything that settles the due: arrears and penalties too.
                let amount = state.amount_to_settle(&member, round);
                let notice = Notice::PaymentDueReminder {
                    group: group_name.clone(),
                    amount,
                    due_date,
                    round,
                };
                let cause = action_cause(id, &key);
                reminders.extend(
                    self.messages_for(&member, &cause, notice, &mut profiles)
                        .await?,
                );
            } else if let DueAction::ChooseRecipient { round } = action {
                reminders.extend(
                    self.choice_reminder(&state, round, &action_cause(id, &key), &mut profiles)
                        .await?,
                );
            }
        }
        // Penalties, then deposit cover, then the payout they fund: each step can make
        // the next one due, so look again after each, a bounded number of times.
        let mut state = state;
        for _ in 0..3 {
            let mut acted = false;
            for action in state.due_actions(now) {
                let key = Some(action.idempotency_key(id.as_str()));
                let command = match action {
                    DueAction::ApplyPenalties { .. } => GroupCommand::ApplyPenalties,
                    DueAction::CoverArrears { .. } => GroupCommand::CoverArrears,
                    DueAction::MakePayout { round } => GroupCommand::MakePayout { round },
                    DueAction::CancelForming => GroupCommand::Cancel,
                    _ => continue,
                };
                // One CoverArrears covers every late due; its entries are keyed per due.
                let key = if matches!(command, GroupCommand::CoverArrears) {
                    None
                } else {
                    key
                };
                let events = self
                    .run_group(id, command, key.map(Into::into), Vec::new())
                    .await?;
                report.commands += 1;
                acted |= !events.is_empty();
                if acted {
                    break;
                }
            }
            if !acted {
                break;
            }
            state = self.load_group(id).await?.0;
        }
        // Queue the reminders and set the next wake time, at the version now stored.
        let (state, version) = self.load_group(id).await?;
        report.reminders += reminders.len();
        let request = AppendRequest {
            streams: vec![StreamAppend {
                stream: group_stream(id),
                expected_version: version,
                events: Vec::new(),
                wake_at: next_wake(&state, now),
            }],
            entries: Vec::new(),
            outbox: reminders,
            idempotency_key: None,
            at: now.into(),
        };
        self.append_unless_overtaken(request).await
    }

    /// Tells the organiser that a round waits for their choice of recipient; the
    /// message id is the round's, so the outbox sends it once however often `tick`
    /// looks. A group with no organiser on record is logged: the host sees the choice
    /// due in [`GroupState::due_actions`](crate::group::GroupState::due_actions) and
    /// the fallback pays the round at the deadline anyway.
    async fn choice_reminder(
        &self,
        state: &crate::group::GroupState,
        round: u32,
        cause: &str,
        profiles: &mut Profiles,
    ) -> Result<Vec<crate::ports::OutboxMessage>, ServiceError> {
        let (Some(config), Some(deadline)) = (state.config(), state.choice_deadline(round)) else {
            return Ok(Vec::new());
        };
        let Some(organiser) = config.organiser() else {
            tracing::info!(round, %deadline, "round waits for the organiser's choice; no organiser on record");
            return Ok(Vec::new());
        };
        let notice = Notice::RecipientChoiceDue {
            group: config.name().to_owned(),
            round,
            deadline,
        };
        self.messages_for(organiser, cause, notice, profiles).await
    }

    /// Sends what a payout still owes: the current attempt again under its own reference
    /// while it may still deliver (the gateway de-duplicates on it), or, once it can
    /// deliver nothing more (delivered, then reversed), a new attempt under a fresh
    /// reference for what is owed. Sends nothing while a report is held for review.
    async fn send_payout(
        &self,
        reference: &str,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), ServiceError> {
        let loaded = self.load_payout(reference).await?;
        let stream = StreamId::new(StreamKind::Payout, reference);
        let Some(payout) = Payout::from_events(reference, &loaded.events)? else {
            return Ok(());
        };
        let mut version = loaded.version;
        if let Some(attempt) = payout.held {
            tracing::warn!(
                reference,
                attempt,
                "payout waits: a report about it is held for review"
            );
            return self.set_wake(stream, version, None, now).await;
        }
        let owed = payout.owed()?;
        let Some(current) = payout.current().filter(|_| owed.is_positive()) else {
            return self.set_wake(stream, version, None, now).await;
        };
        let recipient = self
            .profile(&payout.member)
            .await?
            .and_then(|p| p.payout_recipient);
        let Some(recipient) = recipient else {
            tracing::warn!(member_id = %payout.member, "payout waits: no payout account on file");
            return self
                .set_wake(
                    stream,
                    version,
                    Some(later(now, chrono::Duration::days(1))),
                    now,
                )
                .await;
        };
        let (attempt, attempt_reference, amount) = if current.is_finished() {
            let number = current.number.saturating_add(1);
            let Ok(first) = PaymentReference::parse(reference) else {
                // A reference from before typed references: a new attempt's reference
                // would not lead back to this payout.
                tracing::warn!(
                    reference,
                    "payout owed again, but its reference cannot take an attempt: resolve by hand"
                );
                return self.set_wake(stream, version, None, now).await;
            };
            let next = first.attempt(number).to_string();
            // Recorded before the gateway is asked: if the answer is lost, the next tick
            // sends this same attempt again, never a third.
            let started = AppendRequest {
                streams: vec![StreamAppend {
                    stream: stream.clone(),
                    expected_version: version,
                    events: vec![DomainEvent::Payout(PayoutEvent::AttemptStarted {
                        attempt: number,
                        reference: next.clone(),
                        amount: owed,
                    })],
                    wake_at: Some(self.reverify_at(now)),
                }],
                entries: Vec::new(),
                outbox: Vec::new(),
                idempotency_key: None,
                at: now.into(),
            };
            match self.append(started).await {
                Ok(_) => version += 1,
                // Another tick started it: that tick sends it.
                Err(ServiceError::Store(StoreError::Conflict { .. })) => return Ok(()),
                Err(other) => return Err(other),
            }
            (number, next, owed)
        } else {
            (current.number, current.reference.clone(), current.amount)
        };
        if !self
            .admit_payout(&payout, &stream, version, &attempt_reference, amount, now)
            .await?
        {
            return Ok(());
        }
        report.payouts_sent += 1;
        let request = PayoutRequest {
            reference: attempt_reference.clone(),
            recipient,
            amount,
            reason: payout.round.map_or_else(
                || "ajo refund".to_owned(),
                |r| format!("ajo round {r} payout"),
            ),
        };
        let receipt = match self.gateway.send_payout(&request).await {
            Ok(receipt) => receipt,
            Err(error) => {
                // A refusal, not a timeout or an outage: those may have been taken, and are
                // asked again every `reverify_after` for as long as they last.
                if !error.is_retryable() {
                    metrics::counter!(
                        telemetry::PAYOUT_FAILURES,
                        "provider" => self.gateway.provider(),
                        "stage" => "send"
                    )
                    .increment(1);
                }
                let wait = error
                    .retry_after()
                    .and_then(|d| chrono::Duration::from_std(d).ok())
                    .unwrap_or(self.config.reverify_after);
                let mut request = wake_only(stream, version, Some(later(now, wait)), now);
                // A refusal that sending again will not cure (a closed account, refused
                // credentials) is a person's to look at: one alert per attempt.
                if !error.is_retryable() {
                    request.outbox.push(self.alert(
                        AlertKind::PayoutFailing,
                        &format!("{attempt_reference}:refused"),
                        reference,
                        Some(amount),
                        format!(
                            "the gateway refused the payout {attempt_reference} to {}: {error}; tick goes on trying",
                            payout.member
                        ),
                    ));
                }
                self.append_unless_overtaken(request).await?;
                return Err(error.into());
            }
        };
        // The answer is about what was asked: its amount is the request's.
        let (outcome, key) = match receipt.state {
            PayoutState::Succeeded => (
                PayoutOutcome::Succeeded,
                format!("send:{attempt_reference}:succeeded"),
            ),
            PayoutState::Failed => (
                PayoutOutcome::Failed,
                format!("send:{attempt_reference}:failed:{version}"),
            ),
            PayoutState::Reversed => (
                PayoutOutcome::Reversed,
                format!("send:{attempt_reference}:reversed"),
            ),
            _ => {
                let request = AppendRequest {
                    streams: vec![StreamAppend {
                        stream,
                        expected_version: version,
                        events: vec![DomainEvent::Payout(PayoutEvent::Sent {
                            provider_reference: receipt.provider_reference,
                            attempt,
                        })],
                        // No webhook by then: send again (the gateway de-duplicates our reference).
                        wake_at: Some(self.reverify_at(now)),
                    }],
                    entries: Vec::new(),
                    outbox: Vec::new(),
                    idempotency_key: None,
                    at: now.into(),
                };
                return self.append_unless_overtaken(request).await;
            }
        };
        self.payout_outcome(&PayoutReport {
            reference: &attempt_reference,
            outcome,
            amount,
            basis: AmountBasis::Event,
            key: &key,
            hold: false,
        })
        .await?;
        Ok(())
    }

    pub(super) async fn set_wake(
        &self,
        stream: StreamId,
        version: u64,
        wake_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.append_unless_overtaken(wake_only(stream, version, wake_at, now))
            .await
    }
}

/// An append that only sets (or clears) a stream's wake time, at the version read.
fn wake_only(
    stream: StreamId,
    version: u64,
    wake_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppendRequest {
    AppendRequest {
        streams: vec![StreamAppend {
            stream,
            expected_version: version,
            events: Vec::new(),
            wake_at,
        }],
        entries: Vec::new(),
        outbox: Vec::new(),
        idempotency_key: None,
        at: now.into(),
    }
}

fn action_cause(id: &GroupId, key: &Option<String>) -> String {
    key.clone().unwrap_or_else(|| id.to_string())
}

/// A count as a gauge reading. Past 2^53 a reading loses its last units, which no
/// dashboard shows.
#[allow(clippy::cast_precision_loss)]
fn u64_reading(count: u64) -> f64 {
    count as f64
}
