//! Applying a repayment to a loan's installments: allocation order, partial payments,
//! overpayments that re-amortise the rest, and late penalties.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::schedule::{Accrual, Sizing, Slot, balance_rows, clamp, even_share};
use super::{Installment, LoanError, LoanTerms, Method, PeriodKind};
use crate::money::Money;
use crate::penalty::PenaltyRule;

/// A part of what an installment owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Component {
    /// Late penalties charged on the installment.
    Penalty,
    /// Upfront fees due with the installment.
    Fee,
    /// Interest (including capitalised interest being repaid).
    Interest,
    /// Principal.
    Principal,
}

/// The order in which a payment pays the parts of each installment. The default is
/// penalty, fee, interest, principal (what is most expensive to leave unpaid goes
/// first).
///
/// ```
/// use ajo_core::loan::{AllocationOrder, Component};
///
/// let principal_first = AllocationOrder::new([
///     Component::Principal,
///     Component::Interest,
///     Component::Fee,
///     Component::Penalty,
/// ])?;
/// assert_ne!(principal_first, AllocationOrder::default());
/// # Ok::<(), ajo_core::loan::LoanError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "[Component; 4]", into = "[Component; 4]")]
pub struct AllocationOrder([Component; 4]);

impl AllocationOrder {
    /// An order naming each component once.
    ///
    /// # Errors
    /// [`LoanError::InvalidAllocationOrder`] when a component is missing or repeated.
    pub fn new(order: [Component; 4]) -> Result<AllocationOrder, LoanError> {
        let mut sorted = order;
        sorted.sort();
        if sorted
            == [
                Component::Penalty,
                Component::Fee,
                Component::Interest,
                Component::Principal,
            ]
        {
            Ok(AllocationOrder(order))
        } else {
            Err(LoanError::InvalidAllocationOrder)
        }
    }

    /// The components, first paid first.
    pub fn components(&self) -> [Component; 4] {
        self.0
    }
}

impl Default for AllocationOrder {
    fn default() -> AllocationOrder {
        AllocationOrder([
            Component::Penalty,
            Component::Fee,
            Component::Interest,
            Component::Principal,
        ])
    }
}

impl TryFrom<[Component; 4]> for AllocationOrder {
    type Error = LoanError;

    fn try_from(order: [Component; 4]) -> Result<AllocationOrder, LoanError> {
        AllocationOrder::new(order)
    }
}

impl From<AllocationOrder> for [Component; 4] {
    fn from(order: AllocationOrder) -> [Component; 4] {
        order.0
    }
}

/// What an overpayment does to the installments still to come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reamortize {
    /// Keep the installment and finish sooner: the last installments fall away.
    /// For a flat loan, whose interest is fixed, the principal comes off the last
    /// installments first; their interest stays due on its dates. The default.
    #[default]
    ShortenTerm,
    /// Keep the number of installments and lower them: the balance is amortised again
    /// over the same dates (annuity recomputed, or equal shares recomputed).
    LowerInstallment,
}

/// Amounts by component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Components {
    /// Penalties.
    pub penalty: Money,
    /// Fees.
    pub fee: Money,
    /// Interest.
    pub interest: Money,
    /// Principal.
    pub principal: Money,
}

impl Components {
    /// All zero in `currency`.
    pub fn zero(currency: crate::money::Currency) -> Components {
        let zero = Money::zero(currency);
        Components {
            penalty: zero,
            fee: zero,
            interest: zero,
            principal: zero,
        }
    }

    /// One component.
    pub fn get(&self, component: Component) -> Money {
        match component {
            Component::Penalty => self.penalty,
            Component::Fee => self.fee,
            Component::Interest => self.interest,
            Component::Principal => self.principal,
        }
    }

    fn slot(&mut self, component: Component) -> &mut Money {
        match component {
            Component::Penalty => &mut self.penalty,
            Component::Fee => &mut self.fee,
            Component::Interest => &mut self.interest,
            Component::Principal => &mut self.principal,
        }
    }

    /// Adds `amount` to one component.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow or another currency.
    pub fn add(&mut self, component: Component, amount: Money) -> Result<(), LoanError> {
        let slot = self.slot(component);
        *slot = slot.checked_add(amount)?;
        Ok(())
    }

    /// The sum of all four.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn total(&self) -> Result<Money, LoanError> {
        Ok(self
            .penalty
            .checked_add(self.fee)?
            .checked_add(self.interest)?
            .checked_add(self.principal)?)
    }
}

/// One installment and how far it has been paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallmentState {
    row: Installment,
    penalty: Money,
    paid: Components,
}

impl InstallmentState {
    /// A scheduled installment, nothing paid and no penalty.
    pub fn new(row: Installment) -> InstallmentState {
        let currency = row.total.currency();
        InstallmentState {
            row,
            penalty: Money::zero(currency),
            paid: Components::zero(currency),
        }
    }

    /// The installment as currently scheduled (overpayments can re-amortise it).
    pub fn row(&self) -> &Installment {
        &self.row
    }

    /// Penalties charged on it so far.
    pub fn penalty(&self) -> Money {
        self.penalty
    }

    /// What has been paid, by component.
    pub fn paid(&self) -> &Components {
        &self.paid
    }

    /// What it owes in all, by component (penalties included).
    pub fn due(&self) -> Components {
        Components {
            penalty: self.penalty,
            fee: self.row.fee,
            interest: self.row.interest,
            principal: self.row.principal,
        }
    }

    /// What is still unpaid of one component.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn remaining(&self, component: Component) -> Result<Money, LoanError> {
        Ok(self
            .due()
            .get(component)
            .checked_sub(self.paid.get(component))?)
    }

    /// What is still unpaid, penalties included.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn remaining_total(&self) -> Result<Money, LoanError> {
        Ok(self.due().total()?.checked_sub(self.paid.total()?)?)
    }

    /// Unpaid principal, interest and fee: what a penalty is charged on.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn overdue_base(&self) -> Result<Money, LoanError> {
        let mut base = Money::zero(self.row.total.currency());
        for c in [Component::Fee, Component::Interest, Component::Principal] {
            base = base.checked_add(self.remaining(c)?)?;
        }
        Ok(base)
    }

    /// Whether nothing is left to pay.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn is_settled(&self) -> Result<bool, LoanError> {
        Ok(self.remaining_total()?.is_zero())
    }

    /// Whether it is overdue on `date`: due before it and not fully paid.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn is_overdue(&self, date: NaiveDate) -> Result<bool, LoanError> {
        Ok(self.row.due_date < date && !self.is_settled()?)
    }

    /// The total penalty it carries on `as_of` under `rule`: what was charged before, or
    /// the rule's assessment of the unpaid amount if that is larger (penalties never go
    /// down).
    ///
    /// # Errors
    /// [`LoanError::Penalty`] from the rule, [`LoanError::Money`] on overflow.
    pub fn penalty_as_of(&self, rule: &PenaltyRule, as_of: NaiveDate) -> Result<Money, LoanError> {
        if self.row.due_date >= as_of {
            return Ok(self.penalty);
        }
        let assessed = rule
            .assess(self.overdue_base()?, self.row.due_date, as_of)?
            .penalty;
        Ok(if assessed > self.penalty {
            assessed
        } else {
            self.penalty
        })
    }

    pub(crate) fn set_penalty(&mut self, total: Money) {
        self.penalty = total;
    }

    pub(crate) fn pay(&mut self, component: Component, amount: Money) -> Result<(), LoanError> {
        self.paid.add(component, amount)
    }
}

/// One part of a payment: how much went to which component of which installment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationLine {
    /// The installment's number.
    pub installment: u32,
    /// The component paid.
    pub component: Component,
    /// How much.
    pub amount: Money,
}

/// The part of a payment beyond the installments due: it reduces the balance, and the
/// installments from `from_installment` on are scheduled again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepayment {
    /// Capitalised interest repaid early (booked as interest).
    pub interest: Money,
    /// Principal repaid early.
    pub principal: Money,
    /// What the caller chose to do with the installments still to come.
    pub reamortize: Reamortize,
    /// The first installment replaced.
    pub from_installment: u32,
    /// The installments that replace those from `from_installment` on (fewer of them
    /// when the term is shortened).
    pub rows: Vec<Installment>,
}

/// How a payment was applied; see [`allocate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// Payments to installments, oldest first, in allocation order within each.
    pub lines: Vec<AllocationLine>,
    /// What went beyond them, if anything.
    pub prepayment: Option<Prepayment>,
    /// Everything, by component (prepayment included).
    pub totals: Components,
}

/// Applies `amount`, paid on `on`, to `installments`:
///
/// 1. every overdue installment (due before `on`), oldest first, then the installment
///    of the current period (the first due on or after `on`, so paying a few days early
///    is not an overpayment; its interest is the whole period's), each in `order`; a
///    payment that runs out leaves the installment partly paid;
/// 2. anything left is an overpayment: it reduces the balance of the installments after
///    the current one, capitalised interest first, then principal, after which they
///    are scheduled again as `reamortize` says.
///
/// Penalties must already be charged on the installments (see
/// [`InstallmentState::penalty_as_of`]); nothing here assesses them.
///
/// # Errors
/// - [`LoanError::NonPositivePayment`] for an amount of zero or less.
/// - [`LoanError::CurrencyMismatch`] for an amount in another currency.
/// - [`LoanError::Overpayment`] when the amount is more than the installments due and
///   the whole balance after them (settle a loan early with a payoff instead).
/// - [`LoanError::Money`] on overflow.
pub fn allocate(
    terms: &LoanTerms,
    installments: &[InstallmentState],
    amount: Money,
    on: NaiveDate,
    order: AllocationOrder,
    reamortize: Reamortize,
) -> Result<Allocation, LoanError> {
    let currency = terms.principal().currency();
    if amount.currency() != currency {
        return Err(LoanError::CurrencyMismatch {
            field: "payment",
            expected: currency,
            got: amount.currency(),
        });
    }
    if !amount.is_positive() {
        return Err(LoanError::NonPositivePayment { amount });
    }
    // The installment of the period `on` falls in (`D_(k-1) < on <= D_k`), as for a
    // payoff; every unsettled one before it is overdue.
    let current = installments.iter().position(|s| s.row.due_date >= on);
    let mut targets = Vec::new();
    for (index, state) in installments.iter().enumerate() {
        if current.is_some_and(|c| index > c) {
            break;
        }
        if !state.is_settled()? {
            targets.push(index);
        }
    }
    let mut left = amount;
    let mut lines = Vec::new();
    let mut totals = Components::zero(currency);
    for index in &targets {
        let Some(state) = installments.get(*index) else {
            continue;
        };
        for component in order.components() {
            let pay = clamp(state.remaining(component)?, Money::zero(currency), left)?;
            if pay.is_positive() {
                lines.push(AllocationLine {
                    installment: state.row.number,
                    component,
                    amount: pay,
                });
                totals.add(component, pay)?;
                left = left.checked_sub(pay)?;
            }
        }
    }
    let mut prepayment = None;
    if left.is_positive() {
        // Everything overdue and the current installment are paid; the rest is a
        // prepayment on the installments after the current one.
        let after = current.map_or(installments.len(), |i| i.saturating_add(1));
        let future: Vec<&Installment> = installments
            .get(after..)
            .unwrap_or_default()
            .iter()
            .map(|s| &s.row)
            .collect();
        let balance = future
            .first()
            .map_or(Money::zero(currency), |r| r.opening_balance);
        if left > balance {
            return Err(LoanError::Overpayment {
                amount,
                max: amount.checked_sub(left)?.checked_add(balance)?,
            });
        }
        let p = reschedule(terms, &future, left, reamortize)?;
        totals.add(Component::Interest, p.interest)?;
        totals.add(Component::Principal, p.principal)?;
        prepayment = Some(p);
    }
    Ok(Allocation {
        lines,
        prepayment,
        totals,
    })
}

/// Takes `amount` off the balance of `future` (unpaid installments, in order) and
/// schedules them again.
fn reschedule(
    terms: &LoanTerms,
    future: &[&Installment],
    amount: Money,
    reamortize: Reamortize,
) -> Result<Prepayment, LoanError> {
    let currency = amount.currency();
    let zero = Money::zero(currency);
    let Some(first) = future.first() else {
        return Err(LoanError::Overpayment { amount, max: zero });
    };
    let mut principal_out = zero;
    for row in future {
        principal_out = principal_out.checked_add(row.principal)?;
    }
    // What the balance holds beyond principal: capitalised interest not yet repaid.
    let capitalised_out = first.opening_balance.checked_sub(principal_out)?;
    let interest = clamp(amount, zero, capitalised_out)?;
    let principal = amount.checked_sub(interest)?;
    let slots: Vec<Slot> = future.iter().map(|r| Slot::of(r)).collect();
    let rows = match terms.method() {
        Method::Annuity | Method::EqualPrincipal => {
            let sizing = match reamortize {
                Reamortize::LowerInstallment => Sizing::Fresh,
                Reamortize::ShortenTerm => keep_sizing(terms.method(), future)?,
            };
            balance_rows(
                &Accrual::of(terms),
                terms.method(),
                principal_out.checked_sub(principal)?,
                capitalised_out.checked_sub(interest)?,
                &slots,
                sizing,
            )?
            .rows
        }
        Method::Flat => flat_reschedule(future, principal, reamortize)?,
    };
    Ok(Prepayment {
        interest,
        principal,
        reamortize,
        from_installment: first.number,
        rows,
    })
}

/// The installment (annuity) or balance reduction (equal principal) the future rows use,
/// to keep when shortening the term.
fn keep_sizing(method: Method, future: &[&Installment]) -> Result<Sizing, LoanError> {
    let repayments: Vec<&&Installment> = future
        .iter()
        .filter(|r| r.kind == PeriodKind::Repayment)
        .collect();
    // Only the last row left (or none): it takes whatever remains anyway.
    let [regular, _, ..] = repayments.as_slice() else {
        return Ok(Sizing::Fresh);
    };
    let amount = match method {
        Method::Annuity => regular.principal.checked_add(regular.interest)?,
        _ => regular.principal.checked_add(regular.capitalised_repaid)?,
    };
    Ok(Sizing::Keep(amount))
}

/// A flat loan's future rows with `principal` less to repay; interest is fixed at
/// signing, so it does not change.
fn flat_reschedule(
    future: &[&Installment],
    principal: Money,
    reamortize: Reamortize,
) -> Result<Vec<Installment>, LoanError> {
    let currency = principal.currency();
    let zero = Money::zero(currency);
    let mut rows: Vec<Installment> = future.iter().map(|r| (*r).clone()).collect();
    match reamortize {
        Reamortize::ShortenTerm => {
            let mut left = principal;
            for row in rows.iter_mut().rev() {
                let cut = clamp(left, zero, row.principal)?;
                row.principal = row.principal.checked_sub(cut)?;
                left = left.checked_sub(cut)?;
            }
        }
        Reamortize::LowerInstallment => {
            let mut outstanding = zero;
            for row in &rows {
                outstanding = outstanding.checked_add(row.principal)?;
            }
            let remaining = outstanding.checked_sub(principal)?;
            let periods = u32::try_from(
                rows.iter()
                    .filter(|r| r.kind == PeriodKind::Repayment)
                    .count(),
            )
            .map_err(|_| super::error::overflow("term"))?;
            let share = even_share(remaining, periods)?;
            let mut left = remaining;
            let mut seen = 0u32;
            for row in rows.iter_mut().filter(|r| r.kind == PeriodKind::Repayment) {
                seen += 1;
                row.principal = if seen == periods {
                    left
                } else {
                    clamp(share, zero, left)?
                };
                left = left.checked_sub(row.principal)?;
            }
        }
    }
    let mut balance = zero;
    for row in &rows {
        balance = balance.checked_add(row.principal)?;
    }
    for row in &mut rows {
        row.opening_balance = balance;
        balance = balance.checked_sub(row.principal)?;
        row.closing_balance = balance;
        row.total = row
            .principal
            .checked_add(row.interest)?
            .checked_add(row.fee)?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
