//! The [`PaymentGateway`] contract, for adapters run against a mock of their provider.
//!
//! The caller sets the provider (or its mock) up so that the references in
//! [`GatewayFixtures`] behave as named, then calls [`run_all`].

use ajo_core::money::Money;
use ajo_core::ports::{
    CollectionRequest, GatewayError, PaymentGateway, PaymentState, PayoutRequest, PayoutState,
    RecipientDetails,
};
use chrono::{TimeZone, Utc};

/// What the provider behind the gateway is set up to answer.
#[derive(Debug, Clone)]
pub struct GatewayFixtures {
    /// A collection to start; it must come back with this reference and a checkout URL
    /// or provider reference.
    pub collection: CollectionRequest,
    /// A reference the provider reports as paid, with this amount.
    pub paid: (String, Money),
    /// A reference the provider does not know.
    pub unknown_reference: String,
    /// An amount the gateway cannot take (an unsupported currency): refused before any
    /// request is sent.
    pub unsupported: Money,
    /// A recipient to register.
    pub recipient: RecipientDetails,
    /// A payout to send (to the recipient registered), accepted by the provider.
    pub payout: PayoutRequest,
    /// Whether the provider lists what moved (`list_transactions`). A provider without a
    /// statement API (M-Pesa, MTN MoMo) must refuse with
    /// [`GatewayError::InvalidRequest`], never answer an empty list that would reconcile as
    /// "nothing moved".
    pub statement: bool,
}

/// Runs every check.
pub async fn run_all(gateway: &dyn PaymentGateway, fixtures: &GatewayFixtures) {
    assert!(
        !gateway.provider().is_empty(),
        "a gateway names its provider"
    );

    let started = gateway
        .start_collection(&fixtures.collection)
        .await
        .expect("starting a collection");
    assert_eq!(
        started.reference, fixtures.collection.reference,
        "a collection keeps our reference"
    );
    assert!(
        started.checkout_url.is_some() || started.provider_reference.is_some(),
        "a collection says where to pay"
    );

    let (reference, amount) = &fixtures.paid;
    let status = gateway
        .verify_payment(reference)
        .await
        .expect("verifying a paid reference");
    assert_eq!(
        status.state,
        PaymentState::Succeeded,
        "a paid reference verifies as succeeded"
    );
    assert_eq!(status.amount, Some(*amount), "the verified amount is exact");
    assert_eq!(&status.reference, reference);

    match gateway.verify_payment(&fixtures.unknown_reference).await {
        Err(GatewayError::NotFound { .. }) => {}
        other => panic!("an unknown reference must be NotFound, got {other:?}"),
    }

    let mut unsupported = fixtures.collection.clone();
    unsupported.amount = fixtures.unsupported;
    match gateway.start_collection(&unsupported).await {
        Err(error @ GatewayError::InvalidRequest { .. }) => {
            assert!(!error.is_retryable(), "an invalid request is not retryable")
        }
        other => panic!("an amount the gateway cannot take must be InvalidRequest, got {other:?}"),
    }

    let recipient = gateway
        .create_recipient(&fixtures.recipient)
        .await
        .expect("registering a recipient");
    assert!(!recipient.as_str().is_empty());
    let mut payout = fixtures.payout.clone();
    payout.recipient = recipient;
    let receipt = gateway
        .send_payout(&payout)
        .await
        .expect("sending a payout");
    assert_eq!(
        receipt.reference, payout.reference,
        "a payout keeps our reference"
    );
    assert!(
        matches!(receipt.state, PayoutState::Pending | PayoutState::Succeeded),
        "an accepted payout is pending or done"
    );

    let from = Utc
        .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    let to = Utc
        .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    if !fixtures.statement {
        match gateway.list_transactions(from, to).await {
            Err(GatewayError::InvalidRequest { .. }) => return,
            other => panic!("a provider without a statement must refuse to list, got {other:?}"),
        }
    }
    let lines = gateway
        .list_transactions(from, to)
        .await
        .expect("listing transactions");
    assert!(
        lines
            .iter()
            .any(|l| &l.reference == reference && l.amount == *amount),
        "the paid collection is on the statement"
    );
}
