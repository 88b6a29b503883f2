//! Reads of the books for a host's reports: a period's totals, statements of a group or
//! a member, the journal by account, and groups listed by member and by status.

use serde::Serialize;
use tracing::instrument;

use super::exec::{group_stream, member_stream};
use super::{AjoService, ServiceError, logged};
use crate::books::{Holder, Period, PeriodReport, ReportBuilder, Statement, StatementBuilder};
use crate::group::{GroupState, GroupStatus};
use crate::ids::{GroupId, MemberId};
use crate::ledger::{Account, JournalEntry};
use crate::member::MemberEvent;
use crate::money::{Currency, MoneyError};
use crate::ports::{DomainEvent, EntryQuery, StoreError, StreamKind};

/// Entries read from the store at a time when a report walks the journal.
const JOURNAL_PAGE: usize = 1_000;

/// Streams listed from the store at a time when groups are listed by status.
const STREAM_PAGE: usize = 500;

/// A group in a list: enough to show it and look it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GroupSummary {
    /// The group.
    pub id: GroupId,
    /// Its name.
    pub name: String,
    /// Where it is in its life.
    pub status: GroupStatus,
    /// Its currency.
    pub currency: Currency,
}

impl GroupSummary {
    fn of(state: &GroupState) -> Option<GroupSummary> {
        let (id, config) = (state.id()?, state.config()?);
        Some(GroupSummary {
            id: id.clone(),
            name: config.name().to_owned(),
            status: state.status(),
            currency: config.currency(),
        })
    }
}

impl AjoService {
    /// The books of `currency` over `period`: collections, payouts, fees, penalties,
    /// interest, deposits held, money in review and in dispute, and every account kind's
    /// opening and closing balance (see [`PeriodReport`] for each line's definition).
    ///
    /// Exact: the journal is read in pages by entry id up to the period's end and summed
    /// from the first entry, so opening balances are the sum of every posting before the
    /// period, never a balance read at another moment. The cost grows with the journal up
    /// to `period.until()`.
    ///
    /// # Errors
    /// A store error ([`ServiceError::Store`]); [`ServiceError::Money`] if a total leaves
    /// the range money can hold.
    #[instrument(skip_all, fields(currency = %currency, from = %period.from(), until = %period.until()))]
    pub async fn report(
        &self,
        period: &Period,
        currency: Currency,
    ) -> Result<PeriodReport, ServiceError> {
        logged(async move {
            let mut builder = ReportBuilder::new(*period, currency);
            self.walk_journal(period, |entry| builder.add(entry))
                .await?;
            Ok(builder.finish()?)
        })
        .await
    }

    /// Every posting to a group's books over `period` (the group's own accounts and its
    /// members' accounts in it), in journal order with running balances.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; a store error;
    /// [`ServiceError::Money`] if a balance leaves the range money can hold.
    #[instrument(skip_all, fields(group_id = %group))]
    pub async fn group_statement(
        &self,
        group: &GroupId,
        period: &Period,
    ) -> Result<Statement, ServiceError> {
        logged(async move {
            self.existing_group(group).await?;
            let holder = Holder::Group {
                group: group.clone(),
            };
            self.statement(holder, period).await
        })
        .await
    }

    /// Every posting to a member's accounts over `period`, in every group they joined
    /// (their wallet, deposit escrow and receivable in each), in journal order with
    /// running balances.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for a member who never joined a group; a store error;
    /// [`ServiceError::Money`] if a balance leaves the range money can hold.
    #[instrument(skip_all, fields(member_id = %member))]
    pub async fn member_statement(
        &self,
        member: &MemberId,
        period: &Period,
    ) -> Result<Statement, ServiceError> {
        logged(async move {
            let groups = self.joined_groups(member).await?;
            if groups.is_empty() {
                return Err(ServiceError::NotFound(member_stream(member)));
            }
            let holder = Holder::Member {
                member: member.clone(),
                groups,
            };
            self.statement(holder, period).await
        })
        .await
    }

    /// The groups a member joined, in the order they joined, from the member's index
    /// (a group that refused the join is left out).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for a member who never joined a group; a store error.
    #[instrument(skip_all, fields(member_id = %member))]
    pub async fn groups_of_member(
        &self,
        member: &MemberId,
    ) -> Result<Vec<GroupSummary>, ServiceError> {
        logged(async move {
            let mut summaries = Vec::new();
            for group in self.joined_groups(member).await? {
                if let Some(summary) = self.summary(&group).await? {
                    summaries.push(summary);
                }
            }
            if summaries.is_empty() {
                return Err(ServiceError::NotFound(member_stream(member)));
            }
            Ok(summaries)
        })
        .await
    }

    /// Every group with `status`, in byte order of the id. Reads each group's state, so
    /// the cost grows with the number of groups.
    ///
    /// # Errors
    /// A store error; [`StoreError::Corrupt`] for a stored group id that is not valid.
    #[instrument(skip_all, fields(status = %status))]
    pub async fn groups_by_status(
        &self,
        status: GroupStatus,
    ) -> Result<Vec<GroupSummary>, ServiceError> {
        logged(async move {
            let mut found = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = self
                    .store
                    .stream_ids(StreamKind::Group, after.as_deref(), STREAM_PAGE)
                    .await?;
                for id in &page {
                    let group = GroupId::new(id.as_str()).map_err(|_| StoreError::Corrupt {
                        reason: format!("a stored group id is not valid: {id:?}"),
                    })?;
                    if let Some(summary) = self.summary(&group).await?
                        && summary.status == status
                    {
                        found.push(summary);
                    }
                }
                if page.len() < STREAM_PAGE {
                    return Ok(found);
                }
                after = page.last().cloned();
            }
        })
        .await
    }

    /// The journal entries with a posting to `account` over `period`, oldest first.
    ///
    /// # Errors
    /// A store error.
    #[instrument(skip_all, fields(account = %account))]
    pub async fn entries(
        &self,
        account: &Account,
        period: &Period,
    ) -> Result<Vec<JournalEntry>, ServiceError> {
        logged(async move {
            let query = EntryQuery::default()
                .account(account.clone())
                .between(period.from(), period.until());
            Ok(self.store.entries(&query).await?)
        })
        .await
    }

    async fn statement(&self, holder: Holder, period: &Period) -> Result<Statement, ServiceError> {
        let mut builder = StatementBuilder::new(holder, *period);
        self.walk_journal(period, |entry| builder.add(entry))
            .await?;
        Ok(builder.finish()?)
    }

    /// Feeds every entry posted before the period's end to `add`, in journal order, a
    /// page at a time: ids only grow, so reading after the last id seen never skips or
    /// repeats one.
    async fn walk_journal(
        &self,
        period: &Period,
        mut add: impl FnMut(&JournalEntry) -> Result<(), MoneyError> + Send,
    ) -> Result<(), ServiceError> {
        let mut after = None;
        loop {
            let query = EntryQuery {
                after,
                limit: Some(JOURNAL_PAGE),
                until: Some(period.until()),
                ..EntryQuery::default()
            };
            let page = self.store.entries(&query).await?;
            for entry in &page {
                add(entry)?;
            }
            if page.len() < JOURNAL_PAGE {
                return Ok(());
            }
            after = page.last().map(|e| e.id().0);
        }
    }

    /// The groups in a member's index, each once, in join order.
    async fn joined_groups(&self, member: &MemberId) -> Result<Vec<GroupId>, ServiceError> {
        let events = self.store.load(&member_stream(member)).await?;
        let mut groups: Vec<GroupId> = Vec::new();
        for recorded in events {
            if let DomainEvent::Member(MemberEvent::JoinedGroup { group }) = recorded.event
                && !groups.contains(&group)
            {
                groups.push(group);
            }
        }
        Ok(groups)
    }

    async fn summary(&self, group: &GroupId) -> Result<Option<GroupSummary>, ServiceError> {
        match self.group(group).await {
            Ok(state) => Ok(GroupSummary::of(&state)),
            Err(ServiceError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    async fn existing_group(&self, group: &GroupId) -> Result<GroupState, ServiceError> {
        let state = self.group(group).await?;
        if state.id().is_none() {
            return Err(ServiceError::NotFound(group_stream(group)));
        }
        Ok(state)
    }
}
