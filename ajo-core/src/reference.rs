//! Gateway references: the one name ajo gives each collection and payout, built in one
//! place so that no two different purposes can ever share one.
//!
//! A reference is what a gateway echoes back in its webhooks, so two purposes sharing
//! one would credit one member's money to another. Group, member and loan ids may contain
//! `-`, `_` and `.`, so a reference that joined them with `-` could be read two ways
//! (group `a` with member `b-dep-c`, and group `a-dep-b` with member `c`). Here the parts
//! are joined with `=`, which no id may contain and every gateway ajo speaks to accepts
//! in a reference (Paystack allows letters, digits, `-`, `.` and `=`), so each reference
//! reads back as exactly one purpose ([`PaymentReference::parse`] undoes
//! [`Display`](fmt::Display)).
//!
//! | purpose | reference |
//! | --- | --- |
//! | security deposit | `ajo=dep=<group>=<member>` |
//! | contribution | `ajo=ctb=<group>=r<round>=h<hand>` |
//! | payout of a round | `ajo=out=<group>=r<round>` |
//! | deposit refund | `ajo=drf=<group>=<member>` |
//! | refund on cancellation | `ajo=crf=<group>=<member>` |
//! | loan disbursement | `ajo=lnd=<loan>` |
//! | loan repayment | `ajo=lnr=<loan>=p<number>` |
//!
//! A second or later attempt at the same purpose (a collection asked for again after the
//! first one finished, a payout sent again after it was reversed) adds `=a<attempt>`.
//!
//! ```
//! use ajo_core::group::{GroupId, HandId};
//! use ajo_core::reference::PaymentReference;
//!
//! let group = GroupId::new("balogun")?;
//! let reference = PaymentReference::contribution(&group, 3, HandId::new(2)?);
//! assert_eq!(reference.to_string(), "ajo=ctb=balogun=r3=h2");
//! assert_eq!(reference.attempt(2).to_string(), "ajo=ctb=balogun=r3=h2=a2");
//! assert_eq!(PaymentReference::parse("ajo=ctb=balogun=r3=h2=a2")?, reference.attempt(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::ids::{GroupId, HandId, LoanId, MemberId};

const PREFIX: &str = "ajo";
const SEPARATOR: char = '=';

/// What a collection or payout is for, with the ids that make it unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ReferencePurpose {
    /// A member's security deposit on joining a group.
    Deposit {
        /// The group.
        group: GroupId,
        /// The member.
        member: MemberId,
    },
    /// One hand's contribution for one round.
    Contribution {
        /// The group.
        group: GroupId,
        /// The round, from 1.
        round: u32,
        /// The hand.
        hand: HandId,
    },
    /// A round's payout to its recipient.
    Payout {
        /// The group.
        group: GroupId,
        /// The round, from 1.
        round: u32,
    },
    /// A member's deposit paid back at the end of the cycle.
    DepositRefund {
        /// The group.
        group: GroupId,
        /// The member.
        member: MemberId,
    },
    /// What a member is paid back when the group is cancelled.
    CancelRefund {
        /// The group.
        group: GroupId,
        /// The member.
        member: MemberId,
    },
    /// A loan paid out to its borrower.
    LoanDisbursement {
        /// The loan.
        loan: LoanId,
    },
    /// A repayment collected for a loan.
    LoanRepayment {
        /// The loan.
        loan: LoanId,
        /// Which repayment, from 1.
        number: u32,
    },
}

/// A gateway reference: a purpose and which attempt at it (1 for the first). See the
/// module docs for the text form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentReference {
    purpose: ReferencePurpose,
    attempt: u32,
}

/// Why a text is not a reference ajo made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The text does not have the shape of any reference ajo makes.
    #[error("not a reference ajo made: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl PaymentReference {
    /// The first attempt at `purpose`.
    pub fn new(purpose: ReferencePurpose) -> PaymentReference {
        PaymentReference {
            purpose,
            attempt: 1,
        }
    }

    /// A member's security deposit.
    pub fn deposit(group: &GroupId, member: &MemberId) -> PaymentReference {
        PaymentReference::new(ReferencePurpose::Deposit {
            group: group.clone(),
            member: member.clone(),
        })
    }

    /// A hand's contribution for a round.
    pub fn contribution(group: &GroupId, round: u32, hand: HandId) -> PaymentReference {
        PaymentReference::new(ReferencePurpose::Contribution {
            group: group.clone(),
            round,
            hand,
        })
    }

    /// A round's payout.
    pub fn payout(group: &GroupId, round: u32) -> PaymentReference {
        PaymentReference::new(ReferencePurpose::Payout {
            group: group.clone(),
            round,
        })
    }

    /// A deposit paid back.
    pub fn deposit_refund(group: &GroupId, member: &MemberId) -> PaymentReference {
        PaymentReference::new(ReferencePurpose::DepositRefund {
            group: group.clone(),
            member: member.clone(),
        })
    }

    /// A refund on cancellation.
    pub fn cancel_refund(group: &GroupId, member: &MemberId) -> PaymentReference {
        PaymentReference::new(ReferencePurpose::CancelRefund {
            group: group.clone(),
            member: member.clone(),
        })
    }

    /// A loan's disbursement.
    pub fn loan_disbursement(loan: &LoanId) -> PaymentReference {
        PaymentReference::new(ReferencePurpose::LoanDisbursement { loan: loan.clone() })
    }

    /// A loan's `number`th repayment.
    pub fn loan_repayment(loan: &LoanId, number: u32) -> PaymentReference {
        PaymentReference::new(ReferencePurpose::LoanRepayment {
            loan: loan.clone(),
            number,
        })
    }

    /// The same purpose at another attempt (below 2 means the first).
    #[must_use]
    pub fn attempt(&self, attempt: u32) -> PaymentReference {
        PaymentReference {
            purpose: self.purpose.clone(),
            attempt: attempt.max(1),
        }
    }

    /// Which attempt this is, from 1.
    pub fn attempt_number(&self) -> u32 {
        self.attempt
    }

    /// What it is for.
    pub fn purpose(&self) -> &ReferencePurpose {
        &self.purpose
    }

    /// The group it belongs to, if any (loans belong to none).
    pub fn group(&self) -> Option<&GroupId> {
        match &self.purpose {
            ReferencePurpose::Deposit { group, .. }
            | ReferencePurpose::Contribution { group, .. }
            | ReferencePurpose::Payout { group, .. }
            | ReferencePurpose::DepositRefund { group, .. }
            | ReferencePurpose::CancelRefund { group, .. } => Some(group),
            ReferencePurpose::LoanDisbursement { .. } | ReferencePurpose::LoanRepayment { .. } => {
                None
            }
        }
    }

    /// Reads a reference back from its text.
    ///
    /// # Errors
    /// [`ReferenceError::Malformed`] for any text [`Display`](fmt::Display) does not
    /// produce.
    pub fn parse(text: &str) -> Result<PaymentReference, ReferenceError> {
        let malformed = |reason| ReferenceError::Malformed { reason };
        let parts: Vec<&str> = text.split(SEPARATOR).collect();
        let Some((&PREFIX, rest)) = parts.split_first() else {
            return Err(malformed("it does not start with \"ajo=\""));
        };
        let Some((&tag, rest)) = rest.split_first() else {
            return Err(malformed("no purpose"));
        };
        // The purpose says how many parts follow; one more can only be the attempt, so
        // an id that looks like an attempt (a member called `a2`) is still read as an id.
        let arity = match tag {
            "lnd" => 1,
            "dep" | "out" | "drf" | "crf" | "lnr" => 2,
            "ctb" => 3,
            _ => return Err(malformed("unknown purpose")),
        };
        let (fields, suffix) = rest.split_at(arity.min(rest.len()));
        let attempt = match suffix {
            [] => 1,
            [last] => last
                .strip_prefix('a')
                .and_then(number)
                .filter(|n| *n >= 2)
                .ok_or(malformed("bad attempt"))?,
            _ => return Err(malformed("too many parts")),
        };
        let group = |s: &str| GroupId::new(s).map_err(|_| malformed("bad group id"));
        let member = |s: &str| MemberId::new(s).map_err(|_| malformed("bad member id"));
        let loan = |s: &str| LoanId::new(s).map_err(|_| malformed("bad loan id"));
        let tagged = |s: &str, tag: char| {
            s.strip_prefix(tag)
                .and_then(number)
                .ok_or(malformed("bad number"))
        };
        let purpose = match (tag, fields) {
            ("dep", [g, m]) => ReferencePurpose::Deposit {
                group: group(g)?,
                member: member(m)?,
            },
            ("ctb", [g, r, h]) => ReferencePurpose::Contribution {
                group: group(g)?,
                round: tagged(r, 'r')?,
                hand: HandId::new(tagged(h, 'h')?).map_err(|_| malformed("bad hand"))?,
            },
            ("out", [g, r]) => ReferencePurpose::Payout {
                group: group(g)?,
                round: tagged(r, 'r')?,
            },
            ("drf", [g, m]) => ReferencePurpose::DepositRefund {
                group: group(g)?,
                member: member(m)?,
            },
            ("crf", [g, m]) => ReferencePurpose::CancelRefund {
                group: group(g)?,
                member: member(m)?,
            },
            ("lnd", [l]) => ReferencePurpose::LoanDisbursement { loan: loan(l)? },
            ("lnr", [l, p]) => ReferencePurpose::LoanRepayment {
                loan: loan(l)?,
                number: tagged(p, 'p')?,
            },
            _ => return Err(malformed("too few parts")),
        };
        Ok(PaymentReference { purpose, attempt })
    }
}

/// A decimal number as [`Display`](fmt::Display) writes it: digits only, no sign and no
/// leading zero, so each number has one text.
fn number(text: &str) -> Option<u32> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

impl fmt::Display for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = SEPARATOR;
        match &self.purpose {
            ReferencePurpose::Deposit { group, member } => {
                write!(f, "{PREFIX}{s}dep{s}{group}{s}{member}")
            }
            ReferencePurpose::Contribution { group, round, hand } => {
                write!(f, "{PREFIX}{s}ctb{s}{group}{s}r{round}{s}h{}", hand.get())
            }
            ReferencePurpose::Payout { group, round } => {
                write!(f, "{PREFIX}{s}out{s}{group}{s}r{round}")
            }
            ReferencePurpose::DepositRefund { group, member } => {
                write!(f, "{PREFIX}{s}drf{s}{group}{s}{member}")
            }
            ReferencePurpose::CancelRefund { group, member } => {
                write!(f, "{PREFIX}{s}crf{s}{group}{s}{member}")
            }
            ReferencePurpose::LoanDisbursement { loan } => write!(f, "{PREFIX}{s}lnd{s}{loan}"),
            ReferencePurpose::LoanRepayment { loan, number } => {
                write!(f, "{PREFIX}{s}lnr{s}{loan}{s}p{number}")
            }
        }?;
        if self.attempt > 1 {
            write!(f, "{s}a{}", self.attempt)?;
        }
        Ok(())
    }
}

impl FromStr for PaymentReference {
    type Err = ReferenceError;
    fn from_str(text: &str) -> Result<PaymentReference, ReferenceError> {
        PaymentReference::parse(text)
    }
}

impl Serialize for PaymentReference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PaymentReference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        PaymentReference::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(id: &str) -> GroupId {
        GroupId::new(id).unwrap()
    }

    fn m(id: &str) -> MemberId {
        MemberId::new(id).unwrap()
    }

    #[test]
    fn an_id_that_looks_like_an_attempt_is_an_id() {
        let member_a2 = PaymentReference::deposit(&g("g"), &m("a2"));
        assert_eq!(member_a2.to_string(), "ajo=dep=g=a2");
        assert_eq!(PaymentReference::parse("ajo=dep=g=a2").unwrap(), member_a2);
        assert_eq!(
            PaymentReference::parse("ajo=dep=g=a2=a2").unwrap(),
            member_a2.attempt(2)
        );
    }

    #[test]
    fn ids_with_dashes_cannot_collide() {
        let one = PaymentReference::deposit(&g("a"), &m("b-dep-c"));
        let two = PaymentReference::deposit(&g("a-dep-b"), &m("c"));
        assert_ne!(one.to_string(), two.to_string());
        assert_eq!(PaymentReference::parse(&one.to_string()).unwrap(), one);
        assert_eq!(PaymentReference::parse(&two.to_string()).unwrap(), two);
    }

    #[test]
    fn every_purpose_reads_back() {
        let loan = LoanId::new("ln-1.a").unwrap();
        let all = [
            PaymentReference::deposit(&g("g"), &m("m")),
            PaymentReference::contribution(&g("g"), 12, HandId::MIN),
            PaymentReference::payout(&g("g"), 3),
            PaymentReference::deposit_refund(&g("g"), &m("m")),
            PaymentReference::cancel_refund(&g("g"), &m("m")),
            PaymentReference::loan_disbursement(&loan),
            PaymentReference::loan_repayment(&loan, 4).attempt(3),
        ];
        for reference in all {
            let text = reference.to_string();
            assert_eq!(PaymentReference::parse(&text).unwrap(), reference, "{text}");
            let json = serde_json::to_string(&reference).unwrap();
            assert_eq!(
                serde_json::from_str::<PaymentReference>(&json).unwrap(),
                reference
            );
        }
    }

    #[test]
    fn texts_it_never_writes_are_refused() {
        for text in [
            "",
            "ajo",
            "ajo-g-dep-m",
            "xyz=dep=g=m",
            "ajo=dep=g",
            "ajo=dep=g=m=x",
            "ajo=dep=g=m=a1",
            "ajo=dep=g=m=a01",
            "ajo=ctb=g=r01=h1",
            "ajo=ctb=g=r1=h+1",
            "ajo=ctb=g=r1=1",
            "ajo=out=g=r99999999999",
            "ajo=dep=g:1=m",
            "ajo=lnd=",
            "ajo=zzz=g=m",
        ] {
            assert!(PaymentReference::parse(text).is_err(), "{text:?}");
        }
        assert!(serde_json::from_str::<PaymentReference>("\"ajo-1\"").is_err());
    }

    #[test]
    fn a_first_attempt_has_no_suffix() {
        let reference = PaymentReference::payout(&g("g"), 1);
        assert_eq!(reference.attempt(0), reference);
        assert_eq!(reference.attempt(1).to_string(), "ajo=out=g=r1");
        assert_eq!(reference.attempt(2).attempt_number(), 2);
        assert_eq!(reference.group(), Some(&g("g")));
    }
}
