//! Gateway faults through the real payment adapters (Paystack, Flutterwave, Stripe)
//! against their wiremock mocks, driven through `AjoService` on the in-memory store with
//! signed webhooks verified by the core verifiers:
//!
//! - a collection whose request times out after the provider accepted it, and whose
//!   webhook is lost: nothing is credited until `tick` re-verifies it, then exactly once;
//! - duplicate and out-of-order webhooks for charges and transfers;
//! - a transfer that succeeds and is then reversed (Paystack, Stripe) or reported failed
//!   (Flutterwave, which has no reversal event);
//! - a reversed transfer paid again under a new reference (Paystack), and a partial
//!   reversal reported as a running total, of which only the new part is booked and only
//!   what came back is paid again (Stripe).
//!
//! After each: one ledger entry per fact, the trial balance zero, the hash chain intact.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code: a failed unwrap is a failed test

mod common;

use std::sync::Arc;
use std::time::Duration;

use ajo_adapters::flutterwave::{FlutterwaveConfig, FlutterwaveGateway};
use ajo_adapters::paystack::{PaystackConfig, PaystackGateway};
use ajo_adapters::stripe::{StripeConfig, StripeGateway};
use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::Account;
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    Clock, EmailSender, EntryQuery, GatewayError, Journal, PaymentGateway, SmsSender, Store,
};
use ajo_core::service::{AjoService, Handled, ServiceError};
use ajo_core::webhook::{
    FlutterwaveVerifier, GatewayEvent, PaystackVerifier, StripeVerifier, WebhookOutcome,
};
use ajo_testkit::InMemoryStore;
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeSms};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{GROUP, REFERENCE, http, json, trial_balance_is_zero};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::json as j;
use sha2::{Sha256, Sha512};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer};

/// Longer than `common::http`'s 500 ms timeout: the provider takes the request, the
/// answer never reaches us in time.
const TOO_SLOW: Duration = Duration::from_secs(2);
/// The payout reference the service gives round 1 of [`GROUP`].
const PAYOUT: &str = "ajo=out=g1=r1";
/// The reference of the payout's second attempt, after a reversal.
const RETRY: &str = "ajo=out=g1=r1=a2";
/// Round 1's pot, paid to ada (hand 1): two contributions, no platform fee.
const POT: &str = "20000";
/// Ada's wallet while the pot is owed to her (credit balances are negative).
const OWED: &str = "-20000";

fn ngn(amount: &str) -> Money {
    Money::parse(amount, Currency::NGN).unwrap()
}

/// The service on the in-memory store, a fake clock, and one started two-member group
/// (₦10,000 a month, no deposit), as `common::contribution_end_to_end` sets it up, but
/// kept so the test can move the clock and tick.
struct World {
    service: AjoService,
    store: Arc<InMemoryStore>,
    clock: Arc<FakeClock>,
    group: GroupId,
}

impl World {
    async fn new(gateway: Arc<dyn PaymentGateway>) -> World {
        let store = Arc::new(InMemoryStore::new());
        let clock = Arc::new(FakeClock::new(
            Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap(),
        ));
        let service = AjoService::new(
            store.clone() as Arc<dyn Store>,
            gateway,
            Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
            Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        );
        let group = GroupId::new(GROUP).unwrap();
        let config = builders::naira_group("Ikeja traders", 10_000, start_date())
            .deposit(DepositRule::None)
            .build()
            .unwrap();
        service.create_group(&group, config).await.unwrap();
        for name in ["ada", "bola"] {
            service
                .join(&group, &member(name), 1, &builders::contact(name))
                .await
                .unwrap();
        }
        service.start(&group).await.unwrap();
        World {
            service,
            store,
            clock,
            group,
        }
    }

    /// Ledger entries that carry `reference`.
    async fn entries(&self, reference: &str) -> usize {
        self.store
            .entries(&EntryQuery {
                reference: Some(reference.into()),
                ..EntryQuery::default()
            })
            .await
            .unwrap()
            .len()
    }

    /// What hand `hand` has paid towards round 1.
    async fn paid(&self, hand: u32) -> Money {
        let state = self.service.group(&self.group).await.unwrap();
        state.due(1, HandId::new(hand).unwrap()).unwrap().paid
    }

    async fn wallet(&self, name: &str) -> Account {
        let state = self.service.group(&self.group).await.unwrap();
        state.accounts().unwrap().wallet(&member(name))
    }

    async fn balance(&self, account: &Account) -> Money {
        self.store.balance(account).await.unwrap()
    }

    /// Both hands' round 1 contributions collected and confirmed by `webhook`, then the
    /// clock moved past the due date and grace so `tick` makes the payout and sends it to
    /// the provider.
    async fn pay_round_and_send_payout(&self, webhook: impl Fn(&str, Money) -> GatewayEvent) {
        for hand in [1, 2] {
            let collection = self
                .service
                .request_contribution(&self.group, 1, HandId::new(hand).unwrap())
                .await
                .unwrap();
            let event = webhook(&collection.reference, ngn("10000"));
            assert_eq!(
                self.service.handle_gateway_event(&event).await.unwrap(),
                Handled::Recorded
            );
        }
        self.clock
            .set(Utc.from_utc_datetime(&start_date().and_hms_opt(11, 0, 0).unwrap()) + days(2));
        let report = self.service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.payouts_sent, 1, "the payout went to the provider");
        let state = self.service.group(&self.group).await.unwrap();
        assert!(state.round(1).unwrap().paid_out);
    }
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

fn member(name: &str) -> MemberId {
    MemberId::new(name).unwrap()
}

fn minor(amount: Money) -> u64 {
    u64::try_from(amount.minor()).unwrap()
}

/// Delivers `event` `times` times at once, from separate tasks as a web server would:
/// exactly one delivery records it, the rest are duplicates.
async fn deliver_concurrently(service: &AjoService, event: &GatewayEvent, times: usize) {
    let deliveries: Vec<_> = (0..times)
        .map(|_| {
            let (service, event) = (service.clone(), event.clone());
            tokio::spawn(async move { service.handle_gateway_event(&event).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for delivery in deliveries {
        outcomes.push(delivery.await.unwrap());
    }
    let recorded = outcomes.iter().filter(|o| **o == Handled::Recorded).count();
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == Handled::Duplicate)
        .count();
    assert_eq!(
        (recorded, duplicates),
        (1, times - 1),
        "one delivery records, the rest are duplicates: {outcomes:?}"
    );
}

/// The collection request for hand 1 times out at the HTTP layer, so the service gets a
/// gateway timeout, although the provider received it.
async fn request_times_out(world: &World, server: &MockServer, route: &str) {
    let outcome = world
        .service
        .request_contribution(&world.group, 1, HandId::new(1).unwrap())
        .await;
    assert!(
        matches!(outcome, Err(ServiceError::Gateway(GatewayError::Timeout))),
        "{outcome:?}"
    );
    let reached = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == route)
        .count();
    assert!(reached >= 1, "the provider received the collection request");
}

/// With the webhook lost: nothing is credited, nor does `tick` ask before the
/// re-verification delay; after it, one `tick` asks the provider and credits the
/// contribution once; a later `tick` does not ask again; the webhook arriving late is a
/// duplicate.
async fn lost_webhook_is_resolved_by_tick(world: &World, late: &GatewayEvent) {
    assert_eq!(world.entries(REFERENCE).await, 0, "nothing credited yet");
    assert!(world.paid(1).await.is_zero());
    let early = world.service.tick().await.unwrap();
    assert_eq!(early.reverified, 0, "not asked before the delay");

    world.clock.advance(chrono::Duration::minutes(31));
    let report = world.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.reverified, 1, "the stuck collection is asked about");
    assert_eq!(
        world.paid(1).await,
        ngn("10000"),
        "credited by re-verification"
    );
    assert_eq!(world.entries(REFERENCE).await, 1, "one ledger entry");

    world.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(world.service.tick().await.unwrap().reverified, 0);

    assert_eq!(
        world.service.handle_gateway_event(late).await.unwrap(),
        Handled::Duplicate,
        "the late webhook changes nothing"
    );
    assert_eq!(world.entries(REFERENCE).await, 1, "credited once");
    assert_eq!(world.paid(1).await, ngn("10000"));
    trial_balance_is_zero(world.store.as_ref()).await;
}

/// A successful delivery then a reversal (`returned`), each delivered twice: ada is paid
/// the pot once, then owed it again by one reversal entry; the old success delivered
/// again does not pay again.
async fn success_then_reversal(world: &World, succeeded: &GatewayEvent, returned: &GatewayEvent) {
    let wallet = world.wallet("ada").await;
    assert_eq!(world.balance(&wallet).await, ngn(OWED));
    let before = world.entries(PAYOUT).await;
    deliver_concurrently(&world.service, succeeded, 2).await;
    assert!(world.balance(&wallet).await.is_zero(), "delivered");
    assert_eq!(
        world.entries(PAYOUT).await,
        before + 1,
        "one delivery entry"
    );
    deliver_concurrently(&world.service, returned, 2).await;
    assert_eq!(
        world.balance(&wallet).await,
        ngn(OWED),
        "ada is owed the pot again"
    );
    assert_eq!(
        world.entries(PAYOUT).await,
        before + 2,
        "one reversal entry"
    );
    assert_eq!(
        world.service.handle_gateway_event(succeeded).await.unwrap(),
        Handled::Duplicate,
        "the old success again does not pay again"
    );
    assert_eq!(world.entries(PAYOUT).await, before + 2);
    trial_balance_is_zero(world.store.as_ref()).await;
}

mod paystack {
    use super::*;

    const KEY: &str = "sk_test_4f1c2b9e8d7a";
    const INITIALIZED: &str = r#"{"status":true,"message":"Authorization URL created","data":{"authorization_url":"https://checkout.paystack.com/3ni8kdavz62431k","access_code":"3ni8kdavz62431k","reference":"ajo=ctb=g1=r1=h1"}}"#;
    const RECIPIENT: &str = r#"{"status":true,"message":"Transfer recipient created successfully","data":{"active":true,"currency":"NGN","domain":"test","id":20317609,"integration":463433,"name":"Tolu Robert","recipient_code":"RCP_m7ljkv8leesep7p","type":"nuban","is_deleted":false,"details":{"authorization_code":null,"account_number":"01000000010","account_name":"Tolu Robert","bank_code":"058","bank_name":"Guaranty Trust Bank"}}}"#;

    async fn world(server: &MockServer) -> World {
        Mock::given(method("POST"))
            .and(path("/transferrecipient"))
            .respond_with(json(200, RECIPIENT))
            .mount(server)
            .await;
        let gateway = PaystackGateway::new(
            PaystackConfig::new(SecretString::from(KEY)).with_http(http(&server.uri())),
        )
        .unwrap();
        World::new(Arc::new(gateway)).await
    }

    fn verified(reference: &str, amount: u64) -> String {
        j!({"status":true,"message":"Verification successful","data":{"id":4099260516u64,"domain":"test","status":"success","reference":reference,"amount":amount,"gateway_response":"Successful","paid_at":"2026-01-10T09:15:02.000Z","channel":"card","currency":"NGN","fees":10283,"requested_amount":amount}}).to_string()
    }

    fn transfer(reference: &str, amount: u64, status: &str) -> String {
        j!({"status":true,"message":"Transfer has been queued","data":{"domain":"test","amount":amount,"currency":"NGN","reference":reference,"source":"balance","reason":"ajo round 1 payout","status":status,"transfer_code":"TRF_v5tip3zx8nna9o78","id":860703114,"integration":463433,"recipient":56824902,"createdAt":"2026-02-02T10:32:40.000Z","updatedAt":"2026-02-02T10:32:40.000Z"}}).to_string()
    }

    /// A signed Paystack webhook, through the core verifier.
    fn webhook(event: &str, data: serde_json::Value) -> GatewayEvent {
        let body = j!({"event": event, "data": data}).to_string();
        let mut mac = Hmac::<Sha512>::new_from_slice(KEY.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        let headers = [(
            "x-paystack-signature",
            hex::encode(mac.finalize().into_bytes()),
        )];
        let verifier = PaystackVerifier::new(vec![SecretString::from(KEY)]).unwrap();
        match verifier
            .verify_and_parse(&headers, body.as_bytes())
            .unwrap()
        {
            WebhookOutcome::Payment(event) => event,
            other => panic!("{event} is a payment event: {other:?}"),
        }
    }

    fn charge_success(reference: &str, amount: Money) -> GatewayEvent {
        webhook(
            "charge.success",
            j!({"id": 302961, "domain": "test", "status": "success", "reference": reference,
                "amount": minor(amount), "gateway_response": "Approved by Financial Institution",
                "paid_at": "2026-01-10T09:10:19.000Z", "channel": "card", "currency": "NGN",
                "customer": {"id": 68324, "email": "ada@example.com"}}),
        )
    }

    fn transfer_event(event: &str, status: &str, amount: Money) -> GatewayEvent {
        transfer_event_for(PAYOUT, event, status, amount)
    }

    fn transfer_event_for(
        reference: &str,
        event: &str,
        status: &str,
        amount: Money,
    ) -> GatewayEvent {
        webhook(
            event,
            j!({"amount": minor(amount), "currency": "NGN", "domain": "test", "reference": reference,
                "source": "balance", "reason": "ajo round 1 payout", "status": status,
                "transfer_code": "TRF_v5tip3zx8nna9o78", "transferred_at": "2026-02-02T10:40:00.000Z",
                "gateway_response": "Account could not be credited"}),
        )
    }

    /// Every transfer is queued (pending); the outcome comes by webhook.
    async fn mount_transfer(server: &MockServer, owed: u64) {
        Mock::given(method("POST"))
            .and(path("/transfer"))
            .respond_with(json(200, &transfer(PAYOUT, owed, "pending")))
            .mount(server)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timeout_after_the_charge_and_a_lost_webhook_are_resolved_by_tick() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        Mock::given(method("POST"))
            .and(path("/transaction/initialize"))
            .respond_with(json(200, INITIALIZED).set_delay(TOO_SLOW))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/transaction/verify/{REFERENCE}")))
            .respond_with(json(200, &verified(REFERENCE, 1_000_000)))
            .expect(1)
            .mount(&server)
            .await;
        request_times_out(&world, &server, "/transaction/initialize").await;
        lost_webhook_is_resolved_by_tick(&world, &charge_success(REFERENCE, ngn("10000"))).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn duplicate_and_out_of_order_webhooks_credit_once() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        Mock::given(method("POST"))
            .and(path("/transaction/initialize"))
            .respond_with(json(200, INITIALIZED))
            .mount(&server)
            .await;
        let collection = world
            .service
            .request_contribution(&world.group, 1, HandId::new(1).unwrap())
            .await
            .unwrap();
        let charge = charge_success(&collection.reference, ngn("10000"));
        deliver_concurrently(&world.service, &charge, 3).await;
        assert_eq!(world.entries(REFERENCE).await, 1);
        assert_eq!(world.paid(1).await, ngn("10000"));
        // Hand 1 is paid: the service re-sends nothing and the rest of the round goes on.

        mount_transfer(&server, 2_000_000).await;
        let collection = world
            .service
            .request_contribution(&world.group, 1, HandId::new(2).unwrap())
            .await
            .unwrap();
        deliver_concurrently(
            &world.service,
            &charge_success(&collection.reference, ngn("10000")),
            3,
        )
        .await;
        world
            .clock
            .set(Utc.from_utc_datetime(&start_date().and_hms_opt(11, 0, 0).unwrap()) + days(2));
        let report = world.service.tick().await.unwrap();
        assert_eq!(report.payouts_sent, 1, "{report:?}");
        let wallet = world.wallet("ada").await;
        let owed = ngn(POT);
        assert_eq!(world.balance(&wallet).await, ngn(OWED));

        // The failure report overtakes the success (the documented rule: a success after a
        // failure records the success), and each is delivered twice.
        let failed = transfer_event("transfer.failed", "failed", owed);
        let succeeded = transfer_event("transfer.success", "success", owed);
        assert_eq!(
            world.service.handle_gateway_event(&failed).await.unwrap(),
            Handled::Recorded
        );
        assert_eq!(
            world.service.handle_gateway_event(&failed).await.unwrap(),
            Handled::Duplicate
        );
        assert_eq!(world.balance(&wallet).await, ngn(OWED));
        deliver_concurrently(&world.service, &succeeded, 3).await;
        assert!(world.balance(&wallet).await.is_zero(), "delivered once");
        assert_eq!(world.entries(PAYOUT).await, 1, "one delivery entry");
        trial_balance_is_zero(world.store.as_ref()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transfer_that_succeeds_then_reverses_is_owed_again() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        Mock::given(method("POST"))
            .and(path("/transaction/initialize"))
            .respond_with(json(200, INITIALIZED))
            .mount(&server)
            .await;
        mount_transfer(&server, 2_000_000).await;
        world.pay_round_and_send_payout(charge_success).await;
        success_then_reversal(
            &world,
            &transfer_event("transfer.success", "success", ngn(POT)),
            &transfer_event("transfer.reversed", "reversed", ngn(POT)),
        )
        .await;
    }
    /// The references of the transfers asked for, in order.
    async fn transfers_asked(server: &MockServer) -> Vec<String> {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/transfer")
            .map(|r| {
                let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                body["reference"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// Paystack answers a transfer reference it has seen with the transfer made under it,
    /// so a reversed transfer sent again under its own reference would never pay: the
    /// second attempt goes under a new reference, and ada is paid once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reversed_transfer_is_paid_again_once_under_a_new_reference() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        Mock::given(method("POST"))
            .and(path("/transaction/initialize"))
            .respond_with(json(200, INITIALIZED))
            .mount(&server)
            .await;
        for reference in [PAYOUT, RETRY] {
            Mock::given(method("POST"))
                .and(path("/transfer"))
                .and(body_partial_json(j!({ "reference": reference })))
                .respond_with(json(200, &transfer(reference, 2_000_000, "pending")))
                .expect(1)
                .mount(&server)
                .await;
        }
        world.pay_round_and_send_payout(charge_success).await;
        let wallet = world.wallet("ada").await;
        let delivered = transfer_event("transfer.success", "success", ngn(POT));
        assert_eq!(
            world
                .service
                .handle_gateway_event(&delivered)
                .await
                .unwrap(),
            Handled::Recorded
        );
        let returned = transfer_event("transfer.reversed", "reversed", ngn(POT));
        deliver_concurrently(&world.service, &returned, 2).await;
        assert_eq!(world.balance(&wallet).await, ngn(OWED));

        world.clock.advance(chrono::Duration::minutes(31));
        let report = world.service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.payouts_sent, 1);
        assert_eq!(
            transfers_asked(&server).await,
            [PAYOUT, RETRY],
            "two transfers, the second under a new reference"
        );
        assert_eq!(
            world.balance(&wallet).await,
            ngn(OWED),
            "pending at Paystack"
        );

        deliver_concurrently(
            &world.service,
            &transfer_event_for(RETRY, "transfer.success", "success", ngn(POT)),
            2,
        )
        .await;
        assert!(world.balance(&wallet).await.is_zero(), "paid once");
        assert_eq!(
            world
                .service
                .handle_gateway_event(&delivered)
                .await
                .unwrap(),
            Handled::Duplicate,
            "the first transfer's success again pays nothing"
        );
        world.clock.advance(chrono::Duration::minutes(31));
        assert_eq!(world.service.tick().await.unwrap().payouts_sent, 0);
        assert_eq!(transfers_asked(&server).await.len(), 2);
        assert_eq!(
            (world.entries(PAYOUT).await, world.entries(RETRY).await),
            (2, 1)
        );
        trial_balance_is_zero(world.store.as_ref()).await;
    }
}

mod flutterwave {
    use super::*;

    const KEY: &str = "FLWSECK_TEST-9a8b7c6d5e4f-X";
    const SECRET_HASH: &str = "ajo-flw-secret-hash-0001";
    const HOSTED: &str = r#"{"status":"success","message":"Hosted Link","data":{"link":"https://checkout.flutterwave.com/v3/hosted/pay/f524c1196ffda5556341"}}"#;
    const BENEFICIARY: &str = r#"{"status":"success","message":"Beneficiary created","data":{"id":16520,"account_number":"0690000040","bank_code":"044","full_name":"Ada Obi","created_at":"2026-01-10T10:00:00.000Z","bank_name":"ACCESS BANK NIGERIA"}}"#;

    async fn world(server: &MockServer) -> World {
        Mock::given(method("POST"))
            .and(path("/v3/beneficiaries"))
            .respond_with(json(200, BENEFICIARY))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v3/beneficiaries/16520"))
            .respond_with(json(200, BENEFICIARY))
            .mount(server)
            .await;
        let gateway = FlutterwaveGateway::new(
            FlutterwaveConfig::new(SecretString::from(KEY)).with_http(http(&server.uri())),
        )
        .unwrap();
        World::new(Arc::new(gateway)).await
    }

    fn verified(reference: &str, amount: &str) -> String {
        format!(
            r#"{{"status":"success","message":"Transaction fetched successfully","data":{{"id":285959875,"tx_ref":"{reference}","flw_ref":"AJO/FLW270177170","amount":{amount},"currency":"NGN","charged_amount":{amount},"app_fee":1.4,"merchant_fee":0,"processor_response":"Approved by Financial Institution","status":"successful","payment_type":"card","created_at":"2026-01-10T09:17:04.000Z","customer":{{"email":"ada@example.com"}}}}}}"#
        )
    }

    fn transfer(reference: &str, status: &str) -> String {
        j!({"status":"success","message":"Transfer Queued Successfully","data":{"id":2207648,"account_number":"0690000040","bank_code":"044","full_name":"Ada Obi","created_at":"2026-02-02T21:49:02.000Z","currency":"NGN","debit_currency":"NGN","amount":20000,"fee":26.875,"status":status,"reference":reference,"meta":null,"narration":"ajo round 1 payout","complete_message":"","requires_approval":0,"is_approved":1,"bank_name":"ACCESS BANK NIGERIA"}}).to_string()
    }

    /// A signed Flutterwave webhook (HMAC-SHA256 of the body, base64), through the core
    /// verifier.
    fn webhook(body: &str) -> GatewayEvent {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET_HASH.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let headers = [("flutterwave-signature", signature)];
        let verifier = FlutterwaveVerifier::new(vec![SecretString::from(SECRET_HASH)]).unwrap();
        match verifier
            .verify_and_parse(&headers, body.as_bytes())
            .unwrap()
        {
            WebhookOutcome::Payment(event) => event,
            other => panic!("a payment event: {other:?}"),
        }
    }

    fn charge(reference: &str, amount: Money, status: &str) -> GatewayEvent {
        let amount = amount.amount().normalize();
        webhook(&format!(
            r#"{{"event":"charge.completed","data":{{"id":285959875,"tx_ref":"{reference}","flw_ref":"AJO/FLW270177170","amount":{amount},"currency":"NGN","charged_amount":{amount},"app_fee":1.4,"merchant_fee":0,"processor_response":"Approved by Financial Institution","status":"{status}","payment_type":"card","created_at":"2026-01-10T09:17:04.000Z","customer":{{"email":"ada@example.com"}}}}}}"#
        ))
    }

    fn transfer_completed(status: &str, amount: Money) -> GatewayEvent {
        let amount = amount.amount().normalize();
        webhook(&format!(
            r#"{{"event":"transfer.completed","event.type":"Transfer","data":{{"id":2207648,"account_number":"0690000040","bank_name":"ACCESS BANK NIGERIA","bank_code":"044","fullname":"Ada Obi","created_at":"2026-02-02T21:49:02.000Z","currency":"NGN","debit_currency":"NGN","amount":{amount},"fee":26.875,"status":"{status}","reference":"{PAYOUT}","meta":null,"narration":"ajo round 1 payout","approver":null,"complete_message":"Transaction was successful","requires_approval":0,"is_approved":1}}}}"#
        ))
    }

    async fn mount_payments(server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/v3/payments"))
            .respond_with(json(200, HOSTED))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v3/transfers"))
            .respond_with(json(200, &transfer(PAYOUT, "NEW")))
            .mount(server)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timeout_after_the_charge_and_a_lost_webhook_are_resolved_by_tick() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        Mock::given(method("POST"))
            .and(path("/v3/payments"))
            .respond_with(json(200, HOSTED).set_delay(TOO_SLOW))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v3/transactions/verify_by_reference"))
            .and(query_param("tx_ref", REFERENCE))
            .respond_with(json(200, &verified(REFERENCE, "10000")))
            .expect(1)
            .mount(&server)
            .await;
        request_times_out(&world, &server, "/v3/payments").await;
        lost_webhook_is_resolved_by_tick(&world, &charge(REFERENCE, ngn("10000"), "successful"))
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn duplicate_and_out_of_order_webhooks_credit_once() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        mount_payments(&server).await;
        let collection = world
            .service
            .request_contribution(&world.group, 1, HandId::new(1).unwrap())
            .await
            .unwrap();
        // A declined card is reported, then the card that worked (three deliveries at
        // once), then the declined report again: a success after a failure is recorded,
        // a failure after a success changes nothing.
        let failed = charge(&collection.reference, ngn("10000"), "failed");
        let succeeded = charge(&collection.reference, ngn("10000"), "successful");
        assert_eq!(
            world.service.handle_gateway_event(&failed).await.unwrap(),
            Handled::Recorded
        );
        deliver_concurrently(&world.service, &succeeded, 3).await;
        assert_eq!(
            world.service.handle_gateway_event(&failed).await.unwrap(),
            Handled::Duplicate
        );
        assert_eq!(world.entries(REFERENCE).await, 1, "credited once");
        assert_eq!(world.paid(1).await, ngn("10000"));

        let collection = world
            .service
            .request_contribution(&world.group, 1, HandId::new(2).unwrap())
            .await
            .unwrap();
        deliver_concurrently(
            &world.service,
            &charge(&collection.reference, ngn("10000"), "successful"),
            3,
        )
        .await;
        world
            .clock
            .set(Utc.from_utc_datetime(&start_date().and_hms_opt(11, 0, 0).unwrap()) + days(2));
        assert_eq!(world.service.tick().await.unwrap().payouts_sent, 1);
        let wallet = world.wallet("ada").await;
        let owed = ngn(POT);
        assert_eq!(world.balance(&wallet).await, ngn(OWED));
        // FAILED overtakes SUCCESSFUL: the success is recorded, once.
        let failed = transfer_completed("FAILED", owed);
        let succeeded = transfer_completed("SUCCESSFUL", owed);
        assert_eq!(
            world.service.handle_gateway_event(&failed).await.unwrap(),
            Handled::Recorded
        );
        deliver_concurrently(&world.service, &succeeded, 3).await;
        assert!(world.balance(&wallet).await.is_zero(), "delivered once");
        assert_eq!(world.entries(PAYOUT).await, 1);
        trial_balance_is_zero(world.store.as_ref()).await;
    }

    /// A charge let in by the static `verif-hash` (the host turned it on) is what anyone
    /// who has seen one delivery can write: the service confirms it with Flutterwave by
    /// the transaction id the body names, and credits it only when Flutterwave has that
    /// transaction, successful, for this `tx_ref`, amount and currency.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_static_token_charge_is_confirmed_by_its_transaction_id_before_credit() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        mount_payments(&server).await;
        let collection = world
            .service
            .request_contribution(&world.group, 1, HandId::new(1).unwrap())
            .await
            .unwrap();
        let reference = collection.reference.as_str();
        let by_token = |id: u64, amount: &str| {
            let body = format!(
                r#"{{"event":"charge.completed","data":{{"id":{id},"tx_ref":"{reference}","flw_ref":"AJO/FLW{id}","amount":{amount},"currency":"NGN","charged_amount":{amount},"status":"successful","payment_type":"card","created_at":"2026-01-10T09:17:04.000Z","customer":{{"email":"ada@example.com"}}}}}}"#
            );
            let headers = [("verif-hash", SECRET_HASH.to_owned())];
            let verifier = FlutterwaveVerifier::new(vec![SecretString::from(SECRET_HASH)])
                .unwrap()
                .with_verif_hash();
            match verifier
                .verify_and_parse(&headers, body.as_bytes())
                .unwrap()
            {
                WebhookOutcome::Payment(event) => event,
                other => panic!("a payment event: {other:?}"),
            }
        };
        let lookup = |id: u64, tx_ref: &str, amount: &str, status: &str| {
            j!({"status":"success","message":"Transaction fetched successfully","data":{"id":id,"tx_ref":tx_ref,"flw_ref":"AJO/FLW","amount":amount.parse::<u64>().unwrap(),"currency":"NGN","charged_amount":amount.parse::<u64>().unwrap(),"status":status,"payment_type":"card","created_at":"2026-01-10T09:17:04.000Z","customer":{"email":"ada@example.com"}}}).to_string()
        };
        // Another payer's real charge, claimed for this reference.
        Mock::given(method("GET"))
            .and(path("/v3/transactions/901/verify"))
            .respond_with(json(
                200,
                &lookup(901, "someone-else", "10000", "successful"),
            ))
            .expect(1)
            .mount(&server)
            .await;
        // A charge of this reference that failed.
        Mock::given(method("GET"))
            .and(path("/v3/transactions/902/verify"))
            .respond_with(json(200, &lookup(902, reference, "10000", "failed")))
            .expect(1)
            .mount(&server)
            .await;
        // The real one, for ₦10,000 (claimed once as ₦90,000).
        Mock::given(method("GET"))
            .and(path("/v3/transactions/903/verify"))
            .respond_with(json(200, &lookup(903, reference, "10000", "successful")))
            .expect(2)
            .mount(&server)
            .await;
        for (id, amount) in [(901, "10000"), (902, "10000"), (903, "90000")] {
            let outcome = world
                .service
                .handle_gateway_event(&by_token(id, amount))
                .await
                .unwrap();
            assert!(
                matches!(outcome, Handled::Unconfirmed { .. }),
                "{id}: {outcome:?}"
            );
        }
        assert_eq!(world.entries(REFERENCE).await, 0, "nothing credited");
        assert_eq!(
            world
                .service
                .handle_gateway_event(&by_token(903, "10000"))
                .await
                .unwrap(),
            Handled::Recorded
        );
        assert_eq!(world.paid(1).await, ngn("10000"));
        trial_balance_is_zero(world.store.as_ref()).await;
    }

    /// Flutterwave has no reversal event: a `FAILED` report after `SUCCESSFUL` is the
    /// bank returning the money, recorded as a reversal.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transfer_reported_failed_after_success_is_owed_again() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        mount_payments(&server).await;
        world
            .pay_round_and_send_payout(|reference, amount| charge(reference, amount, "successful"))
            .await;
        success_then_reversal(
            &world,
            &transfer_completed("SUCCESSFUL", ngn(POT)),
            &transfer_completed("FAILED", ngn(POT)),
        )
        .await;
    }
}

mod stripe {
    use super::*;

    const KEY: &str = "sk_test_51Hq2x7c9Zb0y";
    const WHSEC: &str = "whsec_test_secret";

    async fn world(server: &MockServer) -> World {
        Mock::given(method("POST"))
            .and(path("/v1/accounts"))
            .respond_with(json(200, r#"{"id":"acct_1Abc","object":"account"}"#))
            .mount(server)
            .await;
        let gateway = StripeGateway::new(
            StripeConfig::new(SecretString::from(KEY)).with_http(http(&server.uri())),
        )
        .unwrap();
        World::new(Arc::new(gateway)).await
    }

    fn intent(reference: &str, status: &str, amount: i64) -> serde_json::Value {
        // One intent per reference: Stripe keys its events by the object's id.
        j!({"id":format!("pi_{reference}"),"object":"payment_intent","amount":amount,
            "amount_received":if status == "succeeded" { amount } else { 0 },
            "currency":"ngn","status":status,"client_secret":"pi_3Nabc_secret_xyz","created":1700000000,
            "metadata":{"ajo_reference":reference},"latest_charge":null,"last_payment_error":null,"livemode":false})
    }

    /// The intents Stripe's search finds under `reference`.
    async fn mount_search(server: &MockServer, reference: &str, data: Vec<serde_json::Value>) {
        Mock::given(method("GET"))
            .and(path("/v1/payment_intents/search"))
            .and(query_param(
                "query",
                format!("metadata['ajo_reference']:'{reference}'").as_str(),
            ))
            .respond_with(json(
                200,
                &j!({"object":"search_result","url":"/v1/payment_intents/search","has_more":false,"data":data})
                    .to_string(),
            ))
            .mount(server)
            .await;
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 2, 11, 0, 0).unwrap()
    }

    /// A signed Stripe event (`t=…,v1=…`), through the core verifier.
    fn webhook(id: &str, kind: &str, object: &serde_json::Value) -> GatewayEvent {
        let body = j!({"id": id, "object": "event", "api_version": ajo_adapters::stripe::API_VERSION,
            "created": now().timestamp(), "data": {"object": object}, "livemode": false, "type": kind})
        .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(WHSEC.as_bytes()).unwrap();
        mac.update(format!("{}.{body}", now().timestamp()).as_bytes());
        let signature = format!(
            "t={},v1={}",
            now().timestamp(),
            hex::encode(mac.finalize().into_bytes())
        );
        let headers = [("Stripe-Signature", signature)];
        let verifier = StripeVerifier::new(vec![SecretString::from(WHSEC)]).unwrap();
        match verifier
            .verify_and_parse(&headers, body.as_bytes(), now())
            .unwrap()
        {
            WebhookOutcome::Payment(event) => event,
            other => panic!("{kind} is a payment event: {other:?}"),
        }
    }

    fn succeeded(reference: &str, amount: Money) -> GatewayEvent {
        let minor = i64::try_from(amount.minor()).unwrap();
        webhook(
            "evt_succeeded",
            "payment_intent.succeeded",
            &intent(reference, "succeeded", minor),
        )
    }

    fn payment_failed(reference: &str, amount: Money) -> GatewayEvent {
        let minor = i64::try_from(amount.minor()).unwrap();
        let mut object = intent(reference, "requires_payment_method", minor);
        object["last_payment_error"] =
            j!({"code":"card_declined","decline_code":"insufficient_funds"});
        webhook("evt_failed", "payment_intent.payment_failed", &object)
    }

    fn transfer(amount: Money, reversed: bool) -> serde_json::Value {
        let back = if reversed { amount } else { ngn("0") };
        transfer_of("tr_1", PAYOUT, amount, back)
    }

    /// Transfer `id` under `reference`, with `back` of it reversed so far.
    fn transfer_of(id: &str, reference: &str, amount: Money, back: Money) -> serde_json::Value {
        let minor = i64::try_from(amount.minor()).unwrap();
        let back = i64::try_from(back.minor()).unwrap();
        j!({"id":id,"object":"transfer","amount":minor,"currency":"ngn","destination":"acct_1Abc",
            "reversed":back == minor,"amount_reversed":back,
            "transfer_group":reference,"metadata":{"ajo_reference":reference}})
    }

    /// No transfer under our reference yet; creating one succeeds at once (a Connect
    /// transfer is final when made).
    async fn mount_transfers(server: &MockServer, amount: Money) {
        Mock::given(method("GET"))
            .and(path("/v1/transfers"))
            .respond_with(json(
                200,
                r#"{"object":"list","url":"/v1/transfers","has_more":false,"data":[]}"#,
            ))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/transfers"))
            .respond_with(json(200, &transfer(amount, false).to_string()))
            .expect(1)
            .mount(server)
            .await;
    }

    async fn mount_collections(server: &MockServer) {
        for hand in ["h1", "h2"] {
            let reference = format!("ajo=ctb=g1=r1={hand}");
            mount_search(server, &reference, vec![]).await;
        }
        Mock::given(method("POST"))
            .and(path("/v1/payment_intents"))
            .respond_with(json(
                200,
                &intent(REFERENCE, "requires_payment_method", 1_000_000).to_string(),
            ))
            .mount(server)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timeout_after_the_charge_and_a_lost_webhook_are_resolved_by_tick() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        mount_search(&server, REFERENCE, vec![]).await;
        Mock::given(method("POST"))
            .and(path("/v1/payment_intents"))
            .respond_with(
                json(
                    200,
                    &intent(REFERENCE, "requires_payment_method", 1_000_000).to_string(),
                )
                .set_delay(TOO_SLOW),
            )
            .mount(&server)
            .await;
        request_times_out(&world, &server, "/v1/payment_intents").await;
        // The intent exists at Stripe now, and the payer completed it.
        server.reset().await;
        mount_search(
            &server,
            REFERENCE,
            vec![intent(REFERENCE, "succeeded", 1_000_000)],
        )
        .await;
        lost_webhook_is_resolved_by_tick(&world, &succeeded(REFERENCE, ngn("10000"))).await;
        let searches = server.received_requests().await.unwrap().len();
        assert_eq!(searches, 1, "one re-verification, by search");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn duplicate_and_out_of_order_webhooks_credit_once() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        mount_collections(&server).await;
        let collection = world
            .service
            .request_contribution(&world.group, 1, HandId::new(1).unwrap())
            .await
            .unwrap();
        // A declined card, then a card that worked; Stripe may deliver them out of order.
        let paid = succeeded(&collection.reference, ngn("10000"));
        let declined = payment_failed(&collection.reference, ngn("10000"));
        deliver_concurrently(&world.service, &paid, 3).await;
        assert_eq!(
            world.service.handle_gateway_event(&declined).await.unwrap(),
            Handled::Duplicate,
            "a late failure after the success changes nothing"
        );
        assert_eq!(world.entries(REFERENCE).await, 1, "credited once");
        assert_eq!(world.paid(1).await, ngn("10000"));
        trial_balance_is_zero(world.store.as_ref()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transfer_that_succeeds_then_reverses_is_owed_again() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        mount_collections(&server).await;
        mount_transfers(&server, ngn("20000")).await;
        // The transfer succeeds when made: tick records the delivery from the answer.
        world.pay_round_and_send_payout(succeeded).await;
        let owed = ngn(POT);
        let wallet = world.wallet("ada").await;
        assert!(
            world.balance(&wallet).await.is_zero(),
            "delivered on creation"
        );
        assert_eq!(world.entries(PAYOUT).await, 1);
        let reversed = webhook("evt_reversed", "transfer.reversed", &transfer(owed, true));
        assert_eq!(
            world.service.handle_gateway_event(&reversed).await.unwrap(),
            Handled::Recorded
        );
        assert_eq!(
            world.balance(&wallet).await,
            ngn(OWED),
            "ada is owed the pot again"
        );
        assert_eq!(world.entries(PAYOUT).await, 2, "one reversal");
        assert_eq!(
            world.service.handle_gateway_event(&reversed).await.unwrap(),
            Handled::Duplicate
        );
        assert_eq!(world.entries(PAYOUT).await, 2);
        trial_balance_is_zero(world.store.as_ref()).await;
    }

    /// Stripe reports reversals of a transfer as a running total (`amount_reversed`), again
    /// each time it grows: each part is booked once, and only what came back is sent
    /// again, as a new transfer under a new reference.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_partial_reversal_books_its_running_total_and_only_that_is_sent_again() {
        let server = MockServer::start().await;
        let world = world(&server).await;
        mount_collections(&server).await;
        Mock::given(method("GET"))
            .and(path("/v1/transfers"))
            .respond_with(json(
                200,
                r#"{"object":"list","url":"/v1/transfers","has_more":false,"data":[]}"#,
            ))
            .mount(&server)
            .await;
        let pot = ngn(POT);
        let one_naira = ngn("1.00");
        for (id, reference, amount) in [("tr_1", PAYOUT, pot), ("tr_2", RETRY, one_naira)] {
            Mock::given(method("POST"))
                .and(path("/v1/transfers"))
                .and(header(
                    "idempotency-key",
                    format!("ajo-payout-{reference}").as_str(),
                ))
                .respond_with(json(
                    200,
                    &transfer_of(id, reference, amount, ngn("0")).to_string(),
                ))
                .expect(1)
                .mount(&server)
                .await;
        }
        world.pay_round_and_send_payout(succeeded).await;
        let wallet = world.wallet("ada").await;
        assert!(
            world.balance(&wallet).await.is_zero(),
            "delivered on creation"
        );

        let reversed_so_far = |event: &str, back: Money| {
            webhook(
                event,
                "transfer.reversed",
                &transfer_of("tr_1", PAYOUT, pot, back),
            )
        };
        let first = reversed_so_far("evt_rev_1", one_naira);
        deliver_concurrently(&world.service, &first, 2).await;
        assert_eq!(
            world.balance(&wallet).await,
            ngn("-1.00"),
            "ada is owed the ₦1.00 that came back"
        );
        assert_eq!(
            world
                .service
                .handle_gateway_event(&reversed_so_far("evt_rev_1_again", one_naira))
                .await
                .unwrap(),
            Handled::Duplicate,
            "the same total in another event"
        );

        world.clock.advance(chrono::Duration::minutes(31));
        let report = world.service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.payouts_sent, 1);
        assert!(
            world.balance(&wallet).await.is_zero(),
            "the ₦1.00 went out again, alone"
        );

        // The rest of the first transfer comes back: the total less the ₦1.00 booked.
        let rest = reversed_so_far("evt_rev_2", pot);
        assert_eq!(
            world.service.handle_gateway_event(&rest).await.unwrap(),
            Handled::Recorded
        );
        assert_eq!(world.balance(&wallet).await, ngn("-19999.00"));
        assert_eq!(
            world.service.handle_gateway_event(&first).await.unwrap(),
            Handled::Duplicate,
            "an older total arriving late"
        );
        assert_eq!(
            (world.entries(PAYOUT).await, world.entries(RETRY).await),
            (3, 1),
            "delivered, ₦1.00 back, ₦19,999.00 back; ₦1.00 delivered"
        );
        trial_balance_is_zero(world.store.as_ref()).await;
    }
}
