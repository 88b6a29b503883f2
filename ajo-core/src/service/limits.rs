//! Counting money against the service's [`Limits`](crate::limits::Limits).
//!
//! What one member or group used of one currency in one month is a usage stream
//! ([`StreamKind::Usage`], id `<scope>:<owner>:<currency>:<YYYY-MM>`, the month in the
//! policy's time zone). A command that moves money reads the streams of the owners it
//! counts for, checks the amount ([`Limits::check`](crate::limits::Limits::check)), and
//! appends a [`UsageEvent::Used`] to each *in the same append* as the collection request,
//! the loan disbursement or the payout attempt, at the version it read. Two commands
//! racing for the last room both append at that version: one conflicts, decides again on
//! the usage as it now is, and is refused. A refusal writes nothing.
//!
//! With no limits set for a flow and currency nothing is read or written here.
//!
//! What counts, once per reference: a collection when it is asked for (a checkout handed
//! back again does not count again; one that expires or fails does not give its room
//! back), a loan when it is disbursed (its payout is then not counted again), and every
//! other payout attempt when it is about to be sent.

use chrono::{DateTime, Utc};

use super::exec::Profiles;
use super::payouts::Payout;
use super::runner::{Decision, Write};
use super::{AjoService, ServiceError};
use crate::aggregate::Aggregate;
use crate::ids::{GroupId, LoanId, MemberId};
use crate::limits::{Flow, Scope, Usage, UsageEvent};
use crate::loan::{LoanCommand, LoanState};
use crate::money::{Currency, Money};
use crate::payment::{PaymentPurpose, PayoutEvent};
use crate::ports::{
    AppendRequest, DomainEvent, KeyRecord, ReadFrom, StoreError, StreamAppend, StreamId, StreamKind,
};
use crate::reference::{PaymentReference, ReferencePurpose};

/// One amount to count against the limits.
pub(super) struct Counted<'a> {
    pub(super) member: &'a MemberId,
    pub(super) group: Option<&'a GroupId>,
    pub(super) flow: Flow,
    pub(super) amount: Money,
    /// What it is counted for: counted once per reference.
    pub(super) reference: &'a str,
}

/// The usage stream of one owner, currency and month.
fn usage_stream(scope: Scope, owner: &str, currency: Currency, month: &str) -> StreamId {
    StreamId::new(
        StreamKind::Usage,
        format!("{}:{owner}:{}:{month}", scope.as_str(), currency.code()),
    )
}

fn as_usage(event: DomainEvent) -> Option<UsageEvent> {
    match event {
        DomainEvent::Usage(u) => Some(u),
        _ => None,
    }
}

impl AjoService {
    /// The usage appends that count `counted` at `now`, to go in the same append as what
    /// it counts; none when no limit applies or the reference was counted already.
    ///
    /// # Errors
    /// [`ServiceError::LimitExceeded`] for the tightest limit the amount breaks; a store
    /// error.
    pub(super) async fn count_against_limits(
        &self,
        counted: &Counted<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<StreamAppend>, ServiceError> {
        let limits = &self.config.limits;
        let currency = counted.amount.currency();
        let mut owners: Vec<(Scope, &str)> = Vec::with_capacity(2);
        if limits.applies(Scope::Member, counted.flow, currency) {
            owners.push((Scope::Member, counted.member.as_str()));
        }
        if let Some(group) = counted.group
            && limits.applies(Scope::Group, counted.flow, currency)
        {
            owners.push((Scope::Group, group.as_str()));
        }
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        let month = limits.month_key(now);
        // A payout attempt counted late one month and sent early the next (its gateway
        // call failed, say) is found in the month it was counted in, and not counted
        // twice. Collections have a fresh reference per ask, so they need not look back.
        let previous = (counted.flow == Flow::Out).then(|| limits.previous_month_key(now));
        let mut asked = Vec::with_capacity(owners.len() * 2);
        for (scope, owner) in &owners {
            asked.push(ReadFrom::new(
                usage_stream(*scope, owner, currency, &month),
                0,
            ));
            if let Some(previous) = &previous {
                asked.push(ReadFrom::new(
                    usage_stream(*scope, owner, currency, previous),
                    0,
                ));
            }
        }
        let mut read = self.store.read(&asked, None).await?;
        let mut appends = Vec::with_capacity(owners.len());
        for (scope, owner) in owners {
            let stream = usage_stream(scope, owner, currency, &month);
            let current = super::exec::decode_as(&stream, read.take(&stream)?, as_usage)?;
            let earlier = match &previous {
                Some(previous) => {
                    let before = usage_stream(scope, owner, currency, previous);
                    super::exec::decode_as(&before, read.take(&before)?, as_usage)?.events
                }
                None => Vec::new(),
            };
            if current
                .events
                .iter()
                .chain(&earlier)
                .any(|e| e.reference() == counted.reference)
            {
                continue;
            }
            let usage = Usage::tally(
                &current.events,
                counted.flow,
                currency,
                now,
                limits.time_zone(),
            )?;
            limits.check(scope, counted.flow, counted.amount, &usage)?;
            appends.push(StreamAppend {
                stream,
                expected_version: current.version,
                events: vec![DomainEvent::Usage(UsageEvent::Used {
                    flow: counted.flow,
                    amount: counted.amount,
                    at: now,
                    reference: counted.reference.to_owned(),
                })],
                wake_at: None,
            });
        }
        Ok(appends)
    }

    /// The group a collection's money goes to, for its group's limits: a loan
    /// repayment's is the loan's group, read only when a group limit could count it.
    pub(super) async fn collection_group(
        &self,
        purpose: &PaymentPurpose,
        currency: Currency,
    ) -> Result<Option<GroupId>, ServiceError> {
        if let Some(group) = purpose.group() {
            return Ok(Some(group.clone()));
        }
        let PaymentPurpose::LoanRepayment { loan, .. } = purpose else {
            return Ok(None);
        };
        if !self.config.limits.applies(Scope::Group, Flow::In, currency) {
            return Ok(None);
        }
        let state = self.state_of::<LoanState>(loan).await?;
        Ok(state
            .loan()
            .and_then(|l| GroupId::new(l.accounts().receivable().owner()).ok()))
    }

    /// The usage appends that count the payouts `streams` begin (a disbursed loan's).
    ///
    /// # Errors
    /// As [`count_against_limits`](Self::count_against_limits).
    pub(super) async fn count_new_payouts(
        &self,
        streams: &[StreamAppend],
        now: DateTime<Utc>,
    ) -> Result<Vec<StreamAppend>, ServiceError> {
        if self.config.limits.is_empty() {
            return Ok(Vec::new());
        }
        let mut appends = Vec::new();
        for append in streams
            .iter()
            .filter(|s| s.stream.kind == StreamKind::Payout)
        {
            for event in &append.events {
                if let DomainEvent::Payout(PayoutEvent::Requested {
                    group,
                    member,
                    amount,
                    ..
                }) = event
                {
                    let counted = Counted {
                        member,
                        group: Some(group),
                        flow: Flow::Out,
                        amount: *amount,
                        reference: &append.stream.id,
                    };
                    appends.extend(self.count_against_limits(&counted, now).await?);
                }
            }
        }
        Ok(appends)
    }

    /// Counts a payout attempt before `tick` sends it: `Ok(true)` to send it, `Ok(false)`
    /// when another writer changed the payout or its usage first (the next tick looks
    /// again). A first attempt of a loan disbursement was counted when the loan was
    /// disbursed. The count is appended with the payout stream held at `version`, so two
    /// ticks cannot both count it.
    ///
    /// # Errors
    /// [`ServiceError::LimitExceeded`], after setting the payout to be looked at again
    /// when room comes back (the next local day, or month for a monthly limit); a store
    /// error.
    pub(super) async fn admit_payout(
        &self,
        payout: &Payout,
        stream: &StreamId,
        version: u64,
        attempt_reference: &str,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        if self.config.limits.is_empty() {
            return Ok(true);
        }
        let counted_when_lent = PaymentReference::parse(attempt_reference).is_ok_and(|r| {
            r.attempt_number() <= 1
                && matches!(r.purpose(), ReferencePurpose::LoanDisbursement { .. })
        });
        if counted_when_lent {
            return Ok(true);
        }
        let counted = Counted {
            member: &payout.member,
            group: Some(&payout.group),
            flow: Flow::Out,
            amount,
            reference: attempt_reference,
        };
        let mut streams = match self.count_against_limits(&counted, now).await {
            Ok(streams) => streams,
            Err(ServiceError::LimitExceeded(breach)) => {
                let wake = self
                    .config
                    .limits
                    .next_room(breach.window, now)
                    .unwrap_or_else(|| self.reverify_at(now));
                tracing::info!(
                    reference = attempt_reference,
                    wake_at = %wake,
                    "payout waits: {breach}"
                );
                self.set_wake(stream.clone(), version, Some(wake), now)
                    .await?;
                return Err(ServiceError::LimitExceeded(breach));
            }
            Err(other) => return Err(other),
        };
        if streams.is_empty() {
            return Ok(true);
        }
        streams.push(StreamAppend {
            stream: stream.clone(),
            expected_version: version,
            events: Vec::new(),
            wake_at: Some(self.reverify_at(now)),
        });
        let request = AppendRequest {
            streams,
            entries: Vec::new(),
            outbox: Vec::new(),
            idempotency_key: None,
            at: now.into(),
        };
        match self.append(request).await {
            Ok(_) => Ok(true),
            Err(ServiceError::Store(StoreError::Conflict { .. })) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Pays out an approved loan funded through clearing, with its payout counted
    /// against the limits in the same append (decided again, usage included, on a
    /// conflict): [`disburse_loan`](AjoService::disburse_loan) when limits are set.
    ///
    /// # Errors
    /// As [`disburse_loan`](AjoService::disburse_loan), and
    /// [`ServiceError::LimitExceeded`].
    pub(super) async fn disburse_counted(
        &self,
        id: &LoanId,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        let stream = StreamId::new(StreamKind::Loan, id.as_str());
        let at = &stream;
        let command = LoanCommand::Disburse {
            reference: PaymentReference::loan_disbursement(id).to_string(),
        };
        let command = &command;
        self.run(at, move |_| async move {
            let read = self
                .read_state_with::<LoanState>(id, &[], key.map(|k| k.key.as_str()))
                .await?;
            if let Some(key) = key
                && read.key_recorded
            {
                self.replay_of(key, read.key_record).await?;
                return Ok(Decision::Done(()));
            }
            if read.state.version() == 0 {
                return Err(ServiceError::NotFound(at.clone()));
            }
            let now = self.now();
            let events = read
                .state
                .decide(command, now)
                .map_err(ServiceError::from)?;
            if events.is_empty() {
                return Ok(Decision::Done(()));
            }
            let decided = self
                .decided::<LoanState>(id, &read.state, events, now, &mut Profiles::default())
                .await?;
            let mut streams = decided.streams;
            let counted = self.count_new_payouts(&streams, now).await?;
            streams.extend(counted);
            Ok(Decision::Write(Write {
                request: AppendRequest {
                    streams,
                    entries: decided.entries,
                    outbox: decided.outbox,
                    idempotency_key: key.cloned(),
                    at: now.into(),
                },
                written: (),
                duplicate: (),
                keep: decided.keep,
            }))
        })
        .await
    }
}
