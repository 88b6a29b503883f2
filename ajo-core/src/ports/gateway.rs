use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use crate::ids::RecipientId;
use crate::ledger::StatementLine;
use crate::money::Money;

/// A payment provider (Paystack, Flutterwave, Stripe...): collecting contributions and
/// repayments, paying out, refunding and listing what moved.
///
/// # Contract for implementers
///
/// - References are ours and deterministic: starting a collection twice with the same
///   reference must not charge twice (reuse the provider's idempotency features, or
///   return the existing checkout).
/// - [`verify_payment`](Self::verify_payment) asks the provider; it never trusts a
///   webhook. An unknown reference is [`GatewayError::NotFound`].
/// - Errors say whether a retry is safe ([`GatewayError::is_retryable`]); a status the
///   adapter does not recognise is [`GatewayError::Unexpected`], never success.
/// - Amounts the provider cannot take (too many decimals, an unsupported currency) are
///   [`GatewayError::InvalidRequest`] before any request is sent.
/// - No secret, full account number or card detail appears in an error or a log line.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync + fmt::Debug + 'static {
    /// The provider's name, for references and logs (`"paystack"`).
    fn provider(&self) -> &'static str;

    /// Starts collecting `amount` from a payer: returns where to send them, with the
    /// client secret when the provider's SDK needs one. Sending `callback_url` on to the
    /// provider (where it has one) brings the payer back to the host.
    ///
    /// Called again with a reference it has seen, an implementation answers with the
    /// collection it started (never a second charge); one whose provider will not say
    /// (Paystack) may answer with no checkout URL, which is why the service keeps the
    /// first answer and never sends a reference twice for that.
    async fn start_collection(
        &self,
        request: &CollectionRequest,
    ) -> Result<Collection, GatewayError>;

    /// What the provider says about a collection.
    async fn verify_payment(&self, reference: &str) -> Result<PaymentStatus, GatewayError>;

    /// What the provider says about one charge, found by the provider's own id for it
    /// (as its webhook names it), with our reference as the provider recorded it in
    /// [`PaymentStatus::reference`]: how the service confirms a charge reported by a
    /// webhook it cannot fully trust. `reference` is the reference the webhook claimed.
    ///
    /// The default asks by reference ([`verify_payment`](Self::verify_payment)), which is
    /// as good where the provider keeps one charge per reference; a provider that can take
    /// several charges under one reference (Flutterwave) should look the id up.
    async fn verify_transaction(
        &self,
        transaction_id: &str,
        reference: &str,
    ) -> Result<PaymentStatus, GatewayError> {
        let _ = transaction_id;
        self.verify_payment(reference).await
    }

    /// What the provider says about a collection the service opened: how `tick`'s
    /// re-verification and the confirmation of a reported charge ask.
    ///
    /// The default asks by the transaction id a report named
    /// ([`verify_transaction`](Self::verify_transaction)), else by reference
    /// ([`verify_payment`](Self::verify_payment)). A provider that finds collections only
    /// by its own checkout id and reports no amount (M-Pesa's STK Push Query) overrides
    /// it: [`CollectionQuery::checkout`] is the id the gateway gave when the collection
    /// was opened, as the service recorded it, never one a report claims, and
    /// [`CollectionQuery::requested`] the amount the payer was asked for.
    async fn verify_collection(
        &self,
        query: &CollectionQuery,
    ) -> Result<PaymentStatus, GatewayError> {
        match query.transaction_id.as_deref() {
            Some(id) => self.verify_transaction(id, &query.reference).await,
            None => self.verify_payment(&query.reference).await,
        }
    }

    /// What the provider says about a payout it reported, found by the provider's own id
    /// for the transfer (as its webhook names it), with the reference the provider
    /// recorded in [`PayoutStatus::reference`]: how the service confirms a payout report
    /// it cannot fully trust. `reference` is the reference the report claimed.
    ///
    /// The default is [`GatewayError::InvalidRequest`]: a provider that cannot look
    /// transfers up by id leaves such reports to `tick`, which asks by sending again under
    /// the same reference.
    async fn verify_payout(
        &self,
        transaction_id: &str,
        reference: &str,
    ) -> Result<PayoutStatus, GatewayError> {
        let _ = (transaction_id, reference);
        Err(GatewayError::InvalidRequest {
            message: format!("{}: payouts cannot be looked up by id", self.provider()),
        })
    }

    /// Whether a payout that failed can be sent again under the same reference. The
    /// default, `true`, suits a provider that takes a failed transfer's reference again
    /// (Paystack). A provider that refuses any reference it has seen (MTN MoMo's
    /// `X-Reference-Id`, M-Pesa's `OriginatorConversationID`) answers `false`: the service
    /// then sends what is owed in a new attempt under a fresh reference, once the gateway
    /// has confirmed the failure.
    fn resends_failed_payouts(&self) -> bool {
        true
    }

    /// Registers a payout recipient (a bank account or mobile wallet).
    async fn create_recipient(
        &self,
        recipient: &RecipientDetails,
    ) -> Result<RecipientId, GatewayError>;

    /// Sends a payout to a recipient.
    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, GatewayError>;

    /// Refunds a collection, in full or in part.
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, GatewayError>;

    /// What moved between `from` and `to`, for reconciliation (collections positive,
    /// payouts and refunds negative).
    async fn list_transactions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatementLine>, GatewayError>;
}

/// What the service knows of a collection it asks the gateway about
/// ([`PaymentGateway::verify_collection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionQuery {
    /// Our reference.
    pub reference: String,
    /// The provider's id for the charge, as a report named it (not yet confirmed).
    pub transaction_id: Option<String>,
    /// The provider's id for the collection, as the gateway gave it when the collection
    /// was opened ([`Collection::provider_reference`]) and the service recorded it.
    pub checkout: Option<String>,
    /// What the payer was asked for.
    pub requested: Option<Money>,
}

impl CollectionQuery {
    /// A query by reference alone.
    pub fn new(reference: impl Into<String>) -> CollectionQuery {
        CollectionQuery {
            reference: reference.into(),
            transaction_id: None,
            checkout: None,
            requested: None,
        }
    }

    /// The same, with the transaction id a report named.
    #[must_use]
    pub fn with_transaction_id(mut self, id: Option<&str>) -> CollectionQuery {
        self.transaction_id = id.map(str::to_owned);
        self
    }

    /// The same, with the checkout the service recorded and the amount it asked for.
    #[must_use]
    pub fn with_checkout(
        mut self,
        checkout: Option<&str>,
        requested: Option<Money>,
    ) -> CollectionQuery {
        self.checkout = checkout.map(str::to_owned);
        self.requested = requested;
        self
    }
}

/// A request to collect money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionRequest {
    /// Our deterministic reference.
    pub reference: String,
    /// How much.
    pub amount: Money,
    /// The payer's email (most African gateways require one).
    pub email: String,
    /// What it is for, shown to the payer.
    pub description: String,
    /// Where the provider sends the payer afterwards.
    pub callback_url: Option<String>,
    /// The payer's phone number as the member gave it (any common form), for rails that
    /// charge a mobile wallet (M-Pesa STK Push, MTN MoMo request to pay); each adapter
    /// reads it in its own country's format and refuses it, before any request, when it
    /// is not a valid number there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_phone: Option<String>,
}

/// Where to send the payer.
///
/// A host shows the payer `checkout_url` (Paystack, Flutterwave), or hands
/// `client_secret` to the provider's client SDK (Stripe's PaymentIntent). `Debug` hides
/// the client secret: it lets whoever holds it complete the payment, and Stripe asks that
/// it be shown to the payer only, never logged or stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    /// Our reference.
    pub reference: String,
    /// A hosted checkout page, if the provider has one.
    pub checkout_url: Option<String>,
    /// The provider's own id for the collection.
    pub provider_reference: Option<String>,
    /// What the provider's client SDK needs to take the payment in an app (Stripe's
    /// PaymentIntent `client_secret`), if the provider works that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl fmt::Debug for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collection")
            .field("reference", &self.reference)
            .field("checkout_url", &self.checkout_url)
            .field("provider_reference", &self.provider_reference)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

/// How a collection stands at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentState {
    /// Not finished.
    Pending,
    /// Money received.
    Succeeded,
    /// Declined or abandoned.
    Failed,
    /// Refunded or charged back after succeeding.
    Reversed,
}

/// The provider's answer to [`PaymentGateway::verify_payment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStatus {
    /// Our reference.
    pub reference: String,
    /// Where it stands.
    pub state: PaymentState,
    /// What was paid, when known.
    pub amount: Option<Money>,
    /// When it was paid, when known.
    pub paid_at: Option<DateTime<Utc>>,
}

/// The provider's answer to [`PaymentGateway::verify_payout`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutStatus {
    /// Our reference, as the provider recorded it.
    pub reference: String,
    /// Where the transfer stands.
    pub state: PayoutState,
    /// How much it moves, when the provider says.
    pub amount: Option<Money>,
}

/// A payout recipient's details. The account number is hidden in `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientDetails {
    /// The account holder's name.
    pub name: String,
    /// The bank (or mobile-money operator) code.
    pub bank_code: String,
    /// The account (or wallet) number.
    pub account_number: String,
    /// The account's currency code.
    pub currency: String,
}

impl fmt::Debug for RecipientDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last4: String = self
            .account_number
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        f.debug_struct("RecipientDetails")
            .field("name", &self.name)
            .field("bank_code", &self.bank_code)
            .field("account_number", &format_args!("****{last4}"))
            .field("currency", &self.currency)
            .finish()
    }
}

/// A request to pay someone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutRequest {
    /// Our deterministic reference (the same payout retried keeps it).
    pub reference: String,
    /// Who.
    pub recipient: RecipientId,
    /// How much.
    pub amount: Money,
    /// What for.
    pub reason: String,
}

/// How a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutState {
    /// Accepted, not final.
    Pending,
    /// Delivered.
    Succeeded,
    /// Not delivered.
    Failed,
    /// Delivered, then returned.
    Reversed,
}

/// The provider's answer to [`PaymentGateway::send_payout`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutReceipt {
    /// Our reference.
    pub reference: String,
    /// The provider's id.
    pub provider_reference: Option<String>,
    /// Where it stands.
    pub state: PayoutState,
}

/// A request to refund a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The collection's reference.
    pub payment_reference: String,
    /// How much; `None` refunds it all.
    pub amount: Option<Money>,
    /// Why.
    pub reason: String,
}

/// The provider's answer to [`PaymentGateway::refund`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundReceipt {
    /// The collection's reference.
    pub payment_reference: String,
    /// The provider's refund id.
    pub provider_reference: Option<String>,
    /// Whether it is final.
    pub state: PayoutState,
}

/// Why a gateway call failed. Never carries a secret, a full account number or a body.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The provider declined (the provider's code kept for support).
    #[error("declined by the provider ({code})")]
    Declined {
        /// The provider's reason code.
        code: String,
    },
    /// Not enough money in the paying (or payout) account.
    #[error("insufficient funds")]
    InsufficientFunds,
    /// The request is wrong and will stay wrong.
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong (no secrets, no bodies).
        message: String,
    },
    /// The credentials were refused.
    #[error("unauthorised: check the secret key")]
    Unauthorized,
    /// Nothing is known under that reference.
    #[error("not found: {reference}")]
    NotFound {
        /// The reference asked about.
        reference: String,
    },
    /// Too many requests; wait before retrying.
    #[error("rate limited")]
    RateLimited {
        /// How long the provider asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The provider is down or overloaded.
    #[error("provider unavailable")]
    Unavailable,
    /// No answer in time; the request may or may not have been carried out.
    #[error("timed out")]
    Timeout,
    /// An answer the adapter does not understand.
    #[error("unexpected answer from {provider} (status {status})")]
    Unexpected {
        /// The provider.
        provider: &'static str,
        /// The HTTP status.
        status: u16,
    },
}

impl GatewayError {
    /// Whether retrying the same request (with the same reference) is safe and may work.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            GatewayError::RateLimited { .. } | GatewayError::Unavailable | GatewayError::Timeout
        )
    }

    /// How long to wait before a retry, when the provider said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GatewayError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}
