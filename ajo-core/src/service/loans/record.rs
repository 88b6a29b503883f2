//! A member's record, built from their history in their groups.
//!
//! # The index
//!
//! A group's events name its members, but nothing names a member's groups: finding them
//! by scanning every group would grow with the whole store. So the member's own stream
//! (the one that holds their profile) is also their index: a
//! [`MemberEvent::JoinedGroup`] for each group joined and a [`MemberEvent::LoanTaken`]
//! for each loan applied for, the latter written in the same atomic append as the
//! application. `JoinedGroup` is written just before the join (idempotently), so a join
//! retried after a failure is indexed too; an entry for a join then refused names a group
//! holding no dues of theirs, and counts for nothing. A member's record reads that one stream, then each group and loan it
//! names.
//!
//! Because an application appends to the member's stream at the version its record was
//! built from, two applications by one member decided at once cannot both pass the limit:
//! the second conflicts, is decided again, and sees the first as a loan owed.
//!
//! # The record
//!
//! Over the member's groups in one currency (that of the first group joined, or the one
//! asked for), as of today:
//!
//! - tenure: whole months since the first due date of the earliest group;
//! - punctuality: of their dues that have fallen due, the share paid without a penalty,
//!   without the deposit covering them and not late now (none fallen due: 0, no
//!   evidence earns no points);
//! - savings: everything they paid towards their dues;
//! - arrears: dues late today plus penalties unpaid;
//! - loans owed: the principal asked for on loans not yet paid out, and the principal
//!   outstanding on loans paid out;
//! - past loans defaulted on (in default or written off), which
//!   [`loan_limit`](crate::eligibility::loan_limit) refuses.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::eligibility::MemberRecord;
use crate::ids::{GroupId, LoanId, MemberId};
use crate::loan::{LoanState, LoanStatus};
use crate::member::MemberEvent;
use crate::money::{Currency, Money};

use crate::service::exec::{Loaded, as_member, member_stream};
use crate::service::{AjoService, ServiceError};

/// The groups and loans a member's stream names, in the order recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct MemberIndex {
    pub(super) groups: Vec<GroupId>,
    pub(super) loans: Vec<(LoanId, GroupId)>,
}

impl MemberIndex {
    pub(super) fn from_events(events: &[MemberEvent]) -> MemberIndex {
        let mut index = MemberIndex::default();
        // Kept in join order; the set keeps building the index linear in the events.
        let mut seen = std::collections::BTreeSet::new();
        for event in events {
            match event {
                MemberEvent::JoinedGroup { group } if seen.insert(group) => {
                    index.groups.push(group.clone());
                }
                MemberEvent::LoanTaken { loan, group } => {
                    index.loans.push((loan.clone(), group.clone()));
                }
                _ => {}
            }
        }
        index
    }
}

/// Whole months from `from` to `to` (0 when `to` is not later).
fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    let months = (i64::from(to.year()) * 12 + i64::from(to.month0()))
        - (i64::from(from.year()) * 12 + i64::from(from.month0()))
        - i64::from(to.day() < from.day());
    u32::try_from(months.max(0)).unwrap_or(u32::MAX)
}

/// Sums as the record is built, in one currency.
struct Tally {
    first_due: Option<NaiveDate>,
    counted: u32,
    on_time: u32,
    paid: Money,
    arrears: Money,
    owed: Money,
    defaulted: u32,
}

impl AjoService {
    /// The member's stream read as an index, with its version (to append at).
    pub(super) async fn member_index(
        &self,
        member: &MemberId,
    ) -> Result<(MemberIndex, u64), ServiceError> {
        let loaded: Loaded<MemberEvent> = self.load_as(&member_stream(member), as_member).await?;
        Ok((MemberIndex::from_events(&loaded.events), loaded.version))
    }

    /// Records that `member` joined `group` in the member's index, unless it is there:
    /// idempotent, so a join retried records it once.
    ///
    /// # Errors
    /// A store error.
    pub(in crate::service) async fn record_joined(
        &self,
        member: &MemberId,
        group: &GroupId,
    ) -> Result<(), ServiceError> {
        let stream = member_stream(member);
        let at = &stream;
        self.run(at, move |_| async move {
            let (index, version) = self.member_index(member).await?;
            if index.groups.contains(group) {
                return Ok(crate::service::runner::Decision::Done(()));
            }
            Ok(crate::service::runner::Decision::Write(
                crate::service::runner::Write {
                    request: crate::ports::AppendRequest {
                        streams: vec![crate::ports::StreamAppend {
                            stream: at.clone(),
                            expected_version: version,
                            events: vec![crate::ports::DomainEvent::Member(
                                MemberEvent::JoinedGroup {
                                    group: group.clone(),
                                },
                            )],
                            wake_at: None,
                        }],
                        entries: Vec::new(),
                        outbox: Vec::new(),
                        idempotency_key: None,
                        at: self.now().into(),
                    },
                    written: (),
                    duplicate: (),
                    keep: None,
                },
            ))
        })
        .await
    }

    /// The member's record from their history in their groups (see the module docs),
    /// in the currency of the first group they joined.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] (the member's stream) for a member who has joined no
    /// group; [`ServiceError::Money`] on overflow; a store error.
    pub async fn member_record(&self, member: &MemberId) -> Result<MemberRecord, ServiceError> {
        let (index, _) = self.member_index(member).await?;
        // The first group that exists: a join the group refused may have indexed one
        // that never did.
        let mut currency = None;
        for id in &index.groups {
            match self.group(id).await {
                Ok(group) => {
                    if let Some(config) = group.config() {
                        currency = Some(config.currency());
                        break;
                    }
                }
                Err(ServiceError::NotFound(_)) => {}
                Err(other) => return Err(other),
            }
        }
        let currency = currency.ok_or_else(|| ServiceError::NotFound(member_stream(member)))?;
        self.member_record_in(member, &index, currency).await
    }

    /// The record over the groups and loans of `index` in `currency` (others are left
    /// out: amounts in two currencies do not add up).
    pub(super) async fn member_record_in(
        &self,
        member: &MemberId,
        index: &MemberIndex,
        currency: Currency,
    ) -> Result<MemberRecord, ServiceError> {
        let zero = Money::zero(currency);
        let mut tally = Tally {
            first_due: None,
            counted: 0,
            on_time: 0,
            paid: zero,
            arrears: zero,
            owed: zero,
            defaulted: 0,
        };
        let now = self.now();
        let mut today = now.date_naive();
        for id in &index.groups {
            let group = match self.group(id).await {
                Ok(group) => group,
                // Indexed by a join the group then refused (it never existed): no history.
                Err(ServiceError::NotFound(_)) => continue,
                Err(other) => return Err(other),
            };
            let Some(config) = group.config().filter(|c| c.currency() == currency) else {
                continue;
            };
            today = group.today(now);
            let mut mine = group
                .dues()
                .filter(|d| group.hand(d.hand).is_some_and(|h| &h.member == member))
                .peekable();
            if mine.peek().is_some() {
                let start = config.start_date();
                tally.first_due = Some(tally.first_due.map_or(start, |f| f.min(start)));
            }
            for due in mine {
                tally.paid = tally.paid.checked_add(due.paid)?;
                if due.due_date > today {
                    continue;
                }
                tally.counted += 1;
                let late = due.is_late(today, config.grace_days());
                if late {
                    tally.arrears = tally.arrears.checked_add(due.outstanding())?;
                }
                if !late && due.penalty_charged.is_zero() && due.covered.is_zero() {
                    tally.on_time += 1;
                }
            }
            tally.arrears = tally.arrears.checked_add(group.penalties_owed(member))?;
        }
        for (loan, _) in &index.loans {
            let state = self.state_of::<LoanState>(loan).await?;
            let Some(loan) = state.loan() else { continue };
            if loan.terms().principal().currency() != currency {
                continue;
            }
            let owed = match loan.status() {
                LoanStatus::Pending | LoanStatus::Approved => loan.terms().principal(),
                LoanStatus::Disbursed | LoanStatus::Defaulted => loan.outstanding()?.principal,
                _ => zero,
            };
            if matches!(
                loan.status(),
                LoanStatus::Defaulted | LoanStatus::WrittenOff
            ) {
                tally.defaulted += 1;
            }
            tally.owed = tally.owed.checked_add(owed)?;
        }
        let months = tally.first_due.map_or(0, |f| whole_months(f, today));
        let ratio = if tally.counted == 0 {
            Decimal::ZERO
        } else {
            Decimal::from(tally.on_time) / Decimal::from(tally.counted)
        };
        let record = MemberRecord::new(months, ratio, tally.paid)
            .and_then(|r| r.with_arrears(tally.arrears))
            .and_then(|r| r.with_outstanding_loans(tally.owed))
            .map(|r| r.with_defaulted_loans(tally.defaulted))
            .map_err(crate::loan::LoanError::from)?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_are_whole_and_never_negative() {
        assert_eq!(whole_months(day(2026, 1, 15), day(2026, 1, 20)), 0);
        assert_eq!(whole_months(day(2026, 1, 15), day(2026, 2, 14)), 0);
        assert_eq!(whole_months(day(2026, 1, 15), day(2026, 2, 15)), 1);
        assert_eq!(whole_months(day(2025, 11, 30), day(2026, 3, 1)), 3);
        assert_eq!(whole_months(day(2026, 3, 1), day(2026, 1, 1)), 0);
    }

    #[test]
    fn the_index_keeps_each_group_once_and_every_loan() {
        let g = GroupId::new("g").unwrap();
        let l = LoanId::new("l").unwrap();
        let events = [
            MemberEvent::JoinedGroup { group: g.clone() },
            MemberEvent::JoinedGroup { group: g.clone() },
            MemberEvent::LoanTaken {
                loan: l.clone(),
                group: g.clone(),
            },
        ];
        let index = MemberIndex::from_events(&events);
        assert_eq!(index.loans, [(l, g.clone())]);
        assert_eq!(index.groups, [g]);
    }
}
