//! What a host is handed for a collection: [`Checkout`] and its [`Breakdown`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};
use crate::ports::Collection;

/// What a collection asks for, part by part: a payment settles overdue dues, penalties
/// and the deposit first, so a request asks for all of them. The parts sum to
/// [`Checkout::amount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Breakdown {
    /// The member's dues in the round asked for (every hand of theirs).
    pub due: Money,
    /// Their dues of earlier rounds still open.
    pub arrears: Money,
    /// Penalties charged and not paid.
    pub penalties: Money,
    /// The part of their security deposit not held (never paid, or used to cover
    /// arrears).
    pub deposit_top_up: Money,
}

impl Breakdown {
    /// Nothing owed, in `currency`'s zero.
    pub(in crate::service) fn zero(zero: Money) -> Breakdown {
        Breakdown {
            due: zero,
            arrears: zero,
            penalties: zero,
            deposit_top_up: zero,
        }
    }

    /// The sum of the parts.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] (or a currency mismatch, which the service never builds).
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.due
            .checked_add(self.arrears)?
            .checked_add(self.penalties)?
            .checked_add(self.deposit_top_up)
    }
}

/// A collection a host hands its payer: where to pay, how much, and what for.
///
/// Serializes to JSON for a host's own API; `Debug` hides the client secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkout {
    /// Our reference: what the gateway's reports name.
    pub reference: String,
    /// The hosted checkout page, when the provider has one.
    pub checkout_url: Option<String>,
    /// The provider's own id for the collection.
    pub provider_reference: Option<String>,
    /// What the provider's client SDK needs (Stripe's `client_secret`), when it works
    /// that way. Show it to the payer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// How much is asked.
    pub amount: Money,
    /// What the amount is made of.
    pub breakdown: Breakdown,
    /// When the checkout is closed if nobody paid
    /// ([`collection_expiry`](crate::service::ServiceConfig::collection_expiry)).
    pub expires_at: DateTime<Utc>,
    /// Whether this is a collection asked for before, handed back again.
    pub reused: bool,
}

impl std::fmt::Debug for Checkout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkout")
            .field("reference", &self.reference)
            .field("checkout_url", &self.checkout_url)
            .field("provider_reference", &self.provider_reference)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("amount", &self.amount)
            .field("breakdown", &self.breakdown)
            .field("expires_at", &self.expires_at)
            .field("reused", &self.reused)
            .finish()
    }
}

impl Checkout {
    /// The gateway's part of it.
    pub fn collection(&self) -> Collection {
        Collection {
            reference: self.reference.clone(),
            checkout_url: self.checkout_url.clone(),
            provider_reference: self.provider_reference.clone(),
            client_secret: self.client_secret.clone(),
        }
    }

    pub(in crate::service) fn new(opened: Opened, amount: Money, breakdown: Breakdown) -> Checkout {
        Checkout {
            reference: opened.collection.reference,
            checkout_url: opened.collection.checkout_url,
            provider_reference: opened.collection.provider_reference,
            client_secret: opened.collection.client_secret,
            amount,
            breakdown,
            expires_at: opened.expires_at,
            reused: opened.reused,
        }
    }
}

/// A collection open at the gateway.
pub(in crate::service) struct Opened {
    pub(in crate::service) collection: Collection,
    pub(in crate::service) expires_at: DateTime<Utc>,
    pub(in crate::service) reused: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::payment::PaymentEvent;

    fn naira(n: &str) -> Money {
        Money::parse(n, Currency::NGN).unwrap()
    }

    fn checkout() -> Checkout {
        let mut breakdown = Breakdown::zero(naira("0"));
        breakdown.due = naira("10000");
        breakdown.penalties = naira("500");
        Checkout {
            reference: "ajo=c=g=r1=h1".into(),
            checkout_url: None,
            provider_reference: Some("pi_1".into()),
            client_secret: Some("pi_1_secret_abc".into()),
            amount: breakdown.total().unwrap(),
            breakdown,
            expires_at: DateTime::<Utc>::UNIX_EPOCH,
            reused: false,
        }
    }

    #[test]
    fn a_checkout_round_trips_through_json_with_its_breakdown() {
        let checkout = checkout();
        assert_eq!(checkout.amount, naira("10500"));
        let json = serde_json::to_value(&checkout).unwrap();
        for part in ["due", "arrears", "penalties", "deposit_top_up"] {
            assert!(json["breakdown"].get(part).is_some(), "{part} in {json}");
        }
        assert_eq!(json["client_secret"], "pi_1_secret_abc");
        assert_eq!(serde_json::from_value::<Checkout>(json).unwrap(), checkout);
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let checkout = checkout();
        assert!(!format!("{checkout:?}").contains("secret_abc"));
        assert!(!format!("{:?}", checkout.collection()).contains("secret_abc"));
        assert!(format!("{checkout:?}").contains("REDACTED"));
    }

    #[test]
    fn only_a_request_and_its_checkout_leave_a_collection_open() {
        let open = PaymentEvent::CheckoutOpened {
            checkout_url: None,
            provider_reference: None,
            client_secret: false,
        };
        assert!(!open.closes());
        assert!(PaymentEvent::Failed.closes());
        assert!(
            PaymentEvent::Expired {
                at: DateTime::<Utc>::UNIX_EPOCH
            }
            .closes()
        );
    }
}
