//! Steps most service tests take, driven through [`AjoService`] with the
//! [`FakeGateway`]: members joining and paying their deposits, the group starting, a
//! round paid in full. Each asserts that what it reports is recorded, so a test that
//! uses them fails where a step fails.

// Test code shipped as a library: a failed step must stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ajo_core::ids::{GroupId, HandId};
use ajo_core::service::{AjoService, Handled};

use crate::builders::{contact, member};
use crate::fakes::FakeGateway;

/// `names` join `group` with one hand each, paying the deposit it asks (if any) through
/// `gateway`'s webhook, then the group starts.
///
/// # Panics
/// If any step is refused or a deposit is not recorded.
pub async fn join_and_start(
    service: &AjoService,
    gateway: &FakeGateway,
    group: &GroupId,
    names: &[&str],
) {
    for name in names {
        join_paying_deposit(service, gateway, group, name).await;
    }
    service.start(group).await.unwrap();
}

/// `name` joins `group` with one hand, paying the deposit it asks (if any) through
/// `gateway`'s webhook.
///
/// # Panics
/// If the join is refused or the deposit is not recorded.
pub async fn join_paying_deposit(
    service: &AjoService,
    gateway: &FakeGateway,
    group: &GroupId,
    name: &str,
) {
    let receipt = service
        .join(group, &member(name), 1, &contact(name))
        .await
        .unwrap();
    if let Some(deposit) = receipt.deposit {
        let paid = gateway.pay(&deposit.reference).unwrap();
        assert_eq!(
            service.handle_gateway_event(&paid).await.unwrap(),
            Handled::Recorded,
            "{name}'s deposit"
        );
    }
}

/// Hands 1 to `hands` pay `round` of `group` in full through `gateway`'s webhook.
///
/// # Panics
/// If a contribution is refused or not recorded.
pub async fn pay_round(
    service: &AjoService,
    gateway: &FakeGateway,
    group: &GroupId,
    round: u32,
    hands: u32,
) {
    for hand in 1..=hands {
        let collection = service
            .request_contribution(group, round, HandId::new(hand).unwrap())
            .await
            .unwrap();
        let paid = gateway.pay(&collection.reference).unwrap();
        assert_eq!(
            service.handle_gateway_event(&paid).await.unwrap(),
            Handled::Recorded,
            "round {round}, hand {hand}"
        );
    }
}
