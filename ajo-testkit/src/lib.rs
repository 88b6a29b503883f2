//! What users of ajo test with, and the embedded default.
//!
//! - [`InMemoryStore`]: a complete [`Store`](ajo_core::ports::Store) in memory, safe across
//!   tasks, with the atomicity of a database. The examples run on it.
//! - [`fakes`]: [`FakeClock`](fakes::FakeClock), a scriptable
//!   [`FakeGateway`](fakes::FakeGateway), and [`FakeEmail`](fakes::FakeEmail) and
//!   [`FakeSms`](fakes::FakeSms) that record what they send.
//! - [`Embedded`]: a service wired to all of the above in one call.
//! - [`builders`]: group configurations and contacts with sensible defaults.
//! - [`webhooks`]: a fake-gateway payment as the signed webhook a provider would send
//!   ([`SignedWebhook`](webhooks::SignedWebhook)), to test a host's own webhook route.
//! - `strategies` (feature `strategies`): proptest strategies for ajo's types (amounts,
//!   weights, balanced entries, loan terms).
//! - `conformance` (feature `conformance`): the suites every store, gateway and message
//!   sender must pass, and outbox delivery by concurrent workers on any store.
//!
//! # Crate features
//!
//! None is on by default, so a host that runs on the in-memory store and the logging
//! senders (without secrets, say) pulls in no test-only crate:
//!
//! - `strategies`: the proptest strategies (brings in `proptest`).
//! - `conformance`: the conformance suites.
//!
//! ```
//! use ajo_core::group::GroupId;
//! use ajo_core::ports::Journal;
//! use ajo_testkit::{Embedded, builders};
//! use chrono::{NaiveDate, TimeZone, Utc};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The real service, on the in-memory store, with a fake gateway, senders and clock.
//! let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap());
//! let group = GroupId::new("test-group")?;
//! let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
//! let config = builders::naira_group("Test group", 5_000, start).build()?;
//! ajo.service.create_group(&group, config).await?;
//!
//! // Joining asks for a deposit; the fake gateway "pays" it and returns the webhook event.
//! let receipt = ajo
//!     .service
//!     .join(&group, &builders::member("Ada"), 1, &builders::contact("Ada"))
//!     .await?;
//! let deposit = receipt.deposit.ok_or("this group takes a deposit")?;
//! let event = ajo.gateway.pay(&deposit.reference).ok_or("unknown reference")?;
//! ajo.service.handle_gateway_event(&event).await?;
//!
//! // What the service sent, and the books, are all there to assert on.
//! ajo.service.deliver_outbox(10).await?;
//! assert!(!ajo.email.sent().is_empty());
//! let balances = ajo.store.balances().await?;
//! assert_eq!(balances.iter().map(|(_, b)| b.minor()).sum::<i128>(), 0);
//! # Ok(())
//! # }
//! ```

// On docs.rs, each item gated by a feature says which ("Available on crate feature ...").
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod builders;
mod checks;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod drive;
mod embedded;
pub mod fakes;
pub mod life;
mod memory_store;
#[cfg(feature = "strategies")]
pub mod strategies;
pub mod webhooks;

pub use checks::assert_books_balance;
pub use embedded::Embedded;
pub use memory_store::InMemoryStore;

// The crate's README is what crates.io shows: its examples compile and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;
