//! What kind of failure a [`ServiceError`] is, for a host's one-match error mapping, and
//! the one place a failed service call is logged, at a level chosen by that kind.

use std::fmt;
use std::future::Future;

use super::ServiceError;
use crate::group::GroupError;
use crate::loan::LoanError;
use crate::money::MoneyError;
use crate::ports::{GatewayError, StoreError};

/// What kind of failure a [`ServiceError`] is: all a host needs to answer its own caller
/// (an HTTP status, say) without matching ajo's error types one by one.
///
/// | kind | meaning | typical HTTP status |
/// | --- | --- | --- |
/// | [`NotFound`](ErrorKind::NotFound) | a group, member, hand, round, loan or payment the call named does not exist | 404 |
/// | [`Conflict`](ErrorKind::Conflict) | it exists already, or another writer got there first | 409 |
/// | [`Refused`](ErrorKind::Refused) | the rules said no in the current state (too few hands, round not funded, the provider declined) | 422 (or 409) |
/// | [`Invalid`](ErrorKind::Invalid) | the input is wrong whatever the state (a bad id, setting or amount) | 400 |
/// | [`Unavailable`](ErrorKind::Unavailable) | the store or the gateway failed or is busy: the same call may work later | 503 |
/// | [`Internal`](ErrorKind::Internal) | a fault of ajo, its configuration or stored data: report it | 500 |
///
/// ```
/// use ajo_core::group::GroupError;
/// use ajo_core::service::{ErrorKind, ServiceError};
///
/// fn status(error: &ServiceError) -> u16 {
///     match error.kind() {
///         ErrorKind::NotFound => 404,
///         ErrorKind::Conflict => 409,
///         ErrorKind::Refused => 422,
///         ErrorKind::Invalid => 400,
///         ErrorKind::Unavailable => 503,
///         _ => 500,
///     }
/// }
/// assert_eq!(status(&ServiceError::Group(GroupError::TooFewHands { hands: 1, min: 2 })), 422);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Something the call named does not exist.
    NotFound,
    /// It exists already, or another writer got there first.
    Conflict,
    /// The domain's rules refused the command in the current state; nothing changed and
    /// the same call will be refused again until the state changes.
    Refused,
    /// The input is wrong whatever the state.
    Invalid,
    /// A port failed or is busy; retrying the same call later may work.
    Unavailable,
    /// A fault to report: a bug, a misconfiguration or corrupt stored data.
    Internal,
}

impl ErrorKind {
    /// The kind's name in snake case (`not_found`, `conflict`, …), stable for logs and
    /// for a host's error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Refused => "refused",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// Whether the caller caused it (not found, conflict, refused, invalid): an answer
    /// to give, not a fault to page anyone about.
    pub fn is_caller_side(self) -> bool {
        matches!(
            self,
            ErrorKind::NotFound | ErrorKind::Conflict | ErrorKind::Refused | ErrorKind::Invalid
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ServiceError {
    /// What kind of failure this is; see [`ErrorKind`].
    pub fn kind(&self) -> ErrorKind {
        // Exhaustive on purpose, here and below: a new variant must be given a kind.
        match self {
            ServiceError::Group(e) => group_kind(e),
            ServiceError::Store(e) => store_kind(e),
            ServiceError::Gateway(e) => gateway_kind(e),
            ServiceError::Money(e) => money_kind(e),
            ServiceError::NotFound(_)
            | ServiceError::UnknownRound { .. }
            | ServiceError::UnknownHand { .. } => ErrorKind::NotFound,
            // Ledger entries are built by the service: one that fails is a bug.
            ServiceError::Ledger(_) | ServiceError::WrongStreamKind(_) => ErrorKind::Internal,
            // Stored books that fail verification: tampering or a storage fault.
            ServiceError::Books(_) => ErrorKind::Internal,
            // Busy rather than in the caller's way: the same call may go through later.
            ServiceError::TooMuchContention { .. } => ErrorKind::Unavailable,
            ServiceError::Loan(e) => loan_kind(e),
            ServiceError::Config(_) => ErrorKind::Invalid,
            // A key sent again with another command: a new command wants a new key.
            ServiceError::IdempotencyKeyReused { .. } => ErrorKind::Conflict,
            ServiceError::NothingToCollect { .. } => ErrorKind::Refused,
            ServiceError::EmptyPeriod { .. } => ErrorKind::Invalid,
            ServiceError::Review(e) => match e {
                super::ReviewError::NothingHeld { .. } => ErrorKind::NotFound,
                super::ReviewError::Unexplained => ErrorKind::Invalid,
                _ => ErrorKind::Refused,
            },
            // A cap with no room now: refused until usage frees up or the policy changes.
            ServiceError::LimitExceeded(_) => ErrorKind::Refused,
        }
    }
}

fn group_kind(error: &GroupError) -> ErrorKind {
    match error {
        GroupError::UnknownMember(_) | GroupError::UnknownHand(_) | GroupError::UnknownRound(_) => {
            ErrorKind::NotFound
        }
        GroupError::AlreadyCreated
        | GroupError::AlreadyMember(_)
        | GroupError::ReferenceReused { .. } => ErrorKind::Conflict,
        GroupError::InvalidId(_)
        | GroupError::InvalidConfig { .. }
        | GroupError::NoHands
        | GroupError::WrongCurrency { .. }
        | GroupError::NonPositiveAmount
        | GroupError::Rotation(_)
        | GroupError::Penalty(_)
        | GroupError::Calendar(_) => ErrorKind::Invalid,
        GroupError::NotAllowed { .. }
        | GroupError::GroupFull { .. }
        | GroupError::TooFewHands { .. }
        | GroupError::DepositsOutstanding(_)
        | GroupError::OrderMismatch
        | GroupError::MustSettleBeforeLeaving { .. }
        | GroupError::NotYetPaidOut(_)
        | GroupError::PayoutNotDue { .. }
        | GroupError::NotCurrentRound { .. }
        | GroupError::RoundNotFunded { .. }
        | GroupError::RecipientNotChosen(_)
        | GroupError::HandAlreadyPaid(_)
        | GroupError::NoUnpaidHand(_)
        | GroupError::WrongPayoutMethod(_)
        | GroupError::DiscountTooLarge { .. }
        | GroupError::NothingToWaive { .. }
        | GroupError::NothingOwed { .. }
        | GroupError::RejoinAfterRefund(_) => ErrorKind::Refused,
        GroupError::Ledger(_) => ErrorKind::Internal,
        GroupError::Money(e) => money_kind(e),
    }
}

fn store_kind(error: &StoreError) -> ErrorKind {
    match error {
        StoreError::Conflict { .. }
        | StoreError::EntryConflict { .. }
        | StoreError::CheckpointConflict { .. } => ErrorKind::Conflict,
        StoreError::Unavailable { .. } | StoreError::Incomplete { .. } => ErrorKind::Unavailable,
        StoreError::Unbalanced { .. }
        | StoreError::BalanceOutOfRange
        | StoreError::UnknownMessage(_)
        | StoreError::Corrupt { .. } => ErrorKind::Internal,
    }
}

fn gateway_kind(error: &GatewayError) -> ErrorKind {
    match error {
        GatewayError::Declined { .. } | GatewayError::InsufficientFunds => ErrorKind::Refused,
        GatewayError::RateLimited { .. }
        | GatewayError::Unavailable
        | GatewayError::Timeout
        | GatewayError::Unexpected { .. } => ErrorKind::Unavailable,
        // What the service sent was refused, or its keys were: ajo's or the host's
        // configuration, not the caller's input.
        GatewayError::InvalidRequest { .. }
        | GatewayError::Unauthorized
        | GatewayError::NotFound { .. } => ErrorKind::Internal,
    }
}

fn money_kind(error: &MoneyError) -> ErrorKind {
    match error {
        MoneyError::Overflow { .. } => ErrorKind::Internal,
        _ => ErrorKind::Invalid,
    }
}

fn loan_kind(error: &LoanError) -> ErrorKind {
    match error {
        LoanError::NonPositivePrincipal { .. }
        | LoanError::NegativeRate { .. }
        | LoanError::RateTooHigh { .. }
        | LoanError::TermOutOfRange { .. }
        | LoanError::UnsupportedFrequency { .. }
        | LoanError::GraceTooLong { .. }
        | LoanError::NegativeFee { .. }
        | LoanError::FeesExceedPrincipal { .. }
        | LoanError::CurrencyMismatch { .. }
        | LoanError::NoRepayments
        | LoanError::NothingReceived
        | LoanError::InvalidId(_)
        | LoanError::InvalidAllocationOrder
        | LoanError::NonPositivePayment { .. }
        | LoanError::Calendar(_)
        | LoanError::Penalty(_) => ErrorKind::Invalid,
        LoanError::NoLoan { .. } => ErrorKind::NotFound,
        LoanError::IllegalTransition { .. }
        | LoanError::BeforeDisbursement { .. }
        | LoanError::Overpayment { .. }
        | LoanError::PayoffMismatch { .. }
        | LoanError::NothingDue
        | LoanError::NothingOverdue { .. }
        | LoanError::NotEligible { .. }
        | LoanError::PotLendingOff { .. }
        | LoanError::PotCannotLend { .. } => ErrorKind::Refused,
        // A policy in another currency than the loan: the host's setting.
        LoanError::Eligibility(_) => ErrorKind::Invalid,
        LoanError::PaymentRefConflict { .. } => ErrorKind::Conflict,
        LoanError::RateDidNotConverge { .. }
        | LoanError::EventDoesNotApply { .. }
        | LoanError::Ledger(_) => ErrorKind::Internal,
        LoanError::Money(e) => money_kind(e),
        LoanError::Apr(e) if e.is_invalid_input() => ErrorKind::Invalid,
        LoanError::Apr(_) => ErrorKind::Internal,
    }
}

/// Awaits a service call's body and logs its failure once, in the caller's span, at the
/// level its [`kind`](ServiceError::kind) deserves: a caller-side answer (refused, not
/// found, invalid, conflict) at `INFO`, a port that is unavailable at `WARN`, only an
/// internal fault at `ERROR`. It replaces `#[instrument(err)]`, which logs every
/// refusal at `ERROR`:
///
/// ```ignore
/// #[instrument(skip_all, fields(group_id = %group))] // no `err`
/// pub async fn start(&self, group: &GroupId) -> Result<(), ServiceError> {
///     logged(async move {
///         // the body, unchanged
///     })
///     .await
/// }
/// ```
pub(super) async fn logged<T>(
    body: impl Future<Output = Result<T, ServiceError>>,
) -> Result<T, ServiceError> {
    let result = body.await;
    if let Err(error) = &result {
        let kind = error.kind();
        match kind {
            ErrorKind::Internal => tracing::error!(error = %error, kind = kind.as_str()),
            ErrorKind::Unavailable => tracing::warn!(error = %error, kind = kind.as_str()),
            ErrorKind::NotFound | ErrorKind::Conflict | ErrorKind::Refused | ErrorKind::Invalid => {
                tracing::info!(error = %error, kind = kind.as_str());
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;
    use crate::calendar::{CalendarError, Frequency};
    use crate::group::GroupStatus;
    use crate::group::rotation::RotationError;
    use crate::ids::{GroupId, HandId, MemberId};
    use crate::ledger::LedgerError;
    use crate::loan::LoanStatus;
    use crate::money::{Currency, Money};
    use crate::penalty::PenaltyError;
    use crate::ports::{StreamId, StreamKind};
    use crate::service::ConfigError;

    use ErrorKind::{Conflict, Internal, Invalid, NotFound, Refused, Unavailable};

    fn ngn(minor: i128) -> Money {
        Money::from_minor(minor, Currency::NGN).unwrap()
    }
    fn member() -> MemberId {
        MemberId::new("ada").unwrap()
    }
    fn hand() -> HandId {
        HandId::new(1).unwrap()
    }
    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
    }
    fn overflow() -> MoneyError {
        MoneyError::Overflow { operation: "add" }
    }
    fn ledger() -> LedgerError {
        LedgerError::TooFewPostings { count: 1 }
    }

    fn check(cases: Vec<(ServiceError, ErrorKind)>) {
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error:?}");
        }
    }

    #[test]
    fn every_service_error_has_its_kind() {
        let stream = StreamId::new(StreamKind::Group, "g1");
        let group = GroupId::new("g1").unwrap();
        check(vec![
            (ServiceError::NotFound(stream.clone()), NotFound),
            (
                ServiceError::UnknownRound {
                    group: group.clone(),
                    round: 9,
                },
                NotFound,
            ),
            (
                ServiceError::UnknownHand {
                    group,
                    hand: hand(),
                },
                NotFound,
            ),
            (ServiceError::Ledger(ledger()), Internal),
            (ServiceError::WrongStreamKind(stream.clone()), Internal),
            (
                ServiceError::TooMuchContention {
                    stream,
                    attempts: 5,
                },
                Unavailable,
            ),
            (ServiceError::Config(ConfigError::BlankWorker), Invalid),
            (ServiceError::Money(overflow()), Internal),
            (ServiceError::Money(MoneyError::EmptyAmount), Invalid),
        ]);
    }

    #[test]
    fn every_store_and_gateway_error_has_its_kind() {
        let stream = StreamId::new(StreamKind::Group, "g1");
        let store = |e: StoreError| ServiceError::Store(e);
        let gateway = |e: GatewayError| ServiceError::Gateway(e);
        check(vec![
            (
                store(StoreError::Conflict {
                    stream: stream.clone(),
                    expected: 1,
                    actual: 2,
                }),
                Conflict,
            ),
            (
                store(StoreError::EntryConflict { key: "k".into() }),
                Conflict,
            ),
            (store(StoreError::Unbalanced { key: "k".into() }), Internal),
            (store(StoreError::BalanceOutOfRange), Internal),
            (store(StoreError::UnknownMessage("m".into())), Internal),
            (store(StoreError::Incomplete { stream }), Unavailable),
            (
                store(StoreError::Unavailable {
                    reason: "down".into(),
                }),
                Unavailable,
            ),
            (
                store(StoreError::Corrupt {
                    reason: "bad".into(),
                }),
                Internal,
            ),
            (
                gateway(GatewayError::Declined { code: "x".into() }),
                Refused,
            ),
            (gateway(GatewayError::InsufficientFunds), Refused),
            (
                gateway(GatewayError::InvalidRequest {
                    message: "m".into(),
                }),
                Internal,
            ),
            (gateway(GatewayError::Unauthorized), Internal),
            (
                gateway(GatewayError::NotFound {
                    reference: "r".into(),
                }),
                Internal,
            ),
            (
                gateway(GatewayError::RateLimited { retry_after: None }),
                Unavailable,
            ),
            (gateway(GatewayError::Unavailable), Unavailable),
            (gateway(GatewayError::Timeout), Unavailable),
            (
                gateway(GatewayError::Unexpected {
                    provider: "paystack",
                    status: 500,
                }),
                Unavailable,
            ),
        ]);
    }

    #[test]
    fn every_group_error_has_its_kind() {
        let g = |e: GroupError| ServiceError::Group(e);
        let bad_id = MemberId::new("").unwrap_err();
        check(vec![
            (g(GroupError::InvalidId(bad_id)), Invalid),
            (
                g(GroupError::InvalidConfig {
                    field: "name",
                    reason: "blank",
                }),
                Invalid,
            ),
            (
                g(GroupError::NotAllowed {
                    action: "start",
                    status: GroupStatus::Active,
                }),
                Refused,
            ),
            (g(GroupError::AlreadyCreated), Conflict),
            (g(GroupError::AlreadyMember(member())), Conflict),
            (g(GroupError::UnknownMember(member())), NotFound),
            (g(GroupError::UnknownHand(hand())), NotFound),
            (g(GroupError::UnknownRound(3)), NotFound),
            (g(GroupError::NoHands), Invalid),
            (g(GroupError::GroupFull { max: 5 }), Refused),
            (g(GroupError::TooFewHands { hands: 2, min: 5 }), Refused),
            (g(GroupError::DepositsOutstanding(vec![member()])), Refused),
            (g(GroupError::OrderMismatch), Refused),
            (
                g(GroupError::WrongCurrency {
                    expected: "NGN".into(),
                    got: "KES".into(),
                }),
                Invalid,
            ),
            (g(GroupError::NonPositiveAmount), Invalid),
            (
                g(GroupError::ReferenceReused {
                    reference: "r".into(),
                }),
                Conflict,
            ),
            (
                g(GroupError::MustSettleBeforeLeaving {
                    member: member(),
                    owed: ngn(1),
                }),
                Refused,
            ),
            (g(GroupError::NotYetPaidOut(member())), Refused),
            (
                g(GroupError::PayoutNotDue {
                    round: 1,
                    due_date: date(),
                }),
                Refused,
            ),
            (
                g(GroupError::NotCurrentRound {
                    round: 2,
                    current: 1,
                }),
                Refused,
            ),
            (
                g(GroupError::RoundNotFunded {
                    round: 1,
                    shortfall: ngn(1),
                }),
                Refused,
            ),
            (g(GroupError::RecipientNotChosen(1)), Refused),
            (g(GroupError::HandAlreadyPaid(hand())), Refused),
            (g(GroupError::NoUnpaidHand(member())), Refused),
            (g(GroupError::WrongPayoutMethod("bids")), Refused),
            (
                g(GroupError::DiscountTooLarge {
                    discount: ngn(2),
                    payout: ngn(1),
                }),
                Refused,
            ),
            (
                g(GroupError::NothingToWaive {
                    round: 1,
                    hand: hand(),
                }),
                Refused,
            ),
            (
                g(GroupError::NothingOwed {
                    round: 1,
                    hand: hand(),
                }),
                Refused,
            ),
            (g(GroupError::Rotation(RotationError::NoHands)), Invalid),
            (
                g(GroupError::Penalty(PenaltyError::NegativeOverdue)),
                Invalid,
            ),
            (
                g(GroupError::Calendar(CalendarError::ZeroDayInterval)),
                Invalid,
            ),
            (g(GroupError::Ledger(ledger())), Internal),
            (g(GroupError::Money(overflow())), Internal),
            (g(GroupError::Money(MoneyError::ZeroParts)), Invalid),
        ]);
    }

    #[test]
    fn every_loan_error_has_its_kind() {
        let l = |e: LoanError| ServiceError::from(e);
        let bad_id = MemberId::new("").unwrap_err();
        check(vec![
            (
                l(LoanError::NonPositivePrincipal { principal: ngn(0) }),
                Invalid,
            ),
            (
                l(LoanError::NegativeRate {
                    rate: Decimal::NEGATIVE_ONE,
                }),
                Invalid,
            ),
            (
                l(LoanError::RateTooHigh {
                    rate: Decimal::TEN,
                    max: Decimal::ONE,
                }),
                Invalid,
            ),
            (l(LoanError::TermOutOfRange { term: 0, max: 1 }), Invalid),
            (
                l(LoanError::UnsupportedFrequency {
                    frequency: Frequency::EveryNDays(3),
                }),
                Invalid,
            ),
            (l(LoanError::GraceTooLong { grace: 3, term: 3 }), Invalid),
            (l(LoanError::NegativeFee { index: 0 }), Invalid),
            (
                l(LoanError::FeesExceedPrincipal {
                    deducted: ngn(2),
                    principal: ngn(1),
                }),
                Invalid,
            ),
            (
                l(LoanError::CurrencyMismatch {
                    field: "fee",
                    expected: Currency::NGN,
                    got: Currency::KES,
                }),
                Invalid,
            ),
            (l(LoanError::RateDidNotConverge { iterations: 9 }), Internal),
            (l(LoanError::NoRepayments), Invalid),
            (l(LoanError::NothingReceived), Invalid),
            (l(LoanError::InvalidId(bad_id)), Invalid),
            (l(LoanError::InvalidAllocationOrder), Invalid),
            (
                l(LoanError::IllegalTransition {
                    command: "repay",
                    status: LoanStatus::Pending,
                }),
                Refused,
            ),
            (l(LoanError::NoLoan { command: "approve" }), NotFound),
            (l(LoanError::NonPositivePayment { amount: ngn(0) }), Invalid),
            (
                l(LoanError::BeforeDisbursement {
                    date: date(),
                    disbursed: date(),
                }),
                Refused,
            ),
            (
                l(LoanError::Overpayment {
                    amount: ngn(2),
                    max: ngn(1),
                }),
                Refused,
            ),
            (
                l(LoanError::PayoffMismatch {
                    amount: ngn(2),
                    quote: ngn(1),
                }),
                Refused,
            ),
            (
                l(LoanError::PaymentRefConflict {
                    payment_ref: "p".into(),
                }),
                Conflict,
            ),
            (l(LoanError::NothingDue), Refused),
            (l(LoanError::NothingOverdue { date: date() }), Refused),
            (l(LoanError::EventDoesNotApply { event: "x" }), Internal),
            (l(LoanError::Money(overflow())), Internal),
            (l(LoanError::Money(MoneyError::EmptyAmount)), Invalid),
            (
                l(LoanError::Calendar(CalendarError::ZeroDayInterval)),
                Invalid,
            ),
            (
                l(LoanError::Penalty(PenaltyError::NegativeOverdue)),
                Invalid,
            ),
            (l(LoanError::Ledger(ledger())), Internal),
        ]);
    }

    #[test]
    fn kinds_name_themselves_and_say_whose_side_they_are() {
        let all = [NotFound, Conflict, Refused, Invalid, Unavailable, Internal];
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "not_found",
                "conflict",
                "refused",
                "invalid",
                "unavailable",
                "internal"
            ]
        );
        let caller: Vec<bool> = all.iter().map(|k| k.is_caller_side()).collect();
        assert_eq!(caller, [true, true, true, true, false, false]);
    }
}
