//! Loading streams, appending decisions, and what each append carries along: wake times
//! and the messages its events cause.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

use super::{AjoService, ServiceError};
use crate::group::payout::DueAction;
use crate::group::{GroupEvent, GroupState, GroupStatus};
use crate::ids::{GroupId, LoanId, MemberId};
use crate::member::{MemberEvent, MemberProfile};
use crate::notify::Notice;
use crate::payment::{PaymentEvent, PayoutEvent};
use crate::ports::{
    AppendOutcome, AppendRequest, DomainEvent, EmailMessage, OutboxChannel, OutboxMessage,
    RecordedEvent, SmsMessage, StoreError, StreamId, StreamKind,
};
use crate::telemetry;

/// A stream's events and version.
pub(super) struct Loaded<E> {
    pub(super) version: u64,
    pub(super) events: Vec<E>,
}

/// The member profiles one command has read, so a command that sends several notices
/// to one member (or already read a profile with its group) reads it once. Lives only as
/// long as one command: nothing is cached across commands.
#[derive(Default)]
pub(super) struct Profiles(HashMap<MemberId, Option<MemberProfile>>);

impl Profiles {
    /// Keeps a profile read alongside something else.
    pub(super) fn insert(&mut self, member: MemberId, profile: Option<MemberProfile>) {
        self.0.insert(member, profile);
    }
}

/// Checks every recorded event of `stream` is of `unwrap`'s kind.
pub(super) fn decode_as<E>(
    stream: &StreamId,
    recorded: Vec<RecordedEvent>,
    unwrap: fn(DomainEvent) -> Option<E>,
) -> Result<Loaded<E>, ServiceError> {
    let version = recorded.last().map_or(0, |r| r.version);
    let events = recorded
        .into_iter()
        .map(|r| unwrap(r.event).ok_or_else(|| ServiceError::WrongStreamKind(stream.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Loaded { version, events })
}

pub(super) fn as_group(event: DomainEvent) -> Option<GroupEvent> {
    match event {
        DomainEvent::Group(g) => Some(g),
        _ => None,
    }
}

pub(super) fn as_payment(event: DomainEvent) -> Option<PaymentEvent> {
    match event {
        DomainEvent::Payment(p) => Some(p),
        _ => None,
    }
}

pub(super) fn as_member(event: DomainEvent) -> Option<MemberEvent> {
    match event {
        DomainEvent::Member(m) => Some(m),
        _ => None,
    }
}

/// A member's current profile from its stream's events.
pub(super) fn current_profile(loaded: Loaded<MemberEvent>) -> Option<MemberProfile> {
    loaded
        .events
        .into_iter()
        .rev()
        .find_map(|event| match event {
            MemberEvent::ProfileSet(p) => Some(p),
            _ => None,
        })
}

impl AjoService {
    /// Loads a stream and checks every event is of `unwrap`'s kind.
    pub(super) async fn load_as<E>(
        &self,
        stream: &StreamId,
        unwrap: fn(DomainEvent) -> Option<E>,
    ) -> Result<Loaded<E>, ServiceError> {
        decode_as(stream, self.store.load(stream).await?, unwrap)
    }

    /// A group's state now (shared with the service's kept states) and its version.
    pub(super) async fn load_group(
        &self,
        id: &GroupId,
    ) -> Result<(Arc<GroupState>, u64), ServiceError> {
        let read = self.read_state_with::<GroupState>(id, &[], None).await?;
        let version = read.state.version();
        Ok((read.state, version))
    }

    /// Calls `f` on the kept state of a group, if one is kept, without reading anything:
    /// for guessing what else a command will need to read alongside the group.
    pub(super) fn peek_group<R>(
        &self,
        id: &GroupId,
        f: impl FnOnce(&GroupState) -> R,
    ) -> Option<R> {
        self.group_states.peek(id, f)
    }

    pub(super) async fn load_payment(
        &self,
        reference: &str,
    ) -> Result<Loaded<PaymentEvent>, ServiceError> {
        self.load_as(&StreamId::new(StreamKind::Payment, reference), as_payment)
            .await
    }

    pub(super) async fn load_payout(
        &self,
        reference: &str,
    ) -> Result<Loaded<PayoutEvent>, ServiceError> {
        self.load_as(&StreamId::new(StreamKind::Payout, reference), |e| match e {
            DomainEvent::Payout(p) => Some(p),
            _ => None,
        })
        .await
    }

    /// A member's current profile, if one was set.
    pub async fn profile(&self, member: &MemberId) -> Result<Option<MemberProfile>, ServiceError> {
        let loaded = self.load_as(&member_stream(member), as_member).await?;
        Ok(current_profile(loaded))
    }

    /// A member's profile, read once per command.
    async fn profile_in(
        &self,
        member: &MemberId,
        profiles: &mut Profiles,
    ) -> Result<Option<MemberProfile>, ServiceError> {
        if let Some(known) = profiles.0.get(member) {
            return Ok(known.clone());
        }
        let profile = self.profile(member).await?;
        profiles.0.insert(member.clone(), profile.clone());
        Ok(profile)
    }

    /// Appends; `Ok(true)` when written, `Ok(false)` for a duplicate, and a conflict as
    /// `Err` for the caller's retry loop, counted in [`telemetry::COMMAND_CONFLICTS`] by
    /// the kind of the stream that was not at its version.
    pub(super) async fn append(&self, request: AppendRequest) -> Result<bool, ServiceError> {
        match self.store.append(request).await {
            Ok(outcome) => Ok(outcome == AppendOutcome::Appended),
            Err(StoreError::Conflict {
                stream,
                expected,
                actual,
            }) => {
                // Every conflict passes here, whichever loop retries it.
                metrics::counter!(telemetry::COMMAND_CONFLICTS, "stream" => stream.kind.as_str())
                    .increment(1);
                // Behind the store is normal (another writer got there first): the next
                // read brings the kept state forward. Ahead of it is not (the database
                // went back to an earlier point): the kept state is dropped, so the next
                // look reads the stream whole.
                if actual < expected {
                    match stream.kind {
                        StreamKind::Group => {
                            if let Ok(group) = GroupId::new(stream.id.as_str()) {
                                self.group_states.forget(&group);
                            }
                        }
                        StreamKind::Loan => {
                            if let Ok(loan) = LoanId::new(stream.id.as_str()) {
                                self.loan_states.forget(&loan);
                            }
                        }
                        _ => {}
                    }
                }
                Err(StoreError::Conflict {
                    stream,
                    expected,
                    actual,
                }
                .into())
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Appends bookkeeping another writer may overtake (a wake time, reminders, the first
    /// record of a collection): losing that race is fine, the next look sees theirs.
    pub(super) async fn append_unless_overtaken(
        &self,
        request: AppendRequest,
    ) -> Result<(), ServiceError> {
        match self.append(request).await {
            Ok(_) | Err(ServiceError::Store(crate::ports::StoreError::Conflict { .. })) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// The messages group events cause, for members with a profile.
    pub(super) async fn group_messages(
        &self,
        state: &GroupState,
        events: &[GroupEvent],
        profiles: &mut Profiles,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let (Some(id), Some(config)) = (state.id(), state.config()) else {
            return Ok(Vec::new());
        };
        let group = config.name().to_owned();
        let mut out = Vec::new();
        for event in events {
            let notices: Vec<(MemberId, String, Notice)> = match event {
                GroupEvent::PaymentRecorded {
                    member,
                    reference,
                    amount,
                    ..
                } => vec![(
                    member.clone(),
                    format!("{id}:payment:{reference}"),
                    Notice::PaymentConfirmation {
                        group: group.clone(),
                        amount: *amount,
                        reference: reference.clone(),
                    },
                )],
                GroupEvent::PayoutMade {
                    round,
                    member,
                    payout,
                    ..
                } => vec![(
                    member.clone(),
                    format!("{id}:r{round}:payout"),
                    Notice::PayoutNotification {
                        group: group.clone(),
                        amount: *payout,
                        round: *round,
                    },
                )],
                GroupEvent::PenaltyCharged {
                    member,
                    round,
                    hand,
                    as_of,
                    amount,
                    ..
                } => {
                    let due_date = state.round(*round).map_or(*as_of, |r| r.due_date);
                    vec![(
                        member.clone(),
                        format!("{id}:r{round}:{hand}:penalty:{as_of}"),
                        Notice::PenaltyNotice {
                            group: group.clone(),
                            amount: *amount,
                            round: *round,
                            due_date,
                        },
                    )]
                }
                // Every member is told, deposit or not, with the deposit each gets back.
                GroupEvent::Completed => current_members(state)
                    .map(|member| {
                        let deposit_refund = events
                            .iter()
                            .find_map(|e| match e {
                                GroupEvent::DepositRefunded {
                                    member: m,
                                    refunded,
                                    ..
                                } if m == member => Some(*refunded),
                                _ => None,
                            })
                            .unwrap_or(crate::money::Money::zero(config.currency()));
                        (
                            member.clone(),
                            format!("{id}:{member}:completion"),
                            Notice::GroupCompletion {
                                group: group.clone(),
                                deposit_refund,
                            },
                        )
                    })
                    .collect(),
                // Members still in, and any who left but are owed something back.
                GroupEvent::Cancelled { refunds, .. } => state
                    .join_order()
                    .iter()
                    .filter(|m| {
                        current_members(state).any(|c| c == *m)
                            || refunds.iter().any(|(r, a)| r == *m && a.is_positive())
                    })
                    .map(|member| {
                        let refund = refunds
                            .iter()
                            .find(|(m, _)| m == member)
                            .map_or(crate::money::Money::zero(config.currency()), |(_, r)| *r);
                        (
                            member.clone(),
                            format!("{id}:{member}:cancelled"),
                            Notice::GroupCancelled {
                                group: group.clone(),
                                refund,
                            },
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for (member, cause, notice) in notices {
                out.extend(self.messages_for(&member, &cause, notice, profiles).await?);
            }
        }
        Ok(out)
    }

    /// The messages for one notice to one member: email and, where the notice has one,
    /// SMS, each with an id derived from the cause.
    pub(super) async fn messages_for(
        &self,
        member: &MemberId,
        cause: &str,
        notice: Notice,
        profiles: &mut Profiles,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let Some(profile) = self.profile_in(member, profiles).await? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if let Some(to) = &profile.email {
            let email = notice.email(&profile.name);
            let message_id = format!("{cause}:email");
            out.push(OutboxMessage {
                id: message_id.clone(),
                channel: OutboxChannel::Email(EmailMessage {
                    message_id,
                    to: to.as_str().to_owned(),
                    subject: email.subject,
                    text: email.text,
                    html: Some(email.html),
                }),
            });
        }
        if let (Some(to), Some(sms)) = (&profile.phone, notice.sms()) {
            let message_id = format!("{cause}:sms");
            out.push(OutboxMessage {
                id: message_id.clone(),
                channel: OutboxChannel::Sms(SmsMessage {
                    message_id,
                    to: to.clone(),
                    body: sms.body,
                }),
            });
        }
        Ok(out)
    }
}

/// The members still in the group, in join order.
fn current_members(state: &GroupState) -> impl Iterator<Item = &MemberId> {
    state
        .join_order()
        .iter()
        .filter(|m| state.members().get(*m).is_some_and(|s| !s.left))
}

pub(super) fn group_stream(id: &GroupId) -> StreamId {
    StreamId::new(StreamKind::Group, id.as_str())
}

pub(super) fn member_stream(id: &MemberId) -> StreamId {
    StreamId::new(StreamKind::Member, id.as_str())
}

/// When the scheduler should look at a group next: now if something can be done now,
/// else the start of the day its next round's reminders begin, or of tomorrow once they
/// have (reminders and penalties change by the day).
pub(super) fn next_wake(state: &GroupState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let config = state.config()?;
    let actionable = state.due_actions(now).iter().any(|a| {
        matches!(
            a,
            DueAction::ApplyPenalties { .. }
                | DueAction::CoverArrears { .. }
                | DueAction::MakePayout { .. }
                | DueAction::CancelForming
        )
    });
    if actionable {
        return Some(now);
    }
    if state.status() == GroupStatus::Forming {
        // Looked at again the day after its last forming day, to cancel it then.
        let last = config
            .start_date()
            .checked_add_days(Days::new(u64::from(config.forming_days()?)))?;
        return local_midnight(config.time_zone(), last.checked_add_days(Days::new(1))?);
    }
    if state.status() != GroupStatus::Active {
        return None;
    }
    let today = state.today(now);
    let round = state.round(state.current_round()?)?;
    let window = round
        .due_date
        .checked_sub_days(Days::new(u64::from(config.reminder_days())))
        .unwrap_or(round.due_date);
    let day = if window > today {
        window
    } else {
        today.checked_add_days(Days::new(1))?
    };
    local_midnight(config.time_zone(), day)
}

fn local_midnight(tz: chrono_tz::Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}
