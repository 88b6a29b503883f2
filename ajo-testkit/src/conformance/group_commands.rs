//! A group's life beyond joining and paying, driven through [`AjoService`] as a host
//! drives it: cancelling, leaving, waiving, deposits covering arrears, bids, the
//! organiser's choice and its fallback, housekeeping of groups left forming, and the
//! completion notice. Each check runs on a fresh store from the factory, at clock times
//! finer than a microsecond, and ends with the books balanced and the chain verified.

use std::sync::Arc;

use ajo_core::group::payout::PayoutPolicy;
use ajo_core::group::rotation::PayoutOrder;
use ajo_core::group::{GroupConfigBuilder, GroupError, GroupStatus};
use ajo_core::ids::{GroupId, HandId};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, Handled, ServiceError, TickReport};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::builders::{member, naira_group};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_cancelled_group_returns_what_it_held(factory().await).await;
    a_refused_join_writes_nothing(factory().await).await;
    a_member_leaving_a_forming_group_gets_the_deposit_back(factory().await).await;
    deposits_cover_late_dues_under_the_default_policy(factory().await).await;
    a_waived_due_lets_the_round_pay_out(factory().await).await;
    the_highest_bid_takes_the_pot(factory().await).await;
    an_organisers_choice_is_reminded_then_falls_back(factory().await).await;
    a_group_left_forming_is_cancelled(factory().await).await;
    a_group_without_deposits_says_it_completed(factory().await).await;
    at_grace_end_pays_at_the_end_of_grace(factory().await).await;
}

/// A service over `store` with fakes, its clock 9:00:00.123456789 UTC on 1 March 2026
/// (a time finer than the microseconds stores keep).
struct Host {
    store: Arc<dyn Store>,
    service: AjoService,
    gateway: Arc<FakeGateway>,
    email: Arc<FakeEmail>,
    clock: Arc<FakeClock>,
}

impl Host {
    fn new(store: Arc<dyn Store>) -> Host {
        let clock = Arc::new(FakeClock::new(
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::nanoseconds(123_456_789),
        ));
        let gateway = Arc::new(FakeGateway::new());
        let email = Arc::new(FakeEmail::new());
        let service = AjoService::new(
            store.clone(),
            gateway.clone() as Arc<dyn PaymentGateway>,
            email.clone() as Arc<dyn EmailSender>,
            Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        );
        Host {
            store,
            service,
            gateway,
            email,
            clock,
        }
    }

    /// Round 1 falls due ten days from now.
    fn start_date(&self) -> NaiveDate {
        (self.clock.now() + Duration::days(10)).date_naive()
    }

    /// Creates `id` from `config`, `names` join (paying any deposit) and it starts.
    async fn group(&self, id: &str, config: GroupConfigBuilder, names: &[&str]) -> GroupId {
        let id = GroupId::new(id).unwrap();
        self.service
            .create_group(&id, config.build().unwrap())
            .await
            .unwrap();
        crate::drive::join_and_start(&self.service, &self.gateway, &id, names).await;
        id
    }

    /// Sets the clock to noon UTC (1 pm in Lagos) on `day`, keeping a sub-microsecond part.
    fn noon(&self, day: NaiveDate) {
        self.clock.set(
            Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
                + Duration::nanoseconds(987_654_321),
        );
    }

    async fn tick(&self) -> TickReport {
        let report = self.service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "tick failed: {:?}", report.errors);
        report
    }

    /// Pays `hand`'s due for `round` through the gateway's webhook.
    async fn pay(&self, id: &GroupId, round: u32, hand: u32) {
        let collection = self
            .service
            .request_contribution(id, round, HandId::new(hand).unwrap())
            .await
            .unwrap();
        let paid = self.gateway.pay(&collection.reference).unwrap();
        assert_eq!(
            self.service.handle_gateway_event(&paid).await.unwrap(),
            Handled::Recorded
        );
    }

    async fn due_date(&self, id: &GroupId, round: u32) -> NaiveDate {
        self.service
            .group(id)
            .await
            .unwrap()
            .round(round)
            .unwrap()
            .due_date
    }

    /// Emails delivered so far whose subject contains `text`.
    async fn emails_about(&self, text: &str) -> Vec<String> {
        self.service.deliver_outbox(1_000).await.unwrap();
        self.email
            .sent()
            .into_iter()
            .filter(|m| m.subject.contains(text))
            .map(|m| m.to)
            .collect()
    }

    /// The hand each round paid, in round order.
    async fn paid_hands(&self, id: &GroupId) -> Vec<Option<u32>> {
        let state = self.service.group(id).await.unwrap();
        (1..=u32::try_from(state.hands().len()).unwrap())
            .map(|r| {
                state
                    .hands()
                    .iter()
                    .position(|h| h.paid_in_round == Some(r))
                    .map(|i| u32::try_from(i + 1).unwrap())
            })
            .collect()
    }

    async fn books_balance(&self) {
        crate::assert_books_balance(self.store.as_ref()).await;
    }
}

fn naira(amount: i64) -> Money {
    Money::from_minor(i128::from(amount) * 100, Currency::NGN).unwrap()
}

/// Three members pay deposits and two pay round 1; the group is cancelled. Each gets
/// back exactly what they put in, the refunds are sent by `tick`, everyone is told, and
/// the group refuses anything more.
pub async fn a_cancelled_group_returns_what_it_held(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let id = host
        .group(
            "cancelled",
            naira_group("Cancelled", 10_000, host.start_date()),
            &["ada", "bola", "chidi"],
        )
        .await;
    host.pay(&id, 1, 1).await;
    host.pay(&id, 1, 2).await;
    let refunds = host.service.cancel_group(&id).await.unwrap();
    let back = |name: &str| {
        refunds
            .iter()
            .find(|(m, _)| *m == member(name))
            .map(|(_, r)| *r)
    };
    assert_eq!(back("ada"), Some(naira(20_000)), "deposit and round 1");
    assert_eq!(back("bola"), Some(naira(20_000)));
    assert_eq!(back("chidi"), Some(naira(10_000)), "deposit only");
    let report = host.tick().await;
    assert_eq!(report.payouts_sent, 3, "{report:?}");
    let sent: i128 = host
        .gateway
        .payouts()
        .values()
        .map(|(amount, _)| amount.minor())
        .sum();
    assert_eq!(sent, naira(50_000).minor(), "every kobo held is sent back");
    assert_eq!(host.emails_about("cancelled").await.len(), 3);
    let state = host.service.group(&id).await.unwrap();
    assert_eq!(state.status(), GroupStatus::Cancelled);
    let again = host.service.cancel_group(&id).await.unwrap_err();
    assert!(again.is_refused(), "{again:?}");
    let bid = host
        .service
        .place_bid(&id, &member("ada"), naira(100))
        .await
        .unwrap_err();
    assert!(bid.is_refused(), "{bid:?}");
    // Nothing is collected for a group that has ended.
    let ask = host
        .service
        .request_contribution_for(&id, &member("ada"))
        .await
        .unwrap_err();
    assert!(ask.is_refused(), "{ask:?}");
    let ask = host
        .service
        .request_contribution(&id, 2, ajo_core::ids::HandId::new(2).unwrap())
        .await
        .unwrap_err();
    assert!(ask.is_refused(), "{ask:?}");
    host.books_balance().await;
}

/// A join the group refuses (an unknown group, a member already in it) writes
/// nothing, not even the member's contact; the member's record still builds from the
/// groups that exist.
pub async fn a_refused_join_writes_nothing(store: Arc<dyn Store>) {
    let host = Host::new(store.clone());
    let ada = member("ada");
    let typo = GroupId::new("no-such-group").unwrap();
    let refused = host
        .service
        .join(&typo, &ada, 1, &crate::builders::contact("ada"))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ajo_core::service::ErrorKind::NotFound);
    let stream = ajo_core::ports::StreamId::new(ajo_core::ports::StreamKind::Member, "ada");
    assert!(
        store.load(&stream).await.unwrap().is_empty(),
        "no contact and no index entry for a refused join"
    );
    let id = GroupId::new("real").unwrap();
    host.service
        .create_group(
            &id,
            naira_group("Real", 10_000, host.start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    host.service
        .join(&id, &ada, 1, &crate::builders::contact("ada"))
        .await
        .unwrap();
    let written = store.load(&stream).await.unwrap().len();
    let twice = host
        .service
        .join(&id, &ada, 1, &crate::builders::contact("ada"))
        .await
        .unwrap_err();
    assert_eq!(twice.kind(), ajo_core::service::ErrorKind::Conflict);
    assert_eq!(store.load(&stream).await.unwrap().len(), written);
    host.service.member_record(&ada).await.unwrap();
}

/// A member who paid the deposit leaves a forming group: the deposit goes back (sent
/// by `tick`), they are no longer a member, no completion notice is sent, and they
/// cannot join that group again.
pub async fn a_member_leaving_a_forming_group_gets_the_deposit_back(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let id = GroupId::new("leaving").unwrap();
    host.service
        .create_group(
            &id,
            naira_group("Leaving", 10_000, host.start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let ada = member("ada");
    let receipt = host
        .service
        .join(&id, &ada, 1, &crate::builders::contact("ada"))
        .await
        .unwrap();
    let deposit = receipt.deposit.unwrap();
    let paid = host.gateway.pay(&deposit.reference).unwrap();
    host.service.handle_gateway_event(&paid).await.unwrap();
    host.service.leave(&id, &ada).await.unwrap();
    let state = host.service.group(&id).await.unwrap();
    assert!(state.members().get(&ada).is_none_or(|m| m.left));
    let report = host.tick().await;
    assert_eq!(report.payouts_sent, 1, "{report:?}");
    assert!(
        host.gateway
            .payouts()
            .values()
            .any(|(amount, _)| *amount == naira(10_000))
    );
    assert!(host.emails_about("completed").await.is_empty());
    let twice = host.service.leave(&id, &ada).await.unwrap_err();
    assert!(matches!(
        twice,
        ServiceError::Group(GroupError::UnknownMember(_))
    ));
    // Their refund is theirs in this group, once: they do not join it again (which
    // would leave a second refund with nowhere to go at completion).
    let before = host.service.group(&id).await.unwrap();
    let rejoin = host
        .service
        .join(&id, &ada, 1, &crate::builders::contact("ada"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            rejoin,
            ServiceError::Group(GroupError::RejoinAfterRefund(_))
        ),
        "{rejoin:?}"
    );
    assert!(rejoin.is_refused());
    assert_eq!(host.service.group(&id).await.unwrap(), before);
    host.books_balance().await;
}

/// Under the default policy (payout when every due is in), a due still open at the end
/// of its grace period is covered from the member's deposit by `tick`, so the round
/// pays out; before the grace ends, nothing is taken. `cover_arrears` on request covers
/// nothing more.
pub async fn deposits_cover_late_dues_under_the_default_policy(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let config = naira_group("Covered", 10_000, host.start_date())
        .payout_policy(PayoutPolicy::WhenAllPaid)
        .grace_days(2);
    let id = host
        .group("covered", config, &["ada", "bola", "chidi"])
        .await;
    host.pay(&id, 1, 1).await;
    host.pay(&id, 1, 2).await;
    let due = host.due_date(&id, 1).await;
    host.noon(due + Duration::days(2));
    host.tick().await;
    assert_eq!(host.paid_hands(&id).await[0], None, "still within grace");
    assert!(
        host.service.cover_arrears(&id).await.unwrap().is_zero(),
        "nothing is late within grace"
    );
    host.noon(due + Duration::days(3));
    host.tick().await;
    assert_eq!(
        host.paid_hands(&id).await[0],
        Some(1),
        "the deposit funded round 1"
    );
    let state = host.service.group(&id).await.unwrap();
    assert_eq!(
        state.deposit_owed(&member("chidi")),
        naira(10_000),
        "chidi owes the deposit back"
    );
    assert!(host.service.cover_arrears(&id).await.unwrap().is_zero());
    host.books_balance().await;
}

/// The organiser forgives hand 3's round 1 due: the round pays out what was collected.
pub async fn a_waived_due_lets_the_round_pay_out(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let config = naira_group("Waived", 10_000, host.start_date());
    let id = host
        .group("waived", config, &["ada", "bola", "chidi"])
        .await;
    host.pay(&id, 1, 1).await;
    host.pay(&id, 1, 2).await;
    host.service
        .waive_due(&id, 1, HandId::new(3).unwrap())
        .await
        .unwrap();
    let again = host
        .service
        .waive_due(&id, 1, HandId::new(3).unwrap())
        .await
        .unwrap_err();
    assert!(again.is_refused(), "nothing left to waive: {again:?}");
    host.noon(host.due_date(&id, 1).await);
    host.tick().await;
    assert_eq!(host.paid_hands(&id).await[0], Some(1));
    let payout = host
        .gateway
        .payouts()
        .values()
        .map(|(a, _)| *a)
        .next()
        .unwrap();
    assert_eq!(payout, naira(20_000), "the pot without the waived due");
    host.books_balance().await;
}

/// In a bidding group, the highest bid takes round 1 and its discount is shared by the
/// others; a bid above the pot is refused.
pub async fn the_highest_bid_takes_the_pot(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let config =
        naira_group("Bidding", 10_000, host.start_date()).payout_order(PayoutOrder::Bidding);
    let id = host
        .group("bidding", config, &["ada", "bola", "chidi"])
        .await;
    host.service
        .place_bid(&id, &member("bola"), naira(1_000))
        .await
        .unwrap();
    host.service
        .place_bid(&id, &member("chidi"), naira(2_000))
        .await
        .unwrap();
    let greedy = host
        .service
        .place_bid(&id, &member("ada"), naira(40_000))
        .await
        .unwrap_err();
    assert!(greedy.is_refused(), "{greedy:?}");
    for hand in 1..=3 {
        host.pay(&id, 1, hand).await;
    }
    host.noon(host.due_date(&id, 1).await);
    host.tick().await;
    assert_eq!(host.paid_hands(&id).await[0], Some(3), "chidi's bid won");
    let state = host.service.group(&id).await.unwrap();
    let wallet = |name: &str| {
        state.balance(
            &ajo_core::group::GroupAccounts::new(&id, state.config().unwrap())
                .wallet(&member(name)),
        )
    };
    assert_eq!(wallet("ada").negated(), naira(1_000), "half the discount");
    assert_eq!(wallet("bola").negated(), naira(1_000), "half the discount");
    host.books_balance().await;
}

/// An organiser's-choice round that is funded and due waits for the organiser, who is
/// reminded once; their choice is paid. The next round, never chosen, pays the first
/// hand not yet paid once the choice deadline passes.
pub async fn an_organisers_choice_is_reminded_then_falls_back(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let config = naira_group("Choice", 10_000, host.start_date())
        .payout_order(PayoutOrder::OrganiserChoice)
        .organiser(member("ada"))
        .choice_days(2);
    let id = host
        .group("choice", config, &["ada", "bola", "chidi"])
        .await;
    for hand in 1..=3 {
        host.pay(&id, 1, hand).await;
    }
    let due = host.due_date(&id, 1).await;
    host.noon(due);
    host.tick().await;
    host.tick().await;
    assert_eq!(host.paid_hands(&id).await[0], None, "waits for the choice");
    let reminded = host.emails_about("choose round 1").await;
    assert_eq!(
        reminded.len(),
        1,
        "the organiser is reminded once: {reminded:?}"
    );
    host.service
        .choose_recipient(&id, HandId::new(2).unwrap())
        .await
        .unwrap();
    host.tick().await;
    assert_eq!(
        host.paid_hands(&id).await[0],
        Some(2),
        "the organiser's choice"
    );

    for hand in 1..=3 {
        host.pay(&id, 2, hand).await;
    }
    let due = host.due_date(&id, 2).await;
    host.noon(due + Duration::days(1));
    host.tick().await;
    assert_eq!(host.paid_hands(&id).await[1], None, "before the deadline");
    assert_eq!(host.emails_about("choose round 2").await.len(), 1);
    host.noon(due + Duration::days(2));
    host.tick().await;
    assert_eq!(
        host.paid_hands(&id).await[1],
        Some(1),
        "the first unpaid hand at the deadline"
    );
    host.books_balance().await;
}

/// A group configured to give up forming after three days is cancelled by `tick` on
/// the fourth day after its start date, and the deposit paid into it goes back.
pub async fn a_group_left_forming_is_cancelled(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let id = GroupId::new("left-forming").unwrap();
    let start = host.start_date();
    host.service
        .create_group(
            &id,
            naira_group("Left forming", 10_000, start)
                .forming_days(3)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    crate::drive::join_paying_deposit(&host.service, &host.gateway, &id, "ada").await;
    host.noon(start + Duration::days(3));
    host.tick().await;
    let state = host.service.group(&id).await.unwrap();
    assert_eq!(state.status(), GroupStatus::Forming, "the last forming day");
    host.noon(start + Duration::days(4));
    host.tick().await;
    let state = host.service.group(&id).await.unwrap();
    assert_eq!(state.status(), GroupStatus::Cancelled);
    host.tick().await;
    assert!(
        host.gateway
            .payouts()
            .values()
            .any(|(amount, _)| *amount == naira(10_000)),
        "the deposit is sent back: {:?}",
        host.gateway.payouts()
    );
    assert_eq!(host.emails_about("cancelled").await.len(), 1);
    host.books_balance().await;
}

/// A two-member group with no deposit runs its cycle: each member gets the completion
/// notice, without a deposit line.
pub async fn a_group_without_deposits_says_it_completed(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let config = naira_group("No deposit", 10_000, host.start_date())
        .deposit(ajo_core::group::deposit::DepositRule::None);
    let id = host.group("no-deposit", config, &["ada", "bola"]).await;
    for round in 1..=2 {
        host.pay(&id, round, 1).await;
        host.pay(&id, round, 2).await;
        host.noon(host.due_date(&id, round).await);
        host.tick().await;
    }
    let state = host.service.group(&id).await.unwrap();
    assert_eq!(state.status(), GroupStatus::Completed);
    let told = host.emails_about("completed its cycle").await;
    assert_eq!(told.len(), 2, "{told:?}");
    let text = host
        .email
        .sent()
        .into_iter()
        .find(|m| m.subject.contains("completed"))
        .unwrap()
        .text;
    assert!(!text.contains("security deposit"), "{text}");
    host.books_balance().await;
}

/// Under `AtGraceEnd` a fully paid round waits for the end of its grace period, then
/// pays.
pub async fn at_grace_end_pays_at_the_end_of_grace(store: Arc<dyn Store>) {
    let host = Host::new(store);
    let config = naira_group("Grace end", 10_000, host.start_date())
        .grace_days(2)
        .payout_policy(PayoutPolicy::AtGraceEnd);
    let id = host.group("grace-end", config, &["ada", "bola"]).await;
    host.pay(&id, 1, 1).await;
    host.pay(&id, 1, 2).await;
    let due = host.due_date(&id, 1).await;
    host.noon(due + Duration::days(1));
    host.tick().await;
    assert_eq!(host.paid_hands(&id).await[0], None, "within grace");
    host.noon(due + Duration::days(2));
    host.tick().await;
    assert_eq!(
        host.paid_hands(&id).await[0],
        Some(1),
        "at the end of grace"
    );
    host.books_balance().await;
}
