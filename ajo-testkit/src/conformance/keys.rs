//! Host commands under a caller's idempotency key, through [`AjoService::idempotent`] on
//! the machine's clock (finer than a microsecond on Linux): the same key with the same
//! command answers the first answer and does nothing again; with another command it is
//! refused; a refused command leaves the key free; two services racing on one key do the
//! command once.

use std::sync::Arc;

use ajo_core::ids::{GroupId, HandId, IdempotencyKey, LoanId, MemberId};
use ajo_core::loan::LoanPolicy;
use ajo_core::money::Money;
use ajo_core::ports::{
    Clock, EmailSender, PaymentGateway, SmsSender, Store, StreamId, StreamKind, SystemClock,
};
use ajo_core::service::{AjoService, LoanFunding, LoanOptions, LoanRequest, ServiceError};
use chrono::Duration;

use crate::builders::{contact, member, naira_group, naira_loan};
use crate::fakes::{FakeEmail, FakeGateway, FakeSms};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_key_does_a_group_command_once(factory().await).await;
    a_key_answers_the_first_checkout(factory().await).await;
    a_key_does_a_loan_command_once(factory().await).await;
    a_key_does_a_contact_leave_and_cancel_once(factory().await).await;
    two_services_racing_on_one_key_do_it_once(factory().await).await;
    a_key_keeps_no_client_secret(factory().await).await;
}

fn service(store: &Arc<dyn Store>, gateway: &Arc<FakeGateway>) -> AjoService {
    AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        Arc::new(SystemClock) as Arc<dyn Clock>,
    )
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::new(text).unwrap()
}

async fn versions(store: &Arc<dyn Store>, kind: StreamKind, id: &str) -> usize {
    store.load(&StreamId::new(kind, id)).await.unwrap().len()
}

fn assert_reused(result: Result<impl std::fmt::Debug, ServiceError>, what: &str) {
    match result {
        Err(error @ ServiceError::IdempotencyKeyReused { .. }) => {
            assert!(error.is_conflict(), "a reused key is a conflict");
            assert!(!error.is_retryable(), "a reused key is not retried as is");
        }
        other => panic!("{what}: expected IdempotencyKeyReused, got {other:?}"),
    }
}

/// `create_group` under `key` on its own task, so two run in parallel on a runtime with
/// several threads (and interleave at every await on one).
async fn create_on(
    service: &AjoService,
    key: &IdempotencyKey,
    id: &GroupId,
    config: &ajo_core::group::GroupConfig,
) -> Result<(), ServiceError> {
    let (service, key, id, config) = (service.clone(), key.clone(), id.clone(), config.clone());
    tokio::spawn(async move { service.idempotent(&key).create_group(&id, config).await })
        .await
        .unwrap()
}

fn start_date() -> chrono::NaiveDate {
    (SystemClock.now() + Duration::days(10)).date_naive()
}

/// Create, join and start under keys: each replay does nothing and answers the same;
/// the same key with another command or other arguments is refused; a refused command
/// leaves its key free for corrected input; a key equal to one of ajo's own (a webhook
/// delivery's) is the host's own and collides with nothing.
pub async fn a_key_does_a_group_command_once(store: Arc<dyn Store>) {
    let gateway = Arc::new(FakeGateway::new());
    let service = service(&store, &gateway);
    let id = GroupId::new("keyed").unwrap();
    let config = naira_group("Keyed", 10_000, start_date()).build().unwrap();
    let create = key("create-1");
    service
        .idempotent(&create)
        .create_group(&id, config.clone())
        .await
        .unwrap();
    service
        .idempotent(&create)
        .create_group(&id, config.clone())
        .await
        .expect("a retry of the same create answers as the first did");
    assert_eq!(versions(&store, StreamKind::Group, "keyed").await, 1);
    // Without a key, creating again is refused: the replay above was the key's doing.
    assert!(service.create_group(&id, config.clone()).await.is_err());
    assert_reused(service.idempotent(&create).start(&id).await, "start");
    let other = naira_group("Other", 20_000, start_date()).build().unwrap();
    assert_reused(
        service.idempotent(&create).create_group(&id, other).await,
        "create with other arguments",
    );

    // Joins under keys: the second call answers the first receipt (the same hands and
    // the same open checkout, handed back), asking the gateway nothing.
    let join = key("join-ada");
    let first = service
        .idempotent(&join)
        .join(&id, &member("ada"), 1, &contact("ada"))
        .await
        .unwrap();
    let calls = gateway.calls().len();
    let again = service
        .idempotent(&join)
        .join(&id, &member("ada"), 1, &contact("ada"))
        .await
        .unwrap();
    assert_eq!(again.hands, first.hands, "the first receipt's hands");
    assert_eq!(again.deposit_required, first.deposit_required);
    let (again_deposit, first_deposit) = (again.deposit.unwrap(), first.deposit.clone().unwrap());
    assert_eq!(
        again_deposit.reference, first_deposit.reference,
        "the same checkout"
    );
    assert_eq!(again_deposit.amount, first_deposit.amount);
    assert!(again_deposit.reused, "handed back");
    assert!(first.deposit.is_some(), "the group takes a deposit");
    assert_eq!(gateway.calls().len(), calls, "a replay calls no gateway");
    assert_reused(
        service
            .idempotent(&join)
            .join(&id, &member("ada"), 2, &contact("ada"))
            .await,
        "join with other hands",
    );
    assert_eq!(
        versions(&store, StreamKind::Group, "keyed").await,
        2,
        "created and one join"
    );

    // A refused start (one member) records nothing: the key works once it can start.
    let start = key("start-1");
    let refused = service.idempotent(&start).start(&id).await.unwrap_err();
    assert!(matches!(refused, ServiceError::Group(_)), "{refused:?}");
    let paid = gateway.pay(&first.deposit.unwrap().reference).unwrap();
    service.handle_gateway_event(&paid).await.unwrap();
    let bola = service
        .join(&id, &member("bola"), 1, &contact("bola"))
        .await
        .unwrap();
    let paid = gateway.pay(&bola.deposit.unwrap().reference).unwrap();
    service.handle_gateway_event(&paid).await.unwrap();
    service.idempotent(&start).start(&id).await.unwrap();
    let started = versions(&store, StreamKind::Group, "keyed").await;
    service.idempotent(&start).start(&id).await.unwrap();
    assert_eq!(versions(&store, StreamKind::Group, "keyed").await, started);

    // The webhook's own key, used by a host as its key, is a new key.
    let webhook_key = key(paid.idempotency_key().as_str());
    let second = GroupId::new("keyed-2").unwrap();
    service
        .idempotent(&webhook_key)
        .create_group(&second, config)
        .await
        .unwrap();
    assert_eq!(versions(&store, StreamKind::Group, "keyed-2").await, 1);
}

/// A contribution asked for under a key: a replay answers the first checkout, even after
/// it was paid (when asking anew would be refused), with one collection at the gateway;
/// the key for another round is refused.
pub async fn a_key_answers_the_first_checkout(store: Arc<dyn Store>) {
    let gateway = Arc::new(FakeGateway::new());
    let service = service(&store, &gateway);
    let id = GroupId::new("checkout").unwrap();
    service
        .create_group(
            &id,
            naira_group("Checkout", 10_000, start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    crate::drive::join_and_start(&service, &gateway, &id, &["ada", "bola"]).await;
    let hand = HandId::new(1).unwrap();
    let ask = key("ask-r1-h1");
    let first = service
        .idempotent(&ask)
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    let collections = gateway.collections().len();
    let again = service
        .idempotent(&ask)
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(gateway.collections().len(), collections);
    assert_eq!(
        versions(&store, StreamKind::Payment, &first.reference).await,
        2,
        "one collection recorded (requested, checkout opened)"
    );
    let paid = gateway.pay(&first.reference).unwrap();
    service.handle_gateway_event(&paid).await.unwrap();
    assert!(
        service.request_contribution(&id, 1, hand).await.is_err(),
        "nothing is owed any more"
    );
    assert_eq!(
        service
            .idempotent(&ask)
            .request_contribution(&id, 1, hand)
            .await
            .unwrap(),
        first,
        "the first answer, after it was paid"
    );
    assert_reused(
        service
            .idempotent(&ask)
            .request_contribution(&id, 1, HandId::new(2).unwrap())
            .await,
        "another hand",
    );

    // A group command from group_commands under a key: forgiving hand 2's due.
    let waive = key("waive-r1-h2");
    let two = HandId::new(2).unwrap();
    service
        .idempotent(&waive)
        .waive_due(&id, 1, two)
        .await
        .unwrap();
    let waived = versions(&store, StreamKind::Group, "checkout").await;
    service
        .idempotent(&waive)
        .waive_due(&id, 1, two)
        .await
        .expect("a retry of the same waiver answers as the first did");
    assert_eq!(
        versions(&store, StreamKind::Group, "checkout").await,
        waived
    );
    assert!(
        service.waive_due(&id, 1, two).await.is_err(),
        "nothing left to waive without the key"
    );
    assert_reused(
        service.idempotent(&waive).waive_due(&id, 2, two).await,
        "another round",
    );
}

/// Apply, approve and disburse a loan, each under its key and each twice: the loan's
/// stream grows once per command; a repayment checkout is answered again.
pub async fn a_key_does_a_loan_command_once(store: Arc<dyn Store>) {
    let gateway = Arc::new(FakeGateway::new());
    let service = service(&store, &gateway);
    let id = GroupId::new("lending").unwrap();
    service
        .create_group(
            &id,
            naira_group("Lending", 10_000, start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    crate::drive::join_and_start(&service, &gateway, &id, &["ada", "bola"]).await;
    let loan = LoanId::new("ln-ada").unwrap();
    let request = LoanRequest {
        id: loan.clone(),
        group: id.clone(),
        member: member("ada"),
        terms: naira_loan(30_000, "0.24", 3, start_date()).build().unwrap(),
        policy: LoanPolicy::default(),
    };
    let mut written = Vec::new();
    for _ in 0..2 {
        service
            .idempotent(&key("apply"))
            .apply_for_loan(request.clone())
            .await
            .unwrap();
        service
            .idempotent(&key("approve"))
            .approve_loan(&loan, "treasurer")
            .await
            .unwrap();
        service
            .idempotent(&key("disburse"))
            .disburse_loan(&loan)
            .await
            .unwrap();
        written.push(versions(&store, StreamKind::Loan, "ln-ada").await);
    }
    assert!(written[0] >= 3, "applied, approved, disbursed: {written:?}");
    assert_eq!(written[0], written[1], "the replays wrote nothing");
    assert_reused(
        service
            .idempotent(&key("approve"))
            .reject_loan(&loan, "no")
            .await,
        "reject under the approval's key",
    );
    let repay = key("repay-1");
    let first = service
        .idempotent(&repay)
        .request_loan_repayment(&loan, None)
        .await
        .unwrap();
    let again = service
        .idempotent(&repay)
        .request_loan_repayment(&loan, None)
        .await
        .unwrap();
    assert_eq!(again, first);
    let payoff = key("payoff");
    let quote = service
        .idempotent(&payoff)
        .request_loan_payoff(&loan)
        .await
        .unwrap();
    let again = service
        .idempotent(&payoff)
        .request_loan_payoff(&loan)
        .await
        .unwrap();
    assert_eq!(again, quote, "the pay-off checkout answered again");

    // With options: the options are part of what the key stands for.
    let second = LoanId::new("ln-bola").unwrap();
    let request = LoanRequest {
        id: second.clone(),
        member: member("bola"),
        ..request
    };
    let with = key("apply-with");
    for _ in 0..2 {
        service
            .idempotent(&with)
            .apply_for_loan_with(request.clone(), LoanOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(versions(&store, StreamKind::Loan, "ln-bola").await, 1);
    assert_reused(
        service
            .idempotent(&with)
            .apply_for_loan_with(request, LoanOptions::default().funding(LoanFunding::Pot))
            .await,
        "the same application with other options",
    );
}

/// Two services (two hosts) send the same request under one key at once: the group is
/// created once and both answer success; the same for a checkout, answered the same to
/// both. Two different commands racing under one key: exactly one is done, the other is
/// refused.
pub async fn two_services_racing_on_one_key_do_it_once(store: Arc<dyn Store>) {
    let gateway = Arc::new(FakeGateway::new());
    let one = service(&store, &gateway);
    let two = service(&store, &gateway);
    let start = start_date();
    for n in 0..4 {
        let id = GroupId::new(format!("race-{n}")).unwrap();
        let config = naira_group("Race", 10_000, start).build().unwrap();
        let same = key(&format!("race-create-{n}"));
        let (a, b) = tokio::join!(
            create_on(&one, &same, &id, &config),
            create_on(&two, &same, &id, &config),
        );
        a.unwrap();
        b.unwrap();
        assert_eq!(
            versions(&store, StreamKind::Group, id.as_str()).await,
            1,
            "created once"
        );

        // Two groups under one key: one is created, the other refused.
        let (left, right) = (
            GroupId::new(format!("left-{n}")).unwrap(),
            GroupId::new(format!("right-{n}")).unwrap(),
        );
        let shared = key(&format!("race-two-{n}"));
        let (a, b) = tokio::join!(
            create_on(&one, &shared, &left, &config),
            create_on(&two, &shared, &right, &config),
        );
        let created = versions(&store, StreamKind::Group, left.as_str()).await
            + versions(&store, StreamKind::Group, right.as_str()).await;
        assert_eq!(created, 1, "one of the two commands is done");
        match (a, b) {
            (Ok(()), refused) | (refused, Ok(())) => {
                assert_reused(refused, "the other command under the key");
            }
            other => panic!("one command must succeed: {other:?}"),
        }
    }

    let id = GroupId::new("race-0").unwrap();
    crate::drive::join_and_start(&one, &gateway, &id, &["ada", "bola"]).await;
    let hand = HandId::new(2).unwrap();
    let ask = key("race-ask");
    let ask_on = |service: &AjoService| {
        let (service, ask, id) = (service.clone(), ask.clone(), id.clone());
        tokio::spawn(async move {
            service
                .idempotent(&ask)
                .request_contribution(&id, 1, hand)
                .await
        })
    };
    let (a, b) = tokio::join!(ask_on(&one), ask_on(&two));
    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
    assert_eq!(a.reference, b.reference, "one collection");
    assert_eq!(
        versions(&store, StreamKind::Payment, &a.reference).await,
        2,
        "recorded once (requested, checkout opened)"
    );
    let later = one
        .idempotent(&ask)
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    assert!(later == a || later == b, "the answer recorded first");
}

/// A contact set, a member leaving and a group cancelled under keys: each replay does
/// nothing again and answers the first answer (the cancellation's refunds, though
/// cancelling again is refused); the keys with other arguments are refused.
pub async fn a_key_does_a_contact_leave_and_cancel_once(store: Arc<dyn Store>) {
    let gateway = Arc::new(FakeGateway::new());
    let service = service(&store, &gateway);
    let contact_key = key("contact-ada");
    let ada = member("ada");
    let mut details = contact("ada");
    service
        .idempotent(&contact_key)
        .set_contact(&ada, &details)
        .await
        .unwrap();
    let registered = gateway.calls().len();
    service
        .idempotent(&contact_key)
        .set_contact(&ada, &details)
        .await
        .unwrap();
    assert_eq!(gateway.calls().len(), registered, "registered once");
    details.name = "Ada O.".into();
    assert_reused(
        service
            .idempotent(&contact_key)
            .set_contact(&ada, &details)
            .await,
        "another contact",
    );
    assert_eq!(versions(&store, StreamKind::Member, "ada").await, 1);

    let id = GroupId::new("leaving").unwrap();
    service
        .create_group(
            &id,
            naira_group("Leaving", 10_000, start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    for name in ["ada", "bola", "chidi"] {
        service
            .join(&id, &member(name), 1, &contact(name))
            .await
            .unwrap();
    }
    let leave = key("leave-bola");
    service
        .idempotent(&leave)
        .leave(&id, &member("bola"))
        .await
        .unwrap();
    let left = versions(&store, StreamKind::Group, "leaving").await;
    service
        .idempotent(&leave)
        .leave(&id, &member("bola"))
        .await
        .expect("a retry of the same leave answers as the first did");
    assert_eq!(versions(&store, StreamKind::Group, "leaving").await, left);
    assert_reused(
        service
            .idempotent(&leave)
            .leave(&id, &member("chidi"))
            .await,
        "another member leaving",
    );

    let cancel = key("cancel-leaving");
    let refunds = service.idempotent(&cancel).cancel_group(&id).await.unwrap();
    assert_eq!(refunds.len(), 2, "ada and chidi: {refunds:?}");
    // Recorded in the cancellation's own append, with its refunds: a host that dies
    // right after still gets them on a retry.
    let recorded = store
        .idempotency_record(&cancel.recorded())
        .await
        .unwrap()
        .and_then(|r| r.result)
        .expect("the refunds kept with the key");
    assert_eq!(
        serde_json::from_str::<Vec<(MemberId, Money)>>(&recorded).unwrap(),
        refunds
    );
    let cancelled = versions(&store, StreamKind::Group, "leaving").await;
    assert!(
        service.cancel_group(&id).await.is_err(),
        "cancelled already"
    );
    assert_eq!(
        service.idempotent(&cancel).cancel_group(&id).await.unwrap(),
        refunds,
        "the first refunds"
    );
    assert_eq!(
        versions(&store, StreamKind::Group, "leaving").await,
        cancelled
    );
}

/// A gateway that answers with a client secret (Stripe): a join and a contribution under
/// a key answer their checkout with its secret again on a replay, under the same
/// reference, and the key's record never holds the secret.
pub async fn a_key_keeps_no_client_secret(store: Arc<dyn Store>) {
    let gateway = Arc::new(FakeGateway::new());
    gateway.issue_client_secrets();
    let service = service(&store, &gateway);
    let id = GroupId::new("secrets").unwrap();
    service
        .create_group(
            &id,
            naira_group("Secrets", 10_000, start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let ada = member("ada");
    let joins = key("join-ada");
    let first = service
        .idempotent(&joins)
        .join(&id, &ada, 1, &contact("Ada"))
        .await
        .unwrap();
    let deposit = first.deposit.clone().expect("the group takes a deposit");
    let secret = deposit
        .client_secret
        .clone()
        .expect("the gateway issues one");
    let again = service
        .idempotent(&joins)
        .join(&id, &ada, 1, &contact("Ada"))
        .await
        .unwrap();
    assert_eq!(again.hands, first.hands);
    let replayed = again.deposit.expect("the deposit's checkout again");
    assert_eq!(replayed.reference, deposit.reference);
    assert_eq!(replayed.client_secret.as_deref(), Some(secret.as_str()));
    let record = store
        .idempotency_record(&joins.recorded())
        .await
        .unwrap()
        .expect("the key is recorded with the join");
    assert!(
        record.result.is_none_or(|kept| !kept.contains(&secret)),
        "the secret is never stored"
    );

    // A checkout under a key keeps the checkout, without its secret, and a replay
    // hands the secret back.
    let asks = key("deposit-ada");
    let first = service
        .idempotent(&asks)
        .request_deposit(&id, &ada)
        .await
        .unwrap();
    let again = service
        .idempotent(&asks)
        .request_deposit(&id, &ada)
        .await
        .unwrap();
    assert_eq!(again.reference, first.reference);
    assert_eq!(again.client_secret.as_deref(), Some(secret.as_str()));
    let kept = store
        .idempotency_record(&asks.recorded())
        .await
        .unwrap()
        .and_then(|r| r.result)
        .expect("the checkout is kept with the key");
    assert!(kept.contains(&first.reference), "{kept}");
    assert!(
        !kept.contains(&secret),
        "the secret is never stored: {kept}"
    );
}
