use ajo_core::ids::RecipientId;
use ajo_core::ledger::StatementLine;
use ajo_core::money::Currency;
use ajo_core::phone::{Country, Msisdn};
use ajo_core::ports::{
    Collection, CollectionQuery, CollectionRequest, GatewayError, PaymentGateway, PaymentState,
    PaymentStatus, PayoutReceipt, PayoutRequest, PayoutState, RecipientDetails, RefundReceipt,
    RefundRequest,
};
use ajo_core::webhook::{MPESA_B2C_TAG, MPESA_STATUS_PARAM};
use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::instrument;

use crate::http::{ApiRequest, ApiResponse};

use super::error::{ErrorBody, invalid, map_error, unexpected};
use super::wire;
use super::{MpesaGateway, PROVIDER, Pushed, StkTarget};

/// A Kenyan number in Daraja's `2547XXXXXXXX` form, or why not.
fn kenyan(phone: &str) -> Result<String, GatewayError> {
    let msisdn = Msisdn::parse(phone, Country::KE)
        .map_err(|e| invalid(format!("mpesa: the phone number is not valid: {e}")))?;
    msisdn
        .for_mpesa()
        .map(str::to_owned)
        .map_err(|e| invalid(format!("mpesa: {e}")))
}

impl MpesaGateway {
    /// A bearer token, from the cache or Daraja.
    async fn token(&self) -> Result<SecretString, GatewayError> {
        self.token
            .get(self.config.clock.as_ref(), || async {
                let call = ApiRequest::get("/oauth/v1/generate?grant_type=client_credentials")
                    .basic(&self.config.consumer_key, &self.config.consumer_secret);
                let response = self.api.send(&call).await?;
                if !response.is_success() {
                    return Err(match response.status {
                        400 | 401 | 403 => GatewayError::Unauthorized,
                        _ => map_error(&response),
                    });
                }
                let token: wire::OAuthToken =
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

    /// Sends `request` with a bearer token; a token Daraja refuses is dropped and the call
    /// made once more with a fresh one.
    async fn send(&self, request: &ApiRequest) -> Result<ApiResponse, GatewayError> {
        let token = self.token().await?;
        let response = self.api.send(&request.clone().bearer(&token)).await?;
        if response.is_success() || !ErrorBody::read(&response).is_bad_token() {
            return Ok(response);
        }
        self.token.refused(&token).await;
        let token = self.token().await?;
        let response = self.api.send(&request.clone().bearer(&token)).await?;
        if !response.is_success() && ErrorBody::read(&response).is_bad_token() {
            return Err(GatewayError::Unauthorized);
        }
        Ok(response)
    }

    /// Lipa na M-Pesa's password and the timestamp it was made for.
    fn password(&self) -> (String, String) {
        let timestamp = wire::timestamp(self.config.clock.now());
        let plain = format!(
            "{}{}{timestamp}",
            self.config.shortcode,
            self.config.passkey.expose_secret()
        );
        (
            base64::engine::general_purpose::STANDARD.encode(plain),
            timestamp,
        )
    }

    fn json<T: DeserializeOwned>(response: &ApiResponse) -> Result<T, GatewayError> {
        response.json().map_err(|_| unexpected(response.status))
    }

    fn remembered(&self, reference: &str) -> Option<Pushed> {
        self.pushed
            .lock()
            .ok()
            .and_then(|mut pushed| pushed.get(reference).cloned())
    }

    /// Sends a Transaction Status query about the payout sent as `tag`, its result to the
    /// payout's callback URL marked `kind=status`. Best effort: a refusal is logged, and
    /// the payout stays pending for the next look (and, past the service's setting, an
    /// alert).
    async fn ask_status(&self, b2c: &super::B2cConfig, reference: &str, tag: &str) {
        let url = format!(
            "{}&{}={}",
            self.config
                .callback
                .callback_url(&self.config.callback_base, reference),
            MPESA_STATUS_PARAM.0,
            MPESA_STATUS_PARAM.1
        );
        let occasion = wire::cut(reference, 100);
        let body = wire::TransactionStatus {
            initiator: &b2c.initiator,
            security_credential: b2c.security_credential.expose_secret(),
            command_id: "TransactionStatusQuery",
            // Not known when the result was lost: the original id names it.
            transaction_id: "",
            original_conversation_id: tag,
            party_a: &b2c.shortcode,
            identifier_type: "4",
            result_url: &url,
            queue_timeout_url: &url,
            remarks: "ajo payout status",
            occasion: &occasion,
        };
        let Ok(call) = ApiRequest::post("/mpesa/transactionstatus/v1/query")
            .idempotent(true)
            .json_from(&body)
        else {
            return;
        };
        match self.send(&call).await {
            Ok(response) if response.is_success() => {
                tracing::info!("asked Daraja for the payout's transaction status");
            }
            Ok(response) => {
                let error = map_error(&response);
                tracing::warn!(%error, "Daraja refused the transaction status query");
            }
            Err(error) => {
                tracing::warn!(%error, "the transaction status query was not answered");
            }
        }
    }

    /// The STK Push Query for `checkout`: where the payment stands.
    async fn query(&self, checkout: &str) -> Result<PaymentState, GatewayError> {
        let (password, timestamp) = self.password();
        let body = wire::StkQuery {
            business_short_code: &self.config.shortcode,
            password: &password,
            timestamp: &timestamp,
            checkout_request_id: checkout,
        };
        let call = ApiRequest::post("/mpesa/stkpushquery/v1/query")
            .idempotent(true)
            .json_from(&body)
            .map_err(|_| invalid("mpesa: the request could not be encoded"))?;
        let response = self.send(&call).await?;
        if !response.is_success() {
            let error = ErrorBody::read(&response);
            // Daraja answers a push still waiting for the payer with an error.
            if error.code() == "500.001.1001" && error.says("being processed") {
                return Ok(PaymentState::Pending);
            }
            if error.says("invalid checkoutrequestid") || response.status == 404 {
                return Err(GatewayError::NotFound {
                    reference: checkout.to_owned(),
                });
            }
            return Err(map_error(&response));
        }
        let queried: wire::StkQueried = Self::json(&response)?;
        if queried
            .checkout_request_id
            .as_deref()
            .is_some_and(|id| id != checkout)
        {
            return Err(unexpected(response.status));
        }
        let code = wire::code_text(&queried.result_code);
        Ok(match code.as_str() {
            "0" => PaymentState::Succeeded,
            // Daraja's documented endings of a push nobody paid: insufficient funds, limit
            // rules, expired, push not sent, cancelled, unreachable, wrong PIN, not
            // permitted, credential locked, unable to lock the subscriber, no such operator.
            "1" | "2" | "3" | "4" | "8" | "17" | "1001" | "1019" | "1025" | "1032" | "1037"
            | "2001" | "2028" | "8006" | "SFC_IC0003" => PaymentState::Failed,
            // Anything else ("4999": still under processing, a code added later) is not an
            // end: asked again later, and the collection expires if nothing comes.
            _ => {
                tracing::warn!(code = %code, "an STK Push Query result code ajo does not know: still pending");
                PaymentState::Pending
            }
        })
    }
}

#[async_trait]
impl PaymentGateway for MpesaGateway {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn start_collection(
        &self,
        request: &CollectionRequest,
    ) -> Result<Collection, GatewayError> {
        let amount = wire::whole_shillings(&request.amount)?;
        let phone = request
            .payer_phone
            .as_deref()
            .ok_or_else(|| invalid("mpesa: an STK Push needs the payer's phone number"))?;
        let phone = kenyan(phone)?;
        if let Some(pushed) = self.remembered(&request.reference) {
            // Daraja has no idempotency key for a push: a second one is a second prompt.
            return Ok(Collection {
                reference: request.reference.clone(),
                checkout_url: None,
                provider_reference: Some(pushed.checkout),
                client_secret: None,
            });
        }
        let (password, timestamp) = self.password();
        let (transaction_type, party_b) = match &self.config.target {
            StkTarget::PayBill => ("CustomerPayBillOnline", self.config.shortcode.as_str()),
            StkTarget::Till(till) => ("CustomerBuyGoodsOnline", till.as_str()),
        };
        let callback_url = self
            .config
            .callback
            .callback_url(&self.config.callback_base, &request.reference);
        let account_reference = wire::cut(&self.config.account_reference, 12);
        let description = wire::cut(&request.description, 13);
        let body = wire::StkPush {
            business_short_code: &self.config.shortcode,
            password: &password,
            timestamp: &timestamp,
            transaction_type,
            amount,
            party_a: &phone,
            party_b,
            phone_number: &phone,
            callback_url: &callback_url,
            account_reference: &account_reference,
            transaction_desc: &description,
        };
        // Not retried: a push sent twice prompts the payer twice.
        let call = ApiRequest::post("/mpesa/stkpush/v1/processrequest")
            .json_from(&body)
            .map_err(|_| invalid("mpesa: the request could not be encoded"))?;
        let response = self.send(&call).await?;
        if !response.is_success() {
            return Err(map_error(&response));
        }
        let pushed: wire::StkPushed = Self::json(&response)?;
        if pushed
            .response_code
            .as_deref()
            .is_some_and(|code| wire::code_text(code) != "0")
            || pushed.checkout_request_id.is_empty()
        {
            return Err(unexpected(response.status));
        }
        if let Ok(mut remembered) = self.pushed.lock() {
            remembered.insert(
                request.reference.clone(),
                Pushed {
                    checkout: pushed.checkout_request_id.clone(),
                    amount: request.amount,
                },
            );
        }
        Ok(Collection {
            reference: request.reference.clone(),
            checkout_url: None,
            provider_reference: Some(pushed.checkout_request_id),
            client_secret: None,
        })
    }

    /// By reference, only a push this process sent can be found (Daraja looks pushes up
    /// by `CheckoutRequestID`): the service asks with
    /// [`verify_collection`](PaymentGateway::verify_collection) instead.
    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %reference), err)]
    async fn verify_payment(&self, reference: &str) -> Result<PaymentStatus, GatewayError> {
        let pushed = self
            .remembered(reference)
            .ok_or_else(|| GatewayError::NotFound {
                reference: reference.to_owned(),
            })?;
        let query = CollectionQuery::new(reference)
            .with_checkout(Some(&pushed.checkout), Some(pushed.amount));
        self.verify_collection(&query).await
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %query.reference), err)]
    async fn verify_collection(
        &self,
        query: &CollectionQuery,
    ) -> Result<PaymentStatus, GatewayError> {
        let remembered = self.remembered(&query.reference);
        let checkout = query
            .checkout
            .clone()
            .or_else(|| remembered.as_ref().map(|p| p.checkout.clone()));
        let requested = query.requested.or(remembered.map(|p| p.amount));
        let pending = PaymentStatus {
            reference: query.reference.clone(),
            state: PaymentState::Pending,
            amount: None,
            paid_at: None,
        };
        let Some(checkout) = checkout else {
            // The push's answer was lost: nothing can be asked (see the module docs).
            tracing::warn!(
                "no CheckoutRequestID recorded for this collection: it cannot be confirmed"
            );
            return Ok(pending);
        };
        if query
            .transaction_id
            .as_deref()
            .is_some_and(|claimed| claimed != checkout)
        {
            // A report about another push than the one sent for this reference.
            return Err(GatewayError::NotFound {
                reference: query.reference.clone(),
            });
        }
        let state = self.query(&checkout).await?;
        Ok(PaymentStatus {
            reference: query.reference.clone(),
            state,
            // A push is for a fixed amount: one that succeeded paid what was asked.
            amount: requested.filter(|_| state == PaymentState::Succeeded),
            paid_at: None,
        })
    }

    /// Daraja refuses an `OriginatorConversationID` it has seen: a failed payout goes in a
    /// new attempt (after a person has resolved the failure: see the module docs).
    fn resends_failed_payouts(&self) -> bool {
        false
    }

    #[instrument(skip_all, fields(provider = PROVIDER, currency = %recipient.currency), err)]
    async fn create_recipient(
        &self,
        recipient: &RecipientDetails,
    ) -> Result<RecipientId, GatewayError> {
        if recipient.currency != Currency::KES.code() {
            return Err(invalid(format!(
                "mpesa pays out in KES only, not {}",
                recipient.currency
            )));
        }
        // B2C pays a phone number: there is nothing to register, only a number to check.
        let phone = kenyan(&recipient.account_number)?;
        RecipientId::new(phone).map_err(|_| invalid("mpesa: the phone number is not valid"))
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, GatewayError> {
        let b2c = self
            .config
            .b2c
            .as_ref()
            .ok_or_else(|| invalid("mpesa: B2C payouts are not configured"))?;
        let amount = wire::whole_shillings(&request.amount)?;
        let phone = kenyan(request.recipient.as_str())?;
        // The payout key, not the callback secret: a roll must not change the id.
        let tag = b2c.payout_key.tag(MPESA_B2C_TAG, &request.reference);
        let callback_url = self
            .config
            .callback
            .callback_url(&self.config.callback_base, &request.reference);
        let remarks = wire::cut(&request.reason, 100);
        let remarks = if remarks.chars().count() < 2 {
            "ajo payout".to_owned()
        } else {
            remarks
        };
        let occasion = wire::cut(&request.reference, 100);
        let body = wire::B2cPayment {
            originator_conversation_id: &tag,
            initiator_name: &b2c.initiator,
            security_credential: b2c.security_credential.expose_secret(),
            command_id: &b2c.command_id,
            amount,
            party_a: &b2c.shortcode,
            party_b: &phone,
            remarks: &remarks,
            queue_timeout_url: &callback_url,
            result_url: &callback_url,
            occasion: &occasion,
        };
        // Safe to resend: Daraja refuses an OriginatorConversationID it has seen, and the
        // tag is the same for the same payout.
        let call = ApiRequest::post("/mpesa/b2c/v3/paymentrequest")
            .idempotent(true)
            .json_from(&body)
            .map_err(|_| invalid("mpesa: the request could not be encoded"))?;
        let response = self.send(&call).await?;
        if !response.is_success() {
            let error = ErrorBody::read(&response);
            if error.says("duplicate originatorconversationid") {
                // This payout was accepted before and its result has not been booked (or
                // it would not be sent again): ask Daraja what became of it. The answer
                // comes by callback, like the result itself.
                self.ask_status(b2c, &request.reference, &tag).await;
                return Ok(PayoutReceipt {
                    reference: request.reference.clone(),
                    provider_reference: None,
                    state: PayoutState::Pending,
                });
            }
            return Err(map_error(&response));
        }
        let accepted: wire::B2cAccepted = Self::json(&response)?;
        if accepted
            .originator_conversation_id
            .as_deref()
            .is_some_and(|id| id != tag)
        {
            return Err(unexpected(response.status));
        }
        Ok(PayoutReceipt {
            reference: request.reference.clone(),
            provider_reference: accepted.conversation_id,
            state: PayoutState::Pending,
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, GatewayError> {
        let _ = request;
        Err(invalid(
            "mpesa: a refund is an M-Pesa reversal, asynchronous and made by an operator",
        ))
    }

    async fn list_transactions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatementLine>, GatewayError> {
        let _ = (from, to);
        Err(invalid(
            "mpesa: Daraja has no statement to list; reconcile with the M-Pesa org portal",
        ))
    }
}
