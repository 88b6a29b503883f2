//! What a provider is, declared once: its name and the currencies it moves money in, read
//! by both its webhook parser (here) and its API client (ajo-adapters).

use crate::money::Currency;

use super::Provider;

/// A provider and the currencies ajo moves money in through it.
///
/// Each provider declares its rail once, in its own module ([`rails`](super::rails) lists
/// them); the adapter's client refuses to send an amount in a currency its rail lacks, and
/// the webhook parser refuses an event in one ([`WebhookError::UnsupportedCurrency`]), so
/// the two sides cannot disagree. Messaging providers move no money: their rail has no
/// currencies.
///
/// Currencies compare with their code and minor units, so a caller-defined currency is
/// never taken for one of the provider's.
///
/// ```
/// use ajo_core::money::Currency;
/// use ajo_core::webhook::rails;
///
/// assert!(rails::PAYSTACK.supports(Currency::NGN));
/// assert!(!rails::PAYSTACK.supports(Currency::EUR));
/// assert_eq!(rails::PAYSTACK.currency("ngn"), Some(Currency::NGN));
/// assert!(rails::TWILIO.currencies().is_empty());
/// ```
///
/// [`WebhookError::UnsupportedCurrency`]: super::WebhookError::UnsupportedCurrency
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rail {
    provider: Provider,
    currencies: &'static [Currency],
}

impl Rail {
    /// A rail for `provider` taking `currencies` (empty for a messaging provider).
    pub const fn new(provider: Provider, currencies: &'static [Currency]) -> Rail {
        Rail {
            provider,
            currencies,
        }
    }

    /// The provider.
    pub const fn provider(&self) -> Provider {
        self.provider
    }

    /// The lowercase name, as in [`Provider::as_str`].
    pub fn name(&self) -> &'static str {
        self.provider.as_str()
    }

    /// Every currency the provider takes, each with its minor units.
    pub const fn currencies(&self) -> &'static [Currency] {
        self.currencies
    }

    /// Whether the provider takes `currency` (code and minor units).
    pub fn supports(&self, currency: Currency) -> bool {
        self.currencies.contains(&currency)
    }

    /// The currency the provider writes as `code`, compared without regard to ASCII case
    /// (Stripe writes `ngn`); `None` if the provider does not take it.
    pub fn currency(&self, code: &str) -> Option<Currency> {
        self.currencies
            .iter()
            .copied()
            .find(|c| c.code().eq_ignore_ascii_case(code))
    }
}

#[cfg(test)]
mod tests {
    use super::super::rails;
    use super::*;

    #[test]
    fn lookups_ignore_case_and_respect_minor_units() {
        let paystack = rails::PAYSTACK;
        assert_eq!(paystack.name(), "paystack");
        assert_eq!(paystack.currency("Ghs"), Some(Currency::GHS));
        assert_eq!(paystack.currency("EUR"), None);
        assert_eq!(paystack.currency(""), None);
        let points = Currency::new("PTS", 2).unwrap();
        assert!(!paystack.supports(points));
        assert_eq!(paystack.currency("PTS"), None);
        assert!(paystack.supports(Currency::NGN));
    }

    #[test]
    fn every_rail_names_its_provider_and_only_payment_rails_take_money() {
        for rail in rails::ALL {
            let moves_money = !matches!(rail.provider(), Provider::Twilio | Provider::SendGrid);
            assert_eq!(
                !rail.currencies().is_empty(),
                moves_money,
                "{}",
                rail.name()
            );
        }
    }
}
