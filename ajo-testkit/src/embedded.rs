use std::sync::Arc;

use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store};
use ajo_core::service::AjoService;
use chrono::{DateTime, Utc};

use crate::InMemoryStore;
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// An [`AjoService`] on the in-memory store with fake ports, and a handle on each, so a
/// test (or the quickstart) can drive time, payments and read what was sent.
///
/// ```
/// use ajo_testkit::Embedded;
/// use chrono::{TimeZone, Utc};
///
/// let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
/// ajo.clock.advance(chrono::Duration::days(1));
/// assert!(ajo.email.sent().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The service.
    pub service: AjoService,
    /// The store behind it.
    pub store: Arc<InMemoryStore>,
    /// The gateway behind it.
    pub gateway: Arc<FakeGateway>,
    /// The email sender behind it.
    pub email: Arc<FakeEmail>,
    /// The SMS sender behind it.
    pub sms: Arc<FakeSms>,
    /// The clock behind it.
    pub clock: Arc<FakeClock>,
}

impl Embedded {
    /// The same service over a copy of the store, sharing the fakes and the clock.
    pub fn fork(&self) -> Embedded {
        let store = Arc::new(self.store.fork());
        let service = AjoService::new(
            store.clone() as Arc<dyn Store>,
            self.gateway.clone() as Arc<dyn PaymentGateway>,
            self.email.clone() as Arc<dyn EmailSender>,
            self.sms.clone() as Arc<dyn SmsSender>,
            self.clock.clone() as Arc<dyn Clock>,
        );
        Embedded {
            service,
            store,
            ..self.clone()
        }
    }

    /// Everything new, the clock at `now`.
    pub fn new(now: DateTime<Utc>) -> Embedded {
        let store = Arc::new(InMemoryStore::new());
        let gateway = Arc::new(FakeGateway::new());
        let email = Arc::new(FakeEmail::new());
        let sms = Arc::new(FakeSms::new());
        let clock = Arc::new(FakeClock::new(now));
        let service = AjoService::new(
            store.clone() as Arc<dyn Store>,
            gateway.clone() as Arc<dyn PaymentGateway>,
            email.clone() as Arc<dyn EmailSender>,
            sms.clone() as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        );
        Embedded {
            service,
            store,
            gateway,
            email,
            sms,
            clock,
        }
    }
}
