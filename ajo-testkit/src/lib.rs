//! What users of ajo test with, and the embedded default.
//!
//! - [`InMemoryStore`]: a complete [`Store`](ajo_core::ports::Store) in memory, safe across
//!   tasks, with the atomicity of a database. The examples run on it.
//! - [`fakes`]: [`FakeClock`](fakes::FakeClock), a scriptable
//!   [`FakeGateway`](fakes::FakeGateway), and [`FakeEmail`](fakes::FakeEmail) and
//!   [`FakeSms`](fakes::FakeSms) that record what they send.
//! - [`Embedded`]: a service wired to all of the above in one call.
//! - [`builders`]: group configurations and contacts with sensible defaults.
//! - [`strategies`]: proptest strategies for ajo's types (amounts, weights, balanced
//!   entries, loan terms).
//! - [`conformance`]: the suites every store, gateway and message sender must pass, and
//!   outbox delivery by concurrent workers on any store.

pub mod builders;
pub mod conformance;
mod embedded;
pub mod fakes;
mod memory_store;
pub mod strategies;

pub use embedded::Embedded;
pub use memory_store::InMemoryStore;
