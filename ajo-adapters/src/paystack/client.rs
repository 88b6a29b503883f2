use ajo_core::ids::RecipientId;
use ajo_core::ledger::StatementLine;
use ajo_core::ports::{
    Collection, CollectionRequest, GatewayError, PaymentGateway, PaymentState, PaymentStatus,
    PayoutReceipt, PayoutRequest, PayoutState, RecipientDetails, RefundReceipt, RefundRequest,
};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use tracing::instrument;

use crate::http::{ApiRequest, ApiResponse, path_segment};

use super::error::{invalid, map_error, unexpected};
use super::wire::{self, Envelope};
use super::{PROVIDER, PaystackGateway};

/// Records per page when listing; Paystack's default is 50.
const PER_PAGE: usize = 100;

/// The most pages read for one statement: past that, ask for a shorter period rather than
/// reconcile against a truncated list.
const MAX_PAGES: u64 = 200;

impl PaystackGateway {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, GatewayError> {
        let request = request.bearer(&self.secret_key);
        Ok(self.api.send(&request).await?)
    }

    /// The `data` of a successful envelope; anything else the caller did not expect.
    fn data<T: DeserializeOwned>(response: &ApiResponse) -> Result<T, GatewayError> {
        Self::envelope::<T>(response)?
            .data
            .ok_or_else(|| unexpected(response.status))
    }

    fn envelope<T: DeserializeOwned>(response: &ApiResponse) -> Result<Envelope<T>, GatewayError> {
        match response.json::<Envelope<T>>() {
            Ok(envelope) if envelope.status => Ok(envelope),
            _ => Err(unexpected(response.status)),
        }
    }

    async fn fetch_transaction(&self, reference: &str) -> Result<wire::Transaction, GatewayError> {
        let path = format!("/transaction/verify/{}", path_segment(reference));
        let response = self.send(ApiRequest::get(path)).await?;
        if !response.is_success() {
            return Err(map_error(&response, Some(reference)));
        }
        Self::data(&response)
    }

    async fn fetch_transfer(&self, reference: &str) -> Result<wire::Transfer, GatewayError> {
        let path = format!("/transfer/verify/{}", path_segment(reference));
        let response = self.send(ApiRequest::get(path)).await?;
        if !response.is_success() {
            return Err(map_error(&response, Some(reference)));
        }
        Self::data(&response)
    }

    /// Every record of a paged list between `from` and `to`.
    async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<T>, GatewayError> {
        let mut records = Vec::new();
        for page in 1..=MAX_PAGES {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("from", &from.to_rfc3339_opts(SecondsFormat::Millis, true))
                .append_pair("to", &to.to_rfc3339_opts(SecondsFormat::Millis, true))
                .append_pair("perPage", &PER_PAGE.to_string())
                .append_pair("page", &page.to_string())
                .finish();
            let response = self
                .send(ApiRequest::get(format!("{path}?{query}")))
                .await?;
            if !response.is_success() {
                return Err(map_error(&response, None));
            }
            let envelope = Self::envelope::<Vec<T>>(&response)?;
            let batch = envelope.data.unwrap_or_default();
            let count = batch.len();
            records.extend(batch);
            let last = envelope
                .meta
                .and_then(|m| m.page_count)
                .map_or(count < PER_PAGE, |pages| page >= pages);
            if last || count == 0 {
                return Ok(records);
            }
        }
        Err(invalid(format!(
            "paystack: more than {MAX_PAGES} pages of {path}; ask for a shorter period"
        )))
    }
}

#[async_trait]
impl PaymentGateway for PaystackGateway {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn start_collection(
        &self,
        request: &CollectionRequest,
    ) -> Result<Collection, GatewayError> {
        let amount = wire::to_subunits(&request.amount)?;
        let currency = request.amount.currency();
        if request.email.trim().is_empty() {
            return Err(invalid("paystack needs the payer's email"));
        }
        let body = wire::InitializeRequest {
            email: &request.email,
            amount: amount.to_string(),
            currency: currency.code(),
            reference: &request.reference,
            callback_url: request.callback_url.as_deref(),
            metadata: wire::InitializeMetadata {
                description: &request.description,
            },
        };
        // Safe to resend: Paystack refuses a reference it has already seen.
        let call = ApiRequest::post("/transaction/initialize")
            .idempotent(true)
            .json_from(&body)
            .map_err(|_| invalid("paystack: the request could not be encoded"))?;
        let response = self.send(call).await?;
        if response.is_success() {
            let data: wire::Initialized = Self::data(&response)?;
            return Ok(Collection {
                reference: request.reference.clone(),
                checkout_url: Some(data.authorization_url),
                provider_reference: data.access_code,
                // Paystack's page is the checkout; its access code (for Popup) is the
                // provider reference.
                client_secret: None,
            });
        }
        let error = map_error(&response, None);
        if !matches!(error, GatewayError::InvalidRequest { .. }) {
            return Err(error);
        }
        // Refused, perhaps because the reference is taken: by this very collection, sent
        // before (see the module docs).
        match self.fetch_transaction(&request.reference).await {
            Ok(existing) => Ok(Collection {
                reference: request.reference.clone(),
                checkout_url: None,
                provider_reference: existing.id.map(|id| id.to_string()),
                client_secret: None,
            }),
            Err(_) => Err(error),
        }
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %reference), err)]
    async fn verify_payment(&self, reference: &str) -> Result<PaymentStatus, GatewayError> {
        let transaction = self.fetch_transaction(reference).await?;
        if transaction.reference != reference {
            return Err(unexpected(200));
        }
        let state = transaction.state()?;
        let amount = match state {
            PaymentState::Succeeded | PaymentState::Reversed => Some(wire::from_subunits(
                &transaction.amount,
                &transaction.currency,
            )?),
            _ => None,
        };
        Ok(PaymentStatus {
            reference: reference.to_owned(),
            state,
            amount,
            paid_at: transaction.paid_at(),
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, currency = %recipient.currency), err)]
    async fn create_recipient(
        &self,
        recipient: &RecipientDetails,
    ) -> Result<RecipientId, GatewayError> {
        let body = wire::RecipientRequest {
            kind: wire::recipient_type(&recipient.currency)?,
            name: &recipient.name,
            account_number: &recipient.account_number,
            bank_code: &recipient.bank_code,
            currency: &recipient.currency,
        };
        // A second recipient for the same account moves no money, so a resend is harmless.
        let call = ApiRequest::post("/transferrecipient")
            .idempotent(true)
            .json_from(&body)
            .map_err(|_| invalid("paystack: the request could not be encoded"))?;
        let response = self.send(call).await?;
        if !response.is_success() {
            return Err(map_error(&response, None));
        }
        let data: wire::Recipient = Self::data(&response)?;
        // An id ajo could not store (empty, spaces, too long) is an answer not understood.
        RecipientId::new(data.recipient_code).map_err(|_| unexpected(response.status))
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, GatewayError> {
        let amount = wire::to_subunits(&request.amount)?;
        let currency = request.amount.currency();
        let body = wire::TransferRequest {
            source: "balance",
            amount,
            currency: currency.code(),
            recipient: request.recipient.as_str(),
            reference: &request.reference,
            reason: &request.reason,
        };
        // The reference is the transfer's idempotency key: a resend cannot pay twice.
        let call = ApiRequest::post("/transfer")
            .idempotent(true)
            .json_from(&body)
            .map_err(|_| invalid("paystack: the request could not be encoded"))?;
        let response = self.send(call).await?;
        let transfer = if response.is_success() {
            Self::data::<wire::Transfer>(&response)?
        } else {
            let error = map_error(&response, None);
            if !matches!(error, GatewayError::InvalidRequest { .. }) {
                return Err(error);
            }
            // Refused, perhaps as a reused reference: the transfer already made under it
            // is this payout (see the module docs).
            self.fetch_transfer(&request.reference)
                .await
                .map_err(|_| error)?
        };
        if transfer
            .reference
            .as_deref()
            .is_some_and(|r| r != request.reference)
        {
            return Err(unexpected(response.status));
        }
        Ok(PayoutReceipt {
            reference: request.reference.clone(),
            provider_reference: transfer.transfer_code,
            state: wire::payout_state(&transfer.status)?,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.payment_reference), err)]
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, GatewayError> {
        let amount = request.amount.as_ref().map(wire::to_subunits).transpose()?;
        let body = wire::RefundRequest {
            transaction: &request.payment_reference,
            amount,
            merchant_note: &request.reason,
        };
        // Not retried on a timeout or 5xx: nothing keys a refund, so a partial refund sent
        // twice could be carried out twice.
        let call = ApiRequest::post("/refund")
            .json_from(&body)
            .map_err(|_| invalid("paystack: the request could not be encoded"))?;
        let response = self.send(call).await?;
        if !response.is_success() {
            return Err(map_error(&response, Some(&request.payment_reference)));
        }
        let refund: wire::Refund = Self::data(&response)?;
        Ok(RefundReceipt {
            payment_reference: request.payment_reference.clone(),
            provider_reference: refund.id.map(|id| id.to_string()),
            state: wire::refund_state(&refund.status)?,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER), err)]
    async fn list_transactions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatementLine>, GatewayError> {
        let mut lines = Vec::new();
        for transaction in self
            .list::<wire::Transaction>("/transaction", from, to)
            .await?
        {
            let signs: &[bool] = match transaction.state()? {
                PaymentState::Succeeded => &[true],
                PaymentState::Reversed => &[true, false],
                _ => &[],
            };
            let fee = match &transaction.fees {
                Some(fees) => Some(wire::from_subunits(fees, &transaction.currency)?),
                None => None,
            };
            for &incoming in signs {
                let amount = wire::from_subunits(&transaction.amount, &transaction.currency)?;
                lines.push(StatementLine {
                    reference: transaction.reference.clone(),
                    amount: if incoming { amount } else { amount.negated() },
                    // Paystack takes its fee from the charge as it settles.
                    fee: fee.filter(|f| incoming && f.is_positive()),
                });
            }
        }
        for transfer in self.list::<wire::Transfer>("/transfer", from, to).await? {
            let signs: &[bool] = match wire::payout_state(&transfer.status)? {
                PayoutState::Succeeded => &[false],
                PayoutState::Reversed => &[false, true],
                _ => &[],
            };
            for &incoming in signs {
                let (Some(reference), Some(amount), Some(currency)) =
                    (&transfer.reference, &transfer.amount, &transfer.currency)
                else {
                    return Err(unexpected(200));
                };
                let amount = wire::from_subunits(amount, currency)?;
                lines.push(StatementLine {
                    reference: reference.clone(),
                    amount: if incoming { amount } else { amount.negated() },
                    fee: None,
                });
            }
        }
        Ok(lines)
    }
}
