use ajo_core::ids::RecipientId;
use ajo_core::ledger::StatementLine;
use ajo_core::phone::Msisdn;
use ajo_core::ports::{
    Collection, CollectionRequest, GatewayError, PaymentGateway, PaymentState, PaymentStatus,
    PayoutReceipt, PayoutRequest, PayoutState, PayoutStatus, RecipientDetails, RefundReceipt,
    RefundRequest,
};
use ajo_core::webhook::{momo_reference_id, rails};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use reqwest::header::HeaderName;
use secrecy::{ExposeSecret, SecretString};
use tracing::instrument;

use crate::http::{ApiRequest, ApiResponse, TokenCache, path_segment};

use super::error::{invalid, map_error, unexpected};
use super::wire;
use super::{MomoGateway, PROVIDER, Product};

const REFERENCE_ID: HeaderName = HeaderName::from_static("x-reference-id");
const CALLBACK_URL: HeaderName = HeaderName::from_static("x-callback-url");
const TARGET: HeaderName = HeaderName::from_static("x-target-environment");
const SUBSCRIPTION: HeaderName = HeaderName::from_static("ocp-apim-subscription-key");

/// A status as the port's state: `SUCCESSFUL`, `FAILED`, `PENDING`; anything else is an
/// answer not understood, never a success.
fn state(status: &str, http: u16) -> Result<PaymentState, GatewayError> {
    match status {
        "SUCCESSFUL" => Ok(PaymentState::Succeeded),
        "FAILED" => Ok(PaymentState::Failed),
        "PENDING" => Ok(PaymentState::Pending),
        _ => Err(unexpected(http)),
    }
}

impl MomoGateway {
    fn product_key(&self, product: Product) -> Result<&SecretString, GatewayError> {
        let key = match product {
            Product::Collection => self.config.collection_key.as_ref(),
            Product::Disbursement => self.config.disbursement_key.as_ref(),
        };
        key.ok_or_else(|| {
            invalid(format!(
                "mtn-momo: the {} product is not configured",
                product.path()
            ))
        })
    }

    fn tokens(&self, product: Product) -> &TokenCache {
        match product {
            Product::Collection => &self.collection_token,
            Product::Disbursement => &self.disbursement_token,
        }
    }

    async fn token(&self, product: Product) -> Result<SecretString, GatewayError> {
        let key = self.product_key(product)?;
        self.tokens(product)
            .get(self.config.clock.as_ref(), || async {
                let call = ApiRequest::post(format!("/{}/token/", product.path()))
                    .idempotent(true)
                    .basic(&self.config.api_user, &self.config.api_key)
                    .header(SUBSCRIPTION, key.expose_secret());
                let response = self.api.send(&call).await?;
                if !response.is_success() {
                    return Err(match response.status {
                        400 | 401 | 403 => GatewayError::Unauthorized,
                        _ => map_error(&response, None),
                    });
                }
                let token: wire::Token =
                    response.json().map_err(|_| unexpected(response.status))?;
                // A day at most: a lifetime past chrono's range must not panic.
                let lifetime = token
                    .lifetime_s()
                    .filter(|s| *s > 0)
                    .and_then(|s| Duration::try_seconds(s.min(86_400)))
                    .ok_or_else(|| unexpected(response.status))?;
                Ok((SecretString::from(token.access_token), lifetime))
            })
            .await
    }

    /// Sends `request` to `product` with its token, target environment and subscription
    /// key; a `401` drops the token and the call is made once more with a fresh one.
    async fn send(
        &self,
        product: Product,
        request: ApiRequest,
    ) -> Result<ApiResponse, GatewayError> {
        let key = self.product_key(product)?.clone();
        let request = request
            .header(TARGET, &self.config.target_environment)
            .header(SUBSCRIPTION, key.expose_secret());
        let token = self.token(product).await?;
        let response = self.api.send(&request.clone().bearer(&token)).await?;
        if response.status != 401 {
            return Ok(response);
        }
        self.tokens(product).refused(&token).await;
        let token = self.token(product).await?;
        Ok(self.api.send(&request.bearer(&token)).await?)
    }

    fn msisdn(&self, phone: &str) -> Result<String, GatewayError> {
        Msisdn::parse(phone, self.config.country)
            .map(|m| m.as_str().to_owned())
            .map_err(|e| invalid(format!("mtn-momo: the phone number is not valid: {e}")))
    }

    /// The status of the request to pay or transfer made for `reference`.
    async fn status(
        &self,
        product: Product,
        reference: &str,
    ) -> Result<(wire::Status, u16), GatewayError> {
        let what = match product {
            Product::Collection => "requesttopay",
            Product::Disbursement => "transfer",
        };
        let id = momo_reference_id(reference);
        let path = format!("/{}/v1_0/{what}/{}", product.path(), path_segment(&id));
        let response = self.send(product, ApiRequest::get(path)).await?;
        if !response.is_success() {
            return Err(map_error(&response, Some(reference)));
        }
        let status: wire::Status = response.json().map_err(|_| unexpected(response.status))?;
        if status
            .external_id
            .as_deref()
            .is_some_and(|external| external != reference)
        {
            return Err(unexpected(response.status));
        }
        Ok((status, response.status))
    }

    /// Posts a request to pay or a transfer under `reference`'s `X-Reference-Id`.
    async fn create(
        &self,
        product: Product,
        reference: &str,
        body: &wire::Request<'_>,
    ) -> Result<ApiResponse, GatewayError> {
        let what = match product {
            Product::Collection => "requesttopay",
            Product::Disbursement => "transfer",
        };
        let callback = self
            .config
            .callback
            .callback_url(&self.config.callback_base, reference);
        // Safe to resend: MTN refuses an X-Reference-Id it has seen (409).
        let call = ApiRequest::post(format!("/{}/v1_0/{what}", product.path()))
            .idempotent(true)
            .header(REFERENCE_ID, &momo_reference_id(reference))
            .header(CALLBACK_URL, &callback)
            .json_from(body)
            .map_err(|_| invalid("mtn-momo: the request could not be encoded"))?;
        self.send(product, call).await
    }
}

#[async_trait]
impl PaymentGateway for MomoGateway {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn start_collection(
        &self,
        request: &CollectionRequest,
    ) -> Result<Collection, GatewayError> {
        let amount = wire::amount_text(&request.amount)?;
        let phone = request
            .payer_phone
            .as_deref()
            .ok_or_else(|| invalid("mtn-momo: a request to pay needs the payer's phone number"))?;
        let payer = self.msisdn(phone)?;
        self.product_key(Product::Collection)?;
        let note = wire::cut(&request.description, 160);
        let currency = request.amount.currency();
        let body = wire::Request {
            amount,
            currency: currency.code(),
            external_id: &request.reference,
            payer: Some(wire::Party {
                party_id_type: "MSISDN",
                party_id: &payer,
            }),
            payee: None,
            payer_message: &note,
            payee_note: &note,
        };
        let response = self
            .create(Product::Collection, &request.reference, &body)
            .await?;
        // 202 Accepted; 409 is this same request, made before.
        if !(response.is_success() || response.status == 409) {
            return Err(map_error(&response, None));
        }
        Ok(Collection {
            reference: request.reference.clone(),
            checkout_url: None,
            provider_reference: Some(momo_reference_id(&request.reference)),
            client_secret: None,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %reference), err)]
    async fn verify_payment(&self, reference: &str) -> Result<PaymentStatus, GatewayError> {
        let (status, http) = self.status(Product::Collection, reference).await?;
        let state = state(&status.status, http)?;
        let amount = match state {
            PaymentState::Succeeded => wire::status_amount(&status, http)?,
            _ => None,
        };
        Ok(PaymentStatus {
            reference: reference.to_owned(),
            state,
            amount,
            paid_at: None,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %reference), err)]
    async fn verify_payout(
        &self,
        transaction_id: &str,
        reference: &str,
    ) -> Result<PayoutStatus, GatewayError> {
        if transaction_id != momo_reference_id(reference) {
            // A report about another transfer than the one made for this reference.
            return Err(GatewayError::NotFound {
                reference: reference.to_owned(),
            });
        }
        let (status, http) = self.status(Product::Disbursement, reference).await?;
        let state = match state(&status.status, http)? {
            PaymentState::Succeeded => PayoutState::Succeeded,
            PaymentState::Failed => PayoutState::Failed,
            _ => PayoutState::Pending,
        };
        Ok(PayoutStatus {
            reference: reference.to_owned(),
            state,
            amount: wire::status_amount(&status, http)?,
        })
    }

    /// MTN refuses an `X-Reference-Id` it has seen: a failed transfer is sent again under
    /// a fresh reference.
    fn resends_failed_payouts(&self) -> bool {
        false
    }

    #[instrument(skip_all, fields(provider = PROVIDER, currency = %recipient.currency), err)]
    async fn create_recipient(
        &self,
        recipient: &RecipientDetails,
    ) -> Result<RecipientId, GatewayError> {
        if rails::MTN_MOMO.currency(&recipient.currency).is_none() {
            return Err(invalid(format!(
                "mtn-momo does not pay out in {}",
                recipient.currency
            )));
        }
        // A transfer pays a mobile number: nothing to register, only a number to check.
        let msisdn = self.msisdn(&recipient.account_number)?;
        RecipientId::new(msisdn).map_err(|_| invalid("mtn-momo: the phone number is not valid"))
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, GatewayError> {
        let amount = wire::amount_text(&request.amount)?;
        let payee = self.msisdn(request.recipient.as_str())?;
        self.product_key(Product::Disbursement)?;
        let note = wire::cut(&request.reason, 160);
        let currency = request.amount.currency();
        let body = wire::Request {
            amount,
            currency: currency.code(),
            external_id: &request.reference,
            payer: None,
            payee: Some(wire::Party {
                party_id_type: "MSISDN",
                party_id: &payee,
            }),
            payer_message: &note,
            payee_note: &note,
        };
        let response = self
            .create(Product::Disbursement, &request.reference, &body)
            .await?;
        let state = if response.is_success() {
            PayoutState::Pending
        } else if response.status == 409 {
            // Made before under this reference: what became of it is the answer.
            let (status, http) = self
                .status(Product::Disbursement, &request.reference)
                .await?;
            match state(&status.status, http)? {
                PaymentState::Succeeded => PayoutState::Succeeded,
                PaymentState::Failed => PayoutState::Failed,
                _ => PayoutState::Pending,
            }
        } else {
            return Err(map_error(&response, None));
        };
        Ok(PayoutReceipt {
            reference: request.reference.clone(),
            provider_reference: Some(momo_reference_id(&request.reference)),
            state,
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, GatewayError> {
        let _ = request;
        Err(invalid(
            "mtn-momo: refunds are not offered through this adapter; pay the member back by transfer",
        ))
    }

    async fn list_transactions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatementLine>, GatewayError> {
        let _ = (from, to);
        Err(invalid(
            "mtn-momo: the Open API has no statement to list; reconcile with the partner portal",
        ))
    }
}
