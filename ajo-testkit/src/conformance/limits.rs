//! Limits through [`AjoService`], on the path a host takes: a collection over a
//! per-transaction cap refused with its room, a daily cap that frees up at local midnight
//! (Lagos), a monthly cap, a group's cap across its members, a loan disbursement refused,
//! a payout held by a limit and sent once room returns, a refusal that writes nothing,
//! and two requests racing for the last room. Every store runs it; the clock reads
//! between two microseconds, as a real one does.

use std::sync::Arc;

use ajo_core::group::deposit::DepositRule;
use ajo_core::group::payout::PayoutPolicy;
use ajo_core::ids::{GroupId, LoanId};
use ajo_core::ledger::{Account, JournalEntry};
use ajo_core::limits::{Flow, Limit, LimitExceeded, Limits, Scope, UsageEvent, Window};
use ajo_core::loan::{LoanPolicy, LoanStatus};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    AppendOutcome, AppendRequest, Clock, DomainEvent, EmailSender, EntryQuery, EventLog,
    IdempotencyKeys, Journal, KeyRecord, Outbox, OutboxOutcome, OutboxRecord, OutboxStatus,
    PaymentGateway, ReadFrom, SmsSender, Store, StoreError, StoreRead, StreamId, StreamKind,
    WakeSchedule,
};
use ajo_core::reference::PaymentReference;
use ajo_core::service::{AjoService, ErrorKind, Handled, LoanRequest, ServiceConfig, ServiceError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::time::Duration as StdDuration;

use crate::builders::{contact, member, naira_group, naira_loan};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_collection_over_the_per_transaction_limit_is_refused_with_its_room(factory().await).await;
    a_daily_limit_frees_up_at_local_midnight(factory().await).await;
    a_monthly_limit_counts_the_month_and_frees_up_the_next(factory().await).await;
    a_group_limit_counts_every_member(factory().await).await;
    a_loan_disbursement_over_the_limit_is_refused_and_one_within_is_counted_once(factory().await)
        .await;
    a_payout_held_by_a_limit_is_sent_once_when_room_returns(factory().await).await;
    a_join_refused_by_a_limit_writes_nothing(factory().await).await;
    two_requests_racing_for_the_last_room_let_one_through(factory().await).await;
}

fn naira(n: i64) -> Money {
    Money::from_minor(i128::from(n) * 100, Currency::NGN).unwrap()
}

fn limit(scope: Scope, flow: Flow, window: Window, cap: i64) -> Limit {
    Limit::new(scope, flow, window, naira(cap)).unwrap()
}

/// 22:30 UTC plus a sub-microsecond part: 23:30 in Lagos, half an hour before its
/// midnight.
fn late_evening(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 22, 30, 0).unwrap() + Duration::nanoseconds(987_654_321)
}

struct Host {
    service: AjoService,
    gateway: Arc<FakeGateway>,
    clock: Arc<FakeClock>,
    store: Arc<dyn Store>,
}

fn host(store: Arc<dyn Store>, now: DateTime<Utc>, limits: Limits) -> Host {
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(now));
    let config = ServiceConfig {
        limits: limits.in_time_zone(chrono_tz::Africa::Lagos),
        // Collections asked on one day are still open the next.
        collection_expiry: Duration::days(30),
        ..ServiceConfig::default()
    };
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    )
    .with_config(config)
    .unwrap();
    Host {
        service,
        gateway,
        clock,
        store,
    }
}

/// A started group of ₦10,000 contributions without deposits, paying out once all have
/// paid, whose first round is due two months on (so nothing falls due meanwhile).
async fn started_group(host: &Host, name: &str, members: &[&str]) -> GroupId {
    started_group_due(host, name, members, 60).await
}

/// As [`started_group`], its first round due `in_days` from the clock's day.
async fn started_group_due(host: &Host, name: &str, members: &[&str], in_days: i64) -> GroupId {
    let start = (host.clock.now() + Duration::days(in_days)).date_naive();
    let id = GroupId::new(name).unwrap();
    let config = naira_group(name, 10_000, start)
        .deposit(DepositRule::None)
        .payout_policy(PayoutPolicy::WhenAllPaid)
        .build()
        .unwrap();
    host.service.create_group(&id, config).await.unwrap();
    for who in members {
        host.service
            .join(&id, &member(who), 1, &contact(who))
            .await
            .unwrap();
    }
    host.service.start(&id).await.unwrap();
    id
}

fn breach(result: Result<impl std::fmt::Debug, ServiceError>) -> LimitExceeded {
    match result {
        Err(ServiceError::LimitExceeded(e)) => {
            let error = ServiceError::LimitExceeded(e.clone());
            assert_eq!(error.kind(), ErrorKind::Refused);
            assert!(error.is_refused() && !error.is_retryable(), "{error}");
            *e
        }
        other => panic!("expected a limit refusal, got {other:?}"),
    }
}

async fn used(store: &Arc<dyn Store>, id: &str) -> Vec<(Flow, Money, String)> {
    store
        .load(&StreamId::new(StreamKind::Usage, id))
        .await
        .unwrap()
        .into_iter()
        .map(|r| match r.event {
            DomainEvent::Usage(UsageEvent::Used {
                flow,
                amount,
                reference,
                ..
            }) => (flow, amount, reference),
            other => panic!("a usage stream holds {other:?}"),
        })
        .collect()
}

async fn events(store: &Arc<dyn Store>, kind: StreamKind, id: &str) -> usize {
    store.load(&StreamId::new(kind, id)).await.unwrap().len()
}

/// A ₦10,000 contribution against a ₦5,000 per-transaction cap: refused, naming the
/// limit, with ₦5,000 of room; no collection is recorded, the gateway is not asked, and
/// nothing is counted. Within the cap (a ₦20,000 one) it goes through and is counted.
pub async fn a_collection_over_the_per_transaction_limit_is_refused_with_its_room(
    store: Arc<dyn Store>,
) {
    let tight = Limits::default().with(limit(Scope::Member, Flow::In, Window::Transaction, 5_000));
    let host = host(store.clone(), late_evening(2026, 3, 10), tight);
    let id = started_group(&host, "per-tx", &["ada", "bola"]).await;
    let refused = breach(
        host.service
            .request_contribution_for(&id, &member("ada"))
            .await,
    );
    assert_eq!(
        (
            refused.scope,
            refused.flow,
            refused.window,
            refused.cap,
            refused.used,
            refused.asked,
            refused.room
        ),
        (
            Scope::Member,
            Flow::In,
            Window::Transaction,
            naira(5_000),
            naira(0),
            naira(10_000),
            naira(5_000)
        )
    );
    let reference = PaymentReference::contribution(&id, 1, ajo_core::ids::HandId::new(1).unwrap());
    assert_eq!(
        events(&store, StreamKind::Payment, &reference.to_string()).await,
        0,
        "no collection is recorded"
    );
    assert!(
        host.gateway.collections().is_empty(),
        "the gateway is not asked"
    );
    assert!(used(&store, "member:ada:NGN:2026-03").await.is_empty());

    let roomy = Limits::default().with(limit(Scope::Member, Flow::In, Window::Transaction, 20_000));
    let host = host_on(&host, roomy);
    let checkout = host
        .service
        .request_contribution_for(&id, &member("ada"))
        .await
        .unwrap();
    assert_eq!(
        used(&store, "member:ada:NGN:2026-03").await,
        vec![(Flow::In, naira(10_000), checkout.reference)]
    );
}

/// Another service on the same store, at the same time, with other limits.
fn host_on(host: &Host, limits: Limits) -> Host {
    self::host(host.store.clone(), host.clock.now(), limits)
}

/// A ₦15,000 daily cap in Lagos: ada's first ₦10,000 passes, asking again for the same
/// checkout does not count again, a second group's ₦10,000 is refused with ₦5,000 of
/// room. Forty-five minutes later it is the next day in Lagos (still the same day in
/// UTC), and it passes.
pub async fn a_daily_limit_frees_up_at_local_midnight(store: Arc<dyn Store>) {
    let daily = Limits::default().with(limit(Scope::Member, Flow::In, Window::Day, 15_000));
    let host = host(store.clone(), late_evening(2026, 3, 10), daily);
    let first = started_group(&host, "daily-a", &["ada", "bola"]).await;
    let second = started_group(&host, "daily-b", &["ada", "bola"]).await;
    let ada = member("ada");
    let checkout = host
        .service
        .request_contribution_for(&first, &ada)
        .await
        .unwrap();
    let again = host
        .service
        .request_contribution_for(&first, &ada)
        .await
        .unwrap();
    assert!(again.reused, "the same checkout is handed back");
    assert_eq!(again.reference, checkout.reference);
    let refused = breach(host.service.request_contribution_for(&second, &ada).await);
    assert_eq!(
        (refused.window, refused.used, refused.room),
        (Window::Day, naira(10_000), naira(5_000)),
        "the checkout handed back again is counted once"
    );

    host.clock.advance(Duration::minutes(45));
    let next_day = host
        .service
        .request_contribution_for(&second, &ada)
        .await
        .unwrap();
    assert_eq!(
        used(&store, "member:ada:NGN:2026-03").await,
        vec![
            (Flow::In, naira(10_000), checkout.reference),
            (Flow::In, naira(10_000), next_day.reference.clone()),
        ]
    );
    // Paying it changes nothing counted: money is counted when asked for.
    let paid = host.gateway.pay(&next_day.reference).unwrap();
    assert_eq!(
        host.service.handle_gateway_event(&paid).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(used(&store, "member:ada:NGN:2026-03").await.len(), 2);
}

/// A ₦25,000 monthly cap: ₦10,000 on the 30th and on the 31st of January pass, a third
/// ₦10,000 late on the 31st is refused (₦5,000 left in the month, though the day has
/// room); once it is February in Lagos it passes, counted in February's stream.
pub async fn a_monthly_limit_counts_the_month_and_frees_up_the_next(store: Arc<dyn Store>) {
    let monthly = Limits::default()
        .with(limit(Scope::Member, Flow::In, Window::Day, 20_000))
        .with(limit(Scope::Member, Flow::In, Window::Month, 25_000));
    let host = host(store.clone(), late_evening(2026, 1, 29), monthly);
    let groups = [
        started_group(&host, "month-a", &["ada", "bola"]).await,
        started_group(&host, "month-b", &["ada", "bola"]).await,
        started_group(&host, "month-c", &["ada", "bola"]).await,
    ];
    let ada = member("ada");
    // 00:15 on the 30th in Lagos.
    host.clock.advance(Duration::minutes(45));
    host.service
        .request_contribution_for(&groups[0], &ada)
        .await
        .unwrap();
    host.clock.advance(Duration::days(1));
    host.service
        .request_contribution_for(&groups[1], &ada)
        .await
        .unwrap();
    // 23:45 on the 31st in Lagos.
    host.clock
        .advance(Duration::hours(23) + Duration::minutes(30));
    let refused = breach(
        host.service
            .request_contribution_for(&groups[2], &ada)
            .await,
    );
    assert_eq!(
        (refused.window, refused.cap, refused.used, refused.room),
        (Window::Month, naira(25_000), naira(20_000), naira(5_000))
    );
    // 00:15 on 1 February in Lagos; still 31 January in UTC.
    host.clock.advance(Duration::minutes(30));
    assert_eq!(
        host.clock.now().date_naive(),
        chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
    );
    let february = host
        .service
        .request_contribution_for(&groups[2], &ada)
        .await
        .unwrap();
    assert_eq!(used(&store, "member:ada:NGN:2026-01").await.len(), 2);
    assert_eq!(
        used(&store, "member:ada:NGN:2026-02").await,
        vec![(Flow::In, naira(10_000), february.reference)]
    );
}

/// A group's ₦15,000 daily cap counts every member's money into it: ada's ₦10,000
/// passes, bola's is refused with the group's ₦5,000 of room, though bola has used
/// nothing; a repayment of a loan through the group counts there too.
pub async fn a_group_limit_counts_every_member(store: Arc<dyn Store>) {
    let group_cap = Limits::default().with(limit(Scope::Group, Flow::In, Window::Day, 15_000));
    let host = host(store.clone(), late_evening(2026, 3, 10), group_cap);
    let id = started_group(&host, "group-cap", &["ada", "bola"]).await;
    host.service
        .request_contribution_for(&id, &member("ada"))
        .await
        .unwrap();
    let refused = breach(
        host.service
            .request_contribution_for(&id, &member("bola"))
            .await,
    );
    assert_eq!(
        (refused.scope, refused.used, refused.room),
        (Scope::Group, naira(10_000), naira(5_000))
    );
    assert_eq!(used(&store, "group:group-cap:NGN:2026-03").await.len(), 1);
    assert!(used(&store, "member:bola:NGN:2026-03").await.is_empty());

    // A loan repayment is money into the loan's group: it counts there too.
    let loan = LoanId::new("ln-group-cap").unwrap();
    host.service
        .apply_for_loan(loan_request(&loan, &id, "bola", 15_000, &host))
        .await
        .unwrap();
    host.service.approve_loan(&loan, "officer").await.unwrap();
    host.service.disburse_loan(&loan).await.unwrap();
    let refused = breach(
        host.service
            .request_loan_repayment(&loan, Some(naira(6_000)))
            .await,
    );
    assert_eq!((refused.scope, refused.room), (Scope::Group, naira(5_000)));
    let repayment = host
        .service
        .request_loan_repayment(&loan, Some(naira(5_000)))
        .await
        .unwrap();
    let counted: Vec<String> = used(&store, "group:group-cap:NGN:2026-03")
        .await
        .into_iter()
        .map(|(_, _, reference)| reference)
        .collect();
    assert_eq!(counted.len(), 2);
    assert_eq!(counted[1], repayment.reference);
}

fn loan_request(
    loan: &LoanId,
    group: &GroupId,
    who: &str,
    amount: i64,
    host: &Host,
) -> LoanRequest {
    LoanRequest {
        id: loan.clone(),
        group: group.clone(),
        member: member(who),
        terms: naira_loan(amount, "0.24", 3, host.clock.now().date_naive())
            .build()
            .unwrap(),
        policy: LoanPolicy::default(),
    }
}

/// Money out capped at ₦20,000 a transaction: ada's approved ₦30,000 loan is not
/// disbursed (refused with ₦20,000 of room; still approved, no payout begun); bola's
/// ₦15,000 loan is, counted when disbursed and not again when `tick` sends it.
pub async fn a_loan_disbursement_over_the_limit_is_refused_and_one_within_is_counted_once(
    store: Arc<dyn Store>,
) {
    let out = Limits::default().with(limit(Scope::Member, Flow::Out, Window::Transaction, 20_000));
    let host = host(store.clone(), late_evening(2026, 3, 10), out);
    let id = started_group(&host, "lending", &["ada", "bola"]).await;
    let big = LoanId::new("ln-big").unwrap();
    host.service
        .apply_for_loan(loan_request(&big, &id, "ada", 30_000, &host))
        .await
        .unwrap();
    host.service.approve_loan(&big, "officer").await.unwrap();
    let refused = breach(host.service.disburse_loan(&big).await);
    assert_eq!(
        (refused.flow, refused.window, refused.asked, refused.room),
        (Flow::Out, Window::Transaction, naira(30_000), naira(20_000))
    );
    assert_eq!(
        host.service.loan(&big).await.unwrap().status(),
        Some(LoanStatus::Approved)
    );
    let big_payout = PaymentReference::loan_disbursement(&big).to_string();
    assert_eq!(events(&store, StreamKind::Payout, &big_payout).await, 0);

    let small = LoanId::new("ln-small").unwrap();
    host.service
        .apply_for_loan(loan_request(&small, &id, "bola", 15_000, &host))
        .await
        .unwrap();
    host.service.approve_loan(&small, "officer").await.unwrap();
    host.service.disburse_loan(&small).await.unwrap();
    let small_payout = PaymentReference::loan_disbursement(&small).to_string();
    let report = host.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(
        host.gateway.payouts().contains_key(&small_payout),
        "the loan is sent"
    );
    host.service.tick().await.unwrap();
    assert_eq!(
        used(&store, "member:bola:NGN:2026-03").await,
        vec![(Flow::Out, naira(15_000), small_payout)],
        "counted once, when disbursed"
    );
}

/// Ada is paid out ₦20,000 by two groups on the same day under a ₦30,000 daily cap on
/// money out. The first is sent; the second is held (the tick reports the limit, the
/// gateway is not asked, a second tick that day leaves it be). The next day in Lagos it
/// is sent, once, and counted once.
pub async fn a_payout_held_by_a_limit_is_sent_once_when_room_returns(store: Arc<dyn Store>) {
    let out = Limits::default().with(limit(Scope::Member, Flow::Out, Window::Day, 30_000));
    let host = host(store.clone(), late_evening(2026, 3, 10), out);
    // Due today, so each pays out once all have paid.
    let first = started_group_due(&host, "payout-a", &["ada", "bola"], 0).await;
    let second = started_group_due(&host, "payout-b", &["ada", "bola"], 0).await;
    for group in [&first, &second] {
        for who in ["ada", "bola"] {
            let checkout = host
                .service
                .request_contribution_for(group, &member(who))
                .await
                .unwrap();
            let paid = host.gateway.pay(&checkout.reference).unwrap();
            assert_eq!(
                host.service.handle_gateway_event(&paid).await.unwrap(),
                Handled::Recorded
            );
        }
    }
    let payout_a = PaymentReference::payout(&first, 1).to_string();
    let payout_b = PaymentReference::payout(&second, 1).to_string();
    let sent = |reference: &str| {
        host.gateway
            .calls()
            .iter()
            .filter(|c| **c == format!("send_payout:{reference}"))
            .count()
    };
    let mut errors = Vec::new();
    for _ in 0..3 {
        errors.extend(host.service.tick().await.unwrap().errors);
    }
    // Which group's payout goes first is the tick's order: one is sent, the other held.
    let (went, held) = if sent(&payout_a) == 1 {
        (payout_a, payout_b)
    } else {
        (payout_b, payout_a)
    };
    assert_eq!((sent(&went), sent(&held)), (1, 0), "{errors:?}");
    let reported: Vec<_> = errors
        .iter()
        .filter(|(stream, _)| stream.kind == StreamKind::Payout && stream.id == held)
        .collect();
    assert_eq!(
        reported.len(),
        1,
        "reported once, then left until the next day: {errors:?}"
    );
    assert!(reported[0].1.contains("daily"), "{}", reported[0].1);

    host.clock.advance(Duration::minutes(45));
    for _ in 0..3 {
        let report = host.service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
    assert_eq!((sent(&went), sent(&held)), (1, 1), "each sent once");
    let counted: Vec<String> = used(&store, "member:ada:NGN:2026-03")
        .await
        .into_iter()
        .map(|(flow, amount, reference)| {
            assert_eq!((flow, amount), (Flow::Out, naira(20_000)));
            reference
        })
        .collect();
    assert_eq!(counted, vec![went, held]);
}

/// A join whose deposit is over the cap is refused before anything is written: no
/// profile, no member in the group, no collection, nothing counted.
pub async fn a_join_refused_by_a_limit_writes_nothing(store: Arc<dyn Store>) {
    let tight = Limits::default().with(limit(Scope::Member, Flow::In, Window::Transaction, 5_000));
    let host = host(store.clone(), late_evening(2026, 3, 10), tight);
    let id = GroupId::new("deposit-cap").unwrap();
    let start = (host.clock.now() + Duration::days(60)).date_naive();
    host.service
        .create_group(
            &id,
            naira_group("deposit-cap", 10_000, start).build().unwrap(),
        )
        .await
        .unwrap();
    let before = events(&store, StreamKind::Group, id.as_str()).await;
    let refused = breach(
        host.service
            .join(&id, &member("ada"), 1, &contact("ada"))
            .await,
    );
    assert_eq!((refused.asked, refused.room), (naira(10_000), naira(5_000)));
    assert_eq!(events(&store, StreamKind::Group, id.as_str()).await, before);
    assert_eq!(events(&store, StreamKind::Member, "ada").await, 0);
    assert!(
        host.service
            .profile(&member("ada"))
            .await
            .unwrap()
            .is_none()
    );
    let deposit = PaymentReference::deposit(&id, &member("ada")).to_string();
    assert_eq!(events(&store, StreamKind::Payment, &deposit).await, 0);
    assert!(host.gateway.collections().is_empty());
    assert!(used(&store, "member:ada:NGN:2026-03").await.is_empty());
}

/// A store that holds the next two reads of usage streams until both have been made,
/// so two commands decide on the same usage before either appends: a race forced, not
/// hoped for. Everything else goes straight through.
#[derive(Debug)]
struct GatedStore {
    inner: Arc<dyn Store>,
    held: std::sync::atomic::AtomicUsize,
    barrier: tokio::sync::Barrier,
}

impl GatedStore {
    fn new(inner: Arc<dyn Store>) -> GatedStore {
        GatedStore {
            inner,
            held: std::sync::atomic::AtomicUsize::new(0),
            barrier: tokio::sync::Barrier::new(2),
        }
    }

    fn arm(&self) {
        self.held.store(2, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl EventLog for GatedStore {
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        let read = self.inner.read(streams, idempotency_key).await;
        let usage = streams.iter().any(|s| s.stream.kind == StreamKind::Usage);
        let take = |n: usize| n.checked_sub(1);
        if usage
            && self
                .held
                .fetch_update(
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                    take,
                )
                .is_ok()
        {
            // Bounded, so a command that reads alone is only slowed, never stuck.
            let _ = tokio::time::timeout(StdDuration::from_secs(5), self.barrier.wait()).await;
        }
        read
    }

    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner.stream_ids(kind, after, limit).await
    }
}

#[async_trait::async_trait]
impl Store for GatedStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.inner.append(request).await
    }
    async fn record_checkpoint(
        &self,
        checkpoint: &ajo_core::ledger::Checkpoint,
    ) -> Result<(), StoreError> {
        self.inner.record_checkpoint(checkpoint).await
    }
}

#[async_trait::async_trait]
impl IdempotencyKeys for GatedStore {
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.has_idempotency_key(key).await
    }
    async fn idempotency_record(&self, key: &str) -> Result<Option<KeyRecord>, StoreError> {
        self.inner.idempotency_record(key).await
    }
}

#[async_trait::async_trait]
impl WakeSchedule for GatedStore {
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        self.inner.due_streams(now, limit).await
    }
}

#[async_trait::async_trait]
impl Journal for GatedStore {
    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        self.inner.balance(account).await
    }
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        self.inner.balances().await
    }
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError> {
        self.inner.entries(query).await
    }
    async fn heads(&self) -> Result<Vec<ajo_core::ledger::BookHead>, StoreError> {
        self.inner.heads().await
    }
    async fn checkpoints(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<ajo_core::ledger::Checkpoint>, StoreError> {
        self.inner.checkpoints(after, limit).await
    }
    async fn last_checkpoint(&self) -> Result<Option<ajo_core::ledger::Checkpoint>, StoreError> {
        self.inner.last_checkpoint().await
    }
}

#[async_trait::async_trait]
impl Outbox for GatedStore {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: StdDuration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.inner.claim_outbox(worker, now, lease, limit).await
    }
    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner.finish_outbox(id, outcome, now).await
    }
    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError> {
        self.inner.report_delivery(message_id, status).await
    }
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        self.inner.outbox_message(id).await
    }
}

/// Ada may take in ₦15,000 a day; two ₦10,000 contributions asked at once, from two
/// groups, both read her usage before either writes: exactly one passes (the other's
/// append conflicts, it decides again on the usage as it now is, and is refused), and
/// what is counted is that one.
pub async fn two_requests_racing_for_the_last_room_let_one_through(store: Arc<dyn Store>) {
    let gated = Arc::new(GatedStore::new(store.clone()));
    let daily = Limits::default().with(limit(Scope::Member, Flow::In, Window::Day, 15_000));
    let host = host(
        gated.clone() as Arc<dyn Store>,
        late_evening(2026, 3, 10),
        daily,
    );
    let ada = member("ada");
    for pair in 0..3 {
        // A fresh day for each pair.
        host.clock.advance(Duration::days(1));
        let a = started_group(&host, &format!("race-a{pair}"), &["ada", "bola"]).await;
        let b = started_group(&host, &format!("race-b{pair}"), &["ada", "bola"]).await;
        gated.arm();
        let (s1, s2) = (host.service.clone(), host.service.clone());
        let (x, y) = (ada.clone(), ada.clone());
        let one = tokio::spawn(async move { s1.request_contribution_for(&a, &x).await });
        let two = tokio::spawn(async move { s2.request_contribution_for(&b, &y).await });
        let results = [one.await.unwrap(), two.await.unwrap()];
        let passed: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|c| c.reference.clone()))
            .collect();
        assert_eq!(passed.len(), 1, "exactly one passes: {results:?}");
        let refused = results.into_iter().find(Result::is_err).unwrap();
        assert_eq!(breach(refused).room, naira(5_000));
        let month = format!("member:ada:NGN:{}", host.clock.now().format("%Y-%m"));
        let today: Vec<String> = used(&store, &month)
            .await
            .into_iter()
            .map(|(_, _, reference)| reference)
            .filter(|r| {
                r.contains(&format!("race-a{pair}")) || r.contains(&format!("race-b{pair}"))
            })
            .collect();
        assert_eq!(today, passed);
    }
}
