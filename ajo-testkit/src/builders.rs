//! Builders for what tests need most: group configurations and member contacts.

use ajo_core::calendar::Frequency;
use ajo_core::group::deposit::DepositRule;
use ajo_core::group::{GroupConfig, GroupConfigBuilder};
use ajo_core::ids::EmailAddress;
use ajo_core::money::{Currency, Money};
use ajo_core::penalty::{PenaltyKind, PenaltyRule};
use ajo_core::ports::RecipientDetails;
use ajo_core::service::Contact;
use chrono::NaiveDate;

/// A monthly naira group called `name`, of `contribution` naira starting on `start`, with a one-day
/// grace, a ₦500 flat penalty, one contribution of deposit per hand, payout as soon as
/// every due is in (deposits cover a due still open at the end of grace), Lagos time. Adjust with the returned builder.
///
/// ```
/// use ajo_testkit::builders::naira_group;
/// use chrono::NaiveDate;
///
/// let config = naira_group("Balogun market", 10_000, NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()).build()?;
/// assert_eq!(config.contribution().human().to_string(), "₦10,000.00");
/// # Ok::<(), ajo_core::group::GroupError>(())
/// ```
pub fn naira_group(name: &str, contribution: i64, start: NaiveDate) -> GroupConfigBuilder {
    let naira = |n: i64| {
        Money::from_minor(i128::from(n) * 100, Currency::NGN).unwrap_or(Money::zero(Currency::NGN))
    };
    let penalty = PenaltyRule::new(PenaltyKind::FlatFee { fee: naira(500) }, 1)
        .unwrap_or(PenaltyRule::none());
    GroupConfig::builder(name, naira(contribution), Frequency::Monthly, start)
        .time_zone(chrono_tz::Africa::Lagos)
        .grace_days(1)
        .penalty(penalty)
        .deposit(DepositRule::Contributions { count: 1 })
        .payout_policy(ajo_core::group::payout::PayoutPolicy::WhenAllPaid)
}

/// A contact with an email, an SMS number and a bank account, all made up from `name`.
pub fn contact(name: &str) -> Contact {
    let slug: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    Contact {
        name: name.to_owned(),
        // A name without letters or digits still gets an address (a local part is needed).
        email: EmailAddress::new(format!(
            "{}@example.com",
            if slug.is_empty() { "member" } else { &slug }
        ))
        .ok(),
        phone: Some("+2348012345678".into()),
        payout_account: Some(RecipientDetails {
            name: name.to_owned(),
            bank_code: "058".into(),
            account_number: "0123456789".into(),
            currency: "NGN".into(),
        }),
    }
}

/// A member id from a name (lower-cased, spaces as `-`).
///
/// # Panics
/// On a name that makes no valid id (test code: a bad fixture should stop the test).
#[allow(clippy::expect_used)]
pub fn member(name: &str) -> ajo_core::group::MemberId {
    let id: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' { '-' } else { c })
        .collect();
    ajo_core::group::MemberId::new(id).expect("a fixture name makes a valid member id")
}

/// A monthly annuity loan of `naira` at `annual_rate` (a fraction, `"0.24"`) over
/// `months`, disbursed on `start`; adjust with the returned builder.
///
/// ```
/// use ajo_testkit::builders::naira_loan;
/// use chrono::NaiveDate;
///
/// let terms = naira_loan(30_000, "0.24", 3, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()).build()?;
/// assert_eq!(terms.principal().human().to_string(), "₦30,000.00");
/// # Ok::<(), ajo_core::loan::LoanError>(())
/// ```
pub fn naira_loan(
    naira: i64,
    annual_rate: &str,
    months: u32,
    start: NaiveDate,
) -> ajo_core::loan::LoanTermsBuilder {
    let principal = Money::from_minor(i128::from(naira) * 100, Currency::NGN)
        .unwrap_or(Money::zero(Currency::NGN));
    let rate = annual_rate.parse().unwrap_or_default();
    ajo_core::loan::LoanTerms::builder(principal, rate, months, start)
}
