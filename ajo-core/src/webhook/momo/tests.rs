//! MTN MoMo's documented status bodies (ajo-adapters/tests/data/mobile-money/wire-formats.md),
//! read at the token URL and refused elsewhere.

use secrecy::SecretString;

use super::*;

const BASE: &str = "https://pay.example.com/webhooks/mtn-momo";
const REF: &str = "ajo=ctb=g1=r1=h1";

fn secret(fill: char) -> CallbackSecret {
    CallbackSecret::new(P, SecretString::from(fill.to_string().repeat(32))).unwrap()
}

fn read(verifier: &MomoVerifier, url: &str, body: &str) -> Result<GatewayEvent, WebhookError> {
    match verifier.verify_and_parse(url, body.as_bytes())? {
        WebhookOutcome::Payment(event) => Ok(event),
        other => panic!("expected a payment, got {other:?}"),
    }
}

fn collected(status: &str, extra: &str) -> String {
    format!(
        r#"{{"financialTransactionId":"1232581108","externalId":"{REF}","amount":"500","currency":"UGX","payer":{{"partyIdType":"MSISDN","partyId":"256772000000"}},"payerMessage":"m","payeeNote":"n","status":"{status}"{extra}}}"#
    )
}

#[test]
fn request_to_pay_outcomes_are_charges() {
    let s = secret('a');
    let verifier = MomoVerifier::new(vec![s.clone()]).unwrap();
    let url = s.callback_url(BASE, REF);
    let paid = read(&verifier, &url, &collected("SUCCESSFUL", "")).unwrap();
    assert_eq!(paid.kind(), PaymentEventKind::ChargeSucceeded);
    assert_eq!(
        paid.amount(),
        Money::from_minor(500, Currency::UGX).unwrap()
    );
    assert_eq!(paid.transaction_id(), Some(momo_reference_id(REF).as_str()));
    assert_eq!(paid.provider_reference(), Some("1232581108"));
    assert_eq!(paid.authentication(), Authentication::CallbackToken);
    let failed = read(
        &verifier,
        &url,
        &collected("FAILED", r#","reason":"NOT_ENOUGH_FUNDS""#),
    )
    .unwrap();
    assert_eq!(failed.kind(), PaymentEventKind::ChargeFailed);
    assert_eq!(failed.failure_reason(), Some("NOT_ENOUGH_FUNDS"));
    let coded = read(
        &verifier,
        &url,
        &collected(
            "FAILED",
            r#","reason":{"code":"APPROVAL_REJECTED","message":"rejected"}"#,
        ),
    )
    .unwrap();
    assert_eq!(coded.failure_reason(), Some("APPROVAL_REJECTED: rejected"));
    assert!(matches!(
        verifier
            .verify_and_parse(&url, collected("PENDING", "").as_bytes())
            .unwrap(),
        WebhookOutcome::Ignored(_)
    ));
}

#[test]
fn transfer_outcomes_are_payouts() {
    let s = secret('a');
    let verifier = MomoVerifier::new(vec![s.clone()]).unwrap();
    let body = format!(
        r#"{{"amount":"5","currency":"EUR","financialTransactionId":"981569077","externalId":"{REF}","payee":{{"partyIdType":"MSISDN","partyId":"46733123450"}},"status":"SUCCESSFUL"}}"#
    );
    let paid = read(&verifier, &s.callback_url(BASE, REF), &body).unwrap();
    assert_eq!(paid.kind(), PaymentEventKind::PayoutSucceeded);
    assert_eq!(
        paid.amount(),
        Money::from_minor(500, Currency::EUR).unwrap()
    );
    let failed = body.replace("SUCCESSFUL", "FAILED");
    let failed = read(&verifier, &s.callback_url(BASE, REF), &failed).unwrap();
    assert_eq!(failed.kind(), PaymentEventKind::PayoutFailed);
}

#[test]
fn the_token_is_required_and_the_references_must_agree() {
    let s = secret('a');
    let verifier = MomoVerifier::new(vec![s.clone()]).unwrap();
    let body = collected("SUCCESSFUL", "");
    let refused = verifier
        .verify_and_parse(&secret('b').callback_url(BASE, REF), body.as_bytes())
        .unwrap_err();
    assert!(refused.is_rejected_request());
    let elsewhere = s.callback_url(BASE, "ajo=ctb=g2=r1=h1");
    assert!(matches!(
        read(&verifier, &elsewhere, &body).unwrap_err(),
        WebhookError::MalformedPayload { .. }
    ));
    // Without `ref`, externalId names it.
    let bare = format!("{BASE}/{}", s.path_token());
    assert_eq!(read(&verifier, &bare, &body).unwrap().reference(), REF);
}

#[test]
fn currencies_off_the_rail_and_inexact_amounts_are_refused() {
    let s = secret('a');
    let verifier = MomoVerifier::new(vec![s.clone()]).unwrap();
    let url = s.callback_url(BASE, REF);
    let naira = collected("SUCCESSFUL", "").replace("UGX", "NGN");
    assert!(matches!(
        read(&verifier, &url, &naira).unwrap_err(),
        WebhookError::UnsupportedCurrency { .. }
    ));
    let shillings_and_cents = collected("SUCCESSFUL", "").replace("\"500\"", "\"500.5\"");
    assert!(matches!(
        read(&verifier, &url, &shillings_and_cents).unwrap_err(),
        WebhookError::InvalidAmount { .. }
    ));
}

#[test]
fn reference_ids_are_stable_distinct_uuid_v4_shapes() {
    let a = momo_reference_id("a");
    assert_eq!(a, momo_reference_id("a"));
    assert_ne!(a, momo_reference_id("b"));
    let parts: Vec<&str> = a.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'));
    assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
}
