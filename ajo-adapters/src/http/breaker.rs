use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// When a provider counts as down, and for how long to leave it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BreakerPolicy {
    /// Failed calls in a row (no answer, 429 or 5xx after retries) that open the breaker.
    pub failure_threshold: u32,
    /// How long an open breaker refuses calls before letting one probe through.
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

impl BreakerPolicy {
    /// Opens after `failure_threshold` failures in a row, for `cool_down`.
    pub fn new(failure_threshold: u32, cool_down: Duration) -> Self {
        BreakerPolicy {
            failure_threshold: failure_threshold.max(1),
            cool_down,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    // After the cool-down one call goes through; its result closes or reopens the breaker.
    HalfOpen { probing: bool },
}

/// A circuit breaker for one provider: after repeated failures it refuses calls at once
/// (callers get a retryable "unavailable" without waiting on a dead provider), and after
/// a cool-down lets a single probe through to see whether the provider is back.
///
/// Time is tokio's clock, so tests can pause and advance it.
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    state: Mutex<State>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("policy", &self.policy)
            .field("state", &*self.lock())
            .finish()
    }
}

/// Leave to make one call through a [`CircuitBreaker`]; report how it went with
/// [`succeeded`](Self::succeeded) or [`failed`](Self::failed). Dropped unreported (the
/// call was cancelled), it counts as neither.
#[derive(Debug)]
#[must_use = "report the call's result on the permit"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    probe: bool,
    reported: bool,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        CircuitBreaker {
            policy,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few plain words, valid whatever a panicking holder was doing.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the breaker currently refuses calls.
    pub fn is_open(&self) -> bool {
        match *self.lock() {
            State::Closed { .. } => false,
            State::Open { until } => Instant::now() < until,
            State::HalfOpen { probing } => probing,
        }
    }

    /// Leave to call the provider, or `None` while the breaker is open (or its one probe
    /// is still out).
    pub fn permit(&self) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let probe = match *state {
            State::Closed { .. } => false,
            State::Open { until } if Instant::now() < until => return None,
            State::Open { .. } | State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                true
            }
            State::HalfOpen { probing: true } => return None,
        };
        Some(Permit {
            breaker: self,
            probe,
            reported: false,
        })
    }

    fn record(&self, probe: bool, success: Option<bool>) {
        let mut state = self.lock();
        *state = match (*state, success) {
            (_, Some(true)) => State::Closed { failures: 0 },
            (State::Closed { failures }, Some(false)) => {
                let failures = failures.saturating_add(1);
                if failures >= self.policy.failure_threshold {
                    self.open_state()
                } else {
                    State::Closed { failures }
                }
            }
            (State::HalfOpen { .. }, Some(false)) if probe => self.open_state(),
            (State::HalfOpen { .. }, None) if probe => State::HalfOpen { probing: false },
            (current, _) => current,
        };
    }

    fn open_state(&self) -> State {
        tracing::warn!(
            cool_down_ms = self.policy.cool_down.as_millis(),
            "circuit breaker opened"
        );
        State::Open {
            until: Instant::now() + self.policy.cool_down,
        }
    }
}

impl Permit<'_> {
    /// The provider answered as a working provider does (2xx or 4xx).
    pub fn succeeded(mut self) {
        self.reported = true;
        self.breaker.record(self.probe, Some(true));
    }

    /// The provider failed (no answer, 429 or 5xx after retries).
    pub fn failed(mut self) {
        self.reported = true;
        self.breaker.record(self.probe, Some(false));
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.record(self.probe, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerPolicy::new(3, Duration::from_secs(10)))
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_of_failures_in_a_row() {
        let b = breaker();
        b.permit().unwrap().failed();
        b.permit().unwrap().failed();
        b.permit().unwrap().succeeded();
        b.permit().unwrap().failed();
        b.permit().unwrap().failed();
        assert!(!b.is_open(), "a success in between resets the count");
        b.permit().unwrap().failed();
        assert!(b.is_open());
        assert!(b.permit().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn half_opens_after_the_cool_down_with_a_single_probe() {
        let b = breaker();
        for _ in 0..3 {
            b.permit().unwrap().failed();
        }
        tokio::time::advance(Duration::from_secs(9)).await;
        assert!(b.permit().is_none(), "still cooling down");
        tokio::time::advance(Duration::from_secs(1)).await;
        let probe = b.permit().unwrap();
        assert!(b.permit().is_none(), "one probe at a time");
        probe.succeeded();
        assert!(!b.is_open());
        assert!(b.permit().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_reopens_for_another_cool_down() {
        let b = breaker();
        for _ in 0..3 {
            b.permit().unwrap().failed();
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        b.permit().unwrap().failed();
        assert!(b.permit().is_none());
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(b.permit().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_probe_lets_another_through() {
        let b = breaker();
        for _ in 0..3 {
            b.permit().unwrap().failed();
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        drop(b.permit().unwrap());
        assert!(b.permit().is_some());
    }
}
