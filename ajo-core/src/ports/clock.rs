use std::fmt::Debug;

use chrono::{DateTime, Utc};

/// The time, for everything the service does. Tests and replays use a fake clock; a host
/// uses [`SystemClock`].
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
