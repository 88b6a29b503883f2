//! The guide in `docs/`, compiled: every Rust code block of these pages runs as a doctest
//! of this crate (`cargo test -p ajo-examples --doc`), so the guide cannot drift from the
//! API it describes.

#[doc = include_str!("../../docs/concepts.md")]
#[allow(dead_code)]
struct Concepts;

#[doc = include_str!("../../docs/payout-order.md")]
#[allow(dead_code)]
struct PayoutOrder;

#[doc = include_str!("../../docs/loans.md")]
#[allow(dead_code)]
struct Loans;

#[doc = include_str!("../../docs/limits.md")]
#[allow(dead_code)]
struct Limits;

#[doc = include_str!("../../docs/money-in-doubt.md")]
#[allow(dead_code)]
struct MoneyInDoubt;

#[doc = include_str!("../../docs/webhooks.md")]
#[allow(dead_code)]
struct Webhooks;

#[doc = include_str!("../../docs/mobile-money.md")]
#[allow(dead_code)]
struct MobileMoney;

#[doc = include_str!("../../docs/metrics.md")]
#[allow(dead_code)]
struct Metrics;

#[doc = include_str!("../../docs/testing.md")]
#[allow(dead_code)]
struct Testing;

#[doc = include_str!("../../docs/embedding.md")]
#[allow(dead_code)]
struct Embedding;

#[doc = include_str!("../../docs/postgres.md")]
#[allow(dead_code)]
struct Postgres;

#[doc = include_str!("../../docs/providers.md")]
#[allow(dead_code)]
struct Providers;

#[doc = include_str!("../../docs/books.md")]
#[allow(dead_code)]
struct Books;
