//! proptest strategies for ajo's types.
//!
//! ```
//! use ajo_core::money::Money;
//! use ajo_testkit::strategies;
//! use proptest::prelude::*;
//!
//! proptest!(|(m in strategies::currency().prop_flat_map(strategies::money))| {
//!     let text = m.amount().to_string();
//!     prop_assert_eq!(Money::parse(&text, m.currency()).unwrap(), m);
//! });
//! ```

// Strategies are test code shipped as a library: the unwraps below are on values the
// strategy itself built valid, and a failure would be a bug in the strategy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ajo_core::calendar::Frequency;
use ajo_core::ledger::{Account, AccountKind, BalancedEntry, EntryDraft, Side};
use ajo_core::loan::{FeeCollection, LoanTerms, Method, UpfrontFee};
use ajo_core::money::{Currency, MAX_MINOR, Money};
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Any built-in currency, plus caller-defined ones with 0 to 18 minor units.
pub fn currency() -> impl Strategy<Value = Currency> {
    let builtins: Vec<Currency> = Currency::builtins().collect();
    prop_oneof![
        4 => proptest::sample::select(builtins),
        1 => (0u8..=18).prop_map(|units| Currency::new("XTS", units).unwrap()),
    ]
}

/// Any amount in `currency`, over the whole range, biased toward everyday sizes.
pub fn money(currency: Currency) -> impl Strategy<Value = Money> {
    prop_oneof![
        3 => (-1_000_000_000i128..=1_000_000_000).prop_map(move |m| Money::from_minor(m, currency).unwrap()),
        1 => (-MAX_MINOR..=MAX_MINOR).prop_map(move |m| Money::from_minor(m, currency).unwrap()),
    ]
}

/// An amount of zero or more in `currency`.
pub fn non_negative_money(currency: Currency) -> impl Strategy<Value = Money> {
    money(currency).prop_map(|m| m.abs())
}

/// An amount above zero in `currency`, at most `max_minor` minor units.
pub fn positive_money(currency: Currency, max_minor: i128) -> impl Strategy<Value = Money> {
    (1..=max_minor.clamp(1, MAX_MINOR)).prop_map(move |m| Money::from_minor(m, currency).unwrap())
}

/// One to `max_len` weights, each zero or more, at least one above zero, with up to six
/// decimal places.
pub fn weights(max_len: usize) -> impl Strategy<Value = Vec<Decimal>> {
    let weight = prop_oneof![
        1 => Just(Decimal::ZERO),
        6 => (1i64..1_000_000, 0u32..=6).prop_map(|(m, s)| Decimal::new(m, s)),
    ];
    proptest::collection::vec(weight, 1..=max_len.max(1))
        .prop_filter("some weight above zero", |ws| {
            ws.iter().any(|w| !w.is_zero())
        })
}

/// An account among a few owners and kinds, in `currency`.
pub fn account(currency: Currency) -> impl Strategy<Value = Account> {
    let kinds = vec![
        AccountKind::MemberWallet,
        AccountKind::GroupPot,
        AccountKind::DepositEscrow,
        AccountKind::PlatformFees,
        AccountKind::GatewayClearing,
        AccountKind::LoansReceivable,
    ];
    (
        proptest::sample::select(vec!["ada", "bola", "chidi", "group-1", "platform"]),
        proptest::sample::select(kinds),
    )
        .prop_map(move |(owner, kind)| Account::new(owner, kind, currency))
}

/// A balanced entry keyed `key`: one to four debits in `currency`, balanced by credits
/// that split the same total over one to four accounts.
pub fn balanced_entry(key: String, currency: Currency) -> impl Strategy<Value = BalancedEntry> {
    (
        proptest::collection::vec((account(currency), 1i128..=10_000_000), 1..=4),
        proptest::collection::vec(account(currency), 1..=4),
    )
        .prop_map(move |(debits, credit_accounts)| {
            let total: i128 = debits.iter().map(|(_, m)| m).sum();
            let total = Money::from_minor(total, currency).unwrap();
            let shares = total.split_evenly(credit_accounts.len()).unwrap();
            let mut draft = EntryDraft::new(key.clone(), "generated");
            for (account, minor) in debits {
                draft = draft.posting(
                    account,
                    Side::Debit,
                    Money::from_minor(minor, currency).unwrap(),
                );
            }
            for (account, share) in credit_accounts.into_iter().zip(shares) {
                if share.is_positive() {
                    draft = draft.posting(account, Side::Credit, share);
                }
            }
            draft.balance().unwrap()
        })
}

/// Loan terms across the range the reference covers and beyond: NGN principal from 1 to
/// 10^9 minor units, annual rate 0 to 100 % (zero a tenth of the time), 1 to 360
/// installments, every method, weekly, biweekly or monthly, no grace and no fees.
pub fn loan_terms() -> impl Strategy<Value = LoanTerms> {
    loan_terms_of(loan_method())
}

/// [`loan_terms`] with the method drawn from `method` (`Just(Method::Annuity)` for
/// annuities only).
pub fn loan_terms_of(method: impl Strategy<Value = Method>) -> impl Strategy<Value = LoanTerms> {
    (
        1i128..=1_000_000_000,
        prop_oneof![1 => Just(0u32), 9 => 0u32..=1_000_000],
        1u32..=360,
        method,
        loan_frequency(),
        0u32..3_650,
    )
        .prop_map(|(minor, rate, term, method, frequency, day)| {
            let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Days::new(u64::from(day));
            LoanTerms::builder(
                Money::from_minor(minor, Currency::NGN).unwrap(),
                Decimal::new(i64::from(rate), 6),
                term,
                start,
            )
            .method(method)
            .frequency(frequency)
            .build()
            .unwrap()
        })
}

/// Like [`loan_terms`], plus principal and interest grace (leaving at least one
/// repayment period) and up to two upfront fees, deducted or added to the first
/// installment.
pub fn loan_terms_with_grace_and_fees() -> impl Strategy<Value = LoanTerms> {
    (
        loan_terms(),
        0u32..=12,
        0u32..=12,
        proptest::collection::vec((0u32..=500, any::<bool>(), any::<bool>()), 0..=2),
    )
        .prop_map(|(terms, principal_grace, interest_grace, fees)| {
            let room = terms.term().saturating_sub(1);
            let mut builder = LoanTerms::builder(
                terms.principal(),
                terms.annual_rate(),
                terms.term(),
                terms.disbursement_date(),
            )
            .method(terms.method())
            .frequency(terms.frequency())
            .principal_grace(principal_grace.min(room))
            .interest_grace(interest_grace.min(room));
            for (basis_points, percentage, deducted) in fees {
                let collection = if deducted {
                    FeeCollection::Deducted
                } else {
                    FeeCollection::FirstInstallment
                };
                // At most 5 % each, so deducted fees stay below the principal.
                let fee = if percentage {
                    UpfrontFee::percentage(
                        Decimal::new(i64::from(basis_points) / 10, 4),
                        collection,
                    )
                } else {
                    let minor = terms.principal().minor() * i128::from(basis_points) / 10_000;
                    UpfrontFee::fixed(Money::from_minor(minor, Currency::NGN).unwrap(), collection)
                };
                builder = builder.fee(fee);
            }
            builder.build().unwrap()
        })
}

/// Any loan method.
pub fn loan_method() -> impl Strategy<Value = Method> {
    proptest::sample::select(vec![Method::Annuity, Method::EqualPrincipal, Method::Flat])
}

/// A repayment frequency loans support in practice: weekly, biweekly or monthly.
pub fn loan_frequency() -> impl Strategy<Value = Frequency> {
    proptest::sample::select(vec![
        Frequency::Weekly,
        Frequency::Biweekly,
        Frequency::Monthly,
    ])
}

/// Hands per member for a group of 2 to `max_members` members (most with one hand, some
/// with two or three), at least two hands in all.
pub fn member_hands(max_members: usize) -> impl Strategy<Value = Vec<u32>> {
    proptest::collection::vec(
        prop_oneof![4 => Just(1u32), 1 => Just(2u32), 1 => Just(3u32)],
        2..=max_members.max(2),
    )
}

/// A valid group configuration: naira or shillings, every frequency, fee up to 5 %, each
/// penalty kind, with or without a deposit, every payout order and policy.
pub fn group_config() -> impl Strategy<Value = ajo_core::group::GroupConfig> {
    use ajo_core::group::GroupConfig;
    use ajo_core::group::deposit::DepositRule;
    use ajo_core::group::payout::PayoutPolicy;
    use ajo_core::group::rotation::PayoutOrder;
    use ajo_core::penalty::{PenaltyKind, PenaltyRule};
    let frequency = prop_oneof![
        Just(Frequency::Daily),
        Just(Frequency::Weekly),
        Just(Frequency::Biweekly),
        Just(Frequency::Monthly),
        (2u16..60).prop_map(Frequency::EveryNDays),
    ];
    let order = prop_oneof![
        Just(PayoutOrder::JoinOrder),
        any::<u64>().prop_map(|seed| PayoutOrder::SeededLottery { seed }),
        Just(PayoutOrder::Bidding),
        Just(PayoutOrder::OrganiserChoice),
    ];
    (
        proptest::sample::select(vec![Currency::NGN, Currency::KES]),
        1_000i128..10_000_000,
        frequency,
        0i64..500,
        0u8..3,
        any::<bool>(),
        order,
        any::<bool>(),
        0u32..4,
    )
        .prop_map(
            |(
                currency,
                minor,
                frequency,
                fee_bps,
                penalty,
                deposit,
                order,
                at_grace_end,
                grace,
            )| {
                let contribution = Money::from_minor(minor, currency).unwrap();
                let penalty = match penalty {
                    0 => PenaltyRule::none(),
                    1 => PenaltyRule::new(
                        PenaltyKind::Percentage {
                            rate: Decimal::new(5, 2),
                        },
                        grace,
                    )
                    .unwrap(),
                    _ => PenaltyRule::new(
                        PenaltyKind::DailyAccrual {
                            daily_rate: Decimal::new(1, 3),
                            cap_rate: Some(Decimal::new(1, 1)),
                            cap_amount: None,
                        },
                        grace,
                    )
                    .unwrap(),
                };
                let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
                GroupConfig::builder("Generated", contribution, frequency, start)
                    .grace_days(grace)
                    .fee_rate(Decimal::new(fee_bps, 4))
                    .penalty(penalty)
                    .deposit(if deposit {
                        DepositRule::Contributions { count: 1 }
                    } else {
                        DepositRule::None
                    })
                    .payout_order(order)
                    .payout_policy(if at_grace_end {
                        PayoutPolicy::AtGraceEnd
                    } else {
                        PayoutPolicy::WhenAllPaid
                    })
                    .build()
                    .unwrap()
            },
        )
}

/// A round's step in a group's [life](crate::life): mostly payments, with lateness,
/// defaults, bids, choices, leaves, loans and repayments, duplicate webhooks and,
/// rarely, a cancellation.
pub fn life_step() -> impl Strategy<Value = crate::life::Step> {
    use crate::life::Step;
    prop_oneof![
        4 => any::<u8>().prop_map(Step::PayEarly),
        3 => (any::<u8>(), 0u8..8).prop_map(|(hand, days)| Step::PayLate { hand, days }),
        2 => any::<u8>().prop_map(Step::Default),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(member, percent)| Step::Bid { member, percent }),
        2 => any::<u8>().prop_map(Step::Choose),
        1 => any::<u8>().prop_map(Step::Leave),
        2 => Just(Step::Duplicate),
        2 => (any::<u8>(), any::<u8>(), any::<bool>())
            .prop_map(|(member, thousands, from_pot)| Step::Borrow { member, thousands, from_pot }),
        2 => any::<u8>().prop_map(Step::Repay),
        // Rare, so most lives run to completion.
        1 => (0u8..6).prop_map(|n| if n == 0 { Step::Cancel } else { Step::Duplicate }),
    ]
}

/// A group's [life](crate::life): any payout order under either policy, 2 to 5 members
/// (the first with two hands), and random steps in each round.
pub fn life_plan() -> impl Strategy<Value = crate::life::Plan> {
    use ajo_core::group::payout::PayoutPolicy;
    use ajo_core::group::rotation::PayoutOrder;
    let order = prop_oneof![
        Just(PayoutOrder::JoinOrder),
        Just(PayoutOrder::Fixed { members: vec![] }),
        any::<u64>().prop_map(|seed| PayoutOrder::SeededLottery { seed }),
        Just(PayoutOrder::Bidding),
        Just(PayoutOrder::OrganiserChoice),
    ];
    let policy = prop_oneof![
        Just(PayoutPolicy::WhenAllPaid),
        Just(PayoutPolicy::AtGraceEnd)
    ];
    (
        order,
        policy,
        2usize..=5,
        proptest::collection::vec(proptest::collection::vec(life_step(), 0..4), 0..6),
    )
        .prop_map(|(order, policy, members, rounds)| crate::life::Plan {
            name: "life".into(),
            order,
            policy,
            members,
            rounds,
        })
}
