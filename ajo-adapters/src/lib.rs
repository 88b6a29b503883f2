//! Adapters that connect `ajo-core`'s ports to the outside world: PostgreSQL through
//! sqlx, payment gateways (Paystack, Flutterwave, Stripe) and messaging (SendGrid, Twilio)
//! over reqwest with rustls.
//!
//! Each adapter sits behind a cargo feature of the same name, off by default, so a host
//! service compiles only the clients it uses.
//!
//! # Crate features
//!
//! None yet: the ports the adapters implement arrive with the service layer, and each
//! adapter lands with its own tests against a real server or a mock of the provider.

pub use ajo_core;
