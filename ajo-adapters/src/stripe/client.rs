use ajo_core::ids::RecipientId;
use ajo_core::ledger::StatementLine;
use ajo_core::ports::{
    Collection, CollectionRequest, GatewayError, PaymentGateway, PaymentState, PaymentStatus,
    PayoutReceipt, PayoutRequest, RecipientDetails, RefundReceipt, RefundRequest,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderName;
use serde::de::DeserializeOwned;
use tracing::instrument;

use crate::http::{ApiRequest, ApiResponse, path_segment};

use super::error::{invalid, map_error, not_found, unexpected};
use super::wire::{self, REFERENCE_FIELD};
use super::{API_VERSION, PROVIDER, StripeGateway};

/// Records per page when listing (Stripe's maximum).
const PER_PAGE: &str = "100";

/// The most pages read for one statement: past that, ask for a shorter period rather than
/// reconcile against a truncated list.
const MAX_PAGES: usize = 200;

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const STRIPE_VERSION: HeaderName = HeaderName::from_static("stripe-version");

fn query(pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// A POST that Stripe carries out at most once per `key` (for 24 hours), so retrying it
/// after a timeout or a 5xx is safe.
fn keyed_post(path: &str, key: &str, form: &[(&str, &str)]) -> ApiRequest {
    ApiRequest::post(path)
        .idempotent(true)
        .header(IDEMPOTENCY_KEY, key)
        .form(form.iter().copied())
}

impl StripeGateway {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, GatewayError> {
        let request = request
            .bearer(&self.secret_key)
            .header(STRIPE_VERSION, API_VERSION);
        Ok(self.api.send(&request).await?)
    }

    fn object<T: DeserializeOwned>(response: &ApiResponse) -> Result<T, GatewayError> {
        response.json().map_err(|_| unexpected(response.status))
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
        reference: Option<&str>,
    ) -> Result<T, GatewayError> {
        let response = self.send(request).await?;
        if !response.is_success() {
            return Err(map_error(&response, reference));
        }
        Self::object(&response)
    }

    /// The PaymentIntent made for our reference, if Stripe's search sees it yet.
    async fn find_intent(
        &self,
        reference: &str,
    ) -> Result<Option<wire::PaymentIntent>, GatewayError> {
        let search = query(&[
            ("query", &wire::reference_query(reference)),
            ("expand[]", "data.latest_charge"),
        ]);
        let found: wire::List<wire::PaymentIntent> = self
            .call(
                ApiRequest::get(format!("/v1/payment_intents/search?{search}")),
                None,
            )
            .await?;
        // The newest first, as Stripe orders them; a reference only ever has one unless
        // a create was repeated after the key window.
        Ok(found
            .data
            .into_iter()
            .filter(|intent| intent.reference() == Some(reference))
            .max_by_key(|intent| intent.created.unwrap_or(0)))
    }
}

/// What a PaymentIntent says about the collection made under `reference`.
fn intent_status(
    reference: &str,
    intent: &wire::PaymentIntent,
) -> Result<PaymentStatus, GatewayError> {
    let state = intent.state()?;
    let amount = match state {
        PaymentState::Succeeded | PaymentState::Reversed => Some(wire::from_minor(
            intent.amount_received.unwrap_or(intent.amount),
            &intent.currency,
        )?),
        _ => None,
    };
    Ok(PaymentStatus {
        reference: reference.to_owned(),
        state,
        amount,
        paid_at: None,
    })
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn start_collection(
        &self,
        request: &CollectionRequest,
    ) -> Result<Collection, GatewayError> {
        let amount = wire::to_minor(&request.amount)?.to_string();
        let currency = wire::currency_code(&request.amount);
        if let Some(existing) = self.find_intent(&request.reference).await? {
            return Ok(Collection {
                reference: request.reference.clone(),
                checkout_url: None,
                provider_reference: Some(existing.id),
                client_secret: existing.client_secret.map(|s| s.0),
            });
        }
        let mut form = vec![
            ("amount", amount.as_str()),
            ("currency", currency.as_str()),
            ("automatic_payment_methods[enabled]", "true"),
            ("description", request.description.as_str()),
            (REFERENCE_FIELD, request.reference.as_str()),
        ];
        if !request.email.trim().is_empty() {
            form.push(("receipt_email", request.email.as_str()));
        }
        let key = format!("ajo-collect-{}", request.reference);
        let intent: wire::PaymentIntent = self
            .call(keyed_post("/v1/payment_intents", &key, &form), None)
            .await?;
        Ok(Collection {
            reference: request.reference.clone(),
            checkout_url: None,
            provider_reference: Some(intent.id),
            client_secret: intent.client_secret.map(|s| s.0),
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %reference), err)]
    async fn verify_payment(&self, reference: &str) -> Result<PaymentStatus, GatewayError> {
        let intent = self
            .find_intent(reference)
            .await?
            .ok_or_else(|| not_found(reference))?;
        intent_status(reference, &intent)
    }

    /// A PaymentIntent (`pi_…`) by its id, with no search lag: `GET
    /// /v1/payment_intents/{id}`. The status names the `ajo_reference` the intent carries
    /// (or its id when it carries none), for the caller to compare or to find the
    /// collection by. Other ids are looked up by reference.
    #[instrument(skip_all, fields(provider = PROVIDER, transaction_id = %transaction_id), err)]
    async fn verify_transaction(
        &self,
        transaction_id: &str,
        reference: &str,
    ) -> Result<PaymentStatus, GatewayError> {
        if !transaction_id.starts_with("pi_") {
            return self.verify_payment(reference).await;
        }
        let expand = query(&[("expand[]", "latest_charge")]);
        let intent: wire::PaymentIntent = self
            .call(
                ApiRequest::get(format!(
                    "/v1/payment_intents/{}?{expand}",
                    path_segment(transaction_id)
                )),
                Some(transaction_id),
            )
            .await?;
        let recorded = intent.reference().unwrap_or(intent.id.as_str()).to_owned();
        intent_status(&recorded, &intent)
    }

    #[instrument(skip_all, fields(provider = PROVIDER, currency = %recipient.currency), err)]
    async fn create_recipient(
        &self,
        recipient: &RecipientDetails,
    ) -> Result<RecipientId, GatewayError> {
        if recipient.currency.is_empty() || recipient.currency.len() > 10 {
            return Err(invalid("stripe: a recipient needs its account's currency"));
        }
        let currency = recipient.currency.to_ascii_lowercase();
        let country = self.recipient_country.as_str();
        let form = [
            ("type", "custom"),
            ("country", country),
            ("business_type", "individual"),
            ("capabilities[transfers][requested]", "true"),
            ("external_account[object]", "bank_account"),
            ("external_account[country]", country),
            ("external_account[currency]", currency.as_str()),
            (
                "external_account[account_holder_name]",
                recipient.name.as_str(),
            ),
            (
                "external_account[routing_number]",
                recipient.bank_code.as_str(),
            ),
            (
                "external_account[account_number]",
                recipient.account_number.as_str(),
            ),
        ];
        // No idempotency key and no retry after sending: a second account would be left
        // behind, and no money moves here.
        let account: wire::Account = self
            .call(ApiRequest::post("/v1/accounts").form(form), None)
            .await?;
        // An id ajo could not store (empty, spaces, too long) is an answer not understood.
        RecipientId::new(account.id).map_err(|_| unexpected(200))
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, GatewayError> {
        let amount = wire::to_minor(&request.amount)?.to_string();
        let currency = wire::currency_code(&request.amount);
        let group = query(&[("transfer_group", &request.reference), ("limit", "10")]);
        let made: wire::List<wire::Transfer> = self
            .call(ApiRequest::get(format!("/v1/transfers?{group}")), None)
            .await?;
        // Sent before, perhaps beyond the key's 24 hours: that transfer is this payout.
        let transfer = match made.data.into_iter().next() {
            Some(transfer) => transfer,
            None => {
                let form = [
                    ("amount", amount.as_str()),
                    ("currency", currency.as_str()),
                    ("destination", request.recipient.as_str()),
                    ("description", request.reason.as_str()),
                    ("transfer_group", request.reference.as_str()),
                    (REFERENCE_FIELD, request.reference.as_str()),
                ];
                let key = format!("ajo-payout-{}", request.reference);
                self.call(keyed_post("/v1/transfers", &key, &form), None)
                    .await?
            }
        };
        Ok(PayoutReceipt {
            reference: request.reference.clone(),
            state: transfer.state(),
            provider_reference: Some(transfer.id),
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.payment_reference), err)]
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, GatewayError> {
        let amount = request
            .amount
            .as_ref()
            .map(wire::to_minor)
            .transpose()?
            .map(|minor| minor.to_string());
        let intent = self
            .find_intent(&request.payment_reference)
            .await?
            .ok_or_else(|| not_found(&request.payment_reference))?;
        let mut form = vec![
            ("payment_intent", intent.id.as_str()),
            ("reason", "requested_by_customer"),
            (REFERENCE_FIELD, request.payment_reference.as_str()),
            ("metadata[ajo_reason]", request.reason.as_str()),
        ];
        if let Some(amount) = &amount {
            form.push(("amount", amount.as_str()));
        }
        // One refund per collection and amount: the same refund asked again within the
        // key's 24 hours is replayed, not repeated.
        let key = format!(
            "ajo-refund-{}-{}",
            request.payment_reference,
            amount.as_deref().unwrap_or("full")
        );
        let refund: wire::Refund = self
            .call(
                keyed_post("/v1/refunds", &key, &form),
                Some(&request.payment_reference),
            )
            .await?;
        Ok(RefundReceipt {
            payment_reference: request.payment_reference.clone(),
            provider_reference: Some(refund.id),
            state: wire::refund_state(&refund.status)?,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER), err)]
    async fn list_transactions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatementLine>, GatewayError> {
        let gte = from.timestamp().to_string();
        let lt = to.timestamp().to_string();
        let mut lines = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut pairs = vec![
                ("created[gte]", gte.as_str()),
                ("created[lt]", lt.as_str()),
                ("limit", PER_PAGE),
                ("expand[]", "data.source"),
            ];
            if let Some(after) = &after {
                pairs.push(("starting_after", after.as_str()));
            }
            let page: wire::List<wire::BalanceTransaction> = self
                .call(
                    ApiRequest::get(format!("/v1/balance_transactions?{}", query(&pairs))),
                    None,
                )
                .await?;
            after = page.data.last().map(|t| t.id.clone());
            for transaction in page.data.iter().filter(|t| t.is_ajo_money()) {
                let fee = match transaction.fee {
                    0 => None,
                    fee => Some(wire::from_minor(fee, &transaction.currency)?),
                };
                lines.push(StatementLine {
                    reference: transaction.reference(),
                    amount: wire::from_minor(transaction.amount, &transaction.currency)?,
                    fee,
                });
            }
            if !page.has_more || after.is_none() {
                return Ok(lines);
            }
        }
        Err(invalid(format!(
            "stripe: more than {MAX_PAGES} pages of balance transactions; ask for a shorter period"
        )))
    }
}
