//! Applying for a loan with the host's options, and paying out a loan from a group's pot.
//!
//! # Where the money comes from
//!
//! By default a loan is funded through the gateway's clearing: the group's books lend
//! it ([`LoanFunding::Clearing`]). A group whose rules say so
//! ([`GroupConfig::lends_from_pot`]) can instead lend the pot's *idle* money
//! ([`LoanFunding::Pot`]): what the pot holds beyond what the payouts of its unpaid
//! rounds will take. Each payout takes what its round collected, so a pot never lends a
//! contribution a recipient is waiting for; idle money is what the pot holds on top (its
//! pot loans' interest and penalties, savings a group moved in). Loan repayments are not
//! counted on.
//!
//! A pot loan's receivable, interest and penalty accounts are the pot itself: paying it
//! out takes the principal out of the pot, and everything repaid goes back in. The check
//! is made when the loan is applied for and again when it is paid out, in the same
//! atomic append as a [`GroupEvent::LentFromPot`] on the group's stream, so the pot
//! cannot be lent twice by two hosts at once or drained by a payout decided meanwhile:
//! one of them conflicts and is decided again on the pot as it now is.
//!
//! [`GroupConfig::lends_from_pot`]: crate::group::GroupConfig::lends_from_pot

use crate::aggregate::Aggregate;
use crate::eligibility::{FlowKind, LimitPolicy, PotPosition, ScheduledFlow, loan_limit};
use crate::group::{GroupError, GroupEvent, GroupState};
use crate::ids::{GroupId, LoanId};
use crate::ledger::AccountKind;
use crate::loan::{Loan, LoanAccounts, LoanApplication, LoanCommand, LoanError, LoanState};
use crate::member::MemberEvent;
use crate::money::Money;
use crate::ports::{AppendRequest, DomainEvent, KeyRecord, StreamAppend};
use crate::reference::PaymentReference;
use crate::service::exec::{
    Profiles, as_member, decode_as, group_stream, member_stream, next_wake,
};
use crate::service::runner::{Decision, Write};
use crate::service::{AjoService, ServiceError};

use super::LoanRequest;
use super::loan_stream;
use super::record::MemberIndex;

/// Where a loan's money comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoanFunding {
    /// The group's books lend it through the gateway's clearing (the default).
    #[default]
    Clearing,
    /// The group's pot lends its idle money, and is repaid into it; only for groups
    /// whose rules allow it.
    Pot,
}

/// How the service takes an application: whether it checks the member's eligibility,
/// and where the money comes from. The default checks nothing and funds through the
/// gateway's clearing.
///
/// ```
/// use ajo_core::eligibility::LimitPolicy;
/// use ajo_core::money::{Currency, Money};
/// use ajo_core::service::{LoanFunding, LoanOptions};
///
/// let policy = LimitPolicy::new("3".parse()?, Money::parse("500000", Currency::NGN)?)?;
/// let options = LoanOptions::default().eligibility(policy).funding(LoanFunding::Pot);
/// assert_eq!(options.funding_source(), LoanFunding::Pot);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[must_use]
pub struct LoanOptions {
    eligibility: Option<LimitPolicy>,
    funding: LoanFunding,
}

impl LoanOptions {
    /// Refuse the application unless the member's record
    /// ([`member_record`](AjoService::member_record)) allows the principal under
    /// `policy` ([`loan_limit`]); for a pot loan, the pot's idle money caps it too.
    pub fn eligibility(mut self, policy: LimitPolicy) -> LoanOptions {
        self.eligibility = Some(policy);
        self
    }

    /// Where the money comes from (default [`LoanFunding::Clearing`]).
    pub fn funding(mut self, funding: LoanFunding) -> LoanOptions {
        self.funding = funding;
        self
    }

    /// The eligibility policy checked, if any.
    pub fn eligibility_policy(&self) -> Option<&LimitPolicy> {
        self.eligibility.as_ref()
    }

    /// Where the money comes from.
    pub fn funding_source(&self) -> LoanFunding {
        self.funding
    }
}

/// The group whose pot lends `loan`, for a pot loan.
pub(super) fn pot_group(loan: &Loan) -> Option<GroupId> {
    let receivable = loan.accounts().receivable();
    if receivable.kind() == AccountKind::GroupPot {
        GroupId::new(receivable.owner()).ok()
    } else {
        None
    }
}

impl AjoService {
    /// A member applies for a loan through a group, with `options`: in one atomic append,
    /// the loan's `Applied` event and a [`MemberEvent::LoanTaken`] in the member's index
    /// (at the version the eligibility check read, so two applications at once are
    /// checked one after the other).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; [`ServiceError::Group`] with
    /// [`GroupError::UnknownMember`] for a borrower not (or no longer) in it;
    /// [`ServiceError::Loan`] with
    /// [`LoanError::NotEligible`] (the limit and every reason) when the member may not
    /// borrow the principal, [`LoanError::PotLendingOff`] for a pot loan in a group that
    /// does not lend its pot, [`LoanError::PotCannotLend`] when the pot's idle money is
    /// short, [`LoanError::Eligibility`] for a policy in another currency, or the terms
    /// or ids the loan refuses; a store error.
    pub async fn apply_for_loan_with(
        &self,
        request: LoanRequest,
        options: LoanOptions,
    ) -> Result<(), ServiceError> {
        self.apply_for_loan_keyed(request, options, None).await
    }

    /// [`apply_for_loan_with`](Self::apply_for_loan_with), recording a host's `key` with
    /// the application.
    #[tracing::instrument(skip_all, fields(loan_id = %request.id, group_id = %request.group, member_id = %request.member))]
    pub(in crate::service) async fn apply_for_loan_keyed(
        &self,
        request: LoanRequest,
        options: LoanOptions,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        crate::service::logged(async move {
            if let Some(key) = key {
                // A key sent with other options is refused as reused, before the options
                // are checked against the group.
                self.replay_of(key, None).await?;
            }
            let group = self.group(&request.group).await?;
            let (Some(accounts), Some(config)) = (group.accounts(), group.config()) else {
                return Err(ServiceError::NotFound(group_stream(&request.group)));
            };
            // Only a member still in the group borrows through it.
            if group.members().get(&request.member).is_none_or(|m| m.left) {
                return Err(GroupError::UnknownMember(request.member.clone()).into());
            }
            let mut loan_accounts = LoanAccounts::new(
                request.group.as_str(),
                accounts.wallet(&request.member),
                accounts.clearing(),
            );
            if options.funding == LoanFunding::Pot {
                if !config.lends_from_pot() {
                    return Err(LoanError::PotLendingOff {
                        group: request.group.to_string(),
                    }
                    .into());
                }
                loan_accounts = loan_accounts
                    .with_receivable(accounts.pot())
                    .with_interest_income(accounts.pot())
                    .with_penalty_income(accounts.pot());
            }
            let command = LoanCommand::Apply(Box::new(LoanApplication {
                id: request.id.clone(),
                borrower: request.member.clone(),
                terms: request.terms,
                accounts: loan_accounts,
                policy: request.policy,
            }));
            let (id, member, options) = (&request.id, &request.member, &options);
            let (group_id, group) = (&request.group, &group);
            let (stream, member_at) = (loan_stream(id), member_stream(member));
            let (at, command) = (&stream, &command);
            let member_at = &member_at;
            self.run(at, move |_| async move {
                let mut read = self
                    .read_state_with::<LoanState>(
                        id,
                        std::slice::from_ref(member_at),
                        key.map(|k| k.key.as_str()),
                    )
                    .await?;
                if let Some(key) = key
                    && read.key_recorded
                {
                    // Applied before under this key: nothing to do again.
                    self.replay_of(key, read.key_record).await?;
                    return Ok(Decision::Done(()));
                }
                let history = decode_as(member_at, read.others.take(member_at)?, as_member)?;
                let index = MemberIndex::from_events(&history.events);
                let LoanCommand::Apply(application) = command else {
                    return Err(ServiceError::NotFound(at.clone()));
                };
                let principal = application.terms.principal();
                if read.state.version() == 0 {
                    self.check_application(
                        group_id,
                        group,
                        &index,
                        application,
                        principal,
                        options,
                    )
                    .await?;
                }
                let now = self.now();
                let events = read
                    .state
                    .decide(command, now)
                    .map_err(ServiceError::from)?;
                let decided = self
                    .decided::<LoanState>(id, &read.state, events, now, &mut Profiles::default())
                    .await?;
                let mut streams = decided.streams;
                streams.push(StreamAppend {
                    stream: member_at.clone(),
                    expected_version: history.version,
                    events: vec![DomainEvent::Member(MemberEvent::LoanTaken {
                        loan: id.clone(),
                        group: group_id.clone(),
                    })],
                    wake_at: None,
                });
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
        })
        .await
    }

    /// The eligibility and pot checks of an application.
    async fn check_application(
        &self,
        request_group: &GroupId,
        group: &GroupState,
        index: &MemberIndex,
        application: &LoanApplication,
        principal: Money,
        options: &LoanOptions,
    ) -> Result<(), ServiceError> {
        let pot = match options.funding {
            LoanFunding::Pot => Some(self.pot_position(request_group, group).await?),
            LoanFunding::Clearing => None,
        };
        if let Some(policy) = &options.eligibility {
            let record = self
                .member_record_in(&application.borrower, index, principal.currency())
                .await?;
            // A loan through clearing is not capped by any pot: the policy's maximum is.
            let pot = pot.clone().unwrap_or(PotPosition {
                balance: policy.max_loan(),
                scheduled: Vec::new(),
            });
            let decision =
                loan_limit(&record, &pot, policy, Some(principal)).map_err(LoanError::from)?;
            if !decision.is_eligible() {
                return Err(LoanError::NotEligible {
                    limit: decision.limit,
                    refusals: decision.refusals,
                }
                .into());
            }
        }
        if let Some(pot) = pot {
            let lendable = pot.lendable().map_err(LoanError::from)?;
            if principal > lendable {
                return Err(LoanError::PotCannotLend {
                    requested: principal,
                    lendable,
                }
                .into());
            }
        }
        Ok(())
    }

    /// What `group`'s pot can lend now without leaving a payout of an unpaid round short:
    /// see the module docs.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group, a store error.
    pub async fn lendable_from_pot(&self, group: &GroupId) -> Result<Money, ServiceError> {
        let state = self.group(group).await?;
        let pot = self.pot_position(group, &state).await?;
        Ok(pot.lendable().map_err(LoanError::from)?)
    }

    /// The pot as [`PotPosition`]: what the journal says it holds, and each unpaid
    /// round's payout (what the round has collected, which is what its payout takes).
    async fn pot_position(
        &self,
        id: &GroupId,
        group: &GroupState,
    ) -> Result<PotPosition, ServiceError> {
        let (Some(accounts), Some(config)) = (group.accounts(), group.config()) else {
            return Err(ServiceError::NotFound(group_stream(id)));
        };
        let mut balance = self.store.balance(&accounts.pot()).await?.negated();
        // A pot loan written off credits the pot back (its loss shows in the group's
        // loan losses), but that money is gone: it is not the pot's to lend again.
        for loan in group.pot_loans() {
            let state = self.state_of::<LoanState>(loan).await?;
            if state.status() == Some(crate::loan::LoanStatus::WrittenOff) {
                balance = balance.checked_sub(self.written_off(loan).await?)?;
            }
        }
        let zero = Money::zero(config.currency());
        let mut scheduled = Vec::new();
        for round in group.rounds().iter().filter(|r| !r.paid_out) {
            let mut amount = zero;
            for due in group.dues().filter(|d| d.round == round.number) {
                amount = amount.checked_add(due.collected())?;
            }
            scheduled.push(ScheduledFlow {
                date: round.due_date,
                kind: FlowKind::Payout,
                amount,
            });
        }
        Ok(PotPosition { balance, scheduled })
    }

    /// Pays out an approved pot loan if the pot's idle money covers it, with a
    /// [`GroupEvent::LentFromPot`] on the group's stream in the same append.
    pub(super) async fn disburse_from_pot(
        &self,
        id: &LoanId,
        group: &GroupId,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        let stream = loan_stream(id);
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
                // Done before under this key: nothing to do again.
                self.replay_of(key, read.key_record).await?;
                return Ok(Decision::Done(()));
            }
            let (state, version) = self.load_group(group).await?;
            let now = self.now();
            let events = read
                .state
                .decide(command, now)
                .map_err(ServiceError::from)?;
            let principal = read
                .state
                .loan()
                .map(|l| l.terms().principal())
                .ok_or_else(|| ServiceError::NotFound(at.clone()))?;
            let lendable = self
                .pot_position(group, &state)
                .await?
                .lendable()
                .map_err(LoanError::from)?;
            if principal > lendable {
                return Err(LoanError::PotCannotLend {
                    requested: principal,
                    lendable,
                }
                .into());
            }
            let decided = self
                .decided::<LoanState>(id, &read.state, events, now, &mut Profiles::default())
                .await?;
            let mut streams = decided.streams;
            let counted = self.count_new_payouts(&streams, now).await?;
            streams.extend(counted);
            streams.push(StreamAppend {
                stream: group_stream(group),
                expected_version: version,
                events: vec![DomainEvent::Group(GroupEvent::LentFromPot {
                    loan: id.clone(),
                    principal,
                })],
                wake_at: next_wake(&state, now),
            });
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
