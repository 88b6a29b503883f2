//! Adapters that connect `ajo-core`'s ports to the outside world: PostgreSQL through
//! sqlx, payment gateways (Paystack, Flutterwave, Stripe, M-Pesa, MTN MoMo) and messaging
//! (SendGrid, Twilio) over reqwest with rustls.
//!
//! Each adapter sits behind a cargo feature of the same name, off by default, so a host
//! service compiles only the clients it uses.
//!
//! ```
//! # #[cfg(feature = "paystack")]
//! # {
//! use ajo_adapters::http::{HttpConfig, RetryPolicy};
//! use ajo_adapters::paystack::{PaystackConfig, PaystackGateway};
//! use ajo_core::ports::PaymentGateway;
//! use secrecy::SecretString;
//! use std::time::Duration;
//!
//! // Every HTTP adapter takes the same resilience settings; the base URL can point at a
//! // mock server in tests.
//! let http = HttpConfig::new("https://api.paystack.co")
//!     .with_timeout(Duration::from_secs(5))
//!     .with_retry(RetryPolicy::new(2, Duration::from_millis(100)));
//! let config = PaystackConfig::new(SecretString::from("sk_test_xyz")).with_http(http);
//! let gateway = PaystackGateway::new(config)?;
//! assert_eq!(gateway.provider(), "paystack");
//! assert!(!format!("{gateway:?}").contains("sk_test_xyz"), "keys never print");
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! - `postgres`: [`postgres::PgStore`], the `Store` port on PostgreSQL 14+ through sqlx
//!   (tokio runtime, rustls), with embedded migrations.
//! - `paystack`: [`paystack::PaystackGateway`], the `PaymentGateway` port on Paystack
//!   (amounts in subunits, references reused safely, transfers and refunds).
//! - `flutterwave`: [`flutterwave::FlutterwaveGateway`], the `PaymentGateway` port on
//!   Flutterwave v3 (amounts in exact major units, beneficiaries, transfers, refunds).
//! - `stripe`: [`stripe::StripeGateway`], the `PaymentGateway` port on Stripe
//!   (PaymentIntents found by our reference, Connect transfers, refunds, balance
//!   transactions; form-encoded, with `Idempotency-Key`).
//! - `mpesa`: [`mpesa::MpesaGateway`], the `PaymentGateway` port on Safaricom M-Pesa
//!   Daraja (OAuth token cached, STK Push and STK Push Query, B2C; unsigned callbacks
//!   confirmed, KES in whole shillings).
//! - `mtn-momo`: [`momo::MomoGateway`], the `PaymentGateway` port on MTN MoMo
//!   (Collections `requesttopay`, Disbursements `transfer`, `X-Reference-Id` as the
//!   idempotency key, `GET` status as the truth).
//! - `sendgrid`: [`sendgrid::SendGrid`], the `EmailSender` port over SendGrid's Mail Send
//!   API (text and HTML parts, configurable from-address and name; returns the
//!   `X-Message-Id`).
//! - `twilio`: [`twilio::Twilio`], the `SmsSender` port over Twilio's Messages API (from a
//!   number, a sender id or a messaging service, optional status-callback URL; E.164
//!   checked before sending; returns the message SID).
//! - `_http`: the plumbing the HTTP adapters share ([`http`]: timeouts, safe retries with
//!   backoff and jitter, `Retry-After`, a circuit breaker per provider); turned on by each
//!   of them, not useful alone.
//! - `full`: every adapter (what CI builds).

// On docs.rs, each item gated by a feature says which ("Available on crate feature ...").
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use ajo_core;

#[cfg(feature = "flutterwave")]
pub mod flutterwave;
#[cfg(feature = "_http")]
pub mod http;
#[cfg(feature = "mtn-momo")]
pub mod momo;
#[cfg(feature = "mpesa")]
pub mod mpesa;
#[cfg(feature = "paystack")]
pub mod paystack;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sendgrid")]
pub mod sendgrid;
#[cfg(feature = "stripe")]
pub mod stripe;
#[cfg(feature = "twilio")]
pub mod twilio;

// The crate's README is what crates.io shows: its examples compile and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;
