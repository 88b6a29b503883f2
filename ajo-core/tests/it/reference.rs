//! Every case of the reference files, to the minor unit.

use ajo_core::money::{Currency, Money};
use rust_decimal::Decimal;

use crate::support::{cases, str_field};

#[test]
fn allocation_cases_match_to_the_minor_unit() {
    let all = cases("allocation");
    assert_eq!(all.len(), 12);
    for case in all {
        let inputs = &case.inputs;
        let units = u8::try_from(inputs["minor_units"].as_u64().unwrap()).unwrap();
        let currency = Currency::new(str_field(inputs, "currency"), units).unwrap();
        let amount = Money::parse(str_field(inputs, "amount"), currency).unwrap();
        let weights: Vec<Decimal> = inputs["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().parse().unwrap())
            .collect();
        let got: Vec<String> = amount
            .allocate(&weights)
            .unwrap()
            .iter()
            .map(|m| m.amount().to_string())
            .collect();
        let want: Vec<String> = case.expected["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, want, "{}", case.id);
    }
}

#[test]
fn penalty_cases_match_to_the_minor_unit() {
    use ajo_core::penalty::{PenaltyKind, PenaltyRule};
    let all = cases("penalties");
    assert_eq!(all.len(), 10);
    for case in all {
        let i = &case.inputs;
        let units = u8::try_from(i["minor_units"].as_u64().unwrap()).unwrap();
        let currency = Currency::new(str_field(i, "currency"), units).unwrap();
        let money = |key: &str| Money::parse(str_field(i, key), currency).unwrap();
        let rate = |key: &str| -> Option<Decimal> { i[key].as_str().map(|s| s.parse().unwrap()) };
        let kind = match str_field(i, "kind") {
            "flat_fee" => PenaltyKind::FlatFee { fee: money("fee") },
            "percentage" => PenaltyKind::Percentage {
                rate: rate("rate").unwrap(),
            },
            "daily_accrual" => PenaltyKind::DailyAccrual {
                daily_rate: rate("daily_rate").unwrap(),
                cap_rate: rate("cap_rate"),
                cap_amount: i["cap_amount"].as_str().map(|_| money("cap_amount")),
            },
            other => panic!("unknown kind {other}"),
        };
        let grace = u32::try_from(i["grace_days"].as_u64().unwrap_or(0)).unwrap();
        let rule = PenaltyRule::new(kind, grace).unwrap();
        let date = |key: &str| str_field(i, key).parse::<chrono::NaiveDate>().unwrap();
        let got = rule
            .assess(money("overdue_amount"), date("due_date"), date("paid_date"))
            .unwrap();
        let want = &case.expected;
        assert_eq!(
            u64::from(got.days_late),
            want["days_late"].as_u64().unwrap(),
            "{}",
            case.id
        );
        assert_eq!(
            u64::from(got.chargeable_days),
            want["chargeable_days"].as_u64().unwrap(),
            "{}",
            case.id
        );
        assert_eq!(
            got.penalty.amount().to_string(),
            str_field(want, "penalty"),
            "{}",
            case.id
        );
        if let Some(capped) = want["capped"].as_bool() {
            assert_eq!(got.capped, capped, "{}", case.id);
        }
    }
}

fn frequency(name: &str) -> ajo_core::calendar::Frequency {
    use ajo_core::calendar::Frequency;
    match name {
        "daily" => Frequency::Daily,
        "weekly" => Frequency::Weekly,
        "biweekly" => Frequency::Biweekly,
        "monthly" => Frequency::Monthly,
        other => panic!("unknown frequency {other}"),
    }
}

#[test]
fn rotation_cases_match_to_the_minor_unit() {
    use ajo_core::group::rotation::RotationSchedule;
    let all = cases("rotation");
    assert_eq!(all.len(), 9);
    for case in all {
        let i = &case.inputs;
        let units = u8::try_from(i["minor_units"].as_u64().unwrap()).unwrap();
        let currency = Currency::new(str_field(i, "currency"), units).unwrap();
        let members: Vec<&str> = i["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let fee_rate: Decimal = i["fee_rate"].as_str().unwrap_or("0").parse().unwrap();
        let schedule = RotationSchedule::build(
            &members,
            Money::parse(str_field(i, "contribution"), currency).unwrap(),
            frequency(str_field(i, "frequency")),
            str_field(i, "start_date").parse().unwrap(),
            fee_rate,
        )
        .unwrap();
        let want = &case.expected;
        let rounds = want["rounds"].as_array().unwrap();
        assert_eq!(schedule.rounds.len(), rounds.len(), "{}", case.id);
        for (got, want) in schedule.rounds.iter().zip(rounds) {
            assert_eq!(
                u64::from(got.round),
                want["round"].as_u64().unwrap(),
                "{}",
                case.id
            );
            assert_eq!(
                got.due_date.to_string(),
                str_field(want, "due_date"),
                "{} round {}",
                case.id,
                got.round
            );
            assert_eq!(got.recipient, str_field(want, "recipient"), "{}", case.id);
            assert_eq!(
                got.pot.amount().to_string(),
                str_field(want, "pot"),
                "{}",
                case.id
            );
            assert_eq!(
                got.fee.amount().to_string(),
                str_field(want, "fee"),
                "{}",
                case.id
            );
            assert_eq!(
                got.payout.amount().to_string(),
                str_field(want, "payout"),
                "{}",
                case.id
            );
        }
        assert_eq!(
            schedule.cycle_end_date.to_string(),
            str_field(want, "cycle_end_date"),
            "{}",
            case.id
        );
        assert_eq!(
            schedule.total_contributed.amount().to_string(),
            str_field(want, "total_contributed"),
            "{}",
            case.id
        );
        assert_eq!(
            schedule.total_fees.amount().to_string(),
            str_field(want, "total_fees"),
            "{}",
            case.id
        );
        assert_eq!(
            schedule.total_paid_out.amount().to_string(),
            str_field(want, "total_paid_out"),
            "{}",
            case.id
        );
    }
}
