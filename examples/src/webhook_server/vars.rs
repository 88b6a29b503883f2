//! The environment variables the server reads: its own here, and each payment provider's
//! (webhook secret, API key, base URL) re-exported from the provider's module
//! (`providers/`), where they are read.

pub use super::providers::flutterwave::{
    FLUTTERWAVE, FLUTTERWAVE_ACCEPT_VERIF_HASH, FLUTTERWAVE_API_KEY, FLUTTERWAVE_BASE_URL,
    FLUTTERWAVE_PREVIOUS,
};
pub use super::providers::momo::{
    MOMO_API_KEY, MOMO_API_USER, MOMO_BASE_URL, MOMO_CALLBACK, MOMO_CALLBACK_PREVIOUS,
    MOMO_COLLECTION_KEY, MOMO_COUNTRY, MOMO_DISBURSEMENT_KEY, MOMO_TARGET_ENVIRONMENT,
};
pub use super::providers::mpesa::{
    MPESA_API_KEY, MPESA_B2C_INITIATOR, MPESA_B2C_SECURITY_CREDENTIAL, MPESA_B2C_SHORTCODE,
    MPESA_BASE_URL, MPESA_CALLBACK, MPESA_CALLBACK_PREVIOUS, MPESA_CONSUMER_KEY, MPESA_PASSKEY,
    MPESA_PAYOUT_KEY, MPESA_SHORTCODE, MPESA_TILL,
};
pub use super::providers::paystack::{PAYSTACK, PAYSTACK_BASE_URL, PAYSTACK_PREVIOUS};
pub use super::providers::sendgrid::{SENDGRID, SENDGRID_PREVIOUS, SENDGRID_TOLERANCE};
pub use super::providers::stripe::{STRIPE, STRIPE_API_KEY, STRIPE_BASE_URL, STRIPE_PREVIOUS};
pub use super::providers::twilio::{TWILIO, TWILIO_PREVIOUS};

/// The address to listen on (`127.0.0.1:8080` when unset).
pub const ADDR: &str = "AJO_ADDR";
/// Where to serve `GET /metrics` in Prometheus text (`127.0.0.1:9090`, say); no metrics
/// listener when unset. Keep it off the public interface.
pub const METRICS_ADDR: &str = "AJO_METRICS_ADDR";
/// The public base URL providers call (`https://ajo.example.com`): Twilio signs the full
/// URL it requested, which the server cannot see behind a proxy.
pub const PUBLIC_URL: &str = "AJO_PUBLIC_URL";
/// A PostgreSQL URL; the in-memory store is used when unset.
pub const DATABASE_URL: &str = "DATABASE_URL";
/// The schema of [`DATABASE_URL`]'s database that holds ajo's tables (a plain name,
/// as `admin --schema` takes): every connection is opened with it as its
/// `search_path`, so the migrations and every query land there. When unset, the
/// database's default `search_path`.
pub const PG_SCHEMA: &str = "AJO_PG_SCHEMA";

/// Milliseconds a connection has to send a request's head (default 10000).
pub const HEADER_TIMEOUT: &str = "AJO_HEADER_TIMEOUT_MS";
/// Milliseconds a request has to send its whole body (default 30000).
pub const BODY_TIMEOUT: &str = "AJO_BODY_TIMEOUT_MS";
/// Connections served at once (default 512); keep it below the process's open-file
/// limit.
pub const MAX_CONNECTIONS: &str = "AJO_MAX_CONNECTIONS";

/// A SendGrid API key with the Mail Send permission; needs [`EMAIL_FROM`].
pub const SENDGRID_API_KEY: &str = "SENDGRID_API_KEY";
/// The address email comes from (`no-reply@ajo.example.com`), verified in SendGrid.
pub const EMAIL_FROM: &str = "AJO_EMAIL_FROM";
/// The name shown beside [`EMAIL_FROM`] (`Ajo`); optional.
pub const EMAIL_FROM_NAME: &str = "AJO_EMAIL_FROM_NAME";
/// The Twilio account SID (`AC…`); with [`TWILIO`] and [`TWILIO_FROM`], SMS go
/// through Twilio.
pub const TWILIO_ACCOUNT_SID: &str = "TWILIO_ACCOUNT_SID";
/// Who SMS come from: a Twilio number in E.164 (`+15017122661`), an alphanumeric
/// sender id (`Ajo`), or a messaging service SID (`MG…`).
pub const TWILIO_FROM: &str = "TWILIO_FROM";

/// Another base URL for SendGrid's API (`https://api.eu.sendgrid.com` for EU-pinned
/// subusers, or a mock server).
pub const SENDGRID_BASE_URL: &str = "SENDGRID_BASE_URL";
/// Another base URL for Twilio's API.
pub const TWILIO_BASE_URL: &str = "TWILIO_BASE_URL";
