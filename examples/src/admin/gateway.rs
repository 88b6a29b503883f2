//! `--gateway`: the payment provider `resolve --refund` and `reconcile` call.
//!
//! The provider's API key comes from the same environment variable `webhook_server`
//! reads (`PAYSTACK_SECRET_KEY`, `FLUTTERWAVE_SECRET_KEY`, `STRIPE_SECRET_KEY`), never from a
//! flag, so it stays out of the shell's history and the process list; its base URL from
//! `PAYSTACK_BASE_URL` and the like (a mock server in tests). The adapter is built by
//! `webhook_server`'s own wiring, from those variables alone. Without `--gateway` the
//! service gets [`NoGateway`], which refuses every call: crediting, charging and writing
//! off held money never call the gateway.

use std::sync::Arc;

use ajo_core::ledger::StatementLine;
use ajo_core::ports::{
    Collection, CollectionRequest, GatewayError, PaymentGateway, PaymentStatus, PayoutReceipt,
    PayoutRequest, RecipientDetails, RecipientId, RefundReceipt, RefundRequest,
};
use ajo_core::webhook::Provider;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clap::ValueEnum;

use super::AdminError;
use crate::webhook_server::{Config, vars, wiring};

/// A payment provider `--gateway` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[non_exhaustive]
pub enum GatewayChoice {
    /// Paystack: `PAYSTACK_SECRET_KEY`, `PAYSTACK_BASE_URL`.
    Paystack,
    /// Flutterwave: `FLUTTERWAVE_SECRET_KEY`, `FLUTTERWAVE_BASE_URL`.
    Flutterwave,
    /// Stripe: `STRIPE_SECRET_KEY`, `STRIPE_BASE_URL`.
    Stripe,
}

impl GatewayChoice {
    /// The provider, and the variables holding its API key and its base URL.
    fn spec(self) -> (Provider, &'static str, &'static str) {
        match self {
            GatewayChoice::Paystack => {
                (Provider::Paystack, vars::PAYSTACK, vars::PAYSTACK_BASE_URL)
            }
            GatewayChoice::Flutterwave => (
                Provider::Flutterwave,
                vars::FLUTTERWAVE_API_KEY,
                vars::FLUTTERWAVE_BASE_URL,
            ),
            GatewayChoice::Stripe => (
                Provider::Stripe,
                vars::STRIPE_API_KEY,
                vars::STRIPE_BASE_URL,
            ),
        }
    }
}

/// The gateway `choice` names, its key read from the environment; [`NoGateway`] for
/// `None`.
///
/// # Errors
/// [`AdminError::GatewayKey`] when the provider's key variable is unset;
/// [`AdminError::GatewayConfig`] for a key or base URL the provider's settings refuse;
/// [`AdminError::Gateway`] if the adapter cannot be built. None names the key.
pub fn gateway(choice: Option<GatewayChoice>) -> Result<Arc<dyn PaymentGateway>, AdminError> {
    let Some(choice) = choice else {
        return Ok(Arc::new(NoGateway));
    };
    let (provider, key_var, url_var) = choice.spec();
    // Only this provider's two variables: the rest of the environment (other providers'
    // keys, DATABASE_URL) has no say in which gateway is built.
    let config = Config::from_lookup(|var| {
        (var == key_var || var == url_var)
            .then(|| std::env::var_os(var))
            .flatten()
    })?;
    if config.payment_provider() != Some(provider) {
        return Err(AdminError::GatewayKey { var: key_var });
    }
    Ok(wiring::payment_gateway(&config)?)
}

/// The gateway when none was chosen: every call is refused with
/// [`GatewayError::InvalidRequest`], saying to pass `--gateway`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGateway;

impl NoGateway {
    fn refuse<T>() -> Result<T, GatewayError> {
        Err(GatewayError::InvalidRequest {
            message: "no payment gateway: pass --gateway paystack|flutterwave|stripe, with \
                      its API key in the environment"
                .into(),
        })
    }
}

#[async_trait]
impl PaymentGateway for NoGateway {
    fn provider(&self) -> &'static str {
        "none"
    }

    async fn start_collection(&self, _: &CollectionRequest) -> Result<Collection, GatewayError> {
        NoGateway::refuse()
    }

    async fn verify_payment(&self, _: &str) -> Result<PaymentStatus, GatewayError> {
        NoGateway::refuse()
    }

    async fn create_recipient(&self, _: &RecipientDetails) -> Result<RecipientId, GatewayError> {
        NoGateway::refuse()
    }

    async fn send_payout(&self, _: &PayoutRequest) -> Result<PayoutReceipt, GatewayError> {
        NoGateway::refuse()
    }

    async fn refund(&self, _: &RefundRequest) -> Result<RefundReceipt, GatewayError> {
        NoGateway::refuse()
    }

    async fn list_transactions(
        &self,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<Vec<StatementLine>, GatewayError> {
        NoGateway::refuse()
    }
}
