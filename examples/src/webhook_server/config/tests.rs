//! The server's configuration, read from a map: every variable, its defaults, and each
//! refusal.

use std::collections::HashMap;
use std::ffi::OsString;

use secrecy::ExposeSecret;

use super::*;

fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(*v)))
        .collect();
    Config::from_lookup(|var| map.get(var).cloned())
}

#[test]
fn nothing_set_listens_on_loopback_with_every_route_off() {
    let c = config(&[]).unwrap();
    assert_eq!(c.addr().to_string(), DEFAULT_ADDR);
    assert!(c.addr().ip().is_loopback());
    assert!(c.routes().iter().all(|r| !r.enabled));
    assert!(c.database_url().is_none());
    assert_eq!(c.max_body_len(), DEFAULT_MAX_BODY_LEN);
}

#[test]
fn each_secret_enables_its_route_and_empty_counts_as_unset() {
    let c = config(&[
        (vars::PAYSTACK, "sk_test_1"),
        (vars::STRIPE, "  "),
        (vars::SENDGRID, "MFkw"),
    ])
    .unwrap();
    let enabled: Vec<_> = c
        .routes()
        .iter()
        .filter(|r| r.enabled)
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(enabled, ["/webhooks/paystack", "/webhooks/sendgrid"]);
    let secrets = c.webhook_secrets(Provider::Paystack).unwrap();
    let secrets: Vec<&str> = secrets.iter().map(|s| s.expose_secret()).collect();
    assert_eq!(secrets, ["sk_test_1"]);
    assert!(c.webhook_secrets(Provider::Stripe).is_none());
}

#[test]
fn twilio_needs_a_public_url_and_a_trailing_slash_is_dropped() {
    assert!(matches!(
        config(&[(vars::TWILIO, "tok")]),
        Err(ConfigError::PublicUrlMissing)
    ));
    let c = config(&[
        (vars::TWILIO, "tok"),
        (vars::PUBLIC_URL, "https://ajo.example.com/hooks/"),
    ])
    .unwrap();
    assert_eq!(c.public_url(), Some("https://ajo.example.com/hooks"));
    for bad in [
        "ajo.example.com",
        "ftp://ajo.example.com",
        "https://",
        "https:///path",
        "https://a.example?x=1",
        "https://a.example#f",
    ] {
        assert!(
            matches!(
                config(&[(vars::PUBLIC_URL, bad)]),
                Err(ConfigError::InvalidPublicUrl)
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_schema_needs_the_database_and_a_plain_name() {
    let url = "postgres://postgres@127.0.0.1:5432/test";
    let c = config(&[(vars::DATABASE_URL, url), (vars::PG_SCHEMA, "ajo_live")]).unwrap();
    assert_eq!(c.pg_schema(), Some("ajo_live"));
    assert_eq!(
        config(&[(vars::DATABASE_URL, url)]).unwrap().pg_schema(),
        None
    );
    assert!(matches!(
        config(&[(vars::PG_SCHEMA, "ajo_live")]),
        Err(ConfigError::Incomplete {
            var: vars::PG_SCHEMA,
            needs: vars::DATABASE_URL
        })
    ));
    #[cfg(feature = "postgres")]
    for bad in ["ajo, public", "Ajo", "1ajo", "ajo;drop"] {
        let refused = config(&[(vars::DATABASE_URL, url), (vars::PG_SCHEMA, bad)]);
        assert!(
            matches!(
                refused,
                Err(ConfigError::InvalidValue {
                    var: vars::PG_SCHEMA,
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_bad_address_is_refused() {
    assert!(matches!(
        config(&[(vars::ADDR, "localhost")]),
        Err(ConfigError::InvalidAddr)
    ));
    let c = config(&[(vars::ADDR, "0.0.0.0:9000")]).unwrap();
    assert_eq!(c.addr().port(), 9000);
}

#[test]
fn debug_shows_which_secrets_are_set_never_their_values() {
    let c = config(&[
        (vars::PAYSTACK, "sk_live_paystack_secret"),
        (vars::FLUTTERWAVE, "flw-secret-hash"),
        (vars::STRIPE, "whsec_stripe_secret"),
        (vars::TWILIO, "twilio-auth-token"),
        (vars::PUBLIC_URL, "https://ajo.example.com"),
        (vars::DATABASE_URL, "postgres://u:db-password@db/ajo"),
    ])
    .unwrap();
    let text = format!("{c:?}");
    for secret in [
        "sk_live_paystack_secret",
        "flw-secret-hash",
        "whsec_stripe_secret",
        "twilio-auth-token",
        "db-password",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(
        text.contains("provider: \"paystack\", secret: \"set\""),
        "{text}"
    );
    assert!(
        text.contains("provider: \"sendgrid\", secret: \"unset\""),
        "{text}"
    );
}

const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";

#[test]
fn the_gateway_is_the_first_provider_whose_api_key_is_set() {
    assert_eq!(config(&[]).unwrap().payment_provider(), None);
    // The webhook-only secrets choose nothing: they cannot call an API.
    let webhooks_only =
        config(&[(vars::FLUTTERWAVE, "flw-hash"), (vars::STRIPE, "whsec_1")]).unwrap();
    assert_eq!(webhooks_only.payment_provider(), None);
    let stripe = config(&[(vars::STRIPE_API_KEY, "sk_test_1")]).unwrap();
    assert_eq!(stripe.payment_provider(), Some(Provider::Stripe));
    let flutterwave = config(&[
        (vars::STRIPE_API_KEY, "sk_test_1"),
        (vars::FLUTTERWAVE_API_KEY, "FLWSECK_TEST-1"),
    ])
    .unwrap();
    assert_eq!(flutterwave.payment_provider(), Some(Provider::Flutterwave));
    assert_eq!(
        flutterwave
            .gateway_api_key(Provider::Flutterwave)
            .map(|k| k.expose_secret().to_owned()),
        Some("FLWSECK_TEST-1".to_owned())
    );
    let paystack = config(&[
        (vars::STRIPE_API_KEY, "sk_test_1"),
        (vars::FLUTTERWAVE_API_KEY, "FLWSECK_TEST-1"),
        (vars::PAYSTACK, "sk_test_p"),
    ])
    .unwrap();
    assert_eq!(paystack.payment_provider(), Some(Provider::Paystack));
}

#[test]
fn a_stripe_webhook_secret_is_not_taken_for_its_api_key() {
    assert!(matches!(
        config(&[(vars::STRIPE_API_KEY, "whsec_oops")]),
        Err(ConfigError::NotStripeApiKey)
    ));
    let restricted = config(&[(vars::STRIPE_API_KEY, "rk_live_1")]).unwrap();
    assert_eq!(restricted.payment_provider(), Some(Provider::Stripe));
}

#[test]
fn messaging_needs_every_setting_or_none() {
    let none = config(&[]).unwrap();
    assert_eq!((none.email_provider(), none.sms_provider()), (None, None));

    let both = config(&[
        (vars::SENDGRID_API_KEY, "SG.key"),
        (vars::EMAIL_FROM, "no-reply@ajo.example.com"),
        (vars::EMAIL_FROM_NAME, "Ajo"),
        (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
        (vars::TWILIO, "tok"),
        (vars::TWILIO_FROM, "+15017122661"),
        (vars::PUBLIC_URL, "https://ajo.example.com/"),
    ])
    .unwrap();
    assert_eq!(both.email_provider(), Some(Provider::SendGrid));
    assert_eq!(both.sms_provider(), Some(Provider::Twilio));
    let (_, from, name) = both.sendgrid_sender().unwrap();
    assert_eq!((from, name), ("no-reply@ajo.example.com", Some("Ajo")));
    let (sid, _, sender) = both.twilio_sender().unwrap();
    assert_eq!((sid, sender), (TWILIO_SID, "+15017122661"));
    assert_eq!(
        both.twilio_status_callback().as_deref(),
        Some("https://ajo.example.com/webhooks/twilio")
    );

    // The auth token alone only verifies webhooks.
    let token_only = config(&[
        (vars::TWILIO, "tok"),
        (vars::PUBLIC_URL, "https://ajo.example.com"),
    ])
    .unwrap();
    assert_eq!(token_only.sms_provider(), None);

    for (pairs, var, needs) in [
        (
            &[(vars::SENDGRID_API_KEY, "SG.key")][..],
            vars::SENDGRID_API_KEY,
            vars::EMAIL_FROM,
        ),
        (
            &[(vars::EMAIL_FROM, "no-reply@ajo.example.com")][..],
            vars::EMAIL_FROM,
            vars::SENDGRID_API_KEY,
        ),
        (
            &[(vars::TWILIO_ACCOUNT_SID, TWILIO_SID)][..],
            vars::TWILIO_ACCOUNT_SID,
            vars::TWILIO,
        ),
        (
            &[
                (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
                (vars::TWILIO, "tok"),
                (vars::PUBLIC_URL, "https://ajo.example.com"),
            ][..],
            vars::TWILIO_ACCOUNT_SID,
            vars::TWILIO_FROM,
        ),
        (
            &[(vars::TWILIO_FROM, "Ajo")][..],
            vars::TWILIO_FROM,
            vars::TWILIO_ACCOUNT_SID,
        ),
    ] {
        match config(pairs) {
            Err(ConfigError::Incomplete { var: v, needs: n }) => {
                assert_eq!((v, n), (var, needs));
            }
            other => panic!("{pairs:?}: {other:?}"),
        }
    }
}

#[test]
fn base_urls_override_each_provider_and_bad_ones_are_refused() {
    let c = config(&[
        (vars::PAYSTACK_BASE_URL, "http://127.0.0.1:9000/"),
        (vars::SENDGRID_BASE_URL, "https://api.eu.sendgrid.com"),
    ])
    .unwrap();
    assert_eq!(
        c.base_url(Provider::Paystack),
        Some("http://127.0.0.1:9000")
    );
    assert_eq!(
        c.base_url(Provider::SendGrid),
        Some("https://api.eu.sendgrid.com")
    );
    assert_eq!(c.base_url(Provider::Stripe), None);
    for var in [
        vars::PAYSTACK_BASE_URL,
        vars::FLUTTERWAVE_BASE_URL,
        vars::STRIPE_BASE_URL,
        vars::SENDGRID_BASE_URL,
        vars::TWILIO_BASE_URL,
    ] {
        for bad in [
            "api.paystack.co",
            "https://user:pass@mock.example",
            "https://mock.example?key=1",
        ] {
            match config(&[(var, bad)]) {
                Err(ConfigError::InvalidBaseUrl { var: v }) => assert_eq!(v, var),
                other => panic!("{var}={bad}: {other:?}"),
            }
        }
    }
}

#[test]
fn api_keys_never_reach_debug_or_errors() {
    let c = config(&[
        (vars::PAYSTACK, "sk_live_paystack_api_key"),
        (vars::FLUTTERWAVE_API_KEY, "FLWSECK-flutterwave-api-key"),
        (vars::STRIPE_API_KEY, "sk_live_stripe_api_key"),
        (vars::SENDGRID_API_KEY, "SG.sendgrid-api-key"),
        (vars::EMAIL_FROM, "no-reply@ajo.example.com"),
        (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
        (vars::TWILIO, "twilio-auth-token"),
        (vars::TWILIO_FROM, "Ajo"),
        (vars::PUBLIC_URL, "https://ajo.example.com"),
    ])
    .unwrap();
    let text = format!("{c:?}");
    for key in [
        "sk_live_paystack_api_key",
        "FLWSECK-flutterwave-api-key",
        "sk_live_stripe_api_key",
        "SG.sendgrid-api-key",
        "twilio-auth-token",
    ] {
        assert!(!text.contains(key), "{key} in {text}");
    }
    assert!(text.contains("(\"stripe\", \"set\")"), "{text}");
    assert!(text.contains("sendgrid_api_key: \"set\""), "{text}");

    let errors = [
        config(&[(vars::STRIPE_API_KEY, "whsec_secret_in_the_wrong_place")]),
        config(&[(vars::SENDGRID_API_KEY, "SG.sendgrid-api-key")]),
        config(&[
            (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
            (vars::TWILIO, "twilio-auth-token"),
        ]),
    ];
    for error in errors {
        let error = error.unwrap_err();
        let text = format!("{error} {error:?}");
        for key in [
            "whsec_secret_in_the_wrong_place",
            "SG.sendgrid-api-key",
            "twilio-auth-token",
        ] {
            assert!(!text.contains(key), "{key} in {text}");
        }
    }
}

#[test]
fn limits_have_sane_defaults_and_read_their_variables() {
    let c = config(&[]).unwrap();
    assert_eq!(c.header_timeout(), DEFAULT_HEADER_TIMEOUT);
    assert_eq!(c.header_timeout(), Duration::from_secs(10));
    assert_eq!(c.body_timeout(), Duration::from_secs(30));
    assert_eq!(c.max_connections(), 512);
    assert!(format!("{c:?}").contains("tolerance_s: 300"));
    assert!(format!("{c:?}").contains("accept_verif_hash: false"));

    let c = config(&[
        (vars::HEADER_TIMEOUT, "300"),
        (vars::BODY_TIMEOUT, "1500"),
        (vars::MAX_CONNECTIONS, "8"),
        (vars::SENDGRID_TOLERANCE, "60"),
        (vars::FLUTTERWAVE, "flw-hash"),
        (vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "TRUE"),
    ])
    .unwrap();
    assert_eq!(c.header_timeout(), Duration::from_millis(300));
    assert_eq!(c.body_timeout(), Duration::from_millis(1500));
    assert_eq!(c.max_connections(), 8);
    // Each provider's own settings are read by its module (tested there) and kept.
    assert!(format!("{c:?}").contains("tolerance_s: 60"));
    assert!(format!("{c:?}").contains("accept_verif_hash: true"));
}

#[test]
fn limits_out_of_range_stop_the_start_with_a_typed_error() {
    for (var, bad) in [
        (vars::HEADER_TIMEOUT, "0"),
        (vars::HEADER_TIMEOUT, "10s"),
        (vars::HEADER_TIMEOUT, "3600001"),
        (vars::BODY_TIMEOUT, "-1"),
        (vars::MAX_CONNECTIONS, "0"),
        (vars::MAX_CONNECTIONS, "65537"),
        (vars::MAX_CONNECTIONS, "many"),
        (vars::SENDGRID_TOLERANCE, "0"),
        (vars::SENDGRID_TOLERANCE, "172801"),
        (vars::SENDGRID_TOLERANCE, "99999999999999999999"),
    ] {
        match config(&[(var, bad)]) {
            Err(ConfigError::InvalidValue { var: v, .. }) => assert_eq!(v, var, "{bad}"),
            other => panic!("{var}={bad}: {other:?}"),
        }
    }
    match config(&[
        (vars::FLUTTERWAVE, "flw-hash"),
        (vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "yes please"),
    ]) {
        Err(error @ ConfigError::InvalidValue { .. }) => {
            assert_eq!(
                error.to_string(),
                "FLUTTERWAVE_ACCEPT_VERIF_HASH must be true or false"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn verif_hash_needs_the_flutterwave_hash() {
    match config(&[(vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "true")]) {
        Err(ConfigError::Incomplete { var, needs }) => {
            assert_eq!(
                (var, needs),
                (vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, vars::FLUTTERWAVE)
            );
        }
        other => panic!("{other:?}"),
    }
    // Turned off explicitly, it needs nothing.
    assert!(config(&[(vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "0")]).is_ok());
}

#[test]
fn a_previous_secret_is_verified_after_the_current_one_and_never_shown() {
    let c = config(&[
        (vars::PAYSTACK, "sk_live_new_key"),
        (vars::PAYSTACK_PREVIOUS, "sk_live_old_key"),
        (vars::STRIPE, "whsec_new"),
        (vars::SENDGRID, "MFkw-new"),
        (vars::SENDGRID_PREVIOUS, "MFkw-old"),
        (vars::TWILIO, "twilio-new-token"),
        (vars::TWILIO_PREVIOUS, "twilio-old-token"),
        (vars::PUBLIC_URL, "https://ajo.example.com"),
    ])
    .unwrap();
    let exposed = |p| {
        c.webhook_secrets(p)
            .unwrap()
            .iter()
            .map(|s| s.expose_secret().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        exposed(Provider::Paystack),
        ["sk_live_new_key", "sk_live_old_key"]
    );
    assert_eq!(exposed(Provider::Stripe), ["whsec_new"]);
    assert_eq!(
        exposed(Provider::Twilio),
        ["twilio-new-token", "twilio-old-token"]
    );
    assert_eq!(exposed(Provider::SendGrid), ["MFkw-new", "MFkw-old"]);
    // API calls keep using the current key only.
    assert_eq!(
        c.gateway_api_key(Provider::Paystack)
            .map(|k| k.expose_secret().to_owned()),
        Some("sk_live_new_key".to_owned())
    );
    assert_eq!(
        c.previous_secrets_set(),
        [
            vars::PAYSTACK_PREVIOUS,
            vars::SENDGRID_PREVIOUS,
            vars::TWILIO_PREVIOUS
        ]
    );
    let text = format!("{c:?}");
    for secret in ["sk_live_old_key", "twilio-old-token", "sk_live_new_key"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    for (previous, main) in [
        (vars::PAYSTACK_PREVIOUS, vars::PAYSTACK),
        (vars::FLUTTERWAVE_PREVIOUS, vars::FLUTTERWAVE),
        (vars::STRIPE_PREVIOUS, vars::STRIPE),
        (vars::SENDGRID_PREVIOUS, vars::SENDGRID),
        (vars::TWILIO_PREVIOUS, vars::TWILIO),
    ] {
        match config(&[(previous, "old"), (vars::PUBLIC_URL, "https://a.example")]) {
            Err(ConfigError::Incomplete { var, needs }) => {
                assert_eq!((var, needs), (previous, main));
            }
            other => panic!("{previous}: {other:?}"),
        }
    }
}

#[test]
fn a_zero_body_limit_is_refused() {
    let c = config(&[]).unwrap();
    assert!(matches!(
        c.clone().with_max_body_len(0),
        Err(ConfigError::ZeroBodyLimit)
    ));
    assert_eq!(c.with_max_body_len(10).unwrap().max_body_len(), 10);
}
