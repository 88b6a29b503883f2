//! Limits on the money a member or a group moves: per-transaction, daily and monthly
//! caps, per currency, for money coming in and money going out.
//!
//! A [`Limits`] policy is a set of [`Limit`]s, each a cap on one [`Flow`] (collections in,
//! or payouts and loan disbursements out), for one [`Scope`] (each member, or each group),
//! over one [`Window`] (one transaction, a day, a month), in one currency. What an owner
//! has used is a [`Usage`], tallied from the [`UsageEvent`]s the service records, and
//! [`Limits::check`] says whether an amount fits, or which limit it would break and how
//! much room that limit has left ([`LimitExceeded`]).
//!
//! Days and months are counted in the policy's time zone ([`Limits::in_time_zone`],
//! UTC unless set): a daily cap frees up at local midnight, a monthly one on the first of
//! the local month.
//!
//! ```
//! use ajo_core::limits::{Flow, Limit, Limits, Scope, Usage, Window};
//! use ajo_core::money::{Currency, Money};
//!
//! let ngn = |n: &str| Money::parse(n, Currency::NGN);
//! let limits = Limits::default()
//!     .with(Limit::new(Scope::Member, Flow::In, Window::Day, ngn("50000")?)?)
//!     .in_time_zone(chrono_tz::Africa::Lagos);
//! let used = Usage { today: ngn("45000")?, this_month: ngn("45000")? };
//!
//! assert!(limits.check(Scope::Member, Flow::In, ngn("5000")?, &used).is_ok());
//! let refused = limits.check(Scope::Member, Flow::In, ngn("5000.01")?, &used).unwrap_err();
//! assert_eq!(refused.window, Window::Day);
//! assert_eq!(refused.room, ngn("5000")?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::money::{Currency, Money, MoneyError};

/// Which way money moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Flow {
    /// Money collected from a member: contributions, deposits, loan repayments.
    In,
    /// Money sent to a member: payouts, refunds, loan disbursements.
    Out,
}

impl Flow {
    /// Its name: `in` or `out`.
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::In => "in",
            Flow::Out => "out",
        }
    }
}

/// Whose money a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// Each member's, across every group they are in.
    Member,
    /// Each group's, across its members.
    Group,
}

impl Scope {
    /// Its name: `member` or `group`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Member => "member",
            Scope::Group => "group",
        }
    }
}

/// Over how long a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Window {
    /// One transaction alone.
    Transaction,
    /// A calendar day in the policy's time zone.
    Day,
    /// A calendar month in the policy's time zone.
    Month,
}

impl Window {
    /// Its name: `per-transaction`, `daily` or `monthly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Transaction => "per-transaction",
            Window::Day => "daily",
            Window::Month => "monthly",
        }
    }
}

/// One cap: at most `cap` of one flow, for one scope, over one window, in `cap`'s
/// currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    scope: Scope,
    flow: Flow,
    window: Window,
    cap: Money,
}

impl Limit {
    /// A cap. A zero cap refuses every amount of that flow and currency.
    ///
    /// # Errors
    /// [`LimitError::NegativeCap`] for a cap below zero.
    pub fn new(scope: Scope, flow: Flow, window: Window, cap: Money) -> Result<Limit, LimitError> {
        if cap.is_negative() {
            return Err(LimitError::NegativeCap { cap });
        }
        Ok(Limit {
            scope,
            flow,
            window,
            cap,
        })
    }

    /// Whose money it counts.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Which way.
    pub fn flow(&self) -> Flow {
        self.flow
    }

    /// Over how long.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The most it allows, in its currency.
    pub fn cap(&self) -> Money {
        self.cap
    }

    fn same_slot(&self, other: &Limit) -> bool {
        self.scope == other.scope
            && self.flow == other.flow
            && self.window == other.window
            && self.cap.currency() == other.cap.currency()
    }
}

/// A policy of limits; the default has none, and the service then counts nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    limits: Vec<Limit>,
    time_zone: Tz,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            limits: Vec::new(),
            time_zone: Tz::UTC,
        }
    }
}

/// What one owner (a member or a group) has used of one flow in one currency: in the day
/// and in the month that hold now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Used today.
    pub today: Money,
    /// Used this month, today included.
    pub this_month: Money,
}

impl Usage {
    /// Nothing used.
    pub fn zero(currency: Currency) -> Usage {
        Usage {
            today: Money::zero(currency),
            this_month: Money::zero(currency),
        }
    }

    /// What `events` used of `flow` in `currency` in the day and the month that hold
    /// `now` in `time_zone`. Other flows, currencies and periods are not counted.
    ///
    /// # Errors
    /// [`MoneyError`] if the total overflows [`MAX_MINOR`](crate::money::MAX_MINOR)
    /// (only stored data far beyond any cap could).
    pub fn tally<'a>(
        events: impl IntoIterator<Item = &'a UsageEvent>,
        flow: Flow,
        currency: Currency,
        now: DateTime<Utc>,
        time_zone: Tz,
    ) -> Result<Usage, MoneyError> {
        let today = local_day(now, time_zone);
        let mut usage = Usage::zero(currency);
        for event in events {
            let UsageEvent::Used {
                flow: used_flow,
                amount,
                at,
                ..
            } = event;
            if *used_flow != flow || amount.currency() != currency {
                continue;
            }
            let day = local_day(*at, time_zone);
            if month_of(day) != month_of(today) {
                continue;
            }
            usage.this_month = usage.this_month.checked_add(*amount)?;
            if day == today {
                usage.today = usage.today.checked_add(*amount)?;
            }
        }
        Ok(usage)
    }

    fn in_window(&self, window: Window) -> Money {
        match window {
            Window::Transaction => Money::zero(self.today.currency()),
            Window::Day => self.today,
            Window::Month => self.this_month,
        }
    }
}

impl Limits {
    /// The policy with `limit` added, replacing one for the same scope, flow, window and
    /// currency.
    #[must_use]
    pub fn with(mut self, limit: Limit) -> Limits {
        self.limits.retain(|l| !l.same_slot(&limit));
        self.limits.push(limit);
        self
    }

    /// The policy counting days and months in `time_zone` (UTC by default).
    #[must_use]
    pub fn in_time_zone(mut self, time_zone: Tz) -> Limits {
        self.time_zone = time_zone;
        self
    }

    /// The time zone days and months are counted in.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// Whether there are no limits at all.
    pub fn is_empty(&self) -> bool {
        self.limits.is_empty()
    }

    /// Every limit, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Limit> {
        self.limits.iter()
    }

    /// Whether any limit counts `flow` in `currency` for `scope`.
    pub fn applies(&self, scope: Scope, flow: Flow, currency: Currency) -> bool {
        self.matching(scope, flow, currency).next().is_some()
    }

    fn matching(
        &self,
        scope: Scope,
        flow: Flow,
        currency: Currency,
    ) -> impl Iterator<Item = &Limit> {
        self.limits
            .iter()
            .filter(move |l| l.scope == scope && l.flow == flow && l.cap.currency() == currency)
    }

    /// Whether `amount` of `flow` fits in every limit of `scope` in its currency, given
    /// what the owner has `used`.
    ///
    /// # Errors
    /// [`LimitExceeded`] (boxed) for the tightest limit it breaks (the one with least room; of
    /// equals, the shorter window), with what is used, the amount asked and the room
    /// left: the cap less what is used, never below zero.
    pub fn check(
        &self,
        scope: Scope,
        flow: Flow,
        amount: Money,
        used: &Usage,
    ) -> Result<(), Box<LimitExceeded>> {
        let mut tightest: Option<LimitExceeded> = None;
        for limit in self.matching(scope, flow, amount.currency()) {
            let used = used.in_window(limit.window);
            // An amount or usage that overflows is beyond any cap.
            let fits = used
                .checked_add(amount)
                .is_ok_and(|after| after <= limit.cap);
            if fits {
                continue;
            }
            let room = limit
                .cap
                .checked_sub(used)
                .ok()
                .filter(|r| !r.is_negative())
                .unwrap_or(Money::zero(amount.currency()));
            let breach = LimitExceeded {
                scope,
                flow,
                window: limit.window,
                cap: limit.cap,
                used,
                asked: amount,
                room,
            };
            let tighter = tightest.as_ref().is_none_or(|t| {
                breach.room < t.room || (breach.room == t.room && breach.window < t.window)
            });
            if tighter {
                tightest = Some(breach);
            }
        }
        // Boxed: a refusal is the rare path, and the error is several amounts wide.
        tightest.map_or(Ok(()), |t| Err(Box::new(t)))
    }

    /// Checks the policy makes sense: for each scope, flow and currency, a per-transaction
    /// cap no larger than the daily one, and a daily cap no larger than the monthly one (a
    /// larger one could never be reached, so it is most likely a mistake).
    ///
    /// # Errors
    /// [`LimitError::Inconsistent`] naming the two limits.
    pub fn validate(&self) -> Result<(), LimitError> {
        for shorter in &self.limits {
            for longer in &self.limits {
                let same = shorter.scope == longer.scope
                    && shorter.flow == longer.flow
                    && shorter.cap.currency() == longer.cap.currency();
                if same && shorter.window < longer.window && shorter.cap > longer.cap {
                    return Err(LimitError::Inconsistent {
                        scope: shorter.scope,
                        flow: shorter.flow,
                        shorter: shorter.window,
                        shorter_cap: shorter.cap,
                        longer: longer.window,
                        longer_cap: longer.cap,
                    });
                }
            }
        }
        Ok(())
    }

    /// The local day `at` falls on in the policy's time zone.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        local_day(at, self.time_zone)
    }

    /// The month `at` falls in, as `YYYY-MM`, in the policy's time zone: how the service
    /// names a month's usage stream.
    pub fn month_key(&self, at: DateTime<Utc>) -> String {
        let (year, month) = month_of(self.day_of(at));
        format!("{year:04}-{month:02}")
    }

    /// The month before the one `at` falls in, as [`month_key`](Self::month_key) names it.
    pub fn previous_month_key(&self, at: DateTime<Utc>) -> String {
        let (year, month) = month_of(self.day_of(at));
        let (year, month) = if month == 1 {
            (year.saturating_sub(1), 12)
        } else {
            (year, month - 1)
        };
        format!("{year:04}-{month:02}")
    }

    /// When room under `window` next comes back after `now`: the next local midnight for
    /// a day (and for one transaction, so a refused payout is looked at daily in case the
    /// policy changed), the first of the next local month for a month. `None` past the
    /// end of chrono's range.
    pub fn next_room(&self, window: Window, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = self.day_of(now);
        let next = match window {
            Window::Transaction | Window::Day => today.succ_opt()?,
            Window::Month => {
                let (year, month) = month_of(today);
                if month == 12 {
                    NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
                } else {
                    NaiveDate::from_ymd_opt(year, month + 1, 1)?
                }
            }
        };
        let midnight = next.and_hms_opt(0, 0, 0)?;
        // A midnight skipped by a clock change starts the day at its first instant.
        let local = midnight
            .and_local_timezone(self.time_zone)
            .earliest()
            .or_else(|| {
                (midnight + chrono::TimeDelta::hours(1))
                    .and_local_timezone(self.time_zone)
                    .earliest()
            })?;
        Some(local.with_timezone(&Utc))
    }
}

fn local_day(at: DateTime<Utc>, time_zone: Tz) -> NaiveDate {
    at.with_timezone(&time_zone).date_naive()
}

fn month_of(day: NaiveDate) -> (i32, u32) {
    (day.year(), day.month())
}

/// Events of a usage stream: what was counted against one owner's limits in one currency
/// and month. Recorded in the same append as the collection, disbursement or payout
/// attempt it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UsageEvent {
    /// An amount counted.
    Used {
        /// Which way.
        flow: Flow,
        /// How much.
        amount: Money,
        /// When (the service's clock).
        at: DateTime<Utc>,
        /// The collection's, disbursement's or payout attempt's reference: counted once.
        reference: String,
    },
}

impl UsageEvent {
    /// The reference the amount was counted for.
    pub fn reference(&self) -> &str {
        match self {
            UsageEvent::Used { reference, .. } => reference,
        }
    }
}

/// Why an amount was refused: which limit, what it allows, what is used, what was asked
/// and the room left (the cap less what is used, never below zero).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{} {} {} limit of {} reached: {} used, {} asked, {} left",
    scope.as_str(),
    window.as_str(),
    flow.as_str(),
    cap.human(),
    used.human(),
    asked.human(),
    room.human()
)]
#[non_exhaustive]
pub struct LimitExceeded {
    /// Whose limit.
    pub scope: Scope,
    /// Which way.
    pub flow: Flow,
    /// Over how long.
    pub window: Window,
    /// What it allows.
    pub cap: Money,
    /// What is used in the window (zero for a per-transaction limit).
    pub used: Money,
    /// The amount asked.
    pub asked: Money,
    /// What still fits: `cap - used`, or zero when more than the cap is used (the cap was
    /// lowered after).
    pub room: Money,
}

/// Why a limit or a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LimitError {
    /// A cap below zero.
    #[error("a limit's cap is {cap}; it must not be negative")]
    NegativeCap {
        /// The cap given.
        cap: Money,
    },
    /// A shorter window allows more than a longer one of the same scope, flow and
    /// currency.
    #[error(
        "the {} {} {} limit ({shorter_cap}) is above the {} one ({longer_cap})",
        scope.as_str(),
        shorter.as_str(),
        flow.as_str(),
        longer.as_str()
    )]
    Inconsistent {
        /// Whose limits.
        scope: Scope,
        /// Which way.
        flow: Flow,
        /// The shorter window.
        shorter: Window,
        /// Its cap.
        shorter_cap: Money,
        /// The longer window.
        longer: Window,
        /// Its cap.
        longer_cap: Money,
    },
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn ngn(minor: i128) -> Money {
        Money::from_minor(minor, Currency::NGN).unwrap()
    }

    fn used(today: i128, month: i128) -> Usage {
        Usage {
            today: ngn(today),
            this_month: ngn(month),
        }
    }

    fn policy(tx: i128, day: i128, month: i128) -> Limits {
        Limits::default()
            .with(Limit::new(Scope::Member, Flow::In, Window::Transaction, ngn(tx)).unwrap())
            .with(Limit::new(Scope::Member, Flow::In, Window::Day, ngn(day)).unwrap())
            .with(Limit::new(Scope::Member, Flow::In, Window::Month, ngn(month)).unwrap())
    }

    #[test]
    fn each_window_refuses_with_its_own_room() {
        let limits = policy(100, 300, 1000);
        let tx = limits
            .check(Scope::Member, Flow::In, ngn(101), &used(0, 0))
            .unwrap_err();
        assert_eq!(
            (tx.window, tx.room, tx.used),
            (Window::Transaction, ngn(100), ngn(0))
        );
        let day = limits
            .check(Scope::Member, Flow::In, ngn(100), &used(250, 250))
            .unwrap_err();
        assert_eq!(
            (day.window, day.room, day.used),
            (Window::Day, ngn(50), ngn(250))
        );
        let month = limits
            .check(Scope::Member, Flow::In, ngn(100), &used(0, 950))
            .unwrap_err();
        assert_eq!((month.window, month.room), (Window::Month, ngn(50)));
        assert!(
            limits
                .check(Scope::Member, Flow::In, ngn(50), &used(250, 950))
                .is_ok()
        );
    }

    #[test]
    fn other_scopes_flows_and_currencies_are_not_limited() {
        let limits = policy(1, 1, 1);
        let big = ngn(1_000_000);
        assert!(
            limits
                .check(Scope::Group, Flow::In, big, &used(0, 0))
                .is_ok()
        );
        assert!(
            limits
                .check(Scope::Member, Flow::Out, big, &used(0, 0))
                .is_ok()
        );
        let usd = Money::from_minor(1_000_000, Currency::USD).unwrap();
        assert!(
            limits
                .check(Scope::Member, Flow::In, usd, &Usage::zero(Currency::USD))
                .is_ok()
        );
        assert!(!limits.applies(Scope::Member, Flow::In, Currency::USD));
        assert!(limits.applies(Scope::Member, Flow::In, Currency::NGN));
    }

    #[test]
    fn a_lowered_cap_leaves_no_room_not_negative_room() {
        let limits = policy(100, 300, 1000);
        let over = limits
            .check(Scope::Member, Flow::In, ngn(1), &used(400, 400))
            .unwrap_err();
        assert_eq!((over.window, over.room), (Window::Day, ngn(0)));
    }

    #[test]
    fn a_limit_replaces_the_one_in_its_slot_and_bad_ones_are_refused() {
        let limits = policy(100, 300, 1000)
            .with(Limit::new(Scope::Member, Flow::In, Window::Day, ngn(500)).unwrap());
        assert_eq!(limits.iter().count(), 3);
        assert_eq!(limits.validate(), Ok(()));
        assert!(matches!(
            Limit::new(Scope::Member, Flow::In, Window::Day, ngn(-1)),
            Err(LimitError::NegativeCap { .. })
        ));
        let swapped = policy(100, 2000, 1000);
        assert!(matches!(
            swapped.validate(),
            Err(LimitError::Inconsistent {
                shorter: Window::Day,
                longer: Window::Month,
                ..
            })
        ));
    }

    #[test]
    fn days_and_months_are_counted_in_the_policys_time_zone() {
        let lagos = Limits::default().in_time_zone(chrono_tz::Africa::Lagos);
        // 23:30 UTC on 31 January is 00:30 on 1 February in Lagos (UTC+1).
        let late = Utc
            .with_ymd_and_hms(2026, 1, 31, 23, 30, 0)
            .unwrap()
            .checked_add_signed(chrono::TimeDelta::nanoseconds(123))
            .unwrap();
        assert_eq!(lagos.month_key(late), "2026-02");
        assert_eq!(lagos.previous_month_key(late), "2026-01");
        assert_eq!(Limits::default().month_key(late), "2026-01");
        let earlier = Utc.with_ymd_and_hms(2026, 1, 31, 22, 0, 0).unwrap();
        let events = [
            UsageEvent::Used {
                flow: Flow::In,
                amount: ngn(7),
                at: earlier,
                reference: "a".into(),
            },
            UsageEvent::Used {
                flow: Flow::In,
                amount: ngn(5),
                at: late,
                reference: "b".into(),
            },
            UsageEvent::Used {
                flow: Flow::Out,
                amount: ngn(11),
                at: late,
                reference: "c".into(),
            },
        ];
        let tz = lagos.time_zone();
        let usage = Usage::tally(&events, Flow::In, Currency::NGN, late, tz).unwrap();
        assert_eq!(usage, used(5, 5));
        let utc = Usage::tally(&events, Flow::In, Currency::NGN, late, Tz::UTC).unwrap();
        assert_eq!(utc, used(12, 12));
        assert_eq!(
            lagos.next_room(Window::Day, late),
            Some(Utc.with_ymd_and_hms(2026, 2, 1, 23, 0, 0).unwrap())
        );
        assert_eq!(
            lagos.next_room(Window::Month, late),
            Some(Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap())
        );
        let december = Utc.with_ymd_and_hms(2026, 12, 15, 0, 0, 0).unwrap();
        assert_eq!(
            Limits::default().next_room(Window::Month, december),
            Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(
            Limits::default().previous_month_key(december + chrono::TimeDelta::days(20)),
            "2026-12"
        );
    }

    proptest! {
        /// Taking every amount the check lets through never takes usage past a cap, and
        /// every refusal reports the room exactly and leaves it too small for the ask.
        #[test]
        fn usage_never_passes_a_cap_and_room_is_exact(
            tx in 0i128..5_000,
            day in 0i128..20_000,
            extra in 0i128..50_000,
            asks in proptest::collection::vec((0i128..6_000, any::<bool>()), 0..60),
        ) {
            let month = day + extra;
            let limits = policy(tx.min(day), day, month);
            let mut usage = used(0, 0);
            for (amount, next_day) in asks {
                if next_day {
                    usage.today = ngn(0);
                }
                let amount = ngn(amount);
                match limits.check(Scope::Member, Flow::In, amount, &usage) {
                    Ok(()) => {
                        usage.today = usage.today.checked_add(amount).unwrap();
                        usage.this_month = usage.this_month.checked_add(amount).unwrap();
                        prop_assert!(amount <= ngn(tx.min(day)));
                        prop_assert!(usage.today <= ngn(day));
                        prop_assert!(usage.this_month <= ngn(month));
                    }
                    Err(breach) => {
                        let window_used = match breach.window {
                            Window::Transaction => ngn(0),
                            Window::Day => usage.today,
                            Window::Month => usage.this_month,
                        };
                        prop_assert_eq!(breach.used, window_used);
                        prop_assert_eq!(breach.room, breach.cap.checked_sub(window_used).unwrap());
                        prop_assert!(breach.asked > breach.room);
                        // The room reported fits, and is the tightest.
                        prop_assert!(limits.check(Scope::Member, Flow::In, breach.room, &usage).is_ok());
                    }
                }
            }
        }
    }
}
