use ajo_core::ids::RecipientId;
use ajo_core::ledger::StatementLine;
use ajo_core::ports::{
    Collection, CollectionRequest, GatewayError, PaymentGateway, PaymentState, PaymentStatus,
    PayoutReceipt, PayoutRequest, PayoutState, PayoutStatus, RecipientDetails, RefundReceipt,
    RefundRequest,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use tracing::instrument;

use crate::http::{ApiRequest, ApiResponse, path_segment};

use super::error::{ErrorBody, invalid, map_error, unexpected};
use super::wire::{self, Envelope};
use super::{FlutterwaveGateway, PROVIDER};

/// The most pages read for one statement: past that, ask for a shorter period rather than
/// reconcile against a truncated list.
const MAX_PAGES: u64 = 200;

fn encoding_failed(_: serde_json::Error) -> GatewayError {
    invalid("flutterwave: the request could not be encoded")
}

impl FlutterwaveGateway {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, GatewayError> {
        let request = request.bearer(&self.secret_key);
        Ok(self.api.send(&request).await?)
    }

    fn envelope<T: DeserializeOwned>(response: &ApiResponse) -> Result<Envelope<T>, GatewayError> {
        match response.json::<Envelope<T>>() {
            Ok(envelope) if envelope.status == "success" => Ok(envelope),
            _ => Err(unexpected(response.status)),
        }
    }

    fn data<T: DeserializeOwned>(response: &ApiResponse) -> Result<T, GatewayError> {
        Self::envelope::<T>(response)?
            .data
            .ok_or_else(|| unexpected(response.status))
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: String,
        reference: Option<&str>,
    ) -> Result<T, GatewayError> {
        let response = self.send(ApiRequest::get(path)).await?;
        if !response.is_success() {
            return Err(map_error(&response, reference));
        }
        Self::data(&response)
    }

    async fn transaction_by_reference(
        &self,
        reference: &str,
    ) -> Result<wire::Transaction, GatewayError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("tx_ref", reference)
            .finish();
        let transaction: wire::Transaction = self
            .get(
                format!("/v3/transactions/verify_by_reference?{query}"),
                Some(reference),
            )
            .await?;
        if transaction.tx_ref != reference {
            return Err(unexpected(200));
        }
        Ok(transaction)
    }

    fn status(
        reference: &str,
        transaction: &wire::Transaction,
    ) -> Result<PaymentStatus, GatewayError> {
        let state = transaction.state()?;
        let amount = match state {
            PaymentState::Succeeded => Some(transaction.amount()?),
            _ => None,
        };
        Ok(PaymentStatus {
            reference: reference.to_owned(),
            state,
            amount,
            paid_at: match state {
                PaymentState::Succeeded => transaction.created_at(),
                _ => None,
            },
        })
    }

    /// What Flutterwave says about the transaction with its own numeric `id` (the
    /// `data.id` of a webhook or of the redirect), as the docs advise before giving value.
    ///
    /// # Errors
    /// [`GatewayError::NotFound`] for an id Flutterwave does not know; the errors of
    /// [`PaymentGateway::verify_payment`] otherwise.
    #[instrument(skip_all, fields(provider = PROVIDER, transaction_id = id), err)]
    pub async fn verify_by_id(&self, id: u64) -> Result<PaymentStatus, GatewayError> {
        let id_text = id.to_string();
        let transaction: wire::Transaction = self
            .get(format!("/v3/transactions/{id}/verify"), Some(&id_text))
            .await?;
        if transaction.id != id {
            return Err(unexpected(200));
        }
        Self::status(&transaction.tx_ref, &transaction)
    }

    /// Every record of a paged list created between `from` and `to`.
    async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<T>, GatewayError> {
        let mut records = Vec::new();
        for page in 1..=MAX_PAGES {
            // Flutterwave filters by day: the caller narrows to the exact range.
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("from", &from.format("%Y-%m-%d").to_string())
                .append_pair("to", &to.format("%Y-%m-%d").to_string())
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
            let pages = envelope
                .meta
                .and_then(|m| m.page_info)
                .and_then(|p| p.total_pages)
                .unwrap_or(page);
            if page >= pages || count == 0 {
                return Ok(records);
            }
        }
        Err(invalid(format!(
            "flutterwave: more than {MAX_PAGES} pages of {path}; ask for a shorter period"
        )))
    }
}

fn within(at: Option<DateTime<Utc>>, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    at.is_none_or(|at| from <= at && at < to)
}

#[async_trait]
impl PaymentGateway for FlutterwaveGateway {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn start_collection(
        &self,
        request: &CollectionRequest,
    ) -> Result<Collection, GatewayError> {
        let amount = wire::to_major(&request.amount)?;
        let currency = request.amount.currency();
        if request.email.trim().is_empty() {
            return Err(invalid("flutterwave needs the payer's email"));
        }
        let body = wire::PaymentRequest {
            tx_ref: &request.reference,
            amount,
            currency: currency.code(),
            redirect_url: request.callback_url.as_deref(),
            customer: wire::Customer {
                email: &request.email,
            },
            customizations: wire::Customizations {
                title: &request.description,
            },
        };
        // Safe to resend: a hosted link moves no money, and the payer only ever sees the
        // one link that came back.
        let call = ApiRequest::post("/v3/payments")
            .idempotent(true)
            .json_from(&body)
            .map_err(encoding_failed)?;
        let response = self.send(call).await?;
        if !response.is_success() {
            return Err(map_error(&response, None));
        }
        let data: wire::HostedLink = Self::data(&response)?;
        Ok(Collection {
            reference: request.reference.clone(),
            checkout_url: Some(data.link),
            provider_reference: None,
            client_secret: None,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %reference), err)]
    async fn verify_payment(&self, reference: &str) -> Result<PaymentStatus, GatewayError> {
        let transaction = self.transaction_by_reference(reference).await?;
        Self::status(reference, &transaction)
    }

    /// By Flutterwave's id (`GET /v3/transactions/{id}/verify`): one `tx_ref` can carry
    /// several charges, and the one a webhook names is the one to confirm. The status
    /// carries the `tx_ref` Flutterwave recorded, for the caller to compare.
    async fn verify_transaction(
        &self,
        transaction_id: &str,
        _reference: &str,
    ) -> Result<PaymentStatus, GatewayError> {
        let id = transaction_id
            .parse::<u64>()
            .map_err(|_| GatewayError::InvalidRequest {
                message: "flutterwave: a transaction id is a number".into(),
            })?;
        self.verify_by_id(id).await
    }

    /// By Flutterwave's transfer id (`GET /v3/transfers/{id}`): Flutterwave refuses a
    /// reused reference without saying how the first transfer went, so a report
    /// authenticated only by `verif-hash` is confirmed here. A `FAILED` transfer that had
    /// succeeded is Flutterwave's way of saying the bank sent it back.
    #[instrument(skip_all, fields(provider = PROVIDER, transaction_id = %transaction_id), err)]
    async fn verify_payout(
        &self,
        transaction_id: &str,
        _reference: &str,
    ) -> Result<PayoutStatus, GatewayError> {
        let id = transaction_id
            .parse::<u64>()
            .map_err(|_| GatewayError::InvalidRequest {
                message: "flutterwave: a transfer id is a number".into(),
            })?;
        let id_text = id.to_string();
        let transfer: wire::Transfer = self
            .get(format!("/v3/transfers/{id}"), Some(&id_text))
            .await?;
        if transfer.id != id {
            return Err(unexpected(200));
        }
        let amount = match (&transfer.amount, &transfer.currency) {
            (Some(amount), Some(currency)) => Some(wire::from_major(amount, currency)?),
            _ => None,
        };
        Ok(PayoutStatus {
            reference: transfer.reference.clone().unwrap_or_default(),
            state: wire::payout_state(&transfer.status)?,
            amount,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, currency = %recipient.currency), err)]
    async fn create_recipient(
        &self,
        recipient: &RecipientDetails,
    ) -> Result<RecipientId, GatewayError> {
        let body = wire::BeneficiaryRequest {
            account_bank: &recipient.bank_code,
            account_number: &recipient.account_number,
            beneficiary_name: &recipient.name,
            currency: &recipient.currency,
        };
        // A second beneficiary for the same account moves no money: a resend is harmless.
        let call = ApiRequest::post("/v3/beneficiaries")
            .idempotent(true)
            .json_from(&body)
            .map_err(encoding_failed)?;
        let response = self.send(call).await?;
        if !response.is_success() {
            return Err(map_error(&response, None));
        }
        let beneficiary: wire::Beneficiary = Self::data(&response)?;
        RecipientId::new(beneficiary.id.to_string()).map_err(|_| unexpected(response.status))
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.reference, amount_minor = request.amount.minor(), currency = request.amount.currency().code()), err)]
    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, GatewayError> {
        let amount = wire::to_major_number(&request.amount)?;
        let currency = request.amount.currency();
        let beneficiary: wire::Beneficiary = self
            .get(
                format!(
                    "/v3/beneficiaries/{}",
                    path_segment(request.recipient.as_str())
                ),
                Some(request.recipient.as_str()),
            )
            .await?;
        let (Some(account_number), Some(bank_code)) =
            (&beneficiary.account_number, &beneficiary.bank_code)
        else {
            return Err(unexpected(200));
        };
        let body = wire::TransferRequest {
            account_bank: bank_code,
            account_number,
            amount,
            narration: &request.reason,
            currency: currency.code(),
            reference: &request.reference,
            debit_currency: currency.code(),
        };
        // Flutterwave refuses a reused reference, so a resend cannot pay twice.
        let call = ApiRequest::post("/v3/transfers")
            .idempotent(true)
            .json_from(&body)
            .map_err(encoding_failed)?;
        let response = self.send(call).await?;
        if !response.is_success() {
            if matches!(response.status, 400 | 409 | 422)
                && ErrorBody::read(&response).is_duplicate_reference()
            {
                // The transfer made under this reference is this payout; its outcome
                // comes by webhook (see the module docs).
                return Ok(PayoutReceipt {
                    reference: request.reference.clone(),
                    provider_reference: None,
                    state: PayoutState::Pending,
                });
            }
            return Err(map_error(&response, None));
        }
        let transfer: wire::Transfer = Self::data(&response)?;
        if transfer
            .reference
            .as_deref()
            .is_some_and(|r| r != request.reference)
        {
            return Err(unexpected(response.status));
        }
        Ok(PayoutReceipt {
            reference: request.reference.clone(),
            provider_reference: Some(transfer.id.to_string()),
            state: wire::payout_state(&transfer.status)?,
        })
    }

    #[instrument(skip_all, fields(provider = PROVIDER, idempotency_key = %request.payment_reference), err)]
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, GatewayError> {
        let amount = request
            .amount
            .as_ref()
            .map(wire::to_major_number)
            .transpose()?;
        let transaction = self
            .transaction_by_reference(&request.payment_reference)
            .await?;
        let body = wire::RefundRequest { amount };
        // Not retried on a timeout or 5xx: nothing keys a refund, so a partial refund sent
        // twice could be carried out twice.
        let call = ApiRequest::post(format!("/v3/transactions/{}/refund", transaction.id))
            .json_from(&body)
            .map_err(encoding_failed)?;
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
            .list::<wire::Transaction>("/v3/transactions", from, to)
            .await?
        {
            if transaction.state()? == PaymentState::Succeeded
                && within(transaction.created_at(), from, to)
            {
                lines.push(StatementLine {
                    reference: transaction.tx_ref.clone(),
                    amount: transaction.amount()?,
                    fee: transaction.fee()?,
                });
            }
        }
        for transfer in self
            .list::<wire::Transfer>("/v3/transfers", from, to)
            .await?
        {
            let at = transfer.created_at.as_deref().and_then(wire::parse_time);
            if wire::payout_state(&transfer.status)? != PayoutState::Succeeded
                || !within(at, from, to)
            {
                continue;
            }
            let (Some(reference), Some(amount), Some(currency)) =
                (&transfer.reference, &transfer.amount, &transfer.currency)
            else {
                return Err(unexpected(200));
            };
            lines.push(StatementLine {
                reference: reference.clone(),
                amount: wire::from_major(amount, currency)?.negated(),
                fee: None,
            });
        }
        Ok(lines)
    }
}
