//! Daraja's documented callbacks (ajo-adapters/tests/data/mobile-money/wire-formats.md),
//! read at the token URL and refused elsewhere.

use secrecy::SecretString;

use super::*;

const BASE: &str = "https://pay.example.com/webhooks/mpesa";
const REF: &str = "ajo=ctb=g1=r1=h1";

fn secret(fill: char) -> CallbackSecret {
    CallbackSecret::new(P, SecretString::from(fill.to_string().repeat(32))).unwrap()
}

/// The deployment's payout key: not the callback secret, which is rolled.
fn payout() -> CallbackSecret {
    CallbackSecret::new(P, SecretString::from("p".repeat(40))).unwrap()
}

fn read(verifier: &MpesaVerifier, url: &str, body: &str) -> Result<GatewayEvent, WebhookError> {
    match verifier.verify_and_parse(url, body.as_bytes())? {
        WebhookOutcome::Payment(event) => Ok(event),
        other => panic!("expected a payment, got {other:?}"),
    }
}

const STK_PAID: &str = r#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"Balance"},{"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}"#;

const STK_CANCELLED: &str = r#"{"Body":{"stkCallback":{"MerchantRequestID":"f1e2-4b95-a71d-b30d3cdbb7a7942864","CheckoutRequestID":"ws_CO_21072024125243250722943992","ResultCode":1032,"ResultDesc":"Request cancelled by user"}}}"#;

fn b2c_paid(originator: &str) -> String {
    format!(
        r#"{{"Result":{{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successfully.","OriginatorConversationID":"{originator}","ConversationID":"AG_20240706_2010364430d9bbdaf872","TransactionID":"SG632NMUAB","ResultParameters":{{"ResultParameter":[{{"Key":"TransactionAmount","Value":10}},{{"Key":"TransactionReceipt","Value":"SG632NMUAB"}},{{"Key":"B2CRecipientIsRegisteredCustomer","Value":"Y"}}]}},"ReferenceData":{{"ReferenceItem":{{"Key":"QueueTimeoutURL","Value":"https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"}}}}}}}}"#
    )
}

#[test]
fn a_paid_stk_push_is_a_charge_at_the_token_url() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()]).unwrap();
    let event = read(&verifier, &s.callback_url(BASE, REF), STK_PAID).unwrap();
    assert_eq!(event.kind(), PaymentEventKind::ChargeSucceeded);
    assert_eq!(event.reference(), REF);
    assert_eq!(
        event.amount(),
        Money::from_minor(100, Currency::KES).unwrap()
    );
    assert_eq!(event.transaction_id(), Some("ws_CO_191220191020363925"));
    assert_eq!(event.provider_reference(), Some("NLJ7RT61SV"));
    assert_eq!(event.authentication(), Authentication::CallbackToken);
    // 10:21:15 in Nairobi (UTC+3).
    assert_eq!(
        event.occurred_at().map(|t| t.to_rfc3339()),
        Some("2019-12-19T07:21:15+00:00".to_owned())
    );
    assert_eq!(
        event.idempotency_key().as_str(),
        "mpesa:ajo=ctb=g1=r1=h1:charge_succeeded:ws_CO_191220191020363925"
    );
}

#[test]
fn a_cancelled_or_unfunded_stk_push_is_a_failed_charge_with_its_reason() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()]).unwrap();
    let event = read(&verifier, &s.callback_url(BASE, REF), STK_CANCELLED).unwrap();
    assert_eq!(event.kind(), PaymentEventKind::ChargeFailed);
    assert_eq!(
        event.failure_reason(),
        Some("1032: Request cancelled by user")
    );
    assert!(event.amount().is_zero());
    let unfunded = STK_CANCELLED.replace("1032", "1").replace(
        "Request cancelled by user",
        "The balance is insufficient for the transaction.",
    );
    let event = read(&verifier, &s.callback_url(BASE, REF), &unfunded).unwrap();
    assert_eq!(
        event.failure_reason(),
        Some("1: The balance is insufficient for the transaction.")
    );
    // A code Daraja writes as a string is read too.
    let text_code = STK_CANCELLED.replace("1032", r#""SFC_IC0003""#);
    let event = read(&verifier, &s.callback_url(BASE, REF), &text_code).unwrap();
    assert_eq!(event.kind(), PaymentEventKind::ChargeFailed);
}

#[test]
fn a_url_without_the_token_is_refused_before_the_body_is_read() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()]).unwrap();
    let other = secret('b');
    for url in [
        other.callback_url(BASE, REF),
        format!("{BASE}?ref={REF}"),
        format!("{BASE}/{}x?ref={REF}", s.path_token()),
        String::new(),
    ] {
        let refused = verifier
            .verify_and_parse(&url, b"not even json")
            .unwrap_err();
        assert!(refused.is_rejected_request(), "{url}: {refused}");
    }
    // A secret being rolled in is accepted beside the old one.
    let both = MpesaVerifier::new(vec![other.clone(), s.clone()]).unwrap();
    assert!(read(&both, &s.callback_url(BASE, REF), STK_PAID).is_ok());
    assert!(read(&both, &other.callback_url(BASE, REF), STK_PAID).is_ok());
}

#[test]
fn the_reference_comes_from_the_url_and_must_be_there() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()]).unwrap();
    let url = format!("{BASE}/{}", s.path_token());
    let error = verifier
        .verify_and_parse(&url, STK_PAID.as_bytes())
        .unwrap_err();
    assert!(
        matches!(error, WebhookError::MalformedPayload { .. }),
        "{error}"
    );
    assert!(!error.is_rejected_request());
}

#[test]
fn a_b2c_result_with_the_payouts_tag_is_tagged_and_one_without_is_not() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()])
        .unwrap()
        .with_payout_key(payout());
    let url = s.callback_url(BASE, REF);
    let tagged = read(&verifier, &url, &b2c_paid(&payout().tag(B2C_TAG, REF))).unwrap();
    assert_eq!(tagged.kind(), PaymentEventKind::PayoutSucceeded);
    assert_eq!(
        tagged.amount(),
        Money::from_minor(1000, Currency::KES).unwrap()
    );
    assert_eq!(tagged.transaction_id(), Some("SG632NMUAB"));
    assert_eq!(
        tagged.provider_reference(),
        Some("AG_20240706_2010364430d9bbdaf872")
    );
    assert_eq!(tagged.authentication(), Authentication::CallbackTag);
    // Another payout's tag, a tag under the (rolled) callback secret, or a made-up id,
    // proves nothing about this one.
    for originator in [
        payout().tag(B2C_TAG, "ajo=pay=other"),
        s.tag(B2C_TAG, REF),
        "600997_Test_32et3241ed8yu".into(),
    ] {
        let event = read(&verifier, &url, &b2c_paid(&originator)).unwrap();
        assert_eq!(event.authentication(), Authentication::CallbackToken);
    }
}

#[test]
fn a_failed_b2c_result_is_a_failed_payout_with_its_reason() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()])
        .unwrap()
        .with_payout_key(payout());
    let body = format!(
        r#"{{"Result":{{"ResultType":0,"ResultCode":2001,"ResultDesc":"The initiator information is invalid.","OriginatorConversationID":"{}","ConversationID":"AG_20240707_201062f6f6f5804f7a33","TransactionID":"SG722NMVXQ"}}}}"#,
        payout().tag(B2C_TAG, REF)
    );
    let event = read(&verifier, &s.callback_url(BASE, REF), &body).unwrap();
    assert_eq!(event.kind(), PaymentEventKind::PayoutFailed);
    assert_eq!(
        event.failure_reason(),
        Some("2001: The initiator information is invalid.")
    );
    assert_eq!(event.authentication(), Authentication::CallbackTag);
}

#[test]
fn unknown_shapes_are_ignored_and_broken_ones_are_malformed() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()]).unwrap();
    let url = s.callback_url(BASE, REF);
    assert!(matches!(
        verifier
            .verify_and_parse(&url, br#"{"Something":1}"#)
            .unwrap(),
        WebhookOutcome::Ignored(_)
    ));
    let no_amount = STK_PAID.replace(r#"{"Name":"Amount","Value":1.00},"#, "");
    assert!(read(&verifier, &url, &no_amount).is_err());
    let cents_below = STK_PAID.replace("1.00", "1.005");
    assert!(matches!(
        read(&verifier, &url, &cents_below).unwrap_err(),
        WebhookError::InvalidAmount { .. }
    ));
    assert!(verifier.verify_and_parse(&url, b"{").is_err());
    let small = MpesaVerifier::new(vec![s.clone()])
        .unwrap()
        .with_max_body_len(8)
        .unwrap();
    assert!(matches!(
        small
            .verify_and_parse(&url, STK_PAID.as_bytes())
            .unwrap_err(),
        WebhookError::BodyTooLarge { .. }
    ));
}

#[test]
fn the_verifier_asks_for_token_routes_and_acknowledges_as_daraja_expects() {
    let verifier = MpesaVerifier::new(vec![secret('a')]).unwrap();
    assert!(verifier.token_in_path());
    assert_eq!(
        verifier.acknowledgement().map(|a| a.body),
        Some(r#"{"ResultCode":0,"ResultDesc":"Accepted"}"#)
    );
    assert!(!format!("{verifier:?}").contains("aaaa"));
}

fn status_result(originator: &str, status: &str) -> String {
    format!(
        r#"{{"Result":{{"ConversationID":"AG_20180223_0000493344ae97d86f75","OriginatorConversationID":"3213-416199-2","ReferenceData":{{"ReferenceItem":{{"Key":"Occasion"}}}},"ResultCode":0,"ResultDesc":"The service request is processed successfully.","ResultParameters":{{"ResultParameter":[{{"Key":"DebitPartyName","Value":"600310 - Safaricom333"}},{{"Key":"DebitPartyName","Value":"254708374149 - John Doe"}},{{"Key":"OriginatorConversationID","Value":"{originator}"}},{{"Key":"InitiatedTime","Value":"20180223054112"}},{{"Key":"DebitAccountType","Value":"Utility Account"}},{{"Key":"DebitPartyCharges","Value":"Fee For B2C Payment|KES|22.40"}},{{"Key":"TransactionReason"}},{{"Key":"ReasonType","Value":"Business Payment to Customer via API"}},{{"Key":"TransactionStatus","Value":"{status}"}},{{"Key":"FinalisedTime","Value":"20180223054112"}},{{"Key":"Amount","Value":"300"}},{{"Key":"ConversationID","Value":"AG_20180223_000041b09c22e613d6c9"}},{{"Key":"ReceiptNo","Value":"MBN31H462N"}}]}},"ResultType":0,"TransactionID":"MBN0000000"}}}}"#
    )
}

#[test]
fn a_transaction_status_result_is_the_payout_delivered_when_completed() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()])
        .unwrap()
        .with_payout_key(payout());
    let url = format!("{}&kind=status", s.callback_url(BASE, REF));
    let event = read(
        &verifier,
        &url,
        &status_result(&payout().tag(B2C_TAG, REF), "Completed"),
    )
    .unwrap();
    assert_eq!(event.kind(), PaymentEventKind::PayoutSucceeded);
    assert_eq!(
        event.amount(),
        Money::from_minor(30000, Currency::KES).unwrap()
    );
    assert_eq!(event.transaction_id(), Some("MBN31H462N"));
    assert_eq!(event.authentication(), Authentication::CallbackTag);
    // The same receipt's B2C result and status result are one fact: one key.
    assert_eq!(
        event.idempotency_key().as_str(),
        "mpesa:ajo=ctb=g1=r1=h1:payout_succeeded:MBN31H462N"
    );
    let untagged = read(
        &verifier,
        &url,
        &status_result("3211-416020-3", "Completed"),
    )
    .unwrap();
    assert_eq!(untagged.authentication(), Authentication::CallbackToken);
    for status in ["Failed", "Pending"] {
        assert!(matches!(
            verifier
                .verify_and_parse(
                    &url,
                    status_result(&payout().tag(B2C_TAG, REF), status).as_bytes()
                )
                .unwrap(),
            WebhookOutcome::Ignored(_)
        ));
    }
    // Without `kind=status` the same body is read as a B2C result, which it is not.
    assert!(
        verifier
            .verify_and_parse(
                &s.callback_url(BASE, REF),
                status_result("x", "Completed").as_bytes()
            )
            .is_err()
    );
}

#[test]
fn without_a_payout_key_no_b2c_result_is_tagged() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()]).unwrap();
    let event = read(
        &verifier,
        &s.callback_url(BASE, REF),
        &b2c_paid(&payout().tag(B2C_TAG, REF)),
    )
    .unwrap();
    assert_eq!(event.authentication(), Authentication::CallbackToken);
}

#[test]
fn status_parameters_are_read_whichever_way_daraja_spaces_their_keys() {
    let s = secret('a');
    let verifier = MpesaVerifier::new(vec![s.clone()])
        .unwrap()
        .with_payout_key(payout());
    let url = format!("{}&kind=status", s.callback_url(BASE, REF));
    let spaced = status_result(&payout().tag(B2C_TAG, REF), "Completed")
        .replace(
            r#""Key":"OriginatorConversationID""#,
            r#""Key":"Originator Conversation ID""#,
        )
        .replace(
            r#""Key":"TransactionStatus""#,
            r#""Key":"Transaction Status""#,
        );
    let event = read(&verifier, &url, &spaced).unwrap();
    assert_eq!(event.authentication(), Authentication::CallbackTag);
}
