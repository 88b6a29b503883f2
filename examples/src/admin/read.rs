//! The read-only subcommands: `report`, `statement` and `held`, on a connection the
//! server holds read-only.
//!
//! `report` and `statement` read the journal once through the [`Journal`] port and build
//! with ajo-core's pure builders ([`PeriodReport::from_entries`],
//! [`Statement::from_entries`]), so the period's default bounds and the figures come
//! from the same read. `held` asks the service ([`AjoService::held`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use ajo_core::books::{Holder, Period, PeriodReport, Statement};
use ajo_core::ids::{GroupId, MemberId};
use ajo_core::ledger::JournalEntry;
use ajo_core::money::Currency;
use ajo_core::ports::{EntryQuery, Journal};
use ajo_core::service::{AjoService, HeldItem, ServiceError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{AdminError, Outcome, Status, period};

/// Whose books a `report` or `statement` covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Whose {
    /// Everyone's.
    All,
    /// A group's: its accounts and its members' accounts in it.
    Group(GroupId),
    /// A member's accounts in every group they joined.
    Member(MemberId),
}

/// `report`: one [`PeriodReport`] per currency over the period; for a group or a member,
/// over the journal entries that touch their accounts.
///
/// # Errors
/// [`AdminError::Store`] if the journal cannot be read; [`AdminError::Period`] for a
/// span that ends before it starts; [`AdminError::Service`] for an unknown group or
/// member; [`AdminError::Money`] if a total overflows.
pub async fn report(
    service: &AjoService,
    journal: &dyn Journal,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    currency: Option<Currency>,
    whose: &Whose,
) -> Result<Outcome, AdminError> {
    let entries = journal.entries(&EntryQuery::default()).await?;
    let period = period::span(from, to, &entries)?;
    let holder = holder(service, whose).await?;
    let selected: Vec<&JournalEntry> = entries
        .iter()
        .filter(|entry| {
            holder.as_ref().is_none_or(|holder| {
                entry
                    .entry()
                    .postings()
                    .iter()
                    .any(|p| holder.holds(p.account.owner()))
            })
        })
        .collect();
    let currencies: BTreeSet<Currency> = match currency {
        Some(currency) => BTreeSet::from([currency]),
        None => selected
            .iter()
            .flat_map(|e| e.entry().postings().iter().map(|p| p.amount.currency()))
            .collect(),
    };
    let mut reports = Vec::with_capacity(currencies.len());
    for currency in currencies {
        reports.push(PeriodReport::from_entries(
            period,
            currency,
            selected.iter().copied(),
        )?);
    }
    let mut text = String::new();
    if let Some(holder) = &holder {
        let _ = writeln!(text, "Entries touching the accounts of {holder}");
    }
    if reports.is_empty() {
        let _ = writeln!(text, "Nothing in the books {}", describe(&period));
    }
    for (i, report) in reports.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let _ = write!(text, "{report}");
    }
    Ok(Outcome {
        status: Status::Ok,
        text,
        json: json!({ "period": period, "holder": holder, "reports": reports }),
    })
}

/// `statement`: every posting to a group's or a member's accounts over the period, with
/// running balances.
///
/// # Errors
/// As [`report`].
pub async fn statement(
    service: &AjoService,
    journal: &dyn Journal,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    whose: &Whose,
) -> Result<Outcome, AdminError> {
    let entries = journal.entries(&EntryQuery::default()).await?;
    let period = period::span(from, to, &entries)?;
    let Some(holder) = holder(service, whose).await? else {
        return Err(AdminError::NoHolder);
    };
    let statement = Statement::from_entries(holder, period, &entries)?;
    Ok(Outcome {
        status: Status::Ok,
        text: statement.to_string(),
        json: serde_json::to_value(&statement)?,
    })
}

/// `held`: the review queue. Money waiting for a person is a fault for the exit code
/// (1), so a scheduled run can alert on it; an empty queue is 0.
///
/// # Errors
/// [`AdminError::Service`] if the store cannot be read.
pub async fn held(service: &AjoService) -> Result<Outcome, AdminError> {
    let items = service.held().await?;
    let mut text = String::new();
    if items.is_empty() {
        text.push_str("Nothing is held for review\n");
    } else {
        let _ = writeln!(text, "{} held for review:", count(items.len()));
        let _ = writeln!(
            text,
            "  {:<40} {:>16}  {:<20} {:<12} why",
            "reference", "amount", "held at (UTC)", "member"
        );
        for item in &items {
            text.push_str(&line(item));
        }
    }
    Ok(Outcome {
        status: if items.is_empty() {
            Status::Ok
        } else {
            Status::Fault
        },
        text,
        json: serde_json::to_value(Held { held: &items })?,
    })
}

#[derive(Serialize)]
struct Held<'a> {
    held: &'a [HeldItem],
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 item".to_owned()
    } else {
        format!("{n} items")
    }
}

fn line(item: &HeldItem) -> String {
    let mut why = item.why.describe();
    if item.refund_pending {
        why.push_str(" (refund asked, waiting for the gateway)");
    }
    format!(
        "  {:<40} {:>16}  {:<20} {:<12} {why}\n",
        item.reference,
        item.amount.human().to_string(),
        item.held_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        item.member.as_ref().map_or("-", MemberId::as_str),
    )
}

fn describe(period: &Period) -> String {
    format!("from {} until {}", period.from(), period.until())
}

/// The statement holder for `whose`, checked to exist; `None` for everyone.
async fn holder(service: &AjoService, whose: &Whose) -> Result<Option<Holder>, AdminError> {
    match whose {
        Whose::All => Ok(None),
        Whose::Group(group) => match service.group(group).await {
            Ok(state) if state.id().is_some() => Ok(Some(Holder::Group {
                group: group.clone(),
            })),
            Ok(_) | Err(ServiceError::NotFound(_)) => Err(AdminError::UnknownGroup(group.clone())),
            Err(other) => Err(other.into()),
        },
        Whose::Member(member) => match service.groups_of_member(member).await {
            Ok(groups) => Ok(Some(Holder::Member {
                member: member.clone(),
                groups: groups.into_iter().map(|g| g.id).collect(),
            })),
            Err(ServiceError::NotFound(_)) => Err(AdminError::UnknownMember(member.clone())),
            Err(other) => Err(other.into()),
        },
    }
}
