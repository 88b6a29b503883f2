//! Properties of the APR: a schedule at a nominal rate with no fees discloses that rate,
//! the dated solver agrees with the evenly spaced one, and no input panics.

use ajo_core::calendar::Frequency;
use ajo_core::loan::apr::{AprError, CashFlows, Convention, When};
use ajo_core::loan::{LoanTerms, Method, Schedule};
use ajo_core::money::{Currency, Money};
use ajo_testkit::strategies::loan_terms_with_grace_and_fees;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn frequency() -> impl Strategy<Value = Frequency> {
    prop_oneof![
        Just(Frequency::Monthly),
        Just(Frequency::Weekly),
        Just(Frequency::Biweekly),
        Just(Frequency::Daily),
    ]
}

fn tolerance(s: &str) -> Decimal {
    s.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// In wei (18 places) an annuity's rounding is too small to move the rate: the APR of
    /// its dated flows by Regulation Z, in the schedule's own unit period, is the nominal
    /// rate it was made at.
    #[test]
    fn a_schedule_without_fees_discloses_its_nominal_rate(
        wei in 1i128..=1_000_000_000_000_000_000_000,
        rate in 0u32..=1_000_000,
        term in 1u32..=120,
        frequency in frequency(),
        day in 0u64..3_650,
    ) {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Days::new(day);
        let terms = LoanTerms::builder(
            Money::from_minor(wei, Currency::ETH).unwrap(),
            Decimal::new(i64::from(rate), 6),
            term,
            start,
        )
        .method(Method::Annuity)
        .frequency(frequency)
        .build()
        .unwrap();
        let schedule = Schedule::new(&terms).unwrap();
        let apr = schedule.apr(Convention::UsRegZ(schedule.unit_period().unwrap())).unwrap();
        prop_assert!(
            (apr.annual_rate - terms.annual_rate()).abs() < tolerance("1e-12"),
            "{} vs {}", apr.annual_rate, terms.annual_rate()
        );
    }

    /// With fees and grace, in naira, the dated flows give the rate the evenly spaced
    /// solver gives (every due date is a whole unit period from the disbursement), and the
    /// EU directive's rate counted in months is that rate's effective annual rate.
    #[test]
    fn dated_and_evenly_spaced_solvers_agree(terms in loan_terms_with_grace_and_fees()) {
        prop_assume!(terms.frequency().periods_per_year().is_some());
        let schedule = Schedule::new(&terms).unwrap();
        let Ok(rates) = schedule.rates() else {
            return Ok(());
        };
        let us = schedule.apr(Convention::UsRegZ(schedule.unit_period().unwrap()));
        let Ok(us) = us else {
            // Only a rate beyond a million per cent a period is out of range.
            prop_assert!(matches!(us, Err(ajo_core::loan::LoanError::Apr(AprError::NoRate))), "{us:?}");
            prop_assert!(rates.periodic_irr > Decimal::from(10_000));
            return Ok(());
        };
        let scale = Decimal::ONE.max(rates.apr.abs());
        prop_assert!(
            (us.annual_rate - rates.apr).abs() < tolerance("1e-15") * scale,
            "{} vs {}", us.annual_rate, rates.apr
        );
        if terms.frequency() == Frequency::Monthly && rates.effective_annual_rate < Decimal::from(1_000) {
            let mut flows = CashFlows::new();
            flows.advance(schedule.net_disbursed().unwrap().amount(), When::Months(0));
            for row in schedule.rows() {
                flows.payment(row.total.amount(), When::Months(row.number));
            }
            let eu = flows.apr(Convention::EuCcd).unwrap();
            let scale = Decimal::ONE.max(rates.effective_annual_rate.abs());
            prop_assert!(
                (eu.annual_rate - rates.effective_annual_rate).abs() < tolerance("1e-12") * scale,
                "{} vs {}", eu.annual_rate, rates.effective_annual_rate
            );
        }
    }

    /// Any flows, in any order, at whole and fractional unit periods: a rate at which
    /// the two sides' present values are equal (checked here, independently), or a
    /// typed error.
    #[test]
    fn any_flows_give_a_balancing_rate_or_a_typed_error(
        advances in proptest::collection::vec((0u32..=1_000_000, 0u32..=40, 0u32..30), 0..3),
        payments in proptest::collection::vec((0u32..=1_000_000, 0u32..=40, 0u32..30), 0..30),
    ) {
        let place = |(cents, periods, thirtieths): &(u32, u32, u32)| {
            (
                Decimal::new(i64::from(*cents), 2),
                *periods,
                Decimal::from(*thirtieths) / Decimal::from(30),
            )
        };
        let advances: Vec<_> = advances.iter().map(place).collect();
        let payments: Vec<_> = payments.iter().map(place).collect();
        let mut flows = CashFlows::new();
        for (amount, periods, fraction) in &advances {
            flows.advance(*amount, When::UnitPeriods { periods: *periods, fraction: *fraction });
        }
        for (amount, periods, fraction) in &payments {
            flows.payment(*amount, When::UnitPeriods { periods: *periods, fraction: *fraction });
        }
        match flows.apr(Convention::UsRegZ(ajo_core::loan::apr::UnitPeriod::MONTH)) {
            Ok(apr) => {
                let i = apr.unit_period_rate;
                prop_assert!(i > -Decimal::ONE, "{apr:?}");
                // Present values at i, as Appendix J writes them; a rate near -100 %
                // can make them too large to check to 12 digits here.
                let pv = |side: &[(Decimal, u32, Decimal)]| -> Option<Decimal> {
                    let mut sum = Decimal::ZERO;
                    for (a, t, f) in side {
                        let mut d = Decimal::ONE;
                        for _ in 0..*t {
                            d = d.checked_div(Decimal::ONE + i)?;
                        }
                        let simple = Decimal::ONE + *f * i;
                        sum = sum.checked_add(a.checked_mul(d)?.checked_div(simple)?)?;
                    }
                    (sum.abs() < tolerance("1e15")).then_some(sum)
                };
                let (Some(paid), Some(lent)) = (pv(&payments), pv(&advances)) else {
                    return Ok(());
                };
                let scale = Decimal::ONE.max(paid.abs()).max(lent.abs());
                prop_assert!(
                    (paid - lent).abs() <= tolerance("1e-12") * scale,
                    "at {i}: paid {paid}, lent {lent}"
                );
            }
            Err(e) => prop_assert!(matches!(
                e,
                AprError::NoAdvances | AprError::NoPayments | AprError::NoRate
            ), "{e:?}"),
        }
    }
}
