//! Scores and limits against the reference, and their invariants.

use chrono::NaiveDate;

use super::*;

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, n).unwrap()
}

#[test]
fn out_of_range_inputs_are_typed_errors() {
    for ratio in ["-0.01", "1.0001"] {
        assert_eq!(
            MemberRecord::new(1, d(ratio), ngn("1")),
            Err(EligibilityError::RatioOutOfRange { ratio: d(ratio) })
        );
    }
    assert_eq!(
        MemberRecord::new(1, d("0.5"), ngn("-1")),
        Err(EligibilityError::NegativeAmount {
            field: "total_contributed",
            amount: ngn("-1")
        })
    );
    let member = MemberRecord::new(1, d("0.5"), ngn("100")).unwrap();
    assert!(matches!(
        member.with_arrears(ngn("-1")),
        Err(EligibilityError::NegativeAmount {
            field: "arrears",
            ..
        })
    ));
    let kes = Money::parse("1", Currency::KES).unwrap();
    assert!(matches!(
        member.with_outstanding_loans(kes),
        Err(EligibilityError::CurrencyMismatch {
            field: "outstanding_loans",
            ..
        })
    ));
    let weights = ScoreWeights::default();
    assert_eq!(
        score(&member, ngn("0"), &weights),
        Err(EligibilityError::NonPositiveMaxLoan { max_loan: ngn("0") })
    );
    assert!(matches!(
        score(&member, kes, &weights),
        Err(EligibilityError::CurrencyMismatch {
            field: "max_loan",
            ..
        })
    ));
    assert_eq!(
        ScoreWeights::new(d("4"), d("40"), d("-1"), d("30")),
        Err(EligibilityError::NegativeSetting {
            field: "punctuality_points"
        })
    );
    assert_eq!(
        LimitPolicy::new(d("-1"), ngn("1")),
        Err(EligibilityError::NegativeSetting {
            field: "contribution_multiple"
        })
    );
    assert_eq!(
        LimitPolicy::new(d("1"), ngn("0")),
        Err(EligibilityError::NonPositiveMaxLoan { max_loan: ngn("0") })
    );
    let huge = ScoreWeights::new(Decimal::MAX, Decimal::MAX, d("0"), d("0")).unwrap();
    let veteran = MemberRecord::new(u32::MAX, d("1"), ngn("1")).unwrap();
    assert!(matches!(
        score(&veteran, ngn("1"), &huge),
        Err(EligibilityError::Money(MoneyError::Overflow { .. }))
    ));
    let big = ScoreWeights::new(d("1e10"), d("1e10"), d("0"), d("0")).unwrap();
    assert_eq!(
        score(&member, ngn("1"), &big),
        Err(EligibilityError::ScoreOutOfRange)
    );
}

#[test]
fn custom_weights_change_the_score() {
    let member = MemberRecord::new(3, d("0.5"), ngn("50000")).unwrap();
    let weights = ScoreWeights::new(d("10"), d("50"), d("20"), d("30")).unwrap();
    assert_eq!(weights.max_score(), d("100"));
    let scored = score(&member, ngn("100000"), &weights).unwrap();
    // 30 + 10 + 15.
    assert_eq!(scored.score, 55);
    assert_eq!(scored.breakdown.raw_score, d("55"));
}

#[test]
fn the_pot_keeps_enough_for_every_scheduled_payout() {
    let flow = |n, kind, amount: &str| ScheduledFlow {
        date: day(n),
        kind,
        amount: ngn(amount),
    };
    let pot = PotPosition {
        balance: ngn("100000"),
        scheduled: vec![
            flow(5, FlowKind::Contribution, "60000"),
            flow(5, FlowKind::Payout, "150000"),
        ],
    };
    // Payouts first on the same day: 100,000 - 150,000 < 0, nothing to lend.
    assert_eq!(pot.lendable().unwrap(), ngn("0"));
    let pot = PotPosition {
        balance: ngn("100000"),
        scheduled: vec![
            flow(4, FlowKind::Contribution, "60000"),
            flow(5, FlowKind::Payout, "150000"),
        ],
    };
    assert_eq!(pot.lendable().unwrap(), ngn("10000"));
    let bad = PotPosition {
        balance: ngn("1"),
        scheduled: vec![flow(1, FlowKind::Payout, "-1")],
    };
    assert!(matches!(
        bad.lendable(),
        Err(EligibilityError::NegativeAmount { .. })
    ));
    let kes = PotPosition {
        balance: ngn("1"),
        scheduled: vec![ScheduledFlow {
            date: day(1),
            kind: FlowKind::Payout,
            amount: Money::parse("1", Currency::KES).unwrap(),
        }],
    };
    assert!(matches!(
        kes.lendable(),
        Err(EligibilityError::CurrencyMismatch { .. })
    ));
}

#[test]
fn a_refusal_names_every_reason() {
    let member = MemberRecord::new(2, d("0.5"), ngn("10000"))
        .unwrap()
        .with_arrears(ngn("5000"))
        .unwrap()
        .with_outstanding_loans(ngn("40000"))
        .unwrap();
    let policy = LimitPolicy::new(d("3"), ngn("100000"))
        .unwrap()
        .min_score(60)
        .min_months_active(6);
    let pot = PotPosition {
        balance: ngn("50000"),
        scheduled: vec![ScheduledFlow {
            date: day(10),
            kind: FlowKind::Payout,
            amount: ngn("80000"),
        }],
    };
    let decision = loan_limit(&member, &pot, &policy, Some(ngn("1000"))).unwrap();
    assert!(!decision.is_eligible());
    assert_eq!(decision.limit, ngn("0"));
    // 8 + 15 + 3 = 26.
    assert_eq!(decision.score.score, 26);
    assert_eq!(
        decision.refusals,
        [
            Refusal::ScoreTooLow {
                score: 26,
                minimum: 60
            },
            Refusal::TooNew {
                months_active: 2,
                minimum: 6
            },
            Refusal::InArrears {
                arrears: ngn("5000")
            },
            Refusal::NoContributionHeadroom {
                allowed: ngn("30000"),
                outstanding: ngn("40000")
            },
            Refusal::PotCannotLend,
        ]
    );
}

#[test]
fn the_limit_is_the_smallest_cap() {
    let member = MemberRecord::new(12, d("1"), ngn("33333.33"))
        .unwrap()
        .with_outstanding_loans(ngn("10000"))
        .unwrap();
    let policy = LimitPolicy::new(d("1.5"), ngn("45000")).unwrap();
    let rich_pot = PotPosition {
        balance: ngn("1000000"),
        scheduled: vec![],
    };
    let decision = loan_limit(&member, &rich_pot, &policy, None).unwrap();
    // 1.5 x 33,333.33 = 49,999.995, rounded down, less 10,000 owed.
    assert_eq!(decision.by_contributions, ngn("39999.99"));
    assert_eq!(decision.limit, ngn("39999.99"));
    assert!(decision.is_eligible());
    let capped = LimitPolicy::new(d("10"), ngn("45000")).unwrap();
    assert_eq!(
        loan_limit(&member, &rich_pot, &capped, None).unwrap().limit,
        ngn("45000")
    );
    assert!(matches!(
        loan_limit(&member, &rich_pot, &policy, Some(ngn("-1"))),
        Err(EligibilityError::NegativeAmount {
            field: "requested",
            ..
        })
    ));
    let kes_pot = PotPosition {
        balance: Money::parse("1", Currency::KES).unwrap(),
        scheduled: vec![],
    };
    assert!(matches!(
        loan_limit(&member, &kes_pot, &policy, None),
        Err(EligibilityError::CurrencyMismatch {
            field: "pot balance",
            ..
        })
    ));
}

#[test]
fn a_past_default_is_refused_whatever_the_limit() {
    let member = MemberRecord::new(12, d("1"), ngn("100000")).unwrap();
    let policy = LimitPolicy::new(d("1"), ngn("45000")).unwrap();
    let pot = PotPosition {
        balance: ngn("1000000"),
        scheduled: vec![],
    };
    assert!(
        loan_limit(&member, &pot, &policy, None)
            .unwrap()
            .is_eligible()
    );
    let defaulted = member.with_defaulted_loans(1);
    let decision = loan_limit(&defaulted, &pot, &policy, None).unwrap();
    assert_eq!(decision.limit, ngn("45000"), "the limit is still reported");
    assert_eq!(decision.refusals, [Refusal::DefaultedBefore { loans: 1 }]);
}
