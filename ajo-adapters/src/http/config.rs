use std::time::Duration;

use super::breaker::BreakerPolicy;

/// Where a provider lives and how patiently to talk to it.
///
/// The defaults suit a payment or messaging API called from a request handler or a worker:
/// 10 s per request, three retries from 200 ms doubling to 5 s with jitter, waits asked
/// for by `Retry-After` of up to 30 s, and a breaker that opens after five failures in a
/// row for 30 s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpConfig {
    /// The API's base URL, without a trailing slash (`https://api.paystack.co`); tests
    /// point it at a local mock server.
    pub base_url: String,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// When and how often to retry.
    pub retry: RetryPolicy,
    /// When to stop calling a provider that keeps failing.
    pub breaker: BreakerPolicy,
}

impl HttpConfig {
    /// The defaults, against `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        let base_url: String = base_url.into();
        HttpConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
        }
    }

    /// The same, with another per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same, with another retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The same, with another breaker policy.
    #[must_use]
    pub fn with_breaker(mut self, breaker: BreakerPolicy) -> Self {
        self.breaker = breaker;
        self
    }
}

/// Exponential backoff with jitter between attempts of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: usize,
    /// The first wait; each later one doubles, up to `max_delay`.
    pub min_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured in place; a longer one is handed back to the
    /// caller as a rate-limit error carrying the wait, rather than blocking a worker.
    pub max_retry_after: Duration,
    /// Seeds the jitter, so a run can be replayed.
    pub jitter_seed: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            jitter_seed: 0x616a_6f00,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// `max_retries` retries starting at `min_delay` (tests use a few milliseconds).
    pub fn new(max_retries: usize, min_delay: Duration) -> Self {
        RetryPolicy {
            max_retries,
            min_delay,
            max_delay: Duration::from_secs(5).max(min_delay),
            ..RetryPolicy::default()
        }
    }

    /// The same, honouring `Retry-After` waits up to `limit` in place.
    #[must_use]
    pub fn with_max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// The same, with another jitter seed.
    #[must_use]
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = seed;
        self
    }
}
