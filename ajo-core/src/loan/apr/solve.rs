//! The rate that makes the present value of the advances equal that of the payments.
//!
//! `h(r) = Σ payments·D(r) - Σ advances·D(r)`, with `D` Regulation Z's
//! `1 / ((1 + f·r)(1 + r)^t)` or the EU's `(1 + r)^-s`. As `r` grows, the earliest flows
//! outweigh the rest; as it falls toward -100 %, the latest do. So the sign of `h` at
//! both ends is known from the flows alone, and a root is looked for on the side of zero
//! where `h` changes sign: above zero for a loan (payments after advances), below for
//! one repaid with less than it lent, either way when advances come after payments.
//! Within that bracket Newton's method runs, kept inside it: a step that would leave the
//! bracket, or is longer than the one before, is replaced by the bracket's midpoint, and
//! every point narrows the bracket, so the solver converges whatever the flows' shape,
//! and says [`AprError::NoRate`] when `h` keeps its sign from just above -100 % to a
//! million per cent a unit period.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::{APR_TOLERANCE, AprError, math};
use crate::loan::rate::powi;

/// The highest unit-period rate looked for: a million per cent.
const MAX_RATE: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);
/// Halvings toward -100 % before a negative rate is given up on.
const NEGATIVE_HALVINGS: u32 = 90;
const MAX_ITERATIONS: u32 = 300;

/// A flow's place in time, ready to discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    /// Regulation Z: whole unit periods and a fraction.
    Units { periods: u32, fraction: Decimal },
    /// EU: `whole + part / per_year` years.
    Years {
        whole: u32,
        part: u32,
        per_year: u32,
    },
}

impl At {
    /// `n` of a year's `per_year` steps.
    pub(crate) fn years(n: u32, per_year: u32) -> At {
        At::Years {
            whole: n / per_year,
            part: n % per_year,
            per_year,
        }
    }

    /// Later flows sort after earlier ones.
    fn order(&self, other: &At) -> Ordering {
        match (self, other) {
            (
                At::Units { periods, fraction },
                At::Units {
                    periods: p,
                    fraction: f,
                },
            ) => periods.cmp(p).then(fraction.cmp(f)),
            (
                At::Years {
                    whole,
                    part,
                    per_year,
                },
                At::Years {
                    whole: w,
                    part: p,
                    per_year: y,
                },
            ) => whole.cmp(w).then(
                // part / per_year against p / y, in whole numbers.
                (u64::from(*part) * u64::from(*y)).cmp(&(u64::from(*p) * u64::from(*per_year))),
            ),
            // The convention places every flow one way.
            (At::Units { .. }, At::Years { .. }) => Ordering::Less,
            (At::Years { .. }, At::Units { .. }) => Ordering::Greater,
        }
    }
}

/// An amount at its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placed {
    pub(crate) amount: Decimal,
    pub(crate) at: At,
}

/// The rate solving `Σ advances·D = Σ payments·D`.
pub(crate) fn rate(advances: &[Placed], payments: &[Placed]) -> Result<Decimal, AprError> {
    let h = Balance::new(advances, payments)?;
    let at_zero = h.value(Decimal::ZERO)?.ok_or(AprError::Overflow)?.0;
    if at_zero.is_zero() {
        // Zero balances the flows, unless every rate does (each time's flows cancel).
        return if h.high_sign == 0 {
            Err(AprError::NoRate)
        } else {
            Ok(Decimal::ZERO)
        };
    }
    let zero_sign = sign(at_zero);
    let far = if h.high_sign != 0 && h.high_sign != zero_sign {
        // Upward: 1, 10, 100... a unit period until the sign turns.
        let mut near = Decimal::ZERO;
        let mut far = Decimal::ONE;
        loop {
            if h.sign_at(far)? != zero_sign {
                break (near, far);
            }
            near = far;
            far = far.checked_mul(Decimal::TEN).ok_or(AprError::Overflow)?;
            if far > MAX_RATE {
                return Err(AprError::NoRate);
            }
        }
    } else if h.low_sign != 0 && h.low_sign != zero_sign {
        // Downward: -50 %, -75 %... halfway to -100 % each time.
        let mut near = Decimal::ZERO;
        let mut far = Decimal::new(-5, 1);
        let mut halvings = 0;
        loop {
            if h.sign_at(far)? != zero_sign {
                break (near, far);
            }
            near = far;
            far = (far - Decimal::ONE) / Decimal::TWO;
            halvings += 1;
            if halvings > NEGATIVE_HALVINGS {
                return Err(AprError::NoRate);
            }
        }
    } else {
        return Err(AprError::NoRate);
    };
    // `near` keeps zero's sign, `far` the other; Newton starts from the near end.
    let (mut near, mut far) = far;
    let mut r = near;
    let mut last_value: Option<Decimal> = None;
    for _ in 0..MAX_ITERATIONS {
        let (value, slope) = match h.value(r)? {
            Some((value, slope)) => (value, slope),
            None => (Decimal::from(h.low_sign), None),
        };
        if value.is_zero() {
            return Ok(r);
        }
        if sign(value) == zero_sign {
            near = r;
        } else {
            far = r;
        }
        let (lo, hi) = if near < far { (near, far) } else { (far, near) };
        let newton = slope
            .filter(|s| !s.is_zero())
            .and_then(|s| value.checked_div(s))
            .and_then(|step| r.checked_sub(step).map(|next| (next, step)))
            .filter(|(next, _)| *next > lo && *next < hi);
        // Newton's step, while it brings h closer to zero; else the midpoint, so the
        // bracket halves (a cycle, or a step from a point too far to trust).
        let progress = last_value.is_none_or(|last| value.abs() < last.abs());
        let next = match newton {
            Some((next, step)) if step.abs() < APR_TOLERANCE => return Ok(next),
            Some((next, _)) if progress => next,
            _ => (lo + hi) / Decimal::TWO,
        };
        if hi - lo < APR_TOLERANCE {
            return Ok(next);
        }
        last_value = Some(value);
        r = next;
    }
    Err(AprError::DidNotConverge {
        iterations: MAX_ITERATIONS,
    })
}

fn sign(d: Decimal) -> i8 {
    match d.cmp(&Decimal::ZERO) {
        Ordering::Greater => 1,
        Ordering::Less => -1,
        Ordering::Equal => 0,
    }
}

/// One flow, payments positive and advances negative, with its place in the power tables.
struct Term {
    amount: Decimal,
    /// Index into [`Balance::wholes`].
    whole: usize,
    kind: TermKind,
}

enum TermKind {
    /// Regulation Z's fraction `f`, and `t` for the slope.
    Units { fraction: Decimal, periods: Decimal },
    /// The EU's part of a year: the table of `per_year`, its index there, and `s` in years.
    Years {
        table: usize,
        part: usize,
        years: Decimal,
    },
}

/// `h(r)` over the flows, with each distinct time's powers worked out once an evaluation.
struct Balance {
    terms: Vec<Term>,
    /// Distinct whole unit periods (or years), rising.
    wholes: Vec<u32>,
    /// For the EU: each distinct `per_year` with its distinct parts, rising.
    tables: Vec<(u32, Vec<u32>)>,
    /// The sign of `h` as the rate grows without bound, and as it nears -100 %.
    high_sign: i8,
    low_sign: i8,
}

impl Balance {
    fn new(advances: &[Placed], payments: &[Placed]) -> Result<Balance, AprError> {
        let mut flows: Vec<Placed> = payments
            .iter()
            .copied()
            .chain(advances.iter().map(|a| Placed {
                amount: -a.amount,
                at: a.at,
            }))
            .collect();
        flows.sort_by(|a, b| a.at.order(&b.at));
        let (high_sign, low_sign) = limit_signs(&flows)?;
        let mut wholes: Vec<u32> = flows
            .iter()
            .map(|f| match f.at {
                At::Units { periods, .. } => periods,
                At::Years { whole, .. } => whole,
            })
            .collect();
        wholes.sort_unstable();
        wholes.dedup();
        let mut tables: Vec<(u32, Vec<u32>)> = Vec::new();
        for flow in &flows {
            if let At::Years { part, per_year, .. } = flow.at {
                match tables.iter_mut().find(|(p, _)| *p == per_year) {
                    Some((_, parts)) => parts.push(part),
                    None => tables.push((per_year, vec![part])),
                }
            }
        }
        for (_, parts) in &mut tables {
            parts.sort_unstable();
            parts.dedup();
        }
        let mut terms = Vec::with_capacity(flows.len());
        for flow in &flows {
            let (whole, kind) = match flow.at {
                At::Units { periods, fraction } => (
                    periods,
                    TermKind::Units {
                        fraction,
                        periods: Decimal::from(periods),
                    },
                ),
                At::Years {
                    whole,
                    part,
                    per_year,
                } => {
                    let table = tables.iter().position(|(p, _)| *p == per_year).unwrap_or(0);
                    let index = tables
                        .get(table)
                        .and_then(|(_, parts)| parts.binary_search(&part).ok())
                        .unwrap_or(0);
                    let years = Decimal::from(part)
                        .checked_div(Decimal::from(per_year))
                        .and_then(|p| p.checked_add(Decimal::from(whole)))
                        .ok_or(AprError::Overflow)?;
                    (
                        whole,
                        TermKind::Years {
                            table,
                            part: index,
                            years,
                        },
                    )
                }
            };
            terms.push(Term {
                amount: flow.amount,
                whole: wholes.binary_search(&whole).unwrap_or(0),
                kind,
            });
        }
        Ok(Balance {
            terms,
            wholes,
            tables,
            high_sign,
            low_sign,
        })
    }

    /// The sign of `h(r)`; where discounting overflows (only near -100 %), the sign
    /// there.
    fn sign_at(&self, r: Decimal) -> Result<i8, AprError> {
        Ok(match self.value(r)? {
            Some((value, _)) => sign(value),
            None => self.low_sign,
        })
    }

    /// `h(r)` and its slope (`None` if only the slope overflows); `None` below zero when
    /// discounting overflows.
    fn value(&self, r: Decimal) -> Result<Option<(Decimal, Option<Decimal>)>, AprError> {
        match self.exact(r) {
            Err(AprError::Overflow) if r < Decimal::ZERO => Ok(None),
            other => other.map(Some),
        }
    }

    fn exact(&self, r: Decimal) -> Result<(Decimal, Option<Decimal>), AprError> {
        let overflow = || AprError::Overflow;
        let growth = Decimal::ONE.checked_add(r).ok_or_else(overflow)?;
        if growth <= Decimal::ZERO {
            return Err(AprError::NoRate);
        }
        let v = Decimal::ONE.checked_div(growth).ok_or_else(overflow)?;
        let whole_powers = powers(v, &self.wholes).ok_or_else(overflow)?;
        let mut part_powers = Vec::with_capacity(self.tables.len());
        if !self.tables.is_empty() {
            let log = math::ln(growth).ok_or_else(overflow)?;
            for (per_year, parts) in &self.tables {
                // (1 + r)^(-1 / per_year), raised to each part.
                let step = log
                    .checked_div(Decimal::from(*per_year))
                    .and_then(|x| math::exp(-x))
                    .ok_or_else(overflow)?;
                part_powers.push(powers(step, parts).ok_or_else(overflow)?);
            }
        }
        // h, and its slope -(v Σ present·T + Σ present·F): T the flow's time (t, or s
        // years), F Regulation Z's f / (1 + f r).
        let mut value = Decimal::ZERO;
        let mut timed = Some(Decimal::ZERO);
        let mut fractional = Some(Decimal::ZERO);
        for term in &self.terms {
            let whole = whole_powers.get(term.whole).copied().ok_or_else(overflow)?;
            let (d, time) = match &term.kind {
                TermKind::Units { fraction, periods } if fraction.is_zero() => (whole, periods),
                TermKind::Units { fraction, periods } => {
                    let simple = fraction
                        .checked_mul(r)
                        .and_then(|x| x.checked_add(Decimal::ONE))
                        .ok_or_else(overflow)?;
                    let d = whole.checked_div(simple).ok_or_else(overflow)?;
                    let weight = fraction.checked_div(simple);
                    fractional = fractional.zip(weight).and_then(|(sum, w)| {
                        d.checked_mul(w)
                            .and_then(|x| term.amount.checked_mul(x))
                            .and_then(|x| sum.checked_add(x))
                    });
                    (d, periods)
                }
                TermKind::Years { table, part, years } => {
                    let part = part_powers
                        .get(*table)
                        .and_then(|p| p.get(*part))
                        .copied()
                        .ok_or_else(overflow)?;
                    (whole.checked_mul(part).ok_or_else(overflow)?, years)
                }
            };
            let present = term.amount.checked_mul(d).ok_or_else(overflow)?;
            value = value.checked_add(present).ok_or_else(overflow)?;
            timed =
                timed.and_then(|sum| present.checked_mul(*time).and_then(|x| sum.checked_add(x)));
        }
        let slope = timed
            .and_then(|t| t.checked_mul(v))
            .zip(fractional)
            .and_then(|(a, b)| a.checked_add(b))
            .map(|s| -s);
        Ok((value, slope))
    }
}

/// `base^e` for each of the rising exponents, each from the one before.
fn powers(base: Decimal, exponents: &[u32]) -> Option<Vec<Decimal>> {
    let mut out = Vec::with_capacity(exponents.len());
    let mut last_exponent = 0;
    let mut last = Decimal::ONE;
    for e in exponents {
        last = match e - last_exponent {
            0 => last,
            1 => last.checked_mul(base)?,
            gap => last.checked_mul(powi(base, gap)?)?,
        };
        last_exponent = *e;
        out.push(last);
    }
    Some(out)
}

/// The sign of `h` as the rate grows without bound (the earliest time whose flows do
/// not cancel decides) and as it nears -100 % (the latest time does, a Regulation Z
/// fraction `f` weighing its flow by `1 / (1 - f)` there). `flows` are sorted by time.
fn limit_signs(flows: &[Placed]) -> Result<(i8, i8), AprError> {
    // The net amount at each distinct time, and Regulation Z's weighted net by whole
    // period.
    let mut groups: Vec<Decimal> = Vec::new();
    let mut whole_net: Vec<(u32, Decimal)> = Vec::new();
    let mut last: Option<At> = None;
    for flow in flows {
        let same = last.is_some_and(|l| l.order(&flow.at) == Ordering::Equal);
        if !same {
            groups.push(Decimal::ZERO);
        }
        last = Some(flow.at);
        let net = groups.last_mut().ok_or(AprError::Overflow)?;
        *net = net.checked_add(flow.amount).ok_or(AprError::Overflow)?;
        if let At::Units { periods, fraction } = flow.at {
            let weighted = Decimal::ONE
                .checked_sub(fraction)
                .and_then(|w| flow.amount.checked_div(w))
                .ok_or(AprError::Overflow)?;
            match whole_net.last_mut() {
                Some((p, sum)) if *p == periods => {
                    *sum = sum.checked_add(weighted).ok_or(AprError::Overflow)?;
                }
                _ => whole_net.push((periods, weighted)),
            }
        }
    }
    let high = groups
        .iter()
        .map(|net| sign(*net))
        .find(|s| *s != 0)
        .unwrap_or(0);
    let low = if whole_net.is_empty() {
        groups
            .iter()
            .rev()
            .map(|net| sign(*net))
            .find(|s| *s != 0)
            .unwrap_or(0)
    } else {
        whole_net
            .iter()
            .rev()
            .map(|(_, sum)| sign(*sum))
            .find(|s| *s != 0)
            .unwrap_or(0)
    };
    Ok((high, low))
}
