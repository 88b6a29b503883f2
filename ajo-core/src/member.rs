//! A member's profile stream: how to reach a member and where to pay them.
//!
//! A group's events name members only by [`MemberId`](crate::group::MemberId); contact
//! details and payout accounts are personal data that change on their own schedule, so
//! they live apart, one stream per member ([`StreamKind::Member`](crate::ports::StreamKind)),
//! and never in a group's history. The stream records each [`MemberProfile`] set, whole:
//! the last [`MemberEvent::ProfileSet`] is the current profile, and earlier ones stay as
//! the record of what was used when.
//!
//! Read it when sending a notice (email, SMS) or paying a member out; write it when a
//! member joins or changes their details.

use serde::{Deserialize, Serialize};

use crate::ids::EmailAddress;
use crate::ports::RecipientId;

/// How to reach a member and pay them. Held by the service, never in a group's events.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberProfile {
    /// The name used in messages.
    pub name: String,
    /// Email address for notices, if any. Profiles stored before addresses were checked
    /// read back without one where the stored text is not an address, rather than making
    /// the member's stream unreadable.
    #[serde(default, deserialize_with = "email_or_none")]
    pub email: Option<EmailAddress>,
    /// Phone number (E.164) for SMS, if any.
    pub phone: Option<String>,
    /// The gateway's payout recipient, once registered.
    pub payout_recipient: Option<RecipientId>,
    /// A one-way fingerprint of the payout account registered, to notice a change.
    pub payout_fingerprint: Option<String>,
}

impl std::fmt::Debug for MemberProfile {
    /// Contact details are personal data: only whether they are present is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberProfile")
            .field("name", &self.name)
            .field("email", &self.email.as_ref().map(|_| "<set>"))
            .field("phone", &self.phone.as_ref().map(|_| "<set>"))
            .field("payout_recipient", &self.payout_recipient.is_some())
            .finish()
    }
}

/// Events of a member profile stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MemberEvent {
    /// The profile was set or replaced.
    ProfileSet(MemberProfile),
    /// The member joined a group: the index `AjoService::member_record` reads to find a
    /// member's history without scanning every group.
    JoinedGroup {
        /// The group.
        group: crate::ids::GroupId,
    },
    /// The member applied for a loan (written in the same append as the application):
    /// the index of a member's past and current loans.
    LoanTaken {
        /// The loan.
        loan: crate::ids::LoanId,
        /// The group it runs through.
        group: crate::ids::GroupId,
    },
    /// The member disputed a charge at the gateway (a chargeback): the flag a host sees
    /// in [`AjoService::member_view`](crate::service::AjoService::member_view) until it
    /// closes.
    DisputeOpened {
        /// The collection disputed.
        reference: String,
        /// The amount disputed.
        amount: crate::money::Money,
        /// The gateway's id for the dispute (a collection can be disputed twice).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dispute: Option<String>,
    },
    /// A dispute of the member's closed: won by ajo (nothing owed), or lost (the amount
    /// is the member's to repay, on their chargeback receivable).
    DisputeClosed {
        /// The collection disputed.
        reference: String,
        /// Whether the payer won it.
        lost: bool,
        /// The gateway's id for the dispute.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dispute: Option<String>,
    },
}

/// An email address as stored, or none when the text stored is not one.
fn email_or_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<EmailAddress>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(text.and_then(|t| EmailAddress::new(t).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_stored_with_an_unchecked_email_still_reads() {
        let stored = r#"{"name":"Ada","email":"","phone":null,"payout_recipient":null,"payout_fingerprint":null}"#;
        let profile: MemberProfile = serde_json::from_str(stored).unwrap();
        assert_eq!(profile.email, None);
        let good = stored.replace(r#""email":"""#, r#""email":"ada@example.com""#);
        let profile: MemberProfile = serde_json::from_str(&good).unwrap();
        assert_eq!(profile.email.unwrap().as_str(), "ada@example.com");
    }
}
