use std::fmt;
use std::future::Future;

use ajo_core::ports::{Clock, GatewayError};
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

/// How long before its stated expiry a token is fetched again: a call made with a token
/// that expires on the way is refused.
const MARGIN: Duration = Duration::seconds(60);

/// An OAuth access token kept until shortly before it expires, fetched by one caller at a
/// time (M-Pesa's Daraja invalidates the previous token with each new one, so two callers
/// refreshing at once would spoil each other's).
///
/// Expiry is read from the caller's [`Clock`], so a run replays. The token is a
/// [`SecretString`]: it never prints.
pub struct TokenCache {
    cached: tokio::sync::Mutex<Option<Cached>>,
}

struct Cached {
    token: SecretString,
    expires_at: DateTime<Utc>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new()
    }
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> TokenCache {
        TokenCache {
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The cached token while it has more than a minute to live at `clock`'s now, else
    /// the one `fetch` gets (a token and its lifetime), which is then cached.
    ///
    /// # Errors
    /// `fetch`'s error; nothing is cached then.
    pub async fn get<F, Fut>(
        &self,
        clock: &dyn Clock,
        fetch: F,
    ) -> Result<SecretString, GatewayError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), GatewayError>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && clock.now() < c.expires_at
        {
            return Ok(c.token.clone());
        }
        let (token, lifetime) = fetch().await?;
        let expires_at = clock
            .now()
            .checked_add_signed(lifetime - MARGIN)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        *cached = Some(Cached {
            token: token.clone(),
            expires_at,
        });
        Ok(token)
    }

    /// Forgets `token` if it is the one cached (the provider refused it), so the next call
    /// fetches another; a token another caller already replaced is left alone.
    pub async fn refused(&self, token: &SecretString) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == token.expose_secret())
        {
            *cached = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[derive(Debug)]
    struct At(Mutex<DateTime<Utc>>);

    impl Clock for At {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    #[tokio::test]
    async fn a_token_is_kept_until_a_minute_before_it_expires_and_dropped_when_refused() {
        let clock = At(Mutex::new(
            DateTime::from_timestamp(1_800_000_000, 123).unwrap(),
        ));
        let cache = TokenCache::new();
        let fetched = AtomicU32::new(0);
        let fetch = || async {
            let n = fetched.fetch_add(1, Ordering::SeqCst);
            Ok((SecretString::from(format!("t{n}")), Duration::seconds(3599)))
        };
        let first = cache.get(&clock, fetch).await.unwrap();
        assert_eq!(first.expose_secret(), "t0");
        *clock.0.lock().unwrap() += Duration::seconds(3538);
        assert_eq!(
            cache.get(&clock, fetch).await.unwrap().expose_secret(),
            "t0"
        );
        *clock.0.lock().unwrap() += Duration::seconds(1);
        assert_eq!(
            cache.get(&clock, fetch).await.unwrap().expose_secret(),
            "t1"
        );
        cache.refused(&first).await;
        assert_eq!(
            cache.get(&clock, fetch).await.unwrap().expose_secret(),
            "t1"
        );
        cache.refused(&SecretString::from("t1")).await;
        assert_eq!(
            cache.get(&clock, fetch).await.unwrap().expose_secret(),
            "t2"
        );
        let failing = || async { Err(GatewayError::Unauthorized) };
        cache.refused(&SecretString::from("t2")).await;
        assert_eq!(
            cache.get(&clock, failing).await.unwrap_err(),
            GatewayError::Unauthorized
        );
        assert_eq!(fetched.load(Ordering::SeqCst), 3);
    }
}
