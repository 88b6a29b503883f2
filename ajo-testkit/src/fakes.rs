//! Fakes for every port but the store: a clock you set, a gateway you script, and
//! senders that record what they were given.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use ajo_core::ids::RecipientId;
use ajo_core::ledger::StatementLine;
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    Alert, AlertKind, Alerts, Clock, Collection, CollectionRequest, EmailMessage, EmailSender,
    GatewayError, NotifyError, PaymentGateway, PaymentState, PaymentStatus, PayoutReceipt,
    PayoutRequest, PayoutState, PayoutStatus, ProviderMessageId, RecipientDetails, RefundReceipt,
    RefundRequest, SmsMessage, SmsSender, is_e164,
};
use ajo_core::webhook::{AmountBasis, GatewayEvent, PaymentEventKind, Provider};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A clock that stands still until told otherwise.
#[derive(Debug)]
pub struct FakeClock {
    now: Mutex<DateTime<Utc>>,
}

impl FakeClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> FakeClock {
        FakeClock {
            now: Mutex::new(now),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *lock(&self.now) = now;
    }

    /// Moves the time on.
    ///
    /// # Panics
    /// If the time would pass the first or last instant chrono holds: a test that walks
    /// its clock off the end of time has a bug worth stopping at. To put the clock at the
    /// very end (to test the service there), [`set`](Self::set) it.
    pub fn advance(&self, by: Duration) {
        let mut now = lock(&self.now);
        *now += by;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.now)
    }
}

/// What the fake gateway does with a payout it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutMode {
    /// Delivered at once.
    Succeed,
    /// Accepted; the outcome comes later by webhook ([`FakeGateway::payout_event`]).
    Pending,
    /// Refused.
    Fail,
}

#[derive(Debug, Default)]
struct GatewayState {
    collections: BTreeMap<String, (Money, PaymentState, Option<Money>)>,
    payouts: BTreeMap<String, (Money, PayoutState)>,
    recipients: u32,
    failures: VecDeque<GatewayError>,
    payout_mode: Option<PayoutMode>,
    calls: Vec<String>,
    requests: Vec<CollectionRequest>,
    client_secrets: bool,
    events: u64,
    statement: Option<Vec<StatementLine>>,
}

/// A scriptable payment gateway. Collections and payouts are remembered by reference;
/// the test decides when a payer pays ([`pay`](Self::pay)), declines, or when a call
/// fails ([`fail_next`](Self::fail_next)), and gets back the webhook event the gateway
/// would send, to deliver once, twice or out of order.
#[derive(Debug, Default)]
pub struct FakeGateway {
    state: Mutex<GatewayState>,
}

impl FakeGateway {
    /// A gateway where payouts succeed at once.
    pub fn new() -> FakeGateway {
        FakeGateway::default()
    }

    /// Makes the next calls fail with these errors, in order (a timeout after the
    /// provider accepted a charge, say).
    pub fn fail_next(&self, error: GatewayError) {
        lock(&self.state).failures.push_back(error);
    }

    /// Answers collections as Stripe does from now on: no checkout page, a client secret
    /// for the app's SDK (`secret_` and the reference), and a reference seen before
    /// answered with the same secret. Otherwise the fake answers as Paystack does: a
    /// checkout page, and none for a reference it has seen.
    pub fn issue_client_secrets(&self) {
        lock(&self.state).client_secrets = true;
    }

    /// Every collection request received, in order (failed ones included).
    pub fn collection_requests(&self) -> Vec<CollectionRequest> {
        lock(&self.state).requests.clone()
    }

    /// How payouts are answered from now on.
    pub fn set_payout_mode(&self, mode: PayoutMode) {
        lock(&self.state).payout_mode = Some(mode);
    }

    /// The id this gateway gives the charge of a collection, as its webhooks and
    /// [`PaymentGateway::verify_transaction`] name it: `txn-` and the reference.
    pub fn transaction_id(reference: &str) -> String {
        format!("txn-{reference}")
    }

    /// The payer pays what was asked: returns the `charge succeeded` webhook.
    pub fn pay(&self, reference: &str) -> Option<GatewayEvent> {
        let mut state = lock(&self.state);
        let slot = state.collections.get_mut(reference)?;
        slot.1 = PaymentState::Succeeded;
        slot.2 = Some(slot.0);
        Some(GatewayEvent::new(
            Provider::Paystack,
            PaymentEventKind::ChargeSucceeded,
            reference,
            slot.0,
        ))
    }

    /// The payer pays another amount than asked: returns the webhook.
    pub fn pay_amount(&self, reference: &str, amount: Money) -> Option<GatewayEvent> {
        let mut state = lock(&self.state);
        let slot = state.collections.get_mut(reference)?;
        slot.1 = PaymentState::Succeeded;
        slot.2 = Some(amount);
        Some(GatewayEvent::new(
            Provider::Paystack,
            PaymentEventKind::ChargeSucceeded,
            reference,
            amount,
        ))
    }

    /// The payer pays, but the webhook is lost: only `verify_payment` will tell.
    pub fn pay_silently(&self, reference: &str) -> bool {
        self.pay(reference).is_some()
    }

    /// The charge is declined: returns the webhook.
    pub fn decline(&self, reference: &str) -> Option<GatewayEvent> {
        let mut state = lock(&self.state);
        let slot = state.collections.get_mut(reference)?;
        slot.1 = PaymentState::Failed;
        Some(GatewayEvent::new(
            Provider::Paystack,
            PaymentEventKind::ChargeFailed,
            reference,
            slot.0,
        ))
    }

    /// The webhook for a payout's outcome (`PayoutSucceeded`, `PayoutFailed`,
    /// `PayoutReversed`), recording it.
    pub fn payout_event(&self, reference: &str, kind: PaymentEventKind) -> Option<GatewayEvent> {
        let mut state = lock(&self.state);
        let slot = state.payouts.get_mut(reference)?;
        slot.1 = match kind {
            PaymentEventKind::PayoutSucceeded => PayoutState::Succeeded,
            PaymentEventKind::PayoutReversed => PayoutState::Reversed,
            _ => PayoutState::Failed,
        };
        Some(GatewayEvent::new(
            Provider::Paystack,
            kind,
            reference,
            slot.0,
        ))
    }

    /// The webhook for a payout's outcome reporting `amount`, counted as `basis`: a
    /// reversal of part of the payout, a running total of what came back, a success in
    /// another amount or currency. Records the outcome like
    /// [`payout_event`](Self::payout_event).
    ///
    /// Each call is a new event from the provider, with its own event id (and so its own
    /// idempotency key): the service must tell a repeated fact from its content. Deliver
    /// the returned event again for a re-delivery.
    pub fn payout_event_with(
        &self,
        reference: &str,
        kind: PaymentEventKind,
        amount: Money,
        basis: AmountBasis,
    ) -> Option<GatewayEvent> {
        // Records the outcome; the event it builds is replaced by one with this amount.
        self.payout_event(reference, kind)?;
        let mut state = lock(&self.state);
        state.events += 1;
        Some(
            GatewayEvent::new(Provider::Paystack, kind, reference, amount)
                .with_amount_basis(basis)
                .with_event_id(format!("evt_{}", state.events)),
        )
    }

    /// Answers [`list_transactions`](PaymentGateway::list_transactions) with these lines
    /// from now on, whatever the period: a statement as the test says the provider has
    /// it (fees, refunds, money ajo never asked for). Without it the fake lists every
    /// collection paid, without fees.
    pub fn set_statement(&self, lines: Vec<StatementLine>) {
        lock(&self.state).statement = Some(lines);
    }

    /// References of collections started, in order.
    pub fn collections(&self) -> Vec<String> {
        lock(&self.state).collections.keys().cloned().collect()
    }

    /// Payouts sent, by reference, with their amount and state.
    pub fn payouts(&self) -> BTreeMap<String, (Money, PayoutState)> {
        lock(&self.state).payouts.clone()
    }

    /// Every call made, as `method:reference`.
    pub fn calls(&self) -> Vec<String> {
        lock(&self.state).calls.clone()
    }

    fn begin(&self, call: String) -> Result<MutexGuard<'_, GatewayState>, GatewayError> {
        let mut state = lock(&self.state);
        state.calls.push(call);
        match state.failures.pop_front() {
            Some(error) => Err(error),
            None => Ok(state),
        }
    }
}

/// The fake refuses currencies a typical African gateway does not take.
fn supported(currency: Currency) -> bool {
    [
        Currency::NGN,
        Currency::GHS,
        Currency::KES,
        Currency::ZAR,
        Currency::USD,
        Currency::XOF,
        Currency::UGX,
    ]
    .contains(&currency)
}

#[async_trait]
impl PaymentGateway for FakeGateway {
    fn provider(&self) -> &'static str {
        "fake"
    }

    async fn start_collection(
        &self,
        request: &CollectionRequest,
    ) -> Result<Collection, GatewayError> {
        if !supported(request.amount.currency()) || !request.amount.is_positive() {
            return Err(GatewayError::InvalidRequest {
                message: "unsupported currency or amount".into(),
            });
        }
        let mut state = lock(&self.state);
        let seen = state.collections.contains_key(&request.reference);
        state.requests.push(request.clone());
        // Like a real gateway, it accepts the charge before an error on the way back can
        // hide that from the caller.
        state
            .collections
            .entry(request.reference.clone())
            .or_insert((request.amount, PaymentState::Pending, None));
        state
            .calls
            .push(format!("start_collection:{}", request.reference));
        if let Some(error) = state.failures.pop_front() {
            return Err(error);
        }
        let reference = &request.reference;
        if state.client_secrets {
            return Ok(Collection {
                reference: reference.clone(),
                checkout_url: None,
                provider_reference: Some(format!("fake_{reference}")),
                client_secret: Some(format!("secret_{reference}")),
            });
        }
        Ok(Collection {
            reference: reference.clone(),
            // Paystack refuses a reference it has seen: its adapter finds the charge but
            // cannot show its page again.
            checkout_url: (!seen).then(|| format!("https://checkout.fake/{reference}")),
            provider_reference: Some(format!("fake_{reference}")),
            client_secret: None,
        })
    }

    async fn verify_payment(&self, reference: &str) -> Result<PaymentStatus, GatewayError> {
        let state = self.begin(format!("verify_payment:{reference}"))?;
        let (_, status, paid) =
            state
                .collections
                .get(reference)
                .copied()
                .ok_or_else(|| GatewayError::NotFound {
                    reference: reference.to_owned(),
                })?;
        Ok(PaymentStatus {
            reference: reference.to_owned(),
            state: status,
            amount: paid,
            paid_at: None,
        })
    }

    /// By the id [`FakeGateway::transaction_id`] gives, the status naming the
    /// collection's own reference, as a real gateway's lookup by id does; any other id
    /// (a provider's, in a test's hand-written webhook) by `reference`, as the port's
    /// default does.
    async fn verify_transaction(
        &self,
        transaction_id: &str,
        reference: &str,
    ) -> Result<PaymentStatus, GatewayError> {
        let collection = transaction_id.strip_prefix("txn-").unwrap_or(reference);
        self.verify_payment(collection).await
    }

    /// By the id [`FakeGateway::transaction_id`] gives a payout's reference, or any other
    /// id by `reference`: what the fake's record of the transfer says.
    async fn verify_payout(
        &self,
        transaction_id: &str,
        reference: &str,
    ) -> Result<PayoutStatus, GatewayError> {
        let payout = transaction_id.strip_prefix("txn-").unwrap_or(reference);
        let state = self.begin(format!("verify_payout:{payout}"))?;
        let (amount, status) =
            state
                .payouts
                .get(payout)
                .copied()
                .ok_or_else(|| GatewayError::NotFound {
                    reference: payout.to_owned(),
                })?;
        Ok(PayoutStatus {
            reference: payout.to_owned(),
            state: status,
            amount: Some(amount),
        })
    }

    async fn create_recipient(
        &self,
        recipient: &RecipientDetails,
    ) -> Result<RecipientId, GatewayError> {
        let mut state = self.begin(format!("create_recipient:{}", recipient.name))?;
        state.recipients += 1;
        RecipientId::new(format!("RCP_{}", state.recipients)).map_err(|e| {
            GatewayError::InvalidRequest {
                message: e.to_string(),
            }
        })
    }

    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, GatewayError> {
        let mut state = self.begin(format!("send_payout:{}", request.reference))?;
        let mode = state.payout_mode.unwrap_or(PayoutMode::Succeed);
        let outcome = match mode {
            PayoutMode::Succeed => PayoutState::Succeeded,
            PayoutMode::Pending => PayoutState::Pending,
            PayoutMode::Fail => PayoutState::Failed,
        };
        // The same reference again is the same payout: never sent twice.
        let slot = state
            .payouts
            .entry(request.reference.clone())
            .or_insert((request.amount, outcome));
        if slot.1 == PayoutState::Failed {
            slot.1 = outcome;
        }
        Ok(PayoutReceipt {
            reference: request.reference.clone(),
            provider_reference: Some(format!("TRF_{}", request.reference)),
            state: slot.1,
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, GatewayError> {
        let mut state = self.begin(format!("refund:{}", request.payment_reference))?;
        let slot = state
            .collections
            .get_mut(&request.payment_reference)
            .ok_or_else(|| GatewayError::NotFound {
                reference: request.payment_reference.clone(),
            })?;
        slot.1 = PaymentState::Reversed;
        state.events += 1;
        Ok(RefundReceipt {
            payment_reference: request.payment_reference.clone(),
            provider_reference: Some(format!("re_{}", state.events)),
            state: PayoutState::Succeeded,
        })
    }

    async fn list_transactions(
        &self,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> Result<Vec<StatementLine>, GatewayError> {
        let state = self.begin("list_transactions".into())?;
        if let Some(lines) = &state.statement {
            return Ok(lines.clone());
        }
        let mut lines = Vec::new();
        for (reference, (_, status, paid)) in &state.collections {
            if let (PaymentState::Succeeded, Some(amount)) = (status, paid) {
                lines.push(StatementLine {
                    reference: reference.clone(),
                    amount: *amount,
                    fee: None,
                });
            }
        }
        for (reference, (amount, status)) in &state.payouts {
            if *status == PayoutState::Succeeded {
                lines.push(StatementLine {
                    reference: reference.clone(),
                    amount: amount.negated(),
                    fee: None,
                });
            }
        }
        Ok(lines)
    }
}

/// Records every alert it is raised, once per alert id (as the port asks of an
/// implementation); can be told to fail.
#[derive(Debug, Default)]
pub struct FakeAlerts {
    raised: Mutex<Vec<Alert>>,
    deliveries: Mutex<usize>,
    failures: Mutex<VecDeque<NotifyError>>,
}

impl FakeAlerts {
    /// Alerts that accept everything.
    pub fn new() -> FakeAlerts {
        FakeAlerts::default()
    }
    /// Every distinct alert raised, in order.
    pub fn raised(&self) -> Vec<Alert> {
        lock(&self.raised).clone()
    }
    /// The alerts of one kind.
    pub fn of_kind(&self, kind: AlertKind) -> Vec<Alert> {
        self.raised()
            .into_iter()
            .filter(|a| a.kind == kind)
            .collect()
    }
    /// How many times an alert was handed over, repeats included.
    pub fn deliveries(&self) -> usize {
        *lock(&self.deliveries)
    }
    /// Makes the next alerts fail with these errors.
    pub fn fail_next(&self, error: NotifyError) {
        lock(&self.failures).push_back(error);
    }
}

#[async_trait]
impl Alerts for FakeAlerts {
    async fn alert(&self, alert: &Alert) -> Result<(), NotifyError> {
        if let Some(error) = lock(&self.failures).pop_front() {
            return Err(error);
        }
        *lock(&self.deliveries) += 1;
        let mut raised = lock(&self.raised);
        if !raised.iter().any(|a| a.id == alert.id) {
            raised.push(alert.clone());
        }
        Ok(())
    }
}

/// Records every email it is asked to send; can be told to fail. An address without an
/// `@` is refused as [`NotifyError::InvalidRecipient`], as a provider would.
#[derive(Debug, Default)]
pub struct FakeEmail {
    sent: Mutex<Vec<EmailMessage>>,
    failures: Mutex<VecDeque<NotifyError>>,
}

impl FakeEmail {
    /// A sender that accepts everything.
    pub fn new() -> FakeEmail {
        FakeEmail::default()
    }
    /// Everything sent, in order.
    pub fn sent(&self) -> Vec<EmailMessage> {
        lock(&self.sent).clone()
    }
    /// Makes the next sends fail with these errors.
    pub fn fail_next(&self, error: NotifyError) {
        lock(&self.failures).push_back(error);
    }
}

#[async_trait]
impl EmailSender for FakeEmail {
    async fn send_email(&self, message: &EmailMessage) -> Result<ProviderMessageId, NotifyError> {
        if let Some(error) = lock(&self.failures).pop_front() {
            return Err(error);
        }
        if !message.to.contains('@') {
            return Err(NotifyError::InvalidRecipient);
        }
        let mut sent = lock(&self.sent);
        sent.push(message.clone());
        Ok(ProviderMessageId(format!("email-{}", sent.len())))
    }
}

/// Records every SMS it is asked to send; can be told to fail. A number that is not E.164
/// is refused as [`NotifyError::InvalidRecipient`], as the port's contract asks.
#[derive(Debug, Default)]
pub struct FakeSms {
    sent: Mutex<Vec<SmsMessage>>,
    failures: Mutex<VecDeque<NotifyError>>,
}

impl FakeSms {
    /// A sender that accepts everything.
    pub fn new() -> FakeSms {
        FakeSms::default()
    }
    /// Everything sent, in order.
    pub fn sent(&self) -> Vec<SmsMessage> {
        lock(&self.sent).clone()
    }
    /// Makes the next sends fail with these errors.
    pub fn fail_next(&self, error: NotifyError) {
        lock(&self.failures).push_back(error);
    }
}

#[async_trait]
impl SmsSender for FakeSms {
    async fn send_sms(&self, message: &SmsMessage) -> Result<ProviderMessageId, NotifyError> {
        if !is_e164(&message.to) {
            return Err(NotifyError::InvalidRecipient);
        }
        if let Some(error) = lock(&self.failures).pop_front() {
            return Err(error);
        }
        let mut sent = lock(&self.sent);
        sent.push(message.clone());
        Ok(ProviderMessageId(format!("SM{}", sent.len())))
    }
}
