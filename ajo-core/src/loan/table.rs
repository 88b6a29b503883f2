//! A schedule as an aligned text table, for people (and snapshot tests).

use std::fmt;

use rust_decimal::Decimal;

use super::{PeriodKind, Schedule};
use crate::money::{Money, Rounding};

/// A [`Schedule`] rendered as an aligned table; see [`Schedule::table`].
#[derive(Debug, Clone, Copy)]
pub struct ScheduleTable<'a>(&'a Schedule);

impl Schedule {
    /// The schedule as an aligned table for people: one line per installment, amounts
    /// grouped by thousands, totals and the APR at the foot. Columns for fees and
    /// capitalised interest appear only when the loan has them.
    ///
    /// ```
    /// use ajo_core::loan::{LoanTerms, Schedule};
    /// use ajo_core::money::{Currency, Money};
    /// use chrono::NaiveDate;
    ///
    /// let terms = LoanTerms::builder(
    ///     Money::parse("1000", Currency::USD)?,
    ///     "0.12".parse()?,
    ///     2,
    ///     NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    /// )
    /// .build()?;
    /// let table = Schedule::new(&terms)?.table().to_string();
    /// assert!(table.contains("2026-03-01"));
    /// assert!(table.lines().any(|l| l.starts_with("total")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn table(&self) -> ScheduleTable<'_> {
        ScheduleTable(self)
    }
}

/// Writes a plain amount with `,` between thousands: `1234567.80` as `1,234,567.80`.
pub(crate) fn grouped(money: Money) -> String {
    let text = money.amount().abs().to_string();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 1);
    if money.is_negative() {
        out.push('-');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

fn percent(fraction: Decimal, places: u32) -> String {
    match fraction.checked_mul(Decimal::ONE_HUNDRED) {
        Some(pct) => {
            let mut shown = Rounding::HalfEven.round(pct, places);
            shown.rescale(places);
            format!("{shown}%")
        }
        None => "(too large to show)".to_owned(),
    }
}

impl fmt::Display for ScheduleTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let schedule = self.0;
        let terms = schedule.terms();
        let rows = schedule.rows();
        let with_fees = rows.iter().any(|r| !r.fee.is_zero());
        let with_capitalised = rows.iter().any(|r| !r.capitalised.is_zero());
        writeln!(
            f,
            "{} loan of {} {} at {} a year, {} {} installments from {}",
            terms.method().as_str(),
            terms.principal().currency().code(),
            grouped(terms.principal()),
            percent(terms.annual_rate(), 4),
            terms.term(),
            terms.frequency(),
            terms.disbursement_date(),
        )?;

        let mut header = vec!["#", "due date", "opening"];
        if with_capitalised {
            header.push("capitalised");
        }
        header.extend(["principal", "interest"]);
        if with_fees {
            header.push("fee");
        }
        header.extend(["installment", "closing"]);

        let mut lines: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
        for row in rows {
            let mut line = vec![row.number.to_string(), row.due_date.to_string()];
            line.push(grouped(row.opening_balance));
            if with_capitalised {
                line.push(grouped(row.capitalised));
            }
            line.extend([grouped(row.principal), grouped(row.interest)]);
            if with_fees {
                line.push(grouped(row.fee));
            }
            line.extend([grouped(row.total), grouped(row.closing_balance)]);
            let note = match row.kind {
                PeriodKind::NothingDue => "  grace: nothing due",
                PeriodKind::InterestOnly => "  grace: interest only",
                PeriodKind::Repayment => "",
            };
            if let Some(last) = line.last_mut() {
                last.push_str(note);
            }
            lines.push(line);
        }
        let totals = (|| {
            let zero = Money::zero(schedule.currency());
            let mut sums = [zero; 4];
            for row in rows {
                for (sum, value) in
                    sums.iter_mut()
                        .zip([row.capitalised, row.principal, row.interest, row.fee])
                {
                    *sum = sum.checked_add(value).ok()?;
                }
            }
            Some((sums, schedule.total_payable().ok()?))
        })();
        if let Some(([capitalised, principal, interest, fee], payable)) = totals {
            let mut line = vec!["total".to_owned(), String::new(), String::new()];
            if with_capitalised {
                line.push(grouped(capitalised));
            }
            line.extend([grouped(principal), grouped(interest)]);
            if with_fees {
                line.push(grouped(fee));
            }
            line.extend([grouped(payable), String::new()]);
            lines.push(line);
        }

        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                // Notes after the last column do not widen it.
                let cell = cell.split("  grace").next().unwrap_or(cell);
                *width = (*width).max(cell.chars().count());
            }
        }
        let write_line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            let mut out = String::new();
            for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
                if i > 0 {
                    out.push_str("  ");
                }
                let (value, note) = match cell.split_once("  grace") {
                    Some((v, n)) => (v, Some(n)),
                    None => (cell.as_str(), None),
                };
                // Number and date columns left-aligned; amounts right-aligned.
                if i < 2 {
                    out.push_str(&format!("{value:<width$}"));
                } else {
                    out.push_str(&format!("{value:>width$}"));
                }
                if let Some(note) = note {
                    out.push_str("  grace");
                    out.push_str(note);
                }
            }
            writeln!(f, "{}", out.trim_end())
        };
        let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
        write_line(f, &header)?;
        for line in &lines {
            write_line(f, line)?;
        }
        if !schedule.deducted_fees().is_zero() {
            writeln!(
                f,
                "fees deducted at disbursement: {}",
                grouped(schedule.deducted_fees())
            )?;
        }
        match schedule.rates() {
            Ok(rates) => writeln!(
                f,
                "APR {}, effective annual rate {}",
                percent(rates.apr, 4),
                percent(rates.effective_annual_rate, 4)
            ),
            Err(e) => writeln!(f, "APR not available: {e}"),
        }
    }
}
