//! The cost of credit a lender discloses beside the APR: amount financed, finance
//! charge, total of payments, and each fee, as the US Truth in Lending Act and the
//! Kenyan, Nigerian and Ghanaian cost-of-credit rules set them out.

use serde::{Deserialize, Serialize};

use super::{Apr, CashFlows, Convention, UnitPeriod, When};
use crate::calendar::Frequency;
use crate::loan::{LoanError, Schedule, UpfrontFee};
use crate::money::Money;

/// A loan's cost of credit.
///
/// - `amount_financed`: what the borrower receives, the principal less any fee withheld
///   from it.
/// - `total_of_payments`: every installment, any fee added to the first one included.
/// - `finance_charge`: the difference, so interest and every fee, however collected.
/// - `apr`: by the convention chosen, from the dated flows.
///
/// ```
/// use ajo_core::loan::apr::{Convention, UnitPeriod};
/// use ajo_core::loan::{FeeCollection, LoanTerms, Schedule, UpfrontFee};
/// use ajo_core::money::{Currency, Money};
/// use chrono::NaiveDate;
///
/// let ngn = |s| Money::parse(s, Currency::NGN);
/// let terms = LoanTerms::builder(
///     ngn("100000")?,
///     "0.24".parse()?,
///     12,
///     NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
/// )
/// .fee(UpfrontFee::percentage("0.02".parse()?, FeeCollection::Deducted))
/// .build()?;
/// let schedule = Schedule::new(&terms)?;
/// let cost = schedule.cost_of_credit(Convention::UsRegZ(UnitPeriod::MONTH))?;
/// assert_eq!(cost.amount_financed, ngn("98000")?);
/// assert_eq!(cost.finance_charge, cost.total_of_payments.checked_sub(cost.amount_financed)?);
/// assert_eq!(cost.fees[0].amount, ngn("2000")?);
/// // The 2 % withheld makes the APR higher than the 24 % nominal rate.
/// assert_eq!(cost.apr.percent(2).unwrap().to_string(), "27.97");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostOfCredit {
    /// What the borrower receives.
    pub amount_financed: Money,
    /// Interest and fees: `total_of_payments - amount_financed`.
    pub finance_charge: Money,
    /// Every payment the borrower makes.
    pub total_of_payments: Money,
    /// The APR of the dated flows.
    pub apr: Apr,
    /// Each fee, with its amount on this loan.
    pub fees: Vec<DisclosedFee>,
}

/// A fee as disclosed: how it is set and collected, and what it comes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosedFee {
    /// The fee as the terms set it.
    pub fee: UpfrontFee,
    /// What it comes to on this loan.
    pub amount: Money,
}

impl Schedule {
    /// Regulation Z's unit period for this schedule: its payment frequency (a month, a
    /// week, two weeks, a day, or every N days).
    ///
    /// # Errors
    /// [`LoanError::Apr`] for payments further apart than a year.
    pub fn unit_period(&self) -> Result<UnitPeriod, LoanError> {
        let unit = match self.terms().frequency() {
            Frequency::Daily => UnitPeriod::DAY,
            Frequency::Weekly => UnitPeriod::WEEK,
            Frequency::Biweekly => UnitPeriod::Weeks(2),
            Frequency::EveryNDays(n) => UnitPeriod::Days(u32::from(n)),
            Frequency::Monthly => UnitPeriod::MONTH,
        };
        unit.per_year()?;
        Ok(unit)
    }

    /// The schedule's dated cash flows: the amount financed on the disbursement date,
    /// then each installment's total on its due date (a period with nothing due adds
    /// nothing).
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow working out the amount financed.
    pub fn cash_flows(&self) -> Result<CashFlows, LoanError> {
        let mut flows = CashFlows::new();
        flows.advance(
            self.net_disbursed()?.amount(),
            When::Date(self.terms().disbursement_date()),
        );
        for row in self.rows() {
            flows.payment(row.total.amount(), When::Date(row.due_date));
        }
        Ok(flows)
    }

    /// The APR of [`Schedule::cash_flows`] by `convention`.
    ///
    /// # Errors
    /// [`LoanError::Apr`] as [`CashFlows::apr`].
    pub fn apr(&self, convention: Convention) -> Result<Apr, LoanError> {
        Ok(self.cash_flows()?.apr(convention)?)
    }

    /// The cost-of-credit disclosure, with the APR by `convention`.
    ///
    /// # Errors
    /// [`LoanError::Apr`] as [`CashFlows::apr`]; [`LoanError::Money`] on overflow.
    pub fn cost_of_credit(&self, convention: Convention) -> Result<CostOfCredit, LoanError> {
        let amount_financed = self.net_disbursed()?;
        let total_of_payments = self.total_payable()?;
        let finance_charge = total_of_payments.checked_sub(amount_financed)?;
        let principal = self.terms().principal();
        let fees = self
            .terms()
            .fees()
            .iter()
            .map(|fee| {
                Ok(DisclosedFee {
                    fee: *fee,
                    amount: fee.on(principal)?,
                })
            })
            .collect::<Result<Vec<_>, LoanError>>()?;
        Ok(CostOfCredit {
            amount_financed,
            finance_charge,
            total_of_payments,
            apr: self.apr(convention)?,
            fees,
        })
    }
}
